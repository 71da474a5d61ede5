//! windowsAutopilotSettings (beta): the tenant's settings (read, and updated as far as a client may),
//! and `sync`.

use std::time::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{HttpResponse, get, patch, post, web};

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::entity::Entity;
use crate::domain::settings::{AUTOPILOT_SETTINGS, SyncTrigger};
use crate::graph::GRAPH_JSON;
use crate::graph::entity::{EntityView, parse_entity_body};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{AutopilotSettingsBeta, SETTINGS_TAG};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::store::Store;

/// How long after a manual sync another is refused (`--sync-cooldown`).
#[derive(Debug, Clone, Copy)]
pub struct SyncCooldown(pub Duration);

/// The settings, led by their `@odata.context`.
fn settings_response(settings: &Entity, root: &ServiceRoot) -> HttpResponse {
    let context = root.metadata("deviceManagement/windowsAutopilotSettings/$entity");
    HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(EntityView {
            entity: settings,
            version: root.version,
            select: None,
            context: Some(&context),
            typed: false,
            expanded: &[],
        })
}

pub mod beta {
    use super::*;

    #[utoipa::path(
        get,
        path = "/deviceManagement/windowsAutopilotSettings",
        tag = SETTINGS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.GetWindowsAutopilotSettings",
        summary = "Get windowsAutopilotSettings",
        responses(
            (status = 200, description = "The tenant's settings", body = AutopilotSettingsBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/windowsAutopilotSettings")]
    pub async fn get(access: ReadAccess, store: web::Data<Store>, root: ServiceRoot) -> Handled {
        let settings = store.settings(access.0).await?;
        Ok(settings_response(&settings, &root))
    }

    /// Every property of the settings is the service's (the sync's state moves by `sync` alone):
    /// a body is checked as any update's, and the values it sends for them are ignored, as
    /// read-only properties are.
    #[utoipa::path(
        patch,
        path = "/deviceManagement/windowsAutopilotSettings",
        tag = SETTINGS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.UpdateWindowsAutopilotSettings",
        summary = "Update windowsAutopilotSettings",
        description = "Answers 200 with the settings, as the beta reference page says. The sync's \
                       state is the service's: values sent for it are ignored.",
        request_body(content = AutopilotSettingsBeta, content_type = "application/json"),
        responses(
            (status = 200, description = "The tenant's settings", body = AutopilotSettingsBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[patch("/deviceManagement/windowsAutopilotSettings")]
    pub async fn update(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let set = &AUTOPILOT_SETTINGS;
        let assignments = parse_entity_body(set, &body.0, root.version)?;
        let mut settings = store.settings(access.0).await?;
        if !assignments.is_empty() {
            store
                .update(set, access.0, settings.id(), &assignments)
                .await?;
            settings = store.settings(access.0).await?;
        }
        Ok(settings_response(&settings, &root))
    }

    /// A body is optional (scripts send none, or `{}`), and not read.
    #[utoipa::path(
        post,
        path = "/deviceManagement/windowsAutopilotSettings/sync",
        tag = SETTINGS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.windowsAutopilotSettings.sync",
        summary = "Invoke action sync",
        responses(
            (status = 204, description = "A sync runs"),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/windowsAutopilotSettings/sync")]
    pub async fn sync(
        access: WriteAccess,
        store: web::Data<Store>,
        cooldown: web::Data<SyncCooldown>,
    ) -> Handled {
        match store.trigger_sync(access.0, cooldown.0).await? {
            SyncTrigger::Started => Ok(HttpResponse::NoContent().finish()),
            SyncTrigger::Running => Err(GraphError::conflict(
                "An Autopilot sync is already running for this tenant.",
            )),
            SyncTrigger::CoolingDown(left) => {
                let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                Err(GraphError::too_many_requests(
                    format!(
                        "An Autopilot sync was requested less than {} seconds ago; try again in {seconds} seconds.",
                        cooldown.0.as_secs()
                    ),
                    seconds,
                ))
            }
        }
    }

    pub fn routes(config: &mut ServiceConfig) {
        config.service(get).service(update).service(sync);
    }
}
