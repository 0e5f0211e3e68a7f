//! The auditor's pages (`/audit/…`): finding any application, and its
//! history with the hash chain checked on the page — the server recomputes
//! every event's hash from the events as the API serves them (contract.md,
//! "events"), exactly as an outside verifier would, and shows each link
//! ok or broken and the chain's verdict. Nothing here changes anything.

use super::admin::Choice;
use super::api::Call;
use super::cabinet::{s, service_name, when};
use super::{render, Ctx};
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use qyzmet_domain::audit::{content, link_hash, GENESIS};
use serde::Deserialize;
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(search))
        .route("/audit/applications/{id}", get(history))
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    number: Option<String>,
    status: Option<String>,
    service: Option<String>,
    overdue: Option<String>,
    cursor: Option<String>,
}

pub struct Row {
    pub id: String,
    pub number: String,
    pub service: String,
    pub status: String,
    pub status_code: String,
    pub step: String,
    pub created: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "audit_search.html")]
pub struct SearchPage {
    pub c: Ctx,
    pub number: String,
    pub statuses: Vec<Choice>,
    pub services: Vec<Choice>,
    pub overdue: bool,
    pub rows: Vec<Row>,
    /// The query string of the next page, when there is one.
    pub next: Option<String>,
    pub not_found: bool,
}

const STATUSES: [&str; 6] = [
    "in-progress",
    "paused",
    "completed",
    "draft",
    "rejected-at-intake",
    "withdrawn",
];

fn enc(v: &str) -> String {
    super::session::encode_next(v)
}

pub async fn search(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    // The search lists every application: for those who audit only (the
    // staff have their own worklists).
    if !(c.is_admin() || c.is_auditor()) {
        return match c.user {
            None => ApiError::new(axum::http::StatusCode::UNAUTHORIZED, "unauthenticated"),
            Some(_) => ApiError::new(axum::http::StatusCode::FORBIDDEN, "admin-only"),
        }
        .into_response();
    }
    let token = c.token.clone();
    let number = q.number.as_deref().unwrap_or("").trim().to_owned();
    let mut not_found = false;
    if !number.is_empty() {
        let path = format!("/admin/applications/by-number/{}", enc(&number));
        match Call::get(path, token.as_deref()).send(&state).await.ok() {
            Ok(v) => {
                return Redirect::to(&format!("/audit/applications/{}", s(&v, "id")))
                    .into_response()
            }
            Err(e) if e.code == "not-found" => not_found = true,
            Err(e) => return e.into_response(),
        }
    }
    let status = q
        .status
        .filter(|st| STATUSES.contains(&st.as_str()))
        .unwrap_or_default();
    let service = q
        .service
        .filter(|sv| state.catalog().service(sv).is_some())
        .unwrap_or_default();
    let overdue = q.overdue.as_deref() == Some("true");
    let mut filter = String::new();
    if !status.is_empty() {
        filter.push_str(&format!("&status={status}"));
    }
    if !service.is_empty() {
        filter.push_str(&format!("&service={}", enc(&service)));
    }
    if overdue {
        filter.push_str("&overdue=true");
    }
    let cursor = q
        .cursor
        .map(|cur| format!("&cursor={}", enc(&cur)))
        .unwrap_or_default();
    let path = format!("/applications?limit=50{filter}{cursor}");
    let v = match Call::get(path, token.as_deref()).send(&state).await.ok() {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let rows = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| Row {
            id: s(a, "id"),
            number: s(a, "number"),
            service: service_name(&state, &c, &s(a, "service")),
            status: c.t(&format!("status.{}", s(a, "status"))).to_owned(),
            status_code: s(a, "status"),
            step: a["step"]
                .as_str()
                .map(|st| c.t(&format!("step.{st}")).to_owned())
                .unwrap_or_default(),
            created: when(&s(a, "created_at")),
            overdue: a["overdue"].as_bool().unwrap_or(false),
        })
        .collect();
    let next = v["next_cursor"]
        .as_str()
        .map(|cur| format!("{}&cursor={}", filter.trim_start_matches('&'), enc(cur)));
    let page = SearchPage {
        number,
        statuses: STATUSES
            .iter()
            .map(|st| Choice {
                code: (*st).to_owned(),
                name: c.t(&format!("status.{st}")).to_owned(),
                selected: status == *st,
            })
            .collect(),
        services: state
            .catalog()
            .services()
            .iter()
            .map(|sv| Choice {
                code: sv.code.clone(),
                name: sv.name.get(c.lang).to_owned(),
                selected: service == sv.code,
            })
            .collect(),
        overdue,
        rows,
        next,
        not_found,
        c,
    };
    render(&page)
}

