//! The administrator's pages (`/admin/…`): accounts and roles, providers,
//! regulation versions (ending one), the working-day calendar (edits, then
//! the explicit recompute of the open deadlines they touch, showing what
//! moved), the outbox's dead letters and the audit of every change. Each
//! page calls the admin API in process, so the API decides who may do
//! what: administrators change, auditors read (their forms are not shown
//! and the API refuses them anyway), everyone else gets the API's 403.

use super::api::Call;
use super::cabinet::{s, when};
use super::{render, Ctx};
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{Datelike, NaiveDate};
use qyzmet_domain::Role;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The administration, audit and monitoring pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/users", get(users).post(create_user))
        .route(
            "/admin/users/{username}/disable",
            get(disable_confirm).post(disable),
        )
        .route(
            "/admin/users/{username}/enable",
            axum::routing::post(enable),
        )
        .route(
            "/admin/users/{username}/password",
            get(password_form).post(password),
        )
        .route("/admin/providers", get(providers))
        .route("/admin/versions", get(versions))
        .route("/admin/versions/end", get(end_form).post(end_version))
        .route("/admin/calendar", get(calendar).post(edit_calendar))
        .route("/admin/calendar/recompute", axum::routing::post(recompute))
        .route("/admin/outbox", get(outbox))
        .route("/admin/outbox/{id}/retry", axum::routing::post(retry))
        .route("/admin/audit", get(audit_log))
        .merge(super::audit::router())
        .merge(super::monitoring::router())
}

impl Ctx {
    fn user_role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    /// Whether the reader is an administrator (the layout's links, and the
    /// forms only an administrator may send).
    pub fn is_admin(&self) -> bool {
        self.user_role() == Some(Role::Admin)
    }

    pub fn is_auditor(&self) -> bool {
        self.user_role() == Some(Role::Auditor)
    }

    /// Administrators, auditors and heads see the monitoring.
    pub fn sees_monitoring(&self) -> bool {
        matches!(
            self.user_role(),
            Some(Role::Admin | Role::Auditor | Role::Head)
        )
    }
}

/// A posted form's fields.
pub(super) type Fields = Form<Vec<(String, String)>>;

