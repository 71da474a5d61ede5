//! The bodies of the corporate identifiers' actions, `importDeviceIdentityList`
//! (`{"importedDeviceIdentities": [...], "overwriteImportedDeviceIdentities": bool}`) and
//! `searchExistingIdentities` (`{"importedDeviceIdentities": [...]}`), and the import's answer:
//! each identifier as an `importedDeviceIdentityResult` with its `status`.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::domain::ApiVersion;
use crate::domain::corporate_identifier::{
    CORPORATE_IDENTIFIERS, IMPORT_ACTION, IdentifierProblem, MAX_IDENTIFIERS_PER_REQUEST,
    SEARCH_ACTION, SoughtIdentifier, checked_identifier, sought_identifier,
};
use crate::domain::entity::{Entity, PropertyValue};
use crate::graph::entity::{EntityView, parse_entity_body, parse_new_entity};
use crate::graph::error::{ErrorDetail, GraphError};
use crate::graph::import::{action_parameters, parse_records, records_of};

/// The list both actions take.
pub const LIST_PARAMETER: &str = "importedDeviceIdentities";
/// Whether the import replaces identifiers the tenant has.
pub const OVERWRITE_PARAMETER: &str = "overwriteImportedDeviceIdentities";
/// The type of each identifier in the import's answer.
pub const RESULT_TYPE: &str = "microsoft.graph.importedDeviceIdentityResult";

/// An `importDeviceIdentityList` body, read.
#[derive(Debug)]
pub struct IdentifierImport {
    /// Each identifier as a create would store it (checked against its type).
    pub identifiers: Vec<Vec<PropertyValue>>,
    pub overwrite: bool,
}

/// A 400 naming the property of an identifier the domain refused.
fn refused(problem: IdentifierProblem) -> GraphError {
    GraphError::invalid_fields(vec![ErrorDetail::invalid(
        problem.property,
        problem.message,
    )])
}

/// The body of `importDeviceIdentityList`: at most 5000 identifiers, each a create's body.
pub fn parse_import_list(body: &[u8], version: ApiVersion) -> Result<IdentifierImport, GraphError> {
    let mut parameters =
        action_parameters(body, IMPORT_ACTION, &[LIST_PARAMETER, OVERWRITE_PARAMETER])?;
    let overwrite = match parameters
        .iter()
        .find(|(key, _)| key == OVERWRITE_PARAMETER)
    {
        None => false,
        Some((_, raw)) => match serde_json::from_str::<Option<bool>>(raw.get()) {
            Ok(value) => value.unwrap_or(false),
            Err(_) => {
                return Err(GraphError::invalid_fields(vec![ErrorDetail::invalid(
                    OVERWRITE_PARAMETER,
                    format!("The parameter '{OVERWRITE_PARAMETER}' is a Boolean."),
                )]));
            }
        },
    };
    let records = records_of(&mut parameters, LIST_PARAMETER, MAX_IDENTIFIERS_PER_REQUEST)?;
    let identifiers = parse_records(&records, LIST_PARAMETER, |record| {
        checked_identifier(parse_new_entity(&CORPORATE_IDENTIFIERS, record, version)?)
            .map_err(refused)
    })?;
    Ok(IdentifierImport {
        identifiers,
        overwrite,
    })
}

/// The body of `searchExistingIdentities`: at most 5000 identifiers to look for.
pub fn parse_search_list(
    body: &[u8],
    version: ApiVersion,
) -> Result<Vec<SoughtIdentifier>, GraphError> {
    let mut parameters = action_parameters(body, SEARCH_ACTION, &[LIST_PARAMETER])?;
    let records = records_of(&mut parameters, LIST_PARAMETER, MAX_IDENTIFIERS_PER_REQUEST)?;
    parse_records(&records, LIST_PARAMETER, |record| {
        sought_identifier(&parse_entity_body(&CORPORATE_IDENTIFIERS, record, version)?)
            .map_err(refused)
    })
}

/// One identifier of the import's answer: the identifier as it now stands, typed as a result,
/// with whether the import stored it.
pub struct ImportResultView<'a> {
    pub entity: &'a Entity,
    pub status: bool,
}

