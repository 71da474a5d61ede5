-- The Entra ID slice profile assignment needs (workflows spec section 4): a directory device for
-- every device identity, and groups of devices.

-- A device identity's directory object, and the device id the identity points at with
-- azureActiveDirectoryDeviceId (set for new identities unless the client sets it).
ALTER TABLE device_identities ADD COLUMN directory_object_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE device_identities
    ALTER COLUMN azure_active_directory_device_id SET DEFAULT gen_random_uuid()::text;
CREATE UNIQUE INDEX device_identities_directory_object ON device_identities (directory_object_id);

-- Derived, so that it is created, changed and deleted with its identity.
CREATE VIEW directory_devices AS
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
       updated_at
FROM device_identities;

CREATE TABLE directory_groups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,

    created_date_time timestamptz NOT NULL DEFAULT now(),
    description text,
    display_name text NOT NULL CONSTRAINT directory_groups_display_name_not_empty CHECK (display_name <> ''),
    group_types text[] NOT NULL DEFAULT '{}',
    mail_enabled boolean NOT NULL,
    mail_nickname text NOT NULL CONSTRAINT directory_groups_mail_nickname_not_empty CHECK (mail_nickname <> ''),
    membership_rule text,
    membership_rule_processing_state text,
    security_enabled boolean NOT NULL,

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX directory_groups_tenant_id_key ON directory_groups (tenant_id, id);

-- The members added to groups without a rule: directory devices, by their object id.
CREATE TABLE directory_group_members (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
    device_object_id uuid NOT NULL
        REFERENCES device_identities (directory_object_id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, device_object_id)
);
CREATE INDEX directory_group_members_device ON directory_group_members (device_object_id);
