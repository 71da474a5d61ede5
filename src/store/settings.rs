//! The tenant's Autopilot settings and sync, in PostgreSQL so that every instance sees one cooldown
//! and one running sync.

use std::time::Duration;

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::assignment_status::SETTLE_DEVICE;
use super::{Store, StoreError, entity_from_row, follow_up, select_columns};
use crate::domain::Tenant;
use crate::domain::entity::Entity;
use crate::domain::settings::{AUTOPILOT_SETTINGS, SYNC_DURATION, SyncTrigger};

/// The channel a sync trigger notifies, for the worker that completes syncs.
pub const SYNC_CHANNEL: &str = "autopilot_syncs";

impl Store {
    /// The tenant's settings, made on first use.
    pub async fn settings(&self, tenant: Tenant) -> Result<Entity, StoreError> {
        let pool = self.pool()?;
        sqlx::query(
            "INSERT INTO autopilot_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .execute(pool)
        .await?;
        let sql = format!(
            "SELECT {} FROM autopilot_settings WHERE tenant_id = $1",
            select_columns(&AUTOPILOT_SETTINGS)
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.0)
            .fetch_one(pool)
            .await?;
        Ok(entity_from_row(&AUTOPILOT_SETTINGS, &row)?)
    }

    /// Starts a sync of the tenant unless one runs or the previous manual one was less than
    /// `cooldown` ago.
    pub async fn trigger_sync(
        &self,
        tenant: Tenant,
        cooldown: Duration,
    ) -> Result<SyncTrigger, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        sqlx::query(
            "INSERT INTO autopilot_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .execute(&mut *tx)
        .await?;
        let (status, since_last): (String, f64) = sqlx::query_as(
            "SELECT sync_status, \
                    extract(epoch FROM now() - last_manual_sync_trigger_date_time)::float8 \
             FROM autopilot_settings WHERE tenant_id = $1 FOR UPDATE",
        )
        .bind(tenant.0)
        .fetch_one(&mut *tx)
        .await?;
        if status == "inProgress" {
            return Ok(SyncTrigger::Running);
        }
        let since_last = Duration::try_from_secs_f64(since_last.max(0.0)).unwrap_or(Duration::MAX);
        if since_last < cooldown {
            return Ok(SyncTrigger::CoolingDown(cooldown - since_last));
        }
        sqlx::query(
            "UPDATE autopilot_settings SET sync_status = 'inProgress', \
                 last_manual_sync_trigger_date_time = now(), \
                 sync_completes_at = now() + make_interval(secs => $2), updated_at = now() \
             WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .bind(SYNC_DURATION.as_secs_f64())
        .execute(&mut *tx)
        .await?;
        follow_up::notify(&mut tx, SYNC_CHANNEL).await?;
        tx.commit().await?;
        Ok(SyncTrigger::Started)
    }

    /// The tenants whose running sync is due to complete, those due first first, at most `limit`:
    /// it reads across tenants, without locks.
    pub async fn tenants_with_syncs_due(&self, limit: i64) -> Result<Vec<Tenant>, StoreError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar(
            "SELECT tenant_id FROM autopilot_settings WHERE sync_completes_at <= now() \
             ORDER BY sync_completes_at LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool()?)
        .await?;
        Ok(tenants.into_iter().map(Tenant).collect())
    }

    /// Completes the tenant's running sync if it is due, settling its pending devices with it (a
    /// sync is where pending assignments settle); returns whether it did (0 or 1). Of instances
    /// completing one sync at once, one does; the others find it skipped (locked) or completed.
    pub async fn complete_sync(&self, tenant: Tenant) -> Result<usize, StoreError> {
        let sql = format!(
            "WITH done AS ( \
                 UPDATE autopilot_settings SET sync_status = 'completed', \
                     last_sync_date_time = now(), sync_completes_at = NULL, updated_at = now() \
                 WHERE tenant_id = $1 \
                   AND tenant_id IN (SELECT tenant_id FROM autopilot_settings \
                                     WHERE tenant_id = $1 AND sync_completes_at <= now() \
                                     FOR UPDATE SKIP LOCKED) \
                 RETURNING tenant_id), \
             settled AS ( \
                 UPDATE device_identities SET {SETTLE_DEVICE} \
                 WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM done) \
                   AND assignment_pending_since IS NOT NULL) \
             SELECT count(*) FROM done"
        );
        let done: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(tenant.0)
            .fetch_one(self.pool()?)
            .await?;
        Ok(done as usize)
    }

    /// How long until the next running sync is due to complete: zero when one is, `None` when
    /// none runs.
    pub async fn next_sync_due(&self) -> Result<Option<Duration>, StoreError> {
        let seconds: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM min(sync_completes_at) - now())::float8 \
             FROM autopilot_settings WHERE sync_completes_at IS NOT NULL",
        )
        .fetch_one(self.pool()?)
        .await?;
        Ok(seconds.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()))
    }
}
