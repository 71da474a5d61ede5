//! `microsoft.graph.deviceEnrollmentConfiguration` as a table: an abstract type whose
//! configurations are the Enrollment Status Page, device limits, platform restrictions and Windows
//! Hello for Business, each with the properties of the SDK models per root; Intune's four defaults
//! that every tenant has; their assignments; and which Enrollment Status Page applies to a device.

use std::collections::HashSet;

use uuid::Uuid;

use super::entity::{
    BoundAction, ComplexType, DerivedType, EntitySet, EnumType, ItemSegment, Kind, Navigation,
    Property, Segments, ServerValue, TEXT,
};
use super::profile_assignment::ALL_DEVICES_GROUP;

pub static ENABLEMENT: EnumType = EnumType {
    name: "microsoft.graph.enablement",
    members: &["notConfigured", "enabled", "disabled"],
    beta_members: &[],
};

pub static PIN_USAGE: EnumType = EnumType {
    name: "microsoft.graph.windowsHelloForBusinessPinUsage",
    members: &["allowed", "required", "disallowed"],
    beta_members: &[],
};

/// Beta's `deviceEnrollmentConfigurationType`, which names what a configuration is.
pub static CONFIGURATION_TYPE: EnumType = EnumType {
    name: "microsoft.graph.deviceEnrollmentConfigurationType",
    members: &[],
    beta_members: &[
        "unknown",
        "limit",
        "platformRestrictions",
        "windowsHelloForBusiness",
        "defaultLimit",
        "defaultPlatformRestrictions",
        "defaultWindowsHelloForBusiness",
        "defaultWindows10EnrollmentCompletionPageConfiguration",
        "windows10EnrollmentCompletionPageConfiguration",
        "deviceComanagementAuthorityConfiguration",
        "singlePlatformRestriction",
        "unknownFutureValue",
        "enrollmentNotificationsConfiguration",
        "windowsRestore",
    ],
};

pub static PLATFORM_TYPE: EnumType = EnumType {
    name: "microsoft.graph.enrollmentRestrictionPlatformType",
    members: &[],
    beta_members: &[
        "allPlatforms",
        "ios",
        "windows",
        "windowsPhone",
        "android",
        "androidForWork",
        "mac",
        "linux",
        "unknownFutureValue",
    ],
};

/// `microsoft.graph.deviceEnrollmentPlatformRestriction` with its members in columns that start
/// with `$prefix`: one complex type per property, as each has columns of its own.
macro_rules! platform_restriction {
    ($name:ident, $prefix:literal) => {
        pub static $name: ComplexType = ComplexType {
            name: "microsoft.graph.deviceEnrollmentPlatformRestriction",
            properties: &[
                Property::boolean("platformBlocked", concat!($prefix, "_platform_blocked")),
                Property::boolean(
                    "personalDeviceEnrollmentBlocked",
                    concat!($prefix, "_personal_device_enrollment_blocked"),
                ),
                Property::text("osMinimumVersion", concat!($prefix, "_os_minimum_version")),
                Property::text("osMaximumVersion", concat!($prefix, "_os_maximum_version")),
                Property::new(
                    "blockedManufacturers",
                    concat!($prefix, "_blocked_manufacturers"),
                    Kind::Strings(TEXT),
                )
                .beta(),
                Property::new(
                    "blockedSkus",
                    concat!($prefix, "_blocked_skus"),
                    Kind::Strings(TEXT),
                )
                .beta(),
            ],
        };
    };
}

platform_restriction!(IOS_RESTRICTION, "ios");
platform_restriction!(WINDOWS_RESTRICTION, "windows");
platform_restriction!(WINDOWS_HOME_SKU_RESTRICTION, "windows_home_sku");
platform_restriction!(WINDOWS_MOBILE_RESTRICTION, "windows_mobile");
platform_restriction!(ANDROID_RESTRICTION, "android");
platform_restriction!(ANDROID_FOR_WORK_RESTRICTION, "android_for_work");
platform_restriction!(MAC_RESTRICTION, "mac");
platform_restriction!(MAC_OS_RESTRICTION, "mac_os");
platform_restriction!(TVOS_RESTRICTION, "tvos");
platform_restriction!(VISION_OS_RESTRICTION, "vision_os");
platform_restriction!(SINGLE_PLATFORM_RESTRICTION, "single_platform");

