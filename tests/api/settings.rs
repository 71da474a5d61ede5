//! windowsAutopilotSettings and sync (beta): one settings object per tenant, a sync that runs for a
//! moment (409 meanwhile) and a cooldown (429 with Retry-After), both kept in PostgreSQL; a PATCH
//! that leaves the sync's state to the service, and no DELETE.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};

use crate::helpers::{TestApp, error_of, fresh_database, send, spawn_app, spawn_app_with};

const SETTINGS: &str = "beta/deviceManagement/windowsAutopilotSettings";

async fn settings(app: &TestApp) -> Json {
    let response = app.get(SETTINGS).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn sync(app: &TestApp) -> reqwest::Response {
    app.client
        .post(app.url(&format!("{SETTINGS}/sync")))
        .send()
        .await
        .unwrap()
}

/// Waits until the running sync has completed.
async fn completed(app: &TestApp) -> Json {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let settings = settings(app).await;
        if settings["syncStatus"] == "completed" {
            return settings;
        }
        assert!(
            Instant::now() < deadline,
            "the sync never completed: {settings}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_tenant_has_settings_and_a_sync_that_runs_then_completes() {
    let app = spawn_app_with(&fresh_database().await, &["--sync-cooldown", "0"]).await;
    let first = settings(&app).await;
    assert_eq!(first["syncStatus"], "unknown");
    assert_eq!(first["lastSyncDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(
        first["lastManualSyncTriggerDateTime"],
        "0001-01-01T00:00:00Z"
    );
    assert!(
        first["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/beta/$metadata#deviceManagement/windowsAutopilotSettings/$entity")
    );
    assert_eq!(
        settings(&app).await["id"],
        first["id"],
        "one settings object"
    );

    assert_eq!(sync(&app).await.status(), StatusCode::NO_CONTENT);
    let running = settings(&app).await;
    assert_eq!(running["syncStatus"], "inProgress");
    assert_ne!(
        running["lastManualSyncTriggerDateTime"],
        "0001-01-01T00:00:00Z"
    );
    error_of(sync(&app).await, StatusCode::CONFLICT, "Conflict").await;

    let done = completed(&app).await;
    assert!(
        done["lastSyncDateTime"].as_str().unwrap()
            >= running["lastManualSyncTriggerDateTime"].as_str().unwrap()
    );
    // Scripts send an empty body or `{}`.
    let with_body = app
        .client
        .post(app.url(&format!("{SETTINGS}/sync")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_body.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_second_sync_within_the_cooldown_is_429_with_the_seconds_left_on_every_instance() {
    let database = fresh_database().await;
    let one = spawn_app_with(&database, &[]).await;
    let two = spawn_app_with(&database, &[]).await;
    assert_eq!(sync(&one).await.status(), StatusCode::NO_CONTENT);
    completed(&one).await;
    for app in [&one, &two] {
        let refused = sync(app).await;
        let retry_after: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((590..=600).contains(&retry_after), "{retry_after}");
        error_of(refused, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests").await;
    }
}

#[tokio::test]
async fn settings_are_beta_only_and_per_tenant_resources() {
    let app = spawn_app().await;
    let v1 = app
        .get("v1.0/deviceManagement/windowsAutopilotSettings")
        .await;
    let body = error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'windowsAutopilotSettings'."
    );
    let unknown = app.get(&format!("{SETTINGS}/resync")).await;
    error_of(unknown, StatusCode::BAD_REQUEST, "BadRequest").await;
    let wrong_verb = app.get(&format!("{SETTINGS}/sync")).await;
    error_of(
        wrong_verb,
        StatusCode::BAD_REQUEST,
        "No method match route template",
    )
    .await;
}

#[tokio::test]
async fn a_patch_answers_the_settings_and_leaves_the_sync_state_to_the_service() {
    let app = spawn_app().await;
    let before = settings(&app).await;
    // The reference page's example body: its values are the service's to set.
    let patched = send(
        &app,
        Method::PATCH,
        SETTINGS,
        Some(json!({
            "@odata.type": "#microsoft.graph.windowsAutopilotSettings",
            "lastSyncDateTime": "2017-01-01T00:02:49.3205976-08:00",
            "lastManualSyncTriggerDateTime": "2016-12-31T23:57:54.7364636-08:00",
            "syncStatus": "inProgress"
        })),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Json = patched.json().await.unwrap();
    assert_eq!(patched, before);
    assert_eq!(settings(&app).await, before);
    let empty = send(&app, Method::PATCH, SETTINGS, Some(json!({}))).await;
    assert_eq!(empty.status(), StatusCode::OK);

    // A property the type does not have, or another type, is refused as on any update.
    for body in [
        json!({"syncStatus": "inProgress", "autoSync": true}),
        json!({"@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity"}),
    ] {
        let refused = send(&app, Method::PATCH, SETTINGS, Some(body)).await;
        error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    let v1 = send(
        &app,
        Method::PATCH,
        "v1.0/deviceManagement/windowsAutopilotSettings",
        Some(json!({})),
    )
    .await;
    error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;
    // The SDK's builder has a DELETE; Graph has no delete of a singleton.
    let deleted = send(&app, Method::DELETE, SETTINGS, None).await;
    error_of(
        deleted,
        StatusCode::BAD_REQUEST,
        "No method match route template",
    )
    .await;
    assert_eq!(settings(&app).await, before);
}
