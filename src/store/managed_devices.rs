//! Managed devices beyond the generic entity-set SQL: remote actions sent, settled once due (their
//! results done, their effects on the record made), and a device leaving Intune, which unlinks the
//! Autopilot identity it enrolled from.

use std::time::Duration;

use uuid::Uuid;

use super::{Store, StoreError};
use crate::domain::Tenant;
use crate::domain::managed_device::ActionRequest;

/// A date-time as Graph writes it, from a timestamptz expression.
macro_rules! graph_time {
    ($expression:literal) => {
        concat!(
            "to_char(",
            $expression,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        )
    };
}

/// The Autopilot identities whose managed device `gone` (a CTE of the deleted devices' ids) names
/// lose the link and show the device as Intune does once it has left: not contacted.
const UNLINK_IDENTITIES: &str = "unlinked AS ( \
     UPDATE device_identities d SET managed_device_id = NULL, enrollment_state = 'notContacted', \
            updated_at = now() \
     FROM gone WHERE d.tenant_id = $1 AND lower(d.managed_device_id) = gone.id::text \
     RETURNING d.id)";

impl Store {
    /// Records `request` as pending on the device (replacing an earlier result of the same action),
    /// done `delay` from now; false when the tenant has no such device.
    pub async fn send_device_action(
        &self,
        tenant: Tenant,
        device: Uuid,
        request: &ActionRequest,
        delay: Duration,
    ) -> Result<bool, StoreError> {
        let sql = concat!(
            "UPDATE managed_devices SET device_action_results = ( \
                 (SELECT coalesce(jsonb_agg(r ORDER BY n), '[]'::jsonb) \
                  FROM jsonb_array_elements(device_action_results::jsonb) WITH ORDINALITY e(r, n) \
                  WHERE r->>'actionName' <> $3) \
                 || jsonb_build_array(jsonb_build_object('actionName', $3::text, \
                        'actionState', 'pending', 'startDateTime', ",
            graph_time!("now()"),
            ", 'lastUpdatedDateTime', ",
            graph_time!("now()"),
            ")))::text, \
                 actions_settle_at = now() + $4::bigint * interval '1 millisecond', \
                 pending_device_name = coalesce($5, pending_device_name), \
                 leaves_intune = leaves_intune OR $6, \
                 management_state = coalesce($7, management_state), \
                 updated_at = now() \
             WHERE tenant_id = $1 AND id = $2"
        );
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        let updated = sqlx::query(sql)
            .bind(tenant.0)
            .bind(device)
            .bind(request.action)
            .bind(delay_ms)
            .bind(request.new_device_name.as_deref())
            .bind(request.leaves_intune)
            .bind(request.pending_state)
            .execute(self.pool()?)
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Settles the tenant's devices whose pending actions are due, in one statement: a device that
    /// leaves Intune (wipe, retire) is deleted and its identity unlinked; any other has its pending
    /// results done at their due time, the name setDeviceName gave it, and that time as its last
    /// check-in. Rows another transaction holds are left to it.
    pub async fn settle_device_actions(&self, tenant: Tenant) -> Result<u64, StoreError> {
        let sql = format!(
            "WITH due AS ( \
                 SELECT id, leaves_intune FROM managed_devices \
                 WHERE tenant_id = $1 AND actions_settle_at <= now() \
                 FOR UPDATE SKIP LOCKED), \
             gone AS ( \
                 DELETE FROM managed_devices m USING due \
                 WHERE m.tenant_id = $1 AND m.id = due.id AND due.leaves_intune \
                 RETURNING m.id), \
             {UNLINK_IDENTITIES}, \
             settled AS ( \
                 UPDATE managed_devices m SET device_action_results = ( \
                     SELECT coalesce(jsonb_agg(CASE WHEN r->>'actionState' = 'pending' \
                         THEN r || jsonb_build_object('actionState', 'done', \
                                 'lastUpdatedDateTime', {done_at}) \
                         ELSE r END ORDER BY n), '[]'::jsonb) \
                     FROM jsonb_array_elements(m.device_action_results::jsonb) \
                          WITH ORDINALITY e(r, n))::text, \
                     device_name = coalesce(m.pending_device_name, m.device_name), \
                     last_sync_date_time = m.actions_settle_at, \
                     management_state = 'managed', \
                     pending_device_name = NULL, \
                     actions_settle_at = NULL \
                 FROM due WHERE m.tenant_id = $1 AND m.id = due.id AND NOT due.leaves_intune \
                 RETURNING m.id) \
             SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM settled)",
            done_at = graph_time!("m.actions_settle_at"),
        );
        let settled: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(tenant.0)
            .fetch_one(self.pool()?)
            .await?;
        Ok(settled as u64)
    }

    /// Deletes a managed device (it leaves Intune) and unlinks its identity; false when the tenant
    /// has no such device.
    pub async fn delete_managed_device(
        &self,
        tenant: Tenant,
        device: Uuid,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "WITH gone AS ( \
                 DELETE FROM managed_devices WHERE tenant_id = $1 AND id = $2 RETURNING id), \
             {UNLINK_IDENTITIES} \
             SELECT count(*) FROM gone"
        );
        let deleted: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(device)
            .fetch_one(self.pool()?)
            .await?;
        Ok(deleted == 1)
    }
}
