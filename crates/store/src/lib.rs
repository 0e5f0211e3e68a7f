//! Qyzmet's storage: the one [`Store`] trait the rest of the system talks to,
//! its two implementations (SQLite, the embedded default, and PostgreSQL for
//! many nodes on one database), their embedded migrations, and the job runner
//! ([`jobs`]) that delivers the outbox.
//!
//! The store treats a case as opaque: the pure engine folds events into a
//! state and hands over an [`ApplicationRow`] (indexed columns plus the state
//! as JSON); the store seals the events into the hash chain
//! ([`qyzmet_domain::audit`]), writes them, the row, the attachments, the
//! outbox jobs and the idempotency record in one transaction, or nothing at
//! all.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use qyzmet_domain::audit::{ChainBreak, ChainEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod cursor;
mod error;
pub mod jobs;
mod memory;
mod postgres;
mod sqlite;

pub use error::StoreError;
pub use memory::SESSION_MEMORY;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Opens the database named by `url` and migrates it: `sqlite://PATH`
/// (the file and its directory are created when missing) or
/// `postgres://…`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StoreError::Other(
            "database URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// An event as the engine produces it, before the store numbers and seals it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// Integers only (the chain's canonical JSON has no floats).
    pub data: Value,
}

/// The read model of one application, as computed by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationRow {
    pub service: String,
    /// Regulation version the case is pinned to.
    pub version: String,
    /// Intake channel: `office`, `state-corporation`, `portal`.
    pub channel: String,
    pub provider: String,
    pub status: String,
    pub step: Option<String>,
    pub step_role: Option<String>,
    /// Deadline of the current step; `None` while paused or when finished.
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub assignee: Option<String>,
    pub applicant_iin: String,
    /// The representative's IIN, when one acts under a power of attorney.
    pub representative_iin: Option<String>,
    /// Who took the application in (a clerk, an operator, the applicant).
    pub intake_actor: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The folded case, opaque to the store.
    pub state: StateJson,
}

/// The folded case as JSON text, kept as the text it is stored as: the
/// store writes and reads it without parsing it, and whoever reads the case
/// parses it once, straight into its own type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateJson(String);

impl StateJson {
    /// `value` as JSON text.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<StateJson, serde_json::Error> {
        serde_json::to_string(value).map(StateJson)
    }

    /// The stored text as it is (a column written only from [`StateJson::of`]).
    pub(crate) fn stored(text: String) -> StateJson {
        StateJson(text)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The state read as `T`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// An application as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: String,
    /// Human readable, e.g. `KRG-2026-000001`.
    pub number: String,
    /// The version served as ETag; every append increments it.
    pub rev: i64,
    pub row: ApplicationRow,
    /// The last link of its event chain at `rev`.
    pub head: ChainHead,
}

/// The last link of an application's event chain: its `seq` (the number of
/// events) and its hash. Stored on the application's row and changed with
/// its rev, so the head read with a row is the head at that row's rev.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    /// The head of a chain without events.
    pub fn genesis() -> Self {
        ChainHead {
            seq: 0,
            hash: qyzmet_domain::audit::GENESIS.to_owned(),
        }
    }
}

/// A side effect to run after the transaction commits.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    pub run_at: DateTime<Utc>,
}

/// The stored answer to a request sent with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Who sent it (a username, or an applicant's IIN).
    pub principal: String,
    pub key: String,
    /// Hash of method + path + body: the same key with another request is
    /// the caller's error, not a replay.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Everything one command writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub events: Vec<NewEvent>,
    pub row: ApplicationRow,
    pub jobs: Vec<NewJob>,
    pub idempotency: Option<IdempotencyRecord>,
    /// Documents attached by this command, numbered after the application's
    /// existing ones.
    pub attachments: Vec<NewAttachment>,
    /// The chain's head as read with the row at the expected rev (the
    /// [`Application::head`] of that read), so that the store seals the new
    /// events without reading it again. The store checks it together with
    /// the rev; `None` makes the store read it. Ignored by `create`.
    pub follows: Option<ChainHead>,
}

