//! What the service knows, apart from HTTP and SQL: entity sets described as tables, the values of
//! their properties, and parsed queries. The wire contract (`graph`) and the store (`store`) both
//! read it; it reads neither.

pub mod assignment_filter;
pub mod autopilot_event;
pub mod configuration_policy;
pub mod corporate_identifier;
pub mod deployment_profile;
pub mod device_identity;
pub mod directory;
pub mod enrollment_configuration;
pub mod enrollment_simulation;
pub mod entity;
pub mod filter_rule;
pub mod import;
pub mod imported_identity;
pub mod managed_device;
pub mod membership;
pub mod mobile_app;
pub mod principals;
pub mod profile_assignment;
pub mod query;
pub mod settings;

use uuid::Uuid;

use entity::EntitySet;

/// Every entity set the service serves.
pub static ENTITY_SETS: [&EntitySet; 15] = [
    &device_identity::DEVICE_IDENTITIES,
    &deployment_profile::DEPLOYMENT_PROFILES,
    &imported_identity::IMPORTED_IDENTITIES,
    &directory::DIRECTORY_DEVICES,
    &directory::GROUPS,
    &principals::USERS,
    &principals::SERVICE_PRINCIPALS,
    &settings::AUTOPILOT_SETTINGS,
    &assignment_filter::ASSIGNMENT_FILTERS,
    &enrollment_configuration::ENROLLMENT_CONFIGURATIONS,
    &mobile_app::MOBILE_APPS,
    &autopilot_event::AUTOPILOT_EVENTS,
    &managed_device::MANAGED_DEVICES,
    &configuration_policy::CONFIGURATION_POLICIES,
    &corporate_identifier::CORPORATE_IDENTIFIERS,
];

/// Entity sets served only below an item of another set, as the navigation that contains them:
/// they have tables and properties as every set, and no path of their own in the URL grammar.
pub static CONTAINED_SETS: [&EntitySet; 1] = [&autopilot_event::POLICY_STATUS_DETAILS];

/// Which API root a request was made under; properties, enum members and actions differ by root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    /// The URL segment of this root.
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// The tenant that owns entities: a token's `tid`, or the default tenant without authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant(pub Uuid);
