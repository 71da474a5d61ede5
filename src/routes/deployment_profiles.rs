//! windowsAutopilotDeploymentProfiles (beta only): the generic operations, and PATCH answering
//! 200 with the profile, as the beta reference page says.

use actix_web::{HttpRequest, delete, get, patch, post, web};

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::entity::EntitySet;
use crate::graph::error::ErrorResponse;
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CountParameters, DeploymentProfileBeta, DeploymentProfilePageBeta, ListParameters, PROFILES_TAG,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{self, ItemParameters, Key, Served, entity_set_routes};
use crate::store::Store;

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
        operations: [list, create, count, get, delete]
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
}
