//! The storage contract: every test runs against SQLite (a temporary file)
//! and, when `TEST_DATABASE_URL` names a PostgreSQL server, against a fresh
//! database created on it for the test and dropped after.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use qyzmet_domain::audit;
use qyzmet_store::jobs::{JobError, JobHandler, JobRunner, Ran};
use qyzmet_store::{
    connect, AdminChange, ApplicationRow, AttachmentMeta, AuditError, ChainHead, Change, Counts,
    DocumentSeal, IdempotencyRecord, InboundMessage, Job, JobStatus, ListFilter, ListOrder,
    NewAdminAudit, NewApplication, NewAttachment, NewCalendarEdit, NewDocument, NewEvent, NewJob,
    NewUser, Session, SharedPart, StateJson, Store, StoreError, VersionEnd,
};
use serde_json::json;
use sqlx::Connection;

// --- harness -----------------------------------------------------------------

struct Db {
    store: Arc<dyn Store>,
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, database name) of a PostgreSQL test database.
    pg: Option<(String, String)>,
}

async fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    // A directory that does not exist yet: connect creates it.
    let url = format!("sqlite://{}/data/qyzmet.db", dir.path().display());
    let store = connect(&url).await.unwrap();
    Db {
        store,
        url,
        _dir: Some(dir),
        pg: None,
    }
}

async fn postgres_db() -> Option<Db> {
    let admin = std::env::var("TEST_DATABASE_URL").ok()?;
    let name = format!("qyzmet_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("create database {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin.split('?').next().unwrap();
    let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
    let store = connect(&url).await.unwrap();
    Some(Db {
        store,
        url,
        _dir: None,
        pg: Some((admin, name)),
    })
}

impl Db {
    async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = &self.pg {
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            sqlx::query(&format!("drop database {name} with (force)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }

    /// Runs SQL behind the store's back, as someone with database access would.
    async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        if self.pg.is_some() {
            let mut c = sqlx::PgConnection::connect(&self.url).await?;
            Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await?;
            Ok(sqlx::query(sql).execute(&mut c).await?.rows_affected())
        }
    }

    async fn count(&self, table: &str) -> i64 {
        let sql = format!("select count(*) from {table}");
        if self.pg.is_some() {
            let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap()
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
            sqlx::query_scalar(&sql).fetch_one(&mut c).await.unwrap()
        }
    }
}

/// PostgreSQL's storage of what does and does not compress (migrations
/// 0030 and 0032): PDFs, attachments, shared PDF parts and seals out of
/// line and uncompressed; the case's JSON compressed with lz4 where the
/// server was built with it, else with the default. (SQLite compresses
/// nothing.)
#[tokio::test]
async fn postgres_compresses_only_what_compresses() {
    let Some(db) = postgres_db().await else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL skipped");
        return;
    };
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let lz4: bool = sqlx::query_scalar(
        "select 'lz4' = any(enumvals) from pg_settings \
         where name = 'default_toast_compression'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "select attrelid::regclass::text || '.' || attname, attstorage::text, \
         attcompression::text from pg_attribute \
         where attrelid::regclass::text in ('applications', 'documents', 'attachments', 'pdf_parts') \
         and attname in ('state', 'pdf', 'seal', 'content', 'bytes') order by 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let state = if lz4 { "l" } else { "" };
    let expected = [
        ("applications.state", "x", state),
        ("attachments.content", "e", ""),
        ("documents.pdf", "e", ""),
        ("documents.seal", "e", ""),
        ("pdf_parts.bytes", "e", ""),
    ];
    let columns: Vec<(&str, &str, &str)> = columns
        .iter()
        .map(|(c, s, z)| (c.as_str(), s.as_str(), z.as_str()))
        .collect();
    assert_eq!(columns, expected);
    conn.close().await.unwrap();
    db.finish().await;
}

/// Declares a test run on both backends.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = super::sqlite_db().await;
                super::$name(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = super::postgres_db().await else {
                    eprintln!("TEST_DATABASE_URL not set: PostgreSQL skipped");
                    return;
                };
                super::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}

contract!(
    create_get_and_append_keep_the_chain,
    an_append_that_changes_the_intake_columns_lands_and_lists_follow,
    concurrent_intakes_get_distinct_numbers_without_gaps,
    a_stale_rev_writes_nothing,
    idempotency_records_replay_and_collide,
    the_outbox_is_written_with_the_change_only,
    an_append_that_names_its_head_is_written_whole_or_not_at_all,
    run_pending_runs_what_is_due_in_order,
    a_failing_job_backs_off_then_dies,
    a_dead_job_can_be_retried,
    a_runner_for_some_kinds_leaves_the_others,
    concurrent_runners_never_run_a_job_twice,
    an_expired_lease_is_claimed_again,
    the_background_runner_stops_on_shutdown,
    a_woken_runner_runs_jobs_before_its_next_poll_and_in_parallel,
    lists_filter_and_page_without_gaps,
    the_applicant_sees_every_case_with_their_iin,
    steps_falling_due_finds_passed_deadlines,
    claims_of_falling_due_divide_the_work,
    audit_verify_names_the_tampered_event,
    attachments_are_written_with_the_change,
    attachments_are_not_written_by_a_failed_append,
    audit_verify_catches_a_chain_cut_short,
    audit_verify_reports_an_application_without_events,
    administrator_edits_are_kept_in_order,
    users_and_sessions,
    failed_logins_are_counted_in_a_window,
    a_gateway_message_is_recorded_once,
    counts_add_up_applications_and_the_outbox,
    signatures_are_kept_in_order_with_their_bytes,
    administrator_changes_are_audited_with_the_change,
    documents_draft_replaced_until_sealed,
    a_render_job_ends_with_its_document,
    a_seal_may_bring_its_draft,
    a_draft_stored_while_it_is_sealed_is_no_error,
    a_document_with_shared_parts_reads_back_whole,
    a_seal_is_written_with_its_change_or_not_at_all,
    concurrent_appends_are_all_kept,
    a_remembered_application_is_as_stored_or_caught_stale,
    a_remembered_session_goes_with_its_change,
    a_failing_write_leaves_the_writes_beside_it,
);

// --- fixtures ----------------------------------------------------------------

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn row(status: &str, due: Option<i64>) -> ApplicationRow {
    ApplicationRow {
        service: "adoption-payment".into(),
        version: "2026-01".into(),
        channel: "office".into(),
        provider: "karaganda-city-education".into(),
        status: status.into(),
        step: Some("register".into()),
        step_role: Some("clerk".into()),
        due_at: due.map(t),
        overdue: false,
        assignee: None,
        applicant_iin: "871008401427".into(),
        representative_iin: None,
        intake_actor: "clerk".into(),
        created_at: t(0),
        updated_at: t(0),
        state: StateJson::of(&json!({"step": "register"})).unwrap(),
    }
}

fn event(kind: &str, minute: i64, data: serde_json::Value) -> NewEvent {
    NewEvent {
        kind: kind.into(),
        at: t(minute),
        actor: "clerk".into(),
        data,
    }
}

fn change(row: ApplicationRow, events: Vec<NewEvent>) -> Change {
    Change {
        events,
        row,
        jobs: vec![],
        idempotency: None,
        attachments: vec![],
        follows: None,
    }
}

fn new_app(id: &str, c: Change) -> NewApplication {
    NewApplication {
        id: id.into(),
        number_prefix: "KRG".into(),
        number_year: 2026,
        build: Box::new(move |_| c),
    }
}

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

async fn submit(store: &dyn Store, n: u32, row: ApplicationRow) -> String {
    let c = change(row, vec![event("submitted", 0, json!({"n": n}))]);
    store.create(new_app(&id(n), c)).await.unwrap().id
}

fn idem(key: &str, body: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        principal: "clerk".into(),
        key: key.into(),
        fingerprint: "f1".into(),
        status: 201,
        body: body.into(),
        created_at: t(0),
    }
}

// --- applications and the chain ---------------------------------------------------

/// The usual append leaves the columns fixed at intake alone (SQLite writes
/// fewer index pages so); one that changes them all must still land, and
/// every list must find the row by its new values only.
async fn an_append_that_changes_the_intake_columns_lands_and_lists_follow(db: &Db) {
    let s = db.store.as_ref();
    submit(s, 1, row("in-progress", Some(60))).await;
    let mut moved = row("in-progress", Some(90));
    moved.service = "other-service".into();
    moved.version = "2027-01".into();
    moved.channel = "portal".into();
    moved.provider = "other-provider".into();
    moved.applicant_iin = "900101300011".into();
    moved.representative_iin = Some("871008401427".into());
    moved.intake_actor = "operator".into();
    moved.created_at = t(3);
    let rev = s
        .append(&id(1), 1, change(moved.clone(), vec![]))
        .await
        .unwrap();
    assert_eq!(rev, 2);
    let app = s.get(&id(1)).await.unwrap();
    assert_eq!(app.row, moved);
    // A stale append still misses after both updates.
    assert_eq!(
        s.append(&id(1), 1, change(row("in-progress", None), vec![]))
            .await
            .unwrap_err(),
        StoreError::Stale
    );
    let found =
        |f: ListFilter| async move { s.list_applications(&f, 10, None).await.unwrap().items.len() };
    for (f, n) in [
        (
            ListFilter {
                provider: Some("other-provider".into()),
                ..Default::default()
            },
            1,
        ),
        (
            ListFilter {
                provider: Some(row("x", None).provider),
                ..Default::default()
            },
            0,
        ),
        (
            ListFilter {
                service: Some("other-service".into()),
                ..Default::default()
            },
            1,
        ),
        (
            ListFilter {
                applicant_iin: Some("900101300011".into()),
                ..Default::default()
            },
            1,
        ),
        (
            ListFilter {
                party_iin: Some("871008401427".into()),
                ..Default::default()
            },
            1,
        ),
        (
            ListFilter {
                applicant_iin: Some("871008401427".into()),
                ..Default::default()
            },
            0,
        ),
    ] {
        assert_eq!(found(f.clone()).await, n, "{f:?}");
    }
    // And the next usual append (nothing fixed changes) lands as well.
    let mut next = moved.clone();
    next.status = "completed".into();
    next.due_at = None;
    s.append(&id(1), 2, change(next.clone(), vec![]))
        .await
        .unwrap();
    assert_eq!(s.get(&id(1)).await.unwrap().row, next);
}

async fn create_get_and_append_keep_the_chain(db: &Db) {
    let s = db.store.as_ref();
    let created = s
        .create(NewApplication {
            id: id(1),
            number_prefix: "KRG".into(),
            number_year: 2026,
            // The number is known to the builder, so state and events carry it.
            build: Box::new(|number| {
                let mut r = row("in-progress", Some(60));
                r.state = StateJson::of(&json!({"number": number})).unwrap();
                change(
                    r,
                    vec![
                        event("submitted", 0, json!({"number": number})),
                        event("step-started", 0, json!({"step": "register"})),
                    ],
                )
            }),
        })
        .await
        .unwrap();
    assert_eq!(created.number, "KRG-2026-000001");
    assert_eq!(created.rev, 1);
    let second = submit(s, 2, row("in-progress", None)).await;
    assert_eq!(s.get(&second).await.unwrap().number, "KRG-2026-000002");

    let app = s.get(&id(1)).await.unwrap();
    assert_eq!(app.rev, 1);
    assert_eq!(
        app.row.state.parse::<serde_json::Value>().unwrap(),
        json!({"number": "KRG-2026-000001"})
    );
    assert_eq!(app.row.due_at, Some(t(60)));
    assert_eq!(s.get_by_number("KRG-2026-000001").await.unwrap().id, id(1));

    let mut next = row("in-progress", Some(120));
    next.step = Some("resolution".into());
    next.step_role = Some("head".into());
    let rev = s
        .append(
            &id(1),
            1,
            change(
                next.clone(),
                vec![event(
                    "step-completed",
                    5,
                    json!({"step": "register", "by": 7}),
                )],
            ),
        )
        .await
        .unwrap();
    assert_eq!(rev, 2);
    let rev = s
        .append(
            &id(1),
            2,
            change(next, vec![event("assigned", 6, json!({}))]),
        )
        .await
        .unwrap();
    assert_eq!(rev, 3);
    let app = s.get(&id(1)).await.unwrap();
    assert_eq!(app.rev, 3);
    assert_eq!(app.row.step.as_deref(), Some("resolution"));

    let events = s.events(&id(1)).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(events[0].prev_hash, audit::GENESIS);
    assert_eq!(events[2].at, "2026-11-23T04:05:00.000000Z");
    assert_eq!(events[2].data, json!({"step": "register", "by": 7}));
    audit::verify(&events).unwrap();
    for w in events.windows(2) {
        assert_eq!(w[1].prev_hash, w[0].hash);
    }

    assert_eq!(s.get(&id(99)).await.unwrap_err(), StoreError::NotFound);
    assert_eq!(
        s.append(&id(99), 1, change(row("draft", None), vec![]))
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    let report = s.audit_verify().await.unwrap();
    assert_eq!((report.applications, report.events), (2, 5));
}

async fn concurrent_intakes_get_distinct_numbers_without_gaps(db: &Db) {
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let c = change(
                    row("in-progress", None),
                    vec![event("submitted", 0, json!({}))],
                );
                store.create(new_app(&id(n), c)).await.unwrap().number
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    let want: Vec<String> = (1..=16).map(|n| format!("KRG-2026-{n:06}")).collect();
    assert_eq!(numbers, want);

    // A create that fails gives its number back; another year starts at 1.
    let taken = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    assert_eq!(
        db.store.create(new_app(&id(3), taken)).await.unwrap_err(),
        StoreError::Duplicate("applications_pkey".into())
    );
    let c = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    assert_eq!(
        db.store.create(new_app(&id(100), c)).await.unwrap().number,
        "KRG-2026-000017"
    );
    let c = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    let mut next_year = new_app(&id(101), c);
    next_year.number_year = 2027;
    assert_eq!(
        db.store.create(next_year).await.unwrap().number,
        "KRG-2027-000001"
    );
}

async fn a_stale_rev_writes_nothing(db: &Db) {
    let s = db.store.as_ref();
    submit(s, 1, row("in-progress", Some(60))).await;
    s.append(
        &id(1),
        1,
        change(row("paused", None), vec![event("paused", 1, json!({}))]),
    )
    .await
    .unwrap();
    let mut stale = change(
        row("withdrawn", None),
        vec![event("withdrawn", 2, json!({}))],
    );
    stale.jobs.push(NewJob {
        kind: "notify".into(),
        payload: json!({}),
        run_at: t(2),
    });
    stale.idempotency = Some(idem("k-stale", "{}"));
    assert_eq!(
        s.append(&id(1), 1, stale).await.unwrap_err(),
        StoreError::Stale
    );
    let app = s.get(&id(1)).await.unwrap();
    assert_eq!((app.rev, app.row.status.as_str()), (2, "paused"));
    assert_eq!(s.events(&id(1)).await.unwrap().len(), 2);
    assert_eq!(db.count("outbox").await, 0);
    assert_eq!(
        s.idempotency_lookup("clerk", "k-stale").await.unwrap(),
        None
    );

    // Two writers at the same rev: exactly one wins.
    let store = db.store.clone();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(
                        &id(1),
                        2,
                        change(
                            row("in-progress", Some(90)),
                            vec![event("resumed", i, json!({}))],
                        ),
                    )
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(rev) => {
                assert_eq!(rev, 3);
                ok += 1;
            }
            Err(e) => assert_eq!(e, StoreError::Stale),
        }
    }
    assert_eq!(ok, 1);
    audit::verify(&s.events(&id(1)).await.unwrap()).unwrap();
}

async fn idempotency_records_replay_and_collide(db: &Db) {
    let s = db.store.as_ref();
    let mut c = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    c.idempotency = Some(idem("key-1", "{\"id\":1}"));
    s.create(new_app(&id(1), c)).await.unwrap();
    let found = s
        .idempotency_lookup("clerk", "key-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, idem("key-1", "{\"id\":1}"));
    // Keys belong to a principal.
    assert_eq!(s.idempotency_lookup("head", "key-1").await.unwrap(), None);

    // The same key again: nothing of the second create is written.
    let mut again = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    again.idempotency = Some(idem("key-1", "{\"id\":2}"));
    assert_eq!(
        s.create(new_app(&id(2), again)).await.unwrap_err(),
        StoreError::Duplicate("idempotency_keys_pkey".into())
    );
    assert_eq!(s.get(&id(2)).await.unwrap_err(), StoreError::NotFound);
    assert_eq!(db.count("applications").await, 1);

    // Concurrent requests with one key: one write, the others collide on
    // the key (checked before the rev, so the answer is a replay, not 412).
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let mut c = change(row("in-progress", None), vec![event("x", 1, json!({}))]);
                c.idempotency = Some(idem("key-2", &format!("{i}")));
                store.append(&id(1), 1, c).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(
            r.clone().unwrap_err(),
            StoreError::Duplicate("idempotency_keys_pkey".into())
        );
    }
    assert_eq!(s.events(&id(1)).await.unwrap().len(), 2);

    // A record for a request that wrote nothing else.
    s.idempotency_save(idem("key-3", "ok")).await.unwrap();
    assert_eq!(
        s.idempotency_save(idem("key-3", "ok")).await.unwrap_err(),
        StoreError::Duplicate("idempotency_keys_pkey".into())
    );
}

// --- outbox and jobs ---------------------------------------------------------------

fn job(kind: &str, minute: i64, payload: serde_json::Value) -> NewJob {
    NewJob {
        kind: kind.into(),
        payload,
        run_at: t(minute),
    }
}

async fn the_outbox_is_written_with_the_change_only(db: &Db) {
    let s = db.store.as_ref();
    let mut c = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    c.jobs.push(job("render-receipt", 0, json!({"app": 1})));
    s.create(new_app(&id(1), c)).await.unwrap();
    let pending = s.jobs(JobStatus::Pending).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind, "render-receipt");
    assert_eq!(pending[0].payload, json!({"app": 1}));
    assert_eq!(pending[0].attempts, 0);

    let mut failing = change(row("in-progress", None), vec![event("x", 1, json!({}))]);
    failing.jobs.push(job("notify", 1, json!({})));
    assert_eq!(
        s.append(&id(1), 5, failing).await.unwrap_err(),
        StoreError::Stale
    );
    // An event that cannot be sealed (a float) fails the whole append.
    let mut unsealable = change(
        row("in-progress", None),
        vec![event("x", 1, json!({"a": 1.5}))],
    );
    unsealable.jobs.push(job("notify", 1, json!({})));
    assert!(matches!(
        s.append(&id(1), 1, unsealable).await.unwrap_err(),
        StoreError::Other(_)
    ));
    assert_eq!(s.jobs(JobStatus::Pending).await.unwrap().len(), 1);
    assert_eq!(s.get(&id(1)).await.unwrap().rev, 1);

    let mut ok = change(row("in-progress", None), vec![event("x", 1, json!({}))]);
    ok.jobs.push(job("notify", 1, json!({"to": "applicant"})));
    s.append(&id(1), 1, ok).await.unwrap();
    let kinds: Vec<String> = s
        .jobs(JobStatus::Pending)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.kind)
        .collect();
    assert_eq!(kinds, vec!["render-receipt", "notify"]);
}

