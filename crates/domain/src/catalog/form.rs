//! Application forms as JSON Schema 2020-12, with the `kz-iin` format
//! checked by [`Iin::parse`](crate::iin::Iin::parse), the `iban` format by
//! [`iban::check`], and three keywords of Qyzmet's own for what depends on
//! the day the form is checked (see [`day_problems`]).

use crate::iban;
use crate::iin::Iin;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

/// On a date: not later than the day the form is checked (a birth, a
/// court decision). The only value is `"today"`.
pub const NOT_AFTER: &str = "x-not-after";
/// On a date: not earlier than the day the form is checked (a meeting
/// asked for). The only value is `"today"`.
pub const NOT_BEFORE: &str = "x-not-before";
/// On a date: the birth date that the IIN in the named property of the same
/// object carries (domain.md: an IIN begins with its holder's birth date).
pub const BIRTH_DATE_OF: &str = "x-birth-date-of";

pub(crate) const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// One problem in a submitted form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormError {
    /// JSON pointer of the offending value (`/children/0/iin`; `` for the root).
    pub path: String,
    pub message: String,
}

/// A compiled form schema.
#[derive(Debug, Clone)]
pub(crate) struct FormSchema {
    pub schema: Value,
    validator: jsonschema::Validator,
}

/// Compiles a schema: it must declare the 2020-12 dialect, pass the
/// meta-schema, and build (all `$ref`s local: nothing is fetched).
/// The error carries a JSON pointer into the schema, when there is one.
pub(crate) fn compile(schema: Value) -> Result<FormSchema, (String, String)> {
    match schema.get("$schema").and_then(Value::as_str) {
        Some(DIALECT) => {}
        Some(other) => {
            return Err((
                "/$schema".into(),
                format!(
                "`$schema` is `{other}`; form schemas must be JSON Schema 2020-12 (`{DIALECT}`)"
            ),
            ))
        }
        None => {
            return Err((
                String::new(),
                format!("missing `$schema`: form schemas must declare `{DIALECT}`"),
            ))
        }
    }
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        return Err((
            e.instance_path().as_str().to_owned(),
            format!("not a valid JSON Schema 2020-12: {e}"),
        ));
    }
    check_keywords(&schema, &schema, &mut String::new(), None, true, false)?;
    let validator = jsonschema::draft202012::options()
        .with_format("kz-iin", |s: &str| Iin::parse(s).is_ok())
        .with_format("iban", |s: &str| iban::check(s).is_ok())
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| (String::new(), format!("schema does not compile: {e}")))?;
    Ok(FormSchema { schema, validator })
}

impl FormSchema {
    /// Checks `form` against the schema and, on the day `today` (Almaty),
    /// against its day keywords.
    pub fn validate(&self, form: &Value, today: NaiveDate) -> Result<(), Vec<FormError>> {
        let mut errors: Vec<FormError> = self
            .validator
            .iter_errors(form)
            .map(|e| {
                let path = e.instance_path().as_str().to_owned();
                let message = format_reason(form, &path, &e.to_string());
                FormError { path, message }
            })
            .collect();
        errors.extend(
            day_problems(&self.schema, form, today)
                .into_iter()
                .map(|p| FormError {
                    message: p.kind.to_string(),
                    path: p.path,
                }),
        );
        if errors.is_empty() {
            return Ok(());
        }
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        Err(errors)
    }
}

/// A failed format says only "is not a kz-iin"; say why, as the IIN and
/// IBAN modules do.
fn format_reason(form: &Value, path: &str, message: &str) -> String {
    let value = form.pointer(path).and_then(Value::as_str);
    if message.contains("\"kz-iin\"") {
        if let Some(Err(e)) = value.map(Iin::parse) {
            return format!("not a valid IIN: {e}");
        }
    } else if message.contains("\"iban\"") {
        if let Some(Err(e)) = value.map(iban::check) {
            return format!("not a valid IBAN: {e}");
        }
    }
    message.to_owned()
}

/// What a day keyword found wrong with a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayProblemKind {
    #[error("the date is later than today ({today})")]
    AfterToday { today: NaiveDate },
    #[error("the date is earlier than today ({today})")]
    BeforeToday { today: NaiveDate },
    #[error("the birth date differs from the one the IIN carries ({iin_date})")]
    NotIinBirthDate { iin_date: NaiveDate },
}

