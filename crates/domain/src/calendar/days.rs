//! The calendar built: one working flag a day from 2024-01-01 through
//! [`LAST_YEAR`], with prefix counts so that "the Nth working day after D"
//! is two array reads, and the reason each unusual day is what it is.

use super::data::{is_weekend, CalendarData, CalendarEdit, KurbanAit, Names, PublishedYear};
use super::{CalendarError, FIRST_YEAR, LAST_YEAR, ZONE};
use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::TzOffset;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why a day is working or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayReason {
    /// An ordinary Monday to Friday.
    Weekday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A public holiday (on a weekday or a weekend).
    Holiday { name: Names },
    /// The day off given for a holiday that fell on a Saturday or Sunday.
    MovedDayOff { holiday: Names, from: NaiveDate },
    /// A weekday off in a published year that no holiday rule explains
    /// (a day off moved by decree to bridge a holiday).
    DecreeDayOff { source: String },
    /// A Saturday or Sunday worked, by a published year's list.
    WorkingWeekend { source: String },
    /// A correction or an administrator's edit, over everything else.
    Correction {
        working: bool,
        source: String,
        recorded: NaiveDate,
    },
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayInfo {
    pub date: NaiveDate,
    pub working: bool,
    pub reason: DayReason,
}

/// The working-time calendar: immutable once built, cheap to query, shared
/// between threads (wrap it in an `Arc`).
#[derive(Debug, Clone)]
pub struct Calendar {
    /// `num_days_from_ce` of 2024-01-01: day index 0.
    pub(super) epoch_ce: i32,
    /// `prefix[i]` = working days among day indices `0..i`; one longer than
    /// the number of days.
    pub(super) prefix: Vec<u32>,
    /// The day index of every working day, in order.
    pub(super) working: Vec<u32>,
    /// Reasons of the days that are not an ordinary weekday or weekend.
    special: HashMap<u32, DayReason>,
    /// Years (from [`FIRST_YEAR`]) computed without a Kurban Ait.
    unknown_kurban_ait: Vec<i32>,
    /// Runs of days whose working hours share one UTC offset, by first day
    /// index, so a deadline is built without a zone lookup; `None` marks a
    /// day whose offset changes during working hours (none is known), left
    /// to chrono-tz.
    pub(super) offsets: Vec<(u32, Option<TzOffset>)>,
}

impl Calendar {
    /// Builds the calendar from the file's data with the edits layered over
    /// it, in order. A published year's lists are authoritative; a later
    /// year follows the holiday rules.
    pub fn build(data: &CalendarData, edits: &[CalendarEdit]) -> Result<Calendar, CalendarError> {
        let first = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("valid date");
        let last = NaiveDate::from_ymd_opt(LAST_YEAR, 12, 31).expect("valid date");
        let epoch_ce = first.num_days_from_ce();
        let n = (last.num_days_from_ce() - epoch_ce + 1) as usize;
        let in_range = |d: NaiveDate| {
            if d < first {
                Err(CalendarError::EditInvalid(format!(
                    "{d} is before the calendar, which starts on {first}"
                )))
            } else if d > last {
                Err(CalendarError::EditInvalid(format!(
                    "{d} is beyond the calendar, which ends on {last}"
                )))
            } else {
                Ok(())
            }
        };

        let mut kurban: BTreeMap<i32, KurbanAit> = data
            .kurban_ait()
            .iter()
            .map(|k| (k.date.year(), k.clone()))
            .collect();
        let mut published: BTreeMap<i32, PublishedYear> = data
            .published()
            .iter()
            .map(|p| (p.year, p.clone()))
            .collect();
        let mut day_edits: Vec<&CalendarEdit> = data.corrections().iter().collect();
        for e in edits {
            match e {
                CalendarEdit::Day { date, .. } => {
                    in_range(*date)?;
                    day_edits.push(e);
                }
                CalendarEdit::KurbanAit { date, source, .. } => {
                    in_range(*date)?;
                    kurban.insert(
                        date.year(),
                        KurbanAit {
                            date: *date,
                            source: source.clone(),
                        },
                    );
                }
                CalendarEdit::PublishedYear { published: p, .. } => {
                    for (d, must_be_weekend) in p
                        .days_off
                        .iter()
                        .map(|d| (d, false))
                        .chain(p.worked.iter().map(|d| (d, true)))
                    {
                        in_range(*d)?;
                        if d.year() != p.year {
                            return Err(CalendarError::EditInvalid(format!(
                                "{d} is not in {}",
                                p.year
                            )));
                        }
                        if is_weekend(*d) != must_be_weekend {
                            return Err(CalendarError::EditInvalid(format!(
                                "{d} is a {}: days off list weekdays, worked days list weekends",
                                d.weekday()
                            )));
                        }
                    }
                    published.insert(p.year, p.clone());
                }
            }
        }

        let derived = derive(data, &kurban);
        let mut off = vec![false; n];
        let mut special: HashMap<u32, DayReason> = HashMap::new();
        let mut date = first;
        for (i, slot) in off.iter_mut().enumerate() {
            let weekend = is_weekend(date);
            let rule = derived.get(&date);
            let (is_off, reason) = match published.get(&date.year()) {
                Some(p) => {
                    let listed_off = p.days_off.contains(&date);
                    let worked = p.worked.contains(&date);
                    let is_off = listed_off || (weekend && !worked);
                    let reason = match rule {
                        Some(r) if is_off => Some(r.clone()),
                        _ if worked => Some(DayReason::WorkingWeekend {
                            source: p.source.clone(),
                        }),
                        _ if listed_off => Some(DayReason::DecreeDayOff {
                            source: p.source.clone(),
                        }),
                        _ => None,
                    };
                    (is_off, reason)
                }
                None => (weekend || rule.is_some(), rule.cloned()),
            };
            *slot = is_off;
            if let Some(r) = reason {
                special.insert(i as u32, r);
            }
            date = date.succ_opt().unwrap_or(date);
        }

        for e in day_edits {
            if let CalendarEdit::Day {
                date,
                working,
                source,
                recorded,
            } = e
            {
                let Some(i) = index_in(epoch_ce, n, *date) else {
                    continue;
                };
                off[i] = !working;
                special.insert(
                    i as u32,
                    DayReason::Correction {
                        working: *working,
                        source: source.clone(),
                        recorded: *recorded,
                    },
                );
            }
        }

        let mut prefix = Vec::with_capacity(n + 1);
        let mut working = Vec::with_capacity(n);
        prefix.push(0u32);
        for (i, is_off) in off.iter().enumerate() {
            if !is_off {
                working.push(i as u32);
            }
            prefix.push(working.len() as u32);
        }

        let unknown_kurban_ait = (FIRST_YEAR..=LAST_YEAR)
            .filter(|y| !kurban.contains_key(y) && !published.contains_key(y))
            .collect();

        Ok(Calendar {
            epoch_ce,
            prefix,
            working,
            special,
            unknown_kurban_ait,
            offsets: offset_runs(first, n),
        })
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.index(d)?;
        Ok(self.is_working(i))
    }

    /// Whether `d` is a working day, and why.
    pub fn day(&self, d: NaiveDate) -> Result<DayInfo, CalendarError> {
        let i = self.index(d)?;
        let reason = match self.special.get(&(i as u32)) {
            Some(r) => r.clone(),
            None if is_weekend(d) => DayReason::Weekend,
            None => DayReason::Weekday,
        };
        Ok(DayInfo {
            date: d,
            working: self.is_working(i),
            reason,
        })
    }

    /// The years from `from`'s to `to`'s (clipped to the calendar) computed
    /// without a Kurban Ait because none is published: callers warn.
    pub fn unknown_kurban_ait_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        let (a, b) = (from.year(), to.year());
        self.unknown_kurban_ait
            .iter()
            .copied()
            .filter(|y| a <= *y && *y <= b)
            .collect()
    }

    pub(super) fn index(&self, d: NaiveDate) -> Result<usize, CalendarError> {
        let i = d.num_days_from_ce() - self.epoch_ce;
        if i < 0 {
            Err(CalendarError::BeforeCalendar(d))
        } else if i as usize >= self.days() {
            Err(CalendarError::BeyondCalendar(d))
        } else {
            Ok(i as usize)
        }
    }

    pub(super) fn days(&self) -> usize {
        self.prefix.len() - 1
    }

    pub(super) fn is_working(&self, i: usize) -> bool {
        self.prefix[i + 1] > self.prefix[i]
    }

    pub(super) fn date_of(&self, i: u32) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.epoch_ce + i as i32)
            .expect("day index inside the calendar")
    }
}

