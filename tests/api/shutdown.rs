//! SIGTERM under load, to the real binary: in-flight requests complete, nothing acknowledged is lost.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

use crate::child::{start_service, terminate, wait_for};
use crate::helpers::{COLLECTION, READY_WITHIN, fresh_database};
use crate::load::{Attempt, CreateLoad, missing_devices};

const LOAD_TASKS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_finishes_in_flight_creates_and_acknowledges_only_committed_rows() {
    let database_url = fresh_database().await;
    let url = database_url.clone();
    let (mut service, base) =
        tokio::task::spawn_blocking(move || start_service(&url, &[], Stdio::null()))
            .await
            .unwrap();
    let load = CreateLoad::start(&format!("{base}/v1.0/{COLLECTION}"), LOAD_TASKS);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Hold every create in flight: a table lock all inserts wait for, until every loop has a
    // request out and the service's statements are waiting for the lock.
    let mut db = PgConnection::connect(&database_url).await.unwrap();
    db.execute("BEGIN").await.unwrap();
    db.execute("LOCK TABLE device_identities IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut observer = PgConnection::connect(&database_url).await.unwrap();
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut observer)
        .await
        .unwrap();
        if waiting > 0 && load.in_flight() == LOAD_TASKS {
            break;
        }
        assert!(Instant::now() < deadline, "{waiting} statements wait");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The last requests out reach the service (and queue behind the waiting statements).
    tokio::time::sleep(Duration::from_millis(300)).await;

    terminate(&service);
    let signalled = Instant::now();
    // The listener closes at once; the creates held by the lock are still in flight.
    let address = base.trim_start_matches("http://").to_owned();
    while std::net::TcpStream::connect(&address).is_ok() {
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "still accepting"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    db.execute("COMMIT").await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(35);
    let status = tokio::task::spawn_blocking(move || {
        let status = wait_for(&mut service, deadline).unwrap();
        if status.is_none() {
            let _ = service.kill();
        }
        status
    })
    .await
    .unwrap()
    .expect("the service exits within 35 s of SIGTERM");
    assert!(status.success(), "the service exited with {status}");
    let loops = load.finish().await;

    let mut created: Vec<Uuid> = Vec::new();
    for attempts in &loops {
        for attempt in attempts {
            match &attempt.outcome {
                Ok((StatusCode::CREATED, _)) => created.extend(attempt.created_id()),
                Ok((status, body)) => panic!("a create got {status}: {body}"),
                // The loop's request after the stop: refused, never half answered.
                Err(_) => assert!(attempt.sent > signalled),
            }
        }
        // The create each loop had in flight when the signal came was answered 201.
        let in_flight: Vec<&Attempt> = attempts
            .iter()
            .filter(|a| a.sent < signalled && a.answered > signalled)
            .collect();
        assert_eq!(in_flight.len(), 1);
        assert!(in_flight[0].created_id().is_some());
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM device_identities")
        .fetch_one(&mut observer)
        .await
        .unwrap();
    assert_eq!(
        rows,
        created.len() as i64,
        "every committed row was acknowledged"
    );
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    assert!(missing_devices(&pool, &created).await.is_empty());
}
