//! The operations every entity set has, for any set: list, `$count`, create, get, update, delete;
//! the key extractor and item parameters of a set; and [`entity_set_routes!`], which writes a
//! root's thin, documented wrappers for a set.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::future::{Ready, ready};
use std::marker::PhantomData;
use utoipa::openapi::path::{Parameter, ParameterIn};
use uuid::Uuid;

use crate::domain::enrollment_configuration::EnrollmentAssignment;
use crate::domain::entity::{Entity, EntitySet, Navigation, PropertyValue, Value};
use crate::domain::profile_assignment::ProfileAssignment;
use crate::domain::query::{Filter, Page};
use crate::domain::{ApiVersion, Tenant};
use crate::graph::GRAPH_JSON;
use crate::graph::configuration_policy::SettingView;
use crate::graph::enrollment_assignment::expanded_enrollment_assignments;
use crate::graph::entity::{CollectionPage, EntityView, parse_entity_body, parse_new_entity};
use crate::graph::error::GraphError;
use crate::graph::links::ServiceRoot;
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::graph::profile_assignment::expanded_assignments;
use crate::graph::schema::{expand_parameter, item_parameters, key_parameter};
use crate::routes::body::JsonBody;
use crate::store::{Store, StoreError};

/// An entity set served under the roots, as a type the route attributes can name.
pub trait Served: 'static {
    const SET: &'static EntitySet;

    /// POST to the collection: the generic create, unless the set checks more.
    fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> impl Future<Output = Result<HttpResponse, GraphError>> {
        create(Self::SET, tenant, store, root, body)
    }

    /// DELETE of an item: the generic delete, unless the set refuses some.
    fn delete(
        tenant: Tenant,
        store: web::Data<Store>,
        id: Uuid,
    ) -> impl Future<Output = Result<HttpResponse, GraphError>> {
        delete(Self::SET, tenant, store, id)
    }

    /// What the tenant's state needs before any operation on the set (nothing, unless the set
    /// says): enrollment configurations write Intune's defaults.
    fn prepare(_tenant: Tenant, _store: &Store) -> impl Future<Output = Result<(), GraphError>> {
        async { Ok(()) }
    }
}

/// The key of an item of `S` from the path. A key that is not a GUID names no entity: 404 like any
/// other.
pub struct Key<S>(pub Uuid, PhantomData<S>);

impl<S: Served> FromRequest for Key<S> {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        ready(
            Uuid::parse_str(raw)
                .map(|id| Key(id, PhantomData))
                .map_err(|_| GraphError::entity_not_found(S::SET, raw)),
        )
    }
}

impl<S: Served> utoipa::IntoParams for Key<S> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![key_parameter(S::SET)]
    }
}

/// The parameters of a GET of one item of `S`: its key and `$select`.
pub struct ItemParameters<S>(PhantomData<S>);

impl<S: Served> utoipa::IntoParams for ItemParameters<S> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        item_parameters(S::SET)
    }
}

/// A root, as a type the route attributes can name.
pub trait Root: 'static {
    const VERSION: ApiVersion;
}

pub struct V1Root;
pub struct BetaRoot;

impl Root for V1Root {
    const VERSION: ApiVersion = ApiVersion::V1;
}

impl Root for BetaRoot {
    const VERSION: ApiVersion = ApiVersion::Beta;
}

/// The root of an operationId prefix (`""` or `"beta."`), as a type.
macro_rules! root_of {
    ("") => {
        $crate::routes::entity_set::V1Root
    };
    ("beta.") => {
        $crate::routes::entity_set::BetaRoot
    };
}

pub(crate) use root_of;

/// `$expand`, for a set with navigations to expand on root `R` (else no parameter).
pub struct ExpandParameters<S, R>(PhantomData<(S, R)>);

impl<S: Served, R: Root> utoipa::IntoParams for ExpandParameters<S, R> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        expand_parameter(S::SET, R::VERSION).into_iter().collect()
    }
}

