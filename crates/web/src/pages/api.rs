//! The pages' way into the application: a request to the JSON API's own
//! router, in process, with the page session's bearer token. Every rule
//! (who may see what, what may be done next, validation) stays in the API;
//! a page only shows its answers.

use crate::problem::ApiError;
use crate::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use tower::ServiceExt;

/// The API's answer: its status, headers and JSON body, or its problem.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub error: Option<ApiError>,
    /// The raw bytes, for answers that are not JSON (documents).
    pub bytes: bytes::Bytes,
}

impl Answer {
    /// The body, or the problem as the page's error.
    pub fn ok(self) -> Result<Value, ApiError> {
        match self.error {
            Some(e) => Err(e),
            None if self.status.is_success() => Ok(self.body),
            None => Err(ApiError::new(self.status, "internal")),
        }
    }
}

/// One call to `/api/v1{path}` (`path` relative to `/api/v1`).
pub struct Call<'a> {
    pub method: Method,
    pub path: String,
    pub token: Option<&'a str>,
    pub body: Option<Value>,
    pub if_match: Option<String>,
    /// Sent as `Idempotency-Key` (see `schema_form::ONCE`).
    pub idempotency_key: Option<String>,
    pub peer: Option<ConnectInfo<SocketAddr>>,
}

impl<'a> Call<'a> {
    pub fn get(path: impl Into<String>, token: Option<&'a str>) -> Self {
        Call {
            method: Method::GET,
            path: path.into(),
            token,
            body: None,
            if_match: None,
            idempotency_key: None,
            peer: None,
        }
    }

    pub fn post(path: impl Into<String>, token: Option<&'a str>, body: Value) -> Self {
        Call {
            method: Method::POST,
            path: path.into(),
            token,
            body: Some(body),
            if_match: None,
            idempotency_key: None,
            peer: None,
        }
    }

    /// The form's one-time key, when it posted one.
    pub fn once(mut self, posted: &super::schema_form::Posted) -> Self {
        self.idempotency_key = super::schema_form::posted_once(posted).map(str::to_owned);
        self
    }

    pub async fn send(self, state: &AppState) -> Answer {
        let mut req = Request::builder()
            .method(self.method)
            .uri(self.path.as_str());
        if let Some(t) = self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(e) = &self.if_match {
            req = req.header(header::IF_MATCH, e);
        }
        if let Some(k) = &self.idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let body = match &self.body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(v).unwrap_or_default())
            }
            None => Body::empty(),
        };
        let mut req = match req.body(body) {
            Ok(r) => r,
            Err(_) => return failed(ApiError::internal()),
        };
        if let Some(p) = self.peer {
            req.extensions_mut().insert(p);
        }
        let router = crate::api_routes()
            .layer(axum::extract::DefaultBodyLimit::max(
                crate::applications::MAX_BODY_BYTES,
            ))
            .with_state(state.clone());
        let res = match router.oneshot(req).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let (mut parts, body) = res.into_parts();
        let error = parts.extensions.remove::<ApiError>();
        let bytes = axum::body::to_bytes(body, crate::applications::MAX_BODY_BYTES)
            .await
            .unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let error = error.or_else(|| {
            (parts.status == StatusCode::NOT_FOUND
                || parts.status == StatusCode::METHOD_NOT_ALLOWED)
                .then(ApiError::not_found)
        });
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: json,
            error,
            bytes,
        }
    }
}

fn failed(e: ApiError) -> Answer {
    Answer {
        status: e.status,
        headers: HeaderMap::new(),
        body: Value::Null,
        error: Some(e),
        bytes: bytes::Bytes::new(),
    }
}
