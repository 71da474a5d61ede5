//! The members added to groups (groups with a rule have theirs decided by it, see `domain::directory`).

use uuid::Uuid;

use super::{Store, StoreError};
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
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM device_identities \
                            WHERE tenant_id = $1 AND directory_object_id = $2)",
        )
        .bind(tenant.0)
        .bind(device)
        .fetch_one(&mut *tx)
        .await?;
        if !exists {
            return Ok(Added::NoSuchDevice);
        }
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
        let removed = sqlx::query(
            "DELETE FROM directory_group_members \
             WHERE tenant_id = $1 AND group_id = $2 AND device_object_id = $3",
        )
        .bind(tenant.0)
        .bind(group)
        .bind(device)
        .execute(self.pool()?)
        .await?
        .rows_affected();
        Ok(removed == 1)
    }
}
