//! A small gateway network on loopback for the tests: the sandbox on port
//! 0, a store on a temporary SQLite file, our receiving endpoint on port 0
//! registered at the sandbox, and a client that signs with a node key.
#![allow(dead_code)]

use qyzmet_gateway::delivery::inbox_router;
use qyzmet_gateway::registry::{self, PROVIDER};
use qyzmet_gateway::sandbox::Running;
use qyzmet_gateway::{
    ClientConfig, GatewayClient, GatewayMetrics, Inbox, NodeKey, Sandbox, TrustedKeys,
};
use qyzmet_store::Store;
use std::sync::Arc;
use std::time::Duration;

pub const SENDER: &str = "qyzmet";
pub const PASSWORD: &str = "sandbox-secret";

pub struct Net {
    pub sandbox: Running,
    pub key: Arc<NodeKey>,
    pub trusted: Arc<TrustedKeys>,
    pub client: Arc<GatewayClient>,
    pub store: Arc<dyn Store>,
    pub inbox: Arc<Inbox>,
    pub inbox_url: String,
    pub metrics: Arc<GatewayMetrics>,
    _dir: tempfile::TempDir,
    _inbox_stop: tokio::sync::oneshot::Sender<()>,
}

/// Client settings for tests: short timeouts and a fast backoff.
pub fn fast(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(url, SENDER, PASSWORD);
    c.timeout = Duration::from_millis(500);
    c.attempts = 3;
    c.backoff_base = Duration::from_millis(20);
    c.backoff_cap = Duration::from_millis(200);
    c.breaker_threshold = 5;
    c.breaker_cool_off = Duration::from_millis(300);
    c
}

pub async fn net_with(people: usize, tune: impl FnOnce(&mut ClientConfig)) -> Net {
    let sandbox = Sandbox::new(registry::generated(people));
    let running = sandbox
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    let key = Arc::new(NodeKey::generate(SENDER));
    sandbox.register_sender(SENDER, PASSWORD, key.verifying_key());
    let trusted = Arc::new(TrustedKeys::new());
    trusted.add(SENDER, key.verifying_key());
    trusted.add("sandbox-gateway", sandbox.key().verifying_key());

    let dir = tempfile::tempdir().unwrap();
    let store = qyzmet_store::connect(&format!("sqlite://{}/q.db", dir.path().display()))
        .await
        .unwrap();
    let metrics = Arc::new(GatewayMetrics::new());
    let inbox = Arc::new(Inbox::new(
        store.clone(),
        trusted.clone(),
        key.clone(),
        vec![PROVIDER.into()],
        metrics.clone(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let inbox_url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        qyzmet_gateway::delivery::INBOX_PATH
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let router = inbox_router(inbox.clone());
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    sandbox.register_endpoint(PROVIDER, &inbox_url, SENDER, key.verifying_key());

    let mut cfg = fast(&running.url);
    tune(&mut cfg);
    let client = Arc::new(GatewayClient::new(
        cfg,
        key.clone(),
        trusted.clone(),
        metrics.clone(),
    ));
    Net {
        sandbox: running,
        key,
        trusted,
        client,
        store,
        inbox,
        inbox_url,
        metrics,
        _dir: dir,
        _inbox_stop: tx,
    }
}

pub async fn net() -> Net {
    net_with(3000, |_| {}).await
}
