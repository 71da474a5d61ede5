//! Assignment filters beyond the generic entity-set SQL: whether the tenant's filters are on.

use super::{Store, StoreError};
use crate::domain::Tenant;
use crate::domain::assignment_filter::ENABLED_BY_DEFAULT;

impl Store {
    /// Whether `tenant`'s filters are on: as it last set them, else the default.
    pub async fn assignment_filters_enabled(&self, tenant: Tenant) -> Result<bool, StoreError> {
        let stored: Option<bool> =
            sqlx::query_scalar("SELECT enabled FROM assignment_filter_states WHERE tenant_id = $1")
                .bind(tenant.0)
                .fetch_optional(self.pool()?)
                .await?;
        Ok(stored.unwrap_or(ENABLED_BY_DEFAULT))
    }

    /// Turns `tenant`'s filters on or off.
    pub async fn set_assignment_filters_enabled(
        &self,
        tenant: Tenant,
        enabled: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO assignment_filter_states (tenant_id, enabled) VALUES ($1, $2) \
             ON CONFLICT (tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled",
        )
        .bind(tenant.0)
        .bind(enabled)
        .execute(self.pool()?)
        .await?;
        Ok(())
    }
}
