//! The SQLite backend, Qyzmet's embedded default: one file in WAL mode with
//! `synchronous=FULL` and foreign keys on. Reads use a few read-only
//! connections and run beside the writer; the reads of one row that nearly
//! every request makes run on rusqlite connections of their own, on the
//! caller's thread ([`PointReads`]). Writes go to one writer, on a
//! thread of its own, that owns the only write connection and commits them
//! in groups: it takes whatever writes
//! are queued, opens one `BEGIN IMMEDIATE` transaction (the write lock
//! first, so a writer never fails upgrading a read lock), runs each write
//! inside its own savepoint, commits once, and only then answers each write.
//! A write that fails is rolled back to its savepoint alone and gets its own
//! error; a commit that fails fails every write of the group. So SQLite's
//! one writer pays one durable commit for many writes, and an acknowledged
//! write is on disk.
//!
//! A checkpointer, on a thread and a connection of its own, copies what
//! was committed from the WAL into the database file every tenth of a
//! second, beside the writer rather than inside one of its commits.
//!
//! The writes every case makes (`create`, `append`, `put_document`,
//! `finish_job`) are
//! written a second time for the raw connection (rusqlite over the same
//! libsqlite3 and the same handle): the writer runs them back to back with
//! the handle locked once, instead of handing each statement to sqlx's
//! connection thread and back. The others run through sqlx, in the same
//! transaction.

use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor};
use tokio::sync::{mpsc, oneshot};

type Db = sqlx::Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
type Backend = SqliteStore;
const BACKEND: &str = "sqlite";
/// No other node to tell of a session's change.
const SESSION_NOTICE: Option<&str> = None;
/// SQLite has one writer at a time: the claiming transaction is the lock.
const CLAIM_FOR: &str = "";

const EVENTS_INSERT: &str =
    "insert into events (application_id, seq, type, at, actor, data, hash, prev_hash) values ";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Read connections open at most.
const READERS: usize = 4;

/// Most writes one commit carries.
const MAX_GROUP: usize = 64;

/// Writes waiting for the writer before `write` waits for room.
const QUEUE: usize = 1024;

/// How often the checkpointer copies what was committed into the database
/// file (when anything was).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The WAL's length, in pages, at which the writer checkpoints itself: the
/// checkpointer has copied nearly all of it by then, and only a checkpoint
/// between two of the writer's own transactions lets the WAL start over
/// from its beginning (see [`checkpointer`]).
const WRITER_CHECKPOINT_PAGES: u32 = 8192;

pub struct SqliteStore {
    /// The writer's queue; `None` once closed.
    queue: Mutex<Option<mpsc::Sender<Box<dyn Unit>>>>,
    /// The writer task, awaited by `close`.
    /// Told when the writer's thread has finished, awaited by `close`.
    writer: Mutex<Option<oneshot::Receiver<()>>>,
    /// Groups committed so far.
    commits: Arc<AtomicU64>,
    read: ReadPool,
    point: PointReads,
    known_parts: KnownParts,
    recent: crate::memory::RecentApps,
    sessions: std::sync::Arc<crate::memory::Sessions>,
    /// Dropped to stop the checkpointer; told when it has stopped.
    checkpointer: Mutex<Option<(std::sync::mpsc::Sender<()>, oneshot::Receiver<()>)>>,
}

/// The read-only connections: a plain stack of them, at most `size` open.
/// (sqlx's pool pings a connection when it is taken and again when it
/// comes back, each a hand-off to the connection's worker thread and back;
/// a local file has nothing to check, and a statement dropped half-read is
/// reset by the driver itself.)
struct ReadPool {
    idle: Mutex<Vec<SqliteConnection>>,
    room: tokio::sync::Semaphore,
    options: SqliteConnectOptions,
}

/// A read connection taken from the [`ReadPool`]; goes back when dropped.
struct ReadConn<'a> {
    pool: &'a ReadPool,
    conn: Option<SqliteConnection>,
    _room: tokio::sync::SemaphorePermit<'a>,
}

impl ReadPool {
    fn new(options: SqliteConnectOptions, size: usize) -> Self {
        ReadPool {
            idle: Mutex::new(Vec::with_capacity(size)),
            room: tokio::sync::Semaphore::new(size),
            options,
        }
    }

    async fn get(&self) -> Result<ReadConn<'_>, StoreError> {
        let room = self
            .room
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(c) => c,
            None => self.options.connect().await?,
        };
        Ok(ReadConn {
            pool: self,
            conn: Some(conn),
            _room: room,
        })
    }

    /// Takes no more readers and closes the idle connections.
    async fn close(&self) {
        self.room.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for conn in idle {
            let _ = conn.close().await;
        }
    }
}

impl std::ops::Deref for ReadConn<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("a read connection until dropped")
    }
}

impl std::ops::DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("a read connection until dropped")
    }
}

impl Drop for ReadConn<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if !self.pool.room.is_closed() {
                self.pool
                    .idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(conn);
            }
        }
    }
}

