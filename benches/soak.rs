//! Long-run soak: mixed Graph traffic against several instances of the service on one database,
//! minute after minute, watching for errors and for memory that grows (a program that prints
//! figures, not a test).
//!
//! Against already running instances (`AUTOPILOT_SOAK_URLS`, their pids in `AUTOPILOT_SOAK_PIDS`)
//! under `--auth jwt` with `--import-delay 0`, and their freshly migrated database
//! (`DATABASE_URL`), with one bearer token per tenant (`AUTOPILOT_SOAK_TOKENS`):
//!
//! * `AUTOPILOT_BENCH_CONNECTIONS` (64) keep-alive connections, spread evenly over the instances
//!   and the tenants (connection i talks to instance i mod N, for tenant (i / N) mod T);
//! * first each connection creates FILL_DEVICES devices of its own (the fill, not timed);
//! * then, for `AUTOPILOT_SOAK_MINUTES` (10), each picks its next operation at random from MIX and
//!   runs it as soon as the last one is done: a **list** (a `$filter` on a group tag over the whole
//!   tenant, or `startswith` on the connection's own serial numbers with `$select` and `$count`,
//!   following every `@odata.nextLink`), an **update** of one of its devices
//!   (`updateDeviceProperties`: group tag and display name), a **create**, a **delete** of one of
//!   its devices, or an **import** of IMPORT_ROWS identities with real-size hardware hashes (the
//!   `import` action, a poll of `$filter=importId eq '...'` every POLL_EVERY until every record is
//!   processed, and a DELETE of each record, as Microsoft's scripts do). The mix creates as many
//!   devices as it deletes, so the database keeps its size: a connection with no device creates
//!   rather than updates or deletes, one with MAX_DEVICES deletes rather than creates or imports.
//!
//! Every minute it prints the requests per second, overall and per request kind, p50 and p99 of
//! every request answered as expected, the errors, how long imports took to be processed, each
//! instance's resident memory (VmRSS, the mean of a sample every SAMPLE_EVERY) and CPU, PostgreSQL's
//! private memory (RssAnon of its processes: shared buffers are not counted) and CPU, and the
//! devices and size of the database. Any answer but the expected status, any record that does not
//! end `complete`, any connection error is an error, printed with its body the first time its kind
//! and status occur. At the end a verdict: no error, and no growth of any instance's RSS beyond
//! RSS_NOISE from the first third of the steady minutes (every minute but the first) to the last
//! third (the samples of minutes 2-4 and 8-10 of 10; the first and last 20 s of minute 2 of 2); it
//! also compares the throughput of the last minute with the first steady one. It exits 2 when the
//! verdict fails.
//!
//! One thread, as crud_throughput's load generator (benches/common/load.rs): it must not take the
//! cores from what it measures. Linux only: memory and CPU come from /proc.
//!
//! Run it with `scripts/bench-soak`, which starts PostgreSQL, two instances and sets the
//! environment.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::env;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::ops::Range;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;
use sqlx::{Connection, PgConnection};

mod common;
#[path = "common/load.rs"]
mod load;

use common::{BoxError, number};
use load::{
    HttpConnection, MachineTicks, ProcStat, Writer, XorShift, clock_ticks_per_second, load_average,
    percentile, proc_status_kib, processes,
};

const DEVICES: &str = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTED: &str = "/v1.0/deviceManagement/importedWindowsAutopilotDeviceIdentities";
/// What a connection does next, and how often in 100 picks. Creates (15) and imported rows
/// (5 × IMPORT_ROWS) balance deletes (25).
const MIX: [(Operation, u64); 5] = [
    (Operation::List, 30),
    (Operation::Update, 25),
    (Operation::Create, 15),
    (Operation::Delete, 25),
    (Operation::Import, 5),
];
const IMPORT_ROWS: usize = 2;
/// Devices each connection creates before the clock starts, and from how many it owns it deletes
/// rather than creates or imports.
const FILL_DEVICES: usize = 50;
const MAX_DEVICES: usize = 100;
/// Devices get group tags Tag-0 to Tag-7: a tenant-wide list on one matches an eighth of them.
const GROUP_TAGS: u64 = 8;
const GROUP_TAG_PAGE: u32 = 50;
const OWN_SERIALS_PAGE: u32 = 20;
/// 2,992 bytes, 3,992 base64 characters: the size of a real hardware hash.
const HARDWARE_HASH_BYTES: usize = 2992;
const POLL_EVERY: Duration = Duration::from_millis(100);
/// An import not processed this long after its upload is an error.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(60);
const MINUTE: Duration = Duration::from_secs(60);
/// RSS is sampled every SAMPLE_EVERY; CPU and the database once a minute.
const SAMPLES_PER_MINUTE: usize = 12;
const SAMPLE_EVERY: Duration = Duration::from_secs(MINUTE.as_secs() / SAMPLES_PER_MINUTE as u64);
/// RSS growth below either bound is noise.
const RSS_NOISE_FRACTION: f64 = 0.10;
const RSS_NOISE_KIB: u64 = 8 * 1024;
/// Above this much CPU used by other programs (% of one core) in a minute, the run is disturbed.
const DISTURBED_REST_CPU: f64 = 15.0;

