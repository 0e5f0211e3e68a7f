//! `qyzmet bench`: the real server, in process on a loopback port, driven
//! over HTTP through whole lifecycles (intake, then every step to the
//! result), against SQLite or PostgreSQL. Reports throughput, latency and
//! peak memory, and measures in the same run how many durable commits per
//! second the data disk takes, the baseline the figures are read against.
//! `--seed-cases N` then fills the database to N cases and times the lists
//! people work from.

use crate::Failure;
use qyzmet_store::{NewUser, Store};
use qyzmet_web::AppState;
use serde_json::{json, Value};
use sqlx::Connection;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Full lifecycles to drive (intake and every step to the result)
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub lifecycles: u64,
    /// Lifecycles in flight at once
    #[arg(long, value_name = "C", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrency: u64,
    /// sqlite://PATH or postgres://… (default: a fresh SQLite file in a
    /// temporary directory); on PostgreSQL a fresh database is created on
    /// that server and dropped afterwards
    #[arg(long)]
    pub database_url: Option<String>,
    /// Then fill the database to N cases and time the clerk's queue, a
    /// specialist's worklist and the overdue list
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub seed_cases: Option<u64>,
    /// Leave result documents and receipts out (as before they existed),
    /// to compare: the lifecycle then ends at the issued result with no PDF
    #[arg(long)]
    pub without_documents: bool,
}

const PROVIDER: &str = qyzmet_web::demo::PROVIDER;
const PASSWORD: &str = "bench-password";
const SERVICES: &[&str] = &[
    "meeting-permission",
    "foster-care-payment",
    "adoption-payment",
];
const APPLICANTS: &[&str] = &["871008401427", "760212350620"];
/// Specialists the seeded cases are assigned among; `specialist` is one.
const SPECIALISTS: u64 = 20;
/// How long the disk's commit rate is measured.
const PROBE: Duration = Duration::from_secs(2);

pub fn run(args: BenchArgs) -> Result<(), Failure> {
    let given = args.database_url.clone();
    if let Some(url) = &given {
        if !(url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(Failure::usage(format!(
                "error: --database-url must start with sqlite:// or postgres://, got {url:?}"
            )));
        }
    }
    // The server's own log (errors behind a 500, say) when `RUST_LOG` asks
    // for it; quiet otherwise, so the report stays readable.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
    let loaded = crate::load_catalog(None).map_err(|e| Failure::found(e.render()))?;
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let db = Database::open(given.as_deref()).await?;
        let outcome = bench(&args, &db, loaded).await;
        db.drop_database().await;
        outcome
    })
}

/// Where the bench writes: the database URL, the directory whose disk the
/// baseline is measured on, and what to clean up.
struct Database {
    url: String,
    probe_dir: PathBuf,
    /// The PostgreSQL server's URL and the database made for this run.
    pg: Option<(String, String)>,
    tmp: tempfile::TempDir,
}

impl Database {
    async fn open(given: Option<&str>) -> Result<Self, Failure> {
        let tmp = tempfile::Builder::new()
            .prefix("qyzmet-bench-")
            .tempdir()
            .map_err(|e| {
                Failure::found(format!("error: cannot make a temporary directory: {e}"))
            })?;
        match given {
            None => Ok(Database {
                url: format!("sqlite://{}", tmp.path().join("qyzmet.db").display()),
                probe_dir: tmp.path().to_owned(),
                pg: None,
                tmp,
            }),
            Some(url) if url.starts_with("sqlite://") => {
                let path = Path::new(url.trim_start_matches("sqlite://"));
                let path = Path::new(path.to_str().unwrap_or("").split('?').next().unwrap_or(""));
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_owned();
                std::fs::create_dir_all(&dir).map_err(|e| {
                    Failure::usage(format!("error: cannot create {}: {e}", dir.display()))
                })?;
                Ok(Database {
                    url: url.to_owned(),
                    probe_dir: dir,
                    pg: None,
                    tmp,
                })
            }
            Some(admin) => {
                let name = format!("qyzmet_bench_{}", random_suffix());
                let mut conn = sqlx::PgConnection::connect(admin).await.map_err(|e| {
                    Failure::found(format!("error: cannot connect to {admin}: {e}"))
                })?;
                sqlx::query(&format!("create database {name}"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| Failure::found(format!("error: cannot create {name}: {e}")))?;
                let _ = conn.close().await;
                let (base, query) = match admin.split_once('?') {
                    Some((b, q)) => (b, format!("?{q}")),
                    None => (admin, String::new()),
                };
                let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
                let host_part = match base[scheme_end..].find('/') {
                    Some(i) => &base[..scheme_end + i],
                    None => base,
                };
                Ok(Database {
                    url: format!("{host_part}/{name}{query}"),
                    probe_dir: tmp.path().to_owned(),
                    pg: Some((admin.to_owned(), name)),
                    tmp,
                })
            }
        }
    }

    fn backend(&self) -> &'static str {
        if self.pg.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    async fn drop_database(&self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
                let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut c)
                    .await;
                let _ = c.close().await;
            }
        }
    }
}

