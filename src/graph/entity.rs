//! An entity as it travels: the request body a client writes, read and validated against the
//! entity set's table (spec section 2 for device identities), and the JSON the service answers with.

use chrono::{
    DateTime, Datelike, FixedOffset, SecondsFormat, SubsecRound, TimeDelta, Timelike, Utc,
};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::domain::ApiVersion;
use crate::domain::entity::{
    ComplexType, DerivedType, Entity, EntitySet, Kind, Property, PropertyValue, TYPE_ANNOTATION,
    TextLimits, TextProblem, Value,
};
use crate::graph::error::{ErrorDetail, GraphError};
use crate::graph::json_body::{self, message_without_position};

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

/// The members of a JSON object in the order sent, keeping duplicates (which are refused).
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Members, M::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Reads a JSON object body (or one in Graph's lenient forms, see [`json_body`]), every refusal a
/// 400 that says what is wrong with it.
pub fn parse_object(body: &[u8]) -> Result<Vec<(String, Box<RawValue>)>, GraphError> {
    let Members(members) = json_body::read(body)?;
    let mut problems = Vec::new();
    for (i, (key, _)) in members.iter().enumerate() {
        if members[..i].iter().any(|(earlier, _)| earlier == key) {
            problems.push(ErrorDetail::invalid(
                key,
                format!("The property '{key}' is given more than once."),
            ));
        }
    }
    if problems.is_empty() {
        Ok(members)
    } else {
        Err(GraphError::invalid_fields(problems))
    }
}

/// What is wrong with a string for a property or parameter (`noun`) named `name`.
pub fn text_problem(noun: &str, name: &str, problem: TextProblem) -> String {
    match problem {
        TextProblem::Empty => format!("The {noun} '{name}' must not be empty."),
        TextProblem::TooLong { max_chars } => {
            format!("The {noun} '{name}' is longer than the limit of {max_chars} characters.")
        }
        TextProblem::Nul => format!(
            "The value of '{name}' contains a NUL character (U+0000), which is not allowed."
        ),
    }
}

/// A string value checked against `limits`, as a property or parameter (`noun`) named `name`.
pub fn checked_text(
    noun: &str,
    name: &str,
    limits: TextLimits,
    text: String,
) -> Result<String, ErrorDetail> {
    match limits.check(&text) {
        Ok(()) => Ok(text),
        Err(problem) => Err(ErrorDetail::invalid(
            name,
            text_problem(noun, name, problem),
        )),
    }
}

/// A create body for `set` on `version`: a body of [`parse_entity_body`] that sets every required
/// property.
pub fn parse_new_entity(
    set: &'static EntitySet,
    body: &[u8],
    version: ApiVersion,
) -> Result<Vec<PropertyValue>, GraphError> {
    let (mut assignments, concrete) = read_body(set, body, version)?;
    if let (Some(concrete), Some(discriminator)) = (concrete, set.property(TYPE_ANNOTATION)) {
        assignments.push(PropertyValue {
            property: discriminator,
            value: Value::Text(concrete.type_name.to_owned()),
        });
    }
    let missing: Vec<ErrorDetail> = set
        .properties
        .iter()
        .filter(|p| p.required && p.exists_in(version))
        .filter(|p| !assignments.iter().any(|a| std::ptr::eq(a.property, *p)))
        .map(|p| match p.name {
            TYPE_ANNOTATION => {
                let types: Vec<String> = set
                    .derived
                    .iter()
                    .map(|t| format!("#{}", t.type_name))
                    .collect();
                ErrorDetail::invalid(
                    p.name,
                    format!(
                        "A {} is one of these types, which '@odata.type' must name: {}.",
                        set.short_name(),
                        types.join(", ")
                    ),
                )
            }
            name => ErrorDetail::invalid(name, format!("The property '{name}' is required.")),
        })
        .collect();
    if missing.is_empty() {
        Ok(assignments)
    } else {
        Err(GraphError::invalid_fields(missing))
    }
}

/// Reads a body of `set` for `version`: a JSON object whose keys are properties of that version or
/// instance annotations, with values of each property's type and within its limits. Read-only
/// properties (the key) are ignored, as Graph ignores them; every other problem is reported at
/// once, one detail per property, in name order. An update never changes an entity's type.
pub fn parse_entity_body(
    set: &'static EntitySet,
    body: &[u8],
    version: ApiVersion,
) -> Result<Vec<PropertyValue>, GraphError> {
    read_body(set, body, version).map(|(assignments, _)| assignments)
}

/// The assignments of a body, and the concrete type its `@odata.type` names (for an abstract set).
fn read_body(
    set: &'static EntitySet,
    body: &[u8],
    version: ApiVersion,
) -> Result<(Vec<PropertyValue>, Option<&'static DerivedType>), GraphError> {
    let mut members = parse_object(body)?;
    members.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut unknown = Vec::new();
    let mut problems = Vec::new();
    let mut assignments = Vec::new();
    let mut concrete = None;
    for (key, raw) in &members {
        if key == TYPE_ANNOTATION {
            concrete = check_odata_type(set, raw)?;
            continue;
        }
        if key.contains('@') {
            // Instance and property annotations (@odata.context, displayName@odata.type...) carry
            // no data for this type.
            continue;
        }
        let name = set
            .aliases
            .iter()
            .find(|alias| alias.name == key && alias.version == version)
            .map_or(key.as_str(), |alias| alias.property);
        let Some(property) = set.property(name).filter(|p| p.exists_in(version)) else {
            unknown.push(ErrorDetail::invalid(
                key,
                format!(
                    "The property '{key}' does not exist on type '{}'. Make sure to only use \
                     property names that are defined by the type or mark the type as open type.",
                    set.type_name
                ),
            ));
            continue;
        };
        if !property.writable {
            continue;
        }
        if let Some(concrete) = concrete.filter(|t: &&DerivedType| !t.has(set, property)) {
            unknown.push(ErrorDetail::invalid(
                key,
                format!(
                    "The property '{key}' does not exist on type '{}'.",
                    concrete.type_name
                ),
            ));
            continue;
        }
        match property.kind {
            Kind::Complex(complex) => match complex_assignments(property, complex, raw, version) {
                Ok(members) => assignments.extend(members),
                Err(details) => problems.extend(details),
            },
            _ => match property_value(property, raw, version) {
                Ok(value) => assignments.push(PropertyValue { property, value }),
                Err(problem) => problems.push(problem),
            },
        }
    }
    // Unknown names first: a body meant for another type or version is refused as such.
    if !unknown.is_empty() {
        return Err(GraphError::invalid_fields(unknown));
    }
    if !problems.is_empty() {
        return Err(GraphError::invalid_fields(problems));
    }
    Ok((fold_twins(set, assignments)?, concrete))
}

/// The assignments with each twin's value set on its owner, once: a body may give a value under
/// both its names only when they agree.
fn fold_twins(
    set: &'static EntitySet,
    assignments: Vec<PropertyValue>,
) -> Result<Vec<PropertyValue>, GraphError> {
    let mut folded: Vec<(&'static Property, PropertyValue)> = Vec::new();
    let mut clashes = Vec::new();
    for PropertyValue { property, value } in assignments {
        let owner = set.owner(property);
        match folded.iter().find(|(_, a)| std::ptr::eq(a.property, owner)) {
            Some((_, earlier)) if earlier.value == value => {}
            Some((named, _)) => {
                let (first, second) = (set.wire_path(named), set.wire_path(property));
                clashes.push(ErrorDetail::invalid(
                    &second,
                    format!(
                        "'{first}' and '{second}' are two names of one value, and the body gives \
                         them different values; send one, or the same value under both."
                    ),
                ));
            }
            None => folded.push((
                property,
                PropertyValue {
                    property: owner,
                    value,
                },
            )),
        }
    }
    if !clashes.is_empty() {
        return Err(GraphError::invalid_fields(clashes));
    }
    Ok(folded
        .into_iter()
        .map(|(_, assignment)| assignment)
        .collect())
}

/// The members a complex value sets (others keep their values), each read as a property; problems
/// name `complex.member`.
fn complex_assignments(
    property: &'static Property,
    complex: &'static ComplexType,
    raw: &RawValue,
    version: ApiVersion,
) -> Result<Vec<PropertyValue>, Vec<ErrorDetail>> {
    let name = property.name;
    let Ok(Members(members)) = serde_json::from_str::<Members>(raw.get()) else {
        return Err(vec![ErrorDetail::invalid(
            name,
            format!(
                "Invalid value for property '{name}': expected a JSON object of type '{}'.",
                complex.name
            ),
        )]);
    };
    let mut assignments = Vec::new();
    let mut problems = Vec::new();
    for (key, raw) in &members {
        if key.contains('@') {
            continue;
        }
        let target = format!("{name}.{key}");
        match complex.properties.iter().find(|p| p.name == key) {
            None => problems.push(ErrorDetail::invalid(
                &target,
                format!(
                    "The property '{key}' does not exist on type '{}'.",
                    complex.name
                ),
            )),
            Some(member) if !member.writable => {}
            Some(member) => match property_value(member, raw, version) {
                Ok(value) => assignments.push(PropertyValue {
                    property: member,
                    value,
                }),
                Err(problem) => problems.push(ErrorDetail { target, ..problem }),
            },
        }
    }
    if problems.is_empty() {
        Ok(assignments)
    } else {
        Err(problems)
    }
}

/// The value of one property as sent: of the property's JSON type, `null` only where it is
/// nullable, within its limits, an enum member of `version`.
fn property_value(
    property: &'static Property,
    raw: &RawValue,
    version: ApiVersion,
) -> Result<Value, ErrorDetail> {
    let name = property.name;
    let wrong_type = |error: serde_json::Error| {
        ErrorDetail::invalid(
            name,
            format!(
                "Invalid value for property '{name}': {}.",
                message_without_position(&error)
            ),
        )
    };
    let value = match property.kind {
        Kind::DateTime => serde_json::from_str::<Option<GraphDateTime>>(raw.get())
            .map_err(wrong_type)?
            .map(|t| Value::DateTime(t.0)),
        Kind::Guid => serde_json::from_str::<Option<uuid::Uuid>>(raw.get())
            .map_err(wrong_type)?
            .map(Value::Guid),
        Kind::String(_) | Kind::Enum(_) => serde_json::from_str::<Option<String>>(raw.get())
            .map_err(wrong_type)?
            .map(Value::Text),
        Kind::Int32 => serde_json::from_str::<Option<i32>>(raw.get())
            .map_err(wrong_type)?
            .map(Value::Int32),
        Kind::Int64 => serde_json::from_str::<Option<i64>>(raw.get())
            .map_err(wrong_type)?
            .map(Value::Int64),
        Kind::Document(_) => serde_json::from_str::<Option<serde_json::Value>>(raw.get())
            .map_err(wrong_type)?
            .map(Value::Document),
        Kind::Boolean => serde_json::from_str::<Option<bool>>(raw.get())
            .map_err(wrong_type)?
            .map(Value::Bool),
        Kind::Duration => {
            match serde_json::from_str::<Option<String>>(raw.get()).map_err(wrong_type)? {
                Some(text) => Some(Value::Duration(
                    parse_duration(&text).map_err(|message| ErrorDetail::invalid(name, message))?,
                )),
                None => None,
            }
        }
        Kind::Strings(limits) => {
            match serde_json::from_str::<Option<Vec<String>>>(raw.get()).map_err(wrong_type)? {
                Some(texts) => Some(Value::Texts(
                    texts
                        .into_iter()
                        .map(|text| checked_text("property", name, limits, text))
                        .collect::<Result<_, _>>()?,
                )),
                None => None,
            }
        }
        Kind::Binary => {
            match serde_json::from_str::<Option<String>>(raw.get()).map_err(wrong_type)? {
                Some(text) => Some(Value::Bytes(decode_binary(name, &text)?)),
                None => None,
            }
        }
        Kind::Complex(_) => unreachable!("complex properties are set by the server only"),
    };
    match (value, property.kind) {
        (None, _) if !property.nullable => Err(ErrorDetail::invalid(
            name,
            format!("The property '{name}' cannot be null."),
        )),
        (None, _) => Ok(Value::Null),
        (Some(Value::Text(text)), Kind::String(limits)) => {
            checked_text("property", name, limits, text).map(Value::Text)
        }
        (Some(Value::Text(member)), Kind::Enum(enum_type)) => {
            if enum_type.accepts(version, &member) {
                Ok(Value::Text(member))
            } else {
                let members: Vec<&str> = enum_type.members_on(version).collect();
                Err(ErrorDetail::invalid(
                    name,
                    format!(
                        "The value '{member}' of property '{name}' is not a member of enum type \
                         '{}'. Members (case-sensitive): {}.",
                        enum_type.name,
                        members.join(", ")
                    ),
                ))
            }
        }
        (Some(value), _) => Ok(value),
    }
}

/// The type a body's `@odata.type` names: the set's own, or (for an abstract set) one of its
/// concrete types, which it returns.
fn check_odata_type(
    set: &'static EntitySet,
    raw: &RawValue,
) -> Result<Option<&'static DerivedType>, GraphError> {
    let named: Result<String, _> = serde_json::from_str(raw.get());
    let expected = set.type_name;
    match named {
        Ok(name) if !set.derived.is_empty() => match set.derived_type(&name) {
            Some(concrete) => Ok(Some(concrete)),
            None => Err(GraphError::bad_request(format!(
                "A resource with type '{}' was found, but {expected} is abstract: name one of its \
                 types in '@odata.type' ({}).",
                name.trim_start_matches('#'),
                set.derived
                    .iter()
                    .map(|t| format!("#{}", t.type_name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
        Ok(name) if name.trim_start_matches('#') == expected => Ok(None),
        Ok(name) => Err(GraphError::bad_request(format!(
            "A resource with type '{}' was found, but it is not assignable to the expected type \
             '{expected}'. Make sure that the type specified for the resource is compatible with \
             the expected type.",
            name.trim_start_matches('#')
        ))),
        Err(_) => Err(GraphError::bad_request(
            "The value of the '@odata.type' annotation must be a string naming the type.",
        )),
    }
}

/// An Edm.Duration as Graph writes it (.NET's `XmlConvert` form): `P1DT2H3M4.5S`, its zero
/// parts left out, `PT0S` for none; to the microsecond, as PostgreSQL keeps an interval.
pub fn format_duration(duration: TimeDelta) -> String {
    let sign = if duration < TimeDelta::zero() {
        "-"
    } else {
        ""
    };
    let duration = duration.abs();
    let micros = duration.num_microseconds().unwrap_or(i64::MAX);
    let (days, rest) = (micros / 86_400_000_000, micros % 86_400_000_000);
    let (hours, rest) = (rest / 3_600_000_000, rest % 3_600_000_000);
    let (minutes, rest) = (rest / 60_000_000, rest % 60_000_000);
    let (seconds, fraction) = (rest / 1_000_000, rest % 1_000_000);
    let mut text = format!("{sign}P");
    if days > 0 {
        text.push_str(&format!("{days}D"));
    }
    if hours > 0 || minutes > 0 || seconds > 0 || fraction > 0 || days == 0 {
        text.push('T');
    }
    if hours > 0 {
        text.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}M"));
    }
    if fraction > 0 {
        let digits = format!("{fraction:06}");
        text.push_str(&format!("{seconds}.{}S", digits.trim_end_matches('0')));
    } else if seconds > 0 || (days == 0 && hours == 0 && minutes == 0) {
        text.push_str(&format!("{seconds}S"));
    }
    text
}

/// Reads an Edm.Duration: ISO-8601's `[-]P[nD][T[nH][nM][n[.f]S]]`, at least one part, seconds
/// kept to the microsecond.
pub fn parse_duration(text: &str) -> Result<TimeDelta, String> {
    let problem =
        || format!("'{text}' is not a valid Edm.Duration: use ISO-8601, such as PT1M30S or P1DT2H");
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = rest.strip_prefix('P').ok_or_else(problem)?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return Err(problem()),
        None => (rest, None),
    };
    let mut micros: i64 = 0;
    let mut parts = 0;
    let mut add = |number: &str, unit_micros: i64| -> Result<(), String> {
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
            return Err(problem());
        }
        if !fraction.is_empty() && unit_micros != 1_000_000 {
            return Err(problem());
        }
        let whole: i64 = whole.parse().map_err(|_| problem())?;
        let fraction_micros: i64 = format!("{:0<6}", &fraction[..fraction.len().min(6)])
            .parse()
            .map_err(|_| problem())?;
        micros = whole
            .checked_mul(unit_micros)
            .and_then(|m| m.checked_add(fraction_micros))
            .and_then(|m| micros.checked_add(m))
            .ok_or_else(problem)?;
        parts += 1;
        Ok(())
    };
    if !date.is_empty() {
        add(date.strip_suffix('D').ok_or_else(problem)?, 86_400_000_000)?;
    }
    let mut time = time.unwrap_or_default();
    for (unit, unit_micros) in [('H', 3_600_000_000), ('M', 60_000_000), ('S', 1_000_000)] {
        if let Some((number, after)) = time.split_once(unit) {
            add(number, unit_micros)?;
            time = after;
        }
    }
    if !time.is_empty() || parts == 0 {
        return Err(problem());
    }
    let duration = TimeDelta::microseconds(micros);
    Ok(if negative { -duration } else { duration })
}

/// An Edm.Binary value: standard base64, or base64url as some clients send it (padding optional).
fn decode_binary(name: &str, text: &str) -> Result<Vec<u8>, ErrorDetail> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let unpadded = text.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(unpadded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(unpadded))
        .map_err(|_| {
            ErrorDetail::invalid(
                name,
                format!("The value of '{name}' is not valid base64 (Edm.Binary)."),
            )
        })
}

/// An entity as a response body writes it: the properties of `version` (only the `$select`ed ones
/// when given), never a secret one, led by `@odata.context` when it stands alone and by
/// `@odata.type` when `typed` (an item of a collection of a base type).
pub struct EntityView<'a> {
    pub entity: &'a Entity,
    pub version: ApiVersion,
    pub select: Option<&'a [&'static Property]>,
    pub context: Option<&'a str>,
    pub typed: bool,
    /// Navigations `$expand` inlines, by name, after the properties.
    pub expanded: &'a [(&'static str, serde_json::Value)],
}

