use autopilot_registry::domain::ApiVersion;
use autopilot_registry::domain::device_identity::DEVICE_IDENTITIES;
use autopilot_registry::domain::entity::Kind;
use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::helpers::{COLLECTION, error_of, spawn_app, spawn_app_on};

fn seed(name: &str) -> Json {
    let text = match name {
        // The seed's request: the OpenAPI document's example with the `@odata.type` that Graph's
        // own example sends (the document's v1.0 schema has no such property).
        "request" => include_str!("fixtures/seed-create-request.json"),
        _ => include_str!("fixtures/seed-create-response.json"),
    };
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn the_seed_request_creates_the_seed_response() {
    let app = spawn_app().await;
    let response = app.create("v1.0", &seed("request")).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"],
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    );
    assert_eq!(headers["odata-version"], "4.0");
    let request_id = headers["request-id"].to_str().unwrap();
    assert!(Uuid::parse_str(request_id).is_ok());
    assert_eq!(headers["client-request-id"], request_id);

    let mut body: Json = response.json().await.unwrap();
    let id = body["id"].as_str().expect("an id").to_owned();
    assert!(Uuid::parse_str(&id).is_ok());
    assert_eq!(
        headers["location"],
        app.url(&format!("v1.0/{COLLECTION}/{id}")).as_str()
    );
    assert_eq!(
        body["@odata.context"],
        app.url(&format!("v1.0/$metadata#{COLLECTION}/$entity"))
            .as_str()
    );

    // Equal to the seed's response but for the new id, the absent @odata.type and the date in UTC
    // (kept to the microsecond, as PostgreSQL stores it).
    let mut expected = seed("response");
    let object = expected.as_object_mut().unwrap();
    object.remove("@odata.type");
    object.insert("id".into(), json!(id));
    object.insert(
        "lastContactedDateTime".into(),
        json!("2017-01-01T07:58:44.290899Z"),
    );
    body.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(body, expected);
}

