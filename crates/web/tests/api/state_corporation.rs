//! The State Corporation channel (regulation §8): the applicant's data come
//! from the individuals database, a representative's power of attorney is
//! checked in the notary system, nothing is stored when they cannot be
//! obtained, and the package taken in goes to the provider through the
//! gateway, where it is recorded once. Signed by the operator's key, the
//! package carries a detached CMS the provider's endpoint verifies.

use crate::helpers::*;
use qyzmet_gateway::registry::PROVIDER as PROVIDER_SERVICE;
use qyzmet_gateway::{Faults, SendHandler, SEND_JOB};
use qyzmet_store::jobs::JobRunner;
use qyzmet_store::JobStatus;
use serde_json::{json, Value};
use std::sync::Arc;

/// A valid IIN the registry does not know (domain.md).
const NOBODY: &str = "800416300257";

async fn pending_jobs(app: &TestApp) -> Vec<qyzmet_store::Job> {
    app.state.store().jobs(JobStatus::Pending).await.unwrap()
}

fn represented(poa_number: &str, date: &str) -> Value {
    let mut body = intake("meeting-permission", "state-corporation", P1);
    body["representative"] = json!({
        "iin": P2, "power_of_attorney": {"number": poa_number, "date": date}
    });
    body
}

async fn applicant_data_come_from_the_registry(app: &TestApp) {
    let case = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P2),
        )
        .await;
    // Typed "Test Applicant"; the registry's name is kept.
    assert_eq!(case.body["applicant"]["name"], "Асанов Ержан Болатұлы");
    let events = app.events(&case.id).await;
    let registry = &events[0]["data"]["details"]["registry"];
    assert_eq!(registry["birth_date"], "1976-02-12");
    assert_eq!(registry["sex"], "male");
    assert_eq!(registry["documents"][0]["kind"], "id-card");

    // The package waits in the outbox, written with the application.
    let jobs = pending_jobs(app).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, SEND_JOB);
    assert_eq!(jobs[0].payload["service_id"], PROVIDER_SERVICE);
    let package: Value = serde_json::from_str(jobs[0].payload["data"].as_str().unwrap()).unwrap();
    assert_eq!(package["application_id"], case.id.as_str());
    assert_eq!(package["number"], case.body["number"]);
    assert_eq!(package["applicant_iin"], P2);
    assert_eq!(package["taken_in_by"], "operator");

    // The office does not ask the registry, and sends nothing.
    app.take_in_ok("clerk", &intake("meeting-permission", "office", NOBODY))
        .await;
    assert_eq!(pending_jobs(app).await.len(), 1);
}

async fn an_unknown_applicant_is_refused_and_nothing_stored(app: &TestApp) {
    app.take_in(
        "operator",
        &intake("meeting-permission", "state-corporation", NOBODY),
    )
    .await
    .problem(422, "applicant-unknown");
    assert_eq!(app.count().await, 0);
    assert!(pending_jobs(app).await.is_empty());
}

