//! Applications over HTTP (contract.md): intake, reading, listing, actions
//! with If-Match, and the event history. Each handler checks its input at
//! the edge, asks the pure engine for events, and hands the store one change
//! to write in one transaction.

use crate::auth::Principal;
use crate::json::{parse_json, require_json};
use crate::problem::{ApiError, FieldProblem};
use crate::view::{self, ApplicationView};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use qyzmet_domain::case::{
    self, decide, Case, Command, CommandError, Event, Intake, PowerOfAttorney, Process,
    Representative, Status,
};
use qyzmet_domain::catalog::Lang;
use qyzmet_domain::{Channel, Iin, Role};
use qyzmet_store::{
    Application, ApplicationRow, ChainHead, Change, IdempotencyRecord, ListFilter, ListOrder,
    NewApplication, NewAttachment, NewEvent, StateJson, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

/// The largest electronic copy of one document.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// A power of attorney's number is 1 to this many characters.
pub const MAX_POA_NUMBER: usize = 100;
/// The largest request body (documents travel base64-encoded inside it).
pub const MAX_BODY_BYTES: usize = 48 * 1024 * 1024;

/// `form-invalid`, each problem at its pointer under `/form`.
pub(crate) fn form_invalid(
    detail: &str,
    errors: Vec<qyzmet_domain::catalog::FormError>,
) -> ApiError {
    unprocessable("form-invalid", detail).with_errors(
        errors
            .into_iter()
            .map(|e| FieldProblem {
                path: format!("/form{}", e.path),
                message: e.message,
            })
            .collect(),
    )
}

fn unprocessable(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code).with_detail(detail)
}

// ---------------------------------------------------------------- input

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApplication {
    /// Service code (`GET /api/v1/services`).
    pub service: String,
    /// `office`, `state-corporation` or `portal`.
    pub channel: String,
    /// Provider code; defaults to the only provider of the service.
    pub provider: Option<String>,
    pub applicant: ApplicantInput,
    pub representative: Option<RepresentativeInput>,
    /// The service's form (its JSON Schema is in `GET /api/v1/services`).
    #[schema(value_type = Object)]
    pub form: Value,
    #[serde(default)]
    pub documents: Vec<DocumentInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    pub iin: String,
    pub name: Option<String>,
    /// `kk`, `ru` or `en`: the language of the applicant's documents.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeInput {
    pub iin: String,
    pub power_of_attorney: PowerOfAttorneyInput,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerOfAttorneyInput {
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    /// Document kind code of the service's version.
    pub kind: String,
    pub name: String,
    /// Base64 of the electronic copy; may be absent at the office and the
    /// State Corporation, where the paper original is presented.
    pub content: Option<String>,
}

/// `POST /api/v1/applications/{id}/actions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// `complete`, `refuse`, `return`, `pause`, `resume`, `withdraw`.
    pub action: String,
    /// At `resolution`: the responsible specialist's username.
    pub assignee: Option<String>,
    /// `refuse`: refusal ground codes of the service's version.
    pub grounds: Option<Vec<String>>,
    /// `refuse`: the motivation.
    pub reason: Option<String>,
    /// `return` (required), `pause` (optional).
    pub comment: Option<String>,
}

/// People's actions; `intake`, `submit`, `tick` and `mark-overdue` come
/// through their own doors (intake, signature, the deadline worker).
const PEOPLE_ACTIONS: &[&str] = &[
    "complete", "refuse", "return", "pause", "resume", "withdraw",
];

// ---------------------------------------------------------------- helpers

/// The local date today: which regulation version is in force.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    today(now)
}

fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&qyzmet_domain::calendar::ZONE)
        .date_naive()
}

fn intake_role(channel: Channel) -> Role {
    match channel {
        Channel::Office => Role::Clerk,
        Channel::StateCorporation => Role::Operator,
        Channel::Portal => Role::Applicant,
    }
}

/// Whether `who` may see the application at all (contract.md, "Roles").
pub fn may_see(who: &Principal, row: &ApplicationRow, case: Option<&Case>) -> bool {
    match who.role {
        Role::Admin | Role::Auditor => true,
        Role::Applicant => who.iin.is_some_and(|iin| {
            row.applicant_iin == iin.to_string()
                || case
                    .and_then(|c| c.representative.as_ref())
                    .is_some_and(|r| r.iin == iin)
        }),
        // A portal draft is the applicant's until signed: it has not reached
        // the provider yet.
        _ if row.status == "draft" => false,
        // A portal draft withdrawn before signing never reached them either.
        _ if row.channel == Channel::Portal.code() && case.is_some_and(|c| c.steps.is_empty()) => {
            false
        }
        Role::Specialist => row.assignee.as_deref() == Some(who.username.as_str()),
        Role::Clerk | Role::Head => who.provider.as_deref() == Some(row.provider.as_str()),
        Role::Operator => row.channel == Channel::StateCorporation.code(),
    }
}

