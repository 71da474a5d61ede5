//! OpenAPI schemas of the Graph types. The entity and action schemas are built from the same
//! entity-set and parameter tables that validation reads, so the document states what the service
//! enforces (maxLength, enum members, date-time, a non-empty serialNumber, the `$top` and `$skip`
//! limits). Only the need for a required property on create is left to its description: the
//! entity schema also describes PATCH bodies and `$select`ed responses, which may lack it.
//!
//! One document describes both roots; beta's schemas differ (more properties, more enum members),
//! so they carry a `beta.` prefix: `beta.microsoft.graph.windowsAutopilotDeviceIdentity`, and a
//! title of their own (`windowsAutopilotDeviceIdentity (beta)`), as client generators name their
//! classes after titles.
//!
//! An abstract set (one with derived types) is described as Microsoft's document describes it: an
//! abstract base (`<type>.abstract`) with the properties every type has, and each derived type as
//! `allOf` over it with its own. The set's type itself (what bodies, pages and navigations refer
//! to) is `oneOf` the derived types, told apart by `@odata.type`.
//!
//! Two passes over the registered document add what follows from the routes as a whole: every
//! set's navigation properties, typed as the `GET` of their path answers, and Microsoft's
//! `x-ms-pageable` on every `GET` that answers a page.

use std::borrow::Cow;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ArrayBuilder, Discriminator, KnownFormat, ObjectBuilder,
    OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::domain::autopilot_event::{AUTOPILOT_EVENTS, POLICY_STATUS_DETAILS};
use crate::domain::configuration_policy::{
    CHOICE_INSTANCE, CHOICE_VALUE, COLLECTION_INSTANCE, CONFIGURATION_POLICIES, INTEGER_VALUE,
    SETTING_TYPE, SIMPLE_INSTANCE, STRING_VALUE,
};
use crate::domain::corporate_identifier::{CORPORATE_IDENTIFIERS, MAX_IDENTIFIERS_PER_REQUEST};
use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::device_identity::DeviceAction;
use crate::domain::directory::{DIRECTORY_DEVICES, GROUPS};
use crate::domain::enrollment_configuration::{
    ENROLLMENT_CONFIGURATIONS, EnrollmentTarget, FILTER_TYPE as ENROLLMENT_FILTER_TYPE,
};
use crate::domain::entity::{
    ComplexType, DerivedType, EntitySet, EnumType, FORBIDDEN_IN_TEXT, ItemSegment, Kind, Property,
    TEXT, TYPE_ANNOTATION, TextLimits,
};
use crate::domain::imported_identity::IMPORTED_IDENTITIES;
use crate::domain::managed_device::MANAGED_DEVICES;
use crate::domain::mobile_app::MOBILE_APPS;
use crate::domain::principals::{SERVICE_PRINCIPALS, USERS};
use crate::domain::profile_assignment::{ASSIGNMENT_SOURCE, AssignmentTarget};
use crate::domain::settings::AUTOPILOT_SETTINGS;
use crate::domain::{ApiVersion, ENTITY_SETS};
use crate::graph::configuration_policy::{
    MEMBERSHIP_TARGETS_PARAMETER, POLICY_ASSIGN_PARAMETER, POLICY_ASSIGNMENT_TYPE,
    STATIC_SECURITY_GROUP,
};
use crate::graph::corporate_identifier::{LIST_PARAMETER, OVERWRITE_PARAMETER, RESULT_TYPE};
use crate::graph::enrollment_assignment::{
    ASSIGN_PARAMETER, ENROLLMENT_ASSIGNMENT_TYPE, MAX_ASSIGN,
};
use crate::graph::import::{IMPORT_PARAMETER, MAX_IMPORT};
use crate::graph::odata::options::{MAX_PAGE, MAX_SKIP};
use crate::graph::profile_assignment::{ASSIGNMENT_TYPE, FILTER_ID, FILTER_TYPE, NO_FILTER};

/// Microsoft's tag for the device identity operations.
pub const DEVICE_IDENTITIES_TAG: &str = "deviceManagement.windowsAutopilotDeviceIdentity";
/// Microsoft's tag for the Autopilot settings operations.
pub const SETTINGS_TAG: &str = "deviceManagement.windowsAutopilotSettings";
/// Microsoft's tag for the deployment profile operations.
pub const PROFILES_TAG: &str = "deviceManagement.windowsAutopilotDeploymentProfile";
/// Microsoft's tags for the directory operations.
pub const DEVICES_TAG: &str = "devices.device";
pub const GROUPS_TAG: &str = "groups.group";
pub const USERS_TAG: &str = "users.user";
pub const SERVICE_PRINCIPALS_TAG: &str = "servicePrincipals.servicePrincipal";
/// The tag of `$batch`, which Microsoft's Intune document does not describe.
pub const BATCH_TAG: &str = "batch";
/// Microsoft's tag for the enrollment configuration operations.
pub const ENROLLMENT_TAG: &str = "deviceManagement.deviceEnrollmentConfiguration";
/// Microsoft's tag for the mobile app operations.
pub const MOBILE_APPS_TAG: &str = "deviceAppManagement.mobileApp";
/// Microsoft's tag for the Autopilot event operations.
pub const AUTOPILOT_EVENTS_TAG: &str = "deviceManagement.deviceManagementAutopilotEvent";
/// Microsoft's tag for the managed device operations.
pub const MANAGED_DEVICES_TAG: &str = "deviceManagement.managedDevice";
/// Microsoft's tag for the configuration policy operations.
pub const CONFIGURATION_POLICIES_TAG: &str = "deviceManagement.deviceManagementConfigurationPolicy";
/// Microsoft's tag for the imported identity operations.
pub const IMPORTED_TAG: &str = "deviceManagement.importedWindowsAutopilotDeviceIdentity";
/// Microsoft's tag for the corporate identifier operations (beta).
pub const CORPORATE_IDENTIFIERS_TAG: &str = "deviceManagement.importedDeviceIdentity";

/// Strings never hold [`FORBIDDEN_IN_TEXT`] (U+0000, which PostgreSQL text cannot).
const NO_NUL: &str = "^[^\\u0000]*$";
/// What `parse_duration` accepts: ISO-8601 days, hours, minutes and seconds.
const DURATION: &str = "^-?P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?$";
/// What `GraphDateTime::parse` accepts: an explicit offset and at most seven fractional digits.
const DATE_TIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,7})?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// The component name of a Graph type on a root.
fn component(version: ApiVersion, name: &str) -> String {
    match version {
        ApiVersion::V1 => name.to_owned(),
        ApiVersion::Beta => format!("beta.{name}"),
    }
}

/// The title of a Graph type on a root, unique in the document: `enrollmentState` on v1.0,
/// `enrollmentState (beta)` on beta.
fn title(version: ApiVersion, name: &str) -> String {
    let short = name.trim_start_matches("microsoft.graph.");
    match version {
        ApiVersion::V1 => short.to_owned(),
        ApiVersion::Beta => format!("{short} (beta)"),
    }
}

/// The component of the abstract base of a set with derived types.
fn abstract_component(set: &EntitySet, version: ApiVersion) -> String {
    format!("{}.abstract", component(version, set.type_name))
}

fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn enum_schema(enum_type: &EnumType, version: ApiVersion) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .title(Some(title(version, enum_type.name)))
        .enum_values(Some(enum_type.members_on(version)))
        .into()
}

/// A scalar's type, with null beside it where the property may be null.
fn scalar_type(scalar: Type, nullable: bool) -> SchemaType {
    if nullable {
        SchemaType::from_iter([scalar, Type::Null])
    } else {
        SchemaType::new(scalar)
    }
}

/// A string value as validation takes it: within `limits`, no NUL.
fn string_schema(limits: TextLimits, nullable: bool) -> ObjectBuilder {
    debug_assert_eq!(FORBIDDEN_IN_TEXT, '\0', "NO_NUL states this character");
    let min_length = (limits.min_chars > 0).then_some(limits.min_chars as usize);
    ObjectBuilder::new()
        .schema_type(scalar_type(Type::String, nullable))
        .max_length(Some(limits.max_chars as usize))
        .min_length(min_length)
        .pattern(Some(NO_NUL))
}

/// A reference to a named schema, or null where the property may be null: generated clients
/// otherwise refuse the null Graph sends (an enum member of no value, an absent complex value).
fn reference_or_null(name: &str, nullable: bool) -> RefOr<Schema> {
    if !nullable {
        return reference(name);
    }
    AnyOfBuilder::new()
        .item(reference(name))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

fn property_schema(property: &Property, version: ApiVersion) -> RefOr<Schema> {
    match property.kind {
        Kind::Enum(enum_type) => {
            reference_or_null(&component(version, enum_type.name), property.nullable)
        }
        Kind::DateTime => ObjectBuilder::new()
            .schema_type(scalar_type(Type::String, property.nullable))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .pattern(Some(DATE_TIME))
            .into(),
        Kind::Guid => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .read_only(true)
            .into(),
        Kind::Int32 => ObjectBuilder::new()
            .schema_type(scalar_type(Type::Integer, property.nullable))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .read_only(!property.writable)
            .into(),
        Kind::Int64 => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .read_only(!property.writable)
            .into(),
        Kind::Document(type_name) => match type_name.strip_prefix("Collection(") {
            Some(_) => ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::Object))
                .description(Some(type_name))
                .into(),
            None => ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
                .description(Some(type_name))
                .read_only(true)
                .into(),
        },
        Kind::Boolean => ObjectBuilder::new()
            .schema_type(scalar_type(Type::Boolean, property.nullable))
            .read_only(!property.writable)
            .into(),
        Kind::Duration => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("duration".to_owned())))
            .pattern(Some(DURATION))
            .read_only(!property.writable)
            .into(),
        Kind::Strings(limits) => ArrayBuilder::new()
            .items(string_schema(limits, false))
            .into(),
        Kind::Binary => ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .format(Some(SchemaFormat::Custom("base64url".to_owned())))
            .into(),
        Kind::Complex(complex) => {
            reference_or_null(&component(version, complex.name), property.nullable)
        }
        Kind::String(limits) => {
            let mut schema = string_schema(limits, property.nullable);
            if let Some(description) = property.description {
                schema = schema.description(Some(description));
            }
            if property.secret {
                schema = schema.write_only(true);
            }
            if !property.writable {
                schema = schema.read_only(true);
            }
            schema.into()
        }
    }
}

