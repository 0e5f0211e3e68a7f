//! The life of one application (a "case"): commands, checked against the
//! regulation's steps and the actor's role, give events; the state is a pure
//! fold of those events.
//!
//! [`decide`] is the only place rules and deadlines are applied: every
//! deadline it computes is written into the events, so [`fold`] needs neither
//! calendar nor catalog, and a stored history folds to the stored state even
//! after the calendar's data changes. Nothing here reads a clock; the caller
//! passes `now`.
//!
//! Withdrawal: the applicant (by IIN, or their representative) withdraws;
//! at the office and the State Corporation the clerk or operator may also
//! record a written withdrawal on the applicant's behalf.

mod apply;
mod deadlines;
mod decide;
mod event;
mod invariants;
mod process;
mod state;
pub mod time;

pub use apply::{apply, fold, try_apply, try_fold, FoldError};
pub use decide::{decide, next_actions, Action, AvailableAction, Command, CommandError, Intake};
pub use event::{Event, EventKind, SYSTEM_ACTOR};
pub use invariants::invariants;
pub use process::{
    Actor, Deadlines, PowerOfAttorney, Process, Remaining, Representative, StepCode, StepDef,
};
pub use state::{
    Case, PauseState, Receipt, ReceiptKind, Refusal, ResultKind, ResumeBasis, Status, StepEnd,
    StepRecord,
};
