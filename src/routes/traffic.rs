//! The middleware that watches and shapes traffic. `observe`, outermost, times every request and,
//! once it is answered, counts it in /metrics, writes its access-log line and records it in the
//! journal. `shape`, inside the Graph-shaping middleware (so its refusals are Graph envelopes with
//! the request's ids), answers a Graph request with an injected fault or the throttle's 429 before
//! any route does work for it.

use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use chrono::Utc;

use crate::auth;
use crate::config::ThrottleRate;
use crate::control::ControlPlane;
use crate::control::faults::Faults;
use crate::control::journal::{Journal, JournalEntry};
use crate::domain::Tenant;
use crate::graph::error::GraphError;
use crate::graph::paths;
use crate::graph::request_ids::{CLIENT_REQUEST_ID, REQUEST_ID};
use crate::logging::ACCESS_TARGET;
use crate::metrics::Metrics;
use crate::store::{Store, Throttled};

/// The route label of a request no route matched.
const UNMATCHED: &str = "unmatched";
/// What the traffic middleware and the side doors (/_control/, /metrics) share: one per service.
pub struct Traffic {
    pub control: ControlPlane,
    pub metrics: Metrics,
    pub faults: Faults,
    /// Kept only while the control plane is on, which alone can read it.
    pub journal: Option<Journal>,
    pub throttle: Option<ThrottleRate>,
}

/// A request to a Graph root, and who sent it when the token says so.
#[derive(Debug, Clone)]
struct GraphCall {
    caller: Option<Identity>,
}

/// The tenant and application of a caller, for the journal, the log, fault rules and the throttle.
#[derive(Debug, Clone)]
struct Identity {
    tenant: Tenant,
    /// The token's `appid` (v1 tokens) or `azp` (v2); empty without one.
    app: String,
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(traffic) = req.app_data::<web::Data<Traffic>>().cloned() else {
        return next.call(req).await;
    };
    let started = Instant::now();
    // The arrival time and path, read only when the journal keeps them.
    let for_journal = traffic.journal.is_some().then(|| {
        (
            Utc::now(),
            req.path().to_owned(),
            req.query_string().to_owned(),
            req.path().starts_with("/_control/")
                || req.path() == "/metrics"
                || req.path().starts_with("/console"),
        )
    });
    if is_graph_root(req.path()) {
        let caller = identify(&req).await;
        req.extensions_mut().insert(GraphCall { caller });
    }
    let method = req.method().clone();
    let response = next.call(req).await?;
    let took = started.elapsed();
    let status = response.status();
    let route = response.request().match_pattern();
    let route = route.as_deref().unwrap_or(UNMATCHED);
    traffic
        .metrics
        .observe_request(route, method_label(&method), status, took);
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    let caller = response
        .request()
        .extensions()
        .get::<GraphCall>()
        .and_then(|call| call.caller.clone());
    let latency_ms = took.as_secs_f64() * 1000.0;
    tracing::info!(
        target: ACCESS_TARGET,
        request_id = header(REQUEST_ID),
        client_request_id = header(CLIENT_REQUEST_ID),
        tenant = caller.as_ref().map(|c| display(c.tenant.0)),
        app = caller.as_ref().map(|c| c.app.as_str()).filter(|app| !app.is_empty()),
        method = method.as_str(),
        route,
        status = status.as_u16(),
        latency_ms,
        "request answered"
    );
    if let (Some(journal), Some((arrived, path, query, false))) = (&traffic.journal, for_journal) {
        journal.record(JournalEntry {
            time: arrived,
            method: method.to_string(),
            path,
            query: (!query.is_empty()).then_some(query),
            status: status.as_u16(),
            duration_ms: latency_ms,
            request_id: header(REQUEST_ID).to_owned(),
            client_request_id: header(CLIENT_REQUEST_ID).to_owned(),
            tenant: caller.as_ref().map(|c| c.tenant.0),
            app: caller.map(|c| c.app).filter(|app| !app.is_empty()),
        });
    }
    Ok(response)
}

pub async fn shape<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let call = req.extensions().get::<GraphCall>().cloned();
    let (Some(traffic), Some(call)) = (req.app_data::<web::Data<Traffic>>().cloned(), call) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let tenant = call.caller.as_ref().map(|c| c.tenant.0);
    if let Some(fault) = traffic
        .faults
        .hit(req.method().as_str(), req.path(), tenant)
    {
        if !fault.latency.is_zero() {
            tokio::time::sleep(fault.latency).await;
        }
        if let Some(error) = fault.error {
            return Ok(req.error_response(error).map_into_right_body());
        }
    }
    // A `$batch` itself takes no token: each of its requests comes back through here and takes
    // its own, as Graph counts them.
    if let (Some(rate), Some(caller)) = (traffic.throttle, &call.caller)
        && !paths::is_batch(req.path())
        && let Some(wait) = throttle_wait(&req, rate, caller, &traffic.metrics).await
    {
        // Whole seconds, rounded up, as Graph's Retry-After.
        let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let error = GraphError::too_many_requests(
            format!(
                "Too many requests: at most {} in {} seconds for this application of the \
                 tenant. Retry after {seconds} seconds.",
                rate.requests,
                rate.period.as_secs_f64(),
            ),
            seconds,
        );
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// How long the caller must wait, when the throttle refuses the request. A throttle that cannot
/// be asked (the database is away, or refuses its statement) refuses nothing, the route then
/// answers for itself; that is a warning and a count in /metrics, since throttling is then off.
async fn throttle_wait(
    req: &ServiceRequest,
    rate: ThrottleRate,
    caller: &Identity,
    metrics: &Metrics,
) -> Option<Duration> {
    let store = req.app_data::<web::Data<Store>>()?;
    let interval = rate.period / rate.requests;
    match store
        .take_throttle_token(caller.tenant, &caller.app, interval, rate.requests)
        .await
    {
        Ok(throttled) => {
            metrics.throttle_consulted();
            match throttled {
                Throttled::Allowed => None,
                Throttled::Wait(wait) => Some(wait),
            }
        }
        Err(error) => {
            if metrics.throttle_unconsulted() {
                log::warn!(
                    "throttle not consulted ({error}): requests are let through, and counted in \
                     autopilot_throttle_unconsulted_total, until it answers again"
                );
            }
            None
        }
    }
}

/// `/v1.0/...` or `/beta/...`, as Graph's routes and the path rewriting see them.
fn is_graph_root(path: &str) -> bool {
    let root = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    root.eq_ignore_ascii_case("v1.0") || root.eq_ignore_ascii_case("beta")
}

/// The caller the route will see, when its token is accepted: the same check the route makes.
/// Who sent the request, when its token is accepted: the check the permission extractor then
/// reuses.
async fn identify(req: &ServiceRequest) -> Option<Identity> {
    let caller = auth::caller(req.request()).await.ok()?;
    Some(Identity {
        tenant: caller.tenant,
        app: caller.app.unwrap_or_default(),
    })
}

/// The method as a metric label: the ones Graph serves, anything else as `other`, so that no
/// client can make new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_roots_are_told_from_side_doors() {
        for graph in ["/v1.0/deviceManagement", "/BETA/groups", "/v1.0"] {
            assert!(is_graph_root(graph), "{graph}");
        }
        for other in ["/_control/faults", "/metrics", "/healthz", "/v2/x", "/"] {
            assert!(!is_graph_root(other), "{other}");
        }
    }
}
