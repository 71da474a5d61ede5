//! Configuration policies beyond the generic entity-set SQL: a policy created or changed together
//! with its settings and setting count, at the next priority, in one transaction; its settings;
//! its assignments and `isAssigned`; its enrollment-time device group; and the device preparation
//! policy that applies to a user's groups, as an enrollment reads it.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::Value as Json;
use sqlx::{AssertSqlSafe, PgConnection};
use uuid::Uuid;

use super::enrollment::{AssignmentTable, read_assignments, write_assignments};
use super::{Store, StoreError, bind_values, insert, placeholder};
use crate::domain::Tenant;
use crate::domain::configuration_policy::{
    CONFIGURATION_POLICIES, DevicePreparationSettings, RankedPolicy, TargetGroup, Template,
    applicable_policy, check_instances, template,
};
use crate::domain::directory::DYNAMIC_MEMBERSHIP;
use crate::domain::enrollment_configuration::{EnrollmentAssignment, NewEnrollmentAssignment};
use crate::domain::entity::{Entity, PropertyValue, Value};
use crate::domain::principals::INTUNE_PROVISIONING_CLIENT;
use crate::store::EnrollmentAssignmentRefused;

const POLICY_ASSIGNMENTS: AssignmentTable = AssignmentTable {
    assignments: "configuration_policy_assignments",
    owners: "configuration_policies",
};

/// A stored setting of a policy: its id and its setting instance.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSetting {
    pub policy: Uuid,
    pub id: String,
    pub instance: Json,
}

/// The device preparation policy that applies to an enrollment: which, from which template, what
/// its settings say, and the group enrolling devices join (if it names one).
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedPolicy {
    pub id: Uuid,
    pub name: String,
    pub template: &'static Template,
    pub settings: DevicePreparationSettings,
    pub device_group: Option<Uuid>,
}

/// The value of the property named `name` (a column of the policies' table).
fn value_of(name: &str, value: Value) -> Option<PropertyValue> {
    let property = CONFIGURATION_POLICIES.columns().find(|p| p.name == name)?;
    Some(PropertyValue { property, value })
}

/// Replaces the policy's settings with `instances`, ids "0", "1", ... in order.
async fn write_settings(
    connection: &mut PgConnection,
    tenant: Tenant,
    policy: Uuid,
    instances: &[Json],
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM configuration_policy_settings WHERE tenant_id = $1 AND policy_id = $2",
    )
    .bind(tenant.0)
    .bind(policy)
    .execute(&mut *connection)
    .await?;
    let ids: Vec<String> = (0..instances.len()).map(|i| i.to_string()).collect();
    let positions: Vec<i32> = (0..instances.len() as i32).collect();
    sqlx::query(
        "INSERT INTO configuration_policy_settings (tenant_id, policy_id, id, position, \
             setting_instance) \
         SELECT $1, $2, id, position, instance \
         FROM unnest($3::text[], $4::int[], $5::jsonb[]) AS s (id, position, instance)",
    )
    .bind(tenant.0)
    .bind(policy)
    .bind(&ids)
    .bind(&positions)
    .bind(instances)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

