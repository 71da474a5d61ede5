//! The directory slice on both roots: `/devices` (an identity's registration creates one; an app
//! may create, change and delete them) with the groups they are members of, and `/groups` with
//! their members, added ones or a rule's.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::directory::{
    DIRECTORY_DEVICES, EXPANDED_MEMBERS, GROUPS, MAX_IDS_PER_GET_BY_IDS, Membership,
    groups_of_device, with_ids,
};
use crate::domain::entity::{Entity, EntitySet, PropertyValue};
use crate::domain::query::Filter;
use crate::domain::query::{Direction, OrderKey, Page};
use crate::graph::GRAPH_JSON;
use crate::graph::directory::{
    GetByIds, device_reference, member_reference_query, membership_error, parse_get_by_ids,
    parse_member_ref, reference_id, without_alternative_security_ids,
};
use crate::graph::entity::{CollectionPage, EntityView};
use crate::graph::entity::{parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::graph::schema::{
    CountParameters, DEVICES_TAG, DIRECTORY_OBJECTS_TAG, DirectoryDeviceBeta,
    DirectoryDevicePageBeta, DirectoryDevicePageV1, DirectoryDeviceV1, DirectoryObjectCollection,
    GROUPS_TAG, GetByIdsRequest, GroupBeta, GroupPageBeta, GroupPageV1, GroupV1, ListParameters,
    ReferenceCreate, ReferencePage,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, Collection, ExpandParameters, ItemParameters, Key, Served, entity_set_routes, found,
};
use crate::store::{Added, DeviceDeleted, DeviceGroups, Store};

/// Directory devices, for the route attributes. A create may send `alternativeSecurityIds`.
pub struct DirectoryDevices;

impl Served for DirectoryDevices {
    const SET: &'static EntitySet = &DIRECTORY_DEVICES;

    /// Graph requires `alternativeSecurityIds` on a create; they are checked and left out.
    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let body = without_alternative_security_ids(&body.0)?;
        let values = parse_new_entity(&DIRECTORY_DEVICES, &body, root.version)?;
        entity_set::create_parsed(&DIRECTORY_DEVICES, tenant, store, root, values).await
    }
}

/// Groups, for the route attributes. A create is checked for a membership that fits together.
pub struct Groups;

impl Served for Groups {
    const SET: &'static EntitySet = &GROUPS;

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let mut values = parse_new_entity(&GROUPS, &body.0, root.version)?;
        membership_of(&values, None)?.complete_new_group(&mut values);
        entity_set::create_parsed(&GROUPS, tenant, store, root, values).await
    }
}

/// The membership a group has with `changes` applied to `current`, or the 400 saying why none.
fn membership_of(
    changes: &[PropertyValue],
    current: Option<&Entity>,
) -> Result<Membership, GraphError> {
    Membership::of_group(changes, current).map_err(|problem| membership_error(&problem))
}

/// The tenant's group, or its 404.
pub(super) async fn group(store: &Store, tenant: Tenant, id: Uuid) -> Result<Entity, GraphError> {
    store
        .get(&GROUPS, tenant, id)
        .await?
        .ok_or_else(|| GraphError::entity_not_found(&GROUPS, &id.to_string()))
}