/// A document the applicant attaches (an electronic copy, up to a few MiB),
/// as the engine hands it over; the store numbers it and computes its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// What the document is to the regulation, e.g. `birth-certificate`.
    pub kind: String,
    /// The file name as uploaded.
    pub name: String,
    /// E.g. `application/pdf`.
    pub media_type: String,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for NewAttachment {
    // The content is a document, not something for the logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAttachment")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("media_type", &self.media_type)
            .field("size", &self.content.len())
            .finish_non_exhaustive()
    }
}

/// A stored attachment, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    /// 1, 2, … per application, in the order attached.
    pub idx: i64,
    pub kind: String,
    pub name: String,
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// The `updated_at` of the change that attached it.
    pub created_at: DateTime<Utc>,
}

/// An applicant's signature the verifier accepted, to keep with the
/// application (contract.md "Portal signing").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignature {
    pub application_id: String,
    /// The CMS SignedData as received, DER.
    pub cms: Vec<u8>,
    /// The exact bytes signed.
    pub content: Vec<u8>,
    /// The signer's certificate, DER.
    pub certificate: Vec<u8>,
    /// The certificate's serial number, lowercase hex.
    pub serial: String,
    pub issuer: String,
    pub subject: String,
    pub iin: String,
    pub signing_time: Option<DateTime<Utc>>,
    /// `valid`, or a refusal code when judged again.
    pub verdict: String,
    pub algorithm: String,
    pub verified_at: DateTime<Utc>,
}

/// A stored signature: 1, 2, … per application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSignature {
    pub idx: i64,
    pub signature: NewSignature,
}

/// Builds the first [`Change`] once the store has allocated the number, so
/// that the events, the state and the stored answer can all carry it.
pub type BuildChange = Box<dyn FnOnce(&str) -> Change + Send>;

/// A new application: its id, the series its number comes from, and the
/// builder of its first change.
pub struct NewApplication {
    pub id: String,
    /// `KRG` in `KRG-2026-000001`.
    pub number_prefix: String,
    /// The year of the number (the caller knows the local year).
    pub number_year: i32,
    pub build: BuildChange,
}

impl std::fmt::Debug for NewApplication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApplication")
            .field("id", &self.id)
            .field("number_prefix", &self.number_prefix)
            .field("number_year", &self.number_year)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    pub number: String,
    pub rev: i64,
}

/// Filters of [`Store::list_applications`]; every field set must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub service: Option<String>,
    /// Any of these statuses (empty: any status).
    pub statuses: Vec<String>,
    pub overdue: Option<bool>,
    pub assignee: Option<String>,
    pub provider: Option<String>,
    /// Intake channel.
    pub channel: Option<String>,
    pub step_role: Option<String>,
    pub applicant_iin: Option<String>,
    /// The applicant's or the representative's IIN: every application a
    /// person is party to.
    pub party_iin: Option<String>,
    pub intake_actor: Option<String>,
    /// Changed at or after this instant (`updated_at`).
    pub updated_since: Option<DateTime<Utc>>,
    pub order: ListOrder,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first (by `created_at`, then id).
    #[default]
    Newest,
    /// Earliest deadline first; cases without a deadline last.
    Due,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Application>,
    /// Opaque; pass back to get the next page. `None` on the last page.
    pub next_cursor: Option<String>,
}

/// What the operators watch (`/metrics`), counted in the database at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Applications per status, by status name; statuses with none are absent.
    pub by_status: Vec<(String, i64)>,
    /// Applications whose current step is marked overdue.
    pub overdue: i64,
    /// Outbox jobs waiting or running.
    pub outbox_pending: i64,
    /// Outbox jobs that failed for good (dead letters).
    pub outbox_dead: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditReport {
    pub applications: u64,
    pub events: u64,
}

