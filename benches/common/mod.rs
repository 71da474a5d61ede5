//! What the benchmark programs share: settings from the environment, the database connection and
//! the exit status.

use std::env;
use std::process::ExitCode;

use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The number in environment variable `name`, or `default` when it is not set.
pub fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, BoxError> {
    match env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a number").into()),
        Err(_) => Ok(default),
    }
}

/// The exit status of benchmark `name`: 0 when it ran and was content, 2 when it ran but its
/// figures do not hold up (see the program), 1 when it could not run.
pub fn exit_code(name: &str, outcome: Result<bool, BoxError>) -> ExitCode {
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(error) => {
            eprintln!("{name}: error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A connection to the benchmark's database (`DATABASE_URL`, set by the script).
pub async fn connect(database_url: &str) -> Result<PgConnection, BoxError> {
    PgConnection::connect(database_url)
        .await
        .map_err(|e| format!("cannot connect to DATABASE_URL: {e}").into())
}

/// The value of a PostgreSQL setting, as SHOW prints it.
pub async fn show(db: &mut PgConnection, setting: &str) -> Result<String, BoxError> {
    Ok(sqlx::query_scalar(AssertSqlSafe(format!("SHOW {setting}")))
        .fetch_one(db)
        .await?)
}
