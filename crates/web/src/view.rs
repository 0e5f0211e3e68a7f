//! What the API shows of an application (contract.md,
//! `GET /api/v1/applications/{id}`), built from the stored row and the
//! folded case. Times are local (Asia/Almaty) with their offset.

use qyzmet_domain::calendar::{format_time, ZONE};
use qyzmet_domain::case::{next_actions, Case, Process, ReceiptKind, ResultKind, Status};
use qyzmet_store::Application;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// An instant as the API shows it.
pub fn local(t: chrono::DateTime<chrono::Utc>) -> String {
    format_time(&t.with_timezone(&ZONE))
}

/// The purpose a document of `purpose` is stored under for the case as it
/// stands. A result is drafted each time the review is completed: the first
/// draft is `result`, one made after the case came back to `review` (and
/// was decided afresh) is `result-2`, and so on, so a result sealed before
/// the return is kept as it was and never stands for the new decision.
pub fn document_purpose(case: &qyzmet_domain::case::Case, purpose: &str) -> String {
    if purpose != "result" {
        return purpose.to_owned();
    }
    let reviews = case
        .steps
        .iter()
        .filter(|s| {
            s.code == qyzmet_domain::step::StepCode::Review
                && s.end == Some(qyzmet_domain::case::StepEnd::Completed)
        })
        .count();
    if reviews <= 1 {
        "result".to_owned()
    } else {
        format!("result-{reviews}")
    }
}

