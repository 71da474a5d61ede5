//! `$batch`: up to 20 requests in one, each answered as if it had been sent alone. [`Batching`]
//! wraps the whole application (what `HttpServer` serves) and gives the batch handler a way back
//! into that same application, so that every request of a batch goes through the same middleware
//! (request ids, canonical paths, error envelopes), routes, extractors and token checks as any
//! other; the handler only reads the batch, orders it by `dependsOn` and gathers the answers.

use std::collections::BTreeMap;
use std::rc::{Rc, Weak};
use utoipa_actix_web::service_config::ServiceConfig;

use actix_http::Request;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{AppConfig, Payload, Service, ServiceFactory, ServiceResponse};
use actix_web::http::Uri;
use actix_web::http::header::{self, HeaderName};
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::future::{LocalBoxFuture, join_all};
use serde_json::Value as Json;

use crate::auth::Authenticated;
use crate::domain::ApiVersion;
use crate::graph::GRAPH_JSON;
use crate::graph::batch::{
    BatchRequest, BatchResponse, BatchResponseBody, MAX_BATCH_BODY_BYTES, failed,
    failed_dependency, is_json, parse_batch,
};
use crate::graph::error::{ErrorResponse, GraphError};
use crate::graph::paths;
use crate::graph::request_ids::RequestIds;
use crate::graph::schema::{BATCH_TAG, BatchRequestSchema, BatchResponseSchema};
use crate::routes::Handled;
use crate::routes::body::JsonBody;
use crate::routes::middleware::stamp;

/// Serves one request through the whole application.
type Dispatch =
    dyn Fn(Request) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>;

/// The way back into the application, in the extensions of a `$batch` request. Weak: the
/// application owns it, and a request must not keep the application alive.
struct SubRequests(Weak<Dispatch>);

/// Headers of the batch that each of its requests carries too, unless it sets its own: who is
/// asking, and the host and scheme its links are written with.
const INHERITED: [HeaderName; 5] = [
    header::AUTHORIZATION,
    header::HOST,
    header::FORWARDED,
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-proto"),
];

/// The application `F`, able to serve the requests of a batch through itself.
pub struct Batching<F>(pub F);

impl<F, B> ServiceFactory<Request> for Batching<F>
where
    F: ServiceFactory<
            Request,
            Config = AppConfig,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        >,
    F::Service: 'static,
    F::Future: 'static,
    <F::Service as Service<Request>>::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Config = AppConfig;
    type Service = BatchingService<F::Service>;
    type InitError = ();
    type Future = LocalBoxFuture<'static, Result<Self::Service, ()>>;

    fn new_service(&self, config: AppConfig) -> Self::Future {
        let service = self.0.new_service(config);
        Box::pin(async move {
            let service = Rc::new(service.await?);
            let inner = Rc::clone(&service);
            let dispatch: Rc<Dispatch> = Rc::new(move |request| {
                let response = inner.call(request);
                Box::pin(async move { response.await.map(ServiceResponse::map_into_boxed_body) })
            });
            Ok(BatchingService { service, dispatch })
        })
    }
}

pub struct BatchingService<S> {
    service: Rc<S>,
    dispatch: Rc<Dispatch>,
}

impl<S, B> Service<Request> for BatchingService<S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = S::Future;

    actix_web::dev::forward_ready!(service);

    fn call(&self, request: Request) -> Self::Future {
        if paths::is_batch(request.path()) {
            request
                .extensions_mut()
                .insert(SubRequests(Rc::downgrade(&self.dispatch)));
        }
        self.service.call(request)
    }
}

