//! Managed devices (issue 27): the records a simulated enrollment makes, seeded here through the
//! control plane's import-state. Lists with the filters offboarding scripts use, paging and
//! `$count`; PATCH of the writable properties; DELETE unlinking the Autopilot identity; each remote
//! action pending then done, wipe and retire taking effect; tenants, permissions and bad input.

use std::time::Duration;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{WRITE, claims, hs256};
use crate::control::{guarded_app, import_state};
use crate::helpers::{COLLECTION, TestApp, body_of, error_of, send_as};

const DEVICES: &str = "deviceManagement/managedDevices";
const READ_ALL: &str = "DeviceManagementManagedDevices.Read.All";
const READ_WRITE_ALL: &str = "DeviceManagementManagedDevices.ReadWrite.All";
const PRIVILEGED: &str = "DeviceManagementManagedDevices.PrivilegedOperations.All";
/// Longer than the 2 s an action stays pending.
const ACTION_DONE_WITHIN: Duration = Duration::from_millis(2600);

/// One enrolled device: its identity's and its managed device's ids.
pub struct Enrolled {
    pub identity: Uuid,
    pub device: Uuid,
}

/// Loads `tenant`'s state: per serial number an Autopilot identity enrolled as a managed device
/// named `name`, with an Entra device id of its own.
pub async fn seed(app: &TestApp, tenant: Uuid, devices: &[(&str, &str)]) -> Vec<Enrolled> {
    let enrolled: Vec<Enrolled> = devices
        .iter()
        .map(|_| Enrolled {
            identity: Uuid::new_v4(),
            device: Uuid::new_v4(),
        })
        .collect();
    let identities: Vec<Json> = devices
        .iter()
        .zip(&enrolled)
        .map(|((serial, _), e)| {
            json!({"id": e.identity, "serial_number": serial, "enrollment_state": "enrolled",
                   "managed_device_id": e.device.to_string()})
        })
        .collect();
    let managed: Vec<Json> = devices
        .iter()
        .zip(&enrolled)
        .map(|((serial, name), e)| {
            json!({"id": e.device, "serial_number": serial, "device_name": name,
                   "azure_ad_device_id": format!("aad-{serial}")})
        })
        .collect();
    let document = json!({"tables": {"device_identities": identities, "managed_devices": managed}});
    import_state(app, tenant, document).await;
    enrolled
}

/// A Graph request as `tenant`'s application with `roles`.
async fn as_app(
    app: &TestApp,
    tenant: Uuid,
    roles: &[&str],
    method: Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    send_as(app, &hs256(&claims(tenant, roles)), method, path, body).await
}

/// A request with every managed-device permission.
async fn admin(
    app: &TestApp,
    tenant: Uuid,
    method: Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    as_app(
        app,
        tenant,
        &[READ_WRITE_ALL, PRIVILEGED],
        method,
        path,
        body,
    )
    .await
}

async fn ok(app: &TestApp, tenant: Uuid, path: &str) -> Json {
    body_of(
        admin(app, tenant, Method::GET, path, None).await,
        StatusCode::OK,
    )
    .await
}

