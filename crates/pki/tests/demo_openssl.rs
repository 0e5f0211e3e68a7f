//! The demo PKI and signatures as openssl sees them: the PKCS#12 files open,
//! and `openssl cms -verify` accepts what [`Signer`] makes.

use std::process::Command;

use qyzmet_pki::{demo, Signer};

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs")
}

#[test]
fn demo_pki_opens_in_openssl_and_its_signatures_verify() {
    let dir = tempfile::tempdir().unwrap();
    let pki = demo::ensure(dir.path()).unwrap();
    let ca = pki.ca.to_str().unwrap();
    for stem in demo::KEYS {
        let p12 = pki.p12(stem);
        let out = openssl(&[
            "pkcs12",
            "-in",
            p12.to_str().unwrap(),
            "-passin",
            "pass:demo",
            "-nokeys",
            "-info",
        ]);
        assert!(
            out.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Qyzmet Demo Root CA"),
            "{stem} carries its chain"
        );
    }
    let subject = openssl(&["x509", "-in", ca, "-noout", "-subject"]);
    assert!(subject.status.success());

    let signer =
        Signer::from_p12(&std::fs::read(pki.p12("871008401427")).unwrap(), "demo").unwrap();
    let content = b"to sign: application 42";
    let content_path = dir.path().join("content.bin");
    std::fs::write(&content_path, content).unwrap();
    for detached in [false, true] {
        let cms = signer.sign(content, detached).unwrap();
        let p7s = dir.path().join(format!("sig-{detached}.p7s"));
        std::fs::write(&p7s, &cms).unwrap();
        let mut args = vec![
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            p7s.to_str().unwrap(),
            "-CAfile",
            ca,
            "-purpose",
            "any",
        ];
        if detached {
            args.extend(["-content", content_path.to_str().unwrap()]);
        }
        let out = openssl(&args);
        assert!(
            out.status.success(),
            "detached={detached}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, content);
    }

    // Keys in the national CA's subject format.
    let out = openssl(&[
        "pkcs12",
        "-in",
        pki.p12("head").to_str().unwrap(),
        "-passin",
        "pass:demo",
        "-nokeys",
        "-clcerts",
    ]);
    let pem = dir.path().join("head.pem");
    std::fs::write(&pem, &out.stdout).unwrap();
    let out = openssl(&[
        "x509",
        "-in",
        pem.to_str().unwrap(),
        "-noout",
        "-subject",
        "-ext",
        "keyUsage",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OU = BIN"), "{text}");
    assert!(text.contains("Non Repudiation"), "{text}");

    // openssl, like the verifier, refuses the revoked and the expired key.
    // openssl cms reads CRLs from the CA file.
    let ca_crl = dir.path().join("ca-crl.pem");
    let mut both = std::fs::read(&pki.ca).unwrap();
    both.extend(std::fs::read(&pki.crl).unwrap());
    std::fs::write(&ca_crl, both).unwrap();
    for (stem, why) in [
        ("871008401427-revoked", "revoked"),
        ("871008401427-expired", "expired"),
    ] {
        let s = Signer::from_p12(&std::fs::read(pki.p12(stem)).unwrap(), "demo").unwrap();
        let p7s = dir.path().join(format!("{stem}.p7s"));
        std::fs::write(&p7s, s.sign(content, false).unwrap()).unwrap();
        let out = openssl(&[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            p7s.to_str().unwrap(),
            "-CAfile",
            ca_crl.to_str().unwrap(),
            "-purpose",
            "any",
            "-crl_check",
        ]);
        assert!(!out.status.success(), "{stem} must be refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{stem}: {err}");
    }
    let text = signer.certificate().tbs_certificate.subject.to_string();
    assert!(text.contains("IIN871008401427"), "{text}");

    // An existing demo PKI is kept.
    let before = std::fs::read(&pki.ca).unwrap();
    demo::ensure(dir.path()).unwrap();
    assert_eq!(std::fs::read(&pki.ca).unwrap(), before);
}
