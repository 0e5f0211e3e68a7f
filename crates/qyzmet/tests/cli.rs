//! The command line as a user meets it: exact output and exit codes of
//! contract.md's `calendar`, `iin`, `catalog` and `serve` commands.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn qyzmet() -> Command {
    Command::cargo_bin("qyzmet").expect("binary built")
}

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = qyzmet().args(args).output().expect("runs");
    let o = Out {
        status: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    };
    assert!(
        !o.stderr.contains("panicked") && !o.stderr.contains("RUST_BACKTRACE"),
        "{args:?} panicked: {}",
        o.stderr
    );
    o
}

/// Bad input: exit 2, nothing on stdout, exactly one line on stderr.
fn assert_bad_input(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status, 2, "{args:?}: {}{}", o.stdout, o.stderr);
    assert_eq!(o.stdout, "", "{args:?}");
    assert_eq!(
        o.stderr.trim_end().lines().count(),
        1,
        "{args:?}: {:?}",
        o.stderr
    );
    o.stderr
}

fn due(from: &str, kind: &str, n: &str) -> String {
    let o = run(&["calendar", "due", "--from", from, kind, n]);
    assert_eq!(o.status, 0, "{from} {kind} {n}: {}", o.stderr);
    o.stdout
}

#[test]
fn calendar_due_prints_one_local_line() {
    // Friday evening: Monday and Tuesday are the two working days.
    assert_eq!(
        due("2026-11-20T17:00:00+05:00", "--working-days", "2"),
        "2026-11-24T18:30:00+05:00\n"
    );
    // 10:00 UTC is 15:00 on Friday 20 March; Nauryz days off run 23–25 March.
    assert_eq!(
        due("2026-03-20T10:00:00Z", "--working-days", "1"),
        "2026-03-26T18:30:00+05:00\n"
    );
    // A minutes deadline may end exactly at lunch; one more minute runs after it.
    assert_eq!(
        due("2026-11-23T12:30:00+05:00", "--minutes", "30"),
        "2026-11-23T13:00:00+05:00\n"
    );
    assert_eq!(
        due("2026-11-23T12:30:00+05:00", "--minutes", "31"),
        "2026-11-23T14:31:00+05:00\n"
    );
    // Ten minutes on Friday evening, ten more on Monday morning.
    assert_eq!(
        due("2026-11-20T18:20:00+05:00", "--minutes", "20"),
        "2026-11-23T09:10:00+05:00\n"
    );
    // Naive local input; Kurban Ait (27 May 2026) moves the day.
    assert_eq!(
        due("2026-05-26T10:00", "--calendar-days", "1"),
        "2026-05-28T18:30:00+05:00\n"
    );
    // Before 1 March 2024 the zone was UTC+6.
    assert_eq!(
        due("2024-02-27T10:00:00+06:00", "--working-days", "1"),
        "2024-02-28T18:30:00+06:00\n"
    );
}

#[test]
fn calendar_due_warns_when_kurban_ait_is_unpublished() {
    let o = run(&[
        "calendar",
        "due",
        "--from",
        "2026-12-31",
        "--calendar-days",
        "1",
    ]);
    assert_eq!(o.status, 0, "{}", o.stderr);
    // 1 and 2 Jan 2027 are holidays; the 2nd is a Saturday, so Monday the
    // 4th is its moved day off.
    assert_eq!(o.stdout, "2027-01-05T18:30:00+05:00\n");
    assert!(o.stderr.contains("Kurban Ait of 2027"), "{}", o.stderr);
}

