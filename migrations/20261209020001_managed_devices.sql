-- Managed devices (issue 27): the Intune records that a simulated Windows Autopilot enrollment
-- makes. The defaults are what Intune shows for a Windows device that enrolled through Autopilot
-- on a virtual machine (the simulation's hardware: Hyper-V's manufacturer and model); strings a
-- Windows device has no value for are "" as Intune writes them, dates it never had are
-- 0001-01-01 as Intune writes them. Complex values Graph writes whole are JSON text.

CREATE TABLE managed_devices (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    user_id text NOT NULL DEFAULT '',
    device_name text NOT NULL DEFAULT '',
    managed_device_owner_type text NOT NULL DEFAULT 'company'
        CONSTRAINT managed_devices_managed_device_owner_type_member CHECK (managed_device_owner_type IN
            ('unknown', 'company', 'personal', 'unknownFutureValue')),
    enrolled_date_time timestamptz NOT NULL DEFAULT now(),
    last_sync_date_time timestamptz NOT NULL DEFAULT now(),
    operating_system text NOT NULL DEFAULT 'Windows',
    compliance_state text NOT NULL DEFAULT 'compliant'
        CONSTRAINT managed_devices_compliance_state_member CHECK (compliance_state IN
            ('unknown', 'compliant', 'noncompliant', 'conflict', 'error', 'inGracePeriod',
             'configManager')),
    jail_broken text NOT NULL DEFAULT 'Unknown',
    management_agent text NOT NULL DEFAULT 'mdm'
        CONSTRAINT managed_devices_management_agent_member CHECK (management_agent IN
            ('eas', 'mdm', 'easMdm', 'intuneClient', 'easIntuneClient', 'configurationManagerClient',
             'configurationManagerClientMdm', 'configurationManagerClientMdmEas', 'unknown', 'jamf',
             'googleCloudDevicePolicyController', 'microsoft365ManagedMdm', 'msSense', 'intuneAosp',
             'google', 'unknownFutureValue')),
    os_version text NOT NULL DEFAULT '10.0.22631.4460',
    eas_activated boolean NOT NULL DEFAULT false,
    eas_device_id text NOT NULL DEFAULT '',
    eas_activation_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    azure_ad_registered boolean NOT NULL DEFAULT true,
    device_enrollment_type text NOT NULL DEFAULT 'windowsAzureADJoin'
        CONSTRAINT managed_devices_device_enrollment_type_member CHECK (device_enrollment_type IN
            ('unknown', 'userEnrollment', 'deviceEnrollmentManager', 'appleBulkWithUser',
             'appleBulkWithoutUser', 'windowsAzureADJoin', 'windowsBulkUserless',
             'windowsAutoEnrollment', 'windowsBulkAzureDomainJoin', 'windowsCoManagement',
             'windowsAzureADJoinUsingDeviceAuth', 'appleUserEnrollment',
             'appleUserEnrollmentWithServiceAccount', 'unknownFutureValue',
             'azureAdJoinUsingAzureVmExtension', 'androidEnterpriseDedicatedDevice',
             'androidEnterpriseFullyManaged', 'androidEnterpriseCorporateWorkProfile',
             'androidAOSPUserOwnedDeviceEnrollment', 'androidAOSPUserlessDeviceEnrollment',
             'appleAccountDrivenUserEnrollment')),
    activation_lock_bypass_code text NOT NULL DEFAULT '',
    email_address text NOT NULL DEFAULT '',
    azure_ad_device_id text NOT NULL DEFAULT '',
    device_registration_state text NOT NULL DEFAULT 'registered'
        CONSTRAINT managed_devices_device_registration_state_member CHECK (device_registration_state IN
            ('notRegistered', 'registered', 'revoked', 'keyConflict', 'approvalPending',
             'certificateReset', 'notRegisteredPendingEnrollment', 'unknown')),
    device_category_display_name text NOT NULL DEFAULT 'Unknown',
    is_supervised boolean NOT NULL DEFAULT false,
    exchange_last_successful_sync_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    exchange_access_state text NOT NULL DEFAULT 'none'
        CONSTRAINT managed_devices_exchange_access_state_member CHECK (exchange_access_state IN
            ('none', 'unknown', 'allowed', 'blocked', 'quarantined')),
    exchange_access_state_reason text NOT NULL DEFAULT 'none'
        CONSTRAINT managed_devices_exchange_access_state_reason_member CHECK (exchange_access_state_reason IN
            ('none', 'unknown', 'exchangeGlobalRule', 'exchangeIndividualRule', 'exchangeDeviceRule',
             'exchangeUpgrade', 'exchangeMailboxPolicy', 'other', 'compliant', 'notCompliant',
             'notEnrolled', 'unknownLocation', 'mfaRequired', 'azureADBlockDueToAccessPolicy',
             'compromisedPassword', 'deviceNotKnownWithManagedApp')),
    remote_assistance_session_url text NOT NULL DEFAULT '',
    remote_assistance_session_error_details text NOT NULL DEFAULT '',
    is_encrypted boolean NOT NULL DEFAULT false,
    user_principal_name text NOT NULL DEFAULT '',
    model text NOT NULL DEFAULT 'Virtual Machine',
    manufacturer text NOT NULL DEFAULT 'Microsoft Corporation',
    imei text NOT NULL DEFAULT '',
    -- Intune's "no grace period" for a compliant device.
    compliance_grace_period_expiration_date_time timestamptz NOT NULL DEFAULT '9999-12-31T23:59:59Z',
    serial_number text NOT NULL DEFAULT '',
    phone_number text NOT NULL DEFAULT '',
    android_security_patch_level text NOT NULL DEFAULT '',
    user_display_name text NOT NULL DEFAULT '',
    configuration_manager_client_enabled_features text,
    wi_fi_mac_address text NOT NULL DEFAULT '',
    device_health_attestation_state text,
    subscriber_carrier text NOT NULL DEFAULT '',
    meid text NOT NULL DEFAULT '',
    -- Hyper-V's default 127 GB virtual disk.
    total_storage_space_in_bytes bigint NOT NULL DEFAULT 136365211648,
    free_storage_space_in_bytes bigint NOT NULL DEFAULT 100000000000,
    managed_device_name text NOT NULL DEFAULT '',
    partner_reported_threat_state text NOT NULL DEFAULT 'unknown'
        CONSTRAINT managed_devices_partner_reported_threat_state_member CHECK (partner_reported_threat_state IN
            ('unknown', 'activated', 'deactivated', 'secured', 'lowSeverity', 'mediumSeverity',
             'highSeverity', 'unresponsive', 'compromised', 'misconfigured')),
    require_user_enrollment_approval boolean NOT NULL DEFAULT false,
    management_certificate_expiration_date timestamptz NOT NULL DEFAULT now() + interval '1 year',
    iccid text NOT NULL DEFAULT '',
    udid text NOT NULL DEFAULT '',
    notes text NOT NULL DEFAULT '',
    ethernet_mac_address text NOT NULL DEFAULT '',
    -- Graph's list answers 0 here unless the property is $selected; the simulation has no RAM figure.
    physical_memory_in_bytes bigint NOT NULL DEFAULT 0,
    enrollment_profile_name text NOT NULL DEFAULT '',
    management_state text NOT NULL DEFAULT 'managed'
        CONSTRAINT managed_devices_management_state_member CHECK (management_state IN
            ('managed', 'retirePending', 'retireFailed', 'wipePending', 'wipeFailed', 'unhealthy',
             'deletePending', 'retireIssued', 'wipeIssued', 'wipeCanceled', 'retireCanceled',
             'discovered', 'unknownFutureValue')),
    device_action_results text NOT NULL DEFAULT '[]',
    autopilot_enrolled boolean NOT NULL DEFAULT true,
    bootstrap_token_escrowed boolean NOT NULL DEFAULT false,
    chassis_type text NOT NULL DEFAULT 'unknown'
        CONSTRAINT managed_devices_chassis_type_member CHECK (chassis_type IN
            ('unknown', 'desktop', 'laptop', 'worksWorkstation', 'enterpriseServer', 'phone',
             'tablet', 'mobileOther', 'mobileUnknown')),
    chrome_os_device_info text NOT NULL DEFAULT '[]',
    cloud_pc_remote_action_results text NOT NULL DEFAULT '[]',
    configuration_manager_client_health_state text,
    configuration_manager_client_information text,
    device_firmware_configuration_interface_managed boolean NOT NULL DEFAULT false,
    device_type text NOT NULL DEFAULT 'desktop'
        CONSTRAINT managed_devices_device_type_member CHECK (device_type IN
            ('desktop', 'windowsRT', 'winMO6', 'nokia', 'windowsPhone', 'mac', 'winCE', 'winEmbedded',
             'iPhone', 'iPad', 'iPod', 'android', 'iSocConsumer', 'unix', 'macMDM', 'holoLens',
             'surfaceHub', 'androidForWork', 'androidEnterprise', 'windows10x', 'androidnGMS',
             'chromeOS', 'linux', 'visionOS', 'tvOS', 'blackberry', 'palm', 'unknown', 'cloudPC')),
    enrolled_by_user_principal_name text NOT NULL DEFAULT '',
    hardware_information text,
    join_type text NOT NULL DEFAULT 'azureADJoined'
        CONSTRAINT managed_devices_join_type_member CHECK (join_type IN
            ('unknown', 'azureADJoined', 'azureADRegistered', 'hybridAzureADJoined')),
    lost_mode_state text NOT NULL DEFAULT 'disabled'
        CONSTRAINT managed_devices_lost_mode_state_member CHECK (lost_mode_state IN
            ('disabled', 'enabled')),
    management_features text NOT NULL DEFAULT 'none'
        CONSTRAINT managed_devices_management_features_member CHECK (management_features IN
            ('none', 'microsoftManagedDesktop')),
    owner_type text NOT NULL DEFAULT 'company'
        CONSTRAINT managed_devices_owner_type_member CHECK (owner_type IN
            ('unknown', 'company', 'personal')),
    prefer_mdm_over_group_policy_applied_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    processor_architecture text NOT NULL DEFAULT 'x64'
        CONSTRAINT managed_devices_processor_architecture_member CHECK (processor_architecture IN
            ('unknown', 'x86', 'x64', 'arm', 'arM64')),
    retire_after_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    role_scope_tag_ids text[] NOT NULL DEFAULT '{0}',
    security_patch_level text NOT NULL DEFAULT '',
    sku_family text NOT NULL DEFAULT 'Enterprise',
    -- 4: PRODUCT_ENTERPRISE, the edition Autopilot devices run.
    sku_number integer NOT NULL DEFAULT 4,
    specification_version text NOT NULL DEFAULT '',
    users_logged_on text NOT NULL DEFAULT '[]',
    windows_active_malware_count integer NOT NULL DEFAULT 0,
    windows_remediated_malware_count integer NOT NULL DEFAULT 0,
    actions_settle_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT managed_devices_pkey PRIMARY KEY (tenant_id, id)
);

-- Scripts find a device by serial number (offboarding) and by name; actions due are found by time.
CREATE INDEX managed_devices_serial_number ON managed_devices (tenant_id, serial_number);
CREATE INDEX managed_devices_device_name ON managed_devices (tenant_id, device_name);
CREATE INDEX managed_devices_actions_settle_at ON managed_devices (actions_settle_at)
    WHERE actions_settle_at IS NOT NULL;
