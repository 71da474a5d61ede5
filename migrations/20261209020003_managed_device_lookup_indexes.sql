-- $filter compares strings case-insensitively (lower() on both sides), so the lookups scripts make
-- by serial number, name and Entra device id need indexes on lower(column), not on the column.

DROP INDEX managed_devices_serial_number;
DROP INDEX managed_devices_device_name;
CREATE INDEX managed_devices_serial_number ON managed_devices (tenant_id, lower(serial_number));
CREATE INDEX managed_devices_device_name ON managed_devices (tenant_id, lower(device_name));
CREATE INDEX managed_devices_azure_ad_device_id
    ON managed_devices (tenant_id, lower(azure_ad_device_id));
