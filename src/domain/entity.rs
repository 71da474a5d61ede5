//! An entity set as a table: its properties with their kinds, limits and roles, from which the wire
//! contract derives validation, JSON, OData and the OpenAPI schema, and the store derives its SQL.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;
use validator::{ValidateDoesNotContain, ValidateLength};

use super::ApiVersion;

/// An OData enum type: its qualified name and the camelCase members Graph puts on the wire.
#[derive(Debug, PartialEq)]
pub struct EnumType {
    pub name: &'static str,
    pub members: &'static [&'static str],
    /// Members that only the beta root knows.
    pub beta_members: &'static [&'static str],
}

impl EnumType {
    /// The members `version` knows, v1.0's first.
    pub fn members_on(&self, version: ApiVersion) -> impl Iterator<Item = &'static str> + use<> {
        let beta: &'static [&'static str] = match version {
            ApiVersion::V1 => &[],
            ApiVersion::Beta => self.beta_members,
        };
        self.members.iter().chain(beta).copied()
    }

    pub fn accepts(&self, version: ApiVersion, value: &str) -> bool {
        self.members_on(version).any(|member| member == value)
    }

    /// The member a stored `value` is written as on `version`. A member only beta knows (a device
    /// `blocked` through beta) becomes, on v1.0, the enum's catch-all: `unknownFutureValue` where
    /// the enum has it (Graph's rule for evolvable enums), else `unknown`.
    pub fn member_on<'a>(&'a self, version: ApiVersion, value: &'a str) -> &'a str {
        if self.accepts(version, value) {
            return value;
        }
        ["unknownFutureValue", "unknown"]
            .into_iter()
            .find(|catch_all| self.members.contains(catch_all))
            .unwrap_or(self.members[0])
    }
}

/// The annotation that names an entity's type.
pub const TYPE_ANNOTATION: &str = "@odata.type";

/// The lengths a string property accepts, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    pub min_chars: u64,
    pub max_chars: u64,
}

/// Graph states no lengths; ours keeps rows bounded while accepting every real value (spec: 1024).
pub const TEXT: TextLimits = TextLimits {
    min_chars: 0,
    max_chars: 1024,
};

/// PostgreSQL text cannot hold U+0000, so no string property may.
pub const FORBIDDEN_IN_TEXT: char = '\0';

/// Why a string does not fit its property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong { max_chars: u64 },
    Nul,
}

impl TextLimits {
    /// Checks `text` against the limits and the NUL rule (with the validator crate's checks).
    pub fn check(&self, text: &str) -> Result<(), TextProblem> {
        if !text.validate_does_not_contain(&FORBIDDEN_IN_TEXT.to_string()) {
            return Err(TextProblem::Nul);
        }
        if !text.validate_length(None, Some(self.max_chars), None) {
            return Err(TextProblem::TooLong {
                max_chars: self.max_chars,
            });
        }
        if !text.validate_length(Some(self.min_chars), None, None) {
            return Err(TextProblem::Empty);
        }
        Ok(())
    }
}

