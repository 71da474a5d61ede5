//! End-to-end: the official Microsoft Graph Python SDK (msgraph-sdk, pinned in
//! tests/e2e/requirements.txt) drives the service through tests/e2e/python_sdk.py, as a Graph client
//! whose base URL was changed would.
//!
//! Needs the SDK's virtualenv: `AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)`. Without it the
//! test is skipped, unless `AUTOPILOT_REQUIRE_E2E=1` (as in CI), which makes the missing venv a failure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::child::run_with_timeout;
use crate::helpers::spawn_app;

const PYTHON_VARIABLE: &str = "AUTOPILOT_E2E_PYTHON";
const REQUIRE_VARIABLE: &str = "AUTOPILOT_REQUIRE_E2E";
const SKIPPED: &str = "skipped: set AUTOPILOT_E2E_PYTHON (scripts/python-env prints it)";
const SCRIPT: &str = "tests/e2e/python_sdk.py";
const TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[tokio::test]
async fn the_official_python_sdk_works_against_the_service() {
    let python = match std::env::var(PYTHON_VARIABLE) {
        Ok(python) if !python.is_empty() => python,
        _ if std::env::var(REQUIRE_VARIABLE).as_deref() == Ok("1") => {
            panic!("{SKIPPED} ({REQUIRE_VARIABLE}=1 makes this test required)")
        }
        _ => {
            println!("{SKIPPED}");
            return;
        }
    };
    let app = spawn_app().await;
    let base_url = format!("http://{}", app.address);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCRIPT);

    let mut command = Command::new(&python);
    command
        .arg(&script)
        .arg(&base_url)
        .stdin(Stdio::null())
        .env("PYTHONUNBUFFERED", "1") // keep the lines printed before a kill on timeout
        .env("NO_PROXY", loopback_no_proxy("NO_PROXY"))
        .env("no_proxy", loopback_no_proxy("no_proxy"));
    let started = Instant::now();
    // The service runs on this test's runtime: wait for the child on a blocking thread.
    let run = tokio::task::spawn_blocking(move || run_with_timeout(command, TIMEOUT))
        .await
        .expect("the thread that runs the script");
    let run = run.unwrap_or_else(|e| panic!("cannot run {python} {SCRIPT}: {e}"));

    println!(
        "{python} {SCRIPT} {base_url}: {} after {:.1}s\n--- stdout ---\n{}--- stderr ---\n{}",
        run.outcome(),
        started.elapsed().as_secs_f64(),
        run.stdout,
        run.stderr,
    );
    assert!(
        run.succeeded(),
        "the Python SDK end-to-end run failed (its output is above)"
    );
}

/// The caller's no-proxy list plus the loopback addresses: the SDK's HTTP client honours
/// HTTP(S)_PROXY, which must not capture requests to the service on 127.0.0.1.
fn loopback_no_proxy(variable: &str) -> String {
    match std::env::var(variable) {
        Ok(list) if !list.is_empty() => format!("{list},127.0.0.1,localhost"),
        _ => "127.0.0.1,localhost".to_owned(),
    }
}
