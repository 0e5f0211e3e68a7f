//! The sandbox e-government gateway (`qyzmet sandbox`): a real SOAP-over-HTTP
//! server that checks each `SendMessage` (sender, password, signature) and
//! routes it by service id, to the registries it hosts (individuals,
//! notary; seed data in `registry.rs`) or to an endpoint registered with it
//! (Qyzmet's provider side), and signs its own answers.
//!
//! Faults can be injected, by flags or `PUT /admin/faults`: added latency, a
//! share of errors, of timeouts (the message is handled, then the answer
//! never comes: the sender retries what was already delivered), of
//! malformed answers, and an outage for T seconds.
//!
//! The admin routes (`/admin/…`) have no authentication: the sandbox is a
//! test double and listens on loopback only.

use crate::client::SEND_PATH;
use crate::registry::{self, PersonAnswer, PersonQuery, PoaQuery, Seed};
use crate::sign::{NodeKey, Signer, TrustedKeys};
use crate::soap::{self, Envelope, ErrorInfo, Request, Response};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Faults to inject; rates are shares of requests, 0.0 to 1.0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Added to every answer.
    pub latency_ms: u64,
    /// Answered with a `gateway-internal` fault.
    pub error_rate: f64,
    /// Handled, then answered only after [`Faults::timeout_ms`].
    pub timeout_rate: f64,
    /// How long a "timed out" answer is held (default 30 s).
    pub timeout_ms: Option<u64>,
    /// Answered with bytes that are not XML.
    pub malformed_rate: f64,
    /// On `PUT`: down for this many seconds from now (HTTP 503, nothing
    /// handled). On `GET`: seconds left.
    pub outage_seconds: u64,
}

impl Faults {
    fn check(&self) -> Result<(), String> {
        for (name, r) in [
            ("error_rate", self.error_rate),
            ("timeout_rate", self.timeout_rate),
            ("malformed_rate", self.malformed_rate),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if self.outage_seconds > 86_400 || self.latency_ms > 600_000 {
            return Err("outage_seconds up to 86400, latency_ms up to 600000".into());
        }
        Ok(())
    }
}

/// What the sandbox has done, for tests and `GET /admin/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub requests: u64,
    pub routed: u64,
    pub refused: u64,
    pub injected: u64,
}

struct Sender {
    password: String,
}

struct Inner {
    key: NodeKey,
    trusted: TrustedKeys,
    senders: RwLock<HashMap<String, Sender>>,
    endpoints: RwLock<HashMap<String, String>>,
    seed: Seed,
    faults: Mutex<(Faults, Option<Instant>)>,
    http: reqwest::Client,
    requests: AtomicU64,
    routed: AtomicU64,
    refused: AtomicU64,
    injected: AtomicU64,
}

/// The sandbox gateway. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

/// Body of `POST /admin/senders`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderRegistration {
    pub sender_id: String,
    pub password: String,
    /// The sender's P-256 public key, PEM (SubjectPublicKeyInfo).
    pub public_key: String,
}

/// Body of `POST /admin/endpoints`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointRegistration {
    pub service_id: String,
    /// Where messages for the service are posted (loopback `http://`).
    pub url: String,
    /// The endpoint's answers are checked against this key (PEM).
    pub public_key: String,
    /// The name in the key's id (`NAME:…`); defaults to the service id.
    pub key_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct KeyInfo {
    pub key_id: String,
    pub public_key: String,
}

impl Sandbox {
    /// A sandbox with `seed`'s people and powers of attorney.
    pub fn new(seed: Seed) -> Self {
        Sandbox {
            inner: Arc::new(Inner {
                key: NodeKey::generate("sandbox-gateway"),
                trusted: TrustedKeys::new(),
                senders: RwLock::default(),
                endpoints: RwLock::default(),
                seed,
                faults: Mutex::new((Faults::default(), None)),
                http: reqwest::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .expect("a plain HTTP client builds"),
                requests: AtomicU64::new(0),
                routed: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                injected: AtomicU64::new(0),
            }),
        }
    }

    /// The sandbox's key, which signs its answers.
    pub fn key(&self) -> &NodeKey {
        &self.inner.key
    }

