//! A testcontainers [`Image`] for the registry, for tests of your own that need a Graph stand-in.
//! Enable the `testcontainers` feature. The image is the one the repository's Dockerfile builds
//! (`autopilot-registry:latest` unless you name another); it needs a PostgreSQL it can reach, e.g.
//! the testcontainers Postgres module on a shared network:
//!
//! ```no_run
//! use autopilot_registry::testcontainers::AutopilotRegistry;
//! use testcontainers_modules::postgres::Postgres;
//! use testcontainers_modules::testcontainers::{ImageExt, runners::AsyncRunner};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let _postgres = Postgres::default()
//!     .with_network("graph")
//!     .with_container_name("graph-db")
//!     .start()
//!     .await?;
//! let registry = AutopilotRegistry::new("postgres://postgres:postgres@graph-db:5432/postgres")
//!     .with_network("graph")
//!     .start()
//!     .await?;
//! let base = format!(
//!     "http://127.0.0.1:{}/v1.0",
//!     registry.get_host_port_ipv4(AutopilotRegistry::PORT).await?
//! );
//! // Point a Graph client at `base`.
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use testcontainers_modules::testcontainers::Image;
use testcontainers_modules::testcontainers::core::{ContainerPort, WaitFor};

#[derive(Debug, Clone)]
pub struct AutopilotRegistry {
    name: String,
    tag: String,
    env: Vec<(String, String)>,
}

impl AutopilotRegistry {
    /// The port the registry listens on inside the container.
    pub const PORT: ContainerPort = ContainerPort::Tcp(8080);

    /// The registry on `database_url`, without authentication (a throwaway instance: the
    /// container's port is only published to the test).
    pub fn new(database_url: impl Into<String>) -> Self {
        AutopilotRegistry {
            name: "autopilot-registry".to_owned(),
            tag: "latest".to_owned(),
            env: vec![
                ("DATABASE_URL".to_owned(), database_url.into()),
                ("AUTOPILOT_AUTH".to_owned(), "none".to_owned()),
                (
                    "AUTOPILOT_ALLOW_ANONYMOUS_REMOTE".to_owned(),
                    "true".to_owned(),
                ),
            ],
        }
    }

    /// Tokens are required and verified with this HS256 secret (`autopilot-registry token` mints
    /// them); the registry refuses to start with one shorter than 32 bytes.
    pub fn with_jwt_secret(mut self, secret: impl Into<String>) -> Self {
        self.env.retain(|(name, _)| {
            name != "AUTOPILOT_AUTH" && name != "AUTOPILOT_ALLOW_ANONYMOUS_REMOTE"
        });
        self.env
            .push(("AUTOPILOT_AUTH".to_owned(), "jwt".to_owned()));
        self.env
            .push(("AUTOPILOT_JWT_SECRET".to_owned(), secret.into()));
        self
    }

    /// Another image name or tag than `autopilot-registry:latest`.
    pub fn with_image(mut self, name: impl Into<String>, tag: impl Into<String>) -> Self {
        self.name = name.into();
        self.tag = tag.into();
        self
    }
}

impl Image for AutopilotRegistry {
    fn name(&self) -> &str {
        &self.name
    }

    fn tag(&self) -> &str {
        &self.tag
    }

    /// The service prints this line once it accepts connections and has migrated its database.
    fn ready_conditions(&self) -> Vec<WaitFor> {
        vec![WaitFor::message_on_stdout("autopilot-registry ready")]
    }

    fn env_vars(
        &self,
    ) -> impl IntoIterator<Item = (impl Into<Cow<'_, str>>, impl Into<Cow<'_, str>>)> {
        self.env
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    fn expose_ports(&self) -> &[ContainerPort] {
        &[Self::PORT]
    }
}
