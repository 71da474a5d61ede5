-- Autopilot events (issue 27, beta `deviceManagement/autopilotEvents`): one row per simulated
-- enrollment, with each phase's status and duration, and the policy status details an event
-- contains. Graph writes a time it does not know as 0001-01-01T00:00:00Z and a duration it does
-- not know as PT0S, so those columns are never null.

CREATE TABLE autopilot_events (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    device_id text,
    user_id text,
    event_date_time timestamptz NOT NULL DEFAULT now(),
    device_registered_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    enrollment_start_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    enrollment_type text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_events_enrollment_type_member CHECK (enrollment_type IN
            ('unknown', 'azureADJoinedWithAutopilotProfile', 'offlineDomainJoined',
             'azureADJoinedUsingDeviceAuthWithAutopilotProfile',
             'azureADJoinedUsingDeviceAuthWithoutAutopilotProfile',
             'azureADJoinedWithOfflineAutopilotProfile', 'azureADJoinedWithWhiteGlove',
             'offlineDomainJoinedWithWhiteGlove', 'offlineDomainJoinedWithOfflineAutopilotProfile')),
    device_serial_number text,
    managed_device_name text,
    user_principal_name text,
    windows_autopilot_deployment_profile_display_name text,
    enrollment_state text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_events_enrollment_state_member CHECK (enrollment_state IN
            ('unknown', 'enrolled', 'pendingReset', 'failed', 'notContacted', 'blocked')),
    windows10_enrollment_completion_page_configuration_display_name text,
    windows10_enrollment_completion_page_configuration_id text,
    deployment_state text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_events_deployment_state_member CHECK (deployment_state IN
            ('unknown', 'success', 'inProgress', 'failure', 'successWithTimeout', 'notAttempted',
             'disabled', 'successOnRetry')),
    device_setup_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_events_device_setup_status_member CHECK (device_setup_status IN
            ('unknown', 'success', 'inProgress', 'failure', 'successWithTimeout', 'notAttempted',
             'disabled', 'successOnRetry')),
    account_setup_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_events_account_setup_status_member CHECK (account_setup_status IN
            ('unknown', 'success', 'inProgress', 'failure', 'successWithTimeout', 'notAttempted',
             'disabled', 'successOnRetry')),
    os_version text,
    deployment_duration interval NOT NULL DEFAULT '0',
    deployment_total_duration interval NOT NULL DEFAULT '0',
    device_setup_duration interval NOT NULL DEFAULT '0',
    account_setup_duration interval NOT NULL DEFAULT '0',
    deployment_start_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    deployment_end_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    enrollment_failure_details text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT autopilot_events_pkey PRIMARY KEY (tenant_id, id)
);
-- `deviceSerialNumber eq '...'` (case-insensitive, as every string comparison) and the newest
-- events first.
CREATE INDEX autopilot_events_serial ON autopilot_events (tenant_id, lower(device_serial_number));
CREATE INDEX autopilot_events_time ON autopilot_events (tenant_id, event_date_time, id);

CREATE TABLE autopilot_event_policy_status_details (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    autopilot_event_id uuid NOT NULL,
    display_name text,
    policy_type text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_event_policy_status_details_policy_type_member CHECK (policy_type IN
            ('unknown', 'application', 'appModel', 'configurationPolicy')),
    compliance_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_event_policy_status_details_compliance_status_member CHECK
            (compliance_status IN
            ('unknown', 'compliant', 'installed', 'notCompliant', 'notInstalled', 'error')),
    tracked_on_enrollment_status boolean NOT NULL DEFAULT false,
    last_reported_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    error_code integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT autopilot_event_policy_status_details_pkey PRIMARY KEY (tenant_id, id),
    -- The details are contained by their event: a deleted event takes them with it.
    CONSTRAINT autopilot_event_policy_status_details_event_fkey
        FOREIGN KEY (tenant_id, autopilot_event_id)
        REFERENCES autopilot_events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX autopilot_event_policy_status_details_event
    ON autopilot_event_policy_status_details (tenant_id, autopilot_event_id, id);