/// Read-only connections of rusqlite's own, for the reads of one row that
/// nearly every request makes (its session's user, the application it
/// acts on): run on the caller's thread, a few dozen microseconds each,
/// rather than handed to a sqlx connection's thread and back (two thread
/// wake-ups, which cost more than the read). As many run at once as the
/// runtime has threads calling; as many stay open as may be needed again.
/// Opened when first needed; a connection whose read failed is closed
/// rather than kept.
struct PointReads {
    idle: Mutex<Idle>,
    path: std::path::PathBuf,
    /// Idle connections kept at most.
    keep: usize,
}

/// The [`PointReads`]' idle connections, and whether the store closed
/// (checked under the same lock as the connections are put back, so that
/// none is kept after `close`).
#[derive(Default)]
struct Idle {
    connections: Vec<rusqlite::Connection>,
    closed: bool,
}

/// How long a point read waits for a lock (only a WAL recovery, after a
/// crash, or another process's exclusive lock takes one from a reader in
/// WAL mode): it waits on a runtime thread, so briefly, then answers
/// "unavailable".
const POINT_BUSY_TIMEOUT: Duration = Duration::from_millis(250);

impl PointReads {
    fn new(path: std::path::PathBuf) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        PointReads {
            idle: Mutex::new(Idle::default()),
            path,
            keep: READERS.max(threads),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Idle> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open(&self) -> Result<rusqlite::Connection, StoreError> {
        use rusqlite::OpenFlags as F;
        let db = rusqlite::Connection::open_with_flags(
            &self.path,
            F::SQLITE_OPEN_READ_ONLY | F::SQLITE_OPEN_NO_MUTEX,
        )?;
        db.busy_timeout(POINT_BUSY_TIMEOUT)?;
        Ok(db)
    }

    /// Runs `read` on an idle connection (or a new one), then keeps it for
    /// the next read (at most `keep` idle).
    fn with<T>(
        &self,
        read: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = {
            let mut idle = self.idle();
            if idle.closed {
                return Err(StoreError::Unavailable("the store is closed".into()));
            }
            idle.connections.pop()
        };
        let db = match idle {
            Some(db) => db,
            None => self.open()?,
        };
        let out = read(&db);
        if out.is_ok() {
            let mut idle = self.idle();
            if !idle.closed && idle.connections.len() < self.keep {
                idle.connections.push(db);
            }
        }
        out
    }

    /// The row `sql` (with `$1`… bound to `params`) finds, if any, as `map`
    /// reads it.
    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.with(|db| {
            let mut statement = db.prepare_cached(&numbered(sql))?;
            let mut rows = statement.query(params)?;
            rows.next()?.map(map).transpose()
        })
    }

    /// Takes no more reads and closes the idle connections.
    fn close(&self) {
        let mut idle = self.idle();
        idle.closed = true;
        idle.connections.clear();
    }
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.get(column)?)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(column)?)
    }
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.get(column)?)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.get(column)?)
    }
    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(self.get(column)?)
    }
}

/// One queued write, as the writer sees it: run its body on the connection
/// (inside the group's transaction), then answer once the group is settled.
trait Unit: Send {
    /// Whether the body is written for the raw connection ([`Unit::run_raw`]).
    fn is_raw(&self) -> bool;
    /// Runs a body written for sqlx; `false` if it failed (its error is
    /// kept for `answer`).
    fn run<'a>(&'a mut self, conn: &'a mut SqliteConnection) -> BoxFuture<'a, bool>;
    /// Runs a raw body on the write connection's own handle, which the
    /// caller holds locked; `false` if it failed.
    fn run_raw(&mut self, raw: &rusqlite::Connection) -> bool;
    /// Answers the caller: its own error if its body failed, else the
    /// group's outcome (`Err` when the commit failed or never happened).
    fn answer(self: Box<Self>, group: Result<(), StoreError>);
}

/// A write's body: through sqlx, or written for the raw connection (the
/// writes every case makes, run back to back without a hand-off a statement).
enum Body<T> {
    Sqlx(SqlxBody<T>),
    Raw(RawBody<T>),
}

type SqlxBody<T> = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send,
>;

type RawBody<T> = Box<dyn FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send>;

struct Pending<T> {
    body: Option<Body<T>>,
    out: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T> Pending<T> {
    /// Keeps the body's outcome for `answer`; whether it succeeded.
    fn keep(&mut self, out: Result<T, StoreError>) -> bool {
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }
}

/// A body that cannot run: already run, or not for this connection.
fn not_runnable() -> StoreError {
    StoreError::Other("a write ran twice, or on the wrong connection".into())
}

fn panicked() -> StoreError {
    StoreError::Other("a write panicked".into())
}

impl<T: Send + 'static> Unit for Pending<T> {
    fn is_raw(&self) -> bool {
        matches!(self.body, Some(Body::Raw(_)))
    }

