-- Imported Windows Autopilot device identities: uploaded hardware hashes waiting for, or done with,
-- processing into device identities (workflows spec section 1).

CREATE TABLE imported_device_identities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,

    assigned_user_principal_name text,
    group_tag text,
    hardware_identifier bytea,
    -- The record's own id unless an import call set the id its records share (see the trigger).
    import_id text NOT NULL,
    product_key text,
    serial_number text,

    -- state
    device_import_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT imported_device_identities_device_import_status_member CHECK (device_import_status IN
            ('unknown', 'pending', 'partial', 'complete', 'error')),
    device_registration_id text NOT NULL DEFAULT '',
    device_error_code integer NOT NULL DEFAULT 0,
    device_error_name text NOT NULL DEFAULT '',

    -- Waiting to be processed: the worker takes rows created at least the import delay ago.
    pending boolean NOT NULL DEFAULT true,

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION imported_device_identities_default_import_id() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.import_id := coalesce(NEW.import_id, NEW.id::text);
    RETURN NEW;
END
$$;

CREATE TRIGGER imported_device_identities_default_import_id
    BEFORE INSERT ON imported_device_identities
    FOR EACH ROW EXECUTE FUNCTION imported_device_identities_default_import_id();

-- Wakes the processing workers of every instance once new records are committed.
CREATE FUNCTION imported_device_identities_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('autopilot_imports', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER imported_device_identities_notify
    AFTER INSERT ON imported_device_identities
    FOR EACH STATEMENT EXECUTE FUNCTION imported_device_identities_notify();

-- The worker's queue, oldest first, and the scripts' polling by import.
CREATE INDEX imported_device_identities_pending
    ON imported_device_identities (created_at) WHERE pending;
CREATE INDEX imported_device_identities_tenant_id_key
    ON imported_device_identities (tenant_id, id);
CREATE INDEX imported_device_identities_tenant_import
    ON imported_device_identities (tenant_id, lower(import_id));
CREATE INDEX imported_device_identities_tenant_serial
    ON imported_device_identities (tenant_id, lower(serial_number));

-- A device that came in through an import keeps its hardware hash (not on the wire).
ALTER TABLE device_identities ADD COLUMN hardware_identifier bytea;

-- Processing looks a serial number up in every tenant (808 ZtdDeviceAssignedToOtherTenant).
CREATE INDEX device_identities_serial_any_tenant
    ON device_identities (lower(serial_number));
