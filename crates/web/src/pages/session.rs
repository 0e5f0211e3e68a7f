//! Page sessions and forms' safety: the session cookie carries a token of
//! the API's own token store (so the login rate limits and expiry are the
//! API's), a CSRF cookie is matched against every form, and the pages for
//! logging in and out, registering with an EDS-proved IIN, and changing the
//! password.

use super::api::Call;
use super::{render, Ctx};
use crate::auth::{hash_password, token_hash};
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Multipart, Query, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use qyzmet_domain::{Iin, Role};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "qz_session";
pub const CSRF_COOKIE: &str = "qz_csrf";
const CHALLENGE_COOKIE: &str = "qz_challenge";
/// The shortest password accepted at registration and change.
pub const MIN_PASSWORD: usize = 10;
/// How long a registration challenge may be signed for.
const CHALLENGE_MINUTES: i64 = 15;
/// The largest form without files (a login, a withdrawal).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The request's CSRF token (the cookie's, or a new one).
#[derive(Debug, Clone)]
pub struct Csrf(pub String);

/// A random token, URL-safe.
pub fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

pub fn csrf_from(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE).filter(|v| {
        v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Sets a cookie: HttpOnly except the language, SameSite=Lax, Secure when
/// the site is served over TLS. `max_age` 0 removes it.
pub fn set_cookie(res: &mut Response, name: &str, value: &str, max_age: Option<i64>, https: bool) {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if name != "lang" {
        c.push_str("; HttpOnly");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if https {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn equal(a: &str, b: &str) -> bool {
    // Constant time, so the token cannot be guessed byte by byte.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn csrf_invalid() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "csrf-invalid")
}

/// Checks a posted form's `csrf` field against the cookie. A URL-encoded
/// form is read here; a multipart one (files) must come from this site
/// (`Sec-Fetch-Site`/`Origin`), and its handler checks the field with
/// [`check_field`] while reading the parts.
pub async fn check_form_csrf(req: Request, csrf: &str) -> Result<Request, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("multipart/form-data") {
        let cross = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        return if cross { Err(csrf_invalid()) } else { Ok(req) };
    }
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type-unsupported",
        ));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| crate::body_too_large())?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "body-invalid"))?;
    let given = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if !given.is_some_and(|g| equal(g, csrf)) {
        return Err(csrf_invalid());
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// The multipart forms' check of the `csrf` field.
pub fn check_field(c: &Ctx, given: Option<&str>) -> Result<(), ApiError> {
    if given.is_some_and(|g| !c.csrf.is_empty() && equal(g, &c.csrf)) {
        Ok(())
    } else {
        Err(csrf_invalid())
    }
}

/// A path to come back to after logging in: only a local one.
pub fn encode_next(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/cabinet".to_owned(),
    }
}

/// Where a login lands when no page was asked for: the office's staff at
/// their workspace, everyone else at the cabinet.
pub fn landing(role: &str) -> &'static str {
    match role {
        "clerk" | "head" | "specialist" => "/work",
        "operator" => "/operator",
        "admin" => "/admin",
        "auditor" => "/audit",
        _ => "/cabinet",
    }
}

/// The peer's address, when the server knows it (the login limits count
/// per address).
pub struct Peer(pub Option<ConnectInfo<SocketAddr>>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned(),
        ))
    }
}

