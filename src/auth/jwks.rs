//! RS256/ES256 keys from a JWKS file or URL: read again when a token names an unknown key or the
//! keys grow old, without a slow, failing or flooded source ever holding requests up for long.
//!
//! One attempt to read the keys runs at a time, on a task of its own, bounded by [`FETCH_TIMEOUT`];
//! a request that needs it waits no longer than that. The next attempt comes no sooner than
//! [`RETRY_INTERVAL`] after the last one ended, failed or not, so tokens naming unknown keys cause
//! at most one read (and one log line) per interval. Keys read before keep working through an
//! outage of the source for up to [`MAX_AGE`].

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The longest a connection to a JWKS URL may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest one attempt to read the keys may take, and so the longest a request waits for one.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// No attempt starts sooner than this after the previous one ended, whether it succeeded or not.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);
/// Keys older than this are read again in the background (requests go on using them meanwhile),
/// so that a key removed from the JWKS soon stops being trusted.
pub const REFRESH_AGE: Duration = Duration::from_secs(300);
/// Keys older than this are no longer trusted: an identity provider's outage does not stop its
/// tokens from working for a day, but a key it withdrew meanwhile is not trusted for ever.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// A JWKS larger than this is refused rather than read into memory (real ones are a few KiB).
const MAX_BYTES: u64 = 1 << 20;

/// Where RS256/ES256 keys come from.
#[derive(Clone)]
pub enum JwksSource {
    File(PathBuf),
    /// Read with one client, shared by every attempt, whose timeouts bound each read.
    Url {
        url: String,
        client: reqwest::Client,
    },
}

impl std::fmt::Debug for JwksSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwksSource::File(path) => f.debug_tuple("File").field(path).finish(),
            JwksSource::Url { url, .. } => f.debug_tuple("Url").field(url).finish(),
        }
    }
}

impl JwksSource {
    /// An http(s) URL or else a file path.
    pub fn parse(text: &str) -> Result<JwksSource, String> {
        if !(text.starts_with("http://") || text.starts_with("https://")) {
            return Ok(JwksSource::File(text.into()));
        }
        // reqwest's TLS takes the process's rustls provider; ring needs no system library.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot prepare an HTTP client for the JWKS at {text}: {e}"))?;
        Ok(JwksSource::Url {
            url: text.to_owned(),
            client,
        })
    }

    async fn load(&self) -> Result<JwkSet, String> {
        let bytes = match self {
            JwksSource::File(path) => {
                let cannot_read =
                    |e: std::io::Error| format!("cannot read {}: {e}", path.display());
                let size = tokio::fs::metadata(path).await.map_err(cannot_read)?.len();
                if size > MAX_BYTES {
                    return Err(format!("the JWKS is larger than {MAX_BYTES} bytes"));
                }
                tokio::fs::read(path).await.map_err(cannot_read)?
            }
            JwksSource::Url { url, client } => {
                let mut response = client
                    .get(url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| format!("cannot fetch {url}: {e}"))?;
                let mut bytes = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|e| format!("cannot read {url}: {e}"))?
                {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() as u64 > MAX_BYTES {
                        break;
                    }
                }
                bytes
            }
        };
        if bytes.len() as u64 > MAX_BYTES {
            return Err(format!("the JWKS is larger than {MAX_BYTES} bytes"));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("the JWKS is not valid: {e}"))
    }
}

/// The keys of one JWKS source, shared by every worker.
pub struct JwksKeys {
    source: JwksSource,
    state: Mutex<KeyState>,
}

/// What is known of the source: its last good keys and the attempts to read them.
#[derive(Default)]
struct KeyState {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    /// When `keys` were read; `None` before the first successful read.
    loaded_at: Option<Instant>,
    /// The attempt under way, if any: its channel closes when the attempt ends.
    attempt: Option<watch::Receiver<()>>,
    /// No attempt starts before this.
    next_attempt_at: Option<Instant>,
    /// The last attempt failed: an outage is logged once, when it begins.
    failing: bool,
}

/// What the cache holds for a key.
enum Lookup {
    /// Read recently: use it.
    Fresh(DecodingKey),
    /// Read a while ago: use it, and read the keys again.
    Stale(DecodingKey),
    /// Unknown, or read too long ago to be trusted.
    Missing,
}

