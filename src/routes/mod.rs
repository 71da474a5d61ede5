//! HTTP handlers. Each is a few lines: extract, call the store, shape the Graph response.

mod body;
mod devices;

use actix_web::web;

use crate::device::ApiVersion;

/// The Graph routes of one version root, written for the canonical paths of `graph::paths`.
pub fn graph_root(version: ApiVersion) -> actix_web::Scope {
    web::scope(&format!("/{}", version.segment()))
        .app_data(version)
        .service(
            web::resource("/deviceManagement/windowsAutopilotDeviceIdentities")
                .route(web::post().to(devices::create)),
        )
        .service(
            web::resource("/deviceManagement/windowsAutopilotDeviceIdentities/{id}")
                .route(web::get().to(devices::get)),
        )
}
