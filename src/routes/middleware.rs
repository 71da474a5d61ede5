//! The middleware that makes every answer Graph-shaped: canonical paths before routing, request
//! ids on every response, every error as the Graph envelope, logged once. Side doors that answer in
//! another protocol's shape (the token endpoint) mark their responses [`OwnShape`].

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use crate::graph::error::GraphError;
use crate::graph::paths;
use crate::graph::request_ids::{CLIENT_REQUEST_ID, REQUEST_ID, RequestIds};

/// Marks a response whose body is already in the shape its protocol wants (an Entra error of the
/// token endpoint): the middleware leaves it as it is rather than making it a Graph envelope.
pub struct OwnShape;

impl OwnShape {
    pub fn mark(mut response: HttpResponse) -> HttpResponse {
        response.extensions_mut().insert(OwnShape);
        response
    }
}

/// Rewrites Graph's path variants to the canonical one, then makes every answer Graph-shaped: the
/// request ids on every response, and every error (ours, the router's or an extractor's) rendered as
/// the Graph envelope.
pub async fn graph_responses(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let ids = RequestIds::for_client_request_id(
        req.headers()
            .get(CLIENT_REQUEST_ID)
            .and_then(|value| value.to_str().ok()),
    );
    if let Ok(path) = paths::parse(req.path()) {
        rewrite_path(&mut req, &path.canonical());
    } else if let Some(batch) = paths::canonical_batch(req.path()) {
        rewrite_path(&mut req, &batch);
    }
    // For handlers that render their own errors with the ids (the token endpoint's trace and
    // correlation ids).
    req.extensions_mut().insert(ids.clone());
    // Routing inside never fails (handler errors arrive as responses); should an inner service ever
    // fail, the error still leaves as an envelope through GraphError's own ResponseError.
    let response =
        next.call(req).await.map_err(|error| {
            actix_web::Error::from(error.as_error::<GraphError>().cloned().unwrap_or_else(|| {
                GraphError::from_status(error.as_response_error().status_code())
            }))
        })?;
    let error = graph_error_of(&response);
    let mut response = response.map_into_boxed_body();
    if let Some(error) = error {
        log_once(&error, &ids);
        let rendered = error.render(&ids);
        response = response.into_response(rendered);
    }
    stamp(response.headers_mut(), &ids);
    Ok(response)
}

/// The headers every Graph answer carries: its request ids and the OData version.
pub fn stamp(headers: &mut HeaderMap, ids: &RequestIds) {
    for (name, value) in [
        (REQUEST_ID, &ids.request_id),
        (CLIENT_REQUEST_ID, &ids.client_request_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers.insert(
        HeaderName::from_static("odata-version"),
        HeaderValue::from_static("4.0"),
    );
}

/// The Graph error a response stands for, if it is an error: the one a handler returned, Graph's
/// route-template error for actix's 405, or a description by status for anything else.
fn graph_error_of<B>(response: &ServiceResponse<B>) -> Option<GraphError> {
    if response.response().extensions().contains::<OwnShape>() {
        return None;
    }
    if let Some(error) = response.response().error() {
        return Some(
            error
                .as_error::<GraphError>()
                .cloned()
                .unwrap_or_else(|| GraphError::from_status(response.status())),
        );
    }
    match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => Some(paths::unrouted(
            response.request().method().as_str(),
            response.request().path(),
        )),
        status if status.is_client_error() || status.is_server_error() => {
            Some(GraphError::from_status(status))
        }
        _ => None,
    }
}

fn rewrite_path(req: &mut ServiceRequest, canonical: &str) {
    if req.path() == canonical {
        return;
    }
    let path_and_query = match req.uri().query() {
        Some(query) => format!("{canonical}?{query}"),
        None => canonical.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    let Ok(path_and_query) = path_and_query.parse() else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = Uri::from_parts(parts) {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
}

/// The one log line of a failed request: server errors with their cause and the request id, which
/// the client saw in its answer. Client errors are the client's business and are not logged.
fn log_once(error: &GraphError, ids: &RequestIds) {
    if !error.status.is_server_error() {
        return;
    }
    let cause = match &error.cause {
        Some(cause) => format!(" (cause: {cause})"),
        None => String::new(),
    };
    // Unavailability passes by itself (the database is restarting); anything else is a fault.
    let level = match error.status {
        StatusCode::SERVICE_UNAVAILABLE => log::Level::Warn,
        _ => log::Level::Error,
    };
    log::log!(level, "request {} answered {error}{cause}", ids.request_id);
}