/// Why `audit verify` failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("broken: application {application_id}, event {}: {}", brk.seq, brk.why)]
    Broken {
        application_id: String,
        brk: ChainBreak,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Pending,
    Running,
    Done,
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "dead" => JobStatus::Dead,
            other => return Err(StoreError::Other(format!("unknown job status {other}"))),
        })
    }
}

/// A gateway message received at our endpoint (crates/gateway's inbox).
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    /// The sender's `messageId`: a repeat carries the same one.
    pub message_id: String,
    pub service_id: String,
    pub sender_id: String,
    pub correlation_id: Option<String>,
    /// The message's `data`, as received.
    pub payload: String,
    /// The package's detached CMS over `payload` (base64), as received.
    pub package_signature: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// An outbox row.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    /// Failed runs so far.
    pub attempts: i64,
    pub run_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEdit {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// A holiday, a moved day off or a working weekend day, as the catalog
    /// layer defines it.
    pub edit: Value,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCalendarEdit {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub edit: Value,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionEnd {
    pub service: String,
    pub version: String,
    /// The version is not in force from this instant on.
    pub effective_until: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub role: String,
    pub provider: Option<String>,
    pub password_hash: String,
    pub iin: Option<String>,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub role: String,
    pub provider: Option<String>,
    pub password_hash: String,
    pub iin: Option<String>,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub username: String,
    pub expires_at: DateTime<Utc>,
}

/// Failed logins in a window, per account and per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedLogins {
    pub per_account: u64,
    pub per_address: u64,
}

/// Open applications (in progress or paused) of one provider's service at
/// one step, for monitoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLoad {
    pub provider: String,
    pub service: String,
    pub step: String,
    pub open: i64,
    /// Those whose step is marked overdue.
    pub overdue: i64,
}

/// One administrator's change, recorded with its [`NewAdminAudit`] row in
/// the same transaction (see [`Store::admin_change`]).
#[derive(Debug, Clone, PartialEq)]
pub enum AdminChange {
    /// Nothing but the audit row (an action whose effect is written
    /// elsewhere, such as a recompute, whose events are the applications').
    AuditOnly,
    CalendarEdit(NewCalendarEdit),
    VersionEnd(VersionEnd),
    CreateUser(NewUser),
    SetUserDisabled {
        username: String,
        disabled: bool,
    },
    /// A new password hash; the user's sessions end with it.
    SetPassword {
        username: String,
        password_hash: String,
    },
    /// [`Store::retry_dead`].
    RetryDead {
        id: i64,
        now: DateTime<Utc>,
    },
}

/// An administrator's action as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAdminAudit {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// Kebab-case, e.g. `user-created`, `calendar-edited`.
    pub action: String,
    /// What it was done to: a username, a date, `service/version`, a job id.
    pub target: String,
    /// The particulars (integers only, like events); never a password.
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdminAudit {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub data: Value,
}

/// What [`Store::admin_change`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminApplied {
    pub audit_id: i64,
    /// The new calendar edit's id, for a [`AdminChange::CalendarEdit`].
    pub calendar_edit_id: Option<i64>,
}

/// A document Qyzmet issues (a result or a receipt), as rendered; stored by
/// [`Store::put_document`].
#[derive(Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The public code (`GET /verify/{code}`).
    pub code: String,
    pub application_id: String,
    /// `result` or `receipt`: one document each per application.
    pub purpose: String,
    /// `approval`, `refusal` or `receipt`.
    pub kind: String,
    /// The registration number printed on it.
    pub number: String,
    /// Who issues it, as printed.
    pub issuer: String,
    pub pdf: Vec<u8>,
    /// Byte ranges of `pdf` that many documents share (the embedded fonts'
    /// objects): stored once for all of them, not in every document. In
    /// order, not overlapping; empty stores `pdf` whole.
    pub shared: Vec<SharedPart>,
    pub created_at: DateTime<Utc>,
}

