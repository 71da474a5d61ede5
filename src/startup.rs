//! The composition root: builds the service from its configuration (the store, the identity
//! provider, the authenticator, the control plane, the HTTP server, the background workers) and
//! runs it. Commands use it; nothing else imports it.

use actix_web::HttpServer;
use actix_web::dev::{Server, ServerHandle};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{self, AuthSettings, Authenticator, JwksSource};
use crate::config::{AuthMode, DatabaseArgs, ServeArgs};
use crate::control::faults::Faults;
use crate::control::journal::Journal;
use crate::control::origin::SameOrigin;
use crate::control::{ControlPlane, MIN_TOKEN_CHARS};
use crate::domain::Tenant;
use crate::embedded::EmbeddedPostgres;
use crate::graph::links::LinkBase;
use crate::identity::issuer::Issuer;
use crate::metrics::Metrics;
use crate::routes::SyncCooldown;
use crate::routes::app;
use crate::routes::traffic::Traffic;
use crate::store::{self, Store};
use crate::{tls, workers};

pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// How long in-flight requests may take to finish once a stop is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The longest pause between two attempts to reach the database at start.
const MAX_STARTUP_BACKOFF: Duration = Duration::from_secs(5);

/// The service, bound, not yet serving; it applies the migrations once it runs.
pub struct Application {
    address: SocketAddr,
    /// `https` when serving TLS, else `http`.
    scheme: &'static str,
    /// With `--tls-self-signed`: the local CA's certificate, for clients to trust.
    ca_certificate: Option<PathBuf>,
    server: Server,
    store: Store,
    /// How long an imported identity waits before it is processed.
    import_delay: Duration,
    /// How long a device waits `pending` for its profile.
    assignment_delay: Duration,
    /// How long after its profile is assigned a device enrolls by itself, if it does.
    auto_enroll_after: Option<Duration>,
    /// The private PostgreSQL, when no DATABASE_URL was given; stopped after the server.
    database: Option<EmbeddedPostgres>,
}

