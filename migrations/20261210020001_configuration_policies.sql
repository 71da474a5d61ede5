-- Configuration policies (issue 28), beta only: the settings-catalog policies of the two Windows
-- Autopilot device preparation templates, their settings (each a setting instance tree kept as the
-- client sent it, validated against the template first), their assignments, and the static
-- security group that enrolling devices join (the enrollment-time device membership target).

CREATE TABLE configuration_policies (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    name text NOT NULL CONSTRAINT configuration_policies_name_not_empty CHECK (name <> ''),
    description text,
    platforms text NOT NULL DEFAULT 'none'
        CONSTRAINT configuration_policies_platforms_member CHECK (platforms IN ('none', 'android', 'iOS', 'macOS', 'windows10X', 'windows10', 'linux', 'unknownFutureValue', 'androidEnterprise', 'aosp', 'visionOS', 'tvOS')),
    technologies text NOT NULL DEFAULT 'none'
        CONSTRAINT configuration_policies_technologies_member CHECK (technologies IN ('none', 'mdm', 'windows10XManagement', 'configManager', 'intuneManagementExtension', 'thirdParty', 'documentGateway', 'appleRemoteManagement', 'microsoftSense', 'exchangeOnline', 'mobileApplicationManagement', 'linuxMdm', 'enrollment', 'endpointPrivilegeManagement', 'unknownFutureValue', 'windowsOsRecovery', 'android', 'intuneOpenExtensibility')),
    role_scope_tag_ids text[] NOT NULL DEFAULT '{0}',
    template_id text,
    template_family text NOT NULL DEFAULT 'none'
        CONSTRAINT configuration_policies_template_family_member CHECK (template_family IN ('none', 'endpointSecurityAntivirus', 'endpointSecurityDiskEncryption', 'endpointSecurityFirewall', 'endpointSecurityEndpointDetectionAndResponse', 'endpointSecurityAttackSurfaceReduction', 'endpointSecurityAccountProtection', 'endpointSecurityApplicationControl', 'endpointSecurityEndpointPrivilegeManagement', 'enrollmentConfiguration', 'appQuietTime', 'baseline', 'unknownFutureValue', 'deviceConfigurationScripts', 'deviceConfigurationPolicies', 'windowsOsRecoveryPolicies', 'companyPortal', 'windowsRecoveryAndRemediationConfiguration', 'maintenanceWindows')),
    template_display_name text,
    template_display_version text,
    setting_count integer NOT NULL DEFAULT 0,
    priority integer NOT NULL DEFAULT 0,
    creation_source text,
    is_assigned boolean NOT NULL DEFAULT false,
    created_date_time timestamptz NOT NULL DEFAULT now(),
    last_modified_date_time timestamptz NOT NULL DEFAULT now(),
    -- The enrollment-time device membership target: a group id, kept when the group goes (Graph
    -- keeps what a policy names; the enrollment finds no such group then).
    enrollment_time_device_group uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT configuration_policies_pkey PRIMARY KEY (tenant_id, id)
);

CREATE TABLE configuration_policy_settings (
    tenant_id uuid NOT NULL,
    policy_id uuid NOT NULL,
    -- Graph's setting ids: the setting's place in the policy, "0", "1", ...
    id text NOT NULL,
    position integer NOT NULL,
    setting_instance jsonb NOT NULL,
    CONSTRAINT configuration_policy_settings_pkey PRIMARY KEY (tenant_id, policy_id, id),
    CONSTRAINT configuration_policy_settings_policy_fkey FOREIGN KEY (tenant_id, policy_id)
        REFERENCES configuration_policies (tenant_id, id) ON DELETE CASCADE
);

-- As enrollment configuration assignments, with the id `{policyId}_{groupId}`; no foreign key to
-- the group: a deleted group leaves the assignment in place, as Intune does.
CREATE TABLE configuration_policy_assignments (
    id text NOT NULL,
    tenant_id uuid NOT NULL,
    configuration_id uuid NOT NULL,
    target_type text NOT NULL
        CONSTRAINT configuration_policy_assignments_target_type_known CHECK
        (target_type IN ('microsoft.graph.groupAssignmentTarget',
                         'microsoft.graph.exclusionGroupAssignmentTarget',
                         'microsoft.graph.allLicensedUsersAssignmentTarget',
                         'microsoft.graph.allDevicesAssignmentTarget')),
    group_id uuid,
    filter_id uuid,
    filter_type text NOT NULL DEFAULT 'none'
        CONSTRAINT configuration_policy_assignments_filter_type_member CHECK
            (filter_type IN ('none', 'include', 'exclude')),
    source text NOT NULL DEFAULT 'direct'
        CONSTRAINT configuration_policy_assignments_source_member CHECK
            (source IN ('direct', 'policySets')),
    source_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT configuration_policy_assignments_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT configuration_policy_assignments_policy_fkey
        FOREIGN KEY (tenant_id, configuration_id)
        REFERENCES configuration_policies (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT configuration_policy_assignments_group_for_group_targets CHECK
        ((target_type IN ('microsoft.graph.groupAssignmentTarget',
                          'microsoft.graph.exclusionGroupAssignmentTarget')) = (group_id IS NOT NULL))
);
CREATE INDEX configuration_policy_assignments_policy
    ON configuration_policy_assignments (tenant_id, configuration_id, created_at);
CREATE INDEX configuration_policy_assignments_group
    ON configuration_policy_assignments (tenant_id, group_id);
