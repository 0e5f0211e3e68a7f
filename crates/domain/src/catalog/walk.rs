//! Reading a parsed TOML tree by hand, so that one file can report every
//! problem it has (each unknown key, each bad value) with its line, instead of
//! the first error serde would stop at.

use crate::diag::Diagnostic;
use chrono::NaiveDate;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Text;

/// One file being read: its name, its text, and the diagnostics found so far.
pub(crate) struct Src<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Src<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self {
            file,
            text,
            diags: Vec::new(),
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        crate::diag::line_of(self.text, offset)
    }

    pub fn err(&mut self, offset: usize, msg: impl Into<String>) {
        let d = Diagnostic::at_offset(self.file, self.text, offset, msg);
        self.diags.push(d);
    }

    pub fn err_line(&mut self, line: usize, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(self.file, line, msg));
    }
}

/// A TOML table being read: keys taken are remembered so that what is left at
/// [`Tbl::finish`] is reported as unknown.
pub(crate) struct Tbl<'a, 'i> {
    table: &'a DeTable<'i>,
    /// Where the table starts, for "missing key" errors.
    pub at: usize,
    /// Dotted path of the table, for messages (`steps[2].limit`).
    pub path: String,
    taken: Vec<&'static str>,
}

pub(crate) type Val<'a, 'i> = &'a Spanned<DeValue<'i>>;

fn type_name(v: &DeValue<'_>) -> &'static str {
    v.type_str()
}

impl<'a, 'i> Tbl<'a, 'i> {
    pub fn new(table: &'a DeTable<'i>, at: usize, path: impl Into<String>) -> Self {
        Self {
            table,
            at,
            path: path.into(),
            taken: Vec::new(),
        }
    }

    /// A table out of a value, or an error saying what was expected.
    pub fn of(src: &mut Src<'_>, v: Val<'a, 'i>, path: impl Into<String>) -> Option<Self> {
        let path = path.into();
        match v.get_ref() {
            DeValue::Table(t) => Some(Tbl::new(t, v.span().start, path)),
            other => {
                src.err(
                    v.span().start,
                    format!("`{path}` must be a table, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn get(&mut self, key: &'static str) -> Option<Val<'a, 'i>> {
        self.taken.push(key);
        self.table.get(key)
    }

    /// Whether the key is present (without taking it).
    pub fn has(&self, key: &str) -> bool {
        self.table.get(key).is_some()
    }

    /// The byte offset of a key itself (for messages about that key).
    pub fn key_at(&self, key: &str) -> usize {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(k, _)| k.span().start)
            .unwrap_or(self.at)
    }

    fn missing(&self, src: &mut Src<'_>, key: &str) {
        src.err(self.at, format!("missing key `{}`", self.key_path(key)));
    }

    fn wrong(&self, src: &mut Src<'_>, key: &str, v: Val<'_, '_>, want: &str) {
        src.err(
            v.span().start,
            format!(
                "`{}` must be {want}, found {}",
                self.key_path(key),
                type_name(v.get_ref())
            ),
        );
    }

    pub fn opt_str(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<(String, usize)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.to_string(), v.span().start)),
            _ => {
                self.wrong(src, key, v, "a string");
                None
            }
        }
    }

    /// A required, non-empty string.
    pub fn str(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<(String, usize)> {
        if self.table.get(key).is_none() {
            self.taken.push(key);
            self.missing(src, key);
            return None;
        }
        let (s, at) = self.opt_str(src, key)?;
        if s.trim().is_empty() {
            src.err(at, format!("`{}` must not be empty", self.key_path(key)));
            return None;
        }
        Some((s, at))
    }

    pub fn bool(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong(src, key, v, "true or false");
                None
            }
        }
    }

    pub fn int(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<(i64, usize)> {
        let v = self.get(key)?;
        int_of(v).map(|n| (n, v.span().start)).or_else(|| {
            self.wrong(src, key, v, "an integer");
            None
        })
    }

    pub fn req_int(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<(i64, usize)> {
        if self.table.get(key).is_none() {
            self.taken.push(key);
            self.missing(src, key);
            return None;
        }
        self.int(src, key)
    }

    pub fn date(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<(NaiveDate, usize)> {
        let v = self.get(key)?;
        let at = v.span().start;
        if let DeValue::Datetime(dt) = v.get_ref() {
            if let (Some(d), None, None) = (dt.date, dt.time, dt.offset) {
                if let Some(date) =
                    NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)
                {
                    return Some((date, at));
                }
            }
        }
        src.err(
            at,
            format!(
                "`{}` must be a date like 2018-05-03 (unquoted)",
                self.key_path(key)
            ),
        );
        None
    }

    pub fn req_date(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<(NaiveDate, usize)> {
        if self.table.get(key).is_none() {
            self.taken.push(key);
            self.missing(src, key);
            return None;
        }
        self.date(src, key)
    }

    /// A `{ kk, ru, en }` table; every language must be present and non-empty.
    pub fn opt_text(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<Text> {
        let v = self.get(key)?;
        let path = self.key_path(key);
        text_of(src, v, &path)
    }

    pub fn text(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<Text> {
        if self.table.get(key).is_none() {
            self.taken.push(key);
            self.missing(src, key);
            return None;
        }
        self.opt_text(src, key)
    }

    /// An array of strings (absent: empty).
    pub fn strs(&mut self, src: &mut Src<'_>, key: &'static str) -> Vec<(String, usize)> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong(src, key, v, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), item.span().start)),
                other => src.err(
                    item.span().start,
                    format!(
                        "`{}` must hold strings, found {}",
                        self.key_path(key),
                        type_name(other)
                    ),
                ),
            }
        }
        out
    }

    /// An array of tables (`[[key]]`), each with its path `key[i]`.
    pub fn tables(&mut self, src: &mut Src<'_>, key: &'static str) -> Vec<Tbl<'a, 'i>> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong(src, key, v, "an array of tables");
            return Vec::new();
        };
        let base = self.key_path(key);
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Tbl::of(src, item, format!("{base}[{}]", i + 1)))
            .collect()
    }

    /// The sub-table under `key`, if present.
    pub fn table(&mut self, src: &mut Src<'_>, key: &'static str) -> Option<Tbl<'a, 'i>> {
        let v = self.get(key)?;
        let path = self.key_path(key);
        Tbl::of(src, v, path)
    }

    /// Every entry, for tables whose keys are data (a map by channel).
    pub fn entries(&self) -> Vec<(String, usize, Val<'a, 'i>)> {
        self.table
            .iter()
            .map(|(k, v)| (k.get_ref().to_string(), k.span().start, v))
            .collect()
    }

    /// Reports every key that was never asked for.
    pub fn finish(self, src: &mut Src<'_>) {
        for (k, _) in self.table.iter() {
            if !self.taken.contains(&k.get_ref().as_ref()) {
                src.err(
                    k.span().start,
                    format!("unknown key `{}`", self.key_path(k.get_ref())),
                );
            }
        }
    }
}