/// The schema of `set`'s type on a root: `microsoft.graph.entity` (the key) and every other
/// property of that root; for a set with derived types, `oneOf` them.
///
/// No property is `required`, as in Microsoft's document: the schema describes PATCH bodies (any
/// subset) and `$select`ed responses (only the selected properties) too. That a create needs a
/// property is said in its description. Only `@odata.type` is, where a set has derived types: the
/// service requires it on create and always writes it.
fn entity_schema(set: &EntitySet, version: ApiVersion) -> Schema {
    if !set.derived.is_empty() {
        return derived_types_schema(set, version);
    }
    AllOfBuilder::new()
        .item(reference("microsoft.graph.entity"))
        .item(
            own_properties(set, version, set.short_name(), |_| true)
                .description(Some(set.description)),
        )
        .into()
}

/// An object titled after `type_name` on `version` with the properties of `set` that `owns` picks.
fn own_properties(
    set: &EntitySet,
    version: ApiVersion,
    type_name: &str,
    owns: impl Fn(&Property) -> bool,
) -> ObjectBuilder {
    let mut own = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title(version, type_name)));
    for property in set.properties[1..]
        .iter()
        .filter(|p| p.exists_in(version) && p.name != TYPE_ANNOTATION && owns(p))
    {
        own = own.property(property.name, property_schema(property, version));
    }
    own
}

/// Whether some derived type of `set` has `property` as its own.
fn owned_by_a_derived_type(set: &EntitySet, property: &Property) -> bool {
    set.derived.iter().any(|t| t.own.contains(&property.name))
}

/// `@odata.type` on the wire: `#` and the qualified name.
fn type_annotation(derived: &DerivedType) -> String {
    format!("#{}", derived.type_name)
}

/// How `@odata.type` names the schema of each derived type of `set`.
fn discriminator(set: &EntitySet, version: ApiVersion) -> Discriminator {
    let mut discriminator = Discriminator::new(TYPE_ANNOTATION);
    for derived in set.derived {
        discriminator.mapping.insert(
            type_annotation(derived),
            format!(
                "#/components/schemas/{}",
                component(version, derived.type_name)
            ),
        );
    }
    discriminator
}

/// A set with derived types: an entity is one of them, as its `@odata.type` says.
fn derived_types_schema(set: &EntitySet, version: ApiVersion) -> Schema {
    let mut one_of = OneOfBuilder::new()
        .description(Some(format!(
            "{}: one of its types, as `@odata.type` names it.",
            set.description
        )))
        .discriminator(Some(discriminator(set, version)));
    for derived in set.derived {
        one_of = one_of.item(reference(&component(version, derived.type_name)));
    }
    one_of.into()
}

/// The abstract base of a set with derived types: the key and the properties every type has.
fn abstract_schema(set: &EntitySet, version: ApiVersion) -> Schema {
    let own = own_properties(set, version, set.short_name(), |p| {
        !owned_by_a_derived_type(set, p)
    })
    .description(Some(format!(
        "{}: abstract, every entity is of one of its derived types.",
        set.description
    )))
    .property(
        TYPE_ANNOTATION,
        ObjectBuilder::new().schema_type(Type::String),
    )
    .required(TYPE_ANNOTATION);
    AllOfBuilder::new()
        .item(reference("microsoft.graph.entity"))
        .item(own)
        .into()
}

/// A derived type of an abstract set: the base, its own properties, and its `@odata.type`.
fn derived_schema(set: &EntitySet, derived: &DerivedType, version: ApiVersion) -> Schema {
    let annotation = type_annotation(derived);
    let own = own_properties(set, version, derived.type_name, |p| {
        derived.own.contains(&p.name)
    })
    .property(
        TYPE_ANNOTATION,
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some([annotation.clone()]))
            .default(Some(annotation.into())),
    )
    .required(TYPE_ANNOTATION);
    AllOfBuilder::new()
        .item(reference(&abstract_component(set, version)))
        .item(own)
        .into()
}

/// A complex type's schema: its members.
fn complex_schema(complex: &ComplexType, version: ApiVersion) -> Schema {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title(version, complex.name)));
    for member in complex.properties.iter().filter(|p| p.exists_in(version)) {
        object = object.property(member.name, property_schema(member, version));
    }
    object.into()
}

/// The enum and complex-type components an entity schema of `set` on `version` refers to.
fn enum_components(set: &EntitySet, version: ApiVersion) -> Vec<(String, RefOr<Schema>)> {
    let mut components: Vec<(String, RefOr<Schema>)> = Vec::new();
    for property in set.properties.iter().filter(|p| p.exists_in(version)) {
        if let Kind::Complex(complex) = property.kind {
            components.push((
                component(version, complex.name),
                complex_schema(complex, version).into(),
            ));
        }
    }
    for property in set.columns().filter(|p| p.exists_in(version)) {
        if let Kind::Enum(enum_type) = property.kind {
            let name = component(version, enum_type.name);
            if components.iter().all(|(known, _)| *known != name) {
                components.push((name, enum_schema(enum_type, version).into()));
            }
        }
    }
    components
}

fn entity_base() -> (String, RefOr<Schema>) {
    let id = ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .read_only(true)
        .description(Some("The unique identifier for an entity. Read-only."));
    let schema = ObjectBuilder::new()
        .title(Some("entity"))
        .property("id", id)
        .into();
    ("microsoft.graph.entity".to_owned(), schema)
}

/// The component of a page of a collection of the type `item_type`: a name ending in
/// `CollectionResponse`, by which the document marks the operations that answer one pageable.
fn page_component(version: ApiVersion, item_type: &str) -> String {
    component(version, &format!("{item_type}CollectionResponse"))
}

fn collection_schema(set: &EntitySet, version: ApiVersion) -> Schema {
    page_schema(version, set.type_name)
}

/// A page of a collection of `item_type` (Graph's `BaseCollectionPaginationCountResponse`): the
/// items, their count when asked for, and the link to the next page when there is one.
fn page_schema(version: ApiVersion, item_type: &str) -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let short = item_type.trim_start_matches("microsoft.graph.");
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title(version, &format!("Collection of {short}"))))
        .property("@odata.context", string())
        .property(
            "@odata.count",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        )
        .property(
            "value",
            ArrayBuilder::new().items(reference(&component(version, item_type))),
        )
        .property(
            "@odata.nextLink",
            string().format(Some(SchemaFormat::Custom("uri".to_owned()))),
        )
        .required("value")
        .into()
}

/// The body of an action with parameters.
fn parameters_schema(action: DeviceAction, version: ApiVersion) -> Schema {
    let mut object = ObjectBuilder::new();
    for (name, required, property) in action.parameter_names(version) {
        let limits = match property.kind {
            Kind::String(limits) => limits,
            _ => unreachable!("action parameters set string properties"),
        };
        let mut schema = string_schema(limits, !required);
        if required {
            schema = schema.min_length(Some(1));
            object = object.required(name);
        }
        object = object.property(name, schema);
    }
    object.into()
}

/// The body of a managed device's remote action on a root: its parameters, each nullable.
fn device_action_body_schema(action: &str, version: ApiVersion) -> Schema {
    let mut object = ObjectBuilder::new();
    for (name, boolean) in crate::graph::managed_device::parameter_names(action, version) {
        let schema = match boolean {
            true => {
                ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Boolean, Type::Null]))
            }
            false => string_schema(TEXT, true),
        };
        object = object.property(name, schema);
    }
    object.into()
}

/// A schema component that stands for a Graph type on one root.
macro_rules! graph_schema {
    ($(#[$doc:meta])* $marker:ident, $name:expr, $schema:expr, $dependencies:expr) => {
        $(#[$doc])*
        pub struct $marker;

        impl PartialSchema for $marker {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $marker {
            fn name() -> Cow<'static, str> {
                Cow::Owned($name)
            }

            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                schemas.extend($dependencies);
            }
        }
    };
}

/// The components the schema of `set`'s type refers to: the key's, the enums and complex types,
/// and for a set with derived types, its abstract base and the derived types.
fn entity_dependencies(set: &EntitySet, version: ApiVersion) -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = vec![entity_base()];
    if !set.derived.is_empty() {
        schemas.push((
            abstract_component(set, version),
            abstract_schema(set, version).into(),
        ));
        for derived in set.derived {
            schemas.push((
                component(version, derived.type_name),
                derived_schema(set, derived, version).into(),
            ));
        }
    }
    schemas.extend(enum_components(set, version));
    schemas
}

fn collection_dependencies(set: &EntitySet, version: ApiVersion) -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = vec![(
        component(version, set.type_name),
        entity_schema(set, version).into(),
    )];
    schemas.extend(entity_dependencies(set, version));
    schemas
}

/// The entity and collection-page schemas of an entity set on both roots.
macro_rules! entity_set_schemas {
    ($set:expr, $entity_v1:ident, $entity_beta:ident, $page_v1:ident, $page_beta:ident) => {
        graph_schema!(
            /// The entity type (v1.0).
            $entity_v1,
            component(ApiVersion::V1, $set.type_name),
            entity_schema(&$set, ApiVersion::V1),
            entity_dependencies(&$set, ApiVersion::V1)
        );
        graph_schema!(
            /// The entity type (beta).
            $entity_beta,
            component(ApiVersion::Beta, $set.type_name),
            entity_schema(&$set, ApiVersion::Beta),
            entity_dependencies(&$set, ApiVersion::Beta)
        );
        graph_schema!(
            /// A page of the collection (v1.0).
            $page_v1,
            page_component(ApiVersion::V1, $set.type_name),
            collection_schema(&$set, ApiVersion::V1),
            collection_dependencies(&$set, ApiVersion::V1)
        );
        graph_schema!(
            /// A page of the collection (beta).
            $page_beta,
            page_component(ApiVersion::Beta, $set.type_name),
            collection_schema(&$set, ApiVersion::Beta),
            collection_dependencies(&$set, ApiVersion::Beta)
        );
    };
}

