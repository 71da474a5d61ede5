//! List-latency benchmark (a program that prints figures, not a test).
//!
//! Against an already running service (`AUTOPILOT_BENCH_URL`, e.g. `http://127.0.0.1:18081`) and its
//! database (`DATABASE_URL`), it makes sure the default tenant holds 1,000,000 devices (loading them
//! directly in SQL when it holds fewer), then prints p50 / p99 / max latency of:
//!
//! * `contains(serialNumber,'<term>')` with a selective term (a handful of matching devices);
//! * the first page of the unfiltered list (default page size, 1000 items);
//! * the page reached after 500 `@odata.nextLink` hops with `$top=1000`;
//! * (extra, no target) the first page again with `Accept-Encoding: gzip`, and the bytes each way;
//!
//! plus, as extra figures, the per-hop latency and the total time of that 500-hop walk. Every
//! latency covers sending the request and reading the whole body (not parsing it).
//!
//! Run it with `scripts/bench-list` (which starts a throwaway PostgreSQL and the release build of
//! the service), or by hand: `cargo bench --bench list_latency`.
//!
//! Optional settings (environment): `AUTOPILOT_BENCH_DEVICES` (1000000), `AUTOPILOT_BENCH_REQUESTS`
//! (timed requests per scenario, 200), `AUTOPILOT_BENCH_WARMUP` (20), `AUTOPILOT_BENCH_HOPS` (500),
//! `AUTOPILOT_BENCH_STRICT=1` (exit with status 2 when a target is missed).

use std::env;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};

#[path = "common/mod.rs"]
mod common;

use common::{BoxError, number};

/// `--default-tenant`'s default: every request belongs to it when the service runs without authentication.
const TENANT: &str = "00000000-0000-0000-0000-000000000000";
const COLLECTION: &str = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";
const PAGE_SIZE: usize = 1000;
const TARGET_P99_MS: f64 = 20.0;
/// The deep page may be this much slower than the first one and still count as "no slower".
const DEEP_TOLERANCE: f64 = 0.10;
/// Devices inserted per statement while loading.
const LOAD_CHUNK: i64 = 250_000;
/// The device whose serial number the `contains` term is cut from, per million devices.
const PROBE_DEVICE_PER_MILLION: i64 = 424_242;

