//! deviceManagement/managedDevices on both roots: list, `$count`, get, update and delete of the
//! records enrollment makes (no client creates one: a POST gets Graph's route-template 400), and
//! the remote actions, under Graph's DeviceManagementManagedDevices permissions. Actions due are
//! settled before every operation, so what a client reads is never behind the time.

use actix_web::{FromRequest, HttpRequest, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

// The generic routes name their extractors `ReadAccess` and `WriteAccess`; managed devices need
// DeviceManagementManagedDevices permissions instead of DeviceManagementServiceConfig.
use crate::auth::{
    ManagedDeviceActionAccess, ManagedDevicesReadAccess as ReadAccess,
    ManagedDevicesWriteAccess as WriteAccess,
};
use crate::domain::Tenant;
use crate::domain::entity::{BoundAction, EntitySet};
use crate::domain::managed_device::{ACTION_COMPLETES_AFTER, ACTIONS, MANAGED_DEVICES};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::managed_device::{action_request, takes_parameters};
use crate::graph::schema::{
    CleanWindowsDeviceBody, CountParameters, ListParameters, MANAGED_DEVICES_TAG,
    ManagedDeviceBeta, ManagedDevicePageBeta, ManagedDevicePageV1, ManagedDeviceV1,
    SetDeviceNameBody, WipeBodyBeta, WipeBodyV1,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, bound_action, entity_set_routes, found,
};
use crate::store::Store;

/// Managed devices, for the route attributes.
pub struct ManagedDevices;

impl Served for ManagedDevices {
    const SET: &'static EntitySet = &MANAGED_DEVICES;

    /// Actions that are due take effect first.
    async fn prepare(tenant: Tenant, store: &Store) -> Result<(), GraphError> {
        store.settle_device_actions(tenant).await?;
        Ok(())
    }
}

type DeviceKey = Key<ManagedDevices>;

/// The action named `name`.
fn action(name: &str) -> BoundAction {
    *ACTIONS
        .iter()
        .find(|action| action.name == name)
        .expect("every routed action is in ACTIONS")
}

/// POST `.../{id}/<action>`: 204 once the action is pending on the device.
async fn send_action(
    tenant: Tenant,
    name: &str,
    store: web::Data<Store>,
    root: ServiceRoot,
    device: Uuid,
    req: HttpRequest,
    payload: web::Payload,
) -> Handled {
    let action = action(name);
    let body = if takes_parameters(action) {
        Some(<JsonBody>::from_request(&req, &mut payload.into_inner()).await?)
    } else {
        None
    };
    let request = action_request(action, body.as_ref().map(|b| b.0.as_ref()), root.version)?;
    ManagedDevices::prepare(tenant, &store).await?;
    let sent = store
        .send_device_action(tenant, device, &request, ACTION_COMPLETES_AFTER)
        .await?;
    found(&MANAGED_DEVICES, sent, device)
}

/// The operations both roots have, for one root.
macro_rules! root_operations {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty, $wipe_body:ty) => {
        pub mod $root {
            use super::*;

            entity_set_routes!(
                set: ManagedDevices, prefix: $prefix, tag: MANAGED_DEVICES_TAG,
                collection: "/deviceManagement/managedDevices",
                count: "/deviceManagement/managedDevices/$count",
                item: "/deviceManagement/managedDevices/{id}",
                documented_item: "/deviceManagement/managedDevices/{managedDevice-id}",
                operation_ids: ("deviceManagement.", "ManagedDevices",
                    "deviceManagement.managedDevices.GetCount"),
                summaries: ("managedDevices", "managedDevice"),
                described: ("A page of managed devices", "The managed device", "The URL of the managed device"),
                entity: $entity, page: $page, create_examples: (),
                operations: [list, count, get]
            );

            #[utoipa::path(
                patch,
                path = "/deviceManagement/managedDevices/{managedDevice-id}",
                tag = MANAGED_DEVICES_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.UpdateManagedDevices"),
                summary = "Update managedDevice",
                params(DeviceKey),
                request_body(content = $entity, content_type = "application/json"),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[patch("/deviceManagement/managedDevices/{id}")]
            pub async fn update(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot, key: DeviceKey, body: JsonBody) -> Handled {
                ManagedDevices::prepare(access.0, &store).await?;
                entity_set::update(&MANAGED_DEVICES, access.0, store, root, key.0, body).await
            }

            /// The device leaves Intune: its Autopilot identity is unlinked.
            #[utoipa::path(
                delete,
                path = "/deviceManagement/managedDevices/{managedDevice-id}",
                tag = MANAGED_DEVICES_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.DeleteManagedDevices"),
                summary = "Delete managedDevice",
                params(DeviceKey),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[delete("/deviceManagement/managedDevices/{id}")]
            pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: DeviceKey) -> Handled {
                ManagedDevices::prepare(access.0, &store).await?;
                let deleted = store.delete_managed_device(access.0, key.0).await?;
                found(&MANAGED_DEVICES, deleted, key.0)
            }

            action!($prefix, wipe, "wipe", "/deviceManagement/managedDevices/{id}/wipe", body = $wipe_body);
            action!($prefix, retire, "retire", "/deviceManagement/managedDevices/{id}/retire");
            action!($prefix, sync_device, "syncDevice", "/deviceManagement/managedDevices/{id}/syncDevice");
            action!($prefix, reboot_now, "rebootNow", "/deviceManagement/managedDevices/{id}/rebootNow");
            action!($prefix, remote_lock, "remoteLock", "/deviceManagement/managedDevices/{id}/remoteLock");
            action!($prefix, shut_down, "shutDown", "/deviceManagement/managedDevices/{id}/shutDown");
            action!($prefix, clean_windows_device, "cleanWindowsDevice", "/deviceManagement/managedDevices/{id}/cleanWindowsDevice", body = CleanWindowsDeviceBody);

            /// The routes of the root, `$count` before the item routes whose key would take it.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(list)
                    .service(count)
                    .service(get)
                    .service(update)
                    .service(delete)
                    .service(wipe)
                    .service(retire)
                    .service(sync_device)
                    .service(reboot_now)
                    .service(remote_lock)
                    .service(shut_down)
                    .service(clean_windows_device);
            }
        }
    };
}

/// One remote action: POST `.../{id}/<name>`, 204 once pending.
macro_rules! action {
    ($prefix:tt, $handler:ident, $name:literal, $route:literal $(, body = $body:ty)?) => {
        bound_action!(
            $prefix, $handler, $name, $route,
            item: "/deviceManagement/managedDevices/{managedDevice-id}",
            operation: "deviceManagement.managedDevices.managedDevice",
            tag: MANAGED_DEVICES_TAG, key: DeviceKey, access: ManagedDeviceActionAccess,
            run: send_action, action: $name $(, body = $body)?
        );
    };
}

root_operations!(v1, "", ManagedDeviceV1, ManagedDevicePageV1, WipeBodyV1);
root_operations!(
    beta,
    "beta.",
    ManagedDeviceBeta,
    ManagedDevicePageBeta,
    WipeBodyBeta
);

/// The actions only beta has.
pub mod beta_actions {
    use super::*;

    action!(
        "beta.",
        set_device_name,
        "setDeviceName",
        "/deviceManagement/managedDevices/{id}/setDeviceName",
        body = SetDeviceNameBody
    );
    action!(
        "beta.",
        rotate_local_admin_password,
        "rotateLocalAdminPassword",
        "/deviceManagement/managedDevices/{id}/rotateLocalAdminPassword"
    );

    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(set_device_name)
            .service(rotate_local_admin_password);
    }
}
