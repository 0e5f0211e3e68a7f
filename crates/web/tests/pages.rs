//! The pages over HTTP, without a browser: cookies and their flags, CSRF,
//! the Content-Security-Policy, HTML errors beside the API's JSON ones,
//! the remembered language, login limits shared with the API, password
//! change, registration proved by a signature over the one-time challenge,
//! signing a portal draft with a `.p7s`, and the server's checks of an
//! application form and its files.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use qyzmet_web::AppState;
use support::pages::{app, csrf_of, App, Page};

#[tokio::test]
async fn every_page_carries_the_policy_and_cookies_are_locked_down() {
    let app = app("https://qyzmet.example.kz").await;
    let p = app.get("/", "").await;
    assert_eq!(p.status, StatusCode::OK);
    let csp = p.header("content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!p.body.contains("style=\""), "no style attributes");
    assert!(!p.body.contains("<script>"), "no inline scripts");
    assert!(
        p.body.contains("class=\"demo-banner\""),
        "demo mode says so"
    );
    let csrf = p.cookie("qz_csrf").unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(csrf.contains(flag), "{csrf} lacks {flag}");
    }
    let session = {
        let csrf = p.cookie_value("qz_csrf").unwrap();
        let res = app
            .post_form(
                "/login",
                &format!("qz_csrf={csrf}"),
                &[
                    ("csrf", &csrf),
                    ("login", "871008401427"),
                    ("password", "demo-applicant"),
                ],
            )
            .await;
        res.cookie("qz_session").unwrap()
    };
    for flag in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(session.contains(flag), "{session} lacks {flag}");
    }
    // Over plain HTTP the cookies cannot be Secure (the browser would drop them).
    let plain = app_plain().await;
    let p = plain.get("/", "").await;
    assert!(!p.cookie("qz_csrf").unwrap().contains("Secure"));
}

async fn app_plain() -> App {
    app("http://127.0.0.1:8080").await
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let app = app_plain().await;
    let csrf = app.csrf().await;
    let cookies = format!("qz_csrf={csrf}; lang=ru");
    let form = [("login", "871008401427"), ("password", "demo-applicant")];
    let p = app.post_form("/login", &cookies, &form).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("Форма устарела"), "{}", p.body);
    let wrong = [("csrf", "x".repeat(43)), ("login", "871008401427".into())];
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = app.post_form("/login", &cookies, &wrong).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.cookie("qz_session").is_none());
}

