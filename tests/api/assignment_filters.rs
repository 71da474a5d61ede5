//! deviceManagement/assignmentFilters (beta, issue 26 item 2): a filter is created with a rule
//! checked against its platform's grammar, listed, read, changed and deleted; `validateFilter`,
//! `getSupportedProperties` and `getPlatformSupportedProperties(platform='...')` answer as
//! Graph's, alone and through `$batch`; `enable` and `getState` keep each tenant's filters on or
//! off (issue 25); filters are tenant-isolated and need Graph's DeviceManagementConfiguration
//! permissions; a deployment profile assignment still refuses a real filter.

use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{CONFIGURATION_WRITE, SECRET, WRITE, claims, hs256};
use crate::helpers::{
    TestApp, body_of, create_profile, error_of, fresh_database, send, send_as, spawn_app,
    spawn_app_with,
};

const FILTERS: &str = "beta/deviceManagement/assignmentFilters";
const CONFIGURATION_READ: &str = "DeviceManagementConfiguration.Read.All";

fn kiosk_filter() -> Json {
    json!({
        "@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
        "displayName": "Surface kiosks",
        "description": "corporate Surfaces",
        "platform": "windows10AndLater",
        "rule": "(device.manufacturer -eq \"Microsoft\") and (device.model -startsWith \"Surface\")",
        "roleScopeTags": ["0"],
        "createdDateTime": "2001-01-01T00:00:00Z"
    })
}

async fn created(app: &TestApp, body: Json) -> Json {
    body_of(
        send(app, Method::POST, FILTERS, Some(body)).await,
        StatusCode::CREATED,
    )
    .await
}

