//! The fold: events to state. It reads only the events, never the calendar
//! or the catalog, so a stored history always gives the stored state.

use super::event::{Event, EventKind};
use super::process::StepCode;
use super::state::{
    Case, PauseState, Receipt, ReceiptKind, Refusal, ResumeBasis, Status, StepEnd, StepRecord,
};

/// An event that cannot follow the state before it: a broken or forged
/// history (never one [`super::decide`] produced).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event `{event}` cannot apply: {why}")]
pub struct FoldError {
    pub event: &'static str,
    pub why: String,
}

/// Applies one event. Panics on an event that cannot follow `case`, which
/// [`super::decide`] never produces; use [`try_apply`] for untrusted input.
pub fn apply(case: Option<Case>, event: &Event) -> Case {
    try_apply(case, event).unwrap_or_else(|e| panic!("{e}"))
}

/// Folds a whole history; `None` for no events. Panics like [`apply`].
pub fn fold(events: &[Event]) -> Option<Case> {
    events.iter().fold(None, |case, e| Some(apply(case, e)))
}

/// [`fold`] that reports a broken history instead of panicking.
pub fn try_fold(events: &[Event]) -> Result<Option<Case>, FoldError> {
    events
        .iter()
        .try_fold(None, |case, e| try_apply(case, e).map(Some))
}

