//! `microsoft.graph.windowsAutopilotDeviceIdentity` as it travels: the request body a client writes,
//! its validation against spec section 2, and the JSON the service answers with.

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, SubsecRound, Timelike, Utc};
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use validator::{Validate, ValidateLength, ValidationErrors};

use crate::device::{ApiVersion, Device, EnumType, Kind, Property, Value, property};
use crate::graph::error::{ErrorDetail, GraphError};

pub const ENTITY_TYPE: &str = "microsoft.graph.windowsAutopilotDeviceIdentity";

/// The longest string property accepted, in characters.
pub const MAX_STRING_CHARS: u64 = 1024;

/// A property in a request body: left out, sent as `null`, or sent with a value. Graph treats the
/// first two differently on update, so the distinction is kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(f(v)),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Field::Null, Field::Value))
    }
}

/// validator reports the rejected value among an error's parameters.
impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Value(v) => v.serialize(serializer),
            Field::Absent | Field::Null => serializer.serialize_none(),
        }
    }
}

impl ValidateLength<u64> for Field<String> {
    fn length(&self) -> Option<u64> {
        match self {
            Field::Value(s) => Some(s.chars().count() as u64),
            Field::Absent | Field::Null => None,
        }
    }
}

/// An `Edm.DateTimeOffset` as Graph accepts it: ISO-8601 with an explicit offset and at most seven
/// fractional digits (.NET's tick precision), naming an instant within .NET's range: years 0001 to
/// 9999 in UTC. Kept to the microsecond, as PostgreSQL stores it, so that what a create answers is
/// what a later read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphDateTime(pub DateTime<Utc>);

/// The years of `DateTimeOffset.MinValue` and `MaxValue`, in UTC. Outside them the output would be
/// no ISO-8601 date-time (`-0001-12-31T23:00:00Z`, `+10000-01-01T00:00:00Z`) and .NET clients could
/// not read it back.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

impl GraphDateTime {
    pub fn parse(text: &str) -> Result<Self, String> {
        let problem = || {
            format!(
                "'{text}' is not a valid Edm.DateTimeOffset: use ISO-8601 with an offset, \
                 such as 2024-01-02T03:04:05Z or 2024-01-02T03:04:05.1234567+01:00"
            )
        };
        let fraction_digits = text.split_once('.').map_or(0, |(_, rest)| {
            rest.bytes().take_while(u8::is_ascii_digit).count()
        });
        if fraction_digits > 7 || !text.contains(['T', 't']) {
            return Err(problem());
        }
        let utc = DateTime::<FixedOffset>::parse_from_rfc3339(text)
            .map_err(|_| problem())?
            .with_timezone(&Utc)
            .trunc_subsecs(6);
        if !YEARS.contains(&utc.year()) {
            return Err(format!(
                "'{text}' is outside the range of Edm.DateTimeOffset: in UTC it must fall between \
                 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.9999999Z"
            ));
        }
        Ok(GraphDateTime(utc))
    }
}

impl<'de> Deserialize<'de> for GraphDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        GraphDateTime::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for GraphDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_datetime(&self.0))
    }
}

/// UTC with `Z`, as the real service writes it; the fraction only when there is one.
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    let format = if t.nanosecond() == 0 {
        SecondsFormat::Secs
    } else if t.nanosecond().is_multiple_of(1_000_000) {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(format, true)
}

/// The writable properties of a device, as a request body carries them. Beta-only properties are
/// refused on v1.0 before this is read (see [`parse_device_body`]).
#[derive(Debug, Default, Deserialize, Validate)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceIdentityWrite {
    #[validate(length(max = MAX_STRING_CHARS))]
    pub addressable_user_name: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub azure_active_directory_device_id: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub display_name: Field<String>,
    pub enrollment_state: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub group_tag: Field<String>,
    pub last_contacted_date_time: Field<GraphDateTime>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub managed_device_id: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub manufacturer: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub model: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub product_key: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub purchase_order_identifier: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub resource_name: Field<String>,
    #[validate(length(min = 1, max = MAX_STRING_CHARS))]
    pub serial_number: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub sku_number: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub system_family: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub user_principal_name: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub azure_ad_device_id: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub device_account_upn: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub device_account_password: Field<String>,
    #[validate(length(max = MAX_STRING_CHARS))]
    pub device_friendly_name: Field<String>,
    pub deployment_profile_assignment_status: Field<String>,
    pub deployment_profile_assignment_detailed_status: Field<String>,
    pub deployment_profile_assigned_date_time: Field<GraphDateTime>,
    pub remediation_state: Field<String>,
    pub remediation_state_last_modified_date_time: Field<GraphDateTime>,
    pub userless_enrollment_status: Field<String>,
}

