//! Simulated enrollment (`POST /_control/tenants/{tenant}/enrollments`) and `--auto-enroll-after`:
//! the walk from an imported hash through a profile assigned to a dynamic group and a sync to an
//! enrolled identity with its managed device and Autopilot event; an ESP timeout and a failure
//! in each phase; refusals; two instances enrolling one group at once; an enrollment kept across
//! export, reset and import-state; the counts on /metrics.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use sqlx::Row;

use crate::helpers::{
    KIOSK_RULE, PROFILES, TestApp, body_of, create_group, error_of, fresh_database, send,
    spawn_app_with,
};
use crate::imports::{HASH, import_one, processed};

const DEVICES: &str = "beta/deviceManagement/windowsAutopilotDeviceIdentities";
/// Beta, where the managed device's `joinType` and `enrollmentProfileName` are.
const MANAGED: &str = "beta/deviceManagement/managedDevices";
const ENROLLMENTS: &str = "_control/tenants/00000000-0000-0000-0000-000000000000/enrollments";
const ESP: &str = "beta/deviceManagement/deviceEnrollmentConfigurations";
const ESP_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";

/// The service with the control plane on, imports processed at once, and profiles that settle
/// only on a sync.
async fn enrollment_app() -> TestApp {
    let base = [
        "--control",
        "--import-delay",
        "0",
        "--assignment-delay",
        "3600",
        "--sync-cooldown",
        "0",
    ];
    spawn_app_with(&fresh_database().await, &base).await
}

async fn enroll(app: &TestApp, body: Json) -> reqwest::Response {
    send(app, Method::POST, ENROLLMENTS, Some(body)).await
}

async fn get_ok(app: &TestApp, path: &str) -> Json {
    body_of(send(app, Method::GET, path, None).await, StatusCode::OK).await
}

