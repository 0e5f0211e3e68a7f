//! The calendar as data: `catalog/calendars/kz.toml` read into checked
//! values, and the edits an administrator layers over it at run time.

use crate::Diagnostic;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::value::Datetime;
use toml::Spanned;

/// A name in the three languages every user-facing text has.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Names {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

/// A holiday on the same month and day each year, while the law keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedHoliday {
    pub month: u32,
    pub day: u32,
    pub name: Names,
    /// First year in force; `None` since before the calendar starts.
    pub from: Option<i32>,
    /// Last year in force; `None` while it stands.
    pub until: Option<i32>,
    /// Whether an occurrence on Saturday or Sunday gives a day off on the
    /// next working day.
    pub moves: bool,
    pub source: String,
}

impl FixedHoliday {
    pub fn in_force(&self, year: i32) -> bool {
        self.from.is_none_or(|f| f <= year) && self.until.is_none_or(|u| year <= u)
    }
}

/// The first day of Kurban Ait in one year; it is set each year, never moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KurbanAit {
    pub date: NaiveDate,
    pub source: String,
}

/// A year whose calendar has been published: its lists are authoritative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedYear {
    pub year: i32,
    /// Monday-to-Friday days off (holidays, moved days off).
    pub days_off: Vec<NaiveDate>,
    /// Saturdays and Sundays that are working days.
    pub worked: Vec<NaiveDate>,
    pub source: String,
}

/// A change layered over the calendar file, as the storage layer keeps it:
/// dated, with its source. Edits apply in order; a later one wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CalendarEdit {
    /// Makes one date a day off or a working day, over everything else
    /// (a ministerial move, a cancelled day off, a correction).
    Day {
        date: NaiveDate,
        working: bool,
        source: String,
        /// When the change was recorded.
        recorded: NaiveDate,
    },
    /// Sets, or replaces, the first day of Kurban Ait of its year.
    KurbanAit {
        date: NaiveDate,
        source: String,
        recorded: NaiveDate,
    },
    /// Publishes a whole year (or replaces the file's lists for it).
    PublishedYear {
        published: PublishedYear,
        recorded: NaiveDate,
    },
}

/// The checked content of a calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarData {
    holidays: Vec<FixedHoliday>,
    kurban_ait_name: Names,
    kurban_ait_source: String,
    kurban_ait: Vec<KurbanAit>,
    published: Vec<PublishedYear>,
    corrections: Vec<CalendarEdit>,
}

impl CalendarData {
    pub fn holidays(&self) -> &[FixedHoliday] {
        &self.holidays
    }
    pub fn kurban_ait_name(&self) -> &Names {
        &self.kurban_ait_name
    }
    pub fn kurban_ait_source(&self) -> &str {
        &self.kurban_ait_source
    }
    pub fn kurban_ait(&self) -> &[KurbanAit] {
        &self.kurban_ait
    }
    pub fn published(&self) -> &[PublishedYear] {
        &self.published
    }
    /// The file's corrections, as [`CalendarEdit::Day`] values.
    pub fn corrections(&self) -> &[CalendarEdit] {
        &self.corrections
    }

    /// Reads a calendar file. Every problem found is reported as
    /// `file:line: message`: all syntax errors, else every entry's shape
    /// errors (unknown keys, wrong types) and value errors (bad dates,
    /// missing translations, empty sources).
    pub fn parse(file: &str, text: &str) -> Result<CalendarData, Vec<Diagnostic>> {
        let mut c = Checker {
            file,
            text,
            diags: Vec::new(),
        };
        let (root, syntax) = DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            for e in syntax {
                c.toml_err(&e);
            }
            return Err(c.diags);
        }
        // Each entry is read on its own so that one bad entry does not hide
        // the problems of the others.
        let mut raw = RawFile::default();
        let mut kurban_ait = None;
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "holiday" => c.each(value, "holiday", &mut raw.holiday),
                "published" => c.each(value, "published", &mut raw.published),
                "correction" => c.each(value, "correction", &mut raw.correction),
                "kurban_ait" => kurban_ait = c.one::<RawKurbanAit>(value),
                other => c.err(
                    key.span(),
                    format!(
                        "unknown key `{other}`, expected `holiday`, `kurban_ait`, `published` or `correction`"
                    ),
                ),
            }
        }
        let data = match kurban_ait {
            Some(k) => Some(c.check(raw, k)),
            None => {
                if !root.get_ref().contains_key("kurban_ait") {
                    c.err(0..0, "missing table `[kurban_ait]`");
                }
                None
            }
        };
        match data {
            Some(data) if c.diags.is_empty() => Ok(data),
            _ => {
                c.diags.sort_by_key(|d| d.line);
                Err(c.diags)
            }
        }
    }
}

