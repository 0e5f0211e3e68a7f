//! The administrator's API: accounts, versions, the outbox's dead letters,
//! the audit of it all, and the story of a holiday added after deadlines
//! were set: nothing moves until the recompute is asked for.

use crate::helpers::*;
use qyzmet_store::{JobStatus, NewJob};
use serde_json::json;

async fn actions_of_audit(app: &TestApp) -> Vec<String> {
    let r = app.get("auditor", "/api/v1/admin/audit").await;
    r.expect(200);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn accounts_are_managed_and_audited(app: &TestApp) {
    // Only administrators change; auditors read; others are refused.
    app.get("clerk", "/api/v1/admin/users")
        .await
        .problem(403, "admin-only");
    let r = app.get("auditor", "/api/v1/admin/users").await;
    r.expect(200);
    let clerk = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "clerk")
        .unwrap()
        .clone();
    assert_eq!(clerk["role"], "clerk");
    assert_eq!(clerk["provider"], PROVIDER);
    assert_eq!(clerk["disabled"], false);

    let new = json!({
        "username": "clerk-2",
        "role": "clerk",
        "provider": PROVIDER,
        "display_name": "Жаңа қызметкер",
        "password": "a long enough password",
    });
    app.post("auditor", "/api/v1/admin/users", &new)
        .await
        .problem(403, "admin-only");
    let mut bad = new.clone();
    bad["role"] = json!("applicant");
    app.post("admin", "/api/v1/admin/users", &bad)
        .await
        .problem(422, "role-unknown");
    let mut bad = new.clone();
    bad["provider"] = json!(null);
    app.post("admin", "/api/v1/admin/users", &bad)
        .await
        .problem(422, "user-provider-required");
    bad["provider"] = json!("no-such-provider");
    app.post("admin", "/api/v1/admin/users", &bad)
        .await
        .problem(422, "user-provider-unknown");
    let mut bad = new.clone();
    bad["password"] = json!("short");
    let r = app.post("admin", "/api/v1/admin/users", &bad).await;
    r.problem(422, "password-weak");
    assert_eq!(r.error_paths(), ["/password"]);
    let mut bad = new.clone();
    bad["username"] = json!("Has Spaces");
    app.post("admin", "/api/v1/admin/users", &bad)
        .await
        .problem(422, "username-invalid");

    let r = app.post("admin", "/api/v1/admin/users", &new).await;
    r.expect(201);
    assert_eq!(r.body["username"], "clerk-2");
    assert_eq!(r.body["disabled"], false);
    assert!(r.body.get("password_hash").is_none());
    app.post("admin", "/api/v1/admin/users", &new)
        .await
        .problem(409, "username-taken");
    app.login_raw("clerk-2", "a long enough password")
        .await
        .expect(200);

    // Disabled: no login. Enabled again: login.
    let r = app
        .post("admin", "/api/v1/admin/users/clerk-2/disable", &json!({}))
        .await;
    r.expect(200);
    assert_eq!(r.body["disabled"], true);
    app.login_raw("clerk-2", "a long enough password")
        .await
        .problem(401, "credentials-invalid");
    app.post("admin", "/api/v1/admin/users/clerk-2/enable", &json!({}))
        .await
        .expect(200);
    let token = app
        .login_raw("clerk-2", "a long enough password")
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post("admin", "/api/v1/admin/users/nobody/disable", &json!({}))
        .await
        .problem(404, "not-found");
    app.post("admin", "/api/v1/admin/users/admin/disable", &json!({}))
        .await
        .problem(409, "self-disable");

    // A new password ends the old tokens.
    app.post(
        "admin",
        "/api/v1/admin/users/clerk-2/password",
        &json!({"password": "short"}),
    )
    .await
    .problem(422, "password-weak");
    app.post(
        "admin",
        "/api/v1/admin/users/clerk-2/password",
        &json!({"password": "another long password"}),
    )
    .await
    .expect(204);
    let r = read(
        app.client
            .get(app.url("/api/v1/applications"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(401, "unauthenticated");
    app.login_raw("clerk-2", "another long password")
        .await
        .expect(200);

    let audit = actions_of_audit(app).await;
    assert_eq!(
        audit,
        [
            "password-reset",
            "user-enabled",
            "user-disabled",
            "user-created"
        ]
    );
    let r = app.get("auditor", "/api/v1/admin/audit?limit=1").await;
    r.expect(200);
    assert_eq!(r.body[0]["actor"], "admin");
    assert_eq!(r.body[0]["target"], "clerk-2");
    assert!(!r.text.contains("another long password"));
    app.get("clerk", "/api/v1/admin/audit")
        .await
        .problem(403, "admin-only");
}

async fn versions_providers_and_dead_letters(app: &TestApp) {
    let r = app.get("auditor", "/api/v1/admin/providers").await;
    r.expect(200);
    assert!(r
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["code"] == PROVIDER));

    let r = app.get("admin", "/api/v1/admin/versions").await;
    r.expect(200);
    let foster = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "foster-care-payment")
        .unwrap()
        .clone();
    let version = foster["versions"][0].clone();
    assert_eq!(version["in_force"], true);
    assert_eq!(version["effective_until"], json!(null));
    let code = version["code"].as_str().unwrap();
    let end = |until: &str, reason: &str| {
        json!({"service": "foster-care-payment", "version": code,
               "effective_until": until, "reason": reason})
    };
    app.post(
        "clerk",
        "/api/v1/admin/versions/end",
        &end("2027-01-01", "x"),
    )
    .await
    .problem(403, "admin-only");
    app.post(
        "admin",
        "/api/v1/admin/versions/end",
        &end("2027-01-01", " "),
    )
    .await
    .problem(422, "reason-required");
    app.post(
        "admin",
        "/api/v1/admin/versions/end",
        &end("2000-01-01", "decree"),
    )
    .await
    .problem(422, "version-end-invalid");
    let mut unknown = end("2027-01-01", "decree");
    unknown["version"] = json!("no-such-version");
    app.post("admin", "/api/v1/admin/versions/end", &unknown)
        .await
        .problem(422, "version-unknown");
    // Ended from tomorrow: still in force today, gone for new applications tomorrow.
    let r = app
        .post(
            "admin",
            "/api/v1/admin/versions/end",
            &end("2026-11-25", "decree"),
        )
        .await;
    r.expect(200);
    let shown = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "foster-care-payment")
        .unwrap()["versions"][0]
        .clone();
    assert_eq!(shown["effective_until"], "2026-11-25");
    assert_eq!(shown["in_force"], true);
    app.set_now("2026-11-25T10:00:00+05:00");
    let r = app.get("admin", "/api/v1/admin/versions").await;
    let foster = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "foster-care-payment")
        .unwrap()
        .clone();
    assert_eq!(foster["versions"][0]["in_force"], false);
    let r = app
        .take_in("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // A dead letter: listed with its error, retried once.
    let store = app.state.store();
    store
        .enqueue(
            vec![NewJob {
                kind: "notify".into(),
                payload: json!({"to": "someone"}),
                run_at: app.now(),
            }],
            app.now(),
        )
        .await
        .unwrap();
    let job = store
        .claim_jobs(
            app.now(),
            app.now() + chrono::Duration::minutes(1),
            10,
            None,
        )
        .await
        .unwrap()
        .remove(0);
    store
        .fail_job(job.id, "gateway said no", None, app.now())
        .await
        .unwrap();
    let r = app.get("auditor", "/api/v1/admin/outbox/dead").await;
    r.expect(200);
    assert_eq!(r.body[0]["id"], job.id);
    assert_eq!(r.body[0]["last_error"], "gateway said no");
    assert_eq!(r.body[0]["attempts"], 1);
    let retry = format!("/api/v1/admin/outbox/dead/{}/retry", job.id);
    app.post("auditor", &retry, &json!({}))
        .await
        .problem(403, "admin-only");
    app.post("admin", &retry, &json!({})).await.expect(204);
    assert_eq!(store.job(job.id).await.unwrap().status, JobStatus::Pending);
    app.post("admin", &retry, &json!({}))
        .await
        .problem(404, "not-found");
    app.post("admin", "/api/v1/admin/outbox/dead/abc/retry", &json!({}))
        .await
        .problem(404, "not-found");
    assert_eq!(
        actions_of_audit(app).await,
        ["job-retried", "version-ended"]
    );
}

