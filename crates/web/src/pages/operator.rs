//! The State Corporation operator's workstation (regulation §8): pick the
//! service; the applicant's data from the individuals database by IIN
//! (shown, never typed); a representative's power of attorney checked in
//! the notary system; the form drawn from the catalog's JSON Schema and the
//! paper documents presented ticked off; the package taken in and sent to
//! the provider through the gateway, or refused on the spot with the
//! appendix 3 receipt when incomplete; the operator's applications; and the
//! final `issue` step when the result has come back.
//!
//! Everything goes through the JSON API in process, which decides who may
//! do what: these pages only ask and show.

use super::api::Call;
use super::cabinet::{document_name, fetch, fragment_at, s, service_name, StatusFragment};
use super::forms::c_token;
use super::representing::Representing;
use super::schema_form::{self, Item, Posted};
use super::urlencode;
use super::{render, Ctx};
use crate::applications::local_date;
use crate::auth::Principal;
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use qyzmet_domain::{Channel, Iin, Role};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The logged-in State Corporation operator: anyone else is refused
/// (`action-forbidden`), before a handler runs.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let who = Principal::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if who.role == Role::Operator {
            Ok(Operator)
        } else {
            Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden").into_response())
        }
    }
}

// ------------------------------------------------------------- the home

pub struct ServiceLink {
    pub code: String,
    pub name: String,
}

pub struct Row {
    pub id: String,
    pub number: String,
    pub service: String,
    pub applicant: String,
    pub status: String,
    pub status_code: String,
    pub step: String,
    pub due: String,
    /// The current step's deadline has passed.
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "operator-home.html")]
pub struct HomePage {
    pub c: Ctx,
    pub services: Vec<ServiceLink>,
    pub rows: Vec<Row>,
}

/// `GET /operator`: the services taken in at the State Corporation today
/// and the applications of this channel, newest first.
pub async fn home(State(state): State<AppState>, c: Ctx, _: Operator) -> Response {
    let today = local_date(state.now());
    let catalog = state.catalog();
    let services = catalog
        .services_at(today)
        .into_iter()
        .filter(|s| s.channels.contains(&Channel::StateCorporation))
        .map(|s| ServiceLink {
            name: s.name.get(c.lang).to_owned(),
            code: s.code,
        })
        .collect();
    let token = c_token(&c);
    let v = match Call::get("/applications?limit=100", token.as_deref())
        .send(&state)
        .await
        .ok()
    {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let rows = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let status_code = s(a, "status");
            Row {
                id: s(a, "id"),
                number: s(a, "number"),
                service: service_name(&state, &c, &s(a, "service")),
                applicant: s(&a["applicant"], "name"),
                status: c.t(&format!("status.{status_code}")).to_owned(),
                step: a["step"]
                    .as_str()
                    .map(|st| c.t(&format!("step.{st}")).to_owned())
                    .unwrap_or_default(),
                due: super::cabinet::when(&s(a, "due_at")),
                overdue: a["overdue"].as_bool().unwrap_or(false),
                status_code,
            }
        })
        .collect();
    render(&HomePage { c, services, rows })
}

// ------------------------------------------------------------- intake

/// Who applies: the applicant's IIN and, for a representative, their IIN
/// and the power of attorney's number and date. Carried in the query of
/// the lookup and as hidden fields of the form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Who {
    #[serde(default)]
    pub iin: String,
    #[serde(default)]
    pub rep_iin: String,
    #[serde(default)]
    pub poa_number: String,
    #[serde(default)]
    pub poa_date: String,
}

impl Who {
    fn from_posted(p: &Posted) -> Who {
        let g = |k: &str| schema_form::trimmed(p, k).to_owned();
        Who {
            iin: g("iin"),
            rep_iin: g("rep_iin"),
            poa_number: g("poa_number"),
            poa_date: g("poa_date"),
        }
    }

    fn representing(&self) -> Representing<'_> {
        Representing {
            iin: &self.rep_iin,
            poa_number: &self.poa_number,
            poa_date: &self.poa_date,
        }
    }

    fn represented(&self) -> bool {
        self.representing().given()
    }
}

/// A person as the individuals database holds them.
pub struct PersonView {
    pub iin: String,
    pub name: String,
    pub birth_date: String,
    pub sex: String,
    pub citizenship: String,
    pub alive: bool,
    pub address: String,
    pub documents: Vec<String>,
}

