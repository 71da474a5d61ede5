//! The token endpoint for the SDKs' own credential classes: `app add/list/remove` (the real
//! binary), OpenID discovery and the keys, client credentials tokens with Entra's claims, Entra's
//! error bodies for every wrong request, and the tokens' acceptance by `--auth jwt` with no other
//! setting on every instance of a database.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use autopilot_registry::identity::token::{
    SECRET_FAILURE_LIMIT, SECRET_FAILURE_WINDOW, TOKEN_BODY_DEADLINE,
};

use crate::helpers::{
    COLLECTION, TestApp, app_add, app_command, fresh_database, spawn_app, spawn_app_on,
    spawn_app_with,
};

const WRITE: &str = "DeviceManagementServiceConfig.ReadWrite.All";
const READ: &str = "DeviceManagementServiceConfig.Read.All";
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

fn token_url(app: &TestApp, tenant: &str) -> String {
    app.url(&format!("{tenant}/oauth2/v2.0/token"))
}

/// The form a client credentials request sends.
fn credentials_form(credentials: &Json, secret: &str, scope: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_owned()),
        (
            "client_id",
            credentials["clientId"].as_str().unwrap().to_owned(),
        ),
        ("client_secret", secret.to_owned()),
        ("scope", scope.to_owned()),
    ]
}

