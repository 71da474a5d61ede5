-- Windows Autopilot settings (beta): one row per tenant, made on first use, and the state of its
-- Autopilot sync, which every instance reads and changes here (the cooldown included).

CREATE TABLE autopilot_settings (
    tenant_id uuid PRIMARY KEY,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    last_sync_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    last_manual_sync_trigger_date_time timestamptz NOT NULL DEFAULT '0001-01-01T00:00:00Z',
    sync_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT autopilot_settings_sync_status_member CHECK (sync_status IN
            ('unknown', 'inProgress', 'completed', 'failed')),
    -- When the running sync completes; NULL when none runs.
    sync_completes_at timestamptz,

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX autopilot_settings_id ON autopilot_settings (id);
CREATE INDEX autopilot_settings_running ON autopilot_settings (sync_completes_at)
    WHERE sync_completes_at IS NOT NULL;
