//! Beta's `microsoft.graph.deviceManagementAutopilotEvent` as a table: one Autopilot deployment
//! of a device, with each phase's status and duration, and the policy status details it contains
//! (`deviceManagementAutopilotPolicyStatusDetail`), a table of their own below their event.

use super::device_identity::ENROLLMENT_STATE;
use super::entity::{EntitySet, EnumType, ItemSegment, Kind, Navigation, Property, Segments};

/// `windowsAutopilotDeploymentState`: how a phase, or the whole deployment, went. As every enum
/// of this beta-only set, its members are listed as its root's own.
pub static DEPLOYMENT_STATE: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotDeploymentState",
    members: &[
        "unknown",
        "success",
        "inProgress",
        "failure",
        "successWithTimeout",
        "notAttempted",
        "disabled",
        "successOnRetry",
    ],
    beta_members: &[],
};

/// `windowsAutopilotEnrollmentType`: how the device joined.
pub static ENROLLMENT_TYPE: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotEnrollmentType",
    members: &[
        "unknown",
        "azureADJoinedWithAutopilotProfile",
        "offlineDomainJoined",
        "azureADJoinedUsingDeviceAuthWithAutopilotProfile",
        "azureADJoinedUsingDeviceAuthWithoutAutopilotProfile",
        "azureADJoinedWithOfflineAutopilotProfile",
        "azureADJoinedWithWhiteGlove",
        "offlineDomainJoinedWithWhiteGlove",
        "offlineDomainJoinedWithOfflineAutopilotProfile",
    ],
    beta_members: &[],
};

pub static POLICY_TYPE: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementAutopilotPolicyType",
    members: &["unknown", "application", "appModel", "configurationPolicy"],
    beta_members: &[],
};

pub static COMPLIANCE_STATUS: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementAutopilotPolicyComplianceStatus",
    members: &[
        "unknown",
        "compliant",
        "installed",
        "notCompliant",
        "notInstalled",
        "error",
    ],
    beta_members: &[],
};

const fn duration(name: &'static str, column: &'static str) -> Property {
    Property::new(name, column, Kind::Duration)
}

/// The Autopilot events of a tenant (beta only): one per enrollment the control plane simulates.
pub static AUTOPILOT_EVENTS: EntitySet = EntitySet {
    type_name: "microsoft.graph.deviceManagementAutopilotEvent",
    description: "An Autopilot deployment of one device: when each phase ran, how long it took \
                  and how it ended. A time not reached is 0001-01-01T00:00:00Z, a duration not \
                  taken PT0S.",
    path: "deviceManagement/autopilotEvents",
    beta_only: true,
    table: "autopilot_events",
    properties: &[
        Property::key(),
        Property::text("deviceId", "device_id")
            .described("The id of the device's Entra device object (its deviceId)."),
        Property::text("userId", "user_id"),
        Property::date_time("eventDateTime", "event_date_time"),
        Property::date_time("deviceRegisteredDateTime", "device_registered_date_time"),
        Property::date_time("enrollmentStartDateTime", "enrollment_start_date_time"),
        Property::member("enrollmentType", "enrollment_type", &ENROLLMENT_TYPE),
        Property::text("deviceSerialNumber", "device_serial_number"),
        Property::text("managedDeviceName", "managed_device_name"),
        Property::text("userPrincipalName", "user_principal_name"),
        Property::text(
            "windowsAutopilotDeploymentProfileDisplayName",
            "windows_autopilot_deployment_profile_display_name",
        ),
        Property::member("enrollmentState", "enrollment_state", &ENROLLMENT_STATE),
        Property::text(
            "windows10EnrollmentCompletionPageConfigurationDisplayName",
            "windows10_enrollment_completion_page_configuration_display_name",
        ),
        Property::text(
            "windows10EnrollmentCompletionPageConfigurationId",
            "windows10_enrollment_completion_page_configuration_id",
        ),
        Property::member("deploymentState", "deployment_state", &DEPLOYMENT_STATE),
        Property::member(
            "deviceSetupStatus",
            "device_setup_status",
            &DEPLOYMENT_STATE,
        ),
        Property::member(
            "accountSetupStatus",
            "account_setup_status",
            &DEPLOYMENT_STATE,
        ),
        Property::text("osVersion", "os_version"),
        duration("deploymentDuration", "deployment_duration")
            .described("The deployment, enrollment included."),
        duration("deploymentTotalDuration", "deployment_total_duration")
            .described("From enrollment to the desktop."),
        duration("deviceSetupDuration", "device_setup_duration")
            .described("The device phase of the Enrollment Status Page."),
        duration("accountSetupDuration", "account_setup_duration")
            .described("The account phase of the Enrollment Status Page."),
        Property::date_time("deploymentStartDateTime", "deployment_start_date_time"),
        Property::date_time("deploymentEndDateTime", "deployment_end_date_time"),
        Property::text("enrollmentFailureDetails", "enrollment_failure_details"),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[],
    expandable: &[Navigation::PolicyStatusDetails],
    segments: Segments {
        singleton: false,
        collection_actions: &[],
        below_item: &[ItemSegment::Contained(POLICY_STATUS_DETAILS_SEGMENT)],
    },
};

/// The navigation below an event that holds its policy status details.
pub const POLICY_STATUS_DETAILS_SEGMENT: &str = "policyStatusDetails";

/// The policy status details of the tenant's events, each below the event that contains it. Its
/// `path` is the navigation's, for the names it lends to errors and the OpenAPI document; the
/// routes name the event in between.
pub static POLICY_STATUS_DETAILS: EntitySet = EntitySet {
    type_name: "microsoft.graph.deviceManagementAutopilotPolicyStatusDetail",
    description: "The status of one policy (an app, a configuration) an Autopilot event \
                  tracked.",
    path: "deviceManagement/autopilotEvents/policyStatusDetails",
    beta_only: true,
    table: "autopilot_event_policy_status_details",
    properties: &[
        Property::key(),
        Property::text("displayName", "display_name"),
        Property::member("policyType", "policy_type", &POLICY_TYPE),
        Property::member("complianceStatus", "compliance_status", &COMPLIANCE_STATUS),
        Property::boolean("trackedOnEnrollmentStatus", "tracked_on_enrollment_status"),
        Property::date_time("lastReportedDateTime", "last_reported_date_time"),
        Property::new("errorCode", "error_code", Kind::Int32),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[EVENT_OF_DETAIL.column],
    derived: &[],
    expandable: &[],
    segments: Segments::PLAIN,
};

/// The event a policy status detail belongs to: a column of the details' table, never on the
/// wire, that narrows them to one event's.
pub static EVENT_OF_DETAIL: Property =
    Property::new("autopilotEventId", "autopilot_event_id", Kind::Guid);
