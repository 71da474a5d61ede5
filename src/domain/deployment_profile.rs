//! `microsoft.graph.windowsAutopilotDeploymentProfile` (beta) as a table: an abstract type whose
//! profiles are one of two concrete types, with the settings of the beta reference page.

use super::entity::{
    ComplexType, DerivedType, EntitySet, EnumType, Kind, Navigation, Property, TEXT,
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

const fn text(name: &'static str, column: &'static str) -> Property {
    Property::new(name, column, Kind::String(TEXT))
}

const fn flag(name: &'static str, column: &'static str) -> Property {
    Property::new(name, column, Kind::Boolean)
}

const fn member(
    name: &'static str,
    column: &'static str,
    enum_type: &'static EnumType,
) -> Property {
    Property::new(name, column, Kind::Enum(enum_type))
}

/// The settings before May 2024's renames, which Graph still answers with.
pub static OUT_OF_BOX_EXPERIENCE_SETTINGS: ComplexType = ComplexType {
    name: "microsoft.graph.outOfBoxExperienceSettings",
    properties: &[
        flag("hidePrivacySettings", "oobe_hide_privacy_settings"),
        flag("hideEULA", "oobe_hide_eula"),
        member("userType", "oobe_user_type", &USER_TYPE),
        member(
            "deviceUsageType",
            "oobe_device_usage_type",
            &DEVICE_USAGE_TYPE,
        ),
        flag(
            "skipKeyboardSelectionPage",
            "oobe_skip_keyboard_selection_page",
        ),
        flag("hideEscapeLink", "oobe_hide_escape_link"),
    ],
};

pub static OUT_OF_BOX_EXPERIENCE_SETTING: ComplexType = ComplexType {
    name: "microsoft.graph.outOfBoxExperienceSetting",
    properties: &[
        flag("privacySettingsHidden", "oobe_privacy_settings_hidden"),
        flag("eulaHidden", "oobe_eula_hidden"),
        member("userType", "oobe_setting_user_type", &USER_TYPE),
        member(
            "deviceUsageType",
            "oobe_setting_device_usage_type",
            &DEVICE_USAGE_TYPE,
        ),
        flag(
            "keyboardSelectionPageSkipped",
            "oobe_keyboard_selection_page_skipped",
        ),
        flag("escapeLinkHidden", "oobe_escape_link_hidden"),
    ],
};

pub static ENROLLMENT_STATUS_SCREEN_SETTINGS: ComplexType = ComplexType {
    name: "microsoft.graph.windowsEnrollmentStatusScreenSettings",
    properties: &[
        flag("hideInstallationProgress", "esp_hide_installation_progress"),
        flag(
            "allowDeviceUseBeforeProfileAndAppInstallComplete",
            "esp_allow_device_use_before_install_complete",
        ),
        flag(
            "blockDeviceSetupRetryByUser",
            "esp_block_device_setup_retry_by_user",
        ),
        flag(
            "allowLogCollectionOnInstallFailure",
            "esp_allow_log_collection_on_install_failure",
        ),
        text("customErrorMessage", "esp_custom_error_message"),
        Property::new(
            "installProgressTimeoutInMinutes",
            "esp_install_progress_timeout_in_minutes",
            Kind::Int32,
        ),
        flag(
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
        text("displayName", "display_name"),
        text("description", "description"),
        text("language", "language"),
        text("locale", "locale"),
        Property::new("createdDateTime", "created_date_time", Kind::DateTime).read_only(),
        Property::new(
            "lastModifiedDateTime",
            "last_modified_date_time",
            Kind::DateTime,
        )
        .read_only(),
        Property::complex(
            "outOfBoxExperienceSettings",
            &OUT_OF_BOX_EXPERIENCE_SETTINGS,
        ),
        Property::complex("outOfBoxExperienceSetting", &OUT_OF_BOX_EXPERIENCE_SETTING),
        Property::complex(
            "enrollmentStatusScreenSettings",
            &ENROLLMENT_STATUS_SCREEN_SETTINGS,
        ),
        flag("extractHardwareHash", "extract_hardware_hash"),
        flag(
            "hardwareHashExtractionEnabled",
            "hardware_hash_extraction_enabled",
        ),
        text("deviceNameTemplate", "device_name_template"),
        member("deviceType", "device_type", &DEVICE_TYPE),
        flag("enableWhiteGlove", "enable_white_glove"),
        flag("preprovisioningAllowed", "preprovisioning_allowed"),
        Property::new("roleScopeTagIds", "role_scope_tag_ids", Kind::Strings(TEXT)),
        text("managementServiceAppId", "management_service_app_id"),
        flag(
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
};
