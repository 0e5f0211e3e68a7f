//! The office's workspace (`/work`): the clerk's journal and queue, the
//! head's inbox and the specialist's worklist, and the case page with the
//! actions the API offers the reader's role at the current step. Every
//! action goes to `POST /api/v1/applications/{id}/actions` with the ETag
//! the page was drawn from as `If-Match`, so a case changed meanwhile is
//! refused (412) and the page says so, keeping what was typed.

use super::api::Call;
use super::cabinet::{
    fetch, form_lines, fragment_at, representative_line, s, service_name, when, StatusFragment,
};
use super::forms::c_token;
use super::session::SignatureUpload;
use super::{render, Ctx};
use crate::auth::Principal;
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use qyzmet_domain::catalog::GroundStage;
use qyzmet_domain::Role;
use serde::Deserialize;
use serde_json::{json, Value};

/// The actions a page may ask the API for.
const ACTIONS: &[&str] = &[
    "complete", "refuse", "return", "pause", "resume", "withdraw",
];

/// The office's roles only; anyone else is refused as the API refuses.
fn office(who: &Principal) -> Result<Role, ApiError> {
    match who.role {
        r @ (Role::Clerk | Role::Head | Role::Specialist) => Ok(r),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden")),
    }
}

// ---------------------------------------------------------------- lists

pub struct Row {
    pub id: String,
    pub number: String,
    pub service: String,
    pub applicant: String,
    pub step: String,
    pub status: String,
    pub status_code: String,
    pub due: String,
    pub overdue: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "work_queue.html")]
pub struct QueuePage {
    pub c: Ctx,
    pub title: &'static str,
    pub lead: &'static str,
    pub rows: Vec<Row>,
    /// The clerk's journal of incoming correspondence: newest first.
    pub journal: Vec<Row>,
    pub clerk: bool,
    /// The next page of the queue, when there is one.
    pub next: String,
    pub notice: String,
    /// How many cases the whole queue holds, and how many of them are
    /// overdue (`1000+` past the count's cap).
    pub total: String,
    pub overdue: String,
}

/// Queues are counted this far: enough to plan a day, cheap at any size.
const COUNT_CAP: u32 = 1000;

/// The size of the reader's queue and of its overdue part, as the queue's
/// list narrows it (the step's role is the reader's; a clerk's and a
/// head's provider, a specialist's own cases). Each is counted off the
/// index the list reads.
async fn queue_counts(
    state: &AppState,
    who: &Principal,
    role: Role,
) -> Result<(String, String), ApiError> {
    let mut filter = qyzmet_store::ListFilter {
        step_role: Some(role.code().to_owned()),
        statuses: vec!["in-progress".into(), "paused".into()],
        ..Default::default()
    };
    if role == Role::Specialist {
        filter.assignee = Some(who.username.clone());
    } else {
        filter.provider = Some(who.provider.clone().unwrap_or_default());
    }
    // Counted one past the cap, so that exactly the cap is said as it is.
    let shown = |n: u64| {
        if n > u64::from(COUNT_CAP) {
            format!("{COUNT_CAP}+")
        } else {
            n.to_string()
        }
    };
    let store = state.store();
    let total = store.count_applications(&filter, COUNT_CAP + 1).await?;
    filter.overdue = Some(true);
    let overdue = store.count_applications(&filter, COUNT_CAP + 1).await?;
    Ok((shown(total), shown(overdue)))
}

#[derive(Deserialize)]
pub struct QueueQuery {
    cursor: Option<String>,
    done: Option<String>,
}

fn row(state: &AppState, c: &Ctx, a: &Value) -> Row {
    let status_code = s(a, "status");
    Row {
        id: s(a, "id"),
        number: s(a, "number"),
        service: service_name(state, c, &s(a, "service")),
        applicant: a["applicant"]["name"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| s(&a["applicant"], "iin")),
        step: a["step"]
            .as_str()
            .map(|st| c.t(&format!("step.{st}")).to_owned())
            .unwrap_or_default(),
        status: c.t(&format!("status.{status_code}")).to_owned(),
        overdue: a["overdue"].as_bool().unwrap_or(false),
        // A paused case's clock restarts by itself when its pause ends.
        due: when(
            a["due_at"]
                .as_str()
                .or(a["paused"]["until"].as_str())
                .unwrap_or_default(),
        ),
        created: when(&s(a, "created_at")),
        status_code,
    }
}