/// The concrete types.
pub const ESP: &str = "microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
pub const LIMIT: &str = "microsoft.graph.deviceEnrollmentLimitConfiguration";
pub const PLATFORM_RESTRICTIONS: &str =
    "microsoft.graph.deviceEnrollmentPlatformRestrictionsConfiguration";
/// Beta only: a restriction of one platform.
pub const SINGLE_PLATFORM: &str =
    "microsoft.graph.deviceEnrollmentPlatformRestrictionConfiguration";
pub const WINDOWS_HELLO: &str =
    "microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration";

/// The property that lists an Enrollment Status Page's blocking apps (mobileApps ids).
pub const SELECTED_APPS: &str = "selectedMobileAppIds";

/// An Int32 that `$orderby` takes (`$filter` compares no Int32).
const fn ordered(name: &'static str, column: &'static str) -> Property {
    Property {
        orderable: true,
        ..Property::new(name, column, Kind::Int32)
    }
}

/// The enrollment configurations of a tenant, on both roots.
pub static ENROLLMENT_CONFIGURATIONS: EntitySet = EntitySet {
    type_name: "microsoft.graph.deviceEnrollmentConfiguration",
    description: "The base type of the enrollment configurations: the Enrollment Status Page, \
                  device limits, platform restrictions and Windows Hello for Business. Every \
                  tenant has Intune's defaults at priority 0, which cannot be deleted nor \
                  assigned.",
    path: "deviceManagement/deviceEnrollmentConfigurations",
    beta_only: false,
    table: "device_enrollment_configurations",
    properties: &[
        Property::key(),
        Property::concrete_type(),
        Property::text("displayName", "display_name"),
        Property::text("description", "description"),
        ordered("priority", "priority")
            .read_only()
            .described("Set on create, the next free one of the type; changed by setPriority."),
        Property::date_time("createdDateTime", "created_date_time").read_only(),
        Property::date_time("lastModifiedDateTime", "last_modified_date_time")
            .read_only()
            .server_value(ServerValue::UpdateTime),
        Property::new("version", "version", Kind::Int32).read_only(),
        Property::new("roleScopeTagIds", "role_scope_tag_ids", Kind::Strings(TEXT)).beta(),
        Property::member(
            "deviceEnrollmentConfigurationType",
            "device_enrollment_configuration_type",
            &CONFIGURATION_TYPE,
        )
        .read_only()
        .beta(),
        // windows10EnrollmentCompletionPageConfiguration
        Property::boolean(
            "allowNonBlockingAppInstallation",
            "allow_non_blocking_app_installation",
        ),
        Property::boolean("showInstallationProgress", "show_installation_progress").beta(),
        Property::boolean(
            "blockDeviceSetupRetryByUser",
            "block_device_setup_retry_by_user",
        )
        .beta(),
        Property::boolean(
            "allowDeviceResetOnInstallFailure",
            "allow_device_reset_on_install_failure",
        )
        .beta(),
        Property::boolean(
            "allowLogCollectionOnInstallFailure",
            "allow_log_collection_on_install_failure",
        )
        .beta(),
        Property::text("customErrorMessage", "custom_error_message").beta(),
        Property::new(
            "installProgressTimeoutInMinutes",
            "install_progress_timeout_in_minutes",
            Kind::Int32,
        )
        .beta(),
        Property::boolean(
            "allowDeviceUseOnInstallFailure",
            "allow_device_use_on_install_failure",
        )
        .beta(),
        Property::new(
            SELECTED_APPS,
            "selected_mobile_app_ids",
            Kind::Strings(TEXT),
        )
        .described("The ids of mobileApps of the tenant that block the device until installed.")
        .beta(),
        Property::boolean(
            "trackInstallProgressForAutopilotOnly",
            "track_install_progress_for_autopilot_only",
        )
        .beta(),
        Property::boolean(
            "disableUserStatusTrackingAfterFirstUser",
            "disable_user_status_tracking_after_first_user",
        )
        .beta(),
        Property::boolean("installQualityUpdates", "install_quality_updates").beta(),
        // deviceEnrollmentLimitConfiguration
        Property::new("limit", "enrollment_limit", Kind::Int32),
        // deviceEnrollmentPlatformRestrictionsConfiguration
        Property::complex("iosRestriction", &IOS_RESTRICTION),
        Property::complex("windowsRestriction", &WINDOWS_RESTRICTION),
        Property::complex("windowsHomeSkuRestriction", &WINDOWS_HOME_SKU_RESTRICTION).beta(),
        Property::complex("windowsMobileRestriction", &WINDOWS_MOBILE_RESTRICTION),
        Property::complex("androidRestriction", &ANDROID_RESTRICTION),
        Property::complex("androidForWorkRestriction", &ANDROID_FOR_WORK_RESTRICTION).beta(),
        Property::complex("macRestriction", &MAC_RESTRICTION).beta(),
        Property::complex("macOSRestriction", &MAC_OS_RESTRICTION),
        Property::complex("tvosRestriction", &TVOS_RESTRICTION).beta(),
        Property::complex("visionOSRestriction", &VISION_OS_RESTRICTION).beta(),
        // deviceEnrollmentPlatformRestrictionConfiguration (beta)
        Property::complex("platformRestriction", &SINGLE_PLATFORM_RESTRICTION).beta(),
        Property::member("platformType", "platform_type", &PLATFORM_TYPE).beta(),
        // deviceEnrollmentWindowsHelloForBusinessConfiguration
        Property::new("pinMinimumLength", "pin_minimum_length", Kind::Int32),
        Property::new("pinMaximumLength", "pin_maximum_length", Kind::Int32),
        Property::member(
            "pinUppercaseCharactersUsage",
            "pin_uppercase_characters_usage",
            &PIN_USAGE,
        ),
        Property::member(
            "pinLowercaseCharactersUsage",
            "pin_lowercase_characters_usage",
            &PIN_USAGE,
        ),
        Property::member(
            "pinSpecialCharactersUsage",
            "pin_special_characters_usage",
            &PIN_USAGE,
        ),
        Property::member("state", "state", &ENABLEMENT),
        Property::boolean("securityDeviceRequired", "security_device_required"),
        Property::boolean(
            "unlockWithBiometricsEnabled",
            "unlock_with_biometrics_enabled",
        ),
        Property::boolean("remotePassportEnabled", "remote_passport_enabled"),
        Property::new(
            "pinPreviousBlockCount",
            "pin_previous_block_count",
            Kind::Int32,
        ),
        Property::new("pinExpirationInDays", "pin_expiration_in_days", Kind::Int32),
        Property::member(
            "enhancedBiometricsState",
            "enhanced_biometrics_state",
            &ENABLEMENT,
        ),
        Property::member(
            "securityKeyForSignIn",
            "security_key_for_sign_in",
            &ENABLEMENT,
        )
        .beta(),
        Property::new(
            "enhancedSignInSecurity",
            "enhanced_sign_in_security",
            Kind::Int32,
        )
        .beta(),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[
        DerivedType {
            type_name: ESP,
            own: &[
                "allowNonBlockingAppInstallation",
                "showInstallationProgress",
                "blockDeviceSetupRetryByUser",
                "allowDeviceResetOnInstallFailure",
                "allowLogCollectionOnInstallFailure",
                "customErrorMessage",
                "installProgressTimeoutInMinutes",
                "allowDeviceUseOnInstallFailure",
                SELECTED_APPS,
                "trackInstallProgressForAutopilotOnly",
                "disableUserStatusTrackingAfterFirstUser",
                "installQualityUpdates",
            ],
        },
        DerivedType {
            type_name: LIMIT,
            own: &["limit"],
        },
        DerivedType {
            type_name: PLATFORM_RESTRICTIONS,
            own: &[
                "iosRestriction",
                "windowsRestriction",
                "windowsHomeSkuRestriction",
                "windowsMobileRestriction",
                "androidRestriction",
                "androidForWorkRestriction",
                "macRestriction",
                "macOSRestriction",
                "tvosRestriction",
                "visionOSRestriction",
            ],
        },
        DerivedType {
            type_name: SINGLE_PLATFORM,
            own: &["platformRestriction", "platformType"],
        },
        DerivedType {
            type_name: WINDOWS_HELLO,
            own: &[
                "pinMinimumLength",
                "pinMaximumLength",
                "pinUppercaseCharactersUsage",
                "pinLowercaseCharactersUsage",
                "pinSpecialCharactersUsage",
                "state",
                "securityDeviceRequired",
                "unlockWithBiometricsEnabled",
                "remotePassportEnabled",
                "pinPreviousBlockCount",
                "pinExpirationInDays",
                "enhancedBiometricsState",
                "securityKeyForSignIn",
                "enhancedSignInSecurity",
            ],
        },
    ],
    expandable: &[Navigation::EnrollmentAssignments],
    segments: Segments {
        singleton: false,
        collection_actions: &[],
        below_item: &[
            ItemSegment::Action(BoundAction {
                name: "assign",
                beta_only: false,
            }),
            ItemSegment::Action(BoundAction {
                name: "setPriority",
                beta_only: false,
            }),
            ItemSegment::Contained("assignments"),
        ],
    },
};

/// What beta's `deviceEnrollmentConfigurationType` says of a configuration of a concrete type (a
/// default says the same as the others of its type, as Intune's do).
pub fn configuration_type(type_name: &str) -> &'static str {
    match type_name {
        ESP => "windows10EnrollmentCompletionPageConfiguration",
        LIMIT => "limit",
        PLATFORM_RESTRICTIONS => "platformRestrictions",
        SINGLE_PLATFORM => "singlePlatformRestriction",
        WINDOWS_HELLO => "windowsHelloForBusiness",
        _ => "unknown",
    }
}

