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
    if let Some(url) = &args.database_url {
        if !(url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(Failure::usage(format!(
                "error: --database-url must start with sqlite:// or postgres://, got {url:?}"
            )));
        }
    }
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

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::found(format!("error: cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::usage(format!("error: cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::found(format!("error: {e}")))?;
        let base_url = args
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"));
        let state =
            qyzmet_web::AppState::new(loaded.catalog, loaded.calendar, base_url.clone(), args.demo);
        tracing::info!(%bound, %base_url, demo = args.demo, "qyzmet is listening");
        qyzmet_web::serve(listener, state, shutdown_signal())
            .await
            .map_err(|e| Failure::found(format!("error: server stopped: {e}")))?;
        tracing::info!("drained; exiting");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