    fn run<'a>(&'a mut self, conn: &'a mut SqliteConnection) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let out = match self.body.take() {
                Some(Body::Sqlx(body)) => AssertUnwindSafe(body(conn))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(panicked())),
                _ => Err(not_runnable()),
            };
            self.keep(out)
        })
    }

    fn run_raw(&mut self, raw: &rusqlite::Connection) -> bool {
        let out = match self.body.take() {
            Some(Body::Raw(body)) => std::panic::catch_unwind(AssertUnwindSafe(|| body(raw)))
                .unwrap_or_else(|_| Err(panicked())),
            _ => Err(not_runnable()),
        };
        self.keep(out)
    }

    fn answer(self: Box<Self>, group: Result<(), StoreError>) {
        let answer = match (self.out, group) {
            (Some(Err(own)), _) => Err(own),
            (_, Err(group)) => Err(group),
            (Some(Ok(v)), Ok(())) => Ok(v),
            (None, Ok(())) => Err(StoreError::Other("a write did not run".into())),
        };
        // A caller that went away no longer wants the answer; its write
        // stands, as if it had crashed after the commit.
        let _ = self.reply.send(answer);
    }
}

/// The write connection's own handle, seen through rusqlite (the same
/// libsqlite3), with its own statement cache. Used only while the sqlx
/// connection's handle is locked, so the two never run at once.
struct Raw(rusqlite::Connection);

impl Raw {
    async fn of(conn: &mut SqliteConnection) -> Result<Raw, StoreError> {
        let mut handle = conn.lock_handle().await?;
        // SAFETY: the handle stays open as long as `conn`, which the writer
        // keeps, and releases this before it closes or replaces `conn`;
        // rusqlite does not close a handle it did not open. The write
        // connection is opened serialized (SQLite's own mutex), so even a
        // use of this while the driver's thread holds the handle (the
        // writer's task dropped mid-await at shutdown) is not a data race.
        #[allow(unsafe_code)]
        let raw = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }?;
        Ok(Raw(raw))
    }

    /// Finalizes the cached statements before the connection goes: the
    /// driver closes its handle with `sqlite3_close`, which refuses (and
    /// the driver panics) while statements are left. With the handle
    /// locked when the driver's thread still answers; when it is gone the
    /// handle is still open (`conn` holds it) and nothing else uses it.
    async fn release(self, conn: &mut SqliteConnection) {
        let _locked = conn.lock_handle().await.ok();
        drop(self.0);
    }
}

/// Runs `sql` outside any write (the group's own statements).
async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), StoreError> {
    conn.execute(sql).await?;
    Ok(())
}

/// Undoes the group's transaction after an error; the error that got here
/// is the one reported, so a failing rollback (the transaction may already
/// be gone) adds nothing.
async fn abandon(conn: &mut SqliteConnection) {
    let _ = conn.execute("rollback").await;
}

/// Takes writes from `queue` until it is closed and empty, a group at a
/// time: all that are waiting when the last commit ends (and those arriving
/// while the group runs), at most [`MAX_GROUP`].
async fn writer(
    mut conn: SqliteConnection,
    options: SqliteConnectOptions,
    mut queue: mpsc::Receiver<Box<dyn Unit>>,
    commits: Arc<AtomicU64>,
) {
    let mut raw = Raw::of(&mut conn).await.ok();
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        let outcome = match &mut raw {
            Some(raw) => run_group(&mut conn, raw, &mut group, &mut queue).await,
            None => Err(StoreError::Unavailable("no write connection".into())),
        };
        if outcome.is_ok() {
            commits.fetch_add(1, Ordering::Relaxed);
        } else if raw.is_none() || conn.ping().await.is_err() {
            // The connection itself is gone: the next group gets a new one
            // (or fails again, and tries again).
            if let Ok(mut fresh) = options.connect().await {
                if let Some(old) = raw.take() {
                    old.release(&mut conn).await;
                }
                raw = Raw::of(&mut fresh).await.ok();
                conn = fresh;
            }
        }
        for unit in group {
            unit.answer(outcome.clone());
        }
    }
    if let Some(raw) = raw {
        raw.release(&mut conn).await;
    }
    let _ = conn.close().await;
}

