//! The one error type of the service and the Graph error envelope it becomes on the wire.
//!
//! Handlers and extractors return [`GraphError`]; the response middleware renders every error,
//! including the ones actix produces by itself, with [`GraphError::render`], so that no framework
//! text or HTML ever reaches a client and every envelope carries the request's ids. A server error
//! carries its cause, which the middleware logs once, with the request id; the client never sees it.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use chrono::Utc;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{ToResponse, ToSchema};

use crate::domain::ENTITY_SETS;
use crate::domain::entity::EntitySet;
use crate::graph::request_ids::RequestIds;

/// What made a request fail on the server's side, for the log.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// Seconds a client should wait before retrying when the database is out of reach.
const RETRY_AFTER_SECONDS: u64 = 5;

/// One invalid field of a request body: Graph's `details` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = microsoft::graph::ODataErrors::ErrorDetails)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    pub target: String,
}

impl ErrorDetail {
    pub fn invalid(target: &str, message: String) -> Self {
        ErrorDetail {
            code: "BadRequest",
            message,
            target: target.to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<ErrorDetail>,
    /// Logged, never sent.
    pub cause: Option<Cause>,
    /// Seconds for `Retry-After` on a 429 or 503, when not the default.
    pub retry_after: Option<u64>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            cause: None,
            retry_after: None,
        }
    }

    /// The same answer, with what caused it for the log.
    pub fn caused_by(self, cause: Cause) -> Self {
        GraphError {
            cause: Some(cause),
            ..self
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// A 400 for field errors: the message repeats the first, `details` lists them all.
    pub fn invalid_fields(details: Vec<ErrorDetail>) -> Self {
        let message = match details.as_slice() {
            [only] => only.message.clone(),
            [first, rest @ ..] => {
                format!("{} (and {} more; see details)", first.message, rest.len())
            }
            [] => "The request body is invalid.".to_owned(),
        };
        GraphError {
            details,
            ..Self::bad_request(message)
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFound", message)
    }

    pub fn entity_not_found(set: &EntitySet, id: &str) -> Self {
        Self::not_found(format!(
            "The {} with id '{id}' does not exist.",
            set.short_name()
        ))
    }

    /// 409 for a value another entity of the tenant already has: in the words of the entity
    /// set whose unique key `key` (an index or constraint name) is, else naming the key.
    pub fn duplicate_key(key: Option<&str>) -> Self {
        let set_key = ENTITY_SETS
            .iter()
            .filter_map(|set| set.unique.as_ref())
            .find(|unique| Some(unique.index) == key);
        let message = match (set_key, key) {
            (Some(unique), _) => unique.conflict_message.to_owned(),
            (None, Some(key)) => format!("Another entity of the tenant already has this '{key}'."),
            (None, None) => "Another entity of the tenant already has this unique key.".to_owned(),
        };
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }

    /// A change that would leave a reference between the tenant's entities broken: it names one
    /// that does not exist, or removes one another still uses (an assignment filter in use).
    pub fn broken_reference(key: Option<&str>) -> Self {
        let which = key.map(|k| format!(" ({k})")).unwrap_or_default();
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "The change would break a reference between entities of the tenant{which}: an \
                 entity it names does not exist, or another entity still uses it (remove that use \
                 first)."
            ),
        )
    }

    pub fn unsupported_media_type(received: Option<&str>) -> Self {
        let received = match received {
            Some(value) => format!("'{value}'"),
            None => "no Content-Type".to_owned(),
        };
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("The request body must be sent as 'application/json'; received {received}."),
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("The request body is larger than the limit of {limit} bytes."),
        )
    }

    /// 429 with the seconds a client should wait.
    pub fn too_many_requests(message: impl Into<String>, retry_after_seconds: u64) -> Self {
        GraphError {
            retry_after: Some(retry_after_seconds),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", message)
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unable to reach its database. Retry after the time given in Retry-After.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The service failed to process the request. The request-id identifies it in the service's log.",
        )
    }

    /// An error that did not come from this service's own code (actix extractors, router, payload
    /// reading), described by its status alone so that no framework wording leaks.
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found("The requested resource does not exist."),
            StatusCode::PAYLOAD_TOO_LARGE => Self::payload_too_large(super::MAX_BODY_BYTES),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::unsupported_media_type(None),
            StatusCode::SERVICE_UNAVAILABLE => Self::service_unavailable(),
            StatusCode::TOO_MANY_REQUESTS => Self::new(
                status,
                "TooManyRequests",
                "Too many requests. Retry after the time given in Retry-After.",
            ),
            StatusCode::BAD_GATEWAY => Self::new(
                status,
                "BadGateway",
                "The service could not get a valid answer from a service it depends on.",
            ),
            StatusCode::GATEWAY_TIMEOUT => Self::new(
                status,
                "GatewayTimeout",
                "A service this one depends on did not answer in time.",
            ),
            status if status.is_client_error() => Self::new(
                status,
                "BadRequest",
                format!(
                    "The request could not be processed ({}).",
                    status.canonical_reason().unwrap_or("client error")
                ),
            ),
            _ => Self::internal(),
        }
    }

    /// The envelope of spec section 5, with the ids of the request it answers.
    pub fn render(&self, ids: &RequestIds) -> HttpResponse {
        let body = ODataError {
            error: MainError {
                code: self.code,
                message: &self.message,
                details: &self.details,
                inner_error: InnerError {
                    date: Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    request_id: &ids.request_id,
                    client_request_id: &ids.client_request_id,
                },
            },
        };
        let mut response = HttpResponse::build(self.status);
        if matches!(
            self.status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
        ) {
            let seconds = self.retry_after.unwrap_or(RETRY_AFTER_SECONDS);
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // A plain challenge: clients must not be told to fetch new claims (no `claims=`).
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(body)
    }
}

/// The error envelope on the wire.
#[derive(Serialize, ToSchema)]
#[schema(as = microsoft::graph::ODataErrors::ODataError)]
pub struct ODataError<'a> {
    error: MainError<'a>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = microsoft::graph::ODataErrors::MainError)]
#[serde(rename_all = "camelCase")]
struct MainError<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    details: &'a [ErrorDetail],
    inner_error: InnerError<'a>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = microsoft::graph::ODataErrors::InnerError)]
struct InnerError<'a> {
    /// UTC, with no offset and no fraction.
    date: String,
    #[serde(rename = "request-id")]
    request_id: &'a str,
    #[serde(rename = "client-request-id")]
    client_request_id: &'a str,
}

/// The shared `error` response every operation refers to for 4XX and 5XX.
pub struct ErrorResponse;

impl<'r> ToResponse<'r> for ErrorResponse {
    fn response() -> (&'r str, RefOr<Response>) {
        let response = ResponseBuilder::new()
            .description("error")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ODataError::name())))
                    .build(),
            )
            .build();
        ("error", response.into())
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for GraphError {}

impl ResponseError for GraphError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The response middleware renders errors again with the request's own ids; this rendering only
    /// stands where it cannot (an error raised outside the routed service).
    fn error_response(&self) -> HttpResponse {
        self.render(&RequestIds::fresh())
    }
}