/// A property the request sets, already checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub property: &'static Property,
    pub value: Value,
}

impl DeviceIdentityWrite {
    /// Every field with its wire name, for the checks that depend on the property table.
    fn fields(self) -> [(&'static str, Field<Value>); 26] {
        let text = |f: Field<String>| f.map(Value::Text);
        let time = |f: Field<GraphDateTime>| f.map(|t| Value::DateTime(t.0));
        [
            ("addressableUserName", text(self.addressable_user_name)),
            (
                "azureActiveDirectoryDeviceId",
                text(self.azure_active_directory_device_id),
            ),
            ("displayName", text(self.display_name)),
            ("enrollmentState", text(self.enrollment_state)),
            ("groupTag", text(self.group_tag)),
            ("lastContactedDateTime", time(self.last_contacted_date_time)),
            ("managedDeviceId", text(self.managed_device_id)),
            ("manufacturer", text(self.manufacturer)),
            ("model", text(self.model)),
            ("productKey", text(self.product_key)),
            (
                "purchaseOrderIdentifier",
                text(self.purchase_order_identifier),
            ),
            ("resourceName", text(self.resource_name)),
            ("serialNumber", text(self.serial_number)),
            ("skuNumber", text(self.sku_number)),
            ("systemFamily", text(self.system_family)),
            ("userPrincipalName", text(self.user_principal_name)),
            ("azureAdDeviceId", text(self.azure_ad_device_id)),
            ("deviceAccountUpn", text(self.device_account_upn)),
            ("deviceAccountPassword", text(self.device_account_password)),
            ("deviceFriendlyName", text(self.device_friendly_name)),
            (
                "deploymentProfileAssignmentStatus",
                text(self.deployment_profile_assignment_status),
            ),
            (
                "deploymentProfileAssignmentDetailedStatus",
                text(self.deployment_profile_assignment_detailed_status),
            ),
            (
                "deploymentProfileAssignedDateTime",
                time(self.deployment_profile_assigned_date_time),
            ),
            ("remediationState", text(self.remediation_state)),
            (
                "remediationStateLastModifiedDateTime",
                time(self.remediation_state_last_modified_date_time),
            ),
            (
                "userlessEnrollmentStatus",
                text(self.userless_enrollment_status),
            ),
        ]
    }

    /// The properties this body sets, after the checks that need the property table: enum members
    /// (exact camelCase, per version) and `null` only where the property is nullable.
    pub fn assignments(self, version: ApiVersion) -> Result<Vec<Assignment>, Vec<ErrorDetail>> {
        let mut assignments = Vec::new();
        let mut problems = Vec::new();
        for (name, field) in self.fields() {
            let property = property(name).expect("every writable field is in the property table");
            if let Field::Value(Value::Text(text)) = &field
                && let Some(problem) = nul_problem(name, text)
            {
                problems.push(problem);
                continue;
            }
            let value = match field {
                Field::Absent => continue,
                Field::Null if !property.nullable => {
                    problems.push(ErrorDetail::invalid(
                        name,
                        format!("The property '{name}' cannot be null."),
                    ));
                    continue;
                }
                Field::Null => Value::Null,
                Field::Value(value) => value,
            };
            if let (Kind::Enum(enum_type), Value::Text(member)) = (property.kind, &value)
                && !enum_type.accepts(version, member)
            {
                let mut members = enum_type.members.to_vec();
                if version == ApiVersion::Beta {
                    members.extend(enum_type.beta_members);
                }
                problems.push(ErrorDetail::invalid(
                    name,
                    format!(
                        "The value '{member}' of property '{name}' is not a member of enum type \
                         '{}'. Members (case-sensitive): {}.",
                        enum_type.name,
                        members.join(", ")
                    ),
                ));
                continue;
            }
            assignments.push(Assignment { property, value });
        }
        if problems.is_empty() {
            Ok(assignments)
        } else {
            Err(problems)
        }
    }
}

/// PostgreSQL text cannot hold U+0000, so a string carrying it is refused as invalid input rather
/// than failing in the database.
pub fn nul_problem(name: &str, text: &str) -> Option<ErrorDetail> {
    text.contains('\0').then(|| {
        ErrorDetail::invalid(
            name,
            format!(
                "The value of '{name}' contains a NUL character (U+0000), which is not allowed."
            ),
        )
    })
}

/// A create body: every property is optional but `serialNumber`.
pub fn parse_new_device(body: &[u8], version: ApiVersion) -> Result<Vec<Assignment>, GraphError> {
    let assignments = parse_device_body(body, version)?
        .assignments(version)
        .map_err(GraphError::invalid_fields)?;
    if !assignments
        .iter()
        .any(|a| a.property.name == "serialNumber")
    {
        return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "serialNumber",
            "The property 'serialNumber' is required.".to_owned(),
        )]));
    }
    Ok(assignments)
}