#[test]
fn calendar_due_refuses_bad_input() {
    for args in [
        &[
            "calendar",
            "due",
            "--from",
            "2023-12-29T10:00:00+06:00",
            "--working-days",
            "1",
        ][..],
        &[
            "calendar",
            "due",
            "--from",
            "yesterday",
            "--working-days",
            "1",
        ],
        &[
            "calendar",
            "due",
            "--from",
            "2026-11-23T10:00:00+05:00",
            "--minutes",
            "0",
        ],
        &[
            "calendar",
            "due",
            "--from",
            "2026-11-23T10:00:00+05:00",
            "--minutes",
            "-3",
        ],
        &[
            "calendar",
            "due",
            "--from",
            "2026-11-23T10:00:00+05:00",
            "--minutes",
            "x",
        ],
        &["calendar", "due", "--from", "2026-11-23T10:00:00+05:00"],
        &[
            "calendar",
            "due",
            "--from",
            "2026-11-23",
            "--minutes",
            "1",
            "--working-days",
            "1",
        ],
        &[
            "calendar",
            "due",
            "--from",
            "2026-02-30",
            "--working-days",
            "1",
        ],
        &["calendar", "due", "--working-days", "1"],
        &["calendar", "dues"],
        &["calendar"],
        &[],
    ] {
        assert_bad_input(args);
    }
}

#[test]
fn is_working_day_answers_yes_or_no() {
    for (date, answer) in [
        ("2026-03-23", "no\n"),  // Nauryz
        ("2026-08-31", "yes\n"), // no longer Constitution Day's moved day off
        ("2026-11-21", "no\n"),  // Saturday
        ("2026-11-23", "yes\n"),
        ("2024-05-04", "yes\n"), // a Saturday worked in 2024
        ("2024-06-17", "yes\n"), // the cancelled Kurban Ait day off
        ("2026-05-27", "no\n"),  // Kurban Ait
    ] {
        let o = run(&["calendar", "is-working-day", date]);
        assert_eq!(
            (o.status, o.stdout.as_str()),
            (0, answer),
            "{date}: {}",
            o.stderr
        );
    }
    assert_bad_input(&["calendar", "is-working-day", "2023-12-31"]);
    assert_bad_input(&["calendar", "is-working-day", "23.11.2026"]);
    assert_bad_input(&["calendar", "is-working-day"]);
}

#[test]
fn iin_check_as_contract_says() {
    let o = run(&["iin", "check", "871008401427"]);
    assert_eq!(
        (o.status, o.stdout.as_str()),
        (0, "valid 1987-10-08 female\n")
    );
    let o = run(&["iin", "check", "760212350620"]);
    assert_eq!(
        (o.status, o.stdout.as_str()),
        (0, "valid 1976-02-12 male\n")
    );

    for bad in [
        "821214240092",
        "871008401428",
        "871308401427",
        "871008001427",
    ] {
        let o = run(&["iin", "check", bad]);
        assert_eq!(o.status, 1, "{bad}");
        assert!(o.stdout.starts_with("invalid: "), "{bad}: {}", o.stdout);
        assert_eq!(o.stdout.lines().count(), 1);
    }
    let o = run(&["iin", "check", "821214240092"]);
    assert!(o.stdout.contains("never issued"), "{}", o.stdout);

    for shape in ["12345", "8710084014270", "87100840142a", ""] {
        assert_bad_input(&["iin", "check", shape]);
    }
}

fn repo_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn catalog_check_passes_on_the_shipped_catalog() {
    let o = run(&["catalog", "check"]);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("ok: 3 services"), "{}", o.stdout);
    let o = run(&["catalog", "check", repo_catalog().to_str().unwrap()]);
    assert_eq!(o.status, 0, "{}", o.stderr);
}

#[test]
fn catalog_check_reports_every_error_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_catalog(), dir.path());
    // Break two files: an unknown role in a service version and a key the
    // calendar does not know.
    let version = std::fs::read_dir(dir.path().join("adoption-payment"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "toml"))
        .expect("a version file");
    let text = std::fs::read_to_string(&version).unwrap();
    let broken = text.replacen("role = \"head\"", "role = \"boss\"", 1);
    assert_ne!(text, broken, "the version file names the head's role");
    std::fs::write(&version, broken).unwrap();
    let cal = dir.path().join("calendars/kz.toml");
    let cal_text = std::fs::read_to_string(&cal).unwrap();
    std::fs::write(&cal, format!("{cal_text}\nfavourite_colour = \"blue\"\n")).unwrap();

    let o = run(&["catalog", "check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status, 1, "{}{}", o.stdout, o.stderr);
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert!(lines.len() >= 2, "{}", o.stderr);
    let file_line = regex_like_file_line;
    assert!(lines.iter().all(|l| file_line(l)), "{}", o.stderr);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("adoption-payment/") && l.contains("boss")),
        "{}",
        o.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("calendars/kz.toml:") && l.contains("favourite_colour")),
        "{}",
        o.stderr
    );

    // The server refuses to start on it, with the same lines.
    let s = run(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--catalog",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(s.status, 1);
    assert_eq!(s.stderr, o.stderr);
}

