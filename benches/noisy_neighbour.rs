//! Noisy-neighbour benchmark (a program that prints figures, not a test): how much one tenant's
//! heavy membership work slows another tenant's requests.
//!
//! Against an already running service under `--auth jwt` (`AUTOPILOT_BENCH_URL`), its freshly
//! migrated, empty database (`DATABASE_URL`) and a bearer token for each of two tenants
//! (`AUTOPILOT_NOISY_TOKENS`: tenant A's, then B's, as `autopilot-registry token` mints them), it:
//!
//! 1. loads tenant A with `AUTOPILOT_BENCH_DEVICES` device identities (100,000) in SQL, group
//!    tags `Tag-0` .. `Tag-99`, and tenant B with 1,000;
//! 2. through the service, as A: `AUTOPILOT_BENCH_GROUPS` (100) dynamic groups, each a rule of 17
//!    `-contains` terms (within the 1,024 characters a rule may have), each assigned to one of 20
//!    profiles; waits until A is worked out;
//! 3. **quiet**: for `AUTOPILOT_BENCH_SECONDS` (30), B's clients (`AUTOPILOT_BENCH_CONNECTIONS`, 4)
//!    alternate a device PATCH and a page GET as fast as answers come;
//! 4. **noisy**: the same, while A PATCHes one of its groups' rules every 2 s (each a whole-tenant
//!    recompute of 100,000 devices against 100 rules);
//! 5. prints B's p50 / p99 / max and its 5xx count in both phases; the target is a noisy p99
//!    within 2x the quiet one, with no 5xx.
//!
//! Run it with `scripts/bench-noisy`, which recreates the database, starts the release build of
//! the service and mints the tokens. `AUTOPILOT_BENCH_STRICT=1` exits with status 2 when the
//! target is missed.

use std::env;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use sqlx::PgConnection;
use uuid::Uuid;

#[path = "common/client.rs"]
mod client;
#[path = "common/mod.rs"]
mod common;

use client::{json_of, percentile};
use common::{BoxError, connect, exit_code, number, show};

const DEVICES: &str = "beta/deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES: &str = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const PROFILE_COUNT: usize = 20;
const TERMS: usize = 17;
const B_DEVICES: i64 = 1000;
const NOISE_EVERY: Duration = Duration::from_secs(2);
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);
const TARGET_RATIO: f64 = 2.0;