impl Store {
    /// Creates a policy with its settings, after the tenant's last policy in priority. Concurrent
    /// creates may share a priority; the older policy then comes first (see
    /// [`applicable_policy`]).
    pub async fn create_configuration_policy(
        &self,
        tenant: Tenant,
        mut assignments: Vec<PropertyValue>,
        instances: &[Json],
    ) -> Result<Entity, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let next: i32 = sqlx::query_scalar(
            "SELECT coalesce(max(priority), 0) + 1 FROM configuration_policies WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_one(&mut *tx)
        .await?;
        assignments.extend(value_of("priority", Value::Int32(next)));
        assignments.extend(value_of(
            "settingCount",
            Value::Int32(instances.len() as i32),
        ));
        let set = &CONFIGURATION_POLICIES;
        let request = (set, tenant, assignments);
        let created = insert(&mut tx, set, &[&request])
            .await?
            .pop()
            .expect("one row asked, one answered")?;
        write_settings(&mut tx, tenant, created.id(), instances).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Sets the given properties of the tenant's policy and, when `instances` are given, replaces
    /// its settings; false when there is no such policy. The time is the service's, not the
    /// database's (Citus takes no `now()` in an UPDATE's SET).
    pub async fn change_configuration_policy(
        &self,
        tenant: Tenant,
        id: Uuid,
        assignments: &[PropertyValue],
        instances: Option<&[Json]>,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let mut binds = vec![Value::Guid(tenant.0), Value::Guid(id)];
        let at = placeholder(&mut binds, &Value::DateTime(now));
        let mut changes = format!("updated_at = {at}, last_modified_date_time = {at}");
        let counted = instances.map(|i| Value::Int32(i.len() as i32));
        let count = counted.and_then(|count| value_of("settingCount", count));
        for assignment in assignments.iter().chain(&count) {
            let value = placeholder(&mut binds, &assignment.value);
            changes.push_str(&format!(", {} = {value}", assignment.property.column));
        }
        let sql =
            format!("UPDATE configuration_policies SET {changes} WHERE tenant_id = $1 AND id = $2");
        let mut tx = self.pool()?.begin().await?;
        let done = bind_values(sqlx::query(AssertSqlSafe(sql)), &binds)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(instances) = instances {
            write_settings(&mut tx, tenant, id, instances).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The settings of the tenant's `policies`, each policy's in order.
    pub async fn policy_settings(
        &self,
        tenant: Tenant,
        policies: &[Uuid],
    ) -> Result<Vec<StoredSetting>, StoreError> {
        let rows: Vec<(Uuid, String, Json)> = sqlx::query_as(
            "SELECT policy_id, id, setting_instance FROM configuration_policy_settings \
             WHERE tenant_id = $1 AND policy_id = ANY($2) ORDER BY policy_id, position",
        )
        .bind(tenant.0)
        .bind(policies)
        .fetch_all(self.pool()?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(policy, id, instance)| StoredSetting {
                policy,
                id,
                instance,
            })
            .collect())
    }

    /// Replaces the policy's assignments (as `assign` does), all or none, and sets `isAssigned`.
    pub async fn assign_configuration_policy(
        &self,
        tenant: Tenant,
        policy: Uuid,
        new: &[NewEnrollmentAssignment],
    ) -> Result<Result<Vec<EnrollmentAssignment>, EnrollmentAssignmentRefused>, StoreError> {
        let mut tx = self.pool()?.begin().await?;
        let written =
            write_assignments(&mut tx, &POLICY_ASSIGNMENTS, tenant, policy, new, true).await?;
        if written.is_ok() {
            sqlx::query(
                "UPDATE configuration_policies SET is_assigned = $3 \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant.0)
            .bind(policy)
            .bind(!new.is_empty())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(written)
    }

    /// The assignments of the tenant's `policies`, oldest first.
    pub async fn policy_assignments(
        &self,
        tenant: Tenant,
        policies: &[Uuid],
    ) -> Result<Vec<EnrollmentAssignment>, StoreError> {
        let mut connection = self.pool()?.acquire().await?;
        read_assignments(&mut connection, &POLICY_ASSIGNMENTS, tenant, policies).await
    }

    /// What the tenant's group `group` is, as an enrollment-time device group needs it (its owner
    /// asked of the directory); `None` when the tenant has no such group.
    pub async fn membership_target_group(
        &self,
        tenant: Tenant,
        group: Uuid,
    ) -> Result<Option<TargetGroup>, StoreError> {
        let row: Option<(bool, Vec<String>)> = sqlx::query_as(
            "SELECT security_enabled, group_types FROM directory_groups \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(group)
        .fetch_optional(self.pool()?)
        .await?;
        let Some((security_enabled, types)) = row else {
            return Ok(None);
        };
        let owned_by_provisioning_client = self
            .group_owned_by_app(tenant, group, INTUNE_PROVISIONING_CLIENT)
            .await?;
        Ok(Some(TargetGroup {
            security_enabled,
            dynamic: types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(DYNAMIC_MEMBERSHIP)),
            owned_by_provisioning_client,
        }))
    }

    /// Sets (or clears, with `None`) the policy's enrollment-time device group; false when the
    /// tenant has no such policy.
    pub async fn set_enrollment_time_device_group(
        &self,
        tenant: Tenant,
        policy: Uuid,
        group: Option<Uuid>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE configuration_policies SET enrollment_time_device_group = $3 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(policy)
        .bind(group)
        .execute(self.pool()?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The policy's enrollment-time device group: `None` when the tenant has no such policy,
    /// `Some(None)` when it names no group.
    pub async fn enrollment_time_device_group(
        &self,
        tenant: Tenant,
        policy: Uuid,
    ) -> Result<Option<Option<Uuid>>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT enrollment_time_device_group FROM configuration_policies \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(policy)
        .fetch_optional(self.pool()?)
        .await?)
    }

    /// The device preparation policy that applies to a user of the tenant who is in `groups`:
    /// assigned to one of them (or to all licensed users), excluded from none, first in priority
    /// order; with its settings as values and its enrollment-time device group. `None` when no
    /// policy applies.
    pub async fn applicable_device_preparation_policy(
        &self,
        tenant: Tenant,
        groups: &[Uuid],
    ) -> Result<Option<AppliedPolicy>, StoreError> {
        let mut connection = self.pool()?.acquire().await?;
        let policies: Vec<(Uuid, i32)> = sqlx::query_as(
            "SELECT id, priority FROM configuration_policies \
             WHERE tenant_id = $1 AND is_assigned ORDER BY created_date_time, id",
        )
        .bind(tenant.0)
        .fetch_all(&mut *connection)
        .await?;
        let ids: Vec<Uuid> = policies.iter().map(|(id, _)| *id).collect();
        let assignments =
            read_assignments(&mut connection, &POLICY_ASSIGNMENTS, tenant, &ids).await?;
        let ranked: Vec<RankedPolicy> = policies
            .into_iter()
            .map(|(id, priority)| RankedPolicy { id, priority })
            .collect();
        let groups: HashSet<Uuid> = groups.iter().copied().collect();
        let Some(id) = applicable_policy(&ranked, &assignments, &groups) else {
            return Ok(None);
        };
        let row: Option<(String, Option<String>, Option<Uuid>)> = sqlx::query_as(
            "SELECT name, template_id, enrollment_time_device_group FROM configuration_policies \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
        // Deleted since it was chosen: none applies now.
        let Some((name, template_id, device_group)) = row else {
            return Ok(None);
        };
        let template = template_id.as_deref().and_then(template).ok_or_else(|| {
            StoreError::Failed(std::sync::Arc::new(sqlx::Error::Decode(
                format!("the policy {id} names no emulated template").into(),
            )))
        })?;
        drop(connection);
        let instances: Vec<Json> = self
            .policy_settings(tenant, &[id])
            .await?
            .into_iter()
            .map(|setting| setting.instance)
            .collect();
        let settings = check_instances(template, &instances).map_err(|problem| {
            StoreError::Failed(std::sync::Arc::new(sqlx::Error::Decode(
                format!("the stored settings of {id}: {}", problem.message).into(),
            )))
        })?;
        Ok(Some(AppliedPolicy {
            id,
            name,
            template,
            settings: settings.values,
            device_group,
        }))
    }
}
