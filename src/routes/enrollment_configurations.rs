//! deviceManagement/deviceEnrollmentConfigurations on both roots: the generic operations after
//! Intune's defaults are in the tenant, a create at the next free priority of its type, PATCH
//! answering the configuration, a DELETE that spares the defaults, `setPriority`, `assign` and
//! the `assignments` navigation. An Enrollment Status Page's apps must be the tenant's.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{ReadAccess, WriteAccess};
use crate::domain::enrollment_configuration::{
    ENROLLMENT_CONFIGURATIONS, EnrollmentAssignment, SELECTED_APPS, SINGLE_PLATFORM,
    default_configuration,
};
use crate::domain::entity::{DerivedType, EntitySet, Kind, PropertyValue, TYPE_ANNOTATION, Value};
use crate::domain::{ApiVersion, Tenant};
use crate::graph::GRAPH_JSON;
use crate::graph::enrollment_assignment::{
    EnrollmentAssignmentPage, EnrollmentAssignmentView, parse_assign,
    parse_enrollment_assignment_update, parse_new_enrollment_assignment, parse_set_priority,
};
use crate::graph::entity::{parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorDetail, ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    AssignBodyBeta, AssignBodyV1, CountParameters, ENROLLMENT_TAG, EnrollmentAssignmentBeta,
    EnrollmentAssignmentPageBeta, EnrollmentAssignmentPageV1, EnrollmentAssignmentV1,
    EnrollmentConfigurationBeta, EnrollmentConfigurationPageBeta, EnrollmentConfigurationPageV1,
    EnrollmentConfigurationV1, ListParameters, SetPriorityBody,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::routes::store_errors::assignment_refused;
use crate::store::{EnrollmentAssignmentRefused, Store};

/// The most apps an Enrollment Status Page blocks on: Intune's portal takes up to 100.
const MAX_SELECTED_APPS: usize = 100;

/// Enrollment configurations, for the route attributes.
pub struct EnrollmentConfigurations;

impl Served for EnrollmentConfigurations {
    const SET: &'static EntitySet = &ENROLLMENT_CONFIGURATIONS;

    async fn prepare(tenant: Tenant, store: &Store) -> Result<(), GraphError> {
        Ok(store.ensure_enrollment_defaults(tenant).await?)
    }

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let mut assignments = parse_new_entity(&ENROLLMENT_CONFIGURATIONS, &body.0, root.version)?;
        let type_name = assignments
            .iter()
            .find(|a| a.property.name == TYPE_ANNOTATION)
            .and_then(|a| match &a.value {
                Value::Text(name) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        if root.version == ApiVersion::V1 && type_name == SINGLE_PLATFORM {
            return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                TYPE_ANNOTATION,
                format!("The type '#{SINGLE_PLATFORM}' exists on the beta root only."),
            )]));
        }
        check_selected_apps(&store, tenant, &mut assignments).await?;
        let entity = store
            .create_enrollment_configuration(tenant, &type_name, assignments)
            .await?;
        Ok(entity_set::created(&root, &entity))
    }
}

type ConfigurationKey = Key<EnrollmentConfigurations>;

/// An Enrollment Status Page's `selectedMobileAppIds` name mobile apps of the tenant: a 400
/// names the first id that is not a GUID or names no app. The ids are kept in the form the apps'
/// own ids have, so an export, a backup tool or a delete of the app finds them by text.
async fn check_selected_apps(
    store: &Store,
    tenant: Tenant,
    assignments: &mut [PropertyValue],
) -> Result<(), GraphError> {
    let Some(Value::Texts(ids)) = assignments
        .iter_mut()
        .find(|a| a.property.name == SELECTED_APPS)
        .map(|a| &mut a.value)
    else {
        return Ok(());
    };
    let refuse = |message: String| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(SELECTED_APPS, message)])
    };
    if ids.len() > MAX_SELECTED_APPS {
        return Err(refuse(format!(
            "An Enrollment Status Page blocks on at most {MAX_SELECTED_APPS} apps, not {}.",
            ids.len()
        )));
    }
    let mut parsed = Vec::with_capacity(ids.len());
    for id in ids.iter() {
        parsed.push(
            Uuid::parse_str(id)
                .map_err(|_| refuse(format!("'{id}' is not a mobileApp id (a GUID).")))?,
        );
    }
    if let Some(unknown) = store.unknown_mobile_apps(tenant, &parsed).await?.first() {
        return Err(refuse(format!(
            "The mobileApp '{unknown}' does not exist in the tenant."
        )));
    }
    *ids = parsed.iter().map(Uuid::to_string).collect();
    Ok(())
}