pub(super) fn get_field(f: &[(String, String)], name: &str) -> String {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// A problem the reader can fix, shown on the page in their language.
pub(super) type Shown = Option<(&'static str, &'static str)>;

fn shown(c: &Ctx, code: &str) -> Shown {
    Some(crate::lang::problem_text(code, c.lang))
}

/// Forms that change something are for administrators: anyone else is
/// refused before the form is shown (the API would refuse what they send).
fn forms_for_admin(c: &Ctx) -> Result<(), ApiError> {
    match &c.user {
        _ if c.is_admin() => Ok(()),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")),
        Some(_) => Err(ApiError::new(StatusCode::FORBIDDEN, "admin-only")),
    }
}

/// A page with a problem shown on it answers 422.
fn render_shown<T: Template>(page: &T, error: Shown) -> Response {
    let mut res = render(page);
    if error.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// Problems a form's sender can act on: shown on the page; the others
/// (403, 404, 5xx) become the error page.
fn fixable(e: &ApiError) -> bool {
    matches!(
        e.status,
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::BAD_REQUEST
    )
}

async fn get_json(state: &AppState, c: &Ctx, path: &str) -> Result<Value, ApiError> {
    Call::get(path, c.token.as_deref()).send(state).await.ok()
}

async fn post_json(state: &AppState, c: &Ctx, path: &str, body: Value) -> Result<Value, ApiError> {
    Call::post(path, c.token.as_deref(), body)
        .send(state)
        .await
        .ok()
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn notice(c: &Ctx, done: Option<&str>) -> Option<&'static str> {
    match done? {
        "created" => Some(c.t("admin.done.created")),
        "disabled" => Some(c.t("admin.done.disabled")),
        "enabled" => Some(c.t("admin.done.enabled")),
        "password" => Some(c.t("admin.done.password")),
        "ended" => Some(c.t("admin.done.ended")),
        "retried" => Some(c.t("admin.done.retried")),
        _ => None,
    }
}

// --- the index -------------------------------------------------------------

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub data: String,
}

fn audit_rows(v: &Value) -> Vec<AuditRow> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|a| AuditRow {
            at: when(&s(a, "at")),
            actor: s(a, "actor"),
            action: s(a, "action"),
            target: s(a, "target"),
            data: if a["data"].as_object().is_some_and(|o| o.is_empty()) {
                String::new()
            } else {
                a["data"].to_string()
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin_index.html")]
pub struct IndexPage {
    pub c: Ctx,
    pub recent: Vec<AuditRow>,
}

pub async fn index(State(state): State<AppState>, c: Ctx) -> Response {
    match get_json(&state, &c, "/admin/audit?limit=5").await {
        Ok(v) => render(&IndexPage {
            recent: audit_rows(&v),
            c,
        }),
        Err(e) => e.into_response(),
    }
}

// --- users -------------------------------------------------------------------

pub struct UserRow {
    pub username: String,
    pub name: String,
    pub role: &'static str,
    pub provider: String,
    pub disabled: bool,
}

pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub c: Ctx,
    pub rows: Vec<UserRow>,
    pub roles: Vec<Choice>,
    pub providers: Vec<Choice>,
    pub username: String,
    pub display_name: String,
    pub notice: Option<&'static str>,
    pub error: Shown,
}

/// The staff roles an administrator can give.
const STAFF: [Role; 6] = [
    Role::Clerk,
    Role::Head,
    Role::Specialist,
    Role::Operator,
    Role::Admin,
    Role::Auditor,
];

async fn users_page(
    state: &AppState,
    c: Ctx,
    posted: &[(String, String)],
    notice: Option<&'static str>,
    error: Shown,
) -> Response {
    let (users, providers) = match tokio::try_join!(
        get_json(state, &c, "/admin/users"),
        get_json(state, &c, "/admin/providers")
    ) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let role = get_field(posted, "role");
    let provider = get_field(posted, "provider");
    let rows = users["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| UserRow {
            username: s(u, "username"),
            name: s(u, "display_name"),
            role: c.t(&format!("role.{}", s(u, "role"))),
            provider: s(u, "provider"),
            disabled: u["disabled"].as_bool().unwrap_or(false),
        })
        .collect();
    let page = UsersPage {
        rows,
        roles: STAFF
            .iter()
            .map(|r| Choice {
                code: r.code().to_owned(),
                name: c.t(&format!("role.{}", r.code())).to_owned(),
                selected: role == r.code(),
            })
            .collect(),
        providers: providers
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Choice {
                code: s(p, "code"),
                name: s(p, "name"),
                selected: provider == s(p, "code"),
            })
            .collect(),
        username: get_field(posted, "username"),
        display_name: get_field(posted, "display_name"),
        notice,
        error,
        c,
    };
    render_shown(&page, error)
}

pub async fn users(State(state): State<AppState>, c: Ctx, Query(q): Query<Done>) -> Response {
    let n = notice(&c, q.done.as_deref());
    users_page(&state, c, &[], n, None).await
}

pub async fn create_user(State(state): State<AppState>, c: Ctx, Form(f): Fields) -> Response {
    let provider = get_field(&f, "provider");
    let body = json!({
        "username": get_field(&f, "username"),
        "role": get_field(&f, "role"),
        "provider": if provider.is_empty() { Value::Null } else { Value::from(provider) },
        "display_name": get_field(&f, "display_name"),
        // A password is taken as typed: spaces are allowed in it.
        "password": f.iter().find(|(k, _)| k == "password").map(|(_, v)| v.as_str()).unwrap_or(""),
    });
    match post_json(&state, &c, "/admin/users", body).await {
        Ok(_) => Redirect::to("/admin/users?done=created").into_response(),
        Err(e) if fixable(&e) => {
            let err = shown(&c, e.code);
            users_page(&state, c, &f, None, err).await
        }
        Err(e) => e.into_response(),
    }
}

