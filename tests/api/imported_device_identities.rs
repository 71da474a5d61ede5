//! Corporate identifiers (beta `deviceManagement/importedDeviceIdentities`, issue 28): imported
//! in lists with and without overwrite, listed, filtered, read, created, searched and deleted;
//! each identifier checked against its type; beta only, permission-checked and tenant-isolated;
//! and the enrollment gate that decides whether a Windows device named by manufacturer, model and
//! serial number may enroll when personal devices are blocked.

use std::collections::HashSet;

use autopilot_registry::domain::Tenant;
use autopilot_registry::domain::corporate_identifier::{
    CorporateEvidence, CorporateIdentifier, EnrollmentRefusal, IdentifierEnrollment, Ownership,
};
use autopilot_registry::domain::enrollment_configuration::DEFAULTS;
use autopilot_registry::store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{READ, claims, hs256};
use crate::control::{graph, guarded_app};
use crate::helpers::{TestApp, body_of, error_of, send_as};

const IDENTIFIERS: &str = "beta/deviceManagement/importedDeviceIdentities";
const IMPORT: &str = "beta/deviceManagement/importedDeviceIdentities/importDeviceIdentityList";
const SEARCH: &str = "beta/deviceManagement/importedDeviceIdentities/searchExistingIdentities";

pub fn windows(identifier: &str) -> Json {
    json!({"importedDeviceIdentifier": identifier, "importedDeviceIdentityType": "manufacturerModelSerial"})
}

fn serial(identifier: &str) -> Json {
    json!({"importedDeviceIdentifier": identifier, "importedDeviceIdentityType": "serialNumber"})
}

pub async fn import(app: &TestApp, tenant: Uuid, identities: Json, overwrite: bool) -> Json {
    let body = json!({"importedDeviceIdentities": identities,
                      "overwriteImportedDeviceIdentities": overwrite});
    body_of(
        graph(app, tenant, Method::POST, IMPORT, Some(body)).await,
        StatusCode::OK,
    )
    .await
}

async fn ok(app: &TestApp, tenant: Uuid, path: &str) -> Json {
    body_of(
        graph(app, tenant, Method::GET, path, None).await,
        StatusCode::OK,
    )
    .await
}

fn field<'a>(page: &'a Json, name: &str) -> Vec<&'a Json> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| &item[name])
        .collect()
}

