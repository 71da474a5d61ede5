//! The API test suite: one binary, one PostgreSQL container, a database per test.

mod assignment_status;
mod auth;
mod bad_input;
mod batch;
mod browser;
mod child;
mod citus;
mod compression;
// The testcontainers Image this crate offers its consumers exists with that feature only.
#[cfg(feature = "testcontainers")]
mod consumer;
mod control;
mod create;
mod deployment_profiles;
mod directory;
mod docs;
mod embedded;
mod errors;
mod filter;
mod fuzz;
mod get;
mod graph_client;
mod health;
mod helpers;
mod import_command;
mod import_processing;
mod imports;
mod instances;
mod layers;
mod lenient_bodies;
mod list;
mod load;
mod logging;
mod migrations;
mod postgres_tls;
mod profile_assignments;
mod python_sdk;
mod readme;
mod resilience;
mod security;
mod settings;
mod shutdown;
mod tenant_keys;
mod tls;
mod token_endpoint;
mod update;
