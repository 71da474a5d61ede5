//! A deployment profile's `assignments` and `assignedDevices` (beta only), with the actions and
//! navigations of an assigned device reached through them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::{DEVICE_IDENTITIES, DeviceAction};
use crate::domain::entity::Navigation;
use crate::domain::profile_assignment::ProfileAssignment;
use crate::domain::query::Filter;
use crate::graph::GRAPH_JSON;
use crate::graph::error::{ErrorDetail, ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::profile_assignment::{
    AssignmentPage, AssignmentView, parse_assignment_update, parse_new_assignment,
};
use crate::graph::schema::{
    AssignResourceAccountToDeviceBody, AssignUserToDeviceBody, CountParameters,
    DeploymentProfileBeta, DeviceIdentityBeta, DeviceIdentityPageBeta, ListParameters,
    PROFILES_TAG, ProfileAssignmentBeta, ProfileAssignmentPageBeta, UpdateDevicePropertiesBodyBeta,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::deployment_profiles::DeploymentProfiles;
use crate::routes::device_identities::{DeviceIdentities, device_profile, run_action};
use crate::routes::entity_set::{
    self, BetaRoot, Collection, ExpandParameters, ItemParameters, Key,
};
use crate::store::{AssignmentCreated, Store};

/// `{profiles}/{id}` below the root, for links; `{profiles}('{id}')` for `$metadata` fragments.
fn profile_url(root: &ServiceRoot, profile: uuid::Uuid) -> String {
    format!("{}/{profile}", root.collection_url(&DEPLOYMENT_PROFILES))
}

fn profile_fragment(profile: uuid::Uuid) -> String {
    format!("{}('{profile}')", DEPLOYMENT_PROFILES.path)
}

/// The tenant's profile, or its 404.
async fn profile_exists(
    store: &Store,
    tenant: Tenant,
    profile: uuid::Uuid,
) -> Result<(), GraphError> {
    match store.get(&DEPLOYMENT_PROFILES, tenant, profile).await? {
        Some(_) => Ok(()),
        None => Err(GraphError::entity_not_found(
            &DEPLOYMENT_PROFILES,
            &profile.to_string(),
        )),
    }
}

fn assignment_not_found(id: &str) -> GraphError {
    GraphError::not_found(format!(
        "The windowsAutopilotDeploymentProfileAssignment with id '{id}' does not exist."
    ))
}

/// The assignment id in the path (`{assignment}`).
fn assignment_key(req: &HttpRequest) -> &str {
    req.match_info().get("assignment").unwrap_or_default()
}

#[utoipa::path(
    get,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignments",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.ListAssignments",
    summary = "List assignments",
    params(Key<DeploymentProfiles>),
    responses(
        (status = 200, description = "Every assignment of the profile, oldest first", body = ProfileAssignmentPageBeta),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[get("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments")]
pub async fn list(
    access: ReadAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
) -> Handled {
    let (tenant, profile) = (access.0, key.0);
    profile_exists(&store, tenant, profile).await?;
    let assignments = store.profile_assignments(tenant, &[profile]).await?;
    let page = AssignmentPage {
        context: root.metadata(&format!("{}/assignments", profile_fragment(profile))),
        value: assignments
            .iter()
            .map(|assignment| AssignmentView {
                assignment,
                context: None,
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

#[utoipa::path(
    post,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignments",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.CreateAssignments",
    summary = "Create windowsAutopilotDeploymentProfileAssignment",
    params(Key<DeploymentProfiles>),
    request_body(content = ProfileAssignmentBeta, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ProfileAssignmentBeta,
            headers(("Location" = String, description = "The URL of the new assignment"))),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[post("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments")]
pub async fn create(
    access: WriteAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
    body: JsonBody,
) -> Handled {
    let (tenant, profile) = (access.0, key.0);
    let new = parse_new_assignment(&body.0)?;
    let assignment = match store
        .create_profile_assignment(tenant, profile, &new)
        .await?
    {
        AssignmentCreated::Created(assignment) => assignment,
        AssignmentCreated::NoSuchProfile => {
            return Err(GraphError::entity_not_found(
                &DEPLOYMENT_PROFILES,
                &profile.to_string(),
            ));
        }
        AssignmentCreated::NoSuchGroup(group) => {
            return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                "target/groupId",
                format!("The group '{group}' does not exist in the tenant."),
            )]));
        }
        AssignmentCreated::Duplicate(id) => {
            return Err(GraphError::new(
                actix_web::http::StatusCode::CONFLICT,
                "Conflict",
                format!("The profile already has the assignment '{id}' to this target."),
            ));
        }
    };
    let location = format!(
        "{}/assignments/{}",
        profile_url(&root, profile),
        assignment.id
    );
    Ok(assignment_response(
        HttpResponse::Created().insert_header((header::LOCATION, location)),
        &root,
        profile,
        &assignment,
    ))
}

/// One assignment, led by its `@odata.context`.
fn assignment_response(
    response: &mut actix_web::HttpResponseBuilder,
    root: &ServiceRoot,
    profile: Uuid,
    assignment: &ProfileAssignment,
) -> HttpResponse {
    let context = root.metadata(&format!(
        "{}/assignments/$entity",
        profile_fragment(profile)
    ));
    response.content_type(GRAPH_JSON).json(AssignmentView {
        assignment,
        context: Some(&context),
    })
}

#[utoipa::path(
    get,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignments/{windowsAutopilotDeploymentProfileAssignment-id}",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.GetAssignments",
    summary = "Get windowsAutopilotDeploymentProfileAssignment",
    params(Key<DeploymentProfiles>, ("windowsAutopilotDeploymentProfileAssignment-id" = String, Path,
        description = "{profileId}_{groupId}_0")),
    responses(
        (status = 200, description = "The assignment", body = ProfileAssignmentBeta),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[get("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments/{assignment}")]
pub async fn get(
    access: ReadAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
) -> Handled {
    let (tenant, profile, id) = (access.0, key.0, assignment_key(&req));
    let assignment = store
        .profile_assignment(tenant, profile, id)
        .await?
        .ok_or_else(|| assignment_not_found(id))?;
    Ok(assignment_response(
        &mut HttpResponse::Ok(),
        &root,
        profile,
        &assignment,
    ))
}

#[utoipa::path(
    patch,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignments/{windowsAutopilotDeploymentProfileAssignment-id}",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.UpdateAssignments",
    summary = "Update windowsAutopilotDeploymentProfileAssignment",
    description = "Changes `source`, `sourceId` and the target's type; its group is part of the \
                   id, so a target of another group is a 400. Answers 200 with the assignment, as \
                   the beta reference page says.",
    params(Key<DeploymentProfiles>, ("windowsAutopilotDeploymentProfileAssignment-id" = String, Path,
        description = "{profileId}_{groupId}_0")),
    request_body(content = ProfileAssignmentBeta, content_type = "application/json"),
    responses(
        (status = 200, description = "The assignment as it now is", body = ProfileAssignmentBeta),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[patch("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments/{assignment}")]
pub async fn update(
    access: WriteAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
    body: JsonBody,
) -> Handled {
    let (tenant, profile, id) = (access.0, key.0, assignment_key(&req));
    let assignment = store
        .profile_assignment(tenant, profile, id)
        .await?
        .ok_or_else(|| assignment_not_found(id))?;
    let changed = parse_assignment_update(&body.0, &assignment)?;
    if !store.update_profile_assignment(tenant, &changed).await? {
        return Err(assignment_not_found(id));
    }
    Ok(assignment_response(
        &mut HttpResponse::Ok(),
        &root,
        profile,
        &changed,
    ))
}

#[utoipa::path(
    delete,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignments/{windowsAutopilotDeploymentProfileAssignment-id}",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.DeleteAssignments",
    summary = "Delete windowsAutopilotDeploymentProfileAssignment",
    params(Key<DeploymentProfiles>, ("windowsAutopilotDeploymentProfileAssignment-id" = String, Path,
        description = "{profileId}_{groupId}_0")),
    responses(
        (status = 204, description = "Success"),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[delete("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments/{assignment}")]
pub async fn delete(
    access: WriteAccess,
    store: web::Data<Store>,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
) -> Handled {
    let id = assignment_key(&req);
    if store.delete_profile_assignment(access.0, key.0, id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(assignment_not_found(id))
    }
}

/// The device identities whose effective profile is this one: targeted by one of its assignments,
/// excluded by none, and not taken by an older assignment of another profile. They are the devices
/// the status worker settled on it, so a change shows here once it is worked out (as on Graph,
/// where assignment is asynchronous too).
async fn assigned_devices(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    profile: uuid::Uuid,
    req: HttpRequest,
) -> Handled {
    profile_exists(&store, tenant, profile).await?;
    let collection = Collection {
        within: Some(Filter::IntendedProfile(profile)),
        url: format!("{}/assignedDevices", profile_url(&root, profile)),
        metadata_fragment: format!("{}/assignedDevices", profile_fragment(profile)),
        typed: false,
    };
    entity_set::list_of(&DEVICE_IDENTITIES, collection, tenant, store, root, req).await
}

#[utoipa::path(
    get,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignedDevices",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.ListAssignedDevices",
    summary = "List assignedDevices",
    description = "The device identities whose effective profile is this one: targeted by its \
                   assignments (included groups or all devices, minus exclusion groups) and not \
                   by an older assignment of another profile. Assignment is worked out in the \
                   background, so a change shows here shortly after it is made.",
    params(Key<DeploymentProfiles>, ListParameters),
    responses(
        (status = 200, description = "A page of device identities", body = DeviceIdentityPageBeta),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[get("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices")]
pub async fn list_assigned_devices(
    access: ReadAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
) -> Handled {
    assigned_devices(access.0, store, root, key.0, req).await
}

#[utoipa::path(
    get,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignedDevices/$count",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.assignedDevices.GetCount",
    summary = "Get the number of the resource",
    params(Key<DeploymentProfiles>, CountParameters),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "text/plain"),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[get("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/$count")]
pub async fn count_assigned_devices(
    access: ReadAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
) -> Handled {
    let (tenant, profile) = (access.0, key.0);
    profile_exists(&store, tenant, profile).await?;
    let within = Some(Filter::IntendedProfile(profile));
    entity_set::count_of(&DEVICE_IDENTITIES, within, tenant, store, root, req).await
}

/// The device identity keyed below `assignedDevices`, when it is one of the profile's assigned
/// devices (its intended profile is this one); else the 404 of the profile or of the device.
async fn assigned_device(
    store: &Store,
    tenant: Tenant,
    profile: Uuid,
    req: &HttpRequest,
) -> Result<Uuid, GraphError> {
    let raw = req.match_info().get("device").unwrap_or_default();
    let not_found = || GraphError::entity_not_found(&DEVICE_IDENTITIES, raw);
    let device = Uuid::parse_str(raw).map_err(|_| not_found())?;
    profile_exists(store, tenant, profile).await?;
    let intended = store
        .device_profiles(tenant, &[device], Navigation::IntendedDeploymentProfile)
        .await?;
    match intended.get(&device) {
        Some(&of_device) if of_device == profile => Ok(device),
        _ => Err(not_found()),
    }
}

#[utoipa::path(
    get,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignedDevices/{windowsAutopilotDeviceIdentity-id}",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.GetAssignedDevices",
    summary = "Get assignedDevices from deviceManagement",
    description = "One of the profile's assigned devices; 404 for a device the profile does not \
                   hold.",
    params(Key<DeploymentProfiles>, ItemParameters<DeviceIdentities>,
        ExpandParameters<DeviceIdentities, BetaRoot>),
    responses(
        (status = 200, description = "The device identity", body = DeviceIdentityBeta),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[get("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}")]
pub async fn get_assigned_device(
    access: ReadAccess,
    store: web::Data<Store>,
    root: ServiceRoot,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
) -> Handled {
    let (tenant, profile) = (access.0, key.0);
    let device = assigned_device(&store, tenant, profile, &req).await?;
    let path = format!("{}/assignedDevices", profile_fragment(profile));
    entity_set::get_at(&DEVICE_IDENTITIES, &path, tenant, store, root, device, req).await
}

/// A device identity's bound action, reached through a profile's `assignedDevices`: the action
/// of the device, once the profile is found to hold it. actix's route attribute takes only a
/// literal path, hence `$route` beside `$name`.
macro_rules! assigned_device_action {
    ($handler:ident, $name:literal, $route:literal, $action:ident $(, body = $body:ty)?) => {
        #[utoipa::path(
            post,
            path = concat!("/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignedDevices/{windowsAutopilotDeviceIdentity-id}/", $name),
            tag = PROFILES_TAG,
            security(("bearer" = [])),
            operation_id = concat!("beta.deviceManagement.windowsAutopilotDeploymentProfiles.windowsAutopilotDeploymentProfile.assignedDevices.windowsAutopilotDeviceIdentity.", $name),
            summary = concat!("Invoke action ", $name),
            params(Key<DeploymentProfiles>, Key<DeviceIdentities>),
            $(request_body(content = $body, content_type = "application/json"),)?
            responses(
                (status = 204, description = "Success"),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[post($route)]
        pub async fn $handler(
            access: WriteAccess,
            store: web::Data<Store>,
            root: ServiceRoot,
            key: Key<DeploymentProfiles>,
            req: HttpRequest,
            payload: web::Payload,
        ) -> Handled {
            let device = assigned_device(&store, access.0, key.0, &req).await?;
            run_action(access.0, DeviceAction::$action, store, root, device, req, payload).await
        }
    };
}

assigned_device_action!(
    assigned_allow_next_enrollment,
    "allowNextEnrollment",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/allowNextEnrollment",
    AllowNextEnrollment
);
assigned_device_action!(
    assigned_assign_resource_account_to_device,
    "assignResourceAccountToDevice",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/assignResourceAccountToDevice",
    AssignResourceAccountToDevice,
    body = AssignResourceAccountToDeviceBody
);
assigned_device_action!(
    assigned_assign_user_to_device,
    "assignUserToDevice",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/assignUserToDevice",
    AssignUserToDevice,
    body = AssignUserToDeviceBody
);
assigned_device_action!(
    assigned_unassign_resource_account_from_device,
    "unassignResourceAccountFromDevice",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/unassignResourceAccountFromDevice",
    UnassignResourceAccountFromDevice
);
assigned_device_action!(
    assigned_unassign_user_from_device,
    "unassignUserFromDevice",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/unassignUserFromDevice",
    UnassignUserFromDevice
);
assigned_device_action!(
    assigned_update_device_properties,
    "updateDeviceProperties",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/updateDeviceProperties",
    UpdateDeviceProperties,
    body = UpdateDevicePropertiesBodyBeta
);

/// A device identity's `deploymentProfile` or `intendedDeploymentProfile`, reached through a
/// profile's `assignedDevices`.
macro_rules! assigned_device_navigation {
    ($handler:ident, $navigation:ident, $name:literal, $pascal:literal, $route:literal) => {
        #[utoipa::path(
            get,
            path = concat!("/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignedDevices/{windowsAutopilotDeviceIdentity-id}/", $name),
            tag = PROFILES_TAG,
            security(("bearer" = [])),
            operation_id = concat!("beta.deviceManagement.windowsAutopilotDeploymentProfiles.assignedDevices.Get", $pascal),
            summary = concat!("Get ", $name, " from deviceManagement"),
            params(Key<DeploymentProfiles>, Key<DeviceIdentities>),
            responses(
                (status = 200, description = "The deployment profile", body = DeploymentProfileBeta),
                (status = "4XX", response = ErrorResponse),
                (status = "5XX", response = ErrorResponse),
            )
        )]
        #[get($route)]
        pub async fn $handler(
            access: ReadAccess,
            store: web::Data<Store>,
            root: ServiceRoot,
            key: Key<DeploymentProfiles>,
            req: HttpRequest,
        ) -> Handled {
            let device = assigned_device(&store, access.0, key.0, &req).await?;
            device_profile(access.0, store, root, device, Navigation::$navigation).await
        }
    };
}

assigned_device_navigation!(
    assigned_deployment_profile,
    DeploymentProfile,
    "deploymentProfile",
    "DeploymentProfile",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/deploymentProfile"
);
assigned_device_navigation!(
    assigned_intended_deployment_profile,
    IntendedDeploymentProfile,
    "intendedDeploymentProfile",
    "IntendedDeploymentProfile",
    "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignedDevices/{device}/intendedDeploymentProfile"
);

#[utoipa::path(
    get,
    path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assignments/$count",
    tag = PROFILES_TAG,
    security(("bearer" = [])),
    operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.assignments.GetCount",
    summary = "Get the number of the resource",
    description = "Every assignment of the profile; like the list, it takes no query options.",
    params(Key<DeploymentProfiles>),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "text/plain"),
        (status = "4XX", response = ErrorResponse),
        (status = "5XX", response = ErrorResponse),
    )
)]
#[get("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments/$count")]
pub async fn count(
    access: ReadAccess,
    store: web::Data<Store>,
    key: Key<DeploymentProfiles>,
    req: HttpRequest,
) -> Handled {
    if !req.query_string().is_empty() {
        // A $filter left out would count what it should not: refused rather than ignored.
        return Err(GraphError::bad_request(
            "The $count of a profile's assignments takes no query options.",
        ));
    }
    let (tenant, profile) = (access.0, key.0);
    profile_exists(&store, tenant, profile).await?;
    let assignments = store.profile_assignments(tenant, &[profile]).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(assignments.len().to_string()))
}

/// A profile's assignment routes and its assigned devices (beta), each `$count` before the item
/// route whose key would take it.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list)
        .service(create)
        .service(count)
        .service(get)
        .service(update)
        .service(delete)
        .service(list_assigned_devices)
        .service(count_assigned_devices)
        .service(get_assigned_device)
        .service(assigned_deployment_profile)
        .service(assigned_intended_deployment_profile)
        .service(assigned_allow_next_enrollment)
        .service(assigned_assign_resource_account_to_device)
        .service(assigned_assign_user_to_device)
        .service(assigned_unassign_resource_account_from_device)
        .service(assigned_unassign_user_from_device)
        .service(assigned_update_device_properties);
}
