//! A token endpoint like Entra ID's, for the credential classes of Microsoft's SDKs
//! (azure-identity's `ClientSecretCredential`, MSAL): OpenID discovery, the signing keys, and the
//! client credentials grant with a client secret, each answered in Entra's JSON shapes, its errors
//! (`AADSTS` codes) included. A tenant exists here while it has an app registration.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, PRAGMA, RETRY_AFTER};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

use super::apps::secret_matches;
use super::issuer::{Issuer, Jwk};
use crate::config::GRAPH_AUDIENCES;
use crate::graph::request_ids::RequestIds;
use crate::store::{Store, StoreError};

/// Seconds a token lives, as Entra's `expires_in` says for an hour's token.
pub const EXPIRES_IN: i64 = 3599;
const CLIENT_CREDENTIALS: &str = "client_credentials";
/// Wrong client secrets an app may be sent in [`SECRET_FAILURE_WINDOW`] before its token requests
/// are refused until the window ends (counted in PostgreSQL, across instances).
pub const SECRET_FAILURE_LIMIT: i32 = 10;
pub const SECRET_FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
/// How long a token request's body may take to arrive: a body sent a byte at a time must not hold
/// a connection (Graph routes need no body to refuse).
pub const TOKEN_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);
/// The largest token request body: a client credentials form is a few hundred bytes.
pub const MAX_TOKEN_BODY_BYTES: usize = 16 * 1024;
const DEFAULT_SCOPE: &str = "/.default";

/// An answer of the token endpoint that is not a token: Entra's error body, with its `AADSTS`
/// code where Entra has one.
#[derive(Debug, Clone)]
pub struct EntraError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: Option<u32>,
    pub description: String,
    /// Seconds until a retry can succeed, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl EntraError {
    fn new(status: StatusCode, error: &'static str, code: u32, description: String) -> EntraError {
        EntraError {
            status,
            error,
            code: Some(code),
            description,
            retry_after: None,
        }
    }

    /// Too many wrong secrets for one client: Entra's `IdsLocked` (AADSTS50053), the code it
    /// answers sign-ins that failed too often with a wrong credential (it has no code of its own
    /// for an app's secret), with the seconds until the lockout ends.
    fn secret_locked(client_id: Uuid, left: std::time::Duration) -> EntraError {
        let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        EntraError {
            retry_after: Some(seconds.max(1)),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                50053,
                format!(
                    "The account is locked, you've tried to sign in too many times with an incorrect secret: app '{client_id}' had {SECRET_FAILURE_LIMIT} wrong client secrets within {} seconds. Retry after {seconds} seconds.",
                    SECRET_FAILURE_WINDOW.as_secs()
                ),
            )
        }
    }

    /// A token request whose body did not arrive in time (Entra has no code for it).
    pub fn body_too_slow() -> EntraError {
        EntraError {
            status: StatusCode::REQUEST_TIMEOUT,
            error: "invalid_request",
            code: None,
            description: format!(
                "The request body was not received within {} seconds.",
                TOKEN_BODY_DEADLINE.as_secs()
            ),
            retry_after: None,
        }
    }

    /// A token request whose body is larger than any form of the grant.
    /// A token request whose body broke off or could not be read (Entra has no code for it).
    pub fn body_unreadable() -> EntraError {
        EntraError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            code: None,
            description: "The request body could not be read.".to_owned(),
            retry_after: None,
        }
    }

    pub fn body_too_large() -> EntraError {
        EntraError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            error: "invalid_request",
            code: None,
            description: format!("The request body is larger than {MAX_TOKEN_BODY_BYTES} bytes."),
            retry_after: None,
        }
    }

    fn invalid_tenant(tenant: &str) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }

    fn missing_parameter(name: &str) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    fn unsupported_grant_type(grant_type: &str) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        )
    }

    fn unknown_client(client_id: &str, tenant: Uuid) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    fn missing_secret() -> EntraError {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".to_owned(),
        )
    }

    fn wrong_secret(client_id: Uuid) -> EntraError {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )
    }

    fn missing_scope() -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter.".to_owned(),
        )
    }

    fn invalid_scope(scope: &str) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        )
    }

    fn scope_without_default(scope: &str) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    }

    fn unknown_resource(resource: &str, tenant: Uuid) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        )
    }

    /// Any other verb than POST on the token endpoint.
    pub fn post_only(method: &str) -> EntraError {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            format!(
                "The endpoint only accepts POST, OPTIONS requests. Received a {method} request."
            ),
        )
    }

    /// The authorization endpoint exists because OpenID discovery must name one (MSAL reads it);
    /// it answers every request with this. Entra has no code for it: this service alone lacks
    /// interactive sign-in.
    pub fn no_interactive_sign_in(token_endpoint: &str) -> EntraError {
        EntraError {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_response_type",
            code: None,
            retry_after: None,
            description: format!(
                "autopilot-registry signs no users in: it issues tokens to apps only, with the client credentials grant at {token_endpoint}."
            ),
        }
    }

    /// Entra's error body, with the request's ids as its trace and correlation ids.
    pub fn render(&self, ids: &RequestIds) -> HttpResponse {
        let now = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
        let prefix = self
            .code
            .map(|code| format!("AADSTS{code}: "))
            .unwrap_or_default();
        let body = EntraErrorBody {
            error: self.error,
            error_description: format!(
                "{prefix}{}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {now}",
                self.description, ids.request_id, ids.client_request_id
            ),
            error_codes: self.code.into_iter().collect(),
            timestamp: &now,
            trace_id: &ids.request_id,
            correlation_id: &ids.client_request_id,
            error_uri: self
                .code
                .map(|code| format!("https://login.microsoftonline.com/error?code={code}")),
        };
        let mut response = HttpResponse::build(self.status);
        response
            .insert_header((CACHE_CONTROL, "no-store, no-cache"))
            .insert_header((PRAGMA, "no-cache"));
        if let Some(seconds) = self.retry_after {
            response.insert_header((RETRY_AFTER, seconds));
        }
        response.json(body)
    }
}

