//! Bearer tokens: who is calling (the tenant) and what they may do (Graph's permissions).
//!
//! Three modes: `none` (no token; the default tenant may do everything), `jwt` (signatures verified
//! with the service's own token endpoint's key, an HS256 secret and/or RS256/ES256 keys from a
//! JWKS), and `unverified` (claims checked, the signature not: Entra ID tokens issued for Graph
//! cannot be verified by anyone but Graph).
//!
//! The token endpoint itself (app registrations, its signing key, Entra's protocol) lives in the
//! submodules.

pub mod apps;
pub mod issuer;
pub mod token_endpoint;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, dangerous::insecure_decode, decode,
    decode_header,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::domain::Tenant;
use crate::graph::error::GraphError;
use issuer::Issuer;

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 60;
/// A JWKS is read again for an unknown `kid` at most this often.
const JWKS_REFRESH_INTERVAL: Duration = Duration::from_secs(2);
/// Keys are read again when older than this, so a key removed from the JWKS stops being trusted.
const JWKS_MAX_AGE: Duration = Duration::from_secs(300);

/// What a caller may do.
const READ_PERMISSIONS: [&str; 3] = [
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const WRITE_PERMISSIONS: [&str; 2] = [
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// No token needed; every request belongs to the default tenant.
    None,
    /// Tokens are verified (the token endpoint's own key, an HS256 secret, RS256/ES256 keys from a
    /// JWKS) and their claims checked.
    Jwt,
    /// Claims are checked but signatures are not (for real Entra ID tokens issued for Graph).
    Unverified,
}

/// Where RS256/ES256 keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    File(std::path::PathBuf),
    Url(String),
}

impl JwksSource {
    pub fn parse(text: &str) -> JwksSource {
        if text.starts_with("http://") || text.starts_with("https://") {
            // reqwest's TLS takes the process's rustls provider; ring needs no system library.
            let _ = rustls::crypto::ring::default_provider().install_default();
            JwksSource::Url(text.to_owned())
        } else {
            JwksSource::File(text.into())
        }
    }

    async fn load(&self) -> Result<JwkSet, String> {
        let text = match self {
            JwksSource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            JwksSource::Url(url) => reqwest::get(url)
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| format!("cannot fetch {url}: {e}"))?
                .text()
                .await
                .map_err(|e| format!("cannot read {url}: {e}"))?,
        };
        serde_json::from_str(&text).map_err(|e| format!("the JWKS is not valid: {e}"))
    }
}

/// The settings of the token check.
#[derive(Clone)]
pub struct AuthSettings {
    pub mode: AuthMode,
    pub default_tenant: Tenant,
    pub secret: Option<String>,
    pub jwks: Option<JwksSource>,
    pub audiences: Vec<String>,
    pub issuers: Vec<String>,
}

/// By hand, to keep the secret out of `Debug` output; destructured, so a new field does not compile
/// until it is either printed or redacted here.
impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let AuthSettings {
            mode,
            default_tenant,
            secret,
            jwks,
            audiences,
            issuers,
        } = self;
        f.debug_struct("AuthSettings")
            .field("mode", mode)
            .field("default_tenant", default_tenant)
            .field("secret", &secret.as_ref().map(|_| crate::config::Redacted))
            .field("jwks", jwks)
            .field("audiences", audiences)
            .field("issuers", issuers)
            .finish()
    }
}

struct KeyCache {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    loaded_at: Option<Instant>,
}

/// Checks bearer tokens. One per service, shared by every worker.
pub struct Authenticator {
    settings: AuthSettings,
    /// The token endpoint's: its tokens are accepted under `jwt` with no other setting.
    issuer: Arc<Issuer>,
    jwks: tokio::sync::Mutex<()>,
    cache: RwLock<KeyCache>,
}

/// The claims this service reads.
#[derive(Debug, Deserialize)]
struct Claims {
    exp: Option<i64>,
    nbf: Option<i64>,
    aud: Option<Audience>,
    iss: Option<String>,
    tid: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    scp: Option<String>,
}

/// `aud` is a string or an array of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// What a caller was granted.
#[derive(Debug, Clone)]
enum Permissions {
    /// Without authentication every request may do everything.
    All,
    /// The token's `roles` and `scp`.
    Granted(Vec<String>),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    permissions: Permissions,
}

impl Caller {
    fn may(&self, any_of: &[&str]) -> bool {
        match &self.permissions {
            Permissions::All => true,
            Permissions::Granted(granted) => granted.iter().any(|p| any_of.contains(&p.as_str())),
        }
    }
}

