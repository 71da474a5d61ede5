//! windowsAutopilotDeviceIdentities on both roots: the generic entity-set operations and the
//! device's bound actions. Each root gets thin wrappers whose attributes describe the operation on
//! that root (its schemas and operationId).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, delete, get, patch, post, web};
use std::future::{Ready, ready};
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::paths::DeviceAction;
use crate::graph::schema::{
    AssignResourceAccountToDeviceBody, AssignUserToDeviceBody, CountParameters, DeviceIdentityBeta,
    DeviceIdentityPageBeta, DeviceIdentityPageV1, DeviceIdentityV1, ItemParameters, ListParameters,
    TAG, UpdateDevicePropertiesBodyBeta, UpdateDevicePropertiesBodyV1, create_request_example,
    create_response_example, key_parameter,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{self, found, parse_key};
use crate::store::Store;

/// The device key from the path.
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
        ready(parse_key(&DEVICE_IDENTITIES, raw).map(DeviceKey))
    }
}

/// POST `.../{id}/<action>`: parameters (when the action takes any) become property changes.
async fn run_action(
    tenant: Tenant,
    action: DeviceAction,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: DeviceKey,
    req: HttpRequest,
    payload: web::Payload,
) -> Handled {
    let body = if action.takes_parameters() {
        Some(JsonBody::from_request(&req, &mut payload.into_inner()).await?)
    } else {
        None
    };
    let assignments = action.assignments(body.as_ref().map(|b| b.0.as_ref()), root.version)?;
    let set = &DEVICE_IDENTITIES;
    found(
        set,
        store.update(set, tenant, key.0, &assignments).await?,
        key.0,
    )
}

