//! `$batch`: up to 20 requests in one, each answered as it would be alone (status, headers, body,
//! links, authorisation), `dependsOn` and its 424, and every malformed batch a 400 envelope.

use std::time::Duration;

use autopilot_registry::identity::mint_token;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{
    COLLECTION, TestApp, body_of, error_of, fresh_database, send, spawn_app, spawn_app_with,
};

const SECRET: &str = "batch-test-secret-of-some-length";
const READ: &str = "DeviceManagementServiceConfig.Read.All";
const WRITE: &str = "DeviceManagementServiceConfig.ReadWrite.All";

/// POSTs a batch body as JSON to `{version}/$batch`, with extra headers.
async fn post_batch(
    app: &TestApp,
    version: &str,
    body: &Json,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("{version}/$batch")))
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request sent")
}

/// The answers of a batch that must succeed, by request id.
async fn answers_of(response: reqwest::Response) -> Vec<Json> {
    let body = body_of(response, StatusCode::OK).await;
    body["responses"].as_array().expect("responses").clone()
}

fn by_id<'a>(answers: &'a [Json], id: &str) -> &'a Json {
    answers
        .iter()
        .find(|answer| answer["id"] == id)
        .unwrap_or_else(|| panic!("no answer to {id}: {answers:?}"))
}

/// A request as `$batch` carries it.
fn request(id: &str, method: &str, url: &str, body: Option<Json>) -> Json {
    let mut request = json!({"id": id, "method": method, "url": url});
    if let Some(body) = body {
        request["body"] = body;
        request["headers"] = json!({"Content-Type": "application/json"});
    }
    request
}

/// What a response says, without what differs between any two responses (ids, dates).
fn comparable_body(mut body: Json) -> Json {
    if let Some(inner) = body.pointer_mut("/error/innerError") {
        *inner = Json::Null;
    }
    body
}

/// A response's headers without those that differ between any two responses.
fn comparable_headers(headers: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = headers
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .filter(|(name, _)| {
            !["request-id", "client-request-id", "date", "content-length"].contains(&name.as_str())
        })
        .collect();
    headers.sort();
    headers
}

/// Sends `method path` alone and returns what a batch answer would say of it.
async fn alone(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Json {
    let mut request = app.client.request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = comparable_headers(
        response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned())),
    );
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Json::Null
    } else if content_type.starts_with("application/json") {
        comparable_body(serde_json::from_str(&text).unwrap())
    } else {
        Json::String(text)
    };
    json!({"status": status, "headers": headers, "body": body})
}

/// The same view of one answer inside a batch.
fn in_batch(answer: &Json) -> Json {
    let headers = comparable_headers(
        answer["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_owned())),
    );
    let body = comparable_body(answer.get("body").cloned().unwrap_or(Json::Null));
    json!({"status": answer["status"], "headers": headers, "body": body})
}

#[tokio::test]
async fn every_answer_is_the_one_the_request_gets_alone() {
    // Behind a proxy (--trust-forwarded), so that forwarded headers steer links below.
    let app = spawn_app_with(&fresh_database().await, &["--trust-forwarded"]).await;
    for n in 0..3 {
        app.create_ok("v1.0", &json!({"serialNumber": format!("B-{n}")}))
            .await;
    }
    let reads = [
        format!("/{COLLECTION}?$top=2&$select=serialNumber&$orderby=serialNumber"),
        format!("/{COLLECTION}/$count"),
        format!("/{COLLECTION}/{}", Uuid::new_v4()),
        format!("/{COLLECTION}?$filter=nonsense"),
        "/deviceManagement/nothingHere".to_owned(),
        "/groups".to_owned(),
    ];
    let requests: Vec<Json> = reads
        .iter()
        .enumerate()
        .map(|(i, url)| request(&i.to_string(), "GET", url, None))
        .collect();
    for version in ["v1.0", "beta"] {
        let answers =
            answers_of(post_batch(&app, version, &json!({ "requests": requests }), &[]).await)
                .await;
        assert_eq!(answers.len(), reads.len());
        for (i, url) in reads.iter().enumerate() {
            let expected = alone(&app, Method::GET, &format!("{version}{url}"), &[]).await;
            assert_eq!(
                in_batch(by_id(&answers, &i.to_string())),
                expected,
                "{version}{url}"
            );
        }
        let page = by_id(&answers, "0");
        assert_eq!(page["status"], 200);
        let next = page["body"]["@odata.nextLink"].as_str().unwrap();
        assert!(
            next.starts_with(&format!("http://{}/{version}/", app.address)),
            "{next}"
        );
        assert_eq!(by_id(&answers, "1")["body"], "3");
        assert_eq!(by_id(&answers, "2")["status"], 404);
        assert_eq!(by_id(&answers, "3")["status"], 400);
        assert_eq!(by_id(&answers, "4")["status"], 400);
    }

    // Links follow the batch's trusted forwarded host and scheme, as they would the request's alone.
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "graph.contoso.test"),
    ];
    let answers = answers_of(
        post_batch(
            &app,
            "v1.0",
            &json!({"requests": [request("1", "GET", &reads[0], None)]}),
            &forwarded,
        )
        .await,
    )
    .await;
    let expected = alone(&app, Method::GET, &format!("v1.0{}", reads[0]), &forwarded).await;
    assert_eq!(in_batch(&answers[0]), expected);
    let next = answers[0]["body"]["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with("https://graph.contoso.test/v1.0/"),
        "{next}"
    );
}

