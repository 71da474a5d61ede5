//! The service root a request was made under, from the route's version and the external base URL.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::uri::Authority;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

use crate::domain::ApiVersion;
use crate::graph::error::GraphError;
use crate::graph::links::{LinkBase, ServiceRoot};

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
/// else the scheme (`https` when served over TLS) and host the request came in on.
pub fn public_base(req: &HttpRequest) -> Result<String, GraphError> {
    match req.app_data::<LinkBase>() {
        Some(LinkBase::Public(base)) => Ok(base.clone()),
        Some(LinkBase::FromRequest { trust_forwarded }) => request_base(req, *trust_forwarded),
        // The app registers its LinkBase; a request without one is a wiring mistake.
        None => Err(GraphError::internal().caused_by(
            Box::<dyn std::error::Error + Send + Sync>::from("no LinkBase registered").into(),
        )),
    }
}

/// `scheme://host` of the request: its Host on this connection, or, when forwarded headers are
/// trusted, what actix's connection info reads from `Forwarded` and `X-Forwarded-Proto/Host`
/// first. Either way the text is the caller's: only `http`, `https` and a real host make a link.
fn request_base(req: &HttpRequest, trust_forwarded: bool) -> Result<String, GraphError> {
    let (scheme, host) = if trust_forwarded {
        let connection = req.connection_info();
        let scheme = connection.scheme().to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(GraphError::bad_request(
                "The Forwarded proto or X-Forwarded-Proto header must be http or https.",
            ));
        }
        (scheme, connection.host().to_owned())
    } else {
        let scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        };
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or_else(|| req.app_config().host());
        (scheme.to_owned(), host.to_owned())
    };
    // An authority may carry user info, which would make `https://graph.example@elsewhere/` links.
    let real_host = host.parse::<Authority>().is_ok() && !host.contains('@');
    if !real_host {
        return Err(GraphError::bad_request(
            "The Host (or Forwarded / X-Forwarded-Host) header is not a valid host.",
        ));
    }
    Ok(format!("{scheme}://{host}"))
}
