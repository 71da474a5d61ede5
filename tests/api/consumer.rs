//! The consumer-facing testcontainers module, used as its documentation shows: PostgreSQL and the
//! registry image on a shared network, and a device created over HTTP.
//!
//! Needs the registry image: scripts/compose-smoke builds `autopilot-registry:smoke`, and
//! `AUTOPILOT_REGISTRY_IMAGE` names it. Ignored under plain `cargo test`; scripts/test builds the
//! image and runs it. Run without the variable, it fails.

use autopilot_registry::testcontainers::AutopilotRegistry;
use reqwest::StatusCode;
use serde_json::json;
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::ImageExt;
use testcontainers_modules::testcontainers::runners::AsyncRunner;
use uuid::Uuid;

use crate::child::required_env;
use crate::helpers::{COLLECTION, http_client, postgres_image};

#[tokio::test]
#[ignore = "end-to-end: needs AUTOPILOT_REGISTRY_IMAGE, built by scripts/compose-smoke (scripts/test runs it)"]
async fn the_testcontainers_module_starts_a_registry_next_to_postgres() {
    let image = required_env(
        "AUTOPILOT_REGISTRY_IMAGE",
        "scripts/compose-smoke && export AUTOPILOT_REGISTRY_IMAGE=autopilot-registry:smoke",
    );
    let (name, tag) = image.rsplit_once(':').unwrap_or((&image, "latest"));
    let network = format!("graph-{}", Uuid::new_v4().simple());
    let database_host = format!("db-{}", Uuid::new_v4().simple());
    let (pg_name, pg_tag) = postgres_image();

    let _postgres = Postgres::default()
        .with_name(pg_name)
        .with_tag(pg_tag)
        .with_network(&network)
        .with_container_name(&database_host)
        .start()
        .await
        .expect("PostgreSQL starts");
    let registry = AutopilotRegistry::new(format!(
        "postgres://postgres:postgres@{database_host}:5432/postgres"
    ))
    .with_image(name, tag)
    .with_network(&network)
    .start()
    .await
    .expect("the registry starts");
    let port = registry
        .get_host_port_ipv4(AutopilotRegistry::PORT)
        .await
        .unwrap();

    let client = http_client();
    let collection = format!("http://127.0.0.1:{port}/v1.0/{COLLECTION}");
    let created = client
        .post(&collection)
        .json(&json!({"serialNumber": "CONSUMER-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let listed: serde_json::Value = client
        .get(&collection)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["value"][0]["serialNumber"], "CONSUMER-1");
}