fn https(state: &AppState) -> bool {
    state.base_url().starts_with("https://")
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Ctx,
    pub next: String,
    pub login: String,
    pub error: Option<(&'static str, &'static str)>,
    pub notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

pub async fn login_form(c: Ctx, Query(q): Query<NextQuery>) -> Response {
    let notice = match q.done.as_deref() {
        Some("registered") => Some(c.t("register.done")),
        Some("password") => Some(c.t("password.done")),
        _ => None,
    };
    render(&LoginPage {
        // Empty: the login lands where the role works (`landing`).
        next: q
            .next
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| safe_next(Some(n)))
            .unwrap_or_default(),
        login: String::new(),
        error: None,
        notice,
        c,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    c: Ctx,
    Peer(peer): Peer,
    Form(f): Form<LoginForm>,
) -> Response {
    let login = f.login.trim().to_owned();
    // Twelve digits are an IIN (an applicant); anything else a username.
    let body = if login.len() == 12 && login.bytes().all(|b| b.is_ascii_digit()) {
        json!({"iin": login, "password": f.password})
    } else {
        json!({"username": login, "password": f.password})
    };
    let mut call = Call::post("/auth/login", None, body);
    call.peer = peer;
    let answer = call.send(&state).await;
    let asked = f.next.as_deref().filter(|n| !n.is_empty());
    let next = asked.map(|n| safe_next(Some(n))).unwrap_or_default();
    match answer.ok() {
        Ok(v) => {
            let token = v["token"].as_str().unwrap_or_default();
            let to = match asked {
                Some(_) => next,
                None => landing(v["role"].as_str().unwrap_or_default()).to_owned(),
            };
            let mut res = Redirect::to(&to).into_response();
            set_cookie(
                &mut res,
                SESSION_COOKIE,
                token,
                Some(crate::auth::TOKEN_LIFETIME_HOURS * 3600),
                https(&state),
            );
            res
        }
        Err(e) if e.code == "credentials-invalid" || e.code == "login-rate-limited" => {
            let status = e.status;
            let mut res = render(&LoginPage {
                next,
                login,
                error: Some(crate::lang::problem_text(e.code, c.lang)),
                notice: None,
                c,
            });
            *res.status_mut() = status;
            if let Some(s) = e.retry_after {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(s));
            }
            res
        }
        Err(e) => e.into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.store().delete_session(&token_hash(&token)).await {
            return ApiError::from(e).into_response();
        }
    }
    let mut res = Redirect::to("/").into_response();
    set_cookie(&mut res, SESSION_COOKIE, "", Some(0), https(&state));
    res
}

// ---------------------------------------------------------------- registration

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub c: Ctx,
    pub iin: String,
    pub name: String,
    pub errors: Vec<(&'static str, &'static str)>,
}

fn new_challenge(now: chrono::DateTime<chrono::Utc>) -> String {
    let mut raw = [0u8; 24];
    rand::fill(&mut raw);
    format!(
        "qyzmet-registration.{}.{}",
        now.timestamp(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    )
}

fn challenge_fresh(challenge: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    let mut it = challenge.split('.');
    it.next() == Some("qyzmet-registration")
        && it
            .next()
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|t| (0..=CHALLENGE_MINUTES * 60).contains(&(now.timestamp() - t)))
}

fn with_challenge(state: &AppState, headers: &HeaderMap, mut res: Response) -> Response {
    let now = state.now();
    if !cookie(headers, CHALLENGE_COOKIE).is_some_and(|c| challenge_fresh(&c, now)) {
        set_cookie(
            &mut res,
            CHALLENGE_COOKIE,
            &new_challenge(now),
            Some(CHALLENGE_MINUTES * 60),
            https(state),
        );
    }
    res
}

pub async fn register_form(State(state): State<AppState>, c: Ctx, headers: HeaderMap) -> Response {
    let res = render(&RegisterPage {
        c,
        iin: String::new(),
        name: String::new(),
        errors: Vec::new(),
    });
    with_challenge(&state, &headers, res)
}

/// The exact bytes to sign to prove the IIN: the one-time challenge.
pub async fn challenge_file(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let now = state.now();
    let challenge = cookie(&headers, CHALLENGE_COOKIE)
        .filter(|c| challenge_fresh(c, now))
        .unwrap_or_else(|| new_challenge(now));
    let mut res = (
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"qyzmet-registration.txt\"",
            ),
        ],
        challenge.clone(),
    )
        .into_response();
    set_cookie(
        &mut res,
        CHALLENGE_COOKIE,
        &challenge,
        Some(CHALLENGE_MINUTES * 60),
        https(&state),
    );
    res
}

