//! The client side of the Autopilot import: reading the CSV files that devices are uploaded from.

pub mod csv;
