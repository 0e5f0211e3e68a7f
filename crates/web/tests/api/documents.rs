//! Result and receipt documents as their holders and the public meet them
//! (contract.md, "Documents"): drafted by the job runner when the case
//! reaches `sign`, sealed by the head (the server-held demo key, or their
//! own signature), issued; the PDF has the Kazakh text as text, a QR code
//! of the verify page, and a seal `openssl cms -verify` accepts; the verify
//! JSON and page agree with the bytes.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use qyzmet_pki::demo::DemoPki;
use qyzmet_web::documents::{P12Sealer, Settings};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// The demo PKI, made once per test binary (RSA keys take a moment).
fn pki() -> &'static (tempfile::TempDir, DemoPki) {
    static PKI: OnceLock<(tempfile::TempDir, DemoPki)> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        // Valid around the test clock, not only around today.
        let pki = qyzmet_pki::demo::ensure_at(&dir.path().join("demo-pki"), at(START)).unwrap();
        (dir, pki)
    })
}

fn verifier(pki: &DemoPki) -> qyzmet_pki::Verifier {
    crate::support::demo_verifier(pki)
}

/// Documents on; with the demo head's key held by the server, or not.
fn settings(server_key: bool) -> Settings {
    let (_, pki) = pki();
    let sealer = server_key.then(|| {
        Arc::new(P12Sealer::new(pki.signer("head").unwrap()))
            as Arc<dyn qyzmet_web::documents::Sealer>
    });
    Settings::new(sealer, Some(Arc::new(verifier(pki))))
}

macro_rules! with_documents {
    ($($name:ident($key:expr)),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::helpers::spawn_app_with(
                        $crate::helpers::Backend::Sqlite,
                        super::settings($key),
                    )
                    .await
                    .unwrap();
                    super::$name(&app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(app) = $crate::helpers::spawn_app_with(
                        $crate::helpers::Backend::Postgres,
                        super::settings($key),
                    )
                    .await
                    else {
                        return;
                    };
                    super::$name(&app).await;
                }
            )*
        }
    };
}

with_documents!(
    the_whole_lifecycle_issues_a_sealed_verifiable_pdf(true),
    a_refusal_cites_its_grounds_in_russian(true),
    a_head_without_a_server_key_sends_their_own_signature(false),
    verify_lookups_are_rate_limited(true),
    a_sealed_result_sent_back_to_review_is_drafted_afresh(true),
    a_draft_asked_for_on_another_node_is_drafted_as_stored(true),
    a_receipt_names_the_representative(true),
);

async fn bytes(app: &TestApp, user: &str, path: &str) -> (u16, Vec<u8>, Option<String>) {
    let token = app.login(user).await;
    let res = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, res.bytes().await.unwrap().to_vec(), ct)
}

async fn public(app: &TestApp, path: &str) -> Resp {
    read(app.client.get(app.url(path)).send().await.unwrap()).await
}

async fn run_jobs(app: &TestApp) {
    qyzmet_web::documents::run_jobs(&app.state).await.unwrap();
}

fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("the PDF opens");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