async fn list(state: &AppState, c: &Ctx, path: String) -> Result<(Vec<Row>, String), ApiError> {
    let token = c_token(c);
    let v = Call::get(path, token.as_deref()).send(state).await.ok()?;
    let rows = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| row(state, c, a))
        .collect();
    Ok((rows, s(&v, "next_cursor")))
}

/// A number to name in a notice: only what a number is made of.
fn number_ok(n: &str) -> bool {
    !n.is_empty() && n.len() <= 40 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `GET /work`: whose turn it is, by deadline (overdue first).
pub async fn queue(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Query(q): Query<QueueQuery>,
) -> Response {
    let role = match office(&who) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let cursor = q
        .cursor
        .filter(|cur| {
            cur.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b))
        })
        .map(|cur| format!("&cursor={cur}"))
        .unwrap_or_default();
    // The step's role is the reader's: the API narrows further (the
    // provider's cases; a specialist's own).
    let path = format!(
        "/applications?step_role={}&status=in-progress,paused&order=due&limit=50{cursor}",
        role.code()
    );
    let (mut rows, next) = match list(&state, &c, path).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let (total, overdue) = match queue_counts(&state, &who, role).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    // The deadline order already puts late cases first; a paused case,
    // dated by its pause's end, stays behind them on the page too.
    rows.sort_by_key(|r| !r.overdue);
    let journal = if role == Role::Clerk && cursor.is_empty() {
        match list(
            &state,
            &c,
            "/applications?channel=office&limit=20".to_owned(),
        )
        .await
        {
            Ok((j, _)) => j,
            Err(e) => return e.into_response(),
        }
    } else {
        Vec::new()
    };
    let (title, lead) = match role {
        Role::Clerk => ("work.clerk.title", "work.clerk.lead"),
        Role::Head => ("work.head.title", "work.head.lead"),
        _ => ("work.specialist.title", "work.specialist.lead"),
    };
    let notice = q
        .done
        .filter(|n| number_ok(n))
        .map(|n| format!("{} {n}", c.t("work.done")))
        .unwrap_or_default();
    render(&QueuePage {
        title: c.t(title),
        lead: c.t(lead),
        rows,
        journal,
        clerk: role == Role::Clerk,
        next,
        notice,
        total,
        overdue,
        c,
    })
}

// ---------------------------------------------------------------- the case

pub struct DocCheck {
    pub name: String,
    pub required: bool,
    pub presented: bool,
    pub file: String,
}

pub struct GroundBox {
    pub code: String,
    pub name: String,
    pub checked: bool,
}

/// What the reader typed into an action form, kept when it is refused.
#[derive(Default, Clone)]
pub struct Kept {
    pub assignee: String,
    pub reason: String,
    pub comment: String,
    pub grounds: Vec<String>,
}

#[derive(Template)]
#[template(path = "work_case.html")]
pub struct CasePage {
    pub c: Ctx,
    pub id: String,
    pub number: String,
    pub service: String,
    pub channel: String,
    pub applicant: String,
    pub applicant_iin: String,
    pub representative: String,
    /// The specialist the resolution named; empty before.
    pub assignee: String,
    pub live: StatusFragment,
    pub step_code: String,
    /// At `sign` and `issue`: the result's document code (the draft the
    /// head reads and seals; the sealed one the clerk issues).
    pub draft: String,
    pub form_rows: Vec<(String, String)>,
    pub documents: Vec<DocCheck>,
    pub refusal_grounds: Vec<String>,
    pub refusal_reason: String,
    pub paused: String,
    pub etag: String,
    /// The actions the API offers the reader's role now.
    pub can: Vec<String>,
    pub specialists: Vec<(String, String)>,
    pub grounds: Vec<GroundBox>,
    pub kept: Kept,
    pub error: Option<(&'static str, &'static str)>,
    pub notice: &'static str,
}

impl CasePage {
    pub fn may(&self, action: &str) -> bool {
        self.can.iter().any(|a| a == action)
    }
}

async fn specialists(state: &AppState, c: &Ctx) -> Result<Vec<(String, String)>, ApiError> {
    let token = c_token(c);
    let v = Call::get("/staff/specialists", token.as_deref())
        .send(state)
        .await
        .ok()?;
    Ok(v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| (s(u, "username"), s(u, "display_name")))
        .collect())
}