/// [`apply`] that reports an event that cannot follow instead of panicking.
pub fn try_apply(case: Option<Case>, event: &Event) -> Result<Case, FoldError> {
    let fail = |why: &str| FoldError {
        event: event.kind.code(),
        why: why.to_owned(),
    };
    let at = event.at;
    let mut case = match (case, &event.kind) {
        (
            None,
            EventKind::Created {
                service,
                version,
                channel,
                applicant,
                representative,
                documents,
                form,
                provider,
                details,
            },
        ) => {
            return Ok(Case {
                service: service.clone(),
                version: version.clone(),
                channel: *channel,
                status: Status::Draft,
                applicant: *applicant,
                representative: representative.clone(),
                documents: documents.clone(),
                form: form.clone(),
                provider: provider.clone(),
                details: details.clone(),
                steps: Vec::new(),
                current: None,
                assignee: None,
                result: None,
                refusal: None,
                receipt: None,
                paused: None,
                registered_at: None,
                result_received_at: None,
                created_at: at,
                updated_at: at,
                version_seq: 1,
            })
        }
        (None, _) => return Err(fail("the first event must be `created`")),
        (Some(_), EventKind::Created { .. }) => return Err(fail("the case already exists")),
        (Some(case), _) => case,
    };
    case.updated_at = at;
    case.version_seq += 1;

    match &event.kind {
        EventKind::Created { .. } => unreachable!("handled above"),
        EventKind::Signed {} => {
            if case.status != Status::Draft {
                return Err(fail("only a draft is signed"));
            }
        }
        EventKind::RejectedAtIntake { missing } => {
            if case.status != Status::Draft || !case.steps.is_empty() {
                return Err(fail("only a package not yet accepted is rejected"));
            }
            case.status = Status::RejectedAtIntake;
            case.receipt = Some(Receipt {
                kind: ReceiptKind::Rejection,
                issued_at: at,
                missing: missing.clone(),
            });
        }
        EventKind::Accepted { missing } => {
            if case.status != Status::Draft || !case.steps.is_empty() {
                return Err(fail("only a package not yet accepted is accepted"));
            }
            case.status = Status::InProgress;
            case.receipt = Some(Receipt {
                kind: ReceiptKind::Acceptance,
                issued_at: at,
                missing: missing.clone(),
            });
        }
        EventKind::StepStarted {
            step,
            role,
            started_at,
            due_at,
        } => {
            if case.status != Status::InProgress || case.current.is_some() {
                return Err(fail("a step starts only in progress with none open"));
            }
            case.steps.push(StepRecord {
                code: *step,
                role: *role,
                started_at: *started_at,
                due_at: *due_at,
                completed_at: None,
                end: None,
                overdue: false,
                resumed: None,
            });
            case.current = Some(case.steps.len() - 1);
        }
        EventKind::PackageRegistered {} => {
            if case.channel != crate::Channel::StateCorporation || case.registered_at.is_some() {
                return Err(fail("a State Corporation package is registered once"));
            }
            case.registered_at = Some(at);
        }
        EventKind::ResultReceived { .. } => {
            if case.channel != crate::Channel::StateCorporation || case.result_received_at.is_some()
            {
                return Err(fail("a State Corporation result is received once"));
            }
            case.result_received_at = Some(at);
        }
        EventKind::ClockRestarted {
            step,
            started_at,
            due_at,
            ..
        } => {
            if case.status != Status::InProgress || case.current != Some(0) {
                return Err(fail("only the open first step's clock restarts"));
            }
            let s = &mut case.steps[0];
            if s.code != *step {
                return Err(fail("the step is not the open one"));
            }
            s.started_at = *started_at;
            s.due_at = *due_at;
            s.overdue = false;
        }
        EventKind::StepCompleted { step } => {
            if case.status != Status::InProgress {
                return Err(fail("a step is completed only in progress"));
            }
            close(&mut case, *step, StepEnd::Completed, at).map_err(|w| fail(&w))?;
        }
        EventKind::Assigned { assignee } => {
            if case.current_step().map(|s| s.code) != Some(StepCode::Resolution) {
                return Err(fail("the assignee is named at `resolution`"));
            }
            case.assignee = Some(assignee.clone());
        }
        EventKind::Refused { grounds, reason } => {
            if case.current_step().map(|s| s.code) != Some(StepCode::Review) {
                return Err(fail("a refusal is drafted at `review`"));
            }
            case.refusal = Some(Refusal {
                grounds: grounds.clone(),
                reason: reason.clone(),
                drafted_by: event.actor.clone(),
                drafted_at: at,
            });
        }
        EventKind::Returned { from, to, .. } => {
            if case.status != Status::InProgress {
                return Err(fail("a step is returned only in progress"));
            }
            close(&mut case, *from, StepEnd::Returned, at).map_err(|w| fail(&w))?;
            // The refusal was a draft of `review`: sent back to it (or before),
            // the specialist decides afresh.
            if *to <= StepCode::Review {
                case.refusal = None;
                // A result decided afresh is a new document: the one received
                // before no longer stands for the decision.
                case.result_received_at = None;
            }
        }
        EventKind::Paused {
            left,
            until,
            comment,
        } => {
            if case.status != Status::InProgress || case.current.is_none() {
                return Err(fail("only a running step is paused"));
            }
            case.status = Status::Paused;
            case.paused = Some(PauseState {
                since: at,
                left: *left,
                until: *until,
                comment: comment.clone(),
            });
        }
        EventKind::Resumed {
            resumed_at, due_at, ..
        } => {
            let Some(i) = case.current.filter(|_| case.status == Status::Paused) else {
                return Err(fail("only a paused case resumes"));
            };
            case.status = Status::InProgress;
            let pause = case
                .paused
                .take()
                .ok_or_else(|| fail("no pause recorded"))?;
            case.steps[i].due_at = *due_at;
            case.steps[i].resumed = Some(ResumeBasis {
                at: *resumed_at,
                left: pause.left,
            });
        }
        EventKind::DeadlineRecomputed {
            step,
            due_at,
            overdue_cleared,
            ..
        } => {
            let Some(i) = case.current.filter(|_| case.status == Status::InProgress) else {
                return Err(fail("only a running step's deadline is recomputed"));
            };
            if case.steps[i].code != *step {
                return Err(fail("not the open step"));
            }
            case.steps[i].due_at = *due_at;
            if *overdue_cleared {
                case.steps[i].overdue = false;
            }
        }
        EventKind::PauseRecomputed { until, .. } => {
            let Some(pause) = case
                .paused
                .as_mut()
                .filter(|_| case.status == Status::Paused)
            else {
                return Err(fail("only a paused case's pause is recomputed"));
            };
            pause.until = *until;
        }
        EventKind::MarkedOverdue { step } => {
            let Some(i) = case.current else {
                return Err(fail("no step is open"));
            };
            if case.steps[i].code != *step {
                return Err(fail("not the open step"));
            }
            case.steps[i].overdue = true;
        }
        EventKind::Withdrawn { .. } => {
            if case.status.is_final() {
                return Err(fail("the case is already closed"));
            }
            if let Some(i) = case.current.take() {
                case.steps[i].completed_at = Some(at);
                case.steps[i].end = Some(StepEnd::Withdrawn);
            }
            case.paused = None;
            case.status = Status::Withdrawn;
        }
        EventKind::Completed { result } => {
            if case.status != Status::InProgress || case.current.is_some() {
                return Err(fail("a result is issued once the last step is done"));
            }
            case.status = Status::Completed;
            case.result = Some(*result);
        }
    }
    Ok(case)
}