/// A Kiosk profile named from `template`, of `odata_type`, with `usage` as its device usage type,
/// assigned to the dynamic group of the devices tagged Kiosk.
async fn kiosk_profile(app: &TestApp, odata_type: &str, usage: &str, template: &str) -> String {
    let group = create_group(app, "Kiosks", Some(KIOSK_RULE)).await;
    let profile = body_of(
        send(
            app,
            Method::POST,
            PROFILES,
            Some(
                json!({"@odata.type": odata_type, "displayName": "Kiosk profile",
                        "deviceNameTemplate": template,
                        "outOfBoxExperienceSetting": {"deviceUsageType": usage}}),
            ),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group});
    body_of(
        send(
            app,
            Method::POST,
            &format!("{PROFILES}/{profile}/assignments"),
            Some(json!({"target": target})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    profile
}

/// Imports a Kiosk device's hash, as Get-WindowsAutopilotInfo uploads it, and returns its
/// identity's id once the import is processed.
async fn import_kiosk(app: &TestApp, serial: &str) -> String {
    let record = import_one(
        app,
        "beta",
        json!({"serialNumber": serial, "hardwareIdentifier": HASH, "groupTag": "Kiosk"}),
    )
    .await;
    let done = processed(app, "beta", record["id"].as_str().unwrap()).await;
    assert_eq!(done["state"]["deviceImportStatus"], "complete", "{done}");
    done["state"]["deviceRegistrationId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Syncs and waits until the device has its profile.
async fn sync_until_assigned(app: &TestApp, device: &str) {
    let synced = send(
        app,
        Method::POST,
        "beta/deviceManagement/windowsAutopilotSettings/sync",
        None,
    )
    .await;
    assert_eq!(synced.status(), StatusCode::NO_CONTENT);
    wait_for(
        app,
        device,
        "deploymentProfileAssignmentStatus",
        "assignedUnkownSyncState",
    )
    .await;
}

/// Polls the identity until `property` is `value`; returns it.
async fn wait_for(app: &TestApp, device: &str, property: &str, value: &str) -> Json {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let identity = get_ok(app, &format!("{DEVICES}/{device}")).await;
        if identity[property] == value {
            return identity;
        }
        assert!(
            Instant::now() < deadline,
            "{property} never {value}: {identity}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The tenant's Autopilot events of `serial`, as the database holds them.
async fn events(app: &TestApp, serial: &str) -> Vec<sqlx::postgres::PgRow> {
    sqlx::query(
        "SELECT deployment_state, device_setup_status, account_setup_status, enrollment_state, \
             managed_device_name, user_principal_name, enrollment_type, \
             extract(epoch FROM device_setup_duration)::float8 AS device_setup, \
             extract(epoch FROM account_setup_duration)::float8 AS account_setup, \
             extract(epoch FROM deployment_total_duration)::float8 AS total, \
             extract(epoch FROM deployment_start_date_time - enrollment_start_date_time)::float8 \
                 AS preparation, \
             windows_autopilot_deployment_profile_display_name AS profile, \
             windows10_enrollment_completion_page_configuration_id AS esp, \
             enrollment_failure_details AS failure \
         FROM autopilot_events WHERE device_serial_number = $1 ORDER BY event_date_time",
    )
    .bind(serial)
    .fetch_all(&app.db().await)
    .await
    .unwrap()
}

async fn managed_devices(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM managed_devices")
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_imported_device_assigned_through_a_dynamic_group_enrolls_named_from_its_template() {
    let app = enrollment_app().await;
    kiosk_profile(
        &app,
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "singleUser",
        "KIOSK-%SERIAL%",
    )
    .await;
    let device = import_kiosk(&app, "5CG-WALK-0001").await;
    sync_until_assigned(&app, &device).await;

    let answer = body_of(
        enroll(
            &app,
            json!({"serialNumber": "5cg-walk-0001", "userPrincipalName": "adele@contoso.com",
                   "phaseDurationsSeconds": {"devicePreparation": 60, "deviceSetup": 600,
                                             "accountSetup": 240}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answer["enrolled"], 1, "{answer}");
    assert_eq!(answer["failed"], 0);
    let managed_id = answer["managedDeviceIds"][0].as_str().unwrap().to_owned();

    let identity = get_ok(&app, &format!("{DEVICES}/{device}")).await;
    assert_eq!(identity["enrollmentState"], "enrolled");
    assert_eq!(identity["managedDeviceId"], managed_id.as_str());
    assert_eq!(identity["userPrincipalName"], "adele@contoso.com");
    assert_ne!(identity["lastContactedDateTime"], "0001-01-01T00:00:00Z");

    // The serial keeps its last characters to fit the name's 15.
    let managed = get_ok(&app, &format!("{MANAGED}/{managed_id}")).await;
    assert_eq!(managed["deviceName"], "KIOSK-GWALK0001", "{managed}");
    assert_eq!(managed["serialNumber"], "5CG-WALK-0001");
    assert_eq!(managed["userPrincipalName"], "adele@contoso.com");
    assert_eq!(managed["joinType"], "azureADJoined");
    assert_eq!(managed["enrollmentProfileName"], "Kiosk profile");
    let found = get_ok(
        &app,
        "v1.0/deviceManagement/managedDevices?$filter=serialNumber eq '5CG-WALK-0001'",
    )
    .await;
    assert_eq!(found["value"][0]["id"], managed_id.as_str());

    let directory = get_ok(&app, "v1.0/devices").await;
    let entra = directory["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|device| device["deviceId"] == managed["azureADDeviceId"])
        .expect("the managed device's Entra device");
    assert_eq!(entra["trustType"], "AzureAd", "{entra}");
    assert_eq!(entra["isManaged"], true);
    assert_eq!(entra["displayName"], "KIOSK-GWALK0001");
    assert_ne!(
        entra["approximateLastSignInDateTime"],
        "0001-01-01T00:00:00Z"
    );

    let events = events(&app, "5CG-WALK-0001").await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.get::<String, _>("deployment_state"), "success");
    assert_eq!(event.get::<String, _>("device_setup_status"), "success");
    assert_eq!(event.get::<String, _>("account_setup_status"), "success");
    assert_eq!(
        event.get::<String, _>("enrollment_type"),
        "azureADJoinedWithAutopilotProfile"
    );
    assert_eq!(event.get::<f64, _>("preparation"), 60.0);
    assert_eq!(event.get::<f64, _>("device_setup"), 600.0);
    assert_eq!(event.get::<f64, _>("account_setup"), 240.0);
    assert_eq!(event.get::<f64, _>("total"), 900.0);
    assert_eq!(
        event.get::<String, _>("managed_device_name"),
        "KIOSK-GWALK0001"
    );
    assert_eq!(
        event.get::<Option<String>, _>("profile").as_deref(),
        Some("Kiosk profile")
    );
    assert!(event.get::<Option<String>, _>("esp").is_some());

    // A retried request makes no second managed device.
    let again = body_of(
        enroll(&app, json!({"serialNumber": "5CG-WALK-0001"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["enrolled"], 0);
    assert_eq!(again["alreadyEnrolled"], 1);
    assert_eq!(again["managedDeviceIds"][0], managed_id.as_str());
    assert_eq!(managed_devices(&app).await, 1);

    let metrics = app
        .client
        .get(app.url("metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("autopilot_enrollments_total{outcome=\"success\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_esp_timeout_fails_before_enrollment_and_each_phase_fails_as_intune_leaves_it() {
    let app = enrollment_app().await;
    // The default Enrollment Status Page's timeout decides how long the timeout took.
    let pages = get_ok(&app, ESP).await;
    let default_esp = pages["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|page| page["@odata.type"] == ESP_TYPE)
        .expect("the default Enrollment Status Page")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patched = send(
        &app,
        Method::PATCH,
        &format!("{ESP}/{default_esp}"),
        Some(json!({"@odata.type": ESP_TYPE, "installProgressTimeoutInMinutes": 45})),
    )
    .await;
    assert_eq!(
        body_of(patched, StatusCode::OK).await["installProgressTimeoutInMinutes"],
        45
    );
    for serial in ["FAIL-T", "FAIL-P", "FAIL-D", "FAIL-A"] {
        app.create_ok("v1.0", &json!({"serialNumber": serial}))
            .await;
    }

    let timed_out = body_of(
        enroll(
            &app,
            json!({"serialNumber": "FAIL-T", "outcome": "espTimeout"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        timed_out,
        json!({"enrolled": 0, "failed": 1, "alreadyEnrolled": 0,
                                 "managedDeviceIds": []})
    );
    let event = &events(&app, "FAIL-T").await[0];
    assert_eq!(event.get::<String, _>("deployment_state"), "failure");
    assert_eq!(event.get::<String, _>("enrollment_state"), "failed");
    assert_eq!(
        event.get::<String, _>("device_setup_status"),
        "notAttempted"
    );
    assert_eq!(event.get::<f64, _>("preparation"), 45.0 * 60.0);
    assert!(
        event
            .get::<String, _>("failure")
            .contains("timed out after 45 minutes")
    );
    assert_eq!(managed_devices(&app).await, 0);

    // Device preparation ends with MDM enrollment: a failure before leaves no managed device,
    // a failure after leaves an enrolled one whose deployment failed.
    for (serial, phase, managed, setup, account) in [
        (
            "FAIL-P",
            "devicePreparation",
            0,
            "notAttempted",
            "notAttempted",
        ),
        ("FAIL-D", "deviceSetup", 1, "failure", "notAttempted"),
        ("FAIL-A", "accountSetup", 1, "success", "failure"),
    ] {
        let answer = body_of(
            enroll(
                &app,
                json!({"serialNumber": serial, "outcome": "failure", "phase": phase}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer["enrolled"], managed, "{phase}: {answer}");
        assert_eq!(answer["failed"], 1);
        let event = &events(&app, serial).await[0];
        assert_eq!(event.get::<String, _>("deployment_state"), "failure");
        assert_eq!(
            event.get::<String, _>("device_setup_status"),
            setup,
            "{phase}"
        );
        assert_eq!(
            event.get::<String, _>("account_setup_status"),
            account,
            "{phase}"
        );
        let state = if managed == 1 { "enrolled" } else { "failed" };
        let identity = get_ok(
            &app,
            &format!("{DEVICES}?$filter=serialNumber eq '{serial}'"),
        )
        .await;
        assert_eq!(identity["value"][0]["enrollmentState"], state, "{phase}");
    }
    assert_eq!(managed_devices(&app).await, 2);

    // A failed device may try again, and then enrolls.
    let retried = body_of(
        enroll(&app, json!({"serialNumber": "FAIL-T"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(retried["enrolled"], 1);
    assert_eq!(events(&app, "FAIL-T").await.len(), 2);
}

#[tokio::test]
async fn only_autopilot_devices_enroll_and_bad_requests_are_refused_clearly() {
    let app = enrollment_app().await;
    let refused = error_of(
        enroll(&app, json!({"serialNumber": "NOT-REGISTERED"})).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only a registered Autopilot device can enroll"),
        "{refused}"
    );
    for body in [
        json!({}),
        json!({"serialNumber": "A", "groupTag": "B"}),
        json!({"serialNumber": "A", "outcome": "failure"}),
        json!({"serialNumber": "A", "outcome": "failure", "phase": "oobe"}),
        json!({"serialNumber": "A", "phaseDurationsSeconds": {"deviceSetup": -1}}),
        json!({"serialNumber": "A", "userPrincipalName": "adele"}),
    ] {
        error_of(
            enroll(&app, body).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }

    // A self-deploying device has no account setup to fail in.
    kiosk_profile(
        &app,
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "shared",
        "KIOSK-%RAND:4%",
    )
    .await;
    let device = import_kiosk(&app, "SELF-1").await;
    sync_until_assigned(&app, &device).await;
    let refused = error_of(
        enroll(
            &app,
            json!({"groupTag": "Kiosk", "outcome": "failure", "phase": "accountSetup"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("self-deploying")
    );
    assert_eq!(managed_devices(&app).await, 0);
    // It enrolls with no user, whatever the request names.
    let answer = body_of(
        enroll(
            &app,
            json!({"groupTag": "Kiosk", "userPrincipalName": "adele@contoso.com"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let managed = get_ok(
        &app,
        &format!(
            "{MANAGED}/{}",
            answer["managedDeviceIds"][0].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(managed["userPrincipalName"], "");
    assert!(
        managed["deviceName"]
            .as_str()
            .unwrap()
            .starts_with("KIOSK-")
    );
    assert_eq!(managed["deviceName"].as_str().unwrap().len(), 10);
    let event = &events(&app, "SELF-1").await[0];
    assert_eq!(
        event.get::<String, _>("enrollment_type"),
        "azureADJoinedUsingDeviceAuthWithAutopilotProfile"
    );
    assert_eq!(
        event.get::<String, _>("account_setup_status"),
        "notAttempted"
    );
}

#[tokio::test]
async fn with_auto_enroll_after_an_assigned_device_enrolls_with_no_control_plane_call() {
    let options = [
        "--control",
        "--assignment-delay",
        "0.5",
        "--auto-enroll-after",
        "1",
    ];
    let app = spawn_app_with(&fresh_database().await, &options).await;
    kiosk_profile(
        &app,
        "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
        "singleUser",
        "IGNORED-%SERIAL%",
    )
    .await;
    let device = app
        .create_ok(
            "beta",
            &json!({"serialNumber": "AUTO-1", "groupTag": "Kiosk"}),
        )
        .await;
    let device = device["id"].as_str().unwrap();
    let enrolled = wait_for(&app, device, "enrollmentState", "enrolled").await;
    let managed = get_ok(
        &app,
        &format!(
            "{MANAGED}/{}",
            enrolled["managedDeviceId"].as_str().unwrap()
        ),
    )
    .await;
    // A hybrid-joined device is named by its domain join configuration, not the template.
    assert!(
        managed["deviceName"]
            .as_str()
            .unwrap()
            .starts_with("DESKTOP-"),
        "{managed}"
    );
    assert_eq!(managed["joinType"], "hybridAzureADJoined");
    // Only once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(managed_devices(&app).await, 1);
    assert_eq!(events(&app, "AUTO-1").await.len(), 1);
}

#[tokio::test]
async fn two_instances_enrolling_one_group_at_once_make_one_managed_device_each() {
    let database = fresh_database().await;
    let options = ["--control", "--assignment-delay", "3600"];
    let first = spawn_app_with(&database, &options).await;
    let second = spawn_app_with(&database, &options).await;
    let seeded = send(
        &first,
        Method::POST,
        "_control/tenants/00000000-0000-0000-0000-000000000000/seed",
        Some(json!({"devices": 200, "serialPrefix": "PAIR-", "groupTag": "Pair"})),
    )
    .await;
    assert_eq!(seeded.status(), StatusCode::CREATED);
    let body = json!({"groupTag": "Pair"});
    let (a, b) = tokio::join!(enroll(&first, body.clone()), enroll(&second, body));
    let a = body_of(a, StatusCode::OK).await;
    let b = body_of(b, StatusCode::OK).await;
    let enrolled = a["enrolled"].as_u64().unwrap() + b["enrolled"].as_u64().unwrap();
    assert_eq!(enrolled, 200, "{a} {b}");
    assert_eq!(managed_devices(&first).await, 200);
    assert_eq!(a["managedDeviceIds"], b["managedDeviceIds"]);
}

#[tokio::test]
async fn an_enrollment_survives_export_reset_and_import_state() {
    let app = enrollment_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "KEEP-1"}))
        .await;
    let answer = body_of(
        enroll(&app, json!({"serialNumber": "KEEP-1"})).await,
        StatusCode::OK,
    )
    .await;
    let managed_id = answer["managedDeviceIds"][0].as_str().unwrap().to_owned();
    let tenant = "_control/tenants/00000000-0000-0000-0000-000000000000";
    let document = get_ok(&app, &format!("{tenant}/export")).await;
    let reset = send(&app, Method::POST, &format!("{tenant}/reset"), None).await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert_eq!(managed_devices(&app).await, 0);
    let loaded = send(
        &app,
        Method::POST,
        &format!("{tenant}/import-state"),
        Some(document),
    )
    .await;
    assert_eq!(
        loaded.status(),
        StatusCode::NO_CONTENT,
        "{:?}",
        loaded.text().await
    );
    let managed = get_ok(&app, &format!("{MANAGED}/{managed_id}")).await;
    assert_eq!(managed["serialNumber"], "KEEP-1");
    assert_eq!(events(&app, "KEEP-1").await.len(), 1);
    let identity = get_ok(&app, &format!("{DEVICES}?$filter=serialNumber eq 'KEEP-1'")).await;
    assert_eq!(identity["value"][0]["managedDeviceId"], managed_id.as_str());
}

#[tokio::test]
async fn a_wiped_autopilot_device_enrolls_again_as_a_new_managed_device() {
    let app = enrollment_app().await;
    let device = app
        .create_ok("v1.0", &json!({"serialNumber": "WIPE-1"}))
        .await;
    let device = device["id"].as_str().unwrap();
    let first = body_of(
        enroll(&app, json!({"serialNumber": "WIPE-1"})).await,
        StatusCode::OK,
    )
    .await;
    let first = first["managedDeviceIds"][0].as_str().unwrap().to_owned();
    let wipe = json!({"keepEnrollmentData": false, "keepUserData": false});
    let wiped = send(
        &app,
        Method::POST,
        &format!("{MANAGED}/{first}/wipe"),
        Some(wipe),
    )
    .await;
    assert_eq!(wiped.status(), StatusCode::NO_CONTENT);
    let pending = get_ok(&app, &format!("{MANAGED}/{first}")).await;
    assert_eq!(pending["managementState"], "wipePending");

    // Once the wipe is done the device has left Intune, and enrolls again when it is set up.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let second = body_of(
        enroll(&app, json!({"serialNumber": "WIPE-1"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(second["enrolled"], 1, "{second}");
    let second = second["managedDeviceIds"][0].as_str().unwrap();
    assert_ne!(second, first);
    let identity = get_ok(&app, &format!("{DEVICES}/{device}")).await;
    assert_eq!(identity["managedDeviceId"], second);
    assert_eq!(managed_devices(&app).await, 1);
    assert_eq!(events(&app, "WIPE-1").await.len(), 2);
}