fn random_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
}

fn fail(what: impl std::fmt::Display) -> Failure {
    Failure::found(format!("error: {what}"))
}

async fn bench(args: &BenchArgs, db: &Database, loaded: crate::Loaded) -> Result<(), Failure> {
    let store = qyzmet_store::connect(&db.url)
        .await
        .map_err(|e| fail(format!("cannot open the database: {e}")))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| fail(format!("cannot listen on a loopback port: {e}")))?;
    let bound = listener.local_addr().map_err(fail)?;
    let base = format!("http://{bound}");
    let mut state = AppState::new(
        loaded.catalog,
        loaded.calendar,
        store.clone(),
        base.clone(),
        false,
    );
    let documents = !args.without_documents;
    if documents {
        // As `serve --demo` seals: the demo head's key, made once here.
        let mut trust = qyzmet_pki::TrustConfig::default();
        let sealer = super::serve::demo_sealer(&db.tmp.path().join("demo-pki"), &mut trust)?;
        state = state.with_documents(qyzmet_web::documents::Settings::new(
            Some(sealer),
            Some(Arc::new(qyzmet_pki::Verifier::new(trust))),
        ));
    }
    seed_users(store.as_ref(), args.seed_cases.is_some()).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut server_stop = stop_rx.clone();
    // The outbox runner `serve` starts: woken by the requests that enqueue
    // a render, one job a core at once.
    let jobs = documents.then(|| {
        let mut jobs_stop = stop_rx.clone();
        qyzmet_store::jobs::JobRunner::new(
            store.clone(),
            qyzmet_web::documents::job_handlers(&state),
        )
        .wake_on(state.jobs_wake())
        .parallel(super::serve::job_parallelism())
        .spawn(Duration::from_secs(2), async move {
            let _ = jobs_stop.changed().await;
        })
    });
    // The pages are timed through the router in process (server time).
    let pages = state.clone();
    let server = tokio::spawn(qyzmet_web::serve(listener, state, async move {
        let _ = server_stop.changed().await;
    }));

    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency as usize * 2)
        .build()
        .map_err(fail)?;
    let api = Api {
        client,
        base,
        tokens: Default::default(),
    };
    let api = Arc::new(api.logged_in(&["clerk", "head", "specialist"]).await?);

    let mut out = String::new();
    let backend = db.backend();
    out += &format!(
        "qyzmet bench: {} lifecycles, concurrency {}, {backend} ({}), {} core(s)\n",
        args.lifecycles,
        args.concurrency,
        redact(&db.url),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    print!("{out}");
    let _ = std::io::stdout().flush();

    // The disk alone, before and after the load, so that the baseline is
    // not the bench's own load and shows how much the disk drifted.
    let before = commit_rate(&db.probe_dir, PROBE).await?;
    let cpu_start = cpu_time();
    let machine_start = machine_cpu();
    let start = Instant::now();
    let mut run = drive(&api, args.lifecycles, args.concurrency).await?;
    // The receipts still being rendered belong to this run's work too.
    outbox_drained(store.as_ref()).await?;
    run.wall = start.elapsed();
    let cpu = cpu_time().zip(cpu_start).map(|(b, a)| b.saturating_sub(a));
    let machine = machine_cpu()
        .zip(machine_start)
        .map(|((busy, all), (busy0, all0))| (busy.saturating_sub(busy0), all.saturating_sub(all0)));
    let after = commit_rate(&db.probe_dir, PROBE).await?;
    let commits = (before + after) / 2.0;

    let secs = run.wall.as_secs_f64();
    let lifecycles_s = run.lifecycles as f64 / secs;
    let transitions_s = run.transitions as f64 / secs;
    let mut t = Table::default();
    t.row("lifecycles", format!("{} in {:.2} s", run.lifecycles, secs));
    t.row("lifecycles/s", format!("{lifecycles_s:.1}"));
    t.row(
        "transitions/s",
        format!(
            "{transitions_s:.1}  ({} writes: intake + {} steps a lifecycle)",
            run.transitions,
            run.transitions / run.lifecycles.max(1) - 1
        ),
    );
    t.row("requests/s", format!("{:.1}", run.all.len() as f64 / secs));
    t.row("latency, all writes", Lat::of(&run.all).line());
    t.row("latency, intake", Lat::of(&run.intake).line());
    t.row("latency, steps", Lat::of(&run.steps).line());
    if documents {
        t.row("latency, sign (sealing)", Lat::of(&run.sign).line());
        let checked = check_documents(store.as_ref(), &run.documents).await?;
        t.row(
            "result documents",
            format!(
                "{checked} drafted (by the job runner, or at sign when it had not yet) \
                 and sealed at sign, {checked} receipts (checked in the store); sign \
                 found its draft not ready {} times (409 document-not-ready, asked \
                 again after 2, 4… 64 ms)",
                run.not_ready
            ),
        );
    } else {
        t.row(
            "result documents",
            "left out (--without-documents): no receipt or result is rendered or sealed".to_owned(),
        );
    }
    t.row(
        "disk commits/s (baseline)",
        format!(
            "{commits:.1}  (mean of {before:.1} before and {after:.1} after; 4 KiB write + \
             fdatasync in a preallocated file, {} s each, in {})",
            PROBE.as_secs(),
            db.probe_dir.display()
        ),
    );
    t.row(
        "transitions/s ÷ commits/s",
        format!("{:.2}", transitions_s / commits),
    );
    t.row(
        "lifecycles/s ÷ commits/s",
        format!("{:.3}", lifecycles_s / commits),
    );
    if let Some(cpu) = cpu {
        t.row(
            "CPU time a lifecycle",
            format!(
                "{:.2} ms  (server and client together, {:.2} cores busy on average)",
                cpu.as_secs_f64() * 1000.0 / run.lifecycles as f64,
                cpu.as_secs_f64() / secs
            ),
        );
    }
    // The whole machine's: on PostgreSQL the database's processes work for
    // the run too, and the process's own time leaves them out.
    if let Some((busy, all)) = machine.filter(|(_, all)| *all > 0) {
        // Ticks of USER_HZ, 100 on every Linux this runs on (as `cpu_time`).
        t.row(
            "machine CPU a lifecycle",
            format!(
                "{:.2} ms  (every process, the database's too; the machine {:.0} % busy)",
                busy as f64 * 10.0 / run.lifecycles as f64,
                busy as f64 / all as f64 * 100.0
            ),
        );
    }
    t.row("peak RSS", peak_rss());
    print!("{}", t.render());
    let _ = std::io::stdout().flush();

    if let Some(n) = args.seed_cases {
        lists(&api, &pages, db, n, run.lifecycles).await?;
        let mut t = Table::default();
        t.row("peak RSS", peak_rss());
        print!("{}", t.render());
    }

    let _ = stop_tx.send(true);
    let _ = server.await;
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    store.close().await;
    Ok(())
}

