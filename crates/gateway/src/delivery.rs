//! Delivery through the gateway, both ends.
//!
//! Sending: a message to deliver is an outbox job of kind [`SEND_JOB`],
//! written in the same transaction as the change that caused it; the job
//! runner runs [`SendHandler`], which makes one attempt through the
//! client. The runner retries with backoff and, after its last attempt,
//! keeps the job as a dead letter an administrator can retry. The message
//! id is fixed when the job is written, so every attempt is the same
//! message.
//!
//! Receiving: [`Inbox`] is our endpoint registered at the gateway (the
//! regional gateway workstation, regulation §8 process 6). It checks the
//! sender's signature, records the message by its id in the database, and
//! answers OK also for a message it already has, without applying it again.

use crate::client::GatewayClient;
use crate::metrics::GatewayMetrics;
use crate::sign::{Signer, Verifier};
use crate::soap::{self, Envelope, ErrorInfo, Response};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use qyzmet_store::jobs::{JobError, JobHandler, Ran};
use qyzmet_store::{InboundMessage, Job, NewJob, Store};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

pub const SEND_JOB: &str = "gateway-send";

/// A `gateway-send` job's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendPayload {
    pub message_id: Uuid,
    pub correlation_id: Option<Uuid>,
    pub service_id: String,
    /// The message's `data`.
    pub data: String,
    /// A detached CMS (base64) over `data`, made when the job was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_signature: Option<String>,
}

/// The outbox job that delivers `data` to `service_id`, due at `run_at`.
pub fn send_job(service_id: &str, data: String, run_at: DateTime<Utc>) -> NewJob {
    signed_send_job(service_id, data, None, run_at)
}

/// [`send_job`] for a package signed by the person who answers for it:
/// `package_signature` is a detached CMS (base64) over `data`'s bytes.
pub fn signed_send_job(
    service_id: &str,
    data: String,
    package_signature: Option<String>,
    run_at: DateTime<Utc>,
) -> NewJob {
    let payload = SendPayload {
        message_id: Uuid::new_v4(),
        correlation_id: None,
        service_id: service_id.to_owned(),
        data,
        package_signature,
    };
    NewJob {
        kind: SEND_JOB.into(),
        payload: serde_json::to_value(payload).expect("a payload serialises"),
        run_at,
    }
}

/// Runs `gateway-send` jobs.
pub struct SendHandler {
    client: Arc<GatewayClient>,
}

impl SendHandler {
    pub fn new(client: Arc<GatewayClient>) -> Self {
        SendHandler { client }
    }
}

#[async_trait]
impl JobHandler for SendHandler {
    async fn run(&self, job: &Job) -> Result<Ran, JobError> {
        let p: SendPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| format!("payload of job {}: {e}", job.id))?;
        let answer = self
            .client
            .send_once_signed(
                &p.service_id,
                p.data,
                p.package_signature,
                p.message_id,
                p.correlation_id,
            )
            .await?;
        if answer.status_code != "OK" {
            return Err(format!(
                "{} answered {}: {}",
                p.service_id, answer.status_code, answer.status_message
            )
            .into());
        }
        let latency = (Utc::now() - job.created_at).to_std().unwrap_or_default();
        self.client.metrics().delivered(latency);
        Ok(Ran::Done)
    }
}

/// What whoever serves the endpoint does with a package (crates/web checks
/// the signer's CMS with its PKI verifier and registers the application).
#[async_trait]
pub trait PackageCheck: Send + Sync {
    /// `Err((code, message))` refuses the message with that fault, before
    /// anything is recorded.
    async fn check(
        &self,
        request: &soap::Request,
        now: DateTime<Utc>,
    ) -> Result<(), (String, String)>;

    /// Called once the message is recorded, and again for a repeat: it must
    /// be idempotent. An `Err` answers the sender 503 (try again) though the
    /// message is recorded, so the sender's retry, a repeat, makes the
    /// registration that failed.
    async fn registered(
        &self,
        _request: &soap::Request,
        _now: DateTime<Utc>,
    ) -> Result<(), String> {
        Ok(())
    }
}

/// Our receiving endpoint.
pub struct Inbox {
    store: Arc<dyn Store>,
    /// Whose signatures we accept.
    verifier: Arc<dyn Verifier>,
    /// Signs our answers.
    signer: Arc<dyn Signer>,
    /// The service ids this endpoint serves.
    services: Vec<String>,
    metrics: Arc<GatewayMetrics>,
}