async fn a_registry_that_does_not_answer_is_503_and_nothing_stored(app: &TestApp) {
    app.sandbox
        .sandbox
        .set_faults(Faults {
            outage_seconds: 60,
            ..Faults::default()
        })
        .unwrap();
    let r = app
        .take_in(
            "operator",
            &intake("meeting-permission", "state-corporation", P2),
        )
        .await;
    r.problem(503, "registry-unavailable");
    // Nothing internal leaks.
    assert!(!r.body.to_string().contains("sandbox"), "{}", r.body);
    assert_eq!(app.count().await, 0);
    assert!(pending_jobs(app).await.is_empty());
    app.get("operator", &format!("/api/v1/registry/persons/{P2}"))
        .await
        .problem(503, "registry-unavailable");
    // Back up: taken in.
    app.sandbox.sandbox.set_faults(Faults::default()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let mut tries = 0;
    loop {
        let r = app
            .take_in(
                "operator",
                &intake("meeting-permission", "state-corporation", P2),
            )
            .await;
        if r.status == 201 || tries > 40 {
            r.expect(201);
            break;
        }
        // The circuit may still be cooling off.
        tries += 1;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

async fn a_power_of_attorney_is_checked_in_the_notary_system(app: &TestApp) {
    let case = app
        .take_in_ok("operator", &represented("DOV-2026-0001", "2026-01-15"))
        .await;
    assert_eq!(case.body["representative"]["iin"], P2);
    // Named as the individuals database holds them, for whom they act for.
    assert_eq!(case.body["representative"]["name"], "Асанов Ержан Болатұлы");

    app.take_in("operator", &represented("DOV-2026-9999", "2026-01-15"))
        .await
        .problem(422, "power-of-attorney-unknown");
    let r = app
        .take_in("operator", &represented("DOV-2026-0001", "2026-01-16"))
        .await;
    r.problem(422, "power-of-attorney-mismatch");
    // Which of the two differs: only the date here.
    let paths: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        ["/representative/power_of_attorney/date"],
        "{}",
        r.text
    );

    let seed = qyzmet_gateway::registry::generated(100);
    let revoked = seed
        .powers
        .values()
        .find(|r| r.revoked_on.is_some())
        .expect("the sandbox has a revoked power of attorney");
    let mut body = intake(
        "meeting-permission",
        "state-corporation",
        &revoked.principal_iin,
    );
    body["representative"] = json!({
        "iin": revoked.attorney_iin,
        "power_of_attorney": {"number": revoked.number, "date": revoked.date.to_string()}
    });
    app.take_in("operator", &body)
        .await
        .problem(422, "power-of-attorney-revoked");
    assert_eq!(app.count().await, 1);
}

async fn an_incomplete_package_gets_its_receipt_and_goes_nowhere(app: &TestApp) {
    let mut body = intake("meeting-permission", "state-corporation", P2);
    body["documents"] = docs(&["identity-document"]);
    let r = app.take_in("operator", &body).await;
    r.expect(201);
    assert_eq!(r.body["status"], "rejected-at-intake");
    assert!(pending_jobs(app).await.is_empty());
}

async fn operators_look_people_up(app: &TestApp) {
    let r = app
        .get("operator", &format!("/api/v1/registry/persons/{P1}"))
        .await;
    r.expect(200);
    assert_eq!(r.body["surname"], "Асанова");
    assert_eq!(r.body["birth_date"], "1987-10-08");
    assert_eq!(r.body["sex"], "female");
    assert_eq!(r.body["citizenship"], "KZ");
    assert_eq!(r.body["life_status"], "alive");
    assert!(r.body["address"]["locality"].is_string());
    app.get("operator", "/api/v1/registry/persons/200315500017")
        .await
        .expect(200);
    app.get("operator", &format!("/api/v1/registry/persons/{NOBODY}"))
        .await
        .problem(404, "person-unknown");
    app.get("operator", "/api/v1/registry/persons/821214240092")
        .await
        .problem(422, "iin-invalid");
    app.get("clerk", &format!("/api/v1/registry/persons/{P1}"))
        .await
        .problem(403, "action-forbidden");
    // The notary system, as the workstation shows it.
    let poa = |number: &str, principal: &str| {
        format!("/api/v1/registry/powers-of-attorney/{number}?principal={principal}")
    };
    let r = app.get("operator", &poa("DOV-2026-0001", P1)).await;
    r.expect(200);
    assert_eq!(r.body["status"], "valid");
    assert_eq!(r.body["attorney_iin"], P2);
    assert_eq!(r.body["date"], "2026-01-15");
    let r = app.get("operator", &poa("DOV-2026-0001", P2)).await;
    r.expect(200);
    assert_eq!(r.body["status"], "unknown");
    assert!(r.body["attorney_iin"].is_null());
    let seed = qyzmet_gateway::registry::generated(100);
    let revoked = seed
        .powers
        .values()
        .find(|r| r.revoked_on.is_some())
        .unwrap();
    let r = app
        .get("operator", &poa(&revoked.number, &revoked.principal_iin))
        .await;
    r.expect(200);
    assert_eq!(r.body["status"], "revoked");
    assert_eq!(
        r.body["revoked_on"],
        revoked.revoked_on.unwrap().to_string().as_str()
    );
    app.get("operator", &poa("DOV-2026-0001", "123"))
        .await
        .problem(422, "iin-invalid");
    app.get("clerk", &poa("DOV-2026-0001", P1))
        .await
        .problem(403, "action-forbidden");
    let anonymous = app
        .client
        .get(app.url(&format!("/api/v1/registry/persons/{P1}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn the_package_reaches_the_provider_through_the_gateway_once(app: &TestApp) {
    // The provider's endpoint is this server's, registered at the gateway.
    join_as_provider(app);
    let case = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P1),
        )
        .await;
    let job = pending_jobs(app).await.remove(0);
    assert_eq!(deliver(app).await.succeeded, 1);
    let id = job.payload["message_id"].as_str().unwrap();
    let got = recorded_at_provider(app, &job).await;
    assert_eq!(got.service_id, PROVIDER_SERVICE);
    let package: Value = serde_json::from_str(&got.payload).unwrap();
    assert_eq!(package["number"], case.body["number"]);

    // Sent again (as after a lost answer): answered, not recorded twice.
    let again = app
        .gateway
        .client
        .send_once(
            PROVIDER_SERVICE,
            job.payload["data"].as_str().unwrap().to_owned(),
            id.parse().unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(again.status_message, "already registered");
    assert_eq!(app.state.store().inbound_count().await.unwrap(), 1);

    // What /metrics shows.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("qyzmet_gateway_delivered_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("qyzmet_gateway_received_total{duplicate=\"true\"} 1"));
    assert!(metrics.contains("qyzmet_outbox_pending 0"));
}

crate::on_both_backends!(
    applicant_data_come_from_the_registry,
    an_unknown_applicant_is_refused_and_nothing_stored,
    a_registry_that_does_not_answer_is_503_and_nothing_stored,
    a_power_of_attorney_is_checked_in_the_notary_system,
    an_incomplete_package_gets_its_receipt_and_goes_nowhere,
    operators_look_people_up,
    the_package_reaches_the_provider_through_the_gateway_once,
    the_first_step_starts_the_morning_after_the_package_is_registered,
);

/// The demo PKI the signed-package tests trust, and one it does not.
fn demo_pkis() -> &'static (
    tempfile::TempDir,
    qyzmet_pki::demo::DemoPki,
    qyzmet_pki::demo::DemoPki,
) {
    static PKI: std::sync::OnceLock<(
        tempfile::TempDir,
        qyzmet_pki::demo::DemoPki,
        qyzmet_pki::demo::DemoPki,
    )> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        // Valid around the test clock, not only around today.
        let trusted = qyzmet_pki::demo::ensure_at(&dir.path().join("trusted"), at(START)).unwrap();
        let other = qyzmet_pki::demo::ensure_at(&dir.path().join("other"), at(START)).unwrap();
        (dir, trusted, other)
    })
}

/// A server trusting the demo PKI, signing its packages with the demo
/// operator's key, and the provider's endpoint at its gateway.
async fn signing_provider(backend: Backend) -> Option<TestApp> {
    let (_, pki, _) = demo_pkis();
    let operator = Arc::new(pki.signer("operator").unwrap());
    let app = spawn_app_signing(
        backend,
        Default::default(),
        Some((operator, crate::support::demo_verifier(pki))),
    )
    .await?;
    join_as_provider(&app);
    Some(app)
}

async fn a_signed_package_is_verified_and_a_bad_one_refused(backend: Backend) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (_, pki, other) = demo_pkis();
    let Some(app) = signing_provider(backend).await else {
        return;
    };
    app.take_in_ok(
        "operator",
        &intake("meeting-permission", "state-corporation", P1),
    )
    .await;
    let job = pending_jobs(&app).await.remove(0);
    let data = job.payload["data"].as_str().unwrap().to_owned();
    let cms = b64
        .decode(job.payload["package_signature"].as_str().expect("signed"))
        .unwrap();

    // The CMS verifies over the package's exact bytes, to the operator.
    let v = app
        .state
        .verifier()
        .verify(&cms, Some(data.as_bytes()), app.now())
        .unwrap();
    assert_eq!(v.iin, qyzmet_pki::demo::OPERATOR_IIN);
    assert_eq!(
        v.holder.bin.as_deref(),
        Some(qyzmet_pki::demo::STATE_CORPORATION_BIN)
    );

    // Refused with a fault and not recorded: a changed body with the
    // operator's CMS, a CMS by a key of another PKI, and no CMS at all.
    let tampered = data.replace(P1, P2);
    assert_ne!(tampered, data);
    let stranger = other.signer("operator").unwrap();
    let foreign = b64.encode(stranger.sign(data.as_bytes(), true).unwrap());
    // Trusted, valid, but not a State Corporation operator's certificate.
    let head = pki.signer("head").unwrap();
    let not_an_operator = b64.encode(head.sign_at(data.as_bytes(), true, app.now()).unwrap());
    for (body, sig, code) in [
        (
            data.clone(),
            Some(not_an_operator),
            "package-signer-unknown",
        ),
        (
            tampered,
            Some(b64.encode(&cms)),
            "package-signature-invalid",
        ),
        (data.clone(), Some(foreign), "package-signature-invalid"),
        (data.clone(), None, "package-unsigned"),
    ] {
        let err = app
            .gateway
            .client
            .send_once_signed(PROVIDER_SERVICE, body, sig, uuid::Uuid::new_v4(), None)
            .await
            .unwrap_err();
        match err {
            qyzmet_gateway::GatewayError::Fault(f) => assert_eq!(f.error_code, code),
            e => panic!("expected the fault {code}, got {e}"),
        }
        assert_eq!(app.state.store().inbound_count().await.unwrap(), 0);
    }

    // The job itself is delivered and recorded, its CMS with it.
    assert_eq!(deliver(&app).await.succeeded, 1);
    recorded_at_provider(&app, &job).await;
}