/// One transaction for `group` (which grows while it runs, up to
/// [`MAX_GROUP`] writes). Raw writes run one after another on the handle,
/// locked from the driver once for all of them in a row (one hand-off to
/// its thread, not one a statement); a write for sqlx runs through the
/// driver between them. The first write needs no savepoint: when it fails,
/// the whole transaction is undone and the group ends with it alone.
/// Savepoints are never released: the commit takes them all, and a failed
/// write's `rollback to` undoes it alone.
async fn run_group(
    conn: &mut SqliteConnection,
    raw: &mut Raw,
    group: &mut Vec<Box<dyn Unit>>,
    queue: &mut mpsc::Receiver<Box<dyn Unit>>,
) -> Result<(), StoreError> {
    let more = |group: &Vec<Box<dyn Unit>>, queue: &mut mpsc::Receiver<Box<dyn Unit>>| {
        if group.len() < MAX_GROUP {
            queue.try_recv().ok()
        } else {
            None
        }
    };
    let mut next = group.pop();
    let mut first = true;
    let mut began = false;
    loop {
        // Raw writes, with the handle locked.
        {
            let failed = match conn.lock_handle().await {
                Err(e) => Some(StoreError::from(e)),
                Ok(_locked) => {
                    let db = &raw.0;
                    let undo = |e: rusqlite::Error| -> StoreError {
                        let _ = db.execute_batch("rollback");
                        e.into()
                    };
                    if !began {
                        if let Err(e) = db.execute_batch("begin immediate") {
                            // Answered with the group: the write not yet run too.
                            group.extend(next.take());
                            return Err(e.into());
                        }
                        began = true;
                    }
                    loop {
                        let Some(mut unit) = next.take() else {
                            return db.execute_batch("commit").map_err(undo);
                        };
                        if !unit.is_raw() {
                            next = Some(unit);
                            break;
                        }
                        if !first {
                            if let Err(e) = db.execute_batch("savepoint w") {
                                group.push(unit);
                                return Err(undo(e));
                            }
                        }
                        let ok = unit.run_raw(db);
                        group.push(unit);
                        if !ok {
                            if first {
                                let _ = db.execute_batch("rollback");
                                return Err(StoreError::Other("rolled back".into()));
                            }
                            // A failure that took the transaction with it (SQLite
                            // does so on a full disk or an I/O error): nothing stands.
                            db.execute_batch("rollback to w").map_err(undo)?;
                        }
                        first = false;
                        next = more(group, queue);
                    }
                    None
                }
            };
            if let Some(e) = failed {
                group.extend(next.take());
                if began {
                    abandon(conn).await;
                }
                return Err(e);
            }
        }
        // Writes for sqlx, through the driver (the raw phase began the
        // transaction).
        while let Some(mut unit) = next.take() {
            if unit.is_raw() {
                next = Some(unit);
                break;
            }
            if !first {
                if let Err(e) = exec(conn, "savepoint w").await {
                    group.push(unit);
                    abandon(conn).await;
                    return Err(e);
                }
            }
            let ok = unit.run(conn).await;
            group.push(unit);
            if !ok {
                if first {
                    abandon(conn).await;
                    return Err(StoreError::Other("rolled back".into()));
                }
                if let Err(e) = exec(conn, "rollback to w").await {
                    abandon(conn).await;
                    return Err(e);
                }
            }
            first = false;
            next = more(group, queue);
        }
        if next.is_none() {
            if let Err(e) = exec(conn, "commit").await {
                abandon(conn).await;
                return Err(e);
            }
            return Ok(());
        }
    }
}

