//! The command line. Every flag also reads an environment variable.

use clap::{Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "autopilot-registry", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line) for log
    /// collectors.
    #[arg(long, global = true, env = "AUTOPILOT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Cli {
    /// Parses the command line; with no subcommand, `serve` is meant (`autopilot-registry --bind ...`).
    pub fn parse_with_default<I>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = std::ffi::OsString>,
    {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
        let first = args.get(1).and_then(|a| a.to_str()).unwrap_or_default();
        let names_a_command = matches!(
            first,
            "serve" | "migrate" | "openapi" | "token" | "app" | "import" | "help"
        ) || matches!(first, "-h" | "--help" | "-V" | "--version");
        if !names_a_command {
            args.insert(1.min(args.len()), "serve".into());
        }
        Cli::try_parse_from(args)
    }
}

// One value, parsed once at start: boxing the large `serve` variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Graph API (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document (the one served at /openapi.json).
    Openapi,
    /// Mint an HS256 token with AUTOPILOT_JWT_SECRET, for local use and tests.
    Token(TokenArgs),
    /// Manage app registrations: the client ids and secrets the token endpoint
    /// (/{tenant}/oauth2/v2.0/token) issues tokens to.
    #[command(subcommand)]
    App(AppCommand),
    /// Upload an Autopilot CSV through importedWindowsAutopilotDeviceIdentities/import, wait for
    /// every row to be processed and print a summary (exit 0: all complete; 1: some row failed or
    /// was malformed; 2: the file or the service could not be used).
    Import(ImportArgs),
}

// Debug by hand below: the URL may hold a password.
#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL. When unset, a private PostgreSQL runs from the machine's
    /// installed server binaries with its data in --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where the private PostgreSQL keeps its data (and its socket) when DATABASE_URL is unset.
    #[arg(long, env = "AUTOPILOT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The directory of the PostgreSQL server binaries (initdb, postgres) for the private server;
    /// else pg_config --bindir, PATH, then the newest /usr/lib/postgresql/*/bin.
    #[arg(long, env = "AUTOPILOT_PG_BIN")]
    pub pg_bin: Option<PathBuf>,
    /// Most connections the service opens to PostgreSQL: a quarter (at most 4) for grouped
    /// creates, as many for grouped reads by id; of the rest a quarter (at least 2) for background
    /// work and the others for everything else. The four background workers' listeners open one
    /// more each.
    #[arg(long, env = "AUTOPILOT_MAX_DB_CONNECTIONS", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(3..))]
    pub max_db_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "AUTOPILOT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// External base URL for @odata.context, Location and nextLink (e.g. https://graph.example.com).
    /// When unset, it is derived from each request's Host (and, with --trust-forwarded, its
    /// Forwarded and X-Forwarded-Proto/Host headers).
    #[arg(long, env = "AUTOPILOT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Take the scheme and host of links from the Forwarded and X-Forwarded-Proto/Host headers:
    /// only behind a reverse proxy that sets them and that every client goes through, since
    /// anyone else could point the links of their answers elsewhere.
    #[arg(long, env = "AUTOPILOT_TRUST_FORWARDED", conflicts_with = "public_url")]
    pub trust_forwarded: bool,
    /// Seconds an imported identity stays `unknown` before it is processed (decimals allowed);
    /// 0 processes at once. Real Autopilot takes 60 to 95 s.
    #[arg(long, env = "AUTOPILOT_IMPORT_DELAY", default_value = "2", value_parser = parse_seconds)]
    pub import_delay: Duration,
    /// Seconds a device waits `pending` for the profile assigned to it, unless a sync settles it
    /// sooner (decimals allowed).
    #[arg(long, env = "AUTOPILOT_ASSIGNMENT_DELAY", default_value = "2", value_parser = parse_seconds)]
    pub assignment_delay: Duration,
    /// Seconds after its deployment profile is assigned (settled) that a device that never
    /// enrolled enrolls by itself, as a simulated successful Autopilot deployment with no user
    /// (decimals allowed). Off when unset.
    #[arg(long, env = "AUTOPILOT_AUTO_ENROLL_AFTER", value_parser = parse_seconds)]
    pub auto_enroll_after: Option<Duration>,
    /// Seconds after a manual Autopilot sync during which another is refused with 429 (shared by
    /// every instance on the database).
    #[arg(long, env = "AUTOPILOT_SYNC_COOLDOWN", default_value = "600", value_parser = parse_seconds)]
    pub sync_cooldown: Duration,
    #[command(flatten)]
    pub control: ControlArgs,
    /// Throttle Graph requests per tenant and application like Graph does: at most N requests in
    /// any SECONDS (a token bucket of N refilled over SECONDS), shared by every instance on the
    /// database; past it, 429 with Retry-After. Off when unset.
    #[arg(long, env = "AUTOPILOT_THROTTLE", value_parser = parse_throttle)]
    pub throttle: Option<ThrottleRate>,
}

