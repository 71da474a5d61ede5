-- Intune assignment filters (beta): a rule over device or app properties per platform, checked
-- by the service against the filter grammar before it is stored.

CREATE TABLE assignment_filters (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    display_name text NOT NULL CONSTRAINT assignment_filters_display_name_not_empty
        CHECK (display_name <> ''),
    description text,
    platform text NOT NULL CONSTRAINT assignment_filters_platform_member CHECK (platform IN
        ('android', 'androidForWork', 'iOS', 'macOS', 'windowsPhone81', 'windows81AndLater',
         'windows10AndLater', 'androidWorkProfile', 'unknown', 'androidAOSP',
         'androidMobileApplicationManagement', 'iOSMobileApplicationManagement',
         'unknownFutureValue', 'windowsMobileApplicationManagement')),
    rule text NOT NULL CONSTRAINT assignment_filters_rule_not_empty CHECK (rule <> ''),
    role_scope_tags text[] NOT NULL DEFAULT '{0}',
    assignment_filter_management_type text NOT NULL DEFAULT 'devices'
        CONSTRAINT assignment_filters_assignment_filter_management_type_member CHECK
            (assignment_filter_management_type IN ('devices', 'apps', 'unknownFutureValue')),
    evaluation_mode text CONSTRAINT assignment_filters_evaluation_mode_member CHECK
        (evaluation_mode IN ('checkinTimeEvaluation', 'inventoryEvaluation', 'mixedEvaluation',
                             'disabled', 'unknownFutureValue')),
    created_date_time timestamptz NOT NULL DEFAULT now(),
    last_modified_date_time timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
