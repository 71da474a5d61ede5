//! PostgreSQL over TLS, as managed servers require: a PostgreSQL with `ssl = on` that refuses
//! every connection without TLS, reached through `sslmode=require` and `verify-full`.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use sqlx::{Connection, Executor, PgConnection};
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::CopyTargetOptions;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use testcontainers_modules::testcontainers::{ContainerAsync, ImageExt};
use uuid::Uuid;

use crate::helpers::{TempDir, postgres_image, spawn_app_on};

/// Run by the image's entrypoint after initdb, as the server's account: the certificate into the
/// data directory (the key readable by the server alone), TLS on, and every TCP connection of the
/// `host all all all` line made to need TLS (`hostssl`).
const ENABLE_TLS: &str = r#"
cp /tls/server.crt "$PGDATA/server.crt"
cp /tls/server.key "$PGDATA/server.key"
chmod 600 "$PGDATA/server.key"
echo "ssl = on" >> "$PGDATA/postgresql.conf"
sed -i 's/^host all all all/hostssl all all all/' "$PGDATA/pg_hba.conf"
"#;

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
            ENABLE_TLS.as_bytes().to_vec(),
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