struct Settings {
    database_url: String,
    base_url: String,
    devices: i64,
    requests: usize,
    warmup: usize,
    hops: usize,
    strict: bool,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let required = |name: &str| {
            env::var(name).map_err(|_| -> BoxError {
                format!("{name} is not set (scripts/bench-list sets it up)").into()
            })
        };
        Ok(Settings {
            database_url: required("DATABASE_URL")?,
            base_url: required("AUTOPILOT_BENCH_URL")?
                .trim_end_matches('/')
                .to_owned(),
            devices: number("AUTOPILOT_BENCH_DEVICES", 1_000_000)?,
            requests: number("AUTOPILOT_BENCH_REQUESTS", 200)?,
            warmup: number("AUTOPILOT_BENCH_WARMUP", 20)?,
            hops: number("AUTOPILOT_BENCH_HOPS", 500)?,
            strict: env::var("AUTOPILOT_BENCH_STRICT").is_ok_and(|v| v == "1"),
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // `cargo bench` passes `--bench` (and any filter) to harness = false programs: nothing to read.
    common::exit_code("list_latency", run().await)
}

/// Ok(false) when a target was missed and strict mode is on.
async fn run() -> Result<bool, BoxError> {
    let settings = Settings::from_env()?;
    let mut db = common::connect(&settings.database_url).await?;
    let server_version = common::show(&mut db, "server_version").await?;
    let shared_buffers = common::show(&mut db, "shared_buffers").await?;
    println!("list_latency: service {}", settings.base_url);
    println!(
        "list_latency: PostgreSQL {server_version} (shared_buffers {shared_buffers}), {} CPU(s) on this machine",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    ensure_devices(&mut db, settings.devices).await?;
    println!(
        "list_latency: load average (1, 5, 15 min) at the start: {}",
        load_average()
    );

    let term = selective_term((settings.devices * PROBE_DEVICE_PER_MILLION / 1_000_000).max(1));
    let term_matches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM device_identities WHERE tenant_id = $1::uuid AND serial_number ILIKE $2",
    )
    .bind(TENANT)
    .bind(format!("%{term}%"))
    .fetch_one(&mut db)
    .await?;
    println!("list_latency: contains term '{term}' matches {term_matches} device(s)");
    db.close().await?;

    let mut client = Http::default();
    let base = &settings.base_url;
    let first_page_url = format!("{base}{COLLECTION}");
    let contains_url =
        format!("{base}{COLLECTION}?$filter=contains%28serialNumber%2C%27{term}%27%29");

    // Warm the service and its connection pool up.
    println!("list_latency: warming up");
    for _ in 0..settings.warmup {
        get(&mut client, &first_page_url, false)?;
    }

    // The deep page's URL comes from walking the nextLinks; the walk's own figures are extras.
    println!(
        "list_latency: walking {} nextLink hops with $top={PAGE_SIZE}",
        settings.hops
    );
    let walk = walk(
        &mut client,
        &format!("{first_page_url}?$top={PAGE_SIZE}"),
        settings.hops,
    );
    let (deep_url, walk_hops, walk_total, deep_cursor) = match walk {
        Ok(walk) => {
            println!("list_latency: the deep page: {}", walk.deep_url);
            (
                Ok(walk.deep_url),
                Ok(walk.hops),
                Some(walk.total),
                walk.deep_cursor,
            )
        }
        Err(error) => {
            let error = format!("the walk failed: {error}");
            (Err(error.clone()), Err(error), None, None)
        }
    };

    // Interleaved rounds (one GET of each scenario per round), so that whatever else this machine
    // does at the time weighs on the three scenarios alike.
    let mut scenarios = [
        Scenario::new(
            format!("contains(serialNumber,'{term}')"),
            Ok(contains_url),
            None,
        ),
        Scenario::new(
            "first page, unfiltered (1000 items)".into(),
            Ok(first_page_url.clone()),
            Some(PAGE_SIZE),
        ),
        Scenario::new(
            format!("page after {} nextLink hops ($top=1000)", settings.hops),
            deep_url,
            Some(PAGE_SIZE),
        ),
        Scenario::new(
            "first page, gzip (1000 items)".into(),
            Ok(first_page_url),
            Some(PAGE_SIZE),
        )
        .gzipped(),
    ];
    println!(
        "list_latency: {} warm-up and {} timed rounds, each one GET of every scenario in turn",
        settings.warmup, settings.requests
    );
    measure(&mut client, &mut scenarios, &settings);
    let page_bytes = [scenarios[1].wire_bytes, scenarios[3].wire_bytes];
    let mut results: Vec<Outcome> = scenarios.into_iter().map(Scenario::outcome).collect();
    results.push(Outcome::new(
        format!("  (extra) each of the {} walk hops", settings.hops),
        walk_hops,
        false,
    ));
    println!(
        "list_latency: load average (1, 5, 15 min) at the end: {}",
        load_average()
    );

    print_table(&results, walk_total, settings.hops);
    if let [plain, gzipped] = page_bytes
        && gzipped > 0
    {
        println!(
            "first page on the wire: {plain} bytes as JSON, {gzipped} gzip-compressed ({:.1}x smaller)",
            plain as f64 / gzipped as f64
        );
    }

    // Verdicts.
    println!();
    let mut all_met = true;
    for outcome in results.iter().filter(|o| o.has_target) {
        let verdict = match &outcome.samples {
            Ok(samples) => {
                let met = samples.p99_ms() < TARGET_P99_MS;
                all_met &= met;
                format!("{} ({:.2} ms)", yes_no(met), samples.p99_ms())
            }
            Err(_) => {
                all_met = false;
                "NO (failed)".to_string()
            }
        };
        println!(
            "verdict: {:<48} p99 < {TARGET_P99_MS} ms: {verdict}",
            outcome.label
        );
    }
    let first_p99 = results[1].samples.as_ref().ok().map(Samples::p99_ms);
    let deep_p99 = results[2].samples.as_ref().ok().map(Samples::p99_ms);
    let deep_vs_first = match (&results[1].samples, &results[2].samples) {
        (Ok(first), Ok(deep)) => {
            let met = deep.p99_ms() <= first.p99_ms() * (1.0 + DEEP_TOLERANCE);
            all_met &= met;
            format!(
                "{} (p99 deep {:.2} ms vs first {:.2} ms; p50 {:.2} vs {:.2} ms)",
                yes_no(met),
                deep.p99_ms(),
                first.p99_ms(),
                deep.p50_ms(),
                first.p50_ms()
            )
        }
        _ => {
            all_met = false;
            "NO (failed)".to_string()
        }
    };
    println!(
        "verdict: {:<48} p99 <= first page p99 + {:.0}%: {deep_vs_first}",
        results[2].label,
        DEEP_TOLERANCE * 100.0
    );

    // Explain what Postgres did for each query that missed its target.
    if results[0].missed() {
        explain(
            &settings.database_url,
            "contains",
            Some(&format!("%{term}%")),
            None,
        )
        .await;
    }
    if results[1].missed() {
        explain(&settings.database_url, "first page", None, None).await;
    }
    if results[2].missed()
        || deep_p99
            .zip(first_p99)
            .is_some_and(|(d, f)| d > f * (1.0 + DEEP_TOLERANCE))
    {
        match deep_cursor {
            Some(cursor) => explain(&settings.database_url, "deep page", None, Some(&cursor)).await,
            None => println!("\n(no cursor for the deep page: cannot explain it)"),
        }
    }

    Ok(all_met || !settings.strict)
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "NO" }
}

/// Loads devices straight into the table until the default tenant holds `target` of them.
async fn ensure_devices(db: &mut PgConnection, target: i64) -> Result<(), BoxError> {
    let count_sql = "SELECT count(*) FROM device_identities WHERE tenant_id = $1::uuid";
    let have: i64 = sqlx::query_scalar(count_sql)
        .bind(TENANT)
        .fetch_one(&mut *db)
        .await
        .map_err(|e| {
            format!("counting devices failed (has the service applied its migrations?): {e}")
        })?;
    if have >= target {
        println!("list_latency: the tenant already holds {have} devices: no load");
        return Ok(());
    }
    println!(
        "list_latency: the tenant holds {have} devices; loading up to {target} (serials 1..={target})"
    );
    let started = Instant::now();
    // One transaction: an interrupted load leaves the table (and its indexes) as they were.
    let mut tx = db.begin().await?;
    sqlx::raw_sql("SET LOCAL maintenance_work_mem = '512MB'")
        .execute(&mut *tx)
        .await?;
    // Loading most of the table: building the secondary indexes once afterwards is about twice as
    // fast as maintaining them row by row (the trigram GIN indexes especially). The primary key
    // and the unique serial index stay: ON CONFLICT needs the latter.
    let rebuild: Vec<(String, String)> = if target - have > have {
        sqlx::query_as(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
             FROM pg_index i
             WHERE i.indrelid = 'device_identities'::regclass
               AND NOT i.indisunique AND NOT i.indisprimary
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY i.indexrelid",
        )
        .fetch_all(&mut *tx)
        .await?
    } else {
        Vec::new()
    };
    for (name, _) in &rebuild {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP INDEX {name}")))
            .execute(&mut *tx)
            .await?;
    }
    if !rebuild.is_empty() {
        println!(
            "list_latency:   dropped {} secondary indexes, to rebuild after the load",
            rebuild.len()
        );
    }
    let mut first = 1;
    while first <= target {
        let last = (first + LOAD_CHUNK - 1).min(target);
        let chunk_started = Instant::now();
        let inserted = sqlx::query(LOAD_SQL)
            .bind(TENANT)
            .bind(first)
            .bind(last)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        println!(
            "list_latency:   devices {first}..={last}: {inserted} inserted in {:.1} s",
            chunk_started.elapsed().as_secs_f64()
        );
        first = last + 1;
    }
    for (name, definition) in &rebuild {
        let index_started = Instant::now();
        sqlx::raw_sql(AssertSqlSafe(definition.clone()))
            .execute(&mut *tx)
            .await?;
        println!(
            "list_latency:   rebuilt {name} in {:.1} s",
            index_started.elapsed().as_secs_f64()
        );
    }
    tx.commit().await?;
    let inserted_in = started.elapsed();
    // VACUUM as autovacuum eventually would: it merges the trigram indexes' pending lists and sets
    // the visibility map; ANALYZE gives the planner the new statistics.
    let vacuum_started = Instant::now();
    sqlx::raw_sql("VACUUM (ANALYZE) device_identities")
        .execute(&mut *db)
        .await?;
    let vacuumed_in = vacuum_started.elapsed();
    let have: i64 = sqlx::query_scalar(count_sql)
        .bind(TENANT)
        .fetch_one(&mut *db)
        .await?;
    println!(
        "list_latency: load time {:.1} s ({:.1} s INSERT ... SELECT and indexes, {:.1} s VACUUM (ANALYZE)); the tenant now holds {have} devices",
        inserted_in.as_secs_f64() + vacuumed_in.as_secs_f64(),
        inserted_in.as_secs_f64(),
        vacuumed_in.as_secs_f64()
    );
    if have < target {
        return Err(format!("after loading, the tenant holds only {have} devices").into());
    }
    Ok(())
}

/// Devices `$2..=$3` of tenant `$1`. Serial numbers are a vendor prefix and eight hex digits of
/// a bijective scramble of the device number (`i * 2654435761 mod 2^32`), so they are unique,
/// look random and are known to the benchmark (see `serial_number`). A rerun after a partial load
/// only fills the gaps.
const LOAD_SQL: &str = r#"
INSERT INTO device_identities (
    tenant_id, serial_number, display_name, group_tag, manufacturer, model, enrollment_state,
    last_contacted_date_time, user_principal_name, addressable_user_name,
    azure_active_directory_device_id, managed_device_id, purchase_order_identifier, system_family,
    deployment_profile_assignment_status, deployment_profile_assigned_date_time,
    remediation_state, remediation_state_last_modified_date_time, userless_enrollment_status)
SELECT
    $1::uuid,
    (ARRAY['DL', '5CG', 'PF', '0F', 'VMW'])[1 + d.i % 5] || upper(lpad(to_hex(d.h), 8, '0')),
    CASE WHEN d.i % 10 < 7 THEN 'DESKTOP-' || upper(substr(md5(d.i::text), 1, 7)) END,
    (ARRAY['Sales', 'Engineering', 'Kiosk', 'Finance', 'Shared', NULL])[1 + (d.i / 7) % 6],
    (ARRAY['Dell Inc.', 'HP', 'LENOVO', 'Microsoft Corporation', 'VMware, Inc.'])[1 + d.i % 5],
    (ARRAY['Latitude 5440', 'Latitude 7440', 'OptiPlex 7010',
           'HP EliteBook 840 G10', 'HP ProBook 450 G9', 'HP Elite Mini 800 G9',
           '21HD0029US', '20XW0055US', '21CB00B7US',
           'Surface Laptop 5', 'Surface Pro 9', 'Surface Laptop Go 2',
           'VMware7,1', 'VMware20,1', 'VMware Virtual Platform'])[1 + (d.i % 5) * 3 + (d.i / 5) % 3],
    d.state,
    CASE WHEN d.state = 'notContacted' THEN timestamptz '0001-01-01T00:00:00Z'
         ELSE d.contacted END,
    CASE WHEN d.i % 10 < 4 THEN 'user' || (d.i % 50000) || '@contoso.com' END,
    CASE WHEN d.i % 10 < 4 THEN 'User ' || (d.i % 50000) END,
    CASE WHEN d.state = 'enrolled' THEN gen_random_uuid()::text END,
    CASE WHEN d.state = 'enrolled' THEN gen_random_uuid()::text END,
    'PO-' || (2024000 + d.i / 500),
    CASE WHEN d.i % 5 = 4 THEN 'Virtual Machine' ELSE 'Notebook' END,
    CASE WHEN d.state = 'enrolled' THEN 'assignedInSync'
         WHEN d.i % 3 = 0 THEN 'pending' ELSE 'notAssigned' END,
    CASE WHEN d.state = 'enrolled' THEN d.contacted - interval '30 days'
         ELSE timestamptz '0001-01-01T00:00:00Z' END,
    CASE WHEN d.i % 50 = 0 THEN 'automaticRemediationRequired' ELSE 'noRemediationRequired' END,
    d.contacted - interval '1 day',
    CASE WHEN d.i % 20 = 0 THEN 'blocked' ELSE 'allowed' END
FROM (
    SELECT g.i,
           (g.i * 2654435761) % 4294967296 AS h,
           now() - make_interval(secs => ((g.i * 40503) % 31536000)::double precision) AS contacted,
           CASE WHEN g.i % 100 < 60 THEN 'enrolled'
                WHEN g.i % 100 < 85 THEN 'notContacted'
                WHEN g.i % 100 < 90 THEN 'pendingReset'
                WHEN g.i % 100 < 94 THEN 'failed'
                WHEN g.i % 100 < 97 THEN 'blocked'
                ELSE 'unknown' END AS state
    FROM generate_series($2::bigint, $3::bigint) AS g(i)
) AS d
ON CONFLICT (tenant_id, lower(serial_number)) DO NOTHING
"#;

/// The serial number `LOAD_SQL` gives device `i`.
fn serial_number(i: i64) -> String {
    const PREFIXES: [&str; 5] = ["DL", "5CG", "PF", "0F", "VMW"];
    let h = (i * 2_654_435_761) % 4_294_967_296;
    format!("{}{:08X}", PREFIXES[(i % 5) as usize], h)
}

/// Five hex digits from the middle of one device's serial number: a handful of devices match.
fn selective_term(probe_device: i64) -> String {
    let serial = serial_number(probe_device);
    let hex = &serial[serial.len() - 8..];
    hex[2..7].to_owned()
}

/// A GET whose whole body was read; the latency excludes parsing.
/// GETs `url` (gzip-compressed when `gzip` and the service agrees); the latency and the body as
/// it came over the wire.
fn get(client: &mut Http, url: &str, gzip: bool) -> Result<(Duration, Vec<u8>), BoxError> {
    let started = Instant::now();
    let (status, body) = client.get(url, gzip)?;
    let elapsed = started.elapsed();
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let excerpt: String = text.chars().take(300).collect();
        return Err(format!("GET {url}: HTTP {status}: {excerpt}").into());
    }
    Ok((elapsed, body))
}

