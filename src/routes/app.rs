//! The actix application: shared state, the routes with the OpenAPI document they make, the
//! middleware that makes every response Graph-shaped, and compression of answers.

use actix_http::Request;
use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, ServiceFactory, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpRequest, web};
use utoipa_actix_web::AppExt;

use crate::auth::Authenticator;
use crate::graph::MAX_BODY_BYTES;
use crate::graph::links::LinkBase;
use crate::graph::paths;
use crate::identity::issuer::Issuer;
use crate::routes;
use crate::routes::middleware::graph_responses;
use crate::routes::traffic::{self, Traffic};
use crate::routes::{Batching, SyncCooldown};
use crate::store::Store;

/// The whole service, ready for `HttpServer::new` or `actix_web::test`: the actix `App`, able to
/// serve the requests of a `$batch` through itself.
pub fn graph_app(
    store: Store,
    link_base: LinkBase,
    sync_cooldown: SyncCooldown,
    authenticator: web::Data<Authenticator>,
    issuer: web::Data<Issuer>,
    traffic: web::Data<Traffic>,
) -> Batching<
    impl ServiceFactory<
        Request,
        Config = AppConfig,
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = App::new()
        .app_data(web::Data::new(store))
        .app_data(authenticator)
        .app_data(issuer)
        .app_data(web::Data::new(sync_cooldown))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(link_base)
        .app_data(traffic);
    let (app, document) = app
        .into_utoipa_app()
        .openapi(routes::docs::base())
        .configure(routes::register)
        .split_for_parts();
    let app = app
        .configure(|config| routes::docs::configure(config, &document))
        // Beside the Graph roots and outside the OpenAPI document: Entra's protocol, not Graph's.
        .configure(routes::identity::configure)
        .configure(routes::configure_side_doors)
        .configure(routes::configure_console)
        .default_service(web::to(|req: HttpRequest| async move {
            Err::<actix_web::HttpResponse, _>(paths::unrouted(req.method().as_str(), req.path()))
        }))
        .wrap(from_fn(traffic::shape))
        .wrap(from_fn(graph_responses))
        .wrap(from_fn(traffic::observe))
        // gzip (or identity) as the client's Accept-Encoding asks, as Graph does.
        .wrap(Compress::default());
    Batching(app.into_factory())
}