// Debug by hand below: the control token.
#[derive(Clone, Args)]
pub struct ControlArgs {
    /// Serve the test control plane under /_control/ (reset, seed, export and import a tenant,
    /// fault injection, the request journal).
    #[arg(long, env = "AUTOPILOT_CONTROL")]
    pub control: bool,
    /// The bearer token /_control/ requires (at least 16 characters); needed with --auth jwt or
    /// unverified and on any address but loopback.
    #[arg(long, env = "AUTOPILOT_CONTROL_TOKEN", hide_env_values = true)]
    pub control_token: Option<String>,
    /// Serve the web console under /console/: the tenant's devices, imports, profiles, groups,
    /// enrollments and traffic as HTML pages, guarded as /_control/ is (the control token).
    #[arg(long, env = "AUTOPILOT_CONSOLE")]
    pub console: bool,
}

/// `--throttle N/SECONDS`: at most `requests` in any `period`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleRate {
    pub requests: u32,
    pub period: Duration,
}

/// HTTPS: a certificate of one's own, or one from a local CA the service makes.
#[derive(Debug, Clone, Args)]
pub struct TlsArgs {
    /// PEM file with the certificate chain to serve HTTPS with (the server's certificate first).
    #[arg(long, env = "AUTOPILOT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file with the private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "AUTOPILOT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate from a local CA kept in --data-dir/tls (made on first use):
    /// for localhost, 127.0.0.1, ::1 and every --tls-name.
    #[arg(long, env = "AUTOPILOT_TLS_SELF_SIGNED", conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
    /// Another DNS name or IP address for the --tls-self-signed certificate (repeatable or comma
    /// separated), e.g. graph.microsoft.com for a hosts-file redirect.
    #[arg(
        long = "tls-name",
        env = "AUTOPILOT_TLS_NAME",
        value_delimiter = ',',
        requires = "tls_self_signed"
    )]
    pub tls_names: Vec<String>,
}

/// The audiences Graph tokens carry: Graph's URL and its application id.
pub const GRAPH_AUDIENCES: [&str; 2] = [
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

/// How callers of the Graph routes are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// No token needed; every request belongs to the default tenant.
    None,
    /// Tokens are verified (the token endpoint's own key, an HS256 secret, RS256/ES256 keys from a
    /// JWKS) and their claims checked.
    Jwt,
    /// Claims are checked but signatures are not (for real Entra ID tokens issued for Graph).
    Unverified,
}

