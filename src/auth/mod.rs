//! Bearer tokens: who is calling (the tenant) and what they may do (Graph's permissions).
//!
//! Three modes: `none` (no token; the default tenant may do everything), `jwt` (signatures verified
//! with the service's own token endpoint's key, an HS256 secret and/or RS256/ES256 keys from a
//! JWKS), and `unverified` (claims checked, the signature not: Entra ID tokens issued for Graph
//! cannot be verified by anyone but Graph).
//!
//! The token endpoint that issues this service's own tokens is the identity provider's
//! (`crate::identity`); what is checked here learns its keys through [`OwnTokenKeys`].

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{BoxFuture, LocalBoxFuture};
use jsonwebtoken::{
    Algorithm, DecodingKey, Header, Validation, dangerous::insecure_decode, decode, decode_header,
};
use serde::Deserialize;
use std::sync::Arc;
use uuid::Uuid;

use crate::config::{AuthMode, Redacted};
use crate::domain::Tenant;
use crate::graph::error::GraphError;
use crate::store::StoreError;

mod jwks;

use jwks::JwksKeys;
pub use jwks::JwksSource;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: i64 = 60;
/// The shortest HS256 secret `serve` accepts: RFC 7518 (3.2) asks for a key at least as long as
/// the hash, 256 bits.
pub const MIN_SECRET_BYTES: usize = 32;
/// Secrets this project's documentation has shown as examples: whoever copied one runs a service
/// that accepts tokens anyone can forge.
const DOCUMENTED_EXAMPLE_SECRETS: [&str; 2] = ["change-me", "a-long-random-secret"];
/// The most characters of a token's own text (such as its `kid`) a 401 repeats.
const MAX_ECHOED_CHARS: usize = 64;

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
/// What a caller may do with device configuration (assignment filters), as Graph's Intune pages
/// list it.
const CONFIGURATION_READ_PERMISSIONS: [&str; 2] = [
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];
const CONFIGURATION_WRITE_PERMISSIONS: [&str; 1] = ["DeviceManagementConfiguration.ReadWrite.All"];

/// What a caller may do with mobile apps (Graph's DeviceManagementApps permissions).
const APPS_READ_PERMISSIONS: [&str; 2] = [
    "DeviceManagementApps.Read.All",
    "DeviceManagementApps.ReadWrite.All",
];
const APPS_WRITE_PERMISSIONS: [&str; 1] = ["DeviceManagementApps.ReadWrite.All"];

/// What a caller may do with managed devices, as Graph's managedDevice pages list it: reads and
/// writes of the records, and the remote actions (wipe, retire, syncDevice, ...), which only
/// PrivilegedOperations allows.
const MANAGED_DEVICES_READ_PERMISSIONS: [&str; 2] = [
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementManagedDevices.ReadWrite.All",
];
const MANAGED_DEVICES_WRITE_PERMISSIONS: [&str; 1] =
    ["DeviceManagementManagedDevices.ReadWrite.All"];
const MANAGED_DEVICES_ACTION_PERMISSIONS: [&str; 1] =
    ["DeviceManagementManagedDevices.PrivilegedOperations.All"];

/// What a caller may do with users, as Graph's user pages list it.
const USERS_READ_PERMISSIONS: [&str; 4] = [
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const USERS_WRITE_PERMISSIONS: [&str; 2] = ["User.ReadWrite.All", "Directory.ReadWrite.All"];

/// What a caller may do with service principals, as Graph's servicePrincipal pages list it.
const APPLICATIONS_READ_PERMISSIONS: [&str; 4] = [
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APPLICATIONS_WRITE_PERMISSIONS: [&str; 2] =
    ["Application.ReadWrite.All", "Directory.ReadWrite.All"];

/// Who may add and remove a group's members and owners: Graph's group pages (members and owners
/// `$ref`) name GroupMember.ReadWrite.All, Group.ReadWrite.All and Directory.ReadWrite.All; the
/// Intune permissions the group routes have always taken still do.
const GROUP_LINKS_WRITE_PERMISSIONS: [&str; 5] = [
    "DeviceManagementServiceConfig.ReadWrite.All",
    "DeviceManagementConfiguration.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];

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
            .field("secret", &secret.as_ref().map(|_| Redacted))
            .field("jwks", jwks)
            .field("audiences", audiences)
            .field("issuers", issuers)
            .finish()
    }
}

/// The keys of the tokens this service issues itself, by `kid`: its tokens are accepted under
/// `jwt` with no other setting.
pub trait OwnTokenKeys: Send + Sync {
    /// The key that verifies a token naming `kid`, when it is one of ours.
    fn decoding_key<'a>(
        &'a self,
        kid: &'a str,
    ) -> BoxFuture<'a, Result<Option<DecodingKey>, StoreError>>;
}

