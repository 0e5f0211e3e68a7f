//! `qyzmet sandbox` as an operator meets it: it serves on loopback with the
//! faults its flags set, stops cleanly on SIGTERM, and refuses to listen
//! beyond this machine.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
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

#[test]
fn the_sandbox_serves_with_its_faults_and_stops_on_sigterm() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = qyzmet()
        .args([
            "sandbox",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--people",
            "50",
            "--error-rate",
            "0.25",
            "--latency-ms",
            "5",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let faults = loop {
        if let Some(r) = get(port, "/admin/faults") {
            break r;
        }
        assert!(Instant::now() < deadline, "the sandbox did not start");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(faults.starts_with("HTTP/1.1 200"), "{faults}");
    assert!(faults.contains("\"error_rate\":0.25"), "{faults}");
    assert!(faults.contains("\"latency_ms\":5"), "{faults}");
    let key = get(port, "/admin/key").unwrap();
    assert!(key.contains("sandbox-gateway:"), "{key}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn the_sandbox_listens_on_loopback_only() {
    let out = qyzmet()
        .args(["sandbox", "--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = qyzmet()
        .args(["sandbox", "--error-rate", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
