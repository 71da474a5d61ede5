//! Offboarding as Intune enforces its order: an Autopilot identity whose device is still enrolled
//! (a managed device of the tenant names it) cannot be deleted until that managed device is, one
//! by id or several by serial number (`deleteDevices`).

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, StoreError, follow_up};
use crate::domain::Tenant;
use crate::domain::device_identity::DEVICE_IDENTITIES;

/// What deleting an Autopilot identity did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityDeleted {
    Deleted,
    /// The tenant has no identity with that id.
    NotFound,
    /// The identity's device is enrolled: the id of its managed device, which goes first.
    Enrolled(String),
}

impl Store {
    /// Deletes the tenant's identity `id` unless its device is enrolled. The identity's row is
    /// locked first, so a managed device's deletion or an enrollment cannot slip in between.
    pub async fn delete_device_identity(
        &self,
        tenant: Tenant,
        id: Uuid,
    ) -> Result<IdentityDeleted, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let deleted = delete_unless_enrolled(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(deleted)
    }
}

/// What `deleteDevices` did with one serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialDeleted {
    pub serial_number: String,
    /// The identity the serial named, if the tenant had one.
    pub identity: Option<Uuid>,
    pub outcome: IdentityDeleted,
}

impl Store {
    /// Deletes the tenant's identities with these serial numbers (case-insensitive), each under
    /// the rule of [`Store::delete_device_identity`], in one transaction: an answer per serial.
    pub async fn delete_device_identities_by_serial(
        &self,
        tenant: Tenant,
        serial_numbers: Vec<String>,
    ) -> Result<Vec<SerialDeleted>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let mut answers = Vec::with_capacity(serial_numbers.len());
        for serial_number in serial_numbers {
            let identity: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM device_identities \
                 WHERE tenant_id = $1 AND lower(serial_number) = lower($2)",
            )
            .bind(tenant.0)
            .bind(&serial_number)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = match identity {
                Some(id) => delete_unless_enrolled(&mut tx, tenant, id).await?,
                None => IdentityDeleted::NotFound,
            };
            answers.push(SerialDeleted {
                serial_number,
                identity,
                outcome,
            });
        }
        tx.commit().await?;
        Ok(answers)
    }
}

/// In the caller's transaction: see [`Store::delete_device_identity`].
async fn delete_unless_enrolled(
    connection: &mut PgConnection,
    tenant: Tenant,
    id: Uuid,
) -> Result<IdentityDeleted, sqlx::Error> {
    let found: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT (SELECT m.id::text FROM managed_devices m \
                 WHERE m.tenant_id = d.tenant_id AND m.id::text = lower(d.managed_device_id)) \
         FROM device_identities d WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d",
    )
    .bind(tenant.0)
    .bind(id)
    .fetch_optional(&mut *connection)
    .await?;
    match found {
        None => Ok(IdentityDeleted::NotFound),
        Some((Some(managed_device),)) => Ok(IdentityDeleted::Enrolled(managed_device)),
        Some((None,)) => {
            // The Entra device object stays, linked to no identity (Graph keeps it for the
            // offboarding's last step).
            sqlx::query(
                "UPDATE directory_devices SET device_identity_id = NULL \
                 WHERE tenant_id = $1 AND device_identity_id = $2",
            )
            .bind(tenant.0)
            .bind(id)
            .execute(&mut *connection)
            .await?;
            sqlx::query("DELETE FROM device_identities WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(id)
                .execute(&mut *connection)
                .await?;
            follow_up::after_delete(connection, &DEVICE_IDENTITIES, tenant.0).await?;
            Ok(IdentityDeleted::Deleted)
        }
    }
}