/// Reads a device body for `version`: a JSON object whose keys are properties of that version or
/// instance annotations, with values of the right JSON type and within the limits.
pub fn parse_device_body(
    body: &[u8],
    version: ApiVersion,
) -> Result<DeviceIdentityWrite, GraphError> {
    // First pass: the keys alone, so that unknown properties are named the way Graph names them and
    // all of them are reported at once.
    let members: BTreeMap<String, &RawValue> = serde_json::from_slice(body)
        .map_err(|e| GraphError::bad_request(describe_json_error(&e)))?;
    let mut problems = Vec::new();
    for (key, raw) in &members {
        if key == "@odata.type" {
            check_odata_type(raw)?;
        } else if key.contains('@') {
            // Instance and property annotations (@odata.context, displayName@odata.type...) carry
            // no data for this type.
        } else if key == "id" {
            // Read-only key: the server always generates it (spec: ignored if sent).
        } else if !property(key).is_some_and(|p| p.exists_in(version)) {
            problems.push(ErrorDetail::invalid(
                key,
                format!(
                    "The property '{key}' does not exist on type '{ENTITY_TYPE}'. Make sure to only use \
                     property names that are defined by the type or mark the type as open type."
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(GraphError::invalid_fields(problems));
    }

    // Second pass: the typed read, naming the property whose value has the wrong type.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let write: DeviceIdentityWrite =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let target = e.path().to_string();
            let message = format!(
                "Invalid value for property '{target}': {}.",
                message_without_position(e.inner())
            );
            GraphError::invalid_fields(vec![ErrorDetail::invalid(&target, message)])
        })?;
    write
        .validate()
        .map_err(|errors| GraphError::invalid_fields(describe_validation(&errors)))?;
    Ok(write)
}

fn check_odata_type(raw: &RawValue) -> Result<(), GraphError> {
    let named: Result<String, _> = serde_json::from_str(raw.get());
    match named {
        Ok(name) if name.trim_start_matches('#') == ENTITY_TYPE => Ok(()),
        Ok(name) => Err(GraphError::bad_request(format!(
            "A resource with type '{}' was found, but it is not assignable to the expected type \
             '{ENTITY_TYPE}'. Make sure that the type specified for the resource is compatible with \
             the expected type.",
            name.trim_start_matches('#')
        ))),
        Err(_) => Err(GraphError::bad_request(
            "The value of the '@odata.type' annotation must be a string naming the type.",
        )),
    }
}

/// serde_json's message for a body that is not a JSON object at all.
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => "The request body must be a JSON object.".to_owned(),
        Category::Syntax | Category::Eof | Category::Io => format!(
            "The request body is not valid JSON: {} (line {}, column {}).",
            message_without_position(error),
            error.line(),
            error.column()
        ),
    }
}

/// serde_json appends " at line L column C", which says nothing useful once the property is named.
fn message_without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

fn describe_validation(errors: &ValidationErrors) -> Vec<ErrorDetail> {
    let mut details: Vec<ErrorDetail> = errors
        .field_errors()
        .into_iter()
        .flat_map(|(field, errors)| {
            let name = camel_case(&field);
            errors.iter().map(move |error| {
                let empty = error.params.get("value").and_then(|v| v.as_str()) == Some("");
                let message = if empty {
                    format!("The property '{name}' must not be empty.")
                } else {
                    format!("The property '{name}' is longer than the limit of {MAX_STRING_CHARS} characters.")
                };
                ErrorDetail::invalid(&name, message)
            })
        })
        .collect();
    details.sort_by(|a, b| a.target.cmp(&b.target));
    details
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A device as a response body writes it: the properties of `version` (only the `$select`ed ones
/// when given), never a secret one, led by `@odata.context` when it stands alone.
pub struct DeviceView<'a> {
    pub device: &'a Device,
    pub version: ApiVersion,
    pub select: Option<&'a [&'static Property]>,
    pub context: Option<&'a str>,
}

