//! The test application: the real router served over TCP on a free port,
//! its own database (a SQLite file, or a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set), the real catalog and calendar, the demo
//! users, and a clock the test moves by hand.

use chrono::{DateTime, Utc};
use qyzmet_store::{NewUser, Store};
use qyzmet_web::AppState;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Generates a `sqlite` and a `postgres` test of each `async fn NAME(app:
/// &TestApp)` named; the PostgreSQL one passes without doing anything when
/// `TEST_DATABASE_URL` is not set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite)
                        .await
                        .expect("SQLite is always there");
                    super::$name(&app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(app) =
                        $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$name(&app).await;
                }
            )*
        }
    };
}

pub const PROVIDER: &str = "karaganda-city-education";
/// The two applicants the demo knows.
pub const P1: &str = "871008401427";
pub const P2: &str = "760212350620";
/// Tuesday 2026-11-24, 10:00 in Almaty: a working day, inside working hours.
pub const START: &str = "2026-11-24T10:00:00+05:00";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// (username, password, role, provider, iin).
type TestUser = (String, String, String, Option<String>, Option<String>);

/// The demo users and a few more.
fn users() -> Vec<TestUser> {
    let mut out: Vec<_> = qyzmet_web::demo::USERS
        .iter()
        .map(|(u, p, r, prov, iin, _)| {
            (
                u.to_string(),
                p.to_string(),
                r.to_string(),
                prov.map(str::to_owned),
                iin.map(str::to_owned),
            )
        })
        .collect();
    let extra = [
        ("specialist2", "specialist", Some(PROVIDER)),
        ("other-clerk", "clerk", Some("other-provider")),
        ("other-head", "head", Some("other-provider")),
        ("other-specialist", "specialist", Some("other-provider")),
    ];
    for (u, r, prov) in extra {
        out.push((
            u.into(),
            format!("pw-{u}"),
            r.into(),
            prov.map(str::to_owned),
            None,
        ));
    }
    out
}

/// Password of a test user.
pub fn password(user: &str) -> String {
    users()
        .into_iter()
        .find(|u| u.0 == user)
        .map(|u| u.1)
        .unwrap_or_else(|| panic!("no test user `{user}`"))
}

/// Each password hashed once per test binary (argon2 is slow on purpose).
fn hashes() -> &'static HashMap<String, String> {
    static H: OnceLock<HashMap<String, String>> = OnceLock::new();
    H.get_or_init(|| {
        let mut by_password: HashMap<String, String> = HashMap::new();
        users()
            .into_iter()
            .map(|(u, p, ..)| {
                let h = by_password
                    .entry(p.clone())
                    .or_insert_with(|| qyzmet_web::auth::hash_password(&p))
                    .clone();
                (u, h)
            })
            .collect()
    })
}

use crate::support::catalog_and_calendar;

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

