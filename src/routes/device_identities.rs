//! windowsAutopilotDeviceIdentities on both roots: the generic entity-set operations and the
//! device's bound actions. Each root gets thin wrappers whose attributes describe the operation on
//! that root (its schemas and operationId).

use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde_json::{Value as Json, json};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::device_identity::DeviceAction;
use crate::domain::entity::{EntitySet, Navigation};
use crate::graph::GRAPH_JSON;
use crate::graph::entity::EntityView;
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::profile_assignment::parse_id_list;
use crate::graph::schema::{
    AssignResourceAccountToDeviceBody, AssignUserToDeviceBody, CountParameters, DELETED_STATE_TYPE,
    DEVICE_IDENTITIES_TAG, DeleteDevicesBody, DeleteDevicesResponse, DeploymentProfileBeta,
    DeviceIdentityBeta, DeviceIdentityPageBeta, DeviceIdentityPageV1, DeviceIdentityV1,
    ListParameters, UpdateDevicePropertiesBodyBeta, UpdateDevicePropertiesBodyV1,
    create_request_example, create_response_example,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, bound_action, entity_set_routes, found,
};
use crate::store::{IdentityDeleted, SerialDeleted, Store};

/// Device identities, for the route attributes.
pub struct DeviceIdentities;

impl Served for DeviceIdentities {
    const SET: &'static EntitySet = &DEVICE_IDENTITIES;

    /// Refused while the device is enrolled: Intune's order deletes the managed device first.
    async fn delete(tenant: Tenant, store: web::Data<Store>, id: Uuid) -> Handled {
        match store.delete_device_identity(tenant, id).await? {
            IdentityDeleted::Deleted => Ok(HttpResponse::NoContent().finish()),
            IdentityDeleted::NotFound => Err(GraphError::entity_not_found(
                &DEVICE_IDENTITIES,
                &id.to_string(),
            )),
            IdentityDeleted::Enrolled(managed_device) => Err(GraphError::bad_request(format!(
                "The windowsAutopilotDeviceIdentity '{id}' is enrolled in Intune as the managed \
                 device '{managed_device}'; delete the managed device first."
            ))),
        }
    }
}

type DeviceKey = Key<DeviceIdentities>;

/// POST `.../{id}/<action>`: parameters (when the action takes any) become property changes.
pub(super) async fn run_action(
    tenant: Tenant,
    action: DeviceAction,
    store: web::Data<Store>,
    root: ServiceRoot,
    device: Uuid,
    req: HttpRequest,
    payload: web::Payload,
) -> Handled {
    let body = if action.takes_parameters() {
        Some(<JsonBody>::from_request(&req, &mut payload.into_inner()).await?)
    } else {
        None
    };
    let assignments = action.assignments(body.as_ref().map(|b| b.0.as_ref()), root.version)?;
    let set = &DEVICE_IDENTITIES;
    found(
        set,
        store.update(set, tenant, device, &assignments).await?,
        device,
    )
}

/// The deployment profile `navigation` names for a device identity: the one it has, or the one
/// that targets it (404 when it has none).
pub(super) async fn device_profile(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    device: Uuid,
    navigation: Navigation,
) -> Handled {
    store
        .get(&DEVICE_IDENTITIES, tenant, device)
        .await?
        .ok_or_else(|| GraphError::entity_not_found(&DEVICE_IDENTITIES, &device.to_string()))?;
    let none = || {
        GraphError::not_found(format!(
            "The windowsAutopilotDeviceIdentity with id '{device}' has no {}.",
            navigation.name()
        ))
    };
    let profile = store
        .device_profiles(tenant, &[device], navigation)
        .await?
        .remove(&device)
        .ok_or_else(none)?;
    let profile = store
        .get(&DEPLOYMENT_PROFILES, tenant, profile)
        .await?
        .ok_or_else(none)?;
    let context = root.entity_context(&DEPLOYMENT_PROFILES, "");
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(EntityView {
            entity: &profile,
            version: root.version,
            select: None,
            context: Some(&context),
            typed: false,
            expanded: &[],
        }))
}

/// The operations both roots have, for one root.
macro_rules! root_operations {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty, $update_properties:ty) => {
        pub mod $root {
            use super::*;

            entity_set_routes!(
                set: DeviceIdentities, prefix: $prefix, tag: DEVICE_IDENTITIES_TAG,
                collection: "/deviceManagement/windowsAutopilotDeviceIdentities",
                count: "/deviceManagement/windowsAutopilotDeviceIdentities/$count",
                item: "/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
                documented_item: "/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}",
                operation_ids: ("deviceManagement.", "WindowsAutopilotDeviceIdentities",
                    "deviceManagement.windowsAutopilotDeviceIdentities.GetCount-0841"),
                summaries: ("windowsAutopilotDeviceIdentities", "windowsAutopilotDeviceIdentity"),
                described: ("A page of devices", "The device", "The URL of the new device"),
                entity: $entity, page: $page,
                create_examples: (create_request_example, create_response_example),
                operations: [list, create, count, get, delete]
            );

            #[utoipa::path(
                patch,
                path = "/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}",
                tag = DEVICE_IDENTITIES_TAG,
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

            action!($prefix, assign_user_to_device, "assignUserToDevice", "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignUserToDevice", AssignUserToDevice, body = AssignUserToDeviceBody);
            action!($prefix, unassign_user_from_device, "unassignUserFromDevice", "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignUserFromDevice", UnassignUserFromDevice);
            action!($prefix, update_device_properties, "updateDeviceProperties", "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties", UpdateDeviceProperties, body = $update_properties);
        }
    };
}

