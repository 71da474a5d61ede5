//! End-to-end in a real browser: headless Chromium opens the service's Swagger UI, and "Try it out"
//! → "Execute" on the v1.0 create operation with the document's example body creates a device on
//! the same server (tests/browser/swagger_ui.mjs, driven with playwright-core).
//!
//! Needs Chromium and the script's node modules: `AUTOPILOT_BROWSER_DIR=$(scripts/browser-env | tail -n 1)`.
//! Ignored under plain `cargo test`; scripts/test prepares them and runs it. Run without the
//! variable, it fails. The page's full-page screenshot is left at
//! `$CARGO_TARGET_DIR/test-artifacts/swagger-ui.png` (`target/` when CARGO_TARGET_DIR is unset).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::child::{required_env, run_to_success};
use autopilot_registry::config::GRAPH_AUDIENCES;
use autopilot_registry::identity::mint_token;

use crate::helpers::{COLLECTION, fresh_database, spawn_app_with};

const BROWSER_DIR_VARIABLE: &str = "AUTOPILOT_BROWSER_DIR";
const SCRIPT: &str = "swagger_ui.mjs";
/// The script bounds each of its waits by 30 s; this only catches a hung browser or node.
const TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The line the script prints on success, before the id of the device it created.
const CREATED_PREFIX: &str = "swagger-ui: 201 ";

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_BROWSER_DIR from scripts/browser-env (scripts/test runs it)"]
async fn swagger_ui_try_it_out_creates_a_device_in_a_real_browser() {
    let browser_dir = PathBuf::from(required_env(
        BROWSER_DIR_VARIABLE,
        "AUTOPILOT_BROWSER_DIR=$(scripts/browser-env | tail -n 1)",
    ));
    assert!(
        browser_dir.join(SCRIPT).is_file() && browser_dir.join("node_modules").is_dir(),
        "{BROWSER_DIR_VARIABLE}={} has no {SCRIPT} and node_modules; run scripts/browser-env",
        browser_dir.display()
    );
    let screenshot = artifacts_dir().join("swagger-ui.png");
    let _ = std::fs::remove_file(&screenshot); // never mistake an old one for this run's
    // With authentication on, so that the run also proves Swagger UI's Authorize button.
    let secret = "browser-test-secret-of-at-least-32-bytes";
    let app = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", secret],
    )
    .await;
    let token = mint_token(
        secret,
        GRAPH_AUDIENCES[0],
        None,
        Uuid::new_v4(),
        &["DeviceManagementServiceConfig.ReadWrite.All".to_owned()],
        None,
        Duration::from_secs(600),
    );
    let base_url = format!("http://{}", app.address);

    let mut command = Command::new("node");
    command
        .arg(SCRIPT)
        .arg(&base_url)
        .arg(&screenshot)
        .current_dir(&browser_dir)
        .env("SWAGGER_UI_TOKEN", &token);
    let run = run_to_success(command, TIMEOUT).await;
    let png = std::fs::read(&screenshot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", screenshot.display()));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        screenshot.display()
    );

    let id = created_id(&run.stdout);
    let response = app
        .client
        .get(app.url(&format!("v1.0/{COLLECTION}/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the device {id} created in the browser"
    );
    let device: Json = response.json().await.unwrap();
    assert_eq!(device["id"], id.to_string(), "{device}");
}

/// The id in the script's `swagger-ui: 201 <id>` line.
fn created_id(stdout: &str) -> Uuid {
    let line = stdout
        .lines()
        .find_map(|line| line.trim_end().strip_prefix(CREATED_PREFIX))
        .unwrap_or_else(|| panic!("no `{CREATED_PREFIX}<id>` line in the script's output"));
    line.parse()
        .unwrap_or_else(|e| panic!("`{CREATED_PREFIX}{line}`: not a GUID: {e}"))
}

/// `<target dir>/test-artifacts`: CARGO_TARGET_DIR when set (relative to the package, where cargo
/// runs tests), else the package's `target/`.
fn artifacts_dir() -> PathBuf {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => package.join(dir),
        _ => package.join("target"),
    };
    target.join("test-artifacts")
}