struct Settings {
    database_url: String,
    base_url: String,
    tokens: [String; 2],
    devices: i64,
    groups: usize,
    seconds: u64,
    connections: usize,
    strict: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let required = |name: &str| env::var(name).map_err(|_| format!("{name} is not set"));
        let tokens: Vec<String> = required("AUTOPILOT_NOISY_TOKENS")?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let [a, b]: [String; 2] = tokens
            .try_into()
            .map_err(|_| "AUTOPILOT_NOISY_TOKENS needs two tokens, A's and B's")?;
        Ok(Settings {
            database_url: required("DATABASE_URL")?,
            base_url: required("AUTOPILOT_BENCH_URL")?
                .trim_end_matches('/')
                .to_owned(),
            tokens: [a, b],
            devices: number("AUTOPILOT_BENCH_DEVICES", 100_000)?,
            groups: number("AUTOPILOT_BENCH_GROUPS", 100)?,
            seconds: number("AUTOPILOT_BENCH_SECONDS", 30)?,
            connections: number("AUTOPILOT_BENCH_CONNECTIONS", 4)?,
            strict: env::var("AUTOPILOT_BENCH_STRICT").is_ok_and(|v| v == "1"),
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    exit_code("noisy_neighbour", run().await)
}

async fn run() -> Result<bool, BoxError> {
    let settings = Settings::from_env()?;
    let mut db = connect(&settings.database_url).await?;
    // reqwest is built without a TLS provider of its own (the service brings ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let [a, b] = settings.tokens.clone().map(|token| Tenant {
        client: client.clone(),
        base_url: settings.base_url.clone(),
        token,
    });
    println!(
        "noisy_neighbour: PostgreSQL {}, shared_buffers {}",
        show(&mut db, "server_version").await?,
        show(&mut db, "shared_buffers").await?
    );
    let (tenant_a, tenant_b) = (a.tenant().await?, b.tenant().await?);
    let started = Instant::now();
    load(&mut db, tenant_a, settings.devices, "A").await?;
    load(&mut db, tenant_b, B_DEVICES, "B").await?;
    println!(
        "noisy_neighbour: {} devices for A, {B_DEVICES} for B, loaded in {:.1} s",
        settings.devices,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut profiles = Vec::new();
    for n in 0..PROFILE_COUNT {
        let body = json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                          "displayName": format!("Noisy {n}")});
        profiles.push(a.created_id(PROFILES, &body).await?);
    }
    let mut groups = Vec::new();
    for k in 0..settings.groups {
        let body = json!({
            "displayName": format!("Tag-{k}"), "mailNickname": format!("tag{k}"),
            "mailEnabled": false, "securityEnabled": true,
            "groupTypes": ["DynamicMembership"], "membershipRule": rule(k, 0),
        });
        let group = a.created_id("beta/groups", &body).await?;
        let target = json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                                       "groupId": group}});
        a.send(
            reqwest::Method::POST,
            &format!("{PROFILES}/{}/assignments", profiles[k % PROFILE_COUNT]),
            Some(&target),
        )
        .await?;
        groups.push(group);
    }
    wait_until_quiet(&mut db).await?;
    println!(
        "noisy_neighbour: {} groups of {TERMS}-term -contains rules created and A worked out in {:.1} s",
        settings.groups,
        started.elapsed().as_secs_f64()
    );

    let b_devices: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM device_identities WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_b)
            .fetch_all(&mut db)
            .await?;
    let b = Arc::new(b);
    let b_devices = Arc::new(b_devices);
    let quiet = phase(&settings, &b, &b_devices, None).await?;
    let noise = Noise {
        tenant: a,
        groups,
        db: settings.database_url.clone(),
    };
    let noisy = phase(&settings, &b, &b_devices, Some(noise)).await?;

    println!();
    for (name, figures) in [("quiet", &quiet), ("noisy", &noisy)] {
        println!(
            "noisy_neighbour: B {name}: {} requests, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} 5xx{}",
            figures.latencies.len(),
            percentile(&figures.latencies, 0.50),
            percentile(&figures.latencies, 0.99),
            percentile(&figures.latencies, 1.0),
            figures.server_errors,
            figures
                .recomputes
                .map(|n| format!(" ({n} PATCHes of A's groups, each a whole-tenant recompute)"))
                .unwrap_or_default()
        );
    }
    let ratio =
        percentile(&noisy.latencies, 0.99) / percentile(&quiet.latencies, 0.99).max(f64::EPSILON);
    let content = ratio <= TARGET_RATIO && quiet.server_errors + noisy.server_errors == 0;
    println!(
        "noisy_neighbour: B's p99 noisy / quiet = {ratio:.2} (target: within {TARGET_RATIO}x with no 5xx: {})",
        if content { "met" } else { "MISSED" }
    );
    Ok(content || !settings.strict)
}