/// One of Intune's default configurations, which every tenant has.
#[derive(Debug)]
pub struct DefaultConfiguration {
    /// The same in every tenant (keys are per tenant). Intune's own ids are
    /// `{tenantId}_DefaultLimit` and so on; ours are GUIDs, as every key of the service is.
    pub id: Uuid,
    pub type_name: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
}

/// The display name Intune gives every default.
const ALL_USERS_AND_DEVICES: &str = "All users and all devices";

/// Intune's defaults, with its display names and descriptions (docs/endpoints.md names the
/// source); their other values are the columns' defaults.
pub static DEFAULTS: [DefaultConfiguration; 4] = [
    DefaultConfiguration {
        id: Uuid::from_u128(0xdefa0000_e5b0_4000_8000_000000000001),
        type_name: ESP,
        display_name: ALL_USERS_AND_DEVICES,
        description: "This is the default enrollment status screen configuration applied with \
                      the lowest priority to all users and all devices regardless of group \
                      membership.",
    },
    DefaultConfiguration {
        id: Uuid::from_u128(0xdefa0000_e5b0_4000_8000_000000000002),
        type_name: LIMIT,
        display_name: ALL_USERS_AND_DEVICES,
        description: "This is the default Device Limit Restriction applied with the lowest \
                      priority to all users regardless of group membership.",
    },
    DefaultConfiguration {
        id: Uuid::from_u128(0xdefa0000_e5b0_4000_8000_000000000003),
        type_name: PLATFORM_RESTRICTIONS,
        display_name: ALL_USERS_AND_DEVICES,
        description: "This is the default Device Type Restriction applied with the lowest \
                      priority to all users regardless of group membership.",
    },
    DefaultConfiguration {
        id: Uuid::from_u128(0xdefa0000_e5b0_4000_8000_000000000004),
        type_name: WINDOWS_HELLO,
        display_name: ALL_USERS_AND_DEVICES,
        description: "This is the default Windows Hello for Business configuration applied \
                      with the lowest priority to all users regardless of group membership.",
    },
];

