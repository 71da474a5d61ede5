//! HTTPS: `--tls-cert`/`--tls-key` with a certificate of one's own, and `--tls-self-signed` with a
//! local CA made once in the data directory; links the service writes are `https` when it serves
//! TLS.

use std::net::SocketAddr;
use std::process::Stdio;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::child::{start_service, terminate, wait_for};
use crate::helpers::{COLLECTION, READY_WITHIN, TempDir, fresh_database, http_client_builder};
use crate::helpers::{TestApp, serve_args, spawn_app_with};

/// A client that trusts only the CA certificate `ca_pem` and reaches every name in `names` at
/// `address` (as a hosts-file entry would).
pub fn client_trusting(ca_pem: &[u8], names: &[&str], address: SocketAddr) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).expect("a PEM certificate");
    names
        .iter()
        .fold(http_client_builder(), |builder, name| {
            builder.resolve(name, address)
        })
        .tls_certs_only([ca])
        .build()
        .unwrap()
}

/// A CA and a certificate it signs for 127.0.0.1, as PEM: (CA certificate, server chain, server key).
fn certificate_of_ones_own() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &Issuer::new(ca_params, &ca_key))
        .unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

/// Creates two devices and checks that the 201's `Location` and `@odata.context`, and a page's
/// `@odata.nextLink`, are https URLs on `base`.
async fn links_are_https(client: &reqwest::Client, base: &str) {
    assert!(base.starts_with("https://"), "{base}");
    let collection = format!("{base}/v1.0/{COLLECTION}");
    for serial in ["TLS-1", "TLS-2"] {
        let created = client
            .post(&collection)
            .json(&json!({"serialNumber": serial}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&collection), "{location}");
        let body: Json = created.json().await.unwrap();
        let context = body["@odata.context"].as_str().unwrap();
        assert!(
            context.starts_with(&format!("{base}/v1.0/$metadata#")),
            "{context}"
        );
    }
    let page: Json = client
        .get(format!("{collection}?$top=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let next = page["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!("{collection}?")), "{next}");
}

