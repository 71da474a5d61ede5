//! How a store failure answers: the HTTP error maps the database error, never the reverse.

use crate::graph::error::{ErrorDetail, GraphError};
use crate::store::{EnrollmentAssignmentRefused, StoreError};

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

/// Why assignments (of an enrollment configuration or a configuration policy) were refused, as
/// Graph answers it; `owner` is the 404 of the configuration they were for.
pub fn assignment_refused(refusal: EnrollmentAssignmentRefused, owner: GraphError) -> GraphError {
    let invalid = |target: &str, message: String| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(target, message)])
    };
    match refusal {
        EnrollmentAssignmentRefused::NoSuchConfiguration => owner,
        EnrollmentAssignmentRefused::NoSuchGroup(group) => invalid(
            "target/groupId",
            format!("The group '{group}' does not exist in the tenant."),
        ),
        EnrollmentAssignmentRefused::NoSuchFilter(filter) => invalid(
            "target/deviceAndAppManagementAssignmentFilterId",
            format!("The assignment filter '{filter}' does not exist in the tenant."),
        ),
        EnrollmentAssignmentRefused::Duplicate(assignment) => GraphError::conflict(format!(
            "The configuration has the assignment '{assignment}' to this target twice."
        )),
    }
}
