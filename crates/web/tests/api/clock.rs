//! The clock's own work (`worker::tick_due`): overdue marks and pauses that
//! end by themselves.

use crate::helpers::*;
use qyzmet_web::worker::tick_due;
use serde_json::json;

async fn a_passed_deadline_is_marked_overdue_once(app: &TestApp) {
    let late = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    let on_time = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P2))
        .await;
    // register of A is due at 10:15; B's at 10:20.
    app.set_now("2026-11-24T10:15:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 0);
    app.set_now("2026-11-24T10:16:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 1);
    // Once: a second pass has nothing to do.
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 0);

    let r = app
        .get("clerk", &format!("/api/v1/applications/{}", late.id))
        .await;
    r.expect(200);
    assert_eq!(r.etag(), "\"2\"");
    assert_eq!(r.body["overdue"], true);
    assert_eq!(r.body["steps"][0]["overdue"], true);
    assert_eq!(r.body["status"], "in-progress");
    assert_eq!(r.body["due_at"], "2026-11-24T10:15:00+05:00");
    let ev = app.events(&late.id).await;
    let marks: Vec<_> = ev
        .iter()
        .filter(|e| e["type"] == "marked-overdue")
        .collect();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0]["actor"], "system");
    assert_eq!(marks[0]["data"], json!({"step": "register"}));
    assert_eq!(marks[0]["at"], "2026-11-24T05:16:00.000000Z");
    let fine = app.read_case("clerk", &on_time.id).await;
    assert_eq!(fine["overdue"], false);

    for who in ["clerk", "head", "auditor", "admin"] {
        assert_eq!(
            app.list_ids(who, "overdue=true").await,
            std::slice::from_ref(&late.id),
            "{who}"
        );
        assert_eq!(
            app.list_ids(who, "overdue=false").await,
            std::slice::from_ref(&on_time.id),
            "{who}"
        );
    }
    // Not the specialist's, not the operator's.
    assert!(app.list_ids("specialist", "overdue=true").await.is_empty());
    assert!(app.list_ids("operator", "overdue=true").await.is_empty());

    // The step goes on; the next one starts afresh, not overdue.
    let mut late = late;
    late.etag = r.etag();
    let v = app.act_ok("clerk", &mut late, complete()).await;
    assert_eq!(v["overdue"], false);
    assert_eq!(v["steps"][0]["overdue"], true);
    assert_eq!(v["steps"][1]["overdue"], false);
    assert!(app.list_ids("clerk", "overdue=true").await.is_empty());
}

async fn a_pause_ends_by_itself_after_30_days(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    // Paused at 10:05 with 15 of register's 20 minutes left.
    app.advance_minutes(5);
    let v = app
        .act_ok("clerk", &mut case, json!({"action": "pause"}))
        .await;
    assert_eq!(v["status"], "paused");
    assert_eq!(v["paused"]["until"], "2026-12-24T18:30:00+05:00");
    assert!(v["paused"]["comment"].is_null());
    // Not yet.
    app.set_now("2026-12-24T18:29:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 0);
    assert_eq!(app.read_case("clerk", &case.id).await["status"], "paused");
    // A paused clock is never overdue, however long.
    assert!(app.list_ids("clerk", "overdue=true").await.is_empty());

    app.set_now("2026-12-24T18:31:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 1);
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 0);
    let v = app.read_case("clerk", &case.id).await;
    assert_eq!(v["status"], "in-progress");
    assert!(v.get("paused").is_none(), "{v}");
    // Resumed at 18:30 with 15 working minutes left: Friday the 25th,
    // 09:00 + 15 minutes.
    assert_eq!(v["due_at"], "2026-12-25T09:15:00+05:00");
    assert_eq!(v["overdue"], false);
    let ev = app.events(&case.id).await;
    let resumed: Vec<_> = ev.iter().filter(|e| e["type"] == "resumed").collect();
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0]["actor"], "system");
    assert_eq!(resumed[0]["data"]["auto"], true);
    assert_eq!(
        resumed[0]["data"]["resumed_at"],
        "2026-12-24T13:30:00.000000Z"
    );
    // A manual resume now meets a conflict.
    let r = app
        .get("clerk", &format!("/api/v1/applications/{}", case.id))
        .await;
    assert_eq!(r.etag(), "\"3\"");
    app.act("clerk", &case.id, &r.etag(), &json!({"action": "resume"}))
        .await
        .problem(409, "action-conflict");
}

