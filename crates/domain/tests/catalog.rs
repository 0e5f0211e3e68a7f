//! The shipped catalog, and the checker on broken copies of it: every
//! fixture starts from the real files and breaks one thing.

use chrono::NaiveDate;
use qyzmet_domain::catalog::{
    load, render_text, Catalog, Lang, StepCode, VersionEnd, VersionEndError,
};
use qyzmet_domain::{Channel, Diagnostic, Limit, Role};
use serde_json::json;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog");
const A: &str = "meeting-permission/2018-20-02.toml";
const B: &str = "foster-care-payment/2016-64-04.toml";
const C: &str = "adoption-payment/2016-64-04.toml";

fn read_dir(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_dir(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn real_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    read_dir(Path::new(ROOT), Path::new(ROOT), &mut out);
    out.sort();
    out
}

fn real() -> Catalog {
    load(&real_files()).unwrap_or_else(|d| panic!("{}", lines(&d)))
}

fn lines(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn text(files: &[(String, String)], path: &str) -> String {
    files.iter().find(|f| f.0 == path).unwrap().1.clone()
}

/// The real files with `from` replaced by `to` (first occurrence) in `path`.
fn edit(files: &mut [(String, String)], path: &str, from: &str, to: &str) {
    let f = files.iter_mut().find(|f| f.0 == path).unwrap();
    assert!(f.1.contains(from), "{path} has no {from:?}");
    f.1 = f.1.replacen(from, to, 1);
}

fn put(files: &mut Vec<(String, String)>, path: &str, text: &str) {
    files.retain(|f| f.0 != path);
    files.push((path.into(), text.into()));
}

/// The 1-based line where `needle` first occurs in `path`.
fn line(files: &[(String, String)], path: &str, needle: &str) -> usize {
    let t = text(files, path);
    let at = t
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {path}"));
    t[..at].matches('\n').count() + 1
}

fn errors(files: &[(String, String)]) -> Vec<Diagnostic> {
    match load(files) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d,
    }
}

/// Asserts that one diagnostic is exactly `file:line: …phrase…`.
#[track_caller]
fn has(d: &[Diagnostic], file: &str, line: usize, phrase: &str) {
    assert!(
        d.iter()
            .any(|x| x.file == file && x.line == line && x.message.contains(phrase)),
        "no `{file}:{line}: …{phrase}…` in:\n{}",
        lines(d)
    );
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

// ---------------------------------------------------------------- shipped

#[test]
fn shipped_catalog_loads_with_three_services() {
    let c = real();
    let codes: Vec<&str> = c.services().iter().map(|s| s.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "meeting-permission",
            "foster-care-payment",
            "adoption-payment"
        ]
    );
    let channels = |s: &str| -> Vec<Channel> {
        c.version_at(s, date("2026-01-10"))
            .unwrap()
            .channels
            .iter()
            .map(|c| c.channel)
            .collect()
    };
    assert_eq!(
        channels("meeting-permission"),
        [Channel::Office, Channel::StateCorporation]
    );
    assert_eq!(
        channels("foster-care-payment"),
        [Channel::Office, Channel::Portal]
    );
    assert_eq!(
        channels("adoption-payment"),
        [Channel::Office, Channel::Portal]
    );
    assert_eq!(
        c.provider("karaganda-city-education").unwrap().name.kk,
        "Қарағанды қаласының білім бөлімі"
    );
    assert!(c
        .provider("karaganda-city-education")
        .unwrap()
        .placeholder
        .is_some());
}

#[test]
fn step_limits_are_the_regulations() {
    use Limit::*;
    let c = real();
    let limits = |s: &str| -> Vec<Limit> {
        c.version_at(s, date("2026-01-10"))
            .unwrap()
            .steps
            .iter()
            .map(|s| s.limit)
            .collect()
    };
    assert_eq!(
        limits("meeting-permission"),
        [
            Minutes(15),
            Minutes(30),
            WorkingDays(2),
            Minutes(30),
            CalendarDays(1)
        ]
    );
    assert_eq!(
        limits("foster-care-payment"),
        [
            Minutes(20),
            WorkingDays(1),
            WorkingDays(3),
            Minutes(30),
            Minutes(15)
        ]
    );
    assert_eq!(
        limits("adoption-payment"),
        [
            Minutes(20),
            WorkingDays(1),
            WorkingDays(5),
            WorkingDays(1),
            Minutes(15)
        ]
    );
}

#[test]
fn roles_per_step_and_channel() {
    let c = real();
    for s in c.services() {
        let v = c.version_at(&s.code, date("2026-01-10")).unwrap();
        let codes: Vec<StepCode> = v.steps.iter().map(|s| s.code).collect();
        assert_eq!(codes, StepCode::ALL);
        let roles: Vec<Role> = v.steps.iter().map(|s| s.role_in(Channel::Office)).collect();
        assert_eq!(
            roles,
            [
                Role::Clerk,
                Role::Head,
                Role::Specialist,
                Role::Head,
                Role::Clerk
            ]
        );
        assert!(v.steps.iter().all(|s| !s.paragraphs.is_empty()));
    }
    let a = c.version("meeting-permission", "2018-20-02").unwrap();
    let issue = a.step(StepCode::Issue).unwrap();
    assert_eq!(issue.role_in(Channel::StateCorporation), Role::Operator);
    assert_eq!(issue.role_in(Channel::Office), Role::Clerk);
    assert_eq!(
        a.step(StepCode::Review).unwrap().paragraphs,
        ["§5.3", "§7.3"]
    );
    assert_eq!(
        a.step(StepCode::Register)
            .unwrap()
            .role_in(Channel::StateCorporation),
        Role::Clerk
    );
}

#[test]
fn intake_refusal_is_per_version_and_channel() {
    let c = real();
    let a = c.version("meeting-permission", "2018-20-02").unwrap();
    assert!(a.refuses_incomplete_at_intake(Channel::Office));
    assert!(a.refuses_incomplete_at_intake(Channel::StateCorporation));
    let receipt = a
        .channel(Channel::StateCorporation)
        .unwrap()
        .intake
        .receipt
        .as_deref()
        .unwrap();
    assert!(a.result_form(receipt).unwrap().placeholder.is_some());
    for s in ["foster-care-payment", "adoption-payment"] {
        let v = c.version(s, "2016-64-04").unwrap();
        assert!(!v.refuses_incomplete_at_intake(Channel::Office));
        assert!(!v.refuses_incomplete_at_intake(Channel::Portal));
        assert_eq!(v.channel(Channel::Portal).unwrap().process.len(), 11);
    }
    assert_eq!(
        a.channel(Channel::StateCorporation).unwrap().process.len(),
        11
    );
}

#[test]
fn unknown_legal_facts_are_placeholders() {
    let c = real();
    for s in c.services() {
        for v in &s.versions {
            assert!(
                v.documents.iter().all(|d| d.placeholder.is_some()),
                "{}",
                v.file
            );
            assert!(v
                .refusal_grounds
                .iter()
                .any(|g| g.code == "standard-item-10" && g.placeholder.is_some()));
            assert!(v.result_forms.iter().any(|f| f.placeholder.is_some()));
        }
    }
    let a = c.version("meeting-permission", "2018-20-02").unwrap();
    let grounds: Vec<&str> = a.refusal_grounds.iter().map(|g| g.code.as_str()).collect();
    assert!(grounds.contains(&"incomplete-package") && grounds.contains(&"expired-documents"));
}

#[test]
fn legal_history_is_data() {
    let c = real();
    let a6404 = c.act("karaganda-2016-64-04").unwrap();
    assert_eq!(a6404.registration_number.as_deref(), Some("3979"));
    assert_eq!(a6404.registration_date, Some(date("2016-10-10")));
    assert_eq!(a6404.effective_date, Some(date("2016-10-20")));
    assert!(a6404.effective_date_placeholder);
    assert_eq!(
        a6404.restates,
        ["karaganda-2015-34-17", "karaganda-2015-34-18"]
    );
    assert_eq!(a6404.repeals, ["karaganda-2016-52-03"]);
    assert_eq!(a6404.repealed_by.as_deref(), Some("karaganda-2018-20-02"));
    assert_eq!(
        c.act("karaganda-2018-20-02")
            .unwrap()
            .repealed_by
            .as_deref(),
        Some("karaganda-2020-18-01")
    );
    assert_eq!(
        c.act("karaganda-2015-34-18")
            .unwrap()
            .registration_number
            .as_deref(),
        Some("3355")
    );
    let std = c.act("moes-order-2015-198").unwrap();
    assert_eq!(
        (std.registration_number.as_deref(), std.repealed_on),
        (Some("11184"), Some(date("2020-05-09")))
    );
    let b = c.version("foster-care-payment", "2016-64-04").unwrap();
    let history: Vec<&str> = c.history(b).iter().map(|a| a.code.as_str()).collect();
    for code in [
        "karaganda-2015-34-17",
        "karaganda-2016-52-03",
        "karaganda-2016-64-04",
        "karaganda-2018-20-02",
        "moes-order-2015-198",
    ] {
        assert!(history.contains(&code), "{code} not in {history:?}");
    }
}

#[test]
fn render_text_in_three_languages() {
    let c = real();
    let a = c.version("meeting-permission", "2018-20-02").unwrap();
    let kk = render_text(&c, a, Lang::Kk);
    let ru = render_text(&c, a, Lang::Ru);
    let en = render_text(&c, a, Lang::En);
    assert!(
        kk.contains("## Рәсімдер")
            && kk.contains("ОРЫНТОЛТЫРҒЫШ")
            && kk.contains("Балаға кері әсер")
    );
    assert!(ru.contains("## Процедуры") && ru.contains("ЗАГЛУШКА") && ru.contains("Госкорпорация"));
    assert!(en.contains("## Steps") && en.contains("PLACEHOLDER") && en.contains("2 working days"));
    assert!(en.contains("an incomplete package is refused at intake"));
    assert!(en.contains("Applies from: 2018-05-03") && en.contains("20/02"));
    assert!(en.contains("State Corporation operator (operator)"));
    let cc = c.version("adoption-payment", "2016-64-04").unwrap();
    assert!(render_text(&c, cc, Lang::En).contains("75 MRP per child"));
    assert_eq!("ru".parse::<Lang>().unwrap(), Lang::Ru);
    assert!("de".parse::<Lang>().is_err());
}

#[test]
fn api_view_matches_the_contract_shape() {
    let c = real();
    let view = serde_json::to_value(c.services_at(date("2026-03-02"))).unwrap();
    let a = &view[0];
    assert_eq!(a["code"], "meeting-permission");
    assert_eq!(a["channels"], json!(["office", "state-corporation"]));
    assert_eq!(
        a["steps"][0],
        json!({"code": "register", "role": "clerk", "limit": {"minutes": 15}})
    );
    assert_eq!(
        a["steps"][4],
        json!({"code": "issue", "role": "clerk", "roles": {"state-corporation": "operator"}, "limit": {"calendar_days": 1}})
    );
    assert_eq!(
        a["regulation"],
        json!({"act": "20/02", "date": "2018-05-03", "version": "2018-20-02"})
    );
    assert_eq!(
        a["form"]["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(a["documents"][0]["required"].is_boolean());
    assert!(a["refusal_grounds"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["code"] == "standard-item-10"));
    assert_eq!(view[2]["steps"][2]["limit"], json!({"working_days": 5}));
}

// ---------------------------------------------------------------- versions

fn future_a(files: &mut Vec<(String, String)>, from: &str) {
    let t = text(files, A)
        .replace("version = \"2018-20-02\"", "version = \"2027-future\"")
        .replace(
            "effective_from = 2018-05-03",
            &format!("effective_from = {from}"),
        )
        .replace("{ working_days = 2 }", "{ working_days = 4 }");
    put(files, "meeting-permission/2027-future.toml", &t);
    let s = text(files, "meeting-permission/2018-20-02.schema.json");
    put(files, "meeting-permission/2027-future.schema.json", &s);
}

#[test]
fn a_future_version_applies_only_from_its_date() {
    let mut files = real_files();
    future_a(&mut files, "2027-03-01");
    let c = load(&files).unwrap_or_else(|d| panic!("{}", lines(&d)));
    let at = |d: &str| {
        c.version_at("meeting-permission", date(d))
            .map(|v| v.code.clone())
    };
    assert_eq!(at("2018-05-02"), None);
    assert_eq!(at("2018-05-03").as_deref(), Some("2018-20-02"));
    assert_eq!(at("2027-02-28").as_deref(), Some("2018-20-02"));
    assert_eq!(at("2027-03-01").as_deref(), Some("2027-future"));
    assert_eq!(at("2030-01-01").as_deref(), Some("2027-future"));

    // An application accepted on 2026-11-24 is pinned to the version then in force.
    let pinned = c
        .version_at("meeting-permission", date("2026-11-24"))
        .unwrap()
        .code
        .clone();
    let v = c.version("meeting-permission", &pinned).unwrap();
    assert_eq!(
        v.step(StepCode::Review).unwrap().limit,
        Limit::WorkingDays(2)
    );
    let newer = c.version("meeting-permission", "2027-future").unwrap();
    assert_eq!(
        newer.step(StepCode::Review).unwrap().limit,
        Limit::WorkingDays(4)
    );
    // The other services are untouched.
    assert!(c
        .version_at("adoption-payment", date("2027-03-01"))
        .is_some());
}

#[test]
fn administrator_ends_are_layered_over_the_files() {
    let mut files = real_files();
    future_a(&mut files, "2027-03-01");
    let c = load(&files).unwrap();
    let end = |until: &str| VersionEnd {
        service: "meeting-permission".into(),
        version: "2018-20-02".into(),
        effective_until: Some(date(until)),
    };
    let ended = c.with_version_ends(&[end("2026-12-31")]).unwrap();
    assert_eq!(
        ended
            .version_at("meeting-permission", date("2026-12-30"))
            .unwrap()
            .code,
        "2018-20-02"
    );
    assert!(ended
        .version_at("meeting-permission", date("2026-12-31"))
        .is_none());
    assert_eq!(
        ended
            .version_at("meeting-permission", date("2027-03-01"))
            .unwrap()
            .code,
        "2027-future"
    );
    // Pinned applications still find their version.
    assert!(ended.version("meeting-permission", "2018-20-02").is_some());
    // The files' catalog is unchanged.
    assert!(c
        .version_at("meeting-permission", date("2026-12-31"))
        .is_some());

    let err = c.with_version_ends(&[end("2027-04-01")]).unwrap_err();
    assert!(
        matches!(err[0], VersionEndError::OverlapsNext { .. }),
        "{err:?}"
    );
    let err = c.with_version_ends(&[end("2018-05-03")]).unwrap_err();
    assert!(
        matches!(err[0], VersionEndError::NotAfterStart { .. }),
        "{err:?}"
    );
    let err = c
        .with_version_ends(&[VersionEnd {
            service: "meeting-permission".into(),
            version: "nope".into(),
            effective_until: None,
        }])
        .unwrap_err();
    assert!(matches!(err[0], VersionEndError::UnknownVersion { .. }));
}

// ---------------------------------------------------------------- forms

/// The day the forms are checked on in these tests.
fn today() -> chrono::NaiveDate {
    date("2026-11-24")
}

/// A child of service C's form, born on the day the IIN says.
fn child(iin: &str) -> serde_json::Value {
    let born = qyzmet_domain::Iin::parse(iin)
        .ok()
        .and_then(|i| i.birth_date())
        .map_or("2020-03-15".to_owned(), |d| d.to_string());
    json!({"iin": iin, "name": "Асанов Нұрлан", "birth_date": born,
           "court_decision": {"number": "2-1234/2024", "date": "2024-05-20"}})
}

#[test]
fn adoption_form() {
    let c = real();
    let v = c.version("adoption-payment", "2016-64-04").unwrap();
    let bank = json!({"iban": "KZ86125KZT5004100100"});
    let check = |form: serde_json::Value| v.validate_form(&form, today());
    assert_eq!(
        check(json!({"children": [child("200315500017")], "bank_account": bank})),
        Ok(())
    );
    assert_eq!(
        check(
            json!({"children": [child("200315500017"), child("190901600034")], "bank_account": bank})
        ),
        Ok(())
    );

    let none = check(json!({"children": [], "bank_account": bank})).unwrap_err();
    assert_eq!(none[0].path, "/children", "{none:?}");

    let bad = check(
        json!({"children": [child("200315500017"), child("200315500018")], "bank_account": bank}),
    )
    .unwrap_err();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].path, "/children/1/iin");
    assert!(bad[0].message.contains("IIN"), "{}", bad[0].message);

    let missing = check(json!({"children": [child("200315500017")]})).unwrap_err();
    assert!(
        missing.iter().any(|e| e.message.contains("bank_account")),
        "{missing:?}"
    );

    // One character of the account number mistyped: the IBAN's check
    // digits catch it.
    let typo = check(json!({"children": [child("200315500017")],
                            "bank_account": {"iban": "KZ86125KZT5004100101"}}))
    .unwrap_err();
    assert_eq!(typo.len(), 1, "{typo:?}");
    assert_eq!(typo[0].path, "/bank_account/iban");
    assert!(typo[0].message.contains("check digits"), "{typo:?}");
}

/// A form's problems on [`today`], each as (pointer, message).
fn problems(v: &qyzmet_domain::catalog::Version, form: serde_json::Value) -> Vec<(String, String)> {
    v.validate_form(&form, today())
        .unwrap_err()
        .into_iter()
        .map(|e| (e.path, e.message))
        .collect()
}

#[test]
fn dates_are_checked_against_the_day_and_the_iin() {
    let c = real();
    let v = c.version("adoption-payment", "2016-64-04").unwrap();
    let bank = json!({"iban": "KZ86125KZT5004100100"});
    // An adopted child may be born, on the papers, another day than the
    // IIN says (the date may be changed to keep the adoption secret): C does
    // not tie them. A court decision dated after the day of the check is
    // refused.
    let mut second = child("190901600034");
    second["birth_date"] = json!("2019-09-02");
    second["court_decision"]["date"] = json!("2026-11-25");
    let found = problems(
        v,
        json!({"children": [child("200315500017"), second], "bank_account": bank}),
    );
    assert_eq!(
        found,
        [(
            "/children/1/court_decision/date".to_owned(),
            "the date is later than today (2026-11-24)".to_owned()
        )]
    );
    // The same decision on the day itself is taken.
    let mut same_day = child("190901600034");
    same_day["birth_date"] = json!("2019-09-02");
    same_day["court_decision"]["date"] = json!("2026-11-24");
    assert_eq!(
        v.validate_form(
            &json!({"children": [same_day], "bank_account": bank}),
            today()
        ),
        Ok(())
    );
    // A child placed with foster caregivers (B) is born the day the IIN
    // says.
    let b = c.version("foster-care-payment", "2016-64-04").unwrap();
    let other_day = json!({
        "child": {"iin": "190901600034", "name": "Серікова Аружан", "birth_date": "2019-09-02"},
        "patronage_contract": {"number": "П-17", "date": "2025-02-03"}
    });
    assert_eq!(
        problems(b, other_day),
        [(
            "/child/birth_date".to_owned(),
            "the birth date differs from the one the IIN carries (2019-09-01)".to_owned()
        )]
    );

    // A meeting asked for yesterday is refused; today and later are taken.
    let a = c.version("meeting-permission", "2018-20-02").unwrap();
    let meeting = |day: &str| {
        json!({
            "child": {"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15"},
            "meeting": {"preferred_date": day}
        })
    };
    let past = a
        .validate_form(&meeting("2026-11-23"), today())
        .unwrap_err();
    assert_eq!(past.len(), 1, "{past:?}");
    assert_eq!(past[0].path, "/meeting/preferred_date");
    assert_eq!(
        past[0].message,
        "the date is earlier than today (2026-11-24)"
    );
    assert_eq!(a.validate_form(&meeting("2026-11-24"), today()), Ok(()));
    // The child comes through `$ref`: its birth date is checked there too.
    let mut unborn = meeting("2026-12-01");
    unborn["child"]["birth_date"] = json!("2026-11-30");
    let errs = a.validate_form(&unborn, today()).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].path, "/child/birth_date");
    assert!(errs[0].message.contains("later than today"), "{errs:?}");
}

