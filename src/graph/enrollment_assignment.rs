//! The wire side of enrollment configuration assignments: the bodies of a create, of `assign` and
//! of `setPriority`, and the JSON of an assignment with its target and assignment filter.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::domain::ApiVersion;
use crate::domain::enrollment_configuration::{
    EnrollmentAssignment, EnrollmentTarget, FILTER_TYPE, NewEnrollmentAssignment, TargetFilter,
    enrollment_assignment_id,
};
use crate::domain::entity::{TEXT, TYPE_ANNOTATION};
use crate::domain::profile_assignment::{ASSIGNMENT_SOURCE, DIRECT};
use crate::graph::entity::{checked_text, parse_object};
use crate::graph::error::{ErrorDetail, GraphError};
use crate::graph::profile_assignment::{FILTER_ID, FILTER_TYPE as FILTER_TYPE_NAME, NO_FILTER};
use crate::graph::profile_assignment::{is_type, unknown_property};

pub const ENROLLMENT_ASSIGNMENT_TYPE: &str = "microsoft.graph.enrollmentConfigurationAssignment";
/// The parameter of `assign`.
pub const ASSIGN_PARAMETER: &str = "enrollmentConfigurationAssignments";
/// The most assignments one `assign` takes: far more targets than a configuration has in
/// practice, and a bound on the statements one request runs.
pub const MAX_ASSIGN: usize = 200;

fn json(raw: &serde_json::value::RawValue) -> Result<Json, GraphError> {
    serde_json::from_str(raw.get())
        .map_err(|e| GraphError::bad_request(format!("Invalid JSON: {e}")))
}

/// Reads a create body: `target` (required), `source` (default `direct`) and `sourceId`; `id` is
/// the server's and ignored.
pub fn parse_new_enrollment_assignment(body: &[u8]) -> Result<NewEnrollmentAssignment, GraphError> {
    let mut object = Map::new();
    for (key, raw) in parse_object(body)? {
        object.insert(key, json(&raw)?);
    }
    assignment_of(&object, "", ENROLLMENT_ASSIGNMENT_TYPE).map_err(GraphError::invalid_fields)
}

/// Reads a PATCH body against the stored assignment: what the body leaves out keeps its value,
/// and the target stays within its group, as the id holds the group (an include may become an
/// exclusion, and its filter may change).
pub fn parse_enrollment_assignment_update(
    body: &[u8],
    stored: &EnrollmentAssignment,
) -> Result<EnrollmentAssignment, GraphError> {
    let mut object = Map::new();
    for (key, raw) in parse_object(body)? {
        object.insert(key, json(&raw)?);
    }
    // The stored values stand in for those the body leaves out, so one parser checks both.
    let unchanged = serde_json::to_value(EnrollmentAssignmentView {
        assignment: stored,
        version: ApiVersion::Beta,
        context: None,
    })
    .map_err(|_| GraphError::internal())?;
    for name in ["target", "source", "sourceId"] {
        if !object.contains_key(name) {
            object.insert(name.to_owned(), unchanged[name].clone());
        }
    }
    let changed = assignment_of(&object, "", ENROLLMENT_ASSIGNMENT_TYPE)
        .map_err(GraphError::invalid_fields)?;
    if enrollment_assignment_id(stored.configuration, changed.target) != stored.id {
        return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "target",
            format!(
                "The target of the assignment '{}' names its group, which its id holds: a #{} of \
                 another group is another assignment (delete this one and create that one).",
                stored.id,
                changed.target.type_name()
            ),
        )]));
    }
    Ok(EnrollmentAssignment {
        id: stored.id.clone(),
        configuration: stored.configuration,
        target: changed.target,
        filter: changed.filter,
        source: changed.source,
        source_id: changed.source_id,
    })
}

/// Reads `assign`'s body: `enrollmentConfigurationAssignments`, a list of assignments.
pub fn parse_assign(body: &[u8]) -> Result<Vec<NewEnrollmentAssignment>, GraphError> {
    parse_assign_of(body, ASSIGN_PARAMETER, ENROLLMENT_ASSIGNMENT_TYPE)
}

