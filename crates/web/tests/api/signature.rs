//! Portal signing (contract.md "Portal signing"): `to_sign` on a draft, the
//! signature endpoint's verdicts as 422 codes, the signature kept with the
//! application and judged again later.

use crate::helpers::*;
use base64::Engine;
use chrono::Duration;
use qyzmet_pki::demo::{Authority, Profile};
use qyzmet_pki::{name, oids, Key, Signer, TrustConfig, Verifier};
use serde_json::json;
use std::sync::OnceLock;

struct Pki {
    root: Authority,
    stranger: Authority,
    /// P1's key that the root's CRL lists.
    revoked: Signer,
}

/// A CA valid around the tests' clock, and one nobody trusts.
fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let start = at(START);
        let root = Authority::root(
            "Test Root",
            start - Duration::days(400),
            start + Duration::days(400),
        )
        .unwrap();
        let stranger = Authority::root(
            "Stranger",
            start - Duration::days(400),
            start + Duration::days(400),
        )
        .unwrap();
        let revoked = signer_of(&root, P1, false);
        Pki {
            root,
            stranger,
            revoked,
        }
    })
}

fn signer_of(ca: &Authority, iin: &str, authentication: bool) -> Signer {
    let start = at(START);
    let subject = name::individual("ТЕСТОВ", "ТЕСТ", "ТЕСТҰЛЫ", iin).unwrap();
    let (from, to) = (start - Duration::days(30), start + Duration::days(30));
    let profile = if authentication {
        Profile::authentication(subject, from, to)
    } else {
        Profile::signing(subject, from, to, oids::KP_INDIVIDUAL)
    };
    let key = Key::generate_p256();
    let cert = ca.issue(&profile, &key).unwrap();
    Signer::from_key(key, vec![cert]).unwrap()
}

