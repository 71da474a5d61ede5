//! `microsoft.graph.deviceManagementConfigurationPolicy` (beta) as a table, for the two Windows
//! Autopilot device preparation templates only: the templates and the setting definitions each
//! allows (a declarative table), the check of a policy's setting instances against them, the typed
//! settings an enrollment reads, the rule an enrollment-time device group must keep, and which
//! policy applies to a user's groups.

use std::collections::HashSet;

use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::enrollment_configuration::{EnrollmentAssignment, EnrollmentTarget};
use super::entity::{
    BoundAction, ComplexType, EntitySet, EnumType, ItemSegment, Kind, Navigation, Property,
    Segments, ServerValue, TEXT,
};

pub static PLATFORMS: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementConfigurationPlatforms",
    members: &[
        "none",
        "android",
        "iOS",
        "macOS",
        "windows10X",
        "windows10",
        "linux",
        "unknownFutureValue",
        "androidEnterprise",
        "aosp",
        "visionOS",
        "tvOS",
    ],
    beta_members: &[],
};

pub static TECHNOLOGIES: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementConfigurationTechnologies",
    members: &[
        "none",
        "mdm",
        "windows10XManagement",
        "configManager",
        "intuneManagementExtension",
        "thirdParty",
        "documentGateway",
        "appleRemoteManagement",
        "microsoftSense",
        "exchangeOnline",
        "mobileApplicationManagement",
        "linuxMdm",
        "enrollment",
        "endpointPrivilegeManagement",
        "unknownFutureValue",
        "windowsOsRecovery",
        "android",
        "intuneOpenExtensibility",
    ],
    beta_members: &[],
};

pub static TEMPLATE_FAMILY: EnumType = EnumType {
    name: "microsoft.graph.deviceManagementConfigurationTemplateFamily",
    members: &[
        "none",
        "endpointSecurityAntivirus",
        "endpointSecurityDiskEncryption",
        "endpointSecurityFirewall",
        "endpointSecurityEndpointDetectionAndResponse",
        "endpointSecurityAttackSurfaceReduction",
        "endpointSecurityAccountProtection",
        "endpointSecurityApplicationControl",
        "endpointSecurityEndpointPrivilegeManagement",
        "enrollmentConfiguration",
        "appQuietTime",
        "baseline",
        "unknownFutureValue",
        "deviceConfigurationScripts",
        "deviceConfigurationPolicies",
        "windowsOsRecoveryPolicies",
        "companyPortal",
        "windowsRecoveryAndRemediationConfiguration",
        "maintenanceWindows",
    ],
    beta_members: &[],
};

pub static TEMPLATE_REFERENCE: ComplexType = ComplexType {
    name: "microsoft.graph.deviceManagementConfigurationPolicyTemplateReference",
    properties: &[
        Property::text("templateId", "template_id"),
        Property::member("templateFamily", "template_family", &TEMPLATE_FAMILY)
            .read_only()
            .described("The template's, whatever a create sends."),
        Property::text("templateDisplayName", "template_display_name").read_only(),
        Property::text("templateDisplayVersion", "template_display_version").read_only(),
    ],
};

pub static PRIORITY_META_DATA: ComplexType = ComplexType {
    name: "microsoft.graph.deviceManagementPriorityMetaData",
    properties: &[Property::new("priority", "priority", Kind::Int32)
        .read_only()
        .described("Set on create, after the tenant's last; the lowest applies first.")],
};

/// The bound actions of a policy that set, read and clear its enrollment-time device group.
pub const SET_MEMBERSHIP_TARGET: &str = "setEnrollmentTimeDeviceMembershipTarget";
pub const RETRIEVE_MEMBERSHIP_TARGET: &str = "retrieveEnrollmentTimeDeviceMembershipTarget";
pub const CLEAR_MEMBERSHIP_TARGET: &str = "clearEnrollmentTimeDeviceMembershipTarget";

const fn action(name: &'static str) -> ItemSegment {
    ItemSegment::Action(BoundAction {
        name,
        beta_only: true,
    })
}

