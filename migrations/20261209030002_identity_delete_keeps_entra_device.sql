-- Offboarding (issue 27): deleting an Autopilot identity leaves its Entra device object, as Graph
-- does; offboarding tools delete that object as their last step (DELETE /devices/{id}). The
-- object then belongs to no identity, as one created with POST /devices. The store unlinks the
-- object in the transaction that deletes the identity: Citus refuses ON DELETE SET NULL on a
-- foreign key that holds the distribution column, so the key no longer cascades.
ALTER TABLE directory_devices
    DROP CONSTRAINT directory_devices_tenant_id_device_identity_id_fkey,
    ADD CONSTRAINT directory_devices_tenant_id_device_identity_id_fkey
        FOREIGN KEY (tenant_id, device_identity_id)
        REFERENCES device_identities (tenant_id, id);
