//! Processing imported identities: finding the tenants with records due, then, tenant by tenant,
//! claiming the records that are due, creating their device identities and recording each outcome,
//! all in one transaction per batch. `FOR UPDATE SKIP LOCKED` lets every instance take a share of a
//! tenant's queue and no record twice; a transaction cut short (a crash, SIGKILL) leaves its
//! records pending for the next attempt.

use std::collections::HashMap;
use std::time::Duration;

use uuid::Uuid;

use super::{Store, StoreError, directory, follow_up};
use crate::domain::Tenant;
use crate::domain::import::{ALREADY_ASSIGNED, ImportOutcome, ImportRecord, SerialOwner};

/// The channel notified when records are inserted.
pub const IMPORT_CHANNEL: &str = "autopilot_imports";

/// The first pause after a tenant's batch fails; it doubles with each failure in a row.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest pause between a tenant's failing batches.
const LAST_RETRY: Duration = Duration::from_secs(60);

/// A claimed record.
#[derive(sqlx::FromRow)]
struct Pending {
    id: Uuid,
    tenant_id: Uuid,
    serial_number: Option<String>,
    product_key: Option<String>,
    hardware_identifier: Option<Vec<u8>>,
    group_tag: Option<String>,
    assigned_user_principal_name: Option<String>,
}

impl Store {
    /// The tenants with records created at least `delay` ago, those with the oldest first, among
    /// the oldest [`DISCOVERY_WINDOW`] such records: it reads across tenants, without locks. A
    /// tenant waiting out a failure is left out, so its records leave room for others'.
    pub async fn tenants_with_imports_due(
        &self,
        delay: Duration,
    ) -> Result<Vec<Tenant>, StoreError> {
        self.tenants_due(
            "SELECT tenant_id FROM (SELECT tenant_id, created_at FROM imported_device_identities i \
                                    WHERE pending AND created_at <= now() - make_interval(secs => $1) \
                                      AND NOT EXISTS (SELECT 1 FROM import_retries r \
                                                      WHERE r.tenant_id = i.tenant_id \
                                                        AND r.retry_at > now()) \
                                    ORDER BY created_at LIMIT $2) AS due \
             GROUP BY tenant_id ORDER BY min(created_at)",
            delay,
        )
        .await
    }

