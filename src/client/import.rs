//! `autopilot-registry import FILE.csv`: reads the file, uploads its rows through
//! `importedWindowsAutopilotDeviceIdentities/import` in batches of 500, reads the records of each
//! import every poll interval until none is waiting, deletes them unless `--keep-records`, and
//! prints the summary.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::csv::{DeviceRow, FileError, read_device_file};
use super::http::{GraphClient, ImportState, RequestError};
use super::progress::Progress;
use super::summary::{EXIT_UNUSABLE, Records, RowOutcome, Summary};
use crate::config::ImportArgs;

/// The most records one `/import` takes (the Intune portal's CSV limit).
pub const BATCH_ROWS: usize = 500;
/// Deletes in flight at once.
const DELETES_IN_FLIGHT: usize = 16;

/// Why an import stopped before its summary.
#[derive(Debug)]
pub enum ImportError {
    File {
        path: PathBuf,
        error: FileError,
    },
    Client(reqwest::Error),
    /// An upload refused: which lines of the file it held.
    Upload {
        first_line: u64,
        last_line: u64,
        error: RequestError,
    },
    Request(RequestError),
    Timeout {
        timeout: Duration,
        waiting: usize,
        uploaded: usize,
        import_ids: Vec<String>,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::File { path, error } => write!(f, "{}: {error}", path.display()),
            ImportError::Client(error) => write!(f, "cannot make an HTTP client: {error}"),
            ImportError::Upload {
                first_line,
                last_line,
                error,
            } => write!(
                f,
                "uploading the rows of lines {first_line} to {last_line}: {error}"
            ),
            ImportError::Request(error) => error.fmt(f),
            ImportError::Timeout {
                timeout,
                waiting,
                uploaded,
                import_ids,
            } => write!(
                f,
                "{waiting} of {uploaded} uploaded rows were still waiting to be processed after {}s \
                 (--timeout); their import records are left in place (imports {})",
                timeout.as_secs(),
                import_ids.join(", ")
            ),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<RequestError> for ImportError {
    fn from(error: RequestError) -> ImportError {
        ImportError::Request(error)
    }
}

/// Runs the command: the summary on stdout (text, or JSON with `--json`), errors on stderr.
pub async fn run(args: &ImportArgs) -> ExitCode {
    match import(args).await {
        Ok(summary) => {
            if args.json {
                println!("{}", summary.to_json());
            } else {
                print!("{summary}");
            }
            if let Records::NotAllDeleted { left, error } = &summary.records {
                eprintln!(
                    "autopilot-registry import: {left} import records could not be deleted: {error}"
                );
            }
            ExitCode::from(summary.exit_code())
        }
        Err(error) => {
            eprintln!("autopilot-registry import: {error}");
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

/// Imports the file and returns what became of each row.
pub async fn import(args: &ImportArgs) -> Result<Summary, ImportError> {
    let file = read_device_file(&args.file, args.group_tag.as_deref()).map_err(|error| {
        ImportError::File {
            path: args.file.clone(),
            error,
        }
    })?;
    if file.rows.is_empty() {
        // Nothing to upload, so no record to delete or keep either.
        let records = if args.keep_records {
            Records::Kept
        } else {
            Records::Deleted
        };
        return Ok(Summary::new(
            Vec::new(),
            &file.malformed,
            Vec::new(),
            records,
        ));
    }
    let client = GraphClient::new(&args.url, args.token.clone()).map_err(ImportError::Client)?;
    let mut progress = Progress::new(file.rows.len() as u64, args.keep_records);
    let outcome = upload_wait_and_delete(&client, &file.rows, args, &mut progress).await;
    progress.finish();
    let (
        Processed {
            states, import_ids, ..
        },
        records,
    ) = outcome?;
    let outcomes = file
        .rows
        .iter()
        .zip(states)
        .map(|(row, state)| RowOutcome {
            line: row.line,
            serial_number: row.serial_number.clone(),
            state,
        })
        .collect();
    Ok(Summary::new(outcomes, &file.malformed, import_ids, records))
}

/// Every row's final state, in row order, and the records and imports that hold them.
struct Processed {
    states: Vec<ImportState>,
    record_ids: Vec<String>,
    import_ids: Vec<String>,
}

/// The whole exchange with the service, under one progress display.
async fn upload_wait_and_delete(
    client: &GraphClient,
    rows: &[DeviceRow],
    args: &ImportArgs,
    progress: &mut Progress,
) -> Result<(Processed, Records), ImportError> {
    let processed = upload_and_wait(client, rows, args, progress).await?;
    let records = if args.keep_records {
        Records::Kept
    } else {
        delete_records(client, &processed.record_ids, progress).await
    };
    Ok((processed, records))
}

/// Uploads every row, then reads the records until each is processed or `--timeout` is up.
async fn upload_and_wait(
    client: &GraphClient,
    rows: &[DeviceRow],
    args: &ImportArgs,
    progress: &mut Progress,
) -> Result<Processed, ImportError> {
    let mut record_ids = Vec::with_capacity(rows.len());
    let mut import_ids: Vec<String> = Vec::new();
    let mut states = vec![ImportState::default(); rows.len()];
    // Records not processed yet: record id → (row index, import id).
    let mut waiting: HashMap<String, (usize, String)> = HashMap::new();
    for (batch_index, batch) in rows.chunks(BATCH_ROWS).enumerate() {
        let records = client
            .import(batch)
            .await
            .map_err(|error| ImportError::Upload {
                first_line: batch[0].line,
                last_line: batch[batch.len() - 1].line,
                error,
            })?;
        for (offset, record) in records.into_iter().enumerate() {
            let row = batch_index * BATCH_ROWS + offset;
            if !import_ids.contains(&record.import_id) {
                import_ids.push(record.import_id.clone());
            }
            record_ids.push(record.id.clone());
            let state = record.state();
            if state.is_final() {
                states[row] = state;
            } else {
                waiting.insert(record.id, (row, record.import_id));
            }
        }
        progress.uploaded((batch_index * BATCH_ROWS + batch.len()) as u64);
    }

    let deadline = Instant::now() + args.timeout;
    loop {
        progress.processed((rows.len() - waiting.len()) as u64);
        if waiting.is_empty() {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(ImportError::Timeout {
                timeout: args.timeout,
                waiting: waiting.len(),
                uploaded: rows.len(),
                import_ids,
            });
        }
        tokio::time::sleep(args.poll_interval.min(deadline - now)).await;
        let unfinished: HashSet<String> = waiting
            .values()
            .map(|(_, import_id)| import_id.clone())
            .collect();
        for import_id in import_ids.iter().filter(|id| unfinished.contains(*id)) {
            for record in client.records_of_import(import_id).await? {
                let state = record.state();
                if state.is_final()
                    && let Some((row, _)) = waiting.remove(&record.id)
                {
                    states[row] = state;
                }
            }
        }
    }
    Ok(Processed {
        states,
        record_ids,
        import_ids,
    })
}

/// Deletes every record, DELETES_IN_FLIGHT at a time, and says whether all are gone.
async fn delete_records(
    client: &GraphClient,
    record_ids: &[String],
    progress: &mut Progress,
) -> Records {
    let mut deletes = futures_util::stream::iter(record_ids)
        .map(|id| client.delete_record(id))
        .buffer_unordered(DELETES_IN_FLIGHT);
    let mut deleted = 0;
    let mut failures = Vec::new();
    progress.deleted(0);
    while let Some(outcome) = deletes.next().await {
        match outcome {
            Ok(()) => {
                deleted += 1;
                progress.deleted(deleted);
            }
            Err(error) => failures.push(error),
        }
    }
    match failures.first() {
        None => Records::Deleted,
        Some(first) => Records::NotAllDeleted {
            left: failures.len(),
            error: first.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    //! The whole command against a small in-memory stand-in for Graph's import records, which
    //! answers the first upload 503, pages its lists and processes a record the second time it
    //! lists it.

    use std::sync::Mutex;

    use actix_web::dev::ServerHandle;
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use serde_json::{Value as Json, json};
    use uuid::Uuid;

    use super::*;
    use crate::client::summary::{EXIT_SOME_ROWS_FAILED, ErrorGroup, FailedRow, Malformed};

    const SET: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
    const TOKEN: &str = "test-token";
    const PAGE_SIZE: usize = 100;

    struct FakeRecord {
        id: String,
        import_id: String,
        sent: Json,
        listed: bool,
    }

    #[derive(Default)]
    struct FakeGraph {
        records: Vec<FakeRecord>,
        /// Answer the next `/import` 503 with `Retry-After: 0`.
        throttle_next_import: bool,
        throttled: usize,
        batch_sizes: Vec<usize>,
        /// Leave every record `unknown`.
        never_process: bool,
    }

    type State = web::Data<Mutex<FakeGraph>>;

    fn refused_token(request: &HttpRequest) -> Option<HttpResponse> {
        let expected = format!("Bearer {TOKEN}");
        let authorization = request.headers().get("authorization");
        (authorization.and_then(|value| value.to_str().ok()) != Some(expected.as_str())).then(
            || {
                HttpResponse::Unauthorized().json(json!({"error": {
                "code": "InvalidAuthenticationToken", "message": "Access token is empty."}}))
            },
        )
    }

    fn view(record: &FakeRecord, status: &str) -> Json {
        let (code, name) = match (status, record.sent["serialNumber"].as_str()) {
            ("complete", Some("DUP")) => (806, "ZtdDeviceAlreadyAssigned"),
            _ => (0, ""),
        };
        let status = if code == 0 { status } else { "error" };
        json!({
            "id": record.id,
            "importId": record.import_id,
            "serialNumber": record.sent["serialNumber"],
            "hardwareIdentifier": record.sent["hardwareIdentifier"],
            "state": {"deviceImportStatus": status, "deviceRegistrationId": "",
                      "deviceErrorCode": code, "deviceErrorName": name},
        })
    }

    async fn fake_import(request: HttpRequest, body: web::Bytes, state: State) -> HttpResponse {
        if let Some(refusal) = refused_token(&request) {
            return refusal;
        }
        let mut graph = state.lock().unwrap();
        if graph.throttle_next_import {
            graph.throttle_next_import = false;
            graph.throttled += 1;
            return HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "0"))
                .finish();
        }
        assert_eq!(
            request.headers().get("content-type").unwrap(),
            "application/json"
        );
        let body: Json = serde_json::from_slice(&body).unwrap();
        let sent = body["importedWindowsAutopilotDeviceIdentities"]
            .as_array()
            .unwrap();
        let import_id = Uuid::new_v4().to_string();
        let mut value = Vec::new();
        for device in sent {
            let record = FakeRecord {
                id: Uuid::new_v4().to_string(),
                import_id: import_id.clone(),
                sent: device.clone(),
                listed: false,
            };
            value.push(view(&record, "unknown"));
            graph.records.push(record);
        }
        graph.batch_sizes.push(sent.len());
        HttpResponse::Ok().json(json!({ "value": value }))
    }

    #[derive(serde::Deserialize)]
    struct ListQuery {
        #[serde(rename = "$filter")]
        filter: String,
        #[serde(rename = "$skiptoken", default)]
        skip: usize,
        #[serde(rename = "$select")]
        select: String,
    }

    async fn fake_list(
        request: HttpRequest,
        query: web::Query<ListQuery>,
        state: State,
    ) -> HttpResponse {
        if let Some(refusal) = refused_token(&request) {
            return refusal;
        }
        let import_id = query
            .filter
            .strip_prefix("importId eq '")
            .and_then(|rest| rest.strip_suffix('\''))
            .unwrap_or_else(|| panic!("unexpected $filter {}", query.filter));
        assert_eq!(query.select, "id,importId,state");
        let mut graph = state.lock().unwrap();
        let never_process = graph.never_process;
        let mut matching: Vec<&mut FakeRecord> = graph
            .records
            .iter_mut()
            .filter(|record| record.import_id == import_id)
            .collect();
        let total = matching.len();
        let value: Vec<Json> = matching
            .iter_mut()
            .skip(query.skip)
            .take(PAGE_SIZE)
            .map(|record| {
                let processed = record.listed && !never_process;
                record.listed = true;
                view(record, if processed { "complete" } else { "unknown" })
            })
            .collect();
        let mut page = json!({ "value": value });
        let next = query.skip + PAGE_SIZE;
        if next < total {
            page["@odata.nextLink"] = json!(format!(
                "http://{}{SET}?$filter={}&$select={}&$skiptoken={next}",
                request.connection_info().host(),
                utf8_percent_encode(&query.filter, NON_ALPHANUMERIC),
                query.select,
            ));
        }
        HttpResponse::Ok().json(page)
    }

    async fn fake_delete(
        request: HttpRequest,
        id: web::Path<String>,
        state: State,
    ) -> HttpResponse {
        if let Some(refusal) = refused_token(&request) {
            return refusal;
        }
        let mut graph = state.lock().unwrap();
        let before = graph.records.len();
        graph.records.retain(|record| record.id != *id);
        if graph.records.len() < before {
            HttpResponse::NoContent().finish()
        } else {
            HttpResponse::NotFound().finish()
        }
    }

    /// The fake on a free port: its Graph root, its state and the handle that stops it.
    fn start(graph: FakeGraph) -> (String, State, ServerHandle) {
        let state = web::Data::new(Mutex::new(graph));
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .route(&format!("{SET}/import"), web::post().to(fake_import))
                .route(SET, web::get().to(fake_list))
                .route(&format!("{SET}/{{id}}"), web::delete().to(fake_delete))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let root = format!("http://{}/beta", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        (root, state, handle)
    }

    /// A CSV file that removes itself when dropped.
    struct CsvFile(PathBuf);

    impl CsvFile {
        fn new(text: &str) -> CsvFile {
            let path = std::env::temp_dir().join(format!("import-{}.csv", Uuid::new_v4()));
            std::fs::write(&path, text).unwrap();
            CsvFile(path)
        }
    }

    impl Drop for CsvFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn args(file: &CsvFile, url: &str) -> ImportArgs {
        ImportArgs {
            file: file.0.clone(),
            url: url.to_owned(),
            token: Some(TOKEN.to_owned()),
            group_tag: None,
            keep_records: false,
            json: false,
            poll_interval: Duration::from_millis(20),
            timeout: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn uploads_in_batches_waits_for_every_record_and_deletes_them() {
        let (root, state, server) = start(FakeGraph {
            throttle_next_import: true,
            ..FakeGraph::default()
        });
        let mut text = "Device Serial Number,Windows Product ID,Hardware Hash\n".to_owned();
        for n in 0..BATCH_ROWS {
            text.push_str(&format!("SN{n:04},,QUJD\n"));
        }
        text.push_str("DUP,,QUJD\nBAD,,QU!D\n");
        let file = CsvFile::new(&text);

        let summary = import(&args(&file, &root)).await.unwrap();

        assert_eq!(
            (summary.rows, summary.complete, summary.failed),
            (502, 500, 1)
        );
        assert_eq!(
            summary.errors,
            [ErrorGroup {
                code: 806,
                name: "ZtdDeviceAlreadyAssigned".to_owned(),
                count: 1,
                rows: vec![FailedRow {
                    line: 502,
                    serial_number: "DUP".to_owned()
                }],
            }]
        );
        assert_eq!(
            summary.malformed,
            [Malformed {
                line: 503,
                reason: "the hardware hash is not base64: '!' at character 3".to_owned()
            }]
        );
        assert_eq!(summary.import_ids.len(), 2);
        assert!(summary.records_deleted);
        assert_eq!(summary.exit_code(), EXIT_SOME_ROWS_FAILED);
        {
            let graph = state.lock().unwrap();
            assert_eq!(
                graph.throttled, 1,
                "the 503 was answered once, then retried"
            );
            assert_eq!(graph.batch_sizes, [BATCH_ROWS, 1]);
            assert!(graph.records.is_empty(), "every record was deleted");
        }
        server.stop(true).await;
    }

    #[tokio::test]
    async fn keep_records_leaves_them_and_the_group_tag_replaces_the_column() {
        let (root, state, server) = start(FakeGraph::default());
        let file = CsvFile::new(
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\n\
             SN1,,-_-_,Kiosk\r\nSN2,00330-1,QUJD,\r\n",
        );
        let args = ImportArgs {
            keep_records: true,
            group_tag: Some("Lab".to_owned()),
            ..args(&file, &root)
        };

        let summary = import(&args).await.unwrap();

        assert_eq!((summary.rows, summary.complete), (2, 2));
        assert!(!summary.records_deleted && summary.records == Records::Kept);
        assert_eq!(summary.exit_code(), 0);
        let sent: Vec<Json> = state
            .lock()
            .unwrap()
            .records
            .iter()
            .map(|record| record.sent.clone())
            .collect();
        let odata_type = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";
        assert_eq!(
            sent,
            [
                json!({"@odata.type": odata_type, "serialNumber": "SN1",
                       "hardwareIdentifier": "+/+/", "groupTag": "Lab"}),
                json!({"@odata.type": odata_type, "serialNumber": "SN2", "productKey": "00330-1",
                       "hardwareIdentifier": "QUJD", "groupTag": "Lab"}),
            ]
        );
        server.stop(true).await;
    }

    #[tokio::test]
    async fn a_refusal_stops_the_import_with_the_status_and_graphs_message() {
        let (root, _state, server) = start(FakeGraph::default());
        let file =
            CsvFile::new("Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,QUJD\n");
        let args = ImportArgs {
            token: Some("someone-else".to_owned()),
            ..args(&file, &root)
        };
        let error = import(&args).await.unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "uploading the rows of lines 2 to 2: \
                 POST {root}/deviceManagement/importedWindowsAutopilotDeviceIdentities/import: \
                 answered 401 Unauthorized: InvalidAuthenticationToken: Access token is empty."
            )
        );
        server.stop(true).await;
    }

    #[tokio::test]
    async fn records_still_waiting_at_the_timeout_stop_the_import() {
        let (root, state, server) = start(FakeGraph {
            never_process: true,
            ..FakeGraph::default()
        });
        let file =
            CsvFile::new("Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,QUJD\n");
        let args = ImportArgs {
            timeout: Duration::from_millis(200),
            ..args(&file, &root)
        };
        let error = import(&args).await.unwrap_err();
        assert!(
            matches!(
                error,
                ImportError::Timeout {
                    waiting: 1,
                    uploaded: 1,
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(state.lock().unwrap().records.len(), 1, "left in place");
        server.stop(true).await;
    }

    #[tokio::test]
    async fn an_unreachable_service_stops_the_import() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let file =
            CsvFile::new("Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,QUJD\n");
        let error = import(&args(&file, &format!("http://127.0.0.1:{port}/beta")))
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("Connection refused"), "{error}");
    }

    #[tokio::test]
    async fn an_empty_file_stops_the_import_naming_the_file() {
        let file = CsvFile::new("");
        let error = import(&args(&file, "http://127.0.0.1:9/beta"))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(&format!("{}: it is empty", file.0.display())),
            "{error}"
        );
    }
}