/// The message of a `gateway-send` job as the provider's endpoint recorded
/// it: its data, and its package's CMS kept with it and checking again now.
async fn recorded_at_provider(
    app: &TestApp,
    job: &qyzmet_store::Job,
) -> qyzmet_store::InboundMessage {
    let got = app
        .state
        .store()
        .inbound(job.payload["message_id"].as_str().unwrap())
        .await
        .unwrap()
        .expect("registered at the provider");
    assert_eq!(got.payload, job.payload["data"].as_str().unwrap());
    assert_eq!(
        got.package_signature.as_deref(),
        job.payload["package_signature"].as_str()
    );
    let again = qyzmet_web::registry::recheck_inbound(&app.state, &got.message_id, app.now())
        .await
        .unwrap();
    assert_eq!(again, Ok(()));
    got
}

/// Runs every job due, the outbox's gateway messages and the documents'
/// renders, as the server's job runner would.
async fn deliver(app: &TestApp) -> qyzmet_store::jobs::RunReport {
    let mut handlers = qyzmet_web::documents::job_handlers(&app.state);
    handlers.insert(
        SEND_JOB.into(),
        Arc::new(SendHandler::new(app.gateway.client.clone())),
    );
    let st = app.state.clone();
    JobRunner::new(app.state.store().clone(), handlers)
        .clock(Arc::new(move || st.now()))
        .run_pending()
        .await
        .unwrap()
}

