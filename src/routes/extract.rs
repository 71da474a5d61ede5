//! The service root a request was made under, from the route's version and the external base URL.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

use crate::domain::ApiVersion;
use crate::graph::error::GraphError;
use crate::graph::links::{PublicUrl, ServiceRoot};

/// The service root of the request's version, on [`public_base`].
impl FromRequest for ServiceRoot {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Each version scope registers its ApiVersion; a handler outside them is a wiring mistake.
        let Some(version) = req.app_data::<ApiVersion>().copied() else {
            let cause = format!("no ApiVersion registered for {}", req.path());
            return ready(Err(GraphError::internal().caused_by(
                Box::<dyn std::error::Error + Send + Sync>::from(cause).into(),
            )));
        };
        ready(public_base(req).map(|base| ServiceRoot::new(&base, version)))
    }
}

/// The service's external base URL, without a trailing slash: the configured `--public-url`, or
/// else the scheme (`https` when served over TLS) and host the request came in on (honouring
/// `Forwarded` and `X-Forwarded-*`, which actix's connection info reads).
pub fn public_base(req: &HttpRequest) -> Result<String, GraphError> {
    if let Some(PublicUrl(base)) = req.app_data::<PublicUrl>() {
        return Ok(base.clone());
    }
    let connection = req.connection_info();
    // Host and Forwarded headers are the caller's text: only a real host makes a link.
    let host = connection.host();
    if host.parse::<actix_web::http::uri::Authority>().is_err() {
        return Err(GraphError::bad_request(
            "The Host (or Forwarded / X-Forwarded-Host) header is not a valid host.",
        ));
    }
    Ok(format!("{}://{}", connection.scheme(), host))
}
