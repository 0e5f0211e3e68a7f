//! The case engine through its public API: whole lifecycles of the three
//! services on their channels, the role and field errors, and random command
//! sequences that must never break a case.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use qyzmet_domain::case::{
    apply, decide, fold, invariants, next_actions, Action, Actor, Case, Command, CommandError,
    Deadlines, Event, EventKind, Intake, PowerOfAttorney, Process, ReceiptKind, Remaining,
    Representative, ResultKind, Status, StepCode, StepDef, StepEnd,
};
use qyzmet_domain::{Channel, Iin, Limit, Role};
use serde_json::json;

// ---------------------------------------------------------------------------
// Test double for the calendar: no working hours, no holidays. A minute is a
// minute and a day (working or calendar) is 24 hours; the State Corporation
// starts the next calendar day at 09:00 +05 (04:00 UTC); a pause keeps the
// seconds left; a pause ends by itself after 30 × 24 hours.
struct FakeCalendar;

fn span(limit: Limit) -> Duration {
    match limit {
        Limit::Minutes(n) => Duration::minutes(n.into()),
        Limit::WorkingDays(n) | Limit::CalendarDays(n) => Duration::days(n.into()),
    }
}

impl Deadlines for FakeCalendar {
    fn due(&self, start: DateTime<Utc>, limit: Limit) -> DateTime<Utc> {
        start + span(limit)
    }

    fn state_corporation_start(&self, received: DateTime<Utc>) -> DateTime<Utc> {
        let next = received.date_naive() + Duration::days(1);
        next.and_hms_opt(4, 0, 0).unwrap().and_utc()
    }

    fn pause(&self, _limit: Limit, due: DateTime<Utc>, paused_at: DateTime<Utc>) -> Remaining {
        Remaining::WorkingSeconds((due - paused_at).num_seconds().max(0) as u64)
    }

    fn resume(&self, left: Remaining, at: DateTime<Utc>) -> DateTime<Utc> {
        match left {
            Remaining::WorkingSeconds(s) => at + Duration::seconds(s as i64),
            Remaining::WorkingDays(d) | Remaining::CalendarDays(d) => at + Duration::days(d.into()),
        }
    }

    fn pause_auto_end(&self, paused_at: DateTime<Utc>) -> DateTime<Utc> {
        paused_at + Duration::days(30)
    }
}
// ---------------------------------------------------------------------------

const APPLICANT: &str = "871008401427";
const OTHER: &str = "760212350620";

fn iin(s: &str) -> Iin {
    Iin::parse(s).unwrap()
}

fn t0() -> DateTime<Utc> {
    // Tuesday 2026-11-17, 10:00 in Almaty.
    Utc.with_ymd_and_hms(2026, 11, 17, 5, 0, 0).unwrap()
}

fn step(code: StepCode, role: Role, limit: Limit) -> StepDef {
    StepDef { code, role, limit }
}

/// Service A (meeting permission), office or State Corporation.
fn process_a(channel: Channel) -> Process {
    let issuer = if channel == Channel::StateCorporation {
        Role::Operator
    } else {
        Role::Clerk
    };
    Process {
        service: "meeting-permission".into(),
        version: "20-02-2018".into(),
        channel,
        steps: vec![
            step(StepCode::Register, Role::Clerk, Limit::Minutes(15)),
            step(StepCode::Resolution, Role::Head, Limit::Minutes(30)),
            step(StepCode::Review, Role::Specialist, Limit::WorkingDays(2)),
            step(StepCode::Sign, Role::Head, Limit::Minutes(30)),
            step(StepCode::Issue, issuer, Limit::CalendarDays(1)),
        ],
        refuse_incomplete_at_intake: true,
        required_documents: vec![
            "application".into(),
            "identity-document".into(),
            "psychologist-opinion".into(),
        ],
        refusal_grounds: vec!["false-documents".into(), "negative-influence".into()],
    }
}

/// Service B (foster-care payment) or C (adoption payment), office or portal.
fn process_bc(service: &str, channel: Channel) -> Process {
    let (review, sign) = if service == "foster-care-payment" {
        (Limit::WorkingDays(3), Limit::Minutes(30))
    } else {
        (Limit::WorkingDays(5), Limit::WorkingDays(1))
    };
    Process {
        service: service.into(),
        version: "64-04-2016".into(),
        channel,
        steps: vec![
            step(StepCode::Register, Role::Clerk, Limit::Minutes(20)),
            step(StepCode::Resolution, Role::Head, Limit::WorkingDays(1)),
            step(StepCode::Review, Role::Specialist, review),
            step(StepCode::Sign, Role::Head, sign),
            step(StepCode::Issue, Role::Clerk, Limit::Minutes(15)),
        ],
        refuse_incomplete_at_intake: false,
        required_documents: vec!["application".into(), "court-decision".into()],
        refusal_grounds: vec!["not-eligible".into(), "false-documents".into()],
    }
}

fn staff(role: Role) -> Actor {
    Actor {
        username: role.code().into(),
        role,
        iin: None,
    }
}

fn applicant(s: &str) -> Actor {
    Actor {
        username: s.into(),
        role: Role::Applicant,
        iin: Some(iin(s)),
    }
}

fn complete() -> Command {
    Command::Complete { assignee: None }
}

fn assign(who: &str) -> Command {
    Command::Complete {
        assignee: Some(who.into()),
    }
}

/// A case under test: its process, its events, its state, checked at every
/// step.
struct Run {
    process: Process,
    events: Vec<Event>,
    case: Option<Case>,
    now: DateTime<Utc>,
}

impl Run {
    fn new(process: Process) -> Self {
        Run {
            process,
            events: Vec::new(),
            case: None,
            now: t0(),
        }
    }

    fn at(&mut self, now: DateTime<Utc>) -> &mut Self {
        self.now = now;
        self
    }

    fn later(&mut self, d: Duration) -> &mut Self {
        self.now += d;
        self
    }

    fn try_do(&mut self, actor: &Actor, cmd: Command) -> Result<Vec<Event>, CommandError> {
        self.try_do_on(&FakeCalendar, actor, cmd)
    }