/// The one error detail of a 400.
async fn refused(response: reqwest::Response) -> (String, String) {
    let error = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    let detail = &error["error"]["details"][0];
    (
        detail["target"].as_str().unwrap_or_default().to_owned(),
        detail["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_filter_is_created_listed_read_changed_and_deleted_with_its_rule_checked() {
    let app = spawn_app().await;
    let response = send(&app, Method::POST, FILTERS, Some(kiosk_filter())).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let filter = body_of(response, StatusCode::CREATED).await;
    let id = filter["id"].as_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("{FILTERS}/{id}")), "{location}");
    assert_eq!(filter["platform"], "windows10AndLater");
    assert_eq!(filter["assignmentFilterManagementType"], "devices");
    assert_eq!(filter["roleScopeTags"], json!(["0"]));
    assert_eq!(filter["evaluationMode"], Json::Null);
    assert_ne!(
        filter["createdDateTime"], "2001-01-01T00:00:00Z",
        "the server sets it"
    );
    assert!(filter["lastModifiedDateTime"].is_string());

    let listed = body_of(
        send(
            &app,
            Method::GET,
            &format!("{FILTERS}?$filter=displayName eq 'Surface kiosks'&$select=id,rule"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["value"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["value"][0]["rule"], filter["rule"]);
    let item = format!("{FILTERS}/{id}");
    let read = body_of(send(&app, Method::GET, &item, None).await, StatusCode::OK).await;
    assert_eq!(read["rule"], filter["rule"]);

    // A rule off the grammar, on create or PATCH, is a 400 on `rule` naming the part; nothing
    // changes.
    let mut bad = kiosk_filter();
    bad["rule"] = json!("(device.colour -eq \"red\")");
    let (target, message) = refused(send(&app, Method::POST, FILTERS, Some(bad)).await).await;
    assert_eq!(target, "rule");
    assert!(
        message.contains("'device.colour'") && message.contains("character 2"),
        "{message}"
    );
    let (target, message) = refused(
        send(
            &app,
            Method::PATCH,
            &item,
            Some(json!({"rule": "(device.model -startsWith \"Surface\""})),
        )
        .await,
    )
    .await;
    assert_eq!(target, "rule");
    assert!(message.contains("')'"), "{message}");
    let sku_rule =
        json!({"rule": "(device.operatingSystemSKU -in [\"Enterprise\", \"Education\"])"});
    let patched = body_of(
        send(&app, Method::PATCH, &item, Some(sku_rule)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        patched["rule"],
        "(device.operatingSystemSKU -in [\"Enterprise\", \"Education\"])"
    );
    // A platform whose grammar the stored rule breaks is refused too: iOS has no SKUs.
    let (target, message) =
        refused(send(&app, Method::PATCH, &item, Some(json!({"platform": "iOS"}))).await).await;
    assert_eq!(target, "rule");
    assert!(message.contains("device.operatingSystemSKU"), "{message}");
    // A management type that is not the platform's.
    let (target, _) = refused(
        send(
            &app,
            Method::PATCH,
            &item,
            Some(json!({"assignmentFilterManagementType": "apps"})),
        )
        .await,
    )
    .await;
    assert_eq!(target, "assignmentFilterManagementType");
    let read = body_of(send(&app, Method::GET, &item, None).await, StatusCode::OK).await;
    assert_eq!(read["rule"], patched["rule"]);
    assert_eq!(read["platform"], "windows10AndLater");

    // Required properties on create.
    for missing in ["displayName", "platform", "rule"] {
        let mut body = kiosk_filter();
        body.as_object_mut().unwrap().remove(missing);
        let (target, _) = refused(send(&app, Method::POST, FILTERS, Some(body)).await).await;
        assert_eq!(target, missing);
    }

    let count = send(&app, Method::GET, &format!("{FILTERS}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "1");
    body_of(
        send(&app, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    error_of(
        send(&app, Method::GET, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // Beta only, as in Graph's v1.0 SDK.
    let v1 = send(
        &app,
        Method::GET,
        "v1.0/deviceManagement/assignmentFilters",
        None,
    )
    .await;
    let error = error_of(v1, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        error["error"]["message"],
        "Resource not found for the segment 'assignmentFilters'."
    );
}

#[tokio::test]
async fn validate_filter_and_get_supported_properties_answer_as_graph() {
    let app = spawn_app().await;
    let validate = |rule: &str| {
        json!({"deviceAndAppManagementAssignmentFilter": {
            "@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
            "displayName": "x", "platform": "windows10AndLater", "rule": rule}})
    };
    for (rule, valid) in [
        ("(device.deviceOwnership -eq \"Corporate\")", true),
        ("(device.deviceOwnership -eq \"Company\")", false),
        ("(device.isRooted -eq \"True\")", false),
    ] {
        let answer = body_of(
            send(
                &app,
                Method::POST,
                &format!("{FILTERS}/validateFilter"),
                Some(validate(rule)),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer["isValidRule"], valid, "{rule}: {answer}");
        assert!(
            answer["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("$metadata#microsoft.graph.assignmentFilterValidationResult")
        );
    }
    let (target, _) = refused(
        send(
            &app,
            Method::POST,
            &format!("{FILTERS}/validateFilter"),
            Some(json!({})),
        )
        .await,
    )
    .await;
    assert_eq!(target, "deviceAndAppManagementAssignmentFilter");
    let nothing = body_of(send(&app, Method::GET, FILTERS, None).await, StatusCode::OK).await;
    assert_eq!(nothing["value"], json!([]), "validateFilter stores nothing");

    let filter = created(&app, kiosk_filter()).await;
    let supported = body_of(
        send(
            &app,
            Method::GET,
            &format!(
                "{FILTERS}/{}/getSupportedProperties",
                filter["id"].as_str().unwrap()
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // As the SDKs call a function: with empty parentheses.
    let called = body_of(
        send(
            &app,
            Method::GET,
            &format!(
                "{FILTERS}/{}/getSupportedProperties()",
                filter["id"].as_str().unwrap()
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(called["value"], supported["value"]);
    let properties = supported["value"].as_array().unwrap();
    let ownership = properties
        .iter()
        .find(|p| p["name"] == "device.deviceOwnership")
        .unwrap_or_else(|| panic!("{supported}"));
    assert_eq!(
        *ownership,
        json!({"dataType": "String", "isCollection": false, "name": "device.deviceOwnership",
               "propertyRegexConstraint": null,
               "supportedOperators": ["equals", "notEquals", "in", "notIn"],
               "supportedValues": ["Personal", "Corporate"]})
    );
    assert!(
        properties
            .iter()
            .any(|p| p["name"] == "device.operatingSystemSKU")
    );
    assert!(!properties.iter().any(|p| p["name"] == "device.isRooted"));
}

#[tokio::test]
async fn filters_are_tenant_isolated_and_need_configuration_permissions() {
    let app = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", SECRET],
    )
    .await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let as_ = |tenant: Uuid, roles: &[&str]| hs256(&claims(tenant, roles));
    let writer_a = as_(a, &[CONFIGURATION_WRITE]);
    let filter = body_of(
        send_as(&app, &writer_a, Method::POST, FILTERS, Some(kiosk_filter())).await,
        StatusCode::CREATED,
    )
    .await;
    let item = format!("{FILTERS}/{}", filter["id"].as_str().unwrap());

    // Another tenant neither sees nor changes it.
    let writer_b = as_(b, &[CONFIGURATION_WRITE]);
    let listed = body_of(
        send_as(&app, &writer_b, Method::GET, FILTERS, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["value"], json!([]));
    for method in [Method::GET, Method::DELETE] {
        error_of(
            send_as(&app, &writer_b, method, &item, None).await,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
        )
        .await;
    }

    // Autopilot's ServiceConfig permission is not Graph's for filters; Read.All only reads.
    let service_config = as_(a, &[WRITE]);
    let response = send_as(&app, &service_config, Method::GET, FILTERS, None).await;
    let error = error_of(response, StatusCode::FORBIDDEN, "Forbidden").await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains(CONFIGURATION_READ),
        "{error}"
    );
    let reader = as_(a, &[CONFIGURATION_READ]);
    body_of(
        send_as(&app, &reader, Method::GET, &item, None).await,
        StatusCode::OK,
    )
    .await;
    for (method, path, body) in [
        (Method::POST, FILTERS.to_owned(), Some(kiosk_filter())),
        (
            Method::PATCH,
            item.clone(),
            Some(json!({"description": "x"})),
        ),
        (Method::DELETE, item.clone(), None),
        (
            Method::POST,
            format!("{FILTERS}/validateFilter"),
            Some(json!({"deviceAndAppManagementAssignmentFilter": kiosk_filter()})),
        ),
    ] {
        let response = send_as(&app, &reader, method.clone(), &path, body).await;
        error_of(response, StatusCode::FORBIDDEN, "Forbidden").await;
    }
    body_of(
        send_as(&app, &writer_a, Method::GET, &item, None).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn a_deployment_profile_assignment_refuses_a_real_filter_as_intune_does() {
    let app = spawn_app().await;
    let filter = created(&app, kiosk_filter()).await;
    let profile = create_profile(&app, "Kiosk").await;
    let body = json!({"target": {
        "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": filter["id"],
        "deviceAndAppManagementAssignmentFilterType": "include"}});
    let path =
        format!("beta/deviceManagement/windowsAutopilotDeploymentProfiles/{profile}/assignments");
    let (target, _) = refused(send(&app, Method::POST, &path, Some(body)).await).await;
    assert_eq!(target, "target/deviceAndAppManagementAssignmentFilterId");
}

#[tokio::test]
async fn hostile_rules_are_400s_naming_the_rule_and_store_nothing() {
    let app = spawn_app().await;
    let nested = |depth: usize| {
        format!(
            "{}device.model -eq \"x\"{}",
            "(".repeat(depth),
            ")".repeat(depth)
        )
    };
    for rule in [
        "(".repeat(100_000),
        nested(33),
        format!("(device.model -eq \"{}\")", "x".repeat(3100)),
        "(device.model -eq \"x\u{0}\")".to_owned(),
        "(device.model -eq \"x\") or".to_owned(),
        "device.model -in []".to_owned(),
        "\u{202e}(device.model -eq \"x\")".to_owned(),
        String::new(),
    ] {
        let mut body = kiosk_filter();
        body["rule"] = json!(rule);
        let (target, message) = refused(send(&app, Method::POST, FILTERS, Some(body)).await).await;
        assert_eq!(target, "rule", "{message}");
    }
    let mut deepest = kiosk_filter();
    deepest["rule"] = json!(nested(32));
    created(&app, deepest).await;
    let count = send(&app, Method::GET, &format!("{FILTERS}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "1");
}

#[tokio::test]
async fn import_state_refuses_a_filter_graph_would_refuse() {
    let app = spawn_app_with(&fresh_database().await, &["--control"]).await;
    let tenant = Uuid::nil();
    let import = |filter: Json| {
        let app = &app;
        async move {
            app.client
                .post(app.url(&format!("_control/tenants/{tenant}/import-state")))
                .json(&json!({"tables": {"assignment_filters": [filter]}}))
                .send()
                .await
                .unwrap()
        }
    };
    for (filter, named) in [
        (
            json!({"display_name": "x", "platform": "iOS", "rule": "(device.colour -eq \"x\")"}),
            "device.colour",
        ),
        (
            json!({"display_name": "x", "platform": "iOSMobileApplicationManagement",
                   "rule": "(app.appVersion -eq \"1.0\")"}),
            "assignment_filter_management_type",
        ),
    ] {
        let error = error_of(import(filter).await, StatusCode::BAD_REQUEST, "BadRequest").await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("tables.assignment_filters[0]: ") && message.contains(named),
            "{message}"
        );
    }
    let kept = json!({"display_name": "x", "platform": "iOSMobileApplicationManagement",
                      "rule": "(app.appVersion -eq \"1.0\")",
                      "assignment_filter_management_type": "apps"});
    body_of(import(kept).await, StatusCode::NO_CONTENT).await;
    let listed = body_of(send(&app, Method::GET, FILTERS, None).await, StatusCode::OK).await;
    assert_eq!(listed["value"][0]["assignmentFilterManagementType"], "apps");
}

#[tokio::test]
async fn get_platform_supported_properties_answers_for_the_platform_in_its_parameter() {
    let app = spawn_app().await;
    let filter = created(&app, kiosk_filter()).await;
    let of_filter = body_of(
        send(
            &app,
            Method::GET,
            &format!(
                "{FILTERS}/{}/getSupportedProperties()",
                filter["id"].as_str().unwrap()
            ),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // As the beta SDK's builder writes it, with the quotes percent-encoded, and qualified.
    for call in [
        "getPlatformSupportedProperties(platform='windows10AndLater')",
        "getPlatformSupportedProperties(platform=%27windows10AndLater%27)",
        "microsoft.graph.getPlatformSupportedProperties(platform='Windows10AndLater')",
    ] {
        let answer = body_of(
            send(&app, Method::GET, &format!("{FILTERS}/{call}"), None).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(answer["value"], of_filter["value"], "{call}");
        assert!(
            answer["@odata.context"].as_str().unwrap().ends_with(
                "$metadata#Collection(microsoft.graph.assignmentFilterSupportedProperty)"
            ),
            "{answer}"
        );
    }
    let apps = body_of(
        send(
            &app,
            Method::GET,
            &format!("{FILTERS}/getPlatformSupportedProperties(platform='iOSMobileApplicationManagement')"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let names: Vec<&str> = apps["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"app.appVersion") && names.iter().all(|n| n.starts_with("app.")),
        "{names:?}"
    );

    for (call, named) in [
        (
            "getPlatformSupportedProperties(platform='colour')",
            "'colour'",
        ),
        ("getPlatformSupportedProperties(os='iOS')", "'os'"),
        (
            "getPlatformSupportedProperties(platform='iOS',os='iOS')",
            "one parameter",
        ),
        (
            "getPlatformSupportedProperties(platform='iOS)",
            "no closing quote",
        ),
    ] {
        let (target, message) =
            refused(send(&app, Method::GET, &format!("{FILTERS}/{call}"), None).await).await;
        assert_eq!(target, "platform", "{call}");
        assert!(message.contains(named), "{call}: {message}");
    }
    // A function is not posted to.
    let error = error_of(
        send(
            &app,
            Method::POST,
            &format!("{FILTERS}/getPlatformSupportedProperties(platform='iOS')"),
            Some(json!({})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "No method match route template",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("~/singleton/navigation/function"),
        "{error}"
    );
}

#[tokio::test]
async fn enable_and_get_state_keep_each_tenants_filters_on_or_off() {
    let app = spawn_app_with(
        &fresh_database().await,
        &["--auth", "jwt", "--jwt-secret", SECRET],
    )
    .await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let as_ = |tenant: Uuid, roles: &[&str]| hs256(&claims(tenant, roles));
    let (writer_a, writer_b) = (
        as_(a, &[CONFIGURATION_WRITE]),
        as_(b, &[CONFIGURATION_WRITE]),
    );
    let state_path = format!("{FILTERS}/getState()");
    let enable_path = format!("{FILTERS}/enable");
    let state = |token: String| {
        let (app, path) = (&app, &state_path);
        async move {
            let answer = body_of(
                send_as(app, &token, Method::GET, path, None).await,
                StatusCode::OK,
            )
            .await;
            assert!(
                answer["@odata.context"]
                    .as_str()
                    .unwrap()
                    .ends_with("$metadata#microsoft.graph.assignmentFilterState"),
                "{answer}"
            );
            answer["enabled"].as_bool().unwrap()
        }
    };
    assert!(
        state(writer_a.clone()).await,
        "filters are on until enable turns them off"
    );

    let enable = |token: &str, body: Json| {
        let request = app
            .client
            .post(app.url(&enable_path))
            .bearer_auth(token)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    body_of(
        enable(&writer_a, json!({"enable": false})).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(!state(writer_a.clone()).await);
    assert!(state(writer_b.clone()).await, "another tenant's stay on");

    for body in [
        json!({}),
        json!({"enable": "yes"}),
        json!({"enable": true, "state": 1}),
    ] {
        let response = enable(&writer_a, body.clone()).await;
        error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    assert!(
        !state(writer_a.clone()).await,
        "a refused body changes nothing"
    );
    body_of(
        enable(&writer_a, json!({"enable": true})).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(state(writer_a.clone()).await);

    // Read.All reads the state but does not set it; ServiceConfig does neither.
    let reader = as_(a, &[CONFIGURATION_READ]);
    assert!(state(reader.clone()).await);
    error_of(
        enable(&reader, json!({"enable": false})).await,
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    let service_config = as_(a, &[WRITE]);
    for (method, path, body) in [
        (Method::GET, state_path.clone(), None),
        (
            Method::GET,
            format!("{FILTERS}/getPlatformSupportedProperties(platform='iOS')"),
            None,
        ),
        (
            Method::POST,
            enable_path.clone(),
            Some(json!({"enable": false})),
        ),
    ] {
        let response = send_as(&app, &service_config, method, &path, body).await;
        error_of(response, StatusCode::FORBIDDEN, "Forbidden").await;
    }
    assert!(state(writer_a).await);
}

#[tokio::test]
async fn the_new_operations_answer_through_batch_as_alone() {
    let app = spawn_app().await;
    let requests = json!({"requests": [
        {"id": "off", "method": "POST", "url": "/deviceManagement/assignmentFilters/enable",
         "headers": {"Content-Type": "application/json"}, "body": {"enable": false}},
        {"id": "state", "dependsOn": ["off"], "method": "GET",
         "url": "/deviceManagement/assignmentFilters/getState()"},
        {"id": "ios", "method": "GET",
         "url": "/deviceManagement/assignmentFilters/getPlatformSupportedProperties(platform='iOS')"},
        {"id": "colour", "method": "GET",
         "url": "/deviceManagement/assignmentFilters/getPlatformSupportedProperties(platform='colour')"},
    ]});
    let response = app
        .client
        .post(app.url("beta/$batch"))
        .json(&requests)
        .send()
        .await
        .unwrap();
    let body = body_of(response, StatusCode::OK).await;
    let answer = |id: &str| {
        body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|answer| answer["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {id}: {body}"))
            .clone()
    };
    assert_eq!(answer("off")["status"], 204);
    assert_eq!(answer("state")["status"], 200);
    assert_eq!(answer("state")["body"]["enabled"], false);
    let alone = body_of(
        send(
            &app,
            Method::GET,
            &format!("{FILTERS}/getPlatformSupportedProperties(platform='iOS')"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(answer("ios")["status"], 200);
    assert_eq!(answer("ios")["body"]["value"], alone["value"]);
    assert_eq!(answer("colour")["status"], 400);
    assert_eq!(
        answer("colour")["body"]["error"]["details"][0]["target"],
        "platform"
    );
}