/// 204 when the entity was there, else its 404.
pub fn found(set: &EntitySet, found: bool, id: Uuid) -> Result<HttpResponse, GraphError> {
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(GraphError::entity_not_found(set, &id.to_string()))
    }
}

/// Where a listed page comes from: a set's own collection, or a navigation to entities of the set
/// (a group's members), which narrows it (`within`), has a URL and a `$metadata#` fragment of its
/// own, and may write each item's type (a collection of a base type, such as directoryObjects).
pub struct Collection {
    pub within: Option<Filter>,
    pub url: String,
    pub metadata_fragment: String,
    pub typed: bool,
}

pub async fn list(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let collection = Collection {
        within: None,
        url: root.collection_url(set),
        metadata_fragment: set.path.to_owned(),
        typed: false,
    };
    list_of(set, collection, tenant, store, root, req).await
}

/// A page of `collection`, with the request's query options.
pub async fn list_of(
    set: &'static EntitySet,
    collection: Collection,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let mut options = QueryOptions::parse(req.query_string(), set, root.version, Endpoint::List)?;
    if let Some(within) = collection.within {
        options.filter = Some(within.and(options.filter.as_ref()));
    }
    let count = async {
        match options.count {
            true => store
                .count(set, tenant, options.filter.as_ref())
                .await
                .map(Some),
            false => Ok(None),
        }
    };
    let ((entities, cursor), count) =
        futures_util::future::try_join(page_of(&store, set, tenant, &options), count).await?;
    let next_link =
        cursor.map(|cursor| format!("{}?{}", collection.url, options.next_page_query(&cursor)));
    let expanded = expansions(&store, tenant, root.version, &entities, &options.expand).await?;
    let body = CollectionPage {
        context: root.metadata(&format!(
            "{}{}",
            collection.metadata_fragment,
            options.select_suffix()
        )),
        count,
        value: entities
            .iter()
            .zip(&expanded)
            .map(|(entity, expanded)| EntityView {
                entity,
                version: root.version,
                select: options.select.as_deref(),
                context: None,
                typed: collection.typed,
                expanded,
            })
            .collect(),
        next_link,
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(body))
}

/// The page of the tenant's entities of `set` that `options` asks for and, when more follow, the
/// cursor after its last (the values of its sort keys): keyset paging, one row more than the page
/// telling whether there is a next one.
pub async fn page_of(
    store: &Store,
    set: &'static EntitySet,
    tenant: Tenant,
    options: &QueryOptions,
) -> Result<(Vec<Entity>, Option<Vec<Value>>), StoreError> {
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
        limit: options.page_size() + 1,
    };
    let mut entities = store.list(set, tenant, &page).await?;
    let cursor = (entities.len() > page_size).then(|| {
        entities.truncate(page_size);
        let last = entities.last().expect("a full page has a last row");
        options
            .order_by
            .iter()
            .map(|key| last.get(key.property).clone())
            .collect()
    });
    Ok((entities, cursor))
}

pub async fn count(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    count_of(set, None, tenant, store, root, req).await
}

/// The `$count` of the entities of `set` that `within` narrows to (all of them when `None`), with
/// the request's `$filter`.
pub async fn count_of(
    set: &'static EntitySet,
    within: Option<Filter>,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let mut options = QueryOptions::parse(req.query_string(), set, root.version, Endpoint::Count)?;
    if let Some(within) = within {
        options.filter = Some(within.and(options.filter.as_ref()));
    }
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
    create_parsed(set, tenant, store, root, assignments).await
}

/// Stores a new entity from a body already read (and checked by the set's own rules): 201.
pub async fn create_parsed(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    assignments: Vec<PropertyValue>,
) -> Result<HttpResponse, GraphError> {
    let entity = store.create(set, tenant, assignments).await?;
    Ok(created(&root, &entity))
}

/// 201 with a new entity and its `Location`.
pub fn created(root: &ServiceRoot, entity: &Entity) -> HttpResponse {
    created_at(
        root,
        &root.entity_url(entity.set, entity.id()),
        entity.set.path,
        entity,
    )
}

