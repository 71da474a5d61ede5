//! deviceManagement/configurationPolicies (beta only), for the two Windows Autopilot device
//! preparation templates: create, list, get (with `$expand` of settings and assignments), PATCH
//! and PUT, DELETE, the `settings` and `assignments` navigations, `assign`, and the three
//! enrollment-time device membership target actions. Settings are checked against the template;
//! any other template is refused. Graph's Intune pages ask DeviceManagementConfiguration
//! permissions for them.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

// The generic routes' macro names these extractors; policies need Graph's configuration
// permissions.
use crate::auth::{ConfigurationReadAccess as ReadAccess, ConfigurationWriteAccess as WriteAccess};
use crate::domain::configuration_policy::{
    CONFIGURATION_POLICIES, ENROLLMENT, ENROLLMENT_CONFIGURATION_FAMILY, Template, WINDOWS10,
    check_membership_target, check_settings, template,
};
use crate::domain::entity::{Entity, EntitySet, PropertyValue, Value};
use crate::domain::{ApiVersion, Tenant};
use crate::graph::GRAPH_JSON;
use crate::graph::configuration_policy::{
    Cleared, MembershipTargetResult, POLICY_ASSIGNMENT_TYPE, SettingView, SettingsPage,
    TargetStatus, membership_target_refused, parse_membership_target, parse_policy_assign,
    setting_refused, split_policy_body, template_not_emulated,
};
use crate::graph::enrollment_assignment::{EnrollmentAssignmentPage, EnrollmentAssignmentView};
use crate::graph::entity::{parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorDetail, ErrorResponse, GraphError};
use crate::graph::links::ServiceRoot;
use crate::graph::schema::{
    CONFIGURATION_POLICIES_TAG, ClearedBody, ConfigurationPolicyBeta, ConfigurationPolicyPageBeta,
    CountParameters, ListParameters, MembershipTargetBody, MembershipTargetResultBody,
    PolicyAssignBody, PolicyAssignResponse, PolicyAssignmentBeta, PolicyAssignmentPageBeta,
    PolicySettingBeta, PolicySettingPageBeta,
};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::entity_set::{
    self, ExpandParameters, ItemParameters, Key, Served, entity_set_routes,
};
use crate::routes::store_errors::assignment_refused;
use crate::store::Store;

const SET: &EntitySet = &CONFIGURATION_POLICIES;

/// Configuration policies, for the route attributes.
pub struct ConfigurationPolicies;

impl Served for ConfigurationPolicies {
    const SET: &'static EntitySet = SET;

    async fn create(
        tenant: Tenant,
        store: web::Data<Store>,
        root: ServiceRoot,
        body: JsonBody,
    ) -> Handled {
        let change = checked_body(&body.0, root.version, Write::Create)?;
        let entity = store
            .create_configuration_policy(
                tenant,
                change.properties,
                &change.instances.unwrap_or_default(),
            )
            .await?;
        Ok(entity_set::created(&root, &entity))
    }
}

type PolicyKey = Key<ConfigurationPolicies>;

fn policy_not_found(id: Uuid) -> GraphError {
    GraphError::entity_not_found(SET, &id.to_string())
}

/// What a write of a policy is: a create, a PUT of the stored policy (whose template it keeps)
/// or a PATCH of it.
#[derive(Clone, Copy)]
enum Write {
    Create,
    Replace(&'static Template),
    Change(&'static Template),
}

/// A checked policy body: the properties to store and, when the body has them (always, for a
/// create or a PUT), the setting instances that replace the policy's.
struct PolicyChange {
    properties: Vec<PropertyValue>,
    instances: Option<Vec<serde_json::Value>>,
}

/// The value a body gives the property named `name`, if it gives one.
fn given<'a>(properties: &'a [PropertyValue], name: &str) -> Option<&'a Value> {
    properties
        .iter()
        .find(|p| p.property.name == name)
        .map(|p| &p.value)
}

fn set_value(properties: &mut Vec<PropertyValue>, name: &str, value: Value) {
    properties.retain(|p| p.property.name != name);
    if let Some(property) = SET.columns().find(|p| p.name == name) {
        properties.push(PropertyValue { property, value });
    }
}

