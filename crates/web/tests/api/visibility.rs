//! Who sees what, and who may do what (contract.md, "Roles"): someone
//! else's application is 404 and never its data; the auditor reads all and
//! changes nothing; a role never allowed at a step is 403; the right role at
//! the wrong time is 409.

use crate::helpers::*;
use serde_json::{json, Value};

/// Four applications of different reach:
/// `o1` office A of P1 at review, assigned to `specialist`;
/// `o2` office B of P2 at review, assigned to `specialist2`;
/// `s1` State Corporation A of P2 at register;
/// `d1` portal C draft of P1.
async fn four(app: &TestApp) -> [Case; 4] {
    let mut o1 = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    app.act_ok("clerk", &mut o1, complete()).await;
    app.act_ok("head", &mut o1, assign("specialist")).await;
    let mut o2 = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P2))
        .await;
    app.act_ok("clerk", &mut o2, complete()).await;
    app.act_ok("head", &mut o2, assign("specialist2")).await;
    let s1 = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P2),
        )
        .await;
    let d1 = app
        .take_in_ok(P1, &intake("adoption-payment", "portal", P1))
        .await;
    [o1, o2, s1, d1]
}

const EVERYONE: &[&str] = &[
    "clerk",
    "head",
    "specialist",
    "specialist2",
    "operator",
    "admin",
    "auditor",
    P1,
    P2,
    "other-clerk",
    "other-head",
    "other-specialist",
];

/// Which of o1, o2, s1, d1 each may see.
fn sees(who: &str) -> [bool; 4] {
    match who {
        "clerk" | "head" => [true, true, true, false],
        "specialist" => [true, false, false, false],
        "specialist2" => [false, true, false, false],
        "operator" => [false, false, true, false],
        "admin" | "auditor" => [true, true, true, true],
        P1 => [true, false, false, true],
        P2 => [false, true, true, false],
        _ => [false; 4],
    }
}

/// Nothing of the application is in a 404's body.
#[track_caller]
fn leaks_nothing(r: &Resp, case: &Case) {
    r.problem(404, "not-found");
    assert!(!r.text.contains(&case.id), "{}", r.text);
    let number = case.body["number"].as_str().unwrap();
    assert!(!r.text.contains(number), "{}", r.text);
    let iin = case.body["applicant"]["iin"].as_str().unwrap();
    assert!(!r.text.contains(iin), "{}", r.text);
    assert!(!r.text.contains("Test Applicant"), "{}", r.text);
}

async fn who_sees_what(app: &TestApp) {
    let cases = four(app).await;
    // A case nobody has, for comparison.
    let ghost = "5f0c2a54-5a2d-4c55-9a53-3c7f4b0e9d11";
    for who in EVERYONE {
        let visible = sees(who);
        let mut listed = app.list_ids(who, "").await;
        listed.sort();
        let mut expected: Vec<String> = cases
            .iter()
            .zip(visible)
            .filter(|(_, v)| *v)
            .map(|(c, _)| c.id.clone())
            .collect();
        expected.sort();
        assert_eq!(listed, expected, "the list as {who}");
        for (case, can) in cases.iter().zip(visible) {
            let one = app
                .get(who, &format!("/api/v1/applications/{}", case.id))
                .await;
            let events = app
                .get(who, &format!("/api/v1/applications/{}/events", case.id))
                .await;
            if can {
                one.expect(200);
                assert_eq!(one.body["id"], case.id.as_str());
                assert_eq!(one.body["actions"], case.body["actions"], "as {who}");
                events.expect(200);
            } else {
                leaks_nothing(&one, case);
                leaks_nothing(&events, case);
                // Acting on it: 404 too, even with the right ETag, and
                // nothing written.
                for body in [
                    complete(),
                    json!({"action": "withdraw"}),
                    json!({"action": "nonsense"}),
                ] {
                    let r = app.act(who, &case.id, &case.etag, &body).await;
                    leaks_nothing(&r, case);
                }
                // Without If-Match: still 404, not 428 (which would tell
                // that it exists).
                let r = app
                    .post(
                        who,
                        &format!("/api/v1/applications/{}/actions", case.id),
                        &complete(),
                    )
                    .await;
                leaks_nothing(&r, case);
                // Exactly what a case that does not exist gets, bar the id.
                let none = app.get(who, &format!("/api/v1/applications/{ghost}")).await;
                none.problem(404, "not-found");
                let strip = |v: &Value| {
                    let mut v = v.clone();
                    v["request_id"] = Value::Null;
                    v
                };
                assert_eq!(strip(&none.body), strip(&one.body));
            }
        }
    }
    // A malformed id is the same 404.
    app.get("admin", "/api/v1/applications/not-a-uuid")
        .await
        .problem(404, "not-found");
    // Nothing changed by all that.
    for case in &cases {
        let r = app
            .get("auditor", &format!("/api/v1/applications/{}", case.id))
            .await;
        assert_eq!(r.etag(), case.etag);
    }
}

