//! The slice of Entra ID that profile assignment needs (workflows spec section 4): a directory
//! `device` for every device identity, and groups of devices, static or with a membership rule;
//! the users added to static groups, and the owners of groups (users and service principals).

use std::collections::HashMap;

use super::entity::{
    ComplexType, Entity, EntitySet, EnumType, ItemSegment, Kind, Navigation, Property,
    PropertyValue, Segments, ServerValue, TEXT, TextLimits, Value,
};
use uuid::Uuid;

use super::membership::{MembershipRule, PhysicalIds, RuleError};
use super::principals::{SERVICE_PRINCIPALS, USERS};
use super::query::{CompareOp, Filter};

/// A physical id is a kind (`[PurchaseOrderId]:`, the longest) before an identity's property, which
/// may be as long as any string.
const PHYSICAL_ID: TextLimits = TextLimits {
    min_chars: 0,
    max_chars: TEXT.max_chars + "[PurchaseOrderId]:".len() as u64,
};

/// The members of a device's `extensionAttributes` (`onPremisesExtensionAttributes`), which
/// offboarding scripts write; beta's `device` has them, v1.0's does not.
static EXTENSION_ATTRIBUTES: ComplexType = ComplexType {
    name: "microsoft.graph.onPremisesExtensionAttributes",
    properties: &[
        Property::text("extensionAttribute1", "extension_attribute_1"),
        Property::text("extensionAttribute2", "extension_attribute_2"),
        Property::text("extensionAttribute3", "extension_attribute_3"),
        Property::text("extensionAttribute4", "extension_attribute_4"),
        Property::text("extensionAttribute5", "extension_attribute_5"),
        Property::text("extensionAttribute6", "extension_attribute_6"),
        Property::text("extensionAttribute7", "extension_attribute_7"),
        Property::text("extensionAttribute8", "extension_attribute_8"),
        Property::text("extensionAttribute9", "extension_attribute_9"),
        Property::text("extensionAttribute10", "extension_attribute_10"),
        Property::text("extensionAttribute11", "extension_attribute_11"),
        Property::text("extensionAttribute12", "extension_attribute_12"),
        Property::text("extensionAttribute13", "extension_attribute_13"),
        Property::text("extensionAttribute14", "extension_attribute_14"),
        Property::text("extensionAttribute15", "extension_attribute_15"),
    ],
};

/// The directory devices: the one every device identity's registration creates (the store creates
/// it with the identity and keeps its `physicalIds` in step with the identity's group tag and
/// purchase order), and those an app creates. A membership rule names `physicalIds`
/// `devicePhysicalIds`.
pub static DIRECTORY_DEVICES: EntitySet = EntitySet {
    type_name: "microsoft.graph.device",
    description: "An Entra ID device object: the one a Windows Autopilot device identity's \
                  registration created, or one an app created.",
    path: "devices",
    beta_only: false,
    table: "directory_devices",
    properties: &[
        Property::key(),
        Property::new("accountEnabled", "account_enabled", Kind::Boolean).required(),
        Property::date_time(
            "approximateLastSignInDateTime",
            "approximate_last_sign_in_date_time",
        )
        .read_only(),
        Property::text("deviceId", "device_id").required(),
        Property::text("deviceOwnership", "device_ownership"),
        Property::text("displayName", "display_name").required(),
        Property::text("enrollmentType", "enrollment_type").read_only(),
        Property::boolean("isCompliant", "is_compliant"),
        Property::boolean("isManaged", "is_managed"),
        Property::text("manufacturer", "manufacturer"),
        Property::text("model", "model"),
        Property::text("operatingSystem", "operating_system").required(),
        Property::text("operatingSystemVersion", "operating_system_version"),
        Property::new(
            PHYSICAL_IDS_PROPERTY,
            "device_physical_ids",
            Kind::Strings(PHYSICAL_ID),
        ),
        Property::text("profileType", "profile_type"),
        Property::date_time("registrationDateTime", "registration_date_time").read_only(),
        Property::text("trustType", "trust_type"),
        Property::complex("extensionAttributes", &EXTENSION_ATTRIBUTES).beta(),
    ],
    aliases: &[],
    unique: None,
    // The identity a directory device belongs to.
    internal_columns: &["device_identity_id"],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: false,
        collection_actions: &["getByIds"],
        below_item: &[
            ItemSegment::Related("memberOf", &GROUPS),
            ItemSegment::Related("transitiveMemberOf", &GROUPS),
        ],
    },
};

