//! Corporate identifiers beyond the generic entity-set SQL: importing a list (each identifier
//! stored, or reported as already there, or replaced when asked), searching for existing ones,
//! what an enrollment writes on the identifier of its device, and the enrollment gate: whether a
//! Windows device named by manufacturer, model and serial number may enroll in a tenant.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::enrollment::{ENROLLMENT_ASSIGNMENTS, read_assignments};
use super::{Store, StoreError, entity_from_row, select_columns};
use crate::domain::Tenant;
use crate::domain::corporate_identifier::{
    CORPORATE_IDENTIFIERS, CorporateEvidence, CorporateIdentifier, EnrollmentRefusal,
    IdentifierEnrollment, Ownership, SoughtIdentifier, WindowsRestriction,
    may_windows_device_enroll,
};
use crate::domain::enrollment_configuration::{
    PLATFORM_RESTRICTIONS, RankedConfiguration, SINGLE_PLATFORM, applicable_configuration,
    default_of_family,
};
use crate::domain::entity::{Entity, PropertyValue, Value};

/// One identifier of an import, as it now stands in the tenant, and whether this import stored it.
#[derive(Debug)]
pub struct ImportedIdentifier {
    pub entity: Entity,
    pub stored: bool,
}

/// The text value of the property named `name` among `assignments`, if sent.
fn text_of(assignments: &[PropertyValue], name: &str) -> Option<String> {
    assignments
        .iter()
        .find(|a| a.property.name == name)
        .and_then(|a| match &a.value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        })
}

