//! Deployment profile assignments (to groups, and to devices directly), the profiles a request
//! names, and the delete of a profile, which its group assignments hold back.

use std::collections::HashSet;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{Store, StoreError, follow_up};
use crate::domain::Tenant;
use crate::domain::profile_assignment::{
    AssignmentTarget, NewAssignment, ProfileAssignment, assignment_id,
};

pub(super) const COLUMNS: &str = "id, profile_id, target_type, group_id, source, source_id";

/// What creating an assignment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentCreated {
    Created(ProfileAssignment),
    /// The profile already has an assignment with this id (to the same group).
    Duplicate(String),
    /// The tenant has no group with the target's id.
    NoSuchGroup(Uuid),
    NoSuchProfile,
}

/// What assigning a profile to devices directly (`assign`) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicesAssigned {
    Assigned,
    NoSuchProfile,
    /// Nothing changed: the tenant has no device identities with these ids.
    NoSuchDevices(Vec<Uuid>),
}

/// The profiles of a device identity, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceProfileIds {
    /// The profile that targets it (its `intendedDeploymentProfile`).
    pub intended: Option<Uuid>,
    /// The profile it has (its `deploymentProfile`).
    pub assigned: Option<Uuid>,
    /// The profile assigned to it directly, which outranks every group assignment.
    pub direct: Option<Uuid>,
}

/// What deleting a profile did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileDeleted {
    Deleted,
    NotFound,
    /// Not deleted: these assignments still hold it.
    Assigned(Vec<String>),
}

pub(super) fn assignment(row: &PgRow) -> Result<ProfileAssignment, sqlx::Error> {
    let type_name: String = row.try_get("target_type")?;
    let group: Option<Uuid> = row.try_get("group_id")?;
    let target = AssignmentTarget::of(&type_name, group).ok_or_else(|| {
        sqlx::Error::Decode(format!("no assignment target {type_name} with group {group:?}").into())
    })?;
    Ok(ProfileAssignment {
        id: row.try_get("id")?,
        profile: row.try_get("profile_id")?,
        target,
        source: row.try_get("source")?,
        source_id: row.try_get("source_id")?,
    })
}

/// Whether the tenant has the profile, locked as `lock` says against a concurrent change.
async fn profile_exists(
    connection: &mut PgConnection,
    tenant: Tenant,
    profile: Uuid,
    lock: &str,
) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM deployment_profiles WHERE tenant_id = $1 AND id = $2 {lock})"
    );
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(tenant.0)
        .bind(profile)
        .fetch_one(connection)
        .await?)
}

