//! One Qyzmet node's gateway pieces wired together: its key, the keys it
//! trusts, the client, the registries through the client, and its receiving
//! endpoint; and joining a gateway (in process, or a sandbox over its admin
//! routes) as a sender and as the provider's endpoint.

use crate::client::{ClientConfig, GatewayClient};
use crate::delivery::Inbox;
use crate::lookup::GatewayRegistry;
use crate::metrics::GatewayMetrics;
use crate::registry::PROVIDER;
use crate::sandbox::{KeyInfo, Sandbox};
use crate::sign::{NodeKey, Signer, TrustedKeys};
use qyzmet_store::Store;
use std::sync::Arc;

pub struct Node {
    pub key: Arc<NodeKey>,
    pub trusted: Arc<TrustedKeys>,
    pub metrics: Arc<GatewayMetrics>,
    pub client: Arc<GatewayClient>,
    pub registry: Arc<GatewayRegistry>,
    pub inbox: Arc<Inbox>,
}

#[derive(Debug, thiserror::Error)]
#[error("joining the gateway at {url}: {why}")]
pub struct JoinError {
    pub url: String,
    pub why: String,
}

impl Node {
    /// A node signing with `key` (named by `cfg.sender_id`); it trusts its
    /// own key, so packages it sent itself through the gateway are accepted
    /// at its endpoint.
    pub fn new(cfg: ClientConfig, key: Arc<NodeKey>, store: Arc<dyn Store>) -> Self {
        let trusted = Arc::new(TrustedKeys::new());
        trusted.add(&cfg.sender_id, key.verifying_key());
        let metrics = Arc::new(GatewayMetrics::new());
        let client = Arc::new(GatewayClient::new(
            cfg,
            key.clone(),
            trusted.clone(),
            metrics.clone(),
        ));
        let inbox = Arc::new(Inbox::new(
            store,
            trusted.clone(),
            key.clone(),
            vec![PROVIDER.into()],
            metrics.clone(),
        ));
        Node {
            registry: Arc::new(GatewayRegistry::new(client.clone())),
            key,
            trusted,
            metrics,
            client,
            inbox,
        }
    }

    fn sender(&self) -> &str {
        &self.client.config().sender_id
    }

    /// Joins a sandbox running in this process: registers as a sender and,
    /// with `endpoint`, as the provider's endpoint; trusts its key.
    pub fn join_sandbox(&self, sandbox: &Sandbox, endpoint: Option<&str>) {
        let cfg = self.client.config();
        sandbox.register_sender(&cfg.sender_id, &cfg.password, self.key.verifying_key());
        if let Some(url) = endpoint {
            sandbox.register_endpoint(PROVIDER, url, self.sender(), self.key.verifying_key());
        }
        let gw = sandbox.key();
        self.trusted.add(
            gw.key_id().split(':').next().unwrap_or("sandbox-gateway"),
            gw.verifying_key(),
        );
    }

    /// Joins a sandbox gateway over its admin routes (see `sandbox.rs`):
    /// learns and trusts its key, registers as a sender and, with
    /// `endpoint`, as the provider's endpoint. A real gateway is joined by
    /// its operators' procedure instead, and its key configured.
    pub async fn join_remote(&self, endpoint: Option<&str>) -> Result<(), JoinError> {
        let cfg = self.client.config();
        let err = |why: String| JoinError {
            url: cfg.url.clone(),
            why,
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| err(e.to_string()))?;
        let res = http
            .get(format!("{}/admin/key", cfg.url))
            .send()
            .await
            .map_err(|e| err(e.to_string()))?;
        let bytes = res.bytes().await.map_err(|e| err(e.to_string()))?;
        let info: KeyInfo = serde_json::from_slice(&bytes)
            .map_err(|_| err("GET /admin/key did not answer a key".into()))?;
        let name = info.key_id.split(':').next().unwrap_or_default().to_owned();
        let id = self
            .trusted
            .add_pem(&name, &info.public_key)
            .map_err(|e| err(e.to_string()))?;
        if id != info.key_id {
            return Err(err("the gateway's key id does not match its key".into()));
        }
        let post = |path: &'static str, body: serde_json::Value| {
            let req = http.post(format!("{}{path}", cfg.url)).json(&body);
            async move {
                let res = req.send().await.map_err(|e| e.to_string())?;
                if res.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("{path}: HTTP {}", res.status()))
                }
            }
        };
        post(
            "/admin/senders",
            serde_json::json!({
                "sender_id": cfg.sender_id,
                "password": cfg.password,
                "public_key": self.key.public_pem(),
            }),
        )
        .await
        .map_err(err)?;
        if let Some(url) = endpoint {
            post(
                "/admin/endpoints",
                serde_json::json!({
                    "service_id": PROVIDER,
                    "url": url,
                    "public_key": self.key.public_pem(),
                    "key_name": self.key.key_id().split(':').next().unwrap_or_default(),
                }),
            )
            .await
            .map_err(err)?;
        }
        Ok(())
    }
}