/// The URL without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The clerk, head, specialist and operator of the demo provider (and, for
/// seeded cases, more specialists), all with one password hashed once.
async fn seed_users(store: &dyn Store, more_specialists: bool) -> Result<(), Failure> {
    let hash = tokio::task::spawn_blocking(|| qyzmet_web::auth::hash_password(PASSWORD))
        .await
        .map_err(fail)?;
    let mut users: Vec<(String, &str, Option<&str>)> = vec![
        ("clerk".into(), "clerk", Some(PROVIDER)),
        ("head".into(), "head", Some(PROVIDER)),
        ("specialist".into(), "specialist", Some(PROVIDER)),
        ("operator".into(), "operator", None),
    ];
    if more_specialists {
        for k in 1..SPECIALISTS {
            users.push((format!("specialist-{k}"), "specialist", Some(PROVIDER)));
        }
    }
    let now = chrono::Utc::now();
    for (username, role, provider) in users {
        store
            .create_user(NewUser {
                display_name: format!("{username} (bench)"),
                username,
                role: role.to_owned(),
                provider: provider.map(str::to_owned),
                password_hash: hash.clone(),
                iin: None,
                created_at: now,
            })
            .await
            .map_err(|e| fail(format!("cannot create the bench users: {e}")))?;
    }
    Ok(())
}

/// An HTTP client logged in as each bench user.
struct Api {
    client: reqwest::Client,
    base: String,
    tokens: std::collections::HashMap<String, String>,
}

struct Answer {
    status: u16,
    etag: String,
    body: Value,
    took: Duration,
}

impl Api {
    async fn logged_in(mut self, users: &[&str]) -> Result<Self, Failure> {
        for user in users {
            let a = self
                .send(
                    self.client
                        .post(format!("{}/api/v1/auth/login", self.base))
                        .json(&json!({"username": user, "password": PASSWORD})),
                )
                .await?;
            let token = a.body["token"]
                .as_str()
                .ok_or_else(|| fail(format!("login as {user}: {} {}", a.status, a.body)))?;
            self.tokens.insert((*user).to_owned(), token.to_owned());
        }
        Ok(self)
    }

