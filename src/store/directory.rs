//! The members added to groups (groups with a rule have theirs decided by it, see `domain::directory`).

use uuid::Uuid;

use super::{Store, StoreError, follow_up};
use crate::domain::Tenant;

/// What adding a member did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    AlreadyMember,
    /// The tenant has no directory device with that id.
    NoSuchDevice,
}

impl Store {
    /// Adds the tenant's directory device `device` to its group `group` (which must exist).
    pub async fn add_group_member(
        &self,
        tenant: Tenant,
        group: Uuid,
        device: Uuid,
    ) -> Result<Added, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let Some(identity) = device_identity(&mut tx, tenant, device).await? else {
            return Ok(Added::NoSuchDevice);
        };
        let added = sqlx::query(
            "INSERT INTO directory_group_members (tenant_id, group_id, device_object_id) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.0)
        .bind(group)
        .bind(device)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 1 {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, Some(identity))]).await?;
        }
        tx.commit().await?;
        Ok(if added == 1 {
            Added::Added
        } else {
            Added::AlreadyMember
        })
    }

    /// Removes a member added to a group; false when it was not one.
    pub async fn remove_group_member(
        &self,
        tenant: Tenant,
        group: Uuid,
        device: Uuid,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let removed = sqlx::query(
            "DELETE FROM directory_group_members \
             WHERE tenant_id = $1 AND group_id = $2 AND device_object_id = $3",
        )
        .bind(tenant.0)
        .bind(group)
        .bind(device)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed == 1
            && let Some(identity) = device_identity(&mut tx, tenant, device).await?
        {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, Some(identity))]).await?;
        }
        tx.commit().await?;
        Ok(removed == 1)
    }
}

/// The device identity of the tenant's directory device `device`, if it has that device.
async fn device_identity(
    connection: &mut sqlx::PgConnection,
    tenant: Tenant,
    device: Uuid,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM device_identities WHERE tenant_id = $1 AND directory_object_id = $2",
    )
    .bind(tenant.0)
    .bind(device)
    .fetch_optional(connection)
    .await
}