/// The usual step names the head it follows (and PostgreSQL then writes
/// it as one statement): its events and jobs land with it, in order, or,
/// when the rev or the head is not the row's, nothing does.
async fn an_append_that_names_its_head_is_written_whole_or_not_at_all(db: &Db) {
    let s = db.store.as_ref();
    submit(s, 1, row("in-progress", Some(60))).await;
    let app = s.get(&id(1)).await.unwrap();
    let step = |status: &str, minute: i64| {
        let mut c = change(
            row(status, None),
            vec![
                event("step-completed", minute, json!({"n": 1})),
                event("step-started", minute, json!({"n": 2})),
                event("assigned", minute, json!({"to": "specialist"})),
            ],
        );
        c.jobs = vec![
            job("render-draft", minute, json!({"n": 1})),
            job("notify", minute, json!({"n": 2})),
            job("render-receipt", minute, json!({"n": 3})),
        ];
        c
    };

    // A stale rev, then the right rev with a head that is not the row's.
    let mut stale = step("paused", 1);
    stale.follows = Some(app.head.clone());
    assert_eq!(
        s.append(&id(1), 7, stale).await.unwrap_err(),
        StoreError::Stale
    );
    let mut elsewhere = step("paused", 1);
    elsewhere.follows = Some(ChainHead {
        seq: app.head.seq,
        hash: "0".repeat(64),
    });
    assert!(matches!(
        s.append(&id(1), 1, elsewhere).await.unwrap_err(),
        StoreError::Other(_)
    ));
    assert_eq!(s.events(&id(1)).await.unwrap().len(), 1);
    assert_eq!(db.count("outbox").await, 0);
    assert_eq!(s.get(&id(1)).await.unwrap().rev, 1);

    let mut ok = step("paused", 2);
    ok.follows = Some(app.head.clone());
    assert_eq!(s.append(&id(1), 1, ok).await.unwrap(), 2);
    let after = s.get(&id(1)).await.unwrap();
    assert_eq!((after.rev, after.row.status.as_str()), (2, "paused"));
    let events = s.events(&id(1)).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["submitted", "step-completed", "step-started", "assigned"]
    );
    audit::verify(&events).unwrap();
    assert_eq!(after.head.seq, 4);
    assert_eq!(after.head.hash, events[3].hash);
    let jobs: Vec<(String, serde_json::Value)> = s
        .jobs(JobStatus::Pending)
        .await
        .unwrap()
        .into_iter()
        .map(|j| (j.kind, j.payload))
        .collect();
    assert_eq!(
        jobs,
        vec![
            ("render-draft".to_owned(), json!({"n": 1})),
            ("notify".to_owned(), json!({"n": 2})),
            ("render-receipt".to_owned(), json!({"n": 3})),
        ]
    );

    // Four at once at the same rev, each naming the same head: one lands,
    // whole; the others are stale and write nothing.
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let store = db.store.clone();
            let mut c = step("in-progress", 10 + i);
            c.follows = Some(after.head.clone());
            tokio::spawn(async move { store.append(&id(1), 2, c).await })
        })
        .collect();
    let mut landed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(rev) => {
                assert_eq!(rev, 3);
                landed += 1;
            }
            Err(e) => assert_eq!(e, StoreError::Stale),
        }
    }
    assert_eq!(landed, 1);
    let events = s.events(&id(1)).await.unwrap();
    assert_eq!(events.len(), 7);
    audit::verify(&events).unwrap();
    assert_eq!(s.jobs(JobStatus::Pending).await.unwrap().len(), 6);

    // An application that is not there.
    let mut nowhere = step("paused", 20);
    nowhere.follows = Some(app.head.clone());
    assert_eq!(
        s.append(&id(99), 1, nowhere).await.unwrap_err(),
        StoreError::NotFound
    );
}

/// Records what it ran; fails while `failures` says so.
#[derive(Default)]
struct Recorder {
    ran: Mutex<Vec<i64>>,
    failures: Mutex<HashMap<String, u32>>,
}

#[async_trait]
impl JobHandler for Recorder {
    async fn run(&self, job: &Job) -> Result<Ran, JobError> {
        self.ran.lock().unwrap().push(job.id);
        let key = job.payload["name"].as_str().unwrap_or("").to_owned();
        let mut f = self.failures.lock().unwrap();
        if let Some(n) = f.get_mut(&key) {
            if *n > 0 {
                *n -= 1;
                return Err(format!("gateway refused {key}").into());
            }
        }
        Ok(Ran::Done)
    }
}

/// A clock the test moves.
fn clock() -> (Arc<Mutex<DateTime<Utc>>>, qyzmet_store::jobs::Clock) {
    let now = Arc::new(Mutex::new(t(0)));
    let c = now.clone();
    (now, Arc::new(move || *c.lock().unwrap()))
}

fn runner(db: &Db, h: Arc<Recorder>, clock: qyzmet_store::jobs::Clock) -> JobRunner {
    let mut handlers: HashMap<String, Arc<dyn JobHandler>> = HashMap::new();
    handlers.insert("deliver".into(), h);
    JobRunner::new(db.store.clone(), handlers).clock(clock)
}

async fn run_pending_runs_what_is_due_in_order(db: &Db) {
    let s = db.store.as_ref();
    s.enqueue(
        vec![
            job("deliver", 2, json!({"name": "b"})),
            job("deliver", 1, json!({"name": "a"})),
            job("deliver", 30, json!({"name": "later"})),
        ],
        t(0),
    )
    .await
    .unwrap();
    let h = Arc::new(Recorder::default());
    let (now, c) = clock();
    let r = runner(db, h.clone(), c);
    *now.lock().unwrap() = t(5);
    let report = r.run_pending().await.unwrap();
    assert_eq!((report.succeeded, report.retried, report.dead), (2, 0, 0));
    let ids: Vec<i64> = h.ran.lock().unwrap().clone();
    let a = s.job(ids[0]).await.unwrap();
    assert_eq!(a.payload["name"], "a", "the earliest due runs first");
    assert_eq!(a.status, JobStatus::Done);
    // Nothing more is due: a second pass does nothing.
    assert_eq!(r.run_pending().await.unwrap().succeeded, 0);
    assert_eq!(h.ran.lock().unwrap().len(), 2);
    *now.lock().unwrap() = t(30);
    assert_eq!(r.run_pending().await.unwrap().succeeded, 1);
    assert!(s.jobs(JobStatus::Pending).await.unwrap().is_empty());
    assert_eq!(s.jobs(JobStatus::Done).await.unwrap().len(), 3);
}