/// Reads the body of an `assign` whose one parameter, `parameter`, lists assignments of the type
/// `assignment_type` (each a target, a source and a source id): at most [`MAX_ASSIGN`], every
/// problem named by its place.
pub fn parse_assign_of(
    body: &[u8],
    parameter: &str,
    assignment_type: &str,
) -> Result<Vec<NewEnrollmentAssignment>, GraphError> {
    let mut assignments = None;
    for (key, raw) in parse_object(body)? {
        match key.as_str() {
            key if key == parameter => assignments = Some(json(&raw)?),
            key if key.contains('@') => {}
            key => {
                return Err(GraphError::bad_request(format!(
                    "The parameter '{key}' is not in the parameter list of the action 'assign'."
                )));
            }
        }
    }
    let list = match assignments {
        Some(Json::Array(list)) => list,
        Some(Json::Null) | None => Vec::new(),
        Some(_) => {
            return Err(GraphError::bad_request(format!(
                "The parameter '{parameter}' must be an array of assignments."
            )));
        }
    };
    if list.len() > MAX_ASSIGN {
        return Err(GraphError::bad_request(format!(
            "'{parameter}' has {} assignments; one request takes at most {MAX_ASSIGN}.",
            list.len()
        )));
    }
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = format!("{parameter}/{i}/");
        match item.as_object() {
            Some(object) => match assignment_of(object, &at, assignment_type) {
                Ok(assignment) => parsed.push(assignment),
                Err(details) => problems.extend(details),
            },
            None => problems.push(ErrorDetail::invalid(
                &at,
                "An assignment must be a JSON object.".to_owned(),
            )),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(GraphError::invalid_fields(problems))
    }
}

/// Reads `setPriority`'s body: `priority`, an Int32.
pub fn parse_set_priority(body: &[u8]) -> Result<i32, GraphError> {
    let mut priority = None;
    for (key, raw) in parse_object(body)? {
        match key.as_str() {
            "priority" => priority = json(&raw)?.as_i64().and_then(|p| i32::try_from(p).ok()),
            key if key.contains('@') => {}
            key => {
                return Err(GraphError::bad_request(format!(
                    "The parameter '{key}' is not in the parameter list of the action \
                     'setPriority'."
                )));
            }
        }
    }
    priority.ok_or_else(|| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "priority",
            "The parameter 'priority' is required, an Int32.".to_owned(),
        )])
    })
}

/// One assignment of the type `assignment_type` from its JSON object; problems name their place
/// after `at`.
fn assignment_of(
    object: &Map<String, Json>,
    at: &str,
    assignment_type: &str,
) -> Result<NewEnrollmentAssignment, Vec<ErrorDetail>> {
    let mut problems = Vec::new();
    let mut target = None;
    let mut source = DIRECT.to_owned();
    let mut source_id = None;
    for (key, value) in object {
        let name = format!("{at}{key}");
        match key.as_str() {
            "target" => match parse_target(value, &name) {
                Ok(parsed) => target = Some(parsed),
                Err(problem) => problems.push(problem),
            },
            "source" => match value.as_str() {
                Some(member) if ASSIGNMENT_SOURCE.accepts(ApiVersion::Beta, member) => {
                    source = member.to_owned()
                }
                _ => problems.push(ErrorDetail::invalid(
                    &name,
                    format!(
                        "The value of 'source' must be one of {}.",
                        ASSIGNMENT_SOURCE.members.join(", ")
                    ),
                )),
            },
            "sourceId" => match value {
                Json::Null => source_id = None,
                Json::String(text) => match checked_text("property", &name, TEXT, text.clone()) {
                    Ok(text) => source_id = Some(text),
                    Err(problem) => problems.push(problem),
                },
                _ => problems.push(ErrorDetail::invalid(
                    &name,
                    "The value of 'sourceId' must be a string or null.".to_owned(),
                )),
            },
            TYPE_ANNOTATION if is_type(value, assignment_type) => {}
            TYPE_ANNOTATION => problems.push(ErrorDetail::invalid(
                &name,
                format!("The '@odata.type' of an assignment must be '#{assignment_type}'."),
            )),
            "id" => {}
            key if key.contains('@') => {}
            _ => problems.push(unknown_property(&name, assignment_type)),
        }
    }
    match target {
        Some((target, filter)) if problems.is_empty() => Ok(NewEnrollmentAssignment {
            target,
            filter,
            source,
            source_id,
        }),
        None if problems.is_empty() => Err(vec![ErrorDetail::invalid(
            &format!("{at}target"),
            "The property 'target' is required.".to_owned(),
        )]),
        _ => Err(problems),
    }
}