    /// Processes at most `limit` of the tenant's records created at least `delay` ago, oldest
    /// first; returns how many it processed.
    pub async fn process_imports(
        &self,
        tenant: Tenant,
        delay: Duration,
        limit: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let claimed: Vec<Pending> = sqlx::query_as(
            "SELECT id, tenant_id, serial_number, product_key, hardware_identifier, group_tag, \
                    assigned_user_principal_name \
             FROM imported_device_identities \
             WHERE tenant_id = $3 AND pending AND created_at <= now() - make_interval(secs => $1) \
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(delay.as_secs_f64())
        .bind(limit)
        .bind(tenant.0)
        .fetch_all(&mut *tx)
        .await?;
        if claimed.is_empty() {
            return Ok(0);
        }

        // Who owns each serial now, in any tenant; then the batch's own claims, in order.
        let serials: Vec<String> = claimed
            .iter()
            .filter_map(|r| r.serial_number.as_deref().map(str::to_lowercase))
            .collect();
        let mut owners: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (owner, serial) in sqlx::query_as::<_, (Uuid, String)>(
            "SELECT tenant_id, lower(serial_number) FROM device_identities \
             WHERE lower(serial_number) = ANY($1)",
        )
        .bind(&serials)
        .fetch_all(&mut *tx)
        .await?
        {
            owners.entry(serial).or_default().push(owner);
        }
        let mut outcomes: Vec<ImportOutcome> = Vec::with_capacity(claimed.len());
        for record in &claimed {
            let serial = record.serial_number.as_deref().map(str::to_lowercase);
            let owner = match serial.as_ref().and_then(|s| owners.get(s)) {
                None => SerialOwner::Nobody,
                Some(tenants) if tenants.contains(&record.tenant_id) => SerialOwner::ThisTenant,
                Some(_) => SerialOwner::OtherTenant,
            };
            let outcome = ImportRecord {
                serial_number: record.serial_number.as_deref(),
                product_key: record.product_key.as_deref(),
                hardware_identifier: record.hardware_identifier.as_deref(),
            }
            .outcome(owner);
            if let (ImportOutcome::Complete, Some(serial)) = (outcome, serial) {
                owners.entry(serial).or_default().push(record.tenant_id);
            }
            outcomes.push(outcome);
        }

        // The devices, with ids chosen here; a row the unique index refuses lost to a device
        // created meanwhile outside this batch, which makes its record a 806.
        let completing: Vec<(&Pending, Uuid)> = claimed
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| **outcome == ImportOutcome::Complete)
            .map(|(record, _)| (record, Uuid::new_v4()))
            .collect();
        let column = |f: fn(&Pending) -> Option<String>| -> Vec<Option<String>> {
            completing.iter().map(|(record, _)| f(record)).collect()
        };
        let created: Vec<Uuid> = sqlx::query_scalar(
            "INSERT INTO device_identities (id, tenant_id, serial_number, group_tag, product_key, \
                                            user_principal_name, hardware_identifier) \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], \
                                  $6::text[], $7::bytea[]) \
             ON CONFLICT (tenant_id, lower(serial_number)) DO NOTHING RETURNING id",
        )
        .bind(completing.iter().map(|(_, id)| *id).collect::<Vec<_>>())
        .bind(
            completing
                .iter()
                .map(|(r, _)| r.tenant_id)
                .collect::<Vec<_>>(),
        )
        .bind(column(|r| r.serial_number.clone()))
        .bind(column(|r| r.group_tag.clone()))
        .bind(column(|r| r.product_key.clone()))
        .bind(column(|r| r.assigned_user_principal_name.clone()))
        .bind(
            completing
                .iter()
                .map(|(r, _)| r.hardware_identifier.clone())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *tx)
        .await?;
        let device_of: HashMap<Uuid, Uuid> = completing
            .iter()
            .filter(|(_, device)| created.contains(device))
            .map(|(record, device)| (record.id, *device))
            .collect();
        let new_devices: Vec<(Uuid, Option<Uuid>)> = created
            .iter()
            .map(|&device| (tenant.0, Some(device)))
            .collect();
        directory::register_identity_devices(&mut tx, tenant.0, &created).await?;
        follow_up::request_recomputes_if_assigned(&mut tx, &new_devices).await?;

        let mut ids = Vec::with_capacity(claimed.len());
        let mut statuses = Vec::with_capacity(claimed.len());
        let mut registrations = Vec::with_capacity(claimed.len());
        let mut codes = Vec::with_capacity(claimed.len());
        let mut names = Vec::with_capacity(claimed.len());
        for (record, outcome) in claimed.iter().zip(outcomes) {
            let device = device_of.get(&record.id);
            let outcome = match (outcome, device) {
                (ImportOutcome::Complete, None) => ALREADY_ASSIGNED,
                (outcome, _) => outcome,
            };
            let (code, name) = outcome.error_code_and_name();
            ids.push(record.id);
            statuses.push(outcome.status());
            registrations.push(device.map(Uuid::to_string).unwrap_or_default());
            codes.push(code);
            names.push(name);
        }
        sqlx::query(
            "UPDATE imported_device_identities AS r \
             SET device_import_status = u.status, device_registration_id = u.registration, \
                 device_error_code = u.code, device_error_name = u.name, pending = false, \
                 updated_at = now() \
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[]) \
                  AS u(id, status, registration, code, name) \
             WHERE r.tenant_id = $6 AND r.id = u.id",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&registrations)
        .bind(&codes)
        .bind(&names)
        .bind(tenant.0)
        .execute(&mut *tx)
        .await?;
        // A batch that went through ends the tenant's failures in a row.
        sqlx::query("DELETE FROM import_retries WHERE tenant_id = $1")
            .bind(tenant.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(claimed.len())
    }

    /// Holds the tenant's records back after a failed batch, for a pause that doubles with each
    /// failure in a row (from [`FIRST_RETRY`] to [`LAST_RETRY`]); returns the pause.
    pub async fn defer_imports(&self, tenant: Tenant) -> Result<Duration, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let failed: Option<i32> = sqlx::query_scalar(
            "SELECT attempts FROM import_retries WHERE tenant_id = $1 FOR UPDATE",
        )
        .bind(tenant.0)
        .fetch_optional(&mut *tx)
        .await?;
        let attempts = failed.unwrap_or(0).saturating_add(1);
        let pause = FIRST_RETRY
            .saturating_mul(1 << (attempts - 1).clamp(0, 16))
            .min(LAST_RETRY);
        sqlx::query(
            "INSERT INTO import_retries (tenant_id, attempts, retry_at) \
             VALUES ($1, $2, now() + make_interval(secs => $3)) \
             ON CONFLICT (tenant_id) DO UPDATE \
             SET attempts = EXCLUDED.attempts, retry_at = EXCLUDED.retry_at",
        )
        .bind(tenant.0)
        .bind(attempts)
        .bind(pause.as_secs_f64())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(pause)
    }

    /// How long until the oldest pending record is due with `delay`, or its tenant's retry after
    /// a failure: zero when one is due now, `None` when nothing is pending.
    pub async fn next_import_due(&self, delay: Duration) -> Result<Option<Duration>, StoreError> {
        let seconds: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM min(greatest(i.created_at + make_interval(secs => $1), \
                                                    r.retry_at)) - now())::float8 \
             FROM imported_device_identities i \
             LEFT JOIN import_retries r ON r.tenant_id = i.tenant_id \
             WHERE i.pending",
        )
        .bind(delay.as_secs_f64())
        .fetch_one(self.pool()?)
        .await?;
        Ok(seconds.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or_default()))
    }
}
