//! Commands: what people (and the deadline worker) ask of a case, checked
//! against the regulation's steps and the actor's role. A command yields the
//! events to append, or an error and no events.

use super::apply::apply;
use super::event::{Event, EventKind, SYSTEM_ACTOR};
use super::process::{intake_role, Actor, Deadlines, Process, Representative, StepCode};
use super::state::{Case, ResultKind, Status};
use super::time;
use crate::{Channel, Iin, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What may be asked of a case (contract.md, "Actions"; `intake`, `submit`
/// and the clock's `mark-overdue` and `tick` besides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Intake,
    Submit,
    Complete,
    Refuse,
    Return,
    Pause,
    Resume,
    Withdraw,
    MarkOverdue,
    Tick,
    Recompute,
    Registered,
    ResultReceived,
}

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Intake => "intake",
            Action::Submit => "submit",
            Action::Complete => "complete",
            Action::Refuse => "refuse",
            Action::Return => "return",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Withdraw => "withdraw",
            Action::MarkOverdue => "mark-overdue",
            Action::Tick => "tick",
            Action::Recompute => "recompute",
            Action::Registered => "registered",
            Action::ResultReceived => "result-received",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A new application as intake receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    pub channel: Channel,
    pub applicant: Iin,
    pub representative: Option<Representative>,
    /// Codes of the documents presented.
    pub documents: Vec<String>,
    /// The form, already validated against the service's schema.
    pub form: serde_json::Value,
    /// The provider's code (catalog), who renders the service.
    pub provider: String,
    /// What intake recorded besides the form, opaque to the engine: the
    /// applicant's name and language, the documents' names and digests.
    /// Integers only, like the form.
    #[serde(default)]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Command {
    /// Office clerk, State Corporation operator, or the applicant on the
    /// portal (who gets a draft).
    Intake(Intake),
    /// The applicant signed the portal draft (the signature itself is checked
    /// before this command).
    Submit,
    /// Finish the current step; `assignee` (a username) is needed at
    /// `resolution` and ignored elsewhere.
    Complete {
        assignee: Option<String>,
    },
    /// The specialist, at `review`: draft a motivated refusal.
    Refuse {
        grounds: Vec<String>,
        reason: String,
    },
    /// Send the current step back to the one before it.
    Return {
        comment: String,
    },
    /// Stop the current step's clock (awaiting documents).
    Pause {
        comment: Option<String>,
    },
    Resume,
    /// The applicant (or, at the office and the State Corporation, the
    /// intake clerk or operator on their written request) withdraws.
    Withdraw {
        reason: Option<String>,
    },
    /// Mark the current step overdue; a conflict unless it is due and unmarked.
    /// Like `tick`, it is the clock's doing: recorded as [`SYSTEM_ACTOR`]
    /// whoever passes it, with no role check, so the HTTP layer must not
    /// offer either to people.
    MarkOverdue,
    /// The deadline worker's call: ends pauses whose time is up and marks
    /// overdue steps; nothing to do gives no events.
    Tick,
    /// The State Corporation's package was registered at the provider,
    /// delivered through the gateway (§8 process 6): the first step's clock
    /// counts from the next working morning after that. The gateway's
    /// doing, recorded as [`SYSTEM_ACTOR`] with no role check; a second
    /// gives no events.
    Registered,
    /// The provider's sealed result came back to the State Corporation
    /// through the gateway (issue #9 §3), its seal checked by the receiver.
    /// The gateway's doing, recorded as [`SYSTEM_ACTOR`] with no role
    /// check; a second gives no events.
    ResultReceived {
        document: String,
        sha256: String,
    },
    /// An administrator's explicit action after a calendar edit: count the
    /// open step's deadline again from its basis (its start and limit, or
    /// the resume and what was left) with the calendar the deadlines now
    /// give, and a paused case's automatic end from the pause's start.
    /// Nothing moved gives no events; a closed case is a conflict.
    Recompute,
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Intake(_) => Action::Intake,
            Command::Submit => Action::Submit,
            Command::Complete { .. } => Action::Complete,
            Command::Refuse { .. } => Action::Refuse,
            Command::Return { .. } => Action::Return,
            Command::Pause { .. } => Action::Pause,
            Command::Resume => Action::Resume,
            Command::Withdraw { .. } => Action::Withdraw,
            Command::MarkOverdue => Action::MarkOverdue,
            Command::Tick => Action::Tick,
            Command::Recompute => Action::Recompute,
            Command::Registered => Action::Registered,
            Command::ResultReceived { .. } => Action::ResultReceived,
        }
    }
}

