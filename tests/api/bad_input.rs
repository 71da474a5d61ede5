//! The bad-input battery: hostile bodies on every write, hostile query options on every read,
//! SQL metacharacters in every string. Never a 5xx, every refusal a Graph envelope, and no stored
//! row changed by a refused request.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value as Json, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use autopilot_registry::domain::device_identity::DEVICE_IDENTITIES;
use autopilot_registry::domain::entity::Property;

use autopilot_registry::graph::MAX_BODY_BYTES;
use autopilot_registry::graph::batch::MAX_BATCH_BODY_BYTES;
use autopilot_registry::graph::import::MAX_IMPORT_BODY_BYTES;

use crate::helpers::{COLLECTION, TestApp, body_of, error_of, send, spawn_app};

/// Text that breaks SQL, LIKE patterns, JSON and URLs if any layer pastes it instead of binding it.
const METACHARACTERS: &[&str] = &[
    "'; DROP TABLE device_identities; --",
    "\" OR \"1\"=\"1",
    "100% _match_ \\ escape",
    "$1 $$ /* */ :name ?",
    "') OR 1=1 OR ('",
    "&$filter=x#?/",
];

/// Every stored row of the tables that requests write, as PostgreSQL sees them.
async fn table_snapshot(app: &TestApp) -> Json {
    let mut snapshot = Map::new();
    for table in [
        "device_identities",
        "imported_device_identities",
        "directory_groups",
        "directory_group_members",
        "deployment_profiles",
        "deployment_profile_assignments",
    ] {
        let rows: Json = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY to_jsonb(t)::text), '[]') FROM {table} t"
        )))
        .fetch_one(&app.db().await)
        .await
        .unwrap();
        snapshot.insert(table.to_owned(), rows);
    }
    Json::Object(snapshot)
}

/// Every request that carries a body, on one device: create, update and each action, both roots.
fn writes(id: &str) -> Vec<(Method, String)> {
    let mut writes = Vec::new();
    for version in ["v1.0", "beta"] {
        let item = format!("{version}/{COLLECTION}/{id}");
        writes.push((Method::POST, format!("{version}/{COLLECTION}")));
        writes.push((Method::PATCH, item.clone()));
        for action in ["assignUserToDevice", "updateDeviceProperties"] {
            writes.push((Method::POST, format!("{item}/{action}")));
        }
    }
    writes.push((
        Method::POST,
        format!("beta/{COLLECTION}/{id}/assignResourceAccountToDevice"),
    ));
    writes
}

