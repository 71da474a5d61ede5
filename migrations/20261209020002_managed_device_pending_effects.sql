-- What a managed device's pending remote actions will do once the device has carried them out:
-- the name setDeviceName gives it, and whether it leaves Intune (wipe, retire).

ALTER TABLE managed_devices
    ADD COLUMN pending_device_name text,
    ADD COLUMN leaves_intune boolean NOT NULL DEFAULT false;
