//! The wire side of deployment profile assignments: the create and update bodies, the JSON of an
//! assignment with its target's `@odata.type`, and the bodies and answers of the profile actions
//! that name ids (`hasPayloadLinks`, `assign`).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::domain::ApiVersion;
use crate::domain::entity::{TEXT, TYPE_ANNOTATION};
use crate::domain::profile_assignment::{
    ASSIGNMENT_SOURCE, AssignmentTarget, DIRECT, NewAssignment, ProfileAssignment, assignment_id,
};
use crate::graph::entity::{checked_text, parse_object};
use crate::graph::error::{ErrorDetail, GraphError};

pub const ASSIGNMENT_TYPE: &str = "microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

/// The properties an assignment body sets; what it leaves out is `None`.
struct AssignmentBody {
    target: Option<AssignmentTarget>,
    source: Option<String>,
    source_id: Option<Option<String>>,
}

/// Reads an assignment body: `target`, `source`, `sourceId`. `id` is the server's to compute and
/// is ignored; any other property is refused, every problem at once.
fn parse_assignment_body(body: &[u8]) -> Result<AssignmentBody, GraphError> {
    let mut problems = Vec::new();
    let mut parsed = AssignmentBody {
        target: None,
        source: None,
        source_id: None,
    };
    for (key, raw) in parse_object(body)? {
        let value: Json = serde_json::from_str(raw.get())
            .map_err(|e| GraphError::bad_request(format!("Invalid JSON: {e}")))?;
        match key.as_str() {
            "target" => match parse_target(&value) {
                Ok(target) => parsed.target = Some(target),
                Err(problem) => problems.push(problem),
            },
            "source" => match value.as_str() {
                Some(member) if ASSIGNMENT_SOURCE.accepts(ApiVersion::Beta, member) => {
                    parsed.source = Some(member.to_owned())
                }
                _ => problems.push(ErrorDetail::invalid(
                    "source",
                    format!(
                        "The value of 'source' must be one of {}.",
                        ASSIGNMENT_SOURCE.members.join(", ")
                    ),
                )),
            },
            "sourceId" => match value {
                Json::Null => parsed.source_id = Some(None),
                Json::String(text) => match checked_text("property", "sourceId", TEXT, text) {
                    Ok(text) => parsed.source_id = Some(Some(text)),
                    Err(problem) => problems.push(problem),
                },
                _ => problems.push(ErrorDetail::invalid(
                    "sourceId",
                    "The value of 'sourceId' must be a string or null.".to_owned(),
                )),
            },
            TYPE_ANNOTATION if is_type(&value, ASSIGNMENT_TYPE) => {}
            TYPE_ANNOTATION => problems.push(ErrorDetail::invalid(
                TYPE_ANNOTATION,
                format!("The '@odata.type' of an assignment must be '#{ASSIGNMENT_TYPE}'."),
            )),
            // The id is `{profileId}_{groupId}_0`, whatever a client sends; annotations carry no data.
            "id" => {}
            key if key.contains('@') => {}
            key => problems.push(unknown_property(key, ASSIGNMENT_TYPE)),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(GraphError::invalid_fields(problems))
    }
}

/// Reads a create body: `target` (required), `source` (default `direct`), `sourceId`.
pub fn parse_new_assignment(body: &[u8]) -> Result<NewAssignment, GraphError> {
    let parsed = parse_assignment_body(body)?;
    let target = parsed.target.ok_or_else(|| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "target",
            "The property 'target' is required.".to_owned(),
        )])
    })?;
    Ok(NewAssignment {
        target,
        source: parsed.source.unwrap_or_else(|| DIRECT.to_owned()),
        source_id: parsed.source_id.flatten(),
    })
}

/// Reads an update body for `assignment`: what it sends changes. The target may change type but
/// not group (its group is part of the id, so another group is another assignment).
pub fn parse_assignment_update(
    body: &[u8],
    assignment: &ProfileAssignment,
) -> Result<ProfileAssignment, GraphError> {
    let parsed = parse_assignment_body(body)?;
    let target = parsed.target.unwrap_or(assignment.target);
    if assignment_id(assignment.profile, target) != assignment.id {
        return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "target",
            format!(
                "The target of the assignment '{}' names its group, which its id holds: a #{} of \
                 another group is another assignment (delete this one and create that one).",
                assignment.id,
                target.type_name()
            ),
        )]));
    }
    Ok(ProfileAssignment {
        target,
        source: parsed.source.unwrap_or_else(|| assignment.source.clone()),
        source_id: parsed
            .source_id
            .unwrap_or_else(|| assignment.source_id.clone()),
        ..assignment.clone()
    })
}