async fn a_failing_job_backs_off_then_dies(db: &Db) {
    let s = db.store.as_ref();
    s.enqueue(vec![job("deliver", 0, json!({"name": "x"}))], t(0))
        .await
        .unwrap();
    let h = Arc::new(Recorder::default());
    h.failures.lock().unwrap().insert("x".into(), 100);
    let (now, c) = clock();
    let r = runner(db, h.clone(), c)
        .max_attempts(3)
        .backoff(Duration::from_secs(60), Duration::from_secs(3600));

    let report = r.run_pending().await.unwrap();
    assert_eq!((report.succeeded, report.retried, report.dead), (0, 1, 0));
    let j = &s.jobs(JobStatus::Pending).await.unwrap()[0];
    assert_eq!(j.attempts, 1);
    assert_eq!(j.last_error.as_deref(), Some("gateway refused x"));
    // First retry: 60 s plus at most 10% jitter.
    let wait = j.run_at - t(0);
    assert!(
        wait >= chrono::Duration::seconds(60) && wait <= chrono::Duration::seconds(66),
        "{wait}"
    );
    // Not due again yet.
    assert_eq!(r.run_pending().await.unwrap(), Default::default());

    *now.lock().unwrap() = j.run_at;
    assert_eq!(r.run_pending().await.unwrap().retried, 1);
    let j2 = s.job(j.id).await.unwrap();
    assert_eq!(j2.attempts, 2);
    let wait = j2.run_at - j.run_at;
    assert!(
        wait >= chrono::Duration::seconds(120) && wait <= chrono::Duration::seconds(132),
        "the second wait doubles: {wait}"
    );

    *now.lock().unwrap() = j2.run_at;
    assert_eq!(r.run_pending().await.unwrap().dead, 1);
    let dead = r.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, j.id);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].status, JobStatus::Dead);
    assert_eq!(dead[0].last_error.as_deref(), Some("gateway refused x"));
    // Dead jobs are not run again, however late.
    *now.lock().unwrap() = t(100_000);
    assert_eq!(r.run_pending().await.unwrap(), Default::default());
    assert_eq!(h.ran.lock().unwrap().len(), 3);
}

async fn a_dead_job_can_be_retried(db: &Db) {
    let s = db.store.as_ref();
    s.enqueue(
        vec![
            job("deliver", 0, json!({"name": "y"})),
            job("unknown-kind", 0, json!({})),
        ],
        t(0),
    )
    .await
    .unwrap();
    let h = Arc::new(Recorder::default());
    h.failures.lock().unwrap().insert("y".into(), 1);
    let (now, c) = clock();
    let r = runner(db, h.clone(), c).max_attempts(1);
    let report = r.run_pending().await.unwrap();
    assert_eq!(report.dead, 2);
    let dead = r.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead[1]
        .last_error
        .as_deref()
        .unwrap()
        .contains("no handler for job kind unknown-kind"));

    *now.lock().unwrap() = t(10);
    r.retry_dead(dead[0].id).await.unwrap();
    let j = s.job(dead[0].id).await.unwrap();
    assert_eq!(
        (j.status, j.attempts, j.run_at),
        (JobStatus::Pending, 0, t(10))
    );
    assert_eq!(r.run_pending().await.unwrap().succeeded, 1);
    assert_eq!(s.job(dead[0].id).await.unwrap().status, JobStatus::Done);
    // Only a dead job can be retried.
    assert_eq!(
        r.retry_dead(dead[0].id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        r.retry_dead(424242).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(r.dead_letters().await.unwrap().len(), 1);
}

async fn a_runner_for_some_kinds_leaves_the_others(db: &Db) {
    let s = db.store.as_ref();
    s.enqueue(
        vec![
            job("gateway-send", 0, json!({"name": "package"})),
            job("deliver", 1, json!({"name": "a"})),
            job("other", 1, json!({})),
            job("also", 1, json!({"name": "c"})),
            job("deliver", 2, json!({"name": "b"})),
        ],
        t(0),
    )
    .await
    .unwrap();
    // The store claims only the kinds asked for, and none for no kinds.
    assert!(s
        .claim_jobs(t(5), t(6), 10, Some(&[]))
        .await
        .unwrap()
        .is_empty());
    let h = Arc::new(Recorder::default());
    let (now, c) = clock();
    *now.lock().unwrap() = t(3);
    // Two kinds: the claim lists both.
    let mut handlers: HashMap<String, Arc<dyn JobHandler>> = HashMap::new();
    handlers.insert("deliver".into(), h.clone());
    handlers.insert("also".into(), h.clone());
    let r = JobRunner::new(db.store.clone(), handlers)
        .clock(c.clone())
        .only_handled();
    let report = r.run_pending().await.unwrap();
    assert_eq!(
        report,
        qyzmet_store::jobs::RunReport {
            succeeded: 3,
            retried: 0,
            dead: 0
        }
    );
    assert_eq!(h.ran.lock().unwrap().len(), 3);
    // The others wait, untried, for a runner that has their handlers.
    let pending = s.jobs(JobStatus::Pending).await.unwrap();
    let mut kinds: Vec<_> = pending
        .iter()
        .map(|j| (j.kind.as_str(), j.attempts))
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("gateway-send", 0), ("other", 0)]);
    let claimed = s
        .claim_jobs(t(5), t(6), 10, Some(&["gateway-send".to_owned()]))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, "gateway-send");
    // A runner for every kind claims the rest, and fails the one it has no
    // handler for.
    let all = runner(db, h, c);
    let report = all.run_pending().await.unwrap();
    assert_eq!(report.retried, 1);
    assert_eq!(s.jobs(JobStatus::Running).await.unwrap().len(), 1);
}

/// Counts runs per job, slowly, so that runners overlap.
#[derive(Default)]
struct Counter(Mutex<HashMap<i64, u32>>);

#[async_trait]
impl JobHandler for Counter {
    async fn run(&self, job: &Job) -> Result<Ran, JobError> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        *self.0.lock().unwrap().entry(job.id).or_default() += 1;
        Ok(Ran::Done)
    }
}

async fn concurrent_runners_never_run_a_job_twice(db: &Db) {
    let n = 120;
    let jobs = (0..n).map(|i| job("count", 0, json!({"i": i}))).collect();
    db.store.enqueue(jobs, t(0)).await.unwrap();
    let counter = Arc::new(Counter::default());
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let mut handlers: HashMap<String, Arc<dyn JobHandler>> = HashMap::new();
            handlers.insert("count".into(), counter.clone());
            // Small batches so that the runners interleave.
            let r = JobRunner::new(db.store.clone(), handlers);
            tokio::spawn(async move { r.run_pending().await.unwrap().succeeded })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, n);
    let counts = counter.0.lock().unwrap().clone();
    assert_eq!(counts.len(), n as usize);
    assert!(counts.values().all(|&c| c == 1), "{counts:?}");
    assert_eq!(
        db.store.jobs(JobStatus::Done).await.unwrap().len(),
        n as usize
    );
}

async fn an_expired_lease_is_claimed_again(db: &Db) {
    let s = db.store.as_ref();
    s.enqueue(vec![job("deliver", 0, json!({}))], t(0))
        .await
        .unwrap();
    let claimed = s.claim_jobs(t(1), t(6), 10, None).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].status, JobStatus::Running);
    assert_eq!(claimed[0].locked_until, Some(t(6)));
    // While the lease holds, nobody else gets it.
    assert!(s
        .claim_jobs(t(5), t(10), 10, None)
        .await
        .unwrap()
        .is_empty());
    // The claimer died: after the lease, another runner takes it over.
    let again = s.claim_jobs(t(7), t(12), 10, None).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[0].id);
    s.finish_job(again[0].id, t(8)).await.unwrap();
    // The first claimer's late failure does not revive a finished job.
    s.fail_job(claimed[0].id, "late", None, t(9)).await.unwrap();
    let j = s.job(claimed[0].id).await.unwrap();
    assert_eq!((j.status, j.attempts), (JobStatus::Done, 0));
}