#[test]
fn foster_care_form() {
    let c = real();
    let v = c.version("foster-care-payment", "2016-64-04").unwrap();
    let good = json!({
        "child": {"iin": "190901600034", "name": "Серікова Аружан", "birth_date": "2019-09-01"},
        "patronage_contract": {"number": "П-17", "date": "2025-02-03"}
    });
    assert_eq!(v.validate_form(&good, today()), Ok(()));
    let mut bad = good.clone();
    bad["patronage_contract"]["date"] = json!("3 February 2025");
    bad["child"]["iin"] = json!("821214240092");
    let errs = v.validate_form(&bad, today()).unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/child/iin", "/patronage_contract/date"]);
}

#[test]
fn meeting_permission_form() {
    let c = real();
    let v = c.version("meeting-permission", "2018-20-02").unwrap();
    let good = json!({
        "child": {"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15"},
        "meeting": {"preferred_date": "2026-12-01", "place": "Қарағанды, білім бөлімі"}
    });
    assert_eq!(v.validate_form(&good, today()), Ok(()));
    let mut bad = good.clone();
    bad["meeting"]["preferred_date"] = json!("someday");
    bad["extra"] = json!(1);
    let errs = v.validate_form(&bad, today()).unwrap_err();
    assert!(
        errs.iter().any(|e| e.path == "/meeting/preferred_date"),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.path.is_empty() && e.message.contains("extra")),
        "{errs:?}"
    );
}