/// Why a command was refused, in the tiers the HTTP layer maps to 403, 409
/// and 422.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// This actor may never do this action at this step (403).
    #[error("role `{role}` may not {action}: {reason}")]
    Forbidden {
        action: Action,
        role: Role,
        reason: String,
    },
    /// The actor's role may do it, but not in the case's present state (409).
    #[error("cannot {action} now: {reason}")]
    Conflict { action: Action, reason: String },
    /// A field of the command is missing or wrong (422).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl CommandError {
    /// A stable kebab-case code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::Forbidden { .. } => "action-forbidden",
            CommandError::Conflict { .. } => "action-conflict",
            CommandError::Invalid { .. } => "field-invalid",
        }
    }
}

/// An action someone may take next (contract.md, `actions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AvailableAction {
    pub action: Action,
    pub role: Role,
    /// Body fields the action needs.
    pub requires: Vec<&'static str>,
}

/// Decides a command: the events to append, or why not. `now` is cut to
/// microseconds (the stored precision) and never taken earlier than the
/// case's last event, so a history stays ordered even when the clocks of
/// two nodes disagree a little.
///
/// Before any other command on an existing case, what the clock has done
/// by itself is caught up (an ended pause resumes, a passed deadline is
/// marked), so a command never acts on a pause that is over; those events
/// come first in the answer.
pub fn decide(
    case: Option<&Case>,
    process: &Process,
    deadlines: &dyn Deadlines,
    actor: &Actor,
    cmd: Command,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let action = cmd.action();
    process.check().map_err(|message| CommandError::Invalid {
        field: "process",
        message,
    })?;
    let now = time::micros(now);
    let Some(case) = case else {
        return match cmd {
            Command::Intake(intake) => decide_intake(process, deadlines, actor, intake, now),
            _ => Err(conflict(action, "the application does not exist")),
        };
    };
    if case.service != process.service
        || case.version != process.version
        || case.channel != process.channel
    {
        return Err(CommandError::Invalid {
            field: "process",
            message: format!(
                "the case runs {} {} ({}), not {} {} ({})",
                case.service,
                case.version,
                case.channel,
                process.service,
                process.version,
                process.channel
            ),
        });
    }
    let now = now.max(case.updated_at);
    let clock = Emit::new(SYSTEM_ACTOR, now);
    match cmd {
        Command::Tick => return Ok(tick(case, deadlines, clock)),
        Command::Registered => return registered(case, process, deadlines, clock),
        Command::ResultReceived { document, sha256 } => {
            return result_received(case, document, sha256, clock)
        }
        Command::MarkOverdue => {
            return match overdue_step(case, now) {
                Some(step) => Ok(clock.with(EventKind::MarkedOverdue { step })),
                None => Err(conflict(
                    action,
                    "no running step is past its deadline unmarked",
                )),
            }
        }
        _ => {}
    }

    let caught_up = tick(case, deadlines, clock);
    let ticked;
    let case = if caught_up.is_empty() {
        case
    } else {
        ticked = caught_up
            .iter()
            .fold(case.clone(), |c, e| apply(Some(c), e));
        &ticked
    };
    let mut out = Emit::new(&actor.username, now);
    decide_on(case, process, deadlines, actor, cmd, &mut out)?;
    let mut events = caught_up;
    events.extend(out.events);
    Ok(events)
}

