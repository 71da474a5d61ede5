//! The command line. Every flag also reads an environment variable.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(name = "autopilot-registry", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line; with no subcommand, `serve` is meant (`autopilot-registry --bind ...`).
    pub fn parse_with_default<I>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = std::ffi::OsString>,
    {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
        let first = args.get(1).and_then(|a| a.to_str()).unwrap_or_default();
        let names_a_command = matches!(first, "serve" | "migrate" | "openapi" | "help")
            || matches!(first, "-h" | "--help" | "-V" | "--version");
        if !names_a_command {
            args.insert(1.min(args.len()), "serve".into());
        }
        Cli::try_parse_from(args)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Graph API (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document (the one served at /openapi.json).
    Openapi,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Most connections the service opens to PostgreSQL.
    #[arg(long, env = "AUTOPILOT_MAX_DB_CONNECTIONS", default_value_t = 16)]
    pub max_db_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "AUTOPILOT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// External base URL for @odata.context, Location and nextLink (e.g. https://graph.example.com).
    /// When unset, it is derived from each request's scheme and Host (honouring Forwarded and X-Forwarded-*).
    #[arg(long, env = "AUTOPILOT_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::parse_with_default(
            std::iter::once("autopilot-registry")
                .chain(args.iter().copied())
                .map(Into::into),
        )
    }

    #[test]
    fn no_subcommand_means_serve() {
        let cli = parse(&["--database-url", "postgres://x", "--bind", "0.0.0.0:9000"]).unwrap();
        assert!(matches!(cli.command, Command::Serve(ref a) if a.bind.port() == 9000));
        assert!(
            matches!(parse(&[]), Err(e) if e.kind() == clap::error::ErrorKind::MissingRequiredArgument)
        );
    }

    #[test]
    fn subcommands_take_their_own_options() {
        let cli = parse(&["migrate", "--database-url", "postgres://x"]).unwrap();
        assert!(matches!(cli.command, Command::Migrate(ref a) if a.database_url == "postgres://x"));
        let cli = parse(&[
            "serve",
            "--database-url",
            "postgres://x",
            "--public-url",
            "https://g",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Serve(ref a) if a.public_url.as_deref() == Some("https://g"))
        );
    }
}