/// JSON bodies each write must refuse, with the status and code it must refuse them with; `limit`
/// is the write's largest body.
fn hostile_bodies(limit: usize) -> Vec<(&'static str, Vec<u8>, StatusCode, &'static str)> {
    let bad = StatusCode::BAD_REQUEST;
    let deep = |open: &str, close: &str| {
        format!(
            r#"{{"serialNumber":"DEEP","userPrincipalName":{}{}}}"#,
            open.repeat(10_000),
            close.repeat(10_000)
        )
        .into_bytes()
    };
    vec![
        (
            "over the 1 MiB limit",
            format!(
                r#"{{"serialNumber":"BIG","userPrincipalName":"{}"}}"#,
                "x".repeat(limit)
            )
            .into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
        ),
        ("arrays 10,000 deep", deep("[", "]"), bad, "BadRequest"),
        (
            "objects 10,000 deep",
            deep(r#"{"a":"#, "}"),
            bad,
            "BadRequest",
        ),
        (
            "a body that is all nesting",
            "[".repeat(10_000).into_bytes(),
            bad,
            "BadRequest",
        ),
        (
            "invalid UTF-8",
            b"{\"serialNumber\":\"\xff\xfe\",\"userPrincipalName\":\"\xc0\xaf\"}".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "a lone surrogate",
            br#"{"serialNumber":"\ud800","userPrincipalName":"\ud800"}"#.to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "NUL",
            br#"{"serialNumber":"A\u0000","userPrincipalName":"u\u0000@x"}"#.to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "a raw control character",
            b"{\"serialNumber\":\"A\x01\",\"userPrincipalName\":\"u\x1f@x\"}".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "a number beyond f64",
            br#"{"serialNumber":1e999999,"userPrincipalName":1e999999}"#.to_vec(),
            bad,
            "BadRequest",
        ),
        ("no body", Vec::new(), bad, "BadRequest"),
        // Graph's lenient forms stop at unquoted names, single quotes and one trailing comma.
        (
            "two trailing commas",
            b"{serialNumber: 'A', userPrincipalName: 'u@x',,}".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "a bare word as a value",
            b"{serialNumber: A, userPrincipalName: u}".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "an unclosed single-quoted string",
            b"{serialNumber: 'A', userPrincipalName: 'u@x".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "a comment",
            b"{serialNumber: 'A', /* who */ userPrincipalName: 'u@x'}".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "a hyphen in an unquoted name",
            b"{serial-number: 'A', user-principal-name: 'u@x'}".to_vec(),
            bad,
            "BadRequest",
        ),
        (
            "unquoted objects 10,000 deep",
            format!("{{a: 'x', b: {}}}", "{c: ".repeat(10_000)).into_bytes(),
            bad,
            "BadRequest",
        ),
        (
            "single quotes that never close, 10,000 times",
            "{a: '".repeat(10_000).into_bytes(),
            bad,
            "BadRequest",
        ),
        (
            "a cut-off body",
            br#"{"serialNumber":"A","userPrincipalName":"#.to_vec(),
            bad,
            "BadRequest",
        ),
    ]
}

/// Query options each list (and $count) must refuse with 400.
fn hostile_queries() -> Vec<(&'static str, String)> {
    let mut queries = vec![
        (
            "$filter with invalid UTF-8",
            "$filter=serialNumber eq '%FF%FE'".into(),
        ),
        ("$filter with NUL", "$filter=serialNumber eq 'A%00'".into()),
        (
            "$filter nested 10,000 deep",
            format!(
                "$filter={}serialNumber eq 'A'{}",
                "(".repeat(10_000),
                ")".repeat(10_000)
            ),
        ),
        (
            "$filter=1;DROP TABLE",
            "$filter=1; DROP TABLE device_identities".into(),
        ),
        (
            "$filter on a column name",
            "$filter=serial_number eq 'A'".into(),
        ),
        (
            "$orderby with SQL",
            "$orderby=serialNumber; DROP TABLE x".into(),
        ),
        ("$orderby with a column name", "$orderby=tenant_id".into()),
        ("$select with SQL", "$select=id,(SELECT 1)".into()),
        ("$top with SQL", "$top=1;DROP".into()),
        ("$skip beyond i64", "$skip=99999999999999999999".into()),
        (
            "$skiptoken of hex SQL",
            format!("$skiptoken={}", hex("'; DROP TABLE x; --")),
        ),
        ("$skiptoken with NUL", "$skiptoken=00".into()),
    ];
    // Each metacharacter text as an option name.
    queries.extend(
        METACHARACTERS
            .iter()
            .map(|text| ("a made-up option", format!("${}=1", urlencode(text)))),
    );
    queries
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The non-secret text properties of the beta entity (a superset of v1.0's).
fn string_properties() -> impl Iterator<Item = &'static Property> {
    DEVICE_IDENTITIES
        .properties
        .iter()
        .filter(|p| p.kind.is_string() && !p.secret)
}

#[tokio::test]
async fn hostile_bodies_on_every_write_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let device = app
        .create_ok(
            "beta",
            &json!({"serialNumber": "KEEP", "displayName": "kept"}),
        )
        .await;
    let id = device["id"].as_str().unwrap();
    let before = table_snapshot(&app).await;

    for (method, path) in writes(id) {
        for (what, body, status, code) in hostile_bodies(MAX_BODY_BYTES) {
            let response = app
                .client
                .request(method.clone(), app.url(&path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{what}: {method} {path}");
            error_of(response, status, code).await;
        }
    }
    assert_eq!(table_snapshot(&app).await, before);
}

/// Every other request that carries a body (imported identities, groups and their members,
/// `$batch`, deployment profiles and their assignments), with its largest body.
fn other_writes(group: &str, profile: &str) -> Vec<(Method, String, usize)> {
    let imported = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
    let profiles = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
    let mut writes = Vec::new();
    for version in ["v1.0", "beta"] {
        writes.extend([
            (
                Method::POST,
                format!("{version}/{imported}"),
                MAX_BODY_BYTES,
            ),
            (
                Method::POST,
                format!("{version}/{imported}/import"),
                MAX_IMPORT_BODY_BYTES,
            ),
            (Method::POST, format!("{version}/groups"), MAX_BODY_BYTES),
            (
                Method::PATCH,
                format!("{version}/groups/{group}"),
                MAX_BODY_BYTES,
            ),
            (
                Method::POST,
                format!("{version}/groups/{group}/members/$ref"),
                MAX_BODY_BYTES,
            ),
        ]);
    }
    writes.extend([
        (Method::POST, "v1.0/$batch".to_owned(), MAX_BATCH_BODY_BYTES),
        (Method::POST, "beta/$batch".to_owned(), MAX_BATCH_BODY_BYTES),
        (Method::POST, profiles.to_owned(), MAX_BODY_BYTES),
        (
            Method::PATCH,
            format!("{profiles}/{profile}"),
            MAX_BODY_BYTES,
        ),
        (
            Method::POST,
            format!("{profiles}/{profile}/assignments"),
            MAX_BODY_BYTES,
        ),
    ]);
    writes
}

#[tokio::test]
async fn hostile_bodies_on_every_other_write_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let group = body_of(
        send(
            &app,
            Method::POST,
            "v1.0/groups",
            Some(
                json!({"displayName": "G", "mailNickname": "g", "mailEnabled": false,
                        "securityEnabled": true}),
            ),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let profile = body_of(
        send(
            &app,
            Method::POST,
            "beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            Some(
                json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                        "displayName": "P"}),
            ),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let writes = other_writes(
        group["id"].as_str().unwrap(),
        profile["id"].as_str().unwrap(),
    );
    let before = table_snapshot(&app).await;

    for (method, path, limit) in writes {
        for (what, body, status, code) in hostile_bodies(limit) {
            let response = app
                .client
                .request(method.clone(), app.url(&path))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{what}: {method} {path}");
            error_of(response, status, code).await;
        }
    }
    assert_eq!(table_snapshot(&app).await, before);
}

/// Sends `request` as it is on a connection of its own and returns everything that comes back.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    // The service may answer and close before it has read everything (a body over the limit).
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413() {
    let app = spawn_app().await;
    let mut request = format!(
        "POST /v1.0/{COLLECTION} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
    request.push_str(&chunk.repeat(32)); // 2 MiB
    request.push_str("0\r\n\r\n");
    let answer = raw_exchange(&app, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(r#""code":"RequestEntityTooLarge""#),
        "{answer}"
    );
    assert_eq!(app.device_rows().await, 0);
}

/// GETs `target` over a bare connection (HTTP client libraries refuse URLs this long) and returns
/// the status line and the rest.
async fn raw_get(app: &TestApp, target: &str) -> (String, String) {
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let answer = raw_exchange(app, request.as_bytes()).await;
    let (status_line, rest) = answer.split_once("\r\n").unwrap_or((&answer, ""));
    (status_line.to_owned(), rest.to_owned())
}

/// A $filter as long as the HTTP layer lets through (its URLs end at 64 KiB) is refused with the
/// envelope that names the limit; a 100 KB one is refused by the HTTP layer itself with a bare 400
/// (Graph's front door answers URLs over 16 KiB with a bare 414), and the service carries on.
#[tokio::test]
async fn filters_of_60_kb_and_100_kb_are_400() {
    let app = spawn_app().await;
    let filter = |bytes: usize| format!("serialNumber%20eq%20'{}'", "A".repeat(bytes));
    for version in ["v1.0", "beta"] {
        for read in [COLLECTION.to_owned(), format!("{COLLECTION}/$count")] {
            let target = format!("/{version}/{read}?$filter={}", filter(60_000));
            let (status, rest) = raw_get(&app, &target).await;
            assert_eq!(status, "HTTP/1.1 400 Bad Request", "{version}/{read}");
            assert!(rest.contains(r#""code":"BadRequest""#), "{version}/{read}");
            assert!(rest.contains("Invalid $filter: the expression is 60018 bytes long"));

            let target = format!("/{version}/{read}?$filter={}", filter(100_000));
            let (status, _) = raw_get(&app, &target).await;
            assert_eq!(status, "HTTP/1.1 400 Bad Request", "{version}/{read}");
        }
    }
    app.create_ok("v1.0", &json!({"serialNumber": "AFTER"}))
        .await;
}

#[tokio::test]
async fn hostile_query_options_on_every_read_are_400_envelopes() {
    let app = spawn_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "KEEP"}))
        .await;
    let before = table_snapshot(&app).await;
    for version in ["v1.0", "beta"] {
        for read in [COLLECTION.to_owned(), format!("{COLLECTION}/$count")] {
            for (what, query) in hostile_queries() {
                let response = app.get(&format!("{version}/{read}?{query}")).await;
                assert_eq!(
                    response.status(),
                    StatusCode::BAD_REQUEST,
                    "{what}: {version}/{read}"
                );
                error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
            }
        }
    }
    // Hostile keys, actions and versions in the path.
    for text in METACHARACTERS {
        for path in [
            format!("v1.0/{COLLECTION}/{}", urlencode(text)),
            format!("v1.0/{COLLECTION}('{}')", urlencode(text)),
            format!("{}/{COLLECTION}", urlencode(text)),
        ] {
            let response = app.get(&path).await;
            assert!(response.status().is_client_error(), "{path}");
            let status = response.status();
            let body: Json = response.json().await.unwrap();
            assert!(body["error"]["code"].is_string(), "{status} {path}: {body}");
        }
    }
    assert_eq!(table_snapshot(&app).await, before);
}

/// Hostile query options, keys and bodies inside a batch: each answered as it would be alone (a
/// 4xx envelope), the batch itself 200, never a 5xx.
#[tokio::test]
async fn hostile_requests_inside_a_batch_are_answered_as_alone() {
    let app = spawn_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "KEEP"}))
        .await;
    let before = table_snapshot(&app).await;
    let mut requests: Vec<Json> = hostile_queries()
        .into_iter()
        .map(|(_, query)| json!({"method": "GET", "url": format!("/{COLLECTION}?{query}")}))
        .collect();
    requests.extend(METACHARACTERS.iter().flat_map(|text| {
        [
            json!({"method": "GET", "url": format!("/{COLLECTION}/{}", urlencode(text))}),
            json!({"method": "PATCH", "url": format!("/{COLLECTION}('{}')", urlencode(text)),
                   "headers": {"content-type": "application/json"}, "body": {"displayName": text}}),
            json!({"method": "POST", "url": format!("/{COLLECTION}"),
                   "headers": {"content-type": "application/json"}, "body": text}),
        ]
    }));
    for (what, body, _, _) in hostile_bodies(MAX_BODY_BYTES) {
        // Bytes that are not JSON travel as base64 under another Content-Type, and are refused so.
        requests.push(json!({"method": "POST", "url": format!("/{COLLECTION}"),
                             "headers": {"content-type": "text/plain", "x-what": what},
                             "body": base64::engine::general_purpose::STANDARD.encode(body)}));
    }
    for version in ["v1.0", "beta"] {
        for chunk in requests.chunks(20) {
            let chunk: Vec<Json> = chunk
                .iter()
                .enumerate()
                .map(|(i, request)| {
                    let mut request = request.clone();
                    request["id"] = json!(i.to_string());
                    request
                })
                .collect();
            let response = app
                .client
                .post(app.url(&format!("{version}/$batch")))
                .json(&json!({ "requests": chunk }))
                .send()
                .await
                .unwrap();
            let answers = body_of(response, StatusCode::OK).await;
            for (answer, request) in answers["responses"].as_array().unwrap().iter().zip(&chunk) {
                let status = answer["status"].as_u64().unwrap();
                assert!(
                    (400..500).contains(&status),
                    "{version} {request}: {answer}"
                );
                assert!(
                    answer["body"]["error"]["code"].is_string(),
                    "{request}: {answer}"
                );
            }
        }
    }
    assert_eq!(table_snapshot(&app).await, before);
}

#[tokio::test]
async fn sql_metacharacters_in_every_string_are_stored_and_matched_literally() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for (n, text) in METACHARACTERS.iter().enumerate() {
        let mut body: Map<String, Json> = string_properties()
            .map(|p| (p.name.to_owned(), json!(format!("{text} {}", p.name))))
            .collect();
        body.insert("serialNumber".into(), json!(format!("{text} {n}")));
        let device = app.create_ok("beta", &Json::Object(body.clone())).await;
        let id = device["id"].as_str().unwrap().to_owned();
        let stored: Json = app
            .get(&format!("beta/{COLLECTION}/{id}"))
            .await
            .json()
            .await
            .unwrap();
        for (name, value) in &body {
            assert_eq!(&stored[name], value, "{name}");
        }
        created.push((id, body));
    }
    // A bystander no metacharacter literal may match.
    app.create_ok("beta", &json!({"serialNumber": "PLAIN"}))
        .await;

    for (id, body) in &created {
        for property in string_properties() {
            let value = body[property.name].as_str().unwrap();
            let literal = value.replace('\'', "''");
            let (head, tail) = value.split_at(value.len() / 2);
            let conditions = [
                format!("{} eq '{literal}'", property.name),
                format!(
                    "startswith({}, '{}')",
                    property.name,
                    head.replace('\'', "''")
                ),
                format!(
                    "endswith({}, '{}')",
                    property.name,
                    tail.replace('\'', "''")
                ),
                format!("contains({}, '{literal}')", property.name),
            ];
            for condition in conditions {
                let response = app
                    .get(&format!(
                        "beta/{COLLECTION}?$select=id&$filter={}",
                        urlencode(&condition)
                    ))
                    .await;
                assert_eq!(response.status(), StatusCode::OK, "{condition}");
                let page: Json = response.json().await.unwrap();
                let ids: Vec<&str> = page["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["id"].as_str().unwrap())
                    .collect();
                assert!(ids.contains(&id.as_str()), "{condition} missed its device");
                if condition.contains(" eq ") {
                    assert_eq!(ids, [id.as_str()], "{condition}");
                }
            }
        }
    }
    assert_eq!(app.device_rows().await, METACHARACTERS.len() as i64 + 1);
}