async fn the_auditor_reads_and_never_acts(app: &TestApp) {
    let cases = four(app).await;
    let bodies = [
        complete(),
        assign("specialist"),
        json!({"action": "refuse", "grounds": ["documents-violation"], "reason": "x"}),
        json!({"action": "return", "comment": "x"}),
        json!({"action": "pause"}),
        json!({"action": "resume"}),
        json!({"action": "withdraw"}),
    ];
    for case in &cases {
        let n = app.events(&case.id).await.len();
        for body in &bodies {
            app.act("auditor", &case.id, &case.etag, body)
                .await
                .problem(403, "action-forbidden");
        }
        assert_eq!(app.events(&case.id).await.len(), n);
    }
    // Nor takes in.
    for channel in ["office", "state-corporation"] {
        app.take_in("auditor", &intake("meeting-permission", channel, P1))
            .await
            .problem(403, "action-forbidden");
    }
    assert_eq!(app.count().await, 4);
}

async fn roles_never_allowed_are_403_wrong_time_is_409(app: &TestApp) {
    let [o1, _o2, s1, _d1] = four(app).await;
    // o1 is at review, worked by `specialist`.
    let forbidden = [
        ("clerk", complete()),
        ("head", complete()),
        ("admin", complete()),
        ("specialist2", complete()),
        (P1, complete()),
        ("clerk", json!({"action": "pause"})),
        (
            "head",
            json!({"action": "refuse", "grounds": ["documents-violation"], "reason": "x"}),
        ),
        ("head", json!({"action": "withdraw"})),
        ("admin", json!({"action": "withdraw"})),
    ];
    for (who, body) in &forbidden {
        // specialist2 does not even see o1.
        let r = app.act(who, &o1.id, &o1.etag, body).await;
        if *who == "specialist2" {
            r.problem(404, "not-found");
        } else {
            r.problem(403, "action-forbidden");
        }
    }
    // s1 is at register (the office's clerk), taken in by the operator.
    for (who, body) in [
        ("operator", complete()),
        ("head", complete()),
        (
            "clerk",
            json!({"action": "refuse", "grounds": ["incomplete-package"], "reason": "x"}),
        ),
    ] {
        app.act(who, &s1.id, &s1.etag, &body)
            .await
            .problem(403, "action-forbidden");
    }
    // The right role, the wrong time.
    let mut o1 = o1;
    app.act("specialist", &o1.id, &o1.etag, &json!({"action": "resume"}))
        .await
        .problem(409, "action-conflict");
    app.act_ok("specialist", &mut o1, json!({"action": "pause"}))
        .await;
    app.act("specialist", &o1.id, &o1.etag, &json!({"action": "pause"}))
        .await
        .problem(409, "action-conflict");
    app.act("specialist", &o1.id, &o1.etag, &complete())
        .await
        .problem(409, "action-conflict");
    app.act_ok("specialist", &mut o1, json!({"action": "resume"}))
        .await;
    app.act_ok("specialist", &mut o1, complete()).await;
    // At sign, the head may not refuse (a specialist's act)...
    app.act(
        "head",
        &o1.id,
        &o1.etag,
        &json!({"action": "refuse", "grounds": ["documents-violation"], "reason": "x"}),
    )
    .await
    .problem(403, "action-forbidden");
    app.act_ok("head", &mut o1, complete()).await;
    app.act_ok("clerk", &mut o1, complete()).await;
    // Completed: the clerk's and the head's steps are over (409); the
    // auditor never (403).
    for who in ["clerk", "head"] {
        app.act(who, &o1.id, &o1.etag, &complete())
            .await
            .problem(409, "action-conflict");
    }
    app.act("auditor", &o1.id, &o1.etag, &complete())
        .await
        .problem(403, "action-forbidden");
    app.act("clerk", &o1.id, &o1.etag, &json!({"action": "withdraw"}))
        .await
        .problem(409, "action-conflict");

    // The specialist refuses at review only.
    let mut c = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    app.act_ok("clerk", &mut c, complete()).await;
    app.act_ok("head", &mut c, assign("specialist")).await;
    app.act_ok("specialist", &mut c, complete()).await;
    // Now at sign: the specialist's refusal is out of time.
    app.act(
        "specialist",
        &c.id,
        &c.etag,
        &json!({"action": "refuse", "grounds": ["documents-violation"], "reason": "x"}),
    )
    .await
    .problem(409, "action-conflict");
}

