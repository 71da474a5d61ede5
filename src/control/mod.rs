//! The test control plane's state in the process: who may use it (and the web console, which the
//! same token guards), the injected faults and the request journal. Its routes are in
//! `routes::control`, the console's in `routes::console`; tenant state (reset, seed, export,
//! import, settle) and the throttle's buckets live in PostgreSQL (`store::control`).
//!
//! Faults and the journal are this instance's: a test that configures faults configures the
//! instance it talks to, and the journal shows what this instance answered. They are test
//! fixtures of one process, never state a second instance must agree on.

pub mod faults;
pub mod journal;
pub mod origin;

/// Whether `/_control/` and the web console are served, and the token they need.
#[derive(Clone)]
pub struct ControlPlane {
    pub enabled: bool,
    /// Whether `/console/` is served; it takes the same token, entered once in its sign-in form.
    pub console: bool,
    pub token: Option<String>,
    /// The checks against other web pages that every caller passes, token or not.
    pub origin: origin::SameOrigin,
}

/// The shortest control token `serve` accepts.
pub const MIN_TOKEN_CHARS: usize = 16;

impl ControlPlane {
    /// Whether an `Authorization` header value lets a caller in: any caller when no token is
    /// configured, else `Bearer <token>` (compared in constant time).
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let presented = authorization.and_then(crate::auth::bearer_token);
        presented.is_some_and(|presented| constant_time_eq(presented.as_bytes(), token.as_bytes()))
    }
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("enabled", &self.enabled)
            .field("console", &self.console)
            .field("origin", &self.origin)
            .field(
                "token",
                &self.token.as_ref().map(|_| crate::config::Redacted),
            )
            .finish()
    }
}

/// Compares without stopping at the first difference, so the time taken tells nothing about how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_token_is_needed_as_a_bearer_token() {
        let any = "127.0.0.1:0".parse().unwrap();
        let open = ControlPlane {
            enabled: true,
            console: false,
            token: None,
            origin: origin::SameOrigin::new(any, None, true),
        };
        assert!(open.admits(None));
        let guarded = ControlPlane {
            enabled: true,
            console: false,
            token: Some("control-token-0123456789".to_owned()),
            origin: origin::SameOrigin::new(any, None, false),
        };
        assert!(guarded.admits(Some("Bearer control-token-0123456789")));
        assert!(guarded.admits(Some("bearer  control-token-0123456789 ")));
        for refused in [
            None,
            Some(""),
            Some("control-token-0123456789"),
            Some("Basic control-token-0123456789"),
            Some("Bearer control-token-012345678"),
            Some("Bearer control-token-0123456789x"),
        ] {
            assert!(!guarded.admits(refused), "{refused:?}");
        }
        assert!(!format!("{guarded:?}").contains("0123456789"));
    }
}
