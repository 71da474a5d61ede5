//! The OpenAPI document, generated from the route table, and Swagger UI to explore it.

use actix_web::http::header;
use actix_web::{App, HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::graph::error::{ErrorResponse, ODataError};
use crate::graph::schema::{
    ASSIGNMENT_FILTERS_TAG, AUTOPILOT_EVENTS_TAG, BATCH_TAG, CONFIGURATION_POLICIES_TAG,
    CORPORATE_IDENTIFIERS_TAG, DEVICE_IDENTITIES_TAG, DEVICES_TAG, DIRECTORY_OBJECTS_TAG,
    ENROLLMENT_TAG, GROUPS_TAG, IMPORTED_TAG, MANAGED_DEVICES_TAG, MOBILE_APPS_TAG, PROFILES_TAG,
    SERVICE_PRINCIPALS_TAG, SETTINGS_TAG, USERS_TAG, add_navigation_properties,
    mark_pageable_operations,
};
use crate::routes::health;

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
    servers((url = "/", description = "The service that serves this document")),
    components(responses(ErrorResponse), schemas(ODataError)),
    modifiers(&BearerScheme),
    tags(
        (name = DEVICE_IDENTITIES_TAG, description = "Windows Autopilot device identities"),
        (name = IMPORTED_TAG, description = "Hardware hash uploads, processed into device identities in the background"),
        (name = PROFILES_TAG, description = "Windows Autopilot deployment profiles (beta)"),
        (name = SETTINGS_TAG, description = "Windows Autopilot settings and sync (beta)"),
        (name = DEVICES_TAG, description = "Entra ID devices: one for every device identity's registration, and those apps create"),
        (name = GROUPS_TAG, description = "Entra ID groups of devices and users, with members added or decided by a rule, and their owners"),
        (name = USERS_TAG, description = "Entra ID users, whom policies target through the groups that hold them"),
        (name = SERVICE_PRINCIPALS_TAG, description = "Entra ID service principals: applications' identities in the tenant, which may own groups"),
        (name = DIRECTORY_OBJECTS_TAG, description = "Entra ID directory objects of any type: devices, groups, users and service principals here"),
        (name = ENROLLMENT_TAG, description = "Enrollment configurations: the Enrollment Status Page, device limits, platform restrictions, Windows Hello for Business"),
        (name = MOBILE_APPS_TAG, description = "Mobile app records, as an Enrollment Status Page names them"),
        (name = MANAGED_DEVICES_TAG, description = "Intune managed devices: what a (simulated) enrollment makes, with the remote actions scripts call"),
        (name = AUTOPILOT_EVENTS_TAG, description = "Autopilot events (beta): one per deployment, with its phases and policy status details"),
        (name = CORPORATE_IDENTIFIERS_TAG, description = "Corporate identifiers (beta): devices known as corporate-owned when they enroll, imported and searched in lists"),
        (name = BATCH_TAG, description = "JSON batching: up to 20 requests in one, each answered as if sent alone"),
        (name = CONFIGURATION_POLICIES_TAG, description = "Settings-catalog policies of the two Windows Autopilot device preparation templates, their assignments and enrollment-time device group (beta)"),
        (name = ASSIGNMENT_FILTERS_TAG, description = "Intune assignment filters, their rules checked against the filter grammar (beta)"),
        (name = health::TAG, description = "Liveness and readiness, for orchestrators; no token needed")
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

/// The document as it is served and committed: what the registered routes describe, with what
/// follows from them as a whole (navigation properties typed as their routes answer, the pageable
/// lists marked), as pretty JSON with a final newline.
pub fn to_json(document: &utoipa::openapi::OpenApi) -> String {
    let mut document = document.clone();
    add_navigation_properties(&mut document);
    mark_pageable_operations(&mut document);
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
    use serde_json::Value as Json;

    fn document() -> Json {
        serde_json::from_str(&document_json()).expect("the document is JSON")
    }

    fn operations(document: &Json) -> impl Iterator<Item = (String, &Json)> {
        document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .iter()
                    .map(move |(method, operation)| (format!("{method} {path}"), operation))
            })
    }

    /// Every JSON pointer below `at` to an object with a `schema` and examples beside it (media
    /// types and parameters), with those examples.
    fn examples<'a>(at: String, value: &'a Json, found: &mut Vec<(String, &'a Json)>) {
        match value {
            Json::Object(members) => {
                if members.contains_key("schema") {
                    let schema = format!("{at}/schema");
                    found.extend(members.get("example").map(|e| (schema.clone(), e)));
                    if let Some(Json::Object(named)) = members.get("examples") {
                        found.extend(named.values().map(|e| (schema.clone(), &e["value"])));
                    }
                }
                for (key, member) in members {
                    let key = key.replace('~', "~0").replace('/', "~1");
                    examples(format!("{at}/{key}"), member, found);
                }
            }
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    examples(format!("{at}/{i}"), item, found);
                }
            }
            _ => {}
        }
    }

    /// Found by Redocly's lint: the v1.0 create example sent `@odata.type`, which the v1.0 schema
    /// of a device identity does not have. Every example must be valid against its schema (JSON
    /// Schema 2020-12, formats asserted, references into the components resolved) and set no
    /// member the schema does not describe, but a response's `@odata.context`, which Graph's
    /// schemas leave out too.
    #[test]
    fn every_example_is_valid_against_its_schema() {
        let document = document();
        let mut found = Vec::new();
        examples(String::new(), &document, &mut found);
        assert!(
            found.len() >= 4,
            "the create examples of both roots: {found:?}"
        );
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler.enable_format_assertions();
        compiler
            .add_resource("urn:openapi", document.clone())
            .expect("the document loads as a resource");
        let mut schemas = boon::Schemas::new();
        for (i, (pointer, example)) in found.into_iter().enumerate() {
            let strict = format!("urn:example:{i}");
            compiler
                .add_resource(
                    &strict,
                    serde_json::json!({
                        "$ref": format!("urn:openapi#{pointer}"),
                        "unevaluatedProperties": false,
                    }),
                )
                .unwrap();
            let index = compiler
                .compile(&strict, &mut schemas)
                .unwrap_or_else(|e| panic!("{pointer}: {e}"));
            let mut example = example.clone();
            if let Some(members) = example.as_object_mut() {
                members.remove("@odata.context");
            }
            if let Err(error) = schemas.validate(&example, index) {
                panic!("the example at {pointer} is invalid: {error:#}");
            }
        }
    }

    #[test]
    fn component_titles_are_unique_so_generators_name_each_model_once() {
        fn titles<'a>(value: &'a Json, found: &mut Vec<&'a str>) {
            match value {
                Json::Object(members) => {
                    found.extend(members.get("title").and_then(Json::as_str));
                    members.values().for_each(|member| titles(member, found));
                }
                Json::Array(items) => items.iter().for_each(|item| titles(item, found)),
                _ => {}
            }
        }
        let document = document();
        let mut found = Vec::new();
        titles(&document["components"]["schemas"], &mut found);
        found.sort_unstable();
        let repeated: Vec<_> = found.windows(2).filter(|w| w[0] == w[1]).collect();
        assert!(repeated.is_empty(), "titles used twice: {repeated:?}");
        assert!(found.contains(&"enrollmentState (beta)") && found.contains(&"enrollmentState"));
        assert!(found.contains(&"Collection of device (beta)"));
    }

    #[test]
    fn every_tag_is_declared_and_health_needs_no_token() {
        let document = document();
        let declared: Vec<&str> = document["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tag| tag["name"].as_str().unwrap())
            .collect();
        for (operation, described) in operations(&document) {
            for tag in described["tags"].as_array().unwrap() {
                assert!(
                    declared.contains(&tag.as_str().unwrap()),
                    "{operation}: {tag}"
                );
            }
            assert!(
                described["security"].is_array(),
                "{operation} states no security"
            );
        }
        for health in ["/healthz", "/readyz"] {
            assert_eq!(
                document["paths"][health]["get"]["security"],
                serde_json::json!([])
            );
        }
        assert_eq!(document["servers"][0]["url"], "/");
    }

    /// `$expand`ed answers are typed: each navigation is a read-only property of its type, as the
    /// GET of its path answers it, on the types that have it.
    #[test]
    fn navigations_are_read_only_typed_properties() {
        let document = document();
        let schemas = &document["components"]["schemas"];
        let own = |name: &str| schemas[name]["allOf"][1]["properties"].clone();
        let navigation = |properties: &Json, name: &str| {
            let property = properties[name].clone();
            assert_eq!(property["x-ms-navigationProperty"], true, "{name}");
            assert_eq!(property["readOnly"], true, "{name}");
            assert_eq!(property["oneOf"][1]["type"], "null", "{name}");
            property["oneOf"][0].clone()
        };
        let profile = "#/components/schemas/beta.microsoft.graph.windowsAutopilotDeploymentProfile";
        let device = own("beta.microsoft.graph.windowsAutopilotDeviceIdentity");
        for name in ["deploymentProfile", "intendedDeploymentProfile"] {
            assert_eq!(navigation(&device, name)["$ref"], profile);
        }
        assert!(
            own("microsoft.graph.windowsAutopilotDeviceIdentity")["deploymentProfile"].is_null()
        );
        let base = own("beta.microsoft.graph.windowsAutopilotDeploymentProfile.abstract");
        assert_eq!(
            navigation(&base, "assignments")["items"]["$ref"],
            "#/components/schemas/beta.microsoft.graph.windowsAutopilotDeploymentProfileAssignment"
        );
        assert_eq!(
            navigation(&base, "assignedDevices")["items"]["$ref"],
            "#/components/schemas/beta.microsoft.graph.windowsAutopilotDeviceIdentity"
        );
        for version in ["", "beta."] {
            let group = own(&format!("{version}microsoft.graph.group"));
            assert_eq!(
                navigation(&group, "members")["items"]["$ref"],
                format!("#/components/schemas/{version}microsoft.graph.device")
            );
        }
    }

    /// Microsoft marks its lists so; generators (AutoRest, Kiota) page with it.
    #[test]
    fn every_list_is_pageable_through_its_next_link() {
        let document = document();
        let mut lists = 0;
        for (operation, described) in operations(&document) {
            let answer =
                described["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_default();
            let pageable = &described["x-ms-pageable"];
            if answer.ends_with("CollectionResponse") {
                lists += 1;
                assert!(operation.starts_with("get "), "{operation}");
                assert_eq!(pageable["nextLinkName"], "@odata.nextLink", "{operation}");
                let page = answer.rsplit('/').next().unwrap();
                let next_link =
                    &document["components"]["schemas"][page]["properties"]["@odata.nextLink"];
                assert_eq!(next_link["format"], "uri", "{page}");
            } else {
                assert!(pageable.is_null(), "{operation} answers no page");
            }
        }
        // Device identities, imported identities, devices, groups, members on both roots; beta's
        // profiles, their assignments and assigned devices.
        assert!(lists >= 13, "{lists} lists");
    }

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
