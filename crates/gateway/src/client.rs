//! The gateway client: sends a signed `SendMessage` over HTTP (loopback in
//! this project), checks the answer's signature, and protects its callers
//! with a timeout per attempt, retries with exponential backoff and jitter
//! (the same message id each time, so the receiver can tell a repeat), and
//! a circuit breaker that fails fast while the gateway keeps failing.

use crate::metrics::GatewayMetrics;
use crate::sign::{Signer, Verifier};
use crate::soap::{self, Envelope, ErrorInfo, Request, Response};
use chrono::Utc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The path the gateway's `SendMessage` is posted to.
pub const SEND_PATH: &str = "/bip-sync";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The gateway's base URL, e.g. `http://127.0.0.1:8081`.
    pub url: String,
    pub sender_id: String,
    pub password: String,
    /// One attempt's limit.
    pub timeout: Duration,
    /// Attempts of [`GatewayClient::send`] (at least 1).
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Consecutive failures that open the circuit.
    pub breaker_threshold: u32,
    /// How long an open circuit refuses before letting one attempt through.
    pub breaker_cool_off: Duration,
}

impl ClientConfig {
    pub fn new(url: &str, sender_id: &str, password: &str) -> Self {
        ClientConfig {
            url: url.trim_end_matches('/').to_owned(),
            sender_id: sender_id.to_owned(),
            password: password.to_owned(),
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(2),
            breaker_threshold: 5,
            breaker_cool_off: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GatewayError {
    /// Nothing usable came back: refused connection, timeout, an HTTP error
    /// without a SOAP body, or the circuit is open.
    #[error("the gateway does not answer: {0}")]
    Unavailable(String),
    /// The gateway or the service behind it answered with a fault.
    #[error("fault {}: {}", .0.error_code, .0.error_message)]
    Fault(ErrorInfo),
    /// An answer that is not a valid signed envelope of the right kind.
    #[error("the answer is malformed: {0}")]
    Malformed(String),
}

impl GatewayError {
    /// Whether trying again may help. A fault about the message itself
    /// (bad signature, unknown service, refused XML) will not go away.
    pub fn transient(&self) -> bool {
        match self {
            GatewayError::Unavailable(_) | GatewayError::Malformed(_) => true,
            GatewayError::Fault(e) => matches!(
                e.error_code.as_str(),
                "gateway-internal" | "service-unavailable" | "endpoint-unavailable"
            ),
        }
    }
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

pub struct GatewayClient {
    cfg: ClientConfig,
    http: reqwest::Client,
    signer: Arc<dyn Signer>,
    verifier: Arc<dyn Verifier>,
    breaker: Mutex<Breaker>,
    metrics: Arc<GatewayMetrics>,
}

impl GatewayClient {
    pub fn new(
        cfg: ClientConfig,
        signer: Arc<dyn Signer>,
        verifier: Arc<dyn Verifier>,
        metrics: Arc<GatewayMetrics>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .build()
            .expect("a plain HTTP client builds");
        GatewayClient {
            cfg,
            http,
            signer,
            verifier,
            breaker: Mutex::new(Breaker::default()),
            metrics,
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    pub fn metrics(&self) -> &Arc<GatewayMetrics> {
        &self.metrics
    }

    /// Whether the circuit is open now.
    pub fn circuit_open(&self) -> bool {
        let b = self.breaker.lock().unwrap_or_else(|e| e.into_inner());
        b.open_until.is_some_and(|t| Instant::now() < t)
    }

    fn admit(&self) -> Result<(), GatewayError> {
        let mut b = self.breaker.lock().unwrap_or_else(|e| e.into_inner());
        match b.open_until {
            Some(t) if Instant::now() < t => Err(GatewayError::Unavailable(
                "circuit open after repeated failures".into(),
            )),
            Some(_) => {
                // Half open: this one attempt decides; until it does, the
                // others wait out another cool-off.
                b.open_until = Some(Instant::now() + self.cfg.breaker_cool_off);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn outcome(&self, ok: bool) {
        let mut b = self.breaker.lock().unwrap_or_else(|e| e.into_inner());
        if ok {
            b.failures = 0;
            b.open_until = None;
        } else {
            b.failures += 1;
            if b.failures >= self.cfg.breaker_threshold {
                if b.open_until.is_none() {
                    self.metrics.circuit_opened();
                }
                b.open_until = Some(Instant::now() + self.cfg.breaker_cool_off);
            }
        }
    }

    /// The delay after failed attempt `n` (1-based): base · 2^(n-1), capped,
    /// plus up to half of it again as jitter.
    pub fn backoff(&self, n: u32) -> Duration {
        let d = self
            .cfg
            .backoff_base
            .saturating_mul(1 << n.saturating_sub(1).min(20))
            .min(self.cfg.backoff_cap);
        d + d.mul_f64(fastrand::f64() * 0.5)
    }

    /// Sends with retries (see the module docs); gives up on a fault that
    /// is not transient at once.
    pub async fn send(
        &self,
        service_id: &str,
        data: String,
        message_id: Uuid,
        correlation_id: Option<Uuid>,
    ) -> Result<Response, GatewayError> {
        let attempts = self.cfg.attempts.max(1);
        let mut n = 0;
        loop {
            n += 1;
            match self
                .send_once(service_id, data.clone(), message_id, correlation_id)
                .await
            {
                Ok(r) => return Ok(r),
                Err(e) if n < attempts && e.transient() && !self.circuit_open() => {
                    self.metrics.retried();
                    tokio::time::sleep(self.backoff(n)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt, through the circuit breaker.
    pub async fn send_once(
        &self,
        service_id: &str,
        data: String,
        message_id: Uuid,
        correlation_id: Option<Uuid>,
    ) -> Result<Response, GatewayError> {
        self.send_once_signed(service_id, data, None, message_id, correlation_id)
            .await
    }

    /// One attempt of a message whose `data` carries a package signature
    /// (a detached CMS in base64, see [`Request::package_signature`]).
    pub async fn send_once_signed(
        &self,
        service_id: &str,
        data: String,
        package_signature: Option<String>,
        message_id: Uuid,
        correlation_id: Option<Uuid>,
    ) -> Result<Response, GatewayError> {
        self.admit()?;
        let request = Request {
            message_id,
            correlation_id,
            service_id: service_id.to_owned(),
            message_date: Utc::now()
                .with_timezone(&qyzmet_domain::calendar::ZONE)
                .fixed_offset(),
            sender_id: self.cfg.sender_id.clone(),
            password: self.cfg.password.clone(),
            data,
            package_signature,
        };
        let started = Instant::now();
        let result = self
            .post(&soap::encode_request(&request, &*self.signer), message_id)
            .await;
        // A fault about the message is the gateway working: it does not
        // count toward opening the circuit.
        self.outcome(match &result {
            Ok(_) => true,
            Err(e) => !e.transient(),
        });
        self.metrics.attempt(started.elapsed(), result.is_ok());
        result
    }

    async fn post(&self, body: &[u8], message_id: Uuid) -> Result<Response, GatewayError> {
        let res = self
            .http
            .post(format!("{}{SEND_PATH}", self.cfg.url))
            .header("content-type", "text/xml; charset=utf-8")
            .header("soapaction", "\"SendMessage\"")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| GatewayError::Unavailable(describe(&e)))?;
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| GatewayError::Unavailable(describe(&e)))?;
        if bytes.len() > crate::xml::MAX_BYTES {
            return Err(GatewayError::Malformed("answer too large".into()));
        }
        let looks_soap = bytes.starts_with(b"<?xml") || bytes.starts_with(b"<soap");
        if !looks_soap && !status.is_success() {
            return Err(GatewayError::Unavailable(format!("HTTP {status}")));
        }
        let read = soap::decode(&bytes, &*self.verifier)
            .map_err(|e| GatewayError::Malformed(e.to_string()))?;
        match read.envelope {
            Envelope::Response(r) if r.correlation_id == message_id => Ok(r),
            Envelope::Response(_) => Err(GatewayError::Malformed(
                "the answer is to another message".into(),
            )),
            Envelope::Fault(f) => Err(GatewayError::Fault(f)),
            Envelope::Request(_) => Err(GatewayError::Malformed("a request, not an answer".into())),
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused".into()
    } else {
        "transport error".into()
    }
}
