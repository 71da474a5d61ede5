//! Security hardening, tried as an attacker would: no open door by default (compose, weak secrets,
//! unverified tokens off loopback, keys a mode ignores), bounded JWKS reads, strict Authorization
//! and forwarded headers, lifetimes at the ends of i64, and 401s that say no more than Graph's.
//! Also what held before and must keep holding: `alg: none`, HS256 signed with the RSA public key,
//! and keys or key URLs named by the token itself.

use actix_web::{App, HttpResponse, HttpServer, web};
use autopilot_registry::Application;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value as Json, json};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::auth::{
    EC_JWK, EC_KEY, READ, RSA_JWK, SECRET, WRITE, claims, hs256, jwks, jwt_app, signed,
    unauthorized,
};
use crate::child::{drain, start_service, terminate, wait_for};
use crate::helpers::{
    COLLECTION, TestApp, error_of, fresh_database, http_client, send_as, serve_args, spawn_app_with,
};

/// The longest a request may wait for a JWKS read (the service's FETCH_TIMEOUT), plus slack for
/// a busy test machine.
const JWKS_WAIT_BOUND: Duration = Duration::from_millis(6_500);
/// A little more than the service's interval between two JWKS reads.
const AFTER_RETRY_INTERVAL: Duration = Duration::from_millis(2_200);

fn startup_error(options: &[&str]) -> String {
    autopilot_registry::startup::auth_settings(&serve_args("postgres://unused", options))
        .err()
        .unwrap_or_else(|| panic!("{options:?} must be refused"))
        .to_string()
}

fn starts(options: &[&str]) -> bool {
    autopilot_registry::startup::auth_settings(&serve_args("postgres://unused", options)).is_ok()
}

#[test]
fn compose_has_no_default_secret_and_names_the_variable_when_it_is_unset() {
    let compose = include_str!("../../docker-compose.yml");
    // Every interpolation of the secret outside comments: `${NAME:?message}` makes compose stop
    // with the message when the variable is unset or empty; any other form would start without.
    let uses: Vec<&str> = compose
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .flat_map(|line| line.split("${").skip(1))
        .filter_map(|rest| rest.split_once('}').map(|(inside, _)| inside))
        .filter(|inside| inside.starts_with("AUTOPILOT_JWT_SECRET"))
        .collect();
    assert!(
        !uses.is_empty(),
        "compose does not pass AUTOPILOT_JWT_SECRET"
    );
    for inside in uses {
        let message = inside
            .strip_prefix("AUTOPILOT_JWT_SECRET:?")
            .unwrap_or_else(|| panic!("${{{inside}}} lets compose start without the secret"));
        assert!(
            message.contains("AUTOPILOT_JWT_SECRET"),
            "the message must name the variable: {message}"
        );
    }
    let line = compose
        .lines()
        .find(|line| line.trim_start().starts_with("AUTOPILOT_JWT_SECRET:"))
        .expect("the registry's environment sets AUTOPILOT_JWT_SECRET");
    assert!(line.contains("${AUTOPILOT_JWT_SECRET:?"), "{line}");
}

#[tokio::test]
async fn serve_refuses_a_short_or_documented_hs256_secret() {
    for (secret, needle) in [
        ("change-me", "example"),
        ("a-long-random-secret", "example"),
        ("x", "1 bytes"),
        ("0123456789abcdef0123456789abcde", "31 bytes"),
    ] {
        let message = startup_error(&["--auth", "jwt", "--jwt-secret", secret]);
        assert!(
            message.contains(needle) && message.contains("AUTOPILOT_JWT_SECRET"),
            "{secret}: {message}"
        );
    }
    assert!(starts(&[
        "--auth",
        "jwt",
        "--jwt-secret",
        "0123456789abcdef0123456789abcdef"
    ]));
    // `serve` itself, not only the settings, stops there.
    let refused = Application::build(&serve_args(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", "change-me"],
    ))
    .await;
    assert!(refused.err().unwrap().to_string().contains("example"));

    // `token` would only mint tokens `serve` refuses.
    let minted = tokio::process::Command::new(env!("CARGO_BIN_EXE_autopilot-registry"))
        .args(["token", "--tenant", &Uuid::new_v4().to_string()])
        .env("AUTOPILOT_JWT_SECRET", "change-me")
        .output()
        .await
        .unwrap();
    assert!(!minted.status.success() && minted.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&minted.stderr);
    assert!(stderr.contains("AUTOPILOT_JWT_SECRET"), "{stderr}");
}

