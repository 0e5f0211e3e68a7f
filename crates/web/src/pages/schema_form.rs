//! A service's form from its JSON Schema: the fields to show (with the
//! browser's own checks: required, pattern, lengths, dates), the JSON built
//! back from the posted fields, and the checks again on the server with
//! messages in the reader's language. The API validates the result once
//! more against the full schema; this only makes the answers readable.
//!
//! Field names are `f.` and the path (`f.children.0.iin`); an array's row
//! count travels as `n.` and its path, so rows can be added without
//! JavaScript (a submit button named `add`).

use super::Ctx;
use chrono::NaiveDate;
use qyzmet_domain::catalog::{
    day_problems, full_date, resolve, DayProblemKind, NOT_AFTER, NOT_BEFORE,
};
use qyzmet_domain::{iban, Iin};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One thing to draw, in order.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// `open` (a fieldset), `close`, `input`, `rows` (the hidden row count
    /// and the button adding a row), `remove` (the button taking a row away).
    pub kind: &'static str,
    /// Where the focus goes when the page opens: the first field of a row
    /// just added, or the list's add button after a row was taken away.
    pub autofocus: bool,
    pub name: String,
    pub id: String,
    pub label: String,
    pub input_type: &'static str,
    pub required: bool,
    pub pattern: String,
    pub minlength: String,
    pub maxlength: String,
    pub inputmode: &'static str,
    /// A date's first and last allowed day (`min`, `max`), from the
    /// schema's day keywords.
    pub min: String,
    pub max: String,
    pub hint: String,
    pub value: String,
    pub error: String,
}

impl Item {
    pub fn has_error(&self) -> bool {
        !self.error.is_empty()
    }
}

/// The posted fields by name, and the rows asked for.
pub type Posted = HashMap<String, String>;

/// A posted field as typed, trimmed; empty when it was not sent.
pub fn trimmed<'a>(posted: &'a Posted, name: &str) -> &'a str {
    posted.get(name).map(|v| v.trim()).unwrap_or_default()
}

/// The hidden field of an intake form's one-time key. The key goes to the
/// API as `Idempotency-Key`, so that the same form sent twice (a double
/// click, or Back and send again) takes in one application: the second
/// answer is the first one's.
pub const ONCE: &str = "once";

/// The one-time key posted, when it is one (a UUID).
pub fn posted_once(posted: &Posted) -> Option<&str> {
    let key = trimmed(posted, ONCE);
    uuid::Uuid::parse_str(key).is_ok().then_some(key)
}

/// The one-time key the page carries: the one posted, else a new one.
pub fn once(posted: &Posted) -> String {
    posted_once(posted).map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// After the API said the key was used for another request (the form was
/// sent, then changed and sent again): the page is drawn with a new key,
/// saying so, and sending it again takes in a new application.
pub fn once_spent(c: &super::Ctx, posted: &mut Posted) -> String {
    posted.insert(ONCE.to_owned(), uuid::Uuid::new_v4().to_string());
    c.t("form.already-sent").to_owned()
}

fn label(c: &Ctx, name: &str) -> String {
    c.t(&format!("field.{name}")).to_owned()
}

/// The rows a list shows at least: its `minItems`, and one.
fn min_rows(schema: &Value) -> usize {
    schema
        .get("minItems")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1) as usize
}

/// Whether the form was posted to add a row to a list or take one away
/// (`add`, `remove`: buttons that work without JavaScript): then the page
/// is drawn again and nothing is sent. A row taken away is removed from
/// `posted`, the rows after it moving up one, with everything typed.
pub fn rows_changed(posted: &mut Posted) -> bool {
    if posted.contains_key("add") {
        return true;
    }
    let Some(row) = posted.remove("remove") else {
        return false;
    };
    let Some((list, i)) = row
        .rsplit_once('.')
        .and_then(|(l, i)| Some((l.to_owned(), i.parse::<usize>().ok()?)))
    else {
        return true;
    };
    let count = format!("n.{list}");
    let Some(n) = posted.get(&count).and_then(|v| v.parse::<usize>().ok()) else {
        return true;
    };
    if i >= n {
        return true;
    }
    // Each field of the list's rows, `f.` or a nested list's `n.`,
    // renumbered: row i goes, rows after it move up one.
    let mut moved = Posted::new();
    for (key, value) in std::mem::take(posted) {
        let row_of = ["f.", "n."].iter().find_map(|p| {
            let rest = key
                .strip_prefix(p)?
                .strip_prefix(&list)?
                .strip_prefix('.')?;
            let (j, tail) = rest.split_once('.').unwrap_or((rest, ""));
            Some((*p, j.parse::<usize>().ok()?, tail.to_owned()))
        });
        match row_of {
            Some((_, j, _)) if j == i => {}
            Some((p, j, tail)) if j > i => {
                let dot = if tail.is_empty() { "" } else { "." };
                moved.insert(format!("{p}{list}.{}{dot}{tail}", j - 1), value);
            }
            _ => {
                moved.insert(key, value);
            }
        }
    }
    moved.insert(count, (n - 1).to_string());
    moved.insert(REMOVED.to_owned(), list);
    *posted = moved;
    true
}

