-- Deployment profiles assigned to device identities directly, by beta's `assign` action
-- (`deviceIds`), which replaces the devices a profile has this way. A device has at most one such
-- profile, and it decides the device's profile before any group assignment does.
CREATE TABLE deployment_profile_device_assignments (
    tenant_id uuid NOT NULL,
    device_identity_id uuid NOT NULL,
    profile_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, device_identity_id),
    -- A deleted device takes its direct assignment with it (its status goes with the device).
    FOREIGN KEY (tenant_id, device_identity_id) REFERENCES device_identities (tenant_id, id)
        ON DELETE CASCADE,
    -- A profile's delete takes its direct assignments itself, and asks for the recompute.
    FOREIGN KEY (tenant_id, profile_id) REFERENCES deployment_profiles (tenant_id, id)
);
CREATE INDEX deployment_profile_device_assignments_profile
    ON deployment_profile_device_assignments (tenant_id, profile_id);