async fn an_action_after_the_deadline_records_the_mark_first(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    // No worker ran; the clerk completes at 10:30, past 10:15.
    app.set_now("2026-11-24T10:30:00+05:00");
    let v = app.act_ok("clerk", &mut case, complete()).await;
    assert_eq!(v["steps"][0]["overdue"], true);
    assert_eq!(v["steps"][1]["overdue"], false);
    let ev = app.events(&case.id).await;
    let tail: Vec<(&str, &str)> = ev[3..]
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        tail,
        [
            ("marked-overdue", "system"),
            ("step-completed", "clerk"),
            ("step-started", "clerk")
        ]
    );
    // The worker has nothing left to mark.
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 0);
}

/// The list's `overdue` filter and the `overdue` it shows agree, paused or
/// not.
async fn the_overdue_filter_agrees_with_what_it_lists(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    app.set_now("2026-11-24T10:30:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 1);
    let r = app
        .get("clerk", &format!("/api/v1/applications/{}", case.id))
        .await;
    case.etag = r.etag();
    let v = app
        .act_ok("clerk", &mut case, json!({"action": "pause"}))
        .await;
    // The clock stopped: not overdue now, the step keeps its mark.
    assert_eq!(v["overdue"], false, "{v}");
    assert_eq!(v["steps"][0]["overdue"], true, "{v}");
    assert_eq!(
        app.list_ids("clerk", "overdue=false").await,
        [case.id.clone()]
    );
    for flag in ["true", "false"] {
        let r = app
            .get("clerk", &format!("/api/v1/applications?overdue={flag}"))
            .await;
        r.expect(200);
        for item in r.body["items"].as_array().unwrap() {
            assert_eq!(
                item["overdue"].to_string(),
                flag,
                "listed by overdue={flag}: {item}"
            );
        }
    }
    // And the pause still ends by itself.
    app.set_now("2027-01-06T09:00:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 100).await.unwrap(), 1);
    assert_eq!(
        app.read_case("clerk", &case.id).await["status"],
        "in-progress"
    );
}

/// Deadlines around lunch, close of business, a holiday (Wednesday 16
/// December 2026) and the State Corporation's next-day start.
async fn deadlines_follow_the_calendar(app: &TestApp) {
    // 12:50 + 15 working minutes: 10 before lunch, 5 after 14:30.
    app.set_now("2026-12-15T12:50:00+05:00");
    let a = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    assert_eq!(a.body["due_at"], "2026-12-15T14:35:00+05:00");
    // 12:45 + 15: exactly 13:00.
    app.set_now("2026-12-15T12:45:00+05:00");
    let b = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    assert_eq!(b.body["due_at"], "2026-12-15T13:00:00+05:00");
    // Tuesday 18:20 + 15: 10 minutes, then the holiday, then Thursday 09:05.
    app.set_now("2026-12-15T18:20:00+05:00");
    let mut c = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    assert_eq!(c.body["due_at"], "2026-12-17T09:05:00+05:00");
    // Taken in at night: counted from the next opening.
    app.set_now("2026-12-15T23:00:00+05:00");
    let d = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    assert_eq!(
        d.body["steps"][0]["started_at"],
        "2026-12-15T23:00:00+05:00"
    );
    assert_eq!(d.body["due_at"], "2026-12-17T09:15:00+05:00");
    // The State Corporation, Tuesday before opening: the day of receipt is
    // not counted, and Wednesday is a holiday.
    app.set_now("2026-12-15T08:00:00+05:00");
    let e = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P2),
        )
        .await;
    assert_eq!(
        e.body["steps"][0]["started_at"],
        "2026-12-17T09:00:00+05:00"
    );
    assert_eq!(e.body["due_at"], "2026-12-17T09:15:00+05:00");
    // Friday evening: Monday 09:00.
    app.set_now("2026-12-18T17:00:00+05:00");
    let f = app
        .take_in_ok(
            "operator",
            &intake("meeting-permission", "state-corporation", P2),
        )
        .await;
    assert_eq!(
        f.body["steps"][0]["started_at"],
        "2026-12-21T09:00:00+05:00"
    );
    // Working days: review (2) from Tuesday the 15th skips the holiday:
    // Thursday, Friday.
    app.set_now("2026-12-15T18:25:00+05:00");
    app.act_ok("clerk", &mut c, complete()).await;
    app.act_ok("head", &mut c, assign("specialist")).await;
    assert_eq!(c.body["due_at"], "2026-12-18T18:30:00+05:00");
    app.act_ok("specialist", &mut c, complete()).await;
    app.act_ok("head", &mut c, complete()).await;
    // Calendar days: issue (1) from Tuesday falls on the holiday, so the
    // next working day's close.
    assert_eq!(c.body["step"], "issue");
    assert_eq!(c.body["due_at"], "2026-12-17T18:30:00+05:00");
}

