-- Windows Autopilot device identities: every v1.0 and beta property of
-- microsoft.graph.windowsAutopilotDeviceIdentity, owned by a tenant.
-- Enums are stored as their camelCase wire members and constrained to them.

CREATE TABLE device_identities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,

    addressable_user_name text,
    azure_active_directory_device_id text,
    display_name text,
    enrollment_state text NOT NULL DEFAULT 'notContacted'
        CONSTRAINT device_identities_enrollment_state_member CHECK (enrollment_state IN
            ('unknown', 'enrolled', 'pendingReset', 'failed', 'notContacted', 'blocked')),
    group_tag text,
    -- 0001-01-01T00:00:00Z is what Graph answers for "never contacted".
    last_contacted_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    managed_device_id text,
    manufacturer text,
    model text,
    product_key text,
    purchase_order_identifier text,
    resource_name text,
    serial_number text NOT NULL
        CONSTRAINT device_identities_serial_number_not_empty CHECK (serial_number <> ''),
    sku_number text,
    system_family text,
    user_principal_name text,

    -- beta only
    azure_ad_device_id text,
    device_account_upn text,
    device_account_password text,
    device_friendly_name text,
    deployment_profile_assignment_status text NOT NULL DEFAULT 'notAssigned'
        CONSTRAINT device_identities_deployment_profile_assignment_status_member CHECK
            (deployment_profile_assignment_status IN ('unknown', 'assignedInSync', 'assignedOutOfSync',
             'assignedUnkownSyncState', 'notAssigned', 'pending', 'failed')),
    deployment_profile_assignment_detailed_status text NOT NULL DEFAULT 'none'
        CONSTRAINT device_identities_deployment_profile_assignment_detailed_status_member CHECK
            (deployment_profile_assignment_detailed_status IN ('none', 'hardwareRequirementsNotMet',
             'surfaceHubProfileNotSupported', 'holoLensProfileNotSupported', 'windowsPcProfileNotSupported',
             'surfaceHub2SProfileNotSupported', 'unknownFutureValue')),
    deployment_profile_assigned_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    remediation_state text NOT NULL DEFAULT 'unknown'
        CONSTRAINT device_identities_remediation_state_member CHECK (remediation_state IN
            ('unknown', 'noRemediationRequired', 'automaticRemediationRequired', 'manualRemediationRequired',
             'unknownFutureValue')),
    remediation_state_last_modified_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    userless_enrollment_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT device_identities_userless_enrollment_status_member CHECK (userless_enrollment_status IN
            ('unknown', 'allowed', 'blocked', 'unknownFutureValue')),

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A serial number identifies a device within a tenant, whatever its case.
CREATE UNIQUE INDEX device_identities_tenant_serial_key
    ON device_identities (tenant_id, lower(serial_number));
