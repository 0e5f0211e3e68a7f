//! Deadlines per second on the real calendar, next to the cost of merely
//! converting the same starts from UTC to Almaty time (the baseline).

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use qyzmet_domain::calendar::{Calendar, CalendarData, Instant, ZONE};
use qyzmet_domain::Limit;
use std::hint::black_box;

const STARTS: usize = 4096;

/// Starts spread over 2024–2030 at all hours, from a fixed LCG.
fn starts() -> Vec<Instant> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let from = 1_704_045_600i64;
    let span = 7 * 365 * 86_400u64;
    (0..STARTS)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let ts = from + ((x >> 11) % span) as i64;
            Utc.timestamp_opt(ts, 0).unwrap().with_timezone(&ZONE)
        })
        .collect()
}

fn deadlines(c: &mut Criterion) {
    let text = include_str!("../../../catalog/calendars/kz.toml");
    let cal = Calendar::build(&CalendarData::parse("kz.toml", text).unwrap(), &[]).unwrap();
    let starts = starts();
    let utc: Vec<_> = starts.iter().map(|t| t.with_timezone(&Utc)).collect();

    let mut g = c.benchmark_group("deadlines");
    g.throughput(Throughput::Elements(STARTS as u64));
    g.bench_function("baseline_utc_to_almaty", |b| {
        b.iter(|| {
            for t in &utc {
                black_box(black_box(t).with_timezone(&ZONE));
            }
        })
    });
    for (name, limit) in [
        ("working_days_10", Limit::WorkingDays(10)),
        ("minutes_600", Limit::Minutes(600)),
        ("calendar_days_30", Limit::CalendarDays(30)),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                for t in &starts {
                    black_box(cal.due(black_box(*t), limit).unwrap());
                }
            })
        });
    }
    // Instants carried in another zone pay one tz lookup first.
    let foreign: Vec<Instant> = utc
        .iter()
        .map(|t| t.with_timezone(&chrono_tz::UTC))
        .collect();
    g.bench_function("working_days_10_utc_zoned_input", |b| {
        b.iter(|| {
            for t in &foreign {
                black_box(cal.due(black_box(*t), Limit::WorkingDays(10)).unwrap());
            }
        })
    });
    g.finish();

    c.bench_function("build_calendar_2024_2124", |b| {
        let data = CalendarData::parse("kz.toml", text).unwrap();
        b.iter(|| Calendar::build(black_box(&data), &[]).unwrap())
    });
}

criterion_group!(benches, deadlines);
criterion_main!(benches);
