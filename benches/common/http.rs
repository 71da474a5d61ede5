//! What the benchmark programs that drive the service over HTTP with reqwest share.

use crate::common::BoxError;

/// The JSON body of a successful answer (null when it has none); else an error naming `what`
/// (the method and path), the status and the body.
pub async fn json_of(
    response: reqwest::Response,
    what: &str,
) -> Result<serde_json::Value, BoxError> {
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        return Err(format!("{what}: {status}: {text}").into());
    }
    Ok(if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}