impl Serialize for DeviceView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(context) = self.context {
            map.serialize_entry("@odata.context", context)?;
        }
        for (property, value) in self.device.visible(self.version) {
            if self
                .select
                .is_none_or(|selected| selected.contains(&property))
            {
                match (property.kind, value) {
                    (Kind::Enum(enum_type), Value::Text(member)) => map.serialize_entry(
                        property.name,
                        enum_member_on(enum_type, self.version, member),
                    )?,
                    _ => map.serialize_entry(property.name, &WireValue(value))?,
                }
            }
        }
        map.end()
    }
}

/// How a stored enum member is written on `version`. A member only beta knows (a device `blocked`
/// through beta) is written on v1.0, whose enum has no such member, as the enum's catch-all:
/// `unknownFutureValue` where the enum has it (Graph's rule for evolvable enums), else `unknown`.
/// v1.0 clients, and the v1.0 schema, know only v1.0's members.
fn enum_member_on<'a>(enum_type: &'a EnumType, version: ApiVersion, member: &'a str) -> &'a str {
    if enum_type.accepts(version, member) {
        return member;
    }
    ["unknownFutureValue", "unknown"]
        .into_iter()
        .find(|catch_all| enum_type.members.contains(catch_all))
        .unwrap_or(enum_type.members[0])
}

/// A page of a collection: `{"@odata.context", "@odata.count"?, "value", "@odata.nextLink"?}`.
#[derive(Serialize)]
pub struct CollectionPage<'a> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    pub value: Vec<DeviceView<'a>>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

struct WireValue<'a>(&'a Value);

