//! The PostgreSQL backend, for many stateless nodes on one database. Rows
//! lock where two nodes could race: the conditional update of an
//! application, the number counter, and job claiming with
//! `FOR UPDATE SKIP LOCKED` under a lease. Each write is its own
//! transaction on a pooled connection; the usual ones (a step, a rendered
//! document, a job's end) are a single statement, atomic by itself, sent
//! without `BEGIN` and `COMMIT` around it.

use std::time::Duration;

use crate::NewAttachment;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

type Db = sqlx::Postgres;
type DbRow = sqlx::postgres::PgRow;
type Backend = PgStore;
const BACKEND: &str = "postgres";
/// The channel on which nodes tell each other of ended sessions and
/// changed users ([`crate::memory::Sessions::changed`]).
const SESSION_CHANNEL: &str = "qyzmet_sessions";
/// Delivered to every listening node when the write commits.
const SESSION_NOTICE: Option<&str> = Some("select pg_notify('qyzmet_sessions', $1)");
/// Claimers skip each other's rows instead of queueing behind them.
const CLAIM_FOR: &str = "for update skip locked";

/// A statement being bound.
type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    known_parts: KnownParts,
    recent: crate::memory::RecentApps,
    sessions: std::sync::Arc<crate::memory::Sessions>,
    /// The task listening for session changes ([`hear_sessions`]), on a
    /// connection of its own; stopped with the store.
    listener: tokio::task::AbortHandle,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connects to and migrates `postgres://…`. Migrations take an advisory
    /// lock, so nodes starting together migrate once.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // No round trip to check a connection before each use: a
            // connection the server dropped fails its query (503, the
            // request may be sent again) and is closed when it comes back.
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        let sessions = std::sync::Arc::new(crate::memory::Sessions::new(false));
        // Its own connection: the listener holds it for good, and the
        // requests keep all of theirs.
        let listening = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with((*pool.connect_options()).clone());
        let listener = tokio::spawn(hear_sessions(listening, sessions.clone())).abort_handle();
        Ok(PgStore {
            pool,
            known_parts: KnownParts::default(),
            recent: Default::default(),
            sessions,
            listener,
        })
    }

    /// A pooled connection for reads.
    async fn reader(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Runs `body` as one write: its own transaction on a pooled
    /// connection. PostgreSQL has many writers, so writes are not grouped.
    async fn write<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let mut tx = self.pool.begin().await?;
        let out = body(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Runs `body`, a single statement, on a pooled connection without a
    /// transaction of its own: PostgreSQL makes a statement atomic by
    /// itself, and `BEGIN` and `COMMIT` would be two more round trips.
    async fn write_one<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let mut conn = self.pool.acquire().await?;
        body(&mut conn).await
    }

    async fn write_finish_job(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write_one(move |conn| Box::pin(finish_job_in(conn, id, now)))
            .await
    }

    /// Stores a document, and those of its shared parts not stored yet.
    ///
    /// The application's row is taken first, as an update would. The
    /// head's `sign` holds that row (its update) while it stores the draft
    /// it rendered and seals it; without this a render job storing the same
    /// draft at the same moment raced it on the second unique key,
    /// (application, purpose), which `on conflict (code)` does not
    /// arbitrate, and one of the two failed. Now the job waits for `sign`
    /// to commit (and finds the draft sealed), or `sign` waits for the job;
    /// two jobs storing the same document (two nodes, a retry beside a slow
    /// run) wait for each other too.
    ///
    /// With `finish`, that job is recorded done in the same write. When all
    /// the document's parts are stored (every document but a process's
    /// first), the lock, the document and the job's end are one statement
    /// ([`PUT_DOCUMENT_AT_ONCE`]), with no transaction around it.
    async fn write_put_document(
        &self,
        write: DocumentWrite,
        finish: Option<(i64, DateTime<Utc>)>,
    ) -> Result<bool, StoreError> {
        if write.fresh.is_empty() {
            let row = bind_document(sqlx::query(&PUT_DOCUMENT_AT_ONCE), write)
                .bind(finish.map(|(job, _)| job))
                .bind(finish.map(|(_, now)| micros(now)))
                .fetch_one(&self.pool)
                .await?;
            let (apps, written): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            if apps == 0 {
                return Err(StoreError::NotFound);
            }
            return Ok(written > 0);
        }
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("select 1 from applications where id = $1 for no key update")
                    .bind(write.doc.application_id.clone())
                    .fetch_optional(&mut *conn)
                    .await?;
                let written = put_document_in(conn, write).await? > 0;
                if let Some((job, now)) = finish {
                    finish_job_in(conn, job, now).await?;
                }
                Ok(written)
            })
        })
        .await
    }

    async fn write_create(&self, new: NewApplication) -> Result<Application, StoreError> {
        self.write(move |conn| Box::pin(create_body(conn, new)))
            .await
    }

    /// An append (sealing the drafted result with it, if `seal`), with
    /// the chain's new `links` when the change names the head it follows.
    async fn write_append(
        &self,
        id: String,
        expected_rev: i64,
        change: Change,
        links: Option<Links>,
        seal: Option<DocumentSeal>,
        draft: Option<DocumentWrite>,
    ) -> Result<i64, StoreError> {
        // The usual step (it names the head it follows, and attaches,
        // seals and keeps for a replay nothing) is one statement: no
        // transaction around it.
        let plain = change.attachments.is_empty() && change.idempotency.is_none();
        if seal.is_none() && links.is_some() && plain {
            let mut conn = self.pool.acquire().await?;
            append_in(&mut conn, &id, expected_rev, change, links).await?;
            return Ok(expected_rev + 1);
        }
        // The head's step at `sign` with the draft made for it (its shared
        // parts stored already): one statement too.
        if let (Some(s), Some(d), Some(l)) = (&seal, &draft, &links) {
            if plain && d.doc.code == s.code && d.fresh.is_empty() {
                let (seal, draft, links) = (seal.expect("some"), draft.expect("some"), l.clone());
                let mut conn = self.pool.acquire().await?;
                append_sealed_at_once(&mut conn, &id, expected_rev, links, &change, seal, draft)
                    .await?;
                return Ok(expected_rev + 1);
            }
        }
        self.write(move |conn| {
            Box::pin(append_body(
                conn,
                id,
                expected_rev,
                change,
                links,
                seal,
                draft,
            ))
        })
        .await
    }

    /// The row `query` finds, if any, as `map` reads it (the point reads:
    /// SQLite's `PointReads::one`).
    async fn one<T>(
        &self,
        query: Query<'_>,
        map: impl FnOnce(&DbRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row = query.fetch_optional(&self.pool).await?;
        row.as_ref().map(map).transpose()
    }

    /// One application by `by`, if there is one.
    async fn read_app(&self, by: AppBy, key: &str) -> Result<Option<Application>, StoreError> {
        let query = sqlx::query(app_by_sql(by)).bind(key.to_owned());
        self.one(query, app_from_row).await
    }

    /// One user by `by`, if there is one.
    async fn read_user(&self, by: UserBy, key: &str) -> Result<Option<User>, StoreError> {
        let query = sqlx::query(user_by_sql(by)).bind(key.to_owned());
        self.one(query, user_from_row).await
    }

    /// The user of the session whose token hashes to `token_hash`, unless
    /// it expired by `now` (microseconds).
    async fn read_session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(User, i64)>, StoreError> {
        let query = sqlx::query(session_user_sql())
            .bind(token_hash.to_owned())
            .bind(now);
        self.one(query, session_user_from_row).await
    }

    async fn close_pools(&self) {
        self.listener.abort();
        self.pool.close().await;
    }
}

