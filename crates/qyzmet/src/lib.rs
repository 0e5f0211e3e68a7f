//! The `qyzmet` command: parses the command line, loads the catalog and
//! hands each subcommand its inputs. Every failure becomes an exit code and
//! one line on stderr, never a panic.

mod catalog_source;
mod cli;
mod commands;
pub mod config;

pub use catalog_source::{load_calendar, load_catalog, Loaded};
use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// A failed command: what to print on stderr and the exit status.
#[derive(Debug)]
pub struct Failure {
    pub status: u8,
    pub message: String,
}

impl Failure {
    /// Bad input from the person at the terminal (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            status: 2,
            message: message.into(),
        }
    }

    /// The command ran and found something wrong (exit 1).
    pub fn found(message: impl Into<String>) -> Self {
        Self {
            status: 1,
            message: message.into(),
        }
    }
}

pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return cli::report_parse_error(err),
    };
    match commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("{}", f.message.trim_end());
            }
            ExitCode::from(f.status)
        }
    }
}
