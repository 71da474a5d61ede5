use std::process::ExitCode;

use autopilot_registry::config::{Cli, Command};
use autopilot_registry::{Application, StartupError, open_store};

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,autopilot_registry=info"),
    )
    .init();
    let cli = Cli::parse_with_default(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let outcome = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Token(args) => {
            println!(
                "{}",
                autopilot_registry::auth::mint_token(
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
        Command::Openapi => {
            print!("{}", autopilot_registry::routes::docs::document_json());
            Ok(())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("autopilot-registry: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: autopilot_registry::config::ServeArgs) -> Result<(), StartupError> {
    let application = Application::build(&args).await?;
    // The one line on stdout: scripts and test harnesses wait for it and read the port from it.
    println!(
        "autopilot-registry listening on http://{}",
        application.address()
    );
    application.run_until_stopped().await?;
    Ok(())
}

async fn migrate(args: autopilot_registry::config::DatabaseArgs) -> Result<(), StartupError> {
    // Applied on opening; a private server is stopped again when it is dropped.
    open_store(&args).await?;
    log::info!("migrations applied");
    Ok(())
}
