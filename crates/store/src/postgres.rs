//! The PostgreSQL backend, for many stateless nodes on one database. Rows
//! lock where two nodes could race: the conditional update of an
//! application, the number counter, and job claiming with
//! `FOR UPDATE SKIP LOCKED` under a lease.

use std::time::Duration;

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
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Db>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }
}

include!("common.rs");
