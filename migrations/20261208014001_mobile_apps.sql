-- Mobile apps (issue 26), the slice an Enrollment Status Page names: app records of the Windows
-- types, on both roots, without content.

CREATE TABLE mobile_apps (
    id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    odata_type text NOT NULL CONSTRAINT mobile_apps_odata_type_known CHECK (odata_type IN
        ('microsoft.graph.win32LobApp', 'microsoft.graph.windowsMicrosoftEdgeApp',
         'microsoft.graph.officeSuiteApp', 'microsoft.graph.winGetApp',
         'microsoft.graph.windowsMobileMSI', 'microsoft.graph.windowsUniversalAppX')),
    display_name text NOT NULL CONSTRAINT mobile_apps_display_name_not_empty CHECK (display_name <> ''),
    description text,
    publisher text,
    created_date_time timestamptz NOT NULL DEFAULT now(),
    last_modified_date_time timestamptz NOT NULL DEFAULT now(),
    is_featured boolean NOT NULL DEFAULT false,
    privacy_information_url text,
    information_url text,
    owner text,
    developer text,
    notes text,
    -- A record without content is as Intune shows an app whose content is committed.
    publishing_state text NOT NULL DEFAULT 'published'
        CONSTRAINT mobile_apps_publishing_state_member CHECK
            (publishing_state IN ('notPublished', 'processing', 'published')),
    role_scope_tag_ids text[] NOT NULL DEFAULT '{0}',
    install_command_line text,
    uninstall_command_line text,
    setup_file_path text,
    display_version text,
    channel text NOT NULL DEFAULT 'stable'
        CONSTRAINT mobile_apps_channel_member CHECK
            (channel IN ('dev', 'beta', 'stable', 'unknownFutureValue')),
    display_language_locale text,
    auto_accept_eula boolean NOT NULL DEFAULT false,
    use_shared_computer_activation boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mobile_apps_pkey PRIMARY KEY (tenant_id, id)
);