/// PATCH: the membership must still fit together with the values sent; 204 as on Graph.
async fn update(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Handled {
    let mut assignments = parse_entity_body(&GROUPS, &body.0, root.version)?;
    let current = group(&store, tenant, id).await?;
    let membership = membership_of(&assignments, Some(&current))?;
    assignments.push(membership.processing_status());
    found(
        &GROUPS,
        store.update(&GROUPS, tenant, id, &assignments).await?,
        id,
    )
}

/// The directory devices that are members of `group`: those added to it, or those its rule takes.
pub(super) fn members_filter(group: &Entity) -> Result<Filter, GraphError> {
    Ok(membership_of(&[], Some(group))?.members(group.id()))
}

/// The first members of `group` that `$expand=members` inlines, in id order.
pub(super) async fn first_members(
    store: &Store,
    tenant: Tenant,
    group: &Entity,
) -> Result<Vec<Entity>, GraphError> {
    let filter = members_filter(group)?;
    first_of(store, tenant, &DIRECTORY_DEVICES, &filter, EXPANDED_MEMBERS).await
}

/// The first `limit` of the tenant's entities of `set` that pass `filter`, in id order.
async fn first_of(
    store: &Store,
    tenant: Tenant,
    set: &'static EntitySet,
    filter: &Filter,
    limit: u32,
) -> Result<Vec<Entity>, GraphError> {
    let order_by = [OrderKey {
        property: set.key(),
        direction: Direction::Asc,
    }];
    let page = Page {
        filter: Some(filter),
        order_by: &order_by,
        after: None,
        skip: 0,
        limit,
    };
    Ok(store.list(set, tenant, &page).await?)
}

/// GET `/groups/{id}/members`: the directory devices added to the group, or those its rule takes.
/// The same page answers `transitiveMembers` (groups never hold groups here) and the cast
/// `members/microsoft.graph.device` (every member is a device), each under its own URL and context.
async fn members(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    listed: MembersListed,
    req: HttpRequest,
) -> Handled {
    let group = group(&store, tenant, id).await?;
    let (navigation, metadata_fragment) = match listed {
        MembersListed::Members => ("members", "directoryObjects"),
        MembersListed::Transitive => ("transitiveMembers", "directoryObjects"),
        MembersListed::AsDevices => ("members/microsoft.graph.device", "devices"),
    };
    let collection = Collection {
        within: Some(members_filter(&group)?),
        url: format!("{}/{id}/{navigation}", root.collection_url(&GROUPS)),
        metadata_fragment: metadata_fragment.to_owned(),
        typed: true,
    };
    entity_set::list_of(&DIRECTORY_DEVICES, collection, tenant, store, root, req).await
}

/// Which of a group's member listings a request asked for.
#[derive(Debug, Clone, Copy)]
enum MembersListed {
    Members,
    Transitive,
    AsDevices,
}

/// POST `/groups/{id}/members/$ref`: adds a directory device to a group without a rule.
async fn add_member(tenant: Tenant, store: web::Data<Store>, id: Uuid, body: JsonBody) -> Handled {
    let device = parse_member_ref(&body.0)?;
    let group = group(&store, tenant, id).await?;
    if let Membership::Dynamic(_) = membership_of(&[], Some(&group))? {
        return Err(GraphError::bad_request(
            "The members of a group with DynamicMembership are decided by its membershipRule; \
             they cannot be added.",
        ));
    }
    match store.add_group_member(tenant, id, device).await? {
        Added::Added => Ok(HttpResponse::NoContent().finish()),
        Added::AlreadyMember => Err(GraphError::bad_request(
            "One or more added object references already exist for the following modified \
             properties: 'members'.",
        )),
        Added::NoSuchDevice => Err(GraphError::not_found(format!(
            "Resource '{device}' does not exist or one of its queried reference-property objects \
             are not present."
        ))),
    }
}

/// DELETE `/groups/{id}/members/{member}/$ref`.
async fn remove_member(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let raw = req.match_info().get("member").unwrap_or_default();
    remove_member_named(tenant, store, id, raw).await
}

/// DELETE `/groups/{id}/members/$ref?@id=<url>`: the form the SDKs send (`$id` is accepted too).
async fn remove_member_by_query(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let reference = member_reference_query(req.query_string())?;
    remove_member_named(tenant, store, id, &reference).await
}

/// Removes the member `raw` (its id, or a reference URL ending in it) from the group `id`.
async fn remove_member_named(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    raw: &str,
) -> Handled {
    let missing = || GraphError::not_found(format!("'{raw}' is not a member of group '{id}'."));
    let device = reference_id(raw).ok_or_else(missing)?;
    group(&store, tenant, id).await?;
    if store.remove_group_member(tenant, id, device).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(missing())
    }
}

/// GET `/groups/{id}/members/$count`: the number of the group's members, with the request's
/// `$filter` on them.
async fn count_members(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let group = group(&store, tenant, id).await?;
    let options = QueryOptions::parse(
        req.query_string(),
        &DIRECTORY_DEVICES,
        root.version,
        Endpoint::Count,
    )?;
    let within = members_filter(&group)?.and(options.filter.as_ref());
    let count = store
        .count(&DIRECTORY_DEVICES, tenant, Some(&within))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(count.to_string()))
}

