//! The route table. Every Graph operation is registered through utoipa-actix-web, so the OpenAPI
//! document is generated from exactly the routes that are served. Each root gets thin wrappers
//! whose attributes describe the operation on that root (its schemas and operationId); the work is
//! done once, in `devices`.

mod body;
mod devices;
pub mod docs;
mod health;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{ReadAccess, WriteAccess};
use crate::device::ApiVersion;
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::paths::DeviceAction;
use crate::graph::schema::{
    AssignResourceAccountToDeviceBody, AssignUserToDeviceBody, CountParameters, DeviceIdentityBeta,
    DeviceIdentityPageBeta, DeviceIdentityPageV1, DeviceIdentityV1, ItemParameters, ListParameters,
    TAG, UpdateDevicePropertiesBodyBeta, UpdateDevicePropertiesBodyV1, create_request_example,
    create_response_example,
};
use crate::routes::body::JsonBody;
use crate::routes::devices::DeviceKey;
use crate::store::Store;

/// Registers both Graph roots, and the health endpoints beside them.
pub fn register(config: &mut ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(
            scope::scope("/v1.0")
                .app_data(ApiVersion::V1)
                .service(v1::list)
                .service(v1::create)
                // Before the item routes, whose key would otherwise take `$count`.
                .service(v1::count)
                .service(v1::get)
                .service(v1::update)
                .service(v1::delete)
                .service(v1::assign_user_to_device)
                .service(v1::unassign_user_from_device)
                .service(v1::update_device_properties),
        )
        .service(
            scope::scope("/beta")
                .app_data(ApiVersion::Beta)
                .service(beta::list)
                .service(beta::create)
                .service(beta::count)
                .service(beta::get)
                .service(beta::update)
                .service(beta::delete)
                .service(beta::assign_user_to_device)
                .service(beta::unassign_user_from_device)
                .service(beta::update_device_properties)
                .service(beta_actions::allow_next_enrollment)
                .service(beta_actions::assign_resource_account_to_device)
                .service(beta_actions::unassign_resource_account_from_device),
        );
}

type Handled = Result<HttpResponse, GraphError>;

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
                devices::list(access.0, store, root, req).await
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
                devices::create(access.0, store, root, body).await
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
                devices::count(access.0, store, root, req).await
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
                devices::get(access.0, store, root, key, req).await
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
                devices::update(access.0, store, root, key, body).await
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
                devices::delete(access.0, store, key).await
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
            devices::run_action(access.0, DeviceAction::$action, store, root, key, req, payload).await
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
