//! Backup and restore as configuration-as-code tools run it (issue 26). IntuneBackupAndRestore
//! reads each object and POSTs it into the other tenant as read, without the server's properties
//! (`id`, `createdDateTime`, `lastModifiedDateTime`); IntuneManagement's update mode first looks
//! for an object with the same `displayName` and `@odata.type` and PATCHes that one, so a second
//! restore adds no twins, and it names groups (with their rules), filters and apps by name, since
//! ids do not travel between tenants. The test does both and compares the tenants by content.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use crate::auth::{CONFIGURATION_WRITE, WRITE, claims, hs256};
use crate::control::guarded_app;
use crate::helpers::{KIOSK_RULE, TestApp, send_as};

const PROFILES: &str = "beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const CONFIGURATIONS: &str = "beta/deviceManagement/deviceEnrollmentConfigurations";
const FILTERS: &str = "beta/deviceManagement/assignmentFilters";
const APPS: &str = "beta/deviceAppManagement/mobileApps";
const GROUPS: &str = "beta/groups";
const ESP: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
/// What the tools ask for when they sign in (IntuneBackupAndRestore's `Connect-MgGraph` scopes).
const ROLES: [&str; 3] = [
    WRITE,
    CONFIGURATION_WRITE,
    "DeviceManagementApps.ReadWrite.All",
];
/// The properties the server sets, which IntuneBackupAndRestore's restore strips before POSTing.
const SERVER_SET: [&str; 3] = ["id", "createdDateTime", "lastModifiedDateTime"];
const EVERY_AUTOPILOT_DEVICE: &str = r#"(device.devicePhysicalIds -any (_ -eq "[ZTDID]"))"#;