/// The tenant's directory device, or its 404.
async fn device_or_404(
    store: &Store,
    tenant: Tenant,
    id: Uuid,
) -> Result<DeviceGroups, GraphError> {
    store
        .device_groups(tenant, id)
        .await?
        .ok_or_else(|| GraphError::entity_not_found(&DIRECTORY_DEVICES, &id.to_string()))
}

/// GET `/devices/{id}/memberOf`, its cast `memberOf/microsoft.graph.group` and
/// `transitiveMemberOf` (the same here: groups hold devices, never groups): the groups the device
/// was added to and those whose rule takes it.
async fn member_of(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    navigation: &str,
    req: HttpRequest,
) -> Handled {
    let stored = device_or_404(&store, tenant, id).await?;
    let groups = groups_of_device(&stored.added_to, &stored.with_rules, &stored.physical_ids);
    let collection = Collection {
        within: Some(with_ids(&GROUPS, &groups)),
        url: format!(
            "{}/{id}/{navigation}",
            root.collection_url(&DIRECTORY_DEVICES)
        ),
        // A cast to groups is a collection of groups; the navigation, of directory objects.
        metadata_fragment: if navigation.ends_with("microsoft.graph.group") {
            "groups"
        } else {
            "directoryObjects"
        }
        .to_owned(),
        typed: true,
    };
    entity_set::list_of(&GROUPS, collection, tenant, store, root, req).await
}

/// DELETE `/devices/{id}`: the last offboarding step. The device identity stays, unlinked.
async fn delete_device(tenant: Tenant, store: web::Data<Store>, id: Uuid) -> Handled {
    match store.delete_directory_device(tenant, id).await? {
        DeviceDeleted::Deleted => Ok(HttpResponse::NoContent().finish()),
        DeviceDeleted::NoSuchDevice => Err(GraphError::entity_not_found(
            &DIRECTORY_DEVICES,
            &id.to_string(),
        )),
    }
}

/// GET `/groups/{id}/members/$ref`: a page of references to the group's members, as Graph
/// answers them (`@odata.id` per member); the page is that of `members`, options and all.
async fn member_references(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let options = QueryOptions::parse(
        req.query_string(),
        &DIRECTORY_DEVICES,
        root.version,
        Endpoint::List,
    )?;
    if options.select.is_some() || !options.expand.is_empty() {
        return Err(GraphError::bad_request(
            "$select and $expand do not apply to references.",
        ));
    }
    let group = group(&store, tenant, id).await?;
    let collection = Collection {
        within: Some(members_filter(&group)?),
        url: format!("{}/{id}/members/$ref", root.collection_url(&GROUPS)),
        metadata_fragment: "directoryObjects".to_owned(),
        typed: true,
    };
    let service_root = root.collection_url(&GROUPS);
    let service_root = service_root
        .trim_end_matches(GROUPS.path)
        .trim_end_matches('/');
    let service_root = service_root.to_owned();
    let page =
        entity_set::list_of(&DIRECTORY_DEVICES, collection, tenant, store, root, req).await?;
    let body = actix_web::body::to_bytes(page.into_body())
        .await
        .map_err(|_| GraphError::internal())?;
    let mut page: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| GraphError::internal())?;
    if let Some(members) = page.get_mut("value").and_then(|value| value.as_array_mut()) {
        for member in members.iter_mut() {
            let id = member["id"].as_str().unwrap_or_default().to_owned();
            *member = serde_json::json!({ "@odata.id": device_reference(&service_root, &id) });
        }
    }
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