    /// With another calendar: the one an administrator's edit made.
    fn try_do_on(
        &mut self,
        deadlines: &dyn Deadlines,
        actor: &Actor,
        cmd: Command,
    ) -> Result<Vec<Event>, CommandError> {
        let events = decide(
            self.case.as_ref(),
            &self.process,
            deadlines,
            actor,
            cmd,
            self.now,
        )?;
        for e in &events {
            self.case = Some(apply(self.case.take(), e));
        }
        self.events.extend(events.iter().cloned());
        let case = self.case.as_ref().unwrap();
        invariants(case).unwrap_or_else(|e| panic!("{e}: {case:#?}"));
        assert_eq!(fold(&self.events).as_ref(), Some(case));
        assert_eq!(case.version_seq, self.events.len() as u64);
        Ok(events)
    }

    fn ok(&mut self, actor: &Actor, cmd: Command) -> Vec<EventKind> {
        self.try_do(actor, cmd)
            .unwrap_or_else(|e| panic!("refused: {e}"))
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    fn err(&mut self, actor: &Actor, cmd: Command) -> CommandError {
        let before = self.events.len();
        let e = self.try_do(actor, cmd).expect_err("should be refused");
        assert_eq!(self.events.len(), before);
        e
    }

    fn case(&self) -> &Case {
        self.case.as_ref().unwrap()
    }

    fn step(&self) -> StepCode {
        self.case().current_step().unwrap().code
    }

    fn intake(&mut self, actor: &Actor, documents: &[&str]) -> Vec<EventKind> {
        let channel = self.process.channel;
        self.ok(actor, intake_cmd(channel, documents))
    }
}

fn intake_cmd(channel: Channel, documents: &[&str]) -> Command {
    Command::Intake(Intake {
        channel,
        applicant: iin(APPLICANT),
        representative: None,
        documents: documents.iter().map(|d| d.to_string()).collect(),
        form: json!({"child_iin": "200315500017", "children": 1}),
        provider: "karaganda-city-education".into(),
        details: json!({}),
    })
}

const A_DOCS: &[&str] = &["application", "identity-document", "psychologist-opinion"];
const BC_DOCS: &[&str] = &["application", "court-decision"];
const ALL_DOCS: &[&str] = &[
    "application",
    "identity-document",
    "psychologist-opinion",
    "court-decision",
];

fn is_forbidden(e: &CommandError) -> bool {
    matches!(e, CommandError::Forbidden { .. }) && e.code() == "action-forbidden"
}

fn is_conflict(e: &CommandError) -> bool {
    matches!(e, CommandError::Conflict { .. }) && e.code() == "action-conflict"
}

fn is_invalid(e: &CommandError, field: &str) -> bool {
    matches!(e, CommandError::Invalid { field: f, .. } if *f == field)
        && e.code() == "field-invalid"
}

/// Takes an accepted case from `register` to `review`.
fn to_review(run: &mut Run) {
    run.later(Duration::minutes(5))
        .ok(&staff(Role::Clerk), complete());
    run.later(Duration::minutes(10))
        .ok(&staff(Role::Head), assign("specialist"));
    assert_eq!(run.step(), StepCode::Review);
}

#[test]
fn office_approval_goes_through_every_step() {
    let mut run = Run::new(process_a(Channel::Office));
    let events = run.intake(&staff(Role::Clerk), A_DOCS);
    assert!(matches!(&events[0], EventKind::Created { .. }));
    assert!(matches!(&events[1], EventKind::Accepted { missing } if missing.is_empty()));
    let case = run.case();
    assert_eq!(case.status, Status::InProgress);
    assert_eq!(case.receipt.as_ref().unwrap().kind, ReceiptKind::Acceptance);
    assert_eq!(case.steps[0].started_at, t0());
    assert_eq!(case.due_at(), Some(t0() + Duration::minutes(15)));

    run.later(Duration::minutes(5))
        .ok(&staff(Role::Clerk), complete());
    assert_eq!(run.step(), StepCode::Resolution);
    let e = run.err(&staff(Role::Head), complete());
    assert!(is_invalid(&e, "assignee"), "{e}");
    let e = run.err(&staff(Role::Head), assign("  "));
    assert!(is_invalid(&e, "assignee"), "{e}");
    run.later(Duration::minutes(10))
        .ok(&staff(Role::Head), assign("specialist"));
    assert_eq!(run.case().assignee.as_deref(), Some("specialist"));
    let review_start = run.now;
    assert_eq!(run.case().due_at(), Some(review_start + Duration::days(2)));

    // Only the specialist the head named works the review.
    let colleague = Actor {
        username: "another-specialist".into(),
        role: Role::Specialist,
        iin: None,
    };
    let e = run.err(&colleague, complete());
    assert!(matches!(e, CommandError::Forbidden { .. }), "{e}");
    run.later(Duration::hours(20))
        .ok(&staff(Role::Specialist), complete());
    assert_eq!(run.step(), StepCode::Sign);
    run.later(Duration::minutes(20))
        .ok(&staff(Role::Head), complete());
    assert_eq!(run.step(), StepCode::Issue);
    let events = run
        .later(Duration::hours(1))
        .ok(&staff(Role::Clerk), complete());
    assert_eq!(
        events.last(),
        Some(&EventKind::Completed {
            result: ResultKind::Approval
        })
    );

    let case = run.case();
    assert_eq!(case.status, Status::Completed);
    assert_eq!(case.result, Some(ResultKind::Approval));
    assert_eq!(case.current, None);
    assert_eq!(case.due_at(), None);
    let codes: Vec<StepCode> = case.steps.iter().map(|s| s.code).collect();
    assert_eq!(codes, StepCode::ALL);
    assert!(case
        .steps
        .iter()
        .all(|s| s.end == Some(StepEnd::Completed) && !s.overdue));
    assert!(next_actions(case, &run.process).is_empty());
    let e = run.err(&staff(Role::Clerk), complete());
    assert!(is_conflict(&e), "{e}");
}

#[test]
fn refusal_is_signed_and_issued_like_any_result() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    to_review(&mut run);
    let specialist = staff(Role::Specialist);
    let refuse = |grounds: &[&str], reason: &str| Command::Refuse {
        grounds: grounds.iter().map(|g| g.to_string()).collect(),
        reason: reason.into(),
    };

