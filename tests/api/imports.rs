//! importedWindowsAutopilotDeviceIdentities: every operation, every processing outcome, the delay,
//! tenants and permissions.

use std::time::{Duration, Instant};

use autopilot_registry::config::GRAPH_AUDIENCES;
use autopilot_registry::identity::mint_token;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{TestApp, body_of, error_of, fresh_database, send, spawn_app_with};

pub const IMPORTED: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
/// How long a test waits for processing that should take well under a second.
const PROCESSED_WITHIN: Duration = Duration::from_secs(20);

/// A hardware hash as scripts send it: standard base64 of some bytes.
pub const HASH: &str = "T0ZGSUNJQUwgSEFSRFdBUkUgSEFTSCEh";

/// The service, processing imports at once.
async fn app() -> TestApp {
    spawn_app_with(&fresh_database().await, &["--import-delay", "0"]).await
}

/// GETs `path`, which must answer 200, and returns its body.
async fn get_ok(app: &TestApp, path: &str) -> Json {
    body_of(send(app, Method::GET, path, None).await, StatusCode::OK).await
}

/// POSTs one record and returns it.
pub async fn import_one(app: &TestApp, version: &str, record: Json) -> Json {
    let response = send(
        app,
        Method::POST,
        &format!("{version}/{IMPORTED}"),
        Some(record),
    )
    .await;
    body_of(response, StatusCode::CREATED).await
}

