use std::process::ExitCode;

use autopilot_registry::commands;
use autopilot_registry::config::Cli;

// Requests allocate and free many small buffers on several threads, where glibc's malloc spends
// far more time (consolidating, locking arenas) than mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_with_default(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let _queued_lines = autopilot_registry::logging::init(cli.log_format);
    commands::run(cli.command).await
}