impl SqliteStore {
    /// Opens (creating the file and its directory) and migrates `sqlite://PATH`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("database URL: {e}")))?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let path = base.get_filename().to_owned();
        if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
            // Two pools would see two different in-memory databases.
            return Err(StoreError::Other(
                "SQLite needs a file: use sqlite://PATH".into(),
            ));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("creating {}: {e}", dir.display())))?;
        }
        let options = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // A savepoint's journal in memory, not a temporary file made
            // and removed for each group that needs one.
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string())
            // SQLite's own mutex: see `Raw::of`.
            .serialized(true);
        let mut write = options.connect().await?;
        MIGRATOR.run(&mut write).await?;
        let read = ReadPool::new(base.read_only(true), READERS);
        // Fail now, not at the first read, if the file cannot be read.
        drop(read.get().await?);
        let (queue, waiting) = mpsc::channel(QUEUE);
        let commits = Arc::new(AtomicU64::new(0));
        // The writer runs on a thread of its own, so that its turns never
        // wait behind requests on the server's runtime: every write waits
        // for it, so its latency is everyone's. (Its commits block that
        // thread, and only that one.)
        let (finished, writer_done) = oneshot::channel();
        let group_commits = commits.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(writer(write, options, waiting, group_commits)),
                    Err(e) => tracing::error!(error = %e, "the SQLite writer's runtime"),
                }
                let _ = finished.send(());
            })
            .map_err(|e| StoreError::Other(format!("starting the SQLite writer: {e}")))?;
        let (stop, stopping) = std::sync::mpsc::channel();
        let (stopped, checkpointer_done) = oneshot::channel();
        // Opened here, so that a database it cannot open fails `connect`
        // rather than leaving the writer to checkpoint alone.
        let checkpoints = rusqlite::Connection::open(&path)?;
        let point = PointReads::new(path.clone());
        // As with the read pool: fail now if the file cannot be read (a
        // statement, since SQLite opens the file only when it needs it).
        point.with(|db| Ok(db.query_row("select count(*) from sqlite_master", [], |_| Ok(()))?))?;
        let committed = commits.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                checkpointer(&checkpoints, &committed, &stopping);
                let _ = stopped.send(());
            })
            .map_err(|e| StoreError::Other(format!("starting the SQLite checkpointer: {e}")))?;
        // One process writes this file: every change is heard here.
        let sessions = std::sync::Arc::new(crate::memory::Sessions::new(true));
        Ok(SqliteStore {
            queue: Mutex::new(Some(queue)),
            writer: Mutex::new(Some(writer_done)),
            commits,
            read,
            point,
            known_parts: KnownParts::default(),
            recent: Default::default(),
            sessions,
            checkpointer: Mutex::new(Some((stop, checkpointer_done))),
        })
    }

    /// The write transactions committed since `connect` (each carrying a
    /// group of writes).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    async fn reader(&self) -> Result<ReadConn<'_>, StoreError> {
        self.read.get().await
    }

    /// Runs `body` as one write: queued for the writer, run in the next
    /// group's transaction, answered after that group's commit.
    async fn write<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.enqueue(Body::Sqlx(Box::new(body))).await
    }

    /// A write of one statement: as [`write`](Self::write) (PostgreSQL's
    /// runs without a transaction around it).
    async fn write_one<T, F>(&self, body: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        self.write(body).await
    }

    /// Runs `body` as one write on the raw connection (see [`Body::Raw`]).
    async fn write_raw<T, G>(&self, body: G) -> Result<T, StoreError>
    where
        T: Send + 'static,
        G: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.enqueue(Body::Raw(Box::new(body))).await
    }

    /// Queues `body` for the writer, and waits for its answer.
    async fn enqueue<T: Send + 'static>(&self, body: Body<T>) -> Result<T, StoreError> {
        let closed = || StoreError::Unavailable("the store is closed".into());
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(closed)?;
        let (reply, answer) = oneshot::channel();
        let unit = Pending {
            body: Some(body),
            out: None,
            reply,
        };
        queue.send(Box::new(unit)).await.map_err(|_| closed())?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer stopped".into()))?
    }

    async fn write_finish_job(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write_raw(move |db| finish_job_raw(db, id, now)).await
    }

    /// Stores a document, and those of its shared parts not stored yet;
    /// with `finish`, records that job done in the same write.
    async fn write_put_document(
        &self,
        write: DocumentWrite,
        finish: Option<(i64, DateTime<Utc>)>,
    ) -> Result<bool, StoreError> {
        self.write_raw(move |db| {
            let written = put_document_raw(db, write)? > 0;
            if let Some((job, now)) = finish {
                finish_job_raw(db, job, now)?;
            }
            Ok(written)
        })
        .await
    }

    async fn write_create(&self, new: NewApplication) -> Result<Application, StoreError> {
        self.write_raw(move |db| create_raw(db, new)).await
    }

    /// An append (sealing the drafted result with it, if `seal`), with
    /// the chain's new `links` when the change names the head it follows:
    /// hashed by the caller, outside the writer's serial section (a head
    /// that moved on fails the update, and the links with it).
    async fn write_append(
        &self,
        id: String,
        expected_rev: i64,
        change: Change,
        links: Option<Links>,
        seal: Option<DocumentSeal>,
        draft: Option<DocumentWrite>,
    ) -> Result<i64, StoreError> {
        self.write_raw(move |db| append_raw(db, &id, expected_rev, &change, links, seal, draft))
            .await
    }

    /// Lets the writer finish what is queued, then closes its connection
    /// and the read pool.
    async fn close_pools(&self) {
        drop(self.queue.lock().unwrap_or_else(|e| e.into_inner()).take());
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.await;
        }
        let checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((stop, stopped)) = checkpointer {
            drop(stop);
            let _ = stopped.await;
        }
        self.read.close().await;
        self.point.close();
    }

    /// One application by `by`, if there is one (a point read).
    async fn read_app(&self, by: AppBy, key: &str) -> Result<Option<Application>, StoreError> {
        self.point
            .one(app_by_sql(by), [key], |row| app_from_row(row))
    }

    /// One user by `by`, if there is one (a point read).
    async fn read_user(&self, by: UserBy, key: &str) -> Result<Option<User>, StoreError> {
        self.point
            .one(user_by_sql(by), [key], |row| user_from_row(row))
    }

    /// The user of the session whose token hashes to `token_hash`, unless
    /// it expired by `now` (microseconds): a point read.
    async fn read_session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(User, i64)>, StoreError> {
        self.point.one(
            session_user_sql(),
            rusqlite::params![token_hash, now],
            |row| session_user_from_row(row),
        )
    }
}

/// Copies committed pages from the WAL into the database file, every
/// [`CHECKPOINT_EVERY`] when the writer committed since the last time, on a
/// connection and a thread of its own, until `stop` is dropped. In WAL mode
/// a checkpoint runs beside the writer (`PASSIVE`: it never waits for it or
/// for readers), so the writer no longer copies a thousand pages into the
/// file and syncs it in the middle of a commit every few dozen cases. It
/// cannot always copy everything (the writer keeps appending, a reader may
/// still need older pages), and the WAL starts over from its beginning only
/// after a checkpoint that copied all of it; the writer's own checkpoint at
/// [`WRITER_CHECKPOINT_PAGES`] does that, with little left to copy. A
/// failure is logged and tried again next time: the WAL keeps everything
/// until then.
fn checkpointer(
    db: &rusqlite::Connection,
    commits: &AtomicU64,
    stop: &std::sync::mpsc::Receiver<()>,
) {
    let mut seen = commits.load(Ordering::Relaxed);
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY)
    {
        let now = commits.load(Ordering::Relaxed);
        if now == seen {
            continue;
        }
        seen = now;
        let done = db.query_row("pragma wal_checkpoint(passive)", [], |row| {
            row.get::<_, i64>(0)
        });
        match done {
            // The writer's own checkpoint is running: it copies everything.
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy => {}
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint"),
            Ok(_) => {}
        }
    }
}

include!("common.rs");

