//! `qyzmet sandbox`: the sandbox e-government gateway with the individuals
//! database and the notary system behind it (crates/gateway's `sandbox`),
//! seeded with the demo people and generated ones, faults set by flags or
//! `PUT /admin/faults`. Loopback only: its admin routes have no login.

use crate::Failure;
use clap::Args;
use qyzmet_gateway::{Faults, Sandbox, Signer};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback)
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub addr: String,
    /// Generated people besides the demo ones
    #[arg(long, default_value_t = 3000)]
    pub people: usize,
    /// Added to every answer, milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests answered with an error fault (0 to 1)
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Share of requests handled but answered only after --timeout-ms
    #[arg(long, default_value_t = 0.0)]
    pub timeout_rate: f64,
    /// How long a timed-out answer is held, milliseconds
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Share of requests answered with bytes that are not XML
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Down (HTTP 503) for this many seconds from the start
    #[arg(long, default_value_t = 0)]
    pub outage_seconds: u64,
}

pub fn run(args: SandboxArgs) -> Result<(), Failure> {
    let addr: std::net::SocketAddr = args
        .addr
        .parse()
        .map_err(|_| Failure::usage(format!("error: --addr: not HOST:PORT: {:?}", args.addr)))?;
    if !addr.ip().is_loopback() {
        return Err(Failure::usage(
            "error: --addr: the sandbox listens on a loopback address only (its admin routes have no login)",
        ));
    }
    if args.people > 1_000_000 {
        return Err(Failure::usage("error: --people: at most 1000000"));
    }
    let sandbox = Sandbox::new(qyzmet_gateway::registry::generated(args.people));
    sandbox
        .set_faults(Faults {
            latency_ms: args.latency_ms,
            error_rate: args.error_rate,
            timeout_rate: args.timeout_rate,
            timeout_ms: args.timeout_ms,
            malformed_rate: args.malformed_rate,
            outage_seconds: args.outage_seconds,
        })
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    super::runtime()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::usage(format!("error: cannot listen on {addr}: {e}")))?;
        tracing::info!(
            %addr,
            people = args.people + 4,
            key = sandbox.key().key_id(),
            "sandbox gateway listening"
        );
        sandbox
            .serve(listener, super::serve::shutdown_signal())
            .await
            .map_err(|e| Failure::found(format!("error: sandbox stopped: {e}")))
    })
}
