//! What the benchmark programs that drive the service as a Graph client (with reqwest) share:
//! reading its answers, and the percentiles of their latencies.

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

/// The `q` quantile (nearest rank) of `samples`.
pub fn percentile(samples: &[f64], q: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}
