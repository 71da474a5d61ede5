//! Creates running concurrently against a service, each answer recorded, for the tests that take
//! the database or the service away mid-load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::helpers::http_client_builder;

/// One create and what came back.
pub struct Attempt {
    pub sent: Instant,
    pub answered: Instant,
    /// The status and body, or why no answer came.
    pub outcome: Result<(StatusCode, Json), String>,
}

impl Attempt {
    /// The new device's id, when the answer was 201.
    pub fn created_id(&self) -> Option<Uuid> {
        match &self.outcome {
            Ok((StatusCode::CREATED, body)) => body["id"].as_str().map(|id| id.parse().unwrap()),
            _ => None,
        }
    }
}

/// `tasks` loops that create devices with unique serial numbers, one request at a time each, until
/// told to stop or a request gets no answer at all (which ends that loop).
pub struct CreateLoad {
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    loops: Vec<JoinHandle<Vec<Attempt>>>,
}

/// A pause after each 503, so a loop does not spin while the database is away.
const PAUSE_AFTER_UNAVAILABLE: Duration = Duration::from_millis(20);
/// No request may take longer than this: a hang fails the test instead of stalling it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

impl CreateLoad {
    pub fn start(collection_url: &str, tasks: usize) -> CreateLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let client = http_client_builder()
            .timeout(CLIENT_TIMEOUT)
            .build()
            .unwrap();
        let loops = (0..tasks)
            .map(|task| {
                let (stop, in_flight, client, url) = (
                    stop.clone(),
                    in_flight.clone(),
                    client.clone(),
                    collection_url.to_owned(),
                );
                tokio::spawn(async move {
                    let mut attempts = Vec::new();
                    for n in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let body = json!({"serialNumber": format!("LOAD-{task}-{n}")});
                        let sent = Instant::now();
                        in_flight.fetch_add(1, Ordering::SeqCst);
                        let outcome = match client.post(&url).json(&body).send().await {
                            Ok(response) => {
                                let status = response.status();
                                match response.json::<Json>().await {
                                    Ok(body) => Ok((status, body)),
                                    Err(e) => Err(format!("{status} with an unreadable body: {e}")),
                                }
                            }
                            Err(e) => Err(format!("no answer: {e:?}")),
                        };
                        let answered = Instant::now();
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        let (unanswered, unavailable) = (
                            outcome.is_err(),
                            matches!(&outcome, Ok((StatusCode::SERVICE_UNAVAILABLE, _))),
                        );
                        attempts.push(Attempt {
                            sent,
                            answered,
                            outcome,
                        });
                        if unanswered {
                            break;
                        }
                        if unavailable {
                            tokio::time::sleep(PAUSE_AFTER_UNAVAILABLE).await;
                        }
                    }
                    attempts
                })
            })
            .collect();
        CreateLoad {
            stop,
            in_flight,
            loops,
        }
    }

    /// How many requests are sent and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Asks every loop to stop after its current request and returns each loop's attempts.
    pub async fn finish(self) -> Vec<Vec<Attempt>> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for handle in self.loops {
            all.push(handle.await.expect("a load loop"));
        }
        all
    }
}

/// Which of `ids` are not in the database.
pub async fn missing_devices(db: &PgPool, ids: &[Uuid]) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT wanted FROM unnest($1::uuid[]) AS wanted \
         WHERE NOT EXISTS (SELECT 1 FROM device_identities WHERE id = wanted)",
    )
    .bind(ids)
    .fetch_all(db)
    .await
    .unwrap()
}