/// The device preparation policies of a tenant (beta).
pub static CONFIGURATION_POLICIES: EntitySet = EntitySet {
    type_name: "microsoft.graph.deviceManagementConfigurationPolicy",
    description: "A settings-catalog policy. Only the two Windows Autopilot device preparation \
                  templates are served: user-driven (80d33118-b7b4-40d8-b15f-81be745e053f_1) \
                  and automatic (a6157a7f-aa00-42d9-ac82-7d2479f545db_1).",
    path: "deviceManagement/configurationPolicies",
    beta_only: true,
    table: "configuration_policies",
    properties: &[
        Property::key(),
        Property::text("name", "name").required(),
        Property::text("description", "description"),
        Property::member("platforms", "platforms", &PLATFORMS)
            .described("The template's, windows10, when a create leaves it out."),
        Property::member("technologies", "technologies", &TECHNOLOGIES)
            .described("The template's, enrollment, when a create leaves it out."),
        Property::new("roleScopeTagIds", "role_scope_tag_ids", Kind::Strings(TEXT)),
        Property::complex("templateReference", &TEMPLATE_REFERENCE),
        Property::new("settingCount", "setting_count", Kind::Int32).read_only(),
        Property::complex("priorityMetaData", &PRIORITY_META_DATA).read_only(),
        Property::text("creationSource", "creation_source").read_only(),
        Property::boolean("isAssigned", "is_assigned")
            .read_only()
            .described("Whether the policy has an assignment."),
        Property::date_time("createdDateTime", "created_date_time").read_only(),
        Property::date_time("lastModifiedDateTime", "last_modified_date_time")
            .read_only()
            .server_value(ServerValue::UpdateTime),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &["enrollment_time_device_group"],
    derived: &[],
    expandable: &[Navigation::PolicySettings, Navigation::PolicyAssignments],
    segments: Segments {
        singleton: false,
        collection_actions: &[],
        below_item: &[
            action("assign"),
            action(SET_MEMBERSHIP_TARGET),
            action(RETRIEVE_MEMBERSHIP_TARGET),
            action(CLEAR_MEMBERSHIP_TARGET),
            ItemSegment::Contained("settings"),
            ItemSegment::Contained("assignments"),
        ],
    },
};

/// The template family, platform and technology of both device preparation templates.
pub const ENROLLMENT_CONFIGURATION_FAMILY: &str = "enrollmentConfiguration";
pub const WINDOWS10: &str = "windows10";
pub const ENROLLMENT: &str = "enrollment";

/// What a setting of a definition holds, and its limits.
#[derive(Debug, PartialEq)]
pub enum InstanceKind {
    /// A choice instance whose value is one of these option ids (and has no children).
    Choice(&'static [&'static str]),
    /// A simple instance of an integer value within the bounds.
    Integer { min: i64, max: i64 },
    /// A simple instance of a string value of at most this many characters.
    Text {
        max_chars: usize,
        values: TextValues,
    },
    /// A simple collection instance of string values, at most this many.
    Collection {
        max_items: usize,
        values: TextValues,
    },
}

/// What a string value of a definition must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextValues {
    Any,
    /// A GUID, or empty (a group not named yet).
    GuidOrEmpty,
    Guid,
    /// `{"id":"<mobileApp GUID>","type":"#microsoft.graph.<app type>"}`, as the admin center
    /// writes an allowed app.
    AppReference,
}

/// A setting definition a template allows.
#[derive(Debug, PartialEq)]
pub struct SettingDefinition {
    pub id: &'static str,
    pub kind: InstanceKind,
}

/// The app types an allowed app may be, as the admin center offers them.
pub const ALLOWED_APP_TYPES: [&str; 5] = [
    "#microsoft.graph.winGetApp",
    "#microsoft.graph.win32LobApp",
    "#microsoft.graph.win32CatalogApp",
    "#microsoft.graph.officeSuiteApp",
    "#microsoft.graph.windowsUniversalAppX",
];

/// The most apps and scripts a policy allows during deployment.
pub const MAX_ALLOWED_APPS: usize = 10;
pub const MAX_ALLOWED_SCRIPTS: usize = 10;

/// A choice setting definition whose two options are its id with `_0` and `_1`, as every choice
/// of the device preparation templates is.
macro_rules! two_options {
    ($id:literal) => {
        SettingDefinition {
            id: $id,
            kind: InstanceKind::Choice(&[concat!($id, "_0"), concat!($id, "_1")]),
        }
    };
}

pub const DEPLOYMENT_MODE: SettingDefinition =
    two_options!("enrollment_autopilot_dpp_deploymentmode");
pub const DEPLOYMENT_TYPE: SettingDefinition =
    two_options!("enrollment_autopilot_dpp_deploymenttype");
pub const JOIN_TYPE: SettingDefinition = two_options!("enrollment_autopilot_dpp_jointype");
/// Intune's own spelling (`accountype`).
pub const ACCOUNT_TYPE: SettingDefinition = two_options!("enrollment_autopilot_dpp_accountype");
pub const TIMEOUT: SettingDefinition = SettingDefinition {
    id: "enrollment_autopilot_dpp_timeout",
    kind: InstanceKind::Integer { min: 15, max: 720 },
};
pub const CUSTOM_ERROR_MESSAGE: SettingDefinition = SettingDefinition {
    id: "enrollment_autopilot_dpp_customerrormessage",
    kind: InstanceKind::Text {
        max_chars: 1000,
        values: TextValues::Any,
    },
};
pub const ALLOW_SKIP: SettingDefinition = two_options!("enrollment_autopilot_dpp_allowskip");
pub const ALLOW_DIAGNOSTICS: SettingDefinition =
    two_options!("enrollment_autopilot_dpp_allowdiagnostics");
/// Written empty by the admin center: the group is set by `setEnrollmentTimeDeviceMembershipTarget`.
pub const DEVICE_SECURITY_GROUP: SettingDefinition = SettingDefinition {
    id: "enrollment_autopilot_dpp_devicesecuritygroupids",
    kind: InstanceKind::Text {
        max_chars: 36,
        values: TextValues::GuidOrEmpty,
    },
};
pub const ALLOWED_APPS: SettingDefinition = SettingDefinition {
    id: "enrollment_autopilot_dpp_allowedappids",
    kind: InstanceKind::Collection {
        max_items: MAX_ALLOWED_APPS,
        values: TextValues::AppReference,
    },
};
pub const ALLOWED_SCRIPTS: SettingDefinition = SettingDefinition {
    id: "enrollment_autopilot_dpp_allowedscriptids",
    kind: InstanceKind::Collection {
        max_items: MAX_ALLOWED_SCRIPTS,
        values: TextValues::Guid,
    },
};