async fn a_holiday_moves_open_deadlines_only_when_recomputed(app: &TestApp) {
    // Tuesday 10:00: register, then resolution; review (3 working days)
    // starts at 10:15.
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    app.set_now("2026-11-24T10:05:00+05:00");
    app.act_ok("clerk", &mut case, complete()).await;
    app.set_now("2026-11-24T10:15:00+05:00");
    app.act_ok("head", &mut case, assign("specialist")).await;
    let before = app.read_case("clerk", &case.id).await;
    assert_eq!(before["step"], "review", "{before}");
    let due = before["due_at"].as_str().unwrap().to_owned();
    assert!(due.starts_with("2026-11-27T"), "{due}");
    // Another, finished before the edit, is left alone.
    let mut done = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P2))
        .await;
    app.act_ok(
        P2,
        &mut done,
        json!({"action": "withdraw", "reason": "changed my mind"}),
    )
    .await;

    // Input checked; clerks refused.
    let holiday = json!({"kind": "day-off", "date": "2026-11-26",
        "source": "Government decree of 2026-11-20", "reason": "a day of mourning"});
    app.post("clerk", "/api/v1/admin/calendar", &holiday)
        .await
        .problem(403, "admin-only");
    let mut bad = holiday.clone();
    bad["source"] = json!("");
    app.post("admin", "/api/v1/admin/calendar", &bad)
        .await
        .problem(422, "source-required");
    let mut bad = holiday.clone();
    bad["date"] = json!("2026-11-28");
    app.post("admin", "/api/v1/admin/calendar", &bad)
        .await
        .problem(422, "date-invalid");
    let mut bad = holiday.clone();
    bad["date"] = json!("1999-01-04");
    app.post("admin", "/api/v1/admin/calendar", &bad)
        .await
        .problem(422, "calendar-edit-invalid");
    let mut bad = holiday.clone();
    bad["kind"] = json!("correction");
    app.post("admin", "/api/v1/admin/calendar", &bad)
        .await
        .problem(422, "working-required");
    app.post(
        "admin",
        "/api/v1/admin/calendar",
        &json!({"kind": "holiday"}),
    )
    .await
    .problem(422, "body-invalid");
    let r = app
        .get(
            "admin",
            "/api/v1/admin/calendar?from=2026-11-26&to=2026-11-26",
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["days"][0]["working"], true);

    let r = app.post("admin", "/api/v1/admin/calendar", &holiday).await;
    r.expect(201);
    assert_eq!(r.body["from"], "2026-11-26");
    assert_eq!(r.body["days"][0]["date"], "2026-11-26");
    assert_eq!(r.body["days"][0]["working"], false);
    // The live calendar shows it at once...
    let r = app
        .get(
            "auditor",
            "/api/v1/admin/calendar?from=2026-11-25&to=2026-11-27",
        )
        .await;
    r.expect(200);
    let working: Vec<bool> = r.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["working"].as_bool().unwrap())
        .collect();
    assert_eq!(working, [true, false, true]);
    assert_eq!(r.body["edits"][0]["actor"], "admin");
    assert_eq!(r.body["edits"][0]["edit"]["kind"], "day");
    // ...but a deadline already set stays until the recompute.
    assert_eq!(app.read_case("clerk", &case.id).await["due_at"], due);

    app.post("clerk", "/api/v1/admin/calendar/recompute", &json!({}))
        .await
        .problem(403, "admin-only");
    let r = app
        .post(
            "admin",
            "/api/v1/admin/calendar/recompute",
            &json!({"from": "2026-11-26"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["examined"], 1);
    assert_eq!(r.body["changed"], 1);
    let after = app.read_case("clerk", &case.id).await;
    // Friday's deadline moved to the next working day, Monday, same hour.
    assert_eq!(after["due_at"], due.replace("2026-11-27", "2026-11-30"));
    // The answer says what moved, from what to what.
    assert_eq!(
        r.body["moved"],
        json!([{"id": case.id, "number": after["number"], "step": "review",
            "what": "deadline", "previous": due, "now": after["due_at"]}])
    );
    let events = app.events(&case.id).await;
    let last = events.last().unwrap();
    assert_eq!(last["type"], "deadline-recomputed");
    assert_eq!(last["actor"], "admin");
    assert_eq!(last["data"]["step"], "review");
    assert_eq!(last["data"]["overdue_cleared"], false);
    // The chain still holds, and the auditor sees it checked.
    let r = app
        .get(
            "auditor",
            &format!("/api/v1/applications/{}/audit", case.id),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["intact"], true);
    assert_eq!(r.body["events"], events.len());
    assert_eq!(r.body["first_broken"], json!(null));
    app.get("clerk", &format!("/api/v1/applications/{}/audit", case.id))
        .await
        .problem(403, "admin-only");
    app.get(
        "auditor",
        "/api/v1/applications/00000000-0000-4000-8000-000000000000/audit",
    )
    .await
    .problem(404, "not-found");

    // Again: nothing more moves.
    let r = app
        .post("admin", "/api/v1/admin/calendar/recompute", &json!({}))
        .await;
    assert_eq!(r.body, json!({"examined": 1, "changed": 0, "moved": []}));
    assert_eq!(
        actions_of_audit(app).await,
        [
            "deadlines-recomputed",
            "deadlines-recomputed",
            "calendar-edited"
        ]
    );
}

async fn load_per_step_as_json_and_csv(app: &TestApp) {
    app.take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    app.take_in_ok("clerk", &intake("meeting-permission", "office", P2))
        .await;
    // Register is due in 15 minutes; the clock marks the late one.
    app.set_now("2026-11-24T10:16:00+05:00");
    qyzmet_web::worker::tick_due(&app.state, app.now(), 100)
        .await
        .unwrap();
    app.get("clerk", "/api/v1/admin/stats/load")
        .await
        .problem(403, "admin-only");
    app.get("auditor", "/api/v1/admin/stats/load?format=xml")
        .await
        .problem(400, "query-invalid");
    let r = app.get("auditor", "/api/v1/admin/stats/load").await;
    r.expect(200);
    assert_eq!(r.body["open"], 2);
    assert_eq!(r.body["overdue"], 1);
    assert_eq!(
        r.body["rows"],
        json!([
            {"provider": PROVIDER, "service": "foster-care-payment", "step": "register", "open": 1, "overdue": 0},
            {"provider": PROVIDER, "service": "meeting-permission", "step": "register", "open": 1, "overdue": 1},
        ])
    );
    // A head sees their own provider's only.
    let r = app.get("head", "/api/v1/admin/stats/load").await;
    r.expect(200);
    assert_eq!(r.body["open"], 2);
    let r = app.get("other-head", "/api/v1/admin/stats/load").await;
    r.expect(200);
    assert_eq!(r.body, json!({"rows": [], "open": 0, "overdue": 0}));
    let r = app
        .get("admin", "/api/v1/admin/stats/load?format=csv")
        .await;
    r.expect(200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(
        r.text,
        format!(
            "provider,service,step,open,overdue\r\n\
             {PROVIDER},foster-care-payment,register,1,0\r\n\
             {PROVIDER},meeting-permission,register,1,1\r\n"
        )
    );
}

async fn step_times_against_the_limit_as_json_and_csv(app: &TestApp) {
    // This register is due 20 minutes after intake: one done in 5, one in 25.
    let mut quick = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    let mut late = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P2))
        .await;
    app.set_now("2026-11-24T10:05:00+05:00");
    app.act_ok("clerk", &mut quick, complete()).await;
    app.set_now("2026-11-24T10:25:00+05:00");
    app.act_ok("clerk", &mut late, complete()).await;
    // Withdrawn while open: not a completed passage, not counted.
    let mut gone = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P2))
        .await;
    app.act_ok(
        P2,
        &mut gone,
        json!({"action": "withdraw", "reason": "changed my mind"}),
    )
    .await;

    app.get("clerk", "/api/v1/admin/stats/times")
        .await
        .problem(403, "admin-only");
    app.get("auditor", "/api/v1/admin/stats/times?format=pdf")
        .await
        .problem(400, "query-invalid");
    let r = app.get("auditor", "/api/v1/admin/stats/times").await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!({"completed": 2, "since": "2026-08-26", "rows": [{
            "provider": PROVIDER, "service": "foster-care-payment", "step": "register",
            "limit": {"minutes": 20}, "completed": 2, "on_time": 1,
            "median_minutes": 5, "p90_minutes": 25, "allowed_median_minutes": 20,
            "median_used_percent": 25, "p90_used_percent": 125,
        }]})
    );
    // A period: from the day of the passages they count, from the next
    // day they do not; a `since` that is not a date is the caller's error.
    let r = app
        .get("auditor", "/api/v1/admin/stats/times?since=2026-11-24")
        .await;
    assert_eq!(
        (r.body["completed"].clone(), r.body["since"].clone()),
        (json!(2), json!("2026-11-24"))
    );
    let r = app
        .get("auditor", "/api/v1/admin/stats/times?since=2026-11-25")
        .await;
    assert_eq!(
        r.body,
        json!({"rows": [], "completed": 0, "since": "2026-11-25"})
    );
    app.get("auditor", "/api/v1/admin/stats/times?since=24.11.2026")
        .await
        .problem(400, "query-invalid");
    // A head sees their own provider's only.
    let r = app.get("head", "/api/v1/admin/stats/times").await;
    assert_eq!(r.body["completed"], 2);
    let r = app.get("other-head", "/api/v1/admin/stats/times").await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!({"rows": [], "completed": 0, "since": "2026-08-26"})
    );
    let r = app
        .get(
            "admin",
            "/api/v1/admin/stats/times?service=meeting-permission",
        )
        .await;
    assert_eq!(r.body["rows"], json!([]));
    let r = app
        .get("admin", "/api/v1/admin/stats/times?format=csv")
        .await;
    r.expect(200);
    assert_eq!(r.header("content-type").unwrap(), "text/csv; charset=utf-8");
    assert_eq!(
        r.header("content-disposition").unwrap(),
        "attachment; filename=\"times.csv\""
    );
    // The limit is JSON with a comma and quotes: quoted, quotes doubled.
    assert_eq!(
        r.text,
        format!(
            "provider,service,step,limit,completed,on_time,median_minutes,p90_minutes,\
             allowed_median_minutes,median_used_percent,p90_used_percent\r\n\
             {PROVIDER},foster-care-payment,register,\"{{\"\"minutes\"\":20}}\",2,1,5,25,20,25,125\r\n"
        )
    );

    // The auditor finds an application by its number.
    let number = app.read_case("clerk", &quick.id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .get(
            "auditor",
            &format!("/api/v1/admin/applications/by-number/{number}"),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body, json!({"id": quick.id, "number": number}));
    app.get(
        "clerk",
        &format!("/api/v1/admin/applications/by-number/{number}"),
    )
    .await
    .problem(403, "admin-only");
    app.get(
        "auditor",
        "/api/v1/admin/applications/by-number/KRG-1999-000001",
    )
    .await
    .problem(404, "not-found");
}

crate::on_both_backends!(
    step_times_against_the_limit_as_json_and_csv,
    load_per_step_as_json_and_csv,
    accounts_are_managed_and_audited,
    versions_providers_and_dead_letters,
    a_holiday_moves_open_deadlines_only_when_recomputed,
);
