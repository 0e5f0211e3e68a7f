//! `serve`'s configuration as an operator meets it: the file in the working
//! directory, `QYZMET_*` variables, flags over both, and one line with exit
//! 2 for anything wrong, naming where the bad value came from.

use assert_cmd::Command;
use std::path::Path;

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = Command::cargo_bin("qyzmet").expect("binary built");
    cmd.current_dir(dir).args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("QYZMET_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    Out {
        status: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

/// Exit 2 with one line on stderr; returns it.
fn refused(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let o = run(dir, env, args);
    assert_eq!(o.status, 2, "{args:?}: {}{}", o.stdout, o.stderr);
    assert_eq!(o.stdout, "");
    assert_eq!(o.stderr.trim_end().lines().count(), 1, "{:?}", o.stderr);
    o.stderr.trim_end().to_owned()
}

#[test]
fn the_example_file_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &[], &["config", "example"]);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("addr = \"127.0.0.1:8080\""),
        "{}",
        o.stdout
    );
    std::fs::write(dir.path().join("qyzmet.toml"), &o.stdout).unwrap();
    // The file reads; the bad value is the environment's, named as such.
    let err = refused(dir.path(), &[("QYZMET_ADDR", "nowhere")], &["serve"]);
    assert_eq!(
        err,
        "error: QYZMET_ADDR: must be HOST:PORT with an IP address, got \"nowhere\""
    );
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("qyzmet.toml"),
        "# here\naddr = \"127.0.0.1:0\"\nlisten = \"0.0.0.0:80\"\n",
    )
    .unwrap();
    let err = refused(dir.path(), &[], &["serve"]);
    assert!(
        err.starts_with("error: qyzmet.toml:3: unknown key `listen`"),
        "{err}"
    );
    // --config names another file, which must be there.
    let err = refused(dir.path(), &[], &["serve", "--config", "missing.toml"]);
    assert!(err.contains("missing.toml"), "{err}");
    let err = refused(
        dir.path(),
        &[("QYZMET_CONFIG", "elsewhere.toml")],
        &["serve"],
    );
    assert!(err.contains("elsewhere.toml"), "{err}");
}

#[test]
fn flags_win_and_secrets_stay_secret() {
    let dir = tempfile::tempdir().unwrap();
    // The environment's address is bad, the flag's is not: the flag wins,
    // and the next problem is the database URL, shown without its password.
    let err = refused(
        dir.path(),
        &[
            ("QYZMET_ADDR", "nowhere"),
            ("QYZMET_DATABASE_URL", "mysql://app:hunter2@db/q"),
        ],
        &["serve", "--addr", "127.0.0.1:0"],
    );
    assert!(err.starts_with("error: QYZMET_DATABASE_URL: "), "{err}");
    assert!(err.contains("app:***@db"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let secret = dir.path().join("db-url");
    std::fs::write(&secret, "mysql://app:hunter2@db/q\n").unwrap();
    std::fs::write(
        dir.path().join("qyzmet.toml"),
        format!("database_url_file = {:?}\n", secret.display().to_string()),
    )
    .unwrap();
    let err = refused(dir.path(), &[], &["serve", "--addr", "127.0.0.1:0"]);
    assert!(err.starts_with("error: qyzmet.toml:1: "), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    std::fs::remove_file(dir.path().join("qyzmet.toml")).unwrap();
    let err = refused(dir.path(), &[("QYZMET_LOG_FORMAT", "xml")], &["serve"]);
    assert!(err.starts_with("error: QYZMET_LOG_FORMAT: "), "{err}");
    let err = refused(dir.path(), &[("QYZMET_DEMO", "perhaps")], &["serve"]);
    assert!(err.starts_with("error: QYZMET_DEMO: "), "{err}");
}

#[test]
fn an_operator_key_that_does_not_open_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let o = run(
        dir.path(),
        &[],
        &["pki", "demo", "--out", pki.to_str().unwrap()],
    );
    assert_eq!(o.status, 0, "{}", o.stderr);
    let secret = dir.path().join("operator-password");
    std::fs::write(&secret, "not-the-password\n").unwrap();
    std::fs::write(
        dir.path().join("qyzmet.toml"),
        format!(
            "addr = \"127.0.0.1:0\"\noperator_p12 = {:?}\noperator_password_file = {:?}\n",
            pki.join("operator.p12").display().to_string(),
            secret.display().to_string()
        ),
    )
    .unwrap();
    let err = refused(dir.path(), &[], &["serve"]);
    assert!(err.starts_with("error: operator_p12: "), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    // A certificates file that holds none.
    std::fs::write(&secret, "demo\n").unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let err = refused(
        dir.path(),
        &[("QYZMET_OPERATOR_CERTIFICATES", junk.to_str().unwrap())],
        &["serve"],
    );
    assert!(err.starts_with("error: operator_certificates: "), "{err}");
}
