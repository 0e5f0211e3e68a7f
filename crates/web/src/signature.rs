//! Portal signing (contract.md "Portal signing"): the bytes a draft's
//! applicant signs (`to_sign`), and `POST /api/v1/applications/{id}/signature`
//! which verifies the CMS, keeps it with the application and submits it.
//!
//! `to_sign` is the RFC 8785 (JCS) serialisation of the draft as the
//! applicant filed it: `{"purpose":"qyzmet-application/1", "id", "number",
//! "service", "version", "channel", "provider", "applicant", "representative"
//! (when one applies), "form", "documents":[{"kind","name","sha256","size"}],
//! "created_at"}`. A draft does not change before it is signed, so the bytes
//! are the same on every read; anyone can rebuild them from the application.
//!
//! Whose certificate: the person who signs on the portal is the logged-in
//! applicant account, which is the applicant or, when one applies for them
//! under a power of attorney, the representative. The certificate's IIN must
//! be that person's IIN (`iin-mismatch` otherwise); the case engine then
//! checks that this person is the applicant or the representative.
//!
//! Once submitted, the signed request goes to the provider through the
//! gateway like a State Corporation package (§9 process 5): an outbox job
//! written with the submission, whose `data` is `to_sign` and whose package
//! signature is the applicant's CMS (see `registry::check_package`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use qyzmet_domain::case::{self, decide, Command};
use qyzmet_pki::{Refusal, Verifier};
use qyzmet_store::{Application, Change, NewSignature, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::applications::{command_error, new_events, process_of, row_of, visible, with_etag};
use crate::auth::Principal;
use crate::json::{parse_json, require_json};
use crate::problem::ApiError;
use crate::view::{self, ApplicationView};
use crate::AppState;

/// The bytes a draft's applicant signs (see the module's description).
pub fn to_sign(v: &ApplicationView) -> Vec<u8> {
    let mut doc = json!({
        "purpose": "qyzmet-application/1",
        "id": v.id,
        "number": v.number,
        "service": v.service,
        "version": v.version,
        "channel": v.channel,
        "provider": v.provider,
        "applicant": {"iin": v.applicant.iin, "name": v.applicant.name, "language": v.applicant.language},
        "form": v.form,
        "documents": v.documents.iter().map(|d| json!({
            "kind": d.kind, "name": d.name, "sha256": d.sha256, "size": d.size,
        })).collect::<Vec<_>>(),
        "created_at": v.created_at,
    });
    if let Some(r) = &v.representative {
        doc["representative"] = json!({
            "iin": r.iin,
            "power_of_attorney": {"number": r.power_of_attorney.number, "date": r.power_of_attorney.date},
        });
    }
    // Serialising a JSON value built here cannot fail; fall back to serde's
    // own (also deterministic for this shape) just in case.
    qyzmet_domain::audit::canonical_json(&doc)
        .unwrap_or_else(|_| doc.to_string())
        .into_bytes()
}

/// Base64 of [`to_sign`], as the draft's view shows it.
pub fn to_sign_base64(v: &ApplicationView) -> String {
    base64::engine::general_purpose::STANDARD.encode(to_sign(v))
}

#[derive(Deserialize, ToSchema)]
pub struct SignatureBody {
    /// Base64 of a CMS SignedData (DER), `to_sign` attached or detached.
    pub cms: String,
}

fn refused(r: &Refusal) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code())
}

/// Sign a portal draft: verifies the CMS over `to_sign` and submits the application
#[utoipa::path(post, path = "/api/v1/applications/{id}/signature", tag = "applications",
    request_body = SignatureBody,
    responses((status = 200, body = ApplicationView),
        (status = 409, body = crate::problem::Problem),
        (status = 422, description = "cms-malformed, signature-invalid, certificate-expired, certificate-not-yet-valid, certificate-revoked, certificate-untrusted, certificate-no-iin, key-usage, iin-mismatch, unsupported-algorithm", body = crate::problem::Problem)))]
