//! Directory devices and the members added to groups (groups with a rule have theirs decided by
//! it, see `domain::directory`): the device object a device identity's registration creates,
//! created in the identity's transaction and kept in step with it, and the deletion of a device.

use uuid::Uuid;

use super::{Store, StoreError, follow_up};
use crate::domain::Tenant;
use crate::domain::directory::StoredGroup;

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
        let Some(identity) = directory_device(&mut tx, tenant, device).await? else {
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
        if added == 1
            && let Some(identity) = identity
        {
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
            && let Some(Some(identity)) = directory_device(&mut tx, tenant, device).await?
        {
            follow_up::request_recomputes(&mut tx, &[(tenant.0, Some(identity))]).await?;
        }
        tx.commit().await?;
        Ok(removed == 1)
    }
}

impl Store {
    /// What working out the groups of the tenant's directory device `device` needs: the groups it
    /// was added to, the tenant's groups with a rule, and its physical ids; none without such a
    /// device.
    pub async fn device_groups(
        &self,
        tenant: Tenant,
        device: Uuid,
    ) -> Result<Option<DeviceGroups>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let physical_ids: Option<Vec<String>> = sqlx::query_scalar(
            "SELECT device_physical_ids FROM directory_devices WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(device)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(physical_ids) = physical_ids else {
            return Ok(None);
        };
        let added_to: Vec<Uuid> = sqlx::query_scalar(
            "SELECT group_id FROM directory_group_members \
             WHERE tenant_id = $1 AND device_object_id = $2",
        )
        .bind(tenant.0)
        .bind(device)
        .fetch_all(&mut *tx)
        .await?;
        let with_rules: Vec<StoredGroup> = sqlx::query_as(
            "SELECT id, group_types, membership_rule FROM directory_groups \
             WHERE tenant_id = $1 AND membership_rule IS NOT NULL",
        )
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(DeviceGroups {
            added_to,
            with_rules,
            physical_ids,
        }))
    }
}

/// A directory device's memberships as stored (see [`Store::device_groups`]).
#[derive(Debug)]
pub struct DeviceGroups {
    pub added_to: Vec<Uuid>,
    pub with_rules: Vec<StoredGroup>,
    pub physical_ids: Vec<String>,
}

/// Whether the tenant has the directory device `device`, and the device identity it belongs to
/// (none for a device an app created).
async fn directory_device(
    connection: &mut sqlx::PgConnection,
    tenant: Tenant,
    device: Uuid,
) -> Result<Option<Option<Uuid>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT device_identity_id FROM directory_devices WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.0)
    .bind(device)
    .fetch_optional(connection)
    .await
}

/// What deleting a directory device did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceDeleted {
    Deleted,
    /// The tenant has no directory device with that id.
    NoSuchDevice,
}

impl Store {
    /// Deletes the tenant's directory device `device`, with its group memberships. The device
    /// identity it belonged to stays, no longer linked to a device object: its
    /// `azureActiveDirectoryDeviceId` becomes the empty GUID, and the groups its device was in
    /// no longer target it.
    pub async fn delete_directory_device(
        &self,
        tenant: Tenant,
        device: Uuid,
    ) -> Result<DeviceDeleted, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let deleted: Option<Option<Uuid>> = sqlx::query_scalar(
            "DELETE FROM directory_devices WHERE tenant_id = $1 AND id = $2 \
             RETURNING device_identity_id",
        )
        .bind(tenant.0)
        .bind(device)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(identity) = deleted else {
            return Ok(DeviceDeleted::NoSuchDevice);
        };
        if let Some(identity) = identity {
            sqlx::query(
                "UPDATE device_identities SET azure_active_directory_device_id = $3, \
                 updated_at = now() WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.0)
            .bind(identity)
            .bind(Uuid::nil().to_string())
            .execute(&mut *tx)
            .await?;
            follow_up::request_recomputes(&mut tx, &[(tenant.0, Some(identity))]).await?;
        }
        tx.commit().await?;
        Ok(DeviceDeleted::Deleted)
    }
}

/// Creates the device object that Autopilot registration gives each of the tenant's new device
/// identities `identities`: its id is the identity's `directory_object_id`, its `deviceId` the
/// identity's `azureActiveDirectoryDeviceId` (its own id when a client emptied that), its name the
/// serial number.
pub(super) async fn register_identity_devices(
    connection: &mut sqlx::PgConnection,
    tenant: Uuid,
    identities: &[Uuid],
) -> Result<(), sqlx::Error> {
    if identities.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO directory_devices (tenant_id, id, device_identity_id, device_id, \
             device_ownership, display_name, manufacturer, model, device_physical_ids, \
             profile_type, registration_date_time, trust_type) \
         SELECT tenant_id, directory_object_id, id, \
             coalesce(nullif(azure_active_directory_device_id, ''), directory_object_id::text), \
             'Company', \
             serial_number, manufacturer, model, \
             autopilot_physical_ids(id, group_tag, purchase_order_identifier), \
             'RegisteredDevice', created_at, 'AzureAd' \
         FROM device_identities WHERE tenant_id = $1 AND id = ANY($2)",
    )
    .bind(tenant)
    .bind(identities)
    .execute(connection)
    .await?;
    Ok(())
}

/// Brings the device object of the tenant's identity `identity` in step with the identity: its
/// physical ids with the group tag and purchase order, its `deviceId` with the identity's
/// `azureActiveDirectoryDeviceId` (what offboarding scripts look the device up by).
pub(super) async fn follow_identity(
    connection: &mut sqlx::PgConnection,
    tenant: Uuid,
    identity: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE directory_devices v SET updated_at = now(), device_physical_ids = \
             autopilot_physical_ids(d.id, d.group_tag, d.purchase_order_identifier), \
             device_id = coalesce(nullif(d.azure_active_directory_device_id, ''), v.id::text) \
         FROM device_identities d WHERE v.tenant_id = $1 AND v.device_identity_id = $2 \
         AND d.tenant_id = $1 AND d.id = $2",
    )
    .bind(tenant)
    .bind(identity)
    .execute(connection)
    .await?;
    Ok(())
}