/// The default with this id, if it is one.
pub fn default_configuration(id: Uuid) -> Option<&'static DefaultConfiguration> {
    DEFAULTS.iter().find(|default| default.id == id)
}

/// The default whose priorities a configuration of `type_name` counts among: single-platform
/// restrictions rank below the default platform restrictions, as in Intune's portal.
pub fn default_of_family(type_name: &str) -> Option<&'static DefaultConfiguration> {
    let family = match type_name {
        SINGLE_PLATFORM => PLATFORM_RESTRICTIONS,
        other => other,
    };
    DEFAULTS.iter().find(|default| default.type_name == family)
}

/// Intune's virtual group id of "all licensed users", which takes a group's place in the id of an
/// all-users assignment, as [`ALL_DEVICES_GROUP`] does for all devices.
pub const ALL_USERS_GROUP: Uuid = Uuid::from_u128(0xacacacac_9df4_4c7d_9d50_4ef0226f57a9);

/// Whom an enrollment configuration is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentTarget {
    Group(Uuid),
    ExclusionGroup(Uuid),
    AllLicensedUsers,
    AllDevices,
}

impl EnrollmentTarget {
    pub const GROUP: &'static str = "microsoft.graph.groupAssignmentTarget";
    pub const EXCLUSION_GROUP: &'static str = "microsoft.graph.exclusionGroupAssignmentTarget";
    pub const ALL_LICENSED_USERS: &'static str = "microsoft.graph.allLicensedUsersAssignmentTarget";
    pub const ALL_DEVICES: &'static str = "microsoft.graph.allDevicesAssignmentTarget";
    pub const TYPES: [&'static str; 4] = [
        Self::GROUP,
        Self::EXCLUSION_GROUP,
        Self::ALL_LICENSED_USERS,
        Self::ALL_DEVICES,
    ];