/// `bytes` lie in a document's PDF from offset `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedPart {
    pub at: usize,
    pub bytes: &'static [u8],
    /// Of `bytes`, lowercase hex: the name they are stored under.
    pub sha256: &'static str,
}

impl std::fmt::Debug for NewDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDocument")
            .field("code", &self.code)
            .field("application_id", &self.application_id)
            .field("purpose", &self.purpose)
            .field("kind", &self.kind)
            .field("size", &self.pdf.len())
            .field("shared", &self.shared.len())
            .finish_non_exhaustive()
    }
}

/// A stored document with its PDF and, once sealed, its seal.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub code: String,
    pub application_id: String,
    pub purpose: String,
    pub kind: String,
    pub number: String,
    pub issuer: String,
    pub pdf: Vec<u8>,
    /// SHA-256 of `pdf` as computed when stored, lowercase hex.
    pub sha256: String,
    /// Detached CMS SignedData over `pdf`, DER.
    pub seal: Option<Vec<u8>>,
    pub signer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sealed_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StoredDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredDocument")
            .field("code", &self.code)
            .field("kind", &self.kind)
            .field("sha256", &self.sha256)
            .field("sealed", &self.seal.is_some())
            .finish_non_exhaustive()
    }
}

/// The seal of a document, written with the change that signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSeal {
    pub code: String,
    /// The hash of the bytes that were sealed: if the stored draft is no
    /// longer these bytes, nothing is written (`Stale`).
    pub sha256: String,
    pub cms: Vec<u8>,
    pub signer: String,
    pub at: DateTime<Utc>,
    /// The draft itself, when it was rendered for this seal (its render job
    /// had not stored it yet): stored in the same transaction, just before
    /// the seal, as [`Store::put_document`] would. With the seal's `code`,
    /// `sha256` must be its whole PDF's hash (it is not computed again).
    pub draft: Option<NewDocument>,
}

