//! Graph's lenient JSON through the real routes: unquoted property names, single-quoted strings and
//! a trailing comma, as scripts that concatenate their bodies send them, on every kind of body the
//! service reads; and what stays refused.

use reqwest::{Method, StatusCode};
use serde_json::Value as Json;

use crate::helpers::{COLLECTION, TestApp, body_of, error_of, spawn_app};

/// Sends `body` exactly as written, declared as JSON.
async fn send_text(app: &TestApp, method: Method, path: &str, body: &str) -> reqwest::Response {
    app.client
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request sent")
}

async fn get_ok(app: &TestApp, path: &str) -> Json {
    body_of(app.get(path).await, StatusCode::OK).await
}

#[tokio::test]
async fn every_body_the_service_reads_takes_the_lenient_forms() {
    let app = spawn_app().await;
    let devices = format!("beta/{COLLECTION}");

    let created = body_of(
        send_text(
            &app,
            Method::POST,
            &format!("v1.0/{COLLECTION}"),
            r#"{ serialNumber: 'LEN-1', displayName: "PC01", groupTag: 'Kiosk', }"#,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["displayName"], "PC01");
    assert_eq!(created["groupTag"], "Kiosk");

    let device = format!("{devices}/{id}");
    for (path, body) in [
        (device.clone(), "{displayName: 'It\\'s \"PC02\"',}"),
        (
            format!("{device}/assignUserToDevice"),
            "{userPrincipalName: 'user@contoso.com', addressableUserName: 'User',}",
        ),
        (
            format!("{device}/UpdateDeviceProperties"),
            "{ groupTag: 'Lab' }",
        ),
    ] {
        let method = if path == device {
            Method::PATCH
        } else {
            Method::POST
        };
        let response = send_text(&app, method, &path, body).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
    }
    let device = get_ok(&app, &device).await;
    assert_eq!(device["displayName"], r#"It's "PC02""#);
    assert_eq!(device["userPrincipalName"], "user@contoso.com");
    assert_eq!(device["groupTag"], "Lab");

    let imported = "beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
    let record = body_of(
        send_text(
            &app,
            Method::POST,
            imported,
            "{serialNumber: 'IMP-1', hardwareIdentifier: 'AAEC',}",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(record["serialNumber"], "IMP-1");
    let imported_many = body_of(
        send_text(
            &app,
            Method::POST,
            &format!("{imported}/import"),
            "{importedWindowsAutopilotDeviceIdentities: [\n  {serialNumber: 'IMP-2', hardwareIdentifier: 'AAEC',},\n],}",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(imported_many["value"][0]["serialNumber"], "IMP-2");

    let group = body_of(
        send_text(
            &app,
            Method::POST,
            "v1.0/groups",
            "{displayName: 'Kiosks', mailNickname: 'kiosks', mailEnabled: false, securityEnabled: true, groupTypes: [],}",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let group_id = group["id"].as_str().unwrap();
    let response = send_text(
        &app,
        Method::PATCH,
        &format!("v1.0/groups/{group_id}"),
        "{description: 'the lobby',}",
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let member = get_ok(&app, "v1.0/devices?$filter=displayName eq 'LEN-1'").await;
    let member = member["value"][0]["id"].as_str().unwrap();
    let response = send_text(
        &app,
        Method::POST,
        &format!("v1.0/groups/{group_id}/members/$ref"),
        &format!("{{'@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/{member}',}}"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let members = get_ok(&app, &format!("v1.0/groups/{group_id}/members")).await;
    assert_eq!(members["value"][0]["id"], member);

    let profiles = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
    let profile = body_of(
        send_text(
            &app,
            Method::POST,
            profiles,
            "{'@odata.type': '#microsoft.graph.azureADWindowsAutopilotDeploymentProfile', displayName: 'Kiosk profile', outOfBoxExperienceSettings: {hideEULA: true,},}",
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(profile["outOfBoxExperienceSettings"]["hideEULA"], true);
    let profile_id = profile["id"].as_str().unwrap();
    let patched = body_of(
        send_text(
            &app,
            Method::PATCH,
            &format!("{profiles}/{profile_id}"),
            "{description: 'for the lobby',}",
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["description"], "for the lobby");
    let assignment = body_of(
        send_text(
            &app,
            Method::POST,
            &format!("{profiles}/{profile_id}/assignments"),
            &format!(
                "{{target: {{'@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: '{group_id}',}},}}"
            ),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(assignment["target"]["groupId"], group_id);
}

#[tokio::test]
async fn lenient_bodies_are_validated_like_json_and_the_rest_is_refused_where_it_goes_wrong() {
    let app = spawn_app().await;
    let devices = format!("v1.0/{COLLECTION}");

    // Leniency is only syntax: the properties are checked as they would be in JSON.
    let unknown = error_of(
        send_text(
            &app,
            Method::POST,
            &devices,
            "{serialNumber: 'X', colour: 'red',}",
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert_eq!(unknown["error"]["details"][0]["target"], "colour");
    let twice = error_of(
        send_text(
            &app,
            Method::POST,
            &devices,
            "{serialNumber: 'X', 'serialNumber': 'Y'}",
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert_eq!(twice["error"]["details"][0]["target"], "serialNumber");

    for (body, position) in [
        ("{serialNumber: 'X',,}", "(line 1, column 20)"),
        ("{serialNumber: PC01}", "(line 1, column 16)"),
        (
            "{\n  serialNumber: 'X'\n  displayName: 'Y'\n}",
            "(line 3, column 3)",
        ),
        ("{serial-number: 'X'}", "(line 1, column 8)"),
        ("{serialNumber: 'X' /* why */}", "(line 1, column 20)"),
        ("{serialNumber: 'X", "(line 1, column 17)"),
    ] {
        let error = error_of(
            send_text(&app, Method::POST, &devices, body).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("The request body is not valid JSON: ")
                && message.contains(position),
            "{body:?}: {message}"
        );
    }
    assert_eq!(app.device_rows().await, 0);
}