/// The most ids one `hasPayloadLinks` or `assign` body may name: a bound on what one request asks
/// the store to look up.
pub const MAX_ACTION_IDS: usize = 1000;

/// Reads the body of an action whose one parameter is a collection of ids (`{"payloadIds": [...]}`),
/// at most [`MAX_ACTION_IDS`] of them, each a string within the text limits.
pub fn parse_id_list(body: &[u8], parameter: &str) -> Result<Vec<String>, GraphError> {
    let mut ids = None;
    let mut problems = Vec::new();
    for (key, raw) in parse_object(body)? {
        if key == parameter {
            match serde_json::from_str::<Vec<String>>(raw.get()) {
                Ok(list) if list.len() > MAX_ACTION_IDS => problems.push(ErrorDetail::invalid(
                    parameter,
                    format!(
                        "'{parameter}' names {} ids; at most {MAX_ACTION_IDS} are taken at once.",
                        list.len()
                    ),
                )),
                Ok(list) => {
                    let mut checked = Vec::with_capacity(list.len());
                    for id in list {
                        match checked_text("value", parameter, TEXT, id) {
                            Ok(id) => checked.push(id),
                            Err(problem) => problems.push(problem),
                        }
                    }
                    ids = Some(checked);
                }
                Err(_) => problems.push(ErrorDetail::invalid(
                    parameter,
                    format!("The value of '{parameter}' must be an array of strings."),
                )),
            }
        } else if !key.contains('@') {
            problems.push(ErrorDetail::invalid(
                &key,
                format!("The action takes '{parameter}' alone, not '{key}'."),
            ));
        }
    }
    match ids {
        Some(ids) if problems.is_empty() => Ok(ids),
        None if problems.is_empty() => Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
            parameter,
            format!("The parameter '{parameter}' is required."),
        )])),
        _ => Err(GraphError::invalid_fields(problems)),
    }
}

pub const PAYLOAD_LINK_RESULT_TYPE: &str = "microsoft.graph.hasPayloadLinkResultItem";

/// One answer of `hasPayloadLinks`: whether the payload (a profile) is linked, and through what;
/// `error` is `""` when the check succeeded.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadLinkResult {
    pub payload_id: String,
    pub has_link: bool,
    pub error: String,
    pub sources: Vec<&'static str>,
}

/// The answer of `hasPayloadLinks`: `{"@odata.context", "value"}`.
#[derive(Serialize)]
pub struct PayloadLinkResults {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: Vec<PayloadLinkResult>,
}

pub(crate) fn unknown_property(key: &str, type_name: &str) -> ErrorDetail {
    ErrorDetail::invalid(
        key,
        format!("The property '{key}' does not exist on type '{type_name}'."),
    )
}

/// Whether an `@odata.type` value names `type_name` (the `#` is optional).
pub(crate) fn is_type(value: &Json, type_name: &str) -> bool {
    value
        .as_str()
        .is_some_and(|named| named.trim_start_matches('#') == type_name)
}

/// The assignment filter of a target (Graph's `deviceAndAppManagementAssignmentTarget` base type).
/// Intune does not apply assignment filters to Autopilot deployment profiles, so a target has
/// none: its id is null and its type `none`, which clients may send back as they read them.
pub const FILTER_ID: &str = "deviceAndAppManagementAssignmentFilterId";
pub const FILTER_TYPE: &str = "deviceAndAppManagementAssignmentFilterType";
pub const NO_FILTER: &str = "none";

/// A target's filter properties, accepted only when they name no filter.
fn check_no_filter(object: &serde_json::Map<String, Json>) -> Result<(), ErrorDetail> {
    let no_filter = |key: &str, none: &dyn Fn(&Json) -> bool| match object.get(key) {
        Some(value) if !none(value) => Err(ErrorDetail::invalid(
            &format!("target/{key}"),
            format!(
                "Assignment filters do not apply to Windows Autopilot deployment profiles:                  {key} must be null{}, not {value}.",
                if key == FILTER_TYPE { " or 'none'" } else { "" }
            ),
        )),
        _ => Ok(()),
    };
    no_filter(FILTER_ID, &|value| value.is_null())?;
    no_filter(FILTER_TYPE, &|value| {
        value.is_null() || value.as_str() == Some(NO_FILTER)
    })
}