#[test]
fn unverified_tokens_off_loopback_need_their_own_opt_in() {
    for bind in ["0.0.0.0:0", "[::]:0"] {
        let message = startup_error(&["--bind", bind, "--auth", "unverified"]);
        assert!(
            message.contains("--allow-unverified-remote") && message.contains("not a loopback"),
            "{message}"
        );
        // Allowing anonymous callers is another decision: it does not allow forged tokens.
        let message = startup_error(&[
            "--bind",
            bind,
            "--auth",
            "unverified",
            "--allow-anonymous-remote",
        ]);
        assert!(message.contains("--allow-unverified-remote"), "{message}");
        assert!(starts(&[
            "--bind",
            bind,
            "--auth",
            "unverified",
            "--allow-unverified-remote"
        ]));
        // Nor the other way round.
        let message = startup_error(&["--bind", bind, "--allow-unverified-remote"]);
        assert!(message.contains("--allow-anonymous-remote"), "{message}");
    }
    assert!(
        starts(&["--auth", "unverified"]),
        "loopback needs no opt-in"
    );
}

#[test]
fn a_secret_or_jwks_the_mode_ignores_stops_the_start() {
    for mode in [&["--auth", "unverified"][..], &["--auth", "none"], &[]] {
        let with_secret = startup_error(&[mode, &["--jwt-secret", SECRET][..]].concat());
        assert!(
            with_secret.contains("AUTOPILOT_JWT_SECRET") && with_secret.contains("--auth jwt"),
            "{mode:?}: {with_secret}"
        );
        let with_jwks = startup_error(&[mode, &["--jwks", "/etc/jwks.json"][..]].concat());
        assert!(
            with_jwks.contains("AUTOPILOT_JWKS") && !with_jwks.contains("AUTOPILOT_JWT_SECRET"),
            "{mode:?}: {with_jwks}"
        );
    }
}

/// A JWKS endpoint whose answer the test changes: the JWKS text, or `None` for a 500. It counts
/// the requests it gets.
struct JwksServer {
    url: String,
    published: web::Data<Mutex<Option<String>>>,
    hits: web::Data<AtomicUsize>,
}

