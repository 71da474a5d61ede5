//! The private PostgreSQL used when no `DATABASE_URL` is given: the machine's installed server
//! binaries, a cluster in `--data-dir`, reached only through a Unix socket in that directory.
//!
//! A small supervisor rather than a crate that downloads PostgreSQL: nothing is fetched, and the
//! server is the one the machine's packages keep up to date.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why the private PostgreSQL could not be started: missing binaries, a data directory it cannot
/// use, a server that does not come up.
pub type EmbeddedError = Box<dyn std::error::Error + Send + Sync>;

/// The cluster's directory inside `--data-dir`.
const CLUSTER: &str = "pgdata";
/// The role the service connects as (initdb's superuser).
const ROLE: &str = "autopilot";
/// How long the server may take to accept connections (crash recovery included).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The account PostgreSQL runs as when the service runs as root (initdb refuses root).
const UNPRIVILEGED_USER: &str = "postgres";

/// A running private PostgreSQL; stopped when dropped (a fast shutdown, see the `Drop` impl) or,
/// on Linux, when the service dies, unless another process started it (see `start`).
pub struct EmbeddedPostgres {
    /// `None` when the server belongs to another process on the same data directory.
    server: Option<Child>,
    socket_dir: PathBuf,
}

impl EmbeddedPostgres {
    /// Initialises the cluster on first use, then starts the server and waits until it accepts
    /// connections. When a server already runs on the cluster (a running `serve`, and this is
    /// `app add` or `migrate` on the same data directory), that one is used and left running.
    pub async fn start(data_dir: &Path, pg_bin: Option<&Path>) -> Result<Self, EmbeddedError> {
        let bin = find_binaries(pg_bin)?;
        std::fs::create_dir_all(data_dir).map_err(|e| {
            format!(
                "cannot create the data directory {}: {e}",
                data_dir.display()
            )
        })?;
        let data_dir = data_dir.canonicalize()?;
        let owner = server_account()?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&data_dir, Some(uid), Some(gid))?;
        }
        std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))?;
        let cluster = data_dir.join(CLUSTER);

        if !cluster.join("PG_VERSION").exists() {
            log::info!("initialising PostgreSQL in {}", cluster.display());
            let status = as_server_account(Command::new(bin.join("initdb")), owner)
                .arg("--pgdata")
                .arg(&cluster)
                .args([
                    "--username",
                    ROLE,
                    "--auth",
                    "trust",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",
                ])
                .stdout(Stdio::null())
                .status()
                .map_err(|e| format!("cannot run initdb: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "initdb failed ({status}) for {}; if PostgreSQL runs as another user, that user \
                     must be able to reach the directory",
                    cluster.display()
                )
                .into());
            }
        }
        if let Some(pid) = running_server(&cluster) {
            log::info!(
                "using the PostgreSQL already running in {} (pid {pid})",
                cluster.display()
            );
            let mut borrowed = EmbeddedPostgres {
                server: None,
                socket_dir: data_dir,
            };
            borrowed.wait_until_accepting().await.map_err(|e| {
                format!(
                    "{}/postmaster.pid names a running server (pid {pid}), but: {e}",
                    cluster.display()
                )
            })?;
            return Ok(borrowed);
        }
        remove_stale_lock_files(&cluster, &data_dir);

        // No TCP listener: the socket in the data directory (mode 0700) is the only way in.
        let mut command = as_server_account(Command::new(bin.join("postgres")), owner);
        command
            .arg("-D")
            .arg(&cluster)
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", data_dir.display()))
            .args(["-c", "unix_socket_permissions=0700"])
            .stdin(Stdio::null());
        // The server must not outlive the service, even a killed one. PR_SET_PDEATHSIG is Linux's
        // alone; elsewhere only the Drop below stops it, and a killed service leaves it running
        // until it is stopped by hand (the next start then finds its postmaster.pid and refuses).
        #[cfg(target_os = "linux")]
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let server = command
            .spawn()
            .map_err(|e| format!("cannot start PostgreSQL: {e}"))?;
        let mut embedded = EmbeddedPostgres {
            server: Some(server),
            socket_dir: data_dir,
        };
        embedded.wait_until_accepting().await?;
        Ok(embedded)
    }

    /// The connection URL of the private server.
    pub fn database_url(&self) -> String {
        format!(
            "postgres://{ROLE}@localhost/postgres?host={}",
            self.socket_dir.display()
        )
    }

    async fn wait_until_accepting(&mut self) -> Result<(), EmbeddedError> {
        use sqlx::Connection;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self
                .server
                .as_mut()
                .map(Child::try_wait)
                .transpose()?
                .flatten()
            {
                return Err(format!(
                    "PostgreSQL exited while starting ({status}); its log is above"
                )
                .into());
            }
            if sqlx::PgConnection::connect(&self.database_url())
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("PostgreSQL did not accept connections within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for EmbeddedPostgres {
    /// Fast shutdown: open sessions are ended, every committed transaction is already durable.
    fn drop(&mut self) {
        let Some(server) = &mut self.server else {
            return;
        };
        unsafe {
            libc::kill(server.id() as libc::pid_t, libc::SIGINT);
        }
        match server.wait() {
            Ok(status) => log::info!("PostgreSQL stopped ({status})"),
            Err(e) => log::warn!("waiting for PostgreSQL to stop: {e}"),
        }
    }
}

/// `--pg-bin`, else `pg_config --bindir`, else `initdb` on PATH, else the newest
/// `/usr/lib/postgresql/*/bin`.
fn find_binaries(pg_bin: Option<&Path>) -> Result<PathBuf, EmbeddedError> {
    let complete = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = pg_bin {
        return if complete(dir) {
            Ok(dir.to_owned())
        } else {
            Err(format!("--pg-bin {} holds no initdb and postgres", dir.display()).into())
        };
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut packaged: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    packaged.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    from_pg_config
        .into_iter()
        .chain(on_path)
        .chain(packaged.into_iter().map(|(_, dir)| dir))
        .find(|dir| complete(dir))
        .ok_or_else(|| {
            "no PostgreSQL server binaries found (looked at --pg-bin, pg_config --bindir, PATH and \
             /usr/lib/postgresql/*/bin): install PostgreSQL (e.g. apt-get install postgresql) or \
             set DATABASE_URL to a server of your own"
                .into()
        })
}

/// The uid and gid PostgreSQL runs as: `None` (this process's own) unless the service is root.
fn server_account() -> Result<Option<(u32, u32)>, EmbeddedError> {
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new(UNPRIVILEGED_USER).expect("no NUL");
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(format!(
            "running as root, PostgreSQL needs an unprivileged account '{UNPRIVILEGED_USER}' \
             (the postgresql package creates it), or run the service as another user"
        )
        .into());
    }
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn as_server_account(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    command
}

/// A crash leaves `postmaster.pid` in the cluster and `.s.PGSQL.<port>.lock` beside the socket
/// behind. Each names the server's pid on its first line; when that process is gone (or a zombie,
/// or some other program that got its pid), the file is stale. PostgreSQL checks the socket lock
/// itself, but takes a zombie for a live server and refuses to start ("another postmaster ... is
/// using socket file"), which is what a killed server becomes where init does not reap orphans.
fn remove_stale_lock_files(cluster: &Path, socket_dir: &Path) {
    let socket_locks = std::fs::read_dir(socket_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(".s.PGSQL.") && name.ends_with(".lock"))
        });
    for lock in std::iter::once(cluster.join("postmaster.pid")).chain(socket_locks) {
        remove_if_stale(&lock);
    }
}

