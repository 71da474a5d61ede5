//! The directory slice: a directory device for every device identity, kept in step with it, devices
//! an app creates, changes and deletes, and groups with members added to them or decided by an
//! Autopilot membership rule.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

use crate::helpers::{COLLECTION, TestApp, body_of, error_of, send, spawn_app};

const KIOSK_RULE: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk"))"#;

/// The directory device of the identity with this serial number.
async fn directory_device(app: &TestApp, version: &str, serial: &str) -> Json {
    let page = body_of(
        send(
            app,
            Method::GET,
            &format!("{version}/devices?$filter=displayName eq '{serial}'"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let value = page["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{page}");
    value[0].clone()
}

async fn group(app: &TestApp, version: &str, name: &str, rule: Option<&str>) -> reqwest::Response {
    let mut body = json!({
        "displayName": name, "mailNickname": name, "mailEnabled": false, "securityEnabled": true,
    });
    if let Some(rule) = rule {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(rule);
    }
    send(app, Method::POST, &format!("{version}/groups"), Some(body)).await
}

/// The serial numbers (directory devices' display names) of a group's members.
async fn members(app: &TestApp, version: &str, group: &str) -> Vec<String> {
    let page = body_of(
        send(
            app,
            Method::GET,
            &format!("{version}/groups/{group}/members"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        page["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#directoryObjects"),
        "{page}"
    );
    let mut names: Vec<String> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| {
            assert_eq!(member["@odata.type"], "#microsoft.graph.device");
            member["displayName"].as_str().unwrap().to_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_device_identity_has_a_directory_device_that_follows_it() {
    let app = spawn_app().await;
    let identity = app
        .create_ok(
            "v1.0",
            &json!({"serialNumber": "DIR-1", "groupTag": "Kiosk", "purchaseOrderIdentifier": "PO-7"}),
        )
        .await;
    let identity_id = identity["id"].as_str().unwrap();
    let aad_id = identity["azureActiveDirectoryDeviceId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(aad_id).is_ok(), "{identity}");

    for version in ["v1.0", "beta"] {
        let device = directory_device(&app, version, "DIR-1").await;
        assert_eq!(
            device["deviceId"], aad_id,
            "the identity points at its device"
        );
        assert_eq!(device["accountEnabled"], true);
        assert_eq!(device["operatingSystem"], "Windows");
        assert_eq!(device["trustType"], "AzureAd");
        assert_eq!(device["profileType"], "RegisteredDevice");
        assert_eq!(device["deviceOwnership"], "Company");
        assert_eq!(device["isManaged"], false);
        assert_eq!(device["isCompliant"], false);
        assert_eq!(device["enrollmentType"], Json::Null);
        assert_eq!(
            device["approximateLastSignInDateTime"],
            "0001-01-01T00:00:00Z"
        );
        let registered = device["registrationDateTime"].as_str().unwrap();
        assert!(registered.starts_with("20"), "{device}");
        assert!(device.get("devicePhysicalIds").is_none(), "{device}");
        assert_eq!(
            device.get("extensionAttributes").is_some(),
            version == "beta",
            "{device}"
        );
        assert_eq!(
            device["physicalIds"],
            json!([
                format!("[ZTDID]:{identity_id}"),
                "[OrderID]:Kiosk",
                "[PurchaseOrderId]:PO-7"
            ])
        );
        let id = device["id"].as_str().unwrap();
        let by_id = body_of(
            send(&app, Method::GET, &format!("{version}/devices/{id}"), None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(by_id["deviceId"], aad_id);
        let by_device_id = body_of(
            send(
                &app,
                Method::GET,
                &format!("{version}/devices?$filter=deviceId eq '{aad_id}'"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(by_device_id["value"][0]["id"], id);
    }

    // The group tag changes, and so do the physical ids; no purchase order, no such id.
    let patched = send(
        &app,
        Method::PATCH,
        &format!("v1.0/{COLLECTION}/{identity_id}"),
        Some(json!({"groupTag": "Lab", "purchaseOrderIdentifier": null})),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    let device = directory_device(&app, "v1.0", "DIR-1").await;
    assert_eq!(
        device["physicalIds"],
        json!([format!("[ZTDID]:{identity_id}"), "[OrderID]:Lab"])
    );

    // Left by its identity's deletion, as Graph leaves it for offboarding's last step.
    let id = device["id"].as_str().unwrap().to_owned();
    let deleted = send(
        &app,
        Method::DELETE,
        &format!("v1.0/{COLLECTION}/{identity_id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let kept = send(&app, Method::GET, &format!("v1.0/devices/{id}"), None).await;
    assert_eq!(kept.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_static_group_has_the_members_added_to_it() {
    let app = spawn_app().await;
    for serial in ["S-1", "S-2"] {
        app.create_ok("beta", &json!({"serialNumber": serial}))
            .await;
    }
    let created = body_of(
        group(&app, "beta", "Static", None).await,
        StatusCode::CREATED,
    )
    .await;
    let group_id = created["id"].as_str().unwrap();
    assert!(created["createdDateTime"].is_string());
    assert_eq!(created["groupTypes"], json!([]));
    assert_eq!(created["membershipRule"], Json::Null);
    // As Entra answers for a security group created through Graph.
    assert_eq!(created["mail"], Json::Null);
    assert_eq!(created["proxyAddresses"], json!([]));
    assert_eq!(created["visibility"], Json::Null);
    assert_eq!(created["renewedDateTime"], created["createdDateTime"]);
    assert_eq!(
        created["membershipRuleProcessingStatus"]["status"],
        Json::Null
    );
    assert!(members(&app, "beta", group_id).await.is_empty());

    let device = directory_device(&app, "beta", "S-1").await;
    let device_id = device["id"].as_str().unwrap();
    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device_id}")});
    let path = format!("beta/groups/{group_id}/members/$ref");
    body_of(
        send(&app, Method::POST, &path, Some(reference.clone())).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(members(&app, "beta", group_id).await, ["S-1"]);
    // The same member twice, and an object that does not exist.
    let twice = send(&app, Method::POST, &path, Some(reference)).await;
    error_of(twice, StatusCode::BAD_REQUEST, "BadRequest").await;
    let nobody = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", uuid::Uuid::new_v4())});
    let unknown = send(&app, Method::POST, &path, Some(nobody)).await;
    error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let malformed = send(&app, Method::POST, &path, Some(json!({"id": device_id}))).await;
    error_of(malformed, StatusCode::BAD_REQUEST, "BadRequest").await;

    let remove = format!("beta/groups/{group_id}/members/{device_id}/$ref");
    body_of(
        send(&app, Method::DELETE, &remove, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(members(&app, "beta", group_id).await.is_empty());
    let again = send(&app, Method::DELETE, &remove, None).await;
    error_of(again, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    let listed = body_of(
        send(
            &app,
            Method::GET,
            "beta/groups?$filter=displayName eq 'Static'",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["value"][0]["id"], group_id);
    body_of(
        send(
            &app,
            Method::DELETE,
            &format!("beta/groups/{group_id}"),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = send(
        &app,
        Method::GET,
        &format!("beta/groups/{group_id}/members"),
        None,
    )
    .await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn a_dynamic_group_takes_the_devices_its_rule_names_as_they_change() {
    let app = spawn_app().await;
    let kiosk = app
        .create_ok("v1.0", &json!({"serialNumber": "K-1", "groupTag": "Kiosk"}))
        .await;
    app.create_ok("v1.0", &json!({"serialNumber": "K-2", "groupTag": "kiosk"}))
        .await;
    app.create_ok("v1.0", &json!({"serialNumber": "L-1", "groupTag": "Lab"}))
        .await;

    let created = body_of(
        group(&app, "v1.0", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    let kiosks = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["membershipRuleProcessingState"], "On");
    assert!(
        created.get("membershipRuleProcessingStatus").is_none(),
        "beta only: {created}"
    );
    assert_eq!(members(&app, "v1.0", &kiosks).await, ["K-1", "K-2"]);
    // The same members through transitiveMembers and the device cast, as Graph's SDKs ask.
    for (navigation, context) in [
        ("transitiveMembers", "$metadata#directoryObjects"),
        ("members/microsoft.graph.device", "$metadata#devices"),
    ] {
        let page = body_of(
            send(
                &app,
                Method::GET,
                &format!("v1.0/groups/{kiosks}/{navigation}?$count=true"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(
            page["@odata.context"].as_str().unwrap().ends_with(context),
            "{page}"
        );
        assert_eq!(page["@odata.count"], 2, "{navigation}");
    }
    let on_beta = body_of(
        send(&app, Method::GET, &format!("beta/groups/{kiosks}"), None).await,
        StatusCode::OK,
    )
    .await;
    let status = &on_beta["membershipRuleProcessingStatus"];
    assert_eq!(status["status"], "Succeeded", "{on_beta}");
    assert_eq!(status["errorMessage"], Json::Null);
    assert!(status["lastMembershipUpdated"].is_string(), "{on_beta}");

    let everyone = body_of(
        group(
            &app,
            "v1.0",
            "Autopilot",
            Some(r#"(device.devicePhysicalIds -any (_ -eq "[ZTDID]"))"#),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let everyone = everyone["id"].as_str().unwrap().to_owned();
    assert_eq!(
        members(&app, "v1.0", &everyone).await,
        ["K-1", "K-2", "L-1"]
    );

    // A device's group tag changes: it leaves one group's members, joins another's.
    let id = kiosk["id"].as_str().unwrap();
    let moved = send(
        &app,
        Method::POST,
        &format!("v1.0/{COLLECTION}/{id}/updateDeviceProperties"),
        Some(json!({"groupTag": "Lab"})),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    assert_eq!(members(&app, "v1.0", &kiosks).await, ["K-2"]);

    // The rule changes.
    let either = r#"(device.devicePhysicalIds -any (_ -startsWith "[OrderID]:L")) -or (device.devicePhysicalIds -any (_ -contains "kiosk"))"#;
    let patched = send(
        &app,
        Method::PATCH,
        &format!("v1.0/groups/{kiosks}"),
        Some(json!({"membershipRule": either})),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    assert_eq!(members(&app, "v1.0", &kiosks).await, ["K-1", "K-2", "L-1"]);

    // Members of a dynamic group cannot be added by hand.
    let device = directory_device(&app, "v1.0", "L-1").await;
    let added = send(
        &app,
        Method::POST,
        &format!("v1.0/groups/{kiosks}/members/$ref"),
        Some(json!({"@odata.id": format!("directoryObjects/{}", device["id"].as_str().unwrap())})),
    )
    .await;
    error_of(added, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn membership_settings_that_do_not_fit_are_refused_naming_the_part() {
    let app = spawn_app().await;
    for (rule, part) in [
        (
            r#"(device.deviceOSType -eq "Windows")"#,
            "device.deviceOSType",
        ),
        (
            r#"(device.devicePhysicalIds -all (_ -eq "[OrderID]:Kiosk"))"#,
            "-all",
        ),
        (
            r#"(device.devicePhysicalIds -any (_ -match "Kiosk"))"#,
            "-match",
        ),
    ] {
        let refused = group(&app, "beta", "Bad", Some(rule)).await;
        let body = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
        let detail = &body["error"]["details"][0];
        assert_eq!(detail["target"], "membershipRule");
        assert!(detail["message"].as_str().unwrap().contains(part), "{body}");
    }
    let no_rule = send(
        &app,
        Method::POST,
        "beta/groups",
        Some(
            json!({"displayName": "D", "mailNickname": "d", "mailEnabled": false,
                    "securityEnabled": true, "groupTypes": ["DynamicMembership"]}),
        ),
    )
    .await;
    error_of(no_rule, StatusCode::BAD_REQUEST, "BadRequest").await;
    let rule_on_static = send(
        &app,
        Method::POST,
        "beta/groups",
        Some(
            json!({"displayName": "S", "mailNickname": "s", "mailEnabled": false,
                    "securityEnabled": true, "membershipRule": KIOSK_RULE}),
        ),
    )
    .await;
    error_of(rule_on_static, StatusCode::BAD_REQUEST, "BadRequest").await;
    let missing = send(
        &app,
        Method::POST,
        "beta/groups",
        Some(json!({"displayName": "X"})),
    )
    .await;
    error_of(missing, StatusCode::BAD_REQUEST, "BadRequest").await;

    // A PATCH that would break the rule is refused and changes nothing.
    let created = body_of(
        group(&app, "beta", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let refused = send(
        &app,
        Method::PATCH,
        &format!("beta/groups/{id}"),
        Some(json!({"membershipRule": "(device.devicePhysicalIds -any"})),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    let kept = body_of(
        send(&app, Method::GET, &format!("beta/groups/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["membershipRule"], KIOSK_RULE);
    let hidden = send(
        &app,
        Method::PATCH,
        &format!("beta/groups/{id}"),
        Some(json!({"visibility": "Secret"})),
    )
    .await;
    error_of(hidden, StatusCode::BAD_REQUEST, "BadRequest").await;
    let private = send(
        &app,
        Method::PATCH,
        &format!("beta/groups/{id}"),
        Some(json!({"visibility": "Private"})),
    )
    .await;
    assert_eq!(private.status(), StatusCode::NO_CONTENT);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_groups")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

/// The text a GET answers with this status.
async fn text_of(app: &TestApp, path: &str) -> String {
    let response = send(app, Method::GET, path, None).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// The display names of the groups a page lists.
fn group_names(page: &Json) -> Vec<String> {
    let mut names: Vec<String> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| {
            assert_eq!(group["@odata.type"], "#microsoft.graph.group");
            group["displayName"].as_str().unwrap().to_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn an_app_creates_changes_and_deletes_a_device_object() {
    let app = spawn_app().await;
    let body = json!({
        "accountEnabled": true, "deviceId": "4c299165-6e8f-4b45-a5ba-c5d250a707ff",
        "displayName": "Test device", "operatingSystem": "Windows",
        "operatingSystemVersion": "10.0.22631", "physicalIds": ["[OrderID]:Kiosk"],
        "alternativeSecurityIds": [{"type": 2, "identityProvider": null, "key": "Y3YxN2E1MWFlYw=="}],
    });
    let created = send(&app, Method::POST, "v1.0/devices", Some(body)).await;
    let status = created.status();
    let created: Json = created.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["displayName"], "Test device");
    assert_eq!(created["physicalIds"], json!(["[OrderID]:Kiosk"]));
    assert_eq!(created["operatingSystemVersion"], "10.0.22631");
    // Graph's required alternativeSecurityIds are checked, and kept for Graph's own use.
    assert!(created.get("alternativeSecurityIds").is_none(), "{created}");
    let malformed = send(
        &app,
        Method::POST,
        "v1.0/devices",
        Some(
            json!({"accountEnabled": true, "deviceId": "d", "displayName": "D",
                    "operatingSystem": "Windows", "alternativeSecurityIds": [{"kind": 2}]}),
        ),
    )
    .await;
    error_of(malformed, StatusCode::BAD_REQUEST, "BadRequest").await;

    // Graph's required properties, and a body that is not a device, are refused.
    let missing = send(
        &app,
        Method::POST,
        "v1.0/devices",
        Some(json!({"displayName": "No id"})),
    )
    .await;
    error_of(missing, StatusCode::BAD_REQUEST, "BadRequest").await;

    // A dynamic group takes it by its physical ids, a static one when it is added.
    let kiosks = body_of(
        group(&app, "v1.0", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    let kiosks = kiosks["id"].as_str().unwrap().to_owned();
    let added = body_of(
        group(&app, "v1.0", "Added", None).await,
        StatusCode::CREATED,
    )
    .await;
    let added = added["id"].as_str().unwrap().to_owned();
    body_of(
        group(&app, "v1.0", "Elsewhere", None).await,
        StatusCode::CREATED,
    )
    .await;
    body_of(
        send(
            &app,
            Method::POST,
            &format!("v1.0/groups/{added}/members/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})),
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    for navigation in ["memberOf", "transitiveMemberOf"] {
        let page = body_of(
            send(
                &app,
                Method::GET,
                &format!("v1.0/devices/{id}/{navigation}"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert!(
            page["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("$metadata#directoryObjects"),
            "{page}"
        );
        assert_eq!(group_names(&page), ["Added", "Kiosks"], "{navigation}");
    }
    let cast = body_of(
        send(
            &app,
            Method::GET,
            &format!("v1.0/devices/{id}/memberOf/microsoft.graph.group"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        cast["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#groups"),
        "{cast}"
    );
    assert_eq!(group_names(&cast), ["Added", "Kiosks"]);
    let filtered = body_of(
        send(
            &app,
            Method::GET,
            &format!(
                "beta/devices/{id}/memberOf?$filter=displayName eq 'Added'&$select=displayName"
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(group_names(&filtered), ["Added"]);
    assert_eq!(
        text_of(&app, &format!("v1.0/groups/{kiosks}/members/$count")).await,
        "1"
    );

    // Offboarding: disabled first, its extension attributes written (beta has them).
    let patched = send(
        &app,
        Method::PATCH,
        &format!("beta/devices/{id}"),
        Some(json!({"accountEnabled": false,
                    "extensionAttributes": {"extensionAttribute1": "offboarded"}})),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    let device = body_of(
        send(&app, Method::GET, &format!("beta/devices/{id}"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(device["accountEnabled"], false);
    assert_eq!(
        device["extensionAttributes"]["extensionAttribute1"],
        "offboarded"
    );
    assert_eq!(
        device["extensionAttributes"]["extensionAttribute2"],
        Json::Null
    );
    let refused = send(
        &app,
        Method::PATCH,
        &format!("v1.0/devices/{id}"),
        Some(json!({"accountEnabled": "no"})),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;

    // Deleted: gone from the groups too.
    let deleted = send(&app, Method::DELETE, &format!("v1.0/devices/{id}"), None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for path in [
        format!("v1.0/devices/{id}"),
        format!("v1.0/devices/{id}/memberOf"),
    ] {
        let gone = send(&app, Method::GET, &path, None).await;
        error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    let again = send(&app, Method::DELETE, &format!("v1.0/devices/{id}"), None).await;
    error_of(again, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert!(members(&app, "v1.0", &added).await.is_empty());
    assert_eq!(
        text_of(&app, &format!("v1.0/groups/{kiosks}/members/$count")).await,
        "0"
    );
}

#[tokio::test]
async fn deleting_an_identitys_device_object_unlinks_the_identity_and_takes_it_out_of_groups() {
    let app = spawn_app().await;
    let identity = app
        .create_ok(
            "v1.0",
            &json!({"serialNumber": "OFF-1", "groupTag": "Kiosk"}),
        )
        .await;
    let identity_id = identity["id"].as_str().unwrap();
    let kiosks = body_of(
        group(&app, "v1.0", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    let kiosks = kiosks["id"].as_str().unwrap().to_owned();
    assert_eq!(members(&app, "v1.0", &kiosks).await, ["OFF-1"]);
    let device = directory_device(&app, "v1.0", "OFF-1").await;
    let device_id = device["id"].as_str().unwrap();
    let page = body_of(
        send(
            &app,
            Method::GET,
            &format!("v1.0/devices/{device_id}/memberOf"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(group_names(&page), ["Kiosks"]);

    let deleted = send(
        &app,
        Method::DELETE,
        &format!("v1.0/devices/{device_id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let kept = body_of(
        send(
            &app,
            Method::GET,
            &format!("v1.0/{COLLECTION}/{identity_id}"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["serialNumber"], "OFF-1");
    assert_eq!(
        kept["azureActiveDirectoryDeviceId"],
        "00000000-0000-0000-0000-000000000000"
    );
    assert!(members(&app, "v1.0", &kiosks).await.is_empty());
    // Its group tag changing brings no device object back.
    let moved = send(
        &app,
        Method::PATCH,
        &format!("v1.0/{COLLECTION}/{identity_id}"),
        Some(json!({"groupTag": "Lab"})),
    )
    .await;
    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    assert_eq!(text_of(&app, "v1.0/devices/$count").await, "0");
}

#[tokio::test]
async fn a_member_is_removed_by_the_reference_in_the_query_as_the_sdks_send_it() {
    let app = spawn_app().await;
    for serial in ["Q-1", "Q-2"] {
        app.create_ok("v1.0", &json!({"serialNumber": serial}))
            .await;
    }
    let created = body_of(
        group(&app, "v1.0", "Static", None).await,
        StatusCode::CREATED,
    )
    .await;
    let group_id = created["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for serial in ["Q-1", "Q-2"] {
        let id = directory_device(&app, "v1.0", serial).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        body_of(
            send(
                &app,
                Method::POST,
                &format!("v1.0/groups/{group_id}/members/$ref"),
                Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})),
            )
            .await,
            StatusCode::NO_CONTENT,
        )
        .await;
        ids.push(id);
    }
    let count = format!("v1.0/groups/{group_id}/members/$count");
    assert_eq!(text_of(&app, &count).await, "2");
    assert_eq!(
        text_of(&app, &format!("{count}?$filter=displayName eq 'Q-2'")).await,
        "1"
    );

    let sdk_form = format!(
        "v1.0/groups/{group_id}/members/$ref?@id=https%3A%2F%2Fgraph.microsoft.com%2Fv1.0%2FdirectoryObjects%2F{}",
        ids[0]
    );
    body_of(
        send(&app, Method::DELETE, &sdk_form, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(members(&app, "v1.0", group_id).await, ["Q-2"]);
    let again = send(&app, Method::DELETE, &sdk_form, None).await;
    error_of(again, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let dollar_form = format!("v1.0/groups/{group_id}/members/$ref?$id={}", ids[1]);
    body_of(
        send(&app, Method::DELETE, &dollar_form, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(text_of(&app, &count).await, "0");
    let unnamed = send(
        &app,
        Method::DELETE,
        &format!("v1.0/groups/{group_id}/members/$ref"),
        None,
    )
    .await;
    error_of(unnamed, StatusCode::BAD_REQUEST, "BadRequest").await;
    let no_group = send(
        &app,
        Method::GET,
        &format!("v1.0/groups/{}/members/$count", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    error_of(no_group, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn a_groups_references_owners_and_memberships_answer_as_graph_does() {
    let app = spawn_app().await;
    app.create_ok(
        "v1.0",
        &json!({"serialNumber": "REF-1", "groupTag": "Kiosk"}),
    )
    .await;
    let device = directory_device(&app, "v1.0", "REF-1").await;
    let device_id = device["id"].as_str().unwrap();
    let kiosks = body_of(
        group(&app, "v1.0", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    let kiosks = kiosks["id"].as_str().unwrap();

    // References: one per member, naming it as Graph does; they read back as a member's id.
    let refs = body_of(
        send(
            &app,
            Method::GET,
            &format!("v1.0/groups/{kiosks}/members/$ref"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let reference = refs["value"][0]["@odata.id"].as_str().unwrap();
    assert!(
        reference.ends_with(&format!(
            "/v1.0/directoryObjects/{device_id}/Microsoft.DirectoryServices.Device"
        )),
        "{refs}"
    );
    assert_eq!(refs["value"].as_array().unwrap().len(), 1);
    let selected = send(
        &app,
        Method::GET,
        &format!("v1.0/groups/{kiosks}/members/$ref?$select=displayName"),
        None,
    )
    .await;
    error_of(selected, StatusCode::BAD_REQUEST, "BadRequest").await;

    // Groups hold devices only, and this directory has no users or service principals to own one.
    for navigation in ["memberOf", "transitiveMemberOf", "owners", "owners/$ref"] {
        let page = body_of(
            send(
                &app,
                Method::GET,
                &format!("beta/groups/{kiosks}/{navigation}?$count=true"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(page["value"], json!([]), "{navigation}");
        assert_eq!(page["@odata.count"], 0, "{navigation}");
    }
    assert_eq!(
        text_of(&app, &format!("v1.0/groups/{kiosks}/owners/$count")).await,
        "0"
    );
    let owners = format!("v1.0/groups/{kiosks}/owners/$ref");
    let device_owner = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device_id}")});
    let refused = send(&app, Method::POST, &owners, Some(device_owner)).await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    let nobody = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{}", uuid::Uuid::new_v4())});
    let unknown = send(&app, Method::POST, &owners, Some(nobody)).await;
    error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    for path in [
        format!("v1.0/groups/{kiosks}/owners/{device_id}/$ref"),
        format!("v1.0/groups/{kiosks}/owners/$ref?@id={device_id}"),
    ] {
        let removed = send(&app, Method::DELETE, &path, None).await;
        error_of(removed, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    let no_group = send(
        &app,
        Method::GET,
        &format!("v1.0/groups/{}/owners", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    error_of(no_group, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn get_by_ids_finds_devices_and_groups_on_each_of_its_paths() {
    let app = spawn_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "IDS-1"}))
        .await;
    let device = directory_device(&app, "v1.0", "IDS-1").await;
    let device_id = device["id"].as_str().unwrap().to_owned();
    let created = body_of(
        group(&app, "v1.0", "Static", None).await,
        StatusCode::CREATED,
    )
    .await;
    let group_id = created["id"].as_str().unwrap().to_owned();
    let missing = uuid::Uuid::new_v4().to_string();
    let found = |path: &'static str, body: Json| {
        let app = &app;
        async move {
            let page = body_of(
                send(app, Method::POST, path, Some(body)).await,
                StatusCode::OK,
            )
            .await;
            assert!(
                page["@odata.context"]
                    .as_str()
                    .unwrap()
                    .ends_with("$metadata#directoryObjects"),
                "{page}"
            );
            let mut found: Vec<(String, String)> = page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    (
                        o["@odata.type"].as_str().unwrap().to_owned(),
                        o["id"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            found.sort();
            found
        }
    };
    let ids = json!([device_id, group_id, missing]);
    let device = ("#microsoft.graph.device".to_owned(), device_id.clone());
    let group = ("#microsoft.graph.group".to_owned(), group_id.clone());
    assert_eq!(
        found("v1.0/directoryObjects/getByIds", json!({"ids": ids})).await,
        [device.clone(), group.clone()]
    );
    assert_eq!(
        found(
            "beta/directoryObjects/getByIds",
            json!({"ids": ids, "types": ["group"]})
        )
        .await,
        std::slice::from_ref(&group)
    );
    assert_eq!(
        found("v1.0/devices/getByIds", json!({"ids": ids})).await,
        std::slice::from_ref(&device)
    );
    assert_eq!(
        found("v1.0/groups/getByIds", json!({"ids": ids})).await,
        std::slice::from_ref(&group)
    );
    assert_eq!(
        found(
            "v1.0/devices/getByIds",
            json!({"ids": ids, "types": ["user"]})
        )
        .await,
        []
    );
    for body in [
        json!({"ids": ["not-a-guid"]}),
        json!({"types": ["device"]}),
        json!({"ids": vec![device_id.clone(); 1001]}),
    ] {
        let refused = send(
            &app,
            Method::POST,
            "v1.0/directoryObjects/getByIds",
            Some(body),
        )
        .await;
        error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
}

#[tokio::test]
async fn expanding_members_inlines_a_groups_first_twenty_devices() {
    let app = spawn_app().await;
    for n in 0..22 {
        app.create_ok(
            "v1.0",
            &json!({"serialNumber": format!("EXP-{n:02}"), "groupTag": "Kiosk"}),
        )
        .await;
    }
    let kiosks = body_of(
        group(&app, "v1.0", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    let kiosks = kiosks["id"].as_str().unwrap();
    body_of(
        group(&app, "v1.0", "Empty", None).await,
        StatusCode::CREATED,
    )
    .await;
    for version in ["v1.0", "beta"] {
        let one = body_of(
            send(
                &app,
                Method::GET,
                &format!("{version}/groups/{kiosks}?$expand=members"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let members = one["members"].as_array().unwrap();
        assert_eq!(members.len(), 20, "{version}");
        assert_eq!(members[0]["@odata.type"], "#microsoft.graph.device");
        assert!(members[0]["physicalIds"].is_array(), "{one}");
    }
    let page = body_of(
        send(
            &app,
            Method::GET,
            "v1.0/groups?$expand=members&$orderby=displayName",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["value"][0]["displayName"], "Empty");
    assert_eq!(page["value"][0]["members"], json!([]));
    assert_eq!(page["value"][1]["members"].as_array().unwrap().len(), 20);
    let unknown = send(&app, Method::GET, "v1.0/groups?$expand=owners", None).await;
    error_of(unknown, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn the_new_directory_paths_take_graphs_other_spellings() {
    let app = spawn_app().await;
    app.create_ok(
        "v1.0",
        &json!({"serialNumber": "CASE-1", "groupTag": "Kiosk"}),
    )
    .await;
    let device = directory_device(&app, "v1.0", "CASE-1").await;
    let device_id = device["id"].as_str().unwrap();
    body_of(
        group(&app, "v1.0", "Kiosks", Some(KIOSK_RULE)).await,
        StatusCode::CREATED,
    )
    .await;
    // The key in parentheses and another case, as for every other path.
    let page = body_of(
        send(
            &app,
            Method::GET,
            &format!("v1.0/Devices('{device_id}')/MemberOf"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(group_names(&page), ["Kiosks"]);
    let found = body_of(
        send(
            &app,
            Method::POST,
            "v1.0/devices/microsoft.graph.getByIds",
            Some(json!({"ids": [device_id]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["value"][0]["id"], device_id);
    // A navigation Graph has and this service does not emulate is Graph's unknown segment.
    let unknown = send(
        &app,
        Method::GET,
        &format!("v1.0/devices/{device_id}/registeredOwners"),
        None,
    )
    .await;
    let body = error_of(unknown, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("registeredOwners"),
        "{body}"
    );
}

/// Found in review: the device object copied its `deviceId` from the identity once, so after the
/// identity's `azureActiveDirectoryDeviceId` changed, an offboarding script's lookup by deviceId
/// found nothing.
#[tokio::test]
async fn a_device_objects_device_id_follows_its_identitys_entra_device_id() {
    let app = spawn_app().await;
    let identity = app
        .create_ok("v1.0", &json!({"serialNumber": "LINK-1"}))
        .await;
    let identity_id = identity["id"].as_str().unwrap();
    let entra_id = "6f0a5c9e-2b7d-4c1e-9a3f-8d2b1e0c7a54";
    let body = json!({"azureActiveDirectoryDeviceId": entra_id});
    let path = format!("v1.0/{COLLECTION}/{identity_id}");
    let patched = send(&app, Method::PATCH, &path, Some(body)).await;
    assert!(patched.status().is_success(), "{}", patched.status());
    let path = format!("v1.0/devices?$filter=deviceId eq '{entra_id}'");
    let page = body_of(send(&app, Method::GET, &path, None).await, StatusCode::OK).await;
    assert_eq!(page["value"][0]["displayName"], "LINK-1", "{page}");
}