/// A multipart form carrying a signature: its text fields (`csrf` among
/// them), and the signature (`signature`, a `.p7s` file, or `cms`, base64
/// from NCALayer) when one was sent.
pub struct SignatureUpload {
    pub fields: std::collections::HashMap<String, String>,
    /// The CMS, DER; `None` when none was sent or it did not read.
    pub cms: Option<Vec<u8>>,
    /// Whether a non-empty signature was sent at all.
    pub given: bool,
}

impl SignatureUpload {
    /// Reads the form and checks its CSRF field against the page's token;
    /// a body over the limit is `body-too-large`.
    pub async fn read(c: &Ctx, multipart: &mut Multipart) -> Result<Self, ApiError> {
        let mut up = SignatureUpload {
            fields: Default::default(),
            cms: None,
            given: false,
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => return Err(crate::body_too_large()),
            };
            let name = field.name().unwrap_or("").to_owned();
            let data = field.bytes().await.map_err(|_| crate::body_too_large())?;
            match name.as_str() {
                "signature" | "cms" if !data.is_empty() => {
                    up.given = true;
                    up.cms = cms_der(&data);
                }
                "signature" | "cms" => {}
                _ => {
                    up.fields
                        .insert(name, String::from_utf8_lossy(&data).into_owned());
                }
            }
        }
        check_field(c, up.fields.get("csrf").map(String::as_str))?;
        Ok(up)
    }
}

/// Reads a `.p7s` as uploaded: DER, or PEM / bare base64 text of it.
pub fn cms_der(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.first() == Some(&0x30) {
        return Some(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .filter(|d| d.first() == Some(&0x30))
}

/// Proves that the holder of an EDS with `iin` signed `challenge`: the
/// verifier judges the CMS over the challenge's bytes (trust anchors,
/// revocation, validity, key usage, the IIN in the certificate), and the
/// certificate's IIN must be the one typed, so no account is made for an
/// IIN nobody proved. Errors are contract codes with kk/ru/en text.
fn prove_iin(
    state: &AppState,
    cms: &[u8],
    challenge: &[u8],
    iin: &Iin,
) -> Result<(), &'static str> {
    let verified = state
        .verifier()
        .verify(cms, Some(challenge), state.now())
        .map_err(|r| r.code())?;
    if verified.iin == iin.to_string() {
        Ok(())
    } else {
        Err(qyzmet_pki::Refusal::IinMismatch.code())
    }
}

pub async fn register(
    State(state): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let mut csrf = None;
    let (mut iin, mut name, mut password, mut again, mut cms) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        Vec::new(),
    );
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return ApiError::new(StatusCode::BAD_REQUEST, "body-invalid").into_response()
            }
        };
        let fname = field.name().unwrap_or("").to_owned();
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(_) => return crate::body_too_large().into_response(),
        };
        let text = || String::from_utf8_lossy(&data).trim().to_owned();
        match fname.as_str() {
            "csrf" => csrf = Some(text()),
            "iin" => iin = text(),
            "name" => name = text(),
            "password" => password = String::from_utf8_lossy(&data).into_owned(),
            "password2" => again = String::from_utf8_lossy(&data).into_owned(),
            "signature" => cms = data.to_vec(),
            _ => {}
        }
    }
    if let Err(e) = check_field(&c, csrf.as_deref()) {
        return e.into_response();
    }
    let mut errors = Vec::new();
    let parsed = Iin::parse(&iin);
    if parsed.is_err() {
        errors.push(crate::lang::problem_text("iin-invalid", c.lang));
    }
    if name.is_empty() || name.chars().count() > 300 {
        errors.push(crate::lang::problem_text("name-invalid", c.lang));
    }
    if password.chars().count() < MIN_PASSWORD {
        errors.push(crate::lang::problem_text("password-weak", c.lang));
    } else if password != again {
        errors.push(crate::lang::problem_text("password-mismatch", c.lang));
    }
    let der = cms_der(&cms);
    if der.is_none() {
        errors.push(crate::lang::problem_text(
            "signature-file-unreadable",
            c.lang,
        ));
    }
    let now = state.now();
    let challenge = cookie(&headers, CHALLENGE_COOKIE).filter(|ch| challenge_fresh(ch, now));
    if challenge.is_none() {
        errors.push(crate::lang::problem_text("challenge-expired", c.lang));
    }
    if errors.is_empty() {
        if let (Ok(iin_ok), Some(der), Some(ch)) = (&parsed, &der, &challenge) {
            match prove_iin(&state, der, ch.as_bytes(), iin_ok) {
                Ok(()) => {
                    let store = state.store();
                    match store.user_by_iin(&iin_ok.to_string()).await {
                        Ok(Some(_)) => {
                            errors.push(crate::lang::problem_text("user-exists", c.lang))
                        }
                        Ok(None) => {
                            let hash =
                                tokio::task::spawn_blocking(move || hash_password(&password))
                                    .await
                                    .unwrap_or_default();
                            let made = store
                                .create_user(qyzmet_store::NewUser {
                                    username: iin_ok.to_string(),
                                    role: Role::Applicant.code().to_owned(),
                                    provider: None,
                                    password_hash: hash,
                                    iin: Some(iin_ok.to_string()),
                                    display_name: name.clone(),
                                    created_at: now,
                                })
                                .await;
                            match made {
                                Ok(()) => {
                                    return Redirect::to("/login?done=registered").into_response()
                                }
                                // Registered a moment ago by another request.
                                Err(qyzmet_store::StoreError::Duplicate(_)) => {
                                    errors.push(crate::lang::problem_text("user-exists", c.lang))
                                }
                                Err(e) => return ApiError::from(e).into_response(),
                            }
                        }
                        Err(e) => return ApiError::from(e).into_response(),
                    }
                }
                Err(code) => errors.push(crate::lang::problem_text(code, c.lang)),
            }
        }
    }
    let mut res = render(&RegisterPage {
        c,
        iin,
        name,
        errors,
    });
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    with_challenge(&state, &headers, res)
}