/// One event as served, with its link checked.
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    /// The kind in the reader's words (the code when it has none).
    pub kind_name: String,
    pub at: String,
    /// `at` in Kazakhstan's time, as every other page shows times.
    pub local: String,
    pub actor: String,
    pub data: String,
    pub hash: String,
    pub prev_hash: String,
    pub ok: bool,
    /// Why the link does not hold (a text key), when it does not.
    pub why: &'static str,
}

/// An RFC 3339 instant in Kazakhstan's time (`2026-12-07 22:13:22`); what
/// does not parse, as it came.
fn local_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&qyzmet_domain::calendar::ZONE)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_owned())
}

/// Every link of a served chain checked on its own: the sequence number,
/// `prev_hash` against the previous event's `hash`, and `hash` recomputed
/// from the event's content. A broken link does not stop the check, so
/// each event gets its own verdict.
pub fn check_chain(c: &Ctx, events: &[Value]) -> Vec<EventRow> {
    let mut prev = GENESIS.to_owned();
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let seq = e["seq"].as_i64().unwrap_or(-1);
            let hash = s(e, "hash");
            let prev_hash = s(e, "prev_hash");
            let computed = link_hash(
                &prev_hash,
                &content(seq, &s(e, "type"), &s(e, "at"), &s(e, "actor"), &e["data"]),
            );
            let why = if seq != i as i64 + 1 {
                "audit.why.seq"
            } else if prev_hash != prev {
                "audit.why.prev"
            } else if computed.as_deref().ok() != Some(hash.as_str()) {
                "audit.why.hash"
            } else {
                ""
            };
            prev = hash.clone();
            let kind = s(e, "type");
            let at = s(e, "at");
            EventRow {
                seq,
                kind_name: c.t_or(&format!("event.{kind}"), &kind).to_owned(),
                kind,
                local: local_time(&at),
                at,
                actor: s(e, "actor"),
                data: e["data"].to_string(),
                hash,
                prev_hash,
                ok: why.is_empty(),
                why: if why.is_empty() { "" } else { c.t(why) },
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit_application.html")]
pub struct HistoryPage {
    pub c: Ctx,
    pub id: String,
    pub number: String,
    pub service: String,
    pub channel: String,
    pub status: String,
    pub status_code: String,
    pub step: String,
    pub due: String,
    pub events: Vec<EventRow>,
    pub intact: bool,
}

pub async fn history(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    let token = c.token.clone();
    // Auditors and administrators only: the chain's own endpoint says so
    // (the application's other readers may see it elsewhere).
    let checks = async {
        Call::get(format!("/applications/{id}/audit"), token.as_deref())
            .send(&state)
            .await
            .ok()
    };
    let app = async {
        Call::get(format!("/applications/{id}"), token.as_deref())
            .send(&state)
            .await
            .ok()
    };
    let events = async {
        Call::get(format!("/applications/{id}/events"), token.as_deref())
            .send(&state)
            .await
            .ok()
    };
    let (app, events) = match tokio::try_join!(checks, app, events) {
        Ok((_, a, e)) => (a, e),
        Err(e) => return e.into_response(),
    };
    let events: Vec<Value> = events.as_array().cloned().unwrap_or_default();
    let rows = check_chain(&c, &events);
    if rows.is_empty() {
        return ApiError::internal().into_response();
    }
    let status_code = s(&app, "status");
    render(&HistoryPage {
        id: s(&app, "id"),
        number: s(&app, "number"),
        service: service_name(&state, &c, &s(&app, "service")),
        channel: c.t(&format!("channel.{}", s(&app, "channel"))).to_owned(),
        status: c.t(&format!("status.{status_code}")).to_owned(),
        status_code,
        step: app["step"]
            .as_str()
            .map(|st| c.t(&format!("step.{st}")).to_owned())
            .unwrap_or_default(),
        due: when(&s(&app, "due_at")),
        intact: rows.iter().all(|r| r.ok),
        events: rows,
        c,
    })
}
