//! `microsoft.graph.windowsAutopilotDeploymentProfile` (beta) as a table: an abstract type whose
//! profiles are one of two concrete types, with the settings of the beta reference page. Graph
//! renamed some settings and answers with both names, one value under two: the names before the
//! rename are twins of the new ones' columns.

use super::device_identity::DEVICE_IDENTITIES;
use super::entity::{
    BoundAction, ComplexType, DerivedType, EntitySet, EnumType, ItemSegment, Kind, Navigation,
    Property, Segments, ServerValue, TEXT,
};

pub static USER_TYPE: EnumType = EnumType {
    name: "microsoft.graph.windowsUserType",
    members: &["administrator", "standard", "unknownFutureValue"],
    beta_members: &[],
};
pub static DEVICE_USAGE_TYPE: EnumType = EnumType {
    name: "microsoft.graph.windowsDeviceUsageType",
    members: &["singleUser", "shared", "unknownFutureValue"],
    beta_members: &[],
};
pub static DEVICE_TYPE: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotDeviceType",
    members: &[
        "windowsPc",
        "holoLens",
        "surfaceHub2",
        "surfaceHub2S",
        "virtualMachine",
        "unknownFutureValue",
    ],
    beta_members: &[],
};

/// The settings before May 2024's renames, which Graph still answers with: each member is another
/// name of the renamed one's value (a twin of its column in [`OUT_OF_BOX_EXPERIENCE_SETTING`]).
pub static OUT_OF_BOX_EXPERIENCE_SETTINGS: ComplexType = ComplexType {
    name: "microsoft.graph.outOfBoxExperienceSettings",
    properties: &[
        Property::boolean("hidePrivacySettings", "oobe_privacy_settings_hidden").twin(),
        Property::boolean("hideEULA", "oobe_eula_hidden").twin(),
        Property::member("userType", "oobe_setting_user_type", &USER_TYPE).twin(),
        Property::member(
            "deviceUsageType",
            "oobe_setting_device_usage_type",
            &DEVICE_USAGE_TYPE,
        )
        .twin(),
        Property::boolean(
            "skipKeyboardSelectionPage",
            "oobe_keyboard_selection_page_skipped",
        )
        .twin(),
        Property::boolean("hideEscapeLink", "oobe_escape_link_hidden").twin(),
    ],
};

pub static OUT_OF_BOX_EXPERIENCE_SETTING: ComplexType = ComplexType {
    name: "microsoft.graph.outOfBoxExperienceSetting",
    properties: &[
        Property::boolean("privacySettingsHidden", "oobe_privacy_settings_hidden"),
        Property::boolean("eulaHidden", "oobe_eula_hidden"),
        Property::member("userType", "oobe_setting_user_type", &USER_TYPE),
        Property::member(
            "deviceUsageType",
            "oobe_setting_device_usage_type",
            &DEVICE_USAGE_TYPE,
        ),
        Property::boolean(
            "keyboardSelectionPageSkipped",
            "oobe_keyboard_selection_page_skipped",
        ),
        Property::boolean("escapeLinkHidden", "oobe_escape_link_hidden"),
    ],
};

pub static ENROLLMENT_STATUS_SCREEN_SETTINGS: ComplexType = ComplexType {
    name: "microsoft.graph.windowsEnrollmentStatusScreenSettings",
    properties: &[
        Property::boolean("hideInstallationProgress", "esp_hide_installation_progress"),
        Property::boolean(
            "allowDeviceUseBeforeProfileAndAppInstallComplete",
            "esp_allow_device_use_before_install_complete",
        ),
        Property::boolean(
            "blockDeviceSetupRetryByUser",
            "esp_block_device_setup_retry_by_user",
        ),
        Property::boolean(
            "allowLogCollectionOnInstallFailure",
            "esp_allow_log_collection_on_install_failure",
        ),
        Property::text("customErrorMessage", "esp_custom_error_message"),
        Property::new(
            "installProgressTimeoutInMinutes",
            "esp_install_progress_timeout_in_minutes",
            Kind::Int32,
        ),
        Property::boolean(
            "allowDeviceUseOnInstallFailure",
            "esp_allow_device_use_on_install_failure",
        ),
    ],
};

/// The concrete type of a hybrid-joined profile, and the one property only it has.
pub const ACTIVE_DIRECTORY: &str =
    "microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";

/// The deployment profiles of a tenant (beta only).
pub static DEPLOYMENT_PROFILES: EntitySet = EntitySet {
    type_name: "microsoft.graph.windowsAutopilotDeploymentProfile",
    description: "Windows Autopilot Deployment Profile",
    path: "deviceManagement/windowsAutopilotDeploymentProfiles",
    beta_only: true,
    table: "deployment_profiles",
    properties: &[
        Property::key(),
        Property::concrete_type(),
        Property::text("displayName", "display_name"),
        Property::text("description", "description"),
        Property::text("language", "locale").twin(),
        Property::text("locale", "locale"),
        Property::new("createdDateTime", "created_date_time", Kind::DateTime).read_only(),
        Property::new(
            "lastModifiedDateTime",
            "last_modified_date_time",
            Kind::DateTime,
        )
        .read_only()
        .server_value(ServerValue::UpdateTime),
        Property::complex(
            "outOfBoxExperienceSettings",
            &OUT_OF_BOX_EXPERIENCE_SETTINGS,
        ),
        Property::complex("outOfBoxExperienceSetting", &OUT_OF_BOX_EXPERIENCE_SETTING),
        Property::complex(
            "enrollmentStatusScreenSettings",
            &ENROLLMENT_STATUS_SCREEN_SETTINGS,
        ),
        Property::boolean("extractHardwareHash", "hardware_hash_extraction_enabled").twin(),
        Property::boolean(
            "hardwareHashExtractionEnabled",
            "hardware_hash_extraction_enabled",
        ),
        Property::text("deviceNameTemplate", "device_name_template"),
        Property::member("deviceType", "device_type", &DEVICE_TYPE),
        Property::boolean("enableWhiteGlove", "preprovisioning_allowed").twin(),
        Property::boolean("preprovisioningAllowed", "preprovisioning_allowed"),
        Property::new("roleScopeTagIds", "role_scope_tag_ids", Kind::Strings(TEXT)),
        Property::text("managementServiceAppId", "management_service_app_id"),
        Property::boolean(
            "hybridAzureADJoinSkipConnectivityCheck",
            "hybrid_azure_ad_join_skip_connectivity_check",
        ),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[
        DerivedType {
            type_name: "microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            own: &[],
        },
        DerivedType {
            type_name: ACTIVE_DIRECTORY,
            own: &["hybridAzureADJoinSkipConnectivityCheck"],
        },
    ],
    expandable: &[Navigation::ProfileAssignments],
    segments: Segments {
        singleton: false,
        collection_actions: &["hasPayloadLinks"],
        below_item: &[
            ItemSegment::Contained("assignments"),
            ItemSegment::Related("assignedDevices", &DEVICE_IDENTITIES),
            ItemSegment::Action(BoundAction {
                name: "assign",
                beta_only: true,
            }),
        ],
    },
};