// Debug by hand below: the JWT secret.
#[derive(Clone, Args)]
pub struct AuthArgs {
    /// How callers are authenticated. When unset: `none` on a loopback address (with a warning);
    /// elsewhere the service refuses to start until a mode is chosen.
    #[arg(long, env = "AUTOPILOT_AUTH", value_enum)]
    pub auth: Option<AuthMode>,
    /// The tenant every request belongs to under `--auth none`.
    #[arg(long, env = "AUTOPILOT_DEFAULT_TENANT", default_value_t = Uuid::nil())]
    pub default_tenant: Uuid,
    /// HS256 secret that signs accepted tokens (and `token` mints with).
    #[arg(long, env = "AUTOPILOT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// JWKS with the RS256/ES256 keys of accepted tokens: a file path or an http(s) URL, read again
    /// when a token names an unknown key.
    #[arg(long, env = "AUTOPILOT_JWKS")]
    pub jwks: Option<String>,
    /// Accepted `aud` values, comma separated.
    #[arg(long, env = "AUTOPILOT_AUDIENCES", value_delimiter = ',', default_values = GRAPH_AUDIENCES)]
    pub audiences: Vec<String>,
    /// Accepted `iss` values, comma separated; any issuer when empty.
    #[arg(long, env = "AUTOPILOT_ISSUERS", value_delimiter = ',')]
    pub issuers: Vec<String>,
    /// Allow `--auth none` on an address other than loopback.
    #[arg(long, env = "AUTOPILOT_ALLOW_ANONYMOUS_REMOTE")]
    pub allow_anonymous_remote: bool,
    /// Allow `--auth unverified` on an address other than loopback.
    #[arg(long, env = "AUTOPILOT_ALLOW_UNVERIFIED_REMOTE")]
    pub allow_unverified_remote: bool,
}

// Debug by hand below: the JWT secret.
#[derive(Clone, Args)]
pub struct TokenArgs {
    /// The tenant (`tid`).
    #[arg(long)]
    pub tenant: Uuid,
    /// Application permissions (`roles`), comma separated.
    #[arg(long, value_delimiter = ',')]
    pub roles: Vec<String>,
    /// Delegated permissions (`scp`), space separated.
    #[arg(long)]
    pub scp: Option<String>,
    /// Lifetime, e.g. 30m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,
    #[arg(long, env = "AUTOPILOT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
    #[arg(long, default_value = GRAPH_AUDIENCES[0])]
    pub audience: String,
    #[arg(long)]
    pub issuer: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AppCommand {
    /// Register an app in a tenant and print its credentials as JSON
    /// ({"tenantId","clientId","clientSecret"}); the secret is shown only this once.
    Add(AppAddArgs),
    /// Print the app registrations as a JSON array (never their secrets).
    List(AppListArgs),
    /// Delete an app registration: the token endpoint refuses its client id from then on (tokens
    /// already issued stay valid until they expire, as on Entra ID).
    Remove(AppRemoveArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AppAddArgs {
    /// The tenant (a GUID): its tokens' `tid`, and the {tenant} of the token endpoint's path.
    #[arg(long)]
    pub tenant: Uuid,
    /// Application permissions its tokens carry (`roles`), comma separated, e.g.
    /// DeviceManagementServiceConfig.ReadWrite.All.
    #[arg(long, value_delimiter = ',', required = true)]
    pub roles: Vec<String>,
    /// A display name (its tokens' `app_displayname`).
    #[arg(long, default_value = "autopilot-registry app")]
    pub name: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct AppListArgs {
    /// Only this tenant's.
    #[arg(long)]
    pub tenant: Option<Uuid>,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct AppRemoveArgs {
    /// The app's client id.
    pub client_id: Uuid,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

// Debug by hand below: the bearer token.
#[derive(Clone, Args)]
pub struct ImportArgs {
    /// The CSV: Device Serial Number, Windows Product ID, Hardware Hash, and optionally Group Tag
    /// and Assigned User; UTF-8 or UTF-16 with a byte order mark.
    pub file: PathBuf,
    /// The Graph root, version included (e.g. https://graph.microsoft.com/beta).
    #[arg(long, env = "AUTOPILOT_URL", default_value = "http://127.0.0.1:8080/beta",
          value_parser = parse_graph_root)]
    pub url: String,
    /// Bearer token sent with every request.
    #[arg(long, env = "AUTOPILOT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The group tag of every row, in place of the file's Group Tag column (empty: none).
    #[arg(long, env = "AUTOPILOT_IMPORT_GROUP_TAG")]
    pub group_tag: Option<String>,
    /// Keep the import records once processed; by default each is deleted, as Microsoft's
    /// scripts do.
    #[arg(long, env = "AUTOPILOT_IMPORT_KEEP_RECORDS")]
    pub keep_records: bool,
    /// Print the summary as one JSON object.
    #[arg(long, env = "AUTOPILOT_IMPORT_JSON")]
    pub json: bool,
    /// How often the import records are read while any is still being processed.
    #[arg(long, env = "AUTOPILOT_IMPORT_POLL_INTERVAL", default_value = "1s",
          value_parser = parse_poll_interval)]
    pub poll_interval: Duration,
    /// The longest wait for the service to process every uploaded row.
    #[arg(long, env = "AUTOPILOT_IMPORT_TIMEOUT", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Stands in for a secret in `Debug` output, so that printing the configuration never leaks it.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

// The hand-written Debug impls destructure their struct, so a new field does not compile until
// it is either printed or redacted here.

impl fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DatabaseArgs {
            database_url,
            data_dir,
            pg_bin,
            max_db_connections,
        } = self;
        f.debug_struct("DatabaseArgs")
            .field("database_url", &database_url.as_ref().map(|_| Redacted))
            .field("data_dir", data_dir)
            .field("pg_bin", pg_bin)
            .field("max_db_connections", max_db_connections)
            .finish()
    }
}

impl fmt::Debug for AuthArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AuthArgs {
            auth,
            default_tenant,
            jwt_secret,
            jwks,
            audiences,
            issuers,
            allow_anonymous_remote,
            allow_unverified_remote,
        } = self;
        f.debug_struct("AuthArgs")
            .field("auth", auth)
            .field("default_tenant", default_tenant)
            .field("jwt_secret", &jwt_secret.as_ref().map(|_| Redacted))
            .field("jwks", jwks)
            .field("audiences", audiences)
            .field("issuers", issuers)
            .field("allow_anonymous_remote", allow_anonymous_remote)
            .field("allow_unverified_remote", allow_unverified_remote)
            .finish()
    }
}

