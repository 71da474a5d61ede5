//! `microsoft.graph.windowsAutopilotSettings` (beta): one per tenant, and its Autopilot sync
//! (workflows spec section 2).

use std::time::Duration;

use super::entity::{EntitySet, EnumType, Kind, Property, Segments};

pub static SYNC_STATUS: EnumType = EnumType {
    name: "microsoft.graph.windowsAutopilotSyncStatus",
    members: &["unknown", "inProgress", "completed", "failed"],
    beta_members: &[],
};

/// How long a sync runs once triggered: long enough for a second trigger to find it running.
pub const SYNC_DURATION: Duration = Duration::from_secs(1);

/// The settings of a tenant, a singleton at the set's path (the key is the settings' own id).
pub static AUTOPILOT_SETTINGS: EntitySet = EntitySet {
    type_name: "microsoft.graph.windowsAutopilotSettings",
    description: "The Windows Autopilot settings of a tenant and the state of its Autopilot sync.",
    path: "deviceManagement/windowsAutopilotSettings",
    beta_only: true,
    table: "autopilot_settings",
    properties: &[
        Property::key(),
        Property::new("lastSyncDateTime", "last_sync_date_time", Kind::DateTime).read_only(),
        Property::new(
            "lastManualSyncTriggerDateTime",
            "last_manual_sync_trigger_date_time",
            Kind::DateTime,
        )
        .read_only(),
        Property::new("syncStatus", "sync_status", Kind::Enum(&SYNC_STATUS)).read_only(),
    ],
    aliases: &[],
    unique: None,
    internal_columns: &["sync_completes_at"],
    derived: &[],
    expandable: &[],
    segments: Segments {
        singleton: true,
        collection_actions: &["sync"],
        below_item: &[],
    },
};

/// What a sync trigger finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncTrigger {
    Started,
    /// A sync is running.
    Running,
    /// Within the cooldown of the previous manual sync: this long is left.
    CoolingDown(Duration),
}
