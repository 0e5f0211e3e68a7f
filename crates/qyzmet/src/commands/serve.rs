//! `qyzmet serve`: checks its configuration and catalog, binds, and serves
//! until SIGTERM or ctrl-c, then drains.

use crate::cli::ServeArgs;
use crate::{config, Failure};
use std::collections::BTreeMap;

/// The flags as the top layer of the configuration.
fn flag_layer(args: &ServeArgs) -> config::Layer {
    use config::{DbUrl, Source, Sourced};
    fn flag<T>(value: T, name: &'static str) -> Option<Sourced<T>> {
        Some(Sourced {
            value,
            source: Source::Flag(name),
        })
    }
    let list = |l: &Vec<std::path::PathBuf>, name| {
        (!l.is_empty())
            .then(|| l.clone())
            .and_then(|l| flag(l, name))
    };
    config::Layer {
        addr: args.addr.clone().and_then(|a| flag(a, "--addr")),
        database_url: args
            .database_url
            .clone()
            .and_then(|u| flag(DbUrl::Url(u), "--database-url")),
        data_dir: args.data_dir.clone().and_then(|d| flag(d, "--data-dir")),
        base_url: args.base_url.clone().and_then(|b| flag(b, "--base-url")),
        catalog: args.catalog.clone().and_then(|c| flag(c, "--catalog")),
        trust_anchors: list(&args.trust_anchors, "--trust-anchors"),
        crl: list(&args.crl, "--crl"),
        demo: args.demo.then(|| flag(true, "--demo")).flatten(),
        insecure_demo: args
            .insecure_demo
            .then(|| flag(true, "--insecure-demo"))
            .flatten(),
        log_format: None,
        gateway_url: args
            .gateway_url
            .clone()
            .and_then(|g| flag(g, "--gateway-url")),
        gateway_password: None,
        trusted_proxies: (!args.trusted_proxies.is_empty())
            .then(|| args.trusted_proxies.clone())
            .and_then(|l| flag(l, "--trusted-proxy")),
        ..config::Layer::default()
    }
}

/// Defaults, the configuration file, the `QYZMET_*` environment and the
/// flags, checked; a problem is one line and exit 2.
fn settings(args: &ServeArgs) -> Result<config::Settings, Failure> {
    layered(args.config.as_deref(), flag_layer(args))
}