// ---------------------------------------------------------------- MRP

#[test]
fn adoption_payment_is_75_mrp_per_child_of_the_decision_year() {
    let c = real();
    let v = c.version("adoption-payment", "2016-64-04").unwrap();
    let one = c.payment_amount(v, 2026, 1).unwrap();
    assert_eq!(one.amount, 75 * 4325);
    assert!(one.mrp_confirmed);
    assert_eq!(c.payment_amount(v, 2026, 2).unwrap().amount, 2 * 75 * 4325);
    assert_eq!(c.payment_amount(v, 2025, 1).unwrap().amount, 75 * 3932);
    let y2018 = c.payment_amount(v, 2018, 1).unwrap();
    assert_eq!((y2018.amount, y2018.mrp_confirmed), (75 * 2405, false));
    assert_eq!(c.payment_amount(v, 2019, 1), None);
    assert_eq!(
        c.payment_on(v, date("2026-06-30"), 1).unwrap().amount,
        324_375
    );
    let b = c.version("foster-care-payment", "2016-64-04").unwrap();
    assert_eq!(c.payment_amount(b, 2026, 1), None);
}

// ---------------------------------------------------------------- checker

#[test]
fn unknown_role() {
    let mut f = real_files();
    edit(
        &mut f,
        A,
        "code = \"review\"\nrole = \"specialist\"",
        "code = \"review\"\nrole = \"boss\"",
    );
    let d = errors(&f);
    has(&d, A, line(&f, A, "\"boss\""), "unknown role `boss`");
    let mut f = real_files();
    edit(
        &mut f,
        A,
        "state-corporation = \"operator\"",
        "state-corporation = \"auditor\"",
    );
    has(
        &errors(&f),
        A,
        line(&f, A, "\"auditor\""),
        "role `auditor` does not do a regulation's steps",
    );
}

