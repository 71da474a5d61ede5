//! Enrollment through a device preparation policy (issue 28): the walk from the Intune
//! Provisioning Client's service principal, a device group it owns, a user in a user group, a
//! user-driven policy assigned to that group and given the device group, and a corporate
//! identifier, to the simulated enrollment of that device for that user (it joins the device
//! group, is a managed device, and its Autopilot event names the policy); an unknown personal
//! device refused where personal devices are blocked; an Autopilot device sent the same way
//! takes its profile's path; and the automatic template's walk, without account setup, kept across
//! export, reset and import-state.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::auth::{CONFIGURATION_WRITE, WRITE, claims, hs256};
use crate::configuration_policies::{
    POLICIES, automatic, configure, create, directory, group, id, ok, owned_device_group,
    provisioning_client, user_driven,
};
use crate::control::{control, export, guarded_app, import_state};
use crate::helpers::{TestApp, body_of, error_of, send_as};
use crate::imported_device_identities::{block_personal_devices, import, windows};

const CORPORATE_IDENTIFIERS: &str = "beta/deviceManagement/importedDeviceIdentities";

/// A request with what the walk reads: Autopilot, configuration, managed devices, the directory.
async fn admin(
    app: &TestApp,
    tenant: Uuid,
    method: Method,
    path: &str,
    body: Option<Json>,
) -> Response {
    let scopes = [
        WRITE,
        CONFIGURATION_WRITE,
        "DeviceManagementManagedDevices.Read.All",
        "User.ReadWrite.All",
        "Group.ReadWrite.All",
    ];
    send_as(app, &hs256(&claims(tenant, &scopes)), method, path, body).await
}

async fn get(app: &TestApp, tenant: Uuid, path: &str) -> Json {
    ok(admin(app, tenant, Method::GET, path, None).await).await
}

/// A user of the tenant, in a new static group of users; the group's id.
async fn user_in_group(app: &TestApp, tenant: Uuid, upn: &str) -> String {
    let user = json!({"accountEnabled": true, "displayName": upn, "mailNickname": "user",
                      "userPrincipalName": upn,
                      "passwordProfile": {"password": "P4ssw0rd-of-the-test"}});
    let user = directory(app, tenant, Method::POST, "v1.0/users", Some(user)).await;
    let user = id(&body_of(user, StatusCode::CREATED).await);
    let users = group(app, tenant, &format!("Users of {upn}"), None).await;
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")});
    let path = format!("v1.0/groups/{users}/members/$ref");
    let added = directory(app, tenant, Method::POST, &path, Some(reference)).await;
    body_of(added, StatusCode::NO_CONTENT).await;
    users
}

/// Assigns the policy to the group and names the device group it puts enrolling devices in.
async fn assign(app: &TestApp, tenant: Uuid, policy: &str, users: &str, devices: &str) {
    let item = format!("{POLICIES}/{policy}");
    let assignments = json!({"assignments": [{"target": {
        "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": users}}]});
    let path = format!("{item}/assign");
    ok(configure(app, tenant, Method::POST, &path, Some(assignments)).await).await;
    let target = json!({"enrollmentTimeDeviceMembershipTargets": [
        {"targetType": "staticSecurityGroup", "targetId": devices}]});
    let path = format!("{item}/setEnrollmentTimeDeviceMembershipTarget");
    let set = ok(configure(app, tenant, Method::POST, &path, Some(target)).await).await;
    assert_eq!(set["validationSucceeded"], true, "{set}");
}

async fn enroll(app: &TestApp, tenant: Uuid, body: Json) -> Response {
    let path = format!("tenants/{tenant}/enrollments");
    control(app, Method::POST, &path, Some(body)).await
}

/// The device form of a simulated enrollment.
fn device(serial: &str, upn: &str) -> Json {
    json!({"manufacturer": "Contoso", "model": "Laptop 7", "serialNumber": serial,
           "userPrincipalName": upn})
}

