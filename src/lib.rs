//! autopilot-registry: a self-hosted, PostgreSQL-backed stand-in for the Microsoft Graph API that
//! manages Windows Autopilot device identities.
//!
//! Modules, from the top of the dependency graph down (imports only run down it):
//! `commands` (what the binary can do) → `startup` (the composition root) → `routes` (actix
//! handlers, extractors, middleware), `workers` (background work), `control` (the control plane),
//! `identity` (the Entra-like token provider), `auth` (who is calling) → `graph` (the wire
//! contract) → `domain` (entity-set tables, parsed queries, workflow rules) ← `store`
//! (PostgreSQL). `config` is read by all and reads nothing of ours. `client` is the other side of
//! the import: it reads Autopilot CSV files and uploads them to any Graph-compatible service.

pub mod auth;
pub mod client;
pub mod commands;
pub mod config;
pub mod control;
pub mod domain;
pub mod embedded;
pub mod graph;
pub mod identity;
pub mod logging;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod store;
#[cfg(feature = "testcontainers")]
pub mod testcontainers;
pub mod tls;
pub mod workers;

#[cfg(test)]
mod filter_sql_tests;
#[cfg(test)]
mod hostile_input_tests;

pub use startup::{Application, StartupError};