/// How many rows an array shows: what was asked, at least its minimum
/// (or one), at most its maximum.
fn rows(schema: &Value, path: &str, posted: &Posted) -> usize {
    let min = min_rows(schema);
    let max = schema.get("maxItems").and_then(Value::as_u64).unwrap_or(20) as usize;
    let mut n = posted
        .get(&format!("n.{path}"))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(min);
    if posted.get("add").is_some_and(|a| a == path) {
        n += 1;
    }
    n.clamp(min, max.max(min))
}

/// The fields of `schema` filled with `posted` values and `errors` (by name);
/// a date bounded by today gets `today` (Almaty) as its `min` or `max`.
pub fn items(
    c: &Ctx,
    schema: &Value,
    posted: &Posted,
    errors: &HashMap<String, String>,
    today: NaiveDate,
) -> Vec<Item> {
    let mut out = Vec::new();
    walk_items(c, schema, schema, "", "", true, posted, errors, &mut out);
    // After adding or taking away a row the page is drawn anew: the focus
    // goes back to where the reader was working, not the page's top.
    if let Some(list) = posted.get("add") {
        // The list's last row is the one added (or, at its most rows, the
        // last there is).
        let prefix = format!("f.{list}.");
        let last = out
            .iter()
            .filter(|i| i.kind == "input")
            .filter_map(|i| {
                i.name
                    .strip_prefix(&prefix)?
                    .split('.')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max();
        if let Some(row) = last {
            let first = format!("{prefix}{row}.");
            if let Some(i) = out
                .iter_mut()
                .find(|i| i.kind == "input" && i.name.starts_with(&first))
            {
                i.autofocus = true;
            }
        }
    } else if let Some(list) = posted.get(REMOVED) {
        if let Some(i) = out.iter_mut().find(|i| i.kind == "rows" && &i.id == list) {
            i.autofocus = true;
        }
    }
    let today = today.to_string();
    for i in &mut out {
        for bound in [&mut i.min, &mut i.max] {
            if bound == TODAY {
                bound.clone_from(&today);
            }
        }
    }
    out
}

/// Left in the posted fields by [`rows_changed`]: the list a row was taken
/// away from (not a field of any form).
const REMOVED: &str = "removed";

/// Stands for today in an item's `min` or `max` until [`items`] fills it.
const TODAY: &str = "today";

#[allow(clippy::too_many_arguments)]
fn walk_items(
    c: &Ctx,
    root: &Value,
    s: &Value,
    path: &str,
    key: &str,
    required: bool,
    posted: &Posted,
    errors: &HashMap<String, String>,
    out: &mut Vec<Item>,
) {
    let s = resolve(root, s);
    let name = format!("f.{path}");
    let id = format!("f-{}", path.replace('.', "-"));
    match s.get("type").and_then(Value::as_str) {
        Some("object") => {
            let req = required_names(s);
            let fieldset = !path.is_empty() && !key.chars().all(|ch| ch.is_ascii_digit());
            if fieldset {
                out.push(Item {
                    kind: "open",
                    label: label(c, key),
                    id: id.clone(),
                    ..Item::default()
                });
            }
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, sub) in ordered(props, &req) {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk_items(
                        c,
                        root,
                        sub,
                        &p,
                        k,
                        req.contains(&k.as_str()),
                        posted,
                        errors,
                        out,
                    );
                }
            }
            if fieldset {
                out.push(Item {
                    kind: "close",
                    ..Item::default()
                });
            }
        }
        Some("array") => {
            let n = rows(s, path, posted);
            let item_schema = s.get("items").unwrap_or(&Value::Null);
            for i in 0..n {
                out.push(Item {
                    kind: "open",
                    label: format!("{} {}", label(c, key), i + 1),
                    id: format!("{id}-{i}"),
                    ..Item::default()
                });
                walk_items(
                    c,
                    root,
                    item_schema,
                    &format!("{path}.{i}"),
                    &i.to_string(),
                    true,
                    posted,
                    errors,
                    out,
                );
                // A row beyond the least the list needs can be taken away
                // again (a row added by mistake would otherwise block the
                // form, its fields required).
                if n > min_rows(s) {
                    out.push(Item {
                        kind: "remove",
                        value: format!("{path}.{i}"),
                        label: format!("{} ({} {})", c.t("form.remove-row"), label(c, key), i + 1),
                        ..Item::default()
                    });
                }
                out.push(Item {
                    kind: "close",
                    ..Item::default()
                });
            }
            out.push(Item {
                kind: "rows",
                name: format!("n.{path}"),
                id: path.to_owned(),
                value: n.to_string(),
                label: format!("{} ({})", c.t("form.add-row"), label(c, key)),
                ..Item::default()
            });
        }
        _ => {
            let format = s.get("format").and_then(Value::as_str).unwrap_or("");
            let mut item = Item {
                kind: "input",
                label: label(c, key),
                required,
                value: posted.get(&name).cloned().unwrap_or_default(),
                error: errors.get(&name).cloned().unwrap_or_default(),
                input_type: "text",
                inputmode: "text",
                name,
                id,
                ..Item::default()
            };
            match format {
                "date" => {
                    item.input_type = "date";
                    if s.get(NOT_BEFORE).is_some() {
                        item.min = TODAY.into();
                    }
                    if s.get(NOT_AFTER).is_some() {
                        item.max = TODAY.into();
                    }
                }
                // Typed as banks print it, in groups of four: the server
                // takes the spaces out, so the browser's pattern would only
                // be in the way.
                "iban" => {
                    item.maxlength = "42".into();
                    item.hint = c.t("form.iban-hint").to_owned();
                }
                "kz-iin" => {
                    item.pattern = "[0-9]{12}".into();
                    item.maxlength = "12".into();
                    item.inputmode = "numeric";
                    item.hint = c.t("form.iin-hint").to_owned();
                }
                _ => {}
            }
            let pattern = s.get("pattern").and_then(Value::as_str);
            if let Some(p) = pattern.filter(|_| format != "iban") {
                item.pattern = p.trim_start_matches('^').trim_end_matches('$').to_owned();
                if key == "iban" || key == "bank_account" {
                    item.hint = c.t("form.iban-hint").to_owned();
                }
            }
            if let Some(n) = s.get("minLength").and_then(Value::as_u64) {
                item.minlength = n.to_string();
            }
            if let Some(n) = s.get("maxLength").and_then(Value::as_u64) {
                item.maxlength = n.to_string();
            }
            out.push(item);
        }
    }
}