/// A target: `@odata.type` names one of the four types, the two group types need a `groupId`,
/// and the assignment filter is a GUID with `include` or `exclude`, or none.
fn parse_target(value: &Json, at: &str) -> Result<(EnrollmentTarget, TargetFilter), ErrorDetail> {
    let invalid = |name: &str, message: String| ErrorDetail::invalid(name, message);
    let object = value.as_object().ok_or_else(|| {
        invalid(
            at,
            "The value of 'target' must be an object with an '@odata.type'.".to_owned(),
        )
    })?;
    let type_name = object
        .get(TYPE_ANNOTATION)
        .and_then(|named| {
            EnrollmentTarget::TYPES
                .into_iter()
                .find(|t| is_type(named, t))
        })
        .ok_or_else(|| {
            let names: Vec<String> = EnrollmentTarget::TYPES
                .iter()
                .map(|t| format!("#{t}"))
                .collect();
            invalid(
                at,
                format!(
                    "The target's '@odata.type' must be one of {}.",
                    names.join(", ")
                ),
            )
        })?;
    if let Some(key) = object.keys().find(|key| {
        !["groupId", FILTER_ID, FILTER_TYPE_NAME].contains(&key.as_str()) && !key.contains('@')
    }) {
        return Err(unknown_property(&format!("{at}/{key}"), type_name));
    }
    let guid = |key: &str, what: &str| -> Result<Option<Uuid>, ErrorDetail> {
        match object.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(value) => value
                .as_str()
                .and_then(|text| Uuid::parse_str(text).ok())
                .map(Some)
                .ok_or_else(|| {
                    invalid(
                        &format!("{at}/{key}"),
                        format!("The target's {key} must be {what} (a GUID), not {value}."),
                    )
                }),
        }
    };
    let group = guid("groupId", "a group's id")?;
    let filter_id = guid(FILTER_ID, "an assignment filter's id")?;
    let filter_type = match object.get(FILTER_TYPE_NAME) {
        None | Some(Json::Null) => NO_FILTER,
        Some(value) => value
            .as_str()
            .filter(|member| FILTER_TYPE.accepts(ApiVersion::Beta, member))
            .ok_or_else(|| {
                invalid(
                    &format!("{at}/{FILTER_TYPE_NAME}"),
                    format!(
                        "The target's {FILTER_TYPE_NAME} must be one of {}, not {value}.",
                        FILTER_TYPE.members.join(", ")
                    ),
                )
            })?,
    };
    if filter_type != NO_FILTER && filter_id.is_none() {
        return Err(invalid(
            &format!("{at}/{FILTER_ID}"),
            format!("A filter type of '{filter_type}' needs the {FILTER_ID} of the filter."),
        ));
    }
    let target = EnrollmentTarget::of(type_name, group).ok_or_else(|| match group {
        None => invalid(
            &format!("{at}/groupId"),
            format!("A #{type_name} needs the groupId of the group it targets."),
        ),
        Some(_) => invalid(
            &format!("{at}/groupId"),
            format!("A #{type_name} targets no one group and has no groupId."),
        ),
    })?;
    Ok((
        target,
        TargetFilter {
            id: filter_id,
            filter_type: filter_type.to_owned(),
        },
    ))
}

/// An assignment as JSON, with `@odata.context` when it is the whole answer; `source` and
/// `sourceId` are beta's.
pub struct EnrollmentAssignmentView<'a> {
    pub assignment: &'a EnrollmentAssignment,
    pub version: ApiVersion,
    pub context: Option<&'a str>,
}

impl Serialize for EnrollmentAssignmentView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let assignment = self.assignment;
        let mut map = serializer.serialize_map(None)?;
        if let Some(context) = self.context {
            map.serialize_entry("@odata.context", context)?;
        }
        map.serialize_entry("id", &assignment.id)?;
        map.serialize_entry("target", &TargetView(assignment))?;
        if self.version == ApiVersion::Beta {
            map.serialize_entry("source", &assignment.source)?;
            map.serialize_entry("sourceId", &assignment.source_id)?;
        }
        map.end()
    }
}

struct TargetView<'a>(&'a EnrollmentAssignment);

impl Serialize for TargetView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(TYPE_ANNOTATION, &format!("#{}", self.0.target.type_name()))?;
        map.serialize_entry(FILTER_ID, &self.0.filter.id)?;
        map.serialize_entry(FILTER_TYPE_NAME, &self.0.filter.filter_type)?;
        if let Some(group) = self.0.target.group() {
            map.serialize_entry("groupId", &group)?;
        }
        map.end()
    }
}

/// A configuration's assignments: `{"@odata.context", "value"}`.
#[derive(Serialize)]
pub struct EnrollmentAssignmentPage<'a> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: Vec<EnrollmentAssignmentView<'a>>,
}

