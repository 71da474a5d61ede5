-- Directory devices become a table (issue 25): Graph lets an app create a device object, change it
-- (accountEnabled, extensionAttributes) and delete it while its Autopilot identity stays. Every
-- device identity still has one, created with it by the service (in the identity's transaction)
-- and kept in step by it: its physical ids follow the group tag and purchase order. No trigger
-- does it (docs/citus.md: the schema has none).

-- An identity whose azureActiveDirectoryDeviceId a client emptied gets a device whose deviceId is
-- its object id: a device object always has a device id.

-- The physical ids Autopilot registration gives the device object of an identity.
CREATE FUNCTION autopilot_physical_ids(identity uuid, group_tag text, purchase_order text)
    RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT array_remove(ARRAY['[ZTDID]:' || identity::text,
                          '[OrderID]:' || group_tag,
                          '[PurchaseOrderId]:' || purchase_order], NULL)
$$;

DROP VIEW directory_devices;

CREATE TABLE directory_devices (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The identity whose registration created it; none for a device an app created.
    device_identity_id uuid,

    account_enabled boolean NOT NULL DEFAULT true,
    approximate_last_sign_in_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    device_id text NOT NULL CONSTRAINT directory_devices_device_id_not_empty CHECK (device_id <> ''),
    device_ownership text,
    display_name text NOT NULL CONSTRAINT directory_devices_display_name_not_empty CHECK (display_name <> ''),
    enrollment_type text,
    is_compliant boolean NOT NULL DEFAULT false,
    is_managed boolean NOT NULL DEFAULT false,
    manufacturer text,
    model text,
    operating_system text NOT NULL DEFAULT 'Windows'
        CONSTRAINT directory_devices_operating_system_not_empty CHECK (operating_system <> ''),
    operating_system_version text,
    device_physical_ids text[] NOT NULL DEFAULT '{}',
    profile_type text,
    registration_date_time timestamptz NOT NULL DEFAULT now(),
    trust_type text,
    extension_attribute_1 text,
    extension_attribute_2 text,
    extension_attribute_3 text,
    extension_attribute_4 text,
    extension_attribute_5 text,
    extension_attribute_6 text,
    extension_attribute_7 text,
    extension_attribute_8 text,
    extension_attribute_9 text,
    extension_attribute_10 text,
    extension_attribute_11 text,
    extension_attribute_12 text,
    extension_attribute_13 text,
    extension_attribute_14 text,
    extension_attribute_15 text,

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    -- A device identity's device object goes with it.
    FOREIGN KEY (tenant_id, device_identity_id)
        REFERENCES device_identities (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX directory_devices_identity ON directory_devices (tenant_id, device_identity_id);
CREATE INDEX directory_devices_device_id ON directory_devices (tenant_id, device_id);

INSERT INTO directory_devices
    (tenant_id, id, device_identity_id, device_id, device_ownership, display_name, manufacturer,
     model, device_physical_ids, profile_type, registration_date_time, trust_type)
SELECT tenant_id, directory_object_id, id,
       coalesce(nullif(azure_active_directory_device_id, ''), directory_object_id::text), 'Company',
       serial_number, manufacturer, model,
       autopilot_physical_ids(id, group_tag, purchase_order_identifier), 'RegisteredDevice',
       created_at, 'AzureAd'
FROM device_identities;

-- Members are directory devices, whether an identity's or an app's.
ALTER TABLE directory_group_members
    DROP CONSTRAINT directory_group_members_device_object_id_fkey,
    ADD CONSTRAINT directory_group_members_device_object_id_fkey
        FOREIGN KEY (tenant_id, device_object_id)
        REFERENCES directory_devices (tenant_id, id) ON DELETE CASCADE;