struct Settings {
    database_url: String,
    instances: Vec<Instance>,
    tokens: Vec<String>,
    connections: usize,
    minutes: usize,
}

struct Instance {
    address: SocketAddr,
    pid: u32,
}

impl Settings {
    fn from_env() -> Result<Self, BoxError> {
        let required = |name: &str| {
            env::var(name).map_err(|_| -> BoxError {
                format!("{name} is not set (scripts/bench-soak sets it up)").into()
            })
        };
        let urls = required("AUTOPILOT_SOAK_URLS")?;
        let pids = required("AUTOPILOT_SOAK_PIDS")?;
        let urls: Vec<&str> = urls.split_whitespace().collect();
        let pids: Vec<&str> = pids.split_whitespace().collect();
        if urls.is_empty() || urls.len() != pids.len() {
            return Err(format!(
                "AUTOPILOT_SOAK_URLS and AUTOPILOT_SOAK_PIDS name {} and {} instances: expected as many pids as URLs",
                urls.len(),
                pids.len()
            )
            .into());
        }
        let instances = urls
            .iter()
            .zip(&pids)
            .map(|(url, pid)| -> Result<Instance, BoxError> {
                let authority = url
                    .strip_prefix("http://")
                    .ok_or_else(|| format!("{url:?}: expected http://ADDRESS:PORT"))?
                    .trim_end_matches('/');
                Ok(Instance {
                    address: authority.parse().map_err(|e| format!("{url:?}: {e}"))?,
                    pid: pid.parse().map_err(|e| format!("pid {pid:?}: {e}"))?,
                })
            })
            .collect::<Result<_, _>>()?;
        let tokens: Vec<String> = required("AUTOPILOT_SOAK_TOKENS")?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if tokens.is_empty() {
            return Err("AUTOPILOT_SOAK_TOKENS holds no token".into());
        }
        let settings = Settings {
            database_url: required("DATABASE_URL")?,
            instances,
            tokens,
            connections: number("AUTOPILOT_BENCH_CONNECTIONS", 64)?,
            minutes: number("AUTOPILOT_SOAK_MINUTES", 10)?,
        };
        if settings.minutes == 0 || settings.connections == 0 {
            return Err(
                "AUTOPILOT_SOAK_MINUTES and AUTOPILOT_BENCH_CONNECTIONS must be at least 1".into(),
            );
        }
        Ok(settings)
    }
}

// One thread: the load generator must not take the cores from what it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // `cargo bench` passes `--bench` (and any filter) to harness = false programs: nothing to read.
    common::exit_code("soak", run().await)
}

/// Ok(false) when the verdict fails.
async fn run() -> Result<bool, BoxError> {
    if !std::path::Path::new("/proc/self/stat").is_file() {
        return Err("no /proc: the soak reads memory and CPU from Linux's /proc".into());
    }
    let settings = Settings::from_env()?;
    let mut db = common::connect(&settings.database_url).await?;
    let server_version = common::show(&mut db, "server_version").await?;
    let backend_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut db)
        .await?;
    let postmaster = ProcStat::read(backend_pid as u32)?.ppid;

    // Each pid's command, as /proc names it: the processes watched are the ones meant.
    let instances: Vec<String> = settings
        .instances
        .iter()
        .enumerate()
        .map(|(i, instance)| -> Result<String, BoxError> {
            let command = ProcStat::read(instance.pid)
                .map_err(|e| format!("instance pid {}: {e}", instance.pid))?
                .comm;
            Ok(format!(
                "{} {} (pid {}, {command})",
                i + 1,
                instance.address,
                instance.pid
            ))
        })
        .collect::<Result<_, _>>()?;
    println!("soak: instances {}", instances.join(", "));
    println!(
        "soak: PostgreSQL {server_version} (postmaster pid {postmaster}); {} CPU(s); load average (1, 5, 15 min) {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    let mix: Vec<String> = MIX
        .iter()
        .map(|(operation, weight)| format!("{} {weight}", operation.name()))
        .collect();
    println!(
        "soak: {} connections over {} instance(s) and {} tenant(s), {} minute(s); mix per 100 operations: {} (an import: {IMPORT_ROWS} rows, polls every {} ms, deletes its records)",
        settings.connections,
        settings.instances.len(),
        settings.tokens.len(),
        settings.minutes,
        mix.join(", "),
        POLL_EVERY.as_millis()
    );

    let hash = base64::engine::general_purpose::STANDARD.encode([b'H'; HARDWARE_HASH_BYTES]);
    let stats = RefCell::new(Stats::new(settings.minutes));
    let mut workers: Vec<Worker> = (0..settings.connections)
        .map(|index| {
            let instance = &settings.instances[index % settings.instances.len()];
            let tenant = index / settings.instances.len() % settings.tokens.len();
            Worker {
                client: Client {
                    stats: &stats,
                    address: instance.address,
                    token: &settings.tokens[tenant],
                    connection: None,
                    broken: false,
                    request: Vec::with_capacity(16 * 1024),
                },
                index,
                devices: Vec::with_capacity(MAX_DEVICES),
                random: XorShift::new(((index as u64 + 1) << 17) ^ u64::from(std::process::id())),
                sequence: 0,
                hash: &hash,
                deadline: Instant::now(),
            }
        })
        .collect();

    let fill_started = Instant::now();
    futures_util::future::join_all(workers.iter_mut().map(Worker::fill)).await;
    let filled: usize = workers.iter().map(|w| w.devices.len()).sum();
    println!(
        "soak: fill: {filled} devices created in {:.1} s, {} error(s)",
        fill_started.elapsed().as_secs_f64(),
        stats.borrow().fill.errors
    );

    let start = Instant::now();
    let deadline = start + MINUTE * settings.minutes as u32;
    stats.borrow_mut().start(start, deadline);
    for worker in &mut workers {
        worker.deadline = deadline;
    }
    let watched = Watched {
        instances: settings.instances.iter().map(|i| i.pid).collect(),
        postmaster,
        own: std::process::id(),
    };
    println!();
    print_header(settings.instances.len());
    let (_, resources) = tokio::join!(
        futures_util::future::join_all(workers.iter_mut().map(Worker::run)),
        monitor(&stats, &watched, &mut db, start, settings.minutes)
    );
    let resources = resources?;
    let last = settings.minutes - 1;
    print_row(last, &stats.borrow().minutes[last], &resources[last]);
    println!(
        "soak: load average (1, 5, 15 min) at the end: {}",
        load_average()
    );
    db.close().await?;

    let stats = stats.into_inner();
    print_summary(&stats);
    Ok(verdict(&settings, &stats, &resources))
}

