//! Throughput benchmark: the service's create and item GET against the same statements run by
//! pgbench straight on PostgreSQL (a program that prints figures, not a test).
//!
//! Against an already running service (`AUTOPILOT_BENCH_URL`, its pid in `AUTOPILOT_BENCH_SERVICE_PID`)
//! and its own, freshly migrated database (`DATABASE_URL`), for each of two operations:
//!
//! * **create**: pgbench runs the service's INSERT (the columns `openapi/examples/create-request.json`
//!   sets, the service's RETURNING list, values as parameters, a unique serial number per
//!   transaction); then this program POSTs that body, with unique serial numbers, to the service;
//! * **get**: the table is seeded with devices whose ids derive from an integer k; pgbench runs the
//!   service's SELECT by primary key for a random k; then this program GETs random ids the same way;
//!
//! each at the same number of connections for the same time, and prints the rates, the ratio
//! service / pgbench, p50 / p99 latency, the service's peak RSS, and where the CPU went (PostgreSQL,
//! the service, pgbench, this load generator, anything else) with what PostgreSQL's client backends
//! were waiting for.
//!
//! The load generator is cheap on purpose (it shares the machine with both): one thread, one task
//! per connection, one keep-alive HTTP/1.1 connection per task (benches/common/load.rs), requests
//! written as raw bytes and answers read up to their Content-Length. Every answer but the expected
//! status is an error.
//!
//! Linux only: the CPU and memory figures come from /proc.
//!
//! Run it with `scripts/bench-crud`, which starts a throwaway PostgreSQL and the release build of
//! the service and sets the environment: `DATABASE_URL`, `AUTOPILOT_BENCH_URL`,
//! `AUTOPILOT_BENCH_SERVICE_PID`, `AUTOPILOT_BENCH_PGBENCH` (the pgbench program),
//! `AUTOPILOT_BENCH_RUN_DIR` (for pgbench's scripts and logs), `AUTOPILOT_BENCH_POOL` (the service's
//! AUTOPILOT_MAX_DB_CONNECTIONS, reported), and optionally `AUTOPILOT_BENCH_CONNECTIONS` (64),
//! `AUTOPILOT_BENCH_SECONDS` (10), `AUTOPILOT_BENCH_WARMUP_SECONDS` (2, service only: its pool fills
//! and prepares its statements, as pgbench's connection time is not counted either),
//! `AUTOPILOT_BENCH_SEED_DEVICES` (100000).

use std::collections::{BTreeSet, HashMap};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use autopilot_registry::domain::device_identity::DEVICE_IDENTITIES;
use autopilot_registry::domain::entity::Kind;
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

#[path = "common/mod.rs"]
mod common;
#[path = "common/load.rs"]
mod load;

use common::{BoxError, number};
use load::{
    HttpConnection, MachineTicks, ProcStat, Writer, XorShift, clock_ticks_per_second, load_average,
    percentile, proc_status_kib, processes,
};

/// `--default-tenant`'s default: every request belongs to it when the service runs without authentication.
const TENANT: &str = "00000000-0000-0000-0000-000000000000";
const COLLECTION: &str = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";
/// The create body clients see in the API description; the benchmark creates exactly this device.
const CREATE_EXAMPLE: &str = include_str!("../openapi/examples/create-request.json");
/// Seeded device k has the id `ID_PREFIX` followed by k in 12 digits.
const ID_PREFIX: &str = "00000000-0000-4000-8000-";
/// The service should keep this share of what PostgreSQL does alone.
const TARGET_RATIO: f64 = 0.80;
/// CPU and wait events are sampled away from the run's edges (start-up, the last answers).
const SAMPLE_MARGIN: Duration = Duration::from_secs(1);
const WAIT_SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// Above this much CPU used by programs outside the benchmark (% of one core), a run is disturbed.
const DISTURBED_OTHER_CPU: f64 = 15.0;
/// A run that is not over this long after its deadline is stuck.
const STRAGGLER_GRACE: Duration = Duration::from_secs(60);

struct Settings {
    database_url: String,
    service: SocketAddr,
    service_pid: u32,
    pgbench: PathBuf,
    run_dir: PathBuf,
    pool: String,
    connections: usize,
    duration: Duration,
    warmup: Duration,
    seed_devices: i64,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let required = |name: &str| {
            env::var(name).map_err(|_| -> BoxError {
                format!("{name} is not set (scripts/bench-crud sets it up)").into()
            })
        };
        let url = required("AUTOPILOT_BENCH_URL")?;
        let authority = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("AUTOPILOT_BENCH_URL={url:?}: expected http://ADDRESS:PORT"))?
            .trim_end_matches('/');
        Ok(Settings {
            database_url: required("DATABASE_URL")?,
            service: authority
                .parse()
                .map_err(|e| format!("AUTOPILOT_BENCH_URL={url:?}: {e}"))?,
            service_pid: required("AUTOPILOT_BENCH_SERVICE_PID")?.parse()?,
            pgbench: required("AUTOPILOT_BENCH_PGBENCH")?.into(),
            run_dir: required("AUTOPILOT_BENCH_RUN_DIR")?.into(),
            pool: env::var("AUTOPILOT_BENCH_POOL").unwrap_or_else(|_| "?".into()),
            connections: number("AUTOPILOT_BENCH_CONNECTIONS", 64)?,
            duration: Duration::from_secs(number("AUTOPILOT_BENCH_SECONDS", 10)?),
            warmup: Duration::from_secs(number("AUTOPILOT_BENCH_WARMUP_SECONDS", 2)?),
            seed_devices: number("AUTOPILOT_BENCH_SEED_DEVICES", 100_000)?,
        })
    }
}