/// SQL written with `$n` placeholders, as SQLite's `?n`.
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

/// Values bound into a raw statement.
type Values = Vec<Box<dyn rusqlite::ToSql>>;

/// Runs `sql` (with `$n` placeholders) with `values`; the rows changed.
fn raw_exec(db: &rusqlite::Connection, sql: &str, values: Values) -> Result<usize, StoreError> {
    Ok(db
        .prepare_cached(&numbered(sql))?
        .execute(rusqlite::params_from_iter(values))?)
}

/// The row's columns in the order of [`bind_row`].
fn row_values(row: &ApplicationRow, v: &mut Values) {
    v.push(Box::new(row.service.clone()));
    v.push(Box::new(row.version.clone()));
    v.push(Box::new(row.channel.clone()));
    v.push(Box::new(row.provider.clone()));
    v.push(Box::new(row.status.clone()));
    v.push(Box::new(row.step.clone()));
    v.push(Box::new(row.step_role.clone()));
    v.push(Box::new(row.due_at.map(micros)));
    v.push(Box::new(sort_due(row)));
    v.push(Box::new(row.overdue));
    v.push(Box::new(row.assignee.clone()));
    v.push(Box::new(row.applicant_iin.clone()));
    v.push(Box::new(row.intake_actor.clone()));
    v.push(Box::new(micros(row.created_at)));
    v.push(Box::new(micros(row.updated_at)));
    v.push(Box::new(row.state.as_str().to_owned()));
    v.push(Box::new(row.representative_iin.clone()));
}

/// The parts of a change both a create and an append write after the row:
/// the events, [`insert_attachments`] and [`insert_jobs`], raw.
fn raw_change_rest(
    db: &rusqlite::Connection,
    id: &str,
    sealed: &[ChainEvent],
    last_attachment: i64,
    change: &Change,
) -> Result<(), StoreError> {
    for chunk in sealed.chunks(ROWS_PER_INSERT) {
        let mut v: Values = Vec::with_capacity(chunk.len() * 8);
        for e in chunk {
            v.push(Box::new(id.to_owned()));
            v.push(Box::new(e.seq));
            v.push(Box::new(e.kind.clone()));
            v.push(Box::new(e.at.clone()));
            v.push(Box::new(e.actor.clone()));
            v.push(Box::new(to_json(&e.data)));
            v.push(Box::new(e.hash.clone()));
            v.push(Box::new(e.prev_hash.clone()));
        }
        let sql = format!("{EVENTS_INSERT}{}", values_list(chunk.len(), 8));
        raw_exec(db, &sql, v)?;
    }
    for (n, a) in (last_attachment + 1..).zip(&change.attachments) {
        let size = i64::try_from(a.content.len())
            .map_err(|_| StoreError::Other("attachment too large".into()))?;
        let v: Values = vec![
            Box::new(id.to_owned()),
            Box::new(n),
            Box::new(a.kind.clone()),
            Box::new(a.name.clone()),
            Box::new(a.media_type.clone()),
            Box::new(size),
            Box::new(hex::encode(Sha256::digest(&a.content))),
            Box::new(a.content.clone()),
            Box::new(micros(change.row.updated_at)),
        ];
        raw_exec(db, ATTACHMENT_INSERT, v)?;
    }
    let now = micros(Utc::now());
    for chunk in change.jobs.chunks(ROWS_PER_INSERT) {
        let mut v: Values = Vec::with_capacity(chunk.len() * 6);
        for j in chunk {
            v.push(Box::new(j.kind.clone()));
            v.push(Box::new(to_json(&j.payload)));
            v.push(Box::new("pending"));
            v.push(Box::new(0_i64));
            v.push(Box::new(micros(j.run_at)));
            v.push(Box::new(now));
        }
        let sql = format!("{JOBS_INSERT}{}", values_list(chunk.len(), 6));
        raw_exec(db, &sql, v)?;
    }
    Ok(())
}

fn raw_idempotency(db: &rusqlite::Connection, change: &Change) -> Result<(), StoreError> {
    if let Some(rec) = &change.idempotency {
        let v: Values = vec![
            Box::new(rec.principal.clone()),
            Box::new(rec.key.clone()),
            Box::new(rec.fingerprint.clone()),
            Box::new(i64::from(rec.status)),
            Box::new(rec.body.clone()),
            Box::new(micros(rec.created_at)),
        ];
        raw_exec(db, IDEMPOTENCY_INSERT, v)?;
    }
    Ok(())
}

/// [`create_body`] for the raw connection.
fn create_raw(db: &rusqlite::Connection, new: NewApplication) -> Result<Application, StoreError> {
    let last: i64 = db.prepare_cached(&numbered(NUMBER_NEXT))?.query_row(
        rusqlite::params![new.number_prefix, i64::from(new.number_year)],
        |r| r.get(0),
    )?;
    let number = format!("{}-{}-{last:06}", new.number_prefix, new.number_year);
    let change = (new.build)(&number);
    raw_idempotency(db, &change)?;
    let (sealed, head) = seal_events(&ChainHead::genesis(), &change.events)?;
    let mut v: Values = vec![
        Box::new(new.id.clone()),
        Box::new(number.clone()),
        Box::new(1_i64),
    ];
    row_values(&change.row, &mut v);
    v.push(Box::new(head.seq));
    v.push(Box::new(head.hash.clone()));
    raw_exec(db, APPLICATION_INSERT, v)?;
    raw_change_rest(db, &new.id, &sealed, 0, &change)?;
    Ok(Application {
        id: new.id,
        number,
        rev: 1,
        row: change.row,
        head,
    })
}

