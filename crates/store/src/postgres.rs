//! The PostgreSQL backend, for many stateless nodes on one database. Rows
//! lock where two nodes could race: the conditional update of an
//! application, the number counter, and job claiming with
//! `FOR UPDATE SKIP LOCKED` under a lease. Each write is its own
//! transaction on a pooled connection.

use std::time::Duration;

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

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pool: PgPool,
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
        Ok(PgStore { pool })
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

    /// An append (sealing the drafted result with it, if `seal`).
    async fn write_append(
        &self,
        id: String,
        expected_rev: i64,
        change: Change,
        seal: Option<DocumentSeal>,
    ) -> Result<i64, StoreError> {
        self.write(move |conn| Box::pin(append_body(conn, id, expected_rev, change, seal)))
            .await
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}

include!("common.rs");
