// The half of a backend that both share, included by `sqlite.rs` and
// `postgres.rs` so that the same SQL (plain, with `$n` placeholders, which
// both drivers accept) serves both. Each including module defines `Db`,
// `DbRow`, `Backend` (its store type), `BACKEND`, `CLAIM_FOR` (the claiming
// query's locking clause) and, on `Backend`, a `known_parts` field
// ([`KnownParts`]), `reader()` (a read connection,
// `&mut *self.reader().await?` for a query), `write()` (runs a
// body in a write transaction: grouped with others on SQLite, its own on
// PostgreSQL), `write_one()` (the same for a body of one statement with
// nothing after it that can fail, which PostgreSQL runs without a
// transaction around it), `close_pools()`, and the point reads every
// request makes,
// `read_app`, `read_user` and `read_session_user` (on SQLite by rusqlite on
// the caller's thread, see `PointReads`), `SESSION_NOTICE` (the statement
// telling other nodes of a session's change, if any), and the fields
// `recent` ([`crate::memory::RecentApps`]) and `sessions`
// ([`crate::memory::Sessions`]).

use crate::cursor;
use crate::{
    from_micros, micros, AdminApplied, AdminAudit, AdminChange, Application, ApplicationRow,
    AttachmentMeta, AuditError, AuditReport, CalendarEdit, ChainHead, Change, Counts, Created,
    DocumentSeal, FailedLogins, IdempotencyRecord, InboundMessage, Job, JobStatus, ListFilter,
    ListOrder, NewAdminAudit, NewApplication, NewCalendarEdit, NewDocument, NewEvent, NewJob,
    NewSignature, NewUser, Page, Session, SharedPart, StateJson, StepLoad, Store, StoreError,
    StoredDocument, StoredSignature, User, VersionEnd,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use qyzmet_domain::audit::{self, ChainBreak, ChainEvent};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The connection a write's body runs on, inside its transaction.
type Conn = <Db as sqlx::Database>::Connection;

/// Rows one multi-row insert carries (well under both databases' limits on
/// bound parameters).
const ROWS_PER_INSERT: usize = 64;

/// `($1, …, $k), ($k+1, …)`: `rows` groups of `width` placeholders.
fn values_list(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

const APP_COLUMNS: &str = "id, number, service, version, channel, provider, status, step, \
     step_role, due_at, sort_due, overdue, assignee, applicant_iin, intake_actor, created_at, \
     updated_at, rev, state, representative_iin, event_count, last_hash";

const EVENT_COLUMNS: &str = "application_id, seq, type, at, actor, data, hash, prev_hash";

const ATTACHMENT_COLUMNS: &str = "idx, kind, name, media_type, size, sha256, created_at";

const JOB_COLUMNS: &str =
    "id, kind, payload, status, attempts, run_at, locked_until, last_error, created_at";

/// A job done: `$1` id, `$2` when.
const FINISH_JOB: &str = "update outbox set status = 'done', locked_until = null, \
     finished_at = $2 where id = $1 and status = 'running'";

const USER_COLUMNS: &str =
    "username, role, provider, password_hash, iin, display_name, created_at, disabled";

/// The column an application is read by.
#[derive(Clone, Copy)]
enum AppBy {
    Id,
    Number,
}

/// The query reading one application by `by` (`$1`).
fn app_by_sql(by: AppBy) -> &'static str {
    static BY_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("select {APP_COLUMNS} from applications where id = $1")
    });
    static BY_NUMBER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("select {APP_COLUMNS} from applications where number = $1")
    });
    match by {
        AppBy::Id => &BY_ID,
        AppBy::Number => &BY_NUMBER,
    }
}

/// The column a user is read by.
#[derive(Clone, Copy)]
enum UserBy {
    Username,
    Iin,
}

/// The query reading one user by `by` (`$1`).
fn user_by_sql(by: UserBy) -> &'static str {
    static BY_USERNAME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!("select {USER_COLUMNS} from users where username = $1")
    });
    static BY_IIN: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("select {USER_COLUMNS} from users where iin = $1"));
    match by {
        UserBy::Username => &BY_USERNAME,
        UserBy::Iin => &BY_IIN,
    }
}

/// The query reading a session's user and its end (`session_expires_at`):
/// `$1` the token's hash, `$2` now (a session that expired by then has
/// none).
fn session_user_sql() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "select {}, s.expires_at as session_expires_at \
             from sessions s join users u on u.username = s.username \
             where s.token_hash = $1 and s.expires_at > $2",
            USER_COLUMNS
                .split(", ")
                .map(|c| format!("u.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    &SQL
}

/// Largest page `list_applications` serves.
const MAX_PAGE: u32 = 500;

fn parse_json(s: &str) -> Result<Value, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Other(format!("stored JSON: {e}")))
}

fn to_json(v: &Value) -> String {
    // A Value always serialises.
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn opt_time(v: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    v.map(from_micros).transpose()
}

/// The deadline as a sort key: cases without one sort last.
fn sort_due(row: &ApplicationRow) -> i64 {
    row.due_at.map(micros).unwrap_or(i64::MAX)
}

/// A row's columns by name, as every row type the backends read gives them
/// (sqlx's, and on SQLite rusqlite's for the point reads): the rows read
/// into the same things are read by one function each.
trait Columns {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
}

impl Columns for DbRow {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(self.try_get(column)?)
    }
}

fn app_from_row(r: &impl Columns) -> Result<Application, StoreError> {
    Ok(Application {
        id: r.text("id")?,
        number: r.text("number")?,
        rev: r.int("rev")?,
        row: ApplicationRow {
            service: r.text("service")?,
            version: r.text("version")?,
            channel: r.text("channel")?,
            provider: r.text("provider")?,
            status: r.text("status")?,
            step: r.opt_text("step")?,
            step_role: r.opt_text("step_role")?,
            due_at: opt_time(r.opt_int("due_at")?)?,
            overdue: r.flag("overdue")?,
            assignee: r.opt_text("assignee")?,
            applicant_iin: r.text("applicant_iin")?,
            representative_iin: r.opt_text("representative_iin")?,
            intake_actor: r.text("intake_actor")?,
            created_at: from_micros(r.int("created_at")?)?,
            updated_at: from_micros(r.int("updated_at")?)?,
            state: StateJson::stored(r.text("state")?),
        },
        head: ChainHead {
            seq: r.int("event_count")?,
            hash: r.text("last_hash")?,
        },
    })
}

/// An event as stored; `data` stays text so that the audit can report
/// unparsable data as a break rather than fail.
fn raw_event(r: &DbRow) -> Result<(String, ChainEvent, String), StoreError> {
    let data: String = r.try_get("data")?;
    Ok((
        r.try_get("application_id")?,
        ChainEvent {
            seq: r.try_get("seq")?,
            kind: r.try_get("type")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            data: Value::Null,
            hash: r.try_get("hash")?,
            prev_hash: r.try_get("prev_hash")?,
        },
        data,
    ))
}

fn attachment_from_row(r: &DbRow) -> Result<AttachmentMeta, StoreError> {
    let idx: i32 = r.try_get("idx")?;
    Ok(AttachmentMeta {
        idx: i64::from(idx),
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        media_type: r.try_get("media_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        created_at: from_micros(r.try_get("created_at")?)?,
    })
}

fn job_from_row(r: &DbRow) -> Result<Job, StoreError> {
    let payload: String = r.try_get("payload")?;
    let status: String = r.try_get("status")?;
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        payload: parse_json(&payload)?,
        status: JobStatus::parse(&status)?,
        attempts: r.try_get("attempts")?,
        run_at: from_micros(r.try_get("run_at")?)?,
        locked_until: opt_time(r.try_get("locked_until")?)?,
        last_error: r.try_get("last_error")?,
        created_at: from_micros(r.try_get("created_at")?)?,
    })
}

