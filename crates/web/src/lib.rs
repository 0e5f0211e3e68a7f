//! Qyzmet's HTTP server: the router, its shared state, and serving with a
//! graceful shutdown. Handlers take the catalog and the calendar from
//! [`AppState`]; nothing here knows where they were loaded from.

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use qyzmet_domain::calendar::Calendar;
use qyzmet_domain::catalog::Catalog;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler may read. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    calendar: Calendar,
    base_url: String,
    demo: bool,
}

impl AppState {
    pub fn new(catalog: Catalog, calendar: Calendar, base_url: String, demo: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                catalog,
                calendar,
                base_url,
                demo,
            }),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn calendar(&self) -> &Calendar {
        &self.inner.calendar
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn demo(&self) -> bool {
        self.inner.demo
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn healthz(State(_state): State<AppState>) -> (StatusCode, Json<Health>) {
    (StatusCode::OK, Json(Health { status: "ok" }))
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` completes, then lets the requests
/// in flight finish before returning.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
