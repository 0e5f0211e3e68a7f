//! The administrator's JSON API (`/api/v1/admin/…`): staff accounts, the
//! providers and regulation versions of the catalog (ending a version), the
//! working-day calendar (edits and the explicit recompute of the open
//! deadlines they touch), the outbox's dead letters, and the audit of all
//! of it. Administrators change; auditors read. Every change is written
//! with its `admin_audit` row in one transaction. Also here: an
//! application's hash chain checked, for auditors.

use crate::applications::{load_case_of, process_of};
use crate::auth::{hash_password, Principal};
use crate::json::{parse_json, require_json};
use crate::lang::ReqLang;
use crate::problem::{ApiError, FieldProblem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use qyzmet_domain::calendar::{Calendar, CalendarData, CalendarEdit, PublishedYear, ZONE};
use qyzmet_domain::case::{self, decide, Command, Event, EventKind, Status};
use qyzmet_domain::catalog::Catalog;
use qyzmet_domain::Role;
use qyzmet_store::{
    AdminAudit, AdminChange, ListFilter, ListOrder, NewAdminAudit, NewCalendarEdit, NewUser,
    StoreError, User, VersionEnd,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

/// The routes, nested under `/api/v1` by the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{username}/disable", post(disable_user))
        .route("/admin/users/{username}/enable", post(enable_user))
        .route("/admin/users/{username}/password", post(reset_password))
        .route("/admin/providers", get(list_providers))
        .route("/admin/versions", get(list_versions))
        .route("/admin/versions/end", post(end_version))
        .route("/admin/calendar", get(calendar).post(edit_calendar))
        .route("/admin/calendar/recompute", post(recompute))
        .route("/admin/outbox/dead", get(dead_letters))
        .route("/admin/outbox/dead/{id}/retry", post(retry_dead))
        .route("/admin/audit", get(audit_log))
        .route("/admin/stats/load", get(load))
        .route("/admin/stats/times", get(times))
        .route("/admin/applications/by-number/{number}", get(by_number))
        .route("/applications/{id}/audit", get(application_audit))
}

fn unprocessable(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code).with_detail(detail)
}

fn field(code: &'static str, path: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    unprocessable(code, message.clone()).with_errors(vec![FieldProblem {
        path: path.to_owned(),
        message,
    }])
}

/// Administrators only.
fn admin(who: &Principal) -> Result<(), ApiError> {
    if who.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "admin-only"))
    }
}

/// Administrators and auditors (who read, never change).
fn reader(who: &Principal) -> Result<(), ApiError> {
    if matches!(who.role, Role::Admin | Role::Auditor) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "admin-only"))
    }
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&ZONE)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn today(state: &AppState) -> NaiveDate {
    state.now().with_timezone(&ZONE).date_naive()
}

/// The start of `date` in Almaty, as an instant.
fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(ZONE).earliest())
        .map(|t| t.to_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

async fn body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    bytes: &Bytes,
) -> Result<T, ApiError> {
    require_json(headers)?;
    parse_json(bytes)
}

fn audit(
    state: &AppState,
    who: &Principal,
    action: &str,
    target: &str,
    data: Value,
) -> NewAdminAudit {
    NewAdminAudit {
        at: state.now(),
        actor: who.username.clone(),
        action: action.to_owned(),
        target: target.to_owned(),
        data,
    }
}

// --- the live calendar and catalog ---------------------------------------

/// The calendar file with every stored edit over it.
pub(crate) fn build_calendar(
    data: &CalendarData,
    stored: &[qyzmet_store::CalendarEdit],
) -> Result<Calendar, ApiError> {
    let mut edits = Vec::with_capacity(stored.len());
    for e in stored {
        edits.push(serde_json::from_value(e.edit.clone()).map_err(|err| {
            tracing::error!(id = e.id, error = %err, "stored calendar edit does not read");
            ApiError::internal()
        })?);
    }
    Calendar::build(data, &edits).map_err(|err| {
        tracing::error!(error = %err, "stored calendar edits do not build");
        ApiError::internal()
    })
}

fn domain_ends(stored: &[VersionEnd]) -> Vec<qyzmet_domain::catalog::VersionEnd> {
    stored
        .iter()
        .map(|v| qyzmet_domain::catalog::VersionEnd {
            service: v.service.clone(),
            version: v.version.clone(),
            effective_until: Some(v.effective_until.with_timezone(&ZONE).date_naive()),
        })
        .collect()
}

/// The catalog files with every stored version end over them.
pub(crate) fn build_catalog(base: &Catalog, stored: &[VersionEnd]) -> Result<Catalog, ApiError> {
    if stored.is_empty() {
        return Ok(base.clone());
    }
    base.with_version_ends(&domain_ends(stored))
        .map_err(|errs| {
            tracing::error!(errors = ?errs, "stored version ends do not apply");
            ApiError::internal()
        })
}

