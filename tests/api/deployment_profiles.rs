//! windowsAutopilotDeploymentProfiles (beta): the two concrete types, nested settings,
//! server-set times, PATCH answering the profile, and v1.0 not knowing them.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

use crate::helpers::{TestApp, error_of, send, spawn_app};

const PROFILES: &str = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const AZURE_AD: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const ACTIVE_DIRECTORY: &str = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";

async fn created(app: &TestApp, body: Json) -> Json {
    let response = send(app, Method::POST, PROFILES, Some(body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_profile_is_one_of_two_types_with_its_settings_and_server_set_times() {
    let app = spawn_app().await;
    let profile = created(
        &app,
        json!({
            "@odata.type": AZURE_AD,
            "displayName": "Kiosk profile",
            "description": "for the lobby",
            "deviceNameTemplate": "KIOSK-%SERIAL%",
            "deviceType": "windowsPc",
            "preprovisioningAllowed": true,
            "roleScopeTagIds": ["0", "7"],
            "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "userType": "standard",
                                          "deviceUsageType": "shared"},
            "enrollmentStatusScreenSettings": {"installProgressTimeoutInMinutes": 90,
                                               "customErrorMessage": "Call the desk"},
            "createdDateTime": "2001-01-01T00:00:00Z"
        }),
    )
    .await;
    assert_eq!(profile["@odata.type"], AZURE_AD);
    assert_eq!(profile["displayName"], "Kiosk profile");
    assert_eq!(profile["preprovisioningAllowed"], true);
    assert_eq!(
        profile["enableWhiteGlove"], true,
        "one value under two names"
    );
    assert_eq!(profile["roleScopeTagIds"], json!(["0", "7"]));
    assert_eq!(
        profile["outOfBoxExperienceSetting"],
        json!({"privacySettingsHidden": true, "eulaHidden": false, "userType": "standard",
               "deviceUsageType": "shared", "keyboardSelectionPageSkipped": false,
               "escapeLinkHidden": false})
    );
    assert_eq!(
        profile["enrollmentStatusScreenSettings"]["installProgressTimeoutInMinutes"],
        90
    );
    assert_eq!(
        profile["enrollmentStatusScreenSettings"]["customErrorMessage"],
        "Call the desk"
    );
    assert_eq!(
        profile["outOfBoxExperienceSettings"]["userType"],
        "standard"
    );
    assert!(
        profile
            .get("hybridAzureADJoinSkipConnectivityCheck")
            .is_none(),
        "only the Active Directory type has it: {profile}"
    );
    let created_at = profile["createdDateTime"].as_str().unwrap().to_owned();
    assert_ne!(created_at, "2001-01-01T00:00:00Z", "the server sets it");
    assert_eq!(profile["lastModifiedDateTime"], created_at.as_str());

    let hybrid = created(
        &app,
        json!({"@odata.type": ACTIVE_DIRECTORY, "displayName": "Hybrid",
               "hybridAzureADJoinSkipConnectivityCheck": true}),
    )
    .await;
    assert_eq!(hybrid["@odata.type"], ACTIVE_DIRECTORY);
    assert_eq!(hybrid["hybridAzureADJoinSkipConnectivityCheck"], true);
    assert_eq!(hybrid["roleScopeTagIds"], json!(["0"]));
    assert_eq!(hybrid["deviceType"], "windowsPc");

    // PATCH answers the profile as it now is; the server moves lastModifiedDateTime only.
    let id = profile["id"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let patched = send(
        &app,
        Method::PATCH,
        &format!("{PROFILES}/{id}"),
        Some(json!({"displayName": "Lobby", "outOfBoxExperienceSetting": {"eulaHidden": true}})),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Json = patched.json().await.unwrap();
    assert_eq!(patched["displayName"], "Lobby");
    assert_eq!(patched["@odata.type"], AZURE_AD);
    assert_eq!(patched["outOfBoxExperienceSetting"]["eulaHidden"], true);
    assert_eq!(
        patched["outOfBoxExperienceSetting"]["userType"], "standard",
        "members not sent keep their values"
    );
    assert_eq!(patched["createdDateTime"], created_at.as_str());
    assert!(patched["lastModifiedDateTime"].as_str().unwrap() > created_at.as_str());

    // Lists: every item names its type; $filter on displayName, $select, $top.
    let page: Json = send(
        &app,
        Method::GET,
        &format!("{PROFILES}?$filter=displayName eq 'Hybrid'&$select=displayName"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["value"][0]["@odata.type"], ACTIVE_DIRECTORY);
    assert_eq!(page["value"][0]["displayName"], "Hybrid");
    assert!(page["value"][0].get("description").is_none());
    let top: Json = send(&app, Method::GET, &format!("{PROFILES}?$top=1"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(top["value"].as_array().unwrap().len(), 1);
    assert!(top["@odata.nextLink"].is_string());

    let deleted = send(&app, Method::DELETE, &format!("{PROFILES}/{id}"), None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = send(&app, Method::GET, &format!("{PROFILES}/{id}"), None).await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn a_profile_must_name_its_type_and_keep_to_its_properties() {
    let app = spawn_app().await;
    for (body, fragment) in [
        (json!({"displayName": "No type"}), "@odata.type"),
        (
            json!({"@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfile"}),
            "abstract",
        ),
        (
            json!({"@odata.type": AZURE_AD, "hybridAzureADJoinSkipConnectivityCheck": true}),
            "hybridAzureADJoinSkipConnectivityCheck",
        ),
        (
            json!({"@odata.type": AZURE_AD, "outOfBoxExperienceSetting": {"hideEverything": true}}),
            "outOfBoxExperienceSetting.hideEverything",
        ),
        (
            json!({"@odata.type": AZURE_AD, "outOfBoxExperienceSetting": {"userType": "root"}}),
            "userType",
        ),
        (
            json!({"@odata.type": AZURE_AD, "outOfBoxExperienceSetting": true}),
            "JSON object",
        ),
        (
            json!({"@odata.type": AZURE_AD, "deviceType": "toaster"}),
            "deviceType",
        ),
    ] {
        let refused = send(&app, Method::POST, PROFILES, Some(body.clone())).await;
        let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert!(error.to_string().contains(fragment), "{body}: {error}");
    }
    let count = send(&app, Method::GET, &format!("{PROFILES}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "0");

    // v1.0 has no deployment profiles.
    let v1 = send(
        &app,
        Method::GET,
        "v1.0/deviceManagement/windowsAutopilotDeploymentProfiles",
        None,
    )
    .await;
    let error = error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        error["error"]["message"],
        "Resource not found for the segment 'windowsAutopilotDeploymentProfiles'."
    );
}
