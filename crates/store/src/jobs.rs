//! The job runner, the one in Qyzmet: it claims outbox rows that fell due,
//! runs the handler for their kind, and records the outcome. A failure is
//! retried with exponential backoff and jitter until `max_attempts`, then the
//! job is dead, kept with its last error until an administrator retries it.
//!
//! Delivery is at least once: a node that dies mid-job leaves a lease that
//! expires, and another node runs the job again. Handlers must therefore be
//! idempotent (a gateway message carries the job id as its message id; a
//! document is written under a name derived from its content).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Job, Store, StoreError};

/// What a handler's failure carries: its message becomes the job's
/// `last_error`.
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// How a handler's run ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// The runner records the job done.
    Done,
    /// The handler recorded the job done itself, in the same write as its
    /// effect: one write, not two. Only a store's write that did so gives
    /// the [`Finished`] it carries.
    Recorded(Finished),
}

/// Proof that a store recorded a job done with its effect (see
/// [`Store::put_document_finishing`]); nothing outside the store makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finished {
    /// Whether the effect wrote anything (a document written again writes
    /// nothing).
    pub written: bool,
}

impl Finished {
    pub(crate) fn new(written: bool) -> Self {
        Finished { written }
    }
}

/// Runs the jobs of one kind. Must be idempotent (see the module docs).
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &Job) -> Result<Ran, JobError>;
}

/// The source of "now", injectable so tests step time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What one [`JobRunner::run_pending`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub succeeded: u32,
    /// Failed and scheduled again.
    pub retried: u32,
    /// Failed for the last time.
    pub dead: u32,
}

pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

pub struct JobRunner {
    store: Arc<dyn Store>,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    clock: Clock,
    max_attempts: i64,
    backoff_base: Duration,
    backoff_cap: Duration,
    lease: Duration,
    batch: u32,
    /// Jobs run at once (1: one after the other).
    parallel: usize,
    /// The kinds it claims, when only those (else every kind, and a job of
    /// a kind it has no handler for fails).
    only: Option<Vec<String>>,
    /// Woken when jobs are enqueued on this node, so they run without
    /// waiting for the next poll.
    wake: Option<Arc<tokio::sync::Notify>>,
}

impl JobRunner {
    pub fn new(store: Arc<dyn Store>, handlers: HashMap<String, Arc<dyn JobHandler>>) -> Self {
        JobRunner {
            store,
            handlers,
            clock: Arc::new(Utc::now),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(6 * 3600),
            lease: Duration::from_secs(300),
            batch: 50,
            parallel: 1,
            only: None,
            wake: None,
        }
    }

    /// Runs up to `n` claimed jobs at once (at least 1). Handlers never
    /// relied on order: a failed job's retry already runs after jobs
    /// enqueued later.
    pub fn parallel(mut self, n: usize) -> Self {
        self.parallel = n.max(1);
        self
    }

    /// Claims only jobs of the kinds it has handlers for, and leaves the
    /// others to a runner that has theirs (a runner made for one purpose,
    /// beside the server's, such as the demo seed's renderer). A runner
    /// with every handler claims every kind: a job nobody can run then
    /// fails, and ends dead where an administrator sees it.
    pub fn only_handled(mut self) -> Self {
        self.only = Some(self.handlers.keys().cloned().collect());
        self
    }

    /// A [`spawn`](Self::spawn)ed runner also runs when `notify` is
    /// notified (by whoever enqueues jobs on this node), not only every
    /// interval; other nodes' jobs are still found by polling.
    pub fn wake_on(mut self, notify: Arc<tokio::sync::Notify>) -> Self {
        self.wake = Some(notify);
        self
    }

    /// Runs that may fail before a job is dead (at least 1).
    pub fn max_attempts(mut self, n: i64) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The first retry waits `base`, each next one twice as long, up to `cap`.
    pub fn backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_cap = cap.max(base);
        self
    }

    /// How long a claimed job stays invisible to other runners; a job still
    /// running after it may be claimed again.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The delay before the retry that follows failure number `attempt`
    /// (1-based): `base · 2^(attempt-1)`, capped, plus up to 10% jitter so
    /// that jobs failing together do not retry together.
    pub fn backoff_for(&self, attempt: i64) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(30);
        let delay = self
            .backoff_base
            .saturating_mul(1 << exp)
            .min(self.backoff_cap);
        delay + delay.mul_f64(fastrand::f64() * 0.1)
    }

    /// Claims and runs every job due now, one after the other in the order
    /// they fell due, until none is left; jobs enqueued by handlers and due
    /// now run too. A failed job's retry lies in the future, so this ends.
    pub async fn run_pending(&self) -> Result<RunReport, StoreError> {
        let mut report = RunReport::default();
        loop {
            let now = (self.clock)();
            let lease_until = now + self.lease;
            let jobs = self
                .store
                .claim_jobs(now, lease_until, self.batch, self.only.as_deref())
                .await?;
            if jobs.is_empty() {
                return Ok(report);
            }
            if self.parallel == 1 {
                for job in jobs {
                    self.run_one(&job, &mut report).await?;
                }
                continue;
            }
            use futures_util::StreamExt;
            let mut runs = futures_util::stream::iter(jobs)
                .map(|job| async move {
                    let mut one = RunReport::default();
                    self.run_one(&job, &mut one).await.map(|()| one)
                })
                .buffer_unordered(self.parallel);
            while let Some(one) = runs.next().await {
                let one = one?;
                report.succeeded += one.succeeded;
                report.retried += one.retried;
                report.dead += one.dead;
            }
        }
    }

    async fn run_one(&self, job: &Job, report: &mut RunReport) -> Result<(), StoreError> {
        let outcome = match self.handlers.get(&job.kind) {
            Some(h) => h.run(job).await.map_err(|e| e.to_string()),
            None => Err(format!("no handler for job kind {}", job.kind)),
        };
        let now = (self.clock)();
        match outcome {
            Ok(Ran::Done) => {
                self.store.finish_job(job.id, now).await?;
                report.succeeded += 1;
            }
            Ok(Ran::Recorded(_)) => report.succeeded += 1,
            Err(error) => {
                let attempt = job.attempts + 1;
                tracing::warn!(job = job.id, kind = %job.kind, attempt, %error, "job failed");
                if attempt >= self.max_attempts {
                    self.store.fail_job(job.id, &error, None, now).await?;
                    report.dead += 1;
                } else {
                    let delay = chrono::Duration::from_std(self.backoff_for(attempt))
                        .unwrap_or(chrono::Duration::MAX);
                    self.store
                        .fail_job(job.id, &error, Some(now + delay), now)
                        .await?;
                    report.retried += 1;
                }
            }
        }
        Ok(())
    }

    pub async fn dead_letters(&self) -> Result<Vec<Job>, StoreError> {
        self.store.dead_letters().await
    }

    pub async fn retry_dead(&self, job_id: i64) -> Result<(), StoreError> {
        self.store.retry_dead(job_id, (self.clock)()).await
    }

    /// Runs [`run_pending`](Self::run_pending) every `interval` (and when
    /// woken, see [`wake_on`](Self::wake_on)) until `shutdown` completes; a
    /// run under way finishes first.
    pub fn spawn<F>(self, interval: Duration, shutdown: F) -> tokio::task::JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(async move {
            tokio::pin!(shutdown);
            loop {
                if let Err(e) = self.run_pending().await {
                    tracing::error!(error = %e.detail(), "job runner");
                }
                let woken = async {
                    match &self.wake {
                        Some(n) => n.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(interval) => {}
                    _ = woken => {}
                }
            }
        })
    }
}
