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
    if !matches!(who.role, Role::Operator | Role::Admin) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden")
            .with_detail("registry lookups are for State Corporation operators"));
    }
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
    if let Some(r) = representative {
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
                if rec.attorney_iin != r.iin.to_string() || rec.date != r.power_of_attorney.date {
                    return Err(unprocessable(
                        "power-of-attorney-mismatch",
                        "the power of attorney names another representative or date",
                    ));
                }
            }
        }
    }
    Ok(person)
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

/// The provider's check of a package's signature: the CMS must verify
/// over `data` with the server's PKI verifier (trusted chain, not revoked,
/// valid now). A package without one is refused when this installation
/// signs its own packages, and otherwise accepted as before (logged).
struct OperatorCms(AppState);

impl qyzmet_gateway::PackageCheck for OperatorCms {
    fn check(
        &self,
        request: &qyzmet_gateway::soap::Request,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), (String, String)> {
        use base64::Engine;
        let refuse = |code: &str, message: &str| Err((code.to_owned(), message.to_owned()));
        let Some(b64) = &request.package_signature else {
            if self.0.operator_signer().is_some() {
                return refuse("package-unsigned", "the package carries no signature");
            }
            tracing::warn!(
                message_id = %request.message_id,
                "package accepted without a signature: no operator key is configured"
            );
            return Ok(());
        };
        let Ok(cms) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            return refuse("package-signature-invalid", "the signature is not base64");
        };
        match self
            .0
            .verifier()
            .verify(&cms, Some(request.data.as_bytes()), now)
        {
            Ok(v) => {
                tracing::info!(
                    message_id = %request.message_id,
                    signer_iin = %v.iin,
                    serial = %v.serial,
                    "package signature verified"
                );
                Ok(())
            }
            Err(r) => refuse(
                "package-signature-invalid",
                &format!("the package's signature is refused: {}", r.code()),
            ),
        }
    }
}

/// `POST /gateway/provider`: the provider's endpoint at the gateway (SOAP,
/// not part of the JSON API).
pub async fn gateway_inbox(State(state): State<AppState>, body: Bytes) -> Response {
    match state.inbox() {
        Some(inbox) => {
            let check: std::sync::Arc<dyn qyzmet_gateway::PackageCheck> =
                std::sync::Arc::new(OperatorCms(state.clone()));
            inbox
                .receive_detached_with(body, state.now(), Some(check))
                .await
                .into_http()
        }
        None => axum::response::IntoResponse::into_response(ApiError::not_found()),
    }
}