/// A date that breaks one of the schema's day keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayProblem {
    /// JSON pointer of the date.
    pub path: String,
    pub kind: DayProblemKind,
}

/// The dates of `form` that break the day keywords of `schema`
/// ([`NOT_AFTER`], [`NOT_BEFORE`], [`BIRTH_DATE_OF`]) on `today`. Values that
/// are not dates, and IINs that are not valid, are left to the schema's own
/// checks, so nothing is reported twice.
pub fn day_problems(schema: &Value, form: &Value, today: NaiveDate) -> Vec<DayProblem> {
    let mut out = Vec::new();
    walk_days(schema, schema, form, &mut String::new(), today, &mut out);
    out
}

/// A form's date: a full `YYYY-MM-DD`, as the schema's `date` format takes
/// it (chrono alone would also read `2099-1-1`).
pub fn full_date(s: &str) -> Option<NaiveDate> {
    (s.len() == 10)
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// Appends one JSON pointer step.
fn push_key(path: &mut String, key: &str) {
    path.push('/');
    path.push_str(&key.replace('~', "~0").replace('/', "~1"));
}

/// A local `$ref` (`#/$defs/child`) followed; anything else as it is.
/// A chain of references is followed a few steps at most (a loop ends).
pub fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            Some(target) => s = target,
            None => break,
        }
    }
    s
}

fn walk_days(
    root: &Value,
    schema: &Value,
    value: &Value,
    path: &mut String,
    today: NaiveDate,
    out: &mut Vec<DayProblem>,
) {
    let schema = resolve(root, schema);
    let at = path.len();
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, s) in props {
            let Some(v) = obj.get(key) else { continue };
            push_key(path, key);
            let raw = s;
            let s = resolve(root, s);
            // The keywords beside a `$ref` first, then those of what it
            // names. Only a full date (`2026-12-05`) is read: anything else
            // is the schema's `date` format's to report.
            if let Some(kind) = v.as_str().and_then(full_date).and_then(|date| {
                day_problem(raw, obj, date, today).or_else(|| day_problem(s, obj, date, today))
            }) {
                out.push(DayProblem {
                    path: path.clone(),
                    kind,
                });
            }
            walk_days(root, s, v, path, today, out);
            path.truncate(at);
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            push_key(path, &i.to_string());
            walk_days(root, items, v, path, today, out);
            path.truncate(at);
        }
    }
}

fn day_problem(
    s: &Value,
    siblings: &Map<String, Value>,
    date: NaiveDate,
    today: NaiveDate,
) -> Option<DayProblemKind> {
    if s.get(NOT_AFTER).is_some() && date > today {
        return Some(DayProblemKind::AfterToday { today });
    }
    if s.get(NOT_BEFORE).is_some() && date < today {
        return Some(DayProblemKind::BeforeToday { today });
    }
    let iin_date = s
        .get(BIRTH_DATE_OF)
        .and_then(Value::as_str)
        .and_then(|k| siblings.get(k))
        .and_then(Value::as_str)
        .and_then(|i| Iin::parse(i).ok())
        .and_then(|i| i.birth_date())?;
    (iin_date != date).then_some(DayProblemKind::NotIinBirthDate { iin_date })
}

