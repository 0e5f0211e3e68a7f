//! Whole lifecycles through each channel the catalog allows.

use crate::helpers::*;
use serde_json::{json, Value};

fn step(app: &Value, i: usize) -> &Value {
    &app["steps"][i]
}

/// Asserts one step of the `steps` list.
#[track_caller]
fn assert_step(
    s: &Value,
    code: &str,
    role: &str,
    started: &str,
    due: &str,
    completed: Option<&str>,
) {
    assert_eq!(s["code"], code, "{s}");
    assert_eq!(s["role"], role, "{s}");
    assert_eq!(s["started_at"], started, "{s}");
    assert_eq!(s["due_at"], due, "{s}");
    match completed {
        Some(c) => assert_eq!(s["completed_at"], c, "{s}"),
        None => assert!(s["completed_at"].is_null(), "{s}"),
    }
    assert_eq!(s["overdue"], false, "{s}");
}

async fn a_office_approval(app: &TestApp) {
    let body = intake("meeting-permission", "office", P1);
    let r = app.take_in("clerk", &body).await;
    r.expect(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("http://qyzmet.test/api/v1/applications/{id}").as_str())
    );
    assert_eq!(r.etag(), "\"1\"");
    let v = &r.body;
    assert!(v["number"].as_str().unwrap().starts_with("KZ-2026-"), "{v}");
    assert_eq!(v["service"], "meeting-permission");
    assert_eq!(v["channel"], "office");
    assert_eq!(v["provider"], PROVIDER);
    assert_eq!(v["status"], "in-progress");
    assert_eq!(v["step"], "register");
    assert_eq!(v["applicant"]["iin"], P1);
    assert_eq!(v["receipt"]["kind"], "acceptance");
    assert!(v["receipt"]["document"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    assert!(v.get("result").is_none(), "{v}");
    // register: 15 working minutes from 10:00.
    assert_eq!(v["due_at"], "2026-11-24T10:15:00+05:00");
    assert_eq!(v["steps"].as_array().unwrap().len(), 1);
    assert_step(
        step(v, 0),
        "register",
        "clerk",
        "2026-11-24T10:00:00+05:00",
        "2026-11-24T10:15:00+05:00",
        None,
    );
    assert_eq!(
        actions(v),
        [
            "complete:clerk",
            "pause:clerk",
            "withdraw:applicant",
            "withdraw:clerk"
        ]
    );
    // The same actions whoever asks.
    for who in ["clerk", "head", "auditor", "admin", P1] {
        let seen = app.read_case(who, &id).await;
        assert_eq!(seen["actions"], v["actions"], "as {who}");
    }
    let mut case = Case {
        id: id.clone(),
        etag: r.etag(),
        body: r.body.clone(),
    };

    app.advance_minutes(5);
    let v = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(case.etag, "\"2\"");
    assert_eq!(v["step"], "resolution");
    assert_eq!(v["due_at"], "2026-11-24T10:35:00+05:00");
    assert_eq!(
        step(&v, 0)["completed_at"],
        "2026-11-24T10:05:00+05:00",
        "{v}"
    );
    assert_eq!(
        actions(&v),
        [
            "complete:head",
            "return:head",
            "pause:head",
            "withdraw:applicant",
            "withdraw:clerk"
        ]
    );
    let c = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "complete")
        .unwrap();
    assert_eq!(c["requires"], json!(["assignee"]));

    app.advance_minutes(5);
    let v = app.act_ok("head", &mut case, assign("specialist")).await;
    assert_eq!(v["step"], "review");
    assert_eq!(v["assignee"], "specialist");
    // review: 2 working days, the day of the start not counted.
    assert_eq!(v["due_at"], "2026-11-26T18:30:00+05:00");
    assert!(actions(&v).contains(&"refuse:specialist".to_owned()));

    app.advance_minutes(60);
    let v = app.act_ok("specialist", &mut case, complete()).await;
    assert_eq!(v["step"], "sign");
    // sign: 30 minutes from 11:10.
    assert_eq!(v["due_at"], "2026-11-24T11:40:00+05:00");

    app.advance_minutes(10);
    let v = app.act_ok("head", &mut case, complete()).await;
    assert_eq!(v["step"], "issue");
    // issue: 1 calendar day, close of business of the next day.
    assert_eq!(v["due_at"], "2026-11-25T18:30:00+05:00");

    app.advance_minutes(10);
    let v = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(case.etag, "\"6\"");
    assert_eq!(v["status"], "completed");
    assert!(v["step"].is_null(), "{v}");
    assert!(v["due_at"].is_null(), "{v}");
    assert_eq!(v["result"]["kind"], "approval");
    let doc = v["result"]["document"].as_str().unwrap();
    assert!(!doc.is_empty());
    assert_ne!(doc, v["receipt"]["document"].as_str().unwrap());
    assert_eq!(actions(&v), Vec::<String>::new());
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    assert_step(
        &steps[0],
        "register",
        "clerk",
        "2026-11-24T10:00:00+05:00",
        "2026-11-24T10:15:00+05:00",
        Some("2026-11-24T10:05:00+05:00"),
    );
    assert_step(
        &steps[1],
        "resolution",
        "head",
        "2026-11-24T10:05:00+05:00",
        "2026-11-24T10:35:00+05:00",
        Some("2026-11-24T10:10:00+05:00"),
    );
    assert_step(
        &steps[2],
        "review",
        "specialist",
        "2026-11-24T10:10:00+05:00",
        "2026-11-26T18:30:00+05:00",
        Some("2026-11-24T11:10:00+05:00"),
    );
    assert_step(
        &steps[3],
        "sign",
        "head",
        "2026-11-24T11:10:00+05:00",
        "2026-11-24T11:40:00+05:00",
        Some("2026-11-24T11:20:00+05:00"),
    );
    assert_step(
        &steps[4],
        "issue",
        "clerk",
        "2026-11-24T11:20:00+05:00",
        "2026-11-25T18:30:00+05:00",
        Some("2026-11-24T11:30:00+05:00"),
    );
    // What was answered is what is read back.
    let r = app
        .get("clerk", &format!("/api/v1/applications/{id}"))
        .await;
    r.expect(200);
    assert_eq!(r.etag(), "\"6\"");
    assert_eq!(r.body, v);
    // Every action is one or more events, in order.
    let types: Vec<String> = app
        .events(&id)
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "created",
            "accepted",
            "step-started",
            "step-completed",
            "step-started",
            "assigned",
            "step-completed",
            "step-started",
            "step-completed",
            "step-started",
            "step-completed",
            "step-started",
            "step-completed",
            "completed"
        ]
    );
}