include!("common.rs");

/// Listens on [`SESSION_CHANNEL`] (on `pool`, a pool of one connection)
/// until the store stops it, so that this node forgets what other nodes
/// changed; `sessions` are remembered only while it listens. A lost
/// connection (whose notices may be lost with it) forgets everything and
/// remembers nothing until it listens again; so does the task's end.
async fn hear_sessions(pool: PgPool, sessions: std::sync::Arc<crate::memory::Sessions>) {
    struct Deaf(std::sync::Arc<crate::memory::Sessions>);
    impl Drop for Deaf {
        fn drop(&mut self) {
            self.0.set_told(false);
        }
    }
    let _deaf = Deaf(sessions.clone());
    loop {
        let listening = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            // A lost connection is reported at once, not made again first.
            listener.eager_reconnect(false);
            listener.listen(SESSION_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = match listening.await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for session changes; asking the database every time meanwhile");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        sessions.set_told(true);
        loop {
            match listener.try_recv().await {
                Ok(Some(notice)) => sessions.changed(notice.payload()),
                Ok(None) => {
                    sessions.set_told(false);
                    tracing::warn!("lost the listener for session changes; listening again");
                    break;
                }
                Err(e) => {
                    sessions.set_told(false);
                    tracing::warn!(error = %e, "lost the listener for session changes");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// Binds the row's columns in the order of [`ROW_SET`] / the insert.
fn bind_row<'q>(q: Query<'q>, row: &ApplicationRow) -> Query<'q> {
    q.bind(row.service.clone())
        .bind(row.version.clone())
        .bind(row.channel.clone())
        .bind(row.provider.clone())
        .bind(row.status.clone())
        .bind(row.step.clone())
        .bind(row.step_role.clone())
        .bind(row.due_at.map(micros))
        .bind(sort_due(row))
        .bind(row.overdue)
        .bind(row.assignee.clone())
        .bind(row.applicant_iin.clone())
        .bind(row.intake_actor.clone())
        .bind(micros(row.created_at))
        .bind(micros(row.updated_at))
        .bind(row.state.as_str().to_owned())
        .bind(row.representative_iin.clone())
}

/// [`PUT_DOCUMENT`] as one statement, after taking the application's row
/// (`$2`) as an update would, and with the end of the job `$11` (if not
/// null) at `$12`: how many applications it found (0: none, so nothing was
/// written), and how many documents it wrote. The insert reads the locked
/// row, so it runs only once the lock is held.
static PUT_DOCUMENT_AT_ONCE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "with app as (select id from applications where id = $2 for no key update), \
         doc as (insert into documents ({DOCUMENT_INSERT_COLUMNS}) \
         select $1, app.id, $3, $4, $5, $6, $7, $8, $9, $10 from app \
         {DOCUMENT_ON_CONFLICT} returning 1), \
         fin as (update outbox set status = 'done', locked_until = null, finished_at = $12 \
         where id = $11 and status = 'running' and exists (select 1 from app)) \
         select (select count(*) from app), (select count(*) from doc)"
    )
});

/// Which parts of a change a statement that writes it at once carries
/// besides its events: a part left out is not even planned (an insert of
/// no rows still opens and locks its table and indexes).
#[derive(Clone, Copy)]
struct Rest {
    jobs: bool,
    idem: bool,
}

impl Rest {
    /// Everything (an intake's first change).
    const ALL: Rest = Rest {
        jobs: true,
        idem: true,
    };

    /// The parameters [`rest_ctes`] numbers.
    fn params(self) -> usize {
        7 + if self.jobs { 4 } else { 0 } + if self.idem { 6 } else { 0 }
    }

    /// An append's: its jobs if it has any, never the idempotency record
    /// (an append with one takes the key first, in a transaction).
    fn of_append(change: &Change) -> Rest {
        Rest {
            jobs: !change.jobs.is_empty(),
            idem: false,
        }
    }
}

/// The rest of a statement that writes a change at once, after the CTE
/// `target` that writes the application's row (and returns its `id`); its
/// parameters are numbered from `$first`, bound by [`bind_rest`]. The
/// events, the jobs and the idempotency record are written only when
/// `target` wrote the row, and the statement answers how many rows that was.
fn rest_at_once(target: &str, first: usize, rest: Rest) -> String {
    format!(
        "{} select count(*) from {target}",
        rest_ctes(target, first, rest)
    )
}

/// The CTEs of [`rest_at_once`], to be followed by a query.
fn rest_ctes(target: &str, first: usize, rest: Rest) -> String {
    let mut n = first;
    let mut next = |cast: &str| {
        n += 1;
        format!("${}::{cast}", n - 1)
    };
    let ev: Vec<String> = [
        "bigint[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]",
    ]
    .iter()
    .map(|c| next(c))
    .collect();
    let mut out = format!(
        "ev as (insert into events ({EVENT_COLUMNS}) \
         select t.id, e.seq, e.type, e.at, e.actor, e.data, e.hash, e.prev_hash \
         from {target} t, unnest({}) as e(seq, type, at, actor, data, hash, prev_hash))",
        ev.join(", ")
    );
    if rest.jobs {
        let jobs: Vec<String> = ["text[]", "text[]", "bigint[]"]
            .iter()
            .map(|c| next(c))
            .collect();
        let now = next("bigint");
        out += &format!(
            ", jb as (insert into outbox (kind, payload, status, attempts, run_at, created_at) \
             select j.kind, j.payload, 'pending', 0, j.run_at, {now} \
             from {target} t, unnest({}) with ordinality as j(kind, payload, run_at, n) \
             order by j.n)",
            jobs.join(", ")
        );
    }
    if rest.idem {
        let idem: Vec<String> = ["text", "text", "text", "bigint", "text", "bigint"]
            .iter()
            .map(|c| next(c))
            .collect();
        out += &format!(
            ", idem as (insert into idempotency_keys \
             (principal, key, fingerprint, status, body, created_at) \
             select {} from {target} t where {} is not null)",
            idem.join(", "),
            idem[0],
        );
    }
    out
}

/// Binds what [`rest_at_once`] numbers: the sealed events, the jobs (made
/// `now`), and the idempotency record, if any.
fn bind_rest<'q>(
    q: Query<'q>,
    sealed: Vec<ChainEvent>,
    jobs: &[NewJob],
    now: DateTime<Utc>,
    idem: Option<&IdempotencyRecord>,
    rest: Rest,
) -> Query<'q> {
    let n = sealed.len();
    let (mut seq, mut kind, mut at, mut actor) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut data, mut hash, mut prev) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for e in sealed {
        seq.push(e.seq);
        data.push(to_json(&e.data));
        kind.push(e.kind);
        at.push(e.at);
        actor.push(e.actor);
        hash.push(e.hash);
        prev.push(e.prev_hash);
    }
    let mut q = q
        .bind(seq)
        .bind(kind)
        .bind(at)
        .bind(actor)
        .bind(data)
        .bind(hash)
        .bind(prev);
    if rest.jobs {
        let job_kind: Vec<String> = jobs.iter().map(|j| j.kind.clone()).collect();
        let job_payload: Vec<String> = jobs.iter().map(|j| to_json(&j.payload)).collect();
        let job_run_at: Vec<i64> = jobs.iter().map(|j| micros(j.run_at)).collect();
        q = q
            .bind(job_kind)
            .bind(job_payload)
            .bind(job_run_at)
            .bind(micros(now));
    }
    if rest.idem {
        q = q
            .bind(idem.map(|r| r.principal.clone()))
            .bind(idem.map(|r| r.key.clone()))
            .bind(idem.map(|r| r.fingerprint.clone()))
            .bind(idem.map(|r| i64::from(r.status)))
            .bind(idem.map(|r| r.body.clone()))
            .bind(idem.map(|r| micros(r.created_at)));
    }
    q
}

