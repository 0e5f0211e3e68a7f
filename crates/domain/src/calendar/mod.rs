//! The Kazakh working-time calendar and the deadlines computed on it.
//!
//! This module owns: the calendar data (`catalog/calendars/kz.toml` and the
//! administrator's edits layered over it), the per-day working flag from
//! 2024-01-01 to the end of [`LAST_YEAR`], and the `contract.md` "Time" rules
//! that turn a [`Limit`](crate::Limit) into a deadline: working minutes,
//! working days, calendar days, State Corporation intake and pause/resume.
//! Everything is in the zone `Asia/Almaty`; text comes in as `&str`.

mod data;
mod days;
mod deadline;
mod time;

pub use data::{CalendarData, CalendarEdit, FixedHoliday, KurbanAit, Names, PublishedYear};
pub use days::{Calendar, DayInfo, DayReason};
pub use deadline::Remaining;
pub use time::{format_time, parse_date, parse_time};

use chrono::NaiveDate;

/// An instant, carried in any `chrono_tz` zone; every computation converts
/// it to [`ZONE`] first.
pub type Instant = chrono::DateTime<chrono_tz::Tz>;

/// The zone of every local time in the calendar.
pub const ZONE: chrono_tz::Tz = chrono_tz::Asia::Almaty;

/// The first year the calendar covers: earlier dates are bad input.
pub const FIRST_YEAR: i32 = 2024;

/// The last year precomputed; later dates are refused rather than guessed.
pub const LAST_YEAR: i32 = 2124;

/// The calendar shipped with Qyzmet, for callers that build it into the
/// binary (the CLI, the server); parsing it stays with the caller.
pub const BUILTIN_KZ_TOML: &str = include_str!("../../../../catalog/calendars/kz.toml");

/// The name [`BUILTIN_KZ_TOML`] has in diagnostics.
pub const BUILTIN_KZ_FILE: &str = "catalog/calendars/kz.toml";

/// What can go wrong with a time, a date or a deadline. Messages are one
/// line, fit for a CLI's stderr; [`CalendarError::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid time {0:?}: expected RFC 3339 (2026-11-24T09:00:00+05:00), a local time (2026-11-24T09:00) or a date (2026-11-24)")]
    TimeInvalid(String),
    #[error("invalid date {0:?}: expected YYYY-MM-DD")]
    DateInvalid(String),
    #[error("{0} is before the calendar, which starts on {FIRST_YEAR}-01-01")]
    BeforeCalendar(NaiveDate),
    #[error("{0} is beyond the calendar, which ends on {LAST_YEAR}-12-31")]
    BeyondCalendar(NaiveDate),
    #[error("the deadline falls beyond the calendar, which ends on {LAST_YEAR}-12-31")]
    DeadlineBeyondCalendar,
    #[error("a limit must be at least 1")]
    LimitZero,
    #[error("invalid calendar edit: {0}")]
    EditInvalid(String),
}

impl CalendarError {
    /// A stable, lowercase, hyphenated code for logs and API bodies.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::TimeInvalid(_) => "time-invalid",
            CalendarError::DateInvalid(_) => "date-invalid",
            CalendarError::BeforeCalendar(_) => "before-calendar",
            CalendarError::BeyondCalendar(_) | CalendarError::DeadlineBeyondCalendar => {
                "beyond-calendar"
            }
            CalendarError::LimitZero => "limit-zero",
            CalendarError::EditInvalid(_) => "edit-invalid",
        }
    }
}
