//! windowsAutopilotDeploymentProfiles (beta only): the generic operations, PATCH answering 200
//! with the profile, as the beta reference page says, a DELETE refused while assignments hold
//! the profile, the collection's `hasPayloadLinks`, and `assign` (to devices directly).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::entity::EntitySet;
use crate::domain::profile_assignment::payload_link_sources;
use crate::graph::GRAPH_JSON;
use crate::graph::error::{ErrorDetail, ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::profile_assignment::{
    PAYLOAD_LINK_RESULT_TYPE, PayloadLinkResult, PayloadLinkResults, parse_id_list,
};
use crate::graph::schema::{
    AssignProfileBody, CountParameters, DeploymentProfileBeta, DeploymentProfilePageBeta,
    HasPayloadLinksBody, HasPayloadLinksResponse, ListParameters, PROFILES_TAG,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::{DevicesAssigned, ProfileDeleted, Store};
use uuid::Uuid;

/// Deployment profiles, for the route attributes.
pub struct DeploymentProfiles;

impl Served for DeploymentProfiles {
    const SET: &'static EntitySet = &DEPLOYMENT_PROFILES;
}

/// The one parameter of `assign`.
const DEVICE_IDS: &str = "deviceIds";

pub mod beta {
    use super::*;

    entity_set_routes!(
        set: DeploymentProfiles, prefix: "beta.", tag: PROFILES_TAG,
        collection: "/deviceManagement/windowsAutopilotDeploymentProfiles",
        count: "/deviceManagement/windowsAutopilotDeploymentProfiles/$count",
        item: "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
        documented_item: "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}",
        operation_ids: ("deviceManagement.", "WindowsAutopilotDeploymentProfiles",
            "deviceManagement.windowsAutopilotDeploymentProfiles.GetCount"),
        summaries: ("windowsAutopilotDeploymentProfiles", "windowsAutopilotDeploymentProfile"),
        described: ("A page of deployment profiles", "The deployment profile", "The URL of the new deployment profile"),
        entity: DeploymentProfileBeta, page: DeploymentProfilePageBeta, create_examples: (),
        operations: [list, create, count, get]
    );

    #[utoipa::path(
        patch,
        path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}",
        tag = PROFILES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.UpdateWindowsAutopilotDeploymentProfiles",
        summary = "Update windowsAutopilotDeploymentProfile",
        params(Key<DeploymentProfiles>),
        request_body(content = DeploymentProfileBeta, content_type = "application/json"),
        responses(
            (status = 200, description = "The profile as it now is", body = DeploymentProfileBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[patch("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}")]
    pub async fn update(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<DeploymentProfiles>,
        body: JsonBody,
    ) -> Handled {
        entity_set::update_returning(&DEPLOYMENT_PROFILES, access.0, store, root, key.0, body).await
    }

    #[utoipa::path(
        delete,
        path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}",
        tag = PROFILES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.DeleteWindowsAutopilotDeploymentProfiles",
        summary = "Delete windowsAutopilotDeploymentProfile",
        description = "Refused with 400, naming them, while the profile has assignments.",
        params(Key<DeploymentProfiles>),
        responses(
            (status = 204, description = "Success"),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[delete("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}")]
    pub async fn delete(
        access: WriteAccess,
        store: web::Data<Store>,
        key: Key<DeploymentProfiles>,
    ) -> Handled {
        let id = key.0;
        match store.delete_deployment_profile(access.0, id).await? {
            ProfileDeleted::Deleted => Ok(HttpResponse::NoContent().finish()),
            ProfileDeleted::NotFound => Err(GraphError::entity_not_found(
                &DEPLOYMENT_PROFILES,
                &id.to_string(),
            )),
            ProfileDeleted::Assigned(assignments) => Err(GraphError::bad_request(format!(
                "The windowsAutopilotDeploymentProfile '{id}' still has assignments; delete them \
                 first: {}.",
                assignments.join(", ")
            ))),
        }
    }

    /// Which of the profiles named are linked to policy sets. An id that names no profile of the
    /// tenant is answered with its `error`, not by failing the others.
    #[utoipa::path(
        post,
        path = "/deviceManagement/windowsAutopilotDeploymentProfiles/hasPayloadLinks",
        tag = PROFILES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.hasPayloadLinks",
        summary = "Invoke action hasPayloadLinks",
        description = "For each profile id: whether a policy set links it (an assignment whose \
                       source is policySets), and through which sources; `error` names an id that \
                       is no profile of the tenant.",
        request_body(content = HasPayloadLinksBody, content_type = "application/json"),
        responses(
            (status = 200, description = "A result for each id, in their order", body = HasPayloadLinksResponse),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/windowsAutopilotDeploymentProfiles/hasPayloadLinks")]
    pub async fn has_payload_links(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let tenant = access.0;
        let asked = parse_id_list(&body.0, "payloadIds")?;
        let ids: Vec<Uuid> = asked
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect();
        let (found, assignments) = futures_util::future::try_join(
            store.deployment_profiles_among(tenant, &ids),
            store.profile_assignments(tenant, &ids),
        )
        .await?;
        let value = asked
            .into_iter()
            .map(|payload_id| {
                let profile = Uuid::parse_str(&payload_id)
                    .ok()
                    .filter(|id| found.contains(id));
                let (sources, error) = match profile {
                    Some(profile) => (payload_link_sources(&assignments, profile), String::new()),
                    None => (
                        Vec::new(),
                        format!(
                            "The windowsAutopilotDeploymentProfile with id '{payload_id}' does not \
                             exist."
                        ),
                    ),
                };
                PayloadLinkResult {
                    payload_id,
                    has_link: !sources.is_empty(),
                    error,
                    sources,
                }
            })
            .collect();
        let results = PayloadLinkResults {
            context: root.metadata(&format!("Collection({PAYLOAD_LINK_RESULT_TYPE})")),
            value,
        };
        Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(results))
    }

    /// Beta's `assign` takes `deviceIds` (the reference page documents nothing more): the device
    /// identities listed become those the profile is assigned to directly, replacing the ones it
    /// had, as Intune's `assign` actions replace a payload's assignments; an empty list removes
    /// them. A direct assignment names the device, so it decides the device's profile before any
    /// group assignment.
    #[utoipa::path(
        post,
        path = "/deviceManagement/windowsAutopilotDeploymentProfiles/{windowsAutopilotDeploymentProfile-id}/assign",
        tag = PROFILES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.windowsAutopilotDeploymentProfiles.windowsAutopilotDeploymentProfile.assign",
        summary = "Invoke action assign",
        description = "Assigns the profile directly to the device identities `deviceIds` names, \
                       replacing those it had (an empty list removes them); a direct assignment \
                       decides a device's profile before any group assignment. An id that is no \
                       device identity of the tenant is a 400 naming it, and nothing changes. \
                       Status follows in the background, as for group assignments.",
        params(Key<DeploymentProfiles>),
        request_body(content = AssignProfileBody, content_type = "application/json"),
        responses(
            (status = 204, description = "Success"),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assign")]
    pub async fn assign(
        access: WriteAccess,
        store: web::Data<Store>,
        key: Key<DeploymentProfiles>,
        body: JsonBody,
    ) -> Handled {
        let profile = key.0;
        let named = parse_id_list(&body.0, DEVICE_IDS)?;
        let not_devices = |ids: Vec<String>| {
            GraphError::invalid_fields(vec![ErrorDetail::invalid(
                DEVICE_IDS,
                format!(
                    "These are no windowsAutopilotDeviceIdentity of the tenant: {}.",
                    ids.join(", ")
                ),
            )])
        };
        let (mut devices, mut malformed) = (Vec::new(), Vec::new());
        for id in named {
            match Uuid::parse_str(&id) {
                Ok(device) => devices.push(device),
                Err(_) => malformed.push(id),
            }
        }
        if !malformed.is_empty() {
            return Err(not_devices(malformed));
        }
        match store
            .assign_profile_to_devices(access.0, profile, &devices)
            .await?
        {
            DevicesAssigned::Assigned => Ok(HttpResponse::NoContent().finish()),
            DevicesAssigned::NoSuchProfile => Err(GraphError::entity_not_found(
                &DEPLOYMENT_PROFILES,
                &profile.to_string(),
            )),
            DevicesAssigned::NoSuchDevices(missing) => {
                Err(not_devices(missing.iter().map(Uuid::to_string).collect()))
            }
        }
    }

    /// The profile routes, `$count` and the collection's action before the item routes.
    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(list)
            .service(create)
            .service(count)
            .service(has_payload_links)
            .service(get)
            .service(update)
            .service(delete)
            .service(assign);
    }
}
