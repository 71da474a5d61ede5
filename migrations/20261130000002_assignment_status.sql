-- Profile assignment status on device identities (workflows spec section 3): the profile that
-- targets a device (intended, `pending`), the one it has once settled, and since when it waits.
-- A change that can move a device's profile leaves a request for its tenant, for any instance's
-- worker.

ALTER TABLE device_identities
    ADD COLUMN intended_profile_id uuid,
    ADD COLUMN assigned_profile_id uuid,
    ADD COLUMN assignment_pending_since timestamptz;
CREATE INDEX device_identities_assignment_pending ON device_identities (assignment_pending_since)
    WHERE assignment_pending_since IS NOT NULL;

-- The identity a directory device belongs to, for the status worker's membership queries.
CREATE OR REPLACE VIEW directory_devices AS
SELECT directory_object_id AS id,
       tenant_id,
       true AS account_enabled,
       azure_active_directory_device_id AS device_id,
       array_remove(ARRAY['[ZTDID]:' || id::text,
                          '[OrderID]:' || group_tag,
                          '[PurchaseOrderId]:' || purchase_order_identifier], NULL) AS device_physical_ids,
       serial_number AS display_name,
       'Windows'::text AS operating_system,
       created_at,
       updated_at,
       id AS device_identity_id
FROM device_identities;

-- One row per change, only ever inserted and deleted: a change never waits for the worker that is
-- handling an earlier one (an upsert of one row per tenant would, and could deadlock with it).
CREATE TABLE assignment_recomputes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL
);
CREATE INDEX assignment_recomputes_tenant ON assignment_recomputes (tenant_id);

-- Asks for the tenants of the changed rows to be worked out again, and wakes the workers.
CREATE FUNCTION request_assignment_recompute() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id)
    SELECT DISTINCT tenant_id FROM changed_rows;
    PERFORM pg_notify('autopilot_assignments', '');
    RETURN NULL;
END
$$;

-- New devices matter only to tenants with assignments: one statement per grouped insert.
CREATE FUNCTION request_assignment_recompute_for_new_devices() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id)
    SELECT DISTINCT n.tenant_id FROM changed_rows n
    WHERE EXISTS (SELECT 1 FROM deployment_profile_assignments a WHERE a.tenant_id = n.tenant_id);
    IF FOUND THEN
        PERFORM pg_notify('autopilot_assignments', '');
    END IF;
    RETURN NULL;
END
$$;

-- A device's group tag or purchase order moves it between groups.
CREATE FUNCTION request_assignment_recompute_for_device() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id) VALUES (NEW.tenant_id);
    PERFORM pg_notify('autopilot_assignments', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER device_identities_assignment_inserted
    AFTER INSERT ON device_identities REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute_for_new_devices();
CREATE TRIGGER device_identities_assignment_regrouped
    AFTER UPDATE OF group_tag, purchase_order_identifier ON device_identities
    FOR EACH ROW WHEN (OLD.group_tag IS DISTINCT FROM NEW.group_tag
                       OR OLD.purchase_order_identifier IS DISTINCT FROM NEW.purchase_order_identifier)
    EXECUTE FUNCTION request_assignment_recompute_for_device();

CREATE TRIGGER directory_groups_assignment_inserted
    AFTER INSERT ON directory_groups REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();
CREATE TRIGGER directory_groups_assignment_updated
    AFTER UPDATE ON directory_groups REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();
CREATE TRIGGER directory_groups_assignment_deleted
    AFTER DELETE ON directory_groups REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();

CREATE TRIGGER directory_group_members_assignment_inserted
    AFTER INSERT ON directory_group_members REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();
CREATE TRIGGER directory_group_members_assignment_deleted
    AFTER DELETE ON directory_group_members REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();

CREATE TRIGGER deployment_profile_assignments_inserted
    AFTER INSERT ON deployment_profile_assignments REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();
CREATE TRIGGER deployment_profile_assignments_deleted
    AFTER DELETE ON deployment_profile_assignments REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION request_assignment_recompute();
