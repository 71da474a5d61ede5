//! The database going away and coming back: no hang, no 500, no acknowledged write lost, and
//! serving again without a restart.

use std::time::{Duration, Instant};

use autopilot_registry::Application;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Connection, PgConnection};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::ImageExt;
use testcontainers_modules::testcontainers::core::IntoContainerPort;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use uuid::Uuid;

use crate::helpers::{
    COLLECTION, DbProxy, READY_WITHIN, error_of, free_port, fresh_database, http_client,
    postgres_image, serve_args, spawn_app_on,
};
use crate::load::{Attempt, CreateLoad, missing_devices};

/// Every request is answered within this, whatever the database does.
const ANSWERED_WITHIN: Duration = Duration::from_secs(10);
/// Once the database accepts connections again, creates succeed within this.
const SERVES_AGAIN_WITHIN: Duration = Duration::from_secs(5);

/// Waits until PostgreSQL at `url` accepts a connection and returns when it did.
async fn accepting_connections(url: &str) -> Instant {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if PgConnection::connect(url).await.is_ok() {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "PostgreSQL did not come back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_create_is_lost_when_the_database_stops_and_starts_mid_load() {
    // A container of its own (the others' tests share one): stopped and started on a fixed port.
    let port = free_port();
    let (name, tag) = postgres_image();
    let container = Postgres::default()
        .with_name(name)
        .with_tag(tag)
        .with_mapped_port(port, 5432.tcp())
        .start()
        .await
        .expect("a PostgreSQL container of its own");
    let database_url = format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres");
    let app = spawn_app_on(&database_url).await;

    let load = CreateLoad::start(&app.collection_url("v1.0"), 8);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // SIGTERM, then SIGKILL a second later: in-flight statements die with their connections.
    container.stop_with_timeout(Some(1)).await.unwrap();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    container.start().await.unwrap();
    let back = accepting_connections(&database_url).await;
    tokio::time::sleep(SERVES_AGAIN_WITHIN + Duration::from_secs(1)).await;
    let attempts: Vec<Attempt> = load.finish().await.into_iter().flatten().collect();

    for attempt in &attempts {
        let waited = attempt.answered - attempt.sent;
        assert!(waited <= ANSWERED_WITHIN, "a create took {waited:?}");
        match &attempt.outcome {
            Ok((StatusCode::CREATED, _)) => {}
            Ok((StatusCode::SERVICE_UNAVAILABLE, body)) => {
                assert_eq!(body["error"]["code"], "serviceNotAvailable", "{body}")
            }
            Ok((status, body)) => panic!("a create got {status}: {body}"),
            Err(problem) => panic!("a create got no answer: {problem}"),
        }
    }
    let created: Vec<Uuid> = attempts.iter().filter_map(Attempt::created_id).collect();
    let created_during = |from: Instant, to: Instant| {
        attempts
            .iter()
            .filter(|a| a.created_id().is_some() && a.sent >= from && a.answered <= to)
            .count()
    };
    assert!(created_during(stopped - Duration::from_secs(1), stopped) > 0);
    let unavailable = attempts
        .iter()
        .filter(|a| matches!(a.outcome, Ok((StatusCode::SERVICE_UNAVAILABLE, _))))
        .count();
    assert!(unavailable > 0, "the outage was never noticed");
    let first_after_return = attempts
        .iter()
        .filter(|a| a.created_id().is_some() && a.sent >= back)
        .map(|a| a.answered)
        .min()
        .expect("creates succeed again once the database is back");
    assert!(
        first_after_return - back <= SERVES_AGAIN_WITHIN,
        "serving again took {:?}",
        first_after_return - back
    );

    let missing = missing_devices(&app.db().await, &created).await;
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged devices are missing: {missing:?}",
        missing.len(),
        created.len()
    );
    assert_eq!(app.get("readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_service_started_before_its_database_answers_503_then_serves() {
    let proxy = DbProxy::start(&fresh_database().await).await;
    proxy.cut();
    // Building does not wait for the database.
    let application = tokio::time::timeout(
        Duration::from_secs(5),
        Application::build(&serve_args(&proxy.database_url, &[])),
    )
    .await
    .expect("the service listens without its database")
    .unwrap();
    let base = format!("http://{}", application.address());
    let ready = application.ready();
    let _running = tokio::spawn(application.run_until_stopped());
    let client = http_client();
    let create = || {
        client
            .post(format!("{base}/v1.0/{COLLECTION}"))
            .json(&json!({"serialNumber": "EARLY"}))
            .send()
    };

    let alive = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
    let waiting = Duration::from_secs(3);
    tokio::time::sleep(waiting).await;
    let not_ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    error_of(
        not_ready,
        StatusCode::SERVICE_UNAVAILABLE,
        "serviceNotAvailable",
    )
    .await;
    let early = create().await.unwrap();
    assert!(early.headers().contains_key("retry-after"));
    error_of(
        early,
        StatusCode::SERVICE_UNAVAILABLE,
        "serviceNotAvailable",
    )
    .await;
    // It kept trying, with pauses between the tries rather than in a tight loop.
    let tries = proxy.refused();
    assert!(
        (2..100).contains(&tries),
        "{tries} connection attempts in {waiting:?}"
    );

    proxy.restore();
    let restored = Instant::now();
    tokio::time::timeout(READY_WITHIN, ready)
        .await
        .expect("the service migrates once the database is back");
    // The pause between tries grows to at most 5 s.
    assert!(
        restored.elapsed() < Duration::from_secs(7),
        "{:?}",
        restored.elapsed()
    );
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(create().await.unwrap().status(), StatusCode::CREATED);
}
