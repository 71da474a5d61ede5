//! The slice of Entra ID that profile assignment needs (workflows spec section 4): a directory
//! `device` for every device identity, and groups of devices, static or with a membership rule.

use super::entity::{EntitySet, Kind, Property, TEXT, TextLimits};
use uuid::Uuid;

use super::membership::{MembershipRule, PhysicalIds, RuleError};
use super::query::Filter;

/// A physical id is a kind (`[PurchaseOrderId]:`, the longest) before an identity's property, which
/// may be as long as any string.
const PHYSICAL_ID: TextLimits = TextLimits {
    min_chars: 0,
    max_chars: TEXT.max_chars + "[PurchaseOrderId]:".len() as u64,
};

/// The directory devices: one for every device identity, derived from it (a view), so that its
/// `devicePhysicalIds` follow the identity's group tag and purchase order as they change.
pub static DIRECTORY_DEVICES: EntitySet = EntitySet {
    type_name: "microsoft.graph.device",
    description: "The Entra ID device object of a Windows Autopilot device identity.",
    path: "devices",
    beta_only: false,
    table: "directory_devices",
    properties: &[
        Property::key(),
        Property::new("accountEnabled", "account_enabled", Kind::Boolean).read_only(),
        Property::text("deviceId", "device_id").read_only(),
        Property::new(
            "devicePhysicalIds",
            "device_physical_ids",
            Kind::Strings(PHYSICAL_ID),
        )
        .read_only(),
        Property::text("displayName", "display_name").read_only(),
        Property::text("operatingSystem", "operating_system")
            .not_null()
            .read_only(),
    ],
    aliases: &[],
    unique: None,
    // The identity a directory device belongs to.
    internal_columns: &["device_identity_id"],
    derived: &[],
    expandable: &[],
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
    ],
    aliases: &[],
    unique: None,
    internal_columns: &[],
    derived: &[],
    expandable: &[],
};

/// The `groupTypes` member of a group whose rule decides its members.
pub const DYNAMIC_MEMBERSHIP: &str = "DynamicMembership";

/// How a group's members are decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// Members are added to it.
    Assigned,
    Dynamic(MembershipRule),
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

impl Membership {
    /// The members of the group with this id, as a filter on directory devices.
    pub fn members(&self, group: Uuid) -> Filter {
        match self {
            Membership::Assigned => Filter::AddedTo(group),
            Membership::Dynamic(rule) => rule.to_filter(
                DIRECTORY_DEVICES
                    .property("devicePhysicalIds")
                    .expect("directory devices have physical ids"),
            ),
        }
    }

    /// Whether a device with these physical ids is a member, `added` saying whether it was added
    /// to the group: the test [`Membership::members`] puts to the database, for one device.
    pub fn takes(&self, physical_ids: &PhysicalIds, added: bool) -> bool {
        match self {
            Membership::Assigned => added,
            Membership::Dynamic(rule) => rule.matches(physical_ids),
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
