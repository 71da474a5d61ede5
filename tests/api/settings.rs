//! windowsAutopilotSettings and sync (beta): one settings object per tenant, a sync that runs for a
//! moment (409 meanwhile) and a cooldown (429 with Retry-After), both kept in PostgreSQL.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::helpers::{TestApp, error_of, fresh_database, spawn_app, spawn_app_with};

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
