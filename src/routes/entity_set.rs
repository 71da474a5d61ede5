//! The operations every entity set has, for any set: list, `$count`, create, get, update, delete.
//! A set's route table calls these with its own [`EntitySet`].

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use uuid::Uuid;

use crate::domain::Tenant;
use crate::domain::entity::{Entity, EntitySet};
use crate::domain::query::Page;
use crate::graph::GRAPH_JSON;
use crate::graph::entity::{CollectionPage, EntityView, parse_entity_body, parse_new_entity};
use crate::graph::error::GraphError;
use crate::graph::links::ServiceRoot;
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::routes::body::JsonBody;
use crate::store::Store;

/// The key of an item as the path gives it. A key that is not a GUID names no entity: 404 like any
/// other.
pub fn parse_key(set: &EntitySet, raw: &str) -> Result<Uuid, GraphError> {
    Uuid::parse_str(raw).map_err(|_| GraphError::entity_not_found(set, raw))
}

/// 204 when the entity was there, else its 404.
pub fn found(set: &EntitySet, found: bool, id: Uuid) -> Result<HttpResponse, GraphError> {
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(GraphError::entity_not_found(set, &id.to_string()))
    }
}

pub async fn list(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), set, root.version, Endpoint::List)?;
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
                .count(set, tenant, options.filter.as_ref())
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    let (mut entities, count) =
        futures_util::future::try_join(store.list(set, tenant, &page), count).await?;

    let next_link = (entities.len() > page_size).then(|| {
        entities.truncate(page_size);
        let last = entities.last().expect("a full page has a last row");
        let cursor: Vec<_> = options
            .order_by
            .iter()
            .map(|key| last.get(key.property).clone())
            .collect();
        format!(
            "{}?{}",
            root.collection_url(set),
            options.next_page_query(&cursor)
        )
    });
    let body = CollectionPage {
        context: root.collection_context(set, &options.select_suffix()),
        count,
        value: entities
            .iter()
            .map(|entity| EntityView {
                entity,
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
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), set, root.version, Endpoint::Count)?;
    let count = store.count(set, tenant, options.filter.as_ref()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(count.to_string()))
}

pub async fn create(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    body: JsonBody,
) -> Result<HttpResponse, GraphError> {
    let assignments = parse_new_entity(set, &body.0, root.version)?;
    let entity = store.create(set, tenant, assignments).await?;
    Ok(entity_response(
        HttpResponse::Created()
            .insert_header((header::LOCATION, root.entity_url(set, entity.id()))),
        &root,
        &entity,
        None,
    ))
}

pub async fn get(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), set, root.version, Endpoint::Item)?;
    let entity = store
        .get(set, tenant, id)
        .await?
        .ok_or_else(|| GraphError::entity_not_found(set, &id.to_string()))?;
    Ok(entity_response(
        &mut HttpResponse::Ok(),
        &root,
        &entity,
        Some(&options),
    ))
}

fn entity_response(
    response: &mut actix_web::HttpResponseBuilder,
    root: &ServiceRoot,
    entity: &Entity,
    options: Option<&QueryOptions>,
) -> HttpResponse {
    let select = options.and_then(|o| o.select.as_deref());
    let context = root.entity_context(
        entity.set,
        &options.map(QueryOptions::select_suffix).unwrap_or_default(),
    );
    response.content_type(GRAPH_JSON).json(EntityView {
        entity,
        version: root.version,
        select,
        context: Some(&context),
    })
}

/// PATCH: the properties sent change, with the create rules; the key cannot change.
pub async fn update(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Result<HttpResponse, GraphError> {
    let assignments = parse_entity_body(set, &body.0, root.version)?;
    found(set, store.update(set, tenant, id, &assignments).await?, id)
}

pub async fn delete(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
) -> Result<HttpResponse, GraphError> {
    found(set, store.delete(set, tenant, id).await?, id)
}
