//! One PostgreSQL container for the whole test binary, a fresh database per test, and the service
//! spawned on port 0 against it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::dev::ServerHandle;
use autopilot_registry::Application;
use autopilot_registry::config::{Cli, Command, ServeArgs};
use reqwest::{Response, StatusCode};
use serde_json::{Value as Json, json};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::ImageExt;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use uuid::Uuid;

use crate::child::{Run, run_with_timeout};

pub const COLLECTION: &str = "deviceManagement/windowsAutopilotDeviceIdentities";

/// `name:tag` of the PostgreSQL image; scripts/test points it at a local stand-in when no registry
/// can be reached.
const IMAGE_VARIABLE: &str = "AUTOPILOT_TEST_PG_IMAGE";
const DEFAULT_IMAGE: &str = "postgres:16-alpine";
/// What scripts/test builds where the default image cannot be pulled.
const STANDIN_IMAGE: &str = "autopilot-registry/postgres-standin:15";

/// The PostgreSQL image's name and tag: the variable's, else the default image, else (when only
/// it is on this machine, as where no registry can be reached) the stand-in scripts/test built, so
/// that a plain `cargo test` runs here too.
pub fn postgres_image() -> (String, String) {
    let on_this_machine = |image: &str| {
        std::process::Command::new("docker")
            .args(["image", "inspect", image])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    let image = std::env::var(IMAGE_VARIABLE).unwrap_or_else(|_| {
        if !on_this_machine(DEFAULT_IMAGE) && on_this_machine(STANDIN_IMAGE) {
            STANDIN_IMAGE.to_owned()
        } else {
            DEFAULT_IMAGE.to_owned()
        }
    });
    let (name, tag) = image.rsplit_once(':').unwrap_or((&image, "latest"));
    (name.to_owned(), tag.to_owned())
}

struct SharedPostgres {
    /// Connection URL of the server's `postgres` database, for creating test databases.
    admin_url: String,
    container_id: String,
}

static POSTGRES: OnceLock<SharedPostgres> = OnceLock::new();

/// Starts the container once. It lives on a thread of its own (tests each have their own runtime)
/// and is removed when the test process exits.
fn shared_postgres() -> &'static SharedPostgres {
    POSTGRES.get_or_init(|| {
        let (name, tag) = postgres_image();
        let image = format!("{name}:{tag}");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime for the container");
            runtime.block_on(async move {
                let container = Postgres::default()
                    .with_name(name)
                    .with_tag(tag)
                    .start()
                    .await
                    .unwrap_or_else(|e| {
                        panic!("cannot start PostgreSQL ({image}); scripts/test prepares Docker and the image: {e}")
                    });
                let port = container.get_host_port_ipv4(5432).await.expect("mapped port");
                sender
                    .send(SharedPostgres {
                        admin_url: format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres"),
                        container_id: container.id().to_owned(),
                    })
                    .expect("the test thread waits for the container");
                // Keep the container (and the runtime that owns it) for the life of the process.
                std::future::pending::<()>().await;
            });
        });
        let shared = receiver.recv().expect("the PostgreSQL container started");
        unsafe { libc::atexit(remove_container) };
        shared
    })
}

