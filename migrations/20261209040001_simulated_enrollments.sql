-- Simulated enrollment (issue 27). Enrollments counted by outcome for /metrics: counters every
-- instance adds to, so the figure is the database's, not one process's; work, not state (a reset
-- empties them, an export leaves them out).
CREATE TABLE simulated_enrollment_counts (
    tenant_id uuid NOT NULL,
    outcome text NOT NULL
        CONSTRAINT simulated_enrollment_counts_outcome_member CHECK (outcome IN
            ('success', 'espTimeout', 'failure')),
    total bigint NOT NULL DEFAULT 0,
    CONSTRAINT simulated_enrollment_counts_pkey PRIMARY KEY (tenant_id, outcome)
);

-- --auto-enroll-after: a device whose profile is assigned and that never enrolled is due that long
-- after its assignment settled. The identity row is the due-time row (claimed FOR UPDATE SKIP
-- LOCKED; enrolling moves it out of this index), as pending assignments are.
CREATE INDEX device_identities_enrollment_due
    ON device_identities (deployment_profile_assigned_date_time)
    WHERE assigned_profile_id IS NOT NULL AND enrollment_state = 'notContacted';
