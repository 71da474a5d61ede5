//! Injected faults: rules that make matching Graph requests fail with a chosen Graph error (with
//! `Retry-After` when asked) or wait longer, before any work is done for them, so an injected
//! failure changes nothing.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use actix_web::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::graph::error::GraphError;

/// The longest latency a rule may add.
const MAX_LATENCY_MS: u64 = 60_000;
/// The longest error code a rule may name.
const MAX_CODE_CHARS: usize = 64;

/// A rule as a client writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultSpec {
    /// The HTTP method it applies to; any when absent or `*`.
    pub method: Option<String>,
    /// A glob over the request's path: `*` any characters (`/` included), `?` one; compared
    /// case-insensitively. Any path when absent.
    pub path: Option<String>,
    /// The status to answer with (400 to 599); without it the rule only adds latency.
    pub status: Option<u16>,
    /// The Graph error code; by default the one Graph uses with the status.
    pub code: Option<String>,
    /// `Retry-After` seconds, for a 429 or 503.
    pub retry_after: Option<u64>,
    /// How many requests it hits at most; no limit when absent.
    pub times: Option<u64>,
    /// The chance each matching request is hit, 0 to 1; 1 when absent.
    pub probability: Option<f64>,
    /// Milliseconds to wait before answering (or serving) a hit request.
    pub latency_ms: Option<u64>,
    /// Only this tenant's requests; every tenant's when absent.
    pub tenant: Option<Uuid>,
}

/// A rule in force, as `GET /_control/faults` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub id: u64,
    pub method: Option<String>,
    pub path: String,
    pub status: Option<u16>,
    pub code: Option<&'static str>,
    pub retry_after: Option<u64>,
    pub times: Option<u64>,
    pub probability: f64,
    pub latency_ms: u64,
    pub tenant: Option<Uuid>,
    /// The requests it hit so far.
    #[serde(serialize_with = "serialize_hits")]
    pub hits: AtomicU64,
}

fn serialize_hits<S: serde::Serializer>(hits: &AtomicU64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(hits.load(Ordering::Relaxed))
}

/// What a hit does to its request.
#[derive(Debug)]
pub struct Fault {
    pub latency: Duration,
    /// The answer instead of the route's, when the rule has a status.
    pub error: Option<GraphError>,
}

impl FaultSpec {
    /// The rule, or why it is not one.
    pub fn into_rule(self, id: u64) -> Result<FaultRule, String> {
        let status = match self.status {
            None => None,
            Some(status @ 400..=599) => StatusCode::from_u16(status).ok(),
            Some(other) => {
                return Err(format!(
                    "status {other} is not an error status (400 to 599)."
                ));
            }
        };
        let latency_ms = self.latency_ms.unwrap_or(0);
        if latency_ms > MAX_LATENCY_MS {
            return Err(format!("latencyMs is at most {MAX_LATENCY_MS}."));
        }
        if status.is_none() && latency_ms == 0 {
            return Err("A rule needs a status, a latencyMs, or both.".to_owned());
        }
        let probability = self.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err("probability is between 0 and 1.".to_owned());
        }
        let code = match (&self.code, status) {
            (Some(_), None) => return Err("code needs a status.".to_owned()),
            (Some(code), Some(_)) => Some(interned_code(code)?),
            (None, Some(status)) => Some(GraphError::from_status(status).code),
            (None, None) => None,
        };
        if self.retry_after.is_some()
            && !matches!(
                status,
                Some(StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE)
            )
        {
            return Err("retryAfter goes with status 429 or 503.".to_owned());
        }
        let method = self
            .method
            .filter(|m| m != "*")
            .map(|m| m.to_ascii_uppercase());
        Ok(FaultRule {
            id,
            method,
            path: self.path.unwrap_or_else(|| "*".to_owned()),
            status: status.map(|s| s.as_u16()),
            code,
            retry_after: self.retry_after,
            times: self.times,
            probability,
            latency_ms,
            tenant: self.tenant,
            hits: AtomicU64::new(0),
        })
    }
}

/// A code as the `'static` text a `GraphError` carries: each distinct code is kept once, so the
/// memory is bounded by the codes clients name, not by the rules they post.
fn interned_code(code: &str) -> Result<&'static str, String> {
    let valid = !code.is_empty()
        && code.len() <= MAX_CODE_CHARS
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return Err(format!(
            "code is 1 to {MAX_CODE_CHARS} letters, digits, '_' or '.'."
        ));
    }
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = CODES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    Ok(match codes.get(code) {
        Some(known) => known,
        None => {
            let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
            codes.insert(leaked);
            leaked
        }
    })
}

impl FaultRule {
    fn matches(&self, method: &str, path: &str, tenant: Option<Uuid>) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.tenant.is_none_or(|t| Some(t) == tenant)
            && glob_matches(self.path.as_bytes(), path.as_bytes())
    }

    /// Counts a hit unless the rule is spent.
    fn take_hit(&self) -> bool {
        self.hits
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |hits| {
                self.times
                    .is_none_or(|times| hits < times)
                    .then_some(hits + 1)
            })
            .is_ok()
    }

    fn fault(&self) -> Fault {
        let error = self.status.map(|status| {
            let status = StatusCode::from_u16(status).expect("checked when the rule was made");
            let mut error = GraphError::new(
                status,
                self.code.expect("a status has a code"),
                format!("Injected fault (rule {}).", self.id),
            );
            error.retry_after = self.retry_after;
            error
        });
        Fault {
            latency: Duration::from_millis(self.latency_ms),
            error,
        }
    }
}