// ---------------------------------------------------------------- password

#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub c: Ctx,
    pub errors: Vec<(&'static str, &'static str)>,
}

pub async fn password_form(c: Ctx, who: crate::auth::Principal) -> Response {
    let _ = who;
    render(&PasswordPage {
        c,
        errors: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    password: String,
    password2: String,
}

pub async fn password_change(
    State(state): State<AppState>,
    c: Ctx,
    who: crate::auth::Principal,
    headers: HeaderMap,
    Peer(peer): Peer,
    Form(f): Form<PasswordForm>,
) -> Response {
    let mut errors = Vec::new();
    if f.password.chars().count() < MIN_PASSWORD {
        errors.push(crate::lang::problem_text("password-weak", c.lang));
    } else if f.password != f.password2 {
        errors.push(crate::lang::problem_text("password-mismatch", c.lang));
    }
    if errors.is_empty() {
        // The current password is checked by the API's login, so a wrong
        // one counts toward its rate limit like any failed login.
        let body = match &who.iin {
            Some(iin) if who.role == Role::Applicant => {
                json!({"iin": iin.to_string(), "password": f.current})
            }
            _ => json!({"username": who.username, "password": f.current}),
        };
        let mut call = Call::post("/auth/login", None, body);
        call.peer = peer;
        match call.send(&state).await.ok() {
            Ok(v) => {
                // The check made a session of its own: end it at once.
                if let Some(t) = v["token"].as_str() {
                    let _ = state.store().delete_session(&token_hash(t)).await;
                }
                let keep = cookie(&headers, SESSION_COOKIE).map(|t| token_hash(&t));
                let password = f.password.clone();
                let hash = tokio::task::spawn_blocking(move || hash_password(&password))
                    .await
                    .unwrap_or_default();
                return match state
                    .store()
                    .set_user_password(&who.username, &hash, keep.as_deref())
                    .await
                {
                    Ok(()) => Redirect::to("/cabinet?done=password").into_response(),
                    Err(e) => ApiError::from(e).into_response(),
                };
            }
            Err(e) if e.code == "credentials-invalid" || e.code == "login-rate-limited" => {
                errors.push(crate::lang::problem_text(e.code, c.lang))
            }
            Err(e) => return e.into_response(),
        }
    }
    let mut res = render(&PasswordPage { c, errors });
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    res
}