/// One tenant, as a tool signed in to it sees it.
struct Tenant<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Tenant<'a> {
    fn new(app: &'a TestApp) -> Tenant<'a> {
        Tenant {
            app,
            token: hs256(&claims(Uuid::new_v4(), &ROLES)),
        }
    }

    /// `method path` with `body`, answering `status`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Json>,
        status: StatusCode,
    ) -> Json {
        let response = send_as(self.app, &self.token, method.clone(), path, body.clone()).await;
        let answered = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(answered, status, "{method} {path} {body:?}: {text}");
        if status == StatusCode::NO_CONTENT {
            Json::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    async fn get(&self, path: &str) -> Json {
        self.call(Method::GET, path, None, StatusCode::OK).await
    }

    async fn post(&self, path: &str, body: Json) -> Json {
        self.call(Method::POST, path, Some(body), StatusCode::CREATED)
            .await
    }

    async fn action(&self, path: &str, body: Json) {
        self.call(Method::POST, path, Some(body), StatusCode::NO_CONTENT)
            .await;
    }

    async fn patch(&self, path: &str, body: Json) {
        let response = send_as(self.app, &self.token, Method::PATCH, path, Some(body)).await;
        let status = response.status();
        assert!(
            [StatusCode::OK, StatusCode::NO_CONTENT].contains(&status),
            "PATCH {path}: {status} {}",
            response.text().await.unwrap()
        );
    }

    /// Every item of a list, following `@odata.nextLink` as Get-MGGraphAllPages does.
    async fn all(&self, path: &str) -> Vec<Json> {
        let mut items = Vec::new();
        let mut page = self.get(path).await;
        loop {
            items.extend(page["value"].as_array().unwrap().iter().cloned());
            let Some(next) = page["@odata.nextLink"].as_str() else {
                return items;
            };
            let relative = next.strip_prefix(&self.app.base).unwrap().to_owned();
            page = self.get(&relative).await;
        }
    }
}

fn id_of(entity: &Json) -> String {
    entity["id"].as_str().expect("an id").to_owned()
}

fn name_of(entity: &Json) -> &str {
    entity["displayName"].as_str().expect("a displayName")
}

/// A read object without what the server sets, its annotations kept as the tools keep them.
fn stripped(entity: &Json, more: &[&str]) -> Json {
    let mut object = entity.as_object().unwrap().clone();
    for name in SERVER_SET.iter().chain(more) {
        object.remove(*name);
    }
    Json::Object(object)
}

/// Tenant A as a rich Autopilot setup: dynamic and static groups, both profile types assigned to
/// a group, an exclusion and all devices, ESPs naming apps with filters on their assignments, a
/// changed default ESP, a device limit, Windows Hello for Business, filters and apps.
async fn seed(a: &Tenant<'_>) {
    let group = |name: &str, rule: Option<&str>| {
        let mut body = json!({"displayName": name, "mailNickname": name.replace(' ', ""),
                              "mailEnabled": false, "securityEnabled": true,
                              "description": format!("{name} devices")});
        if let Some(rule) = rule {
            body["groupTypes"] = json!(["DynamicMembership"]);
            body["membershipRule"] = json!(rule);
        }
        body
    };
    let kiosks = id_of(&a.post(GROUPS, group("Kiosks", Some(KIOSK_RULE))).await);
    let every = id_of(
        &a.post(
            GROUPS,
            group("Every Autopilot device", Some(EVERY_AUTOPILOT_DEVICE)),
        )
        .await,
    );
    let pilot = id_of(&a.post(GROUPS, group("Pilot", None)).await);
    let excluded = id_of(&a.post(GROUPS, group("Excluded", None)).await);
    // A group no assignment names stays behind: a restore takes the groups it needs.
    a.post(GROUPS, group("Unused", None)).await;

    let surfaces = id_of(
        &a.post(FILTERS, json!({"displayName": "Surfaces", "platform": "windows10AndLater",
            "description": "Microsoft hardware", "rule": "(device.manufacturer -eq \"Microsoft\")"}))
            .await,
    );
    let arm = id_of(
        &a.post(FILTERS, json!({"displayName": "Arm devices", "platform": "windows10AndLater",
            "rule": "(device.cpuArchitecture -eq \"arm64\") or (device.model -startsWith \"Surface Pro X\")"}))
            .await,
    );

    let helper = id_of(
        &a.post(
            APPS,
            json!({"@odata.type": "#microsoft.graph.win32LobApp",
            "displayName": "Kiosk helper", "publisher": "Contoso", "description": "Locks the shell",
            "installCommandLine": "setup.exe /q", "uninstallCommandLine": "setup.exe /x",
            "setupFilePath": "setup.exe", "displayVersion": "2.1", "isFeatured": true}),
        )
        .await,
    );
    let edge = id_of(
        &a.post(
            APPS,
            json!({"@odata.type": "#microsoft.graph.windowsMicrosoftEdgeApp",
            "displayName": "Microsoft Edge", "publisher": "Microsoft", "channel": "stable",
            "displayLanguageLocale": "en-US"}),
        )
        .await,
    );
    let office = id_of(
        &a.post(
            APPS,
            json!({"@odata.type": "#microsoft.graph.officeSuiteApp",
            "displayName": "Microsoft 365 Apps", "publisher": "Microsoft", "autoAcceptEula": true,
            "useSharedComputerActivation": true}),
        )
        .await,
    );

    // One profile written with the legacy names, the other with the new ones.
    let kiosk = id_of(
        &a.post(
            PROFILES,
            json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Kiosk profile", "description": "Self-deploying kiosks",
            "language": "en-GB", "extractHardwareHash": true, "enableWhiteGlove": true,
            "deviceNameTemplate": "KIOSK-%RAND:5%", "deviceType": "windowsPc",
            "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true,
                "userType": "standard", "deviceUsageType": "shared",
                "skipKeyboardSelectionPage": true, "hideEscapeLink": true}}),
        )
        .await,
    );
    let hybrid = id_of(
        &a.post(
            PROFILES,
            json!({
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "displayName": "Hybrid profile", "locale": "de-DE",
            "hardwareHashExtractionEnabled": true, "preprovisioningAllowed": false,
            "hybridAzureADJoinSkipConnectivityCheck": true,
            "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": false,
                "userType": "administrator", "deviceUsageType": "singleUser",
                "keyboardSelectionPageSkipped": false, "escapeLinkHidden": true}}),
        )
        .await,
    );
    let target = |kind: &str, group: Option<&str>| {
        let mut target = json!({"@odata.type": format!("#microsoft.graph.{kind}")});
        if let Some(group) = group {
            target["groupId"] = json!(group);
        }
        target
    };
    for (profile, kind, group) in [
        (&kiosk, "groupAssignmentTarget", Some(&kiosks)),
        (&kiosk, "exclusionGroupAssignmentTarget", Some(&excluded)),
        (&hybrid, "allDevicesAssignmentTarget", None),
        (&hybrid, "exclusionGroupAssignmentTarget", Some(&kiosks)),
    ] {
        let body = json!({"target": target(kind, group.map(String::as_str))});
        a.post(&format!("{PROFILES}/{profile}/assignments"), body)
            .await;
    }

    let kiosk_esp = id_of(
        &a.post(
            CONFIGURATIONS,
            json!({"@odata.type": ESP, "displayName": "Kiosk ESP",
            "description": "Blocks on the kiosk apps", "showInstallationProgress": true,
            "blockDeviceSetupRetryByUser": false, "allowDeviceResetOnInstallFailure": true,
            "allowLogCollectionOnInstallFailure": true, "customErrorMessage": "Call the desk",
            "installProgressTimeoutInMinutes": 90, "allowDeviceUseOnInstallFailure": false,
            "selectedMobileAppIds": [helper, edge], "trackInstallProgressForAutopilotOnly": true,
            "installQualityUpdates": true, "roleScopeTagIds": ["0"]}),
        )
        .await,
    );
    let pilot_esp = id_of(
        &a.post(
            CONFIGURATIONS,
            json!({"@odata.type": ESP, "displayName": "Pilot ESP",
            "showInstallationProgress": true, "selectedMobileAppIds": [office],
            "allowNonBlockingAppInstallation": true, "installProgressTimeoutInMinutes": 45}),
        )
        .await,
    );
    let limit = id_of(
        &a.post(
            CONFIGURATIONS,
            json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "displayName": "Three devices", "limit": 3}),
        )
        .await,
    );
    let hello = id_of(
        &a.post(
            CONFIGURATIONS,
            json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration",
            "displayName": "Strict Hello", "state": "enabled", "pinMinimumLength": 8,
            "pinMaximumLength": 64, "pinUppercaseCharactersUsage": "required",
            "securityDeviceRequired": true, "pinExpirationInDays": 90}),
        )
        .await,
    );
    // The pilot's page outranks the kiosks'.
    a.action(
        &format!("{CONFIGURATIONS}/{pilot_esp}/setPriority"),
        json!({"priority": 1}),
    )
    .await;
    let filtered = |kind: &str, group: Option<&str>, filter: &str, filter_type: &str| {
        let mut target = target(kind, group);
        target["deviceAndAppManagementAssignmentFilterId"] = json!(filter);
        target["deviceAndAppManagementAssignmentFilterType"] = json!(filter_type);
        json!({"target": target})
    };
    let assign = |configuration: &str, assignments: Vec<Json>| {
        let path = format!("{CONFIGURATIONS}/{configuration}/assign");
        async move {
            a.action(
                &path,
                json!({"enrollmentConfigurationAssignments": assignments}),
            )
            .await
        }
    };
    assign(
        &kiosk_esp,
        vec![
            filtered("groupAssignmentTarget", Some(&kiosks), &surfaces, "include"),
            json!({"target": target("exclusionGroupAssignmentTarget", Some(&excluded))}),
        ],
    )
    .await;
    assign(
        &pilot_esp,
        vec![
            json!({"target": target("groupAssignmentTarget", Some(&pilot))}),
            filtered("allDevicesAssignmentTarget", None, &arm, "exclude"),
        ],
    )
    .await;
    assign(
        &limit,
        vec![json!({"target": target("groupAssignmentTarget", Some(&every))})],
    )
    .await;
    assign(
        &hello,
        vec![json!({"target": target("allLicensedUsersAssignmentTarget", None)})],
    )
    .await;

    // Intune's default ESP, changed as tenants change it.
    let defaults = a
        .all(&format!(
            "{CONFIGURATIONS}?$filter=deviceEnrollmentConfigurationType eq \
             'windows10EnrollmentCompletionPageConfiguration'"
        ))
        .await;
    let default = defaults.iter().find(|c| c["priority"] == 0).unwrap();
    a.patch(
        &format!("{CONFIGURATIONS}/{}", id_of(default)),
        json!({"@odata.type": ESP, "showInstallationProgress": true,
               "installProgressTimeoutInMinutes": 120, "customErrorMessage": "Ask IT"}),
    )
    .await;
}