/// A statement of an append, built once for each of the two `Rest`s an
/// append can have (with its jobs, or without; never the idempotency
/// record).
struct AppendSql([std::sync::OnceLock<String>; 2]);

impl AppendSql {
    const fn new() -> AppendSql {
        AppendSql([std::sync::OnceLock::new(), std::sync::OnceLock::new()])
    }

    /// The statement `sql` builds for `rest`.
    fn get(&'static self, rest: Rest, sql: fn(Rest) -> String) -> &'static str {
        debug_assert!(!rest.idem, "an append takes its key first");
        self.0[usize::from(rest.jobs)].get_or_init(|| sql(rest))
    }
}

/// An append as one statement: the conditional update ([`APPEND_UPDATE`],
/// `$1`…`$23`), then the rest of the change as [`rest_at_once`] writes it
/// (with its jobs, or, for a step that enqueues none, without).
fn append_at_once_sql(rest: Rest) -> &'static str {
    fn sql(rest: Rest) -> String {
        format!(
            "with upd as ({APPEND_UPDATE} returning id), {}",
            rest_at_once("upd", 24, rest)
        )
    }
    static SQL: AppendSql = AppendSql::new();
    SQL.get(rest, sql)
}

/// The head's step at `sign` with the result's draft made for it, as one
/// statement: the conditional update ([`APPEND_UPDATE`], `$1`…`$23`), which
/// also requires that no sealed document has the draft's code; the rest of
/// the change ([`rest_ctes`], from `$24`); and the draft stored sealed (the
/// next 13 parameters, as [`PUT_SEALED_DRAFT`]'s), only when the update
/// wrote the row. Answers the rows updated and the documents written. The
/// draft is always written with the row: a document is sealed only by a
/// step that updates its application's row first, which this statement
/// holds from its update on, and a render job's draft takes that row's
/// lock before it writes.
fn append_sealed_at_once_sql(rest: Rest) -> &'static str {
    fn sql(rest: Rest) -> String {
        let d = 24 + rest.params();
        let doc: Vec<String> = (d..d + 13).map(|i| format!("${i}")).collect();
        format!(
            "with upd as ({APPEND_UPDATE} and not exists \
             (select 1 from documents where code = ${d} and seal is not null) returning id), \
             {}, \
             sealed as (insert into documents ({DOCUMENT_INSERT_COLUMNS}, seal, signer, sealed_at) \
             select {} from upd {SEALED_DRAFT_ON_CONFLICT} returning 1) \
             select (select count(*) from upd), (select count(*) from sealed)",
            rest_ctes("upd", 24, rest),
            doc.join(", ")
        )
    }
    static SQL: AppendSql = AppendSql::new();
    SQL.get(rest, sql)
}

