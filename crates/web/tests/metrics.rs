//! `GET /metrics`: request counters by route template and status class,
//! and the gauges read from the store at scrape time.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use qyzmet_store::{ApplicationRow, Change, NewApplication, NewEvent, NewJob, Store};
use qyzmet_web::AppState;
use serde_json::json;
use std::sync::Arc;
use tower::ServiceExt;

fn state(store: Arc<dyn Store>) -> AppState {
    let (catalog, calendar) = support::catalog_and_calendar().clone();
    AppState::new(catalog, calendar, store, "http://localhost".into(), false)
}

async fn get(state: &AppState, path: &str) -> (StatusCode, String, String) {
    let res = qyzmet_web::router(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the sample whose name and labels are exactly `series`.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().unwrap())
    })
}

fn row(status: &str, overdue: bool) -> ApplicationRow {
    let t = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
    ApplicationRow {
        service: "adoption-payment".into(),
        version: "2026-01".into(),
        channel: "office".into(),
        provider: "karaganda-city-education".into(),
        status: status.into(),
        step: Some("register".into()),
        step_role: Some("clerk".into()),
        due_at: Some(t),
        overdue,
        assignee: None,
        applicant_iin: "871008401427".into(),
        representative_iin: None,
        intake_actor: "clerk".into(),
        created_at: t,
        updated_at: t,
        state: qyzmet_store::StateJson::of(&json!({})).unwrap(),
    }
}

async fn add(store: &dyn Store, n: u32, status: &str, overdue: bool) {
    let change = Change {
        events: vec![NewEvent {
            kind: "submitted".into(),
            at: Utc::now(),
            actor: "clerk".into(),
            data: json!({"n": n}),
        }],
        row: row(status, overdue),
        jobs: vec![],
        idempotency: None,
        attachments: vec![],
        follows: None,
    };
    store
        .create(NewApplication {
            id: format!("00000000-0000-4000-8000-{n:012}"),
            number_prefix: "KRG".into(),
            number_year: 2026,
            build: Box::new(move |_| change),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_read_the_store() {
    // One subscriber for the binary before any request logs (see below).
    captured_logs();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let store = qyzmet_store::connect(&url).await.unwrap();
    let state = state(store.clone());

    let (status, ctype, first) = get(&state, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype, "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(sample(&first, "qyzmet_store_up"), Some(1.0), "{first}");
    assert_eq!(sample(&first, "qyzmet_steps_overdue"), Some(0.0), "{first}");
    assert_eq!(sample(&first, "qyzmet_outbox_pending"), Some(0.0));
    assert_eq!(sample(&first, "qyzmet_outbox_dead"), Some(0.0));
    assert!(!first.contains("qyzmet_applications{"), "{first}");

    // Requests: two answered, two to one route with different ids (refused
    // without a session), one that no route matches.
    assert_eq!(get(&state, "/healthz").await.0, StatusCode::OK);
    assert_eq!(get(&state, "/healthz").await.0, StatusCode::OK);
    let a = "/api/v1/applications/00000000-0000-4000-8000-000000000001";
    let b = "/api/v1/applications/00000000-0000-4000-8000-000000000002";
    let (sa, _, _) = get(&state, a).await;
    let (sb, _, _) = get(&state, b).await;
    assert!(sa.is_client_error() && sb.is_client_error(), "{sa} {sb}");
    assert_eq!(get(&state, "/no/such/page").await.0, StatusCode::NOT_FOUND);

    // The store: three applications, one overdue; a job waiting, one dead.
    add(&*store, 1, "in-progress", false).await;
    add(&*store, 2, "in-progress", true).await;
    add(&*store, 3, "completed", false).await;
    let now = Utc::now();
    let job = |n: i64| NewJob {
        kind: "deliver".into(),
        payload: json!({"n": n}),
        run_at: now,
    };
    store.enqueue(vec![job(1), job(2)], now).await.unwrap();
    let claimed = store
        .claim_jobs(now, now + chrono::Duration::minutes(1), 1, None)
        .await
        .unwrap();
    store
        .fail_job(claimed[0].id, "refused", None, now)
        .await
        .unwrap();

    let (_, _, scrape) = get(&state, "/metrics").await;
    let requests = |route: &str, class: &str| {
        sample(
            &scrape,
            &format!(
                "qyzmet_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"{class}\"}}"
            ),
        )
    };
    assert_eq!(requests("/healthz", "2xx"), Some(2.0), "{scrape}");
    assert_eq!(requests("/api/v1/applications/{id}", "4xx"), Some(2.0));
    assert_eq!(requests("unmatched", "4xx"), Some(1.0));
    assert_eq!(requests("/metrics", "2xx"), Some(1.0));
    // Never the raw path.
    assert!(!scrape.contains("000000000001"), "{scrape}");
    assert!(!scrape.contains("/no/such/page"), "{scrape}");

    let hist = "qyzmet_http_request_duration_seconds";
    let labels = "method=\"GET\",route=\"/healthz\",status=\"2xx\"";
    assert_eq!(
        sample(&scrape, &format!("{hist}_count{{{labels}}}")),
        Some(2.0)
    );
    assert_eq!(
        sample(&scrape, &format!("{hist}_bucket{{{labels},le=\"+Inf\"}}")),
        Some(2.0)
    );
    assert!(scrape.contains("# TYPE qyzmet_http_request_duration_seconds histogram"));
    assert!(scrape.contains("# TYPE qyzmet_http_requests_total counter"));

    assert_eq!(
        sample(&scrape, "qyzmet_applications{status=\"in-progress\"}"),
        Some(2.0),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "qyzmet_applications{status=\"completed\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&scrape, "qyzmet_steps_overdue"), Some(1.0));
    assert_eq!(sample(&scrape, "qyzmet_outbox_pending"), Some(1.0));
    assert_eq!(sample(&scrape, "qyzmet_outbox_dead"), Some(1.0));

    // Every line is a comment or `name{labels} value`.
    for l in scrape.lines() {
        assert!(
            l.starts_with("# HELP ")
                || l.starts_with("# TYPE ")
                || sample(l, l.rsplit_once(' ').unwrap().0).is_some(),
            "{l}"
        );
    }
    store.close().await;
}

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's log, as JSON lines. Installed once for the whole binary
/// (a per-test subscriber races other tests over tracing's callsite cache);
/// each test finds its own lines by request id.
fn captured_logs() -> &'static Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

#[tokio::test]
async fn each_request_is_logged_once_with_its_request_id() {
    let logs = captured_logs();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let store = qyzmet_store::connect(&url).await.unwrap();
    let state = state(store.clone());
    let res = qyzmet_web::router(state.clone())
        .oneshot(
            Request::get("/api/v1/applications/00000000-0000-4000-8000-000000000009")
                .header("x-request-id", "trace-me-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let status = res.status().as_u16();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &serde_json::Value| l["message"] == "request")
        .filter(|l| l["request_id"] == "trace-me-42")
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    let l = &lines[0];
    assert_eq!(l["method"], "GET", "{l}");
    assert_eq!(l["route"], "/api/v1/applications/{id}", "{l}");
    assert_eq!(l["status"], status, "{l}");
    assert_eq!(l["request_id"], "trace-me-42", "{l}");
    assert!(l["latency_ms"].as_f64().is_some(), "{l}");
    store.close().await;
}
