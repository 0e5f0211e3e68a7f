//! The State Corporation's view of the registries (regulation §8, process
//! 3) and the provider's endpoint at the gateway (process 6): the
//! operator's person lookup, the intake checks (the applicant in the
//! individuals database, a representative's power of attorney in the
//! notary system) and the package sent on to the provider.

use crate::auth::Principal;
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use bytes::Bytes;
use qyzmet_domain::case::Representative;
use qyzmet_domain::{Iin, Role};
use qyzmet_gateway::registry::{Person, PoaStatus};
use serde_json::{json, Value};

fn unavailable(why: &dyn std::fmt::Display) -> ApiError {
    // The cause is for the logs; the caller learns only that it failed.
    tracing::warn!(error = %why, "registry lookup failed");
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "registry-unavailable")
}

fn unprocessable(code: &'static str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code).with_detail(detail)
}

/// Look up a person in the individuals database
///
/// What the operator's workstation shows before intake: the data the state
/// already holds, which the applicant is not asked to type.
#[utoipa::path(get, path = "/api/v1/registry/persons/{iin}", tag = "registry",
    params(("iin" = String, Path, description = "The person's IIN")),
    responses(
        (status = 200, body = Person),
        (status = 401, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem),
        (status = 404, description = "`person-unknown`", body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem),
        (status = 503, description = "`registry-unavailable`", body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn person(
    State(state): State<AppState>,
    who: Principal,
    Path(iin): Path<String>,
) -> Result<Json<Person>, ApiError> {
    operator_only(&who)?;
    let iin =
        Iin::parse(iin.trim()).map_err(|e| unprocessable("iin-invalid", &format!("iin: {e}")))?;
    let registry = state
        .registry()
        .ok_or_else(|| unavailable(&"no registry is configured"))?;
    match registry.person(&iin).await {
        Ok(Some(p)) => Ok(Json(p)),
        Ok(None) => Err(ApiError::new(StatusCode::NOT_FOUND, "person-unknown")),
        Err(e) => Err(unavailable(&e)),
    }
}

/// The notary system's answer about a power of attorney, as the operator's
/// workstation shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PowerOfAttorneyView {
    /// `valid`, `revoked` or `unknown`.
    pub status: String,
    pub number: String,
    pub principal_iin: String,
    /// Known when the notary system knows the power of attorney.
    pub attorney_iin: Option<String>,
    pub date: Option<String>,
    pub revoked_on: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PoaParams {
    /// The principal's (the applicant's) IIN.
    pub principal: String,
}

fn operator_only(who: &Principal) -> Result<(), ApiError> {
    if matches!(who.role, Role::Operator | Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden")
            .with_detail("registry lookups are for State Corporation operators"))
    }
}

/// Check a power of attorney in the notary system
///
/// What the operator's workstation shows before intake: whether the power
/// of attorney by this number from this principal is valid, revoked or
/// unknown, and whom it names.
#[utoipa::path(get, path = "/api/v1/registry/powers-of-attorney/{number}", tag = "registry",
    params(("number" = String, Path, description = "The power of attorney's number"), PoaParams),
    responses(
        (status = 200, body = PowerOfAttorneyView),
        (status = 401, body = crate::problem::Problem), (status = 403, body = crate::problem::Problem),
        (status = 422, body = crate::problem::Problem),
        (status = 503, description = "`registry-unavailable`", body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn power_of_attorney(
    State(state): State<AppState>,
    who: Principal,
    Path(number): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PoaParams>,
) -> Result<Json<PowerOfAttorneyView>, ApiError> {
    operator_only(&who)?;
    let principal = Iin::parse(q.principal.trim())
        .map_err(|e| unprocessable("iin-invalid", &format!("principal: {e}")))?;
    let number = number.trim();
    if number.is_empty() || number.chars().count() > 100 {
        return Err(unprocessable(
            "field-invalid",
            "number: 1 to 100 characters",
        ));
    }
    let registry = state
        .registry()
        .ok_or_else(|| unavailable(&"no registry is configured"))?;
    let answer = registry
        .power_of_attorney(number, &principal)
        .await
        .map_err(|e| unavailable(&e))?;
    let status = match (answer.status, &answer.record) {
        (PoaStatus::Valid, Some(_)) => "valid",
        (PoaStatus::Revoked, _) => "revoked",
        _ => "unknown",
    };
    let record = answer.record.filter(|_| status != "unknown");
    Ok(Json(PowerOfAttorneyView {
        status: status.to_owned(),
        number: number.to_owned(),
        principal_iin: principal.to_string(),
        attorney_iin: record.as_ref().map(|r| r.attorney_iin.clone()),
        date: record.as_ref().map(|r| r.date.to_string()),
        revoked_on: record.and_then(|r| r.revoked_on.map(|d| d.to_string())),
    }))
}

/// Condition 1 of §8: the applicant is in the individuals database and a
/// representative's power of attorney is valid in the notary system. On
/// success, what the registry holds about the applicant, to be kept in the
/// application's details; on failure, the problem to answer (nothing is
/// stored).
pub async fn check_at_intake(
    state: &AppState,
    applicant: &Iin,
    representative: Option<&Representative>,
) -> Result<Person, ApiError> {
    let registry = state
        .registry()
        .ok_or_else(|| unavailable(&"no registry is configured"))?;
    // The power of attorney first: on the portal any citizen may name
    // anyone as the person they act for, and what the individuals database
    // says of that person (unknown, deceased) is told only to whom the
    // person gave a power of attorney.
    if let Some(r) = representative {
        check_power_of_attorney_with(registry.as_ref(), applicant, r).await?;
    }
    let person = registry
        .person(applicant)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| {
            unprocessable(
                "applicant-unknown",
                "the individuals database does not know the applicant's IIN",
            )
        })?;
    if person.life_status != "alive" {
        return Err(unprocessable(
            "applicant-deceased",
            "the individuals database records the applicant as deceased",
        ));
    }
    Ok(person)
}

/// [`check_power_of_attorney_with`] through the configured registry. The
/// portal's page asks it while the form still has other problems, so that
/// a citizen hears of a power of attorney that will not do together with
/// them, not only once the rest is right.
pub async fn check_power_of_attorney(
    state: &AppState,
    applicant: &Iin,
    r: &Representative,
) -> Result<(), ApiError> {
    let registry = state
        .registry()
        .ok_or_else(|| unavailable(&"no registry is configured"))?;
    check_power_of_attorney_with(registry.as_ref(), applicant, r).await
}

/// A representative's full name as the individuals database holds it, so
/// that the person they act for can tell who they are; `None` when it does
/// not know them or cannot answer (the name only informs).
pub async fn representative_name(state: &AppState, r: &Representative) -> Option<String> {
    let registry = state.registry()?;
    match registry.person(&r.iin).await {
        Ok(p) => p.map(|p| p.full_name()),
        Err(e) => {
            tracing::warn!(error = %e, "the individuals database did not name a representative");
            None
        }
    }
}

/// A representative's power of attorney from `applicant`, as the notary
/// system holds it: valid, naming this representative and date. Asked
/// wherever a representative acts for someone who is not there to confirm
/// it: at the State Corporation and on the portal, where the citizen signed
/// in names the person they act for (both through [`check_at_intake`]).
async fn check_power_of_attorney_with(
    registry: &dyn qyzmet_gateway::Registry,
    applicant: &Iin,
    r: &Representative,
) -> Result<(), ApiError> {
    let poa = registry
        .power_of_attorney(&r.power_of_attorney.number, applicant)
        .await
        .map_err(|e| unavailable(&e))?;
    match (poa.status, poa.record) {
        (PoaStatus::Unknown, _) | (PoaStatus::Valid, None) => {
            return Err(unprocessable(
                "power-of-attorney-unknown",
                "the notary system knows no such power of attorney from the applicant",
            ))
        }
        (PoaStatus::Revoked, _) => {
            return Err(unprocessable(
                "power-of-attorney-revoked",
                "the notary system records the power of attorney as revoked",
            ))
        }
        (PoaStatus::Valid, Some(rec)) => {
            // Which of the two differs, as a pointer the form can mark.
            let mut differs = Vec::new();
            if rec.attorney_iin != r.iin.to_string() {
                differs.push(crate::problem::FieldProblem {
                    path: "/representative/iin".into(),
                    message: "the power of attorney names another representative".into(),
                });
            }
            if rec.date != r.power_of_attorney.date {
                differs.push(crate::problem::FieldProblem {
                    path: "/representative/power_of_attorney/date".into(),
                    message: "the power of attorney is of another date".into(),
                });
            }
            if !differs.is_empty() {
                return Err(unprocessable(
                    "power-of-attorney-mismatch",
                    "the power of attorney names another representative or date",
                )
                .with_errors(differs));
            }
        }
    }
    Ok(())
}

/// The registry's data as kept in the application's details.
pub fn details(p: &Person) -> Value {
    json!({
        "source": qyzmet_gateway::registry::INDIVIDUALS,
        "surname": p.surname,
        "name": p.name,
        "patronymic": p.patronymic,
        "birth_date": p.birth_date.to_string(),
        "sex": p.sex,
        "citizenship": p.citizenship,
        "address": serde_json::to_value(&p.address).unwrap_or(Value::Null),
        "documents": serde_json::to_value(&p.documents).unwrap_or(Value::Null),
    })
}

/// The package's signature (issue #9): a detached CMS by the operator's
/// key over the exact bytes of `data`, in base64, or `None` (logged) when
/// no operator key is configured or signing fails (the provider's endpoint
/// then refuses it if it expects signed packages).
pub fn sign_package(
    operator: Option<&qyzmet_pki::Signer>,
    data: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    use base64::Engine;
    let Some(signer) = operator else {
        tracing::warn!("no operator key is configured: the package goes unsigned");
        return None;
    };
    match signer.sign_at(data.as_bytes(), true, now) {
        Ok(cms) => Some(base64::engine::general_purpose::STANDARD.encode(cms)),
        Err(e) => {
            tracing::error!(error = %e, "signing the package failed: it goes unsigned");
            None
        }
    }
}

/// Who signed a package the provider's endpoint accepts, by the channel
/// the package says it came through:
///
/// - `state-corporation`: the operator's detached CMS over `data`, by one
///   of the configured operators' certificates
///   ([`AppState::operator_certificates`]), not merely any certificate
///   chaining to a trusted CA (`package-signer-unknown`);
/// - `portal` (§9 process 5): `data` is exactly the bytes the applicant
///   signed (`to_sign`), and the CMS is theirs: its certificate's IIN is the
///   application's applicant's or representative's (`package-signer-mismatch`).
///
/// The CMS must verify over `data` with the server's PKI verifier (trusted
/// chain, not revoked, valid at `now`). A package without one is refused
/// when this installation knows any operator certificate, and otherwise
/// accepted as before (logged).
pub fn check_package(
    state: &AppState,
    data: &str,
    signature: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), (&'static str, String)> {
    use base64::Engine;
    let Some(b64) = signature else {
        if !state.operator_certificates().is_empty() {
            return Err((
                "package-unsigned",
                "the package carries no signature".into(),
            ));
        }
        tracing::warn!("package accepted without a signature: no operator key is configured");
        return Ok(());
    };
    let Ok(cms) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return Err((
            "package-signature-invalid",
            "the signature is not base64".into(),
        ));
    };
    let v = state
        .verifier()
        .verify(&cms, Some(data.as_bytes()), now)
        .map_err(|r| {
            (
                "package-signature-invalid",
                format!("the package's signature is refused: {}", r.code()),
            )
        })?;
    let package: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    match package["channel"].as_str() {
        Some("state-corporation") => {
            if !state.operator_certificates().contains(&v.certificate) {
                return Err((
                    "package-signer-unknown",
                    "the package is not signed by a known State Corporation operator".into(),
                ));
            }
        }
        Some("portal") if package["purpose"] == "qyzmet-application/1" => {
            let signer = Some(v.iin.as_str());
            if package["applicant"]["iin"].as_str() != signer
                && package["representative"]["iin"].as_str() != signer
            {
                return Err((
                    "package-signer-mismatch",
                    "the request is not signed by its applicant or representative".into(),
                ));
            }
        }
        _ => {
            return Err((
                "package-invalid",
                "the package names no channel it may come through".into(),
            ))
        }
    }
    tracing::info!(signer_iin = %v.iin, serial = %v.serial, "package signature verified");
    Ok(())
}

/// The `kind` of the message that carries a sealed result back to the
/// State Corporation (issue #9 §3).
pub const RESULT_KIND: &str = "qyzmet-result/1";

/// The outbox message carrying the head's seal of a State Corporation
/// application's result back to the State Corporation through the gateway
/// (issue #9 §3), written with the seal; `None` for another channel or
/// when this installation has no gateway. Like every gateway message it is
/// signed by the node's key when sent, and its fixed message id makes every
/// attempt the same message.
pub fn result_job(
    state: &AppState,
    app: &qyzmet_store::Application,
    case: &qyzmet_domain::case::Case,
    seal: &qyzmet_store::DocumentSeal,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<qyzmet_store::NewJob> {
    use base64::Engine;
    state.gateway_client()?;
    if case.channel != qyzmet_domain::Channel::StateCorporation {
        return None;
    }
    let result = if case.refusal.is_some() {
        qyzmet_domain::case::ResultKind::Refusal
    } else {
        qyzmet_domain::case::ResultKind::Approval
    };
    let data = json!({
        "kind": RESULT_KIND,
        "channel": "state-corporation",
        "application_id": app.id,
        "number": app.number,
        "result": result,
        "document_code": seal.code,
        "sha256": seal.sha256,
        "seal": base64::engine::general_purpose::STANDARD.encode(&seal.cms),
    });
    Some(qyzmet_gateway::send_job(
        qyzmet_gateway::registry::PROVIDER,
        data.to_string(),
        now,
    ))
}

/// Checks a result message at the State Corporation: the document is the
/// named application's, its stored PDF hashes to the message's `sha256`,
/// the seal (a detached CMS) verifies over those bytes with the server's
/// document verifier, and it is the provider's: made with the server-held
/// key of the head, or by the personal certificate of an enabled head of
/// the application's provider (by IIN). A seal that merely chains to a
/// trusted CA is refused (`result-signer-unknown`). Nothing is recorded
/// when it fails.
pub async fn check_result(
    state: &AppState,
    message: &Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), (&'static str, String)> {
    use base64::Engine;
    use sha2::Digest;
    let bad = |why: &str| ("result-invalid", why.to_owned());
    let (Some(app_id), Some(code), Some(sha256), Some(seal)) = (
        message["application_id"].as_str(),
        message["document_code"].as_str(),
        message["sha256"].as_str(),
        message["seal"].as_str(),
    ) else {
        return Err(bad(
            "the result names no application, document, sha256 or seal",
        ));
    };
    let doc = match state.store().document(code).await {
        Ok(d) if d.application_id == app_id => d,
        Ok(_) | Err(qyzmet_store::StoreError::NotFound) => {
            return Err(bad("no such document of that application"))
        }
        Err(e) => {
            tracing::warn!(error = %e.detail(), "result check: store");
            return Err(("service-unavailable", "try again later".into()));
        }
    };
    let actual = hex::encode(sha2::Sha256::digest(&doc.pdf));
    if actual != sha256 || doc.sha256 != sha256 {
        return Err((
            "result-sha256-mismatch",
            "the result's sha256 is not the stored document's".into(),
        ));
    }
    let Ok(cms) = base64::engine::general_purpose::STANDARD.decode(seal) else {
        return Err(("result-seal-invalid", "the seal is not base64".into()));
    };
    let Some(verifier) = state.documents().verifier.clone() else {
        return Err((
            "result-seal-invalid",
            "no trust anchors are configured to verify the seal".into(),
        ));
    };
    let pdf = doc.pdf;
    let verified = tokio::task::spawn_blocking(move || verifier.verify(&cms, Some(&pdf), now))
        .await
        .map_err(|_| ("service-unavailable", "try again later".to_owned()))?;
    let verified = verified.map_err(|r| {
        (
            "result-seal-invalid",
            format!("the seal is refused: {}", r.code()),
        )
    })?;
    let unavailable = |e: qyzmet_store::StoreError| {
        tracing::warn!(error = %e.detail(), "result check: store");
        ("service-unavailable", "try again later".to_owned())
    };
    let server_held = state
        .documents()
        .sealer
        .as_ref()
        .and_then(|s| s.certificate())
        .is_some_and(|c| c == verified.certificate);
    if !server_held {
        let app = state.store().get(app_id).await.map_err(unavailable)?;
        let head = state
            .store()
            .user_by_iin(&verified.iin)
            .await
            .map_err(unavailable)?
            .is_some_and(|u| {
                u.role == Role::Head.code()
                    && !u.disabled
                    && u.provider.as_deref() == Some(app.row.provider.as_str())
            });
        if !head {
            return Err((
                "result-signer-unknown",
                "the seal is not the provider's head's".into(),
            ));
        }
    }
    Ok(())
}

fn is_result(request: &qyzmet_gateway::soap::Request) -> Option<Value> {
    let v: Value = serde_json::from_str(&request.data).ok()?;
    (v["kind"] == RESULT_KIND).then_some(v)
}

struct PackageSigner(AppState);

#[async_trait::async_trait]
impl qyzmet_gateway::PackageCheck for PackageSigner {
    async fn check(
        &self,
        request: &qyzmet_gateway::soap::Request,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), (String, String)> {
        if let Some(message) = is_result(request) {
            return check_result(&self.0, &message, now)
                .await
                .map_err(|(code, message)| {
                    tracing::warn!(message_id = %request.message_id, code, "result refused");
                    (code.to_owned(), message)
                });
        }
        check_package(
            &self.0,
            &request.data,
            request.package_signature.as_deref(),
            now,
        )
        .map_err(|(code, message)| {
            tracing::warn!(message_id = %request.message_id, code, "package refused");
            (code.to_owned(), message)
        })
    }

    /// A State Corporation package registered at the provider: its
    /// application records it, and the first step's clock counts from the
    /// next working morning after it (contract.md, "Time").
    ///
    /// A failure answers the sender "try again" (the message stays
    /// recorded): its retry, a repeat, registers it then. A package naming
    /// no application of this installation has nothing to register.
    async fn registered(
        &self,
        request: &qyzmet_gateway::soap::Request,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        if let Some(message) = is_result(request) {
            return self.result_received(&message, now).await;
        }
        let package: Value = serde_json::from_str(&request.data).unwrap_or(Value::Null);
        if package["channel"] != "state-corporation" {
            return Ok(());
        }
        let Some(id) = package["application_id"].as_str() else {
            return Ok(());
        };
        let command = || qyzmet_domain::case::Command::Registered;
        match crate::applications::apply_system(&self.0, id, command, now).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == "not-found" => {
                tracing::warn!(application = id, "a package for no application here");
                Ok(())
            }
            Err(e) => Err(format!("registering application {id}: {}", e.code)),
        }
    }
}

impl PackageSigner {
    /// A checked result message: its application records `result-received`
    /// once (a repeat, or a result that cannot apply, changes nothing).
    async fn result_received(
        &self,
        message: &Value,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let id = message["application_id"].as_str().unwrap_or_default();
        let command = || qyzmet_domain::case::Command::ResultReceived {
            document: message["document_code"].as_str().unwrap_or_default().into(),
            sha256: message["sha256"].as_str().unwrap_or_default().into(),
        };
        match crate::applications::apply_system(&self.0, id, command, now).await {
            Ok(_) => Ok(()),
            // A result that cannot apply (nothing waits for it, or it came
            // already); not a busy application (412), whose retry records it.
            Err(e) if e.code == "not-found" || e.status == StatusCode::CONFLICT => {
                tracing::warn!(
                    application = id,
                    code = e.code,
                    "a result that does not apply"
                );
                Ok(())
            }
            Err(e) => Err(format!("recording the result of {id}: {}", e.code)),
        }
    }
}

/// Checks a message the provider's endpoint recorded again, as of `at`
/// (with today's trust anchors, CRLs and operator certificates): a
/// package's kept CMS over its kept `data`, or a result's seal over the
/// stored document, as [`check_result`] checked it on arrival.
pub async fn recheck_inbound(
    state: &AppState,
    message_id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Result<(), &'static str>, ApiError> {
    let m = state
        .store()
        .inbound(message_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let message: Value = serde_json::from_str(&m.payload).unwrap_or(Value::Null);
    if message["kind"] == RESULT_KIND {
        return Ok(check_result(state, &message, at).await.map_err(|(c, _)| c));
    }
    Ok(check_package(state, &m.payload, m.package_signature.as_deref(), at).map_err(|(c, _)| c))
}

/// The package that carries a signed portal request to the provider
/// through the gateway (§9 process 5): `data` is exactly the bytes the
/// applicant signed, and the signature their CMS. `None` when this
/// installation has no gateway to send it through.
pub fn portal_request_job(
    state: &AppState,
    signed: &[u8],
    cms: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Option<qyzmet_store::NewJob> {
    use base64::Engine;
    state.gateway_client()?;
    let data = String::from_utf8(signed.to_vec()).ok()?;
    Some(qyzmet_gateway::signed_send_job(
        qyzmet_gateway::registry::PROVIDER,
        data,
        Some(base64::engine::general_purpose::STANDARD.encode(cms)),
        now,
    ))
}

/// `POST /gateway/provider`: the provider's endpoint at the gateway (SOAP,
/// not part of the JSON API).
pub async fn gateway_inbox(State(state): State<AppState>, body: Bytes) -> Response {
    match state.inbox() {
        Some(inbox) => {
            let check: std::sync::Arc<dyn qyzmet_gateway::PackageCheck> =
                std::sync::Arc::new(PackageSigner(state.clone()));
            inbox
                .receive_detached_with(body, state.now(), Some(check))
                .await
                .into_http()
        }
        None => axum::response::IntoResponse::into_response(ApiError::not_found()),
    }
}
