//! Applying on the portal: the service's form drawn from its schema, the
//! documents attached (size and type checked), and the draft made through
//! the API; signing follows in the cabinet.

use super::api::Call;
use super::representing::Representing;
use super::schema_form::{self, trimmed as typed, Item, Posted};
use super::session::check_field;
use super::{render, Ctx};
use crate::applications::{local_date, MAX_DOCUMENT_BYTES};
use crate::auth::Principal;
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use qyzmet_domain::catalog::Version;
use qyzmet_domain::{Iin, Role};
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct DocField {
    pub code: String,
    pub id: String,
    pub name: String,
    pub required: bool,
    pub error: String,
}

#[derive(Template)]
#[template(path = "apply.html")]
pub struct ApplyPage {
    pub c: Ctx,
    pub code: String,
    pub service: String,
    pub items: Vec<Item>,
    pub documents: Vec<DocField>,
    /// (link to the field or empty, text).
    pub errors: Vec<(String, String)>,
    pub max_mb: usize,
    /// Applying for another person: what was typed, and each field's
    /// problem ([`behalf_problems`]).
    pub for_iin: String,
    pub poa_number: String,
    pub poa_date: String,
    pub behalf_errors: HashMap<String, String>,
    /// The section is drawn open when something in it was typed; most
    /// citizens apply for themselves and see only its title.
    pub behalf_open: bool,
    /// The form's one-time key (`schema_form::ONCE`).
    pub once: String,
}

/// The fields of applying for another person under a power of attorney,
/// in the page's order, with their labels: the applicant's IIN (their name
/// comes from the individuals database), and the power of attorney's
/// number and date. The signed-in citizen is then the representative.
const BEHALF: [(&str, &str); 3] = [
    ("for_iin", "apply.for-iin"),
    ("poa_number", "operator.poa-number"),
    ("poa_date", "operator.poa-date"),
];

/// The power of attorney typed, with the citizen signed in (`me`) as the
/// representative.
fn poa<'a>(me: &'a str, posted: &'a Posted) -> Representing<'a> {
    Representing {
        iin: me,
        poa_number: typed(posted, "poa_number"),
        poa_date: typed(posted, "poa_date"),
    }
}

/// Whether any of the fields of applying for another person is filled in:
/// then all three are needed.
fn on_behalf(posted: &Posted) -> bool {
    BEHALF.iter().any(|(k, _)| !typed(posted, k).is_empty())
}

/// What is wrong with applying for another person, by field (the
/// message at the field; the summary adds the label where the message does
/// not name the field); nothing when it is not asked for.
fn behalf_problems(c: &Ctx, me: &str, posted: &Posted) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !on_behalf(posted) {
        return out;
    }
    let said = |field: &'static str, key: &str| (field, c.t(key).to_owned());
    let iin = typed(posted, "for_iin");
    if iin.is_empty() {
        out.push(said("for_iin", "form.required"));
    } else if Iin::parse(iin).is_err() {
        out.push(said("for_iin", "form.iin"));
    } else if iin == me {
        out.push(said("for_iin", "apply.for-self"));
    }
    for p in poa(me, posted).problems(c) {
        if p.field != "rep_iin" {
            out.push((p.field, p.message));
        }
    }
    out
}

fn page(
    state: &AppState,
    c: Ctx,
    code: &str,
    posted: &Posted,
    errors: &HashMap<String, String>,
    doc_errors: &HashMap<String, String>,
    summary: Vec<(String, String)>,
) -> Result<ApplyPage, ApiError> {
    let catalog = state.catalog();
    let version = catalog
        .version_at(code, local_date(state.now()))
        .filter(|v| v.channel(qyzmet_domain::Channel::Portal).is_some())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "service-unknown"))?;
    let service = catalog
        .service(code)
        .map(|s| s.name.get(c.lang).to_owned())
        .unwrap_or_default();
    let items = schema_form::items(
        &c,
        version.form_schema(),
        posted,
        errors,
        local_date(state.now()),
    );
    let documents = version
        .documents
        .iter()
        .map(|d| DocField {
            id: format!("doc-{}", d.code),
            name: super::capitalized(d.name.get(c.lang)),
            required: d.required,
            error: doc_errors.get(&d.code).cloned().unwrap_or_default(),
            code: d.code.clone(),
        })
        .collect();
    let behalf_errors = BEHALF
        .iter()
        .filter_map(|(k, _)| errors.get(*k).map(|e| ((*k).to_owned(), e.clone())))
        .collect();
    Ok(ApplyPage {
        code: code.to_owned(),
        service,
        items,
        documents,
        errors: summary,
        max_mb: MAX_DOCUMENT_BYTES / (1024 * 1024),
        for_iin: typed(posted, "for_iin").to_owned(),
        poa_number: typed(posted, "poa_number").to_owned(),
        poa_date: typed(posted, "poa_date").to_owned(),
        behalf_errors,
        behalf_open: on_behalf(posted),
        once: schema_form::once(posted),
        c,
    })
}

fn applicant_only(who: &Principal) -> Result<(), ApiError> {
    if who.role == Role::Applicant && who.iin.is_some() {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden"))
    }
}

