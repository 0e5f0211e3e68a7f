//! The checker: reads every catalog file, reports every problem with its
//! file and line, and builds the [`Catalog`] only when there is none.

use super::form::{self, FormSchema};
use super::walk::{int_of, parse, Src, Tbl};
use super::*;
use crate::diag::{line_of, Diagnostic};
use std::collections::{BTreeMap, BTreeSet};
use toml::de::DeValue;

const SERVICES: &str = "services.toml";
const PROVIDERS: &str = "providers.toml";
const ACTS: &str = "acts.toml";
const MRP: &str = "mrp.toml";
/// Parsed by the calendar module, not here.
const CALENDARS: &str = "calendars/";
const SCHEMA_EXT: &str = ".schema.json";

/// Reads the catalog from `(path relative to the catalog root, text)` pairs.
/// Every problem in every file is reported, each as `file:line: message`;
/// files under `calendars/` belong to the calendar and are skipped.
pub fn load(files: &[(String, String)]) -> Result<Catalog, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut top: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut version_files = Vec::new();
    let mut schema_files: BTreeMap<(String, String), (&str, &str)> = BTreeMap::new();

    for (path, text) in files {
        let path = path.as_str().trim_start_matches("./");
        if path.starts_with(CALENDARS) {
            continue;
        }
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [name] if [SERVICES, PROVIDERS, ACTS, MRP].contains(name) => {
                top.insert(name, (path, text.as_str()));
            }
            ["README.md"] => {}
            [folder, name] if name.ends_with(SCHEMA_EXT) => {
                let stem = name.trim_end_matches(SCHEMA_EXT);
                schema_files.insert(((*folder).into(), stem.into()), (path, text.as_str()));
            }
            [folder, name] if name.ends_with(".toml") => {
                let stem = name.trim_end_matches(".toml");
                version_files.push((*folder, stem, path, text.as_str()));
            }
            _ => diags.push(Diagnostic::new(
                path,
                1,
                "unknown file: the catalog holds services.toml, providers.toml, acts.toml, \
                 mrp.toml, README.md, calendars/, and SERVICE/VERSION.toml with \
                 SERVICE/VERSION.schema.json",
            )),
        }
    }
    for name in [SERVICES, PROVIDERS, ACTS, MRP] {
        if !top.contains_key(name) {
            diags.push(Diagnostic::new(name, 0, format!("missing file `{name}`")));
        }
    }

    let providers = top
        .get(PROVIDERS)
        .map(|(p, t)| read_file(&mut diags, p, t, read_providers))
        .unwrap_or_default();
    let acts = top
        .get(ACTS)
        .map(|(p, t)| read_file(&mut diags, p, t, read_acts))
        .unwrap_or_default();
    let mrp = top
        .get(MRP)
        .map(|(p, t)| read_file(&mut diags, p, t, read_mrp))
        .unwrap_or_default();
    let services = top
        .get(SERVICES)
        .map(|(p, t)| read_file(&mut diags, p, t, read_services))
        .unwrap_or_default();

    let mut versions = Vec::new();
    for (folder, stem, path, text) in &version_files {
        let mut src = Src::new(path, text);
        if let Some(root) = parse(&mut src, text) {
            let mut t = Tbl::new(root.get_ref(), 0, "");
            if let Some(v) = read_version(&mut src, &mut t, folder, stem) {
                versions.push(v);
            }
            t.finish(&mut src);
        }
        diags.append(&mut src.diags);
    }

    // Form schemas, each next to its version file.
    let mut forms: BTreeMap<(String, String), FormSchema> = BTreeMap::new();
    for ((folder, stem), (path, text)) in &schema_files {
        if !version_files
            .iter()
            .any(|(f, s, _, _)| f == folder && s == stem)
        {
            diags.push(Diagnostic::new(
                *path,
                1,
                format!("form schema without a version file `{folder}/{stem}.toml`"),
            ));
            continue;
        }
        match read_schema(path, text) {
            Ok(f) => {
                forms.insert((folder.clone(), stem.clone()), f);
            }
            Err(d) => diags.push(d),
        }
    }

    let folders: BTreeSet<&str> = version_files.iter().map(|v| v.0).collect();
    check(
        &mut diags,
        &services,
        &providers,
        &acts,
        &versions,
        &schema_files,
        &folders,
    );

    if !diags.is_empty() {
        diags.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        diags.dedup();
        return Err(diags);
    }

    let mut out: Vec<Service> = Vec::new();
    for s in services {
        let mut vs: Vec<Version> = versions
            .iter()
            .filter(|d| d.v.service == s.v.code)
            .filter_map(|d| {
                let form = forms.get(&(d.folder.clone(), d.stem.clone()))?.clone();
                Some(Version {
                    form,
                    ..d.v.clone()
                })
            })
            .collect();
        vs.sort_by_key(|v| v.effective_from);
        out.push(Service {
            versions: vs,
            ..s.v
        });
    }
    let mrp = mrp.into_iter().map(|m| (m.v.year, m.v)).collect();
    Ok(Catalog::from_parts(
        out,
        providers.into_iter().map(|p| p.v).collect(),
        acts.into_iter().map(|a| a.v).collect(),
        mrp,
    ))
}

