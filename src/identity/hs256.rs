//! HS256 tokens signed with the configured secret, for local use and tests (the `token` command):
//! the counterpart of what `--auth jwt` accepts with `AUTOPILOT_JWT_SECRET`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::time::Duration;
use uuid::Uuid;

/// The claims of a minted token.
#[derive(Serialize)]
struct MintedClaims<'a> {
    aud: &'a str,
    iss: Option<&'a str>,
    tid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scp: Option<&'a str>,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// An HS256 token for local use and tests .
pub fn mint_token(
    secret: &str,
    audience: &str,
    issuer: Option<&str>,
    tenant: Uuid,
    roles: &[String],
    scp: Option<&str>,
    ttl: Duration,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = MintedClaims {
        aud: audience,
        iss: issuer,
        tid: tenant.to_string(),
        roles: roles.to_vec(),
        scp,
        iat: now,
        nbf: now,
        exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()).expect("the secret is not empty"),
    )
    .expect("HS256 signing cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_with_an_endless_lifetime_saturates() {
        let token = mint_token(
            &"s".repeat(crate::auth::MIN_SECRET_BYTES),
            "https://graph.microsoft.com",
            None,
            Uuid::nil(),
            &[],
            None,
            Duration::MAX,
        );
        let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(&token)
            .unwrap()
            .claims;
        assert_eq!(claims["exp"], i64::MAX);
    }
}