async fn request_token(app: &TestApp, tenant: &str, form: &[(&str, String)]) -> reqwest::Response {
    app.client
        .post(token_url(app, tenant))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The access token of a successful client credentials request with the app's own secret.
pub async fn token_for(app: &TestApp, credentials: &Json) -> String {
    let tenant = credentials["tenantId"].as_str().unwrap();
    let secret = credentials["clientSecret"].as_str().unwrap();
    let response = request_token(
        app,
        tenant,
        &credentials_form(credentials, secret, GRAPH_SCOPE),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Json = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Checks an Entra error body: its status, `error`, the AADSTS code in `error_description` and
/// `error_codes`, and its timestamp, trace id (the request-id) and correlation id (the
/// client-request-id).
async fn entra_error(
    response: reqwest::Response,
    status: StatusCode,
    error: &str,
    code: u32,
) -> Json {
    assert_eq!(response.status(), status);
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (request_id, client_request_id) = (header("request-id"), header("client-request-id"));
    assert_eq!(header("cache-control"), "no-store, no-cache");
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    let timestamp = body["timestamp"].as_str().unwrap();
    chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%d %H:%M:%SZ").expect("Entra's format");
    assert_eq!(body["trace_id"], request_id.as_str());
    assert_eq!(body["correlation_id"], client_request_id.as_str());
    for line in [
        format!("\r\nTrace ID: {request_id}"),
        format!("\r\nCorrelation ID: {client_request_id}"),
        format!("\r\nTimestamp: {timestamp}"),
    ] {
        assert!(
            description.contains(&line),
            "{line:?} not in {description:?}"
        );
    }
    assert_eq!(
        body["error_uri"],
        format!("https://login.microsoftonline.com/error?code={code}")
    );
    body
}

fn claims_of(token: &str) -> Json {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> Json {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn app_commands_register_list_and_remove_apps_and_store_only_a_hash_of_the_secret() {
    let database_url = fresh_database().await;
    let (tenant, other_tenant) = (Uuid::new_v4(), Uuid::new_v4());
    let first = app_add(&database_url, tenant, &[WRITE, READ]).await;
    let second = app_add(&database_url, other_tenant, &[READ]).await;
    assert_eq!(first["tenantId"], tenant.to_string());
    let client_id: Uuid = first["clientId"].as_str().unwrap().parse().unwrap();
    let secret = first["clientSecret"].as_str().unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.decode(secret).unwrap().len(),
        32,
        "{secret}"
    );
    assert_ne!(first["clientSecret"], second["clientSecret"]);

    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret_sha256 FROM app_registrations WHERE client_id = $1")
            .bind(client_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, Sha256::digest(secret.as_bytes()).to_vec());

    let listed = app_command(&database_url, &["list"]).await;
    assert!(listed.succeeded(), "{}", listed.stderr);
    assert!(
        !listed.stdout.contains(secret),
        "a secret in: {}",
        listed.stdout
    );
    let listed: Json = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["clientId"], first["clientId"]);
    assert_eq!(listed[0]["roles"], json!([WRITE, READ]));
    assert_eq!(listed[0]["displayName"], "autopilot-registry app");
    let mine = app_command(
        &database_url,
        &["list", "--tenant", &other_tenant.to_string()],
    )
    .await;
    let mine: Json = serde_json::from_str(&mine.stdout).unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine[0]["clientId"], second["clientId"]);

    let removed = app_command(&database_url, &["remove", &client_id.to_string()]).await;
    assert!(removed.succeeded(), "{}", removed.stderr);
    let again = app_command(&database_url, &["remove", &client_id.to_string()]).await;
    assert!(
        !again.succeeded() && again.stderr.contains(&client_id.to_string()),
        "{}",
        again.stderr
    );
    let listed = app_command(&database_url, &["list"]).await;
    let listed: Json = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    let empty_role = app_command(
        &database_url,
        &["add", "--tenant", &tenant.to_string(), "--roles", ","],
    )
    .await;
    assert!(
        !empty_role.succeeded() && empty_role.stderr.contains("--roles"),
        "{}",
        empty_role.stderr
    );
}

#[tokio::test]
async fn discovery_names_the_endpoints_and_keys_on_the_base_the_client_used() {
    let app = spawn_app().await;
    let tenant = Uuid::new_v4();
    app_add(&app.database_url, tenant, &[WRITE]).await;
    let config = get_json(
        &app,
        &format!("{tenant}/v2.0/.well-known/openid-configuration"),
    )
    .await;
    let at = |path: &str| app.url(&format!("{tenant}/{path}"));
    assert_eq!(config["issuer"], at("v2.0"));
    assert_eq!(config["token_endpoint"], at("oauth2/v2.0/token"));
    assert_eq!(
        config["authorization_endpoint"],
        at("oauth2/v2.0/authorize")
    );
    assert_eq!(config["jwks_uri"], at("discovery/v2.0/keys"));
    assert_eq!(
        config["grant_types_supported"],
        json!(["client_credentials"])
    );

    let keys = get_json(&app, &format!("{tenant}/discovery/v2.0/keys")).await;
    let key = &keys["keys"][0];
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    assert_eq!(key["e"], "AQAB");
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(key["n"].as_str().unwrap())
            .unwrap()
            .len(),
        256
    );

    // An unknown tenant, a GUID or not, is Entra's invalid_tenant everywhere.
    for unknown in [
        Uuid::new_v4().to_string(),
        "contoso.onmicrosoft.com".to_owned(),
    ] {
        for path in [
            "v2.0/.well-known/openid-configuration",
            "discovery/v2.0/keys",
        ] {
            let response = app.get(&format!("{unknown}/{path}")).await;
            let body =
                entra_error(response, StatusCode::BAD_REQUEST, "invalid_tenant", 90002).await;
            let description = body["error_description"].as_str().unwrap();
            assert!(
                description.contains(&format!("Tenant '{unknown}' not found")),
                "{description}"
            );
        }
        let response = request_token(&app, &unknown, &[]).await;
        entra_error(response, StatusCode::BAD_REQUEST, "invalid_tenant", 90002).await;
    }

    // Only POST reaches the token endpoint; interactive sign-in is not offered.
    let response = app.get(&format!("{tenant}/oauth2/v2.0/token")).await;
    entra_error(response, StatusCode::BAD_REQUEST, "invalid_request", 900561).await;
    let response = app
        .get(&format!("{tenant}/oauth2/v2.0/authorize?client_id=x"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_response_type");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains(&at("oauth2/v2.0/token")),
        "{body}"
    );
}

#[tokio::test]
async fn a_client_credentials_token_carries_entras_claims_and_verifies_with_the_published_key() {
    let app = spawn_app().await;
    let tenant = Uuid::new_v4();
    let credentials = app_add(&app.database_url, tenant, &[WRITE, READ]).await;
    let client_id = credentials["clientId"].as_str().unwrap();
    let secret = credentials["clientSecret"].as_str().unwrap();
    let response = request_token(
        &app,
        &tenant.to_string(),
        &credentials_form(&credentials, secret, GRAPH_SCOPE),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store, no-cache");
    let body: Json = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    let token = body["access_token"].as_str().unwrap();

    let config = get_json(
        &app,
        &format!("{tenant}/v2.0/.well-known/openid-configuration"),
    )
    .await;
    let keys = get_json(&app, &format!("{tenant}/discovery/v2.0/keys")).await;
    let jwk: Jwk = serde_json::from_value(keys["keys"][0].clone()).unwrap();
    let header = decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), jwk.common.key_id.as_deref());
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["https://graph.microsoft.com"]);
    validation.set_issuer(&[config["issuer"].as_str().unwrap()]);
    let verified = decode::<Json>(token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation)
        .expect("the token verifies with the published key");
    let claims = verified.claims;
    assert_eq!(claims["tid"], tenant.to_string());
    assert_eq!(claims["roles"], json!([WRITE, READ]));
    assert_eq!(claims["appid"], client_id);
    assert_eq!(claims["azp"], client_id);
    assert_eq!(claims["azpacr"], "1");
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["sub"], claims["oid"]);
    assert!(
        claims["oid"].as_str().unwrap().parse::<Uuid>().is_ok(),
        "{claims}"
    );
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3599
    );
    let now = chrono::Utc::now().timestamp();
    assert!(
        (claims["iat"].as_i64().unwrap() - now).abs() < 60,
        "{claims}"
    );

    // client_secret_basic, and Graph named by its application id.
    let basic = STANDARD.encode(format!("{client_id}:{secret}"));
    let response = app
        .client
        .post(token_url(&app, &tenant.to_string()))
        .header("authorization", format!("Basic {basic}"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "00000003-0000-0000-c000-000000000000/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Json = response.json().await.unwrap();
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "00000003-0000-0000-c000-000000000000");
}

