//! The wire side of configuration policies: a body split into the policy's properties and its
//! `settings`, the refusals of settings and templates, the bodies of `assign` and
//! `setEnrollmentTimeDeviceMembershipTarget`, and the JSON of settings and of a membership
//! target result.

use serde::Serialize;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::domain::configuration_policy::{MembershipTargetProblem, SETTING_TYPE, SettingProblem};
use crate::domain::enrollment_configuration::NewEnrollmentAssignment;
use crate::domain::principals::INTUNE_PROVISIONING_CLIENT;
use crate::graph::enrollment_assignment::parse_assign_of;
use crate::graph::entity::parse_object;
use crate::graph::error::{ErrorDetail, GraphError};

/// The type of a configuration policy's assignments.
pub const POLICY_ASSIGNMENT_TYPE: &str =
    "microsoft.graph.deviceManagementConfigurationPolicyAssignment";
/// The parameter of a policy's `assign`.
pub const POLICY_ASSIGN_PARAMETER: &str = "assignments";
/// The parameter of `setEnrollmentTimeDeviceMembershipTarget`.
pub const MEMBERSHIP_TARGETS_PARAMETER: &str = "enrollmentTimeDeviceMembershipTargets";
/// The one target type Graph has.
pub const STATIC_SECURITY_GROUP: &str = "staticSecurityGroup";
/// The most settings a body may hold, far above any template's definitions: a bound on the work
/// of one request before the template is looked at.
pub const MAX_SETTINGS: usize = 64;

/// A policy body: its properties (a JSON object for the entity-set reader) and its `settings`, if
/// it has them. An expanded `assignments` sent back from a GET is no property and is dropped.
pub struct PolicyBody {
    pub properties: Vec<u8>,
    pub settings: Option<Vec<Json>>,
}

/// Splits a policy body into its properties and its `settings`.
pub fn split_policy_body(body: &[u8]) -> Result<PolicyBody, GraphError> {
    let mut properties = Map::new();
    let mut settings = None;
    for (key, raw) in parse_object(body)? {
        let value: Json = serde_json::from_str(raw.get())
            .map_err(|e| GraphError::bad_request(format!("Invalid JSON: {e}")))?;
        match key.as_str() {
            "settings" => match value {
                Json::Array(list) if list.len() <= MAX_SETTINGS => settings = Some(list),
                Json::Array(list) => {
                    return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                        "settings",
                        format!(
                            "A policy has at most {MAX_SETTINGS} settings, not {}.",
                            list.len()
                        ),
                    )]));
                }
                Json::Null => settings = None,
                _ => {
                    return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                        "settings",
                        format!("'settings' must be an array of '#{SETTING_TYPE}'."),
                    )]));
                }
            },
            "assignments" | "assignments@odata.context" => {}
            _ => {
                properties.insert(key, value);
            }
        }
    }
    Ok(PolicyBody {
        properties: serde_json::to_vec(&properties).map_err(|_| GraphError::internal())?,
        settings,
    })
}

/// A setting the template refuses: 400 naming its definition.
pub fn setting_refused(problem: SettingProblem) -> GraphError {
    let target = match problem.definition.as_str() {
        "" => "settings".to_owned(),
        definition => format!("settings/{definition}"),
    };
    GraphError::invalid_fields(vec![ErrorDetail::invalid(&target, problem.message)])
}

/// A template this service does not emulate: 400 rather than settings stored unchecked.
pub fn template_not_emulated(template_id: &str) -> GraphError {
    GraphError::invalid_fields(vec![ErrorDetail::invalid(
        "templateReference/templateId",
        format!(
            "The template '{template_id}' is not emulated here: this service serves the Windows \
             Autopilot device preparation templates 80d33118-b7b4-40d8-b15f-81be745e053f_1 \
             (user-driven) and a6157a7f-aa00-42d9-ac82-7d2479f545db_1 (automatic) only."
        ),
    )])
}

/// Reads a policy's `assign` body: `assignments`, a list of policy assignments.
pub fn parse_policy_assign(body: &[u8]) -> Result<Vec<NewEnrollmentAssignment>, GraphError> {
    parse_assign_of(body, POLICY_ASSIGN_PARAMETER, POLICY_ASSIGNMENT_TYPE)
}

/// Reads `setEnrollmentTimeDeviceMembershipTarget`'s body: one target, a static security group
/// named by its id (a policy has one device group).
pub fn parse_membership_target(body: &[u8]) -> Result<Uuid, GraphError> {
    let invalid = |message: String| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            MEMBERSHIP_TARGETS_PARAMETER,
            message,
        )])
    };
    let mut targets = None;
    for (key, raw) in parse_object(body)? {
        match key.as_str() {
            MEMBERSHIP_TARGETS_PARAMETER => {
                targets = Some(
                    serde_json::from_str::<Json>(raw.get())
                        .map_err(|e| GraphError::bad_request(format!("Invalid JSON: {e}")))?,
                )
            }
            key if key.contains('@') => {}
            key => {
                return Err(GraphError::bad_request(format!(
                    "The parameter '{key}' is not in the parameter list of the action \
                     'setEnrollmentTimeDeviceMembershipTarget'."
                )));
            }
        }
    }
    let [target] = targets
        .as_ref()
        .and_then(Json::as_array)
        .map_or(&[][..], Vec::as_slice)
    else {
        return Err(invalid(format!(
            "'{MEMBERSHIP_TARGETS_PARAMETER}' must list one target: the static security group \
             devices join at enrollment."
        )));
    };
    let object = target
        .as_object()
        .ok_or_else(|| invalid("A target must be an object.".to_owned()))?;
    if let Some(key) = object
        .keys()
        .find(|k| !["targetType", "targetId"].contains(&k.as_str()) && !k.contains('@'))
    {
        return Err(invalid(format!(
            "The property '{key}' does not exist on type \
             'microsoft.graph.enrollmentTimeDeviceMembershipTarget'."
        )));
    }
    if object.get("targetType").and_then(Json::as_str) != Some(STATIC_SECURITY_GROUP) {
        return Err(invalid(format!(
            "A target's 'targetType' must be '{STATIC_SECURITY_GROUP}'."
        )));
    }
    object
        .get("targetId")
        .and_then(Json::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| invalid("A target's 'targetId' must be a group's id (a GUID).".to_owned()))
}