/// 201 with a new entity found at `location`, reached through `path` (its `@odata.context`).
pub fn created_at(root: &ServiceRoot, location: &str, path: &str, entity: &Entity) -> HttpResponse {
    entity_response(
        HttpResponse::Created().insert_header((header::LOCATION, location)),
        root,
        path,
        entity,
        None,
        &[],
    )
}

pub async fn get(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    get_at(set, set.path, tenant, store, root, id, req).await
}

/// GET of one entity of `set` reached at `path` (the set's own, or a navigation's such as
/// `...Profiles('{id}')/assignedDevices`), which its `@odata.context` names.
pub async fn get_at(
    set: &'static EntitySet,
    path: &str,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    get_within(set, path, None, tenant, store, root, id, req).await
}

/// GET of one entity of `set` that `within` narrows to (a contained one below its container),
/// reached at `path`: 404 when the tenant has no such entity there.
#[allow(clippy::too_many_arguments)]
pub async fn get_within(
    set: &'static EntitySet,
    path: &str,
    within: Option<Filter>,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let options = QueryOptions::parse(req.query_string(), set, root.version, Endpoint::Item)?;
    let found = match within {
        None => store.get(set, tenant, id).await?,
        Some(within) => store.find_within(set, tenant, within, id).await?,
    };
    let entity = found.ok_or_else(|| GraphError::entity_not_found(set, &id.to_string()))?;
    let expanded = expansions(
        &store,
        tenant,
        root.version,
        std::slice::from_ref(&entity),
        &options.expand,
    )
    .await?;
    Ok(entity_response(
        &mut HttpResponse::Ok(),
        &root,
        path,
        &entity,
        Some(&options),
        &expanded[0],
    ))
}

