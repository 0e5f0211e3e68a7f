//! Reading JSON bodies at the edge: the right content type, a size limit,
//! and a clear message naming the field when the shape is wrong.

use crate::problem::ApiError;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

/// Parses a JSON body, naming the path of the first problem.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "json-malformed")
            .with_detail("the body is empty; send a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(StatusCode::BAD_REQUEST, "json-malformed")
                .with_detail(format!("the body is not valid JSON: {inner}"))
        } else {
            let at = if path == "." {
                String::new()
            } else {
                format!("{path}: ")
            };
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "body-invalid")
                .with_detail(format!("{at}{inner}"))
        }
    })
}

/// Refuses a body that does not say it is JSON.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let v = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            v == "application/json" || v.ends_with("+json")
        })
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type-unsupported",
        ))
    }
}