/// A device preparation template: what a policy of it says of itself, and the setting
/// definitions its settings may instantiate (each at most once).
#[derive(Debug, PartialEq)]
pub struct Template {
    pub id: &'static str,
    pub display_name: &'static str,
    pub display_version: &'static str,
    pub definitions: &'static [&'static SettingDefinition],
}

pub static USER_DRIVEN: Template = Template {
    id: "80d33118-b7b4-40d8-b15f-81be745e053f_1",
    display_name: "Device Preparation",
    display_version: "Version 1",
    definitions: &[
        &DEPLOYMENT_MODE,
        &DEPLOYMENT_TYPE,
        &JOIN_TYPE,
        &ACCOUNT_TYPE,
        &TIMEOUT,
        &CUSTOM_ERROR_MESSAGE,
        &ALLOW_SKIP,
        &ALLOW_DIAGNOSTICS,
        &DEVICE_SECURITY_GROUP,
        &ALLOWED_APPS,
        &ALLOWED_SCRIPTS,
    ],
};

pub static AUTOMATIC: Template = Template {
    id: "a6157a7f-aa00-42d9-ac82-7d2479f545db_1",
    display_name: "Device Preparation - Automatic",
    display_version: "Version 1",
    definitions: &[&DEVICE_SECURITY_GROUP, &ALLOWED_APPS, &ALLOWED_SCRIPTS],
};

pub static TEMPLATES: [&Template; 2] = [&USER_DRIVEN, &AUTOMATIC];

/// The emulated template with this id.
pub fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().copied().find(|t| t.id == id)
}

/// The Graph types of a setting and its instances and values.
pub const SETTING_TYPE: &str = "microsoft.graph.deviceManagementConfigurationSetting";
pub const CHOICE_INSTANCE: &str =
    "microsoft.graph.deviceManagementConfigurationChoiceSettingInstance";
pub const SIMPLE_INSTANCE: &str =
    "microsoft.graph.deviceManagementConfigurationSimpleSettingInstance";
pub const COLLECTION_INSTANCE: &str =
    "microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance";
pub const CHOICE_VALUE: &str = "microsoft.graph.deviceManagementConfigurationChoiceSettingValue";
pub const INTEGER_VALUE: &str = "microsoft.graph.deviceManagementConfigurationIntegerSettingValue";
pub const STRING_VALUE: &str = "microsoft.graph.deviceManagementConfigurationStringSettingValue";

/// What is wrong with a policy's settings: the setting definition it concerns (empty when none
/// is named) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingProblem {
    pub definition: String,
    pub message: String,
}

impl SettingProblem {
    fn of(definition: &str, message: impl Into<String>) -> SettingProblem {
        SettingProblem {
            definition: definition.to_owned(),
            message: message.into(),
        }
    }
}

/// An allowed app: a mobileApp id and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedApp {
    pub id: Uuid,
    pub app_type: String,
}

/// A device preparation policy's settings as values: what each setting says, `None` (or empty)
/// when the policy leaves it out. Choices are the option's place among the definition's options
/// (`_0`, `_1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevicePreparationSettings {
    /// 0: standard, 1: enhanced.
    pub deployment_mode: Option<usize>,
    /// 0: user-driven, 1: self-deploying.
    pub deployment_type: Option<usize>,
    /// 0: Microsoft Entra joined, 1: Microsoft Entra hybrid joined.
    pub join_type: Option<usize>,
    /// 0: standard user, 1: administrator.
    pub account_type: Option<usize>,
    pub timeout_minutes: Option<i64>,
    pub error_message: Option<String>,
    pub allow_skip: Option<bool>,
    pub allow_diagnostics: Option<bool>,
    pub allowed_apps: Vec<AllowedApp>,
    pub allowed_scripts: Vec<Uuid>,
}

/// A checked setting value, before it lands in [`DevicePreparationSettings`].
enum Checked {
    Choice(usize),
    Integer(i64),
    Text(String),
    Texts(Vec<String>),
}

impl DevicePreparationSettings {
    fn set(&mut self, definition: &'static SettingDefinition, value: Checked) {
        let id = definition.id;
        match value {
            Checked::Choice(option) => {
                let slot = match id {
                    _ if id == DEPLOYMENT_MODE.id => &mut self.deployment_mode,
                    _ if id == DEPLOYMENT_TYPE.id => &mut self.deployment_type,
                    _ if id == JOIN_TYPE.id => &mut self.join_type,
                    _ if id == ACCOUNT_TYPE.id => &mut self.account_type,
                    _ if id == ALLOW_SKIP.id => {
                        self.allow_skip = Some(option == 1);
                        return;
                    }
                    _ => {
                        self.allow_diagnostics = Some(option == 1);
                        return;
                    }
                };
                *slot = Some(option);
            }
            Checked::Integer(minutes) => self.timeout_minutes = Some(minutes),
            Checked::Text(text) if id == CUSTOM_ERROR_MESSAGE.id => self.error_message = Some(text),
            // The device security group setting: the group is the membership target's.
            Checked::Text(_) => {}
            Checked::Texts(texts) if id == ALLOWED_APPS.id => {
                self.allowed_apps = texts.iter().filter_map(|t| app_reference(t)).collect()
            }
            Checked::Texts(texts) => {
                self.allowed_scripts = texts.iter().filter_map(|t| t.parse().ok()).collect()
            }
        }
    }
}

/// A policy's settings once checked: each setting instance as it is stored and answered (the
/// body's, without annotations the type does not have), and what they say.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedSettings {
    pub instances: Vec<Json>,
    pub values: DevicePreparationSettings,
}