/// Checks bearer tokens. One per service, shared by every worker.
pub struct Authenticator {
    settings: AuthSettings,
    own_keys: Arc<dyn OwnTokenKeys>,
    jwks: Option<Arc<JwksKeys>>,
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
    appid: Option<String>,
    azp: Option<String>,
}

/// A JWT's payload, read without looking at its header or signature.
fn payload_claims(token: &str) -> Option<Claims> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The most characters of a token's application id kept (for logs, the journal, the throttle).
const MAX_APP_CHARS: usize = 128;

impl Claims {
    /// The calling application: `appid` (v1 tokens) or `azp` (v2), bounded.
    fn app(&self) -> Option<String> {
        self.appid
            .as_deref()
            .or(self.azp.as_deref())
            .map(|app| app.chars().take(MAX_APP_CHARS).collect())
    }
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
    /// The token's application (`appid` or `azp`); none without a token or when it names none.
    pub app: Option<String>,
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

/// Graph's 401. The message says which check failed in Graph's words and never what this service
/// is configured with; the details go to the debug log.
fn unauthorized(message: impl Into<String>) -> GraphError {
    GraphError::new(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
    )
}

fn validation_failure(reason: &str) -> GraphError {
    unauthorized(format!("Access token validation failure. {reason}"))
}

fn invalid_signature(why: &str) -> GraphError {
    log::debug!("token refused: {why}");
    validation_failure("Invalid signature.")
}

/// A token's own text, as much of it as a 401 repeats.
fn echoed(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Why `serve` refuses an HS256 secret: too short to resist guessing, or one anyone can read in
/// this project's documentation.
pub fn weak_secret(secret: &str) -> Option<String> {
    if DOCUMENTED_EXAMPLE_SECRETS.contains(&secret.trim()) {
        return Some(
            "AUTOPILOT_JWT_SECRET is an example from the documentation: anyone could forge tokens \
             with it. Use a random secret, e.g. `openssl rand -hex 32`."
                .to_owned(),
        );
    }
    (secret.len() < MIN_SECRET_BYTES).then(|| {
        format!(
            "AUTOPILOT_JWT_SECRET has {} bytes; an HS256 secret needs at least {MIN_SECRET_BYTES} \
             (random ones, e.g. `openssl rand -hex 32`).",
            secret.len()
        )
    })
}

impl Authenticator {
    pub fn new(settings: AuthSettings, own_keys: Arc<dyn OwnTokenKeys>) -> Authenticator {
        let jwks = match settings.mode {
            AuthMode::Jwt => settings.jwks.clone().map(JwksKeys::new),
            AuthMode::None | AuthMode::Unverified => None,
        };
        Authenticator {
            settings,
            own_keys,
            jwks,
        }
    }

    /// The caller behind an `Authorization` header value (or its absence).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, GraphError> {
        let token = authorization
            .and_then(bearer_token)
            .filter(|token| !token.is_empty());
        if self.settings.mode == AuthMode::None {
            // Nothing is checked, but a token still names its application (for the throttle's
            // buckets and the logs), as Graph's throttling counts per application.
            return Ok(Caller {
                tenant: self.settings.default_tenant,
                app: token
                    .and_then(payload_claims)
                    .and_then(|claims| claims.app()),
                permissions: Permissions::All,
            });
        }
        let token = token.ok_or_else(|| unauthorized("Access token is empty."))?;
        let malformed = || validation_failure("The token is not a well-formed JWT.");
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
                    .map_err(|error| refused(&error))?
                    .claims
            }
        };
        check_claims(&self.settings, &claims, chrono::Utc::now().timestamp())?;
        let tenant = claims
            .tid
            .as_deref()
            .and_then(|tid| Uuid::parse_str(tid).ok())
            .map(Tenant)
            .ok_or_else(|| {
                validation_failure("The token has no tenant: its 'tid' claim must be a GUID.")
            })?;
        let app = claims.app();
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
            app,
            permissions: Permissions::Granted(permissions),
        })
    }

    /// The key that must have signed a token with this header. Only the configured secret and the
    /// configured JWKS are ever used: keys or key URLs a token carries (`jwk`, `jku`, `x5u`, `x5c`)
    /// are not looked at.
    async fn verification_key(&self, header: &Header) -> Result<DecodingKey, GraphError> {
        match header.alg {
            Algorithm::HS256 => match &self.settings.secret {
                Some(secret) => DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|_| invalid_signature("the secret is not a usable HS256 key")),
                None => Err(invalid_signature("HS256, but no secret is configured")),
            },
            Algorithm::RS256 | Algorithm::ES256 => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| validation_failure("The token names no signing key ('kid')."))?;
                // A JWKS key already loaded first: tokens from elsewhere never wait on the database.
                if let Some(key) = self
                    .jwks
                    .as_ref()
                    .and_then(|jwks| jwks.cached(kid, header.alg))
                {
                    return Ok(key);
                }
                if header.alg == Algorithm::RS256
                    && let Some(key) = self.own_keys.decoding_key(kid).await?
                {
                    return Ok(key);
                }
                let key = match &self.jwks {
                    Some(jwks) => jwks.key(kid, header.alg).await,
                    None => None,
                };
                key.ok_or_else(|| {
                    log::debug!(
                        "token refused: no {:?} key '{}' (JWKS configured: {})",
                        header.alg,
                        echoed(kid),
                        self.jwks.is_some()
                    );
                    validation_failure(&format!("The signing key '{}' was not found.", echoed(kid)))
                })
            }
            other => Err(validation_failure(&format!(
                "The signing algorithm {other:?} is not accepted."
            ))),
        }
    }
}

