//! Signatures made by `openssl cms -sign` (as a citizen without NCALayer
//! would) with certificates in the national CA's subject format: RSA
//! PKCS#1 v1.5 and PSS with SHA-256/384/512, ECDSA P-256 and P-384.

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use qyzmet_pki::{TrustConfig, Verifier};

fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const SUBJECT: &str = "/CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN871008401427/C=KZ/GN=ТЕСТҰЛЫ";

/// A CA and a user key of the given openssl `-newkey` kind, issued with
/// the national CA's key usage for signing (or for authentication).
fn make(dir: &Path, newkey: &[&str], usage: &str) {
    run(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/C=KZ/O=Test/CN=Test CA",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    let mut req = vec![
        "req", "-new", "-utf8", "-nodes", "-keyout", "u.key", "-out", "u.csr", "-subj", SUBJECT,
    ];
    req.extend(newkey);
    run(dir, &req);
    std::fs::write(
        dir.join("ext.cnf"),
        format!("keyUsage=critical,{usage}\nextendedKeyUsage=emailProtection,1.2.398.3.3.4.1.1\n"),
    )
    .unwrap();
    run(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "u.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "10",
            "-extfile",
            "ext.cnf",
            "-out",
            "u.pem",
        ],
    );
    std::fs::write(dir.join("content.txt"), "to sign").unwrap();
}

fn verifier(dir: &Path) -> Verifier {
    let mut c = TrustConfig::default();
    c.add_anchor_file(&dir.join("ca.pem")).unwrap();
    Verifier::new(c)
}

fn sign(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-outform",
        "DER",
        "-in",
        "content.txt",
        "-signer",
        "u.pem",
        "-inkey",
        "u.key",
        "-out",
        "s.p7s",
    ];
    args.extend(extra);
    run(dir, &args);
    std::fs::read(dir.join("s.p7s")).unwrap()
}

#[test]
fn rsa_signatures_by_openssl_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    make(
        dir.path(),
        &["-newkey", "rsa:2048"],
        "digitalSignature,nonRepudiation",
    );
    let v = verifier(dir.path());
    for (extra, algorithm) in [
        (&[][..], "RSA PKCS#1 v1.5 with SHA-256"),
        (&["-md", "sha384"][..], "RSA PKCS#1 v1.5 with SHA-384"),
        (
            &["-md", "sha512", "-keyopt", "rsa_padding_mode:pss"][..],
            "RSA-PSS with SHA-512",
        ),
        (
            &["-keyopt", "rsa_padding_mode:pss"][..],
            "RSA-PSS with SHA-256",
        ),
    ] {
        let ok = v
            .verify(&sign(dir.path(), extra), None, Utc::now())
            .unwrap();
        assert_eq!(ok.iin, "871008401427");
        assert_eq!(ok.holder.patronymic.as_deref(), Some("ТЕСТҰЛЫ"));
        assert_eq!(ok.content, b"to sign");
        assert_eq!(ok.algorithm, algorithm, "{extra:?}");
    }
    // Detached by openssl, content given.
    let detached = sign(dir.path(), &[]);
    assert!(v.verify(&detached, Some(b"to sign"), Utc::now()).is_ok());
}

#[test]
fn ecdsa_signatures_by_openssl_are_accepted() {
    for curve in ["P-256", "P-384"] {
        let dir = tempfile::tempdir().unwrap();
        let opt = format!("ec_paramgen_curve:{curve}");
        make(
            dir.path(),
            &["-newkey", "ec", "-pkeyopt", &opt],
            "digitalSignature,nonRepudiation",
        );
        let ok = verifier(dir.path())
            .verify(&sign(dir.path(), &[]), None, Utc::now())
            .unwrap();
        assert!(
            ok.algorithm.starts_with("ECDSA"),
            "{curve}: {}",
            ok.algorithm
        );
    }
}

#[test]
fn an_openssl_authentication_key_is_refused_for_signing() {
    let dir = tempfile::tempdir().unwrap();
    make(
        dir.path(),
        &["-newkey", "rsa:2048"],
        "digitalSignature,keyEncipherment",
    );
    let r = verifier(dir.path()).verify(&sign(dir.path(), &[]), None, Utc::now());
    assert_eq!(r.unwrap_err().code(), "key-usage");
}
