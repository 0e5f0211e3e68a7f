//! Errors as the API answers them: RFC 9457 `application/problem+json` with
//! a stable `code`, a message in the caller's language and the request id.
//! Nothing internal (SQL, paths, panics) reaches the body.

use crate::lang::{Lang, ReqLang};
use crate::request_id::RequestId;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem to report. The handler names what went wrong; the response
/// layer adds the request id and the language.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// Overrides the catalogue message (already localised or neutral).
    pub detail: Option<String>,
    pub retry_after: Option<u64>,
    /// Field by field, for a form or body that fails validation.
    pub errors: Vec<FieldProblem>,
}

/// One invalid field: a JSON pointer into the request and what is wrong.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub path: String,
    pub message: String,
}

/// The body served (RFC 9457 members plus `code` and `request_id`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            detail: None,
            retry_after: None,
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }

    /// The body for a request in `lang` with id `request_id`.
    pub fn problem(&self, lang: Lang, request_id: &str) -> Problem {
        let (title, message) = crate::lang::problem_text(self.code, lang);
        Problem {
            type_: format!("urn:qyzmet:problem:{}", self.code),
            title: title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone().unwrap_or_else(|| message.to_owned()),
            code: self.code.to_owned(),
            request_id: request_id.to_owned(),
            errors: self.errors.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    /// Handlers return `ApiError`; the `problem_layer` middleware fills in the
    /// language and request id, since they come from the request.
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Turns a bare [`ApiError`] response into its problem+json body.
pub async fn problem_layer(
    ReqLang(lang): ReqLang,
    request_id: RequestId,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // The handler runs on its own task: a caller who hangs up does not
    // cancel a write halfway through its transaction (the write finishes,
    // and an Idempotency-Key replays it), and a panic is a 500 problem, not
    // a dropped connection.
    let res = match tokio::spawn(next.run(req)).await {
        Ok(res) => res,
        Err(e) => {
            tracing::error!(request_id = %request_id.as_str(), error = %e, "the handler failed");
            ApiError::internal().into_response()
        }
    };
    let err = match res.extensions().get::<ApiError>().cloned() {
        Some(err) => err,
        // A rejection from the framework itself (a body over the limit, a
        // wrong method): say it the API's way too.
        None if res.status().is_client_error() || res.status().is_server_error() => {
            let is_json = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.contains("json") || v.starts_with("text/html") || v.starts_with("text/xml")
                });
            // A page's error is already a page in the reader's language,
            // and a SOAP fault from the gateway endpoint is the gateway's.
            if is_json {
                return res;
            }
            let code = match res.status() {
                StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
                StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "content-type-unsupported",
                StatusCode::UNPROCESSABLE_ENTITY => "body-invalid",
                StatusCode::NOT_FOUND => "not-found",
                s if s.is_server_error() => "internal",
                _ => "bad-request",
            };
            ApiError::new(res.status(), code)
        }
        None => return res,
    };
    let body = err.problem(lang, request_id.as_str());
    let mut out = (err.status, axum::Json(body)).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(secs) = err.retry_after {
        out.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    for (k, v) in res.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

impl From<qyzmet_store::StoreError> for ApiError {
    fn from(e: qyzmet_store::StoreError) -> Self {
        use qyzmet_store::StoreError as S;
        match &e {
            S::NotFound => ApiError::not_found(),
            S::Stale => ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition-failed"),
            S::InvalidCursor => ApiError::new(StatusCode::BAD_REQUEST, "cursor-invalid"),
            S::Unavailable(_) => {
                // An error: a full or read-only disk, a file that cannot be
                // opened, or a server that does not answer needs someone.
                tracing::error!(error = %e.detail(), "database unavailable");
                let mut err =
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database-unavailable");
                err.retry_after = Some(5);
                err
            }
            _ => {
                tracing::error!(error = %e.detail(), "store error");
                ApiError::internal()
            }
        }
    }
}
