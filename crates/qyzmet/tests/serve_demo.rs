//! `serve --demo` and `audit verify` as an operator meets them: the demo is
//! seeded once, its history verifies, and a tampered event is named.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn qyzmet() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

fn start_demo(data: &Path) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = qyzmet()
        .args([
            "serve",
            "--demo",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(r) = get(port, "/healthz") {
            if r.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the demo server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (child, port)
}

fn stop(mut child: Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

fn audit(db: &Path) -> (i32, String) {
    let out = qyzmet()
        .args(["audit", "verify", "--database-url"])
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn demo_is_seeded_once_and_its_history_verifies() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("qyzmet.db");

    let (child, port) = start_demo(data.path());
    let services = get(port, "/api/v1/services").unwrap();
    assert!(services.contains("\"adoption-payment\""), "{services}");
    // The sample taken in at the State Corporation reaches the provider
    // (this server's endpoint at the sandbox gateway) at once, signed with
    // the demo operator's key: not after retries, and never refused.
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let m = get(port, "/metrics").unwrap_or_default();
        if m.contains("\nqyzmet_gateway_delivered_total 1\n") {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "the State Corporation's package was not delivered: {}",
            m.lines()
                .filter(|l| l.contains("gateway") && !l.contains("_bucket"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        !metrics.contains("route=\"/gateway/provider\",status=\"4xx\""),
        "the provider refused a package"
    );
    assert!(
        metrics.contains("qyzmet_gateway_attempts_total{outcome=\"failed\"} 0"),
        "a delivery failed first"
    );
    stop(child);
    let (code, first) = audit(&db);
    assert_eq!(code, 0, "{first}");
    assert!(first.starts_with("ok: 9 applications, "), "{first}");
    // Without the flag, `audit verify` finds the database `serve` would use:
    // from QYZMET_DATABASE_URL, and from a qyzmet.toml's data directory.
    let by_env = qyzmet()
        .args(["audit", "verify"])
        .env("QYZMET_DATABASE_URL", format!("sqlite://{}", db.display()))
        .current_dir(data.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(by_env.stdout).unwrap(), first);
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(
        elsewhere.path().join("qyzmet.toml"),
        format!("data_dir = {:?}\n", data.path().display().to_string()),
    )
    .unwrap();
    let by_file = qyzmet()
        .args(["audit", "verify"])
        .env_remove("QYZMET_DATABASE_URL")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(by_file.stdout).unwrap(),
        first,
        "{}",
        String::from_utf8_lossy(&by_file.stderr)
    );
    // The demo PKI is made in DATA/demo-pki/ with the contract's files.
    let pki = data.path().join("demo-pki");
    for f in [
        "ca.pem",
        "crl.pem",
        "871008401427.p12",
        "871008401427-revoked.p12",
        "871008401427-expired.p12",
        "760212350620.p12",
        "head.p12",
        "operator.p12",
    ] {
        assert!(pki.join(f).is_file(), "demo-pki/{f}");
    }
    let ca = std::fs::read(pki.join("ca.pem")).unwrap();

    // A restart on the same database keeps the demo data as it is, and the
    // demo PKI too.
    let (child, _) = start_demo(data.path());
    stop(child);
    assert_eq!(std::fs::read(pki.join("ca.pem")).unwrap(), ca);
    let (code, second) = audit(&db);
    assert_eq!(code, 0);
    let apps = |s: &str| s.split(',').next().unwrap().to_owned();
    assert_eq!(apps(&second), apps(&first));

    // Someone edits an event behind Qyzmet's back: the chain names it.
    tamper(&db);
    let (code, out) = audit(&db);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("broken: application "), "{out}");
    assert!(out.contains(", event 2: "), "{out}");
}

fn tamper(db: &Path) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", db.display());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query("drop trigger events_no_update")
                .execute(&mut c)
                .await
                .unwrap();
            let id: (String,) = sqlx::query_as(
                "select application_id from events where seq = 2 order by application_id limit 1",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            sqlx::query(
                "update events set actor = 'somebody-else' where application_id = $1 and seq = 2",
            )
            .bind(&id.0)
            .execute(&mut c)
            .await
            .unwrap();
        });
}

#[test]
fn audit_verify_refuses_a_missing_database() {
    let out = qyzmet()
        .args([
            "audit",
            "verify",
            "--database-url",
            "sqlite:///nonexistent/q.db",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
}
