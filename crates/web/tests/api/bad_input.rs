//! Bad input: each answered with a problem (status, `code`, `request_id`)
//! and nothing stored.

use crate::helpers::*;
use serde_json::{json, Value};

/// POSTs raw bytes with a content type as `user`.
async fn post_raw(app: &TestApp, user: &str, path: &str, ctype: &str, body: Vec<u8>) -> Resp {
    let token = app.login(user).await;
    read(
        app.client
            .post(app.url(path))
            .bearer_auth(token)
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn intake_rejections_store_nothing(app: &TestApp) {
    let apps = "/api/v1/applications";
    let good = intake("meeting-permission", "office", P1);
    let r = post_raw(
        app,
        "clerk",
        apps,
        "application/json",
        b"{\"service\": ".to_vec(),
    )
    .await;
    r.problem(400, "json-malformed");
    let r = post_raw(app, "clerk", apps, "application/json", Vec::new()).await;
    r.problem(400, "json-malformed");
    let r = post_raw(
        app,
        "clerk",
        apps,
        "text/plain",
        good.to_string().into_bytes(),
    )
    .await;
    r.problem(415, "content-type-unsupported");
    let r = post_raw(
        app,
        "clerk",
        apps,
        "application/x-www-form-urlencoded",
        b"a=b".to_vec(),
    )
    .await;
    r.problem(415, "content-type-unsupported");

    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    app.take_in("clerk", &with("service", json!("marriage-registration")))
        .await
        .problem(422, "service-unknown");
    app.take_in("clerk", &with("channel", json!("pigeon")))
        .await
        .problem(422, "channel-unknown");
    // A is not rendered on the portal.
    app.take_in(P1, &intake("meeting-permission", "portal", P1).clone())
        .await
        .problem(422, "channel-not-offered");
    // B and C not through the State Corporation.
    app.take_in(
        "operator",
        &intake("adoption-payment", "state-corporation", P1),
    )
    .await
    .problem(422, "channel-not-offered");
    // An IIN whose check digit is wrong, and one too short.
    for iin in ["871008401428", "87100840142", "abcdefghijkl"] {
        let r = app
            .take_in("clerk", &with("applicant", json!({"iin": iin})))
            .await;
        r.problem(422, "iin-invalid");
        assert_eq!(r.error_paths(), ["/applicant/iin"]);
    }
    // Fields the contract does not know.
    app.take_in("clerk", &with("colour", json!("blue")))
        .await
        .problem(422, "body-invalid");
    // A form that fails the service's JSON Schema.
    let mut bad_form = form_a();
    bad_form["child"]["birth_date"] = json!("15.03.2020");
    bad_form["child"].as_object_mut().unwrap().remove("name");
    bad_form["extra"] = json!(1);
    let r = app.take_in("clerk", &with("form", bad_form)).await;
    r.problem(422, "form-invalid");
    let paths = r.error_paths();
    assert!(!paths.is_empty());
    assert!(paths.iter().all(|p| p.starts_with("/form")), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("/form/child")),
        "{paths:?}"
    );
    // Dates the day and the IIN rule out (the clock is at 2026-11-24):
    // a child born after today, a meeting asked for before it.
    let mut bad_days = form_a();
    bad_days["child"]["birth_date"] = json!("2026-11-25");
    bad_days["meeting"]["preferred_date"] = json!("2026-11-23");
    let r = app.take_in("clerk", &with("form", bad_days)).await;
    r.problem(422, "form-invalid");
    assert_eq!(
        r.error_paths(),
        ["/form/child/birth_date", "/form/meeting/preferred_date"]
    );
    // Born on another day than the IIN says.
    let mut other_day = form_a();
    other_day["child"]["birth_date"] = json!("2020-03-16");
    let r = app.take_in("clerk", &with("form", other_day)).await;
    r.problem(422, "form-invalid");
    assert_eq!(r.error_paths(), ["/form/child/birth_date"]);
    // An IBAN with a mistyped digit.
    let mut c = intake("adoption-payment", "office", P1);
    c["form"]["bank_account"]["iban"] = json!("KZ86125KZT5004100101");
    let r = app.take_in("clerk", &c).await;
    r.problem(422, "form-invalid");
    assert_eq!(r.error_paths(), ["/form/bank_account/iban"]);
    // C with no child.
    let mut c = intake("adoption-payment", "office", P1);
    c["form"]["children"] = json!([]);
    let r = app.take_in("clerk", &c).await;
    r.problem(422, "form-invalid");
    assert!(
        r.error_paths().iter().any(|p| p == "/form/children"),
        "{:?}",
        r.error_paths()
    );
    // A document kind the service does not have, and broken base64.
    let mut d = good.clone();
    d["documents"] = json!([{"kind": "horoscope", "name": "x"},
                            {"kind": "application", "name": "a", "content": "%%%"}]);
    let r = app.take_in("clerk", &d).await;
    r.problem(422, "documents-invalid");
    assert_eq!(
        r.error_paths(),
        ["/documents/0/kind", "/documents/1/content"]
    );
    app.take_in(
        "clerk",
        &with("applicant", json!({"iin": P1, "language": "fr"})),
    )
    .await
    .problem(422, "language-unknown");
    assert_eq!(app.count().await, 0);
}

async fn action_rejections_store_nothing(app: &TestApp) {
    let mut case = app
        .take_in_ok("clerk", &intake("foster-care-payment", "office", P1))
        .await;
    let path = format!("/api/v1/applications/{}/actions", case.id);
    let token = app.login("clerk").await;
    let raw = |ctype: &'static str, body: &'static str| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&token)
            .header("If-Match", "\"1\"")
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    read(raw("application/json", "{").await.unwrap())
        .await
        .problem(400, "json-malformed");
    read(
        raw("text/plain", "{\"action\":\"complete\"}")
            .await
            .unwrap(),
    )
    .await
    .problem(415, "content-type-unsupported");
    app.act(
        "clerk",
        &case.id,
        &case.etag,
        &json!({"action": "approve-everything"}),
    )
    .await
    .problem(422, "action-unknown");
    // The clock's own commands are not people's.
    for a in ["mark-overdue", "tick", "submit", "intake"] {
        app.act("clerk", &case.id, &case.etag, &json!({"action": a}))
            .await
            .problem(422, "action-unknown");
    }
    app.act(
        "clerk",
        &case.id,
        &case.etag,
        &json!({"comment": "no action"}),
    )
    .await
    .problem(422, "body-invalid");
    app.act_ok("clerk", &mut case, complete()).await;
    // At resolution the head must name the specialist...
    let r = app.act("head", &case.id, &case.etag, &complete()).await;
    r.problem(422, "field-invalid");
    assert_eq!(r.error_paths(), ["/assignee"]);
    // ... one who is a specialist of this provider.
    for who in ["nobody", "clerk", "other-specialist"] {
        app.act("head", &case.id, &case.etag, &assign(who))
            .await
            .problem(422, "assignee-unknown");
    }
    app.act_ok("head", &mut case, assign("specialist")).await;
    // A refusal needs catalog grounds and a reason.
    let refuse = |grounds: Value, reason: &str| json!({"action": "refuse", "grounds": grounds, "reason": reason});
    for (body, field) in [
        (refuse(json!(["bad-haircut"]), "x"), "/grounds"),
        // A ground of another service (A's intake ground).
        (refuse(json!(["incomplete-package"]), "x"), "/grounds"),
        (refuse(json!([]), "x"), "/grounds"),
        (refuse(json!(["documents-violation"]), "  "), "/reason"),
    ] {
        let r = app.act("specialist", &case.id, &case.etag, &body).await;
        r.problem(422, "field-invalid");
        assert_eq!(r.error_paths(), [field]);
    }
    app.act(
        "specialist",
        &case.id,
        &case.etag,
        &json!({"action": "refuse", "reason": "x"}),
    )
    .await
    .problem(422, "body-invalid");
    // Nothing written by any of it.
    let r = app
        .get("clerk", &format!("/api/v1/applications/{}", case.id))
        .await;
    assert_eq!(r.etag(), case.etag);
    assert_eq!(r.body["step"], "review");
    assert!(r.body.get("refusal").is_none());
    assert_eq!(app.events(&case.id).await.len(), 8);
}

