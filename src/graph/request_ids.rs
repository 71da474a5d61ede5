//! `request-id` and `client-request-id`: every response carries both, and error envelopes repeat them.

use uuid::Uuid;

pub const REQUEST_ID: &str = "request-id";
pub const CLIENT_REQUEST_ID: &str = "client-request-id";

/// The longest caller-chosen `client-request-id` echoed back; longer ones are replaced by the request-id.
const MAX_CLIENT_REQUEST_ID: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestIds {
    pub request_id: String,
    pub client_request_id: String,
}

impl RequestIds {
    /// Ids for a response that answers no identified request.
    pub fn fresh() -> Self {
        Self::for_client_request_id(None)
    }

    /// A fresh request-id; the caller's `client-request-id` header when it sent a usable one, else
    /// the same id.
    pub fn for_client_request_id(sent: Option<&str>) -> Self {
        let request_id = Uuid::new_v4().to_string();
        let client_request_id = sent
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.len() <= MAX_CLIENT_REQUEST_ID)
            .map_or_else(|| request_id.clone(), str::to_owned);
        RequestIds {
            request_id,
            client_request_id,
        }
    }
}
