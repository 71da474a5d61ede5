//! The device identity as this service knows it: one table of properties that every layer reads
//! (wire validation, output, storage columns, later $filter/$select/$orderby), and the values a
//! stored device holds for them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Which API roots expose a property.
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

/// An OData enum type: its qualified name and the camelCase members Graph puts on the wire.
#[derive(Debug, PartialEq)]
pub struct EnumType {
    pub name: &'static str,
    pub members: &'static [&'static str],
    /// Members that only the beta root knows.
    pub beta_members: &'static [&'static str],
}

impl EnumType {
    pub fn accepts(&self, version: ApiVersion, value: &str) -> bool {
        self.members.contains(&value)
            || (version == ApiVersion::Beta && self.beta_members.contains(&value))
    }
}

pub static ENROLLMENT_STATE: EnumType = EnumType {
    name: "microsoft.graph.enrollmentState",
    members: &[
        "unknown",
        "enrolled",
        "pendingReset",
        "failed",
        "notContacted",
    ],
    beta_members: &["blocked"],
};
pub static PROFILE_ASSIGNMENT_STATUS: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotProfileAssignmentStatus",
    // "assignedUnkownSyncState" is misspelt on Graph's wire too; clients expect it that way.
    members: &[
        "unknown",
        "assignedInSync",
        "assignedOutOfSync",
        "assignedUnkownSyncState",
        "notAssigned",
        "pending",
        "failed",
    ],
    beta_members: &[],
};
pub static PROFILE_ASSIGNMENT_DETAILED_STATUS: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotProfileAssignmentDetailedStatus",
    members: &[
        "none",
        "hardwareRequirementsNotMet",
        "surfaceHubProfileNotSupported",
        "holoLensProfileNotSupported",
        "windowsPcProfileNotSupported",
        "surfaceHub2SProfileNotSupported",
        "unknownFutureValue",
    ],
    beta_members: &[],
};
pub static REMEDIATION_STATE: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotDeviceRemediationState",
    members: &[
        "unknown",
        "noRemediationRequired",
        "automaticRemediationRequired",
        "manualRemediationRequired",
        "unknownFutureValue",
    ],
    beta_members: &[],
};
pub static USERLESS_ENROLLMENT_STATUS: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotUserlessEnrollmentStatus",
    members: &["unknown", "allowed", "blocked", "unknownFutureValue"],
    beta_members: &[],
};

/// The Edm type of a property, which decides how it is stored, compared and written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Guid,
    String,
    Enum(&'static EnumType),
    DateTime,
}

#[derive(Debug, PartialEq)]
pub struct Property {
    /// The camelCase name on the wire.
    pub name: &'static str,
    /// The column in `device_identities`.
    pub column: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    pub beta_only: bool,
    /// Stored but never read back or written out.
    pub secret: bool,
}

impl Property {
    pub fn exists_in(&self, version: ApiVersion) -> bool {
        version == ApiVersion::Beta || !self.beta_only
    }
}

const fn prop(name: &'static str, column: &'static str, kind: Kind) -> Property {
    Property {
        name,
        column,
        kind,
        nullable: !matches!(kind, Kind::Enum(_) | Kind::DateTime | Kind::Guid),
        beta_only: false,
        secret: false,
    }
}

const fn beta(property: Property) -> Property {
    Property {
        beta_only: true,
        ..property
    }
}

/// Nullable in Graph's metadata, but our registry is keyed by it (spec: required and non-empty).
const fn required(property: Property) -> Property {
    Property {
        nullable: false,
        ..property
    }
}

const fn secret(property: Property) -> Property {
    Property {
        secret: true,
        ..property
    }
}