/// `path:LINE: message` with a positive line number.
fn regex_like_file_line(l: &str) -> bool {
    let mut parts = l.splitn(3, ':');
    let (Some(file), Some(line), Some(msg)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !file.is_empty() && line.parse::<usize>().is_ok_and(|n| n >= 1) && msg.starts_with(' ')
}

#[test]
fn a_broken_service_file_does_not_stop_the_calendar() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_catalog(), dir.path());
    let version = dir.path().join("foster-care-payment/2016-64-04.toml");
    let text = std::fs::read_to_string(&version).unwrap();
    std::fs::write(
        &version,
        text.replace("role = \"head\"", "role = \"janitor\""),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let o = run(&[
        "calendar",
        "due",
        "--from",
        "2026-11-20T17:00:00+05:00",
        "--working-days",
        "2",
        "--catalog",
        d,
    ]);
    assert_eq!(
        (o.status, o.stdout.as_str()),
        (0, "2026-11-24T18:30:00+05:00\n"),
        "{}",
        o.stderr
    );
    // A command that needs the services says so in one line.
    let err = assert_bad_input(&["catalog", "show", "foster-care-payment", "--catalog", d]);
    assert!(
        err.contains("janitor") && err.contains("catalog check"),
        "{err}"
    );
}

#[test]
fn negative_counts_get_the_counts_message() {
    let err = assert_bad_input(&[
        "calendar",
        "due",
        "--from",
        "2026-11-23",
        "--working-days",
        "-1",
    ]);
    assert!(err.contains("at least 1"), "{err}");
    let err = assert_bad_input(&["iin", "check", "-871008401427"]);
    assert!(err.contains("12 digits"), "{err}");
}

#[test]
fn catalog_check_of_a_missing_directory_is_bad_input() {
    assert_bad_input(&["catalog", "check", "/nonexistent/catalog"]);
}

#[test]
fn catalog_show_prints_the_version_in_force() {
    for (lang, phrase) in [("kk", "Қарағанды"), ("ru", "Караганд"), ("en", "Karaganda")]
    {
        let o = run(&[
            "catalog",
            "show",
            "meeting-permission",
            "--lang",
            lang,
            "--at",
            "2026-11-23",
        ]);
        assert_eq!(o.status, 0, "{lang}: {}", o.stderr);
        assert!(o.stdout.contains("20/02"), "{lang}: {}", o.stdout);
        assert!(o.stdout.contains(phrase), "{lang}: {}", o.stdout);
    }
    let o = run(&[
        "catalog",
        "show",
        "adoption-payment",
        "--lang",
        "en",
        "--at",
        "2017-01-01",
    ]);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(o.stdout.contains("64/04"), "{}", o.stdout);
    let o = run(&["catalog", "show", "foster-care-payment"]);
    assert_eq!(o.status, 0, "{}", o.stderr);

    let err = assert_bad_input(&["catalog", "show", "no-such-service"]);
    assert!(err.contains("no-such-service"), "{err}");
    assert_bad_input(&["catalog", "show", "adoption-payment", "--lang", "de"]);
    assert_bad_input(&["catalog", "show", "adoption-payment", "--at", "someday"]);
}

#[test]
fn serve_refuses_bad_configuration() {
    assert_bad_input(&["serve", "--addr", "localhost-ish"]);
    let err = assert_bad_input(&["serve", "--addr", "0.0.0.0:0", "--demo"]);
    assert!(err.contains("--insecure-demo"), "{err}");
    assert_bad_input(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        "mysql://x",
    ]);
    assert_bad_input(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--trust-anchors",
        "/nonexistent.pem",
    ]);
}

#[test]
fn serve_answers_healthz_and_drains_on_sigterm() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let response = loop {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut body = String::new();
            s.read_to_string(&mut body).unwrap();
            break body;
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("{\"status\":\"ok\"}"), "{response}");

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