/// The names an object schema lists as `required`.
fn required_names(s: &Value) -> Vec<&str> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A schema's properties in the order a person fills them: the required
/// ones as the schema lists them, then the others (JSON objects carry no
/// order of their own).
fn ordered<'a>(props: &'a Map<String, Value>, required: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let mut out: Vec<(&String, &Value)> = required
        .iter()
        .filter_map(|r| props.get_key_value(*r))
        .collect();
    out.extend(
        props
            .iter()
            .filter(|(k, _)| !required.contains(&k.as_str())),
    );
    out
}

/// The JSON the posted fields make, and the problems found, by field name,
/// in the reader's language; the day keywords are checked on `today`
/// (Almaty), where the field has no other problem.
pub fn parse(
    c: &Ctx,
    schema: &Value,
    posted: &Posted,
    today: NaiveDate,
) -> (Value, HashMap<String, String>) {
    let mut out = Built::default();
    let v =
        build(c, schema, schema, "", true, posted, &mut out).unwrap_or(Value::Object(Map::new()));
    let mut errors = out.errors;
    for p in day_problems(schema, &v, today) {
        let message = match p.kind {
            DayProblemKind::AfterToday { .. } => c.t("form.date-future").to_owned(),
            DayProblemKind::BeforeToday { .. } => c.t("form.date-past").to_owned(),
            DayProblemKind::NotIinBirthDate { iin_date } => {
                format!(
                    "{} {}.",
                    c.t("form.birth-date-iin"),
                    iin_date.format("%d.%m.%Y")
                )
            }
        };
        errors
            .entry(posted_field(&out.rows, &p.path))
            .or_insert(message);
    }
    (v, errors)
}

