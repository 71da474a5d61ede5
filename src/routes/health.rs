//! Liveness and readiness for orchestrators, outside the Graph roots and tag.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::graph::error::{ErrorResponse, GraphError};
use crate::store::Store;

/// The tag of the health endpoints.
pub const TAG: &str = "health";

#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` (alive) or `ready` (serving).
    status: &'static str,
}

/// The process is alive; the database is not consulted.
#[utoipa::path(get, path = "/healthz", tag = TAG, operation_id = "healthz", security(),
    responses((status = 200, description = "Alive", body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// The database answers and every migration is applied; 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = TAG, operation_id = "readyz", security(),
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = "5XX", response = ErrorResponse),
    ))]
#[get("/readyz")]
pub async fn readyz(store: web::Data<Store>) -> Result<HttpResponse, GraphError> {
    if store.is_ready().await? {
        return Ok(HttpResponse::Ok().json(Status { status: "ready" }));
    }
    match store.not_ready_because() {
        // The operator's question is why: the database's own answer, as the log has it.
        Some(problem) => Err(GraphError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            format!("Not ready: the database is not ready for the service ({problem})."),
        )),
        None => {
            log::warn!("not ready: this binary's migrations are not all applied (yet)");
            Err(GraphError::service_unavailable())
        }
    }
}