impl JwksServer {
    fn start(published: Option<String>) -> JwksServer {
        let published = web::Data::new(Mutex::new(published));
        let hits = web::Data::new(AtomicUsize::new(0));
        let (served, counted) = (published.clone(), hits.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(served.clone())
                .app_data(counted.clone())
                .default_service(web::to(
                    |keys: web::Data<Mutex<Option<String>>>, hits: web::Data<AtomicUsize>| async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        match keys.lock().unwrap().clone() {
                            Some(body) => HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body),
                            None => HttpResponse::InternalServerError().finish(),
                        }
                    },
                ))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://{}/keys", server.addrs()[0]);
        tokio::spawn(server.run());
        JwksServer {
            url,
            published,
            hits,
        }
    }

    fn publish(&self, keys: Option<String>) {
        *self.published.lock().unwrap() = keys;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_hanging_jwks_endpoint_holds_requests_up_for_the_timeout_at_most() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/keys", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    let app = spawn_app_with(&fresh_database().await, &["--auth", "jwt", "--jwks", &url]).await;
    let token = signed(&claims(Uuid::new_v4(), &[READ]), Algorithm::RS256, "k1");
    let list = format!("v1.0/{COLLECTION}");

    let started = Instant::now();
    let answers = futures_util::future::join_all(
        (0..4).map(|_| send_as(&app, &token, reqwest::Method::GET, &list, None)),
    )
    .await;
    let waited = started.elapsed();
    for answer in answers {
        unauthorized(answer, "signing key 'k1' was not found").await;
    }
    assert!(
        waited < JWKS_WAIT_BOUND,
        "four requests waited {waited:?} for one hanging JWKS read"
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1, "one read for all");

    // The failed read counts: right after it, a request does not start (or wait for) another.
    let started = Instant::now();
    let answer = send_as(&app, &token, reqwest::Method::GET, &list, None).await;
    unauthorized(answer, "signing key 'k1' was not found").await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failing_jwks_is_read_once_per_interval_and_its_outage_logged_once() {
    let server = JwksServer::start(None);
    let database_url = fresh_database().await;
    let options = ["--auth", "jwt", "--jwks", &server.url].map(str::to_owned);
    let (mut service, base) = tokio::task::spawn_blocking(move || {
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        start_service(&database_url, &options, Stdio::piped())
    })
    .await
    .unwrap();
    let stderr = drain(service.stderr.take().unwrap());
    let client = http_client();
    let list = format!("{base}/v1.0/{COLLECTION}");
    let status = |kid: String| {
        let (client, list) = (&client, &list);
        async move {
            let alg = if kid == "k1" {
                Algorithm::RS256
            } else {
                Algorithm::ES256
            };
            let token = signed(&claims(Uuid::new_v4(), &[READ]), alg, &kid);
            client
                .get(list)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };

    // A flood of tokens naming unknown keys: one read, however many tokens.
    for i in 0..10 {
        assert_eq!(status(format!("flood-{i}")).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(server.hits(), 1);
    tokio::time::sleep(AFTER_RETRY_INTERVAL).await;
    for i in 0..10 {
        assert_eq!(status(format!("again-{i}")).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(server.hits(), 2);

    // It recovers, then fails again: a second outage, logged again; the keys read meanwhile
    // keep working through it.
    server.publish(Some(jwks(&[RSA_JWK])));
    tokio::time::sleep(AFTER_RETRY_INTERVAL).await;
    assert_eq!(status("k1".to_owned()).await, StatusCode::OK);
    assert_eq!(server.hits(), 3);
    server.publish(None);
    tokio::time::sleep(AFTER_RETRY_INTERVAL).await;
    assert_eq!(status("rotated".to_owned()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(server.hits(), 4);
    assert_eq!(status("k1".to_owned()).await, StatusCode::OK);

    terminate(&service);
    let ended = tokio::task::spawn_blocking(move || {
        wait_for(&mut service, Instant::now() + Duration::from_secs(30))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(ended.is_some(), "the service did not stop on SIGTERM");
    let log = stderr.join().unwrap();
    let outages = log
        .lines()
        .filter(|line| line.contains("the JWKS cannot be read"))
        .count();
    assert_eq!(outages, 2, "one line per outage:\n{log}");
}

#[tokio::test]
async fn two_authorization_headers_are_a_bad_request() {
    let app = jwt_app(&[]).await;
    let good = format!("Bearer {}", hs256(&claims(Uuid::new_v4(), &[READ])));
    for pair in [
        [good.as_str(), "Bearer forged"],
        ["Bearer forged", good.as_str()],
        [good.as_str(), good.as_str()],
    ] {
        let response = app
            .client
            .get(app.url(&format!("v1.0/{COLLECTION}")))
            .header(AUTHORIZATION, pair[0])
            .header(AUTHORIZATION, pair[1])
            .send()
            .await
            .unwrap();
        let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("more than one Authorization header")
        );
    }
    let one = app
        .client
        .get(app.url(&format!("v1.0/{COLLECTION}")))
        .header(AUTHORIZATION, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), StatusCode::OK);
}

#[tokio::test]
async fn lifetimes_at_the_ends_of_i64_neither_wrap_nor_panic() {
    // The service runs in this (debug) test binary, where an overflow would panic.
    let tenant = Uuid::new_v4();
    let lifetime = |exp: i64, nbf: i64| {
        let mut c = claims(tenant, &[READ]);
        c["exp"] = json!(exp);
        c["nbf"] = json!(nbf);
        c
    };
    let list = format!("v1.0/{COLLECTION}");
    let jwt = jwt_app(&[]).await;
    let unverified = spawn_app_with(&fresh_database().await, &["--auth", "unverified"]).await;
    for app in [&jwt, &unverified] {
        let list = &list;
        let get = |c: Json| async move {
            send_as(app, &hs256(&c), reqwest::Method::GET, list, None).await
        };
        assert_eq!(
            get(lifetime(i64::MAX, i64::MIN)).await.status(),
            StatusCode::OK
        );
        unauthorized(get(lifetime(i64::MIN, i64::MIN)).await, "expired").await;
        unauthorized(get(lifetime(i64::MAX, i64::MAX)).await, "not yet valid").await;
    }
}

/// Creates a device with `headers` and returns its `Location` and `@odata.context`.
async fn links(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.post(app.collection_url("v1.0"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .json(&json!({"serialNumber": format!("SN-{}", Uuid::new_v4())}))
        .send()
        .await
        .unwrap()
}

async fn created_links(response: reqwest::Response) -> (String, String) {
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Json = response.json().await.unwrap();
    (
        location,
        body["@odata.context"].as_str().unwrap().to_owned(),
    )
}

const STEERING: [(&str, &str); 3] = [
    ("x-forwarded-proto", "javascript:alert(1)//"),
    ("x-forwarded-host", "evil.example"),
    ("forwarded", "proto=javascript;host=evil.example"),
];

#[tokio::test]
async fn a_direct_client_cannot_steer_links_with_forwarded_headers() {
    let app = spawn_app_with(&fresh_database().await, &[]).await;
    let own = format!("http://{}/v1.0/", app.address);
    let (location, context) = created_links(links(&app, &STEERING).await).await;
    assert!(
        location.starts_with(&own) && context.starts_with(&own),
        "{location} {context}"
    );
    for header in STEERING {
        let (location, _) = created_links(links(&app, &[header]).await).await;
        assert!(location.starts_with(&own), "{header:?}: {location}");
    }
    // Nor with a Host that carries user info.
    let response = links(&app, &[("host", "graph.microsoft.com@evil.example")]).await;
    error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn trusted_forwarded_headers_name_only_http_or_https() {
    let app = spawn_app_with(&fresh_database().await, &["--trust-forwarded"]).await;
    for header in [
        ("x-forwarded-proto", "javascript:alert(1)//"),
        ("forwarded", "proto=javascript"),
        ("forwarded", "proto=\"data:text/html,x\""),
        ("x-forwarded-proto", "ftp"),
    ] {
        let response = links(&app, &[header]).await;
        let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("http or https"), "{header:?}: {message}");
    }
    let (location, context) = created_links(
        links(
            &app,
            &[
                ("x-forwarded-proto", "HTTPS"),
                ("x-forwarded-host", "graph.example.net"),
            ],
        )
        .await,
    )
    .await;
    for link in [location, context] {
        assert!(
            link.starts_with("https://graph.example.net/v1.0/"),
            "{link}"
        );
    }
    // nextLink too.
    links(&app, &[]).await;
    let page: Json = app
        .client
        .get(format!("{}?$top=1", app.collection_url("v1.0")))
        .header("forwarded", "proto=https;host=graph.example.net")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with("https://graph.example.net/v1.0/"),
        "{next}"
    );
    let refused = app
        .client
        .get(format!("{}?$top=1", app.collection_url("v1.0")))
        .header("x-forwarded-proto", "javascript:alert(1)//")
        .send()
        .await
        .unwrap();
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
}

async fn message_of(response: reqwest::Response) -> String {
    let body = error_of(
        response,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    )
    .await;
    body["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_401_says_what_graph_says_and_nothing_of_the_configuration() {
    let directory = std::env::temp_dir().join(format!("jwks-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("jwks.json");
    std::fs::write(&path, jwks(&[RSA_JWK])).unwrap();
    let jwks_only = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwks", path.to_str().unwrap()],
    )
    .await;
    let secret_only = jwt_app(&[]).await;
    let tenant = Uuid::new_v4();
    let list = format!("v1.0/{COLLECTION}");
    let get = |app: &'static str, token: String| {
        let (list, jwks_only, secret_only) = (&list, &jwks_only, &secret_only);
        async move {
            let app = if app == "jwks" {
                jwks_only
            } else {
                secret_only
            };
            message_of(send_as(app, &token, reqwest::Method::GET, list, None).await).await
        }
    };
    let configuration_words = [
        "secret",
        "JWKS",
        "configured",
        "graph.microsoft.com",
        "00000003",
    ];
    let says_nothing_of_the_configuration = |message: &str| {
        assert!(
            !configuration_words.iter().any(|w| message.contains(w)),
            "{message}"
        );
    };

    let mut elsewhere = claims(tenant, &[READ]);
    elsewhere["aud"] = json!("https://management.azure.com");
    let message = get("secret", hs256(&elsewhere)).await;
    assert_eq!(
        message,
        "Access token validation failure. Invalid audience."
    );

    // Whether an HS256 secret or a JWKS is configured makes no difference to what a caller reads.
    let hs = get("jwks", hs256(&claims(tenant, &[READ]))).await;
    let wrong_secret = get(
        "secret",
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(tenant, &[READ]),
            &EncodingKey::from_secret(b"another secret of at least 32 bytes").unwrap(),
        )
        .unwrap(),
    )
    .await;
    assert_eq!(hs, wrong_secret);
    assert_eq!(hs, "Access token validation failure. Invalid signature.");
    let rsa = signed(&claims(tenant, &[READ]), Algorithm::RS256, "k9");
    assert_eq!(get("jwks", rsa.clone()).await, get("secret", rsa).await);
    for message in [&message, &hs] {
        says_nothing_of_the_configuration(message);
    }

    // A kid is repeated, 64 characters of it at most.
    let long_kid = "k".repeat(10_000);
    let message = get(
        "jwks",
        signed(&claims(tenant, &[READ]), Algorithm::RS256, &long_kid),
    )
    .await;
    assert_eq!(
        message,
        format!(
            "Access token validation failure. The signing key '{}…' was not found.",
            "k".repeat(64)
        )
    );
    says_nothing_of_the_configuration(&message);
    std::fs::remove_dir_all(directory).unwrap();
}

/// `header.payload.signature` with the header as given.
fn with_header(header: &Json, claims: &Json, signature: &str) -> String {
    let part = |value: &Json| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.{signature}", part(header), part(claims))
}

/// A service with both an HS256 secret and a JWKS holding the RSA key k1.
async fn fully_keyed_app(jwks_url: &str) -> TestApp {
    jwt_app(&["--jwks", jwks_url]).await
}

#[tokio::test]
async fn unsigned_tokens_are_refused_however_none_is_spelt() {
    let server = JwksServer::start(Some(jwks(&[RSA_JWK])));
    let app = fully_keyed_app(&server.url).await;
    let list = format!("v1.0/{COLLECTION}");
    let body = claims(Uuid::new_v4(), &[WRITE]);
    for alg in ["none", "None", "NONE", "nOnE"] {
        for signature in ["", "c2lnbmF0dXJl"] {
            for header in [
                json!({"alg": alg, "typ": "JWT"}),
                json!({"alg": alg, "typ": "JWT", "kid": "k1"}),
            ] {
                let token = with_header(&header, &body, signature);
                let response = send_as(&app, &token, reqwest::Method::GET, &list, None).await;
                unauthorized(response, "Access token validation failure.").await;
            }
        }
    }
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    let server = JwksServer::start(Some(jwks(&[RSA_JWK])));
    let public_keys: [&[u8]; 4] = [
        include_bytes!("fixtures/keys/rsa-k1.public.pem"),
        include_bytes!("fixtures/keys/rsa-k1.public-pkcs1.pem"),
        include_bytes!("fixtures/keys/rsa-k1.public.der"),
        include_bytes!("fixtures/keys/rsa-k1.public-pkcs1.der"),
    ];
    let jwks_only = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwks", &server.url],
    )
    .await;
    let both = fully_keyed_app(&server.url).await;
    let list = format!("v1.0/{COLLECTION}");
    let body = claims(Uuid::new_v4(), &[WRITE]);
    // The service really does trust k1 for RS256.
    let genuine = signed(&body, Algorithm::RS256, "k1");
    for app in [&jwks_only, &both] {
        let response = send_as(app, &genuine, reqwest::Method::GET, &list, None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    for public_key in public_keys {
        for kid in [None, Some("k1")] {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = kid.map(str::to_owned);
            let token = jsonwebtoken::encode(
                &header,
                &body,
                &EncodingKey::from_secret(public_key).unwrap(),
            )
            .unwrap();
            for app in [&jwks_only, &both] {
                let response = send_as(app, &token, reqwest::Method::GET, &list, None).await;
                unauthorized(response, "Invalid signature").await;
            }
        }
    }
}

#[tokio::test]
async fn keys_and_key_urls_named_by_the_token_are_never_used() {
    // The attacker's JWKS, with the EC key that signs their token, at a URL they control.
    let attacker = JwksServer::start(Some(jwks(&[EC_JWK])));
    let trusted = JwksServer::start(Some(jwks(&[RSA_JWK])));
    let app = fully_keyed_app(&trusted.url).await;
    let list = format!("v1.0/{COLLECTION}");
    let body = claims(Uuid::new_v4(), &[WRITE]);
    let attacker_jwk: Json = serde_json::from_str(EC_JWK).unwrap();
    let sign = |header: Json| {
        let mut header: Header = serde_json::from_value(header).unwrap();
        header.alg = Algorithm::ES256;
        jsonwebtoken::encode(
            &header,
            &body,
            &EncodingKey::from_ec_pem(EC_KEY.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    for header in [
        json!({"alg": "ES256", "kid": "k2", "jku": attacker.url}),
        json!({"alg": "ES256", "kid": "k2", "x5u": attacker.url}),
        json!({"alg": "ES256", "kid": "k2", "jwk": attacker_jwk}),
        json!({"alg": "ES256", "kid": "k2", "jku": attacker.url, "jwk": attacker_jwk}),
    ] {
        let response = send_as(&app, &sign(header), reqwest::Method::GET, &list, None).await;
        unauthorized(response, "signing key 'k2' was not found").await;
    }
    assert_eq!(attacker.hits(), 0, "the token's jku or x5u was fetched");
    assert!(trusted.hits() >= 1, "the configured JWKS was read");
}
