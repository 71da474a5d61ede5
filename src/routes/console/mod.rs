//! The web console under `/console/` (with `--console`): the staging tenant's state as HTML pages,
//! server-rendered from askama templates (checked when the crate compiles), with a vendored htmx
//! for the live traffic view and no page that needs JavaScript to show its data. Its pages read
//! through the store functions the Graph routes use, and its actions (sync, simulated enrollment,
//! reset) call what the Graph and control routes call.
//!
//! Guarded as the control plane is: the control token, entered once in a sign-in form and kept as
//! a signed session cookie (`HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure` over HTTPS);
//! without a token (loopback under `--auth none` only) anyone who reaches it. Every request passes
//! the Host and Origin checks of [`SameOrigin`](crate::control::origin::SameOrigin); a
//! state-changing one is a form POST that must name its origin and carry the session's CSRF token.
//! Errors are HTML pages too, left alone by the Graph-shaping middleware.

mod catalog;
mod devices;
mod overview;
mod session;
mod tenants;
mod traffic;
mod view;

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, COOKIE, HeaderValue, ORIGIN};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::control::{refused, request_host, single_header};
use super::middleware::OwnShape;
use super::traffic::Traffic;
use crate::control::ControlPlane;
use crate::domain::Tenant;
use crate::domain::entity::{Entity, EntitySet};
use crate::domain::query::{Direction, Filter, OrderKey, Page};
use crate::graph::error::GraphError;
use crate::store::{Store, StoreError};
use session::{COOKIE as SESSION_COOKIE, Session, SessionKey};

/// Where the console is served.
const ROOT: &str = "/console";
/// The vendored htmx (htmx.org on npm, Zero-Clause BSD licence: assets/htmx.LICENSE); the version
/// is in its name, so that it may be cached for a year.
const HTMX: &[u8] = include_bytes!("assets/htmx.min.js");
const HTMX_PATH: &str = "htmx-2.0.11.min.js";
const STYLESHEET: &str = include_str!("assets/console.css");

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope(ROOT)
            .route("", web::get().to(to_root))
            .route("/", web::get().to(tenants::picker))
            .route("/tenant", web::get().to(tenants::open))
            .route("/login", web::get().to(tenants::sign_in_form))
            .route("/login", web::post().to(tenants::sign_in))
            .route("/logout", web::post().to(tenants::sign_out))
            .route("/assets/{name}", web::get().to(asset))
            .service(
                web::scope("/tenants/{tenant}")
                    .route("/", web::get().to(overview::overview))
                    .route("/sync", web::get().to(overview::confirm_sync))
                    .route("/sync", web::post().to(overview::sync))
                    .route("/reset", web::get().to(overview::confirm_reset))
                    .route("/reset", web::post().to(overview::reset))
                    .route("/devices", web::get().to(devices::list))
                    .route("/devices/{device}", web::get().to(devices::device))
                    .route(
                        "/devices/{device}/enroll",
                        web::get().to(devices::confirm_enroll),
                    )
                    .route("/devices/{device}/enroll", web::post().to(devices::enroll))
                    .route("/imports", web::get().to(catalog::imports))
                    .route("/profiles", web::get().to(catalog::profiles))
                    .route("/profiles/{id}", web::get().to(catalog::profile))
                    .route("/groups", web::get().to(catalog::groups))
                    .route("/groups/{id}", web::get().to(catalog::group))
                    .route(
                        "/enrollment-configurations",
                        web::get().to(catalog::enrollment_configurations),
                    )
                    .route(
                        "/enrollment-configurations/{id}",
                        web::get().to(catalog::enrollment_configuration),
                    )
                    .route("/traffic", web::get().to(traffic::traffic))
                    .route("/traffic/live", web::get().to(traffic::live)),
            ),
    );
}

async fn to_root(_: Console) -> HttpResponse {
    see_other(&format!("{ROOT}/"))
}

/// The console's stylesheet and htmx: public files, which the sign-in page needs too.
async fn asset(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, Failure> {
    door(&req)?;
    let (body, content_type, cache): (&'static [u8], _, _) = match name.as_str() {
        HTMX_PATH => (
            HTMX,
            "text/javascript; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        "console.css" => (
            STYLESHEET.as_bytes(),
            "text/css; charset=utf-8",
            "public, max-age=300",
        ),
        other => return Err(Failure::not_found(format!("No asset '{other}'."))),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body))
}

/// A caller of the console: it is on, the request is addressed to this service from no other
/// site's page, and the caller holds a session (a new one, without a control token).
pub struct Console {
    control: ControlPlane,
    key: SessionKey,
    session: Session,
    /// The cookie of a session made for this request, to set on its answer.
    new_cookie: Option<String>,
    https: bool,
}

