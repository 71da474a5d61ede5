//! The `import` action of importedWindowsAutopilotDeviceIdentities: many records in one call; and
//! the reading of any action's body that lists records (its parameters, the array, each record).

use serde_json::value::RawValue;

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
    let mut parameters = action_parameters(body, "import", &[IMPORT_PARAMETER])?;
    let records = records_of(&mut parameters, IMPORT_PARAMETER, MAX_IMPORT)?;
    parse_records(&records, IMPORT_PARAMETER, |record| {
        parse_entity_body(&IMPORTED_IDENTITIES, record, version)
    })
}

/// The parameters of an action's body, by name: a parameter the action does not take (`known`) is
/// a 400 naming it; annotations are ignored.
pub fn action_parameters(
    body: &[u8],
    action: &str,
    known: &[&str],
) -> Result<Vec<(String, Box<RawValue>)>, GraphError> {
    let mut parameters = Vec::new();
    for (key, raw) in parse_object(body)? {
        if known.contains(&key.as_str()) {
            parameters.push((key, raw));
        } else if !key.contains('@') {
            return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                &key,
                format!(
                    "The parameter '{key}' in the request payload is not a valid parameter for the \
                     operation '{action}'."
                ),
            )]));
        }
    }
    Ok(parameters)
}

/// The records of the array parameter `name` (required, at most `max`), each as sent.
pub fn records_of(
    parameters: &mut Vec<(String, Box<RawValue>)>,
    name: &str,
    max: usize,
) -> Result<Vec<Box<RawValue>>, GraphError> {
    let missing = || {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            name,
            format!("The parameter '{name}' is required and must be an array of records."),
        )])
    };
    let position = parameters
        .iter()
        .position(|(key, _)| key == name)
        .ok_or_else(missing)?;
    let (_, array) = parameters.swap_remove(position);
    let records: Vec<Box<RawValue>> = serde_json::from_str(array.get()).map_err(|_| missing())?;
    if records.len() > max {
        return Err(GraphError::bad_request(format!(
            "'{name}' takes at most {max} records; this one has {}.",
            records.len()
        )));
    }
    Ok(records)
}

/// Each record read by `parse`, or every problem of every record, each naming its record:
/// `{name}[3].{property}`.
pub fn parse_records<T>(
    records: &[Box<RawValue>],
    name: &str,
    parse: impl Fn(&[u8]) -> Result<T, GraphError>,
) -> Result<Vec<T>, GraphError> {
    let mut parsed = Vec::with_capacity(records.len());
    let mut problems = Vec::new();
    for (i, record) in records.iter().enumerate() {
        match parse(record.get().as_bytes()) {
            Ok(value) => parsed.push(value),
            Err(error) if error.details.is_empty() => {
                problems.push(ErrorDetail::invalid(&format!("{name}[{i}]"), error.message))
            }
            Err(error) => problems.extend(error.details.into_iter().map(|detail| ErrorDetail {
                target: format!("{name}[{i}].{}", detail.target),
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