pub async fn sign(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (app, case) = visible(&state, &who, &id).await?;
    require_json(&headers)?;
    let raw: Value = parse_json(&body)?;
    let b64 = raw.get("cms").and_then(|c| c.as_str()).ok_or_else(|| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "body-invalid")
            .with_detail("send {\"cms\": BASE64}")
    })?;
    let compact: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let cms = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| refused(&Refusal::CmsMalformed("not base64")))?;
    let process = process_of(&state, &case)?;

    // The same signature sent again after it was accepted: answer as the
    // first time did (a retry after a lost response must not fail).
    if case.status != case::Status::Draft {
        let again = state
            .store()
            .signatures(&app.id)
            .await?
            .iter()
            .any(|s| s.signature.cms == cms);
        if again {
            return Ok(with_etag(view::application(&app, &case, &process), app.rev));
        }
    }

    // Who may sign, and whether the draft can be submitted now, before any
    // cryptography.
    let now = state.now();
    let events = decide(
        Some(&case),
        &process,
        &*state.calendar(),
        &who.actor(),
        Command::Submit,
        now,
    )
    .map_err(command_error)?;
    // The form as it holds on the day it is submitted: a draft signed days
    // after it was made may ask for a meeting on a day now past.
    let catalog = state.catalog();
    if let Some(version) = catalog.version(&case.service, &case.version) {
        let today = crate::applications::local_date(now);
        if let Err(errors) = version.validate_form(&case.form, today) {
            return Err(crate::applications::form_invalid(
                "the draft's form no longer holds today: withdraw it and apply again",
                errors,
            ));
        }
    }

    let content = to_sign(&view::application(&app, &case, &process));
    let verified = state
        .verifier()
        .verify(&cms, Some(&content), now)
        .map_err(|r| refused(&r))?;
    if who.iin.map(|i| i.to_string()).as_deref() != Some(verified.iin.as_str()) {
        return Err(refused(&Refusal::IinMismatch));
    }

    // The signed request goes on to the provider through the gateway, the
    // same way as a State Corporation package (§9 process 5).
    let to_provider = crate::registry::portal_request_job(&state, &content, &cms, now);

    // Kept first: should the submission below lose a race, the record of a
    // valid signature made for this draft does no harm.
    state
        .store()
        .add_signature(NewSignature {
            application_id: app.id.clone(),
            cms,
            content,
            certificate: verified.certificate.clone(),
            serial: verified.serial.clone(),
            issuer: verified.issuer.clone(),
            subject: verified.holder.subject.clone(),
            iin: verified.iin.clone(),
            signing_time: verified.signing_time,
            verdict: "valid".into(),
            algorithm: verified.algorithm.clone(),
            verified_at: now,
        })
        .await?;

    let before = case.clone();
    let next = events.iter().fold(case, |c, e| case::apply(Some(c), e));
    let row = row_of(&next, &app.row.intake_actor)?;
    let new_rev = app.rev + 1;
    // The signed application is accepted: its receipt is rendered like any
    // other (a job in the same transaction).
    let jobs = crate::documents::jobs_after(&state, Some(&before), &next, &app.id, new_rev, now)
        .into_iter()
        .chain(to_provider)
        .collect();
    let change = Change {
        events: new_events(&events)?,
        row: row.clone(),
        jobs,
        idempotency: None,
        attachments: Vec::new(),
        follows: Some(app.head.clone()),
    };
    match state.store().append(&app.id, app.rev, change).await {
        Ok(_) => {}
        Err(StoreError::Stale) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "action-conflict")
                .with_detail("the application changed meanwhile; read it again"))
        }
        Err(e) => return Err(e.into()),
    }
    let view_app = Application {
        id: app.id.clone(),
        number: app.number.clone(),
        rev: new_rev,
        row,
        // The view shows no chain.
        head: app.head.clone(),
    };
    Ok(with_etag(
        view::application(&view_app, &next, &process),
        new_rev,
    ))
}

/// Judges a stored signature again as of `at` (with the verifier's current
/// anchors and CRLs): what `audit`-style re-checks use.
pub fn recheck(
    verifier: &Verifier,
    sig: &NewSignature,
    at: chrono::DateTime<chrono::Utc>,
) -> &'static str {
    match verifier.verify(&sig.cms, Some(&sig.content), at) {
        Ok(v) if v.iin == sig.iin => "valid",
        Ok(_) => Refusal::IinMismatch.code(),
        Err(r) => r.code(),
    }
}
