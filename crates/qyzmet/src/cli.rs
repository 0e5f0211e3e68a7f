//! The command line as contract.md fixes it.

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "qyzmet",
    version,
    about = "Qyzmet: Kazakhstan's state-service regulations, executable",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates the database first)
    Serve(ServeArgs),
    /// Deadlines on the Kazakh working-time calendar
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Individual identification numbers
    #[command(subcommand)]
    Iin(IinCommand),
    /// The regulations as data
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Check what happened and when
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The server's configuration file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Drive full lifecycles through the HTTP API and measure them
    Bench(crate::commands::bench::BenchArgs),
    /// Run the sandbox e-government gateway with the individuals database
    /// and the notary system behind it
    Sandbox(crate::commands::sandbox::SandboxArgs),
    /// Electronic signatures: the demo PKI, signing, verifying
    #[command(subcommand)]
    Pki(PkiCommand),
}

#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Write the demo PKI (ca.pem, intermediate.pem, crl.pem, *.p12, password `demo`) into DIR, keeping an existing one
    Demo {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Sign a file: CMS SignedData, DER, content attached
    Sign {
        /// PKCS#12 file with the key and its chain
        #[arg(long)]
        p12: std::path::PathBuf,
        #[arg(long)]
        password: String,
        /// The file to sign
        #[arg(long = "in")]
        input: std::path::PathBuf,
        /// Where to write the signature (.p7s)
        #[arg(long)]
        out: std::path::PathBuf,
        /// Leave the content out of the CMS
        #[arg(long)]
        detached: bool,
    },
    /// Judge a signature as the server would: prints `subject:`, `iin:`, `verdict:`
    Verify {
        /// The CMS SignedData (DER, or PEM/base64)
        file: std::path::PathBuf,
        /// The signed content, for a detached signature
        #[arg(long)]
        content: Option<std::path::PathBuf>,
        /// Trusted CA certificates, PEM (repeatable)
        #[arg(long = "trust-anchors")]
        trust_anchors: Vec<std::path::PathBuf>,
        /// Intermediate CA certificates, PEM or DER (repeatable), for a
        /// signature that carries the signer's certificate alone (as the
        /// server in demo mode knows `DATA/demo-pki/intermediate.pem`)
        #[arg(long)]
        intermediates: Vec<std::path::PathBuf>,
        /// Certificate revocation lists, PEM or DER (repeatable)
        #[arg(long)]
        crl: Vec<std::path::PathBuf>,
        /// Judge as of this time (RFC 3339, local time, or a date) [default: now]
        #[arg(long, allow_hyphen_values = true)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute every application's event hash chain
    Verify {
        /// sqlite://PATH (default: ./data/qyzmet.db) or postgres://…
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// The flags of `serve`: each, when given, wins over the configuration
/// file and the `QYZMET_*` environment (see `config.rs`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long)]
    pub addr: Option<String>,
    /// sqlite://PATH (default: qyzmet.db in the data directory) or postgres://…
    #[arg(long)]
    pub database_url: Option<String>,
    /// Where the embedded database and generated files live [default: ./data]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Public address used in links and QR codes (default: http:// + the bound address)
    #[arg(long)]
    pub base_url: Option<String>,
    /// Read the regulations from DIR instead of the copy built into the binary
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// The e-government gateway, http://HOST:PORT (see `qyzmet sandbox`)
    #[arg(long, value_name = "URL")]
    pub gateway_url: Option<String>,
    /// Trust anchor certificates (PEM), repeatable
    #[arg(long = "trust-anchors", value_name = "F")]
    pub trust_anchors: Vec<PathBuf>,
    /// Certificate revocation lists, repeatable
    #[arg(long = "crl", value_name = "F")]
    pub crl: Vec<PathBuf>,
    /// Seed demo users, provider and applications
    #[arg(long)]
    pub demo: bool,
    /// Allow --demo on a non-loopback address
    #[arg(long)]
    pub insecure_demo: bool,
    /// A reverse proxy (address or network) whose X-Forwarded-For names the client, repeatable
    #[arg(long = "trusted-proxy", value_name = "ADDR", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// Configuration file [default: QYZMET_CONFIG, else ./qyzmet.toml if present]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented example qyzmet.toml with every key at its default
    Example,
}

#[derive(Debug, Args)]
pub struct CatalogDirArg {
    /// Read the regulations (and calendars/kz.toml) from DIR instead of the built-in copy
    #[arg(long, value_name = "DIR", global = true)]
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the deadline of a time limit started at TIME
    Due(DueArgs),
    /// Print `yes` or `no`
    IsWorkingDay {
        /// A date, YYYY-MM-DD
        date: String,
        #[command(flatten)]
        source: CatalogDirArg,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("limit").required(true).args(["minutes", "working_days", "calendar_days"])))]
pub struct DueArgs {
    /// Start: RFC 3339 with any offset, a local time without offset, or a date
    #[arg(long, allow_hyphen_values = true)]
    pub from: String,
    /// N working minutes (09:00–13:00, 14:30–18:30)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub minutes: Option<String>,
    /// N working days; the day of the start is not counted
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub working_days: Option<String>,
    /// N calendar days; a deadline on a day off moves to the next working day
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub calendar_days: Option<String>,
    #[command(flatten)]
    pub source: CatalogDirArg,
}

#[derive(Debug, Subcommand)]
pub enum IinCommand {
    /// Check an IIN: prints `valid YYYY-MM-DD male|female` or `invalid: REASON`
    Check {
        /// Twelve digits
        #[arg(allow_hyphen_values = true)]
        iin: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Validate regulation files; prints every error as file:line: message
    Check {
        /// The catalog directory (default: the built-in catalog)
        dir: Option<PathBuf>,
    },
    /// Print a regulation as a person reads it
    Show {
        /// Service code, e.g. meeting-permission
        code: String,
        /// The version in force on this date (default: today)
        #[arg(long)]
        at: Option<String>,
        /// kk, ru or en
        #[arg(long, default_value = "kk")]
        lang: String,
        #[command(flatten)]
        source: CatalogDirArg,
    },
}

/// Help and version go to stdout with exit 0; every other parse error is
/// one line on stderr and exit 2.
pub fn report_parse_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = writeln!(
                std::io::stderr(),
                "error: a command is missing; `qyzmet --help` lists them"
            );
            ExitCode::from(2)
        }
        _ => {
            // clap spreads one reason over several lines before its usage
            // block; keep the reason, on one line.
            let rendered = err.render().to_string();
            let reason = rendered.split("\n\nUsage:").next().unwrap_or_default();
            let reason = reason
                .split("\n\nFor more information")
                .next()
                .unwrap_or_default();
            let words: Vec<&str> = reason.split_whitespace().collect();
            let line = if words.is_empty() {
                "error: invalid arguments".to_owned()
            } else {
                words.join(" ")
            };
            let _ = writeln!(std::io::stderr(), "{line}");
            ExitCode::from(2)
        }
    }
}
