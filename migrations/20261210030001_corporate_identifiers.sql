-- Corporate identifiers (issue 28, beta `deviceManagement/importedDeviceIdentities`,
-- `microsoft.graph.importedDeviceIdentity`): devices named by IMEI, serial number or (Windows)
-- manufacturer, model and serial number, which count as corporate-owned when they enroll. The
-- table is not `imported_device_identities`, which holds the Autopilot hardware hash uploads.

CREATE TABLE corporate_identifiers (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    imported_device_identifier text NOT NULL
        CONSTRAINT corporate_identifiers_identifier_not_empty CHECK (imported_device_identifier <> ''),
    imported_device_identity_type text NOT NULL
        CONSTRAINT corporate_identifiers_imported_device_identity_type_member CHECK
            (imported_device_identity_type IN ('unknown', 'imei', 'serialNumber', 'manufacturerModelSerial')),
    last_modified_date_time timestamptz NOT NULL DEFAULT now(),
    created_date_time timestamptz NOT NULL DEFAULT now(),
    -- 0001-01-01T00:00:00Z is what Graph answers for "never contacted".
    last_contacted_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    description text,
    enrollment_state text NOT NULL DEFAULT 'notContacted'
        CONSTRAINT corporate_identifiers_enrollment_state_member CHECK (enrollment_state IN
            ('unknown', 'enrolled', 'pendingReset', 'failed', 'notContacted', 'blocked')),
    platform text NOT NULL DEFAULT 'unknown'
        CONSTRAINT corporate_identifiers_platform_member CHECK (platform IN
            ('unknown', 'ios', 'android', 'windows', 'windowsMobile', 'macOS', 'visionOS', 'tvOS',
             'unknownFutureValue')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT corporate_identifiers_pkey PRIMARY KEY (tenant_id, id)
);

-- An identifier names one device of a tenant, whatever its case (as Intune matches serial
-- numbers); the enrollment gate looks a Windows device up by it.
CREATE UNIQUE INDEX corporate_identifiers_tenant_identifier_key
    ON corporate_identifiers (tenant_id, lower(imported_device_identifier));