// --- what is counted -----------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Operation {
    List,
    Update,
    Create,
    Delete,
    Import,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::List => "list",
            Operation::Update => "update",
            Operation::Create => "create",
            Operation::Delete => "delete",
            Operation::Import => "import",
        }
    }
}

/// The requests an operation sends, each counted and timed on its own.
#[derive(Clone, Copy)]
enum Request {
    Create,
    /// One page of a list.
    ListPage,
    Update,
    Delete,
    /// The `import` action.
    Import,
    /// One read of an import's records.
    Poll,
    /// The DELETE of a processed import record.
    RecordDelete,
}

const REQUESTS: [Request; 7] = [
    Request::Create,
    Request::ListPage,
    Request::Update,
    Request::Delete,
    Request::Import,
    Request::Poll,
    Request::RecordDelete,
];

impl Request {
    fn name(self) -> &'static str {
        match self {
            Request::Create => "create",
            Request::ListPage => "list",
            Request::Update => "update",
            Request::Delete => "delete",
            Request::Import => "import",
            Request::Poll => "poll",
            Request::RecordDelete => "recdel",
        }
    }

    fn expected_status(self) -> u16 {
        match self {
            Request::Create => 201,
            Request::ListPage | Request::Import | Request::Poll => 200,
            Request::Update | Request::Delete | Request::RecordDelete => 204,
        }
    }
}

/// What was answered in one minute (or in the fill).
#[derive(Default)]
struct Period {
    /// Per request kind (REQUESTS' order), the latencies in µs of the answers as expected.
    latencies_us: [Vec<u32>; REQUESTS.len()],
    errors: u64,
    /// From the upload until every record was processed, per import, in ms.
    import_settle_ms: Vec<u32>,
}

impl Period {
    fn requests(&self) -> usize {
        self.latencies_us.iter().map(Vec::len).sum()
    }

    fn all_latencies_us(&self) -> Vec<u32> {
        let mut all: Vec<u32> = self.latencies_us.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    }
}

struct Stats {
    /// The clock's start and end; None during the fill.
    clock: Option<(Instant, Instant)>,
    fill: Period,
    minutes: Vec<Period>,
    /// The kinds of error printed already ("update HTTP 500").
    printed_errors: HashSet<String>,
}

impl Stats {
    fn new(minutes: usize) -> Self {
        Stats {
            clock: None,
            fill: Period::default(),
            minutes: (0..minutes).map(|_| Period::default()).collect(),
            printed_errors: HashSet::new(),
        }
    }

    fn start(&mut self, start: Instant, deadline: Instant) {
        self.clock = Some((start, deadline));
    }

    /// The period something that ended at `at` belongs to; after the deadline, the last minute
    /// (`late` is then true: only errors count there).
    fn period(&mut self, at: Instant) -> (&mut Period, bool) {
        match self.clock {
            None => (&mut self.fill, false),
            Some((start, deadline)) => {
                let minute =
                    (at.saturating_duration_since(start).as_secs() / MINUTE.as_secs()) as usize;
                let last = self.minutes.len() - 1;
                (&mut self.minutes[minute.min(last)], at >= deadline)
            }
        }
    }

    fn answered(&mut self, request: Request, sent: Instant) {
        let now = Instant::now();
        let (period, late) = self.period(now);
        if !late {
            let latency = now.duration_since(sent).as_micros();
            period.latencies_us[request as usize].push(latency.min(u128::from(u32::MAX)) as u32);
        }
    }

    fn import_settled(&mut self, uploaded: Instant) {
        let now = Instant::now();
        let (period, late) = self.period(now);
        if !late {
            let ms = now.duration_since(uploaded).as_millis();
            period
                .import_settle_ms
                .push(ms.min(u128::from(u32::MAX)) as u32);
        }
    }

