//! What a write asks of the background work, in the write's own transaction: assignment recompute
//! requests for the devices or tenants it can move, and a notification that wakes the workers of
//! every instance once it commits. The service does this itself rather than through triggers,
//! which a distributed PostgreSQL (Citus) runs on the node holding the rows, where a NOTIFY
//! reaches no instance and breaks the two-phase commit (issue 24).

use sqlx::PgConnection;
use uuid::Uuid;

use super::assignment_status::ASSIGNMENT_CHANNEL;
use super::directory;
use super::imports::IMPORT_CHANNEL;
use crate::domain::directory::PHYSICAL_IDS_PROPERTY;
use crate::domain::entity::{EntitySet, PropertyValue};

/// The columns of a device identity that move it between dynamic groups.
const GROUPING_COLUMNS: [&str; 2] = ["group_tag", "purchase_order_identifier"];
/// The column of a device identity that its device object's `deviceId` follows.
const ENTRA_DEVICE_ID_COLUMN: &str = "azure_active_directory_device_id";

/// Wakes the listeners on `channel` when the transaction commits (at once outside one).
pub(super) async fn notify(
    connection: &mut PgConnection,
    channel: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(channel)
        .execute(connection)
        .await?;
    Ok(())
}

/// Asks for each (tenant, device) to be worked out again (`None`: every device of the tenant), and
/// wakes the assignment workers.
pub(super) async fn request_recomputes(
    connection: &mut PgConnection,
    requests: &[(Uuid, Option<Uuid>)],
) -> Result<(), sqlx::Error> {
    if requests.is_empty() {
        return Ok(());
    }
    let (tenants, devices): (Vec<Uuid>, Vec<Option<Uuid>>) = requests.iter().copied().unzip();
    sqlx::query(
        "INSERT INTO assignment_recomputes (tenant_id, device_identity_id) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[])",
    )
    .bind(&tenants)
    .bind(&devices)
    .execute(&mut *connection)
    .await?;
    notify(connection, ASSIGNMENT_CHANNEL).await
}

/// As [`request_recomputes`], for the requests of tenants that have profile assignments: new
/// devices matter to no other.
pub(super) async fn request_recomputes_if_assigned(
    connection: &mut PgConnection,
    requests: &[(Uuid, Option<Uuid>)],
) -> Result<(), sqlx::Error> {
    if requests.is_empty() {
        return Ok(());
    }
    let mut tenants: Vec<Uuid> = requests.iter().map(|(tenant, _)| *tenant).collect();
    tenants.sort_unstable();
    tenants.dedup();
    let assigned: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT tenant_id FROM deployment_profile_assignments WHERE tenant_id = ANY($1)",
    )
    .bind(&tenants)
    .fetch_all(&mut *connection)
    .await?;
    let requests: Vec<(Uuid, Option<Uuid>)> = requests
        .iter()
        .filter(|(tenant, _)| assigned.contains(tenant))
        .copied()
        .collect();
    request_recomputes(connection, &requests).await
}

/// What entities just created, as (tenant, id), ask for: a device, its directory device and its
/// status worked out if its tenant assigns profiles; a group, its tenant's; an imported record,
/// processing.
pub(super) async fn after_create(
    connection: &mut PgConnection,
    set: &EntitySet,
    created: &[(Uuid, Uuid)],
) -> Result<(), sqlx::Error> {
    if created.is_empty() {
        return Ok(());
    }
    match set.table {
        "device_identities" => {
            for (tenant, identities) in by_tenant(created) {
                directory::register_identity_devices(connection, tenant, &identities).await?;
            }
            let requests: Vec<_> = created.iter().map(|&(t, id)| (t, Some(id))).collect();
            request_recomputes_if_assigned(connection, &requests).await
        }
        "directory_groups" => request_recomputes(connection, &whole_tenants(created)).await,
        "imported_device_identities" => notify(connection, IMPORT_CHANNEL).await,
        _ => Ok(()),
    }
}

/// What an update of the tenant's entity `id` asks for: a device regrouped, its directory device's
/// physical ids and its status worked out; a device's Entra id changed, its directory device's
/// `deviceId`; a directory device's physical ids changed, or a group
/// changed, its tenant's.
pub(super) async fn after_update(
    connection: &mut PgConnection,
    set: &EntitySet,
    (tenant, id): (Uuid, Uuid),
    assignments: &[PropertyValue],
) -> Result<(), sqlx::Error> {
    let regrouped = || {
        assignments
            .iter()
            .any(|a| GROUPING_COLUMNS.contains(&a.property.column))
    };
    let relinked = || {
        assignments
            .iter()
            .any(|a| a.property.column == ENTRA_DEVICE_ID_COLUMN)
    };
    match set.table {
        "device_identities" if regrouped() => {
            directory::follow_identity(connection, tenant, id).await?;
            request_recomputes(connection, &[(tenant, Some(id))]).await
        }
        "device_identities" if relinked() => {
            directory::follow_identity(connection, tenant, id).await
        }
        "directory_devices"
            if assignments
                .iter()
                .any(|a| a.property.name == PHYSICAL_IDS_PROPERTY) =>
        {
            request_recomputes(connection, &[(tenant, None)]).await
        }
        "directory_groups" => request_recomputes(connection, &[(tenant, None)]).await,
        _ => Ok(()),
    }
}

/// What deleting one of the tenant's entities asks for: a group gone (with its assignments), its
/// tenant's status worked out. A device's member rows go with it and move nothing else.
pub(super) async fn after_delete(
    connection: &mut PgConnection,
    set: &EntitySet,
    tenant: Uuid,
) -> Result<(), sqlx::Error> {
    match set.table {
        "directory_groups" => request_recomputes(connection, &[(tenant, None)]).await,
        _ => Ok(()),
    }
}

/// One request for all of each tenant's devices, for the tenants of `created`.
fn whole_tenants(created: &[(Uuid, Uuid)]) -> Vec<(Uuid, Option<Uuid>)> {
    let mut tenants: Vec<Uuid> = created.iter().map(|(tenant, _)| *tenant).collect();
    tenants.sort_unstable();
    tenants.dedup();
    tenants.into_iter().map(|tenant| (tenant, None)).collect()
}

/// The ids of `created` grouped by their tenant.
fn by_tenant(created: &[(Uuid, Uuid)]) -> Vec<(Uuid, Vec<Uuid>)> {
    let mut grouped: Vec<(Uuid, Vec<Uuid>)> = Vec::new();
    for &(tenant, id) in created {
        match grouped.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, ids)) => ids.push(id),
            None => grouped.push((tenant, vec![id])),
        }
    }
    grouped
}
