//! `microsoft.graph.mobileApp` as a table, the slice an Enrollment Status Page needs: app records
//! of the Windows types it blocks on, with their catalogue properties and no content.

use super::entity::{
    DerivedType, EntitySet, EnumType, Kind, Property, Segments, ServerValue, TEXT,
};

pub static PUBLISHING_STATE: EnumType = EnumType {
    name: "microsoft.graph.mobileAppPublishingState",
    members: &["notPublished", "processing", "published"],
    beta_members: &[],
};

pub static EDGE_CHANNEL: EnumType = EnumType {
    name: "microsoft.graph.microsoftEdgeChannel",
    members: &["dev", "beta", "stable", "unknownFutureValue"],
    beta_members: &[],
};

/// The mobile apps of a tenant, on both roots.
pub static MOBILE_APPS: EntitySet = EntitySet {
    type_name: "microsoft.graph.mobileApp",
    description: "An app record of the tenant's catalogue (no content is uploaded).",
    path: "deviceAppManagement/mobileApps",
    beta_only: false,
    table: "mobile_apps",
    properties: &[
        Property::key(),
        Property::concrete_type(),
        Property::text("displayName", "display_name").required(),
        Property::text("description", "description"),
        Property::text("publisher", "publisher"),
        Property::date_time("createdDateTime", "created_date_time").read_only(),
        Property::date_time("lastModifiedDateTime", "last_modified_date_time")
            .read_only()
            .server_value(ServerValue::UpdateTime),
        Property::boolean("isFeatured", "is_featured"),
        Property::text("privacyInformationUrl", "privacy_information_url"),
        Property::text("informationUrl", "information_url"),
        Property::text("owner", "owner"),
        Property::text("developer", "developer"),
        Property::text("notes", "notes"),
        Property::member("publishingState", "publishing_state", &PUBLISHING_STATE).read_only(),
        Property::new("roleScopeTagIds", "role_scope_tag_ids", Kind::Strings(TEXT)).beta(),
        // win32LobApp
        Property::text("installCommandLine", "install_command_line"),
        Property::text("uninstallCommandLine", "uninstall_command_line"),
        Property::text("setupFilePath", "setup_file_path"),
        Property::text("displayVersion", "display_version").beta(),
        // windowsMicrosoftEdgeApp
        Property::member("channel", "channel", &EDGE_CHANNEL),
        Property::text("displayLanguageLocale", "display_language_locale"),
        // officeSuiteApp
        Property::boolean("autoAcceptEula", "auto_accept_eula"),
        Property::boolean(
            "useSharedComputerActivation",
            "use_shared_computer_activation",
        ),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[
        DerivedType {
            type_name: "microsoft.graph.win32LobApp",
            own: &[
                "installCommandLine",
                "uninstallCommandLine",
                "setupFilePath",
                "displayVersion",
            ],
        },
        DerivedType {
            type_name: "microsoft.graph.windowsMicrosoftEdgeApp",
            own: &["channel", "displayLanguageLocale"],
        },
        DerivedType {
            type_name: "microsoft.graph.officeSuiteApp",
            own: &["autoAcceptEula", "useSharedComputerActivation"],
        },
        DerivedType {
            type_name: "microsoft.graph.winGetApp",
            own: &[],
        },
        DerivedType {
            type_name: "microsoft.graph.windowsMobileMSI",
            own: &[],
        },
        DerivedType {
            type_name: "microsoft.graph.windowsUniversalAppX",
            own: &[],
        },
    ],
    expandable: &[],
    segments: Segments::PLAIN,
};