/// A row of [`session_user_sql`]: the user and the session's end.
fn session_user_from_row(r: &impl Columns) -> Result<(User, i64), StoreError> {
    Ok((user_from_row(r)?, r.int("session_expires_at")?))
}

fn user_from_row(r: &impl Columns) -> Result<User, StoreError> {
    Ok(User {
        username: r.text("username")?,
        role: r.text("role")?,
        provider: r.opt_text("provider")?,
        password_hash: r.text("password_hash")?,
        iin: r.opt_text("iin")?,
        display_name: r.text("display_name")?,
        created_at: from_micros(r.int("created_at")?)?,
        disabled: r.flag("disabled")?,
    })
}

const IDEMPOTENCY_INSERT: &str =
    "insert into idempotency_keys (principal, key, fingerprint, status, body, created_at) \
     values ($1, $2, $3, $4, $5, $6)";

async fn insert_idempotency(conn: &mut Conn, rec: &IdempotencyRecord) -> Result<(), StoreError> {
    sqlx::query(IDEMPOTENCY_INSERT)
        .bind(rec.principal.clone())
        .bind(rec.key.clone())
        .bind(rec.fingerprint.clone())
        .bind(i64::from(rec.status))
        .bind(rec.body.clone())
        .bind(micros(rec.created_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Seals `events` onto the chain whose last link is `head`; the new head.
fn seal_events(
    head: &ChainHead,
    events: &[NewEvent],
) -> Result<(Vec<ChainEvent>, ChainHead), StoreError> {
    let mut sealed = Vec::with_capacity(events.len());
    let mut seq = head.seq;
    let mut prev = head.hash.clone();
    for e in events {
        seq += 1;
        let s = audit::seal(&prev, seq, &e.kind, e.at, &e.actor, e.data.clone())
            .map_err(|err| StoreError::Other(format!("event {}: {err}", e.kind)))?;
        prev = s.hash.clone();
        sealed.push(s);
    }
    Ok((sealed, ChainHead { seq, hash: prev }))
}

/// The head an append follows, and the links sealed onto it (with the new
/// head).
type Links = (ChainHead, (Vec<ChainEvent>, ChainHead));

/// The chain's new links of `change`, when it names the head it follows.
fn links_of(change: &Change) -> Result<Option<Links>, StoreError> {
    change
        .follows
        .as_ref()
        .map(|head| Ok((head.clone(), seal_events(head, &change.events)?)))
        .transpose()
}

const ATTACHMENT_INSERT: &str =
    "insert into attachments (application_id, idx, kind, name, media_type, size, \
     sha256, content, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// The last number given to an application's attachments (0 for none).
const ATTACHMENT_LAST: &str =
    "select coalesce(max(idx), 0) from attachments where application_id = $1";

/// A chain shorter or longer than the read model's count, or no chain.
fn count_break(events: i64, counted: i64) -> Option<ChainBreak> {
    if events < counted {
        Some(ChainBreak {
            seq: events + 1,
            why: format!("events missing after seq {events} (the read model counts {counted})"),
        })
    } else if events > counted {
        Some(ChainBreak {
            seq: counted + 1,
            why: format!("event beyond the read model's count ({counted})"),
        })
    } else if events == 0 {
        Some(ChainBreak {
            seq: 1,
            why: "the application has no events".into(),
        })
    } else {
        None
    }
}

const JOBS_INSERT: &str =
    "insert into outbox (kind, payload, status, attempts, run_at, created_at) values ";

/// Inserts jobs into the outbox, many rows a statement, in order.
async fn insert_jobs(
    conn: &mut Conn,
    jobs: &[NewJob],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for chunk in jobs.chunks(ROWS_PER_INSERT) {
        let sql = format!("{JOBS_INSERT}{}", values_list(chunk.len(), 6));
        let mut q = sqlx::query(&sql);
        for j in chunk {
            q = q
                .bind(j.kind.clone())
                .bind(to_json(&j.payload))
                .bind("pending")
                .bind(0_i64)
                .bind(micros(j.run_at))
                .bind(micros(now));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A value bound into a query assembled at run time.
enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// The filter's statuses, each once, in order: the list's arms and the
/// count read them so.
fn distinct_statuses(filter: &ListFilter) -> Vec<String> {
    let mut statuses = filter.statuses.clone();
    statuses.sort();
    statuses.dedup();
    statuses
}

/// Binds `binds` in order to a query of either kind (`query`,
/// `query_scalar`).
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
                Bind::Bool(v) => q.bind(v),
            };
        }
        q
    }};
}

fn param(binds: &mut Vec<Bind>, b: Bind) -> String {
    binds.push(b);
    format!("${}", binds.len())
}

/// The conditions of every case `filter` lists, with `statuses` among them,
/// after `cursor`: `and …` clauses, their values pushed onto `binds`.
fn list_conditions(
    filter: &ListFilter,
    cursor: Option<&str>,
    binds: &mut Vec<Bind>,
    statuses: &[String],
) -> Result<String, StoreError> {
    let mut sql = String::new();
    let equal = [
        ("service", &filter.service),
        ("assignee", &filter.assignee),
        ("provider", &filter.provider),
        ("channel", &filter.channel),
        ("step_role", &filter.step_role),
        ("applicant_iin", &filter.applicant_iin),
        ("intake_actor", &filter.intake_actor),
    ];
    for (column, value) in equal {
        if let Some(v) = value {
            let p = param(binds, Bind::Text(v.clone()));
            sql.push_str(&format!(" and {column} = {p}"));
        }
    }
    if let Some(iin) = &filter.party_iin {
        let a = param(binds, Bind::Text(iin.clone()));
        let r = param(binds, Bind::Text(iin.clone()));
        sql.push_str(&format!(
            " and (applicant_iin = {a} or representative_iin = {r})"
        ));
    }
    if !statuses.is_empty() {
        let ps: Vec<String> = statuses
            .iter()
            .map(|s| param(binds, Bind::Text(s.clone())))
            .collect();
        sql.push_str(&format!(" and status in ({})", ps.join(", ")));
    }
    if let Some(o) = filter.overdue {
        let p = param(binds, Bind::Bool(o));
        sql.push_str(&format!(" and overdue = {p}"));
    }
    if let Some(t) = filter.updated_since {
        let p = param(binds, Bind::Int(micros(t)));
        sql.push_str(&format!(" and updated_at >= {p}"));
    }
    if let Some(c) = cursor {
        let c = cursor::decode(filter.order, c)?;
        let k = param(binds, Bind::Int(c.key));
        let i = param(binds, Bind::Text(c.id));
        sql.push_str(&match filter.order {
            ListOrder::Newest => format!(" and (created_at, id) < ({k}, {i})"),
            ListOrder::Due => format!(" and (sort_due, id) > ({k}, {i})"),
        });
    }
    Ok(sql)
}

async fn insert_calendar_edit(conn: &mut Conn, edit: NewCalendarEdit) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "insert into calendar_edits (at, actor, edit, reason) values ($1, $2, $3, $4) \
         returning id",
    )
    .bind(micros(edit.at))
    .bind(edit.actor)
    .bind(to_json(&edit.edit))
    .bind(edit.reason)
    .fetch_one(&mut *conn)
    .await?)
}