/// Checks a policy's `settings` (the `deviceManagementConfigurationSetting` objects of a body)
/// against `template`: each names a definition the template allows, once, with an instance and a
/// value of the definition's kind within its limits.
pub fn check_settings(
    template: &Template,
    settings: &[Json],
) -> Result<CheckedSettings, SettingProblem> {
    if settings.len() > template.definitions.len() {
        return Err(SettingProblem::of(
            "",
            format!(
                "The template '{}' has {} setting definitions; the policy has {} settings.",
                template.id,
                template.definitions.len(),
                settings.len()
            ),
        ));
    }
    let mut instances = Vec::with_capacity(settings.len());
    for setting in settings {
        let object = setting.as_object().ok_or_else(|| {
            SettingProblem::of(
                "",
                "A setting must be a deviceManagementConfigurationSetting object.",
            )
        })?;
        let mut instance = None;
        for (key, value) in object {
            match key.as_str() {
                "settingInstance" => instance = Some(value),
                "@odata.type" if is_type(value, SETTING_TYPE) => {}
                // The setting's id is the server's; its definitions are read-only.
                "id" | "settingDefinitions" => {}
                key if key.contains('@') => {}
                key => {
                    return Err(SettingProblem::of(
                        "",
                        format!("The property '{key}' does not exist on type '{SETTING_TYPE}'."),
                    ));
                }
            }
        }
        let instance = instance
            .ok_or_else(|| SettingProblem::of("", "A setting needs its 'settingInstance'."))?;
        instances.push(instance.clone());
    }
    check_instances(template, &instances)
}

/// Checks stored or sent setting instances against `template` (see [`check_settings`]).
pub fn check_instances(
    template: &Template,
    instances: &[Json],
) -> Result<CheckedSettings, SettingProblem> {
    let mut values = DevicePreparationSettings::default();
    let mut seen = HashSet::new();
    let mut written = Vec::with_capacity(instances.len());
    for instance in instances {
        let object = instance
            .as_object()
            .ok_or_else(|| SettingProblem::of("", "A 'settingInstance' must be an object."))?;
        let definition_id = object
            .get("settingDefinitionId")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                SettingProblem::of("", "A setting instance needs its 'settingDefinitionId'.")
            })?;
        let definition = template
            .definitions
            .iter()
            .copied()
            .find(|d| d.id == definition_id)
            .ok_or_else(|| {
                SettingProblem::of(
                    definition_id,
                    format!(
                        "The setting definition '{definition_id}' is not one of the template '{}'.",
                        template.id
                    ),
                )
            })?;
        if !seen.insert(definition.id) {
            return Err(SettingProblem::of(
                definition.id,
                format!(
                    "The setting definition '{}' is given more than once.",
                    definition.id
                ),
            ));
        }
        let (checked, stored) = check_instance(definition, object)?;
        values.set(definition, checked);
        written.push(stored);
    }
    Ok(CheckedSettings {
        instances: written,
        values,
    })
}

/// Whether `value` names the Graph type `name` (with or without `#`).
fn is_type(value: &Json, name: &str) -> bool {
    value
        .as_str()
        .is_some_and(|text| text.trim_start_matches('#') == name)
}

/// The instance type a definition's kind needs.
fn instance_type(kind: &InstanceKind) -> &'static str {
    match kind {
        InstanceKind::Choice(_) => CHOICE_INSTANCE,
        InstanceKind::Integer { .. } | InstanceKind::Text { .. } => SIMPLE_INSTANCE,
        InstanceKind::Collection { .. } => COLLECTION_INSTANCE,
    }
}

/// The property of an instance type that holds its value.
fn value_property(kind: &InstanceKind) -> &'static str {
    match kind {
        InstanceKind::Choice(_) => "choiceSettingValue",
        InstanceKind::Integer { .. } | InstanceKind::Text { .. } => "simpleSettingValue",
        InstanceKind::Collection { .. } => "simpleSettingCollectionValue",
    }
}

/// A template reference (`settingInstanceTemplateReference`, `settingValueTemplateReference`):
/// null, or an object of the reference type's `members` (short strings and booleans), stored
/// without annotations (an SDK's `@odata.type` among them) so that what is kept is bounded.
fn template_reference(
    definition: &str,
    name: &str,
    members: &[&str],
    value: Option<&Json>,
) -> Result<Json, SettingProblem> {
    let refused = || {
        SettingProblem::of(
            definition,
            format!(
                "The '{name}' of the setting '{definition}' must be a template reference object \
                 of {}.",
                members.join(", ")
            ),
        )
    };
    let object = match value {
        None | Some(Json::Null) => return Ok(Json::Null),
        Some(Json::Object(object)) => object,
        Some(_) => return Err(refused()),
    };
    let mut kept = Map::new();
    for (key, member) in object {
        if !members.contains(&key.as_str()) {
            if key.contains('@') {
                continue;
            }
            return Err(refused());
        }
        let fits = matches!(member, Json::String(s) if s.chars().count() <= 64)
            || member.is_boolean()
            || member.is_null();
        if !fits {
            return Err(refused());
        }
        kept.insert(key.clone(), member.clone());
    }
    Ok(Json::Object(kept))
}

/// A setting value's `settingValueTemplateReference`, `reference` (see [`template_reference`]).
fn value_reference(definition: &str, reference: Option<&Json>) -> Result<Json, SettingProblem> {
    template_reference(
        definition,
        "settingValueTemplateReference",
        &["settingValueTemplateId", "useTemplateDefault"],
        reference,
    )
}

