//! The pages' test harness: the real router (API and pages) over a fresh
//! SQLite database with the demo data and a sandbox gateway, requests sent
//! in process with the browser's cookies, and what came back.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use qyzmet_web::AppState;
use tower::ServiceExt;

pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
    pub fn cookie_value(&self, name: &str) -> Option<String> {
        let c = self.cookie(name)?;
        let v = c.split(';').next()?.split_once('=')?.1.to_owned();
        Some(v)
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub struct App {
    pub state: AppState,
    pub _dir: tempfile::TempDir,
    /// The sandbox gateway, serving as long as the app lives.
    pub _sandbox: Option<qyzmet_gateway::sandbox::Running>,
}

pub async fn app(base_url: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("q.db").display());
    let store = qyzmet_store::connect(&url).await.unwrap();
    let (catalog, calendar) = super::catalog_and_calendar().clone();
    let state = AppState::new(catalog, calendar, store.clone(), base_url.into(), true)
        .with_calendar_source(super::calendar_data());
    // The registries answer through a sandbox gateway with the demo people
    // (an application's IINs are looked up there).
    let sandbox = qyzmet_gateway::Sandbox::new(qyzmet_gateway::registry::demo())
        .spawn(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    let cfg = qyzmet_gateway::ClientConfig::new(&sandbox.url, "qyzmet", "test-secret");
    let node = qyzmet_gateway::Node::new(
        cfg,
        std::sync::Arc::new(qyzmet_gateway::NodeKey::generate("qyzmet")),
        store,
    );
    node.join_sandbox(&sandbox.sandbox, None);
    let state = state
        .with_registry(node.registry.clone() as std::sync::Arc<dyn qyzmet_gateway::Registry>)
        .with_inbox(node.inbox.clone())
        .with_gateway_client(node.client.clone());
    qyzmet_web::demo::seed(&state).await.unwrap();
    App {
        state,
        _dir: dir,
        _sandbox: Some(sandbox),
    }
}

impl App {
    pub async fn send(&self, req: Request<Body>) -> Page {
        let res = qyzmet_web::router(self.state.clone())
            .oneshot(req)
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookies: &str) -> Page {
        self.send(
            Request::get(path)
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, cookies)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, cookies: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(
            Request::post(path)
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, cookies)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// A CSRF cookie and token, as a first visit gets them.
    pub async fn csrf(&self) -> String {
        self.get("/", "")
            .await
            .cookie_value("qz_csrf")
            .expect("a first visit gets a CSRF cookie")
    }

    /// Logs the demo applicant in through the page; the cookies to send.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let csrf = self.csrf().await;
        let cookies = format!("qz_csrf={csrf}");
        let p = self
            .post_form(
                "/login",
                &cookies,
                &[
                    ("csrf", &csrf),
                    ("login", login),
                    ("password", password),
                    ("next", "/cabinet"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let session = p.cookie_value("qz_session").unwrap();
        format!("{cookies}; qz_session={session}")
    }
}

/// The CSRF token inside a cookie string made by [`App::login`].
pub fn csrf_of(cookies: &str) -> String {
    cookies
        .split("qz_csrf=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("a CSRF cookie")
        .to_owned()
}
