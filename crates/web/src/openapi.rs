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
