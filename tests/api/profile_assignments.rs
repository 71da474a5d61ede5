//! Deployment profile assignments (beta): the three target types and their ids, errors, a profile's
//! delete refused while it has assignments, `$expand=assignments`, assignedDevices (their count,
//! items and the device operations under them), the assignments' count and update,
//! `hasPayloadLinks`, `assign` to devices directly, tenants.

use std::time::{Duration, Instant};

use autopilot_registry::config::GRAPH_AUDIENCES;
use autopilot_registry::identity::mint_token;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{
    KIOSK_RULE, PROFILES, TestApp, body_of, create_group, create_profile, error_of, fresh_database,
    send, spawn_app, spawn_app_with,
};

const DEVICES: &str = "beta/deviceManagement/windowsAutopilotDeviceIdentities";
const ALL_DEVICES_GROUP: &str = "adadadad-808e-44e2-905a-0b7873a8a531";
const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";
const EXCLUSION_TARGET: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
const ALL_DEVICES_TARGET: &str = "#microsoft.graph.allDevicesAssignmentTarget";

/// A device identity with this serial number and group tag; its directory object's id.
async fn device(app: &TestApp, serial: &str, group_tag: &str) -> String {
    let body = json!({"serialNumber": serial, "groupTag": group_tag});
    let created = body_of(
        send(app, Method::POST, DEVICES, Some(body)).await,
        StatusCode::CREATED,
    )
    .await;
    let page = body_of(
        send(
            app,
            Method::GET,
            &format!("beta/devices?$filter=displayName eq '{serial}'"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        page["value"][0]["deviceId"],
        created["azureActiveDirectoryDeviceId"]
    );
    page["value"][0]["id"].as_str().unwrap().to_owned()
}

async fn add_member(app: &TestApp, group: &str, device: &str) {
    let body =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device}")});
    let path = format!("beta/groups/{group}/members/$ref");
    body_of(
        send(app, Method::POST, &path, Some(body)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

fn target(odata_type: &str, group: Option<&str>) -> Json {
    let mut target = json!({"@odata.type": odata_type});
    if let Some(group) = group {
        target["groupId"] = json!(group);
    }
    json!({"target": target})
}

async fn assign(app: &TestApp, profile: &str, body: Json) -> reqwest::Response {
    let path = format!("{PROFILES}/{profile}/assignments");
    send(app, Method::POST, &path, Some(body)).await
}

/// The serial numbers of a profile's assigned devices, sorted.
async fn assigned_serials(app: &TestApp, profile: &str) -> Vec<String> {
    let path = format!("{PROFILES}/{profile}/assignedDevices");
    let page = body_of(send(app, Method::GET, &path, None).await, StatusCode::OK).await;
    assert!(
        page["@odata.context"].as_str().unwrap().ends_with(&format!(
            "windowsAutopilotDeploymentProfiles('{profile}')/assignedDevices"
        )),
        "{page}"
    );
    let mut serials: Vec<String> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["serialNumber"].as_str().unwrap().to_owned())
        .collect();
    serials.sort();
    serials
}

#[tokio::test]
async fn the_three_targets_are_created_read_listed_and_deleted_by_their_ids() {
    let app = spawn_app().await;
    let profile = create_profile(&app, "Kiosk").await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    let lab = create_group(&app, "Lab", None).await;

    let response = assign(&app, &profile, target(GROUP_TARGET, Some(&kiosks))).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = body_of(response, StatusCode::CREATED).await;
    let group_id = format!("{profile}_{kiosks}_0");
    assert_eq!(
        created,
        json!({
            "@odata.context": app.url(&format!(
                "beta/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles('{profile}')/assignments/$entity"
            )),
            "id": group_id,
            "target": {"@odata.type": GROUP_TARGET, "groupId": kiosks,
                       "deviceAndAppManagementAssignmentFilterId": null,
                       "deviceAndAppManagementAssignmentFilterType": "none"},
            "source": "direct",
            "sourceId": null
        })
    );
    assert_eq!(
        location,
        app.url(&format!("{PROFILES}/{profile}/assignments/{group_id}"))
    );

    let mut excluded = target(EXCLUSION_TARGET, Some(&lab));
    excluded["source"] = json!("policySets");
    excluded["sourceId"] = json!("policy-set-1");
    let excluded = body_of(assign(&app, &profile, excluded).await, StatusCode::CREATED).await;
    assert_eq!(excluded["id"], format!("{profile}_{lab}_0"));
    assert_eq!(
        excluded["target"],
        json!({"@odata.type": EXCLUSION_TARGET, "groupId": lab,
               "deviceAndAppManagementAssignmentFilterId": null,
               "deviceAndAppManagementAssignmentFilterType": "none"})
    );
    assert_eq!(excluded["source"], "policySets");
    assert_eq!(excluded["sourceId"], "policy-set-1");

    let all = body_of(
        assign(&app, &profile, target(ALL_DEVICES_TARGET, None)).await,
        StatusCode::CREATED,
    )
    .await;
    let all_id = format!("{profile}_{ALL_DEVICES_GROUP}_0");
    assert_eq!(all["id"], all_id);
    assert_eq!(
        all["target"],
        json!({"@odata.type": ALL_DEVICES_TARGET,
               "deviceAndAppManagementAssignmentFilterId": null,
               "deviceAndAppManagementAssignmentFilterType": "none"})
    );

    // The item, by the id scripts compute, in the OData key form too.
    let read = body_of(
        send(
            &app,
            Method::GET,
            &format!("{PROFILES}('{profile}')/Assignments('{all_id}')"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["target"], all["target"]);

    let list_path = format!("{PROFILES}/{profile}/assignments");
    let page = body_of(
        send(&app, Method::GET, &list_path, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        page["@odata.context"],
        app.url(&format!(
            "beta/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles('{profile}')/assignments"
        ))
    );
    let ids: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert!(a["target"]["@odata.type"].is_string(), "{a}");
            a["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        [group_id.as_str(), &format!("{profile}_{lab}_0"), &all_id]
    );

    let item = format!("{list_path}/{group_id}");
    body_of(
        send(&app, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = send(&app, Method::DELETE, &item, None).await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let gone = send(&app, Method::GET, &item, None).await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let page = body_of(
        send(&app, Method::GET, &list_path, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_assignments_are_refused_naming_the_part() {
    let app = spawn_app().await;
    let profile = create_profile(&app, "Kiosk").await;
    let kiosks = create_group(&app, "Kiosks", None).await;
    let unknown = Uuid::new_v4().to_string();

    for (body, field) in [
        (json!({}), "target"),
        (
            json!({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}),
            "target",
        ),
        (target(GROUP_TARGET, None), "target/groupId"),
        (target(EXCLUSION_TARGET, Some("kiosks")), "target/groupId"),
        (target(ALL_DEVICES_TARGET, Some(&kiosks)), "target/groupId"),
        // A group of no tenant's: 400 naming it (the body is at fault, not the URL).
        (target(GROUP_TARGET, Some(&unknown)), "target/groupId"),
        // Autopilot profiles take no assignment filter.
        (
            json!({"target": {"@odata.type": ALL_DEVICES_TARGET,
                              "deviceAndAppManagementAssignmentFilterId": unknown,
                              "deviceAndAppManagementAssignmentFilterType": "include"}}),
            "target/deviceAndAppManagementAssignmentFilterId",
        ),
    ] {
        let response = assign(&app, &profile, body.clone()).await;
        let error = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert_eq!(
            error["error"]["details"][0]["target"], field,
            "{body}: {error}"
        );
    }
    let response = assign(&app, &profile, target(GROUP_TARGET, Some(&unknown))).await;
    let error = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&unknown),
        "{error}"
    );

    // The same group twice, included or excluded, is the same id: 409.
    body_of(
        assign(&app, &profile, target(GROUP_TARGET, Some(&kiosks))).await,
        StatusCode::CREATED,
    )
    .await;
    let again = assign(&app, &profile, target(EXCLUSION_TARGET, Some(&kiosks))).await;
    let error = error_of(again, StatusCode::CONFLICT, "Conflict").await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{profile}_{kiosks}_0")),
        "{error}"
    );

    // An unknown profile, or an id that is no GUID, is 404.
    for missing in [Uuid::new_v4().to_string(), "kiosk".to_owned()] {
        let response = assign(&app, &missing, target(ALL_DEVICES_TARGET, None)).await;
        error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
        let path = format!("{PROFILES}/{missing}/assignments");
        let response = send(&app, Method::GET, &path, None).await;
        error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    // Assignments exist only on beta.
    let v1 = send(
        &app,
        Method::GET,
        &format!("v1.0/deviceManagement/windowsAutopilotDeploymentProfiles/{profile}/assignments"),
        None,
    )
    .await;
    error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn a_profile_with_assignments_is_not_deleted_and_one_without_is() {
    let app = spawn_app().await;
    let profile = create_profile(&app, "Kiosk").await;
    let all = body_of(
        assign(&app, &profile, target(ALL_DEVICES_TARGET, None)).await,
        StatusCode::CREATED,
    )
    .await;
    let item = format!("{PROFILES}/{profile}");
    let refused = send(&app, Method::DELETE, &item, None).await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains(all["id"].as_str().unwrap()), "{message}");
    body_of(send(&app, Method::GET, &item, None).await, StatusCode::OK).await;

    let assignment = format!("{item}/assignments/{}", all["id"].as_str().unwrap());
    body_of(
        send(&app, Method::DELETE, &assignment, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    body_of(
        send(&app, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = send(&app, Method::DELETE, &item, None).await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn expand_assignments_inlines_them_on_the_list_and_the_item_only() {
    let app = spawn_app().await;
    let assigned = create_profile(&app, "Assigned").await;
    let bare = create_profile(&app, "Bare").await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    let written = body_of(
        assign(&app, &assigned, target(GROUP_TARGET, Some(&kiosks))).await,
        StatusCode::CREATED,
    )
    .await;
    let mut expected = written.clone();
    expected.as_object_mut().unwrap().remove("@odata.context");

    let item = body_of(
        send(
            &app,
            Method::GET,
            &format!("{PROFILES}/{assigned}?$expand=Assignments"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(item["assignments"], json!([expected]));
    assert_eq!(item["displayName"], "Assigned");

    let page = body_of(
        send(
            &app,
            Method::GET,
            &format!("{PROFILES}?$expand=assignments&$select=id,displayName"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    for profile in page["value"].as_array().unwrap() {
        match profile["displayName"].as_str().unwrap() {
            "Assigned" => assert_eq!(profile["assignments"], json!([expected])),
            _ => {
                assert_eq!(profile["id"], bare);
                assert_eq!(profile["assignments"], json!([]));
            }
        }
    }
    let plain = body_of(
        send(&app, Method::GET, PROFILES, None).await,
        StatusCode::OK,
    )
    .await;
    assert!(plain["value"][0].get("assignments").is_none(), "{plain}");

    // Only assignments expands; other sets still refuse $expand.
    let other = send(
        &app,
        Method::GET,
        &format!("{PROFILES}?$expand=assignedDevices"),
        None,
    )
    .await;
    let error = error_of(other, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'assignedDevices'"),
        "{error}"
    );
    let devices = send(
        &app,
        Method::GET,
        &format!("{DEVICES}?$expand=assignments"),
        None,
    )
    .await;
    error_of(devices, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn assigned_devices_are_those_whose_effective_profile_it_is() {
    let app = spawn_app().await;
    let kiosk_profile = create_profile(&app, "Kiosk").await;
    let everyone_profile = create_profile(&app, "Everyone").await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    let lab = create_group(&app, "Lab", None).await;
    let broken = create_group(&app, "Broken", None).await;

    device(&app, "KIOSK-1", "Kiosk").await;
    let kiosk_2 = device(&app, "KIOSK-2", "Kiosk").await;
    let lab_1 = device(&app, "LAB-1", "Lab").await;
    device(&app, "DESK-1", "Desk").await;
    add_member(&app, &lab, &lab_1).await;
    add_member(&app, &broken, &kiosk_2).await;

    assert!(assigned_serials(&app, &kiosk_profile).await.is_empty());
    for group in [&kiosks, &lab] {
        assign(&app, &kiosk_profile, target(GROUP_TARGET, Some(group))).await;
    }
    assigned_become(&app, &kiosk_profile, &["KIOSK-1", "KIOSK-2", "LAB-1"]).await;
    assign(
        &app,
        &kiosk_profile,
        target(EXCLUSION_TARGET, Some(&broken)),
    )
    .await;
    assigned_become(&app, &kiosk_profile, &["KIOSK-1", "LAB-1"]).await;

    // A newer profile gets the devices no older assignment holds.
    assign(&app, &everyone_profile, target(ALL_DEVICES_TARGET, None)).await;
    assigned_become(&app, &everyone_profile, &["DESK-1", "KIOSK-2"]).await;
    assert_eq!(
        assigned_serials(&app, &kiosk_profile).await,
        ["KIOSK-1", "LAB-1"]
    );
    assign(
        &app,
        &everyone_profile,
        target(EXCLUSION_TARGET, Some(&kiosks)),
    )
    .await;
    assigned_become(&app, &everyone_profile, &["DESK-1"]).await;

    // A list like any other: $filter, $top and $count apply within the assigned devices.
    let path = format!(
        "{PROFILES}/{kiosk_profile}/assignedDevices?$filter=startswith(serialNumber,'LAB')&$count=true"
    );
    let page = body_of(send(&app, Method::GET, &path, None).await, StatusCode::OK).await;
    assert_eq!(page["@odata.count"], 1);

    // A deleted group takes its assignments with it: the kiosks fall to the all-devices profile.
    body_of(
        send(&app, Method::DELETE, &format!("beta/groups/{kiosks}"), None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assigned_become(&app, &kiosk_profile, &["LAB-1"]).await;
    assigned_become(&app, &everyone_profile, &["DESK-1", "KIOSK-1", "KIOSK-2"]).await;
}

/// Waits until the profile's assigned devices are `expected`: assignment is worked out in the
/// background.
async fn assigned_become(app: &TestApp, profile: &str, expected: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let serials = assigned_serials(app, profile).await;
        if serials == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "assigned devices stayed {serials:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn assignments_belong_to_their_tenant_and_need_write_permission_to_change() {
    let secret = "assignments-test-secret-of-32-bytes-at-least";
    let app = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", secret],
    )
    .await;
    let token = |tenant: Uuid, role: &str| {
        mint_token(
            secret,
            GRAPH_AUDIENCES[0],
            None,
            tenant,
            &[role.to_owned()],
            None,
            Duration::from_secs(600),
        )
    };
    let write = "DeviceManagementServiceConfig.ReadWrite.All";
    let (mine, theirs) = (Uuid::new_v4(), Uuid::new_v4());
    let request = |token: String, method: Method, path: String, body: Option<Json>| {
        let request = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(token);
        async move {
            match body {
                Some(body) => request.json(&body),
                None => request,
            }
            .send()
            .await
            .unwrap()
        }
    };
    let body = json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                      "displayName": "Mine"});
    let profile = body_of(
        request(
            token(mine, write),
            Method::POST,
            PROFILES.to_owned(),
            Some(body),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let profile = profile["id"].as_str().unwrap();
    let body = json!({"displayName": "Theirs", "mailNickname": "theirs", "mailEnabled": false,
                      "securityEnabled": true});
    let their_group = body_of(
        request(
            token(theirs, write),
            Method::POST,
            "beta/groups".to_owned(),
            Some(body),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let their_group = their_group["id"].as_str().unwrap();
    let assignments = format!("{PROFILES}/{profile}/assignments");

    // Another tenant's group is no group of mine; my profile is none of theirs.
    let response = request(
        token(mine, write),
        Method::POST,
        assignments.clone(),
        Some(target(GROUP_TARGET, Some(their_group))),
    )
    .await;
    error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    let response = request(
        token(theirs, write),
        Method::POST,
        assignments.clone(),
        Some(target(ALL_DEVICES_TARGET, None)),
    )
    .await;
    error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    let created = body_of(
        request(
            token(mine, write),
            Method::POST,
            assignments.clone(),
            Some(target(ALL_DEVICES_TARGET, None)),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let item = format!("{assignments}/{}", created["id"].as_str().unwrap());
    let response = request(token(theirs, write), Method::GET, item.clone(), None).await;
    error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let response = request(token(theirs, write), Method::DELETE, item.clone(), None).await;
    error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    // Reading does not let a token write.
    let reader = token(mine, "DeviceManagementServiceConfig.Read.All");
    body_of(
        request(reader.clone(), Method::GET, item.clone(), None).await,
        StatusCode::OK,
    )
    .await;
    let response = request(reader.clone(), Method::DELETE, item.clone(), None).await;
    error_of(response, StatusCode::FORBIDDEN, "Forbidden").await;
    // The same for the operations issue 25 added: reading ones read, writing ones are refused.
    let count = request(
        reader.clone(),
        Method::GET,
        format!("{assignments}/$count"),
        None,
    )
    .await;
    assert_eq!(body_of(count, StatusCode::OK).await, 1);
    let links = request(
        reader.clone(),
        Method::POST,
        format!("{PROFILES}/hasPayloadLinks"),
        Some(json!({"payloadIds": [profile]})),
    )
    .await;
    assert_eq!(
        body_of(links, StatusCode::OK).await["value"][0]["error"],
        ""
    );
    for (method, path, body) in [
        (Method::PATCH, item.clone(), json!({"source": "direct"})),
        (
            Method::POST,
            format!("{PROFILES}/{profile}/assign"),
            json!({"deviceIds": []}),
        ),
        (
            Method::PATCH,
            "beta/deviceManagement/windowsAutopilotSettings".to_owned(),
            json!({}),
        ),
    ] {
        let response = request(reader.clone(), method, path, Some(body)).await;
        error_of(response, StatusCode::FORBIDDEN, "Forbidden").await;
    }
    // Another tenant's assignment is not updated, nor its profile's devices replaced.
    let response = request(
        token(theirs, write),
        Method::PATCH,
        item.clone(),
        Some(json!({"source": "policySets"})),
    )
    .await;
    error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let response = request(
        token(theirs, write),
        Method::POST,
        format!("{PROFILES}/{profile}/assign"),
        Some(json!({"deviceIds": []})),
    )
    .await;
    error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    body_of(
        request(token(mine, write), Method::DELETE, item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

/// Issue 23: a group's `members` (SQL) and the profile its devices get (Rust) decide membership
/// by one folding rule, whatever the script: once `lower()` under the C locale folded ASCII only,
/// and a group tag `KÉ792368` was a member by one and not by the other.
#[tokio::test]
async fn members_and_assignments_fold_group_tags_alike_in_every_script() {
    let app = spawn_app().await;
    // (group tag, the rule's spelling of it, whether they are the same under the folding rule)
    let cases = [
        ("KÉ792368", "ké792368", true),
        ("İSTANBUL", "İstanbul", true),
        ("İSTANBUL", "istanbul", false),
        ("STRAẞE", "straße", true),
        ("STRASSE", "straße", false),
        ("ΟΔΟΣ", "οδος", true),
        ("ΟΔΟΣ", "οδοσ", true),
    ];
    let mut expected = Vec::new();
    for (index, (tag, spelling, member)) in cases.iter().enumerate() {
        // A device per case and test, so that each group can take one device at most.
        for (test, operator, prefix) in [(0, "-eq", "[OrderID]:"), (1, "-contains", ":")] {
            let serial = format!("FOLD-{index}-{test}");
            device(&app, &serial, &format!("{tag}#{index}{test}")).await;
            let rule = format!(
                r#"(device.devicePhysicalIds -any (_ {operator} "{prefix}{spelling}#{index}{test}"))"#
            );
            let group = create_group(&app, &serial, Some(&rule)).await;
            let profile = create_profile(&app, &serial).await;
            assign(&app, &profile, target(GROUP_TARGET, Some(&group))).await;
            expected.push((serial, *member, group, profile));
        }
    }
    for (serial, member, group, profile) in expected {
        let page = body_of(
            send(
                &app,
                Method::GET,
                &format!("beta/groups/{group}/members"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let members: Vec<&str> = page["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|device| device["displayName"].as_str().unwrap())
            .collect();
        let want: &[&str] = if member { &[serial.as_str()] } else { &[] };
        assert_eq!(members, want, "members of the group for {serial}");
        assigned_become(&app, &profile, want).await;
    }
}

/// GET `path`.
async fn read(app: &TestApp, path: String) -> reqwest::Response {
    send(app, Method::GET, &path, None).await
}

/// The number a `$count` answers.
async fn count_of(app: &TestApp, path: String) -> Json {
    body_of(read(app, path).await, StatusCode::OK).await
}

/// POST an action of `device` under `assigned` (a profile's assignedDevices).
async fn act(
    app: &TestApp,
    assigned: &str,
    device: &str,
    action: &str,
    body: Option<Json>,
) -> reqwest::Response {
    let path = format!("{assigned}/{device}/{action}");
    send(app, Method::POST, &path, body).await
}

/// PATCH the assignment `id` among `assignments`.
async fn update(app: &TestApp, assignments: &str, id: String, body: Json) -> reqwest::Response {
    let path = format!("{assignments}/{id}");
    send(app, Method::PATCH, &path, Some(body)).await
}

/// The id of the device identity with this serial number.
async fn identity_id(app: &TestApp, serial: &str) -> String {
    let path = format!("{DEVICES}?$filter=serialNumber eq '{serial}'");
    let page = body_of(send(app, Method::GET, &path, None).await, StatusCode::OK).await;
    page["value"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_assigned_device_is_counted_read_and_acted_on_through_its_profile() {
    let app = spawn_app().await;
    let profile = create_profile(&app, "Kiosk").await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    device(&app, "KIOSK-1", "Kiosk").await;
    device(&app, "DESK-1", "Desk").await;
    assign(&app, &profile, target(GROUP_TARGET, Some(&kiosks))).await;
    assigned_become(&app, &profile, &["KIOSK-1"]).await;
    let (kiosk, desk) = (
        identity_id(&app, "KIOSK-1").await,
        identity_id(&app, "DESK-1").await,
    );
    let assigned = format!("{PROFILES}/{profile}/assignedDevices");

    assert_eq!(
        body_of(
            read(&app, format!("{assigned}/$count")).await,
            StatusCode::OK
        )
        .await,
        1
    );
    let filtered = format!("{assigned}/%24count?$filter=startswith(serialNumber,'DESK')");
    assert_eq!(body_of(read(&app, filtered).await, StatusCode::OK).await, 0);
    let other = create_profile(&app, "Other").await;
    let none = format!("{PROFILES}/{other}/assignedDevices/$count");
    assert_eq!(body_of(read(&app, none).await, StatusCode::OK).await, 0);
    let unknown_profile = format!("{PROFILES}/{}/assignedDevices/$count", Uuid::new_v4());
    error_of(
        read(&app, unknown_profile).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // An item is a device the profile holds, in the key form too, with $select.
    let item = body_of(
        read(&app, format!("{assigned}('{kiosk}')?$select=serialNumber")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(item["serialNumber"], "KIOSK-1");
    assert!(item.get("groupTag").is_none(), "{item}");
    assert_eq!(
        item["@odata.context"],
        app.url(&format!(
            "beta/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles('{profile}')/assignedDevices(serialNumber)/$entity"
        ))
    );
    for missing in [desk.clone(), Uuid::new_v4().to_string(), "kiosk".to_owned()] {
        let response = read(&app, format!("{assigned}/{missing}")).await;
        error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    let intended = body_of(
        read(
            &app,
            format!("{assigned}/{kiosk}/intendedDeploymentProfile"),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(intended["id"], profile);
    // The device settles after the assignment delay, then has the profile as its own.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = read(&app, format!("{assigned}/{kiosk}/deploymentProfile")).await;
        if response.status() == StatusCode::OK {
            assert_eq!(response.json::<Json>().await.unwrap()["id"], profile);
            break;
        }
        error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
        assert!(Instant::now() < deadline, "the device never settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The device's actions, through the profile, change the device.
    for (action, body) in [
        (
            "updateDeviceProperties",
            Some(json!({"displayName": "Lobby", "deviceFriendlyName": "Lobby screen"})),
        ),
        (
            "microsoft.graph.assignUserToDevice",
            Some(json!({"userPrincipalName": "kim@contoso.com", "addressableUserName": "Kim"})),
        ),
        ("allowNextEnrollment", None),
        (
            "AssignResourceAccountToDevice",
            Some(
                json!({"userPrincipalName": "room@contoso.com", "addressableUserName": "Room",
                        "resourceAccountName": "Lobby room"}),
            ),
        ),
    ] {
        body_of(
            act(&app, &assigned, &kiosk, action, body).await,
            StatusCode::NO_CONTENT,
        )
        .await;
    }
    let changed = body_of(
        send(&app, Method::GET, &format!("{DEVICES}/{kiosk}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            &changed["displayName"],
            &changed["deviceFriendlyName"],
            &changed["userPrincipalName"],
            &changed["userlessEnrollmentStatus"],
            &changed["resourceName"],
        ),
        (
            &json!("Lobby"),
            &json!("Lobby screen"),
            &json!("room@contoso.com"),
            &json!("allowed"),
            &json!("Lobby room"),
        )
    );
    for action in [
        "unassignResourceAccountFromDevice",
        "unassignUserFromDevice",
    ] {
        body_of(
            act(&app, &assigned, &kiosk, action, None).await,
            StatusCode::NO_CONTENT,
        )
        .await;
    }
    let unassigned = body_of(
        send(&app, Method::GET, &format!("{DEVICES}/{kiosk}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unassigned["userPrincipalName"], Json::Null);
    assert_eq!(unassigned["resourceName"], Json::Null);
    // A device the profile does not hold is not reached through it; bad parameters are the
    // action's own 400.
    let elsewhere = act(&app, &assigned, &desk, "allowNextEnrollment", None).await;
    error_of(elsewhere, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let bad = act(
        &app,
        &assigned,
        &kiosk,
        "assignUserToDevice",
        Some(json!({"userPrincipalName": 7})),
    )
    .await;
    error_of(bad, StatusCode::BAD_REQUEST, "BadRequest").await;

    // What the SDK's builders have and Graph does not serve on a navigation to devices another
    // set owns: its route-template 400, as for any verb a path does not take.
    for (method, path) in [
        (Method::POST, assigned.clone()),
        (Method::PATCH, format!("{assigned}/{kiosk}")),
        (Method::DELETE, format!("{assigned}/{kiosk}")),
    ] {
        let body = (method != Method::DELETE).then(|| json!({"displayName": "x"}));
        let response = send(&app, method.clone(), &path, body).await;
        let error = error_of(
            response,
            StatusCode::BAD_REQUEST,
            "No method match route template",
        )
        .await;
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("http verb {method}")),
            "{error}"
        );
    }
    assert_eq!(identity_id(&app, "KIOSK-1").await, kiosk);
}

#[tokio::test]
async fn assignments_are_counted_and_updated_within_their_group() {
    let app = spawn_app().await;
    let profile = create_profile(&app, "Kiosk").await;
    let lab = create_group(&app, "Lab", None).await;
    let other = create_group(&app, "Other", None).await;
    let assignments = format!("{PROFILES}/{profile}/assignments");
    assert_eq!(count_of(&app, format!("{assignments}/$count")).await, 0);
    assign(&app, &profile, target(GROUP_TARGET, Some(&lab))).await;
    assign(&app, &profile, target(ALL_DEVICES_TARGET, None)).await;
    assert_eq!(count_of(&app, format!("{assignments}/$count")).await, 2);
    let filtered = send(
        &app,
        Method::GET,
        &format!("{assignments}/$count?$filter=source eq 'direct'"),
        None,
    )
    .await;
    error_of(filtered, StatusCode::BAD_REQUEST, "BadRequest").await;

    let id = format!("{profile}_{lab}_0");
    let excluded = body_of(
        update(
            &app,
            &assignments,
            id.clone(),
            json!({"target": {"@odata.type": EXCLUSION_TARGET, "groupId": lab},
                   "source": "policySets", "sourceId": "set-1"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            &excluded["id"],
            &excluded["target"]["@odata.type"],
            &excluded["source"],
            &excluded["sourceId"],
        ),
        (
            &json!(id),
            &json!(EXCLUSION_TARGET),
            &json!("policySets"),
            &json!("set-1")
        )
    );
    assert!(
        excluded["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/assignments/$entity")
    );
    let read = body_of(
        send(&app, Method::GET, &format!("{assignments}/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, excluded);
    // Only what is sent changes.
    let source_only = body_of(
        update(&app, &assignments, id.clone(), json!({"source": "direct"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(source_only["target"]["@odata.type"], EXCLUSION_TARGET);
    assert_eq!(source_only["sourceId"], "set-1");

    // Another group is another assignment; bad bodies and unknown ids change nothing.
    for body in [
        json!({"target": {"@odata.type": GROUP_TARGET, "groupId": other}}),
        json!({"target": {"@odata.type": ALL_DEVICES_TARGET}}),
        json!({"source": "inherited"}),
        json!({"intent": "apply"}),
    ] {
        let response = update(&app, &assignments, id.clone(), body).await;
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    let missing = update(
        &app,
        &assignments,
        format!("{profile}_{other}_0"),
        json!({"source": "direct"}),
    )
    .await;
    error_of(missing, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let unknown = send(
        &app,
        Method::PATCH,
        &format!("{PROFILES}/{}/assignments/{id}", Uuid::new_v4()),
        Some(json!({"source": "direct"})),
    )
    .await;
    error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let after = body_of(
        send(&app, Method::GET, &format!("{assignments}/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(after, source_only);
}

#[tokio::test]
async fn has_payload_links_names_the_profiles_a_policy_set_assigned() {
    let app = spawn_app().await;
    let linked = create_profile(&app, "Linked").await;
    let direct = create_profile(&app, "Direct").await;
    let lab = create_group(&app, "Lab", None).await;
    let mut through_set = target(GROUP_TARGET, Some(&lab));
    through_set["source"] = json!("policySets");
    body_of(
        assign(&app, &linked, through_set).await,
        StatusCode::CREATED,
    )
    .await;
    body_of(
        assign(&app, &direct, target(ALL_DEVICES_TARGET, None)).await,
        StatusCode::CREATED,
    )
    .await;
    let unknown = Uuid::new_v4().to_string();
    let path = format!("{PROFILES}/microsoft.graph.hasPayloadLinks");
    let body = json!({"payloadIds": [linked, direct, unknown, "not-a-guid"]});
    let answer = body_of(
        send(&app, Method::POST, &path, Some(body)).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        answer["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Collection(microsoft.graph.hasPayloadLinkResultItem)")
    );
    let value = answer["value"].as_array().unwrap();
    assert_eq!(
        value[..2],
        [
            json!({"payloadId": linked, "hasLink": true, "error": "", "sources": ["policySets"]}),
            json!({"payloadId": direct, "hasLink": false, "error": "", "sources": []}),
        ]
    );
    for (result, id) in value[2..].iter().zip([unknown.as_str(), "not-a-guid"]) {
        assert_eq!(result["payloadId"], id);
        assert_eq!(result["hasLink"], false);
        assert!(result["error"].as_str().unwrap().contains(id), "{result}");
    }
    for bad in [
        json!({}),
        json!({"payloadIds": "x"}),
        json!({"deviceIds": []}),
    ] {
        let response = send(&app, Method::POST, &path, Some(bad)).await;
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
}

/// POST the profile's `assign` with these `deviceIds`.
async fn assign_devices(app: &TestApp, profile: &str, ids: Json) -> reqwest::Response {
    let path = format!("{PROFILES}/{profile}/assign");
    send(app, Method::POST, &path, Some(json!({"deviceIds": ids}))).await
}

#[tokio::test]
async fn assign_replaces_the_devices_a_profile_is_assigned_to_directly() {
    let app = spawn_app().await;
    let kiosk_profile = create_profile(&app, "Kiosk").await;
    let direct_profile = create_profile(&app, "Direct").await;
    let kiosks = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    device(&app, "KIOSK-1", "Kiosk").await;
    device(&app, "KIOSK-2", "Kiosk").await;
    device(&app, "DESK-1", "Desk").await;
    let (kiosk_1, desk) = (
        identity_id(&app, "KIOSK-1").await,
        identity_id(&app, "DESK-1").await,
    );
    assign(&app, &kiosk_profile, target(GROUP_TARGET, Some(&kiosks))).await;
    assigned_become(&app, &kiosk_profile, &["KIOSK-1", "KIOSK-2"]).await;

    // A direct assignment wins over the group's, and takes a device no group gives a profile.
    body_of(
        assign_devices(&app, &direct_profile, json!([kiosk_1, desk])).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assigned_become(&app, &direct_profile, &["DESK-1", "KIOSK-1"]).await;
    assigned_become(&app, &kiosk_profile, &["KIOSK-2"]).await;
    // The list replaces the one before: KIOSK-1 goes back to its group's profile.
    body_of(
        assign_devices(&app, &direct_profile, json!([desk, desk])).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assigned_become(&app, &direct_profile, &["DESK-1"]).await;
    assigned_become(&app, &kiosk_profile, &["KIOSK-1", "KIOSK-2"]).await;

    // Ids that name no device of the tenant, or no profile, change nothing.
    for ids in [
        json!([desk, Uuid::new_v4().to_string()]),
        json!(["KIOSK-1"]),
        json!("DESK-1"),
    ] {
        let response = assign_devices(&app, &kiosk_profile, ids).await;
        let error = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert_eq!(error["error"]["details"][0]["target"], "deviceIds");
    }
    let unknown = assign_devices(&app, &Uuid::new_v4().to_string(), json!([desk])).await;
    error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert_eq!(assigned_serials(&app, &direct_profile).await, ["DESK-1"]);

    // A profile's delete lets its devices go; an empty list does too.
    body_of(
        send(
            &app,
            Method::DELETE,
            &format!("{PROFILES}/{direct_profile}"),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let desk_status = format!("{DEVICES}/{desk}?$select=deploymentProfileAssignmentStatus");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = body_of(read(&app, desk_status.clone()).await, StatusCode::OK).await;
        if status["deploymentProfileAssignmentStatus"] == "notAssigned" {
            break;
        }
        assert!(Instant::now() < deadline, "DESK-1 stayed {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    body_of(
        assign_devices(&app, &kiosk_profile, json!([desk])).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assigned_become(&app, &kiosk_profile, &["DESK-1", "KIOSK-1", "KIOSK-2"]).await;
    body_of(
        assign_devices(&app, &kiosk_profile, json!([])).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assigned_become(&app, &kiosk_profile, &["KIOSK-1", "KIOSK-2"]).await;
}