/// A PATCH sets only properties of the configuration's own type (whatever type its body names): a
/// Windows Hello setting sent to an ESP is a 400 naming it, not a value stored out of sight.
fn check_own_properties(
    concrete: &DerivedType,
    assignments: &[PropertyValue],
) -> Result<(), GraphError> {
    let set = &ENROLLMENT_CONFIGURATIONS;
    let foreign: Vec<ErrorDetail> = assignments
        .iter()
        .filter_map(|assignment| {
            // A complex member belongs to the property that holds it.
            let property = set
                .properties
                .iter()
                .find(|p| match p.kind {
                    Kind::Complex(complex) => complex
                        .properties
                        .iter()
                        .any(|member| std::ptr::eq(member, assignment.property)),
                    _ => std::ptr::eq(*p, assignment.property),
                })
                .unwrap_or(assignment.property);
            (!concrete.has(set, property)).then(|| {
                ErrorDetail::invalid(
                    property.name,
                    format!(
                        "The property '{}' does not exist on type '{}'.",
                        property.name, concrete.type_name
                    ),
                )
            })
        })
        .collect();
    if foreign.is_empty() {
        Ok(())
    } else {
        Err(GraphError::invalid_fields(foreign))
    }
}

fn configuration_not_found(id: impl std::fmt::Display) -> GraphError {
    GraphError::entity_not_found(&ENROLLMENT_CONFIGURATIONS, &id.to_string())
}

/// A default is never assigned nor reordered: the 400 that says so.
fn refuse_default(id: Uuid, what: &str) -> Result<(), GraphError> {
    match default_configuration(id) {
        Some(default) => Err(GraphError::bad_request(format!(
            "'{}' is Intune's default {}: it applies to everyone at priority 0 and cannot be {what}.",
            default.display_name,
            default.type_name.trim_start_matches("microsoft.graph.")
        ))),
        None => Ok(()),
    }
}

async fn update(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Handled {
    store.ensure_enrollment_defaults(tenant).await?;
    let mut assignments = parse_entity_body(&ENROLLMENT_CONFIGURATIONS, &body.0, root.version)?;
    let stored = store
        .get(&ENROLLMENT_CONFIGURATIONS, tenant, id)
        .await?
        .ok_or_else(|| configuration_not_found(id))?;
    if let Some(concrete) = stored.derived_type() {
        check_own_properties(concrete, &assignments)?;
    }
    check_selected_apps(&store, tenant, &mut assignments).await?;
    entity_set::update_parsed_returning(
        &ENROLLMENT_CONFIGURATIONS,
        tenant,
        store,
        root,
        id,
        assignments,
    )
    .await
}

async fn delete_configuration(tenant: Tenant, store: web::Data<Store>, id: Uuid) -> Handled {
    refuse_default(id, "deleted")?;
    entity_set::delete(&ENROLLMENT_CONFIGURATIONS, tenant, store, id).await
}

async fn set_priority(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    body: JsonBody,
) -> Handled {
    let priority = parse_set_priority(&body.0)?;
    store.ensure_enrollment_defaults(tenant).await?;
    refuse_default(id, "reprioritised")?;
    if store.set_enrollment_priority(tenant, id, priority).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(configuration_not_found(id))
    }
}

fn refused(refusal: EnrollmentAssignmentRefused, id: Uuid) -> GraphError {
    assignment_refused(refusal, configuration_not_found(id))
}

async fn assign(tenant: Tenant, store: web::Data<Store>, id: Uuid, body: JsonBody) -> Handled {
    let new = parse_assign(&body.0)?;
    refuse_default(id, "assigned")?;
    store
        .write_enrollment_assignments(tenant, id, &new, true)
        .await?
        .map_err(|refusal| refused(refusal, id))?;
    Ok(HttpResponse::NoContent().finish())
}

/// `{configurations}('{id}')`, for `$metadata` fragments.
fn configuration_fragment(id: Uuid) -> String {
    format!("{}('{id}')", ENROLLMENT_CONFIGURATIONS.path)
}