fn join_as_provider(app: &TestApp) {
    app.sandbox.sandbox.register_endpoint(
        PROVIDER_SERVICE,
        &app.url(qyzmet_gateway::delivery::INBOX_PATH),
        "qyzmet",
        app.gateway.key.verifying_key(),
    );
}

fn event_types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

/// contract.md "Time": the provider's first step starts at the next working
/// day's opening after the package reaches it, not after State Corporation
/// intake, when the two fall on different days.
async fn the_first_step_starts_the_morning_after_the_package_is_registered(app: &TestApp) {
    join_as_provider(app);
    let body = intake("meeting-permission", "state-corporation", P1);
    // Delivered the day it was taken in (Tuesday): Wednesday 09:00 stays.
    let on_time = app.take_in_ok("operator", &body).await;
    assert_eq!(
        on_time.body["steps"][0]["started_at"],
        "2026-11-25T09:00:00+05:00"
    );
    app.advance_minutes(1);
    assert_eq!(deliver(app).await.succeeded, 1);
    let v = app.read_case("operator", &on_time.id).await;
    assert_eq!(v["steps"][0]["started_at"], "2026-11-25T09:00:00+05:00");
    let events = app.events(&on_time.id).await;
    assert_eq!(event_types(&events).last(), Some(&"package-registered"));
    assert_eq!(events.last().unwrap()["actor"], "system");

    // Held up by the gateway until Thursday afternoon: the clock starts on
    // Friday morning, the 15 minutes of `register` counted from then.
    let late = app.take_in_ok("operator", &body).await;
    assert_eq!(late.body["steps"][0]["due_at"], "2026-11-25T09:15:00+05:00");
    app.set_now("2026-11-26T15:00:00+05:00");
    assert_eq!(deliver(app).await.succeeded, 1);
    let v = app.read_case("operator", &late.id).await;
    assert_eq!(v["steps"][0]["started_at"], "2026-11-27T09:00:00+05:00");
    assert_eq!(v["steps"][0]["due_at"], "2026-11-27T09:15:00+05:00");
    assert_eq!(v["due_at"], "2026-11-27T09:15:00+05:00");
    assert_eq!(v["steps"][0]["overdue"], false);
    let events = app.events(&late.id).await;
    let types = event_types(&events);
    assert_eq!(
        &types[types.len() - 2..],
        ["package-registered", "clock-restarted"]
    );
    assert_eq!(
        events.last().unwrap()["data"]["previous_started_at"],
        "2026-11-25T04:00:00.000000Z"
    );

    // Sent again (a retry after a lost answer): registered once.
    let job_data = {
        let jobs = app.state.store().jobs(JobStatus::Done).await.unwrap();
        jobs.into_iter()
            .find(|j| j.payload["data"].as_str().unwrap().contains(&late.id))
            .unwrap()
    };
    app.gateway
        .client
        .send_once(
            PROVIDER_SERVICE,
            job_data.payload["data"].as_str().unwrap().to_owned(),
            job_data.payload["message_id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(app.events(&late.id).await.len(), events.len());

    // A package naming no application here has nothing to register, and is
    // not refused for it.
    let stray = json!({"channel": "state-corporation", "application_id": uuid::Uuid::new_v4()});
    let answer = app
        .gateway
        .client
        .send_once(
            PROVIDER_SERVICE,
            stray.to_string(),
            uuid::Uuid::new_v4(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(answer.status_code, "OK");
}

#[tokio::test]
async fn a_signed_package_is_verified_and_a_bad_one_refused_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_signed_package_is_verified_and_a_bad_one_refused(backend).await;
    }
}

/// §9 process 5: a signed portal request reaches the provider through the
/// gateway the same way as a State Corporation package: an outbox job
/// written with the submission, its `data` the exact bytes the applicant
/// signed and its package signature the applicant's CMS, checked and
/// recorded (with the CMS) at the provider's endpoint.
async fn a_signed_portal_request_reaches_the_provider_through_the_gateway(backend: Backend) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (_, pki, _) = demo_pkis();
    let Some(app) = signing_provider(backend).await else {
        return;
    };
    let draft = app
        .take_in(P1, &intake("foster-care-payment", "portal", P1))
        .await;
    draft.expect(201);
    let id = draft.body["id"].as_str().unwrap().to_owned();
    let to_sign = b64.decode(draft.body["to_sign"].as_str().unwrap()).unwrap();
    // A draft goes nowhere.
    assert!(pending_jobs(&app).await.iter().all(|j| j.kind != SEND_JOB));
    let p1 = pki.signer(P1).unwrap();
    let cms = p1.sign_at(&to_sign, true, app.now()).unwrap();
    app.post(
        P1,
        &format!("/api/v1/applications/{id}/signature"),
        &json!({"cms": b64.encode(&cms)}),
    )
    .await
    .expect(200);
    let job = pending_jobs(&app)
        .await
        .into_iter()
        .find(|j| j.kind == SEND_JOB)
        .expect("the signed request waits in the outbox");
    assert_eq!(job.payload["service_id"], PROVIDER_SERVICE);
    let data = job.payload["data"].as_str().unwrap().to_owned();
    assert_eq!(data.as_bytes(), to_sign.as_slice());
    assert_eq!(job.payload["package_signature"], b64.encode(&cms));

    // Someone else's signature over the request, though valid and trusted,
    // is refused and nothing recorded.
    let p2 = pki.signer(P2).unwrap();
    let forged = b64.encode(p2.sign_at(data.as_bytes(), true, app.now()).unwrap());
    let err = app
        .gateway
        .client
        .send_once_signed(
            PROVIDER_SERVICE,
            data.clone(),
            Some(forged),
            uuid::Uuid::new_v4(),
            None,
        )
        .await
        .unwrap_err();
    match err {
        qyzmet_gateway::GatewayError::Fault(f) => {
            assert_eq!(f.error_code, "package-signer-mismatch")
        }
        e => panic!("expected package-signer-mismatch, got {e}"),
    }
    assert_eq!(app.state.store().inbound_count().await.unwrap(), 0);

    deliver(&app).await;
    let got = recorded_at_provider(&app, &job).await;
    assert_eq!(got.payload, data);
    assert_eq!(got.package_signature, Some(b64.encode(&cms)));
}

#[tokio::test]
async fn a_signed_portal_request_reaches_the_provider_through_the_gateway_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        a_signed_portal_request_reaches_the_provider_through_the_gateway(backend).await;
    }
}

