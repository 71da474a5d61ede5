//! windowsAutopilotDeploymentProfiles (beta only): the generic operations, PATCH answering 200
//! with the profile, as the beta reference page says, and a DELETE refused while assignments hold
//! the profile.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::entity::EntitySet;
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CountParameters, DeploymentProfileBeta, DeploymentProfilePageBeta, ListParameters, PROFILES_TAG,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::{ProfileDeleted, Store};

/// Deployment profiles, for the route attributes.
pub struct DeploymentProfiles;

impl Served for DeploymentProfiles {
    const SET: &'static EntitySet = &DEPLOYMENT_PROFILES;
}

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

    /// The profile routes, `$count` before the item routes.
    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(list)
            .service(create)
            .service(count)
            .service(get)
            .service(update)
            .service(delete);
    }
}