/// A value read from a file, with where it was read.
#[derive(Debug, Clone)]
struct At<T> {
    v: T,
    file: String,
    line: usize,
    /// Codes this item refers to, with their lines.
    refs: Vec<(String, usize)>,
}

fn read_file<T>(
    diags: &mut Vec<Diagnostic>,
    path: &str,
    text: &str,
    read: fn(&mut Src<'_>, &mut Tbl<'_, '_>) -> Vec<At<T>>,
) -> Vec<At<T>> {
    let mut src = Src::new(path, text);
    let mut out = Vec::new();
    if let Some(root) = parse(&mut src, text) {
        let mut t = Tbl::new(root.get_ref(), 0, "");
        out = read(&mut src, &mut t);
        t.finish(&mut src);
    }
    diags.append(&mut src.diags);
    out
}

fn at<T>(src: &Src<'_>, offset: usize, v: T) -> At<T> {
    At {
        v,
        file: src.file.to_owned(),
        line: src.line(offset),
        refs: Vec::new(),
    }
}

/// Codes are lowercase and hyphenated, as contract.md names things.
fn code(src: &mut Src<'_>, t: &mut Tbl<'_, '_>, key: &'static str) -> Option<(String, usize)> {
    let (c, off) = t.str(src, key)?;
    let ok = c.split('-').all(|p| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if !ok {
        src.err(
            off,
            format!("`{c}` is not a code: use lowercase letters, digits and hyphens"),
        );
        return None;
    }
    Some((c, off))
}

/// `placeholder = true` with a `note` saying what is missing and where it
/// would come from. Returns the flag as written, and the placeholder.
fn placeholder(src: &mut Src<'_>, t: &mut Tbl<'_, '_>) -> (bool, Option<Placeholder>) {
    let flag = t.bool(src, "placeholder").unwrap_or(false);
    let has_note = t.has("note");
    let note = t.opt_text(src, "note");
    match (flag, note) {
        (true, Some(note)) => (true, Some(Placeholder { note })),
        (true, None) => {
            // A note that is there but broken was reported already.
            if !has_note {
                src.err(
                    t.key_at("placeholder"),
                    "a placeholder needs a `note` saying what is missing and where it would come from",
                );
            }
            (true, None)
        }
        (false, Some(_)) => {
            src.err(
                t.key_at("note"),
                "`note` describes a placeholder: set `placeholder = true` or remove it",
            );
            (false, None)
        }
        (false, None) => (false, None),
    }
}

fn read_services(src: &mut Src<'_>, root: &mut Tbl<'_, '_>) -> Vec<At<Service>> {
    let mut out = Vec::new();
    for mut t in root.tables(src, "services") {
        let code = code(src, &mut t, "code");
        let name = t.text(src, "name");
        let providers = t.strs(src, "providers");
        if providers.is_empty() {
            src.err(t.at, "a service needs at least one provider in `providers`");
        }
        t.finish(src);
        if let (Some((code, off)), Some(name)) = (code, name) {
            let mut s = at(
                src,
                off,
                Service {
                    code,
                    name,
                    providers: providers.iter().map(|p| p.0.clone()).collect(),
                    versions: Vec::new(),
                },
            );
            s.refs = providers
                .iter()
                .map(|(p, o)| (p.clone(), src.line(*o)))
                .collect();
            out.push(s);
        }
    }
    out
}

fn read_providers(src: &mut Src<'_>, root: &mut Tbl<'_, '_>) -> Vec<At<Provider>> {
    let mut out = Vec::new();
    for mut t in root.tables(src, "providers") {
        let code = code(src, &mut t, "code");
        let name = t.text(src, "name");
        let bin = t.opt_str(src, "bin");
        if let Some((b, off)) = &bin {
            if !valid_bin(b) {
                src.err(
                    *off,
                    format!("`{b}` is not a valid BIN (12 digits with a check digit)"),
                );
            }
        }
        let address = t.opt_text(src, "address");
        let (flag, ph) = placeholder(src, &mut t);
        if (bin.is_none() || address.is_none()) && !flag {
            src.err(
                t.at,
                "BIN or address missing: mark the provider `placeholder = true` with a `note`",
            );
        }
        t.finish(src);
        if let (Some((code, off)), Some(name)) = (code, name) {
            out.push(at(
                src,
                off,
                Provider {
                    code,
                    name,
                    bin: bin.map(|b| b.0),
                    address,
                    placeholder: ph,
                },
            ));
        }
    }
    out
}

/// A BIN shares the IIN's check digit (domain.md).
fn valid_bin(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut d = [0u8; 11];
    for (i, x) in b[..11].iter().enumerate() {
        d[i] = x - b'0';
    }
    crate::iin::check_digit(&d) == Some(b[11] - b'0')
}

fn read_acts(src: &mut Src<'_>, root: &mut Tbl<'_, '_>) -> Vec<At<Act>> {
    let mut out = Vec::new();
    for mut t in root.tables(src, "acts") {
        let code = code(src, &mut t, "code");
        let issuer = t.text(src, "issuer");
        let title = t.text(src, "title");
        let number = t.str(src, "number");
        let date = t.req_date(src, "date");
        let registration_number = t.opt_str(src, "registration_number").map(|s| s.0);
        let registration_date = t.date(src, "registration_date").map(|d| d.0);
        let effective_date = t.date(src, "effective_date").map(|d| d.0);
        let effective_date_placeholder = t.bool(src, "effective_date_placeholder").unwrap_or(false);
        let restates = t.strs(src, "restates");
        let repeals = t.strs(src, "repeals");
        let repealed_by = t.opt_str(src, "repealed_by");
        let repealed_on = t.date(src, "repealed_on").map(|d| d.0);
        let (flag, ph) = placeholder(src, &mut t);
        if effective_date_placeholder && !flag {
            src.err(
                t.key_at("effective_date_placeholder"),
                "a placeholder effective date needs `placeholder = true` and a `note`",
            );
        }
        t.finish(src);
        if let (Some((code, off)), Some(issuer), Some(title), Some(number), Some(date)) =
            (code, issuer, title, number, date)
        {
            let act = Act {
                code,
                issuer,
                title,
                number: number.0,
                date: date.0,
                registration_number,
                registration_date,
                effective_date,
                effective_date_placeholder,
                restates: restates.iter().map(|r| r.0.clone()).collect(),
                repeals: repeals.iter().map(|r| r.0.clone()).collect(),
                repealed_by: repealed_by.as_ref().map(|r| r.0.clone()),
                repealed_on,
                placeholder: ph,
            };
            let mut a = at(src, off, act);
            a.refs = restates
                .iter()
                .chain(&repeals)
                .chain(repealed_by.iter())
                .map(|(c, o)| (c.clone(), src.line(*o)))
                .collect();
            out.push(a);
        }
    }
    out
}

fn read_mrp(src: &mut Src<'_>, root: &mut Tbl<'_, '_>) -> Vec<At<Mrp>> {
    let mut out = Vec::new();
    for mut t in root.tables(src, "mrp") {
        let year = t.req_int(src, "year");
        let amount = t.req_int(src, "amount");
        let has_confirmed = t.has("confirmed");
        let confirmed = t.bool(src, "confirmed");
        if !has_confirmed {
            src.err(
                t.at,
                "missing key `confirmed` (true only when a public source confirms it)",
            );
        }
        let source = t.str(src, "source");
        t.finish(src);
        let year = match year {
            Some((y, o)) if !(1992..=2200).contains(&y) => {
                src.err(o, format!("year {y} is out of range"));
                None
            }
            y => y,
        };
        let amount = match amount {
            Some((a, o)) if a < 1 || a > i64::from(u32::MAX) => {
                src.err(
                    o,
                    format!("MRP must be a positive number of tenge, found {a}"),
                );
                None
            }
            a => a,
        };
        if let (Some((year, off)), Some((amount, _)), Some(confirmed), Some((source, _))) =
            (year, amount, confirmed, source)
        {
            out.push(at(
                src,
                off,
                Mrp {
                    year: year as i32,
                    amount: amount as u32,
                    confirmed,
                    source,
                },
            ));
        }
    }
    out
}

/// A version as read, with the lines the cross-file checks point at.
#[derive(Debug, Clone)]
struct Draft {
    v: Version,
    folder: String,
    stem: String,
    file: String,
    line_service: usize,
    line_version: usize,
    line_act: usize,
    line_standard: usize,
    line_from: usize,
    line_until: usize,
}

fn limit(src: &mut Src<'_>, t: &mut Tbl<'_, '_>) -> Option<Limit> {
    const UNITS: &str = "minutes, working_days, calendar_days";
    let Some(v) = t.get("limit") else {
        src.err(t.at, format!("missing key `{}.limit`", t.path));
        return None;
    };
    let at = v.span().start;
    let DeValue::Table(tbl) = v.get_ref() else {
        src.err(
            at,
            "limit must be a table with one unit, like `limit = { minutes = 15 }`",
        );
        return None;
    };
    let entries = Tbl::new(tbl, at, "").entries();
    match entries.as_slice() {
        [] => {
            src.err(at, format!("limit has no unit: give one of {UNITS}"));
            None
        }
        [(unit, uat, n)] => {
            let Some(n) = int_of(n) else {
                src.err(*uat, format!("limit `{unit}` must be a whole number"));
                return None;
            };
            if n < 1 {
                src.err(*uat, format!("limit must be at least 1, found {n}"));
                return None;
            }
            let Ok(n) = u32::try_from(n) else {
                src.err(*uat, format!("limit {n} is too large"));
                return None;
            };
            match unit.as_str() {
                "minutes" => Some(Limit::Minutes(n)),
                "working_days" => Some(Limit::WorkingDays(n)),
                "calendar_days" => Some(Limit::CalendarDays(n)),
                other => {
                    src.err(
                        *uat,
                        format!("unknown limit unit `{other}` (known: {UNITS})"),
                    );
                    None
                }
            }
        }
        many => {
            let units: Vec<String> = many.iter().map(|(u, _, _)| format!("`{u}`")).collect();
            src.err(
                at,
                format!(
                    "limit has {} units ({}): give exactly one",
                    many.len(),
                    units.join(", ")
                ),
            );
            None
        }
    }
}

fn role(src: &mut Src<'_>, s: &str, off: usize) -> Option<Role> {
    match s.parse::<Role>() {
        Ok(r @ (Role::Clerk | Role::Head | Role::Specialist | Role::Operator)) => Some(r),
        Ok(r) => {
            src.err(off, format!("role `{r}` does not do a regulation's steps"));
            None
        }
        Err(e) => {
            src.err(off, e.to_string());
            None
        }
    }
}

fn paragraph(src: &mut Src<'_>, t: &mut Tbl<'_, '_>, key: &'static str) -> Option<String> {
    let (p, off) = t.str(src, key)?;
    if !p.starts_with('§') {
        src.err(
            off,
            format!("paragraph `{p}` must start with § (like §5.3)"),
        );
    }
    Some(p)
}

fn read_version(
    src: &mut Src<'_>,
    root: &mut Tbl<'_, '_>,
    folder: &str,
    stem: &str,
) -> Option<Draft> {
    let service = code(src, root, "service");
    if let Some((s, off)) = &service {
        if s != folder {
            src.err(
                *off,
                format!("service `{s}` is in folder `{folder}/`: a version lives in its service's folder"),
            );
        }
    }
    let version = code(src, root, "version");
    if let Some((v, off)) = &version {
        if v != stem {
            src.err(
                *off,
                format!("version `{v}` is in file `{stem}.toml`: a version file is named by its version"),
            );
        }
    }
    let act = code(src, root, "act");
    let act_part = root.opt_text(src, "act_part");
    let standard = root.opt_str(src, "standard");
    let from = root.req_date(src, "effective_from");
    let until = root.date(src, "effective_until");
    if let (Some((f, _)), Some((u, off))) = (&from, &until) {
        if u <= f {
            src.err(
                *off,
                format!("effective_until {u} is not after effective_from {f}"),
            );
        }
    }
    let provider_kind = root.text(src, "provider_kind");
    let rendering = root.text(src, "rendering");
    let result_delivery = root.text(src, "result_delivery");

    let payment = root.table(src, "payment").and_then(|mut t| {
        let n = t.req_int(src, "mrp_per_child");
        let citation = t.text(src, "citation");
        t.finish(src);
        let n = match n {
            Some((n, off)) if n < 1 || n > i64::from(u32::MAX) => {
                src.err(off, format!("mrp_per_child must be at least 1, found {n}"));
                None
            }
            n => n,
        };
        Some(PaymentRule {
            mrp_per_child: n?.0 as u32,
            citation: citation?,
        })
    });

    let mut participants = Vec::new();
    for mut t in root.tables(src, "participants") {
        let r = t.str(src, "role").and_then(|(r, o)| role(src, &r, o));
        let name = t.text(src, "name");
        let p = paragraph(src, &mut t, "paragraph");
        t.finish(src);
        if let (Some(role), Some(name), Some(paragraph)) = (r, name, p) {
            participants.push(Participant {
                role,
                name,
                paragraph,
            });
        }
    }

    // Documents, grounds and forms first: channels refer to them.
    let mut documents: Vec<(DocumentKind, usize)> = Vec::new();
    for mut t in root.tables(src, "documents") {
        let c = code(src, &mut t, "code");
        let name = t.text(src, "name");
        let required = t.bool(src, "required").unwrap_or(true);
        let citation = t.text(src, "citation");
        let (_, ph) = placeholder(src, &mut t);
        t.finish(src);
        if let (Some((code, off)), Some(name), Some(citation)) = (c, name, citation) {
            documents.push((
                DocumentKind {
                    code,
                    name,
                    required,
                    citation,
                    placeholder: ph,
                },
                src.line(off),
            ));
        }
    }
    dup_codes(
        src,
        "document",
        documents.iter().map(|(d, l)| (&d.code, *l)),
    );

    let mut grounds: Vec<(RefusalGround, usize)> = Vec::new();
    for mut t in root.tables(src, "refusal_grounds") {
        let c = code(src, &mut t, "code");
        let name = t.text(src, "name");
        let stage = t.str(src, "stage").and_then(|(s, o)| match s.as_str() {
            "intake" => Some(GroundStage::Intake),
            "decision" => Some(GroundStage::Decision),
            other => {
                src.err(
                    o,
                    format!("unknown stage `{other}` (known: intake, decision)"),
                );
                None
            }
        });
        let citation = t.text(src, "citation");
        let docs = t.strs(src, "documents");
        for (d, o) in &docs {
            if !documents.iter().any(|(k, _)| &k.code == d) {
                src.err(
                    *o,
                    format!("unknown document `{d}` (not in this version's documents)"),
                );
            }
        }
        let (_, ph) = placeholder(src, &mut t);
        t.finish(src);
        if let (Some((code, off)), Some(name), Some(stage), Some(citation)) =
            (c, name, stage, citation)
        {
            grounds.push((
                RefusalGround {
                    code,
                    name,
                    stage,
                    citation,
                    documents: docs.into_iter().map(|d| d.0).collect(),
                    placeholder: ph,
                },
                src.line(off),
            ));
        }
    }
    dup_codes(
        src,
        "refusal ground",
        grounds.iter().map(|(d, l)| (&d.code, *l)),
    );

    let mut forms: Vec<(ResultForm, usize)> = Vec::new();
    for mut t in root.tables(src, "result_forms") {
        let c = code(src, &mut t, "code");
        let kind = t.str(src, "kind").and_then(|(s, o)| match s.as_str() {
            "approval" => Some(ResultKind::Approval),
            "refusal" => Some(ResultKind::Refusal),
            "receipt" => Some(ResultKind::Receipt),
            other => {
                src.err(
                    o,
                    format!("unknown result kind `{other}` (known: approval, refusal, receipt)"),
                );
                None
            }
        });
        let name = t.text(src, "name");
        let citation = t.text(src, "citation");
        let (_, ph) = placeholder(src, &mut t);
        t.finish(src);
        if let (Some((code, off)), Some(kind), Some(name), Some(citation)) =
            (c, kind, name, citation)
        {
            forms.push((
                ResultForm {
                    code,
                    kind,
                    name,
                    citation,
                    placeholder: ph,
                },
                src.line(off),
            ));
        }
    }
    dup_codes(src, "result form", forms.iter().map(|(d, l)| (&d.code, *l)));

    let mut channels: Vec<(ChannelRule, usize)> = Vec::new();
    let channel_tables = root.tables(src, "channels");
    if channel_tables.is_empty() && !root.has("channels") {
        src.err(
            0,
            "missing `[[channels]]`: a version needs at least one channel",
        );
    }
    for mut t in channel_tables {
        let ch = t
            .str(src, "code")
            .and_then(|(c, o)| match c.parse::<Channel>() {
                Ok(ch) => Some((ch, o)),
                Err(e) => {
                    src.err(o, e.to_string());
                    None
                }
            });
        let p = paragraph(src, &mut t, "paragraph");
        let intake = match t.table(src, "intake") {
            None => {
                src.err(t.at, format!("missing table `{}.intake`", t.path));
                None
            }
            Some(mut it) => {
                let has_refuses = it.has("refuses_incomplete");
                let refuses = it.bool(src, "refuses_incomplete");
                if !has_refuses {
                    src.err(
                        it.at,
                        format!("missing key `{}.refuses_incomplete`", it.path),
                    );
                }
                let ip = paragraph(src, &mut it, "paragraph");
                let note = it.text(src, "note");
                let gs = it.strs(src, "grounds");
                for (g, o) in &gs {
                    if !grounds.iter().any(|(k, _)| &k.code == g) {
                        src.err(
                            *o,
                            format!("unknown refusal ground `{g}` (not in this version)"),
                        );
                    }
                }
                let receipt = it.opt_str(src, "receipt");
                if let Some((r, o)) = &receipt {
                    match forms.iter().find(|(f, _)| &f.code == r) {
                        None => src.err(
                            *o,
                            format!("unknown result form `{r}` (not in this version)"),
                        ),
                        Some((f, _)) if f.kind != ResultKind::Receipt => {
                            src.err(*o, format!("result form `{r}` is not a receipt"))
                        }
                        _ => {}
                    }
                }
                it.finish(src);
                match (refuses, ip, note) {
                    (Some(refuses_incomplete), Some(paragraph), Some(note)) => Some(Intake {
                        refuses_incomplete,
                        paragraph,
                        note,
                        grounds: gs.into_iter().map(|g| g.0).collect(),
                        receipt: receipt.map(|r| r.0),
                    }),
                    _ => None,
                }
            }
        };
        let mut process = Vec::new();
        for mut pt in t.tables(src, "process") {
            let kind = pt.str(src, "kind").and_then(|(s, o)| match s.as_str() {
                "step" => Some(ProcessKind::Step),
                "process" => Some(ProcessKind::Process),
                "condition" => Some(ProcessKind::Condition),
                other => {
                    src.err(
                        o,
                        format!("unknown process kind `{other}` (known: step, process, condition)"),
                    );
                    None
                }
            });
            let number = match pt.int(src, "number") {
                Some((n, o)) if !(1..=1000).contains(&n) => {
                    src.err(o, format!("number must be between 1 and 1000, found {n}"));
                    None
                }
                n => n.map(|n| n.0 as u32),
            };
            let pp = paragraph(src, &mut pt, "paragraph");
            let text = pt.text(src, "text");
            pt.finish(src);
            if let (Some(kind), Some(paragraph), Some(text)) = (kind, pp, text) {
                process.push(ProcessItem {
                    kind,
                    number,
                    paragraph,
                    text,
                });
            }
        }
        t.finish(src);
        if let (Some((channel, off)), Some(paragraph), Some(intake)) = (ch, p, intake) {
            if let Some((_, l)) = channels.iter().find(|(c, _)| c.channel == channel) {
                src.err(
                    off,
                    format!("duplicate channel `{channel}` (first on line {l})"),
                );
                continue;
            }
            channels.push((
                ChannelRule {
                    channel,
                    paragraph,
                    intake,
                    process,
                },
                src.line(off),
            ));
        }
    }

    let steps = read_steps(src, root, &channels);

    let (Some((service, s_off)), Some((code, v_off)), Some((act, a_off)), Some((from, f_off))) =
        (service, version, act, from)
    else {
        return None;
    };
    let v = Version {
        service,
        code,
        file: src.file.to_owned(),
        act,
        act_part,
        standard: standard.as_ref().map(|s| s.0.clone()),
        effective_from: from,
        effective_until: until.map(|u| u.0),
        provider_kind: provider_kind?,
        rendering: rendering?,
        result_delivery: result_delivery?,
        participants,
        channels: channels.into_iter().map(|c| c.0).collect(),
        steps: steps?,
        documents: documents.into_iter().map(|d| d.0).collect(),
        refusal_grounds: grounds.into_iter().map(|g| g.0).collect(),
        result_forms: forms.into_iter().map(|f| f.0).collect(),
        payment,
        form: form::unset(),
    };
    Some(Draft {
        v,
        folder: folder.to_owned(),
        stem: stem.to_owned(),
        file: src.file.to_owned(),
        line_service: src.line(s_off),
        line_version: src.line(v_off),
        line_act: src.line(a_off),
        line_standard: standard.map(|s| src.line(s.1)).unwrap_or(0),
        line_from: src.line(f_off),
        line_until: until.map(|u| src.line(u.1)).unwrap_or(0),
    })
}

fn dup_codes<'c>(src: &mut Src<'_>, what: &str, items: impl Iterator<Item = (&'c String, usize)>) {
    let mut seen: BTreeMap<&String, usize> = BTreeMap::new();
    for (c, line) in items {
        if let Some(first) = seen.get(c) {
            src.err_line(
                line,
                format!("duplicate {what} `{c}` (first on line {first})"),
            );
        } else {
            seen.insert(c, line);
        }
    }
}

fn read_steps(
    src: &mut Src<'_>,
    root: &mut Tbl<'_, '_>,
    channels: &[(ChannelRule, usize)],
) -> Option<Vec<Step>> {
    let tables = root.tables(src, "steps");
    if tables.is_empty() {
        src.err(
            0,
            "missing `[[steps]]`: register, resolution, review, sign, issue",
        );
        return None;
    }
    let mut steps: Vec<(Step, usize)> = Vec::new();
    let mut complete = true;
    for mut t in tables {
        let c = t
            .str(src, "code")
            .and_then(|(c, o)| match c.parse::<StepCode>() {
                Ok(c) => Some((c, o)),
                Err(e) => {
                    src.err(o, e);
                    None
                }
            });
        let r = t.str(src, "role").and_then(|(r, o)| role(src, &r, o));
        let mut roles = BTreeMap::new();
        if let Some(rt) = t.table(src, "roles") {
            for (ch, ch_off, v) in rt.entries() {
                let channel = match ch.parse::<Channel>() {
                    Ok(c) => c,
                    Err(e) => {
                        src.err(ch_off, e.to_string());
                        continue;
                    }
                };
                if !channels.iter().any(|(c, _)| c.channel == channel) {
                    src.err(
                        ch_off,
                        format!("channel `{channel}` is not one of this version's channels"),
                    );
                }
                match v.get_ref() {
                    DeValue::String(s) => {
                        if let Some(r) = role(src, s, v.span().start) {
                            roles.insert(channel, r);
                        }
                    }
                    other => src.err(
                        v.span().start,
                        format!("a role must be a string, found {}", other.type_str()),
                    ),
                }
            }
        }
        let limit = limit(src, &mut t);
        let paragraphs = t.strs(src, "paragraphs");
        if paragraphs.is_empty() {
            src.err(
                t.at,
                format!(
                    "missing key `{}.paragraphs` (like [\"§5.1\", \"§7.1\"])",
                    t.path
                ),
            );
        }
        for (p, o) in &paragraphs {
            if !p.starts_with('§') {
                src.err(*o, format!("paragraph `{p}` must start with § (like §5.3)"));
            }
        }
        let what = t.text(src, "what");
        let outcome = t.text(src, "outcome");
        t.finish(src);
        match (c, r, limit, what, outcome) {
            (Some((code, off)), Some(role), Some(limit), Some(what), Some(outcome)) => {
                steps.push((
                    Step {
                        code,
                        role,
                        roles,
                        limit,
                        paragraphs: paragraphs.into_iter().map(|p| p.0).collect(),
                        what,
                        outcome,
                    },
                    src.line(off),
                ));
            }
            (Some((code, off)), ..) => {
                // Known code, broken body: still counts for order checks.
                complete = false;
                steps.push((
                    Step {
                        code,
                        role: Role::Clerk,
                        roles: BTreeMap::new(),
                        limit: Limit::Minutes(1),
                        paragraphs: Vec::new(),
                        what: empty_text(),
                        outcome: empty_text(),
                    },
                    src.line(off),
                ));
            }
            _ => complete = false,
        }
    }
    // Duplicates, then order, then what is missing.
    let mut seen: BTreeMap<StepCode, usize> = BTreeMap::new();
    let mut order = Vec::new();
    for (s, line) in &steps {
        if let Some(first) = seen.get(&s.code) {
            src.err_line(
                *line,
                format!("duplicate step `{}` (first on line {first})", s.code),
            );
            complete = false;
        } else {
            seen.insert(s.code, *line);
            order.push((s.code, *line));
        }
    }
    for pair in order.windows(2) {
        if pair[1].0 < pair[0].0 {
            src.err_line(
                pair[1].1,
                format!(
                    "step `{}` comes after `{}`: the order is register, resolution, review, sign, issue",
                    pair[1].0, pair[0].0
                ),
            );
            complete = false;
            break;
        }
    }
    let first_line = steps.first().map(|s| s.1).unwrap_or(1);
    for code in StepCode::ALL {
        if !seen.contains_key(&code) {
            src.err_line(first_line, format!("missing step `{code}`"));
            complete = false;
        }
    }
    complete.then(|| steps.into_iter().map(|s| s.0).collect())
}

fn empty_text() -> Text {
    Text {
        kk: String::new(),
        ru: String::new(),
        en: String::new(),
    }
}

fn read_schema(path: &str, text: &str) -> Result<FormSchema, Diagnostic> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Diagnostic::new(path, e.line(), format!("invalid JSON: {e}")))?;
    form::compile(value)
        .map_err(|(pointer, msg)| Diagnostic::new(path, pointer_line(text, &pointer), msg))
}

