//! The Microsoft Graph wire contract: entity JSON, errors, URL grammar, OData options, links and
//! the OpenAPI schemas. It reads the domain; it knows neither actix's routing nor SQL.

pub mod actions;
pub mod assignment_filter;
pub mod batch;
pub mod configuration_policy;
pub mod corporate_identifier;
pub mod directory;
pub mod enrollment_assignment;
pub mod entity;
pub mod error;
pub mod import;
pub mod json_body;
pub mod links;
pub mod managed_device;
pub mod odata;
pub mod paths;
pub mod profile_assignment;
pub mod request_ids;
pub mod schema;
pub mod state;

/// The content type Graph answers JSON with. SDKs choose their parser by the part before `;`.
pub const GRAPH_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The largest request body accepted (413 `RequestEntityTooLarge` above it).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