async fn a_state_corporation(app: &TestApp) {
    // Received Tuesday 10:00: the provider's clock starts Wednesday 09:00.
    let mut case = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P2),
        )
        .await;
    let v = case.body.clone();
    assert_eq!(v["channel"], "state-corporation");
    assert_eq!(v["status"], "in-progress");
    assert_eq!(v["step"], "register");
    assert_eq!(v["receipt"]["kind"], "acceptance");
    assert_step(
        step(&v, 0),
        "register",
        "clerk",
        "2026-11-25T09:00:00+05:00",
        "2026-11-25T09:15:00+05:00",
        None,
    );
    assert_eq!(v["due_at"], "2026-11-25T09:15:00+05:00");
    assert_eq!(
        actions(&v),
        [
            "complete:clerk",
            "pause:clerk",
            "withdraw:applicant",
            "withdraw:operator"
        ]
    );
    // The operator takes in; the office's clerk registers.
    app.act("operator", &case.id, &case.etag, &complete())
        .await
        .problem(403, "action-forbidden");
    // ... and may do so at once.
    app.advance_minutes(5);
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    app.act_ok("specialist", &mut case, complete()).await;
    let v = app.act_ok("head", &mut case, complete()).await;
    assert_eq!(v["step"], "issue");
    assert_eq!(step(&v, 4)["role"], "operator");
    assert_eq!(
        actions(&v),
        [
            "complete:operator",
            "return:operator",
            "pause:operator",
            "withdraw:applicant",
            "withdraw:operator"
        ]
    );
    // In this channel the operator, not the clerk, issues.
    app.act("clerk", &case.id, &case.etag, &complete())
        .await
        .problem(403, "action-forbidden");
    let v = app.act_ok("operator", &mut case, complete()).await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["result"]["kind"], "approval");
    assert!(v["result"]["document"].as_str().is_some());
    // The operator sees it; the applicant too, whatever the channel.
    app.read_case("operator", &case.id).await;
    app.read_case(P2, &case.id).await;
}