pub struct TestApp {
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    /// The sandbox gateway the State Corporation's lookups go through.
    pub sandbox: qyzmet_gateway::sandbox::Running,
    /// This node's gateway pieces (key, client, endpoint).
    pub gateway: qyzmet_gateway::Node,
    /// The database's URL, for another node on it.
    db_url: String,
    clock: Arc<AtomicI64>,
    /// Tokens by user, with the instant each was had.
    tokens: Mutex<HashMap<String, (String, DateTime<Utc>)>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    // Declared last: dropped after the server is told to stop.
    _dir: Option<tempfile::TempDir>,
    _pg: Option<crate::support::FreshPg>,
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag: {}", self.text))
            .to_owned()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        self.expect(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let b = &self.body;
        assert_eq!(b["status"], status, "{}", self.text);
        assert_eq!(b["code"], code, "{}", self.text);
        assert_eq!(
            b["type"],
            format!("urn:qyzmet:problem:{code}"),
            "{}",
            self.text
        );
        assert!(
            b["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            self.text
        );
        if code != "internal" {
            // A code without its own text would fall back to the internal
            // error's.
            for internal in ["Ішкі қате", "Внутренняя ошибка", "Internal error"]
            {
                assert_ne!(b["title"], internal, "{}", self.text);
            }
        }
        assert!(
            b["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            self.text
        );
        let rid = b["request_id"].as_str().unwrap_or_default();
        assert!(!rid.is_empty(), "{}", self.text);
        assert_eq!(self.header("x-request-id"), Some(rid));
        self
    }

    /// The `path`s of the problem's `errors`.
    pub fn error_paths(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["path"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An application as the test follows it: its id and the last ETag.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub etag: String,
    pub body: Value,
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, Default::default()).await
}

/// [`spawn_app`] with result documents configured (off by default).
pub async fn spawn_app_with(
    backend: Backend,
    documents: qyzmet_web::documents::Settings,
) -> Option<TestApp> {
    spawn_app_signing(backend, documents, None).await
}

/// [`spawn_app_with`] whose State Corporation packages are signed by
/// `operator`, checked at the provider's endpoint by `verifier`.
pub async fn spawn_app_signing(
    backend: Backend,
    documents: qyzmet_web::documents::Settings,
    operator: Option<(Arc<qyzmet_pki::Signer>, qyzmet_pki::Verifier)>,
) -> Option<TestApp> {
    let (url, dir, pg) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/qyzmet.db", dir.path().display());
            (url, Some(dir), None)
        }
        Backend::Postgres => {
            let pg = crate::support::FreshPg::create("qyzmet_web_test").await?;
            (pg.url.clone(), None, Some(pg))
        }
    };
    let store: Arc<dyn Store> = qyzmet_store::connect(&url).await.expect("the store opens");
    let (catalog, calendar) = catalog_and_calendar().clone();
    let clock = Arc::new(AtomicI64::new(at(START).timestamp_micros()));
    let read = clock.clone();
    let state = AppState::with_clock(
        catalog,
        calendar,
        store.clone(),
        "http://qyzmet.test".into(),
        false,
        Arc::new(move || {
            DateTime::from_timestamp_micros(read.load(Ordering::SeqCst)).expect("a sane instant")
        }),
    )
    .with_calendar_source(crate::support::calendar_data())
    .with_documents(documents);
    // The registries answer through a sandbox gateway of the test's own.
    let sandbox = qyzmet_gateway::Sandbox::new(qyzmet_gateway::registry::generated(100))
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    let mut cfg = qyzmet_gateway::ClientConfig::new(&sandbox.url, "qyzmet", "test-secret");
    cfg.attempts = 2;
    cfg.timeout = std::time::Duration::from_secs(2);
    cfg.backoff_base = std::time::Duration::from_millis(10);
    let node = qyzmet_gateway::Node::new(
        cfg,
        Arc::new(qyzmet_gateway::NodeKey::generate("qyzmet")),
        store.clone(),
    );
    node.join_sandbox(&sandbox.sandbox, None);
    let state = state
        .with_registry(node.registry.clone() as Arc<dyn qyzmet_gateway::Registry>)
        .with_inbox(node.inbox.clone())
        .with_gateway_client(node.client.clone());
    let state = match operator {
        Some((signer, verifier)) => state.with_operator_signer(signer).with_verifier(verifier),
        None => state,
    };
    let hashes = hashes();
    for (username, _, role, provider, iin) in users() {
        store
            .create_user(NewUser {
                password_hash: hashes[&username].clone(),
                display_name: format!("{username} (test)"),
                username,
                role,
                provider,
                iin,
                created_at: at(START),
            })
            .await
            .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let tx = crate::support::serve_in_background(listener, state.clone());
    Some(TestApp {
        address,
        state,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        sandbox,
        gateway: node,
        db_url: url,
        clock,
        tokens: Mutex::new(HashMap::new()),
        _shutdown: tx,
        _dir: dir,
        _pg: pg,
    })
}

/// Another node on the test's database: its own store, the same catalog,
/// calendar, clock and documents, served on a port of its own (without a
/// gateway).
pub struct OtherNode {
    pub address: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn other_node(&self) -> OtherNode {
        let store: Arc<dyn Store> = qyzmet_store::connect(&self.db_url)
            .await
            .expect("the store opens");
        let (catalog, calendar) = catalog_and_calendar().clone();
        let read = self.clock.clone();
        let state = AppState::with_clock(
            catalog,
            calendar,
            store,
            "http://qyzmet.test".into(),
            false,
            Arc::new(move || {
                DateTime::from_timestamp_micros(read.load(Ordering::SeqCst))
                    .expect("a sane instant")
            }),
        )
        .with_calendar_source(crate::support::calendar_data())
        .with_documents(self.state.documents().clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let tx = crate::support::serve_in_background(listener, state);
        OtherNode {
            address,
            _shutdown: tx,
        }
    }
}

pub async fn read(res: reqwest::Response) -> Resp {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        body,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.clock.load(Ordering::SeqCst)).unwrap()
    }

    /// Sets the clock (RFC 3339, any offset).
    pub fn set_now(&self, t: &str) {
        self.clock.store(at(t).timestamp_micros(), Ordering::SeqCst);
    }

    pub fn advance_minutes(&self, m: i64) {
        self.clock.fetch_add(m * 60_000_000, Ordering::SeqCst);
    }

    /// Logs in through the API: staff by username, applicants by IIN.
    pub async fn login_raw(&self, user: &str, password: &str) -> Resp {
        let body = if user.len() == 12 && user.bytes().all(|b| b.is_ascii_digit()) {
            json!({"iin": user, "password": password})
        } else {
            json!({"username": user, "password": password})
        };
        read(
            self.client
                .post(self.url("/api/v1/auth/login"))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A token for `user`: logged in once, reused while the clock is
    /// within an hour of that login (tests move the clock by days).
    pub async fn login(&self, user: &str) -> String {
        if let Some((t, when)) = self.tokens.lock().unwrap().get(user) {
            if (self.now() - *when).num_minutes().abs() < 60 {
                return t.clone();
            }
        }
        let r = self.login_raw(user, &password(user)).await;
        r.expect(200);
        let t = r.body["token"].as_str().expect("a token").to_owned();
        self.tokens
            .lock()
            .unwrap()
            .insert(user.into(), (t.clone(), self.now()));
        t
    }

    pub async fn get(&self, user: &str, path: &str) -> Resp {
        let token = self.login(user).await;
        read(
            self.client
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, user: &str, path: &str, body: &Value) -> Resp {
        let token = self.login(user).await;
        read(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST /api/v1/applications` as `user`.
    pub async fn take_in(&self, user: &str, body: &Value) -> Resp {
        self.post(user, "/api/v1/applications", body).await
    }

    /// Takes in and expects 201 with the ETag `"1"`.
    pub async fn take_in_ok(&self, user: &str, body: &Value) -> Case {
        let r = self.take_in(user, body).await;
        r.expect(201);
        assert_eq!(r.etag(), "\"1\"");
        Case {
            id: r.body["id"].as_str().unwrap().to_owned(),
            etag: r.etag(),
            body: r.body.clone(),
        }
    }

    /// `POST /api/v1/applications/{id}/actions` with `If-Match: etag`.
    pub async fn act(&self, user: &str, id: &str, etag: &str, body: &Value) -> Resp {
        self.act_at(&self.address, user, id, etag, body).await
    }

    /// [`TestApp::act`] sent to the node at `address`.
    pub async fn act_at(
        &self,
        address: &str,
        user: &str,
        id: &str,
        etag: &str,
        body: &Value,
    ) -> Resp {
        let token = self.login(user).await;
        read(
            self.client
                .post(format!("{address}/api/v1/applications/{id}/actions"))
                .bearer_auth(token)
                .header("If-Match", etag)
                .json(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Acts, expects 200 and the ETag one higher, and follows the case.
    #[track_caller]
    pub fn act_ok<'a>(
        &'a self,
        user: &'a str,
        case: &'a mut Case,
        body: Value,
    ) -> impl std::future::Future<Output = Value> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let r = self.act(user, &case.id, &case.etag, &body).await;
            assert_eq!(r.status, 200, "{user} {body} at {caller}: {}", r.text);
            let before: i64 = case.etag.trim_matches('"').parse().unwrap();
            let after: i64 = r.etag().trim_matches('"').parse().unwrap();
            assert_eq!(after, before + 1, "the ETag goes up by one");
            case.etag = r.etag();
            case.body = r.body.clone();
            r.body
        }
    }

    /// `GET /api/v1/applications/{id}` expecting 200.
    pub async fn read_case(&self, user: &str, id: &str) -> Value {
        let r = self.get(user, &format!("/api/v1/applications/{id}")).await;
        r.expect(200);
        r.body
    }

    pub async fn events(&self, id: &str) -> Vec<Value> {
        let r = self
            .get("auditor", &format!("/api/v1/applications/{id}/events"))
            .await;
        r.expect(200);
        r.body.as_array().unwrap().clone()
    }

    /// Ids of the applications `user` lists (one page of 500).
    pub async fn list_ids(&self, user: &str, query: &str) -> Vec<String> {
        let sep = if query.is_empty() { "" } else { "&" };
        let r = self
            .get(user, &format!("/api/v1/applications?limit=500{sep}{query}"))
            .await;
        r.expect(200);
        assert!(r.body["next_cursor"].is_null(), "{}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// How many applications exist (the auditor sees them all).
    pub async fn count(&self) -> usize {
        self.list_ids("auditor", "").await.len()
    }
}

// ------------------------------------------------------------ request bodies

pub fn docs(kinds: &[&str]) -> Value {
    Value::Array(
        kinds
            .iter()
            .map(|k| json!({"kind": k, "name": format!("{k} (paper)")}))
            .collect(),
    )
}

pub fn e_docs(kinds: &[&str]) -> Value {
    Value::Array(
        kinds
            .iter()
            .map(|k| json!({"kind": k, "name": format!("{k}.pdf"), "content": "JVBERi0xLjQKJcTl8uXrCg=="}))
            .collect(),
    )
}

pub const A_DOCS: &[&str] = &[
    "application",
    "identity-document",
    "supporting-certificates",
];
pub const B_DOCS: &[&str] = &["application", "patronage-contract", "study-certificate"];
pub const C_DOCS: &[&str] = &["court-decision", "child-iin", "bank-account"];

/// Service A's form. The meeting is asked for after every day the tests
/// set the clock to (the schema takes none in the past).
pub fn form_a() -> Value {
    json!({
        "child": {"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15"},
        "meeting": {"preferred_date": "2027-03-01", "place": "Қарағанды қаласының білім бөлімі"}
    })
}

pub fn form_b() -> Value {
    json!({
        "child": {"iin": "190901600034", "name": "Серікова Айгерім", "birth_date": "2019-09-01"},
        "patronage_contract": {"number": "ПТ-2026-014", "date": "2026-02-10"}
    })
}

pub fn form_c() -> Value {
    json!({
        "children": [{
            "iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15",
            "court_decision": {"number": "2-1234/2026", "date": "2026-01-20"}
        }],
        "bank_account": {"iban": "KZ86125KZT5004100100"}
    })
}

/// An intake body for `service` through `channel` by applicant `iin`, with
/// every required document (paper, or electronic on the portal).
pub fn intake(service: &str, channel: &str, iin: &str) -> Value {
    let (form, kinds) = match service {
        "meeting-permission" => (form_a(), A_DOCS),
        "foster-care-payment" => (form_b(), B_DOCS),
        "adoption-payment" => (form_c(), C_DOCS),
        other => panic!("no service {other}"),
    };
    let documents = if channel == "portal" {
        e_docs(kinds)
    } else {
        docs(kinds)
    };
    json!({
        "service": service,
        "channel": channel,
        "applicant": {"iin": iin, "name": "Test Applicant", "language": "kk"},
        "form": form,
        "documents": documents,
    })
}

pub fn complete() -> Value {
    json!({"action": "complete"})
}

pub fn assign(who: &str) -> Value {
    json!({"action": "complete", "assignee": who})
}

/// The codes of `actions` as `action:role`.
pub fn actions(app: &Value) -> Vec<String> {
    app["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{}:{}",
                a["action"].as_str().unwrap(),
                a["role"].as_str().unwrap()
            )
        })
        .collect()
}
