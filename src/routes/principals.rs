//! `/users` and `/servicePrincipals` on both roots. Users: create (the `passwordProfile` checked,
//! never kept), list, `$count`, get, update and delete by id or user principal name, and the groups
//! that hold them. Service principals: create by `appId`, list, `$count`, get and delete by id or
//! by `servicePrincipals(appId='...')`. Users take Graph's User.* permissions, service principals
//! its Application.* ones (Directory.* for both).

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, delete, get, patch, post, web};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::domain::Tenant;
use crate::domain::entity::{EntitySet, PropertyValue, Value};
use crate::domain::principals::{
    MICROSOFT_SERVICES_TENANT, SERVICE_PRINCIPALS, USERS, first_party_name,
};
use crate::domain::query::{CompareOp, Filter};
use crate::graph::directory::{
    ObjectKey, app_taken, check_app_id, no_such_object, user_principal_name_taken,
    without_password_profile,
};
use crate::graph::entity::{parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CountParameters, GroupPageBeta, GroupPageV1, ListParameters, SERVICE_PRINCIPALS_TAG,
    ServicePrincipalBeta, ServicePrincipalPageBeta, ServicePrincipalPageV1, ServicePrincipalV1,
    USERS_TAG, UserBeta, UserPageBeta, UserPageV1, UserV1, item_parameters,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::directory::{first_of, groups_page};
use crate::routes::entity_set::{self, ExpandParameters, Served, entity_set_routes, found};
use crate::store::{Store, StoreError};

/// Users, for the route attributes. A create needs a `passwordProfile`, which is checked and
/// dropped; a user principal name another user has is Entra's 400.
pub struct Users;

impl Served for Users {
    const SET: &'static EntitySet = &USERS;

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let body = without_password_profile(&body.0, true)?;
        let values = parse_new_entity(&USERS, &body, root.version)?;
        let user = store
            .create(&USERS, tenant, values)
            .await
            .map_err(upn_conflict)?;
        Ok(entity_set::created(&root, &user))
    }
}

/// A store error, with a clash on the user principal name as Entra answers it.
fn upn_conflict(error: StoreError) -> GraphError {
    match error {
        StoreError::Duplicate { .. } => user_principal_name_taken(),
        other => other.into(),
    }
}

/// Service principals, for the route attributes. A create names the application (`appId`); the
/// service fills in what Entra takes from the application.
pub struct ServicePrincipals;

impl Served for ServicePrincipals {
    const SET: &'static EntitySet = &SERVICE_PRINCIPALS;

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let mut values = parse_new_entity(&SERVICE_PRINCIPALS, &body.0, root.version)?;
        let app_id = match text_of(&values, "appId") {
            Some(app_id) => app_id,
            None => return Err(GraphError::internal()),
        };
        check_app_id(&app_id)?;
        let first_party = first_party_name(&app_id);
        let display_name = text_of(&values, "displayName")
            .or_else(|| first_party.map(str::to_owned))
            .unwrap_or_else(|| app_id.clone());
        let owner = match first_party {
            Some(_) => MICROSOFT_SERVICES_TENANT,
            None => tenant.0,
        };
        let app_display_name = first_party.map_or_else(|| display_name.clone(), str::to_owned);
        set_value(&mut values, "displayName", Value::Text(display_name));
        set_value(&mut values, "appDisplayName", Value::Text(app_display_name));
        set_value(&mut values, "appOwnerOrganizationId", Value::Guid(owner));
        set_value(
            &mut values,
            "servicePrincipalNames",
            Value::Texts(vec![app_id.clone()]),
        );
        match store.create(&SERVICE_PRINCIPALS, tenant, values).await {
            Ok(principal) => Ok(entity_set::created(&root, &principal)),
            Err(StoreError::Duplicate { .. }) => Err(app_taken(&app_id)),
            Err(other) => Err(other.into()),
        }
    }
}

