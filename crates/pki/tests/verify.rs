//! The verifier's verdicts: the national CA's real sample, the demo PKI's
//! keys, and certificates made on the spot for each way a signature fails.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use der::{Decode, Encode};
use qyzmet_pki::demo::{self, Authority, DemoPki, Profile};
use qyzmet_pki::{name, oids, Refusal, Signer, TrustConfig, Verifier};

const NCA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/nca");

fn pki() -> &'static DemoPki {
    static PKI: OnceLock<(tempfile::TempDir, DemoPki)> = OnceLock::new();
    &PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pki = demo::ensure(dir.path()).unwrap();
        (dir, pki)
    })
    .1
}

fn demo_config() -> TrustConfig {
    let mut c = TrustConfig::default();
    c.add_anchor_file(&pki().ca).unwrap();
    c.add_crl_file(&pki().crl).unwrap();
    c
}

fn verifier() -> Verifier {
    Verifier::new(demo_config())
}

fn signer(stem: &str) -> Signer {
    pki().signer(stem).unwrap()
}

fn code(r: Result<qyzmet_pki::Verified, Refusal>) -> &'static str {
    match r {
        Ok(_) => "valid",
        Err(e) => e.code(),
    }
}

const CONTENT: &[u8] = b"{\"application\":\"42\"}";

#[test]
fn the_national_ca_sample_is_read_and_judged_expired_whenever_judged() {
    let mut c = TrustConfig::default();
    c.add_anchor_file(format!("{NCA}/ca-test-rsa-nko30.pem").as_ref())
        .unwrap();
    c.add_crl_file(format!("{NCA}/nca_rsa_test.crl.pem").as_ref())
        .unwrap();
    c.accept_test_iins = true;
    let v = Verifier::new(c);
    let cms = std::fs::read(format!("{NCA}/kalkan-rsa-1signer-attached-lol_kek.p7s")).unwrap();
    let content = std::fs::read(format!("{NCA}/lol_kek.txt")).unwrap();
    for at in [
        Utc::now(),
        Utc.with_ymd_and_hms(2021, 6, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2022, 10, 1, 18, 52, 19).unwrap(),
    ] {
        let j = v.judge(&cms, None, at);
        assert_eq!(
            j.holder.as_ref().unwrap().iin.as_deref(),
            Some("123456789011")
        );
        assert_eq!(j.outcome, Err(Refusal::CertificateExpired), "at {at}");
    }
    // Also with the content given as if detached (it matches).
    assert_eq!(
        code(v.verify(&cms, Some(&content), Utc::now())),
        "certificate-expired"
    );
    assert_eq!(
        code(v.verify(&cms, Some(b"other"), Utc::now())),
        "signature-invalid"
    );
}

#[test]
fn demo_keys_sign_valid_signatures_attached_and_detached() {
    let v = verifier();
    let s = signer("871008401427");
    let ok = v
        .verify(&s.sign(CONTENT, false).unwrap(), None, Utc::now())
        .unwrap();
    assert_eq!(ok.iin, "871008401427");
    assert_eq!(ok.holder.surname.as_deref(), Some("ДЕМОВА"));
    assert_eq!(ok.holder.name.as_deref(), Some("АЙГҮЛ"));
    assert_eq!(ok.holder.patronymic.as_deref(), Some("СЕРІКҚЫЗЫ"));
    assert_eq!(ok.content, CONTENT);
    assert!(ok.signing_time.is_some());
    assert!(ok.issuer.contains("Qyzmet Demo"), "{}", ok.issuer);
    assert_eq!(ok.algorithm, "RSA PKCS#1 v1.5 with SHA-256");

    let detached = s.sign(CONTENT, true).unwrap();
    assert_eq!(
        code(v.verify(&detached, Some(CONTENT), Utc::now())),
        "valid"
    );
    assert_eq!(
        code(v.verify(&detached, Some(b"{\"application\":\"43\"}"), Utc::now())),
        "signature-invalid"
    );
    assert_eq!(code(v.verify(&detached, None, Utc::now())), "cms-malformed");

    let head = v
        .verify(
            &signer("head").sign(CONTENT, false).unwrap(),
            None,
            Utc::now(),
        )
        .unwrap();
    assert_eq!(head.holder.bin.as_deref(), Some(demo::PROVIDER_BIN));
    assert!(head.holder.organization.is_some());
}