/// The assignments as the value of an expanded `assignments` navigation.
pub fn expanded_enrollment_assignments(
    assignments: &[&EnrollmentAssignment],
    version: ApiVersion,
) -> Json {
    Json::Array(
        assignments
            .iter()
            .map(|assignment| {
                serde_json::to_value(EnrollmentAssignmentView {
                    assignment,
                    version,
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

    #[test]
    fn targets_take_a_filter_id_and_type_checked_for_form() {
        let group = Uuid::from_u128(7);
        let filter = Uuid::from_u128(8);
        let body = format!(
            r##"{{"target":{{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"{group}",
            "deviceAndAppManagementAssignmentFilterId":"{filter}",
            "deviceAndAppManagementAssignmentFilterType":"include"}}}}"##
        );
        let parsed = parse_new_enrollment_assignment(body.as_bytes()).unwrap();
        assert_eq!(parsed.target, EnrollmentTarget::Group(group));
        assert_eq!(parsed.filter.id, Some(filter));
        assert_eq!(parsed.filter.filter_type, "include");
        for bad in [
            r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterId":"nope"}}"##,
            r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterType":"sometimes"}}"##,
            r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterType":"exclude"}}"##,
            r##"{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget"}}"##,
            r##"{"target":{"@odata.type":"#microsoft.graph.allLicensedUsersAssignmentTarget","groupId":"00000000-0000-0000-0000-000000000001"}}"##,
            r##"{}"##,
        ] {
            assert!(
                parse_new_enrollment_assignment(bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_update_keeps_what_it_leaves_out_and_the_group_its_id_holds() {
        let (configuration, group) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let target = EnrollmentTarget::Group(group);
        let stored = EnrollmentAssignment {
            id: enrollment_assignment_id(configuration, target),
            configuration,
            target,
            filter: TargetFilter {
                id: Some(Uuid::from_u128(3)),
                filter_type: "include".to_owned(),
            },
            source: DIRECT.to_owned(),
            source_id: Some("kept".to_owned()),
        };
        let changed =
            parse_enrollment_assignment_update(br#"{"source":"policySets"}"#, &stored).unwrap();
        assert_eq!(changed.source, "policySets");
        assert_eq!((changed.target, &changed.filter), (target, &stored.filter));
        assert_eq!(changed.source_id.as_deref(), Some("kept"));
        let excluded = format!(
            r##"{{"target":{{"@odata.type":"#microsoft.graph.exclusionGroupAssignmentTarget","groupId":"{group}"}}}}"##
        );
        let changed = parse_enrollment_assignment_update(excluded.as_bytes(), &stored).unwrap();
        assert_eq!(changed.target, EnrollmentTarget::ExclusionGroup(group));
        assert_eq!(
            changed.filter.filter_type, "none",
            "the target sent, filter and all"
        );
        assert_eq!(changed.id, stored.id);
        for bad in [
            r##"{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}"##,
            r##"{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"00000000-0000-0000-0000-000000000009"}}"##,
            r##"{"sourceId":7}"##,
            r##"{"intent":"apply"}"##,
        ] {
            assert!(
                parse_enrollment_assignment_update(bad.as_bytes(), &stored).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn assign_is_bounded_and_names_the_bad_item() {
        let item =
            r##"{"target":{"@odata.type":"#microsoft.graph.allLicensedUsersAssignmentTarget"}}"##;
        let many = format!(
            r#"{{"enrollmentConfigurationAssignments":[{}]}}"#,
            vec![item; MAX_ASSIGN + 1].join(",")
        );
        assert!(parse_assign(many.as_bytes()).is_err());
        let bad = format!(r#"{{"enrollmentConfigurationAssignments":[{item},{{"target":1}}]}}"#);
        let error = format!("{:?}", parse_assign(bad.as_bytes()).unwrap_err());
        assert!(
            error.contains("enrollmentConfigurationAssignments/1/target"),
            "{error}"
        );
        assert_eq!(
            parse_assign(br#"{"enrollmentConfigurationAssignments":[]}"#).unwrap(),
            vec![]
        );
    }

    #[test]
    fn set_priority_takes_an_int32() {
        assert_eq!(parse_set_priority(br#"{"priority":3}"#).unwrap(), 3);
        assert!(parse_set_priority(br#"{"priority":"3"}"#).is_err());
        assert!(parse_set_priority(br#"{"priority":4294967296}"#).is_err());
        assert!(parse_set_priority(br#"{}"#).is_err());
    }
}
