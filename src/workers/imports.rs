//! Processes imported identities once they are due (the import delay after they were stored), woken
//! by the insert trigger's notification or by the oldest pending record's due time.

use std::time::Duration;

use super::{DueWork, tenant_by_tenant};
use crate::store::{IMPORT_CHANNEL, Store, StoreError};

/// The import delay the records wait.
pub struct ImportProcessing {
    pub delay: Duration,
}

impl DueWork for ImportProcessing {
    const NAME: &'static str = "import processing";
    const CHANNEL: &'static str = IMPORT_CHANNEL;
    const BATCH: i64 = 500;

    async fn run_due(&self, store: &Store) -> Result<usize, StoreError> {
        let tenants = store.tenants_with_imports_due(self.delay).await?;
        tenant_by_tenant(tenants, Self::BATCH, |tenant, limit| async move {
            match store.process_imports(tenant, self.delay, limit).await {
                // A batch that fails for a reason of its own (not the database being away) holds
                // back its tenant alone: the other tenants' records go on.
                Err(StoreError::Failed(error)) => {
                    let pause = store.defer_imports(tenant).await?;
                    log::warn!(
                        "{} of tenant {} failed ({error}); its records wait {pause:?}",
                        Self::NAME,
                        tenant.0
                    );
                    Ok(0)
                }
                done => done,
            }
        })
        .await
    }

    async fn next_due(&self, store: &Store) -> Result<Option<Duration>, StoreError> {
        store.next_import_due(self.delay).await
    }
}