/// The zone's offset during each day's working hours, as runs: the tz
/// database is asked once per day here rather than once per deadline.
fn offset_runs(first: NaiveDate, n: usize) -> Vec<(u32, Option<TzOffset>)> {
    let open = NaiveTime::from_hms_opt(9, 0, 0).expect("valid time");
    let close = NaiveTime::from_hms_opt(18, 30, 0).expect("valid time");
    let mut runs: Vec<(u32, Option<TzOffset>)> = Vec::new();
    let mut date = first;
    for i in 0..n {
        let at = |t| ZONE.from_local_datetime(&date.and_time(t)).single();
        let offset = match (at(open), at(close)) {
            (Some(a), Some(b)) if a.offset() == b.offset() => Some(*a.offset()),
            _ => None,
        };
        if runs.last().is_none_or(|r| r.1 != offset) {
            runs.push((i as u32, offset));
        }
        date = date.succ_opt().unwrap_or(date);
    }
    runs
}

fn index_in(epoch_ce: i32, n: usize, d: NaiveDate) -> Option<usize> {
    let i = d.num_days_from_ce() - epoch_ce;
    (i >= 0 && (i as usize) < n).then_some(i as usize)
}

/// The days off the holiday rules give, every year: holidays, and for a
/// holiday on Saturday or Sunday that moves, a day off on the next day that
/// is neither a weekend nor already off (so Nauryz 21–23 March on Sat–Mon
/// gives Tuesday and Wednesday).
fn derive(data: &CalendarData, kurban: &BTreeMap<i32, KurbanAit>) -> HashMap<NaiveDate, DayReason> {
    let mut out = HashMap::new();
    for year in FIRST_YEAR..=LAST_YEAR {
        let mut holidays: Vec<(NaiveDate, &Names, bool)> = data
            .holidays()
            .iter()
            .filter(|h| h.in_force(year))
            .filter_map(|h| {
                Some((
                    NaiveDate::from_ymd_opt(year, h.month, h.day)?,
                    &h.name,
                    h.moves,
                ))
            })
            .collect();
        if let Some(k) = kurban.get(&year) {
            holidays.push((k.date, data.kurban_ait_name(), false));
        }
        holidays.sort_by_key(|h| h.0);
        let mut taken: HashSet<NaiveDate> = holidays.iter().map(|h| h.0).collect();
        for (date, name, moves) in &holidays {
            out.entry(*date).or_insert_with(|| DayReason::Holiday {
                name: (*name).clone(),
            });
            if *moves && is_weekend(*date) {
                let mut m = *date;
                while is_weekend(m) || taken.contains(&m) {
                    m = m + Days::new(1);
                }
                taken.insert(m);
                out.insert(
                    m,
                    DayReason::MovedDayOff {
                        holiday: (*name).clone(),
                        from: *date,
                    },
                );
            }
        }
    }
    out
}
