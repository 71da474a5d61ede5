//! Assignment filters on the wire: the checks a filter's body must pass beyond its properties'
//! types (its rule against its platform's grammar, its management type the platform's), and the
//! bodies of `validateFilter`, `getSupportedProperties`, `getPlatformSupportedProperties`,
//! `enable` and `getState`.

use serde::Serialize;

use crate::domain::ApiVersion;
use crate::domain::assignment_filter::{
    ASSIGNMENT_FILTERS, GET_PLATFORM_SUPPORTED_PROPERTIES, PLATFORM as PLATFORM_TYPE,
    PLATFORM_PARAMETER, management_type_of,
};
use crate::domain::entity::{Entity, PropertyValue, Value};
use crate::domain::filter_rule::{self, FilterProperty};
use crate::graph::entity::{parse_entity_body, parse_object};
use crate::graph::error::{ErrorDetail, GraphError};
use crate::graph::paths::function_parameters;

const PLATFORM: &str = "platform";
const RULE: &str = "rule";
const MANAGEMENT_TYPE: &str = "assignmentFilterManagementType";

/// The parameter of `validateFilter` that holds the filter.
pub const VALIDATE_PARAMETER: &str = "deviceAndAppManagementAssignmentFilter";

/// The text a body sets `name` to, else the stored entity's.
fn effective<'a>(
    name: &str,
    assignments: &'a [PropertyValue],
    stored: Option<&'a Entity>,
) -> Option<&'a str> {
    let property = ASSIGNMENT_FILTERS.property(name)?;
    let value = assignments
        .iter()
        .find(|a| std::ptr::eq(a.property, property))
        .map(|a| &a.value)
        .or_else(|| stored.map(|entity| entity.get(property)))?;
    match value {
        Value::Text(text) => Some(text),
        _ => None,
    }
}

/// A filter's assignments (a create's when `stored` is none, else a PATCH's of `stored`) checked:
/// the rule keeps to the grammar of the platform it will have, and the management type is that
/// platform's (set to it when the body does not say).
pub fn checked_filter(
    mut assignments: Vec<PropertyValue>,
    stored: Option<&Entity>,
) -> Result<Vec<PropertyValue>, GraphError> {
    let (Some(platform), Some(rule)) = (
        effective(PLATFORM, &assignments, stored),
        effective(RULE, &assignments, stored),
    ) else {
        // A create without them was refused as missing required properties already.
        return Ok(assignments);
    };
    let mut problems = Vec::new();
    if let Err(error) = filter_rule::check(rule, platform) {
        problems.push(ErrorDetail::invalid(RULE, error.to_string()));
    }
    let expected = management_type_of(platform);
    let management = ASSIGNMENT_FILTERS
        .property(MANAGEMENT_TYPE)
        .expect("filters have a management type");
    match assignments
        .iter()
        .find(|a| std::ptr::eq(a.property, management))
    {
        Some(PropertyValue {
            value: Value::Text(given),
            ..
        }) if given != expected => problems.push(ErrorDetail::invalid(
            MANAGEMENT_TYPE,
            format!(
                "Filters of platform '{platform}' have {MANAGEMENT_TYPE} '{expected}', not \
                 '{given}'."
            ),
        )),
        Some(_) => {}
        None => assignments.push(PropertyValue {
            property: management,
            value: Value::Text(expected.to_owned()),
        }),
    }
    if problems.is_empty() {
        Ok(assignments)
    } else {
        Err(GraphError::invalid_fields(problems))
    }
}

/// A row of a state document's `assignment_filters` (columns as keys) checked as a create through
/// Graph checks it: its rule against its platform's grammar, its management type the platform's.
pub fn check_state_row(row: &serde_json::Value) -> Result<(), GraphError> {
    let column = |name: &str| {
        ASSIGNMENT_FILTERS
            .property(name)
            .and_then(|property| row.get(property.column))
            .and_then(serde_json::Value::as_str)
    };
    let Some(platform) = column(PLATFORM) else {
        // No platform: the table's NOT NULL refuses the row.
        return Ok(());
    };
    if let Some(rule) = column(RULE) {
        filter_rule::check(rule, platform)
            .map_err(|error| GraphError::bad_request(format!("rule: {error}")))?;
    }
    let expected = management_type_of(platform);
    // The column's default is `devices`.
    let stored = column(MANAGEMENT_TYPE).unwrap_or("devices");
    if stored != expected {
        return Err(GraphError::bad_request(format!(
            "assignment_filter_management_type: filters of platform '{platform}' have \
             '{expected}', not '{stored}'."
        )));
    }
    Ok(())
}

/// Graph's `assignmentFilterValidationResult`.
#[derive(Debug, Serialize)]
pub struct ValidationResult {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(rename = "isValidRule")]
    pub is_valid_rule: bool,
}

