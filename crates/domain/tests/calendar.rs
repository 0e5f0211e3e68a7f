//! The calendar against `contract.md` "Time", on the real `kz.toml`, with
//! expected deadlines worked out by hand.

use chrono::{NaiveDate, TimeZone, Utc};
use qyzmet_domain::calendar::{
    format_time, parse_date, parse_time, Calendar, CalendarData, CalendarEdit, DayReason,
    Remaining, ZONE,
};
use qyzmet_domain::Limit;
use std::sync::OnceLock;

const KZ: &str = include_str!("../../../catalog/calendars/kz.toml");

fn cal() -> &'static Calendar {
    static CAL: OnceLock<Calendar> = OnceLock::new();
    CAL.get_or_init(|| {
        let data = CalendarData::parse("catalog/calendars/kz.toml", KZ).expect("kz.toml parses");
        Calendar::build(&data, &[]).expect("kz.toml builds")
    })
}

fn with_edits(edits: &[CalendarEdit]) -> Calendar {
    let data = CalendarData::parse("kz.toml", KZ).unwrap();
    Calendar::build(&data, edits).unwrap()
}

fn date(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

/// `m30`, `w2`, `c10`.
fn limit(s: &str) -> Limit {
    let n: u32 = s[1..].parse().unwrap();
    match &s[..1] {
        "m" => Limit::Minutes(n),
        "w" => Limit::WorkingDays(n),
        "c" => Limit::CalendarDays(n),
        _ => panic!("bad limit {s}"),
    }
}

fn due_on(c: &Calendar, from: &str, l: &str) -> String {
    format_time(&c.due(parse_time(from).unwrap(), limit(l)).unwrap())
}

fn check(rows: &[(&str, &str, &str)]) {
    let mut wrong = Vec::new();
    for (from, l, want) in rows {
        let got = due_on(cal(), from, l);
        if got != *want {
            wrong.push(format!("{from} {l}: got {got}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn new_year_and_christmas_2026() {
    check(&[
        (
            "2025-12-31T18:29:00+05:00",
            "m1",
            "2025-12-31T18:30:00+05:00",
        ),
        ("2025-12-31T18:29", "m2", "2026-01-05T09:01:00+05:00"),
        ("2025-12-31T18:30", "m1", "2026-01-05T09:01:00+05:00"),
        ("2025-12-31T18:31", "w1", "2026-01-05T18:30:00+05:00"),
        (
            "2025-12-31T23:59:00+05:00",
            "c1",
            "2026-01-05T18:30:00+05:00",
        ),
        ("2025-12-31", "w1", "2026-01-05T18:30:00+05:00"),
        ("2026-01-01T10:00", "w1", "2026-01-05T18:30:00+05:00"),
        ("2026-01-01T10:00", "m60", "2026-01-05T10:00:00+05:00"),
        ("2026-01-02", "c1", "2026-01-05T18:30:00+05:00"),
        ("2026-01-02", "c3", "2026-01-05T18:30:00+05:00"),
        ("2026-01-02", "c4", "2026-01-06T18:30:00+05:00"),
        ("2026-01-03T12:00", "m30", "2026-01-05T09:30:00+05:00"),
        ("2026-01-05T08:00", "w1", "2026-01-06T18:30:00+05:00"),
        ("2026-01-05T08:00", "w2", "2026-01-08T18:30:00+05:00"),
        ("2026-01-06T18:30", "m1", "2026-01-08T09:01:00+05:00"),
        ("2026-01-06", "c1", "2026-01-08T18:30:00+05:00"),
        ("2026-01-07T12:00", "w1", "2026-01-08T18:30:00+05:00"),
        ("2026-01-07T12:00", "m30", "2026-01-08T09:30:00+05:00"),
        ("2026-01-08T12:30", "m30", "2026-01-08T13:00:00+05:00"),
        // The same instants in UTC and other offsets.
        ("2026-01-06T13:30:00Z", "m1", "2026-01-08T09:01:00+05:00"),
        ("2026-01-06T13:29:00Z", "m1", "2026-01-06T18:30:00+05:00"),
        ("2026-01-07T19:00:00Z", "w1", "2026-01-09T18:30:00+05:00"),
        (
            "2026-01-06T20:00:00-03:00",
            "w1",
            "2026-01-08T18:30:00+05:00",
        ),
    ]);
}

#[test]
fn womens_day_2026_moved_to_monday() {
    check(&[
        ("2026-03-06T17:30", "m120", "2026-03-10T10:00:00+05:00"),
        ("2026-03-06T18:31", "w1", "2026-03-10T18:30:00+05:00"),
        ("2026-03-07T09:00", "c2", "2026-03-10T18:30:00+05:00"),
        ("2026-03-08", "c1", "2026-03-10T18:30:00+05:00"),
        ("2026-03-09T13:45", "w1", "2026-03-10T18:30:00+05:00"),
        ("2026-03-09T13:45", "m1", "2026-03-10T09:01:00+05:00"),
        ("2026-03-10T13:00", "m30", "2026-03-10T15:00:00+05:00"),
        ("2026-03-10T13:45", "m30", "2026-03-10T15:00:00+05:00"),
        ("2026-03-10T14:30", "m30", "2026-03-10T15:00:00+05:00"),
        ("2026-03-10T12:59", "m1", "2026-03-10T13:00:00+05:00"),
        ("2026-03-10T12:59", "m2", "2026-03-10T14:31:00+05:00"),
    ]);
}

#[test]
fn nauryz_2026_two_weekend_days_moved() {
    check(&[
        ("2026-03-19T18:30", "w2", "2026-03-26T18:30:00+05:00"),
        ("2026-03-20T18:29", "m1", "2026-03-20T18:30:00+05:00"),
        ("2026-03-20T18:29", "m61", "2026-03-26T10:00:00+05:00"),
        ("2026-03-20T12:00", "w1", "2026-03-26T18:30:00+05:00"),
        ("2026-03-20T12:00", "c1", "2026-03-26T18:30:00+05:00"),
        ("2026-03-20T12:00", "c6", "2026-03-26T18:30:00+05:00"),
        ("2026-03-20T12:00", "c7", "2026-03-27T18:30:00+05:00"),
        ("2026-03-23T10:00", "w1", "2026-03-26T18:30:00+05:00"),
        ("2026-03-24T13:45", "m30", "2026-03-26T09:30:00+05:00"),
        ("2026-03-25T23:59", "w1", "2026-03-26T18:30:00+05:00"),
        ("2026-03-25T23:59", "m480", "2026-03-26T18:30:00+05:00"),
        ("2026-03-25T23:59", "m481", "2026-03-27T09:01:00+05:00"),
        ("2026-03-22T18:00:00Z", "w1", "2026-03-26T18:30:00+05:00"),
        ("2026-03-25T19:00:00Z", "w1", "2026-03-27T18:30:00+05:00"),
    ]);
}

#[test]
fn may_holidays_2026() {
    check(&[
        ("2026-04-30T18:30", "w1", "2026-05-04T18:30:00+05:00"),
        ("2026-04-30T14:30", "m240", "2026-04-30T18:30:00+05:00"),
        ("2026-04-30T14:30", "m241", "2026-05-04T09:01:00+05:00"),
        ("2026-04-30", "c1", "2026-05-04T18:30:00+05:00"),
        ("2026-05-01T12:00", "c2", "2026-05-04T18:30:00+05:00"),
        ("2026-05-06T13:00", "w1", "2026-05-08T18:30:00+05:00"),
        ("2026-05-06T18:31", "m1", "2026-05-08T09:01:00+05:00"),
        ("2026-05-06T18:30", "c1", "2026-05-08T18:30:00+05:00"),
        ("2026-05-07T09:00", "w1", "2026-05-08T18:30:00+05:00"),
        ("2026-05-07T09:00", "w2", "2026-05-12T18:30:00+05:00"),
        ("2026-05-08T17:00", "m120", "2026-05-12T09:30:00+05:00"),
        ("2026-05-08", "c1", "2026-05-12T18:30:00+05:00"),
        ("2026-05-08", "c3", "2026-05-12T18:30:00+05:00"),
        ("2026-05-11T23:59", "w1", "2026-05-12T18:30:00+05:00"),
        ("2026-05-11T10:00", "m1", "2026-05-12T09:01:00+05:00"),
        ("2026-05-10T20:00:00Z", "w1", "2026-05-12T18:30:00+05:00"),
        (
            "2026-05-11T21:00:00+03:00",
            "w1",
            "2026-05-12T18:30:00+05:00",
        ),
    ]);
}

#[test]
fn kurban_ait_2026() {
    check(&[
        ("2026-05-26T18:29", "m2", "2026-05-28T09:01:00+05:00"),
        ("2026-05-26", "w1", "2026-05-28T18:30:00+05:00"),
        ("2026-05-26T13:00", "c1", "2026-05-28T18:30:00+05:00"),
        ("2026-05-27T13:45", "m30", "2026-05-28T09:30:00+05:00"),
        ("2026-05-27", "w1", "2026-05-28T18:30:00+05:00"),
        ("2026-05-28T09:00", "w1", "2026-05-29T18:30:00+05:00"),
        ("2026-05-26T18:59:59Z", "c1", "2026-05-28T18:30:00+05:00"),
        ("2026-05-27T19:00:00Z", "c1", "2026-05-29T18:30:00+05:00"),
    ]);
}

#[test]
fn capital_day_2026() {
    check(&[
        ("2026-07-03T18:30", "w1", "2026-07-07T18:30:00+05:00"),
        ("2026-07-03T12:00", "m60", "2026-07-03T13:00:00+05:00"),
        ("2026-07-03T12:00", "m61", "2026-07-03T14:31:00+05:00"),
        ("2026-07-03", "c1", "2026-07-07T18:30:00+05:00"),
        ("2026-07-03", "c3", "2026-07-07T18:30:00+05:00"),
        ("2026-07-04T10:00", "m30", "2026-07-07T09:30:00+05:00"),
        ("2026-07-06T14:30", "m1", "2026-07-07T09:01:00+05:00"),
        ("2026-07-06", "w1", "2026-07-07T18:30:00+05:00"),
    ]);
}

#[test]
fn no_constitution_day_in_2026() {
    assert!(cal().is_working_day(date("2026-08-31")).unwrap());
    assert_eq!(
        cal().day(date("2026-08-30")).unwrap().reason,
        DayReason::Weekend
    );
    check(&[
        ("2026-08-28T18:30", "w1", "2026-08-31T18:30:00+05:00"),
        ("2026-08-29", "c1", "2026-08-31T18:30:00+05:00"),
        ("2026-08-30T12:00", "m30", "2026-08-31T09:30:00+05:00"),
        ("2026-08-31T09:00", "w1", "2026-09-01T18:30:00+05:00"),
    ]);
}

#[test]
fn republic_day_2026_moved_to_monday() {
    check(&[
        ("2026-10-23T18:29:30", "m1", "2026-10-27T09:00:30+05:00"),
        ("2026-10-23T16:00", "w1", "2026-10-27T18:30:00+05:00"),
        ("2026-10-24", "c1", "2026-10-27T18:30:00+05:00"),
        ("2026-10-24", "c2", "2026-10-27T18:30:00+05:00"),
        ("2026-10-26T13:00", "m30", "2026-10-27T09:30:00+05:00"),
        ("2026-10-26", "w1", "2026-10-27T18:30:00+05:00"),
        ("2026-10-27T18:00", "m30", "2026-10-27T18:30:00+05:00"),
    ]);
}

#[test]
fn independence_day_2026() {
    check(&[
        ("2026-12-15T18:31", "w1", "2026-12-17T18:30:00+05:00"),
        ("2026-12-15T18:00", "m60", "2026-12-17T09:30:00+05:00"),
        ("2026-12-15", "c1", "2026-12-17T18:30:00+05:00"),
        ("2026-12-16T23:59", "w1", "2026-12-17T18:30:00+05:00"),
        ("2026-12-16T23:59", "c1", "2026-12-17T18:30:00+05:00"),
        ("2026-12-16T13:45", "m30", "2026-12-17T09:30:00+05:00"),
        ("2026-12-15T13:29:00Z", "m1", "2026-12-15T18:30:00+05:00"),
        ("2026-12-15T13:31:00Z", "m1", "2026-12-17T09:01:00+05:00"),
    ]);
}

#[test]
fn an_ordinary_week() {
    check(&[
        ("2026-11-23", "w1", "2026-11-24T18:30:00+05:00"),
        (
            "2026-11-24T09:00:00+05:00",
            "m480",
            "2026-11-24T18:30:00+05:00",
        ),
        (
            "2026-11-24T09:00:00+05:00",
            "m481",
            "2026-11-25T09:01:00+05:00",
        ),
        (
            "2026-11-24T10:00:00.5+05:00",
            "m1",
            "2026-11-24T10:01:01+05:00",
        ),
        ("2026-11-24 10:00", "m1", "2026-11-24T10:01:00+05:00"),
        ("2026-11-24T10:00Z", "m1", "2026-11-24T15:01:00+05:00"),
        ("2026-11-27T18:00", "c1", "2026-11-30T18:30:00+05:00"),
        ("2026-11-20", "w5", "2026-11-27T18:30:00+05:00"),
        ("2026-11-24T08:59:59", "m1", "2026-11-24T09:01:00+05:00"),
        ("2026-11-24T23:59", "c1", "2026-11-25T18:30:00+05:00"),
    ]);
}

#[test]
fn every_2026_day_off_is_off_with_its_reason() {
    let off = [
        "2026-01-01",
        "2026-01-02",
        "2026-01-07",
        "2026-03-09",
        "2026-03-23",
        "2026-03-24",
        "2026-03-25",
        "2026-05-01",
        "2026-05-07",
        "2026-05-11",
        "2026-05-27",
        "2026-07-06",
        "2026-10-26",
        "2026-12-16",
    ];
    let mut d = date("2026-01-01");
    while d <= date("2026-12-31") {
        let info = cal().day(d).unwrap();
        let weekend = matches!(
            chrono::Datelike::weekday(&d),
            chrono::Weekday::Sat | chrono::Weekday::Sun
        );
        let want = !weekend && !off.contains(&d.to_string().as_str());
        assert_eq!(info.working, want, "{d}");
        d = d.succ_opt().unwrap();
    }
    match cal().day(date("2026-05-11")).unwrap().reason {
        DayReason::MovedDayOff { holiday, from } => {
            assert_eq!(holiday.en, "Victory Day");
            assert_eq!(from, date("2026-05-09"));
        }
        other => panic!("{other:?}"),
    }
    match cal().day(date("2026-05-27")).unwrap().reason {
        DayReason::Holiday { name } => assert_eq!(name.kk, "Құрбан айт"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn almaty_went_from_utc6_to_utc5_on_2024_03_01() {
    let before = Utc.with_ymd_and_hms(2024, 2, 29, 17, 59, 59).unwrap();
    let after = Utc.with_ymd_and_hms(2024, 2, 29, 18, 0, 0).unwrap();
    assert_eq!(
        format_time(&before.with_timezone(&ZONE)),
        "2024-02-29T23:59:59+06:00"
    );
    assert_eq!(
        format_time(&after.with_timezone(&ZONE)),
        "2024-02-29T23:00:00+05:00"
    );
    // The clocks went back an hour at midnight: 23:00 to 00:00 on 29 Feb
    // happened twice, and a naive time in it is the earlier one.
    assert_eq!(
        format_time(&parse_time("2024-02-29T19:00:00Z").unwrap()),
        "2024-03-01T00:00:00+05:00"
    );
    assert_eq!(
        format_time(&parse_time("2024-02-29T23:30").unwrap()),
        "2024-02-29T23:30:00+06:00"
    );
    check(&[
        ("2024-02-28", "w1", "2024-02-29T18:30:00+06:00"),
        ("2024-02-29T10:00", "m30", "2024-02-29T10:30:00+06:00"),
        ("2024-02-29T10:00", "w1", "2024-03-01T18:30:00+05:00"),
        ("2024-02-29T18:00", "m60", "2024-03-01T09:30:00+05:00"),
        ("2024-02-29T12:00:00Z", "c1", "2024-03-01T18:30:00+05:00"),
    ]);
    let secs = cal()
        .working_seconds_between(
            parse_time("2024-02-29T18:00").unwrap(),
            parse_time("2024-03-01T09:30").unwrap(),
        )
        .unwrap();
    assert_eq!(secs, 3600);
}

#[test]
fn published_2024_and_2025_exceptions() {
    assert!(cal().is_working_day(date("2024-05-04")).unwrap());
    assert!(cal().is_working_day(date("2024-06-17")).unwrap());
    assert!(!cal().is_working_day(date("2024-06-16")).unwrap());
    assert!(!cal().is_working_day(date("2024-05-08")).unwrap());
    assert!(cal().is_working_day(date("2025-01-05")).unwrap());
    assert!(!cal().is_working_day(date("2025-01-03")).unwrap());
    assert!(matches!(
        cal().day(date("2024-05-04")).unwrap().reason,
        DayReason::WorkingWeekend { .. }
    ));
    check(&[
        ("2024-05-03T18:30", "w1", "2024-05-04T18:30:00+05:00"),
        ("2024-05-03T18:30", "w2", "2024-05-06T18:30:00+05:00"),
        ("2024-05-03T18:00", "m60", "2024-05-04T09:30:00+05:00"),
        ("2024-06-14T12:00", "w1", "2024-06-17T18:30:00+05:00"),
        ("2024-06-15", "c1", "2024-06-17T18:30:00+05:00"),
        ("2025-01-03", "w1", "2025-01-05T18:30:00+05:00"),
        ("2025-08-29", "w1", "2025-09-02T18:30:00+05:00"),
    ]);
}

#[test]
fn later_years_follow_the_rules() {
    let c = cal();
    match c.day(date("2027-03-15")).unwrap().reason {
        DayReason::Holiday { name } => assert_eq!(name.en, "Constitution Day"),
        other => panic!("{other:?}"),
    }
    assert!(c.is_working_day(date("2027-08-30")).unwrap());
    // 1 May 2027 is a Saturday: Monday 3 May is off instead.
    assert!(!c.is_working_day(date("2027-05-03")).unwrap());
    // 2 Jan 2027 is a Saturday; 7 Jan never moves.
    assert!(!c.is_working_day(date("2027-01-04")).unwrap());
    // Nauryz 2027 is Sun–Tue: Wednesday 24 Mar is off.
    assert!(!c.is_working_day(date("2027-03-24")).unwrap());
    assert!(c.is_working_day(date("2027-03-25")).unwrap());
    check(&[
        ("2027-03-12T18:30", "w1", "2027-03-16T18:30:00+05:00"),
        ("2027-04-30", "w1", "2027-05-04T18:30:00+05:00"),
        ("2027-03-19", "c4", "2027-03-25T18:30:00+05:00"),
    ]);
    assert_eq!(
        c.unknown_kurban_ait_years(date("2026-05-01"), date("2028-01-01")),
        vec![2027, 2028]
    );
    assert!(c
        .unknown_kurban_ait_years(date("2024-01-01"), date("2026-12-31"))
        .is_empty());
}

#[test]
fn edits_layer_over_the_file() {
    let recorded = date("2026-11-20");
    let c = with_edits(&[
        CalendarEdit::Day {
            date: date("2027-03-16"),
            working: false,
            source: "Ministry of Labour order (test)".into(),
            recorded,
        },
        CalendarEdit::Day {
            date: date("2027-03-20"),
            working: true,
            source: "Ministry of Labour order (test)".into(),
            recorded,
        },
        // A hypothetical date, to see the year stop being unknown.
        CalendarEdit::KurbanAit {
            date: date("2027-05-17"),
            source: "test".into(),
            recorded,
        },
    ]);
    assert_eq!(
        due_on(&c, "2027-03-12T18:30", "w1"),
        "2027-03-17T18:30:00+05:00"
    );
    assert_eq!(
        due_on(&c, "2027-03-19T18:30", "w1"),
        "2027-03-20T18:30:00+05:00"
    );
    assert!(matches!(
        c.day(date("2027-03-20")).unwrap().reason,
        DayReason::Correction { working: true, .. }
    ));
    assert!(!c.is_working_day(date("2027-05-17")).unwrap());
    assert_eq!(
        c.unknown_kurban_ait_years(date("2027-01-01"), date("2028-12-31")),
        vec![2028]
    );
    // Edits are what the storage layer keeps: they round-trip through JSON.
    let e = CalendarEdit::Day {
        date: date("2027-03-16"),
        working: false,
        source: "s".into(),
        recorded,
    };
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"day","date":"2027-03-16","working":false,"source":"s","recorded":"2026-11-20"}"#
    );
    assert_eq!(serde_json::from_str::<CalendarEdit>(&json).unwrap(), e);
    let data = CalendarData::parse("kz.toml", KZ).unwrap();
    let bad = CalendarEdit::Day {
        date: date("2023-05-01"),
        working: true,
        source: "s".into(),
        recorded,
    };
    assert_eq!(
        Calendar::build(&data, &[bad]).unwrap_err().code(),
        "edit-invalid"
    );
}

#[test]
fn state_corporation_intake_starts_next_working_morning() {
    let c = cal();
    let start = |s: &str| format_time(&c.state_corporation_start(parse_time(s).unwrap()).unwrap());
    assert_eq!(start("2026-03-20T17:00"), "2026-03-26T09:00:00+05:00");
    assert_eq!(start("2026-11-24T08:00"), "2026-11-25T09:00:00+05:00");
    assert_eq!(start("2026-11-27T10:00"), "2026-11-30T09:00:00+05:00");
}

#[test]
fn pause_and_resume() {
    let c = cal();
    let t = |s: &str| parse_time(s).unwrap();
    let f = |r: Result<_, _>| format_time(&r.unwrap());

    let due = c.due(t("2026-11-24T10:00"), Limit::Minutes(120)).unwrap();
    assert_eq!(format_time(&due), "2026-11-24T12:00:00+05:00");
    let left = c.pause(Limit::Minutes(120), due, t("2026-11-24T11:00"));
    assert_eq!(left, Remaining::WorkingSeconds(3600));
    assert_eq!(
        f(c.resume(left, t("2026-11-25T17:00"))),
        "2026-11-25T18:00:00+05:00"
    );
    assert_eq!(
        f(c.resume(left, t("2026-11-25T18:00"))),
        "2026-11-26T09:30:00+05:00"
    );

    let due = c.due(t("2026-11-23T10:00"), Limit::WorkingDays(5)).unwrap();
    assert_eq!(format_time(&due), "2026-11-30T18:30:00+05:00");
    let left = c.pause(Limit::WorkingDays(5), due, t("2026-11-25T12:00"));
    assert_eq!(left, Remaining::WorkingDays(3));
    assert_eq!(
        f(c.resume(left, t("2026-12-14T10:00"))),
        "2026-12-18T18:30:00+05:00"
    );

    let due = c.due(t("2026-11-20"), Limit::CalendarDays(10)).unwrap();
    assert_eq!(format_time(&due), "2026-11-30T18:30:00+05:00");
    let left = c.pause(Limit::CalendarDays(10), due, t("2026-11-25T12:00"));
    assert_eq!(left, Remaining::CalendarDays(5));
    assert_eq!(
        f(c.resume(left, t("2026-12-11T12:00"))),
        "2026-12-17T18:30:00+05:00"
    );

    // Paused after the deadline: nothing left, close of business.
    let left = c.pause(Limit::WorkingDays(5), due, t("2026-12-01T10:00"));
    assert_eq!(left, Remaining::WorkingDays(0));
    assert_eq!(
        f(c.resume(left, t("2026-11-28T12:00"))),
        "2026-11-30T18:30:00+05:00"
    );
    assert_eq!(
        f(c.resume(left, t("2026-11-27T20:00"))),
        "2026-11-27T18:30:00+05:00"
    );

    assert_eq!(
        f(c.pause_auto_end(t("2026-11-16T10:00"))),
        "2026-12-17T18:30:00+05:00"
    );
    assert_eq!(
        c.working_seconds_between(t("2026-11-24T12:00"), t("2026-11-25T10:00"))
            .unwrap(),
        6 * 3600
    );
}

#[test]
fn bad_input() {
    let c = cal();
    for s in [
        "garbage",
        "",
        "2026-13-01",
        "2026-02-30T10:00",
        "2026-11-24T25:00",
        "24.11.2026",
    ] {
        assert_eq!(parse_time(s).unwrap_err().code(), "time-invalid", "{s}");
    }
    for s in ["2026-1-5", "2026-11-24T10:00", "x"] {
        assert_eq!(parse_date(s).unwrap_err().code(), "date-invalid", "{s}");
    }
    let early = parse_time("2023-12-31T10:00").unwrap();
    let err = c.due(early, Limit::WorkingDays(1)).unwrap_err();
    assert_eq!(err.code(), "before-calendar");
    assert_eq!(
        err.to_string(),
        "2023-12-31 is before the calendar, which starts on 2024-01-01"
    );
    // 2024-01-01 00:00 local is still 2023 in UTC, and is inside.
    assert!(c
        .due(
            parse_time("2023-12-31T18:00:00Z").unwrap(),
            Limit::Minutes(1)
        )
        .is_ok());
    assert_eq!(
        c.is_working_day(date("2023-12-31")).unwrap_err().code(),
        "before-calendar"
    );
    assert_eq!(
        c.is_working_day(date("2125-01-01")).unwrap_err().code(),
        "beyond-calendar"
    );
    assert_eq!(
        c.due(parse_time("2124-12-20").unwrap(), Limit::WorkingDays(30))
            .unwrap_err()
            .code(),
        "beyond-calendar"
    );
    let now = parse_time("2026-11-24T10:00").unwrap();
    for l in [
        Limit::Minutes(0),
        Limit::WorkingDays(0),
        Limit::CalendarDays(0),
    ] {
        assert_eq!(c.due(now, l).unwrap_err().code(), "limit-zero");
    }
}

#[test]
fn calendar_file_errors_name_file_and_line() {
    let text = r#"[[holiday]]
month = 2
day = 30
moves = true
name = { kk = "a", ru = "b" }
source = "s"

[kurban_ait]
name = { kk = "a", ru = "b", en = "c" }
source = ""

[[kurban_ait.year]]
date = 2027-02-03T10:00:00
source = "s"
"#;
    let errs = CalendarData::parse("x.toml", text).unwrap_err();
    let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(&"x.toml:2: no such day: month 2, day 30".to_string()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("x.toml:5: name has no en")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("x.toml:10: source is empty")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("x.toml:13:")),
        "{lines:?}"
    );

    let unknown =
        "[kurban_ait]\nname = { kk = \"a\", ru = \"b\", en = \"c\" }\nsource = \"s\"\ncolour = 1\n";
    let errs = CalendarData::parse("y.toml", unknown).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, 4, "{}", errs[0]);
    assert!(errs[0].message.contains("colour"), "{}", errs[0]);
}

#[test]
fn calendar_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Calendar>();
}

#[test]
fn the_rules_alone_reproduce_the_published_years_but_for_decrees() {
    let mut table: toml::Table = toml::from_str(KZ).unwrap();
    table.remove("published").unwrap();
    let rules_only = toml::to_string(&table).unwrap();
    let data = CalendarData::parse("rules.toml", &rules_only).unwrap();
    let derived = Calendar::build(&data, &[]).unwrap();
    let mut differ = Vec::new();
    let mut d = date("2024-01-01");
    while d <= date("2026-12-31") {
        if derived.is_working_day(d).unwrap() != cal().is_working_day(d).unwrap() {
            differ.push(d.to_string());
        }
        d = d.succ_opt().unwrap();
    }
    // The government's bridges: 8 May 2024 for Sat 4 May, 3 Jan 2025 for
    // Sun 5 Jan. 2026 is exactly the rules.
    assert_eq!(
        differ,
        ["2024-05-04", "2024-05-08", "2025-01-03", "2025-01-05"]
    );
}

#[test]
fn kurban_ait_on_a_weekend_is_not_moved() {
    let c = with_edits(&[CalendarEdit::KurbanAit {
        // Hypothetical: a Sunday, to see that Monday stays a working day.
        date: date("2027-05-16"),
        source: "test".into(),
        recorded: date("2026-11-20"),
    }]);
    assert!(c.is_working_day(date("2027-05-17")).unwrap());
    match c.day(date("2027-05-16")).unwrap().reason {
        DayReason::Holiday { name } => assert_eq!(name.en, "Kurban Ait"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_administrator_publishes_a_year() {
    use qyzmet_domain::calendar::PublishedYear;
    let json = r#"{"kind":"published_year","recorded":"2026-12-20",
        "published":{"year":2027,"source":"Government decree on moving days off for 2027 (test)",
        "days_off":["2027-01-01","2027-01-04","2027-01-05"],"worked":["2027-01-09"]}}"#;
    let edit: CalendarEdit = serde_json::from_str(json).unwrap();
    let c = with_edits(&[edit]);
    assert!(!c.is_working_day(date("2027-01-05")).unwrap());
    assert!(c.is_working_day(date("2027-01-09")).unwrap());
    // Authoritative: a holiday the list leaves out is a working day.
    assert!(c.is_working_day(date("2027-03-08")).unwrap());
    assert!(c
        .unknown_kurban_ait_years(date("2027-01-01"), date("2027-12-31"))
        .is_empty());
    assert_eq!(due_on(&c, "2027-01-01", "w1"), "2027-01-06T18:30:00+05:00");

    let data = CalendarData::parse("kz.toml", KZ).unwrap();
    let bad = CalendarEdit::PublishedYear {
        published: PublishedYear {
            year: 2027,
            days_off: vec![date("2027-01-02")],
            worked: vec![],
            source: "test".into(),
        },
        recorded: date("2026-12-20"),
    };
    let err = Calendar::build(&data, &[bad]).unwrap_err();
    assert_eq!(err.code(), "edit-invalid");
    assert_eq!(
        err.to_string(),
        "invalid calendar edit: 2027-01-02 is a Sat: days off list weekdays, worked days list weekends"
    );
}

#[test]
fn calendar_file_errors_are_all_reported() {
    let text = r#"colour = "green"

[[holiday]]
month = 1
day = 1
moves = true
name = { kk = "a", ru = "b", en = "c" }
source = "s"
wrong = 1

[[holiday]]
month = "May"
day = 1
moves = true
name = { kk = "a", ru = "b", en = "c" }
source = "s"

[kurban_ait]
name = { kk = "a", ru = "b", en = "c" }
source = "s"

[[correction]]
date = 2026-13-01
"#;
    let errs = CalendarData::parse("e.toml", text).unwrap_err();
    let lines: Vec<usize> = errs.iter().map(|d| d.line).collect();
    assert_eq!(lines, [23], "{errs:?}");

    let text = text.replace("2026-13-01", "2026-12-01");
    let errs = CalendarData::parse("e.toml", &text).unwrap_err();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 4, "{shown:#?}");
    assert!(
        shown[0].starts_with("e.toml:1: unknown key `colour`"),
        "{shown:#?}"
    );
    assert!(
        shown[1].starts_with("e.toml:9: unknown field `wrong`"),
        "{shown:#?}"
    );
    assert!(
        shown[2].starts_with("e.toml:12: invalid type"),
        "{shown:#?}"
    );
    assert!(
        shown[3].starts_with("e.toml:22: missing field"),
        "{shown:#?}"
    );
}

#[test]
fn published_lists_are_checked_against_themselves_and_kurban_ait() {
    // A date listed twice.
    let twice = KZ.replacen("    2026-05-27,", "    2026-05-27,\n    2026-05-27,", 1);
    assert_ne!(twice, KZ);
    let errs = CalendarData::parse("kz.toml", &twice).unwrap_err();
    assert!(
        errs.iter()
            .any(|d| d.message == "2026-05-27 is listed twice"),
        "{errs:?}"
    );
    // Kurban Ait moved to another weekday while the published list keeps
    // the old one: the list would silently win.
    let moved = KZ.replacen("date = 2026-05-27", "date = 2026-05-28", 1);
    assert_ne!(moved, KZ);
    let errs = CalendarData::parse("kz.toml", &moved).unwrap_err();
    assert!(
        errs.iter().any(|d| d
            .message
            .starts_with("Kurban Ait of 2026 is 2026-05-28, a weekday, but not among")),
        "{errs:?}"
    );
}
