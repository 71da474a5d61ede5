//! The import command's requests to a Graph-compatible service: upload a batch, list the records of
//! an import (following `@odata.nextLink`), delete a record. 429, 503 and 504 are tried again after
//! `Retry-After` seconds (else a doubling pause), as Graph's SDKs do; any other answer that is not
//! a success is an error naming the status and Graph's error message.

use std::fmt;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::csv::DeviceRow;

/// The entity set under the Graph root.
const COLLECTION: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
const ODATA_TYPE: &str = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";
/// What polling reads of a record.
const POLLED_PROPERTIES: &str = "id,importId,state";
/// Tries of one request while the service answers 429, 503 or 504.
const MAX_ATTEMPTS: u32 = 5;
/// The longest pause honoured from `Retry-After`.
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request and its answer: long enough for a 2 MB batch on a slow link.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How much of a body that is not Graph's error envelope an error message quotes.
const QUOTED_BODY_CHARS: usize = 200;
/// How many of the error envelope's details an error message quotes.
const QUOTED_DETAILS: usize = 5;

/// What RFC 3986 leaves unreserved stays as it is; everything else is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An import record as the service answers it (the fields the command reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedRecord {
    pub id: String,
    pub import_id: String,
    #[serde(default)]
    pub state: Option<ImportState>,
}

/// `importedWindowsAutopilotDeviceIdentityState`, less `deviceRegistrationId`, which the summary
/// does not report.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImportState {
    #[serde(default)]
    pub device_import_status: Option<String>,
    #[serde(default)]
    pub device_error_code: Option<i64>,
    #[serde(default)]
    pub device_error_name: Option<String>,
}

impl ImportState {
    pub fn status(&self) -> &str {
        self.device_import_status.as_deref().unwrap_or("unknown")
    }

    /// Processed: neither waiting (`unknown`) nor in progress (`pending`).
    pub fn is_final(&self) -> bool {
        !["unknown", "pending"]
            .iter()
            .any(|waiting| self.status().eq_ignore_ascii_case(waiting))
    }

    pub fn is_complete(&self) -> bool {
        self.status().eq_ignore_ascii_case("complete")
    }
}

impl ImportedRecord {
    /// The record's state; one the service left out is still waiting.
    pub fn state(&self) -> ImportState {
        self.state.clone().unwrap_or_default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportRequest<'a> {
    imported_windows_autopilot_device_identities: Vec<NewRecord<'a>>,
}

/// One row as `/import` takes it; empty fields are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewRecord<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    serial_number: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    product_key: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    hardware_identifier: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    group_tag: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    assigned_user_principal_name: &'a str,
}

impl<'a> From<&'a DeviceRow> for NewRecord<'a> {
    fn from(row: &'a DeviceRow) -> NewRecord<'a> {
        NewRecord {
            odata_type: ODATA_TYPE,
            serial_number: &row.serial_number,
            product_key: &row.product_key,
            hardware_identifier: &row.hardware_hash,
            group_tag: &row.group_tag,
            assigned_user_principal_name: &row.assigned_user,
        }
    }
}

#[derive(Deserialize)]
struct Page {
    value: Vec<ImportedRecord>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    /// One per invalid field, e.g. `importedWindowsAutopilotDeviceIdentities[3].groupTag`.
    #[serde(default)]
    details: Vec<GraphErrorDetail>,
}

#[derive(Deserialize)]
struct GraphErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    target: String,
}

/// A request that failed: it could not be sent, or the service refused it.
#[derive(Debug)]
pub struct RequestError {
    method: Method,
    url: String,
    reason: String,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.url, self.reason)
    }
}

impl std::error::Error for RequestError {}

/// The service at one Graph root, e.g. `https://graph.microsoft.com/beta`.
pub struct GraphClient {
    http: reqwest::Client,
    collection_url: String,
    token: Option<String>,
}