fn assignment_view<'a>(
    assignment: &'a EnrollmentAssignment,
    root: &ServiceRoot,
    context: Option<&'a str>,
) -> EnrollmentAssignmentView<'a> {
    EnrollmentAssignmentView {
        assignment,
        version: root.version,
        context,
    }
}

/// The assignments of the tenant's configuration `id`, oldest first; 404 when it has none such.
async fn configuration_assignments(
    tenant: Tenant,
    store: &Store,
    id: Uuid,
) -> Result<Vec<EnrollmentAssignment>, GraphError> {
    store.ensure_enrollment_defaults(tenant).await?;
    if store
        .get(&ENROLLMENT_CONFIGURATIONS, tenant, id)
        .await?
        .is_none()
    {
        return Err(configuration_not_found(id));
    }
    Ok(store.enrollment_assignments(tenant, &[id]).await?)
}

async fn list_assignments(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
) -> Handled {
    let assignments = configuration_assignments(tenant, &store, id).await?;
    let page = EnrollmentAssignmentPage {
        context: root.metadata(&format!("{}/assignments", configuration_fragment(id))),
        value: assignments
            .iter()
            .map(|assignment| assignment_view(assignment, &root, None))
            .collect(),
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

async fn count_assignments(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    if !req.query_string().is_empty() {
        // A $filter left out would count what it should not: refused rather than ignored.
        return Err(GraphError::bad_request(
            "The $count of a configuration's assignments takes no query options.",
        ));
    }
    let assignments = configuration_assignments(tenant, &store, id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(assignments.len().to_string()))
}

async fn create_assignment(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Handled {
    let new = parse_new_enrollment_assignment(&body.0)?;
    refuse_default(id, "assigned")?;
    let created = store
        .write_enrollment_assignments(tenant, id, std::slice::from_ref(&new), false)
        .await?
        .map_err(|refusal| refused(refusal, id))?;
    let assignment = created.first().ok_or_else(GraphError::internal)?;
    let location = format!(
        "{}/assignments/{}",
        root.entity_url(&ENROLLMENT_CONFIGURATIONS, id),
        assignment.id
    );
    let context = root.metadata(&format!(
        "{}/assignments/$entity",
        configuration_fragment(id)
    ));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .content_type(GRAPH_JSON)
        .json(assignment_view(assignment, &root, Some(&context))))
}

fn assignment_not_found(id: &str) -> GraphError {
    GraphError::not_found(format!(
        "The enrollmentConfigurationAssignment with id '{id}' does not exist."
    ))
}

/// The assignment id in the path (`{assignment}`).
fn assignment_key(req: &HttpRequest) -> &str {
    req.match_info().get("assignment").unwrap_or_default()
}

async fn get_assignment(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let key = assignment_key(&req);
    let assignment = store
        .enrollment_assignment(tenant, id, key)
        .await?
        .ok_or_else(|| assignment_not_found(key))?;
    let context = root.metadata(&format!(
        "{}/assignments/$entity",
        configuration_fragment(id)
    ));
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(assignment_view(&assignment, &root, Some(&context))))
}

async fn update_assignment(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
    body: JsonBody,
) -> Handled {
    let key = assignment_key(&req);
    let stored = store
        .enrollment_assignment(tenant, id, key)
        .await?
        .ok_or_else(|| assignment_not_found(key))?;
    let changed = parse_enrollment_assignment_update(&body.0, &stored)?;
    let assignment = store
        .update_enrollment_assignment(tenant, &changed)
        .await?
        .map_err(|refusal| refused(refusal, id))?
        .ok_or_else(|| assignment_not_found(key))?;
    let context = root.metadata(&format!(
        "{}/assignments/$entity",
        configuration_fragment(id)
    ));
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(assignment_view(&assignment, &root, Some(&context))))
}

async fn delete_assignment(
    tenant: Tenant,
    store: web::Data<Store>,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    let key = assignment_key(&req);
    if store.delete_enrollment_assignment(tenant, id, key).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(assignment_not_found(key))
    }
}

