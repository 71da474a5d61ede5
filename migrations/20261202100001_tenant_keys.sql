-- Every key of a tenant's table includes its tenant (issue 16): primary keys, unique indexes and
-- foreign keys. That is what lets a PostgreSQL-wire distributed engine (Citus) shard these tables by
-- tenant_id, colocated, with every constraint checked within one shard. A row's id is now unique
-- within its tenant. The token signing key and the app registrations stay global: they are the
-- reference tables (see README, "Running on a distributed PostgreSQL").
--
-- Only keys change, so it applies to a populated database; the rows it deletes first are the only
-- ones the new foreign keys would refuse: links to another tenant's group, device or profile, which
-- only a hand-written state document could have made, and which no query of their tenant reaches.

DELETE FROM directory_group_members m
WHERE NOT EXISTS (SELECT 1 FROM directory_groups g
                  WHERE g.id = m.group_id AND g.tenant_id = m.tenant_id)
   OR NOT EXISTS (SELECT 1 FROM device_identities d
                  WHERE d.directory_object_id = m.device_object_id AND d.tenant_id = m.tenant_id);
DELETE FROM deployment_profile_assignments a
WHERE NOT EXISTS (SELECT 1 FROM deployment_profiles p
                  WHERE p.id = a.profile_id AND p.tenant_id = a.tenant_id)
   OR (a.group_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM directory_groups g
                       WHERE g.id = a.group_id AND g.tenant_id = a.tenant_id));

-- The foreign keys go first: they hang on the keys being replaced.
ALTER TABLE directory_group_members
    DROP CONSTRAINT directory_group_members_group_id_fkey,
    DROP CONSTRAINT directory_group_members_device_object_id_fkey;
ALTER TABLE deployment_profile_assignments
    DROP CONSTRAINT deployment_profile_assignments_profile_id_fkey,
    DROP CONSTRAINT deployment_profile_assignments_group_id_fkey;

-- (tenant_id, id) primary keys; each replaces the plain (tenant_id, id) index that served a
-- tenant's reads by id and its keyset pages.
ALTER TABLE device_identities DROP CONSTRAINT device_identities_pkey;
ALTER TABLE device_identities ADD CONSTRAINT device_identities_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX device_identities_tenant_id_key;

ALTER TABLE imported_device_identities DROP CONSTRAINT imported_device_identities_pkey;
ALTER TABLE imported_device_identities
    ADD CONSTRAINT imported_device_identities_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX imported_device_identities_tenant_id_key;

ALTER TABLE directory_groups DROP CONSTRAINT directory_groups_pkey;
ALTER TABLE directory_groups ADD CONSTRAINT directory_groups_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX directory_groups_tenant_id_key;

ALTER TABLE deployment_profiles DROP CONSTRAINT deployment_profiles_pkey;
ALTER TABLE deployment_profiles ADD CONSTRAINT deployment_profiles_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX deployment_profiles_tenant_id_key;

ALTER TABLE directory_group_members DROP CONSTRAINT directory_group_members_pkey;
ALTER TABLE directory_group_members
    ADD CONSTRAINT directory_group_members_pkey PRIMARY KEY (tenant_id, group_id, device_object_id);

ALTER TABLE deployment_profile_assignments DROP CONSTRAINT deployment_profile_assignments_pkey;
ALTER TABLE deployment_profile_assignments
    ADD CONSTRAINT deployment_profile_assignments_pkey PRIMARY KEY (tenant_id, id);

-- The recompute requests of a tenant are its part of the primary key; the discovery of the tenants
-- that asked first still walks the requests in id order.
ALTER TABLE assignment_recomputes DROP CONSTRAINT assignment_recomputes_pkey;
ALTER TABLE assignment_recomputes
    ADD CONSTRAINT assignment_recomputes_pkey PRIMARY KEY (tenant_id, id);
DROP INDEX assignment_recomputes_tenant;
CREATE INDEX assignment_recomputes_order ON assignment_recomputes (id);

-- A tenant has one settings row (its primary key); its id needs no index of its own.
DROP INDEX autopilot_settings_id;

-- A directory object is unique within its tenant, and members refer to it there.
DROP INDEX device_identities_directory_object;
CREATE UNIQUE INDEX device_identities_directory_object
    ON device_identities (tenant_id, directory_object_id);
DROP INDEX directory_group_members_device;
CREATE INDEX directory_group_members_device
    ON directory_group_members (tenant_id, device_object_id);
DROP INDEX deployment_profile_assignments_group;
CREATE INDEX deployment_profile_assignments_group
    ON deployment_profile_assignments (tenant_id, group_id);

ALTER TABLE directory_group_members
    ADD CONSTRAINT directory_group_members_group_id_fkey FOREIGN KEY (tenant_id, group_id)
        REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT directory_group_members_device_object_id_fkey
        FOREIGN KEY (tenant_id, device_object_id)
        REFERENCES device_identities (tenant_id, directory_object_id) ON DELETE CASCADE;
-- A profile with assignments is not deleted; a deleted group takes its assignments with it.
ALTER TABLE deployment_profile_assignments
    ADD CONSTRAINT deployment_profile_assignments_profile_id_fkey FOREIGN KEY (tenant_id, profile_id)
        REFERENCES deployment_profiles (tenant_id, id) ON DELETE RESTRICT,
    ADD CONSTRAINT deployment_profile_assignments_group_id_fkey FOREIGN KEY (tenant_id, group_id)
        REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE;

-- The workers claim due work within one tenant, oldest first, once discovery has named it.
CREATE INDEX imported_device_identities_tenant_pending
    ON imported_device_identities (tenant_id, created_at) WHERE pending;
CREATE INDEX device_identities_tenant_assignment_pending
    ON device_identities (tenant_id, assignment_pending_since)
    WHERE assignment_pending_since IS NOT NULL;

-- A member's device is found within the member's tenant.
CREATE OR REPLACE FUNCTION request_assignment_recompute_for_members() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO assignment_recomputes (tenant_id, device_identity_id)
    SELECT d.tenant_id, d.id FROM changed_rows m
    JOIN device_identities d
      ON d.tenant_id = m.tenant_id AND d.directory_object_id = m.device_object_id;
    IF FOUND THEN
        PERFORM pg_notify('autopilot_assignments', '');
    END IF;
    RETURN NULL;
END
$$;
