//! A failed request is logged once, with its cause and the request id its client saw.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::{Connection, Executor, PgConnection};

use crate::child::{drain, start_service, terminate, wait_for};
use crate::helpers::{COLLECTION, fresh_database, http_client};

#[tokio::test]
async fn a_database_error_is_logged_once_with_its_cause_and_request_id() {
    let database_url = fresh_database().await;
    let url = database_url.clone();
    let (mut service, base) =
        tokio::task::spawn_blocking(move || start_service(&url, &[], Stdio::piped()))
            .await
            .unwrap();
    let stderr = drain(service.stderr.take().unwrap());

    // A column the service selects goes away behind its back: every list now fails in PostgreSQL.
    let mut db = PgConnection::connect(&database_url).await.unwrap();
    db.execute("ALTER TABLE device_identities RENAME COLUMN model TO model_renamed")
        .await
        .unwrap();
    let response = http_client()
        .get(format!("{base}/v1.0/{COLLECTION}"))
        .header("client-request-id", "logging-test")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("model"),
        "the cause must stay in the log: {body}"
    );

    terminate(&service);
    let ended = tokio::task::spawn_blocking(move || {
        wait_for(&mut service, Instant::now() + Duration::from_secs(30))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(ended.is_some(), "the service did not stop on SIGTERM");
    let log = stderr.join().unwrap();

    let about_it: Vec<&str> = log.lines().filter(|l| l.contains(&request_id)).collect();
    assert_eq!(about_it.len(), 1, "one line names the request:\n{log}");
    assert!(
        about_it[0].contains("500") && about_it[0].contains("model"),
        "the line carries the status and the database's reason: {}",
        about_it[0]
    );
    let cause_lines = log.lines().filter(|l| l.contains("model")).count();
    assert_eq!(cause_lines, 1, "the cause is logged once:\n{log}");
}