    /// Counts an error; prints it the first time an error of its `kind` occurs.
    fn error(&mut self, kind: String, detail: &str) {
        self.period(Instant::now()).0.errors += 1;
        if self.printed_errors.insert(kind.clone()) {
            let detail: String = detail.chars().take(600).collect();
            println!("!!! ERROR {kind} (printed once): {detail}");
        }
    }
}

// --- the load ------------------------------------------------------------------------------------

/// One keep-alive connection to an instance, for one tenant.
struct Client<'a> {
    stats: &'a RefCell<Stats>,
    address: SocketAddr,
    token: &'a str,
    connection: Option<HttpConnection>,
    /// The last answer said `Connection: close`, or the connection failed: open another.
    broken: bool,
    request: Vec<u8>,
}

impl Client<'_> {
    /// Sends one request: the body of the answer when it has `request`'s expected status (its
    /// latency recorded), else None (an error counted).
    async fn send(
        &mut self,
        request: Request,
        method: &str,
        target: &str,
        body: Option<&str>,
    ) -> Option<&[u8]> {
        self.request.clear();
        let mut head = Writer(&mut self.request);
        // Writing into a Vec cannot fail.
        let _ = write!(
            head,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: application/json\r\n",
            self.address, self.token
        );
        let _ = match body {
            Some(body) => write!(
                head,
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            None => write!(head, "\r\n"),
        };

        if self.broken || self.connection.is_none() {
            self.broken = false;
            self.connection = None;
            match HttpConnection::open(self.address).await {
                Ok(connection) => self.connection = Some(connection),
                Err(error) => {
                    let kind = format!("{} connect", request.name());
                    self.stats.borrow_mut().error(kind, &error.to_string());
                    // An instance that is gone refuses at once: do not spin.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    return None;
                }
            }
        }
        let connection = self.connection.as_mut()?;
        let sent = Instant::now();
        match connection.exchange(&self.request).await {
            Ok(answer) => {
                self.broken = answer.close;
                if answer.status == request.expected_status() {
                    self.stats.borrow_mut().answered(request, sent);
                    Some(answer.body)
                } else {
                    let kind = format!("{} HTTP {}", request.name(), answer.status);
                    let detail = format!(
                        "{method} {target} answered {}: {}",
                        answer.status,
                        String::from_utf8_lossy(answer.body)
                    );
                    self.stats.borrow_mut().error(kind, &detail);
                    None
                }
            }
            Err(error) => {
                self.broken = true;
                let kind = format!("{} {:?}", request.name(), error.kind());
                let detail = format!("{method} {target}: {error}");
                self.stats.borrow_mut().error(kind, &detail);
                None
            }
        }
    }

    /// Counts an error that is not a status: an answer that does not say what it should.
    fn fault(&self, request: Request, what: &str, detail: &str) {
        self.stats
            .borrow_mut()
            .error(format!("{} {what}", request.name()), detail);
    }
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct Records {
    value: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    id: String,
    import_id: Option<String>,
    state: Option<RecordState>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct RecordState {
    device_import_status: String,
    device_registration_id: String,
    device_error_code: i64,
    device_error_name: String,
}

/// A connection's traffic and the devices it owns.
struct Worker<'a> {
    client: Client<'a>,
    index: usize,
    /// The ids of the devices this connection created or imported and has not deleted.
    devices: Vec<String>,
    random: XorShift,
    /// Numbers this connection's serial numbers.
    sequence: u64,
    hash: &'a str,
    /// The end of the clock, set when it starts (the fill has none).
    deadline: Instant,
}

impl Worker<'_> {
    async fn fill(&mut self) {
        for _ in 0..FILL_DEVICES {
            self.create().await;
        }
    }

    async fn run(&mut self) {
        while Instant::now() < self.deadline {
            match self.pick() {
                Operation::List => self.list().await,
                Operation::Update => self.update().await,
                Operation::Create => self.create().await,
                Operation::Delete => self.delete().await,
                Operation::Import => self.import().await,
            }
        }
    }

    /// The next operation from MIX, bounded by the devices this connection owns.
    fn pick(&mut self) -> Operation {
        let total: u64 = MIX.iter().map(|(_, weight)| weight).sum();
        let mut ticket = self.random.below(total);
        let mut picked = Operation::List;
        for (operation, weight) in MIX {
            if ticket < weight {
                picked = operation;
                break;
            }
            ticket -= weight;
        }
        match picked {
            Operation::Update | Operation::Delete if self.devices.is_empty() => Operation::Create,
            Operation::Create | Operation::Import if self.devices.len() >= MAX_DEVICES => {
                Operation::Delete
            }
            other => other,
        }
    }

    fn next_serial(&mut self, prefix: &str) -> String {
        self.sequence += 1;
        format!("{prefix}-{:03}-{:07}", self.index, self.sequence)
    }

    fn group_tag(&mut self) -> String {
        format!("Tag-{}", self.random.below(GROUP_TAGS))
    }

    async fn create(&mut self) {
        let serial = self.next_serial("SOAK");
        let body = format!(
            r#"{{"serialNumber":"{serial}","groupTag":"{}","displayName":"Soak {serial}","manufacturer":"Contoso","model":"Soak 1"}}"#,
            self.group_tag()
        );
        let Some(answer) = self
            .client
            .send(Request::Create, "POST", DEVICES, Some(&body))
            .await
        else {
            return;
        };
        match serde_json::from_slice::<Created>(answer) {
            Ok(created) => self.devices.push(created.id),
            Err(error) => self.client.fault(
                Request::Create,
                "answer",
                &format!("a 201 without an id: {error}"),
            ),
        }
    }

    async fn list(&mut self) {
        let mut target = if self.random.below(2) == 0 {
            format!(
                "{DEVICES}?$filter=groupTag%20eq%20'{}'&$top={GROUP_TAG_PAGE}",
                self.group_tag()
            )
        } else {
            format!(
                "{DEVICES}?$filter=startswith(serialNumber,'SOAK-{:03}-')&$select=id,serialNumber,groupTag&$count=true&$top={OWN_SERIALS_PAGE}",
                self.index
            )
        };
        let origin = format!("http://{}", self.client.address);
        while Instant::now() < self.deadline {
            let Some(answer) = self
                .client
                .send(Request::ListPage, "GET", &target, None)
                .await
            else {
                return;
            };
            let next = match serde_json::from_slice::<Page>(answer) {
                Ok(page) => page.next_link,
                Err(error) => {
                    let detail = format!("GET {target}: not a page: {error}");
                    self.client.fault(Request::ListPage, "answer", &detail);
                    return;
                }
            };
            match next.as_deref().map(|link| link.strip_prefix(&origin)) {
                None => return,
                Some(Some(path)) => target = path.to_owned(),
                Some(None) => {
                    let detail = format!("GET {target}: a nextLink elsewhere: {next:?}");
                    self.client.fault(Request::ListPage, "nextLink", &detail);
                    return;
                }
            }
        }
    }

    fn any_device(&mut self) -> usize {
        self.random.below(self.devices.len() as u64) as usize
    }

    async fn update(&mut self) {
        let at = self.any_device();
        self.sequence += 1;
        let body = format!(
            r#"{{"groupTag":"{}","displayName":"Soak update {}"}}"#,
            self.group_tag(),
            self.sequence
        );
        let target = format!("{DEVICES}/{}/updateDeviceProperties", self.devices[at]);
        self.client
            .send(Request::Update, "POST", &target, Some(&body))
            .await;
    }

    async fn delete(&mut self) {
        let at = self.any_device();
        let id = self.devices.swap_remove(at);
        let target = format!("{DEVICES}/{id}");
        self.client
            .send(Request::Delete, "DELETE", &target, None)
            .await;
    }

    async fn import(&mut self) {
        let mut rows = Vec::with_capacity(IMPORT_ROWS);
        for _ in 0..IMPORT_ROWS {
            rows.push(format!(
                r#"{{"serialNumber":"{}","groupTag":"{}","hardwareIdentifier":"{}"}}"#,
                self.next_serial("SOAKI"),
                self.group_tag(),
                self.hash
            ));
        }
        let body = format!(
            r#"{{"importedWindowsAutopilotDeviceIdentities":[{}]}}"#,
            rows.join(",")
        );
        let uploaded = Instant::now();
        let target = format!("{IMPORTED}/import");
        let Some(answer) = self
            .client
            .send(Request::Import, "POST", &target, Some(&body))
            .await
        else {
            return;
        };
        let import_id = match serde_json::from_slice::<Records>(answer) {
            Ok(records) if records.value.len() == IMPORT_ROWS => {
                records.value.into_iter().find_map(|r| r.import_id)
            }
            Ok(records) => {
                let detail = format!("{} records for {IMPORT_ROWS} rows", records.value.len());
                self.client.fault(Request::Import, "answer", &detail);
                return;
            }
            Err(error) => {
                let detail = format!("not a collection of records: {error}");
                self.client.fault(Request::Import, "answer", &detail);
                return;
            }
        };
        let Some(import_id) = import_id else {
            self.client
                .fault(Request::Import, "answer", "records without an importId");
            return;
        };

        let poll = format!("{IMPORTED}?$filter=importId%20eq%20'{import_id}'&$select=id,state");
        let records = loop {
            tokio::time::sleep(POLL_EVERY).await;
            if Instant::now() >= self.deadline {
                return;
            }
            if uploaded.elapsed() > IMPORT_TIMEOUT {
                let detail = format!("import {import_id} not processed after {IMPORT_TIMEOUT:?}");
                self.client.fault(Request::Poll, "timeout", &detail);
                return;
            }
            let Some(answer) = self.client.send(Request::Poll, "GET", &poll, None).await else {
                return;
            };
            let records = match serde_json::from_slice::<Records>(answer) {
                Ok(records) => records.value,
                Err(error) => {
                    let detail = format!("GET {poll}: not a collection of records: {error}");
                    self.client.fault(Request::Poll, "answer", &detail);
                    return;
                }
            };
            let waiting = records.iter().any(|r| {
                r.state.as_ref().is_none_or(|s| {
                    matches!(s.device_import_status.as_str(), "unknown" | "pending")
                })
            });
            if !waiting {
                break records;
            }
        };
        self.client.stats.borrow_mut().import_settled(uploaded);
        if records.len() != IMPORT_ROWS {
            let detail = format!(
                "GET {poll}: {} records, {IMPORT_ROWS} uploaded",
                records.len()
            );
            self.client.fault(Request::Poll, "records", &detail);
        }
        for record in &records {
            match &record.state {
                Some(state) if state.device_import_status == "complete" => {
                    self.devices.push(state.device_registration_id.clone());
                }
                state => {
                    let (status, code, name) = state.as_ref().map_or(("?", 0, "?"), |s| {
                        (
                            s.device_import_status.as_str(),
                            s.device_error_code,
                            s.device_error_name.as_str(),
                        )
                    });
                    let detail = format!("record {} ended {status} {code} {name}", record.id);
                    self.client.fault(Request::Poll, "outcome", &detail);
                }
            }
        }
        for record in records {
            if Instant::now() >= self.deadline {
                return;
            }
            let target = format!("{IMPORTED}/{}", record.id);
            self.client
                .send(Request::RecordDelete, "DELETE", &target, None)
                .await;
        }
    }
}