async fn b_office_refusal(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P2))
        .await;
    assert_eq!(case.body["due_at"], "2026-11-24T10:20:00+05:00");
    app.act_ok("clerk", &mut case, complete()).await;
    // resolution: 1 working day.
    assert_eq!(case.body["due_at"], "2026-11-25T18:30:00+05:00");
    app.act_ok("head", &mut case, assign("specialist")).await;
    // review: 3 working days from Tuesday: Wed, Thu, Fri.
    assert_eq!(case.body["due_at"], "2026-11-27T18:30:00+05:00");
    let v = app
        .act_ok(
            "specialist",
            &mut case,
            json!({"action": "refuse", "grounds": ["documents-violation", "standard-item-10"],
                   "reason": "The patronage contract has expired."}),
        )
        .await;
    assert_eq!(v["status"], "in-progress");
    assert_eq!(v["step"], "sign");
    assert!(v.get("result").is_none(), "{v}");
    assert_eq!(
        v["refusal"],
        json!({"grounds": ["documents-violation", "standard-item-10"],
               "reason": "The patronage contract has expired."})
    );
    let v = app.act_ok("head", &mut case, complete()).await;
    assert_eq!(v["step"], "issue");
    let v = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["result"]["kind"], "refusal");
    assert!(v["result"]["document"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    let ev = app.events(&case.id).await;
    let refused = ev.iter().find(|e| e["type"] == "refused").unwrap();
    assert_eq!(refused["actor"], "specialist");
    assert_eq!(
        refused["data"],
        json!({"grounds": ["documents-violation", "standard-item-10"],
               "reason": "The patronage contract has expired."})
    );
    assert_eq!(ev.last().unwrap()["data"], json!({"result": "refusal"}));
}

async fn c_office_pause_resume_return(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("adoption-payment", "office", P1))
        .await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    // review: 5 working days from Tuesday 24th: Wed..Tue 1 December.
    assert_eq!(case.body["due_at"], "2026-12-01T18:30:00+05:00");

    // Paused Wednesday 10:00: four working days not yet begun are left.
    app.set_now("2026-11-25T10:00:00+05:00");
    let v = app
        .act_ok(
            "specialist",
            &mut case,
            json!({"action": "pause", "comment": "awaiting the court decision's copy"}),
        )
        .await;
    assert_eq!(v["status"], "paused");
    assert_eq!(v["step"], "review");
    assert!(v["due_at"].is_null(), "{v}");
    assert_eq!(v["paused"]["since"], "2026-11-25T10:00:00+05:00");
    // Ends by itself at close of business of its 30th calendar day.
    assert_eq!(v["paused"]["until"], "2026-12-25T18:30:00+05:00");
    assert_eq!(v["paused"]["comment"], "awaiting the court decision's copy");
    assert_eq!(
        actions(&v),
        ["resume:specialist", "withdraw:applicant", "withdraw:clerk"]
    );
    // Nothing but resume while paused.
    app.act("specialist", &case.id, &case.etag, &complete())
        .await
        .problem(409, "action-conflict");

    // Resumed Thursday 10:00: four working days after it.
    app.set_now("2026-11-26T10:00:00+05:00");
    let v = app
        .act_ok("specialist", &mut case, json!({"action": "resume"}))
        .await;
    assert_eq!(v["status"], "in-progress");
    assert_eq!(v["due_at"], "2026-12-02T18:30:00+05:00");
    assert_eq!(step(&v, 2)["due_at"], "2026-12-02T18:30:00+05:00");
    assert!(v.get("paused").is_none(), "{v}");

    // Returned from review to resolution: it starts again with its full limit.
    app.set_now("2026-11-26T11:00:00+05:00");
    let v = app
        .act_ok(
            "specialist",
            &mut case,
            json!({"action": "return", "comment": "wrong specialist"}),
        )
        .await;
    assert_eq!(v["step"], "resolution");
    assert_eq!(v["due_at"], "2026-11-27T18:30:00+05:00");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4, "{v}");
    assert_eq!(steps[2]["code"], "review");
    assert_step(
        &steps[3],
        "resolution",
        "head",
        "2026-11-26T11:00:00+05:00",
        "2026-11-27T18:30:00+05:00",
        None,
    );
    // A return needs its comment.
    app.act(
        "head",
        &case.id,
        &case.etag,
        &json!({"action": "return", "comment": " "}),
    )
    .await
    .problem(422, "field-invalid");

    app.act_ok("head", &mut case, assign("specialist")).await;
    // review again with its full limit (5 working days from Thursday).
    assert_eq!(case.body["due_at"], "2026-12-03T18:30:00+05:00");
    app.act_ok("specialist", &mut case, complete()).await;
    // sign: 1 working day.
    assert_eq!(case.body["due_at"], "2026-11-27T18:30:00+05:00");
    // The head sends the draft back to review.
    let v = app
        .act_ok(
            "head",
            &mut case,
            json!({"action": "return", "comment": "check the IBAN"}),
        )
        .await;
    assert_eq!(v["step"], "review");
    assert_eq!(v["due_at"], "2026-12-03T18:30:00+05:00");
    app.act_ok("specialist", &mut case, complete()).await;
    app.act_ok("head", &mut case, complete()).await;
    // issue: 15 minutes.
    assert_eq!(case.body["due_at"], "2026-11-26T11:15:00+05:00");
    let v = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["result"]["kind"], "approval");
    let types: Vec<Value> = app
        .events(&case.id)
        .await
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types.iter().filter(|t| *t == "paused").count(), 1);
    assert_eq!(types.iter().filter(|t| *t == "resumed").count(), 1);
    assert_eq!(types.iter().filter(|t| *t == "returned").count(), 2);
}

