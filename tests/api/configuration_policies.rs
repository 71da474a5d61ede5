//! Configuration policies (issue 28): the two Windows Autopilot device preparation templates
//! created with the settings the admin center and the Terraform provider post, listed with the
//! filter clients send, read with their settings and assignments, changed by PATCH and PUT,
//! refused setting by setting, assigned, given an enrollment-time device group the Intune
//! Provisioning Client owns (and refused a dynamic, unowned or unknown one), and the policy that
//! applies to a user's groups; tenants and permissions.

use autopilot_registry::domain::Tenant;
use autopilot_registry::store::Store;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{CONFIGURATION_WRITE, READ, claims, hs256};
use crate::control::{graph, guarded_app};
use crate::helpers::{TestApp, body_of, error_of, send_as};

pub const POLICIES: &str = "beta/deviceManagement/configurationPolicies";
const USER_DRIVEN: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
const AUTOMATIC: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";
const CONFIGURATION_READ: &str = "DeviceManagementConfiguration.Read.All";

/// A request with DeviceManagementConfiguration.ReadWrite.All.
pub async fn configure(
    app: &TestApp,
    tenant: Uuid,
    method: Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    send_as(
        app,
        &hs256(&claims(tenant, &[CONFIGURATION_WRITE])),
        method,
        path,
        body,
    )
    .await
}

fn choice(definition: &str, option: u8, instance_template: &str, value_template: &str) -> Json {
    json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "choiceSettingValue": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
                "children": [],
                "settingValueTemplateReference": {"settingValueTemplateId": value_template},
                "value": format!("{definition}_{option}")},
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance_template}}})
}

fn simple(definition: &str, value_type: &str, value: Json, instance_template: &str) -> Json {
    json!({"settingInstance": {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
        "simpleSettingValue": {
            "@odata.type": format!("#microsoft.graph.deviceManagementConfiguration{value_type}SettingValue"),
            "value": value},
        "settingDefinitionId": definition,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance_template}}})
}

fn collection(definition: &str, values: &[String], instance_template: &str) -> Json {
    let values: Vec<Json> = values
        .iter()
        .map(|value| {
            json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                   "@odata.": Uuid::new_v4().to_string(), "value": value})
        })
        .collect();
    json!({"settingInstance": {
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
        "settingDefinitionId": definition,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance_template},
        "simpleSettingCollectionValue": values}})
}

fn app_reference(n: u128) -> String {
    format!(
        r##"{{"id":"{}","type":"#microsoft.graph.win32LobApp"}}"##,
        Uuid::from_u128(n)
    )
}

/// The user-driven policy the admin center posts (its network trace, as the Terraform provider
/// for Microsoft 365 records it), with two apps and a script.
pub fn user_driven(name: &str) -> Json {
    json!({"name": name, "description": "",
        "settings": [
            choice("enrollment_autopilot_dpp_deploymentmode", 0, "5180aeab-886e-4589-97d4-40855c646315", "5874c2f6-bcf1-463b-a9eb-bee64e2f2d82"),
            choice("enrollment_autopilot_dpp_deploymenttype", 0, "f4184296-fa9f-4b67-8b12-1723b3f8456b", "e0af022f-37f3-4a40-916d-1ab7281c88d9"),
            choice("enrollment_autopilot_dpp_jointype", 0, "6310e95d-6cfa-4d2f-aae0-1e7af12e2182", "1fa84eb3-fcfa-4ed6-9687-0f3d486402c4"),
            choice("enrollment_autopilot_dpp_accountype", 0, "d4f2a840-86d5-4162-9a08-fa8cc608b94e", "bf13bb47-69ef-4e06-97c1-50c2859a49c2"),
            simple("enrollment_autopilot_dpp_timeout", "Integer", json!(60), "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb"),
            simple("enrollment_autopilot_dpp_customerrormessage", "String", json!("Contact your organization’s support person for help."), "2ddf0619-2b7a-46de-b29b-c6191e9dda6e"),
            choice("enrollment_autopilot_dpp_allowskip", 1, "2a71dc89-0f17-4ba9-bb27-af2521d34710", "a2323e5e-ac56-4517-8847-b0a6fdb467e7"),
            choice("enrollment_autopilot_dpp_allowdiagnostics", 1, "e2b7a81b-f243-4abd-bce3-c1856345f405", "c59d26fd-3460-4b26-b47a-f7e202e7d5a3"),
            simple("enrollment_autopilot_dpp_devicesecuritygroupids", "String", json!(""), "a46a50ab-3076-4968-9366-75a40dde950e"),
            collection("enrollment_autopilot_dpp_allowedappids", &[app_reference(1), app_reference(2)], "70d22a8a-a03c-4f62-b8df-dded3e327639"),
            collection("enrollment_autopilot_dpp_allowedscriptids", &[Uuid::from_u128(3).to_string()], "1bc67702-800c-4271-8fd9-609351cc19cf"),
        ],
        "roleScopeTagIds": ["0"], "platforms": "windows10", "technologies": "enrollment",
        "templateReference": {"templateId": USER_DRIVEN}})
}

