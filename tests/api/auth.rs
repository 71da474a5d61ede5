//! Bearer tokens: every 401 cause and the 403, JWKS keys and their rotation, tenant isolation, and
//! the safe default.

use actix_web::{App, HttpResponse, HttpServer, web};
use autopilot_registry::Application;
use autopilot_registry::config::AuthMode;
use autopilot_registry::identity::mint_token;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::sync::Mutex;
use std::time::Duration;
use uuid::Uuid;

use crate::helpers::{
    COLLECTION, TestApp, error_of, fresh_database, send, send_as, serve_args, spawn_app_with,
};

/// At least 32 bytes, as `serve` requires of an HS256 secret.
pub const SECRET: &str = "auth-test-secret-of-at-least-32-bytes";
pub const READ: &str = "DeviceManagementServiceConfig.Read.All";
pub const WRITE: &str = "DeviceManagementServiceConfig.ReadWrite.All";
pub const CONFIGURATION_WRITE: &str = "DeviceManagementConfiguration.ReadWrite.All";
pub const RSA_KEY: &str = include_str!("fixtures/keys/rsa-k1.pem");
pub const EC_KEY: &str = include_str!("fixtures/keys/ec-k2.pem");
pub const RSA_JWK: &str = include_str!("fixtures/keys/rsa-k1.jwk.json");
pub const EC_JWK: &str = include_str!("fixtures/keys/ec-k2.jwk.json");

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a valid application token for `tenant` with `roles`.
pub fn claims(tenant: Uuid, roles: &[&str]) -> Json {
    json!({"aud": "https://graph.microsoft.com", "tid": tenant.to_string(), "roles": roles,
           "iat": now(), "nbf": now(), "exp": now() + 3600})
}

pub fn hs256(claims: &Json) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap()
}

pub fn signed(claims: &Json, alg: Algorithm, kid: &str) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(RSA_KEY.as_bytes()).unwrap(),
        _ => EncodingKey::from_ec_pem(EC_KEY.as_bytes()).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

pub fn jwks(keys: &[&str]) -> String {
    let keys: Vec<Json> = keys
        .iter()
        .map(|k| serde_json::from_str(k).unwrap())
        .collect();
    json!({ "keys": keys }).to_string()
}

pub async fn jwt_app(extra: &[&str]) -> TestApp {
    let mut options = vec!["--auth", "jwt", "--jwt-secret", SECRET];
    options.extend(extra);
    spawn_app_with(&fresh_database().await, &options).await
}

pub async fn unauthorized(response: reqwest::Response, needle: &str) {
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body = error_of(
        response,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    )
    .await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{needle:?} not in {message}");
}

