//! If-Match on actions, and Idempotency-Key replays.

use crate::helpers::*;
use serde_json::json;

async fn if_match_is_required_and_checked(app: &TestApp) {
    let case = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    let path = format!("/api/v1/applications/{}/actions", case.id);
    // No If-Match: 428.
    let r = app.post("clerk", &path, &complete()).await;
    r.problem(428, "precondition-required");
    // A stale one: 412.
    app.act("clerk", &case.id, "\"7\"", &complete())
        .await
        .problem(412, "precondition-failed");
    app.act("clerk", &case.id, "\"0\"", &complete())
        .await
        .problem(412, "precondition-failed");
    // Nothing happened.
    assert_eq!(app.events(&case.id).await.len(), 3);
    let r = app
        .get("clerk", &format!("/api/v1/applications/{}", case.id))
        .await;
    assert_eq!(r.etag(), "\"1\"");
    assert_eq!(r.body["step"], "register");
    // The current one works; then it is stale.
    app.act("clerk", &case.id, "\"1\"", &complete())
        .await
        .expect(200);
    app.act("head", &case.id, "\"1\"", &assign("specialist"))
        .await
        .problem(412, "precondition-failed");
    assert_eq!(app.read_case("head", &case.id).await["step"], "resolution");
    // GET answers plainly, without If-Match.
    app.get("head", &format!("/api/v1/applications/{}", case.id))
        .await
        .expect(200);
}

async fn idempotent_create_replays(app: &TestApp) {
    let token = app.login("clerk").await;
    let body = intake("meeting-permission", "office", P1);
    let send = |key: &str, body: &serde_json::Value| {
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = read(send("key-1", &body).await.unwrap()).await;
    first.expect(201);
    assert!(first.header("idempotent-replayed").is_none());
    let id = first.body["id"].as_str().unwrap().to_owned();
    let events = app.events(&id).await.len();
    app.advance_minutes(3);
    let again = read(send("key-1", &body).await.unwrap()).await;
    again.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.etag(), first.etag());
    assert_eq!(app.list_ids("auditor", "").await, std::slice::from_ref(&id));
    assert_eq!(app.events(&id).await.len(), events);

    // The same key for something else: refused, nothing written.
    let other = intake("foster-care-payment", "office", P2);
    let r = read(send("key-1", &other).await.unwrap()).await;
    r.problem(422, "idempotency-key-reused");
    assert_eq!(app.list_ids("auditor", "").await, std::slice::from_ref(&id));
    // Keys are per caller: another clerk's same key is theirs. A fresh key
    // makes a new application.
    let r = read(send("key-2", &body).await.unwrap()).await;
    r.expect(201);
    assert_ne!(r.body["id"], first.body["id"]);
    assert_eq!(app.count().await, 2);
}

async fn idempotent_action_replays(app: &TestApp) {
    let case = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    let token = app.login("clerk").await;
    let send = |etag: &str| {
        app.client
            .post(app.url(&format!("/api/v1/applications/{}/actions", case.id)))
            .bearer_auth(&token)
            .header("Idempotency-Key", "act-1")
            .header("If-Match", etag)
            .json(&json!({"action": "complete"}))
            .send()
    };
    let first = read(send("\"1\"").await.unwrap()).await;
    first.expect(200);
    assert_eq!(first.etag(), "\"2\"");
    let n = app.events(&case.id).await.len();
    // A retry (with the ETag it sent before) gets the first answer.
    let again = read(send("\"1\"").await.unwrap()).await;
    again.expect(200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(app.events(&case.id).await.len(), n);
}

crate::on_both_backends!(
    if_match_is_required_and_checked,
    idempotent_create_replays,
    idempotent_action_replays,
);
