//! Answers are gzip-compressed when the client accepts gzip, and only then; a `$batch` request's
//! own Accept-Encoding does not compress its answer inside the batch's JSON.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::helpers::{COLLECTION, TestApp, spawn_app};

/// GETs `path` with the given Accept-Encoding (none when `None`): the status, the
/// Content-Encoding and the raw bytes as they came over the wire.
async fn get_raw(
    app: &TestApp,
    path: &str,
    accept_encoding: Option<&str>,
) -> (StatusCode, Option<String>, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    if let Some(accepted) = accept_encoding {
        request = request.header("Accept-Encoding", accepted);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let encoding = response
        .headers()
        .get("content-encoding")
        .map(|value| value.to_str().unwrap().to_owned());
    (
        status,
        encoding,
        response.bytes().await.expect("body").to_vec(),
    )
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("a gzip stream");
    plain
}

#[tokio::test]
async fn answers_are_gzipped_when_the_client_accepts_gzip_and_only_then() {
    let app = spawn_app().await;
    for n in 0..20 {
        app.create_ok(
            "v1.0",
            &json!({"serialNumber": format!("GZIP-{n:03}"), "groupTag": "compressed"}),
        )
        .await;
    }
    let page = format!("v1.0/{COLLECTION}?$orderby=serialNumber");

    let (status, encoding, plain) = get_raw(&app, &page, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding, None, "nothing accepted, nothing compressed");

    let (status, encoding, gzipped) = get_raw(&app, &page, Some("gzip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(
        gzipped.len() * 3 < plain.len(),
        "a page of 20 devices compresses: {} bytes gzipped, {} plain",
        gzipped.len(),
        plain.len()
    );
    let unzipped: Json = serde_json::from_slice(&gunzip(&gzipped)).expect("JSON inside");
    let plain: Json = serde_json::from_slice(&plain).expect("JSON");
    assert_eq!(unzipped, plain);

    // An encoding the service does not have is not forced on the client.
    let (_, encoding, identity) = get_raw(&app, &page, Some("x-unknown")).await;
    assert_eq!(encoding, None);
    assert_eq!(serde_json::from_slice::<Json>(&identity).unwrap(), plain);

    // Errors are compressed the same way, and stay Graph's envelope.
    let (status, encoding, error) = get_raw(
        &app,
        &format!("v1.0/{COLLECTION}/00000000-0000-0000-0000-00000000abcd"),
        Some("gzip"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let error: Json = serde_json::from_slice(&gunzip(&error)).unwrap();
    assert_eq!(error["error"]["code"], "ResourceNotFound", "{error}");
}

#[tokio::test]
async fn a_batch_request_asking_for_gzip_still_gets_its_body_inline_as_json() {
    let app = spawn_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "GZIP-BATCH"}))
        .await;
    let batch = json!({"requests": [{
        "id": "1",
        "method": "GET",
        "url": format!("/{COLLECTION}?$filter=serialNumber eq 'GZIP-BATCH'"),
        "headers": {"Accept-Encoding": "gzip"},
    }]});
    let response = app
        .client
        .post(app.url("v1.0/$batch"))
        .header("Accept-Encoding", "gzip")
        .json(&batch)
        .send()
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-encoding").unwrap(),
        "gzip",
        "the batch's own answer is compressed"
    );
    let answer: Json = serde_json::from_slice(&gunzip(&response.bytes().await.unwrap())).unwrap();
    let inner = &answer["responses"][0];
    assert_eq!(inner["status"], 200, "{answer}");
    assert!(
        inner["headers"].get("Content-Encoding").is_none(),
        "{answer}"
    );
    assert_eq!(
        inner["body"]["value"][0]["serialNumber"], "GZIP-BATCH",
        "{answer}"
    );
}
