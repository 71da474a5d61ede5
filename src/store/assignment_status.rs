//! Profile assignment status on device identities: working out which profile targets the devices
//! a change touched (the writes ask, see `follow_up`: for one device when it is created,
//! regrouped, added to or taken from a group; for the whole tenant when a group or an assignment
//! changes), and settling pending devices once the assignment delay has passed or a sync
//! has completed. Every step is one transaction within one tenant, named by a discovery query that
//! reads across tenants without locks, and claims its work with `SKIP LOCKED` (or the tenant's
//! advisory lock), so any instance may do it, none twice, and a crash leaves it to be done again.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

use super::profile_assignments::{COLUMNS, assignment};
use super::{DISCOVERY_WINDOW, Store, StoreError, follow_up};
use crate::domain::Tenant;
use crate::domain::directory::{DynamicGroups, Membership};
use crate::domain::entity::Navigation;
use crate::domain::membership::PhysicalIds;
use crate::domain::profile_assignment::{ProfileAssignment, effective_profiles};

/// The channel notified when a tenant's status must be worked out again, and that
/// recomputing notifies when devices start to wait.
pub const ASSIGNMENT_CHANNEL: &str = "autopilot_assignments";

/// What settling does to a pending device, by the delay or by a sync: its intended profile becomes
/// its own (`assignedUnkownSyncState`, misspelt as on Graph's wire).
pub(super) const SETTLE_DEVICE: &str = "deployment_profile_assignment_status = 'assignedUnkownSyncState', \
     assigned_profile_id = intended_profile_id, deployment_profile_assigned_date_time = now(), \
     assignment_pending_since = NULL, updated_at = now()";

impl Store {
    /// The tenants with recompute requests, those that asked first first, among the oldest
    /// [`DISCOVERY_WINDOW`] requests: it reads across tenants, without locks.
    pub async fn tenants_with_recomputes(&self) -> Result<Vec<Tenant>, StoreError> {
        let tenants: Vec<Uuid> = sqlx::query_scalar(
            "SELECT tenant_id FROM (SELECT tenant_id, id FROM assignment_recomputes \
                                    ORDER BY id LIMIT $1) AS asked \
             GROUP BY tenant_id ORDER BY min(id)",
        )
        .bind(DISCOVERY_WINDOW)
        .fetch_all(self.pool()?)
        .await?;
        Ok(tenants.into_iter().map(Tenant).collect())
    }

