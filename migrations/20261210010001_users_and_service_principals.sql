-- The identities device preparation needs (issue 28): users, service principals, users as members
-- of groups without a rule, and group owners (users and service principals). A user's or service
-- principal's links go with it, and a group's with the group (the foreign keys cascade).

CREATE TABLE directory_users (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),

    account_enabled boolean NOT NULL,
    business_phones text[] NOT NULL DEFAULT '{}',
    city text,
    company_name text,
    country text,
    created_date_time timestamptz NOT NULL DEFAULT now(),
    department text,
    display_name text NOT NULL CONSTRAINT directory_users_display_name_not_empty CHECK (display_name <> ''),
    employee_id text,
    given_name text,
    job_title text,
    mail text,
    mail_nickname text NOT NULL CONSTRAINT directory_users_mail_nickname_not_empty CHECK (mail_nickname <> ''),
    mobile_phone text,
    office_location text,
    preferred_language text,
    surname text,
    usage_location text,
    user_principal_name text NOT NULL
        CONSTRAINT directory_users_user_principal_name_not_empty CHECK (user_principal_name <> ''),
    user_type text NOT NULL DEFAULT 'Member',

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- Entra compares user principal names case-insensitively.
CREATE UNIQUE INDEX directory_users_tenant_upn_key
    ON directory_users (tenant_id, lower(user_principal_name));

CREATE TABLE directory_service_principals (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),

    account_enabled boolean NOT NULL DEFAULT true,
    app_display_name text,
    app_id text NOT NULL CONSTRAINT directory_service_principals_app_id_not_empty CHECK (app_id <> ''),
    app_owner_organization_id uuid NOT NULL,
    app_role_assignment_required boolean NOT NULL DEFAULT false,
    description text,
    display_name text,
    notes text,
    service_principal_names text[] NOT NULL DEFAULT '{}',
    service_principal_type text NOT NULL DEFAULT 'Application',
    tags text[] NOT NULL DEFAULT '{}',

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- One service principal per application in a tenant.
CREATE UNIQUE INDEX directory_service_principals_tenant_app_key
    ON directory_service_principals (tenant_id, lower(app_id));

-- Users added to groups without a rule (devices have directory_group_members).
CREATE TABLE directory_group_user_members (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    user_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES directory_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX directory_group_user_members_user ON directory_group_user_members (tenant_id, user_id);

-- The owners of groups: users, and service principals.
CREATE TABLE directory_group_user_owners (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    user_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES directory_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX directory_group_user_owners_user ON directory_group_user_owners (tenant_id, user_id);

CREATE TABLE directory_group_service_principal_owners (
    tenant_id uuid NOT NULL,
    group_id uuid NOT NULL,
    service_principal_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, group_id, service_principal_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES directory_groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_principal_id)
        REFERENCES directory_service_principals (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX directory_group_service_principal_owners_principal
    ON directory_group_service_principal_owners (tenant_id, service_principal_id);
