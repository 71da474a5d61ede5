//! The directory slice on both roots: `/devices` (an identity's registration creates one; an app
//! may create, change and delete them) with the groups they are members of, and `/groups` with
//! their members (devices and users, added ones or a rule's devices) and owners (users and service
//! principals). The listings of several kinds of object that members and owners are live here too,
//! for the users' and service principals' routes to share.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{GroupLinksWriteAccess, ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::directory::{
    DIRECTORY_DEVICES, EXPANDED_MEMBERS, GROUPS, GroupLink, MAX_IDS_PER_GET_BY_IDS, Membership,
    OWNER_LINKS, ObjectKind, groups_of_device, with_ids,
};
use crate::domain::entity::{Entity, EntitySet, PropertyValue, Value};
use crate::domain::principals::{SERVICE_PRINCIPALS, USERS};
use crate::domain::query::Filter;
use crate::domain::query::{Direction, OrderKey, Page};
use crate::graph::GRAPH_JSON;
use crate::graph::directory::{
    GetByIds, already_linked, group_binds, member_reference_query, membership_error,
    no_such_object, object_reference, parse_get_by_ids, parse_member_ref, reference_id,
    unsupported_reference, without_alternative_security_ids,
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

/// Groups, for the route attributes. A create is checked for a membership that fits together, and
/// may add the group's first members and owners (`members@odata.bind`, `owners@odata.bind`).
pub struct Groups;

impl Served for Groups {
    const SET: &'static EntitySet = &GROUPS;

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let binds = group_binds(&body.0)?;
        let mut values = parse_new_entity(&GROUPS, &binds.body, root.version)?;
        let membership = membership_of(&values, None)?;
        membership.complete_new_group(&mut values);
        let mut links = Vec::new();
        for member in binds.members {
            let kind = object_kind(&store, tenant, member).await?;
            links.push((member_link(&membership, kind)?, member));
        }
        for owner in binds.owners {
            let kind = object_kind(&store, tenant, owner).await?;
            links.push((owner_link(kind)?, owner));
        }
        if links.is_empty() {
            return entity_set::create_parsed(&GROUPS, tenant, store, root, values).await;
        }
        let group = store
            .create_group_with_links(tenant, values, &links)
            .await?;
        Ok(entity_set::created(&root, &group))
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

/// The kind of the tenant's directory object `id`, or Graph's 404 for a reference to none.
async fn object_kind(store: &Store, tenant: Tenant, id: Uuid) -> Result<ObjectKind, GraphError> {
    store
        .directory_object_kind(tenant, id)
        .await?
        .ok_or_else(|| no_such_object(&id.to_string()))
}

/// How an object of `kind` becomes a member of a group with `membership`, or the 400 saying why it
/// cannot: a rule decides a dynamic group's members, and only devices and users are members here.
fn member_link(
    membership: &Membership,
    kind: ObjectKind,
) -> Result<&'static GroupLink, GraphError> {
    if let Membership::Dynamic(_) = membership {
        return Err(GraphError::bad_request(
            "The members of a group with DynamicMembership are decided by its membershipRule; \
             they cannot be added.",
        ));
    }
    kind.member_link()
        .ok_or_else(|| unsupported_reference("members", "a member here is a device or a user"))
}

/// How an object of `kind` becomes a group's owner, or the 400 saying it cannot.
fn owner_link(kind: ObjectKind) -> Result<&'static GroupLink, GraphError> {
    kind.owner_link()
        .ok_or_else(|| unsupported_reference("owners", "an owner is a user or a service principal"))
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

/// The objects of one kind that a navigation lists: their set, narrowed to the navigation's.
pub(super) struct Part {
    pub set: &'static EntitySet,
    pub within: Filter,
}

/// A group's members: the directory devices added to it or those its rule takes, and the users
/// added to it. A dynamic group lists devices only, so its listing keeps every option of theirs.
fn member_parts(group: &Entity) -> Result<Vec<Part>, GraphError> {
    let membership = membership_of(&[], Some(group))?;
    let devices = Part {
        set: &DIRECTORY_DEVICES,
        within: membership.members(group.id()),
    };
    let users = membership.user_members(group.id()).map(|within| Part {
        set: &USERS,
        within,
    });
    Ok(std::iter::once(devices).chain(users).collect())
}

/// The directory devices among a group's members: those added to it or those its rule takes.
pub(super) fn device_members_filter(group: &Entity) -> Result<Filter, GraphError> {
    Ok(membership_of(&[], Some(group))?.members(group.id()))
}

/// A group's owners: users and service principals.
fn owner_parts(group: Uuid) -> Vec<Part> {
    OWNER_LINKS
        .iter()
        .map(|&link| Part {
            set: link.objects,
            within: Filter::Linked(link, group),
        })
        .collect()
}

/// The first members of `group` that `$expand=members` inlines, in id order.
pub(super) async fn first_members(
    store: &Store,
    tenant: Tenant,
    group: &Entity,
) -> Result<Vec<Entity>, GraphError> {
    let mut members = Vec::new();
    for part in member_parts(group)? {
        members.extend(first_of(store, tenant, part.set, &part.within, EXPANDED_MEMBERS).await?);
    }
    members.sort_by_key(Entity::id);
    members.truncate(EXPANDED_MEMBERS as usize);
    Ok(members)
}

/// The first `limit` of the tenant's entities of `set` that pass `filter`, in id order.
pub(super) async fn first_of(
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

/// The parts whose sets the request's query options fit (a `$filter` or `$select` naming a
/// device's property lists devices only), each with its options; the first refusal when none does.
fn parts_with_options(
    parts: Vec<Part>,
    root: &ServiceRoot,
    req: &HttpRequest,
    endpoint: Endpoint,
) -> Result<Vec<(Part, QueryOptions)>, GraphError> {
    let mut fitting = Vec::new();
    let mut refusal = None;
    for part in parts {
        match QueryOptions::parse(req.query_string(), part.set, root.version, endpoint) {
            Ok(options) => fitting.push((part, options)),
            Err(error) => {
                refusal.get_or_insert(error);
            }
        }
    }
    match refusal {
        Some(refusal) if fitting.is_empty() => Err(refusal),
        _ => Ok(fitting),
    }
}

/// A page of directory objects of several kinds (`parts`) found at `url`, in id order, each
/// naming its type. With one kind the page is that set's, with every option it takes; across
/// kinds, as on Graph, a page is in id order only: `$orderby` and `$skip` are refused.
pub(super) async fn list_objects(
    parts: Vec<Part>,
    url: String,
    metadata_fragment: &str,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Handled {
    let mut parts = parts_with_options(parts, &root, &req, Endpoint::List)?;
    if parts.len() == 1 {
        let (part, _) = parts.remove(0);
        let collection = Collection {
            within: Some(part.within),
            url,
            metadata_fragment: metadata_fragment.to_owned(),
            typed: true,
        };
        return entity_set::list_of(part.set, collection, tenant, store, root, req).await;
    }
    let options = &parts[0].1;
    if options.skip.is_some() || options.order_by.len() > 1 {
        return Err(GraphError::bad_request(
            "$orderby and $skip are not supported on a collection of directory objects of \
             several types; pages are in id order.",
        ));
    }
    let page_size = options.page_size() as usize;
    let mut objects: Vec<(Entity, usize)> = Vec::new();
    let mut count = options.count.then_some(0);
    for (index, (part, options)) in parts.iter().enumerate() {
        let filter = part.within.clone().and(options.filter.as_ref());
        let page = Page {
            filter: Some(&filter),
            order_by: &options.order_by,
            after: options.after.as_deref(),
            skip: 0,
            limit: options.page_size() + 1,
        };
        let listed = store.list(part.set, tenant, &page).await?;
        objects.extend(listed.into_iter().map(|entity| (entity, index)));
        if let Some(count) = count.as_mut() {
            *count += store.count(part.set, tenant, Some(&filter)).await?;
        }
    }
    objects.sort_by_key(|(entity, _)| entity.id());
    let next_link = (objects.len() > page_size).then(|| {
        objects.truncate(page_size);
        let (last, _) = objects.last().expect("a full page has a last row");
        format!(
            "{url}?{}",
            options.next_page_query(&[Value::Guid(last.id())])
        )
    });
    let page = CollectionPage {
        context: root.metadata(&format!("{metadata_fragment}{}", options.select_suffix())),
        count,
        value: objects
            .iter()
            .map(|(entity, index)| EntityView {
                entity,
                version: root.version,
                select: parts[*index].1.select.as_deref(),
                context: None,
                typed: true,
                expanded: &[],
            })
            .collect(),
        next_link,
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

/// The `$count` of directory objects of several kinds, with the request's `$filter` on each kind
/// it fits.
async fn count_objects(
    parts: Vec<Part>,
    tenant: Tenant,
    store: &Store,
    root: &ServiceRoot,
    req: &HttpRequest,
) -> Handled {
    let mut count = 0;
    for (part, options) in parts_with_options(parts, root, req, Endpoint::Count)? {
        let within = part.within.and(options.filter.as_ref());
        count += store.count(part.set, tenant, Some(&within)).await?;
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(count.to_string()))
}

/// A page of references to directory objects of several kinds, as Graph answers `$ref` listings
/// (`@odata.id` per object, with its type cast); the page is that of the objects, options and all.
async fn references(
    parts: Vec<Part>,
    url: String,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Handled {
    let parsed = parts_with_options(parts, &root, &req, Endpoint::List)?;
    if parsed.iter().any(|(_, options)| options.select.is_some()) {
        return Err(GraphError::bad_request(
            "$select and $expand do not apply to references.",
        ));
    }
    let parts = parsed.into_iter().map(|(part, _)| part).collect();
    let service_root = root.collection_url(&GROUPS);
    let service_root = service_root
        .trim_end_matches(GROUPS.path)
        .trim_end_matches('/')
        .to_owned();
    let page = list_objects(parts, url, "directoryObjects", tenant, store, root, req).await?;
    let body = actix_web::body::to_bytes(page.into_body())
        .await
        .map_err(|_| GraphError::internal())?;
    let mut page: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| GraphError::internal())?;
    if let Some(objects) = page.get_mut("value").and_then(|value| value.as_array_mut()) {
        for object in objects.iter_mut() {
            let id = object["id"].as_str().unwrap_or_default().to_owned();
            let odata_type = object["@odata.type"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *object = serde_json::json!({
                "@odata.id": object_reference(&service_root, &odata_type, &id)
            });
        }
    }
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

/// GET `/groups/{id}/members`: the directory devices added to the group or those its rule takes,
/// and the users added to it. The same page answers `transitiveMembers` (groups never hold groups
/// here); the cast `members/microsoft.graph.device` lists the devices only.
async fn members(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    listed: MembersListed,
    req: HttpRequest,
) -> Handled {
    let group = group(&store, tenant, id).await?;
    let base = format!("{}/{id}", root.collection_url(&GROUPS));
    let (navigation, metadata_fragment, parts) = match listed {
        MembersListed::Members => ("members", "directoryObjects", member_parts(&group)?),
        MembersListed::Transitive => (
            "transitiveMembers",
            "directoryObjects",
            member_parts(&group)?,
        ),
        MembersListed::AsDevices => {
            let mut parts = member_parts(&group)?;
            parts.truncate(1);
            ("members/microsoft.graph.device", "devices", parts)
        }
    };
    let url = format!("{base}/{navigation}");
    list_objects(parts, url, metadata_fragment, tenant, store, root, req).await
}

/// Which of a group's member listings a request asked for.
#[derive(Debug, Clone, Copy)]
enum MembersListed {
    Members,
    Transitive,
    AsDevices,
}

/// POST `/groups/{id}/members/$ref`: adds a directory device or a user to a group without a rule.
async fn add_member(tenant: Tenant, store: web::Data<Store>, id: Uuid, body: JsonBody) -> Handled {
    let member = parse_member_ref(&body.0)?;
    let group = group(&store, tenant, id).await?;
    let membership = membership_of(&[], Some(&group))?;
    let link = member_link(&membership, object_kind(&store, tenant, member).await?)?;
    linked(
        store.add_group_link(tenant, link, id, member).await?,
        "members",
        member,
    )
}

/// POST `/groups/{id}/owners/$ref`: makes a user or a service principal an owner of the group.
async fn add_owner(tenant: Tenant, store: web::Data<Store>, id: Uuid, body: JsonBody) -> Handled {
    let owner = parse_member_ref(&body.0)?;
    group(&store, tenant, id).await?;
    let link = owner_link(object_kind(&store, tenant, owner).await?)?;
    linked(
        store.add_group_link(tenant, link, id, owner).await?,
        "owners",
        owner,
    )
}

/// 204 for a tie made, else Graph's error for `navigation`.
fn linked(added: Added, navigation: &str, object: Uuid) -> Handled {
    match added {
        Added::Added => Ok(HttpResponse::NoContent().finish()),
        Added::AlreadyLinked => Err(already_linked(navigation)),
        Added::NoSuchObject => Err(no_such_object(&object.to_string())),
    }
}

/// Which of a group's links a `$ref` removal unties.
#[derive(Debug, Clone, Copy)]
enum Linked {
    Members,
    Owners,
}

/// DELETE `/groups/{id}/members/{member}/$ref` and `/owners/{owner}/$ref`.
async fn remove_link(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    linked: Linked,
    req: HttpRequest,
) -> Handled {
    let parameter = match linked {
        Linked::Members => "member",
        Linked::Owners => "owner",
    };
    let raw = req.match_info().get(parameter).unwrap_or_default();
    remove_link_named(tenant, store, id, linked, raw).await
}

/// DELETE `/groups/{id}/members/$ref?@id=<url>` and `/owners/$ref?@id=<url>`: the form the SDKs
/// send (`$id` is accepted too).
async fn remove_link_by_query(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    linked: Linked,
    req: HttpRequest,
) -> Handled {
    let reference = member_reference_query(req.query_string())?;
    remove_link_named(tenant, store, id, linked, &reference).await
}

/// Unties the object `raw` (its id, or a reference URL ending in it) from the group `id`.
async fn remove_link_named(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    linked: Linked,
    raw: &str,
) -> Handled {
    let (links, role): (&[&'static GroupLink], &str) = match linked {
        Linked::Members => (
            &[
                &crate::domain::directory::DEVICE_MEMBERS,
                &crate::domain::directory::USER_MEMBERS,
            ],
            "a member",
        ),
        Linked::Owners => (&OWNER_LINKS, "an owner"),
    };
    let missing = || GraphError::not_found(format!("'{raw}' is not {role} of group '{id}'."));
    let object = reference_id(raw).ok_or_else(missing)?;
    group(&store, tenant, id).await?;
    for &link in links {
        if store.remove_group_link(tenant, link, id, object).await? {
            return Ok(HttpResponse::NoContent().finish());
        }
    }
    Err(missing())
}

/// GET `/groups/{id}/members/$count` and `/owners/$count`, with the request's `$filter` on them.
async fn count_links(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    linked: Linked,
    req: HttpRequest,
) -> Handled {
    let group = group(&store, tenant, id).await?;
    let parts = match linked {
        Linked::Members => member_parts(&group)?,
        Linked::Owners => owner_parts(id),
    };
    count_objects(parts, tenant, &store, &root, &req).await
}

/// GET `/groups/{id}/owners`: the users and service principals that own the group.
async fn owners(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    group(&store, tenant, id).await?;
    let url = format!("{}/{id}/owners", root.collection_url(&GROUPS));
    list_objects(
        owner_parts(id),
        url,
        "directoryObjects",
        tenant,
        store,
        root,
        req,
    )
    .await
}

/// GET `/groups/{id}/members/$ref` and `/owners/$ref`.
async fn link_references(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    linked: Linked,
    req: HttpRequest,
) -> Handled {
    let group = group(&store, tenant, id).await?;
    let (parts, navigation) = match linked {
        Linked::Members => (member_parts(&group)?, "members"),
        Linked::Owners => (owner_parts(id), "owners"),
    };
    let url = format!("{}/{id}/{navigation}/$ref", root.collection_url(&GROUPS));
    references(parts, url, tenant, store, root, req).await
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
    let url = format!(
        "{}/{id}/{navigation}",
        root.collection_url(&DIRECTORY_DEVICES)
    );
    groups_page(&groups, url, navigation, tenant, store, root, req).await
}

/// A page of the tenant's groups with these ids, found at `url` by `navigation` (a `memberOf`,
/// or its cast to groups, a collection of groups).
pub(super) async fn groups_page(
    groups: &[Uuid],
    url: String,
    navigation: &str,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Handled {
    let collection = Collection {
        within: Some(with_ids(&GROUPS, groups)),
        url,
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

/// A group's navigation that holds nothing here, checked like any list: a group's `memberOf` and
/// `transitiveMemberOf` (groups hold devices and users, never groups).
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

/// POST `getByIds` (on `/directoryObjects`, `/devices` or `/groups`): the devices, groups, users
/// and service principals with the ids asked for, among the types the body names (else
/// `default_types`, else all).
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
    for set in [&DIRECTORY_DEVICES, &GROUPS, &USERS, &SERVICE_PRINCIPALS] {
        found.extend(objects_with_ids(&store, tenant, set, &request).await?);
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

/// The tenant's entities of `set` that `request` asks for, if it looks among that set's type.
async fn objects_with_ids(
    store: &Store,
    tenant: Tenant,
    set: &'static EntitySet,
    request: &GetByIds,
) -> Result<Vec<Entity>, GraphError> {
    if !request.wants(&set.short_name().to_ascii_lowercase()) || request.ids.is_empty() {
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
                    summary = "Get directory objects by their ids",
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
                        (status = 200, description = "A page of the group's members: devices and users", body = $device_page),
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
                        (status = 200, description = "A page of the group's members: devices and users (groups hold no groups here)", body = $device_page),
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
                pub async fn add_member(access: GroupLinksWriteAccess, store: web::Data<Store>, key: Key<Groups>, body: JsonBody) -> Handled {
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
                pub async fn remove_member(access: GroupLinksWriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::remove_link(access.0, store, key.0, Linked::Members, req).await
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
                pub async fn remove_member_by_query(access: GroupLinksWriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::remove_link_by_query(access.0, store, key.0, Linked::Members, req).await
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
                    super::super::count_links(access.0, store, root, key.0, Linked::Members, req).await
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
                        (status = 200, description = "None: groups hold devices and users, never groups", body = $group_page),
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
                        (status = 200, description = "None: groups hold devices and users, never groups", body = $group_page),
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
                        (status = 200, description = "A page of the group's owners: users and service principals", body = $group_page),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/owners")]
                pub async fn owners(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::owners(access.0, store, root, key.0, req).await
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
                    super::super::link_references(access.0, store, root, key.0, Linked::Members, req).await
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
                        (status = 200, description = "A page of references to the group's owners", body = ReferencePage),
                        (status = "4XX", response = ErrorResponse),
                        (status = "5XX", response = ErrorResponse),
                    )
                )]
                #[get("/groups/{id}/owners/$ref")]
                pub async fn owner_references(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::link_references(access.0, store, root, key.0, Linked::Owners, req).await
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
                pub async fn count_owners(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::count_links(access.0, store, root, key.0, Linked::Owners, req).await
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
                pub async fn add_owner(access: GroupLinksWriteAccess, store: web::Data<Store>, key: Key<Groups>, body: JsonBody) -> Handled {
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
                pub async fn remove_owner_by_query(access: GroupLinksWriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::remove_link_by_query(access.0, store, key.0, Linked::Owners, req).await
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
                pub async fn remove_owner(access: GroupLinksWriteAccess, store: web::Data<Store>, key: Key<Groups>, req: HttpRequest) -> Handled {
                    super::super::remove_link(access.0, store, key.0, Linked::Owners, req).await
                }

                #[utoipa::path(
                    post,
                    path = "/groups/getByIds",
                    tag = GROUPS_TAG,
                    security(("bearer" = [])),
                    operation_id = concat!($prefix, "groups.getByIds"),
                    summary = "Get directory objects by their ids",
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