    fn token(&self, user: &str) -> Result<&str, Failure> {
        self.tokens
            .get(user)
            .map(String::as_str)
            .ok_or_else(|| fail(format!("no bench user for role {user}")))
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, Failure> {
        let start = Instant::now();
        let res = req.send().await.map_err(fail)?;
        let status = res.status().as_u16();
        let etag = res
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = res.bytes().await.map_err(fail)?;
        let took = start.elapsed();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            etag,
            body,
            took,
        })
    }

    async fn post(
        &self,
        user: &str,
        path: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<Answer, Failure> {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.token(user)?)
            .json(body);
        if let Some(e) = if_match {
            req = req.header("If-Match", e);
        }
        self.send(req).await
    }

    /// `complete` (or another action) as `user`; while the result's draft is
    /// still being rendered (409 `document-not-ready` at `sign`) it asks
    /// again after 2 ms, then 4, 8… up to 64 ms, as a head's page would.
    /// Returns the answer and how many times it had to ask again.
    async fn act(
        &self,
        user: &str,
        path: &str,
        body: &Value,
        etag: &str,
    ) -> Result<(Answer, u64), Failure> {
        let mut again = 0;
        let mut wait = Duration::from_millis(2);
        loop {
            let a = self.post(user, path, body, Some(etag)).await?;
            if a.status == 409 && a.body["code"] == "document-not-ready" && again < 5_000 {
                again += 1;
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(64));
                continue;
            }
            return Ok((a, again));
        }
    }

    async fn get(&self, user: &str, path: &str) -> Result<Answer, Failure> {
        let req = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token(user)?);
        self.send(req).await
    }
}

fn docs(kinds: &[&str]) -> Value {
    Value::Array(
        kinds
            .iter()
            .map(|k| json!({"kind": k, "name": format!("{k} (paper original)")}))
            .collect(),
    )
}

