//! `microsoft.graph.windowsAutopilotDeploymentProfileAssignment` (beta): which groups of devices a
//! deployment profile is assigned to, and the devices those assignments target.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::entity::EnumType;

/// Intune's virtual group id of "all devices", which takes a group's place in the id of an
/// all-devices assignment (workflows spec section 3).
pub const ALL_DEVICES_GROUP: Uuid = Uuid::from_u128(0xadadadad_808e_44e2_905a_0b7873a8a531);

pub static ASSIGNMENT_SOURCE: EnumType = EnumType {
    name: "microsoft.graph.deviceAndAppManagementAssignmentSource",
    members: &[DIRECT, POLICY_SETS],
    beta_members: &[],
};

/// The source of an assignment a client does not name.
pub const DIRECT: &str = "direct";

/// The source of an assignment made through a policy set.
pub const POLICY_SETS: &str = "policySets";

/// How `profile` is linked to other payloads, as `hasPayloadLinks` answers: through policy sets
/// when one of its assignments came from one; empty when it is not linked.
pub fn payload_link_sources(assignments: &[ProfileAssignment], profile: Uuid) -> Vec<&'static str> {
    let linked = assignments
        .iter()
        .any(|a| a.profile == profile && a.source == POLICY_SETS);
    if linked {
        vec![POLICY_SETS]
    } else {
        Vec::new()
    }
}

/// Whom a profile is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentTarget {
    /// The devices of a group.
    Group(Uuid),
    /// Not the devices of a group, whatever else targets them.
    ExclusionGroup(Uuid),
    AllDevices,
}

impl AssignmentTarget {
    pub const GROUP: &'static str = "microsoft.graph.groupAssignmentTarget";
    pub const EXCLUSION_GROUP: &'static str = "microsoft.graph.exclusionGroupAssignmentTarget";
    pub const ALL_DEVICES: &'static str = "microsoft.graph.allDevicesAssignmentTarget";

    /// The qualified wire type (`@odata.type` without its `#`).
    pub fn type_name(self) -> &'static str {
        match self {
            AssignmentTarget::Group(_) => AssignmentTarget::GROUP,
            AssignmentTarget::ExclusionGroup(_) => AssignmentTarget::EXCLUSION_GROUP,
            AssignmentTarget::AllDevices => AssignmentTarget::ALL_DEVICES,
        }
    }

    /// The group the target names, if it names one.
    pub fn group(self) -> Option<Uuid> {
        match self {
            AssignmentTarget::Group(group) | AssignmentTarget::ExclusionGroup(group) => Some(group),
            AssignmentTarget::AllDevices => None,
        }
    }

    /// The target stored as its type and group.
    pub fn of(type_name: &str, group: Option<Uuid>) -> Option<AssignmentTarget> {
        match (type_name, group) {
            (AssignmentTarget::GROUP, Some(group)) => Some(AssignmentTarget::Group(group)),
            (AssignmentTarget::EXCLUSION_GROUP, Some(group)) => {
                Some(AssignmentTarget::ExclusionGroup(group))
            }
            (AssignmentTarget::ALL_DEVICES, None) => Some(AssignmentTarget::AllDevices),
            _ => None,
        }
    }
}

/// The id of the assignment of `profile` to `target`: `{profileId}_{groupId}_0`, which scripts
/// compute and delete by, so a profile has at most one assignment per group.
pub fn assignment_id(profile: Uuid, target: AssignmentTarget) -> String {
    let group = target.group().unwrap_or(ALL_DEVICES_GROUP);
    format!("{profile}_{group}_0")
}

/// A stored assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileAssignment {
    pub id: String,
    pub profile: Uuid,
    pub target: AssignmentTarget,
    /// A member of [`ASSIGNMENT_SOURCE`].
    pub source: String,
    pub source_id: Option<String>,
}

impl ProfileAssignment {
    /// What this assignment, one of the tenant's `assignments`, does for a device identity that
    /// the groups `holds` says hold, given the profile it has so far (`chosen`: assigned directly
    /// or by an older assignment); none when the assignment does not concern it. The one rule of
    /// [`effective_profiles`] and [`profile_reason`].
    fn verdict(
        &self,
        assignments: &[ProfileAssignment],
        chosen: Option<Uuid>,
        holds: impl Fn(Uuid) -> bool,
    ) -> Option<Verdict> {
        let excluded = || {
            assignments.iter().any(|a| {
                a.profile == self.profile
                    && matches!(a.target, AssignmentTarget::ExclusionGroup(group) if holds(group))
            })
        };
        match self.target {
            AssignmentTarget::ExclusionGroup(group) => holds(group).then_some(Verdict::Excludes),
            AssignmentTarget::Group(group) if !holds(group) => None,
            AssignmentTarget::Group(_) | AssignmentTarget::AllDevices => {
                Some(if chosen.is_some() {
                    Verdict::Outranked
                } else if excluded() {
                    Verdict::Excluded
                } else {
                    Verdict::Chosen
                })
            }
        }
    }
}

