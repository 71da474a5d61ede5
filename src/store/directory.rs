//! Directory devices and the links of groups: the members added to groups (groups with a rule
//! have theirs decided by it, see `domain::directory`) and their owners; the device object a
//! device identity's registration creates, created in the identity's transaction and kept in step
//! with it, and the deletion of a device. Also the two questions other parts of the service ask of
//! the directory: whether a group is owned by an application's service principal, and which groups
//! hold a user.

use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::{Store, StoreError, follow_up, insert};
use crate::domain::Tenant;
use crate::domain::directory::{DEVICE_MEMBERS, GROUPS, GroupLink, ObjectKind, StoredGroup};
use crate::domain::entity::{Entity, PropertyValue};

/// What adding a member or an owner did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    AlreadyLinked,
    /// The tenant has no object of the link's kind with that id.
    NoSuchObject,
}

impl Store {
    /// Ties the tenant's object `object` to its group `group` (which must exist) through `link`:
    /// adds a member, or an owner.
    pub async fn add_group_link(
        &self,
        tenant: Tenant,
        link: &'static GroupLink,
        group: Uuid,
        object: Uuid,
    ) -> Result<Added, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let exists: bool = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE tenant_id = $1 AND id = $2)",
            link.objects.table
        )))
        .bind(tenant.0)
        .bind(object)
        .fetch_one(&mut *tx)
        .await?;
        if !exists {
            return Ok(Added::NoSuchObject);
        }
        let added = insert_links(&mut tx, tenant, group, &[(link, object)]).await?;
        tx.commit().await?;
        Ok(if added == 1 {
            Added::Added
        } else {
            Added::AlreadyLinked
        })
    }

    /// Unties `object` from `group` through `link`; false when they were not tied.
    pub async fn remove_group_link(
        &self,
        tenant: Tenant,
        link: &'static GroupLink,
        group: Uuid,
        object: Uuid,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let removed = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND group_id = $2 AND {} = $3",
            link.table, link.object_column
        )))
        .bind(tenant.0)
        .bind(group)
        .bind(object)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed == 1 {
            recompute_added_devices(&mut tx, tenant, &[(link, object)]).await?;
        }
        tx.commit().await?;
        Ok(removed == 1)
    }

    /// Creates a group with its first members and owners (`members@odata.bind`,
    /// `owners@odata.bind`), in one transaction.
    pub async fn create_group_with_links(
        &self,
        tenant: Tenant,
        values: Vec<PropertyValue>,
        links: &[(&'static GroupLink, Uuid)],
    ) -> Result<Entity, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let request = (&GROUPS, tenant, values);
        let group = insert(&mut tx, &GROUPS, &[&request])
            .await?
            .pop()
            .expect("one row inserted for one request")?;
        insert_links(&mut tx, tenant, group.id(), links).await?;
        tx.commit().await?;
        Ok(group)
    }

    /// The kind of the tenant's directory object `id`, if it has one.
    pub async fn directory_object_kind(
        &self,
        tenant: Tenant,
        id: Uuid,
    ) -> Result<Option<ObjectKind>, StoreError> {
        let kind: Option<i32> = sqlx::query_scalar(
            "SELECT 0 FROM directory_devices WHERE tenant_id = $1 AND id = $2 \
             UNION ALL SELECT 1 FROM directory_groups WHERE tenant_id = $1 AND id = $2 \
             UNION ALL SELECT 2 FROM directory_users WHERE tenant_id = $1 AND id = $2 \
             UNION ALL SELECT 3 FROM directory_service_principals WHERE tenant_id = $1 AND id = $2 \
             LIMIT 1",
        )
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(self.pool()?)
        .await?;
        Ok(kind.map(|kind| match kind {
            0 => ObjectKind::Device,
            1 => ObjectKind::Group,
            2 => ObjectKind::User,
            _ => ObjectKind::ServicePrincipal,
        }))
    }

    /// Whether the tenant's group `group` is owned by the service principal of the application
    /// `app_id` (compared case-insensitively, as Entra compares application ids).
    pub async fn group_owned_by_app(
        &self,
        tenant: Tenant,
        group: Uuid,
        app_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM directory_group_service_principal_owners o \
             JOIN directory_service_principals s \
             ON s.tenant_id = o.tenant_id AND s.id = o.service_principal_id \
             WHERE o.tenant_id = $1 AND o.group_id = $2 AND lower(s.app_id) = lower($3))",
        )
        .bind(tenant.0)
        .bind(group)
        .bind(app_id)
        .fetch_one(self.pool()?)
        .await?)
    }

    /// The ids of the tenant's groups that hold the user `user` (added to them: a rule takes
    /// devices only, and groups hold no groups), in id order.
    pub async fn groups_holding_user(
        &self,
        tenant: Tenant,
        user: Uuid,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT group_id FROM directory_group_user_members \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY group_id",
        )
        .bind(tenant.0)
        .bind(user)
        .fetch_all(self.pool()?)
        .await?)
    }
}

/// Ties each object to `group` through its link (a tie already there is kept) and asks for the
/// recomputes the devices added need: the number of ties made.
async fn insert_links(
    connection: &mut sqlx::PgConnection,
    tenant: Tenant,
    group: Uuid,
    links: &[(&'static GroupLink, Uuid)],
) -> Result<u64, sqlx::Error> {
    let mut added = 0;
    let mut devices = Vec::new();
    for &(link, object) in links {
        let inserted = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {} (tenant_id, group_id, {}) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            link.table, link.object_column
        )))
        .bind(tenant.0)
        .bind(group)
        .bind(object)
        .execute(&mut *connection)
        .await?
        .rows_affected();
        if inserted == 1 {
            devices.push((link, object));
        }
        added += inserted;
    }
    recompute_added_devices(connection, tenant, &devices).await?;
    Ok(added)
}

/// Asks for the assignment status of the device identities whose directory devices are among
/// `links` to be worked out again (a group that targets them took or lost them); other objects
/// are no profile's business.
async fn recompute_added_devices(
    connection: &mut sqlx::PgConnection,
    tenant: Tenant,
    links: &[(&'static GroupLink, Uuid)],
) -> Result<(), sqlx::Error> {
    for &(link, object) in links {
        if std::ptr::eq(link, &DEVICE_MEMBERS)
            && let Some(Some(identity)) = directory_device(connection, tenant, object).await?
        {
            follow_up::request_recomputes(connection, &[(tenant.0, Some(identity))]).await?;
        }
    }
    Ok(())
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