async fn an_oversized_body_is_413(app: &TestApp) {
    let token = app.login("clerk").await;
    let big = vec![b' '; qyzmet_web::applications::MAX_BODY_BYTES + 1024];
    let res = app
        .client
        .post(app.url("/api/v1/applications"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await;
    // The server may answer before reading everything and close.
    match res {
        Ok(res) => {
            read(res).await.problem(413, "body-too-large");
        }
        Err(e) => panic!("OVERSIZED ERR {e:?}"),
    }
    // Login's own, smaller limit.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    read(res).await.problem(413, "body-too-large");
    assert_eq!(app.count().await, 0);
}

async fn unknown_routes_and_methods(app: &TestApp) {
    for path in ["/nope", "/api/v1/nope", "/api/v2/applications"] {
        let r = read(app.client.get(app.url(path)).send().await.unwrap()).await;
        r.problem(404, "not-found");
    }
    let r = read(
        app.client
            .delete(app.url("/api/v1/services"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(405, "method-not-allowed");
    let r = app.get("clerk", "/api/v1/applications?status=lost").await;
    r.problem(400, "query-invalid");
    let r = app.get("clerk", "/api/v1/applications?limit=0").await;
    r.problem(400, "query-invalid");
    let r = app
        .get("clerk", "/api/v1/applications?cursor=garbage")
        .await;
    r.problem(400, "cursor-invalid");
}

async fn tokens(app: &TestApp) {
    // None, a made-up one, a malformed header.
    let r = read(
        app.client
            .get(app.url("/api/v1/applications"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(401, "unauthenticated");
    for h in [
        "Bearer made-up",
        "Basic Y2xlcms6ZGVtby1jbGVyaw==",
        "Bearer ",
    ] {
        let r = read(
            app.client
                .get(app.url("/api/v1/applications"))
                .header("authorization", h)
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.problem(401, "unauthenticated");
    }
    let r = read(
        app.client
            .post(app.url("/api/v1/applications"))
            .json(&intake("meeting-permission", "office", P1))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(401, "unauthenticated");
    // A token works for 12 hours, then no more.
    let login = app.login_raw("clerk", &password("clerk")).await;
    login.expect(200);
    assert_eq!(login.body["username"], "clerk");
    assert_eq!(login.body["role"], "clerk");
    assert_eq!(login.body["expires_at"], "2026-11-24T17:00:00Z");
    let token = login.body["token"].as_str().unwrap().to_owned();
    let get = |t: String| {
        app.client
            .get(app.url("/api/v1/applications"))
            .bearer_auth(t)
            .send()
    };
    app.set_now("2026-11-24T21:59:00+05:00");
    read(get(token.clone()).await.unwrap()).await.expect(200);
    app.set_now("2026-11-24T22:00:01+05:00");
    read(get(token.clone()).await.unwrap())
        .await
        .problem(401, "unauthenticated");
    // Logging out ends a token at once.
    let t2 = app.login_raw("head", &password("head")).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    read(get(t2).await.unwrap())
        .await
        .problem(401, "unauthenticated");
}

async fn wrong_credentials_look_alike(app: &TestApp) {
    let strip = |r: &Resp| {
        let mut v = r.body.clone();
        v["request_id"] = Value::Null;
        v
    };
    let wrong = app.login_raw("clerk", "not-the-password").await;
    wrong.problem(401, "credentials-invalid");
    let unknown = app.login_raw("no-such-user", "whatever").await;
    unknown.problem(401, "credentials-invalid");
    assert_eq!(strip(&wrong), strip(&unknown));
    assert_ne!(wrong.body["request_id"], unknown.body["request_id"]);
    // Applicants: by IIN; a staff name through `iin` or an IIN through
    // `username` is as unknown.
    let wrong_iin = app.login_raw(P1, "nope").await;
    wrong_iin.problem(401, "credentials-invalid");
    assert_eq!(strip(&wrong_iin), strip(&wrong));
    let r = read(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": P1, "password": password(P1)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(401, "credentials-invalid");
    assert_eq!(strip(&r), strip(&wrong));
    // Malformed logins.
    let r = read(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "clerk", "iin": P1, "password": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(422, "body-invalid");
    let r = read(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body("{\"username\":")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(400, "json-malformed");
}

async fn login_rate_limit(app: &TestApp) {
    let right = password("head");
    for _ in 0..4 {
        app.login_raw("head", "wrong")
            .await
            .problem(401, "credentials-invalid");
    }
    // Successes do not count.
    for _ in 0..3 {
        app.login_raw("head", &right).await.expect(200);
    }
    // The fifth failure is still a plain 401...
    app.login_raw("head", "wrong")
        .await
        .problem(401, "credentials-invalid");
    // ... then every attempt, even the right password, is 429.
    for pw in [right.as_str(), "wrong"] {
        let r = app.login_raw("head", pw).await;
        r.problem(429, "login-rate-limited");
        let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!(secs > 0 && secs <= 15 * 60, "{secs}");
    }
    // Per account: another user logs in as usual.
    app.login_raw("clerk", &password("clerk")).await.expect(200);
    // An unknown account is limited the same way.
    for _ in 0..5 {
        app.login_raw("ghost", "x")
            .await
            .problem(401, "credentials-invalid");
    }
    app.login_raw("ghost", "x")
        .await
        .problem(429, "login-rate-limited");
    // 15 minutes after the failures, it works again.
    app.advance_minutes(16);
    app.login_raw("head", &right).await.expect(200);
}

async fn too_many_failures_from_one_address(app: &TestApp) {
    // 50 per address in 15 minutes, over any accounts.
    for i in 0..50 {
        app.login_raw(&format!("user-{i}"), "x")
            .await
            .problem(401, "credentials-invalid");
    }
    let r = app.login_raw("clerk", &password("clerk")).await;
    r.problem(429, "login-rate-limited");
    assert!(r.header("retry-after").is_some());
}

async fn problems_speak_the_callers_language_and_carry_its_request_id(app: &TestApp) {
    let get = |headers: &[(&str, &str)], path: &str| {
        let mut rb = app.client.get(app.url(path));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        rb.send()
    };
    let r = read(get(&[], "/nope").await.unwrap()).await;
    r.problem(404, "not-found");
    assert_eq!(r.body["title"], "Табылмады");
    let r = read(
        get(&[("accept-language", "en-GB,en;q=0.9")], "/nope")
            .await
            .unwrap(),
    )
    .await;
    r.problem(404, "not-found");
    assert_eq!(r.body["title"], "Not found");
    let r = read(
        get(&[("accept-language", "en")], "/nope?lang=ru")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.body["title"], "Не найдено");
    // The caller's request id is kept; a strange one is replaced.
    let r = read(
        get(&[("x-request-id", "trace-42.a_b")], "/nope")
            .await
            .unwrap(),
    )
    .await;
    r.problem(404, "not-found");
    assert_eq!(r.body["request_id"], "trace-42.a_b");
    let r = read(
        get(&[("x-request-id", "bad id with spaces")], "/nope")
            .await
            .unwrap(),
    )
    .await;
    r.problem(404, "not-found");
    assert_ne!(r.body["request_id"], "bad id with spaces");
    // Every answer has one, errors or not.
    let r = read(get(&[], "/healthz").await.unwrap()).await;
    assert!(r.header("x-request-id").is_some());
    // An Idempotency-Key must be sane.
    let token = app.login("clerk").await;
    let r = read(
        app.client
            .post(app.url("/api/v1/applications"))
            .bearer_auth(token)
            .header("Idempotency-Key", "k".repeat(256))
            .json(&intake("meeting-permission", "office", P1))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.problem(400, "idempotency-key-invalid");
    assert_eq!(app.count().await, 0);
}

crate::on_both_backends!(
    problems_speak_the_callers_language_and_carry_its_request_id,
    intake_rejections_store_nothing,
    action_rejections_store_nothing,
    an_oversized_body_is_413,
    unknown_routes_and_methods,
    tokens,
    wrong_credentials_look_alike,
    login_rate_limit,
    too_many_failures_from_one_address,
);