// One thread: the load generator must not take the cores from what it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // `cargo bench` passes `--bench` (and any filter) to harness = false programs: nothing to read.
    common::exit_code("crud_throughput", run().await)
}

/// Ok(false) when some request or transaction failed.
async fn run() -> Result<bool, BoxError> {
    if !Path::new("/proc/self/stat").is_file() {
        return Err(
            "no /proc: the benchmark reads CPU time and peak RSS from Linux's /proc".into(),
        );
    }
    let settings = Settings::from_env()?;
    let mut db = common::connect(&settings.database_url).await?;
    let server_version = common::show(&mut db, "server_version").await?;
    let shared_buffers = common::show(&mut db, "shared_buffers").await?;
    let max_connections = common::show(&mut db, "max_connections").await?;
    let fsync = common::show(&mut db, "fsync").await?;
    let synchronous_commit = common::show(&mut db, "synchronous_commit").await?;
    let backend_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut db)
        .await?;
    let postmaster = ProcStat::read(backend_pid as u32)?.ppid;
    let pgbench_version = Command::new(&settings.pgbench)
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("? ({e})"));

    let create = CreateStatement::from_example()?;
    let get_sql = format!(
        "SELECT {} FROM device_identities WHERE tenant_id = :tenant_id AND id = ('{ID_PREFIX}' || lpad(:k, 12, '0'))::uuid",
        returning_columns()
    );

    println!(
        "crud_throughput: service {} (pid {}), pool (AUTOPILOT_MAX_DB_CONNECTIONS) {}",
        settings.service, settings.service_pid, settings.pool
    );
    println!(
        "crud_throughput: PostgreSQL {server_version} (shared_buffers {shared_buffers}, max_connections {max_connections}, fsync {fsync}, synchronous_commit {synchronous_commit}); {pgbench_version}"
    );
    println!(
        "crud_throughput: {} connections, {} s per run (service warm-up {} s first), {} seeded devices for get; {} CPU(s) on this machine",
        settings.connections,
        settings.duration.as_secs(),
        settings.warmup.as_secs(),
        settings.seed_devices,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "crud_throughput: load average (1, 5, 15 min) at the start: {}",
        load_average()
    );

    let watched = Watched {
        postmaster,
        service: settings.service_pid,
        own: std::process::id(),
    };
    let mut results = Vec::new();

    // --- create ---
    // Each run starts from an empty table and a fresh checkpoint: the same index sizes, and the same
    // full-page images in the WAL after the checkpoint.
    reset_table(&mut db).await?;
    let script = settings.run_dir.join("create.sql");
    fs::write(&script, create.pgbench_script())?;
    println!("crud_throughput: create, pgbench ({})", script.display());
    let pgbench_create = pgbench(
        &settings,
        &mut db,
        &watched,
        "create",
        &script,
        &create.pgbench_variables(),
    )
    .await?;
    reset_table(&mut db).await?;
    println!("crud_throughput: create, service (POST {COLLECTION})");
    let body = create.body_template()?;
    let service_create =
        service_run(&settings, &mut db, &watched, Operation::Create(&body)).await?;
    results.push(("create", pgbench_create, service_create));

    // --- get ---
    reset_table(&mut db).await?;
    seed(&mut db, &create, settings.seed_devices).await?;
    let script = settings.run_dir.join("get.sql");
    fs::write(
        &script,
        format!("\\set k random(1, {})\n{get_sql};\n", settings.seed_devices),
    )?;
    println!("crud_throughput: get, pgbench ({})", script.display());
    let tenant = [("tenant_id".to_owned(), TENANT.to_owned())];
    let pgbench_get = pgbench(&settings, &mut db, &watched, "get", &script, &tenant).await?;
    println!("crud_throughput: get, service (GET {COLLECTION}/{{id}})");
    let service_get = service_run(
        &settings,
        &mut db,
        &watched,
        Operation::Get {
            devices: settings.seed_devices,
        },
    )
    .await?;
    results.push(("get", pgbench_get, service_get));

    println!(
        "crud_throughput: load average (1, 5, 15 min) at the end: {}",
        load_average()
    );
    db.close().await?;
    Ok(report(&settings, &results))
}