/// The Edm type of a property, which decides how it is stored, compared and written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Guid,
    String(TextLimits),
    Enum(&'static EnumType),
    DateTime,
    Int32,
    Int64,
    Boolean,
    /// Edm.Duration: ISO-8601 (`PT1M30S`) on the wire, an interval in the table.
    Duration,
    /// Edm.Binary: base64 on the wire, bytes in the table.
    Binary,
    /// A collection of Edm.String within `TextLimits` each: a JSON array, a text[] column.
    Strings(TextLimits),
    /// A complex type: its members are properties with columns of their own in the entity's table.
    Complex(&'static ComplexType),
    /// A complex value (or a collection of them, `Collection(...)`) that only the server writes,
    /// kept whole as JSON text: the type's name for the schema and errors. Not filtered, ordered
    /// nor written by clients.
    Document(&'static str),
}

impl Kind {
    pub fn is_string(self) -> bool {
        matches!(self, Kind::String(_))
    }
}

/// A complex type, such as an imported identity's `state`: named members, no key.
#[derive(Debug, PartialEq)]
pub struct ComplexType {
    pub name: &'static str,
    pub properties: &'static [Property],
}

/// One property of an entity set: how it is named on the wire and in the table, and what a client
/// may do with it.
#[derive(Debug, PartialEq)]
pub struct Property {
    /// The camelCase name on the wire.
    pub name: &'static str,
    /// The column in the entity set's table (none for a complex property, whose members have theirs).
    pub column: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub beta_only: bool,
    /// A create must set it.
    pub required: bool,
    /// Clients may set it on create and update; otherwise a value they send is ignored.
    pub writable: bool,
    pub filterable: bool,
    pub orderable: bool,
    pub selectable: bool,
    /// Stored but never read back or written out.
    pub secret: bool,
    /// What the OpenAPI document says of it, where the type alone does not say enough.
    pub description: Option<&'static str>,
    /// A value the server writes itself, beside what clients set.
    pub server_value: Option<ServerValue>,
    /// Another name of the value whose column this names, which Graph keeps beside that property
    /// (a name before a rename): it has no column of its own, and reads and writes the owner's,
    /// the one property of [`EntitySet::columns`] with the same column.
    pub twin: bool,
}

/// A value the store writes into a property's column itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerValue {
    /// On create, the entity's own id as text, unless the create sets a value.
    OwnIdUnlessGiven,
    /// On every update, the time of the update.
    UpdateTime,
}

impl Property {
    pub fn exists_in(&self, version: ApiVersion) -> bool {
        version == ApiVersion::Beta || !self.beta_only
    }

    /// Only strings, binaries and documents may be null unless the table says otherwise; only
    /// strings, enums, GUIDs and date-times are filtered and ordered on unless it says otherwise.
    pub const fn new(name: &'static str, column: &'static str, kind: Kind) -> Property {
        let comparable = matches!(
            kind,
            Kind::Guid | Kind::String(_) | Kind::Enum(_) | Kind::DateTime
        );
        Property {
            name,
            column,
            kind,
            nullable: matches!(kind, Kind::String(_) | Kind::Binary | Kind::Document(_)),
            beta_only: false,
            required: false,
            writable: !matches!(kind, Kind::Document(_)),
            filterable: comparable,
            orderable: comparable,
            selectable: true,
            secret: false,
            description: None,
            server_value: None,
            twin: false,
        }
    }

    /// A string property within [`TEXT`]'s limits.
    pub const fn text(name: &'static str, column: &'static str) -> Property {
        Property::new(name, column, Kind::String(TEXT))
    }

    pub const fn boolean(name: &'static str, column: &'static str) -> Property {
        Property::new(name, column, Kind::Boolean)
    }

    pub const fn date_time(name: &'static str, column: &'static str) -> Property {
        Property::new(name, column, Kind::DateTime)
    }

    /// A property whose values are the members of `enum_type`.
    pub const fn member(
        name: &'static str,
        column: &'static str,
        enum_type: &'static EnumType,
    ) -> Property {
        Property::new(name, column, Kind::Enum(enum_type))
    }

    /// A complex property: its members, each with a column of its own.
    pub const fn complex(name: &'static str, complex: &'static ComplexType) -> Property {
        Property {
            nullable: false,
            filterable: false,
            orderable: false,
            ..Property::new(name, "", Kind::Complex(complex))
        }
    }

    /// Which concrete type of an abstract set an entity is: `@odata.type` on the wire (without
    /// its `#` in the table), set from the body's annotation on create.
    pub const fn concrete_type() -> Property {
        Property {
            nullable: false,
            required: true,
            writable: false,
            filterable: false,
            orderable: false,
            selectable: false,
            ..Property::new(TYPE_ANNOTATION, "odata_type", Kind::String(TEXT))
        }
    }

    /// Set by the server only: a value a client sends is ignored.
    pub const fn read_only(self) -> Property {
        Property {
            writable: false,
            ..self
        }
    }

    /// Never null (a string is `""` when unset).
    pub const fn not_null(self) -> Property {
        Property {
            nullable: false,
            ..self
        }
    }

    /// The key: a GUID the server chooses.
    pub const fn key() -> Property {
        Property {
            writable: false,
            ..Property::new("id", "id", Kind::Guid)
        }
    }

    pub const fn beta(self) -> Property {
        Property {
            beta_only: true,
            ..self
        }
    }

    /// Set on create, never null, and (for a string) not empty.
    pub const fn required(self) -> Property {
        let kind = match self.kind {
            Kind::String(limits) => Kind::String(TextLimits {
                min_chars: 1,
                ..limits
            }),
            other => other,
        };
        Property {
            kind,
            required: true,
            nullable: false,
            ..self
        }
    }

    pub const fn described(self, description: &'static str) -> Property {
        Property {
            description: Some(description),
            ..self
        }
    }

    /// Written by the store as `value` says, beside what clients set.
    pub const fn server_value(self, value: ServerValue) -> Property {
        Property {
            server_value: Some(value),
            ..self
        }
    }

    /// Another name of the value of the property that owns `column` (see [`Property::twin`]).
    pub const fn twin(self) -> Property {
        Property { twin: true, ..self }
    }

    /// Written, never read back: not in answers, filters, orders or selections.
    pub const fn secret(self) -> Property {
        Property {
            secret: true,
            filterable: false,
            orderable: false,
            selectable: false,
            ..self
        }
    }
}

/// An entity set: its wire type, where its collection lives, its table and its properties (the key
/// first).
#[derive(Debug)]
pub struct EntitySet {
    /// The qualified wire type, e.g. `microsoft.graph.windowsAutopilotDeviceIdentity`.
    pub type_name: &'static str,
    /// What the type stands for, as the OpenAPI document describes it.
    pub description: &'static str,
    /// The collection's path below a root, e.g. `deviceManagement/windowsAutopilotDeviceIdentities`.
    pub path: &'static str,
    /// Served under `/beta` only; on `/v1.0` its path is an unknown segment.
    pub beta_only: bool,
    pub table: &'static str,
    pub properties: &'static [Property],
    /// Other names a root accepts for a property in request bodies.
    pub aliases: &'static [Alias],
    /// A unique index besides the key, as its name and its `ON CONFLICT` target.
    pub unique: Option<UniqueKey>,
    /// Columns the table keeps besides the properties' (workflow state), never on the wire.
    pub internal_columns: &'static [&'static str],
    /// The concrete types of an abstract set (empty when the set's type is concrete); the set then
    /// has a [`Property::concrete_type`].
    pub derived: &'static [DerivedType],
    /// The navigation properties `$expand` may inline (none: `$expand` is refused).
    pub expandable: &'static [Navigation],
    /// What Graph's URL grammar finds below the set's path.
    pub segments: Segments,
}

