-- Deployment profile assignments (beta): a profile assigned to a group, excluded from one, or
-- assigned to all devices. The id is Intune's `{profileId}_{groupId}_0`, with the virtual group
-- adadadad-808e-44e2-905a-0b7873a8a531 standing for all devices.

CREATE TABLE deployment_profile_assignments (
    id text PRIMARY KEY,
    tenant_id uuid NOT NULL,
    -- A profile with assignments is not deleted: the service answers 400 naming them first.
    profile_id uuid NOT NULL REFERENCES deployment_profiles (id) ON DELETE RESTRICT,
    target_type text NOT NULL CONSTRAINT deployment_profile_assignments_target_type_known CHECK
        (target_type IN ('microsoft.graph.groupAssignmentTarget',
                         'microsoft.graph.exclusionGroupAssignmentTarget',
                         'microsoft.graph.allDevicesAssignmentTarget')),
    -- A deleted group takes its assignments with it, as it leaves Intune's.
    group_id uuid REFERENCES directory_groups (id) ON DELETE CASCADE,
    source text NOT NULL DEFAULT 'direct'
        CONSTRAINT deployment_profile_assignments_source_member CHECK
            (source IN ('direct', 'policySets')),
    source_id text,
    -- Which assignment is oldest decides between profiles that target one device.
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deployment_profile_assignments_group_for_group_targets CHECK
        ((target_type = 'microsoft.graph.allDevicesAssignmentTarget') = (group_id IS NULL))
);
CREATE INDEX deployment_profile_assignments_profile
    ON deployment_profile_assignments (tenant_id, profile_id, created_at);
CREATE INDEX deployment_profile_assignments_group ON deployment_profile_assignments (group_id);