/// A target: `@odata.type` names one of the three types; the two group types need a `groupId`.
fn parse_target(value: &Json) -> Result<AssignmentTarget, ErrorDetail> {
    let types = [
        AssignmentTarget::GROUP,
        AssignmentTarget::EXCLUSION_GROUP,
        AssignmentTarget::ALL_DEVICES,
    ];
    let invalid = |message: String| ErrorDetail::invalid("target", message);
    let object = value.as_object().ok_or_else(|| {
        invalid("The value of 'target' must be an object with an '@odata.type'.".to_owned())
    })?;
    let type_name = object
        .get(TYPE_ANNOTATION)
        .and_then(|named| types.into_iter().find(|t| is_type(named, t)))
        .ok_or_else(|| {
            let names: Vec<String> = types.iter().map(|t| format!("#{t}")).collect();
            invalid(format!(
                "The target's '@odata.type' must be one of {}.",
                names.join(", ")
            ))
        })?;
    if let Some(key) = object.keys().find(|key| {
        !["groupId", FILTER_ID, FILTER_TYPE].contains(&key.as_str()) && !key.contains('@')
    }) {
        return Err(unknown_property(&format!("target/{key}"), type_name));
    }
    check_no_filter(object)?;
    let group = match object.get("groupId") {
        None | Some(Json::Null) => None,
        Some(group) => Some(
            group
                .as_str()
                .and_then(|g| Uuid::parse_str(g).ok())
                .ok_or_else(|| {
                    ErrorDetail::invalid(
                        "target/groupId",
                        format!("The target's groupId must be a group's id (a GUID), not {group}."),
                    )
                })?,
        ),
    };
    AssignmentTarget::of(type_name, group).ok_or_else(|| match group {
        None => ErrorDetail::invalid(
            "target/groupId",
            format!("A #{type_name} needs the groupId of the group it targets."),
        ),
        Some(_) => ErrorDetail::invalid(
            "target/groupId",
            format!("A #{type_name} targets every device and has no groupId."),
        ),
    })
}

/// An assignment as JSON, with `@odata.context` when it is the whole answer.
pub struct AssignmentView<'a> {
    pub assignment: &'a ProfileAssignment,
    pub context: Option<&'a str>,
}

impl Serialize for AssignmentView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let assignment = self.assignment;
        let mut map = serializer.serialize_map(None)?;
        if let Some(context) = self.context {
            map.serialize_entry("@odata.context", context)?;
        }
        map.serialize_entry("id", &assignment.id)?;
        map.serialize_entry("target", &TargetView(assignment.target))?;
        map.serialize_entry("source", &assignment.source)?;
        map.serialize_entry("sourceId", &assignment.source_id)?;
        map.end()
    }
}

struct TargetView(AssignmentTarget);

impl Serialize for TargetView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(TYPE_ANNOTATION, &format!("#{}", self.0.type_name()))?;
        map.serialize_entry(FILTER_ID, &None::<&str>)?;
        map.serialize_entry(FILTER_TYPE, NO_FILTER)?;
        if let Some(group) = self.0.group() {
            map.serialize_entry("groupId", &group)?;
        }
        map.end()
    }
}

/// A profile's assignments: `{"@odata.context", "value"}`.
#[derive(Serialize)]
pub struct AssignmentPage<'a> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: Vec<AssignmentView<'a>>,
}