/// [`APPEND_UPDATE`] for the usual append, which leaves the columns fixed
/// at intake as they are (service, version, channel, provider, applicant,
/// representative, who took it in, when): it sets only the others, and
/// matches only a row whose fixed columns hold the values bound. SQLite
/// rewrites the entry of every index on a column a `SET` names, changed or
/// not; so this rewrites the five indexes a step moves (queue, worklist,
/// overdue, provider's deadlines, load) and leaves the four on fixed columns
/// (applicant, representative, service, created), a third fewer pages
/// written per append. When it matches nothing, the full update runs (and
/// tells a stale append from a changed fixed column).
const APPEND_UPDATE_KEPT: &str =
    "update applications set status = $7, step = $8, step_role = $9, due_at = $10, \
     sort_due = $11, overdue = $12, assignee = $13, updated_at = $17, state = $18, \
     rev = rev + 1, event_count = $20, last_hash = $21 \
     where id = $1 and rev = $2 and event_count = $22 and last_hash = $23 \
     and service = $3 and version = $4 and channel = $5 and provider = $6 \
     and applicant_iin = $14 and intake_actor = $15 and created_at = $16 \
     and representative_iin is $19";

/// [`append_body`] for the raw connection; `links` when they were sealed
/// before the write was queued.
fn append_raw(
    db: &rusqlite::Connection,
    id: &str,
    expected_rev: i64,
    change: &Change,
    links: Option<Links>,
    seal: Option<DocumentSeal>,
    draft: Option<DocumentWrite>,
) -> Result<i64, StoreError> {
    use rusqlite::OptionalExtension;
    raw_idempotency(db, change)?;
    let (head, (sealed, new_head)) = match links {
        Some(links) => links,
        None => {
            let (seq, hash) = db
                .prepare_cached(&numbered(HEAD_SELECT))?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or(StoreError::NotFound)?;
            let head = ChainHead { seq, hash };
            let links = seal_events(&head, &change.events)?;
            (head, links)
        }
    };
    let values = || {
        let mut v: Values = vec![Box::new(id.to_owned()), Box::new(expected_rev)];
        row_values(&change.row, &mut v);
        v.push(Box::new(new_head.seq));
        v.push(Box::new(new_head.hash.clone()));
        v.push(Box::new(head.seq));
        v.push(Box::new(head.hash.clone()));
        v
    };
    let updated = raw_exec(db, APPEND_UPDATE_KEPT, values())? > 0
        || raw_exec(db, APPEND_UPDATE, values())? > 0;
    if !updated {
        let now = db
            .prepare_cached(&numbered(ROW_HEAD_SELECT))?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        return Err(append_missed(now, expected_rev, &head));
    }
    let last_attachment: i64 = if change.attachments.is_empty() {
        0
    } else {
        db.prepare_cached(&numbered(ATTACHMENT_LAST))?
            .query_row([id], |r| r.get(0))?
    };
    raw_change_rest(db, id, &sealed, last_attachment, change)?;
    if let Some(seal) = seal {
        let done = match draft {
            // The draft made for this seal: stored sealed, one statement.
            Some(draft) if draft.doc.code == seal.code => {
                let mut v = put_parts_raw(db, draft)?;
                v.push(Box::new(seal.cms));
                v.push(Box::new(seal.signer));
                v.push(Box::new(micros(seal.at)));
                raw_exec(db, &PUT_SEALED_DRAFT, v)?
            }
            draft => {
                if let Some(draft) = draft {
                    put_document_raw(db, draft)?;
                }
                let v: Values = vec![
                    Box::new(seal.code.clone()),
                    Box::new(seal.sha256),
                    Box::new(seal.cms),
                    Box::new(seal.signer),
                    Box::new(micros(seal.at)),
                ];
                raw_exec(db, SEAL_DOCUMENT, v)?
            }
        };
        if done == 0 {
            let exists = db
                .prepare_cached("select 1 from documents where code = ?1")?
                .exists([&seal.code])?;
            return Err(unsealed(exists));
        }
    }
    Ok(expected_rev + 1)
}

/// [`put_document_in`] for the raw connection: stores a prepared document,
/// and first those of its shared parts not stored yet; the rows
/// `PUT_DOCUMENT` changed.
fn put_document_raw(db: &rusqlite::Connection, write: DocumentWrite) -> Result<usize, StoreError> {
    let v = put_parts_raw(db, write)?;
    raw_exec(db, &PUT_DOCUMENT, v)
}