/// The code of a document of an application (its receipt, its result):
/// derived from the application's random id, so it cannot be guessed from
/// the number, and stable, so it needs no table of its own.
pub fn document_code(application_id: &str, purpose: &str) -> String {
    let h = Sha256::digest(format!("{application_id}:{purpose}").as_bytes());
    hex::encode(&h[..10])
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    /// Human-readable number, e.g. `KZ-2026-000001`.
    pub number: String,
    pub service: String,
    /// The regulation version the application is handled under.
    pub version: String,
    pub channel: String,
    pub provider: String,
    /// `draft`, `in-progress`, `paused`, `completed`, `rejected-at-intake`, `withdrawn`.
    pub status: String,
    /// The current step's code while one is open.
    pub step: Option<String>,
    /// The current step's deadline while its clock runs.
    pub due_at: Option<String>,
    pub overdue: bool,
    pub assignee: Option<String>,
    pub applicant: ApplicantView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representative: Option<RepresentativeView>,
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    pub documents: Vec<DocumentView>,
    pub steps: Vec<StepView>,
    /// What may be done next, by whom, with which body fields; the same
    /// whoever asks.
    pub actions: Vec<ActionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<RefusalView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<PauseView>,
    pub created_at: String,
    pub updated_at: String,
    /// A portal draft's: base64 of the exact bytes the applicant signs
    /// (`POST /api/v1/applications/{id}/signature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_sign: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantView {
    pub iin: String,
    pub name: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RepresentativeView {
    pub iin: String,
    /// As the individuals database holds it, where it was asked (the State
    /// Corporation, the portal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub power_of_attorney: PowerOfAttorneyView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PowerOfAttorneyView {
    pub number: String,
    pub date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub kind: String,
    pub name: Option<String>,
    /// Set when an electronic copy was attached.
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub code: String,
    pub role: String,
    pub started_at: String,
    pub due_at: String,
    pub completed_at: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub action: String,
    pub role: String,
    pub requires: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    /// `approval` or `refusal`.
    pub kind: String,
    /// The result document's code (`GET /api/v1/documents/{code}`).
    pub document: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    /// `acceptance`, or `rejection` (refused at intake).
    pub kind: String,
    pub document: String,
    pub issued_at: String,
    /// Required documents missing from the package.
    pub missing: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalView {
    pub grounds: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PauseView {
    pub since: String,
    pub until: String,
    pub comment: Option<String>,
}

fn detail_str(case: &Case, path: &[&str]) -> Option<String> {
    let mut v = &case.details;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str().map(str::to_owned)
}

/// The view of a stored application; `process` is its version's process in
/// its channel (for the next actions).
pub fn application(app: &Application, case: &Case, process: &Process) -> ApplicationView {
    let attached: Vec<&serde_json::Value> = case
        .details
        .get("documents")
        .and_then(|d| d.as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let documents = case
        .documents
        .iter()
        .map(|kind| {
            let meta = attached
                .iter()
                .find(|d| d.get("kind").and_then(|k| k.as_str()) == Some(kind));
            DocumentView {
                kind: kind.clone(),
                name: meta
                    .and_then(|d| d.get("name"))
                    .and_then(|n| n.as_str())
                    .map(str::to_owned),
                sha256: meta
                    .and_then(|d| d.get("sha256"))
                    .and_then(|n| n.as_str())
                    .map(str::to_owned),
                size: meta.and_then(|d| d.get("size")).and_then(|n| n.as_u64()),
            }
        })
        .collect();
    let mut view = ApplicationView {
        id: app.id.clone(),
        number: app.number.clone(),
        service: case.service.clone(),
        version: case.version.clone(),
        channel: case.channel.code().to_owned(),
        provider: case.provider.clone(),
        status: case.status.code().to_owned(),
        step: case.current_step().map(|s| s.code.code().to_owned()),
        due_at: case.due_at().map(local),
        // As the list's `overdue` filter has it: only a running clock is
        // overdue (the step keeps its mark in `steps`).
        overdue: case.status == Status::InProgress && case.is_overdue(),
        assignee: case.assignee.clone(),
        applicant: ApplicantView {
            iin: case.applicant.to_string(),
            name: detail_str(case, &["applicant", "name"]),
            language: detail_str(case, &["applicant", "language"]),
        },
        representative: case.representative.as_ref().map(|r| RepresentativeView {
            iin: r.iin.to_string(),
            name: detail_str(case, &["representative", "name"]),
            power_of_attorney: PowerOfAttorneyView {
                number: r.power_of_attorney.number.clone(),
                date: r.power_of_attorney.date.to_string(),
            },
        }),
        form: case.form.clone(),
        documents,
        steps: case
            .steps
            .iter()
            .map(|s| StepView {
                code: s.code.code().to_owned(),
                role: s.role.code().to_owned(),
                started_at: local(s.started_at),
                due_at: local(s.due_at),
                completed_at: s.completed_at.map(local),
                overdue: s.overdue,
            })
            .collect(),
        actions: next_actions(case, process)
            .into_iter()
            .map(|a| ActionView {
                action: a.action.code().to_owned(),
                role: a.role.code().to_owned(),
                requires: a.requires.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect(),
        result: case.result.map(|r| ResultView {
            kind: match r {
                ResultKind::Approval => "approval",
                ResultKind::Refusal => "refusal",
            }
            .to_owned(),
            document: document_code(&app.id, &document_purpose(case, "result")),
        }),
        receipt: case.receipt.as_ref().map(|r| ReceiptView {
            kind: match r.kind {
                ReceiptKind::Acceptance => "acceptance",
                ReceiptKind::Rejection => "rejection",
            }
            .to_owned(),
            document: document_code(&app.id, "receipt"),
            issued_at: local(r.issued_at),
            missing: r.missing.clone(),
        }),
        refusal: case.refusal.as_ref().map(|r| RefusalView {
            grounds: r.grounds.clone(),
            reason: r.reason.clone(),
        }),
        paused: case.paused.as_ref().map(|p| PauseView {
            since: local(p.since),
            until: local(p.until),
            comment: p.comment.clone(),
        }),
        created_at: local(case.created_at),
        updated_at: local(case.updated_at),
        to_sign: None,
    };
    if case.status == Status::Draft {
        view.to_sign = Some(crate::signature::to_sign_base64(&view));
    }
    view
}