/// The QR code embedded in the PDF, decoded: its 1-bit image unpacked,
/// every pixel 4×4 for the decoder, as a viewer scales it up.
fn pdf_qr(pdf: &[u8]) -> String {
    const SCALE: usize = 4;
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    for obj in doc.objects.values() {
        let lopdf::Object::Stream(s) = obj else {
            continue;
        };
        if s.dict.get(b"Subtype").and_then(|o| o.as_name()).ok() != Some(b"Image".as_slice()) {
            continue;
        }
        let w = s.dict.get(b"Width").unwrap().as_i64().unwrap() as usize;
        let h = s.dict.get(b"Height").unwrap().as_i64().unwrap() as usize;
        assert_eq!(
            s.dict.get(b"BitsPerComponent").unwrap().as_i64().unwrap(),
            1,
            "a 1-bit image"
        );
        let data = s
            .decompressed_content()
            .unwrap_or_else(|_| s.content.clone());
        let row = w.div_ceil(8);
        assert_eq!(data.len(), row * h, "the image's bytes");
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * SCALE, h * SCALE, |x, y| {
            let (px, py) = (x / SCALE, y / SCALE);
            if data[py * row + px / 8] & (0x80 >> (px % 8)) != 0 {
                255
            } else {
                0
            }
        });
        let grids = img.detect_grids();
        if let Some(g) = grids.first() {
            return g.decode().expect("the QR code decodes").1;
        }
    }
    panic!("no QR code in the PDF");
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// `openssl cms -verify` over the detached seal, against the demo root.
fn openssl_verifies(pdf: &[u8], cms: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("doc.pdf");
    let sig = dir.path().join("doc.p7s");
    std::fs::write(&doc, pdf).unwrap();
    std::fs::write(&sig, cms).unwrap();
    let (_, pki) = pki();
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&sig)
        .arg("-content")
        .arg(&doc)
        .arg("-CAfile")
        .arg(&pki.ca)
        .args(["-certfile"])
        .arg(&pki.intermediate)
        // The head's key is for the national CA's organisation-head
        // purpose, not S/MIME e-mail.
        .args(["-purpose", "any", "-out"])
        .arg(PathBuf::from("/dev/null"))
        .output()
        .expect("openssl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Takes an application of `service` in at the office and brings it to
/// `sign`; returns the case.
/// A refusal ground the specialist may cite at `review` (the catalog lists
/// the intake-stage grounds first).
async fn decision_ground(app: &TestApp, service: &str) -> String {
    let services = public(app, "/api/v1/services").await;
    services
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == service)
        .unwrap()["refusal_grounds"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn to_sign(app: &TestApp, service: &str, language: &str, refuse: bool) -> Case {
    let mut body = intake(service, "office", P1);
    body["applicant"]["language"] = json!(language);
    body["applicant"]["name"] = json!("Құрманова Әлия Ғабитқызы");
    let mut case = app.take_in_ok("clerk", &body).await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    if refuse {
        let ground = decision_ground(app, service).await;
        app.act_ok(
            "specialist",
            &mut case,
            json!({"action": "refuse", "grounds": [ground], "reason": "Құжаттар толық емес"}),
        )
        .await;
    } else {
        app.act_ok("specialist", &mut case, complete()).await;
    }
    assert_eq!(case.body["step"], "sign");
    case
}

async fn a_receipt_names_the_representative(app: &TestApp) {
    let mut body = intake("adoption-payment", "office", P1);
    body["applicant"]["language"] = json!("ru");
    body["representative"] =
        json!({"iin": P2, "power_of_attorney": {"number": "DOV-2026-0001", "date": "2026-01-15"}});
    let case = app.take_in_ok("clerk", &body).await;
    let receipt = case.body["receipt"]["document"]
        .as_str()
        .unwrap()
        .to_owned();
    run_jobs(app).await;
    let (status, pdf, _) = bytes(app, P1, &format!("/api/v1/documents/{receipt}")).await;
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    assert!(text.contains("Представитель"), "{text}");
    assert!(
        text.contains(&format!("ИИН {P2}, доверенность № DOV-2026-0001")),
        "{text}"
    );
    assert!(text.contains("15.01.2026"), "{text}");
}

async fn the_whole_lifecycle_issues_a_sealed_verifiable_pdf(app: &TestApp) {
    let mut case = to_sign(app, "adoption-payment", "kk", false).await;
    let id = case.id.clone();

    // The receipt, rendered by its job: the documents taken and the deadline.
    let receipt = case.body["receipt"]["document"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, pdf, ct) = bytes(app, P1, &format!("/api/v1/documents/{receipt}")).await;
    assert_eq!(
        (status, ct.as_deref()),
        (404, Some("application/problem+json"))
    );
    run_jobs(app).await;
    let (status, pdf_r, ct) = bytes(app, P1, &format!("/api/v1/documents/{receipt}")).await;
    assert_eq!(
        (status, ct.as_deref()),
        (200, Some("application/pdf")),
        "{pdf:?}"
    );
    let text = pdf_text(&pdf_r);
    assert!(text.contains("Құжаттарды қабылдау туралы қолхат"), "{text}");
    assert!(text.contains("бала асырап алу туралы сот шешімі"), "{text}");
    assert!(text.contains("Нәтиже беру мерзімі"), "{text}");
    // Who gave it: the clerk who took the package in.
    assert!(text.contains("Қолхатты берген қызметкер"), "{text}");
    assert!(text.contains("clerk (test)"), "{text}");
    let v = public(app, &format!("/api/v1/verify/{receipt}")).await;
    v.expect(200);
    assert_eq!(v.body["kind"], "receipt");
    assert_eq!(v.body["sha256"], sha256(&pdf_r));

    // The draft is rendered: the head may read it, the applicant may not yet,
    // and the public learns nothing of it.
    let code = qyzmet_web::view::document_code(&id, "result");
    let (status, draft, _) = bytes(app, "head", &format!("/api/v1/documents/{code}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        bytes(app, P1, &format!("/api/v1/documents/{code}")).await.0,
        404
    );
    public(app, &format!("/api/v1/verify/{code}"))
        .await
        .expect(404);

    // Sealed by the head, issued by the clerk.
    app.act_ok("head", &mut case, complete()).await;
    let done = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"]["kind"], "approval");
    assert_eq!(done["result"]["document"], code.as_str());

    let (status, pdf, ct) = bytes(app, P1, &format!("/api/v1/documents/{code}")).await;
    assert_eq!((status, ct.as_deref()), (200, Some("application/pdf")));
    assert_eq!(pdf, draft, "the head sealed exactly the drafted bytes");
    let text = pdf_text(&pdf);
    for needle in [
        // The result form's name as a title, with a capital.
        "Жетім баланы",
        "Қарағанды қаласының білім бөлімі",
        "Құрманова Әлия Ғабитқызы",
        "871008401427",
        "БАСШЫ",
        // 75 MRP × 1 child × 4 325 ₸ (MRP of 2026).
        "324 375",
        "ә",
        "ғ",
        "қ",
        "ң",
        "ө",
        "ұ",
        "ү",
        "і",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(text.contains(done["number"].as_str().unwrap()));
    assert_eq!(pdf_qr(&pdf), format!("http://qyzmet.test/verify/{code}"));

    let v = public(app, &format!("/api/v1/verify/{code}")).await;
    v.expect(200);
    let keys: Vec<&str> = v
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 7, "{keys:?}");
    assert_eq!(v.body["valid"], true);
    assert_eq!(v.body["code"], code.as_str());
    assert_eq!(v.body["kind"], "approval");
    assert_eq!(v.body["number"], done["number"]);
    assert_eq!(v.body["issuer"], "Қарағанды қаласының білім бөлімі");
    assert_eq!(v.body["sha256"], sha256(&pdf));
    assert!(v.body["date"].as_str().unwrap().ends_with("+05:00"));

    let (status, cms, ct) = bytes(app, P1, &format!("/api/v1/documents/{code}/seal")).await;
    assert_eq!(
        (status, ct.as_deref()),
        (200, Some("application/pkcs7-signature"))
    );
    let (ok, why) = openssl_verifies(&pdf, &cms);
    assert!(ok, "openssl refused the seal: {why}");
    let mut tampered = pdf.clone();
    let last = tampered.len() - 10;
    tampered[last] ^= 1;
    assert!(
        !openssl_verifies(&tampered, &cms).0,
        "a changed PDF must not verify"
    );

    // The public page, and a file checked against it.
    let page = public(app, &format!("/verify/{code}?lang=ru")).await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text.contains(done["number"].as_str().unwrap()));
    assert!(page.text.contains(&sha256(&pdf)));
    // The page is on the portal's layout: its CSP, and a CSRF cookie for
    // the upload form.
    assert!(page
        .header("content-security-policy")
        .is_some_and(|v| !v.contains("unsafe-inline")));
    let csrf = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("qz_csrf="))
        .and_then(|v| v.split(';').next())
        .expect("the page sets its CSRF cookie")
        .to_owned();
    let upload = |file: Vec<u8>, token: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.to_owned())
            .part(
                "pdf",
                reqwest::multipart::Part::bytes(file).file_name("doc.pdf"),
            );
        app.client
            .post(app.url(&format!("/verify/{code}?lang=ru")))
            .header("cookie", format!("qz_csrf={csrf}"))
            .multipart(form)
            .send()
    };
    for (file, expect) in [
        (pdf.clone(), "Файл совпадает"),
        (tampered.clone(), "Файл не совпадает"),
    ] {
        let r = read(upload(file, &csrf).await.unwrap()).await;
        assert_eq!(r.status, 200);
        assert!(r.text.contains(expect), "{expect}: {}", r.text);
    }
    // Without the form's token the upload is refused, on a page.
    let r = read(upload(tampered, "x").await.unwrap()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("<html"));
    // An unknown code: 404, and the page names nothing.
    let unknown = public(app, "/verify/00000000000000000000").await;
    assert_eq!(unknown.status, 404);
    assert!(!unknown.text.contains(done["number"].as_str().unwrap()));
    assert!(!unknown.text.contains("sha"));
    public(app, "/api/v1/verify/00000000000000000000")
        .await
        .problem(404, "not-found");
    public(app, "/api/v1/verify/nonsense")
        .await
        .problem(404, "not-found");

    // Someone else's document stays hidden.
    assert_eq!(
        bytes(app, P2, &format!("/api/v1/documents/{code}")).await.0,
        404
    );
    assert_eq!(
        bytes(app, "other-clerk", &format!("/api/v1/documents/{code}"))
            .await
            .0,
        404
    );
}