/// The pid of the server running on `cluster`, if its `postmaster.pid` names a live one.
fn running_server(cluster: &Path) -> Option<u32> {
    live_owner(&std::fs::read_to_string(cluster.join("postmaster.pid")).ok()?)
}

/// The pid on a lock file's first line, when that may be the server that wrote it.
fn live_owner(lock_file_text: &str) -> Option<u32> {
    lock_file_text
        .lines()
        .next()
        .and_then(|line| line.trim().parse::<u32>().ok())
        .filter(|pid| may_be_running_postgres(*pid))
}

fn remove_if_stale(lock: &Path) {
    let Ok(text) = std::fs::read_to_string(lock) else {
        return;
    };
    if live_owner(&text).is_none() {
        log::warn!(
            "removing the stale {} of a server that is gone",
            lock.display()
        );
        let _ = std::fs::remove_file(lock);
    }
}

/// Whether `pid` may be the server that wrote the pid file: a live process (not a zombie) whose
/// command line names postgres.
#[cfg(target_os = "linux")]
fn may_be_running_postgres(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the parenthesised command name: `pid (comm) S ...`.
    let running = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']));
    let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    running && String::from_utf8_lossy(&command).contains("postgres")
}

/// Without /proc a process's command line is out of easy reach, so any live process that could be
/// the server counts: a running server's pid file is never removed, and a stale one whose pid was
/// reused stays for PostgreSQL to refuse (naming that pid).
#[cfg(not(target_os = "linux"))]
fn may_be_running_postgres(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing. It fails with EPERM for another user's process, which is not
    // the server: that runs as this process's user, or as UNPRIVILEGED_USER when this is root, who
    // may signal anyone.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}