/// One instance checked against its definition: the value, and the instance as stored.
fn check_instance(
    definition: &'static SettingDefinition,
    object: &Map<String, Json>,
) -> Result<(Checked, Json), SettingProblem> {
    let id = definition.id;
    let wanted = instance_type(&definition.kind);
    if !object
        .get("@odata.type")
        .is_some_and(|t| is_type(t, wanted))
    {
        return Err(SettingProblem::of(
            id,
            format!("The setting '{id}' is a '#{wanted}', which its '@odata.type' must name."),
        ));
    }
    let value_name = value_property(&definition.kind);
    for key in object.keys() {
        if ![
            "settingDefinitionId",
            "settingInstanceTemplateReference",
            value_name,
        ]
        .contains(&key.as_str())
            && !key.contains('@')
        {
            return Err(SettingProblem::of(
                id,
                format!("The property '{key}' does not exist on the '#{wanted}' of '{id}'."),
            ));
        }
    }
    let instance_reference = template_reference(
        id,
        "settingInstanceTemplateReference",
        &["settingInstanceTemplateId"],
        object.get("settingInstanceTemplateReference"),
    )?;
    let value = object.get(value_name).ok_or_else(|| {
        SettingProblem::of(id, format!("The setting '{id}' needs its '{value_name}'."))
    })?;
    let (checked, stored_value) = match &definition.kind {
        InstanceKind::Choice(options) => {
            let value = value_object(
                id,
                value,
                CHOICE_VALUE,
                &["value", "children", "settingValueTemplateReference"],
            )?;
            if let Some(children) = value.get("children")
                && !matches!(children, Json::Array(list) if list.is_empty())
                && !children.is_null()
            {
                return Err(SettingProblem::of(
                    id,
                    format!(
                        "The choices of '{id}' have no child settings; 'children' must be empty."
                    ),
                ));
            }
            let chosen = value
                .get("value")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let option = options.iter().position(|o| *o == chosen).ok_or_else(|| {
                SettingProblem::of(
                    id,
                    format!(
                        "'{chosen}' is not an option of '{id}'; its options are {}.",
                        options.join(", ")
                    ),
                )
            })?;
            let reference = value_reference(id, value.get("settingValueTemplateReference"))?;
            (
                Checked::Choice(option),
                json!({
                    "@odata.type": format!("#{CHOICE_VALUE}"),
                    "value": chosen,
                    "children": [],
                    "settingValueTemplateReference": reference,
                }),
            )
        }
        InstanceKind::Integer { min, max } => {
            let value = value_object(
                id,
                value,
                INTEGER_VALUE,
                &["value", "settingValueTemplateReference"],
            )?;
            let number = value
                .get("value")
                .and_then(Json::as_i64)
                .filter(|n| (*min..=*max).contains(n))
                .ok_or_else(|| {
                    SettingProblem::of(
                        id,
                        format!("The value of '{id}' must be an integer from {min} to {max}."),
                    )
                })?;
            let reference = value_reference(id, value.get("settingValueTemplateReference"))?;
            (
                Checked::Integer(number),
                json!({
                    "@odata.type": format!("#{INTEGER_VALUE}"),
                    "value": number,
                    "settingValueTemplateReference": reference,
                }),
            )
        }
        InstanceKind::Text { max_chars, values } => {
            let text = string_value(id, value, *max_chars, *values)?;
            let reference = value_reference(id, value.get("settingValueTemplateReference"))?;
            (
                Checked::Text(text.clone()),
                json!({
                    "@odata.type": format!("#{STRING_VALUE}"),
                    "value": text,
                    "settingValueTemplateReference": reference,
                }),
            )
        }
        InstanceKind::Collection { max_items, values } => {
            let list = value.as_array().ok_or_else(|| {
                SettingProblem::of(
                    id,
                    format!("The '{value_name}' of '{id}' must be an array."),
                )
            })?;
            if list.len() > *max_items {
                return Err(SettingProblem::of(
                    id,
                    format!(
                        "'{id}' takes at most {max_items} values, not {}.",
                        list.len()
                    ),
                ));
            }
            let mut texts = Vec::with_capacity(list.len());
            let mut stored = Vec::with_capacity(list.len());
            for item in list {
                let text = string_value(id, item, 1024, *values)?;
                if texts.contains(&text) {
                    return Err(SettingProblem::of(
                        id,
                        format!("'{id}' has the value '{text}' twice."),
                    ));
                }
                let reference = value_reference(id, item.get("settingValueTemplateReference"))?;
                stored.push(json!({
                    "@odata.type": format!("#{STRING_VALUE}"),
                    "value": text,
                    "settingValueTemplateReference": reference,
                }));
                texts.push(text);
            }
            (Checked::Texts(texts), Json::Array(stored))
        }
    };
    let stored = json!({
        "@odata.type": format!("#{wanted}"),
        "settingDefinitionId": id,
        "settingInstanceTemplateReference": instance_reference,
        value_name: stored_value,
    });
    Ok((checked, stored))
}

