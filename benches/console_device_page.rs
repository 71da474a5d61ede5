//! The web console's device page at 100,000 devices (a program that prints figures, not a test).
//!
//! Against an already running service with `--console --control` (`AUTOPILOT_BENCH_URL`) and its
//! database (`DATABASE_URL`), it makes sure the default tenant holds a Kiosk profile assigned to a
//! dynamic group of the devices tagged Kiosk and 100,000 devices so tagged (seeded through the
//! control plane when it holds fewer), then times `GET /console/tenants/{tenant}/devices/{id}`,
//! each for another device across the table, one request at a time on one keep-alive connection,
//! and prints p50 / p99 / max. The target: p99 under 50 ms.
//!
//! Run it with `scripts/bench-console`. Settings (environment): `AUTOPILOT_BENCH_DEVICES`
//! (100000), `AUTOPILOT_BENCH_REQUESTS` (1000), `AUTOPILOT_BENCH_WARMUP` (100),
//! `AUTOPILOT_BENCH_STRICT=1` (exit with status 2 when the target is missed).

use std::env;
use std::process::ExitCode;
use std::time::Instant;

#[path = "common/client.rs"]
mod client;
#[path = "common/mod.rs"]
mod common;

use client::{json_of, percentile};
use common::{BoxError, number};
use serde_json::json;
use uuid::Uuid;

/// `--default-tenant`'s default: every request belongs to it without authentication.
const TENANT: &str = "00000000-0000-0000-0000-000000000000";
const TARGET_P99_MS: f64 = 50.0;
const RULE: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk"))"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    common::exit_code("console_device_page", run().await)
}

async fn run() -> Result<bool, BoxError> {
    let url = env::var("AUTOPILOT_BENCH_URL").map_err(|_| "AUTOPILOT_BENCH_URL is not set")?;
    let database_url = env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let devices: i64 = number("AUTOPILOT_BENCH_DEVICES", 100_000)?;
    let requests: usize = number("AUTOPILOT_BENCH_REQUESTS", 1000)?;
    let warmup: usize = number("AUTOPILOT_BENCH_WARMUP", 100)?;
    let strict = env::var("AUTOPILOT_BENCH_STRICT").is_ok_and(|v| v == "1");
    let base = url.trim_end_matches('/').to_owned();

    let mut db = common::connect(&database_url).await?;
    println!(
        "console_device_page: PostgreSQL {} (shared_buffers {}), {} CPU(s) on this machine",
        common::show(&mut db, "server_version").await?,
        common::show(&mut db, "shared_buffers").await?,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let have: i64 =
        sqlx::query_scalar("SELECT count(*) FROM device_identities WHERE tenant_id = $1::uuid")
            .bind(TENANT)
            .fetch_one(&mut db)
            .await?;
    if have < devices {
        let started = Instant::now();
        let post = |path: String, body: serde_json::Value| {
            let http = http.clone();
            async move { json_of(http.post(&path).json(&body).send().await?, &path).await }
        };
        let group = post(
            format!("{base}/beta/groups"),
            json!({"displayName": "Kiosks", "mailNickname": "kiosks", "mailEnabled": false,
                   "securityEnabled": true, "groupTypes": ["DynamicMembership"], "membershipRule": RULE}),
        )
        .await?;
        let profiles = format!("{base}/beta/deviceManagement/windowsAutopilotDeploymentProfiles");
        let profile = post(
            profiles.clone(),
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                   "displayName": "Kiosk"}),
        )
        .await?;
        post(
            format!(
                "{profiles}/{}/assignments",
                profile["id"].as_str().unwrap_or_default()
            ),
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                              "groupId": group["id"]}}),
        )
        .await?;
        let seeded = post(
            format!("{base}/_control/tenants/{TENANT}/seed"),
            json!({"devices": devices - have, "serialPrefix": format!("CON{have}-"), "groupTag": "Kiosk"}),
        )
        .await?;
        post(
            format!("{base}/_control/tenants/{TENANT}/imports/settle"),
            json!({}),
        )
        .await?;
        sqlx::query("ANALYZE").execute(&mut db).await?;
        println!(
            "console_device_page: seeded {} devices in {:.1} s",
            seeded["created"],
            started.elapsed().as_secs_f64()
        );
    }
    let ids: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, serial_number FROM device_identities WHERE tenant_id = $1::uuid ORDER BY id",
    )
    .bind(TENANT)
    .fetch_all(&mut db)
    .await?;
    println!("console_device_page: {} devices in the tenant", ids.len());
    if ids.is_empty() {
        return Err("the tenant has no device".into());
    }
    let mut samples_ms: Vec<f64> = Vec::with_capacity(requests);
    for round in 0..warmup + requests {
        // Devices spread over the table (a multiplicative step, coprime with most sizes).
        let (id, serial) = &ids[(round * 7919) % ids.len()];
        let page = format!("{base}/console/tenants/{TENANT}/devices/{id}");
        let started = Instant::now();
        let response = http.get(&page).send().await?;
        let status = response.status();
        let body = response.text().await?;
        let elapsed = started.elapsed();
        if !status.is_success() || !body.contains(serial.as_str()) {
            return Err(format!("{page}: {status}, without {serial}").into());
        }
        if round >= warmup {
            samples_ms.push(elapsed.as_secs_f64() * 1000.0);
        }
    }
    let (p50, p99, max) = (
        percentile(&samples_ms, 0.50),
        percentile(&samples_ms, 0.99),
        percentile(&samples_ms, 1.0),
    );
    println!(
        "console_device_page: {requests} requests at 1 connection, the device page: \
         p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms"
    );
    let met = p99 < TARGET_P99_MS;
    println!(
        "verdict: the console's device page at {} devices p99 < {TARGET_P99_MS} ms: {}",
        ids.len(),
        if met { "yes" } else { "NO" }
    );
    Ok(met || !strict)
}