#[tokio::test]
async fn login_logout_and_the_cabinet() {
    let app = app_plain().await;
    // Not logged in: the cabinet sends to the login page and back.
    let p = app.get("/cabinet", "").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.header("location"), "/login?next=/cabinet");
    let cookies = app.login("871008401427", "demo-applicant").await;
    let p = app.get("/cabinet?lang=en", &cookies).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("My applications"));
    assert!(
        p.body.contains("KZ-2026-"),
        "the seeded applications are listed"
    );
    assert!(p.body.contains("<td>Yours</td>"), "whose: {}", p.body);
    // On a phone the table scrolls sideways: the status and the due date
    // come first, after the number.
    let head: Vec<usize> = ["Number", "Status", "Due", "Service", "Whose", "Channel"]
        .iter()
        .map(|h| p.body.find(&format!("<th scope=\"col\">{h}</th>")).unwrap())
        .collect();
    assert!(head.windows(2).all(|w| w[0] < w[1]), "{head:?}");
    // Someone else's application is not found, never shown.
    let other = app.login("760212350620", "demo-applicant").await;
    let mine = p.body.split("/cabinet/applications/").nth(1).unwrap();
    let id = &mine[..36];
    let own = app
        .get(&format!("/cabinet/applications/{id}?lang=en"), &cookies)
        .await;
    assert!(own.body.contains("871008401427 (you)</dd>"), "{}", own.body);
    assert!(!own.body.contains("id=\"representative\""));
    let p = app
        .get(&format!("/cabinet/applications/{id}"), &other)
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.header("content-type").starts_with("text/html"));
    // Logging out ends the token at once.
    let csrf = csrf_of(&cookies);
    let csrf = csrf.as_str();
    let p = app.post_form("/logout", &cookies, &[("csrf", csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = app.get("/cabinet", &cookies).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn failed_logins_on_the_page_count_toward_the_apis_limit() {
    let app = app_plain().await;
    let csrf = app.csrf().await;
    let cookies = format!("qz_csrf={csrf}; lang=kk");
    for _ in 0..qyzmet_web::auth::PER_ACCOUNT {
        let p = app
            .post_form(
                "/login",
                &cookies,
                &[
                    ("csrf", &csrf),
                    ("login", "871008401427"),
                    ("password", "wrong"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
        assert!(p.body.contains("Кіру деректері қате"));
    }
    let p = app
        .post_form(
            "/login",
            &cookies,
            &[
                ("csrf", &csrf),
                ("login", "871008401427"),
                ("password", "demo-applicant"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!p.header("retry-after").is_empty());
}

#[tokio::test]
async fn the_password_changes_and_other_sessions_end() {
    let app = app_plain().await;
    let cookies = app.login("871008401427", "demo-applicant").await;
    let elsewhere = app.login("871008401427", "demo-applicant").await;
    let csrf = csrf_of(&cookies);
    let csrf = csrf.as_str();
    let change = |current: &'static str, new: &'static str| {
        [
            ("csrf", csrf.to_owned()),
            ("current", current.to_owned()),
            ("password", new.to_owned()),
            ("password2", new.to_owned()),
        ]
    };
    let f = change("demo-applicant", "short");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = app
        .post_form("/account/password?lang=en", &cookies, &f)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("at least 10 characters"));
    let f = change("not-the-password", "a-new-long-password");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = app.post_form("/account/password", &cookies, &f).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let f = change("demo-applicant", "a-new-long-password");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = app.post_form("/account/password", &cookies, &f).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(app.get("/cabinet", &cookies).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/cabinet", &elsewhere).await.status,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    app.login("871008401427", "a-new-long-password").await;
}

#[tokio::test]
async fn errors_are_pages_for_pages_and_problems_for_the_api() {
    let app = app_plain().await;
    let p = app.get("/no-such-page", "lang=ru").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.header("content-type").starts_with("text/html"));
    assert!(p.body.contains("Не найдено"));
    assert!(p.body.contains(p.header("x-request-id")));
    let p = app.get("/api/v1/no-such-thing", "").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(p.header("content-type"), "application/problem+json");
    let p = app.get("/services/no-such-service", "lang=en").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.contains("Unknown service"));
}

#[tokio::test]
async fn the_language_comes_from_the_browser_and_the_switch_is_remembered() {
    let app = app_plain().await;
    let p = app
        .send(
            Request::get("/")
                .header(header::ACCEPT_LANGUAGE, "ru-RU,ru;q=0.9")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(p.body.contains("<html lang=\"ru\">"));
    let p = app.get("/", "").await;
    assert!(p.body.contains("<html lang=\"kk\">"), "Kazakh first");
    let p = app.get("/services/adoption-payment?lang=en", "").await;
    assert!(p.cookie("lang").unwrap().starts_with("lang=en;"));
    assert!(p.body.contains("Steps and time limits"));
    assert!(p.body.contains("working days"));
    // The noun agrees with its number: service C's sign step is 1 working
    // day, its review 5.
    assert!(p.body.contains("1 working day<") && !p.body.contains("1 working days"));
    let p = app.get("/services/adoption-payment?lang=ru", "").await;
    assert!(p.body.contains("1 рабочий день<"), "{}", p.body);
    assert!(p.body.contains("5 рабочих дней<"));
    assert!(!p.body.contains("1 рабочих"));
    assert!(p.body.contains("/services/adoption-payment/apply"));
    assert!(!p.body.contains("id=\"not-on-portal\""));
    // The regulation's text reads as a document, not as its markup.
    assert!(p.body.contains("<div class=\"regulation\"><p>"));
    assert!(p.body.contains("<h3>Процедуры</h3>"), "{}", p.body);
    assert!(!p.body.contains("## "));
    let text = &p.body[p.body.find("<div class=\"regulation\">").unwrap()..];
    assert!(
        !text.contains(">- ") && !text.contains("\n- "),
        "list items as a list"
    );
    // Service A is not on the portal: the page says where to go instead.
    let p = app.get("/services/meeting-permission?lang=ru", "").await;
    assert!(!p.body.contains("/services/meeting-permission/apply"));
    assert!(
        p.body.contains("не оказывается на портале")
            && p.body
                .contains("Где: канцелярия, Государственная корпорация."),
        "{}",
        p.body
    );
    // The icon browsers ask for.
    let icon = app.get("/favicon.ico", "").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header("content-type"), "image/svg+xml");
}

fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "qyzmet-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\ncontent-type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sets `key` among the posted `fields` (it must be one of them).
fn set<'a>(fields: &mut [(&str, &'a str)], key: &str, value: &'a str) {
    fields
        .iter_mut()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no field {key}"))
        .1 = value;
}

/// The page says, at the power of attorney's date, that the notary system
/// has it of another date.
fn other_date_said(body: &str) {
    assert!(
        body.contains(
            "id=\"poa_date-error\">В нотариальной системе у этой доверенности другая дата"
        ),
        "{body}"
    );
}

/// Service C's form as the portal posts it, filled in rightly.
fn service_c_form(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", csrf),
        ("f.children.0.iin", "200315500017"),
        ("f.children.0.name", "Асанов Нұрлан"),
        ("f.children.0.birth_date", "2020-03-15"),
        ("f.children.0.court_decision.number", "2-1234/2026"),
        ("f.children.0.court_decision.date", "2026-01-20"),
        ("f.bank_account.iban", "KZ86125KZT5004100100"),
    ]
}

/// How many applications the store holds (up to 500): what a page took in.
async fn stored(app: &App) -> usize {
    let filter = qyzmet_store::ListFilter::default();
    let page = app.state.store().list_applications(&filter, 500, None);
    page.await.unwrap().items.len()
}

/// The portal's apply page of service C posted with `fields` and its
/// three required documents, each a small PDF.
fn apply_c(fields: &[(&str, &str)], cookies: &str) -> Request<Body> {
    let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
    let (ct, body) = multipart(fields, &all_documents(pdf));
    Request::post("/services/adoption-payment/apply")
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap()
}

/// Service C's three required documents, each as `pdf`.
fn all_documents(pdf: &[u8]) -> [(&'static str, &'static str, &[u8]); 3] {
    [
        ("doc.court-decision", "decision.pdf", pdf),
        ("doc.child-iin", "child-iin.pdf", pdf),
        ("doc.bank-account", "account.pdf", pdf),
    ]
}

#[tokio::test]
async fn an_application_form_is_checked_on_the_server_in_the_readers_language() {
    let app = app_plain().await;
    let cookies = app.login("871008401427", "demo-applicant").await;
    let csrf = csrf_of(&cookies);
    let csrf = csrf.as_str();
    let cookies = format!("{cookies}; lang=ru");
    let form = app.get("/services/adoption-payment/apply", &cookies).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"f.children.0.iin\""));
    assert!(!form.body.contains("<title>Ошибка: "));
    // The IBAN may be typed in groups of four: no browser pattern stops
    // the spaces; the server takes them out. Dates that cannot be later
    // than today carry it as their `max`.
    let iban = form
        .body
        .split("<input ")
        .find(|i| i.contains("name=\"f.bank_account.iban\""))
        .unwrap();
    assert!(!iban.contains("pattern="), "{iban}");
    assert!(iban.contains("maxlength=\"42\""), "{iban}");
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600).unwrap())
        .date_naive()
        .to_string();
    let born = form
        .body
        .split("<input ")
        .find(|i| i.contains("name=\"f.children.0.birth_date\""))
        .unwrap();
    assert!(born.contains("type=\"date\""), "{born}");
    assert!(born.contains(&format!("max=\"{today}\"")), "{born}");
    assert!(!born.contains("min="), "{born}");
    let fields = [
        ("csrf", csrf),
        ("f.children.0.iin", "200315500018"),
        ("f.children.0.name", "Асанов Нұрлан"),
        ("f.children.0.birth_date", "2020-03-15"),
        ("f.children.0.court_decision.number", "2-1234/2026"),
        ("f.children.0.court_decision.date", "2026-01-20"),
        ("f.bank_account.iban", "KZ86"),
    ];
    let text: &[u8] = b"just some text";
    let (ct, body) = multipart(&fields, &[("doc.court-decision", "a.txt", text)]);
    let send = |ct: String, body: Vec<u8>, cookies: String| {
        Request::post("/services/adoption-payment/apply")
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let p = app.send(send(ct, body, cookies.clone())).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("ИИН неверен"), "{}", p.body);
    // The page's title says there are errors, so a screen reader says so
    // first.
    assert!(p.body.contains("<title>Ошибка: "), "{}", p.body);
    // An IBAN too short is said to be so, not mistyped.
    assert!(p
        .body
        .contains("IBAN начинается с KZ, за которым 18 букв или цифр"));
    assert!(p
        .body
        .contains("Принимаются только файлы PDF, JPEG или PNG"));
    assert!(
        p.body.contains("value=\"Асанов Нұрлан\""),
        "what was typed stays"
    );
    // The form's lines name each field by its whole path, in the page's
    // order, before the documents'.
    let at = |l: &str| p.body.find(l).unwrap_or_else(|| panic!("{l}: {}", p.body));
    assert!(
        at(">Ребёнок 1 › ИИН: ") < at(">Банковский счёт › Номер счёта IBAN: ")
            && at(">Банковский счёт › Номер счёта IBAN: ") < at(">Решение суда об усыновлении: ")
    );
    // Each document's line names it, in the page's order; the required
    // ones not attached are asked for; the chosen file must be chosen again.
    let lines: Vec<usize> = [
        ">Решение суда об усыновлении: Принимаются только файлы PDF",
        ">ИИН ребенка: Приложите этот документ.",
        ">Банковский счет на имя заявителя: Приложите этот документ.",
        "Выберите файлы заново",
    ]
    .iter()
    .map(|l| p.body.find(l).unwrap_or_else(|| panic!("{l}: {}", p.body)))
    .collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    assert!(p
        .body
        .contains("id=\"doc-child-iin-error\">Приложите этот документ."));

    // A row added without JavaScript.
    let mut with_add = fields.to_vec();
    with_add.push(("add", "children"));
    let (ct, body) = multipart(&with_add, &[]);
    let p = app.send(send(ct, body, cookies.clone())).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("name=\"f.children.1.iin\""));
    // The focus goes to the row just added, and nowhere else.
    assert!(
        p.body
            .contains("name=\"f.children.1.iin\" type=\"text\" inputmode=\"numeric\""),
        "{}",
        p.body
    );
    let focused = p
        .body
        .split("<input ")
        .find(|i| i.contains(" autofocus"))
        .unwrap_or("");
    assert!(focused.contains("name=\"f.children.1.iin\""), "{focused}");
    assert_eq!(p.body.matches(" autofocus").count(), 1, "{}", p.body);
    // Enter in a field sends the form: its first submit button, the
    // default one, is the form's own, not one that adds or removes a row.
    let form_tag = p
        .body
        .find("<form method=\"post\" action=\"/services/")
        .unwrap();
    let first = p.body[form_tag..].split("<button ").nth(1).unwrap();
    assert!(
        first.starts_with("type=\"submit\" class=\"visually-hidden\""),
        "{first}"
    );
    assert!(
        !first.split('>').next().unwrap().contains("name="),
        "{first}"
    );
    // The row added can be taken away again, the first child's fields
    // kept; a list of one has no such button.
    assert!(p.body.contains("name=\"remove\" value=\"children.1\""));
    let mut two = fields.to_vec();
    two.extend([
        ("n.children", "2"),
        ("f.children.1.name", "Екінші бала"),
        ("remove", "children.0"),
    ]);
    let (ct, body) = multipart(&two, &[]);
    let p = app.send(send(ct, body, cookies.clone())).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("name=\"f.children.1.iin\""), "{}", p.body);
    assert!(
        p.body.contains(
            "name=\"f.children.0.name\" type=\"text\" inputmode=\"text\" value=\"Екінші бала\""
        ),
        "the second moved up: {}",
        p.body
    );
    assert!(
        !p.body.contains("value=\"200315500018\""),
        "the first is gone"
    );
    assert!(!p.body.contains("<title>Ошибка: "), "a redraw is no error");
    // After a row is taken away, the focus is on the list's add button.
    let focused = p
        .body
        .split("<button ")
        .find(|b| b.contains(" autofocus"))
        .unwrap_or("");
    assert!(
        focused.contains("name=\"add\" value=\"children\""),
        "{}",
        p.body
    );
    assert!(!p.body.contains("name=\"remove\""), "{}", p.body);

    // Right, with a PDF: a draft in the cabinet.
    let mut good = fields.to_vec();
    good[1] = ("f.children.0.iin", "200315500017");
    good[6] = ("f.bank_account.iban", "KZ86125KZT5004100100");
    let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
    // One of three required documents: the other two are asked for, and
    // nothing is made.
    let (ct, body) = multipart(&good, &[("doc.court-decision", "decision.pdf", pdf)]);
    let p = app.send(send(ct, body, cookies.clone())).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains(">ИИН ребенка: Приложите этот документ."));
    assert!(!p.body.contains("id=\"doc-court-decision-error\""));
    let (ct, body) = multipart(&good, &all_documents(pdf));
    let p = app.send(send(ct, body, cookies.clone())).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let to = p.header("location").to_owned();
    let draft = app.get(&to, &cookies).await;
    assert!(draft.body.contains("черновик"));
    assert!(draft.body.contains("decision.pdf"));
    // What the citizen signs is on the page, in the form's order and words,
    // before the signing panel.
    let lines: Vec<usize> = [
        "id=\"form-data\"",
        "<dt>Ребёнок 1 › ИИН</dt><dd>200315500017</dd>",
        "<dt>Ребёнок 1 › Фамилия, имя, отчество</dt><dd>Асанов Нұрлан</dd>",
        "<dt>Ребёнок 1 › Решение суда › Номер</dt><dd>2-1234/2026</dd>",
        "<dt>Банковский счёт › Номер счёта IBAN</dt><dd>KZ86125KZT5004100100</dd>",
        "id=\"sign-title\"",
    ]
    .iter()
    .map(|l| {
        draft
            .body
            .find(l)
            .unwrap_or_else(|| panic!("{l}: {}", draft.body))
    })
    .collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");

    // Withdrawn only with the box ticked that says it cannot be undone.
    let withdraw = format!("{to}/withdraw");
    let p = app.post_form(&withdraw, &cookies, &[("csrf", csrf)]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Отзыв не подтверждён"), "{}", p.body);
    assert!(p.body.contains("черновик"), "still a draft");
    let p = app
        .post_form(&withdraw, &cookies, &[("csrf", csrf), ("confirm", "yes")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location"), "/cabinet?done=withdrawn");
    assert!(app.get(&to, &cookies).await.body.contains("отозвано"));

    // Without the token, nothing is made.
    let mut no_csrf = good.clone();
    no_csrf[0] = ("csrf", "nope");
    let (ct, body) = multipart(&no_csrf, &[]);
    let p = app.send(send(ct, body, cookies)).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn dates_and_the_iban_are_checked_against_the_day_the_iin_and_the_check_digits() {
    let app = app_plain().await;
    let cookies = app.login("871008401427", "demo-applicant").await;
    let csrf = csrf_of(&cookies);
    let cookies = format!("{cookies}; lang=ru");
    let send = |fields: &[(&str, &str)]| apply_c(fields, &cookies);
    let with = |field: &str, value: &'static str| {
        let mut f = service_c_form(&csrf);
        set(&mut f, field, value);
        f
    };
    let before = stored(&app).await;
    // An adopted child may be born, on the papers, another day than the
    // IIN says: service C does not tie them (service A does, in the office
    // test below).
    let p = app
        .send(send(&with("f.children.0.birth_date", "2020-03-16")))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(stored(&app).await, before + 1);
    let before = before + 1;
    // A court decision dated in a later year than this one.
    let p = app
        .send(send(&with(
            "f.children.0.court_decision.date",
            "2099-01-20",
        )))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Дата не может быть позже сегодняшней."),
        "{}",
        p.body
    );
    // One digit of the account mistyped.
    let p = app
        .send(send(&with("f.bank_account.iban", "KZ86125KZT5004100101")))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Контрольные цифры IBAN не сходятся"),
        "{}",
        p.body
    );
    assert_eq!(stored(&app).await, before, "nothing was taken in");
    // As the bank prints it, in groups of four and lower case: taken, and
    // stored as one word in capitals.
    let p = app
        .send(send(&with(
            "f.bank_account.iban",
            "kz86 125K ZT50 0410 0100",
        )))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let draft = app.get(p.header("location"), &cookies).await;
    assert!(
        draft.body.contains("<dd>KZ86125KZT5004100100</dd>"),
        "{}",
        draft.body
    );
    assert_eq!(stored(&app).await, before + 1);
}