/// The one Autopilot event of the device with `serial`.
async fn event_of(app: &TestApp, tenant: Uuid, serial: &str) -> Json {
    let path =
        format!("beta/deviceManagement/autopilotEvents?$filter=deviceSerialNumber eq '{serial}'");
    let page = get(app, tenant, &path).await;
    let events = page["value"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{page}");
    events[0].clone()
}

#[tokio::test]
async fn a_corporate_device_enrolls_through_the_users_policy_into_its_device_group() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let upn = "ada@contoso.example";

    // The directory: the Intune Provisioning Client, a device group it owns, a user in a group.
    let provisioning = provisioning_client(&app, tenant).await;
    let devices = owned_device_group(&app, tenant, "Prepared devices", &provisioning).await;
    let users = user_in_group(&app, tenant, upn).await;

    // A user-driven policy, assigned to the user's group, with the device group; a group the
    // service principal does not own is refused, as Graph refuses it.
    let policy = create(&app, tenant, user_driven("Sales laptops")).await;
    let policy_id = id(&policy);
    let unowned = group(&app, tenant, "Not owned", None).await;
    let refused = json!({"enrollmentTimeDeviceMembershipTargets": [
        {"targetType": "staticSecurityGroup", "targetId": unowned}]});
    let path = format!("{POLICIES}/{policy_id}/setEnrollmentTimeDeviceMembershipTarget");
    let error = error_of(
        configure(&app, tenant, Method::POST, &path, Some(refused)).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("firstPartyAppNotAnOwner"),
        "{error}"
    );
    assign(&app, tenant, &policy_id, &users, &devices).await;

    // Personal devices blocked; the device known by a corporate identifier.
    block_personal_devices(&app, tenant, true).await;
    let imported = import(
        &app,
        tenant,
        json!([windows("Contoso,Laptop 7,CORP-001")]),
        false,
    )
    .await;
    let identifier = id(&imported["value"][0]);

    let enrolled = ok(enroll(&app, tenant, device("CORP-001", upn)).await).await;
    assert_eq!(enrolled["enrolled"], 1, "{enrolled}");
    assert_eq!(enrolled["failed"], 0, "{enrolled}");
    assert_eq!(enrolled["devicePreparationPolicyId"], policy_id.as_str());
    let managed_id = enrolled["managedDeviceIds"][0].as_str().unwrap().to_owned();

    // It is a managed device of the user, its profile name the policy's.
    let managed = get(
        &app,
        tenant,
        &format!("beta/deviceManagement/managedDevices/{managed_id}"),
    )
    .await;
    assert_eq!(managed["serialNumber"], "CORP-001");
    assert_eq!(managed["manufacturer"], "Contoso");
    assert_eq!(managed["model"], "Laptop 7");
    assert_eq!(managed["userPrincipalName"], upn);
    assert_eq!(managed["enrollmentProfileName"], "Sales laptops");
    assert_eq!(managed["joinType"], "azureADJoined");
    assert_eq!(managed["deviceEnrollmentType"], "windowsAzureADJoin");
    assert_eq!(managed["ownerType"], "company");

    // It joined the device group: its Entra device object, Entra-joined, with no Autopilot ids.
    let members = get(&app, tenant, &format!("v1.0/groups/{devices}/members")).await;
    let members = members["value"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{members:?}");
    let member = &members[0];
    assert_eq!(member["deviceId"], managed["azureADDeviceId"]);
    assert_eq!(member["displayName"], managed["deviceName"]);
    assert_eq!(member["trustType"], "AzureAd");
    assert_eq!(member["isManaged"], true);
    let physical_ids: Vec<&str> = member["physicalIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    assert!(
        physical_ids.iter().any(|id| id.starts_with("[HWID]:h:"))
            && !physical_ids.iter().any(|id| id.starts_with("[ZTDID]")),
        "{physical_ids:?}"
    );

    // The event names the policy; the corporate identifier is enrolled.
    let event = event_of(&app, tenant, "CORP-001").await;
    assert_eq!(
        event["windowsAutopilotDeploymentProfileDisplayName"],
        "Sales laptops"
    );
    assert_eq!(event["deploymentState"], "success");
    assert_eq!(event["accountSetupStatus"], "success");
    assert_eq!(event["userPrincipalName"], upn);
    assert_eq!(event["deviceId"], managed_id.as_str());
    let identifier = get(
        &app,
        tenant,
        &format!("{CORPORATE_IDENTIFIERS}/{identifier}"),
    )
    .await;
    assert_eq!(identifier["enrollmentState"], "enrolled");
    assert_ne!(
        identifier["lastContactedDateTime"], "0001-01-01T00:00:00Z",
        "{identifier}"
    );

    // Again while it is a managed device: already enrolled.
    let again = ok(enroll(&app, tenant, device("corp-001", upn)).await).await;
    assert_eq!(again["alreadyEnrolled"], 1, "{again}");
    assert_eq!(again["managedDeviceIds"][0], managed_id.as_str());

    // An unknown personal device: refused with Intune's error, a failed deployment.
    let refused = ok(enroll(&app, tenant, device("HOME-1", upn)).await).await;
    assert_eq!(
        (&refused["enrolled"], &refused["failed"]),
        (&json!(0), &json!(1)),
        "{refused}"
    );
    let refusal = refused["enrollmentRefusal"].as_str().unwrap();
    assert!(refusal.contains("0x80180014"), "{refusal}");
    let event = event_of(&app, tenant, "HOME-1").await;
    assert_eq!(event["deploymentState"], "failure");
    assert_eq!(event["enrollmentState"], "failed");
    assert_eq!(event["enrollmentFailureDetails"], refusal);
    let none = get(
        &app,
        tenant,
        "beta/deviceManagement/managedDevices?$filter=serialNumber eq 'HOME-1'",
    )
    .await;
    assert_eq!(none["value"], json!([]));
    let members = get(&app, tenant, &format!("v1.0/groups/{devices}/members")).await;
    assert_eq!(members["value"].as_array().unwrap().len(), 1);

    // A user the tenant does not have is a clear 400.
    let error = error_of(
        enroll(&app, tenant, device("CORP-001", "nobody@contoso.example")).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody@contoso.example"),
        "{error}"
    );

    // An Autopilot device sent the same way takes its profile's path: its identity enrolls, and
    // the policy neither runs nor puts it in the device group.
    let identity = json!({"serialNumber": "AP-1", "manufacturer": "Contoso", "model": "Laptop 7"});
    let identity = body_of(
        admin(
            &app,
            tenant,
            Method::POST,
            "v1.0/deviceManagement/windowsAutopilotDeviceIdentities",
            Some(identity),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let profile_path = ok(enroll(&app, tenant, device("AP-1", upn)).await).await;
    assert_eq!(profile_path["enrolled"], 1, "{profile_path}");
    assert_eq!(profile_path.get("devicePreparationPolicyId"), None);
    let identity = get(
        &app,
        tenant,
        &format!(
            "v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{}",
            id(&identity)
        ),
    )
    .await;
    assert_eq!(identity["enrollmentState"], "enrolled");
    let event = event_of(&app, tenant, "AP-1").await;
    assert_ne!(
        event["windowsAutopilotDeploymentProfileDisplayName"],
        "Sales laptops"
    );
    let members = get(&app, tenant, &format!("v1.0/groups/{devices}/members")).await;
    assert_eq!(members["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_automatic_template_deploys_without_account_setup_and_a_timeout_shows_the_message() {
    let app = guarded_app().await;
    let tenant = Uuid::new_v4();
    let provisioning = provisioning_client(&app, tenant).await;
    let devices = owned_device_group(&app, tenant, "Cloud PCs", &provisioning).await;
    let users = user_in_group(&app, tenant, "grace@contoso.example").await;
    let policy = id(&create(&app, tenant, automatic("Cloud PCs")).await);
    assign(&app, tenant, &policy, &users, &devices).await;

    // Personal devices are allowed (Intune's default): an unknown device enrolls as personal.
    let enrolled = ok(enroll(&app, tenant, device("CPC-1", "grace@contoso.example")).await).await;
    assert_eq!(enrolled["enrolled"], 1, "{enrolled}");
    let event = event_of(&app, tenant, "CPC-1").await;
    assert_eq!(
        event["windowsAutopilotDeploymentProfileDisplayName"],
        "Cloud PCs"
    );
    assert_eq!(
        event["enrollmentType"],
        "azureADJoinedUsingDeviceAuthWithoutAutopilotProfile"
    );
    assert_eq!(event["deviceSetupStatus"], "success");
    assert_eq!(event["accountSetupStatus"], "notAttempted");
    assert_eq!(event["userPrincipalName"], Json::Null);
    let managed = get(
        &app,
        tenant,
        &format!(
            "beta/deviceManagement/managedDevices/{}",
            enrolled["managedDeviceIds"][0].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(managed["ownerType"], "personal");
    assert_eq!(
        managed["deviceEnrollmentType"],
        "windowsAzureADJoinUsingDeviceAuth"
    );
    let members = get(&app, tenant, &format!("v1.0/groups/{devices}/members")).await;
    assert_eq!(members["value"].as_array().unwrap().len(), 1);
    // It has no account setup to fail in.
    let mut in_account_setup = device("CPC-2", "grace@contoso.example");
    in_account_setup["outcome"] = json!("failure");
    in_account_setup["phase"] = json!("accountSetup");
    error_of(
        enroll(&app, tenant, in_account_setup).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
    )
    .await;

    // A user-driven policy's timeout and custom error message: the failure says both, and the
    // device neither enrolls nor joins the group.
    let upn = "alan@contoso.example";
    let others = user_in_group(&app, tenant, upn).await;
    let user_driven = id(&create(&app, tenant, user_driven("Office")).await);
    assign(&app, tenant, &user_driven, &others, &devices).await;
    let mut timing_out = device("OFF-1", upn);
    timing_out["outcome"] = json!("espTimeout");
    let failed = ok(enroll(&app, tenant, timing_out).await).await;
    assert_eq!(
        (&failed["enrolled"], &failed["failed"]),
        (&json!(0), &json!(1))
    );
    let event = event_of(&app, tenant, "OFF-1").await;
    let details = event["enrollmentFailureDetails"].as_str().unwrap();
    assert!(
        details.contains("60 minutes")
            && details.contains("Contact your organization’s support person for help."),
        "{details}"
    );
    assert_eq!(
        event["windowsAutopilotDeploymentProfileDisplayName"],
        "Office"
    );
    let members = get(&app, tenant, &format!("v1.0/groups/{devices}/members")).await;
    assert_eq!(members["value"].as_array().unwrap().len(), 1);

    // The device object, its membership and its managed device are tenant state: export, reset
    // and import-state carry them.
    let state = export(&app, tenant).await;
    let reset = control(&app, Method::POST, &format!("tenants/{tenant}/reset"), None).await;
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    import_state(&app, tenant, serde_json::from_str(&state).unwrap()).await;
    let members = get(&app, tenant, &format!("v1.0/groups/{devices}/members")).await;
    assert_eq!(members["value"].as_array().unwrap().len(), 1);
    let again = ok(enroll(&app, tenant, device("CPC-1", "grace@contoso.example")).await).await;
    assert_eq!(again["alreadyEnrolled"], 1, "{again}");
}