fn close(
    case: &mut Case,
    step: StepCode,
    end: StepEnd,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let i = case.current.ok_or("no step is open")?;
    let record = &mut case.steps[i];
    if record.code != step {
        return Err(format!("the open step is `{}`, not `{step}`", record.code));
    }
    record.completed_at = Some(at);
    record.end = Some(end);
    case.current = None;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::invariants;
    use crate::{Channel, Iin, Role};
    use chrono::{Duration, TimeZone, Utc};

    fn event(kind: EventKind, minutes: i64) -> Event {
        Event {
            kind,
            at: Utc.with_ymd_and_hms(2026, 11, 17, 5, 0, 0).unwrap() + Duration::minutes(minutes),
            actor: "clerk".into(),
        }
    }

    fn created() -> Event {
        event(
            EventKind::Created {
                service: "adoption-payment".into(),
                version: "64-04-2016".into(),
                channel: Channel::Office,
                applicant: Iin::parse("871008401427").unwrap(),
                representative: None,
                documents: vec!["application".into()],
                form: serde_json::json!({}),
                provider: "karaganda-city-education".into(),
                details: serde_json::json!({}),
            },
            0,
        )
    }

    fn started(code: StepCode, minutes: i64) -> Event {
        let at = event(EventKind::Signed {}, minutes).at;
        event(
            EventKind::StepStarted {
                step: code,
                role: Role::Clerk,
                started_at: at,
                due_at: at + Duration::minutes(20),
            },
            minutes,
        )
    }

    #[test]
    fn a_good_history_folds() {
        let events = [
            created(),
            event(EventKind::Accepted { missing: vec![] }, 0),
            started(StepCode::Register, 0),
            event(
                EventKind::StepCompleted {
                    step: StepCode::Register,
                },
                5,
            ),
        ];
        // Half-way through a command's events the case may be between steps;
        // the invariants hold once the command's events are all in.
        let case = try_fold(&events[..3]).unwrap().unwrap();
        invariants(&case).unwrap();
        assert_eq!(case.version_seq, 3);
        assert_eq!(fold(&events).unwrap().current, None);
        assert_eq!(try_fold(&[]), Ok(None));
    }

    #[test]
    fn a_broken_history_is_reported_not_folded() {
        let err = try_fold(&[started(StepCode::Register, 0)]).unwrap_err();
        assert_eq!(err.event, "step-started");
        assert!(try_fold(&[created(), created()]).is_err());
        // A step cannot start before the package is accepted.
        assert!(try_fold(&[created(), started(StepCode::Register, 0)]).is_err());
        let wrong_step = [
            created(),
            event(EventKind::Accepted { missing: vec![] }, 0),
            started(StepCode::Register, 0),
            event(
                EventKind::StepCompleted {
                    step: StepCode::Review,
                },
                5,
            ),
        ];
        let err = try_fold(&wrong_step).unwrap_err();
        assert!(err.to_string().contains("not `review`"), "{err}");
        let completed_twice = [
            created(),
            event(
                EventKind::Completed {
                    result: crate::case::ResultKind::Approval,
                },
                1,
            ),
        ];
        assert!(try_fold(&completed_twice).is_err());
    }

    #[test]
    #[should_panic(expected = "the first event must be `created`")]
    fn apply_panics_on_what_decide_never_makes() {
        apply(None, &event(EventKind::Signed {}, 0));
    }
}