/// A meeting date the form accepts: a month from today (the schema takes
/// none in the past).
fn meeting_day() -> String {
    (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string()
}

/// An office intake of the `i`th lifecycle: the three services in turn,
/// every required document presented on paper.
fn intake(i: u64) -> Value {
    let service = SERVICES[(i % 3) as usize];
    let (form, kinds): (Value, &[&str]) = match service {
        "meeting-permission" => (
            json!({
                "child": {"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15"},
                "meeting": {"preferred_date": meeting_day(), "place": "Қарағанды қаласының білім бөлімі"}
            }),
            &[
                "application",
                "identity-document",
                "supporting-certificates",
            ],
        ),
        "foster-care-payment" => (
            json!({
                "child": {"iin": "190901600034", "name": "Серікова Айгерім", "birth_date": "2019-09-01"},
                "patronage_contract": {"number": "ПТ-2026-014", "date": "2026-02-10"}
            }),
            &["application", "patronage-contract", "study-certificate"],
        ),
        _ => (
            json!({
                "children": [{
                    "iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15",
                    "court_decision": {"number": "2-1234/2026", "date": "2026-01-20"}
                }],
                "bank_account": {"iban": "KZ86125KZT5004100100"}
            }),
            &["court-decision", "child-iin", "bank-account"],
        ),
    };
    json!({
        "service": service,
        "channel": "office",
        "applicant": {"iin": APPLICANTS[((i / 3) % 2) as usize], "name": "Bench Applicant", "language": "kk"},
        "form": form,
        "documents": docs(kinds),
    })
}

/// The next `complete` the application offers: who does it and the body.
fn next_step(app: &Value) -> Option<(String, Value)> {
    let action = app["actions"]
        .as_array()?
        .iter()
        .find(|a| a["action"] == "complete")?;
    let role = action["role"].as_str()?.to_owned();
    let needs_assignee = action["requires"]
        .as_array()
        .is_some_and(|r| r.iter().any(|f| f == "assignee"));
    let body = if needs_assignee {
        json!({"action": "complete", "assignee": "specialist"})
    } else {
        json!({"action": "complete"})
    };
    Some((role, body))
}

/// One application worked to its result.
struct Lifecycle {
    /// The answers at each stage (the intake's first), with the latencies.
    answers: Vec<Answer>,
    /// Which of them was the head's `complete` at `sign`.
    sign: Option<usize>,
    /// Times `sign` found the draft not ready yet.
    not_ready: u64,
    /// The result document's code.
    document: Option<String>,
}

/// One application taken in and worked to its result.
async fn lifecycle(api: &Api, i: u64) -> Result<Lifecycle, Failure> {
    let mut answers: Vec<Answer> = Vec::with_capacity(6);
    let (mut sign, mut not_ready) = (None, 0);
    let a = api
        .post("clerk", "/api/v1/applications", &intake(i), None)
        .await?;
    if a.status != 201 || a.body["status"] != "in-progress" {
        return Err(fail(format!("intake: {} {}", a.status, a.body)));
    }
    let id = a.body["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/applications/{id}/actions");
    answers.push(a);
    for _ in 0..20 {
        let last = answers.last().map(|a| &a.body).unwrap_or(&Value::Null);
        if last["status"] == "completed" {
            if last["result"].is_null() {
                return Err(fail(format!("{id} completed without a result")));
            }
            let document = last["result"]["document"].as_str().map(str::to_owned);
            return Ok(Lifecycle {
                answers,
                sign,
                not_ready,
                document,
            });
        }
        let at_sign = last["step"] == "sign";
        let (role, body) = next_step(last)
            .ok_or_else(|| fail(format!("{id}: nothing to complete at {}", last["step"])))?;
        let etag = answers.last().map(|a| a.etag.clone()).unwrap_or_default();
        let (a, again) = api.act(&role, &path, &body, &etag).await?;
        if a.status != 200 {
            return Err(fail(format!("{id} {role} {body}: {} {}", a.status, a.body)));
        }
        not_ready += again;
        if at_sign {
            sign = Some(answers.len());
        }
        answers.push(a);
    }
    Err(fail(format!("{id} did not finish in 20 steps")))
}

#[derive(Default)]
struct Run {
    lifecycles: u64,
    transitions: u64,
    wall: Duration,
    all: Vec<Duration>,
    intake: Vec<Duration>,
    steps: Vec<Duration>,
    /// The head's `complete` at `sign` (also among `steps`).
    sign: Vec<Duration>,
    not_ready: u64,
    /// The result documents' codes.
    documents: Vec<String>,
}

async fn drive(api: &Arc<Api>, n: u64, concurrency: u64) -> Result<Run, Failure> {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(n) {
        let api = api.clone();
        let next = next.clone();
        workers.spawn(async move {
            let mut run = Run::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, Failure>(run);
                }
                let l = lifecycle(&api, i).await?;
                for (k, a) in l.answers.iter().enumerate() {
                    if k == 0 {
                        run.intake.push(a.took);
                    } else {
                        run.steps.push(a.took);
                    }
                    if Some(k) == l.sign {
                        run.sign.push(a.took);
                    }
                }
                run.not_ready += l.not_ready;
                run.documents.extend(l.document);
            }
        });
    }
    let mut run = Run {
        lifecycles: n,
        ..Run::default()
    };
    while let Some(joined) = workers.join_next().await {
        let part = joined.map_err(fail)??;
        run.intake.extend(part.intake);
        run.steps.extend(part.steps);
        run.sign.extend(part.sign);
        run.not_ready += part.not_ready;
        run.documents.extend(part.documents);
    }
    run.wall = start.elapsed();
    run.all = run.intake.iter().chain(&run.steps).copied().collect();
    run.transitions = run.all.len() as u64;
    Ok(run)
}

