//! The client side of the Autopilot import: reading the CSV files that devices are uploaded from,
//! and the requests that upload them to a Graph-compatible service (this one, or Graph itself).

pub mod csv;
pub mod http;