/// The wire name of a device's physical ids (`devicePhysicalIds` is only a membership rule's name
/// for them).
pub const PHYSICAL_IDS_PROPERTY: &str = "physicalIds";

/// Who may see a group and its members. Graph's values are PascalCase strings, not an enum type.
static GROUP_VISIBILITY: EnumType = EnumType {
    name: "microsoft.graph.groupVisibility",
    members: &["Private", "Public", "HiddenMembership"],
    beta_members: &[],
};

/// How far Entra ID has got with a dynamic group's rule (beta): here a rule is evaluated as its
/// members are read, so a dynamic group's status is `Succeeded` as of its last change; a group
/// without a rule has none.
static MEMBERSHIP_RULE_PROCESSING_STATUS: ComplexType = ComplexType {
    name: "microsoft.graph.membershipRuleProcessingStatus",
    properties: &[
        Property::text("status", "membership_rule_processing_status").read_only(),
        Property::date_time("lastMembershipUpdated", "last_membership_updated")
            .read_only()
            .server_value(ServerValue::UpdateTime),
        Property::text("errorMessage", "membership_rule_processing_error").read_only(),
    ],
};

/// The groups of a tenant. `groupTypes` holds `DynamicMembership` for a group whose members its
/// `membershipRule` decides; other groups have the members added to them.
pub static GROUPS: EntitySet = EntitySet {
    type_name: "microsoft.graph.group",
    description: "An Entra ID security group of devices, with members added to it or decided by a \
                  dynamic membership rule.",
    path: "groups",
    beta_only: false,
    table: "directory_groups",
    properties: &[
        Property::key(),
        Property::new("createdDateTime", "created_date_time", Kind::DateTime).read_only(),
        Property::text("description", "description"),
        Property::text("displayName", "display_name").required(),
        Property::new("groupTypes", "group_types", Kind::Strings(TEXT)),
        Property::new("mailEnabled", "mail_enabled", Kind::Boolean).required(),
        Property::text("mailNickname", "mail_nickname").required(),
        Property::text("membershipRule", "membership_rule"),
        Property::text(
            "membershipRuleProcessingState",
            "membership_rule_processing_state",
        ),
        Property::new("securityEnabled", "security_enabled", Kind::Boolean).required(),
        // A security group has no mailbox: Graph answers null.
        Property::text("mail", "mail").read_only(),
        Property::new("proxyAddresses", "proxy_addresses", Kind::Strings(TEXT)).read_only(),
        Property::date_time("renewedDateTime", "renewed_date_time").read_only(),
        // Null until set, as on a security group Graph created.
        Property {
            nullable: true,
            ..Property::member("visibility", "visibility", &GROUP_VISIBILITY)
        },
        Property::complex(
            "membershipRuleProcessingStatus",
            &MEMBERSHIP_RULE_PROCESSING_STATUS,
        )
        .read_only()
        .beta(),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[],
    expandable: &[Navigation::GroupMembers],
    segments: Segments {
        singleton: false,
        collection_actions: &["getByIds"],
        below_item: &[
            ItemSegment::References("members"),
            ItemSegment::References("owners"),
            ItemSegment::Related("transitiveMembers", &DIRECTORY_DEVICES),
            ItemSegment::Related("memberOf", &GROUPS),
            ItemSegment::Related("transitiveMemberOf", &GROUPS),
        ],
    },
};

/// A table that ties groups to directory objects of one kind: the members added to them, or their
/// owners.
#[derive(Debug)]
pub struct GroupLink {
    pub table: &'static str,
    /// The column that names the object.
    pub object_column: &'static str,
    /// The set of the objects it ties to groups.
    pub objects: &'static EntitySet,
}

impl PartialEq for GroupLink {
    fn eq(&self, other: &GroupLink) -> bool {
        self.table == other.table
    }
}

/// Directory devices added to groups without a rule.
pub static DEVICE_MEMBERS: GroupLink = GroupLink {
    table: "directory_group_members",
    object_column: "device_object_id",
    objects: &DIRECTORY_DEVICES,
};

/// Users added to groups without a rule.
pub static USER_MEMBERS: GroupLink = GroupLink {
    table: "directory_group_user_members",
    object_column: "user_id",
    objects: &USERS,
};

/// Users who own groups.
pub static USER_OWNERS: GroupLink = GroupLink {
    table: "directory_group_user_owners",
    object_column: "user_id",
    objects: &USERS,
};

/// Service principals that own groups.
pub static SERVICE_PRINCIPAL_OWNERS: GroupLink = GroupLink {
    table: "directory_group_service_principal_owners",
    object_column: "service_principal_id",
    objects: &SERVICE_PRINCIPALS,
};

/// The links of a group's owners, one per kind of owner.
pub const OWNER_LINKS: [&GroupLink; 2] = [&USER_OWNERS, &SERVICE_PRINCIPAL_OWNERS];

/// The kinds of directory object a tenant holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Device,
    Group,
    User,
    ServicePrincipal,
}

