//! `$filter` on the collection (spec section 6), through HTTP as the SDKs send it: each filter
//! selects exactly the expected devices, and every malformed one is a 400 envelope naming `$filter`.

use reqwest::StatusCode;
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

use crate::helpers::{TestApp, error_of, spawn_app};

/// Percent-encodes everything outside RFC 3986's unreserved characters, as the SDKs encode the
/// value of `$filter` (`contains(serialNumber,'SN')` → `contains%28serialNumber%2C%27SN%27%29`).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn list(app: &TestApp, version: &str, filter: &str) -> reqwest::Response {
    let url = format!("{}?$filter={}", app.collection_url(version), encode(filter));
    app.client.get(url).send().await.expect("request sent")
}

/// The serial numbers of the devices a filter selects.
async fn serials(app: &TestApp, version: &str, filter: &str) -> BTreeSet<String> {
    let response = list(app, version, filter).await;
    let status = response.status();
    let body: Json = response.json().await.expect("a JSON body");
    assert_eq!(status, StatusCode::OK, "{filter}: {body}");
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{filter}: no value array in {body}"))
        .iter()
        .map(|device| device["serialNumber"].as_str().unwrap().to_owned())
        .collect()
}

fn set(serials: &[&str]) -> BTreeSet<String> {
    serials.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn each_filter_selects_exactly_the_matching_devices() {
    let app = spawn_app().await;
    let devices = [
        json!({"serialNumber": "SN-0046-A", "displayName": "Kiosk Lobby 1", "groupTag": "Lobby",
               "enrollmentState": "enrolled", "lastContactedDateTime": "2024-01-01T00:00:00Z"}),
        json!({"serialNumber": "sn-0046-b", "displayName": "KIOSK lobby 2", "groupTag": "LOBBY",
               "enrollmentState": "notContacted", "lastContactedDateTime": "2024-02-01T00:00:00Z"}),
        json!({"serialNumber": "SN-0100", "displayName": "O'Brien 100%_\\", "groupTag": "Finance",
               "enrollmentState": "enrolled", "lastContactedDateTime": "2024-03-01T00:00:00Z"}),
        json!({"serialNumber": "SN-0101", "displayName": "O'Brien 100 percent", "groupTag": "Finance",
               "enrollmentState": "failed", "lastContactedDateTime": "2024-03-01T00:00:00.5Z"}),
        json!({"serialNumber": "SN-0102", "displayName": "OBrien 1000x", "groupTag": "Finance",
               "enrollmentState": "pendingReset", "lastContactedDateTime": "2024-04-01T00:00:00Z"}),
        // No groupTag, default enrollmentState (notContacted) and lastContactedDateTime (0001-01-01).
        json!({"serialNumber": "SN-0200", "displayName": "Desk"}),
        json!({"serialNumber": "SN-0201", "displayName": "'; DROP TABLE device_identities; --",
               "groupTag": "Ops", "enrollmentState": "enrolled",
               "lastContactedDateTime": "2024-05-01T00:00:00Z"}),
        json!({"serialNumber": "SN-0202", "displayName": "a_b", "groupTag": "Ops",
               "enrollmentState": "unknown", "lastContactedDateTime": "2024-05-01T00:00:00Z"}),
        json!({"serialNumber": "SN-0203", "displayName": "axb", "groupTag": "OPS",
               "enrollmentState": "enrolled", "lastContactedDateTime": "2024-06-01T00:00:00+02:00"}),
        // No displayName.
        json!({"serialNumber": "SN-0204", "groupTag": "Ops", "enrollmentState": "failed",
               "lastContactedDateTime": "2023-12-31T23:59:59Z"}),
    ];
    let mut ids = Vec::new();
    for device in &devices {
        let created = app.create_ok("v1.0", device).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let all: Vec<&str> = devices
        .iter()
        .map(|d| d["serialNumber"].as_str().unwrap())
        .collect();
    let all_but = |excluded: &[&str]| -> Vec<&str> {
        all.iter()
            .copied()
            .filter(|s| !excluded.contains(s))
            .collect()
    };

    let id_filter = format!("id eq {}", ids[2]);
    let quoted_id_filter = format!("id eq '{}' or id eq '{}'", ids[2], ids[3]);
    let id_ne_filter = format!("id ne {}", ids[0]);
    let cases: Vec<(&str, Vec<&str>)> = vec![
        // contains / startswith / endswith are case-insensitive.
        (
            "contains(serialNumber,'0046')",
            vec!["SN-0046-A", "sn-0046-b"],
        ),
        (
            "contains(serialNumber,'SN-0046')",
            vec!["SN-0046-A", "sn-0046-b"],
        ),
        ("CONTAINS(serialNumber,'sn-0046-B')", vec!["sn-0046-b"]),
        (
            "startswith(displayName,'kiosk')",
            vec!["SN-0046-A", "sn-0046-b"],
        ),
        ("endswith(displayName,'LOBBY 1')", vec!["SN-0046-A"]),
        (
            "startswith(serialNumber,'sn-01')",
            vec!["SN-0100", "SN-0101", "SN-0102"],
        ),
        ("contains(serialNumber,'nothing like it')", vec![]),
        // eq on strings is case-insensitive too.
        ("serialNumber eq 'sn-0100'", vec!["SN-0100"]),
        ("groupTag eq 'lobby'", vec!["SN-0046-A", "sn-0046-b"]),
        // '' is a quote; %, _ and \ match themselves.
        ("displayName eq 'O''Brien 100%_\\'", vec!["SN-0100"]),
        (
            "contains(displayName,'O''Brien')",
            vec!["SN-0100", "SN-0101"],
        ),
        ("contains(displayName,'100%')", vec!["SN-0100"]),
        ("contains(displayName,'%')", vec!["SN-0100"]),
        (
            "contains(displayName,'_')",
            vec!["SN-0100", "SN-0201", "SN-0202"],
        ),
        ("contains(displayName,'a_b')", vec!["SN-0202"]),
        ("endswith(displayName,'\\')", vec!["SN-0100"]),
        ("startswith(displayName,'%')", vec![]),
        // SQL metacharacters are plain text.
        ("contains(displayName,'DROP TABLE')", vec!["SN-0201"]),
        (
            "displayName eq '''; DROP TABLE device_identities; --'",
            vec!["SN-0201"],
        ),
        (
            "serialNumber eq '''; DROP TABLE device_identities; --'",
            vec![],
        ),
        ("contains(displayName,''';')", vec!["SN-0201"]),
        // null
        ("groupTag eq null", vec!["SN-0200"]),
        ("displayName eq null", vec!["SN-0204"]),
        ("groupTag ne null", all_but(&["SN-0200"])),
        // ne and not are true where the property is null.
        (
            "groupTag ne 'ops'",
            all_but(&["SN-0201", "SN-0202", "SN-0203", "SN-0204"]),
        ),
        (
            "not (groupTag eq 'ops')",
            all_but(&["SN-0201", "SN-0202", "SN-0203", "SN-0204"]),
        ),
        (
            "not contains(displayName,'o')",
            vec!["SN-0200", "SN-0202", "SN-0203", "SN-0204"],
        ),
        // Enums
        (
            "enrollmentState eq 'enrolled'",
            vec!["SN-0046-A", "SN-0100", "SN-0201", "SN-0203"],
        ),
        (
            "enrollmentState ne 'enrolled'",
            all_but(&["SN-0046-A", "SN-0100", "SN-0201", "SN-0203"]),
        ),
        (
            "enrollmentState eq microsoft.graph.enrollmentState'failed'",
            vec!["SN-0101", "SN-0204"],
        ),
        (
            "'notContacted' eq enrollmentState",
            vec!["sn-0046-b", "SN-0200"],
        ),
        // and / or / not / parentheses
        (
            "enrollmentState eq 'enrolled' and groupTag eq 'ops'",
            vec!["SN-0201", "SN-0203"],
        ),
        (
            "enrollmentState eq 'unknown' or groupTag eq 'lobby' and enrollmentState eq 'enrolled'",
            vec!["SN-0046-A", "SN-0202"],
        ),
        (
            "(enrollmentState eq 'unknown' or groupTag eq 'lobby') and enrollmentState eq 'enrolled'",
            vec!["SN-0046-A"],
        ),
        (
            "groupTag eq 'finance' and not (enrollmentState eq 'failed' or enrollmentState eq 'pendingReset')",
            vec!["SN-0100"],
        ),
        (
            "not not startswith(serialNumber,'sn-02')",
            vec!["SN-0200", "SN-0201", "SN-0202", "SN-0203", "SN-0204"],
        ),
        // DateTimeOffset, unquoted or quoted, any offset.
        (
            "lastContactedDateTime gt 2024-03-01T00:00:00Z",
            vec!["SN-0101", "SN-0102", "SN-0201", "SN-0202", "SN-0203"],
        ),
        (
            "lastContactedDateTime le 2024-03-01T00:00:00Z",
            vec!["SN-0046-A", "sn-0046-b", "SN-0100", "SN-0200", "SN-0204"],
        ),
        (
            "lastContactedDateTime le '2024-03-01T01:00:00+01:00'",
            vec!["SN-0046-A", "sn-0046-b", "SN-0100", "SN-0200", "SN-0204"],
        ),
        (
            "lastContactedDateTime eq 2024-05-31T22:00:00Z",
            vec!["SN-0203"],
        ),
        (
            "2024-01-01T00:00:00Z gt lastContactedDateTime",
            vec!["SN-0200", "SN-0204"],
        ),
        (
            "lastContactedDateTime eq 0001-01-01T00:00:00Z",
            vec!["SN-0200"],
        ),
        (
            "lastContactedDateTime ge 2024-05-01T00:00:00Z and lastContactedDateTime lt 2024-06-01T00:00:00+02:00",
            vec!["SN-0201", "SN-0202"],
        ),
        // The key, as a bare or quoted GUID.
        (&id_filter, vec!["SN-0100"]),
        (&quoted_id_filter, vec!["SN-0100", "SN-0101"]),
        (&id_ne_filter, all_but(&["SN-0046-A"])),
        // Keywords and functions in any case, spaces and tabs between tokens.
        (
            "  ContainS(serialNumber,'-01')\tOR\tgroupTag EQ NULL  ",
            vec!["SN-0100", "SN-0101", "SN-0102", "SN-0200"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            serials(&app, "v1.0", filter).await,
            set(&expected),
            "$filter={filter}"
        );
    }

    // Beta sees the same devices.
    assert_eq!(
        serials(&app, "beta", "contains(serialNumber,'0046')").await,
        set(&["SN-0046-A", "sn-0046-b"])
    );
    // The SQL in the values was data: the table is still there, whole.
    assert_eq!(app.device_rows().await, devices.len() as i64);
    assert_eq!(
        serials(&app, "v1.0", "serialNumber ne 'none'").await,
        set(&all)
    );
}

#[tokio::test]
async fn malformed_filters_are_400_envelopes_naming_filter() {
    let app = spawn_app().await;
    app.create_ok("v1.0", &json!({"serialNumber": "SN-1"}))
        .await;
    // Mostly unreserved characters, so that the encoded URL (~50 KB) fits a URI and the server's
    // request-head limit and the filter itself is what gets refused.
    let huge = format!("contains(serialNumber,'{}')", "a".repeat(50_000));
    let cases: Vec<(&str, &str)> = vec![
        ("", "empty"),
        ("   ", "empty"),
        ("(serialNumber eq 'x'", "')'"),
        ("serialNumber eq 'x')", "')'"),
        ("((contains(serialNumber,'x'))", "')'"),
        ("foo eq 'x'", "'foo'"),
        ("SerialNumber eq 'x'", "'SerialNumber'"),
        ("deviceFriendlyName eq 'x'", "'deviceFriendlyName'"),
        ("contains(enrollmentState,'enr')", "enrollmentState"),
        ("enrollmentState eq 'Enrolled'", "'Enrolled'"),
        ("enrollmentState eq 'blocked'", "'blocked'"),
        ("serialNumber eq 'x", "not terminated"),
        ("contains(serialNumber,'x)", "not terminated"),
        ("serialNumber eq 42", "'42'"),
        ("serialNumber eq true", "'true'"),
        ("displayName gt 'a'", "'gt'"),
        ("id eq 'not-a-guid'", "not a valid GUID"),
        ("lastContactedDateTime gt 2024-01-02", "Edm.DateTimeOffset"),
        ("serialNumber eq", "ends unexpectedly"),
        ("tolower(serialNumber) eq 'x'", "'tolower'"),
        ("serialNumber in ('a','b')", "'in'"),
        (
            "serialNumber eq 'a'; DROP TABLE device_identities",
            "';' at position 19",
        ),
        (&huge, "16384 bytes"),
    ];
    for (filter, fragment) in cases {
        let response = list(&app, "v1.0", filter).await;
        let body = error_of(response, StatusCode::BAD_REQUEST, "BadRequest").await;
        let message = body["error"]["message"].as_str().unwrap();
        let shown = &filter[..filter.len().min(60)];
        assert!(message.contains("$filter"), "{shown}: {message}");
        assert!(
            message.contains(fragment),
            "{shown}: {fragment:?} not in {message}"
        );
        assert!(message.len() < 1000, "{shown}: the message echoes too much");
    }
    // Beta knows one more enrollmentState member.
    assert!(
        serials(&app, "beta", "enrollmentState eq 'blocked'")
            .await
            .is_empty()
    );
    assert_eq!(app.device_rows().await, 1);
}
