//! Autopilot events beyond the generic entity-set SQL: the policy status details their events
//! contain, created below one event and read for several at once (`$expand`).

use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{Store, StoreError, bind_values, entity_from_row, placeholder, select_columns};
use crate::domain::Tenant;
use crate::domain::autopilot_event::{EVENT_OF_DETAIL, POLICY_STATUS_DETAILS};
use crate::domain::entity::{Entity, PropertyValue, Value};

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

    /// Adds a policy status detail to `event`; none when the tenant has no such event.
    pub async fn create_policy_status_detail(
        &self,
        tenant: Tenant,
        event: Uuid,
        assignments: &[PropertyValue],
    ) -> Result<Option<Entity>, StoreError> {
        let set = &POLICY_STATUS_DETAILS;
        let mut binds = vec![
            Value::Guid(Uuid::new_v4()),
            Value::Guid(tenant.0),
            Value::Guid(event),
        ];
        let (mut columns, mut values) = (String::new(), String::new());
        for assignment in assignments {
            columns.push_str(&format!(", {}", assignment.property.column));
            values.push_str(&format!(", {}", placeholder(&mut binds, &assignment.value)));
        }
        // The event is read in the statement, so a detail never names one of another tenant.
        let sql = format!(
            "INSERT INTO {table} (id, tenant_id, {event}{columns}) SELECT $1, $2, $3{values} \
             FROM autopilot_events WHERE tenant_id = $2 AND id = $3 RETURNING {}",
            select_columns(set),
            table = set.table,
            event = EVENT_OF_DETAIL.column,
        );
        let row = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_optional(self.pool()?)
            .await?;
        Ok(row.map(|row| entity_from_row(set, &row)).transpose()?)
    }
}