/// The service's create statement for the example body, in pgbench's terms.
struct CreateStatement {
    /// (column, value, is a timestamp) in the order the service binds them: its property table's.
    columns: Vec<(&'static str, String, bool)>,
    example: serde_json::Map<String, Value>,
}

impl CreateStatement {
    fn from_example() -> Result<Self, BoxError> {
        let Value::Object(example) = serde_json::from_str(CREATE_EXAMPLE)? else {
            return Err("openapi/examples/create-request.json is not a JSON object".into());
        };
        let mut columns = Vec::new();
        for (name, value) in &example {
            if name.starts_with('@') {
                continue; // an annotation (@odata.type), not a property
            }
            let property = DEVICE_IDENTITIES
                .property(name)
                .ok_or_else(|| format!("the create example sets {name:?}, which is no property"))?;
            let Value::String(value) = value else {
                return Err(format!("the create example's {name} is not a string").into());
            };
            columns.push((property, value.clone()));
        }
        // The service binds the properties a body sets in its property table's order.
        let position = |column: &str| {
            DEVICE_IDENTITIES
                .properties
                .iter()
                .position(|p| p.column == column)
        };
        columns.sort_by_key(|(p, _)| position(p.column));
        Ok(CreateStatement {
            columns: columns
                .into_iter()
                .map(|(p, value)| (p.column, value, p.kind == Kind::DateTime))
                .collect(),
            example,
        })
    }

    /// One transaction: the service's INSERT, with every value a pgbench variable (a parameter of
    /// the prepared statement) and a serial number no other transaction has.
    fn pgbench_script(&self) -> String {
        let columns: Vec<&str> = self.columns.iter().map(|(c, _, _)| *c).collect();
        let values: Vec<String> = columns.iter().map(|c| format!(":{c}")).collect();
        format!(
            "\\set serial_number :client_id * 1000000000000 + random(1, 999999999999)\n\
             INSERT INTO device_identities (tenant_id, {}) VALUES (:tenant_id, {}) RETURNING {};\n",
            columns.join(", "),
            values.join(", "),
            returning_columns()
        )
    }

    /// `-D` definitions for the script's variables (the serial number is set per transaction).
    fn pgbench_variables(&self) -> Vec<(String, String)> {
        let mut variables = vec![("tenant_id".to_owned(), TENANT.to_owned())];
        for (column, value, _) in &self.columns {
            if *column != "serial_number" {
                variables.push(((*column).to_owned(), value.clone()));
            }
        }
        variables
    }