impl Serialize for EntityView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(context) = self.context {
            map.serialize_entry("@odata.context", context)?;
        }
        // An entity of an abstract set always says which concrete type it is.
        let set = self.entity.set;
        let concrete = self.entity.derived_type();
        match concrete {
            Some(concrete) => {
                map.serialize_entry(TYPE_ANNOTATION, &format!("#{}", concrete.type_name))?
            }
            None if self.typed => {
                map.serialize_entry(TYPE_ANNOTATION, &format!("#{}", set.type_name))?
            }
            None => {}
        }
        let shown = set.properties.iter().filter(|p| {
            p.exists_in(self.version)
                && !p.secret
                && p.name != TYPE_ANNOTATION
                && concrete.is_none_or(|concrete| concrete.has(set, p))
                && self.select.is_none_or(|selected| selected.contains(p))
        });
        for property in shown {
            map.serialize_entry(property.name, &self.value(property))?;
        }
        for (navigation, value) in self.expanded {
            map.serialize_entry(navigation, value)?;
        }
        map.end()
    }
}

impl<'a> EntityView<'a> {
    fn value(&self, property: &'static Property) -> WireValue<'a> {
        let entity = self.entity;
        match property.kind {
            Kind::Complex(complex) => WireValue::Complex(
                complex
                    .properties
                    .iter()
                    .map(|member| (member.name, self.value(member)))
                    .collect(),
            ),
            // v1.0 clients, and the v1.0 schema, know only v1.0's members.
            Kind::Enum(enum_type) => match entity.get(property) {
                Value::Text(member) => WireValue::Member(enum_type.member_on(self.version, member)),
                other => WireValue::Simple(other),
            },
            _ => WireValue::Simple(entity.get(property)),
        }
    }
}

/// A page of a collection: `{"@odata.context", "@odata.count"?, "value", "@odata.nextLink"?}`.
#[derive(Serialize)]
pub struct CollectionPage<'a> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    pub value: Vec<EntityView<'a>>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

/// A property's value as JSON.
enum WireValue<'a> {
    Simple(&'a Value),
    Member(&'a str),
    Complex(Vec<(&'static str, WireValue<'a>)>),
}

impl Serialize for WireValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WireValue::Simple(value) => match value {
                Value::Null => serializer.serialize_none(),
                Value::Guid(id) => serializer.collect_str(&id.hyphenated()),
                Value::Text(text) => serializer.serialize_str(text),
                Value::DateTime(t) => GraphDateTime(*t).serialize(serializer),
                Value::Int32(n) => serializer.serialize_i32(*n),
                Value::Int64(n) => serializer.serialize_i64(*n),
                Value::Document(document) => document.serialize(serializer),
                Value::Bool(b) => serializer.serialize_bool(*b),
                Value::Duration(d) => serializer.serialize_str(&format_duration(*d)),
                Value::Texts(texts) => texts.serialize(serializer),
                Value::Bytes(bytes) => {
                    use base64::Engine;
                    serializer
                        .serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
                }
            },
            WireValue::Member(member) => serializer.serialize_str(member),
            WireValue::Complex(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (name, value) in members {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::device_identity::DEVICE_IDENTITIES;

    #[test]
    fn durations_are_written_as_graph_writes_them_and_read_back() {
        let cases = [
            (TimeDelta::zero(), "PT0S"),
            (TimeDelta::seconds(90), "PT1M30S"),
            (TimeDelta::hours(2), "PT2H"),
            (TimeDelta::days(1), "P1D"),
            (TimeDelta::days(1) + TimeDelta::seconds(3_723), "P1DT1H2M3S"),
            (TimeDelta::milliseconds(1_500), "PT1.5S"),
            (-TimeDelta::seconds(5), "-PT5S"),
        ];
        for (duration, text) in cases {
            assert_eq!(format_duration(duration), text);
            assert_eq!(parse_duration(text), Ok(duration), "{text}");
        }
        assert_eq!(
            parse_duration("PT0.0000019S"),
            Ok(TimeDelta::microseconds(1))
        );
        for bad in [
            "", "P", "PT", "T1S", "P1H", "PT1D", "PT1.5M", "PTS", "PT-1S", "1S", "PT1S2",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    fn parse(body: &str, version: ApiVersion) -> Result<Vec<PropertyValue>, GraphError> {
        parse_entity_body(&DEVICE_IDENTITIES, body.as_bytes(), version)
    }

    fn parse_new_device(
        body: &[u8],
        version: ApiVersion,
    ) -> Result<Vec<PropertyValue>, GraphError> {
        parse_new_entity(&DEVICE_IDENTITIES, body, version)
    }

    fn targets(error: &GraphError) -> Vec<&str> {
        error.details.iter().map(|d| d.target.as_str()).collect()
    }

    #[test]
    fn a_body_can_set_every_writable_property() {
        let writable: Vec<&Property> = DEVICE_IDENTITIES
            .properties
            .iter()
            .filter(|p| p.writable)
            .collect();
        let body = serde_json::Map::from_iter(writable.iter().map(|p| {
            let value = match p.kind {
                Kind::DateTime => "2024-01-02T03:04:05Z".to_owned(),
                Kind::Enum(e) => e.members[0].to_owned(),
                _ => "x".to_owned(),
            };
            (p.name.to_owned(), serde_json::Value::String(value))
        }));
        let set = parse(&serde_json::to_string(&body).unwrap(), ApiVersion::Beta).unwrap();
        assert_eq!(set.len(), writable.len());
    }

    #[test]
    fn twins_set_their_owner_once_and_refuse_to_disagree() {
        use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
        let profile =
            |body: &str| parse_entity_body(&DEPLOYMENT_PROFILES, body.as_bytes(), ApiVersion::Beta);
        let set = profile(
            r#"{"enableWhiteGlove":true,"language":"fr-FR",
                "outOfBoxExperienceSettings":{"hideEULA":true,"userType":"standard"},
                "outOfBoxExperienceSetting":{"eulaHidden":true}}"#,
        )
        .unwrap();
        let owners: Vec<(&str, &Value)> =
            set.iter().map(|a| (a.property.column, &a.value)).collect();
        assert_eq!(
            owners,
            [
                ("preprovisioning_allowed", &Value::Bool(true)),
                ("locale", &Value::Text("fr-FR".to_owned())),
                ("oobe_eula_hidden", &Value::Bool(true)),
                (
                    "oobe_setting_user_type",
                    &Value::Text("standard".to_owned())
                ),
            ]
        );
        assert!(set.iter().all(|a| !a.property.twin));
        let error = profile(
            r#"{"extractHardwareHash":true,"hardwareHashExtractionEnabled":false,
                "outOfBoxExperienceSettings":{"hidePrivacySettings":true},
                "outOfBoxExperienceSetting":{"privacySettingsHidden":false}}"#,
        )
        .unwrap_err();
        assert_eq!(
            targets(&error),
            [
                "hardwareHashExtractionEnabled",
                "outOfBoxExperienceSettings.hidePrivacySettings"
            ]
        );
        assert!(
            error.details[1].message.contains(
                "'outOfBoxExperienceSetting.privacySettingsHidden' and \
                 'outOfBoxExperienceSettings.hidePrivacySettings' are two names of one value"
            ),
            "{}",
            error.details[1].message
        );
    }

    #[test]
    fn a_property_given_twice_is_refused() {
        let error = parse(r#"{"model":"a","model":"b"}"#, ApiVersion::V1).unwrap_err();
        assert_eq!(targets(&error), ["model"]);
        assert!(
            error.message.contains("more than once"),
            "{}",
            error.message
        );
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
        let state = DEVICE_IDENTITIES.property("enrollmentState").unwrap();
        let values: Vec<Value> = DEVICE_IDENTITIES
            .columns()
            .map(|p| match p.kind {
                _ if std::ptr::eq(p, state) => Value::Text("blocked".to_owned()),
                Kind::Guid => Value::Guid(uuid::Uuid::nil()),
                Kind::DateTime => Value::DateTime(DateTime::<Utc>::MIN_UTC),
                Kind::Enum(e) => Value::Text(e.members[0].to_owned()),
                _ => Value::Null,
            })
            .collect();
        let entity = Entity {
            set: &DEVICE_IDENTITIES,
            values,
        };
        let written = |version| {
            let view = EntityView {
                entity: &entity,
                version,
                select: None,
                context: None,
                typed: false,
                expanded: &[],
            };
            serde_json::to_value(view).unwrap()["enrollmentState"].clone()
        };
        assert_eq!(written(ApiVersion::Beta), "blocked");
        assert_eq!(written(ApiVersion::V1), "unknown");
    }

    #[test]
    fn output_dates_are_utc_with_z_and_a_fraction_only_when_present() {
        let never = GraphDateTime::parse("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(format_datetime(&never.0), "0001-01-01T00:00:00Z");
        let millis = GraphDateTime::parse("2024-01-02T03:04:05.120+02:00").unwrap();
        assert_eq!(format_datetime(&millis.0), "2024-01-02T01:04:05.120Z");
    }
}