fn configure(app: &TestApp) {
    let p = pki();
    let serial = p
        .revoked
        .certificate()
        .tbs_certificate
        .serial_number
        .clone();
    let crl = p
        .root
        .crl(
            &[(serial, at(START) - Duration::days(1))],
            at(START) - Duration::days(2),
        )
        .unwrap();
    let mut c = TrustConfig::default();
    c.anchors.push(p.root.cert.clone());
    c.crls.push(crl);
    let _ = app.state.clone().with_verifier(Verifier::new(c));
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn a_portal_draft_is_signed_and_submitted(app: &TestApp) {
    configure(app);
    let r = app
        .take_in(P1, &intake("foster-care-payment", "portal", P1))
        .await;
    r.expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let to_sign_b64 = r.body["to_sign"]
        .as_str()
        .expect("a draft shows to_sign")
        .to_owned();
    let to_sign = base64::engine::general_purpose::STANDARD
        .decode(&to_sign_b64)
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&to_sign).unwrap();
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(doc["purpose"], "qyzmet-application/1");
    assert_eq!(doc["applicant"]["iin"], P1);
    // Stable: the same bytes on every read.
    let again = app.read_case(P1, &id).await;
    assert_eq!(again["to_sign"], to_sign_b64.as_str());

    let path = format!("/api/v1/applications/{id}/signature");
    let now = app.now();
    let p1 = signer_of(&pki().root, P1, false);
    // Every refusal is a 422 with its code; the draft stays a draft.
    app.post(P1, &path, &json!({"cms": "!!!"}))
        .await
        .problem(422, "cms-malformed");
    app.post(P1, &path, &json!({"cms": b64(b"garbage")}))
        .await
        .problem(422, "cms-malformed");
    app.post(P1, &path, &json!({}))
        .await
        .problem(422, "body-invalid");
    let other = p1.sign_at(b"other bytes", false, now).unwrap();
    app.post(P1, &path, &json!({"cms": b64(&other)}))
        .await
        .problem(422, "signature-invalid");
    let p2 = signer_of(&pki().root, P2, false);
    let wrong_person = p2.sign_at(&to_sign, true, now).unwrap();
    app.post(P1, &path, &json!({"cms": b64(&wrong_person)}))
        .await
        .problem(422, "iin-mismatch");
    let stranger = signer_of(&pki().stranger, P1, false);
    let untrusted = stranger.sign_at(&to_sign, true, now).unwrap();
    app.post(P1, &path, &json!({"cms": b64(&untrusted)}))
        .await
        .problem(422, "certificate-untrusted");
    let auth = signer_of(&pki().root, P1, true);
    let auth_sig = auth.sign_at(&to_sign, true, now).unwrap();
    app.post(P1, &path, &json!({"cms": b64(&auth_sig)}))
        .await
        .problem(422, "key-usage");
    let mut cut = p1.sign_at(&to_sign, false, now).unwrap();
    cut.truncate(cut.len() / 2);
    app.post(P1, &path, &json!({"cms": b64(&cut)}))
        .await
        .problem(422, "cms-malformed");
    assert_eq!(app.read_case(P1, &id).await["status"], "draft");
    // Staff cannot see, let alone sign, a draft.
    app.post("clerk", &path, &json!({"cms": b64(&auth_sig)}))
        .await
        .problem(404, "not-found");

    // Signed right (detached, as NCALayer may send it): in progress.
    let good = p1.sign_at(&to_sign, true, now).unwrap();
    let r = app.post(P1, &path, &json!({"cms": b64(&good)})).await;
    r.expect(200);
    assert_eq!(r.body["status"], "in-progress");
    assert!(r.body.get("to_sign").is_none(), "{}", r.body);
    let events = app.events(&id).await;
    assert!(events.iter().any(|e| e["type"] == "signed"), "{events:?}");
    // The same signature again (a retry): the same answer.
    let r2 = app.post(P1, &path, &json!({"cms": b64(&good)})).await;
    r2.expect(200);
    assert_eq!(r2.body["status"], "in-progress");
    // Another signature now: the application is no longer a draft.
    let later = p1.sign_at(&to_sign, false, now).unwrap();
    app.post(P1, &path, &json!({"cms": b64(&later)}))
        .await
        .problem(409, "action-conflict");

    // Kept with the application, and judged the same again later.
    let stored = app.state.store().signatures(&id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let s = &stored[0].signature;
    assert_eq!(s.cms, good);
    assert_eq!(s.content, to_sign);
    assert_eq!(s.iin, P1);
    assert_eq!(s.verdict, "valid");
    assert_eq!(
        s.serial,
        qyzmet_pki::name::hex(p1.certificate().tbs_certificate.serial_number.as_bytes())
    );
    assert!(s.issuer.contains("Test Root"), "{}", s.issuer);
    assert_eq!(
        qyzmet_web::signature::recheck(app.state.verifier(), s, now),
        "valid"
    );
    assert_eq!(
        qyzmet_web::signature::recheck(app.state.verifier(), s, now + Duration::days(60)),
        "certificate-expired"
    );
}

async fn a_revoked_key_cannot_sign(app: &TestApp) {
    configure(app);
    let r = app
        .take_in(P1, &intake("foster-care-payment", "portal", P1))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let to_sign = base64::engine::general_purpose::STANDARD
        .decode(r.body["to_sign"].as_str().unwrap())
        .unwrap();
    let cms = pki().revoked.sign_at(&to_sign, false, app.now()).unwrap();
    let path = format!("/api/v1/applications/{id}/signature");
    app.post(P1, &path, &json!({"cms": b64(&cms)}))
        .await
        .problem(422, "certificate-revoked");
    assert!(app.state.store().signatures(&id).await.unwrap().is_empty());
    // Signed with a key the CRL does not list, it goes through.
    let good = signer_of(&pki().root, P1, false)
        .sign_at(&to_sign, false, app.now())
        .unwrap();
    app.post(P1, &path, &json!({"cms": b64(&good)}))
        .await
        .expect(200);
}

crate::on_both_backends!(
    a_portal_draft_is_signed_and_submitted,
    a_revoked_key_cannot_sign
);
