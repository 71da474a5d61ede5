//! Enrollment configurations and mobile apps (issue 26): a new tenant's four defaults, an ESP
//! created with apps, assigned, reprioritised and applying to the devices of its group while the
//! default applies to the others, the defaults' protections, permissions and tenants.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{CONFIGURATION_WRITE, READ, WRITE, claims, hs256};
use crate::control::{control, graph, guarded_app};
use crate::helpers::{COLLECTION, TestApp, body_of, error_of, send_as};

const CONFIGURATIONS: &str = "deviceManagement/deviceEnrollmentConfigurations";
const MOBILE_APPS: &str = "deviceAppManagement/mobileApps";
const ESP: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const APPS_WRITE: &str = "DeviceManagementApps.ReadWrite.All";
const DEFAULT_ESP_DESCRIPTION: &str = "This is the default enrollment status screen configuration \
    applied with the lowest priority to all users and all devices regardless of group membership.";

async fn ok(response: Response) -> Json {
    body_of(response, StatusCode::OK).await
}

async fn created(response: Response) -> Json {
    body_of(response, StatusCode::CREATED).await
}

fn id(entity: &Json) -> &str {
    entity["id"].as_str().expect("an id")
}

/// A Win32 app record of `tenant`, made with DeviceManagementApps permission; its id.
async fn mobile_app(app: &TestApp, tenant: Uuid, name: &str) -> String {
    let token = hs256(&claims(tenant, &[APPS_WRITE]));
    let body = json!({"@odata.type": "#microsoft.graph.win32LobApp", "displayName": name,
                      "publisher": "Contoso", "installCommandLine": "setup.exe /q"});
    let path = format!("beta/{MOBILE_APPS}");
    let app_record = created(send_as(app, &token, Method::POST, &path, Some(body)).await).await;
    assert_eq!(app_record["@odata.type"], "#microsoft.graph.win32LobApp");
    assert!(app_record["createdDateTime"].is_string());
    id(&app_record).to_owned()
}

async fn esp(app: &TestApp, tenant: Uuid, name: &str, apps: &[&str]) -> Json {
    let body = json!({"@odata.type": ESP, "displayName": name, "showInstallationProgress": true,
                      "selectedMobileAppIds": apps});
    let path = format!("beta/{CONFIGURATIONS}");
    created(graph(app, tenant, Method::POST, &path, Some(body)).await).await
}

/// A device identity of `tenant` and the id of its directory object.
async fn device(app: &TestApp, tenant: Uuid, serial: &str) -> (String, String) {
    let body = json!({"serialNumber": serial});
    let path = format!("beta/{COLLECTION}");
    let identity = created(graph(app, tenant, Method::POST, &path, Some(body)).await).await;
    let filter = format!("beta/devices?$filter=displayName eq '{serial}'");
    let page = ok(graph(app, tenant, Method::GET, &filter, None).await).await;
    let object = page["value"][0]["id"].as_str().unwrap().to_owned();
    (id(&identity).to_owned(), object)
}

/// The ESP that applies to a device identity, as the control plane answers.
async fn applicable(app: &TestApp, tenant: Uuid, device: &str) -> Json {
    let path = format!("tenants/{tenant}/devices/{device}/enrollmentStatusPage");
    ok(control(app, Method::GET, &path, None).await).await
}

/// An assignment filter of `tenant` (made with configuration permission); its id.
async fn assignment_filter(app: &TestApp, tenant: Uuid) -> String {
    let token = hs256(&claims(tenant, &[CONFIGURATION_WRITE]));
    let body = json!({"displayName": "Surfaces", "platform": "windows10AndLater",
                      "rule": "(device.manufacturer -eq \"Microsoft\")"});
    let path = "beta/deviceManagement/assignmentFilters";
    let filter = created(send_as(app, &token, Method::POST, path, Some(body)).await).await;
    id(&filter).to_owned()
}

