//! Autopilot events beyond the generic entity-set SQL: the policy status details their events
//! contain, read for several events at once (`$expand=policyStatusDetails`).

use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{Store, StoreError, entity_from_row, select_columns};
use crate::domain::Tenant;
use crate::domain::autopilot_event::{EVENT_OF_DETAIL, POLICY_STATUS_DETAILS};
use crate::domain::entity::Entity;

impl Store {
    /// The policy status details of `events`, each with its event, in event then id order.
    pub async fn policy_status_details(
        &self,
        tenant: Tenant,
        events: &[Uuid],
    ) -> Result<Vec<(Uuid, Entity)>, StoreError> {
        let set = &POLICY_STATUS_DETAILS;
        let event = EVENT_OF_DETAIL.column;
        let sql = format!(
            "SELECT {}, {event} FROM {} WHERE tenant_id = $1 AND {event} = ANY($2) \
             ORDER BY {event}, id",
            select_columns(set),
            set.table
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(events)
            .fetch_all(self.pool()?)
            .await?;
        let event_position = set.columns().count();
        rows.iter()
            .map(|row| Ok((row.try_get(event_position)?, entity_from_row(set, row)?)))
            .collect()
    }
}