/// The text a body gave the service principal's property `name`, if any.
fn text_of(values: &[PropertyValue], name: &str) -> Option<String> {
    values.iter().find_map(|v| match &v.value {
        Value::Text(text) if v.property.name == name => Some(text.clone()),
        _ => None,
    })
}

/// Sets the service principal's property `name` to `value`, replacing what the body gave.
fn set_value(values: &mut Vec<PropertyValue>, name: &str, value: Value) {
    let property = SERVICE_PRINCIPALS
        .property(name)
        .expect("a property of service principals");
    values.retain(|v| !std::ptr::eq(v.property, property));
    values.push(PropertyValue { property, value });
}

/// A set whose items a path may name by an alternate key besides the id.
pub trait AlternatelyKeyed: Served {
    /// The alternate key's property.
    const KEY: &'static str;
    /// Whether a bare segment that is not an id is the alternate key's value (a user's
    /// `/users/{userPrincipalName}`), besides the `key='value'` form.
    const BARE: bool;
}

impl AlternatelyKeyed for Users {
    const KEY: &'static str = "userPrincipalName";
    const BARE: bool = true;
}

impl AlternatelyKeyed for ServicePrincipals {
    const KEY: &'static str = "appId";
    const BARE: bool = false;
}

/// The key of an item of `S` from the path: its id, or its alternate key. Any other text names
/// no item: 404 like any other.
pub struct ObjectKeyOf<S>(ObjectKey, PhantomData<S>);

impl<S: AlternatelyKeyed> FromRequest for ObjectKeyOf<S> {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("id").unwrap_or_default();
        ready(
            ObjectKey::parse(raw, S::KEY, S::BARE)
                .map(|key| ObjectKeyOf(key, PhantomData))
                .ok_or_else(|| GraphError::entity_not_found(S::SET, raw)),
        )
    }
}

impl<S: AlternatelyKeyed> utoipa::IntoParams for ObjectKeyOf<S> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        item_parameters(S::SET).into_iter().take(1).collect()
    }
}

/// The parameters of a GET of one item of `S`: its key (or alternate key) and `$select`.
pub struct ObjectItemParameters<S>(PhantomData<S>);

impl<S: AlternatelyKeyed> utoipa::IntoParams for ObjectItemParameters<S> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        item_parameters(S::SET)
    }
}

/// The id of the tenant's item of `S` that `key` names: the id itself, or that of the item whose
/// alternate key has the value (compared case-insensitively, as Entra does); Graph's 404 for none.
async fn resolve<S: AlternatelyKeyed>(
    store: &Store,
    tenant: Tenant,
    key: ObjectKeyOf<S>,
) -> Result<Uuid, GraphError> {
    match key.0 {
        ObjectKey::Id(id) => Ok(id),
        ObjectKey::Alternate(value) => {
            let filter = Filter::Compare {
                property: S::SET
                    .property(S::KEY)
                    .expect("the alternate key's property"),
                op: CompareOp::Eq,
                value: Value::Text(value.clone()),
            };
            let found = first_of(store, tenant, S::SET, &filter, 1).await?;
            found
                .first()
                .map(|entity| entity.id())
                .ok_or_else(|| no_such_object(&value))
        }
    }
}

/// GET of an item of `S` by its id or alternate key.
async fn get_object<S: AlternatelyKeyed>(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: ObjectKeyOf<S>,
    req: HttpRequest,
) -> Handled {
    let id = resolve(&store, tenant, key).await?;
    entity_set::get(S::SET, tenant, store, root, id, req).await
}

/// DELETE of an item of `S` by its id or alternate key: its memberships and ownerships go with it.
async fn delete_object<S: AlternatelyKeyed>(
    tenant: Tenant,
    store: web::Data<Store>,
    key: ObjectKeyOf<S>,
) -> Handled {
    let id = resolve(&store, tenant, key).await?;
    entity_set::delete(S::SET, tenant, store, id).await
}