/// Reads and checks a policy body for `write`: its template is a device preparation template
/// (the one the policy has, on a PUT or PATCH), its platform and technology that template's, and
/// its settings instances of the template's definitions.
fn checked_body(
    body: &[u8],
    version: ApiVersion,
    write: Write,
) -> Result<PolicyChange, GraphError> {
    let split = split_policy_body(body)?;
    let mut properties = match write {
        Write::Create | Write::Replace(_) => parse_new_entity(SET, &split.properties, version)?,
        Write::Change(_) => parse_entity_body(SET, &split.properties, version)?,
    };
    let named = match given(&properties, "templateId") {
        Some(Value::Text(id)) => Some(id.as_str()),
        _ => None,
    };
    let template = match (write, named) {
        (Write::Create, named) => {
            let named = named.unwrap_or_default();
            template(named).ok_or_else(|| template_not_emulated(named))?
        }
        (Write::Replace(stored) | Write::Change(stored), named) => {
            if let Some(named) = named.filter(|named| *named != stored.id) {
                return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                    "templateReference/templateId",
                    format!(
                        "The policy is of the template '{}'; its template cannot become \
                         '{named}'.",
                        stored.id
                    ),
                )]));
            }
            stored
        }
    };
    for (name, wanted) in [("platforms", WINDOWS10), ("technologies", ENROLLMENT)] {
        match given(&properties, name) {
            Some(Value::Text(member)) if member != wanted => {
                return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                    name,
                    format!(
                        "A policy of the template '{}' has the {name} '{wanted}', not \
                         '{member}'.",
                        template.id
                    ),
                )]));
            }
            _ => {}
        }
    }
    if !matches!(write, Write::Change(_)) {
        for (name, value) in [
            ("templateId", template.id),
            ("templateFamily", ENROLLMENT_CONFIGURATION_FAMILY),
            ("templateDisplayName", template.display_name),
            ("templateDisplayVersion", template.display_version),
            ("platforms", WINDOWS10),
            ("technologies", ENROLLMENT),
        ] {
            set_value(&mut properties, name, Value::Text(value.to_owned()));
        }
    }
    if matches!(write, Write::Replace(_)) {
        // A PUT replaces the whole policy: what it leaves out takes its default.
        if given(&properties, "description").is_none() {
            set_value(&mut properties, "description", Value::Null);
        }
        if given(&properties, "roleScopeTagIds").is_none() {
            set_value(
                &mut properties,
                "roleScopeTagIds",
                Value::Texts(vec!["0".to_owned()]),
            );
        }
    }
    let settings = match write {
        Write::Change(_) => split.settings,
        Write::Create | Write::Replace(_) => Some(split.settings.unwrap_or_default()),
    };
    let instances = settings
        .map(|settings| check_settings(template, &settings).map_err(setting_refused))
        .transpose()?
        .map(|checked| checked.instances);
    Ok(PolicyChange {
        properties,
        instances,
    })
}

/// The stored policy and its template.
async fn stored_policy(
    store: &Store,
    tenant: Tenant,
    id: Uuid,
) -> Result<(Entity, &'static Template), GraphError> {
    let entity = store
        .get(SET, tenant, id)
        .await?
        .ok_or_else(|| policy_not_found(id))?;
    let template_id = SET
        .columns()
        .find(|p| p.name == "templateId")
        .map(|p| entity.get(p).clone());
    let template = match template_id {
        Some(Value::Text(id)) => template(&id),
        _ => None,
    }
    .ok_or_else(GraphError::internal)?;
    Ok((entity, template))
}

/// PATCH (`replace`: false) or PUT: the policy as it now is, 200.
async fn write_policy(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
    body: JsonBody,
    replace: bool,
) -> Handled {
    let (_, template) = stored_policy(&store, tenant, id).await?;
    let write = match replace {
        true => Write::Replace(template),
        false => Write::Change(template),
    };
    let change = checked_body(&body.0, root.version, write)?;
    if !store
        .change_configuration_policy(tenant, id, &change.properties, change.instances.as_deref())
        .await?
    {
        return Err(policy_not_found(id));
    }
    entity_set::get(SET, tenant, store, root, id, req).await
}

/// A navigation of a policy takes no query options: one left out would change the answer.
fn no_options(req: &HttpRequest, what: &str) -> Result<(), GraphError> {
    if req.query_string().is_empty() {
        Ok(())
    } else {
        Err(GraphError::bad_request(format!(
            "The {what} of a configuration policy take no query options."
        )))
    }
}

