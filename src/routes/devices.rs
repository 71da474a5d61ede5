//! windowsAutopilotDeviceIdentities: create and read.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use uuid::Uuid;

use crate::device::Tenant;
use crate::graph::GRAPH_JSON;
use crate::graph::entity::{DeviceView, parse_new_device};
use crate::graph::error::GraphError;
use crate::graph::links::ServiceRoot;
use crate::routes::body::JsonBody;
use crate::store::Store;

pub async fn create(
    store: web::Data<Store>,
    root: ServiceRoot,
    body: JsonBody,
) -> Result<HttpResponse, GraphError> {
    let assignments = parse_new_device(&body.0, root.version)?;
    let device = store.create_device(Tenant::DEFAULT, &assignments).await?;
    let context = root.entity_context();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, root.device_url(device.id())))
        .content_type(GRAPH_JSON)
        .json(DeviceView {
            device: &device,
            version: root.version,
            context: Some(&context),
        }))
}

pub async fn get(
    store: web::Data<Store>,
    root: ServiceRoot,
    id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    // A key that is not a GUID names no device: 404 like any other unknown id.
    let not_found = || GraphError::device_not_found(&id);
    let key = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let device = store
        .device(Tenant::DEFAULT, key)
        .await?
        .ok_or_else(not_found)?;
    let context = root.entity_context();
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(DeviceView {
            device: &device,
            version: root.version,
            context: Some(&context),
        }))
}
