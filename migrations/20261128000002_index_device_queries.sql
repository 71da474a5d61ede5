-- Keep lists fast at a million devices.

-- contains/startswith/endswith compile to ILIKE, which trigram GIN indexes serve, on the properties
-- clients search. pg_trgm is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX device_identities_serial_number_trgm
    ON device_identities USING gin (serial_number gin_trgm_ops);
CREATE INDEX device_identities_display_name_trgm
    ON device_identities USING gin (display_name gin_trgm_ops);
CREATE INDEX device_identities_group_tag_trgm
    ON device_identities USING gin (group_tag gin_trgm_ops);
CREATE INDEX device_identities_user_principal_name_trgm
    ON device_identities USING gin (user_principal_name gin_trgm_ops);
CREATE INDEX device_identities_model_trgm
    ON device_identities USING gin (model gin_trgm_ops);
CREATE INDEX device_identities_manufacturer_trgm
    ON device_identities USING gin (manufacturer gin_trgm_ops);

-- Keyset paging walks (tenant, sort keys..., id). The default order is by id; these are the sort
-- orders clients use most. The expressions match the store's ORDER BY (nullable text sorts as '').
CREATE INDEX device_identities_tenant_id_key
    ON device_identities (tenant_id, id);
CREATE INDEX device_identities_tenant_serial_order
    ON device_identities (tenant_id, serial_number, id);
CREATE INDEX device_identities_tenant_display_name_order
    ON device_identities (tenant_id, (COALESCE(display_name, '')), id);
CREATE INDEX device_identities_tenant_group_tag_order
    ON device_identities (tenant_id, (COALESCE(group_tag, '')), id);
CREATE INDEX device_identities_tenant_last_contacted_order
    ON device_identities (tenant_id, last_contacted_date_time, id);