#[derive(Serialize)]
struct EntraErrorBody<'a> {
    error: &'a str,
    error_description: String,
    error_codes: Vec<u32>,
    timestamp: &'a str,
    trace_id: &'a str,
    correlation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_uri: Option<String>,
}

/// Why the token endpoint did not answer with what was asked.
#[derive(Debug)]
pub enum Refusal {
    /// The request was wrong: Entra's error.
    Entra(EntraError),
    /// The database failed.
    Store(StoreError),
}

impl From<EntraError> for Refusal {
    fn from(error: EntraError) -> Self {
        Refusal::Entra(error)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Store(error)
    }
}

/// A tenant's URLs: `base` is the service's external base URL, without a trailing slash.
pub struct TenantUrls {
    base: String,
    tenant: Uuid,
}

impl TenantUrls {
    pub fn new(base: &str, tenant: Uuid) -> TenantUrls {
        TenantUrls {
            base: base.trim_end_matches('/').to_owned(),
            tenant,
        }
    }

    /// Tokens' `iss`, as Entra's v2.0 endpoints issue them.
    pub fn issuer(&self) -> String {
        format!("{}/{}/v2.0", self.base, self.tenant)
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base, self.tenant)
    }

    fn authorization_endpoint(&self) -> String {
        format!("{}/{}/oauth2/v2.0/authorize", self.base, self.tenant)
    }

    fn jwks_uri(&self) -> String {
        format!("{}/{}/discovery/v2.0/keys", self.base, self.tenant)
    }
}

/// The tenant a path segment names, when it has app registrations.
pub async fn known_tenant(store: &Store, segment: &str) -> Result<Uuid, Refusal> {
    match Uuid::parse_str(segment) {
        Ok(tenant) if store.tenant_has_apps(tenant).await? => Ok(tenant),
        _ => Err(EntraError::invalid_tenant(segment).into()),
    }
}

