//! JSON batching (`$batch`, spec `autopilot-workflows.md` section 5): the body that carries up to 20
//! requests, the order `dependsOn` asks for, and the body that answers them. How each request is
//! then served is the HTTP side's business; here a request is only checked and turned into its
//! method, path, headers and body.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, CONTROLS};
use serde::Serialize;
use serde_json::Value as Json;
use serde_json::value::RawValue;

use crate::domain::ApiVersion;
use crate::graph::error::{ErrorDetail, GraphError};
use crate::graph::json_body;

/// The most requests one batch holds, as on Graph.
pub const MAX_REQUESTS: usize = 20;
/// The largest batch body, Graph's limit on a request's payload (4 MB; 413 above it).
pub const MAX_BATCH_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The members of a request that are read; others are skipped without being parsed.
const REQUEST_MEMBERS: [&str; 5] = ["id", "method", "url", "headers", "dependsOn"];

/// Headers a request in a batch cannot set: the service frames the body it sends on itself.
const FRAMING_HEADERS: [HeaderName; 2] = [header::CONTENT_LENGTH, header::TRANSFER_ENCODING];

/// Characters a client may leave unencoded in a request's `url` (Microsoft's own example has
/// `$filter=city eq null`) that a URI cannot hold; `%` is left alone, so encoded text stays as sent.
const NOT_IN_A_URI: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// One request of a batch, checked, ready to be served as if it had been sent alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRequest {
    pub id: String,
    pub method: Method,
    /// The path from the service's base, version root included, with the query.
    pub uri: Uri,
    /// The request's own headers, which replace the batch's of the same name.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Vec<u8>>,
    /// The positions in the batch of the requests this one waits for.
    pub depends_on: Vec<usize>,
}

/// Reads a batch body for the root `version`: every refusal (not JSON, more than 20 requests,
/// an id twice, a dependency that names no request or goes round in a circle, a request that is
/// not one) is a 400 for the whole batch, and names the request.
///
/// The body is read as raw JSON text first and each request's `body` stays that text, never a
/// tree of values, which for some bodies takes tens of times their size: a batch holds about
/// twice its body in memory while it is read.
pub fn parse_batch(body: &[u8], version: ApiVersion) -> Result<Vec<BatchRequest>, GraphError> {
    let not_an_array = || {
        invalid(
            "requests",
            "The batch body must be {\"requests\": [...]}, an array of requests.".to_owned(),
        )
    };
    let document: BTreeMap<String, Box<RawValue>> = json_body::read(body)?;
    let requests: Vec<Box<RawValue>> = document
        .get("requests")
        .and_then(|requests| serde_json::from_str(requests.get()).ok())
        .ok_or_else(not_an_array)?;
    if requests.len() > MAX_REQUESTS {
        return Err(GraphError::bad_request(
            "Number of requests inside batch exceed the limit",
        ));
    }
    let (requests, bodies): (Vec<Json>, Vec<Option<Box<RawValue>>>) = requests
        .iter()
        .map(|request| split_request(request))
        .unzip();
    let mut ids: Vec<String> = Vec::with_capacity(requests.len());
    for (index, request) in requests.iter().enumerate() {
        let id = request_id(request, index)?;
        if ids.iter().any(|earlier| earlier.eq_ignore_ascii_case(&id)) {
            return Err(invalid(
                &format!("requests[{index}].id"),
                format!("The id '{id}' is given to more than one request of the batch."),
            ));
        }
        ids.push(id);
    }
    let mut parsed = Vec::with_capacity(requests.len());
    for (index, ((request, body), id)) in requests.iter().zip(bodies).zip(ids.iter()).enumerate() {
        parsed.push(parse_request(
            request,
            body.as_deref(),
            index,
            id,
            &ids,
            version,
        )?);
    }
    if let Some(index) = in_a_cycle(&parsed) {
        return Err(invalid(
            &format!("requests[{index}].dependsOn"),
            format!(
                "The request '{}' depends on itself through dependsOn.",
                parsed[index].id
            ),
        ));
    }
    Ok(parsed)
}

/// A request's members that are read, as values, and its body as raw JSON text. A request that
/// is not an object is `null`, which has no id.
fn split_request(request: &RawValue) -> (Json, Option<Box<RawValue>>) {
    let Ok(mut members) = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(request.get())
    else {
        return (Json::Null, None);
    };
    let body = members.remove("body");
    let read = members
        .into_iter()
        .filter(|(name, _)| REQUEST_MEMBERS.contains(&name.as_str()))
        .filter_map(|(name, value)| Some((name, serde_json::from_str(value.get()).ok()?)))
        .collect();
    (Json::Object(read), body)
}

