//! `@odata.context` and `Location`, built on the service's external base URL: the configured
//! `--public-url`, or else the scheme and host the request came in on (honouring `Forwarded` and
//! `X-Forwarded-*`, which actix's connection info reads).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};
use uuid::Uuid;

use crate::device::ApiVersion;
use crate::graph::error::GraphError;
use crate::graph::paths::{DEVICE_IDENTITIES, DEVICE_MANAGEMENT};

/// The configured external base URL, without a trailing slash.
#[derive(Debug, Clone)]
pub struct PublicUrl(pub String);

/// The root (`<base>/v1.0` or `<base>/beta`) a request was made under.
#[derive(Debug, Clone)]
pub struct ServiceRoot {
    pub version: ApiVersion,
    base: String,
}

impl ServiceRoot {
    pub fn new(base: &str, version: ApiVersion) -> Self {
        ServiceRoot {
            version,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn root(&self) -> String {
        format!("{}/{}", self.base, self.version.segment())
    }

    /// `...$metadata#deviceManagement/windowsAutopilotDeviceIdentities`, with `select` (`(a,b)` or
    /// empty) naming the selected properties.
    pub fn collection_context(&self, select: &str) -> String {
        format!(
            "{}/$metadata#{DEVICE_MANAGEMENT}/{DEVICE_IDENTITIES}{select}",
            self.root()
        )
    }

    pub fn entity_context(&self, select: &str) -> String {
        format!("{}/$entity", self.collection_context(select))
    }

    pub fn collection_url(&self) -> String {
        format!("{}/{DEVICE_MANAGEMENT}/{DEVICE_IDENTITIES}", self.root())
    }

    pub fn device_url(&self, id: Uuid) -> String {
        format!("{}/{id}", self.collection_url())
    }
}

impl FromRequest for ServiceRoot {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Each version scope registers its ApiVersion; a handler outside them is a wiring mistake.
        let Some(version) = req.app_data::<ApiVersion>().copied() else {
            log::error!("no ApiVersion registered for {}", req.path());
            return ready(Err(GraphError::internal()));
        };
        let root = match req.app_data::<PublicUrl>() {
            Some(PublicUrl(base)) => ServiceRoot::new(base, version),
            None => {
                let connection = req.connection_info();
                // Host and Forwarded headers are the caller's text: only a real host makes a link.
                let host = connection.host();
                if host.parse::<actix_web::http::uri::Authority>().is_err() {
                    return ready(Err(GraphError::bad_request(
                        "The Host (or Forwarded / X-Forwarded-Host) header is not a valid host.",
                    )));
                }
                let base = format!("{}://{}", connection.scheme(), host);
                ServiceRoot::new(&base, version)
            }
        };
        ready(Ok(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_hang_off_the_public_base_and_version() {
        let root = ServiceRoot::new("https://graph.example/", ApiVersion::Beta);
        assert_eq!(
            root.entity_context(""),
            "https://graph.example/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities/$entity"
        );
        assert_eq!(
            root.collection_context("(id,model)"),
            "https://graph.example/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities(id,model)"
        );
        assert_eq!(
            root.device_url(Uuid::nil()),
            "https://graph.example/beta/deviceManagement/windowsAutopilotDeviceIdentities/00000000-0000-0000-0000-000000000000"
        );
    }
}
