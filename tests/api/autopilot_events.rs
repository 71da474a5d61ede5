//! Autopilot events (beta, issue 27): events seeded through the control plane's import-state are
//! listed with the filters, order and paging report scripts use, read with their phases'
//! durations and their policy status details (as a navigation and by `$expand`), deleted with
//! their details; beta only, permission-checked and tenant-isolated.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{READ, claims, hs256};
use crate::control::{graph, guarded_app, import_state};
use crate::helpers::{TestApp, body_of, error_of, send_as};

const EVENTS: &str = "beta/deviceManagement/autopilotEvents";

/// Three events of three devices on three days, the first with two policy status details.
async fn seed(app: &TestApp, tenant: Uuid) -> [String; 3] {
    let ids = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()].map(|id| id.to_string());
    let event = |id: &str, serial: &str, day: u32, state: &str| {
        json!({"id": id, "device_serial_number": serial, "managed_device_name": format!("KIOSK-{serial}"),
               "event_date_time": format!("2026-12-0{day}T10:00:00Z"),
               "enrollment_start_date_time": format!("2026-12-0{day}T09:40:00Z"),
               "deployment_start_date_time": format!("2026-12-0{day}T09:41:00Z"),
               "deployment_end_date_time": format!("2026-12-0{day}T10:00:00Z"),
               "deployment_state": state, "device_setup_status": state,
               "account_setup_status": "success", "enrollment_state": "enrolled",
               "enrollment_type": "azureADJoinedWithAutopilotProfile",
               "device_setup_duration": "00:04:30", "account_setup_duration": "00:02:00",
               "deployment_duration": "00:19:00", "deployment_total_duration": "00:20:00",
               "windows_autopilot_deployment_profile_display_name": "Kiosk",
               "windows10_enrollment_completion_page_configuration_display_name": "All users and all devices"})
    };
    let detail = |event: &str, name: &str| {
        json!({"id": Uuid::new_v4(), "autopilot_event_id": event, "display_name": name,
               "policy_type": "application", "compliance_status": "installed",
               "tracked_on_enrollment_status": true,
               "last_reported_date_time": "2026-12-01T09:50:00Z"})
    };
    let document = json!({"tables": {
        "autopilot_events": [event(&ids[0], "EV-1", 1, "success"),
                             event(&ids[1], "EV-2", 2, "failure"),
                             event(&ids[2], "EV-3", 3, "success")],
        "autopilot_event_policy_status_details": [detail(&ids[0], "Company Portal"),
                                                  detail(&ids[0], "Office")],
    }});
    import_state(app, tenant, document).await;
    ids
}

async fn ok(app: &TestApp, tenant: Uuid, path: &str) -> Json {
    body_of(
        graph(app, tenant, Method::GET, path, None).await,
        StatusCode::OK,
    )
    .await
}