// --- users -----------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    pub role: String,
    pub provider: Option<String>,
    pub display_name: String,
    /// Applicants log in with it; staff usually have none.
    pub iin: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            username: u.username,
            role: u.role,
            provider: u.provider,
            display_name: u.display_name,
            iin: u.iin,
            disabled: u.disabled,
            created_at: fmt_time(u.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

/// Every account, staff and applicants (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, body = UserList), (status = 401, body = crate::problem::Problem),
        (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<UserList>, ApiError> {
    reader(&who)?;
    let users = state.store().users().await?;
    Ok(Json(UserList {
        items: users.into_iter().map(UserView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Lowercase letters, digits, `.`, `_`, `-`; 2 to 64 characters.
    pub username: String,
    /// A staff role: clerk, head, specialist, operator, admin, auditor.
    pub role: String,
    /// The provider's code (catalog); required for clerk, head, specialist.
    pub provider: Option<String>,
    pub display_name: String,
    /// The initial password, at least 10 characters.
    pub password: String,
}

/// One rule for every password, the citizen's and the staff's.
const MIN_PASSWORD: usize = crate::pages::session::MIN_PASSWORD;

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD || password.len() > 1024 {
        return Err(field(
            "password-weak",
            "/password",
            format!("at least {MIN_PASSWORD} characters"),
        ));
    }
    Ok(())
}

fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && u.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
}

/// Create a staff account (admin)
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403, body = crate::problem::Problem),
        (status = 409, description = "The username is taken", body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    admin(&who)?;
    let input: CreateUser = body(&headers, &bytes).await?;
    let username = input.username.trim().to_owned();
    if !valid_username(&username) {
        return Err(field(
            "username-invalid",
            "/username",
            "2 to 64 of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit",
        ));
    }
    let role: Role = input
        .role
        .parse()
        .ok()
        .filter(|r| *r != Role::Applicant)
        .ok_or_else(|| field("role-unknown", "/role", "a staff role"))?;
    let provider = input
        .provider
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    match &provider {
        Some(p) if state.catalog().provider(p).is_none() => {
            return Err(field(
                "user-provider-unknown",
                "/provider",
                format!("no provider `{p}`"),
            ))
        }
        None if matches!(role, Role::Clerk | Role::Head | Role::Specialist) => {
            return Err(field(
                "user-provider-required",
                "/provider",
                format!("a {role} works for a provider"),
            ))
        }
        _ => {}
    }
    let display_name = input.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(field(
            "display-name-invalid",
            "/display_name",
            "1 to 200 characters",
        ));
    }
    check_password(&input.password)?;
    let password = input.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?;
    let user = NewUser {
        username: username.clone(),
        role: role.code().to_owned(),
        provider: provider.clone(),
        password_hash,
        iin: None,
        display_name: display_name.clone(),
        created_at: state.now(),
    };
    let data = json!({"role": role.code(), "provider": provider, "display_name": display_name});
    match state
        .store()
        .admin_change(
            AdminChange::CreateUser(user),
            audit(&state, &who, "user-created", &username, data),
        )
        .await
    {
        Ok(_) => {}
        Err(StoreError::Duplicate(_)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "username-taken"))
        }
        Err(e) => return Err(e.into()),
    }
    let user = state
        .store()
        .user_by_username(&username)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

async fn set_disabled(
    state: &AppState,
    who: &Principal,
    username: &str,
    disabled: bool,
) -> Result<Json<UserView>, ApiError> {
    admin(who)?;
    if disabled && username == who.username {
        return Err(ApiError::new(StatusCode::CONFLICT, "self-disable"));
    }
    let action = if disabled {
        "user-disabled"
    } else {
        "user-enabled"
    };
    state
        .store()
        .admin_change(
            AdminChange::SetUserDisabled {
                username: username.to_owned(),
                disabled,
            },
            audit(state, who, action, username, json!({})),
        )
        .await?;
    let user = state
        .store()
        .user_by_username(username)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(user.into()))
}

