//! The sandbox gateway over real HTTP: lookups routed by service id, who may
//! send, signatures checked both ways, fault injection and the client's
//! answer to it (retries, the circuit breaker), and hostile XML refused.

mod common;

use common::{net, net_with, PASSWORD, SENDER};
use qyzmet_domain::Iin;
use qyzmet_gateway::registry::{PoaStatus, INDIVIDUALS, PROVIDER};
use qyzmet_gateway::soap::{self, Envelope, Request};
use qyzmet_gateway::{
    Faults, GatewayClient, GatewayError, GatewayRegistry, NodeKey, Registry, RegistryError,
    TrustedKeys,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn iin(s: &str) -> Iin {
    Iin::parse(s).unwrap()
}

#[tokio::test]
async fn the_individuals_database_answers_by_iin() {
    let n = net().await;
    let reg = GatewayRegistry::new(n.client.clone());
    let p = reg.person(&iin("871008401427")).await.unwrap().unwrap();
    assert_eq!(p.surname, "Асанова");
    assert_eq!(p.birth_date.to_string(), "1987-10-08");
    assert_eq!(p.sex, "female");
    assert_eq!(p.citizenship, "KZ");
    assert_eq!(p.life_status, "alive");
    assert_eq!(p.documents[0].kind, "id-card");
    let child = reg.person(&iin("190901600034")).await.unwrap().unwrap();
    assert_eq!(child.birth_date.to_string(), "2019-09-01");
    // Valid, but not in the registry.
    assert_eq!(reg.person(&iin("800416300257")).await.unwrap(), None);
}

#[tokio::test]
async fn the_notary_system_tells_valid_revoked_and_unknown() {
    let n = net().await;
    let reg = GatewayRegistry::new(n.client.clone());
    let a = reg
        .power_of_attorney("DOV-2026-0001", &iin("871008401427"))
        .await
        .unwrap();
    assert_eq!(a.status, PoaStatus::Valid);
    assert_eq!(a.record.unwrap().attorney_iin, "760212350620");
    let unknown = reg
        .power_of_attorney("DOV-2026-0001", &iin("760212350620"))
        .await
        .unwrap();
    assert_eq!(unknown.status, PoaStatus::Unknown);
    let seed = qyzmet_gateway::registry::generated(3000);
    let revoked = seed
        .powers
        .values()
        .find(|r| r.revoked_on.is_some())
        .unwrap();
    let a = reg
        .power_of_attorney(&revoked.number, &iin(&revoked.principal_iin))
        .await
        .unwrap();
    assert_eq!(a.status, PoaStatus::Revoked);
}

#[tokio::test]
async fn an_unknown_sender_or_wrong_password_is_refused() {
    let n = net().await;
    let stranger = Arc::new(NodeKey::generate(SENDER));
    let client = GatewayClient::new(
        common::fast(&n.sandbox.url),
        stranger,
        n.trusted.clone(),
        n.metrics.clone(),
    );
    let e = client
        .send(
            INDIVIDUALS,
            r#"{"iin":"871008401427"}"#.into(),
            Uuid::new_v4(),
            None,
        )
        .await
        .unwrap_err();
    // Signed by a key the gateway does not know for this sender.
    let GatewayError::Fault(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f.error_code, "signature-invalid");

    let mut cfg = common::fast(&n.sandbox.url);
    cfg.password = "wrong".into();
    let client = GatewayClient::new(cfg, n.key.clone(), n.trusted.clone(), n.metrics.clone());
    let e = client
        .send(
            INDIVIDUALS,
            r#"{"iin":"871008401427"}"#.into(),
            Uuid::new_v4(),
            None,
        )
        .await
        .unwrap_err();
    let GatewayError::Fault(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f.error_code, "sender-unauthorized");
    assert!(!GatewayError::Fault(f).transient());
}

#[tokio::test]
async fn an_answer_signed_by_an_unknown_key_is_not_believed() {
    let n = net().await;
    // A client that does not trust the sandbox's key.
    let mine = Arc::new(TrustedKeys::new());
    mine.add(SENDER, n.key.verifying_key());
    let client = GatewayClient::new(
        common::fast(&n.sandbox.url),
        n.key.clone(),
        mine,
        n.metrics.clone(),
    );
    let reg = GatewayRegistry::new(Arc::new(client));
    let e = reg.person(&iin("871008401427")).await.unwrap_err();
    let RegistryError::Unavailable(why) = e;
    assert!(why.contains("signed by an unknown key"), "{why}");
}

#[tokio::test]
async fn unknown_services_are_faults() {
    let n = net().await;
    let e = n
        .client
        .send("no-such-service", "{}".into(), Uuid::new_v4(), None)
        .await
        .unwrap_err();
    let GatewayError::Fault(f) = e else {
        panic!("{e:?}")
    };
    assert_eq!(f.error_code, "service-unknown");
}

#[tokio::test]
async fn a_message_for_the_provider_is_forwarded_and_recorded_once() {
    let n = net().await;
    let id = Uuid::new_v4();
    for _ in 0..3 {
        let r = n
            .client
            .send(PROVIDER, r#"{"application_id":"x"}"#.into(), id, None)
            .await
            .unwrap();
        assert_eq!(r.status_code, "OK");
        assert_eq!(r.correlation_id, id);
    }
    assert_eq!(n.store.inbound_count().await.unwrap(), 1);
    let f = n.metrics.figures();
    assert_eq!((f.received, f.duplicates), (1, 2));
}

#[tokio::test]
async fn an_outage_is_unavailable_and_opens_the_circuit_then_it_recovers() {
    let n = net_with(10, |c| {
        c.attempts = 1;
        c.breaker_threshold = 3;
        c.breaker_cool_off = Duration::from_millis(400);
    })
    .await;
    let reg = GatewayRegistry::new(n.client.clone());
    n.sandbox
        .sandbox
        .set_faults(Faults {
            outage_seconds: 1,
            ..Faults::default()
        })
        .unwrap();
    for _ in 0..3 {
        assert!(reg.person(&iin("871008401427")).await.is_err());
    }
    assert!(n.client.circuit_open());
    let before = n.sandbox.sandbox.stats().requests;
    let e = reg.person(&iin("871008401427")).await.unwrap_err();
    assert!(e.to_string().contains("circuit open"), "{e}");
    // Failing fast: the gateway was not even asked.
    assert_eq!(n.sandbox.sandbox.stats().requests, before);
    assert_eq!(n.metrics.figures().circuit_opened, 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(reg.person(&iin("871008401427")).await.unwrap().is_some());
    assert!(!n.client.circuit_open());
}

#[tokio::test]
async fn errors_and_malformed_answers_are_retried_timeouts_are_bounded() {
    let n = net_with(10, |c| {
        c.attempts = 6;
        c.breaker_threshold = 100;
        c.timeout = Duration::from_millis(300);
    })
    .await;
    let reg = GatewayRegistry::new(n.client.clone());
    n.sandbox
        .sandbox
        .set_faults(Faults {
            error_rate: 0.3,
            malformed_rate: 0.3,
            ..Faults::default()
        })
        .unwrap();
    let mut ok = 0;
    for _ in 0..20 {
        if reg.person(&iin("760212350620")).await.is_ok() {
            ok += 1;
        }
    }
    // Each lookup fails only if six attempts in a row do (about 0.5^6).
    assert!(ok >= 18, "{ok} of 20");
    assert!(n.metrics.figures().retried > 0);
    assert!(n.sandbox.sandbox.stats().injected > 0);

    n.sandbox
        .sandbox
        .set_faults(Faults {
            timeout_rate: 1.0,
            timeout_ms: Some(5_000),
            ..Faults::default()
        })
        .unwrap();
    let mut cfg = common::fast(&n.sandbox.url);
    cfg.attempts = 2;
    cfg.timeout = Duration::from_millis(200);
    let client = GatewayClient::new(cfg, n.key.clone(), n.trusted.clone(), n.metrics.clone());
    let started = Instant::now();
    let e = client
        .send(
            INDIVIDUALS,
            r#"{"iin":"871008401427"}"#.into(),
            Uuid::new_v4(),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, GatewayError::Unavailable(ref w) if w == "timed out"),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn latency_is_added() {
    let n = net_with(10, |_| {}).await;
    n.sandbox
        .sandbox
        .set_faults(Faults {
            latency_ms: 150,
            ..Faults::default()
        })
        .unwrap();
    let started = Instant::now();
    GatewayRegistry::new(n.client.clone())
        .person(&iin("871008401427"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn faults_are_set_through_the_admin_endpoint() {
    let n = net_with(10, |_| {}).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = http
        .put(format!("{}/admin/faults", n.sandbox.url))
        .body(r#"{"error_rate": 1.0, "outage_seconds": 30}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let f = n.sandbox.sandbox.faults();
    assert_eq!(f.error_rate, 1.0);
    assert!(f.outage_seconds >= 29);
    let res = http
        .put(format!("{}/admin/faults", n.sandbox.url))
        .body(r#"{"error_rate": 2.0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = http
        .put(format!("{}/admin/faults", n.sandbox.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(GatewayRegistry::new(n.client.clone())
        .person(&iin("871008401427"))
        .await
        .is_ok());
}

// --------------------------------------------------------------- hostile XML

/// Posts raw bytes to `url` and reads the fault's code (signed by `trusted`'s
/// sandbox or our endpoint).
async fn fault_code(n: &common::Net, url: &str, body: Vec<u8>) -> (u16, String) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = http.post(url).body(body).send().await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.bytes().await.unwrap();
    let read = soap::decode(&bytes, &*n.trusted)
        .unwrap_or_else(|e| panic!("{status}: {e}: {}", String::from_utf8_lossy(&bytes)));
    match read.envelope {
        Envelope::Fault(f) => (status, f.error_code),
        other => panic!("not a fault: {other:?}"),
    }
}

fn hostile() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&xxe;</soap:Body></soap:Envelope>"#
        .to_vec();
    let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol3;</soap:Body></soap:Envelope>"#
        .to_vec();
    let undeclared = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&xxe;</soap:Body></soap:Envelope>"#.to_vec();
    let mut deep =
        b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
            .to_vec();
    for _ in 0..100_000 {
        deep.extend_from_slice(b"<a>");
    }
    let mut big =
        b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><x>"
            .to_vec();
    // One byte over the limit: the HTTP layer lets it through, the reader
    // refuses it. (Far larger bodies are cut off by the HTTP layer.)
    let tail = b"</x></soap:Body></soap:Envelope>";
    big.resize(qyzmet_gateway::xml::MAX_BYTES + 1 - tail.len(), b'a');
    big.extend_from_slice(tail);
    vec![
        ("external entity", xxe, "xml-refused"),
        ("entity expansion", laughs, "xml-refused"),
        ("undeclared entity", undeclared, "xml-refused"),
        ("deeply nested", deep, "xml-refused"),
        ("oversized", big, "message-too-large"),
    ]
}

#[tokio::test]
async fn hostile_xml_is_refused_by_the_sandbox_and_by_our_endpoint() {
    let n = net_with(10, |_| {}).await;
    let gateway = format!("{}{}", n.sandbox.url, qyzmet_gateway::client::SEND_PATH);
    for (what, body, code) in hostile() {
        let started = Instant::now();
        let (status, got) = fault_code(&n, &gateway, body.clone()).await;
        assert_eq!((status, got.as_str()), (400, code), "sandbox, {what}");
        let (status, got) = fault_code(&n, &n.inbox_url, body).await;
        assert_eq!((status, got.as_str()), (400, code), "endpoint, {what}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{what} took long"
        );
    }
    // Nothing was recorded, and both still serve.
    assert_eq!(n.store.inbound_count().await.unwrap(), 0);
    assert_eq!(n.metrics.figures().refused, 5);
    assert!(GatewayRegistry::new(n.client.clone())
        .person(&iin("871008401427"))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_forged_body_is_refused_by_our_endpoint() {
    let n = net_with(10, |_| {}).await;
    let req = Request {
        message_id: Uuid::new_v4(),
        correlation_id: None,
        service_id: PROVIDER.into(),
        message_date: chrono::Utc::now().fixed_offset(),
        sender_id: SENDER.into(),
        password: PASSWORD.into(),
        data: r#"{"application_id":"a"}"#.into(),
        package_signature: None,
    };
    let signed = String::from_utf8(soap::encode_request(&req, &*n.key)).unwrap();
    let forged = signed.replace("application_id", "application_iX");
    assert_ne!(forged, signed);
    let (status, code) = fault_code(&n, &n.inbox_url, forged.into_bytes()).await;
    assert_eq!((status, code.as_str()), (400, "signature-invalid"));
    // The same through the gateway is stopped there.
    let gateway = format!("{}{}", n.sandbox.url, qyzmet_gateway::client::SEND_PATH);
    let forged = signed.replace("application_id", "application_iX");
    let (_, code) = fault_code(&n, &gateway, forged.into_bytes()).await;
    assert_eq!(code, "signature-invalid");
    assert_eq!(n.store.inbound_count().await.unwrap(), 0);
    // Unforged, it is taken.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = http.post(&n.inbox_url).body(signed).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(n.store.inbound_count().await.unwrap(), 1);
}
