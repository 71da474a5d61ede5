//! The private PostgreSQL `serve` runs when no DATABASE_URL is given.

use autopilot_registry::Application;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::path::Path;
use std::process::Stdio;

use crate::child::{run_with_timeout, start_serve, terminate};
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

/// The pid on the first line of a PostgreSQL lock file.
fn pid_in(lock: &Path) -> libc::pid_t {
    let text = std::fs::read_to_string(lock).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
}

fn sigkill(pid: libc::pid_t) {
    // SAFETY: a signal to a process this test started (the service) or that the service started.
    assert_eq!(
        unsafe { libc::kill(pid, libc::SIGKILL) },
        0,
        "SIGKILL to {pid}"
    );
}

#[tokio::test]
async fn a_restart_after_the_service_and_its_postgres_were_both_killed_serves_the_data() {
    let data_dir = std::env::temp_dir().join(format!("embedded-{}", uuid::Uuid::new_v4()));
    let data = data_dir.to_str().unwrap().to_owned();
    let start = |stderr: Stdio| {
        let data = data.clone();
        move || start_serve(&["--data-dir", &data], stderr)
    };
    let client = http_client();

    let (mut service, base) = tokio::task::spawn_blocking(start(Stdio::null()))
        .await
        .unwrap();
    let collection = format!("{base}/v1.0/{COLLECTION}");
    let created = client
        .post(&collection)
        .json(&json!({"serialNumber": "KILLED-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let id = created.json::<Json>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // PostgreSQL first, so that it cannot shut down cleanly when its parent dies; it stays a zombie
    // of the service, then of whatever adopts it (where init does not reap, a zombie for good).
    let postgres = pid_in(&data_dir.join("pgdata/postmaster.pid"));
    let socket_lock = data_dir.join(".s.PGSQL.5432.lock");
    assert_eq!(
        pid_in(&socket_lock),
        postgres,
        "the socket lock names the server"
    );
    sigkill(postgres);
    sigkill(libc::pid_t::try_from(service.id()).unwrap());
    service.wait().unwrap();
    assert!(
        socket_lock.exists(),
        "a killed server leaves its socket lock behind"
    );

    let restart = tokio::task::spawn_blocking(start(Stdio::inherit()));
    let (mut service, base) = tokio::time::timeout(READY_WITHIN, restart)
        .await
        .expect("the restarted service is ready in time")
        .unwrap();
    let read = client
        .get(format!("{base}/v1.0/{COLLECTION}/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(
        read.json::<Json>().await.unwrap()["serialNumber"],
        "KILLED-1"
    );
    terminate(&service);
    service.wait().unwrap();
    std::fs::remove_dir_all(&data_dir).unwrap();
}

/// `app add` on the data directory of a running `serve` (`docker exec` into the all-in-one image
/// does this) uses that service's PostgreSQL, and leaves it running when it exits.
#[tokio::test]
async fn app_add_uses_the_postgres_of_the_service_running_on_the_data_directory() {
    let data_dir = std::env::temp_dir().join(format!("embedded-{}", uuid::Uuid::new_v4()));
    let data = data_dir.to_str().unwrap().to_owned();
    let (mut service, base) = tokio::task::spawn_blocking({
        let data = data.clone();
        move || start_serve(&["--data-dir", &data, "--auth", "jwt"], Stdio::null())
    })
    .await
    .unwrap();
    let postgres = pid_in(&data_dir.join("pgdata/postmaster.pid"));

    let tenant = uuid::Uuid::new_v4().to_string();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_autopilot-registry"));
    command
        .args(["app", "add", "--data-dir", &data, "--tenant", &tenant])
        .args(["--roles", "DeviceManagementServiceConfig.ReadWrite.All"])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    let run = tokio::task::spawn_blocking(move || run_with_timeout(command, READY_WITHIN))
        .await
        .unwrap()
        .unwrap();
    assert!(
        run.succeeded(),
        "app add: {}: {}",
        run.outcome(),
        run.stderr
    );
    let app: Json = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        pid_in(&data_dir.join("pgdata/postmaster.pid")),
        postgres,
        "the service's server still runs"
    );

    // The service's token endpoint knows the app: both used one database.
    let client = http_client();
    let token = client
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", app["clientId"].as_str().unwrap()),
            ("client_secret", app["clientSecret"].as_str().unwrap()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);
    let token = token.json::<Json>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = client
        .get(format!("{base}/v1.0/{COLLECTION}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);

    terminate(&service);
    assert!(service.wait().unwrap().success());
    assert!(
        !data_dir.join("pgdata/postmaster.pid").exists(),
        "the server stopped with the service"
    );
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