    let e = run.err(&specialist, refuse(&[], "no grounds"));
    assert!(is_invalid(&e, "grounds"), "{e}");
    let e = run.err(&specialist, refuse(&["bad-weather"], "no such ground"));
    assert!(is_invalid(&e, "grounds"), "{e}");
    assert!(e.to_string().contains("bad-weather"), "{e}");
    let e = run.err(&specialist, refuse(&["false-documents"], " "));
    assert!(is_invalid(&e, "reason"), "{e}");
    let e = run.err(&staff(Role::Head), refuse(&["false-documents"], "x"));
    assert!(is_forbidden(&e), "{e}");

    let reason = "the certificate of the psychologist is forged";
    run.later(Duration::hours(3)).ok(
        &specialist,
        refuse(&["false-documents", "false-documents"], reason),
    );
    let case = run.case();
    assert_eq!(run.step(), StepCode::Sign);
    let refusal = case.refusal.as_ref().unwrap();
    assert_eq!(refusal.grounds, ["false-documents"]);
    assert_eq!(refusal.reason, reason);
    assert_eq!(refusal.drafted_by, "specialist");
    // A refusal is not yet a result: the head signs, the office issues.
    assert_eq!(case.result, None);
    run.ok(&staff(Role::Head), complete());
    run.ok(&staff(Role::Clerk), complete());
    assert_eq!(run.case().status, Status::Completed);
    assert_eq!(run.case().result, Some(ResultKind::Refusal));
}

#[test]
fn refuse_only_at_review() {
    let mut run = Run::new(process_bc("foster-care-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    let cmd = || Command::Refuse {
        grounds: vec!["not-eligible".into()],
        reason: "r".into(),
    };
    let e = run.err(&staff(Role::Specialist), cmd());
    assert!(is_conflict(&e), "{e}");
    let e = run.err(&staff(Role::Clerk), cmd());
    assert!(is_forbidden(&e), "{e}");
}

#[test]
fn pause_and_resume_move_the_deadline_by_what_was_left() {
    let mut run = Run::new(process_bc("foster-care-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    let due = run.case().due_at().unwrap();
    let specialist = staff(Role::Specialist);

    let e = run.err(&staff(Role::Head), Command::Pause { comment: None });
    assert!(is_forbidden(&e), "{e}");
    run.later(Duration::hours(10)).ok(
        &specialist,
        Command::Pause {
            comment: Some("awaiting the court decision".into()),
        },
    );
    let paused_at = run.now;
    let case = run.case();
    assert_eq!(case.status, Status::Paused);
    assert_eq!(case.due_at(), None);
    let pause = case.paused.as_ref().unwrap();
    assert_eq!(
        pause.left,
        Remaining::WorkingSeconds((due - paused_at).num_seconds() as u64)
    );
    assert_eq!(pause.until, paused_at + Duration::days(30));

    for cmd in [complete(), Command::Pause { comment: None }] {
        let e = run.err(&specialist, cmd);
        assert!(is_conflict(&e), "{e}");
    }
    let actions: Vec<Action> = next_actions(run.case(), &run.process)
        .iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        [Action::Resume, Action::Withdraw, Action::Withdraw]
    );

    run.later(Duration::days(5))
        .ok(&specialist, Command::Resume);
    let resumed = run.now;
    let case = run.case();
    assert_eq!(case.status, Status::InProgress);
    assert_eq!(case.paused, None);
    assert_eq!(case.due_at(), Some(resumed + (due - paused_at)));
    assert_eq!(case.due_at(), Some(due + Duration::days(5)));
    let e = run.err(&specialist, Command::Resume);
    assert!(is_conflict(&e), "{e}");
    run.ok(&specialist, complete());
    assert_eq!(run.step(), StepCode::Sign);
}

#[test]
fn return_restarts_the_previous_step_with_its_full_limit() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    let e = run.err(
        &staff(Role::Clerk),
        Command::Return {
            comment: "nothing before".into(),
        },
    );
    assert!(is_conflict(&e), "{e}");
    to_review(&mut run);
    run.later(Duration::hours(30)).ok(
        &staff(Role::Specialist),
        Command::Refuse {
            grounds: vec!["negative-influence".into()],
            reason: "the guardianship authority's opinion".into(),
        },
    );
    let head = staff(Role::Head);
    let e = run.err(&head, Command::Return { comment: "".into() });
    assert!(is_invalid(&e, "comment"), "{e}");
    let events = run.later(Duration::minutes(10)).ok(
        &head,
        Command::Return {
            comment: "cite the opinion's date".into(),
        },
    );
    assert_eq!(
        events[0],
        EventKind::Returned {
            from: StepCode::Sign,
            to: StepCode::Review,
            comment: "cite the opinion's date".into()
        }
    );
    let case = run.case();
    let codes: Vec<StepCode> = case.steps.iter().map(|s| s.code).collect();
    use StepCode::*;
    assert_eq!(codes, [Register, Resolution, Review, Sign, Review]);
    assert_eq!(case.steps[3].end, Some(StepEnd::Returned));
    let again = case.current_step().unwrap();
    assert_eq!(again.started_at, run.now);
    assert_eq!(again.due_at, run.now + Duration::days(2));
    // The draft refusal went back with the step: the specialist decides anew.
    assert_eq!(case.refusal, None);
    run.ok(&staff(Role::Specialist), complete());
    run.ok(&head, complete());
    run.ok(&staff(Role::Clerk), complete());
    assert_eq!(run.case().result, Some(ResultKind::Approval));
    assert_eq!(run.case().steps.len(), 7);
}

#[test]
fn applicant_withdraws_before_a_result() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    let e = run.err(&applicant(OTHER), Command::Withdraw { reason: None });
    assert!(is_forbidden(&e), "{e}");
    let e = run.err(&staff(Role::Head), Command::Withdraw { reason: None });
    assert!(is_forbidden(&e), "{e}");
    run.later(Duration::hours(1)).ok(
        &applicant(APPLICANT),
        Command::Withdraw {
            reason: Some("changed my mind".into()),
        },
    );
    let case = run.case();
    assert_eq!(case.status, Status::Withdrawn);
    assert_eq!(case.current, None);
    assert_eq!(case.steps[2].end, Some(StepEnd::Withdrawn));
    assert_eq!(case.steps[2].completed_at, Some(run.now));
    assert!(next_actions(case, &run.process).is_empty());
    let e = run.err(&applicant(APPLICANT), Command::Withdraw { reason: None });
    assert!(is_conflict(&e), "{e}");
    let e = run.err(&staff(Role::Specialist), complete());
    assert!(is_conflict(&e), "{e}");
}