/// `/{tenant}/v2.0/.well-known/openid-configuration`: what MSAL reads (`authorization_endpoint`,
/// `token_endpoint`, `issuer`) and where the keys are, and only what this service does.
#[derive(Debug, Serialize)]
pub struct OpenIdConfiguration {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    token_endpoint_auth_methods_supported: [&'static str; 2],
    grant_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
}

impl OpenIdConfiguration {
    pub fn new(urls: &TenantUrls) -> OpenIdConfiguration {
        OpenIdConfiguration {
            issuer: urls.issuer(),
            authorization_endpoint: urls.authorization_endpoint(),
            token_endpoint: urls.token_endpoint(),
            jwks_uri: urls.jwks_uri(),
            token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
            grant_types_supported: [CLIENT_CREDENTIALS],
            id_token_signing_alg_values_supported: ["RS256"],
        }
    }
}

/// `/{tenant}/discovery/v2.0/keys`.
#[derive(Debug, Serialize)]
pub struct KeySet {
    keys: Vec<Jwk>,
}

impl KeySet {
    pub async fn of(issuer: &Issuer) -> Result<KeySet, StoreError> {
        Ok(KeySet {
            keys: issuer.jwks().await?,
        })
    }
}

/// The parameters of a token request: the form body's, and client credentials from an
/// `Authorization: Basic` header (client_secret_basic) when the body has none.
#[derive(Debug, Default)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

impl TokenRequest {
    /// From the form fields (the first of a repeated one counts) and the Authorization header.
    pub fn new(fields: Vec<(String, String)>, authorization: Option<&str>) -> TokenRequest {
        let mut request = TokenRequest::default();
        for (name, value) in fields {
            let slot = match name.as_str() {
                "grant_type" => &mut request.grant_type,
                "client_id" => &mut request.client_id,
                "client_secret" => &mut request.client_secret,
                "scope" => &mut request.scope,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        if let Some((id, secret)) = authorization.and_then(basic_credentials) {
            request.client_id.get_or_insert(id);
            request.client_secret.get_or_insert(secret);
        }
        request
    }
}

/// `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 section 2.3.1 has it.
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |text: &str| {
        percent_encoding::percent_decode_str(&text.replace('+', " "))
            .decode_utf8()
            .ok()
            .map(|text| text.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// A successful answer, as Entra's v2.0 token endpoint gives it.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    token_type: &'static str,
    expires_in: i64,
    ext_expires_in: i64,
    access_token: String,
}

impl TokenResponse {
    pub fn render(&self) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store, no-cache"))
            .insert_header((PRAGMA, "no-cache"))
            .json(self)
    }
}

/// The claims of an app token: those of Entra ID's v2.0 access tokens for an application.
#[derive(Serialize)]
struct AppTokenClaims<'a> {
    aud: &'a str,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    app_displayname: &'a str,
    /// The client id, under its v1.0 name (which Graph's tokens carry) and its v2.0 one.
    appid: Uuid,
    azp: Uuid,
    /// `1`: the client authenticated with a secret.
    azpacr: &'static str,
    idtyp: &'static str,
    /// The app's service principal.
    oid: Uuid,
    sub: Uuid,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    roles: &'a [String],
    tid: Uuid,
    ver: &'static str,
}

/// Answers a client credentials request to `tenant`'s endpoint, checking in Entra's order: the
/// grant, the client, its secret, the scope.
pub async fn issue_token(
    store: &Store,
    issuer: &Issuer,
    urls: &TenantUrls,
    request: TokenRequest,
) -> Result<TokenResponse, Refusal> {
    let tenant = urls.tenant;
    let grant_type = request
        .grant_type
        .ok_or_else(|| EntraError::missing_parameter("grant_type"))?;
    if grant_type != CLIENT_CREDENTIALS {
        return Err(EntraError::unsupported_grant_type(&grant_type).into());
    }
    let client_id = request
        .client_id
        .ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    let app = match Uuid::parse_str(&client_id) {
        Ok(id) => store.app(id).await?,
        Err(_) => None,
    }
    .filter(|app| app.tenant_id == tenant)
    .ok_or_else(|| EntraError::unknown_client(&client_id, tenant))?;
    let secret = request
        .client_secret
        .ok_or_else(EntraError::missing_secret)?;
    // A locked client is refused before its secret is looked at, so guessing gains nothing.
    if let Some(left) = store
        .secret_lockout(app.client_id, SECRET_FAILURE_LIMIT, SECRET_FAILURE_WINDOW)
        .await?
    {
        return Err(EntraError::secret_locked(app.client_id, left).into());
    }
    if !secret_matches(&app, &secret) {
        store
            .record_secret_failure(app.client_id, SECRET_FAILURE_WINDOW)
            .await?;
        return Err(EntraError::wrong_secret(app.client_id).into());
    }
    let audience = graph_audience(request.scope.as_deref(), tenant)?;

    let now = Utc::now().timestamp();
    let claims = AppTokenClaims {
        aud: audience,
        iss: urls.issuer(),
        iat: now,
        nbf: now,
        exp: now + EXPIRES_IN,
        app_displayname: &app.display_name,
        appid: app.client_id,
        azp: app.client_id,
        azpacr: "1",
        idtyp: "app",
        oid: app.object_id,
        sub: app.object_id,
        roles: &app.roles,
        tid: tenant,
        ver: "2.0",
    };
    Ok(TokenResponse {
        token_type: "Bearer",
        expires_in: EXPIRES_IN,
        ext_expires_in: EXPIRES_IN,
        access_token: issuer.sign(&claims).await?,
    })
}

/// The audience of the one scope a client credentials request may ask for:
/// `https://graph.microsoft.com/.default` (or Graph's application id with `/.default`).
fn graph_audience(scope: Option<&str>, tenant: Uuid) -> Result<&'static str, EntraError> {
    let scope = scope.map(str::trim).filter(|scope| !scope.is_empty());
    let scope = scope.ok_or_else(EntraError::missing_scope)?;
    if scope.split_whitespace().count() > 1 {
        return Err(EntraError::invalid_scope(scope));
    }
    let resource = scope
        .strip_suffix(DEFAULT_SCOPE)
        .ok_or_else(|| EntraError::scope_without_default(scope))?;
    GRAPH_AUDIENCES
        .into_iter()
        .find(|audience| audience.eq_ignore_ascii_case(resource))
        .ok_or_else(|| EntraError::unknown_resource(resource, tenant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_graphs_default_scope_is_granted() {
        let tenant = Uuid::nil();
        let code = |scope: Option<&str>| graph_audience(scope, tenant).unwrap_err().code;
        assert_eq!(
            graph_audience(Some("https://graph.microsoft.com/.default"), tenant).unwrap(),
            "https://graph.microsoft.com"
        );
        assert_eq!(
            graph_audience(
                Some("00000003-0000-0000-C000-000000000000/.default"),
                tenant
            )
            .unwrap(),
            "00000003-0000-0000-c000-000000000000"
        );
        assert_eq!(code(None), Some(70011));
        assert_eq!(code(Some("  ")), Some(70011));
        assert_eq!(
            code(Some("https://graph.microsoft.com/.default offline_access")),
            Some(70011)
        );
        assert_eq!(code(Some("User.Read")), Some(1002012));
        assert_eq!(
            code(Some("https://management.azure.com/.default")),
            Some(500011)
        );
    }

    #[test]
    fn client_credentials_come_from_the_body_or_basic_authentication() {
        let fields = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect::<Vec<_>>()
        };
        let request = TokenRequest::new(
            fields(&[("client_id", "a"), ("client_id", "b"), ("unknown", "x")]),
            None,
        );
        assert_eq!(request.client_id.as_deref(), Some("a"));
        assert!(request.client_secret.is_none());

        // "id:s%3Acret+x", base64: the secret is URL-encoded inside.
        let header = format!("Basic {}", STANDARD.encode("id:s%3Acret+x"));
        let request = TokenRequest::new(Vec::new(), Some(&header));
        assert_eq!(request.client_id.as_deref(), Some("id"));
        assert_eq!(request.client_secret.as_deref(), Some("s:cret x"));
        assert!(
            TokenRequest::new(Vec::new(), Some("Bearer x"))
                .client_id
                .is_none()
        );
    }
}
