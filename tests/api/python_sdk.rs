//! End-to-end: the official Microsoft Graph Python SDK (msgraph-sdk, pinned in
//! tests/e2e/requirements.txt) drives the service through tests/e2e/python_sdk.py, as a Graph client
//! whose base URL was changed would.
//!
//! Needs the SDK's virtualenv: `AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)`. Ignored under
//! plain `cargo test`; scripts/test prepares the virtualenv and runs it. Run without the variable,
//! it fails.

use std::time::Duration;

use crate::child::{python, required_env, run_to_success};
use crate::helpers::spawn_app;

const TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_python_sdk_works_against_the_service() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app().await;
    let mut command = python(&venv_python, "tests/e2e/python_sdk.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}