/// Stores the shared parts of `write` not stored yet; the document's
/// values, in the order of [`PUT_DOCUMENT`]'s parameters.
fn put_parts_raw(db: &rusqlite::Connection, write: DocumentWrite) -> Result<Values, StoreError> {
    for p in &write.fresh {
        raw_exec(db, PUT_PART, vec![Box::new(p.sha256), Box::new(p.bytes)])?;
    }
    let DocumentWrite { doc, form, .. } = write;
    Ok(vec![
        Box::new(doc.code),
        Box::new(doc.application_id),
        Box::new(doc.purpose),
        Box::new(doc.kind),
        Box::new(doc.number),
        Box::new(doc.issuer),
        Box::new(form.pdf),
        Box::new(form.sha256),
        Box::new(micros(doc.created_at)),
        Box::new(form.parts),
    ])
}

/// [`Store::finish_job`] for the raw connection.
fn finish_job_raw(
    db: &rusqlite::Connection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    raw_exec(db, FINISH_JOB, vec![Box::new(id), Box::new(micros(now))])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::connect(&format!("sqlite://{}/q.db", dir.path().display()))
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_sent_at_once_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let before = s.commits();
        let at = Utc::now();
        let addresses: Vec<String> = (0..200).map(|i| format!("10.0.0.{i}")).collect();
        let writes = addresses.iter().map(|a| s.record_failed_login("a", a, at));
        for done in futures_util::future::join_all(writes).await {
            done.unwrap();
        }
        let commits = s.commits() - before;
        assert!(commits < 50, "200 writes took {commits} commits");
        let seen = s
            .failed_logins_since("a", "10.0.0.1", at - chrono::Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(seen.per_account, 200);
        s.close().await;
    }

    /// A document's stored parts that do not fit it, or text that does not
    /// read, are an error when it is put back together, never a panic or
    /// other bytes.
    #[test]
    fn parts_that_do_not_fit_are_an_error() {
        let part = b"FONTS".to_vec();
        let whole = b"head FONTS tail".to_vec();
        let sha = hex::encode(Sha256::digest(&whole));
        let own = b"head  tail".to_vec();
        let text = format!("5+5:{}", "a".repeat(64));
        let good = parse_parts(&text).unwrap();
        assert_eq!(
            whole_pdf(&own, &good, std::slice::from_ref(&part), &sha).unwrap(),
            whole
        );
        for text in ["", "5", "5+5", "x+5:aa", "5+x:aa", "5:aa"] {
            assert!(parse_parts(text).is_err(), "{text:?}");
        }
        for (parts, bytes) in [
            ("99+5:a", vec![part.clone()]),
            ("5+4:a", vec![part.clone()]),
            ("5+5:a,3+5:a", vec![part.clone(), part.clone()]),
            ("5+5:a", vec![b"FONTZ".to_vec()]),
            ("0+5:a,100000+5:a", vec![part.clone(), part.clone()]),
        ] {
            let parsed = parse_parts(parts).unwrap();
            assert!(whole_pdf(&own, &parsed, &bytes, &sha).is_err(), "{parts}");
        }
    }

    /// The writer leaves checkpoints to the checkpointer (its own come
    /// only at [`WRITER_CHECKPOINT_PAGES`]): what it committed reaches the
    /// database file soon after, while the writer does nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_reach_the_database_file_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let file = dir.path().join("q.db");
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        // The migrations are in the WAL only: nothing has committed a group yet.
        let before = size();
        s.record_failed_login("a", "10.0.0.1", Utc::now())
            .await
            .unwrap();
        let mut after = size();
        for _ in 0..50 {
            if after > before + 16 * 4096 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            after = size();
        }
        assert!(
            after > before + 16 * 4096,
            "the database file stayed at {after} bytes (was {before})"
        );
        s.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_after_close_is_refused_and_what_was_queued_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = Arc::new(store(&dir).await);
        let at = Utc::now();
        let writes: Vec<_> = (0..50)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { s.record_failed_login("a", &i.to_string(), at).await })
            })
            .collect();
        for w in writes {
            w.await.unwrap().unwrap();
        }
        s.close().await;
        assert!(matches!(
            s.record_failed_login("a", "b", at).await,
            Err(StoreError::Unavailable(_))
        ));
        let again = store(&dir).await;
        let seen = again
            .failed_logins_since("a", "x", at - chrono::Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(seen.per_account, 50);
        again.close().await;
    }

    #[tokio::test]
    async fn point_reads_see_each_commit_and_stop_at_close() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir).await;
        let at = Utc::now();
        let user = |name: &str| crate::NewUser {
            username: name.into(),
            role: "clerk".into(),
            provider: None,
            password_hash: "x".into(),
            iin: None,
            display_name: name.into(),
            created_at: at,
        };
        for name in ["a", "b", "c"] {
            s.create_user(user(name)).await.unwrap();
            // Each acknowledged write is seen by the next point read.
            let got = s.user_by_username(name).await.unwrap().unwrap();
            assert_eq!(got.display_name, name);
        }
        assert!(s.user_by_username("nobody").await.unwrap().is_none());
        assert!(s.point.idle().connections.len() <= s.point.keep);
        s.close().await;
        assert!(matches!(
            s.user_by_username("a").await,
            Err(StoreError::Unavailable(_))
        ));
        assert!(s.point.idle().connections.is_empty());
    }
}