/// Polls a record until it is no longer `unknown`, as scripts do, and returns it.
pub async fn processed(app: &TestApp, version: &str, id: &str) -> Json {
    let deadline = Instant::now() + PROCESSED_WITHIN;
    loop {
        let record = get_ok(app, &format!("{version}/{IMPORTED}/{id}")).await;
        if record["state"]["deviceImportStatus"] != "unknown" {
            return record;
        }
        assert!(Instant::now() < deadline, "{id} still unknown: {record}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn error_of_state(record: &Json) -> (String, i64, String) {
    let state = &record["state"];
    (
        state["deviceImportStatus"].as_str().unwrap().to_owned(),
        state["deviceErrorCode"].as_i64().unwrap(),
        state["deviceErrorName"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_posted_record_is_unknown_then_complete_with_its_device() {
    let app = spawn_app_with(&fresh_database().await, &["--import-delay", "1"]).await;
    let created = send(
        &app,
        Method::POST,
        &format!("beta/{IMPORTED}"),
        Some(json!({
            "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            "serialNumber": "IMP-1",
            "productKey": "PK-1",
            "hardwareIdentifier": HASH,
            "groupTag": "Kiosk",
            "assignedUserPrincipalName": "kiosk@contoso.com",
            "id": "ignored", "importId": "ignored", "state": {"deviceImportStatus": "complete"}
        })),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let created: Json = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(
        location.ends_with(&format!("/beta/{IMPORTED}/{id}")),
        "{location}"
    );
    assert_eq!(
        created["importId"], id,
        "a posted record's importId is its id"
    );
    assert_eq!(
        created["state"],
        json!({"deviceImportStatus": "unknown", "deviceRegistrationId": "", "deviceErrorCode": 0, "deviceErrorName": ""})
    );
    assert_eq!(created["hardwareIdentifier"], HASH);
    assert!(
        created["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/beta/$metadata#{IMPORTED}/$entity"))
    );

    // Still unknown within the delay, as scripts expect to see while they poll.
    let early = get_ok(&app, &format!("beta/{IMPORTED}/{id}")).await;
    assert_eq!(early["state"]["deviceImportStatus"], "unknown");

    let record = processed(&app, "beta", id).await;
    assert_eq!(
        error_of_state(&record),
        ("complete".into(), 0, String::new())
    );
    let device_id = record["state"]["deviceRegistrationId"].as_str().unwrap();
    let device = get_ok(&app, &format!("beta/{DEVICES}/{device_id}")).await;
    assert_eq!(device["serialNumber"], "IMP-1");
    assert_eq!(device["productKey"], "PK-1");
    assert_eq!(device["groupTag"], "Kiosk");
    assert_eq!(device["userPrincipalName"], "kiosk@contoso.com");
    assert_eq!(device["enrollmentState"], "notContacted");
    assert_eq!(device["deploymentProfileAssignmentStatus"], "notAssigned");
    assert_eq!(device["lastContactedDateTime"], "0001-01-01T00:00:00Z");
    let hash: Vec<u8> = sqlx::query_scalar("SELECT hardware_identifier FROM device_identities")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(
        hash, b"OFFICIAL HARDWARE HASH!!",
        "the device keeps the hash"
    );

    // Deleting the record leaves the device.
    let deleted = send(&app, Method::DELETE, &format!("beta/{IMPORTED}/{id}"), None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = send(&app, Method::GET, &format!("beta/{IMPORTED}/{id}"), None).await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let again = send(&app, Method::DELETE, &format!("beta/{IMPORTED}/{id}"), None).await;
    error_of(again, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert_eq!(app.device_rows().await, 1);
}

#[tokio::test]
async fn every_outcome_of_the_table() {
    let app = app().await;
    // A device of this tenant already has the serial.
    let existing = send(
        &app,
        Method::POST,
        &format!("v1.0/{DEVICES}"),
        Some(json!({"serialNumber": "TAKEN"})),
    )
    .await;
    assert_eq!(existing.status(), StatusCode::CREATED);

    let cases = [
        (
            json!({"hardwareIdentifier": HASH}),
            ("error", 803, "MissingZtdSerialNumberAndProductKey"),
        ),
        (
            json!({"productKey": "PK", "hardwareIdentifier": HASH}),
            ("error", 803, "MissingZtdSerialNumberAndProductKey"),
        ),
        (
            json!({"serialNumber": "NOHASH"}),
            ("error", 802, "InvalidZtdHardwareHash"),
        ),
        (
            json!({"serialNumber": "EMPTYHASH", "hardwareIdentifier": ""}),
            ("error", 802, "InvalidZtdHardwareHash"),
        ),
        (
            json!({"serialNumber": "taken", "hardwareIdentifier": HASH}),
            ("error", 806, "ZtdDeviceAlreadyAssigned"),
        ),
        (
            json!({"serialNumber": "FRESH", "hardwareIdentifier": HASH}),
            ("complete", 0, ""),
        ),
    ];
    for (record, (status, code, name)) in cases {
        let created = import_one(&app, "v1.0", record.clone()).await;
        let done = processed(&app, "v1.0", created["id"].as_str().unwrap()).await;
        assert_eq!(
            error_of_state(&done),
            (status.to_owned(), code, name.to_owned()),
            "{record}"
        );
        assert_eq!(
            done["state"]["deviceRegistrationId"] == "",
            status == "error",
            "{done}"
        );
    }
    // Only FRESH became a device, beside the one that was there.
    assert_eq!(app.device_rows().await, 2);
}

#[tokio::test]
async fn a_serial_of_another_tenant_is_808_and_the_second_of_a_batch_is_806() {
    let secret = "imports-test-secret-of-32-bytes-at-least";
    let app = spawn_app_with(
        &fresh_database().await,
        &[
            "--import-delay",
            "0",
            "--auth",
            "jwt",
            "--jwt-secret",
            secret,
        ],
    )
    .await;
    let token = |tenant: Uuid| {
        mint_token(
            secret,
            GRAPH_AUDIENCES[0],
            None,
            tenant,
            &["DeviceManagementServiceConfig.ReadWrite.All".to_owned()],
            None,
            Duration::from_secs(600),
        )
    };
    let (first, second) = (token(Uuid::new_v4()), token(Uuid::new_v4()));
    let import = |token: String, records: Json| {
        let client = app.client.clone();
        let url = app.url(&format!("beta/{IMPORTED}/import"));
        async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"importedWindowsAutopilotDeviceIdentities": records}))
                .send()
                .await
                .unwrap();
            body_of(response, StatusCode::OK).await
        }
    };
    let mine = import(
        first.clone(),
        json!([
            {"serialNumber": "SHARED-1", "hardwareIdentifier": HASH},
            {"serialNumber": "shared-1", "hardwareIdentifier": HASH}
        ]),
    )
    .await;
    let wait = |token: String, id: String| {
        let client = app.client.clone();
        let url = app.url(&format!("beta/{IMPORTED}/{id}"));
        async move {
            let deadline = Instant::now() + PROCESSED_WITHIN;
            loop {
                let record: Json = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if record["state"]["deviceImportStatus"] != "unknown" {
                    return record;
                }
                assert!(Instant::now() < deadline, "{record}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let value = mine["value"].as_array().unwrap();
    let a = wait(first.clone(), value[0]["id"].as_str().unwrap().to_owned()).await;
    let b = wait(first.clone(), value[1]["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(error_of_state(&a), ("complete".into(), 0, String::new()));
    assert_eq!(
        error_of_state(&b),
        ("error".into(), 806, "ZtdDeviceAlreadyAssigned".into()),
        "the second record of one batch with the same serial"
    );

    let theirs = import(
        second.clone(),
        json!([{"serialNumber": "Shared-1", "hardwareIdentifier": HASH}]),
    )
    .await;
    let c = wait(
        second.clone(),
        theirs["value"][0]["id"].as_str().unwrap().to_owned(),
    )
    .await;
    assert_eq!(
        error_of_state(&c),
        ("error".into(), 808, "ZtdDeviceAssignedToOtherTenant".into())
    );

    // Neither tenant sees the other's records.
    let listed: Json = app
        .client
        .get(app.url(&format!("beta/{IMPORTED}")))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["value"].as_array().unwrap().len(), 1);
    let foreign = app
        .client
        .get(app.url(&format!("beta/{IMPORTED}/{}", a["id"].as_str().unwrap())))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    error_of(foreign, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    // Reading does not let a token write.
    let reader = mint_token(
        secret,
        GRAPH_AUDIENCES[0],
        None,
        Uuid::new_v4(),
        &["DeviceManagementServiceConfig.Read.All".to_owned()],
        None,
        Duration::from_secs(600),
    );
    let refused = app
        .client
        .post(app.url(&format!("beta/{IMPORTED}")))
        .bearer_auth(&reader)
        .json(&json!({"serialNumber": "NOPE"}))
        .send()
        .await
        .unwrap();
    error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
}

#[tokio::test]
async fn import_takes_500_records_of_real_size_and_refuses_501() {
    // Processing is held back, so every record answers `unknown`.
    let app = spawn_app_with(&fresh_database().await, &["--import-delay", "600"]).await;
    // About 4,000 base64 characters, as a real hardware hash.
    let hash = HASH.repeat(125);
    let records: Vec<Json> = (0..500)
        .map(|i| json!({"serialNumber": format!("BULK-{i:03}"), "hardwareIdentifier": hash, "groupTag": "Bulk"}))
        .collect();
    let body = json!({"importedWindowsAutopilotDeviceIdentities": records});
    assert!(body.to_string().len() > 2_000_000, "a real-size import");
    let answer = body_of(
        send(
            &app,
            Method::POST,
            &format!("v1.0/{IMPORTED}/import"),
            Some(body),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        answer["@odata.context"].as_str().unwrap().ends_with(
            "/v1.0/$metadata#Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)"
        ),
        "{}",
        answer["@odata.context"]
    );
    let value = answer["value"].as_array().unwrap();
    assert_eq!(value.len(), 500);
    let import_id = value[0]["importId"].as_str().unwrap();
    assert!(Uuid::parse_str(import_id).is_ok());
    for (i, record) in value.iter().enumerate() {
        assert_eq!(
            record["serialNumber"],
            format!("BULK-{i:03}"),
            "in the order sent"
        );
        assert_eq!(record["importId"], import_id, "one importId per call");
        assert_eq!(record["state"]["deviceImportStatus"], "unknown");
        assert_ne!(record["id"], import_id);
    }

    let too_many: Vec<Json> = (0..501)
        .map(|i| json!({"serialNumber": format!("X{i}")}))
        .collect();
    let refused = send(
        &app,
        Method::POST,
        &format!("v1.0/{IMPORTED}/import"),
        Some(json!({"importedWindowsAutopilotDeviceIdentities": too_many})),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    // One bad record refuses the whole call, naming it; nothing is stored.
    let refused = send(
        &app,
        Method::POST,
        &format!("v1.0/{IMPORTED}/import"),
        Some(json!({"importedWindowsAutopilotDeviceIdentities": [{"serialNumber": "OK"}, {"serialNumber": 7}]})),
    )
    .await;
    let body = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        body["error"]["details"][0]["target"],
        "importedWindowsAutopilotDeviceIdentities[1].serialNumber"
    );
    let count = send(&app, Method::GET, &format!("v1.0/{IMPORTED}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "500");
    // Found by schema fuzzing: an empty import was a 500 (an INSERT of no rows).
    let empty = body_of(
        send(
            &app,
            Method::POST,
            &format!("v1.0/{IMPORTED}/import"),
            Some(json!({"importedWindowsAutopilotDeviceIdentities": []})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty["value"], json!([]));
}

#[tokio::test]
async fn lists_filter_on_serial_group_tag_import_and_status() {
    let app = app().await;
    let batch = body_of(
        send(
            &app,
            Method::POST,
            &format!("beta/{IMPORTED}/import"),
            Some(json!({"importedWindowsAutopilotDeviceIdentities": [
                {"serialNumber": "F-0046", "hardwareIdentifier": HASH, "orderIdentifier": "Lab"},
                {"serialNumber": "F-0047"}
            ]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let import_id = batch["value"][0]["importId"].as_str().unwrap().to_owned();
    assert_eq!(
        batch["value"][0]["groupTag"], "Lab",
        "beta's orderIdentifier is groupTag"
    );
    for record in batch["value"].as_array().unwrap() {
        processed(&app, "beta", record["id"].as_str().unwrap()).await;
    }
    let other = import_one(
        &app,
        "beta",
        json!({"serialNumber": "G-1", "hardwareIdentifier": HASH}),
    )
    .await;
    processed(&app, "beta", other["id"].as_str().unwrap()).await;

    let serials = |filter: String| {
        let app = &app;
        async move {
            let page = get_ok(
                app,
                &format!(
                    "beta/{IMPORTED}?$filter={}&$orderby=serialNumber",
                    urlencode(&filter)
                ),
            )
            .await;
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["serialNumber"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        serials("contains(serialNumber,'0046')".into()).await,
        ["F-0046"]
    );
    assert_eq!(serials("groupTag eq 'lab'".into()).await, ["F-0046"]);
    assert_eq!(
        serials(format!("importId eq '{import_id}'")).await,
        ["F-0046", "F-0047"]
    );
    assert_eq!(
        serials("state/deviceImportStatus eq 'error'".into()).await,
        ["F-0047"]
    );
    assert_eq!(
        serials("state/deviceImportStatus eq 'complete'".into()).await,
        ["F-0046", "G-1"]
    );
    let count = send(
        &app,
        Method::GET,
        &format!(
            "beta/{IMPORTED}/$count?$filter={}",
            urlencode("state/deviceImportStatus eq 'complete'")
        ),
        None,
    )
    .await;
    assert_eq!(count.text().await.unwrap(), "2");
    // $select names top-level properties, the complex one included.
    let selected = get_ok(&app, &format!("beta/{IMPORTED}?$select=serialNumber,state")).await;
    let first = selected["value"][0].as_object().unwrap();
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first["state"]["deviceImportStatus"].is_string());
    // A property that cannot be filtered on is refused by name.
    let refused = send(
        &app,
        Method::GET,
        &format!(
            "beta/{IMPORTED}?$filter={}",
            urlencode("state/deviceErrorCode eq 806")
        ),
        None,
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn bad_input_gets_graphs_errors_and_changes_nothing() {
    let app = app().await;
    let created = import_one(&app, "v1.0", json!({"serialNumber": "KEEP"})).await;
    let id = created["id"].as_str().unwrap();
    // Graph has no update of an imported identity, though the SDKs' builders have one: it answers
    // its route-template 400 (microsoft-graph-docs-contrib issue 7499).
    for version in ["v1.0", "beta"] {
        let patched = send(
            &app,
            Method::PATCH,
            &format!("{version}/{IMPORTED}/{id}"),
            Some(json!({"serialNumber": "CHANGED"})),
        )
        .await;
        let body = error_of(
            patched,
            StatusCode::BAD_REQUEST,
            "No method match route template",
        )
        .await;
        assert!(
            body["error"]["message"].as_str().unwrap().contains(
                "No OData route exists that match template ~/singleton/navigation/key with http verb PATCH"
            ),
            "{body}"
        );
    }
    for (version, record) in [
        ("v1.0", json!({"hardwareIdentifier": "not base64!"})),
        ("v1.0", json!({"orderIdentifier": "beta only"})),
        ("v1.0", json!({"serialNumber": ["a"]})),
        ("beta", json!({"deviceImportStatus": "complete"})),
    ] {
        let refused = send(
            &app,
            Method::POST,
            &format!("{version}/{IMPORTED}"),
            Some(record),
        )
        .await;
        error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    let unknown = send(
        &app,
        Method::GET,
        &format!("v1.0/{IMPORTED}/not-a-guid"),
        None,
    )
    .await;
    error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let count = send(&app, Method::GET, &format!("v1.0/{IMPORTED}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "1");
    let kept = processed(&app, "v1.0", id).await;
    assert_eq!(kept["serialNumber"], "KEEP");
    // base64url is tolerated on input and written back as standard base64.
    let url_safe = import_one(
        &app,
        "v1.0",
        json!({"serialNumber": "URL", "hardwareIdentifier": "-_-_"}),
    )
    .await;
    assert_eq!(url_safe["hardwareIdentifier"], "+/+/");
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