#[test]
fn revoked_and_expired_demo_keys_are_refused() {
    let v = verifier();
    let revoked = signer("871008401427-revoked").sign(CONTENT, false).unwrap();
    assert_eq!(
        code(v.verify(&revoked, None, Utc::now())),
        "certificate-revoked"
    );
    // Judged before it was revoked (and after it was issued), it stands.
    let before = Utc::now() - Duration::hours(2);
    let revoked_then = signer("871008401427-revoked")
        .sign_at(CONTENT, false, before)
        .unwrap();
    assert_eq!(code(v.verify(&revoked_then, None, before)), "valid");

    let expired = signer("871008401427-expired");
    assert_eq!(
        code(v.verify(&expired.sign(CONTENT, false).unwrap(), None, Utc::now())),
        "certificate-expired"
    );
    // Signed while valid, judged then: valid; judged now: expired.
    let then = Utc::now() - Duration::days(500);
    let old = expired.sign_at(CONTENT, false, then).unwrap();
    assert_eq!(code(v.verify(&old, None, then)), "valid");
    assert_eq!(
        code(v.verify(&old, None, Utc::now())),
        "certificate-expired"
    );
    // A signing time after expiry fails even when judged inside validity.
    let late = expired.sign_at(CONTENT, false, Utc::now()).unwrap();
    assert_eq!(code(v.verify(&late, None, then)), "certificate-expired");
    // Judged before the certificate began.
    let s = signer("871008401427");
    let early = Utc::now() - Duration::days(60);
    assert_eq!(
        code(v.verify(&s.sign_at(CONTENT, false, early).unwrap(), None, early)),
        "certificate-not-yet-valid"
    );
}

#[test]
fn unknown_roots_and_missing_anchors_are_untrusted() {
    let cms = signer("871008401427").sign(CONTENT, false).unwrap();
    assert_eq!(
        code(Verifier::new(TrustConfig::default()).verify(&cms, None, Utc::now())),
        "certificate-untrusted"
    );
    let now = Utc::now();
    let other = Authority::root(
        "Another Root",
        now - Duration::days(1),
        now + Duration::days(30),
    )
    .unwrap();
    let mut c = TrustConfig::default();
    c.anchors.push(other.cert.clone());
    assert_eq!(
        code(Verifier::new(c).verify(&cms, None, now)),
        "certificate-untrusted"
    );
    // A self-made certificate claiming the demo CA's name is not trusted.
    let fake = Authority::root(
        "Qyzmet Demo Root CA",
        now - Duration::days(1),
        now + Duration::days(30),
    )
    .unwrap();
    let subject = name::individual("ЖАЛҒАН", "АДАМ", "ЖАЛҒАНҰЛЫ", "871008401427").unwrap();
    let (_, p12) = fake
        .issue_p12(
            &Profile::signing(
                subject,
                now - Duration::days(1),
                now + Duration::days(30),
                oids::KP_INDIVIDUAL,
            ),
            &[],
        )
        .unwrap();
    let forged = Signer::from_p12(&p12, demo::PASSWORD)
        .unwrap()
        .sign(CONTENT, false)
        .unwrap();
    assert_eq!(
        code(verifier().verify(&forged, None, now)),
        "certificate-untrusted"
    );
}

/// A root trusted by the verifier, issuing whatever a test needs.
fn own_ca() -> (Authority, Verifier) {
    let now = Utc::now();
    let ca = Authority::root(
        "Test Root",
        now - Duration::days(1),
        now + Duration::days(30),
    )
    .unwrap();
    let mut c = TrustConfig::default();
    c.anchors.push(ca.cert.clone());
    (ca, Verifier::new(c))
}

fn issued(ca: &Authority, profile: Profile) -> Signer {
    let (_, p12) = ca.issue_p12(&profile, &[]).unwrap();
    Signer::from_p12(&p12, demo::PASSWORD).unwrap()
}

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc::now() - Duration::days(1),
        Utc::now() + Duration::days(10),
    )
}

#[test]
fn authentication_keys_and_certificates_without_an_iin_are_refused() {
    let (ca, v) = own_ca();
    let (from, to) = window();
    let person = name::individual("ТЕСТОВ", "ТЕСТ", "ТЕСТҰЛЫ", "871008401427").unwrap();
    let auth = issued(&ca, Profile::authentication(person.clone(), from, to));
    assert_eq!(
        code(v.verify(&auth.sign(CONTENT, false).unwrap(), None, Utc::now())),
        "key-usage"
    );

    let no_iin = name::build(&[(oids::AT_CN, "NOBODY"), (oids::AT_COUNTRY, "KZ")]).unwrap();
    let s = issued(&ca, Profile::signing(no_iin, from, to, oids::KP_INDIVIDUAL));
    assert_eq!(
        code(v.verify(&s.sign(CONTENT, false).unwrap(), None, Utc::now())),
        "certificate-no-iin"
    );

    let bad_digit = name::individual("ТЕСТОВ", "ТЕСТ", "ТЕСТҰЛЫ", "871008401428").unwrap();
    let s = issued(
        &ca,
        Profile::signing(bad_digit, from, to, oids::KP_INDIVIDUAL),
    );
    assert_eq!(
        code(v.verify(&s.sign(CONTENT, false).unwrap(), None, Utc::now())),
        "certificate-no-iin"
    );

    // The national CA's test IIN: only with accept_test_iins.
    let test = name::individual("ТЕСТОВ", "ТЕСТ", "ТЕСТҰЛЫ", "123456789011").unwrap();
    let cms = issued(&ca, Profile::signing(test, from, to, oids::KP_INDIVIDUAL))
        .sign(CONTENT, false)
        .unwrap();
    assert_eq!(code(v.verify(&cms, None, Utc::now())), "certificate-no-iin");
    let mut c = v.config().clone();
    c.accept_test_iins = true;
    assert_eq!(
        Verifier::new(c).verify(&cms, None, Utc::now()).unwrap().iin,
        "123456789011"
    );
}