impl FromRequest for Console {
    type Error = Failure;
    type Future = Ready<Result<Self, Failure>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Console::of(req))
    }
}

impl Console {
    fn of(req: &HttpRequest) -> Result<Console, Failure> {
        let control = door(req)?;
        let key = SessionKey::new(control.token.as_deref());
        let now = Utc::now().timestamp();
        let https = req.connection_info().scheme() == "https";
        if let Some(session) = session_cookie(req).and_then(|cookie| key.verify(cookie, now)) {
            return Ok(Console {
                control,
                key,
                session,
                new_cookie: None,
                https,
            });
        }
        if control.token.is_some() {
            return Err(Failure::SignIn);
        }
        let (session, cookie) = key.issue(now);
        Ok(Console {
            control,
            key,
            session,
            new_cookie: Some(cookie),
            https,
        })
    }

    /// The CSRF token this session's forms carry.
    fn csrf(&self) -> String {
        self.key.csrf_token(&self.session)
    }

    /// 303 to `location` (with the session's cookie when new).
    fn redirect(&self, location: &str) -> HttpResponse {
        let mut response = see_other(location);
        if let Some(cookie) = &self.new_cookie {
            set_cookie(
                &mut response,
                &session_cookie_header(cookie, self.https, false),
            );
        }
        response
    }

    /// What every page shows around its content.
    fn chrome(&self, tenant: Option<Tenant>, current: &'static str) -> Chrome {
        Chrome {
            tenant: tenant.map(|t| t.0.to_string()),
            current,
            csrf: self.csrf(),
            signed_in: self.control.token.is_some(),
        }
    }

    /// A page, with the headers every console page has (and the session's cookie when new).
    fn page(&self, template: &impl Template) -> Result<HttpResponse, Failure> {
        let html = template.render().map_err(render_failure)?;
        let mut response = html_response(StatusCode::OK, html);
        if let Some(cookie) = &self.new_cookie {
            set_cookie(
                &mut response,
                &session_cookie_header(cookie, self.https, false),
            );
        }
        Ok(response)
    }
}

fn render_failure(error: askama::Error) -> Failure {
    Failure::Page {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("The page could not be rendered: {error}."),
    }
}

/// The control plane's settings, when the console is on and the request is addressed to this
/// service from no other site's page.
fn door(req: &HttpRequest) -> Result<ControlPlane, Failure> {
    let control = match req.app_data::<web::Data<Traffic>>() {
        Some(traffic) if traffic.control.console => traffic.control.clone(),
        _ => {
            return Err(Failure::not_found(
                "The console is off: start the service with --console (AUTOPILOT_CONSOLE).",
            ));
        }
    };
    control
        .origin
        .check_addressed(request_host(req), single_header(req, ORIGIN))
        .map_err(|refusal| Failure::from(refused(refusal)))?;
    Ok(control)
}

/// A form post must name its origin (checked by [`door`]): every browser does.
fn origin_named(req: &HttpRequest) -> Result<(), Failure> {
    match single_header(req, ORIGIN) {
        Some(_) => Ok(()),
        None => Err(Failure::forbidden(
            "The console takes form posts from its own pages only: the request names no Origin.",
        )),
    }
}

/// The first `limit` of the tenant's entities of `set` that pass `filter`, by the property `order`
/// then id.
async fn first(
    store: &Store,
    set: &'static EntitySet,
    tenant: Tenant,
    filter: Option<&Filter>,
    order: &str,
    limit: u32,
) -> Result<Vec<Entity>, Failure> {
    listed(store, set, tenant, filter, (order, Direction::Asc), limit).await
}

/// The last `limit` of the tenant's entities of `set` that pass `filter` by the property `order`,
/// the latest first.
async fn latest(
    store: &Store,
    set: &'static EntitySet,
    tenant: Tenant,
    filter: &Filter,
    order: &str,
    limit: u32,
) -> Result<Vec<Entity>, Failure> {
    listed(
        store,
        set,
        tenant,
        Some(filter),
        (order, Direction::Desc),
        limit,
    )
    .await
}

async fn listed(
    store: &Store,
    set: &'static EntitySet,
    tenant: Tenant,
    filter: Option<&Filter>,
    (order, direction): (&str, Direction),
    limit: u32,
) -> Result<Vec<Entity>, Failure> {
    let property = set
        .property(order)
        .expect("the console orders by properties its sets have");
    let order_by = [
        OrderKey {
            property,
            direction,
        },
        OrderKey {
            property: set.key(),
            direction,
        },
    ];
    let page = Page {
        filter,
        order_by: &order_by,
        after: None,
        skip: 0,
        limit,
    };
    Ok(store.list(set, tenant, &page).await?)
}