entity_set_schemas!(
    DEVICE_IDENTITIES,
    DeviceIdentityV1,
    DeviceIdentityBeta,
    DeviceIdentityPageV1,
    DeviceIdentityPageBeta
);
entity_set_schemas!(
    DIRECTORY_DEVICES,
    DirectoryDeviceV1,
    DirectoryDeviceBeta,
    DirectoryDevicePageV1,
    DirectoryDevicePageBeta
);
entity_set_schemas!(GROUPS, GroupV1, GroupBeta, GroupPageV1, GroupPageBeta);
entity_set_schemas!(USERS, UserV1, UserBeta, UserPageV1, UserPageBeta);
entity_set_schemas!(
    SERVICE_PRINCIPALS,
    ServicePrincipalV1,
    ServicePrincipalBeta,
    ServicePrincipalPageV1,
    ServicePrincipalPageBeta
);
graph_schema!(
    /// `beta.microsoft.graph.windowsAutopilotSettings` (beta only).
    AutopilotSettingsBeta,
    component(ApiVersion::Beta, AUTOPILOT_SETTINGS.type_name),
    entity_schema(&AUTOPILOT_SETTINGS, ApiVersion::Beta),
    entity_dependencies(&AUTOPILOT_SETTINGS, ApiVersion::Beta)
);
graph_schema!(
    /// `beta.microsoft.graph.windowsAutopilotDeploymentProfile` (beta only): one of its two types.
    DeploymentProfileBeta,
    component(ApiVersion::Beta, DEPLOYMENT_PROFILES.type_name),
    entity_schema(&DEPLOYMENT_PROFILES, ApiVersion::Beta),
    entity_dependencies(&DEPLOYMENT_PROFILES, ApiVersion::Beta)
);
graph_schema!(
    /// A page of deployment profiles (beta only).
    DeploymentProfilePageBeta,
    page_component(ApiVersion::Beta, DEPLOYMENT_PROFILES.type_name),
    collection_schema(&DEPLOYMENT_PROFILES, ApiVersion::Beta),
    collection_dependencies(&DEPLOYMENT_PROFILES, ApiVersion::Beta)
);
graph_schema!(
    /// `beta.microsoft.graph.deviceManagementAutopilotEvent` (beta only).
    AutopilotEventBeta,
    component(ApiVersion::Beta, AUTOPILOT_EVENTS.type_name),
    entity_schema(&AUTOPILOT_EVENTS, ApiVersion::Beta),
    entity_dependencies(&AUTOPILOT_EVENTS, ApiVersion::Beta)
);
graph_schema!(
    /// A page of Autopilot events (beta only).
    AutopilotEventPageBeta,
    page_component(ApiVersion::Beta, AUTOPILOT_EVENTS.type_name),
    collection_schema(&AUTOPILOT_EVENTS, ApiVersion::Beta),
    collection_dependencies(&AUTOPILOT_EVENTS, ApiVersion::Beta)
);
graph_schema!(
    /// `beta.microsoft.graph.deviceManagementAutopilotPolicyStatusDetail` (beta only).
    PolicyStatusDetailBeta,
    component(ApiVersion::Beta, POLICY_STATUS_DETAILS.type_name),
    entity_schema(&POLICY_STATUS_DETAILS, ApiVersion::Beta),
    entity_dependencies(&POLICY_STATUS_DETAILS, ApiVersion::Beta)
);
graph_schema!(
    /// A page of an Autopilot event's policy status details (beta only).
    PolicyStatusDetailPageBeta,
    page_component(ApiVersion::Beta, POLICY_STATUS_DETAILS.type_name),
    collection_schema(&POLICY_STATUS_DETAILS, ApiVersion::Beta),
    collection_dependencies(&POLICY_STATUS_DETAILS, ApiVersion::Beta)
);
graph_schema!(
    /// `beta.microsoft.graph.importedDeviceIdentity` (beta only).
    CorporateIdentifierBeta,
    component(ApiVersion::Beta, CORPORATE_IDENTIFIERS.type_name),
    entity_schema(&CORPORATE_IDENTIFIERS, ApiVersion::Beta),
    entity_dependencies(&CORPORATE_IDENTIFIERS, ApiVersion::Beta)
);
graph_schema!(
    /// A page of corporate identifiers (beta only).
    CorporateIdentifierPageBeta,
    page_component(ApiVersion::Beta, CORPORATE_IDENTIFIERS.type_name),
    collection_schema(&CORPORATE_IDENTIFIERS, ApiVersion::Beta),
    collection_dependencies(&CORPORATE_IDENTIFIERS, ApiVersion::Beta)
);

/// The body of `importDeviceIdentityList` (with the overwrite flag) or `searchExistingIdentities`.
fn identifier_list_schema(with_overwrite: bool) -> Schema {
    let mut object = ObjectBuilder::new()
        .property(
            LIST_PARAMETER,
            ArrayBuilder::new()
                .items(reference(&component(
                    ApiVersion::Beta,
                    CORPORATE_IDENTIFIERS.type_name,
                )))
                .max_items(Some(MAX_IDENTIFIERS_PER_REQUEST)),
        )
        .required(LIST_PARAMETER);
    if with_overwrite {
        object = object.property(
            OVERWRITE_PARAMETER,
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Boolean, Type::Null]))
                .description(Some(
                    "Replace the identifiers the tenant has (default false: they are reported \
                     with status false).",
                )),
        );
    }
    object.into()
}

/// `beta.microsoft.graph.importedDeviceIdentityResult`: an identifier and whether the import
/// stored it.
fn identifier_result_schema() -> Schema {
    AllOfBuilder::new()
        .item(reference(&component(
            ApiVersion::Beta,
            CORPORATE_IDENTIFIERS.type_name,
        )))
        .item(
            ObjectBuilder::new()
                .property(
                    TYPE_ANNOTATION,
                    ObjectBuilder::new().schema_type(Type::String),
                )
                .property(
                    "status",
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .description(Some("Whether this import stored the identifier.")),
                ),
        )
        .title(Some(title(ApiVersion::Beta, RESULT_TYPE)))
        .into()
}

/// The answer of an action that lists identifiers: `value`, of `item` schemas.
fn identifier_answer_schema(item: &str) -> Schema {
    ObjectBuilder::new()
        .property(
            "@odata.context",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .property("value", ArrayBuilder::new().items(reference(item)))
        .required("value")
        .into()
}

graph_schema!(
    /// The body of `importDeviceIdentityList` (beta only).
    ImportIdentifierListBody,
    component(ApiVersion::Beta, "importDeviceIdentityListRequestBody"),
    identifier_list_schema(true),
    collection_dependencies(&CORPORATE_IDENTIFIERS, ApiVersion::Beta)
);
graph_schema!(
    /// The answer of `importDeviceIdentityList` (beta only).
    ImportIdentifierListResponse,
    component(ApiVersion::Beta, "importDeviceIdentityListResponse"),
    identifier_answer_schema(&component(ApiVersion::Beta, RESULT_TYPE)),
    [(
        component(ApiVersion::Beta, RESULT_TYPE),
        identifier_result_schema().into()
    )]
);
graph_schema!(
    /// The body of `searchExistingIdentities` (beta only).
    SearchIdentifiersBody,
    component(ApiVersion::Beta, "searchExistingIdentitiesRequestBody"),
    identifier_list_schema(false),
    collection_dependencies(&CORPORATE_IDENTIFIERS, ApiVersion::Beta)
);
graph_schema!(
    /// The answer of `searchExistingIdentities` (beta only).
    SearchIdentifiersResponse,
    component(ApiVersion::Beta, "searchExistingIdentitiesResponse"),
    identifier_answer_schema(&component(ApiVersion::Beta, CORPORATE_IDENTIFIERS.type_name)),
    []
);
entity_set_schemas!(
    IMPORTED_IDENTITIES,
    ImportedIdentityV1,
    ImportedIdentityBeta,
    ImportedIdentityPageV1,
    ImportedIdentityPageBeta
);

entity_set_schemas!(
    ENROLLMENT_CONFIGURATIONS,
    EnrollmentConfigurationV1,
    EnrollmentConfigurationBeta,
    EnrollmentConfigurationPageV1,
    EnrollmentConfigurationPageBeta
);
entity_set_schemas!(
    MANAGED_DEVICES,
    ManagedDeviceV1,
    ManagedDeviceBeta,
    ManagedDevicePageV1,
    ManagedDevicePageBeta
);
graph_schema!(
    /// The parameters of a managed device's `wipe` (v1.0).
    WipeBodyV1,
    "wipeRequestBody".to_owned(),
    device_action_body_schema("wipe", ApiVersion::V1),
    []
);
graph_schema!(
    /// The parameters of a managed device's `wipe` (beta).
    WipeBodyBeta,
    component(ApiVersion::Beta, "wipeRequestBody"),
    device_action_body_schema("wipe", ApiVersion::Beta),
    []
);
graph_schema!(
    /// The parameters of a managed device's `cleanWindowsDevice`.
    CleanWindowsDeviceBody,
    "cleanWindowsDeviceRequestBody".to_owned(),
    device_action_body_schema("cleanWindowsDevice", ApiVersion::V1),
    []
);
graph_schema!(
    /// The parameters of a managed device's `setDeviceName` (beta only).
    SetDeviceNameBody,
    component(ApiVersion::Beta, "setDeviceNameRequestBody"),
    device_action_body_schema("setDeviceName", ApiVersion::Beta),
    []
);
entity_set_schemas!(
    MOBILE_APPS,
    MobileAppV1,
    MobileAppBeta,
    MobileAppPageV1,
    MobileAppPageBeta
);

/// An enrollment configuration's assignment on a root: its id, its target with its assignment
/// filter, and (beta) where it comes from.
fn enrollment_assignment_schema(version: ApiVersion) -> Schema {
    let mut object = ObjectBuilder::new()
        .title(Some(title(version, ENROLLMENT_ASSIGNMENT_TYPE)))
        .description(Some(
            "An enrollment configuration's assignment. The id is {configurationId}_{groupId}, \
             with acacacac-9df4-4c7d-9d50-4ef0226f57a9 for all licensed users and \
             adadadad-808e-44e2-905a-0b7873a8a531 for all devices; a create needs target.",
        ))
        .property("id", text().read_only(true))
        .property(
            "target",
            reference(&component(version, ENROLLMENT_TARGET_TYPE)),
        );
    if version == ApiVersion::Beta {
        object = object
            .property(
                "source",
                reference(&component(version, ASSIGNMENT_SOURCE.name)),
            )
            .property("sourceId", string_schema(TEXT, true));
    }
    object.into()
}

/// Graph's base type of targets, as enrollment configurations take them (four types, filters).
const ENROLLMENT_TARGET_TYPE: &str = "microsoft.graph.enrollmentAssignmentTarget";

fn enrollment_target_schema(version: ApiVersion) -> Schema {
    ObjectBuilder::new()
        .title(Some(title(version, ENROLLMENT_TARGET_TYPE)))
        .property(
            TYPE_ANNOTATION,
            text().enum_values(Some(EnrollmentTarget::TYPES.map(|t| format!("#{t}")))),
        )
        .property(
            FILTER_ID,
            string_schema(TEXT, true)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .description(Some("The assignment filter's id, checked for its form.")),
        )
        .property(
            FILTER_TYPE,
            text().enum_values(Some(ENROLLMENT_FILTER_TYPE.members.iter().copied())),
        )
        .property(
            "groupId",
            text()
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .description(Some(
                    "The group a group or exclusion-group target names; the other targets have \
                     none.",
                )),
        )
        .required(TYPE_ANNOTATION)
        .into()
}

fn enrollment_assignment_dependencies(version: ApiVersion) -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = vec![
        (
            component(version, ENROLLMENT_ASSIGNMENT_TYPE),
            enrollment_assignment_schema(version).into(),
        ),
        (
            component(version, ENROLLMENT_TARGET_TYPE),
            enrollment_target_schema(version).into(),
        ),
    ];
    if version == ApiVersion::Beta {
        schemas.push((
            component(version, ASSIGNMENT_SOURCE.name),
            enum_schema(&ASSIGNMENT_SOURCE, version).into(),
        ));
    }
    schemas
}

