//! The event history: every hash recomputed here, independently.

use crate::helpers::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// RFC 8785 for what the history holds (strings, integers, booleans, null,
/// arrays, objects with ASCII keys): keys sorted, no whitespace.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        Value::Number(n) => {
            assert!(
                n.is_i64() || n.is_u64(),
                "numbers in events are integers: {n}"
            );
            n.to_string()
        }
        other => other.to_string(),
    }
}

fn is_utc_micros(s: &str) -> bool {
    // 2026-11-24T05:00:00.000000Z
    s.len() == 27
        && s.ends_with('Z')
        && s.as_bytes()[19] == b'.'
        && s[20..26].bytes().all(|b| b.is_ascii_digit())
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Checks the whole chain; returns the events.
async fn verify_chain(app: &TestApp, id: &str) -> Vec<Value> {
    let events = app.events(id).await;
    assert!(!events.is_empty());
    let mut prev = "0".repeat(64);
    for (i, e) in events.iter().enumerate() {
        let obj = e.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["actor", "at", "data", "hash", "prev_hash", "seq", "type"],
            "{e}"
        );
        assert_eq!(e["seq"], i as u64 + 1, "{e}");
        assert_eq!(e["prev_hash"], prev.as_str(), "{e}");
        let at = e["at"].as_str().unwrap();
        assert!(
            is_utc_micros(at),
            "`at` is UTC with 6 fraction digits: {at}"
        );
        let c = canonical(&json!({
            "seq": e["seq"], "type": e["type"], "at": e["at"],
            "actor": e["actor"], "data": e["data"],
        }));
        let hash = hex::encode(Sha256::digest(format!("{prev}\n{c}").as_bytes()));
        assert_eq!(e["hash"], hash.as_str(), "event {}: {e}", i + 1);
        prev = hash;
    }
    events
}

async fn every_hash_recomputes(app: &TestApp) {
    // A history with about everything in it: non-ASCII text, nulls, a pause,
    // a return, a refusal, a resume.
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    app.advance_minutes(1);
    app.act_ok(
        "clerk",
        &mut case,
        json!({"action": "pause", "comment": "құжат күтілуде \"ё\" \\ /"}),
    )
    .await;
    app.advance_minutes(1);
    app.act_ok("clerk", &mut case, json!({"action": "resume"}))
        .await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok(
        "head",
        &mut case,
        json!({"action": "return", "comment": "тағы да\nтексеру"}),
    )
    .await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    app.act_ok(
        "specialist",
        &mut case,
        json!({"action": "refuse", "grounds": ["documents-violation"], "reason": "Мерзімі өткен"}),
    )
    .await;
    app.act_ok("head", &mut case, complete()).await;
    app.act_ok("clerk", &mut case, complete()).await;
    let events = verify_chain(app, &case.id).await;
    assert_eq!(events[0]["type"], "created");
    assert_eq!(events[0]["actor"], "clerk");
    assert_eq!(events[0]["at"], "2026-11-24T05:00:00.000000Z");
    assert_eq!(events[0]["data"]["service"], "foster-care-payment");
    assert_eq!(events[0]["data"]["applicant"], P1);
    assert_eq!(events[0]["data"]["form"], form_b());
    let started = &events[2];
    assert_eq!(started["type"], "step-started");
    assert_eq!(
        started["data"],
        json!({"step": "register", "role": "clerk",
               "started_at": "2026-11-24T05:00:00.000000Z",
               "due_at": "2026-11-24T05:20:00.000000Z"})
    );
    assert_eq!(events.last().unwrap()["type"], "completed");

    // Every reader gets the same bytes of history.
    for who in ["clerk", "head", "admin", P1] {
        let r = app
            .get(who, &format!("/api/v1/applications/{}/events", case.id))
            .await;
        r.expect(200);
        assert_eq!(r.body, Value::Array(events.clone()), "as {who}");
    }
    // A rejected-at-intake history and a portal draft's chain too.
    let mut body = intake("meeting-permission", "office", P2);
    body["documents"] = docs(&["application"]);
    let r = app.take_in("clerk", &body).await;
    r.expect(201);
    verify_chain(app, r.body["id"].as_str().unwrap()).await;
    let r = app
        .take_in(P1, &intake("adoption-payment", "portal", P1))
        .await;
    r.expect(201);
    let ev = verify_chain(app, r.body["id"].as_str().unwrap()).await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["actor"], P1);
}

#[test]
fn the_canonical_form_is_rfc_8785() {
    // The test's own canonicaliser, against known answers.
    assert_eq!(
        canonical(&json!({"b": [1, {"d": null, "c": true}], "a": "é\n\"", "aa": -5})),
        r#"{"a":"é\n\"","aa":-5,"b":[1,{"c":true,"d":null}]}"#
    );
    assert!(is_utc_micros("2026-11-24T05:00:00.000000Z"));
    assert!(!is_utc_micros("2026-11-24T05:00:00Z"));
    assert!(!is_utc_micros("2026-11-24T10:00:00.000000+05:00"));
}

crate::on_both_backends!(every_hash_recomputes);