/// Rule `version` of group `k`: 17 `-contains` terms, one of which takes the devices tagged
/// `Tag-k` (the others match nothing), so every version takes the same devices and each change
/// costs a whole evaluation without moving a device.
fn rule(k: usize, version: usize) -> String {
    let mut terms: Vec<String> = (1..TERMS)
        .map(|j| format!(r#"device.devicePhysicalIds -any (_ -contains "n{version}x{j}")"#))
        .collect();
    terms.push(format!(
        r#"device.devicePhysicalIds -any (_ -contains ":Tag-{k}z")"#
    ));
    terms.join(" -or ")
}

async fn load(
    db: &mut PgConnection,
    tenant: Uuid,
    devices: i64,
    name: &str,
) -> Result<(), BoxError> {
    sqlx::query(
        "INSERT INTO device_identities (tenant_id, serial_number, group_tag) \
         SELECT $1, $3 || '-' || lpad(i::text, 7, '0'), 'Tag-' || (i % 100) || 'z' \
         FROM generate_series(1, $2) AS i",
    )
    .bind(tenant)
    .bind(devices)
    .bind(name)
    .execute(&mut *db)
    .await?;
    sqlx::query("ANALYZE device_identities")
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Waits until no change waits to be worked out.
async fn wait_until_quiet(db: &mut PgConnection) -> Result<(), BoxError> {
    let started = Instant::now();
    loop {
        let busy: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM assignment_recomputes)")
            .fetch_one(&mut *db)
            .await?;
        if !busy {
            return Ok(());
        }
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err("the tenants never became quiet".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Tenant A's changes during the noisy phase.
struct Noise {
    tenant: Tenant,
    groups: Vec<Uuid>,
    db: String,
}

struct Figures {
    latencies: Vec<f64>,
    server_errors: usize,
    /// The PATCHes A sent meanwhile (noisy phase).
    recomputes: Option<usize>,
}

/// B's load for the configured time, with A's noise if given.
async fn phase(
    settings: &Settings,
    b: &Arc<Tenant>,
    devices: &Arc<Vec<Uuid>>,
    noise: Option<Noise>,
) -> Result<Figures, BoxError> {
    let stop = Arc::new(AtomicBool::new(false));
    let step = settings.connections;
    let mut clients = Vec::new();
    for index in 0..settings.connections {
        let (b, devices, stop) = (Arc::clone(b), Arc::clone(devices), Arc::clone(&stop));
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut server_errors = 0;
            let mut n = index;
            while !stop.load(Ordering::Relaxed) {
                let device = devices[n % devices.len()];
                let (method, path, body) = match n % 2 {
                    0 => (
                        reqwest::Method::PATCH,
                        format!("{DEVICES}/{device}"),
                        Some(json!({"displayName": format!("B-{n}")})),
                    ),
                    _ => (reqwest::Method::GET, format!("{DEVICES}?$top=20"), None),
                };
                let started = Instant::now();
                let status = b.status(method, &path, body.as_ref()).await?;
                latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                if status >= 500 {
                    server_errors += 1;
                } else if status >= 400 {
                    return Err(format!("B's {path} answered {status}").into());
                }
                // Clients step by their number, so two never PATCH one device at once.
                n += step;
            }
            Ok::<_, BoxError>((latencies, server_errors))
        }));
    }
    let noisy = noise.map(|noise| {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let mut db = connect(&noise.db).await?;
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) {
                let k = sent % noise.groups.len();
                let body = json!({"membershipRule": rule(k, sent + 1)});
                let path = format!("beta/groups/{}", noise.groups[k]);
                let status = noise
                    .tenant
                    .status(reqwest::Method::PATCH, &path, Some(&body))
                    .await?;
                if status != 204 {
                    return Err(format!("A's PATCH answered {status}").into());
                }
                sent += 1;
                tokio::time::sleep(NOISE_EVERY).await;
            }
            wait_until_quiet(&mut db).await?;
            Ok::<_, BoxError>(sent)
        })
    });
    tokio::time::sleep(Duration::from_secs(settings.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut figures = Figures {
        latencies: Vec::new(),
        server_errors: 0,
        recomputes: None,
    };
    for client in clients {
        let (latencies, server_errors) = client.await??;
        figures.latencies.extend(latencies);
        figures.server_errors += server_errors;
    }
    if let Some(noisy) = noisy {
        figures.recomputes = Some(noisy.await??);
    }
    Ok(figures)
}

/// One tenant's client: its token on every request.
struct Tenant {
    client: reqwest::Client,
    base_url: String,
    token: String,
}

impl Tenant {
    /// The tenant its token names (`tid`).
    async fn tenant(&self) -> Result<Uuid, BoxError> {
        use base64::Engine;
        let payload = self.token.split('.').nth(1).ok_or("a token is not a JWT")?;
        let claims: Json = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)?,
        )?;
        Ok(claims["tid"]
            .as_str()
            .ok_or("a token has no tid")?
            .parse()?)
    }

    async fn status(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<u16, BoxError> {
        let mut request = self
            .client
            .request(method, format!("{}/{path}", self.base_url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        response.bytes().await?;
        Ok(status)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Json>,
    ) -> Result<Json, BoxError> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}/{path}", self.base_url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        json_of(request.send().await?, &format!("{method} {path}")).await
    }

    async fn created_id(&self, path: &str, body: &Json) -> Result<Uuid, BoxError> {
        let created = self.send(reqwest::Method::POST, path, Some(body)).await?;
        Ok(created["id"]
            .as_str()
            .ok_or_else(|| format!("POST {path} answered no id: {created}"))?
            .parse()?)
    }
}
