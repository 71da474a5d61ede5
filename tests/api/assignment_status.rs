//! Profile assignment status on device identities (beta): a dynamic group on the group tag, a
//! profile assigned to it, a device that joins (`pending`), a sync that settles it
//! (`assignedUnkownSyncState`), the profile through its navigations and `$expand`, and the ways a
//! device leaves its profile again; a SIGKILL while a device waits, and two instances changing one
//! tenant at once.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use sqlx::{Connection, PgConnection};

use crate::child::start_service;
use crate::helpers::{
    KIOSK_RULE, PROFILES, TestApp, body_of, create_group, create_profile, error_of, fresh_database,
    http_client, send, spawn_app_with,
};
use crate::imports::{HASH, IMPORTED};

const DEVICES: &str = "beta/deviceManagement/windowsAutopilotDeviceIdentities";
const NEVER: &str = "0001-01-01T00:00:00Z";

async fn assign(app: &TestApp, profile: &str, odata_type: &str, group: Option<&str>) {
    let mut target = json!({"@odata.type": odata_type});
    if let Some(group) = group {
        target["groupId"] = json!(group);
    }
    let path = format!("{PROFILES}/{profile}/assignments");
    body_of(
        send(app, Method::POST, &path, Some(json!({"target": target}))).await,
        StatusCode::CREATED,
    )
    .await;
}