/// The body of `assign`: the assignments that replace the configuration's.
fn assign_body_schema(version: ApiVersion) -> Schema {
    ObjectBuilder::new()
        .property(
            ASSIGN_PARAMETER,
            ArrayBuilder::new()
                .items(reference(&component(version, ENROLLMENT_ASSIGNMENT_TYPE)))
                .max_items(Some(MAX_ASSIGN)),
        )
        .into()
}

fn set_priority_body_schema() -> Schema {
    ObjectBuilder::new()
        .property(
            "priority",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .description(Some(
                    "The new priority, from 1 (the first after the default) to the last of the \
                     configuration's type; the others of the type move to make room.",
                )),
        )
        .required("priority")
        .into()
}

/// The enrollment assignment schemas of both roots: entity, page, and `assign`'s body.
macro_rules! enrollment_assignment_schemas {
    ($version:expr, $entity:ident, $page:ident, $assign:ident) => {
        graph_schema!(
            /// An enrollment configuration's assignment.
            $entity,
            component($version, ENROLLMENT_ASSIGNMENT_TYPE),
            enrollment_assignment_schema($version),
            enrollment_assignment_dependencies($version)
        );
        graph_schema!(
            /// An enrollment configuration's assignments.
            $page,
            page_component($version, ENROLLMENT_ASSIGNMENT_TYPE),
            page_schema($version, ENROLLMENT_ASSIGNMENT_TYPE),
            enrollment_assignment_dependencies($version)
        );
        graph_schema!(
            /// The body of `assign`.
            $assign,
            component($version, "deviceEnrollmentConfiguration.assignRequestBody"),
            assign_body_schema($version),
            enrollment_assignment_dependencies($version)
        );
    };
}

enrollment_assignment_schemas!(
    ApiVersion::V1,
    EnrollmentAssignmentV1,
    EnrollmentAssignmentPageV1,
    AssignBodyV1
);
enrollment_assignment_schemas!(
    ApiVersion::Beta,
    EnrollmentAssignmentBeta,
    EnrollmentAssignmentPageBeta,
    AssignBodyBeta
);
graph_schema!(
    /// The body of `setPriority` (both roots).
    SetPriorityBody,
    "setPriorityRequestBody".to_owned(),
    set_priority_body_schema(),
    []
);

/// A configuration policy's assignment (beta): as an enrollment configuration's, with its own
/// type.
fn policy_assignment_schema() -> Schema {
    let beta = ApiVersion::Beta;
    ObjectBuilder::new()
        .title(Some(title(beta, POLICY_ASSIGNMENT_TYPE)))
        .description(Some(
            "A configuration policy's assignment. The id is {policyId}_{groupId}, with \
             acacacac-9df4-4c7d-9d50-4ef0226f57a9 for all licensed users and \
             adadadad-808e-44e2-905a-0b7873a8a531 for all devices.",
        ))
        .property("id", text().read_only(true))
        .property(
            "target",
            reference(&component(beta, ENROLLMENT_TARGET_TYPE)),
        )
        .property(
            "source",
            reference(&component(beta, ASSIGNMENT_SOURCE.name)),
        )
        .property("sourceId", string_schema(TEXT, true))
        .into()
}

fn policy_assignment_dependencies() -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = enrollment_assignment_dependencies(ApiVersion::Beta);
    schemas.push((
        component(ApiVersion::Beta, POLICY_ASSIGNMENT_TYPE),
        policy_assignment_schema().into(),
    ));
    schemas
}

graph_schema!(
    /// `beta.microsoft.graph.deviceManagementConfigurationPolicy` (beta only).
    ConfigurationPolicyBeta,
    component(ApiVersion::Beta, CONFIGURATION_POLICIES.type_name),
    entity_schema(&CONFIGURATION_POLICIES, ApiVersion::Beta),
    policy_dependencies()
);
graph_schema!(
    /// A page of configuration policies (beta only).
    ConfigurationPolicyPageBeta,
    page_component(ApiVersion::Beta, CONFIGURATION_POLICIES.type_name),
    collection_schema(&CONFIGURATION_POLICIES, ApiVersion::Beta),
    {
        let mut schemas = collection_dependencies(&CONFIGURATION_POLICIES, ApiVersion::Beta);
        schemas.extend(setting_dependencies());
        schemas.extend(policy_assignment_dependencies());
        schemas
    }
);
graph_schema!(
    /// A configuration policy's assignment (beta only).
    PolicyAssignmentBeta,
    component(ApiVersion::Beta, POLICY_ASSIGNMENT_TYPE),
    policy_assignment_schema(),
    policy_assignment_dependencies()
);
graph_schema!(
    /// A configuration policy's assignments (beta only).
    PolicyAssignmentPageBeta,
    page_component(ApiVersion::Beta, POLICY_ASSIGNMENT_TYPE),
    page_schema(ApiVersion::Beta, POLICY_ASSIGNMENT_TYPE),
    policy_assignment_dependencies()
);
graph_schema!(
    /// What a configuration policy's `assign` answers: the assignments it wrote.
    PolicyAssignResponse,
    component(ApiVersion::Beta, "deviceManagementConfigurationPolicy.assignResponse"),
    ObjectBuilder::new().property(
        "value",
        ArrayBuilder::new().items(reference(&component(ApiVersion::Beta, POLICY_ASSIGNMENT_TYPE))),
    ),
    policy_assignment_dependencies()
);
graph_schema!(
    /// The body of a configuration policy's `assign`.
    PolicyAssignBody,
    component(ApiVersion::Beta, "deviceManagementConfigurationPolicy.assignRequestBody"),
    ObjectBuilder::new().property(
        POLICY_ASSIGN_PARAMETER,
        ArrayBuilder::new()
            .items(reference(&component(ApiVersion::Beta, POLICY_ASSIGNMENT_TYPE)))
            .max_items(Some(MAX_ASSIGN)),
    ),
    policy_assignment_dependencies()
);

/// The entity schema's dependencies, with what its navigations (settings, assignments) refer to.
fn policy_dependencies() -> Vec<(String, RefOr<Schema>)> {
    let mut schemas = entity_dependencies(&CONFIGURATION_POLICIES, ApiVersion::Beta);
    schemas.extend(setting_dependencies());
    schemas.extend(policy_assignment_dependencies());
    schemas
}

/// A template reference of a setting instance or value, as the admin center writes it.
fn template_reference_schema(name: &str, id_member: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(scalar_type(Type::Object, true))
        .title(Some(title(ApiVersion::Beta, name)))
        .property(id_member, nullable_text())
        .property(
            "useTemplateDefault",
            ObjectBuilder::new().schema_type(scalar_type(Type::Boolean, true)),
        )
        .into()
}

/// A typed object: `@odata.type` naming `type_name`, and `properties`.
fn typed_object(type_name: &str) -> ObjectBuilder {
    let annotation = format!("#{type_name}");
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title(ApiVersion::Beta, type_name)))
        .property(
            TYPE_ANNOTATION,
            text()
                .enum_values(Some([annotation.clone()]))
                .default(Some(annotation.into())),
        )
        .required(TYPE_ANNOTATION)
}

/// `oneOf` the `types`, told apart by `@odata.type`.
fn typed_one_of(description: &str, types: &[&str]) -> Schema {
    let mut discriminator = Discriminator::new(TYPE_ANNOTATION);
    let mut one_of = OneOfBuilder::new().description(Some(description));
    for type_name in types {
        let name = component(ApiVersion::Beta, type_name);
        discriminator.mapping.insert(
            format!("#{type_name}"),
            format!("#/components/schemas/{name}"),
        );
        one_of = one_of.item(reference(&name));
    }
    one_of.discriminator(Some(discriminator)).into()
}

const SETTING_INSTANCE: &str = "microsoft.graph.deviceManagementConfigurationSettingInstance";
const SIMPLE_VALUE: &str = "microsoft.graph.deviceManagementConfigurationSimpleSettingValue";
const INSTANCE_TEMPLATE_REFERENCE: &str =
    "microsoft.graph.deviceManagementConfigurationSettingInstanceTemplateReference";
const VALUE_TEMPLATE_REFERENCE: &str =
    "microsoft.graph.deviceManagementConfigurationSettingValueTemplateReference";

/// A policy's setting: its id and its instance.
fn setting_schema() -> Schema {
    typed_object(SETTING_TYPE)
        .description(Some(
            "A setting of a policy: an instance of a setting definition of its template.",
        ))
        .property("id", text().read_only(true))
        .property(
            "settingInstance",
            reference(&component(ApiVersion::Beta, SETTING_INSTANCE)),
        )
        .into()
}

