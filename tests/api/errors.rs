//! Every refusal is a Graph envelope with the right status and code, and changes nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{COLLECTION, DbProxy, error_of, fresh_database, spawn_app, spawn_app_on};

/// Raw bodies that must each be refused with 400 BadRequest, naming `target` when given.
#[tokio::test]
async fn invalid_bodies_are_400_envelopes_that_name_the_problem() {
    let app = spawn_app().await;
    let long = "x".repeat(1025);
    let cases: Vec<(String, Option<&str>, &str)> = vec![
        ("not json".into(), None, "not valid JSON"),
        ("{\"serialNumber\":".into(), None, "not valid JSON"),
        ("[]".into(), None, "JSON object"),
        (
            r#"{"serialNumber":"A\u0000B"}"#.into(),
            Some("serialNumber"),
            "NUL character",
        ),
        (
            "{\"serialNumber\":\"raw \u{1} control\"}".into(),
            None,
            "not valid JSON",
        ),
        (
            r#"{"serialNumber":1}"#.into(),
            Some("serialNumber"),
            "expected a string",
        ),
        (
            r#"{"serialNumber":"A","displayName":{"a":1}}"#.into(),
            Some("displayName"),
            "expected a string",
        ),
        (
            r#"{"serialNumber":"A","foo":1}"#.into(),
            Some("foo"),
            "does not exist on type",
        ),
        (
            r#"{"serialNumber":"A","enrollmentState":"Enrolled"}"#.into(),
            Some("enrollmentState"),
            "'Enrolled'",
        ),
        (
            r#"{"serialNumber":"A","enrollmentState":null}"#.into(),
            Some("enrollmentState"),
            "cannot be null",
        ),
        (
            r#"{"serialNumber":"A","lastContactedDateTime":"2024-01-02T03:04:05"}"#.into(),
            Some("lastContactedDateTime"),
            "Edm.DateTimeOffset",
        ),
        (
            r#"{"serialNumber":"A","lastContactedDateTime":"next tuesday"}"#.into(),
            Some("lastContactedDateTime"),
            "Edm.DateTimeOffset",
        ),
        (
            r#"{"displayName":"no serial"}"#.into(),
            Some("serialNumber"),
            "required",
        ),
        (
            r#"{"serialNumber":""}"#.into(),
            Some("serialNumber"),
            "must not be empty",
        ),
        (
            r#"{"serialNumber":null}"#.into(),
            Some("serialNumber"),
            "cannot be null",
        ),
        (
            format!(r#"{{"serialNumber":"A","model":"{long}"}}"#),
            Some("model"),
            "1024",
        ),
        (
            r##"{"@odata.type":"#microsoft.graph.user","serialNumber":"A"}"##.into(),
            None,
            "not assignable",
        ),
        (
            format!(r#"{{"serialNumber":"A","model":{}}}"#, "[".repeat(10_000)),
            None,
            "",
        ),
    ];
    for version in ["v1.0", "beta"] {
        for (body, target, needle) in &cases {
            let response = app
                .client
                .post(app.collection_url(version))
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let envelope = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
            let error = &envelope["error"];
            assert!(
                error["message"].as_str().unwrap().contains(needle),
                "{body}: {error}"
            );
            if let Some(target) = target {
                assert_eq!(error["details"][0]["target"], *target, "{body}");
            }
        }
    }
    assert_eq!(app.device_rows().await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.collection_url("v1.0"))
        .header("content-type", "application/json")
        .body(b"{\"serialNumber\":\"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();
    let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    assert_eq!(app.device_rows().await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_415() {
    let app = spawn_app().await;
    let body = r#"{"serialNumber":"A"}"#;
    let missing = app
        .client
        .post(app.collection_url("v1.0"))
        .body(body)
        .send()
        .await
        .unwrap();
    error_of(
        missing,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
    )
    .await;
    let wrong = app
        .client
        .post(app.collection_url("v1.0"))
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    error_of(
        wrong,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
    )
    .await;
    // Parameters after the media type are fine.
    let with_charset = app
        .client
        .post(app.collection_url("v1.0"))
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(with_charset.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn paths_outside_the_grammar_get_graphs_routing_errors() {
    let app = spawn_app().await;
    let send =
        |method: reqwest::Method, path: &str| app.client.request(method, app.url(path)).send();

    // `/` itself leads to Swagger UI (docs::swagger_ui_is_served_offline_and_shows_the_document).
    for path in [COLLECTION.to_owned(), format!("v2/{COLLECTION}")] {
        let response = send(reqwest::Method::GET, &path).await.unwrap();
        let body = error_of(response, StatusCode::NOT_FOUND, "ResourceNotFound").await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid version: "),
            "{path}"
        );
    }
    let response = send(
        reqwest::Method::GET,
        "v1.0/deviceManagement/windowsAutopilotDevices",
    )
    .await
    .unwrap();
    let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        body["error"]["message"],
        "Resource not found for the segment 'windowsAutopilotDevices'."
    );

    for (method, path, template) in [
        (
            reqwest::Method::PUT,
            format!("v1.0/{COLLECTION}"),
            "~/singleton/navigation ",
        ),
        (
            reqwest::Method::POST,
            format!("beta/{COLLECTION}/x"),
            "~/singleton/navigation/key ",
        ),
    ] {
        let response = send(method.clone(), &path).await.unwrap();
        let body = error_of(
            response,
            StatusCode::BAD_REQUEST,
            "No method match route template",
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(template) && message.contains(&format!("http verb {method} ")),
            "{message}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_database_is_503_with_retry_after_and_no_internals() {
    let database_url = fresh_database().await;
    let proxy = DbProxy::start(&database_url).await;
    let app = spawn_app_on(&proxy.database_url).await;
    app.create_ok("v1.0", &json!({"serialNumber": "BEFORE"}))
        .await;

    proxy.cut();
    for _ in 0..2 {
        let started = std::time::Instant::now();
        let response = app.create("v1.0", &json!({"serialNumber": "DURING"})).await;
        assert!(response.headers().contains_key("retry-after"));
        let body = error_of(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
        )
        .await;
        let text = body.to_string().to_lowercase();
        assert!(
            !text.contains("sqlx") && !text.contains("connection") && !text.contains("postgres"),
            "{text}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let response = app
            .get(&format!(
                "v1.0/{COLLECTION}/9b2f8a0e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
            ))
            .await;
        error_of(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
        )
        .await;
    }
}