#[tokio::test]
async fn a_citizen_applies_for_another_person_under_a_power_of_attorney() {
    // The demo notary system holds DOV-2026-0001 of 2026-01-15, from
    // 871008401427 to 760212350620.
    let app = app_plain().await;
    let cookies = app.login("760212350620", "demo-applicant").await;
    let csrf = csrf_of(&cookies);
    let cookies = format!("{cookies}; lang=ru");
    let form = app.get("/services/adoption-payment/apply", &cookies).await;
    for f in ["for_iin", "poa_number", "poa_date"] {
        assert!(
            form.body
                .contains(&format!("<input id=\"{f}\" name=\"{f}\"")),
            "{f}"
        );
    }
    // The person's name is not typed: it comes from the individuals
    // database.
    assert!(!form.body.contains("name=\"for_name\""));
    assert!(form.body.contains(&format!(
        "name=\"poa_number\" type=\"text\" maxlength=\"{}\"",
        qyzmet_web::applications::MAX_POA_NUMBER
    )));
    // Closed at first: most citizens apply for themselves.
    assert!(form
        .body
        .contains("<details class=\"behalf\" id=\"behalf\">"));
    let good = service_c_form(&csrf);
    let send = |fields: &[(&str, &str)]| apply_c(fields, &cookies);
    let before = stored(&app).await;

    // One's own IIN, no date: each said at its field and in the summary,
    // in the page's order; what was typed stays; nothing is made.
    let mut fields = good.to_vec();
    fields.extend([("for_iin", "760212350620"), ("poa_number", "DOV-2026-0001")]);
    let p = app.send(send(&fields)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains(">Это ваш собственный ИИН"), "{}", p.body);
    assert!(
        p.body
            .contains("<details class=\"behalf\" id=\"behalf\" open>"),
        "open, so the summary's links reach the fields"
    );
    assert!(p.body.contains("Введите дату доверенности."));
    let order: Vec<usize> = ["#for_iin", "#poa_date"]
        .iter()
        .map(|a| {
            p.body
                .find(&format!("href=\"{a}\""))
                .unwrap_or_else(|| panic!("{a} in the summary"))
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    for f in ["for_iin", "poa_date"] {
        assert!(
            p.body.contains(&format!(
                "aria-invalid=\"true\" aria-describedby=\"{f}-error\""
            )),
            "{f}"
        );
    }
    assert!(!p.body.contains("id=\"poa_number-error\""));
    assert!(
        p.body.contains("value=\"DOV-2026-0001\""),
        "typed values kept"
    );
    assert_eq!(stored(&app).await, before, "nothing made");

    // The notary system is asked: a power of attorney of another date is
    // refused, said at its number, and nothing is made.
    // The form, applying for 871008401427 under DOV-2026-0001 of `date`.
    let for_them = |iin: &'static str, date: &'static str| {
        let mut fields = good.to_vec();
        fields.extend([
            ("for_iin", iin),
            ("poa_number", "DOV-2026-0001"),
            ("poa_date", date),
            // Not a field of the page; a name sent anyway is not taken.
            ("for_name", "Иванов Пётр"),
        ]);
        fields
    };
    // Someone who gave no such power of attorney (here, someone the
    // individuals database does not know): the power of attorney is
    // refused, and nothing is told of the person.
    let p = app
        .send(send(&for_them("880501300124", "2026-01-15")))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("id=\"poa_number-error\""), "{}", p.body);
    assert!(!p.body.contains("id=\"for_iin-error\""), "{}", p.body);
    assert_eq!(stored(&app).await, before, "nothing made");
    let p = app
        .send(send(&for_them("871008401427", "2026-01-16")))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    other_date_said(&p.body);
    assert_eq!(stored(&app).await, before, "nothing made");
    // The same with a mistyped IBAN too: both are said at once, not the
    // power of attorney only after the form is right.
    let mut both = for_them("871008401427", "2026-01-16");
    set(&mut both, "f.bank_account.iban", "KZ86125KZT5004100101");
    let p = app.send(send(&both)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(
        p.body.contains("Контрольные цифры IBAN не сходятся"),
        "{}",
        p.body
    );
    other_date_said(&p.body);
    assert_eq!(stored(&app).await, before, "nothing made");

    // As the notary system has it: the other person applies, the citizen
    // is their representative and finds the draft in their cabinet, and so
    // does the person they act for.
    let p = app
        .send(send(&for_them("871008401427", "2026-01-15")))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(stored(&app).await, before + 1, "the count can tell");
    let to = p.header("location");
    let id = to.trim_start_matches("/cabinet/applications/");
    let case = app.state.store().get(id).await.unwrap();
    assert_eq!(case.row.applicant_iin, "871008401427");
    assert_eq!(case.row.representative_iin.as_deref(), Some("760212350620"));
    assert_eq!(case.row.channel, "portal");
    let text = case.row.state.as_str();
    assert!(
        text.contains("Асанова Айгүл Серікқызы") && !text.contains("Иванов"),
        "the name as the individuals database has it: {text}"
    );
    assert!(
        !text.contains("\"registry\"") && !text.contains("Бұқар жырау"),
        "nothing else of what the state holds of the person: {text}"
    );
    assert!(
        text.contains("DOV-2026-0001") && text.contains("2026-01-15"),
        "{text}"
    );
    // Each of the two reads whose application it is, and who signs.
    let draft = app.get(to, &cookies).await;
    assert_eq!(draft.status, StatusCode::OK);
    assert!(
        draft
            .body
            .contains("<dd id=\"applicant\">Асанова Айгүл Серікқызы, 871008401427</dd>"),
        "{}",
        draft.body
    );
    assert!(draft.body.contains(
        "<dd id=\"representative\">Асанов Ержан Болатұлы, 760212350620 (доверенность № DOV-2026-0001, 2026-01-15) (вы)</dd>"
    ));
    assert!(draft
        .body
        .contains("<p id=\"sign-note\">Вы подписываете как представитель"));
    let list = app.get("/cabinet", &cookies).await;
    assert!(list.body.contains(id), "in the representative's cabinet");
    assert!(list
        .body
        .contains("<td>Асанова Айгүл Серікқызы (вы представитель)</td>"));
    let theirs = app.login("871008401427", "demo-applicant").await;
    let theirs = format!("{theirs}; lang=ru");
    let list = app.get("/cabinet", &theirs).await;
    assert!(list.body.contains(id), "in the applicant's cabinet");
    assert!(list.body.contains("<td>Ваше, через представителя</td>"));
    let draft = app.get(to, &theirs).await;
    assert!(draft
        .body
        .contains("<dd id=\"applicant\">Асанова Айгүл Серікқызы, 871008401427 (вы)</dd>"));
    assert!(draft.body.contains(
        "<dd id=\"representative\">Асанов Ержан Болатұлы, 760212350620 (доверенность № DOV-2026-0001, 2026-01-15)</dd>"
    ));
    assert!(draft
        .body
        .contains("<p id=\"sign-note\">В этом заявлении указан ваш представитель"));

    // The representative signs with their own key, and the draft goes to
    // the provider; the key of the person they act for is not theirs to
    // sign with in their session.
    let demo = trust_demo_pki(&app);
    let bytes = app.get(&format!("{to}/to-sign"), &cookies).await;
    assert!(
        bytes
            .body
            .contains("\"representative\":{\"iin\":\"760212350620\""),
        "the signed bytes name the representative: {}",
        bytes.body
    );
    let upload = |stem: &str| {
        let cms = demo.signer(stem).unwrap();
        let cms = cms.sign(bytes.body.as_bytes(), false).unwrap();
        let (ct, body) = multipart(
            &[("csrf", csrf.as_str())],
            &[("signature", "application.p7s", &cms)],
        );
        Request::post(format!("{to}/signature"))
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &cookies)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };
    let p = app.send(upload("871008401427")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("ИИН в сертификате не совпадает"),
        "{}",
        p.body
    );
    let p = app.send(upload("760212350620")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let case = app.state.store().get(id).await.unwrap();
    assert_eq!(case.row.status, "in-progress");
    let signed = app.get(to, &theirs).await;
    assert!(signed.body.contains("на рассмотрении"), "{}", signed.body);
    assert!(!signed.body.contains("id=\"sign-note\""));
}

/// The demo PKI in `app`'s directory, trusted by its verifier as in demo
/// mode (the root as anchor, the CRL listing the revoked key).
fn trust_demo_pki(app: &App) -> qyzmet_pki::demo::DemoPki {
    let demo = qyzmet_pki::demo::ensure(&app._dir.path().join("demo-pki")).unwrap();
    let mut trust = qyzmet_pki::TrustConfig {
        accept_test_iins: true,
        ..Default::default()
    };
    trust.add_anchor_file(&demo.ca).unwrap();
    trust.add_crl_file(&demo.crl).unwrap();
    let _ = app
        .state
        .clone()
        .with_verifier(qyzmet_pki::Verifier::new(trust));
    demo
}

fn register_request(cookies: &str, fields: &[(&str, &str)], cms: &[u8]) -> Request<Body> {
    let (ct, body) = multipart(fields, &[("signature", "challenge.p7s", cms)]);
    Request::post("/register")
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn registration_is_proved_by_a_signature_over_the_one_time_challenge() {
    // Unseeded: the demo keys' IINs have no accounts yet.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    let store = qyzmet_store::connect(&url).await.unwrap();
    let (catalog, calendar) = support::catalog_and_calendar().clone();
    let state = AppState::new(
        catalog,
        calendar,
        store,
        "http://127.0.0.1:8080".into(),
        true,
    );
    let app = App {
        state,
        _dir: dir,
        _sandbox: None,
    };
    let demo = trust_demo_pki(&app);

    let csrf = app.csrf().await;
    let page = app.get("/register", &format!("qz_csrf={csrf}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let challenge = page
        .cookie_value("qz_challenge")
        .expect("the form hands out a challenge");
    let cookies = format!("qz_csrf={csrf}; qz_challenge={challenge}; lang=en");
    let file = app.get("/register/challenge", &cookies).await;
    assert_eq!(file.body, challenge, "the file is the challenge's bytes");
    let fields = |iin: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("iin", iin.to_owned()),
            ("name", "Асанов Нұрлан".to_owned()),
            ("password", "a-long-enough-secret".to_owned()),
            ("password2", "a-long-enough-secret".to_owned()),
        ]
    };
    let send = |iin: &'static str, cms: Vec<u8>| {
        let f = fields(iin);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        register_request(&cookies, &f, &cms)
    };
    let own = demo.signer("871008401427").unwrap();
    let signed = own.sign(challenge.as_bytes(), false).unwrap();

    // A revoked key proves nothing.
    let revoked = demo.signer("871008401427-revoked").unwrap();
    let cms = revoked.sign(challenge.as_bytes(), false).unwrap();
    let p = app.send(send("871008401427", cms)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Certificate revoked"), "{}", p.body);

    // Someone else's IIN typed: the certificate's IIN decides.
    let p = app.send(send("760212350620", signed.clone())).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("IIN mismatch"), "{}", p.body);

    // Other bytes signed (an old challenge): the signature does not match.
    let other = own.sign(b"qyzmet-registration.0.old", false).unwrap();
    let p = app.send(send("871008401427", other)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!p.body.contains("Account exists"));
    assert!(app
        .state
        .store()
        .user_by_iin("871008401427")
        .await
        .unwrap()
        .is_none());

    // Proved: the account is made and logs in.
    let p = app.send(send("871008401427", signed.clone())).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location"), "/login?done=registered");
    let user = app
        .state
        .store()
        .user_by_iin("871008401427")
        .await
        .unwrap()
        .expect("the account exists");
    assert_eq!(user.role, "applicant");
    let session = app.login("871008401427", "a-long-enough-secret").await;
    assert!(session.contains("qz_session="), "{session}");

    // Once only.
    let p = app.send(send("871008401427", signed)).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Account exists"), "{}", p.body);
}

#[tokio::test]
async fn a_portal_draft_is_signed_from_the_cabinet_with_a_p7s() {
    let app = app_plain().await;
    let demo = trust_demo_pki(&app);
    let cookies = app.login("871008401427", "demo-applicant").await;
    let csrf = csrf_of(&cookies);
    let cookies = format!("{cookies}; lang=ru");
    let fields = service_c_form(&csrf);
    let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";
    let (ct, body) = multipart(&fields, &all_documents(pdf));
    let p = app
        .send(
            Request::post("/services/adoption-payment/apply")
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, &cookies)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let detail = p.header("location").to_owned();
    let draft = app.get(&detail, &cookies).await;
    assert!(draft.body.contains("черновик"));
    assert!(
        draft.body.contains(&format!("{detail}/to-sign")),
        "{}",
        draft.body
    );

    let bytes = app.get(&format!("{detail}/to-sign"), &cookies).await;
    assert_eq!(bytes.status, StatusCode::OK);
    assert!(bytes.body.contains("\"purpose\":\"qyzmet-application/1\""));
    let upload = |cms: Vec<u8>| {
        let (ct, body) = multipart(
            &[("csrf", csrf.as_str())],
            &[("signature", "application.p7s", &cms)],
        );
        Request::post(format!("{detail}/signature"))
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &cookies)
            .header(header::CONTENT_TYPE, ct)
            .body(Body::from(body))
            .unwrap()
    };

    // No file chosen: said so, rather than "unreadable".
    let (ct, body) = multipart(&[("csrf", csrf.as_str())], &[("signature", "", b"")]);
    let p = app
        .send(
            Request::post(format!("{detail}/signature"))
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, &cookies)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Файл подписи не выбран"), "{}", p.body);

    // A revoked key: refused on the page, in the reader's language.
    let revoked = demo.signer("871008401427-revoked").unwrap();
    let p = app
        .send(upload(revoked.sign(bytes.body.as_bytes(), false).unwrap()))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Сертификат отозван"), "{}", p.body);

    // The applicant's own key: submitted.
    let own = demo.signer("871008401427").unwrap();
    let p = app
        .send(upload(own.sign(bytes.body.as_bytes(), false).unwrap()))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.header("location"), detail);
    let signed = app.get(&detail, &cookies).await;
    assert!(!signed.body.contains("черновик"), "{}", signed.body);
    assert!(signed.body.contains("на рассмотрении"), "{}", signed.body);
    assert!(!signed.body.contains("to-sign"));
}