/// The schemas of a policy's settings: the setting, its three instance types (`oneOf` by
/// `@odata.type`) and their values.
fn setting_dependencies() -> Vec<(String, RefOr<Schema>)> {
    let beta = ApiVersion::Beta;
    let instance = |type_name: &str, value_name: &str, value: RefOr<Schema>| {
        typed_object(type_name)
            .property("settingDefinitionId", text())
            .property(
                "settingInstanceTemplateReference",
                reference(&component(beta, INSTANCE_TEMPLATE_REFERENCE)),
            )
            .property(value_name, value)
            .required("settingDefinitionId")
    };
    let value_reference = || reference(&component(beta, VALUE_TEMPLATE_REFERENCE));
    vec![
        (component(beta, SETTING_TYPE), setting_schema().into()),
        (
            component(beta, SETTING_INSTANCE),
            typed_one_of(
                "A setting instance: a choice, a simple value or a collection of simple values.",
                &[CHOICE_INSTANCE, SIMPLE_INSTANCE, COLLECTION_INSTANCE],
            )
            .into(),
        ),
        (
            component(beta, CHOICE_INSTANCE),
            instance(
                CHOICE_INSTANCE,
                "choiceSettingValue",
                reference(&component(beta, CHOICE_VALUE)),
            )
            .into(),
        ),
        (
            component(beta, SIMPLE_INSTANCE),
            instance(
                SIMPLE_INSTANCE,
                "simpleSettingValue",
                reference(&component(beta, SIMPLE_VALUE)),
            )
            .into(),
        ),
        (
            component(beta, COLLECTION_INSTANCE),
            instance(
                COLLECTION_INSTANCE,
                "simpleSettingCollectionValue",
                ArrayBuilder::new()
                    .items(reference(&component(beta, STRING_VALUE)))
                    .into(),
            )
            .into(),
        ),
        (
            component(beta, CHOICE_VALUE),
            typed_object(CHOICE_VALUE)
                .property("value", text().description(Some("The option's id.")))
                .property(
                    "children",
                    ArrayBuilder::new()
                        .items(reference(&component(beta, SETTING_INSTANCE)))
                        .max_items(Some(0)),
                )
                .property("settingValueTemplateReference", value_reference())
                .into(),
        ),
        (
            component(beta, SIMPLE_VALUE),
            typed_one_of(
                "A simple setting value: an integer or a string.",
                &[INTEGER_VALUE, STRING_VALUE],
            )
            .into(),
        ),
        (
            component(beta, INTEGER_VALUE),
            typed_object(INTEGER_VALUE)
                .property(
                    "value",
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32))),
                )
                .property("settingValueTemplateReference", value_reference())
                .into(),
        ),
        (
            component(beta, STRING_VALUE),
            typed_object(STRING_VALUE)
                .property("value", string_schema(TEXT, false))
                .property("settingValueTemplateReference", value_reference())
                .into(),
        ),
        (
            component(beta, INSTANCE_TEMPLATE_REFERENCE),
            template_reference_schema(INSTANCE_TEMPLATE_REFERENCE, "settingInstanceTemplateId")
                .into(),
        ),
        (
            component(beta, VALUE_TEMPLATE_REFERENCE),
            template_reference_schema(VALUE_TEMPLATE_REFERENCE, "settingValueTemplateId").into(),
        ),
    ]
}

graph_schema!(
    /// A configuration policy's setting (beta only).
    PolicySettingBeta,
    component(ApiVersion::Beta, SETTING_TYPE),
    setting_schema(),
    setting_dependencies()
);
graph_schema!(
    /// A configuration policy's settings (beta only).
    PolicySettingPageBeta,
    page_component(ApiVersion::Beta, SETTING_TYPE),
    page_schema(ApiVersion::Beta, SETTING_TYPE),
    setting_dependencies()
);

const MEMBERSHIP_TARGET: &str = "microsoft.graph.enrollmentTimeDeviceMembershipTarget";
const MEMBERSHIP_RESULT: &str = "microsoft.graph.enrollmentTimeDeviceMembershipTargetResult";
const MEMBERSHIP_STATUS: &str = "microsoft.graph.enrollmentTimeDeviceMembershipTargetStatus";

fn membership_target_dependencies() -> Vec<(String, RefOr<Schema>)> {
    let beta = ApiVersion::Beta;
    let uuid = || text().format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
    vec![
        (
            component(beta, MEMBERSHIP_TARGET),
            ObjectBuilder::new()
                .title(Some(title(beta, MEMBERSHIP_TARGET)))
                .property(
                    "targetType",
                    text().enum_values(Some([STATIC_SECURITY_GROUP])),
                )
                .property("targetId", uuid())
                .required("targetType")
                .required("targetId")
                .into(),
        ),
        (
            component(beta, MEMBERSHIP_STATUS),
            ObjectBuilder::new()
                .title(Some(title(beta, MEMBERSHIP_STATUS)))
                .property("targetId", uuid())
                .property(
                    "targetValidationErrorCode",
                    ObjectBuilder::new()
                        .schema_type(scalar_type(Type::String, true))
                        .enum_values(Some([
                            Some("securityGroupNotFound"),
                            Some("notSecurityGroup"),
                            Some("notStaticSecurityGroup"),
                            Some("firstPartyAppNotAnOwner"),
                            Some("securityGroupNotInCallerScope"),
                            Some("unknownFutureValue"),
                            None,
                        ])),
                )
                .into(),
        ),
    ]
}

graph_schema!(
    /// The body of `setEnrollmentTimeDeviceMembershipTarget`.
    MembershipTargetBody,
    component(
        ApiVersion::Beta,
        "deviceManagementConfigurationPolicy.setEnrollmentTimeDeviceMembershipTargetRequestBody"
    ),
    ObjectBuilder::new()
        .property(
            MEMBERSHIP_TARGETS_PARAMETER,
            ArrayBuilder::new()
                .items(reference(&component(ApiVersion::Beta, MEMBERSHIP_TARGET)))
                .min_items(Some(1))
                .max_items(Some(1)),
        )
        .required(MEMBERSHIP_TARGETS_PARAMETER),
    membership_target_dependencies()
);
graph_schema!(
    /// What the enrollment-time membership target actions answer.
    MembershipTargetResultBody,
    component(ApiVersion::Beta, MEMBERSHIP_RESULT),
    ObjectBuilder::new()
        .title(Some(title(ApiVersion::Beta, MEMBERSHIP_RESULT)))
        .property("validationSucceeded", ObjectBuilder::new().schema_type(Type::Boolean))
        .property(
            "enrollmentTimeDeviceMembershipTargetValidationStatuses",
            ArrayBuilder::new().items(reference(&component(ApiVersion::Beta, MEMBERSHIP_STATUS))),
        ),
    membership_target_dependencies()
);
graph_schema!(
    /// What `clearEnrollmentTimeDeviceMembershipTarget` answers.
    ClearedBody,
    component(
        ApiVersion::Beta,
        "deviceManagementConfigurationPolicy.clearEnrollmentTimeDeviceMembershipTargetResponse"
    ),
    ObjectBuilder::new().property("value", ObjectBuilder::new().schema_type(Type::Boolean)),
    []
);

/// A deployment profile assignment (beta): its id, its target and where it comes from.
fn assignment_schema() -> Schema {
    let beta = ApiVersion::Beta;
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title(beta, ASSIGNMENT_TYPE)))
        .description(Some(
            "A deployment profile's assignment to a group, an exclusion group or all devices. \
             The id is {profileId}_{groupId}_0, with adadadad-808e-44e2-905a-0b7873a8a531 for \
             all devices; a create needs target.",
        ))
        .property("id", text().read_only(true))
        .property("target", reference(&component(beta, TARGET_TYPE)))
        .property(
            "source",
            reference(&component(beta, ASSIGNMENT_SOURCE.name)),
        )
        .property("sourceId", string_schema(TEXT, true))
        .into()
}

/// The base type Graph names for assignment targets, of which three are served.
const TARGET_TYPE: &str = "microsoft.graph.deviceAndAppManagementAssignmentTarget";

fn target_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some(title(ApiVersion::Beta, TARGET_TYPE)))
        .property(
            TYPE_ANNOTATION,
            text().enum_values(Some(
                [AssignmentTarget::GROUP, AssignmentTarget::EXCLUSION_GROUP, AssignmentTarget::ALL_DEVICES]
                    .map(|t| format!("#{t}")),
            )),
        )
        .property(
            FILTER_ID,
            ObjectBuilder::new()
                .schema_type(Type::Null)
                .description(Some(
                    "Always null: assignment filters do not apply to Autopilot deployment profiles.",
                )),
        )
        .property(
            FILTER_TYPE,
            text().enum_values(Some([NO_FILTER])).description(Some(
                "Always none: assignment filters do not apply to Autopilot deployment profiles.",
            )),
        )
        .property(
            "groupId",
            text()
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .description(Some(
                    "The group a group or exclusion-group target names; an all-devices target \
                     has none.",
                )),
        )
        .required(TYPE_ANNOTATION)
        .into()
}

fn assignment_dependencies() -> Vec<(String, RefOr<Schema>)> {
    let beta = ApiVersion::Beta;
    vec![
        (component(beta, TARGET_TYPE), target_schema().into()),
        (
            component(beta, ASSIGNMENT_SOURCE.name),
            enum_schema(&ASSIGNMENT_SOURCE, beta).into(),
        ),
    ]
}

graph_schema!(
    /// `beta.microsoft.graph.windowsAutopilotDeploymentProfileAssignment` (beta only).
    ProfileAssignmentBeta,
    component(ApiVersion::Beta, ASSIGNMENT_TYPE),
    assignment_schema(),
    assignment_dependencies()
);

graph_schema!(
    /// A deployment profile's assignments (beta only).
    ProfileAssignmentPageBeta,
    page_component(ApiVersion::Beta, ASSIGNMENT_TYPE),
    page_schema(ApiVersion::Beta, ASSIGNMENT_TYPE),
    {
        let mut schemas = vec![(
            component(ApiVersion::Beta, ASSIGNMENT_TYPE),
            assignment_schema().into(),
        )];
        schemas.extend(assignment_dependencies());
        schemas
    }
);

