//! Errors as the API answers them: RFC 9457 `application/problem+json` with
//! a stable `code`, a message in the caller's language and the request id.
//! Nothing internal (SQL, paths, panics) reaches the body.

use crate::lang::Lang;
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
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            detail: None,
            retry_after: None,
        }
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
    lang: Lang,
    request_id: RequestId,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let res = next.run(req).await;
    let Some(err) = res.extensions().get::<ApiError>().cloned() else {
        return res;
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