impl Application {
    /// Prepares the database connection (starting the private PostgreSQL when no URL is given) and
    /// binds the listener; port 0 picks a free port. The database need not be reachable yet.
    pub async fn build(args: &ServeArgs) -> Result<Application, StartupError> {
        let settings = auth_settings(args)?;
        let tls = tls::configure(&args.tls, &args.database.data_dir)?;
        let (store, database) = open_store(&args.database).await?;
        let issuer = Arc::new(Issuer::new(store.clone()));
        let authenticator = actix_web::web::Data::new(Authenticator::new(settings, issuer.clone()));
        let issuer = actix_web::web::Data::from(issuer);

        let listener = TcpListener::bind(args.bind).map_err(|e| {
            format!(
                "cannot listen on {}: {e}. Choose another address with --bind (AUTOPILOT_BIND).",
                args.bind
            )
        })?;
        let address = listener.local_addr()?;
        let link_base = match &args.public_url {
            Some(url) => LinkBase::Public(url.trim_end_matches('/').to_owned()),
            None => LinkBase::FromRequest {
                trust_forwarded: args.trust_forwarded,
            },
        };
        let traffic = actix_web::web::Data::new(Traffic {
            control: control_plane(args)?,
            metrics: Metrics::new(&store),
            faults: Faults::default(),
            journal: args.control.control.then(Journal::default),
            throttle: args.throttle,
        });
        let app_store = store.clone();
        // One HTTP worker thread per CPU, as actix would choose; each has grouped statements of
        // its own, so that a create or a read by id never leaves the thread that received it.
        let http_workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let sync_cooldown = args.sync_cooldown;
        let server = HttpServer::new(move || {
            app::graph_app(
                app_store.with_own_grouped_statements(http_workers as u32),
                link_base.clone(),
                SyncCooldown(sync_cooldown),
                authenticator.clone(),
                issuer.clone(),
                traffic.clone(),
            )
        })
        // An answer written in several pieces (a gzip body leaves as it is compressed) must not
        // wait for the client's delayed acknowledgement of the first: Nagle's algorithm added
        // 40 ms to a compressed 1000-device page.
        .workers(http_workers)
        .tcp_nodelay(true);
        let (server, scheme, ca_certificate) = match tls {
            Some(tls) => (
                server.listen_rustls_0_23(listener, tls.config)?,
                "https",
                tls.ca_certificate,
            ),
            None => (server.listen(listener)?, "http", None),
        };
        // The binary owns SIGINT and SIGTERM from its first instruction (see `run_until`): actix
        // would only catch them once the server runs, and a process that has not caught SIGTERM
        // ignores it as PID 1 in a container.
        let server = server
            .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
            .disable_signals()
            .run();
        Ok(Application {
            address,
            scheme,
            ca_certificate,
            server,
            store,
            import_delay: args.import_delay,
            assignment_delay: args.assignment_delay,
            auto_enroll_after: args.auto_enroll_after,
            database,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://ADDRESS` or, serving TLS, `https://ADDRESS`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.address)
    }

    /// With `--tls-self-signed`, the local CA certificate clients must trust.
    pub fn ca_certificate(&self) -> Option<&std::path::Path> {
        self.ca_certificate.as_deref()
    }

    /// Stops the server: `stop(true)` lets in-flight requests finish.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Resolves once the migrations are applied and the Graph routes serve (`/readyz` says so too).
    pub fn ready(&self) -> impl Future<Output = ()> + Send + 'static {
        let store = self.store.clone();
        async move { store.migrated().await }
    }

    /// Serves until a stop through the handle, as [`Application::run_until`] does.
    pub async fn run_until_stopped(self) -> Result<(), StartupError> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `stop` resolves (the binary's SIGINT or SIGTERM) or a stop through the handle,
    /// finishing in-flight requests. Meanwhile it applies the migrations as soon as the database
    /// can be reached; until then the Graph routes and `/readyz` answer 503. Once they are
    /// applied, background work (processing imported identities, completing syncs, profile
    /// assignment status) runs until the server stops. A migration that fails for any other
    /// reason stops the server and is returned.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            stop.await;
            log::info!("stopping: in-flight requests may finish");
            handle.stop(true).await;
        });
        let Application {
            mut server,
            store,
            import_delay,
            assignment_delay,
            auto_enroll_after,
            database,
            ..
        } = self;
        let outcome = tokio::select! {
            served = &mut server => served.map_err(StartupError::from),
            migrated = migrate_when_reachable(&store) => match migrated {
                Ok(()) => {
                    log::info!("migrations applied: serving");
                    let store = store.background();
                    let mut work = vec![
                        tokio::spawn(workers::run(
                            store.clone(),
                            workers::imports::ImportProcessing { delay: import_delay },
                        )),
                        tokio::spawn(workers::run(store.clone(), workers::syncs::SyncCompletion)),
                        tokio::spawn(workers::run(
                            store.clone(),
                            workers::device_actions::DeviceActionSettling,
                        )),
                        tokio::spawn(workers::run(
                            store.clone(),
                            workers::assignments::AssignmentRecompute,
                        )),
                        tokio::spawn(workers::run(
                            store.clone(),
                            workers::assignments::AssignmentSettling {
                                delay: assignment_delay,
                            },
                        )),
                    ];
                    if let Some(after) = auto_enroll_after {
                        work.push(tokio::spawn(workers::run(
                            store.clone(),
                            workers::enrollments::AutoEnrollment { after },
                        )));
                    }
                    let served = server.await.map_err(StartupError::from);
                    work.iter().for_each(tokio::task::JoinHandle::abort);
                    served
                }
                Err(error) => {
                    server.handle().stop(false).await;
                    let _ = server.await;
                    Err(error)
                }
            },
        };
        drop(database);
        outcome
    }
}