/// A setting value object of the type `wanted`, with no members but `members` and annotations.
fn value_object<'a>(
    id: &str,
    value: &'a Json,
    wanted: &str,
    members: &[&str],
) -> Result<&'a Map<String, Json>, SettingProblem> {
    let object = value
        .as_object()
        .filter(|o| o.get("@odata.type").is_none_or(|t| is_type(t, wanted)))
        .ok_or_else(|| {
            SettingProblem::of(id, format!("The value of '{id}' must be a '#{wanted}'."))
        })?;
    if let Some(key) = object
        .keys()
        .find(|key| !members.contains(&key.as_str()) && !key.contains('@'))
    {
        return Err(SettingProblem::of(
            id,
            format!("The property '{key}' does not exist on the '#{wanted}' of '{id}'."),
        ));
    }
    Ok(object)
}

/// A string setting value of `id`: its text, checked for length and form.
fn string_value(
    id: &str,
    value: &Json,
    max_chars: usize,
    values: TextValues,
) -> Result<String, SettingProblem> {
    let object = value_object(
        id,
        value,
        STRING_VALUE,
        &["value", "settingValueTemplateReference"],
    )?;
    let text = object
        .get("value")
        .and_then(Json::as_str)
        .ok_or_else(|| SettingProblem::of(id, format!("The value of '{id}' must be a string.")))?;
    if text.chars().count() > max_chars || text.contains('\0') {
        return Err(SettingProblem::of(
            id,
            format!("The value of '{id}' is longer than {max_chars} characters or holds U+0000."),
        ));
    }
    let fits = match values {
        TextValues::Any => true,
        TextValues::GuidOrEmpty => text.is_empty() || Uuid::parse_str(text).is_ok(),
        TextValues::Guid => Uuid::parse_str(text).is_ok(),
        TextValues::AppReference => app_reference(text).is_some(),
    };
    if !fits {
        let form = match values {
            TextValues::Any => "",
            TextValues::GuidOrEmpty => "a group id (a GUID) or empty",
            TextValues::Guid => "a GUID",
            TextValues::AppReference => {
                "{\"id\":\"<mobileApp id>\",\"type\":\"#microsoft.graph.<app type>\"} with a Windows app type"
            }
        };
        return Err(SettingProblem::of(
            id,
            format!("The value '{text}' of '{id}' must be {form}."),
        ));
    }
    Ok(text.to_owned())
}

/// An allowed app's reference, if `text` is one.
fn app_reference(text: &str) -> Option<AllowedApp> {
    let reference: Map<String, Json> = serde_json::from_str(text).ok()?;
    let id = Uuid::parse_str(reference.get("id")?.as_str()?).ok()?;
    let app_type = reference.get("type")?.as_str()?;
    (reference.len() == 2 && ALLOWED_APP_TYPES.contains(&app_type)).then(|| AllowedApp {
        id,
        app_type: app_type.to_owned(),
    })
}

/// What a group offered as an enrollment-time device membership target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetGroup {
    pub security_enabled: bool,
    pub dynamic: bool,
    /// Whether the Intune Provisioning Client's service principal owns it: Intune adds devices
    /// to the group as that first-party application.
    pub owned_by_provisioning_client: bool,
}

/// Why a group cannot be the enrollment-time device group: Graph's
/// `enrollmentTimeDeviceMembershipTargetValidationErrorCode` members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipTargetProblem {
    SecurityGroupNotFound,
    NotSecurityGroup,
    NotStaticSecurityGroup,
    FirstPartyAppNotAnOwner,
}

impl MembershipTargetProblem {
    pub fn code(self) -> &'static str {
        match self {
            MembershipTargetProblem::SecurityGroupNotFound => "securityGroupNotFound",
            MembershipTargetProblem::NotSecurityGroup => "notSecurityGroup",
            MembershipTargetProblem::NotStaticSecurityGroup => "notStaticSecurityGroup",
            MembershipTargetProblem::FirstPartyAppNotAnOwner => "firstPartyAppNotAnOwner",
        }
    }
}

/// The one place that decides whether a group may be a policy's enrollment-time device group: a
/// group of the tenant (`None`: there is none with the id), security-enabled, whose members are
/// added (not decided by a rule), owned by the Intune Provisioning Client.
pub fn check_membership_target(group: Option<TargetGroup>) -> Result<(), MembershipTargetProblem> {
    let group = group.ok_or(MembershipTargetProblem::SecurityGroupNotFound)?;
    if !group.security_enabled {
        return Err(MembershipTargetProblem::NotSecurityGroup);
    }
    if group.dynamic {
        return Err(MembershipTargetProblem::NotStaticSecurityGroup);
    }
    if !group.owned_by_provisioning_client {
        return Err(MembershipTargetProblem::FirstPartyAppNotAnOwner);
    }
    Ok(())
}

/// A device preparation policy as choosing among them needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankedPolicy {
    pub id: Uuid,
    pub priority: i32,
}