/// A group refused as the enrollment-time device group: 400 with Graph's validation error code.
pub fn membership_target_refused(group: Uuid, problem: MembershipTargetProblem) -> GraphError {
    let why = match problem {
        MembershipTargetProblem::SecurityGroupNotFound => "the tenant has no such group".to_owned(),
        MembershipTargetProblem::NotSecurityGroup => "the group is not security-enabled".to_owned(),
        MembershipTargetProblem::NotStaticSecurityGroup => {
            "the group's members are decided by a dynamic membership rule; devices join only \
             a static (assigned) group"
                .to_owned()
        }
        MembershipTargetProblem::FirstPartyAppNotAnOwner => format!(
            "the Intune Provisioning Client (appId {INTUNE_PROVISIONING_CLIENT}) is not among \
             its owners; add that application's service principal to the group's owners"
        ),
    };
    GraphError::invalid_fields(vec![ErrorDetail::invalid(
        MEMBERSHIP_TARGETS_PARAMETER,
        format!(
            "{}: the group '{group}' cannot be the enrollment-time device membership target: \
             {why}.",
            problem.code()
        ),
    )])
}

/// A setting as JSON: its id and its instance (`@odata.context` when it is the whole answer).
#[derive(Serialize)]
pub struct SettingView<'a> {
    #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    pub id: &'a str,
    #[serde(rename = "settingInstance")]
    pub instance: &'a Json,
}

impl<'a> SettingView<'a> {
    pub fn new(id: &'a str, instance: &'a Json, context: Option<String>) -> SettingView<'a> {
        SettingView {
            context,
            odata_type: "#microsoft.graph.deviceManagementConfigurationSetting",
            id,
            instance,
        }
    }
}

/// A policy's settings: `{"@odata.context", "@odata.count"?, "value"}`.
#[derive(Serialize)]
pub struct SettingsPage<'a> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    pub value: Vec<SettingView<'a>>,
}

/// One target's status in a membership target result.
#[derive(Serialize)]
pub struct TargetStatus {
    #[serde(rename = "targetId")]
    pub target_id: Uuid,
    #[serde(rename = "targetValidationErrorCode")]
    pub error_code: Option<&'static str>,
}

/// `enrollmentTimeDeviceMembershipTargetResult`: whether the targets are valid, and each one's
/// status.
#[derive(Serialize)]
pub struct MembershipTargetResult {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(rename = "validationSucceeded")]
    pub validation_succeeded: bool,
    #[serde(rename = "enrollmentTimeDeviceMembershipTargetValidationStatuses")]
    pub statuses: Vec<TargetStatus>,
}

/// `clearEnrollmentTimeDeviceMembershipTarget`'s answer: `{"value": true}`.
#[derive(Serialize)]
pub struct Cleared {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_splits_into_properties_and_settings_and_drops_expanded_assignments() {
        let body = br#"{"name":"p","settings":[{"settingInstance":{}}],"assignments":[]}"#;
        let split = split_policy_body(body).unwrap();
        assert_eq!(split.settings.map(|s| s.len()), Some(1));
        assert_eq!(split.properties, br#"{"name":"p"}"#);
        assert!(split_policy_body(br#"{"settings":{}}"#).is_err());
        let many = format!(
            r#"{{"settings":[{}]}}"#,
            vec!["{}"; MAX_SETTINGS + 1].join(",")
        );
        assert!(split_policy_body(many.as_bytes()).is_err());
    }

    #[test]
    fn a_membership_target_is_one_static_security_group_by_id() {
        let group = Uuid::from_u128(7);
        let body = format!(
            r#"{{"enrollmentTimeDeviceMembershipTargets":[{{"targetType":"staticSecurityGroup","targetId":"{group}"}}]}}"#
        );
        assert_eq!(parse_membership_target(body.as_bytes()).unwrap(), group);
        for bad in [
            r#"{"enrollmentTimeDeviceMembershipTargets":[]}"#,
            r#"{"enrollmentTimeDeviceMembershipTargets":[{"targetType":"unknownFutureValue","targetId":"00000000-0000-0000-0000-000000000007"}]}"#,
            r#"{"enrollmentTimeDeviceMembershipTargets":[{"targetType":"staticSecurityGroup","targetId":"nope"}]}"#,
            r#"{"targets":[]}"#,
        ] {
            assert!(parse_membership_target(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
