//! The HTML pages: the citizen's portal and the public pages, and the
//! foundation the staff's pages reuse — the layout and its context
//! ([`Ctx`]), the translations ([`i18n`]), sessions in a cookie over the
//! API's token store, CSRF tokens, the Content-Security-Policy and HTML
//! error pages. Pages speak to the application through the JSON API in
//! process ([`api`]), so a rule is enforced in one place only.

pub mod admin;
pub mod api;
pub mod assets;
pub mod audit;
pub mod cabinet;
pub mod catalog;
pub mod forms;
pub mod i18n;
pub mod monitoring;
pub mod operator;
pub mod representing;
pub mod schema_form;
pub mod session;
pub mod work;
pub mod work_intake;

use crate::auth::Principal;
use crate::lang::{Lang, ReqLang};
use crate::problem::ApiError;
use crate::request_id::RequestId;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

/// The policy every page is served with: nothing inline, nothing from
/// another site; the one exception is NCALayer, the signing application
/// that listens on the citizen's own machine.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self' wss://127.0.0.1:13579; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The pages' routes. Merged into [`crate::router`].
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::index))
        .route("/services/{code}", get(catalog::service))
        .route("/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route(
            "/register",
            get(session::register_form).post(session::register),
        )
        .route("/register/challenge", get(session::challenge_file))
        .route(
            "/account/password",
            get(session::password_form).post(session::password_change),
        )
        .route(
            "/services/{code}/apply",
            get(forms::apply_form).post(forms::apply),
        )
        .route("/cabinet", get(cabinet::list))
        .route("/cabinet/applications/{id}", get(cabinet::detail))
        .route("/cabinet/applications/{id}/status", get(cabinet::status))
        .route("/cabinet/applications/{id}/to-sign", get(cabinet::to_sign))
        .route("/cabinet/applications/{id}/signature", post(cabinet::sign))
        .route(
            "/cabinet/applications/{id}/withdraw",
            post(cabinet::withdraw),
        )
        .route("/cabinet/documents/{code}", get(cabinet::document))
        .route(
            "/verify/{code}",
            get(crate::documents::verify_page).post(crate::documents::verify_upload),
        )
        .merge(admin::router())
        .route("/operator", get(operator::home))
        .route(
            "/operator/services/{code}",
            get(operator::intake_form).post(operator::intake),
        )
        .route("/operator/applications/{id}", get(operator::application))
        .route("/operator/applications/{id}/status", get(operator::status))
        .route("/operator/applications/{id}/issue", post(operator::issue))
        .route("/operator/documents/{code}", get(cabinet::document))
        .route("/work", get(work::queue))
        .route("/work/intake", get(work_intake::services))
        .route(
            "/work/intake/{code}",
            get(work_intake::form).post(work_intake::submit),
        )
        .route("/work/applications/{id}", get(work::case))
        .route("/work/applications/{id}/status", get(work::status))
        .route("/work/applications/{id}/act", post(work::act))
        .route("/work/applications/{id}/sign", post(work::sign))
        .route("/work/documents/{code}", get(cabinet::document))
        .layer(axum::middleware::from_fn_with_state(state, layer))
}

/// What every page's layout needs: the language, the CSRF token for its
/// forms, who is logged in, demo mode, and where the page is (for the
/// language switch).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    pub user: Option<Principal>,
    pub demo: bool,
    pub path: String,
    pub request_id: String,
    /// The page session's API token, for the in-process API calls.
    pub token: Option<String>,
}

/// A link of the language switch.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

impl Ctx {
    /// The interface text `key` in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// The text of `key`, or `fallback` where there is none (keys made from
    /// data: a form's field, an event's type).
    pub fn t_or<'a>(&self, key: &str, fallback: &'a str) -> &'a str {
        i18n::known(self.lang, key).unwrap_or(fallback)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The languages offered by the switch, the page's own marked.
    pub fn languages(&self) -> Vec<LangLink> {
        Lang::ALL
            .iter()
            .map(|l| LangLink {
                code: l.code(),
                name: i18n::language_name(*l),
                current: *l == self.lang,
            })
            .collect()
    }

    pub fn user_name(&self) -> &str {
        self.user
            .as_ref()
            .map(|u| u.display_name.as_str())
            .unwrap_or("")
    }

    pub fn is_operator(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == qyzmet_domain::Role::Operator)
    }

    /// The logged-in user's role code, or empty.
    pub fn role(&self) -> &'static str {
        self.user.as_ref().map(|u| u.role.code()).unwrap_or("")
    }

    /// The provider's office staff: clerk, head, specialist (`/work`).
    pub fn is_office_staff(&self) -> bool {
        matches!(self.role(), "clerk" | "head" | "specialist")
    }

    pub fn is_applicant(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == qyzmet_domain::Role::Applicant)
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ReqLang(lang) = ReqLang::from_request_parts(parts, state).await?;
        let request_id = RequestId::from_request_parts(parts, state).await?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let user = if token.is_some() {
            Principal::from_request_parts(parts, state).await.ok()
        } else {
            None
        };
        Ok(Ctx {
            lang,
            csrf: parts
                .extensions
                .get::<session::Csrf>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            user,
            demo: state.demo(),
            path: parts.uri.path().to_owned(),
            request_id: request_id.as_str().to_owned(),
            token,
        })
    }
}