impl GraphClient {
    /// `root` has no trailing `/`.
    pub fn new(root: &str, token: Option<String>) -> Result<GraphClient, reqwest::Error> {
        // reqwest is built without a TLS provider of its own: ring serves https URLs.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("autopilot-registry/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(GraphClient {
            http,
            collection_url: format!("{root}/{COLLECTION}"),
            token,
        })
    }

    /// `POST .../import` with `rows`; the records come back in the order of the rows.
    pub async fn import(&self, rows: &[DeviceRow]) -> Result<Vec<ImportedRecord>, RequestError> {
        let url = format!("{}/import", self.collection_url);
        let request = ImportRequest {
            imported_windows_autopilot_device_identities: rows
                .iter()
                .map(NewRecord::from)
                .collect(),
        };
        let body = serde_json::to_vec(&request).expect("the import request serializes");
        let response = self.send(Method::POST, &url, Some(body)).await?;
        let page: Page = read_json(&Method::POST, &url, response).await?;
        if page.value.len() != rows.len() {
            return Err(RequestError {
                method: Method::POST,
                url,
                reason: format!(
                    "answered {} records for {} rows",
                    page.value.len(),
                    rows.len()
                ),
            });
        }
        Ok(page.value)
    }

    /// Every record of one import: `$filter=importId eq '...'`, page after page. `$select` leaves
    /// out the hardware hashes, about 2 MB per 500 records, which every poll would read again.
    pub async fn records_of_import(
        &self,
        import_id: &str,
    ) -> Result<Vec<ImportedRecord>, RequestError> {
        let filter = format!("importId eq '{}'", import_id.replace('\'', "''"));
        let mut url = format!(
            "{}?$filter={}&$select={POLLED_PROPERTIES}",
            self.collection_url,
            utf8_percent_encode(&filter, COMPONENT)
        );
        let mut records = Vec::new();
        loop {
            let response = self.send(Method::GET, &url, None).await?;
            let page: Page = read_json(&Method::GET, &url, response).await?;
            records.extend(page.value);
            match page.next_link {
                Some(next) => url = next,
                None => return Ok(records),
            }
        }
    }

    /// Deletes a record; one that is already gone counts as deleted.
    pub async fn delete_record(&self, id: &str) -> Result<(), RequestError> {
        let url = format!(
            "{}/{}",
            self.collection_url,
            utf8_percent_encode(id, COMPONENT)
        );
        let response = self.send(Method::DELETE, &url, None).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(&Method::DELETE, &url, response).await.map(drop)
    }

    /// Sends a request, again while the service answers 429, 503 or 504 (up to MAX_ATTEMPTS);
    /// returns the last answer, whatever its status.
    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Response, RequestError> {
        let mut attempt = 1;
        loop {
            let mut request = self.http.request(method.clone(), url);
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let response = request.send().await.map_err(|error| RequestError {
                method: method.clone(),
                url: url.to_owned(),
                reason: error_chain(&error.without_url()),
            })?;
            let status = response.status();
            let retried = [
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::GATEWAY_TIMEOUT,
            ];
            if !retried.contains(&status) || attempt == MAX_ATTEMPTS {
                return Ok(response);
            }
            let pause =
                retry_after(response.headers()).unwrap_or(Duration::from_secs(1 << (attempt - 1)));
            log::warn!("{method} {url} answered {status}; trying again in {pause:?}");
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }
}

/// `Retry-After` in seconds (Graph sends no dates), at most MAX_RETRY_PAUSE.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_PAUSE))
}

/// The answer when it is a success, else the error it says.
async fn success(method: &Method, url: &str, response: Response) -> Result<Response, RequestError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    Err(RequestError {
        method: method.clone(),
        url: url.to_owned(),
        reason: format!("answered {status}{}", refusal(&body)),
    })
}