async fn the_background_runner_stops_on_shutdown(db: &Db) {
    let h = Arc::new(Recorder::default());
    let mut handlers: HashMap<String, Arc<dyn JobHandler>> = HashMap::new();
    handlers.insert("deliver".into(), h.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = JobRunner::new(db.store.clone(), handlers).spawn(Duration::from_millis(10), async {
        let _ = stopped.await;
    });
    db.store
        .enqueue(vec![job("deliver", 0, json!({"name": "bg"}))], t(0))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while db.store.jobs(JobStatus::Done).await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the runner stops")
        .unwrap();
    assert_eq!(h.ran.lock().unwrap().len(), 1);
}

/// A runner polling once an hour runs jobs as soon as it is woken, up to
/// two at once, and every job once.
async fn a_woken_runner_runs_jobs_before_its_next_poll_and_in_parallel(db: &Db) {
    let h = Arc::new(Recorder::default());
    let mut handlers: HashMap<String, Arc<dyn JobHandler>> = HashMap::new();
    handlers.insert("deliver".into(), h.clone());
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = JobRunner::new(db.store.clone(), handlers)
        .wake_on(wake.clone())
        .parallel(2)
        .spawn(Duration::from_secs(3600), async {
            let _ = stopped.await;
        });
    for round in 0..2 {
        let jobs = (0..5)
            .map(|k| job("deliver", 0, json!({"name": format!("w{round}-{k}")})))
            .collect();
        db.store.enqueue(jobs, t(0)).await.unwrap();
        wake.notify_one();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while db.store.jobs(JobStatus::Done).await.unwrap().len() < 5 * (round + 1) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "woken, the runner did not run"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the runner stops")
        .unwrap();
    let mut ran = h.ran.lock().unwrap().clone();
    ran.sort_unstable();
    ran.dedup();
    assert_eq!(ran.len(), 10);
    assert_eq!(h.ran.lock().unwrap().len(), 10, "each job ran once");
}

// --- lists -------------------------------------------------------------------------

async fn page_all(s: &dyn Store, filter: &ListFilter, limit: u32) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = s
            .list_applications(filter, limit, cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= limit as usize);
        seen.extend(page.items.into_iter().map(|a| a.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
}

async fn lists_filter_and_page_without_gaps(db: &Db) {
    let s = db.store.as_ref();
    for n in 0..25u32 {
        let mut r = row(
            match n % 5 {
                0 => "completed",
                2 => "paused",
                _ => "in-progress",
            },
            // Several cases share a deadline; some have none.
            if n % 7 == 3 {
                None
            } else {
                Some(i64::from(n % 4) * 10)
            },
        );
        r.created_at = t(i64::from(n / 3));
        r.service = if n % 2 == 0 {
            "adoption-payment"
        } else {
            "meeting-permission"
        }
        .into();
        r.assignee = (n % 3 == 0).then(|| "specialist".into());
        r.overdue = n % 6 == 1;
        r.channel = if n % 4 == 0 { "portal" } else { "office" }.into();
        if n >= 20 {
            r.provider = "other-provider".into();
        }
        submit(s, n, r).await;
    }
    let all = s
        .list_applications(&ListFilter::default(), 500, None)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 25);
    assert_eq!(all.next_cursor, None);

    for order in [ListOrder::Newest, ListOrder::Due] {
        for limit in [1, 4, 7, 25, 26] {
            let filter = ListFilter {
                order,
                ..Default::default()
            };
            let ids = page_all(s, &filter, limit).await;
            let unique: HashSet<&String> = ids.iter().collect();
            assert_eq!(ids.len(), 25, "{order:?} {limit}: no duplicates");
            assert_eq!(unique.len(), 25, "{order:?} {limit}: no gaps");
        }
    }

    // Newest first, then by id, descending.
    let newest = s
        .list_applications(&ListFilter::default(), 3, None)
        .await
        .unwrap();
    assert_eq!(newest.items[0].row.created_at, t(8));
    // Earliest deadline first, no deadline last.
    let due = page_all(
        s,
        &ListFilter {
            order: ListOrder::Due,
            ..Default::default()
        },
        4,
    )
    .await;
    let mut last = None;
    for id in &due {
        let d = s
            .get(id)
            .await
            .unwrap()
            .row
            .due_at
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        assert!(last.is_none_or(|l| l <= d));
        last = Some(d);
    }

    // Each filter lists what it should, and counts as many, or its cap.
    let check = |filter: ListFilter, pred: fn(u32) -> bool| async move {
        let mut got = page_all(s, &filter, 3).await;
        got.sort();
        let want: Vec<String> = (0..25).filter(|n| pred(*n)).map(id).collect();
        assert_eq!(got, want, "{filter:?}");
        let n = want.len() as u64;
        assert!(n >= 2, "{filter:?}");
        assert_eq!(s.count_applications(&filter, 100).await.unwrap(), n);
        assert_eq!(s.count_applications(&filter, 2).await.unwrap(), 2);
    };
    check(
        ListFilter {
            service: Some("meeting-permission".into()),
            ..Default::default()
        },
        |n| n % 2 == 1,
    )
    .await;
    check(
        ListFilter {
            statuses: vec!["in-progress".into(), "paused".into()],
            assignee: Some("specialist".into()),
            order: ListOrder::Due,
            ..Default::default()
        },
        |n| n % 5 != 0 && n % 3 == 0,
    )
    .await;
    check(
        ListFilter {
            overdue: Some(true),
            ..Default::default()
        },
        |n| n % 6 == 1,
    )
    .await;
    check(
        ListFilter {
            provider: Some("karaganda-city-education".into()),
            statuses: vec!["in-progress".into()],
            step_role: Some("clerk".into()),
            order: ListOrder::Due,
            ..Default::default()
        },
        |n| n < 20 && n % 5 != 0 && n % 5 != 2,
    )
    .await;
    check(
        ListFilter {
            channel: Some("portal".into()),
            ..Default::default()
        },
        |n| n % 4 == 0,
    )
    .await;

    // Several statuses of one provider, page by page: the cases of the one
    // list of all, in its order, without the others (the store merges one
    // ordered list a status).
    for order in [ListOrder::Newest, ListOrder::Due] {
        let all = page_all(
            s,
            &ListFilter {
                order,
                ..Default::default()
            },
            25,
        )
        .await;
        let mut want = Vec::new();
        for id in &all {
            let row = s.get(id).await.unwrap().row;
            let open = row.status == "in-progress" || row.status == "paused";
            if open && row.provider == "karaganda-city-education" {
                want.push(id.clone());
            }
        }
        assert!(want.len() > 3 && want.len() < all.len());
        for limit in [1, 2, 5, 25] {
            let filter = ListFilter {
                order,
                statuses: vec!["paused".into(), "in-progress".into()],
                provider: Some("karaganda-city-education".into()),
                ..Default::default()
            };
            assert_eq!(page_all(s, &filter, limit).await, want, "{order:?} {limit}");
        }
        // A status asked twice lists its cases once.
        let twice = ListFilter {
            order,
            statuses: vec!["in-progress".into(), "paused".into(), "in-progress".into()],
            provider: Some("karaganda-city-education".into()),
            ..Default::default()
        };
        assert_eq!(page_all(s, &twice, 4).await, want, "{order:?} twice");
    }

    // A cursor is tied to its order and cannot be forged from garbage.
    let first = s
        .list_applications(&ListFilter::default(), 2, None)
        .await
        .unwrap();
    let c = first.next_cursor.unwrap();
    let due_filter = ListFilter {
        order: ListOrder::Due,
        ..Default::default()
    };
    assert_eq!(
        s.list_applications(&due_filter, 2, Some(&c))
            .await
            .unwrap_err(),
        StoreError::InvalidCursor
    );
    assert_eq!(
        s.list_applications(&ListFilter::default(), 2, Some("zz'; drop"))
            .await
            .unwrap_err(),
        StoreError::InvalidCursor
    );
}

async fn the_applicant_sees_every_case_with_their_iin(db: &Db) {
    let s = db.store.as_ref();
    for (n, (iin, channel)) in [
        ("871008401427", "office"),
        ("760212350620", "portal"),
        ("871008401427", "state-corporation"),
        ("871008401427", "portal"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = row("in-progress", None);
        r.applicant_iin = iin.into();
        r.channel = channel.into();
        submit(s, n as u32, r).await;
    }
    let filter = ListFilter {
        applicant_iin: Some("871008401427".into()),
        ..Default::default()
    };
    let mut got = page_all(s, &filter, 2).await;
    got.sort();
    assert_eq!(got, vec![id(0), id(2), id(3)]);
    let other = s
        .list_applications(
            &ListFilter {
                applicant_iin: Some("000000000000".into()),
                ..Default::default()
            },
            10,
            None,
        )
        .await
        .unwrap();
    assert!(other.items.is_empty());

    // A party is the applicant or the representative: the portal case of
    // 760212350620 made by 871008401427 as representative counts for both.
    let mut r = row("in-progress", None);
    r.applicant_iin = "760212350620".into();
    r.representative_iin = Some("871008401427".into());
    submit(s, 4, r).await;
    let party = |iin: &str| ListFilter {
        party_iin: Some(iin.into()),
        ..Default::default()
    };
    let mut got = page_all(s, &party("871008401427"), 2).await;
    got.sort();
    assert_eq!(got, vec![id(0), id(2), id(3), id(4)]);
    let mut got = page_all(s, &party("760212350620"), 2).await;
    got.sort();
    assert_eq!(got, vec![id(1), id(4)]);
}

async fn steps_falling_due_finds_passed_deadlines(db: &Db) {
    let s = db.store.as_ref();
    submit(s, 1, row("in-progress", Some(30))).await;
    submit(s, 2, row("in-progress", Some(10))).await;
    submit(s, 3, row("in-progress", Some(90))).await;
    submit(s, 4, row("paused", None)).await;
    let mut already = row("in-progress", Some(5));
    already.overdue = true;
    submit(s, 5, already).await;

    assert_eq!(s.steps_falling_due(t(10), 10).await.unwrap(), vec![]);
    assert_eq!(
        s.steps_falling_due(t(60), 10).await.unwrap(),
        vec![(id(2), 1), (id(1), 1)]
    );
    assert_eq!(
        s.steps_falling_due(t(60), 1).await.unwrap(),
        vec![(id(2), 1)]
    );
    // The deadline worker marks it; it falls due no more.
    let mut marked = row("in-progress", Some(10));
    marked.overdue = true;
    let rev = s
        .append(
            &id(2),
            1,
            change(marked, vec![event("step-overdue", 10, json!({}))]),
        )
        .await
        .unwrap();
    assert_eq!(rev, 2);
    assert_eq!(
        s.steps_falling_due(t(60), 10).await.unwrap(),
        vec![(id(1), 1)]
    );
}

async fn claims_of_falling_due_divide_the_work(db: &Db) {
    let s = db.store.as_ref();
    submit(s, 1, row("in-progress", Some(30))).await;
    submit(s, 2, row("in-progress", Some(10))).await;
    submit(s, 3, row("in-progress", Some(20))).await;
    submit(s, 4, row("in-progress", Some(90))).await;

    // One node claims the two earliest; another node's claim skips them.
    assert_eq!(
        s.claim_falling_due(t(60), t(70), 2).await.unwrap(),
        vec![(id(2), 1), (id(3), 1)]
    );
    assert_eq!(
        s.claim_falling_due(t(60), t(70), 10).await.unwrap(),
        vec![(id(1), 1)]
    );
    assert_eq!(s.claim_falling_due(t(61), t(71), 10).await.unwrap(), vec![]);
    // The read-only view still sees them until they are ticked.
    assert_eq!(s.steps_falling_due(t(60), 10).await.unwrap().len(), 3);
    // A claim whose node died runs out, and the work is taken again.
    assert_eq!(
        s.claim_falling_due(t(75), t(85), 10).await.unwrap(),
        vec![(id(2), 1), (id(3), 1), (id(1), 1)]
    );
}

async fn counts_add_up_applications_and_the_outbox(db: &Db) {
    let s = db.store.as_ref();
    assert_eq!(s.counts().await.unwrap(), Counts::default());

    submit(s, 1, row("in-progress", Some(30))).await;
    submit(s, 2, row("in-progress", Some(10))).await;
    submit(s, 3, row("paused", None)).await;
    let mut late = row("in-progress", Some(5));
    late.overdue = true;
    submit(s, 4, late).await;
    s.enqueue(
        vec![
            job("deliver", 0, json!({"n": 1})),
            job("deliver", 0, json!({"n": 2})),
            job("deliver", 0, json!({"n": 3})),
        ],
        t(0),
    )
    .await
    .unwrap();
    let claimed = s.claim_jobs(t(1), t(10), 2, None).await.unwrap();
    assert_eq!(claimed.len(), 2);
    // One dies, one finishes, one waits; a running job is still in the outbox.
    s.fail_job(claimed[0].id, "refused", None, t(2))
        .await
        .unwrap();

    let c = s.counts().await.unwrap();
    assert_eq!(
        c.by_status,
        vec![("in-progress".to_owned(), 3), ("paused".to_owned(), 1)]
    );
    assert_eq!(c.overdue, 1);
    assert_eq!((c.outbox_pending, c.outbox_dead), (2, 1));

    s.finish_job(claimed[1].id, t(3)).await.unwrap();
    let c = s.counts().await.unwrap();
    assert_eq!((c.outbox_pending, c.outbox_dead), (1, 1));
}

async fn audit_verify_names_the_tampered_event(db: &Db) {
    let s = db.store.as_ref();
    for n in 1..=3 {
        submit(s, n, row("in-progress", None)).await;
        for k in 0..3 {
            s.append(
                &id(n),
                k + 1,
                change(
                    row("in-progress", None),
                    vec![event("e", k, json!({"k": k}))],
                ),
            )
            .await
            .unwrap();
        }
    }
    let report = s.audit_verify().await.unwrap();
    assert_eq!((report.applications, report.events), (3, 12));

    let tamper = format!(
        "update events set data = '{{\"k\":99}}' where application_id = '{}' and seq = 3",
        id(2)
    );
    // The schema refuses changes to history...
    assert!(db.raw(&tamper).await.is_err());
    assert!(s.audit_verify().await.is_ok());
    // ...but someone with the database in hand can drop the guard.
    let drop = if db.pg.is_some() {
        "drop trigger events_no_update on events"
    } else {
        "drop trigger events_no_update"
    };
    db.raw(drop).await.unwrap();
    assert_eq!(db.raw(&tamper).await.unwrap(), 1);
    match s.audit_verify().await.unwrap_err() {
        AuditError::Broken {
            application_id,
            brk,
        } => {
            assert_eq!(application_id, id(2));
            assert_eq!(brk.seq, 3);
            let shown = AuditError::Broken {
                application_id,
                brk,
            }
            .to_string();
            assert!(
                shown.starts_with(&format!("broken: application {}, event 3: ", id(2))),
                "{shown}"
            );
        }
        other => panic!("{other}"),
    }
}

async fn assert_broken(s: &dyn Store, application: &str, seq: i64, why: &str) {
    match s.audit_verify().await.unwrap_err() {
        AuditError::Broken {
            application_id,
            brk,
        } => {
            assert_eq!(application_id, application);
            assert_eq!((brk.seq, brk.why.as_str()), (seq, why));
        }
        other => panic!("{other}"),
    }
}

async fn audit_verify_catches_a_chain_cut_short(db: &Db) {
    let s = db.store.as_ref();
    for n in 1..=3 {
        submit(s, n, row("in-progress", None)).await;
    }
    // Two events in one append, one in the next, none in the last: rev is
    // not the number of events.
    s.append(
        &id(2),
        1,
        change(
            row("in-progress", None),
            vec![event("a", 1, json!({})), event("b", 1, json!({}))],
        ),
    )
    .await
    .unwrap();
    s.append(
        &id(2),
        2,
        change(row("in-progress", None), vec![event("c", 2, json!({}))]),
    )
    .await
    .unwrap();
    s.append(&id(2), 3, change(row("in-progress", None), vec![]))
        .await
        .unwrap();
    assert_eq!(s.get(&id(2)).await.unwrap().rev, 4);
    let report = s.audit_verify().await.unwrap();
    assert_eq!((report.applications, report.events), (3, 6));

    // The last event goes: every link left still holds.
    let cut = format!(
        "delete from events where application_id = '{}' and seq = 4",
        id(2)
    );
    assert!(db.raw(&cut).await.is_err(), "the schema refuses it");
    let drop = if db.pg.is_some() {
        "drop trigger events_no_update on events"
    } else {
        "drop trigger events_no_delete"
    };
    db.raw(drop).await.unwrap();
    assert_eq!(db.raw(&cut).await.unwrap(), 1);
    audit::verify(&s.events(&id(2)).await.unwrap()).unwrap();
    assert_broken(
        s,
        &id(2),
        4,
        "events missing after seq 3 (the read model counts 4)",
    )
    .await;

    // Cut down to nothing.
    db.raw(&format!(
        "delete from events where application_id = '{}'",
        id(2)
    ))
    .await
    .unwrap();
    assert_broken(
        s,
        &id(2),
        1,
        "events missing after seq 0 (the read model counts 4)",
    )
    .await;
}

async fn audit_verify_reports_an_application_without_events(db: &Db) {
    let s = db.store.as_ref();
    submit(s, 1, row("in-progress", None)).await;
    s.create(new_app(&id(2), change(row("in-progress", None), vec![])))
        .await
        .unwrap();
    assert_broken(s, &id(2), 1, "the application has no events").await;
}

// --- attachments -----------------------------------------------------------------

fn attachment(kind: &str, name: &str, content: Vec<u8>) -> NewAttachment {
    NewAttachment {
        kind: kind.into(),
        name: name.into(),
        media_type: "application/pdf".into(),
        content,
    }
}

/// Bytes of every value, NULs and invalid UTF-8 included, `len` long.
fn bytes(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

fn sha256_hex(content: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(content))
}

async fn attachments_are_written_with_the_change(db: &Db) {
    let s = db.store.as_ref();
    let certificate = bytes(3 * 1024 * 1024 + 7, 1);
    let photo = bytes(1000, 2);
    let mut c = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    c.attachments = vec![
        attachment(
            "birth-certificate",
            "свидетельство.pdf",
            certificate.clone(),
        ),
        attachment("photo", "photo.jpg", photo.clone()),
    ];
    c.attachments[1].media_type = "image/jpeg".into();
    s.create(new_app(&id(1), c)).await.unwrap();
    submit(s, 2, row("in-progress", None)).await;

    let metas = s.attachments(&id(1)).await.unwrap();
    assert_eq!(
        metas[0],
        AttachmentMeta {
            idx: 1,
            kind: "birth-certificate".into(),
            name: "свидетельство.pdf".into(),
            media_type: "application/pdf".into(),
            size: 3 * 1024 * 1024 + 7,
            sha256: sha256_hex(&certificate),
            created_at: t(0),
        }
    );
    assert_eq!(metas[1].idx, 2);
    assert_eq!(metas[1].media_type, "image/jpeg");
    assert_eq!(metas[1].size, 1000);
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );

    let (meta, content) = s.attachment(&id(1), 1).await.unwrap();
    assert_eq!(meta, metas[0]);
    assert!(
        content == certificate,
        "the content round-trips byte for byte"
    );
    let (_, content) = s.attachment(&id(1), 2).await.unwrap();
    assert_eq!(content, photo);

    // The next append continues the numbering, another case has its own.
    let mut next = row("in-progress", None);
    next.updated_at = t(5);
    let mut c = change(next, vec![event("supplemented", 5, json!({}))]);
    c.attachments = vec![attachment("statement", "заявление.pdf", vec![])];
    s.append(&id(1), 1, c).await.unwrap();
    let mut c = change(row("in-progress", None), vec![event("x", 6, json!({}))]);
    c.attachments = vec![attachment("statement", "s.pdf", vec![0, 255, 0])];
    s.append(&id(2), 1, c).await.unwrap();
    let mut c = change(row("in-progress", None), vec![event("y", 7, json!({}))]);
    c.attachments = vec![
        attachment("a", "a.pdf", vec![1]),
        attachment("b", "b.pdf", vec![2]),
    ];
    s.append(&id(1), 2, c).await.unwrap();

    let metas = s.attachments(&id(1)).await.unwrap();
    let got: Vec<(i64, &str)> = metas.iter().map(|m| (m.idx, m.kind.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, "birth-certificate"),
            (2, "photo"),
            (3, "statement"),
            (4, "a"),
            (5, "b")
        ]
    );
    assert_eq!((metas[2].size, metas[2].created_at), (0, t(5)));
    assert_eq!(metas[2].sha256, sha256_hex(&[]));
    assert_eq!(s.attachment(&id(1), 3).await.unwrap().1, Vec::<u8>::new());
    assert_eq!(s.attachment(&id(1), 5).await.unwrap().1, vec![2]);
    let other = s.attachments(&id(2)).await.unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].idx, 1);
    assert_eq!(s.attachment(&id(2), 1).await.unwrap().1, vec![0, 255, 0]);

    for (app, idx) in [(id(1), 6), (id(1), 0), (id(1), i64::MAX), (id(99), 1)] {
        assert_eq!(
            s.attachment(&app, idx).await.unwrap_err(),
            StoreError::NotFound
        );
    }
    assert_eq!(s.attachments(&id(99)).await.unwrap(), vec![]);
    s.audit_verify().await.unwrap();
}

