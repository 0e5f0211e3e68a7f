//! What the engine needs from outside: the regulation's steps for one
//! channel ([`Process`]), the calendar ([`Deadlines`]) and who acts
//! ([`Actor`]). The catalog and the calendar fill these in; the engine does
//! not depend on either.

use crate::{Channel, Iin, Limit, Role};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::step::StepCode;

/// One step of a process: who does it and how long it may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDef {
    pub code: StepCode,
    pub role: Role,
    pub limit: Limit,
}

/// A regulation version as one channel runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// Service code (`meeting-permission`, …).
    pub service: String,
    /// The regulation version the case is pinned to.
    pub version: String,
    pub channel: Channel,
    /// Exactly the five steps of [`StepCode::ALL`], in that order (in the
    /// state-corporation channel `issue` is the operator's).
    pub steps: Vec<StepDef>,
    /// Whether an incomplete package is refused at intake (service A, §4).
    pub refuse_incomplete_at_intake: bool,
    /// Codes of the documents the Standard's item 9 requires.
    pub required_documents: Vec<String>,
    /// Codes of the Standard's item 10 grounds for refusal.
    pub refusal_grounds: Vec<String>,
}

impl Process {
    /// Checks the shape the engine relies on: the five steps in order.
    pub fn check(&self) -> Result<(), String> {
        let codes: Vec<StepCode> = self.steps.iter().map(|s| s.code).collect();
        if codes != StepCode::ALL {
            let got: Vec<&str> = codes.iter().map(|c| c.code()).collect();
            return Err(format!(
                "steps must be register, resolution, review, sign, issue; got [{}]",
                got.join(", ")
            ));
        }
        Ok(())
    }

    /// The index of a step in [`Process::steps`].
    pub fn index_of(&self, code: StepCode) -> Option<usize> {
        self.steps.iter().position(|s| s.code == code)
    }

    /// The role that does a step.
    pub fn role_of(&self, code: StepCode) -> Option<Role> {
        self.steps.iter().find(|s| s.code == code).map(|s| s.role)
    }

    /// Who takes applications in this channel: the office clerk, the State
    /// Corporation operator, or the applicant on the portal.
    pub fn intake_role(&self) -> Role {
        intake_role(self.channel)
    }
}

pub(crate) fn intake_role(channel: Channel) -> Role {
    match channel {
        Channel::Office => Role::Clerk,
        Channel::StateCorporation => Role::Operator,
        Channel::Portal => Role::Applicant,
    }
}

/// What is left of a step's limit when its clock stops: the calendar's own
/// type, which the engine only carries inside the events.
pub use crate::calendar::Remaining;

/// The working-time calendar, as the engine sees it. The caller implements it
/// with the real calendar; every value it gives is written into an event, so
/// a stored history folds to the same state even after the calendar changes.
pub trait Deadlines {
    /// The deadline of a step of `limit` whose clock starts at `start`.
    fn due(&self, start: DateTime<Utc>, limit: Limit) -> DateTime<Utc>;
    /// When the first step's clock starts for a package the State
    /// Corporation received at `received`: the opening of the next working day.
    fn state_corporation_start(&self, received: DateTime<Utc>) -> DateTime<Utc>;
    /// What is left of `limit` (due at `due`) when paused at `paused_at`.
    fn pause(&self, limit: Limit, due: DateTime<Utc>, paused_at: DateTime<Utc>) -> Remaining;
    /// The new deadline when the clock restarts at `at` with `left`.
    fn resume(&self, left: Remaining, at: DateTime<Utc>) -> DateTime<Utc>;
    /// When a pause begun at `paused_at` ends by itself (close of business of
    /// its 30th calendar day).
    fn pause_auto_end(&self, paused_at: DateTime<Utc>) -> DateTime<Utc>;
}

/// Who issues a command, as authentication established it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub username: String,
    pub role: Role,
    /// The person's IIN: always there for an applicant.
    pub iin: Option<Iin>,
}

/// A representative acting under a notarised power of attorney.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Representative {
    pub iin: Iin,
    pub power_of_attorney: PowerOfAttorney,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerOfAttorney {
    pub number: String,
    pub date: NaiveDate,
}