/// A root's routes: the generic ones and this set's own, each documented with Microsoft's
/// operationId (`$prefix` as the generic routes use it) and the root's schemas.
macro_rules! enrollment_configuration_routes {
    ($root:ident, $prefix:tt, $entity:ty, $page:ty, $assignment:ty, $assignment_page:ty, $assign:ty) => {
        pub mod $root {
            use super::*;

            entity_set_routes!(
                set: EnrollmentConfigurations, prefix: $prefix, tag: ENROLLMENT_TAG,
                collection: "/deviceManagement/deviceEnrollmentConfigurations",
                count: "/deviceManagement/deviceEnrollmentConfigurations/$count",
                item: "/deviceManagement/deviceEnrollmentConfigurations/{id}",
                documented_item: "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}",
                operation_ids: ("deviceManagement.", "DeviceEnrollmentConfigurations",
                    "deviceManagement.deviceEnrollmentConfigurations.GetCount"),
                summaries: ("deviceEnrollmentConfigurations", "deviceEnrollmentConfiguration"),
                described: ("A page of enrollment configurations", "The enrollment configuration",
                    "The URL of the new enrollment configuration"),
                entity: $entity, page: $page, create_examples: (),
                operations: [list, create, count, get]
            );

            #[utoipa::path(
                patch,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.UpdateDeviceEnrollmentConfigurations"),
                summary = "Update deviceEnrollmentConfiguration",
                description = "Defaults too may be changed; priority and the type are not.",
                params(ConfigurationKey),
                request_body(content = $entity, content_type = "application/json"),
                responses(
                    (status = 200, description = "The configuration as it now is", body = $entity),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[patch("/deviceManagement/deviceEnrollmentConfigurations/{id}")]
            pub async fn update(access: WriteAccess, store: web::Data<Store>, root: ServiceRoot,
                key: ConfigurationKey, body: JsonBody) -> Handled {
                super::update(access.0, store, root, key.0, body).await
            }

            #[utoipa::path(
                delete,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.DeleteDeviceEnrollmentConfigurations"),
                summary = "Delete deviceEnrollmentConfiguration",
                description = "Intune's defaults are refused with 400; a deleted configuration's \
                               assignments go with it.",
                params(ConfigurationKey),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[delete("/deviceManagement/deviceEnrollmentConfigurations/{id}")]
            pub async fn delete(access: WriteAccess, store: web::Data<Store>, key: ConfigurationKey) -> Handled {
                super::delete_configuration(access.0, store, key.0).await
            }

            #[utoipa::path(
                post,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/setPriority",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.deviceEnrollmentConfiguration.setPriority"),
                summary = "Invoke action setPriority",
                description = "Moves the configuration to the priority given (clamped to 1 and the \
                               last of its type); the others of its type move up or down by one.",
                params(ConfigurationKey),
                request_body(content = SetPriorityBody, content_type = "application/json"),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[post("/deviceManagement/deviceEnrollmentConfigurations/{id}/setPriority")]
            pub async fn set_priority(access: WriteAccess, store: web::Data<Store>,
                key: ConfigurationKey, body: JsonBody) -> Handled {
                super::set_priority(access.0, store, key.0, body).await
            }

            #[utoipa::path(
                post,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assign",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.deviceEnrollmentConfiguration.assign"),
                summary = "Invoke action assign",
                description = "Replaces the configuration's assignments with those given.",
                params(ConfigurationKey),
                request_body(content = $assign, content_type = "application/json"),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[post("/deviceManagement/deviceEnrollmentConfigurations/{id}/assign")]
            pub async fn assign(access: WriteAccess, store: web::Data<Store>,
                key: ConfigurationKey, body: JsonBody) -> Handled {
                super::assign(access.0, store, key.0, body).await
            }

            #[utoipa::path(
                get,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assignments",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.ListAssignments"),
                summary = "List assignments",
                params(ConfigurationKey),
                responses(
                    (status = 200, description = "Every assignment of the configuration, oldest first", body = $assignment_page),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments")]
            pub async fn list_assignments(access: ReadAccess, store: web::Data<Store>,
                root: ServiceRoot, key: ConfigurationKey) -> Handled {
                super::list_assignments(access.0, store, root, key.0).await
            }

            #[utoipa::path(
                post,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assignments",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.CreateAssignments"),
                summary = "Create enrollmentConfigurationAssignment",
                params(ConfigurationKey),
                request_body(content = $assignment, content_type = "application/json"),
                responses(
                    (status = 201, description = "Created", body = $assignment,
                        headers(("Location" = String, description = "The URL of the new assignment"))),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[post("/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments")]
            pub async fn create_assignment(access: WriteAccess, store: web::Data<Store>,
                root: ServiceRoot, key: ConfigurationKey, body: JsonBody) -> Handled {
                super::create_assignment(access.0, store, root, key.0, body).await
            }

            #[utoipa::path(
                get,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assignments/$count",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.assignments.GetCount"),
                summary = "Get the number of the resource",
                description = "Every assignment of the configuration; like the list, it takes no \
                               query options.",
                params(ConfigurationKey),
                responses(
                    (status = 200, description = "The count", body = i64, content_type = "text/plain"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments/$count")]
            pub async fn count_assignments(access: ReadAccess, store: web::Data<Store>,
                key: ConfigurationKey, req: HttpRequest) -> Handled {
                super::count_assignments(access.0, store, key.0, req).await
            }

            #[utoipa::path(
                get,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assignments/{enrollmentConfigurationAssignment-id}",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.GetAssignments"),
                summary = "Get enrollmentConfigurationAssignment",
                params(ConfigurationKey, ("enrollmentConfigurationAssignment-id" = String, Path,
                    description = "{configurationId}_{groupId}")),
                responses(
                    (status = 200, description = "The assignment", body = $assignment),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[get("/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments/{assignment}")]
            pub async fn get_assignment(access: ReadAccess, store: web::Data<Store>,
                root: ServiceRoot, key: ConfigurationKey, req: HttpRequest) -> Handled {
                super::get_assignment(access.0, store, root, key.0, req).await
            }

            #[utoipa::path(
                patch,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assignments/{enrollmentConfigurationAssignment-id}",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.UpdateAssignments"),
                summary = "Update enrollmentConfigurationAssignment",
                description = "What the body sends changes. The target may change type within its \
                               group (included to excluded) and its assignment filter; another \
                               group is a 400 naming target, as the id holds the group.",
                params(ConfigurationKey, ("enrollmentConfigurationAssignment-id" = String, Path,
                    description = "{configurationId}_{groupId}")),
                request_body(content = $assignment, content_type = "application/json"),
                responses(
                    (status = 200, description = "The assignment as it now is", body = $assignment),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[patch("/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments/{assignment}")]
            pub async fn update_assignment(access: WriteAccess, store: web::Data<Store>,
                root: ServiceRoot, key: ConfigurationKey, req: HttpRequest, body: JsonBody) -> Handled {
                super::update_assignment(access.0, store, root, key.0, req, body).await
            }

            #[utoipa::path(
                delete,
                path = "/deviceManagement/deviceEnrollmentConfigurations/{deviceEnrollmentConfiguration-id}/assignments/{enrollmentConfigurationAssignment-id}",
                tag = ENROLLMENT_TAG,
                security(("bearer" = [])),
                operation_id = concat!($prefix, "deviceManagement.deviceEnrollmentConfigurations.DeleteAssignments"),
                summary = "Delete enrollmentConfigurationAssignment",
                params(ConfigurationKey, ("enrollmentConfigurationAssignment-id" = String, Path,
                    description = "{configurationId}_{groupId}")),
                responses(
                    (status = 204, description = "Success"),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[delete("/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments/{assignment}")]
            pub async fn delete_assignment(access: WriteAccess, store: web::Data<Store>,
                key: ConfigurationKey, req: HttpRequest) -> Handled {
                super::delete_assignment(access.0, store, key.0, req).await
            }

            /// The configuration routes, each `$count` before the item route whose key would take it.
            pub fn routes(config: &mut ServiceConfig) {
                config
                    .service(list)
                    .service(create)
                    .service(count)
                    .service(get)
                    .service(update)
                    .service(delete)
                    .service(set_priority)
                    .service(assign)
                    .service(list_assignments)
                    .service(create_assignment)
                    .service(count_assignments)
                    .service(get_assignment)
                    .service(update_assignment)
                    .service(delete_assignment);
            }
        }
    };
}

enrollment_configuration_routes!(
    v1,
    "",
    EnrollmentConfigurationV1,
    EnrollmentConfigurationPageV1,
    EnrollmentAssignmentV1,
    EnrollmentAssignmentPageV1,
    AssignBodyV1
);
enrollment_configuration_routes!(
    beta,
    "beta.",
    EnrollmentConfigurationBeta,
    EnrollmentConfigurationPageBeta,
    EnrollmentAssignmentBeta,
    EnrollmentAssignmentPageBeta,
    AssignBodyBeta
);
