//! The side doors: the test control plane under /_control/ (with --control) and /metrics. Plain
//! JSON, not Graph routes: they are not in the OpenAPI document, and refusals still come as the
//! error envelope every answer of this service uses.

use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, ORIGIN, TRANSFER_ENCODING,
};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::Handled;
use super::traffic::Traffic;
use crate::auth;
use crate::control::faults::FaultSpec;
use crate::control::journal::CAPACITY as JOURNAL_CAPACITY;
use crate::control::origin::{Refusal, SameOrigin};
use crate::domain::Tenant;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::enrollment_configuration::{ENROLLMENT_CONFIGURATIONS, default_configuration};
use crate::domain::enrollment_simulation::{EnrollmentBody, NamedDevice, Selection};
use crate::domain::entity::Value;
use crate::graph::error::GraphError;
use crate::graph::state::check_property_text;
use crate::store::{EnrollmentRefused, ImportStateError, Store};

/// The largest state document `import-state` takes.
const MAX_STATE_BYTES: usize = 128 * 1024 * 1024;
/// The most devices one `seed` makes.
const MAX_SEED_DEVICES: u32 = 1_000_000;
/// The longest serial number prefix `seed` takes.
const MAX_SERIAL_PREFIX_CHARS: usize = 64;
/// Journal entries answered when `limit` is not given.
const DEFAULT_JOURNAL_LIMIT: usize = 100;

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/metrics", web::get().to(metrics)).service(
        web::scope("/_control")
            .route("/tenants/{tenant}/reset", web::post().to(reset))
            .route("/tenants/{tenant}/seed", web::post().to(seed))
            .route("/tenants/{tenant}/export", web::get().to(export))
            .service(
                web::resource("/tenants/{tenant}/import-state")
                    .app_data(web::PayloadConfig::new(MAX_STATE_BYTES))
                    .route(web::post().to(import_state)),
            )
            .route("/tenants/{tenant}/imports/settle", web::post().to(settle))
            .route("/tenants/{tenant}/enrollments", web::post().to(enroll))
            .route(
                "/tenants/{tenant}/devices/{device}/enrollmentStatusPage",
                web::get().to(enrollment_status_page),
            )
            .route("/faults", web::post().to(add_fault))
            .route("/faults", web::get().to(list_faults))
            .route("/faults", web::delete().to(clear_faults))
            .route("/requests", web::get().to(requests))
            .route("/requests", web::delete().to(clear_requests)),
    );
}

/// Prometheus' text format.
async fn metrics(traffic: web::Data<Traffic>, store: web::Data<Store>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, prometheus::TEXT_FORMAT))
        .body(traffic.metrics.render(&store).await)
}

/// A caller of the control plane: it is on, and the caller holds its token when one is set.
struct ControlAccess(web::Data<Traffic>);

impl FromRequest for ControlAccess {
    type Error = GraphError;
    type Future = LocalBoxFuture<'static, Result<Self, GraphError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let access = match req.app_data::<web::Data<Traffic>>() {
            Some(traffic) if traffic.control.enabled => {
                if let Err(refused) = browser_guard(req, &traffic.control.origin) {
                    Err(refused)
                } else if auth::single_authorization(req)
                    .is_some_and(|authorization| traffic.control.admits(authorization))
                {
                    Ok(ControlAccess(traffic.clone()))
                } else {
                    Err(GraphError::new(
                        StatusCode::UNAUTHORIZED,
                        "InvalidAuthenticationToken",
                        "The control plane needs 'Authorization: Bearer' with the control token \
                         (--control-token).",
                    ))
                }
            }
            _ => Err(GraphError::not_found(
                "The control plane is off: start the service with --control (AUTOPILOT_CONTROL).",
            )),
        };
        Box::pin(std::future::ready(access))
    }
}