/// An assignment a client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssignment {
    pub target: AssignmentTarget,
    pub source: String,
    pub source_id: Option<String>,
}

/// The profile each device identity is targeted with (workflows spec section 3): the profile
/// assigned to it directly (`direct`, by device), which names the device itself; else, of the
/// assignments (oldest first) that include a device, the oldest whose profile does not exclude it.
/// `devices` are the identities to work out (all of the tenant's, or those a change touched);
/// `members` gives those of them in each group the assignments name.
pub fn effective_profiles(
    assignments: &[ProfileAssignment],
    direct: &HashMap<Uuid, Uuid>,
    members: &HashMap<Uuid, HashSet<Uuid>>,
    devices: &[Uuid],
) -> HashMap<Uuid, Uuid> {
    let none = HashSet::new();
    let in_group = |group: &Uuid| members.get(group).unwrap_or(&none);
    let mut effective: HashMap<Uuid, Uuid> = devices
        .iter()
        .filter_map(|device| direct.get(device).map(|profile| (*device, *profile)))
        .collect();
    for assignment in assignments {
        let targeted: Box<dyn Iterator<Item = &Uuid>> = match assignment.target {
            AssignmentTarget::Group(group) => Box::new(in_group(&group).iter()),
            AssignmentTarget::AllDevices => Box::new(devices.iter()),
            AssignmentTarget::ExclusionGroup(_) => continue,
        };
        for device in targeted {
            let holds = |group: Uuid| in_group(&group).contains(device);
            let verdict = assignment.verdict(assignments, effective.get(device).copied(), holds);
            if verdict == Some(Verdict::Chosen) {
                effective.insert(*device, assignment.profile);
            }
        }
    }
    effective
}

/// What one assignment does for one device identity, as [`effective_profiles`] decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It includes the device, and its profile is the device's.
    Chosen,
    /// It includes the device, but an exclusion of the same profile takes the device out.
    Excluded,
    /// It includes the device, but a direct assignment or an older assignment came first.
    Outranked,
    /// An exclusion group that holds the device.
    Excludes,
}

/// Why a device identity is targeted with the profile it is: the profile assigned to it directly,
/// and each assignment that concerns it (oldest first) with what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileReason {
    pub profile: Option<Uuid>,
    pub direct: Option<Uuid>,
    pub assignments: Vec<(ProfileAssignment, Verdict)>,
}