impl Serialize for WireValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_none(),
            Value::Guid(id) => serializer.collect_str(&id.hyphenated()),
            Value::Text(text) => serializer.serialize_str(text),
            Value::DateTime(t) => GraphDateTime(*t).serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::PROPERTIES;

    fn parse(body: &str, version: ApiVersion) -> Result<Vec<Assignment>, GraphError> {
        parse_device_body(body.as_bytes(), version)?
            .assignments(version)
            .map_err(GraphError::invalid_fields)
    }

    fn targets(error: &GraphError) -> Vec<&str> {
        error.details.iter().map(|d| d.target.as_str()).collect()
    }

    #[test]
    fn every_writable_property_has_a_field_and_the_names_agree() {
        let names: Vec<&str> = DeviceIdentityWrite::default()
            .fields()
            .iter()
            .map(|(name, _)| *name)
            .collect();
        let expected: Vec<&str> = PROPERTIES.iter().skip(1).map(|p| p.name).collect();
        assert_eq!(names, expected);
        // The serde name of each field is its wire name: a body setting all of them sets all of them.
        let body = serde_json::Map::from_iter(PROPERTIES.iter().skip(1).map(|p| {
            let value = match p.kind {
                Kind::DateTime => "2024-01-02T03:04:05Z".to_owned(),
                Kind::Enum(e) => e.members[0].to_owned(),
                _ => "x".to_owned(),
            };
            (p.name.to_owned(), serde_json::Value::String(value))
        }));
        let set = parse(&serde_json::to_string(&body).unwrap(), ApiVersion::Beta).unwrap();
        assert_eq!(set.len(), PROPERTIES.len() - 1);
    }

    #[test]
    fn serial_number_is_required_on_create() {
        for body in ["{}", r#"{"serialNumber":null}"#, r#"{"displayName":"x"}"#] {
            let error = parse_new_device(body.as_bytes(), ApiVersion::V1).unwrap_err();
            assert_eq!(targets(&error), ["serialNumber"], "{body}");
        }
        assert!(parse_new_device(br#"{"serialNumber":"A"}"#, ApiVersion::V1).is_ok());
    }

    #[test]
    fn serial_number_must_not_be_empty() {
        let error = parse(r#"{"serialNumber":""}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["serialNumber"]);
        assert!(
            error.message.contains("must not be empty"),
            "{}",
            error.message
        );
    }

    #[test]
    fn strings_are_limited_to_1024_characters_counted_as_characters() {
        let at_limit = "é".repeat(1024);
        assert!(
            parse(
                &format!(r#"{{"displayName":"{at_limit}"}}"#),
                ApiVersion::V1
            )
            .is_ok()
        );
        let over = "x".repeat(1025);
        let error = parse(
            &format!(r#"{{"model":"{over}","groupTag":"{over}"}}"#),
            ApiVersion::V1,
        )
        .unwrap_err();
        assert_eq!(targets(&error), ["groupTag", "model"]);
        assert!(error.message.contains("1024"));
    }

    #[test]
    fn the_seed_display_name_of_18_characters_is_accepted() {
        assert!(parse(r#"{"displayName":"Display Name value"}"#, ApiVersion::V1).is_ok());
    }

    #[test]
    fn enum_members_are_exact_camel_case() {
        let error = parse(r#"{"enrollmentState":"Enrolled"}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["enrollmentState"]);
        assert!(error.message.contains("'Enrolled'") && error.message.contains("notContacted"));
        assert!(parse(r#"{"enrollmentState":"pendingReset"}"#, ApiVersion::V1).is_ok());
        assert!(parse(r#"{"enrollmentState":"blocked"}"#, ApiVersion::V1).is_err());
        assert!(parse(r#"{"enrollmentState":"blocked"}"#, ApiVersion::Beta).is_ok());
    }

    #[test]
    fn non_nullable_properties_refuse_null_and_strings_accept_it() {
        let error = parse(
            r#"{"enrollmentState":null,"lastContactedDateTime":null}"#,
            ApiVersion::V1,
        )
        .unwrap_err();
        assert_eq!(
            targets(&error),
            ["enrollmentState", "lastContactedDateTime"]
        );
        let set = parse(r#"{"displayName":null}"#, ApiVersion::V1).unwrap();
        assert_eq!(set[0].value, Value::Null);
    }

    #[test]
    fn nul_characters_are_refused_and_other_control_characters_kept() {
        let error = parse(
            r#"{"serialNumber":"A\u0000B","model":"x\u0000"}"#,
            ApiVersion::V1,
        )
        .unwrap_err();
        assert_eq!(targets(&error), ["model", "serialNumber"]);
        let set = parse(r#"{"serialNumber":"tab\tbell\u0007"}"#, ApiVersion::V1).unwrap();
        assert_eq!(set[0].value, Value::Text("tab\tbell\u{7}".to_owned()));
    }

    #[test]
    fn wrong_json_types_name_the_property() {
        let error = parse(r#"{"serialNumber":1}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["serialNumber"]);
        assert!(
            error.message.contains("expected a string"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("line 1"), "{}", error.message);
    }

    #[test]
    fn unknown_and_beta_only_properties_get_graphs_message() {
        let error = parse(r#"{"foo":1,"bar":2}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["bar", "foo"]);
        assert!(error.details[1].message.starts_with(
            "The property 'foo' does not exist on type 'microsoft.graph.windowsAutopilotDeviceIdentity'."
        ));
        let error = parse(r#"{"deviceFriendlyName":"x"}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["deviceFriendlyName"]);
        assert!(parse(r#"{"deviceFriendlyName":"x"}"#, ApiVersion::Beta).is_ok());
        // Property names are case-sensitive.
        assert!(parse(r#"{"SerialNumber":"x"}"#, ApiVersion::V1).is_err());
    }

    #[test]
    fn annotations_and_id_are_ignored_but_another_type_is_refused() {
        let ok = r##"{"@odata.type":"#microsoft.graph.windowsAutopilotDeviceIdentity",
                     "@odata.context":"x","displayName@odata.type":"#String","id":"anything"}"##;
        assert_eq!(parse(ok, ApiVersion::V1).unwrap(), vec![]);
        let error = parse(
            r##"{"@odata.type":"#microsoft.graph.user"}"##,
            ApiVersion::V1,
        )
        .unwrap_err();
        assert!(
            error
                .message
                .starts_with("A resource with type 'microsoft.graph.user' was found")
        );
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_refused() {
        assert!(
            parse("not json", ApiVersion::V1)
                .unwrap_err()
                .message
                .contains("not valid JSON")
        );
        assert!(
            parse("[1]", ApiVersion::V1)
                .unwrap_err()
                .message
                .contains("JSON object")
        );
        assert!(parse("", ApiVersion::V1).is_err());
        let deep = "[".repeat(10_000);
        assert!(parse(&format!(r#"{{"model":{deep}}}"#), ApiVersion::V1).is_err());
    }

    #[test]
    fn datetimes_need_an_offset_and_at_most_seven_fraction_digits() {
        let ok = GraphDateTime::parse("2016-12-31T23:58:44.2908994-08:00").unwrap();
        assert_eq!(format_datetime(&ok.0), "2017-01-01T07:58:44.290899Z");
        assert!(GraphDateTime::parse("2024-01-02T03:04:05+00:00").is_ok());
        for bad in [
            "2024-01-02T03:04:05",
            "2024-01-02",
            "2024-01-02 03:04:05Z",
            "2024-01-02T03:04:05.12345678Z",
            "2024-13-02T03:04:05Z",
            "yesterday",
        ] {
            assert!(GraphDateTime::parse(bad).is_err(), "{bad} was accepted");
        }
        let error = parse(r#"{"lastContactedDateTime":"2024-01-02"}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["lastContactedDateTime"]);
    }

    /// Found while setting up schema fuzzing (tests/fuzz, whose boundary values reproduce it): year
    /// 0 or 10000 once in UTC was stored and written back as `-0001-12-31T23:00:00Z` or
    /// `+10000-01-01T00:00:59Z`, no date-time the document allows.
    #[test]
    fn datetimes_stay_within_years_1_to_9999_in_utc() {
        for edge in [
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:59:00+00:59",
            "9999-12-31T23:59:59.9999999Z",
            "9999-12-31T22:00:00-01:00",
        ] {
            let time = GraphDateTime::parse(edge).unwrap_or_else(|e| panic!("{edge}: {e}"));
            let written = format_datetime(&time.0);
            let (year, _) = written.split_once('-').unwrap();
            assert!(
                year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()),
                "{edge} is written as {written}"
            );
        }
        for bad in [
            "0000-01-01T00:00:00+01:00",
            "0000-12-31T23:59:59Z",
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
        ] {
            let error = GraphDateTime::parse(bad).unwrap_err();
            assert!(error.contains("outside the range"), "{bad}: {error}");
        }
        let error = parse(
            r#"{"lastContactedDateTime":"0000-01-01T00:00:00+01:00"}"#,
            ApiVersion::V1,
        )
        .unwrap_err();
        assert_eq!(targets(&error), ["lastContactedDateTime"]);
    }

    /// Found by schema fuzzing (tests/fuzz): a device made `blocked` through beta was listed on v1.0
    /// as `"enrollmentState":"blocked"`, which v1.0's enrollmentState does not have.
    #[test]
    fn a_beta_only_enum_member_is_unknown_on_v1() {
        let mut values: Vec<Value> = PROPERTIES
            .iter()
            .map(|p| match p.kind {
                Kind::Guid => Value::Guid(uuid::Uuid::nil()),
                Kind::DateTime => Value::DateTime(DateTime::<Utc>::MIN_UTC),
                Kind::Enum(e) => Value::Text(e.members[0].to_owned()),
                Kind::String => Value::Null,
            })
            .collect();
        let state = PROPERTIES
            .iter()
            .position(|p| p.name == "enrollmentState")
            .unwrap();
        values[state] = Value::Text("blocked".to_owned());
        let device = Device { values };
        let written = |version| {
            let view = DeviceView {
                device: &device,
                version,
                select: None,
                context: None,
            };
            serde_json::to_value(view).unwrap()["enrollmentState"].clone()
        };
        assert_eq!(written(ApiVersion::Beta), "blocked");
        assert_eq!(written(ApiVersion::V1), "unknown");
        // Every enum's fallback is one of its own v1.0 members.
        for property in PROPERTIES.iter() {
            if let Kind::Enum(enum_type) = property.kind {
                let fallback = enum_member_on(enum_type, ApiVersion::V1, "no such member");
                assert!(
                    enum_type.accepts(ApiVersion::V1, fallback),
                    "{}",
                    enum_type.name
                );
            }
        }
    }

    #[test]
    fn output_dates_are_utc_with_z_and_a_fraction_only_when_present() {
        let never = GraphDateTime::parse("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(format_datetime(&never.0), "0001-01-01T00:00:00Z");
        let millis = GraphDateTime::parse("2024-01-02T03:04:05.120+02:00").unwrap();
        assert_eq!(format_datetime(&millis.0), "2024-01-02T01:04:05.120Z");
    }
}