/// One bound action: POST `.../{id}/<name>`, 204 on success.
macro_rules! action {
    ($prefix:tt, $handler:ident, $name:literal, $route:literal, $action:ident $(, body = $body:ty)?) => {
        bound_action!(
            $prefix, $handler, $name, $route,
            item: "/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}",
            operation: "deviceManagement.windowsAutopilotDeviceIdentities.windowsAutopilotDeviceIdentity",
            tag: DEVICE_IDENTITIES_TAG, key: DeviceKey, access: WriteAccess,
            run: run_action, action: DeviceAction::$action $(, body = $body)?
        );
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
    /// GET `.../{id}/deploymentProfile` or `.../intendedDeploymentProfile`.
    macro_rules! profile_navigation {
        ($handler:ident, $navigation:ident, $name:literal, $pascal:literal, $route:literal) => {
            #[utoipa::path(
                get,
                path = concat!("/deviceManagement/windowsAutopilotDeviceIdentities/{windowsAutopilotDeviceIdentity-id}/", $name),
                tag = DEVICE_IDENTITIES_TAG,
                security(("bearer" = [])),
                operation_id = concat!("beta.deviceManagement.windowsAutopilotDeviceIdentities.Get", $pascal),
                summary = concat!("Get ", $name, " from deviceManagement"),
                params(DeviceKey),
                responses(
                    (status = 200, description = "The deployment profile", body = DeploymentProfileBeta),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get($route)]
            pub async fn $handler(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot, key: DeviceKey) -> Handled {
                device_profile(access.0, store, root, key.0, Navigation::$navigation).await
            }
        };
    }

    profile_navigation!(
        deployment_profile,
        DeploymentProfile,
        "deploymentProfile",
        "DeploymentProfile",
        "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/deploymentProfile"
    );
    profile_navigation!(
        intended_deployment_profile,
        IntendedDeploymentProfile,
        "intendedDeploymentProfile",
        "IntendedDeploymentProfile",
        "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/intendedDeploymentProfile"
    );

    action!(
        "beta.",
        unassign_resource_account_from_device,
        "unassignResourceAccountFromDevice",
        "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignResourceAccountFromDevice",
        UnassignResourceAccountFromDevice
    );
}

/// The parameter of `deleteDevices`.
const SERIAL_NUMBERS: &str = "serialNumbers";

/// `deleteDevices` (v1.0): the identities with these serial numbers are deleted under the rule of
/// a DELETE, and each serial gets its `deletedWindowsAutopilotDeviceState`: `accepted`, or
/// `failed` with why (no such serial, or a device still enrolled), never a failed request.
#[utoipa::path(
    post,
    path = "/deviceManagement/windowsAutopilotDeviceIdentities/deleteDevices",
    tag = DEVICE_IDENTITIES_TAG,
    security(("bearer" = [])),
    operation_id = "deviceManagement.windowsAutopilotDeviceIdentities.deleteDevices",
    summary = "Invoke action deleteDevices",
    description = "Deletes the Autopilot devices with these serial numbers (case-insensitive). A \
                   serial no device has, or whose device is still enrolled in Intune (delete its \
                   managed device first), gets deletionState failed and an errorMessage.",
    request_body(content = DeleteDevicesBody, content_type = "application/json"),
    responses(
        (status = 200, description = "A state for each serial, in their order", body = DeleteDevicesResponse),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[post("/deviceManagement/windowsAutopilotDeviceIdentities/deleteDevices")]
pub async fn delete_devices(
    access: WriteAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    body: JsonBody,
) -> Handled {
    let serial_numbers = parse_id_list(&body.0, SERIAL_NUMBERS)?;
    let answers = store
        .delete_device_identities_by_serial(access.0, serial_numbers)
        .await?;
    let value: Vec<Json> = answers.iter().map(deleted_state).collect();
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(json!({
        "@odata.context": root.metadata(&format!("Collection({DELETED_STATE_TYPE})")),
        "value": value,
    })))
}

/// A serial's `deletedWindowsAutopilotDeviceState`.
fn deleted_state(answer: &SerialDeleted) -> Json {
    let serial = &answer.serial_number;
    let (state, error) = match &answer.outcome {
        IdentityDeleted::Deleted => ("accepted", None),
        IdentityDeleted::NotFound => (
            "failed",
            Some(format!(
                "Cannot find an Autopilot device with serial number '{serial}'."
            )),
        ),
        IdentityDeleted::Enrolled(managed_device) => (
            "failed",
            Some(format!(
                "The Autopilot device with serial number '{serial}' is enrolled in Intune as \
                 the managed device '{managed_device}'; delete the managed device first."
            )),
        ),
    };
    json!({
        "@odata.type": format!("#{DELETED_STATE_TYPE}"),
        "serialNumber": serial,
        "deviceRegistrationId": answer.identity.map(|id| id.to_string()),
        "deletionState": state,
        "errorMessage": error,
    })
}

/// The device identity routes of `/v1.0`, `$count` before the item routes whose key would take it.
pub fn v1_routes(config: &mut ServiceConfig) {
    config
        .service(v1::list)
        .service(v1::create)
        .service(v1::count)
        .service(delete_devices)
        .service(v1::get)
        .service(v1::update)
        .service(v1::delete)
        .service(v1::assign_user_to_device)
        .service(v1::unassign_user_from_device)
        .service(v1::update_device_properties);
}

/// The device identity routes of `/beta`: those of `/v1.0`, the beta actions and navigations.
pub fn beta_routes(config: &mut ServiceConfig) {
    config
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
        .service(beta_actions::unassign_resource_account_from_device)
        .service(beta_actions::deployment_profile)
        .service(beta_actions::intended_deployment_profile);
}