/// The reason [`effective_profiles`] gives one device identity its profile, from the tenant's
/// `assignments` (oldest first), the profile assigned to it `direct`ly and the `groups` that hold
/// it.
pub fn profile_reason(
    assignments: &[ProfileAssignment],
    direct: Option<Uuid>,
    groups: &HashSet<Uuid>,
) -> ProfileReason {
    let mut profile = direct;
    let mut concerning = Vec::new();
    for assignment in assignments {
        let Some(verdict) =
            assignment.verdict(assignments, profile, |group| groups.contains(&group))
        else {
            continue;
        };
        if verdict == Verdict::Chosen {
            profile = Some(assignment.profile);
        }
        concerning.push((assignment.clone(), verdict));
    }
    ProfileReason {
        profile,
        direct,
        assignments: concerning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn assigned(profile: u128, target: AssignmentTarget) -> ProfileAssignment {
        ProfileAssignment {
            id: String::new(),
            profile: Uuid::from_u128(profile),
            target,
            source: DIRECT.to_owned(),
            source_id: None,
        }
    }

    #[test]
    fn the_oldest_assignment_wins_and_exclusions_win_over_inclusions() {
        let (kiosks, lab, blocked) = (group(10), group(11), group(12));
        let (a, b, c, d) = (group(1), group(2), group(3), group(4));
        let members = HashMap::from([
            (kiosks, HashSet::from([a, b])),
            (lab, HashSet::from([b, c])),
            (blocked, HashSet::from([a])),
        ]);
        let assignments = [
            assigned(100, AssignmentTarget::Group(kiosks)),
            assigned(100, AssignmentTarget::ExclusionGroup(blocked)),
            assigned(200, AssignmentTarget::Group(lab)),
            assigned(300, AssignmentTarget::AllDevices),
        ];
        let none = HashMap::new();
        let effective = effective_profiles(&assignments, &none, &members, &[a, b, c, d]);
        // a: kiosks, but excluded from profile 100; lab does not have it; all devices does.
        assert_eq!(effective[&a], Uuid::from_u128(300));
        // b: in kiosks and lab; the older assignment wins.
        assert_eq!(effective[&b], Uuid::from_u128(100));
        assert_eq!(effective[&c], Uuid::from_u128(200));
        assert_eq!(effective[&d], Uuid::from_u128(300));
        assert!(
            !effective_profiles(&assignments[..3], &none, &members, &[a, b, c, d]).contains_key(&d)
        );
        // A profile assigned to a device directly wins over every group assignment, exclusions
        // included.
        let direct = HashMap::from([(a, Uuid::from_u128(400)), (b, Uuid::from_u128(400))]);
        let effective = effective_profiles(&assignments, &direct, &members, &[a, b, c, d]);
        assert_eq!(effective[&a], Uuid::from_u128(400));
        assert_eq!(effective[&b], Uuid::from_u128(400));
        assert_eq!(effective[&c], Uuid::from_u128(200));
        assert_eq!(effective[&d], Uuid::from_u128(300));
    }

    #[test]
    fn a_devices_reason_names_the_profile_effective_profiles_gives_it() {
        let (kiosks, lab, blocked) = (group(10), group(11), group(12));
        let (a, b, c, d) = (group(1), group(2), group(3), group(4));
        let members = HashMap::from([
            (kiosks, HashSet::from([a, b])),
            (lab, HashSet::from([b, c])),
            (blocked, HashSet::from([a])),
        ]);
        let assignments = [
            assigned(100, AssignmentTarget::Group(kiosks)),
            assigned(100, AssignmentTarget::ExclusionGroup(blocked)),
            assigned(200, AssignmentTarget::Group(lab)),
            assigned(300, AssignmentTarget::AllDevices),
        ];
        let direct = HashMap::from([(d, Uuid::from_u128(400))]);
        let effective = effective_profiles(&assignments, &direct, &members, &[a, b, c, d]);
        for device in [a, b, c, d] {
            let groups: HashSet<Uuid> = members
                .iter()
                .filter(|(_, held)| held.contains(&device))
                .map(|(group, _)| *group)
                .collect();
            let reason = profile_reason(&assignments, direct.get(&device).copied(), &groups);
            assert_eq!(reason.profile, effective.get(&device).copied(), "{device}");
        }
        let groups = HashSet::from([kiosks, blocked]);
        let verdicts: Vec<Verdict> = profile_reason(&assignments, None, &groups)
            .assignments
            .into_iter()
            .map(|(_, verdict)| verdict)
            .collect();
        assert_eq!(
            verdicts,
            [Verdict::Excluded, Verdict::Excludes, Verdict::Chosen]
        );
        let direct = profile_reason(&assignments, Some(Uuid::from_u128(400)), &groups);
        assert_eq!(direct.assignments[2].1, Verdict::Outranked);
    }

    #[test]
    fn ids_join_profile_and_group_and_all_devices_use_the_virtual_group() {
        let profile = Uuid::from_u128(1);
        assert_eq!(
            assignment_id(profile, AssignmentTarget::Group(group(2))),
            "00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-000000000002_0"
        );
        assert_eq!(
            assignment_id(profile, AssignmentTarget::AllDevices),
            "00000000-0000-0000-0000-000000000001_adadadad-808e-44e2-905a-0b7873a8a531_0"
        );
    }

    #[test]
    fn stored_targets_read_back_only_in_their_shape() {
        for target in [
            AssignmentTarget::Group(group(2)),
            AssignmentTarget::ExclusionGroup(group(3)),
            AssignmentTarget::AllDevices,
        ] {
            assert_eq!(
                AssignmentTarget::of(target.type_name(), target.group()),
                Some(target)
            );
        }
        assert_eq!(AssignmentTarget::of(AssignmentTarget::GROUP, None), None);
        assert_eq!(
            AssignmentTarget::of(AssignmentTarget::ALL_DEVICES, Some(group(2))),
            None
        );
    }

    #[test]
    fn a_profile_is_linked_when_a_policy_set_assigned_it() {
        let mut assignments = vec![
            assigned(1, AssignmentTarget::AllDevices),
            assigned(2, AssignmentTarget::Group(group(10))),
        ];
        assignments[1].source = POLICY_SETS.to_owned();
        assert!(payload_link_sources(&assignments, Uuid::from_u128(1)).is_empty());
        assert_eq!(
            payload_link_sources(&assignments, Uuid::from_u128(2)),
            [POLICY_SETS]
        );
        assert!(payload_link_sources(&assignments, Uuid::from_u128(3)).is_empty());
    }
}