/// A destructive action's confirmation: what it does, then the button.
#[derive(Template)]
#[template(path = "admin_confirm.html")]
pub struct ConfirmPage {
    pub c: Ctx,
    pub title: &'static str,
    pub what: String,
    pub consequence: &'static str,
    pub action: String,
    pub button: &'static str,
    pub back: &'static str,
}

fn valid_name(u: &str) -> bool {
    !u.is_empty() && u.len() <= 64 && u.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn disable_confirm(
    State(state): State<AppState>,
    c: Ctx,
    Path(username): Path<String>,
) -> Response {
    if let Err(e) = forms_for_admin(&c) {
        return e.into_response();
    }
    if !valid_name(&username) {
        return ApiError::not_found().into_response();
    }
    // The account must exist.
    let users = match get_json(&state, &c, "/admin/users").await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let Some(u) = users["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["username"] == username.as_str())
    else {
        return ApiError::not_found().into_response();
    };
    render(&ConfirmPage {
        title: c.t("admin.users.disable-title"),
        what: format!("{} ({})", s(u, "display_name"), username),
        consequence: c.t("admin.users.disable-consequence"),
        action: format!("/admin/users/{username}/disable"),
        button: c.t("admin.users.disable"),
        back: "/admin/users",
        c,
    })
}

async fn set_disabled(state: &AppState, c: Ctx, username: &str, disable: bool) -> Response {
    if !valid_name(username) {
        return ApiError::not_found().into_response();
    }
    let (verb, done) = if disable {
        ("disable", "disabled")
    } else {
        ("enable", "enabled")
    };
    match post_json(
        state,
        &c,
        &format!("/admin/users/{username}/{verb}"),
        json!({}),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/admin/users?done={done}")).into_response(),
        Err(e) if fixable(&e) => {
            let err = shown(&c, e.code);
            users_page(state, c, &[], None, err).await
        }
        Err(e) => e.into_response(),
    }
}

pub async fn disable(State(state): State<AppState>, c: Ctx, Path(u): Path<String>) -> Response {
    set_disabled(&state, c, &u, true).await
}

pub async fn enable(State(state): State<AppState>, c: Ctx, Path(u): Path<String>) -> Response {
    set_disabled(&state, c, &u, false).await
}

#[derive(Template)]
#[template(path = "admin_password.html")]
pub struct PasswordPage {
    pub c: Ctx,
    pub username: String,
    pub error: Shown,
}

pub async fn password_form(c: Ctx, Path(username): Path<String>) -> Response {
    if let Err(e) = forms_for_admin(&c) {
        return e.into_response();
    }
    if !valid_name(&username) {
        return ApiError::not_found().into_response();
    }
    render(&PasswordPage {
        c,
        username,
        error: None,
    })
}

pub async fn password(
    State(state): State<AppState>,
    c: Ctx,
    Path(username): Path<String>,
    Form(f): Fields,
) -> Response {
    if !valid_name(&username) {
        return ApiError::not_found().into_response();
    }
    let pw = f
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let path = format!("/admin/users/{username}/password");
    match post_json(&state, &c, &path, json!({ "password": pw })).await {
        Ok(_) => Redirect::to("/admin/users?done=password").into_response(),
        Err(e) if fixable(&e) => {
            let error = shown(&c, e.code);
            render_shown(&PasswordPage { c, username, error }, error)
        }
        Err(e) => e.into_response(),
    }
}

// --- providers and versions ----------------------------------------------------

pub struct ProviderRow {
    pub code: String,
    pub name: String,
    pub bin: String,
    pub services: String,
}

#[derive(Template)]
#[template(path = "admin_providers.html")]
pub struct ProvidersPage {
    pub c: Ctx,
    pub rows: Vec<ProviderRow>,
}

pub async fn providers(State(state): State<AppState>, c: Ctx) -> Response {
    let v = match get_json(&state, &c, "/admin/providers").await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let catalog = state.catalog();
    let rows = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| ProviderRow {
            code: s(p, "code"),
            name: s(p, "name"),
            bin: s(p, "bin"),
            services: p["services"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .map(|code| {
                    catalog
                        .service(code)
                        .map(|sv| sv.name.get(c.lang).to_owned())
                        .unwrap_or_else(|| code.to_owned())
                })
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    render(&ProvidersPage { c, rows })
}

pub struct VersionRow {
    pub code: String,
    pub act: String,
    pub from: String,
    pub until: String,
    pub in_force: bool,
}

pub struct ServiceRows {
    pub code: String,
    pub name: String,
    pub versions: Vec<VersionRow>,
}

#[derive(Template)]
#[template(path = "admin_versions.html")]
pub struct VersionsPage {
    pub c: Ctx,
    pub services: Vec<ServiceRows>,
    pub notice: Option<&'static str>,
}

fn service_rows(v: &Value) -> Vec<ServiceRows> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|sv| ServiceRows {
            code: s(sv, "service"),
            name: s(sv, "name"),
            versions: sv["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| VersionRow {
                    code: s(x, "code"),
                    act: s(x, "act"),
                    from: s(x, "effective_from"),
                    until: s(x, "effective_until"),
                    in_force: x["in_force"].as_bool().unwrap_or(false),
                })
                .collect(),
        })
        .collect()
}

pub async fn versions(State(state): State<AppState>, c: Ctx, Query(q): Query<Done>) -> Response {
    match get_json(&state, &c, "/admin/versions").await {
        Ok(v) => render(&VersionsPage {
            services: service_rows(&v),
            notice: notice(&c, q.done.as_deref()),
            c,
        }),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct WhichVersion {
    service: Option<String>,
    version: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_version_end.html")]
pub struct EndPage {
    pub c: Ctx,
    pub service: String,
    pub service_name: String,
    pub version: String,
    pub act: String,
    pub until: String,
    pub reason: String,
    pub error: Shown,
}

async fn end_page(
    state: &AppState,
    c: Ctx,
    service: &str,
    version: &str,
    posted: &[(String, String)],
    error: Shown,
) -> Response {
    let v = match get_json(state, &c, "/admin/versions").await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let found = service_rows(&v).into_iter().find_map(|sv| {
        let act = sv.versions.iter().find(|x| x.code == version)?.act.clone();
        (sv.code == service).then_some((sv.name, act))
    });
    let Some((service_name, act)) = found else {
        return ApiError::not_found().into_response();
    };
    let page = EndPage {
        service: service.to_owned(),
        service_name,
        version: version.to_owned(),
        act,
        until: get_field(posted, "effective_until"),
        reason: get_field(posted, "reason"),
        error,
        c,
    };
    render_shown(&page, error)
}

pub async fn end_form(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<WhichVersion>,
) -> Response {
    if let Err(e) = forms_for_admin(&c) {
        return e.into_response();
    }
    let service = q.service.unwrap_or_default();
    let version = q.version.unwrap_or_default();
    end_page(&state, c, &service, &version, &[], None).await
}

pub async fn end_version(State(state): State<AppState>, c: Ctx, Form(f): Fields) -> Response {
    let service = get_field(&f, "service");
    let version = get_field(&f, "version");
    if get_field(&f, "confirm") != "yes" {
        let err = shown(&c, "confirm-required");
        return end_page(&state, c, &service, &version, &f, err).await;
    }
    let Ok(until) = NaiveDate::parse_from_str(&get_field(&f, "effective_until"), "%Y-%m-%d") else {
        let err = shown(&c, "date-invalid");
        return end_page(&state, c, &service, &version, &f, err).await;
    };
    let body = json!({"service": service, "version": version,
        "effective_until": until, "reason": get_field(&f, "reason")});
    match post_json(&state, &c, "/admin/versions/end", body).await {
        Ok(_) => Redirect::to("/admin/versions?done=ended").into_response(),
        Err(e) if fixable(&e) => {
            let err = shown(&c, e.code);
            end_page(&state, c, &service, &version, &f, err).await
        }
        Err(e) => e.into_response(),
    }
}

// --- the calendar ----------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    /// `YYYY-MM`: that month's grid.
    month: Option<String>,
    /// A whole year's unusual days.
    year: Option<i32>,
    /// The first day the edit just recorded touches (offers the recompute).
    from: Option<String>,
}

pub struct DayCell {
    pub day: u32,
    pub date: String,
    pub working: bool,
    pub weekend: bool,
    pub reason: String,
}

pub struct SpecialDay {
    pub date: String,
    pub working: bool,
    pub reason: String,
}

pub struct EditRow {
    pub at: String,
    pub actor: String,
    pub what: String,
    pub source: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
pub struct CalendarPage {
    pub c: Ctx,
    pub month: String,
    pub month_title: String,
    pub prev: String,
    pub next: String,
    /// Weeks of seven cells (`None` outside the month).
    pub weeks: Vec<Vec<Option<DayCell>>>,
    pub year: i32,
    /// The year view: the days that are not an ordinary weekday or weekend.
    pub year_days: Option<Vec<SpecialDay>>,
    pub edits: Vec<EditRow>,
    pub kinds: Vec<Choice>,
    pub posted: HashMap<String, String>,
    pub from: String,
    pub error: Shown,
}

impl CalendarPage {
    /// A posted field, to fill the form again after an error.
    pub fn p(&self, name: &str) -> &str {
        self.posted.get(name).map(String::as_str).unwrap_or("")
    }
}

/// The calendar edits the API takes, with their names' text keys.
const KINDS: [(&str, &str); 5] = [
    ("day-off", "admin.cal.kind.day-off"),
    ("working-day", "admin.cal.kind.working-day"),
    ("correction", "admin.cal.kind.correction"),
    ("kurban-ait", "admin.cal.kind.kurban-ait"),
    ("published-year", "admin.cal.kind.published-year"),
];

const MONTHS: [&str; 12] = [
    "admin.month.1",
    "admin.month.2",
    "admin.month.3",
    "admin.month.4",
    "admin.month.5",
    "admin.month.6",
    "admin.month.7",
    "admin.month.8",
    "admin.month.9",
    "admin.month.10",
    "admin.month.11",
    "admin.month.12",
];

/// Why a day is what it is, in the reader's language (empty for an
/// ordinary weekday or weekend).
fn day_reason(c: &Ctx, d: &Value) -> String {
    let names = |n: &Value| n[c.lang_code()].as_str().unwrap_or_default().to_owned();
    let r = &d["reason"];
    match r["kind"].as_str().unwrap_or_default() {
        "holiday" => names(&r["name"]),
        "moved_day_off" => format!(
            "{} ({})",
            c.t("admin.cal.moved-day-off"),
            names(&r["holiday"])
        ),
        "decree_day_off" => format!("{}: {}", c.t("admin.cal.decree"), s(r, "source")),
        "working_weekend" => format!("{}: {}", c.t("admin.cal.worked"), s(r, "source")),
        "correction" => format!("{}: {}", c.t("admin.cal.correction"), s(r, "source")),
        _ => String::new(),
    }
}

fn month_of(q: Option<&str>, today: NaiveDate) -> NaiveDate {
    q.and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| today.with_day(1).unwrap_or(today))
}

fn edit_text(c: &Ctx, e: &Value) -> (String, String) {
    let edit = &e["edit"];
    let what = match edit["kind"].as_str().unwrap_or_default() {
        "day" => format!(
            "{} — {}",
            s(edit, "date"),
            if edit["working"] == true {
                c.t("admin.cal.working")
            } else {
                c.t("admin.cal.day-off")
            }
        ),
        "kurban_ait" => format!("{} — {}", s(edit, "date"), c.t("admin.cal.kind.kurban-ait")),
        _ => format!(
            "{} {}",
            c.t("admin.cal.kind.published-year"),
            edit["published"]["year"]
        ),
    };
    let source = edit["source"]
        .as_str()
        .or(edit["published"]["source"].as_str())
        .unwrap_or_default()
        .to_owned();
    (what, source)
}

async fn calendar_page(
    state: &AppState,
    c: Ctx,
    q: CalendarQuery,
    posted: &[(String, String)],
    error: Shown,
) -> Response {
    let today = crate::applications::local_date(state.now());
    let first = month_of(q.month.as_deref(), today);
    let next_month = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let prev_month = first
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(first);
    let year = q.year.filter(|y| (2000..=2100).contains(y));
    let (from, to) = match year {
        Some(y) => (
            NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(first),
            NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(first),
        ),
        None => (first, next_month.pred_opt().unwrap_or(first)),
    };
    let v = match get_json(state, &c, &format!("/admin/calendar?from={from}&to={to}")).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let days: Vec<&Value> = v["days"].as_array().into_iter().flatten().collect();
    let mut weeks = Vec::new();
    let mut year_days = None;
    if year.is_some() {
        year_days = Some(
            days.iter()
                .filter(|d| {
                    !matches!(
                        d["reason"]["kind"].as_str(),
                        Some("weekday" | "weekend") | None
                    )
                })
                .map(|d| SpecialDay {
                    date: s(d, "date"),
                    working: d["working"].as_bool().unwrap_or(true),
                    reason: day_reason(&c, d),
                })
                .collect(),
        );
    } else {
        let mut week: Vec<Option<DayCell>> = (0..first.weekday().num_days_from_monday())
            .map(|_| None)
            .collect();
        for d in &days {
            let Ok(date) = NaiveDate::parse_from_str(&s(d, "date"), "%Y-%m-%d") else {
                continue;
            };
            week.push(Some(DayCell {
                day: date.day(),
                date: date.to_string(),
                working: d["working"].as_bool().unwrap_or(true),
                weekend: date.weekday().num_days_from_monday() >= 5,
                reason: day_reason(&c, d),
            }));
            if week.len() == 7 {
                weeks.push(std::mem::take(&mut week));
            }
        }
        if !week.is_empty() {
            week.resize_with(7, || None);
            weeks.push(week);
        }
    }
    let edits = v["edits"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .map(|e| {
            let (what, source) = edit_text(&c, e);
            EditRow {
                at: when(&s(e, "at")),
                actor: s(e, "actor"),
                what,
                source,
                reason: s(e, "reason"),
            }
        })
        .collect();
    let posted: HashMap<String, String> = posted.iter().cloned().collect();
    let kind = posted.get("kind").cloned().unwrap_or_default();
    let page = CalendarPage {
        month: first.format("%Y-%m").to_string(),
        month_title: format!("{} {}", c.t(MONTHS[first.month0() as usize]), first.year()),
        prev: prev_month.format("%Y-%m").to_string(),
        next: next_month.format("%Y-%m").to_string(),
        weeks,
        year: year.unwrap_or(first.year()),
        year_days,
        edits,
        kinds: KINDS
            .iter()
            .map(|(code, key)| Choice {
                code: (*code).to_owned(),
                name: c.t(key).to_owned(),
                selected: kind == *code,
            })
            .collect(),
        posted,
        from: q
            .from
            .filter(|f| NaiveDate::parse_from_str(f, "%Y-%m-%d").is_ok())
            .unwrap_or_default(),
        error,
        c,
    };
    render_shown(&page, error)
}

pub async fn calendar(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<CalendarQuery>,
) -> Response {
    calendar_page(&state, c, q, &[], None).await
}

/// Dates typed one after another (spaces, commas or new lines between).
fn dates(text: &str) -> Result<Vec<NaiveDate>, ()> {
    text.split(|ch: char| ch.is_whitespace() || ch == ',' || ch == ';')
        .filter(|t| !t.is_empty())
        .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| ()))
        .collect()
}

/// The API's calendar edit from the form, or the problem to show.
fn calendar_body(f: &[(String, String)]) -> Result<Value, &'static str> {
    let kind = get_field(f, "kind");
    if !KINDS.iter().any(|(code, _)| *code == kind) {
        return Err("calendar-kind-required");
    }
    let mut body = json!({"kind": kind, "source": get_field(f, "source"),
        "reason": get_field(f, "reason")});
    if kind == "published-year" {
        let year: i32 = get_field(f, "year").parse().map_err(|_| "year-required")?;
        body["year"] = json!(year);
        body["days_off"] = json!(dates(&get_field(f, "days_off")).map_err(|_| "date-invalid")?);
        body["worked"] = json!(dates(&get_field(f, "worked")).map_err(|_| "date-invalid")?);
    } else {
        let date = get_field(f, "date");
        if date.is_empty() {
            return Err("date-required");
        }
        let d = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| "date-invalid")?;
        body["date"] = json!(d);
        if kind == "correction" {
            match get_field(f, "working").as_str() {
                "yes" => body["working"] = json!(true),
                "no" => body["working"] = json!(false),
                _ => return Err("working-required"),
            }
        }
    }
    Ok(body)
}

