//! The actix application: middleware that makes every response Graph-shaped, the routes, shared state.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{StatusCode, Uri};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpRequest, web};
use utoipa_actix_web::AppExt;

use crate::auth::Authenticator;
use crate::graph::MAX_BODY_BYTES;
use crate::graph::error::GraphError;
use crate::graph::links::PublicUrl;
use crate::graph::paths;
use crate::graph::request_ids::{CLIENT_REQUEST_ID, REQUEST_ID, RequestIds};
use crate::routes;
use crate::store::Store;

/// The whole service as an actix `App`, ready for `HttpServer::new` or `actix_web::test`.
pub fn graph_app(
    store: Store,
    public_url: Option<PublicUrl>,
    document: web::Data<String>,
    authenticator: web::Data<Authenticator>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let mut app = App::new()
        .app_data(web::Data::new(store))
        .app_data(authenticator)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES));
    if let Some(public_url) = public_url {
        app = app.app_data(public_url);
    }
    let (app, _) = app
        .into_utoipa_app()
        .configure(routes::register)
        .split_for_parts();
    app.configure(|config| routes::docs::configure(config, document))
        .default_service(web::to(|req: HttpRequest| async move {
            Err::<actix_web::HttpResponse, _>(paths::unrouted(req.method().as_str(), req.path()))
        }))
        .wrap(from_fn(graph_responses))
}

/// Rewrites Graph's path variants to the canonical one, then makes every answer Graph-shaped: the
/// request ids on every response, and every error (ours, the router's or an extractor's) rendered as
/// the Graph envelope.
async fn graph_responses(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let ids = RequestIds::for_request(&req);
    if let Ok(path) = paths::parse(req.path()) {
        rewrite_path(&mut req, &path.canonical());
    }
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
        if error.status.is_server_error() {
            log::error!("request {} answered {error}", ids.request_id);
        }
        let rendered = error.render(&ids);
        response = response.into_response(rendered);
    }
    let headers = response.headers_mut();
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
    Ok(response)
}

/// The Graph error a response stands for, if it is an error: the one a handler returned, Graph's
/// route-template error for actix's 405, or a description by status for anything else.
fn graph_error_of<B>(response: &ServiceResponse<B>) -> Option<GraphError> {
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