fn serials(page: &Json) -> Vec<&str> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["deviceSerialNumber"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn events_are_listed_filtered_ordered_and_paged_as_report_scripts_ask() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let ids = seed(&app, tenant).await;

    let page = ok(
        &app,
        tenant,
        &format!("{EVENTS}?$filter=deviceSerialNumber eq 'ev-2'"),
    )
    .await;
    assert_eq!(
        serials(&page),
        ["EV-2"],
        "case-insensitive, as Graph's strings"
    );
    let path = format!(
        "{EVENTS}?$filter=eventDateTime ge 2026-12-02T00:00:00Z&$orderby=eventDateTime desc&$count=true"
    );
    let page = ok(&app, tenant, &path).await;
    assert_eq!(serials(&page), ["EV-3", "EV-2"]);
    assert_eq!(page["@odata.count"], 2);

    let first = ok(
        &app,
        tenant,
        &format!("{EVENTS}?$orderby=eventDateTime desc&$top=2"),
    )
    .await;
    assert_eq!(serials(&first), ["EV-3", "EV-2"]);
    let next = first["@odata.nextLink"].as_str().expect("a next page");
    let token = hs256(&claims(tenant, &[READ]));
    let response = app
        .client
        .get(next)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let rest = body_of(response, StatusCode::OK).await;
    assert_eq!(serials(&rest), ["EV-1"]);
    assert!(rest.get("@odata.nextLink").is_none());
    let count = graph(&app, tenant, Method::GET, &format!("{EVENTS}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "3");

    let event = ok(&app, tenant, &format!("{EVENTS}/{}", ids[0])).await;
    assert_eq!(
        event["@odata.context"],
        format!(
            "{}beta/$metadata#deviceManagement/autopilotEvents/$entity",
            app.url("")
        )
    );
    assert_eq!(event["deviceSetupDuration"], "PT4M30S");
    assert_eq!(event["accountSetupDuration"], "PT2M");
    assert_eq!(event["deploymentTotalDuration"], "PT20M");
    assert_eq!(event["deploymentStartDateTime"], "2026-12-01T09:41:00Z");
    assert_eq!(event["deviceRegisteredDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(event["enrollmentType"], "azureADJoinedWithAutopilotProfile");
    assert_eq!(event["deviceId"], Json::Null);
}

#[tokio::test]
async fn policy_status_details_are_read_below_their_event_and_expanded() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let ids = seed(&app, tenant).await;

    let details = ok(
        &app,
        tenant,
        &format!("{EVENTS}/{}/policyStatusDetails", ids[0]),
    )
    .await;
    let names: Vec<&str> = details["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Company Portal") && names.contains(&"Office"));
    let detail = &details["value"][0];
    assert_eq!(detail["policyType"], "application");
    assert_eq!(detail["complianceStatus"], "installed");
    assert_eq!(detail["errorCode"], 0);
    let detail_id = detail["id"].as_str().unwrap();
    let one = ok(
        &app,
        tenant,
        &format!("{EVENTS}/{}/policyStatusDetails/{detail_id}", ids[0]),
    )
    .await;
    assert_eq!(one["displayName"], detail["displayName"]);
    // Below another event, the detail is not there.
    let elsewhere = format!("{EVENTS}/{}/policyStatusDetails/{detail_id}", ids[1]);
    error_of(
        graph(&app, tenant, Method::GET, &elsewhere, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let empty = ok(
        &app,
        tenant,
        &format!("{EVENTS}/{}/policyStatusDetails", ids[1]),
    )
    .await;
    assert_eq!(empty["value"], json!([]));

    let expanded = ok(
        &app,
        tenant,
        &format!("{EVENTS}?$expand=policyStatusDetails&$orderby=eventDateTime"),
    )
    .await;
    let counts: Vec<usize> = expanded["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["policyStatusDetails"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [2, 0, 0]);
    let one = ok(
        &app,
        tenant,
        &format!("{EVENTS}/{}?$expand=policyStatusDetails", ids[0]),
    )
    .await;
    assert_eq!(one["policyStatusDetails"].as_array().unwrap().len(), 2);

    // A detail is created below its event, and only below one the tenant has.
    let body = json!({"displayName": "Edge", "policyType": "application", "complianceStatus": "error", "errorCode": -2016345060});
    let path = format!("{EVENTS}/{}/policyStatusDetails", ids[1]);
    let response = graph(&app, tenant, Method::POST, &path, Some(body.clone())).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = body_of(response, StatusCode::CREATED).await;
    assert_eq!(created["errorCode"], -2016345060);
    assert!(location.ends_with(&format!("{path}/{}", created["id"].as_str().unwrap())));
    let missing = format!("{EVENTS}/{}/policyStatusDetails", Uuid::new_v4());
    error_of(
        graph(&app, tenant, Method::POST, &missing, Some(body)).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // Deleting the event takes its details with it.
    let event = format!("{EVENTS}/{}", ids[0]);
    body_of(
        graph(&app, tenant, Method::DELETE, &event, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    error_of(
        graph(&app, tenant, Method::GET, &event, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM autopilot_event_policy_status_details WHERE tenant_id = $1 AND autopilot_event_id = $2",
    )
    .bind(tenant)
    .bind(Uuid::parse_str(&ids[0]).unwrap())
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn events_are_beta_only_checked_permissioned_and_tenant_isolated() {
    let app = guarded_app().await;
    let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
    let ids = seed(&app, tenant).await;

    let v1 = graph(
        &app,
        tenant,
        Method::GET,
        "v1.0/deviceManagement/autopilotEvents",
        None,
    )
    .await;
    error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;

    let reader = hs256(&claims(tenant, &[READ]));
    let event = format!("{EVENTS}/{}", ids[0]);
    body_of(
        send_as(&app, &reader, Method::GET, &event, None).await,
        StatusCode::OK,
    )
    .await;
    let refused = send_as(&app, &reader, Method::DELETE, &event, None).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let page = ok(&app, other, EVENTS).await;
    assert_eq!(page["value"], json!([]));
    error_of(
        graph(&app, other, Method::GET, &event, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let details = format!("{event}/policyStatusDetails");
    error_of(
        graph(&app, other, Method::GET, &details, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // Durations and enum members are checked as Graph checks them.
    let bad = json!({"deviceSetupDuration": "4 minutes"});
    let error = error_of(
        graph(&app, tenant, Method::PATCH, &event, Some(bad)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(error.to_string().contains("Edm.Duration"), "{error}");
    let bad = json!({"deploymentState": "done"});
    error_of(
        graph(&app, tenant, Method::PATCH, &event, Some(bad)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    let changed = json!({"deviceSetupDuration": "PT1H", "managedDeviceName": "RENAMED"});
    let event_now = body_of(
        graph(&app, tenant, Method::PATCH, &event, Some(changed)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(event_now["deviceSetupDuration"], "PT1H");
    assert_eq!(event_now["managedDeviceName"], "RENAMED");
    let filter = format!("{EVENTS}?$filter=deviceSetupDuration eq duration'PT1H'");
    error_of(
        graph(&app, tenant, Method::GET, &filter, None).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
}