/// The assignments as the value of an expanded `assignments` navigation.
pub fn expanded_assignments(assignments: &[&ProfileAssignment]) -> Json {
    Json::Array(
        assignments
            .iter()
            .map(|assignment| {
                serde_json::to_value(AssignmentView {
                    assignment,
                    context: None,
                })
                .expect("an assignment is JSON")
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<NewAssignment, GraphError> {
        parse_new_assignment(body.as_bytes())
    }

    const GROUP: &str = "8b9fa7f4-9e2b-4a53-9a3f-6a2d6b0f1c11";

    #[test]
    fn the_three_targets_and_their_defaults() {
        let group = Uuid::parse_str(GROUP).unwrap();
        let new = parse(&format!(
            r##"{{"target":{{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"{GROUP}"}}}}"##
        ))
        .unwrap();
        assert_eq!(
            new,
            NewAssignment {
                target: AssignmentTarget::Group(group),
                source: "direct".to_owned(),
                source_id: None
            }
        );
        let excluded = parse(&format!(
            r##"{{"id":"x","source":"policySets","sourceId":"s","target":{{"@odata.type":"microsoft.graph.exclusionGroupAssignmentTarget","groupId":"{GROUP}"}}}}"##
        ))
        .unwrap();
        assert_eq!(excluded.target, AssignmentTarget::ExclusionGroup(group));
        assert_eq!(excluded.source, "policySets");
        assert_eq!(excluded.source_id.as_deref(), Some("s"));
        let all =
            parse(r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}"##)
                .unwrap();
        assert_eq!(all.target, AssignmentTarget::AllDevices);
        // The filter properties read back from an answer go back in as they were.
        let read_back = parse(&format!(
            r##"{{"target":{{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"{GROUP}","deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"none"}}}}"##
        ))
        .unwrap();
        assert_eq!(read_back.target, AssignmentTarget::Group(group));
    }

    #[test]
    fn bad_targets_name_what_is_wrong() {
        for (body, target) in [
            ("{}", "target"),
            (r##"{"target":{}}"##, "target"),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.configurationManagerCollectionAssignmentTarget"}}"##,
                "target",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget"}}"##,
                "target/groupId",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"kiosk"}}"##,
                "target/groupId",
            ),
            (
                &format!(
                    r##"{{"target":{{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","groupId":"{GROUP}"}}}}"##
                ),
                "target/groupId",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","collectionId":"x"}}"##,
                "target/collectionId",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"},"source":"inherited"}"##,
                "source",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"},"intent":"apply"}"##,
                "intent",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterId":"5d2b4b1e-0000-0000-0000-000000000000"}}"##,
                "target/deviceAndAppManagementAssignmentFilterId",
            ),
            (
                r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterType":"include"}}"##,
                "target/deviceAndAppManagementAssignmentFilterType",
            ),
        ] {
            let error = parse(body).unwrap_err();
            assert_eq!(error.details[0].target, target, "{body}: {}", error.message);
        }
    }

    #[test]
    fn every_answer_names_the_target_type() {
        let assignment = ProfileAssignment {
            id: "p_adadadad-808e-44e2-905a-0b7873a8a531_0".to_owned(),
            profile: Uuid::nil(),
            target: AssignmentTarget::AllDevices,
            source: "direct".to_owned(),
            source_id: None,
        };
        assert_eq!(
            expanded_assignments(&[&assignment]),
            serde_json::json!([{
                "id": "p_adadadad-808e-44e2-905a-0b7873a8a531_0",
                "target": {
                    "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                    "deviceAndAppManagementAssignmentFilterId": null,
                    "deviceAndAppManagementAssignmentFilterType": "none"
                },
                "source": "direct",
                "sourceId": null
            }])
        );
    }

    #[test]
    fn an_update_changes_what_it_sends_and_keeps_the_group_of_the_id() {
        let group = Uuid::parse_str(GROUP).unwrap();
        let profile = Uuid::from_u128(7);
        let assignment = ProfileAssignment {
            id: assignment_id(profile, AssignmentTarget::Group(group)),
            profile,
            target: AssignmentTarget::Group(group),
            source: DIRECT.to_owned(),
            source_id: Some("kept".to_owned()),
        };
        let update = |body: &str| parse_assignment_update(body.as_bytes(), &assignment);
        let excluded = update(&format!(
            r##"{{"target":{{"@odata.type":"#microsoft.graph.exclusionGroupAssignmentTarget","groupId":"{GROUP}"}},"source":"policySets"}}"##
        ))
        .unwrap();
        assert_eq!(excluded.target, AssignmentTarget::ExclusionGroup(group));
        assert_eq!(excluded.source, "policySets");
        assert_eq!(excluded.source_id.as_deref(), Some("kept"));
        assert_eq!(excluded.id, assignment.id);
        assert_eq!(update(r#"{"sourceId":null}"#).unwrap().source_id, None);
        assert_eq!(update("{}").unwrap(), assignment);
        for body in [
            r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}"##,
            r##"{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"00000000-0000-0000-0000-000000000001"}}"##,
        ] {
            let error = update(body).unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{body}");
            assert_eq!(error.details[0].target, "target", "{body}");
        }
    }

    #[test]
    fn id_lists_are_arrays_of_strings_within_bounds() {
        let read = |body: &str| parse_id_list(body.as_bytes(), "payloadIds");
        assert_eq!(
            read(r#"{"payloadIds":["a","b"],"@odata.type":"x"}"#).unwrap(),
            ["a", "b"]
        );
        assert_eq!(read(r#"{"payloadIds":[]}"#).unwrap(), Vec::<String>::new());
        let too_many = format!(r#"{{"payloadIds":{:?}}}"#, vec!["x"; MAX_ACTION_IDS + 1]);
        for (body, target) in [
            ("{}", "payloadIds"),
            (r#"{"payloadIds":"a"}"#, "payloadIds"),
            (r#"{"payloadIds":[1]}"#, "payloadIds"),
            (r#"{"payloadIds":null}"#, "payloadIds"),
            (r#"{"payloadIds":[],"deviceIds":[]}"#, "deviceIds"),
            (too_many.as_str(), "payloadIds"),
        ] {
            let error = read(body).unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{body}");
            assert_eq!(error.details[0].target, target, "{body}");
        }
        let long = format!(r#"{{"payloadIds":["{}"]}}"#, "x".repeat(2000));
        assert_eq!(read(&long).unwrap_err().status.as_u16(), 400);
    }
}