/// A new application's row ([`APPLICATION_INSERT`], `$1`…`$22`) and the
/// rest of its first change, as one statement.
static CREATE_AT_ONCE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "with app as ({APPLICATION_INSERT} returning id), {}",
        rest_at_once("app", 23, Rest::ALL)
    )
});

/// The update and the events and jobs of an append that follows `head`,
/// as one statement on `conn`: one round trip, not three or four.
async fn append_at_once(
    conn: &mut Conn,
    id: &str,
    expected_rev: i64,
    links: Links,
    change: &Change,
) -> Result<(), StoreError> {
    let head = links.0.clone();
    let sql = append_at_once_sql(Rest::of_append(change));
    let updated: i64 = bind_append(sql, id, expected_rev, links, change)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if updated == 0 {
        let now = row_head_now(conn, id).await?;
        return Err(append_missed(now, expected_rev, &head));
    }
    Ok(())
}

/// Binds `$1`…`$40` of a statement that appends at once: the id, the
/// expected rev, the row, the new head and the one followed (as
/// [`APPEND_UPDATE`]), then the rest of the change ([`bind_rest`]).
fn bind_append<'q>(
    sql: &'q str,
    id: &str,
    expected_rev: i64,
    (head, (sealed, new_head)): Links,
    change: &Change,
) -> Query<'q> {
    let q = sqlx::query(sql).bind(id.to_owned()).bind(expected_rev);
    let q = bind_row(q, &change.row)
        .bind(new_head.seq)
        .bind(new_head.hash)
        .bind(head.seq)
        .bind(head.hash);
    bind_rest(
        q,
        sealed,
        &change.jobs,
        Utc::now(),
        None,
        Rest::of_append(change),
    )
}

