//! Profile assignment status on device identities: working out which profile targets each device of
//! a tenant that asked for it (the triggers of the migration ask when a device, group, member or
//! assignment changes), and settling pending devices once the assignment delay has passed or a sync
//! has completed. Every step is one transaction that claims its work with `SKIP LOCKED`, so any
//! instance may do it, none twice, and a crash leaves it to be done again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

use super::profile_assignments::{COLUMNS, assignment};
use super::{Store, StoreError, bind_values, filter};
use crate::domain::Tenant;
use crate::domain::directory::Membership;
use crate::domain::entity::{Navigation, Value};
use crate::domain::profile_assignment::{ProfileAssignment, effective_profiles};
use crate::domain::query::Filter;

/// The channel the triggers notify when a tenant's status must be worked out again, and that
/// recomputing notifies when devices start to wait.
pub const ASSIGNMENT_CHANNEL: &str = "autopilot_assignments";

/// What settling does to a pending device, by the delay or by a sync: its intended profile becomes
/// its own (`assignedUnkownSyncState`, misspelt as on Graph's wire).
pub(super) const SETTLE_DEVICE: &str = "deployment_profile_assignment_status = 'assignedUnkownSyncState', \
     assigned_profile_id = intended_profile_id, deployment_profile_assigned_date_time = now(), \
     assignment_pending_since = NULL, updated_at = now()";

impl Store {
    /// Works out again the status of the devices of the tenant that asked first; returns how many
    /// tenants it did (0 or 1). One instance at a time works on a tenant (an advisory lock); the
    /// requests it takes are those it can see, so one made meanwhile is left for another pass.
    pub async fn recompute_assignments(&self) -> Result<usize, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let tenant: Option<Uuid> = sqlx::query_scalar(
            "SELECT tenant_id FROM assignment_recomputes ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(tenant) = tenant else {
            return Ok(0);
        };
        let mine: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 0))")
                .bind(tenant)
                .fetch_one(&mut *tx)
                .await?;
        if !mine {
            return Ok(0);
        }
        let requests: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM assignment_recomputes WHERE tenant_id = $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(tenant)
        .fetch_all(&mut *tx)
        .await?;
        let tenant = Tenant(tenant);
        let assignments = tenant_assignments(&mut tx, tenant).await?;
        let mut members: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        for group in assignments.iter().filter_map(|a| a.target.group()) {
            if let std::collections::hash_map::Entry::Vacant(entry) = members.entry(group) {
                entry.insert(group_members(&mut tx, tenant, group).await?);
            }
        }
        let current: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
            "SELECT id, intended_profile_id FROM device_identities WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await?;
        let devices: Vec<Uuid> = current.iter().map(|(id, _)| *id).collect();
        let effective = effective_profiles(&assignments, &members, &devices);
        let (changed, profiles): (Vec<Uuid>, Vec<Option<Uuid>>) = current
            .into_iter()
            .filter(|(id, intended)| effective.get(id) != intended.as_ref())
            .map(|(id, _)| (id, effective.get(&id).copied()))
            .unzip();
        if !changed.is_empty() {
            // A device a profile now targets waits (`pending`) until it settles; one that none
            // targets is `notAssigned` at once.
            sqlx::query(
                "UPDATE device_identities AS d SET intended_profile_id = u.profile, \
                     assigned_profile_id = NULL, \
                     deployment_profile_assignment_status = \
                         CASE WHEN u.profile IS NULL THEN 'notAssigned' ELSE 'pending' END, \
                     assignment_pending_since = CASE WHEN u.profile IS NULL THEN NULL ELSE now() END, \
                     deployment_profile_assigned_date_time = '0001-01-01T00:00:00Z', \
                     updated_at = now() \
                 FROM unnest($1::uuid[], $2::uuid[]) AS u(id, profile) WHERE d.id = u.id",
            )
            .bind(&changed)
            .bind(&profiles)
            .execute(&mut *tx)
            .await?;
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(ASSIGNMENT_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM assignment_recomputes WHERE id = ANY($1)")
            .bind(&requests)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(1)
    }

    /// Zero when a tenant waits to be worked out again, else `None`.
    pub async fn next_assignment_recompute(&self) -> Result<Option<Duration>, StoreError> {
        let waiting: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM assignment_recomputes)")
                .fetch_one(self.pool()?)
                .await?;
        Ok(waiting.then_some(Duration::ZERO))
    }

    /// Settles at most `limit` devices that have waited `delay`.
    pub async fn settle_assignments(
        &self,
        delay: Duration,
        limit: i64,
    ) -> Result<usize, StoreError> {
        let sql = format!(
            "UPDATE device_identities SET {SETTLE_DEVICE} \
             WHERE id IN (SELECT id FROM device_identities \
                          WHERE assignment_pending_since <= now() - make_interval(secs => $1) \
                          ORDER BY assignment_pending_since LIMIT $2 FOR UPDATE SKIP LOCKED)"
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(delay.as_secs_f64())
            .bind(limit)
            .execute(self.pool()?)
            .await?;
        Ok(done.rows_affected() as usize)
    }

    /// How long until the longest-waiting device settles with `delay`.
    pub async fn next_assignment_settle(
        &self,
        delay: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        let seconds: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM min(assignment_pending_since) + make_interval(secs => $1) \
                                      - now())::float8 \
             FROM device_identities WHERE assignment_pending_since IS NOT NULL",
        )
        .bind(delay.as_secs_f64())
        .fetch_one(self.pool()?)
        .await?;
        Ok(seconds.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()))
    }

    /// The profile `navigation` names for each of the tenant's `devices` that has one.
    pub async fn device_profiles(
        &self,
        tenant: Tenant,
        devices: &[Uuid],
        navigation: Navigation,
    ) -> Result<HashMap<Uuid, Uuid>, StoreError> {
        let column = match navigation {
            Navigation::IntendedDeploymentProfile => "intended_profile_id",
            _ => "assigned_profile_id",
        };
        let sql = format!(
            "SELECT id, {column} FROM device_identities \
             WHERE tenant_id = $1 AND id = ANY($2) AND {column} IS NOT NULL"
        );
        let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(devices)
            .fetch_all(self.pool()?)
            .await?;
        Ok(rows.into_iter().collect())
    }
}

