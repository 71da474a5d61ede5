//! The OpenAPI document, generated from the route table, and Swagger UI to explore it.

use actix_web::http::header;
use actix_web::{App, HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::graph::error::{ErrorResponse, ODataError};
use crate::graph::schema::{
    BATCH_TAG, DEVICE_IDENTITIES_TAG, DEVICES_TAG, DIRECTORY_OBJECTS_TAG, GROUPS_TAG, IMPORTED_TAG,
    PROFILES_TAG, SETTINGS_TAG,
};

pub const DOCUMENT_PATH: &str = "/openapi.json";
const SWAGGER_UI: &str = "/swagger-ui/";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "autopilot-registry",
        description = "A self-hosted stand-in for the Microsoft Graph API that manages Windows Autopilot \
                       device identities. Every operation exists under /v1.0 and /beta; beta's have \
                       operationIds and schemas prefixed with `beta.`."
    ),
    components(responses(ErrorResponse), schemas(ODataError)),
    modifiers(&BearerScheme),
    tags(
        (name = DEVICE_IDENTITIES_TAG, description = "Windows Autopilot device identities"),
        (name = IMPORTED_TAG, description = "Hardware hash uploads, processed into device identities in the background"),
        (name = PROFILES_TAG, description = "Windows Autopilot deployment profiles (beta)"),
        (name = SETTINGS_TAG, description = "Windows Autopilot settings and sync (beta)"),
        (name = DEVICES_TAG, description = "Entra ID devices: one for every device identity's registration, and those apps create"),
        (name = GROUPS_TAG, description = "Entra ID groups of devices, with members added or decided by a rule"),
        (name = DIRECTORY_OBJECTS_TAG, description = "Entra ID directory objects of any type: devices and groups here"),
        (name = BATCH_TAG, description = "JSON batching: up to 20 requests in one, each answered as if sent alone")
    )
)]
struct Base;

/// Graph's operations take `Authorization: Bearer <token>` (see `--auth`).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token for Microsoft Graph, or one minted by `autopilot-registry token`. \
                 Not needed when the service runs with --auth none.",
            ))
            .build();
        document
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// What the document says besides its operations, which registering the routes adds.
pub fn base() -> utoipa::openapi::OpenApi {
    Base::openapi()
}

/// The document of the routes [`super::register`] serves, without serving them (for the `openapi`
/// command and the test that keeps the committed copy current).
pub fn document_json() -> String {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(super::register)
        .split_for_parts();
    to_json(&document)
}

/// The document as it is served and committed: pretty JSON with a final newline.
pub fn to_json(document: &utoipa::openapi::OpenApi) -> String {
    let mut json = document
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    json.push('\n');
    json
}

/// `/openapi.json` (the document of the routes this app registered), `/swagger-ui/` (vendored
/// assets, no network), and the redirects to it: from `/swagger-ui` and from `/`, where a newcomer
/// who opens the service's address in a browser lands.
pub fn configure(config: &mut web::ServiceConfig, document: &utoipa::openapi::OpenApi) {
    config
        .app_data(web::Data::new(to_json(document)))
        .route(
            DOCUMENT_PATH,
            web::get().to(|document: web::Data<String>| async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(document.get_ref().clone())
            }),
        )
        .route(
            "/swagger-ui",
            web::get().to(|| async {
                HttpResponse::MovedPermanently()
                    .insert_header((header::LOCATION, SWAGGER_UI))
                    .finish()
            }),
        )
        // Found, not Moved Permanently: browsers would remember a permanent redirect of `/`.
        .route(
            "/",
            web::get().to(|| async {
                HttpResponse::Found()
                    .insert_header((header::LOCATION, SWAGGER_UI))
                    .finish()
            }),
        )
        .service(
            SwaggerUi::new(format!("{SWAGGER_UI}{{_:.*}}")).config(Config::new([DOCUMENT_PATH])),
        );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_document_is_the_generated_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == document_json(),
            "openapi/openapi.json is out of date; regenerate it with\n    \
             cargo run -- openapi > openapi/openapi.json"
        );
    }
}
