//! `qyzmet audit verify`: recomputes every application's hash chain.

use super::runtime;
use crate::cli::AuditCommand;
use crate::Failure;
use qyzmet_store::AuditError;

pub fn run(cmd: AuditCommand) -> Result<(), Failure> {
    match cmd {
        AuditCommand::Verify { database_url: url } => {
            // `--database-url`, else the URL `serve` would use: the
            // configuration file, `QYZMET_DATABASE_URL`, the data directory.
            let flags = crate::config::Layer {
                database_url: url.map(|u| crate::config::Sourced {
                    value: crate::config::DbUrl::Url(u),
                    source: crate::config::Source::Flag("--database-url"),
                }),
                ..Default::default()
            };
            let url = super::serve::layered(None, flags)?.database_url;
            if let Some(path) = url.strip_prefix("sqlite://") {
                if !std::path::Path::new(path).is_file() {
                    return Err(Failure::usage(format!("error: no database at {path}")));
                }
            }
            runtime()?.block_on(async move {
                let store = qyzmet_store::connect(&url)
                    .await
                    .map_err(|e| Failure::usage(format!("error: cannot open the database: {e}")))?;
                let result = store.audit_verify().await;
                store.close().await;
                match result {
                    Ok(report) => {
                        println!(
                            "ok: {} applications, {} events",
                            report.applications, report.events
                        );
                        Ok(())
                    }
                    Err(e @ AuditError::Broken { .. }) => {
                        println!("{e}");
                        Err(Failure::found(""))
                    }
                    Err(AuditError::Store(e)) => Err(Failure::usage(format!(
                        "error: cannot read the database: {e}"
                    ))),
                }
            })
        }
    }
}