/// What Graph's URL grammar finds below an entity set's path besides `$count` and an item's key,
/// so that the parser of paths names no set.
#[derive(Debug, Clone, Copy)]
pub struct Segments {
    /// The path names one entity (a singleton): no key and no `$count` below it.
    pub singleton: bool,
    /// Actions bound to the collection (or to the singleton), e.g. `import`, `sync`.
    pub collection_actions: &'static [&'static str],
    /// What may follow an item's key, in the order it is tried.
    pub below_item: &'static [ItemSegment],
}

impl Segments {
    /// A collection of items with keys and nothing below them.
    pub const PLAIN: Segments = Segments {
        singleton: false,
        collection_actions: &[],
        below_item: &[],
    };
}

/// A segment that may follow an item's key.
#[derive(Debug, Clone, Copy)]
pub enum ItemSegment {
    /// A bound action, e.g. `assignUserToDevice`.
    Action(BoundAction),
    /// A navigation to one entity, e.g. `deploymentProfile`.
    Navigation(Navigation),
    /// A collection the item contains, whose members have keys, e.g. a profile's `assignments`.
    Contained(&'static str),
    /// A collection of another set's entities, read whole or by key, with what that set has below
    /// its items, e.g. a profile's `assignedDevices` (device identities).
    Related(&'static str, &'static EntitySet),
    /// Directory references, added with `$ref` and removed with `{key}/$ref`, e.g. `members`.
    References(&'static str),
}

/// An action bound to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundAction {
    pub name: &'static str,
    /// Served under `/beta` only; on `/v1.0` its name is an unknown segment.
    pub beta_only: bool,
}

impl BoundAction {
    pub fn exists_in(self, version: ApiVersion) -> bool {
        version == ApiVersion::Beta || !self.beta_only
    }
}

/// A navigation property that `$expand` can inline into an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Navigation {
    /// A deployment profile's `assignments`.
    ProfileAssignments,
    /// The deployment profile a device identity has (beta).
    DeploymentProfile,
    /// The deployment profile a device identity is about to have (beta).
    IntendedDeploymentProfile,
    /// An enrollment configuration's `assignments`.
    EnrollmentAssignments,
    /// A group's `members` (its first ones, as Graph expands them).
    GroupMembers,
    /// An Autopilot event's `policyStatusDetails` (beta).
    PolicyStatusDetails,
    /// A configuration policy's `settings` (beta).
    PolicySettings,
    /// A configuration policy's `assignments` (beta).
    PolicyAssignments,
}

