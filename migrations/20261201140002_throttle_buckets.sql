-- The throttle's token buckets (--throttle), one per tenant and application, shared by every
-- instance on the database. A bucket is one timestamp (GCRA): when it would be full again, minus
-- one burst. Unlogged: it is written on every throttled request, and losing it in a crash only
-- refills every bucket.
CREATE UNLOGGED TABLE throttle_buckets (
    tenant_id uuid NOT NULL,
    -- The token's `appid` (or `azp`); '' without a token.
    app_id text NOT NULL,
    theoretical_arrival timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, app_id)
);