#[derive(Default)]
struct RawFile {
    holiday: Vec<Spanned<RawHoliday>>,
    published: Vec<Spanned<RawPublished>>,
    correction: Vec<Spanned<RawCorrection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    month: Spanned<u32>,
    day: Spanned<u32>,
    name: Spanned<RawNames>,
    from: Option<Spanned<i32>>,
    until: Option<i32>,
    moves: bool,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    kk: Option<Spanned<String>>,
    ru: Option<Spanned<String>>,
    en: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKurbanAit {
    name: Spanned<RawNames>,
    source: Spanned<String>,
    #[serde(default)]
    year: Vec<Spanned<RawKurbanYear>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKurbanYear {
    date: Spanned<Datetime>,
    source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublished {
    year: Spanned<i32>,
    source: Spanned<String>,
    days_off: Vec<Spanned<Datetime>>,
    #[serde(default)]
    worked: Vec<Spanned<Datetime>>,
    /// Free text for readers of the file (what changed after publication).
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCorrection {
    date: Spanned<Datetime>,
    working: bool,
    source: Spanned<String>,
    recorded: Spanned<Datetime>,
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::at_offset(self.file, self.text, span.start, msg));
    }

    fn toml_err(&mut self, e: &toml::de::Error) {
        let span = e.span().unwrap_or(0..0);
        self.err(span, e.message().trim());
    }

    fn one<T: DeserializeOwned>(&mut self, value: &Spanned<DeValue<'_>>) -> Option<T> {
        T::deserialize(ValueDeserializer::from(value.clone()))
            .map_err(|e| self.toml_err(&e))
            .ok()
    }

    fn each<T: DeserializeOwned>(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        key: &str,
        out: &mut Vec<Spanned<T>>,
    ) {
        let Some(items) = value.get_ref().as_array() else {
            self.err(
                value.span(),
                format!("`{key}` must be an array of tables: [[{key}]]"),
            );
            return;
        };
        for item in items.iter() {
            if let Some(v) = self.one::<Spanned<T>>(item) {
                out.push(v);
            }
        }
    }

    fn date(&mut self, d: &Spanned<Datetime>) -> Option<NaiveDate> {
        let v = d.get_ref();
        let found = match (v.date, v.time, v.offset) {
            (Some(date), None, None) => {
                NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
            }
            _ => None,
        };
        if found.is_none() {
            self.err(d.span(), format!("{v} is not a date (YYYY-MM-DD)"));
        }
        found
    }

    fn source(&mut self, s: Spanned<String>) -> String {
        if s.get_ref().trim().is_empty() {
            self.err(s.span(), "source is empty: say where this comes from");
        }
        s.into_inner()
    }

    fn names(&mut self, n: Spanned<RawNames>) -> Names {
        let span = n.span();
        let n = n.into_inner();
        let mut one = |lang: &str, v: Option<Spanned<String>>| match v {
            Some(s) if !s.get_ref().trim().is_empty() => s.into_inner(),
            Some(s) => {
                self.err(s.span(), format!("name.{lang} is empty"));
                String::new()
            }
            None => {
                self.err(span.clone(), format!("name has no {lang} translation"));
                String::new()
            }
        };
        Names {
            kk: one("kk", n.kk),
            ru: one("ru", n.ru),
            en: one("en", n.en),
        }
    }

    fn check(&mut self, raw: RawFile, ka: RawKurbanAit) -> CalendarData {
        let mut holidays = Vec::new();
        for h in raw.holiday {
            let h = h.into_inner();
            let (month, day) = (*h.month.get_ref(), *h.day.get_ref());
            // 2024 is a leap year, so 29 Feb passes here and is checked per year.
            if NaiveDate::from_ymd_opt(2024, month, day).is_none() {
                self.err(
                    h.month.span(),
                    format!("no such day: month {month}, day {day}"),
                );
            }
            if let (Some(f), Some(u)) = (&h.from, h.until) {
                if *f.get_ref() > u {
                    self.err(f.span(), format!("from {} is after until {u}", f.get_ref()));
                }
            }
            holidays.push(FixedHoliday {
                month,
                day,
                name: self.names(h.name),
                from: h.from.map(Spanned::into_inner),
                until: h.until,
                moves: h.moves,
                source: self.source(h.source),
            });
        }

        let kurban_ait_name = self.names(ka.name);
        let kurban_ait_source = self.source(ka.source);
        let mut kurban_ait: Vec<KurbanAit> = Vec::new();
        for y in ka.year {
            let y = y.into_inner();
            let span = y.date.span();
            if let Some(date) = self.date(&y.date) {
                if kurban_ait.iter().any(|k| k.date.year() == date.year()) {
                    self.err(span, format!("Kurban Ait of {} given twice", date.year()));
                }
                kurban_ait.push(KurbanAit {
                    date,
                    source: self.source(y.source),
                });
            }
        }

        let mut published: Vec<PublishedYear> = Vec::new();
        for p in raw.published {
            let p = p.into_inner();
            let year = *p.year.get_ref();
            if published.iter().any(|q| q.year == year) {
                self.err(p.year.span(), format!("year {year} published twice"));
            }
            let mut days_off = Vec::new();
            for d in &p.days_off {
                if let Some(date) = self.date(d) {
                    if date.year() != year {
                        self.err(d.span(), format!("{date} is not in {year}"));
                    } else if is_weekend(date) {
                        self.err(d.span(), format!("{date} is a {}: list only weekdays off (weekends are off unless worked)", date.weekday()));
                    } else if days_off.contains(&date) {
                        self.err(d.span(), format!("{date} is listed twice"));
                    }
                    days_off.push(date);
                }
            }
            let mut worked = Vec::new();
            for d in &p.worked {
                if let Some(date) = self.date(d) {
                    if date.year() != year {
                        self.err(d.span(), format!("{date} is not in {year}"));
                    } else if !is_weekend(date) {
                        self.err(
                            d.span(),
                            format!(
                                "{date} is a {}: list only Saturdays and Sundays worked",
                                date.weekday()
                            ),
                        );
                    } else if worked.contains(&date) {
                        self.err(d.span(), format!("{date} is listed twice"));
                    }
                    worked.push(date);
                }
            }
            // A published year's lists win over the rules, so a Kurban Ait
            // on a weekday that the list forgets would silently not count.
            if let Some(k) = kurban_ait.iter().find(|k| k.date.year() == year) {
                if !is_weekend(k.date) && !days_off.contains(&k.date) {
                    self.err(
                        p.year.span(),
                        format!(
                            "Kurban Ait of {year} is {}, a weekday, but not among the year's days off",
                            k.date
                        ),
                    );
                }
            }
            published.push(PublishedYear {
                year,
                days_off,
                worked,
                source: self.source(p.source),
            });
        }

        let mut corrections = Vec::new();
        for c in raw.correction {
            let c = c.into_inner();
            let date = self.date(&c.date);
            let recorded = self.date(&c.recorded);
            let source = self.source(c.source);
            if let (Some(date), Some(recorded)) = (date, recorded) {
                corrections.push(CalendarEdit::Day {
                    date,
                    working: c.working,
                    source,
                    recorded,
                });
            }
        }

        CalendarData {
            holidays,
            kurban_ait_name,
            kurban_ait_source,
            kurban_ait,
            published,
            corrections,
        }
    }
}

pub(crate) fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}