#[test]
fn clerk_records_a_paper_withdrawal_but_not_on_the_portal() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    run.ok(&staff(Role::Clerk), Command::Withdraw { reason: None });
    assert_eq!(run.case().status, Status::Withdrawn);

    let mut run = Run::new(process_bc("adoption-payment", Channel::Portal));
    run.intake(&applicant(APPLICANT), BC_DOCS);
    let e = run.err(&staff(Role::Clerk), Command::Withdraw { reason: None });
    assert!(is_forbidden(&e), "{e}");
    run.ok(&applicant(APPLICANT), Command::Withdraw { reason: None });
    assert_eq!(run.case().status, Status::Withdrawn);
}

#[test]
fn withdrawal_after_the_result_is_a_conflict() {
    let mut run = Run::new(process_bc("foster-care-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    for role in [Role::Specialist, Role::Head, Role::Clerk] {
        run.ok(&staff(role), complete());
    }
    let e = run.err(&applicant(APPLICANT), Command::Withdraw { reason: None });
    assert!(is_conflict(&e), "{e}");
}

#[test]
fn incomplete_package_is_rejected_at_intake_naming_what_is_missing() {
    for channel in [Channel::Office, Channel::StateCorporation] {
        let intaker = staff(if channel == Channel::Office {
            Role::Clerk
        } else {
            Role::Operator
        });
        let mut run = Run::new(process_a(channel));
        let events = run.intake(&intaker, &["application"]);
        assert_eq!(events.len(), 2);
        let case = run.case();
        assert_eq!(case.status, Status::RejectedAtIntake);
        assert!(case.steps.is_empty());
        let receipt = case.receipt.as_ref().unwrap();
        assert_eq!(receipt.kind, ReceiptKind::Rejection);
        assert_eq!(
            receipt.missing,
            ["identity-document", "psychologist-opinion"]
        );
        assert!(next_actions(case, &run.process).is_empty());
        let e = run.err(&applicant(APPLICANT), Command::Withdraw { reason: None });
        assert!(is_conflict(&e), "{e}");
    }
}

#[test]
fn incomplete_package_where_not_refused_at_intake_is_accepted_noting_it() {
    let mut run = Run::new(process_bc("foster-care-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), &["application"]);
    let case = run.case();
    assert_eq!(case.status, Status::InProgress);
    assert_eq!(case.receipt.as_ref().unwrap().missing, ["court-decision"]);
}

#[test]
fn state_corporation_clock_starts_next_working_opening_and_operator_issues() {
    let mut run = Run::new(process_a(Channel::StateCorporation));
    let e = run.err(
        &staff(Role::Clerk),
        intake_cmd(Channel::StateCorporation, A_DOCS),
    );
    assert!(is_forbidden(&e), "{e}");
    run.at(Utc.with_ymd_and_hms(2026, 11, 17, 11, 0, 0).unwrap())
        .intake(&staff(Role::Operator), A_DOCS);
    let first = run.case().steps[0].clone();
    let opening = Utc.with_ymd_and_hms(2026, 11, 18, 4, 0, 0).unwrap();
    assert_eq!(first.started_at, opening);
    assert_eq!(first.due_at, opening + Duration::minutes(15));
    // Not overdue before its clock started, and may be worked at once.
    assert!(run.ok(&staff(Role::Operator), Command::Tick).is_empty());
    run.later(Duration::minutes(1))
        .ok(&staff(Role::Clerk), complete());
    let case = run.case();
    assert!(case.steps[0].completed_at.unwrap() < opening);
    assert_eq!(case.steps[1].started_at, run.now);
    run.ok(&staff(Role::Head), assign("specialist"));
    run.ok(&staff(Role::Specialist), complete());
    run.ok(&staff(Role::Head), complete());
    assert_eq!(run.case().current_step().unwrap().role, Role::Operator);
    let e = run.err(&staff(Role::Clerk), complete());
    assert!(is_forbidden(&e), "{e}");
    run.ok(&staff(Role::Operator), complete());
    assert_eq!(run.case().result, Some(ResultKind::Approval));
}

#[test]
fn a_sealed_result_is_received_once_and_only_at_issue() {
    let system = staff(Role::Admin);
    let received = || Command::ResultReceived {
        document: "0123456789abcdef0123".into(),
        sha256: "ab".repeat(32),
    };
    let mut run = Run::new(process_a(Channel::StateCorporation));
    run.at(Utc.with_ymd_and_hms(2026, 11, 17, 11, 0, 0).unwrap())
        .intake(&staff(Role::Operator), A_DOCS);
    // Nothing sealed yet: a conflict.
    let e = run.err(&system, received());
    assert!(is_conflict(&e), "{e}");
    run.later(Duration::days(1))
        .ok(&staff(Role::Clerk), complete());
    run.ok(&staff(Role::Head), assign("specialist"));
    run.ok(&staff(Role::Specialist), complete());
    run.ok(&staff(Role::Head), complete());
    let kinds = run.ok(&system, received());
    assert_eq!(
        kinds,
        [EventKind::ResultReceived {
            document: "0123456789abcdef0123".into(),
            sha256: "ab".repeat(32),
        }]
    );
    assert!(run.case().result_received_at.is_some());
    assert!(run.ok(&system, received()).is_empty());
    // Sent back from `issue` to `sign`: the sealed result still stands.
    let back = || Command::Return {
        comment: "қайта қарау".into(),
    };
    run.ok(&staff(Role::Operator), back());
    assert!(run.case().result_received_at.is_some());
    // Back to `review`: the decision is made afresh, and its new result
    // must come back before it is issued.
    run.ok(&staff(Role::Head), back());
    assert!(run.case().result_received_at.is_none());
    run.ok(&staff(Role::Specialist), complete());
    run.ok(&staff(Role::Head), complete());
    assert_eq!(run.ok(&system, received()).len(), 1);
    run.ok(&staff(Role::Operator), complete());

    // Not a State Corporation application: a conflict.
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    let e = run.err(&system, received());
    assert!(is_conflict(&e), "{e}");
}

#[test]
fn a_package_registered_on_a_later_day_starts_the_first_steps_clock_then() {
    let received = Utc.with_ymd_and_hms(2026, 11, 17, 11, 0, 0).unwrap();
    let system = staff(Role::Admin);
    // Registered at the provider the day it was taken in: recorded once,
    // the clock as intake started it.
    let mut run = Run::new(process_a(Channel::StateCorporation));
    run.at(received).intake(&staff(Role::Operator), A_DOCS);
    let before = run.case().steps[0].clone();
    let kinds = run
        .later(Duration::minutes(1))
        .ok(&system, Command::Registered);
    assert_eq!(kinds, [EventKind::PackageRegistered {}]);
    assert_eq!(run.case().steps[0], before);
    assert!(run.case().registered_at.is_some());
    assert!(run.ok(&system, Command::Registered).is_empty());

    // Two days late: the clock starts the morning after registration, with
    // the step's whole limit, and an overdue mark made meanwhile is lifted.
    let mut run = Run::new(process_a(Channel::StateCorporation));
    run.at(received).intake(&staff(Role::Operator), A_DOCS);
    let late = Utc.with_ymd_and_hms(2026, 11, 19, 10, 0, 0).unwrap();
    run.at(late);
    assert!(!run.ok(&system, Command::Tick).is_empty());
    assert!(run.case().steps[0].overdue);
    let kinds = run.ok(&system, Command::Registered);
    let opening = Utc.with_ymd_and_hms(2026, 11, 20, 4, 0, 0).unwrap();
    assert_eq!(
        kinds,
        [
            EventKind::PackageRegistered {},
            EventKind::ClockRestarted {
                step: StepCode::Register,
                started_at: opening,
                due_at: opening + Duration::minutes(15),
                previous_started_at: Utc.with_ymd_and_hms(2026, 11, 18, 4, 0, 0).unwrap(),
            }
        ]
    );
    let first = &run.case().steps[0];
    assert_eq!(first.started_at, opening);
    assert!(!first.overdue);
    assert_eq!(run.case().due_at(), Some(opening + Duration::minutes(15)));

    // Late, but the first step already done: only recorded.
    let mut run = Run::new(process_a(Channel::StateCorporation));
    run.at(received).intake(&staff(Role::Operator), A_DOCS);
    run.later(Duration::minutes(1))
        .ok(&staff(Role::Clerk), complete());
    run.at(late);
    let kinds = run.ok(&system, Command::Registered);
    assert_eq!(kinds, [EventKind::PackageRegistered {}]);

    // Not a State Corporation package: a conflict.
    let mut run = Run::new(process_a(Channel::Office));
    run.at(received).intake(&staff(Role::Clerk), A_DOCS);
    let e = run.err(&system, Command::Registered);
    assert!(is_conflict(&e), "{e}");
}

#[test]
fn tick_marks_overdue_once() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    let clock = staff(Role::Admin);
    assert!(run
        .later(Duration::minutes(15))
        .ok(&clock, Command::Tick)
        .is_empty());
    let e = run.err(&clock, Command::MarkOverdue);
    assert!(is_conflict(&e), "{e}");
    let events = run
        .try_do(&clock, Command::Tick)
        .map(|_| ())
        .and_then(|_| {
            run.later(Duration::seconds(1));
            run.try_do(&clock, Command::Tick)
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, "system");
    assert_eq!(
        events[0].kind,
        EventKind::MarkedOverdue {
            step: StepCode::Register
        }
    );
    assert!(run.case().is_overdue());
    assert!(run
        .later(Duration::hours(1))
        .ok(&clock, Command::Tick)
        .is_empty());
    let e = run.err(&clock, Command::MarkOverdue);
    assert!(is_conflict(&e), "{e}");
    // Late is still allowed; the mark stays on that step.
    run.ok(&staff(Role::Clerk), complete());
    assert!(run.case().steps[0].overdue);
    assert!(!run.case().is_overdue());
}

#[test]
fn mark_overdue_command_marks_a_late_step() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    let events = run
        .later(Duration::minutes(16))
        .ok(&staff(Role::Admin), Command::MarkOverdue);
    assert_eq!(
        events,
        [EventKind::MarkedOverdue {
            step: StepCode::Register
        }]
    );
}

#[test]
fn tick_ends_a_pause_after_its_time_and_then_marks_overdue() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    let due = run.case().due_at().unwrap();
    run.later(Duration::days(4))
        .ok(&staff(Role::Specialist), Command::Pause { comment: None });
    let until = run.case().paused.as_ref().unwrap().until;
    let left = due - run.now;
    assert!(run
        .at(until - Duration::seconds(1))
        .ok(&staff(Role::Admin), Command::Tick)
        .is_empty());
    // The worker comes late: the pause still ended at its own end.
    let events = run
        .at(until + Duration::days(2))
        .ok(&staff(Role::Admin), Command::Tick);
    assert_eq!(
        events,
        [
            EventKind::Resumed {
                resumed_at: until,
                due_at: until + left,
                auto: true
            },
            EventKind::MarkedOverdue {
                step: StepCode::Review
            }
        ]
    );
    let case = run.case();
    assert_eq!(case.status, Status::InProgress);
    assert_eq!(case.due_at(), Some(until + left));
    assert!(case.is_overdue());
}

#[test]
fn a_command_after_the_pause_ended_sees_it_resumed() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    let specialist = staff(Role::Specialist);
    run.ok(&specialist, Command::Pause { comment: None });
    let e = run
        .later(Duration::days(31))
        .err(&specialist, Command::Resume);
    assert!(is_conflict(&e), "{e}");
    let events = run.ok(&specialist, complete());
    assert!(matches!(events[0], EventKind::Resumed { auto: true, .. }));
    assert_eq!(run.step(), StepCode::Sign);
}

