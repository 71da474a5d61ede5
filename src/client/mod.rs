//! The `import` command: a client of any Graph-compatible service (this one, or Graph itself) that
//! uploads an Autopilot CSV through `importedWindowsAutopilotDeviceIdentities/import`, waits for
//! every row to be processed, and reports what became of each.

pub mod csv;
pub mod http;
pub mod import;
mod progress;
pub mod summary;