fn parse_page(url: &str, body: &[u8]) -> Result<(Vec<Value>, Option<String>), BoxError> {
    let mut page: Value = serde_json::from_slice(body)
        .map_err(|e| format!("GET {url}: the body is not JSON: {e}"))?;
    let Some(Value::Array(items)) = page.get_mut("value").map(Value::take) else {
        return Err(format!("GET {url}: the body has no \"value\" array").into());
    };
    let next = page
        .get("@odata.nextLink")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((items, next))
}

struct Scenario {
    label: String,
    /// Err: the scenario failed (or could not even be set up).
    url: Result<String, String>,
    expected_items: Option<usize>,
    /// Asks for gzip; such a scenario is an extra figure, with no target.
    gzip: bool,
    items: usize,
    /// The body's size on the wire (compressed, when it was).
    wire_bytes: usize,
    durations: Vec<Duration>,
}

impl Scenario {
    fn new(label: String, url: Result<String, String>, expected_items: Option<usize>) -> Self {
        Scenario {
            label,
            url,
            expected_items,
            gzip: false,
            items: 0,
            wire_bytes: 0,
            durations: Vec::new(),
        }
    }

    fn gzipped(self) -> Self {
        Scenario { gzip: true, ..self }
    }

    /// One GET, its latency recorded when `timed`; a failure ends the scenario.
    fn get(&mut self, client: &mut Http, timed: bool) {
        let Ok(url) = &self.url else { return };
        match get(client, url, self.gzip) {
            Ok((elapsed, body)) if !body.is_empty() => {
                if timed {
                    self.durations.push(elapsed);
                }
            }
            Ok(_) => self.url = Err(format!("GET {url}: empty body")),
            Err(error) => self.url = Err(error.to_string()),
        }
    }