/// The body of `members/$ref`: the directory object to add.
fn reference_schema() -> Schema {
    ObjectBuilder::new()
        .property(
            "@odata.id",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("<service root>/directoryObjects/{id}")),
        )
        .required("@odata.id")
        .into()
}

graph_schema!(
    /// The body of `members/$ref`.
    ReferenceCreate,
    "ReferenceCreate".to_owned(),
    reference_schema(),
    []
);

/// The body of `import`: the records to import.
fn import_body_schema(version: ApiVersion) -> Schema {
    ObjectBuilder::new()
        .property(
            IMPORT_PARAMETER,
            ArrayBuilder::new()
                .items(reference(&component(
                    version,
                    IMPORTED_IDENTITIES.type_name,
                )))
                .max_items(Some(MAX_IMPORT)),
        )
        .required(IMPORT_PARAMETER)
        .into()
}

/// The answer of `import`: the new records.
fn import_response_schema(version: ApiVersion) -> Schema {
    ObjectBuilder::new()
        .property(
            "@odata.context",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .property(
            "value",
            ArrayBuilder::new().items(reference(&component(
                version,
                IMPORTED_IDENTITIES.type_name,
            ))),
        )
        .required("value")
        .into()
}

graph_schema!(
    /// The body of `import` (v1.0).
    ImportBodyV1,
    "importRequestBody".to_owned(),
    import_body_schema(ApiVersion::V1),
    collection_dependencies(&IMPORTED_IDENTITIES, ApiVersion::V1)
);
graph_schema!(
    /// The body of `import` (beta).
    ImportBodyBeta,
    component(ApiVersion::Beta, "importRequestBody"),
    import_body_schema(ApiVersion::Beta),
    collection_dependencies(&IMPORTED_IDENTITIES, ApiVersion::Beta)
);
graph_schema!(
    /// The answer of `import` (v1.0).
    ImportResponseV1,
    "importResponse".to_owned(),
    import_response_schema(ApiVersion::V1),
    []
);
graph_schema!(
    /// The answer of `import` (beta).
    ImportResponseBeta,
    component(ApiVersion::Beta, "importResponse"),
    import_response_schema(ApiVersion::Beta),
    []
);

graph_schema!(
    /// The parameters of `assignUserToDevice`.
    AssignUserToDeviceBody,
    "assignUserToDeviceRequestBody".to_owned(),
    parameters_schema(DeviceAction::AssignUserToDevice, ApiVersion::V1),
    []
);
graph_schema!(
    /// The parameters of `updateDeviceProperties` (v1.0).
    UpdateDevicePropertiesBodyV1,
    "updateDevicePropertiesRequestBody".to_owned(),
    parameters_schema(DeviceAction::UpdateDeviceProperties, ApiVersion::V1),
    []
);
graph_schema!(
    /// The parameters of `updateDeviceProperties` (beta).
    UpdateDevicePropertiesBodyBeta,
    component(ApiVersion::Beta, "updateDevicePropertiesRequestBody"),
    parameters_schema(DeviceAction::UpdateDeviceProperties, ApiVersion::Beta),
    []
);
graph_schema!(
    /// The parameters of `assignResourceAccountToDevice` (beta).
    AssignResourceAccountToDeviceBody,
    component(ApiVersion::Beta, "assignResourceAccountToDeviceRequestBody"),
    parameters_schema(DeviceAction::AssignResourceAccountToDevice, ApiVersion::Beta),
    []
);

/// Microsoft's mark of a navigation property: present in an answer only when `$expand`ed.
const NAVIGATION_MARK: &str = "x-ms-navigationProperty";
/// Microsoft's mark of an operation whose answer is a page that may link to the next.
const PAGEABLE_MARK: &str = "x-ms-pageable";

/// The component a 200 answer of `operation` refers to, if it refers to one.
fn answer_component(operation: &Operation) -> Option<&str> {
    let RefOr::T(answer) = operation.responses.responses.get("200")? else {
        return None;
    };
    let content = answer.content.values().next()?;
    let RefOr::T(content) = content else {
        return None;
    };
    match content.schema.as_ref()? {
        RefOr::Ref(reference) => reference.ref_location.strip_prefix("#/components/schemas/"),
        RefOr::T(_) => None,
    }
}

/// Marks `x-ms-pageable` every GET whose answer is a page of a collection (a
/// [`page_component`]), however its route was registered.
pub fn mark_pageable_operations(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let Some(get) = item.get.as_mut() else {
            continue;
        };
        if !answer_component(get).is_some_and(|name| name.ends_with("CollectionResponse")) {
            continue;
        }
        let mark = ExtensionsBuilder::new()
            .add(
                PAGEABLE_MARK,
                serde_json::json!({"nextLinkName": "@odata.nextLink", "operationName": "listMore"}),
            )
            .build();
        get.extensions
            .get_or_insert_with(Default::default)
            .merge(mark);
    }
}

/// The names of the navigation properties of `set` on `version`: those `$expand` takes, and the
/// navigations, contained and related collections and references below an item's key.
fn navigation_names(set: &EntitySet, version: ApiVersion) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = set
        .expandable
        .iter()
        .filter(|n| n.exists_in(version))
        .map(|n| n.name())
        .collect();
    for segment in set.segments.below_item {
        let name = match segment {
            ItemSegment::Navigation(navigation) if navigation.exists_in(version) => {
                navigation.name()
            }
            ItemSegment::Contained(name)
            | ItemSegment::Related(name, _)
            | ItemSegment::References(name) => name,
            ItemSegment::Navigation(_) | ItemSegment::Action(_) => continue,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A navigation property typed as the GET of its path answers: a collection when that answer is a
/// page, else one entity; or null. Read-only: a body that sets it is refused.
fn navigation_schema(answer: &str) -> Schema {
    let value: RefOr<Schema> = match answer.strip_suffix("CollectionResponse") {
        Some(item) => ArrayBuilder::new().items(reference(item)).into(),
        None => reference(answer),
    };
    // A oneOf, as utoipa's arrays and references have no room for the mark.
    OneOfBuilder::new()
        .item(value)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .read_only(true)
        .extensions(Some(
            ExtensionsBuilder::new().add(NAVIGATION_MARK, true).build(),
        ))
        .into()
}

/// The object of a component's own properties: the last member of its `allOf`, or itself.
fn own_part(schema: &mut RefOr<Schema>) -> Option<&mut utoipa::openapi::schema::Object> {
    match schema {
        RefOr::T(Schema::AllOf(all_of)) => match all_of.items.last_mut()? {
            RefOr::T(Schema::Object(object)) => Some(object),
            _ => None,
        },
        RefOr::T(Schema::Object(object)) => Some(object),
        _ => None,
    }
}

/// Adds the navigation properties of every entity set to its type's schema on each root, typed as
/// the registered GET of `{item}/{navigation}` answers (a navigation without such a route is left
/// out: its type would be a guess). A navigation that a derived type has as its own goes on that
/// type; the others on the type itself, or on the abstract base of a set with derived types.
pub fn add_navigation_properties(document: &mut OpenApi) {
    let mut additions = Vec::new();
    for set in ENTITY_SETS {
        for version in [ApiVersion::V1, ApiVersion::Beta] {
            let item = format!(
                "/{}/{}/{{{}-id}}",
                version.segment(),
                set.path,
                set.short_name()
            );
            for name in navigation_names(set, version) {
                let answer = document
                    .paths
                    .paths
                    .get(&format!("{item}/{name}"))
                    .and_then(|path| path.get.as_ref())
                    .and_then(answer_component);
                let Some(answer) = answer else {
                    continue;
                };
                let owner = match set.derived.iter().find(|t| t.own.contains(&name)) {
                    Some(derived) => component(version, derived.type_name),
                    None if !set.derived.is_empty() => abstract_component(set, version),
                    None => component(version, set.type_name),
                };
                additions.push((owner, name, navigation_schema(answer)));
            }
        }
    }
    let Some(components) = document.components.as_mut() else {
        return;
    };
    for (owner, name, schema) in additions {
        if let Some(own) = components.schemas.get_mut(&owner).and_then(own_part) {
            own.properties.insert(name.to_owned(), schema.into());
        }
    }
}

/// The seed's example request, as Swagger UI offers it for "Try it out".
pub fn create_request_example() -> serde_json::Value {
    serde_json::from_str(include_str!("../../openapi/examples/create-request.json"))
        .expect("the example is JSON")
}

/// What the service answers to the example request.
pub fn create_response_example() -> serde_json::Value {
    serde_json::from_str(include_str!("../../openapi/examples/create-response.json"))
        .expect("the example is JSON")
}

fn query(name: &str, schema: impl Into<RefOr<Schema>>, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable_text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(scalar_type(Type::String, true))
}

fn filter_parameter() -> Parameter {
    query(
        "$filter",
        text(),
        "Filter items by property values: contains/startswith/endswith (case-insensitive), eq, ne, \
         gt, ge, lt, le, and, or, not, parentheses; e.g. contains(serialNumber,'0046').",
    )
}

/// The path parameter that names an entity of `set`, as Microsoft names it (`{type}-id`).
pub fn key_parameter(set: &EntitySet) -> Parameter {
    ParameterBuilder::new()
        .name(format!("{}-id", set.short_name()))
        .parameter_in(ParameterIn::Path)
        .required(utoipa::openapi::Required::True)
        .description(Some(format!(
            "The unique identifier of {}",
            set.short_name()
        )))
        .schema(Some(text()))
        .build()
}

/// The query options of a list.
pub struct ListParameters;

impl IntoParams for ListParameters {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            query(
                "$top",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX_PAGE)),
                "Show only the first n items (at most 1000, the default page)",
            ),
            query(
                "$skip",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(MAX_SKIP)),
                "Skip the first n items",
            ),
            query(
                "$skiptoken",
                text(),
                "The cursor of the next page; follow @odata.nextLink rather than writing it",
            ),
            query(
                "$count",
                ObjectBuilder::new().schema_type(Type::Boolean),
                "Include the count of matching items (@odata.count)",
            ),
            filter_parameter(),
            query(
                "$select",
                text(),
                "Select properties to be returned, comma separated",
            ),
            query(
                "$orderby",
                text(),
                "Order items by property values, e.g. displayName desc,serialNumber",
            ),
        ]
    }
}

