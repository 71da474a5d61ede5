//! `microsoft.graph.importedWindowsAutopilotDeviceIdentity` as a table (workflows spec section 1):
//! the hardware hash upload that real devices enter Autopilot through, and its processing state.

use super::ApiVersion;
use super::entity::{
    Alias, ComplexType, EntitySet, EnumType, Kind, Property, Segments, ServerValue,
};

pub static IMPORT_STATUS: EnumType = EnumType {
    name: "microsoft.graph.importedWindowsAutopilotDeviceIdentityImportStatus",
    members: &["unknown", "pending", "partial", "complete", "error"],
    beta_members: &[],
};

/// Where processing stands. A new record is `unknown` with empty strings and code 0 (scripts poll
/// while it is `unknown`), the columns' defaults.
pub static IMPORT_STATE: ComplexType = ComplexType {
    name: "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
    properties: &[
        Property::new(
            "deviceImportStatus",
            "device_import_status",
            Kind::Enum(&IMPORT_STATUS),
        )
        .read_only(),
        Property::text("deviceRegistrationId", "device_registration_id")
            .not_null()
            .read_only(),
        Property::new("deviceErrorCode", "device_error_code", Kind::Int32).read_only(),
        Property::text("deviceErrorName", "device_error_name")
            .not_null()
            .read_only(),
    ],
};

/// The imported identities of a tenant. Client-sent `id`, `importId` and `state` are ignored: the
/// server sets `importId` (the record's own id, or the id shared by one `import` call's records).
pub static IMPORTED_IDENTITIES: EntitySet = EntitySet {
    type_name: "microsoft.graph.importedWindowsAutopilotDeviceIdentity",
    description: "Imported windows autopilot devices: a hardware hash uploaded for Autopilot, and \
                  where its processing stands.",
    path: "deviceManagement/importedWindowsAutopilotDeviceIdentities",
    beta_only: false,
    table: "imported_device_identities",
    properties: &[
        Property::key(),
        Property::text("assignedUserPrincipalName", "assigned_user_principal_name"),
        Property::text("groupTag", "group_tag"),
        Property::new("hardwareIdentifier", "hardware_identifier", Kind::Binary),
        Property::text("importId", "import_id")
            .not_null()
            .read_only()
            .server_value(ServerValue::OwnIdUnlessGiven),
        Property::text("productKey", "product_key"),
        Property::text("serialNumber", "serial_number"),
        Property::complex("state", &IMPORT_STATE).read_only(),
    ],
    aliases: &[Alias {
        name: "orderIdentifier",
        property: "groupTag",
        version: ApiVersion::Beta,
    }],
    unique: None,
    internal_columns: &["pending"],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: false,
        collection_actions: &["import"],
        below_item: &[],
    },
};