/// What may be done next, by whom, whoever asks. It reads the stored state
/// only: once a pause has run out, `resume` stays listed until the deadline
/// worker's `tick` records the automatic resume (a `resume` meanwhile meets
/// a conflict, the pause having ended by itself).
pub fn next_actions(case: &Case, process: &Process) -> Vec<AvailableAction> {
    let mut actions = Vec::new();
    let step = case.current_step();
    match (case.status, step) {
        (Status::InProgress, Some(step)) => {
            let requires = if step.code == StepCode::Resolution {
                vec!["assignee"]
            } else {
                vec![]
            };
            actions.push(available(Action::Complete, step.role, requires));
            if step.code == StepCode::Review {
                actions.push(available(
                    Action::Refuse,
                    step.role,
                    vec!["grounds", "reason"],
                ));
            }
            if process.index_of(step.code).is_some_and(|i| i > 0) {
                actions.push(available(Action::Return, step.role, vec!["comment"]));
            }
            actions.push(available(Action::Pause, step.role, vec![]));
        }
        (Status::Paused, Some(step)) => {
            actions.push(available(Action::Resume, step.role, vec![]));
        }
        _ => {}
    }
    if matches!(
        case.status,
        Status::Draft | Status::InProgress | Status::Paused
    ) {
        for role in withdraw_roles(case.channel) {
            actions.push(available(Action::Withdraw, role, vec![]));
        }
    }
    actions
}

fn available(action: Action, role: Role, requires: Vec<&'static str>) -> AvailableAction {
    AvailableAction {
        action,
        role,
        requires,
    }
}

/// The applicant always; on paper channels also the intake role, taking a
/// written withdrawal at the counter from someone who may have no portal
/// account.
fn withdraw_roles(channel: Channel) -> Vec<Role> {
    match channel {
        Channel::Portal => vec![Role::Applicant],
        paper => vec![Role::Applicant, intake_role(paper)],
    }
}

/// Events being built, all at one instant by one actor.
struct Emit {
    actor: String,
    at: DateTime<Utc>,
    events: Vec<Event>,
}

impl Emit {
    fn new(actor: &str, at: DateTime<Utc>) -> Self {
        Emit {
            actor: actor.to_owned(),
            at,
            events: Vec::new(),
        }
    }

    fn push(&mut self, kind: EventKind) {
        self.events.push(Event {
            kind,
            at: self.at,
            actor: self.actor.clone(),
        });
    }

    fn with(mut self, kind: EventKind) -> Vec<Event> {
        self.push(kind);
        self.events
    }
}

fn conflict(action: Action, reason: impl Into<String>) -> CommandError {
    CommandError::Conflict {
        action,
        reason: reason.into(),
    }
}