fn serials(page: &Json) -> Vec<&str> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn lists_filter_page_count_and_select_within_the_tenant() {
    let app = guarded_app().await;
    let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
    seed(
        &app,
        tenant,
        &[
            ("SER-1", "KIOSK-1"),
            ("SER-2", "KIOSK-2"),
            ("SER-3", "DESK-3"),
        ],
    )
    .await;
    let theirs = seed(&app, other, &[("SER-1", "OTHER-1")]).await;

    let list = |query: &str| format!("v1.0/{DEVICES}?{query}");
    let page = ok(&app, tenant, &list("$filter=serialNumber eq 'SER-2'")).await;
    assert_eq!(serials(&page), ["SER-2"]);
    let device = &page["value"][0];
    assert_eq!(device["deviceName"], "KIOSK-2");
    // What a simulated Autopilot device has.
    assert_eq!(device["operatingSystem"], "Windows");
    assert_eq!(device["managementAgent"], "mdm");
    assert_eq!(device["managedDeviceOwnerType"], "company");
    assert_eq!(device["complianceState"], "compliant");
    assert_eq!(device["deviceActionResults"], json!([]));
    assert_eq!(device["totalStorageSpaceInBytes"], 136365211648_i64);
    assert!(device.get("autopilotEnrolled").is_none(), "beta only");
    for (query, expected) in [
        ("$filter=deviceName eq 'DESK-3'", vec!["SER-3"]),
        ("$filter=azureADDeviceId eq 'aad-SER-1'", vec!["SER-1"]),
        (
            "$filter=startswith(deviceName,'KIOSK')&$orderby=deviceName desc",
            vec!["SER-2", "SER-1"],
        ),
        (
            "$filter=operatingSystem eq 'Windows'&$orderby=serialNumber",
            vec!["SER-1", "SER-2", "SER-3"],
        ),
    ] {
        assert_eq!(
            serials(&ok(&app, tenant, &list(query)).await),
            expected,
            "{query}"
        );
    }

    let first = ok(
        &app,
        tenant,
        &list("$orderby=serialNumber&$top=2&$count=true"),
    )
    .await;
    assert_eq!(first["@odata.count"], 3);
    assert_eq!(serials(&first), ["SER-1", "SER-2"]);
    let next = first["@odata.nextLink"].as_str().unwrap();
    let next = next.split_once("/v1.0/").unwrap().1;
    let second = ok(&app, tenant, &format!("v1.0/{next}")).await;
    assert_eq!(serials(&second), ["SER-3"]);
    assert!(second.get("@odata.nextLink").is_none());

    let count = admin(
        &app,
        tenant,
        Method::GET,
        &format!("beta/{DEVICES}/$count"),
        None,
    )
    .await;
    assert_eq!(count.text().await.unwrap(), "3");
    let selected = ok(
        &app,
        tenant,
        &format!("beta/{DEVICES}?$select=serialNumber,autopilotEnrolled"),
    )
    .await;
    let mut keys: Vec<&String> = selected["value"][0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["autopilotEnrolled", "serialNumber"]);
    assert_eq!(selected["value"][0]["autopilotEnrolled"], true);

    // Another tenant's device is not there, even by id.
    let path = format!("v1.0/{DEVICES}/{}", theirs[0].device);
    error_of(
        admin(&app, tenant, Method::GET, &path, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    assert_eq!(serials(&ok(&app, other, &list("")).await), ["SER-1"]);
}

#[tokio::test]
async fn patch_writes_what_graph_lets_a_client_write_and_delete_leaves_intune() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let enrolled = seed(&app, tenant, &[("SER-1", "KIOSK-1")]).await;
    let item = format!("v1.0/{DEVICES}/{}", enrolled[0].device);

    let changes = json!({"notes": "lobby", "managedDeviceName": "Lobby kiosk",
                         "complianceState": "noncompliant", "deviceName": "IGNORED"});
    body_of(
        admin(&app, tenant, Method::PATCH, &item, Some(changes)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let device = ok(&app, tenant, &item).await;
    assert_eq!(device["notes"], "lobby");
    assert_eq!(device["managedDeviceName"], "Lobby kiosk");
    assert_eq!(device["complianceState"], "noncompliant");
    assert_eq!(
        device["deviceName"], "KIOSK-1",
        "deviceName changes through setDeviceName only"
    );
    for bad in [
        json!({"colour": "red"}),
        json!({"complianceState": "green"}),
        json!({"notes": 7}),
    ] {
        error_of(
            admin(&app, tenant, Method::PATCH, &item, Some(bad)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }
    // No client creates a managed device: Graph's route-template 400.
    let create = admin(
        &app,
        tenant,
        Method::POST,
        &format!("v1.0/{DEVICES}"),
        Some(json!({})),
    )
    .await;
    error_of(
        create,
        StatusCode::BAD_REQUEST,
        "No method match route template",
    )
    .await;

    body_of(
        admin(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    error_of(
        admin(&app, tenant, Method::GET, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    error_of(
        admin(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let identity = format!("v1.0/{COLLECTION}/{}", enrolled[0].identity);
    let token = hs256(&claims(tenant, &[WRITE]));
    let identity = body_of(
        send_as(&app, &token, Method::GET, &identity, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(identity["managedDeviceId"], Json::Null);
    assert_eq!(identity["enrollmentState"], "notContacted");
}

#[tokio::test]
async fn actions_are_pending_then_done_and_wipe_and_retire_take_effect() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let enrolled = seed(
        &app,
        tenant,
        &[("WIPED", "PC-1"), ("RETIRED", "PC-2"), ("KEPT", "PC-3")],
    )
    .await;
    let item = |e: &Enrolled| format!("beta/{DEVICES}/{}", e.device);
    let post = |e: &Enrolled, action: &str, body: Option<Json>| {
        let path = format!("{}/{action}", item(e));
        let app = &app;
        async move { admin(app, tenant, Method::POST, &path, body).await }
    };
    let (wiped, retired, kept) = (&enrolled[0], &enrolled[1], &enrolled[2]);
    let wipe =
        json!({"keepEnrollmentData": false, "keepUserData": false, "useProtectedWipe": false});
    body_of(
        post(wiped, "wipe", Some(wipe)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    body_of(post(retired, "retire", None).await, StatusCode::NO_CONTENT).await;
    let keep = json!({"keepEnrollmentData": true, "keepUserData": true});
    body_of(post(kept, "wipe", Some(keep)).await, StatusCode::NO_CONTENT).await;
    for action in [
        "syncDevice",
        "rebootNow",
        "remoteLock",
        "shutDown",
        "rotateLocalAdminPassword",
    ] {
        body_of(post(kept, action, None).await, StatusCode::NO_CONTENT).await;
    }
    let clean = json!({"keepUserData": true});
    body_of(
        post(kept, "cleanWindowsDevice", Some(clean)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let rename = json!({"deviceName": "LOBBY-3"});
    body_of(
        post(kept, "setDeviceName", Some(rename)).await,
        StatusCode::NO_CONTENT,
    )
    .await;

    let pending = ok(&app, tenant, &item(wiped)).await;
    assert_eq!(pending["managementState"], "wipePending");
    let results = pending["deviceActionResults"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["actionName"], "wipe");
    assert_eq!(results[0]["actionState"], "pending");
    assert!(results[0]["startDateTime"].as_str().unwrap().ends_with('Z'));
    let kept_now = ok(&app, tenant, &item(kept)).await;
    // wipe, the five without parameters, cleanWindowsDevice and setDeviceName.
    assert_eq!(kept_now["deviceActionResults"].as_array().unwrap().len(), 8);
    assert_eq!(kept_now["deviceName"], "PC-3", "renamed once done");

    tokio::time::sleep(ACTION_DONE_WITHIN).await;
    // The worker settled them: the identities are unlinked before anyone reads a managed device.
    for gone in [wiped, retired] {
        let identity = format!("v1.0/{COLLECTION}/{}", gone.identity);
        let token = hs256(&claims(tenant, &[WRITE]));
        let identity = body_of(
            send_as(&app, &token, Method::GET, &identity, None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            identity["managedDeviceId"],
            Json::Null,
            "the identity stays, unlinked"
        );
        assert_eq!(identity["enrollmentState"], "notContacted");
    }
    let done = ok(&app, tenant, &item(kept)).await;
    let results = done["deviceActionResults"].as_array().unwrap();
    assert!(
        results.iter().all(|r| r["actionState"] == "done"),
        "{results:?}"
    );
    assert_eq!(done["deviceName"], "LOBBY-3");
    assert_eq!(
        done["managementState"], "managed",
        "a wipe that keeps the enrollment stays"
    );
    for gone in [wiped, retired] {
        error_of(
            admin(&app, tenant, Method::GET, &item(gone), None).await,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
        )
        .await;
    }
    assert_eq!(
        serials(&ok(&app, tenant, &format!("v1.0/{DEVICES}")).await),
        ["KEPT"]
    );
}

#[tokio::test]
async fn actions_refuse_bad_parameters_unknown_names_and_other_roots() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let enrolled = seed(&app, tenant, &[("SER-1", "PC-1")]).await;
    let item = |root: &str| format!("{root}/{DEVICES}/{}", enrolled[0].device);
    let post = |path: String, body: Option<Json>| {
        let app = &app;
        async move { admin(app, tenant, Method::POST, &path, body).await }
    };
    for (path, body) in [
        (
            format!("{}/wipe", item("v1.0")),
            json!({"useProtectedWipe": true}),
        ),
        (
            format!("{}/wipe", item("beta")),
            json!({"keepUserData": "yes"}),
        ),
        (format!("{}/setDeviceName", item("beta")), json!({})),
        (
            format!("{}/cleanWindowsDevice", item("v1.0")),
            json!([true]),
        ),
    ] {
        error_of(
            post(path, Some(body)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }
    for action in ["setDeviceName", "rotateLocalAdminPassword", "selfDestruct"] {
        let response = post(format!("{}/{action}", item("v1.0")), Some(json!({}))).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{action} on v1.0"
        );
    }
    let missing = format!("v1.0/{DEVICES}/{}/syncDevice", Uuid::new_v4());
    error_of(
        post(missing, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    // Nothing was recorded by the refused calls.
    let device = ok(&app, tenant, &item("v1.0")).await;
    assert_eq!(device["deviceActionResults"], json!([]));
}

#[tokio::test]
async fn each_operation_takes_graphs_managed_device_permission() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let enrolled = seed(&app, tenant, &[("SER-1", "PC-1")]).await;
    let item = format!("v1.0/{DEVICES}/{}", enrolled[0].device);
    let list = format!("v1.0/{DEVICES}");
    let sync = format!("{item}/syncDevice");
    let patch = || Some(json!({"notes": "x"}));
    let status =
        |roles: &'static [&'static str], method: Method, path: String, body: Option<Json>| {
            let app = &app;
            async move {
                as_app(app, tenant, roles, method, &path, body)
                    .await
                    .status()
            }
        };
    // Autopilot's own permission reads no managed device.
    assert_eq!(
        status(&[WRITE], Method::GET, list.clone(), None).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&[READ_ALL], Method::GET, list.clone(), None).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&[READ_ALL], Method::PATCH, item.clone(), patch()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&[READ_WRITE_ALL], Method::PATCH, item.clone(), patch()).await,
        StatusCode::NO_CONTENT
    );
    // Remote actions take PrivilegedOperations, which ReadWrite does not give.
    assert_eq!(
        status(&[READ_WRITE_ALL], Method::POST, sync.clone(), None).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&[PRIVILEGED], Method::POST, sync, None).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&[PRIVILEGED], Method::DELETE, item.clone(), None).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&[READ_WRITE_ALL], Method::DELETE, item, None).await,
        StatusCode::NO_CONTENT
    );
}