fn person_view(c: &Ctx, p: &Value) -> PersonView {
    let name = [s(p, "surname"), s(p, "name"), s(p, "patronymic")]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let a = &p["address"];
    let address = [
        s(a, "region"),
        s(a, "locality"),
        s(a, "street"),
        s(a, "house"),
        s(a, "flat"),
    ]
    .into_iter()
    .filter(|x| !x.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let documents = p["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{} № {}, {} {}",
                c.t(&format!("iddoc.{}", s(d, "kind"))),
                s(d, "number"),
                c.t("operator.issued"),
                s(d, "issued_on")
            )
        })
        .collect();
    PersonView {
        iin: s(p, "iin"),
        name,
        birth_date: s(p, "birth_date"),
        sex: c.t(&format!("sex.{}", s(p, "sex"))).to_owned(),
        citizenship: s(p, "citizenship"),
        alive: p["life_status"] == "alive",
        address,
        documents,
    }
}

/// What the registries said: the person, or why there is none to show.
pub struct Lookup {
    pub person: Option<PersonView>,
    /// (title, message) when the registry could not give the person.
    pub problem: Option<(&'static str, &'static str)>,
}

async fn look_up_person(state: &AppState, c: &Ctx, iin: &str) -> Lookup {
    let token = c_token(c);
    let answer = Call::get(format!("/registry/persons/{iin}"), token.as_deref())
        .send(state)
        .await;
    match answer.ok() {
        Ok(p) => Lookup {
            person: Some(person_view(c, &p)),
            problem: None,
        },
        Err(e) => Lookup {
            person: None,
            problem: Some(crate::lang::problem_text(e.code, c.lang)),
        },
    }
}

/// The notary system's word on the power of attorney.
pub struct PoaView {
    /// `valid`, `revoked`, `unknown`, `mismatch` (valid, but naming someone
    /// else or another date) or `unavailable`.
    pub status: &'static str,
    pub text: &'static str,
    pub detail: String,
}

impl PoaView {
    pub fn usable(&self) -> bool {
        self.status == "valid"
    }
}

async fn check_poa(state: &AppState, c: &Ctx, who: &Who) -> PoaView {
    let token = c_token(c);
    let path = format!(
        "/registry/powers-of-attorney/{}?principal={}",
        urlencode(&who.poa_number),
        urlencode(&who.iin)
    );
    let answer = Call::get(path, token.as_deref()).send(state).await;
    let status: &'static str = match answer.ok() {
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        Err(_) => "unavailable",
        Ok(v) => {
            let detail = match (v["attorney_iin"].as_str(), v["date"].as_str()) {
                (Some(a), Some(d)) => format!(
                    "{} {a}; {} {d}",
                    c.t("operator.attorney"),
                    c.t("operator.poa-date")
                ),
                _ => String::new(),
            };
            let status = match v["status"].as_str() {
                Some("valid") => {
                    if v["attorney_iin"] == who.rep_iin.as_str()
                        && v["date"] == who.poa_date.as_str()
                    {
                        "valid"
                    } else {
                        "mismatch"
                    }
                }
                Some("revoked") => "revoked",
                _ => "unknown",
            };
            return PoaView {
                status,
                text: c.t(&format!("poa.{status}")),
                detail,
            };
        }
    };
    PoaView {
        status,
        text: c.t(&format!("poa.{status}")),
        detail: String::new(),
    }
}

/// The posted name of a presented document's checkbox.
fn doc_field(code: &str) -> String {
    let mut name = String::from("doc.");
    name.push_str(code);
    name
}

pub struct DocBox {
    pub code: String,
    pub id: String,
    pub name: String,
    pub required: bool,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "operator-intake.html")]
pub struct IntakePage {
    pub c: Ctx,
    /// The package form's one-time key (`schema_form::ONCE`).
    pub once: String,
    pub code: String,
    pub service: String,
    pub who: Who,
    /// Problems with what was typed in the lookup (IIN, representative).
    pub who_errors: Vec<String>,
    pub applicant: Option<Lookup>,
    pub representative: Option<Lookup>,
    pub poa: Option<PoaView>,
    /// The package may be taken in: the registries gave what §8 needs.
    pub ready: bool,
    pub items: Vec<Item>,
    pub documents: Vec<DocBox>,
    /// (link to the field or empty, text).
    pub errors: Vec<(String, String)>,
}