async fn a_refusal_cites_its_grounds_in_russian(app: &TestApp) {
    let mut case = to_sign(app, "meeting-permission", "ru", true).await;
    // Before the draft is rendered the head cannot seal it with a key of
    // the head's own (there is nothing the head could have signed): a
    // clear 409. The server-held key drafts it on the spot (below).
    app.act(
        "head",
        &case.id,
        &case.etag,
        &json!({"action": "complete", "cms": "MAA="}),
    )
    .await
    .problem(409, "document-not-ready");
    run_jobs(app).await;
    // Run twice (at least once delivery): the same draft.
    let code = qyzmet_web::view::document_code(&case.id, "result");
    let first = bytes(app, "head", &format!("/api/v1/documents/{code}"))
        .await
        .1;
    app.state
        .store()
        .enqueue(
            vec![qyzmet_store::NewJob {
                kind: qyzmet_web::documents::JOB_KIND.into(),
                payload: json!({"application_id": case.id, "purpose": "result"}),
                run_at: app.now(),
            }],
            app.now(),
        )
        .await
        .unwrap();
    run_jobs(app).await;
    assert_eq!(
        bytes(app, "head", &format!("/api/v1/documents/{code}"))
            .await
            .1,
        first
    );

    app.act_ok("head", &mut case, complete()).await;
    let sealed = app.state.store().document(&code).await.unwrap();
    // Sent back from `issue` to `sign`: the head completes again, and the
    // document keeps its one seal.
    app.act_ok(
        "clerk",
        &mut case,
        json!({"action": "return", "comment": "қолы көрінбейді"}),
    )
    .await;
    run_jobs(app).await;
    app.act_ok("head", &mut case, complete()).await;
    assert_eq!(app.state.store().document(&code).await.unwrap(), sealed);
    let done = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(done["result"]["kind"], "refusal");
    let (_, pdf, _) = bytes(app, P1, &format!("/api/v1/documents/{code}")).await;
    let text = pdf_text(&pdf);
    let services = public(app, "/api/v1/services").await;
    let ground = services
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "meeting-permission")
        .unwrap()["refusal_grounds"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["name"]["ru"]
        .as_str()
        .unwrap()
        .to_owned();
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert!(
        squash(&text).contains(&squash(&ground)),
        "{ground:?} not in {text}"
    );
    assert!(text.contains("Основания отказа"), "{text}");
    assert!(text.contains("Құжаттар толық емес"), "{text}");
    let v = public(app, &format!("/api/v1/verify/{code}")).await;
    assert_eq!(v.body["kind"], "refusal");
}

