//! Deployment profile settings Graph renamed are one value under two names (issue 26, item 4): a
//! profile written with either name reads back with both, on both concrete types, and a body that
//! gives the two names different values is refused naming them.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

use crate::helpers::{body_of, error_of, send, spawn_app};

const PROFILES: &str = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const TYPES: [&str; 2] = [
    "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
    "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
];

/// The legacy names of every pair, and what the new names read back as.
fn legacy(odata_type: &str) -> Json {
    json!({
        "@odata.type": odata_type,
        "displayName": "Restored from a backup",
        "language": "de-DE",
        "extractHardwareHash": true,
        "enableWhiteGlove": true,
        "outOfBoxExperienceSettings": {
            "hidePrivacySettings": true, "hideEULA": true, "userType": "standard",
            "deviceUsageType": "shared", "skipKeyboardSelectionPage": true, "hideEscapeLink": true
        }
    })
}

fn assert_both_names(profile: &Json, locale: &str, on: bool, user_type: &str) {
    assert_eq!(profile["language"], locale, "{profile}");
    assert_eq!(profile["locale"], locale, "{profile}");
    for (old, new) in [
        ("extractHardwareHash", "hardwareHashExtractionEnabled"),
        ("enableWhiteGlove", "preprovisioningAllowed"),
    ] {
        assert_eq!(profile[old], on, "{old}: {profile}");
        assert_eq!(profile[new], on, "{new}: {profile}");
    }
    let (old, new) = (
        &profile["outOfBoxExperienceSettings"],
        &profile["outOfBoxExperienceSetting"],
    );
    for (old_name, new_name) in [
        ("hidePrivacySettings", "privacySettingsHidden"),
        ("hideEULA", "eulaHidden"),
        ("skipKeyboardSelectionPage", "keyboardSelectionPageSkipped"),
        ("hideEscapeLink", "escapeLinkHidden"),
    ] {
        assert_eq!(old[old_name], on, "{old_name}: {profile}");
        assert_eq!(new[new_name], on, "{new_name}: {profile}");
    }
    assert_eq!(old["userType"], user_type);
    assert_eq!(new["userType"], user_type);
    assert_eq!(old["deviceUsageType"], new["deviceUsageType"]);
}

#[tokio::test]
async fn each_pair_is_one_value_under_two_names_on_both_profile_types() {
    let app = spawn_app().await;
    for odata_type in TYPES {
        let created = body_of(
            send(&app, Method::POST, PROFILES, Some(legacy(odata_type))).await,
            StatusCode::CREATED,
        )
        .await;
        assert_both_names(&created, "de-DE", true, "standard");
        assert_eq!(
            created["outOfBoxExperienceSetting"]["deviceUsageType"],
            "shared"
        );
        let item = format!("{PROFILES}/{}", created["id"].as_str().unwrap());

        // The new names change what the old ones read.
        let patch = json!({
            "locale": "fr-FR", "hardwareHashExtractionEnabled": false,
            "preprovisioningAllowed": false,
            "outOfBoxExperienceSetting": {
                "privacySettingsHidden": false, "eulaHidden": false, "userType": "administrator",
                "keyboardSelectionPageSkipped": false, "escapeLinkHidden": false
            }
        });
        let patched = body_of(
            send(&app, Method::PATCH, &item, Some(patch)).await,
            StatusCode::OK,
        )
        .await;
        assert_both_names(&patched, "fr-FR", false, "administrator");
        let read = body_of(send(&app, Method::GET, &item, None).await, StatusCode::OK).await;
        assert_both_names(&read, "fr-FR", false, "administrator");

        // Both names with one value are accepted; $filter and $select know either name.
        let same = json!({"enableWhiteGlove": true, "preprovisioningAllowed": true});
        body_of(
            send(&app, Method::PATCH, &item, Some(same)).await,
            StatusCode::OK,
        )
        .await;
        let listed = body_of(
            send(
                &app,
                Method::GET,
                &format!("{PROFILES}?$filter=language eq 'fr-FR'&$select=id,enableWhiteGlove,preprovisioningAllowed"),
                None,
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let row = listed["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == created["id"])
            .unwrap_or_else(|| panic!("{listed}"));
        assert_eq!(row["enableWhiteGlove"], true);
        assert_eq!(row["preprovisioningAllowed"], true);
    }
}

#[tokio::test]
async fn a_body_that_gives_two_names_of_one_value_different_values_is_refused_naming_them() {
    let app = spawn_app().await;
    let body = json!({
        "@odata.type": TYPES[0],
        "language": "de-DE", "locale": "en-US",
        "outOfBoxExperienceSettings": {"userType": "standard"},
        "outOfBoxExperienceSetting": {"userType": "administrator"}
    });
    let error = error_of(
        send(&app, Method::POST, PROFILES, Some(body)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    let details = error["error"]["details"].as_array().unwrap();
    let messages: Vec<&str> = details
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(details.len(), 2, "{error}");
    assert!(messages[0].contains("'language' and 'locale'"), "{error}");
    assert!(
        messages[1].contains(
            "'outOfBoxExperienceSetting.userType' and 'outOfBoxExperienceSettings.userType'"
        ),
        "{error}"
    );
    let listed = body_of(
        send(&app, Method::GET, PROFILES, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["value"], json!([]), "nothing was stored");
}
