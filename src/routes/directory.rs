//! The directory slice on both roots: `/devices` (an identity's registration creates one; an app
//! may create, change and delete them) with the groups they are members of, and `/groups` with
//! their members, added ones or a rule's.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::directory::{
    DIRECTORY_DEVICES, GROUPS, Membership, groups_of_device, groups_with_ids,
};
use crate::domain::entity::{Entity, EntitySet, PropertyValue};
use crate::domain::query::Filter;
use crate::graph::directory::{
    member_reference_query, membership_error, parse_member_ref, reference_id,
};
use crate::graph::entity::{parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::graph::schema::{
    CountParameters, DEVICES_TAG, DirectoryDeviceBeta, DirectoryDevicePageBeta,
    DirectoryDevicePageV1, DirectoryDeviceV1, GROUPS_TAG, GroupBeta, GroupPageBeta, GroupPageV1,
    GroupV1, ListParameters, ReferenceCreate,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, Collection, ExpandParameters, ItemParameters, Key, Served, entity_set_routes, found,
};
use crate::store::{Added, DeviceDeleted, DeviceGroups, Store};

/// Directory devices, for the route attributes.
pub struct DirectoryDevices;

impl Served for DirectoryDevices {
    const SET: &'static EntitySet = &DIRECTORY_DEVICES;
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

/// GET `/groups/{id}/members`: the directory devices added to the group, or those its rule takes.
async fn members(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let group = group(&store, tenant, id).await?;
    let collection = Collection {
        within: Some(members_filter(&group)?),
        url: format!("{}/{id}/members", root.collection_url(&GROUPS)),
        metadata_fragment: "directoryObjects".to_owned(),
        typed: true,
    };
    entity_set::list_of(&DIRECTORY_DEVICES, collection, tenant, store, root, req).await
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

/// GET `/devices/{id}/memberOf` and `transitiveMemberOf` (the same here: groups hold devices,
/// never groups): the groups the device was added to and those whose rule takes it.
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
        within: Some(groups_with_ids(&groups)),
        url: format!(
            "{}/{id}/{navigation}",
            root.collection_url(&DIRECTORY_DEVICES)
        ),
        metadata_fragment: "directoryObjects".to_owned(),
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
                    super::super::members(access.0, store, root, key.0, req).await
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
            }

            /// This root's directory routes: devices, then groups with their members.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(devices::list)
                    .service(devices::create)
                    .service(devices::count)
                    .service(devices::get)
                    .service(devices::update)
                    .service(devices::delete)
                    .service(devices::member_of)
                    .service(devices::transitive_member_of)
                    .service(groups::list)
                    .service(groups::create)
                    .service(groups::count)
                    .service(groups::get)
                    .service(groups::update)
                    .service(groups::delete)
                    .service(groups::count_members)
                    .service(groups::members)
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