#[tokio::test]
async fn an_import_stores_new_identifiers_and_reports_existing_ones_unless_it_overwrites() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();

    let first = import(
        &app,
        tenant,
        json!([
            {"importedDeviceIdentifier": " Microsoft Corporation , Surface Laptop 5,0F1234 ",
             "importedDeviceIdentityType": "manufacturerModelSerial", "description": "Lobby",
             "@odata.type": "#microsoft.graph.importedDeviceIdentity", "id": "ignored",
             "enrollmentState": "enrolled", "createdDateTime": "2017-01-01T00:02:43Z"},
            serial("C02XL0GHJGH5"),
        ]),
        false,
    )
    .await;
    assert!(
        first["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Collection(microsoft.graph.importedDeviceIdentityResult)")
    );
    let [laptop, mac] = first["value"]
        .as_array()
        .unwrap()
        .clone()
        .try_into()
        .unwrap();
    assert_eq!(
        laptop["@odata.type"],
        "#microsoft.graph.importedDeviceIdentityResult"
    );
    assert_eq!(laptop["status"], true);
    assert_eq!(
        laptop["importedDeviceIdentifier"],
        "Microsoft Corporation,Surface Laptop 5,0F1234"
    );
    assert_eq!(laptop["platform"], "windows");
    assert_eq!(laptop["enrollmentState"], "notContacted");
    assert_eq!(laptop["lastContactedDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(laptop["description"], "Lobby");
    assert_ne!(laptop["id"], "ignored");
    assert_ne!(laptop["createdDateTime"], "2017-01-01T00:02:43Z");
    assert_eq!(mac["status"], true);
    assert_eq!(mac["platform"], "unknown");

    // Without overwrite, an identifier the tenant has (in any case), and a repeat within the
    // list, are reported as they stand and not stored again.
    let again = import(
        &app,
        tenant,
        json!([
            {"importedDeviceIdentifier": "microsoft corporation,SURFACE LAPTOP 5,0f1234",
             "importedDeviceIdentityType": "manufacturerModelSerial", "description": "Changed"},
            serial("NEW-0001"),
            serial("new-0001"),
        ]),
        false,
    )
    .await;
    assert_eq!(
        field(&again, "status"),
        [&json!(false), &json!(true), &json!(false)]
    );
    assert_eq!(again["value"][0]["id"], laptop["id"]);
    assert_eq!(again["value"][0]["description"], "Lobby");
    assert_eq!(again["value"][2]["id"], again["value"][1]["id"]);
    let page = ok(&app, tenant, &format!("{IDENTIFIERS}?$count=true")).await;
    assert_eq!(page["@odata.count"], 3);

    // With overwrite, the tenant's identifier takes what was sent, keeping its id and creation.
    let replaced = import(
        &app,
        tenant,
        json!([{"importedDeviceIdentifier": "microsoft corporation,SURFACE LAPTOP 5,0f1234",
                "importedDeviceIdentityType": "manufacturerModelSerial", "description": "Changed"}]),
        true,
    )
    .await;
    let item = &replaced["value"][0];
    assert_eq!(item["status"], true);
    assert_eq!(item["id"], laptop["id"]);
    assert_eq!(item["createdDateTime"], laptop["createdDateTime"]);
    assert_eq!(item["description"], "Changed");
    assert_eq!(
        item["importedDeviceIdentifier"],
        "microsoft corporation,SURFACE LAPTOP 5,0f1234"
    );
    let page = ok(&app, tenant, &format!("{IDENTIFIERS}?$count=true")).await;
    assert_eq!(page["@odata.count"], 3);
}

#[tokio::test]
async fn identifiers_are_listed_filtered_paged_read_created_searched_and_deleted() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    import(
        &app,
        tenant,
        json!([windows("Lenovo,ThinkPad T14,PF1"), windows("Lenovo,ThinkPad T14,PF2"),
               serial("SN-3"), {"importedDeviceIdentifier": "490154203237518",
                                "importedDeviceIdentityType": "imei", "platform": "android"}]),
        false,
    )
    .await;

    let by_type = ok(
        &app,
        tenant,
        &format!("{IDENTIFIERS}?$filter=importedDeviceIdentityType eq 'manufacturerModelSerial'&$orderby=importedDeviceIdentifier"),
    )
    .await;
    assert_eq!(
        field(&by_type, "importedDeviceIdentifier"),
        [
            &json!("Lenovo,ThinkPad T14,PF1"),
            &json!("Lenovo,ThinkPad T14,PF2")
        ]
    );
    let by_identifier = ok(
        &app,
        tenant,
        &format!("{IDENTIFIERS}?$filter=importedDeviceIdentifier eq 'sn-3' and enrollmentState eq 'notContacted'"),
    )
    .await;
    assert_eq!(
        field(&by_identifier, "importedDeviceIdentityType"),
        [&json!("serialNumber")]
    );
    let started = ok(
        &app,
        tenant,
        &format!(
            "{IDENTIFIERS}?$filter=startswith(importedDeviceIdentifier,'lenovo')&$count=true&$top=1"
        ),
    )
    .await;
    assert_eq!(started["@odata.count"], 2);
    let next = started["@odata.nextLink"].as_str().unwrap();
    let rest = app
        .client
        .get(next)
        .bearer_auth(hs256(&claims(tenant, &[READ])))
        .send()
        .await
        .unwrap();
    let rest = body_of(rest, StatusCode::OK).await;
    assert_eq!(rest["value"].as_array().unwrap().len(), 1);
    assert!(rest.get("@odata.nextLink").is_none());
    let count = graph(
        &app,
        tenant,
        Method::GET,
        &format!("{IDENTIFIERS}/$count"),
        None,
    )
    .await;
    assert_eq!(count.text().await.unwrap(), "4");

    // A create stores one identifier under the same rules; the same identifier again is a 409.
    let created = body_of(
        graph(
            &app,
            tenant,
            Method::POST,
            IDENTIFIERS,
            Some(windows("HP,EliteBook 840, 5CG1")),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["importedDeviceIdentifier"], "HP,EliteBook 840,5CG1");
    assert_eq!(created["platform"], "windows");
    error_of(
        graph(
            &app,
            tenant,
            Method::POST,
            IDENTIFIERS,
            Some(windows("hp,elitebook 840,5cg1")),
        )
        .await,
        StatusCode::CONFLICT,
        "Conflict",
    )
    .await;
    let item = format!("{IDENTIFIERS}/{}", created["id"].as_str().unwrap());
    assert_eq!(ok(&app, tenant, &item).await["id"], created["id"]);

    // Search answers the tenant's identifiers among those sent, of the type an item gives.
    let found = body_of(
        graph(
            &app,
            tenant,
            Method::POST,
            SEARCH,
            Some(json!({"importedDeviceIdentities": [
            windows("lenovo, thinkpad t14 ,pf2"), {"importedDeviceIdentifier": "SN-3"},
            {"importedDeviceIdentifier": "PF1", "importedDeviceIdentityType": "serialNumber"},
            serial("NOT-THERE")]})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        found["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Collection(microsoft.graph.importedDeviceIdentity)")
    );
    let mut identifiers: Vec<&str> = found["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["importedDeviceIdentifier"].as_str().unwrap())
        .collect();
    identifiers.sort_unstable();
    assert_eq!(identifiers, ["Lenovo,ThinkPad T14,PF2", "SN-3"]);

    body_of(
        graph(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    error_of(
        graph(&app, tenant, Method::GET, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    error_of(
        graph(&app, tenant, Method::DELETE, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
}

#[tokio::test]
async fn each_invalid_identifier_is_a_400_naming_it_and_nothing_is_stored() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let cases = [
        (
            windows("Lenovo,ThinkPad T14"),
            "importedDeviceIdentifier",
            "three parts",
        ),
        (
            windows("Lenovo,ThinkPad,PF.1"),
            "importedDeviceIdentifier",
            "periods",
        ),
        (serial("SN,1"), "importedDeviceIdentifier", "commas"),
        (
            json!({"importedDeviceIdentifier": "490154203237519", "importedDeviceIdentityType": "imei"}),
            "importedDeviceIdentifier",
            "check digit",
        ),
        (
            json!({"importedDeviceIdentifier": "12", "importedDeviceIdentityType": "imei"}),
            "importedDeviceIdentifier",
            "14 digits",
        ),
        (
            json!({"importedDeviceIdentifier": "X", "importedDeviceIdentityType": "unknown"}),
            "importedDeviceIdentityType",
            "names no kind",
        ),
        (
            json!({"importedDeviceIdentifier": "X", "importedDeviceIdentityType": "barcode"}),
            "importedDeviceIdentityType",
            "",
        ),
        (
            json!({"importedDeviceIdentifier": "A,B,C", "importedDeviceIdentityType": "manufacturerModelSerial", "platform": "ios"}),
            "platform",
            "Windows only",
        ),
        (
            json!({"importedDeviceIdentifier": "SN-1", "importedDeviceIdentityType": "serialNumber", "description": "d".repeat(129)}),
            "description",
            "128",
        ),
        (
            json!({"importedDeviceIdentityType": "serialNumber"}),
            "importedDeviceIdentifier",
            "required",
        ),
    ];
    for (bad, property, says) in cases {
        let body = json!({"importedDeviceIdentities": [serial("GOOD-1"), bad]});
        let error = error_of(
            graph(&app, tenant, Method::POST, IMPORT, Some(body)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
        let detail = &error["error"]["details"][0];
        assert_eq!(
            detail["target"],
            format!("importedDeviceIdentities[1].{property}"),
            "{error}"
        );
        assert!(
            detail["message"].as_str().unwrap().contains(says),
            "{error}"
        );
    }
    let too_many = vec![serial("SN"); 5001];
    let error = error_of(
        graph(
            &app,
            tenant,
            Method::POST,
            IMPORT,
            Some(json!({"importedDeviceIdentities": too_many})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(error.to_string().contains("at most 5000"), "{error}");
    for body in [
        json!({}),
        json!({"importedDeviceIdentities": [], "overwriteImportedDeviceIdentities": "yes"}),
        json!({"importedDeviceIdentities": [], "replace": true}),
    ] {
        error_of(
            graph(&app, tenant, Method::POST, IMPORT, Some(body)).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        )
        .await;
    }
    let error = error_of(
        graph(
            &app,
            tenant,
            Method::POST,
            IDENTIFIERS,
            Some(windows("A,B")),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert_eq!(
        error["error"]["details"][0]["target"],
        "importedDeviceIdentifier"
    );
    let error = error_of(
        graph(
            &app,
            tenant,
            Method::POST,
            SEARCH,
            Some(json!({"importedDeviceIdentities": [{"description": "x"}]})),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert_eq!(
        error["error"]["details"][0]["target"],
        "importedDeviceIdentities[0].importedDeviceIdentifier"
    );
    let page = ok(&app, tenant, &format!("{IDENTIFIERS}?$count=true")).await;
    assert_eq!(page["@odata.count"], 0);
}

#[tokio::test]
async fn identifiers_are_beta_only_permissioned_and_tenant_isolated() {
    let app = guarded_app().await;
    let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
    let imported = import(
        &app,
        tenant,
        json!([windows("Dell Inc.,Latitude 7440,7XQ1")]),
        false,
    )
    .await;
    let item = format!(
        "{IDENTIFIERS}/{}",
        imported["value"][0]["id"].as_str().unwrap()
    );

    error_of(
        graph(
            &app,
            tenant,
            Method::GET,
            "v1.0/deviceManagement/importedDeviceIdentities",
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;

    // Reading and searching take the read permission; importing, creating and deleting write.
    let reader = hs256(&claims(tenant, &[READ]));
    body_of(
        send_as(&app, &reader, Method::GET, &item, None).await,
        StatusCode::OK,
    )
    .await;
    let search = json!({"importedDeviceIdentities": [windows("Dell Inc.,Latitude 7440,7XQ1")]});
    let found = body_of(
        send_as(&app, &reader, Method::POST, SEARCH, Some(search.clone())).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["value"].as_array().unwrap().len(), 1);
    let body = json!({"importedDeviceIdentities": [serial("SN-R")]});
    for (method, path, body) in [
        (Method::POST, IMPORT, Some(body)),
        (Method::POST, IDENTIFIERS, Some(serial("SN-R"))),
        (Method::DELETE, item.as_str(), None),
    ] {
        let refused = send_as(&app, &reader, method, path, body).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }

    // Another tenant sees none of them, and may hold the same identifier.
    assert_eq!(ok(&app, other, IDENTIFIERS).await["value"], json!([]));
    error_of(
        graph(&app, other, Method::GET, &item, None).await,
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
    )
    .await;
    let found = body_of(
        graph(&app, other, Method::POST, SEARCH, Some(search)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["value"], json!([]));
    let theirs = import(
        &app,
        other,
        json!([windows("Dell Inc.,Latitude 7440,7XQ1")]),
        false,
    )
    .await;
    assert_eq!(theirs["value"][0]["status"], true);
    assert_eq!(
        ok(&app, tenant, IDENTIFIERS).await["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// The service's store on the test app's database (migrated by the app), for what the simulated
/// enrollment asks and writes.
async fn store_of(app: &TestApp) -> Store {
    let store = Store::connect_lazy(&app.database_url, 2).unwrap();
    store.migrate().await.unwrap();
    store
}

fn device(manufacturer: &str, model: &str, serial: &str) -> CorporateIdentifier {
    CorporateIdentifier::of_windows_device(manufacturer, model, serial).unwrap()
}

/// Blocks or allows personal Windows devices in the default platform restriction.
pub async fn block_personal_devices(app: &TestApp, tenant: Uuid, blocked: bool) {
    let default = format!(
        "beta/deviceManagement/deviceEnrollmentConfigurations/{}",
        DEFAULTS[2].id
    );
    let body = json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration",
                      "windowsRestriction": {"personalDeviceEnrollmentBlocked": blocked}});
    body_of(
        graph(app, tenant, Method::PATCH, &default, Some(body)).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn the_enrollment_gate_refuses_unknown_personal_devices_where_they_are_blocked() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let store = store_of(&app).await;
    let anyone = HashSet::new();
    let gate = |device: CorporateIdentifier, groups: HashSet<Uuid>| {
        let store = store.clone();
        async move {
            store
                .may_windows_device_enroll(Tenant(tenant), &device, &groups)
                .await
                .unwrap()
        }
    };

    // Intune's default lets personal devices enroll.
    assert_eq!(
        gate(device("Contoso", "Home PC", "P-1"), anyone.clone()).await,
        Ok(Ownership::Personal)
    );

    block_personal_devices(&app, tenant, true).await;
    let refused = gate(device("Contoso", "Home PC", "P-1"), anyone.clone()).await;
    assert_eq!(
        refused,
        Err(EnrollmentRefusal::PersonalDeviceBlocked {
            configuration: DEFAULTS[2].id
        })
    );
    let details = refused.unwrap_err().details();
    assert!(details.contains("0x80180014"), "{details}");
    assert!(
        details.contains("Enrollment restriction not met"),
        "{details}"
    );

    // A manufacturerModelSerial identifier makes it corporate, matched in any case.
    let imported = import(
        &app,
        tenant,
        json!([
            windows("Microsoft Corporation,Surface Pro 9,SP9-1"),
            serial("SN-ONLY")
        ]),
        false,
    )
    .await;
    let identifier: Uuid = imported["value"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        gate(
            device("microsoft corporation", "SURFACE PRO 9", "sp9-1"),
            anyone.clone()
        )
        .await,
        Ok(Ownership::Corporate(
            CorporateEvidence::CorporateIdentifier(identifier)
        ))
    );
    // Windows takes only manufacturer, model and serial: a serialNumber identifier does not.
    assert!(
        gate(device("Contoso", "Any", "SN-ONLY"), anyone.clone())
            .await
            .is_err()
    );
    // Another model with the same serial is another device.
    assert!(
        gate(
            device("Microsoft Corporation", "Surface Pro 8", "SP9-1"),
            anyone.clone()
        )
        .await
        .is_err()
    );

    // A registered Autopilot identity is corporate too.
    let autopilot = body_of(
        graph(
            &app,
            tenant,
            Method::POST,
            "beta/deviceManagement/windowsAutopilotDeviceIdentities",
            Some(json!({"serialNumber": "AP-1"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let autopilot: Uuid = autopilot["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        gate(device("Contoso", "Kiosk", "ap-1"), anyone.clone()).await,
        Ok(Ownership::Corporate(CorporateEvidence::AutopilotIdentity(
            autopilot
        )))
    );

    // A Windows restriction assigned to a user's group, above the default, lets that user's
    // personal devices in; a user outside the group still meets the default.
    let group = body_of(
        graph(
            &app,
            tenant,
            Method::POST,
            "beta/groups",
            Some(
                json!({"displayName": "Contractors", "mailNickname": "contractors",
                          "mailEnabled": false, "securityEnabled": true}),
            ),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let group = group["id"].as_str().unwrap().to_owned();
    let restriction = body_of(
        graph(&app, tenant, Method::POST, "beta/deviceManagement/deviceEnrollmentConfigurations",
              Some(json!({"@odata.type": "#microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration",
                          "displayName": "Contractors may bring their own", "platformType": "windows",
                          "platformRestriction": {"personalDeviceEnrollmentBlocked": false}}))).await,
        StatusCode::CREATED,
    )
    .await;
    let assign = format!(
        "beta/deviceManagement/deviceEnrollmentConfigurations/{}/assign",
        restriction["id"].as_str().unwrap()
    );
    let target = json!({"enrollmentConfigurationAssignments": [{"target": {
        "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}]});
    body_of(
        graph(&app, tenant, Method::POST, &assign, Some(target)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let contractor = HashSet::from([group.parse().unwrap()]);
    assert_eq!(
        gate(device("Contoso", "Home PC", "P-1"), contractor).await,
        Ok(Ownership::Personal)
    );
    assert!(
        gate(device("Contoso", "Home PC", "P-1"), anyone.clone())
            .await
            .is_err()
    );

    // Allowed again, an unknown device enrolls as personal; other tenants never saw the block.
    block_personal_devices(&app, tenant, false).await;
    assert_eq!(
        gate(device("Contoso", "Home PC", "P-1"), anyone.clone()).await,
        Ok(Ownership::Personal)
    );
    let elsewhere = store
        .may_windows_device_enroll(
            Tenant(Uuid::new_v4()),
            &device("Microsoft Corporation", "Surface Pro 9", "SP9-1"),
            &anyone,
        )
        .await
        .unwrap();
    assert_eq!(elsewhere, Ok(Ownership::Personal));
}

#[tokio::test]
async fn an_enrolled_identifier_records_its_state_and_last_contact() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let imported = import(
        &app,
        tenant,
        json!([windows("Microsoft Corporation,Surface Go 4,GO4-1")]),
        false,
    )
    .await;
    let id: Uuid = imported["value"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let store = store_of(&app).await;
    let at = "2026-12-10T09:30:00Z".parse().unwrap();
    assert!(
        store
            .record_corporate_identifier_enrollment(
                Tenant(tenant),
                id,
                IdentifierEnrollment::Enrolled,
                at
            )
            .await
            .unwrap()
    );
    let item = ok(&app, tenant, &format!("{IDENTIFIERS}/{id}")).await;
    assert_eq!(item["enrollmentState"], "enrolled");
    assert_eq!(item["lastContactedDateTime"], "2026-12-10T09:30:00Z");
    assert_eq!(
        item["lastModifiedDateTime"],
        imported["value"][0]["lastModifiedDateTime"]
    );
    // Another tenant's identifier is not written.
    assert!(
        !store
            .record_corporate_identifier_enrollment(
                Tenant(Uuid::new_v4()),
                id,
                IdentifierEnrollment::Failed,
                at
            )
            .await
            .unwrap()
    );
}
