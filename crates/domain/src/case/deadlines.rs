//! The real calendar behind the engine's [`Deadlines`]: instants cross over
//! in UTC, the calendar reckons in Asia/Almaty.

use super::process::{Deadlines, Remaining};
use crate::calendar::{Calendar, ZONE};
use crate::Limit;
use chrono::{DateTime, Utc};

fn local(t: DateTime<Utc>) -> crate::calendar::Instant {
    t.with_timezone(&ZONE)
}

// The calendar only fails outside the years it covers (2024–2124). An
// application is taken in "now", so that cannot happen in service; should
// it, the deadline falls at the start and the step shows overdue at once,
// which a person notices, rather than the command failing.
impl Deadlines for Calendar {
    fn due(&self, start: DateTime<Utc>, limit: Limit) -> DateTime<Utc> {
        Calendar::due(self, local(start), limit)
            .map(|t| t.to_utc())
            .unwrap_or(start)
    }

    fn state_corporation_start(&self, received: DateTime<Utc>) -> DateTime<Utc> {
        Calendar::state_corporation_start(self, local(received))
            .map(|t| t.to_utc())
            .unwrap_or(received)
    }

    fn pause(&self, limit: Limit, due: DateTime<Utc>, paused_at: DateTime<Utc>) -> Remaining {
        Calendar::pause(self, limit, local(due), local(paused_at))
    }

    fn resume(&self, left: Remaining, at: DateTime<Utc>) -> DateTime<Utc> {
        Calendar::resume(self, left, local(at))
            .map(|t| t.to_utc())
            .unwrap_or(at)
    }

    fn pause_auto_end(&self, paused_at: DateTime<Utc>) -> DateTime<Utc> {
        Calendar::pause_auto_end(self, local(paused_at))
            .map(|t| t.to_utc())
            .unwrap_or(paused_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{parse_time, CalendarData, BUILTIN_KZ_FILE, BUILTIN_KZ_TOML};

    fn kz() -> Calendar {
        Calendar::build(
            &CalendarData::parse(BUILTIN_KZ_FILE, BUILTIN_KZ_TOML).unwrap(),
            &[],
        )
        .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        parse_time(s).unwrap().to_utc()
    }

    #[test]
    fn the_engine_gets_the_calendars_deadlines_in_utc() {
        let cal = kz();
        let d: &dyn Deadlines = &cal;
        // Friday 17:00 local + 2 working days = Tuesday 18:30 local = 13:30 UTC.
        assert_eq!(
            d.due(utc("2026-11-20T12:00:00Z"), Limit::WorkingDays(2)),
            utc("2026-11-24T13:30:00Z")
        );
        // Received on Friday evening at a State Corporation counter: the
        // provider's clock starts on Monday at 09:00 local.
        assert_eq!(
            d.state_corporation_start(utc("2026-11-20T14:00:00Z")),
            utc("2026-11-23T04:00:00Z")
        );
        let left = d.pause(
            Limit::Minutes(30),
            utc("2026-11-23T05:00:00Z"),
            utc("2026-11-23T04:50:00Z"),
        );
        assert_eq!(left, Remaining::WorkingSeconds(600));
        assert_eq!(
            d.resume(left, utc("2026-11-24T04:00:00Z")),
            utc("2026-11-24T04:10:00Z")
        );
    }
}