fn forbidden(action: Action, actor: &Actor, reason: impl Into<String>) -> CommandError {
    CommandError::Forbidden {
        action,
        role: actor.role,
        reason: reason.into(),
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> CommandError {
    CommandError::Invalid {
        field,
        message: message.into(),
    }
}

/// Whether the actor is the applicant (or their representative) by IIN.
fn is_applicant(actor: &Actor, applicant: Iin, representative: Option<&Representative>) -> bool {
    actor.role == Role::Applicant
        && actor
            .iin
            .is_some_and(|iin| iin == applicant || representative.is_some_and(|r| r.iin == iin))
}

fn decide_intake(
    process: &Process,
    deadlines: &dyn Deadlines,
    actor: &Actor,
    intake: Intake,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, CommandError> {
    let action = Action::Intake;
    if intake.channel != process.channel {
        return Err(invalid(
            "channel",
            format!(
                "the process is for `{}`, not `{}`",
                process.channel, intake.channel
            ),
        ));
    }
    let role = process.intake_role();
    if actor.role != role {
        return Err(forbidden(
            action,
            actor,
            format!("intake in `{}` is done by `{role}`", process.channel),
        ));
    }
    if role == Role::Applicant
        && !is_applicant(actor, intake.applicant, intake.representative.as_ref())
    {
        return Err(forbidden(
            action,
            actor,
            "an applicant applies only in their own name or as the representative",
        ));
    }
    let mut documents: Vec<String> = Vec::new();
    for code in intake.documents {
        if code.trim().is_empty() {
            return Err(invalid("documents", "a document code is empty"));
        }
        if !documents.contains(&code) {
            documents.push(code);
        }
    }
    if has_non_integer(&intake.form) {
        // The event history is hashed over canonical JSON whose numbers
        // must be integers (contract.md, events).
        return Err(invalid("form", "numbers in the form must be integers"));
    }
    if has_non_integer(&intake.details) {
        return Err(invalid("details", "numbers must be integers"));
    }
    if intake.provider.trim().is_empty() {
        return Err(invalid("provider", "name the provider"));
    }
    let mut out = Emit::new(&actor.username, now);
    out.push(EventKind::Created {
        service: process.service.clone(),
        version: process.version.clone(),
        channel: process.channel,
        applicant: intake.applicant,
        representative: intake.representative,
        documents: documents.clone(),
        form: intake.form,
        provider: intake.provider,
        details: intake.details,
    });
    if process.channel != Channel::Portal {
        accept(process, deadlines, &documents, &mut out);
    }
    Ok(out.events)
}

fn has_non_integer(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) => !(n.is_i64() || n.is_u64()),
        Value::Array(a) => a.iter().any(has_non_integer),
        Value::Object(o) => o.values().any(has_non_integer),
        _ => false,
    }
}

/// [`Command::ResultReceived`]: the sealed result is recorded as arrived
/// at the State Corporation, once; nothing for one received already.
fn result_received(
    case: &Case,
    document: String,
    sha256: String,
    mut out: Emit,
) -> Result<Vec<Event>, CommandError> {
    if case.channel != Channel::StateCorporation {
        return Err(conflict(
            Action::ResultReceived,
            "only a State Corporation application receives its result through the gateway",
        ));
    }
    if case.result_received_at.is_some() {
        return Ok(Vec::new());
    }
    let at_issue = case.status == Status::InProgress
        && case
            .current_step()
            .is_some_and(|s| s.code == crate::step::StepCode::Issue);
    if !at_issue {
        return Err(conflict(
            Action::ResultReceived,
            "the application's result is not sealed and waiting to be issued",
        ));
    }
    out.push(EventKind::ResultReceived { document, sha256 });
    Ok(out.events)
}

/// [`Command::Registered`]: the package is recorded as registered at the
/// provider and, when the open first step's clock would start later counted
/// from now than from intake, it starts again from now's next working
/// morning. Nothing for a package registered already or never sent.
fn registered(
    case: &Case,
    process: &Process,
    deadlines: &dyn Deadlines,
    mut out: Emit,
) -> Result<Vec<Event>, CommandError> {
    if case.channel != Channel::StateCorporation {
        return Err(conflict(
            Action::Registered,
            "only a State Corporation package is registered at the provider",
        ));
    }
    if case.registered_at.is_some()
        || matches!(case.status, Status::Draft | Status::RejectedAtIntake)
    {
        return Ok(Vec::new());
    }
    out.push(EventKind::PackageRegistered {});
    if case.status == Status::InProgress && case.current == Some(0) {
        let step = &case.steps[0];
        let start = time::micros(deadlines.state_corporation_start(out.at));
        if start > step.started_at {
            out.push(EventKind::ClockRestarted {
                step: step.code,
                started_at: start,
                due_at: time::micros(deadlines.due(start, process.steps[0].limit)),
                previous_started_at: step.started_at,
            });
        }
    }
    Ok(out.events)
}

/// Takes the package in: refused when incomplete where the regulation says
/// so, else accepted with the clock of the first step started.
fn accept(process: &Process, deadlines: &dyn Deadlines, documents: &[String], out: &mut Emit) {
    let missing: Vec<String> = process
        .required_documents
        .iter()
        .filter(|d| !documents.contains(d))
        .cloned()
        .collect();
    if process.refuse_incomplete_at_intake && !missing.is_empty() {
        out.push(EventKind::RejectedAtIntake { missing });
        return;
    }
    out.push(EventKind::Accepted { missing });
    let start = if process.channel == Channel::StateCorporation {
        time::micros(deadlines.state_corporation_start(out.at))
    } else {
        out.at
    };
    out.push(start_step(process, deadlines, 0, start));
}

fn start_step(
    process: &Process,
    deadlines: &dyn Deadlines,
    index: usize,
    start: DateTime<Utc>,
) -> EventKind {
    let def = &process.steps[index];
    EventKind::StepStarted {
        step: def.code,
        role: def.role,
        started_at: start,
        due_at: time::micros(deadlines.due(start, def.limit)),
    }
}

/// [`Command::Recompute`]. The step's start itself stays: the clock started
/// when it started, whatever the calendar says now.
fn recompute(
    case: &Case,
    process: &Process,
    deadlines: &dyn Deadlines,
    actor: &Actor,
    out: &mut Emit,
) -> Result<(), CommandError> {
    let action = Action::Recompute;
    if actor.role != Role::Admin {
        return Err(forbidden(
            action,
            actor,
            "deadlines are recomputed by an administrator",
        ));
    }
    match (case.status, case.current_step(), &case.paused) {
        (Status::InProgress, Some(step), _) => {
            let i = process
                .index_of(step.code)
                .ok_or_else(|| conflict(action, "the open step is not in the process"))?;
            let due = time::micros(match step.resumed {
                Some(basis) => deadlines.resume(basis.left, basis.at),
                None => deadlines.due(step.started_at, process.steps[i].limit),
            });
            if due != step.due_at {
                out.push(EventKind::DeadlineRecomputed {
                    step: step.code,
                    due_at: due,
                    previous_due_at: step.due_at,
                    overdue_cleared: step.overdue && due > out.at,
                });
            }
            Ok(())
        }
        (Status::Paused, Some(_), Some(pause)) => {
            let until = time::micros(deadlines.pause_auto_end(pause.since));
            if until != pause.until {
                out.push(EventKind::PauseRecomputed {
                    until,
                    previous_until: pause.until,
                });
            }
            Ok(())
        }
        _ => Err(conflict(
            action,
            format!("the application is {}", case.status.code()),
        )),
    }
}

/// The open step, if it is running, past its deadline and not yet marked.
fn overdue_step(case: &Case, now: DateTime<Utc>) -> Option<StepCode> {
    let step = case.current_step()?;
    (case.status == Status::InProgress && !step.overdue && now > step.due_at).then_some(step.code)
}

/// What the clock does by itself by `now`.
fn tick(case: &Case, deadlines: &dyn Deadlines, mut clock: Emit) -> Vec<Event> {
    let mut case = case.clone();
    if let (Status::Paused, Some(pause)) = (case.status, &case.paused) {
        if clock.at >= pause.until {
            let kind = EventKind::Resumed {
                resumed_at: pause.until,
                due_at: time::micros(deadlines.resume(pause.left, pause.until)),
                auto: true,
            };
            clock.push(kind);
            case = apply(Some(case), clock.events.last().expect("just pushed"));
        }
    }
    if let Some(step) = overdue_step(&case, clock.at) {
        clock.push(EventKind::MarkedOverdue { step });
    }
    clock.events
}

/// Checks the role of a step action: the open step's role, or, with no step
/// open, any role that works steps (who then meets a conflict).
fn check_step_role(
    case: &Case,
    process: &Process,
    actor: &Actor,
    action: Action,
) -> Result<(), CommandError> {
    match case.current_step() {
        Some(step) if step.role != actor.role => Err(forbidden(
            action,
            actor,
            format!("step `{}` is worked by `{}`", step.code, step.role),
        )),
        // The head names one specialist (the resolution); only they work it.
        Some(step)
            if step.role == Role::Specialist
                && case
                    .assignee
                    .as_deref()
                    .is_some_and(|a| a != actor.username) =>
        {
            Err(forbidden(
                action,
                actor,
                "the head assigned this application to another specialist",
            ))
        }
        Some(_) => Ok(()),
        None if process.steps.iter().any(|s| s.role == actor.role) => Err(conflict(
            action,
            format!("the application is {}", case.status.code()),
        )),
        None => Err(forbidden(action, actor, "this role works no step")),
    }
}

/// The open, running step's index in the process (a conflict otherwise).
fn running(case: &Case, process: &Process, action: Action) -> Result<usize, CommandError> {
    match (case.status, case.current_step()) {
        (Status::InProgress, Some(step)) => Ok(process
            .index_of(step.code)
            .expect("process checked to have every step")),
        (Status::Paused, _) => Err(conflict(action, "the clock is paused; resume first")),
        (status, _) => Err(conflict(
            action,
            format!("the application is {}", status.code()),
        )),
    }
}

fn decide_on(
    case: &Case,
    process: &Process,
    deadlines: &dyn Deadlines,
    actor: &Actor,
    cmd: Command,
    out: &mut Emit,
) -> Result<(), CommandError> {
    let action = cmd.action();
    match cmd {
        Command::Intake(_) if actor.role != process.intake_role() => Err(forbidden(
            action,
            actor,
            format!(
                "intake in `{}` is done by `{}`",
                process.channel,
                process.intake_role()
            ),
        )),
        Command::Intake(_) => Err(conflict(action, "the application already exists")),
        Command::Tick
        | Command::MarkOverdue
        | Command::Registered
        | Command::ResultReceived { .. } => {
            unreachable!("decided before")
        }
        Command::Submit => {
            if !is_applicant(actor, case.applicant, case.representative.as_ref()) {
                return Err(forbidden(action, actor, "only the applicant signs"));
            }
            if case.status != Status::Draft {
                return Err(conflict(
                    action,
                    format!("the application is {}", case.status.code()),
                ));
            }
            out.push(EventKind::Signed {});
            accept(process, deadlines, &case.documents, out);
            Ok(())
        }
        Command::Complete { assignee } => {
            check_step_role(case, process, actor, action)?;
            let i = running(case, process, action)?;
            let code = process.steps[i].code;
            if code == StepCode::Resolution {
                let assignee = assignee.as_deref().map(str::trim).unwrap_or_default();
                if assignee.is_empty() {
                    return Err(invalid(
                        "assignee",
                        "name the responsible specialist (a username)",
                    ));
                }
                out.push(EventKind::Assigned {
                    assignee: assignee.to_owned(),
                });
            }
            out.push(EventKind::StepCompleted { step: code });
            if i + 1 < process.steps.len() {
                out.push(start_step(process, deadlines, i + 1, out.at));
            } else {
                let result = if case.refusal.is_some() {
                    ResultKind::Refusal
                } else {
                    ResultKind::Approval
                };
                out.push(EventKind::Completed { result });
            }
            Ok(())
        }
        Command::Refuse { grounds, reason } => {
            let review = process
                .role_of(StepCode::Review)
                .expect("process checked to have every step");
            if actor.role != review {
                return Err(forbidden(
                    action,
                    actor,
                    format!("a refusal is drafted by `{review}` at `review`"),
                ));
            }
            let i = running(case, process, action)?;
            if process.steps[i].code != StepCode::Review {
                return Err(conflict(
                    action,
                    format!(
                        "a refusal is drafted at `review`, not `{}`",
                        process.steps[i].code
                    ),
                ));
            }
            let mut unique: Vec<String> = Vec::new();
            for g in grounds {
                if !process.refusal_grounds.contains(&g) {
                    return Err(invalid(
                        "grounds",
                        format!(
                            "unknown ground `{g}` (known: {})",
                            process.refusal_grounds.join(", ")
                        ),
                    ));
                }
                if !unique.contains(&g) {
                    unique.push(g);
                }
            }
            if unique.is_empty() {
                return Err(invalid("grounds", "a refusal names at least one ground"));
            }
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(invalid("reason", "a refusal is motivated: give the reason"));
            }
            out.push(EventKind::Refused {
                grounds: unique,
                reason: reason.to_owned(),
            });
            out.push(EventKind::StepCompleted {
                step: StepCode::Review,
            });
            out.push(start_step(process, deadlines, i + 1, out.at));
            Ok(())
        }
        Command::Return { comment } => {
            check_step_role(case, process, actor, action)?;
            let i = running(case, process, action)?;
            if i == 0 {
                return Err(conflict(action, "the first step has no step before it"));
            }
            let comment = comment.trim();
            if comment.is_empty() {
                return Err(invalid("comment", "say why the step goes back"));
            }
            out.push(EventKind::Returned {
                from: process.steps[i].code,
                to: process.steps[i - 1].code,
                comment: comment.to_owned(),
            });
            out.push(start_step(process, deadlines, i - 1, out.at));
            Ok(())
        }
        Command::Pause { comment } => {
            check_step_role(case, process, actor, action)?;
            if case.status == Status::Paused {
                return Err(conflict(action, "already paused"));
            }
            let i = running(case, process, action)?;
            let step = case.current_step().expect("running");
            let left = deadlines.pause(process.steps[i].limit, step.due_at, out.at);
            out.push(EventKind::Paused {
                left,
                until: time::micros(deadlines.pause_auto_end(out.at)),
                comment: comment
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            });
            Ok(())
        }
        Command::Resume => {
            check_step_role(case, process, actor, action)?;
            let (Status::Paused, Some(pause)) = (case.status, &case.paused) else {
                return Err(conflict(
                    action,
                    format!("the application is {}", case.status.code()),
                ));
            };
            out.push(EventKind::Resumed {
                resumed_at: out.at,
                due_at: time::micros(deadlines.resume(pause.left, out.at)),
                auto: false,
            });
            Ok(())
        }
        Command::Recompute => recompute(case, process, deadlines, actor, out),
        Command::Withdraw { reason } => {
            let by_applicant = is_applicant(actor, case.applicant, case.representative.as_ref());
            let on_behalf =
                case.channel != Channel::Portal && actor.role == intake_role(case.channel);
            if !by_applicant && !on_behalf {
                return Err(forbidden(
                    action,
                    actor,
                    "only the applicant (or, on paper, intake on their request) withdraws",
                ));
            }
            if case.status.is_final() {
                return Err(conflict(
                    action,
                    format!("the application is {}", case.status.code()),
                ));
            }
            out.push(EventKind::Withdrawn {
                reason: reason
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty()),
            });
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_stable() {
        let forbidden = CommandError::Forbidden {
            action: Action::Complete,
            role: Role::Auditor,
            reason: "step `register` is worked by `clerk`".into(),
        };
        assert_eq!(forbidden.code(), "action-forbidden");
        assert_eq!(
            forbidden.to_string(),
            "role `auditor` may not complete: step `register` is worked by `clerk`"
        );
        assert_eq!(conflict(Action::Resume, "x").code(), "action-conflict");
        assert_eq!(invalid("assignee", "x").code(), "field-invalid");
    }

    #[test]
    fn commands_read_from_action_bodies() {
        let cmd: Command =
            serde_json::from_str(r#"{"action":"complete","assignee":"specialist"}"#).unwrap();
        assert_eq!(
            cmd,
            Command::Complete {
                assignee: Some("specialist".into())
            }
        );
        let cmd: Command = serde_json::from_str(r#"{"action":"complete"}"#).unwrap();
        assert_eq!(cmd.action(), Action::Complete);
        let cmd: Command =
            serde_json::from_str(r#"{"action":"refuse","grounds":["not-eligible"],"reason":"r"}"#)
                .unwrap();
        assert_eq!(cmd.action().code(), "refuse");
        let cmd: Command = serde_json::from_str(r#"{"action":"mark-overdue"}"#).unwrap();
        assert_eq!(cmd, Command::MarkOverdue);
    }

    #[test]
    fn only_integers_in_forms() {
        use serde_json::json;
        assert!(!has_non_integer(&json!({"a": [1, -2, {"b": "1.5"}]})));
        assert!(has_non_integer(&json!({"a": [1, {"b": 1.5}]})));
        assert!(has_non_integer(&json!(1e3)));
    }
}