#[test]
fn bad_limits() {
    for (to, phrase) in [
        (
            "limit = { minutes = 0 }",
            "limit must be at least 1, found 0",
        ),
        (
            "limit = { minutes = -5 }",
            "limit must be at least 1, found -5",
        ),
        ("limit = {}", "limit has no unit"),
        (
            "limit = { minutes = 15, working_days = 1 }",
            "limit has 2 units",
        ),
        ("limit = { hours = 2 }", "unknown limit unit `hours`"),
        ("limit = 15", "limit must be a table with one unit"),
        ("limit = { minutes = \"15\" }", "must be a whole number"),
    ] {
        let mut f = real_files();
        edit(&mut f, A, "limit = { minutes = 15 }", to);
        let d = errors(&f);
        has(&d, A, line(&f, A, to), phrase);
        assert_eq!(d.len(), 1, "{}", lines(&d));
    }
}

#[test]
fn missing_translation() {
    let mut f = real_files();
    let en = "name.en = \"Permission for parents";
    let at = line(&f, "services.toml", en);
    let t = text(&f, "services.toml");
    let without: String = t
        .lines()
        .filter(|l| !l.starts_with(en))
        .map(|l| format!("{l}\n"))
        .collect();
    put(&mut f, "services.toml", &without);
    let d = errors(&f);
    assert!(
        d.iter().any(|x| x.file == "services.toml"
            && x.message
                .contains("missing translation `services[1].name.en`")),
        "{}",
        lines(&d)
    );
    assert!(d.iter().all(|x| x.line <= at), "{}", lines(&d));

    let mut f = real_files();
    edit(
        &mut f,
        B,
        "outcome.ru = \"определение",
        "outcome.ru = \"\"\nx = \"",
    );
    let d = errors(&f);
    has(
        &d,
        B,
        line(&f, B, "outcome.ru = \"\""),
        "missing translation `steps[2].outcome.ru` (empty)",
    );

    let mut f = real_files();
    edit(
        &mut f,
        C,
        "act_part = { kk = \"2-қосымша\", ru = \"приложение 2\", en = \"appendix 2\" }",
        "act_part = { kk = \"2-қосымша\", ru = \"приложение 2\" }",
    );
    has(
        &errors(&f),
        C,
        line(&f, C, "act_part"),
        "missing translation `act_part.en`",
    );
}