impl Store {
    /// Imports `identifiers` (each already checked by the domain's rules) in one transaction. An
    /// identifier the tenant already has (case-insensitively), or one given earlier in the same
    /// list, is not stored unless `overwrite`; then the tenant's identifier takes the new type,
    /// description and platform, keeping its id, creation and enrollment state. Answers each
    /// identifier in the order given, as it now stands.
    pub async fn import_corporate_identifiers(
        &self,
        tenant: Tenant,
        identifiers: &[Vec<PropertyValue>],
        overwrite: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportedIdentifier>, StoreError> {
        if identifiers.is_empty() {
            return Ok(Vec::new());
        }
        let column = |name| text_of_all(identifiers, name);
        let texts = column("importedDeviceIdentifier");
        let ids: Vec<Uuid> = identifiers.iter().map(|_| Uuid::new_v4()).collect();
        let on_conflict = if overwrite {
            "DO UPDATE SET imported_device_identifier = EXCLUDED.imported_device_identifier, \
             imported_device_identity_type = EXCLUDED.imported_device_identity_type, \
             description = EXCLUDED.description, platform = EXCLUDED.platform, \
             last_modified_date_time = EXCLUDED.last_modified_date_time, \
             updated_at = EXCLUDED.updated_at"
        } else {
            "DO NOTHING"
        };
        // The first of several identifiers that compare equal is the one written; the time is
        // the caller's, as Citus takes no now() in the values an UPDATE sets.
        let write = format!(
            "WITH given AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], \
             $6::text[]) WITH ORDINALITY AS g(id, identifier, identity_type, description, \
             platform, n)), \
             first AS (SELECT DISTINCT ON (lower(identifier)) * FROM given \
             ORDER BY lower(identifier), n) \
             INSERT INTO corporate_identifiers (tenant_id, id, imported_device_identifier, \
             imported_device_identity_type, description, platform, created_date_time, \
             last_modified_date_time, created_at, updated_at) \
             SELECT $1, id, identifier, identity_type, description, \
             coalesce(platform, 'unknown'), $7, $7, $7, $7 FROM first \
             ON CONFLICT (tenant_id, lower(imported_device_identifier)) {on_conflict} \
             RETURNING lower(imported_device_identifier)"
        );
        let mut tx = self.pool()?.begin().await?;
        let written: Vec<String> = sqlx::query_scalar(AssertSqlSafe(write))
            .bind(tenant.0)
            .bind(&ids)
            .bind(&texts)
            .bind(column("importedDeviceIdentityType"))
            .bind(column("description"))
            .bind(column("platform"))
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        let read = format!(
            "SELECT {}, g.n = min(g.n) OVER (PARTITION BY lower(g.identifier)) \
             AND lower(g.identifier) = ANY($3) \
             FROM unnest($2::text[]) WITH ORDINALITY AS g(identifier, n) \
             JOIN corporate_identifiers c ON c.tenant_id = $1 \
             AND lower(c.imported_device_identifier) = lower(g.identifier) \
             ORDER BY g.n",
            qualified_columns()
        );
        let rows = sqlx::query(AssertSqlSafe(read))
            .bind(tenant.0)
            .bind(&texts)
            .bind(&written)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let stored_at = CORPORATE_IDENTIFIERS.columns().count();
        Ok(rows
            .iter()
            .map(|row| {
                Ok(ImportedIdentifier {
                    entity: entity_from_row(&CORPORATE_IDENTIFIERS, row)?,
                    stored: row.try_get(stored_at)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// The tenant's identifiers that `sought` name (case-insensitively, and of the type an item
    /// gives when it gives one), oldest first.
    pub async fn search_corporate_identifiers(
        &self,
        tenant: Tenant,
        sought: &[SoughtIdentifier],
    ) -> Result<Vec<Entity>, StoreError> {
        let texts: Vec<&str> = sought.iter().map(|s| s.text.as_str()).collect();
        let types: Vec<Option<&str>> = sought.iter().map(|s| s.identity_type.as_deref()).collect();
        let sql = format!(
            "SELECT {} FROM corporate_identifiers c WHERE c.tenant_id = $1 AND EXISTS \
             (SELECT 1 FROM unnest($2::text[], $3::text[]) AS s(identifier, identity_type) \
             WHERE lower(s.identifier) = lower(c.imported_device_identifier) \
             AND (s.identity_type IS NULL OR s.identity_type = c.imported_device_identity_type)) \
             ORDER BY c.created_date_time, c.id",
            qualified_columns()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(tenant.0)
            .bind(&texts)
            .bind(&types)
            .fetch_all(self.pool()?)
            .await?;
        Ok(rows
            .iter()
            .map(|row| entity_from_row(&CORPORATE_IDENTIFIERS, row))
            .collect::<Result<_, _>>()?)
    }

    /// Writes on the tenant's corporate identifier `id` how its device's enrollment went and when
    /// the device was in contact, as Intune does; false when the tenant has no such identifier.
    pub async fn record_corporate_identifier_enrollment(
        &self,
        tenant: Tenant,
        id: Uuid,
        enrollment: IdentifierEnrollment,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut connection = self.pool()?.acquire().await?;
        Ok(record_identifier_enrollment(&mut connection, tenant, id, enrollment, at).await?)
    }

    /// Whether the Windows device `device` (a manufacturerModelSerial identifier) may enroll in
    /// the tenant, for a user in `user_groups`: the Windows platform restriction that applies
    /// (the highest-priority one assigned to those groups or to everyone, else Intune's default)
    /// decides, knowing the device as corporate when an Autopilot identity has its serial number
    /// or a manufacturerModelSerial corporate identifier names it.
    pub async fn may_windows_device_enroll(
        &self,
        tenant: Tenant,
        device: &CorporateIdentifier,
        user_groups: &HashSet<Uuid>,
    ) -> Result<Result<Ownership, EnrollmentRefusal>, StoreError> {
        let CorporateIdentifier::ManufacturerModelSerial { serial_number, .. } = device else {
            unreachable!("a Windows device is named by manufacturer, model and serial number")
        };
        self.ensure_enrollment_defaults(tenant).await?;
        let mut tx = self.pool()?.begin().await?;
        let restrictions: Vec<(Uuid, i32, bool, bool)> = sqlx::query_as(
            "SELECT id, priority, \
             CASE WHEN odata_type = $2 THEN windows_platform_blocked \
             ELSE single_platform_platform_blocked END, \
             CASE WHEN odata_type = $2 THEN windows_personal_device_enrollment_blocked \
             ELSE single_platform_personal_device_enrollment_blocked END \
             FROM device_enrollment_configurations WHERE tenant_id = $1 \
             AND (odata_type = $2 OR (odata_type = $3 AND platform_type = 'windows'))",
        )
        .bind(tenant.0)
        .bind(PLATFORM_RESTRICTIONS)
        .bind(SINGLE_PLATFORM)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<Uuid> = restrictions.iter().map(|r| r.0).collect();
        let assignments = read_assignments(&mut tx, &ENROLLMENT_ASSIGNMENTS, tenant, &ids).await?;
        let ranked: Vec<RankedConfiguration> = restrictions
            .iter()
            .map(|&(id, priority, _, _)| RankedConfiguration { id, priority })
            .collect();
        let default = default_of_family(PLATFORM_RESTRICTIONS).map_or(Uuid::nil(), |d| d.id);
        let applicable = applicable_configuration(&ranked, &assignments, user_groups, default);
        let restriction = restrictions
            .iter()
            .find(|r| r.0 == applicable)
            .map(
                |&(configuration, _, platform_blocked, personal)| WindowsRestriction {
                    configuration,
                    platform_blocked,
                    personal_device_enrollment_blocked: personal,
                },
            )
            .expect("every tenant has the default platform restrictions");
        let autopilot: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM device_identities \
             WHERE tenant_id = $1 AND lower(serial_number) = lower($2)",
        )
        .bind(tenant.0)
        .bind(serial_number)
        .fetch_optional(&mut *tx)
        .await?;
        let identifier: Option<Uuid> = sqlx::query_scalar(
            "SELECT id FROM corporate_identifiers WHERE tenant_id = $1 \
             AND lower(imported_device_identifier) = lower($2) \
             AND imported_device_identity_type = 'manufacturerModelSerial'",
        )
        .bind(tenant.0)
        .bind(device.text())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let evidence = autopilot
            .map(CorporateEvidence::AutopilotIdentity)
            .or(identifier.map(CorporateEvidence::CorporateIdentifier));
        Ok(may_windows_device_enroll(restriction, evidence))
    }
}

/// [`Store::record_corporate_identifier_enrollment`] in the caller's transaction.
pub(super) async fn record_identifier_enrollment(
    connection: &mut sqlx::PgConnection,
    tenant: Tenant,
    id: Uuid,
    enrollment: IdentifierEnrollment,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE corporate_identifiers SET enrollment_state = $3, \
         last_contacted_date_time = $4, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant.0)
    .bind(id)
    .bind(enrollment.state())
    .bind(at)
    .execute(connection)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The values of the property named `name` of each identifier, null where one does not send it.
fn text_of_all(identifiers: &[Vec<PropertyValue>], name: &str) -> Vec<Option<String>> {
    identifiers
        .iter()
        .map(|assignments| text_of(assignments, name))
        .collect()
}

/// The columns of a corporate identifier, read from `c`.
fn qualified_columns() -> String {
    select_columns(&CORPORATE_IDENTIFIERS)
        .split(", ")
        .map(|column| format!("c.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}