/// The layered settings under `flags`, read from `config` (else
/// `QYZMET_CONFIG`, else `./qyzmet.toml`) and the `QYZMET_*` environment:
/// every command that opens the database finds the one `serve` uses.
pub fn layered(
    config: Option<&std::path::Path>,
    flags: config::Layer,
) -> Result<config::Settings, Failure> {
    let env: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| k.starts_with("QYZMET_"))
        .collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let text = match config::file_to_read(config, &env, &cwd) {
        None => None,
        Some((path, _)) => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Failure::usage(format!(
                    "error: cannot read the configuration file {}: {e}",
                    path.display()
                ))
            })?;
            Some((path.display().to_string(), text))
        }
    };
    config::resolve(
        text.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
        &env,
        flags,
    )
    .map_err(|e| Failure::usage(format!("error: {e}")))
}

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let cfg = settings(&args)?;
    let addr = cfg.addr;
    let database_url = cfg.database_url.clone();
    // A bad catalog stops the server with the same lines `catalog check` prints.
    let loaded =
        crate::load_catalog(cfg.catalog.as_deref()).map_err(|e| Failure::found(e.render()))?;
    std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
        Failure::usage(format!(
            "error: cannot create data directory {}: {e}",
            cfg.data_dir.display()
        ))
    })?;
    // The operator's key and the operators' certificates are read before
    // anything is served: a bad one stops the server (exit 2), gateway or not.
    let operator = operator_signer(&cfg)?;
    let known = operator_certificates(&cfg)?;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cfg.log_format {
        config::LogFormat::Text => logs.init(),
        config::LogFormat::Json => logs.json().flatten_event(true).init(),
    }

    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let shutdown = shutdown_signal();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::usage(format!("error: cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::found(format!("error: {e}")))?;
        let store = qyzmet_store::connect(&database_url)
            .await
            .map_err(|e| Failure::found(format!("error: cannot open the database: {e}")))?;
        let base_url = cfg
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let calendar_data = loaded.calendar_data.clone();
        let (catalog, calendar) = with_admin_edits(&*store, loaded).await?;
        // Our endpoint at the gateway is this server on its bound address
        // (loopback), whatever the public base URL.
        let endpoint = format!("http://{bound}{}", qyzmet_gateway::delivery::INBOX_PATH);
        let (gateway, _sandbox) = gateway(&cfg, &store, &endpoint).await?;
        // Every signature (the portal's, registration, the gateway's
        // packages, the head's own) is judged against the same trust; in
        // demo mode the demo head's key seals results.
        let (trust, sealer) = trust(&cfg)?;
        let documents = qyzmet_web::documents::Settings::new(
            sealer,
            Some(std::sync::Arc::new(qyzmet_pki::Verifier::new(
                trust.clone(),
            ))),
        );
        let mut state =
            qyzmet_web::AppState::new(catalog, calendar, store.clone(), base_url.clone(), cfg.demo)
                .with_verifier(qyzmet_pki::Verifier::new(trust))
                .with_calendar_source(calendar_data)
                .with_documents(documents)
                .with_trusted_proxies(cfg.trusted_proxies.clone());
        if let Some(node) = &gateway {
            state =
                state
                    .with_registry(
                        node.registry.clone() as std::sync::Arc<dyn qyzmet_gateway::Registry>
                    )
                    .with_inbox(node.inbox.clone())
                    .with_gateway_client(node.client.clone())
                    .with_operator_certificates(known);
            match operator {
                Some(signer) => state = state.with_operator_signer(std::sync::Arc::new(signer)),
                None => tracing::warn!(
                    "no operator key: State Corporation packages go to the provider unsigned"
                ),
            }
        }
        if cfg.demo {
            let seeded = qyzmet_web::demo::seed(&state)
                .await
                .map_err(|e| Failure::found(format!("error: {e}")))?;
            tracing::info!(seeded, "demo data ready");
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(deadline_loop(state.clone(), stop_rx.clone()));
        // The outbox's one runner. Job kinds (documents, gateway messages)
        // register their handlers here as they arrive.
        let mut handlers: std::collections::HashMap<
            String,
            std::sync::Arc<dyn qyzmet_store::jobs::JobHandler>,
        > = Default::default();
        if let Some(node) = &gateway {
            handlers.insert(
                qyzmet_gateway::SEND_JOB.into(),
                std::sync::Arc::new(qyzmet_gateway::SendHandler::new(node.client.clone())),
            );
        }
        let mut jobs_stop = stop_rx;
        handlers.extend(qyzmet_web::documents::job_handlers(&state));
        let jobs = qyzmet_store::jobs::JobRunner::new(store.clone(), handlers)
            .wake_on(state.jobs_wake())
            .parallel(job_parallelism())
            .spawn(std::time::Duration::from_secs(2), async move {
                let _ = jobs_stop.changed().await;
            });
        tracing::info!(
            %bound,
            %base_url,
            backend = store.backend(),
            database = %config::redact(&database_url),
            demo = cfg.demo,
            log_format = ?cfg.log_format,
            trusted_proxies = ?cfg.trusted_proxies,
            "qyzmet is listening"
        );
        let served = qyzmet_web::serve(listener, state, shutdown).await;
        let _ = stop_tx.send(true);
        let _ = worker.await;
        let _ = jobs.await;
        store.close().await;
        served.map_err(|e| Failure::found(format!("error: server stopped: {e}")))?;
        tracing::info!("drained; exiting");
        Ok(())
    })
}

