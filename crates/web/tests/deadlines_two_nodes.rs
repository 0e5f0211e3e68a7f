//! Several `qyzmet serve` nodes on one PostgreSQL: each deadline fires once
//! and each outbox job runs once. Two nodes (two AppStates, each with its
//! own connection pool) work a thousand deadlines that fall due together,
//! then five hundred jobs. PostgreSQL only: without `TEST_DATABASE_URL` the
//! tests say so and pass.

mod support;

use axum::body::Body;
use axum::http::{header, Request};
use chrono::{DateTime, Duration, Utc};
use qyzmet_domain::calendar::Calendar;
use qyzmet_domain::catalog::Catalog;
use qyzmet_store::jobs::{JobError, JobHandler, JobRunner, Ran};
use qyzmet_store::{Job, NewJob, NewUser, Store};
use qyzmet_web::AppState;
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tower::ServiceExt;

const APPLICATIONS: usize = 1000;
const JOBS: usize = 500;
/// Every fifth application is paused: on the day both nodes tick, its pause
/// has ended and its step, resumed, is overdue too.
const PAUSE_EVERY: usize = 5;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Tuesday 2026-11-24, 10:00 in Almaty: inside working hours.
fn start() -> DateTime<Utc> {
    at("2026-11-24T10:00:00+05:00")
}

/// The test's own PostgreSQL database, or a note that it is skipped.
async fn fresh_db() -> Option<support::FreshPg> {
    let db = support::FreshPg::create("qyzmet_nodes_test").await;
    if db.is_none() {
        eprintln!(
            "note: TEST_DATABASE_URL is not set; the two-node test needs PostgreSQL and is skipped"
        );
    }
    db
}

fn catalog_and_calendar() -> (Catalog, Calendar) {
    support::catalog_and_calendar().clone()
}

/// One node: its own pool on the shared database, its clock fixed at `now`.
async fn node(url: &str, now: DateTime<Utc>) -> AppState {
    let store: Arc<dyn Store> = qyzmet_store::connect(url).await.expect("the store opens");
    let (catalog, calendar) = catalog_and_calendar();
    AppState::with_clock(
        catalog,
        calendar,
        store,
        "http://qyzmet.test".into(),
        false,
        Arc::new(move || now),
    )
}

async fn call(state: &AppState, uri: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    call_if(state, uri, token, None, body).await
}