impl Navigation {
    /// The property's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Navigation::ProfileAssignments
            | Navigation::EnrollmentAssignments
            | Navigation::PolicyAssignments => "assignments",
            Navigation::PolicySettings => "settings",
            Navigation::DeploymentProfile => "deploymentProfile",
            Navigation::IntendedDeploymentProfile => "intendedDeploymentProfile",
            Navigation::GroupMembers => "members",
            Navigation::PolicyStatusDetails => "policyStatusDetails",
        }
    }

    /// The entity set a navigation to one entity leads into (none for a contained collection).
    pub fn target(self) -> Option<&'static EntitySet> {
        match self {
            Navigation::DeploymentProfile | Navigation::IntendedDeploymentProfile => {
                Some(&super::deployment_profile::DEPLOYMENT_PROFILES)
            }
            Navigation::ProfileAssignments
            | Navigation::EnrollmentAssignments
            | Navigation::GroupMembers
            | Navigation::PolicyStatusDetails
            | Navigation::PolicySettings
            | Navigation::PolicyAssignments => None,
        }
    }

    /// Deployment profiles, Autopilot events and configuration policies, and so every navigation to or
    /// from them, exist on beta only; enrollment configurations, groups and their members are on both
    /// roots.
    pub fn exists_in(self, version: ApiVersion) -> bool {
        version == ApiVersion::Beta
            || matches!(
                self,
                Navigation::EnrollmentAssignments | Navigation::GroupMembers
            )
    }
}

/// A concrete type of an abstract entity set.
#[derive(Debug)]
pub struct DerivedType {
    pub type_name: &'static str,
    /// The properties only this type has.
    pub own: &'static [&'static str],
}

impl DerivedType {
    /// Whether an entity of this type has `property`.
    pub fn has(&self, set: &EntitySet, property: &Property) -> bool {
        self.own.contains(&property.name)
            || !set
                .derived
                .iter()
                .any(|other| other.own.contains(&property.name))
    }
}

/// A name that `version` also accepts for the property named `property` in request bodies.
#[derive(Debug)]
pub struct Alias {
    pub name: &'static str,
    pub property: &'static str,
    pub version: ApiVersion,
}

#[derive(Debug)]
pub struct UniqueKey {
    pub index: &'static str,
    pub conflict_target: &'static str,
    /// What a 409 says when a value clashes on this key.
    pub conflict_message: &'static str,
}

impl EntitySet {
    /// The type's name without its namespace, e.g. `windowsAutopilotDeviceIdentity`.
    pub fn short_name(&self) -> &'static str {
        self.type_name.rsplit('.').next().unwrap_or(self.type_name)
    }

    /// The key property.
    pub fn key(&self) -> &'static Property {
        &self.properties[0]
    }

    /// The concrete type named `name` (with or without `#`), for an abstract set.
    pub fn derived_type(&self, name: &str) -> Option<&'static DerivedType> {
        let derived: &'static [DerivedType] = self.derived;
        derived
            .iter()
            .find(|t| t.type_name == name.trim_start_matches('#'))
    }

    /// Looks a property up by its exact (case-sensitive) wire name.
    pub fn property(&self, name: &str) -> Option<&'static Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Looks a property up by its path: a name, or `complex/member` for a member of a complex one.
    pub fn property_at(&self, path: &str) -> Option<&'static Property> {
        match path.split_once('/') {
            None => self.property(path),
            Some((name, member)) => match self.property(name)?.kind {
                Kind::Complex(complex) => complex.properties.iter().find(|p| p.name == member),
                _ => None,
            },
        }
    }

    /// The properties that have a column, in order: every simple property, and in a complex one's
    /// place its members, twins left out. An [`Entity`] holds one value for each.
    pub fn columns(&self) -> impl Iterator<Item = &'static Property> + use<> {
        let properties: &'static [Property] = self.properties;
        properties
            .iter()
            .flat_map(|p| match p.kind {
                Kind::Complex(complex) => complex.properties.iter(),
                _ => std::slice::from_ref(p).iter(),
            })
            .filter(|p| !p.twin)
    }

    /// The property that owns the column `property` reads: itself, or a twin's owner.
    pub fn owner(&self, property: &'static Property) -> &'static Property {
        if !property.twin {
            return property;
        }
        self.columns()
            .find(|p| p.column == property.column)
            .expect("a twin's column has an owner in its set")
    }

    /// Where `property` sits in a body: its name, or `complex.member` for a member of a complex one.
    pub fn wire_path(&self, property: &Property) -> String {
        self.properties
            .iter()
            .find_map(|p| match p.kind {
                Kind::Complex(complex) => complex
                    .properties
                    .iter()
                    .any(|m| std::ptr::eq(m, property))
                    .then(|| format!("{}.{}", p.name, property.name)),
                _ => None,
            })
            .unwrap_or_else(|| property.name.to_owned())
    }

    fn position(&self, property: &Property) -> usize {
        self.columns()
            .position(|p| p.column == property.column)
            .expect("the property has a column of this entity set")
    }
}