/// What the endpoint answers: an HTTP status and a SOAP body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Inbox {
    pub fn new(
        store: Arc<dyn Store>,
        verifier: Arc<dyn Verifier>,
        signer: Arc<dyn Signer>,
        services: Vec<String>,
        metrics: Arc<GatewayMetrics>,
    ) -> Self {
        Inbox {
            store,
            verifier,
            signer,
            services,
            metrics,
        }
    }

    pub fn metrics(&self) -> &Arc<GatewayMetrics> {
        &self.metrics
    }

    /// Not refused by us: the sender should try again.
    fn unavailable(&self) -> Answer {
        Answer {
            status: 503,
            body: soap::encode_fault(
                &ErrorInfo {
                    error_code: "service-unavailable".into(),
                    error_message: "try again later".into(),
                },
                &*self.signer,
            ),
        }
    }

    fn fault(&self, status: u16, code: &str, message: impl Into<String>) -> Answer {
        self.metrics.refused();
        Answer {
            status,
            body: soap::encode_fault(
                &ErrorInfo {
                    error_code: code.into(),
                    error_message: message.into(),
                },
                &*self.signer,
            ),
        }
    }

    /// [`receive`](Self::receive) on a task of its own, so that a sender
    /// hanging up (which drops the HTTP handler) cannot cut the database
    /// write short: the message is recorded or not, never half.
    pub async fn receive_detached(
        self: &Arc<Self>,
        bytes: bytes::Bytes,
        now: DateTime<Utc>,
    ) -> Answer {
        self.receive_detached_with(bytes, now, None).await
    }

    /// [`receive_detached`](Self::receive_detached) with a package check.
    pub async fn receive_detached_with(
        self: &Arc<Self>,
        bytes: bytes::Bytes,
        now: DateTime<Utc>,
        check: Option<Arc<dyn PackageCheck>>,
    ) -> Answer {
        let me = self.clone();
        match tokio::spawn(async move { me.receive_with(&bytes, now, check.as_deref()).await })
            .await
        {
            Ok(a) => a,
            Err(_) => Answer {
                status: 500,
                body: soap::encode_fault(
                    &ErrorInfo {
                        error_code: "service-unavailable".into(),
                        error_message: "try again later".into(),
                    },
                    &*self.signer,
                ),
            },
        }
    }

    /// Reads, checks and records one message (see the module docs).
    pub async fn receive(&self, bytes: &[u8], now: DateTime<Utc>) -> Answer {
        self.receive_with(bytes, now, None).await
    }

    /// [`receive`](Self::receive), checking the package signature with
    /// `check` once the envelope and its node signature have been read.
    pub async fn receive_with(
        &self,
        bytes: &[u8],
        now: DateTime<Utc>,
        check: Option<&dyn PackageCheck>,
    ) -> Answer {
        let read = match soap::decode(bytes, &*self.verifier) {
            Ok(r) => r,
            Err(e) => return self.fault(400, e.code(), e.to_string()),
        };
        let Envelope::Request(req) = read.envelope else {
            return self.fault(400, "message-invalid", "expected a SendMessage request");
        };
        if !self.services.contains(&req.service_id) {
            return self.fault(400, "service-unknown", "this endpoint does not serve it");
        }
        if !serde_json::from_str::<serde_json::Value>(&req.data).is_ok_and(|v| v.is_object()) {
            return self.fault(400, "message-invalid", "data is not a JSON object");
        }
        if let Some(c) = check {
            if let Err((code, message)) = c.check(&req, now).await {
                return self.fault(400, &code, message);
            }
        }
        let new = match self
            .store
            .record_inbound(InboundMessage {
                message_id: req.message_id.to_string(),
                service_id: req.service_id.clone(),
                sender_id: req.sender_id.clone(),
                correlation_id: req.correlation_id.map(|c| c.to_string()),
                payload: req.data.clone(),
                package_signature: req.package_signature.clone(),
                received_at: now,
            })
            .await
        {
            Ok(new) => new,
            Err(e) => {
                tracing::warn!(error = %e.detail(), "gateway inbox: store");
                return self.unavailable();
            }
        };
        self.metrics.received(!new);
        if let Some(Err(why)) = match check {
            Some(c) => Some(c.registered(&req, now).await),
            None => None,
        } {
            tracing::warn!(message_id = %req.message_id, %why, "gateway inbox: registration");
            return self.unavailable();
        }
        let zone = qyzmet_domain::calendar::ZONE;
        Answer {
            status: 200,
            body: soap::encode_response(
                &Response {
                    message_id: Uuid::new_v4(),
                    correlation_id: req.message_id,
                    response_date: now.with_timezone(&zone).fixed_offset(),
                    status_code: "OK".into(),
                    status_message: if new {
                        "registered"
                    } else {
                        "already registered"
                    }
                    .into(),
                    data: serde_json::json!({ "registered": true, "duplicate": !new }).to_string(),
                },
                &*self.signer,
            ),
        }
    }
}

impl Answer {
    pub fn into_http(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        let status = axum::http::StatusCode::from_u16(self.status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            self.body,
        )
            .into_response()
    }
}

/// The path our endpoint is served at (by crates/web, and by
/// [`inbox_router`] in tests).
pub const INBOX_PATH: &str = "/gateway/provider";

/// A router serving only `inbox` at [`INBOX_PATH`].
pub fn inbox_router(inbox: Arc<Inbox>) -> axum::Router {
    axum::Router::new()
        .route(
            INBOX_PATH,
            axum::routing::post(
                |axum::extract::State(inbox): axum::extract::State<Arc<Inbox>>,
                 body: axum::body::Bytes| async move {
                    inbox.receive_detached(body, Utc::now()).await.into_http()
                },
            ),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::xml::MAX_BYTES + 64 * 1024,
        ))
        .with_state(inbox)
}