/// The token check `serve` runs with: `none` by default on loopback (with a warning); a refusal to
/// serve anyone off loopback without verifying tokens unless asked to in so many words; a refusal of
/// an HS256 secret that could be guessed, and of a secret or JWKS the mode would silently ignore.
pub fn auth_settings(args: &ServeArgs) -> Result<AuthSettings, StartupError> {
    let auth = &args.auth;
    let mode = auth.auth.unwrap_or(AuthMode::None);
    let loopback = args.bind.ip().is_loopback();
    let secret = auth.jwt_secret.clone().filter(|s| !s.is_empty());
    let open_remote = match mode {
        AuthMode::None => (!auth.allow_anonymous_remote).then_some((
            "without authentication",
            "anyone who reaches it could read and change every device",
            "--allow-anonymous-remote",
        )),
        AuthMode::Unverified => (!auth.allow_unverified_remote).then_some((
            "without verifying token signatures (--auth unverified)",
            "anyone who reaches it could forge a token for any tenant",
            "--allow-unverified-remote",
        )),
        AuthMode::Jwt => None,
    };
    if let Some((how, danger, flag)) = open_remote.filter(|_| !loopback) {
        return Err(format!(
            "refusing to serve {how} on {}, which is not a loopback address: {danger}. Choose \
             --auth jwt (AUTOPILOT_AUTH), or pass {flag} for an instance only trusted clients can \
             reach.",
            args.bind
        )
        .into());
    }
    if mode != AuthMode::Jwt {
        // Whoever configured a key believes tokens are verified with it: they would not be.
        let ignored: Vec<&str> = [
            secret
                .as_ref()
                .map(|_| "AUTOPILOT_JWT_SECRET (--jwt-secret)"),
            auth.jwks.as_ref().map(|_| "AUTOPILOT_JWKS (--jwks)"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !ignored.is_empty() {
            let mode = if mode == AuthMode::None {
                "none"
            } else {
                "unverified"
            };
            return Err(format!(
                "{} is set, but --auth {mode} verifies no signature with it. Choose --auth jwt \
                 (AUTOPILOT_AUTH) to verify tokens, or unset it.",
                ignored.join(" and ")
            )
            .into());
        }
    }
    if mode == AuthMode::None {
        log::warn!(
            "authentication is off (--auth none): every request acts for tenant {}",
            auth.default_tenant
        );
    }
    // Under `jwt` the token endpoint's own tokens are always accepted: a secret and a JWKS are
    // optional.
    if let Some(problem) = secret.as_deref().and_then(auth::weak_secret) {
        return Err(format!("refusing to serve: {problem}").into());
    }
    Ok(AuthSettings {
        mode,
        default_tenant: Tenant(auth.default_tenant),
        secret,
        jwks: auth.jwks.as_deref().map(JwksSource::parse).transpose()?,
        audiences: auth.audiences.clone(),
        issuers: auth.issuers.clone(),
    })
}

/// The control plane and web console `serve` runs with: off unless asked for; a token of at least
/// [`MIN_TOKEN_CHARS`] when one is given, and one required where anyone but this machine's users
/// could reach either or where Graph requests need verified tokens.
pub fn control_plane(args: &ServeArgs) -> Result<ControlPlane, StartupError> {
    let control = &args.control;
    let token = control.control_token.clone().filter(|t| !t.is_empty());
    if let Some(token) = &token
        && token.chars().count() < MIN_TOKEN_CHARS
    {
        return Err(format!(
            "AUTOPILOT_CONTROL_TOKEN has {} characters; it needs at least {MIN_TOKEN_CHARS} \
             (random ones, e.g. `openssl rand -hex 32`).",
            token.chars().count()
        )
        .into());
    }
    if (control.control || control.console) && token.is_none() {
        let why = if !args.bind.ip().is_loopback() {
            Some(format!("{} is not a loopback address", args.bind))
        } else {
            match args.auth.auth.unwrap_or(AuthMode::None) {
                AuthMode::None => None,
                AuthMode::Jwt => Some("--auth jwt verifies Graph callers".to_owned()),
                AuthMode::Unverified => Some("--auth unverified checks Graph callers".to_owned()),
            }
        };
        if let Some(why) = why {
            let door = match control.control {
                true => "the control plane (--control)",
                false => "the web console (--console)",
            };
            return Err(format!(
                "refusing to serve {door} without a token: {why}, and it can reset or rewrite \
                 any tenant. Set AUTOPILOT_CONTROL_TOKEN (--control-token)."
            )
            .into());
        }
    }
    let origin = SameOrigin::new(args.bind, args.public_url.as_deref(), token.is_none());
    Ok(ControlPlane {
        enabled: control.control,
        console: control.console,
        token,
        origin,
    })
}

/// The database: the one at DATABASE_URL, or a private one started in --data-dir; not migrated.
pub async fn open_store(
    args: &DatabaseArgs,
) -> Result<(Store, Option<EmbeddedPostgres>), StartupError> {
    let (url, database) = match &args.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let database = EmbeddedPostgres::start(&args.data_dir, args.pg_bin.as_deref()).await?;
            (database.database_url(), Some(database))
        }
    };
    let store = Store::connect_lazy(&url, args.max_db_connections)?;
    Ok((store, database))
}

/// The database with its migrations applied, and the private server it runs on, if any (stopped
/// when dropped): what the commands that only touch the database (`migrate`, `app`) need.
pub async fn migrated_store(
    args: &DatabaseArgs,
) -> Result<(Store, Option<EmbeddedPostgres>), StartupError> {
    let (store, database) = open_store(args).await?;
    migrate_when_reachable(&store).await?;
    Ok((store, database))
}

/// Applies migrations, retrying with backoff while the database cannot be reached or refuses the
/// service (an unknown database, a wrong password: PostgreSQL's reason is logged at each retry and
/// shown by `/readyz`); any other failure (a broken migration, TLS that the URL's `sslmode` cannot
/// set up) ends the start at once.
pub async fn migrate_when_reachable(store: &Store) -> Result<(), StartupError> {
    let mut backoff = Duration::from_millis(250);
    loop {
        // One connection of its own first: the pool retries a refused connection in silence.
        let problem = match store.probe().await {
            Err(store::ProbeError::Tls(why)) => return Err(why.into()),
            Err(store::ProbeError::NotYet(error)) => error.to_string(),
            Ok(()) => match store.migrate().await {
                Ok(()) => return Ok(()),
                Err(sqlx::migrate::MigrateError::Execute(error))
                    if store::is_unreachable(&error) =>
                {
                    error.to_string()
                }
                Err(error) => return Err(error.into()),
            },
        };
        log::warn!("database not ready ({problem}); retrying in {backoff:?}");
        store.waiting_on(problem);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_STARTUP_BACKOFF);
    }
}
