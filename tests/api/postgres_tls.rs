//! PostgreSQL over TLS, as managed servers require: a PostgreSQL with `ssl = on` that refuses
//! every connection without TLS, reached through `sslmode=require` and `verify-full`; and one
//! whose certificate rustls cannot read (X.509 v1, as Citus makes), reached as libpq would under
//! `sslmode=prefer` and refused, said plainly and at once, under `require`.

use std::process::Command;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use sqlx::{Connection, Executor, PgConnection};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::CopyTargetOptions;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};
use uuid::Uuid;

use crate::child::{Run, run_with_timeout};
use crate::helpers::{TempDir, postgres_image, spawn_app_on};

/// Run by the image's entrypoint after initdb, as the server's account: the certificate into the
/// data directory (the key readable by the server alone) and TLS on.
const ENABLE_TLS: &str = r#"
cp /tls/server.crt "$PGDATA/server.crt"
cp /tls/server.key "$PGDATA/server.key"
chmod 600 "$PGDATA/server.key"
echo "ssl = on" >> "$PGDATA/postgresql.conf"
"#;
/// Appended to [`ENABLE_TLS`]: every TCP connection of the `host all all all` line made to need
/// TLS (`hostssl`).
const REQUIRE_TLS: &str = r#"
sed -i 's/^host all all all/hostssl all all all/' "$PGDATA/pg_hba.conf"
"#;
/// How long `migrate` may take to connect, or to say why it cannot.
const MIGRATE_WITHIN: Duration = Duration::from_secs(60);

/// A CA certificate (PEM) and a server certificate it signs for `localhost` and `127.0.0.1` with
/// its key.
fn server_certificate() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &Issuer::new(ca_params, &ca_key))
        .unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

/// A PostgreSQL of its own with TLS required; its base URL (no database, no parameters).
async fn postgres_with_tls(certificate: &str, key: &str) -> (ContainerAsync<Postgres>, String) {
    postgres_offering_tls(certificate, key, &format!("{ENABLE_TLS}{REQUIRE_TLS}")).await
}

/// A PostgreSQL of its own set up by `script` (after initdb) with this certificate; its base URL.
async fn postgres_offering_tls(
    certificate: &str,
    key: &str,
    script: &str,
) -> (ContainerAsync<Postgres>, String) {
    let (name, tag) = postgres_image();
    let container = Postgres::default()
        .with_name(name)
        .with_tag(tag)
        .with_copy_to(
            CopyTargetOptions::new("/tls/server.crt"),
            certificate.as_bytes().to_vec(),
        )
        .with_copy_to(
            CopyTargetOptions::new("/tls/server.key"),
            key.as_bytes().to_vec(),
        )
        .with_copy_to(
            CopyTargetOptions::new("/docker-entrypoint-initdb.d/enable-tls.sh"),
            script.as_bytes().to_vec(),
        )
        .start()
        .await
        .expect("PostgreSQL with TLS starts");
    let port = container.get_host_port_ipv4(5432).await.unwrap();
    (
        container,
        format!("postgres://postgres:postgres@127.0.0.1:{port}"),
    )
}

#[tokio::test]
async fn the_service_runs_on_a_postgresql_that_requires_tls() {
    let (ca, certificate, key) = server_certificate();
    let (_container, server) = postgres_with_tls(&certificate, &key).await;

    // Without TLS the server refuses; with it, it answers.
    let plain = PgConnection::connect(&format!("{server}/postgres?sslmode=disable")).await;
    let refusal = plain
        .expect_err("a connection without TLS is refused")
        .to_string();
    assert!(
        refusal.contains("no encryption") || refusal.contains("pg_hba"),
        "{refusal}"
    );
    let mut admin = PgConnection::connect(&format!("{server}/postgres?sslmode=require"))
        .await
        .expect("TLS with sslmode=require");
    let database = format!("tls_{}", Uuid::new_v4().simple());
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            r#"CREATE DATABASE "{database}""#
        )))
        .await
        .unwrap();

    let dir = TempDir::new("postgres-tls");
    let root = dir.file("ca.pem", ca.as_bytes());
    let root = root.to_str().unwrap();
    for parameters in [
        "sslmode=require".to_owned(),
        format!("sslmode=verify-full&sslrootcert={root}"),
    ] {
        let app = spawn_app_on(&format!("{server}/{database}?{parameters}")).await;
        app.create_ok("v1.0", &serde_json::json!({"serialNumber": parameters}))
            .await;
        // Every connection the service holds to its database is encrypted.
        let (connections, encrypted): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl) \
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
             WHERE a.datname = $1 AND a.pid <> pg_backend_pid()",
        )
        .bind(&database)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        assert!(
            connections > 0 && encrypted == connections,
            "{parameters}: {encrypted} of {connections} encrypted"
        );
        app.stop().await;
    }

    // verify-full checks the server's certificate against the root given.
    let (other_ca, _, _) = server_certificate();
    let other_root = dir.file("other-ca.pem", other_ca.as_bytes());
    let url = format!(
        "{server}/{database}?sslmode=verify-full&sslrootcert={}",
        other_root.to_str().unwrap()
    );
    let store = autopilot_registry::store::Store::connect_lazy(&url, 3).unwrap();
    let untrusted = store.migrate().await;
    assert!(
        untrusted.is_err(),
        "a certificate from an unknown CA was accepted"
    );
}

