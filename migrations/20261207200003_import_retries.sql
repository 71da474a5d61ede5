-- A tenant whose import batch fails waits alone (issue 24): its records are retried after a
-- backoff that grows with each failure in a row, while other tenants' are processed. One row per
-- tenant in trouble, gone once a batch of it succeeds; work, not state (a reset empties it, an
-- export leaves it out).
CREATE TABLE import_retries (
    tenant_id uuid PRIMARY KEY,
    -- Failures in a row.
    attempts integer NOT NULL,
    -- The tenant's records are not taken before this.
    retry_at timestamptz NOT NULL
);
