//! A paper application taken at the office counter by the clerk
//! (`/work/intake/{service}`): the applicant, the service's form drawn from
//! its JSON Schema, and the documents presented ticked off against the
//! regulation's list; when a representative brings it, their IIN and the
//! power of attorney they show (checked by the clerk on paper: the office
//! does not ask the notary system, as the State Corporation does). The API
//! decides the rest: an incomplete package of a
//! service that refuses one at intake (service A) is `rejected-at-intake`
//! with its receipt, like an accepted one gets its own.

use super::api::Call;
use super::forms::c_token;
use super::representing::Representing;
use super::schema_form::{self, Item, Posted};
use super::{render, Ctx};
use crate::applications::local_date;
use crate::auth::Principal;
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use qyzmet_domain::{Channel, Iin, Role};
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct DocBox {
    pub code: String,
    pub name: String,
    pub required: bool,
    pub checked: bool,
}

pub struct ServiceLink {
    pub code: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "work_services.html")]
pub struct ServicesPage {
    pub c: Ctx,
    pub services: Vec<ServiceLink>,
}

#[derive(Template)]
#[template(path = "work_intake.html")]
pub struct IntakePage {
    pub c: Ctx,
    /// The form's one-time key (`schema_form::ONCE`).
    pub once: String,
    pub code: String,
    pub service: String,
    pub iin: String,
    pub name: String,
    pub language: String,
    pub iin_error: String,
    pub name_error: String,
    pub rep_iin: String,
    pub poa_number: String,
    pub poa_date: String,
    /// The representative's fields' problems, by field name.
    pub rep_errors: HashMap<String, String>,
    pub items: Vec<Item>,
    pub documents: Vec<DocBox>,
    /// (link to the field or empty, text).
    pub errors: Vec<(String, String)>,
}

fn clerk_only(who: &Principal) -> Result<(), ApiError> {
    if who.role == Role::Clerk {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden"))
    }
}

/// `GET /work/intake`: the services taken at the office today.
pub async fn services(State(state): State<AppState>, c: Ctx, who: Principal) -> Response {
    if let Err(e) = clerk_only(&who) {
        return e.into_response();
    }
    let catalog = state.catalog();
    let today = local_date(state.now());
    let services = catalog
        .services()
        .iter()
        .filter(|s| {
            catalog
                .version_at(&s.code, today)
                .is_some_and(|v| v.channel(Channel::Office).is_some())
        })
        .map(|s| ServiceLink {
            code: s.code.clone(),
            name: s.name.get(c.lang).to_owned(),
        })
        .collect();
    render(&ServicesPage { c, services })
}

/// What the clerk has typed and ticked so far.
struct Typed {
    posted: Posted,
    documents: Vec<String>,
}

impl Typed {
    fn from_fields(fields: Vec<(String, String)>) -> Self {
        let mut posted = Posted::new();
        let mut documents = Vec::new();
        for (k, v) in fields {
            if k == "doc" {
                documents.push(v);
            } else {
                posted.insert(k, v);
            }
        }
        Typed { posted, documents }
    }

    fn get(&self, k: &str) -> String {
        schema_form::trimmed(&self.posted, k).to_owned()
    }

    fn representing(&self) -> Representing<'_> {
        let field = |k| schema_form::trimmed(&self.posted, k);
        Representing {
            iin: field("rep_iin"),
            poa_number: field("poa_number"),
            poa_date: field("poa_date"),
        }
    }
}

fn page(
    state: &AppState,
    c: Ctx,
    code: &str,
    typed: &Typed,
    errors: &HashMap<String, String>,
    mut summary: Vec<(String, String)>,
) -> Result<IntakePage, ApiError> {
    let catalog = state.catalog();
    let version = catalog
        .version_at(code, local_date(state.now()))
        .filter(|v| v.channel(Channel::Office).is_some())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "service-unknown"))?;
    let service = catalog
        .service(code)
        .map(|s| s.name.get(c.lang).to_owned())
        .unwrap_or_default();
    let items = schema_form::items(
        &c,
        version.form_schema(),
        &typed.posted,
        errors,
        local_date(state.now()),
    );
    let documents = version
        .documents
        .iter()
        .map(|d| DocBox {
            checked: typed.documents.contains(&d.code),
            name: super::capitalized(d.name.get(c.lang)),
            required: d.required,
            code: d.code.clone(),
        })
        .collect();
    let iin_error = errors.get("iin").cloned().unwrap_or_default();
    let name_error = errors.get("name").cloned().unwrap_or_default();
    // In the page's order: the applicant's IIN, their name, the
    // representative, then the form's fields.
    if !iin_error.is_empty() {
        summary.insert(
            0,
            (
                "#iin".into(),
                format!("{}: {iin_error}", c.t("work.intake.iin")),
            ),
        );
    }
    if !name_error.is_empty() {
        summary.insert(
            usize::from(!iin_error.is_empty()),
            (
                "#name".into(),
                format!("{}: {name_error}", c.t("work.intake.name")),
            ),
        );
    }
    let mut rep_errors = HashMap::new();
    let mut at = usize::from(!iin_error.is_empty()) + usize::from(!name_error.is_empty());
    for p in typed.representing().problems(&c) {
        if errors.contains_key(p.field) {
            summary.insert(at, (format!("#{}", p.field), p.line));
            at += 1;
            rep_errors.insert(p.field.to_owned(), p.message);
        }
    }
    let language = match typed.get("language").as_str() {
        l @ ("kk" | "ru" | "en") => l.to_owned(),
        _ => c.lang.code().to_owned(),
    };
    Ok(IntakePage {
        once: schema_form::once(&typed.posted),
        code: code.to_owned(),
        service,
        iin: typed.get("iin"),
        name: typed.get("name"),
        language,
        iin_error,
        name_error,
        rep_iin: typed.get("rep_iin"),
        poa_number: typed.get("poa_number"),
        poa_date: typed.get("poa_date"),
        rep_errors,
        items,
        documents,
        errors: summary,
        c,
    })
}