    /// The example body split around its serial number, which each request fills in.
    fn body_template(&self) -> Result<(String, String), BoxError> {
        const MARK: &str = "SERIAL-NUMBER-GOES-HERE";
        let mut body = self.example.clone();
        body.insert("serialNumber".into(), Value::String(MARK.into()));
        let text = serde_json::to_string(&body)?;
        let (before, after) = text
            .split_once(MARK)
            .ok_or("the serial number mark is missing from the body")?;
        Ok((before.to_owned(), after.to_owned()))
    }
}

/// The service's RETURNING / SELECT list: every property's column in its table's order, a secret
/// one read as NULL (as `select_columns` in src/store/mod.rs).
fn returning_columns() -> String {
    DEVICE_IDENTITIES
        .properties
        .iter()
        .map(|p| if p.secret { "NULL" } else { p.column })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Empties the table (and what refers to it: group members) and checkpoints, so that each run starts
/// from the same state.
async fn reset_table(db: &mut PgConnection) -> Result<(), BoxError> {
    sqlx::raw_sql("TRUNCATE device_identities CASCADE")
        .execute(&mut *db)
        .await?;
    sqlx::raw_sql("CHECKPOINT").execute(&mut *db).await?;
    Ok(())
}

/// Devices 1..=n of the default tenant, with the example's values, serial number SEED-k and id
/// `ID_PREFIX` + k; then vacuumed, analysed and checkpointed, as a table would be at rest.
async fn seed(db: &mut PgConnection, create: &CreateStatement, n: i64) -> Result<(), BoxError> {
    let started = Instant::now();
    let mut columns = vec!["id", "tenant_id"];
    let mut values = vec![
        format!("('{ID_PREFIX}' || lpad(k::text, 12, '0'))::uuid"),
        "$1::uuid".to_owned(),
    ];
    let mut binds = Vec::new();
    for (column, value, timestamp) in &create.columns {
        columns.push(column);
        if *column == "serial_number" {
            values.push("'SEED-' || k".to_owned());
        } else {
            binds.push(value.as_str());
            let cast = if *timestamp { "timestamptz" } else { "text" };
            values.push(format!("${}::{cast}", binds.len() + 2));
        }
    }
    let sql = format!(
        "INSERT INTO device_identities ({}) SELECT {} FROM generate_series(1, $2::bigint) AS k",
        columns.join(", "),
        values.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(TENANT).bind(n);
    for value in binds {
        query = query.bind(value);
    }
    let inserted = query.execute(&mut *db).await?.rows_affected();
    sqlx::raw_sql("VACUUM (ANALYZE) device_identities")
        .execute(&mut *db)
        .await?;
    sqlx::raw_sql("CHECKPOINT").execute(&mut *db).await?;
    println!(
        "crud_throughput: seeded {inserted} devices in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What one side of a comparison did.
struct RunResult {
    /// Completed operations per second.
    rate: f64,
    /// Latencies in microseconds, sorted.
    latencies_us: Vec<u32>,
    errors: u64,
    /// The first few errors, to show.
    error_samples: Vec<String>,
    cpu: CpuSplit,
    waits: WaitSummary,
    /// The service's peak resident memory during the run, in KiB (service runs only).
    peak_rss_kib: Option<u64>,
    /// The service's connections to the database at the end (service runs only).
    service_db_connections: Option<i64>,
}

impl RunResult {
    fn percentile_ms(&self, p: f64) -> Option<f64> {
        percentile(&self.latencies_us, p).map(|us| f64::from(us) / 1000.0)
    }
}

// --- pgbench -----------------------------------------------------------------------------------

async fn pgbench(
    settings: &Settings,
    db: &mut PgConnection,
    watched: &Watched,
    name: &str,
    script: &Path,
    variables: &[(String, String)],
) -> Result<RunResult, BoxError> {
    let log_prefix = settings.run_dir.join(format!("pgbench-{name}"));
    let mut command = Command::new(&settings.pgbench);
    command
        .args(["-n", "-M", "prepared", "-j", "2"])
        .arg("-c")
        .arg(settings.connections.to_string())
        .arg("-T")
        .arg(settings.duration.as_secs().to_string())
        .arg("-f")
        .arg(script)
        .arg("-l")
        .arg(format!("--log-prefix={}", log_prefix.display()));
    for (variable, value) in variables {
        command.arg("-D").arg(format!("{variable}={value}"));
    }
    // The same TCP connection to the same database as the service's.
    command.arg(&settings.database_url);
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", settings.pgbench.display()))?;
    // pgbench connects its clients first: sample once they are all busy.
    let started = Instant::now();
    let (cpu, waits) = sample(
        db,
        watched,
        Side::Pgbench,
        started + SAMPLE_MARGIN * 2,
        started + settings.duration,
    )
    .await?;
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    fs::write(
        settings.run_dir.join(format!("pgbench-{name}.out")),
        format!("{stdout}{stderr}"),
    )?;

    let field = |label: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    };
    let rate: f64 = field("tps = ")
        .and_then(|tps| tps.parse().ok())
        .ok_or_else(|| {
            format!(
                "pgbench printed no tps (exit {}):\n{stdout}{stderr}",
                output.status
            )
        })?;
    let failed: u64 = field("number of failed transactions: ")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut error_samples: Vec<String> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(5)
        .map(str::to_owned)
        .collect();
    let aborted = stderr.lines().filter(|l| l.contains("aborted")).count() as u64;
    if !output.status.success() {
        error_samples.insert(0, format!("pgbench exited with {}", output.status));
    }
    let errors = failed + aborted + u64::from(!output.status.success());

    let latencies_us = pgbench_latencies(&settings.run_dir, &format!("pgbench-{name}"))?;
    Ok(RunResult {
        rate,
        latencies_us,
        errors,
        error_samples,
        cpu,
        waits,
        peak_rss_kib: None,
        service_db_connections: None,
    })
}

/// Every transaction's latency from pgbench's per-transaction logs (one file per thread, named
/// `<prefix>.<pid>[.<thread>]`; the third column is the latency in µs), sorted.
fn pgbench_latencies(dir: &Path, prefix: &str) -> Result<Vec<u32>, BoxError> {
    let mut latencies = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&format!("{prefix}.")) && !n.ends_with(".out"));
        if !is_log {
            continue;
        }
        for line in fs::read_to_string(&path)?.lines() {
            // A failed or skipped transaction says so instead of a number: not a latency.
            if let Some(Ok(us)) = line.split_whitespace().nth(2).map(str::parse::<u32>) {
                latencies.push(us);
            }
        }
    }
    if latencies.is_empty() {
        return Err(format!("no pgbench transaction log {prefix}.* in {}", dir.display()).into());
    }
    latencies.sort_unstable();
    Ok(latencies)
}

// --- the HTTP load generator ---------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Operation<'a> {
    /// POST the body (before, after the serial number) with a fresh serial number.
    Create(&'a (String, String)),
    /// GET a random one of devices 1..=devices.
    Get { devices: i64 },
}

impl Operation<'_> {
    fn expected_status(self) -> u16 {
        match self {
            Operation::Create(_) => 201,
            Operation::Get { .. } => 200,
        }
    }
}

/// What one connection's task did.
#[derive(Default)]
struct TaskOutcome {
    latencies_us: Vec<u32>,
    errors: u64,
    error_samples: Vec<String>,
    finished: Option<Instant>,
}

