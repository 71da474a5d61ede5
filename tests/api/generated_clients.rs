//! End-to-end: clients generated from the committed openapi/openapi.json by third-party generators,
//! as a team that does not use Microsoft's SDKs would make them, run a flow against the service
//! (tests/generated/): a Python client from openapi-python-client, and a TypeScript one from
//! openapi-typescript with openapi-fetch, checked by `tsc --strict`. Each generator must finish
//! without a warning: a warning is an operation or model it dropped or could not type. Redocly's
//! recommended lint must find no error in the document.
//!
//! Needs the generators: `AUTOPILOT_GENERATORS_DIR=$(scripts/generators-env | tail -n 1)`. Ignored
//! under plain `cargo test`; scripts/test prepares them and runs these. Run without the variable,
//! they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use autopilot_registry::config::GRAPH_AUDIENCES;
use autopilot_registry::identity::mint_token;
use uuid::Uuid;

use crate::child::{Run, python, required_env, run_to_success};
use crate::helpers::{TempDir, TestApp, fresh_database, spawn_app_with};

const TIMEOUT: Duration = Duration::from_secs(5 * 60);
const SECRET: &str = "generated-clients-test-secret-of-32-bytes";

fn generators_dir() -> PathBuf {
    let dir = PathBuf::from(required_env(
        "AUTOPILOT_GENERATORS_DIR",
        "AUTOPILOT_GENERATORS_DIR=$(scripts/generators-env | tail -n 1)",
    ));
    assert!(
        dir.join("venv/bin/python").is_file() && dir.join("node/node_modules/.bin").is_dir(),
        "AUTOPILOT_GENERATORS_DIR={} holds no venv and node modules; run scripts/generators-env",
        dir.display()
    );
    dir
}

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn document() -> PathBuf {
    repository("openapi/openapi.json")
}

/// The service with tokens required, and a token of an app with every permission the flows use.
async fn service() -> (TestApp, String) {
    let app = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", SECRET],
    )
    .await;
    let roles = [
        "DeviceManagementServiceConfig.ReadWrite.All",
        "Group.ReadWrite.All",
        "Device.ReadWrite.All",
        "Directory.ReadWrite.All",
    ]
    .map(str::to_owned);
    let token = mint_token(
        SECRET,
        GRAPH_AUDIENCES[0],
        None,
        Uuid::new_v4(),
        &roles,
        None,
        Duration::from_secs(3600),
    );
    (app, token)
}

/// A generator's run succeeded and said nothing of a warning.
fn assert_no_warning(generator: &str, run: &Run) {
    let said = format!("{}{}", run.stdout, run.stderr).to_lowercase();
    assert!(
        !said.contains("warning") && !said.contains('⚠'),
        "{generator} warned (its output is above)"
    );
}

fn assert_flow_completed(run: &Run, client: &str) {
    assert!(
        run.stdout
            .contains(&format!("{client} client: flow complete")),
        "the {client} flow did not complete"
    );
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_GENERATORS_DIR from scripts/generators-env (scripts/test runs it)"]
async fn a_python_client_generated_without_warnings_runs_the_flow() {
    let generators = generators_dir();
    let bin = generators.join("venv/bin");
    let work = TempDir::new("python-client");
    let package = work.0.join("graph_client");
    let mut generate = Command::new(bin.join("openapi-python-client"));
    generate
        .args(["generate", "--meta", "none", "--path"])
        .arg(document())
        .arg("--output-path")
        .arg(&package)
        // Its post-generation hook runs ruff, installed beside it.
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    assert_no_warning(
        "openapi-python-client",
        &run_to_success(generate, TIMEOUT).await,
    );

    let (app, token) = service().await;
    let python_path = bin.join("python");
    let mut flow = python(
        python_path.to_str().unwrap(),
        "tests/generated/python_flow.py",
    );
    flow.arg(&package).arg(&app.base).arg(&token);
    assert_flow_completed(&run_to_success(flow, TIMEOUT).await, "python");
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_GENERATORS_DIR from scripts/generators-env (scripts/test runs it)"]
async fn a_typescript_client_generated_without_warnings_runs_the_flow() {
    let modules = generators_dir().join("node/node_modules");
    let work = TempDir::new("typescript-client");
    std::os::unix::fs::symlink(&modules, work.0.join("node_modules")).unwrap();
    for file in ["typescript_flow.mts", "tsconfig.json"] {
        std::fs::copy(
            repository(&format!("tests/generated/{file}")),
            work.0.join(file),
        )
        .unwrap();
    }
    let mut generate = Command::new(modules.join(".bin/openapi-typescript"));
    generate
        .arg(document())
        .arg("--output")
        .arg(work.0.join("schema.d.ts"));
    assert_no_warning(
        "openapi-typescript",
        &run_to_success(generate, TIMEOUT).await,
    );
    let mut compile = Command::new(modules.join(".bin/tsc"));
    compile.args(["-p", "tsconfig.json"]).current_dir(&work.0);
    run_to_success(compile, TIMEOUT).await;

    let (app, token) = service().await;
    let mut flow = Command::new("node");
    flow.arg("typescript_flow.mjs")
        .arg(&app.base)
        .arg(&token)
        .current_dir(&work.0);
    assert_flow_completed(&run_to_success(flow, TIMEOUT).await, "typescript");
}

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_GENERATORS_DIR from scripts/generators-env (scripts/test runs it)"]
async fn redocly_recommended_lint_finds_no_error_in_the_document() {
    let redocly = generators_dir().join("node/node_modules/.bin/redocly");
    let mut lint = Command::new(redocly);
    lint.args(["lint", "--extends=recommended", "--format=json"])
        .arg(document())
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
    let run = run_to_success(lint, TIMEOUT).await;
    let report: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("redocly's report is JSON");
    assert_eq!(report["totals"]["errors"], 0, "{report:#}");
}
