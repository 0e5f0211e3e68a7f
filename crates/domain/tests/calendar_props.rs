//! Properties of deadlines that hold for any start and any limit.

use chrono::{DateTime, NaiveTime, TimeZone, Timelike, Utc};
use proptest::prelude::*;
use qyzmet_domain::calendar::{
    format_time, parse_time, Calendar, CalendarData, Instant, Remaining, ZONE,
};
use qyzmet_domain::Limit;
use std::sync::OnceLock;

fn cal() -> &'static Calendar {
    static CAL: OnceLock<Calendar> = OnceLock::new();
    CAL.get_or_init(|| {
        let text = include_str!("../../../catalog/calendars/kz.toml");
        Calendar::build(&CalendarData::parse("kz.toml", text).unwrap(), &[]).unwrap()
    })
}

/// 2024-01-01T00:00+06:00 to the end of 2031, in UTC seconds.
const FROM: i64 = 1_704_045_600;
const TO: i64 = 1_956_528_000;

fn instant(ts: i64) -> Instant {
    Utc.timestamp_opt(ts, 0).unwrap().with_timezone(&ZONE)
}

fn limit(kind: u8, n: u32) -> Limit {
    match kind {
        0 => Limit::Minutes(n),
        1 => Limit::WorkingDays(n),
        _ => Limit::CalendarDays(n),
    }
}

fn amount() -> impl Strategy<Value = u32> {
    prop_oneof![1u32..20, 1u32..600, 1u32..5000]
}

fn in_working_hours(t: NaiveTime) -> bool {
    let s = t.num_seconds_from_midnight();
    (9 * 3600..=13 * 3600).contains(&s) || (14 * 3600 + 1800..=18 * 3600 + 1800).contains(&s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn later_start_never_gives_earlier_deadline(
        a in FROM..TO, d in 0i64..2_000_000, kind in 0u8..3, n in amount()
    ) {
        let l = limit(kind, n);
        let x = cal().due(instant(a), l).unwrap();
        let y = cal().due(instant(a + d), l).unwrap();
        prop_assert!(x <= y, "{l}: {} then {}", format_time(&x), format_time(&y));
    }

    #[test]
    fn larger_limit_never_gives_earlier_deadline(
        a in FROM..TO, kind in 0u8..3, n in amount(), more in 0u32..100
    ) {
        let x = cal().due(instant(a), limit(kind, n)).unwrap();
        let y = cal().due(instant(a), limit(kind, n + more)).unwrap();
        prop_assert!(x <= y);
        if more > 0 && kind != 2 {
            prop_assert!(x < y);
        }
    }

    #[test]
    fn day_deadlines_are_close_of_business_on_a_working_day(
        a in FROM..TO, n in amount(), calendar in any::<bool>()
    ) {
        let start = instant(a);
        let l = if calendar { Limit::CalendarDays(n) } else { Limit::WorkingDays(n) };
        let due = cal().due(start, l).unwrap();
        let local = due.with_timezone(&ZONE).naive_local();
        prop_assert_eq!(local.time(), NaiveTime::from_hms_opt(18, 30, 0).unwrap());
        prop_assert!(cal().is_working_day(local.date()).unwrap());
        let start_day = start.naive_local().date();
        prop_assert!(local.date() > start_day);
        prop_assert!((local.date() - start_day).num_days() >= i64::from(n));
    }

    #[test]
    fn minutes_deadlines_are_inside_working_hours(a in FROM..TO, n in amount()) {
        let start = instant(a);
        let due = cal().due(start, Limit::Minutes(n)).unwrap();
        let local = due.with_timezone(&ZONE).naive_local();
        prop_assert!(due > start);
        prop_assert!(cal().is_working_day(local.date()).unwrap());
        prop_assert!(in_working_hours(local.time()), "{}", format_time(&due));
        prop_assert_eq!(
            cal().working_seconds_between(start, due).unwrap(),
            u64::from(n) * 60
        );
    }

    #[test]
    fn pause_then_resume_at_once_keeps_a_minutes_deadline(
        a in FROM..TO, n in amount(), frac in 0.0f64..1.0
    ) {
        let start = instant(a);
        let l = Limit::Minutes(n);
        let due = cal().due(start, l).unwrap();
        let span = (due - start).num_seconds();
        let at = instant(a + (span as f64 * frac) as i64);
        prop_assume!(at < due);
        let left = cal().pause(l, due, at);
        prop_assert!(matches!(left, Remaining::WorkingSeconds(s) if s > 0));
        prop_assert_eq!(cal().resume(left, at).unwrap(), due);
    }

    #[test]
    fn pause_then_resume_at_once_keeps_a_day_deadline(
        a in FROM..TO, kind in 1u8..3, n in amount(), d in 0i64..3_000_000
    ) {
        let l = limit(kind, n);
        let due = cal().due(instant(a), l).unwrap();
        let at = instant(a + d);
        prop_assume!(at < due);
        let left = cal().pause(l, due, at);
        prop_assert_eq!(cal().resume(left, at).unwrap(), due);
    }

    #[test]
    fn times_read_back_as_written(a in FROM..TO) {
        let t = instant(a);
        let s = format_time(&t);
        prop_assert_eq!(parse_time(&s).unwrap(), t);
        let utc: DateTime<Utc> = t.with_timezone(&Utc);
        prop_assert_eq!(parse_time(&utc.to_rfc3339()).unwrap(), t);
    }
}