/// Applies the checks against other web pages ([`SameOrigin`]) to a request: every door a browser
/// could be made to call passes it before it reads anything.
pub(crate) fn browser_guard(req: &HttpRequest, policy: &SameOrigin) -> Result<(), GraphError> {
    let has_body = req.headers().contains_key(TRANSFER_ENCODING)
        || single_header(req, CONTENT_LENGTH).is_some_and(|length| length.trim() != "0");
    policy
        .check(
            request_host(req),
            single_header(req, ORIGIN),
            single_header(req, CONTENT_TYPE),
            has_body,
        )
        .map_err(refused)
}

/// The one value of a header; none when it is missing or repeated (two of a header are as good
/// as a forged one).
pub(crate) fn single_header(req: &HttpRequest, name: HeaderName) -> Option<&str> {
    let mut values = req.headers().get_all(name);
    match (values.next(), values.next()) {
        (Some(value), None) => Some(value.to_str().unwrap_or("\u{fffd}")),
        _ => None,
    }
}

/// The host a request is addressed to: `Host`, or the URI's authority in HTTP/2.
pub(crate) fn request_host(req: &HttpRequest) -> Option<&str> {
    single_header(req, HOST).or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// A refusal of [`SameOrigin`] as the error that answers it.
pub(crate) fn refused(refusal: Refusal) -> GraphError {
    let forbidden = |message: String| GraphError::new(StatusCode::FORBIDDEN, "Forbidden", message);
    match refusal {
        Refusal::NotJson(received) => GraphError::unsupported_media_type(received.as_deref()),
        Refusal::Host(host) => forbidden(format!(
            "The control plane and the console answer requests addressed to this service (its \
             bind address, a loopback name or --public-url's host), not to '{host}'."
        )),
        Refusal::Origin(origin) => forbidden(format!(
            "The control plane and the console do not answer pages of another origin \
             ('{origin}')."
        )),
    }
}

/// The tenant a path names.
fn tenant_of(path: &str) -> Result<Tenant, GraphError> {
    Uuid::parse_str(path)
        .map(Tenant)
        .map_err(|_| GraphError::bad_request(format!("'{path}' is not a tenant id (a GUID).")))
}

/// A JSON body (its Content-Type checked by [`browser_guard`]); an empty body is `{}`.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, GraphError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|error| GraphError::bad_request(format!("The body is not valid: {error}.")))
}

