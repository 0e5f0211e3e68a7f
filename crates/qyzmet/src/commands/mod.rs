//! One module a command group; each returns `Ok` or a [`Failure`] with its
//! exit status.

mod audit;
pub(crate) mod bench;
mod calendar;
mod catalog;
mod iin;
mod pki;
pub(crate) mod sandbox;
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
        Command::Config(cmd) => match cmd {
            crate::cli::ConfigCommand::Example => {
                print!("{}", crate::config::EXAMPLE);
                Ok(())
            }
        },
        Command::Bench(args) => bench::run(args),
        Command::Sandbox(args) => sandbox::run(args),
        Command::Pki(cmd) => pki::run(cmd),
    }
}

/// Says in one line why a catalog given as input cannot be used (the
/// command's input is wrong: exit 2); `catalog check` lists the problems.
fn input_failure(dir: Option<&std::path::Path>, e: crate::catalog_source::LoadError) -> Failure {
    use crate::catalog_source::LoadError;
    match e {
        LoadError::Io(m) => Failure::usage(format!("error: {m}")),
        LoadError::Invalid(diags) => {
            let shown = dir.map(|d| d.display().to_string()).unwrap_or_default();
            let first = diags.first().map(|d| d.to_string()).unwrap_or_default();
            Failure::usage(format!(
                "error: the catalog has {} problem(s), first {first}; `qyzmet catalog check {shown}` lists them",
                diags.len()
            ))
        }
    }
}

/// Loads the catalog for a command that only needs it as input.
fn catalog_for_input(dir: Option<&std::path::Path>) -> Result<crate::Loaded, Failure> {
    crate::load_catalog(dir).map_err(|e| input_failure(dir, e))
}

/// Loads the calendar for the calendar commands.
fn calendar_for_input(
    dir: Option<&std::path::Path>,
) -> Result<qyzmet_domain::calendar::Calendar, Failure> {
    crate::load_calendar(dir).map_err(|e| input_failure(dir, e))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::found(format!("error: cannot start the runtime: {e}")))
}
