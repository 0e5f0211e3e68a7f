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
    // Keys are per caller: the operator's `key-1` is the operator's own.
    let op = app.login("operator").await;
    let r = read(
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&op)
            .header("Idempotency-Key", "key-1")
            .json(&intake("meeting-permission", "state-corporation", P2))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.expect(201);
    assert!(r.header("idempotent-replayed").is_none());
    assert_ne!(r.body["id"], first.body["id"]);
    assert_eq!(app.count().await, 2);
    // A fresh key makes a new application.
    let r = read(send("key-2", &body).await.unwrap()).await;
    r.expect(201);
    assert_ne!(r.body["id"], first.body["id"]);
    assert_eq!(app.count().await, 3);
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

async fn racing_actions_one_wins(app: &TestApp) {
    let case = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    app.login("clerk").await;
    let (done, pause) = (complete(), json!({"action": "pause"}));
    let (a, b, c) = tokio::join!(
        app.act("clerk", &case.id, &case.etag, &done),
        app.act("clerk", &case.id, &case.etag, &done),
        app.act("clerk", &case.id, &case.etag, &pause),
    );
    let mut statuses = [a.status, b.status, c.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 412, 412],
        "{} {} {}",
        a.text,
        b.text,
        c.text
    );
    for r in [&a, &b, &c] {
        if r.status == 412 {
            r.problem(412, "precondition-failed");
        }
    }
    let r = app
        .get("clerk", &format!("/api/v1/applications/{}", case.id))
        .await;
    assert_eq!(r.etag(), "\"2\"");
    // One action's events, once.
    assert!(app.events(&case.id).await.len() <= 6);
}

async fn racing_creates_with_one_key_make_one(app: &TestApp) {
    let token = app.login("clerk").await;
    let body = intake("adoption-payment", "office", P2);
    let send = || {
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "race")
            .json(&body)
            .send()
    };
    let (a, b, c) = tokio::join!(send(), send(), send());
    let (a, b, c) = (
        read(a.unwrap()).await,
        read(b.unwrap()).await,
        read(c.unwrap()).await,
    );
    for r in [&a, &b, &c] {
        r.expect(201);
        assert_eq!(r.body["id"], a.body["id"]);
        assert_eq!(r.body, a.body);
    }
    assert_eq!(app.count().await, 1);
    assert_eq!(app.events(a.body["id"].as_str().unwrap()).await.len(), 3);
}

async fn the_list_pages_through_everything_once(app: &TestApp) {
    let mut made = Vec::new();
    for (i, service) in [
        "meeting-permission",
        "foster-care-payment",
        "adoption-payment",
    ]
    .iter()
    .cycle()
    .take(7)
    .enumerate()
    {
        app.advance_minutes(1);
        let c = app
            .take_in_ok(
                "clerk",
                &intake(service, "office", if i % 2 == 0 { P1 } else { P2 }),
            )
            .await;
        made.push(c.id);
    }
    for order in ["newest", "due"] {
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let q = match &cursor {
                Some(c) => format!("/api/v1/applications?limit=3&order={order}&cursor={c}"),
                None => format!("/api/v1/applications?limit=3&order={order}"),
            };
            let r = app.get("head", &q).await;
            r.expect(200);
            pages += 1;
            let items = r.body["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
            match r.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
            assert!(pages < 10, "the cursor never ends");
        }
        assert_eq!(seen.len(), 7, "{order}: {seen:?}");
        if order == "newest" {
            let mut newest_first = made.clone();
            newest_first.reverse();
            assert_eq!(seen, newest_first);
        } else {
            // Earliest deadline first: the register steps started a minute
            // apart with limits of 15 (A) and 20 (B, C) minutes.
            let dues: Vec<String> = {
                let mut v = Vec::new();
                for id in &seen {
                    v.push(
                        app.read_case("head", id).await["due_at"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    );
                }
                v
            };
            let mut sorted = dues.clone();
            sorted.sort();
            assert_eq!(dues, sorted);
        }
    }
    // Filters.
    assert_eq!(
        app.list_ids("head", "service=adoption-payment").await.len(),
        2
    );
    assert_eq!(app.list_ids("head", "status=in-progress").await.len(), 7);
    assert_eq!(
        app.list_ids("head", "status=completed,withdrawn")
            .await
            .len(),
        0
    );
    assert_eq!(
        app.list_ids("head", "channel=state-corporation")
            .await
            .len(),
        0
    );
    assert_eq!(app.list_ids(P2, "").await.len(), 3);
}

/// Two nodes on one database take turns on an application. Each decides a
/// step first on the application as it last saw it; when the other node
/// has moved it on since, the step is decided again on the database's
/// answer, so the client sees what one node would have answered.
async fn steps_taken_on_two_nodes_see_each_other(app: &TestApp) {
    let other = app.other_node().await;
    let mut case = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    // The other node registers it; this one remembers it at rev 1.
    let r = app
        .act_at(&other.address, "clerk", &case.id, "\"1\"", &complete())
        .await;
    r.expect(200);
    assert_eq!(r.etag(), "\"2\"");
    case.etag = r.etag();
    // This node is asked at rev 2, which it has not seen.
    let v = app.act_ok("head", &mut case, assign("specialist")).await;
    assert_eq!(v["step"], "review", "{v}");
    // The other node moves it on again ...
    let r = app
        .act_at(&other.address, "specialist", &case.id, "\"3\"", &complete())
        .await;
    r.expect(200);
    // ... so the rev this node last wrote is stale here too, and nothing
    // is written on its strength.
    let events = app.events(&case.id).await.len();
    app.act("head", &case.id, "\"3\"", &complete())
        .await
        .problem(412, "precondition-failed");
    assert_eq!(app.events(&case.id).await.len(), events, "nothing written");
    case.etag = r.etag();
    let v = app.act_ok("head", &mut case, complete()).await;
    assert_eq!(v["step"], "issue", "{v}");
    assert!(app.events(&case.id).await.len() > events);
    assert_eq!(case.etag, "\"5\"");
}

crate::on_both_backends!(
    steps_taken_on_two_nodes_see_each_other,
    the_list_pages_through_everything_once,
    racing_actions_one_wins,
    racing_creates_with_one_key_make_one,
    if_match_is_required_and_checked,
    idempotent_create_replays,
    idempotent_action_replays,
);