pub(crate) fn int_of(v: Val<'_, '_>) -> Option<i64> {
    match v.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    }
}

pub(crate) fn text_of(src: &mut Src<'_>, v: Val<'_, '_>, path: &str) -> Option<Text> {
    let mut t = Tbl::of(src, v, path)?;
    let mut lang = |t: &mut Tbl<'_, '_>, key: &'static str| -> Option<String> {
        match t.get(key) {
            None => {
                src.err(t.at, format!("missing translation `{path}.{key}`"));
                None
            }
            Some(v) => match v.get_ref() {
                DeValue::String(s) if !s.trim().is_empty() => Some(s.to_string()),
                DeValue::String(_) => {
                    src.err(
                        v.span().start,
                        format!("missing translation `{path}.{key}` (empty)"),
                    );
                    None
                }
                other => {
                    src.err(
                        v.span().start,
                        format!(
                            "`{path}.{key}` must be a string, found {}",
                            type_name(other)
                        ),
                    );
                    None
                }
            },
        }
    };
    let kk = lang(&mut t, "kk");
    let ru = lang(&mut t, "ru");
    let en = lang(&mut t, "en");
    t.finish(src);
    Some(Text {
        kk: kk?,
        ru: ru?,
        en: en?,
    })
}

/// Parses a whole file into its root table, reporting a syntax error with its line.
pub(crate) fn parse<'i>(src: &mut Src<'_>, text: &'i str) -> Option<Spanned<DeTable<'i>>> {
    match DeTable::parse(text) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = e.span().map(|s: Range<usize>| s.start).unwrap_or(0);
            let msg = e.message().trim().to_owned();
            src.err(at, format!("invalid TOML: {msg}"));
            None
        }
    }
}
