//! Enrollment configurations beyond the generic entity-set SQL: Intune's defaults in every tenant,
//! priorities (the next free one on create, `setPriority`), assignments, the mobile apps an
//! Enrollment Status Page names, and which page applies to a device.

use std::collections::{HashMap, HashSet};

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgConnection, Row};
use uuid::Uuid;

use super::assignment_status::{added_to, devices_to_work_out, group_memberships};
use super::{Store, StoreError, insert};
use crate::domain::Tenant;
use crate::domain::directory::{DynamicGroups, Membership};
use crate::domain::enrollment_configuration::{
    DEFAULTS, ENROLLMENT_CONFIGURATIONS, ESP, EnrollmentAssignment, EnrollmentTarget,
    NewEnrollmentAssignment, PLATFORM_RESTRICTIONS, RankedConfiguration, TargetFilter,
    applicable_configuration, configuration_type, default_of_family, enrollment_assignment_id,
};
use crate::domain::entity::{Entity, PropertyValue, Value};

const ASSIGNMENT_COLUMNS: &str =
    "id, configuration_id, target_type, group_id, filter_id, filter_type, source, source_id";

/// What writing assignments found wrong, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentAssignmentRefused {
    NoSuchConfiguration,
    /// The tenant has no group with the target's id.
    NoSuchGroup(Uuid),
    /// The tenant has no assignment filter with the target's filter id.
    NoSuchFilter(Uuid),
    /// The configuration already has an assignment with this id (to the same group).
    Duplicate(String),
}

fn enrollment_assignment(row: &PgRow) -> Result<EnrollmentAssignment, sqlx::Error> {
    let type_name: String = row.try_get("target_type")?;
    let group: Option<Uuid> = row.try_get("group_id")?;
    let target = EnrollmentTarget::of(&type_name, group).ok_or_else(|| {
        sqlx::Error::Decode(format!("no assignment target {type_name} with group {group:?}").into())
    })?;
    Ok(EnrollmentAssignment {
        id: row.try_get("id")?,
        configuration: row.try_get("configuration_id")?,
        target,
        filter: TargetFilter {
            id: row.try_get("filter_id")?,
            filter_type: row.try_get("filter_type")?,
        },
        source: row.try_get("source")?,
        source_id: row.try_get("source_id")?,
    })
}

/// Locks the default of `type_name`'s family, which every create and move of that family takes
/// first: they take turns over the family's priorities.
async fn lock_family(
    connection: &mut PgConnection,
    tenant: Tenant,
    type_name: &str,
) -> Result<(), StoreError> {
    if let Some(default) = default_of_family(type_name) {
        sqlx::query(
            "SELECT 1 FROM device_enrollment_configurations \
             WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        )
        .bind(tenant.0)
        .bind(default.id)
        .execute(connection)
        .await?;
    }
    Ok(())
}

/// The first of `filters` that is no assignment filter of the tenant. The foreign key holds the
/// filters against a concurrent delete; this names the one missing before a write would fail on it.
/// A deleted app leaves the Enrollment Status Pages that named it, in the delete's transaction, so
/// no page names an app the tenant lacks (which a PATCH sent back or an `import-state` refuses).
pub(super) async fn forget_mobile_app(
    connection: &mut PgConnection,
    tenant: Tenant,
    app: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE device_enrollment_configurations \
         SET selected_mobile_app_ids = array_remove(selected_mobile_app_ids, $2) \
         WHERE tenant_id = $1 AND $2 = ANY(selected_mobile_app_ids)",
    )
    .bind(tenant.0)
    .bind(app.to_string())
    .execute(connection)
    .await?;
    Ok(())
}

async fn missing_filter(
    connection: &mut PgConnection,
    tenant: Tenant,
    filters: &[Uuid],
) -> Result<Option<Uuid>, StoreError> {
    let found: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM assignment_filters WHERE tenant_id = $1 AND id = ANY($2)",
    )
    .bind(tenant.0)
    .bind(filters)
    .fetch_all(connection)
    .await?;
    Ok(filters.iter().find(|f| !found.contains(f)).copied())
}

