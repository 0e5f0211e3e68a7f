//! The State Corporation operator's workstation over real HTTP, with the
//! sandbox gateway and this server's own endpoint as the provider: the
//! applicant's data from the individuals database, the power of attorney
//! in the notary system, a registry that does not answer, an incomplete
//! package refused on the spot with its receipt, a complete one sent to the
//! provider through the gateway and registered there, and the result issued
//! by the operator once it has come back.

mod support;

use qyzmet_store::jobs::{JobHandler, JobRunner};
use qyzmet_web::AppState;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

const APPLICANT: &str = "871008401427";
const ATTORNEY: &str = "760212350620";
/// A valid IIN the registry does not know.
const NOBODY: &str = "800416300257";

struct Server {
    base: String,
    state: AppState,
    node: qyzmet_gateway::Node,
    sandbox: qyzmet_gateway::sandbox::Running,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// One browser's cookies, kept by hand (no redirects are followed, so every
/// `Set-Cookie` is seen).
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn take(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all(reqwest::header::SET_COOKIE) {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.0.insert(k.to_owned(), v.to_owned());
        }
    }

    fn csrf(&self) -> String {
        self.0["qz_csrf"].clone()
    }
}

struct Seen {
    status: u16,
    location: String,
    content_type: String,
    body: String,
    bytes: Vec<u8>,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    let store = qyzmet_store::connect(&url).await.unwrap();
    let (catalog, calendar) = support::catalog_and_calendar().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = qyzmet_gateway::Sandbox::new(qyzmet_gateway::registry::demo())
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    let mut cfg = qyzmet_gateway::ClientConfig::new(&sandbox.url, "qyzmet", "test-secret");
    cfg.attempts = 1;
    cfg.timeout = std::time::Duration::from_secs(2);
    let node = qyzmet_gateway::Node::new(
        cfg,
        Arc::new(qyzmet_gateway::NodeKey::generate("qyzmet")),
        store.clone(),
    );
    // This server is the provider's endpoint at the gateway.
    let endpoint = format!("{base}{}", qyzmet_gateway::delivery::INBOX_PATH);
    node.join_sandbox(&sandbox.sandbox, Some(&endpoint));
    // As `serve --demo` has it: the demo PKI trusted, results sealed by the
    // demo head's key, packages signed by the demo operator's.
    let pki = qyzmet_pki::demo::ensure(&dir.path().join("demo-pki")).unwrap();
    let documents = qyzmet_web::documents::Settings::new(
        Some(Arc::new(qyzmet_web::documents::P12Sealer::new(
            pki.signer("head").unwrap(),
        ))),
        Some(Arc::new(support::demo_verifier(&pki))),
    );
    let state = AppState::new(catalog, calendar, store, base.clone(), true)
        .with_verifier(support::demo_verifier(&pki))
        .with_documents(documents)
        .with_registry(node.registry.clone() as Arc<dyn qyzmet_gateway::Registry>)
        .with_inbox(node.inbox.clone())
        .with_gateway_client(node.client.clone())
        .with_operator_signer(Arc::new(pki.signer("operator").unwrap()));
    qyzmet_web::demo::seed(&state).await.unwrap();
    let stop = support::serve_in_background(listener, state.clone());
    Server {
        base,
        state,
        node,
        sandbox,
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _dir: dir,
        _stop: stop,
    }
}

