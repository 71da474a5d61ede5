//! What the benchmark programs share: settings from the environment and the exit status.

use std::env;
use std::process::ExitCode;

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