async fn call_if(
    state: &AppState,
    uri: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(e) = if_match {
        req = req.header(header::IF_MATCH, e);
    }
    let res = qyzmet_web::router(state.clone())
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn intake() -> Value {
    let docs: Vec<Value> = [
        "application",
        "identity-document",
        "supporting-certificates",
    ]
    .iter()
    .map(|k| json!({"kind": k, "name": format!("{k} (paper)")}))
    .collect();
    json!({
        "service": "meeting-permission",
        "channel": "office",
        "applicant": {"iin": "871008401427", "name": "Test Applicant", "language": "kk"},
        "form": {
            "child": {"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15"},
            "meeting": {"preferred_date": "2026-12-05", "place": "Қарағанды қаласының білім бөлімі"}
        },
        "documents": docs,
    })
}

/// Takes in `n` applications through the API at `start()`, on 8 tasks,
/// and pauses every `PAUSE_EVERY`th; returns (id, paused).
async fn take_in_many(state: &AppState, n: usize) -> Vec<(String, bool)> {
    state
        .store()
        .create_user(NewUser {
            username: "clerk".into(),
            password_hash: qyzmet_web::auth::hash_password("pw-clerk"),
            display_name: "Clerk (test)".into(),
            role: "clerk".into(),
            provider: Some("karaganda-city-education".into()),
            iin: None,
            created_at: start(),
        })
        .await
        .unwrap();
    let (status, login) = call(
        state,
        "/api/v1/auth/login",
        None,
        json!({"username": "clerk", "password": "pw-clerk"}),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let state = state.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (t..n).step_by(8) {
                let (status, body) =
                    call(&state, "/api/v1/applications", Some(&token), intake()).await;
                assert_eq!(status, 201, "{body}");
                let id = body["id"].as_str().unwrap().to_owned();
                let paused = i % PAUSE_EVERY == 0;
                if paused {
                    let (status, body) = call_if(
                        &state,
                        &format!("/api/v1/applications/{id}/actions"),
                        Some(&token),
                        Some("\"1\""),
                        json!({"action": "pause"}),
                    )
                    .await;
                    assert_eq!(status, 200, "{body}");
                    assert_eq!(body["status"], "paused", "{body}");
                }
                ids.push((id, paused));
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    ids
}

/// Ticks until nothing is left falling due; returns how many this node
/// changed and how many passes it made.
async fn work_deadlines(state: AppState, now: DateTime<Utc>) -> (usize, usize) {
    let mut changed = 0;
    let mut passes = 0;
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        passes += 1;
        changed += qyzmet_web::worker::tick_due(&state, now, 100)
            .await
            .expect("a deadline pass");
        if state
            .store()
            .steps_falling_due(now, 1)
            .await
            .unwrap()
            .is_empty()
        {
            return (changed, passes);
        }
        assert!(Instant::now() < deadline, "the deadline passes never end");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_fire_each_deadline_once() {
    let Some(db) = fresh_db().await else {
        return;
    };
    let began = Instant::now();
    let intake_node = node(&db.url, start()).await;
    let ids = take_in_many(&intake_node, APPLICATIONS).await;
    assert_eq!(ids.len(), APPLICATIONS);
    let took_in = began.elapsed();

    // Sixty days on every first step is long overdue.
    let now = start() + Duration::days(60);
    let a = node(&db.url, now).await;
    let b = node(&db.url, now).await;
    assert_eq!(
        a.store().steps_falling_due(now, 5000).await.unwrap().len(),
        APPLICATIONS
    );
    let ticking = Instant::now();
    let (ra, rb) = tokio::join!(
        tokio::spawn(work_deadlines(a.clone(), now)),
        tokio::spawn(work_deadlines(b.clone(), now))
    );
    let ((changed_a, passes_a), (changed_b, passes_b)) = (ra.unwrap(), rb.unwrap());
    let ticked = ticking.elapsed();
    eprintln!(
        "took in {APPLICATIONS} in {took_in:?}; node A changed {changed_a} in {passes_a} passes, \
         node B {changed_b} in {passes_b}, in {ticked:?}"
    );
    assert_eq!(
        changed_a + changed_b,
        APPLICATIONS,
        "each deadline changes one application once"
    );
    assert!(
        changed_a > 0 && changed_b > 0,
        "the nodes divide the work (A {changed_a}, B {changed_b})"
    );

    // Exactly one `marked-overdue` event per application, and one `resumed`
    // per paused one, counted in the database.
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let counts: Vec<(String, i64, i64)> = sqlx::query_as(
        "select a.id, \
         count(e.seq) filter (where e.type = 'marked-overdue'), \
         count(e.seq) filter (where e.type = 'resumed') \
         from applications a left join events e on e.application_id = a.id group by a.id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_eq!(counts.len(), APPLICATIONS);
    let paused: HashMap<&str, bool> = ids.iter().map(|(id, p)| (id.as_str(), *p)).collect();
    let wrong: Vec<_> = counts
        .iter()
        .filter(|(id, marked, resumed)| *marked != 1 || *resumed != i64::from(paused[id.as_str()]))
        .take(5)
        .collect();
    assert!(
        wrong.is_empty(),
        "(id, marked-overdue, resumed) not once each: {wrong:?}"
    );
    let total: i64 = counts.iter().map(|c| c.1).sum();
    let resumed: i64 = counts.iter().map(|c| c.2).sum();
    assert_eq!(total, APPLICATIONS as i64);
    assert_eq!(resumed, APPLICATIONS.div_ceil(PAUSE_EVERY) as i64);

    // Every chain verifies: intake plus the one mark.
    let report = a.store().audit_verify().await.expect("every chain holds");
    assert_eq!(report.applications, APPLICATIONS as u64);
    assert!(
        report.events as i64 >= APPLICATIONS as i64 + total + 2 * resumed,
        "{report:?}"
    );
    eprintln!("{report:?}; {total} marked overdue, {resumed} resumed");

    // A third pass on either node finds nothing.
    assert_eq!(qyzmet_web::worker::tick_due(&b, now, 100).await.unwrap(), 0);
    eprintln!("two-node deadlines: {:?} in all", began.elapsed());
}

/// Counts runs per job id.
struct Counter {
    runs: Mutex<HashMap<i64, u32>>,
    by_node: Mutex<HashMap<&'static str, u32>>,
}

struct NodeHandler {
    counter: Arc<Counter>,
    node: &'static str,
}

#[async_trait::async_trait]
impl JobHandler for NodeHandler {
    async fn run(&self, job: &Job) -> Result<Ran, JobError> {
        *self.counter.runs.lock().unwrap().entry(job.id).or_default() += 1;
        *self
            .counter
            .by_node
            .lock()
            .unwrap()
            .entry(self.node)
            .or_default() += 1;
        // Let the other node's runner in between claims.
        tokio::task::yield_now().await;
        Ok(Ran::Done)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_run_each_job_once() {
    let Some(db) = fresh_db().await else {
        return;
    };
    let began = Instant::now();
    let a: Arc<dyn Store> = qyzmet_store::connect(&db.url).await.unwrap();
    let b: Arc<dyn Store> = qyzmet_store::connect(&db.url).await.unwrap();
    let now = Utc::now();
    let jobs: Vec<NewJob> = (0..JOBS)
        .map(|i| NewJob {
            kind: "count".into(),
            payload: json!({"n": i}),
            run_at: now - Duration::seconds(1),
        })
        .collect();
    a.enqueue(jobs, now).await.unwrap();

    let counter = Arc::new(Counter {
        runs: Mutex::new(HashMap::new()),
        by_node: Mutex::new(HashMap::new()),
    });
    let runner = |store: Arc<dyn Store>, node: &'static str| {
        let mut handlers: HashMap<String, Arc<dyn JobHandler>> = HashMap::new();
        handlers.insert(
            "count".into(),
            Arc::new(NodeHandler {
                counter: counter.clone(),
                node,
            }),
        );
        JobRunner::new(store, handlers)
    };
    let ra = runner(a.clone(), "a");
    let rb = runner(b.clone(), "b");
    let (x, y) = tokio::join!(
        tokio::spawn(async move { ra.run_pending().await }),
        tokio::spawn(async move { rb.run_pending().await })
    );
    let (x, y) = (x.unwrap().unwrap(), y.unwrap().unwrap());
    assert_eq!((x.retried, x.dead, y.retried, y.dead), (0, 0, 0, 0));
    assert_eq!(x.succeeded + y.succeeded, JOBS as u32, "{x:?} {y:?}");

    let runs = counter.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), JOBS, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).take(5).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let done = a.jobs(qyzmet_store::JobStatus::Done).await.unwrap();
    assert_eq!(done.len(), JOBS);
    eprintln!(
        "two-node outbox: {JOBS} jobs, by node {:?}, in {:?}",
        counter.by_node.lock().unwrap(),
        began.elapsed()
    );
}
