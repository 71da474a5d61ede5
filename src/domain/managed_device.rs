//! `microsoft.graph.managedDevice` as a table: a device Intune manages, here one that a simulated
//! Windows Autopilot enrollment made. Every property of the SDK models per root (beta's own marked
//! beta; navigations left out), with what a simulated Windows device has as the columns' defaults;
//! the remote actions scripts call, what each does to the record, and how long one stays pending.

use std::time::Duration;

use super::entity::{
    BoundAction, EntitySet, EnumType, ItemSegment, Kind, Property, Segments, TEXT,
};

pub static COMPLIANCE_STATE: EnumType = EnumType {
    name: "microsoft.graph.complianceState",
    members: &[
        "unknown",
        "compliant",
        "noncompliant",
        "conflict",
        "error",
        "inGracePeriod",
        "configManager",
    ],
    beta_members: &[],
};

pub static ENROLLMENT_TYPE: EnumType = EnumType {
    name: "microsoft.graph.deviceEnrollmentType",
    members: &[
        "unknown",
        "userEnrollment",
        "deviceEnrollmentManager",
        "appleBulkWithUser",
        "appleBulkWithoutUser",
        "windowsAzureADJoin",
        "windowsBulkUserless",
        "windowsAutoEnrollment",
        "windowsBulkAzureDomainJoin",
        "windowsCoManagement",
        "windowsAzureADJoinUsingDeviceAuth",
        "appleUserEnrollment",
        "appleUserEnrollmentWithServiceAccount",
        "unknownFutureValue",
    ],
    beta_members: &[
        "azureAdJoinUsingAzureVmExtension",
        "androidEnterpriseDedicatedDevice",
        "androidEnterpriseFullyManaged",
        "androidEnterpriseCorporateWorkProfile",
        "androidAOSPUserOwnedDeviceEnrollment",
        "androidAOSPUserlessDeviceEnrollment",
        "appleAccountDrivenUserEnrollment",
    ],
};

pub static REGISTRATION_STATE: EnumType = EnumType {
    name: "microsoft.graph.deviceRegistrationState",
    members: &[
        "notRegistered",
        "registered",
        "revoked",
        "keyConflict",
        "approvalPending",
        "certificateReset",
        "notRegisteredPendingEnrollment",
        "unknown",
    ],
    beta_members: &[],
};

pub static EXCHANGE_ACCESS_STATE: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementExchangeAccessState",
    members: &["none", "unknown", "allowed", "blocked", "quarantined"],
    beta_members: &[],
};

pub static EXCHANGE_ACCESS_STATE_REASON: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementExchangeAccessStateReason",
    members: &[
        "none",
        "unknown",
        "exchangeGlobalRule",
        "exchangeIndividualRule",
        "exchangeDeviceRule",
        "exchangeUpgrade",
        "exchangeMailboxPolicy",
        "other",
        "compliant",
        "notCompliant",
        "notEnrolled",
        "unknownLocation",
        "mfaRequired",
        "azureADBlockDueToAccessPolicy",
        "compromisedPassword",
        "deviceNotKnownWithManagedApp",
    ],
    beta_members: &[],
};

pub static MANAGED_DEVICE_OWNER_TYPE: EnumType = EnumType {
    name: "microsoft.graph.managedDeviceOwnerType",
    members: &["unknown", "company", "personal", "unknownFutureValue"],
    beta_members: &[],
};

pub static MANAGEMENT_AGENT: EnumType = EnumType {
    name: "microsoft.graph.managementAgentType",
    members: &[
        "eas",
        "mdm",
        "easMdm",
        "intuneClient",
        "easIntuneClient",
        "configurationManagerClient",
        "configurationManagerClientMdm",
        "configurationManagerClientMdmEas",
        "unknown",
        "jamf",
        "googleCloudDevicePolicyController",
        "microsoft365ManagedMdm",
        "msSense",
    ],
    beta_members: &["intuneAosp", "google", "unknownFutureValue"],
};