async fn other_providers_staff_cannot_take_in(app: &TestApp) {
    let mut body = intake("meeting-permission", "office", P1);
    // A clerk of another provider, for a service it does not render.
    app.take_in("other-clerk", &body)
        .await
        .problem(403, "provider-forbidden");
    body["provider"] = json!("other-provider");
    app.take_in("other-clerk", &body)
        .await
        .problem(422, "provider-unknown");
    // The operator does not take in at the office, the clerk not at the
    // State Corporation.
    app.take_in("operator", &intake("meeting-permission", "office", P1))
        .await
        .problem(403, "action-forbidden");
    app.take_in(
        "clerk",
        &intake("meeting-permission", "state-corporation", P1),
    )
    .await
    .problem(403, "action-forbidden");
    for who in ["head", "specialist", "admin", P1] {
        app.take_in(who, &intake("meeting-permission", "office", P1))
            .await
            .problem(403, "action-forbidden");
    }
    assert_eq!(app.count().await, 0);
}

async fn a_representative_sees_what_they_act_in(app: &TestApp) {
    let mut body = intake("meeting-permission", "office", P1);
    body["representative"] =
        json!({"iin": P2, "power_of_attorney": {"number": "DOV-2026-0001", "date": "2026-01-15"}});
    let case = app.take_in_ok("clerk", &body).await;
    assert_eq!(case.body["representative"]["iin"], P2);
    assert_eq!(
        case.body["representative"]["power_of_attorney"],
        json!({"number": "DOV-2026-0001", "date": "2026-01-15"})
    );
    app.read_case(P1, &case.id).await;
    app.read_case(P2, &case.id).await;
    let r = app
        .get(P2, &format!("/api/v1/applications/{}/events", case.id))
        .await;
    r.expect(200);
    assert_eq!(app.list_ids(P1, "").await, std::slice::from_ref(&case.id));
    // The representative may withdraw for the applicant.
    let mut case = case;
    let v = app
        .act_ok(P2, &mut case, json!({"action": "withdraw"}))
        .await;
    assert_eq!(v["status"], "withdrawn");
    // Their own list has it too, as the applicant's does.
    assert_eq!(app.list_ids(P2, "").await, std::slice::from_ref(&case.id));
}

/// `step_role` narrows a list to whose turn it is, within what the role
/// sees; an unknown role is bad input. And the head reads the provider's
/// specialists to name one.
async fn whose_turn_it_is(app: &TestApp) {
    let [o1, o2, _, _] = four(app).await;
    let mut r = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    app.act_ok("clerk", &mut r, complete()).await;
    let ids = |v: Vec<String>| {
        let mut v = v;
        v.sort();
        v
    };
    let mut want = vec![r.id.clone()];
    want.sort();
    assert_eq!(ids(app.list_ids("head", "step_role=head").await), want);
    let mut want = vec![o1.id.clone(), o2.id.clone()];
    want.sort();
    assert_eq!(
        ids(app.list_ids("head", "step_role=specialist").await),
        want
    );
    assert_eq!(
        app.list_ids("specialist", "step_role=specialist").await,
        vec![o1.id.clone()]
    );
    assert!(
        !app.list_ids("clerk", "step_role=clerk")
            .await
            .contains(&o1.id),
        "at review it is not the clerk's turn"
    );
    app.get("head", "/api/v1/applications?step_role=boss")
        .await
        .problem(400, "query-invalid");
    let r = app.get("head", "/api/v1/staff/specialists").await;
    r.expect(200);
    let names: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"specialist"), "{names:?}");
    assert!(!names.contains(&"other-specialist"), "another provider's");
    app.get("specialist", "/api/v1/staff/specialists")
        .await
        .problem(403, "action-forbidden");
}

crate::on_both_backends!(
    whose_turn_it_is,
    a_representative_sees_what_they_act_in,
    who_sees_what,
    the_auditor_reads_and_never_acts,
    roles_never_allowed_are_403_wrong_time_is_409,
    other_providers_staff_cannot_take_in,
);