/// PATCH of a user: the properties sent change (a `passwordProfile` is checked and dropped); 204.
async fn update_user(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: ObjectKeyOf<Users>,
    body: JsonBody,
) -> Handled {
    let id = resolve(&store, tenant, key).await?;
    let body = without_password_profile(&body.0, false)?;
    let assignments = parse_entity_body(&USERS, &body, root.version)?;
    let updated = store
        .update(&USERS, tenant, id, &assignments)
        .await
        .map_err(upn_conflict)?;
    found(&USERS, updated, id)
}

/// GET `/users/{id}/memberOf` and `transitiveMemberOf` (the same: groups hold no groups): the
/// groups the user was added to.
async fn user_member_of(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: ObjectKeyOf<Users>,
    navigation: &str,
    req: HttpRequest,
) -> Handled {
    let id = resolve(&store, tenant, key).await?;
    if store.get(&USERS, tenant, id).await?.is_none() {
        return Err(GraphError::entity_not_found(&USERS, &id.to_string()));
    }
    let groups = store.groups_holding_user(tenant, id).await?;
    let url = format!("{}/{id}/{navigation}", root.collection_url(&USERS));
    groups_page(&groups, url, navigation, tenant, store, root, req).await
}

macro_rules! user_routes {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty, $group_page:ty) => {
        pub mod $root {
            use super::*;
            // The generic routes name their extractors `ReadAccess` and `WriteAccess`; users take
            // Graph's User.* permissions.
            use crate::auth::{UsersReadAccess as ReadAccess, UsersWriteAccess as WriteAccess};

            entity_set_routes!(
                set: Users, prefix: $prefix, tag: USERS_TAG,
                collection: "/users",
                count: "/users/$count",
                item: "/users/{id}",
                documented_item: "/users/{user-id}",
                operation_ids: ("users.user.", "User", "users.GetCount"),
                summaries: ("users", "user"),
                described: ("A page of users", "The user", "The URL of the new user"),
                entity: $entity, page: $page, create_examples: (),
                operations: [list, create, count]
            );

            #[utoipa::path(
                get,
                path = "/users/{user-id}",
                tag = USERS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "users.user.GetUser"),
                summary = "Get user, by id or userPrincipalName",
                params(ObjectItemParameters<Users>),
                responses(
                    (status = 200, description = "The user", body = $entity),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/users/{id}")]
            pub async fn get(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: ObjectKeyOf<Users>, req: HttpRequest) -> Handled {
                get_object(access.0, store, root, key, req).await
            }

            #[utoipa::path(
                patch,
                path = "/users/{user-id}",
                tag = USERS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "users.user.UpdateUser"),
                summary = "Update user, by id or userPrincipalName",
                params(ObjectKeyOf<Users>),
                request_body(content = $entity, content_type = "application/json"),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[patch("/users/{id}")]
            pub async fn update(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, key: ObjectKeyOf<Users>, body: JsonBody) -> Handled {
                update_user(access.0, store, root, key, body).await
            }

            #[utoipa::path(
                delete,
                path = "/users/{user-id}",
                tag = USERS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "users.user.DeleteUser"),
                summary = "Delete user, by id or userPrincipalName",
                params(ObjectKeyOf<Users>),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[delete("/users/{id}")]
            pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: ObjectKeyOf<Users>) -> Handled {
                delete_object(access.0, store, key).await
            }

            #[utoipa::path(
                get,
                path = "/users/{user-id}/memberOf",
                tag = USERS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "users.ListMemberOf"),
                summary = "List a user's direct memberships",
                params(ObjectKeyOf<Users>, ListParameters),
                responses(
                    (status = 200, description = "A page of the groups the user was added to", body = $group_page),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/users/{id}/memberOf")]
            pub async fn member_of(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: ObjectKeyOf<Users>, req: HttpRequest) -> Handled {
                user_member_of(access.0, store, root, key, "memberOf", req).await
            }

            #[utoipa::path(
                get,
                path = "/users/{user-id}/transitiveMemberOf",
                tag = USERS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "users.ListTransitiveMemberOf"),
                summary = "List a user's transitive memberships",
                params(ObjectKeyOf<Users>, ListParameters),
                responses(
                    (status = 200, description = "A page of the groups that hold the user (groups hold no groups here)", body = $group_page),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/users/{id}/transitiveMemberOf")]
            pub async fn transitive_member_of(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: ObjectKeyOf<Users>, req: HttpRequest) -> Handled {
                user_member_of(access.0, store, root, key, "transitiveMemberOf", req).await
            }

            /// The user routes, `$count` before the item routes.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(list)
                    .service(create)
                    .service(count)
                    .service(get)
                    .service(update)
                    .service(delete)
                    .service(member_of)
                    .service(transitive_member_of);
            }
        }
    };
}