/// Form fields to replace (`Some`) or leave out (`None`).
type FormChanges<'a> = &'a [(&'static str, Option<&'a str>)];

#[tokio::test]
async fn every_wrong_request_gets_entras_error() {
    let app = spawn_app().await;
    let (tenant, other_tenant) = (Uuid::new_v4(), Uuid::new_v4());
    let credentials = app_add(&app.database_url, tenant, &[WRITE]).await;
    let foreign = app_add(&app.database_url, other_tenant, &[WRITE]).await;
    let client_id = credentials["clientId"].as_str().unwrap().to_owned();
    let secret = credentials["clientSecret"].as_str().unwrap().to_owned();
    let tenant = tenant.to_string();
    let form = |changes: FormChanges| {
        let mut form = credentials_form(&credentials, &secret, GRAPH_SCOPE);
        for (name, value) in changes {
            form.retain(|(field, _)| field != name);
            if let Some(value) = value {
                form.push((name, value.to_string()));
            }
        }
        form
    };

    // The wrong secret, with the caller's correlation id echoed.
    let response = app
        .client
        .post(token_url(&app, &tenant))
        .header("client-request-id", "5fc87507-4086-4e77-b415-cee677eb232e")
        .form(&form(&[("client_secret", Some("not-the-secret"))]))
        .send()
        .await
        .unwrap();
    let body = entra_error(
        response,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
    )
    .await;
    assert_eq!(
        body["correlation_id"],
        "5fc87507-4086-4e77-b415-cee677eb232e"
    );
    assert!(
        body["error_description"].as_str().unwrap().contains(&format!(
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
        )),
        "{body}"
    );

    let foreign_id = foreign["clientId"].as_str().unwrap();
    let cases: [(FormChanges, StatusCode, &str, u32); 11] = [
        (
            &[("client_secret", None)],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
        (
            &[("client_id", Some("6731de76-14a6-49ae-97bc-6eba6914391e"))],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            &[("client_id", Some("not-a-guid"))],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        // An app of another tenant at this tenant's endpoint.
        (
            &[("client_id", Some(foreign_id))],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            &[("client_id", None)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
        (
            &[("grant_type", None)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
        (
            &[("grant_type", Some("password"))],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
        ),
        (
            &[("scope", None)],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
        ),
        (
            &[(
                "scope",
                Some("https://graph.microsoft.com/.default offline_access"),
            )],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
        ),
        (
            &[("scope", Some("User.Read"))],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (
            &[("scope", Some("https://management.azure.com/.default"))],
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
        ),
    ];
    for (changes, status, error, code) in cases {
        let response = request_token(&app, &tenant, &form(changes)).await;
        assert_eq!(response.status(), status, "{changes:?}");
        entra_error(response, status, error, code).await;
    }

    // A body that is not a form has no grant_type.
    let response = app
        .client
        .post(token_url(&app, &tenant))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    entra_error(response, StatusCode::BAD_REQUEST, "invalid_request", 900144).await;

    // A removed app is unknown; once a tenant's last app is gone, so is the tenant.
    app_add(&app.database_url, tenant.parse().unwrap(), &[READ]).await;
    let removed = app_command(&app.database_url, &["remove", &client_id]).await;
    assert!(removed.succeeded(), "{}", removed.stderr);
    let response = request_token(&app, &tenant, &form(&[])).await;
    entra_error(
        response,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
    )
    .await;
}

#[tokio::test]
async fn auth_jwt_with_no_other_setting_accepts_the_tokens_on_every_instance() {
    let database_url = fresh_database().await;
    // Two instances on one database, neither with a key yet: the first tokens race for it.
    let first = spawn_app_with(&database_url, &["--auth", "jwt"]).await;
    let second = spawn_app_with(&database_url, &["--auth", "jwt"]).await;
    let tenant = Uuid::new_v4();
    let writer = app_add(&database_url, tenant, &[WRITE]).await;
    let reader = app_add(&database_url, tenant, &[READ]).await;
    let requests = (0..8).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        let credentials = if i % 4 < 2 { &writer } else { &reader };
        token_for(app, credentials)
    });
    let tokens = futures_util::future::join_all(requests).await;
    let kids: std::collections::HashSet<_> = tokens
        .iter()
        .map(|token| decode_header(token).unwrap().kid.unwrap())
        .collect();
    assert_eq!(
        kids.len(),
        1,
        "one signing key for every instance: {kids:?}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM token_signing_key")
        .fetch_one(&first.db().await)
        .await
        .unwrap();
    assert_eq!(stored, 1);

    // Each instance accepts the other's tokens, with the permissions of their roles.
    let (write_token, read_token) = (&tokens[0], &tokens[2]);
    for (app, other) in [(&first, &second), (&second, &first)] {
        let created = app
            .client
            .post(app.collection_url("v1.0"))
            .bearer_auth(write_token)
            .json(&json!({"serialNumber": format!("TOKEN-{}", app.address.port())}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let listed = other
            .client
            .get(other.collection_url("v1.0"))
            .bearer_auth(read_token)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.status(), StatusCode::OK);
        let refused = other
            .client
            .post(other.collection_url("v1.0"))
            .bearer_auth(read_token)
            .json(&json!({"serialNumber": "NOT-ALLOWED"}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let listed: Json = first
        .client
        .get(first.url(&format!("v1.0/{COLLECTION}?$count=true")))
        .bearer_auth(read_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["@odata.count"], 2, "{listed}");

    // A token whose claims were changed is refused.
    let mut parts: Vec<String> = write_token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(write_token);
    claims["tid"] = json!(Uuid::new_v4().to_string());
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = first
        .client
        .get(first.collection_url("v1.0"))
        .bearer_auth(parts.join("."))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

/// Issue 23: client secrets could be guessed without limit (514 a second). After
/// SECRET_FAILURE_LIMIT wrong ones in a window the client is locked out, even with the right
/// secret, with Entra's AADSTS50053 and `Retry-After`; the count is in PostgreSQL, so a second
/// instance on the database refuses too.
#[tokio::test]
async fn wrong_client_secrets_lock_the_client_out_on_every_instance() {
    let database = fresh_database().await;
    let (app, other) = (spawn_app_on(&database).await, spawn_app_on(&database).await);
    wrong_secrets_lock_out_on_both(&app, &other, &database).await;
}

/// An app registered in a new tenant of `database`: wrong secrets spread over both instances
/// count as one, and past the limit even the right secret is refused on both with Retry-After.
/// The Citus suite runs it on the cluster too.
pub async fn wrong_secrets_lock_out_on_both(app: &TestApp, other: &TestApp, database: &str) {
    let tenant = Uuid::new_v4();
    let credentials = app_add(database, tenant, &[WRITE]).await;
    let secret = credentials["clientSecret"].as_str().unwrap();
    let tenant = tenant.to_string();
    let wrong = credentials_form(&credentials, "not-the-secret", GRAPH_SCOPE);
    for attempt in 0..SECRET_FAILURE_LIMIT {
        // Spread over both instances: they share one count.
        let instance = [app, other][attempt as usize % 2];
        let response = request_token(instance, &tenant, &wrong).await;
        entra_error(
            response,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        )
        .await;
    }
    for instance in [app, other] {
        let right = credentials_form(&credentials, secret, GRAPH_SCOPE);
        let response = request_token(instance, &tenant, &right).await;
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (1..=SECRET_FAILURE_WINDOW.as_secs()).contains(&retry_after),
            "{retry_after}"
        );
        entra_error(response, StatusCode::BAD_REQUEST, "invalid_grant", 50053).await;
    }
}

/// Issue 23: the token endpoint read the whole body before checking the tenant, so a body sent a
/// byte at a time held a connection for as long as the sender liked.
#[tokio::test]
async fn a_token_request_is_answered_without_waiting_for_a_slow_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    let tenant = Uuid::new_v4();
    app_add(&app.database_url, tenant, &[WRITE]).await;
    // (tenant, the status a body that never comes gets, the longest it may take)
    for (tenant, status, within) in [
        (Uuid::new_v4().to_string(), 400, Duration::from_secs(2)),
        (
            tenant.to_string(),
            408,
            TOKEN_BODY_DEADLINE + Duration::from_secs(2),
        ),
    ] {
        let started = std::time::Instant::now();
        let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
        let head = format!(
            "POST /{tenant}/oauth2/v2.0/token HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ng",
            app.address
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        let dripping = async {
            // A byte a second, for longer than the deadline, until the service answers.
            loop {
                tokio::select! {
                    read = stream.read(&mut buffer) => {
                        let read = read.unwrap();
                        answer.extend_from_slice(&buffer[..read]);
                        if read == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                            return;
                        }
                    }
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        if stream.write_all(b"a").await.is_err() {
                            return;
                        }
                    }
                }
            }
        };
        tokio::time::timeout(within, dripping)
            .await
            .unwrap_or_else(|_| panic!("no answer within {within:?} for tenant {tenant}"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{tenant}: {answer}"
        );
        assert!(started.elapsed() <= within);
    }
}

#[tokio::test]
async fn a_token_body_announced_too_large_is_refused_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    let tenant = Uuid::new_v4();
    app_add(&app.database_url, tenant, &[WRITE]).await;
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    // The head alone: the service must answer without waiting for a megabyte that never comes.
    let head = format!(
        "POST /{tenant}/oauth2/v2.0/token HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n",
        app.address
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut answer))
        .await
        .expect("an answer before the body deadline")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("invalid_request"), "{answer}");
}