/// What [`build`] gathers besides the JSON: the problems by field name, and
/// each array row kept, as (its path in the JSON, its path as posted): an
/// empty row is left out, so the JSON's third row may be the page's fourth.
#[derive(Default)]
struct Built {
    errors: HashMap<String, String>,
    rows: Vec<(String, String)>,
}

/// The field name on the page of a pointer into the built JSON, rows
/// counted as posted.
fn posted_field(rows: &[(String, String)], pointer: &str) -> String {
    let built = field_of_pointer(pointer);
    let dotted = built.trim_start_matches("f.");
    rows.iter()
        .filter(|(b, _)| {
            dotted
                .strip_prefix(b.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
        .max_by_key(|(b, _)| b.len())
        .map(|(b, p)| format!("f.{p}{}", &dotted[b.len()..]))
        .unwrap_or(built)
}

fn build(
    c: &Ctx,
    root: &Value,
    s: &Value,
    path: &str,
    required: bool,
    posted: &Posted,
    out: &mut Built,
) -> Option<Value> {
    let s = resolve(root, s);
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match s.get("type").and_then(Value::as_str) {
        Some("object") => {
            let req = required_names(s);
            let props = s.get("properties").and_then(Value::as_object)?;
            // An optional group left wholly empty is absent, not invalid.
            let any = props.keys().any(|k| {
                let p = format!("f.{}", join(k));
                posted.iter().any(|(n, v)| {
                    (n == &p || n.starts_with(&format!("{p}."))) && !v.trim().is_empty()
                })
            });
            if !required && !any {
                return None;
            }
            let mut m = Map::new();
            for (k, sub) in props {
                if let Some(v) = build(
                    c,
                    root,
                    sub,
                    &join(k),
                    req.contains(&k.as_str()),
                    posted,
                    out,
                ) {
                    m.insert(k.clone(), v);
                }
            }
            Some(Value::Object(m))
        }
        Some("array") => {
            let n = rows(s, path, posted);
            let item_schema = s.get("items").unwrap_or(&Value::Null);
            let mut a = Vec::new();
            for i in 0..n {
                let p = format!("f.{path}.{i}.");
                let filled = posted
                    .iter()
                    .any(|(k, v)| k.starts_with(&p) && !v.trim().is_empty());
                // Empty rows are dropped, except the first of a list that
                // needs one (its fields then say what is missing).
                if filled || (a.is_empty() && i + 1 == n && required) {
                    if let Some(v) = build(
                        c,
                        root,
                        item_schema,
                        &format!("{path}.{i}"),
                        true,
                        posted,
                        out,
                    ) {
                        out.rows
                            .push((format!("{path}.{}", a.len()), format!("{path}.{i}")));
                        a.push(v);
                    }
                }
            }
            Some(Value::Array(a))
        }
        _ => {
            let name = format!("f.{path}");
            let format = s.get("format").and_then(Value::as_str);
            let value = posted
                .get(&name)
                .map(|v| match format {
                    Some("iban") => iban::normalized(v),
                    _ => v.trim().to_owned(),
                })
                .unwrap_or_default();
            if value.is_empty() {
                if required {
                    out.errors.insert(name, c.t("form.required").to_owned());
                }
                return None;
            }
            let chars = value.chars().count() as u64;
            let problem = if s
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| chars > m)
            {
                Some("form.too-long")
            } else if s
                .get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| chars < m)
            {
                Some("form.required")
            } else {
                match format {
                    Some("date") if full_date(&value).is_none() => Some("form.date"),
                    Some("kz-iin") if Iin::parse(&value).is_err() => Some("form.iin"),
                    // The shape the schema asks for (a Kazakh account's
                    // 20 characters) before the check digits, so that a
                    // number one character short is not said to be
                    // mistyped.
                    Some("iban") => {
                        let pattern = s.get("pattern").and_then(Value::as_str);
                        if pattern.and_then(|p| simple_pattern_matches(p, &value)) == Some(false) {
                            Some("form.iban-shape")
                        } else {
                            match iban::check(&value) {
                                Ok(()) => None,
                                Err(iban::IbanError::Shape) => Some("form.iban-shape"),
                                Err(iban::IbanError::CheckDigits) => Some("form.iban-check"),
                            }
                        }
                    }
                    _ => None,
                }
            }
            .or_else(|| {
                let p = s.get("pattern").and_then(Value::as_str)?;
                (!simple_pattern_matches(p, &value)?).then_some("form.pattern")
            });
            if let Some(key) = problem {
                out.errors.insert(name, c.t(key).to_owned());
            }
            Some(Value::String(value))
        }
    }
}

/// The catalog's patterns are anchored runs of character classes with
/// counts (`^KZ[0-9]{2}[0-9A-Z]{16}$`); those are checked here. Anything
/// else is left to the API's full validator (`None`).
fn simple_pattern_matches(pattern: &str, value: &str) -> Option<bool> {
    let p = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let mut atoms: Vec<(Vec<(char, char)>, usize)> = Vec::new();
    let mut it = p.chars().peekable();
    while let Some(ch) = it.next() {
        let set = if ch == '[' {
            let mut set = Vec::new();
            loop {
                let a = it.next()?;
                if a == ']' {
                    break;
                }
                if it.peek() == Some(&'-') {
                    it.next();
                    let b = it.next()?;
                    set.push((a, b));
                } else {
                    set.push((a, a));
                }
            }
            set
        } else if ch.is_ascii_alphanumeric() {
            vec![(ch, ch)]
        } else {
            return None;
        };
        let mut count = 1;
        if it.peek() == Some(&'{') {
            it.next();
            let mut n = String::new();
            loop {
                let d = it.next()?;
                if d == '}' {
                    break;
                }
                n.push(d);
            }
            count = n.parse().ok()?;
        }
        atoms.push((set, count));
    }
    let chars: Vec<char> = value.chars().collect();
    let total: usize = atoms.iter().map(|a| a.1).sum();
    if chars.len() != total {
        return Some(false);
    }
    let mut i = 0;
    for (set, count) in atoms {
        for _ in 0..count {
            let ch = chars[i];
            if !set.iter().any(|(a, b)| *a <= ch && ch <= *b) {
                return Some(false);
            }
            i += 1;
        }
    }
    Some(true)
}

/// The error summary's lines for the form's `errors` (by field name), in
/// the page's order, each linking to its field and naming it by its whole
/// path (`Child 1 › Court decision › Date: …`), as a field's own label
/// ("Date") can be ambiguous.
pub fn summary(c: &Ctx, schema: &Value, errors: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut lines: Vec<(Vec<usize>, String, String)> = errors
        .iter()
        .map(|(name, message)| {
            let path = name.trim_start_matches("f.");
            (
                place(schema, path),
                format!("#f-{}", path.replace('.', "-")),
                format!("{}: {message}", path_label(c, path)),
            )
        })
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(_, link, line)| (link, line))
        .collect()
}