/// Polls a device until its status is `status`, and returns it.
async fn status(app: &TestApp, id: &str, status: &str) -> Json {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let device = body_of(
            send(app, Method::GET, &format!("{DEVICES}/{id}"), None).await,
            StatusCode::OK,
        )
        .await;
        if device["deploymentProfileAssignmentStatus"] == status {
            return device;
        }
        assert!(Instant::now() < deadline, "never {status}: {device}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn navigation(app: &TestApp, id: &str, name: &str) -> reqwest::Response {
    send(app, Method::GET, &format!("{DEVICES}/{id}/{name}"), None).await
}

#[tokio::test]
async fn a_device_in_an_assigned_dynamic_group_waits_then_settles_on_sync_and_leaves_with_its_tag()
{
    let app = spawn_app_with(
        &fresh_database().await,
        &[
            "--assignment-delay",
            "600",
            "--sync-cooldown",
            "0",
            "--import-delay",
            "0",
        ],
    )
    .await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    let kiosk_profile = create_profile(&app, "Kiosk profile").await;
    assign(
        &app,
        &kiosk_profile,
        "#microsoft.graph.groupAssignmentTarget",
        Some(&kiosks),
    )
    .await;

    let created = body_of(
        send(
            &app,
            Method::POST,
            DEVICES,
            Some(json!({"serialNumber": "ST-1", "groupTag": "Kiosk"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let pending = status(&app, &id, "pending").await;
    assert_eq!(pending["deploymentProfileAssignedDateTime"], NEVER);
    let intended = body_of(
        navigation(&app, &id, "intendedDeploymentProfile").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(intended["id"], kiosk_profile.as_str());
    assert_eq!(
        intended["@odata.type"],
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    );
    error_of(
        navigation(&app, &id, "deploymentProfile").await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // A sync settles it: the misspelt status, the date, the profile it now has.
    let synced = send(
        &app,
        Method::POST,
        "beta/deviceManagement/windowsAutopilotSettings/sync",
        None,
    )
    .await;
    assert_eq!(synced.status(), StatusCode::NO_CONTENT);
    let assigned = status(&app, &id, "assignedUnkownSyncState").await;
    assert_ne!(assigned["deploymentProfileAssignedDateTime"], NEVER);
    let has = body_of(
        navigation(&app, &id, "deploymentProfile").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(has["id"], kiosk_profile.as_str());
    let expanded = body_of(
        send(
            &app,
            Method::GET,
            &format!("{DEVICES}/{id}?$expand=deploymentProfile,intendedDeploymentProfile"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(expanded["deploymentProfile"]["id"], kiosk_profile.as_str());
    assert_eq!(
        expanded["intendedDeploymentProfile"]["displayName"],
        "Kiosk profile"
    );
    let listed = body_of(
        send(
            &app,
            Method::GET,
            &format!("{DEVICES}?$expand=deploymentProfile"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        listed["value"][0]["deploymentProfile"]["id"],
        kiosk_profile.as_str()
    );
    // v1.0 has no deployment profiles to expand.
    let v1 = send(
        &app,
        Method::GET,
        &format!(
            "v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{id}?$expand=deploymentProfile"
        ),
        None,
    )
    .await;
    error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;

    // The group tag changes: out of the group, no profile.
    let moved = send(
        &app,
        Method::POST,
        &format!("{DEVICES}/{id}/updateDeviceProperties"),
        Some(json!({"groupTag": "Lab"})),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    let left = status(&app, &id, "notAssigned").await;
    assert_eq!(left["deploymentProfileAssignedDateTime"], NEVER);
    error_of(
        navigation(&app, &id, "deploymentProfile").await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // An all-devices assignment takes it in; an exclusion group that holds it wins.
    let everyone = create_profile(&app, "Everyone").await;
    assign(
        &app,
        &everyone,
        "#microsoft.graph.allDevicesAssignmentTarget",
        None,
    )
    .await;
    status(&app, &id, "pending").await;
    let excluded = create_group(&app, "Excluded", None).await;
    let device_object = body_of(
        send(
            &app,
            Method::GET,
            "beta/devices?$filter=displayName eq 'ST-1'",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = send(
        &app,
        Method::POST,
        &format!("beta/groups/{excluded}/members/$ref"),
        Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device_object}")})),
    )
    .await;
    assert_eq!(added.status(), StatusCode::NO_CONTENT);
    assign(
        &app,
        &everyone,
        "#microsoft.graph.exclusionGroupAssignmentTarget",
        Some(&excluded),
    )
    .await;
    status(&app, &id, "notAssigned").await;
    // Taken out of the exclusion group, the device alone is worked out again.
    let removed = send(
        &app,
        Method::DELETE,
        &format!("beta/groups/{excluded}/members/{device_object}/$ref"),
        None,
    )
    .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    status(&app, &id, "pending").await;

    // A device that comes in through an import joins like any other.
    let record = body_of(
        send(
            &app,
            Method::POST,
            &format!("beta/{IMPORTED}"),
            Some(json!({"serialNumber": "ST-2", "groupTag": "Kiosk", "hardwareIdentifier": HASH})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let device = loop {
        let record = body_of(
            send(
                &app,
                Method::GET,
                &format!("beta/{IMPORTED}/{}", record["id"].as_str().unwrap()),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        if record["state"]["deviceImportStatus"] == "complete" {
            break record["state"]["deviceRegistrationId"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        assert!(Instant::now() < deadline, "{record}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let imported = status(&app, &device, "pending").await;
    assert_eq!(imported["serialNumber"], "ST-2");
}

#[tokio::test]
async fn without_a_sync_a_pending_device_settles_after_the_assignment_delay() {
    let app = spawn_app_with(&fresh_database().await, &["--assignment-delay", "0.5"]).await;
    let kiosk_profile = create_profile(&app, "Kiosk profile").await;
    assign(
        &app,
        &kiosk_profile,
        "#microsoft.graph.allDevicesAssignmentTarget",
        None,
    )
    .await;
    let created = body_of(
        send(
            &app,
            Method::POST,
            DEVICES,
            Some(json!({"serialNumber": "ST-3"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let settled = status(&app, id, "assignedUnkownSyncState").await;
    assert_ne!(settled["deploymentProfileAssignedDateTime"], NEVER);
    // Deleting the assignment (here: its profile's only one) takes the profile away again.
    let assignment = format!("{kiosk_profile}_adadadad-808e-44e2-905a-0b7873a8a531_0");
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("{PROFILES}/{kiosk_profile}/assignments/{assignment}"),
        None,
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    status(&app, id, "notAssigned").await;
}

/// A device left `pending` by a service that is killed settles after the next one starts: the wait
/// is a column, not a timer in a process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_device_outlives_a_killed_service_and_settles_after_the_restart() {
    let database_url = fresh_database().await;
    let url = database_url.clone();
    let (mut first, base) = tokio::task::spawn_blocking(move || {
        start_service(&url, &["--assignment-delay", "600"], Stdio::null())
    })
    .await
    .unwrap();
    let client = http_client();
    let post = |path: &str, body: Json| client.post(format!("{base}/{path}")).json(&body).send();
    let profile: Json = post(
        PROFILES,
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let profile = profile["id"].as_str().unwrap();
    let assigned = post(
        &format!("{PROFILES}/{profile}/assignments"),
        json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
    )
    .await
    .unwrap();
    assert_eq!(assigned.status(), StatusCode::CREATED);
    let device: Json = post(DEVICES, json!({"serialNumber": "ST-KILL"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = device["id"].as_str().unwrap().to_owned();
    let db = sqlx::PgPool::connect(&database_url).await.unwrap();
    let status_of = || {
        sqlx::query_scalar::<_, String>(
            "SELECT deployment_profile_assignment_status FROM device_identities",
        )
        .fetch_one(&db)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while status_of().await.unwrap() != "pending" {
        assert!(Instant::now() < deadline, "never pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    first.kill().unwrap();
    first.wait().unwrap();
    let app = spawn_app_with(&database_url, &["--assignment-delay", "0"]).await;
    let settled = status(&app, &id, "assignedUnkownSyncState").await;
    assert_ne!(settled["deploymentProfileAssignedDateTime"], NEVER);
}

#[tokio::test]
async fn two_instances_changing_one_tenant_at_once_answer_every_change_and_leave_no_request_behind()
{
    let database_url = fresh_database().await;
    let apps = [
        spawn_app_with(&database_url, &["--assignment-delay", "600"]).await,
        spawn_app_with(&database_url, &["--assignment-delay", "600"]).await,
    ];
    let kiosks = create_group(&apps[0], "Kiosks", Some(KIOSK_RULE)).await;
    let kiosk_profile = create_profile(&apps[0], "Kiosk profile").await;
    assign(
        &apps[0],
        &kiosk_profile,
        "#microsoft.graph.groupAssignmentTarget",
        Some(&kiosks),
    )
    .await;

    // Creates, then tag changes, through both instances at once while their workers recompute
    // the tenant: every change is answered, none waits on a worker into a deadlock.
    let created = futures_util::future::join_all((0..40).map(|n| {
        let body = json!({"serialNumber": format!("PAR-{n}"), "groupTag": "Kiosk"});
        send(&apps[n % 2], Method::POST, DEVICES, Some(body))
    }))
    .await;
    let mut ids = Vec::new();
    for response in created {
        let device = body_of(response, StatusCode::CREATED).await;
        ids.push(device["id"].as_str().unwrap().to_owned());
    }
    // Every other device leaves the group, through either instance.
    let moves: Vec<(usize, String)> = (1..ids.len())
        .step_by(2)
        .map(|n| {
            (
                n / 2 % 2,
                format!("{DEVICES}/{}/updateDeviceProperties", ids[n]),
            )
        })
        .collect();
    let moved = futures_util::future::join_all(moves.iter().map(|(app, path)| {
        send(
            &apps[*app],
            Method::POST,
            path,
            Some(json!({"groupTag": "Lab"})),
        )
    }))
    .await;
    for response in moved {
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    let mut database = PgConnection::connect(&database_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM assignment_recomputes")
            .fetch_one(&mut database)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{left} requests never taken");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // With every request taken, what the workers wrote is the final word on each device.
    for (n, id) in ids.iter().enumerate() {
        let expected = if n % 2 == 1 { "notAssigned" } else { "pending" };
        status(&apps[n % 2], id, expected).await;
    }
}

/// Issue 23: background work held connections that requests need: each worker's listener kept
/// one of the requests' pool for good, and a recompute another, so with few connections requests
/// waited out the pool's timeout (503 `pool timed out`). Background work has connections of its
/// own now: with the fewest allowed (3), requests are served while every worker listens and a
/// recompute runs.
#[tokio::test]
async fn background_work_never_takes_the_connections_requests_need() {
    let app = spawn_app_with(
        &fresh_database().await,
        &["--max-db-connections", "3", "--assignment-delay", "3600"],
    )
    .await;
    let kiosk = create_profile(&app, "Kiosk").await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    assign(
        &app,
        &kiosk,
        "#microsoft.graph.groupAssignmentTarget",
        Some(&kiosks),
    )
    .await;
    for n in 0..10 {
        let started = Instant::now();
        let created = body_of(
            send(
                &app,
                Method::POST,
                DEVICES,
                Some(json!({"serialNumber": format!("POOL-{n}"), "groupTag": "Kiosk"})),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        body_of(
            send(&app, Method::GET, &format!("{DEVICES}?$top=5"), None).await,
            StatusCode::OK,
        )
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a create and a list took {:?}",
            started.elapsed()
        );
        status(&app, created["id"].as_str().unwrap(), "pending").await;
    }
}

/// Found in review: the recompute read identities only together with their device object, so an
/// identity whose Entra device was deleted (offboarding) kept the profile its group had given it.
#[tokio::test]
async fn an_identity_whose_device_object_is_deleted_leaves_the_profile_its_group_gave_it() {
    let app = spawn_app_with(&fresh_database().await, &["--assignment-delay", "600"]).await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    let kiosk_profile = create_profile(&app, "Kiosk profile").await;
    let group_target = "#microsoft.graph.groupAssignmentTarget";
    assign(&app, &kiosk_profile, group_target, Some(&kiosks)).await;
    let body = json!({"serialNumber": "GONE-1", "groupTag": "Kiosk"});
    let created = body_of(
        send(&app, Method::POST, DEVICES, Some(body)).await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    status(&app, &id, "pending").await;

    let path = "beta/devices?$filter=displayName eq 'GONE-1'";
    let page = body_of(send(&app, Method::GET, path, None).await, StatusCode::OK).await;
    let object = page["value"][0]["id"].as_str().unwrap().to_owned();
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("beta/devices/{object}"),
        None,
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    status(&app, &id, "notAssigned").await;
    error_of(
        navigation(&app, &id, "intendedDeploymentProfile").await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
}