    pub fn register_sender(&self, sender_id: &str, password: &str, key: p256::ecdsa::VerifyingKey) {
        self.inner.trusted.add(sender_id, key);
        self.inner
            .senders
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                sender_id.to_owned(),
                Sender {
                    password: password.to_owned(),
                },
            );
    }

    /// Routes `service_id` to `url`; answers coming back from it are checked
    /// against `key`, named `key_name` in its key id.
    pub fn register_endpoint(
        &self,
        service_id: &str,
        url: &str,
        key_name: &str,
        key: p256::ecdsa::VerifyingKey,
    ) {
        self.inner.trusted.add(key_name, key);
        self.inner
            .endpoints
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(service_id.to_owned(), url.to_owned());
    }

    /// Sets the faults; an `outage_seconds` starts now.
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        faults.check()?;
        let until = (faults.outage_seconds > 0)
            .then(|| Instant::now() + Duration::from_secs(faults.outage_seconds));
        *self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()) = (faults, until);
        Ok(())
    }

    pub fn faults(&self) -> Faults {
        let (mut f, until) = self
            .inner
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        f.outage_seconds = until
            .map(|u| u.saturating_duration_since(Instant::now()).as_secs())
            .unwrap_or(0);
        f
    }

    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.inner.requests.load(Relaxed),
            routed: self.inner.routed.load(Relaxed),
            refused: self.inner.refused.load(Relaxed),
            injected: self.inner.injected.load(Relaxed),
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route(SEND_PATH, post(send_message))
            .route("/admin/faults", get(get_faults).put(put_faults))
            .route("/admin/senders", post(add_sender))
            .route("/admin/endpoints", post(add_endpoint))
            .route("/admin/key", get(key_info))
            .route("/admin/stats", get(stats))
            .route(
                "/healthz",
                get(|| async { Json(serde_json::json!({"status": "ok"})) }),
            )
            .layer(axum::extract::DefaultBodyLimit::max(
                crate::xml::MAX_BYTES + 64 * 1024,
            ))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
    }

    /// Starts serving on `listener` in the background; the sandbox stops
    /// when the returned handle is dropped.
    pub fn spawn(&self, listener: tokio::net::TcpListener) -> std::io::Result<Running> {
        let url = format!("http://{}", listener.local_addr()?);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let me = self.clone();
        tokio::spawn(async move {
            let _ = me
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Running {
            url,
            sandbox: self.clone(),
            _stop: tx,
        })
    }

    fn answer(&self, status: StatusCode, body: Vec<u8>) -> HttpResponse {
        (
            status,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            body,
        )
            .into_response()
    }

    fn fault(&self, status: StatusCode, code: &str, message: &str) -> HttpResponse {
        self.inner.refused.fetch_add(1, Relaxed);
        let body = soap::encode_fault(
            &ErrorInfo {
                error_code: code.into(),
                error_message: message.into(),
            },
            &self.inner.key,
        );
        self.answer(status, body)
    }

    fn respond(&self, req: &Request, data: String) -> HttpResponse {
        let now = chrono::Utc::now().with_timezone(&qyzmet_domain::calendar::ZONE);
        let body = soap::encode_response(
            &Response {
                message_id: Uuid::new_v4(),
                correlation_id: req.message_id,
                response_date: now.fixed_offset(),
                status_code: "OK".into(),
                status_message: String::new(),
                data,
            },
            &self.inner.key,
        );
        self.answer(StatusCode::OK, body)
    }

    async fn handle(&self, bytes: &[u8]) -> HttpResponse {
        let read = match soap::decode(bytes, &self.inner.trusted) {
            Ok(r) => r,
            Err(e) => return self.fault(StatusCode::BAD_REQUEST, e.code(), &e.to_string()),
        };
        let Envelope::Request(req) = read.envelope else {
            return self.fault(
                StatusCode::BAD_REQUEST,
                "message-invalid",
                "expected SendMessage",
            );
        };
        let authorised = {
            let senders = self.inner.senders.read().unwrap_or_else(|e| e.into_inner());
            senders
                .get(&req.sender_id)
                .is_some_and(|s| s.password == req.password)
                && read.key_id.starts_with(&format!("{}:", req.sender_id))
        };
        if !authorised {
            return self.fault(
                StatusCode::FORBIDDEN,
                "sender-unauthorized",
                "unknown sender, wrong password, or signed by another sender's key",
            );
        }
        self.inner.routed.fetch_add(1, Relaxed);
        match req.service_id.as_str() {
            registry::INDIVIDUALS => match serde_json::from_str::<PersonQuery>(&req.data) {
                Ok(q) => {
                    let person = self.inner.seed.person(q.iin.trim()).cloned();
                    let data = serde_json::to_string(&PersonAnswer { person })
                        .expect("an answer serialises");
                    self.respond(&req, data)
                }
                Err(_) => self.fault(
                    StatusCode::BAD_REQUEST,
                    "message-invalid",
                    "expected {\"iin\"}",
                ),
            },
            registry::NOTARY => match serde_json::from_str::<PoaQuery>(&req.data) {
                Ok(q) => {
                    let a = self
                        .inner
                        .seed
                        .power_of_attorney(q.number.trim(), q.principal_iin.trim());
                    self.respond(
                        &req,
                        serde_json::to_string(&a).expect("an answer serialises"),
                    )
                }
                Err(_) => self.fault(
                    StatusCode::BAD_REQUEST,
                    "message-invalid",
                    "expected {\"number\", \"principal_iin\"}",
                ),
            },
            other => {
                let url = self
                    .inner
                    .endpoints
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(other)
                    .cloned();
                match url {
                    Some(url) => self.forward(&url, bytes, &req).await,
                    None => self.fault(
                        StatusCode::NOT_FOUND,
                        "service-unknown",
                        "no service with this id is registered",
                    ),
                }
            }
        }
    }

    /// Passes the sender's message on as it came (its signature stays the
    /// sender's) and the endpoint's answer back once its signature holds.
    async fn forward(&self, url: &str, bytes: &[u8], req: &Request) -> HttpResponse {
        let sent = self
            .inner
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(bytes.to_vec())
            .send()
            .await;
        let unavailable = || {
            self.fault(
                StatusCode::BAD_GATEWAY,
                "endpoint-unavailable",
                "the service's endpoint does not answer",
            )
        };
        let Ok(res) = sent else { return unavailable() };
        let status = res.status();
        let Ok(body) = res.bytes().await else {
            return unavailable();
        };
        match soap::decode(&body, &self.inner.trusted) {
            Ok(r) if matches!(&r.envelope, Envelope::Response(a) if a.correlation_id == req.message_id) => {
                self.answer(StatusCode::OK, body.to_vec())
            }
            Ok(r) if matches!(r.envelope, Envelope::Fault(_)) => self.answer(status, body.to_vec()),
            _ => unavailable(),
        }
    }
}

