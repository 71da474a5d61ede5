//! `microsoft.graph.deviceAndAppManagementAssignmentFilter` (beta) as a table: the assignment
//! filters of a tenant, whose `rule` keeps to the filter grammar of their `platform`
//! ([`super::filter_rule`]) and whose management type is the platform's.

use super::entity::{
    BoundAction, EntitySet, EnumType, ItemSegment, Kind, Property, Segments, ServerValue, TEXT,
    TextLimits,
};
use super::filter_rule::{APP_PLATFORMS, MAX_RULE_CHARS};

pub static PLATFORM: EnumType = EnumType {
    name: "microsoft.graph.devicePlatformType",
    members: &[
        "android",
        "androidForWork",
        "iOS",
        "macOS",
        "windowsPhone81",
        "windows81AndLater",
        "windows10AndLater",
        "androidWorkProfile",
        "unknown",
        "androidAOSP",
        "androidMobileApplicationManagement",
        "iOSMobileApplicationManagement",
        "unknownFutureValue",
        "windowsMobileApplicationManagement",
    ],
    beta_members: &[],
};

pub static MANAGEMENT_TYPE: EnumType = EnumType {
    name: "microsoft.graph.assignmentFilterManagementType",
    members: &["devices", "apps", "unknownFutureValue"],
    beta_members: &[],
};

pub static EVALUATION_MODE: EnumType = EnumType {
    name: "microsoft.graph.assignmentFilterEvaluationMode",
    members: &[
        "checkinTimeEvaluation",
        "inventoryEvaluation",
        "mixedEvaluation",
        "disabled",
        "unknownFutureValue",
    ],
    beta_members: &[],
};

/// The management type of filters of `platform`: managed apps' platforms filter apps, the others
/// devices.
pub fn management_type_of(platform: &str) -> &'static str {
    if APP_PLATFORMS.contains(&platform) {
        "apps"
    } else {
        "devices"
    }
}

/// The item function that lists the properties a filter's rule may test.
pub const GET_SUPPORTED_PROPERTIES: BoundAction = BoundAction {
    name: "getSupportedProperties",
    beta_only: true,
};

/// The collection action that checks a filter without storing it.
pub const VALIDATE_FILTER: &str = "validateFilter";

/// The collection action that turns the tenant's filters on or off.
pub const ENABLE: &str = "enable";

/// The collection function that tells whether the tenant's filters are on.
pub const GET_STATE: &str = "getState";

/// The collection function that lists the properties a rule of one platform may test; its one
/// parameter is [`PLATFORM_PARAMETER`].
pub const GET_PLATFORM_SUPPORTED_PROPERTIES: &str = "getPlatformSupportedProperties";

/// The parameter of [`GET_PLATFORM_SUPPORTED_PROPERTIES`].
pub const PLATFORM_PARAMETER: &str = "platform";

/// Whether a tenant's filters are on before it calls `enable`: filters are generally available in
/// Intune, and the `getState` reference page's example answers `enabled: true`.
pub const ENABLED_BY_DEFAULT: bool = true;

/// The assignment filters of a tenant (beta only).
pub static ASSIGNMENT_FILTERS: EntitySet = EntitySet {
    type_name: "microsoft.graph.deviceAndAppManagementAssignmentFilter",
    description: "A class containing the properties used for Assignment Filter.",
    path: "deviceManagement/assignmentFilters",
    beta_only: true,
    table: "assignment_filters",
    properties: &[
        Property::key(),
        Property::text("displayName", "display_name").required(),
        Property::text("description", "description"),
        Property::member("platform", "platform", &PLATFORM).required(),
        Property::new(
            "rule",
            "rule",
            Kind::String(TextLimits {
                min_chars: 1,
                max_chars: MAX_RULE_CHARS,
            }),
        )
        .required()
        .described("Rule definition of the assignment filter, in Intune's filter rule syntax."),
        Property::new("roleScopeTags", "role_scope_tags", Kind::Strings(TEXT)),
        Property::member(
            "assignmentFilterManagementType",
            "assignment_filter_management_type",
            &MANAGEMENT_TYPE,
        )
        .described("'apps' for the platforms of managed apps, else 'devices' (the default)."),
        Property {
            nullable: true,
            ..Property::member("evaluationMode", "evaluation_mode", &EVALUATION_MODE)
        },
        Property::date_time("createdDateTime", "created_date_time").read_only(),
        Property::date_time("lastModifiedDateTime", "last_modified_date_time")
            .read_only()
            .server_value(ServerValue::UpdateTime),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: false,
        collection_actions: &[
            VALIDATE_FILTER,
            ENABLE,
            GET_STATE,
            GET_PLATFORM_SUPPORTED_PROPERTIES,
        ],
        below_item: &[ItemSegment::Action(GET_SUPPORTED_PROPERTIES)],
    },
};