pub async fn edit_calendar(State(state): State<AppState>, c: Ctx, Form(f): Fields) -> Response {
    let month = get_field(&f, "date")
        .get(..7)
        .unwrap_or_default()
        .to_owned();
    let q = || CalendarQuery {
        month: Some(month.clone()).filter(|m| m.len() == 7),
        ..Default::default()
    };
    let body = match calendar_body(&f) {
        Ok(b) => b,
        Err(code) => {
            let err = shown(&c, code);
            return calendar_page(&state, c, q(), &f, err).await;
        }
    };
    match post_json(&state, &c, "/admin/calendar", body).await {
        Ok(v) => {
            let from = s(&v, "from");
            Redirect::to(&format!(
                "/admin/calendar?month={}&from={from}#recompute",
                from.get(..7).unwrap_or_default()
            ))
            .into_response()
        }
        Err(e) if fixable(&e) => {
            let err = shown(&c, e.code);
            calendar_page(&state, c, q(), &f, err).await
        }
        Err(e) => e.into_response(),
    }
}

pub struct MovedRow {
    pub id: String,
    pub number: String,
    pub what: String,
    pub previous: String,
    pub now: String,
}

#[derive(Template)]
#[template(path = "admin_recompute.html")]
pub struct RecomputePage {
    pub c: Ctx,
    pub from: String,
    pub examined: u64,
    pub changed: u64,
    pub moved: Vec<MovedRow>,
    /// More moved than the list shows.
    pub more: bool,
}

