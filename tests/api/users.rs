//! Users and service principals (issue 28): users created, found by `$filter` and by user principal
//! name, changed and deleted; service principals created by `appId`, found by the
//! `servicePrincipals(appId='...')` key; users as members of static groups; owners added, listed
//! and removed with Graph's errors; the store's two questions; tenants and permissions.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use autopilot_registry::domain::Tenant;
use autopilot_registry::store::Store;

use crate::auth::{WRITE, claims, hs256};
use crate::control::guarded_app;
use crate::helpers::{
    KIOSK_RULE, TestApp, body_of, create_group, error_of, send, send_as, spawn_app,
};

const PROVISIONING_CLIENT: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";

fn new_user(upn: &str) -> Json {
    json!({"accountEnabled": true, "displayName": upn, "mailNickname": upn.split('@').next(),
           "userPrincipalName": upn,
           "passwordProfile": {"password": "Very-S3cret-Passw0rd", "forceChangePasswordNextSignIn": true}})
}

/// A new user of the default tenant; its id.
async fn create_user(app: &TestApp, upn: &str) -> String {
    let created = body_of(
        send(app, Method::POST, "v1.0/users", Some(new_user(upn))).await,
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

/// The default tenant's service principal of `app_id`, created; its body.
async fn create_principal(app: &TestApp, app_id: &str) -> Json {
    body_of(
        send(
            app,
            Method::POST,
            "beta/servicePrincipals",
            Some(json!({"appId": app_id})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

async fn get_json(app: &TestApp, path: &str) -> Json {
    body_of(send(app, Method::GET, path, None).await, StatusCode::OK).await
}

fn reference(kind: &str, id: &str) -> Json {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/{kind}/{id}")})
}

/// The service's store on the app's database, to ask what other parts of the service ask.
async fn store_of(app: &TestApp) -> Store {
    let store = Store::connect_lazy(&app.database_url, 2).unwrap();
    // Already migrated by the app: this only tells the store so.
    store.migrate().await.unwrap();
    store
}

/// The ids in a page, in order.
fn ids(page: &Json) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn users_are_created_found_changed_and_deleted_without_keeping_their_password() {
    let app = spawn_app().await;
    let created = body_of(
        send(
            &app,
            Method::POST,
            "v1.0/users",
            Some(new_user("Adele.Vance@contoso.example")),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["userType"], "Member", "{created}");
    assert!(created["createdDateTime"].is_string(), "{created}");
    assert!(created.get("passwordProfile").is_none(), "{created}");
    let stored: String =
        sqlx::query_scalar("SELECT to_jsonb(u)::text FROM directory_users u WHERE id = $1")
            .bind(Uuid::parse_str(&id).unwrap())
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert!(!stored.contains("Passw0rd"), "{stored}");

    // The user principal name is unique whatever its case, with Entra's error.
    let taken = send(
        &app,
        Method::POST,
        "beta/users",
        Some(new_user("adele.vance@CONTOSO.example")),
    )
    .await;
    let error = error_of(taken, StatusCode::BAD_REQUEST, "Request_BadRequest").await;
    assert_eq!(
        error["error"]["message"],
        "Another object with the same value for property userPrincipalName already exists."
    );
    assert_eq!(error["error"]["details"][0]["target"], "userPrincipalName");
    // Graph requires the password profile on a create.
    let mut no_password = new_user("nopass@contoso.example");
    no_password
        .as_object_mut()
        .unwrap()
        .remove("passwordProfile");
    let refused = send(&app, Method::POST, "v1.0/users", Some(no_password)).await;
    let error = error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(error["error"]["details"][0]["target"], "passwordProfile");

    let megan = create_user(&app, "megan.bowen@contoso.example").await;
    for (filter, expected) in [
        (
            "userPrincipalName eq 'ADELE.VANCE@contoso.example'",
            vec![id.clone()],
        ),
        ("startswith(userPrincipalName,'megan')", vec![megan.clone()]),
    ] {
        let page = get_json(&app, &format!("v1.0/users?$filter={filter}&$count=true")).await;
        assert_eq!(ids(&page), expected, "{filter}");
        assert_eq!(page["@odata.count"], 1, "{filter}");
    }
    let page = get_json(&app, "beta/users?$select=userPrincipalName&$top=1").await;
    assert_eq!(page["value"][0].as_object().unwrap().len(), 1, "{page}");
    assert!(page["@odata.nextLink"].is_string(), "{page}");
    let count = send(&app, Method::GET, "v1.0/users/$count", None).await;
    assert_eq!(count.text().await.unwrap(), "2");

    // By id, by user principal name, and by the alternate key form the SDKs use.
    for path in [
        format!("v1.0/users/{id}"),
        "v1.0/users/adele.vance@contoso.example".to_owned(),
        "beta/users/Adele.Vance%40contoso.example".to_owned(),
        "v1.0/users(userPrincipalName='adele.vance@contoso.example')".to_owned(),
    ] {
        assert_eq!(get_json(&app, &path).await["id"], id.as_str(), "{path}");
    }
    let nobody = send(&app, Method::GET, "v1.0/users/nobody@contoso.example", None).await;
    error_of(nobody, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    let changed = send(
        &app,
        Method::PATCH,
        "v1.0/users/adele.vance@contoso.example",
        Some(json!({"jobTitle": "Retail Manager", "usageLocation": "US",
                    "passwordProfile": {"password": "An0ther-Passw0rd"}})),
    )
    .await;
    body_of(changed, StatusCode::NO_CONTENT).await;
    let user = get_json(&app, &format!("beta/users/{id}")).await;
    assert_eq!(user["jobTitle"], "Retail Manager");
    assert_eq!(user["usageLocation"], "US");
    let clash = send(
        &app,
        Method::PATCH,
        &format!("v1.0/users/{megan}"),
        Some(json!({"userPrincipalName": "ADELE.vance@contoso.example"})),
    )
    .await;
    error_of(clash, StatusCode::BAD_REQUEST, "Request_BadRequest").await;

    let deleted = send(&app, Method::DELETE, &format!("v1.0/users/{id}"), None).await;
    body_of(deleted, StatusCode::NO_CONTENT).await;
    let gone = send(&app, Method::GET, &format!("v1.0/users/{id}"), None).await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
}

#[tokio::test]
async fn a_service_principal_is_created_by_app_id_once_and_found_by_it() {
    let app = spawn_app().await;
    let created = create_principal(&app, PROVISIONING_CLIENT).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["displayName"], "Intune Provisioning Client");
    assert_eq!(created["appDisplayName"], "Intune Provisioning Client");
    assert_eq!(
        created["servicePrincipalNames"],
        json!([PROVISIONING_CLIENT])
    );
    assert_eq!(created["servicePrincipalType"], "Application");
    assert_eq!(created["accountEnabled"], true);

    // One service principal per application, with Entra's conflict.
    let again = send(
        &app,
        Method::POST,
        "v1.0/servicePrincipals",
        Some(json!({"appId": PROVISIONING_CLIENT.to_uppercase()})),
    )
    .await;
    let error = error_of(
        again,
        StatusCode::CONFLICT,
        "Request_MultipleObjectsWithSameKeyValue",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is already in use"),
        "{error}"
    );
    let not_an_app = send(
        &app,
        Method::POST,
        "v1.0/servicePrincipals",
        Some(json!({"appId": "not-a-guid"})),
    )
    .await;
    error_of(not_an_app, StatusCode::BAD_REQUEST, "BadRequest").await;
    let own = Uuid::new_v4().to_string();
    let own_app = create_principal(&app, &own).await;
    assert_eq!(own_app["displayName"], own.as_str());

    let page = get_json(
        &app,
        &format!("v1.0/servicePrincipals?$filter=appId eq '{PROVISIONING_CLIENT}'"),
    )
    .await;
    assert_eq!(ids(&page), [id.as_str()]);
    let page = get_json(
        &app,
        "beta/servicePrincipals?$filter=displayName eq 'Intune Provisioning Client'",
    )
    .await;
    assert_eq!(ids(&page), [id.as_str()]);
    for path in [
        format!("v1.0/servicePrincipals/{id}"),
        format!("v1.0/servicePrincipals(appId='{PROVISIONING_CLIENT}')"),
        format!("beta/servicePrincipals(appId=%27{PROVISIONING_CLIENT}%27)"),
    ] {
        assert_eq!(get_json(&app, &path).await["id"], id.as_str(), "{path}");
    }
    let unknown = send(
        &app,
        Method::GET,
        &format!("v1.0/servicePrincipals(appId='{}')", Uuid::new_v4()),
        None,
    )
    .await;
    error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    let by_app_id = format!("v1.0/servicePrincipals(appId='{PROVISIONING_CLIENT}')");
    body_of(
        send(&app, Method::DELETE, &by_app_id, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let gone = send(
        &app,
        Method::GET,
        &format!("v1.0/servicePrincipals/{id}"),
        None,
    )
    .await;
    error_of(gone, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    body_of(
        send(
            &app,
            Method::DELETE,
            &format!("v1.0/servicePrincipals/{}", own_app["id"].as_str().unwrap()),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    // Deleted, the application may have a service principal again.
    create_principal(&app, PROVISIONING_CLIENT).await;
}

#[tokio::test]
async fn a_static_group_holds_users_beside_devices_and_the_user_knows_its_groups() {
    let app = spawn_app().await;
    app.create_ok(
        "v1.0",
        &json!({"serialNumber": "USR-1", "groupTag": "Kiosk"}),
    )
    .await;
    let device = get_json(&app, "v1.0/devices?$filter=displayName eq 'USR-1'").await;
    let device = device["value"][0]["id"].as_str().unwrap().to_owned();
    let user = create_user(&app, "alex@contoso.example").await;
    let other = create_user(&app, "lee@contoso.example").await;
    let group = create_group(&app, "Pilot users", None).await;
    let members = format!("v1.0/groups/{group}/members");
    for body in [
        reference("users", &user),
        reference("directoryObjects", &device),
    ] {
        let added = send(&app, Method::POST, &format!("{members}/$ref"), Some(body)).await;
        body_of(added, StatusCode::NO_CONTENT).await;
    }
    let twice = send(
        &app,
        Method::POST,
        &format!("{members}/$ref"),
        Some(reference("directoryObjects", &user)),
    )
    .await;
    let error = error_of(twice, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        error["error"]["message"],
        "One or more added object references already exist for the following modified \
         properties: 'members'."
    );

    let page = get_json(&app, &format!("{members}?$count=true")).await;
    assert_eq!(page["@odata.count"], 2, "{page}");
    let mut expected = vec![user.clone(), device.clone()];
    expected.sort();
    assert_eq!(ids(&page), expected);
    let types: Vec<&str> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"#microsoft.graph.user") && types.contains(&"#microsoft.graph.device"));
    // Paged across both kinds, in id order.
    let first = get_json(&app, &format!("{members}?$top=1")).await;
    let next = first["@odata.nextLink"].as_str().unwrap();
    let second: Json = app
        .client
        .get(next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!([ids(&first), ids(&second)].concat(), expected);
    let transitive = get_json(&app, &format!("v1.0/groups/{group}/transitiveMembers")).await;
    assert_eq!(ids(&transitive), expected);
    let filtered = get_json(
        &app,
        &format!("{members}?$filter=startswith(userPrincipalName,'alex')"),
    )
    .await;
    assert_eq!(ids(&filtered), [user.as_str()]);
    let count = send(&app, Method::GET, &format!("{members}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "2");
    let refs = get_json(&app, &format!("{members}/$ref")).await;
    let refs: Vec<&str> = refs["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["@odata.id"].as_str().unwrap())
        .collect();
    assert!(
        refs.iter()
            .any(|r| r.ends_with(&format!("{user}/Microsoft.DirectoryServices.User"))),
        "{refs:?}"
    );
    let expanded = get_json(&app, &format!("v1.0/groups/{group}?$expand=members")).await;
    assert_eq!(
        expanded["members"].as_array().unwrap().len(),
        2,
        "{expanded}"
    );

    // The user's groups, and the store's answer to the same question.
    let member_of = get_json(&app, &format!("v1.0/users/{user}/memberOf")).await;
    assert_eq!(ids(&member_of), [group.as_str()]);
    assert_eq!(
        member_of["value"][0]["@odata.type"],
        "#microsoft.graph.group"
    );
    let store = store_of(&app).await;
    let tenant = Tenant(Uuid::nil());
    let user_id = Uuid::parse_str(&user).unwrap();
    let group_id = Uuid::parse_str(&group).unwrap();
    assert_eq!(
        store.groups_holding_user(tenant, user_id).await.unwrap(),
        [group_id]
    );
    let other_id = Uuid::parse_str(&other).unwrap();
    assert!(
        store
            .groups_holding_user(tenant, other_id)
            .await
            .unwrap()
            .is_empty()
    );

    // A dynamic group takes no user: its rule decides.
    let dynamic = create_group(&app, "Kiosks", Some(KIOSK_RULE)).await;
    let refused = send(
        &app,
        Method::POST,
        &format!("v1.0/groups/{dynamic}/members/$ref"),
        Some(reference("users", &user)),
    )
    .await;
    error_of(refused, StatusCode::BAD_REQUEST, "BadRequest").await;

    // Removed by key, and by the SDKs' query form; deleting a user leaves no membership behind.
    let removed = send(
        &app,
        Method::DELETE,
        &format!("{members}/{user}/$ref"),
        None,
    )
    .await;
    body_of(removed, StatusCode::NO_CONTENT).await;
    assert!(
        store
            .groups_holding_user(tenant, user_id)
            .await
            .unwrap()
            .is_empty()
    );
    let added = send(
        &app,
        Method::POST,
        &format!("{members}/$ref"),
        Some(reference("users", &other)),
    )
    .await;
    body_of(added, StatusCode::NO_CONTENT).await;
    body_of(
        send(&app, Method::DELETE, &format!("v1.0/users/{other}"), None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_group_user_members")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn owners_are_users_and_service_principals_added_listed_and_removed_as_on_graph() {
    let app = spawn_app().await;
    let principal = create_principal(&app, PROVISIONING_CLIENT).await;
    let principal = principal["id"].as_str().unwrap().to_owned();
    let user = create_user(&app, "owner@contoso.example").await;
    let group = create_group(&app, "Autopilot devices", None).await;
    let owners = format!("v1.0/groups/{group}/owners");
    let store = store_of(&app).await;
    let tenant = Tenant(Uuid::nil());
    let group_id = Uuid::parse_str(&group).unwrap();
    assert!(
        !store
            .group_owned_by_app(tenant, group_id, PROVISIONING_CLIENT)
            .await
            .unwrap()
    );

    for body in [
        reference("servicePrincipals", &principal),
        reference("directoryObjects", &user),
    ] {
        let added = send(&app, Method::POST, &format!("{owners}/$ref"), Some(body)).await;
        body_of(added, StatusCode::NO_CONTENT).await;
    }
    assert!(
        store
            .group_owned_by_app(tenant, group_id, &PROVISIONING_CLIENT.to_uppercase())
            .await
            .unwrap()
    );
    assert!(
        !store
            .group_owned_by_app(tenant, group_id, &Uuid::new_v4().to_string())
            .await
            .unwrap()
    );
    let twice = send(
        &app,
        Method::POST,
        &format!("{owners}/$ref"),
        Some(reference("directoryObjects", &principal)),
    )
    .await;
    let error = error_of(twice, StatusCode::BAD_REQUEST, "BadRequest").await;
    assert_eq!(
        error["error"]["message"],
        "One or more added object references already exist for the following modified \
         properties: 'owners'."
    );
    let nobody = Uuid::new_v4();
    let unknown = send(
        &app,
        Method::POST,
        &format!("{owners}/$ref"),
        Some(reference("directoryObjects", &nobody.to_string())),
    )
    .await;
    let error = error_of(unknown, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    assert_eq!(
        error["error"]["message"],
        format!(
            "Resource '{nobody}' does not exist or one of its queried reference-property objects \
             are not present."
        )
    );

    let page = get_json(&app, &format!("{owners}?$count=true")).await;
    assert_eq!(page["@odata.count"], 2);
    let mut expected = vec![principal.clone(), user.clone()];
    expected.sort();
    assert_eq!(ids(&page), expected);
    let refs = get_json(&app, &format!("beta/groups/{group}/owners/$ref")).await;
    assert!(
        refs["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["@odata.id"].as_str().unwrap().ends_with(&format!(
                "{principal}/Microsoft.DirectoryServices.ServicePrincipal"
            ))),
        "{refs}"
    );
    let count = send(&app, Method::GET, &format!("{owners}/$count"), None).await;
    assert_eq!(count.text().await.unwrap(), "2");

    let removed = send(
        &app,
        Method::DELETE,
        &format!("{owners}/$ref?@id=https://graph.microsoft.com/v1.0/directoryObjects/{user}"),
        None,
    )
    .await;
    body_of(removed, StatusCode::NO_CONTENT).await;
    let again = send(&app, Method::DELETE, &format!("{owners}/{user}/$ref"), None).await;
    error_of(again, StatusCode::NOT_FOUND, "ResourceNotFound").await;

    // Owners given at create time; deleting the owner or the group leaves no ownership behind.
    let bound = body_of(
        send(
            &app,
            Method::POST,
            "v1.0/groups",
            Some(json!({"displayName": "Bound", "mailNickname": "bound", "mailEnabled": false,
                        "securityEnabled": true,
                        "owners@odata.bind": [format!("https://graph.microsoft.com/v1.0/servicePrincipals/{principal}")],
                        "members@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{user}")]})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let bound = bound["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&get_json(&app, &format!("v1.0/groups/{bound}/owners")).await),
        [principal.as_str()]
    );
    assert_eq!(
        ids(&get_json(&app, &format!("v1.0/groups/{bound}/members")).await),
        [user.as_str()]
    );
    let unknown_bind = send(
        &app,
        Method::POST,
        "v1.0/groups",
        Some(json!({"displayName": "Broken", "mailNickname": "broken", "mailEnabled": false,
                    "securityEnabled": true,
                    "owners@odata.bind": [format!("https://graph.microsoft.com/v1.0/users/{nobody}")]})),
    )
    .await;
    error_of(unknown_bind, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    let groups = get_json(&app, "v1.0/groups?$filter=displayName eq 'Broken'").await;
    assert_eq!(ids(&groups), Vec::<String>::new());

    body_of(
        send(&app, Method::DELETE, &format!("v1.0/groups/{bound}"), None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    body_of(
        send(
            &app,
            Method::DELETE,
            &format!("v1.0/servicePrincipals/{principal}"),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let db = app.db().await;
    for table in [
        "directory_group_service_principal_owners",
        "directory_group_user_owners",
        "directory_group_user_members",
    ] {
        let rows: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
    assert!(
        !store
            .group_owned_by_app(tenant, group_id, PROVISIONING_CLIENT)
            .await
            .unwrap()
    );
}

/// A request as `tenant`'s application with `roles`.
async fn as_app(
    app: &TestApp,
    tenant: Uuid,
    roles: &[&str],
    method: Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    send_as(app, &hs256(&claims(tenant, roles)), method, path, body).await
}

#[tokio::test]
async fn identities_belong_to_their_tenant_and_need_graphs_permissions() {
    let app = guarded_app().await;
    let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
    let admin = [
        "User.ReadWrite.All",
        "Application.ReadWrite.All",
        "Group.ReadWrite.All",
        WRITE,
    ];
    let user = body_of(
        as_app(
            &app,
            tenant,
            &admin,
            Method::POST,
            "v1.0/users",
            Some(new_user("t@contoso.example")),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let user = user["id"].as_str().unwrap().to_owned();
    let principal = body_of(
        as_app(
            &app,
            tenant,
            &admin,
            Method::POST,
            "v1.0/servicePrincipals",
            Some(json!({"appId": PROVISIONING_CLIENT})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let principal = principal["id"].as_str().unwrap().to_owned();

    // Another tenant sees neither, cannot reference them, and may have its own of the same names.
    for path in [
        format!("v1.0/users/{user}"),
        "v1.0/users/t@contoso.example".to_owned(),
        format!("v1.0/servicePrincipals(appId='{PROVISIONING_CLIENT}')"),
    ] {
        let hidden = as_app(&app, other, &admin, Method::GET, &path, None).await;
        error_of(hidden, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    let listed = as_app(&app, other, &admin, Method::GET, "v1.0/users", None).await;
    assert_eq!(body_of(listed, StatusCode::OK).await["value"], json!([]));
    let group = body_of(
        as_app(
            &app,
            other,
            &admin,
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
    let group = group["id"].as_str().unwrap().to_owned();
    for (navigation, id) in [("members", &user), ("owners", &principal)] {
        let foreign = as_app(
            &app,
            other,
            &admin,
            Method::POST,
            &format!("v1.0/groups/{group}/{navigation}/$ref"),
            Some(reference("directoryObjects", id)),
        )
        .await;
        error_of(foreign, StatusCode::NOT_FOUND, "ResourceNotFound").await;
    }
    body_of(
        as_app(
            &app,
            other,
            &admin,
            Method::POST,
            "v1.0/servicePrincipals",
            Some(json!({"appId": PROVISIONING_CLIENT})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // Users take User.*, service principals Application.*, group links Group(Member).ReadWrite.All.
    for (roles, method, path, body) in [
        (vec![WRITE], Method::GET, "v1.0/users".to_owned(), None),
        (
            vec!["User.Read.All"],
            Method::POST,
            "v1.0/users".to_owned(),
            Some(new_user("x@contoso.example")),
        ),
        (
            vec!["User.ReadWrite.All"],
            Method::GET,
            "v1.0/servicePrincipals".to_owned(),
            None,
        ),
        (
            vec!["Application.Read.All"],
            Method::DELETE,
            format!("v1.0/servicePrincipals/{principal}"),
            None,
        ),
        (
            vec!["GroupMember.Read.All"],
            Method::POST,
            format!("v1.0/groups/{group}/members/$ref"),
            Some(reference("users", &user)),
        ),
    ] {
        let refused = as_app(&app, tenant, &roles, method.clone(), &path, body).await;
        error_of(refused, StatusCode::FORBIDDEN, "Forbidden").await;
    }
    for (roles, path) in [
        (vec!["User.Read.All"], "v1.0/users"),
        (vec!["Directory.Read.All"], "v1.0/users"),
        (vec!["Application.Read.All"], "v1.0/servicePrincipals"),
    ] {
        let allowed = as_app(&app, tenant, &roles, Method::GET, path, None).await;
        assert_eq!(allowed.status(), StatusCode::OK, "{roles:?} {path}");
    }
}