#[tokio::test]
async fn every_bad_token_is_a_401_that_says_why() {
    let app = jwt_app(&[]).await;
    let tenant = Uuid::new_v4();
    let list = format!("v1.0/{COLLECTION}");
    let get = |token: Option<String>| {
        let (app, list) = (&app, list.clone());
        async move {
            match token.as_deref() {
                Some(token) => send_as(app, token, reqwest::Method::GET, &list, None).await,
                None => send(app, reqwest::Method::GET, &list, None).await,
            }
        }
    };
    let with = |change: &dyn Fn(&mut Json)| {
        let mut c = claims(tenant, &[READ]);
        change(&mut c);
        Some(hs256(&c))
    };

    unauthorized(get(None).await, "Access token is empty.").await;
    let empty = app
        .client
        .get(app.url(&list))
        .header("authorization", "Bearer ")
        .send()
        .await
        .unwrap();
    unauthorized(empty, "Access token is empty.").await;
    let basic = app
        .client
        .get(app.url(&list))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    unauthorized(basic, "Access token is empty.").await;
    unauthorized(get(Some("not.a.jwt".into())).await, "not a well-formed JWT").await;
    unauthorized(get(Some("garbage".into())).await, "not a well-formed JWT").await;
    unauthorized(
        get(with(&|c| c["exp"] = json!(now() - 3600))).await,
        "expired",
    )
    .await;
    unauthorized(
        get(with(&|c| c["nbf"] = json!(now() + 3600))).await,
        "not yet valid",
    )
    .await;
    unauthorized(
        get(with(&|c| c["aud"] = json!("https://management.azure.com"))).await,
        "Invalid audience",
    )
    .await;
    unauthorized(
        get(with(&|c| {
            c.as_object_mut().unwrap().remove("exp").map(drop).unwrap()
        }))
        .await,
        "expiry",
    )
    .await;
    unauthorized(get(with(&|c| c["tid"] = json!("contoso"))).await, "tid").await;
    let mut forged = hs256(&claims(tenant, &[READ]));
    forged.push('x');
    unauthorized(get(Some(forged)).await, "Invalid signature").await;
    let other_secret = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(tenant, &[READ]),
        &EncodingKey::from_secret(b"another secret").unwrap(),
    )
    .unwrap();
    unauthorized(get(Some(other_secret)).await, "Invalid signature").await;

    // A small clock skew is tolerated; the Graph application id is an accepted audience too.
    let ok = get(with(&|c| c["exp"] = json!(now() - 10))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let ok = get(with(&|c| {
        c["aud"] = json!("00000003-0000-0000-c000-000000000000")
    }))
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn reading_and_writing_need_graphs_permissions_as_roles_or_scopes() {
    let app = jwt_app(&[]).await;
    let tenant = Uuid::new_v4();
    let list = format!("v1.0/{COLLECTION}");
    let body = json!({"serialNumber": "SN-PERM"});
    let reader = hs256(&claims(tenant, &[READ]));

    assert_eq!(
        send_as(&app, &reader, reqwest::Method::GET, &list, None)
            .await
            .status(),
        StatusCode::OK
    );
    let refused = send_as(
        &app,
        &reader,
        reqwest::Method::POST,
        &list,
        Some(body.clone()),
    )
    .await;
    let envelope = error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(WRITE) && message.contains(CONFIGURATION_WRITE),
        "{message}"
    );

    let nobody = hs256(&claims(tenant, &["User.Read.All"]));
    let refused = send_as(&app, &nobody, reqwest::Method::GET, &list, None).await;
    let envelope = error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains(READ)
    );

    for writer in [
        hs256(&claims(tenant, &[WRITE])),
        hs256(&claims(tenant, &[CONFIGURATION_WRITE])),
        // Delegated: space-separated scopes in `scp`.
        hs256(
            &json!({"aud": "https://graph.microsoft.com", "tid": tenant.to_string(),
                      "scp": format!("User.Read {WRITE}"), "exp": now() + 60}),
        ),
    ] {
        let serial = format!("SN-{}", Uuid::new_v4());
        let created = send_as(
            &app,
            &writer,
            reqwest::Method::POST,
            &list,
            Some(json!({"serialNumber": serial})),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        // A writer may read too.
        assert_eq!(
            send_as(&app, &writer, reqwest::Method::GET, &list, None)
                .await
                .status(),
            StatusCode::OK
        );
    }
    let delegated_reader = hs256(
        &json!({"aud": "https://graph.microsoft.com", "tid": tenant.to_string(),
                                         "scp": READ, "exp": now() + 60}),
    );
    let refused = send_as(
        &app,
        &delegated_reader,
        reqwest::Method::DELETE,
        &format!("{list}/{}", Uuid::new_v4()),
        None,
    )
    .await;
    error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
}