/// The automatic policy the admin center posts.
pub fn automatic(name: &str) -> Json {
    json!({"name": name, "description": "",
        "settings": [collection("enrollment_autopilot_dpp_allowedappids", &[app_reference(4)], "a9dedfd6-c3b2-46d9-ae39-91fd0dcb7a20")],
        "roleScopeTagIds": ["0"], "platforms": "windows10", "technologies": "enrollment",
        "templateReference": {"templateId": AUTOMATIC}})
}

pub async fn create(app: &TestApp, tenant: Uuid, body: Json) -> Json {
    body_of(
        configure(app, tenant, Method::POST, POLICIES, Some(body)).await,
        StatusCode::CREATED,
    )
    .await
}

pub async fn ok(response: Response) -> Json {
    body_of(response, StatusCode::OK).await
}

pub fn id(entity: &Json) -> String {
    entity["id"].as_str().unwrap().to_owned()
}

/// A group of `tenant`: a static security group, or a dynamic one with `rule`; its id.
pub async fn group(app: &TestApp, tenant: Uuid, name: &str, rule: Option<&str>) -> String {
    let mut body = json!({"displayName": name, "mailNickname": name, "mailEnabled": false,
                          "securityEnabled": true});
    if let Some(rule) = rule {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(rule);
    }
    let created = body_of(
        graph(app, tenant, Method::POST, "beta/groups", Some(body)).await,
        StatusCode::CREATED,
    )
    .await;
    id(&created)
}

/// The tenant's service principal of the Intune Provisioning Client, created as tools create it
/// when a tenant lacks it; its object id.
pub async fn provisioning_client(app: &TestApp, tenant: Uuid) -> String {
    let body = json!({"appId": "f1346770-5b25-470b-88bd-d5744ab7952c"});
    let created = directory(
        app,
        tenant,
        Method::POST,
        "beta/servicePrincipals",
        Some(body),
    )
    .await;
    id(&body_of(created, StatusCode::CREATED).await)
}

/// A static security group of `tenant` owned by the service principal `owner`: the device group
/// a device preparation policy may name; its id.
pub async fn owned_device_group(app: &TestApp, tenant: Uuid, name: &str, owner: &str) -> String {
    let group = group(app, tenant, name, None).await;
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{owner}")});
    let path = format!("v1.0/groups/{group}/owners/$ref");
    let added = directory(app, tenant, Method::POST, &path, Some(reference)).await;
    body_of(added, StatusCode::NO_CONTENT).await;
    group
}

/// A request with the directory's permissions: users, service principals and groups.
pub async fn directory(
    app: &TestApp,
    tenant: Uuid,
    method: Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    let scopes = [
        "User.ReadWrite.All",
        "Application.ReadWrite.All",
        "Group.ReadWrite.All",
    ];
    send_as(app, &hs256(&claims(tenant, &scopes)), method, path, body).await
}