#[test]
fn portal_draft_until_signed() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Portal));
    let e = run.err(&staff(Role::Clerk), intake_cmd(Channel::Portal, BC_DOCS));
    assert!(is_forbidden(&e), "{e}");
    let e = run.err(&applicant(OTHER), intake_cmd(Channel::Portal, BC_DOCS));
    assert!(is_forbidden(&e), "{e}");
    let e = run.err(&applicant(APPLICANT), intake_cmd(Channel::Office, BC_DOCS));
    assert!(is_invalid(&e, "channel"), "{e}");

    run.intake(&applicant(APPLICANT), &["application"]);
    let case = run.case();
    assert_eq!(case.status, Status::Draft);
    assert!(case.steps.is_empty() && case.receipt.is_none());
    let e = run.err(&staff(Role::Clerk), complete());
    assert!(is_conflict(&e), "{e}");
    let e = run.err(&applicant(OTHER), Command::Submit);
    assert!(is_forbidden(&e), "{e}");

    run.later(Duration::hours(2))
        .ok(&applicant(APPLICANT), Command::Submit);
    let case = run.case();
    assert_eq!(case.status, Status::InProgress);
    assert_eq!(case.steps[0].started_at, run.now);
    assert_eq!(case.receipt.as_ref().unwrap().missing, ["court-decision"]);
    let e = run.err(&applicant(APPLICANT), Command::Submit);
    assert!(is_conflict(&e), "{e}");

    // The incomplete portal package ends in a motivated refusal.
    to_review(&mut run);
    run.ok(
        &staff(Role::Specialist),
        Command::Refuse {
            grounds: vec!["not-eligible".into()],
            reason: "no court decision on the adoption".into(),
        },
    );
    run.ok(&staff(Role::Head), complete());
    run.ok(&staff(Role::Clerk), complete());
    assert_eq!(run.case().result, Some(ResultKind::Refusal));
}

