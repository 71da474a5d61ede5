//! `microsoft.graph.windowsAutopilotDeviceIdentity` as a table (spec section 2): every v1.0 and beta
//! property in the order Graph writes them, and the enum types they use.

use super::ApiVersion;
use super::entity::{
    BoundAction, EntitySet, EnumType, ItemSegment, Navigation, Property, Segments, UniqueKey,
};

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

/// The device identities of a tenant. `serialNumber` is nullable in Graph's metadata, but the
/// registry is keyed by it (spec: required and non-empty, unique per tenant whatever its case).
pub static DEVICE_IDENTITIES: EntitySet = EntitySet {
    type_name: "microsoft.graph.windowsAutopilotDeviceIdentity",
    description: "The windowsAutopilotDeviceIdentity resource represents a Windows Autopilot Device.",
    path: "deviceManagement/windowsAutopilotDeviceIdentities",
    beta_only: false,
    table: "device_identities",
    properties: &[
        Property::key(),
        Property::text("addressableUserName", "addressable_user_name"),
        Property::text(
            "azureActiveDirectoryDeviceId",
            "azure_active_directory_device_id",
        ),
        Property::text("displayName", "display_name"),
        Property::member("enrollmentState", "enrollment_state", &ENROLLMENT_STATE),
        Property::text("groupTag", "group_tag"),
        Property::date_time("lastContactedDateTime", "last_contacted_date_time"),
        Property::text("managedDeviceId", "managed_device_id"),
        Property::text("manufacturer", "manufacturer"),
        Property::text("model", "model"),
        Property::text("productKey", "product_key"),
        Property::text("purchaseOrderIdentifier", "purchase_order_identifier"),
        Property::text("resourceName", "resource_name"),
        Property::text("serialNumber", "serial_number").required().described(
            "The hardware serial number. Required, and not empty, to create a device; unique in \
             the tenant, compared case-insensitively.",
        ),
        Property::text("skuNumber", "sku_number"),
        Property::text("systemFamily", "system_family"),
        Property::text("userPrincipalName", "user_principal_name"),
        Property::text("azureAdDeviceId", "azure_ad_device_id").beta(),
        Property::text("deviceAccountUpn", "device_account_upn").beta(),
        Property::text("deviceAccountPassword", "device_account_password")
            .beta()
            .secret(),
        Property::text("deviceFriendlyName", "device_friendly_name").beta(),
        Property::member(
            "deploymentProfileAssignmentStatus",
            "deployment_profile_assignment_status",
            &PROFILE_ASSIGNMENT_STATUS,
        )
        .beta(),
        Property::member(
            "deploymentProfileAssignmentDetailedStatus",
            "deployment_profile_assignment_detailed_status",
            &PROFILE_ASSIGNMENT_DETAILED_STATUS,
        )
        .beta(),
        Property::date_time(
            "deploymentProfileAssignedDateTime",
            "deployment_profile_assigned_date_time",
        )
        .beta(),
        Property::member("remediationState", "remediation_state", &REMEDIATION_STATE).beta(),
        Property::date_time(
            "remediationStateLastModifiedDateTime",
            "remediation_state_last_modified_date_time",
        )
        .beta(),
        Property::member(
            "userlessEnrollmentStatus",
            "userless_enrollment_status",
            &USERLESS_ENROLLMENT_STATUS,
        )
        .beta(),
    ],
    aliases: &[],
    unique: Some(UniqueKey {
        index: "device_identities_tenant_serial_key",
        conflict_target: "(tenant_id, lower(serial_number))",
        conflict_message: "ZtdDeviceAlreadyAssigned: a windowsAutopilotDeviceIdentity with this \
                           serialNumber already exists in the tenant (serial numbers are compared \
                           case-insensitively).",
    }),
    // The hardware hash of a device that came in through an import, the id of its directory
    // device (src/domain/directory.rs), and the profiles that target it and that it has, with
    // since when it waits for the former to become the latter (store/assignment_status.rs).
    internal_columns: &[
        "hardware_identifier",
        "directory_object_id",
        "intended_profile_id",
        "assigned_profile_id",
        "assignment_pending_since",
    ],
    derived: &[],
    expandable: &[
        Navigation::DeploymentProfile,
        Navigation::IntendedDeploymentProfile,
    ],
    segments: Segments {
        singleton: false,
        collection_actions: &["deleteDevices"],
        below_item: &[
            ItemSegment::Navigation(Navigation::DeploymentProfile),
            ItemSegment::Navigation(Navigation::IntendedDeploymentProfile),
            ItemSegment::Action(DeviceAction::AssignUserToDevice.bound()),
            ItemSegment::Action(DeviceAction::UnassignUserFromDevice.bound()),
            ItemSegment::Action(DeviceAction::UpdateDeviceProperties.bound()),
            ItemSegment::Action(DeviceAction::AllowNextEnrollment.bound()),
            ItemSegment::Action(DeviceAction::AssignResourceAccountToDevice.bound()),
            ItemSegment::Action(DeviceAction::UnassignResourceAccountFromDevice.bound()),
        ],
    },
};