pub(crate) fn load_case_of(app: &Application) -> Result<Case, ApiError> {
    load_case(app)
}

fn load_case(app: &Application) -> Result<Case, ApiError> {
    app.row.state.parse().map_err(|e| {
        tracing::error!(id = %app.id, error = %e, "stored state does not read as a case");
        ApiError::internal()
    })
}

pub(crate) fn process_of(state: &AppState, case: &Case) -> Result<Process, ApiError> {
    state
        .catalog()
        .version(&case.service, &case.version)
        .and_then(|v| v.process(case.channel))
        .ok_or_else(|| {
            tracing::error!(service = %case.service, version = %case.version, "pinned version missing from the catalog");
            ApiError::internal()
        })
}

pub(crate) fn new_events(events: &[Event]) -> Result<Vec<NewEvent>, ApiError> {
    events
        .iter()
        .map(|e| {
            let v = serde_json::to_value(e).map_err(|_| ApiError::internal())?;
            Ok(NewEvent {
                kind: v["type"].as_str().unwrap_or_default().to_owned(),
                at: e.at,
                actor: e.actor.clone(),
                data: v
                    .get("data")
                    .cloned()
                    .unwrap_or(Value::Object(Default::default())),
            })
        })
        .collect()
}

pub(crate) fn row_of(case: &Case, intake_actor: &str) -> Result<ApplicationRow, ApiError> {
    let step = case.current_step();
    Ok(ApplicationRow {
        service: case.service.clone(),
        version: case.version.clone(),
        channel: case.channel.code().to_owned(),
        provider: case.provider.clone(),
        status: case.status.code().to_owned(),
        step: step.map(|s| s.code.code().to_owned()),
        step_role: step.map(|s| s.role.code().to_owned()),
        // The row's deadline is when the clock next has work: the step's due
        // time, or the end of a pause (which resumes by itself).
        due_at: case.due_at().or(case.paused.as_ref().map(|p| p.until)),
        // Only a running clock is overdue; a paused case stays on the
        // worker's list so its pause can end.
        overdue: case.status == qyzmet_domain::case::Status::InProgress && case.is_overdue(),
        assignee: case.assignee.clone(),
        applicant_iin: case.applicant.to_string(),
        representative_iin: case.representative.as_ref().map(|r| r.iin.to_string()),
        intake_actor: intake_actor.to_owned(),
        created_at: case.created_at,
        updated_at: case.updated_at,
        state: StateJson::of(case).map_err(|_| ApiError::internal())?,
    })
}

pub(crate) fn command_error(e: CommandError) -> ApiError {
    match &e {
        CommandError::Forbidden { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "action-forbidden").with_detail(e.to_string())
        }
        CommandError::Conflict { .. } => {
            ApiError::new(StatusCode::CONFLICT, "action-conflict").with_detail(e.to_string())
        }
        CommandError::Invalid { field, message } => unprocessable("field-invalid", e.to_string())
            .with_errors(vec![FieldProblem {
                path: format!("/{field}"),
                message: message.clone(),
            }]),
    }
}

fn etag(rev: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{rev}\"")).expect("digits are a header value")
}

/// The answer to a write, in a form the idempotency record can replay.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    status: u16,
    etag: Option<String>,
    location: Option<String>,
    /// The JSON answered, as its text: serialised once, for the answer and
    /// the idempotency record alike.
    body: Box<serde_json::value::RawValue>,
}

impl Stored {
    fn into_response(self, replayed: bool) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let body: Box<str> = self.body.into();
        let mut res = (status, String::from(body)).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(e) = self.etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
            h.insert(header::ETAG, e);
        }
        if let Some(l) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            h.insert(header::LOCATION, l);
        }
        if replayed {
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        res
    }
}

/// An `Idempotency-Key` request: who sent it, the key, and its fingerprint.
struct Idem {
    principal: String,
    key: String,
    fingerprint: String,
}

fn idempotency(
    headers: &HeaderMap,
    who: &Principal,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Option<Idem>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "idempotency-key-invalid")
                .with_detail("Idempotency-Key must be 1 to 255 visible characters")
        })?;
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    Ok(Some(Idem {
        principal: who.username.clone(),
        key: key.to_owned(),
        fingerprint: hex::encode(h.finalize()),
    }))
}

/// A stored answer for this key, if there is one (and the same request).
async fn replay(state: &AppState, idem: &Idem) -> Result<Option<Response>, ApiError> {
    let Some(rec) = state
        .store()
        .idempotency_lookup(&idem.principal, &idem.key)
        .await?
    else {
        return Ok(None);
    };
    if rec.fingerprint != idem.fingerprint {
        return Err(unprocessable(
            "idempotency-key-reused",
            "this Idempotency-Key was used for another request",
        ));
    }
    let stored: Stored = serde_json::from_str(&rec.body).map_err(|_| ApiError::internal())?;
    Ok(Some(stored.into_response(true)))
}

