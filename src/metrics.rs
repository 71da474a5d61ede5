//! Prometheus metrics, served at /metrics in the text format: every request by route template,
//! method and status (a latency histogram, whose `_count` is the request count), and, read when
//! scraped, the database pool, the grouped statements' queues and group sizes, the import and
//! assignment backlogs, and the simulated enrollments by outcome. One registry per service, so that services in one process (tests) count
//! apart.

use std::time::Duration;

use actix_web::http::StatusCode;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::store::Store;

/// Latency buckets, in seconds: from a cached read to a slow list.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// How long a scrape waits for the backlog counts before leaving them out.
const BACKLOG_TIMEOUT: Duration = Duration::from_secs(2);

pub struct Metrics {
    registry: Registry,
    requests: HistogramVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    grouped_queued: IntGaugeVec,
    backlog: IntGaugeVec,
    /// Every instance's enrollments, as the database counts them.
    enrollments: IntCounterVec,
    throttle_unconsulted: IntCounter,
    /// Whether the last throttle lookup failed: a failure is logged when it starts, not at
    /// every request while the database is away.
    throttle_failing: std::sync::atomic::AtomicBool,
}

impl Metrics {
    /// The metrics of the service that runs on `store`.
    pub fn new(store: &Store) -> Metrics {
        let registry = Registry::new();
        let requests = HistogramVec::new(
            HistogramOpts::new(
                "autopilot_http_request_duration_seconds",
                "Requests answered, by route template, method and status, and how long they took",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method", "status"],
        )
        .expect("constant, valid options");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "autopilot_db_pool_connections",
                "Connections of the general database pool, by state (grouped statements hold theirs outside it)",
            ),
            &["state"],
        )
        .expect("constant, valid options");
        let pool_max = IntGauge::new(
            "autopilot_db_pool_max_connections",
            "The most connections the general database pool opens",
        )
        .expect("constant, valid options");
        let grouped_queued = IntGaugeVec::new(
            Opts::new(
                "autopilot_grouped_statement_queue_depth",
                "Requests waiting for a grouped statement",
            ),
            &["statement"],
        )
        .expect("constant, valid options");
        let backlog = IntGaugeVec::new(
            Opts::new(
                "autopilot_backlog",
                "Background work waiting in the database, every instance's and tenant's: imported \
                 records to process (imports), assignment recompute requests (recomputes), devices \
                 pending a profile (pending_devices)",
            ),
            &["work"],
        )
        .expect("constant, valid options");
        let enrollments = IntCounterVec::new(
            Opts::new(
                "autopilot_enrollments_total",
                "Simulated enrollments, every instance's and tenant's, by outcome (success, \
                 espTimeout, failure); a control-plane reset of a tenant takes its share away",
            ),
            &["outcome"],
        )
        .expect("constant, valid options");
        let throttle_unconsulted = IntCounter::new(
            "autopilot_throttle_unconsulted_total",
            "Requests let through unthrottled because the throttle's table could not be reached \
             (--throttle)",
        )
        .expect("constant, valid options");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(throttle_unconsulted.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_max.clone()),
            Box::new(grouped_queued.clone()),
            Box::new(backlog.clone()),
            Box::new(enrollments.clone()),
        ]
        .into_iter()
        .chain(
            store
                .grouped_statements()
                .map(|grouped| Box::new(grouped.group_sizes.clone()) as Box<_>),
        ) {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        Metrics {
            registry,
            requests,
            pool_connections,
            pool_max,
            grouped_queued,
            backlog,
            enrollments,
            throttle_unconsulted,
            throttle_failing: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Counts a request the throttle let through because it could not reach its table.
    /// Counts a request let through because the throttle could not be asked; true for the
    /// first since the throttle last answered.
    pub fn throttle_unconsulted(&self) -> bool {
        self.throttle_unconsulted.inc();
        !self
            .throttle_failing
            .swap(true, std::sync::atomic::Ordering::Relaxed)
    }

    /// The throttle answered.
    pub fn throttle_consulted(&self) {
        self.throttle_failing
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts one answered request; `route` is its template (e.g.
    /// `/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{id}`), never its path, so that
    /// ids do not make series.
    pub fn observe_request(&self, route: &str, method: &str, status: StatusCode, took: Duration) {
        self.requests
            .with_label_values(&[route, method, status.as_str()])
            .observe(took.as_secs_f64());
    }

    /// Every metric in Prometheus' text format, the gauges read now. The backlog, which asks the
    /// database, is left out when it cannot be read quickly.
    pub async fn render(&self, store: &Store) -> String {
        let pool = store.pool_connections();
        let in_use = i64::from(pool.open).saturating_sub(pool.idle as i64);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(in_use);
        self.pool_connections
            .with_label_values(&["idle"])
            .set(pool.idle as i64);
        self.pool_max.set(i64::from(pool.max));
        for grouped in store.grouped_statements() {
            self.grouped_queued
                .with_label_values(&[grouped.name])
                .set(grouped.queued() as i64);
        }
        match tokio::time::timeout(BACKLOG_TIMEOUT, store.backlog()).await {
            Ok(Ok(backlog)) => {
                for (work, count) in [
                    ("imports", backlog.imports_pending),
                    ("recomputes", backlog.recompute_requests),
                    ("pending_devices", backlog.devices_pending),
                ] {
                    self.backlog.with_label_values(&[work]).set(count);
                }
            }
            Ok(Err(error)) => {
                self.backlog.reset();
                log::debug!("metrics: no backlog ({error})");
            }
            Err(_) => {
                self.backlog.reset();
                log::debug!("metrics: no backlog (the database took over {BACKLOG_TIMEOUT:?})");
            }
        }
        match tokio::time::timeout(BACKLOG_TIMEOUT, store.enrollment_counts()).await {
            Ok(Ok(counts)) => {
                for (outcome, total) in counts {
                    let counter = self.enrollments.with_label_values(&[outcome.as_str()]);
                    let total = u64::try_from(total).unwrap_or_default();
                    // The database's total; it only falls when a tenant is reset.
                    if total < counter.get() {
                        counter.reset();
                    }
                    counter.inc_by(total - counter.get());
                }
            }
            Ok(Err(error)) => log::debug!("metrics: no enrollment counts ({error})"),
            Err(_) => log::debug!(
                "metrics: no enrollment counts (the database took over {BACKLOG_TIMEOUT:?})"
            ),
        }
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut text)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(text).expect("the text format is UTF-8")
    }
}