/// Where the field of `path` stands on the page: for each step, its
/// property's place (`ordered`) or its row's number.
fn place(root: &Value, path: &str) -> Vec<usize> {
    let mut s = root;
    let mut key = Vec::new();
    for seg in path.split('.') {
        let r = resolve(root, s);
        if let Ok(i) = seg.parse::<usize>() {
            key.push(i);
            s = r.get("items").unwrap_or(&Value::Null);
            continue;
        }
        let req = required_names(r);
        let props = r.get("properties").and_then(Value::as_object);
        let at = props.and_then(|p| ordered(p, &req).iter().position(|(k, _)| *k == seg));
        key.push(at.unwrap_or(usize::MAX));
        s = props.and_then(|p| p.get(seg)).unwrap_or(&Value::Null);
    }
    key
}

/// A field's name by its whole path: each property's label, a row's number
/// after its list's (`Child 1 › Court decision › Date`).
fn path_label(c: &Ctx, path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for seg in path.split('.') {
        match (seg.parse::<usize>(), parts.last_mut()) {
            (Ok(i), Some(last)) => last.push_str(&format!(" {}", i + 1)),
            (Ok(_), None) => {}
            (Err(_), _) => parts.push(label(c, seg)),
        }
    }
    parts.join(" › ")
}

/// A form's data as (label, value) lines (`Child 1 › IIN`), in the order
/// the form asks for them (`ordered`), labelled as the form labels its
/// fields; values the schema does not name come last, by their keys.
pub fn data_lines(c: &Ctx, schema: &Value, data: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    lines_of(c, schema, schema, "", data, &mut out);
    out
}