async fn case_page(
    state: &AppState,
    c: Ctx,
    who: &Principal,
    id: &str,
    kept: Kept,
    error: Option<(&'static str, &'static str)>,
    notice: &'static str,
) -> Result<CasePage, ApiError> {
    office(who)?;
    let (v, etag) = fetch(state, &c, id).await?;
    let role = who.role.code();
    let can: Vec<String> = v["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["role"] == role)
        .map(|a| s(a, "action"))
        .collect();
    let step_code = s(&v, "step");
    let catalog = state.catalog();
    let version = catalog.version(&s(&v, "service"), &s(&v, "version"));
    let presented: Vec<&Value> = v["documents"].as_array().into_iter().flatten().collect();
    let documents = version
        .map(|ver| {
            ver.documents
                .iter()
                .map(|d| {
                    let got = presented.iter().find(|p| p["kind"] == d.code.as_str());
                    DocCheck {
                        name: super::capitalized(d.name.get(c.lang)),
                        required: d.required,
                        presented: got.is_some(),
                        file: got
                            .filter(|p| p["sha256"].is_string())
                            .map(|p| s(p, "name"))
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let ground_name = |code: &str| {
        version
            .and_then(|ver| ver.refusal_grounds.iter().find(|g| g.code == code))
            .map(|g| g.name.get(c.lang).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let grounds = if can.iter().any(|a| a == "refuse") {
        version
            .map(|ver| {
                ver.refusal_grounds
                    .iter()
                    .filter(|g| g.stage == GroundStage::Decision)
                    .map(|g| GroundBox {
                        checked: kept.grounds.contains(&g.code),
                        code: g.code.clone(),
                        name: g.name.get(c.lang).to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let specialists = if step_code == "resolution" && can.iter().any(|a| a == "complete") {
        specialists(state, &c).await?
    } else {
        Vec::new()
    };
    let rows = form_lines(state, &c, &v);
    let representative = representative_line(&c, &v);
    // The specialist the head named, by their name where the office's list
    // has them (the specialist reading their own case: their own name; the
    // list is the clerk's and the head's).
    let assignee = match v["assignee"].as_str() {
        Some(user) if user == who.username => format!("{} ({user})", who.display_name),
        Some(user) => {
            let fetched;
            let known = if specialists.is_empty() {
                fetched = self::specialists(state, &c).await.unwrap_or_default();
                &fetched
            } else {
                &specialists
            };
            known
                .iter()
                .find(|(u, _)| u == user)
                .map(|(u, name)| format!("{name} ({u})"))
                .unwrap_or_else(|| user.to_owned())
        }
        None => String::new(),
    };
    Ok(CasePage {
        id: s(&v, "id"),
        number: s(&v, "number"),
        service: service_name(state, &c, &s(&v, "service")),
        channel: c.t(&format!("channel.{}", s(&v, "channel"))).to_owned(),
        applicant: s(&v["applicant"], "name"),
        applicant_iin: s(&v["applicant"], "iin"),
        representative,
        assignee,
        live: fragment_at(&c, &v, "/work"),
        draft: if step_code == "sign" || step_code == "issue" {
            crate::view::document_code(id, "result")
        } else {
            String::new()
        },
        step_code,
        form_rows: rows,
        documents,
        refusal_grounds: v["refusal"]["grounds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(ground_name)
            .collect(),
        refusal_reason: s(&v["refusal"], "reason"),
        paused: v["paused"]["until"].as_str().map(when).unwrap_or_default(),
        // The version as the form carries it, without the header's quotes.
        etag: etag.trim_start_matches("W/").trim_matches('"').to_owned(),
        can,
        specialists,
        grounds,
        kept,
        error,
        notice,
        c,
    })
}

#[derive(Deserialize)]
pub struct CaseQuery {
    done: Option<String>,
}

/// `GET /work/applications/{id}`.
pub async fn case(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    // Those who read everything and act on nothing (the administrator, the
    // auditor) are given the case's history, where a link may bring them.
    if matches!(who.role, Role::Admin | Role::Auditor) {
        return match uuid::Uuid::parse_str(&id) {
            Ok(id) => {
                Redirect::to(&format!("/audit/applications/{}", id.hyphenated())).into_response()
            }
            Err(_) => ApiError::not_found().into_response(),
        };
    }
    let notice = match q.done.as_deref() {
        Some("intake") => c.t("work.intake.done"),
        Some("intake-refused") => c.t("work.intake.refused"),
        _ => "",
    };
    match case_page(&state, c, &who, &id, Kept::default(), None, notice).await {
        Ok(p) => render(&p),
        Err(e) => e.into_response(),
    }
}

/// `GET /work/applications/{id}/status`: the live part, for htmx.
pub async fn status(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    super::cabinet::status_under(&state, &c, &id, "/work").await
}

/// Sends one action with the page's ETag; back to the queue when done, or
/// the case page again with the API's refusal in the reader's language.
async fn send_action(
    state: &AppState,
    c: Ctx,
    who: &Principal,
    id: &str,
    etag: &str,
    body: Value,
    kept: Kept,
) -> Response {
    if let Err(e) = office(who) {
        return e.into_response();
    }
    let token = c_token(&c);
    let mut call = Call::post(
        format!("/applications/{id}/actions"),
        token.as_deref(),
        body,
    );
    call.if_match = Some(format!("\"{etag}\""));
    match call.send(state).await.ok() {
        Ok(v) => Redirect::to(&format!("/work?done={}", s(&v, "number"))).into_response(),
        Err(e) if e.status != StatusCode::NOT_FOUND && e.status.is_client_error() => {
            redraw(state, c, who, id, kept, e.code, e.status).await
        }
        Err(e) => e.into_response(),
    }
}

/// The case page again, with the refusal `code` in the reader's language
/// and what was typed kept, answered with `status`.
async fn redraw(
    state: &AppState,
    mut c: Ctx,
    who: &Principal,
    id: &str,
    kept: Kept,
    code: &str,
    status: StatusCode,
) -> Response {
    // The page drawn again is the case's (its language links too).
    c.path = format!("/work/applications/{id}");
    let error = crate::lang::problem_text(code, c.lang);
    match case_page(state, c, who, id, kept, Some(error), "").await {
        Ok(p) => {
            let mut res = render(&p);
            *res.status_mut() = status;
            res
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /work/applications/{id}/act` (a URL-encoded form; CSRF checked by
/// the pages' middleware): `etag`, `action` and the fields it needs.
pub async fn act(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let action = get("action");
    if !ACTIONS.contains(&action.as_str()) {
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "action-unknown").into_response();
    }
    let kept = Kept {
        assignee: get("assignee"),
        reason: get("reason"),
        comment: get("comment"),
        grounds: fields
            .iter()
            .filter(|(n, v)| n == "grounds" && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect(),
    };
    // Asked on the page before the API: a withdrawal cannot be undone, and
    // the office withdraws on the applicant's written request only; a
    // refusal names its grounds.
    let unasked = match action.as_str() {
        "withdraw" if get("confirm").is_empty() => Some("withdraw-unconfirmed"),
        "refuse" if kept.grounds.is_empty() => Some("refusal-grounds-missing"),
        _ => None,
    };
    if let Some(code) = unasked {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return redraw(&state, c, &who, &id, kept, code, status).await;
    }
    let mut body = json!({ "action": action });
    match action.as_str() {
        "complete" if !kept.assignee.is_empty() => body["assignee"] = json!(kept.assignee),
        "refuse" => {
            body["grounds"] = json!(kept.grounds);
            body["reason"] = json!(kept.reason);
        }
        "return" => body["comment"] = json!(kept.comment),
        "pause" if !kept.comment.is_empty() => body["comment"] = json!(kept.comment),
        _ => {}
    }
    send_action(&state, c, &who, &id, &get("etag"), body, kept).await
}

/// `POST /work/applications/{id}/sign` (multipart): the head's own
/// detached signature (`.p7s`) over the drafted result's PDF bytes, sent
/// with `complete` at `sign`.
pub async fn sign(
    State(state): State<AppState>,
    c: Ctx,
    who: Principal,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let up = match SignatureUpload::read(&c, &mut multipart).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let etag = up.fields.get("etag").map(|e| e.trim()).unwrap_or_default();
    let Some(der) = up.cms else {
        let code = if up.given {
            "signature-file-unreadable"
        } else {
            "signature-file-missing"
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return redraw(&state, c, &who, &id, Kept::default(), code, status).await;
    };
    let body = json!({
        "action": "complete",
        "cms": base64::engine::general_purpose::STANDARD.encode(der),
    });
    send_action(&state, c, &who, &id, etag, body, Kept::default()).await
}