/// Whether the rule of the filter in a `validateFilter` body keeps to its platform's grammar. A
/// body that is no such filter (not JSON, unknown properties, no platform or rule) is a 400; a
/// rule that does not keep to the grammar is an answer, `false`.
pub fn validate_filter(body: &[u8], version: ApiVersion) -> Result<bool, GraphError> {
    let members = parse_object(body)?;
    let mut filter = None;
    for (key, raw) in &members {
        if key == VALIDATE_PARAMETER {
            filter = Some(raw);
        } else if !key.contains('@') {
            return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                key,
                format!(
                    "The parameter '{key}' is not a parameter of validateFilter, whose one \
                     parameter is '{VALIDATE_PARAMETER}'."
                ),
            )]));
        }
    }
    let missing = || {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            VALIDATE_PARAMETER,
            format!(
                "validateFilter needs '{VALIDATE_PARAMETER}', a filter with its '{PLATFORM}' \
                 and '{RULE}'."
            ),
        )])
    };
    let filter = filter.ok_or_else(missing)?;
    let assignments = parse_entity_body(&ASSIGNMENT_FILTERS, filter.get().as_bytes(), version)?;
    match (
        effective(PLATFORM, &assignments, None),
        effective(RULE, &assignments, None),
    ) {
        (Some(platform), Some(rule)) => Ok(filter_rule::check(rule, platform).is_ok()),
        _ => Err(missing()),
    }
}

/// Graph's `assignmentFilterSupportedProperty`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedProperty {
    pub data_type: &'static str,
    pub is_collection: bool,
    pub name: &'static str,
    pub property_regex_constraint: Option<&'static str>,
    pub supported_operators: Vec<&'static str>,
    pub supported_values: Vec<&'static str>,
}

impl From<&FilterProperty> for SupportedProperty {
    fn from(property: &FilterProperty) -> Self {
        SupportedProperty {
            data_type: property.data_type.name(),
            is_collection: false,
            name: property.name,
            property_regex_constraint: None,
            supported_operators: property.operators.iter().map(|o| o.member()).collect(),
            supported_values: property.values.to_vec(),
        }
    }
}

/// The answer of `getSupportedProperties`: the properties a rule of the filter's platform tests.
#[derive(Debug, Serialize)]
pub struct SupportedProperties {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub value: Vec<SupportedProperty>,
}

/// The properties a rule for the filter `entity` may test.
pub fn supported_properties(entity: &Entity) -> Vec<SupportedProperty> {
    let platform = effective(PLATFORM, &[], Some(entity)).unwrap_or_default();
    filter_rule::properties_of(platform)
        .map(SupportedProperty::from)
        .collect()
}

/// The properties a rule for filters of the platform named in `getPlatformSupportedProperties`'
/// parameters (the text inside its parentheses) may test. Any parameter but `platform`, or a
/// platform that is no `devicePlatformType`, is a 400 naming it.
pub fn platform_supported_properties(
    parameters: &str,
    version: ApiVersion,
) -> Result<Vec<SupportedProperty>, GraphError> {
    let invalid = |message: String| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(PLATFORM_PARAMETER, message)])
    };
    let parameters = function_parameters(parameters).map_err(invalid)?;
    let [(name, platform)] = parameters.as_slice() else {
        return Err(invalid(format!(
            "{GET_PLATFORM_SUPPORTED_PROPERTIES} takes one parameter, '{PLATFORM_PARAMETER}'."
        )));
    };
    if !name.eq_ignore_ascii_case(PLATFORM_PARAMETER) {
        return Err(invalid(format!(
            "'{name}' is not a parameter of {GET_PLATFORM_SUPPORTED_PROPERTIES}, whose one \
             parameter is '{PLATFORM_PARAMETER}'."
        )));
    }
    let member = PLATFORM_TYPE
        .members_on(version)
        .find(|member| member.eq_ignore_ascii_case(platform))
        .ok_or_else(|| {
            let members: Vec<&str> = PLATFORM_TYPE.members_on(version).collect();
            invalid(format!(
                "'{platform}' is not a {}; the platforms are {}.",
                PLATFORM_TYPE.name,
                members.join(", ")
            ))
        })?;
    Ok(filter_rule::properties_of(member)
        .map(SupportedProperty::from)
        .collect())
}

/// The parameter of `enable`.
pub const ENABLE_PARAMETER: &str = "enable";

/// Whether an `enable` body turns the tenant's filters on or off. A body without the parameter,
/// with another, or with a value that is not a boolean is a 400.
pub fn enable_parameter(body: &[u8]) -> Result<bool, GraphError> {
    let invalid = |target: &str, message: String| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(target, message)])
    };
    let mut enable = None;
    for (key, raw) in &parse_object(body)? {
        if key == ENABLE_PARAMETER {
            let value = serde_json::from_str::<bool>(raw.get()).map_err(|_| {
                invalid(
                    ENABLE_PARAMETER,
                    format!("'{ENABLE_PARAMETER}' must be true or false."),
                )
            })?;
            enable = Some(value);
        } else if !key.contains('@') {
            return Err(invalid(
                key,
                format!(
                    "The parameter '{key}' is not a parameter of enable, whose one parameter is \
                     '{ENABLE_PARAMETER}'."
                ),
            ));
        }
    }
    enable.ok_or_else(|| {
        invalid(
            ENABLE_PARAMETER,
            format!("enable needs '{ENABLE_PARAMETER}', true or false."),
        )
    })
}

