//! `autopilot-registry import`, the real binary, against the service: the CSV that
//! Get-WindowsAutopilotInfo writes (UTF-16 LE) and a UTF-8 one, the JSON summary and the exit code,
//! the devices the import creates, and the import records it deletes (or keeps).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};

use crate::child::{Run, run_with_timeout};
use crate::helpers::{COLLECTION, TempDir, TestApp, spawn_app};

const IMPORTED: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
/// Upload, the service's import delay (2 s by default), polling every second, and the deletes.
const IMPORT_WITHIN: Duration = Duration::from_secs(120);

/// A hardware hash as long as real ones (about 4,000 base64 characters), distinct per `seed`.
fn hardware_hash(seed: u8) -> String {
    let bytes: Vec<u8> = (0..3000u32)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What Get-WindowsAutopilotInfo -OutputFile writes: ConvertTo-CSV with every quote removed, through
/// Windows PowerShell's Out-File (UTF-16 LE with a byte order mark, CRLF after every line).
fn get_windows_autopilot_info_csv(devices: &[(&str, String)]) -> Vec<u8> {
    let mut text = "Device Serial Number,Windows Product ID,Hardware Hash\r\n".to_owned();
    for (serial, hash) in devices {
        text.push_str(&format!("{serial},,{hash}\r\n"));
    }
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// Runs `import FILE --url http://{service}/beta --json` and the `options`; returns the exit code and
/// the JSON summary.
async fn import(app: &TestApp, file: &Path, options: &[&str]) -> (i32, Json) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autopilot-registry"));
    command
        .arg("import")
        .arg(file)
        .args(["--url", &app.url("beta"), "--json"])
        .args(options)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    let shown = format!("{command:?}");
    let run: Run = tokio::task::spawn_blocking(move || run_with_timeout(command, IMPORT_WITHIN))
        .await
        .expect("the thread that runs the import")
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    println!(
        "{shown}: {}\n--- stdout ---\n{}--- stderr ---\n{}",
        run.outcome(),
        run.stdout,
        run.stderr
    );
    let code = run
        .status
        .and_then(|status| status.code())
        .unwrap_or_else(|| panic!("{shown} did not exit by itself: {}", run.outcome()));
    let summary = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{shown} printed no JSON summary ({e}); its output is above"));
    (code, summary)
}

/// `GET /beta/{set}?$filter=...` → its `value`.
async fn list(app: &TestApp, set: &str, filter: &str) -> Vec<Json> {
    let url = app.url(&format!(
        "beta/{set}?$filter={}",
        utf8_percent_encode(filter, NON_ALPHANUMERIC)
    ));
    let response = app.client.get(url).send().await.expect("request sent");
    assert_eq!(response.status(), StatusCode::OK, "{set} ?$filter={filter}");
    let body: Json = response.json().await.unwrap();
    body["value"].as_array().expect("a value array").clone()
}

/// The device identity with this serial number, if there is one.
async fn device(app: &TestApp, serial: &str) -> Option<Json> {
    let mut devices = list(app, COLLECTION, &format!("serialNumber eq '{serial}'")).await;
    assert!(devices.len() <= 1, "{serial}: {devices:?}");
    devices.pop()
}

/// The import records of every import the summary names.
async fn records(app: &TestApp, summary: &Json) -> Vec<Json> {
    let mut records = Vec::new();
    for import_id in summary["importIds"].as_array().expect("importIds") {
        let filter = format!("importId eq '{}'", import_id.as_str().unwrap());
        records.extend(list(app, IMPORTED, &filter).await);
    }
    records
}

#[tokio::test]
async fn imports_get_windows_autopilot_info_and_utf8_files_and_deletes_the_records() {
    let app = spawn_app().await;
    let dir = TempDir::new("import-command");

    let utf16 = dir.file(
        "AutopilotHWID.csv",
        &get_windows_autopilot_info_csv(&[
            ("GWAI-0001", hardware_hash(1)),
            ("GWAI-0002", hardware_hash(2)),
        ]),
    );
    let (code, summary) = import(&app, &utf16, &[]).await;
    assert_eq!(code, 0, "{summary}");
    assert_eq!(
        summary,
        json!({
            "rows": 2, "complete": 2, "failed": 0, "errors": [], "malformed": [],
            "importIds": summary["importIds"], "recordsDeleted": true,
        })
    );
    assert_eq!(summary["importIds"].as_array().unwrap().len(), 1);
    for serial in ["GWAI-0001", "GWAI-0002"] {
        assert!(device(&app, serial).await.is_some(), "{serial} was created");
    }
    assert_eq!(records(&app, &summary).await, Vec::<Json>::new());

    // UTF-8 from another tool: quoted, LF, the optional columns in another order.
    let utf8 = dir.file(
        "oem.csv",
        format!(
            "\"Hardware Hash\",\"Device Serial Number\",\"Assigned User\",\"Windows Product ID\",\"Group Tag\"\n\
             \"{}\",\"OEM-0001\",\"ana@contoso.com\",\"\",\"Kiosk, lobby\"\n",
            hardware_hash(3)
        )
        .as_bytes(),
    );
    let (code, summary) = import(&app, &utf8, &[]).await;
    assert_eq!(code, 0, "{summary}");
    assert_eq!(
        (&summary["rows"], &summary["complete"]),
        (&json!(1), &json!(1))
    );
    let created = device(&app, "OEM-0001")
        .await
        .expect("OEM-0001 was created");
    assert_eq!(created["groupTag"], "Kiosk, lobby");
    assert_eq!(created["userPrincipalName"], "ana@contoso.com");
    assert_eq!(records(&app, &summary).await, Vec::<Json>::new());
}

#[tokio::test]
async fn keep_records_leaves_the_processed_records_which_name_their_devices() {
    let app = spawn_app().await;
    let dir = TempDir::new("import-command");
    let file = dir.file(
        "AutopilotHWID.csv",
        &get_windows_autopilot_info_csv(&[("KEEP-0001", hardware_hash(4))]),
    );

    let (code, summary) = import(&app, &file, &["--keep-records", "--group-tag", "Lab"]).await;

    assert_eq!(code, 0, "{summary}");
    assert_eq!(summary["recordsDeleted"], false);
    let records = records(&app, &summary).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let state = &records[0]["state"];
    assert_eq!(state["deviceImportStatus"], "complete", "{state}");
    let device_id = state["deviceRegistrationId"].as_str().unwrap();
    let response = app.get(&format!("beta/{COLLECTION}/{device_id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let created: Json = response.json().await.unwrap();
    assert_eq!(
        (&created["serialNumber"], &created["groupTag"]),
        (&json!("KEEP-0001"), &json!("Lab"))
    );
}

#[tokio::test]
async fn a_duplicate_serial_is_806_and_a_malformed_row_is_reported_by_line_while_the_others_import()
{
    let app = spawn_app().await;
    app.create_ok("beta", &json!({"serialNumber": "DUP-0001"}))
        .await;
    let dir = TempDir::new("import-command");
    let file = dir.file(
        "devices.csv",
        format!(
            "Device Serial Number,Windows Product ID,Hardware Hash\n\
             MIX-0001,,{}\n\
             DUP-0001,,{}\n\
             MIX-0003,,this is not base64\n\
             MIX-0004,,{}\n",
            hardware_hash(5),
            hardware_hash(6),
            hardware_hash(7),
        )
        .as_bytes(),
    );

    let (code, summary) = import(&app, &file, &[]).await;

    assert_eq!(code, 1, "{summary}");
    assert_eq!(
        summary,
        json!({
            "rows": 4, "complete": 2, "failed": 1,
            "errors": [{"code": 806, "name": "ZtdDeviceAlreadyAssigned", "count": 1,
                        "rows": [{"line": 3, "serialNumber": "DUP-0001"}]}],
            "malformed": [{"line": 4,
                           "reason": "the hardware hash is not base64: ' ' at character 5"}],
            "importIds": summary["importIds"], "recordsDeleted": true,
        })
    );
    for serial in ["MIX-0001", "MIX-0004"] {
        assert!(device(&app, serial).await.is_some(), "{serial} was created");
    }
    assert!(device(&app, "MIX-0003").await.is_none());
    assert_eq!(records(&app, &summary).await, Vec::<Json>::new());
}