/// The storage of Qyzmet. Both backends pass the same contract suite
/// (`tests/contract.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Answers once the database does (`/healthz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Closes the pools (graceful shutdown, tests dropping their database).
    async fn close(&self);

    // --- applications -----------------------------------------------------

    /// Allocates the number, then writes the first change: the row at rev 1,
    /// the events sealed from the genesis hash, the attachments from idx 1,
    /// the jobs and the idempotency record. A taken id or idempotency key is
    /// `Duplicate`.
    async fn create(&self, new: NewApplication) -> Result<Created, StoreError>;
    /// Appends a change to an application at `expected_rev`: `Stale` if it
    /// moved on (nothing is written), `NotFound` if there is none. Events
    /// and attachments continue the application's numbering. Returns the
    /// new rev.
    async fn append(&self, id: &str, expected_rev: i64, change: Change) -> Result<i64, StoreError>;
    async fn get(&self, id: &str) -> Result<Application, StoreError>;
    /// The application as this node last read or wrote it, if it still
    /// remembers it (without asking the database). It may be behind a
    /// write made elsewhere: an append at its rev then fails `Stale`, and
    /// whoever decided on it reads it again with [`Store::get`] and decides
    /// again.
    fn remembered(&self, _id: &str) -> Option<Application> {
        None
    }
    async fn get_by_number(&self, number: &str) -> Result<Application, StoreError>;
    /// The chain as served, in `seq` order.
    async fn events(&self, id: &str) -> Result<Vec<ChainEvent>, StoreError>;
    /// Keyset-paged listing; `limit` is clamped to 1..=500. A cursor from
    /// another order or a malformed one is `InvalidCursor`.
    async fn list_applications(
        &self,
        filter: &ListFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError>;
    /// How many applications `filter` selects (its order aside), counting
    /// no further than `cap`: a queue's size on a page, read off the same
    /// index the list reads, however many cases the database holds.
    async fn count_applications(&self, filter: &ListFilter, cap: u32) -> Result<u64, StoreError>;
    /// Applications whose step deadline passed and are not marked overdue
    /// yet, earliest first, with the rev to append at.
    async fn steps_falling_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError>;
    /// Claims up to `limit` of the applications [`Store::steps_falling_due`]
    /// finds, skipping those another node holds, and holds them until
    /// `lease_until`: several nodes on one database divide the deadline work
    /// (`for update skip locked` on PostgreSQL).
    async fn claim_falling_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError>;
    /// The application's attachments in `idx` order, without content (none
    /// for an unknown application).
    async fn attachments(&self, application_id: &str) -> Result<Vec<AttachmentMeta>, StoreError>;
    /// One attachment with its content; `NotFound` if there is none.
    async fn attachment(
        &self,
        application_id: &str,
        idx: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>), StoreError>;
    /// Recomputes every chain, one application at a time, and names the
    /// first broken one: a link that does not hold, a chain shorter (cut
    /// short) or longer than the read model's count of events, or an
    /// application without events.
    async fn audit_verify(&self) -> Result<AuditReport, AuditError>;
    /// Keeps an accepted signature; numbered after the application's last.
    async fn add_signature(&self, signature: NewSignature) -> Result<i64, StoreError>;
    /// The application's signatures in `idx` order.
    async fn signatures(&self, application_id: &str) -> Result<Vec<StoredSignature>, StoreError>;
    /// Applications by status, overdue steps and the outbox's depth, for
    /// the metrics scrape; cheap (a few aggregate queries).
    async fn counts(&self) -> Result<Counts, StoreError>;

    // --- idempotency ------------------------------------------------------

    async fn idempotency_lookup(
        &self,
        principal: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Stores an answer for a request that wrote nothing else.
    async fn idempotency_save(&self, record: IdempotencyRecord) -> Result<(), StoreError>;

    // --- outbox -----------------------------------------------------------

    /// Enqueues jobs on their own (from a job handler, or the deadline worker).
    async fn enqueue(&self, jobs: Vec<NewJob>, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Claims up to `limit` jobs due at `now` (and jobs whose lease expired),
    /// leasing them until `lease_until`; with `kinds`, only jobs of those
    /// kinds (none, when it is empty). No job is handed to two claimers
    /// while its lease holds.
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        kinds: Option<&[String]>,
    ) -> Result<Vec<Job>, StoreError>;
    /// Marks a running job done (a job in any other state is left alone).
    async fn finish_job(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Counts a failed run of a running job; retries at `retry_at`, or with `None` the job is
    /// dead with `error` kept.
    async fn fail_job(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn job(&self, id: i64) -> Result<Job, StoreError>;
    /// Every job by status, oldest first (inspection and tests).
    async fn jobs(&self, status: JobStatus) -> Result<Vec<Job>, StoreError>;
    async fn dead_letters(&self) -> Result<Vec<Job>, StoreError> {
        self.jobs(JobStatus::Dead).await
    }
    /// Gives a dead job a fresh set of attempts, due at `now`. `NotFound`
    /// unless the job is dead.
    async fn retry_dead(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;

    // --- gateway inbox ------------------------------------------------------

    /// Records a received gateway message once: `true` when it is new,
    /// `false` when its message id was recorded before (nothing is written).
    async fn record_inbound(&self, message: InboundMessage) -> Result<bool, StoreError>;
    /// A recorded message by its id.
    async fn inbound(&self, message_id: &str) -> Result<Option<InboundMessage>, StoreError>;
    /// How many messages were recorded.
    async fn inbound_count(&self) -> Result<i64, StoreError>;
    // --- documents ----------------------------------------------------------

    /// Stores a rendered document: a new one, or in place of an unsealed one
    /// of the same code (a draft made again). A sealed document is kept as it
    /// is. Returns whether anything was written.
    async fn put_document(&self, doc: NewDocument) -> Result<bool, StoreError>;
    /// [`put_document`](Self::put_document) and
    /// [`finish_job`](Self::finish_job) of the job `job` that rendered it,
    /// in one write: the outbox records the job done with its effect (as
    /// `finish_job`, only a job still `running`). Whether the document was
    /// written is in the [`Finished`](jobs::Finished) the handler answers
    /// with ([`Ran::Recorded`](jobs::Ran::Recorded)).
    async fn put_document_finishing(
        &self,
        doc: NewDocument,
        job: i64,
        now: DateTime<Utc>,
    ) -> Result<jobs::Finished, StoreError>;
    /// A document by its code; `NotFound` if there is none.
    async fn document(&self, code: &str) -> Result<StoredDocument, StoreError>;
    /// [`append`](Self::append) and the seal of a document in one
    /// transaction: `Stale` (and nothing written) if the application moved
    /// on, or the document is no longer the bytes sealed or is sealed
    /// already; `NotFound` if either is missing.
    async fn append_sealed(
        &self,
        id: &str,
        expected_rev: i64,
        change: Change,
        seal: DocumentSeal,
    ) -> Result<i64, StoreError>;

    // --- administrator data -------------------------------------------------

    async fn add_calendar_edit(&self, edit: NewCalendarEdit) -> Result<i64, StoreError>;
    /// In the order they were made.
    async fn calendar_edits(&self) -> Result<Vec<CalendarEdit>, StoreError>;
    async fn add_version_end(&self, end: VersionEnd) -> Result<(), StoreError>;
    /// In the order they were made; a later one for the same version wins.
    async fn version_ends(&self) -> Result<Vec<VersionEnd>, StoreError>;

    /// Makes an administrator's change and records it in the audit, in one
    /// transaction: both or neither. A missing user or a job that is not
    /// dead is `NotFound`; a taken username or IIN `Duplicate` as in
    /// [`Store::create_user`].
    async fn admin_change(
        &self,
        change: AdminChange,
        audit: NewAdminAudit,
    ) -> Result<AdminApplied, StoreError>;
    /// The administrators' audit, newest first, up to `limit` (clamped to
    /// 1..=500) rows with ids below `before`.
    async fn admin_audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AdminAudit>, StoreError>;

    /// The open applications counted per provider, service and step, in
    /// that order; one aggregate query over an index.
    async fn step_load(&self) -> Result<Vec<StepLoad>, StoreError>;

    // --- users, sessions, login attempts ----------------------------------------

    /// Every account, staff and applicants, by username.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// `Duplicate("users_pkey")` for a taken username, `Duplicate("users_iin_key")`
    /// for a taken IIN.
    async fn create_user(&self, user: NewUser) -> Result<(), StoreError>;
    /// As [`Store::session_user`], remembered for at most
    /// [`SESSION_MEMORY`] and forgotten when the user changes.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    async fn user_by_iin(&self, iin: &str) -> Result<Option<User>, StoreError>;
    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<(), StoreError>;
    /// Replaces a user's password hash and ends every session of theirs but
    /// `keep` (the session that changed it), so a stolen one stops working.
    async fn set_user_password(
        &self,
        username: &str,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn create_session(&self, session: Session, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// The session, unless it expired by `now`.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;
    /// The session's user, unless the session expired by `now`: one query
    /// on every authenticated request instead of two, and none when this
    /// node read it less than [`SESSION_MEMORY`] ago. A session ended or a
    /// user changed through any store on the same database is forgotten
    /// at once (on PostgreSQL through `NOTIFY`); only a change made by
    /// another process on the same SQLite file can go unseen, for at most
    /// [`SESSION_MEMORY`].
    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Housekeeping; returns how many went.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;
    async fn record_failed_login(
        &self,
        account: &str,
        address: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Failures at or after `since`.
    async fn failed_logins_since(
        &self,
        account: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<FailedLogins, StoreError>;
    /// Housekeeping: forgets failures before `before`.
    async fn prune_failed_logins(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Microseconds since the epoch, the stored form of every instant.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us)
        .ok_or_else(|| StoreError::Other(format!("instant out of range: {us}")))
}