pub async fn recompute(State(state): State<AppState>, c: Ctx, Form(f): Fields) -> Response {
    let from = get_field(&f, "from");
    let body = if from.is_empty() {
        json!({})
    } else {
        match NaiveDate::parse_from_str(&from, "%Y-%m-%d") {
            Ok(d) => json!({ "from": d }),
            Err(_) => {
                let err = shown(&c, "date-invalid");
                return calendar_page(&state, c, CalendarQuery::default(), &f, err).await;
            }
        }
    };
    let v = match post_json(&state, &c, "/admin/calendar/recompute", body).await {
        Ok(v) => v,
        Err(e) if fixable(&e) => {
            let err = shown(&c, e.code);
            return calendar_page(&state, c, CalendarQuery::default(), &f, err).await;
        }
        Err(e) => return e.into_response(),
    };
    let moved = v["moved"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| MovedRow {
            id: s(m, "id"),
            number: s(m, "number"),
            what: match m["step"].as_str() {
                Some(st) => c.t(&format!("step.{st}")).to_owned(),
                None => c.t("admin.recompute.pause-end").to_owned(),
            },
            previous: when(&s(m, "previous")),
            now: when(&s(m, "now")),
        })
        .collect::<Vec<_>>();
    let changed = v["changed"].as_u64().unwrap_or(0);
    render(&RecomputePage {
        from,
        examined: v["examined"].as_u64().unwrap_or(0),
        more: (moved.len() as u64) < changed,
        changed,
        moved,
        c,
    })
}

