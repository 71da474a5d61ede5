//! OData query options and the `$filter` language.

pub mod filter;
pub mod options;