#[test]
fn representative_applies_on_the_portal_and_may_withdraw() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Portal));
    let cmd = Command::Intake(Intake {
        channel: Channel::Portal,
        applicant: iin(APPLICANT),
        representative: Some(Representative {
            iin: iin(OTHER),
            power_of_attorney: PowerOfAttorney {
                number: "DOV-2026-0001".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
            },
        }),
        documents: BC_DOCS.iter().map(|d| d.to_string()).collect(),
        form: json!({}),
        provider: "karaganda-city-education".into(),
        details: json!({}),
    });
    run.ok(&applicant(OTHER), cmd);
    run.ok(&applicant(OTHER), Command::Submit);
    run.ok(&applicant(APPLICANT), Command::Withdraw { reason: None });
    assert_eq!(run.case().status, Status::Withdrawn);
}

#[test]
fn roles_that_never_work_a_step_are_forbidden() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    for role in [
        Role::Admin,
        Role::Auditor,
        Role::Head,
        Role::Specialist,
        Role::Operator,
    ] {
        let e = run.err(&staff(role), complete());
        assert!(is_forbidden(&e), "{role}: {e}");
        let e = run.err(&staff(role), Command::Pause { comment: None });
        assert!(is_forbidden(&e), "{role}: {e}");
    }
    for role in [Role::Admin, Role::Auditor] {
        let e = run.err(&staff(role), intake_cmd(Channel::Office, A_DOCS));
        assert!(is_forbidden(&e), "{role}: {e}");
        let e = run.err(&staff(role), Command::Withdraw { reason: None });
        assert!(is_forbidden(&e), "{role}: {e}");
    }
    // The right role, the wrong time.
    let e = run.err(&staff(Role::Clerk), intake_cmd(Channel::Office, A_DOCS));
    assert!(is_conflict(&e), "{e}");
    let e = run.err(&staff(Role::Clerk), Command::Resume);
    assert!(is_conflict(&e), "{e}");
    let e = run.err(&applicant(APPLICANT), Command::Submit);
    assert!(is_conflict(&e), "{e}");
}

#[test]
fn next_actions_tell_who_does_what() {
    let mut run = Run::new(process_a(Channel::StateCorporation));
    run.intake(&staff(Role::Operator), A_DOCS);
    run.ok(&staff(Role::Clerk), complete());
    let actions = next_actions(run.case(), &run.process);
    let json = serde_json::to_value(&actions).unwrap();
    assert_eq!(
        json,
        json!([
            {"action": "complete", "role": "head", "requires": ["assignee"]},
            {"action": "return", "role": "head", "requires": ["comment"]},
            {"action": "pause", "role": "head", "requires": []},
            {"action": "withdraw", "role": "applicant", "requires": []},
            {"action": "withdraw", "role": "operator", "requires": []},
        ])
    );
    run.ok(&staff(Role::Head), assign("specialist"));
    let actions = next_actions(run.case(), &run.process);
    assert!(actions.iter().any(|a| a.action == Action::Refuse
        && a.role == Role::Specialist
        && a.requires == ["grounds", "reason"]));
}

#[test]
fn events_serialise_as_the_contract_history_and_fold_back() {
    let mut run = Run::new(process_a(Channel::Office));
    run.at(t0() + Duration::nanoseconds(123_456_789))
        .intake(&staff(Role::Clerk), A_DOCS);
    to_review(&mut run);
    run.ok(&staff(Role::Specialist), Command::Pause { comment: None });
    run.later(Duration::hours(1))
        .ok(&staff(Role::Specialist), Command::Resume);

    let json = serde_json::to_value(&run.events).unwrap();
    let started = &json[2];
    assert_eq!(started["type"], "step-started");
    assert_eq!(started["actor"], "clerk");
    assert_eq!(started["at"], "2026-11-17T05:00:00.123456Z");
    assert_eq!(
        started["data"],
        json!({
            "step": "register",
            "role": "clerk",
            "started_at": "2026-11-17T05:00:00.123456Z",
            "due_at": "2026-11-17T05:15:00.123456Z",
        })
    );
    let paused = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "paused")
        .unwrap();
    assert!(
        paused["data"]["left"]["working_seconds"].is_u64(),
        "{paused}"
    );
    for e in json.as_array().unwrap() {
        assert!(e["data"].is_object(), "{e}");
    }
    let text = serde_json::to_string(&run.events).unwrap();
    assert!(!text.contains("e+") && !text.contains(".0,"), "{text}");
    let back: Vec<Event> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, run.events);
    assert_eq!(fold(&back).as_ref(), run.case.as_ref());
}

