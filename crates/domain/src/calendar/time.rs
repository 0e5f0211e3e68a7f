//! Reading and writing instants as `contract.md` fixes them.

use super::{CalendarError, Instant, ZONE};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};

/// Reads an RFC 3339 time with any offset (`Z` too), a local time without
/// an offset (taken in `Asia/Almaty`), or a date alone (its 00:00 local).
/// Seconds may be left out.
pub fn parse_time(s: &str) -> Result<Instant, CalendarError> {
    let bad = || CalendarError::TimeInvalid(s.to_string());
    let t = s.trim();
    if t.len() == 10 {
        let date = parse_date(t).map_err(|_| bad())?;
        return local(date.and_hms_opt(0, 0, 0).ok_or_else(bad)?).ok_or_else(bad);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&ZONE));
    }
    // RFC 3339 wants seconds; people type 09:00+05:00 and 09:00Z as well.
    let with_offset = match t.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => t.to_string(),
    };
    for fmt in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&with_offset, fmt) {
            return Ok(dt.with_timezone(&ZONE));
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return local(naive).ok_or_else(bad);
        }
    }
    Err(bad())
}

/// A local wall-clock time in `Asia/Almaty`. The one repeated hour (the
/// evening of 2024-02-29, when the zone went from UTC+6 to UTC+5) takes its
/// earlier instant; a time that never existed is refused.
pub(crate) fn local(naive: NaiveDateTime) -> Option<Instant> {
    match ZONE.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => None,
    }
}

/// Reads a date as `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, CalendarError> {
    let t = s.trim();
    let bad = || CalendarError::DateInvalid(s.to_string());
    if t.len() != 10 || t.as_bytes()[4] != b'-' || t.as_bytes()[7] != b'-' {
        return Err(bad());
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())
}

/// Local time in `Asia/Almaty` with its offset, seconds precision:
/// `2026-11-24T18:30:00+05:00`.
pub fn format_time(t: &Instant) -> String {
    t.with_timezone(&ZONE)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}
