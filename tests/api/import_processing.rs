//! Import processing is durable and exactly once: a service killed mid-batch leaves its records for
//! the next one, and two services on one database share the queue without doing a record twice. A
//! tenant whose batch fails waits alone.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

use crate::auth::{SECRET, WRITE, claims, hs256};
use crate::child::start_service;
use crate::helpers::{fresh_database, http_client, send_as, spawn_app_with};
use crate::imports::{HASH, IMPORTED};

/// Imports `count` records with serial numbers `{prefix}-{i}` through `base` (`http://host:port`),
/// 500 per call.
async fn import(base: &str, prefix: &str, count: usize) {
    let client = http_client();
    let records: Vec<_> = (0..count)
        .map(|i| json!({"serialNumber": format!("{prefix}-{i}"), "hardwareIdentifier": HASH}))
        .collect();
    for chunk in records.chunks(500) {
        let response = client
            .post(format!("{base}/beta/{IMPORTED}/import"))
            .json(&json!({"importedWindowsAutopilotDeviceIdentities": chunk}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
    }
}

/// Waits until no record is pending, then checks that every one completed into its own device and
/// that the devices are exactly those records' (none made twice, none lost).
async fn all_processed_exactly_once(db: &PgPool, records: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM imported_device_identities WHERE pending")
                .fetch_one(db)
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{pending} records still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (complete, distinct_devices): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE device_import_status = 'complete'), \
                count(DISTINCT device_registration_id) FILTER (WHERE device_import_status = 'complete') \
         FROM imported_device_identities",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(
        complete, records,
        "every record completed (a second pass would make it a 806)"
    );
    assert_eq!(distinct_devices, records);
    let (devices, matching): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE id::text IN \
             (SELECT device_registration_id FROM imported_device_identities)) \
         FROM device_identities",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!((devices, matching), (records, records));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_a_killed_service_was_processing_are_finished_once_after_a_restart() {
    let database_url = fresh_database().await;
    let url = database_url.clone();
    let (mut first, base) = tokio::task::spawn_blocking(move || {
        start_service(&url, &["--import-delay", "0"], Stdio::null())
    })
    .await
    .unwrap();

    // Hold processing inside its transaction: device inserts wait for this lock.
    let mut holder = PgConnection::connect(&database_url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("LOCK TABLE device_identities IN EXCLUSIVE MODE")
        .await
        .unwrap();
    import(&base, "KILL", 1_200).await;
    let db = PgPool::connect(&database_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO device_identities%'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "processing never reached its insert"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // SIGKILL mid-batch: the claimed records stay pending, their devices uncommitted.
    first.kill().unwrap();
    first.wait().unwrap();
    holder.execute("COMMIT").await.unwrap();
    let url = database_url.clone();
    let (mut second, _) = tokio::task::spawn_blocking(move || {
        start_service(&url, &["--import-delay", "0"], Stdio::null())
    })
    .await
    .unwrap();
    all_processed_exactly_once(&db, 1_200).await;
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_services_on_one_database_process_each_record_once() {
    let database_url = fresh_database().await;
    let options = ["--import-delay", "0"];
    let one = spawn_app_with(&database_url, &options).await;
    let two = spawn_app_with(&database_url, &options).await;
    let (base_one, base_two) = (
        format!("http://{}", one.address),
        format!("http://{}", two.address),
    );
    tokio::join!(
        import(&base_one, "ONE", 1_500),
        import(&base_two, "TWO", 1_500)
    );
    all_processed_exactly_once(&one.db().await, 3_000).await;
}

/// The import status of the tenant's records, once none is `unknown`, within `within`.
async fn statuses_within(db: &PgPool, tenant: Uuid, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    loop {
        let statuses: Vec<String> = sqlx::query_scalar(
            "SELECT device_import_status FROM imported_device_identities WHERE tenant_id = $1",
        )
        .bind(tenant)
        .fetch_all(db)
        .await
        .unwrap();
        if !statuses.is_empty() && statuses.iter().all(|s| s != "unknown") {
            return statuses;
        }
        assert!(
            Instant::now() < deadline,
            "tenant {tenant}: {statuses:?} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A tenant whose import batch fails (a fault injected into its devices' inserts) is held back
/// alone: another tenant's import, made after it and so behind it in the queue, is processed at
/// once; the failing tenant's goes through once the fault is gone, after its backoff.
#[tokio::test]
async fn a_tenants_failing_import_batch_does_not_delay_another_tenants_import() {
    let app = spawn_app_with(
        &fresh_database().await,
        &[
            "--auth",
            "jwt",
            "--jwt-secret",
            SECRET,
            "--import-delay",
            "0",
        ],
    )
    .await;
    let db = app.db().await;
    let (failing, healthy) = (Uuid::new_v4(), Uuid::new_v4());
    db.execute(sqlx::AssertSqlSafe(format!(
        "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$; \
         CREATE TRIGGER injected_fault BEFORE INSERT ON device_identities FOR EACH ROW \
             WHEN (NEW.tenant_id = '{failing}') EXECUTE FUNCTION injected_fault()"
    )))
    .await
    .unwrap();
    let import_as = |tenant: Uuid, serial: &'static str| {
        let app = &app;
        async move {
            let record = json!({"serialNumber": serial, "hardwareIdentifier": HASH});
            let response = send_as(
                app,
                &hs256(&claims(tenant, &[WRITE])),
                Method::POST,
                &format!("beta/{IMPORTED}/import"),
                Some(json!({"importedWindowsAutopilotDeviceIdentities": [record]})),
            )
            .await;
            assert_eq!(response.status(), reqwest::StatusCode::OK);
        }
    };
    import_as(failing, "FAILS-1").await;
    // Its batch has failed once: the tenant waits out a backoff.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM import_retries WHERE tenant_id = $1")
        .bind(failing)
        .fetch_one(&db)
        .await
        .unwrap()
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the failing batch was never tried"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    import_as(healthy, "HEALTHY-1").await;
    let started = Instant::now();
    assert_eq!(
        statuses_within(&db, healthy, Duration::from_secs(3)).await,
        ["complete"]
    );
    println!(
        "the other tenant's import processed after {:?}",
        started.elapsed()
    );
    let failing_now: String = sqlx::query_scalar(
        "SELECT device_import_status FROM imported_device_identities WHERE tenant_id = $1",
    )
    .bind(failing)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(failing_now, "unknown");

    db.execute("DROP TRIGGER injected_fault ON device_identities")
        .await
        .unwrap();
    assert_eq!(
        statuses_within(&db, failing, Duration::from_secs(70)).await,
        ["complete"]
    );
    let retries: i64 = sqlx::query_scalar("SELECT count(*) FROM import_retries")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(retries, 0, "a batch that went through ends the backoff");
}