/// The tenant's assignments, oldest first.
async fn tenant_assignments(
    connection: &mut PgConnection,
    tenant: Tenant,
) -> Result<Vec<ProfileAssignment>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM deployment_profile_assignments WHERE tenant_id = $1 \
         ORDER BY created_at, id"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(tenant.0)
        .fetch_all(connection)
        .await?;
    Ok(rows.iter().map(assignment).collect::<Result<_, _>>()?)
}

/// The device identities in a group of the tenant: added to it, or taken by its rule.
async fn group_members(
    connection: &mut PgConnection,
    tenant: Tenant,
    group: Uuid,
) -> Result<HashSet<Uuid>, StoreError> {
    let settings: Option<(Vec<String>, Option<String>)> = sqlx::query_as(
        "SELECT group_types, membership_rule FROM directory_groups WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.0)
    .bind(group)
    .fetch_optional(&mut *connection)
    .await?;
    // A stored group's settings were checked when they were written; a group that is gone has none.
    let members = match settings.map(|(types, rule)| Membership::of(&types, rule.as_deref())) {
        Some(Ok(membership)) => membership.members(group),
        _ => Filter::Nothing,
    };
    let mut binds = vec![Value::Guid(tenant.0)];
    let condition = filter::condition(&members, &mut binds);
    let sql = format!(
        "SELECT device_identity_id FROM directory_devices WHERE tenant_id = $1 AND {condition}"
    );
    let rows = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
        .fetch_all(connection)
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?)
}
