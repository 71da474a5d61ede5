//! Log lines on stderr through `tracing`, as text or one JSON object a line (`--log-format`),
//! filtered by `RUST_LOG`. Records of the `log` crate (this code's and its dependencies') go the
//! same way. Each request leaves one line of target [`ACCESS_TARGET`].

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is unset (or unreadable): this service's information (the access
/// log included), everyone's warnings.
pub const DEFAULT_FILTER: &str = "warn,autopilot_registry=info";
/// The target of the access log's lines (`RUST_LOG=...,autopilot_registry::access=off` silences it).
pub const ACCESS_TARGET: &str = "autopilot_registry::access";

/// Installs the process's logger; call once, before anything logs, and keep what it returns until
/// the process ends: dropping it writes out the lines still queued.
pub fn init(format: LogFormat) -> WorkerGuard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Lines are written by a thread of their own, so a request never waits on stderr (a line per
    // request is the access log); none is dropped when the queue is full, the request waits then.
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let lines = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
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
    guard
}