#[test]
fn overlapping_versions() {
    // The same start.
    let mut f = real_files();
    future_a(&mut f, "2018-05-03");
    let new = "meeting-permission/2027-future.toml";
    has(
        &errors(&f),
        new,
        line(&f, new, "effective_from"),
        "the same day as version `2018-20-02`",
    );

    // An explicit end after the next version's start.
    let mut f = real_files();
    future_a(&mut f, "2027-03-01");
    edit(
        &mut f,
        A,
        "effective_from = 2018-05-03",
        "effective_from = 2018-05-03\neffective_until = 2027-04-01",
    );
    has(
        &errors(&f),
        A,
        line(&f, A, "effective_until"),
        "after 2027-03-01, when version `2027-future` starts",
    );

    // An end not after the start.
    let mut f = real_files();
    edit(
        &mut f,
        A,
        "effective_from = 2018-05-03",
        "effective_from = 2018-05-03\neffective_until = 2018-05-03",
    );
    has(
        &errors(&f),
        A,
        line(&f, A, "effective_until"),
        "effective_until 2018-05-03 is not after effective_from 2018-05-03",
    );
}

#[test]
fn duplicate_codes() {
    // Services.
    let mut f = real_files();
    let t = text(&f, "services.toml");
    let first =
        &t[t.find("[[services]]").unwrap()..t.find("\n[[services]]\ncode = \"foster").unwrap()];
    put(&mut f, "services.toml", &format!("{t}\n{first}"));
    let second = text(&f, "services.toml")
        .rfind("code = \"meeting-permission\"")
        .unwrap();
    let l = text(&f, "services.toml")[..second].matches('\n').count() + 1;
    has(
        &errors(&f),
        "services.toml",
        l,
        "duplicate service `meeting-permission` (first at services.toml:5)",
    );

    // Versions.
    let mut f = real_files();
    let t = text(&f, A);
    put(
        &mut f,
        "meeting-permission/copy.toml",
        &t.replace("effective_from = 2018-05-03", "effective_from = 2019-01-01"),
    );
    let s = text(&f, "meeting-permission/2018-20-02.schema.json");
    put(&mut f, "meeting-permission/copy.schema.json", &s);
    has(
        &errors(&f),
        "meeting-permission/copy.toml",
        line(&f, A, "version ="),
        "duplicate version of `meeting-permission` `2018-20-02`",
    );

    // Providers.
    let mut f = real_files();
    let t = text(&f, "providers.toml");
    let block = &t[t.find("[[providers]]").unwrap()..];
    put(&mut f, "providers.toml", &format!("{t}\n{block}"));
    let d = errors(&f);
    assert!(
        d.iter().any(|x| x.file == "providers.toml"
            && x.line > 4
            && x.message
                .starts_with("duplicate provider `karaganda-city-education`")),
        "{}",
        lines(&d)
    );

    // Steps.
    let mut f = real_files();
    edit(&mut f, B, "code = \"sign\"", "code = \"review\"");
    let d = errors(&f);
    has(
        &d,
        B,
        line(&f, B, "code = \"review\"\nrole = \"head\""),
        "duplicate step `review`",
    );
    has(
        &d,
        B,
        line(&f, B, "code = \"register\""),
        "missing step `sign`",
    );

    // Documents and grounds.
    let mut f = real_files();
    edit(
        &mut f,
        C,
        "code = \"bank-account\"",
        "code = \"court-decision\"",
    );
    edit(
        &mut f,
        C,
        "code = \"standard-item-10\"",
        "code = \"documents-violation\"",
    );
    let d = errors(&f);
    has(
        &d,
        C,
        line(
            &f,
            C,
            "code = \"court-decision\"\nname.kk = \"өтініш берушінің",
        ),
        "duplicate document `court-decision`",
    );
    let t = text(&f, C);
    let second = t.rfind("code = \"documents-violation\"").unwrap();
    has(
        &d,
        C,
        t[..second].matches('\n').count() + 1,
        "duplicate refusal ground `documents-violation`",
    );

    // Acts.
    let mut f = real_files();
    edit(
        &mut f,
        "acts.toml",
        "code = \"karaganda-2015-34-18\"",
        "code = \"karaganda-2015-34-17\"",
    );
    let d = errors(&f);
    let t = text(&f, "acts.toml");
    let second = t.rfind("code = \"karaganda-2015-34-17\"").unwrap();
    has(
        &d,
        "acts.toml",
        t[..second].matches('\n').count() + 1,
        "duplicate act `karaganda-2015-34-17`",
    );
    has(
        &d,
        "acts.toml",
        line(&f, "acts.toml", "\"karaganda-2015-34-18\"]"),
        "unknown act `karaganda-2015-34-18`",
    );
}