/// The query option of `$count`.
pub struct CountParameters;

impl IntoParams for CountParameters {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![filter_parameter()]
    }
}

/// `$expand` with the navigations of `set`, if it has any.
pub fn expand_parameter(set: &EntitySet, version: ApiVersion) -> Option<Parameter> {
    let names: Vec<&str> = set
        .expandable
        .iter()
        .filter(|n| n.exists_in(version))
        .map(|n| n.name())
        .collect();
    (!names.is_empty()).then(|| {
        query(
            "$expand",
            text(),
            &format!(
                "Inline navigation properties, comma separated: {}",
                names.join(", ")
            ),
        )
    })
}

/// The key and the query option of a single entity of `set`.
pub fn item_parameters(set: &EntitySet) -> Vec<Parameter> {
    vec![
        key_parameter(set),
        query(
            "$select",
            text(),
            "Select properties to be returned, comma separated",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(schema: impl Into<RefOr<Schema>>) -> serde_json::Value {
        serde_json::to_value(schema.into()).unwrap()
    }

    #[test]
    fn the_entity_schema_repeats_the_validation_rules() {
        let schema = json(entity_schema(&DEVICE_IDENTITIES, ApiVersion::V1));
        let own = &schema["allOf"][1];
        assert_eq!(
            schema["allOf"][0]["$ref"],
            "#/components/schemas/microsoft.graph.entity"
        );
        assert!(own.get("required").is_none());
        assert_eq!(own["properties"]["serialNumber"]["maxLength"], 1024);
        assert_eq!(own["properties"]["serialNumber"]["minLength"], 1);
        assert_eq!(
            own["properties"]["displayName"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert_eq!(
            own["properties"]["lastContactedDateTime"]["format"],
            "date-time"
        );
        assert_eq!(
            own["properties"]["enrollmentState"]["$ref"],
            "#/components/schemas/microsoft.graph.enrollmentState"
        );
        assert!(own["properties"].get("deviceFriendlyName").is_none());
        let v1_properties = DEVICE_IDENTITIES.properties[1..]
            .iter()
            .filter(|p| p.exists_in(ApiVersion::V1))
            .count();
        assert_eq!(own["properties"].as_object().unwrap().len(), v1_properties);
    }

    /// Found by schema fuzzing (tests/fuzz): `GET ...?$select=displayName` answers without
    /// `serialNumber`, which the entity schema required (and so PATCH bodies had to carry it).
    #[test]
    fn no_property_is_required_and_the_serial_number_says_when_it_is_needed() {
        for version in [ApiVersion::V1, ApiVersion::Beta] {
            let own = &json(entity_schema(&DEVICE_IDENTITIES, version))["allOf"][1];
            assert!(own.get("required").is_none());
            let serial = &own["properties"]["serialNumber"];
            assert!(serial["description"].as_str().unwrap().contains("Required"));
            assert_eq!(serial["minLength"], 1);
        }
    }

    /// A `$skip` above PostgreSQL's bigint was answered 500 (see options.rs); the document now
    /// states the limit the service enforces, so Schemathesis' coverage phase tries both sides.
    #[test]
    fn skip_states_its_limit() {
        let parameters = ListParameters::into_params(|| None);
        let skip = parameters.iter().find(|p| p.name == "$skip").unwrap();
        let schema = serde_json::to_value(skip.schema.as_ref().unwrap()).unwrap();
        assert_eq!(schema["maximum"], serde_json::json!(i64::MAX));
        assert_eq!(schema["minimum"], 0);
    }

    #[test]
    fn beta_has_its_own_names_members_and_a_write_only_secret() {
        let own = &json(entity_schema(&DEVICE_IDENTITIES, ApiVersion::Beta))["allOf"][1];
        assert_eq!(
            own["properties"]["enrollmentState"]["$ref"],
            "#/components/schemas/beta.microsoft.graph.enrollmentState"
        );
        assert_eq!(
            own["properties"]["deviceAccountPassword"]["writeOnly"],
            true
        );
        let enums = enum_components(&DEVICE_IDENTITIES, ApiVersion::Beta);
        let enrollment = enums
            .iter()
            .find(|(n, _)| n == "beta.microsoft.graph.enrollmentState")
            .unwrap();
        assert!(
            json(enrollment.1.clone())["enum"]
                .as_array()
                .unwrap()
                .contains(&"blocked".into())
        );
        let v1 = enum_components(&DEVICE_IDENTITIES, ApiVersion::V1);
        assert!(
            !json(v1[0].1.clone())["enum"]
                .as_array()
                .unwrap()
                .contains(&"blocked".into())
        );
    }

    /// Found by openapi-python-client: the profile was one flat schema with every type's
    /// properties, so a generated client sent hybridAzureADJoinSkipConnectivityCheck on an
    /// azureAD profile, which the service refuses.
    #[test]
    fn derived_types_extend_an_abstract_base_with_their_own_properties() {
        let beta = ApiVersion::Beta;
        let set = &DEPLOYMENT_PROFILES;
        let body = json(entity_schema(set, beta));
        let mapping = body["discriminator"]["mapping"].as_object().unwrap();
        assert_eq!(body["discriminator"]["propertyName"], TYPE_ANNOTATION);
        assert_eq!(body["oneOf"].as_array().unwrap().len(), set.derived.len());
        let base = json(abstract_schema(set, beta));
        let base_own = &base["allOf"][1];
        assert_eq!(base_own["required"], serde_json::json!([TYPE_ANNOTATION]));
        for derived in set.derived {
            let name = component(beta, derived.type_name);
            assert_eq!(
                mapping[&type_annotation(derived)],
                format!("#/components/schemas/{name}")
            );
            let schema = json(derived_schema(set, derived, beta));
            assert_eq!(
                schema["allOf"][0]["$ref"],
                format!("#/components/schemas/{}", abstract_component(set, beta))
            );
            let own = &schema["allOf"][1];
            assert_eq!(own["required"], serde_json::json!([TYPE_ANNOTATION]));
            assert_eq!(
                own["properties"][TYPE_ANNOTATION]["enum"],
                serde_json::json!([type_annotation(derived)])
            );
            for property in derived.own {
                assert!(own["properties"].get(*property).is_some(), "{property}");
                assert!(
                    base_own["properties"].get(*property).is_none(),
                    "{property}"
                );
            }
        }
        let active_directory =
            set.derived_type(crate::domain::deployment_profile::ACTIVE_DIRECTORY);
        assert!(
            active_directory
                .unwrap()
                .own
                .contains(&"hybridAzureADJoinSkipConnectivityCheck")
        );
        assert!(base_own["properties"].get("displayName").is_some());
    }

    #[test]
    fn action_bodies_list_their_parameters() {
        let body = json(parameters_schema(
            DeviceAction::AssignUserToDevice,
            ApiVersion::V1,
        ));
        assert_eq!(body["required"], serde_json::json!(["userPrincipalName"]));
        let update = DeviceAction::UpdateDeviceProperties;
        for version in [ApiVersion::V1, ApiVersion::Beta] {
            let body = json(parameters_schema(update, version));
            assert_eq!(
                body["properties"].as_object().unwrap().len(),
                update.parameter_names(version).count()
            );
        }
        assert!(
            update.parameter_names(ApiVersion::V1).count()
                < update.parameter_names(ApiVersion::Beta).count()
        );
    }
}

/// The body of `$batch` (one for both roots).
fn batch_request_schema() -> Schema {
    let request = ObjectBuilder::new()
        .property(
            "id",
            text().description(Some("Unique in the batch (compared case-insensitively).")),
        )
        .property(
            "method",
            text().description(Some("GET, POST, PATCH or DELETE.")),
        )
        .property(
            "url",
            text().description(Some(
                "Relative to the version root: /deviceManagement/windowsAutopilotDeviceIdentities",
            )),
        )
        .property(
            "headers",
            ObjectBuilder::new()
                .additional_properties(Some(text()))
                .description(Some(
                    "This request's headers (Content-Type with a body); Authorization and the \
                     host come from the batch unless given here.",
                )),
        )
        .property(
            "body",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some("JSON, or base64 text for another Content-Type.")),
        )
        .property(
            "dependsOn",
            ArrayBuilder::new().items(text()).description(Some(
                "Ids of requests that must succeed before this one runs; else it is answered 424.",
            )),
        )
        .required("id")
        .required("method")
        .required("url");
    ObjectBuilder::new()
        .title(Some("batchRequest"))
        .property(
            "requests",
            ArrayBuilder::new()
                .items(request)
                .max_items(Some(crate::graph::batch::MAX_REQUESTS)),
        )
        .required("requests")
        .into()
}

/// The answer of `$batch`: one response for each request, in their order.
fn batch_response_schema() -> Schema {
    let response = ObjectBuilder::new()
        .property(
            "id",
            text().description(Some("The id of the request it answers.")),
        )
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property(
            "headers",
            ObjectBuilder::new().additional_properties(Some(text())),
        )
        .property(
            "body",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some(
                    "JSON inline, other text as a string, anything else base64; absent when the \
                     answer has none.",
                )),
        )
        .required("id")
        .required("status")
        .required("headers");
    ObjectBuilder::new()
        .title(Some("batchResponse"))
        .property("responses", ArrayBuilder::new().items(response))
        .required("responses")
        .into()
}

graph_schema!(
    /// The body of `$batch`.
    BatchRequestSchema,
    "batchRequest".to_owned(),
    batch_request_schema(),
    Vec::new()
);
graph_schema!(
    /// The answer of `$batch`.
    BatchResponseSchema,
    "batchResponse".to_owned(),
    batch_response_schema(),
    Vec::new()
);

/// Microsoft's tag for the assignment filter operations.
pub const ASSIGNMENT_FILTERS_TAG: &str = "deviceManagement.deviceAndAppManagementAssignmentFilter";

graph_schema!(
    /// `beta.microsoft.graph.deviceAndAppManagementAssignmentFilter` (beta only).
    AssignmentFilterBeta,
    component(
        ApiVersion::Beta,
        crate::domain::assignment_filter::ASSIGNMENT_FILTERS.type_name
    ),
    entity_schema(
        &crate::domain::assignment_filter::ASSIGNMENT_FILTERS,
        ApiVersion::Beta
    ),
    entity_dependencies(
        &crate::domain::assignment_filter::ASSIGNMENT_FILTERS,
        ApiVersion::Beta
    )
);
graph_schema!(
    /// A page of assignment filters (beta only).
    AssignmentFilterPageBeta,
    component(
        ApiVersion::Beta,
        &format!(
            "{}CollectionResponse",
            crate::domain::assignment_filter::ASSIGNMENT_FILTERS.type_name
        )
    ),
    collection_schema(
        &crate::domain::assignment_filter::ASSIGNMENT_FILTERS,
        ApiVersion::Beta
    ),
    collection_dependencies(
        &crate::domain::assignment_filter::ASSIGNMENT_FILTERS,
        ApiVersion::Beta
    )
);

/// The body of `validateFilter`: the filter whose rule to check.
fn validate_filter_body_schema() -> Schema {
    ObjectBuilder::new()
        .property(
            crate::graph::assignment_filter::VALIDATE_PARAMETER,
            reference(&component(
                ApiVersion::Beta,
                crate::domain::assignment_filter::ASSIGNMENT_FILTERS.type_name,
            )),
        )
        .required(crate::graph::assignment_filter::VALIDATE_PARAMETER)
        .into()
}

graph_schema!(
    /// The body of `validateFilter` (beta only).
    ValidateFilterBody,
    component(ApiVersion::Beta, "validateFilterRequestBody"),
    validate_filter_body_schema(),
    collection_dependencies(
        &crate::domain::assignment_filter::ASSIGNMENT_FILTERS,
        ApiVersion::Beta
    )
);
graph_schema!(
    /// `beta.microsoft.graph.assignmentFilterValidationResult`.
    AssignmentFilterValidationResult,
    component(
        ApiVersion::Beta,
        "microsoft.graph.assignmentFilterValidationResult"
    ),
    ObjectBuilder::new()
        .title(Some("assignmentFilterValidationResult"))
        .property("@odata.context", text())
        .property(
            "isValidRule",
            ObjectBuilder::new().schema_type(Type::Boolean)
        )
        .required("isValidRule"),
    []
);

graph_schema!(
    /// The body of assignment filters' `enable` (beta only).
    EnableAssignmentFiltersBody,
    component(ApiVersion::Beta, "enableRequestBody"),
    ObjectBuilder::new()
        .property(
            crate::graph::assignment_filter::ENABLE_PARAMETER,
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Whether the tenant's assignment filters are on."))
        )
        .required(crate::graph::assignment_filter::ENABLE_PARAMETER),
    []
);
graph_schema!(
    /// `beta.microsoft.graph.assignmentFilterState`, the answer of `getState`.
    AssignmentFilterState,
    component(ApiVersion::Beta, "microsoft.graph.assignmentFilterState"),
    ObjectBuilder::new()
        .title(Some("assignmentFilterState"))
        .property("@odata.context", text())
        .property(
            "enabled",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Whether the tenant's assignment filters are on."))
        )
        .required("enabled"),
    []
);

/// The type of a property a filter's rule may test.
const SUPPORTED_PROPERTY: &str = "microsoft.graph.assignmentFilterSupportedProperty";

/// `assignmentFilterSupportedProperty`: a property a filter's rule may test.
fn supported_property_schema() -> Schema {
    let strings = || ArrayBuilder::new().items(text());
    ObjectBuilder::new()
        .title(Some(title(ApiVersion::Beta, SUPPORTED_PROPERTY)))
        .property("dataType", text())
        .property(
            "isCollection",
            ObjectBuilder::new().schema_type(Type::Boolean),
        )
        .property("name", text())
        .property(
            "propertyRegexConstraint",
            ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ])),
        )
        .property("supportedOperators", strings())
        .property("supportedValues", strings())
        .into()
}