pub async fn apply_form(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(code): Path<String>,
) -> Response {
    if let Err(e) = applicant_only(&who) {
        return e.into_response();
    }
    match page(
        &state,
        c,
        &code,
        &Posted::new(),
        &HashMap::new(),
        &HashMap::new(),
        Vec::new(),
    ) {
        Ok(p) => render(&p),
        Err(e) => e.into_response(),
    }
}

/// What an attached file is, by its first bytes (the name and the browser's
/// claim are not trusted).
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

pub async fn apply(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(code): Path<String>,
    mut multipart: Multipart,
) -> Response {
    if let Err(e) = applicant_only(&who) {
        return e.into_response();
    }
    let mut posted = Posted::new();
    let mut files: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut doc_errors = HashMap::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return crate::body_too_large().into_response(),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(_) => return crate::body_too_large().into_response(),
        };
        if let Some(kind) = name.strip_prefix("doc.") {
            if data.is_empty() {
                continue;
            }
            if data.len() > MAX_DOCUMENT_BYTES {
                doc_errors.insert(kind.to_owned(), c.t("doc.too-large").to_owned());
            } else if sniff(&data).is_none() {
                doc_errors.insert(kind.to_owned(), c.t("doc.type").to_owned());
            } else {
                let fname = file_name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| kind.to_owned());
                files.push((
                    kind.to_owned(),
                    fname.chars().take(200).collect(),
                    data.to_vec(),
                ));
            }
        } else {
            posted.insert(name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    if let Err(e) = check_field(&c, posted.get("csrf").map(String::as_str)) {
        return e.into_response();
    }
    let catalog = state.catalog();
    let Some(version) = catalog.version_at(&code, local_date(state.now())) else {
        return ApiError::new(StatusCode::NOT_FOUND, "service-unknown").into_response();
    };
    let schema = version.form_schema().clone();
    // A row asked for or taken away: draw the form again, nothing is sent.
    if schema_form::rows_changed(&mut posted) {
        let summary = if files.is_empty() {
            Vec::new()
        } else {
            vec![(String::new(), c.t("doc.again").to_owned())]
        };
        return match page(
            &state,
            c,
            &code,
            &posted,
            &HashMap::new(),
            &doc_errors,
            summary,
        ) {
            Ok(p) => render(&p),
            Err(e) => e.into_response(),
        };
    }
    let (form, mut errors) = schema_form::parse(&c, &schema, &posted, local_date(state.now()));
    let me = who.iin.map(|i| i.to_string()).unwrap_or_default();
    for (field, message) in behalf_problems(&c, &me, &posted) {
        errors.insert(field.to_owned(), message);
    }
    // Whatever file was chosen, taken or refused, the browser does not send
    // it again with the page drawn anew.
    let files_lost = !files.is_empty() || !doc_errors.is_empty();
    // §9 process 3: the request carries electronic copies of the required
    // documents. (The API takes a draft without them, as the provider
    // checks the package at condition 3; the portal's page asks for them.)
    for d in version.documents.iter().filter(|d| d.required) {
        if !doc_errors.contains_key(&d.code) && !files.iter().any(|(k, _, _)| *k == d.code) {
            doc_errors.insert(d.code.clone(), c.t("doc.attach").to_owned());
        }
    }
    if !errors.is_empty() || !doc_errors.is_empty() {
        // The notary system is asked now as well, so that a power of
        // attorney that will not do is said together with the rest (once
        // the rest is right, the API asks it again before taking it in).
        if let Some((field, message)) = early_poa_problem(&state, &c, &me, &posted, &errors).await {
            errors.insert(field.to_owned(), message);
        }
        return invalid(
            &state,
            c,
            version,
            &posted,
            &errors,
            &doc_errors,
            files_lost,
        );
    }
    let documents: Vec<Value> = files
        .iter()
        .map(|(kind, name, bytes)| {
            json!({"kind": kind, "name": name,
                   "content": base64::engine::general_purpose::STANDARD.encode(bytes)})
        })
        .collect();
    let mut body = json!({
        "service": code,
        "channel": "portal",
        "applicant": {
            "iin": who.iin.map(|i| i.to_string()),
            "name": who.display_name,
            "language": c.lang.code(),
        },
        "form": form,
        "documents": documents,
    });
    // For another person: they are the applicant, the citizen signed in
    // their representative, who signs the application in the cabinet.
    if on_behalf(&posted) {
        body["applicant"]["iin"] = json!(typed(&posted, "for_iin"));
        // Their name comes from the individuals database.
        if let Some(a) = body["applicant"].as_object_mut() {
            a.remove("name");
        }
        body["representative"] = poa(&me, &posted).json();
    }
    let token = c_token(&c);
    let answer = Call::post("/applications", token.as_deref(), body)
        .once(&posted)
        .send(&state)
        .await;
    match answer.ok() {
        Ok(v) => {
            let id = v["id"].as_str().unwrap_or_default();
            Redirect::to(&format!("/cabinet/applications/{id}")).into_response()
        }
        Err(e) if e.code == "idempotency-key-reused" => {
            let said = schema_form::once_spent(&c, &mut posted);
            let doc_errors = HashMap::from([(String::new(), said)]);
            invalid(
                &state,
                c,
                version,
                &posted,
                &HashMap::new(),
                &doc_errors,
                files_lost,
            )
        }
        // The notary system asked on the citizen's behalf: what it says of
        // the power of attorney is said at its number, and when it cannot be
        // asked, the page is drawn again with what was typed.
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY
                || (e.status == StatusCode::SERVICE_UNAVAILABLE && on_behalf(&posted)) =>
        {
            let mut errors = HashMap::new();
            for p in &e.errors {
                if let Some(f) = p.path.strip_prefix("/form") {
                    errors.insert(
                        schema_form::field_of_pointer(f),
                        c.t("form.invalid").to_owned(),
                    );
                }
            }
            if let Some((field, message)) = poa_problem(&c, &e) {
                errors.insert(field.to_owned(), message);
            }
            // Whom the citizen acts for, as the individuals database has
            // them (on the portal it is asked only for another person).
            if matches!(e.code, "applicant-unknown" | "applicant-deceased") {
                let (_, message) = crate::lang::problem_text(e.code, c.lang);
                errors.insert("for_iin".to_owned(), message.to_owned());
            }
            let mut doc_errors = HashMap::new();
            if errors.is_empty() {
                let (title, message) = crate::lang::problem_text(e.code, c.lang);
                doc_errors.insert(String::new(), format!("{title}: {message}"));
            }
            invalid(
                &state,
                c,
                version,
                &posted,
                &errors,
                &doc_errors,
                files_lost,
            )
        }
        Err(e) => e.into_response(),
    }
}

/// What the notary system's answer about the power of attorney means for
/// the page: said at the field that differs from its record where the API
/// says which, else at the number; `None` for any other problem.
fn poa_problem(c: &Ctx, e: &ApiError) -> Option<(&'static str, String)> {
    if !e.code.starts_with("power-of-attorney-") {
        return None;
    }
    let differs = |path: &str| e.errors.iter().any(|p| p.path == path);
    let (field, message) = if differs("/representative/iin") {
        ("poa_number", c.t("apply.poa-other-attorney"))
    } else if differs("/representative/power_of_attorney/date") {
        ("poa_date", c.t("apply.poa-other-date"))
    } else {
        ("poa_number", crate::lang::problem_text(e.code, c.lang).1)
    };
    Some((field, message.to_owned()))
}

/// The power of attorney checked in the notary system while the form has
/// other problems: only when the citizen acts for someone else and the
/// three fields have none of their own. A notary system that cannot answer
/// says nothing here (the API asks again, and says so, once the form is
/// right).
async fn early_poa_problem(
    state: &AppState,
    c: &Ctx,
    me: &str,
    posted: &Posted,
    errors: &HashMap<String, String>,
) -> Option<(&'static str, String)> {
    if !on_behalf(posted) || BEHALF.iter().any(|(k, _)| errors.contains_key(*k)) {
        return None;
    }
    let applicant = Iin::parse(typed(posted, "for_iin")).ok()?;
    let representative = poa(me, posted).representative()?;
    let answer = crate::registry::check_power_of_attorney(state, &applicant, &representative).await;
    poa_problem(c, &answer.err()?)
}

/// The page drawn again with its problems, for the version the form was
/// checked against.
fn invalid(
    state: &AppState,
    c: Ctx,
    version: &Version,
    posted: &Posted,
    errors: &HashMap<String, String>,
    doc_errors: &HashMap<String, String>,
    files_lost: bool,
) -> Response {
    // In the page's order: applying for another person, the form, the
    // documents.
    let mut summary: Vec<(String, String)> = BEHALF
        .iter()
        .filter_map(|(k, label)| {
            errors.get(*k).map(|e| {
                // The power of attorney's messages name their field.
                let line = if k.starts_with("poa_") {
                    e.clone()
                } else {
                    format!("{}: {e}", c.t(label))
                };
                (format!("#{k}"), line)
            })
        })
        .collect();
    let form_errors: HashMap<String, String> = errors
        .iter()
        .filter(|(k, _)| k.starts_with("f."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    summary.extend(schema_form::summary(
        &c,
        version.form_schema(),
        &form_errors,
    ));
    // The documents in the page's order, each line naming its document.
    for d in &version.documents {
        if let Some(message) = doc_errors.get(&d.code) {
            let line = format!("{}: {message}", super::capitalized(d.name.get(c.lang)));
            summary.push((format!("#doc-{}", d.code), line));
        }
    }
    if let Some(message) = doc_errors.get("") {
        summary.push((String::new(), message.clone()));
    }
    // A browser never sends a file input's choice again.
    if files_lost {
        summary.push((String::new(), c.t("doc.again").to_owned()));
    }
    match page(
        state,
        c,
        &version.service,
        posted,
        errors,
        doc_errors,
        summary,
    ) {
        Ok(p) => {
            let mut res = render(&p);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => e.into_response(),
    }
}

/// The page session's API token (the middleware made it the bearer).
pub fn c_token(c: &Ctx) -> Option<String> {
    c.token.clone()
}