/// `exp` and `nbf` (with leeway) against `now`, `aud` among the accepted audiences, `iss` among
/// the accepted issuers when some are configured. The lifetime arithmetic saturates: `exp` and
/// `nbf` are the caller's numbers, any `i64`.
fn check_claims(settings: &AuthSettings, claims: &Claims, now: i64) -> Result<(), GraphError> {
    match claims.exp {
        None => {
            return Err(unauthorized(
                "Lifetime validation failed, the token has no expiry ('exp').",
            ));
        }
        Some(exp) if exp.saturating_add(LEEWAY_SECONDS) < now => {
            return Err(unauthorized(
                "Lifetime validation failed, the token is expired.",
            ));
        }
        Some(_) => {}
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf.saturating_sub(LEEWAY_SECONDS) > now)
    {
        return Err(unauthorized(
            "Lifetime validation failed, the token is not yet valid.",
        ));
    }
    let audiences = match &claims.aud {
        Some(Audience::One(aud)) => std::slice::from_ref(aud),
        Some(Audience::Many(auds)) => auds.as_slice(),
        None => &[],
    };
    if !audiences.iter().any(|aud| settings.audiences.contains(aud)) {
        return Err(validation_failure("Invalid audience."));
    }
    if !settings.issuers.is_empty()
        && !claims
            .iss
            .as_ref()
            .is_some_and(|iss| settings.issuers.contains(iss))
    {
        return Err(validation_failure("Invalid issuer."));
    }
    Ok(())
}

/// The 401 for a token whose signature does not verify with the key its header chose.
fn refused(error: &jsonwebtoken::errors::Error) -> GraphError {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => {
            invalid_signature(&error.to_string())
        }
        _ => validation_failure("The token is not a well-formed JWT."),
    }
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Write,
    ReadConfiguration,
    WriteConfiguration,
    AppsRead,
    AppsWrite,
    ManagedDevicesRead,
    ManagedDevicesWrite,
    ManagedDeviceActions,
    UsersRead,
    UsersWrite,
    ApplicationsRead,
    ApplicationsWrite,
    GroupLinksWrite,
}

impl Need {
    fn permissions(self) -> &'static [&'static str] {
        match self {
            Need::Read => &READ_PERMISSIONS,
            Need::Write => &WRITE_PERMISSIONS,
            Need::ReadConfiguration => &CONFIGURATION_READ_PERMISSIONS,
            Need::WriteConfiguration => &CONFIGURATION_WRITE_PERMISSIONS,
            Need::AppsRead => &APPS_READ_PERMISSIONS,
            Need::AppsWrite => &APPS_WRITE_PERMISSIONS,
            Need::ManagedDevicesRead => &MANAGED_DEVICES_READ_PERMISSIONS,
            Need::ManagedDevicesWrite => &MANAGED_DEVICES_WRITE_PERMISSIONS,
            Need::ManagedDeviceActions => &MANAGED_DEVICES_ACTION_PERMISSIONS,
            Need::UsersRead => &USERS_READ_PERMISSIONS,
            Need::UsersWrite => &USERS_WRITE_PERMISSIONS,
            Need::ApplicationsRead => &APPLICATIONS_READ_PERMISSIONS,
            Need::ApplicationsWrite => &APPLICATIONS_WRITE_PERMISSIONS,
            Need::GroupLinksWrite => &GROUP_LINKS_WRITE_PERMISSIONS,
        }
    }
}