graph_schema!(
    /// The answer of `getSupportedProperties` (beta only).
    SupportedPropertiesPage,
    page_component(ApiVersion::Beta, SUPPORTED_PROPERTY),
    page_schema(ApiVersion::Beta, SUPPORTED_PROPERTY),
    [(
        component(ApiVersion::Beta, SUPPORTED_PROPERTY),
        supported_property_schema().into()
    )]
);

/// The body of a profile action whose one parameter is a collection of ids.
fn id_list_body_schema(parameter: &str, description: &str) -> Schema {
    ObjectBuilder::new()
        .property(
            parameter,
            ArrayBuilder::new()
                .items(text())
                .max_items(Some(crate::graph::profile_assignment::MAX_ACTION_IDS))
                .description(Some(description)),
        )
        .required(parameter)
        .into()
}

/// The answer of `hasPayloadLinks`: a result for each id asked about, in their order.
fn payload_links_response_schema() -> Schema {
    let sources = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ASSIGNMENT_SOURCE.members.iter().copied()));
    let result = ObjectBuilder::new()
        .title(Some(
            crate::graph::profile_assignment::PAYLOAD_LINK_RESULT_TYPE,
        ))
        .property("payloadId", text())
        .property(
            "hasLink",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("Whether a policy set links the profile.")),
        )
        .property(
            "error",
            text().description(Some(
                "Why the check failed for this id (no profile has it); empty when it succeeded.",
            )),
        )
        .property("sources", ArrayBuilder::new().items(sources))
        .required("payloadId")
        .required("hasLink")
        .required("error")
        .required("sources");
    ObjectBuilder::new()
        .property("@odata.context", text())
        .property("value", ArrayBuilder::new().items(result))
        .required("value")
        .into()
}

graph_schema!(
    /// The body of a profile's `hasPayloadLinks` (beta).
    HasPayloadLinksBody,
    component(ApiVersion::Beta, "hasPayloadLinksRequestBody"),
    id_list_body_schema("payloadIds", "The ids of deployment profiles to check."),
    []
);
graph_schema!(
    /// The answer of `hasPayloadLinks` (beta).
    HasPayloadLinksResponse,
    component(ApiVersion::Beta, "hasPayloadLinksResponse"),
    payload_links_response_schema(),
    []
);
graph_schema!(
    /// The body of a profile's `assign` (beta).
    AssignProfileBody,
    component(ApiVersion::Beta, "windowsAutopilotDeploymentProfile.assignRequestBody"),
    id_list_body_schema(
        "deviceIds",
        "The ids of the Autopilot device identities the profile is assigned to directly."
    ),
    []
);

/// What `deleteDevices` answers for each serial number.
pub const DELETED_STATE_TYPE: &str = "microsoft.graph.deletedWindowsAutopilotDeviceState";

/// The answer of `deleteDevices`: a `deletedWindowsAutopilotDeviceState` for each serial.
fn deleted_states_response_schema() -> Schema {
    let state = ObjectBuilder::new()
        .title(Some(DELETED_STATE_TYPE))
        .property("serialNumber", text())
        .property(
            "deviceRegistrationId",
            nullable_text().description(Some(
                "The id of the Autopilot device the serial named (null when none did).",
            )),
        )
        .property(
            "deletionState",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["unknown", "failed", "accepted", "error"])),
        )
        .property(
            "errorMessage",
            nullable_text().description(Some("Why the device was not deleted; null when it was.")),
        )
        .required("serialNumber")
        .required("deletionState");
    ObjectBuilder::new()
        .property("@odata.context", text())
        .property("value", ArrayBuilder::new().items(state))
        .required("value")
        .into()
}

graph_schema!(
    /// The body of `deleteDevices` (v1.0).
    DeleteDevicesBody,
    component(ApiVersion::V1, "deleteDevicesRequestBody"),
    id_list_body_schema(
        "serialNumbers",
        "The serial numbers of the Autopilot devices to delete."
    ),
    []
);
graph_schema!(
    /// The answer of `deleteDevices` (v1.0).
    DeleteDevicesResponse,
    component(ApiVersion::V1, "deleteDevicesResponse"),
    deleted_states_response_schema(),
    []
);

/// The tag of the operations on directory objects of any type (`getByIds`).
pub const DIRECTORY_OBJECTS_TAG: &str = "directoryObjects.directoryObject";

/// The body of `getByIds`: the ids of the directory objects, and the types to look among.
fn get_by_ids_body_schema() -> Schema {
    ObjectBuilder::new()
        .title(Some("getByIdsRequest"))
        .property(
            "ids",
            ArrayBuilder::new()
                .items(text())
                .max_items(Some(crate::domain::directory::MAX_IDS_PER_GET_BY_IDS)),
        )
        .property(
            "types",
            ArrayBuilder::new().items(text().description(Some(
                "A directory object type: device, group, user or servicePrincipal here (others find nothing).",
            ))),
        )
        .required("ids")
        .into()
}

graph_schema!(
    /// The body of `getByIds`.
    GetByIdsRequest,
    "getByIdsRequest".to_owned(),
    get_by_ids_body_schema(),
    Vec::new()
);

/// An answer that lists directory objects of several types, each naming its `@odata.type`.
fn directory_objects_schema() -> Schema {
    ObjectBuilder::new()
        .title(Some("getByIdsResponse"))
        .property("@odata.context", text())
        .property(
            "value",
            ArrayBuilder::new().items(
                ObjectBuilder::new()
                    .property("@odata.type", text())
                    .property("id", text())
                    .required("@odata.type")
                    .required("id"),
            ),
        )
        .required("value")
        .into()
}

graph_schema!(
    /// The answer of `getByIds`: devices and groups.
    DirectoryObjectCollection,
    // Not a `...CollectionResponse`: getByIds answers every object asked for, with no next page.
    "getByIdsResponse".to_owned(),
    directory_objects_schema(),
    Vec::new()
);

/// A page of references, as `GET .../members/$ref` answers.
fn reference_page_schema() -> Schema {
    ObjectBuilder::new()
        .title(Some("referenceCollectionResponse"))
        .property("@odata.context", text())
        .property(
            "value",
            ArrayBuilder::new().items(RefOr::T(reference_schema())),
        )
        .property(
            "@odata.nextLink",
            text().format(Some(SchemaFormat::Custom("uri".to_owned()))),
        )
        .required("value")
        .into()
}

graph_schema!(
    /// A page of references to directory objects.
    ReferencePage,
    "referenceCollectionResponse".to_owned(),
    reference_page_schema(),
    Vec::new()
);
