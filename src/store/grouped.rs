//! Grouped statements for the two hottest requests, create and read by id.
//!
//! Concurrent requests queue up; a few tasks, each owning one connection, take everything queued
//! (up to a limit) and run it as ONE statement, so PostgreSQL pays one round trip, one plan and,
//! for creates, one commit (one WAL flush) per group instead of per request. At low load a group is
//! a single request: nothing waits for company. A statement commits before its answers are sent,
//! so a 201 always stands for a committed row.
//!
//! The tasks run on the runtime that starts them; each HTTP worker thread starts its own (see
//! `Store::with_own_grouped_statements`), so a request, its statement and its answer stay on one
//! thread rather than waking another twice. All queues of one statement count in the same metrics.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts};
use sqlx::{Connection, PgConnection};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{SharedOptions, StoreError, is_unreachable};

/// The most requests one statement serves (a create binds about 30 values per request; PostgreSQL
/// takes at most 65,535).
const MAX_GROUP: usize = 64;
/// Requests that may wait for a free connection before senders wait too.
const QUEUE_CAPACITY: usize = 4096;
/// Group sizes /metrics tells apart: powers of two up to [`MAX_GROUP`].
const GROUP_SIZE_BUCKETS: [f64; 7] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
/// How long a request may wait for its answer, queueing included: then it is answered 503.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting plus one statement may take before the connection is given up.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(4);

/// A statement that answers many requests at once.
pub(super) trait GroupStatement: Send + Sync + 'static {
    type Request: Send + Sync + 'static;
    type Answer: Send + 'static;

    /// Runs `requests` as one statement: one answer per request, in order, or the statement's error.
    fn run<'a>(
        &'a self,
        connection: &'a mut PgConnection,
        requests: &'a [Self::Request],
    ) -> impl Future<Output = Result<Vec<Result<Self::Answer, StoreError>>, sqlx::Error>> + Send + 'a;
}

type Job<S> = (
    <S as GroupStatement>::Request,
    oneshot::Sender<Result<<S as GroupStatement>::Answer, StoreError>>,
);

/// What every queue of one grouped statement counts into, for /metrics.
#[derive(Clone)]
pub struct GroupedMetrics {
    pub name: &'static str,
    /// Requests waiting for a connection's task right now.
    queued: Arc<AtomicUsize>,
    /// How many requests each statement served.
    pub group_sizes: Histogram,
}

impl GroupedMetrics {
    /// `name` labels the statement's series.
    pub fn new(name: &'static str) -> GroupedMetrics {
        let group_sizes = Histogram::with_opts(
            HistogramOpts::new(
                "autopilot_grouped_statement_requests",
                "Requests served by one grouped statement",
            )
            .const_label("statement", name)
            .buckets(GROUP_SIZE_BUCKETS.to_vec()),
        )
        .expect("constant, valid histogram options");
        GroupedMetrics {
            name,
            queued: Arc::default(),
            group_sizes,
        }
    }

    /// Requests waiting for a connection's task right now, in every queue of the statement.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

/// The queue of one grouped statement and the tasks that serve it.
pub(super) struct Grouped<S: GroupStatement> {
    queue: mpsc::Sender<Job<S>>,
    metrics: GroupedMetrics,
}

impl<S: GroupStatement> Grouped<S> {
    /// Starts `connections` tasks (each connects on first use) on the current runtime.
    pub fn start(
        statement: S,
        options: SharedOptions,
        connections: u32,
        metrics: GroupedMetrics,
    ) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let statement = Arc::new(statement);
        for _ in 0..connections {
            tokio::spawn(serve(
                statement.clone(),
                options.clone(),
                receiver.clone(),
                metrics.clone(),
            ));
        }
        Grouped { queue, metrics }
    }

    pub fn metrics(&self) -> &GroupedMetrics {
        &self.metrics
    }

    /// Queues `request` and waits for its answer.
    pub async fn submit(&self, request: S::Request) -> Result<S::Answer, StoreError> {
        let (answer, answered) = oneshot::channel();
        let exchange = async {
            self.metrics.queued.fetch_add(1, Ordering::Relaxed);
            if self.queue.send((request, answer)).await.is_err() {
                self.metrics.queued.fetch_sub(1, Ordering::Relaxed);
                return Err(StoreError::from(sqlx::Error::PoolClosed));
            }
            // A dropped sender means the serving task is gone (the runtime is shutting down).
            answered
                .await
                .unwrap_or_else(|_| Err(StoreError::from(sqlx::Error::PoolClosed)))
        };
        tokio::time::timeout(ANSWER_TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| Err(StoreError::from(sqlx::Error::PoolTimedOut)))
    }
}

/// One connection's task: takes a group, runs it, answers it, until the queue closes.
async fn serve<S: GroupStatement>(
    statement: Arc<S>,
    options: SharedOptions,
    queue: Arc<Mutex<mpsc::Receiver<Job<S>>>>,
    metrics: GroupedMetrics,
) {
    let mut connection = None;
    while let Some(jobs) = next_group(&queue).await {
        metrics.queued.fetch_sub(jobs.len(), Ordering::Relaxed);
        metrics.group_sizes.observe(jobs.len() as f64);
        let (requests, answers): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        let results = run_group(&*statement, &options, &mut connection, &requests).await;
        for (answer, result) in answers.into_iter().zip(results) {
            // The requester may have timed out and gone; nothing to tell it then.
            let _ = answer.send(result);
        }
    }
}

/// Waits for one request, then takes every other request already queued, up to [`MAX_GROUP`].
async fn next_group<T>(queue: &Mutex<mpsc::Receiver<T>>) -> Option<Vec<T>> {
    let mut queue = queue.lock().await;
    let first = queue.recv().await?;
    let mut group = vec![first];
    while group.len() < MAX_GROUP {
        match queue.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
    Some(group)
}

/// Runs a group on the task's connection (connecting first when it has none), one answer per
/// request whatever happens. A statement that fails for a reason other than the connection is run
/// again per request, so that one bad request cannot fail its neighbours.
async fn run_group<S: GroupStatement>(
    statement: &S,
    options: &SharedOptions,
    connection: &mut Option<PgConnection>,
    requests: &[S::Request],
) -> Vec<Result<S::Answer, StoreError>> {
    let attempt = async {
        if connection.is_none() {
            let options = options
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone();
            *connection = Some(PgConnection::connect_with(&options).await?);
        }
        let conn = connection.as_mut().expect("connected above");
        match statement.run(conn, requests).await {
            Err(error) if requests.len() > 1 && !is_unreachable(&error) => {
                let mut answers = Vec::with_capacity(requests.len());
                for request in requests {
                    answers.push(
                        match statement.run(conn, std::slice::from_ref(request)).await {
                            Ok(mut answer) => answer.pop().expect("one answer per request"),
                            Err(error) => Err(StoreError::from(error)),
                        },
                    );
                }
                Ok(answers)
            }
            outcome => outcome,
        }
    };
    let failure = match tokio::time::timeout(STATEMENT_TIMEOUT, attempt).await {
        Ok(Ok(answers)) => return answers,
        Ok(Err(error)) => StoreError::from(error),
        Err(_) => StoreError::from(sqlx::Error::PoolTimedOut),
    };
    if matches!(failure, StoreError::Unavailable(_)) {
        // Whatever state the connection is in, the next group starts on a fresh one.
        *connection = None;
    }
    requests.iter().map(|_| Err(failure.clone())).collect()
}
