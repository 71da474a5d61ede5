//! The Entra ID-like token endpoint, beside the Graph roots: OpenID discovery, the signing keys and
//! client credentials tokens (the protocol is `identity::token`). A side door: it is not in the
//! OpenAPI document, needs no bearer token, and its errors keep Entra's shape.

use actix_web::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use uuid::Uuid;

use super::extract::public_base;
use super::middleware::OwnShape;
use crate::graph::error::GraphError;
use crate::graph::request_ids::RequestIds;
use crate::identity::issuer::Issuer;
use crate::identity::token::{
    EntraError, KeySet, MAX_TOKEN_BODY_BYTES, OpenIdConfiguration, Refusal, TOKEN_BODY_DEADLINE,
    TenantUrls, TokenRequest, issue_token, known_tenant,
};
use crate::store::Store;

const TOKEN_PATH: &str = "/{tenant}/oauth2/v2.0/token";

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            web::get().to(openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", web::get().to(keys))
        .route(TOKEN_PATH, web::post().to(token))
        .route(TOKEN_PATH, web::route().to(token_by_another_method))
        .route(
            "/{tenant}/oauth2/v2.0/authorize",
            web::route().to(authorize),
        );
}

async fn openid_configuration(
    req: HttpRequest,
    tenant: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, GraphError> {
    let base = public_base(&req)?;
    answer(&req, async {
        let tenant = known_tenant(&store, &tenant).await?;
        let urls = TenantUrls::new(&base, tenant);
        Ok(HttpResponse::Ok().json(OpenIdConfiguration::new(&urls)))
    })
    .await
}

async fn keys(
    req: HttpRequest,
    tenant: web::Path<String>,
    store: web::Data<Store>,
    issuer: web::Data<Issuer>,
) -> Result<HttpResponse, GraphError> {
    answer(&req, async {
        known_tenant(&store, &tenant).await?;
        Ok(HttpResponse::Ok().json(KeySet::of(&issuer).await?))
    })
    .await
}

async fn token(
    req: HttpRequest,
    tenant: web::Path<String>,
    payload: web::Payload,
    store: web::Data<Store>,
    issuer: web::Data<Issuer>,
) -> Result<HttpResponse, GraphError> {
    let base = public_base(&req)?;
    answer(&req, async {
        // The tenant first: a request to none is refused without waiting for its body.
        let tenant = known_tenant(&store, &tenant).await?;
        let body = form_body(&req, payload).await?;
        // A body that is not a form has none of the parameters: Entra answers which is missing.
        let fields = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let authorization = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let request = TokenRequest::new(fields, authorization);
        let urls = TenantUrls::new(&base, tenant);
        Ok(issue_token(&store, &issuer, &urls, request).await?.render())
    })
    .await
}

/// The body of a token request, read within [`TOKEN_BODY_DEADLINE`] and up to
/// [`MAX_TOKEN_BODY_BYTES`].
async fn form_body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, Refusal> {
    // A body announced too large is refused before any of it is read.
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<usize>().ok());
    if announced.is_some_and(|length| length > MAX_TOKEN_BODY_BYTES) {
        return Err(EntraError::body_too_large().into());
    }
    let read = async {
        let mut body = Vec::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| EntraError::body_unreadable())?;
            if body.len() + chunk.len() > MAX_TOKEN_BODY_BYTES {
                return Err(EntraError::body_too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok::<_, EntraError>(body)
    };
    match tokio::time::timeout(TOKEN_BODY_DEADLINE, read).await {
        Ok(read) => Ok(read?),
        Err(_) => Err(EntraError::body_too_slow().into()),
    }
}

async fn token_by_another_method(req: HttpRequest) -> Result<HttpResponse, GraphError> {
    let refused = EntraError::post_only(req.method().as_str());
    answer(&req, async { Err(refused.into()) }).await
}

async fn authorize(
    req: HttpRequest,
    tenant: web::Path<String>,
    store: web::Data<Store>,
) -> Result<HttpResponse, GraphError> {
    let base = public_base(&req)?;
    answer(&req, async {
        let tenant: Uuid = known_tenant(&store, &tenant).await?;
        let token_endpoint = TenantUrls::new(&base, tenant).token_endpoint();
        Err(EntraError::no_interactive_sign_in(&token_endpoint).into())
    })
    .await
}

/// The response, or Entra's error body with the request's ids; a database failure is the usual
/// 503 (or 500).
async fn answer(
    req: &HttpRequest,
    outcome: impl Future<Output = Result<HttpResponse, Refusal>>,
) -> Result<HttpResponse, GraphError> {
    match outcome.await {
        Ok(response) => Ok(response),
        Err(Refusal::Entra(error)) => {
            let ids = req
                .extensions()
                .get::<RequestIds>()
                .cloned()
                .unwrap_or_else(RequestIds::fresh);
            Ok(OwnShape::mark(error.render(&ids)))
        }
        Err(Refusal::Store(error)) => Err(error.into()),
    }
}
