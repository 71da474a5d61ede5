-- Graph keeps each renamed deployment profile setting as one value under two names
-- (outOfBoxExperienceSettings / outOfBoxExperienceSetting, extractHardwareHash /
-- hardwareHashExtractionEnabled, enableWhiteGlove / preprovisioningAllowed, language / locale):
-- the new name's column holds it. Until now each name had a column; a profile written under one
-- name kept the other at its default, so the value set away from its default is the one kept,
-- the new name's when both were.

UPDATE deployment_profiles SET
    oobe_privacy_settings_hidden = oobe_privacy_settings_hidden OR oobe_hide_privacy_settings,
    oobe_eula_hidden = oobe_eula_hidden OR oobe_hide_eula,
    oobe_setting_user_type = CASE WHEN oobe_setting_user_type = 'administrator'
        THEN oobe_user_type ELSE oobe_setting_user_type END,
    oobe_setting_device_usage_type = CASE WHEN oobe_setting_device_usage_type = 'singleUser'
        THEN oobe_device_usage_type ELSE oobe_setting_device_usage_type END,
    oobe_keyboard_selection_page_skipped =
        oobe_keyboard_selection_page_skipped OR oobe_skip_keyboard_selection_page,
    oobe_escape_link_hidden = oobe_escape_link_hidden OR oobe_hide_escape_link,
    hardware_hash_extraction_enabled = hardware_hash_extraction_enabled OR extract_hardware_hash,
    preprovisioning_allowed = preprovisioning_allowed OR enable_white_glove,
    locale = coalesce(locale, language);

ALTER TABLE deployment_profiles
    DROP COLUMN oobe_hide_privacy_settings,
    DROP COLUMN oobe_hide_eula,
    DROP COLUMN oobe_user_type,
    DROP COLUMN oobe_device_usage_type,
    DROP COLUMN oobe_skip_keyboard_selection_page,
    DROP COLUMN oobe_hide_escape_link,
    DROP COLUMN extract_hardware_hash,
    DROP COLUMN enable_white_glove,
    DROP COLUMN language;