async fn attachments_are_not_written_by_a_failed_append(db: &Db) {
    let s = db.store.as_ref();
    let mut c = change(
        row("in-progress", None),
        vec![event("submitted", 0, json!({}))],
    );
    c.attachments = vec![attachment("passport", "p.pdf", bytes(100, 3))];
    s.create(new_app(&id(1), c)).await.unwrap();
    s.append(
        &id(1),
        1,
        change(row("in-progress", None), vec![event("x", 1, json!({}))]),
    )
    .await
    .unwrap();

    let mut stale = change(row("in-progress", None), vec![event("y", 2, json!({}))]);
    stale.attachments = vec![attachment("late", "late.pdf", bytes(50, 4))];
    assert_eq!(
        s.append(&id(1), 1, stale.clone()).await.unwrap_err(),
        StoreError::Stale
    );
    assert_eq!(
        s.append(&id(99), 1, stale.clone()).await.unwrap_err(),
        StoreError::NotFound
    );
    // A create that fails (a taken id) writes none of its attachments either.
    assert_eq!(
        s.create(new_app(&id(1), stale.clone())).await.unwrap_err(),
        StoreError::Duplicate("applications_pkey".into())
    );
    assert_eq!(db.count("attachments").await, 1);
    assert_eq!(s.attachments(&id(1)).await.unwrap().len(), 1);

    // At the current rev it goes in, numbered after the first.
    s.append(&id(1), 2, stale).await.unwrap();
    let metas = s.attachments(&id(1)).await.unwrap();
    assert_eq!(metas.iter().map(|m| m.idx).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(metas[1].sha256, sha256_hex(&bytes(50, 4)));
}

// --- documents ---------------------------------------------------------------------

fn document(app: &str, kind: &str, pdf: Vec<u8>) -> NewDocument {
    NewDocument {
        code: format!("code-{app}"),
        application_id: app.into(),
        purpose: "result".into(),
        kind: kind.into(),
        number: "KRG-2026-000001".into(),
        issuer: "Қарағанды қаласының білім бөлімі".into(),
        pdf,
        shared: vec![],
        created_at: t(5),
    }
}

/// Two parts that PDFs share (fonts, in real ones).
static PART_A: [u8; 700] = [7; 700];
static PART_B: [u8; 300] = [9; 300];
static PART_C: [u8; 500] = [11; 500];

/// `bytes` from offset `at`, named by their sha256.
fn part(at: usize, bytes: &'static [u8]) -> SharedPart {
    SharedPart {
        at,
        bytes,
        sha256: Box::leak(sha256_hex(bytes).into_boxed_str()),
    }
}

/// A PDF with `PART_A` and `second` in it, its own bytes around them
/// (`seed` tells documents apart), and where the parts lie.
fn pdf_with_parts(seed: u8, second: &'static [u8]) -> (Vec<u8>, Vec<SharedPart>) {
    let mut pdf = bytes(40, seed);
    let a = pdf.len();
    pdf.extend_from_slice(&PART_A);
    pdf.extend_from_slice(&bytes(25, seed.wrapping_add(1)));
    let b = pdf.len();
    pdf.extend_from_slice(second);
    pdf.extend_from_slice(&bytes(60, seed.wrapping_add(2)));
    (pdf, vec![part(a, &PART_A), part(b, second)])
}

fn seal_of(app: &str, pdf: &[u8]) -> DocumentSeal {
    DocumentSeal {
        code: format!("code-{app}"),
        sha256: sha256_hex(pdf),
        cms: vec![0x30, 0x82, 1, 2],
        signer: "HEAD".into(),
        at: t(9),
        draft: None,
    }
}

/// A render job's document and the job's end are one write: both land, or
/// (a document that cannot be stored) neither, and the job stays running
/// for the runner to record its failure.
async fn a_render_job_ends_with_its_document(db: &Db) {
    let s = db.store.as_ref();
    let app = submit(s, 1, row("in-progress", None)).await;
    s.enqueue(
        vec![
            job("render", 0, json!({"n": 1})),
            job("render", 0, json!({"n": 2})),
        ],
        t(0),
    )
    .await
    .unwrap();
    let claimed = s.claim_jobs(t(1), t(5), 10, None).await.unwrap();
    assert_eq!(claimed.len(), 2);

    // Refused inside the write (no such application): the job's end is
    // rolled back with it.
    let orphan = document("no-such-application", "approval", bytes(300, 1));
    assert!(s
        .put_document_finishing(orphan, claimed[0].id, t(2))
        .await
        .is_err());
    assert_eq!(
        s.job(claimed[0].id).await.unwrap().status,
        JobStatus::Running
    );
    assert_eq!(
        s.document("code-no-such-application").await.unwrap_err(),
        StoreError::NotFound
    );

    assert!(
        s.put_document_finishing(
            document(&app, "approval", bytes(300, 1)),
            claimed[0].id,
            t(2)
        )
        .await
        .unwrap()
        .written
    );
    assert_eq!(s.job(claimed[0].id).await.unwrap().status, JobStatus::Done);
    assert_eq!(
        s.job(claimed[1].id).await.unwrap().status,
        JobStatus::Running
    );
    assert_eq!(
        s.document(&format!("code-{app}")).await.unwrap().pdf,
        bytes(300, 1)
    );
    // Run again (a lease that ran out): nothing new, and no error.
    assert!(
        !s.put_document_finishing(
            document(&app, "approval", bytes(300, 1)),
            claimed[0].id,
            t(3)
        )
        .await
        .unwrap()
        .written
    );
    // The second job's document was stored by the first (the same bytes):
    // nothing is written, and the job still ends.
    let same = s
        .put_document_finishing(
            document(&app, "approval", bytes(300, 1)),
            claimed[1].id,
            t(3),
        )
        .await
        .unwrap();
    assert!(!same.written);
    assert_eq!(s.job(claimed[1].id).await.unwrap().status, JobStatus::Done);
}

async fn documents_draft_replaced_until_sealed(db: &Db) {
    let s = db.store.as_ref();
    let app = submit(s, 1, row("in-progress", None)).await;
    assert_eq!(
        s.document("code-x").await.unwrap_err(),
        StoreError::NotFound
    );

    assert!(s
        .put_document(document(&app, "approval", bytes(300, 1)))
        .await
        .unwrap());
    // The same bytes again (a job run twice) writes nothing.
    assert!(!s
        .put_document(document(&app, "approval", bytes(300, 1)))
        .await
        .unwrap());
    // A draft made again (after a return) replaces the unsealed one.
    assert!(s
        .put_document(document(&app, "refusal", bytes(200, 2)))
        .await
        .unwrap());
    let d = s.document(&format!("code-{app}")).await.unwrap();
    assert_eq!((d.kind.as_str(), d.pdf.clone()), ("refusal", bytes(200, 2)));
    assert_eq!(d.sha256, sha256_hex(&bytes(200, 2)));
    assert_eq!(d.issuer, "Қарағанды қаласының білім бөлімі");
    assert!(d.seal.is_none() && d.signer.is_none() && d.sealed_at.is_none());

    s.append_sealed(
        &app,
        1,
        change(
            row("in-progress", None),
            vec![event("step-completed", 9, json!({}))],
        ),
        seal_of(&app, &bytes(200, 2)),
    )
    .await
    .unwrap();
    let d = s.document(&format!("code-{app}")).await.unwrap();
    assert_eq!(d.seal, Some(vec![0x30, 0x82, 1, 2]));
    assert_eq!(d.signer.as_deref(), Some("HEAD"));
    assert_eq!(d.sealed_at, Some(t(9)));
    // Sealed, it never changes.
    assert!(!s
        .put_document(document(&app, "approval", bytes(300, 1)))
        .await
        .unwrap());
    assert_eq!(
        s.document(&format!("code-{app}")).await.unwrap().pdf,
        bytes(200, 2)
    );
    // A document names an application that exists.
    assert!(s
        .put_document(document(&id(77), "approval", bytes(1, 1)))
        .await
        .is_err());
}

async fn a_seal_is_written_with_its_change_or_not_at_all(db: &Db) {
    let s = db.store.as_ref();
    let app = submit(s, 1, row("in-progress", None)).await;
    let pdf = bytes(300, 1);
    s.put_document(document(&app, "approval", pdf.clone()))
        .await
        .unwrap();
    let next = || {
        change(
            row("in-progress", None),
            vec![event("step-completed", 9, json!({}))],
        )
    };

    // A stale rev: neither the events nor the seal.
    assert_eq!(
        s.append_sealed(&app, 7, next(), seal_of(&app, &pdf))
            .await
            .unwrap_err(),
        StoreError::Stale
    );
    // Other bytes than the draft's: neither.
    assert_eq!(
        s.append_sealed(&app, 1, next(), seal_of(&app, b"other"))
            .await
            .unwrap_err(),
        StoreError::Stale
    );
    // No such document: neither.
    let mut missing = seal_of(&app, &pdf);
    missing.code = "nothing".into();
    assert_eq!(
        s.append_sealed(&app, 1, next(), missing).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(s.get(&app).await.unwrap().rev, 1);
    assert_eq!(s.events(&app).await.unwrap().len(), 1);
    assert!(s
        .document(&format!("code-{app}"))
        .await
        .unwrap()
        .seal
        .is_none());

    assert_eq!(
        s.append_sealed(&app, 1, next(), seal_of(&app, &pdf))
            .await
            .unwrap(),
        2
    );
    assert_eq!(s.events(&app).await.unwrap().len(), 2);
    // Sealed once: a second seal at the new rev is refused and writes nothing.
    assert_eq!(
        s.append_sealed(&app, 2, next(), seal_of(&app, &pdf))
            .await
            .unwrap_err(),
        StoreError::Stale
    );
    assert_eq!(s.get(&app).await.unwrap().rev, 2);
}

async fn a_seal_may_bring_its_draft(db: &Db) {
    let s = db.store.as_ref();
    let app = submit(s, 1, row("in-progress", None)).await;
    let pdf = bytes(300, 2);
    let next = || {
        change(
            row("in-progress", None),
            vec![event("step-completed", 9, json!({}))],
        )
    };
    // The step as the engine sends it: naming the head it follows (on
    // PostgreSQL the step and its sealed draft are then one statement).
    let named = |head: ChainHead| Change {
        follows: Some(head),
        ..next()
    };
    let head = s.get(&app).await.unwrap().head;
    let with_draft = || DocumentSeal {
        draft: Some(document(&app, "approval", pdf.clone())),
        ..seal_of(&app, &pdf)
    };
    // A stale rev: neither the draft, nor the events, nor the seal.
    assert_eq!(
        s.append_sealed(&app, 7, named(head.clone()), with_draft())
            .await
            .unwrap_err(),
        StoreError::Stale
    );
    assert_eq!(
        s.document(&format!("code-{app}")).await.unwrap_err(),
        StoreError::NotFound
    );
    // At the rev: the draft stored and sealed with the step.
    assert_eq!(
        s.append_sealed(&app, 1, named(head.clone()), with_draft())
            .await
            .unwrap(),
        2
    );
    let doc = s.document(&format!("code-{app}")).await.unwrap();
    assert_eq!(doc.pdf, pdf);
    assert_eq!(doc.sha256, sha256_hex(&pdf));
    assert!(doc.seal.is_some());
    // The render job storing the same draft afterwards changes nothing.
    assert!(!s
        .put_document(document(&app, "approval", pdf.clone()))
        .await
        .unwrap());
    // A second seal bringing a draft (another's bytes) for a sealed
    // document: stale, and its step is not written either.
    let events = s.events(&app).await.unwrap().len();
    let again = DocumentSeal {
        draft: Some(document(&app, "approval", bytes(300, 9))),
        ..seal_of(&app, &bytes(300, 9))
    };
    let head = s.get(&app).await.unwrap().head;
    assert_eq!(
        s.append_sealed(&app, 2, named(head.clone()), again)
            .await
            .unwrap_err(),
        StoreError::Stale
    );
    // The same without naming the head (the store reads it).
    let again = DocumentSeal {
        draft: Some(document(&app, "approval", bytes(300, 9))),
        ..seal_of(&app, &bytes(300, 9))
    };
    assert_eq!(
        s.append_sealed(&app, 2, next(), again).await.unwrap_err(),
        StoreError::Stale
    );
    assert_eq!(s.get(&app).await.unwrap().rev, 2);
    assert_eq!(s.events(&app).await.unwrap().len(), events);
    assert_eq!(s.document(&format!("code-{app}")).await.unwrap(), doc);
    // A draft the job stored first (the same bytes) is sealed as it is.
    let other = submit(s, 2, row("in-progress", None)).await;
    let pdf2 = bytes(300, 3);
    s.put_document(document(&other, "approval", pdf2.clone()))
        .await
        .unwrap();
    let seal = DocumentSeal {
        draft: Some(document(&other, "approval", pdf2.clone())),
        ..seal_of(&other, &pdf2)
    };
    assert_eq!(s.append_sealed(&other, 1, next(), seal).await.unwrap(), 2);
    assert!(s
        .document(&format!("code-{other}"))
        .await
        .unwrap()
        .seal
        .is_some());
}

/// A document with shared parts reads back whole, byte for byte, however
/// it was stored: by the render job, or with its seal (with a part of its
/// own that no document stored before, and one it shares); a part that is
/// not where the document says, or not named by its sha256, is refused.
async fn a_document_with_shared_parts_reads_back_whole(db: &Db) {
    let s = db.store.as_ref();
    let one = submit(s, 1, row("in-progress", None)).await;
    let two = submit(s, 2, row("in-progress", None)).await;
    let (pdf1, shared1) = pdf_with_parts(1, &PART_B);
    let (pdf2, shared2) = pdf_with_parts(2, &PART_C);
    let mut doc = document(&one, "approval", pdf1.clone());
    doc.shared = shared1.clone();
    assert!(s.put_document(doc).await.unwrap());
    let stored = s.document(&format!("code-{one}")).await.unwrap();
    assert_eq!(stored.pdf, pdf1);
    assert_eq!(stored.sha256, sha256_hex(&pdf1));
    // The second document, drafted at its seal, shares the same parts.
    let seal = DocumentSeal {
        draft: Some(NewDocument {
            shared: shared2,
            ..document(&two, "approval", pdf2.clone())
        }),
        ..seal_of(&two, &pdf2)
    };
    let next = change(
        row("in-progress", None),
        vec![event("step-completed", 9, json!({}))],
    );
    assert_eq!(s.append_sealed(&two, 1, next, seal).await.unwrap(), 2);
    let sealed = s.document(&format!("code-{two}")).await.unwrap();
    assert_eq!(sealed.pdf, pdf2);
    assert!(sealed.seal.is_some());
    // Another node (or this one after a restart) has not stored the parts
    // itself: it reads them from the database, and the same PDFs come back.
    let other = connect(&db.url).await.unwrap();
    assert_eq!(
        other.document(&format!("code-{one}")).await.unwrap().pdf,
        pdf1
    );
    assert_eq!(
        other.document(&format!("code-{two}")).await.unwrap().pdf,
        pdf2
    );
    other.close().await;
    // The same draft again changes nothing; a draft without parts replaces it.
    let mut again = document(&one, "approval", pdf1.clone());
    again.shared = shared1.clone();
    assert!(!s.put_document(again).await.unwrap());
    let plain = bytes(500, 8);
    assert!(s
        .put_document(document(&one, "approval", plain.clone()))
        .await
        .unwrap());
    assert_eq!(s.document(&format!("code-{one}")).await.unwrap().pdf, plain);
    // A part that does not lie where it says.
    let mut wrong = document(&one, "approval", pdf1.clone());
    wrong.shared = vec![part(shared1[0].at + 1, &PART_A)];
    assert!(matches!(
        s.put_document(wrong).await.unwrap_err(),
        StoreError::Other(_)
    ));
    let mut past_the_end = document(&one, "approval", pdf1.clone());
    past_the_end.shared = vec![part(pdf1.len() - 10, &PART_B)];
    assert!(s.put_document(past_the_end).await.is_err());
    let (pdf3, mut misnamed) = pdf_with_parts(3, &PART_B);
    misnamed[1].sha256 = misnamed[0].sha256;
    let mut wrong_name = document(&one, "approval", pdf3);
    wrong_name.shared = misnamed;
    assert!(s.put_document(wrong_name).await.is_err());
    assert_eq!(s.document(&format!("code-{one}")).await.unwrap().pdf, plain);
    // A part changed behind the stores' backs (zeroed, its length kept) is
    // caught by the PDF's sha256 where it is read from the database.
    db.raw(if db.pg.is_some() {
        "update pdf_parts set bytes = decode(repeat('00', length(bytes)), 'hex')"
    } else {
        "update pdf_parts set bytes = zeroblob(length(bytes))"
    })
    .await
    .unwrap();
    let other = connect(&db.url).await.unwrap();
    assert!(matches!(
        other.document(&format!("code-{two}")).await.unwrap_err(),
        StoreError::Other(_)
    ));
    other.close().await;
}

/// The render job storing a draft while the head seals the same draft (the
/// job had not run yet, so `sign` rendered it): both succeed, whichever
/// comes first, and the document ends sealed. On PostgreSQL the two
/// inserts once raced on the second unique key, (application, purpose),
/// which `on conflict (code)` does not arbitrate: a 500 at `sign`.
async fn a_draft_stored_while_it_is_sealed_is_no_error(db: &Db) {
    let s = db.store.as_ref();
    for n in 0..40 {
        let app = submit(s, n, row("in-progress", None)).await;
        let pdf = bytes(2000, (n % 250) as u8);
        let next = change(
            row("in-progress", None),
            vec![event("step-completed", 9, json!({}))],
        );
        let seal = DocumentSeal {
            draft: Some(document(&app, "approval", pdf.clone())),
            ..seal_of(&app, &pdf)
        };
        let (put, sealed) = tokio::join!(
            s.put_document(document(&app, "approval", pdf.clone())),
            s.append_sealed(&app, 1, next, seal),
        );
        put.unwrap();
        assert_eq!(sealed.unwrap(), 2);
        let doc = s.document(&format!("code-{app}")).await.unwrap();
        assert_eq!(doc.pdf, pdf);
        assert!(doc.seal.is_some());
    }
}

// --- administrator data, users, sessions, logins --------------------------------------

async fn administrator_edits_are_kept_in_order(db: &Db) {
    let s = db.store.as_ref();
    let a = s
        .add_calendar_edit(NewCalendarEdit {
            at: t(5),
            actor: "admin".into(),
            edit: json!({"holiday": "2026-12-17"}),
            reason: "decree 123".into(),
        })
        .await
        .unwrap();
    let b = s
        .add_calendar_edit(NewCalendarEdit {
            at: t(1),
            actor: "admin2".into(),
            edit: json!({"working_day": "2026-12-19"}),
            reason: "moved day".into(),
        })
        .await
        .unwrap();
    assert!(b > a);
    let edits = s.calendar_edits().await.unwrap();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0].edit, json!({"holiday": "2026-12-17"}));
    assert_eq!((edits[0].at, edits[0].actor.as_str()), (t(5), "admin"));
    assert_eq!(edits[1].reason, "moved day");

    for (v, until) in [("2025-01", 10), ("2026-01", 20), ("2025-01", 15)] {
        s.add_version_end(VersionEnd {
            service: "adoption-payment".into(),
            version: v.into(),
            effective_until: t(until),
            at: t(until),
            actor: "admin".into(),
        })
        .await
        .unwrap();
    }
    let ends = s.version_ends().await.unwrap();
    let got: Vec<(&str, DateTime<Utc>)> = ends
        .iter()
        .map(|e| (e.version.as_str(), e.effective_until))
        .collect();
    assert_eq!(
        got,
        vec![("2025-01", t(10)), ("2026-01", t(20)), ("2025-01", t(15))]
    );
}