async fn a_head_without_a_server_key_sends_their_own_signature(app: &TestApp) {
    let mut case = to_sign(app, "foster-care-payment", "kk", false).await;
    run_jobs(app).await;
    app.act("head", &case.id, &case.etag, &complete())
        .await
        .problem(409, "seal-key-missing");
    let code = qyzmet_web::view::document_code(&case.id, "result");
    let (_, draft, _) = bytes(app, "head", &format!("/api/v1/documents/{code}")).await;
    let (_, pki) = pki();
    let head = pki.signer("head").unwrap();
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);

    // A signature over other bytes, by a revoked key, or by a valid key
    // that is not the head's (the applicant's) is refused, and says why.
    let revoked = pki.signer("871008401427-revoked").unwrap();
    let applicants = pki.signer("871008401427").unwrap();
    for (cms, why) in [
        (
            head.sign(b"not the draft", true).unwrap(),
            "signature-invalid",
        ),
        (revoked.sign(&draft, true).unwrap(), "certificate-revoked"),
        (applicants.sign(&draft, true).unwrap(), "iin-mismatch"),
    ] {
        let r = app
            .act(
                "head",
                &case.id,
                &case.etag,
                &json!({"action": "complete", "cms": b64(cms)}),
            )
            .await;
        r.problem(422, "seal-invalid");
        assert!(
            r.body["detail"].as_str().unwrap().starts_with(why),
            "{why}: {}",
            r.text
        );
    }

    let own = b64(head.sign(&draft, true).unwrap());
    app.act_ok("head", &mut case, json!({"action": "complete", "cms": own}))
        .await;
    app.act_ok("clerk", &mut case, complete()).await;
    let (_, pdf, _) = bytes(app, P1, &format!("/api/v1/documents/{code}")).await;
    let (_, cms, _) = bytes(app, P1, &format!("/api/v1/documents/{code}/seal")).await;
    assert_eq!(pdf, draft);
    let (ok, why) = openssl_verifies(&pdf, &cms);
    assert!(ok, "{why}");
}

