//! Log lines on stderr through `tracing`, as text or one JSON object a line (`--log-format`),
//! filtered by `RUST_LOG`. Records of the `log` crate (this code's and its dependencies') go the
//! same way. Each request leaves one line of target [`ACCESS_TARGET`].
//!
//! Lines are written by a thread of their own, so that a request never waits on stderr, and in
//! batches: a request appends its formatted line to a shared buffer, and the writer thread takes
//! the whole buffer when it is big enough or a moment has passed. Handing each line to the thread
//! (a channel, as tracing-appender does) cost a wake-up per request, which under load was more
//! than a tenth of the service's CPU.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is unset (or unreadable): this service's information (the access
/// log included), everyone's warnings.
pub const DEFAULT_FILTER: &str = "warn,autopilot_registry=info";
/// The target of the access log's lines (`RUST_LOG=...,autopilot_registry::access=off` silences it).
pub const ACCESS_TARGET: &str = "autopilot_registry::access";

/// The longest a line waits in the buffer before it is written.
const WRITE_AFTER: Duration = Duration::from_millis(50);
/// A buffer this full is written at once.
const WRITE_AT_BYTES: usize = 64 * 1024;
/// A buffer this full (stderr is not being read) makes loggers wait: no line is dropped.
const WAIT_AT_BYTES: usize = 8 * 1024 * 1024;

/// Installs the process's logger; call once, before anything logs, and keep what it returns until
/// the process ends: dropping it writes out the lines still buffered.
pub fn init(format: LogFormat) -> QueuedLines {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let queued = QueuedLines::start(io::stderr());
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(queued.writer());
    match format {
        LogFormat::Text => lines.init(),
        // The event's fields at the top level, beside timestamp, level and target.
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .init(),
    }
    queued
}

/// Lines waiting for the writer thread, and that thread. Dropping it writes what is left and
/// stops the thread.
pub struct QueuedLines {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

/// A handle loggers write their lines through.
#[derive(Clone)]
pub struct LineWriter(Arc<Shared>);

struct Shared {
    state: Mutex<Buffer>,
    /// Signalled when the buffer is worth writing now, or the process ends.
    full: Condvar,
    /// Signalled when the writer has taken the buffer.
    taken: Condvar,
}

#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    closing: bool,
}

impl QueuedLines {
    fn start(mut out: impl Write + Send + 'static) -> QueuedLines {
        let shared = Arc::new(Shared {
            state: Mutex::new(Buffer::default()),
            full: Condvar::new(),
            taken: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let writer = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || thread_shared.write_until_closed(&mut out))
            .expect("the log writer thread starts");
        QueuedLines {
            shared,
            writer: Some(writer),
        }
    }

    pub fn writer(&self) -> LineWriter {
        LineWriter(Arc::clone(&self.shared))
    }
}

impl Drop for QueuedLines {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.full.notify_one();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Shared {
    /// The buffer, even when a thread panicked holding it: a log line half-appended is still
    /// better written than the process's logging stopped.
    fn lock(&self) -> MutexGuard<'_, Buffer> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write_until_closed(&self, out: &mut impl Write) {
        let mut batch = Vec::new();
        loop {
            let closing = {
                let mut buffer = self.lock();
                if buffer.bytes.len() < WRITE_AT_BYTES && !buffer.closing {
                    buffer = self
                        .full
                        .wait_timeout(buffer, WRITE_AFTER)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0;
                }
                std::mem::swap(&mut batch, &mut buffer.bytes);
                buffer.closing
            };
            self.taken.notify_all();
            if !batch.is_empty() {
                // Nowhere to report a failed write to but stderr itself: the lines are lost.
                let _ = out.write_all(&batch).and_then(|()| out.flush());
                batch.clear();
            }
            if closing && self.lock().bytes.is_empty() {
                return;
            }
        }
    }
}

impl Write for LineWriter {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut buffer = self.0.lock();
        while buffer.bytes.len() >= WAIT_AT_BYTES && !buffer.closing {
            buffer = self
                .0
                .taken
                .wait(buffer)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        buffer.bytes.extend_from_slice(line);
        if buffer.bytes.len() >= WRITE_AT_BYTES {
            self.0.full.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LineWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the writer thread wrote, shared with the test.
    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_queue_is_dropped() {
        let collected = Collected::default();
        let queued = QueuedLines::start(collected.clone());
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let mut writer = queued.writer();
                std::thread::spawn(move || {
                    // A whole line a write, as tracing's formatter writes.
                    for line in 0..20_000 {
                        writer
                            .write_all(format!("{thread} {line}\n").as_bytes())
                            .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(queued);
        let text = String::from_utf8(collected.0.lock().unwrap().clone()).unwrap();
        let mut next = [0; 4];
        for line in text.lines() {
            let (thread, number) = line.split_once(' ').unwrap();
            let thread: usize = thread.parse().unwrap();
            assert_eq!(number.parse::<usize>().unwrap(), next[thread], "{line}");
            next[thread] += 1;
        }
        assert_eq!(next, [20_000; 4]);
    }

    #[test]
    fn a_lone_line_is_written_without_waiting_for_more() {
        let collected = Collected::default();
        let queued = QueuedLines::start(collected.clone());
        queued.writer().write_all(b"alone\n").unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while collected.0.lock().unwrap().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "not written within 5 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(collected.0.lock().unwrap().as_slice(), b"alone\n");
        drop(queued);
    }
}