/// The `$batch` route of one root: the same operation, under that root's operationId.
macro_rules! batch_route {
    ($root:ident, $operation_id:literal, $version:expr) => {
        pub mod $root {
            use super::*;

            #[utoipa::path(
                post,
                path = "/$batch",
                tag = BATCH_TAG,
                security(("bearer" = [])),
                operation_id = $operation_id,
                summary = "Send up to 20 requests in one",
                description = "JSON batching: each request is answered as if it had been sent \
                               alone (authorised with the batch's token unless it carries its \
                               own); dependsOn orders them, and a request whose dependency \
                               failed is answered 424.",
                request_body(content = BatchRequestSchema, content_type = "application/json"),
                responses(
                    (status = 200, description = "The answer to each request", body = BatchResponseSchema),
                    (status = "4XX", response = ErrorResponse),
                    (status = "5XX", response = ErrorResponse),
                )
            )]
            #[post("/$batch")]
            pub async fn batch(
                caller: Authenticated,
                req: HttpRequest,
                body: JsonBody<MAX_BATCH_BODY_BYTES>,
            ) -> Handled {
                super::batch(caller, $version, req, body).await
            }

            pub fn routes(config: &mut ServiceConfig) {
                config.service(batch);
            }
        }
    };
}

batch_route!(v1, "batch", ApiVersion::V1);
batch_route!(beta, "beta.batch", ApiVersion::Beta);

/// POST `$batch` (the caller needs a valid token; what each request may do is its own check).
async fn batch(
    _: Authenticated,
    version: ApiVersion,
    req: HttpRequest,
    body: JsonBody<MAX_BATCH_BODY_BYTES>,
) -> Handled {
    let dispatch = req
        .extensions()
        .get::<SubRequests>()
        .and_then(|sub_requests| sub_requests.0.upgrade());
    // Only a batch that came in over HTTP has the way back; one inside a batch does not.
    let Some(dispatch) = dispatch else {
        return Err(GraphError::bad_request(
            "A request inside a batch cannot be a batch itself.",
        ));
    };
    let requests = parse_batch(&body.0, version)?;
    let responses = answer_all(&requests, &req, &dispatch).await;
    Ok(HttpResponse::Ok()
        .content_type(GRAPH_JSON)
        .json(BatchResponseBody { responses }))
}

/// Serves the requests in the order `dependsOn` asks for, those that wait for nothing (more)
/// together; a request whose dependency failed is answered 424 and not served.
async fn answer_all(
    requests: &[BatchRequest],
    batch: &HttpRequest,
    dispatch: &Rc<Dispatch>,
) -> Vec<BatchResponse> {
    let mut answers: Vec<Option<BatchResponse>> = requests.iter().map(|_| None).collect();
    loop {
        let ready: Vec<usize> = (0..requests.len())
            .filter(|&i| answers[i].is_none())
            .filter(|&i| requests[i].depends_on.iter().all(|&d| answers[d].is_some()))
            .collect();
        // Nothing ready means everything is answered: parse_batch refuses circular dependencies.
        if ready.is_empty() {
            break;
        }
        let mut to_send = Vec::new();
        for i in ready {
            let failed_on = requests[i].depends_on.iter().find_map(|&d| {
                answers[d]
                    .as_ref()
                    .filter(|answer| failed(answer.status))
                    .map(|answer| answer.id.clone())
            });
            match failed_on {
                Some(dependency) => {
                    let error = failed_dependency(&requests[i].id, &dependency);
                    let ids = RequestIds::fresh();
                    let mut response = error.render(&ids);
                    stamp(response.headers_mut(), &ids);
                    answers[i] = Some(answer(&requests[i].id, response).await);
                }
                None => to_send.push(i),
            }
        }
        let sent = join_all(to_send.iter().map(|&i| send(&requests[i], batch, dispatch))).await;
        for (i, response) in to_send.into_iter().zip(sent) {
            answers[i] = Some(answer(&requests[i].id, response).await);
        }
    }
    answers.into_iter().flatten().collect()
}