fn unauthorized(detail: &str) -> GraphError {
    GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        format!("Access token validation failure. {detail}"),
    )
}

impl Authenticator {
    pub fn new(settings: AuthSettings, issuer: Arc<Issuer>) -> Authenticator {
        Authenticator {
            settings,
            issuer,
            jwks: tokio::sync::Mutex::new(()),
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                loaded_at: None,
            }),
        }
    }

    /// The caller behind an `Authorization` header value (or its absence).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, GraphError> {
        if self.settings.mode == AuthMode::None {
            return Ok(Caller {
                tenant: self.settings.default_tenant,
                permissions: Permissions::All,
            });
        }
        let token = authorization
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                GraphError::new(
                    StatusCode::UNAUTHORIZED,
                    "InvalidAuthenticationToken",
                    "Access token is empty.",
                )
            })?;
        let malformed =
            || unauthorized("The token is not a well-formed JWT (header.payload.signature).");
        let header = decode_header(token).map_err(|_| malformed())?;
        let claims: Claims = match self.settings.mode {
            AuthMode::Unverified => insecure_decode(token).map_err(|_| malformed())?.claims,
            _ => {
                let key = self.verification_key(&header).await?;
                // The library checks the signature; the claims are checked below, in both modes.
                let mut signature_only = Validation::new(header.alg);
                signature_only.validate_exp = false;
                signature_only.validate_aud = false;
                signature_only.required_spec_claims.clear();
                decode(token, &key, &signature_only)
                    .map_err(|error| unauthorized(describe(&error)))?
                    .claims
            }
        };
        self.check_claims(&claims)?;
        let tenant = claims
            .tid
            .as_deref()
            .and_then(|tid| Uuid::parse_str(tid).ok())
            .map(Tenant)
            .ok_or_else(|| {
                unauthorized("The token has no tenant: its 'tid' claim must be a GUID.")
            })?;
        let mut permissions = claims.roles;
        permissions.extend(
            claims
                .scp
                .iter()
                .flat_map(|s| s.split_whitespace())
                .map(str::to_owned),
        );
        Ok(Caller {
            tenant,
            permissions: Permissions::Granted(permissions),
        })
    }

    /// `exp` and `nbf` (with leeway), `aud` among the accepted audiences, `iss` among the accepted
    /// issuers when some are configured.
    fn check_claims(&self, claims: &Claims) -> Result<(), GraphError> {
        let now = chrono::Utc::now().timestamp();
        let leeway = LEEWAY_SECONDS as i64;
        match claims.exp {
            None => return Err(unauthorized("The token has no expiry ('exp').")),
            Some(exp) if exp + leeway < now => {
                return Err(unauthorized(
                    "Lifetime validation failed, the token is expired.",
                ));
            }
            Some(_) => {}
        }
        if claims.nbf.is_some_and(|nbf| nbf - leeway > now) {
            return Err(unauthorized(
                "Lifetime validation failed, the token is not yet valid (nbf).",
            ));
        }
        let audiences = match &claims.aud {
            Some(Audience::One(aud)) => std::slice::from_ref(aud),
            Some(Audience::Many(auds)) => auds.as_slice(),
            None => &[],
        };
        if !audiences
            .iter()
            .any(|aud| self.settings.audiences.contains(aud))
        {
            return Err(unauthorized(&format!(
                "Invalid audience: the token is for {audiences:?}; this service accepts {:?}.",
                self.settings.audiences
            )));
        }
        if !self.settings.issuers.is_empty()
            && !claims
                .iss
                .as_ref()
                .is_some_and(|iss| self.settings.issuers.contains(iss))
        {
            return Err(unauthorized("Invalid issuer."));
        }
        Ok(())
    }

    /// The key that must have signed a token with this header.
    async fn verification_key(&self, header: &Header) -> Result<DecodingKey, GraphError> {
        match header.alg {
            Algorithm::HS256 => match &self.settings.secret {
                Some(secret) => DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|_| unauthorized("Signature verification failed.")),
                None => Err(unauthorized(
                    "HS256 tokens are not accepted: no secret is configured.",
                )),
            },
            Algorithm::RS256 | Algorithm::ES256 => {
                let kid = header.kid.as_deref().ok_or_else(|| {
                    unauthorized("Signature verification failed: the token names no key ('kid').")
                })?;
                // A JWKS key already loaded first: tokens from elsewhere never wait on the database.
                if let Some(key) = self.cached_key(kid, header.alg) {
                    return Ok(key);
                }
                if header.alg == Algorithm::RS256
                    && let Some(key) = self.issuer.decoding_key(kid).await?
                {
                    return Ok(key);
                }
                self.jwks_key(kid, header.alg).await
            }
            other => Err(unauthorized(&format!(
                "Signature verification failed: algorithm {other:?} is not accepted (HS256, RS256, ES256 are)."
            ))),
        }
    }

    /// A key from the JWKS, which is loaded again when it does not know `kid` (keys rotate).
    async fn jwks_key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, GraphError> {
        if let Some(key) = self.cached_key(kid, alg) {
            return Ok(key);
        }
        let Some(source) = &self.settings.jwks else {
            return Err(unauthorized(&format!(
                "Signature verification failed: no key with kid '{kid}' is known (no JWKS is configured)."
            )));
        };
        // One refresh at a time, and not more often than the interval.
        let _refreshing = self.jwks.lock().await;
        let stale = self
            .cache
            .read()
            .expect("key cache lock")
            .loaded_at
            .is_none_or(|at| at.elapsed() >= JWKS_REFRESH_INTERVAL);
        if stale {
            match source.load().await {
                Ok(set) => self.store_keys(&set),
                Err(problem) => log::warn!("JWKS refresh failed: {problem}"),
            }
        }
        self.cached_key(kid, alg).ok_or_else(|| {
            unauthorized(&format!(
                "Signature verification failed: no key with kid '{kid}' is known."
            ))
        })
    }

    fn cached_key(&self, kid: &str, alg: Algorithm) -> Option<DecodingKey> {
        let cache = self.cache.read().expect("key cache lock");
        if cache
            .loaded_at
            .is_none_or(|at| at.elapsed() >= JWKS_MAX_AGE)
        {
            return None;
        }
        cache
            .keys
            .get(kid)
            .filter(|(_, key_alg)| *key_alg == alg)
            .map(|(key, _)| key.clone())
    }

    fn store_keys(&self, set: &JwkSet) {
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = match &jwk.algorithm {
                    jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                    jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                    _ => return None,
                };
                Some((kid, (DecodingKey::from_jwk(jwk).ok()?, alg)))
            })
            .collect();
        let mut cache = self.cache.write().expect("key cache lock");
        cache.keys = keys;
        cache.loaded_at = Some(Instant::now());
    }
}

