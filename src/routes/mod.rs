//! The HTTP side: actix handlers, extractors and middleware. Every Graph operation is registered
//! through utoipa-actix-web, so the OpenAPI document is generated from exactly the routes that are
//! served. The generic operations live in `entity_set`; each entity set has a file of thin per-root
//! wrappers (which call them, and its own actions) with the list of its routes, and [`register`]
//! lists the sets each root serves.

pub mod app;
mod assignment_filters;
mod autopilot_events;
mod batch;
mod corporate_identifiers;
pub use batch::Batching;
mod body;
mod configuration_policies;
mod console;
mod control;
mod deployment_profiles;
mod device_identities;
mod directory;
pub mod docs;
mod enrollment_configurations;
mod entity_set;
mod extract;
mod health;
pub mod identity;
mod imported_identities;
mod managed_devices;
pub mod middleware;
mod mobile_apps;
mod principals;
mod profile_assignments;
mod settings;
pub use settings::SyncCooldown;
mod store_errors;
pub mod traffic;

use actix_web::HttpResponse;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::domain::ApiVersion;
use crate::graph::error::GraphError;
pub use console::configure as configure_console;
pub use control::configure as configure_side_doors;

type Handled = Result<HttpResponse, GraphError>;

/// Registers both Graph roots, each as the list of the entity sets it serves (their routes, in the
/// order they are tried), and the health endpoints beside them.
pub fn register(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(
            scope::scope("/v1.0")
                .app_data(ApiVersion::V1)
                .configure(device_identities::v1_routes)
                .configure(imported_identities::v1::routes)
                .configure(batch::v1::routes)
                .configure(directory::v1::routes)
                .configure(principals::users::v1::routes)
                .configure(principals::service_principals::v1::routes)
                .configure(enrollment_configurations::v1::routes)
                .configure(mobile_apps::v1::routes)
                .configure(managed_devices::v1::routes),
        )
        .service(
            scope::scope("/beta")
                .app_data(ApiVersion::Beta)
                .configure(device_identities::beta_routes)
                .configure(imported_identities::beta::routes)
                .configure(deployment_profiles::beta::routes)
                .configure(settings::beta::routes)
                .configure(profile_assignments::routes)
                .configure(batch::beta::routes)
                .configure(directory::beta::routes)
                .configure(principals::users::beta::routes)
                .configure(principals::service_principals::beta::routes)
                .configure(assignment_filters::beta::routes)
                .configure(enrollment_configurations::beta::routes)
                .configure(mobile_apps::beta::routes)
                .configure(autopilot_events::beta::routes)
                .configure(corporate_identifiers::beta::routes)
                .configure(managed_devices::beta::routes)
                .configure(managed_devices::beta_actions::routes)
                .configure(configuration_policies::beta::routes),
        );
}