/// The tables of one kind of assignments (`{configurationId}_{groupId}`, with a target and an
/// assignment filter): enrollment configurations' and configuration policies'.
pub(super) struct AssignmentTable {
    /// The assignments' table, with the columns of [`ASSIGNMENT_COLUMNS`].
    pub assignments: &'static str,
    /// The table of what they assign, whose `id` their `configuration_id` names.
    pub owners: &'static str,
}

pub(super) const ENROLLMENT_ASSIGNMENTS: AssignmentTable = AssignmentTable {
    assignments: "device_enrollment_configuration_assignments",
    owners: "device_enrollment_configurations",
};

/// Adds assignments to the tenant's `configuration` of `table` (`replace`: instead of those it
/// has) on `connection`, in its transaction: the configuration is locked against a concurrent
/// delete, and every group and filter a target names must be the tenant's. A refusal leaves the
/// transaction to be rolled back.
pub(super) async fn write_assignments(
    connection: &mut PgConnection,
    table: &AssignmentTable,
    tenant: Tenant,
    configuration: Uuid,
    new: &[NewEnrollmentAssignment],
    replace: bool,
) -> Result<Result<Vec<EnrollmentAssignment>, EnrollmentAssignmentRefused>, StoreError> {
    let exists: bool = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM {} WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE)",
        table.owners
    )))
    .bind(tenant.0)
    .bind(configuration)
    .fetch_one(&mut *connection)
    .await?;
    if !exists {
        return Ok(Err(EnrollmentAssignmentRefused::NoSuchConfiguration));
    }
    let groups: Vec<Uuid> = new.iter().filter_map(|a| a.target.group()).collect();
    let found: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM directory_groups WHERE tenant_id = $1 AND id = ANY($2)")
            .bind(tenant.0)
            .bind(&groups)
            .fetch_all(&mut *connection)
            .await?;
    if let Some(missing) = groups.iter().find(|g| !found.contains(g)) {
        return Ok(Err(EnrollmentAssignmentRefused::NoSuchGroup(*missing)));
    }
    let filters: Vec<Uuid> = new.iter().filter_map(|a| a.filter.id).collect();
    if let Some(missing) = missing_filter(&mut *connection, tenant, &filters).await? {
        return Ok(Err(EnrollmentAssignmentRefused::NoSuchFilter(missing)));
    }
    if replace {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND configuration_id = $2",
            table.assignments
        )))
        .bind(tenant.0)
        .bind(configuration)
        .execute(&mut *connection)
        .await?;
    }
    let mut written = Vec::with_capacity(new.len());
    for assignment in new {
        let id = enrollment_assignment_id(configuration, assignment.target);
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {} (id, tenant_id, configuration_id, target_type, group_id, filter_id, \
                 filter_type, source, source_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (tenant_id, id) DO NOTHING RETURNING {ASSIGNMENT_COLUMNS}",
            table.assignments
        )))
        .bind(&id)
        .bind(tenant.0)
        .bind(configuration)
        .bind(assignment.target.type_name())
        .bind(assignment.target.group())
        .bind(assignment.filter.id)
        .bind(&assignment.filter.filter_type)
        .bind(&assignment.source)
        .bind(&assignment.source_id)
        .fetch_optional(&mut *connection)
        .await?;
        match row {
            Some(row) => written.push(enrollment_assignment(&row)?),
            None => return Ok(Err(EnrollmentAssignmentRefused::Duplicate(id))),
        }
    }
    Ok(Ok(written))
}

/// The assignments of the tenant's `configurations` in `table`, oldest first.
pub(super) async fn read_assignments(
    connection: &mut PgConnection,
    table: &AssignmentTable,
    tenant: Tenant,
    configurations: &[Uuid],
) -> Result<Vec<EnrollmentAssignment>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM {} \
         WHERE tenant_id = $1 AND configuration_id = ANY($2) ORDER BY created_at, id",
        table.assignments
    )))
    .bind(tenant.0)
    .bind(configurations)
    .fetch_all(connection)
    .await?;
    Ok(rows
        .iter()
        .map(enrollment_assignment)
        .collect::<Result<_, _>>()?)
}

