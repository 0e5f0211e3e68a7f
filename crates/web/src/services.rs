//! The service catalog as the API shows it (contract.md,
//! `GET /api/v1/services`): the version in force today of each service.

use crate::AppState;
use axum::extract::State;
use axum::Json;
use qyzmet_domain::catalog::ServiceView;

/// Services with their steps, documents, refusal grounds, form and regulation
#[utoipa::path(get, path = "/api/v1/services", tag = "services",
    responses((status = 200, description = "Every service with the version in force today", body = Vec<serde_json::Value>)))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<ServiceView>> {
    let today = state
        .now()
        .with_timezone(&qyzmet_domain::calendar::ZONE)
        .date_naive();
    Json(state.catalog().services_at(today))
}