#[tokio::test]
async fn the_row_is_committed_and_survives_a_restart_of_the_service() {
    let app = spawn_app().await;
    let created = app.create_ok("v1.0", &seed("request")).await;
    let id = created["id"].as_str().unwrap().to_owned();

    let stored: String =
        sqlx::query_scalar("SELECT serial_number FROM device_identities WHERE id = $1")
            .bind(Uuid::parse_str(&id).unwrap())
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!(stored, "Serial Number value");

    let database_url = app.database_url.clone();
    app.stop().await;
    let restarted = spawn_app_on(&database_url).await;
    let response = restarted.get(&format!("v1.0/{COLLECTION}/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut fetched: Json = response.json().await.unwrap();
    let mut created = created;
    for body in [&mut fetched, &mut created] {
        body.as_object_mut().unwrap().remove("@odata.context");
    }
    assert_eq!(fetched, created);
}

#[tokio::test]
async fn a_minimal_device_gets_graphs_defaults_and_nulls() {
    let app = spawn_app().await;
    let body = app
        .create_ok("v1.0", &json!({"serialNumber": "SN-1"}))
        .await;
    assert_eq!(body["enrollmentState"], "notContacted");
    assert_eq!(body["lastContactedDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(body["displayName"], Json::Null);
    assert_eq!(body["groupTag"], Json::Null);
    // Every v1.0 property and the context; none of beta's.
    let v1_properties = DEVICE_IDENTITIES
        .properties
        .iter()
        .filter(|p| p.exists_in(ApiVersion::V1) && !p.secret)
        .count();
    assert_eq!(body.as_object().unwrap().len(), v1_properties + 1);
    assert!(body.get("deviceFriendlyName").is_none());
}

#[tokio::test]
async fn beta_accepts_its_properties_and_never_echoes_the_password() {
    let app = spawn_app().await;
    let body = app
        .create_ok(
            "beta",
            &json!({
                "serialNumber": "SN-BETA",
                "deviceFriendlyName": "Room 4",
                "deviceAccountUpn": "room4@contoso.com",
                "deviceAccountPassword": "s3cret",
                "azureAdDeviceId": "aad-1",
                "enrollmentState": "blocked",
                "remediationState": "manualRemediationRequired",
                "deploymentProfileAssignedDateTime": "2024-05-06T07:08:09+02:00",
            }),
        )
        .await;
    assert_eq!(body["deviceFriendlyName"], "Room 4");
    assert_eq!(body["enrollmentState"], "blocked");
    assert_eq!(
        body["deploymentProfileAssignedDateTime"],
        "2024-05-06T05:08:09Z"
    );
    assert_eq!(body["deploymentProfileAssignmentStatus"], "notAssigned");
    assert_eq!(body["userlessEnrollmentStatus"], "unknown");
    assert!(body.get("deviceAccountPassword").is_none());
    assert!(!body.to_string().contains("s3cret"));
    assert!(
        body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities/$entity")
    );
    let stored: String =
        sqlx::query_scalar("SELECT device_account_password FROM device_identities")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!(stored, "s3cret");

    // The same device read on v1.0 shows v1.0's properties only.
    let v1: Json = app
        .get(&format!(
            "v1.0/{COLLECTION}/{}",
            body["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert!(v1.get("deviceFriendlyName").is_none());
    assert_eq!(v1["serialNumber"], "SN-BETA");
    // v1.0's enrollmentState has no `blocked`: it shows the enum's catch-all.
    assert_eq!(v1["enrollmentState"], "unknown");
}

#[tokio::test]
async fn v1_refuses_beta_properties() {
    let app = spawn_app().await;
    for property in [
        "deviceFriendlyName",
        "deviceAccountPassword",
        "remediationState",
    ] {
        let response = app
            .create("v1.0", &json!({"serialNumber": "SN", property: "x"}))
            .await;
        let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert_eq!(body["error"]["details"][0]["target"], property);
    }
    assert_eq!(app.device_rows().await, 0);
}

#[tokio::test]
async fn every_enum_member_the_wire_knows_is_stored() {
    // The migration's CHECK constraints and the property table must agree.
    let app = spawn_app().await;
    for (i, property) in DEVICE_IDENTITIES.properties.iter().enumerate() {
        if let Kind::Enum(enum_type) = property.kind {
            for (j, member) in enum_type.members_on(ApiVersion::Beta).enumerate() {
                let body = json!({"serialNumber": format!("SN-{i}-{j}"), property.name: member});
                let created = app.create_ok("beta", &body).await;
                assert_eq!(created[property.name], member);
            }
        }
    }
}

#[tokio::test]
async fn a_serial_number_is_unique_in_the_tenant_whatever_its_case() {
    let app = spawn_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "ABC-123"}))
        .await;
    let response = app
        .create("beta", &json!({"serialNumber": "abc-123"}))
        .await;
    let body = error_of(response, StatusCode::CONFLICT, "Conflict").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ZtdDeviceAlreadyAssigned")
    );
    assert_eq!(app.device_rows().await, 1);
}

#[tokio::test]
async fn twenty_concurrent_creates_of_one_serial_give_one_device() {
    let app = spawn_app().await;
    let body = json!({"serialNumber": "RACE-1"});
    let responses =
        futures_util::future::join_all((0..20).map(|_| app.create("v1.0", &body))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [vec![201], vec![409; 19]].concat());
    assert_eq!(app.device_rows().await, 1);
}

/// Concurrent creates share one INSERT; a row the database refuses (here through a trigger) must
/// fail alone, and a duplicate inside the group must be a 409 while its neighbours are stored.
#[tokio::test]
async fn one_refused_row_does_not_fail_the_creates_grouped_with_it() {
    let app = spawn_app().await;
    let db = app.db().await;
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.serial_number = 'POISON' THEN RAISE EXCEPTION 'refused'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER refuse_poison BEFORE INSERT ON device_identities \
         FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
    )
    .execute(&db)
    .await
    .unwrap();
    // Hold the inserts on a lock so the creates queue up and go in as groups once it is released.
    let mut lock = db.begin().await.unwrap();
    sqlx::query("LOCK TABLE device_identities IN EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let mut serials: Vec<String> = (0..30).map(|n| format!("GROUPED-{n}")).collect();
    serials.insert(15, "POISON".into());
    serials.insert(20, "grouped-3".into()); // GROUPED-3 in another case
    let bodies: Vec<serde_json::Value> = serials
        .iter()
        .map(|serial| json!({"serialNumber": serial}))
        .collect();
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        lock.commit().await.unwrap();
    };
    let (responses, ()) = tokio::join!(
        futures_util::future::join_all(bodies.iter().map(|body| app.create("v1.0", body))),
        release
    );

    let mut stored = 0;
    for (serial, response) in serials.iter().zip(responses) {
        match serial.as_str() {
            "POISON" => {
                error_of(
                    response,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                )
                .await;
            }
            "GROUPED-3" | "grouped-3" => {
                let status = response.status();
                assert!(status == StatusCode::CREATED || status == StatusCode::CONFLICT);
                stored += usize::from(status == StatusCode::CREATED);
            }
            _ => {
                assert_eq!(response.status(), StatusCode::CREATED, "{serial}");
                stored += 1;
            }
        }
    }
    assert_eq!(stored, 30);
    assert_eq!(app.device_rows().await, 30);
}

#[tokio::test]
async fn a_client_request_id_is_echoed_and_annotations_and_id_are_ignored() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.collection_url("v1.0"))
        .header("client-request-id", "my-call-42")
        .json(&json!({
            "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity",
            "@odata.context": "whatever",
            "id": "00000000-0000-0000-0000-000000000001",
            "serialNumber": "SN-ANNOTATED",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["client-request-id"], "my-call-42");
    let body: Json = response.json().await.unwrap();
    assert_ne!(body["id"], "00000000-0000-0000-0000-000000000001");
}

#[tokio::test]
async fn an_overlong_client_request_id_is_replaced_by_the_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.collection_url("v1.0"))
        .header("client-request-id", "x".repeat(200))
        .json(&json!({"serialNumber": "SN-LONG-ID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["client-request-id"],
        response.headers()["request-id"]
    );
}
