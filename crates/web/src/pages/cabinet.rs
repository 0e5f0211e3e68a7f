//! The personal cabinet: every application with the user's IIN, whatever
//! the channel; each one's live status, the timeline of its steps with
//! their deadlines, its receipt and result, signing a draft and
//! withdrawing before a result.

use super::api::Call;
use super::forms::c_token;
use super::session::SignatureUpload;
use super::{render, Ctx};
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub struct AppRow {
    pub id: String,
    pub number: String,
    pub service: String,
    pub channel: String,
    pub status: String,
    pub status_code: String,
    pub due: String,
    /// Whose application it is, as the signed-in citizen reads it.
    pub whose: String,
}

#[derive(Template)]
#[template(path = "cabinet.html")]
pub struct CabinetPage {
    pub c: Ctx,
    pub rows: Vec<AppRow>,
    pub notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub(crate) fn service_name(state: &AppState, c: &Ctx, code: &str) -> String {
    state
        .catalog()
        .service(code)
        .map(|s| s.name.get(c.lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

pub(crate) fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

/// The signed-in user's IIN, when they have one (citizens).
fn my_iin(c: &Ctx) -> Option<String> {
    c.user.as_ref().and_then(|u| u.iin).map(|i| i.to_string())
}

/// Whose application it is, in the cabinet's list: the citizen's own
/// ("You", or "You, through a representative" when someone applied for
/// them), or the name of the person they represent. The cabinet lists both
/// kinds together, so each row says which it is.
pub(crate) fn whose(c: &Ctx, v: &Value) -> String {
    let me = my_iin(c);
    let applicant = s(&v["applicant"], "iin");
    if me.as_deref() == Some(applicant.as_str()) {
        if v["representative"].is_object() {
            c.t("cabinet.you-represented").to_owned()
        } else {
            c.t("cabinet.you").to_owned()
        }
    } else {
        let name = s(&v["applicant"], "name");
        let who = if name.is_empty() { applicant } else { name };
        format!("{who} ({})", c.t("cabinet.you-represent"))
    }
}

/// An application's representative as one line: their name where the
/// individuals database gave it, the IIN, and the power of attorney's
/// number and date; empty when the applicant acts alone.
pub(crate) fn representative_line(c: &Ctx, v: &Value) -> String {
    let r = &v["representative"];
    if !r.is_object() {
        return String::new();
    }
    let poa = &r["power_of_attorney"];
    let name = s(r, "name");
    format!(
        "{}{} ({} № {}, {})",
        if name.is_empty() {
            String::new()
        } else {
            format!("{name}, ")
        },
        s(r, "iin"),
        c.t("work.poa"),
        s(poa, "number"),
        s(poa, "date")
    )
}

/// RFC 3339 local time as people read it (`2026-11-24 18:30`).
pub(crate) fn when(t: &str) -> String {
    if t.len() >= 16 {
        t[..16].replace('T', " ")
    } else {
        t.to_owned()
    }
}

pub async fn list(
    State(state): State<AppState>,
    c: Ctx,
    _who: crate::auth::Principal,
    Query(q): Query<DoneQuery>,
) -> Response {
    let token = c_token(&c);
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    // The cabinet shows them all: follow the pages of the API's list.
    for _ in 0..20 {
        let path = match &cursor {
            Some(cur) => format!("/applications?limit=100&cursor={cur}"),
            None => "/applications?limit=100".to_owned(),
        };
        let v = match Call::get(path, token.as_deref()).send(&state).await.ok() {
            Ok(v) => v,
            Err(e) => return e.into_response(),
        };
        for a in v["items"].as_array().into_iter().flatten() {
            rows.push(AppRow {
                id: s(a, "id"),
                number: s(a, "number"),
                service: service_name(&state, &c, &s(a, "service")),
                channel: c.t(&format!("channel.{}", s(a, "channel"))).to_owned(),
                status: c.t(&format!("status.{}", s(a, "status"))).to_owned(),
                status_code: s(a, "status"),
                due: when(&s(a, "due_at")),
                whose: whose(&c, a),
            });
        }
        match v["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => break,
        }
    }
    let notice = match q.done.as_deref() {
        Some("password") => Some(c.t("password.done")),
        Some("withdrawn") => Some(c.t("cabinet.withdrawn")),
        Some("signed") => Some(c.t("sign.done")),
        _ => None,
    };
    render(&CabinetPage { c, rows, notice })
}

pub struct StepLine {
    pub name: &'static str,
    pub started: String,
    pub due: String,
    pub completed: String,
    pub overdue: bool,
}

/// The live part of an application's page (polled by htmx).
#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusFragment {
    pub c: Ctx,
    /// Where its links go: `/cabinet` (the applicant's) or `/work` (staff).
    pub base: &'static str,
    pub id: String,
    pub status: String,
    pub status_code: String,
    pub step: String,
    pub due: String,
    pub live: bool,
    pub steps: Vec<StepLine>,
    pub receipt: String,
    pub result: String,
    pub result_kind: String,
}

#[derive(Template)]
#[template(path = "application.html")]
pub struct ApplicationPage {
    pub c: Ctx,
    pub number: String,
    pub service: String,
    pub channel: String,
    pub live: StatusFragment,
    pub draft: bool,
    pub can_withdraw: bool,
    pub to_sign: bool,
    pub documents: Vec<(String, String)>,
    /// What the form says, as the applicant filled it in (and, for a
    /// draft, signs).
    pub form_rows: Vec<(String, String)>,
    pub error: Option<(&'static str, &'static str)>,
    /// The applicant's name and IIN, "(you)" when it is the reader.
    pub applicant: String,
    /// The representative's line (see `representative_line`), "(you)" when
    /// it is the reader; empty when the applicant acts alone.
    pub representative: String,
    /// The reader signs someone else's draft as their representative, or
    /// their own draft that a representative made for them: the signing
    /// panel says so.
    pub sign_note: Option<&'static str>,
}

pub(crate) async fn fetch(
    state: &AppState,
    c: &Ctx,
    id: &str,
) -> Result<(Value, String), ApiError> {
    let token = c_token(c);
    let answer = Call::get(format!("/applications/{id}"), token.as_deref())
        .send(state)
        .await;
    let etag = answer
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Ok((answer.ok()?, etag))
}

fn fragment(c: &Ctx, v: &Value) -> StatusFragment {
    fragment_at(c, v, "/cabinet")
}

/// The live part of an application's page, its links under `base`.
pub(crate) fn fragment_at(c: &Ctx, v: &Value, base: &'static str) -> StatusFragment {
    let status_code = s(v, "status");
    let steps = v["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|st| StepLine {
            name: c.t(&format!("step.{}", s(st, "code"))),
            started: when(&s(st, "started_at")),
            due: when(&s(st, "due_at")),
            completed: when(&s(st, "completed_at")),
            overdue: st["overdue"].as_bool().unwrap_or(false),
        })
        .collect();
    StatusFragment {
        c: c.clone(),
        base,
        id: s(v, "id"),
        status: c.t(&format!("status.{status_code}")).to_owned(),
        live: matches!(status_code.as_str(), "in-progress" | "paused"),
        step: v["step"]
            .as_str()
            .map(|st| c.t(&format!("step.{st}")).to_owned())
            .unwrap_or_default(),
        due: when(&s(v, "due_at")),
        steps,
        receipt: v["receipt"]["document"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        result: v["result"]["document"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        result_kind: v["result"]["kind"]
            .as_str()
            .map(|k| c.t(&format!("result.{k}")).to_owned())
            .unwrap_or_default(),
        status_code,
    }
}

/// The application's form as (label, value) lines, in the order and words
/// of the form of the regulation version it is handled under.
pub(crate) fn form_lines(state: &AppState, c: &Ctx, app: &Value) -> Vec<(String, String)> {
    let catalog = state.catalog();
    let version = catalog.version(&s(app, "service"), &s(app, "version"));
    let schema = version.map_or(&Value::Null, |v| v.form_schema());
    super::schema_form::data_lines(c, schema, &app["form"])
}

/// A document kind's name in the regulation version the application is
/// handled under.
pub(crate) fn document_name(state: &AppState, c: &Ctx, app: &Value, kind: &str) -> String {
    state
        .catalog()
        .version(&s(app, "service"), &s(app, "version"))
        .and_then(|v| v.documents.iter().find(|d| d.code == kind))
        .map(|d| super::capitalized(d.name.get(c.lang)))
        .unwrap_or_else(|| kind.to_owned())
}

async fn detail_page(
    state: &AppState,
    c: Ctx,
    id: &str,
    error: Option<(&'static str, &'static str)>,
) -> Response {
    let (v, _) = match fetch(state, &c, id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let can_withdraw = v["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|a| a["action"] == "withdraw" && a["role"] == "applicant");
    let documents = v["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (document_name(state, &c, &v, &s(d, "kind")), s(d, "name")))
        .collect();
    let me = my_iin(&c);
    let you = |line: String, iin: &str| {
        if me.as_deref() == Some(iin) {
            format!("{line} ({})", c.t("app.you"))
        } else {
            line
        }
    };
    let applicant_iin = s(&v["applicant"], "iin");
    let applicant_name = s(&v["applicant"], "name");
    let applicant = you(
        if applicant_name.is_empty() {
            applicant_iin.clone()
        } else {
            format!("{applicant_name}, {applicant_iin}")
        },
        &applicant_iin,
    );
    let representative_iin = s(&v["representative"], "iin");
    let representative = you(representative_line(&c, &v), &representative_iin);
    let sign_note = if representative_iin.is_empty() {
        None
    } else if me.as_deref() == Some(representative_iin.as_str()) {
        Some(c.t("sign.as-representative"))
    } else {
        Some(c.t("sign.made-by-representative"))
    };
    let page = ApplicationPage {
        form_rows: form_lines(state, &c, &v),
        applicant,
        representative,
        sign_note,
        number: s(&v, "number"),
        service: service_name(state, &c, &s(&v, "service")),
        channel: c.t(&format!("channel.{}", s(&v, "channel"))).to_owned(),
        live: fragment(&c, &v),
        draft: v["status"] == "draft",
        can_withdraw,
        to_sign: v["to_sign"].is_string(),
        documents,
        error,
        c,
    };
    let mut res = render(&page);
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

pub async fn detail(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    detail_page(&state, c, &id, None).await
}

pub async fn status(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    status_under(&state, &c, &id, "/cabinet").await
}

/// The live part of an application's page, polled by htmx, with its links
/// under `base` (the cabinet's, the workspace's or the operator's pages).
pub(crate) async fn status_under(
    state: &AppState,
    c: &Ctx,
    id: &str,
    base: &'static str,
) -> Response {
    match fetch(state, c, id).await {
        Ok((v, _)) => render(&fragment_at(c, &v, base)),
        Err(e) => e.into_response(),
    }
}

/// The exact bytes to sign, as the API gives them (`to_sign`).
pub async fn to_sign(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    let (v, _) = match fetch(&state, &c, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let bytes = v["to_sign"]
        .as_str()
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    match bytes {
        Some(b) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.bin\"", s(&v, "number")),
                ),
            ],
            b,
        )
            .into_response(),
        None => ApiError::new(StatusCode::NOT_FOUND, "signing-unavailable").into_response(),
    }
}

/// A signature uploaded (a `.p7s` from any tool) or made by NCALayer (the
/// `cms` field, base64), handed to the API's signature endpoint.
pub async fn sign(
    State(state): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let up = match SignatureUpload::read(&c, &mut multipart).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let Some(der) = up.cms else {
        let code = if up.given {
            "signature-file-unreadable"
        } else {
            "signature-file-missing"
        };
        let err = crate::lang::problem_text(code, c.lang);
        return detail_page(&state, c, &id, Some(err)).await;
    };
    let token = c_token(&c);
    let body = json!({"cms": base64::engine::general_purpose::STANDARD.encode(der)});
    let answer = Call::post(
        format!("/applications/{id}/signature"),
        token.as_deref(),
        body,
    )
    .send(&state)
    .await;
    match answer.ok() {
        Ok(_) => Redirect::to(&format!("/cabinet/applications/{id}")).into_response(),
        // The draft's form no longer holds on the day it is signed (a date
        // now past): what to do, not only that it failed.
        Err(e) if e.code == "form-invalid" => {
            let said = (
                crate::lang::problem_text(e.code, c.lang).0,
                c.t("sign.form-stale"),
            );
            detail_page(&state, c, &id, Some(said)).await
        }
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            let err = crate::lang::problem_text(e.code, c.lang);
            detail_page(&state, c, &id, Some(err)).await
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /cabinet/applications/{id}/withdraw`, with the box ticked that
/// says the citizen knows a withdrawal cannot be undone.
pub async fn withdraw(
    State(state): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    if fields.get("confirm").is_none_or(|v| v.is_empty()) {
        let err = crate::lang::problem_text("withdraw-unconfirmed", c.lang);
        return detail_page(&state, c, &id, Some(err)).await;
    }
    let (_, etag) = match fetch(&state, &c, &id).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let token = c_token(&c);
    let mut call = Call::post(
        format!("/applications/{id}/actions"),
        token.as_deref(),
        json!({"action": "withdraw"}),
    );
    call.if_match = Some(etag);
    match call.send(&state).await.ok() {
        Ok(_) => Redirect::to("/cabinet?done=withdrawn").into_response(),
        Err(e)
            if e.status == StatusCode::CONFLICT || e.status == StatusCode::PRECONDITION_FAILED =>
        {
            let err = crate::lang::problem_text(e.code, c.lang);
            detail_page(&state, c, &id, Some(err)).await
        }
        Err(e) => e.into_response(),
    }
}

/// A receipt or result PDF, through the API's documents endpoint (served
/// at `/cabinet/documents/…` and the staff's `/work/documents/…`); one not
/// rendered yet, or not the reader's, is the error page
/// `document-unavailable`.
pub async fn document(State(state): State<AppState>, c: Ctx, Path(code): Path<String>) -> Response {
    if !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return ApiError::not_found().into_response();
    }
    let token = c_token(&c);
    let answer = Call::get(format!("/documents/{code}"), token.as_deref())
        .send(&state)
        .await;
    if answer.status.is_success() {
        return (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{code}.pdf\""),
                ),
            ],
            answer.bytes,
        )
            .into_response();
    }
    match answer.error {
        Some(e) if e.code != "not-found" => e.into_response(),
        _ => ApiError::new(StatusCode::NOT_FOUND, "document-unavailable").into_response(),
    }
}