#[tokio::test]
async fn a_minted_token_is_accepted() {
    let app = jwt_app(&[]).await;
    let tenant = Uuid::new_v4();
    let token = mint_token(
        SECRET,
        "https://graph.microsoft.com",
        None,
        tenant,
        &[WRITE.to_owned()],
        None,
        Duration::from_secs(60),
    );
    let response = send_as(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("beta/{COLLECTION}"),
        Some(json!({"serialNumber": "SN-MINT"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn one_tenant_never_sees_or_touches_anothers_devices() {
    let app = jwt_app(&[]).await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let token_a = hs256(&claims(a, &[WRITE]));
    let token_b = hs256(&claims(b, &[WRITE]));
    let list = format!("v1.0/{COLLECTION}");
    let mut ids_a = Vec::new();
    for i in 0..3 {
        let created = send_as(
            &app,
            &token_a,
            reqwest::Method::POST,
            &list,
            Some(json!({"serialNumber": format!("SHARED-{i}"), "groupTag": "A"})),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        ids_a.push(
            created.json::<Json>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Serial numbers are unique per tenant: B may register the same ones.
    for i in 0..3 {
        let created = send_as(
            &app,
            &token_b,
            reqwest::Method::POST,
            &list,
            Some(json!({"serialNumber": format!("shared-{i}"), "groupTag": "B"})),
        )
        .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }

    for id in &ids_a {
        for version in ["v1.0", "beta"] {
            let item = format!("{version}/{COLLECTION}/{id}");
            let attempts: Vec<(reqwest::Method, String, Option<Json>)> = vec![
                (reqwest::Method::GET, item.clone(), None),
                (
                    reqwest::Method::PATCH,
                    item.clone(),
                    Some(json!({"groupTag": "stolen"})),
                ),
                (reqwest::Method::DELETE, item.clone(), None),
                (
                    reqwest::Method::POST,
                    format!("{item}/assignUserToDevice"),
                    Some(json!({"userPrincipalName": "x@y.z"})),
                ),
                (
                    reqwest::Method::POST,
                    format!("{item}/unassignUserFromDevice"),
                    None,
                ),
                (
                    reqwest::Method::POST,
                    format!("{item}/updateDeviceProperties"),
                    Some(json!({"groupTag": "stolen"})),
                ),
            ];
            let beta_only: Vec<(reqwest::Method, String, Option<Json>)> = if version == "beta" {
                vec![
                    (
                        reqwest::Method::POST,
                        format!("{item}/allowNextEnrollment"),
                        None,
                    ),
                    (
                        reqwest::Method::POST,
                        format!("{item}/assignResourceAccountToDevice"),
                        Some(json!({"userPrincipalName": "x@y.z"})),
                    ),
                    (
                        reqwest::Method::POST,
                        format!("{item}/unassignResourceAccountFromDevice"),
                        None,
                    ),
                ]
            } else {
                Vec::new()
            };
            for (method, path, body) in attempts.into_iter().chain(beta_only) {
                let response = send_as(&app, &token_b, method.clone(), &path, body).await;
                error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
            }
        }
    }

    // B's lists, counts and every nextLink page hold only B's devices.
    let mut url = app.url(&format!("{list}?$top=1&$count=true"));
    let mut seen = Vec::new();
    loop {
        let page: Json = app
            .client
            .get(&url)
            .bearer_auth(&token_b)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["@odata.count"], 3);
        seen.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["groupTag"].clone()),
        );
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, vec![json!("B"); 3]);
    let count = send_as(
        &app,
        &token_b,
        reqwest::Method::GET,
        &format!("{list}/$count?$filter=groupTag%20eq%20%27A%27"),
        None,
    )
    .await;
    assert_eq!(count.text().await.unwrap(), "0");

    // A's devices are untouched.
    for id in &ids_a {
        let device: Json = send_as(
            &app,
            &token_a,
            reqwest::Method::GET,
            &format!("beta/{COLLECTION}/{id}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(device["groupTag"], "A");
        assert_eq!(device["userlessEnrollmentStatus"], "unknown");
    }
}

/// A service whose JWKS first publishes only k1 (RS256) accepts k1 and refuses k2 (ES256); once
/// `publish_both` adds k2, a token naming it is accepted after the refresh interval.
async fn check_key_rotation(app: &TestApp, publish_both: impl FnOnce()) {
    let tenant = Uuid::new_v4();
    let list = format!("v1.0/{COLLECTION}");
    let status = |token: String| {
        let list = list.clone();
        async move { send_as(app, &token, reqwest::Method::GET, &list, None).await }
    };
    let rsa = || signed(&claims(tenant, &[READ]), Algorithm::RS256, "k1");
    let ec = || signed(&claims(tenant, &[READ]), Algorithm::ES256, "k2");

    assert_eq!(status(rsa()).await.status(), StatusCode::OK);
    unauthorized(status(ec()).await, "signing key 'k2' was not found").await;
    // No HS256 secret is configured.
    unauthorized(
        status(hs256(&claims(tenant, &[READ]))).await,
        "Invalid signature",
    )
    .await;
    // A token that names k1 but is signed by another kind of key fails.
    let impostor = signed(&claims(tenant, &[READ]), Algorithm::ES256, "k1");
    unauthorized(status(impostor).await, "signing key 'k1' was not found").await;

    publish_both();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(status(ec()).await.status(), StatusCode::OK);
    assert_eq!(status(rsa()).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn rs256_and_es256_keys_come_from_a_jwks_file_that_may_rotate() {
    let directory = std::env::temp_dir().join(format!("jwks-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("jwks.json");
    std::fs::write(&path, jwks(&[RSA_JWK])).unwrap();
    let options = ["--auth", "jwt", "--jwks", path.to_str().unwrap()];
    let app = spawn_app_with(&fresh_database().await, &options).await;
    check_key_rotation(&app, || {
        std::fs::write(&path, jwks(&[RSA_JWK, EC_JWK])).unwrap()
    })
    .await;
    std::fs::remove_dir_all(directory).unwrap();
}

#[tokio::test]
async fn keys_also_come_from_a_jwks_url() {
    let published = web::Data::new(Mutex::new(jwks(&[RSA_JWK])));
    let served = published.clone();
    let server = HttpServer::new(move || {
        App::new().app_data(served.clone()).route(
            "/keys",
            web::get().to(|keys: web::Data<Mutex<String>>| async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(keys.lock().unwrap().clone())
            }),
        )
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/keys", server.addrs()[0]);
    tokio::spawn(server.run());

    let app = spawn_app_with(&fresh_database().await, &["--auth", "jwt", "--jwks", &url]).await;
    check_key_rotation(&app, || {
        *published.lock().unwrap() = jwks(&[RSA_JWK, EC_JWK])
    })
    .await;
}

#[tokio::test]
async fn unverified_mode_checks_claims_but_not_signatures() {
    let app = spawn_app_with(&fresh_database().await, &["--auth", "unverified"]).await;
    let tenant = Uuid::new_v4();
    let list = format!("v1.0/{COLLECTION}");
    // Signed by a key this service has never seen, as Entra ID's Graph tokens are.
    let foreign = signed(&claims(tenant, &[READ]), Algorithm::RS256, "entra");
    assert_eq!(
        send_as(&app, &foreign, reqwest::Method::GET, &list, None)
            .await
            .status(),
        StatusCode::OK
    );
    let mut expired = claims(tenant, &[READ]);
    expired["exp"] = json!(now() - 3600);
    unauthorized(
        send_as(
            &app,
            &signed(&expired, Algorithm::RS256, "entra"),
            reqwest::Method::GET,
            &list,
            None,
        )
        .await,
        "expired",
    )
    .await;
    let mut elsewhere = claims(tenant, &[READ]);
    elsewhere["aud"] = json!("api://something-else");
    unauthorized(
        send_as(&app, &hs256(&elsewhere), reqwest::Method::GET, &list, None).await,
        "Invalid audience",
    )
    .await;
}

#[tokio::test]
async fn issuers_are_checked_when_configured() {
    let app = jwt_app(&["--issuers", "https://sts.windows.net/contoso/"]).await;
    let tenant = Uuid::new_v4();
    let list = format!("v1.0/{COLLECTION}");
    let mut good = claims(tenant, &[READ]);
    good["iss"] = json!("https://sts.windows.net/contoso/");
    assert_eq!(
        send_as(&app, &hs256(&good), reqwest::Method::GET, &list, None)
            .await
            .status(),
        StatusCode::OK
    );
    unauthorized(
        send_as(
            &app,
            &hs256(&claims(tenant, &[READ])),
            reqwest::Method::GET,
            &list,
            None,
        )
        .await,
        "Invalid issuer",
    )
    .await;
}

#[tokio::test]
async fn loopback_defaults_to_no_auth_and_remote_anonymous_needs_asking() {
    let database_url = fresh_database().await;
    let local =
        autopilot_registry::startup::auth_settings(&serve_args(&database_url, &[])).unwrap();
    assert_eq!(local.mode, AuthMode::None);

    for bind in ["0.0.0.0:0", "[::]:0"] {
        let refused = Application::build(&serve_args(&database_url, &["--bind", bind])).await;
        let message = refused.err().expect("refused").to_string();
        assert!(
            message.contains("--allow-anonymous-remote") && message.contains("not a loopback"),
            "{message}"
        );
        let refused = autopilot_registry::startup::auth_settings(&serve_args(
            &database_url,
            &["--bind", bind, "--auth", "none"],
        ));
        assert!(refused.is_err());
        let allowed = autopilot_registry::startup::auth_settings(&serve_args(
            &database_url,
            &["--bind", bind, "--allow-anonymous-remote"],
        ));
        assert_eq!(allowed.unwrap().mode, AuthMode::None);
        let protected = autopilot_registry::startup::auth_settings(&serve_args(
            &database_url,
            &["--bind", bind, "--auth", "jwt", "--jwt-secret", SECRET],
        ));
        assert_eq!(protected.unwrap().mode, AuthMode::Jwt);
    }
    // Without a secret or a JWKS, `jwt` trusts the token endpoint's own key alone.
    let keyless =
        autopilot_registry::startup::auth_settings(&serve_args(&database_url, &["--auth", "jwt"]));
    assert_eq!(keyless.unwrap().mode, AuthMode::Jwt);

    // Anonymous on loopback: requests belong to the configured default tenant.
    let tenant = Uuid::new_v4();
    let app = spawn_app_with(&database_url, &["--default-tenant", &tenant.to_string()]).await;
    app.create_ok("v1.0", &json!({"serialNumber": "SN-DEFAULT"}))
        .await;
    let owner: Uuid = sqlx::query_scalar("SELECT tenant_id FROM device_identities")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(owner, tenant);
}
