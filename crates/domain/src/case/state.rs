//! The state of a case, as folding its events gives it.

use super::process::{Remaining, Representative, StepCode};
use super::time;
use crate::{Channel, Iin, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a case stands (contract.md, "Statuses").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A portal application not yet signed.
    Draft,
    InProgress,
    /// The current step's clock is stopped (awaiting documents).
    Paused,
    /// A result was issued; see [`Case::result`].
    Completed,
    RejectedAtIntake,
    Withdrawn,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InProgress => "in-progress",
            Status::Paused => "paused",
            Status::Completed => "completed",
            Status::RejectedAtIntake => "rejected-at-intake",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// No command changes a case in this status any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::RejectedAtIntake | Status::Withdrawn
        )
    }
}

/// The kind of result a completed case issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultKind {
    Approval,
    Refusal,
}

/// How a step instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepEnd {
    /// Done; the next step started (or, after `issue`, the case completed).
    Completed,
    /// Sent back; the previous step started again.
    Returned,
    /// The applicant withdrew while this step was open.
    Withdrawn,
}

/// One passage through a step. A returned step appears again as a new record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub code: StepCode,
    pub role: Role,
    /// When the step's clock started. At the State Corporation the first
    /// step's clock starts the next working morning, though it may be worked
    /// (and even completed) at once.
    #[serde(with = "time")]
    pub started_at: DateTime<Utc>,
    /// The deadline; a resume moves it.
    #[serde(with = "time")]
    pub due_at: DateTime<Utc>,
    /// When the step ended, however it ended (see `end`).
    #[serde(with = "time::option")]
    pub completed_at: Option<DateTime<Utc>>,
    pub end: Option<StepEnd>,
    /// Marked once the deadline passed with the step still open.
    pub overdue: bool,
    /// The basis of `due_at` once the step was resumed after a pause: the
    /// deadline is then `left` counted from `at`, not the limit from
    /// `started_at`. Kept so that a recompute after a calendar edit counts
    /// from the right point. Absent in states folded before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<ResumeBasis>,
}

/// Where a resumed step's deadline is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeBasis {
    /// When the clock restarted.
    #[serde(with = "time")]
    pub at: DateTime<Utc>,
    /// What was left of the step's limit when it was paused.
    pub left: Remaining,
}

impl StepRecord {
    pub fn is_open(&self) -> bool {
        self.completed_at.is_none()
    }
}

/// A motivated refusal drafted at `review` (contract.md, `refuse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Codes of the Standard's item 10 grounds.
    pub grounds: Vec<String>,
    pub reason: String,
    /// The specialist's username.
    pub drafted_by: String,
    #[serde(with = "time")]
    pub drafted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptKind {
    /// The package was accepted.
    Acceptance,
    /// The package was refused at intake as incomplete (Standard, appendix 3).
    Rejection,
}

/// What intake handed the applicant. The document itself (its code, PDF) is
/// made elsewhere from this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub kind: ReceiptKind,
    #[serde(with = "time")]
    pub issued_at: DateTime<Utc>,
    /// Codes of the required documents not presented: the grounds of a
    /// rejection, or, on an acceptance, what the specialist will find missing.
    pub missing: Vec<String>,
}

/// A stopped clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseState {
    #[serde(with = "time")]
    pub since: DateTime<Utc>,
    /// What was left of the step's limit.
    pub left: Remaining,
    /// When the pause ends by itself.
    #[serde(with = "time")]
    pub until: DateTime<Utc>,
    pub comment: Option<String>,
}

/// An application: everything the events say about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub service: String,
    pub version: String,
    pub channel: Channel,
    pub status: Status,
    pub applicant: Iin,
    pub representative: Option<Representative>,
    /// Codes of the documents presented at intake.
    pub documents: Vec<String>,
    pub form: serde_json::Value,
    /// The provider's code.
    pub provider: String,
    /// Intake's own record (names, language, document digests); see
    /// [`super::Intake::details`].
    #[serde(default)]
    pub details: serde_json::Value,
    /// Every step instance, oldest first.
    pub steps: Vec<StepRecord>,
    /// Index into `steps` of the open step, while in progress or paused.
    pub current: Option<usize>,
    /// The responsible specialist named at `resolution`.
    pub assignee: Option<String>,
    pub result: Option<ResultKind>,
    /// The drafted refusal, once `refuse` was done (cleared if the case is
    /// returned to `review` or before).
    pub refusal: Option<Refusal>,
    pub receipt: Option<Receipt>,
    pub paused: Option<PauseState>,
    /// When a State Corporation package was registered at the provider.
    #[serde(default, with = "time::option")]
    pub registered_at: Option<DateTime<Utc>>,
    /// When the provider's sealed result came back to the State Corporation
    /// through the gateway.
    #[serde(default, with = "time::option")]
    pub result_received_at: Option<DateTime<Utc>>,
    #[serde(with = "time")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "time")]
    pub updated_at: DateTime<Utc>,
    /// How many events made this state: the application's version (ETag).
    pub version_seq: u64,
}

impl Case {
    /// The open step.
    pub fn current_step(&self) -> Option<&StepRecord> {
        self.current.and_then(|i| self.steps.get(i))
    }

    /// The application's deadline: the current step's, while its clock runs.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            Status::InProgress => self.current_step().map(|s| s.due_at),
            _ => None,
        }
    }

    /// Whether the open step is marked overdue.
    pub fn is_overdue(&self) -> bool {
        self.current_step().is_some_and(|s| s.overdue)
    }
}