pub static MANAGEMENT_STATE: EnumType = EnumType {
    name: "microsoft.graph.managementState",
    members: &[
        "managed",
        "retirePending",
        "retireFailed",
        "wipePending",
        "wipeFailed",
        "unhealthy",
        "deletePending",
        "retireIssued",
        "wipeIssued",
        "wipeCanceled",
        "retireCanceled",
        "discovered",
        "unknownFutureValue",
    ],
    beta_members: &[],
};

pub static PARTNER_REPORTED_HEALTH_STATE: EnumType = EnumType {
    name: "microsoft.graph.managedDevicePartnerReportedHealthState",
    members: &[
        "unknown",
        "activated",
        "deactivated",
        "secured",
        "lowSeverity",
        "mediumSeverity",
        "highSeverity",
        "unresponsive",
        "compromised",
        "misconfigured",
    ],
    beta_members: &[],
};

pub static CHASSIS_TYPE: EnumType = EnumType {
    name: "microsoft.graph.chassisType",
    members: &[],
    beta_members: &[
        "unknown",
        "desktop",
        "laptop",
        "worksWorkstation",
        "enterpriseServer",
        "phone",
        "tablet",
        "mobileOther",
        "mobileUnknown",
    ],
};

pub static DEVICE_TYPE: EnumType = EnumType {
    name: "microsoft.graph.deviceType",
    members: &[],
    beta_members: &[
        "desktop",
        "windowsRT",
        "winMO6",
        "nokia",
        "windowsPhone",
        "mac",
        "winCE",
        "winEmbedded",
        "iPhone",
        "iPad",
        "iPod",
        "android",
        "iSocConsumer",
        "unix",
        "macMDM",
        "holoLens",
        "surfaceHub",
        "androidForWork",
        "androidEnterprise",
        "windows10x",
        "androidnGMS",
        "chromeOS",
        "linux",
        "visionOS",
        "tvOS",
        "blackberry",
        "palm",
        "unknown",
        "cloudPC",
    ],
};

pub static JOIN_TYPE: EnumType = EnumType {
    name: "microsoft.graph.joinType",
    members: &[],
    beta_members: &[
        "unknown",
        "azureADJoined",
        "azureADRegistered",
        "hybridAzureADJoined",
    ],
};

pub static LOST_MODE_STATE: EnumType = EnumType {
    name: "microsoft.graph.lostModeState",
    members: &[],
    beta_members: &["disabled", "enabled"],
};

pub static MANAGEMENT_FEATURES: EnumType = EnumType {
    name: "microsoft.graph.managedDeviceManagementFeatures",
    members: &[],
    beta_members: &["none", "microsoftManagedDesktop"],
};

pub static OWNER_TYPE: EnumType = EnumType {
    name: "microsoft.graph.ownerType",
    members: &[],
    beta_members: &["unknown", "company", "personal"],
};

pub static PROCESSOR_ARCHITECTURE: EnumType = EnumType {
    name: "microsoft.graph.managedDeviceArchitecture",
    members: &[],
    beta_members: &["unknown", "x86", "x64", "arm", "arM64"],
};

/// `microsoft.graph.actionState`, the state of one remote action in `deviceActionResults`.
pub static ACTION_STATE: EnumType = EnumType {
    name: "microsoft.graph.actionState",
    members: &[
        "none",
        "pending",
        "canceled",
        "active",
        "done",
        "failed",
        "notSupported",
    ],
    beta_members: &[],
};

/// The remote actions served on a managed device (each `POST .../{id}/{action}`, 204).
pub const ACTIONS: [BoundAction; 9] = [
    BoundAction {
        name: "wipe",
        beta_only: false,
    },
    BoundAction {
        name: "retire",
        beta_only: false,
    },
    BoundAction {
        name: "syncDevice",
        beta_only: false,
    },
    BoundAction {
        name: "rebootNow",
        beta_only: false,
    },
    BoundAction {
        name: "remoteLock",
        beta_only: false,
    },
    BoundAction {
        name: "shutDown",
        beta_only: false,
    },
    BoundAction {
        name: "setDeviceName",
        beta_only: true,
    },
    BoundAction {
        name: "cleanWindowsDevice",
        beta_only: false,
    },
    BoundAction {
        name: "rotateLocalAdminPassword",
        beta_only: true,
    },
];