/// The tenant of a caller who may read.
pub struct ReadAccess(pub Tenant);
/// The tenant of a caller who may write.
pub struct WriteAccess(pub Tenant);
/// The tenant of a caller who may read device configuration.
pub struct ConfigurationReadAccess(pub Tenant);
/// The tenant of a caller who may write device configuration.
pub struct ConfigurationWriteAccess(pub Tenant);
/// The tenant of a caller who may read mobile apps.
pub struct AppsReadAccess(pub Tenant);
/// The tenant of a caller who may write mobile apps.
pub struct AppsWriteAccess(pub Tenant);
/// The tenant of a caller who may read managed devices.
pub struct ManagedDevicesReadAccess(pub Tenant);
/// The tenant of a caller who may update and delete managed devices.
pub struct ManagedDevicesWriteAccess(pub Tenant);
/// The tenant of a caller who may send remote actions to managed devices.
pub struct ManagedDeviceActionAccess(pub Tenant);

/// The tenant of a caller who may read users.
pub struct UsersReadAccess(pub Tenant);
/// The tenant of a caller who may create, change and delete users.
pub struct UsersWriteAccess(pub Tenant);
/// The tenant of a caller who may read service principals.
pub struct ApplicationsReadAccess(pub Tenant);
/// The tenant of a caller who may create and delete service principals.
pub struct ApplicationsWriteAccess(pub Tenant);
/// The tenant of a caller who may add and remove groups' members and owners.
pub struct GroupLinksWriteAccess(pub Tenant);

/// A caller with a valid token, whatever it may do: what `$batch` itself needs, each request in
/// it being authorised on its own.
pub struct Authenticated;

/// What checking a request's token found, kept on the request: the traffic middleware asks first
/// (for logs, faults and the throttle), the permission extractor then reads the same answer.
#[derive(Clone)]
struct Checked(Result<Caller, GraphError>);

/// The caller behind the request's `Authorization` header, checked once per request.
pub async fn caller(req: &HttpRequest) -> Result<Caller, GraphError> {
    use actix_web::HttpMessage;
    if let Some(Checked(outcome)) = req.extensions().get::<Checked>().cloned() {
        return outcome;
    }
    let outcome = check_caller(req).await;
    req.extensions_mut().insert(Checked(outcome.clone()));
    outcome
}

async fn check_caller(req: &HttpRequest) -> Result<Caller, GraphError> {
    let Some(authenticator) = req.app_data::<web::Data<Authenticator>>().cloned() else {
        log::error!("no Authenticator registered");
        return Err(GraphError::internal());
    };
    let authorization = single_authorization(req).ok_or_else(|| {
        GraphError::bad_request("The request has more than one Authorization header.")
    })?;
    authenticator.authenticate(authorization).await
}

/// The request's `Authorization` value (`Some(None)` without one, or one that is not text), or
/// `None` when it has several: which would count is a guess a proxy in front may make
/// differently, so callers refuse them all.
pub fn single_authorization(req: &HttpRequest) -> Option<Option<&str>> {
    let mut authorizations = req
        .headers()
        .get_all(actix_web::http::header::AUTHORIZATION);
    let authorization = authorizations.next().and_then(|v| v.to_str().ok());
    authorizations.next().is_none().then_some(authorization)
}

/// The token of a `Bearer` authorization value, if it is one.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authorize(req: HttpRequest, need: Need) -> Result<Tenant, GraphError> {
    let caller = caller(&req).await?;
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

impl FromRequest for Authenticated {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { caller(&req).await.map(|_| Authenticated) })
    }
}

/// The extractor of a caller who has what `$need` asks, as the tenant it acts in.
macro_rules! access_extractor {
    ($access:ident, $need:expr) => {
        impl FromRequest for $access {
            type Error = GraphError;
            type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move { authorize(req, $need).await.map($access) })
            }
        }
    };
}