/// What a backup holds: every object as read, and the groups its assignments name.
struct Backup {
    groups: BTreeMap<String, Json>,
    filters: Vec<Json>,
    apps: Vec<Json>,
    profiles: Vec<Json>,
    configurations: Vec<Json>,
}

/// The group ids an assignment list names.
fn assigned_groups(entity: &Json) -> Vec<String> {
    entity["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["target"]["groupId"].as_str().map(str::to_owned))
        .collect()
}

async fn back_up(tenant: &Tenant<'_>) -> Backup {
    // Each profile is read again on its own, as IntuneBackupAndRestore reads it, and kept with
    // its @odata.context.
    let mut profiles = Vec::new();
    for listed in tenant.all(&format!("{PROFILES}?$expand=assignments")).await {
        let item = tenant
            .get(&format!(
                "{PROFILES}/{}?$expand=assignments",
                id_of(&listed)
            ))
            .await;
        assert_eq!(item["assignments"], listed["assignments"]);
        profiles.push(item);
    }
    let configurations = tenant
        .all(&format!("{CONFIGURATIONS}?$expand=assignments"))
        .await;
    // The ESPs, as the tools that list them on their own ask for them.
    let esps = tenant
        .all(&format!(
            "{CONFIGURATIONS}?$filter=deviceEnrollmentConfigurationType eq \
             'windows10EnrollmentCompletionPageConfiguration'&$expand=assignments"
        ))
        .await;
    let listed_esps: Vec<&Json> = configurations
        .iter()
        .filter(|c| c["@odata.type"] == ESP)
        .collect();
    assert_eq!(esps.iter().collect::<Vec<_>>(), listed_esps);
    let mut groups = BTreeMap::new();
    for entity in profiles.iter().chain(&configurations) {
        for group in assigned_groups(entity) {
            if let Entry::Vacant(missing) = groups.entry(group) {
                let read = tenant.get(&format!("{GROUPS}/{}", missing.key())).await;
                missing.insert(read);
            }
        }
    }
    Backup {
        groups,
        filters: tenant.all(FILTERS).await,
        apps: tenant.all(APPS).await,
        profiles,
        configurations,
    }
}

/// Old ids to new ones, for one kind of object.
type Ids = BTreeMap<String, String>;

/// The object of `existing` with `entity`'s displayName and type, as IntuneManagement's import
/// finds the object to update.
fn named<'e>(existing: &'e [Json], entity: &Json) -> Option<&'e Json> {
    existing
        .iter()
        .find(|e| name_of(e) == name_of(entity) && e["@odata.type"] == entity["@odata.type"])
}

