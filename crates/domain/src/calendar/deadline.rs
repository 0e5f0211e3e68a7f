//! Deadlines: how a [`Limit`] started at an instant becomes the instant it
//! ends, and how a paused step's clock is kept and restarted.
//!
//! Working time is counted in whole seconds on a single axis: position `p`
//! is the number of working seconds from the calendar's first day to an
//! instant. A working day holds 28,800 of them (09:00–13:00, 14:30–18:30),
//! so an instant's position and a position's instant are O(1) with the
//! calendar's prefix counts, and nothing here allocates.

use super::time::local;
use super::{Calendar, CalendarError, Instant, ZONE};
use crate::Limit;
use chrono::{DateTime, NaiveTime, Offset, TimeDelta, Timelike};
use serde::{Deserialize, Serialize};

const OPEN_AM: u32 = 9 * 3600;
const CLOSE_AM: u32 = 13 * 3600;
const OPEN_PM: u32 = 14 * 3600 + 30 * 60;
const CLOSE: u32 = 18 * 3600 + 30 * 60;
const MORNING: u32 = CLOSE_AM - OPEN_AM;
const DAY: u64 = (MORNING + CLOSE - OPEN_PM) as u64;

/// What was left of a step's limit when its clock was paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Remaining {
    /// Working seconds between the pause and the deadline (a minutes limit).
    WorkingSeconds(u64),
    /// Working days strictly after the pause date up to and including the
    /// deadline's date (a working-days limit).
    WorkingDays(u32),
    /// The deadline's date minus the pause date (a calendar-days limit).
    CalendarDays(u32),
}

impl Remaining {
    pub fn is_nothing(self) -> bool {
        matches!(
            self,
            Remaining::WorkingSeconds(0) | Remaining::WorkingDays(0) | Remaining::CalendarDays(0)
        )
    }
}

impl Calendar {
    /// The deadline of `limit` started at `start` (`contract.md`, "Time").
    pub fn due(&self, start: Instant, limit: Limit) -> Result<Instant, CalendarError> {
        if limit.amount() == 0 {
            return Err(CalendarError::LimitZero);
        }
        let (day, secs) = self.local_parts(&start)?;
        match limit {
            Limit::Minutes(n) => self.at_position(self.position(day, secs) + u64::from(n) * 60),
            Limit::WorkingDays(n) => {
                // The start's own day never counts, whatever the hour.
                let k = self.prefix[day + 1] as usize + n as usize - 1;
                self.close_of_working(k)
            }
            Limit::CalendarDays(n) => {
                let target = day + n as usize;
                if target >= self.days() {
                    return Err(CalendarError::DeadlineBeyondCalendar);
                }
                self.close_of_working(self.prefix[target] as usize)
            }
        }
    }

    /// When the provider's first step starts for an application received
    /// through the State Corporation: the day of receipt is not counted, the
    /// clock starts at 09:00 of the next working day.
    pub fn state_corporation_start(&self, received: Instant) -> Result<Instant, CalendarError> {
        let (day, _) = self.local_parts(&received)?;
        let k = self.prefix[day + 1] as usize;
        let d = *self
            .working
            .get(k)
            .ok_or(CalendarError::DeadlineBeyondCalendar)?;
        self.local_instant(d, OPEN_AM)
    }

    /// What is left of a step's `limit`, due at `due`, when it is paused at
    /// `paused_at`. Nothing is left once the deadline has passed. Instants
    /// outside the calendar are taken at its nearest end (they cannot come
    /// from a deadline this calendar computed).
    pub fn pause(&self, limit: Limit, due: Instant, paused_at: Instant) -> Remaining {
        let (dd, ds) = self.local_parts_clamped(&due);
        let (pd, ps) = self.local_parts_clamped(&paused_at);
        match limit {
            Limit::Minutes(_) => Remaining::WorkingSeconds(
                self.position(dd, ds).saturating_sub(self.position(pd, ps)),
            ),
            Limit::WorkingDays(_) => {
                Remaining::WorkingDays(self.prefix[dd + 1].saturating_sub(self.prefix[pd + 1]))
            }
            Limit::CalendarDays(_) => {
                Remaining::CalendarDays(u32::try_from(dd.saturating_sub(pd)).unwrap_or(u32::MAX))
            }
        }
    }