/// The session cookie's value in the request, if it sent one.
fn session_cookie(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get_all(COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

/// `Set-Cookie` for a session (or, `clear`ing, for none).
fn session_cookie_header(value: &str, https: bool, clear: bool) -> String {
    let mut cookie = format!("{SESSION_COOKIE}={value}; Path={ROOT}; HttpOnly; SameSite=Strict");
    if https {
        cookie.push_str("; Secure");
    }
    if clear {
        cookie.push_str("; Max-Age=0");
    }
    cookie
}

fn set_cookie(response: &mut HttpResponse, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// An HTML answer with the console's headers: no caching, no framing, scripts and styles only
/// from this service.
fn html_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(html)
}

/// 303 to `location`: where a form post or an old address leads.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// What every page shows around its content: the tenant's navigation and the sign-out form.
pub struct Chrome {
    pub tenant: Option<String>,
    /// The navigation entry of the page (`overview`, `devices`, ...).
    pub current: &'static str,
    pub csrf: String,
    /// Whether a sign-in (a control token) guards the console, so that signing out means something.
    pub signed_in: bool,
}

/// A console request that changes state: a form POST from the console's own page (its `Origin`
/// named and ours), with the session's CSRF token; `T` is the rest of the form.
pub struct Posted<T> {
    console: Console,
    form: T,
}

#[derive(Deserialize)]
struct WithCsrf<T> {
    /// Missing is refused as a wrong one is.
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

/// The form of an action that takes nothing but its confirmation.
#[derive(Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = Failure;
    type Future = LocalBoxFuture<'static, Result<Self, Failure>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let console = origin_named(req).and_then(|()| Console::of(req));
        let form = web::Form::<WithCsrf<T>>::from_request(req, payload);
        Box::pin(async move {
            let console = console?;
            let web::Form(WithCsrf { csrf, form }) = form.await.map_err(|error| Failure::Page {
                status: StatusCode::BAD_REQUEST,
                message: format!("The form is not valid: {error}."),
            })?;
            if !console.key.csrf_matches(&console.session, &csrf) {
                return Err(Failure::forbidden(
                    "The form's CSRF token does not belong to this session: reload the page and \
                     try again.",
                ));
            }
            Ok(Posted { console, form })
        })
    }
}

/// The tenant a console path names.
pub struct ConsoleTenant(pub Tenant);

impl FromRequest for ConsoleTenant {
    type Error = Failure;
    type Future = Ready<Result<Self, Failure>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.match_info().get("tenant").unwrap_or_default();
        ready(
            Uuid::parse_str(raw)
                .map(|id| ConsoleTenant(Tenant(id)))
                .map_err(|_| Failure::not_found(format!("'{raw}' is not a tenant id (a GUID)."))),
        )
    }
}

/// An id in a console path: an entity that cannot exist is not found, like any other.
fn id_of(raw: &str, what: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(raw)
        .map_err(|_| Failure::not_found(format!("The tenant has no {what} '{raw}'.")))
}

/// Why a console request failed, answered as an HTML page (or, without a session, as the way to
/// the sign-in form).
#[derive(Debug)]
pub enum Failure {
    Page { status: StatusCode, message: String },
    SignIn,
}

impl Failure {
    fn not_found(message: impl Into<String>) -> Failure {
        Failure::Page {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    fn forbidden(message: impl Into<String>) -> Failure {
        Failure::Page {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }
}

impl From<GraphError> for Failure {
    fn from(error: GraphError) -> Failure {
        // The Graph-shaping middleware logs what it renders; these pages it leaves alone.
        if error.status.is_server_error() {
            log::error!(
                "console answered {}: {} (cause: {:?})",
                error.status,
                error.message,
                error.cause
            );
        }
        Failure::Page {
            status: error.status,
            message: error.message,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::from(GraphError::from(error))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Page { status, message } => write!(f, "{status}: {message}"),
            Failure::SignIn => f.write_str("sign in to the console"),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        match self {
            Failure::Page { status, .. } => *status,
            Failure::SignIn => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let response = match self {
            Failure::SignIn => see_other(&format!("{ROOT}/login")),
            Failure::Page { status, message } => {
                let page = ErrorPage {
                    status: status.as_u16(),
                    reason: status.canonical_reason().unwrap_or("Error"),
                    message,
                };
                let html = page.render().unwrap_or_else(|_| message.clone());
                html_response(*status, html)
            }
        };
        OwnShape::mark(response)
    }
}