/// For each of `entities`, the navigations `expand` names, as their JSON values.
async fn expansions(
    store: &Store,
    tenant: Tenant,
    version: ApiVersion,
    entities: &[Entity],
    expand: &[Navigation],
) -> Result<Vec<Vec<(&'static str, Json)>>, GraphError> {
    let mut expanded = vec![Vec::new(); entities.len()];
    for &navigation in expand {
        match navigation {
            Navigation::ProfileAssignments => {
                let profiles: Vec<Uuid> = entities.iter().map(Entity::id).collect();
                let assignments = store.profile_assignments(tenant, &profiles).await?;
                let mut by_profile: HashMap<Uuid, Vec<&ProfileAssignment>> = HashMap::new();
                for assignment in &assignments {
                    by_profile
                        .entry(assignment.profile)
                        .or_default()
                        .push(assignment);
                }
                for (entity, expanded) in entities.iter().zip(&mut expanded) {
                    let own = by_profile.remove(&entity.id()).unwrap_or_default();
                    expanded.push((navigation.name(), expanded_assignments(&own)));
                }
            }
            Navigation::EnrollmentAssignments | Navigation::PolicyAssignments => {
                let configurations: Vec<Uuid> = entities.iter().map(Entity::id).collect();
                let assignments = match navigation {
                    Navigation::PolicyAssignments => {
                        store.policy_assignments(tenant, &configurations).await?
                    }
                    _ => {
                        store
                            .enrollment_assignments(tenant, &configurations)
                            .await?
                    }
                };
                for (entity, expanded) in entities.iter().zip(&mut expanded) {
                    let own: Vec<&EnrollmentAssignment> = assignments
                        .iter()
                        .filter(|a| a.configuration == entity.id())
                        .collect();
                    expanded.push((
                        navigation.name(),
                        expanded_enrollment_assignments(&own, version),
                    ));
                }
            }
            Navigation::DeploymentProfile | Navigation::IntendedDeploymentProfile => {
                let Some(target) = navigation.target() else {
                    continue;
                };
                let devices: Vec<Uuid> = entities.iter().map(Entity::id).collect();
                let of_device = store.device_profiles(tenant, &devices, navigation).await?;
                let mut profiles: HashMap<Uuid, Json> = HashMap::new();
                for &profile in of_device.values() {
                    if profiles.contains_key(&profile) {
                        continue;
                    }
                    if let Some(entity) = store.get(target, tenant, profile).await? {
                        let view = EntityView {
                            entity: &entity,
                            version,
                            select: None,
                            context: None,
                            typed: false,
                            expanded: &[],
                        };
                        profiles.insert(profile, serde_json::to_value(view).unwrap_or_default());
                    }
                }
                for (entity, expanded) in entities.iter().zip(&mut expanded) {
                    let profile = of_device
                        .get(&entity.id())
                        .and_then(|profile| profiles.get(profile))
                        .cloned()
                        .unwrap_or(Json::Null);
                    expanded.push((navigation.name(), profile));
                }
            }
            Navigation::PolicyStatusDetails => {
                let events: Vec<Uuid> = entities.iter().map(Entity::id).collect();
                let details = store.policy_status_details(tenant, &events).await?;
                for (event, expanded) in entities.iter().zip(&mut expanded) {
                    let own: Vec<Json> = details
                        .iter()
                        .filter(|(of, _)| *of == event.id())
                        .map(|(_, detail)| {
                            let view = EntityView {
                                entity: detail,
                                version,
                                select: None,
                                context: None,
                                typed: false,
                                expanded: &[],
                            };
                            serde_json::to_value(view).unwrap_or_default()
                        })
                        .collect();
                    expanded.push((navigation.name(), Json::Array(own)));
                }
            }
            Navigation::PolicySettings => {
                let policies: Vec<Uuid> = entities.iter().map(Entity::id).collect();
                let settings = store.policy_settings(tenant, &policies).await?;
                for (policy, expanded) in entities.iter().zip(&mut expanded) {
                    let own: Vec<Json> = settings
                        .iter()
                        .filter(|setting| setting.policy == policy.id())
                        .map(|setting| {
                            serde_json::to_value(SettingView::new(
                                &setting.id,
                                &setting.instance,
                                None,
                            ))
                            .unwrap_or_default()
                        })
                        .collect();
                    expanded.push((navigation.name(), Json::Array(own)));
                }
            }
            Navigation::GroupMembers => {
                for (group, expanded) in entities.iter().zip(&mut expanded) {
                    let members = super::directory::first_members(store, tenant, group).await?;
                    let members: Vec<Json> = members
                        .iter()
                        .map(|member| {
                            let view = EntityView {
                                entity: member,
                                version,
                                select: None,
                                context: None,
                                typed: true,
                                expanded: &[],
                            };
                            serde_json::to_value(view).unwrap_or_default()
                        })
                        .collect();
                    expanded.push((navigation.name(), Json::Array(members)));
                }
            }
        }
    }
    Ok(expanded)
}