/// The line of a JSON pointer's last key in the schema's text: good enough
/// to point at the mistake, as schemas name each key once in most places.
fn pointer_line(text: &str, pointer: &str) -> usize {
    let Some(last) = pointer
        .rsplit('/')
        .find(|s| !s.is_empty() && s.parse::<usize>().is_err())
    else {
        return 1;
    };
    let needle = format!("\"{}\"", last.replace("~1", "/").replace("~0", "~"));
    text.find(&needle).map(|o| line_of(text, o)).unwrap_or(1)
}

/// Checks across files: duplicates, references, folders, overlapping versions.
fn check(
    diags: &mut Vec<Diagnostic>,
    services: &[At<Service>],
    providers: &[At<Provider>],
    acts: &[At<Act>],
    versions: &[Draft],
    schemas: &BTreeMap<(String, String), (&str, &str)>,
    folders: &BTreeSet<&str>,
) {
    let mut dup = |what: &str, items: Vec<(&str, &str, usize)>| {
        let mut seen: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
        for (c, file, line) in items {
            if let Some((f, l)) = seen.get(c) {
                diags.push(Diagnostic::new(
                    file,
                    line,
                    format!("duplicate {what} `{c}` (first at {f}:{l})"),
                ));
            } else {
                seen.insert(c, (file, line));
            }
        }
    };
    dup(
        "service",
        services
            .iter()
            .map(|s| (s.v.code.as_str(), s.file.as_str(), s.line))
            .collect(),
    );
    dup(
        "provider",
        providers
            .iter()
            .map(|s| (s.v.code.as_str(), s.file.as_str(), s.line))
            .collect(),
    );
    dup(
        "act",
        acts.iter()
            .map(|s| (s.v.code.as_str(), s.file.as_str(), s.line))
            .collect(),
    );
    // Versions are unique within their service.
    let by_service: BTreeSet<&str> = versions.iter().map(|d| d.v.service.as_str()).collect();
    for s in &by_service {
        dup(
            &format!("version of `{s}`"),
            versions
                .iter()
                .filter(|d| d.v.service == *s)
                .map(|d| (d.v.code.as_str(), d.file.as_str(), d.line_version))
                .collect(),
        );
    }

    let act_known = |c: &str| acts.iter().any(|a| a.v.code == c);
    for a in acts {
        for (c, line) in &a.refs {
            if !act_known(c) {
                diags.push(Diagnostic::new(
                    &a.file,
                    *line,
                    format!("unknown act `{c}`"),
                ));
            }
        }
    }
    for s in services {
        for (c, line) in &s.refs {
            if !providers.iter().any(|x| &x.v.code == c) {
                diags.push(Diagnostic::new(
                    &s.file,
                    *line,
                    format!("unknown provider `{c}`"),
                ));
            }
        }
        if !folders.contains(s.v.code.as_str()) {
            diags.push(Diagnostic::new(
                &s.file,
                s.line,
                format!(
                    "service `{}` has no version file in `{}/`",
                    s.v.code, s.v.code
                ),
            ));
        }
    }

    for d in versions {
        if !services.iter().any(|s| s.v.code == d.v.service) {
            diags.push(Diagnostic::new(
                &d.file,
                d.line_service,
                format!("unknown service `{}` (not in services.toml)", d.v.service),
            ));
        }
        if !act_known(&d.v.act) {
            diags.push(Diagnostic::new(
                &d.file,
                d.line_act,
                format!("unknown act `{}`", d.v.act),
            ));
        }
        if let Some(s) = &d.v.standard {
            if !act_known(s) {
                diags.push(Diagnostic::new(
                    &d.file,
                    d.line_standard,
                    format!("unknown act `{s}`"),
                ));
            }
        }
        if !schemas.contains_key(&(d.folder.clone(), d.stem.clone())) {
            diags.push(Diagnostic::new(
                &d.file,
                d.line_version,
                format!("missing form schema `{}/{}{SCHEMA_EXT}`", d.folder, d.stem),
            ));
        }
    }

    // Versions of one service must not overlap.
    for s in &by_service {
        let mut vs: Vec<&Draft> = versions.iter().filter(|d| d.v.service == *s).collect();
        vs.sort_by_key(|d| (d.v.effective_from, d.file.clone()));
        for pair in vs.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.v.effective_from == b.v.effective_from {
                diags.push(Diagnostic::new(
                    &b.file,
                    b.line_from,
                    format!(
                        "version `{}` starts on {}, the same day as version `{}` ({}): versions overlap",
                        b.v.code, b.v.effective_from, a.v.code, a.file
                    ),
                ));
            } else if let Some(until) = a.v.effective_until {
                if until > b.v.effective_from {
                    diags.push(Diagnostic::new(
                        &a.file,
                        a.line_until,
                        format!(
                            "effective_until {until} is after {}, when version `{}` starts: versions overlap",
                            b.v.effective_from, b.v.code
                        ),
                    ));
                }
            }
        }
    }
}