impl Store {
    /// Writes Intune's four defaults into the tenant unless it has them: one idempotent statement,
    /// so instances racing on a tenant's first request write them once, and a reset tenant gets
    /// them back at its next request. Intune dates them 0001-01-01 and gives them no scope tag.
    pub async fn ensure_enrollment_defaults(&self, tenant: Tenant) -> Result<(), StoreError> {
        // One VALUES row per default, all of one tenant: a single-shard statement on Citus.
        let rows: Vec<String> = (0..DEFAULTS.len())
            .map(|i| {
                let at = 2 + 6 * i;
                format!(
                    "(${}, $1, ${}, ${}, ${}, ${}, '0001-01-01T00:00:00Z', '{{}}', ${})",
                    at,
                    at + 1,
                    at + 2,
                    at + 3,
                    at + 4,
                    at + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO device_enrollment_configurations (id, tenant_id, odata_type, \
                 display_name, description, device_enrollment_configuration_type, \
                 created_date_time, role_scope_tag_ids, windows_mobile_platform_blocked) \
             VALUES {} ON CONFLICT (tenant_id, id) DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(tenant.0);
        for default in &DEFAULTS {
            query = query
                .bind(default.id)
                .bind(default.type_name)
                .bind(default.display_name)
                .bind(default.description)
                .bind(configuration_type(default.type_name))
                // Intune's default restrictions block Windows Mobile, the one platform it retired.
                .bind(default.type_name == PLATFORM_RESTRICTIONS);
        }
        query.execute(self.pool()?).await?;
        Ok(())
    }

    /// Creates a configuration of `type_name` at the next free priority of its type, its family
    /// locked (see [`lock_family`]).
    pub async fn create_enrollment_configuration(
        &self,
        tenant: Tenant,
        type_name: &str,
        mut assignments: Vec<PropertyValue>,
    ) -> Result<Entity, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        lock_family(&mut tx, tenant, type_name).await?;
        let next: i32 = sqlx::query_scalar(
            "SELECT coalesce(max(priority), 0) + 1 FROM device_enrollment_configurations \
             WHERE tenant_id = $1 AND odata_type = $2",
        )
        .bind(tenant.0)
        .bind(type_name)
        .fetch_one(&mut *tx)
        .await?;
        let set = &ENROLLMENT_CONFIGURATIONS;
        for (name, value) in [
            ("priority", Value::Int32(next)),
            (
                "deviceEnrollmentConfigurationType",
                Value::Text(configuration_type(type_name).to_owned()),
            ),
        ] {
            if let Some(property) = set.property(name) {
                assignments.push(PropertyValue { property, value });
            }
        }
        let request = (set, tenant, assignments);
        let created = insert(&mut tx, set, &[&request])
            .await?
            .pop()
            .expect("one row asked, one answered")?;
        tx.commit().await?;
        Ok(created)
    }

    /// Moves a configuration to `priority` (at least 1, at most the last of its type), shifting
    /// the others of its type between the old and the new place by one, in one statement; false
    /// when the tenant has no such configuration.
    pub async fn set_enrollment_priority(
        &self,
        tenant: Tenant,
        id: Uuid,
        priority: i32,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        // The type first, unlocked (it never changes), so that the family's lock comes before the
        // row's, in the order creates take them: two moves cannot wait on each other.
        let type_name: Option<String> = sqlx::query_scalar(
            "SELECT odata_type FROM device_enrollment_configurations \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(type_name) = type_name else {
            return Ok(false);
        };
        lock_family(&mut tx, tenant, &type_name).await?;
        let from: Option<i32> = sqlx::query_scalar(
            "SELECT priority FROM device_enrollment_configurations \
             WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        )
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(from) = from else {
            return Ok(false);
        };
        let last: i32 = sqlx::query_scalar(
            "SELECT coalesce(max(priority), 1) FROM device_enrollment_configurations \
             WHERE tenant_id = $1 AND odata_type = $2",
        )
        .bind(tenant.0)
        .bind(&type_name)
        .fetch_one(&mut *tx)
        .await?;
        let to = priority.clamp(1, last.max(1));
        // Only parameters in the CASE: Citus evaluates only immutable functions in a CASE of a
        // distributed UPDATE.
        sqlx::query(
            "UPDATE device_enrollment_configurations SET priority = CASE \
                 WHEN id = $2 THEN $4 \
                 WHEN $4 < $5 THEN priority + 1 \
                 ELSE priority - 1 END, \
             updated_at = now() \
             WHERE tenant_id = $1 AND odata_type = $3 AND priority > 0 \
               AND (id = $2 OR priority BETWEEN least($4, $5) AND greatest($4, $5))",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(&type_name)
        .bind(to)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Which of `ids` name no mobile app of the tenant, in the order given.
    pub async fn unknown_mobile_apps(
        &self,
        tenant: Tenant,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        let known: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM mobile_apps WHERE tenant_id = $1 AND id = ANY($2)")
                .bind(tenant.0)
                .bind(ids)
                .fetch_all(self.pool()?)
                .await?;
        Ok(ids
            .iter()
            .filter(|id| !known.contains(id))
            .copied()
            .collect())
    }

    /// The assignments of the tenant's `configurations`, oldest first.
    pub async fn enrollment_assignments(
        &self,
        tenant: Tenant,
        configurations: &[Uuid],
    ) -> Result<Vec<EnrollmentAssignment>, StoreError> {
        let mut connection = self.pool()?.acquire().await?;
        read_assignments(
            &mut connection,
            &ENROLLMENT_ASSIGNMENTS,
            tenant,
            configurations,
        )
        .await
    }

    pub async fn enrollment_assignment(
        &self,
        tenant: Tenant,
        configuration: Uuid,
        id: &str,
    ) -> Result<Option<EnrollmentAssignment>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM device_enrollment_configuration_assignments \
             WHERE tenant_id = $1 AND configuration_id = $2 AND id = $3"
        )))
        .bind(tenant.0)
        .bind(configuration)
        .bind(id)
        .fetch_optional(self.pool()?)
        .await?;
        Ok(row.as_ref().map(enrollment_assignment).transpose()?)
    }

    /// Adds assignments to the tenant's configuration (`replace`: instead of those it has, as
    /// `assign` does), all or none.
    pub async fn write_enrollment_assignments(
        &self,
        tenant: Tenant,
        configuration: Uuid,
        new: &[NewEnrollmentAssignment],
        replace: bool,
    ) -> Result<Result<Vec<EnrollmentAssignment>, EnrollmentAssignmentRefused>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let written = write_assignments(
            &mut tx,
            &ENROLLMENT_ASSIGNMENTS,
            tenant,
            configuration,
            new,
            replace,
        )
        .await?;
        if written.is_ok() {
            tx.commit().await?;
        }
        Ok(written)
    }

