//! A deployment profile's `assignments` and `assignedDevices` (beta only).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::profile_assignment::ProfileAssignment;
use crate::domain::query::Filter;
use crate::graph::GRAPH_JSON;
use crate::graph::error::{ErrorDetail, ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::profile_assignment::{AssignmentPage, AssignmentView, parse_new_assignment};
use crate::graph::schema::{
    DeviceIdentityPageBeta, ListParameters, PROFILES_TAG, ProfileAssignmentBeta,
    ProfileAssignmentPageBeta,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::deployment_profiles::DeploymentProfiles;
use crate::routes::entity_set::{self, Collection, Key};
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

/// A profile's assignment routes and its assigned devices (beta).
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list)
        .service(create)
        .service(get)
        .service(delete)
        .service(list_assigned_devices);
}
