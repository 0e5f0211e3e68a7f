//! One module a command group; each returns `Ok` or a [`Failure`] with its
//! exit status.

mod audit;
mod calendar;
mod catalog;
mod iin;
mod serve;

use crate::cli::{Cli, Command};
use crate::Failure;

pub fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Calendar(cmd) => calendar::run(cmd),
        Command::Iin(cmd) => iin::run(cmd),
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Audit(cmd) => audit::run(cmd),
    }
}

/// Loads the catalog for a command that only needs it as input: a bad one
/// is the caller's mistake (exit 2), with every problem listed.
fn catalog_for_input(dir: Option<&std::path::Path>) -> Result<crate::Loaded, Failure> {
    crate::load_catalog(dir).map_err(|e| Failure::usage(e.render()))
}

/// The database URL: as given, or the SQLite file in the data directory.
fn database_url(given: Option<&str>, data_dir: &std::path::Path) -> Result<String, Failure> {
    match given {
        Some(url)
            if url.starts_with("sqlite://")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://") =>
        {
            Ok(url.to_owned())
        }
        Some(url) => Err(Failure::usage(format!(
            "error: --database-url must start with sqlite:// or postgres://, got {url:?}"
        ))),
        None => Ok(format!("sqlite://{}", data_dir.join("qyzmet.db").display())),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::found(format!("error: cannot start the runtime: {e}")))
}