/// `: code: message` from Graph's error envelope (and each detail's target and message), else the
/// start of the body.
fn refusal(body: &str) -> String {
    match serde_json::from_str::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { error }) => {
            let mut text = format!(": {}: {}", error.code, error.message);
            for detail in error.details.iter().take(QUOTED_DETAILS) {
                text.push_str(&format!("; {}: {}", detail.target, detail.message));
            }
            if error.details.len() > QUOTED_DETAILS {
                text.push_str(&format!("; {} more", error.details.len() - QUOTED_DETAILS));
            }
            text
        }
        Err(_) if body.trim().is_empty() => String::new(),
        Err(_) => {
            let start: String = body.trim().chars().take(QUOTED_BODY_CHARS).collect();
            format!(": {start}")
        }
    }
}

async fn read_json<T: serde::de::DeserializeOwned>(
    method: &Method,
    url: &str,
    response: Response,
) -> Result<T, RequestError> {
    let response = success(method, url, response).await?;
    let status = response.status();
    let failed = |reason: String| RequestError {
        method: method.clone(),
        url: url.to_owned(),
        reason,
    };
    let body = response
        .bytes()
        .await
        .map_err(|e| failed(format!("answered {status}, then {}", error_chain(&e))))?;
    serde_json::from_slice(&body).map_err(|e| {
        failed(format!(
            "answered {status} with a body that is not a list of import records: {e}"
        ))
    })
}

/// An error and its causes, `: `-separated (reqwest's own message names only the outermost).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sent_without_their_empty_fields() {
        let row = DeviceRow {
            line: 2,
            serial_number: "SN1".to_owned(),
            product_key: String::new(),
            hardware_hash: "QUJD".to_owned(),
            group_tag: "Kiosk".to_owned(),
            assigned_user: String::new(),
        };
        let body = serde_json::to_value(ImportRequest {
            imported_windows_autopilot_device_identities: vec![NewRecord::from(&row)],
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"importedWindowsAutopilotDeviceIdentities": [{
                "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                "serialNumber": "SN1",
                "hardwareIdentifier": "QUJD",
                "groupTag": "Kiosk",
            }]})
        );
    }

    #[test]
    fn waiting_states_are_unknown_and_pending() {
        let state = |status: Option<&str>| ImportState {
            device_import_status: status.map(str::to_owned),
            ..ImportState::default()
        };
        assert!(!state(None).is_final());
        assert!(!state(Some("unknown")).is_final());
        assert!(!state(Some("pending")).is_final());
        assert!(state(Some("error")).is_final() && !state(Some("error")).is_complete());
        assert!(state(Some("complete")).is_final() && state(Some("complete")).is_complete());
    }

    #[test]
    fn retry_after_is_seconds_and_capped() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value.parse().unwrap());
            headers
        };
        assert_eq!(retry_after(&headers("3")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&headers("86400")), Some(MAX_RETRY_PAUSE));
        assert_eq!(retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn refusals_quote_graphs_error_message() {
        assert_eq!(
            refusal(
                r#"{"error":{"code":"Forbidden","message":"Missing permission","innerError":{}}}"#
            ),
            ": Forbidden: Missing permission"
        );
        let details: Vec<serde_json::Value> = (0..7)
            .map(|i| {
                serde_json::json!({"code": "BadRequest", "message": "Too long.",
                                        "target": format!("records[{i}].groupTag")})
            })
            .collect();
        let body = serde_json::json!({"error": {"code": "BadRequest", "message": "Too long. (and 6 more; see details)", "details": details}});
        assert_eq!(
            refusal(&body.to_string()),
            ": BadRequest: Too long. (and 6 more; see details); records[0].groupTag: Too long.; \
             records[1].groupTag: Too long.; records[2].groupTag: Too long.; \
             records[3].groupTag: Too long.; records[4].groupTag: Too long.; 2 more"
        );
        assert_eq!(refusal(""), "");
        assert_eq!(
            refusal("<html>Bad gateway</html>"),
            ": <html>Bad gateway</html>"
        );
    }
}