/// The gateway this node works through: with `--demo`, a sandbox started in
/// the process on a free loopback port; otherwise the configured
/// `gateway_url`, joined as a sandbox is (a gateway without the sandbox's
/// admin routes is used as it is, with a warning). None configured: no
/// registry, and State Corporation intake answers 503.
async fn gateway(
    cfg: &config::Settings,
    store: &std::sync::Arc<dyn qyzmet_store::Store>,
    endpoint: &str,
) -> Result<
    (
        Option<qyzmet_gateway::Node>,
        Option<qyzmet_gateway::sandbox::Running>,
    ),
    Failure,
> {
    use qyzmet_gateway::{ClientConfig, Node, NodeKey, Sandbox};
    let key_path = cfg.data_dir.join("gateway").join("node-key.pem");
    let key = || {
        NodeKey::load_or_create(&key_path, "qyzmet")
            .map(std::sync::Arc::new)
            .map_err(|e| Failure::found(format!("error: gateway key: {e}")))
    };
    let password = cfg
        .gateway_password
        .clone()
        .unwrap_or_else(qyzmet_gateway::sign::random_secret);
    if let Some(url) = &cfg.gateway_url {
        let node = Node::new(
            ClientConfig::new(url, "qyzmet", &password),
            key()?,
            store.clone(),
        );
        match node.join_remote(Some(endpoint)).await {
            Ok(()) => tracing::info!(gateway = %url, "joined the gateway"),
            Err(e) => tracing::warn!(error = %e, "not joined: the gateway is used as configured"),
        }
        return Ok((Some(node), None));
    }
    if !cfg.demo {
        tracing::warn!("no gateway_url: State Corporation intake answers 503 registry-unavailable");
        return Ok((None, None));
    }
    let sandbox = Sandbox::new(qyzmet_gateway::registry::generated(3000));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::found(format!("error: sandbox gateway: {e}")))?;
    let running = sandbox
        .spawn(listener)
        .map_err(|e| Failure::found(format!("error: sandbox gateway: {e}")))?;
    let node = Node::new(
        ClientConfig::new(&running.url, "qyzmet", &password),
        key()?,
        store.clone(),
    );
    node.join_sandbox(&sandbox, Some(endpoint));
    tracing::info!(gateway = %running.url, "demo: sandbox gateway started");
    Ok((Some(node), Some(running)))
}

/// The key that signs the State Corporation's packages to the provider
/// (issue #9): `operator_p12` with its password read from
/// `operator_password_file`; else in demo mode the demo operator's
/// `DATA/demo-pki/operator.p12`; else none. A key that does not open stops
/// the server (exit 2).
fn operator_signer(cfg: &config::Settings) -> Result<Option<qyzmet_pki::Signer>, Failure> {
    if let (Some(p12), Some(pw)) = (&cfg.operator_p12, &cfg.operator_password_file) {
        let bad = |why: String| Failure::usage(format!("error: operator_p12: {why}"));
        let der = std::fs::read(p12).map_err(|e| bad(format!("{}: {e}", p12.display())))?;
        let password = std::fs::read_to_string(pw)
            .map_err(|e| bad(format!("password file {}: {e}", pw.display())))?;
        // A secret file usually ends with a newline that is not the password's.
        let password = password.trim_end_matches(['\r', '\n']);
        return qyzmet_pki::Signer::from_p12(&der, password)
            .map(Some)
            .map_err(|e| bad(format!("{}: {e}", p12.display())));
    }
    if !cfg.demo {
        return Ok(None);
    }
    let pki = qyzmet_pki::demo::ensure(&cfg.data_dir.join("demo-pki"))
        .map_err(|e| Failure::found(format!("error: demo PKI: {e}")))?;
    pki.signer("operator")
        .map(Some)
        .map_err(|e| Failure::found(format!("error: demo operator key: {e}")))
}

/// `operator_certificates`: the certificates (DER) of the State
/// Corporation operators whose packages the provider's endpoint accepts.
fn operator_certificates(cfg: &config::Settings) -> Result<Vec<Vec<u8>>, Failure> {
    let mut known = Vec::new();
    for f in &cfg.operator_certificates {
        let bad = |e: &dyn std::fmt::Display| {
            Failure::usage(format!(
                "error: operator_certificates: {}: {e}",
                f.display()
            ))
        };
        let bytes = std::fs::read(f).map_err(|e| bad(&e))?;
        known.extend(qyzmet_pki::verify::certificates_der(&bytes).map_err(|e| bad(&e))?);
    }
    Ok(known)
}