async fn service_run(
    settings: &Settings,
    db: &mut PgConnection,
    watched: &Watched,
    operation: Operation<'_>,
) -> Result<RunResult, BoxError> {
    // The warm-up: the pool opens its connections and prepares its statements.
    let warmup = drive(settings, operation, "warm-up", settings.warmup).await?;
    if warmup.errors > 0 {
        println!(
            "crud_throughput:   warm-up: {} errors, e.g. {}",
            warmup.errors,
            warmup.error_samples.first().map_or("", String::as_str)
        );
    }
    // Creates start from an empty table, like pgbench's did.
    if matches!(operation, Operation::Create(_)) {
        reset_table(db).await?;
    }
    let rss_reset = reset_peak_rss(settings.service_pid);
    if let Err(error) = &rss_reset {
        println!(
            "crud_throughput:   cannot reset the service's peak RSS ({error}): it covers the whole life of the service"
        );
    }

    let started = Instant::now() + Duration::from_millis(200);
    let deadline = started + settings.duration;
    let (run, sampled) = tokio::join!(
        drive_from(settings, operation, "run", started, deadline),
        sample(
            db,
            watched,
            Side::Service,
            started + SAMPLE_MARGIN,
            deadline - SAMPLE_MARGIN
        )
    );
    let mut run = run?;
    let (cpu, waits) = sampled?;
    run.peak_rss_kib = proc_status_kib(settings.service_pid, "VmHWM").ok();
    run.service_db_connections = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut *db)
    .await
    .ok();
    run.cpu = cpu;
    run.waits = waits;
    Ok(run)
}

async fn drive(
    settings: &Settings,
    operation: Operation<'_>,
    label: &str,
    duration: Duration,
) -> Result<RunResult, BoxError> {
    let started = Instant::now() + Duration::from_millis(200);
    drive_from(settings, operation, label, started, started + duration).await
}

/// `settings.connections` connections, each sending its next request as soon as the last one is
/// answered, from `started` to `deadline`.
async fn drive_from(
    settings: &Settings,
    operation: Operation<'_>,
    label: &str,
    started: Instant,
    deadline: Instant,
) -> Result<RunResult, BoxError> {
    let tasks = (0..settings.connections)
        .map(|task| connection_task(settings.service, operation, label, task, started, deadline));
    let outcomes = tokio::time::timeout_at(
        (deadline + STRAGGLER_GRACE).into(),
        futures_util::future::join_all(tasks),
    )
    .await
    .map_err(|_| format!("the {label} was not over {STRAGGLER_GRACE:?} after its deadline"))?;

    let mut latencies_us = Vec::new();
    let mut errors = 0;
    let mut error_samples = Vec::new();
    let mut finished = started;
    for outcome in outcomes {
        let outcome = outcome?;
        latencies_us.extend(outcome.latencies_us);
        errors += outcome.errors;
        error_samples.extend(outcome.error_samples);
        finished = finished.max(outcome.finished.unwrap_or(started));
    }
    error_samples.truncate(5);
    latencies_us.sort_unstable();
    let elapsed = finished.saturating_duration_since(started).as_secs_f64();
    Ok(RunResult {
        rate: latencies_us.len() as f64 / elapsed.max(f64::EPSILON),
        latencies_us,
        errors,
        error_samples,
        cpu: CpuSplit::default(),
        waits: WaitSummary::default(),
        peak_rss_kib: None,
        service_db_connections: None,
    })
}

/// One connection's requests, one after the other. Its futures all run on the one thread: they
/// need not be Send, and join_all drives them without spawning.
async fn connection_task(
    address: SocketAddr,
    operation: Operation<'_>,
    label: &str,
    task: usize,
    started: Instant,
    deadline: Instant,
) -> Result<TaskOutcome, BoxError> {
    let mut outcome = TaskOutcome {
        latencies_us: Vec::with_capacity(4096),
        ..TaskOutcome::default()
    };
    let mut connection = Some(HttpConnection::open(address).await?);
    let mut request = Vec::with_capacity(2048);
    // Serial numbers: unique per run, task and request; the same length for every request.
    let run_tag = std::process::id() % 100_000 * 10 + u32::from(label == "run");
    let mut sequence: u64 = 0;
    let mut random = XorShift::new(((task as u64 + 1) << 17) ^ u64::from(run_tag));
    tokio::time::sleep_until(started.into()).await;
    while Instant::now() < deadline {
        request.clear();
        match operation {
            Operation::Create((before, after)) => {
                sequence += 1;
                let serial = format!("SVC-{run_tag:06}-{task:04}-{sequence:09}");
                let length = before.len() + serial.len() + after.len();
                write!(
                    Writer(&mut request),
                    "POST {COLLECTION} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {length}\r\n\r\n{before}{serial}{after}"
                )?;
            }
            Operation::Get { devices } => {
                let k = random.below(devices as u64) + 1;
                write!(
                    Writer(&mut request),
                    "GET {COLLECTION}/{ID_PREFIX}{k:012} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\n\r\n"
                )?;
            }
        }
        let Some(open) = connection.as_mut() else {
            connection = Some(HttpConnection::open(address).await?);
            continue;
        };
        let sent = Instant::now();
        match open.exchange(&request).await {
            Ok(answer) if answer.status == operation.expected_status() => {
                let latency = sent.elapsed().as_micros();
                outcome
                    .latencies_us
                    .push(latency.min(u128::from(u32::MAX)) as u32);
                if answer.close {
                    connection = None;
                }
            }
            Ok(answer) => {
                outcome.errors += 1;
                if outcome.error_samples.len() < 2 {
                    let body = String::from_utf8_lossy(answer.body);
                    outcome.error_samples.push(format!(
                        "HTTP {}: {}",
                        answer.status,
                        body.chars().take(300).collect::<String>()
                    ));
                }
                if answer.close {
                    connection = None;
                }
            }
            Err(error) => {
                outcome.errors += 1;
                if outcome.error_samples.len() < 2 {
                    outcome
                        .error_samples
                        .push(format!("connection {task}: {error}"));
                }
                connection = None;
            }
        }
    }
    outcome.finished = Some(Instant::now());
    Ok(outcome)
}