/// Waits until the outbox holds no job due or running (the documents the
/// run enqueued are rendered).
async fn outbox_drained(store: &dyn Store) -> Result<(), Failure> {
    use qyzmet_store::JobStatus;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let pending = store.jobs(JobStatus::Pending).await.map_err(fail)?.len();
        let running = store.jobs(JobStatus::Running).await.map_err(fail)?.len();
        if pending + running == 0 {
            let dead = store.jobs(JobStatus::Dead).await.map_err(fail)?;
            if let Some(j) = dead.first() {
                return Err(fail(format!(
                    "{} outbox job(s) failed, the first: {} {}",
                    dead.len(),
                    j.kind,
                    j.last_error.as_deref().unwrap_or("")
                )));
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(fail(format!(
                "the outbox did not drain in 10 minutes ({pending} due, {running} running)"
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Checks that every result in `codes` is stored as a PDF with its seal (the
/// CMS the head's `complete` at `sign` made) and that its application's
/// receipt was rendered; returns how many were checked.
async fn check_documents(store: &dyn Store, codes: &[String]) -> Result<usize, Failure> {
    for code in codes {
        let doc = store
            .document(code)
            .await
            .map_err(|e| fail(format!("result document {code}: {e}")))?;
        if doc.seal.is_none() || !doc.pdf.starts_with(b"%PDF-") {
            return Err(fail(format!("result document {code} is not a sealed PDF")));
        }
        let receipt = qyzmet_web::view::document_code(&doc.application_id, "receipt");
        store
            .document(&receipt)
            .await
            .map_err(|e| fail(format!("receipt of {}: {e}", doc.application_id)))?;
    }
    Ok(codes.len())
}

/// Durable commits per second of the disk under `dir`: a small record
/// written into a preallocated file and `fdatasync`ed, again and again, for
/// `for_how_long` (as a database appends to its log at each commit; what a
/// commit costs at least).
async fn commit_rate(dir: &Path, for_how_long: Duration) -> Result<f64, Failure> {
    use std::os::unix::fs::FileExt;
    let path = dir.join(format!("qyzmet-bench-fsync-{}", random_suffix()));
    let rate = tokio::task::spawn_blocking(move || -> std::io::Result<f64> {
        const RECORD: usize = 4096;
        const SLOTS: u64 = 1024;
        let f = std::fs::OpenOptions::new()
            .create_new(true)
            .read(true)
            .write(true)
            .open(&path)?;
        let measured = (|| {
            f.write_all_at(&vec![0u8; RECORD * SLOTS as usize], 0)?;
            f.sync_all()?;
            let record = [b'q'; RECORD];
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < for_how_long {
                f.write_all_at(&record, (n % SLOTS) * RECORD as u64)?;
                f.sync_data()?;
                n += 1;
            }
            Ok(n as f64 / start.elapsed().as_secs_f64())
        })();
        drop(f);
        let _ = std::fs::remove_file(&path);
        measured
    })
    .await
    .map_err(fail)?
    .map_err(|e| fail(format!("cannot measure the disk: {e}")))?;
    Ok(rate)
}

/// User and system CPU time of this process so far (Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    // The kernel reports in USER_HZ, 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

/// The machine's CPU time so far, from `/proc/stat` in clock ticks: (busy,
/// all), busy being all but idle and I/O wait (Linux).
fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let all: u64 = f.iter().take(8).sum();
    let idle = f.get(3)? + f.get(4)?;
    Some((all.saturating_sub(idle), all))
}

/// Peak resident memory of this process (server and client together).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_owned())
        })
        .map(|v| {
            let kb: f64 = v.trim_end_matches("kB").trim().parse().unwrap_or_default();
            format!("{:.1} MiB (VmHWM, server and client together)", kb / 1024.0)
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".to_owned())
}

struct Lat {
    n: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

impl Lat {
    fn of(samples: &[Duration]) -> Lat {
        let mut s = samples.to_vec();
        s.sort_unstable();
        let at = |q: f64| {
            if s.is_empty() {
                Duration::ZERO
            } else {
                // Nearest rank.
                let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
                s[rank - 1]
            }
        };
        Lat {
            n: s.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: s.last().copied().unwrap_or_default(),
        }
    }

    fn line(&self) -> String {
        format!(
            "p50 {}  p95 {}  p99 {}  max {}  (n={})",
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max),
            self.n
        )
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[derive(Default)]
struct Table {
    rows: Vec<(String, String)>,
}

impl Table {
    fn row(&mut self, k: impl Into<String>, v: String) {
        self.rows.push((k.into(), v));
    }

    fn render(&self) -> String {
        let w = self
            .rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let mut s = String::new();
        for (k, v) in &self.rows {
            let pad = w - k.chars().count();
            s += &format!("  {k}{}  {v}\n", " ".repeat(pad));
        }
        s
    }
}

// ------------------------------------------------------------ seeded lists

/// Share of seeded cases at each stage of the lifecycle, out of 25: taken
/// in (at register), at resolution, at review, at signing, at issue, and
/// completed.
const STAGE_WEIGHTS: [u64; 6] = [2, 2, 2, 2, 2, 15];

/// Fills the database to `target` cases by copying the rows of real cases
/// (taken through the API and stopped at each stage) with their deadlines,
/// creation times and assignees spread, then times the lists.
async fn lists(
    api: &Api,
    pages: &AppState,
    db: &Database,
    target: u64,
    existing: u64,
) -> Result<(), Failure> {
    // Templates: for each service, the application's row after each stage.
    let mut templates: Vec<(usize, String)> = Vec::new();
    for s in 0..SERVICES.len() {
        for stage in 0..STAGE_WEIGHTS.len() {
            let id = case_at_stage(api, s as u64, stage).await?;
            templates.push((stage, id));
        }
    }
    let existing = existing + templates.len() as u64;
    let to_seed = target.saturating_sub(existing);
    let start = Instant::now();
    let total_weight: u64 = STAGE_WEIGHTS.iter().sum::<u64>() * SERVICES.len() as u64;
    let mut seeded = 0u64;
    let mut conn = Conn::open(db).await?;
    for (k, (stage, id)) in templates.iter().enumerate() {
        let mut count = to_seed * STAGE_WEIGHTS[*stage] / total_weight;
        if k == templates.len() - 1 {
            count = to_seed - seeded;
        }
        let mut done = 0;
        while done < count {
            let batch = (count - done).min(50_000);
            conn.clone_rows(id, k as i64, done as i64, batch as i64)
                .await?;
            done += batch;
        }
        seeded += count;
    }
    conn.analyze().await?;
    conn.close().await;
    let seed_secs = start.elapsed().as_secs_f64();

    let mut t = Table::default();
    t.row(
        "cases in the database",
        format!(
            "{}  ({} seeded in {seed_secs:.1} s by direct SQL, {:.0} rows/s)",
            existing + seeded,
            seeded,
            seeded as f64 / seed_secs.max(1e-9)
        ),
    );
    let queries: [(&str, &str, &str); 3] = [
        (
            "clerk's queue",
            "clerk",
            "/api/v1/applications?status=in-progress&order=due&limit=50",
        ),
        (
            "specialist's worklist",
            "specialist",
            "/api/v1/applications?status=in-progress&order=due&limit=50",
        ),
        (
            "overdue list",
            "head",
            "/api/v1/applications?overdue=true&order=due&limit=50",
        ),
    ];
    for (name, user, path) in queries {
        let mut took = Vec::with_capacity(200);
        let mut items = 0;
        for _ in 0..200 {
            let a = api.get(user, path).await?;
            if a.status != 200 {
                return Err(fail(format!("{name}: {} {}", a.status, a.body)));
            }
            items = a.body["items"].as_array().map(Vec::len).unwrap_or(0);
            took.push(a.took);
        }
        let l = Lat::of(&took);
        t.row(
            format!("{name} ({user})"),
            format!(
                "p50 {}  p95 {}  max {}  ({items} items a page, 200 requests)",
                ms(l.p50),
                ms(l.p95),
                ms(l.max)
            ),
        );
    }
    let (l, rows) = worklist_page(api, pages).await?;
    t.row(
        "specialist's worklist page (/work)",
        format!(
            "p50 {}  p95 {}  max {}  ({rows} rows, 200 renders through the router in process: \
             server time, no socket)",
            ms(l.p50),
            ms(l.p95),
            ms(l.max)
        ),
    );
    print!("{}", t.render());
    Ok(())
}

/// The specialist's worklist page (`GET /work`: the pages' middleware, the
/// in-process API call, the template) timed through the router, as the
/// server spends it; the rows it shows.
async fn worklist_page(api: &Api, state: &AppState) -> Result<(Lat, usize), Failure> {
    use tower::ServiceExt;
    let router = qyzmet_web::router(state.clone());
    let cookie = format!("qz_session={}", api.token("specialist")?);
    let mut took = Vec::with_capacity(200);
    let mut rows = 0;
    for _ in 0..200 {
        let req = axum::http::Request::get("/work")
            .header(axum::http::header::ACCEPT, "text/html")
            .header(axum::http::header::COOKIE, &cookie)
            .body(axum::body::Body::empty())
            .map_err(fail)?;
        let start = Instant::now();
        let res = router.clone().oneshot(req).await.map_err(fail)?;
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .map_err(fail)?;
        took.push(start.elapsed());
        let html = String::from_utf8_lossy(&body);
        if status != axum::http::StatusCode::OK {
            return Err(fail(format!("worklist page: {status}")));
        }
        rows = html.matches("<tr").count().saturating_sub(1);
    }
    Ok((Lat::of(&took), rows))
}

/// A case of service `s` taken through the API to `stage` (0: just taken
/// in; 5: completed).
async fn case_at_stage(api: &Api, s: u64, stage: usize) -> Result<String, Failure> {
    let a = api
        .post("clerk", "/api/v1/applications", &intake(s), None)
        .await?;
    if a.status != 201 {
        return Err(fail(format!("intake: {} {}", a.status, a.body)));
    }
    let id = a.body["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/applications/{id}/actions");
    let (mut body, mut etag) = (a.body, a.etag);
    for _ in 0..stage {
        let Some((role, step)) = next_step(&body) else {
            break;
        };
        let (a, _) = api.act(&role, &path, &step, &etag).await?;
        if a.status != 200 {
            return Err(fail(format!("{id}: {} {}", a.status, a.body)));
        }
        (body, etag) = (a.body, a.etag);
    }
    Ok(id)
}

/// A direct connection for bulk writes.
enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

const COLUMNS: &str = "id, number, service, version, channel, provider, status, step, step_role, \
     due_at, sort_due, overdue, assignee, applicant_iin, intake_actor, created_at, updated_at, \
     rev, state, event_count, representative_iin";

impl Conn {
    async fn open(db: &Database) -> Result<Self, Failure> {
        let e = |e: sqlx::Error| fail(format!("cannot open the database for seeding: {e}"));
        if db.pg.is_some() {
            Ok(Conn::Pg(
                sqlx::PgConnection::connect(&db.url).await.map_err(e)?,
            ))
        } else {
            use sqlx::sqlite::SqliteConnectOptions;
            use std::str::FromStr;
            let opts = SqliteConnectOptions::from_str(&db.url)
                .map_err(e)?
                .busy_timeout(Duration::from_secs(30));
            Ok(Conn::Sqlite(
                sqlx::SqliteConnection::connect_with(&opts)
                    .await
                    .map_err(e)?,
            ))
        }
    }

    /// Copies the row of `template` `count` times, numbered from `from`, with
    /// deadlines spread from three days ago to 27 days ahead (those past
    /// marked overdue), creation times over the last 90 days, and the
    /// assignee one of [`SPECIALISTS`].
    async fn clone_rows(
        &mut self,
        template: &str,
        k: i64,
        from: i64,
        count: i64,
    ) -> Result<(), Failure> {
        let now = chrono::Utc::now().timestamp_micros();
        let e = |e: sqlx::Error| fail(format!("seeding: {e}"));
        // i is the copy's number; the spreads are multiplicative hashes of it.
        let due = "(?now - 259200000000 + ((i * 104729) % 2592000) * 1000000)";
        let exprs = |due: &str, now: &str, assignee: &str, id: &str, number: &str| {
            format!(
                "{id}, {number}, service, version, channel, provider, status, step, step_role, \
                 case when due_at is null then null else {due} end, \
                 case when due_at is null then sort_due else {due} end, \
                 case when due_at is null then overdue else {due} < {now} end, \
                 case when assignee is null then null else {assignee} end, \
                 applicant_iin, intake_actor, created_at - ((i * 7919) % 7776000) * 1000000, \
                 updated_at, rev, state, event_count, representative_iin"
            )
        };
        match self {
            Conn::Sqlite(c) => {
                let due = due.replace("?now", "?1");
                let sql = format!(
                    "with recursive n(i) as (select ?3 union all select i + 1 from n where i < ?4) \
                     insert into applications ({COLUMNS}) select {} from applications, n where id = ?5",
                    exprs(
                        &due,
                        "?1",
                        &format!(
                            "case when i % {SPECIALISTS} = 0 then 'specialist' else 'specialist-' || (i % {SPECIALISTS}) end"
                        ),
                        "printf('seed-%d-%d', ?2, i)",
                        "printf('SEED-%d-%09d', ?2, i)",
                    )
                );
                sqlx::query(&sql)
                    .bind(now)
                    .bind(k)
                    .bind(from)
                    .bind(from + count - 1)
                    .bind(template)
                    .execute(&mut *c)
                    .await
                    .map_err(e)?;
            }
            Conn::Pg(c) => {
                let due = due.replace("?now", "$1::bigint");
                let sql = format!(
                    "insert into applications ({COLUMNS}) select {} \
                     from applications, generate_series($3::bigint, $4::bigint) as i where id = $5",
                    exprs(
                        &due,
                        "$1::bigint",
                        &format!(
                            "case when i % {SPECIALISTS} = 0 then 'specialist' else 'specialist-' || (i % {SPECIALISTS}) end"
                        ),
                        "format('seed-%s-%s', $2::bigint, i)",
                        "format('SEED-%s-%s', $2::bigint, lpad(i::text, 9, '0'))",
                    )
                );
                sqlx::query(&sql)
                    .bind(now)
                    .bind(k)
                    .bind(from)
                    .bind(from + count - 1)
                    .bind(template)
                    .execute(&mut *c)
                    .await
                    .map_err(e)?;
            }
        }
        Ok(())
    }

    async fn analyze(&mut self) -> Result<(), Failure> {
        let e = |e: sqlx::Error| fail(format!("analyze: {e}"));
        match self {
            Conn::Sqlite(c) => {
                sqlx::query("analyze").execute(&mut *c).await.map_err(e)?;
            }
            Conn::Pg(c) => {
                sqlx::query("analyze applications")
                    .execute(&mut *c)
                    .await
                    .map_err(e)?;
            }
        }
        Ok(())
    }

    async fn close(self) {
        match self {
            Conn::Sqlite(c) => {
                let _ = c.close().await;
            }
            Conn::Pg(c) => {
                let _ = c.close().await;
            }
        }
    }
}