/// What every signature is judged against: `--trust-anchors` and `--crl`,
/// and in demo mode the demo PKI of `DATA/demo-pki/` (made once: its root,
/// the intermediate that issues the users' keys, so that a signature
/// carrying the signer's certificate alone is judged as one carrying the
/// chain, and its CRL) and the national CA's test IIN. A file that does
/// not read stops the server (exit 2). Also the demo head's key, which
/// seals results in demo mode.
fn trust(
    cfg: &config::Settings,
) -> Result<
    (
        qyzmet_pki::TrustConfig,
        Option<std::sync::Arc<dyn qyzmet_web::documents::Sealer>>,
    ),
    Failure,
> {
    let mut trust = qyzmet_pki::TrustConfig {
        accept_test_iins: cfg.demo,
        ..Default::default()
    };
    for f in &cfg.trust_anchors {
        trust
            .add_anchor_file(f)
            .map_err(|e| Failure::usage(format!("error: trust anchors {}: {e}", f.display())))?;
    }
    for f in &cfg.crl {
        trust
            .add_crl_file(f)
            .map_err(|e| Failure::usage(format!("error: revocation list {}: {e}", f.display())))?;
    }
    let sealer = if cfg.demo {
        Some(demo_sealer(&cfg.data_dir.join("demo-pki"), &mut trust)?)
    } else {
        None
    };
    Ok((trust, sealer))
}

/// The catalog and the calendar as administrators left them: their edits
/// (stored, dated and attributed in the database) layered over the files.
async fn with_admin_edits(
    store: &dyn qyzmet_store::Store,
    loaded: crate::Loaded,
) -> Result<
    (
        qyzmet_domain::catalog::Catalog,
        qyzmet_domain::calendar::Calendar,
    ),
    Failure,
