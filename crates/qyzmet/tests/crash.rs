//! The server killed while it takes writes, and its database restarted
//! under it: what was acknowledged is there afterwards and every chain
//! verifies. The real binary, over real HTTP, on SQLite and (with
//! `TEST_DATABASE_URL`) on a fresh PostgreSQL database.
//!
//! The PostgreSQL restart is `#[ignore]`d: it restarts the machine's shared
//! cluster, which would disturb tests running beside it. Run it alone with
//! `cargo test -p qyzmet --test crash -- --ignored`.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn qyzmet() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
}

// ------------------------------------------------------------------ HTTP

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: HashMap<String, String>,
    body: Value,
    text: String,
}

impl Resp {
    fn rev(&self) -> i64 {
        self.headers
            .get("etag")
            .and_then(|e| e.trim_matches('"').parse().ok())
            .unwrap_or_else(|| panic!("no ETag: {}", self.text))
    }
}

/// One request on its own connection; `None` when the server did not
/// answer in full (refused, reset, cut short or past the timeout).
fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Option<&Value>,
    timeout: Duration,
) -> Option<Resp> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.set_write_timeout(Some(timeout)).ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(e) = if_match {
        head.push_str(&format!("If-Match: {e}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut content = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        content = dechunk(&content)?;
    } else if let Some(n) = headers.get("content-length") {
        // A body cut short is no answer.
        if content.len() != n.parse::<usize>().ok()? {
            return None;
        }
    }
    let text = String::from_utf8(content).ok()?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Some(Resp {
        status,
        headers,
        body,
        text,
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&b[..eol]).ok()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

const T: Duration = Duration::from_secs(30);

fn login(port: u16, user: &str, password: &str) -> String {
    let r = request(
        port,
        "POST",
        "/api/v1/auth/login",
        None,
        None,
        Some(&json!({"username": user, "password": password})),
        T,
    )
    .expect("login answers");
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["token"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------- server

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve --demo` on `data` (and `database_url`, if any); waits for
/// `/healthz`. The server's log goes to `data/serve-N.log`.
fn start(data: &Path, database_url: Option<&str>) -> (Child, u16) {
    let port = free_port();
    let n = std::fs::read_dir(data).map(|d| d.count()).unwrap_or(0);
    let log = std::fs::File::create(data.join(format!("serve-{n}.log"))).unwrap();
    let mut cmd = qyzmet();
    cmd.args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = request(port, "GET", "/healthz", None, None, None, T);
        if r.is_some_and(|r| r.status == 200) {
            return (child, port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited: {status}");
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
}

fn audit(database_url: &str) -> (i32, String) {
    let out = qyzmet()
        .args(["audit", "verify", "--database-url", database_url])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap(),
    )
}

// --------------------------------------------------------------- writers

fn intake() -> Value {
    // A month ahead: the schema takes no meeting date in the past.
    let meeting_day = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
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
            "meeting": {"preferred_date": meeting_day, "place": "Қарағанды қаласының білім бөлімі"}
        },
        "documents": docs,
    })
}

/// What the writers saw: every acknowledged application with its highest
/// acknowledged rev, and every answer by status.
#[derive(Default)]
struct Seen {
    acked: Mutex<HashMap<String, i64>>,
    statuses: Mutex<HashMap<u16, usize>>,
    /// Answers that were not 2xx, 412 or 503 `database-unavailable`.
    odd: Mutex<Vec<String>>,
    /// Requests with no answer, and the slowest answer.
    unanswered: AtomicUsize,
    slowest_ms: AtomicUsize,
    acks: AtomicUsize,
}

impl Seen {
    fn ack(&self, id: &str, rev: i64) {
        let mut a = self.acked.lock().unwrap();
        let r = a.entry(id.to_owned()).or_insert(rev);
        *r = (*r).max(rev);
        self.acks.fetch_add(1, Ordering::SeqCst);
    }

    /// Records an answer; `true` if it is an acknowledgement (`ok`).
    fn note(&self, r: &Option<Resp>, ok: u16, took: Duration) -> bool {
        let ms = usize::try_from(took.as_millis()).unwrap_or(usize::MAX);
        self.slowest_ms.fetch_max(ms, Ordering::SeqCst);
        let Some(r) = r else {
            self.unanswered.fetch_add(1, Ordering::SeqCst);
            return false;
        };
        *self.statuses.lock().unwrap().entry(r.status).or_default() += 1;
        let expected = r.status == ok
            || r.status == 412
            || (r.status == 503
                && r.body["code"] == "database-unavailable"
                && r.headers.get("content-type").map(String::as_str)
                    == Some("application/problem+json"));
        if !expected {
            self.odd
                .lock()
                .unwrap()
                .push(format!("{}: {}", r.status, r.text));
        }
        r.status == ok
    }
}

/// Takes in applications and moves each two steps on (the clerk completes
/// registration, the head assigns the specialist), recording every
/// acknowledgement, until `stop`.
fn writer(port: u16, clerk: String, head: String, seen: Arc<Seen>, stop: Arc<AtomicBool>) {
    let intake = intake();
    let steps = [
        (clerk.clone(), json!({"action": "complete"})),
        (
            head,
            json!({"action": "complete", "assignee": "specialist"}),
        ),
    ];
    while !stop.load(Ordering::SeqCst) {
        let t = Instant::now();
        let r = request(
            port,
            "POST",
            "/api/v1/applications",
            Some(&clerk),
            None,
            Some(&intake),
            T,
        );
        if !seen.note(&r, 201, t.elapsed()) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let r = r.unwrap();
        let id = r.body["id"].as_str().unwrap().to_owned();
        let mut rev = r.rev();
        seen.ack(&id, rev);
        for (token, body) in &steps {
            let t = Instant::now();
            let r = request(
                port,
                "POST",
                &format!("/api/v1/applications/{id}/actions"),
                Some(token),
                Some(&format!("\"{rev}\"")),
                Some(body),
                T,
            );
            if !seen.note(&r, 200, t.elapsed()) {
                break;
            }
            let next = r.unwrap().rev();
            assert_eq!(next, rev + 1, "the ETag goes up by one");
            rev = next;
            seen.ack(&id, rev);
        }
    }
}

struct Writers {
    seen: Arc<Seen>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

fn writers(port: u16, n: usize) -> Writers {
    let clerk = login(port, "clerk", "demo-clerk");
    let head = login(port, "head", "demo-head");
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let threads = (0..n)
        .map(|_| {
            let (clerk, head, seen, stop) =
                (clerk.clone(), head.clone(), seen.clone(), stop.clone());
            std::thread::spawn(move || writer(port, clerk, head, seen, stop))
        })
        .collect();
    Writers {
        seen,
        stop,
        threads,
    }
}

impl Writers {
    fn wait_for_acks(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.seen.acks.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "the writers got no answers");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn finish(self) -> Arc<Seen> {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            t.join().expect("a writer panicked");
        }
        self.seen
    }
}

/// Every acknowledged application is there with at least its acknowledged
/// rev and as many events.
fn check_acknowledged(port: u16, seen: &Seen) {
    let auditor = login(port, "auditor", "demo-auditor");
    let acked = seen.acked.lock().unwrap().clone();
    for (id, rev) in &acked {
        let r = request(
            port,
            "GET",
            &format!("/api/v1/applications/{id}"),
            Some(&auditor),
            None,
            None,
            T,
        )
        .expect("the server answers");
        assert_eq!(
            r.status, 200,
            "acknowledged application {id} is lost: {}",
            r.text
        );
        assert!(
            r.rev() >= *rev,
            "{id}: rev {} < acknowledged {rev}",
            r.rev()
        );
        let e = request(
            port,
            "GET",
            &format!("/api/v1/applications/{id}/events"),
            Some(&auditor),
            None,
            None,
            T,
        )
        .expect("the server answers");
        assert_eq!(e.status, 200, "{}", e.text);
        let events = e.body.as_array().unwrap();
        assert!(
            events.len() as i64 >= *rev,
            "{id}: {} events for rev {rev}",
            events.len()
        );
        for (i, ev) in events.iter().enumerate() {
            assert_eq!(ev["seq"], i as i64 + 1, "{id}: {}", e.text);
        }
    }
}

// ------------------------------------------------------------ PostgreSQL

/// A fresh database on `TEST_DATABASE_URL`'s server, dropped at the end.
struct FreshDb {
    admin: String,
    name: String,
    url: String,
}

impl FreshDb {
    fn create(what: &str) -> Option<FreshDb> {
        let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("note: TEST_DATABASE_URL is not set; {what} on PostgreSQL is skipped");
            return None;
        };
        let name =
            format!("qyzmet_crash_test_{}", std::process::id()) + &format!("_{}", free_port());
        pg(&admin, &[&format!("create database {name}")]);
        let base = admin.split('?').next().unwrap();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        Some(FreshDb { admin, name, url })
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            pg(
                &self.admin,
                &[&format!(
                    "drop database if exists {} with (force)",
                    self.name
                )],
            )
        });
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn pg(url: &str, statements: &[&str]) {
    use sqlx::Connection;
    rt().block_on(async {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut c).await.unwrap();
        }
        c.close().await.unwrap();
    });
}

// ----------------------------------------------------------------- tests

/// Writers on four threads, SIGKILL once they have some answers, restart,
/// check.
fn killed_mid_write(data: &Path, database_url: &str, external: bool) {
    let url = external.then_some(database_url);
    let (child, port) = start(data, url);
    let w = writers(port, 4);
    w.wait_for_acks(150);
    let mut child = child;
    signal(&child, nix::sys::signal::Signal::SIGKILL);
    child.wait().unwrap();
    let seen = w.finish();
    let acked = seen.acked.lock().unwrap().len();
    eprintln!(
        "killed after {} acknowledgements on {acked} applications; answers {:?}; {} unanswered",
        seen.acks.load(Ordering::SeqCst),
        seen.statuses.lock().unwrap(),
        seen.unanswered.load(Ordering::SeqCst)
    );
    assert!(
        seen.odd.lock().unwrap().is_empty(),
        "{:?}",
        seen.odd.lock().unwrap()
    );

    // The database as the kill left it verifies...
    let (code, out) = audit(database_url);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: "), "{out}");

    // ...and after a restart everything acknowledged is there.
    let (mut child, port) = start(data, url);
    check_acknowledged(port, &seen);
    signal(&child, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let (code, out) = audit(database_url);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ok: "), "{out}");
    let apps: usize = out[4..].split(' ').next().unwrap().parse().unwrap();
    assert!(apps >= acked + 9, "{out}: {acked} acknowledged + 9 demo");
}

#[test]
fn sqlite_sigkill_mid_write_loses_nothing_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", data.path().join("qyzmet.db").display());
    killed_mid_write(data.path(), &url, false);
}

#[test]
fn postgres_sigkill_mid_write_loses_nothing_acknowledged_and_tampering_is_named() {
    let Some(db) = FreshDb::create("the SIGKILL test") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    killed_mid_write(data.path(), &db.url, true);

    // Someone edits an event behind Qyzmet's back: the chain names it.
    use sqlx::Connection;
    let id: String = rt().block_on(async {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query("drop trigger events_no_update on events")
            .execute(&mut c)
            .await
            .unwrap();
        let (id,): (String,) = sqlx::query_as(
            "select application_id from events where seq = 2 order by application_id limit 1",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        sqlx::query(
            "update events set actor = 'somebody-else' where application_id = $1 and seq = 2",
        )
        .bind(&id)
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
        id
    });
    let (code, out) = audit(&db.url);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("broken: application {id}, event 2: ")),
        "{out}"
    );
}

/// PostgreSQL restarted under load: meanwhile the server answers 503
/// `database-unavailable` (never 500, never a hang), afterwards it serves
/// again, and nothing acknowledged is lost.
#[test]
#[ignore = "restarts the machine's PostgreSQL cluster; run alone with --ignored"]
fn postgres_restart_under_load() {
    let Some(db) = FreshDb::create("the restart test") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let (mut child, port) = start(data.path(), Some(&db.url));
    let w = writers(port, 3);
    w.wait_for_acks(30);
    let before = w.seen.acks.load(Ordering::SeqCst);

    // Stop, wait a few seconds with writers running, start again.
    let cluster = std::fs::read_dir("/etc/postgresql")
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name()
        .into_string()
        .unwrap();
    let ctl = |action: &str| {
        let out = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &cluster, "main", action])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctlcluster {action}: {out:?}");
    };
    let outage = Instant::now();
    ctl("stop");
    std::thread::sleep(Duration::from_secs(4));
    let during = w.seen.statuses.lock().unwrap().clone();
    ctl("start");
    let down_for = outage.elapsed();

    // Served again: new acknowledgements after the restart.
    let after_restart = w.seen.acks.load(Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while w.seen.acks.load(Ordering::SeqCst) < after_restart + 30 {
        assert!(
            Instant::now() < deadline,
            "no writes acknowledged after the restart; answers {:?}",
            w.seen.statuses.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let seen = w.finish();
    let statuses = seen.statuses.lock().unwrap().clone();
    eprintln!(
        "outage {down_for:?}; {before} acknowledgements before, answers while down {during:?}, \
         all answers {statuses:?}; {} unanswered; slowest answer {} ms",
        seen.unanswered.load(Ordering::SeqCst),
        seen.slowest_ms.load(Ordering::SeqCst)
    );
    assert!(
        seen.odd.lock().unwrap().is_empty(),
        "{:?}",
        seen.odd.lock().unwrap()
    );
    assert!(
        statuses.get(&503).is_some_and(|n| *n > 0),
        "no 503 during the outage: {statuses:?}"
    );
    assert_eq!(
        seen.unanswered.load(Ordering::SeqCst),
        0,
        "requests went unanswered"
    );
    assert!(
        seen.slowest_ms.load(Ordering::SeqCst) <= 15_000,
        "an answer took over 15 s"
    );
    check_acknowledged(port, &seen);
    signal(&child, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let (code, out) = audit(&db.url);
    assert_eq!(code, 0, "{out}");
}