impl ObjectKind {
    /// The entity set of the objects of this kind.
    pub fn set(self) -> &'static EntitySet {
        match self {
            ObjectKind::Device => &DIRECTORY_DEVICES,
            ObjectKind::Group => &GROUPS,
            ObjectKind::User => &USERS,
            ObjectKind::ServicePrincipal => &SERVICE_PRINCIPALS,
        }
    }

    /// The link that adds an object of this kind to a group as a member: devices and users (groups
    /// hold no groups here, and service principals only own them).
    pub fn member_link(self) -> Option<&'static GroupLink> {
        match self {
            ObjectKind::Device => Some(&DEVICE_MEMBERS),
            ObjectKind::User => Some(&USER_MEMBERS),
            ObjectKind::Group | ObjectKind::ServicePrincipal => None,
        }
    }

    /// The link that makes an object of this kind a group's owner: users and service principals.
    pub fn owner_link(self) -> Option<&'static GroupLink> {
        match self {
            ObjectKind::User => Some(&USER_OWNERS),
            ObjectKind::ServicePrincipal => Some(&SERVICE_PRINCIPAL_OWNERS),
            ObjectKind::Device | ObjectKind::Group => None,
        }
    }
}

/// The most members and owners a group's create may bind (`members@odata.bind` and
/// `owners@odata.bind` together), as on Graph.
pub const MAX_BINDS_ON_CREATE: usize = 20;

/// The most members `$expand=members` inlines in a group, as on Graph.
pub const EXPANDED_MEMBERS: u32 = 20;

/// The `groupTypes` member of a group whose rule decides its members.
pub const DYNAMIC_MEMBERSHIP: &str = "DynamicMembership";

/// How a group's members are decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// Members are added to it.
    Assigned,
    Dynamic(MembershipRule),
}

/// Dynamic groups arranged for finding those that take a device: a rule that is one `-eq`
/// condition (the usual `[OrderID]:tag`) is found by a lookup per physical id, so checking a device
/// against hundreds of such groups costs a few lookups rather than a test per group.
#[derive(Debug, Default)]
pub struct DynamicGroups {
    by_value: HashMap<String, Vec<Uuid>>,
    other_rules: Vec<(Uuid, MembershipRule)>,
}

impl DynamicGroups {
    /// The dynamic ones of these groups (added members are not a rule's business).
    pub fn new(groups: impl IntoIterator<Item = (Uuid, Membership)>) -> DynamicGroups {
        let mut dynamic = DynamicGroups::default();
        for (group, membership) in groups {
            let Membership::Dynamic(rule) = membership else {
                continue;
            };
            match rule.single_value() {
                Some(value) => dynamic
                    .by_value
                    .entry(value.to_owned())
                    .or_default()
                    .push(group),
                None => dynamic.other_rules.push((group, rule)),
            }
        }
        dynamic
    }

    /// The groups whose rule takes a device with these physical ids.
    pub fn taking<'a>(&'a self, physical_ids: &'a PhysicalIds) -> impl Iterator<Item = Uuid> + 'a {
        let by_value = physical_ids
            .iter()
            .filter_map(|id| self.by_value.get(id))
            .flatten()
            .copied();
        let by_rule = self
            .other_rules
            .iter()
            .filter(|(_, rule)| rule.matches(physical_ids))
            .map(|(group, _)| *group);
        by_value.chain(by_rule)
    }
}

/// Why a group's membership settings do not fit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipProblem {
    /// A dynamic group without a rule.
    RuleMissing,
    /// A rule on a group that is not dynamic.
    RuleWithoutDynamicMembership,
    Rule(RuleError),
}