/// The row's rev and chain head now, to tell why an append missed.
async fn row_head_now(conn: &mut Conn, id: &str) -> Result<Option<(i64, i64, String)>, StoreError> {
    Ok(sqlx::query_as(ROW_HEAD_SELECT)
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await?)
}

/// [`append_sealed_at_once_sql`] on `conn`: the step, its events and jobs,
/// and its draft stored sealed, in one round trip.
async fn append_sealed_at_once(
    conn: &mut Conn,
    id: &str,
    expected_rev: i64,
    links: Links,
    change: &Change,
    seal: DocumentSeal,
    draft: DocumentWrite,
) -> Result<(), StoreError> {
    let head = links.0.clone();
    let sql = append_sealed_at_once_sql(Rest::of_append(change));
    let q = bind_append(sql, id, expected_rev, links, change);
    let row = bind_sealed_draft(q, draft, seal)
        .fetch_one(&mut *conn)
        .await?;
    let (updated, written): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    if updated == 0 {
        let now = row_head_now(conn, id).await?;
        return Err(match &now {
            // The row is as the step expects: the document is sealed.
            Some((rev, seq, hash))
                if *rev == expected_rev && *seq == head.seq && *hash == head.hash =>
            {
                unsealed(true)
            }
            _ => append_missed(now, expected_rev, &head),
        });
    }
    if written == 0 {
        tracing::error!(id, "a step at sign was written without its sealed draft");
        return Err(StoreError::Other(
            "the step was written, its sealed draft was not".into(),
        ));
    }
    Ok(())
}