// --- what the processes use ----------------------------------------------------------------------

struct Watched {
    instances: Vec<u32>,
    postmaster: u32,
    own: u32,
}

/// One minute's resources.
#[derive(Default)]
struct MinuteResources {
    /// Per instance, VmRSS every SAMPLE_EVERY, in KiB.
    instance_rss_kib: Vec<Vec<u64>>,
    /// PostgreSQL's RssAnon (postmaster and children) every SAMPLE_EVERY, in KiB.
    postgres_private_kib: Vec<u64>,
    cpu: CpuPercent,
    devices: i64,
    database_bytes: i64,
}

fn mean(samples: &[u64]) -> f64 {
    samples.iter().sum::<u64>() as f64 / samples.len().max(1) as f64
}

/// PostgreSQL's processes: the postmaster and its children.
fn postgres_pids(processes: &HashMap<u32, ProcStat>, postmaster: u32) -> Vec<u32> {
    processes
        .iter()
        .filter(|(pid, stat)| **pid == postmaster || stat.ppid == postmaster)
        .map(|(pid, _)| *pid)
        .collect()
}

/// CPU time used so far, in clock ticks.
struct CpuTicks {
    instances: Vec<u64>,
    /// PostgreSQL's current processes (a backend that ended meanwhile is not counted).
    postgres: u64,
    generator: u64,
    /// Kernel threads (kthreadd's children: kworker, jbd2 for the fsyncs).
    kernel_threads: u64,
    machine: MachineTicks,
}