async fn verify_lookups_are_rate_limited(app: &TestApp) {
    let mut last: Option<Value> = None;
    for i in 0..40 {
        let r = public(app, "/api/v1/verify/00000000000000000000").await;
        if r.status == 429 {
            assert!(i >= 30, "limited after {i}");
            assert!(r.header("retry-after").is_some());
            last = Some(r.body.clone());
            break;
        }
        assert_eq!(r.status, 404);
    }
    let body = last.expect("limited within 40 lookups");
    assert_eq!(body["code"], "verify-rate-limited");
    // The page is limited too, on the same count.
    assert_eq!(
        public(app, "/verify/00000000000000000000").await.status,
        429
    );
}

/// The head seals an approval; the office sends it back to `sign`, the head
/// back to `review`, and the specialist now refuses. The refusal is a new
/// document: the sealed approval is kept as it was and never issued for
/// the new decision.
async fn a_sealed_result_sent_back_to_review_is_drafted_afresh(app: &TestApp) {
    let mut case = to_sign(app, "meeting-permission", "kk", false).await;
    run_jobs(app).await;
    let first = qyzmet_web::view::document_code(&case.id, "result");
    app.act_ok("head", &mut case, complete()).await;
    let approval = app.state.store().document(&first).await.unwrap();
    assert_eq!(approval.kind, "approval");
    assert!(approval.seal.is_some());
    // The permission says which meeting it grants: the date and place the
    // applicant asked for.
    let (_, pdf, _) = bytes(app, "head", &format!("/api/v1/documents/{first}")).await;
    let text = pdf_text(&pdf);
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        one_line.contains(
            "Өтініш берушінің сұраған кездесуі: 01.03.2027, Қарағанды қаласының білім бөлімі"
        ),
        "{text}"
    );
    // The one child, its birth date written as the document's other dates.
    assert!(
        one_line.contains("Бала: • Асанов Нұрлан, 200315500017, 15.03.2020"),
        "{text}"
    );
    let checked = public(app, &format!("/api/v1/verify/{first}")).await;
    assert_eq!(checked.body["valid"], true);
    app.act_ok(
        "clerk",
        &mut case,
        json!({"action": "return", "comment": "шешімді қайта қарау керек"}),
    )
    .await;
    // Sent back after the seal: the approval no longer stands, for the
    // public check and its page alike.
    let checked = public(app, &format!("/api/v1/verify/{first}")).await;
    assert_eq!(checked.status, 200);
    assert_eq!(checked.body["valid"], false);
    assert_eq!(checked.body["sha256"], approval.sha256.as_str());
    let page = public(app, &format!("/verify/{first}?lang=en")).await;
    assert!(
        page.text.contains("no longer stands"),
        "the page says so: {}",
        page.text
    );
    app.act_ok(
        "head",
        &mut case,
        json!({"action": "return", "comment": "шешімді қайта қарау керек"}),
    )
    .await;
    assert_eq!(case.body["step"], "review");
    let ground = decision_ground(app, "meeting-permission").await;
    app.act_ok(
        "specialist",
        &mut case,
        json!({"action": "refuse", "grounds": [ground], "reason": "Құжаттар толық емес"}),
    )
    .await;
    // The new draft is not rendered yet (no job has run): the head's seal
    // by the server-held key drafts it then and seals it, never the old one.
    app.act_ok("head", &mut case, complete()).await;
    let done = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["result"]["kind"], "refusal");
    let code = done["result"]["document"].as_str().unwrap().to_owned();
    assert_ne!(code, first, "the refusal is a document of its own");
    let refusal = app.state.store().document(&code).await.unwrap();
    assert_eq!(refusal.kind, "refusal");
    assert!(refusal.seal.is_some());
    let (status, pdf, _) = bytes(app, P1, &format!("/api/v1/documents/{code}")).await;
    assert_eq!(status, 200);
    assert_eq!(pdf_qr(&pdf), format!("http://qyzmet.test/verify/{code}"));
    // The approval sealed before the return is unchanged.
    assert_eq!(app.state.store().document(&first).await.unwrap(), approval);
}

