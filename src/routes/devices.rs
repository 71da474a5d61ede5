//! windowsAutopilotDeviceIdentities: the collection, its items and their actions.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use std::future::{Ready, ready};
use uuid::Uuid;

use crate::device::{Device, Tenant};
use crate::graph::GRAPH_JSON;
use crate::graph::entity::{CollectionPage, DeviceView, parse_device_body, parse_new_device};
use crate::graph::error::GraphError;
use crate::graph::links::ServiceRoot;
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::graph::paths::DeviceAction;
use crate::graph::schema::key_parameter;
use crate::routes::body::JsonBody;
use crate::store::{Page, Store};

/// The item key from the path. A key that is not a GUID names no device: 404 like any other.
pub struct DeviceKey(Uuid);

impl utoipa::IntoParams for DeviceKey {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        vec![key_parameter()]
    }
}

impl FromRequest for DeviceKey {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        ready(
            Uuid::parse_str(raw)
                .map(DeviceKey)
                .map_err(|_| GraphError::device_not_found(raw)),
        )
    }
}

fn found(found: bool, key: &DeviceKey) -> Result<HttpResponse, GraphError> {
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(GraphError::device_not_found(&key.0.to_string()))
    }
}

pub async fn list(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), root.version, Endpoint::List)?;
    let page_size = options.page_size() as usize;
    let page = Page {
        filter: options.filter.as_ref(),
        order_by: &options.order_by,
        after: options.after.as_deref(),
        skip: if options.after.is_some() {
            0
        } else {
            options.skip.unwrap_or(0)
        },
        // One row more than the page tells whether there is a next one.
        limit: options.page_size() + 1,
    };
    let count = async {
        match options.count {
            true => store
                .count_devices(tenant, options.filter.as_ref())
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    let (mut devices, count) =
        futures_util::future::try_join(store.list_devices(tenant, &page), count).await?;

    let next_link = (devices.len() > page_size).then(|| {
        devices.truncate(page_size);
        let last = devices.last().expect("a full page has a last row");
        let cursor: Vec<_> = options
            .order_by
            .iter()
            .map(|key| last.get(key.property).clone())
            .collect();
        format!(
            "{}?{}",
            root.collection_url(),
            options.next_page_query(&cursor)
        )
    });
    let body = CollectionPage {
        context: root.collection_context(&options.select_suffix()),
        count,
        value: devices
            .iter()
            .map(|device| DeviceView {
                device,
                version: root.version,
                select: options.select.as_deref(),
                context: None,
            })
            .collect(),
        next_link,
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(body))
}

pub async fn count(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), root.version, Endpoint::Count)?;
    let count = store.count_devices(tenant, options.filter.as_ref()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(count.to_string()))
}

pub async fn create(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    body: JsonBody,
) -> Result<HttpResponse, GraphError> {
    let assignments = parse_new_device(&body.0, root.version)?;
    let device = store.create_device(tenant, assignments).await?;
    Ok(entity_response(
        HttpResponse::Created().insert_header((header::LOCATION, root.device_url(device.id()))),
        &root,
        &device,
        None,
    ))
}

pub async fn get(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: DeviceKey,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), root.version, Endpoint::Item)?;
    let device = store
        .device(tenant, key.0)
        .await?
        .ok_or_else(|| GraphError::device_not_found(&key.0.to_string()))?;
    Ok(entity_response(
        &mut HttpResponse::Ok(),
        &root,
        &device,
        Some(&options),
    ))
}

fn entity_response(
    response: &mut actix_web::HttpResponseBuilder,
    root: &ServiceRoot,
    device: &Device,
    options: Option<&QueryOptions>,
) -> HttpResponse {
    let select = options.and_then(|o| o.select.as_deref());
    let context =
        root.entity_context(&options.map(QueryOptions::select_suffix).unwrap_or_default());
    response.content_type(GRAPH_JSON).json(DeviceView {
        device,
        version: root.version,
        select,
        context: Some(&context),
    })
}

/// PATCH: the properties sent change, with the create rules; `id` cannot change.
pub async fn update(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: DeviceKey,
    body: JsonBody,
) -> Result<HttpResponse, GraphError> {
    let assignments = parse_device_body(&body.0, root.version)?
        .assignments(root.version)
        .map_err(GraphError::invalid_fields)?;
    found(
        store.update_device(tenant, key.0, &assignments).await?,
        &key,
    )
}

pub async fn delete(
    tenant: Tenant,
    store: web::Data<Store>,
    key: DeviceKey,
) -> Result<HttpResponse, GraphError> {
    found(store.delete_device(tenant, key.0).await?, &key)
}

/// POST `.../{id}/<action>`: parameters (when the action takes any) become property changes.
pub async fn run_action(
    tenant: Tenant,
    action: DeviceAction,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: DeviceKey,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, GraphError> {
    let body = if action.takes_parameters() {
        Some(JsonBody::from_request(&req, &mut payload.into_inner()).await?)
    } else {
        None
    };
    let assignments = action.assignments(body.as_ref().map(|b| b.0.as_ref()), root.version)?;
    found(
        store.update_device(tenant, key.0, &assignments).await?,
        &key,
    )
}