async fn priority(app: &TestApp, tenant: Uuid, configuration: &str) -> i64 {
    let path = format!("beta/{CONFIGURATIONS}/{configuration}");
    ok(graph(app, tenant, Method::GET, &path, None).await).await["priority"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_new_tenant_lists_intunes_four_defaults_which_are_patched_but_never_deleted_nor_assigned()
{
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let page = ok(graph(
        &app,
        tenant,
        Method::GET,
        &format!("beta/{CONFIGURATIONS}"),
        None,
    )
    .await)
    .await;
    let defaults = page["value"].as_array().unwrap();
    let mut types: Vec<&str> = defaults
        .iter()
        .map(|d| d["deviceEnrollmentConfigurationType"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "limit",
            "platformRestrictions",
            "windows10EnrollmentCompletionPageConfiguration",
            "windowsHelloForBusiness"
        ]
    );
    for default in defaults {
        assert_eq!(default["priority"], 0, "{default}");
        assert_eq!(default["displayName"], "All users and all devices");
        assert_eq!(default["createdDateTime"], "0001-01-01T00:00:00Z");
        assert_eq!(default["roleScopeTagIds"], json!([]));
    }
    let by_type = |odata_type: &str| {
        defaults
            .iter()
            .find(|d| d["@odata.type"] == odata_type)
            .unwrap()
            .clone()
    };
    let default_esp = by_type(ESP);
    assert_eq!(default_esp["description"], DEFAULT_ESP_DESCRIPTION);
    assert_eq!(default_esp["blockDeviceSetupRetryByUser"], true);
    assert_eq!(default_esp["selectedMobileAppIds"], json!([]));
    assert!(default_esp.get("limit").is_none(), "an ESP has no limit");
    assert_eq!(
        by_type("#microsoft.graph.deviceEnrollmentLimitConfiguration")["limit"],
        5
    );
    let restrictions =
        by_type("#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration");
    assert_eq!(
        restrictions["windowsMobileRestriction"]["platformBlocked"],
        true
    );
    assert_eq!(restrictions["windowsRestriction"]["platformBlocked"], false);
    let hello = by_type("#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration");
    assert_eq!(hello["pinMinimumLength"], 6);
    assert_eq!(hello["pinMaximumLength"], 127);
    assert_eq!(hello["state"], "notConfigured");

    // The same four on v1.0, with v1.0's properties; another request adds none.
    let v1 = ok(graph(
        &app,
        tenant,
        Method::GET,
        &format!("v1.0/{CONFIGURATIONS}"),
        None,
    )
    .await)
    .await;
    assert_eq!(v1["value"].as_array().unwrap().len(), 4);
    assert!(
        v1["value"][0]
            .get("deviceEnrollmentConfigurationType")
            .is_none()
    );
    let limits =
        format!("beta/{CONFIGURATIONS}?$filter=deviceEnrollmentConfigurationType eq 'limit'");
    let limits = ok(graph(&app, tenant, Method::GET, &limits, None).await).await;
    assert_eq!(limits["value"].as_array().unwrap().len(), 1);
    let selected =
        format!("beta/{CONFIGURATIONS}?$select=displayName,priority&$orderby=priority desc&$top=2");
    let selected = ok(graph(&app, tenant, Method::GET, &selected, None).await).await;
    assert_eq!(selected["value"][0]["priority"], 0);
    assert!(selected["value"][0].get("description").is_none());
    assert!(selected["@odata.nextLink"].is_string(), "{selected}");

    let esp_path = format!("beta/{CONFIGURATIONS}/{}", id(&default_esp));
    let patch = json!({"@odata.type": ESP, "installProgressTimeoutInMinutes": 90});
    let patched = ok(graph(&app, tenant, Method::PATCH, &esp_path, Some(patch)).await).await;
    assert_eq!(patched["installProgressTimeoutInMinutes"], 90);
    assert_eq!(patched["priority"], 0);
    // Another type's settings are refused, whichever type the body names.
    for body in [
        json!({"@odata.type": ESP, "pinMinimumLength": 8}),
        json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration", "limit": 3}),
        json!({"windowsRestriction": {"platformBlocked": true}}),
    ] {
        let refused = graph(&app, tenant, Method::PATCH, &esp_path, Some(body)).await;
        error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    }
    let refused = graph(&app, tenant, Method::DELETE, &esp_path, None).await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    let assign = json!({"enrollmentConfigurationAssignments": [
        {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]});
    let refused = graph(
        &app,
        tenant,
        Method::POST,
        &format!("{esp_path}/assign"),
        Some(assign),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    let all = ok(graph(
        &app,
        tenant,
        Method::GET,
        &format!("beta/{CONFIGURATIONS}"),
        None,
    )
    .await)
    .await;
    assert_eq!(all["value"].as_array().unwrap().len(), 4, "still the four");

    // Another tenant has its own four, untouched by this one's PATCH.
    let other = Uuid::new_v4();
    let theirs = ok(graph(&app, other, Method::GET, &esp_path, None).await).await;
    assert_eq!(theirs["installProgressTimeoutInMinutes"], 0);
}

#[tokio::test]
async fn an_esp_with_apps_assigned_to_a_group_and_reprioritised_applies_to_its_devices_only() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let company_portal = mobile_app(&app, tenant, "Company Portal").await;

    // An app the tenant does not have is named in the 400.
    let unknown = Uuid::new_v4().to_string();
    let body = json!({"@odata.type": ESP, "displayName": "Bad", "selectedMobileAppIds": [unknown]});
    let refused = graph(
        &app,
        tenant,
        Method::POST,
        &format!("beta/{CONFIGURATIONS}"),
        Some(body),
    )
    .await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(error.to_string().contains(&unknown), "{error}");
    // Nor does another tenant's app do.
    let elsewhere = mobile_app(&app, Uuid::new_v4(), "Elsewhere").await;
    let body =
        json!({"@odata.type": ESP, "displayName": "Bad", "selectedMobileAppIds": [elsewhere]});
    let refused = graph(
        &app,
        tenant,
        Method::POST,
        &format!("beta/{CONFIGURATIONS}"),
        Some(body),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;

    // Priorities as Intune gives them: the next free one of the type.
    let first = esp(&app, tenant, "Everyone else", &[]).await;
    let kiosk = esp(&app, tenant, "Kiosks", &[&company_portal]).await;
    assert_eq!(
        (first["priority"].as_i64(), kiosk["priority"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(kiosk["selectedMobileAppIds"], json!([company_portal]));

    let group = created(
        graph(
            &app,
            tenant,
            Method::POST,
            "beta/groups",
            Some(json!({
            "displayName": "Kiosks", "mailNickname": "kiosks", "mailEnabled": false,
            "securityEnabled": true})),
        )
        .await,
    )
    .await;
    let (in_group, member) = device(&app, tenant, "ESP-1").await;
    let (outside, _) = device(&app, tenant, "ESP-2").await;
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")});
    let path = format!("beta/groups/{}/members/$ref", id(&group));
    body_of(
        graph(&app, tenant, Method::POST, &path, Some(reference)).await,
        StatusCode::NO_CONTENT,
    )
    .await;

    // Before any assignment, the default applies to both.
    assert_eq!(applicable(&app, tenant, &in_group).await["isDefault"], true);

    let assign = |filter: &str| {
        json!({"enrollmentConfigurationAssignments": [{"target": {
            "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": id(&group),
            "deviceAndAppManagementAssignmentFilterId": filter,
            "deviceAndAppManagementAssignmentFilterType": "include"}}]})
    };
    let path = format!("beta/{CONFIGURATIONS}/{}/assign", id(&kiosk));
    // A filter the tenant does not have is named in the 400, and nothing is assigned.
    let unknown = Uuid::new_v4().to_string();
    let refused = graph(&app, tenant, Method::POST, &path, Some(assign(&unknown))).await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(error.to_string().contains(&unknown), "{error}");
    assert_eq!(applicable(&app, tenant, &in_group).await["isDefault"], true);
    let filter = assignment_filter(&app, tenant).await;
    body_of(
        graph(&app, tenant, Method::POST, &path, Some(assign(&filter))).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let expanded = format!("v1.0/{CONFIGURATIONS}/{}?$expand=assignments", id(&kiosk));
    let expanded = ok(graph(&app, tenant, Method::GET, &expanded, None).await).await;
    let target = &expanded["assignments"][0]["target"];
    assert_eq!(target["groupId"], id(&group));
    assert_eq!(target["deviceAndAppManagementAssignmentFilterId"], filter);
    assert_eq!(
        target["deviceAndAppManagementAssignmentFilterType"],
        "include"
    );
    assert_eq!(
        expanded["assignments"][0]["id"],
        format!("{}_{}", id(&kiosk), id(&group))
    );
    // A filter an assignment uses cannot be deleted.
    let filter_path = format!("beta/deviceManagement/assignmentFilters/{filter}");
    let configuration_token = hs256(&claims(tenant, &[CONFIGURATION_WRITE]));
    let refused = send_as(
        &app,
        &configuration_token,
        Method::DELETE,
        &filter_path,
        None,
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;

    let chosen = applicable(&app, tenant, &in_group).await;
    assert_eq!(chosen["enrollmentStatusPageId"], id(&kiosk));
    assert_eq!(chosen["displayName"], "Kiosks");
    let other = applicable(&app, tenant, &outside).await;
    assert_eq!(other["isDefault"], true);
    assert_eq!(other["displayName"], "All users and all devices");

    // Reprioritised to the top: the other ESP moves down one.
    let path = format!("v1.0/{CONFIGURATIONS}/{}/setPriority", id(&kiosk));
    body_of(
        graph(
            &app,
            tenant,
            Method::POST,
            &path,
            Some(json!({"priority": 1})),
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(priority(&app, tenant, id(&kiosk)).await, 1);
    assert_eq!(priority(&app, tenant, id(&first)).await, 2);

    // "Everyone else" assigned to all devices: the group's devices keep the higher-priority page,
    // the others get it instead of the default.
    let all = json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}});
    let path = format!("beta/{CONFIGURATIONS}/{}/assignments", id(&first));
    let assignment = created(graph(&app, tenant, Method::POST, &path, Some(all)).await).await;
    assert_eq!(
        assignment["target"]["deviceAndAppManagementAssignmentFilterType"],
        "none"
    );
    assert_eq!(
        applicable(&app, tenant, &in_group).await["enrollmentStatusPageId"],
        id(&kiosk)
    );
    assert_eq!(
        applicable(&app, tenant, &outside).await["enrollmentStatusPageId"],
        id(&first)
    );
    // Excluded from the kiosk page, its device falls to the next one.
    let exclusion = json!({"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                                      "groupId": id(&group)}});
    let path = format!("beta/{CONFIGURATIONS}/{}/assign", id(&kiosk));
    let assign = json!({"enrollmentConfigurationAssignments": [exclusion]});
    body_of(
        graph(&app, tenant, Method::POST, &path, Some(assign)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(
        applicable(&app, tenant, &in_group).await["enrollmentStatusPageId"],
        id(&first)
    );
    // No assignment uses the filter any more: it can go.
    body_of(
        send_as(
            &app,
            &configuration_token,
            Method::DELETE,
            &filter_path,
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;

    // A deleted ESP takes its assignments with it, and the defaults stay.
    let path = format!("beta/{CONFIGURATIONS}/{}", id(&first));
    body_of(
        graph(&app, tenant, Method::DELETE, &path, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(applicable(&app, tenant, &outside).await["isDefault"], true);
    // Another tenant sees none of this tenant's configurations.
    let theirs = format!("beta/{CONFIGURATIONS}/{}", id(&kiosk));
    error_of(
        graph(&app, Uuid::new_v4(), Method::GET, &theirs, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
}

#[tokio::test]
async fn apps_need_device_management_apps_permissions_and_configurations_service_config() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let service_config = hs256(&claims(tenant, &[WRITE]));
    let apps = hs256(&claims(tenant, &[APPS_WRITE]));
    let path = format!("v1.0/{MOBILE_APPS}");
    let body = json!({"@odata.type": "#microsoft.graph.windowsMicrosoftEdgeApp",
                      "displayName": "Edge", "channel": "stable"});
    let refused = send_as(
        &app,
        &service_config,
        Method::POST,
        &path,
        Some(body.clone()),
    )
    .await;
    error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
    let edge = created(send_as(&app, &apps, Method::POST, &path, Some(body)).await).await;
    assert_eq!(edge["channel"], "stable");
    let refused = send_as(
        &app,
        &apps,
        Method::GET,
        &format!("v1.0/{CONFIGURATIONS}"),
        None,
    )
    .await;
    error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
    let item = format!("v1.0/{MOBILE_APPS}/{}", id(&edge));
    let read = hs256(&claims(tenant, &["DeviceManagementApps.Read.All"]));
    ok(send_as(&app, &read, Method::GET, &item, None).await).await;
    error_of(
        send_as(&app, &read, Method::DELETE, &item, None).await,
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    body_of(
        send_as(&app, &apps, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn concurrent_first_requests_write_the_defaults_once_and_concurrent_creates_take_turns() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let path = format!("beta/{CONFIGURATIONS}");
    let lists = (0..16).map(|_| graph(&app, tenant, Method::GET, &path, None));
    for response in futures_util::future::join_all(lists).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM device_enrollment_configurations WHERE tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(rows, 4);

    let names: Vec<String> = (0..8).map(|n| format!("ESP {n}")).collect();
    let creates = names.iter().map(|name| esp(&app, tenant, name, &[]));
    let made = futures_util::future::join_all(creates).await;
    let mut priorities: Vec<i64> = made
        .iter()
        .map(|esp| esp["priority"].as_i64().unwrap())
        .collect();
    priorities.sort_unstable();
    assert_eq!(priorities, (1..=8).collect::<Vec<_>>());

    // Racing moves take turns too: no deadlock, and the priorities stay 1 to 8, each once.
    let paths: Vec<String> = made
        .iter()
        .map(|esp| format!("beta/{CONFIGURATIONS}/{}/setPriority", id(esp)))
        .collect();
    let moves = paths.iter().enumerate().map(|(n, path)| {
        let to = 8 - n as i64;
        graph(
            &app,
            tenant,
            Method::POST,
            path,
            Some(json!({"priority": to})),
        )
    });
    for response in futures_util::future::join_all(moves).await {
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let mut after = Vec::new();
    for esp in &made {
        after.push(priority(&app, tenant, id(esp)).await);
    }
    after.sort_unstable();
    assert_eq!(after, (1..=8).collect::<Vec<_>>());
}

#[tokio::test]
async fn import_state_refuses_an_esp_naming_an_app_the_document_lacks() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let known = Uuid::new_v4();
    let unknown = Uuid::new_v4();
    let document = |apps: Vec<Uuid>| {
        json!({"tables": {
            "mobile_apps": [{"id": known, "odata_type": "microsoft.graph.win32LobApp",
                             "display_name": "Company Portal"}],
            "device_enrollment_configurations": [{
                "id": Uuid::new_v4(), "odata_type": ESP.trim_start_matches('#'),
                "display_name": "Kiosks", "priority": 1, "selected_mobile_app_ids": apps}],
        }})
    };
    let path = format!("tenants/{tenant}/import-state");
    let refused = control(
        &app,
        Method::POST,
        &path,
        Some(document(vec![known, unknown])),
    )
    .await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(error.to_string().contains(&unknown.to_string()), "{error}");
    // Nor may a document assign one of Intune's defaults.
    let default_esp = "defa0000-e5b0-4000-8000-000000000001";
    let mut assigned = document(vec![known]);
    assigned["tables"]["device_enrollment_configurations"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": default_esp, "odata_type": ESP.trim_start_matches('#'), "priority": 0}));
    assigned["tables"]["device_enrollment_configuration_assignments"] = json!([{
        "id": format!("{default_esp}_adadadad-808e-44e2-905a-0b7873a8a531"),
        "configuration_id": default_esp,
        "target_type": "microsoft.graph.allDevicesAssignmentTarget"}]);
    let refused = control(&app, Method::POST, &path, Some(assigned)).await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(error.to_string().contains("never assigned"), "{error}");
    let loaded = control(&app, Method::POST, &path, Some(document(vec![known]))).await;
    assert_eq!(loaded.status(), StatusCode::NO_CONTENT);
    // The loaded tenant gets Intune's defaults besides, at its first request.
    let page = ok(graph(
        &app,
        tenant,
        Method::GET,
        &format!("v1.0/{CONFIGURATIONS}"),
        None,
    )
    .await)
    .await;
    assert_eq!(page["value"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn batch_and_odata_key_paths_reach_the_same_checks() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let unknown = Uuid::new_v4();
    let batch = json!({"requests": [
        {"id": "1", "method": "POST", "url": "/deviceManagement/deviceEnrollmentConfigurations",
         "headers": {"Content-Type": "application/json"},
         "body": {"@odata.type": ESP, "displayName": "Batched", "selectedMobileAppIds": [unknown]}},
        {"id": "2", "method": "POST", "url": "/deviceManagement/deviceEnrollmentConfigurations",
         "headers": {"Content-Type": "application/json"},
         "body": {"@odata.type": ESP, "displayName": "Batched"}},
    ]});
    let answer = ok(graph(&app, tenant, Method::POST, "beta/$batch", Some(batch)).await).await;
    let status = |id: &str| {
        answer["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| (r["status"].as_u64().unwrap(), r["body"].clone()))
            .unwrap()
    };
    let (refused, error) = status("1");
    assert_eq!(refused, 400);
    assert!(error.to_string().contains(&unknown.to_string()), "{error}");
    let (made, esp) = status("2");
    assert_eq!(made, 201);
    // The OData key form and a namespace-qualified action name reach setPriority.
    let path = format!(
        "beta/deviceManagement/deviceEnrollmentConfigurations('{}')/microsoft.graph.setPriority",
        id(&esp)
    );
    let response = graph(
        &app,
        tenant,
        Method::POST,
        &path,
        Some(json!({"priority": 1})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let path = format!("beta/{CONFIGURATIONS}/{}/setPriority", Uuid::new_v4());
    let missing = graph(
        &app,
        tenant,
        Method::POST,
        &path,
        Some(json!({"priority": 1})),
    )
    .await;
    error_of(missing, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn each_concrete_type_is_created_on_its_roots_with_its_own_properties() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let single = "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";
    let cases = [
        (
            "v1.0",
            json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
                        "displayName": "Three devices", "limit": 3}),
        ),
        (
            "v1.0",
            json!({"@odata.type": "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
                        "displayName": "Hello", "pinMinimumLength": 8, "state": "enabled"}),
        ),
        (
            "v1.0",
            json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
                        "displayName": "No Android", "androidRestriction": {"platformBlocked": true}}),
        ),
        (
            "beta",
            json!({"@odata.type": single, "displayName": "Windows 11 only", "platformType": "windows",
                        "platformRestriction": {"osMinimumVersion": "10.0.22000",
                                                "blockedManufacturers": ["Contoso"]}}),
        ),
    ];
    for (root, body) in cases {
        let path = format!("{root}/{CONFIGURATIONS}");
        let made =
            created(graph(&app, tenant, Method::POST, &path, Some(body.clone())).await).await;
        assert_eq!(made["@odata.type"], body["@odata.type"]);
        assert_eq!(made["priority"], 1, "the first of its type: {made}");
        for (name, value) in body.as_object().unwrap() {
            if let Some(object) = value.as_object() {
                for (member, value) in object {
                    assert_eq!(&made[name][member], value, "{name}/{member}");
                }
            } else {
                assert_eq!(&made[name], value, "{name}");
            }
        }
        assert!(made.get("selectedMobileAppIds").is_none(), "{made}");
    }
    // The single-platform type is beta's alone.
    let body = json!({"@odata.type": single, "displayName": "Refused"});
    let refused = graph(
        &app,
        tenant,
        Method::POST,
        &format!("v1.0/{CONFIGURATIONS}"),
        Some(body),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
}

#[tokio::test]
async fn an_assignment_is_patched_within_its_group_listed_counted_and_deleted() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let group = json!({"displayName": "Pilot", "mailNickname": "pilot", "mailEnabled": false,
                       "securityEnabled": true});
    let group = created(graph(&app, tenant, Method::POST, "beta/groups", Some(group)).await).await;
    let filter = assignment_filter(&app, tenant).await;
    let page = esp(&app, tenant, "Pilot", &[]).await;
    let target = json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                        "groupId": id(&group)});
    let path = format!("beta/{CONFIGURATIONS}/{}/assignments", id(&page));
    let assignment = created(
        graph(
            &app,
            tenant,
            Method::POST,
            &path,
            Some(json!({"target": target})),
        )
        .await,
    )
    .await;
    let item = format!("{path}/{}", id(&assignment));

    // Excluded now, through a filter: what is sent changes, the rest stays.
    let exclusion = json!({"target": {
        "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": id(&group),
        "deviceAndAppManagementAssignmentFilterId": filter,
        "deviceAndAppManagementAssignmentFilterType": "exclude"}});
    let patched = ok(graph(&app, tenant, Method::PATCH, &item, Some(exclusion)).await).await;
    assert_eq!(patched["id"], assignment["id"]);
    assert!(
        patched["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/assignments/$entity")
    );
    assert_eq!(
        patched["target"]["@odata.type"],
        "#microsoft.graph.exclusionGroupAssignmentTarget"
    );
    assert_eq!(
        patched["target"]["deviceAndAppManagementAssignmentFilterId"],
        filter.as_str()
    );
    assert_eq!(patched["source"], "direct");
    let sourced = json!({"source": "policySets", "sourceId": "set-1"});
    let patched = ok(graph(&app, tenant, Method::PATCH, &item, Some(sourced)).await).await;
    assert_eq!(patched["sourceId"], "set-1");
    assert_eq!(
        patched["target"]["deviceAndAppManagementAssignmentFilterType"],
        "exclude"
    );
    let v1 = format!(
        "v1.0/{CONFIGURATIONS}/{}/assignments/{}",
        id(&page),
        id(&assignment)
    );
    let read = ok(graph(&app, tenant, Method::GET, &v1, None).await).await;
    assert_eq!(read["target"], patched["target"]);
    assert!(read.get("source").is_none(), "beta's: {read}");

    // Another group, all devices, an unknown filter or property: 400 naming it, nothing changes.
    let other = Uuid::new_v4();
    for (body, target) in [
        (
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                              "groupId": other}}),
            "target",
        ),
        (
            json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
            "target",
        ),
        (
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": id(&group), "deviceAndAppManagementAssignmentFilterId": other,
                "deviceAndAppManagementAssignmentFilterType": "include"}}),
            "target/deviceAndAppManagementAssignmentFilterId",
        ),
        (json!({"intent": "apply"}), "intent"),
    ] {
        let refused = graph(&app, tenant, Method::PATCH, &item, Some(body.clone())).await;
        let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
        assert_eq!(error["error"]["details"][0]["target"], target, "{body}");
    }
    assert_eq!(
        ok(graph(&app, tenant, Method::GET, &item, None).await).await,
        patched
    );

    // Unknown assignments, other tenants and readers get Graph's answers.
    let missing = format!("{path}/{}_{}", id(&page), Uuid::new_v4());
    let body = json!({"source": "direct"});
    error_of(
        graph(&app, tenant, Method::PATCH, &missing, Some(body.clone())).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    error_of(
        graph(
            &app,
            Uuid::new_v4(),
            Method::PATCH,
            &item,
            Some(body.clone()),
        )
        .await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let reader = hs256(&claims(tenant, &[READ]));
    error_of(
        send_as(&app, &reader, Method::PATCH, &item, Some(body)).await,
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;

    // The navigation lists and counts it (a reader may), and a DELETE takes it away.
    let all = json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}});
    created(graph(&app, tenant, Method::POST, &path, Some(all)).await).await;
    let listed = ok(send_as(&app, &reader, Method::GET, &path, None).await).await;
    assert!(
        listed["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with(&format!("('{}')/assignments", id(&page))),
        "{listed}"
    );
    let listed = listed["value"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], assignment["id"], "oldest first");
    let count = |path: String| {
        let reader = reader.clone();
        let app = &app;
        async move {
            let response = send_as(app, &reader, Method::GET, &path, None).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.unwrap()
        }
    };
    assert_eq!(count(format!("{path}/$count")).await, "2");
    let filtered = format!("{path}/$count?$filter=id eq 'x'");
    error_of(
        graph(&app, tenant, Method::GET, &filtered, None).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    body_of(
        graph(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    error_of(
        graph(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    assert_eq!(
        count(format!(
            "v1.0/{CONFIGURATIONS}/{}/assignments/$count",
            id(&page)
        ))
        .await,
        "1"
    );
    let unknown = format!("beta/{CONFIGURATIONS}/{}/assignments", Uuid::new_v4());
    for path in [unknown.clone(), format!("{unknown}/$count")] {
        error_of(
            graph(&app, tenant, Method::GET, &path, None).await,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
        )
        .await;
    }
}

#[tokio::test]
async fn configurations_and_apps_are_listed_and_counted() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    esp(&app, tenant, "Counted", &[]).await;
    let reader = hs256(&claims(tenant, &[READ]));
    let apps_reader = hs256(&claims(tenant, &["DeviceManagementApps.Read.All"]));
    let text = |token: String, path: String| {
        let app = &app;
        async move {
            let response = send_as(app, &token, Method::GET, &path, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            response.text().await.unwrap()
        }
    };
    for root in ["v1.0", "beta"] {
        let path = format!("{root}/{CONFIGURATIONS}/$count");
        assert_eq!(
            text(reader.clone(), path).await,
            "5",
            "four defaults and one"
        );
    }
    let esps = format!(
        "beta/{CONFIGURATIONS}/$count?$filter=deviceEnrollmentConfigurationType eq \
         'windows10EnrollmentCompletionPageConfiguration'"
    );
    assert_eq!(text(reader.clone(), esps).await, "2");

    let edge = mobile_app(&app, tenant, "Edge").await;
    mobile_app(&app, tenant, "Portal").await;
    for root in ["v1.0", "beta"] {
        let path = format!("{root}/{MOBILE_APPS}/$count");
        assert_eq!(text(apps_reader.clone(), path).await, "2");
        let path = format!("{root}/{MOBILE_APPS}?$orderby=displayName&$top=1");
        let page = ok(send_as(&app, &apps_reader, Method::GET, &path, None).await).await;
        assert_eq!(page["value"][0]["id"], edge.as_str());
        assert_eq!(
            page["value"][0]["@odata.type"],
            "#microsoft.graph.win32LobApp"
        );
        assert!(page["@odata.nextLink"].is_string(), "{page}");
    }
    // Another tenant counts none of them.
    let theirs = hs256(&claims(Uuid::new_v4(), &["DeviceManagementApps.Read.All"]));
    assert_eq!(
        text(theirs, format!("beta/{MOBILE_APPS}/$count")).await,
        "0"
    );
}

/// Found in review: ids were stored as sent (an uppercase GUID stayed uppercase) and a deleted app
/// stayed in the pages that named it, so an export could not be imported again and a page read
/// and sent back was refused.
#[tokio::test]
async fn an_esp_keeps_its_apps_ids_in_their_own_form_and_loses_a_deleted_app() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let kept = mobile_app(&app, tenant, "Company Portal").await;
    let deleted = mobile_app(&app, tenant, "Retired tool").await;
    let page = esp(&app, tenant, "Apps", &[&kept.to_uppercase(), &deleted]).await;
    assert_eq!(page["selectedMobileAppIds"], json!([kept, deleted]));

    let token = hs256(&claims(tenant, &[APPS_WRITE]));
    let path = format!("beta/{MOBILE_APPS}/{deleted}");
    body_of(
        send_as(&app, &token, Method::DELETE, &path, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let path = format!("beta/{CONFIGURATIONS}/{}", id(&page));
    let read = ok(graph(&app, tenant, Method::GET, &path, None).await).await;
    assert_eq!(read["selectedMobileAppIds"], json!([kept]));
    // What was read goes back as it is.
    let echo = json!({"@odata.type": ESP, "selectedMobileAppIds": read["selectedMobileAppIds"]});
    ok(graph(&app, tenant, Method::PATCH, &path, Some(echo)).await).await;
    // And the tenant's export imports again.
    let exported =
        ok(control(&app, Method::GET, &format!("tenants/{tenant}/export"), None).await).await;
    let import = format!("tenants/{tenant}/import-state");
    let answer = control(&app, Method::POST, &import, Some(exported.clone())).await;
    assert!(answer.status().is_success(), "{}", answer.status());
    // A page at the defaults' priority 0 would outrank every other: refused, as Graph never has one.
    let mut outranking = exported;
    for row in outranking["tables"]["device_enrollment_configurations"]
        .as_array_mut()
        .unwrap()
    {
        if row["id"] == page["id"] {
            row["priority"] = json!(0);
        }
    }
    let refused = control(&app, Method::POST, &import, Some(outranking)).await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert!(error.to_string().contains("priority"), "{error}");
}
