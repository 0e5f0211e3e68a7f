//! Who is asking: login with a password (argon2), bearer tokens kept in the
//! database (so any node can check them), and the rate limit on failed
//! attempts (contract.md: 5 per account and 50 per address in 15 minutes).

use crate::json::parse_json;
use crate::problem::ApiError;
use crate::AppState;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::Json;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use qyzmet_domain::{Iin, Role};
use qyzmet_store::{Session, User};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use utoipa::ToSchema;

/// How long a token lasts.
pub const TOKEN_LIFETIME_HOURS: i64 = 12;
/// The window and the limits of failed logins (contract.md).
pub const WINDOW_MINUTES: i64 = 15;
pub const PER_ACCOUNT: u64 = 5;
pub const PER_ADDRESS: u64 = 50;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    pub provider: Option<String>,
    pub iin: Option<Iin>,
    pub display_name: String,
}

impl Principal {
    fn from_user(u: &User) -> Result<Self, ApiError> {
        let role: Role = u.role.parse().map_err(|_| {
            tracing::error!(username = %u.username, role = %u.role, "stored user has an unknown role");
            ApiError::internal()
        })?;
        Ok(Principal {
            username: u.username.clone(),
            role,
            provider: u.provider.clone(),
            iin: u.iin.as_deref().and_then(|s| Iin::parse(s).ok()),
            display_name: u.display_name.clone(),
        })
    }

    /// The engine's view of the caller.
    pub fn actor(&self) -> qyzmet_domain::case::Actor {
        qyzmet_domain::case::Actor {
            username: self.username.clone(),
            role: self.role,
            iin: self.iin,
        }
    }
}

/// Hashes a password for storage (argon2id, random salt).
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash verified when the account does not exist, so an unknown
/// user costs as much time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("qyzmet-decoy-password"))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Staff log in with a username.
    pub username: Option<String>,
    /// Applicants log in with their IIN.
    pub iin: Option<String>,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: String,
    pub username: String,
    pub role: String,
}

/// The address failed logins are counted by: the client's, or an IPv6
/// client's /64 (`client::limit_unit`).
fn client_address(parts_ext: &axum::http::Extensions) -> String {
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| crate::client::limit_unit(ci.0.ip()).to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Log in
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A bearer token", body = LoginResponse),
        (status = 401, description = "Wrong credentials", body = crate::problem::Problem),
        (status = 429, description = "Too many failed attempts", body = crate::problem::Problem),
    ))]
pub async fn login(
    State(state): State<AppState>,
    req: axum::extract::Request,
) -> Result<Json<LoginResponse>, ApiError> {
    let address = client_address(req.extensions());
    let body: Bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large"))?;
    let body: LoginRequest = parse_json(&body)?;
    let (account, lookup) = match (&body.username, &body.iin) {
        (Some(u), None) => (u.trim().to_owned(), Lookup::Username),
        (None, Some(i)) => (i.trim().to_owned(), Lookup::Iin),
        _ => {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "body-invalid")
                    .with_detail("give either `username` or `iin`, and `password`"),
            )
        }
    };
    let now = state.now();
    let store = state.store();
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let failed = store
        .failed_logins_since(&account, &address, since)
        .await
        .map_err(ApiError::from)?;
    if failed.per_account >= PER_ACCOUNT || failed.per_address >= PER_ADDRESS {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "login-rate-limited");
        e.retry_after = Some((WINDOW_MINUTES * 60) as u64);
        return Err(e);
    }
    let user = match lookup {
        Lookup::Username => store.user_by_username(&account).await,
        Lookup::Iin => store.user_by_iin(&account).await,
    }
    .map_err(ApiError::from)?
    .filter(|u| !u.disabled)
    .filter(|u| match lookup {
        Lookup::Iin => u.role == Role::Applicant.code(),
        Lookup::Username => u.role != Role::Applicant.code(),
    });
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_owned());
    let password = body.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false);
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => {
            store
                .record_failed_login(&account, &address, now)
                .await
                .map_err(ApiError::from)?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "credentials-invalid",
            ));
        }
    };
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let expires_at = now + Duration::hours(TOKEN_LIFETIME_HOURS);
    store
        .create_session(
            Session {
                token_hash: token_hash(&token),
                username: user.username.clone(),
                expires_at,
            },
            now,
        )
        .await
        .map_err(ApiError::from)?;
    Ok(Json(LoginResponse {
        token,
        expires_at: fmt_utc(expires_at),
        username: user.username,
        role: user.role,
    }))
}

enum Lookup {
    Username,
    Iin,
}

fn fmt_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Log out: the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out"), (status = 401, body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    _who: Principal,
    parts: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    if let Some(token) = bearer(&parts) {
        state
            .store()
            .delete_session(&token_hash(token))
            .await
            .map_err(ApiError::from)?;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let unauthenticated = || ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated");
        let token = bearer(&parts.headers).ok_or_else(unauthenticated)?;
        let store = state.store();
        let user = store
            .session_user(&token_hash(token), state.now())
            .await
            .map_err(ApiError::from)?
            .filter(|u| !u.disabled)
            .ok_or_else(unauthenticated)?;
        let p = Principal::from_user(&user)?;
        parts.extensions.insert(p.clone());
        Ok(p)
    }
}
