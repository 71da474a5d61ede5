//! HTTP handlers. Each is a few lines: extract, call the store, shape the Graph response.

mod body;
mod devices;

use actix_web::web;

use crate::device::ApiVersion;
use crate::graph::paths::DeviceAction;

const COLLECTION: &str = "/deviceManagement/windowsAutopilotDeviceIdentities";

/// The Graph routes of one version root, written for the canonical paths of `graph::paths`.
pub fn graph_root(version: ApiVersion) -> actix_web::Scope {
    let mut scope = web::scope(&format!("/{}", version.segment()))
        .app_data(version)
        .service(
            web::resource(COLLECTION)
                .route(web::get().to(devices::list))
                .route(web::post().to(devices::create)),
        )
        // Before `{id}`, which would otherwise take `$count` for a key.
        .service(web::resource(format!("{COLLECTION}/$count")).route(web::get().to(devices::count)))
        .service(
            web::resource(format!("{COLLECTION}/{{id}}"))
                .route(web::get().to(devices::get))
                .route(web::patch().to(devices::update))
                .route(web::delete().to(devices::delete)),
        );
    for action in DeviceAction::ALL
        .into_iter()
        .filter(|a| a.exists_in(version))
    {
        scope = scope.service(
            web::resource(format!("{COLLECTION}/{{id}}/{}", action.name()))
                .app_data(action)
                .route(web::post().to(devices::run_action)),
        );
    }
    scope
}