#[tokio::test]
async fn a_certificate_of_ones_own_serves_https_with_https_links() {
    let (ca, chain, key) = certificate_of_ones_own();
    let dir = TempDir::new("tls-own");
    let cert_file = dir.file("server.pem", chain.as_bytes());
    let key_file = dir.file("server-key.pem", key.as_bytes());
    let app = spawn_app_with(
        &fresh_database().await,
        &[
            "--tls-cert",
            cert_file.to_str().unwrap(),
            "--tls-key",
            key_file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(app.base, format!("https://{}", app.address));
    let client = client_trusting(ca.as_bytes(), &[], app.address);
    links_are_https(&client, &app.base).await;

    // Plain HTTP to the HTTPS port gets no answer.
    let plain = app
        .client
        .get(format!("http://{}/healthz", app.address))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
}

#[tokio::test]
async fn unusable_certificate_files_stop_the_start_naming_the_file() {
    let (_, chain, _) = certificate_of_ones_own();
    let (_, _, other_key) = certificate_of_ones_own();
    let dir = TempDir::new("tls-bad");
    let cert_file = dir.file("server.pem", chain.as_bytes());
    let key_file = dir.file("other-key.pem", other_key.as_bytes());
    let empty = dir.file("empty.pem", b"");
    let missing = dir.0.join("missing.pem");
    let database_url = fresh_database().await;
    for (cert, key, named) in [
        (&missing, &key_file, &missing),
        (&empty, &key_file, &empty),
        (&cert_file, &empty, &empty),
        (&cert_file, &key_file, &key_file),
    ] {
        let args = serve_args(
            &database_url,
            &[
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ],
        );
        let refused = autopilot_registry::Application::build(&args).await;
        let message = refused.err().expect("refused").to_string();
        assert!(
            message.contains(named.to_str().unwrap()),
            "{cert:?} {key:?}: {message}"
        );
    }
}

#[test]
fn tls_flags_come_in_pairs_and_names_need_the_local_ca() {
    use autopilot_registry::config::Cli;
    let parse = |args: &[&str]| {
        Cli::parse_with_default(
            std::iter::once("autopilot-registry")
                .chain(args.iter().copied())
                .map(Into::into),
        )
    };
    assert!(parse(&["serve", "--tls-cert", "c.pem"]).is_err());
    assert!(parse(&["serve", "--tls-key", "k.pem"]).is_err());
    assert!(parse(&["serve", "--tls-name", "graph.microsoft.com"]).is_err());
    assert!(
        parse(&[
            "serve",
            "--tls-self-signed",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem"
        ])
        .is_err()
    );
    assert!(
        parse(&[
            "serve",
            "--tls-self-signed",
            "--tls-name",
            "a.example,b.example"
        ])
        .is_ok()
    );
}

async fn self_signed(database_url: &str, data_dir: &TempDir, names: &[&str]) -> TestApp {
    let mut options = vec![
        "--tls-self-signed",
        "--data-dir",
        data_dir.0.to_str().unwrap(),
    ];
    for name in names {
        options.extend(["--tls-name", name]);
    }
    spawn_app_with(database_url, &options).await
}

fn read(data_dir: &TempDir, file: &str) -> Vec<u8> {
    std::fs::read(data_dir.0.join("tls").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[tokio::test]
async fn the_local_ca_is_made_once_and_its_certificate_covers_local_names_and_tls_names() {
    let data_dir = TempDir::new("tls-self-signed");
    let database_url = fresh_database().await;
    let app = self_signed(&database_url, &data_dir, &["graph.microsoft.com"]).await;
    let ca = read(&data_dir, "ca.pem");
    let client = client_trusting(&ca, &["localhost", "graph.microsoft.com"], app.address);
    let port = app.address.port();
    for host in ["127.0.0.1", "localhost", "graph.microsoft.com"] {
        let health = client
            .get(format!("https://{host}:{port}/healthz"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        assert_eq!(health.status(), StatusCode::OK, "{host}");
    }
    // The hosts-file redirect: links follow the name the client used.
    links_are_https(&client, &format!("https://graph.microsoft.com:{port}")).await;
    let key_mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data_dir.0.join("tls/ca-key.pem"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(key_mode & 0o077, 0, "the CA key is private: {key_mode:o}");
    let server_certificate = read(&data_dir, "server.pem");
    app.stop().await;

    // The same names again: the same CA and the same server certificate.
    let app = self_signed(&database_url, &data_dir, &["GRAPH.microsoft.com"]).await;
    assert_eq!(read(&data_dir, "ca.pem"), ca);
    assert_eq!(read(&data_dir, "server.pem"), server_certificate);
    app.stop().await;

    // Another name: a new server certificate from the same CA, which clients already trust.
    let app = self_signed(&database_url, &data_dir, &["login.microsoftonline.com"]).await;
    assert_eq!(read(&data_dir, "ca.pem"), ca);
    assert_ne!(read(&data_dir, "server.pem"), server_certificate);
    let client = client_trusting(&ca, &["login.microsoftonline.com"], app.address);
    let health = client
        .get(format!(
            "https://login.microsoftonline.com:{}/healthz",
            app.address.port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_binary_says_https_in_its_listening_line() {
    let data_dir = TempDir::new("tls-binary");
    let database_url = fresh_database().await;
    let data = data_dir.0.to_str().unwrap().to_owned();
    let (mut service, base) = tokio::task::spawn_blocking(move || {
        start_service(
            &database_url,
            &["--tls-self-signed", "--data-dir", &data],
            Stdio::null(),
        )
    })
    .await
    .unwrap();
    let address: SocketAddr = base
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not https: {base}"))
        .parse()
        .unwrap();
    let client = client_trusting(&read(&data_dir, "ca.pem"), &[], address);
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    terminate(&service);
    let deadline = std::time::Instant::now() + READY_WITHIN;
    let status = tokio::task::spawn_blocking(move || wait_for(&mut service, deadline))
        .await
        .unwrap()
        .unwrap();
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
}