/// One entity, led by its `@odata.context`, which names the `path` it was reached at.
fn entity_response(
    response: &mut actix_web::HttpResponseBuilder,
    root: &ServiceRoot,
    path: &str,
    entity: &Entity,
    options: Option<&QueryOptions>,
    expanded: &[(&'static str, Json)],
) -> HttpResponse {
    let select = options.and_then(|o| o.select.as_deref());
    let context = root.metadata(&format!(
        "{path}{}/$entity",
        options.map(QueryOptions::select_suffix).unwrap_or_default()
    ));
    response.content_type(GRAPH_JSON).json(EntityView {
        entity,
        version: root.version,
        select,
        context: Some(&context),
        typed: false,
        expanded,
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

/// PATCH that answers 200 with the entity as it now is (Graph's beta pages say so for some sets).
pub async fn update_returning(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Result<HttpResponse, GraphError> {
    let assignments = parse_entity_body(set, &body.0, root.version)?;
    update_parsed_returning(set, tenant, store, root, id, assignments).await
}

/// Changes an entity by a body already read (and checked by the set's own rules): 200 with the
/// entity as it now is.
pub async fn update_parsed_returning(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    assignments: Vec<PropertyValue>,
) -> Result<HttpResponse, GraphError> {
    let not_found = || GraphError::entity_not_found(set, &id.to_string());
    if !store.update(set, tenant, id, &assignments).await? {
        return Err(not_found());
    }
    let entity = store.get(set, tenant, id).await?.ok_or_else(not_found)?;
    Ok(entity_response(
        &mut HttpResponse::Ok(),
        &root,
        set.path,
        &entity,
        None,
        &[],
    ))
}

pub async fn delete(
    set: &'static EntitySet,
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
) -> Result<HttpResponse, GraphError> {
    found(set, store.delete(set, tenant, id).await?, id)
}

/// A root's operations of one entity set, as thin wrappers over the generic ones whose attributes
/// describe them on that root: route, Microsoft's operationId (`$prefix` keeps them unique across
/// the one document that describes both roots, where Microsoft publishes a document per root) and
/// schemas. `operations` names those the set has, among list, create, count, get and delete;
/// `create_examples` is `(request, response)` for the OpenAPI document, or `()`.
/// actix's route attributes take only literal paths (with their own `{id}`, as actix parameter
/// names cannot hold Microsoft's `-`), hence the routes beside the documented paths.
macro_rules! entity_set_routes {
    (
        set: $set:ty, prefix: $prefix:tt, tag: $tag:expr,
        collection: $collection:literal, count: $count:literal, item: $item:literal,
        documented_item: $documented_item:literal,
        operation_ids: ($stem:literal, $pascal:literal, $count_id:literal),
        summaries: ($plural:literal, $singular:literal),
        described: ($page_description:literal, $item_description:literal, $location_description:literal),
        entity: $entity:ty, page: $page:ty, create_examples: $examples:tt,
        operations: [$($operation:ident),*]
    ) => {
        $(entity_set_routes!(@$operation $set, $prefix, $tag, $collection, $count, $item,
            $documented_item, ($stem, $pascal, $count_id), ($plural, $singular),
            ($page_description, $item_description, $location_description), $entity, $page,
            $examples);)*
    };
    (@list $set:ty, $prefix:tt, $tag:expr, $collection:literal, $count:literal, $item:literal,
        $documented_item:literal, ($stem:literal, $pascal:literal, $count_id:literal),
        ($plural:literal, $singular:literal), ($page_description:literal, $item_description:literal,
        $location_description:literal), $entity:ty, $page:ty, ($($examples:tt)*)) => {
        #[utoipa::path(
            get,
            path = $collection,
            tag = $tag,
            security(("bearer" = [])),
            operation_id = concat!($prefix, $stem, "List", $pascal),
            summary = concat!("List ", $plural),
            params(ListParameters, ExpandParameters<$set, $crate::routes::entity_set::root_of!($prefix)>),
            responses(
                (status = 200, description = $page_description, body = $page),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[get($collection)]
        pub async fn list(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, req: HttpRequest) -> Handled {
            <$set>::prepare(access.0, &store).await?;
            entity_set::list(<$set>::SET, access.0, store, root, req).await
        }
    };
    (@create $set:ty, $prefix:tt, $tag:expr, $collection:literal, $count:literal, $item:literal,
        $documented_item:literal, ($stem:literal, $pascal:literal, $count_id:literal),
        ($plural:literal, $singular:literal), ($page_description:literal, $item_description:literal,
        $location_description:literal), $entity:ty, $page:ty,
        ($($request_example:expr, $response_example:expr)?)) => {
        #[utoipa::path(
            post,
            path = $collection,
            tag = $tag,
            security(("bearer" = [])),
            operation_id = concat!($prefix, $stem, "Create", $pascal),
            summary = concat!("Create ", $singular),
            request_body(content = $entity, content_type = "application/json" $(, example = $request_example)?),
            responses(
                (status = 201, description = "Created", body = $entity,
                    headers(("Location" = String, description = $location_description))
                    $(, example = $response_example)?),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[post($collection)]
        pub async fn create(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, body: JsonBody) -> Handled {
            <$set>::prepare(access.0, &store).await?;
            <$set>::create(access.0, store, root, body).await
        }
    };
    (@count $set:ty, $prefix:tt, $tag:expr, $collection:literal, $count:literal, $item:literal,
        $documented_item:literal, ($stem:literal, $pascal:literal, $count_id:literal),
        ($plural:literal, $singular:literal), ($page_description:literal, $item_description:literal,
        $location_description:literal), $entity:ty, $page:ty, ($($examples:tt)*)) => {
        #[utoipa::path(
            get,
            path = $count,
            tag = $tag,
            security(("bearer" = [])),
            operation_id = concat!($prefix, $count_id),
            summary = "Get the number of the resource",
            params(CountParameters),
            responses(
                (status = 200, description = "The count", body = i64, content_type = "text/plain"),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[get($count)]
        pub async fn count(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, req: HttpRequest) -> Handled {
            <$set>::prepare(access.0, &store).await?;
            entity_set::count(<$set>::SET, access.0, store, root, req).await
        }
    };
    (@get $set:ty, $prefix:tt, $tag:expr, $collection:literal, $count:literal, $item:literal,
        $documented_item:literal, ($stem:literal, $pascal:literal, $count_id:literal),
        ($plural:literal, $singular:literal), ($page_description:literal, $item_description:literal,
        $location_description:literal), $entity:ty, $page:ty, ($($examples:tt)*)) => {
        #[utoipa::path(
            get,
            path = $documented_item,
            tag = $tag,
            security(("bearer" = [])),
            operation_id = concat!($prefix, $stem, "Get", $pascal),
            summary = concat!("Get ", $singular),
            params(ItemParameters<$set>, ExpandParameters<$set, $crate::routes::entity_set::root_of!($prefix)>),
            responses(
                (status = 200, description = $item_description, body = $entity),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[get($item)]
        pub async fn get(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: Key<$set>, req: HttpRequest) -> Handled {
            <$set>::prepare(access.0, &store).await?;
            entity_set::get(<$set>::SET, access.0, store, root, key.0, req).await
        }
    };
    (@delete $set:ty, $prefix:tt, $tag:expr, $collection:literal, $count:literal, $item:literal,
        $documented_item:literal, ($stem:literal, $pascal:literal, $count_id:literal),
        ($plural:literal, $singular:literal), ($page_description:literal, $item_description:literal,
        $location_description:literal), $entity:ty, $page:ty, ($($examples:tt)*)) => {
        #[utoipa::path(
            delete,
            path = $documented_item,
            tag = $tag,
            security(("bearer" = [])),
            operation_id = concat!($prefix, $stem, "Delete", $pascal),
            summary = concat!("Delete ", $singular),
            params(Key<$set>),
            responses(
                (status = 204, description = "Success"),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[delete($item)]
        pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: Key<$set>) -> Handled {
            <$set>::prepare(access.0, &store).await?;
            <$set>::delete(access.0, store, key.0).await
        }
    };
}

pub(crate) use entity_set_routes;

/// One bound action of an item: POST `<item>/<name>`, 204 once `$run` has done it. `$run` takes
/// the tenant, `$action`, the store, the service root, the item's key, the request and its body.
/// actix's route attribute takes only a literal path (with its own `{id}`, as actix parameter names
/// cannot hold Microsoft's `-`), hence `$route` beside the documented `$item`.
macro_rules! bound_action {
    (
        $prefix:tt, $handler:ident, $name:literal, $route:literal,
        item: $item:literal, operation: $operation:literal, tag: $tag:expr,
        key: $key:ty, access: $access:ty, run: $run:path, action: $action:expr
        $(, body = $body:ty)?
    ) => {
        #[utoipa::path(
            post,
            path = concat!($item, "/", $name),
            tag = $tag,
            security(("bearer" = [])),
            operation_id = concat!($prefix, $operation, ".", $name),
            summary = concat!("Invoke action ", $name),
            params($key),
            $(request_body(content = $body, content_type = "application/json"),)?
            responses(
                (status = 204, description = "Success"),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[post($route)]
        pub async fn $handler(
            access: $access,
            store: web::Data<Store>,
            root: ServiceRoot,
            key: $key,
            req: HttpRequest,
            payload: web::Payload,
        ) -> Handled {
            $run(access.0, $action, store, root, key.0, req, payload).await
        }
    };
}

pub(crate) use bound_action;