    pub fn type_name(self) -> &'static str {
        match self {
            EnrollmentTarget::Group(_) => Self::GROUP,
            EnrollmentTarget::ExclusionGroup(_) => Self::EXCLUSION_GROUP,
            EnrollmentTarget::AllLicensedUsers => Self::ALL_LICENSED_USERS,
            EnrollmentTarget::AllDevices => Self::ALL_DEVICES,
        }
    }

    pub fn group(self) -> Option<Uuid> {
        match self {
            EnrollmentTarget::Group(group) | EnrollmentTarget::ExclusionGroup(group) => Some(group),
            _ => None,
        }
    }

    /// The target stored as its type and group.
    pub fn of(type_name: &str, group: Option<Uuid>) -> Option<EnrollmentTarget> {
        match (type_name, group) {
            (Self::GROUP, Some(group)) => Some(EnrollmentTarget::Group(group)),
            (Self::EXCLUSION_GROUP, Some(group)) => Some(EnrollmentTarget::ExclusionGroup(group)),
            (Self::ALL_LICENSED_USERS, None) => Some(EnrollmentTarget::AllLicensedUsers),
            (Self::ALL_DEVICES, None) => Some(EnrollmentTarget::AllDevices),
            _ => None,
        }
    }

    /// The group that stands in the assignment's id: the target's, else the virtual one.
    fn id_group(self) -> Uuid {
        match self {
            EnrollmentTarget::AllLicensedUsers => ALL_USERS_GROUP,
            EnrollmentTarget::AllDevices => ALL_DEVICES_GROUP,
            EnrollmentTarget::Group(group) | EnrollmentTarget::ExclusionGroup(group) => group,
        }
    }
}

/// `deviceAndAppManagementAssignmentFilterType`: how a target's assignment filter applies.
pub static FILTER_TYPE: EnumType = EnumType {
    name: "microsoft.graph.deviceAndAppManagementAssignmentFilterType",
    members: &["none", "include", "exclude"],
    beta_members: &[],
};

/// An assignment filter on a target: its id and whether it includes or excludes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFilter {
    pub id: Option<Uuid>,
    /// A member of [`FILTER_TYPE`].
    pub filter_type: String,
}

/// The id of the assignment of `configuration` to `target`: `{configurationId}_{groupId}`, so a
/// configuration has at most one assignment per group.
pub fn enrollment_assignment_id(configuration: Uuid, target: EnrollmentTarget) -> String {
    format!("{configuration}_{}", target.id_group())
}

/// A stored assignment of an enrollment configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentAssignment {
    pub id: String,
    pub configuration: Uuid,
    pub target: EnrollmentTarget,
    pub filter: TargetFilter,
    pub source: String,
    pub source_id: Option<String>,
}

/// An assignment a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollmentAssignment {
    pub target: EnrollmentTarget,
    pub filter: TargetFilter,
    pub source: String,
    pub source_id: Option<String>,
}

/// An enrollment configuration as choosing among those of one family needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankedConfiguration {
    pub id: Uuid,
    pub priority: i32,
}

