//! The command line. Every flag also reads an environment variable.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(name = "autopilot-registry", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, the command run when none is named.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Graph API (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
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