access_extractor!(ReadAccess, Need::Read);
access_extractor!(WriteAccess, Need::Write);
access_extractor!(AppsReadAccess, Need::AppsRead);
access_extractor!(AppsWriteAccess, Need::AppsWrite);
access_extractor!(ManagedDevicesReadAccess, Need::ManagedDevicesRead);
access_extractor!(ManagedDevicesWriteAccess, Need::ManagedDevicesWrite);
access_extractor!(ManagedDeviceActionAccess, Need::ManagedDeviceActions);
access_extractor!(UsersReadAccess, Need::UsersRead);
access_extractor!(UsersWriteAccess, Need::UsersWrite);
access_extractor!(ApplicationsReadAccess, Need::ApplicationsRead);
access_extractor!(ApplicationsWriteAccess, Need::ApplicationsWrite);
access_extractor!(GroupLinksWriteAccess, Need::GroupLinksWrite);

impl FromRequest for ConfigurationReadAccess {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authorize(req, Need::ReadConfiguration)
                .await
                .map(ConfigurationReadAccess)
        })
    }
}

impl FromRequest for ConfigurationWriteAccess {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authorize(req, Need::WriteConfiguration)
                .await
                .map(ConfigurationWriteAccess)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_comes_from_appid_or_azp() {
        let app = |claims: &str| serde_json::from_str::<Claims>(claims).unwrap().app();
        assert_eq!(app(r#"{"appid":"a1"}"#).as_deref(), Some("a1"));
        assert_eq!(app(r#"{"azp":"a2"}"#).as_deref(), Some("a2"));
        assert_eq!(app(r#"{"tid":"t"}"#), None);
        let long = format!(r#"{{"appid":"{}"}}"#, "x".repeat(500));
        assert_eq!(app(&long).unwrap().len(), MAX_APP_CHARS);
    }

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

    fn graph_settings() -> AuthSettings {
        AuthSettings {
            mode: AuthMode::Unverified,
            default_tenant: Tenant(Uuid::nil()),
            secret: None,
            jwks: None,
            audiences: vec!["https://graph.microsoft.com".to_owned()],
            issuers: Vec::new(),
        }
    }

    fn lifetime(exp: i64, nbf: Option<i64>) -> Result<(), String> {
        let claims = Claims {
            exp: Some(exp),
            nbf,
            aud: Some(Audience::One("https://graph.microsoft.com".to_owned())),
            iss: None,
            tid: None,
            roles: Vec::new(),
            scp: None,
            appid: None,
            azp: None,
        };
        check_claims(&graph_settings(), &claims, 1_750_000_000).map_err(|e| e.message)
    }

    /// Run in a debug build (as `cargo test` does), where an overflow would panic.
    #[test]
    fn lifetime_checks_saturate_at_the_ends_of_i64() {
        assert_eq!(lifetime(i64::MAX, None), Ok(()));
        assert_eq!(lifetime(i64::MAX, Some(i64::MIN)), Ok(()));
        assert!(lifetime(i64::MIN, None).unwrap_err().contains("expired"));
        assert!(
            lifetime(i64::MAX, Some(i64::MAX))
                .unwrap_err()
                .contains("not yet valid")
        );
        // The leeway still applies away from the ends.
        assert_eq!(
            lifetime(1_750_000_000 - 60, Some(1_750_000_000 + 60)),
            Ok(())
        );
        assert!(lifetime(1_750_000_000 - 61, None).is_err());
        assert!(lifetime(1_750_000_000, Some(1_750_000_000 + 61)).is_err());
    }

    #[test]
    fn echoed_text_is_bounded_to_64_characters() {
        assert_eq!(echoed("k1"), "k1");
        assert_eq!(echoed(&"é".repeat(64)), "é".repeat(64));
        assert_eq!(echoed(&"é".repeat(65)), format!("{}…", "é".repeat(64)));
        assert_eq!(echoed(&"x".repeat(10_000)).chars().count(), 65);
    }

    #[test]
    fn short_and_documented_secrets_are_weak() {
        for example in DOCUMENTED_EXAMPLE_SECRETS {
            let problem = weak_secret(example).unwrap();
            assert!(problem.contains("example"), "{problem}");
        }
        let problem = weak_secret(&"x".repeat(MIN_SECRET_BYTES - 1)).unwrap();
        assert!(
            problem.contains("31 bytes") && problem.contains("at least 32"),
            "{problem}"
        );
        assert_eq!(weak_secret(&"x".repeat(MIN_SECRET_BYTES)), None);
    }
}
