//! The PostgreSQL backend, for many stateless nodes on one database. Rows
//! lock where two nodes could race: the conditional update of an
//! application, the number counter, and job claiming with
//! `FOR UPDATE SKIP LOCKED` under a lease. Each write is its own
//! transaction on a pooled connection.

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
/// Claimers skip each other's rows instead of queueing behind them.
const CLAIM_FOR: &str = "for update skip locked";

/// A statement being bound.
type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    known_parts: KnownParts,
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
        Ok(PgStore {
            pool,
            known_parts: KnownParts::default(),
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

    async fn write_finish_job(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(FINISH_JOB)
                    .bind(id)
                    .bind(micros(now))
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
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
    async fn write_put_document(&self, write: DocumentWrite) -> Result<bool, StoreError> {
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("select 1 from applications where id = $1 for no key update")
                    .bind(write.doc.application_id.clone())
                    .fetch_optional(&mut *conn)
                    .await?;
                Ok(put_document_in(conn, write).await? > 0)
            })
        })
        .await
    }

    async fn write_create(&self, new: NewApplication) -> Result<Created, StoreError> {
        self.write(move |conn| Box::pin(create_body(conn, new)))
            .await
    }

    /// An append (sealing the drafted result with it, if `seal`).
    async fn write_append(
        &self,
        id: String,
        expected_rev: i64,
        change: Change,
        seal: Option<DocumentSeal>,
        draft: Option<DocumentWrite>,
    ) -> Result<i64, StoreError> {
        self.write(move |conn| Box::pin(append_body(conn, id, expected_rev, change, seal, draft)))
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
    ) -> Result<Option<User>, StoreError> {
        let query = sqlx::query(session_user_sql())
            .bind(token_hash.to_owned())
            .bind(now);
        self.one(query, user_from_row).await
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}

include!("common.rs");

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

/// Inserts sealed events, many rows a statement.
async fn insert_events(
    conn: &mut Conn,
    application_id: &str,
    sealed: Vec<ChainEvent>,
) -> Result<(), StoreError> {
    let mut sealed = sealed.into_iter().peekable();
    while sealed.peek().is_some() {
        let chunk: Vec<ChainEvent> = sealed.by_ref().take(ROWS_PER_INSERT).collect();
        let sql = format!("{EVENTS_INSERT}{}", values_list(chunk.len(), 8));
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(application_id.to_owned())
                .bind(e.seq)
                .bind(e.kind)
                .bind(e.at)
                .bind(e.actor)
                .bind(to_json(&e.data))
                .bind(e.hash)
                .bind(e.prev_hash);
        }
        q.execute(&mut *conn).await?;
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

/// The body of [`Store::append`], inside the write's transaction: the
/// idempotency record, one conditional update of the row (the rev and the
/// chain's head checked, the new head set), the events in one insert, the
/// attachments and the jobs.
async fn append_in(
    conn: &mut Conn,
    id: &str,
    expected_rev: i64,
    change: Change,
) -> Result<(), StoreError> {
    if let Some(rec) = &change.idempotency {
        insert_idempotency(conn, rec).await?;
    }
    let head = match &change.follows {
        Some(head) => head.clone(),
        None => {
            let row: Option<(i64, String)> = sqlx::query_as(HEAD_SELECT)
                .bind(id.to_owned())
                .fetch_optional(&mut *conn)
                .await?;
            let (seq, hash) = row.ok_or(StoreError::NotFound)?;
            ChainHead { seq, hash }
        }
    };
    let (sealed, new_head) = seal_events(&head, &change.events)?;
    // The conditional update both checks the rev (and the head the events
    // were sealed after, which changes only with the rev) and, on
    // PostgreSQL, locks the row, so concurrent appends to one case queue
    // here and the loser sees the new rev.
    let q = sqlx::query(APPEND_UPDATE)
        .bind(id.to_owned())
        .bind(expected_rev);
    let done = bind_row(q, &change.row)
        .bind(new_head.seq)
        .bind(new_head.hash)
        .bind(head.seq)
        .bind(head.hash.clone())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        let now: Option<(i64, i64, String)> = sqlx::query_as(ROW_HEAD_SELECT)
            .bind(id.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
        return Err(append_missed(now, expected_rev, &head));
    }
    insert_events(conn, id, sealed).await?;
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
    insert_jobs(conn, &change.jobs, Utc::now()).await?;
    Ok(())
}

/// A whole create as a write's body.
async fn create_body(conn: &mut Conn, new: NewApplication) -> Result<Created, StoreError> {
    let last: i64 = sqlx::query_scalar(NUMBER_NEXT)
        .bind(new.number_prefix.clone())
        .bind(i64::from(new.number_year))
        .fetch_one(&mut *conn)
        .await?;
    let number = format!("{}-{}-{last:06}", new.number_prefix, new.number_year);
    let change = (new.build)(&number);
    if let Some(rec) = &change.idempotency {
        insert_idempotency(conn, rec).await?;
    }
    let (sealed, head) = seal_events(&ChainHead::genesis(), &change.events)?;
    let q = sqlx::query(APPLICATION_INSERT)
        .bind(new.id.clone())
        .bind(number.clone())
        .bind(1_i64);
    bind_row(q, &change.row)
        .bind(head.seq)
        .bind(head.hash)
        .execute(&mut *conn)
        .await?;
    insert_events(conn, &new.id, sealed).await?;
    insert_attachments(conn, &new.id, 0, &change.attachments, change.row.updated_at).await?;
    insert_jobs(conn, &change.jobs, Utc::now()).await?;
    Ok(Created {
        id: new.id,
        number,
        rev: 1,
    })
}

/// A whole append as a write's body: the change, and the seal of the
/// drafted result when the head signs.
async fn append_body(
    conn: &mut Conn,
    id: String,
    expected_rev: i64,
    change: Change,
    seal: Option<DocumentSeal>,
    draft: Option<DocumentWrite>,
) -> Result<i64, StoreError> {
    append_in(conn, &id, expected_rev, change).await?;
    if let Some(seal) = seal {
        if let Some(draft) = draft {
            put_document_in(conn, draft).await?;
        }
        let done = sqlx::query(SEAL_DOCUMENT)
            .bind(seal.code.clone())
            .bind(seal.sha256)
            .bind(seal.cms)
            .bind(seal.signer)
            .bind(micros(seal.at))
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 0 {
            let exists: Option<String> =
                sqlx::query_scalar("select code from documents where code = $1")
                    .bind(seal.code)
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
    for p in &write.fresh {
        sqlx::query(PUT_PART)
            .bind(p.sha256)
            .bind(p.bytes)
            .execute(&mut *conn)
            .await?;
    }
    let DocumentWrite { doc, form, .. } = write;
    let done = sqlx::query(PUT_DOCUMENT)
        .bind(doc.code)
        .bind(doc.application_id)
        .bind(doc.purpose)
        .bind(doc.kind)
        .bind(doc.number)
        .bind(doc.issuer)
        .bind(form.pdf)
        .bind(form.sha256)
        .bind(micros(doc.created_at))
        .bind(form.parts)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