    /// Writes a changed assignment over the stored one with its id (its target's type and filter,
    /// its source); `None` when the configuration has no assignment with that id.
    pub async fn update_enrollment_assignment(
        &self,
        tenant: Tenant,
        changed: &EnrollmentAssignment,
    ) -> Result<Result<Option<EnrollmentAssignment>, EnrollmentAssignmentRefused>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let filters: Vec<Uuid> = changed.filter.id.into_iter().collect();
        if let Some(missing) = missing_filter(&mut tx, tenant, &filters).await? {
            return Ok(Err(EnrollmentAssignmentRefused::NoSuchFilter(missing)));
        }
        let row = sqlx::query(AssertSqlSafe(format!(
            "UPDATE device_enrollment_configuration_assignments \
             SET target_type = $4, filter_id = $5, filter_type = $6, source = $7, source_id = $8 \
             WHERE tenant_id = $1 AND configuration_id = $2 AND id = $3 \
             RETURNING {ASSIGNMENT_COLUMNS}"
        )))
        .bind(tenant.0)
        .bind(changed.configuration)
        .bind(&changed.id)
        .bind(changed.target.type_name())
        .bind(changed.filter.id)
        .bind(&changed.filter.filter_type)
        .bind(&changed.source)
        .bind(&changed.source_id)
        .fetch_optional(&mut *tx)
        .await?;
        let updated = row.as_ref().map(enrollment_assignment).transpose()?;
        tx.commit().await?;
        Ok(Ok(updated))
    }

    /// Deletes an assignment of the tenant's configuration; false when there is none with that id.
    pub async fn delete_enrollment_assignment(
        &self,
        tenant: Tenant,
        configuration: Uuid,
        id: &str,
    ) -> Result<bool, StoreError> {
        let deleted = sqlx::query(
            "DELETE FROM device_enrollment_configuration_assignments \
             WHERE tenant_id = $1 AND configuration_id = $2 AND id = $3",
        )
        .bind(tenant.0)
        .bind(configuration)
        .bind(id)
        .execute(self.pool()?)
        .await?
        .rows_affected();
        Ok(deleted == 1)
    }

    /// The Enrollment Status Page that applies to the tenant's device identity `device` (`None`
    /// when the tenant has no such device).
    pub async fn applicable_enrollment_status_page(
        &self,
        tenant: Tenant,
        device: Uuid,
    ) -> Result<Option<Uuid>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let pages = applicable_enrollment_status_pages(&mut tx, tenant, &[device]).await?;
        tx.commit().await?;
        Ok(pages.get(&device).copied())
    }
}

