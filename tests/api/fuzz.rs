//! Schema fuzzing: Schemathesis (pinned in tests/fuzz/requirements.txt) generates thousands of
//! requests, valid and invalid, for every operation of the OpenAPI document the service serves, and
//! checks every answer against that document: never a 5xx, and only the status codes, content types
//! and bodies it describes. tests/fuzz/run.py first validates the document with
//! openapi-spec-validator.
//!
//! Needs the fuzz virtualenv: `AUTOPILOT_FUZZ_PYTHON=$(scripts/python-env fuzz | tail -n 1)`. Ignored
//! under plain `cargo test`; scripts/test prepares the virtualenv and runs it. Run without the
//! variable, it fails.

use std::time::Duration;

use crate::child::{python, required_env, run_to_success};
use crate::helpers::spawn_app;

/// The runner stops Schemathesis itself after 900 s; this only catches a runner that hangs.
const TIMEOUT: Duration = Duration::from_secs(17 * 60);

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_FUZZ_PYTHON from scripts/python-env fuzz (scripts/test runs it)"]
async fn the_service_conforms_to_its_openapi_document_under_schema_fuzzing() {
    let venv_python = required_env(
        "AUTOPILOT_FUZZ_PYTHON",
        "AUTOPILOT_FUZZ_PYTHON=$(scripts/python-env fuzz | tail -n 1)",
    );
    let app = spawn_app().await;
    let mut command = python(&venv_python, "tests/fuzz/run.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}