/// The day keywords where they are, each with a value it can mean and
/// where [`day_problems`] reads it: on a date property (`format: date`, on
/// it or on what its `$ref` names) of an object reached through
/// `properties`, `items` and `$defs` (not under `allOf`, `anyOf`, `if` or
/// the like, where it would silently check nothing). The catalog check
/// reports a mistake in them as it does any other. `parent` is the
/// `properties` of the object the schema `s` is a property of; `reached`,
/// whether the walk of the days comes here; `def`, whether `s` is an entry
/// of `$defs` (read where a property's `$ref` names it).
fn check_keywords(
    root: &Value,
    s: &Value,
    path: &mut String,
    parent: Option<&Map<String, Value>>,
    reached: bool,
    def: bool,
) -> Result<(), (String, String)> {
    let Some(obj) = s.as_object() else {
        return Ok(());
    };
    let err = |key: &str, why: String| Err((format!("{path}/{key}"), why));
    for key in [NOT_AFTER, NOT_BEFORE, BIRTH_DATE_OF] {
        if !obj.contains_key(key) {
            continue;
        }
        let honoured = reached && (parent.is_some() || (def && key != BIRTH_DATE_OF));
        if !honoured {
            return err(
                key,
                format!(
                    "`{key}` is read only on a property reached through `properties`, `items` \
                     and `$defs`"
                ),
            );
        }
        if resolve(root, s).get("format").and_then(Value::as_str) != Some("date") {
            return err(
                key,
                format!("`{key}` is for a property with the `date` format"),
            );
        }
    }
    for key in [NOT_AFTER, NOT_BEFORE] {
        if let Some(v) = obj.get(key) {
            if v != "today" {
                return err(key, format!("`{key}` takes \"today\", not {v}"));
            }
        }
    }
    if let Some(v) = obj.get(BIRTH_DATE_OF) {
        let named = v.as_str().and_then(|k| parent?.get(k));
        let is_iin = named.is_some_and(|t| {
            resolve(root, t).get("format").and_then(Value::as_str) == Some("kz-iin")
        });
        if !is_iin {
            return err(
                BIRTH_DATE_OF,
                format!(
                    "`{BIRTH_DATE_OF}` names a property of the same object with the `kz-iin` \
                     format, not {v}"
                ),
            );
        }
    }
    let at = path.len();
    for (key, child) in obj {
        push_key(path, key);
        // What the walk of the days follows: an object's properties, an
        // array's one `items` schema (for its properties), and the
        // definitions a `$ref` names.
        match (key.as_str(), child) {
            ("properties" | "$defs", Value::Object(props)) => {
                let is_props = key == "properties";
                let siblings = is_props.then_some(props);
                for (name, prop) in props {
                    let mark = path.len();
                    push_key(path, name);
                    check_keywords(root, prop, path, siblings, reached, !is_props)?;
                    path.truncate(mark);
                }
            }
            (_, Value::Array(list)) => {
                for (i, item) in list.iter().enumerate() {
                    let mark = path.len();
                    push_key(path, &i.to_string());
                    check_keywords(root, item, path, None, false, false)?;
                    path.truncate(mark);
                }
            }
            ("items", _) => check_keywords(root, child, path, None, reached, false)?,
            _ => check_keywords(root, child, path, None, false, false)?,
        }
        path.truncate(at);
    }
    Ok(())
}

/// Stands in for a version's schema until its file is attached by the loader.
pub(crate) fn unset() -> FormSchema {
    let schema = Value::Bool(true);
    let validator = jsonschema::draft202012::new(&schema).expect("`true` is a schema");
    FormSchema { schema, validator }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn schema(props: Value) -> Value {
        json!({"$schema": DIALECT, "type": "object", "properties": props,
               "$defs": {"past": {"type": "string", "format": "date", "x-not-after": "today"},
                         "plain": {"type": "string", "format": "date"}}})
    }

    #[test]
    fn keywords_beside_a_ref_and_in_what_it_names_are_read() {
        let s = schema(json!({
            "a": {"$ref": "#/$defs/plain", "x-not-after": "today"},
            "b": {"$ref": "#/$defs/past"},
        }));
        let f = compile(s).unwrap();
        let today = day("2026-11-24");
        let errs = f
            .validate(&json!({"a": "2026-11-25", "b": "2026-11-26"}), today)
            .unwrap_err();
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/a", "/b"]);
        // A date that is not a full one is the format's to report, once.
        let errs = f.validate(&json!({"a": "2099-1-1"}), today).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(!errs[0].message.contains("later than today"), "{errs:?}");
    }

    #[test]
    fn keywords_where_the_days_are_not_read_are_refused() {
        let refused = |props: Value, phrase: &str| {
            let (_, why) = compile(schema(props)).unwrap_err();
            assert!(why.contains(phrase), "{why}");
        };
        // Under a combinator, nothing would read it.
        refused(
            json!({"a": {"allOf": [{"type": "string", "format": "date", "x-not-after": "today"}]}}),
            "is read only on a property",
        );
        // Not a date.
        refused(
            json!({"n": {"type": "integer", "x-not-before": "today"}}),
            "is for a property with the `date` format",
        );
        // An array's items themselves (not their properties).
        refused(
            json!({"days": {"type": "array", "items": {"type": "string", "format": "date", "x-not-after": "today"}}}),
            "is read only on a property",
        );
        // A birth date tied to a property that is not there.
        refused(
            json!({"born": {"type": "string", "format": "date", "x-birth-date-of": "iin"}}),
            "names a property of the same object",
        );
    }
}