fn group_property(name: &str) -> &'static Property {
    GROUPS.property(name).expect("a property of groups")
}

impl Membership {
    /// The members of the group with this id, as a filter on directory devices.
    pub fn members(&self, group: Uuid) -> Filter {
        match self {
            Membership::Assigned => Filter::Linked(&DEVICE_MEMBERS, group),
            Membership::Dynamic(rule) => rule.to_filter(
                DIRECTORY_DEVICES
                    .property(PHYSICAL_IDS_PROPERTY)
                    .expect("directory devices have physical ids"),
            ),
        }
    }

    /// The users among the members of the group with this id, as a filter on users: those added to
    /// it. None for a dynamic group: a rule takes devices only, so it holds no user.
    pub fn user_members(&self, group: Uuid) -> Option<Filter> {
        match self {
            Membership::Assigned => Some(Filter::Linked(&USER_MEMBERS, group)),
            Membership::Dynamic(_) => None,
        }
    }

    /// The membership a group has with `changes` applied to `current` (its stored values, if any).
    pub fn of_group(
        changes: &[PropertyValue],
        current: Option<&Entity>,
    ) -> Result<Membership, MembershipProblem> {
        let value = |name: &str| -> Option<Value> {
            let property = group_property(name);
            match changes.iter().find(|c| std::ptr::eq(c.property, property)) {
                Some(change) => Some(change.value.clone()),
                None => current.map(|group| group.get(property).clone()),
            }
        };
        let group_types = match value("groupTypes") {
            Some(Value::Texts(types)) => types,
            _ => Vec::new(),
        };
        let rule = match value("membershipRule") {
            Some(Value::Text(rule)) => Some(rule),
            _ => None,
        };
        Membership::of(&group_types, rule.as_deref())
    }

    /// The values a new group with this membership is stored with: Entra ID processes a new
    /// dynamic group's rule unless told otherwise (`membershipRuleProcessingState` `On`), and its
    /// processing status.
    pub fn complete_new_group(&self, values: &mut Vec<PropertyValue>) {
        let state = group_property("membershipRuleProcessingState");
        if matches!(self, Membership::Dynamic(_))
            && !values.iter().any(|v| std::ptr::eq(v.property, state))
        {
            values.push(PropertyValue {
                property: state,
                value: Value::Text("On".to_owned()),
            });
        }
        values.push(self.processing_status());
    }

    /// The `membershipRuleProcessingStatus` status of a group with this membership: a rule is
    /// evaluated whenever members are read, so a dynamic group's has `Succeeded`; a group without
    /// a rule has none.
    pub fn processing_status(&self) -> PropertyValue {
        PropertyValue {
            property: GROUPS
                .property_at("membershipRuleProcessingStatus/status")
                .expect("groups have a processing status"),
            value: match self {
                Membership::Dynamic(_) => Value::Text("Succeeded".to_owned()),
                Membership::Assigned => Value::Null,
            },
        }
    }

    /// The membership of a group with these `groupTypes` and `membershipRule`.
    pub fn of(group_types: &[String], rule: Option<&str>) -> Result<Membership, MembershipProblem> {
        let dynamic = group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(DYNAMIC_MEMBERSHIP));
        match (dynamic, rule) {
            (true, Some(rule)) => MembershipRule::parse(rule)
                .map(Membership::Dynamic)
                .map_err(MembershipProblem::Rule),
            (true, None) => Err(MembershipProblem::RuleMissing),
            (false, Some(_)) => Err(MembershipProblem::RuleWithoutDynamicMembership),
            (false, None) => Ok(Membership::Assigned),
        }
    }
}

/// A group as stored, for working out a device's memberships: its id, `groupTypes` and rule.
pub type StoredGroup = (Uuid, Vec<String>, Option<String>);

/// The groups a directory device with `physical_ids` is a member of: those in `added_to` (a
/// device is only ever added to a group without a rule) and those of `groups` whose rule takes
/// it. A stored group whose settings cannot be evaluated takes no device.
pub fn groups_of_device(
    added_to: &[Uuid],
    groups: &[StoredGroup],
    physical_ids: &[String],
) -> Vec<Uuid> {
    let physical_ids = PhysicalIds::new(physical_ids);
    let mut member_of: Vec<Uuid> = groups
        .iter()
        .filter(
            |(_, types, rule)| match Membership::of(types, rule.as_deref()) {
                Ok(Membership::Dynamic(rule)) => rule.matches(&physical_ids),
                _ => false,
            },
        )
        .map(|(id, _, _)| *id)
        .chain(added_to.iter().copied())
        .collect();
    member_of.sort_unstable();
    member_of.dedup();
    member_of
}

