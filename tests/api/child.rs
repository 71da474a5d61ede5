//! Running an outside program (a client driving the service) to its end or a timeout, with all it
//! printed collected: for the end-to-end tests that drive the service through real clients.

use std::io::Read;
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

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
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
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits in pid_t");
    // SAFETY: a signal to our own child, not reaped yet (so its pid cannot have been reused).
    unsafe { libc::kill(pid, libc::SIGTERM) };
    if wait_for(child, Instant::now() + TERM_GRACE)?.is_none() {
        child.kill()?;
    }
    child.wait()?;
    Ok(None)
}

/// The child's exit status once it has ended, or `None` if it still runs at `deadline`.
fn wait_for(child: &mut Child, deadline: Instant) -> std::io::Result<Option<ExitStatus>> {
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