// --- where the time goes -------------------------------------------------------------------------

/// The processes whose CPU time is told apart.
struct Watched {
    /// PostgreSQL's postmaster: it and its children (backends, WAL writer, checkpointer...).
    postmaster: u32,
    service: u32,
    /// This program, the load generator (and pgbench's parent).
    own: u32,
}

/// CPU used over the sampled window, in % of one core (top's convention).
#[derive(Default, Clone)]
struct CpuSplit {
    postgres: f64,
    service: f64,
    pgbench: f64,
    load_generator: f64,
    /// Interrupts and softirqs (loopback TCP is processed there) and kernel threads (kworker,
    /// jbd2 for the fsyncs): mostly work the benchmark itself causes.
    kernel: f64,
    /// Busy CPU of every other program on the machine: none would be best.
    other: f64,
    /// Idle, waiting for I/O (the fsyncs of commits) or not.
    idle: f64,
    iowait: f64,
    /// Taken by the hypervisor for other guests: CPU this machine did not have.
    steal: f64,
    /// The service's busiest threads (name, % of one core).
    service_threads: Vec<(String, f64)>,
    /// The busiest kernel threads and other programs (name, % of one core).
    others: Vec<(String, f64)>,
}

/// How many of PostgreSQL's client backends were in each state, on average over the samples.
#[derive(Default, Clone)]
struct WaitSummary {
    samples: u32,
    /// ("active: IO/WALSync", average count), most frequent first.
    states: Vec<(String, f64)>,
    /// The statements the backends ran (pg_stat_activity.query), to show what each side sent.
    statements: BTreeSet<String>,
}

/// Every process's CPU time, the service's threads', and the machine's, at one instant.
struct Snapshot {
    at: Instant,
    processes: HashMap<u32, ProcStat>,
    service_threads: HashMap<u32, ProcStat>,
    machine: MachineTicks,
}

impl Snapshot {
    fn take(service: u32) -> io::Result<Snapshot> {
        let machine = MachineTicks::read()?;
        Ok(Snapshot {
            at: Instant::now(),
            processes: processes("/proc")?,
            service_threads: processes(&format!("/proc/{service}/task")).unwrap_or_default(),
            machine,
        })
    }
}

fn cpu_split(before: &Snapshot, after: &Snapshot, watched: &Watched) -> CpuSplit {
    let ticks_per_second = clock_ticks_per_second();
    let seconds = after
        .at
        .duration_since(before.at)
        .as_secs_f64()
        .max(f64::EPSILON);
    let percent = |ticks: u64| ticks as f64 / ticks_per_second / seconds * 100.0;
    // A process that started in the window counts from zero; one that ended in it is lost (the
    // window stays away from the runs' starts and ends, where processes come and go).
    let used = |pid: &u32, stat: &ProcStat| {
        stat.ticks
            .saturating_sub(before.processes.get(pid).map_or(0, |b| b.ticks))
    };
    let mut split = CpuSplit::default();
    let mut accounted = 0;
    let mut kernel_threads = 0;
    for (pid, stat) in &after.processes {
        let ticks = used(pid, stat);
        let group = if *pid == watched.postmaster || stat.ppid == watched.postmaster {
            &mut split.postgres
        } else if *pid == watched.service {
            &mut split.service
        } else if *pid == watched.own {
            &mut split.load_generator
        } else if stat.ppid == watched.own && stat.comm == "pgbench" {
            &mut split.pgbench
        } else {
            if ticks > 0 {
                split.others.push((stat.comm.clone(), percent(ticks)));
            }
            // Kernel threads are kthreadd's (pid 2) children.
            if stat.ppid == 2 {
                kernel_threads += ticks;
            }
            continue;
        };
        *group += percent(ticks);
        accounted += ticks;
    }
    let machine =
        |f: fn(&MachineTicks) -> u64| f(&after.machine).saturating_sub(f(&before.machine));
    let interrupts = machine(|m| m.interrupts);
    split.kernel = percent(interrupts + kernel_threads);
    split.other =
        percent(machine(|m| m.busy).saturating_sub(accounted + interrupts + kernel_threads));
    split.idle = percent(machine(|m| m.idle));
    split.iowait = percent(machine(|m| m.iowait));
    split.steal = percent(machine(|m| m.steal));
    split.others.sort_by(|a, b| b.1.total_cmp(&a.1));
    split.others.truncate(4);
    let mut threads: Vec<(String, f64)> = after
        .service_threads
        .iter()
        .map(|(tid, stat)| {
            let before = before.service_threads.get(tid).map_or(0, |b| b.ticks);
            (
                stat.comm.clone(),
                percent(stat.ticks.saturating_sub(before)),
            )
        })
        .filter(|(_, p)| *p >= 1.0)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    split.service_threads = threads;
    split
}