fn invalid(target: &str, message: String) -> GraphError {
    GraphError::invalid_fields(vec![ErrorDetail::invalid(target, message)])
}

/// A request's id: a non-empty string (a number is taken as its text, as scripts that build the
/// body from a counter send it).
fn request_id(request: &Json, index: usize) -> Result<String, GraphError> {
    let target = format!("requests[{index}].id");
    match request.get("id") {
        Some(Json::String(id)) if !id.is_empty() => Ok(id.clone()),
        Some(Json::Number(id)) => Ok(id.to_string()),
        _ if !request.is_object() => Err(invalid(
            &format!("requests[{index}]"),
            "Each request of a batch must be an object with an id, a method and a url.".to_owned(),
        )),
        _ => Err(invalid(
            &target,
            "Each request of a batch needs an id, a non-empty string.".to_owned(),
        )),
    }
}

fn parse_request(
    request: &Json,
    body: Option<&RawValue>,
    index: usize,
    id: &str,
    ids: &[String],
    version: ApiVersion,
) -> Result<BatchRequest, GraphError> {
    let field = |name: &str| format!("requests[{index}].{name}");
    let method = request
        .get("method")
        .and_then(Json::as_str)
        .and_then(|method| Method::from_bytes(method.to_ascii_uppercase().as_bytes()).ok())
        .ok_or_else(|| {
            invalid(
                &field("method"),
                format!("The request '{id}' needs a method, an HTTP verb such as GET or POST."),
            )
        })?;
    let url = request
        .get("url")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let uri = relative_path(url, version).ok_or_else(|| {
        invalid(
            &field("url"),
            format!(
                "The url of request '{id}' must be relative to the service root, such as \
                 '/deviceManagement/windowsAutopilotDeviceIdentities'; received '{url}'."
            ),
        )
    })?;
    let headers = match request.get("headers") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Object(headers)) => headers
            .iter()
            .map(|(name, value)| {
                let name = HeaderName::from_bytes(name.as_bytes()).ok();
                let value = value
                    .as_str()
                    .and_then(|value| HeaderValue::from_str(value).ok());
                name.zip(value)
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                invalid(
                    &field("headers"),
                    format!(
                        "The headers of request '{id}' must be an object of header names and \
                         text values."
                    ),
                )
            })?
            .into_iter()
            .filter(|(name, _)| !FRAMING_HEADERS.contains(name))
            .collect(),
        Some(_) => {
            return Err(invalid(
                &field("headers"),
                format!("The headers of request '{id}' must be an object."),
            ));
        }
    };
    let body = match body.filter(|body| body.get() != "null") {
        None => None,
        Some(body) => Some(body_bytes(body, &headers).ok_or_else(|| {
            invalid(
                &field("body"),
                format!(
                    "The body of request '{id}' must be JSON, or base64 text for another \
                     Content-Type."
                ),
            )
        })?),
    };
    let depends_on = match request.get("dependsOn") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(names)) => names
            .iter()
            .map(|name| {
                let name = name.as_str()?;
                ids.iter()
                    .position(|other| other.eq_ignore_ascii_case(name))
                    .filter(|&position| position != index)
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                invalid(
                    &field("dependsOn"),
                    format!(
                        "The dependsOn of request '{id}' must list the ids of other requests \
                         of the batch."
                    ),
                )
            })?,
        Some(_) => {
            return Err(invalid(
                &field("dependsOn"),
                format!("The dependsOn of request '{id}' must be an array of request ids."),
            ));
        }
    };
    Ok(BatchRequest {
        id: id.to_owned(),
        method,
        uri,
        headers,
        body,
        depends_on,
    })
}

/// The path of a request's `url` under the root `version`: relative to the root, with or without a
/// leading `/`, and with or without the root's own segment (`/v1.0/...`, as some SDKs send it);
/// `None` for an empty or absolute URL, or one that is no URI even once encoded.
fn relative_path(url: &str, version: ApiVersion) -> Option<Uri> {
    let url = url.trim();
    let before_query = url.split(['?', '#']).next().unwrap_or_default();
    if before_query.is_empty() || before_query.contains("://") || url.starts_with("//") {
        return None;
    }
    let relative = url.strip_prefix('/').unwrap_or(url);
    let root = version.segment();
    let relative = match relative.get(..root.len() + 1) {
        Some(prefix) if prefix.eq_ignore_ascii_case(&format!("{root}/")) => {
            &relative[root.len() + 1..]
        }
        _ => relative,
    };
    let encoded = percent_encoding::utf8_percent_encode(relative, NOT_IN_A_URI);
    format!("/{root}/{encoded}").parse().ok()
}