/// The error page: what went wrong in the reader's language, with the
/// request id to quote.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Ctx,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

/// Renders a template as a page response.
/// Percent-encodes everything but RFC 3986's unreserved characters, for a
/// path segment or a query value.
pub(crate) fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => html_response(StatusCode::OK, html),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            ApiError::internal().into_response()
        }
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, html).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// Whether a request outside the API asks for a page rather than JSON.
pub fn wants_html(req: &Request) -> bool {
    if req.uri().path().starts_with("/api/") {
        return false;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The 404 page for a path nothing serves.
pub async fn not_found_page(state: &AppState, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    let ReqLang(lang) = match ReqLang::from_request_parts(&mut parts, &()).await {
        Ok(l) => l,
        Err(never) => match never {},
    };
    let request_id = match RequestId::from_request_parts(&mut parts, &()).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let c = Ctx {
        lang,
        csrf: String::new(),
        user: None,
        demo: state.demo(),
        path: parts.uri.path().to_owned(),
        request_id: request_id.as_str().to_owned(),
        token: None,
    };
    let res = error_page(c, &ApiError::not_found());
    secure(res, false)
}

fn error_page(c: Ctx, err: &ApiError) -> Response {
    let (title, message) = crate::lang::problem_text(err.code, c.lang);
    let page = ErrorPage {
        status: err.status.as_u16(),
        title,
        message: message.to_owned(),
        c,
    };
    match page.render() {
        Ok(html) => {
            let mut res = html_response(err.status, html);
            if let Some(secs) = err.retry_after {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            res
        }
        Err(_) => (err.status, "error").into_response(),
    }
}

/// Security headers every page carries.
fn secure(mut res: Response, _https: bool) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

/// The pages' middleware: the session cookie becomes the API's bearer
/// token, the CSRF cookie is made when missing and checked on every form
/// post, `?lang=` is remembered, errors become pages, and every response
/// gets the security headers.
async fn layer(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let https = state.base_url().starts_with("https://");
    let (mut parts, body) = req.into_parts();
    let csrf = session::csrf_from(&parts.headers);
    let new_csrf = csrf.is_none();
    let csrf = csrf.unwrap_or_else(session::new_token);
    parts.extensions.insert(session::Csrf(csrf.clone()));
    if let Some(token) = session::cookie(&parts.headers, session::SESSION_COOKIE) {
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {token}")) {
            parts.headers.insert(header::AUTHORIZATION, v);
        }
    } else {
        parts.headers.remove(header::AUTHORIZATION);
    }
    let lang_param = lang_param(&parts);
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        Err(never) => match never {},
    };
    let mut req = Request::from_parts(parts, body);
    if req.method() == Method::POST {
        match session::check_form_csrf(req, &csrf).await {
            Ok(r) => req = r,
            Err(err) => return secure(error_page(ctx, &err), https),
        }
    }
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    if let Some(err) = res.extensions_mut().remove::<ApiError>() {
        res = if err.code == "unauthenticated" {
            Redirect::to(&format!("/login?next={}", session::encode_next(&path))).into_response()
        } else {
            error_page(ctx, &err)
        };
    }
    if new_csrf {
        session::set_cookie(&mut res, session::CSRF_COOKIE, &csrf, None, https);
    }
    if let Some(lang) = lang_param {
        session::set_cookie(&mut res, "lang", lang.code(), Some(365 * 24 * 3600), https);
    }
    secure(res, https)
}

fn lang_param(parts: &Parts) -> Option<Lang> {
    let q = parts.uri.query()?;
    q.split('&')
        .find_map(|p| p.strip_prefix("lang="))
        .and_then(|v| v.parse::<Lang>().ok())
}

/// `text` with its first letter in capitals, as a label or a list item
/// starts: the catalog names documents as the regulations' sentences do
/// ("решение суда об усыновлении").
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