/// A self-signed X.509 v1 certificate for `localhost` and its key (PEM): what `openssl x509 -req`
/// makes without extensions, and Citus's `CREATE EXTENSION` when it turns TLS on.
fn v1_certificate(dir: &TempDir) -> (String, String) {
    let (key, request, certificate) = (
        dir.0.join("v1.key"),
        dir.0.join("v1.csr"),
        dir.0.join("v1.crt"),
    );
    let openssl = |args: &[&std::ffi::OsStr]| {
        let output = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(output.status.success(), "openssl {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    openssl(&[
        "req".as_ref(),
        "-new".as_ref(),
        "-newkey".as_ref(),
        "rsa:2048".as_ref(),
        "-nodes".as_ref(),
        "-subj".as_ref(),
        "/CN=localhost".as_ref(),
        "-keyout".as_ref(),
        key.as_os_str(),
        "-out".as_ref(),
        request.as_os_str(),
    ]);
    openssl(&[
        "x509".as_ref(),
        "-req".as_ref(),
        "-days".as_ref(),
        "2".as_ref(),
        "-in".as_ref(),
        request.as_os_str(),
        "-signkey".as_ref(),
        key.as_os_str(),
        "-out".as_ref(),
        certificate.as_os_str(),
    ]);
    let text = openssl(&[
        "x509".as_ref(),
        "-noout".as_ref(),
        "-text".as_ref(),
        "-in".as_ref(),
        certificate.as_os_str(),
    ]);
    assert!(text.contains("Version: 1 (0x0)"), "not X.509 v1:\n{text}");
    (
        std::fs::read_to_string(certificate).unwrap(),
        std::fs::read_to_string(key).unwrap(),
    )
}

/// `autopilot-registry migrate --database-url URL`, to its end or [`MIGRATE_WITHIN`].
pub async fn migrate(database_url: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autopilot-registry"));
    command
        .args(["migrate", "--database-url", database_url])
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || run_with_timeout(command, MIGRATE_WITHIN))
        .await
        .unwrap()
        .expect("migrate runs")
}

/// Under `sslmode=require` (or `verify-*`), a server certificate rustls cannot read ends `migrate`
/// at once with the cause and the `sslmode` that would connect; never a retry loop.
pub fn assert_refused_plainly(run: &Run, mode: &str) {
    assert!(
        run.status.is_some_and(|status| !status.success()),
        "migrate under sslmode={mode} did not fail at once ({}): {}",
        run.outcome(),
        run.stderr
    );
    for said in [
        format!("sslmode={mode}"),
        "X.509 v1".to_owned(),
        "sslmode=prefer".to_owned(),
        "sslmode=disable".to_owned(),
    ] {
        assert!(
            run.stderr.contains(&said),
            "no {said:?} in:\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("retrying in"), "{}", run.stderr);
}

#[tokio::test]
async fn an_x509_v1_certificate_connects_under_prefer_and_is_refused_plainly_under_require() {
    let dir = TempDir::new("postgres-tls-v1");
    let (certificate, key) = v1_certificate(&dir);
    // TLS on, and connections without it allowed, as Citus leaves a node.
    let (_container, server) = postgres_offering_tls(&certificate, &key, ENABLE_TLS).await;
    let mut admin = PgConnection::connect(&format!("{server}/postgres?sslmode=disable"))
        .await
        .unwrap();
    let ssl: String = sqlx::query_scalar("SHOW ssl")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(ssl, "on");
    let database = format!("tls_v1_{}", Uuid::new_v4().simple());
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            r#"CREATE DATABASE "{database}""#
        )))
        .await
        .unwrap();

    let required = migrate(&format!("{server}/{database}?sslmode=require")).await;
    assert_refused_plainly(&required, "require");

    // A plain URL is sslmode=prefer: TLS cannot be set up, so, as libpq, without it.
    let plain = format!("{server}/{database}");
    let preferred = migrate(&plain).await;
    assert!(
        preferred.succeeded(),
        "migrate with a plain URL: {}\n{}",
        preferred.outcome(),
        preferred.stderr
    );
    assert!(
        preferred.stderr.contains("without TLS"),
        "the fallback is not said: {}",
        preferred.stderr
    );
    let app = spawn_app_on(&plain).await;
    app.create_ok("v1.0", &serde_json::json!({"serialNumber": "V1-CERT"}))
        .await;
    app.stop().await;
}
