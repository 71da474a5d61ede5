//! deviceManagement/assignmentFilters (beta only): the generic operations, with a filter's rule
//! checked against its platform's grammar on create and PATCH (200 with the filter, as the beta
//! reference page says), `validateFilter`, `getSupportedProperties`,
//! `getPlatformSupportedProperties(platform='...')`, and `enable` and `getState`, which set and
//! read whether the tenant's filters are on. Graph's Intune pages ask DeviceManagementConfiguration
//! permissions for them, not the ServiceConfig ones of the Autopilot sets.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

// The generic routes' macro names these extractors; filters need Graph's configuration
// permissions.
use crate::auth::{ConfigurationReadAccess as ReadAccess, ConfigurationWriteAccess as WriteAccess};
use crate::domain::Tenant;
use crate::domain::assignment_filter::ASSIGNMENT_FILTERS;
use crate::domain::entity::EntitySet;
use crate::graph::GRAPH_JSON;
use crate::graph::assignment_filter::{
    FilterState, SupportedProperties, ValidationResult, checked_filter, enable_parameter,
    platform_supported_properties, supported_properties, validate_filter,
};
use crate::graph::entity::{parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    ASSIGNMENT_FILTERS_TAG, AssignmentFilterBeta, AssignmentFilterPageBeta, AssignmentFilterState,
    AssignmentFilterValidationResult, CountParameters, EnableAssignmentFiltersBody, ListParameters,
    SupportedPropertiesPage, ValidateFilterBody,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::store::Store;

/// Assignment filters, for the route attributes.
pub struct AssignmentFilters;

impl Served for AssignmentFilters {
    const SET: &'static EntitySet = &ASSIGNMENT_FILTERS;

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Result<HttpResponse, GraphError> {
        let assignments =
            checked_filter(parse_new_entity(Self::SET, &body.0, root.version)?, None)?;
        entity_set::create_parsed(Self::SET, tenant, store, root, assignments).await
    }
}

pub mod beta {
    use super::*;

    entity_set_routes!(
        set: AssignmentFilters, prefix: "beta.", tag: ASSIGNMENT_FILTERS_TAG,
        collection: "/deviceManagement/assignmentFilters",
        count: "/deviceManagement/assignmentFilters/$count",
        item: "/deviceManagement/assignmentFilters/{id}",
        documented_item: "/deviceManagement/assignmentFilters/{deviceAndAppManagementAssignmentFilter-id}",
        operation_ids: ("deviceManagement.", "AssignmentFilters",
            "deviceManagement.assignmentFilters.GetCount"),
        summaries: ("assignmentFilters", "deviceAndAppManagementAssignmentFilter"),
        described: ("A page of assignment filters", "The assignment filter", "The URL of the new assignment filter"),
        entity: AssignmentFilterBeta, page: AssignmentFilterPageBeta, create_examples: (),
        operations: [list, create, count, get, delete]
    );

    #[utoipa::path(
        patch,
        path = "/deviceManagement/assignmentFilters/{deviceAndAppManagementAssignmentFilter-id}",
        tag = ASSIGNMENT_FILTERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.UpdateAssignmentFilters",
        summary = "Update deviceAndAppManagementAssignmentFilter",
        description = "The rule is checked against the grammar of the platform the filter will have.",
        params(Key<AssignmentFilters>),
        request_body(content = AssignmentFilterBeta, content_type = "application/json"),
        responses(
            (status = 200, description = "The filter as it now is", body = AssignmentFilterBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[patch("/deviceManagement/assignmentFilters/{id}")]
    pub async fn update(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<AssignmentFilters>,
        body: JsonBody,
    ) -> Handled {
        let (tenant, id) = (access.0, key.0);
        let assignments = parse_entity_body(&ASSIGNMENT_FILTERS, &body.0, root.version)?;
        let stored = store
            .get(&ASSIGNMENT_FILTERS, tenant, id)
            .await?
            .ok_or_else(|| GraphError::entity_not_found(&ASSIGNMENT_FILTERS, &id.to_string()))?;
        let assignments = checked_filter(assignments, Some(&stored))?;
        entity_set::update_parsed_returning(
            &ASSIGNMENT_FILTERS,
            tenant,
            store,
            root,
            id,
            assignments,
        )
        .await
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/assignmentFilters/validateFilter",
        tag = ASSIGNMENT_FILTERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.assignmentFilters.validateFilter",
        summary = "Invoke action validateFilter",
        description = "Whether the filter's rule keeps to the filter grammar of its platform; \
                       nothing is stored.",
        request_body(content = ValidateFilterBody, content_type = "application/json"),
        responses(
            (status = 200, description = "Whether the rule is valid", body = AssignmentFilterValidationResult),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/assignmentFilters/validateFilter")]
    pub async fn validate(_access: WriteAccess, root: ServiceRoot, body: JsonBody) -> Handled {
        let is_valid_rule = validate_filter(&body.0, root.version)?;
        Ok(HttpResponse::Ok()
            .content_type(GRAPH_JSON)
            .json(ValidationResult {
                context: root.metadata("microsoft.graph.assignmentFilterValidationResult"),
                is_valid_rule,
            }))
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/assignmentFilters/{deviceAndAppManagementAssignmentFilter-id}/getSupportedProperties",
        tag = ASSIGNMENT_FILTERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.assignmentFilters.deviceAndAppManagementAssignmentFilter.getSupportedProperties",
        summary = "Invoke function getSupportedProperties",
        description = "The properties, operators and values a rule of the filter's platform may use.",
        params(Key<AssignmentFilters>),
        responses(
            (status = 200, description = "The supported properties", body = SupportedPropertiesPage),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/assignmentFilters/{id}/getSupportedProperties")]
    pub async fn get_supported_properties(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: Key<AssignmentFilters>,
    ) -> Handled {
        let id = key.0;
        let filter = store
            .get(&ASSIGNMENT_FILTERS, access.0, id)
            .await?
            .ok_or_else(|| GraphError::entity_not_found(&ASSIGNMENT_FILTERS, &id.to_string()))?;
        Ok(HttpResponse::Ok()
            .content_type(GRAPH_JSON)
            .json(SupportedProperties {
                context: root
                    .metadata("Collection(microsoft.graph.assignmentFilterSupportedProperty)"),
                value: supported_properties(&filter),
            }))
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/assignmentFilters/getPlatformSupportedProperties(platform='{platform}')",
        tag = ASSIGNMENT_FILTERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.assignmentFilters.getPlatformSupportedProperties",
        summary = "Invoke function getPlatformSupportedProperties",
        description = "The properties, operators and values a rule of filters of the platform \
                       may use.",
        params(("platform" = String, Path, description = "A devicePlatformType, e.g. windows10AndLater")),
        responses(
            (status = 200, description = "The supported properties", body = SupportedPropertiesPage),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    // The canonical path keeps the parameters in the segment (src/graph/paths.rs); the handler
    // reads them itself, so that a wrong one is a 400 that names it.
    #[get("/deviceManagement/assignmentFilters/getPlatformSupportedProperties({parameters})")]
    pub async fn get_platform_supported_properties(
        _access: ReadAccess,
        root: ServiceRoot,
        request: HttpRequest,
    ) -> Handled {
        // Read from the match rather than a `web::Path`, which would document the route's
        // placeholder beside Microsoft's `platform`.
        let parameters = request.match_info().get("parameters").unwrap_or_default();
        let value = platform_supported_properties(parameters, root.version)?;
        Ok(HttpResponse::Ok()
            .content_type(GRAPH_JSON)
            .json(SupportedProperties {
                context: root
                    .metadata("Collection(microsoft.graph.assignmentFilterSupportedProperty)"),
                value,
            }))
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/assignmentFilters/enable",
        tag = ASSIGNMENT_FILTERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.assignmentFilters.enable",
        summary = "Invoke action enable",
        description = "Turns the tenant's assignment filters on or off; getState reads it back.",
        request_body(content = EnableAssignmentFiltersBody, content_type = "application/json"),
        responses(
            (status = 204, description = "Done"),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/assignmentFilters/enable")]
    pub async fn enable(access: WriteAccess, store: web::Data<Store>, body: JsonBody) -> Handled {
        let enabled = enable_parameter(&body.0)?;
        store
            .set_assignment_filters_enabled(access.0, enabled)
            .await?;
        Ok(HttpResponse::NoContent().finish())
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/assignmentFilters/getState",
        tag = ASSIGNMENT_FILTERS_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.assignmentFilters.getState",
        summary = "Invoke function getState",
        description = "Whether the tenant's assignment filters are on (they are until enable \
                       turns them off).",
        responses(
            (status = 200, description = "The state of the tenant's filters", body = AssignmentFilterState),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/assignmentFilters/getState")]
    pub async fn get_state(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
    ) -> Handled {
        let enabled = store.assignment_filters_enabled(access.0).await?;
        Ok(HttpResponse::Ok()
            .content_type(GRAPH_JSON)
            .json(FilterState {
                context: root.metadata("microsoft.graph.assignmentFilterState"),
                enabled,
            }))
    }

    /// The filter routes: `$count` and the collection's actions and functions before the item
    /// routes.
    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(list)
            .service(create)
            .service(count)
            .service(validate)
            .service(enable)
            .service(get_state)
            .service(get_platform_supported_properties)
            .service(get)
            .service(get_supported_properties)
            .service(update)
            .service(delete);
    }
}
