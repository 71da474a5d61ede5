//! Deployment profile settings Graph renamed are one value under two names (issue 26, item 4): a
//! profile written with either name reads back with both, on both concrete types, and a body that
//! gives the two names different values is refused naming them. Profiles stored before the two
//! names shared a column keep the value that was set.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

use sqlx::{Executor, PgPool};

use crate::helpers::{body_of, error_of, fresh_database, send, spawn_app, spawn_app_on};

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

/// Profiles as the two-column schema stored them: one written with the legacy names only, one
/// with the new names only, one with both disagreeing.
const BEFORE_TWINS: &str = "
INSERT INTO deployment_profiles (id, tenant_id, odata_type, display_name, language,
    extract_hardware_hash, enable_white_glove, oobe_hide_privacy_settings, oobe_hide_eula,
    oobe_user_type, oobe_device_usage_type, oobe_skip_keyboard_selection_page,
    oobe_hide_escape_link)
VALUES ('a0000000-0000-4000-8000-000000000001', '00000000-0000-0000-0000-000000000000',
        'microsoft.graph.azureADWindowsAutopilotDeploymentProfile', 'legacy', 'de-DE',
        true, true, true, true, 'standard', 'shared', true, true);
INSERT INTO deployment_profiles (id, tenant_id, odata_type, display_name, locale,
    hardware_hash_extraction_enabled, preprovisioning_allowed, oobe_privacy_settings_hidden,
    oobe_eula_hidden, oobe_setting_user_type, oobe_setting_device_usage_type,
    oobe_keyboard_selection_page_skipped, oobe_escape_link_hidden)
VALUES ('a0000000-0000-4000-8000-000000000002', '00000000-0000-0000-0000-000000000000',
        'microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile', 'new', 'de-DE',
        true, true, true, true, 'standard', 'shared', true, true);
INSERT INTO deployment_profiles (id, tenant_id, odata_type, display_name, language, locale,
    oobe_user_type, oobe_setting_user_type)
VALUES ('a0000000-0000-4000-8000-000000000003', '00000000-0000-0000-0000-000000000000',
        'microsoft.graph.azureADWindowsAutopilotDeploymentProfile', 'both', 'en-GB', 'fr-FR',
        'standard', 'unknownFutureValue');
";

#[tokio::test]
async fn the_migration_keeps_the_value_each_stored_profile_set_under_either_name() {
    let database_url = fresh_database().await;
    let migrator = sqlx::migrate!();
    let twins = migrator
        .iter()
        .position(|m| m.description == "profile property twins")
        .expect("the twins migration");
    let before = migrator.iter().nth(twins - 1).unwrap().version;
    let db = PgPool::connect(&database_url).await.unwrap();
    migrator.run_to(before, &db).await.unwrap();
    db.execute(BEFORE_TWINS).await.unwrap();

    let app = spawn_app_on(&database_url).await;
    for id in [
        "a0000000-0000-4000-8000-000000000001",
        "a0000000-0000-4000-8000-000000000002",
    ] {
        let profile = body_of(
            send(&app, Method::GET, &format!("{PROFILES}/{id}"), None).await,
            StatusCode::OK,
        )
        .await;
        assert_both_names(&profile, "de-DE", true, "standard");
        assert_eq!(
            profile["outOfBoxExperienceSetting"]["deviceUsageType"],
            "shared"
        );
    }
    let both = body_of(
        send(
            &app,
            Method::GET,
            &format!("{PROFILES}/a0000000-0000-4000-8000-000000000003"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(both["locale"], "fr-FR", "the new name wins: {both}");
    assert_eq!(both["language"], "fr-FR");
    assert_eq!(
        both["outOfBoxExperienceSettings"]["userType"],
        "unknownFutureValue"
    );
}
