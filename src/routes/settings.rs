//! windowsAutopilotSettings (beta): the tenant's settings, and `sync`.

use std::time::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{HttpResponse, get, post, web};

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::settings::SyncTrigger;
use crate::graph::GRAPH_JSON;
use crate::graph::entity::EntityView;
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{AutopilotSettingsBeta, SETTINGS_TAG};
use crate::routes::Handled;
use crate::store::Store;

/// How long after a manual sync another is refused (`--sync-cooldown`).
#[derive(Debug, Clone, Copy)]
pub struct SyncCooldown(pub Duration);

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
        let context = root.metadata("deviceManagement/windowsAutopilotSettings/$entity");
        Ok(HttpResponse::Ok()
            .content_type(GRAPH_JSON)
            .json(EntityView {
                entity: &settings,
                version: root.version,
                select: None,
                context: Some(&context),
                typed: false,
                expanded: &[],
            }))
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
        config.service(get).service(sync);
    }
}