async fn insert_version_end(conn: &mut Conn, end: VersionEnd) -> Result<(), StoreError> {
    sqlx::query(
        "insert into version_ends (service, version, effective_until, at, actor) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(end.service)
    .bind(end.version)
    .bind(micros(end.effective_until))
    .bind(micros(end.at))
    .bind(end.actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_user(conn: &mut Conn, user: NewUser) -> Result<(), StoreError> {
    sqlx::query(
        "insert into users (username, role, provider, password_hash, iin, display_name, \
         created_at, disabled) values ($1, $2, $3, $4, $5, $6, $7, false)",
    )
    .bind(user.username)
    .bind(user.role)
    .bind(user.provider)
    .bind(user.password_hash)
    .bind(user.iin)
    .bind(user.display_name)
    .bind(micros(user.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn update_user_disabled(
    conn: &mut Conn,
    username: &str,
    disabled: bool,
) -> Result<(), StoreError> {
    let done = sqlx::query("update users set disabled = $2 where username = $1")
        .bind(username.to_owned())
        .bind(disabled)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    tell_sessions(conn, crate::memory::user_changed(username)).await
}

/// A user's new password hash; every session of theirs ends but `keep`
/// (the one that changed it; empty for none), and the other nodes are told.
async fn replace_password(
    conn: &mut Conn,
    username: String,
    password_hash: String,
    keep: String,
) -> Result<(), StoreError> {
    let done = sqlx::query("update users set password_hash = $2 where username = $1")
        .bind(username.clone())
        .bind(password_hash)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("delete from sessions where username = $1 and token_hash <> $2")
        .bind(username.clone())
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    tell_sessions(conn, crate::memory::user_changed(&username)).await
}

/// Tells the other nodes that `notice` ([`crate::memory::Sessions::changed`])
/// changed, when the write commits (PostgreSQL's `NOTIFY`; on SQLite there
/// is no one else to tell).
async fn tell_sessions(conn: &mut Conn, notice: String) -> Result<(), StoreError> {
    if let Some(sql) = SESSION_NOTICE {
        sqlx::query(sql).bind(notice).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn revive_dead_job(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update outbox set status = 'pending', attempts = 0, run_at = $2, \
         finished_at = null where id = $1 and status = 'dead'",
    )
    .bind(id)
    .bind(micros(now))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Takes the next number of `prefix` and `year`: `$1` prefix, `$2` year.
const NUMBER_NEXT: &str = "insert into number_counters (prefix, year, last) values ($1, $2, 1) \
     on conflict (prefix, year) do update set last = number_counters.last + 1 \
     returning last";

/// `$1` id, `$2` number, `$3` rev, `$4`…`$20` the row (as [`bind_row`]),
/// `$21`/`$22` the chain's head.
const APPLICATION_INSERT: &str =
    "insert into applications (id, number, rev, service, version, channel, \
     provider, status, step, step_role, due_at, sort_due, overdue, assignee, \
     applicant_iin, intake_actor, created_at, updated_at, state, \
     representative_iin, event_count, last_hash) \
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
     $16, $17, $18, $19, $20, $21, $22)";

/// Stores a document: `$1` code, `$2` application, `$3` purpose, `$4` kind,
/// `$5` number, `$6` issuer, `$7` the PDF's own bytes, `$8` the whole PDF's
/// sha256, `$9` when made, `$10` where its shared parts go (see
/// [`StoredForm`]). Both backends know `on conflict … do update … where`:
/// an unsealed draft gives way to the one made again, a sealed one never
/// does.
static PUT_DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "insert into documents ({DOCUMENT_INSERT_COLUMNS}) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) {DOCUMENT_ON_CONFLICT}"
    )
});

/// A draft stored already sealed (the draft made at sign, with its seal):
/// `$1`…`$10` as [`PUT_DOCUMENT`], `$11` the CMS, `$12` the signer, `$13`
/// when. A draft there already gives way to it; a sealed one does not
/// (then no row changes, as [`SEAL_DOCUMENT`] on a sealed draft).
static PUT_SEALED_DRAFT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "insert into documents ({DOCUMENT_INSERT_COLUMNS}, seal, signer, sealed_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         {SEALED_DRAFT_ON_CONFLICT}"
    )
});

/// What storing a sealed draft does when its code is there already.
const SEALED_DRAFT_ON_CONFLICT: &str =
    "on conflict (code) do update set kind = excluded.kind, number = excluded.number, \
     issuer = excluded.issuer, pdf = excluded.pdf, sha256 = excluded.sha256, \
     created_at = excluded.created_at, parts = excluded.parts, seal = excluded.seal, \
     signer = excluded.signer, sealed_at = excluded.sealed_at \
     where documents.seal is null";

/// The columns [`PUT_DOCUMENT`] writes, in the order of its parameters.
const DOCUMENT_INSERT_COLUMNS: &str =
    "code, application_id, purpose, kind, number, issuer, pdf, sha256, created_at, parts";

/// What storing a document does when its code is there already.
const DOCUMENT_ON_CONFLICT: &str =
    "on conflict (code) do update set kind = excluded.kind, number = excluded.number, \
     issuer = excluded.issuer, pdf = excluded.pdf, sha256 = excluded.sha256, \
     created_at = excluded.created_at, parts = excluded.parts \
     where documents.seal is null and documents.sha256 <> excluded.sha256";

/// Stores a shared part of PDFs once: `$1` its sha256, `$2` its bytes.
const PUT_PART: &str = "insert into pdf_parts (sha256, bytes) values ($1, $2) \
                        on conflict (sha256) do nothing";

/// A part's bytes: `$1` its sha256.
const PART_BYTES: &str = "select bytes from pdf_parts where sha256 = $1";

/// A document's PDF as stored: its own bytes (the PDF without its shared
/// parts), the whole PDF's sha256, and where the shared parts go, as
/// `AT+LEN:SHA256` comma-separated (`None`: `pdf` is the whole PDF).
struct StoredForm {
    pdf: Vec<u8>,
    sha256: String,
    parts: Option<String>,
}

/// A document ready to write, prepared before it is queued: as stored, and
/// those of its shared parts not known to be stored yet (written first).
struct DocumentWrite {
    doc: NewDocument,
    form: StoredForm,
    fresh: Vec<SharedPart>,
}

/// Cuts the shared parts out of `pdf`, after checking each lies there.
fn stored_form(
    pdf: &[u8],
    shared: &[SharedPart],
    sha256: Option<String>,
) -> Result<StoredForm, StoreError> {
    let sha256 = sha256.unwrap_or_else(|| hex::encode(Sha256::digest(pdf)));
    if shared.is_empty() {
        return Ok(StoredForm {
            pdf: pdf.to_vec(),
            sha256,
            parts: None,
        });
    }
    let mut own = Vec::with_capacity(pdf.len());
    let mut parts = Vec::with_capacity(shared.len());
    let mut from = 0;
    for p in shared {
        let end = p.at.checked_add(p.bytes.len());
        let lies_there = p.at >= from
            && end.is_some_and(|end| pdf.get(p.at..end) == Some(p.bytes))
            && p.sha256.len() == 64
            && p.sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !lies_there {
            return Err(StoreError::Other(format!(
                "a shared part ({}+{}) is not where the document says",
                p.at,
                p.bytes.len()
            )));
        }
        own.extend_from_slice(&pdf[from..p.at]);
        from = p.at + p.bytes.len();
        parts.push(format!("{}+{}:{}", p.at, p.bytes.len(), p.sha256));
    }
    own.extend_from_slice(&pdf[from..]);
    Ok(StoredForm {
        pdf: own,
        sha256,
        parts: Some(parts.join(",")),
    })
}

/// Where a stored document's shared parts go: (at, len, sha256) each.
fn parse_parts(parts: &str) -> Result<Vec<(usize, usize, &str)>, StoreError> {
    let bad = || StoreError::Other(format!("a document's parts do not read: {parts:?}"));
    parts
        .split(',')
        .map(|p| {
            let (place, sha) = p.split_once(':').ok_or_else(bad)?;
            let (at, len) = place.split_once('+').ok_or_else(bad)?;
            Ok((
                at.parse().map_err(|_| bad())?,
                len.parse().map_err(|_| bad())?,
                sha,
            ))
        })
        .collect()
}

/// The whole PDF again from its own bytes and its parts' (in the order of
/// `parts`), checked against the sha256 it was stored with.
fn whole_pdf(
    own: &[u8],
    parts: &[(usize, usize, &str)],
    bytes: &[impl AsRef<[u8]>],
    sha256: &str,
) -> Result<Vec<u8>, StoreError> {
    let total = own.len() + bytes.iter().map(|b| b.as_ref().len()).sum::<usize>();
    let mut pdf = Vec::with_capacity(total);
    let mut from = 0;
    for ((at, len, _), b) in parts.iter().zip(bytes) {
        let b = b.as_ref();
        let take = at
            .checked_sub(pdf.len())
            .and_then(|n| own.get(from..from + n));
        let Some(take) = take.filter(|_| b.len() == *len) else {
            return Err(StoreError::Other("a document's parts do not fit it".into()));
        };
        pdf.extend_from_slice(take);
        from += take.len();
        pdf.extend_from_slice(b);
    }
    pdf.extend_from_slice(own.get(from..).unwrap_or_default());
    if hex::encode(Sha256::digest(&pdf)) != sha256 {
        return Err(StoreError::Other(
            "a document's bytes do not match their sha256".into(),
        ));
    }
    Ok(pdf)
}

/// The shared parts a store has committed: a document whose parts are all
/// here does not send them again. Parts are never deleted, so what is here
/// stays true; what is not may be stored already (another node's), and is
/// written with `on conflict do nothing`.
#[derive(Default)]
struct KnownParts(std::sync::Mutex<std::collections::HashMap<&'static str, &'static [u8]>>);

impl KnownParts {
    /// Those of `shared` not known to be stored, each checked to be named
    /// by its own sha256 (a part stored under a wrong name would make every
    /// document that uses it unreadable); a known name with other bytes is
    /// refused.
    fn unknown(&self, shared: &[SharedPart]) -> Result<Vec<SharedPart>, StoreError> {
        let misnamed = |p: &SharedPart| {
            StoreError::Other(format!(
                "a shared part is not named by its sha256: {}",
                p.sha256
            ))
        };
        if shared.is_empty() {
            return Ok(Vec::new());
        }
        let mut fresh = Vec::new();
        {
            let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
            for p in shared {
                match known.get(p.sha256) {
                    Some(bytes) if std::ptr::eq(*bytes, p.bytes) || *bytes == p.bytes => {}
                    Some(_) => return Err(misnamed(p)),
                    None => fresh.push(*p),
                }
            }
        }
        if let Some(p) = fresh
            .iter()
            .find(|p| hex::encode(Sha256::digest(p.bytes)) != p.sha256)
        {
            return Err(misnamed(p));
        }
        Ok(fresh)
    }

    /// The bytes of the part named `sha256`, if this store has committed
    /// it: a document read back takes them from here, not the database.
    fn bytes(&self, sha256: &str) -> Option<&'static [u8]> {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.get(sha256).copied()
    }

    /// Notes `shared` as committed.
    fn stored(&self, shared: &[SharedPart]) {
        if shared.is_empty() {
            return;
        }
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.extend(shared.iter().map(|p| (p.sha256, p.bytes)));
    }
}

