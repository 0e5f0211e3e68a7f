//! One module a command group; each returns `Ok` or a [`Failure`] with its
//! exit status.

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
    }
}

/// Loads the catalog for a command that only needs it as input: a bad one
/// is the caller's mistake (exit 2), with every problem listed.
fn catalog_for_input(dir: Option<&std::path::Path>) -> Result<crate::Loaded, Failure> {
    crate::load_catalog(dir).map_err(|e| Failure::usage(e.render()))
}