/// The Enrollment Status Page that applies to each of the tenant's device identities `devices`
/// that exists: the highest-priority page assigned to a group that holds it (or to everyone) and
/// not excluded from it, else the default.
pub(super) async fn applicable_enrollment_status_pages(
    connection: &mut PgConnection,
    tenant: Tenant,
    devices: &[Uuid],
) -> Result<HashMap<Uuid, Uuid>, StoreError> {
    let devices = devices_to_work_out(&mut *connection, tenant, Some(devices)).await?;
    if devices.is_empty() {
        return Ok(HashMap::new());
    }
    let pages: Vec<(Uuid, i32)> = sqlx::query_as(
        "SELECT id, priority FROM device_enrollment_configurations \
         WHERE tenant_id = $1 AND odata_type = $2",
    )
    .bind(tenant.0)
    .bind(ESP)
    .fetch_all(&mut *connection)
    .await?;
    let ids: Vec<Uuid> = pages.iter().map(|(id, _)| *id).collect();
    let assignments =
        read_assignments(&mut *connection, &ENROLLMENT_ASSIGNMENTS, tenant, &ids).await?;
    let mut named: Vec<Uuid> = assignments
        .iter()
        .filter_map(|a| a.target.group())
        .collect();
    named.sort_unstable();
    named.dedup();
    let memberships = group_memberships(&mut *connection, tenant, &named).await?;
    let scope: Vec<Uuid> = devices.iter().map(|device| device.id).collect();
    let mut added: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for (group, device) in added_to(&mut *connection, tenant, &named, Some(&scope)).await? {
        if memberships.get(&group) == Some(&Membership::Assigned) {
            added.entry(device).or_default().insert(group);
        }
    }
    let dynamic = DynamicGroups::new(memberships);
    let ranked: Vec<RankedConfiguration> = pages
        .into_iter()
        .map(|(id, priority)| RankedConfiguration { id, priority })
        .collect();
    let default = default_of_family(ESP).map_or(Uuid::nil(), |d| d.id);
    Ok(devices
        .iter()
        .map(|device| {
            let mut groups = added.remove(&device.id).unwrap_or_default();
            groups.extend(dynamic.taking(&device.physical_ids));
            let page = applicable_configuration(&ranked, &assignments, &groups, default);
            (device.id, page)
        })
        .collect())
}