async fn withdrawal_by_the_applicant(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("adoption-payment", "office", P1))
        .await;
    app.act_ok("clerk", &mut case, complete()).await;
    // Another applicant cannot even see it.
    app.act(P2, &case.id, &case.etag, &json!({"action": "withdraw"}))
        .await
        .problem(404, "not-found");
    let v = app
        .act_ok(
            P1,
            &mut case,
            json!({"action": "withdraw", "reason": "changed my mind"}),
        )
        .await;
    assert_eq!(v["status"], "withdrawn");
    assert!(v["step"].is_null());
    assert!(v["due_at"].is_null());
    assert!(v.get("result").is_none());
    assert_eq!(actions(&v), Vec::<String>::new());
    // Once withdrawn, nothing more: not even a second withdrawal.
    app.act(P1, &case.id, &case.etag, &json!({"action": "withdraw"}))
        .await
        .problem(409, "action-conflict");
    let ev = app.events(&case.id).await;
    let last = ev.last().unwrap();
    assert_eq!(last["type"], "withdrawn");
    assert_eq!(last["actor"], P1);
    assert_eq!(last["data"], json!({"reason": "changed my mind"}));

    // After a result, too late.
    let mut done = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    app.act_ok("clerk", &mut done, complete()).await;
    app.act_ok("head", &mut done, assign("specialist")).await;
    app.act_ok("specialist", &mut done, complete()).await;
    app.act_ok("head", &mut done, complete()).await;
    app.act_ok("clerk", &mut done, complete()).await;
    app.act(P1, &done.id, &done.etag, &json!({"action": "withdraw"}))
        .await
        .problem(409, "action-conflict");
}

