-- A change to a device (new, regrouped, added to or removed from a group) asks for that device
-- alone to be worked out again, so its status settles without a pass over the whole tenant
-- (issue 13's scale target). A request without a device still means the whole tenant: a group's
-- rule or an assignment can move any number of devices.

ALTER TABLE assignment_recomputes ADD COLUMN device_identity_id uuid;

-- assignedDevices lists the identities whose intended profile is the one asked about.
CREATE INDEX device_identities_intended_profile ON device_identities (tenant_id, intended_profile_id)
    WHERE intended_profile_id IS NOT NULL;

CREATE OR REPLACE FUNCTION request_assignment_recompute_for_new_devices() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id, device_identity_id)
    SELECT n.tenant_id, n.id FROM changed_rows n
    WHERE EXISTS (SELECT 1 FROM deployment_profile_assignments a WHERE a.tenant_id = n.tenant_id);
    IF FOUND THEN
        PERFORM pg_notify('autopilot_assignments', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION request_assignment_recompute_for_device() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id, device_identity_id) VALUES (NEW.tenant_id, NEW.id);
    PERFORM pg_notify('autopilot_assignments', '');
    RETURN NULL;
END
$$;

-- Adding a device to a static group, or taking it out, moves that device alone. A member row that
-- goes with its device (deleted with it) leaves nothing to work out.
CREATE FUNCTION request_assignment_recompute_for_members() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id, device_identity_id)
    SELECT d.tenant_id, d.id FROM changed_rows m
    JOIN device_identities d ON d.directory_object_id = m.device_object_id;
    IF FOUND THEN
        PERFORM pg_notify('autopilot_assignments', '');
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER directory_group_members_assignment_inserted ON directory_group_members;
DROP TRIGGER directory_group_members_assignment_deleted ON directory_group_members;
CREATE TRIGGER directory_group_members_assignment_inserted
    AFTER INSERT ON directory_group_members REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute_for_members();
CREATE TRIGGER directory_group_members_assignment_deleted
    AFTER DELETE ON directory_group_members REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute_for_members();
