//! Offboarding in Intune's order (issue 27): the managed device, then the Autopilot identity, then
//! the Entra device object, each found by serial number as offboarding tools find them. An
//! identity whose device is still enrolled is refused until its managed device is gone.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{WRITE, claims, hs256};
use crate::control::{guarded_app, import_state};
use crate::helpers::{COLLECTION, TestApp, body_of, error_of, send_as};

/// An offboarding tool's permissions: Autopilot's and managed devices'.
const MANAGED_DEVICES_WRITE: &str = "DeviceManagementManagedDevices.ReadWrite.All";

async fn graph(
    app: &TestApp,
    tenant: Uuid,
    method: Method,
    path: &str,
    body: Option<Json>,
) -> reqwest::Response {
    let token = hs256(&claims(tenant, &[WRITE, MANAGED_DEVICES_WRITE]));
    send_as(app, &token, method, path, body).await
}

/// An enrolled Autopilot device of `tenant`: its identity and its managed device, seeded through
/// the control plane (the identity's Entra device object comes with it).
async fn enrolled(app: &TestApp, tenant: Uuid, serial: &str) -> (Uuid, Uuid) {
    let (identity, managed) = (Uuid::new_v4(), Uuid::new_v4());
    let document = json!({"tables": {
        "device_identities": [{"id": identity, "serial_number": serial,
                               "managed_device_id": managed.to_string(),
                               "enrollment_state": "enrolled"}],
        "managed_devices": [{"id": managed, "serial_number": serial,
                             "device_name": format!("KIOSK-{serial}")}],
    }});
    import_state(app, tenant, document).await;
    (identity, managed)
}

async fn found(app: &TestApp, tenant: Uuid, path: &str) -> Vec<Json> {
    let page = body_of(
        graph(app, tenant, Method::GET, path, None).await,
        StatusCode::OK,
    )
    .await;
    page["value"].as_array().unwrap().clone()
}