/// Serves one request of the batch through the application, as the HTTP layer would have served
/// it alone: the batch's connection and HTTP version, its inherited headers, then its own.
async fn send(
    request: &BatchRequest,
    batch: &HttpRequest,
    dispatch: &Rc<Dispatch>,
) -> HttpResponse<BoxBody> {
    let mut sub_request = match &request.body {
        Some(body) => Request::with_payload(Payload::from(Bytes::from(body.clone()))),
        None => Request::new(),
    };
    let head = sub_request.head_mut();
    head.method = request.method.clone();
    head.uri = same_origin(batch.uri(), &request.uri);
    head.version = batch.version();
    head.peer_addr = batch.peer_addr();
    for name in INHERITED {
        for value in batch.headers().get_all(&name) {
            head.headers.append(name.clone(), value.clone());
        }
    }
    for (name, _) in &request.headers {
        head.headers.remove(name);
    }
    for (name, value) in &request.headers {
        head.headers.append(name.clone(), value.clone());
    }
    // Its body goes inline into the batch's JSON answer, which is compressed as a whole if at all.
    head.headers.remove(header::ACCEPT_ENCODING);
    if let Some(body) = &request.body {
        head.headers.insert(
            header::CONTENT_LENGTH,
            header::HeaderValue::from(body.len()),
        );
    }
    match dispatch(sub_request).await {
        Ok(response) => response.into_parts().1,
        Err(error) => error.error_response(),
    }
}

/// The request's path under the batch's scheme and authority, which HTTP/2 carries in the URI
/// rather than in a Host header (links are written with them).
fn same_origin(batch: &Uri, path: &Uri) -> Uri {
    let mut parts = path.clone().into_parts();
    parts.scheme = batch.scheme().cloned();
    parts.authority = batch.authority().cloned();
    Uri::from_parts(parts).unwrap_or_else(|_| path.clone())
}

/// A response as one entry of the batch's answer: every header, and the body inline when it is
/// JSON, as a string when it is other text, else base64.
async fn answer(id: &str, response: HttpResponse<BoxBody>) -> BatchResponse {
    let status = response.status().as_u16();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(graph_header_name(name).to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = match actix_web::body::to_bytes(response.into_body()).await {
        Ok(bytes) => bytes,
        Err(error) => {
            log::error!(
                "the body of the answer to batch request '{id}' could not be read: {error}"
            );
            Bytes::new()
        }
    };
    let body = (!bytes.is_empty()).then(|| {
        let text = std::str::from_utf8(&bytes).ok();
        match text {
            Some(_) if is_json(&content_type) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Json::String(STANDARD.encode(&bytes))),
            Some(text) if content_type.to_ascii_lowercase().starts_with("text/") => {
                Json::String(text.to_owned())
            }
            _ => Json::String(STANDARD.encode(&bytes)),
        }
    });
    BatchResponse {
        id: id.to_owned(),
        status,
        headers,
        body,
    }
}

/// A header's name as Graph spells it in a batch's answer (HTTP/1.1 sends them in lower case, and
/// clients read the batch's headers as a plain map).
fn graph_header_name(name: &HeaderName) -> &str {
    match *name {
        header::CONTENT_TYPE => "Content-Type",
        header::LOCATION => "Location",
        header::RETRY_AFTER => "Retry-After",
        header::WWW_AUTHENTICATE => "WWW-Authenticate",
        header::CACHE_CONTROL => "Cache-Control",
        _ if name.as_str() == "odata-version" => "OData-Version",
        _ => name.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_keeps_the_scheme_and_authority_the_batch_came_with() {
        let path: Uri = "/v1.0/groups?$top=1".parse().unwrap();
        let http2: Uri = "https://graph.contoso.test:8443/v1.0/$batch"
            .parse()
            .unwrap();
        assert_eq!(
            same_origin(&http2, &path),
            "https://graph.contoso.test:8443/v1.0/groups?$top=1"
        );
        let http1: Uri = "/v1.0/$batch".parse().unwrap();
        assert_eq!(same_origin(&http1, &path), path);
    }
}