/// A group's navigation that holds nothing here, checked like any list: a group's `memberOf` and
/// `transitiveMemberOf` (groups hold devices, never groups) and its `owners` (users and service
/// principals, of which this directory has none).
async fn nothing_of_group(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let options = QueryOptions::parse(req.query_string(), &GROUPS, root.version, Endpoint::List)?;
    group(&store, tenant, id).await?;
    let page = CollectionPage {
        context: root.metadata("directoryObjects"),
        count: options.count.then_some(0),
        value: Vec::new(),
        next_link: None,
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

/// GET `/groups/{id}/owners/$count`: none, as [`nothing_of_group`] says.
async fn count_owners(tenant: Tenant, store: web::Data<Store>, id: Uuid) -> Handled {
    group(&store, tenant, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body("0"))
}

/// POST `/groups/{id}/owners/$ref`: an owner is a user or a service principal. This directory has
/// neither, so a device or group is the wrong kind of object (400) and any other id names none (404).
async fn add_owner(tenant: Tenant, store: web::Data<Store>, id: Uuid, body: JsonBody) -> Handled {
    let owner = parse_member_ref(&body.0)?;
    group(&store, tenant, id).await?;
    let is_device = store
        .get(&DIRECTORY_DEVICES, tenant, owner)
        .await?
        .is_some();
    if is_device || store.get(&GROUPS, tenant, owner).await?.is_some() {
        return Err(GraphError::bad_request(
            "Unsupported referenced-object resource identifier for link property 'owners': an \
             owner is a user or a service principal.",
        ));
    }
    Err(GraphError::not_found(format!(
        "Resource '{owner}' does not exist or one of its queried reference-property objects are \
         not present."
    )))
}

/// DELETE `/groups/{id}/owners/{owner}/$ref` and `owners/$ref?@id=`: no group has an owner here.
async fn remove_owner(tenant: Tenant, store: web::Data<Store>, id: Uuid, owner: &str) -> Handled {
    group(&store, tenant, id).await?;
    Err(GraphError::not_found(format!(
        "'{owner}' is not an owner of group '{id}'."
    )))
}

/// POST `getByIds` (on `/directoryObjects`, `/devices` or `/groups`): the devices and groups with
/// the ids asked for, among the types the body names (else `default_types`, else both).
async fn get_by_ids(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    body: JsonBody,
    default_types: Option<&str>,
) -> Handled {
    let mut request = parse_get_by_ids(&body.0)?;
    if request.types.is_none() {
        request.types = default_types.map(|t| vec![t.to_owned()]);
    }
    let mut found = Vec::new();
    for (type_name, set) in [("device", &DIRECTORY_DEVICES), ("group", &GROUPS)] {
        found.extend(objects_with_ids(&store, tenant, set, &request, type_name).await?);
    }
    let page = CollectionPage {
        context: root.metadata("directoryObjects"),
        count: None,
        value: found
            .iter()
            .map(|entity| EntityView {
                entity,
                version: root.version,
                select: None,
                context: None,
                typed: true,
                expanded: &[],
            })
            .collect(),
        next_link: None,
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

/// The tenant's entities of `set` that `request` asks for, if it looks among `type_name`.
async fn objects_with_ids(
    store: &Store,
    tenant: Tenant,
    set: &'static EntitySet,
    request: &GetByIds,
    type_name: &str,
) -> Result<Vec<Entity>, GraphError> {
    if !request.wants(type_name) || request.ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = with_ids(set, &request.ids);
    first_of(store, tenant, set, &filter, MAX_IDS_PER_GET_BY_IDS as u32).await
}

macro_rules! root_operations {
    ($root:ident, $prefix:tt, $device:ty, $device_page:ty, $group:ty, $group_page:ty) => {
        pub mod $root {
            use super::*;

            pub mod devices {
                use super::*;

                entity_set_routes!(
                    set: DirectoryDevices, prefix: $prefix, tag: DEVICES_TAG,
                    collection: "/devices",
                    count: "/devices/$count",
                    item: "/devices/{id}",
                    documented_item: "/devices/{device-id}",
                    operation_ids: ("devices.device.", "Device", "devices.GetCount"),
                    summaries: ("devices", "device"),
                    described: ("A page of devices", "The device", "The URL of the new device"),
                    entity: $device, page: $device_page, create_examples: (),
                    operations: [list, create, count, get]
                );

                #[utoipa::path(
                    patch,
                    path = "/devices/{device-id}",
                    tag = DEVICES_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "devices.device.UpdateDevice"),
                    summary = "Update device",
                    params(Key<DirectoryDevices>),
                    request_body(content = $device, content_type = "application/json"),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[patch("/devices/{id}")]
                pub async fn update(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<DirectoryDevices>, body: JsonBody) -> Handled {
                    entity_set::update(&DIRECTORY_DEVICES, access.0, store, root, key.0, body).await
                }

                #[utoipa::path(
                    delete,
                    path = "/devices/{device-id}",
                    tag = DEVICES_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "devices.device.DeleteDevice"),
                    summary = "Delete device",
                    params(Key<DirectoryDevices>),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[delete("/devices/{id}")]
                pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: Key<DirectoryDevices>) -> Handled {
                    super::super::delete_device(access.0, store, key.0).await
                }

                #[utoipa::path(
                    get,
                    path = "/devices/{device-id}/memberOf",
                    tag = DEVICES_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "devices.ListMemberOf"),
                    summary = "List a device's direct memberships",
                    params(Key<DirectoryDevices>, ListParameters),
                    responses(
                        (status = 200, description = "A page of the groups the device is a member of", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/devices/{id}/memberOf")]
                pub async fn member_of(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<DirectoryDevices>, req: HttpRequest) -> Handled {
                    super::super::member_of(access.0, store, root, key.0, "memberOf", req).await
                }

                #[utoipa::path(
                    get,
                    path = "/devices/{device-id}/memberOf/microsoft.graph.group",
                    tag = DEVICES_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "devices.ListMemberOf.AsGroup"),
                    summary = "Get the items of type microsoft.graph.group in the microsoft.graph.directoryObject collection",
                    params(Key<DirectoryDevices>, ListParameters),
                    responses(
                        (status = 200, description = "A page of the groups the device is a member of", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/devices/{id}/memberOf/microsoft.graph.group")]
                pub async fn member_of_groups(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<DirectoryDevices>, req: HttpRequest) -> Handled {
                    super::super::member_of(access.0, store, root, key.0, "memberOf/microsoft.graph.group", req).await
                }

                #[utoipa::path(
                    get,
                    path = "/devices/{device-id}/transitiveMemberOf",
                    tag = DEVICES_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "devices.ListTransitiveMemberOf"),
                    summary = "List a device's transitive memberships",
                    params(Key<DirectoryDevices>, ListParameters),
                    responses(
                        (status = 200, description = "A page of the groups the device is a member of, directly or not", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/devices/{id}/transitiveMemberOf")]
                pub async fn transitive_member_of(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<DirectoryDevices>, req: HttpRequest) -> Handled {
                    super::super::member_of(access.0, store, root, key.0, "transitiveMemberOf", req).await
                }

                #[utoipa::path(
                    post,
                    path = "/devices/getByIds",
                    tag = DEVICES_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "devices.getByIds"),
                    summary = "Get devices and groups by their ids",
                    request_body(content = GetByIdsRequest, content_type = "application/json"),
                    responses(
                        (status = 200, description = "The objects found", body = DirectoryObjectCollection),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[post("/devices/getByIds")]
                pub async fn get_by_ids(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, body: JsonBody) -> Handled {
                    super::super::get_by_ids(access.0, store, root, body, Some("device")).await
                }
            }

            pub mod groups {
                use super::*;

                entity_set_routes!(
                    set: Groups, prefix: $prefix, tag: GROUPS_TAG,
                    collection: "/groups",
                    count: "/groups/$count",
                    item: "/groups/{id}",
                    documented_item: "/groups/{group-id}",
                    operation_ids: ("groups.group.", "Group", "groups.GetCount"),
                    summaries: ("groups", "group"),
                    described: ("A page of groups", "The group", "The URL of the new group"),
                    entity: $group, page: $group_page, create_examples: (),
                    operations: [list, create, count, get, delete]
                );

                #[utoipa::path(
                    patch,
                    path = "/groups/{group-id}",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.group.UpdateGroup"),
                    summary = "Update group",
                    params(Key<Groups>),
                    request_body(content = $group, content_type = "application/json"),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[patch("/groups/{id}")]
                pub async fn update(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, body: JsonBody) -> Handled {
                    super::super::update(access.0, store, root, key.0, body).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/members",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListMembers"),
                    summary = "List group members",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "A page of the group's devices", body = $device_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/members")]
                pub async fn members(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::members(access.0, store, root, key.0, MembersListed::Members, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/transitiveMembers",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListTransitiveMembers"),
                    summary = "List group transitive members",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "A page of the group's devices (groups hold no groups here)", body = $device_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/transitiveMembers")]
                pub async fn transitive_members(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::members(access.0, store, root, key.0, MembersListed::Transitive, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/members/microsoft.graph.device",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListMembers.AsDevice"),
                    summary = "Get the items of type microsoft.graph.device in the microsoft.graph.directoryObject collection",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "A page of the group's devices", body = $device_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/members/microsoft.graph.device")]
                pub async fn members_as_devices(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::members(access.0, store, root, key.0, MembersListed::AsDevices, req).await
                }

                #[utoipa::path(
                    post,
                    path = "/groups/{group-id}/members/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.CreateRefMembers"),
                    summary = "Add members",
                    params(Key<Groups>),
                    request_body(content = ReferenceCreate, content_type = "application/json"),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[post("/groups/{id}/members/$ref")]
                pub async fn add_member(access: WriteAccess, store: web::Data<Store>, key: Key<Groups>, body: JsonBody) -> Handled {
                    super::super::add_member(access.0, store, key.0, body).await
                }

                #[utoipa::path(
                    delete,
                    path = "/groups/{group-id}/members/{directoryObject-id}/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.members.DeleteRefDirectoryObject"),
                    summary = "Remove member",
                    params(Key<Groups>, ("directoryObject-id" = String, Path, description = "The id of the member")),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[delete("/groups/{id}/members/{member}/$ref")]
                pub async fn remove_member(access: WriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::remove_member(access.0, store, key.0, req).await
                }

                #[utoipa::path(
                    delete,
                    path = "/groups/{group-id}/members/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.DeleteRefMembers"),
                    summary = "Remove member",
                    params(Key<Groups>, ("@id" = String, Query, description = "The reference to the member: the URL of the directory object")),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[delete("/groups/{id}/members/$ref")]
                pub async fn remove_member_by_query(access: WriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::remove_member_by_query(access.0, store, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/members/$count",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.members.GetCount"),
                    summary = "Get the number of the resource",
                    params(Key<Groups>, CountParameters),
                    responses(
                        (status = 200, description = "The count", body = i64, content_type = "text/plain"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/members/$count")]
                pub async fn count_members(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::count_members(access.0, store, root, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/memberOf",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListMemberOf"),
                    summary = "List group memberships",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "None: groups hold devices, never groups", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/memberOf")]
                pub async fn member_of(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::nothing_of_group(access.0, store, root, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/transitiveMemberOf",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListTransitiveMemberOf"),
                    summary = "List group transitive memberOf",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "None: groups hold devices, never groups", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/transitiveMemberOf")]
                pub async fn transitive_member_of(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::nothing_of_group(access.0, store, root, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/owners",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListOwners"),
                    summary = "List group owners",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "None: owners are users and service principals, which this directory does not hold", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/owners")]
                pub async fn owners(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::nothing_of_group(access.0, store, root, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/members/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListRefMembers"),
                    summary = "List group members",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "A page of references to the group's members", body = ReferencePage),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/members/$ref")]
                pub async fn member_references(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::member_references(access.0, store, root, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/owners/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.ListRefOwners"),
                    summary = "List group owners",
                    params(Key<Groups>, ListParameters),
                    responses(
                        (status = 200, description = "None: owners are users and service principals, which this directory does not hold", body = ReferencePage),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/owners/$ref")]
                pub async fn owner_references(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::nothing_of_group(access.0, store, root, key.0, req).await
                }

                #[utoipa::path(
                    get,
                    path = "/groups/{group-id}/owners/$count",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.owners.GetCount"),
                    summary = "Get the number of the resource",
                    params(Key<Groups>, CountParameters),
                    responses(
                        (status = 200, description = "The count", body = i64, content_type = "text/plain"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/owners/$count")]
                pub async fn count_owners(access: ReadAccess, store: web::Data<Store>, key: Key<Groups>) -> Handled {
                    super::super::count_owners(access.0, store, key.0).await
                }

                #[utoipa::path(
                    post,
                    path = "/groups/{group-id}/owners/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.CreateRefOwners"),
                    summary = "Add owners",
                    params(Key<Groups>),
                    request_body(content = ReferenceCreate, content_type = "application/json"),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[post("/groups/{id}/owners/$ref")]
                pub async fn add_owner(access: WriteAccess, store: web::Data<Store>, key: Key<Groups>, body: JsonBody) -> Handled {
                    super::super::add_owner(access.0, store, key.0, body).await
                }

                #[utoipa::path(
                    delete,
                    path = "/groups/{group-id}/owners/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.DeleteRefOwners"),
                    summary = "Remove group owner",
                    params(Key<Groups>, ("@id" = String, Query, description = "The reference to the owner: the URL of the directory object")),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[delete("/groups/{id}/owners/$ref")]
                pub async fn remove_owner_by_query(access: WriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    let owner = member_reference_query(req.query_string())?;
                    super::super::remove_owner(access.0, store, key.0, &owner).await
                }

                #[utoipa::path(
                    delete,
                    path = "/groups/{group-id}/owners/{directoryObject-id}/$ref",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.owners.DeleteRefDirectoryObject"),
                    summary = "Remove group owner",
                    params(Key<Groups>, ("directoryObject-id" = String, Path, description = "The id of the owner")),
                    responses(
                        (status = 204, description = "Success"),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[delete("/groups/{id}/owners/{owner}/$ref")]
                pub async fn remove_owner(access: WriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    let owner = req.match_info().get("owner").unwrap_or_default().to_owned();
                    super::super::remove_owner(access.0, store, key.0, &owner).await
                }

                #[utoipa::path(
                    post,
                    path = "/groups/getByIds",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.getByIds"),
                    summary = "Get devices and groups by their ids",
                    request_body(content = GetByIdsRequest, content_type = "application/json"),
                    responses(
                        (status = 200, description = "The objects found", body = DirectoryObjectCollection),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[post("/groups/getByIds")]
                pub async fn get_by_ids(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, body: JsonBody) -> Handled {
                    super::super::get_by_ids(access.0, store, root, body, Some("group")).await
                }
            }

            pub mod directory_objects {
                use super::*;

                #[utoipa::path(
                    post,
                    path = "/directoryObjects/getByIds",
                    tag = DIRECTORY_OBJECTS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "directoryObjects.getByIds"),
                    summary = "Get directory objects from a list of ids",
                    request_body(content = GetByIdsRequest, content_type = "application/json"),
                    responses(
                        (status = 200, description = "The objects found", body = DirectoryObjectCollection),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[post("/directoryObjects/getByIds")]
                pub async fn get_by_ids(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, body: JsonBody) -> Handled {
                    super::super::get_by_ids(access.0, store, root, body, None).await
                }
            }

            /// This root's directory routes: getByIds first (before the item routes' `{id}`), then
            /// devices, then groups with their members.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(directory_objects::get_by_ids)
                    .service(devices::get_by_ids)
                    .service(groups::get_by_ids)
                    .service(devices::list)
                    .service(devices::create)
                    .service(devices::count)
                    .service(devices::get)
                    .service(devices::update)
                    .service(devices::delete)
                    .service(devices::member_of_groups)
                    .service(devices::member_of)
                    .service(devices::transitive_member_of)
                    .service(groups::list)
                    .service(groups::create)
                    .service(groups::count)
                    .service(groups::get)
                    .service(groups::update)
                    .service(groups::delete)
                    .service(groups::count_members)
                    .service(groups::member_references)
                    .service(groups::members_as_devices)
                    .service(groups::members)
                    .service(groups::transitive_members)
                    .service(groups::member_of)
                    .service(groups::transitive_member_of)
                    .service(groups::count_owners)
                    .service(groups::owner_references)
                    .service(groups::owners)
                    .service(groups::add_owner)
                    .service(groups::remove_owner_by_query)
                    .service(groups::remove_owner)
                    .service(groups::add_member)
                    .service(groups::remove_member_by_query)
                    .service(groups::remove_member);
            }
        }
    };
}

root_operations!(
    v1,
    "",
    DirectoryDeviceV1,
    DirectoryDevicePageV1,
    GroupV1,
    GroupPageV1
);
root_operations!(
    beta,
    "beta.",
    DirectoryDeviceBeta,
    DirectoryDevicePageBeta,
    GroupBeta,
    GroupPageBeta
);