/// The rules in force, checked in the order they were added.
#[derive(Default)]
pub struct Faults {
    rules: RwLock<Vec<Arc<FaultRule>>>,
    /// Whether there are rules: requests look no further when there are none.
    any: AtomicBool,
    next_id: AtomicU64,
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) -> Result<Arc<FaultRule>, String> {
        let rule = Arc::new(spec.into_rule(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)?);
        let mut rules = self.rules.write().unwrap_or_else(|e| e.into_inner());
        rules.push(rule.clone());
        self.any.store(true, Ordering::Release);
        Ok(rule)
    }

    pub fn list(&self) -> Vec<Arc<FaultRule>> {
        self.rules.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn clear(&self) {
        let mut rules = self.rules.write().unwrap_or_else(|e| e.into_inner());
        rules.clear();
        self.any.store(false, Ordering::Release);
    }

    /// The fault of the first rule that matches the request, is not spent and wins its draw.
    pub fn hit(&self, method: &str, path: &str, tenant: Option<Uuid>) -> Option<Fault> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let rules = self.rules.read().unwrap_or_else(|e| e.into_inner());
        rules
            .iter()
            .find(|rule| {
                rule.matches(method, path, tenant) && draw(rule.probability) && rule.take_hit()
            })
            .map(|rule| rule.fault())
    }
}

/// True with the given probability. A v4 UUID is 122 random bits from the system's generator;
/// 53 of them make a uniform number in [0, 1).
fn draw(probability: f64) -> bool {
    if probability >= 1.0 {
        return true;
    }
    let uniform = (Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64;
    uniform < probability
}

/// Whether `text` matches `pattern` (`*` any run of characters, `?` one), ignoring ASCII case.
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is now taken to end at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` take one more character, and try again after it.
                Some((star_p, star_t)) => {
                    star = Some((star_p, star_t + 1));
                    p = star_p + 1;
                    t = star_t + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> FaultSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn globs_match_any_run_and_one_character_ignoring_case() {
        let matches = |p: &str, t: &str| glob_matches(p.as_bytes(), t.as_bytes());
        assert!(matches(
            "/v1.0/deviceManagement/*",
            "/v1.0/devicemanagement/windowsAutopilotDeviceIdentities/x"
        ));
        assert!(matches("*", ""));
        assert!(matches(
            "/beta/*/assignments",
            "/beta/deviceManagement/x/assignments"
        ));
        assert!(matches("/v1.0/group?", "/v1.0/groups"));
        assert!(!matches("/v1.0/group?", "/v1.0/group"));
        assert!(!matches(
            "/v1.0/deviceManagement/*",
            "/beta/deviceManagement/x"
        ));
        assert!(!matches("/v1.0/*/x", "/v1.0/a/y"));
        assert!(matches("*a*b*c", "xxaxxbxxbxc"));
    }

    #[test]
    fn a_rule_hits_at_most_times_requests_that_match() {
        let faults = Faults::default();
        assert!(faults.hit("POST", "/v1.0/x", None).is_none());
        faults
            .add(spec(serde_json::json!({
                "method": "post", "path": "/v1.0/*", "status": 429, "retryAfter": 2, "times": 2
            })))
            .unwrap();
        assert!(faults.hit("GET", "/v1.0/x", None).is_none());
        assert!(faults.hit("POST", "/beta/x", None).is_none());
        let fault = faults.hit("POST", "/v1.0/x", None).unwrap();
        let error = fault.error.unwrap();
        assert_eq!(
            (error.status.as_u16(), error.code, error.retry_after),
            (429, "TooManyRequests", Some(2))
        );
        assert!(faults.hit("POST", "/v1.0/y", None).is_some());
        assert!(
            faults.hit("POST", "/v1.0/z", None).is_none(),
            "spent after 2"
        );
        assert_eq!(faults.list()[0].hits.load(Ordering::Relaxed), 2);
        faults.clear();
        assert!(faults.list().is_empty());
    }

    #[test]
    fn tenant_probability_and_latency_rules() {
        let faults = Faults::default();
        let tenant = Uuid::new_v4();
        faults
            .add(spec(serde_json::json!({"latencyMs": 5, "tenant": tenant})))
            .unwrap();
        faults
            .add(spec(serde_json::json!({"status": 503, "probability": 0.0})))
            .unwrap();
        assert!(faults.hit("GET", "/v1.0/x", Some(Uuid::new_v4())).is_none());
        let fault = faults.hit("GET", "/v1.0/x", Some(tenant)).unwrap();
        assert!(fault.error.is_none() && fault.latency == Duration::from_millis(5));
    }

    #[test]
    fn rules_that_cannot_be_are_refused() {
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"status": 200}),
            serde_json::json!({"status": 429, "probability": 1.5}),
            serde_json::json!({"status": 500, "retryAfter": 3}),
            serde_json::json!({"latencyMs": 5, "code": "X"}),
            serde_json::json!({"status": 500, "code": "no spaces"}),
            serde_json::json!({"latencyMs": 600_000}),
        ] {
            assert!(spec(bad.clone()).into_rule(1).is_err(), "{bad}");
        }
        let rule = spec(serde_json::json!({"status": 504, "code": "Custom"}))
            .into_rule(1)
            .unwrap();
        assert_eq!(rule.code, Some("Custom"));
        assert_eq!(
            spec(serde_json::json!({"status": 503}))
                .into_rule(1)
                .unwrap()
                .code,
            Some("serviceNotAvailable")
        );
    }
}