async fn the_worker_takes_a_batch_at_a_time(app: &TestApp) {
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            app.take_in_ok("clerk", &intake("meeting-permission", "office", P1))
                .await
                .id,
        );
    }
    app.set_now("2026-11-24T11:00:00+05:00");
    assert_eq!(tick_due(&app.state, app.now(), 2).await.unwrap(), 2);
    assert_eq!(tick_due(&app.state, app.now(), 2).await.unwrap(), 1);
    assert_eq!(tick_due(&app.state, app.now(), 2).await.unwrap(), 0);
    let mut overdue = app.list_ids("clerk", "overdue=true").await;
    overdue.sort();
    ids.sort();
    assert_eq!(overdue, ids);
    for id in &ids {
        let marks = app
            .events(id)
            .await
            .iter()
            .filter(|e| e["type"] == "marked-overdue")
            .count();
        assert_eq!(marks, 1);
    }
}

async fn a_pause_with_nothing_left_resumes_to_close_of_business(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P1))
        .await;
    // Paused at 10:30, past register's 10:15: nothing left.
    app.set_now("2026-11-24T10:30:00+05:00");
    app.act_ok("clerk", &mut case, json!({"action": "pause"}))
        .await;
    app.set_now("2026-11-24T11:00:00+05:00");
    let v = app
        .act_ok("clerk", &mut case, json!({"action": "resume"}))
        .await;
    assert_eq!(v["status"], "in-progress");
    assert_eq!(v["due_at"], "2026-11-24T18:30:00+05:00");
    // Paused with 10 of 15 minutes left, resumed Friday 18:25: 5 minutes
    // that day, 5 on Monday.
    let mut other = app
        .take_in_ok("clerk", &intake("meeting-permission", "office", P2))
        .await;
    app.set_now("2026-11-24T11:05:00+05:00");
    app.act_ok("clerk", &mut other, json!({"action": "pause"}))
        .await;
    app.set_now("2026-11-27T18:25:00+05:00");
    let v = app
        .act_ok("clerk", &mut other, json!({"action": "resume"}))
        .await;
    assert_eq!(v["due_at"], "2026-11-30T09:05:00+05:00");
}

crate::on_both_backends!(
    a_pause_with_nothing_left_resumes_to_close_of_business,
    the_worker_takes_a_batch_at_a_time,
    deadlines_follow_the_calendar,
    an_action_after_the_deadline_records_the_mark_first,
    the_overdue_filter_agrees_with_what_it_lists,
    a_passed_deadline_is_marked_overdue_once,
    a_pause_ends_by_itself_after_30_days,
);
