//! The `import` action of importedWindowsAutopilotDeviceIdentities: many records in one call.

use crate::domain::ApiVersion;
use crate::domain::entity::PropertyValue;
use crate::domain::imported_identity::IMPORTED_IDENTITIES;
use crate::graph::entity::{parse_entity_body, parse_object};
use crate::graph::error::{ErrorDetail, GraphError};

/// The action's one parameter.
pub const IMPORT_PARAMETER: &str = "importedWindowsAutopilotDeviceIdentities";
/// The most records one call takes, as the portal's CSV upload does.
pub const MAX_IMPORT: usize = 500;
/// The largest body of one call: 500 records with hardware hashes of about 4,000 base64 characters
/// are about 2 MB; this leaves room for longer hashes.
pub const MAX_IMPORT_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The records of an `import` body, each read as a create of an imported identity would be. Every
/// problem names the record: `importedWindowsAutopilotDeviceIdentities[3].serialNumber`.
pub fn parse_import_body(
    body: &[u8],
    version: ApiVersion,
) -> Result<Vec<Vec<PropertyValue>>, GraphError> {
    let mut records = None;
    for (key, raw) in parse_object(body)? {
        if key == IMPORT_PARAMETER {
            records = Some(raw);
        } else if !key.contains('@') {
            return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                &key,
                format!(
                    "The parameter '{key}' in the request payload is not a valid parameter for the \
                     operation 'import'."
                ),
            )]));
        }
    }
    let missing = || {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            IMPORT_PARAMETER,
            format!(
                "The parameter '{IMPORT_PARAMETER}' is required and must be an array of records."
            ),
        )])
    };
    let array = records.ok_or_else(missing)?;
    let records: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(array.get()).map_err(|_| missing())?;
    if records.len() > MAX_IMPORT {
        return Err(GraphError::bad_request(format!(
            "An import takes at most {MAX_IMPORT} records; this one has {}.",
            records.len()
        )));
    }
    let mut parsed = Vec::with_capacity(records.len());
    let mut problems = Vec::new();
    for (i, record) in records.iter().enumerate() {
        match parse_entity_body(&IMPORTED_IDENTITIES, record.get().as_bytes(), version) {
            Ok(assignments) => parsed.push(assignments),
            Err(error) if error.details.is_empty() => problems.push(ErrorDetail::invalid(
                &format!("{IMPORT_PARAMETER}[{i}]"),
                error.message,
            )),
            Err(error) => problems.extend(error.details.into_iter().map(|detail| ErrorDetail {
                target: format!("{IMPORT_PARAMETER}[{i}].{}", detail.target),
                ..detail
            })),
        }
    }
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(GraphError::invalid_fields(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Vec<Vec<PropertyValue>>, GraphError> {
        parse_import_body(body.as_bytes(), ApiVersion::Beta)
    }

    #[test]
    fn records_are_read_as_creates_and_problems_name_the_record() {
        let records = parse(
            r##"{"importedWindowsAutopilotDeviceIdentities":[
                {"serialNumber":"A","hardwareIdentifier":"AAEC"},
                {"@odata.type":"#microsoft.graph.importedWindowsAutopilotDeviceIdentity","orderIdentifier":"G"}]}"##,
        )
        .unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1][0].property.name, "groupTag");
        let error = parse(
            r#"{"importedWindowsAutopilotDeviceIdentities":[{"serialNumber":"A"},{"serialNumber":1},{"foo":2}]}"#,
        )
        .unwrap_err();
        let targets: Vec<&str> = error.details.iter().map(|d| d.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "importedWindowsAutopilotDeviceIdentities[1].serialNumber",
                "importedWindowsAutopilotDeviceIdentities[2].foo"
            ]
        );
    }

    #[test]
    fn the_array_is_required_and_at_most_500_long() {
        for body in [
            "{}",
            r#"{"importedWindowsAutopilotDeviceIdentities":{}}"#,
            "[]",
        ] {
            assert!(parse(body).is_err(), "{body}");
        }
        let record = r#"{"serialNumber":"A"}"#;
        let at_limit = vec![record; 500].join(",");
        let body = format!(r#"{{"importedWindowsAutopilotDeviceIdentities":[{at_limit}]}}"#);
        assert_eq!(parse(&body).unwrap().len(), 500);
        let over =
            format!(r#"{{"importedWindowsAutopilotDeviceIdentities":[{at_limit},{record}]}}"#);
        assert!(parse(&over).unwrap_err().message.contains("at most 500"));
    }

    #[test]
    fn a_hardware_identifier_that_is_not_base64_is_refused() {
        let error = parse(
            r#"{"importedWindowsAutopilotDeviceIdentities":[{"serialNumber":"A","hardwareIdentifier":"not base64!"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            error.details[0].target,
            "importedWindowsAutopilotDeviceIdentities[0].hardwareIdentifier"
        );
    }
}