// --- the outbox and the audit --------------------------------------------------

pub struct DeadRow {
    pub id: i64,
    pub kind: String,
    pub attempts: i64,
    pub error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin_outbox.html")]
pub struct OutboxPage {
    pub c: Ctx,
    pub rows: Vec<DeadRow>,
    pub notice: Option<&'static str>,
}

pub async fn outbox(State(state): State<AppState>, c: Ctx, Query(q): Query<Done>) -> Response {
    let v = match get_json(&state, &c, "/admin/outbox/dead").await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let rows = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|j| DeadRow {
            id: j["id"].as_i64().unwrap_or_default(),
            kind: s(j, "kind"),
            attempts: j["attempts"].as_i64().unwrap_or_default(),
            error: s(j, "last_error"),
            created: when(&s(j, "created_at")),
        })
        .collect();
    render(&OutboxPage {
        rows,
        notice: notice(&c, q.done.as_deref()),
        c,
    })
}

pub async fn retry(State(state): State<AppState>, c: Ctx, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return ApiError::not_found().into_response();
    };
    match post_json(
        &state,
        &c,
        &format!("/admin/outbox/dead/{id}/retry"),
        json!({}),
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/outbox?done=retried").into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct Before {
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    pub c: Ctx,
    pub rows: Vec<AuditRow>,
    /// The next (older) page's `before`, when there may be one.
    pub older: Option<i64>,
}

