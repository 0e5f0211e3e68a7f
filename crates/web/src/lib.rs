//! Qyzmet's HTTP server: the router, its shared state, and serving with a
//! graceful shutdown. Handlers read the catalog, the calendar and the store
//! from [`AppState`]; nothing here knows where they were loaded from.

pub mod admin;
pub mod applications;
pub mod auth;
pub mod client;
pub mod demo;
pub mod documents;
pub mod json;
pub mod lang;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod registry;
pub mod request_id;
pub mod services;
pub mod signature;
pub mod staff;
pub mod telemetry;
pub mod view;
pub mod worker;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use problem::ApiError;
use qyzmet_domain::calendar::{Calendar, CalendarData};
use qyzmet_domain::catalog::Catalog;
use qyzmet_store::Store;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
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
    /// Live: an administrator's edit (on this node or another) swaps in a
    /// rebuilt one; a request keeps the one it started with.
    catalog: RwLock<Arc<Catalog>>,
    calendar: RwLock<Arc<Calendar>>,
    /// The catalog as given at start, which stored version ends layer over.
    base_catalog: Catalog,
    /// The calendar file, which stored edits layer over; without it the
    /// calendar cannot be edited live.
    calendar_data: OnceLock<CalendarData>,
    /// (count, last id) of the calendar edits and the count of version ends
    /// the live calendar and catalog were built with.
    applied: Mutex<Option<(usize, i64, usize)>>,
    store: Arc<dyn Store>,
    base_url: String,
    demo: bool,
    clock: Clock,
    metrics: telemetry::Metrics,
    documents: documents::Settings,
    /// Judges applicants' signatures; set once by [`AppState::with_verifier`].
    verifier: std::sync::OnceLock<Arc<qyzmet_pki::Verifier>>,
    gateway: Gateway,
    /// Notified when a request enqueued outbox jobs (see [`AppState::jobs_wake`]).
    jobs_wake: Arc<tokio::sync::Notify>,
    /// The reverse proxies whose `X-Forwarded-For` names the client
    /// ([`client`]).
    trusted_proxies: Vec<ipnet::IpNet>,
}