/// An assignment's target with its ids those of the restored tenant.
fn mapped_target(target: &Json, groups: &Ids, filters: &Ids) -> Json {
    let mut target = target.clone();
    if let Some(group) = target["groupId"].as_str() {
        target["groupId"] = json!(groups[group]);
    }
    if let Some(filter) = target["deviceAndAppManagementAssignmentFilterId"].as_str() {
        target["deviceAndAppManagementAssignmentFilterId"] = json!(filters[filter]);
    }
    target
}

async fn restore(backup: &Backup, tenant: &Tenant<'_>) {
    // Groups by name, made from the backup's group when missing (its rule included), as
    // IntuneManagement's migration table does.
    let mut groups = Ids::new();
    for (old, group) in &backup.groups {
        let path = format!("{GROUPS}?$filter=displayName eq '{}'", name_of(group));
        let found = tenant.all(&path).await;
        let id = match found.first() {
            Some(existing) => id_of(existing),
            None => {
                let mut body = Map::new();
                for name in [
                    "displayName",
                    "description",
                    "mailNickname",
                    "mailEnabled",
                    "securityEnabled",
                    "groupTypes",
                    "membershipRule",
                    "membershipRuleProcessingState",
                ] {
                    if !group[name].is_null() {
                        body.insert(name.to_owned(), group[name].clone());
                    }
                }
                id_of(&tenant.post(GROUPS, Json::Object(body)).await)
            }
        };
        groups.insert(old.clone(), id);
    }

    let mut filters = Ids::new();
    let existing = tenant.all(FILTERS).await;
    for filter in &backup.filters {
        let body = stripped(filter, &[]);
        let id = match named(&existing, filter) {
            Some(there) => {
                tenant
                    .patch(&format!("{FILTERS}/{}", id_of(there)), body)
                    .await;
                id_of(there)
            }
            None => id_of(&tenant.post(FILTERS, body).await),
        };
        filters.insert(id_of(filter), id);
    }

    // Apps have no update in the slice served: an app already there is kept.
    let mut apps = Ids::new();
    let existing = tenant.all(APPS).await;
    for app in &backup.apps {
        let id = match named(&existing, app) {
            Some(there) => id_of(there),
            None => id_of(&tenant.post(APPS, stripped(app, &[])).await),
        };
        apps.insert(id_of(app), id);
    }

    let existing = tenant.all(&format!("{PROFILES}?$expand=assignments")).await;
    for profile in &backup.profiles {
        let body = stripped(profile, &["assignments"]);
        let (id, assignments) = match named(&existing, profile) {
            Some(there) => {
                tenant
                    .patch(&format!("{PROFILES}/{}", id_of(there)), body)
                    .await;
                (id_of(there), there["assignments"].clone())
            }
            None => (id_of(&tenant.post(PROFILES, body).await), json!([])),
        };
        for assignment in profile["assignments"].as_array().unwrap() {
            let target = mapped_target(&assignment["target"], &groups, &filters);
            let there = assignments.as_array().unwrap();
            if there.iter().any(|a| a["target"] == target) {
                continue;
            }
            let mut body = stripped(assignment, &[]);
            body["target"] = target;
            tenant
                .post(&format!("{PROFILES}/{id}/assignments"), body)
                .await;
        }
    }

    // Configurations in priority order, so that each lands where it was; a default (priority 0)
    // is the restored tenant's own default of its type, changed to match.
    let mut configurations: Vec<&Json> = backup.configurations.iter().collect();
    configurations.sort_by_key(|c| c["priority"].as_i64());
    let existing = tenant.all(CONFIGURATIONS).await;
    for configuration in configurations {
        let mut body = stripped(configuration, &["assignments"]);
        if let Some(selected) = body["selectedMobileAppIds"].as_array() {
            let mapped: Vec<&String> = selected
                .iter()
                .map(|app| &apps[app.as_str().unwrap()])
                .collect();
            body["selectedMobileAppIds"] = json!(mapped);
        }
        let there = if configuration["priority"] == 0 {
            existing
                .iter()
                .find(|c| c["@odata.type"] == configuration["@odata.type"] && c["priority"] == 0)
        } else {
            named(&existing, configuration)
        };
        let id = match there {
            Some(there) => {
                let path = format!("{CONFIGURATIONS}/{}", id_of(there));
                tenant.patch(&path, body).await;
                id_of(there)
            }
            None => id_of(&tenant.post(CONFIGURATIONS, body).await),
        };
        if configuration["priority"] == 0 {
            continue;
        }
        tenant
            .action(
                &format!("{CONFIGURATIONS}/{id}/setPriority"),
                json!({"priority": configuration["priority"]}),
            )
            .await;
        let assignments: Vec<Json> = configuration["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|assignment| {
                let mut body = stripped(assignment, &[]);
                body["target"] = mapped_target(&assignment["target"], &groups, &filters);
                body
            })
            .collect();
        tenant
            .action(
                &format!("{CONFIGURATIONS}/{id}/assign"),
                json!({"enrollmentConfigurationAssignments": assignments}),
            )
            .await;
    }
}