/// Rows of the audit log a page shows.
const AUDIT_PAGE: usize = 50;

pub async fn audit_log(State(state): State<AppState>, c: Ctx, Query(q): Query<Before>) -> Response {
    let path = match q.before {
        Some(b) => format!("/admin/audit?limit={AUDIT_PAGE}&before={b}"),
        None => format!("/admin/audit?limit={AUDIT_PAGE}"),
    };
    let v = match get_json(&state, &c, &path).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let items = v.as_array().cloned().unwrap_or_default();
    let older = (items.len() == AUDIT_PAGE)
        .then(|| items.last().and_then(|a| a["id"].as_i64()))
        .flatten();
    render(&AuditPage {
        rows: audit_rows(&v),
        older,
        c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn each_kind_of_calendar_edit_becomes_the_apis_body() {
        let body = calendar_body(&form(&[
            ("kind", "correction"),
            ("date", "2026-12-31"),
            ("working", "no"),
            ("source", " Decree 1 "),
        ]))
        .unwrap();
        assert_eq!(
            body,
            json!({"kind": "correction", "date": "2026-12-31", "working": false,
                "source": "Decree 1", "reason": ""})
        );
        let body = calendar_body(&form(&[
            ("kind", "published-year"),
            ("year", "2027"),
            ("days_off", "2027-01-02, 2027-03-23\n2027-05-08"),
            ("worked", ""),
            ("source", "Decree 2"),
        ]))
        .unwrap();
        assert_eq!(
            body["days_off"],
            json!(["2027-01-02", "2027-03-23", "2027-05-08"])
        );
        assert_eq!(body["worked"], json!([]));
        assert_eq!(body["year"], 2027);
        assert!(body.get("date").is_none());
        let kurban = calendar_body(&form(&[
            ("kind", "kurban-ait"),
            ("date", "2027-05-16"),
            ("source", "Decree 3"),
        ]))
        .unwrap();
        assert_eq!(kurban["date"], "2027-05-16");
    }

    #[test]
    fn a_calendar_form_that_cannot_be_an_edit_says_why() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("kind", "holiday")], "calendar-kind-required"),
            (&[("kind", "day-off")], "date-required"),
            (
                &[("kind", "day-off"), ("date", "31.12.2026")],
                "date-invalid",
            ),
            (
                &[("kind", "correction"), ("date", "2026-12-31")],
                "working-required",
            ),
            (
                &[("kind", "published-year"), ("year", "x")],
                "year-required",
            ),
            (
                &[
                    ("kind", "published-year"),
                    ("year", "2027"),
                    ("days_off", "2027-13-01"),
                ],
                "date-invalid",
            ),
        ];
        for (fields, code) in cases {
            assert_eq!(calendar_body(&form(fields)), Err(code), "{fields:?}");
        }
    }
}