impl Server {
    async fn seen(res: reqwest::Response, jar: &mut Jar) -> Seen {
        jar.take(&res);
        let h = |n| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (status, location, content_type) = (
            res.status().as_u16(),
            h(reqwest::header::LOCATION),
            h(reqwest::header::CONTENT_TYPE),
        );
        let bytes = res.bytes().await.unwrap().to_vec();
        Seen {
            status,
            location,
            content_type,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    async fn page(&self, jar: &mut Jar, path: &str) -> Seen {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT, "text/html")
            .header(reqwest::header::COOKIE, jar.header())
            .send()
            .await
            .unwrap();
        Self::seen(res, jar).await
    }

    async fn submit(&self, jar: &mut Jar, path: &str, fields: &[(&str, &str)]) -> Seen {
        let csrf = jar.csrf();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend_from_slice(fields);
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT, "text/html")
            .header(reqwest::header::COOKIE, jar.header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(serde_urlencoded::to_string(&form).unwrap())
            .send()
            .await
            .unwrap();
        Self::seen(res, jar).await
    }

    async fn log_in(&self, user: &str, password: &str) -> Jar {
        let mut jar = Jar::default();
        self.page(&mut jar, "/login").await;
        let r = self
            .submit(
                &mut jar,
                "/login",
                &[
                    ("login", user),
                    ("password", password),
                    ("next", "/operator"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        jar
    }

    /// The outbox run once: the gateway's messages and the documents.
    async fn run_jobs(&self) {
        let mut handlers: HashMap<String, Arc<dyn JobHandler>> =
            qyzmet_web::documents::job_handlers(&self.state);
        handlers.insert(
            qyzmet_gateway::SEND_JOB.into(),
            Arc::new(qyzmet_gateway::SendHandler::new(self.node.client.clone())),
        );
        JobRunner::new(self.state.store().clone(), handlers)
            .run_pending()
            .await
            .unwrap();
    }

    /// One JSON API call as `user`.
    async fn api(&self, user: &str, password: &str, path: &str, body: Option<Value>) -> Value {
        let login: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap();
        let url = format!("{}/api/v1{path}", self.base);
        let res = match body {
            None => self.http.get(url).bearer_auth(token).send().await.unwrap(),
            Some(b) => {
                let etag = self
                    .http
                    .get(url.trim_end_matches("/actions"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .headers()[reqwest::header::ETAG]
                    .to_str()
                    .unwrap()
                    .to_owned();
                self.http
                    .post(url)
                    .bearer_auth(token)
                    .header(reqwest::header::IF_MATCH, etag)
                    .json(&b)
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }
}

fn application_id(location: &str) -> String {
    location
        .strip_prefix("/operator/applications/")
        .unwrap_or_else(|| panic!("not an application: {location}"))
        .to_owned()
}

/// The form of meeting-permission as the operator types it, with the
/// documents presented.
fn package(docs: &[&str]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("iin", APPLICANT),
        ("f.child.iin", "200315500017"),
        ("f.child.name", "Асанов Нұрлан"),
        ("f.child.birth_date", "2020-03-15"),
        ("f.meeting.preferred_date", support::meeting_day()),
        ("f.meeting.place", "Қарағанды қаласының білім бөлімі"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for d in docs {
        f.push((format!("doc.{d}"), "on".to_owned()));
    }
    f
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn the_operators_workstation_from_the_registry_to_the_provider_and_back() {
    let s = server().await;
    let mut op = s.log_in("operator", "demo-operator").await;

    // The workstation: the services of this channel, and the way in.
    let home = s.page(&mut op, "/operator?lang=en").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home
        .body
        .contains("href=\"/operator/services/meeting-permission\""));
    assert!(
        home.body.contains("Operator&#39;s workstation")
            || home.body.contains("Operator's workstation")
    );
    // The others are not operators.
    let mut clerk = s.log_in("clerk", "demo-clerk").await;
    assert_eq!(s.page(&mut clerk, "/operator").await.status, 403);
    assert!(!s
        .page(&mut clerk, "/")
        .await
        .body
        .contains("href=\"/operator\""));

    // The applicant's data come from the individuals database, not typed.
    let path = "/operator/services/meeting-permission";
    let p = s.page(&mut op, &format!("{path}?iin={APPLICANT}")).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Асанова"), "{}", p.body);
    assert!(p.body.contains("1987-10-08"));
    assert!(p.body.contains("name=\"f.child.iin\""));
    assert!(p
        .body
        .contains("name=\"doc.application\" type=\"checkbox\""));
    assert!(p
        .body
        .contains(&format!("name=\"csrf\" value=\"{}\"", op.csrf())));
    assert!(!p.body.contains("style="));

    // Unknown to the registry, or not an IIN: said so, and no form to send.
    let p = s.page(&mut op, &format!("{path}?iin={NOBODY}")).await;
    assert!(p.body.contains("class=\"error-summary\""));
    assert!(!p
        .body
        .contains("method=\"post\" action=\"/operator/services"));
    let p = s.page(&mut op, &format!("{path}?iin=12345")).await;
    assert!(p.body.contains("class=\"error-summary\""));
    assert!(!p
        .body
        .contains("method=\"post\" action=\"/operator/services"));
    // The IINs' problems are said in the page's language, the
    // representative's as the applicant's.
    let said = |body: &str, label: &[&str; 3]| {
        [
            ("ЖСН дұрыс емес", label[0]),
            ("ИИН неверен", label[1]),
            ("The IIN is not valid", label[2]),
        ]
        .iter()
        .any(|(m, l)| body.contains(&format!("{l}: {m}")))
    };
    assert!(
        said(
            &p.body,
            &[
                "Өтініш берушінің ЖСН-і",
                "ИИН заявителя",
                "Applicant&#39;s IIN"
            ]
        ),
        "{}",
        p.body
    );
    let p = s
        .page(
            &mut op,
            &format!("{path}?iin={APPLICANT}&rep_iin=123&poa_number=N-1&poa_date=2026-01-15"),
        )
        .await;
    assert!(
        said(
            &p.body,
            &[
                "Өкілдің ЖСН-і",
                "ИИН представителя",
                "Representative&#39;s IIN"
            ]
        ),
        "{}",
        p.body
    );
    assert!(!p
        .body
        .contains("method=\"post\" action=\"/operator/services"));

    // A representative: the power of attorney as the notary system has it.
    let rep = |number: &str, date: &str| {
        format!("{path}?iin={APPLICANT}&rep_iin={ATTORNEY}&poa_number={number}&poa_date={date}")
    };
    let p = s.page(&mut op, &rep("DOV-2026-0001", "2026-01-15")).await;
    assert!(p.body.contains("poa-valid"), "{}", p.body);
    assert!(p
        .body
        .contains("method=\"post\" action=\"/operator/services"));
    for (number, date, verdict) in [
        ("DOV-2026-0001", "2026-01-16", "poa-mismatch"),
        ("DOV-2026-9999", "2026-01-15", "poa-unknown"),
    ] {
        let p = s.page(&mut op, &rep(number, date)).await;
        assert!(p.body.contains(verdict), "{verdict}: {}", p.body);
        assert!(!p
            .body
            .contains("method=\"post\" action=\"/operator/services"));
    }

    // The demo's own State Corporation sample reaches the provider first:
    // one package.
    s.run_jobs().await;
    assert_eq!(s.state.store().inbound_count().await.unwrap(), 1);

    // An incomplete package: refused on the spot, the receipt to print,
    // nothing sent.
    let incomplete = package(&["application"]);
    let r = s.submit(&mut op, path, &pairs(&incomplete)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let refused = application_id(&r.location);
    s.run_jobs().await;
    assert_eq!(s.state.store().inbound_count().await.unwrap(), 1);
    let p = s
        .page(
            &mut op,
            &format!("/operator/applications/{refused}?lang=en"),
        )
        .await;
    assert!(
        p.body.contains("Refusal to accept the documents"),
        "{}",
        p.body
    );
    let receipt = p
        .body
        .split("href=\"/operator/documents/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a receipt link")
        .to_owned();
    let pdf = s
        .page(&mut op, &format!("/operator/documents/{receipt}"))
        .await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    // A form the schema refuses is drawn again with the problem linked.
    let mut bad = package(&[
        "application",
        "identity-document",
        "supporting-certificates",
    ]);
    bad.retain(|(k, _)| k != "f.child.iin");
    bad.push(("f.child.iin".into(), "123".into()));
    let r = s.submit(&mut op, path, &pairs(&bad)).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-child-iin\""), "{}", r.body);

    // The complete package goes to the provider through the gateway and is
    // registered there.
    let complete = package(&[
        "application",
        "identity-document",
        "supporting-certificates",
    ]);
    let r = s.submit(&mut op, path, &pairs(&complete)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = application_id(&r.location);
    let p = s
        .page(&mut op, &format!("/operator/applications/{id}?lang=en"))
        .await;
    assert!(p.body.contains("The package is on its way to the provider"));
    s.run_jobs().await;
    assert_eq!(s.state.store().inbound_count().await.unwrap(), 2);
    let events = s
        .api(
            "operator",
            "demo-operator",
            &format!("/applications/{id}/events"),
            None,
        )
        .await;
    assert!(events
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "package-registered"));
    let p = s
        .page(&mut op, &format!("/operator/applications/{id}?lang=en"))
        .await;
    assert!(
        p.body
            .contains("The package was registered at the provider"),
        "{}",
        p.body
    );
    let list = s.page(&mut op, "/operator").await;
    assert!(list.body.contains(&format!("/operator/applications/{id}")));

    // The provider works it; the operator issues the result.
    let act = |user: &'static str, pw: &'static str, body: Value| {
        let path = format!("/applications/{id}/actions");
        let s = &s;
        async move { s.api(user, pw, &path, Some(body)).await }
    };
    act("clerk", "demo-clerk", json!({"action": "complete"})).await;
    act(
        "head",
        "demo-head",
        json!({"action": "complete", "assignee": "specialist"}),
    )
    .await;
    act(
        "specialist",
        "demo-specialist",
        json!({"action": "complete"}),
    )
    .await;
    let p = s
        .page(&mut op, &format!("/operator/applications/{id}"))
        .await;
    assert!(
        !p.body.contains("/issue\""),
        "not before the result is signed"
    );
    // The result's draft is rendered, then the head seals it.
    s.run_jobs().await;
    act("head", "demo-head", json!({"action": "complete"})).await;
    // The sealed result comes back through the gateway; until it has, the
    // page says so and issuing is refused.
    let p = s
        .page(&mut op, &format!("/operator/applications/{id}?lang=ru"))
        .await;
    assert!(p.body.contains("Результат ещё не поступил"), "{}", p.body);
    assert!(!p.body.contains("/issue\""), "{}", p.body);
    let early = s
        .submit(&mut op, &format!("/operator/applications/{id}/issue"), &[])
        .await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(
        early.body.contains("Результат ещё не поступил"),
        "{}",
        early.body
    );
    s.run_jobs().await;
    let p = s
        .page(&mut op, &format!("/operator/applications/{id}?lang=ru"))
        .await;
    assert!(
        p.body.contains("Результат поступил через шлюз"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains(&format!("action=\"/operator/applications/{id}/issue\"")),
        "{}",
        p.body
    );
    let r = s
        .submit(&mut op, &format!("/operator/applications/{id}/issue"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = s.page(&mut op, &r.location).await;
    assert!(p.body.contains("Результат выдан заявителю."), "{}", p.body);
    assert!(p.body.contains("status-completed"));
    let v = s
        .api(
            "operator",
            "demo-operator",
            &format!("/applications/{id}"),
            None,
        )
        .await;
    assert_eq!(v["status"], "completed");
    let result = v["result"]["document"].as_str().unwrap();
    let pdf = s
        .page(&mut op, &format!("/operator/documents/{result}"))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    // Issued once: the form is gone, and a second post is refused.
    assert!(!p.body.contains("/issue\""));
    let again = s
        .submit(&mut op, &format!("/operator/applications/{id}/issue"), &[])
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn when_the_registry_cannot_answer_nothing_is_sent() {
    let s = server().await;
    let mut op = s.log_in("operator", "demo-operator").await;
    s.sandbox
        .sandbox
        .set_faults(qyzmet_gateway::Faults {
            outage_seconds: 60,
            ..Default::default()
        })
        .unwrap();
    let path = "/operator/services/meeting-permission";
    let p = s
        .page(&mut op, &format!("{path}?iin={APPLICANT}&lang=en"))
        .await;
    assert_eq!(p.status, 200);
    assert!(
        p.body
            .contains("Nothing was stored or sent to the provider."),
        "{}",
        p.body
    );
    assert!(!p
        .body
        .contains("method=\"post\" action=\"/operator/services"));
    // A form posted anyway (from a page drawn before the outage): the API
    // refuses it and nothing is stored.
    let count = || async {
        s.api("auditor", "demo-auditor", "/applications?limit=100", None)
            .await["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = count().await;
    let complete = package(&[
        "application",
        "identity-document",
        "supporting-certificates",
    ]);
    let r = s.submit(&mut op, path, &pairs(&complete)).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r
        .body
        .contains("Nothing was stored or sent to the provider."));
    assert_eq!(count().await, before);
}
