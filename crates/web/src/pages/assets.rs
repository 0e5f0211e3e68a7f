//! The files the pages load: our stylesheet, htmx and the NCALayer script,
//! built into the binary (nothing is loaded from another site).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// (name, content type, bytes).
static ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "qyzmet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/qyzmet.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/htmx.min.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../assets/favicon.svg"),
    ),
    (
        "ncalayer.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/ncalayer.js"),
    ),
];

pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.0 == name) {
        Some((_, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, *ct),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /favicon.ico`, which browsers ask for whatever the page links: the
/// same icon.
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_owned())).await
}