> {
    let db = |e: qyzmet_store::StoreError| {
        Failure::found(format!("error: cannot read administrator edits: {e}"))
    };
    let mut edits = Vec::new();
    for e in store.calendar_edits().await.map_err(db)? {
        let edit: qyzmet_domain::calendar::CalendarEdit = serde_json::from_value(e.edit.clone())
            .map_err(|err| {
                Failure::found(format!(
                    "error: calendar edit {} does not read: {err}",
                    e.id
                ))
            })?;
        edits.push(edit);
    }
    let calendar = if edits.is_empty() {
        loaded.calendar
    } else {
        qyzmet_domain::calendar::Calendar::build(&loaded.calendar_data, &edits)
            .map_err(|e| Failure::found(format!("error: calendar edits: {e}")))?
    };
    let ends: Vec<qyzmet_domain::catalog::VersionEnd> = store
        .version_ends()
        .await
        .map_err(db)?
        .into_iter()
        .map(|v| qyzmet_domain::catalog::VersionEnd {
            service: v.service,
            version: v.version,
            effective_until: Some(
                v.effective_until
                    .with_timezone(&qyzmet_domain::calendar::ZONE)
                    .date_naive(),
            ),
        })
        .collect();
    let catalog = if ends.is_empty() {
        loaded.catalog
    } else {
        loaded.catalog.with_version_ends(&ends).map_err(|errs| {
            Failure::found(
                errs.iter()
                    .map(|e| format!("error: version end: {e}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?
    };
    Ok((catalog, calendar))
}

/// Marks overdue steps and ends pauses as their time comes, every few
/// seconds, until told to stop.
async fn deadline_loop(state: qyzmet_web::AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        // An administrator's calendar edit or version end, made on any node,
        // reaches this one's calendar and catalog here.
        match state.reload_admin_data().await {
            Ok(true) => {
                tracing::info!("calendar and catalog rebuilt with the administrators' edits")
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(
                code = e.code,
                "reading the administrators' edits failed; will retry"
            ),
        }
        if let Err(e) = qyzmet_web::worker::tick_due(&state, state.now(), 500).await {
            tracing::warn!(code = e.code, "deadline pass failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// SIGTERM or ctrl-c. The handlers are installed when this is called, not
/// when the future is first polled, so a signal that comes the moment the
/// server is up still drains it.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The demo PKI in `dir` (made once): its CAs and CRL join `trust`, and the
/// demo head's key seals results.
pub(crate) fn demo_sealer(
    dir: &std::path::Path,
    trust: &mut qyzmet_pki::TrustConfig,
) -> Result<std::sync::Arc<dyn qyzmet_web::documents::Sealer>, Failure> {
    let fail =
        |what: &str, e: &dyn std::fmt::Display| Failure::found(format!("error: {what}: {e}"));
    let pki = qyzmet_pki::demo::ensure(dir).map_err(|e| fail("demo PKI", &e))?;
    tracing::info!(dir = %pki.dir.display(), "demo PKI ready");
    trust
        .add_anchor_file(&pki.ca)
        .map_err(|e| fail("demo CA", &e))?;
    let intermediate =
        std::fs::read(&pki.intermediate).map_err(|e| fail("demo intermediate CA", &e))?;
    trust
        .add_intermediates(&intermediate)
        .map_err(|e| fail("demo intermediate CA", &e))?;
    trust
        .add_crl_file(&pki.crl)
        .map_err(|e| fail("demo CRL", &e))?;
    let head = pki.signer("head").map_err(|e| fail("demo head key", &e))?;
    Ok(std::sync::Arc::new(qyzmet_web::documents::P12Sealer::new(
        head,
    )))
}

/// Outbox jobs run at once by this node's runner: one a core (rendering a
/// document is CPU work, off the request path).
pub(crate) fn job_parallelism() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::process::Command;

    /// In demo mode a signature carrying the signer's certificate alone (as
    /// `openssl cms -sign` makes it, and as a signing tool may) is judged
    /// like one carrying the chain: the demo PKI's intermediate is known.
    #[test]
    fn a_demo_signature_without_its_chain_is_judged_valid() {
        let dir = tempfile::tempdir().unwrap();
        let env: BTreeMap<String, String> = [
            ("QYZMET_DEMO", "true".to_owned()),
            ("QYZMET_DATA_DIR", dir.path().display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let cfg = config::resolve(None, &env, config::Layer::default()).unwrap();
        let (trust, sealer) = trust(&cfg).unwrap();
        assert!(sealer.is_some(), "the demo head seals");
        let pki = dir.path().join("demo-pki");
        let path = |name: &str| dir.path().join(name).display().to_string();
        let (key, msg, sig) = (path("k.pem"), path("msg.bin"), path("msg.p7s"));
        std::fs::write(&msg, b"the bytes a citizen signs").unwrap();
        let p12 = pki.join("871008401427.p12").display().to_string();
        let run = |args: &[&str]| {
            let out = Command::new("openssl").args(args).output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "pkcs12",
            "-in",
            &p12,
            "-nodes",
            "-passin",
            "pass:demo",
            "-out",
            &key,
        ]);
        run(&[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-outform",
            "DER",
            "-in",
            &msg,
            "-signer",
            &key,
            "-out",
            &sig,
        ]);
        let cms = std::fs::read(&sig).unwrap();
        let judged = qyzmet_pki::Verifier::new(trust).verify(&cms, None, chrono::Utc::now());
        assert_eq!(judged.map(|v| v.iin).unwrap(), "871008401427");
        // The root alone, as before, does not reach the signer.
        let mut root_only = qyzmet_pki::TrustConfig::default();
        root_only.add_anchor_file(&pki.join("ca.pem")).unwrap();
        let judged = qyzmet_pki::Verifier::new(root_only).verify(&cms, None, chrono::Utc::now());
        assert!(judged.is_err(), "the test can tell");
    }
}