/// Whose database connections a run's wait events are read from.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    /// pgbench's: its connections say `application_name = 'pgbench'`.
    Pgbench,
    /// The service's: every other one but ours (sqlx sets no application_name).
    Service,
}

/// CPU use between `from` and `to`, and what `side`'s PostgreSQL client backends were doing,
/// sampled every WAIT_SAMPLE_EVERY meanwhile.
async fn sample(
    db: &mut PgConnection,
    watched: &Watched,
    side: Side,
    from: Instant,
    to: Instant,
) -> Result<(CpuSplit, WaitSummary), BoxError> {
    tokio::time::sleep_until(from.into()).await;
    let before = Snapshot::take(watched.service)?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut statements = BTreeSet::new();
    let mut samples = 0;
    while Instant::now() + WAIT_SAMPLE_EVERY < to {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT coalesce(state, '?') || coalesce(': ' || wait_event_type || '/' || wait_event, ''),
                    coalesce(query, ''), count(*)
             FROM pg_stat_activity
             WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
               AND (application_name = 'pgbench') = $1
             GROUP BY 1, 2",
        )
        .bind(side == Side::Pgbench)
        .fetch_all(&mut *db)
        .await?;
        for (state, statement, count) in rows {
            *counts.entry(state).or_default() += count as u64;
            let statement = statement.trim().trim_end_matches(';').trim_end();
            if !statement.is_empty() {
                statements.insert(statement.to_owned());
            }
        }
        samples += 1;
        tokio::time::sleep(WAIT_SAMPLE_EVERY).await;
    }
    tokio::time::sleep_until(to.into()).await;
    let after = Snapshot::take(watched.service)?;
    let mut states: Vec<(String, f64)> = counts
        .into_iter()
        .map(|(state, count)| (state, count as f64 / f64::from(samples.max(1))))
        .collect();
    states.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok((
        cpu_split(&before, &after, watched),
        WaitSummary {
            samples,
            states,
            statements,
        },
    ))
}

/// Sets the service's VmHWM back to its current RSS, so that the next reading is this run's peak.
fn reset_peak_rss(pid: u32) -> io::Result<()> {
    fs::write(format!("/proc/{pid}/clear_refs"), "5")
}

// --- the report ----------------------------------------------------------------------------------