/// The policy that applies to a user in `groups`: of the policies assigned to one of the groups
/// (or to all licensed users) and excluded from none of them, the one first in priority order
/// (the lowest `priorityMetaData.priority`, the older id on a tie).
pub fn applicable_policy(
    policies: &[RankedPolicy],
    assignments: &[EnrollmentAssignment],
    groups: &HashSet<Uuid>,
) -> Option<Uuid> {
    let targets = |policy: Uuid| {
        assignments
            .iter()
            .filter(move |a| a.configuration == policy)
    };
    let included = |policy: Uuid| {
        targets(policy).any(|a| match a.target {
            EnrollmentTarget::Group(group) => groups.contains(&group),
            EnrollmentTarget::AllLicensedUsers => true,
            EnrollmentTarget::AllDevices | EnrollmentTarget::ExclusionGroup(_) => false,
        })
    };
    let excluded = |policy: Uuid| {
        targets(policy).any(
            |a| matches!(a.target, EnrollmentTarget::ExclusionGroup(group) if groups.contains(&group)),
        )
    };
    policies
        .iter()
        .filter(|p| included(p.id) && !excluded(p.id))
        .min_by_key(|p| (p.priority, p.id))
        .map(|p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enrollment_configuration::TargetFilter;

    fn choice(definition: &str, value: &str) -> Json {
        json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
            "settingInstance": {
                "@odata.type": format!("#{CHOICE_INSTANCE}"),
                "settingDefinitionId": definition,
                "settingInstanceTemplateReference": {"settingInstanceTemplateId": "5180aeab-886e-4589-97d4-40855c646315"},
                "choiceSettingValue": {"@odata.type": format!("#{CHOICE_VALUE}"), "value": value, "children": []}}})
    }

    fn simple(definition: &str, value_type: &str, value: Json) -> Json {
        json!({"settingInstance": {
            "@odata.type": format!("#{SIMPLE_INSTANCE}"),
            "settingDefinitionId": definition,
            "simpleSettingValue": {"@odata.type": format!("#{value_type}"), "value": value}}})
    }

    fn collection(definition: &str, values: &[String]) -> Json {
        let values: Vec<Json> = values
            .iter()
            .map(|v| json!({"@odata.type": format!("#{STRING_VALUE}"), "@odata.": "x", "value": v}))
            .collect();
        json!({"settingInstance": {
            "@odata.type": format!("#{COLLECTION_INSTANCE}"),
            "settingDefinitionId": definition,
            "simpleSettingCollectionValue": values}})
    }

    fn app(n: u128) -> String {
        format!(
            r##"{{"id":"{}","type":"#microsoft.graph.win32LobApp"}}"##,
            Uuid::from_u128(n)
        )
    }

    #[test]
    fn a_full_user_driven_policy_reads_as_typed_values() {
        let settings = [
            choice(
                "enrollment_autopilot_dpp_deploymentmode",
                "enrollment_autopilot_dpp_deploymentmode_0",
            ),
            choice(
                "enrollment_autopilot_dpp_jointype",
                "enrollment_autopilot_dpp_jointype_1",
            ),
            choice(
                "enrollment_autopilot_dpp_accountype",
                "enrollment_autopilot_dpp_accountype_0",
            ),
            choice(
                "enrollment_autopilot_dpp_allowskip",
                "enrollment_autopilot_dpp_allowskip_1",
            ),
            simple("enrollment_autopilot_dpp_timeout", INTEGER_VALUE, json!(60)),
            simple(
                "enrollment_autopilot_dpp_customerrormessage",
                STRING_VALUE,
                json!("Call IT"),
            ),
            simple(
                "enrollment_autopilot_dpp_devicesecuritygroupids",
                STRING_VALUE,
                json!(""),
            ),
            collection("enrollment_autopilot_dpp_allowedappids", &[app(1), app(2)]),
            collection(
                "enrollment_autopilot_dpp_allowedscriptids",
                &[Uuid::from_u128(3).to_string()],
            ),
        ];
        let checked = check_settings(&USER_DRIVEN, &settings).unwrap();
        assert_eq!(checked.instances.len(), settings.len());
        let values = checked.values;
        assert_eq!(values.deployment_mode, Some(0));
        assert_eq!(values.join_type, Some(1));
        assert_eq!(values.account_type, Some(0));
        assert_eq!(values.allow_skip, Some(true));
        assert_eq!(values.allow_diagnostics, None);
        assert_eq!(values.timeout_minutes, Some(60));
        assert_eq!(values.error_message.as_deref(), Some("Call IT"));
        assert_eq!(values.allowed_apps.len(), 2);
        assert_eq!(values.allowed_apps[0].id, Uuid::from_u128(1));
        assert_eq!(values.allowed_scripts, vec![Uuid::from_u128(3)]);
        // The stored instances read back to the same values, and drop what the type lacks.
        let again = check_instances(&USER_DRIVEN, &checked.instances).unwrap();
        assert_eq!(again.values, values);
        assert!(!checked.instances[7].to_string().contains("\"@odata.\""));
    }

    #[test]
    fn every_refusal_names_the_setting_definition() {
        let too_many_apps: Vec<String> = (0..11).map(app).collect();
        let cases = [
            (
                vec![choice("enrollment_autopilot_dpp_unknown", "x")],
                "enrollment_autopilot_dpp_unknown",
            ),
            (
                vec![simple(
                    "enrollment_autopilot_dpp_timeout",
                    INTEGER_VALUE,
                    json!(721),
                )],
                "enrollment_autopilot_dpp_timeout",
            ),
            (
                vec![simple(
                    "enrollment_autopilot_dpp_timeout",
                    STRING_VALUE,
                    json!("60"),
                )],
                "enrollment_autopilot_dpp_timeout",
            ),
            (
                vec![choice("enrollment_autopilot_dpp_timeout", "60")],
                "enrollment_autopilot_dpp_timeout",
            ),
            (
                vec![choice(
                    "enrollment_autopilot_dpp_jointype",
                    "enrollment_autopilot_dpp_jointype_2",
                )],
                "enrollment_autopilot_dpp_jointype",
            ),
            (
                vec![collection(
                    "enrollment_autopilot_dpp_allowedappids",
                    &too_many_apps,
                )],
                "enrollment_autopilot_dpp_allowedappids",
            ),
            (
                vec![collection(
                    "enrollment_autopilot_dpp_allowedappids",
                    &["not json".to_owned()],
                )],
                "enrollment_autopilot_dpp_allowedappids",
            ),
            (
                vec![collection(
                    "enrollment_autopilot_dpp_allowedscriptids",
                    &["x".to_owned()],
                )],
                "enrollment_autopilot_dpp_allowedscriptids",
            ),
            (
                vec![
                    choice(
                        "enrollment_autopilot_dpp_allowskip",
                        "enrollment_autopilot_dpp_allowskip_0",
                    ),
                    choice(
                        "enrollment_autopilot_dpp_allowskip",
                        "enrollment_autopilot_dpp_allowskip_1",
                    ),
                ],
                "enrollment_autopilot_dpp_allowskip",
            ),
            (
                vec![simple(
                    "enrollment_autopilot_dpp_customerrormessage",
                    STRING_VALUE,
                    json!("x".repeat(1001)),
                )],
                "enrollment_autopilot_dpp_customerrormessage",
            ),
        ];
        for (settings, definition) in cases {
            let problem = check_settings(&USER_DRIVEN, &settings).unwrap_err();
            assert_eq!(problem.definition, definition, "{problem:?}");
            assert!(problem.message.contains(definition), "{problem:?}");
        }
        // A definition of the other template.
        let problem = check_settings(
            &AUTOMATIC,
            &[choice(
                "enrollment_autopilot_dpp_allowskip",
                "enrollment_autopilot_dpp_allowskip_0",
            )],
        )
        .unwrap_err();
        assert_eq!(problem.definition, "enrollment_autopilot_dpp_allowskip");
        // Choices have no children.
        let mut nested = choice(
            "enrollment_autopilot_dpp_allowskip",
            "enrollment_autopilot_dpp_allowskip_0",
        );
        nested["settingInstance"]["choiceSettingValue"]["children"] =
            json!([nested["settingInstance"].clone()]);
        assert!(check_settings(&USER_DRIVEN, &[nested]).is_err());
    }

    #[test]
    fn a_membership_target_is_a_static_security_group_the_provisioning_client_owns() {
        let group = |security_enabled, dynamic| {
            Some(TargetGroup {
                security_enabled,
                dynamic,
                owned_by_provisioning_client: true,
            })
        };
        assert_eq!(check_membership_target(group(true, false)), Ok(()));
        assert_eq!(
            check_membership_target(None),
            Err(MembershipTargetProblem::SecurityGroupNotFound)
        );
        assert_eq!(
            check_membership_target(group(false, false)),
            Err(MembershipTargetProblem::NotSecurityGroup)
        );
        assert_eq!(
            check_membership_target(group(true, true)),
            Err(MembershipTargetProblem::NotStaticSecurityGroup)
        );
        let unowned = TargetGroup {
            owned_by_provisioning_client: false,
            ..group(true, false).unwrap()
        };
        assert_eq!(
            check_membership_target(Some(unowned)),
            Err(MembershipTargetProblem::FirstPartyAppNotAnOwner)
        );
    }

    #[test]
    fn the_first_policy_in_priority_order_of_the_users_groups_applies_and_exclusions_win() {
        let id = Uuid::from_u128;
        let assigned = |policy: u128, target| EnrollmentAssignment {
            id: String::new(),
            configuration: id(policy),
            target,
            filter: TargetFilter {
                id: None,
                filter_type: "none".to_owned(),
            },
            source: "direct".to_owned(),
            source_id: None,
        };
        let (sales, lab, blocked) = (id(10), id(11), id(12));
        let policies = [
            RankedPolicy {
                id: id(1),
                priority: 2,
            },
            RankedPolicy {
                id: id(2),
                priority: 1,
            },
            RankedPolicy {
                id: id(3),
                priority: 3,
            },
        ];
        let assignments = [
            assigned(1, EnrollmentTarget::Group(sales)),
            assigned(2, EnrollmentTarget::Group(lab)),
            assigned(2, EnrollmentTarget::ExclusionGroup(blocked)),
            assigned(3, EnrollmentTarget::AllDevices),
        ];
        let groups = |of: &[Uuid]| of.iter().copied().collect::<HashSet<_>>();
        assert_eq!(
            applicable_policy(&policies, &assignments, &groups(&[sales])),
            Some(id(1))
        );
        assert_eq!(
            applicable_policy(&policies, &assignments, &groups(&[sales, lab])),
            Some(id(2))
        );
        assert_eq!(
            applicable_policy(&policies, &assignments, &groups(&[sales, lab, blocked])),
            Some(id(1))
        );
        // All devices is no user's target.
        assert_eq!(
            applicable_policy(&policies, &assignments, &groups(&[])),
            None
        );
        let everyone = [assigned(3, EnrollmentTarget::AllLicensedUsers)];
        assert_eq!(
            applicable_policy(&policies, &everyone, &groups(&[])),
            Some(id(3))
        );
    }

    #[test]
    fn only_the_two_device_preparation_templates_are_emulated() {
        assert!(template(USER_DRIVEN.id).is_some() && template(AUTOMATIC.id).is_some());
        assert!(template("d1174162-1dd2-4976-affc-6667049ab0ae_1").is_none());
        // Each template names each definition once.
        for template in TEMPLATES {
            let ids: HashSet<_> = template.definitions.iter().map(|d| d.id).collect();
            assert_eq!(ids.len(), template.definitions.len());
        }
    }
}