/// A filter on `set` that passes the entities with these ids: a balanced tree of `id eq`
/// conditions, so that its depth grows with the logarithm of their number. With no ids it passes
/// none (the nil GUID is never an entity's id).
pub fn with_ids(set: &'static EntitySet, ids: &[Uuid]) -> Filter {
    match ids {
        [] => id_is(set, Uuid::nil()),
        [id] => id_is(set, *id),
        _ => {
            let (left, right) = ids.split_at(ids.len() / 2);
            Filter::Or(
                Box::new(with_ids(set, left)),
                Box::new(with_ids(set, right)),
            )
        }
    }
}

fn id_is(set: &'static EntitySet, id: Uuid) -> Filter {
    Filter::Compare {
        property: set.key(),
        op: CompareOp::Eq,
        value: Value::Guid(id),
    }
}

/// The most ids one `getByIds` names, as on Graph.
pub const MAX_IDS_PER_GET_BY_IDS: usize = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(rule: &str) -> Membership {
        Membership::of(&[DYNAMIC_MEMBERSHIP.to_owned()], Some(rule)).unwrap()
    }

    #[test]
    fn dynamic_groups_take_a_device_by_single_values_and_by_other_rules() {
        let (kiosk, kiosk_too, lab, every, added) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
            Uuid::from_u128(5),
        );
        let groups = DynamicGroups::new([
            (
                kiosk,
                dynamic(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk"))"#),
            ),
            (
                kiosk_too,
                dynamic(r#"(device.devicePhysicalIds -any (_ -eq "[orderid]:KIOSK"))"#),
            ),
            (
                lab,
                dynamic(r#"(device.devicePhysicalIds -any (_ -startsWith "[OrderID]:La"))"#),
            ),
            (
                every,
                dynamic(r#"(device.devicePhysicalIds -any (_ -eq "[ZTDID]"))"#),
            ),
            (added, Membership::Assigned),
        ]);
        let taking = |ids: &[&str]| {
            let ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
            let mut groups: Vec<Uuid> = groups.taking(&PhysicalIds::new(&ids)).collect();
            groups.sort();
            groups
        };
        assert_eq!(
            taking(&["[ZTDID]:a", "[OrderID]:Kiosk"]),
            [kiosk, kiosk_too, every]
        );
        assert_eq!(taking(&["[ZTDID]:b", "[OrderID]:Lab"]), [lab, every]);
        assert_eq!(taking(&["[OrderID]:Desk"]), Vec::<Uuid>::new());
    }

    #[test]
    fn a_device_is_a_member_of_the_groups_it_was_added_to_and_of_those_whose_rule_takes_it() {
        let (kiosk, lab, added, broken) = (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
        );
        let rule = |tag: &str| {
            (
                vec![DYNAMIC_MEMBERSHIP.to_owned()],
                Some(format!(
                    r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:{tag}"))"#
                )),
            )
        };
        let (kiosk_types, kiosk_rule) = rule("Kiosk");
        let (lab_types, lab_rule) = rule("Lab");
        let groups = [
            (kiosk, kiosk_types, kiosk_rule),
            (lab, lab_types, lab_rule),
            (broken, vec![DYNAMIC_MEMBERSHIP.to_owned()], None),
        ];
        let ids = ["[ZTDID]:x".to_owned(), "[OrderID]:kiosk".to_owned()];
        assert_eq!(groups_of_device(&[added], &groups, &ids), [kiosk, added]);
        assert_eq!(groups_of_device(&[], &groups, &[]), Vec::<Uuid>::new());
    }

    #[test]
    fn the_filter_of_many_group_ids_stays_shallow() {
        fn depth(filter: &Filter) -> usize {
            match filter {
                Filter::Or(left, right) => 1 + depth(left).max(depth(right)),
                _ => 1,
            }
        }
        let ids: Vec<Uuid> = (1..=1000).map(Uuid::from_u128).collect();
        assert_eq!(depth(&with_ids(&GROUPS, &ids)), 11);
        assert!(matches!(
            with_ids(&GROUPS, &[]),
            Filter::Compare { value: Value::Guid(id), .. } if id.is_nil()
        ));
    }
}