#[test]
fn unknown_keys_each_reported() {
    let mut f = real_files();
    edit(
        &mut f,
        A,
        "code = \"review\"",
        "code = \"review\"\ncolour = \"red\"",
    );
    edit(
        &mut f,
        A,
        "effective_from =",
        "effective_form = 2018-05-03\neffective_from =",
    );
    edit(
        &mut f,
        "mrp.toml",
        "amount = 4325",
        "amount = 4325\nconfimed = true",
    );
    let d = errors(&f);
    has(
        &d,
        A,
        line(&f, A, "colour"),
        "unknown key `steps[3].colour`",
    );
    has(
        &d,
        A,
        line(&f, A, "effective_form"),
        "unknown key `effective_form`",
    );
    has(
        &d,
        "mrp.toml",
        line(&f, "mrp.toml", "confimed"),
        "unknown key `mrp[6].confimed`",
    );
    assert_eq!(d.len(), 3, "{}", lines(&d));
}

#[test]
fn unknown_step_code_and_wrong_order() {
    let mut f = real_files();
    edit(&mut f, A, "code = \"review\"", "code = \"approve\"");
    let d = errors(&f);
    has(&d, A, line(&f, A, "\"approve\""), "unknown step `approve`");
    has(
        &d,
        A,
        line(&f, A, "code = \"register\""),
        "missing step `review`",
    );

    let mut f = real_files();
    edit(&mut f, C, "code = \"review\"", "code = \"tmp\"");
    edit(&mut f, C, "code = \"sign\"", "code = \"review\"");
    edit(&mut f, C, "code = \"tmp\"", "code = \"sign\"");
    let d = errors(&f);
    has(
        &d,
        C,
        line(&f, C, "code = \"review\""),
        "step `review` comes after `sign`: the order is register, resolution, review, sign, issue",
    );
}