async fn reset(_: ControlAccess, store: web::Data<Store>, tenant: web::Path<String>) -> Handled {
    store.reset_tenant(tenant_of(&tenant)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeedRequest {
    devices: u32,
    serial_prefix: Option<String>,
    group_tag: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SeedAnswer {
    created: u64,
    first_serial_number: String,
    last_serial_number: String,
    duration_ms: f64,
}

async fn seed(
    _: ControlAccess,
    store: web::Data<Store>,
    tenant: web::Path<String>,
    body: web::Bytes,
) -> Handled {
    let tenant = tenant_of(&tenant)?;
    let request: SeedRequest = json_body(&body)?;
    if !(1..=MAX_SEED_DEVICES).contains(&request.devices) {
        return Err(GraphError::bad_request(format!(
            "devices is 1 to {MAX_SEED_DEVICES}."
        )));
    }
    let prefix = request.serial_prefix.as_deref().unwrap_or("SEED");
    if prefix.chars().count() > MAX_SERIAL_PREFIX_CHARS {
        return Err(GraphError::bad_request(format!(
            "serialPrefix has at most {MAX_SERIAL_PREFIX_CHARS} characters."
        )));
    }
    // The checks a device's serialNumber and groupTag pass through Graph.
    check_property_text(&DEVICE_IDENTITIES, "serialNumber", prefix)?;
    let group_tag = request.group_tag.as_deref();
    if let Some(tag) = group_tag {
        check_property_text(&DEVICE_IDENTITIES, "groupTag", tag)?;
    }
    let started = Instant::now();
    let seeded = store
        .seed_devices(tenant, request.devices, prefix, group_tag)
        .await
        .map_err(|error| match error {
            crate::store::StoreError::Duplicate { .. } => GraphError::conflict(format!(
                "The tenant already has a device with a serial number from {prefix}1 on; \
                 choose another serialPrefix, or reset the tenant first."
            )),
            other => other.into(),
        })?;
    Ok(HttpResponse::Created().json(SeedAnswer {
        created: seeded.created,
        first_serial_number: seeded.first_serial_number,
        last_serial_number: seeded.last_serial_number,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    }))
}

async fn export(_: ControlAccess, store: web::Data<Store>, tenant: web::Path<String>) -> Handled {
    let document = store.export_tenant(tenant_of(&tenant)?).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(document))
}

async fn import_state(
    _: ControlAccess,
    store: web::Data<Store>,
    tenant: web::Path<String>,
    body: web::Bytes,
) -> Handled {
    let tenant = tenant_of(&tenant)?;
    let document: Json = json_body(&body)?;
    crate::graph::state::check_document(&document)?;
    store
        .import_tenant(tenant, &document)
        .await
        .map_err(|error| match error {
            ImportStateError::Invalid(message) => GraphError::bad_request(message),
            ImportStateError::Store(error) => error.into(),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

async fn settle(_: ControlAccess, store: web::Data<Store>, tenant: web::Path<String>) -> Handled {
    let settled = store.settle_tenant(tenant_of(&tenant)?).await?;
    Ok(HttpResponse::Ok().json(json!({
        "importsProcessed": settled.imports_processed,
        "devicesSettled": settled.devices_settled,
    })))
}

/// Simulated enrollment: the devices named go through Autopilot's deployment with their
/// effective profile and Enrollment Status Page; answers once every record is written.
async fn enroll(
    _: ControlAccess,
    store: web::Data<Store>,
    tenant: web::Path<String>,
    body: web::Bytes,
) -> Handled {
    let tenant = tenant_of(&tenant)?;
    let body: EnrollmentBody = json_body(&body)?;
    let enrollment = body.check().map_err(GraphError::bad_request)?;
    let enrolled = store
        .simulate_enrollment(tenant, &enrollment)
        .await
        .map_err(|refused| enrollment_refused(refused, &enrollment.selection))?;
    let mut answer = json!({
        "enrolled": enrolled.enrolled,
        "failed": enrolled.failed,
        "alreadyEnrolled": enrolled.already_enrolled,
        "managedDeviceIds": enrolled.managed_device_ids,
    });
    // A device that is no Autopilot identity: which policy drove it, or why Intune refused it.
    if let Some(policy) = enrolled.device_preparation_policy {
        answer["devicePreparationPolicyId"] = json!(policy);
    }
    if let Some(refusal) = enrolled.refusal {
        answer["enrollmentRefusal"] = json!(refusal);
    }
    Ok(HttpResponse::Ok().json(answer))
}

/// Why a simulated enrollment of `selection` was refused, as the error that answers it.
pub(crate) fn enrollment_refused(refused: EnrollmentRefused, selection: &Selection) -> GraphError {
    match refused {
        EnrollmentRefused::NoDevices => GraphError::not_found(match selection {
            Selection::SerialNumber(serial)
            | Selection::Device(NamedDevice {
                serial_number: serial,
                ..
            }) => format!(
                "The tenant has no windowsAutopilotDeviceIdentity with serialNumber '{serial}': \
                 only a registered Autopilot device can enroll."
            ),
            Selection::GroupTag(tag) => {
                format!("The tenant has no windowsAutopilotDeviceIdentity with groupTag '{tag}'.")
            }
        }),
        EnrollmentRefused::NoAccountSetup { serial_number } => GraphError::bad_request(format!(
            "The device '{serial_number}' deploys in self-deploying mode, which has no \
             accountSetup phase to fail in."
        )),
        EnrollmentRefused::UnknownUser(upn) => GraphError::bad_request(format!(
            "The tenant has no user with userPrincipalName '{upn}': a device that is no \
             Autopilot device enrolls for a user of the tenant, whose groups decide the \
             device preparation policy and the enrollment restriction that apply."
        )),
        EnrollmentRefused::Store(error) => error.into(),
    }
}

/// Which Enrollment Status Page applies to a device identity: the highest-priority page assigned
/// to a group that holds it (or to everyone) and not excluded from it, else the default. It
/// changes nothing but a new tenant's defaults, which any request to the set writes.
async fn enrollment_status_page(
    _: ControlAccess,
    store: web::Data<Store>,
    path: web::Path<(String, String)>,
) -> Handled {
    let (tenant, device) = path.into_inner();
    let tenant = tenant_of(&tenant)?;
    let not_found = || {
        GraphError::not_found(format!(
            "The tenant has no windowsAutopilotDeviceIdentity '{device}'."
        ))
    };
    let device_id = Uuid::parse_str(&device).map_err(|_| not_found())?;
    store.ensure_enrollment_defaults(tenant).await?;
    let page = store
        .applicable_enrollment_status_page(tenant, device_id)
        .await?
        .ok_or_else(not_found)?;
    // Deleted since it was chosen: the question is asked again by the caller, not answered 500.
    let entity = store
        .get(&ENROLLMENT_CONFIGURATIONS, tenant, page)
        .await?
        .ok_or_else(|| {
            GraphError::new(
                StatusCode::CONFLICT,
                "Conflict",
                format!("The Enrollment Status Page '{page}' was deleted while it was chosen; ask again."),
            )
        })?;
    let text = |name: &str| {
        ENROLLMENT_CONFIGURATIONS
            .property(name)
            .map(|p| entity.get(p).clone())
    };
    let display_name = match text("displayName") {
        Some(Value::Text(name)) => Some(name),
        _ => None,
    };
    let priority = match text("priority") {
        Some(Value::Int32(priority)) => priority,
        _ => 0,
    };
    Ok(HttpResponse::Ok().json(json!({
        "deviceId": device_id,
        "enrollmentStatusPageId": page,
        "displayName": display_name,
        "priority": priority,
        "isDefault": default_configuration(page).is_some(),
    })))
}

async fn add_fault(ControlAccess(traffic): ControlAccess, body: web::Bytes) -> Handled {
    let spec: FaultSpec = json_body(&body)?;
    let rule = traffic.faults.add(spec).map_err(GraphError::bad_request)?;
    Ok(HttpResponse::Created().json(&*rule))
}

async fn list_faults(ControlAccess(traffic): ControlAccess) -> HttpResponse {
    let rules = traffic.faults.list();
    let rules: Vec<_> = rules.iter().map(|rule| &**rule).collect();
    HttpResponse::Ok().json(json!({ "value": rules }))
}

async fn clear_faults(ControlAccess(traffic): ControlAccess) -> HttpResponse {
    traffic.faults.clear();
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalQuery {
    limit: Option<usize>,
}

async fn requests(
    ControlAccess(traffic): ControlAccess,
    query: web::Query<JournalQuery>,
) -> Handled {
    let limit = query.limit.unwrap_or(DEFAULT_JOURNAL_LIMIT);
    if !(1..=JOURNAL_CAPACITY).contains(&limit) {
        return Err(GraphError::bad_request(format!(
            "limit is 1 to {JOURNAL_CAPACITY}."
        )));
    }
    let entries = traffic
        .journal
        .as_ref()
        .map(|journal| journal.last(limit))
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({ "value": entries })))
}

async fn clear_requests(ControlAccess(traffic): ControlAccess) -> HttpResponse {
    if let Some(journal) = &traffic.journal {
        journal.clear();
    }
    HttpResponse::NoContent().finish()
}
