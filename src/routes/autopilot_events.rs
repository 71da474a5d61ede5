//! deviceManagement/autopilotEvents (beta only): the generic operations, PATCH answering 200 with
//! the event as Graph's update page says, and each event's `policyStatusDetails` (list, create,
//! get, delete), which the event contains.

use actix_web::{HttpRequest, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::Tenant;
use crate::domain::autopilot_event::{
    AUTOPILOT_EVENTS, EVENT_OF_DETAIL, POLICY_STATUS_DETAILS, POLICY_STATUS_DETAILS_SEGMENT,
};
use crate::domain::entity::{EntitySet, Value};
use crate::domain::query::{CompareOp, Filter};
use crate::graph::entity::parse_new_entity;
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    AUTOPILOT_EVENTS_TAG, AutopilotEventBeta, AutopilotEventPageBeta, CountParameters,
    ListParameters, PolicyStatusDetailBeta, PolicyStatusDetailPageBeta,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, Collection, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::Store;

/// Autopilot events, for the route attributes.
pub struct AutopilotEvents;

impl Served for AutopilotEvents {
    const SET: &'static EntitySet = &AUTOPILOT_EVENTS;
}

/// Policy status details, for the route attributes.
pub struct PolicyStatusDetails;

impl Served for PolicyStatusDetails {
    const SET: &'static EntitySet = &POLICY_STATUS_DETAILS;
}

/// The details of `event`, as a filter.
fn of_event(event: Uuid) -> Filter {
    Filter::Compare {
        property: &EVENT_OF_DETAIL,
        op: CompareOp::Eq,
        value: Value::Guid(event),
    }
}

/// The navigation's path below the root, as `@odata.context` names it.
fn details_path(event: Uuid) -> String {
    format!(
        "{}('{event}')/{POLICY_STATUS_DETAILS_SEGMENT}",
        AUTOPILOT_EVENTS.path
    )
}

/// 404 unless the tenant has the event.
async fn existing_event(store: &Store, tenant: Tenant, event: Uuid) -> Result<(), GraphError> {
    match store.get(&AUTOPILOT_EVENTS, tenant, event).await? {
        Some(_) => Ok(()),
        None => Err(GraphError::entity_not_found(
            &AUTOPILOT_EVENTS,
            &event.to_string(),
        )),
    }
}

/// The key of a policy status detail from the path (`{detail}`); not a GUID names none.
fn detail_key(req: &HttpRequest) -> Result<Uuid, GraphError> {
    let raw = req.match_info().get("detail").unwrap_or_default();
    Uuid::parse_str(raw).map_err(|_| GraphError::entity_not_found(&POLICY_STATUS_DETAILS, raw))
}

pub mod beta {
    use super::*;

    entity_set_routes!(
        set: AutopilotEvents, prefix: "beta.", tag: AUTOPILOT_EVENTS_TAG,
        collection: "/deviceManagement/autopilotEvents",
        count: "/deviceManagement/autopilotEvents/$count",
        item: "/deviceManagement/autopilotEvents/{id}",
        documented_item: "/deviceManagement/autopilotEvents/{deviceManagementAutopilotEvent-id}",
        operation_ids: ("deviceManagement.", "AutopilotEvents",
            "deviceManagement.autopilotEvents.GetCount"),
        summaries: ("autopilotEvents", "deviceManagementAutopilotEvent"),
        described: ("A page of Autopilot events", "The Autopilot event", "The URL of the new Autopilot event"),
        entity: AutopilotEventBeta, page: AutopilotEventPageBeta, create_examples: (),
        operations: [list, create, count, get, delete]
    );

    #[utoipa::path(
        patch,
        path = "/deviceManagement/autopilotEvents/{deviceManagementAutopilotEvent-id}",
        tag = AUTOPILOT_EVENTS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.UpdateAutopilotEvents",
        summary = "Update deviceManagementAutopilotEvent",
        params(Key<AutopilotEvents>),
        request_body(content = AutopilotEventBeta, content_type = "application/json"),
        responses(
            (status = 200, description = "The event as it now is", body = AutopilotEventBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[patch("/deviceManagement/autopilotEvents/{id}")]
    pub async fn update(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<AutopilotEvents>,
        body: JsonBody,
    ) -> Handled {
        entity_set::update_returning(&AUTOPILOT_EVENTS, access.0, store, root, key.0, body).await
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/autopilotEvents/{deviceManagementAutopilotEvent-id}/policyStatusDetails",
        tag = AUTOPILOT_EVENTS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.autopilotEvents.ListPolicyStatusDetails",
        summary = "List policyStatusDetails",
        params(Key<AutopilotEvents>, ListParameters),
        responses(
            (status = 200, description = "A page of the event's policy status details", body = PolicyStatusDetailPageBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/autopilotEvents/{id}/policyStatusDetails")]
    pub async fn list_details(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<AutopilotEvents>,
        req: HttpRequest,
    ) -> Handled {
        let event = key.0;
        existing_event(&store, access.0, event).await?;
        let collection = Collection {
            within: Some(of_event(event)),
            url: format!(
                "{}/{POLICY_STATUS_DETAILS_SEGMENT}",
                root.entity_url(&AUTOPILOT_EVENTS, event)
            ),
            metadata_fragment: details_path(event),
            typed: false,
        };
        entity_set::list_of(
            &POLICY_STATUS_DETAILS,
            collection,
            access.0,
            store,
            root,
            req,
        )
        .await
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/autopilotEvents/{deviceManagementAutopilotEvent-id}/policyStatusDetails",
        tag = AUTOPILOT_EVENTS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.autopilotEvents.CreatePolicyStatusDetails",
        summary = "Create new navigation property to policyStatusDetails for deviceManagement",
        params(Key<AutopilotEvents>),
        request_body(content = PolicyStatusDetailBeta, content_type = "application/json"),
        responses(
            (status = 201, description = "Created", body = PolicyStatusDetailBeta,
                headers(("Location" = String, description = "The URL of the new policy status detail"))),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/autopilotEvents/{id}/policyStatusDetails")]
    pub async fn create_detail(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<AutopilotEvents>,
        body: JsonBody,
    ) -> Handled {
        let event = key.0;
        let assignments = parse_new_entity(&POLICY_STATUS_DETAILS, &body.0, root.version)?;
        let detail = store
            .create_policy_status_detail(access.0, event, &assignments)
            .await?
            .ok_or_else(|| GraphError::entity_not_found(&AUTOPILOT_EVENTS, &event.to_string()))?;
        let location = format!(
            "{}/{POLICY_STATUS_DETAILS_SEGMENT}/{}",
            root.entity_url(&AUTOPILOT_EVENTS, event),
            detail.id()
        );
        Ok(entity_set::created_at(
            &root,
            &location,
            &details_path(event),
            &detail,
        ))
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/autopilotEvents/{deviceManagementAutopilotEvent-id}/policyStatusDetails/{deviceManagementAutopilotPolicyStatusDetail-id}",
        tag = AUTOPILOT_EVENTS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.autopilotEvents.GetPolicyStatusDetails",
        summary = "Get policyStatusDetails from deviceManagement",
        params(Key<AutopilotEvents>, ItemParameters<PolicyStatusDetails>),
        responses(
            (status = 200, description = "The policy status detail", body = PolicyStatusDetailBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/autopilotEvents/{id}/policyStatusDetails/{detail}")]
    pub async fn get_detail(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<AutopilotEvents>,
        req: HttpRequest,
    ) -> Handled {
        let (event, detail) = (key.0, detail_key(&req)?);
        existing_event(&store, access.0, event).await?;
        entity_set::get_within(
            &POLICY_STATUS_DETAILS,
            &details_path(event),
            Some(of_event(event)),
            access.0,
            store,
            root,
            detail,
            req,
        )
        .await
    }

    #[utoipa::path(
        delete,
        path = "/deviceManagement/autopilotEvents/{deviceManagementAutopilotEvent-id}/policyStatusDetails/{deviceManagementAutopilotPolicyStatusDetail-id}",
        tag = AUTOPILOT_EVENTS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.autopilotEvents.DeletePolicyStatusDetails",
        summary = "Delete navigation property policyStatusDetails for deviceManagement",
        params(Key<AutopilotEvents>, ItemParameters<PolicyStatusDetails>),
        responses(
            (status = 204, description = "Success"),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[delete("/deviceManagement/autopilotEvents/{id}/policyStatusDetails/{detail}")]
    pub async fn delete_detail(
        access: WriteAccess,
        store: web::Data<Store>,
        key: Key<AutopilotEvents>,
        req: HttpRequest,
    ) -> Handled {
        let (event, detail) = (key.0, detail_key(&req)?);
        existing_event(&store, access.0, event).await?;
        let contained = store
            .find_within(&POLICY_STATUS_DETAILS, access.0, of_event(event), detail)
            .await?
            .is_some();
        let deleted = contained
            && store
                .delete(&POLICY_STATUS_DETAILS, access.0, detail)
                .await?;
        entity_set::found(&POLICY_STATUS_DETAILS, deleted, detail)
    }

    /// The event routes, `$count` before the item routes.
    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(list)
            .service(create)
            .service(count)
            .service(get)
            .service(update)
            .service(delete)
            .service(list_details)
            .service(create_detail)
            .service(get_detail)
            .service(delete_detail);
    }
}