/// Every property of `microsoft.graph.windowsAutopilotDeviceIdentity`, in the order Graph writes them.
pub static PROPERTIES: [Property; 27] = [
    prop("id", "id", Kind::Guid),
    prop("addressableUserName", "addressable_user_name", Kind::String),
    prop(
        "azureActiveDirectoryDeviceId",
        "azure_active_directory_device_id",
        Kind::String,
    ),
    prop("displayName", "display_name", Kind::String),
    prop(
        "enrollmentState",
        "enrollment_state",
        Kind::Enum(&ENROLLMENT_STATE),
    ),
    prop("groupTag", "group_tag", Kind::String),
    prop(
        "lastContactedDateTime",
        "last_contacted_date_time",
        Kind::DateTime,
    ),
    prop("managedDeviceId", "managed_device_id", Kind::String),
    prop("manufacturer", "manufacturer", Kind::String),
    prop("model", "model", Kind::String),
    prop("productKey", "product_key", Kind::String),
    prop(
        "purchaseOrderIdentifier",
        "purchase_order_identifier",
        Kind::String,
    ),
    prop("resourceName", "resource_name", Kind::String),
    required(prop("serialNumber", "serial_number", Kind::String)),
    prop("skuNumber", "sku_number", Kind::String),
    prop("systemFamily", "system_family", Kind::String),
    prop("userPrincipalName", "user_principal_name", Kind::String),
    beta(prop("azureAdDeviceId", "azure_ad_device_id", Kind::String)),
    beta(prop("deviceAccountUpn", "device_account_upn", Kind::String)),
    beta(secret(prop(
        "deviceAccountPassword",
        "device_account_password",
        Kind::String,
    ))),
    beta(prop(
        "deviceFriendlyName",
        "device_friendly_name",
        Kind::String,
    )),
    beta(prop(
        "deploymentProfileAssignmentStatus",
        "deployment_profile_assignment_status",
        Kind::Enum(&PROFILE_ASSIGNMENT_STATUS),
    )),
    beta(prop(
        "deploymentProfileAssignmentDetailedStatus",
        "deployment_profile_assignment_detailed_status",
        Kind::Enum(&PROFILE_ASSIGNMENT_DETAILED_STATUS),
    )),
    beta(prop(
        "deploymentProfileAssignedDateTime",
        "deployment_profile_assigned_date_time",
        Kind::DateTime,
    )),
    beta(prop(
        "remediationState",
        "remediation_state",
        Kind::Enum(&REMEDIATION_STATE),
    )),
    beta(prop(
        "remediationStateLastModifiedDateTime",
        "remediation_state_last_modified_date_time",
        Kind::DateTime,
    )),
    beta(prop(
        "userlessEnrollmentStatus",
        "userless_enrollment_status",
        Kind::Enum(&USERLESS_ENROLLMENT_STATUS),
    )),
];

/// Looks a property up by its exact (case-sensitive) wire name.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The value of one property.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Guid(Uuid),
    /// Strings and enum members alike: enums travel and are stored as their camelCase member.
    Text(String),
    DateTime(DateTime<Utc>),
}

/// A stored device: one value per entry of [`PROPERTIES`] (secret ones are never read back and hold
/// [`Value::Null`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub values: Vec<Value>,
}

impl Device {
    pub fn id(&self) -> Uuid {
        match self.values[0] {
            Value::Guid(id) => id,
            ref other => unreachable!("the first property is the Guid key, not {other:?}"),
        }
    }

    /// The value of one property of the table.
    pub fn get(&self, property: &Property) -> &Value {
        let index = PROPERTIES
            .iter()
            .position(|p| std::ptr::eq(p, property))
            .expect("properties come from PROPERTIES");
        &self.values[index]
    }

    /// The properties this device shows on `version`, paired with their values.
    pub fn visible(
        &self,
        version: ApiVersion,
    ) -> impl Iterator<Item = (&'static Property, &Value)> {
        PROPERTIES
            .iter()
            .zip(&self.values)
            .filter(move |(p, _)| p.exists_in(version) && !p.secret)
    }
}

/// The tenant that owns devices: a token's `tid`, or the default tenant without authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant(pub Uuid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_comes_first_and_names_are_unique() {
        assert_eq!(PROPERTIES[0].name, "id");
        for (i, p) in PROPERTIES.iter().enumerate() {
            assert!(
                PROPERTIES[i + 1..]
                    .iter()
                    .all(|q| q.name != p.name && q.column != p.column),
                "{} is listed twice",
                p.name
            );
        }
    }

    #[test]
    fn only_strings_are_nullable() {
        assert!(property("displayName").unwrap().nullable);
        assert!(!property("enrollmentState").unwrap().nullable);
        assert!(!property("lastContactedDateTime").unwrap().nullable);
        assert!(!property("id").unwrap().nullable);
    }

    #[test]
    fn beta_members_are_only_accepted_on_beta() {
        assert!(ENROLLMENT_STATE.accepts(ApiVersion::Beta, "blocked"));
        assert!(!ENROLLMENT_STATE.accepts(ApiVersion::V1, "blocked"));
        assert!(ENROLLMENT_STATE.accepts(ApiVersion::V1, "notContacted"));
        assert!(!ENROLLMENT_STATE.accepts(ApiVersion::V1, "NotContacted"));
    }
}
