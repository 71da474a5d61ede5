use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::helpers::{DbProxy, error_of, fresh_database, serve_args, spawn_app_on};

#[tokio::test]
async fn liveness_ignores_the_database_and_readiness_follows_it() {
    let proxy = DbProxy::start(&fresh_database().await).await;
    let app = spawn_app_on(&proxy.database_url).await;

    let alive = app.get("healthz").await;
    assert_eq!(alive.status(), StatusCode::OK);
    assert_eq!(alive.json::<Json>().await.unwrap(), json!({"status": "ok"}));
    let ready = app.get("readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<Json>().await.unwrap(),
        json!({"status": "ready"})
    );

    proxy.cut();
    assert_eq!(app.get("healthz").await.status(), StatusCode::OK);
    let not_ready = app.get("readyz").await;
    assert!(not_ready.headers().contains_key("retry-after"));
    error_of(
        not_ready,
        StatusCode::SERVICE_UNAVAILABLE,
        "serviceNotAvailable",
    )
    .await;
}

#[tokio::test]
async fn readiness_needs_every_migration() {
    let database_url = fresh_database().await;
    let app = spawn_app_on(&database_url).await;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&app.db().await)
    .await
    .unwrap();
    let response = app.get("readyz").await;
    error_of(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "serviceNotAvailable",
    )
    .await;
}

#[tokio::test]
async fn an_address_in_use_is_named_with_the_flag_that_changes_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let args = serve_args("postgres://unused", &["--bind", &address]);
    let refused = autopilot_registry::Application::build(&args).await;
    let message = refused.err().expect("the address is taken").to_string();
    assert!(
        message.contains(&address)
            && message.contains("--bind")
            && message.contains("AUTOPILOT_BIND"),
        "{message}"
    );
}
