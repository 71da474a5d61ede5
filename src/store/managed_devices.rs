//! Managed devices beyond the generic entity-set SQL: remote actions sent, settled once due (their
//! results done, their effects on the record made) by the worker or before a read, and a device
//! leaving Intune, which unlinks the Autopilot identity it enrolled from.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, StoreError, follow_up};
use crate::domain::Tenant;
use crate::domain::managed_device::ActionRequest;

/// The channel notified when an action is sent, so that a worker settles it when due.
pub const DEVICE_ACTIONS_CHANNEL: &str = "managed_device_actions";

/// How Graph writes a date-time, as `to_char` formats a UTC timestamp.
const GRAPH_TIME_FORMAT: &str = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";

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
        let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.pool()?.begin().await?;
        let updated = sqlx::query(
            "UPDATE managed_devices SET device_action_results = ( \
                 (SELECT coalesce(jsonb_agg(r ORDER BY n), '[]'::jsonb) \
                  FROM jsonb_array_elements(device_action_results::jsonb) WITH ORDINALITY e(r, n) \
                  WHERE r->>'actionName' <> $3) \
                 || jsonb_build_array(jsonb_build_object('actionName', $3::text, \
                        'actionState', 'pending', \
                        'startDateTime', to_char(now() AT TIME ZONE 'UTC', $8), \
                        'lastUpdatedDateTime', to_char(now() AT TIME ZONE 'UTC', $8))))::text, \
                 actions_settle_at = now() + $4::bigint * interval '1 millisecond', \
                 pending_device_name = coalesce($5, pending_device_name), \
                 leaves_intune = leaves_intune OR $6, \
                 management_state = coalesce($7, management_state), \
                 updated_at = now() \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(device)
        .bind(request.action)
        .bind(delay_ms)
        .bind(request.new_device_name.as_deref())
        .bind(request.leaves_intune)
        .bind(request.pending_state)
        .bind(GRAPH_TIME_FORMAT)
        .execute(&mut *tx)
        .await?;
        follow_up::notify(&mut tx, DEVICE_ACTIONS_CHANNEL).await?;
        tx.commit().await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Settles the tenant's devices whose pending actions are due: a device that leaves Intune
    /// (wipe, retire) is removed as a DELETE removes it; any other has its pending results done at
    /// their due time, the name setDeviceName gave it, and that time as its last check-in. Rows
    /// another transaction holds are left to it. One cheap read when nothing is due, as before
    /// every read of the set.
    pub async fn settle_device_actions(&self, tenant: Tenant) -> Result<usize, StoreError> {
        let pool = self.pool()?;
        let any_due: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM managed_devices \
             WHERE tenant_id = $1 AND actions_settle_at <= now())",
        )
        .bind(tenant.0)
        .fetch_one(pool)
        .await?;
        if !any_due {
            return Ok(0);
        }
        let mut tx = pool.begin().await?;
        let due: Vec<(Uuid, bool)> = sqlx::query_as(
            "SELECT id, leaves_intune FROM managed_devices \
             WHERE tenant_id = $1 AND actions_settle_at <= now() FOR UPDATE SKIP LOCKED",
        )
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await?;
        let leaving: Vec<Uuid> = due
            .iter()
            .filter(|(_, leaves)| *leaves)
            .map(|d| d.0)
            .collect();
        let staying: Vec<Uuid> = due
            .iter()
            .filter(|(_, leaves)| !leaves)
            .map(|d| d.0)
            .collect();
        remove_managed_devices(&mut tx, tenant, &leaving).await?;
        sqlx::query(
            "UPDATE managed_devices m SET device_action_results = ( \
                 SELECT coalesce(jsonb_agg(CASE WHEN r->>'actionState' = 'pending' \
                     THEN r || jsonb_build_object('actionState', 'done', 'lastUpdatedDateTime', \
                             to_char(m.actions_settle_at AT TIME ZONE 'UTC', $3)) \
                     ELSE r END ORDER BY n), '[]'::jsonb) \
                 FROM jsonb_array_elements(m.device_action_results::jsonb) \
                      WITH ORDINALITY e(r, n))::text, \
                 device_name = coalesce(m.pending_device_name, m.device_name), \
                 last_sync_date_time = m.actions_settle_at, \
                 management_state = 'managed', \
                 pending_device_name = NULL, \
                 actions_settle_at = NULL \
             WHERE m.tenant_id = $1 AND m.id = ANY($2)",
        )
        .bind(tenant.0)
        .bind(&staying)
        .bind(GRAPH_TIME_FORMAT)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(due.len())
    }

    /// The tenants with device actions due, those due first first, at most `limit`: it reads across
    /// tenants, without locks.
    pub async fn tenants_with_device_actions_due(
        &self,
        limit: i64,
    ) -> Result<Vec<Tenant>, StoreError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar(
            "SELECT tenant_id FROM managed_devices WHERE actions_settle_at <= now() \
             GROUP BY tenant_id ORDER BY min(actions_settle_at) LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool()?)
        .await?;
        Ok(tenants.into_iter().map(Tenant).collect())
    }

    /// How long until the next device action is due: zero when one is, `None` when none is pending.
    pub async fn next_device_action_due(&self) -> Result<Option<Duration>, StoreError> {
        let seconds: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM min(actions_settle_at) - now())::float8 \
             FROM managed_devices WHERE actions_settle_at IS NOT NULL",
        )
        .fetch_one(self.pool()?)
        .await?;
        Ok(seconds.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()))
    }

    /// Deletes a managed device (it leaves Intune) and unlinks its identity; false when the tenant
    /// has no such device.
    pub async fn delete_managed_device(
        &self,
        tenant: Tenant,
        device: Uuid,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let removed = remove_managed_devices(&mut tx, tenant, &[device]).await?;
        tx.commit().await?;
        Ok(removed == 1)
    }
}

/// Removes the tenant's `devices` from Intune: their records go, and the Autopilot identities whose
/// `managedDeviceId` names one lose the link and show the device as Intune does once it has left
/// (not contacted; it enrolls anew at its next OOBE). Returns how many records went.
async fn remove_managed_devices(
    connection: &mut PgConnection,
    tenant: Tenant,
    devices: &[Uuid],
) -> Result<u64, StoreError> {
    if devices.is_empty() {
        return Ok(0);
    }
    let removed = sqlx::query("DELETE FROM managed_devices WHERE tenant_id = $1 AND id = ANY($2)")
        .bind(tenant.0)
        .bind(devices)
        .execute(&mut *connection)
        .await?
        .rows_affected();
    let ids: Vec<String> = devices.iter().map(Uuid::to_string).collect();
    sqlx::query(
        "UPDATE device_identities SET managed_device_id = NULL, \
             enrollment_state = 'notContacted', updated_at = now() \
         WHERE tenant_id = $1 AND lower(managed_device_id) = ANY($2)",
    )
    .bind(tenant.0)
    .bind(&ids)
    .execute(connection)
    .await?;
    Ok(removed)
}