/// Graph's `assignmentFilterState`, the answer of `getState`.
#[derive(Debug, Serialize)]
pub struct FilterState {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::entity::parse_new_entity;

    fn created(body: &str) -> Result<Vec<PropertyValue>, GraphError> {
        let assignments = parse_new_entity(&ASSIGNMENT_FILTERS, body.as_bytes(), ApiVersion::Beta)?;
        checked_filter(assignments, None)
    }

    fn management(assignments: &[PropertyValue]) -> &Value {
        &assignments
            .iter()
            .find(|a| a.property.name == MANAGEMENT_TYPE)
            .unwrap()
            .value
    }

    #[test]
    fn the_management_type_follows_the_platform() {
        let windows = created(
            r#"{"displayName":"w","platform":"windows10AndLater","rule":"(device.model -eq \"x\")"}"#,
        )
        .unwrap();
        assert_eq!(management(&windows), &Value::Text("devices".to_owned()));
        let apps = created(
            r#"{"displayName":"a","platform":"iOSMobileApplicationManagement",
                "rule":"(app.appVersion -eq \"1.0\")"}"#,
        )
        .unwrap();
        assert_eq!(management(&apps), &Value::Text("apps".to_owned()));
        let error = created(
            r#"{"displayName":"a","platform":"iOS","rule":"(device.model -eq \"x\")",
                "assignmentFilterManagementType":"apps"}"#,
        )
        .unwrap_err();
        assert_eq!(error.details[0].target, MANAGEMENT_TYPE);
    }

    #[test]
    fn a_rule_that_breaks_the_grammar_is_a_400_on_rule_naming_the_part() {
        let error = created(
            r#"{"displayName":"w","platform":"windows10AndLater","rule":"(device.colour -eq \"x\")"}"#,
        )
        .unwrap_err();
        assert_eq!(error.details[0].target, RULE);
        assert!(
            error.message.contains("'device.colour'"),
            "{}",
            error.message
        );
    }

    #[test]
    fn validate_filter_answers_for_the_rule_and_refuses_what_is_no_filter() {
        let body = |rule: &str| {
            format!(
                r##"{{"{VALIDATE_PARAMETER}":{{"@odata.type":"#microsoft.graph.deviceAndAppManagementAssignmentFilter",
                    "platform":"windows10AndLater","rule":{}}}}}"##,
                serde_json::to_string(rule).unwrap()
            )
        };
        let valid = |rule: &str| validate_filter(body(rule).as_bytes(), ApiVersion::Beta);
        assert!(valid(r#"(device.manufacturer -eq "Microsoft")"#).unwrap());
        assert!(!valid(r#"(device.manufacturer -equals "Microsoft")"#).unwrap());
        for bad in [
            "{}",
            r#"{"filter":{}}"#,
            r#"{"deviceAndAppManagementAssignmentFilter":{"rule":"x"}}"#,
            r#"{"deviceAndAppManagementAssignmentFilter":{"platform":"iOS","colour":1}}"#,
        ] {
            assert!(
                validate_filter(bad.as_bytes(), ApiVersion::Beta).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn platform_supported_properties_take_one_platform_in_any_case() {
        let names = |parameters: &str| {
            platform_supported_properties(parameters, ApiVersion::Beta)
                .map(|properties| properties.iter().map(|p| p.name).collect::<Vec<_>>())
        };
        let windows = names("platform='windows10AndLater'").unwrap();
        assert!(windows.contains(&"device.deviceTrustType"), "{windows:?}");
        assert_eq!(
            names("PLATFORM='IOS'").unwrap(),
            names("platform='iOS'").unwrap()
        );
        assert!(names("platform='windows81AndLater'").unwrap().is_empty());
        for bad in [
            "platform='colour'",
            "os='iOS'",
            "platform='iOS',os='x'",
            "platform='iOS",
        ] {
            let error = names(bad).unwrap_err();
            assert_eq!(error.details[0].target, PLATFORM_PARAMETER, "{bad}");
        }
    }

    #[test]
    fn enable_takes_one_boolean() {
        assert!(enable_parameter(br#"{"enable":true}"#).unwrap());
        assert!(!enable_parameter(br#"{"enable":false}"#).unwrap());
        for bad in [
            &br#"{}"#[..],
            br#"{"enable":"yes"}"#,
            br#"{"enable":true,"state":1}"#,
            b"[true]",
        ] {
            assert!(
                enable_parameter(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