impl Backend {
    /// `doc` prepared to write: cut into its stored form and checked (its
    /// sha256 computed here, not in the write), with the shared parts this
    /// store does not know to be stored.
    fn document_write(&self, doc: NewDocument) -> Result<DocumentWrite, StoreError> {
        self.document_write_hashed(doc, None)
    }

    /// [`Backend::document_write`] of a document whose whole PDF's sha256
    /// (hex) is known, when `sha256` (else it is computed).
    fn document_write_hashed(
        &self,
        doc: NewDocument,
        sha256: Option<String>,
    ) -> Result<DocumentWrite, StoreError> {
        Ok(DocumentWrite {
            form: stored_form(&doc.pdf, &doc.shared, sha256)?,
            fresh: self.known_parts.unknown(&doc.shared)?,
            doc,
        })
    }

    /// Stores `doc` (and the shared parts not stored yet), with `finish`
    /// ending that job in the same write; whether the document was written.
    async fn store_document(
        &self,
        doc: NewDocument,
        finish: Option<(i64, DateTime<Utc>)>,
    ) -> Result<bool, StoreError> {
        let write = self.document_write(doc)?;
        let shared = write.doc.shared.clone();
        let written = self.write_put_document(write, finish).await?;
        self.known_parts.stored(&shared);
        Ok(written)
    }
}

/// Seals a stored draft: `$1` code, `$2` its sha256, `$3` the CMS, `$4` the
/// signer, `$5` when; a draft since made again (or sealed) is not touched.
const SEAL_DOCUMENT: &str = "update documents set seal = $3, signer = $4, sealed_at = $5 \
                             where code = $1 and sha256 = $2 and seal is null";

/// Why a seal changed no row: the draft changed or was sealed meanwhile
/// (`exists`), or there is none.
fn unsealed(exists: bool) -> StoreError {
    if exists {
        StoreError::Stale
    } else {
        StoreError::NotFound
    }
}

/// The conditional update of an append: `$1` id, `$2` the expected rev,
/// `$3`…`$19` the row (as [`bind_row`]), `$20`/`$21` the new head, `$22`/`$23`
/// the head the change follows.
const APPEND_UPDATE: &str =
    "update applications set service = $3, version = $4, channel = $5, provider = $6, \
     status = $7, step = $8, step_role = $9, due_at = $10, sort_due = $11, \
     overdue = $12, assignee = $13, applicant_iin = $14, intake_actor = $15, \
     created_at = $16, updated_at = $17, state = $18, representative_iin = $19, \
     rev = rev + 1, event_count = $20, last_hash = $21 \
     where id = $1 and rev = $2 and event_count = $22 and last_hash = $23";

/// The chain's head kept on the row.
const HEAD_SELECT: &str = "select event_count, last_hash from applications where id = $1";

impl Backend {
    /// An append, remembered ([`crate::memory::RecentApps`]) when it
    /// committed over the application as remembered, forgotten otherwise.
    async fn append_remembering(
        &self,
        id: &str,
        expected_rev: i64,
        change: Change,
        seal: Option<DocumentSeal>,
        draft: Option<DocumentWrite>,
    ) -> Result<i64, StoreError> {
        let links = links_of(&change)?;
        let after = links
            .as_ref()
            .map(|(_, (_, head))| (head.clone(), change.row.clone()));
        let written = self
            .write_append(id.to_owned(), expected_rev, change, links, seal, draft)
            .await;
        match (&written, after) {
            (Ok(_), Some((head, row))) => self.recent.appended(id, expected_rev, row, head),
            _ => self.recent.forget(id),
        }
        written
    }
}

/// The rev and the chain's head, to tell why an append missed.
const ROW_HEAD_SELECT: &str = "select rev, event_count, last_hash from applications where id = $1";

