use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use autopilot_registry::config::{Cli, Command};
use autopilot_registry::{Application, StartupError, migrate_when_reachable, open_store};

// Requests allocate and free many small buffers on several threads, where glibc's malloc spends
// far more time (consolidating, locking arenas) than mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_with_default(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let _queued_lines = autopilot_registry::logging::init(cli.log_format);
    let outcome = match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => migrate(args).await,
        // A token signed with a weak secret would be refused by `serve`: say so now.
        Command::Token(args) => match autopilot_registry::auth::weak_secret(&args.jwt_secret) {
            Some(problem) => Err(problem.into()),
            None => {
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
        },
        Command::App(command) => autopilot_registry::auth::apps::run(&command).await,
        Command::Openapi => {
            print!("{}", autopilot_registry::routes::docs::document_json());
            Ok(())
        }
        // Exit codes of its own: 1 when a row failed, 2 when the file or the service is unusable.
        Command::Import(args) => return autopilot_registry::client::import::run(&args).await,
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
    // First: a SIGTERM while the private PostgreSQL starts or the database is away must stop the
    // service too (as PID 1 in a container, a signal nobody catches is ignored).
    let stop = stop_signal()?;
    let application = tokio::select! {
        built = Application::build(&args) => built?,
        () = stopped(stop.clone()) => {
            log::info!("stopped while starting");
            return Ok(());
        }
    };
    if let Some(ca) = application.ca_certificate() {
        log::info!(
            "HTTPS with a certificate from the local CA: clients must trust {}",
            ca.display()
        );
    }
    // The two lines on stdout: scripts and test harnesses read the port from the first and wait
    // for the second before sending Graph requests.
    println!("autopilot-registry listening on {}", application.url());
    let ready = application.ready();
    tokio::spawn(async move {
        ready.await;
        println!("autopilot-registry ready");
    });
    application.run_until(stopped(stop)).await
}

/// Becomes true at the first SIGINT or SIGTERM.
fn stop_signal() -> std::io::Result<watch::Receiver<bool>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        sender.send_replace(true);
    });
    Ok(receiver)
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    // The sender only goes with a signal sent, so an error means stop too.
    let _ = stop.wait_for(|stopped| *stopped).await;
}

async fn migrate(args: autopilot_registry::config::DatabaseArgs) -> Result<(), StartupError> {
    // A private server is stopped again when `_database` is dropped.
    let (store, _database) = open_store(&args).await?;
    migrate_when_reachable(&store).await?;
    log::info!("migrations applied");
    Ok(())
}