/// The bytes a request's `body` stands for: JSON as JSON, unless the request's Content-Type says
/// it is something else, which the body then carries as base64 text.
fn body_bytes(body: &RawValue, headers: &[(HeaderName, HeaderValue)]) -> Option<Vec<u8>> {
    let content_type = headers
        .iter()
        .find(|(name, _)| name == header::CONTENT_TYPE)
        .and_then(|(_, value)| value.to_str().ok());
    match content_type {
        Some(content_type) if !is_json(content_type) && body.get().starts_with('"') => {
            let text: String = serde_json::from_str(body.get()).ok()?;
            [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
                .iter()
                .find_map(|engine| engine.decode(&text).ok())
        }
        _ => Some(body.get().as_bytes().to_vec()),
    }
}

/// Whether a Content-Type is JSON (`application/json`, with parameters or a `+json` suffix).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The position of a request that depends on itself, directly or through others.
fn in_a_cycle(requests: &[BatchRequest]) -> Option<usize> {
    // Kahn's algorithm: whatever cannot be ordered waits on a cycle.
    let mut waiting: Vec<usize> = requests.iter().map(|r| r.depends_on.len()).collect();
    let mut ready: Vec<usize> = (0..requests.len()).filter(|&i| waiting[i] == 0).collect();
    let mut ordered = 0;
    while let Some(done) = ready.pop() {
        ordered += 1;
        for (i, request) in requests.iter().enumerate() {
            for _ in request.depends_on.iter().filter(|&&d| d == done) {
                waiting[i] -= 1;
                if waiting[i] == 0 {
                    ready.push(i);
                }
            }
        }
    }
    (ordered < requests.len()).then(|| waiting.iter().position(|&w| w > 0))?
}

/// Whether an answer's status counts as a failure for the requests that depend on it.
pub fn failed(status: u16) -> bool {
    status >= 400
}

/// The answer to a request whose dependency failed, which is not served.
pub fn failed_dependency(id: &str, dependency: &str) -> GraphError {
    GraphError::new(
        StatusCode::FAILED_DEPENDENCY,
        "FailedDependency",
        format!("The request '{id}' was not run: the request '{dependency}' it depends on failed."),
    )
}

/// A batch's answer: one response for each request, in the order of the requests.
#[derive(Debug, Serialize)]
pub struct BatchResponseBody {
    pub responses: Vec<BatchResponse>,
}

/// The answer to one request of a batch: what it would have been had the request been sent alone.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    /// The id of the request it answers.
    pub id: String,
    pub status: u16,
    /// Every header of the answer.
    pub headers: BTreeMap<String, String>,
    /// JSON inline; other text as a string; anything else base64. Absent when the answer has
    /// no body (a 204).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Json>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Json) -> Result<Vec<BatchRequest>, GraphError> {
        parse_batch(body.to_string().as_bytes(), ApiVersion::V1)
    }

    fn request(id: &str, url: &str) -> Json {
        json!({"id": id, "method": "GET", "url": url})
    }

    fn target(error: &GraphError) -> &str {
        &error.details[0].target
    }

    #[test]
    fn urls_are_relative_to_the_root_with_or_without_its_segment() {
        let cases = [
            ("/deviceManagement/x", "/v1.0/deviceManagement/x"),
            (
                "deviceManagement/x?$top=1",
                "/v1.0/deviceManagement/x?$top=1",
            ),
            ("/v1.0/deviceManagement/x", "/v1.0/deviceManagement/x"),
            ("/V1.0/groups", "/v1.0/groups"),
            ("/beta/groups", "/v1.0/beta/groups"),
            (
                "users?$filter=city eq null&$count=true",
                "/v1.0/users?$filter=city%20eq%20null&$count=true",
            ),
            (
                "/groups?$filter=displayName%20eq%20'a'",
                "/v1.0/groups?$filter=displayName%20eq%20'a'",
            ),
            ("/groups/é", "/v1.0/groups/%C3%A9"),
        ];
        for (url, path) in cases {
            let uri = relative_path(url, ApiVersion::V1).map(|uri| uri.to_string());
            assert_eq!(uri.as_deref(), Some(path), "{url}");
        }
        for url in [
            "",
            "  ",
            "?$top=1",
            "https://graph.microsoft.com/v1.0/groups",
            "//host/groups",
        ] {
            assert_eq!(relative_path(url, ApiVersion::V1), None, "{url}");
        }
    }

    #[test]
    fn a_batch_reads_ids_methods_headers_bodies_and_dependencies() {
        let requests = parse(json!({"requests": [
            {"id": "1", "method": "post", "url": "/groups",
             "headers": {"Content-Type": "application/json", "Content-Length": "1"},
             "body": {"displayName": "G"}},
            {"id": 2, "method": "GET", "url": "/groups", "dependsOn": ["1"]},
            {"id": "three", "method": "PUT", "url": "/x",
             "headers": {"content-type": "text/plain"}, "body": "aGk"},
        ]}))
        .unwrap();
        assert_eq!(requests[0].method, Method::POST);
        assert_eq!(
            requests[0].body.as_deref(),
            Some(&br#"{"displayName":"G"}"#[..])
        );
        assert_eq!(
            requests[0].headers.len(),
            1,
            "Content-Length is the service's to set"
        );
        assert_eq!(requests[1].id, "2");
        assert_eq!(requests[1].depends_on, [0]);
        assert_eq!(requests[2].body.as_deref(), Some(&b"hi"[..]));
    }

    #[test]
    fn a_lenient_batch_body_is_read_too() {
        let body = "{requests: [{id: '1', method: 'GET', url: '/groups',},],}";
        let requests = parse_batch(body.as_bytes(), ApiVersion::Beta).unwrap();
        assert_eq!(requests[0].uri, "/beta/groups");
    }

    #[test]
    fn twenty_requests_are_taken_and_twenty_one_refused() {
        let requests = |n: usize| {
            (0..n)
                .map(|i| request(&i.to_string(), "/groups"))
                .collect::<Vec<_>>()
        };
        assert_eq!(parse(json!({"requests": requests(20)})).unwrap().len(), 20);
        let error = parse(json!({"requests": requests(21)})).unwrap_err();
        assert_eq!(
            error.message,
            "Number of requests inside batch exceed the limit"
        );
    }

    #[test]
    fn malformed_batches_are_refused_naming_the_request() {
        let cases = [
            (json!({}), "requests"),
            (json!({"requests": {}}), "requests"),
            (json!({"requests": [1]}), "requests[0]"),
            (
                json!({"requests": [{"method": "GET", "url": "/x"}]}),
                "requests[0].id",
            ),
            (
                json!({"requests": [{"id": "", "method": "GET", "url": "/x"}]}),
                "requests[0].id",
            ),
            (
                json!({"requests": [request("a", "/x"), request("A", "/y")]}),
                "requests[1].id",
            ),
            (
                json!({"requests": [{"id": "1", "url": "/x"}]}),
                "requests[0].method",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GE T", "url": "/x"}]}),
                "requests[0].method",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET"}]}),
                "requests[0].url",
            ),
            (
                json!({"requests": [request("1", "https://graph.microsoft.com/v1.0/x")]}),
                "requests[0].url",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": []}]}),
                "requests[0].headers",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": {"a": 1}}]}),
                "requests[0].headers",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": {"a b": "c"}}]}),
                "requests[0].headers",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "headers": {"a": "c\nd"}}]}),
                "requests[0].headers",
            ),
            (
                json!({"requests": [{"id": "1", "method": "PUT", "url": "/x",
                                  "headers": {"content-type": "image/png"}, "body": "!!"}]}),
                "requests[0].body",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": "2"}]}),
                "requests[0].dependsOn",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": ["2"]}]}),
                "requests[0].dependsOn",
            ),
            (
                json!({"requests": [{"id": "1", "method": "GET", "url": "/x", "dependsOn": ["1"]}]}),
                "requests[0].dependsOn",
            ),
            (
                json!({"requests": [
                    {"id": "1", "method": "GET", "url": "/x", "dependsOn": ["3"]},
                    {"id": "2", "method": "GET", "url": "/x"},
                    {"id": "3", "method": "GET", "url": "/x", "dependsOn": ["1"]},
                ]}),
                "requests[0].dependsOn",
            ),
        ];
        for (body, expected) in cases {
            let error = parse(body.clone()).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(target(&error), expected, "{body}: {}", error.message);
        }
        for body in [&b"[]"[..], b"", b"{requests: [", b"{\"requests\": null}"] {
            assert_eq!(
                parse_batch(body, ApiVersion::V1).unwrap_err().status,
                StatusCode::BAD_REQUEST
            );
        }
    }

    #[test]
    fn json_content_types() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in ["text/plain", "application/jsonx", "text/json+xml", ""] {
            assert!(!is_json(no), "{no}");
        }
    }

    /// A request's body is the batch's own text of it, never parsed into values and written
    /// again: a batch holds about twice its body while it is read.
    #[test]
    fn a_request_body_is_passed_on_as_its_raw_text() {
        let body = br#"{"requests": [{"id": "1", "method": "POST", "url": "/groups",
                        "body": {"a" :  [1, 2.50, "\u00e9"]}}]}"#;
        let parsed = parse_batch(body, ApiVersion::V1).unwrap();
        assert_eq!(
            parsed[0].body.as_deref(),
            Some(br#"{"a" :  [1, 2.50, "\u00e9"]}"#.as_slice())
        );
    }
}