/// Why an append's update changed no row, from the row as it is now.
fn append_missed(
    now: Option<(i64, i64, String)>,
    expected_rev: i64,
    head: &ChainHead,
) -> StoreError {
    match now {
        None => StoreError::NotFound,
        Some((rev, _, _)) if rev != expected_rev => StoreError::Stale,
        Some((_, seq, hash)) => StoreError::Other(format!(
            "the chain's head at rev {expected_rev} is ({seq}, {hash}), not the \
             ({}, {}) the change follows",
            head.seq, head.hash
        )),
    }
}

#[async_trait]
impl Store for Backend {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1")
            .execute(&mut *self.reader().await?)
            .await?;
        Ok(())
    }

    async fn close(&self) {
        // A closed store answers nothing, from memory either.
        self.sessions.set_told(false);
        self.recent.clear();
        self.close_pools().await;
    }

    async fn create(&self, new: NewApplication) -> Result<Created, StoreError> {
        let app = self.write_create(new).await?;
        let created = Created {
            id: app.id.clone(),
            number: app.number.clone(),
            rev: app.rev,
        };
        self.recent.created(app);
        Ok(created)
    }

    async fn append(&self, id: &str, expected_rev: i64, change: Change) -> Result<i64, StoreError> {
        self.append_remembering(id, expected_rev, change, None, None)
            .await
    }

    async fn append_sealed(
        &self,
        id: &str,
        expected_rev: i64,
        change: Change,
        mut seal: DocumentSeal,
    ) -> Result<i64, StoreError> {
        // The draft made for this seal is the bytes sealed: their hash is
        // the seal's (checked in debug builds, that is in every test).
        let draft = seal
            .draft
            .take()
            .map(|d| {
                let known = (d.code == seal.code).then(|| seal.sha256.clone());
                debug_assert!(known
                    .as_ref()
                    .is_none_or(|h| *h == hex::encode(Sha256::digest(&d.pdf))));
                self.document_write_hashed(d, known)
            })
            .transpose()?;
        let shared = draft.as_ref().map(|d| d.doc.shared.clone());
        let rev = self
            .append_remembering(id, expected_rev, change, Some(seal), draft)
            .await?;
        self.known_parts
            .stored(shared.as_deref().unwrap_or_default());
        Ok(rev)
    }

    async fn put_document(&self, doc: NewDocument) -> Result<bool, StoreError> {
        self.store_document(doc, None).await
    }

    async fn put_document_finishing(
        &self,
        doc: NewDocument,
        job: i64,
        now: DateTime<Utc>,
    ) -> Result<crate::jobs::Finished, StoreError> {
        let written = self.store_document(doc, Some((job, now))).await?;
        Ok(crate::jobs::Finished::new(written))
    }

    async fn document(&self, code: &str) -> Result<StoredDocument, StoreError> {
        let mut conn = self.reader().await?;
        let row = sqlx::query(
            "select code, application_id, purpose, kind, number, issuer, pdf, sha256, seal, \
             signer, created_at, sealed_at, parts from documents where code = $1",
        )
        .bind(code.to_owned())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
        let sha256: String = row.try_get("sha256")?;
        let own: Vec<u8> = row.try_get("pdf")?;
        let pdf = match row.try_get::<Option<String>, _>("parts")? {
            None => own,
            Some(parts) => {
                let parts = parse_parts(&parts)?;
                let mut bytes = Vec::with_capacity(parts.len());
                for (_, _, sha) in &parts {
                    // The process's own parts (its fonts) are here already.
                    if let Some(b) = self.known_parts.bytes(sha) {
                        bytes.push(std::borrow::Cow::Borrowed(b));
                        continue;
                    }
                    let b: Vec<u8> = sqlx::query_scalar(PART_BYTES)
                        .bind(sha.to_string())
                        .fetch_optional(&mut *conn)
                        .await?
                        .ok_or_else(|| {
                            StoreError::Other(format!("a shared part is missing: {sha}"))
                        })?;
                    bytes.push(std::borrow::Cow::Owned(b));
                }
                whole_pdf(&own, &parts, &bytes, &sha256)?
            }
        };
        Ok(StoredDocument {
            code: row.try_get("code")?,
            application_id: row.try_get("application_id")?,
            purpose: row.try_get("purpose")?,
            kind: row.try_get("kind")?,
            number: row.try_get("number")?,
            issuer: row.try_get("issuer")?,
            pdf,
            sha256,
            seal: row.try_get("seal")?,
            signer: row.try_get("signer")?,
            created_at: from_micros(row.try_get("created_at")?)?,
            sealed_at: opt_time(row.try_get("sealed_at")?)?,
        })
    }

    async fn get(&self, id: &str) -> Result<Application, StoreError> {
        let app = self
            .read_app(AppBy::Id, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.recent.read(&app);
        Ok(app)
    }

    fn remembered(&self, id: &str) -> Option<Application> {
        self.recent.get(id)
    }

    async fn get_by_number(&self, number: &str) -> Result<Application, StoreError> {
        let app = self
            .read_app(AppBy::Number, number)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.recent.read(&app);
        Ok(app)
    }

    async fn events(&self, id: &str) -> Result<Vec<ChainEvent>, StoreError> {
        let sql =
            format!("select {EVENT_COLUMNS} from events where application_id = $1 order by seq");
        let rows = sqlx::query(&sql)
            .bind(id.to_owned())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter()
            .map(|r| {
                let (_, mut e, data) = raw_event(r)?;
                e.data = parse_json(&data)?;
                Ok(e)
            })
            .collect()
    }

    async fn list_applications(
        &self,
        filter: &ListFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut binds = Vec::new();
        let order = match filter.order {
            ListOrder::Newest => " order by created_at desc, id desc",
            ListOrder::Due => " order by sort_due, id",
        };
        // One ordered, limited select a status, merged, where an index
        // runs (assignee or provider, status, …, sort_due): it gives each
        // select its order (there is none for the newest first), where
        // `status in (…)` would read every case of those statuses and sort
        // them (a specialist's worklist, in progress or paused, on
        // PostgreSQL). Not for the overdue: their own index (overdue, sort
        // key) serves them in order already, and a select a status would
        // read every case of a rare status to find its few.
        let statuses = distinct_statuses(filter);
        let merge = statuses.len() > 1
            && filter.order == ListOrder::Due
            && filter.overdue.is_none()
            && (filter.assignee.is_some() || filter.provider.is_some());
        let sql = if merge {
            let mut arms = Vec::new();
            for (n, status) in statuses.iter().enumerate() {
                let w = list_conditions(filter, cursor, &mut binds, std::slice::from_ref(status))?;
                let p = param(&mut binds, Bind::Int(i64::from(limit) + 1));
                arms.push(format!(
                    "select * from (select {APP_COLUMNS} from applications where true{w}{order} \
                     limit {p}) arm{n}"
                ));
            }
            let p = param(&mut binds, Bind::Int(i64::from(limit) + 1));
            format!("{}{order} limit {p}", arms.join(" union all "))
        } else {
            let w = list_conditions(filter, cursor, &mut binds, &statuses)?;
            let p = param(&mut binds, Bind::Int(i64::from(limit) + 1));
            format!("select {APP_COLUMNS} from applications where true{w}{order} limit {p}")
        };

        let q = bind_all!(sqlx::query(&sql), binds);
        let rows = q.fetch_all(&mut *self.reader().await?).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_key = 0;
        for r in rows.iter().take(limit as usize) {
            last_key = match filter.order {
                ListOrder::Newest => r.try_get("created_at")?,
                ListOrder::Due => r.try_get("sort_due")?,
            };
            items.push(app_from_row(r)?);
        }
        let next_cursor = if rows.len() > limit as usize {
            items
                .last()
                .map(|a| cursor::encode(filter.order, last_key, &a.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn count_applications(&self, filter: &ListFilter, cap: u32) -> Result<u64, StoreError> {
        let mut binds = Vec::new();
        let statuses = distinct_statuses(filter);
        // `overdue` as a literal, as the partial index of the overdue
        // (migration 0033) names it: a bound value would not let the
        // planner prove the index holds every row asked for.
        let unbound = ListFilter {
            overdue: None,
            ..filter.clone()
        };
        let mut w = list_conditions(&unbound, None, &mut binds, &statuses)?;
        if let Some(o) = filter.overdue {
            w.push_str(if o {
                " and overdue = true"
            } else {
                " and overdue = false"
            });
        }
        let p = param(&mut binds, Bind::Int(i64::from(cap)));
        let sql =
            format!("select count(*) from (select 1 from applications where true{w} limit {p}) c");
        let q = bind_all!(sqlx::query_scalar::<_, i64>(&sql), binds);
        let n = q.fetch_one(&mut *self.reader().await?).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn steps_falling_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "select id, rev from applications \
             where overdue = false and sort_due < $1 \
             order by sort_due, id limit $2",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows)
    }

    async fn claim_falling_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = format!(
            "update applications set clock_lease = $2 where id in (\
             select id from applications \
             where overdue = false and sort_due < $1 \
             and (clock_lease is null or clock_lease <= $1) \
             order by sort_due, id limit $3 {CLAIM_FOR}) \
             returning id, rev, sort_due"
        );
        self.write(move |conn| {
            Box::pin(async move {
                let mut rows: Vec<(String, i64, i64)> = sqlx::query_as(&sql)
                    .bind(micros(now))
                    .bind(micros(lease_until))
                    .bind(i64::from(limit))
                    .fetch_all(&mut *conn)
                    .await?;
                // `returning` keeps no order; tick the earliest first.
                rows.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
                Ok(rows.into_iter().map(|(id, rev, _)| (id, rev)).collect())
            })
        })
        .await
    }

    async fn attachments(&self, application_id: &str) -> Result<Vec<AttachmentMeta>, StoreError> {
        let sql = format!(
            "select {ATTACHMENT_COLUMNS} from attachments where application_id = $1 order by idx"
        );
        let rows = sqlx::query(&sql)
            .bind(application_id.to_owned())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    async fn attachment(
        &self,
        application_id: &str,
        idx: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>), StoreError> {
        let Ok(idx) = i32::try_from(idx) else {
            return Err(StoreError::NotFound);
        };
        let sql = format!(
            "select {ATTACHMENT_COLUMNS}, content from attachments \
             where application_id = $1 and idx = $2"
        );
        let row = sqlx::query(&sql)
            .bind(application_id.to_owned())
            .bind(idx)
            .fetch_optional(&mut *self.reader().await?)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((attachment_from_row(&row)?, row.try_get("content")?))
    }

    async fn audit_verify(&self) -> Result<AuditReport, AuditError> {
        fn check(
            application_id: &str,
            head: &ChainHead,
            chain: &[ChainEvent],
        ) -> Result<(), AuditError> {
            let broken = |brk| AuditError::Broken {
                application_id: application_id.to_owned(),
                brk,
            };
            audit::verify(chain).map_err(broken)?;
            let len = i64::try_from(chain.len()).unwrap_or(i64::MAX);
            if let Some(brk) = count_break(len, head.seq) {
                return Err(broken(brk));
            }
            // The head the next append seals after must be the chain's.
            match chain.last() {
                Some(last) if last.hash != head.hash => Err(broken(ChainBreak {
                    seq: last.seq,
                    why: "the read model's last hash is not the chain's last link".into(),
                })),
                _ => Ok(()),
            }
        }
        // Events of no application: the foreign key keeps them out, unless
        // it was switched off behind the store's back.
        let orphan: Option<(String, i64)> = sqlx::query_as(
            "select application_id, min(seq) from events e where not exists \
             (select 1 from applications a where a.id = e.application_id) \
             group by application_id order by application_id limit 1",
        )
        .fetch_optional(&mut *self.reader().await?)
        .await
        .map_err(StoreError::from)?;
        if let Some((application_id, seq)) = orphan {
            return Err(AuditError::Broken {
                application_id,
                brk: ChainBreak {
                    seq,
                    why: "events of an application the read model does not have".into(),
                },
            });
        }
        // One statement, so one snapshot: the chains and the counts agree
        // while appends go on. An application without events comes as one
        // row with no event.
        let sql = "select a.id as application_id, a.event_count, a.last_hash, e.seq, e.type, \
             e.at, e.actor, \
             e.data, e.hash, e.prev_hash \
             from applications a left join events e on e.application_id = a.id \
             order by a.id, e.seq";
        // Streamed: one application's chain is held at a time.
        let mut conn = self.reader().await?;
        let mut rows = sqlx::query(sql).fetch(&mut *conn);
        let mut report = AuditReport {
            applications: 0,
            events: 0,
        };
        let mut current: Option<(String, ChainHead)> = None;
        let mut chain: Vec<ChainEvent> = Vec::new();
        while let Some(r) = rows.try_next().await.map_err(StoreError::from)? {
            let app: String = r.try_get("application_id").map_err(StoreError::from)?;
            if current.as_ref().map(|(id, _)| id.as_str()) != Some(app.as_str()) {
                if let Some((prev, head)) = current.take() {
                    check(&prev, &head, &chain)?;
                    report.applications += 1;
                }
                chain.clear();
                let head = ChainHead {
                    seq: r.try_get("event_count").map_err(StoreError::from)?,
                    hash: r.try_get("last_hash").map_err(StoreError::from)?,
                };
                current = Some((app.clone(), head));
            }
            let seq: Option<i64> = r.try_get("seq").map_err(StoreError::from)?;
            if seq.is_none() {
                continue;
            }
            let (_, mut e, data) = raw_event(&r)?;
            e.data = match serde_json::from_str(&data) {
                Ok(v) => v,
                Err(_) => {
                    return Err(AuditError::Broken {
                        application_id: app,
                        brk: ChainBreak {
                            seq: e.seq,
                            why: "data is not JSON".into(),
                        },
                    })
                }
            };
            chain.push(e);
            report.events += 1;
        }
        if let Some((prev, head)) = current {
            check(&prev, &head, &chain)?;
            report.applications += 1;
        }
        Ok(report)
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let by_status: Vec<(String, i64)> = sqlx::query_as(
            "select status, count(*) from applications group by status order by status",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let (overdue,): (i64,) =
            sqlx::query_as("select count(*) from applications where overdue = true")
                .fetch_one(&mut *self.reader().await?)
                .await?;
        let (outbox_pending, outbox_dead): (Option<i64>, Option<i64>) = sqlx::query_as(
            "select sum(case when status in ('pending', 'running') then 1 else 0 end), \
                    sum(case when status = 'dead' then 1 else 0 end) \
             from outbox",
        )
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok(Counts {
            by_status,
            overdue,
            outbox_pending: outbox_pending.unwrap_or(0),
            outbox_dead: outbox_dead.unwrap_or(0),
        })
    }

    async fn idempotency_lookup(
        &self,
        principal: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row = sqlx::query(
            "select principal, key, fingerprint, status, body, created_at \
             from idempotency_keys where principal = $1 and key = $2",
        )
        .bind(principal.to_owned())
        .bind(key.to_owned())
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let status: i64 = r.try_get("status")?;
        Ok(Some(IdempotencyRecord {
            principal: r.try_get("principal")?,
            key: r.try_get("key")?,
            fingerprint: r.try_get("fingerprint")?,
            status: u16::try_from(status)
                .map_err(|_| StoreError::Other(format!("stored status {status}")))?,
            body: r.try_get("body")?,
            created_at: from_micros(r.try_get("created_at")?)?,
        }))
    }

    async fn idempotency_save(&self, record: IdempotencyRecord) -> Result<(), StoreError> {
        self.write_one(move |conn| {
            Box::pin(async move {
                insert_idempotency(conn, &record).await?;
                Ok(())
            })
        })
        .await
    }

    async fn enqueue(&self, jobs: Vec<NewJob>, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                insert_jobs(conn, &jobs, now).await?;
                Ok(())
            })
        })
        .await
    }

    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        kinds: Option<&[String]>,
    ) -> Result<Vec<Job>, StoreError> {
        if kinds.is_some_and(<[String]>::is_empty) {
            return Ok(Vec::new());
        }
        let kinds = kinds.map(<[String]>::to_vec).unwrap_or_default();
        // One placeholder a kind (from $4): both backends take `in (...)`.
        let only = if kinds.is_empty() {
            String::new()
        } else {
            let list = (0..kinds.len())
                .map(|i| format!("${}", i + 4))
                .collect::<Vec<_>>()
                .join(", ");
            format!("and kind in ({list}) ")
        };
        let sql = format!(
            "update outbox set status = 'running', locked_until = $2 where id in (\
             select id from outbox \
             where ((status = 'pending' and run_at <= $1) \
             or (status = 'running' and locked_until < $1)) {only}\
             order by run_at, id limit $3 {CLAIM_FOR}) \
             returning {JOB_COLUMNS}"
        );
        self.write(move |conn| {
            Box::pin(async move {
                let mut query = sqlx::query(&sql)
                    .bind(micros(now))
                    .bind(micros(lease_until))
                    .bind(i64::from(limit));
                for kind in &kinds {
                    query = query.bind(kind.as_str());
                }
                let rows = query.fetch_all(&mut *conn).await?;
                let mut jobs = rows
                    .iter()
                    .map(job_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                // `returning` keeps no order; run them in the order they fell due.
                jobs.sort_by_key(|j| (j.run_at, j.id));
                Ok(jobs)
            })
        })
        .await
    }

    async fn finish_job(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write_finish_job(id, now).await
    }

    async fn fail_job(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let error = error.to_owned();
        self.write_one(move |conn| {
            Box::pin(async move {
                let q = match retry_at {
                    Some(at) => sqlx::query(
                        "update outbox set status = 'pending', attempts = attempts + 1, \
                 run_at = $3, locked_until = null, last_error = $2 \
                 where id = $1 and status = 'running'",
                    )
                    .bind(id)
                    .bind(error.clone())
                    .bind(micros(at)),
                    None => sqlx::query(
                        "update outbox set status = 'dead', attempts = attempts + 1, \
                 locked_until = null, last_error = $2, finished_at = $3 \
                 where id = $1 and status = 'running'",
                    )
                    .bind(id)
                    .bind(error.clone())
                    .bind(micros(now)),
                };
                q.execute(&mut *conn).await?;
                Ok(())
            })
        })
        .await
    }

    async fn job(&self, id: i64) -> Result<Job, StoreError> {
        let sql = format!("select {JOB_COLUMNS} from outbox where id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.reader().await?)
            .await?
            .ok_or(StoreError::NotFound)?;
        job_from_row(&row)
    }

    async fn jobs(&self, status: JobStatus) -> Result<Vec<Job>, StoreError> {
        let sql = format!("select {JOB_COLUMNS} from outbox where status = $1 order by id");
        let rows = sqlx::query(&sql)
            .bind(status.as_str())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(job_from_row).collect()
    }

    async fn retry_dead(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                revive_dead_job(conn, id, now).await?;
                Ok(())
            })
        })
        .await
    }

    async fn record_inbound(&self, m: InboundMessage) -> Result<bool, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query(
                    "insert into gateway_inbox \
             (message_id, service_id, sender_id, correlation_id, payload, received_at, \
              package_signature) \
             values ($1, $2, $3, $4, $5, $6, $7) on conflict (message_id) do nothing",
                )
                .bind(m.message_id)
                .bind(m.service_id)
                .bind(m.sender_id)
                .bind(m.correlation_id)
                .bind(m.payload)
                .bind(micros(m.received_at))
                .bind(m.package_signature)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() == 1)
            })
        })
        .await
    }

    async fn inbound(&self, message_id: &str) -> Result<Option<InboundMessage>, StoreError> {
        let row = sqlx::query(
            "select message_id, service_id, sender_id, correlation_id, payload, received_at, \
             package_signature from gateway_inbox where message_id = $1",
        )
        .bind(message_id.to_owned())
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(InboundMessage {
            message_id: r.try_get("message_id")?,
            service_id: r.try_get("service_id")?,
            sender_id: r.try_get("sender_id")?,
            correlation_id: r.try_get("correlation_id")?,
            payload: r.try_get("payload")?,
            package_signature: r.try_get("package_signature")?,
            received_at: from_micros(r.try_get("received_at")?)?,
        }))
    }

    async fn inbound_count(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar("select count(*) from gateway_inbox")
            .fetch_one(&mut *self.reader().await?)
            .await?;
        Ok(n)
    }

    async fn add_calendar_edit(&self, edit: NewCalendarEdit) -> Result<i64, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let id = insert_calendar_edit(conn, edit).await?;
                Ok(id)
            })
        })
        .await
    }

    async fn calendar_edits(&self) -> Result<Vec<CalendarEdit>, StoreError> {
        let rows =
            sqlx::query("select id, at, actor, edit, reason from calendar_edits order by id")
                .fetch_all(&mut *self.reader().await?)
                .await?;
        rows.iter()
            .map(|r| {
                let edit: String = r.try_get("edit")?;
                Ok(CalendarEdit {
                    id: r.try_get("id")?,
                    at: from_micros(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    edit: parse_json(&edit)?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }

    async fn add_version_end(&self, end: VersionEnd) -> Result<(), StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                insert_version_end(conn, end).await?;
                Ok(())
            })
        })
        .await
    }

    async fn add_signature(&self, sig: NewSignature) -> Result<i64, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let last: i32 = sqlx::query_scalar(
                    "select coalesce(max(idx), 0) from signatures where application_id = $1",
                )
                .bind(sig.application_id.clone())
                .fetch_one(&mut *conn)
                .await?;
                let idx = last + 1;
                sqlx::query(
            "insert into signatures (application_id, idx, cms, content, certificate, serial, \
             issuer, subject, iin, signing_time, verdict, algorithm, verified_at) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(sig.application_id)
        .bind(idx)
        .bind(sig.cms)
        .bind(sig.content)
        .bind(sig.certificate)
        .bind(sig.serial)
        .bind(sig.issuer)
        .bind(sig.subject)
        .bind(sig.iin)
        .bind(sig.signing_time.map(micros))
        .bind(sig.verdict)
        .bind(sig.algorithm)
        .bind(micros(sig.verified_at))
        .execute(&mut *conn)
        .await?;
                Ok(i64::from(idx))
            })
        })
        .await
    }

    async fn signatures(&self, application_id: &str) -> Result<Vec<StoredSignature>, StoreError> {
        let rows = sqlx::query(
            "select application_id, idx, cms, content, certificate, serial, issuer, subject, iin, \
             signing_time, verdict, algorithm, verified_at from signatures \
             where application_id = $1 order by idx",
        )
        .bind(application_id.to_owned())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let idx: i32 = r.try_get("idx")?;
                Ok(StoredSignature {
                    idx: i64::from(idx),
                    signature: NewSignature {
                        application_id: r.try_get("application_id")?,
                        cms: r.try_get("cms")?,
                        content: r.try_get("content")?,
                        certificate: r.try_get("certificate")?,
                        serial: r.try_get("serial")?,
                        issuer: r.try_get("issuer")?,
                        subject: r.try_get("subject")?,
                        iin: r.try_get("iin")?,
                        signing_time: opt_time(r.try_get("signing_time")?)?,
                        verdict: r.try_get("verdict")?,
                        algorithm: r.try_get("algorithm")?,
                        verified_at: from_micros(r.try_get("verified_at")?)?,
                    },
                })
            })
            .collect()
    }

    async fn version_ends(&self) -> Result<Vec<VersionEnd>, StoreError> {
        let rows = sqlx::query(
            "select service, version, effective_until, at, actor from version_ends order by id",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VersionEnd {
                    service: r.try_get("service")?,
                    version: r.try_get("version")?,
                    effective_until: from_micros(r.try_get("effective_until")?)?,
                    at: from_micros(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                })
            })
            .collect()
    }

    async fn create_user(&self, user: NewUser) -> Result<(), StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                insert_user(conn, user).await?;
                Ok(())
            })
        })
        .await
    }

    async fn admin_change(
        &self,
        change: AdminChange,
        audit: NewAdminAudit,
    ) -> Result<AdminApplied, StoreError> {
        let notice = match &change {
            AdminChange::SetUserDisabled { username, .. }
            | AdminChange::SetPassword { username, .. } => {
                Some(crate::memory::user_changed(username))
            }
            _ => None,
        };
        let _forget = notice.map(|n| self.sessions.forget_after(n));
        let applied = self
            .write(move |conn| {
                Box::pin(async move {
                    let mut calendar_edit_id = None;
                    match change {
                        AdminChange::AuditOnly => {}
                        AdminChange::CalendarEdit(edit) => {
                            calendar_edit_id = Some(insert_calendar_edit(conn, edit).await?);
                        }
                        AdminChange::VersionEnd(end) => insert_version_end(conn, end).await?,
                        AdminChange::CreateUser(user) => insert_user(conn, user).await?,
                        AdminChange::SetUserDisabled { username, disabled } => {
                            update_user_disabled(conn, &username, disabled).await?;
                        }
                        AdminChange::SetPassword {
                            username,
                            password_hash,
                        } => {
                            // Whoever held the old password is logged out
                            // with it.
                            replace_password(conn, username, password_hash, String::new()).await?;
                        }
                        AdminChange::RetryDead { id, now } => {
                            revive_dead_job(conn, id, now).await?
                        }
                    }
                    let audit_id: i64 = sqlx::query_scalar(
                        "insert into admin_audit (at, actor, action, target, data) \
             values ($1, $2, $3, $4, $5) returning id",
                    )
                    .bind(micros(audit.at))
                    .bind(audit.actor)
                    .bind(audit.action)
                    .bind(audit.target)
                    .bind(to_json(&audit.data))
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok(AdminApplied {
                        audit_id,
                        calendar_edit_id,
                    })
                })
            })
            .await?;
        Ok(applied)
    }

    async fn admin_audit(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AdminAudit>, StoreError> {
        let rows = sqlx::query(
            "select id, at, actor, action, target, data from admin_audit \
             where id < $1 order by id desc limit $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit.clamp(1, MAX_PAGE)))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                Ok(AdminAudit {
                    id: r.try_get("id")?,
                    at: from_micros(r.try_get("at")?)?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    data: parse_json(&data)?,
                })
            })
            .collect()
    }

    async fn step_load(&self) -> Result<Vec<StepLoad>, StoreError> {
        let rows: Vec<(String, String, Option<String>, i64, Option<i64>)> = sqlx::query_as(
            "select provider, service, step, count(*), \
                    sum(case when overdue = true then 1 else 0 end) \
             from applications where status in ('in-progress', 'paused') \
             group by provider, service, step order by provider, service, step",
        )
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(provider, service, step, open, overdue)| StepLoad {
                provider,
                service,
                step: step.unwrap_or_default(),
                open,
                overdue: overdue.unwrap_or(0),
            })
            .collect())
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("select {USER_COLUMNS} from users order by username");
        let rows = sqlx::query(&sql)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        if let Some(user) = self.sessions.user(username) {
            return Ok(Some(user));
        }
        let ticket = self.sessions.ticket();
        let user = self.read_user(UserBy::Username, username).await?;
        if let Some(u) = &user {
            self.sessions.read_user(u, ticket);
        }
        Ok(user)
    }

    async fn user_by_iin(&self, iin: &str) -> Result<Option<User>, StoreError> {
        self.read_user(UserBy::Iin, iin).await
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool) -> Result<(), StoreError> {
        let _forget = self
            .sessions
            .forget_after(crate::memory::user_changed(username));
        let username = username.to_owned();
        self.write(move |conn| {
            Box::pin(async move { update_user_disabled(conn, &username, disabled).await })
        })
        .await
    }

    async fn set_user_password(
        &self,
        username: &str,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        let _forget = self
            .sessions
            .forget_after(crate::memory::user_changed(username));
        let username = username.to_owned();
        let password_hash = password_hash.to_owned();
        let keep = keep.unwrap_or("").to_owned();
        self.write(move |conn| Box::pin(replace_password(conn, username, password_hash, keep)))
            .await
    }

    async fn create_session(&self, session: Session, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "insert into sessions (token_hash, username, expires_at, created_at) \
             values ($1, $2, $3, $4)",
                )
                .bind(session.token_hash)
                .bind(session.username)
                .bind(micros(session.expires_at))
                .bind(micros(now))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "select token_hash, username, expires_at from sessions \
             where token_hash = $1 and expires_at > $2",
        )
        .bind(token_hash.to_owned())
        .bind(micros(now))
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.map(|(token_hash, username, expires)| {
            Ok(Session {
                token_hash,
                username,
                expires_at: from_micros(expires)?,
            })
        })
        .transpose()
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, StoreError> {
        let now = micros(now);
        if let Some(known) = self.sessions.get(token_hash, now) {
            return Ok(known);
        }
        let ticket = self.sessions.ticket();
        let found = self.read_session_user(token_hash, now).await?;
        Ok(found.map(|(user, expires_at)| {
            self.sessions.read(token_hash, &user, expires_at, ticket);
            user
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let notice = crate::memory::session_ended(token_hash);
        let _forget = self.sessions.forget_after(notice.clone());
        let token_hash = token_hash.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("delete from sessions where token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *conn)
                    .await?;
                tell_sessions(conn, notice).await
            })
        })
        .await
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query("delete from sessions where expires_at <= $1")
                    .bind(micros(now))
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }

    async fn record_failed_login(
        &self,
        account: &str,
        address: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let account = account.to_owned();
        let address = address.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "insert into login_failures (account, address, at) values ($1, $2, $3)",
                )
                .bind(account)
                .bind(address)
                .bind(micros(at))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn failed_logins_since(
        &self,
        account: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<FailedLogins, StoreError> {
        let (per_account, per_address): (i64, i64) = sqlx::query_as(
            "select \
             (select count(*) from login_failures where account = $1 and at >= $3), \
             (select count(*) from login_failures where address = $2 and at >= $3)",
        )
        .bind(account.to_owned())
        .bind(address.to_owned())
        .bind(micros(since))
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok(FailedLogins {
            per_account: per_account.max(0) as u64,
            per_address: per_address.max(0) as u64,
        })
    }

    async fn prune_failed_logins(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                let done = sqlx::query("delete from login_failures where at < $1")
                    .bind(micros(before))
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected())
            })
        })
        .await
    }
}