fn user(name: &str, iin: Option<&str>) -> NewUser {
    NewUser {
        username: name.into(),
        role: "clerk".into(),
        provider: Some("karaganda-city-education".into()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        iin: iin.map(Into::into),
        display_name: "Айгүл Сейітқызы".into(),
        created_at: t(0),
    }
}

async fn users_and_sessions(db: &Db) {
    let s = db.store.as_ref();
    s.create_user(user("clerk", None)).await.unwrap();
    s.create_user(user("871008401427", Some("871008401427")))
        .await
        .unwrap();
    assert_eq!(
        s.create_user(user("clerk", None)).await.unwrap_err(),
        StoreError::Duplicate("users_pkey".into())
    );
    assert_eq!(
        s.create_user(user("someone", Some("871008401427")))
            .await
            .unwrap_err(),
        StoreError::Duplicate("users_iin_key".into())
    );
    let u = s.user_by_username("clerk").await.unwrap().unwrap();
    assert_eq!(u.display_name, "Айгүл Сейітқызы");
    assert!(!u.disabled);
    assert_eq!(
        s.user_by_iin("871008401427")
            .await
            .unwrap()
            .unwrap()
            .username,
        "871008401427"
    );
    assert_eq!(s.user_by_username("nobody").await.unwrap(), None);
    assert_eq!(s.user_by_iin("000000000000").await.unwrap(), None);
    s.set_user_disabled("clerk", true).await.unwrap();
    assert!(s.user_by_username("clerk").await.unwrap().unwrap().disabled);
    assert_eq!(
        s.set_user_disabled("nobody", true).await.unwrap_err(),
        StoreError::NotFound
    );
    s.set_user_password("clerk", "new-hash", None)
        .await
        .unwrap();
    assert_eq!(
        s.user_by_username("clerk")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    assert_eq!(
        s.set_user_password("nobody", "x", None).await.unwrap_err(),
        StoreError::NotFound
    );

    let session = |hash: &str, until: i64| Session {
        token_hash: hash.into(),
        username: "clerk".into(),
        expires_at: t(until),
    };
    s.create_session(session("h1", 60), t(0)).await.unwrap();
    s.create_session(session("h2", 10), t(0)).await.unwrap();
    assert_eq!(
        s.session("h1", t(59)).await.unwrap(),
        Some(session("h1", 60))
    );
    assert_eq!(s.session("h1", t(60)).await.unwrap(), None, "expired");
    assert_eq!(s.session("nope", t(0)).await.unwrap(), None);
    let user = s.session_user("h1", t(59)).await.unwrap().unwrap();
    assert_eq!((user.username.as_str(), user.disabled), ("clerk", true));
    assert_eq!(s.session_user("h1", t(60)).await.unwrap(), None, "expired");
    assert_eq!(s.session_user("nope", t(0)).await.unwrap(), None);
    s.delete_session("h1").await.unwrap();
    assert_eq!(s.session("h1", t(0)).await.unwrap(), None);
    assert_eq!(s.delete_expired_sessions(t(30)).await.unwrap(), 1);
    assert_eq!(db.count("sessions").await, 0);
}

async fn a_gateway_message_is_recorded_once(db: &Db) {
    let s = &db.store;
    let msg = |payload: &str| InboundMessage {
        message_id: "5f0c7c1e-8a52-4c36-9d7e-1d2a3b4c5d6e".into(),
        service_id: "qyzmet-provider".into(),
        sender_id: "qyzmet".into(),
        correlation_id: None,
        payload: payload.into(),
        // The package's CMS is kept with the record, to be checked again.
        package_signature: Some("MIIBsignature==".into()),
        received_at: t(10),
    };
    assert!(s.record_inbound(msg("{\"a\":1}")).await.unwrap());
    // The same message id again, even with other content, is not recorded.
    assert!(!s.record_inbound(msg("{\"a\":2}")).await.unwrap());
    assert_eq!(s.inbound_count().await.unwrap(), 1);
    let kept = s
        .inbound("5f0c7c1e-8a52-4c36-9d7e-1d2a3b4c5d6e")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept, msg("{\"a\":1}"));
    assert_eq!(s.inbound("other").await.unwrap(), None);
}

async fn failed_logins_are_counted_in_a_window(db: &Db) {
    let s = db.store.as_ref();
    for m in [0, 5, 10, 14] {
        s.record_failed_login("clerk", "10.0.0.1", t(m))
            .await
            .unwrap();
    }
    s.record_failed_login("head", "10.0.0.1", t(12))
        .await
        .unwrap();
    s.record_failed_login("clerk", "10.0.0.2", t(13))
        .await
        .unwrap();

    let at = |m| s.failed_logins_since("clerk", "10.0.0.1", t(m));
    let c = at(0).await.unwrap();
    assert_eq!((c.per_account, c.per_address), (5, 5));
    // A 15-minute window ending at minute 20 starts at minute 5.
    let c = at(5).await.unwrap();
    assert_eq!((c.per_account, c.per_address), (4, 4));
    let c = at(13).await.unwrap();
    assert_eq!((c.per_account, c.per_address), (2, 1));
    let c = at(15).await.unwrap();
    assert_eq!((c.per_account, c.per_address), (0, 0));

    assert_eq!(s.prune_failed_logins(t(10)).await.unwrap(), 2);
    let c = at(0).await.unwrap();
    assert_eq!((c.per_account, c.per_address), (3, 3));
}

// --- connecting ----------------------------------------------------------------------

#[tokio::test]
async fn connect_refuses_other_schemes_without_leaking() {
    let e = connect("mysql://localhost/x").await.err().unwrap();
    assert!(matches!(e, StoreError::Other(_)));
    assert_eq!(e.to_string(), "storage error");
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    // Port 1: nothing listens there.
    let e = connect("postgres://postgres@127.0.0.1:1/qyzmet")
        .await
        .err()
        .unwrap();
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    assert_eq!(e.to_string(), "the database is unavailable");
}

#[tokio::test]
async fn sqlite_reopens_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/q.db", dir.path().display());
    let s = connect(&url).await.unwrap();
    assert_eq!(s.backend(), "sqlite");
    submit(s.as_ref(), 1, row("in-progress", None)).await;
    s.close().await;
    let s = connect(&url).await.unwrap();
    s.ping().await.unwrap();
    assert_eq!(s.get(&id(1)).await.unwrap().number, "KRG-2026-000001");
    s.close().await;
}

