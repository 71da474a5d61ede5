//! Stopping the real binary: under load, in-flight requests complete and nothing acknowledged is
//! lost; while it waits for a database that refuses it, a signal stops it at once.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

use crate::child::{start_service, terminate, wait_for};
use crate::helpers::{COLLECTION, READY_WITHIN, fresh_database, http_client};
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

/// A database that answers but refuses the service (here: one that does not exist) is named at
/// each retry in the log and by `/readyz`, and SIGTERM or SIGINT still stops the waiting service.
#[tokio::test]
async fn a_refusing_database_is_named_in_the_log_and_readyz_and_a_signal_still_stops_the_wait() {
    let existing = fresh_database().await;
    let (server, _) = existing.rsplit_once('/').unwrap();
    let missing = format!("{server}/no_such_database_{}", Uuid::new_v4().simple());
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut service = std::process::Command::new(env!("CARGO_BIN_EXE_autopilot-registry"))
            .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &missing])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(service.stdout.take().unwrap()).lines();
        let listening = stdout.next().unwrap().unwrap();
        let base = listening
            .strip_prefix("autopilot-registry listening on ")
            .unwrap()
            .to_owned();
        // Read on a thread of its own, so that a service that logs nothing fails the test in time.
        let (lines, logged) = std::sync::mpsc::channel();
        let stderr = BufReader::new(service.stderr.take().unwrap());
        std::thread::spawn(move || {
            stderr
                .lines()
                .map_while(Result::ok)
                .try_for_each(|line| lines.send(line))
        });
        let mut refusals = 0;
        while refusals < 2 {
            let line = logged
                .recv_timeout(Duration::from_secs(20))
                .expect("the service logs why it waits, at each retry");
            if line.contains("database not ready") {
                assert!(line.contains("does not exist"), "{line}");
                refusals += 1;
            }
        }

        let ready = http_client()
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = ready.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("does not exist"), "{message}");

        let pid = libc::pid_t::try_from(service.id()).unwrap();
        // SAFETY: a signal to our own child, not reaped yet.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = tokio::task::spawn_blocking(move || {
            wait_for(&mut service, Instant::now() + Duration::from_secs(10))
        })
        .await
        .unwrap()
        .unwrap()
        .unwrap_or_else(|| panic!("still waiting 10 s after signal {signal}"));
        assert!(status.success(), "signal {signal}: {status}");
    }
}
