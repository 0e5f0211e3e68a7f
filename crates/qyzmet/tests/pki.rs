//! `qyzmet pki demo | sign | verify` as contract.md's CLI table has them:
//! the lines printed, the verdicts, the exit codes.

use assert_cmd::Command;

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = Command::cargo_bin("qyzmet")
        .expect("binary built")
        .args(args)
        .output()
        .expect("runs");
    let o = Out {
        status: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    };
    assert!(!o.stderr.contains("panicked"), "{args:?}: {}", o.stderr);
    o
}

const NCA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../pki/tests/data/nca");

#[test]
fn demo_sign_and_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&["pki", "demo", "--out", d]);
    assert_eq!(out.status, 0, "{}", out.stderr);
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
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let content = dir.path().join("request.json");
    std::fs::write(&content, b"{\"a\":1}").unwrap();
    let c = content.to_str().unwrap();
    let ca = format!("{d}/ca.pem");
    let crl = format!("{d}/crl.pem");
    let sign = |stem: &str, extra: &[&str]| {
        let out_file = format!("{d}/{stem}.p7s");
        let p12 = format!("{d}/{stem}.p12");
        let mut args = vec![
            "pki",
            "sign",
            "--p12",
            &p12,
            "--password",
            "demo",
            "--in",
            c,
            "--out",
            &out_file,
        ];
        args.extend(extra);
        let o = run(&args);
        assert_eq!(o.status, 0, "{}", o.stderr);
        out_file
    };

    let good = sign("871008401427", &[]);
    let o = run(&[
        "pki",
        "verify",
        &good,
        "--trust-anchors",
        &ca,
        "--crl",
        &crl,
    ]);
    assert_eq!(o.status, 0, "{}{}", o.stdout, o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", o.stdout);
    assert!(lines[0].starts_with("subject: CN=ДЕМОВА АЙГҮЛ, SURNAME=ДЕМОВА, SERIALNUMBER=IIN871008401427, C=KZ, G=СЕРІКҚЫЗЫ"), "{}", lines[0]);
    assert_eq!(lines[1], "iin: 871008401427");
    assert_eq!(lines[2], "verdict: valid");

    // Untrusted without the anchor; judged before the key existed.
    let o = run(&["pki", "verify", &good]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (1, Some("verdict: certificate-untrusted"))
    );
    let o = run(&[
        "pki",
        "verify",
        &good,
        "--trust-anchors",
        &ca,
        "--at",
        "2020-01-01",
    ]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (1, Some("verdict: certificate-not-yet-valid"))
    );

    let revoked = sign("871008401427-revoked", &[]);
    let o = run(&[
        "pki",
        "verify",
        &revoked,
        "--trust-anchors",
        &ca,
        "--crl",
        &crl,
    ]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (1, Some("verdict: certificate-revoked"))
    );

    // Detached, with and without the content.
    let detached = sign("760212350620", &["--detached"]);
    let o = run(&[
        "pki",
        "verify",
        &detached,
        "--content",
        c,
        "--trust-anchors",
        &ca,
    ]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (0, Some("verdict: valid"))
    );
    assert!(o.stdout.contains("iin: 760212350620"));
    let o = run(&["pki", "verify", &detached, "--trust-anchors", &ca]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (1, Some("verdict: cms-malformed"))
    );

    // A signature carrying the signer's certificate alone (as `openssl cms
    // -sign` makes it): the root does not reach it; with the intermediate
    // named, as the demo server knows it, it is valid.
    let key = format!("{d}/k.pem");
    let lone = format!("{d}/lone.p7s");
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let p12 = format!("{d}/871008401427.p12");
    openssl(&[
        "pkcs12",
        "-in",
        &p12,
        "-nodes",
        "-passin",
        "pass:demo",
        "-out",
        &key,
    ]);
    openssl(&[
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-outform",
        "DER",
        "-in",
        c,
        "-signer",
        &key,
        "-out",
        &lone,
    ]);
    let o = run(&[
        "pki",
        "verify",
        &lone,
        "--trust-anchors",
        &ca,
        "--crl",
        &crl,
    ]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (1, Some("verdict: certificate-untrusted"))
    );
    let intermediate = format!("{d}/intermediate.pem");
    let o = run(&[
        "pki",
        "verify",
        &lone,
        "--trust-anchors",
        &ca,
        "--intermediates",
        &intermediate,
        "--crl",
        &crl,
    ]);
    assert_eq!(
        (o.status, o.stdout.lines().last()),
        (0, Some("verdict: valid")),
        "{}",
        o.stdout
    );

    // Wrong password: bad input, exit 2, one line.
    let p12 = format!("{d}/head.p12");
    let o = run(&[
        "pki",
        "sign",
        "--p12",
        &p12,
        "--password",
        "nope",
        "--in",
        c,
        "--out",
        &format!("{d}/x.p7s"),
    ]);
    assert_eq!(o.status, 2);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
}

#[test]
fn the_national_ca_sample_is_expired_and_bad_input_is_exit_2() {
    let sample = format!("{NCA}/kalkan-rsa-1signer-attached-lol_kek.p7s");
    let anchor = format!("{NCA}/ca-test-rsa-nko30.pem");
    let crl = format!("{NCA}/nca_rsa_test.crl.pem");
    let o = run(&[
        "pki",
        "verify",
        &sample,
        "--trust-anchors",
        &anchor,
        "--crl",
        &crl,
    ]);
    assert_eq!(o.status, 1, "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("iin: 123456789011"), "{}", o.stdout);
    assert!(
        o.stdout.ends_with("verdict: certificate-expired\n"),
        "{}",
        o.stdout
    );
    let o = run(&[
        "pki",
        "verify",
        &sample,
        "--trust-anchors",
        &anchor,
        "--at",
        "2021-06-01T12:00:00+05:00",
    ]);
    assert!(
        o.stdout.ends_with("verdict: certificate-expired\n"),
        "{}",
        o.stdout
    );

    let o = run(&["pki", "verify", &sample, "--at", "yesterday"]);
    assert_eq!(o.status, 2);
    let o = run(&["pki", "verify", "/nonexistent.p7s"]);
    assert_eq!(o.status, 2);
    // Garbage is judged, not an error.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.p7s");
    std::fs::write(&junk, b"not a signature").unwrap();
    let o = run(&["pki", "verify", junk.to_str().unwrap()]);
    assert_eq!(
        (o.status, o.stdout.as_str()),
        (1, "subject: -\niin: -\nverdict: cms-malformed\n")
    );
}