/// A sandbox serving in the background.
pub struct Running {
    pub url: String,
    pub sandbox: Sandbox,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn send_message(State(sb): State<Sandbox>, body: Bytes) -> HttpResponse {
    sb.inner.requests.fetch_add(1, Relaxed);
    let (faults, outage) = sb
        .inner
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if outage.is_some_and(|u| Instant::now() < u) {
        sb.inner.injected.fetch_add(1, Relaxed);
        return (StatusCode::SERVICE_UNAVAILABLE, "the gateway is down").into_response();
    }
    if fastrand::f64() < faults.error_rate {
        sb.inner.injected.fetch_add(1, Relaxed);
        return sb.fault(
            StatusCode::INTERNAL_SERVER_ERROR,
            "gateway-internal",
            "injected error",
        );
    }
    if fastrand::f64() < faults.malformed_rate {
        sb.inner.injected.fetch_add(1, Relaxed);
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            "<?xml version=\"1.0\"?><soap:Envelope><broken",
        )
            .into_response();
    }
    let timeout = fastrand::f64() < faults.timeout_rate;
    let answer = sb.handle(&body).await;
    if timeout {
        sb.inner.injected.fetch_add(1, Relaxed);
        tokio::time::sleep(Duration::from_millis(faults.timeout_ms.unwrap_or(30_000))).await;
    }
    answer
}

async fn get_faults(State(sb): State<Sandbox>) -> Json<Faults> {
    Json(sb.faults())
}

async fn put_faults(State(sb): State<Sandbox>, body: Bytes) -> HttpResponse {
    let faults: Faults = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    match sb.set_faults(faults) {
        Ok(()) => Json(sb.faults()).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

fn public_key(pem: &str) -> Option<p256::ecdsa::VerifyingKey> {
    use p256::pkcs8::DecodePublicKey;
    p256::ecdsa::VerifyingKey::from_public_key_pem(pem.trim()).ok()
}

fn bad_key() -> HttpResponse {
    (StatusCode::BAD_REQUEST, "public_key: not a P-256 PEM key").into_response()
}

async fn add_sender(State(sb): State<Sandbox>, body: Bytes) -> HttpResponse {
    let r: SenderRegistration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    if !soap::valid_id(&r.sender_id) || r.password.is_empty() {
        return (StatusCode::BAD_REQUEST, "sender_id or password").into_response();
    }
    match public_key(&r.public_key) {
        Some(k) => {
            sb.register_sender(&r.sender_id, &r.password, k);
            StatusCode::NO_CONTENT.into_response()
        }
        None => bad_key(),
    }
}

async fn add_endpoint(State(sb): State<Sandbox>, body: Bytes) -> HttpResponse {
    let r: EndpointRegistration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let builtin = [registry::INDIVIDUALS, registry::NOTARY].contains(&r.service_id.as_str());
    if !soap::valid_id(&r.service_id) || builtin {
        return (StatusCode::BAD_REQUEST, "service_id").into_response();
    }
    if !is_loopback_http(&r.url) {
        return (StatusCode::BAD_REQUEST, "url: a loopback http:// address").into_response();
    }
    match public_key(&r.public_key) {
        Some(k) => {
            let name = r.key_name.as_deref().unwrap_or(&r.service_id);
            sb.register_endpoint(&r.service_id, &r.url, name, k);
            StatusCode::NO_CONTENT.into_response()
        }
        None => bad_key(),
    }
}

/// The sandbox forwards only to this machine.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

async fn key_info(State(sb): State<Sandbox>) -> Json<KeyInfo> {
    Json(KeyInfo {
        key_id: sb.inner.key.key_id().to_owned(),
        public_key: sb.inner.key.public_pem(),
    })
}

async fn stats(State(sb): State<Sandbox>) -> Json<Stats> {
    Json(sb.stats())
}
