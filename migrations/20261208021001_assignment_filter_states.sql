-- Whether a tenant's assignment filters are on (beta `assignmentFilters/enable` and `getState`).
-- A tenant without a row has them on, as Intune tenants do; `enable` writes its row.
CREATE TABLE assignment_filter_states (
    tenant_id uuid PRIMARY KEY,
    enabled boolean NOT NULL
);
