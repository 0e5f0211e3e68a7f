//! Signatures per second with the demo head's kind of key (RSA-2048,
//! PKCS#1 v1.5, SHA-256), against a baseline measured in the same run: the
//! `rsa` crate's signature, as Qyzmet made it before ring (a
//! `pkcs1v15::SigningKey` over the key); then ring's (what it signed with
//! until 2026-12-07) and `Key::Rsa`'s (aws-lc now). Also a whole detached
//! CMS over 1 KiB, and ECDSA P-256 by the p256 crate, by ring and by
//! `Key::P256` (aws-lc). `cargo bench -p qyzmet-pki --bench sign`.

mod common;

use std::hint::black_box;

use chrono::{Duration, Utc};
use common::{per_second, root};
use qyzmet_pki::demo::Profile;
use qyzmet_pki::{name, oids, Key, Signer};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer as _};

fn main() {
    let now = Utc::now();
    let root = root(now);
    let subject = name::individual("БЕНЧ", "ТЕСТ", "ТЕСТҰЛЫ", "871008401427").unwrap();
    let profile = Profile::signing(
        subject,
        now - Duration::days(1),
        now + Duration::days(30),
        oids::KP_INDIVIDUAL,
    );
    let (_, p12) = root.issue_p12(&profile, &[]).unwrap();
    let signer = Signer::from_p12(&p12, qyzmet_pki::demo::PASSWORD).unwrap();
    let content = vec![b'x'; 1024];
    // What the key signs in a CMS: the DER of the signed attributes, about
    // 100 bytes.
    let attrs = vec![b'a'; 105];

    // The `rsa` crate's signature of the same key, as the code made it
    // before (a SigningKey over a clone of the key per signature).
    let Key::Rsa(key) = Key::generate_rsa().unwrap() else {
        unreachable!()
    };
    assert!(key.by_aws_lc());
    let ring_rsa = {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let der = key.private().to_pkcs1_der().unwrap();
        ring::signature::RsaKeyPair::from_der(der.as_bytes()).unwrap()
    };
    let ring_sign = |data: &[u8]| {
        let mut sig = vec![0; ring_rsa.public().modulus_len()];
        ring_rsa
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                data,
                &mut sig,
            )
            .unwrap();
        sig
    };
    assert_eq!(ring_sign(&attrs), key.sign_sha256(&attrs).unwrap());
    let old = |data: &[u8]| {
        SigningKey::<sha2::Sha256>::new(key.private().clone())
            .try_sign(data)
            .unwrap()
            .to_vec()
    };
    assert_eq!(old(&attrs), key.sign_sha256(&attrs).unwrap());

    let p256 = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let rng = ring::rand::SystemRandom::new();
    let ring_p256 = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &p256.to_bytes(),
        p256.verifying_key().to_encoded_point(false).as_bytes(),
        &rng,
    )
    .unwrap();

    let n = if std::env::args().any(|a| a == "--bench") {
        1000
    } else {
        10
    };
    let bare_old = per_second(n, || {
        black_box(old(black_box(&attrs)));
    });
    let bare_ring = per_second(n, || {
        black_box(ring_sign(black_box(&attrs)));
    });
    let bare_lc = per_second(n, || {
        black_box(key.sign_sha256(black_box(&attrs)).unwrap());
    });
    let cms = per_second(n, || {
        black_box(signer.sign(black_box(&content), true).unwrap());
    });
    let ecdsa_p256 = per_second(n, || {
        let sig: p256::ecdsa::Signature = p256.sign(black_box(&attrs));
        black_box(sig);
    });
    let ecdsa_ring = per_second(n, || {
        black_box(ring_p256.sign(&rng, black_box(&attrs)).unwrap());
    });
    let Key::P256(lc_p256) = Key::p256(p256.clone()) else {
        unreachable!()
    };
    assert!(lc_p256.by_aws_lc());
    let ecdsa_lc = per_second(n, || {
        black_box(lc_p256.sign_sha256(black_box(&attrs)).unwrap());
    });
    println!("baseline: RSA-2048 sign, rsa crate:  {bare_old:>9.0}/s  1.00");
    println!(
        "RSA-2048 sign, ring:                 {bare_ring:>9.0}/s  {:.2}",
        bare_ring / bare_old
    );
    println!(
        "RSA-2048 sign, aws-lc (Key::Rsa):    {bare_lc:>9.0}/s  {:.2}  (aws-lc / ring {:.2})",
        bare_lc / bare_old,
        bare_lc / bare_ring
    );
    println!(
        "CMS sign (detached, 1 KiB):          {cms:>9.0}/s  {:.2}",
        cms / bare_old
    );
    println!(
        "ECDSA P-256 sign, p256 crate:        {ecdsa_p256:>9.0}/s  {:.2}",
        ecdsa_p256 / bare_old
    );
    println!(
        "ECDSA P-256 sign, ring:              {ecdsa_ring:>9.0}/s  {:.2}",
        ecdsa_ring / bare_old
    );
    println!(
        "ECDSA P-256 sign, aws-lc (Key::P256): {ecdsa_lc:>8.0}/s  {:.2}  (aws-lc / ring {:.2})",
        ecdsa_lc / bare_old,
        ecdsa_lc / ecdsa_ring
    );
}