impl Store {
    /// The assignments of the tenant's `profiles`, oldest first.
    pub async fn profile_assignments(
        &self,
        tenant: Tenant,
        profiles: &[Uuid],
    ) -> Result<Vec<ProfileAssignment>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM deployment_profile_assignments \
             WHERE tenant_id = $1 AND profile_id = ANY($2) ORDER BY created_at, id"
        )))
        .bind(tenant.0)
        .bind(profiles)
        .fetch_all(self.pool()?)
        .await?;
        Ok(rows.iter().map(assignment).collect::<Result<_, _>>()?)
    }

    pub async fn profile_assignment(
        &self,
        tenant: Tenant,
        profile: Uuid,
        id: &str,
    ) -> Result<Option<ProfileAssignment>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM deployment_profile_assignments \
             WHERE tenant_id = $1 AND profile_id = $2 AND id = $3"
        )))
        .bind(tenant.0)
        .bind(profile)
        .bind(id)
        .fetch_optional(self.pool()?)
        .await?;
        Ok(row.as_ref().map(assignment).transpose()?)
    }

    /// Assigns the tenant's profile to a target, whose group must be the tenant's.
    pub async fn create_profile_assignment(
        &self,
        tenant: Tenant,
        profile: Uuid,
        new: &NewAssignment,
    ) -> Result<AssignmentCreated, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        // KEY SHARE: the profile cannot be deleted until this assignment is in.
        if !profile_exists(&mut tx, tenant, profile, "FOR KEY SHARE").await? {
            return Ok(AssignmentCreated::NoSuchProfile);
        }
        if let Some(group) = new.target.group() {
            let exists: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM directory_groups WHERE tenant_id = $1 AND id = $2)",
            )
            .bind(tenant.0)
            .bind(group)
            .fetch_one(&mut *tx)
            .await?;
            if !exists {
                return Ok(AssignmentCreated::NoSuchGroup(group));
            }
        }
        let id = assignment_id(profile, new.target);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO deployment_profile_assignments \
                 (id, tenant_id, profile_id, target_type, group_id, source, source_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, id) DO NOTHING \
             RETURNING {COLUMNS}"
        )))
        .bind(&id)
        .bind(tenant.0)
        .bind(profile)
        .bind(new.target.type_name())
        .bind(new.target.group())
        .bind(&new.source)
        .bind(&new.source_id)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_some() {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, None)]).await?;
        }
        tx.commit().await?;
        Ok(match row {
            Some(row) => AssignmentCreated::Created(assignment(&row)?),
            None => AssignmentCreated::Duplicate(id),
        })
    }

    /// Stores an assignment as `changed` has it (its id unchanged); false when the tenant's profile
    /// has no assignment with that id any more.
    pub async fn update_profile_assignment(
        &self,
        tenant: Tenant,
        changed: &ProfileAssignment,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let updated = sqlx::query(
            "UPDATE deployment_profile_assignments \
             SET target_type = $4, source = $5, source_id = $6 \
             WHERE tenant_id = $1 AND profile_id = $2 AND id = $3",
        )
        .bind(tenant.0)
        .bind(changed.profile)
        .bind(&changed.id)
        .bind(changed.target.type_name())
        .bind(&changed.source)
        .bind(&changed.source_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            // Included or excluded: the devices the profile targets may change.
            follow_up::request_recomputes(&mut tx, &[(tenant.0, None)]).await?;
        }
        tx.commit().await?;
        Ok(updated == 1)
    }

    /// The profiles of the tenant's device identity `device` (none when it is gone), read in one
    /// statement: the one that targets it, the one it has, and the one assigned to it directly.
    pub async fn device_profile_ids(
        &self,
        tenant: Tenant,
        device: Uuid,
    ) -> Result<DeviceProfileIds, StoreError> {
        let row: Option<(Option<Uuid>, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
            "SELECT d.intended_profile_id, d.assigned_profile_id, a.profile_id \
             FROM device_identities d \
             LEFT JOIN deployment_profile_device_assignments a \
                 ON a.tenant_id = d.tenant_id AND a.device_identity_id = d.id \
             WHERE d.tenant_id = $1 AND d.id = $2",
        )
        .bind(tenant.0)
        .bind(device)
        .fetch_optional(self.pool()?)
        .await?;
        let (intended, assigned, direct) = row.unwrap_or_default();
        Ok(DeviceProfileIds {
            intended,
            assigned,
            direct,
        })
    }

    /// All of the tenant's profile assignments, oldest first.
    pub async fn tenant_profile_assignments(
        &self,
        tenant: Tenant,
    ) -> Result<Vec<ProfileAssignment>, StoreError> {
        let mut connection = self.pool()?.acquire().await?;
        super::assignment_status::tenant_assignments(&mut connection, tenant).await
    }

    /// Which of `profiles` the tenant has.
    pub async fn deployment_profiles_among(
        &self,
        tenant: Tenant,
        profiles: &[Uuid],
    ) -> Result<HashSet<Uuid>, StoreError> {
        let found: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM deployment_profiles WHERE tenant_id = $1 AND id = ANY($2)",
        )
        .bind(tenant.0)
        .bind(profiles)
        .fetch_all(self.pool()?)
        .await?;
        Ok(found.into_iter().collect())
    }

    /// Deletes an assignment of the tenant's profile; false when there is none with that id.
    pub async fn delete_profile_assignment(
        &self,
        tenant: Tenant,
        profile: Uuid,
        id: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let deleted = sqlx::query(
            "DELETE FROM deployment_profile_assignments \
             WHERE tenant_id = $1 AND profile_id = $2 AND id = $3",
        )
        .bind(tenant.0)
        .bind(profile)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted == 1 {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, None)]).await?;
        }
        tx.commit().await?;
        Ok(deleted == 1)
    }

    /// Makes `devices` the device identities the tenant's profile is assigned to directly,
    /// replacing those it had; a device assigned directly to another profile moves to this one.
    pub async fn assign_profile_to_devices(
        &self,
        tenant: Tenant,
        profile: Uuid,
        devices: &[Uuid],
    ) -> Result<DevicesAssigned, StoreError> {
        let mut devices = devices.to_vec();
        devices.sort_unstable();
        devices.dedup();
        let mut tx = self.pool()?.begin().await?;
        // The profile is neither deleted nor assigned by another call until this one commits.
        if !profile_exists(&mut tx, tenant, profile, "FOR NO KEY UPDATE").await? {
            return Ok(DevicesAssigned::NoSuchProfile);
        }
        // Every device whose direct assignment this call writes (those it takes, those it lets
        // go) is locked first, in id order: two calls for different profiles that share devices
        // then wait for each other instead of deadlocking on the assignment rows (found in review).
        let held: Vec<Uuid> = sqlx::query_scalar(
            "SELECT device_identity_id FROM deployment_profile_device_assignments \
             WHERE tenant_id = $1 AND profile_id = $2",
        )
        .bind(tenant.0)
        .bind(profile)
        .fetch_all(&mut *tx)
        .await?;
        let mut touched: Vec<Uuid> = devices.iter().chain(&held).copied().collect();
        touched.sort_unstable();
        touched.dedup();
        let found: HashSet<Uuid> = sqlx::query_scalar(
            "SELECT id FROM device_identities WHERE tenant_id = $1 AND id = ANY($2) \
             ORDER BY id FOR NO KEY UPDATE",
        )
        .bind(tenant.0)
        .bind(&touched)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let missing: Vec<Uuid> = devices
            .iter()
            .filter(|device| !found.contains(device))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Ok(DevicesAssigned::NoSuchDevices(missing));
        }
        sqlx::query(
            "DELETE FROM deployment_profile_device_assignments \
             WHERE tenant_id = $1 AND profile_id = $2",
        )
        .bind(tenant.0)
        .bind(profile)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO deployment_profile_device_assignments \
                 (tenant_id, device_identity_id, profile_id) \
             SELECT $1, device, $2 FROM unnest($3::uuid[]) AS device \
             ON CONFLICT (tenant_id, device_identity_id) \
             DO UPDATE SET profile_id = EXCLUDED.profile_id, created_at = EXCLUDED.created_at",
        )
        .bind(tenant.0)
        .bind(profile)
        .bind(&devices)
        .execute(&mut *tx)
        .await?;
        // The devices it had and those it takes, from other profiles too, are worked out again.
        follow_up::request_recomputes(&mut tx, &[(tenant.0, None)]).await?;
        tx.commit().await?;
        Ok(DevicesAssigned::Assigned)
    }

    /// Deletes the tenant's profile unless assignments still hold it.
    pub async fn delete_deployment_profile(
        &self,
        tenant: Tenant,
        profile: Uuid,
    ) -> Result<ProfileDeleted, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        // FOR UPDATE waits for assignments being created, and holds off new ones.
        if !profile_exists(&mut tx, tenant, profile, "FOR UPDATE").await? {
            return Ok(ProfileDeleted::NotFound);
        }
        let assigned: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM deployment_profile_assignments \
             WHERE tenant_id = $1 AND profile_id = $2 ORDER BY created_at, id",
        )
        .bind(tenant.0)
        .bind(profile)
        .fetch_all(&mut *tx)
        .await?;
        if !assigned.is_empty() {
            return Ok(ProfileDeleted::Assigned(assigned));
        }
        // Devices it was assigned to directly are let go, and find their profile again.
        let let_go = sqlx::query(
            "DELETE FROM deployment_profile_device_assignments \
             WHERE tenant_id = $1 AND profile_id = $2",
        )
        .bind(tenant.0)
        .bind(profile)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if let_go > 0 {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, None)]).await?;
        }
        sqlx::query("DELETE FROM deployment_profiles WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(profile)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ProfileDeleted::Deleted)
    }
}
