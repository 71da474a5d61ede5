//! End-to-end: the official JavaScript Graph client (@microsoft/microsoft-graph-client, among
//! tests/browser's node modules) over HTTPS: tests/browser/graph_client.mjs gets a token from the
//! service's token endpoint, creates devices and pages through them with PageIterator, which follows
//! `@odata.nextLink` only when it is an https URL.
//!
//! Needs the node modules: `AUTOPILOT_BROWSER_DIR=$(scripts/browser-env | tail -n 1)`. Ignored under
//! plain `cargo test`; scripts/test prepares them and runs it. Run without the variable, it fails.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::child::{required_env, run_to_success};
use crate::helpers::{TempDir, https_app_with_registered_app};

const SCRIPT: &str = "graph_client.mjs";
const MODULE: &str = "node_modules/@microsoft/microsoft-graph-client";
const TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The devices the script creates, in pages of 4.
const DEVICES: i64 = 25;

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_BROWSER_DIR from scripts/browser-env (scripts/test runs it)"]
async fn the_official_javascript_client_pages_through_devices_over_https() {
    let node_dir = PathBuf::from(required_env(
        "AUTOPILOT_BROWSER_DIR",
        "AUTOPILOT_BROWSER_DIR=$(scripts/browser-env | tail -n 1)",
    ));
    assert!(
        node_dir.join(SCRIPT).is_file() && node_dir.join(MODULE).is_dir(),
        "AUTOPILOT_BROWSER_DIR={} has no {SCRIPT} and {MODULE}; run scripts/browser-env",
        node_dir.display()
    );
    let data_dir = TempDir::new("graph-client-https");
    let (app, credentials) = https_app_with_registered_app(&data_dir).await;

    let mut command = Command::new("node");
    command
        .arg(SCRIPT)
        .arg(&app.base)
        .current_dir(&node_dir)
        .env("NODE_EXTRA_CA_CERTS", data_dir.0.join("tls/ca.pem"))
        .env("AZURE_TENANT_ID", credentials["tenantId"].as_str().unwrap())
        .env("AZURE_CLIENT_ID", credentials["clientId"].as_str().unwrap())
        .env(
            "AZURE_CLIENT_SECRET",
            credentials["clientSecret"].as_str().unwrap(),
        )
        .env("AZURE_AUTHORITY_HOST", &app.base);
    let run = run_to_success(command, TIMEOUT).await;
    assert!(
        run.stdout.contains("graph-client e2e: 2 passed, 0 failed"),
        "the script's summary line is missing"
    );
    assert_eq!(app.device_rows().await, DEVICES);
}