impl App {
    async fn post_multipart(
        &self,
        path: &str,
        cookies: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let (ct, body) = multipart(fields, files);
        self.send(
            Request::post(path)
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, cookies)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

// ------------------------------------------------------------ the staff's pages

/// Logs a staff member in without asking for a page: where the role lands.
async fn staff_login(app: &App, user: &str) -> (String, String) {
    let csrf = app.csrf().await;
    let cookies = format!("qz_csrf={csrf}; lang=kk");
    let password = format!("demo-{user}");
    let p = app
        .post_form(
            "/login",
            &cookies,
            &[("csrf", &csrf), ("login", user), ("password", &password)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let session = p.cookie_value("qz_session").unwrap();
    (
        format!("{cookies}; qz_session={session}"),
        p.header("location").to_owned(),
    )
}

/// The ETag a case page's action forms carry.
fn etag_of(body: &str) -> String {
    let rest = body
        .split("name=\"etag\" value=\"")
        .nth(1)
        .expect("the page has an action form");
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A clerk's intake form for service A: a child, a meeting date, and the
/// documents ticked.
fn intake_form<'a>(csrf: &'a str, iin: &'a str, docs: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("csrf", csrf),
        ("iin", iin),
        ("name", "Демо Өтініш Беруші"),
        ("language", "kk"),
        ("f.child.iin", "200315500017"),
        ("f.child.name", "Асанов Нұрлан"),
        ("f.child.birth_date", "2020-03-15"),
        ("f.meeting.preferred_date", support::meeting_day()),
        ("f.meeting.place", "Қарағанды"),
    ];
    for d in docs {
        f.push(("doc", d));
    }
    f
}

const SERVICE_A_DOCS: [&str; 3] = [
    "application",
    "identity-document",
    "supporting-certificates",
];

/// Takes a complete service A package in at the office page; its case id.
async fn take_in(app: &App, clerk: &str) -> String {
    let csrf = csrf_of(clerk);
    let p = app
        .post_form(
            "/work/intake/meeting-permission",
            clerk,
            &intake_form(&csrf, "871008401427", &SERVICE_A_DOCS),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let to = p.header("location");
    assert!(to.ends_with("?done=intake"), "{to}");
    to.trim_start_matches("/work/applications/")[..36].to_owned()
}

#[tokio::test]
async fn the_same_intake_form_sent_twice_takes_in_one_application() {
    let app = app_plain().await;
    let (clerk, _) = staff_login(&app, "clerk").await;
    let csrf = csrf_of(&clerk);
    let once_of = |body: &str| {
        let needle = "name=\"once\" value=\"";
        let at = body.find(needle).expect("the form's key") + needle.len();
        let key = body[at..at + 36].to_owned();
        assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
        key
    };
    let page = app.get("/work/intake/meeting-permission", &clerk).await;
    let once = once_of(&page.body);
    let before = stored(&app).await;
    let mut form = intake_form(&csrf, "871008401427", &SERVICE_A_DOCS);
    form.push(("once", &once));
    // Sent, then sent again (a double click, or Back and send): one
    // application, and both answers lead to it.
    let first = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let again = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(first.header("location"), again.header("location"));
    assert_eq!(stored(&app).await, before + 1);
    // Changed and sent with the same key: said so, nothing made, and the
    // page carries a new key, so sending it again takes in a new one.
    form[2] = ("name", "Басқа Өтініш Беруші");
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p
        .body
        .contains("Бұл нысан бұрын басқа деректермен жіберілген"));
    assert!(p.body.contains("value=\"Басқа Өтініш Беруші\""), "kept");
    assert_eq!(stored(&app).await, before + 1);
    let fresh = once_of(&p.body);
    assert_ne!(fresh, once);
    let last = form.len() - 1;
    form[last] = ("once", &fresh);
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_ne!(p.header("location"), first.header("location"));
    assert_eq!(stored(&app).await, before + 2);
}

/// One action through the case page's form, as the reader's browser sends it.
async fn act_on(app: &App, who: &str, id: &str, fields: &[(&str, &str)]) -> Page {
    let page = app.get(&format!("/work/applications/{id}"), who).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = csrf_of(who);
    let etag = etag_of(&page.body);
    let mut form = vec![("csrf", csrf.as_str()), ("etag", etag.as_str())];
    form.extend_from_slice(fields);
    app.post_form(&format!("/work/applications/{id}/act"), who, &form)
        .await
}

#[tokio::test]
async fn the_office_takes_an_application_a_representative_brings() {
    let app = app_plain().await;
    let (clerk, _) = staff_login(&app, "clerk").await;
    let p = app.get("/work/intake/meeting-permission", &clerk).await;
    assert_eq!(p.status, StatusCode::OK);
    for f in ["rep_iin", "poa_number", "poa_date"] {
        assert!(p.body.contains(&format!("name=\"{f}\"")), "{f}");
    }
    let csrf = csrf_of(&clerk);

    // Half a representative: each missing or wrong field is named on the
    // page, in the summary (in the page's order, after the applicant) and
    // at the field, which points to its message; nothing is taken in.
    let taken = |body: &str| body.matches("/work/applications/").count();
    let before = taken(&app.get("/work", &clerk).await.body);
    let mut form = intake_form(&csrf, "871008401427", &SERVICE_A_DOCS);
    form.retain(|(k, _)| *k != "name");
    form.extend([("rep_iin", "76021235062"), ("poa_date", "2026-11-02")]);
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    for f in ["rep_iin", "poa_number"] {
        assert!(
            p.body.contains(&format!("id=\"{f}\" name=\"{f}\""))
                || p.body.contains(&format!("<input id=\"{f}\"")),
            "{f}: the input"
        );
        assert!(
            p.body
                .contains(&format!("<p class=\"error-message\" id=\"{f}-error\">")),
            "{f}: {}",
            p.body
        );
        assert!(
            p.body.contains(&format!(
                "aria-invalid=\"true\" aria-describedby=\"{f}-error\""
            )),
            "{f}: the input points to its message"
        );
    }
    assert!(
        !p.body.contains("id=\"poa_date-error\""),
        "the date was right"
    );
    let order: Vec<usize> = [
        "href=\"#name\"",
        "href=\"#rep_iin\"",
        "href=\"#poa_number\"",
    ]
    .iter()
    .map(|a| {
        p.body
            .find(a)
            .unwrap_or_else(|| panic!("{a} in the summary"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "summary order {order:?}"
    );
    assert!(p.body.contains("Өкілдің ЖСН-і: ЖСН дұрыс емес"));
    assert!(p.body.contains("Сенімхаттың нөмірін енгізіңіз"));
    assert!(
        p.body.contains("value=\"76021235062\""),
        "typed values kept"
    );
    assert!(p.body.contains("value=\"2026-11-02\""));
    assert!(p.body.contains("value=\"Асанов Нұрлан\""), "the form kept");
    // Only the number and date: the IIN is asked for, not called wrong.
    let mut form = intake_form(&csrf, "871008401427", &SERVICE_A_DOCS);
    form.extend([("poa_number", "12"), ("poa_date", "2026-11-02")]);
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains("Өкілдің ЖСН-і: Бұл өрісті толтырыңыз."),
        "{}",
        p.body
    );
    assert_eq!(
        taken(&app.get("/work", &clerk).await.body),
        before,
        "nothing taken in"
    );

    // A power of attorney's number is up to 100 characters, not bytes: a
    // Cyrillic one of 60 is taken.
    let number = "Д".repeat(60);
    let mut form = intake_form(&csrf, "871008401427", &SERVICE_A_DOCS);
    form.extend([
        ("rep_iin", "760212350620"),
        ("poa_number", number.as_str()),
        ("poa_date", "2026-11-02"),
    ]);
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(
        taken(&app.get("/work", &clerk).await.body) > before,
        "the journal shows what is taken in (so the count above can tell)"
    );
    let to = p.header("location");
    let p = app.get(to, &clerk).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("760212350620 (") && p.body.contains(&number),
        "the case names the representative and the power of attorney: {}",
        p.body
    );
    assert!(p.body.contains("2026-11-02"));

    // One of 101 is refused on the page, as the API would.
    let long = "Д".repeat(101);
    let mut form = intake_form(&csrf, "871008401427", &SERVICE_A_DOCS);
    form.extend([
        ("rep_iin", "760212350620"),
        ("poa_number", long.as_str()),
        ("poa_date", "2026-11-02"),
    ]);
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &form)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"poa_number-error\""), "{}", p.body);
    assert!(!p.body.contains("id=\"rep_iin-error\""));
}

#[tokio::test]
async fn the_office_takes_a_paper_application_through_every_staff_page() {
    let app = app_plain().await;
    let (clerk, landing) = staff_login(&app, "clerk").await;
    assert_eq!(landing, "/work", "the clerk lands in the workspace");
    let (head, _) = staff_login(&app, "head").await;
    let (specialist, landing) = staff_login(&app, "specialist").await;
    assert_eq!(landing, "/work");

    // The clerk's journal and the intake form from the catalog.
    let p = app.get("/work", &clerk).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Кіріс хат-хабар журналы"), "{}", p.body);
    assert!(
        p.body.contains("href=\"/work/intake\""),
        "the nav offers intake"
    );
    // Each queue says how many cases it holds: as many as its rows (the
    // demo's own cases among them).
    let queued = |body: &str| -> usize {
        let (_, after) = body
            .split_once("Кезек <span class=\"count\">(")
            .unwrap_or_else(|| panic!("no count: {body}"));
        let n = after.split(')').next().unwrap().parse().unwrap();
        let table = body.split("<table id=\"queue\">").nth(1).unwrap_or("");
        let table = table.split("</table>").next().unwrap();
        assert_eq!(table.matches("<tr").count().saturating_sub(1), n, "{body}");
        n
    };
    let clerk_had = queued(&p.body);
    assert!(!p.body.contains("id=\"queue-overdue\""));
    let p = app.get("/work/intake/meeting-permission", &clerk).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("name=\"f.child.iin\""));
    for d in SERVICE_A_DOCS {
        assert!(p.body.contains(&format!("value=\"{d}\"")), "{d}");
    }
    // A mistyped IIN is answered on the page, field by field; nothing kept.
    let csrf = csrf_of(&clerk);
    let p = app
        .post_form(
            "/work/intake/meeting-permission",
            &clerk,
            &intake_form(&csrf, "871008401428", &SERVICE_A_DOCS),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"iin-error\""), "{}", p.body);
    assert!(p.body.contains("ЖСН дұрыс емес"));
    assert!(
        p.body.contains("value=\"Асанов Нұрлан\""),
        "typed values kept"
    );
    // A child born another day than the IIN says, asked to meet on a day
    // already past: each said at its field, in the reader's language.
    let mut other_day = intake_form(&csrf, "871008401427", &SERVICE_A_DOCS);
    set(&mut other_day, "f.child.birth_date", "2020-03-16");
    set(&mut other_day, "f.meeting.preferred_date", "2020-01-01");
    let p = app
        .post_form("/work/intake/meeting-permission", &clerk, &other_day)
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body.contains(
            "id=\"f-child-birth_date-error\">Туған күн ЖСН-дағы күнге сәйкес келмейді: 15.03.2020."
        ),
        "{}",
        p.body
    );
    assert!(
        p.body.contains(
            "id=\"f-meeting-preferred_date-error\">Бұл күн бүгіннен бұрын болмауы керек."
        ),
        "{}",
        p.body
    );

    let id = take_in(&app, &clerk).await;
    assert_eq!(queued(&app.get("/work", &clerk).await.body), clerk_had + 1);
    let p = app
        .get(&format!("/work/applications/{id}?done=intake"), &clerk)
        .await;
    assert!(p.body.contains("Өтініш қабылданды"));
    assert!(p.body.contains("id=\"receipt\""), "the receipt is offered");
    assert!(p.body.contains("Тіркеу және басшыға жіберу"));
    let stale = etag_of(&p.body);
    // The auditor and the administrator, brought here by a link, are given
    // the case's history.
    for who in ["auditor", "admin"] {
        let (reader, _) = staff_login(&app, who).await;
        let p = app.get(&format!("/work/applications/{id}"), &reader).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{who}");
        assert_eq!(p.header("location"), format!("/audit/applications/{id}"));
        let p = app.get("/work/applications/nope%0A", &reader).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
    }
    // Register: the clerk sends it to the head.
    let p = act_on(&app, &clerk, &id, &[("action", "complete")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(p.header("location").starts_with("/work?done=KZ-"));

    // The head's inbox has it; a stale form is refused, what was chosen kept.
    let p = app.get("/work", &head).await;
    assert!(p.body.contains(&format!("/work/applications/{id}")));
    assert!(queued(&p.body) >= 1);
    // The demo left the head a case past its deadline: the count of the
    // overdue is said above the queue, as many as its rows marked so.
    let late = p.body.matches("<tr class=\"overdue\">").count();
    assert!(late >= 1, "{}", p.body);
    assert!(
        p.body.contains(&format!(
            "id=\"queue-overdue\"><span class=\"tag tag-warn\">Мерзімі өткендері: {late}</span>"
        )),
        "{}",
        p.body
    );
    assert_eq!(queued(&app.get("/work", &clerk).await.body), clerk_had);
    let csrf = csrf_of(&head);
    let p = app
        .post_form(
            &format!("/work/applications/{id}/act"),
            &head,
            &[
                ("csrf", &csrf),
                ("etag", &stale),
                ("action", "complete"),
                ("assignee", "specialist"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::PRECONDITION_FAILED);
    assert!(p.body.contains("Өтініш өзгерді"), "{}", p.body);
    assert!(p.body.contains("value=\"specialist\" selected"));
    // The wrong role: the clerk cannot resolve.
    let p = act_on(
        &app,
        &clerk,
        &id,
        &[("action", "complete"), ("assignee", "specialist")],
    )
    .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("Рұқсат жоқ"), "{}", p.body);
    // The resolution names a specialist from the provider's list.
    let p = app.get(&format!("/work/applications/{id}"), &head).await;
    assert!(
        p.body.contains("<option value=\"specialist\""),
        "{}",
        p.body
    );
    let p = act_on(
        &app,
        &head,
        &id,
        &[("action", "complete"), ("assignee", "specialist")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // The case names whom the resolution named.
    let p = app.get(&format!("/work/applications/{id}"), &clerk).await;
    assert!(
        p.body.contains("<dd id=\"assigned-to\">") && p.body.contains("(specialist)</dd>"),
        "{}",
        p.body
    );

    // The specialist: the worklist, the documents against item 9, pause
    // and resume, then the review drafts the result.
    let p = app.get("/work", &specialist).await;
    assert!(p.body.contains("Менің жұмыс тізімім"));
    assert!(p.body.contains(&format!("/work/applications/{id}")));
    assert!(queued(&p.body) >= 1);
    let p = app
        .get(&format!("/work/applications/{id}"), &specialist)
        .await;
    assert!(p.body.contains("id=\"documents\""));
    assert_eq!(p.body.matches("tag\">ұсынылды").count(), 3, "{}", p.body);
    // Reading their own case, the specialist sees their name, not only
    // their login.
    let named = p.body.split("<dd id=\"assigned-to\">").nth(1).unwrap();
    let named = named.split("</dd>").next().unwrap();
    assert!(
        named.ends_with(" (specialist)") && named.len() > " (specialist)".len(),
        "{named}"
    );
    assert!(p.body.contains("Асанов Нұрлан"), "the form's data");
    assert!(
        p.body.contains("name=\"grounds\""),
        "refusal grounds offered"
    );
    let p = act_on(
        &app,
        &specialist,
        &id,
        &[("action", "pause"), ("comment", "анықтама күтілуде")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app
        .get(&format!("/work/applications/{id}"), &specialist)
        .await;
    assert!(p.body.contains("id=\"resume-form\""));
    assert!(!p.body.contains("id=\"pause-form\""));
    // The worklist says its date is when the pause ends, not a deadline.
    let list = app.get("/work", &specialist).await;
    assert!(
        list.body.contains("<td>Тоқтатылған мерзім соңы 20"),
        "{}",
        list.body
    );
    let p = act_on(&app, &specialist, &id, &[("action", "resume")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = act_on(&app, &specialist, &id, &[("action", "complete")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);

    // The head signs (documents are off in this app: no seal needed), the
    // clerk issues.
    let p = app.get(&format!("/work/applications/{id}"), &head).await;
    assert!(p.body.contains("id=\"sign-form\""), "a .p7s may be sent");
    assert!(p.body.contains("id=\"draft-result\""), "the draft to read");
    let p = act_on(&app, &head, &id, &[("action", "complete")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = act_on(&app, &clerk, &id, &[("action", "complete")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app.get(&format!("/work/applications/{id}"), &clerk).await;
    assert!(p.body.contains("status-completed"), "{}", p.body);
    assert!(!p.body.contains("id=\"actions\""), "nothing left to do");
}

#[tokio::test]
async fn a_refusal_with_grounds_an_incomplete_package_and_the_wrong_people() {
    let app = app_plain().await;
    let (clerk, _) = staff_login(&app, "clerk").await;
    let (head, _) = staff_login(&app, "head").await;
    let (specialist, _) = staff_login(&app, "specialist").await;

    // Service A refuses an incomplete package at intake, with a receipt.
    let csrf = csrf_of(&clerk);
    let p = app
        .post_form(
            "/work/intake/meeting-permission",
            &clerk,
            &intake_form(&csrf, "871008401427", &["application"]),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(p.header("location").ends_with("?done=intake-refused"));
    let p = app.get(p.header("location"), &clerk).await;
    assert!(p.body.contains("status-rejected-at-intake"), "{}", p.body);
    assert!(
        p.body.contains("бас тартылды. Бас тарту туралы қолхатты")
            && !p.body.contains("Өтініш қабылданды"),
        "the notice says it was refused, not taken in"
    );
    assert!(p.body.contains("id=\"receipt\""));
    assert_eq!(p.body.matches("tag tag-warn\">ұсынылмады").count(), 2);

    let id = take_in(&app, &clerk).await;
    act_on(&app, &clerk, &id, &[("action", "complete")]).await;
    act_on(
        &app,
        &head,
        &id,
        &[("action", "complete"), ("assignee", "specialist")],
    )
    .await;
    // Without a ground the page says which is missing; the reason typed
    // stays.
    let p = act_on(
        &app,
        &specialist,
        &id,
        &[
            ("action", "refuse"),
            ("reason", "Анықтаманың мерзімі өткен"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("class=\"error-summary\""));
    assert!(p.body.contains("Бас тарту негізі таңдалмады"), "{}", p.body);
    assert!(p.body.contains(">Анықтаманың мерзімі өткен</textarea>"));
    // The office withdraws on the applicant's written request, ticked; not
    // ticked, nothing happens.
    let other = take_in(&app, &clerk).await;
    let p = act_on(&app, &clerk, &other, &[("action", "withdraw")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(
        p.body.contains("Кері қайтарып алу расталмады"),
        "{}",
        p.body
    );
    let case = app.state.store().get(&other).await.unwrap();
    assert_eq!(case.row.status, "in-progress");
    let p = act_on(
        &app,
        &clerk,
        &other,
        &[("action", "withdraw"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let case = app.state.store().get(&other).await.unwrap();
    assert_eq!(case.row.status, "withdrawn");
    let p = act_on(
        &app,
        &specialist,
        &id,
        &[
            ("action", "refuse"),
            ("grounds", "documents-violation"),
            ("reason", "Анықтаманың мерзімі өткен"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    // The head sees the grounds named as the regulation names them.
    let p = app
        .get(&format!("/work/applications/{id}?lang=ru"), &head)
        .await;
    assert!(p.body.contains("id=\"refusal-title\""), "{}", p.body);
    assert!(p.body.contains("Анықтаманың мерзімі өткен"));
    // A head's own signature that is not one is refused on the page, in
    // the reader's language; the case stays at signing.
    let etag = etag_of(&p.body);
    let csrf = csrf_of(&head);
    let sign = format!("/work/applications/{id}/sign");
    let p = app
        .post_multipart(
            &sign,
            &head,
            &[("csrf", &csrf), ("etag", &etag)],
            &[("signature", "result.p7s", b"not a signature")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("Қолтаңба файлы оқылмады"), "{}", p.body);
    assert!(p.body.contains("id=\"sign-form\""), "still at signing");
    // Without the form's token the upload is refused before anything.
    let p = app
        .post_multipart(
            &sign,
            &head,
            &[("etag", &etag)],
            &[("signature", "r.p7s", b"0")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The workspace is the office's: an applicant is refused, an unknown
    // action too, and another specialist never sees the case.
    let applicant = app.login("871008401427", "demo-applicant").await;
    assert_eq!(
        app.get("/work", &applicant).await.status,
        StatusCode::FORBIDDEN
    );
    let p = app
        .get(&format!("/work/applications/{id}"), &applicant)
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = act_on(&app, &head, &id, &[("action", "explode")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let p = app.get("/work/intake/meeting-permission", &head).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // The head's list of specialists to name; a specialist has none to name.
    for (user, want) in [
        ("head", StatusCode::OK),
        ("specialist", StatusCode::FORBIDDEN),
    ] {
        let login = app
            .send(
                Request::post("/api/v1/auth/login")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(format!(
                        r#"{{"username":"{user}","password":"demo-{user}"}}"#
                    )))
                    .unwrap(),
            )
            .await;
        let token: serde_json::Value = serde_json::from_str(&login.body).unwrap();
        let p = app
            .send(
                Request::get("/api/v1/staff/specialists")
                    .header(
                        header::AUTHORIZATION,
                        format!("Bearer {}", token["token"].as_str().unwrap()),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(p.status, want, "{user}: {}", p.body);
        if want == StatusCode::OK {
            assert!(p.body.contains(r#""username":"specialist""#), "{}", p.body);
        }
    }
}
