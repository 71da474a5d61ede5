//! `autopilot-registry serve` (the default command): the service until SIGINT or SIGTERM.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::config::{AuthMode, ServeArgs};
use crate::startup::{Application, StartupError};

pub async fn run(args: ServeArgs) -> Result<(), StartupError> {
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
    // Scripts and test harnesses read the port from the first line and wait for the last
    // before sending Graph requests; the lines between are for people.
    println!("autopilot-registry listening on {}", application.url());
    let base = args
        .public_url
        .as_deref()
        .map(|url| url.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| application.url());
    for line in where_to_go(&base, &args) {
        println!("  {line}");
    }
    let ready = application.ready();
    tokio::spawn(async move {
        ready.await;
        println!("autopilot-registry ready");
    });
    application.run_until(stopped(stop)).await
}

/// What a newcomer needs next: where to explore the API, and how to call it under the auth mode.
fn where_to_go(base: &str, args: &ServeArgs) -> Vec<String> {
    let mut lines = vec![
        format!("Swagger UI:   {base}/swagger-ui/"),
        format!("OpenAPI:      {base}/openapi.json"),
        format!("Graph roots:  {base}/v1.0 and {base}/beta"),
    ];
    match args.auth.auth.unwrap_or(AuthMode::None) {
        AuthMode::None => lines.push(format!(
            "auth: none (no token needed; every request acts for tenant {})",
            args.auth.default_tenant
        )),
        AuthMode::Jwt => lines.push(format!(
            "auth: jwt (a token: `app add --tenant <tenant-id> --roles \
             DeviceManagementServiceConfig.ReadWrite.All`, then the client credentials grant at \
             {base}/<tenant-id>/oauth2/v2.0/token)"
        )),
        AuthMode::Unverified => lines.push(
            "auth: unverified (tokens' claims are checked, their signatures are not)".to_owned(),
        ),
    }
    lines
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