/// A tenant's setup by content: every object without its ids and dates, assignments naming their
/// group by name and rule and their filter by name, an ESP's apps by name; sorted by type and name.
async fn content(tenant: &Tenant<'_>) -> Json {
    let backup = back_up(tenant).await;
    let filter_names: BTreeMap<String, String> = backup
        .filters
        .iter()
        .map(|f| (id_of(f), name_of(f).to_owned()))
        .collect();
    let app_names: BTreeMap<String, String> = backup
        .apps
        .iter()
        .map(|a| (id_of(a), name_of(a).to_owned()))
        .collect();
    let assignment = |assignment: &Json| {
        let mut target = assignment["target"].clone();
        if let Some(group) = target["groupId"].as_str() {
            let group = &backup.groups[group];
            target["groupId"] = json!({"displayName": group["displayName"],
                "membershipRule": group["membershipRule"], "groupTypes": group["groupTypes"]});
        }
        if let Some(filter) = target["deviceAndAppManagementAssignmentFilterId"].as_str() {
            target["deviceAndAppManagementAssignmentFilterId"] = json!(filter_names[filter]);
        }
        let mut assignment = stripped(assignment, &[]);
        assignment["target"] = target;
        assignment
    };
    let entity = |entity: &Json| {
        let mut entity = stripped(entity, &["@odata.context"]);
        if let Some(assignments) = entity["assignments"].as_array() {
            let mut assignments: Vec<Json> = assignments.iter().map(assignment).collect();
            assignments.sort_by_key(Json::to_string);
            entity["assignments"] = json!(assignments);
        }
        if let Some(apps) = entity["selectedMobileAppIds"].as_array() {
            let mut names: Vec<&String> = apps
                .iter()
                .map(|app| &app_names[app.as_str().unwrap()])
                .collect();
            names.sort();
            entity["selectedMobileAppIds"] = json!(names);
        }
        entity
    };
    let sorted = |entities: &[Json]| {
        let mut entities: Vec<Json> = entities.iter().map(entity).collect();
        entities.sort_by_key(|e| (e["@odata.type"].to_string(), e["displayName"].to_string()));
        Json::Array(entities)
    };
    json!({
        "filters": sorted(&backup.filters),
        "apps": sorted(&backup.apps),
        "profiles": sorted(&backup.profiles),
        "configurations": sorted(&backup.configurations),
    })
}

#[tokio::test]
async fn a_backup_of_one_tenant_restores_into_another_twice_without_duplicates() {
    let app = guarded_app().await;
    let (a, b) = (Tenant::new(&app), Tenant::new(&app));
    seed(&a).await;
    let backup = back_up(&a).await;
    assert_eq!(backup.profiles.len(), 2);
    assert_eq!(
        backup.configurations.len(),
        4 + 4,
        "four defaults and four made"
    );
    assert_eq!(backup.groups.len(), 4, "the groups the assignments name");
    let expected = content(&a).await;
    assert_eq!(
        expected["profiles"][0]["assignments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    for round in ["first", "second"] {
        restore(&backup, &b).await;
        let restored = content(&b).await;
        for part in ["filters", "apps", "profiles", "configurations"] {
            assert_eq!(
                restored[part], expected[part],
                "{round} restore, {part}:\nA: {:#}\nB: {:#}",
                expected[part], restored[part]
            );
        }
        let groups = b.all(GROUPS).await;
        assert_eq!(groups.len(), 4, "{round} restore: {groups:?}");
    }
}