fn check_who(c: &Ctx, who: &Who) -> Vec<String> {
    let mut out = Vec::new();
    if Iin::parse(&who.iin).is_err() {
        out.push(format!(
            "{}: {}",
            c.t("operator.applicant-iin"),
            c.t("form.iin")
        ));
    }
    out.extend(who.representing().problems(c).into_iter().map(|p| p.line));
    out
}

/// Draws the intake page: the lookup, what the registries say, and the
/// form once they allow it.
async fn intake_page(
    state: &AppState,
    c: Ctx,
    code: &str,
    who: Who,
    posted: &Posted,
    errors: &HashMap<String, String>,
    summary: Vec<(String, String)>,
) -> Result<IntakePage, ApiError> {
    let catalog = state.catalog();
    let version = catalog
        .version_at(code, local_date(state.now()))
        .filter(|v| v.channel(Channel::StateCorporation).is_some())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "service-unknown"))?;
    let service = service_name(state, &c, code);
    let mut who_errors = Vec::new();
    let (mut applicant, mut representative, mut poa) = (None, None, None);
    if !who.iin.is_empty() || who.represented() {
        who_errors = check_who(&c, &who);
    }
    if !who.iin.is_empty() && who_errors.is_empty() {
        applicant = Some(look_up_person(state, &c, &who.iin).await);
        if who.represented() {
            representative = Some(look_up_person(state, &c, &who.rep_iin).await);
            poa = Some(check_poa(state, &c, &who).await);
        }
    }
    let ready = applicant
        .as_ref()
        .and_then(|l| l.person.as_ref())
        .is_some_and(|p| p.alive)
        && (!who.represented()
            || (poa.as_ref().is_some_and(PoaView::usable)
                && representative.as_ref().is_some_and(|r| r.person.is_some())));
    let items = if ready {
        schema_form::items(
            &c,
            version.form_schema(),
            posted,
            errors,
            local_date(state.now()),
        )
    } else {
        Vec::new()
    };
    let documents = version
        .documents
        .iter()
        .map(|d| DocBox {
            id: format!("doc-{}", d.code),
            name: super::capitalized(d.name.get(c.lang)),
            required: d.required,
            checked: posted.contains_key(&doc_field(&d.code)),
            code: d.code.clone(),
        })
        .collect();
    Ok(IntakePage {
        once: schema_form::once(posted),
        c,
        code: code.to_owned(),
        service,
        who,
        who_errors,
        applicant,
        representative,
        poa,
        ready,
        items,
        documents,
        errors: summary,
    })
}

/// `GET /operator/services/{code}?iin=…`: the lookup, and with an IIN the
/// registries' answers and the form.
pub async fn intake_form(
    State(state): State<AppState>,
    c: Ctx,
    _: Operator,
    Path(code): Path<String>,
    Query(q): Query<Who>,
) -> Response {
    let q = Who::from_posted(&HashMap::from([
        ("iin".to_owned(), q.iin),
        ("rep_iin".to_owned(), q.rep_iin),
        ("poa_number".to_owned(), q.poa_number),
        ("poa_date".to_owned(), q.poa_date),
    ]));
    match intake_page(
        &state,
        c,
        &code,
        q,
        &Posted::new(),
        &HashMap::new(),
        Vec::new(),
    )
    .await
    {
        Ok(p) => render(&p),
        Err(e) => e.into_response(),
    }
}

/// What a posted form is answered with when it is drawn again: the
/// problems by field, the summary's lines, and the HTTP status.
struct Problems {
    errors: HashMap<String, String>,
    summary: Vec<(String, String)>,
    status: StatusCode,
}

impl Problems {
    fn of_form(
        c: &Ctx,
        schema: &Value,
        errors: HashMap<String, String>,
        status: StatusCode,
    ) -> Problems {
        Problems {
            summary: schema_form::summary(c, schema, &errors),
            errors,
            status,
        }
    }
}