macro_rules! service_principal_routes {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty) => {
        pub mod $root {
            use super::*;
            // The generic routes name their extractors `ReadAccess` and `WriteAccess`; service
            // principals take Graph's Application.* permissions.
            use crate::auth::{
                ApplicationsReadAccess as ReadAccess, ApplicationsWriteAccess as WriteAccess,
            };

            entity_set_routes!(
                set: ServicePrincipals, prefix: $prefix, tag: SERVICE_PRINCIPALS_TAG,
                collection: "/servicePrincipals",
                count: "/servicePrincipals/$count",
                item: "/servicePrincipals/{id}",
                documented_item: "/servicePrincipals/{servicePrincipal-id}",
                operation_ids: ("servicePrincipals.servicePrincipal.", "ServicePrincipal",
                    "servicePrincipals.GetCount"),
                summaries: ("servicePrincipals", "servicePrincipal"),
                described: ("A page of service principals", "The service principal",
                    "The URL of the new service principal"),
                entity: $entity, page: $page, create_examples: (),
                operations: [list, create, count]
            );

            #[utoipa::path(
                get,
                path = "/servicePrincipals/{servicePrincipal-id}",
                tag = SERVICE_PRINCIPALS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "servicePrincipals.servicePrincipal.GetServicePrincipal"),
                summary = "Get servicePrincipal, by id or as servicePrincipals(appId='{appId}')",
                params(ObjectItemParameters<ServicePrincipals>),
                responses(
                    (status = 200, description = "The service principal", body = $entity),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/servicePrincipals/{id}")]
            pub async fn get(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: ObjectKeyOf<ServicePrincipals>, req: HttpRequest) -> Handled {
                get_object(access.0, store, root, key, req).await
            }

            #[utoipa::path(
                delete,
                path = "/servicePrincipals/{servicePrincipal-id}",
                tag = SERVICE_PRINCIPALS_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "servicePrincipals.servicePrincipal.DeleteServicePrincipal"),
                summary = "Delete servicePrincipal, by id or as servicePrincipals(appId='{appId}')",
                params(ObjectKeyOf<ServicePrincipals>),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[delete("/servicePrincipals/{id}")]
            pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: ObjectKeyOf<ServicePrincipals>) -> Handled {
                delete_object(access.0, store, key).await
            }

            /// The service principal routes, `$count` before the item routes.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(list)
                    .service(create)
                    .service(count)
                    .service(get)
                    .service(delete);
            }
        }
    };
}

pub mod users {
    use super::*;

    user_routes!(v1, "", UserV1, UserPageV1, GroupPageV1);
    user_routes!(beta, "beta.", UserBeta, UserPageBeta, GroupPageBeta);
}

pub mod service_principals {
    use super::*;

    service_principal_routes!(v1, "", ServicePrincipalV1, ServicePrincipalPageV1);
    service_principal_routes!(
        beta,
        "beta.",
        ServicePrincipalBeta,
        ServicePrincipalPageBeta
    );
}