/// The value of one property.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Guid(Uuid),
    /// Strings and enum members alike: enums travel and are stored as their camelCase member.
    Text(String),
    DateTime(DateTime<Utc>),
    Int32(i32),
    Int64(i64),
    Bool(bool),
    Duration(TimeDelta),
    Bytes(Vec<u8>),
    Texts(Vec<String>),
    /// A [`Kind::Document`]'s value.
    Document(serde_json::Value),
}

/// A stored entity: one value per column of its set, in [`EntitySet::columns`] order (a secret one
/// is never read back and holds [`Value::Null`]).
#[derive(Debug, Clone)]
pub struct Entity {
    pub set: &'static EntitySet,
    pub values: Vec<Value>,
}

impl Entity {
    /// The entity's concrete type, for a set that has several.
    pub fn derived_type(&self) -> Option<&'static DerivedType> {
        let discriminator = self.set.property(TYPE_ANNOTATION)?;
        match self.get(discriminator) {
            Value::Text(name) => self.set.derived_type(name),
            _ => None,
        }
    }

    pub fn id(&self) -> Uuid {
        match self.values[0] {
            Value::Guid(id) => id,
            ref other => unreachable!("the first property is the Guid key, not {other:?}"),
        }
    }

    /// The value of one property of the set that has a column.
    pub fn get(&self, property: &Property) -> &Value {
        &self.values[self.set.position(property)]
    }
}

/// A property a request sets, already checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyValue {
    pub property: &'static Property,
    pub value: Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters_and_refuse_nul() {
        let limits = TextLimits {
            min_chars: 1,
            max_chars: 3,
        };
        assert_eq!(limits.check("été"), Ok(()));
        assert_eq!(limits.check(""), Err(TextProblem::Empty));
        assert_eq!(
            limits.check("abcd"),
            Err(TextProblem::TooLong { max_chars: 3 })
        );
        assert_eq!(limits.check("a\0"), Err(TextProblem::Nul));
        assert_eq!(TEXT.check(""), Ok(()));
    }

    #[test]
    fn required_strings_must_not_be_empty_nor_null() {
        let serial = Property::new("serialNumber", "serial_number", Kind::String(TEXT)).required();
        assert!(!serial.nullable && serial.required);
        assert_eq!(
            serial.kind,
            Kind::String(TextLimits {
                min_chars: 1,
                max_chars: 1024
            })
        );
    }

    #[test]
    fn every_twin_shares_the_column_of_one_owner_of_its_kind() {
        for set in super::super::ENTITY_SETS
            .iter()
            .chain(&super::super::CONTAINED_SETS)
        {
            let twins = set.properties.iter().flat_map(|p| match p.kind {
                Kind::Complex(complex) => complex.properties.iter(),
                _ => std::slice::from_ref(p).iter(),
            });
            for twin in twins.filter(|p| p.twin) {
                let owners: Vec<_> = set.columns().filter(|p| p.column == twin.column).collect();
                let [owner] = owners[..] else {
                    panic!("{}: {} has {} owners", set.table, twin.name, owners.len());
                };
                assert_eq!(owner.kind, twin.kind, "{}.{}", set.table, twin.name);
                assert_eq!(owner.nullable, twin.nullable, "{}.{}", set.table, twin.name);
                assert!(std::ptr::eq(set.owner(twin), owner));
            }
        }
    }

    #[test]
    fn secrets_are_not_queryable() {
        let secret = Property::new("p", "p", Kind::String(TEXT)).secret();
        assert!(secret.writable && !secret.filterable && !secret.orderable && !secret.selectable);
    }
}