fn lines_of(
    c: &Ctx,
    root: &Value,
    s: &Value,
    prefix: &str,
    v: &Value,
    out: &mut Vec<(String, String)>,
) {
    let s = resolve(root, s);
    match v {
        Value::Object(m) => {
            let req = required_names(s);
            let mut keys: Vec<(&String, &Value)> = s
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| ordered(p, &req))
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| m.contains_key(*k))
                .collect();
            for k in m.keys() {
                if !keys.iter().any(|(x, _)| *x == k) {
                    keys.push((k, &Value::Null));
                }
            }
            for (k, sub) in keys {
                let name = c.t_or(&format!("field.{k}"), k);
                let p = if prefix.is_empty() {
                    name.to_owned()
                } else {
                    format!("{prefix} › {name}")
                };
                lines_of(c, root, sub, &p, &m[k], out);
            }
        }
        Value::Array(a) => {
            let item = s.get("items").unwrap_or(&Value::Null);
            for (i, x) in a.iter().enumerate() {
                lines_of(c, root, item, &format!("{prefix} {}", i + 1), x, out);
            }
        }
        Value::Null => {}
        Value::String(t) => out.push((prefix.to_owned(), t.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// The field name of an API problem's JSON pointer (`/children/0/iin`).
pub fn field_of_pointer(pointer: &str) -> String {
    format!("f.{}", pointer.trim_start_matches('/').replace('/', "."))
}

#[cfg(test)]
mod tests {
    use super::{posted_field, simple_pattern_matches};

    #[test]
    fn a_row_taken_away_moves_the_rows_after_it_up() {
        use super::{rows_changed, Posted};
        let mut posted: Posted = [
            ("n.children", "3"),
            ("f.children.0.iin", "a"),
            ("f.children.1.iin", "b"),
            ("f.children.1.court_decision.date", "bd"),
            ("f.children.2.iin", "c"),
            ("f.children.2.court_decision.date", "cd"),
            ("f.bank_account.iban", "KZ"),
            ("remove", "children.1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert!(rows_changed(&mut posted));
        let mut got: Vec<(&str, &str)> = posted
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("f.bank_account.iban", "KZ"),
                ("f.children.0.iin", "a"),
                ("f.children.1.court_decision.date", "cd"),
                ("f.children.1.iin", "c"),
                ("n.children", "2"),
                // Where the focus goes when the page is drawn again.
                ("removed", "children"),
            ]
        );
        // Neither button: the form goes on to be sent.
        assert!(!rows_changed(&mut posted));
    }

    #[test]
    fn a_problem_is_said_at_the_row_as_posted() {
        // The page's first row was left empty: the JSON's row 0 is row 1.
        let rows = vec![("children.0".to_owned(), "children.1".to_owned())];
        assert_eq!(
            posted_field(&rows, "/children/0/birth_date"),
            "f.children.1.birth_date"
        );
        assert_eq!(
            posted_field(&rows, "/children/0/court_decision/date"),
            "f.children.1.court_decision.date"
        );
        // Not a row, or another field that only begins the same.
        assert_eq!(
            posted_field(&rows, "/bank_account/iban"),
            "f.bank_account.iban"
        );
        assert_eq!(posted_field(&rows, "/children/01/x"), "f.children.01.x");
    }

    #[test]
    fn iban_pattern() {
        let p = "^KZ[0-9]{2}[0-9A-Z]{16}$";
        assert_eq!(
            simple_pattern_matches(p, "KZ12345678901234567X"),
            Some(true)
        );
        assert_eq!(simple_pattern_matches(p, "KZ1234567890123456"), Some(false));
        assert_eq!(
            simple_pattern_matches(p, "US12345678901234567X"),
            Some(false)
        );
        assert_eq!(simple_pattern_matches("^a+$", "aa"), None);
    }
}