/// How the source's state changed with the outcome of an attempt, for the log.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    OutageBegan,
    OutageEnded,
    None,
}

impl KeyState {
    fn lookup(&self, kid: &str, alg: Algorithm, now: Instant) -> Lookup {
        let Some(age) = self.loaded_at.map(|at| now.saturating_duration_since(at)) else {
            return Lookup::Missing;
        };
        let key = self
            .keys
            .get(kid)
            .filter(|(_, key_alg)| *key_alg == alg)
            .map(|(key, _)| key.clone());
        match key {
            Some(key) if age < REFRESH_AGE => Lookup::Fresh(key),
            Some(key) if age < MAX_AGE => Lookup::Stale(key),
            _ => Lookup::Missing,
        }
    }

    /// Whether a new attempt may start now.
    fn may_attempt(&self, now: Instant) -> bool {
        self.attempt.is_none() && self.next_attempt_at.is_none_or(|at| now >= at)
    }

    /// Takes in the outcome of an attempt: new keys replace the old; a failure keeps them.
    fn record(&mut self, outcome: Result<&JwkSet, ()>, now: Instant) -> Change {
        match outcome {
            Ok(set) => {
                self.keys = usable_keys(set);
                self.loaded_at = Some(now);
                if std::mem::replace(&mut self.failing, false) {
                    Change::OutageEnded
                } else {
                    Change::None
                }
            }
            Err(()) => {
                if std::mem::replace(&mut self.failing, true) {
                    Change::None
                } else {
                    Change::OutageBegan
                }
            }
        }
    }

    /// An attempt ended (or was dropped): the next may start after the interval.
    fn attempt_ended(&mut self, now: Instant) {
        self.attempt = None;
        self.next_attempt_at = Some(now + RETRY_INTERVAL);
    }
}

/// The RSA and EC keys of a set, by `kid`; keys without a `kid` cannot be named by a token.
fn usable_keys(set: &JwkSet) -> HashMap<String, (DecodingKey, Algorithm)> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => return None,
            };
            Some((kid, (DecodingKey::from_jwk(jwk).ok()?, alg)))
        })
        .collect()
}

/// An attempt in flight. Dropping it, whether the attempt finished or its task was cancelled,
/// marks it ended and then closes its channel, waking every request that waits for it.
struct Attempt {
    keys: Arc<JwksKeys>,
    _done: watch::Sender<()>,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        self.keys.state().attempt_ended(Instant::now());
    }
}