/// The operations both roots have, for one root. `$prefix` keeps operationIds unique across the
/// one document that describes both (Microsoft publishes a document per root).
macro_rules! root_operations {
    ($root:ident, $prefix:literal, $entity:ty, $page:ty, $update_properties:ty) => {
        pub mod $root {
            use super::*;

            #[utoipa::path(
                get,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities",
                tag = TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.ListWindowsAutopilotDeviceIdentities"),
                summary = "List windowsAutopilotDeviceIdentities",
                params(ListParameters),
                responses(
                    (status = 200, description = "A page of devices", body = $page),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/deviceManagement/windowsAutopilotDeviceIdentities")]
            pub async fn list(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, req: HttpRequest) -> Handled {
                entity_set::list(&DEVICE_IDENTITIES, access.0, store, root, req).await
            }

            #[utoipa::path(
                post,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities",
                tag = TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.CreateWindowsAutopilotDeviceIdentities"),
                summary = "Create windowsAutopilotDeviceIdentity",
                request_body(content = $entity, content_type = "application/json", example = create_request_example),
                responses(
                    (status = 201, description = "Created", body = $entity,
                        headers(("Location" = String, description = "The URL of the new device")),
                        example = create_response_example),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[post("/deviceManagement/windowsAutopilotDeviceIdentities")]
            pub async fn create(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, body: JsonBody) -> Handled {
                entity_set::create(&DEVICE_IDENTITIES, access.0, store, root, body).await
            }

            #[utoipa::path(
                get,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities/$count",
                tag = TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.windowsAutopilotDeviceIdentities.GetCount-0841"),
                summary = "Get the number of the resource",
                params(CountParameters),
                responses(
                    (status = 200, description = "The count", body = i64, content_type = "text/plain"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/deviceManagement/windowsAutopilotDeviceIdentities/$count")]
            pub async fn count(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, req: HttpRequest) -> Handled {
                entity_set::count(&DEVICE_IDENTITIES, access.0, store, root, req).await
            }

            #[utoipa::path(
                get,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}",
                tag = TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.GetWindowsAutopilotDeviceIdentities"),
                summary = "Get windowsAutopilotDeviceIdentity",
                params(ItemParameters),
                responses(
                    (status = 200, description = "The device", body = $entity),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/deviceManagement/windowsAutopilotDeviceIdentities/{id}")]
            pub async fn get(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: DeviceKey, req: HttpRequest) -> Handled {
                entity_set::get(&DEVICE_IDENTITIES, access.0, store, root, key.0, req).await
            }

            #[utoipa::path(
                patch,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}",
                tag = TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.UpdateWindowsAutopilotDeviceIdentities"),
                summary = "Update windowsAutopilotDeviceIdentity",
                params(DeviceKey),
                request_body(content = $entity, content_type = "application/json"),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[patch("/deviceManagement/windowsAutopilotDeviceIdentities/{id}")]
            pub async fn update(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, key: DeviceKey, body: JsonBody) -> Handled {
                entity_set::update(&DEVICE_IDENTITIES, access.0, store, root, key.0, body).await
            }

            #[utoipa::path(
                delete,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}",
                tag = TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.DeleteWindowsAutopilotDeviceIdentities"),
                summary = "Delete windowsAutopilotDeviceIdentity",
                params(DeviceKey),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[delete("/deviceManagement/windowsAutopilotDeviceIdentities/{id}")]
            pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: DeviceKey) -> Handled {
                entity_set::delete(&DEVICE_IDENTITIES, access.0, store, key.0).await
            }

            action!($prefix, assign_user_to_device, "assignUserToDevice", "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignUserToDevice", AssignUserToDevice, body = AssignUserToDeviceBody);
            action!($prefix, unassign_user_from_device, "unassignUserFromDevice", "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignUserFromDevice", UnassignUserFromDevice);
            action!($prefix, update_device_properties, "updateDeviceProperties", "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties", UpdateDeviceProperties, body = $update_properties);
        }
    };
}

/// One bound action: POST `.../{id}/<name>`, 204 on success.
/// actix's route attribute takes only a literal path (with its own `{id}`, as actix parameter names
/// cannot hold Microsoft's `-`), hence `$route` beside `$name`.
macro_rules! action {
    ($prefix:literal, $handler:ident, $name:literal, $route:literal, $action:ident $(, body = $body:ty)?) => {
        #[utoipa::path(
            post,
            path = concat!("/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}/", $name),
            tag = TAG,
            security(("bearer" = [])),
            operation_id = concat!($prefix, "deviceManagement.windowsAutopilotDeviceIdentities.windowsAutopilotDeviceIdentity.", $name),
            summary = concat!("Invoke action ", $name),
            params(DeviceKey),
            $(request_body(content = $body, content_type = "application/json"),)?
            responses(
                (status = 204, description = "Success"),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[post($route)]
        pub async fn $handler(
            access: WriteAccess,
            store: web::Data<Store>,
            root: ServiceRoot,
            key: DeviceKey,
            req: HttpRequest,
            payload: web::Payload,
        ) -> Handled {
            run_action(access.0, DeviceAction::$action, store, root, key, req, payload).await
        }
    };
}

root_operations!(
    v1,
    "",
    DeviceIdentityV1,
    DeviceIdentityPageV1,
    UpdateDevicePropertiesBodyV1
);
root_operations!(
    beta,
    "beta.",
    DeviceIdentityBeta,
    DeviceIdentityPageBeta,
    UpdateDevicePropertiesBodyBeta
);

/// The actions only beta has.
pub mod beta_actions {
    use super::*;

    action!(
        "beta.",
        allow_next_enrollment,
        "allowNextEnrollment",
        "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/allowNextEnrollment",
        AllowNextEnrollment
    );
    action!(
        "beta.",
        assign_resource_account_to_device,
        "assignResourceAccountToDevice",
        "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignResourceAccountToDevice",
        AssignResourceAccountToDevice,
        body = AssignResourceAccountToDeviceBody
    );
    action!(
        "beta.",
        unassign_resource_account_from_device,
        "unassignResourceAccountFromDevice",
        "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignResourceAccountFromDevice",
        UnassignResourceAccountFromDevice
    );
}
