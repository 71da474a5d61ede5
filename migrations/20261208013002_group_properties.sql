-- More of a group's documented properties (issue 25): those a security group has in Entra, and
-- beta's membershipRuleProcessingStatus of a dynamic group.
ALTER TABLE directory_groups
    ADD COLUMN mail text,
    ADD COLUMN proxy_addresses text[] NOT NULL DEFAULT '{}',
    ADD COLUMN renewed_date_time timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN visibility text
        CONSTRAINT directory_groups_visibility_check
        CHECK (visibility IN ('Private', 'Public', 'HiddenMembership')),
    ADD COLUMN membership_rule_processing_status text,
    ADD COLUMN membership_rule_processing_error text,
    ADD COLUMN last_membership_updated timestamptz NOT NULL DEFAULT now();

-- A group never renewed was renewed when it was created; a dynamic group's members are its rule's
-- as of its last change.
UPDATE directory_groups
SET renewed_date_time = created_date_time,
    last_membership_updated = updated_at,
    membership_rule_processing_status = CASE WHEN membership_rule IS NOT NULL THEN 'Succeeded' END;
