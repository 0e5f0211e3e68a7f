//! The OpenAPI 3.1 document of every `/api/v1` route, served at
//! `/api/openapi.json`, and Swagger UI (served from the binary) at `/api/docs`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Qyzmet", description = "Kazakhstan's state-service regulations, executable: intake, steps with deadlines on the working-day calendar, hash-chained history."),
    paths(
        crate::health,
        crate::auth::login,
        crate::auth::logout,
        crate::services::list,
        crate::applications::create,
        crate::applications::list,
        crate::applications::get_one,
        crate::applications::act,
        crate::applications::events,
        crate::registry::person,
        crate::registry::power_of_attorney,
        crate::signature::sign,
        crate::staff::specialists,
        crate::admin::list_users,
        crate::admin::create_user,
        crate::admin::disable_user,
        crate::admin::enable_user,
        crate::admin::reset_password,
        crate::admin::list_providers,
        crate::admin::list_versions,
        crate::admin::end_version,
        crate::admin::calendar,
        crate::admin::edit_calendar,
        crate::admin::recompute,
        crate::admin::dead_letters,
        crate::admin::retry_dead,
        crate::admin::audit_log,
        crate::admin::load,
        crate::admin::times,
        crate::admin::by_number,
        crate::admin::application_audit,
        crate::documents::download,
        crate::documents::seal,
        crate::documents::verify_json,
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldProblem)),
    modifiers(&Bearer),
    tags(
        (name = "auth", description = "Login and tokens"),
        (name = "services", description = "The regulations as data"),
        (name = "applications", description = "Applications and their steps"),
        (name = "registry", description = "The state registries behind the e-government gateway"),
        (name = "admin", description = "Administration (administrators change, auditors read), audited"),
        (name = "documents", description = "Result and receipt PDFs, and checking them"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