impl CpuTicks {
    fn read(watched: &Watched) -> Result<CpuTicks, BoxError> {
        let processes = processes("/proc")?;
        let ticks = |pid: &u32| processes.get(pid).map_or(0, |stat| stat.ticks);
        let mut instances = Vec::new();
        for pid in &watched.instances {
            let stat = processes
                .get(pid)
                .ok_or_else(|| format!("instance pid {pid} is gone"))?;
            instances.push(stat.ticks);
        }
        Ok(CpuTicks {
            instances,
            postgres: postgres_pids(&processes, watched.postmaster)
                .iter()
                .map(ticks)
                .sum(),
            generator: ticks(&watched.own),
            kernel_threads: processes
                .values()
                .filter(|stat| stat.ppid == 2)
                .map(|stat| stat.ticks)
                .sum(),
            machine: MachineTicks::read()?,
        })
    }

    /// What was used from `before` to this reading, `seconds` apart.
    fn percent(&self, before: &CpuTicks, seconds: f64) -> CpuPercent {
        let percent = |ticks: u64| ticks as f64 / clock_ticks_per_second() / seconds * 100.0;
        let machine =
            |f: fn(&MachineTicks) -> u64| f(&self.machine).saturating_sub(f(&before.machine));
        let instances: Vec<u64> = self
            .instances
            .iter()
            .zip(&before.instances)
            .map(|(after, before)| after.saturating_sub(*before))
            .collect();
        let postgres = self.postgres.saturating_sub(before.postgres);
        let generator = self.generator.saturating_sub(before.generator);
        let kernel =
            self.kernel_threads.saturating_sub(before.kernel_threads) + machine(|m| m.interrupts);
        let accounted = instances.iter().sum::<u64>() + postgres + generator + kernel;
        CpuPercent {
            instances: instances.into_iter().map(percent).collect(),
            postgres: percent(postgres),
            generator: percent(generator),
            kernel: percent(kernel),
            rest: percent((machine(|m| m.busy) + machine(|m| m.steal)).saturating_sub(accounted)),
            idle: percent(machine(|m| m.idle) + machine(|m| m.iowait)),
        }
    }
}

/// CPU used over a minute, in % of one core.
#[derive(Default)]
struct CpuPercent {
    instances: Vec<f64>,
    postgres: f64,
    /// This program.
    generator: f64,
    /// Interrupts, softirqs and kernel threads: mostly the loopback traffic and the fsyncs of the
    /// benchmark itself.
    kernel: f64,
    /// Other programs, and the hypervisor's steal: CPU the benchmark did not have.
    rest: f64,
    /// Idle, waiting for I/O or not.
    idle: f64,
}