fn answer(p: Result<IntakePage, ApiError>, status: StatusCode) -> Response {
    match p {
        Ok(p) => {
            let mut res = render(&p);
            *res.status_mut() = status;
            res
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /work/intake/{service}`.
pub async fn form(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(code): Path<String>,
) -> Response {
    if let Err(e) = clerk_only(&who) {
        return e.into_response();
    }
    let typed = Typed::from_fields(Vec::new());
    answer(
        page(&state, c, &code, &typed, &HashMap::new(), Vec::new()),
        StatusCode::OK,
    )
}

/// `POST /work/intake/{service}` (URL-encoded; CSRF checked by the
/// middleware): checked here for readable messages, then taken in by the
/// API; the case page offers the receipt.
pub async fn submit(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = clerk_only(&who) {
        return e.into_response();
    }
    let mut typed = Typed::from_fields(fields);
    let Some(version) = state
        .catalog()
        .version_at(&code, local_date(state.now()))
        .cloned()
    else {
        return ApiError::new(StatusCode::NOT_FOUND, "service-unknown").into_response();
    };
    // A row asked for or taken away: draw the form again, nothing is sent.
    if schema_form::rows_changed(&mut typed.posted) {
        return answer(
            page(&state, c, &code, &typed, &HashMap::new(), Vec::new()),
            StatusCode::OK,
        );
    }
    let (form, mut errors) = schema_form::parse(
        &c,
        version.form_schema(),
        &typed.posted,
        local_date(state.now()),
    );
    let iin = typed.get("iin");
    if iin.is_empty() {
        errors.insert("iin".into(), c.t("form.required").to_owned());
    } else if Iin::parse(&iin).is_err() {
        errors.insert("iin".into(), c.t("form.iin").to_owned());
    }
    let name = typed.get("name");
    if name.is_empty() {
        errors.insert("name".into(), c.t("form.required").to_owned());
    } else if name.chars().count() > 300 {
        errors.insert("name".into(), c.t("form.too-long").to_owned());
    }
    for p in typed.representing().problems(&c) {
        errors.insert(p.field.into(), p.message);
    }
    if !errors.is_empty() {
        let mut form_errors = errors.clone();
        form_errors.retain(|k, _| k.starts_with("f."));
        let summary = super::schema_form::summary(&c, version.form_schema(), &form_errors);
        return answer(
            page(&state, c, &code, &typed, &errors, summary),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let documents: Vec<Value> = version
        .documents
        .iter()
        .filter(|d| typed.documents.contains(&d.code))
        .map(|d| {
            let name: String = d.name.get(c.lang).chars().take(250).collect();
            json!({"kind": d.code, "name": name})
        })
        .collect();
    let language = match typed.get("language").as_str() {
        l @ ("kk" | "ru" | "en") => l.to_owned(),
        _ => c.lang.code().to_owned(),
    };
    let mut body = json!({
        "service": code,
        "channel": "office",
        "applicant": {"iin": iin, "name": name, "language": language},
        "form": form,
        "documents": documents,
    });
    let representing = typed.representing();
    if representing.given() {
        body["representative"] = representing.json();
    }
    let token = c_token(&c);
    let answer_ = Call::post("/applications", token.as_deref(), body)
        .once(&typed.posted)
        .send(&state)
        .await;
    match answer_.ok() {
        Ok(v) => {
            let id = v["id"].as_str().unwrap_or_default();
            // An incomplete package where the regulation refuses it (§4 of
            // service A) is taken in as refused, with a receipt of refusal.
            let done = if v["status"] == "rejected-at-intake" {
                "intake-refused"
            } else {
                "intake"
            };
            Redirect::to(&format!("/work/applications/{id}?done={done}")).into_response()
        }
        Err(e) if e.code == "idempotency-key-reused" => {
            let said = schema_form::once_spent(&c, &mut typed.posted);
            answer(
                page(
                    &state,
                    c,
                    &code,
                    &typed,
                    &HashMap::new(),
                    vec![(String::new(), said)],
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut errors = HashMap::new();
            for p in &e.errors {
                if let Some(f) = p.path.strip_prefix("/form") {
                    errors.insert(
                        schema_form::field_of_pointer(f),
                        c.t("form.invalid").to_owned(),
                    );
                }
            }
            let mut summary = super::schema_form::summary(&c, version.form_schema(), &errors);
            if summary.is_empty() {
                let (title, message) = crate::lang::problem_text(e.code, c.lang);
                summary.push((String::new(), format!("{title}: {message}")));
            }
            answer(
                page(&state, c, &code, &typed, &errors, summary),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => e.into_response(),
    }
}
