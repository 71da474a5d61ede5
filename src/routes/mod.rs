//! The HTTP side: actix handlers, extractors and middleware. Every Graph operation is registered
//! through utoipa-actix-web, so the OpenAPI document is generated from exactly the routes that are
//! served. The generic operations live in `entity_set`; each entity set has a file of thin per-root
//! wrappers (which call them, and its own actions), and [`register`] puts those in the table.

pub mod app;
mod batch;
pub use batch::Batching;
mod body;
mod control;
mod deployment_profiles;
mod device_identities;
mod directory;
pub mod docs;
mod entity_set;
mod extract;
mod health;
pub mod identity;
mod imported_identities;
pub mod middleware;
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
pub use control::configure as configure_side_doors;
use device_identities::{beta, beta_actions, v1};
use imported_identities::{beta as imported_beta, v1 as imported_v1};

/// The directory routes of one root (`directory::v1` or `directory::beta`).
macro_rules! directory_services {
    ($scope:expr, $root:ident) => {
        $scope
            .service(directory::$root::devices::list)
            .service(directory::$root::devices::count)
            .service(directory::$root::devices::get)
            .service(directory::$root::groups::list)
            .service(directory::$root::groups::create)
            .service(directory::$root::groups::count)
            .service(directory::$root::groups::get)
            .service(directory::$root::groups::update)
            .service(directory::$root::groups::delete)
            .service(directory::$root::groups::members)
            .service(directory::$root::groups::add_member)
            .service(directory::$root::groups::remove_member)
    };
}

type Handled = Result<HttpResponse, GraphError>;

/// Registers both Graph roots, and the health endpoints beside them.
pub fn register(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(directory_services!(
            scope::scope("/v1.0")
                .app_data(ApiVersion::V1)
                .service(v1::list)
                .service(v1::create)
                // Before the item routes, whose key would otherwise take `$count`.
                .service(v1::count)
                .service(v1::get)
                .service(v1::update)
                .service(v1::delete)
                .service(v1::assign_user_to_device)
                .service(v1::unassign_user_from_device)
                .service(v1::update_device_properties)
                .service(imported_v1::list)
                .service(imported_v1::create)
                .service(imported_v1::count)
                .service(imported_v1::import)
                .service(imported_v1::get)
                .service(imported_v1::delete)
                .service(batch::v1::batch),
            v1
        ))
        .service(directory_services!(
            scope::scope("/beta")
                .app_data(ApiVersion::Beta)
                .service(beta::list)
                .service(beta::create)
                .service(beta::count)
                .service(beta::get)
                .service(beta::update)
                .service(beta::delete)
                .service(beta::assign_user_to_device)
                .service(beta::unassign_user_from_device)
                .service(beta::update_device_properties)
                .service(beta_actions::allow_next_enrollment)
                .service(beta_actions::assign_resource_account_to_device)
                .service(beta_actions::unassign_resource_account_from_device)
                .service(beta_actions::deployment_profile)
                .service(beta_actions::intended_deployment_profile)
                .service(imported_beta::list)
                .service(imported_beta::create)
                .service(imported_beta::count)
                .service(imported_beta::import)
                .service(imported_beta::get)
                .service(imported_beta::delete)
                .service(deployment_profiles::beta::list)
                .service(deployment_profiles::beta::create)
                .service(deployment_profiles::beta::count)
                .service(deployment_profiles::beta::get)
                .service(deployment_profiles::beta::update)
                .service(deployment_profiles::beta::delete)
                .service(settings::beta::get)
                .service(settings::beta::sync)
                .service(profile_assignments::list)
                .service(profile_assignments::create)
                .service(profile_assignments::get)
                .service(profile_assignments::delete)
                .service(profile_assignments::list_assigned_devices)
                .service(batch::beta::batch),
            beta
        ));
}