/// `{policies}('{id}')`, for `$metadata` fragments.
fn policy_fragment(id: Uuid) -> String {
    format!("{}('{id}')", SET.path)
}

async fn list_settings(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    no_options(&req, "settings")?;
    stored_policy(&store, tenant, id).await?;
    let settings = store.policy_settings(tenant, &[id]).await?;
    let page = SettingsPage {
        context: root.metadata(&format!("{}/settings", policy_fragment(id))),
        count: None,
        value: settings
            .iter()
            .map(|s| SettingView::new(&s.id, &s.instance, None))
            .collect(),
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

async fn get_setting(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    no_options(&req, "settings")?;
    let key = req.match_info().get("setting").unwrap_or_default();
    stored_policy(&store, tenant, id).await?;
    let settings = store.policy_settings(tenant, &[id]).await?;
    let setting = settings.iter().find(|s| s.id == key).ok_or_else(|| {
        GraphError::not_found(format!(
            "The deviceManagementConfigurationSetting with id '{key}' does not exist."
        ))
    })?;
    let context = root.metadata(&format!("{}/settings/$entity", policy_fragment(id)));
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(SettingView::new(
            &setting.id,
            &setting.instance,
            Some(context),
        )))
}

async fn assign(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Handled {
    let new = parse_policy_assign(&body.0)?;
    let written = store
        .assign_configuration_policy(tenant, id, &new)
        .await?
        .map_err(|refusal| assignment_refused(refusal, policy_not_found(id)))?;
    let page = EnrollmentAssignmentPage {
        context: root.metadata(&format!("Collection({POLICY_ASSIGNMENT_TYPE})")),
        value: written
            .iter()
            .map(|assignment| EnrollmentAssignmentView {
                assignment,
                version: root.version,
                context: None,
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

async fn list_assignments(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    no_options(&req, "assignments")?;
    stored_policy(&store, tenant, id).await?;
    let assignments = store.policy_assignments(tenant, &[id]).await?;
    let page = EnrollmentAssignmentPage {
        context: root.metadata(&format!("{}/assignments", policy_fragment(id))),
        value: assignments
            .iter()
            .map(|assignment| EnrollmentAssignmentView {
                assignment,
                version: root.version,
                context: None,
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(page))
}

async fn get_assignment(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    req: HttpRequest,
) -> Handled {
    no_options(&req, "assignments")?;
    let key = req.match_info().get("assignment").unwrap_or_default();
    let assignments = store.policy_assignments(tenant, &[id]).await?;
    let assignment = assignments.iter().find(|a| a.id == key).ok_or_else(|| {
        GraphError::not_found(format!(
            "The deviceManagementConfigurationPolicyAssignment with id '{key}' does not exist."
        ))
    })?;
    let context = root.metadata(&format!("{}/assignments/$entity", policy_fragment(id)));
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(EnrollmentAssignmentView {
            assignment,
            version: root.version,
            context: Some(&context),
        }))
}

/// The membership target result of a policy whose device group is `group`.
fn membership_result(root: &ServiceRoot, group: Option<Uuid>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(MembershipTargetResult {
            context: root.metadata("microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"),
            validation_succeeded: true,
            statuses: group
                .into_iter()
                .map(|target_id| TargetStatus {
                    target_id,
                    error_code: None,
                })
                .collect(),
        })
}

/// Sets the policy's enrollment-time device group, once [`check_membership_target`] accepts the
/// group.
async fn set_membership_target(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
    body: JsonBody,
) -> Handled {
    let group = parse_membership_target(&body.0)?;
    stored_policy(&store, tenant, id).await?;
    let facts = store.membership_target_group(tenant, group).await?;
    check_membership_target(facts).map_err(|problem| membership_target_refused(group, problem))?;
    if !store
        .set_enrollment_time_device_group(tenant, id, Some(group))
        .await?
    {
        return Err(policy_not_found(id));
    }
    Ok(membership_result(&root, Some(group)))
}

async fn retrieve_membership_target(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
) -> Handled {
    let group = store
        .enrollment_time_device_group(tenant, id)
        .await?
        .ok_or_else(|| policy_not_found(id))?;
    Ok(membership_result(&root, group))
}

async fn clear_membership_target(
    tenant: Tenant,
    store: web::Data<Store>,
    root: ServiceRoot,
    id: Uuid,
) -> Handled {
    if !store
        .set_enrollment_time_device_group(tenant, id, None)
        .await?
    {
        return Err(policy_not_found(id));
    }
    Ok(HttpResponse::Ok().content_type(GRAPH_JSON).json(Cleared {
        context: root.metadata("Edm.Boolean"),
        value: true,
    }))
}

pub mod beta {
    use super::*;

    entity_set_routes!(
        set: ConfigurationPolicies, prefix: "beta.", tag: CONFIGURATION_POLICIES_TAG,
        collection: "/deviceManagement/configurationPolicies",
        count: "/deviceManagement/configurationPolicies/$count",
        item: "/deviceManagement/configurationPolicies/{id}",
        documented_item: "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}",
        operation_ids: ("deviceManagement.", "ConfigurationPolicies",
            "deviceManagement.configurationPolicies.GetCount"),
        summaries: ("configurationPolicies", "deviceManagementConfigurationPolicy"),
        described: ("A page of configuration policies", "The configuration policy",
            "The URL of the new configuration policy"),
        entity: ConfigurationPolicyBeta, page: ConfigurationPolicyPageBeta, create_examples: (),
        operations: [list, create, count, get, delete]
    );

    #[utoipa::path(
        patch,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.UpdateConfigurationPolicies",
        summary = "Update deviceManagementConfigurationPolicy",
        description = "The properties sent change; `settings`, when sent, replace the policy's \
                       (checked against its template). The template cannot change.",
        params(PolicyKey),
        request_body(content = ConfigurationPolicyBeta, content_type = "application/json"),
        responses(
            (status = 200, description = "The policy as it now is", body = ConfigurationPolicyBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[patch("/deviceManagement/configurationPolicies/{id}")]
    pub async fn update(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        req: HttpRequest,
        body: JsonBody,
    ) -> Handled {
        super::write_policy(access.0, store, root, key.0, req, body, false).await
    }

    #[utoipa::path(
        put,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.SetConfigurationPolicies",
        summary = "Replace deviceManagementConfigurationPolicy",
        description = "The whole policy and its settings are replaced (what the body leaves out \
                       takes its default; no settings leaves none). The template cannot change.",
        params(PolicyKey),
        request_body(content = ConfigurationPolicyBeta, content_type = "application/json"),
        responses(
            (status = 200, description = "The policy as it now is", body = ConfigurationPolicyBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[put("/deviceManagement/configurationPolicies/{id}")]
    pub async fn replace(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        req: HttpRequest,
        body: JsonBody,
    ) -> Handled {
        super::write_policy(access.0, store, root, key.0, req, body, true).await
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/settings",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.ListSettings",
        summary = "List settings",
        params(PolicyKey),
        responses(
            (status = 200, description = "The policy's settings, in order", body = PolicySettingPageBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/configurationPolicies/{id}/settings")]
    pub async fn list_settings(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        req: HttpRequest,
    ) -> Handled {
        super::list_settings(access.0, store, root, key.0, req).await
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/settings/{deviceManagementConfigurationSetting-id}",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.GetSettings",
        summary = "Get settings from deviceManagement",
        params(PolicyKey, ("deviceManagementConfigurationSetting-id" = String, Path,
            description = "The setting's place in the policy: 0, 1, ...")),
        responses(
            (status = 200, description = "The setting", body = PolicySettingBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/configurationPolicies/{id}/settings/{setting}")]
    pub async fn get_setting(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        req: HttpRequest,
    ) -> Handled {
        super::get_setting(access.0, store, root, key.0, req).await
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/assign",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.deviceManagementConfigurationPolicy.assign",
        summary = "Invoke action assign",
        description = "Replaces the policy's assignments with those given; every group must be \
                       the tenant's.",
        params(PolicyKey),
        request_body(content = PolicyAssignBody, content_type = "application/json"),
        responses(
            (status = 200, description = "The policy's assignments", body = PolicyAssignResponse),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/configurationPolicies/{id}/assign")]
    pub async fn assign(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        body: JsonBody,
    ) -> Handled {
        super::assign(access.0, store, root, key.0, body).await
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/assignments",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.ListAssignments",
        summary = "List assignments",
        params(PolicyKey),
        responses(
            (status = 200, description = "Every assignment of the policy, oldest first", body = PolicyAssignmentPageBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/configurationPolicies/{id}/assignments")]
    pub async fn list_assignments(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        req: HttpRequest,
    ) -> Handled {
        super::list_assignments(access.0, store, root, key.0, req).await
    }

    #[utoipa::path(
        get,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/assignments/{deviceManagementConfigurationPolicyAssignment-id}",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.GetAssignments",
        summary = "Get assignments from deviceManagement",
        params(PolicyKey, ("deviceManagementConfigurationPolicyAssignment-id" = String, Path,
            description = "{policyId}_{groupId}")),
        responses(
            (status = 200, description = "The assignment", body = PolicyAssignmentBeta),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[get("/deviceManagement/configurationPolicies/{id}/assignments/{assignment}")]
    pub async fn get_assignment(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        req: HttpRequest,
    ) -> Handled {
        super::get_assignment(access.0, store, root, key.0, req).await
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/setEnrollmentTimeDeviceMembershipTarget",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.deviceManagementConfigurationPolicy.setEnrollmentTimeDeviceMembershipTarget",
        summary = "Invoke action setEnrollmentTimeDeviceMembershipTarget",
        description = "Names the static security group of the tenant that devices join at \
                       enrollment; a group that is missing, not security-enabled or dynamic is \
                       a 400 with Graph's validation error code.",
        params(PolicyKey),
        request_body(content = MembershipTargetBody, content_type = "application/json"),
        responses(
            (status = 200, description = "The target, validated", body = MembershipTargetResultBody),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post("/deviceManagement/configurationPolicies/{id}/setEnrollmentTimeDeviceMembershipTarget")]
    pub async fn set_membership_target(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
        body: JsonBody,
    ) -> Handled {
        super::set_membership_target(access.0, store, root, key.0, body).await
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/retrieveEnrollmentTimeDeviceMembershipTarget",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.deviceManagementConfigurationPolicy.retrieveEnrollmentTimeDeviceMembershipTarget",
        summary = "Invoke action retrieveEnrollmentTimeDeviceMembershipTarget",
        description = "The policy's device group, as a status of its one target (none when it \
                       names none).",
        params(PolicyKey),
        responses(
            (status = 200, description = "The policy's target", body = MembershipTargetResultBody),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post(
        "/deviceManagement/configurationPolicies/{id}/retrieveEnrollmentTimeDeviceMembershipTarget"
    )]
    pub async fn retrieve_membership_target(
        access: ReadAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
    ) -> Handled {
        super::retrieve_membership_target(access.0, store, root, key.0).await
    }

    #[utoipa::path(
        post,
        path = "/deviceManagement/configurationPolicies/{deviceManagementConfigurationPolicy-id}/clearEnrollmentTimeDeviceMembershipTarget",
        tag = CONFIGURATION_POLICIES_TAG,
        security(("bearer" = [])),
        operation_id = "beta.deviceManagement.configurationPolicies.deviceManagementConfigurationPolicy.clearEnrollmentTimeDeviceMembershipTarget",
        summary = "Invoke action clearEnrollmentTimeDeviceMembershipTarget",
        params(PolicyKey),
        responses(
            (status = 200, description = "Cleared", body = ClearedBody),
            (status = "4XX", response = ErrorResponse),
            (status = "5XX", response = ErrorResponse),
        )
    )]
    #[post(
        "/deviceManagement/configurationPolicies/{id}/clearEnrollmentTimeDeviceMembershipTarget"
    )]
    pub async fn clear_membership_target(
        access: WriteAccess,
        store: web::Data<Store>,
        root: ServiceRoot,
        key: PolicyKey,
    ) -> Handled {
        super::clear_membership_target(access.0, store, root, key.0).await
    }

    /// The policy routes, each `$count` before the item route whose key would take it.
    pub fn routes(config: &mut ServiceConfig) {
        config
            .service(list)
            .service(create)
            .service(count)
            .service(get)
            .service(update)
            .service(replace)
            .service(delete)
            .service(list_settings)
            .service(get_setting)
            .service(assign)
            .service(list_assignments)
            .service(get_assignment)
            .service(set_membership_target)
            .service(retrieve_membership_target)
            .service(clear_membership_target);
    }
}
