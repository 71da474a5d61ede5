//! For the end-to-end tests that drive the service through real clients: running an outside
//! program to its end or a timeout, with all it printed collected, and reading the environment
//! variables that say where those clients are.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a child that overran its timeout gets to end after SIGTERM, before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(10);

pub struct Run {
    /// `None` when the child was killed on timeout.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    /// How the child ended, for messages: its exit status, or that it was killed on timeout.
    pub fn outcome(&self) -> String {
        match self.status {
            Some(status) => status.to_string(),
            None => "killed on timeout".to_owned(),
        }
    }
}

/// `autopilot-registry serve` on port 0 with `options`, logging warnings and errors to `stderr`;
/// returns the child and its base URL once it is ready. Blocks: from async code, call it on
/// `spawn_blocking`.
pub fn start_service(database_url: &str, options: &[&str], stderr: Stdio) -> (Child, String) {
    start_service_logging(database_url, options, stderr, "warn")
}

/// [`start_service`] with the log filter `rust_log` (`RUST_LOG`).
pub fn start_service_logging(
    database_url: &str,
    options: &[&str],
    stderr: Stdio,
    rust_log: &str,
) -> (Child, String) {
    let mut arguments = vec!["--database-url", database_url];
    arguments.extend(options);
    start_serve_logging(&arguments, stderr, rust_log)
}

/// `autopilot-registry serve` on port 0 with `options` alone (no DATABASE_URL from the
/// environment either), as [`start_service`] does.
pub fn start_serve(options: &[&str], stderr: Stdio) -> (Child, String) {
    start_serve_logging(options, stderr, "warn")
}

fn start_serve_logging(options: &[&str], stderr: Stdio, rust_log: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_autopilot-registry"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(options)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the service binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_line = || lines.next().expect("a line on stdout").unwrap();
    let listening = next_line();
    let base = listening
        .strip_prefix("autopilot-registry listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {listening}"))
        .to_owned();
    // What a newcomer needs next comes before `ready`: where Swagger UI is, at the least.
    let guidance: Vec<String> =
        std::iter::from_fn(|| Some(next_line()).filter(|line| line != "autopilot-registry ready"))
            .collect();
    let swagger_ui = format!("{base}/swagger-ui/");
    assert!(
        guidance.iter().any(|line| line.contains(&swagger_ui)),
        "the start names {swagger_ui}: {guidance:?}"
    );
    (child, base)
}

/// Runs `command` to its end or until `timeout`, when it is killed; collects all it printed.
/// Blocks: from async code, call it on `tokio::task::spawn_blocking`.
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> std::io::Result<Run> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Drained on threads of their own, so a chatty child never blocks on a full pipe.
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = wait_until(&mut child, Instant::now() + timeout)?;
    Ok(Run {
        status,
        stdout: stdout.join().expect("the stdout reader"),
        stderr: stderr.join().expect("the stderr reader"),
    })
}

pub fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The child's exit status, or `None` once it was stopped at `deadline`: with SIGTERM first, so it
/// can end what it started (Playwright closes its browser, which a SIGKILL would leave running for
/// a while), then, if it is still there after `TERM_GRACE`, with SIGKILL.
fn wait_until(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    if let Some(status) = wait_for(child, deadline)? {
        return Ok(Some(status));
    }
    terminate(child);
    if wait_for(child, Instant::now() + TERM_GRACE)?.is_none() {
        child.kill()?;
    }
    child.wait()?;
    Ok(None)
}

/// Sends SIGTERM to a child that has not been waited for.
pub fn terminate(child: &Child) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits in pid_t");
    // SAFETY: a signal to our own child, not reaped yet (so its pid cannot have been reused).
    assert_eq!(
        unsafe { libc::kill(pid, libc::SIGTERM) },
        0,
        "SIGTERM to {pid}"
    );
}

/// The child's exit status once it has ended, or `None` if it still runs at `deadline`.
pub fn wait_for(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of `variable`, which an end-to-end test needs (a companion tool's path, or an image).
/// Such a test is `#[ignore]`d and runs only when asked for, so a missing value fails it, with
/// `how_to_set` (the command that prepares the piece and gives the value).
#[track_caller]
pub fn required_env(variable: &str, how_to_set: &str) -> String {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!(
            "{variable} is not set; set it with `{how_to_set}`, or run scripts/test, which prepares \
             the environment of every end-to-end test and runs the ignored tests"
        ),
    }
}

/// `python script args...` for a script of this repository: unbuffered (so the lines printed
/// before a kill on timeout are kept), and never through a proxy for the service on loopback.
pub fn python(python: &str, script: &str) -> Command {
    let mut command = Command::new(python);
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(script))
        .env("PYTHONUNBUFFERED", "1");
    for variable in ["NO_PROXY", "no_proxy"] {
        let list = match std::env::var(variable) {
            Ok(list) if !list.is_empty() => format!("{list},127.0.0.1,localhost"),
            _ => "127.0.0.1,localhost".to_owned(),
        };
        command.env(variable, list);
    }
    command
}

/// Runs `command` to its end (at most `timeout`) on a blocking thread, since the service runs on
/// the test's own runtime; prints all it printed and fails the test unless it succeeded.
pub async fn run_to_success(mut command: Command, timeout: Duration) -> Run {
    command.stdin(Stdio::null());
    let shown = format!("{command:?}");
    let started = Instant::now();
    let run = tokio::task::spawn_blocking(move || run_with_timeout(command, timeout))
        .await
        .expect("the thread that runs the child")
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    println!(
        "{shown}: {} after {:.1}s\n--- stdout ---\n{}--- stderr ---\n{}",
        run.outcome(),
        started.elapsed().as_secs_f64(),
        run.stdout,
        run.stderr,
    );
    assert!(run.succeeded(), "{shown} failed (its output is above)");
    run
}