impl Serialize for ImportResultView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = EntityView {
            entity: self.entity,
            version: ApiVersion::Beta,
            select: None,
            context: None,
            typed: false,
            expanded: &[],
        };
        let serde_json::Value::Object(properties) =
            serde_json::to_value(&view).map_err(serde::ser::Error::custom)?
        else {
            unreachable!("an entity is written as an object")
        };
        let mut map = serializer.serialize_map(Some(properties.len() + 2))?;
        map.serialize_entry("@odata.type", &format!("#{RESULT_TYPE}"))?;
        for (name, value) in &properties {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("status", &self.status)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(body: &str) -> Result<IdentifierImport, GraphError> {
        parse_import_list(body.as_bytes(), ApiVersion::Beta)
    }

    #[test]
    fn an_import_reads_each_identifier_as_a_create_and_names_the_one_at_fault() {
        let read = import(
            r#"{"importedDeviceIdentities":[
                {"importedDeviceIdentifier":"Microsoft , Surface 5,SN1","importedDeviceIdentityType":"manufacturerModelSerial",
                 "id":"ignored","enrollmentState":"enrolled"}],
                "overwriteImportedDeviceIdentities":true}"#,
        )
        .unwrap();
        assert!(read.overwrite);
        let text = read.identifiers[0]
            .iter()
            .find(|a| a.property.name == "importedDeviceIdentifier")
            .map(|a| a.value.clone());
        assert_eq!(
            text,
            Some(crate::domain::entity::Value::Text(
                "Microsoft,Surface 5,SN1".to_owned()
            ))
        );
        let error = import(
            r#"{"importedDeviceIdentities":[
                {"importedDeviceIdentifier":"SN1","importedDeviceIdentityType":"serialNumber"},
                {"importedDeviceIdentifier":"1234","importedDeviceIdentityType":"imei"},
                {"importedDeviceIdentityType":"serialNumber"}]}"#,
        )
        .unwrap_err();
        let targets: Vec<&str> = error.details.iter().map(|d| d.target.as_str()).collect();
        assert_eq!(
            targets,
            [
                "importedDeviceIdentities[1].importedDeviceIdentifier",
                "importedDeviceIdentities[2].importedDeviceIdentifier"
            ]
        );
    }

    #[test]
    fn the_list_is_required_bounded_and_overwrite_is_a_boolean() {
        for body in [
            "{}",
            r#"{"importedDeviceIdentities":{}}"#,
            r#"{"importedDeviceIdentities":[],"overwriteImportedDeviceIdentities":"yes"}"#,
            r#"{"importedDeviceIdentities":[],"other":1}"#,
        ] {
            assert!(import(body).is_err(), "{body}");
        }
        let item =
            r#"{"importedDeviceIdentifier":"SN","importedDeviceIdentityType":"serialNumber"}"#;
        let over = vec![item; MAX_IDENTIFIERS_PER_REQUEST + 1].join(",");
        let error = import(&format!(r#"{{"importedDeviceIdentities":[{over}]}}"#)).unwrap_err();
        assert!(error.message.contains("at most 5000"), "{}", error.message);
    }

    #[test]
    fn a_search_needs_an_identifier_and_writes_it_as_stored_when_its_type_says() {
        let sought = parse_search_list(
            br#"{"importedDeviceIdentities":[
                {"importedDeviceIdentifier":"Lenovo, T14 ,PF1","importedDeviceIdentityType":"manufacturerModelSerial"},
                {"importedDeviceIdentifier":" SN2 "}]}"#,
            ApiVersion::Beta,
        )
        .unwrap();
        assert_eq!(sought[0].text, "Lenovo,T14,PF1");
        assert_eq!(sought[1].text, "SN2");
        assert_eq!(sought[1].identity_type, None);
        let error = parse_search_list(
            br#"{"importedDeviceIdentities":[{"description":"x"}]}"#,
            ApiVersion::Beta,
        )
        .unwrap_err();
        assert_eq!(
            error.details[0].target,
            "importedDeviceIdentities[0].importedDeviceIdentifier"
        );
    }
}