#[test]
fn unknown_references() {
    let mut f = real_files();
    edit(
        &mut f,
        A,
        "act = \"karaganda-2018-20-02\"",
        "act = \"karaganda-2018-20-99\"",
    );
    edit(
        &mut f,
        A,
        "documents = [\"application\"",
        "documents = [\"passport\"",
    );
    edit(
        &mut f,
        "services.toml",
        "providers = [\"karaganda-city-education\"]",
        "providers = [\"astana-education\"]",
    );
    edit(
        &mut f,
        "acts.toml",
        "repealed_by = \"karaganda-2020-18-01\"",
        "repealed_by = \"karaganda-2020-18-02\"",
    );
    edit(
        &mut f,
        B,
        "grounds = [\"documents-violation\"]",
        "grounds = [\"no-such-ground\"]",
    );
    let d = errors(&f);
    has(
        &d,
        A,
        line(&f, A, "act = "),
        "unknown act `karaganda-2018-20-99`",
    );
    has(
        &d,
        A,
        line(&f, A, "\"passport\""),
        "unknown document `passport`",
    );
    has(
        &d,
        "services.toml",
        line(&f, "services.toml", "astana-education"),
        "unknown provider `astana-education`",
    );
    has(
        &d,
        "acts.toml",
        line(&f, "acts.toml", "karaganda-2020-18-02"),
        "unknown act `karaganda-2020-18-02`",
    );
    has(
        &d,
        B,
        line(&f, B, "no-such-ground"),
        "unknown refusal ground `no-such-ground`",
    );
    assert_eq!(d.len(), 5, "{}", lines(&d));
}

#[test]
fn broken_form_schemas() {
    let schema = "adoption-payment/2016-64-04.schema.json";
    let mut f = real_files();
    edit(&mut f, schema, "\"minItems\": 1,", "\"minItems\": 1,,");
    has(&errors(&f), schema, line(&f, schema, ",,"), "invalid JSON");

    let mut f = real_files();
    edit(&mut f, schema, "\"minItems\": 1,", "\"minItems\": -1,");
    has(
        &errors(&f),
        schema,
        line(&f, schema, "\"minItems\""),
        "not a valid JSON Schema 2020-12",
    );

    let mut f = real_files();
    edit(&mut f, schema, "draft/2020-12/schema", "draft-07/schema#");
    has(&errors(&f), schema, 2, "must be JSON Schema 2020-12");

    // The day keywords: a value they cannot mean, and a birth date tied to
    // a property that is not an IIN (service B's child has the keyword).
    let b_schema = "foster-care-payment/2016-64-04.schema.json";
    let mut f = real_files();
    edit(
        &mut f,
        b_schema,
        "\"x-not-after\": \"today\", \"x-birth-date-of\"",
        "\"x-not-after\": \"yesterday\", \"x-birth-date-of\"",
    );
    has(
        &errors(&f),
        b_schema,
        line(&f, b_schema, "\"yesterday\""),
        "`x-not-after` takes \"today\"",
    );
    let mut f = real_files();
    edit(
        &mut f,
        b_schema,
        "\"x-birth-date-of\": \"iin\"",
        "\"x-birth-date-of\": \"name\"",
    );
    has(
        &errors(&f),
        b_schema,
        line(&f, b_schema, "\"x-birth-date-of\""),
        "names a property of the same object with the `kz-iin` format",
    );

    let mut f = real_files();
    f.retain(|x| x.0 != schema);
    has(
        &errors(&f),
        C,
        line(&f, C, "version ="),
        "missing form schema `adoption-payment/2016-64-04.schema.json`",
    );
}

