//! End-to-end in a real browser: headless Chromium opens the service's Swagger UI, and "Try it out"
//! → "Execute" on the v1.0 create operation with the document's example body creates a device on
//! the same server (tests/browser/swagger_ui.mjs, driven with playwright-core); and it walks the web
//! console (tests/browser/console.mjs): every page, a search, a simulated enrollment, a fault
//! rule's hits rising, and axe-core's accessibility check on each page.
//!
//! Needs Chromium and the script's node modules: `AUTOPILOT_BROWSER_DIR=$(scripts/browser-env | tail -n 1)`.
//! Ignored under plain `cargo test`; scripts/test prepares them and runs it. Run without the
//! variable, it fails. The pages' full-page screenshots are left at
//! `$CARGO_TARGET_DIR/test-artifacts/swagger-ui.png` and `console-*.png` (`target/` when
//! CARGO_TARGET_DIR is unset).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::child::{required_env, run_to_success};
use autopilot_registry::config::GRAPH_AUDIENCES;
use autopilot_registry::identity::mint_token;

use crate::console::{SERIAL, console_app, staged_device};
use crate::helpers::{COLLECTION, fresh_database, spawn_app_with};

const BROWSER_DIR_VARIABLE: &str = "AUTOPILOT_BROWSER_DIR";
const SCRIPT: &str = "swagger_ui.mjs";
const CONSOLE_SCRIPT: &str = "console.mjs";
/// The script bounds each of its waits by 30 s; this only catches a hung browser or node.
const TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The line the script prints on success, before the id of the device it created.
const CREATED_PREFIX: &str = "swagger-ui: 201 ";

/// The directory of the node scripts and their modules, which must hold `script`.
fn browser_dir(script: &str) -> PathBuf {
    let browser_dir = PathBuf::from(required_env(
        BROWSER_DIR_VARIABLE,
        "AUTOPILOT_BROWSER_DIR=$(scripts/browser-env | tail -n 1)",
    ));
    assert!(
        browser_dir.join(script).is_file() && browser_dir.join("node_modules").is_dir(),
        "{BROWSER_DIR_VARIABLE}={} has no {script} and node_modules; run scripts/browser-env",
        browser_dir.display()
    );
    browser_dir
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_BROWSER_DIR from scripts/browser-env (scripts/test runs it)"]
async fn swagger_ui_try_it_out_creates_a_device_in_a_real_browser() {
    let browser_dir = browser_dir(SCRIPT);
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

/// The pages the console script saves, each checked by axe-core first.
const CONSOLE_PAGES: [&str; 13] = [
    "sign-in",
    "overview",
    "devices",
    "enroll",
    "device",
    "imports",
    "profiles",
    "profile",
    "groups",
    "group",
    "enrollment-configurations",
    "enrollment-configuration",
    "traffic",
];

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_BROWSER_DIR from scripts/browser-env (scripts/test runs it)"]
async fn console_walk_in_a_real_browser() {
    let browser_dir = browser_dir(CONSOLE_SCRIPT);
    let shots = artifacts_dir();
    for name in CONSOLE_PAGES {
        let _ = std::fs::remove_file(shots.join(format!("console-{name}.png")));
    }
    let token = "browser-console-control-token";
    let app = console_app(&["--control-token", token]).await;
    staged_device(&app, Some(token)).await;
    // A fault rule the script's requests hit, so that its hits rise on the traffic page.
    let faulted = "/beta/deviceManagement/windowsAutopilotSettings";
    let rule = app
        .client
        .post(app.url("_control/faults"))
        .bearer_auth(token)
        .json(&serde_json::json!({"method": "GET", "path": faulted, "status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status(), StatusCode::CREATED);

    let mut command = Command::new("node");
    command
        .arg(CONSOLE_SCRIPT)
        .arg(format!("http://{}", app.address))
        .arg(&shots)
        .arg(SERIAL)
        .arg(faulted)
        .current_dir(&browser_dir)
        .env("CONSOLE_TOKEN", token);
    let run = run_to_success(command, TIMEOUT).await;
    assert!(run.stdout.contains("console: 13 pages"), "{}", run.stdout);
    for name in CONSOLE_PAGES {
        let path = shots.join(format!("console-{name}.png"));
        let png = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            path.display()
        );
    }
    // What the browser did is in the service: the device enrolled, the rule hit.
    let managed: Json = app
        .client
        .get(app.url("beta/deviceManagement/managedDevices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(managed["value"][0]["serialNumber"], SERIAL, "{managed}");
    let faults: Json = app
        .client
        .get(app.url("_control/faults"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(faults["value"][0]["hits"].as_u64() >= Some(3), "{faults}");
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
