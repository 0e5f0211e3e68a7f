//! CMS verifications per second (RSA-2048, SHA-256, chain cached after the
//! first), against a baseline measured in the same run: a bare RSA-2048
//! PKCS#1 v1.5 verification by the same `rsa` crate, which every CMS
//! verification contained once before the CMS verifier moved to ring (it
//! contained ring's until 2026-12-07 and aws-lc's since; both printed too).
//! `cargo bench -p qyzmet-pki --bench verify`.

mod common;

use std::hint::black_box;

use chrono::{Duration, Utc};
use common::{per_second, root};
use qyzmet_pki::demo::Profile;
use qyzmet_pki::{name, oids, Signer, TrustConfig, Verifier};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer as _, Verifier as _};
use rsa::traits::PublicKeyParts;

fn main() {
    let now = Utc::now();
    let root = root(now);
    let ca = root
        .subordinate(
            "Bench Issuing CA",
            now - Duration::days(1),
            now + Duration::days(30),
        )
        .unwrap();
    let subject = name::individual("БЕНЧ", "ТЕСТ", "ТЕСТҰЛЫ", "871008401427").unwrap();
    let profile = Profile::signing(
        subject,
        now - Duration::days(1),
        now + Duration::days(30),
        oids::KP_INDIVIDUAL,
    );
    let (_, p12) = ca
        .issue_p12(&profile, std::slice::from_ref(&root.cert))
        .unwrap();
    let signer = Signer::from_p12(&p12, qyzmet_pki::demo::PASSWORD).unwrap();
    // A typical `to_sign`: about 1 KiB of JSON.
    let content = vec![b'x'; 1024];
    let cms = signer.sign(&content, true).unwrap();

    let mut c = TrustConfig::default();
    c.anchors.push(root.cert.clone());
    c.crls.push(ca.crl(&[], now).unwrap());
    let verifier = Verifier::new(c);
    assert!(verifier.verify(&cms, Some(&content), now).is_ok());

    // The baseline: one bare RSA-2048 verification of a 1 KiB message.
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let sk = SigningKey::<sha2::Sha256>::new(key.clone());
    let vk = VerifyingKey::<sha2::Sha256>::new(key.to_public_key());
    let sig: Signature = sk.sign(&content);
    let sig = Signature::try_from(sig.to_bytes().as_ref()).unwrap();
    assert!(vk.verify(&content, &sig).is_ok());

    // `cargo test --all-targets` runs this without `--bench`: a quick smoke
    // run then, the real measurement only under `cargo bench`.
    let n = if std::env::args().any(|a| a == "--bench") {
        4000
    } else {
        40
    };
    let bare = per_second(n, || {
        black_box(vk.verify(black_box(&content), black_box(&sig))).unwrap();
    });
    let (modulus, exponent) = (key.n().to_bytes_be(), key.e().to_bytes_be());
    let ring_key = ring::signature::RsaPublicKeyComponents {
        n: &modulus,
        e: &exponent,
    };
    let sig_bytes = sig.to_bytes();
    let bare_ring = per_second(n, || {
        black_box(ring_key.verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            black_box(&content),
            black_box(&sig_bytes),
        ))
        .unwrap();
    });
    let lc_key = aws_lc_rs::signature::RsaPublicKeyComponents {
        n: &modulus,
        e: &exponent,
    };
    let bare_lc = per_second(n, || {
        black_box(lc_key.verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            black_box(&content),
            black_box(&sig_bytes),
        ))
        .unwrap();
    });
    let full = per_second(n, || {
        black_box(verifier.verify(black_box(&cms), Some(&content), now)).unwrap();
    });
    println!("bare RSA-2048 verify:          {bare:>9.0}/s");
    println!(
        "bare RSA-2048 verify, ring:    {bare_ring:>9.0}/s  ({:.2})",
        bare_ring / bare
    );
    println!(
        "bare RSA-2048 verify, aws-lc:  {bare_lc:>9.0}/s  ({:.2})",
        bare_lc / bare
    );
    println!("CMS verify (cached chain):     {full:>9.0}/s");
    println!("ratio CMS / bare:              {:>9.2}", full / bare);
}