async fn deleted(app: &TestApp, tenant: Uuid, path: &str) {
    body_of(
        graph(app, tenant, Method::DELETE, path, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn offboarding_in_intunes_order_removes_all_three_records_and_the_wrong_order_is_refused() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let (identity, managed) = enrolled(&app, tenant, "OFF-1").await;
    let identity_path = format!("v1.0/{COLLECTION}/{identity}");

    // The identity first: refused while the device is enrolled, and nothing changes.
    for root in ["v1.0", "beta"] {
        let path = format!("{root}/{COLLECTION}/{identity}");
        let refused = graph(&app, tenant, Method::DELETE, &path, None).await;
        let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(&managed.to_string()), "{message}");
    }
    body_of(
        graph(&app, tenant, Method::GET, &identity_path, None).await,
        StatusCode::OK,
    )
    .await;

    // 1. The managed device, found by serial number.
    let managed_devices = found(
        &app,
        tenant,
        "v1.0/deviceManagement/managedDevices?$filter=serialNumber eq 'OFF-1'",
    )
    .await;
    assert_eq!(managed_devices.len(), 1);
    assert_eq!(managed_devices[0]["id"], managed.to_string());
    deleted(
        &app,
        tenant,
        &format!("v1.0/deviceManagement/managedDevices/{managed}"),
    )
    .await;

    // 2. The Autopilot identity, found by serial number; its Entra device object stays.
    let identities = found(
        &app,
        tenant,
        &format!("v1.0/{COLLECTION}?$filter=contains(serialNumber,'OFF-1')"),
    )
    .await;
    assert_eq!(identities.len(), 1);
    let aad_device_id = identities[0]["azureActiveDirectoryDeviceId"]
        .as_str()
        .unwrap()
        .to_owned();
    deleted(&app, tenant, &identity_path).await;
    let error = graph(&app, tenant, Method::GET, &identity_path, None).await;
    error_of(error, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    // 3. The Entra device, found by its deviceId as tools find it.
    let objects = found(
        &app,
        tenant,
        &format!("v1.0/devices?$filter=deviceId eq '{aad_device_id}'"),
    )
    .await;
    assert_eq!(
        objects.len(),
        1,
        "the identity's deletion leaves its device object"
    );
    assert_eq!(objects[0]["physicalIds"][0], format!("[ZTDID]:{identity}"));
    let object = objects[0]["id"].as_str().unwrap();
    deleted(&app, tenant, &format!("v1.0/devices/{object}")).await;

    for path in [
        format!("v1.0/{COLLECTION}"),
        "v1.0/deviceManagement/managedDevices".to_owned(),
        "v1.0/devices".to_owned(),
    ] {
        assert_eq!(
            found(&app, tenant, &path).await,
            Vec::<Json>::new(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_entra_device_deleted_first_leaves_the_identity_which_still_waits_for_its_managed_device()
 {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let (identity, managed) = enrolled(&app, tenant, "OFF-2").await;
    // Graph deletes an Autopilot device's Entra object (only the Entra portal refuses it).
    let objects = found(&app, tenant, "v1.0/devices?$filter=displayName eq 'OFF-2'").await;
    let object = objects[0]["id"].as_str().unwrap();
    deleted(&app, tenant, &format!("v1.0/devices/{object}")).await;
    let identity_path = format!("v1.0/{COLLECTION}/{identity}");
    let refused = graph(&app, tenant, Method::DELETE, &identity_path, None).await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    deleted(
        &app,
        tenant,
        &format!("v1.0/deviceManagement/managedDevices/{managed}"),
    )
    .await;
    deleted(&app, tenant, &identity_path).await;
}

#[tokio::test]
async fn delete_devices_answers_a_state_per_serial_under_the_same_rules() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let (enrolled_identity, managed) = enrolled(&app, tenant, "DEL-1").await;
    let free = body_of(
        graph(
            &app,
            tenant,
            Method::POST,
            &format!("v1.0/{COLLECTION}"),
            Some(json!({"serialNumber": "DEL-2"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    let path = format!("v1.0/{COLLECTION}/deleteDevices");
    let body = json!({"serialNumbers": ["DEL-1", "del-2", "NOPE-9"]});
    let answer = body_of(
        graph(&app, tenant, Method::POST, &path, Some(body)).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        answer["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Collection(microsoft.graph.deletedWindowsAutopilotDeviceState)")
    );
    let states = answer["value"].as_array().unwrap();
    assert_eq!(states.len(), 3);
    assert_eq!(states[0]["serialNumber"], "DEL-1");
    assert_eq!(states[0]["deletionState"], "failed");
    assert_eq!(
        states[0]["deviceRegistrationId"],
        enrolled_identity.to_string()
    );
    assert!(
        states[0]["errorMessage"]
            .as_str()
            .unwrap()
            .contains(&managed.to_string())
    );
    assert_eq!(states[1]["deletionState"], "accepted");
    assert_eq!(states[1]["deviceRegistrationId"], free["id"]);
    assert_eq!(states[1]["errorMessage"], Json::Null);
    assert_eq!(states[2]["deletionState"], "failed");
    assert_eq!(states[2]["deviceRegistrationId"], Json::Null);

    let left = found(&app, tenant, &format!("v1.0/{COLLECTION}")).await;
    let serials: Vec<&str> = left
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap())
        .collect();
    assert_eq!(serials, ["DEL-1"]);

    // Once the managed device is gone, the serial is deleted too.
    deleted(
        &app,
        tenant,
        &format!("v1.0/deviceManagement/managedDevices/{managed}"),
    )
    .await;
    let body = json!({"serialNumbers": ["DEL-1"]});
    let answer = body_of(
        graph(&app, tenant, Method::POST, &path, Some(body)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answer["value"][0]["deletionState"], "accepted");

    for bad in [
        json!({}),
        json!({"serialNumbers": "DEL-1"}),
        json!({"serialNumbers": [1]}),
    ] {
        let refused = graph(&app, tenant, Method::POST, &path, Some(bad)).await;
        error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    let reader = hs256(&claims(tenant, &[crate::auth::READ]));
    let body = json!({"serialNumbers": ["DEL-1"]});
    let refused = send_as(&app, &reader, Method::POST, &path, Some(body)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