fn describe(error: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => "Signature verification failed.",
        ErrorKind::InvalidAlgorithm => {
            "Signature verification failed: the algorithm does not match the key."
        }
        _ => "The token is not a well-formed JWT.",
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
}

impl Need {
    fn permissions(self) -> &'static [&'static str] {
        match self {
            Need::Read => &READ_PERMISSIONS,
            Need::Write => &WRITE_PERMISSIONS,
        }
    }
}

/// The tenant of a caller who may read.
pub struct ReadAccess(pub Tenant);
/// The tenant of a caller who may write.
pub struct WriteAccess(pub Tenant);

async fn authorize(req: HttpRequest, need: Need) -> Result<Tenant, GraphError> {
    let Some(authenticator) = req.app_data::<web::Data<Authenticator>>().cloned() else {
        log::error!("no Authenticator registered");
        return Err(GraphError::internal());
    };
    let authorization = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = authenticator.authenticate(authorization).await?;
    if caller.may(need.permissions()) {
        Ok(caller.tenant)
    } else {
        Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "Application is not authorized to perform this operation. Application must have one of the following scopes: {}",
                need.permissions().join(", ")
            ),
        ))
    }
}

impl FromRequest for ReadAccess {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authorize(req, Need::Read).await.map(ReadAccess) })
    }
}

impl FromRequest for WriteAccess {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authorize(req, Need::Write).await.map(WriteAccess) })
    }
}

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

/// An HS256 token for local use and tests (`autopilot-registry token`).
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
        exp: now + ttl.as_secs() as i64,
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
    fn debug_output_redacts_the_secret() {
        let secret = "hs256-secret-5d2b";
        let settings = AuthSettings {
            mode: AuthMode::Jwt,
            default_tenant: Tenant(Uuid::nil()),
            secret: Some(secret.to_owned()),
            jwks: None,
            audiences: Vec::new(),
            issuers: Vec::new(),
        };
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains(secret) && shown.contains("secret: Some([redacted])"),
            "{shown}"
        );
    }
}
