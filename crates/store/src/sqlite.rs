//! The SQLite backend, Qyzmet's embedded default: one file in WAL mode with
//! `synchronous=FULL` and foreign keys on. Writes go through a pool of one
//! connection and start with `BEGIN IMMEDIATE`, so a writer takes the write
//! lock before it reads and never fails upgrading a read lock; reads use a
//! separate read-only pool and run beside the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

type Db = sqlx::Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
type Backend = SqliteStore;
const BACKEND: &str = "sqlite";
/// SQLite has one writer at a time: the claiming transaction is the lock.
const CLAIM_FOR: &str = "";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
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
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                base.clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full),
            )
            .await?;
        MIGRATOR.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(base.read_only(true))
            .await?;
        Ok(SqliteStore { write, read })
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Db>, StoreError> {
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn close_pools(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

include!("common.rs");