/// A detached signature made from a digest the caller computed is the
/// same as one made from the content; a digest of other bytes makes a
/// signature the content does not match.
#[test]
fn a_detached_signature_from_a_computed_digest_verifies() {
    use sha2::Digest;
    let v = verifier();
    let s = signer("head");
    let digest: [u8; 32] = sha2::Sha256::digest(CONTENT).into();
    let cms = s.sign_detached_hashed(CONTENT, &digest).unwrap();
    assert_eq!(code(v.verify(&cms, Some(CONTENT), Utc::now())), "valid");
    let other: [u8; 32] = sha2::Sha256::digest(b"other").into();
    let cms = s.sign_detached_hashed(CONTENT, &other).unwrap();
    assert_eq!(
        code(v.verify(&cms, Some(CONTENT), Utc::now())),
        "signature-invalid"
    );
}

#[test]
fn ecdsa_keys_verify() {
    let (ca, v) = own_ca();
    let (from, to) = window();
    let person = name::individual("ТЕСТОВ", "ТЕСТ", "ТЕСТҰЛЫ", "871008401427").unwrap();
    let key = qyzmet_pki::Key::generate_p256();
    let cert = ca
        .issue(
            &Profile::signing(person, from, to, oids::KP_INDIVIDUAL),
            &key,
        )
        .unwrap();
    let s = Signer::from_key(key, vec![cert]).unwrap();
    let ok = v
        .verify(&s.sign(CONTENT, true).unwrap(), Some(CONTENT), Utc::now())
        .unwrap();
    assert_eq!(ok.algorithm, "ECDSA with SHA-256");
}

#[test]
fn tampering_truncation_and_garbage_are_clear_refusals() {
    let v = verifier();
    let cms = signer("871008401427").sign(CONTENT, false).unwrap();
    // Content changed inside the CMS.
    let pos = cms
        .windows(CONTENT.len())
        .position(|w| w == CONTENT)
        .unwrap();
    let mut tampered = cms.clone();
    tampered[pos + 2] ^= 1;
    assert_eq!(
        code(v.verify(&tampered, None, Utc::now())),
        "signature-invalid"
    );
    // The signature's last byte changed.
    let mut bad_sig = cms.clone();
    let ci = cms::content_info::ContentInfo::from_der(&cms).unwrap();
    let sd = cms::signed_data::SignedData::from_der(&ci.content.to_der().unwrap()).unwrap();
    let sig = sd
        .signer_infos
        .0
        .iter()
        .next()
        .unwrap()
        .signature
        .as_bytes()
        .to_vec();
    let at = cms.windows(sig.len()).position(|w| w == sig).unwrap();
    bad_sig[at + sig.len() - 1] ^= 0x55;
    assert_eq!(
        code(v.verify(&bad_sig, None, Utc::now())),
        "signature-invalid"
    );
    // Truncated at every length, and garbage.
    for n in [0, 1, 10, cms.len() / 2, cms.len() - 1] {
        assert_eq!(
            code(v.verify(&cms[..n], None, Utc::now())),
            "cms-malformed",
            "{n}"
        );
    }
    assert_eq!(
        code(v.verify(b"hello, not DER", None, Utc::now())),
        "cms-malformed"
    );
    // A certificate in place of a CMS.
    let cert = signer("871008401427").certificate().to_der().unwrap();
    assert_eq!(code(v.verify(&cert, None, Utc::now())), "cms-malformed");
}

#[test]
fn gost_signatures_answer_unsupported_algorithm() {
    let cms = signer("871008401427").sign(CONTENT, false).unwrap();
    let mut ci = cms::content_info::ContentInfo::from_der(&cms).unwrap();
    let mut sd = cms::signed_data::SignedData::from_der(&ci.content.to_der().unwrap()).unwrap();
    let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
    // GOST 34.10-2015 as KalkanCrypt names it.
    si.signature_algorithm.oid = const_oid::ObjectIdentifier::new_unwrap("1.2.398.3.10.1.1.2.3.2");
    si.signature_algorithm.parameters = None;
    sd.signer_infos =
        cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(vec![si]).unwrap());
    ci.content = der::Any::encode_from(&sd).unwrap();
    let gost = ci.to_der().unwrap();
    assert_eq!(
        code(verifier().verify(&gost, None, Utc::now())),
        "unsupported-algorithm"
    );
}
