//! The API test suite: one binary, one PostgreSQL container, a database per test.

mod create;
mod errors;
mod get;
mod helpers;