#[test]
fn folder_must_match_service() {
    let mut f = real_files();
    edit(
        &mut f,
        B,
        "service = \"foster-care-payment\"",
        "service = \"adoption-payment\"",
    );
    let d = errors(&f);
    has(
        &d,
        B,
        line(&f, B, "service ="),
        "service `adoption-payment` is in folder `foster-care-payment/`",
    );
}

#[test]
fn file_name_must_match_version() {
    let mut f = real_files();
    let t = text(&f, B);
    let schema = text(&f, "foster-care-payment/2016-64-04.schema.json");
    f.retain(|(p, _)| !p.starts_with("foster-care-payment/2016-64-04"));
    put(&mut f, "foster-care-payment/1999.toml", &t);
    put(&mut f, "foster-care-payment/1999.schema.json", &schema);
    let d = errors(&f);
    has(
        &d,
        "foster-care-payment/1999.toml",
        line(&f, "foster-care-payment/1999.toml", "version ="),
        "version `2016-64-04` is in file `1999.toml`",
    );
}

#[test]
fn unknown_files_are_errors_and_calendars_are_skipped() {
    let mut f = real_files();
    put(&mut f, "servces.toml", "[[services]]\n");
    put(&mut f, "meeting-permission/notes.txt", "x");
    put(&mut f, "calendars/kz.toml", "this is = not [ our business");
    let d = errors(&f);
    has(&d, "servces.toml", 1, "unknown file");
    has(&d, "meeting-permission/notes.txt", 1, "unknown file");
    assert_eq!(d.len(), 2, "{}", lines(&d));

    let mut f = real_files();
    f.retain(|x| x.0 != "mrp.toml");
    has(&errors(&f), "mrp.toml", 0, "missing file `mrp.toml`");
}

#[test]
fn placeholders_need_a_note_and_toml_errors_have_lines() {
    let mut f = real_files();
    let t = text(&f, "providers.toml");
    let cut: String = t
        .lines()
        .filter(|l| !l.starts_with("note."))
        .map(|l| format!("{l}\n"))
        .collect();
    put(&mut f, "providers.toml", &cut);
    has(
        &errors(&f),
        "providers.toml",
        line(&f, "providers.toml", "placeholder = true"),
        "a placeholder needs a `note`",
    );

    let mut f = real_files();
    edit(&mut f, "mrp.toml", "amount = 3932", "amount = = 3932");
    has(
        &errors(&f),
        "mrp.toml",
        line(&f, "mrp.toml", "= = 3932"),
        "invalid TOML",
    );
}

#[test]
fn every_error_in_every_file_is_reported() {
    let mut f = real_files();
    edit(
        &mut f,
        A,
        "role = \"specialist\"\nlimit",
        "role = \"boss\"\nlimit",
    );
    edit(
        &mut f,
        A,
        "limit = { calendar_days = 1 }",
        "limit = { calendar_days = 0 }",
    );
    edit(
        &mut f,
        B,
        "limit = { working_days = 3 }",
        "limit = { weeks = 3 }",
    );
    edit(
        &mut f,
        C,
        "name.en = \"the child's IIN\"",
        "name.fr = \"l'IIN de l'enfant\"",
    );
    edit(&mut f, "mrp.toml", "amount = 2121", "amount = 0");
    edit(
        &mut f,
        "acts.toml",
        "number = \"158\"",
        "number = \"158\"\nnumbr = \"158\"",
    );
    edit(
        &mut f,
        "adoption-payment/2016-64-04.schema.json",
        "\"type\": \"object\"",
        "\"type\": \"objekt\"",
    );
    put(&mut f, "readme.md", "typo");
    let d = errors(&f);
    has(&d, A, line(&f, A, "\"boss\""), "unknown role `boss`");
    has(&d, A, line(&f, A, "calendar_days = 0"), "at least 1");
    has(&d, B, line(&f, B, "weeks"), "unknown limit unit `weeks`");
    has(
        &d,
        C,
        line(&f, C, "name.fr"),
        "unknown key `documents[2].name.fr`",
    );
    has(
        &d,
        C,
        line(&f, C, "name.kk = \"баланың ЖСН-і\""),
        "missing translation `documents[2].name.en`",
    );
    has(
        &d,
        "mrp.toml",
        line(&f, "mrp.toml", "amount = 0"),
        "MRP must be a positive number",
    );
    has(
        &d,
        "acts.toml",
        line(&f, "acts.toml", "numbr"),
        "unknown key `acts[2].numbr`",
    );
    has(
        &d,
        "adoption-payment/2016-64-04.schema.json",
        6,
        "not a valid JSON Schema 2020-12",
    );
    has(&d, "readme.md", 1, "unknown file");
    assert_eq!(d.len(), 9, "{}", lines(&d));
    // Sorted by file and line, printed as file:line: message.
    assert!(d
        .windows(2)
        .all(|w| (&w[0].file, w[0].line) <= (&w[1].file, w[1].line)));
    assert!(d.iter().any(|x| x.to_string().starts_with("mrp.toml:")));
}
