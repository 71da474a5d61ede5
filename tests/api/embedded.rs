//! The private PostgreSQL `serve` runs when no DATABASE_URL is given.

use autopilot_registry::Application;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::path::Path;

use crate::helpers::{COLLECTION, READY_WITHIN, http_client, serve_args};

/// `serve` on loopback port 0 with its data in `data_dir`, whatever DATABASE_URL says.
async fn start(data_dir: &Path, options: &[&str]) -> Result<Application, String> {
    let data_dir = data_dir.to_str().unwrap();
    let mut options = options.to_vec();
    options.extend(["--data-dir", data_dir]);
    let mut args = serve_args("unused", &options);
    args.database.database_url = None;
    Application::build(&args).await.map_err(|e| e.to_string())
}

async fn serve(
    application: Application,
) -> (
    String,
    actix_web::dev::ServerHandle,
    tokio::task::JoinHandle<Result<(), autopilot_registry::StartupError>>,
) {
    let base = format!("http://{}/v1.0/{COLLECTION}", application.address());
    let handle = application.handle();
    let ready = application.ready();
    let running = tokio::spawn(application.run_until_stopped());
    tokio::time::timeout(READY_WITHIN, ready)
        .await
        .expect("the service applies its migrations");
    (base, handle, running)
}

#[tokio::test]
async fn devices_survive_a_restart_in_the_data_directory() {
    let data_dir = std::env::temp_dir().join(format!("embedded-{}", uuid::Uuid::new_v4()));
    let client = http_client();

    let (base, handle, running) = serve(start(&data_dir, &[]).await.unwrap()).await;
    let created: Json = client
        .post(&base)
        .json(&json!({"serialNumber": "EMB-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    assert!(
        data_dir.join("pgdata/PG_VERSION").is_file(),
        "the cluster lives in the data directory"
    );
    assert!(
        !data_dir.join("pgdata/postmaster.pid").exists(),
        "the server stopped with the service"
    );

    // A crash leaves postmaster.pid behind, naming a process that is gone.
    std::fs::write(data_dir.join("pgdata/postmaster.pid"), "999999\n").unwrap();

    let (base, handle, running) = serve(start(&data_dir, &[]).await.unwrap()).await;
    let response = client.get(format!("{base}/{id}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Json>().await.unwrap()["serialNumber"],
        "EMB-1"
    );
    handle.stop(true).await;
    running.await.unwrap().unwrap();
    std::fs::remove_dir_all(&data_dir).unwrap();
}

#[tokio::test]
async fn missing_server_binaries_are_a_clear_error() {
    let data_dir = std::env::temp_dir().join(format!("embedded-{}", uuid::Uuid::new_v4()));
    let error = start(&data_dir, &["--pg-bin", "/nonexistent/bin"])
        .await
        .err()
        .expect("refused");
    assert!(
        error.contains("--pg-bin /nonexistent/bin holds no initdb and postgres"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
