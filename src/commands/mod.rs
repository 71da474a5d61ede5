//! What the binary can do, one function a command: `main` parses the command line and hands the
//! command here.

mod app;
mod serve;

use std::process::ExitCode;

use crate::config::{Command, DatabaseArgs, TokenArgs};
use crate::startup::{StartupError, migrated_store};

/// Runs one command to its end; the exit code says how it went.
pub async fn run(command: Command) -> ExitCode {
    let outcome = match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(args) => migrate(&args).await,
        Command::Token(args) => token(&args),
        Command::App(command) => app::run(&command).await,
        Command::Openapi => {
            print!("{}", crate::routes::docs::document_json());
            Ok(())
        }
        // Exit codes of its own: 1 when a row failed, 2 when the file or the service is unusable.
        Command::Import(args) => return crate::client::import::run(&args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("autopilot-registry: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(args: &DatabaseArgs) -> Result<(), StartupError> {
    // A private server is stopped again when `_database` is dropped.
    let (_store, _database) = migrated_store(args).await?;
    log::info!("migrations applied");
    Ok(())
}

/// Prints an HS256 token. One signed with a weak secret would be refused by `serve`: say so now.
fn token(args: &TokenArgs) -> Result<(), StartupError> {
    if let Some(problem) = crate::auth::weak_secret(&args.jwt_secret) {
        return Err(problem.into());
    }
    println!(
        "{}",
        crate::identity::mint_token(
            &args.jwt_secret,
            &args.audience,
            args.issuer.as_deref(),
            args.tenant,
            &args.roles,
            args.scp.as_deref(),
            args.ttl,
        )
    );
    Ok(())
}
