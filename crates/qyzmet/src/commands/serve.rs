//! `qyzmet serve`: checks its configuration and catalog, binds, and serves
//! until SIGTERM or ctrl-c, then drains.

use crate::cli::ServeArgs;
use crate::Failure;
use std::net::SocketAddr;

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let addr: SocketAddr = args.addr.parse().map_err(|_| {
        Failure::usage(format!(
            "error: --addr must be HOST:PORT with an IP address, got {:?}",
            args.addr
        ))
    })?;
    if args.demo && !addr.ip().is_loopback() && !args.insecure_demo {
        return Err(Failure::usage(format!(
            "error: --demo serves known passwords; bind a loopback address or add --insecure-demo (got {addr})"
        )));
    }
    let database_url = super::database_url(args.database_url.as_deref(), &args.data_dir)?;
    if let Some(base) = &args.base_url {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Failure::usage(format!(
                "error: --base-url must be an http:// or https:// address, got {base:?}"
            )));
        }
    }
    for f in args.trust_anchors.iter().chain(&args.crl) {
        if !f.is_file() {
            return Err(Failure::usage(format!(
                "error: {}: no such file",
                f.display()
            )));
        }
    }
    // A bad catalog stops the server with the same lines `catalog check` prints.
    let loaded =
        crate::load_catalog(args.catalog.as_deref()).map_err(|e| Failure::found(e.render()))?;
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        Failure::usage(format!(
            "error: cannot create data directory {}: {e}",
            args.data_dir.display()
        ))
    })?;

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

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
        let base_url = args
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let (catalog, calendar) = with_admin_edits(&*store, loaded).await?;
        let state = qyzmet_web::AppState::new(
            catalog,
            calendar,
            store.clone(),
            base_url.clone(),
            args.demo,
        );
        if args.demo {
            let seeded = qyzmet_web::demo::seed(&state)
                .await
                .map_err(|e| Failure::found(format!("error: {e}")))?;
            tracing::info!(seeded, "demo data ready");
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(deadline_loop(state.clone(), stop_rx.clone()));
        // The outbox's one runner. Job kinds (documents, gateway messages)
        // register their handlers here as they arrive.
        let mut jobs_stop = stop_rx;
        let jobs = qyzmet_store::jobs::JobRunner::new(store.clone(), Default::default()).spawn(
            std::time::Duration::from_secs(2),
            async move {
                let _ = jobs_stop.changed().await;
            },
        );
        tracing::info!(%bound, %base_url, backend = store.backend(), demo = args.demo, "qyzmet is listening");
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
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
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