extern "C" fn remove_container() {
    if let Some(shared) = POSTGRES.get() {
        let _ = std::process::Command::new("docker")
            .args(["rm", "--force", "--volumes", &shared.container_id])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// A new, empty database on the shared server; returns its URL.
pub async fn fresh_database() -> String {
    let shared = shared_postgres();
    let name = format!("test_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&shared.admin_url)
        .await
        .expect("connect to the test server");
    admin
        .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .expect("create a test database");
    let (base, _) = shared.admin_url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// How long a test waits for a freshly started service to have migrated its database.
pub const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

pub struct TestApp {
    pub address: SocketAddr,
    /// `http://ADDRESS`, or `https://ADDRESS` when the service serves TLS.
    pub base: String,
    pub database_url: String,
    pub client: reqwest::Client,
    handle: ServerHandle,
}

/// The service on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(&fresh_database().await).await
}

/// The service on a given database (to restart it on the same data, or to reach it through a proxy).
pub async fn spawn_app_on(database_url: &str) -> TestApp {
    spawn_app_with(database_url, &[]).await
}

/// The service with extra `serve` options, as a user would pass them.
pub async fn spawn_app_with(database_url: &str, options: &[&str]) -> TestApp {
    let args = serve_args(database_url, options);
    let application = Application::build(&args).await.expect("the service starts");
    let address = application.address();
    let base = application.url();
    let handle = application.handle();
    let ready = application.ready();
    tokio::spawn(application.run_until_stopped());
    tokio::time::timeout(READY_WITHIN, ready)
        .await
        .expect("the service applies its migrations");
    TestApp {
        address,
        base,
        database_url: database_url.to_owned(),
        client: http_client(),
        handle,
    }
}

/// A reqwest client. reqwest is built without a TLS provider of its own (the service brings ring
/// for JWKS URLs), so one is installed first.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().unwrap()
}

/// A reqwest client builder, for clients with settings of their own (see [`http_client`]).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// `serve` options for a test: this database, port 0 on loopback unless `options` bind elsewhere,
/// and `options`.
pub fn serve_args(database_url: &str, options: &[&str]) -> ServeArgs {
    let base = [
        "autopilot-registry",
        "serve",
        "--database-url",
        database_url,
    ];
    let bind: &[&str] = if options.contains(&"--bind") {
        &[]
    } else {
        &["--bind", "127.0.0.1:0"]
    };
    let args = base
        .iter()
        .chain(bind)
        .chain(options)
        .map(std::ffi::OsString::from);
    match Cli::parse_with_default(args)
        .expect("valid serve options")
        .command
    {
        Command::Serve(args) => args,
        other => panic!("not serve: {other:?}"),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// `<base>/<version>/deviceManagement/windowsAutopilotDeviceIdentities`
    pub fn collection_url(&self, version: &str) -> String {
        self.url(&format!("{version}/{COLLECTION}"))
    }

    pub async fn create(&self, version: &str, body: &Json) -> Response {
        self.client
            .post(self.collection_url(version))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a device that must succeed and returns its body.
    pub async fn create_ok(&self, version: &str, body: &Json) -> Json {
        let response = self.create(version, body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn db(&self) -> PgPool {
        PgPool::connect(&self.database_url).await.unwrap()
    }

    pub async fn device_rows(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM device_identities")
            .fetch_one(&self.db().await)
            .await
            .unwrap()
    }

    /// Stops the service, letting in-flight requests finish.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Sends `method path` (below the service's base URL), with `body` as JSON when given.
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    send_request(app.client.request(method, app.url(path)), body).await
}

/// [`send`] with `Authorization: Bearer token`.
pub async fn send_as(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    let request = app.client.request(method, app.url(path)).bearer_auth(token);
    send_request(request, body).await
}

async fn send_request(request: reqwest::RequestBuilder, body: Option<Json>) -> Response {
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .expect("request sent")
}

/// The JSON body of a response that must have `status` (`null` for a 204, which has none).
pub async fn body_of(response: Response, status: StatusCode) -> Json {
    assert_eq!(response.status(), status);
    if status == StatusCode::NO_CONTENT {
        return Json::Null;
    }
    response.json().await.expect("a JSON body")
}

/// Reads a Graph error envelope, checking the parts every one of them has.
pub async fn error_of(response: Response, status: StatusCode, code: &str) -> Json {
    assert_eq!(response.status(), status);
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Json = response.json().await.expect("a JSON envelope");
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(error["innerError"]["request-id"], request_id.as_str());
    let date = error["innerError"]["date"].as_str().unwrap();
    chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").expect("a valid date");
    body
}

/// A TCP relay to PostgreSQL that can be cut, to make the database unreachable from the service.
pub struct DbProxy {
    pub database_url: String,
    cut: Arc<AtomicBool>,
    /// Connections dropped while cut: how often the service tried to reach the database.
    refused: Arc<AtomicUsize>,
    relays: Arc<Mutex<Vec<AbortHandle>>>,
}

impl DbProxy {
    pub async fn start(database_url: &str) -> DbProxy {
        let upstream = upstream_of(database_url);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let relays = Arc::new(Mutex::new(Vec::new()));
        let (cut_flag, refused_count, relay_list) = (cut.clone(), refused.clone(), relays.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if cut_flag.load(Ordering::SeqCst) {
                    refused_count.fetch_add(1, Ordering::SeqCst);
                    continue; // dropped: the connection is closed at once
                }
                let upstream = upstream.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                relay_list.lock().unwrap().push(relay.abort_handle());
            }
        });
        DbProxy {
            database_url: database_url.replacen(&upstream_of(database_url), &local.to_string(), 1),
            cut,
            refused,
            relays,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for relay in self.relays.lock().unwrap().drain(..) {
            relay.abort();
        }
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    /// How many connections were dropped because the relay was cut.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

/// The `host:port` of a `postgres://user:password@host:port/db` URL.
fn upstream_of(database_url: &str) -> String {
    let after_at = database_url.split_once('@').unwrap().1;
    after_at.split_once('/').unwrap().0.to_owned()
}

/// A port nothing listens on now: for a process that must be told its port before it starts (a
/// restarted container that gets the same one back, a README that names its address).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory of its own under the system's temporary one, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("{label}-{}", Uuid::new_v4()));
        std::fs::create_dir(&path).expect("a temporary directory");
        TempDir(path)
    }

    /// Writes `bytes` to the file `name` in the directory; returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("the file is written");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The beta collection of deployment profiles.
pub const PROFILES: &str = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
/// The dynamic rule of the devices tagged `Kiosk`.
pub const KIOSK_RULE: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk"))"#;

/// A new Entra-joined deployment profile named `name`; its id.
pub async fn create_profile(app: &TestApp, name: &str) -> String {
    let body = json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                      "displayName": name});
    let created = body_of(
        send(app, reqwest::Method::POST, PROFILES, Some(body)).await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

/// A new group of devices: with `rule`, a dynamic one; else one that devices are added to. Its id.
pub async fn create_group(app: &TestApp, name: &str, rule: Option<&str>) -> String {
    let mut body = json!({"displayName": name, "mailNickname": name, "mailEnabled": false,
                          "securityEnabled": true});
    if let Some(rule) = rule {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(rule);
    }
    let created = body_of(
        send(app, reqwest::Method::POST, "beta/groups", Some(body)).await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

/// How long an `app` command may take.
const COMMAND_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);

/// `autopilot-registry app ARGS --database-url URL`, the real binary, run to its end.
pub async fn app_command(database_url: &str, args: &[&str]) -> Run {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_autopilot-registry"));
    command
        .arg("app")
        .args(args)
        .args(["--database-url", database_url])
        .env("RUST_LOG", "warn");
    tokio::task::spawn_blocking(move || run_with_timeout(command, COMMAND_WITHIN))
        .await
        .unwrap()
        .expect("the binary runs")
}

/// The credentials `app add` prints: {"tenantId","clientId","clientSecret"}.
pub async fn app_add(database_url: &str, tenant: Uuid, roles: &[&str]) -> Json {
    let run = app_command(
        database_url,
        &[
            "add",
            "--tenant",
            &tenant.to_string(),
            "--roles",
            &roles.join(","),
        ],
    )
    .await;
    assert!(
        run.succeeded(),
        "app add: {}: {}",
        run.outcome(),
        run.stderr
    );
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// As a staging setup runs: HTTPS from the local CA in `data_dir`, tokens required and only the
/// token endpoint's accepted (no secret, no JWKS), and an app registered in a new tenant with
/// write permission; the service and the app's credentials.
pub async fn https_app_with_registered_app(data_dir: &TempDir) -> (TestApp, Json) {
    let app = spawn_app_with(
        &fresh_database().await,
        &[
            "--auth",
            "jwt",
            "--tls-self-signed",
            "--data-dir",
            data_dir.0.to_str().unwrap(),
        ],
    )
    .await;
    let credentials = app_add(
        &app.database_url,
        Uuid::new_v4(),
        &["DeviceManagementServiceConfig.ReadWrite.All"],
    )
    .await;
    (app, credentials)
}