impl fmt::Debug for ControlArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ControlArgs {
            control,
            control_token,
            console,
        } = self;
        f.debug_struct("ControlArgs")
            .field("control", control)
            .field("control_token", &control_token.as_ref().map(|_| Redacted))
            .field("console", console)
            .finish()
    }
}

impl fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TokenArgs {
            tenant,
            roles,
            scp,
            ttl,
            jwt_secret: _,
            audience,
            issuer,
        } = self;
        f.debug_struct("TokenArgs")
            .field("tenant", tenant)
            .field("roles", roles)
            .field("scp", scp)
            .field("ttl", ttl)
            .field("jwt_secret", &Redacted)
            .field("audience", audience)
            .field("issuer", issuer)
            .finish()
    }
}

impl fmt::Debug for ImportArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ImportArgs {
            file,
            url,
            token,
            group_tag,
            keep_records,
            json,
            poll_interval,
            timeout,
        } = self;
        f.debug_struct("ImportArgs")
            .field("file", file)
            .field("url", url)
            .field("token", &token.as_ref().map(|_| Redacted))
            .field("group_tag", group_tag)
            .field("keep_records", keep_records)
            .field("json", json)
            .field("poll_interval", poll_interval)
            .field("timeout", timeout)
            .finish()
    }
}

