//! End-to-end: the official Microsoft Graph Python SDK (msgraph-sdk, pinned in
//! tests/e2e/requirements.txt) drives the service through tests/e2e/python_sdk.py, as a Graph client
//! whose base URL was changed would.
//!
//! Needs the SDK's virtualenv: `AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)`. Without it the
//! test is skipped, unless `AUTOPILOT_REQUIRE_E2E=1` (as in CI), which makes the missing venv a failure.

use std::time::Duration;

use crate::child::{python, run_to_success, tool_or_skip};
use crate::helpers::spawn_app;

const TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[tokio::test]
async fn the_official_python_sdk_works_against_the_service() {
    let Some(venv_python) = tool_or_skip("AUTOPILOT_E2E_PYTHON", "scripts/python-env") else {
        return;
    };
    let app = spawn_app().await;
    let mut command = python(&venv_python, "tests/e2e/python_sdk.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}