#[tokio::test]
async fn event_counts_are_backfilled_from_existing_chains() {
    // A database as it was before event_count: migrated up to 0011.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0012" {
            std::fs::copy(&path, old.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}/q.db", dir.path().display());
    let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    for (n, events) in [(1u32, 3i64), (2, 1)] {
        sqlx::query(
            "insert into applications (id, number, service, version, channel, provider, \
             status, sort_due, applicant_iin, intake_actor, created_at, updated_at, rev, state) \
             values ($1, $2, 's', 'v', 'office', 'p', 'in-progress', 0, 'i', 'c', 0, 0, 1, '{}')",
        )
        .bind(id(n))
        .bind(format!("KRG-2026-{n:06}"))
        .execute(&mut conn)
        .await
        .unwrap();
        let mut prev = audit::GENESIS.to_owned();
        for seq in 1..=events {
            let e = audit::seal(&prev, seq, "e", t(seq), "clerk", json!({})).unwrap();
            sqlx::query(
                "insert into events (application_id, seq, type, at, actor, data, hash, \
                 prev_hash) values ($1, $2, $3, $4, $5, '{}', $6, $7)",
            )
            .bind(id(n))
            .bind(e.seq)
            .bind(e.kind)
            .bind(e.at)
            .bind(e.actor)
            .bind(e.hash.clone())
            .bind(e.prev_hash)
            .execute(&mut conn)
            .await
            .unwrap();
            prev = e.hash;
        }
    }
    conn.close().await.unwrap();

    let s = connect(&url).await.unwrap();
    let report = s.audit_verify().await.unwrap();
    assert_eq!((report.applications, report.events), (2, 4));
    // The head of each chain too (migration 0029).
    for n in [1, 2] {
        let events = s.events(&id(n)).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            s.get(&id(n)).await.unwrap().head,
            ChainHead {
                seq: last.seq,
                hash: last.hash.clone()
            }
        );
    }
    s.append(
        &id(1),
        1,
        change(row("in-progress", None), vec![event("x", 9, json!({}))]),
    )
    .await
    .unwrap();
    let report = s.audit_verify().await.unwrap();
    assert_eq!((report.applications, report.events), (2, 5));
    s.close().await;
}

// --- writes at once ----------------------------------------------------------------