/// A node runs a render job that another node's step asked for, while it
/// remembers the application from before that step: it drafts the
/// application as stored (at least as new as the step), not as it
/// remembers it (still at `review`, which has nothing to draft).
async fn a_draft_asked_for_on_another_node_is_drafted_as_stored(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("adoption-payment", "office", P1))
        .await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    assert_eq!(case.body["step"], "review");
    let other = app.other_node().await;
    let r = app
        .act_at(
            &other.address,
            "specialist",
            &case.id,
            &case.etag,
            &complete(),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["step"], "sign", "{}", r.text);
    run_jobs(app).await;
    let code = qyzmet_web::view::document_code(&case.id, "result");
    let (status, pdf, _) = bytes(app, "head", &format!("/api/v1/documents/{code}")).await;
    assert_eq!(status, 200, "the draft: {}", String::from_utf8_lossy(&pdf));
    assert!(pdf.starts_with(b"%PDF-"));
}

/// Behind a reverse proxy every connection comes from the proxy. Named in
/// `trusted_proxies`, its `X-Forwarded-For` says who the client is, and each
/// citizen gets their own verify budget; a peer that is not trusted is not
/// believed, and its clients share its one.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_verify_limit() {
    // (the proxies trusted, whether the loopback peer is among them)
    for (trusted, believed) in [("127.0.0.0/8", true), ("10.0.0.0/8", false)] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/qyzmet.db", dir.path().display());
        let store = qyzmet_store::connect(&url).await.unwrap();
        let (catalog, calendar) = crate::support::catalog_and_calendar().clone();
        let state =
            qyzmet_web::AppState::new(catalog, calendar, store, "http://qyzmet.test".into(), false)
                .with_documents(settings(true))
                .with_trusted_proxies(vec![qyzmet_web::client::parse_trusted(trusted).unwrap()]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let _stop = crate::support::serve_in_background(listener, state);
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let lookup = |from: &'static str| {
            let req = client
                .get(format!("{base}/api/v1/verify/00000000000000000000"))
                .header("x-forwarded-for", from);
            async move { req.send().await.unwrap().status().as_u16() }
        };
        // One citizen spends the budget (30 lookups a window)…
        let mut spent = 0;
        while lookup("203.0.113.7").await == 404 {
            spent += 1;
            assert!(spent <= 30, "never limited");
        }
        assert_eq!(spent, 30, "{trusted}");
        // …another, forwarded by the same proxy, has their own when the
        // proxy is trusted, and shares the proxy's otherwise.
        let other = lookup("203.0.113.8").await;
        assert_eq!(other, if believed { 404 } else { 429 }, "{trusted}");
        // A client naming itself someone else on the left is not believed:
        // the hop the trusted proxy added is the client.
        if believed {
            assert_eq!(lookup("203.0.113.8, 203.0.113.7").await, 429);
            // An IPv6 client counts by its /64: taking another address
            // from it gives no fresh budget; another /64 is someone else.
            let mut spent = 0;
            while lookup("2001:db8:1:2::10").await == 404 {
                spent += 1;
                assert!(spent <= 30, "never limited");
            }
            assert_eq!(spent, 30);
            assert_eq!(lookup("2001:db8:1:2:abcd::99").await, 429);
            assert_eq!(lookup("2001:db8:1:3::10").await, 404);
        }
    }
}
