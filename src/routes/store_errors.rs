//! How a store failure answers: the HTTP error maps the database error, never the reverse.

use crate::graph::error::GraphError;
use crate::store::StoreError;

impl From<StoreError> for GraphError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Duplicate { key } => GraphError::duplicate_key(key.as_deref()),
            StoreError::Referenced { key } => GraphError::broken_reference(key.as_deref()),
            StoreError::NotMigrated => GraphError::service_unavailable(),
            StoreError::Unavailable(cause) => GraphError::service_unavailable().caused_by(cause),
            StoreError::Failed(cause) => GraphError::internal().caused_by(cause),
        }
    }
}
