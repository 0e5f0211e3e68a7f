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
    use chrono::{Datelike, Offset, Timelike};
    use std::fmt::Write;
    // Written out by hand: chrono's `format` parses its pattern on every
    // call, and every answer and state carries a dozen of these.
    let local = t.with_timezone(&ZONE);
    let offset = local.offset().fix().local_minus_utc();
    // What the hand-written form does not cover, as chrono writes it: an
    // offset with seconds (Almaty's local mean time before 1924), a leap
    // second, a year of more than four digits.
    if offset % 60 != 0
        || local.nanosecond() >= 1_000_000_000
        || !(0..=9999).contains(&local.year())
    {
        return local.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    }
    let (sign, offset) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    let mut out = String::with_capacity(25);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
        offset / 3600,
        offset / 60 % 60
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn format_time_writes_what_the_pattern_would() {
        // From before 1924 (an offset with seconds) across every change
        // since, the 2024 one from +06:00 to +05:00 among them, an instant
        // every 7 hours 13 minutes 17 seconds.
        let mut t = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2060, 1, 1, 0, 0, 0).unwrap();
        let mut n = 0;
        while t < end {
            let local = t.with_timezone(&ZONE);
            assert_eq!(
                format_time(&local),
                local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
            );
            t += chrono::Duration::seconds(7 * 3600 + 13 * 60 + 17);
            n += 1;
        }
        assert!(n > 160_000);
        // A leap second, and years of five digits.
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        for t in [
            leap,
            Utc.with_ymd_and_hms(10_000, 3, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1899, 6, 1, 12, 0, 0).unwrap(),
        ] {
            let local = t.with_timezone(&ZONE);
            assert_eq!(
                format_time(&local),
                local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
            );
        }
        assert!(format_time(&leap.with_timezone(&ZONE)).contains(":60+"));
        let before = Utc.with_ymd_and_hms(2024, 2, 29, 16, 30, 5).unwrap();
        assert_eq!(
            format_time(&before.with_timezone(&ZONE)),
            "2024-02-29T22:30:05+06:00"
        );
        let after = Utc.with_ymd_and_hms(2024, 3, 1, 4, 0, 0).unwrap();
        assert_eq!(
            format_time(&after.with_timezone(&ZONE)),
            "2024-03-01T09:00:00+05:00"
        );
    }
}
