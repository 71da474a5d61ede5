//! Assignment filters beyond the generic entity-set SQL: which of some ids name filters of a
//! tenant, for the assignments that refer to one.

use uuid::Uuid;

use super::{Store, StoreError};
use crate::domain::Tenant;

impl Store {
    /// Those of `ids` that are assignment filters of `tenant`, in no particular order.
    pub async fn existing_assignment_filters(
        &self,
        tenant: Tenant,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar(
            "SELECT id FROM assignment_filters WHERE tenant_id = $1 AND id = ANY($2)",
        )
        .bind(tenant.0)
        .bind(ids)
        .fetch_all(self.pool()?)
        .await?)
    }
}