/// Prints the figures; false when anything failed.
fn report(settings: &Settings, results: &[(&str, RunResult, RunResult)]) -> bool {
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    println!();
    println!(
        "{} connections, {} s each; service --max-db-connections {}",
        settings.connections,
        settings.duration.as_secs(),
        settings.pool
    );
    println!(
        "{:<24}{:>10}{:>10}{:>10}{:>9}",
        "", "rate/s", "p50 ms", "p99 ms", "errors"
    );
    for (operation, pgbench, service) in results {
        for (side, run) in [("pgbench", pgbench), ("service", service)] {
            println!(
                "{:<24}{:>10.0}{:>10}{:>10}{:>9}",
                format!("{operation:<8}{side}"),
                run.rate,
                ms(run.percentile_ms(50.0)),
                ms(run.percentile_ms(99.0)),
                run.errors
            );
        }
        let ratio = service.rate / pgbench.rate.max(f64::EPSILON);
        println!(
            "{:<24}{:>10.2}      (target >= {TARGET_RATIO:.2}: {})",
            format!("{operation:<8}ratio"),
            ratio,
            if ratio >= TARGET_RATIO {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    let peaks: Vec<String> = results
        .iter()
        .map(|(operation, _, service)| {
            format!(
                "{operation} {}",
                service.peak_rss_kib.map_or("?".to_owned(), |kib| format!(
                    "{:.1} MiB",
                    kib as f64 / 1024.0
                ))
            )
        })
        .collect();
    println!("service peak RSS (VmHWM): {}", peaks.join(", "));

    println!();
    println!(
        "CPU, % of one core, over each run but its first and last second ({} cores = {}%):",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::thread::available_parallelism().map_or(0, |n| n.get() * 100)
    );
    println!(
        "{:<24}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}{:>9}",
        "",
        "postgres",
        "service",
        "pgbench",
        "load gen",
        "kernel",
        "other",
        "idle",
        "iowait",
        "steal"
    );
    for (operation, pgbench, service) in results {
        for (side, run) in [("pgbench", pgbench), ("service", service)] {
            let c = &run.cpu;
            println!(
                "{:<24}{:>9.0}{:>9.0}{:>9.0}{:>9.0}{:>9.0}{:>9.0}{:>9.0}{:>9.0}{:>9.0}",
                format!("{operation:<8}{side}"),
                c.postgres,
                c.service,
                c.pgbench,
                c.load_generator,
                c.kernel,
                c.other,
                c.idle,
                c.iowait,
                c.steal
            );
        }
    }
    println!(
        "(kernel: interrupts, softirqs and kernel threads; other: every other program, those that \
         ended during the run included; steal: taken by the hypervisor)"
    );
    for (operation, pgbench, service) in results {
        for (side, run) in [("pgbench", pgbench), ("service", service)] {
            println!(
                "{:<24}busiest others: {}",
                format!("{operation:<8}{side}"),
                named_figures(&run.cpu.others, usize::MAX, 0, "%")
            );
        }
    }
    for (operation, _, service) in results {
        println!(
            "{operation:<8}service threads: {}",
            named_figures(&service.cpu.service_threads, 6, 0, "%")
        );
    }

    println!();
    println!("PostgreSQL client backends (average count per sample of pg_stat_activity):");
    for (operation, pgbench, service) in results {
        for (side, run) in [("pgbench", pgbench), ("service", service)] {
            println!(
                "{:<16}{} ({} samples)",
                format!("{operation:<8}{side}"),
                named_figures(&run.waits.states, 5, 1, ""),
                run.waits.samples
            );
        }
        if let Some(n) = service.service_db_connections {
            println!("{:<16}the service held {n} database connections", "");
        }
    }

    println!();
    for (operation, pgbench, service) in results {
        for (side, run) in [("pgbench", pgbench), ("service", service)] {
            println!(
                "{operation:<8}{side:<9}ran {}",
                statements_seen(&run.waits.statements, operation)
            );
        }
    }

    let busiest_other = results
        .iter()
        .flat_map(|(_, pgbench, service)| {
            [
                pgbench.cpu.other,
                service.cpu.other,
                pgbench.cpu.steal,
                service.cpu.steal,
            ]
        })
        .fold(0.0, f64::max);
    if busiest_other > DISTURBED_OTHER_CPU {
        println!();
        println!(
            "WARNING: other programs or the hypervisor (steal) took up to {busiest_other:.0}% of a core during a run: the figures are disturbed"
        );
    }

    let mut clean = true;
    for (operation, pgbench, service) in results {
        for (side, run) in [("pgbench", pgbench), ("service", service)] {
            if run.errors > 0 {
                clean = false;
                println!();
                println!(
                    "!!! ERRORS: {operation} {side}: {} failed request(s)/transaction(s); the figures above do not hold",
                    run.errors
                );
                for sample in &run.error_samples {
                    println!("!!!   {sample}");
                }
            }
        }
    }
    clean
}

/// "name 12%, other 3%": the first `take` (name, figure) pairs, each figure with `decimals`
/// decimals and `unit`.
fn named_figures(items: &[(String, f64)], take: usize, decimals: usize, unit: &str) -> String {
    items
        .iter()
        .take(take)
        .map(|(name, figure)| format!("{name} {figure:.decimals$}{unit}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statements a side ran, as pg_stat_activity saw them, shortened: pgbench runs one request
/// per statement, the service one statement per group of concurrent requests (multi-row INSERT,
/// `tenant_id = ANY($1) AND id = ANY($2)`), so the two differ in shape, not in the rows they write
/// or read.
fn statements_seen(statements: &BTreeSet<String>, operation: &str) -> String {
    const SHOWN: usize = 150;
    // An idle connection shows the last statement it ran, which may be another phase's.
    let verb = if operation == "get" {
        "SELECT"
    } else {
        "INSERT"
    };
    let statements: Vec<&String> = statements.iter().filter(|s| s.starts_with(verb)).collect();
    let Some(first) = statements.first() else {
        return "? (none seen)".into();
    };
    let shortened: String = first.chars().take(SHOWN).collect();
    let ellipsis = if first.chars().count() > SHOWN {
        "…"
    } else {
        ""
    };
    match statements.len() {
        1 => format!("{shortened}{ellipsis}"),
        n => format!("{n} statements, e.g. {shortened}{ellipsis}"),
    }
}