impl JwksKeys {
    pub fn new(source: JwksSource) -> Arc<JwksKeys> {
        Arc::new(JwksKeys {
            source,
            state: Mutex::new(KeyState::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, KeyState> {
        // The state stays consistent through a panic elsewhere: every change is one assignment.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The key named `kid` for `alg` if the keys loaded so far have it, without reading them.
    pub fn cached(&self, kid: &str, alg: Algorithm) -> Option<DecodingKey> {
        match self.state().lookup(kid, alg, Instant::now()) {
            Lookup::Fresh(key) | Lookup::Stale(key) => Some(key),
            Lookup::Missing => None,
        }
    }

    /// The key named `kid` for `alg`, reading the keys again when it is unknown (waiting at most
    /// [`FETCH_TIMEOUT`]) or old (in the background).
    pub async fn key(self: &Arc<Self>, kid: &str, alg: Algorithm) -> Option<DecodingKey> {
        let pending = {
            let mut state = self.state();
            let now = Instant::now();
            match state.lookup(kid, alg, now) {
                Lookup::Fresh(key) => return Some(key),
                Lookup::Stale(key) => {
                    self.start_attempt(&mut state, now);
                    return Some(key);
                }
                Lookup::Missing => self.start_attempt(&mut state, now),
            }
        };
        if let Some(mut done) = pending {
            // Err (the channel closed) is the attempt's end; a timeout leaves it running.
            let _ = tokio::time::timeout(FETCH_TIMEOUT, done.changed()).await;
        }
        match self.state().lookup(kid, alg, Instant::now()) {
            Lookup::Fresh(key) | Lookup::Stale(key) => Some(key),
            Lookup::Missing => None,
        }
    }

    /// The attempt to wait for: the one under way, or a new one when the interval allows.
    fn start_attempt(
        self: &Arc<Self>,
        state: &mut KeyState,
        now: Instant,
    ) -> Option<watch::Receiver<()>> {
        if let Some(attempt) = &state.attempt {
            return Some(attempt.clone());
        }
        if !state.may_attempt(now) {
            return None;
        }
        let (done, pending) = watch::channel(());
        state.attempt = Some(pending.clone());
        let attempt = Attempt {
            keys: Arc::clone(self),
            _done: done,
        };
        // On a task of its own: a request that stops waiting (timeout, client gone) does not
        // cancel the read others wait for.
        tokio::spawn(async move {
            let outcome =
                match tokio::time::timeout(FETCH_TIMEOUT, attempt.keys.source.load()).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(format!("no answer within {FETCH_TIMEOUT:?}")),
                };
            attempt.keys.take(outcome);
        });
        Some(pending)
    }

    fn take(&self, outcome: Result<JwkSet, String>) {
        let change = self
            .state()
            .record(outcome.as_ref().map_err(|_| ()), Instant::now());
        match (change, outcome) {
            (Change::OutageBegan, Err(problem)) => log::warn!(
                "the JWKS cannot be read ({problem}); keys read before stay trusted for up to \
                 {} h after they were read. Logged once until it can be read again.",
                MAX_AGE.as_secs() / 3600
            ),
            (Change::OutageEnded, _) => log::info!("the JWKS can be read again"),
            (_, Err(problem)) => log::debug!("the JWKS still cannot be read ({problem})"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_JWK: &str = include_str!("../../tests/api/fixtures/keys/rsa-k1.jwk.json");

    fn set() -> JwkSet {
        serde_json::from_str(&format!(r#"{{"keys": [{RSA_JWK}]}}"#)).unwrap()
    }

    fn found(state: &KeyState, now: Instant) -> &'static str {
        match state.lookup("k1", Algorithm::RS256, now) {
            Lookup::Fresh(_) => "fresh",
            Lookup::Stale(_) => "stale",
            Lookup::Missing => "missing",
        }
    }

    #[test]
    fn last_good_keys_outlive_failed_refreshes_up_to_the_maximum_age() {
        let read_at = Instant::now();
        let mut state = KeyState::default();
        assert_eq!(found(&state, read_at), "missing");
        assert_eq!(state.record(Ok(&set()), read_at), Change::None);
        assert_eq!(found(&state, read_at + Duration::from_secs(60)), "fresh");
        assert!(matches!(
            state.lookup("k1", Algorithm::ES256, read_at),
            Lookup::Missing
        ));

        // The identity provider goes away: every refresh from now on fails.
        let later = read_at + REFRESH_AGE + Duration::from_secs(1);
        assert_eq!(found(&state, later), "stale");
        assert_eq!(state.record(Err(()), later), Change::OutageBegan);
        assert_eq!(found(&state, later), "stale");
        let hours_later = read_at + Duration::from_secs(23 * 3600);
        assert_eq!(state.record(Err(()), hours_later), Change::None);
        assert_eq!(found(&state, hours_later), "stale");
        assert_eq!(found(&state, read_at + MAX_AGE), "missing");

        // It comes back: the new keys are fresh again.
        let back = read_at + MAX_AGE + Duration::from_secs(1);
        assert_eq!(state.record(Ok(&set()), back), Change::OutageEnded);
        assert_eq!(found(&state, back), "fresh");
        assert_eq!(state.record(Err(()), back), Change::OutageBegan);
    }

    #[test]
    fn a_failed_attempt_counts_for_the_retry_interval() {
        let start = Instant::now();
        let mut state = KeyState::default();
        assert!(state.may_attempt(start));
        let (_done, pending) = watch::channel(());
        state.attempt = Some(pending);
        assert!(!state.may_attempt(start), "one attempt at a time");
        state.record(Err(()), start);
        state.attempt_ended(start);
        assert!(!state.may_attempt(start + RETRY_INTERVAL - Duration::from_millis(1)));
        assert!(state.may_attempt(start + RETRY_INTERVAL));
    }

    #[test]
    fn keys_without_a_kid_or_of_another_kind_are_not_kept() {
        let set: JwkSet = serde_json::from_str(&format!(
            r#"{{"keys": [{RSA_JWK}, {{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}},
                         {{"kty": "RSA", "n": "AQAB", "e": "AQAB"}}]}}"#
        ))
        .unwrap();
        let keys = usable_keys(&set);
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["k1"]);
    }
}