/// Samples the processes every SAMPLE_EVERY and prints each minute's row but the last (printed
/// once every connection is done, with its late answers).
async fn monitor(
    stats: &RefCell<Stats>,
    watched: &Watched,
    db: &mut PgConnection,
    start: Instant,
    minutes: usize,
) -> Result<Vec<MinuteResources>, BoxError> {
    let mut cpu_before = (Instant::now(), CpuTicks::read(watched)?);
    let mut all = Vec::with_capacity(minutes);
    for minute in 0..minutes {
        let mut resources = MinuteResources {
            instance_rss_kib: vec![Vec::new(); watched.instances.len()],
            ..MinuteResources::default()
        };
        for sample in 1..=SAMPLES_PER_MINUTE as u32 {
            let at = start + MINUTE * minute as u32 + SAMPLE_EVERY * sample;
            tokio::time::sleep_until(at.into()).await;
            for (rss, &pid) in resources
                .instance_rss_kib
                .iter_mut()
                .zip(&watched.instances)
            {
                rss.push(
                    proc_status_kib(pid, "VmRSS")
                        .map_err(|e| format!("instance pid {pid} (did it exit?): {e}"))?,
                );
            }
            let processes = processes("/proc")?;
            resources.postgres_private_kib.push(
                postgres_pids(&processes, watched.postmaster)
                    .into_iter()
                    .filter_map(|pid| proc_status_kib(pid, "RssAnon").ok())
                    .sum(),
            );
        }
        let cpu = (Instant::now(), CpuTicks::read(watched)?);
        let seconds = cpu.0.duration_since(cpu_before.0).as_secs_f64();
        resources.cpu = cpu.1.percent(&cpu_before.1, seconds);
        cpu_before = cpu;
        (resources.devices, resources.database_bytes) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM device_identities), pg_database_size(current_database())",
        )
        .fetch_one(&mut *db)
        .await?;
        if minute + 1 < minutes {
            print_row(minute, &stats.borrow().minutes[minute], &resources);
        }
        all.push(resources);
    }
    Ok(all)
}

// --- the report ----------------------------------------------------------------------------------

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

fn ms(us: Option<u32>) -> String {
    us.map_or("-".into(), |us| format!("{:.1}", f64::from(us) / 1000.0))
}

fn print_header(instances: usize) {
    println!(
        "per minute: requests/s (all, then per request kind; list = a page, poll = a read of an import's records, recdel = a delete of a processed record),"
    );
    println!(
        "latency of the answers as expected (ms), errors, import p50 (ms from upload until every record is processed),"
    );
    println!(
        "RSS (MiB: each instance's VmRSS, PostgreSQL's private memory), CPU (% of one core: each instance, PostgreSQL, this load generator, the kernel,"
    );
    println!(
        "the rest: other programs and the hypervisor's steal, idle), devices and database size (MiB)"
    );
    let mut header = format!(
        "{:>3} {:>6} |{:>7}{:>7}{:>7}{:>7}{:>7}{:>7}{:>7} |{:>6}{:>7}{:>7}{:>7} |",
        "min",
        "req/s",
        "create",
        "list",
        "update",
        "delete",
        "import",
        "poll",
        "recdel",
        "p50",
        "p99",
        "err",
        "import"
    );
    for i in 1..=instances {
        let _ = write!(header, "{:>7}", format!("rss{i}"));
    }
    let _ = write!(header, "{:>7} |", "rss pg");
    for i in 1..=instances {
        let _ = write!(header, "{:>6}", format!("cpu{i}"));
    }
    let _ = write!(
        header,
        "{:>6}{:>6}{:>6}{:>6}{:>6} |{:>8}{:>7}",
        "pg", "gen", "kern", "rest", "idle", "devices", "db"
    );
    println!("{header}");
}

fn print_row(minute: usize, period: &Period, resources: &MinuteResources) {
    let seconds = MINUTE.as_secs_f64();
    let all = period.all_latencies_us();
    let mut settle = period.import_settle_ms.clone();
    settle.sort_unstable();
    let mut row = format!(
        "{:>3} {:>6.0} |",
        minute + 1,
        period.requests() as f64 / seconds
    );
    for latencies in &period.latencies_us {
        let _ = write!(row, "{:>7.1}", latencies.len() as f64 / seconds);
    }
    let _ = write!(
        row,
        " |{:>6}{:>7}{:>7}{:>7} |",
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 99.0)),
        period.errors,
        percentile(&settle, 50.0).map_or("-".into(), |ms| ms.to_string())
    );
    for rss in &resources.instance_rss_kib {
        let _ = write!(row, "{:>7.1}", mib(mean(rss)));
    }
    let _ = write!(row, "{:>7.1} |", mib(mean(&resources.postgres_private_kib)));
    let cpu = &resources.cpu;
    for percent in cpu.instances.iter().chain([
        &cpu.postgres,
        &cpu.generator,
        &cpu.kernel,
        &cpu.rest,
        &cpu.idle,
    ]) {
        let _ = write!(row, "{percent:>6.0}");
    }
    let _ = write!(
        row,
        " |{:>8}{:>7.1}",
        resources.devices,
        resources.database_bytes as f64 / 1024.0 / 1024.0
    );
    println!("{row}");
}