    /// The first GET: is the answer what the scenario expects?
    fn check(&mut self, client: &mut Http) {
        let Ok(url) = &self.url else { return };
        let mut checked = || {
            let (_, body) = get(client, url, self.gzip)?;
            self.wire_bytes = body.len();
            let body = if self.gzip {
                let mut plain = Vec::new();
                flate2::read::GzDecoder::new(body.as_slice())
                    .read_to_end(&mut plain)
                    .map_err(|e| format!("GET {url} (gzip): not a gzip body: {e}"))?;
                plain
            } else {
                body
            };
            let (items, _) = parse_page(url, &body)?;
            if let Some(expected) = self.expected_items
                && items.len() != expected
            {
                return Err(
                    format!("GET {url}: {} items, expected {expected}", items.len()).into(),
                );
            }
            Ok::<_, BoxError>(items.len())
        };
        match checked() {
            Ok(items) => self.items = items,
            Err(error) => self.url = Err(error.to_string()),
        }
    }

    fn outcome(self) -> Outcome {
        let samples = self.url.map(|_| Samples::new(self.durations, self.items));
        let label = match self.gzip {
            true => format!("  (extra) {}", self.label),
            false => self.label,
        };
        Outcome::new(label, samples, !self.gzip)
    }
}

/// Checks every scenario, then `warmup` untimed and `requests` timed rounds of one GET each.
fn measure(client: &mut Http, scenarios: &mut [Scenario], settings: &Settings) {
    for scenario in scenarios.iter_mut() {
        scenario.check(client);
    }
    for round in 0..settings.warmup + settings.requests {
        for scenario in scenarios.iter_mut() {
            scenario.get(client, round >= settings.warmup);
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

struct Walk {
    /// The nextLink followed by the last hop: the URL of the page reached.
    deep_url: String,
    /// The id of the last device before the deep page (its keyset cursor), for EXPLAIN.
    deep_cursor: Option<String>,
    /// Each hop's GET.
    hops: Samples,
    /// The whole walk from the first GET, client-side JSON parsing included.
    total: Duration,
}

fn walk(client: &mut Http, start_url: &str, hops: usize) -> Result<Walk, BoxError> {
    let started = Instant::now();
    let (_, body) = get(client, start_url, false)?;
    let (mut items, mut next) = parse_page(start_url, &body)?;
    let mut durations = Vec::with_capacity(hops);
    let mut deep_url = start_url.to_owned();
    let mut deep_cursor = None;
    for hop in 1..=hops {
        let Some(url) = next.take() else {
            return Err(format!("the page before hop {hop} has no @odata.nextLink").into());
        };
        deep_cursor = items
            .last()
            .and_then(|d| d.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (elapsed, body) = get(client, &url, false)?;
        durations.push(elapsed);
        (items, next) = parse_page(&url, &body)?;
        if items.len() != PAGE_SIZE {
            return Err(
                format!("hop {hop} gave {} items, expected {PAGE_SIZE}", items.len()).into(),
            );
        }
        deep_url = url;
    }
    let total = started.elapsed();
    Ok(Walk {
        deep_url,
        deep_cursor,
        hops: Samples::new(durations, PAGE_SIZE),
        total,
    })
}

struct Samples {
    sorted: Vec<Duration>,
    items: usize,
}

impl Samples {
    fn new(mut durations: Vec<Duration>, items: usize) -> Self {
        durations.sort();
        Samples {
            sorted: durations,
            items,
        }
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.sorted.len() as f64).ceil().max(1.0) as usize;
        ms(self.sorted[rank.min(self.sorted.len()) - 1])
    }

    fn p50_ms(&self) -> f64 {
        self.percentile_ms(50.0)
    }

    fn p99_ms(&self) -> f64 {
        self.percentile_ms(99.0)
    }

    fn max_ms(&self) -> f64 {
        self.sorted.last().map_or(f64::NAN, |d| ms(*d))
    }

    fn mean_ms(&self) -> f64 {
        let total: Duration = self.sorted.iter().sum();
        ms(total) / self.sorted.len() as f64
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Outcome {
    label: String,
    samples: Result<Samples, String>,
    has_target: bool,
}

impl Outcome {
    fn new(label: String, samples: Result<Samples, String>, has_target: bool) -> Self {
        Outcome {
            label,
            samples,
            has_target,
        }
    }

    fn missed(&self) -> bool {
        self.samples
            .as_ref()
            .is_ok_and(|s| s.p99_ms() >= TARGET_P99_MS)
    }
}

fn print_table(results: &[Outcome], walk_total: Option<Duration>, hops: usize) {
    let width = results
        .iter()
        .map(|o| o.label.len())
        .max()
        .unwrap_or(0)
        .max(40);
    println!();
    println!(
        "{:<width$}  {:>5}  {:>6}  {:>9}  {:>9}  {:>9}  {:>9}",
        "scenario", "n", "items", "p50 ms", "p99 ms", "max ms", "mean ms"
    );
    println!("{}", "-".repeat(width + 2 + 5 + 2 + 6 + 4 * 11));
    for outcome in results {
        match &outcome.samples {
            Ok(s) => println!(
                "{:<width$}  {:>5}  {:>6}  {:>9.2}  {:>9.2}  {:>9.2}  {:>9.2}",
                outcome.label,
                s.sorted.len(),
                s.items,
                s.p50_ms(),
                s.p99_ms(),
                s.max_ms(),
                s.mean_ms()
            ),
            Err(error) => println!("{:<width$}  FAILED: {error}", outcome.label),
        }
    }
    if let Some(total) = walk_total {
        println!(
            "{:<width$}  {:>5}  {:>6}  total {:.2} s (client JSON parsing included)",
            format!("  (extra) whole walk: first page + {hops} hops"),
            1,
            (hops + 1) * PAGE_SIZE,
            total.as_secs_f64()
        );
    }
}

/// EXPLAIN (ANALYZE, BUFFERS) of the statement the service runs for a list page, prepared as sqlx
/// prepares it and executed a few times first, so Postgres may pick the same (possibly generic)
/// plan the service's cached statement gets.
async fn explain(database_url: &str, what: &str, contains: Option<&str>, after: Option<&str>) {
    let outcome = async {
        // A connection of its own: its session-level prepared statement disturbs no one.
        let mut db = PgConnection::connect(database_url).await?;
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT CASE WHEN column_name = 'device_account_password' THEN 'NULL' ELSE column_name::text END
             FROM information_schema.columns
             WHERE table_name = 'device_identities' AND table_schema = current_schema()
               AND column_name NOT IN ('tenant_id', 'created_at', 'updated_at')
             ORDER BY ordinal_position",
        )
        .fetch_all(&mut db)
        .await?;
        let mut sql = format!(
            "SELECT {} FROM device_identities WHERE tenant_id = $1",
            columns.join(", ")
        );
        let mut params = vec!["uuid"];
        let mut args = vec![quote(TENANT)];
        if let Some(pattern) = contains {
            params.push("text");
            args.push(quote(pattern));
            let _ = write!(sql, " AND serial_number ILIKE ${}", params.len());
        }
        if let Some(id) = after {
            params.push("uuid");
            args.push(quote(id));
            let _ = write!(sql, " AND (id) > (${})", params.len());
        }
        sql.push_str(" ORDER BY id ASC LIMIT 1001 OFFSET 0");
        sqlx::raw_sql(AssertSqlSafe(format!(
            "PREPARE bench_list ({}) AS {sql}",
            params.join(", ")
        )))
        .execute(&mut db)
        .await?;
        let execute = format!("EXECUTE bench_list ({})", args.join(", "));
        for _ in 0..6 {
            sqlx::raw_sql(AssertSqlSafe(execute.clone()))
                .execute(&mut db)
                .await?;
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "EXPLAIN (ANALYZE, BUFFERS) {execute}"
        )))
        .fetch_all(&mut db)
        .await?;
        db.close().await?;
        let plan: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        Ok::<_, BoxError>((sql, execute, plan))
    };
    println!();
    match outcome.await {
        Ok((sql, execute, plan)) => {
            println!("EXPLAIN (ANALYZE, BUFFERS) for the {what} (missed its target):");
            println!("  {sql}");
            println!("  {execute}");
            for line in plan {
                println!("    {line}");
            }
        }
        Err(error) => println!("EXPLAIN for the {what} failed: {error}"),
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A minimal HTTP/1.1 client on std's blocking sockets: one keep-alive connection, GET only,
/// `Content-Length` or chunked bodies. Sequential requests need nothing more, it adds no
/// dependency (reqwest's TLS features, unified with the service's, would want a crypto provider
/// installed), and no async machinery sits between the clock and the socket.
#[derive(Default)]
struct Http {
    /// The open connection and the `host:port` it goes to.
    connection: Option<(String, BufReader<TcpStream>)>,
}

/// Why an exchange failed: a kept-alive connection the server has closed in between is retried.
enum HttpError {
    Stale(io::Error),
    Other(BoxError),
}

impl From<io::Error> for HttpError {
    fn from(error: io::Error) -> Self {
        HttpError::Other(error.into())
    }
}

impl Http {
    const TIMEOUT: Duration = Duration::from_secs(120);

    /// GETs an absolute `http://` URL, sent as it is (nextLinks are followed verbatim), accepting
    /// gzip when `gzip`; returns the status and the whole body as it came.
    fn get(&mut self, url: &str, gzip: bool) -> Result<(u16, Vec<u8>), BoxError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
        let (authority, target) = match rest.find(['/', '?']) {
            Some(at) if rest[at..].starts_with('/') => (&rest[..at], rest[at..].to_owned()),
            Some(at) => (&rest[..at], format!("/{}", &rest[at..])),
            None => (rest, "/".to_owned()),
        };
        let reused = self
            .connection
            .as_ref()
            .is_some_and(|(to, _)| to == authority);
        if !reused {
            self.connect(authority)?;
        }
        match self.exchange(authority, &target, gzip) {
            Ok(answer) => Ok(answer),
            Err(HttpError::Stale(_)) if reused => {
                self.connect(authority)?;
                self.exchange(authority, &target, gzip)
                    .map_err(|error| match error {
                        HttpError::Stale(error) => format!("GET {url}: {error}").into(),
                        HttpError::Other(error) => error,
                    })
            }
            Err(HttpError::Stale(error)) => Err(format!("GET {url}: {error}").into()),
            Err(HttpError::Other(error)) => {
                self.connection = None;
                Err(format!("GET {url}: {error}").into())
            }
        }
    }

    fn connect(&mut self, authority: &str) -> Result<(), BoxError> {
        self.connection = None;
        let stream =
            TcpStream::connect(authority).map_err(|e| format!("connecting to {authority}: {e}"))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Self::TIMEOUT))?;
        stream.set_write_timeout(Some(Self::TIMEOUT))?;
        self.connection = Some((
            authority.to_owned(),
            BufReader::with_capacity(256 * 1024, stream),
        ));
        Ok(())
    }

    fn exchange(
        &mut self,
        authority: &str,
        target: &str,
        gzip: bool,
    ) -> Result<(u16, Vec<u8>), HttpError> {
        let Some((_, reader)) = self.connection.as_mut() else {
            return Err(HttpError::Other("not connected".into()));
        };
        let accept_encoding = if gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        };
        let request = format!(
            "GET {target} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\n{accept_encoding}User-Agent: autopilot-registry-list-latency\r\n\r\n"
        );
        reader
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(HttpError::Stale)?;

        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return Err(HttpError::Stale(io::ErrorKind::UnexpectedEof.into())),
            Ok(_) => {}
            Err(error) => return Err(HttpError::Stale(error)),
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| HttpError::Other(format!("bad status line {line:?}").into()))?;

        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(HttpError::Other("connection closed in the headers".into()));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => {
                    length = Some(value.parse::<usize>().map_err(|_| {
                        HttpError::Other(format!("bad content-length {value:?}").into())
                    })?)
                }
                "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }

        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                reader.read_line(&mut line)?;
                let size = line.trim_end().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size.trim(), 16)
                    .map_err(|_| HttpError::Other(format!("bad chunk size {line:?}").into()))?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        line.clear();
                        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..])?;
                line.clear();
                reader.read_line(&mut line)?; // the CRLF after the chunk
            }
        } else if let Some(length) = length {
            body.resize(length, 0);
            reader.read_exact(&mut body)?;
        } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
            reader.read_to_end(&mut body)?;
            close = true;
        }
        if close {
            self.connection = None;
        }
        Ok((status, body))
    }
}