    /// The new deadline of a paused step resumed at `at` with `left`.
    ///
    /// With nothing left the deadline is close of business of the resume
    /// day, as `contract.md` says; when the resume day is not a working day
    /// it is 18:30 of the next working day, since a deadline is never on a
    /// day off. (Resumed after 18:30 with nothing left, the step is overdue
    /// at once: that is the rule, not a slip.)
    pub fn resume(&self, left: Remaining, at: Instant) -> Result<Instant, CalendarError> {
        let (day, secs) = self.local_parts(&at)?;
        if left.is_nothing() {
            return self.close_of_working(self.prefix[day] as usize);
        }
        match left {
            Remaining::WorkingSeconds(s) => self.at_position(
                self.position(day, secs)
                    .checked_add(s)
                    .ok_or(CalendarError::DeadlineBeyondCalendar)?,
            ),
            Remaining::WorkingDays(n) => self.due(at, Limit::WorkingDays(n)),
            Remaining::CalendarDays(n) => self.due(at, Limit::CalendarDays(n)),
        }
    }

    /// When a pause started at `paused_at` ends by itself: close of business
    /// of its 30th calendar day, moved off a day off like any calendar-days
    /// deadline (the calendar-days-30 rule from the pause instant).
    pub fn pause_auto_end(&self, paused_at: Instant) -> Result<Instant, CalendarError> {
        self.due(paused_at, Limit::CalendarDays(30))
    }

    /// Working seconds from `a` to `b`; 0 when `b` is not after `a`.
    pub fn working_seconds_between(&self, a: Instant, b: Instant) -> Result<u64, CalendarError> {
        let (ad, as_) = self.local_parts(&a)?;
        let (bd, bs) = self.local_parts(&b)?;
        Ok(self.position(bd, bs).saturating_sub(self.position(ad, as_)))
    }

    /// Day index and second of the local day, a sub-second instant rounded
    /// up to the next whole second.
    fn local_parts(&self, t: &Instant) -> Result<(usize, u32), CalendarError> {
        // Instants made by this module are already in the zone: no lookup.
        let l = if t.timezone() == ZONE {
            t.naive_local()
        } else {
            t.with_timezone(&ZONE).naive_local()
        };
        let mut date = l.date();
        let mut secs = l.num_seconds_from_midnight();
        if l.nanosecond() > 0 {
            secs += 1;
            if secs == 86_400 {
                secs = 0;
                date = date.succ_opt().ok_or(CalendarError::BeyondCalendar(date))?;
            }
        }
        Ok((self.index(date)?, secs))
    }

    fn local_parts_clamped(&self, t: &Instant) -> (usize, u32) {
        match self.local_parts(t) {
            Ok(p) => p,
            Err(CalendarError::BeforeCalendar(_)) => (0, 0),
            Err(_) => (self.days() - 1, 86_399),
        }
    }

    /// Working seconds from the calendar's start to second `secs` of day
    /// `day`.
    fn position(&self, day: usize, secs: u32) -> u64 {
        let before = u64::from(self.prefix[day]) * DAY;
        if !self.is_working(day) {
            return before;
        }
        let into = if secs < OPEN_AM {
            0
        } else if secs < CLOSE_AM {
            secs - OPEN_AM
        } else if secs < OPEN_PM {
            MORNING
        } else if secs < CLOSE {
            MORNING + secs - OPEN_PM
        } else {
            DAY as u32
        };
        before + u64::from(into)
    }

    /// The instant working second `p` (≥ 1) ends: a deadline may be 13:00
    /// or 18:30 exactly, never 14:30 or 09:00.
    fn at_position(&self, p: u64) -> Result<Instant, CalendarError> {
        let k = (p - 1) / DAY;
        let into = (p - k * DAY) as u32;
        let day = *usize::try_from(k)
            .ok()
            .and_then(|k| self.working.get(k))
            .ok_or(CalendarError::DeadlineBeyondCalendar)?;
        let secs = if into <= MORNING {
            OPEN_AM + into
        } else {
            OPEN_PM + into - MORNING
        };
        self.local_instant(day, secs)
    }

    /// 18:30 of the `k`th working day (0-based) of the calendar.
    fn close_of_working(&self, k: usize) -> Result<Instant, CalendarError> {
        let day = *self
            .working
            .get(k)
            .ok_or(CalendarError::DeadlineBeyondCalendar)?;
        self.local_instant(day, CLOSE)
    }

    fn local_instant(&self, day: u32, secs: u32) -> Result<Instant, CalendarError> {
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)
            .ok_or(CalendarError::DeadlineBeyondCalendar)?;
        let naive = self.date_of(day).and_time(time);
        let run = self.offsets.partition_point(|r| r.0 <= day) - 1;
        match self.offsets[run].1 {
            Some(offset) => {
                let utc = naive - TimeDelta::seconds(offset.fix().local_minus_utc().into());
                Ok(DateTime::from_naive_utc_and_offset(utc, offset))
            }
            // Working hours never fall in Almaty's one repeated or skipped hour.
            None => local(naive).ok_or(CalendarError::DeadlineBeyondCalendar),
        }
    }
}
