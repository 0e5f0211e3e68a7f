//! `qyzmet calendar due` and `qyzmet calendar is-working-day`.

use super::calendar_for_input;
use crate::cli::{CalendarCommand, DueArgs};
use crate::Failure;
use qyzmet_domain::calendar::{format_time, parse_date, parse_time};
use qyzmet_domain::Limit;

pub fn run(cmd: CalendarCommand) -> Result<(), Failure> {
    match cmd {
        CalendarCommand::Due(args) => due(args),
        CalendarCommand::IsWorkingDay { date, source } => {
            let date = parse_date(&date).map_err(|e| Failure::usage(format!("error: {e}")))?;
            let calendar = calendar_for_input(source.catalog.as_deref())?;
            let working = calendar
                .is_working_day(date)
                .map_err(|e| Failure::usage(format!("error: {e}")))?;
            warn_unknown(&calendar.unknown_kurban_ait_years(date, date));
            println!("{}", if working { "yes" } else { "no" });
            Ok(())
        }
    }
}

fn count(flag: &str, raw: &str) -> Result<u32, Failure> {
    match raw.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(Failure::usage(format!(
            "error: {flag} must be a whole number of at least 1, got {raw:?}"
        ))),
    }
}

fn due(args: DueArgs) -> Result<(), Failure> {
    let limit = match (&args.minutes, &args.working_days, &args.calendar_days) {
        (Some(n), None, None) => Limit::Minutes(count("--minutes", n)?),
        (None, Some(n), None) => Limit::WorkingDays(count("--working-days", n)?),
        (None, None, Some(n)) => Limit::CalendarDays(count("--calendar-days", n)?),
        _ => {
            return Err(Failure::usage(
                "error: give exactly one of --minutes, --working-days, --calendar-days",
            ))
        }
    };
    let start = parse_time(&args.from).map_err(|e| Failure::usage(format!("error: {e}")))?;
    let calendar = calendar_for_input(args.source.catalog.as_deref())?;
    let deadline = calendar
        .due(start, limit)
        .map_err(|e| Failure::usage(format!("error: {e}")))?;
    warn_unknown(&calendar.unknown_kurban_ait_years(start.date_naive(), deadline.date_naive()));
    println!("{}", format_time(&deadline));
    Ok(())
}

fn warn_unknown(years: &[i32]) {
    for y in years {
        eprintln!(
            "warning: Kurban Ait of {y} is not yet published; computed without it (an administrator can add it)"
        );
    }
}