/// What the State Corporation channel and the provider's gateway endpoint
/// use, set by the builder methods (none by default: State Corporation
/// intake then answers 503 `registry-unavailable`).
#[derive(Default)]
struct Gateway {
    registry: Option<Arc<dyn qyzmet_gateway::Registry>>,
    inbox: Option<Arc<qyzmet_gateway::Inbox>>,
    client: Option<Arc<qyzmet_gateway::GatewayClient>>,
    /// Signs the State Corporation's packages to the provider (a detached
    /// CMS by the operator's key); when set, the provider's endpoint also
    /// refuses a package without one.
    operator: Option<Arc<qyzmet_pki::Signer>>,
    /// The State Corporation operators' certificates (DER) whose packages
    /// the provider's endpoint accepts: the configured ones and our own
    /// operator key's. A package signed by any other certificate, however
    /// well it chains to a trusted CA, is refused.
    operator_certificates: Vec<Vec<u8>>,
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
                catalog: RwLock::new(Arc::new(catalog.clone())),
                calendar: RwLock::new(Arc::new(calendar)),
                base_catalog: catalog,
                calendar_data: OnceLock::new(),
                applied: Mutex::new(None),
                store,
                base_url: base_url.trim_end_matches('/').to_owned(),
                demo,
                clock,
                metrics: telemetry::Metrics::new(),
                verifier: std::sync::OnceLock::new(),
                gateway: Gateway::default(),
                documents: documents::Settings::default(),
                jobs_wake: Arc::default(),
                trusted_proxies: Vec::new(),
            }),
        }
    }

    fn gateway_mut(&mut self) -> &mut Gateway {
        &mut Arc::get_mut(&mut self.inner)
            .expect("the gateway is set before the state is shared")
            .gateway
    }

    /// The registries behind the gateway (individuals, notary), asked at
    /// State Corporation intake. Set before the state is cloned.
    pub fn with_registry(mut self, registry: Arc<dyn qyzmet_gateway::Registry>) -> Self {
        self.gateway_mut().registry = Some(registry);
        self
    }

    /// Our endpoint at the gateway (`POST /gateway/provider`). Set before
    /// the state is cloned.
    pub fn with_inbox(mut self, inbox: Arc<qyzmet_gateway::Inbox>) -> Self {
        self.gateway_mut().inbox = Some(inbox);
        self
    }

    /// The gateway client whose counters `/metrics` shows. Set before the
    /// state is cloned.
    pub fn with_gateway_client(mut self, client: Arc<qyzmet_gateway::GatewayClient>) -> Self {
        self.gateway_mut().client = Some(client);
        self
    }

    /// The operator's key that signs packages to the provider. Set before
    /// the state is cloned.
    pub fn with_operator_signer(mut self, signer: Arc<qyzmet_pki::Signer>) -> Self {
        let der = signer.certificate_der();
        self.gateway_mut().operator_certificates.push(der);
        self.gateway_mut().operator = Some(signer);
        self
    }

    /// More operators' certificates (DER) the provider's endpoint accepts
    /// packages from. Set before the state is cloned.
    pub fn with_operator_certificates(mut self, certificates: Vec<Vec<u8>>) -> Self {
        self.gateway_mut()
            .operator_certificates
            .extend(certificates);
        self
    }

    /// The operators' certificates (DER) whose packages are accepted.
    pub fn operator_certificates(&self) -> &[Vec<u8>] {
        &self.inner.gateway.operator_certificates
    }

    pub fn operator_signer(&self) -> Option<&Arc<qyzmet_pki::Signer>> {
        self.inner.gateway.operator.as_ref()
    }

    pub fn registry(&self) -> Option<&Arc<dyn qyzmet_gateway::Registry>> {
        self.inner.gateway.registry.as_ref()
    }

    pub fn inbox(&self) -> Option<&Arc<qyzmet_gateway::Inbox>> {
        self.inner.gateway.inbox.as_ref()
    }

    pub fn gateway_client(&self) -> Option<&Arc<qyzmet_gateway::GatewayClient>> {
        self.inner.gateway.client.as_ref()
    }

    /// The calendar file the live calendar is built from with the stored
    /// edits (see [`AppState::reload_admin_data`]).
    pub fn with_calendar_source(self, data: CalendarData) -> Self {
        let _ = self.inner.calendar_data.set(data);
        self
    }

    /// The catalog as it stands now (with administrators' version ends).
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner
            .catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The calendar as it stands now (with administrators' edits).
    pub fn calendar(&self) -> Arc<Calendar> {
        self.inner
            .calendar
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn calendar_source(&self) -> Option<&CalendarData> {
        self.inner.calendar_data.get()
    }

    pub(crate) fn base_catalog(&self) -> &Catalog {
        &self.inner.base_catalog
    }

    /// Rebuilds the calendar and the catalog from the files and every stored
    /// edit and version end when these changed since the last build, and
    /// swaps them in; returns whether it did. Each node's deadline loop calls
    /// it, so an edit made on one node reaches the others within a pass.
    pub async fn reload_admin_data(&self) -> Result<bool, ApiError> {
        let edits = self.store().calendar_edits().await?;
        let ends = self.store().version_ends().await?;
        let mark = (edits.len(), edits.last().map_or(0, |e| e.id), ends.len());
        let first = {
            let applied = self.inner.applied.lock().unwrap_or_else(|p| p.into_inner());
            if *applied == Some(mark) {
                return Ok(false);
            }
            applied.is_none()
        };
        if let Some(data) = self.calendar_source() {
            let calendar = admin::build_calendar(data, &edits)?;
            *self
                .inner
                .calendar
                .write()
                .unwrap_or_else(|p| p.into_inner()) = Arc::new(calendar);
        } else if !edits.is_empty() && !first {
            tracing::warn!("calendar edits stored but no calendar file to build on");
        }
        let catalog = admin::build_catalog(&self.inner.base_catalog, &ends)?;
        *self
            .inner
            .catalog
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(catalog);
        *self.inner.applied.lock().unwrap_or_else(|p| p.into_inner()) = Some(mark);
        Ok(true)
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

    /// Configures signature verification (trust anchors, CRLs,
    /// `accept_test_iins`); the first configuration set stays.
    pub fn with_verifier(self, verifier: qyzmet_pki::Verifier) -> Self {
        let _ = self.inner.verifier.set(Arc::new(verifier));
        self
    }

    /// The signature verifier: as configured, or one that trusts no
    /// authority (every signature `certificate-untrusted`) until then.
    pub fn verifier(&self) -> &qyzmet_pki::Verifier {
        self.inner.verifier.get_or_init(|| {
            Arc::new(qyzmet_pki::Verifier::new(qyzmet_pki::TrustConfig {
                accept_test_iins: self.inner.demo,
                ..Default::default()
            }))
        })
    }

    /// The reverse proxies believed about the client's address.
    pub fn trusted_proxies(&self) -> &[ipnet::IpNet] {
        &self.inner.trusted_proxies
    }

    /// Sets the reverse proxies believed about the client's address
    /// ([`client`]); call before the state is shared.
    pub fn with_trusted_proxies(mut self, proxies: Vec<ipnet::IpNet>) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("trusted proxies are configured before the state is shared")
            .trusted_proxies = proxies;
        self
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

    /// Notified each time a request on this node enqueues outbox jobs (a
    /// document to render, a message to send): give it to the job runner
    /// (`JobRunner::wake_on`) so they run at once rather than at its next
    /// poll.
    pub fn jobs_wake(&self) -> Arc<tokio::sync::Notify> {
        self.inner.jobs_wake.clone()
    }

    pub(crate) fn wake_jobs(&self) {
        self.inner.jobs_wake.notify_one();
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

async fn not_found(
    State(state): State<AppState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if pages::wants_html(&req) {
        return pages::not_found_page(&state, req).await;
    }
    ApiError::not_found().into_response()
}

/// The JSON API's routes, relative to `/api/v1` (the pages call them in
/// process, so both speak with one voice).
pub fn api_routes() -> Router<AppState> {
    Router::new()
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
        .route("/applications/{id}/signature", post(signature::sign))
        .route("/registry/persons/{iin}", get(registry::person))
        .route(
            "/registry/powers-of-attorney/{number}",
            get(registry::power_of_attorney),
        )
        .route("/staff/specialists", get(staff::specialists))
        .merge(admin::routes())
        .route("/documents/{code}", get(documents::download))
        .route("/documents/{code}/seal", get(documents::seal))
        .route("/verify/{code}", get(documents::verify_json))
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let api = api_routes();
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(telemetry::metrics))
        .route(
            qyzmet_gateway::delivery::INBOX_PATH,
            post(registry::gateway_inbox),
        )
        .nest("/api/v1", api)
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/openapi.json", openapi::ApiDoc::openapi()),
        )
        .merge(pages::router(state.clone()))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(applications::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(problem::problem_layer))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            telemetry::layer,
        ))
        .layer(axum::middleware::from_fn(request_id::layer))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            client::layer,
        ))
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