    /// Works out again the status of the tenant's devices that its requests name (all of them when
    /// one names none), with the rules evaluated here rather than one query per group; returns
    /// whether it did (0 or 1). One instance at a time works on a tenant (an advisory lock): 0 when
    /// another one holds it, or has taken every request. The requests it takes are those it can
    /// see, so one made meanwhile is left for another pass.
    pub async fn recompute_assignments(&self, tenant: Tenant) -> Result<usize, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let mine: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1::text, 0))")
                .bind(tenant.0)
                .fetch_one(&mut *tx)
                .await?;
        if !mine {
            return Ok(0);
        }
        let requests: Vec<(i64, Option<Uuid>)> = sqlx::query_as(
            "SELECT id, device_identity_id FROM assignment_recomputes WHERE tenant_id = $1 \
             FOR UPDATE SKIP LOCKED",
        )
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await?;
        if requests.is_empty() {
            return Ok(0);
        }
        // A request without a device is for the whole tenant, and takes in the others.
        let scope: Option<Vec<Uuid>> = requests.iter().map(|(_, device)| *device).collect();
        let requests: Vec<i64> = requests.into_iter().map(|(id, _)| id).collect();
        let assignments = tenant_assignments(&mut tx, tenant).await?;
        let mut groups: Vec<Uuid> = assignments
            .iter()
            .filter_map(|a| a.target.group())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let memberships = group_memberships(&mut tx, tenant, &groups).await?;
        let devices = devices_to_work_out(&mut tx, tenant, scope.as_deref()).await?;
        let mut members: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        for (group, device) in added_to(&mut tx, tenant, &groups, scope.as_deref()).await? {
            if memberships.get(&group) == Some(&Membership::Assigned) {
                members.entry(group).or_default().insert(device);
            }
        }
        // Seconds of CPU for a large tenant: on the background CPU thread, at the lowest priority,
        // so that neither this runtime's other tasks nor other tenants' requests wait for it.
        let (changed, profiles): (Vec<Uuid>, Vec<Option<Uuid>>) = super::cpu::run(move || {
            let dynamic = DynamicGroups::new(memberships);
            for device in &devices {
                for group in dynamic.taking(&device.physical_ids) {
                    members.entry(group).or_default().insert(device.id);
                }
            }
            let ids: Vec<Uuid> = devices.iter().map(|d| d.id).collect();
            let direct: HashMap<Uuid, Uuid> = devices
                .iter()
                .filter_map(|d| d.direct.map(|profile| (d.id, profile)))
                .collect();
            let effective = effective_profiles(&assignments, &direct, &members, &ids);
            devices
                .iter()
                .filter(|d| effective.get(&d.id) != d.intended.as_ref())
                .map(|d| (d.id, effective.get(&d.id).copied()))
                .unzip()
        })
        .await;
        if !changed.is_empty() {
            // A device a profile now targets waits (`pending`) until it settles; one that none
            // targets is `notAssigned` at once. The time is bound, not `now()`: Citus evaluates
            // only immutable functions in a CASE of a distributed UPDATE.
            let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE device_identities AS d SET intended_profile_id = u.profile, \
                     assigned_profile_id = NULL, \
                     deployment_profile_assignment_status = \
                         CASE WHEN u.profile IS NULL THEN 'notAssigned' ELSE 'pending' END, \
                     assignment_pending_since = CASE WHEN u.profile IS NULL THEN NULL ELSE $4 END, \
                     deployment_profile_assigned_date_time = '0001-01-01T00:00:00Z', \
                     updated_at = $4 \
                 FROM unnest($1::uuid[], $2::uuid[]) AS u(id, profile) \
                 WHERE d.tenant_id = $3 AND d.id = u.id",
            )
            .bind(&changed)
            .bind(&profiles)
            .bind(tenant.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            follow_up::notify(&mut tx, ASSIGNMENT_CHANNEL).await?;
        }
        sqlx::query("DELETE FROM assignment_recomputes WHERE tenant_id = $1 AND id = ANY($2)")
            .bind(tenant.0)
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

    /// The tenants with devices that have waited `delay`, those that waited longest first, among
    /// the [`DISCOVERY_WINDOW`] devices that waited longest: it reads across tenants, without locks.
    pub async fn tenants_with_settling_due(
        &self,
        delay: Duration,
    ) -> Result<Vec<Tenant>, StoreError> {
        self.tenants_due(
            "SELECT tenant_id FROM (SELECT tenant_id, assignment_pending_since FROM device_identities \
                                    WHERE assignment_pending_since <= now() - make_interval(secs => $1) \
                                    ORDER BY assignment_pending_since LIMIT $2) AS due \
             GROUP BY tenant_id ORDER BY min(assignment_pending_since)",
            delay,
        )
        .await
    }

    /// Settles at most `limit` of the tenant's devices that have waited `delay`.
    pub async fn settle_assignments(
        &self,
        tenant: Tenant,
        delay: Duration,
        limit: i64,
    ) -> Result<usize, StoreError> {
        let sql = format!(
            "UPDATE device_identities SET {SETTLE_DEVICE} \
             WHERE tenant_id = $3 \
               AND id IN (SELECT id FROM device_identities \
                          WHERE tenant_id = $3 \
                            AND assignment_pending_since <= now() - make_interval(secs => $1) \
                          ORDER BY assignment_pending_since LIMIT $2 FOR UPDATE SKIP LOCKED)"
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(delay.as_secs_f64())
            .bind(limit)
            .bind(tenant.0)
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
pub(super) async fn tenant_assignments(
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

/// How each of these groups of the tenant takes its members; a group that is gone has none.
pub(super) async fn group_memberships(
    connection: &mut PgConnection,
    tenant: Tenant,
    groups: &[Uuid],
) -> Result<HashMap<Uuid, Membership>, StoreError> {
    let rows: Vec<(Uuid, Vec<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, group_types, membership_rule FROM directory_groups \
         WHERE tenant_id = $1 AND id = ANY($2)",
    )
    .bind(tenant.0)
    .bind(groups)
    .fetch_all(connection)
    .await?;
    // Every door checks a group's settings before it is stored; a row that fails anyway (written
    // by an older version, or by hand) decides no device's profile, and says so, rather than
    // stopping the recompute that every later change would retry.
    Ok(rows
        .into_iter()
        .filter_map(
            |(id, types, rule)| match Membership::of(&types, rule.as_deref()) {
                Ok(membership) => Some((id, membership)),
                Err(problem) => {
                    tracing::warn!(
                        tenant = %tenant.0,
                        group = %id,
                        ?problem,
                        "skipping a stored group whose membership cannot be evaluated"
                    );
                    None
                }
            },
        )
        .collect())
}

/// A device identity as working out its profile needs it.
pub(super) struct DeviceToWorkOut {
    pub(super) id: Uuid,
    pub(super) physical_ids: PhysicalIds,
    intended: Option<Uuid>,
    /// The profile assigned to it directly (`assign`), if any.
    direct: Option<Uuid>,
}

/// A device identity as [`devices_to_work_out`] reads it: id, physical ids, intended profile and
/// the profile assigned to it directly.
type DeviceRow = (Uuid, Vec<String>, Option<Uuid>, Option<Uuid>);

/// The tenant's device identities in `scope` (every one when `None`), with the physical ids of
/// their directory devices (none once the device object is deleted) and the profile assigned to
/// each directly.
pub(super) async fn devices_to_work_out(
    connection: &mut PgConnection,
    tenant: Tenant,
    scope: Option<&[Uuid]>,
) -> Result<Vec<DeviceToWorkOut>, StoreError> {
    // Two statements rather than `$2 IS NULL OR ...`, whose generic plan would scan the tenant
    // for one device.
    // A LEFT JOIN: an identity whose device object was deleted is still worked out (no group
    // holds it any more), so it leaves the profiles its groups gave it.
    const SELECT: &str = "SELECT d.id, coalesce(v.device_physical_ids, '{}'), \
         d.intended_profile_id, a.profile_id \
         FROM device_identities d \
         LEFT JOIN directory_devices v \
           ON v.tenant_id = d.tenant_id AND v.device_identity_id = d.id \
         LEFT JOIN deployment_profile_device_assignments a \
           ON a.tenant_id = d.tenant_id AND a.device_identity_id = d.id \
         WHERE d.tenant_id = $1";
    let query = match scope {
        Some(devices) => sqlx::query_as(AssertSqlSafe(format!("{SELECT} AND d.id = ANY($2)")))
            .bind(tenant.0)
            .bind(devices),
        None => sqlx::query_as(SELECT).bind(tenant.0),
    };
    let rows: Vec<DeviceRow> = query.fetch_all(connection).await?;
    Ok(rows
        .into_iter()
        .map(|(id, physical_ids, intended, direct)| DeviceToWorkOut {
            id,
            physical_ids: PhysicalIds::new(&physical_ids),
            intended,
            direct,
        })
        .collect())
}

/// The (group, device identity) pairs of devices in `scope` (all when `None`) added to one of
/// these groups.
pub(super) async fn added_to(
    connection: &mut PgConnection,
    tenant: Tenant,
    groups: &[Uuid],
    scope: Option<&[Uuid]>,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    const SELECT: &str = "SELECT m.group_id, d.id FROM directory_group_members m \
         JOIN device_identities d \
           ON d.tenant_id = m.tenant_id AND d.directory_object_id = m.device_object_id \
         WHERE m.tenant_id = $1 AND m.group_id = ANY($2)";
    let query = match scope {
        Some(devices) => sqlx::query_as(AssertSqlSafe(format!("{SELECT} AND d.id = ANY($3)")))
            .bind(tenant.0)
            .bind(groups)
            .bind(devices),
        None => sqlx::query_as(AssertSqlSafe(SELECT))
            .bind(tenant.0)
            .bind(groups),
    };
    Ok(query.fetch_all(connection).await?)
}