/// Each request kind over the whole run.
fn print_summary(stats: &Stats) {
    let seconds = MINUTE.as_secs_f64() * stats.minutes.len() as f64;
    println!();
    println!(
        "over the whole run: {:>10}{:>9}{:>9}{:>9}{:>9}",
        "requests", "per s", "p50 ms", "p99 ms", "max ms"
    );
    let mut everything = Vec::new();
    for request in REQUESTS {
        let mut latencies: Vec<u32> = stats
            .minutes
            .iter()
            .flat_map(|m| m.latencies_us[request as usize].iter().copied())
            .collect();
        latencies.sort_unstable();
        print_summary_line(request.name(), &latencies, seconds);
        everything.extend(latencies);
    }
    everything.sort_unstable();
    print_summary_line("all", &everything, seconds);
}

fn print_summary_line(name: &str, latencies: &[u32], seconds: f64) {
    println!(
        "  {name:<17}{:>10}{:>9.1}{:>9}{:>9}{:>9}",
        latencies.len(),
        latencies.len() as f64 / seconds,
        ms(percentile(latencies, 50.0)),
        ms(percentile(latencies, 99.0)),
        ms(latencies.last().copied())
    );
}

/// Every sample `pick` takes from the minutes, in order: one every SAMPLE_EVERY of the run.
fn all_samples(
    resources: &[MinuteResources],
    pick: impl Fn(&MinuteResources) -> &[u64],
) -> Vec<u64> {
    resources
        .iter()
        .flat_map(|m| pick(m).iter().copied())
        .collect()
}

/// When samples `range` were taken, on the run's clock: "1:05-4:00".
fn sample_times(range: &Range<usize>) -> String {
    let clock = |sample: usize| {
        let seconds = SAMPLE_EVERY.as_secs() as usize * sample;
        format!("{}:{:02}", seconds / 60, seconds % 60)
    };
    format!("{}-{}", clock(range.start + 1), clock(range.end))
}

/// Prints the verdict; false when it fails (errors, or an instance's RSS grew).
fn verdict(settings: &Settings, stats: &Stats, resources: &[MinuteResources]) -> bool {
    println!();
    println!("verdict:");
    let errors: u64 = stats.fill.errors + stats.minutes.iter().map(|m| m.errors).sum::<u64>();
    let no_errors = errors == 0;
    println!(
        "  errors: {errors} (fill {}, then {} per minute): {}",
        stats.fill.errors,
        stats
            .minutes
            .iter()
            .map(|m| m.errors.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        if no_errors { "ok" } else { "FAILED" }
    );

    // The steady minutes are all but the first (warm-up), unless there is only one. RSS is
    // compared between the first and the last third of their samples: minutes 2-4 and 8-10 of 10.
    let steady_minute = usize::from(resources.len() > 1);
    let samples = resources.len() * SAMPLES_PER_MINUTE;
    let steady_start = SAMPLES_PER_MINUTE * steady_minute;
    let third = (samples - steady_start) / 3;
    let (first, last) = (steady_start..steady_start + third, samples - third..samples);
    let mut no_growth = true;
    if third == 0 {
        println!("  RSS trend: not judged, too few samples");
    } else {
        let mean_of = |values: &[u64], range: &Range<usize>| mean(&values[range.clone()]);
        println!(
            "  RSS, mean of the samples at {} and at {} (run clock):",
            sample_times(&first),
            sample_times(&last)
        );
        for (i, instance) in settings.instances.iter().enumerate() {
            let rss = all_samples(resources, |m| &m.instance_rss_kib[i]);
            let (before, after) = (mean_of(&rss, &first), mean_of(&rss, &last));
            let growth = after - before;
            let noise = growth < RSS_NOISE_KIB as f64 || growth < before * RSS_NOISE_FRACTION;
            no_growth &= noise;
            println!(
                "    instance {} (pid {}): {:.1} MiB, then {:.1} MiB: {:+.1} MiB ({:+.1} %): {}",
                i + 1,
                instance.pid,
                mib(before),
                mib(after),
                mib(growth),
                growth / before.max(1.0) * 100.0,
                if noise { "ok" } else { "GROWS" }
            );
        }
        let postgres = all_samples(resources, |m| &m.postgres_private_kib);
        println!(
            "    PostgreSQL's private memory (not judged): {:.1} MiB, then {:.1} MiB",
            mib(mean_of(&postgres, &first)),
            mib(mean_of(&postgres, &last))
        );
    }
    println!(
        "  (RSS growth below {:.0} % or {} MiB is noise)",
        RSS_NOISE_FRACTION * 100.0,
        RSS_NOISE_KIB / 1024
    );
    let rate = |minute: usize| stats.minutes[minute].requests() as f64 / MINUTE.as_secs_f64();
    let (first_steady, final_minute) = (steady_minute, stats.minutes.len() - 1);
    println!(
        "  throughput: minute {} {:.0} requests/s, minute {} {:.0} requests/s: {:.2} of the first steady minute",
        first_steady + 1,
        rate(first_steady),
        final_minute + 1,
        rate(final_minute),
        rate(final_minute) / rate(first_steady).max(f64::EPSILON)
    );
    // Other programs' CPU slows the soak down without it being the service's doing.
    let rest = resources.iter().map(|m| m.cpu.rest).fold(0.0, f64::max);
    if rest > DISTURBED_REST_CPU {
        println!(
            "  WARNING: other programs or the hypervisor (steal) took up to {rest:.0} % of a core in a minute: the figures are disturbed"
        );
    }
    let passed = no_errors && no_growth;
    println!("soak: {}", if passed { "PASSED" } else { "FAILED" });
    passed
}
