//! The console's session and its CSRF token, without server-side state (any instance on the
//! database checks what another issued): the cookie holds a random nonce and an expiry signed with
//! HMAC-SHA256 keyed by the control token, and a form's CSRF token is the HMAC of the nonce. A page
//! of another site can neither read the cookie nor compute the token; changing the control token
//! ends every session. Without a control token (loopback under `--auth none`) the key is empty:
//! the session then only carries the nonce the CSRF token is bound to.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The cookie's name.
pub const COOKIE: &str = "autopilot_console";
/// How long a sign-in lasts.
const LIFETIME_SECONDS: i64 = 12 * 60 * 60;
/// The longest cookie value read: a nonce, an expiry and a MAC, with room to spare.
const MAX_COOKIE_CHARS: usize = 200;

/// The key sessions are signed with: the control token's bytes (none without one).
#[derive(Clone)]
pub struct SessionKey(Vec<u8>);

/// A valid session: the nonce its CSRF token is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    nonce: String,
}

impl SessionKey {
    pub fn new(control_token: Option<&str>) -> SessionKey {
        SessionKey(control_token.unwrap_or_default().as_bytes().to_vec())
    }

    fn mac(&self, label: &str, parts: &[&str]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(b"\0");
            mac.update(part.as_bytes());
        }
        mac
    }

    /// A new session, as its cookie value, valid from `now` (Unix seconds) for twelve hours.
    pub fn issue(&self, now: i64) -> (Session, String) {
        let nonce = Uuid::new_v4().simple().to_string();
        let expires = (now + LIFETIME_SECONDS).to_string();
        let signature = hex(&self
            .mac("session", &[&nonce, &expires])
            .finalize()
            .into_bytes());
        let cookie = format!("{nonce}.{expires}.{signature}");
        (Session { nonce }, cookie)
    }

    /// The session a cookie value holds, if it was issued with this key and has not expired.
    pub fn verify(&self, cookie: &str, now: i64) -> Option<Session> {
        if cookie.len() > MAX_COOKIE_CHARS {
            return None;
        }
        let mut parts = cookie.split('.');
        let (nonce, expires, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || expires.parse::<i64>().ok()? <= now {
            return None;
        }
        self.mac("session", &[nonce, expires])
            .verify_slice(&unhex(signature)?)
            .ok()?;
        Some(Session {
            nonce: nonce.to_owned(),
        })
    }

    /// The CSRF token forms of this session carry.
    pub fn csrf_token(&self, session: &Session) -> String {
        hex(&self.mac("csrf", &[&session.nonce]).finalize().into_bytes())
    }

    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, session: &Session, presented: &str) -> bool {
        unhex(presented).is_some_and(|bytes| {
            self.mac("csrf", &[&session.nonce])
                .verify_slice(&bytes)
                .is_ok()
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex of at most 64 bytes.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_session_is_valid_with_its_key_until_it_expires() {
        let key = SessionKey::new(Some("control-token-0123456789"));
        let (session, cookie) = key.issue(NOW);
        assert_eq!(key.verify(&cookie, NOW + 60), Some(session.clone()));
        assert_eq!(key.verify(&cookie, NOW + LIFETIME_SECONDS), None);
        let other = SessionKey::new(Some("another-token-0123456789"));
        assert_eq!(other.verify(&cookie, NOW), None);
        assert_eq!(SessionKey::new(None).verify(&cookie, NOW), None);
        // Any change to the nonce, the expiry or the signature.
        let (nonce, rest) = cookie.split_once('.').unwrap();
        let (expires, signature) = rest.split_once('.').unwrap();
        let later: i64 = expires.parse::<i64>().unwrap() + 1;
        for forged in [
            format!("{}0.{expires}.{signature}", &nonce[1..]),
            format!("{nonce}.{later}.{signature}"),
            format!("{nonce}.{expires}.{}", &signature[2..]),
            format!("{nonce}.{expires}.{signature}.x"),
            String::new(),
            "x".repeat(MAX_COOKIE_CHARS + 1),
        ] {
            assert_eq!(key.verify(&forged, NOW), None, "{forged}");
        }
    }

    #[test]
    fn the_csrf_token_is_bound_to_the_session_and_the_key() {
        let key = SessionKey::new(Some("control-token-0123456789"));
        let (session, _) = key.issue(NOW);
        let (another, _) = key.issue(NOW);
        let token = key.csrf_token(&session);
        assert!(key.csrf_matches(&session, &token));
        assert!(!key.csrf_matches(&another, &token));
        assert!(!SessionKey::new(None).csrf_matches(&session, &token));
        for bad in ["", "zz", &token[1..], &format!("{token}00")] {
            assert!(!key.csrf_matches(&session, bad), "{bad}");
        }
    }
}