/// A bound action of windowsAutopilotDeviceIdentity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    AssignUserToDevice,
    UnassignUserFromDevice,
    UpdateDeviceProperties,
    AllowNextEnrollment,
    AssignResourceAccountToDevice,
    UnassignResourceAccountFromDevice,
}

impl DeviceAction {
    pub const ALL: [DeviceAction; 6] = [
        DeviceAction::AssignUserToDevice,
        DeviceAction::UnassignUserFromDevice,
        DeviceAction::UpdateDeviceProperties,
        DeviceAction::AllowNextEnrollment,
        DeviceAction::AssignResourceAccountToDevice,
        DeviceAction::UnassignResourceAccountFromDevice,
    ];

    pub const fn name(self) -> &'static str {
        self.bound().name
    }

    pub fn exists_in(self, version: ApiVersion) -> bool {
        self.bound().exists_in(version)
    }

    /// The action as the URL grammar knows it: its name, and whether only beta has it.
    pub const fn bound(self) -> BoundAction {
        let (name, beta_only) = match self {
            DeviceAction::AssignUserToDevice => ("assignUserToDevice", false),
            DeviceAction::UnassignUserFromDevice => ("unassignUserFromDevice", false),
            DeviceAction::UpdateDeviceProperties => ("updateDeviceProperties", false),
            DeviceAction::AllowNextEnrollment => ("allowNextEnrollment", true),
            DeviceAction::AssignResourceAccountToDevice => ("assignResourceAccountToDevice", true),
            DeviceAction::UnassignResourceAccountFromDevice => {
                ("unassignResourceAccountFromDevice", true)
            }
        };
        BoundAction { name, beta_only }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ApiVersion;
    use crate::domain::entity::Kind;

    #[test]
    fn the_key_comes_first_and_names_are_unique() {
        let properties = DEVICE_IDENTITIES.properties;
        assert_eq!(properties[0].name, "id");
        for (i, p) in properties.iter().enumerate() {
            assert!(
                properties[i + 1..]
                    .iter()
                    .all(|q| q.name != p.name && q.column != p.column),
                "{} is listed twice",
                p.name
            );
        }
    }

    #[test]
    fn only_strings_are_nullable() {
        let nullable = |name| DEVICE_IDENTITIES.property(name).unwrap().nullable;
        assert!(nullable("displayName"));
        assert!(!nullable("serialNumber"));
        assert!(!nullable("enrollmentState"));
        assert!(!nullable("lastContactedDateTime"));
        assert!(!nullable("id"));
    }

    #[test]
    fn beta_members_are_only_accepted_on_beta() {
        assert!(ENROLLMENT_STATE.accepts(ApiVersion::Beta, "blocked"));
        assert!(!ENROLLMENT_STATE.accepts(ApiVersion::V1, "blocked"));
        assert!(ENROLLMENT_STATE.accepts(ApiVersion::V1, "notContacted"));
        assert!(!ENROLLMENT_STATE.accepts(ApiVersion::V1, "NotContacted"));
        assert_eq!(
            ENROLLMENT_STATE.member_on(ApiVersion::V1, "blocked"),
            "unknown"
        );
    }

    #[test]
    fn every_enum_falls_back_to_one_of_its_own_v1_members() {
        for property in DEVICE_IDENTITIES.properties {
            if let Kind::Enum(enum_type) = property.kind {
                let fallback = enum_type.member_on(ApiVersion::V1, "no such member");
                assert!(
                    enum_type.accepts(ApiVersion::V1, fallback),
                    "{}",
                    enum_type.name
                );
            }
        }
    }
}