/// Numbers `attachments` after `last_idx` and hashes them.
async fn insert_attachments(
    conn: &mut Conn,
    application_id: &str,
    last_idx: i64,
    attachments: &[NewAttachment],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (n, a) in (last_idx + 1..).zip(attachments) {
        let idx = i32::try_from(n)
            .map_err(|_| StoreError::Other(format!("attachment number {n} out of range")))?;
        let size = i64::try_from(a.content.len())
            .map_err(|_| StoreError::Other("attachment too large".into()))?;
        sqlx::query(ATTACHMENT_INSERT)
            .bind(application_id.to_owned())
            .bind(idx)
            .bind(a.kind.clone())
            .bind(a.name.clone())
            .bind(a.media_type.clone())
            .bind(size)
            .bind(hex::encode(Sha256::digest(&a.content)))
            .bind(a.content.as_slice())
            .bind(micros(at))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The body of [`Store::append`]: the idempotency record, then one
/// conditional update of the row (the rev and the chain's head checked, the
/// new head set) with the events and the jobs in the same statement, then
/// the attachments. Without a record or attachments, and with the head
/// named by the caller, it is that one statement and needs no transaction
/// around it.
async fn append_in(
    conn: &mut Conn,
    id: &str,
    expected_rev: i64,
    change: Change,
    links: Option<Links>,
) -> Result<(), StoreError> {
    // Taken first, so that requests sent again with the key collide on it
    // (and are answered with the first one's answer), not on the rev.
    if let Some(rec) = &change.idempotency {
        insert_idempotency(conn, rec).await?;
    }
    let links = match links {
        Some(links) => links,
        None => {
            let row: Option<(i64, String)> = sqlx::query_as(HEAD_SELECT)
                .bind(id.to_owned())
                .fetch_optional(&mut *conn)
                .await?;
            let (seq, hash) = row.ok_or(StoreError::NotFound)?;
            let head = ChainHead { seq, hash };
            let sealed = seal_events(&head, &change.events)?;
            (head, sealed)
        }
    };
    // The conditional update both checks the rev (and the head the events
    // were sealed after, which changes only with the rev) and locks the
    // row, so concurrent appends to one case queue there and the loser
    // sees the new rev.
    append_at_once(conn, id, expected_rev, links, &change).await?;
    if !change.attachments.is_empty() {
        let last_idx: i32 = sqlx::query_scalar(ATTACHMENT_LAST)
            .bind(id.to_owned())
            .fetch_one(&mut *conn)
            .await?;
        insert_attachments(
            conn,
            id,
            i64::from(last_idx),
            &change.attachments,
            change.row.updated_at,
        )
        .await?;
    }
    Ok(())
}

/// A whole create as a write's body.
async fn create_body(conn: &mut Conn, new: NewApplication) -> Result<Application, StoreError> {
    let last: i64 = sqlx::query_scalar(NUMBER_NEXT)
        .bind(new.number_prefix.clone())
        .bind(i64::from(new.number_year))
        .fetch_one(&mut *conn)
        .await?;
    let number = format!("{}-{}-{last:06}", new.number_prefix, new.number_year);
    let change = (new.build)(&number);
    let (sealed, head) = seal_events(&ChainHead::genesis(), &change.events)?;
    let q = sqlx::query(&CREATE_AT_ONCE)
        .bind(new.id.clone())
        .bind(number.clone())
        .bind(1_i64);
    let q = bind_row(q, &change.row)
        .bind(head.seq)
        .bind(head.hash.clone());
    bind_rest(
        q,
        sealed,
        &change.jobs,
        Utc::now(),
        change.idempotency.as_ref(),
        Rest::ALL,
    )
    .execute(&mut *conn)
    .await?;
    insert_attachments(conn, &new.id, 0, &change.attachments, change.row.updated_at).await?;
    Ok(Application {
        id: new.id,
        number,
        rev: 1,
        row: change.row,
        head,
    })
}

/// A whole append as a write's body: the change, and the seal of the
/// drafted result when the head signs.
async fn append_body(
    conn: &mut Conn,
    id: String,
    expected_rev: i64,
    change: Change,
    links: Option<Links>,
    seal: Option<DocumentSeal>,
    draft: Option<DocumentWrite>,
) -> Result<i64, StoreError> {
    append_in(conn, &id, expected_rev, change, links).await?;
    if let Some(seal) = seal {
        let code = seal.code.clone();
        let done = match draft {
            // The draft made for this seal: stored sealed, one statement.
            Some(draft) if draft.doc.code == seal.code => {
                put_parts_in(conn, &draft).await?;
                bind_sealed_draft(sqlx::query(&PUT_SEALED_DRAFT), draft, seal)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            }
            draft => {
                if let Some(draft) = draft {
                    put_document_in(conn, draft).await?;
                }
                sqlx::query(SEAL_DOCUMENT)
                    .bind(seal.code)
                    .bind(seal.sha256)
                    .bind(seal.cms)
                    .bind(seal.signer)
                    .bind(micros(seal.at))
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            }
        };
        if done == 0 {
            let exists: Option<String> =
                sqlx::query_scalar("select code from documents where code = $1")
                    .bind(code)
                    .fetch_optional(&mut *conn)
                    .await?;
            return Err(unsealed(exists.is_some()));
        }
    }
    Ok(expected_rev + 1)
}

/// Stores a prepared document, and first those of its shared parts not
/// stored yet; the rows `PUT_DOCUMENT` changed.
async fn put_document_in(conn: &mut Conn, write: DocumentWrite) -> Result<u64, StoreError> {
    put_parts_in(conn, &write).await?;
    let done = bind_document(sqlx::query(&PUT_DOCUMENT), write)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Binds a draft stored sealed, as [`PUT_SEALED_DRAFT`] numbers it: the
/// document ([`bind_document`]), then its seal's CMS, signer and instant.
fn bind_sealed_draft(q: Query<'_>, draft: DocumentWrite, seal: DocumentSeal) -> Query<'_> {
    bind_document(q, draft)
        .bind(seal.cms)
        .bind(seal.signer)
        .bind(micros(seal.at))
}

/// The shared parts of `write` not stored yet.
async fn put_parts_in(conn: &mut Conn, write: &DocumentWrite) -> Result<(), StoreError> {
    for p in &write.fresh {
        sqlx::query(PUT_PART)
            .bind(p.sha256)
            .bind(p.bytes)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// [`Store::finish_job`] on `conn` (PostgreSQL's `finish_job_raw`).
async fn finish_job_in(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query(FINISH_JOB)
        .bind(id)
        .bind(micros(now))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Binds a document as [`PUT_DOCUMENT`] numbers it (`$1`…`$10`).
fn bind_document(q: Query<'_>, write: DocumentWrite) -> Query<'_> {
    let DocumentWrite { doc, form, .. } = write;
    q.bind(doc.code)
        .bind(doc.application_id)
        .bind(doc.purpose)
        .bind(doc.kind)
        .bind(doc.number)
        .bind(doc.issuer)
        .bind(form.pdf)
        .bind(form.sha256)
        .bind(micros(doc.created_at))
        .bind(form.parts)
}