/// An http(s) URL without query or fragment, without its trailing `/`: paths are appended to it.
fn parse_graph_root(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("'{text}' is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{text}' is not an http or https URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "'{text}' has a query or a fragment: give the Graph root, e.g. https://graph.microsoft.com/beta"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A duration of at least a second: a shorter one would only keep the service busy.
fn parse_poll_interval(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err("the poll interval must be at least 1s".to_owned()),
        interval => Ok(interval),
    }
}

/// `100/20`: 100 requests in any 20 seconds (decimals allowed for the seconds).
fn parse_throttle(text: &str) -> Result<ThrottleRate, String> {
    let invalid = || format!("'{text}' is not a rate such as 100/20 (requests/seconds)");
    let (requests, seconds) = text.split_once('/').ok_or_else(invalid)?;
    let requests: u32 = requests.trim().parse().map_err(|_| invalid())?;
    let period = parse_seconds(seconds).map_err(|_| invalid())?;
    if requests == 0 || period.is_zero() {
        return Err(format!(
            "'{text}' allows nothing: both numbers must be above 0"
        ));
    }
    Ok(ThrottleRate { requests, period })
}

/// `90s`, `30m`, `1h`, `7d`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("'{text}' is not a number of seconds, such as 2 or 0.5"))
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration such as 1h"))?;
    let seconds = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("'{unit}' is not a unit: use s, m, h or d")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("'{text}' is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_with_default(
            std::iter::once("autopilot-registry")
                .chain(args.iter().copied())
                .map(Into::into),
        )
    }

    #[test]
    fn no_subcommand_means_serve() {
        let cli = parse(&["--database-url", "postgres://x", "--bind", "0.0.0.0:9000"]).unwrap();
        assert!(matches!(cli.command, Command::Serve(ref a) if a.bind.port() == 9000));
        // Nothing at all is the embedded default: serve with a private PostgreSQL in ./data.
        let bare = parse(&[]).unwrap();
        assert!(
            matches!(bare.command, Command::Serve(ref a) if a.database.data_dir.ends_with("data"))
        );
    }

    #[test]
    fn throttle_takes_requests_per_seconds() {
        let rate = |text| parse_throttle(text);
        assert_eq!(
            rate("100/20"),
            Ok(ThrottleRate {
                requests: 100,
                period: Duration::from_secs(20)
            })
        );
        assert_eq!(
            rate("5/0.5").map(|r| r.period),
            Ok(Duration::from_millis(500))
        );
        for bad in ["100", "0/20", "10/0", "x/20", "10/y", "-1/2", "/"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
        let cli = parse(&["--throttle", "3/1", "--log-format", "json"]).unwrap();
        assert_eq!(cli.log_format, LogFormat::Json);
        assert!(
            matches!(cli.command, Command::Serve(ref a) if a.throttle.is_some_and(|t| t.requests == 3))
        );
        assert!(
            matches!(parse(&[]).unwrap().command, Command::Serve(ref a) if a.throttle.is_none() && !a.control.control)
        );
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert!(parse_duration("1y").is_err() && parse_duration("h").is_err());
        assert!(parse_duration(&format!("{}d", u64::MAX)).is_err());
    }

    #[test]
    fn token_takes_roles_and_the_default_audience() {
        let cli = parse(&[
            "token",
            "--tenant",
            "00000000-0000-0000-0000-000000000001",
            "--roles",
            "A,B",
            "--jwt-secret",
            "s",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Token(ref t) if t.roles == ["A", "B"] && t.audience == "https://graph.microsoft.com" && t.ttl == Duration::from_secs(3600))
        );
    }

    #[test]
    fn debug_output_redacts_the_jwt_secret_the_database_url_and_the_bearer_token() {
        let password = "db-pass-4f1c";
        let secret = "jwt-secret-9a7e";
        let url = format!("postgres://registry:{password}@db.example:5432/autopilot");
        let commands = [
            parse(&["serve", "--database-url", &url, "--jwt-secret", secret]).unwrap(),
            parse(&["serve", "--control", "--control-token", secret]).unwrap(),
            parse(&["migrate", "--database-url", &url]).unwrap(),
            parse(&[
                "token",
                "--tenant",
                "00000000-0000-0000-0000-000000000001",
                "--jwt-secret",
                secret,
            ])
            .unwrap(),
            parse(&["import", "devices.csv", "--token", secret]).unwrap(),
        ];
        for cli in commands {
            let shown = format!("{cli:?}");
            assert!(
                !shown.contains(password) && !shown.contains(secret),
                "{shown}"
            );
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        // Unset stays visibly unset.
        let shown = format!("{:?}", parse(&[]).unwrap());
        assert!(
            shown.contains("database_url: None") && shown.contains("jwt_secret: None"),
            "{shown}"
        );
        let shown = format!("{:?}", parse(&["import", "devices.csv"]).unwrap());
        assert!(shown.contains("token: None"), "{shown}");
    }

    fn import_args(args: &[&str]) -> Result<ImportArgs, clap::Error> {
        let cli = parse(&[&["import"], args].concat())?;
        match cli.command {
            Command::Import(args) => Ok(args),
            other => panic!("not import: {other:?}"),
        }
    }

    #[test]
    fn import_reads_a_file_to_this_service_by_default() {
        let args = import_args(&["devices.csv"]).unwrap();
        assert_eq!(args.file, PathBuf::from("devices.csv"));
        assert_eq!(args.url, "http://127.0.0.1:8080/beta");
        assert_eq!(args.poll_interval, Duration::from_secs(1));
        assert_eq!(args.timeout, Duration::from_secs(600));
        assert!(args.token.is_none() && args.group_tag.is_none());
        assert!(!args.keep_records && !args.json);

        let args = import_args(&[
            "devices.csv",
            "--url",
            "https://graph.microsoft.com/beta/",
            "--group-tag",
            "Lab",
            "--keep-records",
            "--json",
            "--poll-interval",
            "15s",
            "--timeout",
            "1h",
        ])
        .unwrap();
        assert_eq!(args.url, "https://graph.microsoft.com/beta");
        assert_eq!(args.group_tag.as_deref(), Some("Lab"));
        assert!(args.keep_records && args.json);
        assert_eq!(args.poll_interval, Duration::from_secs(15));
        assert_eq!(args.timeout, Duration::from_secs(3600));
    }

    #[test]
    fn import_refuses_a_url_that_is_not_a_graph_root_and_a_zero_poll_interval() {
        for url in [
            "graph.microsoft.com/beta",
            "ftp://host/beta",
            "https://host/beta?$top=1",
        ] {
            assert!(import_args(&["d.csv", "--url", url]).is_err(), "{url}");
        }
        assert!(import_args(&["d.csv", "--poll-interval", "0s"]).is_err());
        assert!(import_args(&[]).is_err(), "the file is required");
    }

    #[test]
    fn subcommands_take_their_own_options() {
        let cli = parse(&["migrate", "--database-url", "postgres://x"]).unwrap();
        assert!(
            matches!(cli.command, Command::Migrate(ref a) if a.database_url.as_deref() == Some("postgres://x"))
        );
        let cli = parse(&[
            "serve",
            "--database-url",
            "postgres://x",
            "--public-url",
            "https://g",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Serve(ref a) if a.public_url.as_deref() == Some("https://g") && !a.trust_forwarded)
        );
    }

    #[test]
    fn forwarded_headers_are_trusted_only_when_asked_and_never_beside_a_public_url() {
        let trusting = |args: &[&str]| match parse(args).map(|cli| cli.command) {
            Ok(Command::Serve(serve)) => Ok(serve.trust_forwarded),
            Ok(other) => panic!("not serve: {other:?}"),
            Err(error) => Err(error.kind()),
        };
        assert_eq!(trusting(&[]), Ok(false));
        assert_eq!(trusting(&["--trust-forwarded"]), Ok(true));
        assert_eq!(
            trusting(&["--trust-forwarded", "--public-url", "https://g"]),
            Err(clap::error::ErrorKind::ArgumentConflict)
        );
    }
}