async fn a_incomplete_package_is_rejected_at_intake(app: &TestApp) {
    let mut body = intake("meeting-permission", "office", P1);
    body["documents"] = docs(&["application", "supporting-certificates"]);
    let r = app.take_in("clerk", &body).await;
    r.expect(201);
    let v = &r.body;
    assert_eq!(v["status"], "rejected-at-intake");
    assert_eq!(v["receipt"]["kind"], "rejection");
    assert_eq!(v["receipt"]["missing"], json!(["identity-document"]));
    assert!(v["receipt"]["document"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    assert!(v["step"].is_null(), "{v}");
    assert!(v["due_at"].is_null(), "{v}");
    assert_eq!(v["steps"], json!([]));
    assert!(v.get("result").is_none());
    assert_eq!(actions(v), Vec::<String>::new());
    let id = v["id"].as_str().unwrap();
    let types: Vec<Value> = app
        .events(id)
        .await
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(types, [json!("created"), json!("rejected-at-intake")]);
    // Nothing to do on it.
    app.act("clerk", id, &r.etag(), &complete())
        .await
        .problem(409, "action-conflict");

    // The State Corporation refuses an incomplete package the same way.
    let mut body = intake("meeting-permission", "state-corporation", P2);
    body["documents"] = docs(&["identity-document"]);
    let r = app.take_in("operator", &body).await;
    r.expect(201);
    assert_eq!(r.body["status"], "rejected-at-intake");
    assert_eq!(r.body["receipt"]["kind"], "rejection");
    assert_eq!(
        r.body["receipt"]["missing"],
        json!(["application", "supporting-certificates"])
    );
    assert_eq!(r.body["steps"], json!([]));

    // C does not refuse at intake: the package goes on, the gap recorded.
    let mut body = intake("adoption-payment", "office", P1);
    body["documents"] = docs(&["court-decision"]);
    let r = app.take_in("clerk", &body).await;
    r.expect(201);
    assert_eq!(r.body["status"], "in-progress");
    assert_eq!(r.body["receipt"]["kind"], "acceptance");
    assert_eq!(
        r.body["receipt"]["missing"],
        json!(["child-iin", "bank-account"])
    );
}

async fn portal_draft_is_the_applicants_alone(app: &TestApp) {
    let body = intake("adoption-payment", "portal", P1);
    // Staff do not take in on the portal.
    app.take_in("clerk", &body)
        .await
        .problem(403, "action-forbidden");
    // An applicant applies for themself.
    app.take_in(P2, &body)
        .await
        .problem(403, "applicant-mismatch");
    let r = app.take_in(P1, &body).await;
    r.expect(201);
    let v = &r.body;
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["status"], "draft");
    assert_eq!(v["channel"], "portal");
    assert!(v["step"].is_null());
    assert!(v["due_at"].is_null());
    assert_eq!(v["steps"], json!([]));
    assert!(v.get("receipt").is_none(), "{v}");
    assert_eq!(actions(v), ["withdraw:applicant"]);
    assert_eq!(v["documents"][0]["size"], 16);
    assert!(v["documents"][0]["sha256"].as_str().is_some());
    app.read_case(P1, id).await;
    assert_eq!(app.list_ids(P1, "").await, [id]);
    // Nothing for the provider's staff to see yet.
    for who in ["clerk", "head", "specialist", "operator"] {
        app.get(who, &format!("/api/v1/applications/{id}"))
            .await
            .problem(404, "not-found");
        app.get(who, &format!("/api/v1/applications/{id}/events"))
            .await
            .problem(404, "not-found");
        assert_eq!(app.list_ids(who, "").await, Vec::<String>::new(), "{who}");
        assert_eq!(
            app.list_ids(who, "status=draft").await,
            Vec::<String>::new(),
            "{who}"
        );
    }
    // On the portal each document is an electronic copy.
    let mut paper = body.clone();
    paper["documents"] = docs(C_DOCS);
    let r = app.take_in(P1, &paper).await;
    r.problem(422, "documents-invalid");
    assert_eq!(
        r.error_paths(),
        [
            "/documents/0/content",
            "/documents/1/content",
            "/documents/2/content"
        ]
    );
}

async fn a_refusal_sent_back_is_decided_afresh(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P2))
        .await;
    app.act_ok("clerk", &mut case, complete()).await;
    app.act_ok("head", &mut case, assign("specialist")).await;
    app.act_ok(
        "specialist",
        &mut case,
        json!({"action": "refuse", "grounds": ["documents-violation"], "reason": "r"}),
    )
    .await;
    assert!(case.body.get("refusal").is_some());
    // The head does not sign the refusal: back to review.
    let v = app
        .act_ok(
            "head",
            &mut case,
            json!({"action": "return", "comment": "the contract is valid"}),
        )
        .await;
    assert_eq!(v["step"], "review");
    assert!(v.get("refusal").is_none(), "{v}");
    app.act_ok("specialist", &mut case, complete()).await;
    app.act_ok("head", &mut case, complete()).await;
    let v = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["result"]["kind"], "approval");
}

async fn a_portal_draft_may_be_withdrawn(app: &TestApp) {
    let r = app
        .take_in(P1, &intake("foster-care-payment", "portal", P1))
        .await;
    r.expect(201);
    let mut case = Case {
        id: r.body["id"].as_str().unwrap().to_owned(),
        etag: r.etag(),
        body: r.body.clone(),
    };
    assert_eq!(case.body["status"], "draft");
    let v = app
        .act_ok(P1, &mut case, json!({"action": "withdraw"}))
        .await;
    assert_eq!(v["status"], "withdrawn");
    assert!(v.get("receipt").is_none(), "{v}");
    assert_eq!(actions(&v), Vec::<String>::new());
    assert_eq!(
        app.list_ids(P1, "status=withdrawn").await,
        std::slice::from_ref(&case.id)
    );
    // Never signed, it never reached the provider: its staff see nothing
    // of it, by id or in their lists.
    for staff in ["clerk", "head"] {
        app.get(staff, &format!("/api/v1/applications/{}", case.id))
            .await
            .expect(404);
        assert!(
            !app.list_ids(staff, "").await.contains(&case.id),
            "{staff} lists the withdrawn draft"
        );
    }
}

crate::on_both_backends!(
    a_refusal_sent_back_is_decided_afresh,
    a_portal_draft_may_be_withdrawn,
    a_office_approval,
    a_state_corporation,
    b_office_refusal,
    c_office_pause_resume_return,
    withdrawal_by_the_applicant,
    a_incomplete_package_is_rejected_at_intake,
    portal_draft_is_the_applicants_alone,
);