/// A remote action as the device will carry it out: what it changes on the record once done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    pub action: &'static str,
    /// The name `setDeviceName` gives the device.
    pub new_device_name: Option<String>,
    /// The device leaves Intune once the action is done: `retire`, and `wipe` unless it keeps the
    /// enrollment (Intune's "wipe device, but keep enrollment state and associated user account").
    pub leaves_intune: bool,
    /// `managementState` while the action is pending (Intune's `wipePending`, `retirePending`).
    pub pending_state: Option<&'static str>,
}

impl ActionRequest {
    /// An action that changes nothing on the record but its `deviceActionResults`.
    pub fn plain(action: &'static str) -> ActionRequest {
        ActionRequest {
            action,
            new_device_name: None,
            leaves_intune: false,
            pending_state: None,
        }
    }
}

/// How long a remote action stays `pending` before it is `done` (and takes effect): the device
/// would pick it up at its next check-in; a simulated one answers this fast.
pub const ACTION_COMPLETES_AFTER: Duration = Duration::from_secs(2);

/// A string Intune writes as `""` when the device has no value (never null).
const fn text(name: &'static str, column: &'static str) -> Property {
    Property::text(name, column).not_null()
}

/// A document (a complex value Graph writes whole) that is never null.
const fn document(name: &'static str, column: &'static str, type_name: &'static str) -> Property {
    Property::new(name, column, Kind::Document(type_name)).not_null()
}