/// Many appends at once (SQLite commits them in groups): every one
/// acknowledged is there, each chain whole and its head on the row.
async fn concurrent_appends_are_all_kept(db: &Db) {
    const CASES: u32 = 16;
    const STEPS: i64 = 6;
    let s = db.store.clone();
    for n in 1..=CASES {
        submit(s.as_ref(), n, row("in-progress", None)).await;
    }
    let tasks: Vec<_> = (1..=CASES)
        .map(|n| {
            let s = s.clone();
            tokio::spawn(async move {
                for k in 0..STEPS {
                    let app = s.get(&id(n)).await.unwrap();
                    assert_eq!(app.rev, k + 1);
                    let mut c = change(
                        row("in-progress", None),
                        vec![
                            event("e", k, json!({"n": n, "k": k})),
                            event("f", k, json!({})),
                        ],
                    );
                    // Every other append lets the store read the head.
                    if k % 2 == 0 {
                        c.follows = Some(app.head.clone());
                    }
                    c.jobs.push(job("notify", k, json!({"n": n, "k": k})));
                    assert_eq!(s.append(&id(n), app.rev, c).await.unwrap(), k + 2);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for n in 1..=CASES {
        let app = s.get(&id(n)).await.unwrap();
        assert_eq!(app.rev, STEPS + 1);
        let events = s.events(&id(n)).await.unwrap();
        assert_eq!(events.len() as i64, 1 + 2 * STEPS);
        audit::verify(&events).unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            app.head,
            ChainHead {
                seq: last.seq,
                hash: last.hash.clone()
            }
        );
    }
    assert_eq!(db.count("outbox").await, i64::from(CASES) * STEPS);
    let report = s.audit_verify().await.unwrap();
    assert_eq!(
        (report.applications, report.events),
        (u64::from(CASES), u64::from(CASES) * (1 + 2 * STEPS as u64))
    );
}

/// Writes that fail among writes that succeed, sent at once (so that on
/// SQLite they share groups): each failure gets its own error and leaves
/// nothing behind, each success is kept whole.
async fn a_failing_write_leaves_the_writes_beside_it(db: &Db) {
    let s = db.store.clone();
    for n in 1..=24 {
        submit(s.as_ref(), n, row("in-progress", None)).await;
    }
    s.idempotency_save(idem("taken", "{}")).await.unwrap();
    let head = s.get(&id(1)).await.unwrap().head;

    #[derive(Debug, PartialEq)]
    enum Want {
        Rev(i64),
        Created,
        Err(StoreError),
        Duplicate,
    }
    let mut writes: Vec<(
        Want,
        futures_util::future::BoxFuture<'static, Result<i64, StoreError>>,
    )> = Vec::new();
    for n in 1..=24u32 {
        let store = s.clone();
        let s = store.clone();
        let mut c = change(
            row("in-progress", None),
            vec![event("step", 1, json!({"n": n}))],
        );
        c.jobs.push(job("notify", 1, json!({"n": n})));
        match n % 4 {
            // Succeeds, with its own key.
            0 | 1 => {
                c.idempotency = Some(idem(&format!("good-{n}"), "{}"));
                writes.push((
                    Want::Rev(2),
                    Box::pin(async move { s.append(&id(n), 1, c).await }),
                ));
            }
            // A rev long gone, after its key is written: Stale.
            2 => {
                c.idempotency = Some(idem(&format!("stale-{n}"), "{}"));
                writes.push((
                    Want::Err(StoreError::Stale),
                    Box::pin(async move { s.append(&id(n), 7, c).await }),
                ));
            }
            // A key already taken: Duplicate.
            _ => {
                c.idempotency = Some(idem("taken", "{}"));
                writes.push((
                    Want::Duplicate,
                    Box::pin(async move { s.append(&id(n), 1, c).await }),
                ));
            }
        }
        // Beside them: a case that does not exist, a head that is not the
        // chain's, an intake that fails after taking its number, and one
        // that succeeds.
        let s = store;
        let mut c = change(row("in-progress", None), vec![event("x", 1, json!({}))]);
        match n % 6 {
            0 => writes.push((
                Want::Err(StoreError::NotFound),
                Box::pin(async move { s.append(&id(900 + n), 1, c).await }),
            )),
            // (only where the case's own write fails, so its rev stays 1)
            1 if n % 4 >= 2 => {
                c.follows = Some(ChainHead {
                    seq: head.seq,
                    hash: "ff".repeat(32),
                });
                writes.push((
                    Want::Err(StoreError::Other(String::new())),
                    Box::pin(async move { s.append(&id(n), 1, c).await }),
                ))
            }
            2 => {
                c.idempotency = Some(idem("taken", "{}"));
                writes.push((
                    Want::Duplicate,
                    Box::pin(
                        async move { s.create(new_app(&id(500 + n), c)).await.map(|c| c.rev) },
                    ),
                ))
            }
            3 => writes.push((
                Want::Created,
                Box::pin(async move { s.create(new_app(&id(500 + n), c)).await.map(|c| c.rev) }),
            )),
            _ => {}
        }
    }
    let (wants, futures): (Vec<_>, Vec<_>) = writes.into_iter().unzip();
    let got = futures_util::future::join_all(futures).await;
    for (want, got) in wants.iter().zip(&got) {
        match (want, got) {
            (Want::Rev(r), Ok(g)) => assert_eq!(r, g),
            (Want::Created, Ok(1)) => {}
            (Want::Duplicate, Err(StoreError::Duplicate(_))) => {}
            (Want::Err(StoreError::Other(_)), Err(StoreError::Other(_))) => {}
            (Want::Err(w), Err(g)) => assert_eq!(w, g),
            (w, g) => panic!("wanted {w:?}, got {g:?}"),
        }
    }

    let mut outbox = 0;
    for n in 1..=24u32 {
        let app = s.get(&id(n)).await.unwrap();
        let events = s.events(&id(n)).await.unwrap();
        let written = matches!(n % 4, 0 | 1);
        assert_eq!(app.rev, if written { 2 } else { 1 }, "case {n}");
        assert_eq!(events.len(), if written { 2 } else { 1 }, "case {n}");
        if written {
            outbox += 1;
        }
        assert_eq!(
            s.idempotency_lookup("clerk", &format!("good-{n}"))
                .await
                .unwrap()
                .is_some(),
            written
        );
        assert_eq!(
            s.idempotency_lookup("clerk", &format!("stale-{n}"))
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(db.count("outbox").await, outbox);
    // The intakes that failed gave their numbers back: the numbers taken
    // are 1..=N without a gap.
    let ids: HashSet<String> = page_all(s.as_ref(), &ListFilter::default(), 100)
        .await
        .into_iter()
        .collect();
    let created = 24 + (1..=24).filter(|n| n % 6 == 3).count();
    assert_eq!(ids.len(), created);
    for k in 1..=created {
        let number = format!("KRG-2026-{k:06}");
        s.get_by_number(&number).await.unwrap();
    }
    s.audit_verify().await.unwrap();
}

// --- signatures ---------------------------------------------------------------------

async fn signatures_are_kept_in_order_with_their_bytes(db: &Db) {
    let s = db.store.as_ref();
    let app = submit(s, 1, row("draft", None)).await;
    assert!(s.signatures(&app).await.unwrap().is_empty());
    let sig = |n: u8, signing_time| qyzmet_store::NewSignature {
        application_id: app.clone(),
        // Every byte value survives the round trip.
        cms: (0..=255u8).chain([n]).collect(),
        content: b"{\"purpose\":\"qyzmet-application/1\"}".to_vec(),
        certificate: vec![0x30, 0x82, n],
        serial: format!("0{n}ab"),
        issuer: "C=KZ, O=Qyzmet demo, CN=Qyzmet Demo ҰКО (RSA)".into(),
        subject: "CN=ДЕМОВА АЙГҮЛ, SERIALNUMBER=IIN871008401427".into(),
        iin: "871008401427".into(),
        signing_time,
        verdict: "valid".into(),
        algorithm: "RSA PKCS#1 v1.5 with SHA-256".into(),
        verified_at: t(2),
    };
    assert_eq!(s.add_signature(sig(1, Some(t(1)))).await.unwrap(), 1);
    assert_eq!(s.add_signature(sig(2, None)).await.unwrap(), 2);
    let got = s.signatures(&app).await.unwrap();
    assert_eq!(got.iter().map(|g| g.idx).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(got[0].signature, sig(1, Some(t(1))));
    assert_eq!(got[1].signature, sig(2, None));
    // Another application's are its own; an unknown application has none.
    let other = submit(s, 2, row("draft", None)).await;
    assert!(s.signatures(&other).await.unwrap().is_empty());
    let mut stray = sig(3, None);
    stray.application_id = id(99);
    assert!(
        s.add_signature(stray).await.is_err(),
        "the application must exist"
    );
}

fn audit_row(action: &str, target: &str, minute: i64) -> NewAdminAudit {
    NewAdminAudit {
        at: t(minute),
        actor: "admin".into(),
        action: action.into(),
        target: target.into(),
        data: json!({"n": minute}),
    }
}

async fn administrator_changes_are_audited_with_the_change(db: &Db) {
    let s = db.store.as_ref();
    let applied = s
        .admin_change(
            AdminChange::CreateUser(user("clerk", None)),
            audit_row("user-created", "clerk", 1),
        )
        .await
        .unwrap();
    assert_eq!(applied.calendar_edit_id, None);
    assert!(s.user_by_username("clerk").await.unwrap().is_some());
    // A change that fails writes no audit row either.
    assert_eq!(
        s.admin_change(
            AdminChange::CreateUser(user("clerk", None)),
            audit_row("user-created", "clerk", 2),
        )
        .await
        .unwrap_err(),
        StoreError::Duplicate("users_pkey".into())
    );
    assert_eq!(
        s.admin_change(
            AdminChange::SetUserDisabled {
                username: "nobody".into(),
                disabled: true
            },
            audit_row("user-disabled", "nobody", 3),
        )
        .await
        .unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.admin_change(
            AdminChange::RetryDead { id: 999, now: t(4) },
            audit_row("job-retried", "999", 4),
        )
        .await
        .unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(db.count("admin_audit").await, 1);

    s.create_session(
        Session {
            token_hash: "h".into(),
            username: "clerk".into(),
            expires_at: t(600),
        },
        t(0),
    )
    .await
    .unwrap();
    s.admin_change(
        AdminChange::SetPassword {
            username: "clerk".into(),
            password_hash: "$argon2id$new".into(),
        },
        audit_row("password-reset", "clerk", 5),
    )
    .await
    .unwrap();
    let u = s.user_by_username("clerk").await.unwrap().unwrap();
    assert_eq!(u.password_hash, "$argon2id$new");
    assert_eq!(s.session("h", t(1)).await.unwrap(), None, "logged out");
    s.admin_change(
        AdminChange::SetUserDisabled {
            username: "clerk".into(),
            disabled: true,
        },
        audit_row("user-disabled", "clerk", 6),
    )
    .await
    .unwrap();
    assert!(s.user_by_username("clerk").await.unwrap().unwrap().disabled);
    let edit = s
        .admin_change(
            AdminChange::CalendarEdit(NewCalendarEdit {
                at: t(7),
                actor: "admin".into(),
                edit: json!({"date": "2026-12-01"}),
                reason: "decree".into(),
            }),
            audit_row("calendar-edited", "2026-12-01", 7),
        )
        .await
        .unwrap();
    assert_eq!(
        Some(s.calendar_edits().await.unwrap()[0].id),
        edit.calendar_edit_id
    );
    s.admin_change(
        AdminChange::VersionEnd(VersionEnd {
            service: "meeting-permission".into(),
            version: "20-02-2018".into(),
            effective_until: t(100),
            at: t(8),
            actor: "admin".into(),
        }),
        audit_row("version-ended", "meeting-permission/20-02-2018", 8),
    )
    .await
    .unwrap();
    assert_eq!(s.version_ends().await.unwrap().len(), 1);
    s.admin_change(AdminChange::AuditOnly, audit_row("recomputed", "all", 9))
        .await
        .unwrap();
    assert_eq!(
        s.users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["clerk"]
    );

    let all = s.admin_audit(100, None).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        [
            "recomputed",
            "version-ended",
            "calendar-edited",
            "user-disabled",
            "password-reset",
            "user-created"
        ]
    );
    assert_eq!(all[5].data, json!({"n": 1}));
    assert_eq!(all[5].at, t(1));
    let page = s.admin_audit(2, Some(all[1].id)).await.unwrap();
    assert_eq!(
        page.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        ["calendar-edited", "user-disabled"]
    );

    // Like the events, the audit is not for changing afterwards.
    assert!(db.raw("update admin_audit set actor = 'x'").await.is_err());
    assert!(db.raw("delete from admin_audit").await.is_err());
    assert_eq!(db.count("admin_audit").await, 6);
}

async fn a_remembered_application_is_as_stored_or_caught_stale(db: &Db) {
    let s = db.store.as_ref();
    let mut first = row("in-progress", Some(60));
    first.created_at = t(0) + chrono::Duration::nanoseconds(1_500);
    let id1 = submit(s, 1, first).await;
    let known = s.remembered(&id1).expect("remembered from its intake");
    let read = s.get(&id1).await.unwrap();
    assert_eq!(known, read, "as its intake wrote it");
    let other = connect(&db.url).await.unwrap();
    assert_eq!(other.remembered(&id1), None, "another node has not read it");
    other.get(&id1).await.unwrap();
    assert_eq!(other.remembered(&id1), Some(read.clone()), "once read");

    // A step that names its head is remembered as a read would give it
    // back, to the microsecond.
    let mut moved = row("in-progress", Some(90));
    moved.updated_at = t(5) + chrono::Duration::nanoseconds(1_234_567);
    moved.due_at = Some(t(90) + chrono::Duration::nanoseconds(999));
    let mut step = change(moved, vec![event("step-completed", 5, json!({}))]);
    step.follows = Some(read.head.clone());
    assert_eq!(s.append(&id1, 1, step).await.unwrap(), 2);
    let known = s.remembered(&id1).expect("remembered after its append");
    assert_eq!(known, s.get(&id1).await.unwrap());
    assert_eq!(known.rev, 2);

    // Another node moves it on: what this one remembers is behind, and a
    // step decided on it writes nothing and is forgotten.
    let there = other.get(&id1).await.unwrap();
    let mut elsewhere = change(row("paused", None), vec![event("paused", 6, json!({}))]);
    elsewhere.follows = Some(there.head.clone());
    assert_eq!(other.append(&id1, 2, elsewhere).await.unwrap(), 3);
    assert_eq!(s.remembered(&id1).unwrap().rev, 2, "behind, unknowing");
    let mut late = change(row("finished", None), vec![event("late", 7, json!({}))]);
    late.follows = Some(known.head.clone());
    assert_eq!(
        s.append(&id1, known.rev, late).await.unwrap_err(),
        StoreError::Stale
    );
    assert_eq!(s.remembered(&id1), None, "forgotten when it missed");
    let fresh = s.get(&id1).await.unwrap();
    assert_eq!((fresh.rev, fresh.row.status.as_str()), (3, "paused"));
    assert_eq!(
        s.events(&id1).await.unwrap().len(),
        3,
        "the late step wrote nothing"
    );

    // An append that does not name its head is not remembered (its new
    // head is the store's to find).
    let unnamed = change(row("finished", None), vec![event("finished", 8, json!({}))]);
    s.append(&id1, 3, unnamed).await.unwrap();
    assert_eq!(s.remembered(&id1), None);
    // A read that lost a race with a later write does not replace it.
    let latest = s.get(&id1).await.unwrap();
    assert_eq!(s.remembered(&id1).unwrap().rev, 4);
    assert_eq!(latest.rev, 4);
    other.close().await;
}

async fn a_remembered_session_goes_with_its_change(db: &Db) {
    let s = db.store.as_ref();
    s.create_user(user("clerk", None)).await.unwrap();
    let session = |hash: &str| Session {
        token_hash: hash.into(),
        username: "clerk".into(),
        expires_at: t(60),
    };
    for h in ["h1", "h2", "h3"] {
        s.create_session(session(h), t(0)).await.unwrap();
    }
    let enabled = |u: Option<qyzmet_store::User>| u.map(|u| !u.disabled);

    // On this node, each change is seen by the next request.
    assert_eq!(
        enabled(s.session_user("h1", t(1)).await.unwrap()),
        Some(true)
    );
    s.set_user_disabled("clerk", true).await.unwrap();
    assert_eq!(
        enabled(s.session_user("h1", t(1)).await.unwrap()),
        Some(false)
    );
    s.set_user_disabled("clerk", false).await.unwrap();
    assert_eq!(
        enabled(s.session_user("h1", t(1)).await.unwrap()),
        Some(true)
    );
    s.delete_session("h1").await.unwrap();
    assert_eq!(s.session_user("h1", t(1)).await.unwrap(), None);
    assert_eq!(s.session_user("h2", t(60)).await.unwrap(), None, "its end");

    // Another node, once it remembers (a change made behind the stores'
    // backs, which tells no one, does not reach it).
    let other = connect(&db.url).await.unwrap();
    let mut remembers = false;
    for _ in 0..100 {
        db.raw("update users set disabled = false").await.unwrap();
        let before = other.session_user("h2", t(1)).await.unwrap();
        db.raw("update users set disabled = true").await.unwrap();
        let after = other.session_user("h2", t(1)).await.unwrap();
        if enabled(before) == Some(true) && enabled(after) == Some(true) {
            remembers = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(remembers, "the other node remembers the session");
    db.raw("update users set disabled = false").await.unwrap();

    // This node ends the session: on PostgreSQL the other node is told;
    // another store on a SQLite file (another process, as SQLite sees it)
    // is not, and trusts what it read for at most SESSION_MEMORY.
    s.delete_session("h2").await.unwrap();
    let heard_within = if db.pg.is_some() {
        Duration::from_secs(3)
    } else {
        qyzmet_store::SESSION_MEMORY + Duration::from_secs(1)
    };
    let start = std::time::Instant::now();
    while other.session_user("h2", t(1)).await.unwrap().is_some() {
        assert!(
            start.elapsed() < heard_within,
            "the ended session is still served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A user read by name is remembered the same way: a change behind the
    // stores' backs goes unseen, one made through a store does not.
    // (Its own notices reach this store's listener too, and a read that
    // began before one is not remembered: asked until it is.)
    let by_name = |u: Option<qyzmet_store::User>| u.map(|u| !u.disabled);
    let mut remembers = false;
    for _ in 0..100 {
        db.raw("update users set disabled = false").await.unwrap();
        let before = by_name(s.user_by_username("clerk").await.unwrap());
        db.raw("update users set disabled = true").await.unwrap();
        let after = by_name(s.user_by_username("clerk").await.unwrap());
        if (before, after) == (Some(true), Some(true)) {
            remembers = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(remembers, "a user read by name is remembered");
    assert_eq!(
        by_name(other.user_by_username("clerk").await.unwrap()),
        Some(false)
    );
    db.raw("update users set disabled = false").await.unwrap();
    assert_eq!(
        by_name(other.user_by_username("clerk").await.unwrap()),
        Some(false)
    );
    s.set_user_disabled("clerk", true).await.unwrap();
    assert_eq!(
        by_name(s.user_by_username("clerk").await.unwrap()),
        Some(false)
    );
    s.set_user_disabled("clerk", false).await.unwrap();
    assert_eq!(
        by_name(s.user_by_username("clerk").await.unwrap()),
        Some(true)
    );
    if db.pg.is_some() {
        let start = std::time::Instant::now();
        while by_name(other.user_by_username("clerk").await.unwrap()) != Some(true) {
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "still disabled elsewhere"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // A new password ends the other sessions of its user on every node.
    assert!(other.session_user("h3", t(1)).await.unwrap().is_some());
    s.set_user_password("clerk", "new-hash", Some("h-none"))
        .await
        .unwrap();
    assert_eq!(s.session_user("h3", t(1)).await.unwrap(), None);
    if db.pg.is_some() {
        let start = std::time::Instant::now();
        while other.session_user("h3", t(1)).await.unwrap().is_some() {
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "still served elsewhere"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    other.close().await;
}