fn record(idem: &Option<Idem>, stored: &Stored, now: DateTime<Utc>) -> Option<IdempotencyRecord> {
    idem.as_ref().map(|i| IdempotencyRecord {
        principal: i.principal.clone(),
        key: i.key.clone(),
        fingerprint: i.fingerprint.clone(),
        status: stored.status,
        body: serde_json::to_string(stored).expect("a stored answer serialises"),
        created_at: now,
    })
}

fn sniff_media_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else {
        "application/octet-stream"
    }
}

// ---------------------------------------------------------------- intake

/// Take in an application
#[utoipa::path(post, path = "/api/v1/applications", tag = "applications",
    request_body = CreateApplication,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer")),
    responses(
        (status = 201, description = "Taken in (also when refused at intake: see `status`)", body = ApplicationView),
        (status = 400, body = crate::problem::Problem), (status = 401, body = crate::problem::Problem),
        (status = 403, body = crate::problem::Problem), (status = 413, body = crate::problem::Problem),
        (status = 415, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_json(&headers)?;
    let idem = idempotency(&headers, &who, "POST", "/api/v1/applications", &body)?;
    if let Some(i) = &idem {
        if let Some(res) = replay(&state, i).await? {
            return Ok(res);
        }
    }
    let input: CreateApplication = parse_json(&body)?;
    let now = state.now();
    let catalog = state.catalog();

    let service = catalog.service(&input.service).ok_or_else(|| {
        unprocessable("service-unknown", format!("no service `{}`", input.service))
    })?;
    let channel: Channel = input.channel.parse().map_err(|_| {
        unprocessable(
            "channel-unknown",
            format!(
                "no channel `{}` (office, state-corporation, portal)",
                input.channel
            ),
        )
    })?;
    let version = catalog
        .version_at(&service.code, today(now))
        .ok_or_else(|| {
            unprocessable(
                "service-not-in-force",
                "no version of this service is in force today",
            )
        })?;
    let process = version.process(channel).ok_or_else(|| {
        unprocessable(
            "channel-not-offered",
            format!("`{}` is not rendered through `{}`", service.code, channel),
        )
    })?;
    if who.role != intake_role(channel) {
        return Err(
            ApiError::new(StatusCode::FORBIDDEN, "action-forbidden").with_detail(format!(
                "intake in `{channel}` is done by `{}`",
                intake_role(channel)
            )),
        );
    }
    let provider = match &input.provider {
        Some(p) if service.providers.contains(p) => p.clone(),
        Some(p) => {
            return Err(unprocessable(
                "provider-unknown",
                format!("`{p}` does not render `{}`", service.code),
            ))
        }
        None if service.providers.len() == 1 => service.providers[0].clone(),
        None => {
            return Err(unprocessable(
                "provider-required",
                "name the provider: this service has several",
            ))
        }
    };
    if who.role == Role::Clerk && who.provider.as_deref() != Some(provider.as_str()) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "provider-forbidden")
            .with_detail("a clerk takes in applications for their own provider only"));
    }

    let mut errors = Vec::new();
    let applicant = Iin::parse(input.applicant.iin.trim()).map_err(|e| {
        unprocessable("iin-invalid", format!("applicant.iin: {e}")).with_errors(vec![
            FieldProblem {
                path: "/applicant/iin".into(),
                message: e.to_string(),
            },
        ])
    })?;
    let representative = match &input.representative {
        None => None,
        Some(r) => {
            let iin = Iin::parse(r.iin.trim()).map_err(|e| {
                unprocessable("iin-invalid", format!("representative.iin: {e}")).with_errors(vec![
                    FieldProblem {
                        path: "/representative/iin".into(),
                        message: e.to_string(),
                    },
                ])
            })?;
            let date = NaiveDate::parse_from_str(r.power_of_attorney.date.trim(), "%Y-%m-%d")
                .map_err(|_| {
                    unprocessable(
                        "field-invalid",
                        "representative.power_of_attorney.date: expected YYYY-MM-DD",
                    )
                })?;
            let number = r.power_of_attorney.number.trim();
            if number.is_empty() || number.chars().count() > MAX_POA_NUMBER {
                return Err(unprocessable(
                    "field-invalid",
                    "representative.power_of_attorney.number: 1 to 100 characters",
                ));
            }
            Some(Representative {
                iin,
                power_of_attorney: PowerOfAttorney {
                    number: number.to_owned(),
                    date,
                },
            })
        }
    };
    if who.role == Role::Applicant {
        let me = who.iin;
        let mine =
            me == Some(applicant) || representative.as_ref().is_some_and(|r| Some(r.iin) == me);
        if !mine {
            return Err(
                ApiError::new(StatusCode::FORBIDDEN, "applicant-mismatch").with_detail(
                    "on the portal you apply for yourself, or as the named representative",
                ),
            );
        }
    }
    let language = match input.applicant.language.as_deref() {
        None => None,
        Some(l) => Some(
            l.parse::<Lang>()
                .map_err(|_| unprocessable("language-unknown", "applicant.language: kk, ru or en"))?
                .code(),
        ),
    };
    let mut name = input
        .applicant
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if name.as_ref().is_some_and(|n| n.chars().count() > 300) {
        return Err(unprocessable(
            "field-invalid",
            "applicant.name: at most 300 characters",
        ));
    }
    if let Err(form_errors) = version.validate_form(&input.form, today(now)) {
        return Err(form_invalid(
            "the form does not match the service's form",
            form_errors,
        ));
    }

    let mut attachments = Vec::new();
    let mut doc_details = Vec::new();
    let mut kinds = Vec::new();
    for (i, d) in input.documents.iter().enumerate() {
        if !version.documents.iter().any(|k| k.code == d.kind) {
            errors.push(FieldProblem {
                path: format!("/documents/{i}/kind"),
                message: format!("no document kind `{}` in this service", d.kind),
            });
            continue;
        }
        let name = d.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            errors.push(FieldProblem {
                path: format!("/documents/{i}/name"),
                message: "1 to 255 characters".into(),
            });
            continue;
        }
        let mut detail = json!({"kind": d.kind, "name": name});
        match &d.content {
            None if channel == Channel::Portal => errors.push(FieldProblem {
                path: format!("/documents/{i}/content"),
                message: "on the portal each document is an electronic copy".into(),
            }),
            None => {}
            Some(b64) => {
                if b64.len() > MAX_DOCUMENT_BYTES / 3 * 4 + 4 {
                    errors.push(FieldProblem {
                        path: format!("/documents/{i}/content"),
                        message: format!("larger than {} MiB", MAX_DOCUMENT_BYTES >> 20),
                    });
                    continue;
                }
                match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                    Ok(bytes) if bytes.is_empty() => errors.push(FieldProblem {
                        path: format!("/documents/{i}/content"),
                        message: "the file is empty".into(),
                    }),
                    Ok(bytes) if bytes.len() > MAX_DOCUMENT_BYTES => errors.push(FieldProblem {
                        path: format!("/documents/{i}/content"),
                        message: format!("larger than {} MiB", MAX_DOCUMENT_BYTES >> 20),
                    }),
                    Ok(bytes) => {
                        detail["sha256"] = json!(hex::encode(Sha256::digest(&bytes)));
                        detail["size"] = json!(bytes.len() as u64);
                        attachments.push(NewAttachment {
                            kind: d.kind.clone(),
                            name: name.to_owned(),
                            media_type: sniff_media_type(&bytes).to_owned(),
                            content: bytes,
                        });
                    }
                    Err(_) => errors.push(FieldProblem {
                        path: format!("/documents/{i}/content"),
                        message: "not base64".into(),
                    }),
                }
            }
        }
        kinds.push(d.kind.clone());
        doc_details.push(detail);
    }
    if !errors.is_empty() {
        return Err(
            unprocessable("documents-invalid", "some documents cannot be taken")
                .with_errors(errors),
        );
    }

    // Regulation §8, condition 1: at the State Corporation the applicant's
    // data come from the individuals database (what the state holds is not
    // typed again) and a power of attorney is checked in the notary
    // system; when they cannot be obtained nothing is stored.
    // On the portal the citizen signed in may name someone they act for:
    // the power of attorney is checked in the notary system there too, or
    // anyone could make drafts in another person's name, and that person's
    // name comes from the individuals database, not from what was typed.
    // (At the office the clerk sees the paper.)
    let registered = match (channel, &representative) {
        (Channel::StateCorporation, _) | (Channel::Portal, Some(_)) => Some(
            crate::registry::check_at_intake(&state, &applicant, representative.as_ref()).await?,
        ),
        _ => None,
    };
    let mut details = json!({
        "applicant": {"name": name, "language": language},
        "documents": doc_details,
    });
    if let Some(p) = &registered {
        name = Some(p.full_name());
        details["applicant"]["name"] = json!(name);
        // What the state holds of the applicant is kept where the operator
        // needs it (the State Corporation); a representative on the portal
        // is told only the name.
        if channel == Channel::StateCorporation {
            details["registry"] = crate::registry::details(p);
        }
        if let Some(r) = &representative {
            if let Some(n) = crate::registry::representative_name(&state, r).await {
                details["representative"] = json!({ "name": n });
            }
        }
    }
    // The package that goes through the gateway to the provider (process 5).
    let package = registered
        .as_ref()
        .filter(|_| channel == Channel::StateCorporation)
        .map(|_| {
            json!({
                "service": input.service,
                "provider": provider,
                "channel": channel.code(),
                "applicant_iin": applicant.to_string(),
                "representative_iin": representative.as_ref().map(|r| r.iin.to_string()),
                "form": input.form,
                "documents": details["documents"],
                "taken_in_by": who.username,
                "taken_in_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        });
    let intake = Intake {
        channel,
        applicant,
        representative,
        documents: kinds,
        form: input.form,
        provider: provider.clone(),
        details,
    };
    let events = decide(
        None,
        &process,
        &*state.calendar(),
        &who.actor(),
        Command::Intake(intake),
        now,
    )
    .map_err(command_error)?;
    let case = case::fold(&events).ok_or_else(ApiError::internal)?;
    let row = row_of(&case, &who.username)?;
    let new_events = new_events(&events)?;
    let id = uuid::Uuid::new_v4().to_string();
    let view_process = process.clone();
    let view_case = case.clone();
    let doc_jobs = crate::documents::jobs_after(&state, None, &case, &id, 1, now);
    let enqueues = !doc_jobs.is_empty() || package.is_some();
    let build_idem = idem.as_ref().map(|i| Idem {
        principal: i.principal.clone(),
        key: i.key.clone(),
        fingerprint: i.fingerprint.clone(),
    });
    let base = state.base_url().to_owned();
    let operator = state.operator_signer().cloned();
    let built: std::sync::Arc<std::sync::Mutex<Option<Stored>>> = Default::default();
    let built_in = built.clone();
    let app_id = id.clone();
    let result = state
        .store()
        .create(NewApplication {
            id: id.clone(),
            number_prefix: "KZ".into(),
            number_year: chrono::Datelike::year(&today(now)),
            build: Box::new(move |number: &str| {
                let app = Application {
                    id: app_id.clone(),
                    number: number.to_owned(),
                    rev: 1,
                    row: row.clone(),
                    // The view shows no chain.
                    head: ChainHead::genesis(),
                };
                let body = view::application(&app, &view_case, &view_process);
                let stored = Stored {
                    status: 201,
                    etag: Some(format!("\"{}\"", 1)),
                    location: Some(format!("{base}/api/v1/applications/{app_id}")),
                    body: serde_json::value::to_raw_value(&body).expect("a view serialises"),
                };
                let rec = record(&build_idem, &stored, now);
                *built_in.lock().expect("not poisoned") = Some(stored);
                // Sent only when taken in: an incomplete package gets its
                // receipt on the spot and goes nowhere.
                let jobs = match package {
                    Some(mut p) if row.status != Status::RejectedAtIntake.code() => {
                        p["application_id"] = json!(app_id);
                        p["number"] = json!(number);
                        let data = p.to_string();
                        let cms = crate::registry::sign_package(operator.as_deref(), &data, now);
                        vec![qyzmet_gateway::signed_send_job(
                            qyzmet_gateway::registry::PROVIDER,
                            data,
                            cms,
                            now,
                        )]
                    }
                    _ => Vec::new(),
                };
                Change {
                    events: new_events,
                    row,
                    jobs: jobs.into_iter().chain(doc_jobs).collect(),
                    idempotency: rec,
                    attachments,
                    follows: None,
                }
            }),
        })
        .await;
    match result {
        Ok(_) => {
            if enqueues {
                state.wake_jobs();
            }
            let stored = built
                .lock()
                .expect("not poisoned")
                .take()
                .ok_or_else(ApiError::internal)?;
            Ok(stored.into_response(false))
        }
        Err(StoreError::Duplicate(_)) if idem.is_some() => {
            let i = idem.as_ref().expect("checked");
            replay(&state, i).await?.ok_or_else(ApiError::internal)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- reading

pub(crate) async fn visible(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<(Application, Case), ApiError> {
    visible_as(state, who, id, None).await
}

/// [`visible`], on `known` (the application as this node remembers it,
/// [`qyzmet_store::Store::remembered`]) when given.
async fn visible_as(
    state: &AppState,
    who: &Principal,
    id: &str,
    known: Option<Application>,
) -> Result<(Application, Case), ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::not_found());
    }
    let app = match known {
        Some(app) => app,
        None => state.store().get(id).await?,
    };
    let case = load_case(&app)?;
    if !may_see(who, &app.row, Some(&case)) {
        return Err(ApiError::not_found());
    }
    Ok((app, case))
}

pub(crate) fn with_etag(view: ApplicationView, rev: i64) -> Response {
    let mut res = axum::Json(view).into_response();
    res.headers_mut().insert(header::ETAG, etag(rev));
    res
}

/// One application
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "Application id")),
    responses(
        (status = 200, description = "The application, with `ETag`", body = ApplicationView),
        (status = 401, body = crate::problem::Problem),
        (status = 404, description = "No such application, or not yours", body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (app, case) = visible(&state, &who, &id).await?;
    let process = process_of(&state, &case)?;
    Ok(with_etag(view::application(&app, &case, &process), app.rev))
}

/// An event of the history, as hashed (contract.md).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub at: String,
    pub actor: String,
    #[schema(value_type = Object)]
    pub data: Value,
    pub hash: String,
    pub prev_hash: String,
}

/// The application's history
#[utoipa::path(get, path = "/api/v1/applications/{id}/events", tag = "applications",
    params(("id" = String, Path, description = "Application id")),
    responses(
        (status = 200, description = "Append-only, hash-chained", body = Vec<EventView>),
        (status = 401, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<EventView>>, ApiError> {
    visible(&state, &who, &id).await?;
    let events = state.store().events(&id).await?;
    Ok(axum::Json(
        events
            .into_iter()
            .map(|e| EventView {
                seq: e.seq,
                kind: e.kind,
                at: e.at,
                actor: e.actor,
                data: e.data,
                hash: e.hash,
                prev_hash: e.prev_hash,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub service: Option<String>,
    /// One status, or several separated by commas.
    pub status: Option<String>,
    pub overdue: Option<bool>,
    pub assignee: Option<String>,
    pub channel: Option<String>,
    /// Whose turn it is: the current step's role (`clerk`, `head`,
    /// `specialist`, `operator`), as a staff member's inbox asks.
    pub step_role: Option<String>,
    /// `due` (earliest deadline first) or `newest` (the default).
    pub order: Option<String>,
    /// 1 to 500, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationList {
    pub items: Vec<ApplicationView>,
    pub next_cursor: Option<String>,
}

const STATUSES: &[&str] = &[
    "draft",
    "in-progress",
    "paused",
    "completed",
    "rejected-at-intake",
    "withdrawn",
];

/// Applications the caller may see
#[utoipa::path(get, path = "/api/v1/applications", tag = "applications",
    params(ListQuery),
    responses(
        (status = 200, description = "A page", body = ApplicationList),
        (status = 400, body = crate::problem::Problem), (status = 401, body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<ApplicationList>, ApiError> {
    let Query(q) = query.map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "query-invalid").with_detail(e.body_text())
    })?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "query-invalid").with_detail(m);
    let mut filter = ListFilter {
        service: q.service.clone(),
        overdue: q.overdue,
        assignee: q.assignee.clone(),
        ..Default::default()
    };
    if let Some(s) = &q.status {
        for st in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !STATUSES.contains(&st) {
                return Err(bad(format!(
                    "unknown status `{st}` ({})",
                    STATUSES.join(", ")
                )));
            }
            filter.statuses.push(st.to_owned());
        }
    }
    if let Some(c) = &q.channel {
        let ch: Channel = c
            .parse()
            .map_err(|_| bad(format!("unknown channel `{c}`")))?;
        filter.channel = Some(ch.code().to_owned());
    }
    if let Some(r) = &q.step_role {
        let role: Role = r
            .parse()
            .map_err(|_| bad(format!("unknown step role `{r}`")))?;
        filter.step_role = Some(role.code().to_owned());
    }
    filter.order = match q.order.as_deref() {
        None | Some("newest") => ListOrder::Newest,
        Some("due") => ListOrder::Due,
        Some(o) => return Err(bad(format!("unknown order `{o}` (due, newest)"))),
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad("limit is 1 to 500".into()));
    }
    // What the role may see narrows whatever the caller asked for.
    if !matches!(who.role, Role::Admin | Role::Auditor | Role::Applicant) {
        if filter.statuses.is_empty() {
            filter.statuses = STATUSES
                .iter()
                .filter(|s| **s != "draft")
                .map(|s| (*s).to_owned())
                .collect();
        } else {
            filter.statuses.retain(|s| s != "draft");
            if filter.statuses.is_empty() {
                return Ok(axum::Json(ApplicationList {
                    items: vec![],
                    next_cursor: None,
                }));
            }
        }
    }
    match who.role {
        Role::Admin | Role::Auditor => {}
        Role::Applicant => {
            let iin = who
                .iin
                .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "action-forbidden"))?;
            filter.party_iin = Some(iin.to_string());
        }
        Role::Specialist => {
            if filter
                .assignee
                .as_deref()
                .is_some_and(|a| a != who.username)
            {
                return Ok(axum::Json(ApplicationList {
                    items: vec![],
                    next_cursor: None,
                }));
            }
            filter.assignee = Some(who.username.clone());
        }
        Role::Clerk | Role::Head => {
            filter.provider = Some(who.provider.clone().unwrap_or_default());
        }
        Role::Operator => {
            if filter
                .channel
                .as_deref()
                .is_some_and(|c| c != Channel::StateCorporation.code())
            {
                return Ok(axum::Json(ApplicationList {
                    items: vec![],
                    next_cursor: None,
                }));
            }
            filter.channel = Some(Channel::StateCorporation.code().to_owned());
        }
    }
    let page = state
        .store()
        .list_applications(&filter, limit, q.cursor.as_deref())
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for app in &page.items {
        let case = load_case(app)?;
        // The store's filter narrows by role; what only the case knows (a
        // withdrawn, never-signed portal draft) is checked here. A page may
        // then be shorter than `limit`; the cursor still goes on.
        if !may_see(&who, &app.row, Some(&case)) {
            continue;
        }
        let process = process_of(&state, &case)?;
        items.push(view::application(app, &case, &process));
    }
    Ok(axum::Json(ApplicationList {
        items,
        next_cursor: page.next_cursor,
    }))
}

// ---------------------------------------------------------------- actions

/// Act on an application
#[utoipa::path(post, path = "/api/v1/applications/{id}/actions", tag = "applications",
    params(
        ("id" = String, Path, description = "Application id"),
        ("If-Match" = String, Header, description = "The ETag last read"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer"),
    ),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "The application after the action", body = ApplicationView),
        (status = 403, description = "This role never does this here", body = crate::problem::Problem),
        (status = 404, body = crate::problem::Problem),
        (status = 409, description = "Not allowed now", body = crate::problem::Problem),
        (status = 412, description = "Stale ETag", body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem),
        (status = 428, description = "If-Match missing", body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Decided first on the application as this node last saw it (most
    // often, as its own last step left it): the append is conditional on
    // its rev and chain, so a step decided on an application that moved on
    // elsewhere writes nothing. A refusal is checked against the database:
    // it stands if the application is still at the rev remembered, else
    // the step is decided again on what is stored. A failure of the
    // server's own is not retried.
    let Some(known) = state.store().remembered(&id) else {
        return act_on(&state, &who, &id, &headers, &body, None).await;
    };
    let rev = known.rev;
    let refused = match act_on(&state, &who, &id, &headers, &body, Some(known)).await {
        Err(e) if !e.status.is_server_error() => e,
        done => return done,
    };
    match state.store().get(&id).await {
        Ok(stored) if stored.rev != rev => {
            act_on(&state, &who, &id, &headers, &body, Some(stored)).await
        }
        _ => Err(refused),
    }
}

/// [`act`] on `known`, or on the application as read now.
async fn act_on(
    state: &AppState,
    who: &Principal,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
    known: Option<Application>,
) -> Result<Response, ApiError> {
    let (app, case) = visible_as(state, who, id, known).await?;
    let path = format!("/api/v1/applications/{id}/actions");
    let idem = idempotency(headers, who, "POST", &path, body)?;
    if let Some(i) = &idem {
        if let Some(res) = replay(state, i).await? {
            return Ok(res);
        }
    }
    let if_match = headers
        .get(header::IF_MATCH)
        .ok_or_else(|| {
            ApiError::new(StatusCode::PRECONDITION_REQUIRED, "precondition-required")
                .with_detail("send If-Match with the ETag you last read")
        })?
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .to_owned();
    if if_match != app.rev.to_string() && if_match != "*" {
        return Err(
            ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition-failed")
                .with_detail("the application changed since you read it; read it again"),
        );
    }
    require_json(headers)?;
    let raw: Value = parse_json(body)?;
    let action = raw
        .get("action")
        .and_then(|a| a.as_str())
        .ok_or_else(|| unprocessable("body-invalid", "name the `action`"))?;
    if !PEOPLE_ACTIONS.contains(&action) {
        return Err(unprocessable(
            "action-unknown",
            format!("unknown action `{action}` ({})", PEOPLE_ACTIONS.join(", ")),
        ));
    }
    // `cms` is the head's own seal of the result at `sign` (documents.rs),
    // not part of the engine's command.
    let mut command_body = raw.clone();
    if let Some(o) = command_body.as_object_mut() {
        o.remove("cms");
    }
    let command: Command = serde_json::from_value(command_body)
        .map_err(|e| unprocessable("body-invalid", e.to_string()))?;
    let signing = state.documents().enabled()
        && matches!(command, Command::Complete { .. })
        && case
            .current_step()
            .is_some_and(|s| s.code == qyzmet_domain::step::StepCode::Sign);
    if let Command::Complete { assignee: Some(a) } = &command {
        if case
            .current_step()
            .is_some_and(|s| s.code == qyzmet_domain::step::StepCode::Resolution)
        {
            let ok = state
                .store()
                .user_by_username(a.trim())
                .await?
                .is_some_and(|u| {
                    u.role == Role::Specialist.code()
                        && !u.disabled
                        && u.provider.as_deref() == Some(case.provider.as_str())
                });
            if !ok && who.role == Role::Head {
                return Err(unprocessable(
                    "assignee-unknown",
                    format!("`{a}` is not a specialist of this provider"),
                ));
            }
        }
    }
    if matches!(command, Command::Complete { .. }) && awaits_result(state, &case) {
        return Err(
            ApiError::new(StatusCode::CONFLICT, "result-not-received").with_detail(
                "the provider's sealed result has not come back through the gateway yet",
            ),
        );
    }
    let process = process_of(state, &case)?;
    let now = state.now();
    let events = decide(
        Some(&case),
        &process,
        &*state.calendar(),
        &who.actor(),
        command,
        now,
    )
    .map_err(command_error)?;
    let seal = if signing {
        crate::documents::seal_at_sign(state, who, &app, &case, &raw).await?
    } else {
        None
    };
    let before = case.clone();
    let next = events.iter().fold(case, |c, e| case::apply(Some(c), e));
    let mut doc_jobs =
        crate::documents::jobs_after(state, Some(&before), &next, &app.id, app.rev + 1, now);
    if let Some(seal) = &seal {
        doc_jobs.extend(crate::registry::result_job(state, &app, &next, seal, now));
    }
    let enqueues = !doc_jobs.is_empty();
    let row = row_of(&next, &app.row.intake_actor)?;
    let new_rev = app.rev + 1;
    let view_app = Application {
        id: app.id.clone(),
        number: app.number.clone(),
        rev: new_rev,
        row: row.clone(),
        // The view shows no chain.
        head: app.head.clone(),
    };
    let stored = Stored {
        status: 200,
        etag: Some(format!("\"{new_rev}\"")),
        location: None,
        body: serde_json::value::to_raw_value(&view::application(&view_app, &next, &process))
            .map_err(|_| ApiError::internal())?,
    };
    let change = Change {
        events: new_events(&events)?,
        row,
        jobs: doc_jobs,
        idempotency: record(&idem, &stored, now),
        attachments: Vec::new(),
        follows: Some(app.head.clone()),
    };
    let written = match seal {
        Some(seal) => {
            state
                .store()
                .append_sealed(&app.id, app.rev, change, seal)
                .await
        }
        None => state.store().append(&app.id, app.rev, change).await,
    };
    match written {
        Ok(_) => {
            if enqueues {
                state.wake_jobs();
            }
            Ok(stored.into_response(false))
        }
        Err(StoreError::Duplicate(_)) if idem.is_some() => {
            let i = idem.as_ref().expect("checked");
            replay(state, i).await?.ok_or_else(ApiError::internal)
        }
        Err(StoreError::Stale) => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
        )
        .with_detail("the application changed meanwhile; read it again")),
        Err(e) => Err(e.into()),
    }
}

/// Whether `case` waits at `issue` for its sealed result to come back
/// through the gateway (issue #9 §3): a State Corporation package that went
/// through this installation's gateway, whose result has not arrived.
/// Without a gateway the operator issues from the shared record.
pub(crate) fn awaits_result(state: &AppState, case: &Case) -> bool {
    state.gateway_client().is_some()
        && case.channel == qyzmet_domain::Channel::StateCorporation
        && case.registered_at.is_some()
        && case.result_received_at.is_none()
        && case.status == qyzmet_domain::case::Status::InProgress
        && case
            .current_step()
            .is_some_and(|s| s.code == qyzmet_domain::step::StepCode::Issue)
}

/// Appends `events` (decided on `case`, as read with `app`) at the rev they
/// were decided on, with the folded row and nothing else. `false` when the
/// application changed meanwhile: the caller decides again on the new state.
pub(crate) async fn append_at_rev(
    state: &AppState,
    app: &Application,
    case: Case,
    events: &[Event],
) -> Result<bool, ApiError> {
    let next = events.iter().fold(case, |c, e| case::apply(Some(c), e));
    let change = Change {
        events: new_events(events)?,
        row: row_of(&next, &app.row.intake_actor)?,
        jobs: Vec::new(),
        idempotency: None,
        attachments: Vec::new(),
        follows: Some(app.head.clone()),
    };
    match state.store().append(&app.id, app.rev, change).await {
        Ok(_) => Ok(true),
        Err(StoreError::Stale) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Lets the clock act on one application at `now` (marks an overdue step,
/// ends a pause on its 30th day). Returns whether anything was recorded.
/// A concurrent change is retried: the clock's events must not be lost.
pub async fn apply_clock(state: &AppState, id: &str, now: DateTime<Utc>) -> Result<bool, ApiError> {
    match apply_system(state, id, || Command::Tick, now).await {
        Err(e) if e.status == StatusCode::PRECONDITION_FAILED => {
            // People kept changing it; the next pass tries again.
            tracing::warn!(
                id,
                "the clock could not catch up with a busy application; retrying next pass"
            );
            Ok(false)
        }
        other => other,
    }
}

/// Decides and appends a command of the system's own (the clock's, the
/// gateway's) on application `id`, recorded as the system actor; a
/// concurrent change is retried. Returns whether anything was recorded;
/// 412 `precondition-failed` when people changed the application three
/// times while the system decided, so that the caller tries again later
/// (the clock on its next pass, a gateway message by its sender's retry)
/// instead of losing the command.
pub async fn apply_system(
    state: &AppState,
    id: &str,
    command: impl Fn() -> Command,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    for _ in 0..3 {
        let app = state.store().get(id).await?;
        let case = load_case(&app)?;
        let process = process_of(state, &case)?;
        let system = qyzmet_domain::case::Actor {
            username: qyzmet_domain::case::SYSTEM_ACTOR.to_owned(),
            role: Role::Admin,
            iin: None,
        };
        let events = decide(
            Some(&case),
            &process,
            &*state.calendar(),
            &system,
            command(),
            now,
        )
        .map_err(command_error)?;
        if events.is_empty() {
            return Ok(false);
        }
        if append_at_rev(state, &app, case, &events).await? {
            return Ok(true);
        }
    }
    Err(StoreError::Stale.into())
}
