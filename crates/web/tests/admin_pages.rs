//! The administration, audit and monitoring pages over HTTP, without a
//! browser: who may see them (a clerk is refused, an auditor reads and
//! changes nothing), accounts managed through forms with the API's errors
//! shown in the reader's language, a holiday added and the recompute that
//! moves an open deadline and says so, the hash chain checked event by
//! event, and the monitoring's SVG charts and CSV files.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use qyzmet_web::lang::{problem_text, Lang};
use serde_json::{json, Value};
use support::pages::{app, csrf_of, App};

/// A call to the JSON API with a bearer token; the status, ETag and body.
async fn api(
    app: &App,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    etag: Option<&str>,
) -> (StatusCode, String, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("/api/v1{path}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(e) = etag {
        req = req.header(header::IF_MATCH, e);
    }
    let body = match body {
        Some(b) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let p = app.send(req.body(body).unwrap()).await;
    let etag = p.header("etag").to_owned();
    let v = serde_json::from_str(&p.body).unwrap_or(Value::Null);
    (p.status, etag, v)
}

fn refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn token(app: &App, username: &str) -> String {
    let req = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": username, "password": format!("demo-{username}")}).to_string(),
        ))
        .unwrap();
    let p = app.send(req).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    serde_json::from_str::<Value>(&p.body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn staff(app: &App, username: &str) -> String {
    app.login(username, &format!("demo-{username}")).await
}

/// An application taken in at the office and sent to the specialist's
/// review, whose deadline is some working days away; its id and number.
async fn at_review(app: &App) -> (String, String) {
    let clerk = token(app, "clerk").await;
    let documents: Vec<Value> = ["court-decision", "child-iin", "bank-account"]
        .iter()
        .map(|k| json!({"kind": k, "name": k}))
        .collect();
    let (status, _, made) = api(
        app,
        &clerk,
        "POST",
        "/applications",
        Some(json!({
            "service": "adoption-payment",
            "channel": "office",
            "applicant": {"iin": "871008401427", "name": "Демо Өтініш беруші", "language": "kk"},
            "form": {
                "children": [{"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15",
                    "court_decision": {"number": "2-1234/2026", "date": "2026-01-20"}}],
                "bank_account": {"iban": "KZ86125KZT5004100100"},
            },
            "documents": documents,
        })),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let head = token(app, "head").await;
    for (who, body) in [
        (&clerk, json!({"action": "complete"})),
        (
            &head,
            json!({"action": "complete", "assignee": "specialist"}),
        ),
    ] {
        let (_, etag, _) = api(app, who, "GET", &format!("/applications/{id}"), None, None).await;
        let (status, _, v) = api(
            app,
            who,
            "POST",
            &format!("/applications/{id}/actions"),
            Some(body),
            Some(&etag),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    (id, made["number"].as_str().unwrap().to_owned())
}

async fn due_of(app: &App, id: &str) -> String {
    let admin = token(app, "admin").await;
    let (_, _, v) = api(
        app,
        &admin,
        "GET",
        &format!("/applications/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(v["step"], "review", "{v}");
    v["due_at"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_clerk_is_refused_and_the_auditor_reads_but_changes_nothing() {
    let app = app("http://127.0.0.1:8080").await;
    // Not logged in: to the login page.
    let p = app.get("/admin/users", "").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let clerk = staff(&app, "clerk").await;
    for path in [
        "/admin",
        "/admin/users",
        "/admin/users/clerk/disable",
        "/admin/providers",
        "/admin/versions",
        "/admin/calendar",
        "/admin/outbox",
        "/admin/audit",
        "/audit",
        "/monitoring",
        "/monitoring/steps.csv",
    ] {
        let p = app.get(path, &clerk).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        assert!(p.header("content-type").starts_with("text/html"), "{path}");
    }
    let p = app.get("/cabinet", &clerk).await;
    assert!(
        !p.body.contains("href=\"/admin\""),
        "no admin link for a clerk"
    );

    let auditor = staff(&app, "auditor").await;
    let p = app.get("/admin/users?lang=en", &auditor).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(">clerk<"), "the accounts are listed");
    assert!(p.body.contains("href=\"/audit\""), "the auditor's entry");
    assert!(
        !p.body.contains("action=\"/admin/users\""),
        "no form to create an account"
    );
    assert!(!p.body.contains("/disable\""), "no disabling");
    let p = app.get("/admin/calendar", &auditor).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("action=\"/admin/calendar\""));
    assert!(!p.body.contains("action=\"/admin/calendar/recompute\""));
    // The forms that change something are not offered to an auditor...
    for path in [
        "/admin/users/clerk/disable",
        "/admin/users/clerk/password",
        "/admin/versions/end?service=meeting-permission&version=2020-12",
    ] {
        let p = app.get(path, &auditor).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
    }
    // ...and whatever an auditor posts, the API refuses it.
    let csrf = csrf_of(&auditor);
    let posts: [(&str, Vec<(&str, &str)>); 7] = [
        (
            "/admin/users",
            vec![
                ("username", "sneaky"),
                ("display_name", "X"),
                ("role", "admin"),
                ("password", "a long enough password"),
            ],
        ),
        ("/admin/users/clerk/disable", vec![]),
        (
            "/admin/users/clerk/password",
            vec![("password", "a long enough password")],
        ),
        (
            "/admin/calendar",
            vec![("kind", "day-off"), ("date", "2030-01-08"), ("source", "X")],
        ),
        ("/admin/calendar/recompute", vec![]),
        (
            "/admin/versions/end",
            vec![
                ("service", "meeting-permission"),
                ("version", "2020-12"),
                ("effective_until", "2031-01-01"),
                ("reason", "X"),
                ("confirm", "yes"),
            ],
        ),
        ("/admin/outbox/1/retry", vec![]),
    ];
    for (path, mut form) in posts {
        form.push(("csrf", &csrf));
        let p = app.post_form(path, &auditor, &form).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}: {}", p.body);
    }
    assert!(
        app.state
            .store()
            .admin_audit(10, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing was changed"
    );
    assert!(app.state.store().calendar_edits().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_administrator_manages_accounts_with_errors_in_their_language() {
    let app = app("http://127.0.0.1:8080").await;
    let admin = staff(&app, "admin").await;
    let csrf = csrf_of(&admin);
    let p = app.get("/admin", &admin).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("href=\"/admin/calendar\""));
    let new = |password: &str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("username", "clerk-2".to_owned()),
            ("display_name", "Жаңа қызметкер".to_owned()),
            ("role", "clerk".to_owned()),
            ("provider", "karaganda-city-education".to_owned()),
            ("password", password.to_owned()),
        ]
    };
    let short = new("short");
    let short = refs(&short);
    let p = app.post_form("/admin/users", &admin, &short).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains(problem_text("password-weak", Lang::Kk).0),
        "the API's problem in Kazakh"
    );
    assert!(
        p.body.contains("value=\"clerk-2\""),
        "what was typed is kept"
    );
    assert!(
        !p.body.contains("value=\"short\""),
        "but never the password"
    );
    let good = new("a long enough password");
    let good = refs(&good);
    let p = app.post_form("/admin/users", &admin, &good).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location"), "/admin/users?done=created");
    let p = app.post_form("/admin/users", &admin, &good).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(problem_text("username-taken", Lang::Kk).0));

    // Disabling asks first, then disables.
    let p = app
        .get("/admin/users/clerk-2/disable?lang=ru", &admin)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("action=\"/admin/users/clerk-2/disable\""));
    assert!(p.body.contains("Жаңа қызметкер (clerk-2)"));
    assert_eq!(
        app.get("/admin/users/nobody/disable", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    let p = app
        .post_form("/admin/users/clerk-2/disable", &admin, &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let user = app.state.store().user_by_username("clerk-2").await.unwrap();
    assert!(user.unwrap().disabled);
    let p = app
        .post_form("/admin/users/admin/disable", &admin, &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(problem_text("self-disable", Lang::Kk).0));
    let p = app
        .post_form("/admin/users/clerk-2/enable", &admin, &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    for (password, status) in [
        ("short", StatusCode::UNPROCESSABLE_ENTITY),
        ("another long password", StatusCode::SEE_OTHER),
    ] {
        let form = [("csrf", csrf.as_str()), ("password", password)];
        let p = app
            .post_form("/admin/users/clerk-2/password", &admin, &form)
            .await;
        assert_eq!(p.status, status, "{password}");
    }
    app.login("clerk-2", "another long password").await;

    // Ending a version needs the confirmation ticked.
    let p = app.get("/admin/versions", &admin).await;
    assert_eq!(p.status, StatusCode::OK);
    let end = p
        .body
        .split("href=\"/admin/versions/end?")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let p = app.get(&format!("/admin/versions/end?{end}"), &admin).await;
    assert_eq!(p.status, StatusCode::OK);
    let q: Vec<(String, String)> = serde_urlencoded::from_str(&end).unwrap();
    let mut form: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    form.extend([
        ("csrf", csrf.as_str()),
        ("effective_until", "2031-01-01"),
        ("reason", "A test"),
    ]);
    let p = app.post_form("/admin/versions/end", &admin, &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p
        .body
        .contains(problem_text("confirm-required", Lang::Kk).0));
    assert!(
        p.body.contains("value=\"A test\""),
        "what was typed is kept"
    );
    let mut wrong: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| *k != "effective_until")
        .copied()
        .collect();
    wrong.extend([("confirm", "yes"), ("effective_until", "2031-02-30")]);
    let p = app.post_form("/admin/versions/end", &admin, &wrong).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(problem_text("date-invalid", Lang::Kk).0));
    form.push(("confirm", "yes"));
    let p = app.post_form("/admin/versions/end", &admin, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location"), "/admin/versions?done=ended");
    let p = app.get("/admin/versions?done=ended", &admin).await;
    assert!(p.body.contains("<td>2031-01-01</td>"), "the end is shown");
    // A dead letter is listed with its error and queued again.
    let store = app.state.store();
    let now = chrono::Utc::now();
    let job = qyzmet_store::NewJob {
        kind: "notify".into(),
        payload: json!({"to": "page-test"}),
        run_at: now,
    };
    store.enqueue(vec![job], now).await.unwrap();
    let claimed = store
        .claim_jobs(now, now + chrono::Duration::minutes(1), 100, None)
        .await
        .unwrap();
    let job = claimed
        .iter()
        .find(|j| j.payload["to"] == "page-test")
        .unwrap();
    store
        .fail_job(job.id, "gateway said <no>", None, now)
        .await
        .unwrap();
    let p = app.get("/admin/outbox", &admin).await;
    assert!(p.body.contains("gateway said &#60;no&#62;"), "escaped");
    let retry = format!("/admin/outbox/{}/retry", job.id);
    assert!(p.body.contains(&format!("action=\"{retry}\"")));
    let p = app.post_form(&retry, &admin, &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.header("location"), "/admin/outbox?done=retried");
    assert_eq!(
        store.job(job.id).await.unwrap().status,
        qyzmet_store::JobStatus::Pending
    );
    let p = app.post_form(&retry, &admin, &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p = app
        .post_form("/admin/outbox/abc/retry", &admin, &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // Each change is in the audit log, shown on its page.
    let p = app.get("/admin/audit", &admin).await;
    for action in [
        "user-created",
        "user-disabled",
        "user-enabled",
        "password-reset",
        "job-retried",
    ] {
        assert!(p.body.contains(action), "{action}");
    }
    assert!(p.body.contains("version-ended"));
}

#[tokio::test]
async fn a_holiday_moves_an_open_deadline_only_when_recomputed_and_the_page_says_so() {
    let app = app("http://127.0.0.1:8080").await;
    let (id, number) = at_review(&app).await;
    let due = due_of(&app, &id).await;
    let day = &due[..10];
    let admin = staff(&app, "admin").await;
    let csrf = csrf_of(&admin);
    // Bad input is explained, in Kazakh, and nothing is stored.
    let p = app
        .post_form(
            "/admin/calendar",
            &admin,
            &[
                ("csrf", &csrf),
                ("kind", "day-off"),
                ("date", "26.11.2026"),
                ("source", "X"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(problem_text("date-invalid", Lang::Kk).0));
    let p = app
        .post_form(
            "/admin/calendar",
            &admin,
            &[
                ("csrf", &csrf),
                ("kind", "day-off"),
                ("date", day),
                ("source", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(problem_text("source-required", Lang::Kk).0));
    assert!(app.state.store().calendar_edits().await.unwrap().is_empty());

    let p = app
        .post_form(
            "/admin/calendar",
            &admin,
            &[
                ("csrf", &csrf),
                ("kind", "day-off"),
                ("date", day),
                ("source", "Government decree of 2026-11-20"),
                ("reason", "a day of mourning"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let back = p.header("location").to_owned();
    assert!(back.contains(&format!("from={day}")), "{back}");
    let p = app.get(&back, &admin).await;
    assert!(p.body.contains("action=\"/admin/calendar/recompute\""));
    assert!(p.body.contains(&format!("value=\"{day}\"")));
    assert!(p.body.contains("Government decree of 2026-11-20"));
    // The month shows the day off.
    assert!(p.body.contains(&format!(
        "{day}:</span> <span class=\"day-state\">демалыс күні"
    )));
    // Recorded, but the deadline has not moved yet.
    assert_eq!(due_of(&app, &id).await, due);

    let p = app
        .post_form(
            "/admin/calendar/recompute",
            &admin,
            &[("csrf", &csrf), ("from", day)],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let moved = due_of(&app, &id).await;
    assert_ne!(moved, due);
    assert!(moved > due, "{moved} after {due}");
    assert!(p.body.contains(&number), "the page names what moved");
    assert!(p
        .body
        .contains(&format!("<del>{}</del>", due[..16].replace('T', " "))));
    assert!(p
        .body
        .contains(&format!("<ins>{}</ins>", moved[..16].replace('T', " "))));
    assert!(p.body.contains("id=\"changed\">1<"));
    // The auditor's page shows the new deadline and the chain intact.
    let auditor = staff(&app, "auditor").await;
    let p = app
        .get(&format!("/audit/applications/{id}?lang=en"), &auditor)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(&format!(
        "<span id=\"due\">{}</span>",
        moved[..16].replace('T', " ")
    )));
    assert!(p
        .body
        .contains("<strong>Deadline recomputed</strong> <code>deadline-recomputed</code>"));
    assert!(p.body.contains("The hash chain is intact"));
    // Times in Kazakhstan's time, as on every other page, with the instant
    // the hash covers beside it.
    let at = p.body.find("<time datetime=\"").unwrap() + 16;
    let utc = &p.body[at..at + 27];
    let shown = chrono::DateTime::parse_from_rfc3339(utc)
        .unwrap()
        .with_timezone(&qyzmet_domain::calendar::ZONE)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert!(
        p.body.contains(&format!(
            "\">{shown}</time> <span class=\"muted\">({utc})</span>"
        )),
        "{}",
        p.body
    );
}

#[tokio::test]
async fn the_auditor_finds_an_application_and_sees_each_link_checked() {
    let app = app("http://127.0.0.1:8080").await;
    let (id, number) = at_review(&app).await;
    let auditor = staff(&app, "auditor").await;
    let p = app.get("/audit", &auditor).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains(&number), "listed");
    let p = app.get(&format!("/audit?number={number}"), &auditor).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.header("location"), format!("/audit/applications/{id}"));
    let p = app
        .get("/audit?number=KRG-1999-000009&lang=en", &auditor)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("There is no application with that number."));
    let p = app
        .get(&format!("/audit/applications/{id}?lang=en"), &auditor)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let shown_ok = p.body.matches("<span class=\"tag\">ok</span>").count();
    assert!(p.body.contains("The hash chain is intact"));
    let clerk = staff(&app, "clerk").await;
    let p = app.get(&format!("/audit/applications/{id}"), &clerk).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The check itself: events as served, one altered in two ways.
    let token = token(&app, "auditor").await;
    let (_, _, events) = api(
        &app,
        &token,
        "GET",
        &format!("/applications/{id}/events"),
        None,
        None,
    )
    .await;
    let events = events.as_array().unwrap().clone();
    let c = qyzmet_web::pages::Ctx {
        lang: Lang::En,
        csrf: String::new(),
        user: None,
        demo: false,
        path: String::new(),
        request_id: String::new(),
        token: None,
    };
    let check = |evs: &[Value]| -> Vec<(bool, &'static str)> {
        qyzmet_web::pages::audit::check_chain(&c, evs)
            .into_iter()
            .map(|r| (r.ok, r.why))
            .collect()
    };
    assert!(events.len() >= 3);
    assert_eq!(shown_ok, events.len(), "one verdict an event");
    let intact = vec![(true, ""); events.len()];
    assert_eq!(check(&events), intact);
    let mut data_changed = events.clone();
    data_changed[1]["data"]["assignee"] = json!("someone-else");
    let mut want = intact.clone();
    want[1] = (false, "the hash does not match the event's content");
    assert_eq!(check(&data_changed), want);
    let mut rehashed = events.clone();
    rehashed[1]["hash"] = json!("0".repeat(64));
    want[2] = (false, "prev_hash does not match the previous event's hash");
    assert_eq!(check(&rehashed), want);
    let mut dropped = events.clone();
    dropped.remove(1);
    assert_eq!(
        check(&dropped)[1],
        (false, "the sequence number is not the one expected")
    );
}

#[tokio::test]
async fn monitoring_draws_its_charts_on_the_server_and_exports_csv() {
    let app = app("http://127.0.0.1:8080").await;
    let (_, _) = at_review(&app).await;
    let admin = staff(&app, "admin").await;
    let p = app.get("/monitoring?lang=en", &admin).await;
    assert_eq!(p.status, StatusCode::OK);
    for id in ["steps", "providers"] {
        assert!(
            p.body
                .contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")),
            "{id}"
        );
        assert!(
            p.body.contains(&format!("<title id=\"{id}-title\">")),
            "{id}"
        );
        assert!(
            p.body.contains(&format!("href=\"/monitoring/{id}.csv\"")),
            "{id}"
        );
    }
    assert!(
        p.body.contains("class=\"bar-overdue\""),
        "the demo's overdue steps"
    );
    assert!(!p.body.contains("style="), "no inline style");
    assert!(!p.body.contains("<script>"), "no inline script");
    assert!(p.body.contains("Overdue steps"));
    assert!(p.body.contains("href=\"/monitoring/times\""));
    // The time against the limit, a report of its own.
    let p = app.get("/monitoring/times?lang=en", &admin).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p
        .body
        .contains("aria-labelledby=\"times-title times-desc\""));
    assert!(p.body.contains("class=\"chart-marker\""), "the limit line");
    assert!(p.body.contains("class=\"bar-median\""));
    // The period: 90 days by default, a day of the reader's choice, its
    // CSV the same period; a day that is not a date is refused.
    assert!(p.body.contains("id=\"since\" name=\"since\""));
    assert!(p.body.contains("href=\"/monitoring/times.csv?since="));
    assert!(!p.body.contains("style="), "no inline style");
    let p = app
        .get("/monitoring/times?lang=en&since=2099-01-01", &admin)
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("value=\"2099-01-01\""));
    assert!(
        p.body.contains("<strong>0</strong>"),
        "nothing completed since"
    );
    assert!(p
        .body
        .contains("href=\"/monitoring/times.csv?since=2099-01-01\""));
    let p = app
        .get("/monitoring/times.csv?since=2099-01-01", &admin)
        .await;
    assert_eq!(p.body, "provider,service,step,limit,completed,on_time,median_minutes,p90_minutes,allowed_median_minutes,median_used_percent,p90_used_percent\r\n");
    let p = app.get("/monitoring/times?since=01.01.2026", &admin).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);

    let p = app.get("/monitoring/steps.csv", &admin).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        p.header("content-disposition"),
        "attachment; filename=\"steps.csv\""
    );
    let mut lines = p.body.split("\r\n");
    assert_eq!(lines.next(), Some("provider,service,step,open,overdue"));
    assert!(lines.any(|l| l.starts_with("karaganda-city-education,adoption-payment,review,")));
    let p = app.get("/monitoring/times.csv", &admin).await;
    assert!(p.body.starts_with("provider,service,step,limit,completed,"));
    // The limit is JSON: quoted, its quotes doubled.
    assert!(
        p.body.contains(",register,\"{\"\"minutes\"\":"),
        "{}",
        p.body
    );
    let p = app.get("/monitoring/providers.csv", &admin).await;
    assert!(p.body.starts_with("provider,name,open,overdue\r\n"));
    let p = app.get("/monitoring/overdue.csv", &admin).await;
    assert!(p.body.starts_with("number,service,step,due_at\r\n"));
    assert_eq!(
        app.get("/monitoring/other.csv", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    // A head sees their own provider's; the auditor sees it all.
    let head = staff(&app, "head").await;
    let p = app.get("/monitoring", &head).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("href=\"/monitoring\""), "the head's link");
    let auditor = staff(&app, "auditor").await;
    assert_eq!(
        app.get("/monitoring", &auditor).await.status,
        StatusCode::OK
    );
}
