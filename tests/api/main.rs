//! The API test suite: one binary, one PostgreSQL container, a database per test.

mod assignment_status;
mod auth;
mod bad_input;
mod browser;
mod child;
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
mod health;
mod helpers;
mod import_command;
mod import_processing;
mod imports;
mod list;
mod load;
mod logging;
mod migrations;
mod profile_assignments;
mod python_sdk;
mod resilience;
mod security;
mod settings;
mod shutdown;
mod update;