#[test]
fn a_float_in_the_form_is_refused() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    let cmd = Command::Intake(Intake {
        channel: Channel::Office,
        applicant: iin(APPLICANT),
        representative: None,
        documents: vec![],
        form: json!({"income": 12.5}),
        provider: "karaganda-city-education".into(),
        details: json!({}),
    });
    let e = run.err(&staff(Role::Clerk), cmd);
    assert!(is_invalid(&e, "form"), "{e}");
}

#[test]
fn a_clock_running_behind_never_reorders_the_history() {
    let mut run = Run::new(process_a(Channel::Office));
    run.intake(&staff(Role::Clerk), A_DOCS);
    run.at(t0() - Duration::minutes(3))
        .ok(&staff(Role::Clerk), complete());
    assert_eq!(run.case().steps[0].completed_at, Some(t0()));
    assert!(run.events.windows(2).all(|w| w[0].at <= w[1].at));
}

#[test]
fn a_process_of_another_shape_is_refused() {
    let mut p = process_a(Channel::Office);
    p.steps.swap(1, 2);
    let e = decide(
        None,
        &p,
        &FakeCalendar,
        &staff(Role::Clerk),
        intake_cmd(Channel::Office, A_DOCS),
        t0(),
    )
    .unwrap_err();
    assert!(is_invalid(&e, "process"), "{e}");
}

// ---------------------------------------------------------------------------
// Random sequences of commands.

fn processes() -> Vec<Process> {
    vec![
        process_a(Channel::Office),
        process_a(Channel::StateCorporation),
        process_bc("foster-care-payment", Channel::Office),
        process_bc("adoption-payment", Channel::Portal),
    ]
}

fn actors() -> Vec<Actor> {
    let mut all: Vec<Actor> = [
        Role::Clerk,
        Role::Head,
        Role::Specialist,
        Role::Operator,
        Role::Admin,
        Role::Auditor,
    ]
    .into_iter()
    .map(staff)
    .collect();
    all.push(applicant(APPLICANT));
    all.push(applicant(OTHER));
    all
}

fn command(kind: u8, variant: u8, process: &Process) -> Command {
    let some_text = |v: u8| if matches!(v % 3, 0) { "" } else { "because" }.to_string();
    match kind % 14 {
        0 => intake_cmd(
            process.channel,
            if matches!(variant % 2, 0) {
                &["application"]
            } else {
                ALL_DOCS
            },
        ),
        1 => Command::Submit,
        2 | 3 | 11 | 12 | 13 => Command::Complete {
            assignee: (!matches!(variant % 3, 0)).then(|| "specialist".into()),
        },
        4 => Command::Refuse {
            grounds: match variant % 4 {
                0 => vec![],
                1 => vec!["unknown-ground".into()],
                _ => vec![process.refusal_grounds[0].clone()],
            },
            reason: some_text(variant),
        },
        5 => Command::Return {
            comment: some_text(variant),
        },
        6 => Command::Pause {
            comment: matches!(variant % 2, 0).then(|| "awaiting documents".into()),
        },
        7 => Command::Resume,
        // Rarer, or few cases would get far.
        8 if matches!(variant % 4, 0) => Command::Withdraw { reason: None },
        8 => Command::Resume,
        9 => Command::MarkOverdue,
        10 if matches!(variant % 4, 0) => Command::Recompute,
        10 if matches!(variant % 4, 1) => Command::Registered,
        10 if matches!(variant % 4, 2) => Command::ResultReceived {
            document: "0123456789abcdef0123".into(),
            sha256: "00".repeat(32),
        },
        10 => Command::Tick,
        _ => unreachable!(),
    }
}

/// A canonical command a listed action can be done with.
fn command_for(action: Action, process: &Process) -> Command {
    match action {
        Action::Complete => assign("specialist"),
        Action::Refuse => Command::Refuse {
            grounds: vec![process.refusal_grounds[0].clone()],
            reason: "because".into(),
        },
        Action::Return => Command::Return {
            comment: "because".into(),
        },
        Action::Pause => Command::Pause { comment: None },
        Action::Resume => Command::Resume,
        Action::Withdraw => Command::Withdraw { reason: None },
        other => panic!("{other} is never listed"),
    }
}

