//! Applying on the portal: the service's form drawn from its schema, the
//! documents attached (size and type checked), and the draft made through
//! the API; signing follows in the cabinet.

use super::api::Call;
use super::schema_form::{self, Item, Posted};
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
use qyzmet_domain::Role;
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
    let items = schema_form::items(&c, version.form_schema(), posted, errors);
    let documents = version
        .documents
        .iter()
        .map(|d| DocField {
            id: format!("doc-{}", d.code),
            name: d.name.get(c.lang).to_owned(),
            required: d.required,
            error: doc_errors.get(&d.code).cloned().unwrap_or_default(),
            code: d.code.clone(),
        })
        .collect();
    Ok(ApplyPage {
        c,
        code: code.to_owned(),
        service,
        items,
        documents,
        errors: summary,
        max_mb: MAX_DOCUMENT_BYTES / (1024 * 1024),
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
    // A row asked for: draw the form again, nothing is sent.
    if posted.contains_key("add") {
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
    let (form, errors) = schema_form::parse(&c, &schema, &posted);
    if !errors.is_empty() || !doc_errors.is_empty() {
        return invalid(&state, c, &code, &posted, &errors, &doc_errors);
    }
    let documents: Vec<Value> = files
        .iter()
        .map(|(kind, name, bytes)| {
            json!({"kind": kind, "name": name,
                   "content": base64::engine::general_purpose::STANDARD.encode(bytes)})
        })
        .collect();
    let body = json!({
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
    let token = c_token(&c);
    let answer = Call::post("/applications", token.as_deref(), body)
        .send(&state)
        .await;
    match answer.ok() {
        Ok(v) => {
            let id = v["id"].as_str().unwrap_or_default();
            Redirect::to(&format!("/cabinet/applications/{id}")).into_response()
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut errors = HashMap::new();
            for p in &e.errors {
                errors.insert(
                    schema_form::field_of_pointer(&p.path),
                    c.t("form.invalid").to_owned(),
                );
            }
            let mut doc_errors = HashMap::new();
            if errors.is_empty() {
                let (title, message) = crate::lang::problem_text(e.code, c.lang);
                doc_errors.insert(String::new(), format!("{title}: {message}"));
            }
            invalid(&state, c, &code, &posted, &errors, &doc_errors)
        }
        Err(e) => e.into_response(),
    }
}

fn invalid(
    state: &AppState,
    c: Ctx,
    code: &str,
    posted: &Posted,
    errors: &HashMap<String, String>,
    doc_errors: &HashMap<String, String>,
) -> Response {
    let mut summary = field_summary(&c, errors);
    for (kind, message) in doc_errors {
        if kind.is_empty() {
            summary.push((String::new(), message.clone()));
        } else {
            summary.push((format!("#doc-{kind}"), message.clone()));
        }
    }
    if !doc_errors.is_empty() {
        summary.push((String::new(), c.t("doc.again").to_owned()));
    }
    match page(state, c, code, posted, errors, doc_errors, summary) {
        Ok(p) => {
            let mut res = render(&p);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => e.into_response(),
    }
}

/// The error summary of a schema form: each problem linked to its field
/// (the GOV.UK pattern), in a stable order.
pub(crate) fn field_summary(c: &Ctx, errors: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut summary: Vec<(String, String)> = errors
        .iter()
        .map(|(name, message)| {
            let path = name.trim_start_matches("f.");
            let field = path
                .rsplit('.')
                .find(|seg| !seg.chars().all(|ch| ch.is_ascii_digit()))
                .unwrap_or(path);
            (
                format!("#f-{}", path.replace('.', "-")),
                format!("{}: {message}", c.t(&format!("field.{field}"))),
            )
        })
        .collect();
    summary.sort();
    summary
}

/// The page session's API token (the middleware made it the bearer).
pub fn c_token(c: &Ctx) -> Option<String> {
    c.token.clone()
}
