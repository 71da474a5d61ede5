//! Who may call a door that a web page in the user's browser could reach (the control plane and
//! the web console): the checks that stop a cross-site request and DNS rebinding. Pure logic on
//! header values; `routes::control::browser_guard` applies it to a request. The console's forms
//! are not JSON: it applies [`SameOrigin::check_addressed`] and a CSRF token instead of the body rule.
//!
//! * A body is read only when sent as `application/json`: a page can post `text/plain` or a form
//!   to any address without asking, but JSON needs a CORS preflight, which this service never grants.
//! * `Origin`, which browsers send with every cross-origin write, must be this service's own.
//! * Without a control token (only allowed on a loopback bind) `Host` must name this service: the
//!   bind address, a loopback name or `--public-url`'s host, so that a hostile name rebound to
//!   127.0.0.1 cannot read `export`. With a token, the token proves the caller is not a page
//!   (a browser attaches none on its own), and a container's service name may be the host.

use std::net::{IpAddr, SocketAddr};

/// The hosts a browser may address this service by.
#[derive(Debug, Clone)]
pub struct SameOrigin {
    /// Host names and addresses (lower case, IPv6 without brackets) besides loopback ones.
    hosts: Vec<String>,
    /// Whether `Host` is checked (no control token).
    check_host: bool,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A body sent as something other than `application/json` (the type received, if any).
    NotJson(Option<String>),
    /// A `Host` that does not name this service.
    Host(String),
    /// An `Origin` of another site.
    Origin(String),
}

impl SameOrigin {
    /// The policy of a service bound to `bind`, linked as `public_url` if given; `Host` is
    /// checked when `check_host` (no token guards the door).
    pub fn new(bind: SocketAddr, public_url: Option<&str>, check_host: bool) -> SameOrigin {
        let mut hosts = Vec::new();
        if !bind.ip().is_unspecified() {
            hosts.push(bind.ip().to_string());
        }
        if let Some(host) = public_url.and_then(url_host) {
            hosts.push(host);
        }
        SameOrigin { hosts, check_host }
    }

    /// Checks a request's headers: `Host`, `Origin`, and the `Content-Type` of a body it has.
    pub fn check(
        &self,
        host: Option<&str>,
        origin: Option<&str>,
        content_type: Option<&str>,
        has_body: bool,
    ) -> Result<(), Refusal> {
        if has_body && !content_type.is_some_and(is_json) {
            return Err(Refusal::NotJson(content_type.map(str::to_owned)));
        }
        self.check_addressed(host, origin)
    }

    /// Checks that a request is addressed to this service (`Host`) and, when it says which page
    /// sent it (`Origin`), that the page is this service's own.
    pub fn check_addressed(&self, host: Option<&str>, origin: Option<&str>) -> Result<(), Refusal> {
        if self.check_host && !host.is_some_and(|host| self.names_us(host)) {
            return Err(Refusal::Host(host.unwrap_or_default().to_owned()));
        }
        if let Some(origin) = origin {
            // Same origin: the page was served by the host it writes to (`null`, a sandboxed or
            // file page, is no host).
            let same = url_authority(origin)
                .zip(host)
                .is_some_and(|(authority, host)| authority.eq_ignore_ascii_case(host.trim()));
            let ours = url_host(origin).is_some_and(|h| self.names_us_by_name(&h));
            if !(same && ours) {
                return Err(Refusal::Origin(origin.to_owned()));
            }
        }
        Ok(())
    }

    /// Whether a `Host` header value (`name[:port]`) names this service.
    fn names_us(&self, host: &str) -> bool {
        host_name(host.trim()).is_some_and(|name| self.names_us_by_name(&name))
    }

    fn names_us_by_name(&self, name: &str) -> bool {
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        if name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            return true;
        }
        // With a token any host may be used; without, only ours.
        !self.check_host || self.hosts.iter().any(|ours| ours == name)
    }
}

/// `application/json`, with or without parameters, in any case.
fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The `host[:port]` of a URL such as `https://name:8443/path`.
fn url_authority(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains('@')).then_some(authority)
}

/// The host name of a URL, lower case, IPv6 without brackets.
fn url_host(url: &str) -> Option<String> {
    host_name(url_authority(url)?)
}

/// The name in `name[:port]` or `[v6][:port]`, lower case.
fn host_name(authority: &str) -> Option<String> {
    let name = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(name, port)| {
                match port.bytes().all(|b| b.is_ascii_digit()) {
                    true => name,
                    false => authority,
                }
            }),
    };
    (!name.is_empty()).then(|| name.trim_end_matches('.').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> SameOrigin {
        SameOrigin::new("127.0.0.1:8080".parse().unwrap(), None, true)
    }

    #[test]
    fn a_body_needs_the_json_content_type() {
        let policy = loopback();
        let host = Some("127.0.0.1:8080");
        assert_eq!(
            policy.check(host, None, Some("application/json; charset=utf-8"), true),
            Ok(())
        );
        assert_eq!(policy.check(host, None, None, false), Ok(()));
        for refused in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            assert_eq!(
                policy.check(host, None, refused, true),
                Err(Refusal::NotJson(refused.map(str::to_owned)))
            );
        }
    }

    #[test]
    fn without_a_token_host_names_this_service() {
        let policy = SameOrigin::new(
            "127.0.0.1:8080".parse().unwrap(),
            Some("https://registry.example:8443/"),
            true,
        );
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "registry.example:8443",
        ] {
            assert_eq!(
                policy.check(Some(host), None, None, false),
                Ok(()),
                "{host}"
            );
        }
        for host in [
            "attacker.example",
            "attacker.example:8080",
            "127.0.0.1.attacker.example",
            "",
        ] {
            assert!(
                policy.check(Some(host), None, None, false).is_err(),
                "{host}"
            );
        }
        assert!(policy.check(None, None, None, false).is_err());
        let tokened = SameOrigin::new("0.0.0.0:8080".parse().unwrap(), None, false);
        assert_eq!(
            tokened.check(Some("registry:8080"), None, None, false),
            Ok(())
        );
    }

    #[test]
    fn an_origin_is_the_host_the_request_went_to() {
        let policy = loopback();
        let host = Some("localhost:8080");
        assert_eq!(
            policy.check(host, Some("http://localhost:8080"), None, false),
            Ok(())
        );
        for origin in [
            "http://attacker.example",
            "null",
            "http://localhost:9999",
            "http://127.0.0.1:8080",
        ] {
            assert_eq!(
                policy.check(host, Some(origin), None, false),
                Err(Refusal::Origin(origin.to_owned())),
                "{origin}"
            );
        }
    }
}