fn actor_for(role: Role) -> Actor {
    if role == Role::Applicant {
        applicant(APPLICANT)
    } else {
        staff(role)
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_commands_never_break_a_case(
        which in 0usize..4,
        steps in proptest::collection::vec(
            (0usize..14, any::<u8>(), any::<u8>(), prop_oneof![
                4 => 0i64..120,
                3 => 0i64..(3 * 24 * 60),
                1 => (20 * 24 * 60i64)..(40 * 24 * 60),
            ]),
            1..60,
        ),
    ) {
        let process = &processes()[which];
        let actors = actors();
        let mut now = t0();
        let mut events: Vec<Event> = Vec::new();
        let mut case: Option<Case> = None;
        // Most sequences should get past intake: start with one.
        let intaker = actor_for(process.intake_role());
        let first = decide(None, process, &FakeCalendar, &intaker,
            command(0, 1, process), now).unwrap();
        for e in &first {
            case = Some(apply(case, e));
        }
        events.extend(first);

        for (who, kind, variant, minutes) in steps {
            now += Duration::minutes(minutes);
            // Half the time, whoever works the open step, so cases get far.
            let actor = &match actors.get(who) {
                Some(a) => a.clone(),
                None => actor_for(
                    case.as_ref()
                        .and_then(|c| c.current_step())
                        .map_or(Role::Applicant, |s| s.role),
                ),
            };
            let cmd = command(kind, variant, process);
            let before = case.clone();
            match decide(case.as_ref(), process, &FakeCalendar, actor, cmd.clone(), now) {
                Ok(new) => {
                    for e in &new {
                        prop_assert!(e.at >= events.last().unwrap().at);
                        case = Some(apply(case, e));
                    }
                    events.extend(new);
                }
                Err(_) => prop_assert_eq!(&case, &before),
            }
            let c = case.as_ref().unwrap();
            if let Err(why) = invariants(c) {
                return Err(TestCaseError::fail(format!("{why}\nafter {cmd:?}\n{c:#?}")));
            }
            let folded = fold(&events);
            prop_assert_eq!(folded.as_ref(), Some(c));
            prop_assert_eq!(c.version_seq, events.len() as u64);

            // Every action listed can be done by its role right now, once
            // the clock has caught up (as the deadline worker keeps it).
            let caught_up = decide(Some(c), process, &FakeCalendar, &actors[0], Command::Tick, now)
                .unwrap()
                .iter()
                .fold(c.clone(), |c, e| apply(Some(c), e));
            let c = &caught_up;
            for a in next_actions(c, process) {
                let r = decide(Some(c), process, &FakeCalendar, &actor_for(a.role),
                    command_for(a.action, process), now);
                prop_assert!(r.is_ok(), "{:?} by {} refused: {:?}", a.action, a.role, r);
            }
        }
        let text = serde_json::to_string(&events).unwrap();
        let back: Vec<Event> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(fold(&back), case);
    }
}

// --- recompute after a calendar edit ----------------------------------------

/// [`FakeCalendar`] after an administrator added a holiday: every span
/// counts a day longer, and a pause ends a day later.
struct EditedCalendar;

impl Deadlines for EditedCalendar {
    fn due(&self, start: DateTime<Utc>, limit: Limit) -> DateTime<Utc> {
        FakeCalendar.due(start, limit) + Duration::days(1)
    }

    fn state_corporation_start(&self, received: DateTime<Utc>) -> DateTime<Utc> {
        FakeCalendar.state_corporation_start(received)
    }

    fn pause(&self, limit: Limit, due: DateTime<Utc>, paused_at: DateTime<Utc>) -> Remaining {
        FakeCalendar.pause(limit, due, paused_at)
    }

    fn resume(&self, left: Remaining, at: DateTime<Utc>) -> DateTime<Utc> {
        FakeCalendar.resume(left, at) + Duration::days(1)
    }

    fn pause_auto_end(&self, paused_at: DateTime<Utc>) -> DateTime<Utc> {
        FakeCalendar.pause_auto_end(paused_at) + Duration::days(1)
    }
}

#[test]
fn recompute_with_an_unchanged_calendar_records_nothing() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    assert!(run.ok(&staff(Role::Admin), Command::Recompute).is_empty());
    // Only an administrator recomputes, and only an open case.
    let e = run.err(&staff(Role::Head), Command::Recompute);
    assert!(matches!(e, CommandError::Forbidden { .. }), "{e}");
}

#[test]
fn recompute_counts_a_running_step_from_its_start() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    let step = run.case().current_step().unwrap().clone();
    let events = run
        .try_do_on(&EditedCalendar, &staff(Role::Admin), Command::Recompute)
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        [EventKind::DeadlineRecomputed {
            step: StepCode::Review,
            due_at: step.started_at + Duration::days(6),
            previous_due_at: step.due_at,
            overdue_cleared: false,
        }]
    );
    assert_eq!(events[0].actor, "admin");
    assert_eq!(run.case().due_at(), Some(step.due_at + Duration::days(1)));
    // Done again with the same calendar: nothing more moves.
    assert!(run
        .try_do_on(&EditedCalendar, &staff(Role::Admin), Command::Recompute)
        .unwrap()
        .is_empty());
}

#[test]
fn recompute_counts_a_resumed_step_from_the_resume_and_lifts_a_stale_overdue_mark() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    let specialist = staff(Role::Specialist);
    let due = run.case().due_at().unwrap();
    run.later(Duration::days(1))
        .ok(&specialist, Command::Pause { comment: None });
    let left = due - run.now;
    run.later(Duration::days(2))
        .ok(&specialist, Command::Resume);
    let resumed_at = run.now;
    let basis = run.case().current_step().unwrap().resumed.unwrap();
    assert_eq!(basis.at, resumed_at);
    assert_eq!(run.case().due_at(), Some(resumed_at + left));
    // Half a day past the deadline the clock marks it overdue; the edited
    // calendar gives a day more, so the step is within its limit again.
    run.at(resumed_at + left + Duration::hours(12))
        .ok(&staff(Role::Admin), Command::Tick);
    assert!(run.case().is_overdue());
    let events = run
        .try_do_on(&EditedCalendar, &staff(Role::Admin), Command::Recompute)
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        [EventKind::DeadlineRecomputed {
            step: StepCode::Review,
            due_at: resumed_at + left + Duration::days(1),
            previous_due_at: resumed_at + left,
            overdue_cleared: true,
        }]
    );
    assert!(!run.case().is_overdue());
}

#[test]
fn recompute_moves_a_pauses_own_end() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    to_review(&mut run);
    run.later(Duration::hours(1))
        .ok(&staff(Role::Specialist), Command::Pause { comment: None });
    let since = run.case().paused.as_ref().unwrap().since;
    let events = run
        .later(Duration::days(1))
        .try_do_on(&EditedCalendar, &staff(Role::Admin), Command::Recompute)
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        [EventKind::PauseRecomputed {
            until: since + Duration::days(31),
            previous_until: since + Duration::days(30),
        }]
    );
    assert_eq!(
        run.case().paused.as_ref().unwrap().until,
        since + Duration::days(31)
    );
    assert_eq!(run.case().status, Status::Paused);
}

#[test]
fn recompute_on_a_closed_case_is_a_conflict() {
    let mut run = Run::new(process_bc("adoption-payment", Channel::Office));
    run.intake(&staff(Role::Clerk), BC_DOCS);
    run.ok(&applicant(APPLICANT), Command::Withdraw { reason: None });
    let e = run.err(&staff(Role::Admin), Command::Recompute);
    assert!(is_conflict(&e), "{e}");
}
