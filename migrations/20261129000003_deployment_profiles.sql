-- Windows Autopilot deployment profiles (beta): the properties of the reference page, the
-- complex settings in columns of their own, and which concrete type each profile is.

CREATE TABLE deployment_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    odata_type text NOT NULL CONSTRAINT deployment_profiles_odata_type_known CHECK (odata_type IN
        ('microsoft.graph.azureADWindowsAutopilotDeploymentProfile',
         'microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile')),

    display_name text,
    description text,
    language text,
    locale text,
    created_date_time timestamptz NOT NULL DEFAULT now(),
    last_modified_date_time timestamptz NOT NULL DEFAULT now(),

    oobe_hide_privacy_settings boolean NOT NULL DEFAULT false,
    oobe_hide_eula boolean NOT NULL DEFAULT false,
    oobe_user_type text NOT NULL DEFAULT 'administrator'
        CONSTRAINT deployment_profiles_oobe_user_type_member CHECK (oobe_user_type IN
            ('administrator', 'standard', 'unknownFutureValue')),
    oobe_device_usage_type text NOT NULL DEFAULT 'singleUser'
        CONSTRAINT deployment_profiles_oobe_device_usage_type_member CHECK (oobe_device_usage_type IN
            ('singleUser', 'shared', 'unknownFutureValue')),
    oobe_skip_keyboard_selection_page boolean NOT NULL DEFAULT false,
    oobe_hide_escape_link boolean NOT NULL DEFAULT false,

    oobe_privacy_settings_hidden boolean NOT NULL DEFAULT false,
    oobe_eula_hidden boolean NOT NULL DEFAULT false,
    oobe_setting_user_type text NOT NULL DEFAULT 'administrator'
        CONSTRAINT deployment_profiles_oobe_setting_user_type_member CHECK (oobe_setting_user_type IN
            ('administrator', 'standard', 'unknownFutureValue')),
    oobe_setting_device_usage_type text NOT NULL DEFAULT 'singleUser'
        CONSTRAINT deployment_profiles_oobe_setting_device_usage_type_member CHECK
            (oobe_setting_device_usage_type IN ('singleUser', 'shared', 'unknownFutureValue')),
    oobe_keyboard_selection_page_skipped boolean NOT NULL DEFAULT false,
    oobe_escape_link_hidden boolean NOT NULL DEFAULT false,

    esp_hide_installation_progress boolean NOT NULL DEFAULT false,
    esp_allow_device_use_before_install_complete boolean NOT NULL DEFAULT false,
    esp_block_device_setup_retry_by_user boolean NOT NULL DEFAULT false,
    esp_allow_log_collection_on_install_failure boolean NOT NULL DEFAULT false,
    esp_custom_error_message text,
    esp_install_progress_timeout_in_minutes integer NOT NULL DEFAULT 60,
    esp_allow_device_use_on_install_failure boolean NOT NULL DEFAULT false,

    extract_hardware_hash boolean NOT NULL DEFAULT false,
    hardware_hash_extraction_enabled boolean NOT NULL DEFAULT false,
    device_name_template text,
    device_type text NOT NULL DEFAULT 'windowsPc'
        CONSTRAINT deployment_profiles_device_type_member CHECK (device_type IN
            ('windowsPc', 'holoLens', 'surfaceHub2', 'surfaceHub2S', 'virtualMachine',
             'unknownFutureValue')),
    enable_white_glove boolean NOT NULL DEFAULT false,
    preprovisioning_allowed boolean NOT NULL DEFAULT false,
    role_scope_tag_ids text[] NOT NULL DEFAULT '{0}',
    management_service_app_id text,
    hybrid_azure_ad_join_skip_connectivity_check boolean NOT NULL DEFAULT false,

    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deployment_profiles_tenant_id_key ON deployment_profiles (tenant_id, id);

-- lastModifiedDateTime is the server's to keep.
CREATE FUNCTION deployment_profiles_modified() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_modified_date_time := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER deployment_profiles_modified
    BEFORE UPDATE ON deployment_profiles
    FOR EACH ROW EXECUTE FUNCTION deployment_profiles_modified();