#[tokio::test]
async fn writes_answer_their_own_statuses_headers_and_bodies() {
    let app = spawn_app().await;
    let existing = app
        .create_ok("beta", &json!({"serialNumber": "TAKEN"}))
        .await;
    let existing = existing["id"].as_str().unwrap();
    let batch = json!({"requests": [
        request("create", "POST", &format!("/{COLLECTION}"), Some(json!({"serialNumber": "NEW-1", "groupTag": "Kiosk"}))),
        request("duplicate", "POST", COLLECTION, Some(json!({"serialNumber": "taken"}))),
        request("invalid", "POST", &format!("/{COLLECTION}"), Some(json!({"serialNumber": "X", "colour": "red"}))),
        request("patch", "PATCH", &format!("/{COLLECTION}/{existing}"), Some(json!({"displayName": "Patched"}))),
        request("action", "POST", &format!("/{COLLECTION}/{existing}/microsoft.graph.assignUserToDevice"),
                Some(json!({"userPrincipalName": "u@contoso.com", "addressableUserName": "U"}))),
        {"id": "no content type", "method": "POST", "url": format!("/{COLLECTION}"), "body": {"serialNumber": "NEW-2"}},
        {"id": "wrong verb", "method": "PUT", "url": format!("/{COLLECTION}")},
        {"id": "lower-case verb", "method": "delete", "url": format!("/{COLLECTION}/{}", Uuid::new_v4())},
        {"id": "own client id", "method": "GET", "url": format!("/{COLLECTION}/{existing}"),
         "headers": {"client-request-id": "mine-123"}},
        {"id": "nested", "method": "POST", "url": "/$batch", "headers": {"content-type": "application/json"},
         "body": {"requests": []}},
    ]});
    let response = post_batch(&app, "beta", &batch, &[("client-request-id", "outer-1")]).await;
    let batch_request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let answers = answers_of(response).await;

    let created = by_id(&answers, "create");
    assert_eq!(created["status"], 201);
    let id = created["body"]["id"].as_str().unwrap();
    assert_eq!(
        created["headers"]["Location"],
        format!("http://{}/beta/{COLLECTION}/{id}", app.address)
    );
    assert!(
        created["headers"]["Content-Type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(created["headers"]["OData-Version"], "4.0");
    let request_id = created["headers"]["request-id"].as_str().unwrap();
    assert_ne!(request_id, batch_request_id, "each request has its own id");
    assert_eq!(created["headers"]["client-request-id"], request_id);
    let stored = body_of(
        app.get(&format!("beta/{COLLECTION}/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(stored["groupTag"], "Kiosk");
    assert_eq!(created["body"]["groupTag"], "Kiosk");

    let duplicate = by_id(&answers, "duplicate");
    assert_eq!(duplicate["status"], 409);
    assert_eq!(duplicate["body"]["error"]["code"], "Conflict");
    assert_eq!(
        duplicate["body"]["error"]["innerError"]["request-id"],
        duplicate["headers"]["request-id"]
    );
    let invalid = by_id(&answers, "invalid");
    assert_eq!(invalid["status"], 400);
    assert_eq!(invalid["body"]["error"]["details"][0]["target"], "colour");
    assert_eq!(by_id(&answers, "patch")["status"], 204);
    assert!(
        by_id(&answers, "patch").get("body").is_none(),
        "a 204 has no body"
    );
    assert_eq!(by_id(&answers, "action")["status"], 204);
    let device = body_of(
        app.get(&format!("beta/{COLLECTION}/{existing}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(device["displayName"], "Patched");
    assert_eq!(device["userPrincipalName"], "u@contoso.com");
    // Graph needs a Content-Type with a body; without one the route refuses it as it would alone.
    assert_eq!(by_id(&answers, "no content type")["status"], 415);
    let wrong_verb = by_id(&answers, "wrong verb");
    assert_eq!(wrong_verb["status"], 400);
    let expected = alone(&app, Method::PUT, &format!("beta/{COLLECTION}"), &[]).await;
    assert_eq!(in_batch(wrong_verb), expected);
    assert_eq!(by_id(&answers, "lower-case verb")["status"], 404);
    assert_eq!(
        by_id(&answers, "own client id")["headers"]["client-request-id"],
        "mine-123"
    );
    let nested = by_id(&answers, "nested");
    assert_eq!(nested["status"], 400);
    assert!(
        nested["body"]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be a batch")
    );
    assert_eq!(app.device_rows().await, 2);
}

#[tokio::test]
async fn depends_on_orders_the_requests_and_a_failed_dependency_is_424_without_running() {
    let app = spawn_app().await;
    let devices = format!("/{COLLECTION}");
    let mut requests = vec![
        request(
            "1",
            "POST",
            &devices,
            Some(json!({"serialNumber": "ORDER-1"})),
        ),
        request(
            "2",
            "GET",
            &format!("{devices}?$filter=serialNumber eq 'ORDER-1'"),
            None,
        ),
        request(
            "3",
            "POST",
            &devices,
            Some(json!({"serialNumber": "ORDER-1"})),
        ),
        request(
            "4",
            "POST",
            &devices,
            Some(json!({"serialNumber": "NEVER-RUN"})),
        ),
        request("5", "GET", &devices, None),
        request("6", "GET", &format!("{devices}/$count"), None),
    ];
    // Listed out of order on purpose: 2 after 1, 3 after 2, 4 after 3 (which fails), 5 after 4.
    requests[1]["dependsOn"] = json!(["1"]);
    requests[2]["dependsOn"] = json!(["2"]);
    requests[3]["dependsOn"] = json!(["3"]);
    requests[4]["dependsOn"] = json!(["4"]);
    requests.reverse();
    let answers =
        answers_of(post_batch(&app, "v1.0", &json!({ "requests": requests }), &[]).await).await;
    let ids: Vec<&str> = answers.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["6", "5", "4", "3", "2", "1"],
        "answers come in the order of the requests"
    );

    assert_eq!(by_id(&answers, "1")["status"], 201);
    let found = by_id(&answers, "2");
    assert_eq!(found["status"], 200);
    assert_eq!(
        found["body"]["value"][0]["serialNumber"], "ORDER-1",
        "2 ran after 1"
    );
    assert_eq!(by_id(&answers, "3")["status"], 409);
    for (id, dependency) in [("4", "3"), ("5", "4")] {
        let failed = by_id(&answers, id);
        assert_eq!(failed["status"], 424, "{id}");
        assert_eq!(failed["body"]["error"]["code"], "FailedDependency");
        let message = failed["body"]["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("'{dependency}'")), "{message}");
        assert!(failed["headers"]["request-id"].is_string());
        assert_eq!(
            failed["body"]["error"]["innerError"]["request-id"],
            failed["headers"]["request-id"]
        );
    }
    assert_eq!(by_id(&answers, "6")["status"], 200);
    let never = body_of(
        app.get(&format!(
            "v1.0/{COLLECTION}?$filter=serialNumber eq 'NEVER-RUN'"
        ))
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        never["value"],
        json!([]),
        "a request whose dependency failed does not run"
    );
}

#[tokio::test]
async fn twenty_requests_are_served_and_twenty_one_refused() {
    let app = spawn_app().await;
    let requests = |n: usize| -> Vec<Json> {
        (0..n)
            .map(|i| {
                request(
                    &format!("r{i}"),
                    "POST",
                    &format!("/{COLLECTION}"),
                    Some(json!({"serialNumber": format!("TWENTY-{i}")})),
                )
            })
            .collect()
    };
    let refused = error_of(
        post_batch(&app, "v1.0", &json!({"requests": requests(21)}), &[]).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert_eq!(
        refused["error"]["message"],
        "Number of requests inside batch exceed the limit"
    );
    assert_eq!(
        app.device_rows().await,
        0,
        "a refused batch runs none of its requests"
    );

    let answers =
        answers_of(post_batch(&app, "v1.0", &json!({"requests": requests(20)}), &[]).await).await;
    assert_eq!(answers.len(), 20);
    assert!(answers.iter().all(|a| a["status"] == 201), "{answers:?}");
    assert_eq!(app.device_rows().await, 20);
}

#[tokio::test]
async fn malformed_batches_are_400_envelopes_and_run_nothing() {
    let app = spawn_app().await;
    let device = |id: &str| {
        request(
            id,
            "POST",
            &format!("/{COLLECTION}"),
            Some(json!({"serialNumber": format!("BAD-{id}")})),
        )
    };
    let bodies = [
        json!([]),
        json!({}),
        json!({"requests": "all of them"}),
        json!({"requests": [device("a"), device("A")]}),
        json!({"requests": [device("1"), {"id": "2", "method": "GET"}]}),
        json!({"requests": [device("1"), request("2", "GET", "https://graph.microsoft.com/v1.0/groups", None)]}),
        json!({"requests": [device("1"), {"id": "2", "method": "G E T", "url": "/groups"}]}),
        json!({"requests": [device("1"), {"id": "2", "method": "GET", "url": "/groups", "dependsOn": ["9"]}]}),
        json!({"requests": [
            {"id": "1", "method": "GET", "url": "/groups", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/groups", "dependsOn": ["1"]},
        ]}),
        json!({"requests": [device("1"), {"id": "2", "method": "GET", "url": "/groups", "headers": {"x": 1}}]}),
    ];
    for body in &bodies {
        let response = post_batch(&app, "beta", body, &[]).await;
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    for (body, status, code) in [
        ("{requests: [", StatusCode::BAD_REQUEST, "BadRequest"),
        ("", StatusCode::BAD_REQUEST, "BadRequest"),
    ] {
        let response = app
            .client
            .post(app.url("v1.0/$batch"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        error_of(response, status, code).await;
    }
    let response = app
        .client
        .post(app.url("v1.0/$batch"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    error_of(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UnsupportedMediaType",
    )
    .await;
    let response = send(&app, Method::GET, "v1.0/$batch", None).await;
    error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(app.device_rows().await, 0);
}

#[tokio::test]
async fn a_lenient_batch_in_any_spelling_of_the_path_is_served() {
    let app = spawn_app().await;
    let body = format!(
        "{{requests: [{{id: 'one', method: 'POST', url: '{COLLECTION}', headers: {{'Content-Type': 'application/json'}}, body: {{serialNumber: 'LENIENT',}},}},],}}"
    );
    for path in ["V1.0/$BATCH", "beta/%24batch/"] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let answers = answers_of(response).await;
        let expected = if path.starts_with("V1") { 201 } else { 409 };
        assert_eq!(answers[0]["status"], expected, "{path}: {answers:?}");
    }
    assert_eq!(app.device_rows().await, 1);
}

#[tokio::test]
async fn each_request_is_authorised_as_if_it_were_sent_alone() {
    let app = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", SECRET],
    )
    .await;
    let (tenant_a, tenant_b) = (Uuid::new_v4(), Uuid::new_v4());
    let token = |tenant: Uuid, role: &str| {
        mint_token(
            SECRET,
            "https://graph.microsoft.com",
            None,
            tenant,
            &[role.to_owned()],
            None,
            Duration::from_secs(600),
        )
    };
    let (reader_a, writer_a, writer_b) = (
        token(tenant_a, READ),
        token(tenant_a, WRITE),
        token(tenant_b, WRITE),
    );
    let devices = format!("/{COLLECTION}");

    // The batch itself needs a valid token, as any request does.
    let batch = json!({"requests": [request("1", "GET", &devices, None)]});
    error_of(
        post_batch(&app, "v1.0", &batch, &[]).await,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    )
    .await;

    let bearer = |token: &str| format!("Bearer {token}");
    let batch = json!({"requests": [
        request("read", "GET", &devices, None),
        request("write", "POST", &devices, Some(json!({"serialNumber": "READER"}))),
        {"id": "other tenant", "method": "POST", "url": devices,
         "headers": {"Content-Type": "application/json", "Authorization": bearer(&writer_b)},
         "body": {"serialNumber": "TENANT-B"}},
        {"id": "bad token", "method": "GET", "url": devices, "headers": {"authorization": "Bearer nonsense"}},
    ]});
    let reader = bearer(&reader_a);
    let answers =
        answers_of(post_batch(&app, "v1.0", &batch, &[("authorization", &reader)]).await).await;
    assert_eq!(by_id(&answers, "read")["status"], 200);
    let forbidden = by_id(&answers, "write");
    assert_eq!(forbidden["status"], 403);
    assert_eq!(forbidden["body"]["error"]["code"], "Forbidden");
    let expected = alone(
        &app,
        Method::POST,
        &format!("v1.0{devices}"),
        &[
            ("authorization", &reader),
            ("content-type", "application/json"),
        ],
    )
    .await;
    assert_eq!(in_batch(forbidden), expected);
    let unauthorized = by_id(&answers, "bad token");
    assert_eq!(unauthorized["status"], 401);
    assert_eq!(unauthorized["headers"]["WWW-Authenticate"], "Bearer");
    let created = by_id(&answers, "other tenant");
    assert_eq!(created["status"], 201, "{created}");
    let id = created["body"]["id"].as_str().unwrap();

    // The device is tenant B's: tenant A does not see it, tenant B does.
    let item = format!("v1.0/{COLLECTION}/{id}");
    let answers_a = answers_of(
        post_batch(
            &app,
            "v1.0",
            &json!({"requests": [request("1", "GET", &format!("/{COLLECTION}/{id}"), None)]}),
            &[("authorization", &bearer(&writer_a))],
        )
        .await,
    )
    .await;
    assert_eq!(answers_a[0]["status"], 404);
    let as_b = alone(
        &app,
        Method::GET,
        &item,
        &[("authorization", &bearer(&writer_b))],
    )
    .await;
    assert_eq!(as_b["status"], 200);
}

/// Issue 23: an 8 MiB batch was parsed into a tree of values (RSS 71 → 346 MB). Graph takes
/// batch bodies up to 4 MB; past that the answer is 413 before anything is parsed.
#[tokio::test]
async fn a_batch_body_past_graphs_4_mb_is_413() {
    let app = spawn_app().await;
    let big = json!({"serialNumber": "BIG", "userPrincipalName": "x".repeat(5 * 1024 * 1024)});
    let url = format!("/{COLLECTION}");
    let body = json!({"requests": [request("1", "POST", &url, Some(big))]});
    let response = post_batch(&app, "v1.0", &body, &[]).await;
    error_of(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
    )
    .await;
}
