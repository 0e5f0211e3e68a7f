//! What must hold of every case the engine makes. Tests check it after
//! every command; the audit can check stored states with it too.

use super::process::StepCode;
use super::state::{Case, ReceiptKind, ResultKind, Status, StepEnd};
use crate::Channel;

/// `Ok` when the case is consistent, else the first thing wrong.
pub fn invariants(case: &Case) -> Result<(), String> {
    let open: Vec<usize> = (0..case.steps.len())
        .filter(|&i| case.steps[i].is_open())
        .collect();
    let working = matches!(case.status, Status::InProgress | Status::Paused);
    if working {
        let last = case.steps.len().checked_sub(1);
        if open != [last.ok_or("in progress with no step")?] || case.current != last {
            return Err(format!(
                "{}: the last step must be the one open (open {open:?}, current {:?})",
                case.status.code(),
                case.current
            ));
        }
    } else if !open.is_empty() || case.current.is_some() {
        return Err(format!("{}: a step is open", case.status.code()));
    }
    if (case.status == Status::Paused) != case.paused.is_some() {
        return Err("a pause is recorded exactly while paused".into());
    }
    if (case.status == Status::Completed) != case.result.is_some() {
        return Err("a result is recorded exactly when completed".into());
    }
    if let Some(result) = case.result {
        if (result == ResultKind::Refusal) != case.refusal.is_some() {
            return Err("the result is a refusal exactly when one was drafted".into());
        }
        let last = case.steps.last().ok_or("completed with no steps")?;
        if last.code != StepCode::Issue || last.end != Some(StepEnd::Completed) {
            return Err("completed without `issue` done".into());
        }
    }
    match case.status {
        Status::Draft | Status::RejectedAtIntake if !case.steps.is_empty() => {
            return Err(format!("{} with steps", case.status.code()));
        }
        Status::Draft if case.channel != Channel::Portal || case.receipt.is_some() => {
            return Err("only an unsigned portal application is a draft".into());
        }
        Status::RejectedAtIntake => match &case.receipt {
            Some(r) if r.kind == ReceiptKind::Rejection && !r.missing.is_empty() => {}
            _ => return Err("a rejection at intake names the missing documents".into()),
        },
        Status::InProgress | Status::Paused | Status::Completed => {
            match &case.receipt {
                Some(r) if r.kind == ReceiptKind::Acceptance => {}
                _ => return Err("an accepted case has an acceptance receipt".into()),
            }
            if case.steps.first().map(|s| s.code) != Some(StepCode::Register) {
                return Err("the first step is `register`".into());
            }
        }
        _ => {}
    }
    if case.status == Status::Withdrawn && case.result.is_some() {
        return Err("withdrawn after a result".into());
    }
    for (i, s) in case.steps.iter().enumerate() {
        if s.completed_at.is_some() != s.end.is_some() {
            return Err(format!("step {i}: ended without a way, or the reverse"));
        }
        // At the State Corporation the first step may be worked before its
        // clock starts (next working morning).
        let early_ok = i == 0 && case.channel == Channel::StateCorporation;
        if let Some(done) = s.completed_at {
            if done < s.started_at && !early_ok {
                return Err(format!("step {i} ({}) ended before it started", s.code));
            }
        }
        if s.due_at < s.started_at {
            return Err(format!("step {i} ({}) is due before it starts", s.code));
        }
        if s.code > StepCode::Resolution && case.assignee.is_none() {
            return Err(format!("step {i} ({}) with no assignee", s.code));
        }
        if let Some(next) = case.steps.get(i + 1) {
            let expected = match s.end {
                Some(StepEnd::Completed) => successor(s.code),
                Some(StepEnd::Returned) => predecessor(s.code),
                _ => None,
            };
            if expected != Some(next.code) {
                return Err(format!(
                    "step {} ({}) cannot follow {}",
                    i + 1,
                    next.code,
                    s.code
                ));
            }
            if next.started_at < s.completed_at.unwrap_or(s.started_at) && !(early_ok && i == 0) {
                return Err(format!("step {} starts before step {i} ended", i + 1));
            }
        }
    }
    if let Some(r) = &case.refusal {
        let at = case.steps.last().map(|s| s.code);
        if r.grounds.is_empty() || r.reason.is_empty() {
            return Err("a refusal without grounds or reason".into());
        }
        if at.is_none_or(|c| c <= StepCode::Review) {
            return Err("a refusal drafted yet the case is not past `review`".into());
        }
    }
    if case.created_at > case.updated_at {
        return Err("updated before created".into());
    }
    Ok(())
}

fn successor(code: StepCode) -> Option<StepCode> {
    let i = StepCode::ALL.iter().position(|&c| c == code)?;
    StepCode::ALL.get(i + 1).copied()
}

fn predecessor(code: StepCode) -> Option<StepCode> {
    let i = StepCode::ALL.iter().position(|&c| c == code)?;
    i.checked_sub(1).map(|p| StepCode::ALL[p])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::state::{Receipt, StepRecord};
    use crate::{Iin, Role};
    use chrono::{TimeZone, Utc};

    fn in_progress() -> Case {
        let at = Utc.with_ymd_and_hms(2026, 11, 17, 5, 0, 0).unwrap();
        Case {
            service: "adoption-payment".into(),
            version: "64-04-2016".into(),
            channel: Channel::Office,
            status: Status::InProgress,
            applicant: Iin::parse("871008401427").unwrap(),
            representative: None,
            documents: vec![],
            form: serde_json::json!({}),
            provider: "karaganda-city-education".into(),
            details: serde_json::json!({}),
            steps: vec![StepRecord {
                code: StepCode::Register,
                role: Role::Clerk,
                started_at: at,
                due_at: at,
                completed_at: None,
                end: None,
                overdue: false,
                resumed: None,
            }],
            current: Some(0),
            assignee: None,
            result: None,
            refusal: None,
            receipt: Some(Receipt {
                kind: ReceiptKind::Acceptance,
                issued_at: at,
                missing: vec![],
            }),
            paused: None,
            registered_at: None,
            result_received_at: None,
            created_at: at,
            updated_at: at,
            version_seq: 3,
        }
    }

    #[test]
    fn catches_broken_states() {
        let good = in_progress();
        invariants(&good).unwrap();

        let mut c = good.clone();
        c.current = None;
        assert!(invariants(&c).is_err());

        let mut c = good.clone();
        c.result = Some(ResultKind::Approval);
        assert!(invariants(&c).is_err());

        let mut c = good.clone();
        c.status = Status::Paused;
        assert!(invariants(&c).unwrap_err().contains("pause"));

        let mut c = good.clone();
        c.status = Status::Withdrawn;
        assert!(invariants(&c).unwrap_err().contains("open"));

        let mut c = good.clone();
        c.steps[0].code = StepCode::Sign;
        assert!(invariants(&c).is_err());

        let mut c = good;
        c.status = Status::Draft;
        c.current = None;
        c.steps.clear();
        assert!(invariants(&c).unwrap_err().contains("draft"));
    }
}
