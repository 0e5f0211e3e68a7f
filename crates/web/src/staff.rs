//! What the provider's own staff need to read about each other: the
//! responsible specialists a head may name at `resolution`. The
//! administrator's `/admin/users` lists every account to administrators
//! only; this lists just the names a head chooses from.

use crate::auth::Principal;
use crate::problem::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use qyzmet_domain::Role;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Colleague {
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ColleagueList {
    pub items: Vec<Colleague>,
}

/// The responsible specialists of the caller's provider (head, clerk)
///
/// Only enabled accounts, by username: whom `assignee` may name at
/// `resolution`.
#[utoipa::path(get, path = "/api/v1/staff/specialists", tag = "applications",
    responses((status = 200, body = ColleagueList), (status = 401, body = crate::problem::Problem),
        (status = 403, description = "Not the office staff of a provider", body = crate::problem::Problem)),
    security(("bearer" = [])))]
pub async fn specialists(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<ColleagueList>, ApiError> {
    let provider = match (who.role, who.provider.as_deref()) {
        (Role::Head | Role::Clerk, Some(p)) => p.to_owned(),
        _ => {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "action-forbidden")
                .with_detail("the provider's head and clerks see its specialists"))
        }
    };
    let mut items: Vec<Colleague> = state
        .store()
        .users()
        .await?
        .into_iter()
        .filter(|u| {
            u.role == Role::Specialist.code()
                && !u.disabled
                && u.provider.as_deref() == Some(&provider)
        })
        .map(|u| Colleague {
            username: u.username,
            display_name: u.display_name,
        })
        .collect();
    items.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(Json(ColleagueList { items }))
}
