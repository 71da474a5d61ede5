//! End-to-end: the official Microsoft Graph Python SDKs (msgraph-sdk and msgraph-beta-sdk, pinned in
//! tests/e2e/requirements.txt) drive the service as a Graph client whose base URL was changed would:
//! v1.0 device identities through tests/e2e/python_sdk.py (anonymously over HTTP, and over HTTPS
//! signed in with azure-identity's ClientSecretCredential against the service's token endpoint), the
//! beta flow of Get-WindowsAutopilotInfo -Online -Assign (import, then profile assignment through a
//! dynamic group and a sync, and the operations below a profile) through
//! tests/e2e/python_beta_sdk.py, an Enrollment Status Page created, assigned and read through
//! tests/e2e/python_beta_sdk_esp.py, the SDK's retry handler riding out injected 429s through
//! tests/e2e/python_retry.py, assignment filters and the deployment profiles' renamed settings
//! through tests/e2e/python_beta_filters.py, and a directory device read through
//! `device.physical_ids`, grouped and offboarded through tests/e2e/python_devices.py, and a managed
//! device found by serial number, synced, wiped and deleted through
//! tests/e2e/python_managed_devices.py, corporate identifiers imported, listed, searched and
//! deleted through tests/e2e/python_corporate_identifiers.py, and Autopilot device preparation set
//! up (the provisioning client's device group, a user group, a policy created, assigned and given
//! the device group, a corporate identifier imported) and a device enrolled into the group through
//! tests/e2e/python_device_preparation.py. One test per script and way in.
//!
//! Needs the SDKs' virtualenv: `AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)`. Ignored under
//! plain `cargo test`; scripts/test prepares the virtualenv and runs it. Run without the variable,
//! it fails.

use std::time::Duration;

use crate::child::{python, required_env, run_to_success};
use crate::control::CONTROL_TOKEN;
use crate::helpers::{
    TempDir, fresh_database, https_app_with_registered_app, spawn_app, spawn_app_on, spawn_app_with,
};

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

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_beta_python_sdk_runs_the_import_and_assignment_flow() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    // The default --import-delay (2 s), so the script sees records stay `unknown` and polls; only
    // a sync settles assignments, so it sees devices stay `pending`.
    let app = spawn_app_with(&fresh_database().await, &["--assignment-delay", "3600"]).await;
    let mut command = python(&venv_python, "tests/e2e/python_beta_sdk.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_beta_python_sdk_creates_assigns_and_reads_an_enrollment_status_page() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app().await;
    let mut command = python(&venv_python, "tests/e2e/python_beta_sdk_esp.py");
    command.arg(format!("http://{}", app.address));
    let run = run_to_success(command, TIMEOUT).await;
    assert!(
        run.stdout
            .contains("python-beta-sdk-esp e2e: 7 passed, 0 failed"),
        "every step ran"
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_python_sdk_signs_in_with_client_secret_credential_over_https() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    // As a staging setup would run: HTTPS from the local CA, tokens required and only the token
    // endpoint's accepted (no secret, no JWKS), an app registered with the command.
    let data_dir = TempDir::new("python-sdk-https");
    let (app, credentials) = https_app_with_registered_app(&data_dir).await;
    let ca = data_dir.0.join("tls/ca.pem");
    let mut command = python(&venv_python, "tests/e2e/python_sdk.py");
    command
        .arg(&app.base)
        .env("AZURE_TENANT_ID", credentials["tenantId"].as_str().unwrap())
        .env("AZURE_CLIENT_ID", credentials["clientId"].as_str().unwrap())
        .env(
            "AZURE_CLIENT_SECRET",
            credentials["clientSecret"].as_str().unwrap(),
        )
        .env("AZURE_AUTHORITY_HOST", &app.base)
        // The CA bundle, for the SDK's httpx and aiohttp (SSL_CERT_FILE) and MSAL's requests.
        .env("SSL_CERT_FILE", &ca)
        .env("REQUESTS_CA_BUNDLE", &ca);
    let run = run_to_success(command, TIMEOUT).await;
    assert!(
        run.stdout
            .contains("a wrong client secret fails with Entra's error"),
        "the credential steps did not run"
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_python_sdk_retries_a_create_answered_429_with_retry_after() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app_with(&fresh_database().await, &["--control"]).await;
    let mut command = python(&venv_python, "tests/e2e/python_retry.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_beta_python_sdk_manages_assignment_filters_and_legacy_profile_names() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app().await;
    let mut command = python(&venv_python, "tests/e2e/python_beta_filters.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_python_sdks_read_physical_ids_and_offboard_a_directory_device() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app_on(&fresh_database().await).await;
    let mut command = python(&venv_python, "tests/e2e/python_devices.py");
    command.arg(format!("http://{}", app.address));
    run_to_success(command, TIMEOUT).await;
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_python_sdk_finds_syncs_wipes_and_deletes_a_managed_device() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let options = ["--control", "--control-token", CONTROL_TOKEN];
    let app = spawn_app_with(&fresh_database().await, &options).await;
    // Authentication off acts for the nil tenant; enrollment made its managed device.
    crate::managed_devices::seed(&app, uuid::Uuid::nil(), &[("PY-MD-0001", "PY-MD-0001")]).await;
    let mut command = python(&venv_python, "tests/e2e/python_managed_devices.py");
    command.arg(format!("http://{}", app.address));
    let run = run_to_success(command, TIMEOUT).await;
    assert!(
        run.stdout
            .contains("python-sdk managed devices e2e: 4 passed, 0 failed"),
        "every step ran"
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_beta_python_sdk_imports_searches_and_deletes_corporate_identifiers() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app().await;
    let mut command = python(&venv_python, "tests/e2e/python_corporate_identifiers.py");
    command.arg(format!("http://{}", app.address));
    let run = run_to_success(command, TIMEOUT).await;
    assert!(
        run.stdout
            .contains("python-corporate-identifiers e2e: 5 passed, 0 failed"),
        "every step ran"
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_E2E_PYTHON from scripts/python-env (scripts/test runs it)"]
async fn the_official_beta_python_sdk_sets_up_device_preparation_and_a_device_enrolls_through_it() {
    let venv_python = required_env(
        "AUTOPILOT_E2E_PYTHON",
        "AUTOPILOT_E2E_PYTHON=$(scripts/python-env | tail -n 1)",
    );
    let app = spawn_app_with(&fresh_database().await, &["--control"]).await;
    let mut command = python(&venv_python, "tests/e2e/python_device_preparation.py");
    command.arg(format!("http://{}", app.address));
    let run = run_to_success(command, TIMEOUT).await;
    assert!(
        run.stdout
            .contains("python-device-preparation e2e: 5 passed, 0 failed"),
        "every step ran"
    );
}