/// The configuration of one family (Enrollment Status Pages, platform restrictions) that applies
/// to an enrollment whose device or user is in `groups`: of the configurations whose assignments
/// target it (its group, all devices, or all licensed users, as every enrollment is a licensed
/// user's or a device's) and none of whose exclusions hold it, the one with the highest priority
/// (the lowest number); else the default.
pub fn applicable_configuration(
    pages: &[RankedConfiguration],
    assignments: &[EnrollmentAssignment],
    groups: &HashSet<Uuid>,
    default: Uuid,
) -> Uuid {
    let targets = |page: Uuid| assignments.iter().filter(move |a| a.configuration == page);
    let included = |page: Uuid| {
        targets(page).any(|a| match a.target {
            EnrollmentTarget::Group(group) => groups.contains(&group),
            EnrollmentTarget::AllDevices | EnrollmentTarget::AllLicensedUsers => true,
            EnrollmentTarget::ExclusionGroup(_) => false,
        })
    };
    let excluded = |page: Uuid| {
        targets(page).any(
            |a| matches!(a.target, EnrollmentTarget::ExclusionGroup(group) if groups.contains(&group)),
        )
    };
    pages
        .iter()
        .filter(|page| page.id != default && included(page.id) && !excluded(page.id))
        .min_by_key(|page| (page.priority, page.id))
        .map_or(default, |page| page.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn assigned(page: u128, target: EnrollmentTarget) -> EnrollmentAssignment {
        EnrollmentAssignment {
            id: String::new(),
            configuration: id(page),
            target,
            filter: TargetFilter {
                id: None,
                filter_type: "none".to_owned(),
            },
            source: "direct".to_owned(),
            source_id: None,
        }
    }

    #[test]
    fn the_highest_priority_page_of_the_devices_groups_applies_and_exclusions_win() {
        let (kiosks, lab, blocked) = (id(10), id(11), id(12));
        let default = DEFAULTS[0].id;
        let pages = [
            RankedConfiguration {
                id: default,
                priority: 0,
            },
            RankedConfiguration {
                id: id(100),
                priority: 2,
            },
            RankedConfiguration {
                id: id(200),
                priority: 1,
            },
            RankedConfiguration {
                id: id(300),
                priority: 3,
            },
        ];
        let assignments = [
            assigned(100, EnrollmentTarget::Group(kiosks)),
            assigned(200, EnrollmentTarget::Group(lab)),
            assigned(200, EnrollmentTarget::ExclusionGroup(blocked)),
        ];
        let groups = |of: &[Uuid]| of.iter().copied().collect::<HashSet<_>>();
        assert_eq!(
            applicable_configuration(&pages, &assignments, &groups(&[kiosks]), default),
            id(100)
        );
        // In both: priority 1 beats priority 2.
        assert_eq!(
            applicable_configuration(&pages, &assignments, &groups(&[kiosks, lab]), default),
            id(200)
        );
        // Excluded from the better one: the other still applies.
        assert_eq!(
            applicable_configuration(
                &pages,
                &assignments,
                &groups(&[kiosks, lab, blocked]),
                default
            ),
            id(100)
        );
        assert_eq!(
            applicable_configuration(&pages, &assignments, &groups(&[]), default),
            default
        );
        let everyone = [assigned(300, EnrollmentTarget::AllDevices)];
        assert_eq!(
            applicable_configuration(&pages, &everyone, &groups(&[]), default),
            id(300)
        );
    }

    #[test]
    fn a_default_is_never_chosen_for_its_assignments() {
        let default = DEFAULTS[0].id;
        let pages = [RankedConfiguration {
            id: default,
            priority: 0,
        }];
        let assignments = [EnrollmentAssignment {
            configuration: default,
            ..assigned(0, EnrollmentTarget::AllDevices)
        }];
        assert_eq!(
            applicable_configuration(&pages, &assignments, &HashSet::new(), default),
            default
        );
    }

    #[test]
    fn assignment_ids_join_configuration_and_group_or_its_virtual_group() {
        let configuration = id(1);
        assert_eq!(
            enrollment_assignment_id(configuration, EnrollmentTarget::Group(id(2))),
            "00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002"
        );
        assert_eq!(
            enrollment_assignment_id(configuration, EnrollmentTarget::AllLicensedUsers),
            "00000000-0000-0000-0000-000000000001_acacacac-9df4-4c7d-9d50-4ef0226f57a9"
        );
        for target in [
            EnrollmentTarget::Group(id(2)),
            EnrollmentTarget::ExclusionGroup(id(3)),
            EnrollmentTarget::AllLicensedUsers,
            EnrollmentTarget::AllDevices,
        ] {
            assert_eq!(
                EnrollmentTarget::of(target.type_name(), target.group()),
                Some(target)
            );
        }
    }

    #[test]
    fn every_default_has_its_own_family_and_single_platform_restrictions_rank_with_theirs() {
        for default in &DEFAULTS {
            assert_eq!(
                default_of_family(default.type_name).map(|d| d.id),
                Some(default.id)
            );
            assert!(
                ENROLLMENT_CONFIGURATIONS
                    .derived_type(default.type_name)
                    .is_some()
            );
        }
        assert_eq!(
            default_of_family(SINGLE_PLATFORM).map(|d| d.type_name),
            Some(PLATFORM_RESTRICTIONS)
        );
    }
}
