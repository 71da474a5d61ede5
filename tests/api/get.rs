use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::helpers::{COLLECTION, error_of, fresh_database, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_device_is_read_back_under_both_roots() {
    let app = spawn_app().await;
    let created = app
        .create_ok(
            "beta",
            &json!({"serialNumber": "SN-GET", "deviceFriendlyName": "F"}),
        )
        .await;
    let id = created["id"].as_str().unwrap();

    let response = app.get(&format!("beta/{COLLECTION}/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json;odata.metadata=minimal")
    );
    assert!(response.headers().contains_key("request-id"));
    let beta: Json = response.json().await.unwrap();
    assert_eq!(beta, created);

    let v1: Json = app
        .get(&format!("v1.0/{COLLECTION}/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v1["id"], id);
    assert!(
        v1["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/v1.0/$metadata#")
    );
    assert!(v1.get("deviceFriendlyName").is_none());
}

#[tokio::test]
async fn graphs_path_variants_reach_the_same_device() {
    let app = spawn_app().await;
    let created = app
        .create_ok("v1.0", &json!({"serialNumber": "SN-PATHS"}))
        .await;
    let id = created["id"].as_str().unwrap();
    for path in [
        format!("v1.0/{COLLECTION}('{id}')"),
        format!("v1.0/{COLLECTION}({id})"),
        format!("V1.0/DeviceManagement/WindowsAutopilotDeviceIdentities/{id}"),
        format!("v1.0/{COLLECTION}/{id}/"),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Json = response.json().await.unwrap();
        assert_eq!(body["id"], id, "{path}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = spawn_app().await;
    for id in [
        "9b2f8a0e-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
        "not-a-guid",
        "%27%3B%20DROP%20TABLE%20x",
    ] {
        let response = app.get(&format!("v1.0/{COLLECTION}/{id}")).await;
        let body = error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("does not exist")
        );
    }
}

#[tokio::test]
async fn links_use_the_forwarded_host_or_the_configured_public_url() {
    // Forwarded headers count only when the service is told it sits behind a proxy that sets them.
    let app = spawn_app_with(&fresh_database().await, &["--trust-forwarded"]).await;
    let response = app
        .client
        .post(app.collection_url("v1.0"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "graph.example.net")
        .json(&json!({"serialNumber": "SN-FWD"}))
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(
            "https://graph.example.net/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/"
        ),
        "{location}"
    );
    let body: Json = response.json().await.unwrap();
    assert_eq!(
        body["@odata.context"],
        "https://graph.example.net/v1.0/$metadata#deviceManagement/windowsAutopilotDeviceIdentities/$entity"
    );

    let forged = app
        .client
        .post(app.collection_url("v1.0"))
        .header("forwarded", r#"host="a b\"c""#)
        .json(&json!({"serialNumber": "SN-FORGED"}))
        .send()
        .await
        .unwrap();
    error_of(forged, reqwest::StatusCode::BAD_REQUEST, "BadRequest").await;

    let configured = spawn_app_with(
        &fresh_database().await,
        &["--public-url", "https://staging.example.org/graph/"],
    )
    .await;
    let body = configured
        .create_ok("beta", &json!({"serialNumber": "SN-PUB"}))
        .await;
    assert_eq!(
        body["@odata.context"],
        "https://staging.example.org/graph/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities/$entity"
    );
}

/// Reads are grouped into one statement when they arrive together, so a group may ask for one id
/// several times, beside other ids and ids that do not exist: each request still gets its own
/// answer.
#[tokio::test]
async fn concurrent_reads_of_the_same_and_other_ids_each_get_their_answer() {
    let app = spawn_app().await;
    let mut devices = Vec::new();
    for n in 0..3 {
        devices.push(
            app.create_ok("v1.0", &json!({"serialNumber": format!("SN-SAME-{n}")}))
                .await,
        );
    }
    let missing = json!({"id": "00000000-0000-0000-0000-0000000000ff"});
    let wanted: Vec<&Json> = (0..60)
        .map(|i| match i % 5 {
            0..=2 => &devices[0],
            3 => &devices[1 + i % 2],
            _ => &missing,
        })
        .collect();
    let answers = futures_util::future::join_all(wanted.iter().map(|device| {
        let id = device["id"].as_str().unwrap().to_owned();
        let app = &app;
        async move {
            let response = app.get(&format!("v1.0/{COLLECTION}/{id}")).await;
            (response.status(), response.json::<Json>().await.unwrap())
        }
    }))
    .await;
    for (device, (status, body)) in wanted.iter().zip(answers) {
        if std::ptr::eq(*device, &missing) {
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["serialNumber"], device["serialNumber"], "{body}");
        }
    }
}