/// The managed devices of a tenant, on both roots. Which properties a client may PATCH follows the
/// SDK models: those their serializers write (the rest are read-only in Graph's metadata).
pub static MANAGED_DEVICES: EntitySet = EntitySet {
    type_name: "microsoft.graph.managedDevice",
    description: "A device Intune manages: here one that a simulated Windows Autopilot \
                  enrollment made. No client creates one.",
    path: "deviceManagement/managedDevices",
    beta_only: false,
    table: "managed_devices",
    properties: &[
        Property::key(),
        text("userId", "user_id").read_only(),
        text("deviceName", "device_name")
            .read_only()
            .described("Set at enrollment from the profile's template; changed by setDeviceName."),
        Property::member(
            "managedDeviceOwnerType",
            "managed_device_owner_type",
            &MANAGED_DEVICE_OWNER_TYPE,
        ),
        Property::date_time("enrolledDateTime", "enrolled_date_time").read_only(),
        Property::date_time("lastSyncDateTime", "last_sync_date_time").read_only(),
        text("operatingSystem", "operating_system").read_only(),
        Property::member("complianceState", "compliance_state", &COMPLIANCE_STATE),
        text("jailBroken", "jail_broken").read_only(),
        Property::member("managementAgent", "management_agent", &MANAGEMENT_AGENT),
        text("osVersion", "os_version").read_only(),
        Property::boolean("easActivated", "eas_activated").read_only(),
        text("easDeviceId", "eas_device_id").read_only(),
        Property::date_time("easActivationDateTime", "eas_activation_date_time").read_only(),
        Property::boolean("azureADRegistered", "azure_ad_registered").read_only(),
        Property::member(
            "deviceEnrollmentType",
            "device_enrollment_type",
            &ENROLLMENT_TYPE,
        ),
        text("activationLockBypassCode", "activation_lock_bypass_code").read_only(),
        text("emailAddress", "email_address").read_only(),
        text("azureADDeviceId", "azure_ad_device_id").read_only(),
        Property::member(
            "deviceRegistrationState",
            "device_registration_state",
            &REGISTRATION_STATE,
        ),
        text("deviceCategoryDisplayName", "device_category_display_name").read_only(),
        Property::boolean("isSupervised", "is_supervised").read_only(),
        Property::date_time(
            "exchangeLastSuccessfulSyncDateTime",
            "exchange_last_successful_sync_date_time",
        )
        .read_only(),
        Property::member(
            "exchangeAccessState",
            "exchange_access_state",
            &EXCHANGE_ACCESS_STATE,
        ),
        Property::member(
            "exchangeAccessStateReason",
            "exchange_access_state_reason",
            &EXCHANGE_ACCESS_STATE_REASON,
        ),
        text(
            "remoteAssistanceSessionUrl",
            "remote_assistance_session_url",
        )
        .read_only(),
        text(
            "remoteAssistanceSessionErrorDetails",
            "remote_assistance_session_error_details",
        )
        .read_only(),
        Property::boolean("isEncrypted", "is_encrypted").read_only(),
        text("userPrincipalName", "user_principal_name").read_only(),
        text("model", "model").read_only(),
        text("manufacturer", "manufacturer").read_only(),
        text("imei", "imei").read_only(),
        Property::date_time(
            "complianceGracePeriodExpirationDateTime",
            "compliance_grace_period_expiration_date_time",
        )
        .read_only(),
        text("serialNumber", "serial_number").read_only(),
        text("phoneNumber", "phone_number").read_only(),
        text("androidSecurityPatchLevel", "android_security_patch_level").read_only(),
        text("userDisplayName", "user_display_name").read_only(),
        Property::new(
            "configurationManagerClientEnabledFeatures",
            "configuration_manager_client_enabled_features",
            Kind::Document("microsoft.graph.configurationManagerClientEnabledFeatures"),
        ),
        text("wiFiMacAddress", "wi_fi_mac_address").read_only(),
        Property::new(
            "deviceHealthAttestationState",
            "device_health_attestation_state",
            Kind::Document("microsoft.graph.deviceHealthAttestationState"),
        ),
        text("subscriberCarrier", "subscriber_carrier").read_only(),
        text("meid", "meid").read_only(),
        Property::new(
            "totalStorageSpaceInBytes",
            "total_storage_space_in_bytes",
            Kind::Int64,
        )
        .read_only(),
        Property::new(
            "freeStorageSpaceInBytes",
            "free_storage_space_in_bytes",
            Kind::Int64,
        )
        .read_only(),
        text("managedDeviceName", "managed_device_name"),
        Property::member(
            "partnerReportedThreatState",
            "partner_reported_threat_state",
            &PARTNER_REPORTED_HEALTH_STATE,
        ),
        Property::boolean(
            "requireUserEnrollmentApproval",
            "require_user_enrollment_approval",
        )
        .read_only(),
        Property::date_time(
            "managementCertificateExpirationDate",
            "management_certificate_expiration_date",
        )
        .read_only(),
        text("iccid", "iccid").read_only(),
        text("udid", "udid").read_only(),
        text("notes", "notes"),
        text("ethernetMacAddress", "ethernet_mac_address").read_only(),
        Property::new(
            "physicalMemoryInBytes",
            "physical_memory_in_bytes",
            Kind::Int64,
        )
        .read_only(),
        text("enrollmentProfileName", "enrollment_profile_name").read_only(),
        Property::member("managementState", "management_state", &MANAGEMENT_STATE),
        document(
            "deviceActionResults",
            "device_action_results",
            "Collection(microsoft.graph.deviceActionResult)",
        )
        .described(
            "The remote actions sent to the device: each pending, then done once the device \
             has carried it out.",
        ),
        // beta only
        Property::boolean("aadRegistered", "azure_ad_registered")
            .read_only()
            .twin()
            .beta(),
        Property::boolean("autopilotEnrolled", "autopilot_enrolled")
            .read_only()
            .beta(),
        text("azureActiveDirectoryDeviceId", "azure_ad_device_id")
            .read_only()
            .twin()
            .beta(),
        Property::boolean("bootstrapTokenEscrowed", "bootstrap_token_escrowed")
            .read_only()
            .beta(),
        Property::member("chassisType", "chassis_type", &CHASSIS_TYPE).beta(),
        document(
            "chromeOSDeviceInfo",
            "chrome_os_device_info",
            "Collection(microsoft.graph.chromeOSDeviceProperty)",
        )
        .beta(),
        document(
            "cloudPcRemoteActionResults",
            "cloud_pc_remote_action_results",
            "Collection(microsoft.graph.cloudPcRemoteActionResult)",
        )
        .beta(),
        Property::new(
            "configurationManagerClientHealthState",
            "configuration_manager_client_health_state",
            Kind::Document("microsoft.graph.configurationManagerClientHealthState"),
        )
        .beta(),
        Property::new(
            "configurationManagerClientInformation",
            "configuration_manager_client_information",
            Kind::Document("microsoft.graph.configurationManagerClientInformation"),
        )
        .beta(),
        Property::boolean(
            "deviceFirmwareConfigurationInterfaceManaged",
            "device_firmware_configuration_interface_managed",
        )
        .beta(),
        Property::member("deviceType", "device_type", &DEVICE_TYPE).beta(),
        text(
            "enrolledByUserPrincipalName",
            "enrolled_by_user_principal_name",
        )
        .read_only()
        .beta(),
        Property::new(
            "hardwareInformation",
            "hardware_information",
            Kind::Document("microsoft.graph.hardwareInformation"),
        )
        .beta(),
        Property::member("joinType", "join_type", &JOIN_TYPE).beta(),
        Property::member("lostModeState", "lost_mode_state", &LOST_MODE_STATE).beta(),
        Property::member(
            "managementFeatures",
            "management_features",
            &MANAGEMENT_FEATURES,
        )
        .beta(),
        Property::member("ownerType", "owner_type", &OWNER_TYPE).beta(),
        Property::date_time(
            "preferMdmOverGroupPolicyAppliedDateTime",
            "prefer_mdm_over_group_policy_applied_date_time",
        )
        .read_only()
        .beta(),
        Property::member(
            "processorArchitecture",
            "processor_architecture",
            &PROCESSOR_ARCHITECTURE,
        )
        .beta(),
        Property::date_time("retireAfterDateTime", "retire_after_date_time")
            .read_only()
            .beta(),
        Property::new("roleScopeTagIds", "role_scope_tag_ids", Kind::Strings(TEXT)).beta(),
        text("securityPatchLevel", "security_patch_level")
            .read_only()
            .beta(),
        text("skuFamily", "sku_family").beta(),
        Property::new("skuNumber", "sku_number", Kind::Int32)
            .read_only()
            .beta(),
        text("specificationVersion", "specification_version")
            .read_only()
            .beta(),
        document(
            "usersLoggedOn",
            "users_logged_on",
            "Collection(microsoft.graph.loggedOnUser)",
        )
        .beta(),
        Property::new(
            "windowsActiveMalwareCount",
            "windows_active_malware_count",
            Kind::Int32,
        )
        .read_only()
        .beta(),
        Property::new(
            "windowsRemediatedMalwareCount",
            "windows_remediated_malware_count",
            Kind::Int32,
        )
        .read_only()
        .beta(),
    ],
    aliases: &[],
    unique: None,
    // When the pending actions in deviceActionResults are done (null: none is pending), and what
    // they will do then.
    internal_columns: &["actions_settle_at", "pending_device_name", "leaves_intune"],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: false,
        collection_actions: &[],
        below_item: &[
            ItemSegment::Action(ACTIONS[0]),
            ItemSegment::Action(ACTIONS[1]),
            ItemSegment::Action(ACTIONS[2]),
            ItemSegment::Action(ACTIONS[3]),
            ItemSegment::Action(ACTIONS[4]),
            ItemSegment::Action(ACTIONS[5]),
            ItemSegment::Action(ACTIONS[6]),
            ItemSegment::Action(ACTIONS[7]),
            ItemSegment::Action(ACTIONS[8]),
        ],
    },
};
