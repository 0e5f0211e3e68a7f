//! Qyzmet's HTTP server: the router, its shared state, and serving with a
//! graceful shutdown. Handlers read the catalog, the calendar and the store
//! from [`AppState`]; nothing here knows where they were loaded from.

pub mod applications;
pub mod auth;
pub mod demo;
pub mod documents;
pub mod json;
pub mod lang;
pub mod openapi;
pub mod problem;
pub mod request_id;
pub mod services;
pub mod telemetry;
pub mod view;
pub mod worker;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use problem::ApiError;
use qyzmet_domain::calendar::Calendar;
use qyzmet_domain::catalog::Catalog;
use qyzmet_store::Store;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use utoipa::OpenApi;

/// Where "now" comes from: the system clock in service, a hand-set one in
/// tests of deadlines.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What every handler may read. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    calendar: Calendar,
    store: Arc<dyn Store>,
    base_url: String,
    demo: bool,
    clock: Clock,
    metrics: telemetry::Metrics,
    documents: documents::Settings,
}

impl AppState {
    pub fn new(
        catalog: Catalog,
        calendar: Calendar,
        store: Arc<dyn Store>,
        base_url: String,
        demo: bool,
    ) -> Self {
        Self::with_clock(catalog, calendar, store, base_url, demo, Arc::new(Utc::now))
    }

    pub fn with_clock(
        catalog: Catalog,
        calendar: Calendar,
        store: Arc<dyn Store>,
        base_url: String,
        demo: bool,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                catalog,
                calendar,
                store,
                base_url: base_url.trim_end_matches('/').to_owned(),
                demo,
                clock,
                metrics: telemetry::Metrics::new(),
                documents: documents::Settings::default(),
            }),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn calendar(&self) -> &Calendar {
        &self.inner.calendar
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    pub fn demo(&self) -> bool {
        self.inner.demo
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// How documents are sealed and checked.
    pub fn documents(&self) -> &documents::Settings {
        &self.inner.documents
    }

    /// Sets how documents are sealed; call before the state is shared.
    pub fn with_documents(mut self, settings: documents::Settings) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("documents are configured before the state is shared")
            .documents = settings;
        self
    }

    /// The request counters behind `GET /metrics`.
    pub fn metrics(&self) -> &telemetry::Metrics {
        &self.inner.metrics
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
}

/// Liveness: answers once the database does
#[utoipa::path(get, path = "/healthz", tag = "services",
    responses((status = 200, body = Health), (status = 503, body = problem::Problem)))]
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store().ping().await?;
    Ok(Json(Health { status: "ok" }))
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/services", get(services::list))
        .route(
            "/applications",
            post(applications::create).get(applications::list),
        )
        .route("/applications/{id}", get(applications::get_one))
        .route("/applications/{id}/actions", post(applications::act))
        .route("/applications/{id}/events", get(applications::events))
        .route("/documents/{code}", get(documents::download))
        .route("/documents/{code}/seal", get(documents::seal))
        .route("/verify/{code}", get(documents::verify_json));
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(telemetry::metrics))
        .route(
            "/verify/{code}",
            get(documents::verify_page).post(documents::verify_upload),
        )
        .nest("/api/v1", api)
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", openapi::ApiDoc::openapi()),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(applications::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(problem::problem_layer))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::layer,
        ))
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// Serves on `listener` until `shutdown` completes, then lets the requests
/// in flight finish before returning.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A 413 from the body limit, said the API's way.
pub fn body_too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large")
}
