-- Enrollment configuration assignments (issue 26): a configuration assigned to a group, excluded
-- from one, or assigned to all licensed users or all devices, with the assignment filter a target
-- names. The id is `{configurationId}_{groupId}`, with Intune's virtual group of all users or all
-- devices for those targets.

CREATE TABLE device_enrollment_configuration_assignments (
    id text NOT NULL,
    tenant_id uuid NOT NULL,
    configuration_id uuid NOT NULL,
    target_type text NOT NULL
        CONSTRAINT device_enrollment_configuration_assignments_target_type_known CHECK
        (target_type IN ('microsoft.graph.groupAssignmentTarget',
                         'microsoft.graph.exclusionGroupAssignmentTarget',
                         'microsoft.graph.allLicensedUsersAssignmentTarget',
                         'microsoft.graph.allDevicesAssignmentTarget')),
    group_id uuid,
    -- Checked for its form only; whether the filter exists is assignmentFilters' to say.
    filter_id uuid,
    filter_type text NOT NULL DEFAULT 'none'
        CONSTRAINT device_enrollment_configuration_assignments_filter_type_member CHECK
            (filter_type IN ('none', 'include', 'exclude')),
    source text NOT NULL DEFAULT 'direct'
        CONSTRAINT device_enrollment_configuration_assignments_source_member CHECK
            (source IN ('direct', 'policySets')),
    source_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT device_enrollment_configuration_assignments_pkey PRIMARY KEY (tenant_id, id),
    -- A deleted configuration takes its assignments with it, as a deleted group does.
    CONSTRAINT device_enrollment_configuration_assignments_configuration_fkey
        FOREIGN KEY (tenant_id, configuration_id)
        REFERENCES device_enrollment_configurations (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT device_enrollment_configuration_assignments_group_fkey
        FOREIGN KEY (tenant_id, group_id)
        REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT device_enrollment_configuration_assignments_group_for_group_targets CHECK
        ((target_type IN ('microsoft.graph.groupAssignmentTarget',
                          'microsoft.graph.exclusionGroupAssignmentTarget')) = (group_id IS NOT NULL))
);
CREATE INDEX device_enrollment_configuration_assignments_configuration
    ON device_enrollment_configuration_assignments (tenant_id, configuration_id, created_at);
CREATE INDEX device_enrollment_configuration_assignments_group
    ON device_enrollment_configuration_assignments (tenant_id, group_id);
