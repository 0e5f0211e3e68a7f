//! Events: what happened to a case. Serialised as contract.md's event
//! history wants it, `{"type", "data", "at", "actor"}`, with kebab-case types,
//! integer numbers only, and instants as UTC RFC 3339 with six fraction
//! digits. Each carries every deadline it needs, so a fold never asks the
//! calendar.

use super::process::{Remaining, Representative, StepCode};
use super::state::ResultKind;
use super::time;
use crate::{Channel, Iin, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The actor recorded for what the clock does by itself (tick, overdue).
pub const SYSTEM_ACTOR: &str = "system";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(flatten)]
    pub kind: EventKind,
    #[serde(with = "time")]
    pub at: DateTime<Utc>,
    /// Username of who did it, or [`SYSTEM_ACTOR`].
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "kebab-case")]
pub enum EventKind {
    /// The application was taken in (a portal one as a draft). Always first.
    Created {
        service: String,
        version: String,
        channel: Channel,
        applicant: Iin,
        representative: Option<Representative>,
        documents: Vec<String>,
        form: serde_json::Value,
        provider: String,
        #[serde(default)]
        details: serde_json::Value,
    },
    /// The applicant signed a portal draft.
    Signed {},
    /// The package was refused at intake; the receipt names what is missing.
    RejectedAtIntake { missing: Vec<String> },
    /// The package was accepted; an acceptance receipt was given.
    Accepted { missing: Vec<String> },
    /// A step's clock started.
    StepStarted {
        step: StepCode,
        role: Role,
        #[serde(with = "time")]
        started_at: DateTime<Utc>,
        #[serde(with = "time")]
        due_at: DateTime<Utc>,
    },
    /// The current step was done.
    StepCompleted { step: StepCode },
    /// The head named the responsible specialist.
    Assigned { assignee: String },
    /// The specialist drafted a motivated refusal.
    Refused {
        grounds: Vec<String>,
        reason: String,
    },
    /// The current step was sent back; a `step-started` of `to` follows.
    Returned {
        from: StepCode,
        to: StepCode,
        comment: String,
    },
    /// The current step's clock stopped with `left` to go.
    Paused {
        left: Remaining,
        /// When the pause ends by itself.
        #[serde(with = "time")]
        until: DateTime<Utc>,
        comment: Option<String>,
    },
    /// The clock restarted at `resumed_at` (the pause's end, when `auto`).
    Resumed {
        #[serde(with = "time")]
        resumed_at: DateTime<Utc>,
        #[serde(with = "time")]
        due_at: DateTime<Utc>,
        auto: bool,
    },
    /// The current step's deadline passed.
    MarkedOverdue { step: StepCode },
    /// An administrator recomputed the open step's deadline with the
    /// current calendar (after a calendar edit) and it moved. When the new
    /// deadline is still ahead, an overdue mark is lifted
    /// (`overdue_cleared`): the step is within its limit after all.
    DeadlineRecomputed {
        step: StepCode,
        #[serde(with = "time")]
        due_at: DateTime<Utc>,
        #[serde(with = "time")]
        previous_due_at: DateTime<Utc>,
        overdue_cleared: bool,
    },
    /// Likewise for a paused case: the day its pause ends by itself moved.
    PauseRecomputed {
        #[serde(with = "time")]
        until: DateTime<Utc>,
        #[serde(with = "time")]
        previous_until: DateTime<Utc>,
    },
    /// The State Corporation's package was registered at the provider
    /// (regulation §8, process 6), delivered through the gateway.
    PackageRegistered {},
    /// The provider's sealed result reached the State Corporation through
    /// the gateway (issue #9 §3): the document's code and the sha256 of
    /// its PDF, whose seal was verified on arrival.
    ResultReceived { document: String, sha256: String },
    /// The open first step's clock started again from the package's
    /// registration at the provider: the next working day's opening after
    /// it (contract.md, "Time"), later than the one counted from intake
    /// when the package was delivered on a later day. An overdue mark is
    /// lifted.
    ClockRestarted {
        step: StepCode,
        #[serde(with = "time")]
        started_at: DateTime<Utc>,
        #[serde(with = "time")]
        due_at: DateTime<Utc>,
        #[serde(with = "time")]
        previous_started_at: DateTime<Utc>,
    },
    /// The applicant withdrew the application.
    Withdrawn { reason: Option<String> },
    /// The result was issued.
    Completed { result: ResultKind },
}

impl EventKind {
    /// The `type` code.
    pub fn code(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::Signed {} => "signed",
            EventKind::RejectedAtIntake { .. } => "rejected-at-intake",
            EventKind::Accepted { .. } => "accepted",
            EventKind::StepStarted { .. } => "step-started",
            EventKind::StepCompleted { .. } => "step-completed",
            EventKind::Assigned { .. } => "assigned",
            EventKind::Refused { .. } => "refused",
            EventKind::Returned { .. } => "returned",
            EventKind::Paused { .. } => "paused",
            EventKind::Resumed { .. } => "resumed",
            EventKind::MarkedOverdue { .. } => "marked-overdue",
            EventKind::DeadlineRecomputed { .. } => "deadline-recomputed",
            EventKind::PauseRecomputed { .. } => "pause-recomputed",
            EventKind::PackageRegistered {} => "package-registered",
            EventKind::ResultReceived { .. } => "result-received",
            EventKind::ClockRestarted { .. } => "clock-restarted",
            EventKind::Withdrawn { .. } => "withdrawn",
            EventKind::Completed { .. } => "completed",
        }
    }
}