/// A server sealing results with the demo head's key, trusting the demo
/// PKI, and the provider's endpoint at its gateway.
async fn sealing_provider(backend: Backend) -> Option<TestApp> {
    let (_, pki, _) = demo_pkis();
    let sealer = Arc::new(qyzmet_web::documents::P12Sealer::new(
        pki.signer("head").unwrap(),
    )) as Arc<dyn qyzmet_web::documents::Sealer>;
    let settings = qyzmet_web::documents::Settings::new(
        Some(sealer),
        Some(Arc::new(crate::support::demo_verifier(pki))),
    );
    let app = spawn_app_with(backend, settings).await?;
    join_as_provider(&app);
    Some(app)
}

/// The case's ETag as it is now (the gateway's events move it on).
async fn refresh(app: &TestApp, case: &mut Case) {
    let path = format!("/api/v1/applications/{}", case.id);
    case.etag = app.get("operator", &path).await.etag();
}

fn count_of(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["type"] == kind).count()
}

/// Issue #9 §3: the package goes out through the gateway and is registered
/// at the provider, worked and sealed there; the result comes back through
/// the gateway, its seal checked over the stored PDF, and only then does
/// the operator issue it. A repeat is applied once; a result whose sha256
/// or seal does not match is refused and nothing is recorded.
async fn the_result_returns_through_the_gateway_before_it_is_issued(backend: Backend) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (_, pki, other) = demo_pkis();
    let Some(app) = sealing_provider(backend).await else {
        return;
    };
    let mut case = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P1),
        )
        .await;
    deliver(&app).await;
    assert_eq!(
        count_of(&app.events(&case.id).await, "package-registered"),
        1
    );
    refresh(&app, &mut case).await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    app.act_ok("specialist", &mut case, complete()).await;
    assert_eq!(case.body["step"], "sign");
    deliver(&app).await;
    let inbound_before = app.state.store().inbound_count().await.unwrap();
    app.act_ok("head", &mut case, complete()).await;
    assert_eq!(case.body["step"], "issue");

    // The result message is in the outbox, written with the seal.
    let job = pending_jobs(&app)
        .await
        .into_iter()
        .find(|j| j.kind == SEND_JOB)
        .expect("the result message is enqueued");
    let data: Value = serde_json::from_str(job.payload["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["kind"], qyzmet_web::registry::RESULT_KIND);
    assert_eq!(data["application_id"], case.id.as_str());
    assert_eq!(data["number"], case.body["number"]);
    assert_eq!(data["result"], "approval");
    let code = data["document_code"].as_str().unwrap().to_owned();
    let doc = app.state.store().document(&code).await.unwrap();
    assert_eq!(data["sha256"], doc.sha256.as_str());
    assert_eq!(
        b64.decode(data["seal"].as_str().unwrap()).unwrap(),
        doc.seal.clone().unwrap()
    );

    // Not arrived yet: the operator cannot issue.
    app.act("operator", &case.id, &case.etag, &complete())
        .await
        .problem(409, "result-not-received");

    // A wrong sha256, a seal over other bytes and a seal by a key no one
    // trusts are refused, and nothing is recorded.
    let with = |key: &str, value: Value| {
        let mut d = data.clone();
        d[key] = value;
        d.to_string()
    };
    let over_other = b64.encode(
        pki.signer("head")
            .unwrap()
            .sign_at(b"not the result", true, app.now())
            .unwrap(),
    );
    let foreign = b64.encode(other.signer("head").unwrap().sign(&doc.pdf, true).unwrap());
    // Trusted and over the right bytes, but not the head's.
    let not_head = b64.encode(
        pki.signer("operator")
            .unwrap()
            .sign(&doc.pdf, true)
            .unwrap(),
    );
    for (body, code) in [
        (with("seal", json!(not_head)), "result-signer-unknown"),
        (
            with("sha256", json!("00".repeat(32))),
            "result-sha256-mismatch",
        ),
        (with("seal", json!(over_other)), "result-seal-invalid"),
        (with("seal", json!(foreign)), "result-seal-invalid"),
        (
            with("document_code", json!("0".repeat(20))),
            "result-invalid",
        ),
    ] {
        let err = app
            .gateway
            .client
            .send_once(PROVIDER_SERVICE, body, uuid::Uuid::new_v4(), None)
            .await
            .unwrap_err();
        match err {
            qyzmet_gateway::GatewayError::Fault(f) => assert_eq!(f.error_code, code),
            e => panic!("expected the fault {code}, got {e}"),
        }
    }
    assert_eq!(
        app.state.store().inbound_count().await.unwrap(),
        inbound_before
    );
    assert_eq!(count_of(&app.events(&case.id).await, "result-received"), 0);

    // Delivered: recorded once, by the system.
    assert_eq!(deliver(&app).await.succeeded, 1);
    let events = app.events(&case.id).await;
    assert_eq!(event_types(&events).last(), Some(&"result-received"));
    assert_eq!(events.last().unwrap()["actor"], "system");
    assert_eq!(
        events.last().unwrap()["data"]["sha256"],
        doc.sha256.as_str()
    );

    // Checked again later, as a package is: the result's seal still holds.
    let message_id = job.payload["message_id"].as_str().unwrap();
    assert_eq!(
        qyzmet_web::registry::recheck_inbound(&app.state, message_id, app.now())
            .await
            .unwrap(),
        Ok(())
    );

    // Sent again (a retry after a lost answer): applied once.
    let answer = app
        .gateway
        .client
        .send_once(
            PROVIDER_SERVICE,
            job.payload["data"].as_str().unwrap().to_owned(),
            job.payload["message_id"].as_str().unwrap().parse().unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(answer.status_code, "OK");
    assert_eq!(app.events(&case.id).await.len(), events.len());

    // Now the operator issues it.
    refresh(&app, &mut case).await;
    app.act_ok("operator", &mut case, complete()).await;
    assert_eq!(case.body["status"], "completed");
}

#[tokio::test]
async fn the_result_returns_through_the_gateway_before_it_is_issued_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        the_result_returns_through_the_gateway_before_it_is_issued(backend).await;
    }
}