/// Disable an account: it can no longer log in, and its tokens stop working
/// (admin). Accounts are never deleted: the history names them.
#[utoipa::path(post, path = "/api/v1/admin/users/{username}/disable", tag = "admin",
    params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem),
        (status = 409, description = "One's own account", body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn disable_user(
    State(state): State<AppState>,
    who: Principal,
    Path(username): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    set_disabled(&state, &who, &username, true).await
}

/// Enable a disabled account again (admin)
#[utoipa::path(post, path = "/api/v1/admin/users/{username}/enable", tag = "admin",
    params(("username" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn enable_user(
    State(state): State<AppState>,
    who: Principal,
    Path(username): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    set_disabled(&state, &who, &username, false).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// At least 10 characters.
    pub password: String,
}

/// Set a new password; the account's tokens stop working (admin)
#[utoipa::path(post, path = "/api/v1/admin/users/{username}/password", tag = "admin",
    params(("username" = String, Path)), request_body = ResetPassword,
    responses((status = 204, description = "Set"), (status = 403, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn reset_password(
    State(state): State<AppState>,
    who: Principal,
    Path(username): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<StatusCode, ApiError> {
    admin(&who)?;
    let input: ResetPassword = body(&headers, &bytes).await?;
    check_password(&input.password)?;
    let password = input.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::internal())?;
    state
        .store()
        .admin_change(
            AdminChange::SetPassword {
                username: username.clone(),
                password_hash,
            },
            // Never the password, nor its hash.
            audit(&state, &who, "password-reset", &username, json!({})),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- providers and versions -------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    pub code: String,
    pub name: String,
    pub bin: Option<String>,
    /// Codes of the services it renders.
    pub services: Vec<String>,
}

/// The providers of the catalog (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/providers", tag = "admin",
    responses((status = 200, body = Vec<ProviderView>), (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn list_providers(
    State(state): State<AppState>,
    who: Principal,
    ReqLang(lang): ReqLang,
) -> Result<Json<Vec<ProviderView>>, ApiError> {
    reader(&who)?;
    let catalog = state.catalog();
    Ok(Json(
        catalog
            .providers()
            .iter()
            .map(|p| ProviderView {
                code: p.code.clone(),
                name: p.name.get(lang).to_owned(),
                bin: p.bin.clone(),
                services: catalog
                    .services()
                    .iter()
                    .filter(|s| s.providers.contains(&p.code))
                    .map(|s| s.code.clone())
                    .collect(),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub code: String,
    pub act: String,
    pub effective_from: NaiveDate,
    /// The first day it no longer applies, when an administrator ended it.
    pub effective_until: Option<NaiveDate>,
    /// Whether it is the version new applications get today.
    pub in_force: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceVersions {
    pub service: String,
    pub name: String,
    pub versions: Vec<VersionView>,
}

/// Every service's regulation versions, with the one in force (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/versions", tag = "admin",
    responses((status = 200, body = Vec<ServiceVersions>), (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn list_versions(
    State(state): State<AppState>,
    who: Principal,
    ReqLang(lang): ReqLang,
) -> Result<Json<Vec<ServiceVersions>>, ApiError> {
    reader(&who)?;
    let catalog = state.catalog();
    let today = today(&state);
    Ok(Json(
        catalog
            .services()
            .iter()
            .map(|s| {
                let current = catalog.version_at(&s.code, today).map(|v| v.code.clone());
                ServiceVersions {
                    service: s.code.clone(),
                    name: s.name.get(lang).to_owned(),
                    versions: s
                        .versions
                        .iter()
                        .map(|v| VersionView {
                            code: v.code.clone(),
                            act: v.act.clone(),
                            effective_from: v.effective_from,
                            effective_until: v.effective_until,
                            in_force: current.as_deref() == Some(v.code.as_str()),
                        })
                        .collect(),
                }
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndVersion {
    pub service: String,
    pub version: String,
    /// The first day (Almaty) the version no longer applies.
    pub effective_until: NaiveDate,
    /// The act or decision that ended it.
    pub reason: String,
}

/// End a regulation version at a date (admin). Applications already pinned
/// to it keep it; new ones get none (or the next version) from that day.
#[utoipa::path(post, path = "/api/v1/admin/versions/end", tag = "admin",
    request_body = EndVersion,
    responses((status = 200, body = Vec<ServiceVersions>), (status = 403, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn end_version(
    State(state): State<AppState>,
    who: Principal,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Vec<ServiceVersions>>, ApiError> {
    admin(&who)?;
    let input: EndVersion = body(&headers, &bytes).await?;
    let reason = input.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(field(
            "reason-required",
            "/reason",
            "name the act or decision",
        ));
    }
    let end = VersionEnd {
        service: input.service.clone(),
        version: input.version.clone(),
        effective_until: start_of(input.effective_until),
        at: state.now(),
        actor: who.username.clone(),
    };
    // Checked against the files with every end so far and this one.
    let mut ends = state.store().version_ends().await?;
    ends.push(end.clone());
    if let Err(errs) = state.base_catalog().with_version_ends(&domain_ends(&ends)) {
        let unknown = errs.iter().any(|e| {
            matches!(
                e,
                qyzmet_domain::catalog::VersionEndError::UnknownVersion { .. }
            )
        });
        let detail = errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(if unknown {
            field("version-unknown", "/version", detail)
        } else {
            field("version-end-invalid", "/effective_until", detail)
        });
    }
    let target = format!("{}/{}", input.service, input.version);
    state
        .store()
        .admin_change(
            AdminChange::VersionEnd(end),
            audit(
                &state,
                &who,
                "version-ended",
                &target,
                json!({"effective_until": input.effective_until.to_string(), "reason": reason}),
            ),
        )
        .await?;
    state.reload_admin_data().await?;
    list_versions(State(state), who, ReqLang(lang)).await
}

// --- the calendar ------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// First day shown (default: today).
    pub from: Option<NaiveDate>,
    /// Last day shown (default: 30 days after `from`; at most 366 days).
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// As the calendar layer keeps it (`kind` = `day`, `kurban_ait`,
    /// `published_year`).
    #[schema(value_type = Object)]
    pub edit: Value,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    /// Every stored edit, in the order made (later ones win).
    pub edits: Vec<EditView>,
    /// The live calendar's days asked for: `{date, working, reason}`.
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<Value>,
}

fn day_views(cal: &Calendar, dates: impl IntoIterator<Item = NaiveDate>) -> Vec<Value> {
    dates
        .into_iter()
        .filter_map(|d| cal.day(d).ok())
        .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
        .collect()
}

/// The calendar's edits and the live calendar's days (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/calendar", tag = "admin", params(DaysQuery),
    responses((status = 200, body = CalendarView), (status = 400, body = crate::problem::Problem),
        (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn calendar(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<DaysQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CalendarView>, ApiError> {
    reader(&who)?;
    let Query(q) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "query-invalid").with_detail(e.body_text())
    })?;
    let from = q.from.unwrap_or_else(|| today(&state));
    let to = q.to.unwrap_or(from + Duration::days(30));
    if to < from || (to - from).num_days() > 366 {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "query-invalid")
            .with_detail("`to` on or after `from`, at most 366 days on"));
    }
    let edits = state.store().calendar_edits().await?;
    let cal = state.calendar();
    Ok(Json(CalendarView {
        edits: edits
            .into_iter()
            .map(|e| EditView {
                id: e.id,
                at: fmt_time(e.at),
                actor: e.actor,
                edit: e.edit,
                reason: e.reason,
            })
            .collect(),
        days: day_views(&cal, from.iter_days().take_while(|d| *d <= to)),
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EditKind {
    /// A weekday made a day off (a holiday, a moved day off).
    DayOff,
    /// A weekend day made a working day (a moved working day).
    WorkingDay,
    /// Any date set either way over everything else (`working` says which).
    Correction,
    /// The first day of Kurban Ait of its year.
    KurbanAit,
    /// A whole year's published days off and worked weekend days.
    PublishedYear,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarEditInput {
    pub kind: EditKind,
    /// The date (all kinds but `published-year`).
    pub date: Option<NaiveDate>,
    /// For a `correction`: whether the date is a working day.
    pub working: Option<bool>,
    /// For a `published-year`.
    pub year: Option<i32>,
    #[serde(default)]
    pub days_off: Vec<NaiveDate>,
    #[serde(default)]
    pub worked: Vec<NaiveDate>,
    /// The act that decided it (decree, order, with its date).
    pub source: String,
    /// Why it is recorded now (optional note).
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarEdited {
    pub id: i64,
    #[schema(value_type = Object)]
    pub edit: Value,
    /// The earliest date the edit touches: pass it to the recompute.
    pub from: NaiveDate,
    /// The rebuilt calendar's view of the days it touches.
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<Value>,
}

fn to_edit(
    input: CalendarEditInput,
    recorded: NaiveDate,
) -> Result<(CalendarEdit, Vec<NaiveDate>), ApiError> {
    let source = input.source.trim().to_owned();
    if source.is_empty() {
        return Err(field(
            "source-required",
            "/source",
            "name the act that decided it",
        ));
    }
    let date = || {
        input
            .date
            .ok_or_else(|| field("date-required", "/date", "give the date"))
    };
    let weekend = |d: NaiveDate| {
        use chrono::Datelike;
        matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
    };
    Ok(match input.kind {
        EditKind::DayOff | EditKind::WorkingDay | EditKind::Correction => {
            let d = date()?;
            let working = match input.kind {
                EditKind::DayOff if weekend(d) => {
                    return Err(field(
                        "date-invalid",
                        "/date",
                        "a Saturday or Sunday is a day off already",
                    ))
                }
                EditKind::WorkingDay if !weekend(d) => {
                    return Err(field(
                        "date-invalid",
                        "/date",
                        "a moved working day is a Saturday or Sunday",
                    ))
                }
                EditKind::DayOff => false,
                EditKind::WorkingDay => true,
                _ => input.working.ok_or_else(|| {
                    field(
                        "working-required",
                        "/working",
                        "say whether it is a working day",
                    )
                })?,
            };
            (
                CalendarEdit::Day {
                    date: d,
                    working,
                    source,
                    recorded,
                },
                vec![d],
            )
        }
        EditKind::KurbanAit => {
            let d = date()?;
            (
                CalendarEdit::KurbanAit {
                    date: d,
                    source,
                    recorded,
                },
                vec![d],
            )
        }
        EditKind::PublishedYear => {
            let year = input
                .year
                .ok_or_else(|| field("year-required", "/year", "give the year"))?;
            let mut touched: Vec<NaiveDate> = input
                .days_off
                .iter()
                .chain(&input.worked)
                .copied()
                .collect();
            touched.sort();
            touched.dedup();
            if touched.is_empty() {
                // A year with no moves still replaces the file's lists:
                // it touches the whole year.
                touched.extend(NaiveDate::from_ymd_opt(year, 1, 1));
            }
            (
                CalendarEdit::PublishedYear {
                    published: PublishedYear {
                        year,
                        days_off: input.days_off,
                        worked: input.worked,
                        source,
                    },
                    recorded,
                },
                touched,
            )
        }
    })
}

/// Record a calendar edit: a day off, a moved working day, a correction, a
/// Kurban Ait date, a published year (admin). Deadlines already running keep
/// theirs until the recompute is asked for.
#[utoipa::path(post, path = "/api/v1/admin/calendar", tag = "admin",
    request_body = CalendarEditInput,
    responses((status = 201, body = CalendarEdited), (status = 403, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem),
        (status = 503, description = "No calendar file to build on", body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn edit_calendar(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<(StatusCode, Json<CalendarEdited>), ApiError> {
    admin(&who)?;
    let input: CalendarEditInput = body(&headers, &bytes).await?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let (edit, touched) = to_edit(input, today(&state))?;
    let data = state
        .calendar_source()
        .ok_or_else(|| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "calendar-not-editable"))?
        .clone();
    // The calendar the edit would give: checked before anything is stored.
    let stored = state.store().calendar_edits().await?;
    let mut edits: Vec<CalendarEdit> = Vec::new();
    for e in &stored {
        edits.push(serde_json::from_value(e.edit.clone()).map_err(|_| ApiError::internal())?);
    }
    edits.push(edit.clone());
    let rebuilt = Calendar::build(&data, &edits)
        .map_err(|e| unprocessable("calendar-edit-invalid", e.to_string()))?;
    for d in &touched {
        rebuilt
            .day(*d)
            .map_err(|e| field("date-invalid", "/date", e.to_string()))?;
    }
    let value = serde_json::to_value(&edit).map_err(|_| ApiError::internal())?;
    let from = touched[0];
    let applied = state
        .store()
        .admin_change(
            AdminChange::CalendarEdit(NewCalendarEdit {
                at: state.now(),
                actor: who.username.clone(),
                edit: value.clone(),
                reason: reason.clone(),
            }),
            audit(
                &state,
                &who,
                "calendar-edited",
                &from.to_string(),
                json!({"edit": value, "reason": reason}),
            ),
        )
        .await?;
    state.reload_admin_data().await?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarEdited {
            id: applied.calendar_edit_id.unwrap_or_default(),
            edit: value,
            from,
            days: day_views(&state.calendar(), touched),
        }),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecomputeInput {
    /// Only applications whose deadline (or pause end) falls on or after
    /// this day; all open ones when absent.
    pub from: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recomputed {
    /// Open applications looked at.
    pub examined: u64,
    /// Those whose deadline or pause end moved.
    pub changed: u64,
    /// What moved, earliest deadline first; at most [`MOVED_SHOWN`] of
    /// them (`changed` counts them all).
    pub moved: Vec<Moved>,
}

/// One application's deadline (or pause end) as the recompute moved it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Moved {
    pub id: String,
    pub number: String,
    /// The open step whose deadline moved; absent for a pause's end.
    pub step: Option<String>,
    /// `deadline` or `pause-end`.
    pub what: String,
    pub previous: String,
    pub now: String,
}

/// How many moved applications the recompute's answer lists.
pub const MOVED_SHOWN: usize = 500;

/// Pages of open applications the recompute walks at a time.
const RECOMPUTE_PAGE: u32 = 200;

/// Recompute the open deadlines with the live calendar (admin): each open
/// application's step deadline counted again from its start (or its resume),
/// and each pause's own end. Moved ones get a `deadline-recomputed` or
/// `pause-recomputed` event by the administrator.
#[utoipa::path(post, path = "/api/v1/admin/calendar/recompute", tag = "admin",
    request_body = RecomputeInput,
    responses((status = 200, body = Recomputed), (status = 403, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn recompute(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Recomputed>, ApiError> {
    admin(&who)?;
    let input: RecomputeInput = if bytes.is_empty() {
        RecomputeInput::default()
    } else {
        body(&headers, &bytes).await?
    };
    // Another node's edit may not have reached this one's pass yet.
    state.reload_admin_data().await?;
    let since = input.from.map(start_of);
    let filter = ListFilter {
        statuses: vec!["in-progress".into(), "paused".into()],
        order: ListOrder::Due,
        ..Default::default()
    };
    let mut out = Recomputed {
        examined: 0,
        changed: 0,
        moved: Vec::new(),
    };
    let mut cursor: Option<String> = None;
    loop {
        let page = state
            .store()
            .list_applications(&filter, RECOMPUTE_PAGE, cursor.as_deref())
            .await?;
        for app in &page.items {
            if since.is_some_and(|s| app.row.due_at.is_some_and(|due| due < s)) {
                continue;
            }
            out.examined += 1;
            let moved = recompute_one(&state, &who, &app.id).await?;
            if !moved.is_empty() {
                out.changed += 1;
            }
            for m in moved {
                if out.moved.len() < MOVED_SHOWN {
                    out.moved.push(m);
                }
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    state
        .store()
        .admin_change(
            AdminChange::AuditOnly,
            audit(
                &state,
                &who,
                "deadlines-recomputed",
                &input.from.map_or("all".to_owned(), |d| d.to_string()),
                json!({"examined": out.examined, "changed": out.changed}),
            ),
        )
        .await?;
    Ok(Json(out))
}

/// The case as its events give it: the stored state of an application
/// resumed before the resume basis was kept lacks it, the events never do.
async fn folded(state: &AppState, id: &str) -> Result<case::Case, ApiError> {
    let chain = state.store().events(id).await?;
    let mut events = Vec::with_capacity(chain.len());
    for e in chain {
        let at = DateTime::parse_from_rfc3339(&e.at)
            .map_err(|_| ApiError::internal())?
            .to_utc();
        let v = json!({"type": e.kind, "data": e.data, "at": qyzmet_domain::audit::format_at(at), "actor": e.actor});
        events.push(serde_json::from_value::<Event>(v).map_err(|err| {
            tracing::error!(id, error = %err, "stored event does not read");
            ApiError::internal()
        })?);
    }
    case::try_fold(&events)
        .map_err(|err| {
            tracing::error!(id, error = %err, "stored events do not fold");
            ApiError::internal()
        })?
        .ok_or_else(ApiError::internal)
}

/// What the recompute's events moved in one application.
fn moved_by(app: &qyzmet_store::Application, events: &[Event]) -> Vec<Moved> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::DeadlineRecomputed {
                step,
                due_at,
                previous_due_at,
                ..
            } => Some(Moved {
                id: app.id.clone(),
                number: app.number.clone(),
                step: Some(step.code().to_owned()),
                what: "deadline".into(),
                previous: fmt_time(*previous_due_at),
                now: fmt_time(*due_at),
            }),
            EventKind::PauseRecomputed {
                until,
                previous_until,
            } => Some(Moved {
                id: app.id.clone(),
                number: app.number.clone(),
                step: None,
                what: "pause-end".into(),
                previous: fmt_time(*previous_until),
                now: fmt_time(*until),
            }),
            _ => None,
        })
        .collect()
}

/// One application; what of its deadline or pause end moved. A change by
/// someone else meanwhile is retried on the new state.
async fn recompute_one(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<Vec<Moved>, ApiError> {
    for _ in 0..3 {
        let app = state.store().get(id).await?;
        let stored = load_case_of(&app)?;
        if !matches!(stored.status, Status::InProgress | Status::Paused) {
            return Ok(Vec::new());
        }
        let case = folded(state, id).await?;
        let process = process_of(state, &case)?;
        let calendar = state.calendar();
        let events = match decide(
            Some(&case),
            &process,
            &*calendar,
            &who.actor(),
            Command::Recompute,
            state.now(),
        ) {
            Ok(events) => events,
            // Closed meanwhile: nothing to recompute.
            Err(case::CommandError::Conflict { .. }) => return Ok(Vec::new()),
            Err(e) => {
                tracing::error!(id, error = %e, "recompute refused");
                return Err(ApiError::internal());
            }
        };
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let moved = moved_by(&app, &events);
        if crate::applications::append_at_rev(state, &app, case, &events).await? {
            return Ok(moved);
        }
    }
    tracing::warn!(id, "recompute could not catch up with a busy application");
    Err(ApiError::new(StatusCode::CONFLICT, "recompute-busy")
        .with_detail(format!("application {id} kept changing; ask again")))
}

// --- the outbox ----------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetter {
    pub id: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// The outbox's dead letters: jobs that failed for good (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/outbox/dead", tag = "admin",
    responses((status = 200, body = Vec<DeadLetter>), (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn dead_letters(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<DeadLetter>>, ApiError> {
    reader(&who)?;
    let jobs = state.store().dead_letters().await?;
    Ok(Json(
        jobs.into_iter()
            .map(|j| DeadLetter {
                id: j.id,
                kind: j.kind,
                payload: j.payload,
                attempts: j.attempts,
                last_error: j.last_error,
                created_at: fmt_time(j.created_at),
            })
            .collect(),
    ))
}

/// Give a dead letter a fresh set of attempts, due now (admin)
#[utoipa::path(post, path = "/api/v1/admin/outbox/dead/{id}/retry", tag = "admin",
    params(("id" = i64, Path)),
    responses((status = 204, description = "Queued again"), (status = 403, body = crate::problem::Problem),
        (status = 404, description = "No such dead letter", body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn retry_dead(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin(&who)?;
    let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
    let job = state.store().job(id).await?;
    state
        .store()
        .admin_change(
            AdminChange::RetryDead {
                id,
                now: state.now(),
            },
            audit(
                &state,
                &who,
                "job-retried",
                &id.to_string(),
                json!({"kind": job.kind, "attempts": job.attempts}),
            ),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- monitoring ------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoadQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoadRow {
    pub provider: String,
    pub service: String,
    pub step: String,
    /// Open applications (in progress or paused) at this step.
    pub open: i64,
    /// Of those, how many are past the step's deadline.
    pub overdue: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Load {
    pub rows: Vec<LoadRow>,
    pub open: i64,
    pub overdue: i64,
}

/// A CSV field, quoted when it must be (RFC 4180).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A CSV download: the header line, then the rows, CRLF-terminated, as
/// `text/csv; charset=utf-8` named `filename`.
pub(crate) fn csv_response(
    filename: &str,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    (csv_headers(filename), out).into_response()
}

/// The headers of a CSV download named `filename`.
pub(crate) fn csv_headers(filename: &str) -> [(axum::http::HeaderName, String); 2] {
    [
        (
            axum::http::header::CONTENT_TYPE,
            "text/csv; charset=utf-8".to_owned(),
        ),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ),
    ]
}

/// `?format=`: whether CSV was asked for.
fn wants_csv(format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(ApiError::new(StatusCode::BAD_REQUEST, "query-invalid")
            .with_detail("`format` is `json` or `csv`")),
    }
}

/// Who may see the statistics, and of which provider (administrators and
/// auditors all, a head their own provider's), and the query read.
fn stats_query<T>(
    who: &Principal,
    query: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<(Option<String>, T), ApiError> {
    let only = match who.role {
        Role::Admin | Role::Auditor => None,
        Role::Head => Some(who.provider.clone().unwrap_or_default()),
        _ => return Err(ApiError::new(StatusCode::FORBIDDEN, "admin-only")),
    };
    let Query(q) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "query-invalid").with_detail(e.body_text())
    })?;
    Ok((only, q))
}

/// The load per provider, service and step, with the overdue among it
/// (admin, auditor; a head sees their own provider's), as JSON or CSV
#[utoipa::path(get, path = "/api/v1/admin/stats/load", tag = "admin", params(LoadQuery),
    responses((status = 200, body = Load, content_type = "application/json"),
        (status = 200, description = "`?format=csv`", body = String, content_type = "text/csv"),
        (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn load(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<LoadQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let (only, q) = stats_query(&who, query)?;
    let csv = wants_csv(q.format.as_deref())?;
    let rows: Vec<LoadRow> = state
        .store()
        .step_load()
        .await?
        .into_iter()
        .filter(|r| only.as_ref().is_none_or(|p| *p == r.provider))
        .map(|r| LoadRow {
            provider: r.provider,
            service: r.service,
            step: r.step,
            open: r.open,
            overdue: r.overdue,
        })
        .collect();
    if csv {
        return Ok(csv_response(
            "load.csv",
            &["provider", "service", "step", "open", "overdue"],
            rows.iter().map(|r| {
                vec![
                    r.provider.clone(),
                    r.service.clone(),
                    r.step.clone(),
                    r.open.to_string(),
                    r.overdue.to_string(),
                ]
            }),
        ));
    }
    Ok(Json(Load {
        open: rows.iter().map(|r| r.open).sum(),
        overdue: rows.iter().map(|r| r.overdue).sum(),
        rows,
    })
    .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimesQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Only this service's steps.
    pub service: Option<String>,
    /// Only passages completed on or after this day (`YYYY-MM-DD`, from
    /// the start of the day, Almaty time); default: 90 days before today.
    /// The report reads only the applications changed since then, so a
    /// shorter period answers faster on a large database.
    pub since: Option<String>,
}

/// The time one step took, over every completed passage through it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepTimeRow {
    pub provider: String,
    pub service: String,
    pub step: String,
    /// The step's time limit in the regulation version the passages were
    /// handled under: `{"working_days": 3}`, `{"minutes": 15}`, …
    #[schema(value_type = Object)]
    pub limit: Value,
    /// Passages through the step that ended by being done (returned and
    /// withdrawn ones are not counted).
    pub completed: u64,
    /// Of those, how many were done by their deadline.
    pub on_time: u64,
    /// Median and 90th percentile (nearest rank) of the time taken, start
    /// of the step's clock to its completion, in minutes.
    pub median_minutes: i64,
    pub p90_minutes: i64,
    /// Median time the calendar allowed (start to deadline), in minutes.
    pub allowed_median_minutes: i64,
    /// Median and 90th percentile of the share of its own allowed time
    /// each passage used, in percent (over 100: late).
    pub median_used_percent: i64,
    pub p90_used_percent: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepTimes {
    pub rows: Vec<StepTimeRow>,
    /// Completed passages counted, over all rows.
    pub completed: u64,
    /// The first day counted (`YYYY-MM-DD`).
    pub since: String,
}

/// The days a time report covers when the query names none.
pub const TIMES_DEFAULT_DAYS: i64 = 90;

/// The day `since` names, or the day [`TIMES_DEFAULT_DAYS`] before today.
fn times_since(state: &AppState, since: Option<&str>) -> Result<NaiveDate, ApiError> {
    match since.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "query-invalid")
                .with_detail("`since` is a date, YYYY-MM-DD")
        }),
        None => Ok(today(state) - chrono::Duration::days(TIMES_DEFAULT_DAYS)),
    }
}

/// The `p`th percentile of sorted values, by nearest rank.
fn percentile(sorted: &[i64], p: u32) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1);
    sorted[(rank as usize - 1).min(sorted.len() - 1)]
}

/// One passage through a step that ended by being done.
struct Passage<'a> {
    step: &'a str,
    started: DateTime<Utc>,
    due: DateTime<Utc>,
    completed: DateTime<Utc>,
}

/// The completed passages of a stored case, read straight from its state's
/// `steps` (the whole case is not needed, and the report reads them all).
fn passages(state: &Value) -> impl Iterator<Item = Passage<'_>> {
    let at = |v: &Value| {
        v.as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
    };
    state["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rec| rec["end"] == "completed")
        .filter_map(move |rec| {
            Some(Passage {
                step: rec["code"].as_str()?,
                started: at(&rec["started_at"])?,
                due: at(&rec["due_at"])?,
                completed: at(&rec["completed_at"])?,
            })
        })
}

/// Applications the time report reads at a time.
const TIMES_PAGE: u32 = 1000;

#[derive(Default)]
struct Passages {
    taken: Vec<i64>,
    allowed: Vec<i64>,
    used: Vec<i64>,
    on_time: u64,
}

/// The time each step took against its limit (admin, auditor; a head sees
/// their own provider's), as JSON or CSV. Reads every application's steps:
/// a report, not a live gauge.
#[utoipa::path(get, path = "/api/v1/admin/stats/times", tag = "admin", params(TimesQuery),
    responses((status = 200, body = StepTimes, content_type = "application/json"),
        (status = 200, description = "`?format=csv`", body = String, content_type = "text/csv"),
        (status = 400, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn times(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<TimesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let (only, q) = stats_query(&who, query)?;
    let csv = wants_csv(q.format.as_deref())?;
    let since_day = times_since(&state, q.since.as_deref())?;
    let since = start_of(since_day);
    // A passage completed since then changed its application since then.
    let filter = ListFilter {
        provider: only,
        service: q.service.filter(|s| !s.is_empty()),
        updated_since: Some(since),
        ..Default::default()
    };
    let catalog = state.catalog();
    let mut groups: std::collections::BTreeMap<(String, String, String, String), Passages> =
        Default::default();
    let mut cursor: Option<String> = None;
    loop {
        let page = state
            .store()
            .list_applications(&filter, TIMES_PAGE, cursor.as_deref())
            .await?;
        for app in &page.items {
            let row = &app.row;
            let version = catalog.version(&row.service, &row.version);
            let state: Value = row.state.parse().unwrap_or_else(|e| {
                tracing::error!(id = %app.id, error = %e, "stored state is not JSON");
                Value::Null
            });
            for p in passages(&state).filter(|p| p.completed >= since) {
                let limit = version
                    .and_then(|v| v.steps.iter().find(|s| s.code.code() == p.step))
                    .map(|s| format!("{{\"{}\":{}}}", s.limit.unit_key(), s.limit.amount()))
                    .unwrap_or_else(|| "null".to_owned());
                let key = (
                    row.provider.clone(),
                    row.service.clone(),
                    p.step.to_owned(),
                    limit,
                );
                let g = groups.entry(key).or_default();
                let taken = (p.completed - p.started).num_seconds().max(0);
                let allowed = (p.due - p.started).num_seconds().max(1);
                g.taken.push(taken / 60);
                g.allowed.push(allowed / 60);
                g.used.push((taken * 100 + allowed / 2) / allowed);
                if p.completed <= p.due {
                    g.on_time += 1;
                }
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let rows: Vec<StepTimeRow> = groups
        .into_iter()
        .map(|((provider, service, step, limit), mut g)| {
            g.taken.sort_unstable();
            g.allowed.sort_unstable();
            g.used.sort_unstable();
            StepTimeRow {
                provider,
                service,
                step,
                limit: serde_json::from_str(&limit).unwrap_or(Value::Null),
                completed: g.taken.len() as u64,
                on_time: g.on_time,
                median_minutes: percentile(&g.taken, 50),
                p90_minutes: percentile(&g.taken, 90),
                allowed_median_minutes: percentile(&g.allowed, 50),
                median_used_percent: percentile(&g.used, 50),
                p90_used_percent: percentile(&g.used, 90),
            }
        })
        .collect();
    if csv {
        return Ok(csv_response(
            "times.csv",
            &[
                "provider",
                "service",
                "step",
                "limit",
                "completed",
                "on_time",
                "median_minutes",
                "p90_minutes",
                "allowed_median_minutes",
                "median_used_percent",
                "p90_used_percent",
            ],
            rows.iter().map(|r| {
                vec![
                    r.provider.clone(),
                    r.service.clone(),
                    r.step.clone(),
                    r.limit.to_string(),
                    r.completed.to_string(),
                    r.on_time.to_string(),
                    r.median_minutes.to_string(),
                    r.p90_minutes.to_string(),
                    r.allowed_median_minutes.to_string(),
                    r.median_used_percent.to_string(),
                    r.p90_used_percent.to_string(),
                ]
            }),
        ));
    }
    Ok(Json(StepTimes {
        completed: rows.iter().map(|r| r.completed).sum(),
        rows,
        since: since_day.to_string(),
    })
    .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Found {
    pub id: String,
    pub number: String,
}

/// An application found by its registration number (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/applications/by-number/{number}", tag = "admin",
    params(("number" = String, Path)),
    responses((status = 200, body = Found), (status = 403, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn by_number(
    State(state): State<AppState>,
    who: Principal,
    Path(number): Path<String>,
) -> Result<Json<Found>, ApiError> {
    reader(&who)?;
    let app = state.store().get_by_number(number.trim()).await?;
    Ok(Json(Found {
        id: app.id,
        number: app.number,
    }))
}

// --- the audit -------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Rows with ids below this one (the next page).
    pub before: Option<i64>,
    /// 1 to 500; 100 by default.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<AdminAudit> for AuditEntry {
    fn from(a: AdminAudit) -> Self {
        AuditEntry {
            id: a.id,
            at: fmt_time(a.at),
            actor: a.actor,
            action: a.action,
            target: a.target,
            data: a.data,
        }
    }
}

/// What administrators changed, newest first (admin, auditor)
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    reader(&who)?;
    let Query(q) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "query-invalid").with_detail(e.body_text())
    })?;
    let rows = state
        .store()
        .admin_audit(q.limit.unwrap_or(100), q.before)
        .await?;
    Ok(Json(rows.into_iter().map(AuditEntry::from).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainCheck {
    /// Every link of the chain holds.
    pub intact: bool,
    pub events: u64,
    /// The first event whose link does not hold, and why.
    pub first_broken: Option<BrokenLink>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenLink {
    pub seq: i64,
    pub why: String,
}

/// An application's hash chain, checked (auditor, admin)
#[utoipa::path(get, path = "/api/v1/applications/{id}/audit", tag = "admin",
    params(("id" = String, Path)),
    responses((status = 200, body = ChainCheck), (status = 403, body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn application_audit(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChainCheck>, ApiError> {
    reader(&who)?;
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::not_found());
    }
    state.store().get(&id).await?;
    let chain = state.store().events(&id).await?;
    let broken = qyzmet_domain::audit::verify(&chain).err();
    Ok(Json(ChainCheck {
        intact: broken.is_none(),
        events: chain.len() as u64,
        first_broken: broken.map(|b| BrokenLink {
            seq: b.seq,
            why: b.why.to_string(),
        }),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn csv_quotes_what_must_be_quoted() {
        let res = csv_response(
            "x.csv",
            &["a", "b"],
            [
                vec!["plain".to_owned(), "with, comma".to_owned()],
                vec!["say \"hi\"".to_owned(), "two\nlines".to_owned()],
            ],
        );
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            res.headers()["content-disposition"],
            "attachment; filename=\"x.csv\""
        );
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        assert_eq!(
            body,
            "a,b\r\nplain,\"with, comma\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(percentile(&v, 50), 5);
        assert_eq!(percentile(&v, 90), 9);
        assert_eq!(percentile(&[7], 90), 7);
        assert_eq!(percentile(&[], 50), 0);
        assert_eq!(percentile(&[5, 20], 50), 5);
        assert_eq!(percentile(&[5, 20], 90), 20);
    }
}