async fn redraw(
    state: &AppState,
    c: Ctx,
    code: &str,
    who: Who,
    posted: &Posted,
    p: Problems,
) -> Response {
    match intake_page(state, c, code, who, posted, &p.errors, p.summary).await {
        Ok(page) => {
            let mut res = render(&page);
            *res.status_mut() = p.status;
            res
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /operator/services/{code}`: the package taken in through the API
/// (which asks the registries again: what it stores is what they said).
pub async fn intake(
    State(state): State<AppState>,
    c: Ctx,
    _: Operator,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let mut posted: Posted = fields.into_iter().collect();
    let who = Who::from_posted(&posted);
    let catalog = state.catalog();
    let Some(version) = catalog.version_at(&code, local_date(state.now())) else {
        return ApiError::new(StatusCode::NOT_FOUND, "service-unknown").into_response();
    };
    let schema = version.form_schema().clone();
    let documents: Vec<Value> = version
        .documents
        .iter()
        .filter(|d| posted.contains_key(&doc_field(&d.code)))
        .map(|d| json!({"kind": d.code, "name": d.name.get(c.lang)}))
        .collect();
    // A row asked for or taken away: draw the form again, nothing is sent.
    if schema_form::rows_changed(&mut posted) {
        let none = Problems::of_form(&c, &schema, HashMap::new(), StatusCode::OK);
        return redraw(&state, c, &code, who, &posted, none).await;
    }
    let (form, errors) = schema_form::parse(&c, &schema, &posted, local_date(state.now()));
    if !errors.is_empty() || !check_who(&c, &who).is_empty() {
        let p = Problems::of_form(&c, &schema, errors, StatusCode::UNPROCESSABLE_ENTITY);
        return redraw(&state, c, &code, who, &posted, p).await;
    }
    let mut body = json!({
        "service": code,
        "channel": Channel::StateCorporation.code(),
        "applicant": {"iin": who.iin, "language": c.lang.code()},
        "form": form,
        "documents": documents,
    });
    if who.represented() {
        body["representative"] = who.representing().json();
    }
    let token = c_token(&c);
    let answer = Call::post("/applications", token.as_deref(), body)
        .once(&posted)
        .send(&state)
        .await;
    match answer.ok() {
        Ok(v) => Redirect::to(&format!("/operator/applications/{}", s(&v, "id"))).into_response(),
        Err(e) if e.code == "idempotency-key-reused" => {
            let said = schema_form::once_spent(&c, &mut posted);
            let mut p = Problems::of_form(
                &c,
                &schema,
                HashMap::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            p.summary.push((String::new(), said));
            redraw(&state, c, &code, who, &posted, p).await
        }
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY
                || e.status == StatusCode::SERVICE_UNAVAILABLE =>
        {
            let mut errors = HashMap::new();
            for p in &e.errors {
                if p.path.starts_with("/form") {
                    errors.insert(
                        schema_form::field_of_pointer(p.path.trim_start_matches("/form")),
                        c.t("form.invalid").to_owned(),
                    );
                }
            }
            let mut p = Problems::of_form(&c, &schema, errors, e.status);
            let (title, message) = crate::lang::problem_text(e.code, c.lang);
            p.summary
                .push((String::new(), format!("{title}: {message}")));
            p.summary
                .push((String::new(), c.t("operator.nothing-sent").to_owned()));
            redraw(&state, c, &code, who, &posted, p).await
        }
        Err(e) => e.into_response(),
    }
}

// ------------------------------------------------------------- one application

#[derive(Template)]
#[template(path = "operator-application.html")]
pub struct ApplicationPage {
    pub c: Ctx,
    /// When the sealed result came back through the gateway, or empty.
    pub result_received: String,
    /// At `issue`, the package sent through the gateway, its result not back.
    pub awaits_result: bool,
    pub number: String,
    pub service: String,
    pub applicant: String,
    pub applicant_iin: String,
    pub representative_iin: String,
    pub live: StatusFragment,
    pub rejected: bool,
    pub missing: Vec<String>,
    pub can_issue: bool,
    /// When the package was registered at the provider (local time), or
    /// empty while it is on its way.
    pub registered: String,
    pub documents: Vec<String>,
    pub notice: Option<&'static str>,
    pub error: Option<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn can_issue(v: &Value) -> bool {
    v["step"] == "issue"
        && v["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["action"] == "complete" && a["role"] == "operator")
}

/// When the package was registered at the provider (`package-registered`)
/// and when its sealed result came back (`result-received`), as its
/// history says, in local time; each empty until it happened.
async fn delivery_times(state: &AppState, c: &Ctx, id: &str) -> (String, String) {
    let token = c_token(c);
    let events = Call::get(format!("/applications/{id}/events"), token.as_deref())
        .send(state)
        .await
        .ok()
        .unwrap_or_default();
    let at = |kind: &str| {
        events
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["type"] == kind)
            .and_then(|e| e["at"].as_str())
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .map(|at| {
                at.with_timezone(&qyzmet_domain::calendar::ZONE)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    (at("package-registered"), at("result-received"))
}

async fn application_page(
    state: &AppState,
    c: Ctx,
    id: &str,
    notice: Option<&'static str>,
    error: Option<(&'static str, &'static str)>,
) -> Response {
    let (v, _) = match fetch(state, &c, id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let presented: Vec<String> = v["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| s(d, "kind"))
        .collect();
    let missing = state
        .catalog()
        .version(&s(&v, "service"), &s(&v, "version"))
        .map(|ver| {
            ver.documents
                .iter()
                .filter(|d| d.required && !presented.contains(&d.code))
                .map(|d| super::capitalized(d.name.get(c.lang)))
                .collect()
        })
        .unwrap_or_default();
    let (registered, result_received) = if v["status"] == "rejected-at-intake" {
        Default::default()
    } else {
        delivery_times(state, &c, id).await
    };
    // Through a gateway the operator issues once the result came back.
    let awaits_result =
        !registered.is_empty() && result_received.is_empty() && v["step"] == "issue";
    let page = ApplicationPage {
        registered,
        result_received,
        awaits_result,
        number: s(&v, "number"),
        service: service_name(state, &c, &s(&v, "service")),
        applicant: s(&v["applicant"], "name"),
        applicant_iin: s(&v["applicant"], "iin"),
        representative_iin: s(&v["representative"], "iin"),
        live: fragment_at(&c, &v, "/operator"),
        rejected: v["status"] == "rejected-at-intake",
        missing,
        can_issue: can_issue(&v) && !awaits_result,
        documents: presented
            .iter()
            .map(|k| document_name(state, &c, &v, k))
            .collect(),
        notice,
        error,
        c,
    };
    let mut res = render(&page);
    if error.is_some() {
        *res.status_mut() = StatusCode::CONFLICT;
    }
    res
}

/// `GET /operator/applications/{id}`.
pub async fn application(
    State(state): State<AppState>,
    c: Ctx,
    _: Operator,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = match q.done.as_deref() {
        Some("issued") => Some(c.t("operator.issued-done")),
        _ => None,
    };
    application_page(&state, c, &id, notice, None).await
}

/// `POST /operator/applications/{id}/issue`: the final step of this
/// channel, the result handed to the applicant.
pub async fn issue(
    State(state): State<AppState>,
    c: Ctx,
    _: Operator,
    Path(id): Path<String>,
) -> Response {
    let (v, etag) = match fetch(&state, &c, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    if !can_issue(&v) {
        let err = crate::lang::problem_text("action-conflict", c.lang);
        return application_page(&state, c, &id, None, Some(err)).await;
    }
    let token = c_token(&c);
    let mut call = Call::post(
        format!("/applications/{id}/actions"),
        token.as_deref(),
        json!({"action": "complete"}),
    );
    call.if_match = Some(etag);
    match call.send(&state).await.ok() {
        Ok(_) => Redirect::to(&format!("/operator/applications/{id}?done=issued")).into_response(),
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::PRECONDITION_FAILED =>
        {
            let err = crate::lang::problem_text(e.code, c.lang);
            application_page(&state, c, &id, None, Some(err)).await
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /operator/applications/{id}/status`: the live part of the page,
/// polled by htmx while the application is in progress.
pub async fn status(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    super::cabinet::status_under(&state, &c, &id, "/operator").await
}

#[cfg(test)]
mod tests {
    use crate::pages::i18n::TEXTS;

    /// The keys this module makes at run time are in the table.
    #[test]
    fn every_code_shown_is_translated() {
        let known = |k: &str| TEXTS.iter().any(|(key, _)| *key == k);
        for sex in ["male", "female"] {
            assert!(known(&format!("sex.{sex}")), "{sex}");
        }
        for kind in ["id-card", "passport", "birth-certificate"] {
            assert!(known(&format!("iddoc.{kind}")), "{kind}");
        }
        for st in [
            "valid",
            "revoked",
            "unknown",
            "mismatch",
            "unavailable",
            "invalid",
        ] {
            assert!(known(&format!("poa.{st}")), "{st}");
        }
    }
}