#[tokio::test]
async fn both_templates_are_created_with_their_settings_listed_read_changed_and_deleted() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let policy = create(&app, tenant, user_driven("Sales laptops")).await;
    assert_eq!(policy["settingCount"], 11);
    assert_eq!(policy["platforms"], "windows10");
    assert_eq!(policy["technologies"], "enrollment");
    assert_eq!(policy["isAssigned"], false);
    assert_eq!(policy["roleScopeTagIds"], json!(["0"]));
    assert_eq!(
        policy["templateReference"],
        json!({"templateId": USER_DRIVEN, "templateFamily": "enrollmentConfiguration",
               "templateDisplayName": "Device Preparation", "templateDisplayVersion": "Version 1"})
    );
    assert_eq!(policy["priorityMetaData"]["priority"], 1);
    assert_eq!(policy["createdDateTime"], policy["lastModifiedDateTime"]);
    let kiosk = create(&app, tenant, automatic("Kiosks")).await;
    assert_eq!(kiosk["settingCount"], 1);
    assert_eq!(kiosk["priorityMetaData"]["priority"], 2);
    let policy_id = id(&policy);

    // The filter the admin center and CIPP send.
    let filter = format!(
        "{POLICIES}?$filter=technologies has 'enrollment' and platforms eq 'windows10' and \
         templateReference/templateId eq '{USER_DRIVEN}'&$select=id,name&$count=true"
    );
    let page = ok(configure(&app, tenant, Method::GET, &filter, None).await).await;
    assert_eq!(page["@odata.count"], 1);
    assert_eq!(page["value"][0]["name"], "Sales laptops");
    assert!(page["value"][0].get("settingCount").is_none());
    let family = format!(
        "{POLICIES}?$filter=templateReference/templateFamily eq 'enrollmentConfiguration'&$top=1"
    );
    let page = ok(configure(&app, tenant, Method::GET, &family, None).await).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 1);
    assert!(page["@odata.nextLink"].is_string());

    // Settings come back as posted, with their ids, and without what their types lack.
    let expanded = format!("{POLICIES}/{policy_id}?$expand=settings");
    let read = ok(configure(&app, tenant, Method::GET, &expanded, None).await).await;
    let settings = read["settings"].as_array().unwrap();
    assert_eq!(settings.len(), 11);
    assert_eq!(settings[0]["id"], "0");
    let sent = &user_driven("x")["settings"];
    assert_eq!(
        settings[4]["settingInstance"]["simpleSettingValue"]["value"],
        60
    );
    assert_eq!(
        settings[0]["settingInstance"]["choiceSettingValue"],
        sent[0]["settingInstance"]["choiceSettingValue"]
    );
    let apps = &settings[9]["settingInstance"]["simpleSettingCollectionValue"];
    assert_eq!(apps[1]["value"], app_reference(2));
    assert!(apps[1].get("@odata.").is_none());
    let navigation = format!("{POLICIES}/{policy_id}/settings");
    let listed = ok(configure(&app, tenant, Method::GET, &navigation, None).await).await;
    assert_eq!(listed["value"], read["settings"]);
    let one =
        ok(configure(&app, tenant, Method::GET, &format!("{navigation}/4"), None).await).await;
    assert_eq!(
        one["settingInstance"]["settingDefinitionId"],
        "enrollment_autopilot_dpp_timeout"
    );
    error_of(
        configure(&app, tenant, Method::GET, &format!("{navigation}/11"), None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;

    // PATCH changes what it sends; settings sent replace the policy's.
    let item = format!("{POLICIES}/{policy_id}");
    let body = json!({"description": "Sales", "settings": [
        simple("enrollment_autopilot_dpp_timeout", "Integer", json!(120), "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb")]});
    let changed = ok(configure(&app, tenant, Method::PATCH, &item, Some(body)).await).await;
    assert_eq!(changed["description"], "Sales");
    assert_eq!(changed["name"], "Sales laptops");
    assert_eq!(changed["settingCount"], 1);
    let unchanged = ok(configure(
        &app,
        tenant,
        Method::PATCH,
        &item,
        Some(json!({"name": "Sales"})),
    )
    .await)
    .await;
    assert_eq!(
        unchanged["settingCount"], 1,
        "a PATCH without settings keeps them"
    );
    // PUT replaces the whole policy.
    let mut full = user_driven("Sales again");
    full["description"] = Json::Null;
    let replaced = ok(configure(&app, tenant, Method::PUT, &item, Some(full)).await).await;
    assert_eq!(replaced["name"], "Sales again");
    assert_eq!(replaced["settingCount"], 11);
    assert_eq!(replaced["priorityMetaData"]["priority"], 1);
    let bare = ok(configure(
        &app,
        tenant,
        Method::PUT,
        &item,
        Some(json!({"name": "Bare"})),
    )
    .await)
    .await;
    assert_eq!(bare["settingCount"], 0);
    assert_eq!(bare["description"], Json::Null);
    // The template stays.
    let moved = json!({"name": "x", "templateReference": {"templateId": AUTOMATIC}});
    error_of(
        configure(&app, tenant, Method::PUT, &item, Some(moved)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;

    body_of(
        configure(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    error_of(
        configure(&app, tenant, Method::GET, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM configuration_policy_settings WHERE policy_id = $1",
    )
    .bind(Uuid::parse_str(&policy_id).unwrap())
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(rows, 0, "a deleted policy's settings go with it");
}

#[tokio::test]
async fn settings_the_template_does_not_allow_are_refused_naming_their_definition() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let with = |settings: Json| {
        let mut body = user_driven("p");
        body["settings"] = settings;
        body
    };
    let eleven: Vec<String> = (0..11).map(app_reference).collect();
    let cases = [
        (
            with(json!([choice(
                "enrollment_autopilot_dpp_unknown",
                0,
                "a",
                "b"
            )])),
            "enrollment_autopilot_dpp_unknown",
        ),
        (
            with(json!([simple(
                "enrollment_autopilot_dpp_timeout",
                "String",
                json!("60"),
                "a"
            )])),
            "enrollment_autopilot_dpp_timeout",
        ),
        (
            with(json!([simple(
                "enrollment_autopilot_dpp_timeout",
                "Integer",
                json!(5),
                "a"
            )])),
            "enrollment_autopilot_dpp_timeout",
        ),
        (
            with(json!([choice(
                "enrollment_autopilot_dpp_jointype",
                7,
                "a",
                "b"
            )])),
            "enrollment_autopilot_dpp_jointype",
        ),
        (
            with(json!([collection(
                "enrollment_autopilot_dpp_allowedappids",
                &eleven,
                "a"
            )])),
            "enrollment_autopilot_dpp_allowedappids",
        ),
        (
            with(json!([collection(
                "enrollment_autopilot_dpp_allowedscriptids",
                &["nope".to_owned()],
                "a"
            )])),
            "enrollment_autopilot_dpp_allowedscriptids",
        ),
        (
            with(json!([
                choice("enrollment_autopilot_dpp_allowskip", 0, "a", "b"),
                choice("enrollment_autopilot_dpp_allowskip", 1, "a", "b")
            ])),
            "enrollment_autopilot_dpp_allowskip",
        ),
    ];
    for (body, definition) in cases {
        let error = error_of(
            configure(&app, tenant, Method::POST, POLICIES, Some(body)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(definition), "{message}");
    }
    // A definition of the other template.
    let mut body = automatic("k");
    body["settings"] = json!([choice("enrollment_autopilot_dpp_allowskip", 0, "a", "b")]);
    error_of(
        configure(&app, tenant, Method::POST, POLICIES, Some(body)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    // Another template (the settings catalog's Windows security baseline), or none, is not emulated.
    for reference in [
        Some(json!({"templateId": "034ccd46-190c-4afc-adf1-ad7cc11262eb_1"})),
        None,
    ] {
        let mut body = user_driven("p");
        match reference {
            Some(reference) => body["templateReference"] = reference,
            None => {
                body.as_object_mut().unwrap().remove("templateReference");
            }
        }
        let error = error_of(
            configure(&app, tenant, Method::POST, POLICIES, Some(body)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not emulated")
        );
    }
    let mut body = user_driven("p");
    body["technologies"] = json!("mdm");
    error_of(
        configure(&app, tenant, Method::POST, POLICIES, Some(body)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM configuration_policies")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing refused is stored");
}

#[tokio::test]
async fn a_policy_is_assigned_given_a_static_device_group_and_applies_to_its_users_groups() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let provisioning = provisioning_client(&app, tenant).await;
    let (sales, others, devices) = (
        group(&app, tenant, "Sales", None).await,
        group(&app, tenant, "Others", None).await,
        owned_device_group(&app, tenant, "Autopilot devices", &provisioning).await,
    );
    let dynamic = group(
        &app,
        tenant,
        "Dynamic",
        Some("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:x\"))"),
    )
    .await;
    let policy = id(&create(&app, tenant, user_driven("Sales")).await);
    let second = id(&create(&app, tenant, user_driven("Everyone")).await);
    let item = format!("{POLICIES}/{policy}");

    let assign = json!({"assignments": [
        {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": sales}},
        {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": others}}]});
    let answer = ok(configure(
        &app,
        tenant,
        Method::POST,
        &format!("{item}/assign"),
        Some(assign),
    )
    .await)
    .await;
    assert_eq!(answer["value"].as_array().unwrap().len(), 2);
    assert_eq!(answer["value"][0]["id"], format!("{policy}_{sales}"));
    let listed = ok(configure(
        &app,
        tenant,
        Method::GET,
        &format!("{item}/assignments"),
        None,
    )
    .await)
    .await;
    let ids = |page: &Json| {
        let mut ids: Vec<String> = page["value"].as_array().unwrap().iter().map(id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&listed), ids(&answer));
    let one = format!("{item}/assignments/{policy}_{sales}");
    let read = ok(configure(&app, tenant, Method::GET, &one, None).await).await;
    assert_eq!(read["target"]["groupId"], sales.as_str());
    let expanded = ok(configure(
        &app,
        tenant,
        Method::GET,
        &format!("{item}?$expand=assignments"),
        None,
    )
    .await)
    .await;
    assert_eq!(expanded["assignments"].as_array().unwrap().len(), 2);
    assert_eq!(expanded["isAssigned"], true);
    // A group the tenant lacks is Graph's 400, and changes nothing.
    let stranger = json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": Uuid::new_v4()}}]});
    error_of(
        configure(
            &app,
            tenant,
            Method::POST,
            &format!("{item}/assign"),
            Some(stranger),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    let listed = ok(configure(
        &app,
        tenant,
        Method::GET,
        &format!("{item}/assignments"),
        None,
    )
    .await)
    .await;
    assert_eq!(listed["value"].as_array().unwrap().len(), 2);
    let everyone = json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]});
    ok(configure(
        &app,
        tenant,
        Method::POST,
        &format!("{POLICIES}/{second}/assign"),
        Some(everyone),
    )
    .await)
    .await;

    // The enrollment-time device group: a static security group of the tenant that the Intune
    // Provisioning Client owns.
    let target = |group: &str| json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": group}]});
    let set = format!("{item}/setEnrollmentTimeDeviceMembershipTarget");
    let result =
        ok(configure(&app, tenant, Method::POST, &set, Some(target(&devices))).await).await;
    assert_eq!(result["validationSucceeded"], true);
    assert_eq!(
        result["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetId"],
        devices.as_str()
    );
    for (refused, code) in [
        (dynamic.clone(), "notStaticSecurityGroup"),
        (others.clone(), "firstPartyAppNotAnOwner"),
        (Uuid::new_v4().to_string(), "securityGroupNotFound"),
    ] {
        let error = error_of(
            configure(&app, tenant, Method::POST, &set, Some(target(&refused))).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        assert!(
            error["error"]["message"].as_str().unwrap().contains(code),
            "{error}"
        );
    }
    let retrieve = format!("{item}/retrieveEnrollmentTimeDeviceMembershipTarget");
    let kept = ok(configure(&app, tenant, Method::POST, &retrieve, None).await).await;
    assert_eq!(
        kept["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetId"],
        devices.as_str()
    );

    // What an enrollment reads: the policy of the user's groups, first in priority, with its
    // settings as values and its device group.
    let store = Store::connect_lazy(&app.database_url, 2).unwrap();
    store.migrate().await.unwrap();
    let applied = |groups: Vec<Uuid>| {
        let store = &store;
        async move {
            store
                .applicable_device_preparation_policy(Tenant(tenant), &groups)
                .await
                .unwrap()
        }
    };
    let uuid = |text: &str| Uuid::parse_str(text).unwrap();
    let sales_user = applied(vec![uuid(&sales)]).await.expect("a policy applies");
    assert_eq!(sales_user.id, uuid(&policy));
    assert_eq!(sales_user.device_group, Some(uuid(&devices)));
    assert_eq!(sales_user.settings.timeout_minutes, Some(60));
    assert_eq!(sales_user.settings.allowed_apps.len(), 2);
    assert_eq!(sales_user.settings.allow_skip, Some(true));
    // Excluded from the first: the one for everyone.
    let excluded = applied(vec![uuid(&sales), uuid(&others)]).await.unwrap();
    assert_eq!(excluded.id, uuid(&second));
    assert_eq!(excluded.device_group, None);

    // Clearing the target, and deleting a group a policy names, keep the policy whole.
    let cleared = ok(configure(
        &app,
        tenant,
        Method::POST,
        &format!("{item}/clearEnrollmentTimeDeviceMembershipTarget"),
        None,
    )
    .await)
    .await;
    assert_eq!(cleared["value"], true);
    let none = ok(configure(&app, tenant, Method::POST, &retrieve, None).await).await;
    assert_eq!(
        none["enrollmentTimeDeviceMembershipTargetValidationStatuses"],
        json!([])
    );
    body_of(
        graph(
            &app,
            tenant,
            Method::DELETE,
            &format!("beta/groups/{sales}"),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let listed = ok(configure(
        &app,
        tenant,
        Method::GET,
        &format!("{item}/assignments"),
        None,
    )
    .await)
    .await;
    assert_eq!(
        listed["value"].as_array().unwrap().len(),
        2,
        "a deleted group's assignment stays, as in Intune"
    );
    ok(configure(&app, tenant, Method::GET, &item, None).await).await;
}

#[tokio::test]
async fn policies_are_the_tenants_own_and_need_configuration_permissions() {
    let app = guarded_app().await;
    let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
    let policy = id(&create(&app, tenant, user_driven("Mine")).await);
    let item = format!("{POLICIES}/{policy}");
    for path in [
        item.clone(),
        format!("{item}/settings"),
        format!("{item}/assignments"),
    ] {
        error_of(
            configure(&app, other, Method::GET, &path, None).await,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
        )
        .await;
    }
    let page = ok(configure(&app, other, Method::GET, POLICIES, None).await).await;
    assert_eq!(page["value"], json!([]));
    let group = group(&app, other, "Theirs", None).await;
    let foreign = json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": group}]});
    let set = format!("{item}/setEnrollmentTimeDeviceMembershipTarget");
    error_of(
        configure(&app, tenant, Method::POST, &set, Some(foreign)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;

    // Reading takes DeviceManagementConfiguration.Read.All; writing its ReadWrite.All. The
    // ServiceConfig permissions of the Autopilot sets are not enough.
    let reader = hs256(&claims(tenant, &[CONFIGURATION_READ]));
    ok(send_as(&app, &reader, Method::GET, &item, None).await).await;
    error_of(
        send_as(&app, &reader, Method::DELETE, &item, None).await,
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    let service_config = hs256(&claims(tenant, &[READ]));
    error_of(
        send_as(&app, &service_config, Method::GET, POLICIES, None).await,
        StatusCode::FORBIDDEN,
        "Forbidden",
    )
    .await;
    // Beta only.
    let v1 = POLICIES.replacen("beta", "v1.0", 1);
    assert_eq!(
        configure(&app, tenant, Method::GET, &v1, None)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}
