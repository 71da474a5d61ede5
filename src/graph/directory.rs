//! The wire side of groups and devices: why a membership setting is refused, the references of
//! `members/$ref` (bodies, queries and answers), and the body of `getByIds`.

use uuid::Uuid;

use crate::domain::directory::{MAX_IDS_PER_GET_BY_IDS, MembershipProblem};
use crate::graph::entity::parse_object;
use crate::graph::error::{ErrorDetail, GraphError};

/// A 400 that names the part of the group's membership settings at fault.
pub fn membership_error(problem: &MembershipProblem) -> GraphError {
    let (target, message) = match problem {
        MembershipProblem::RuleMissing => (
            "membershipRule",
            "A group whose groupTypes hold DynamicMembership needs a membershipRule.".to_owned(),
        ),
        MembershipProblem::RuleWithoutDynamicMembership => (
            "membershipRule",
            "Only a group whose groupTypes hold DynamicMembership has a membershipRule.".to_owned(),
        ),
        MembershipProblem::Rule(error) => (
            "membershipRule",
            format!("Invalid membershipRule: {error}."),
        ),
    };
    GraphError::invalid_fields(vec![ErrorDetail::invalid(target, message)])
}

/// The directory object a `members/$ref` body names: `{"@odata.id": "<base>/v1.0/directoryObjects/{id}"}`
/// (or `.../devices/{id}`, or the key form `directoryObjects('{id}')`).
pub fn parse_member_ref(body: &[u8]) -> Result<Uuid, GraphError> {
    let invalid = || {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "@odata.id",
            "The body must be {\"@odata.id\": \"<service root>/directoryObjects/{id}\"} naming a \
             directory object by its id."
                .to_owned(),
        )])
    };
    let members = parse_object(body)?;
    let (_, raw) = members
        .iter()
        .find(|(key, _)| key == "@odata.id")
        .ok_or_else(invalid)?;
    let url: String = serde_json::from_str(raw.get()).map_err(|_| invalid())?;
    reference_id(&url).ok_or_else(invalid)
}

/// The id a directory object reference names: `<base>/directoryObjects/{id}`, `.../devices/{id}`,
/// the key form `directoryObjects('{id}')`, or the bare id.
pub fn reference_id(reference: &str) -> Option<Uuid> {
    let path = reference.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let mut last = segments.next().unwrap_or_default();
    // A type cast after the key, as in the references Graph answers.
    if last.contains('.') && !last.contains('(') {
        last = segments.next().unwrap_or_default();
    }
    let key = last.split_once('(').map_or(last, |(_, key)| {
        key.trim_end_matches(')').trim_matches('\'')
    });
    Uuid::parse_str(key).ok()
}

/// The member reference of `DELETE .../members/$ref?@id=<url>` (the SDKs' form; `$id` is
/// accepted too), percent-decoded; a 400 when the query names none.
pub fn member_reference_query(query: &str) -> Result<String, GraphError> {
    fn decode(text: &str) -> std::borrow::Cow<'_, str> {
        percent_encoding::percent_decode_str(text).decode_utf8_lossy()
    }
    let references: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| matches!(decode(name).as_ref(), "@id" | "$id"))
        .map(|(_, value)| decode(value).into_owned())
        .collect();
    match references.as_slice() {
        [reference] => Ok(reference.clone()),
        _ => Err(GraphError::bad_request(
            "The query must name the member to remove once: $ref?@id=<service root>/directoryObjects/{id}.",
        )),
    }
}

/// The most `alternativeSecurityIds` a device create may send, and the longest key of one.
const MAX_ALTERNATIVE_SECURITY_IDS: usize = 16;
const MAX_ALTERNATIVE_SECURITY_KEY: usize = 4096;

/// One of a device's `alternativeSecurityIds`, as Graph documents it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AlternativeSecurityId {
    #[serde(rename = "type")]
    _type: Option<i32>,
    #[serde(rename = "identityProvider")]
    _identity_provider: Option<String>,
    key: Option<String>,
}

/// A device create's body without `alternativeSecurityIds`, which Graph requires and keeps for its
/// own use (its reference calls them internal): checked for their shape and bounds, then left out,
/// since an entity set's table holds collections of complex values only as documents the service
/// writes itself, never as client input.
pub fn without_alternative_security_ids(body: &[u8]) -> Result<Vec<u8>, GraphError> {
    const NAME: &str = "alternativeSecurityIds";
    let invalid =
        |message: String| GraphError::invalid_fields(vec![ErrorDetail::invalid(NAME, message)]);
    let members = parse_object(body)?;
    let mut kept = Vec::with_capacity(members.len());
    for (name, value) in &members {
        if name != NAME {
            kept.push(format!(
                "{}:{}",
                serde_json::Value::from(name.as_str()),
                value.get()
            ));
            continue;
        }
        let ids: Option<Vec<AlternativeSecurityId>> =
            serde_json::from_str(value.get()).map_err(|_| {
                invalid(format!(
                    "'{NAME}' must be an array of {{\"type\", \"identityProvider\", \"key\"}} objects."
                ))
            })?;
        let ids = ids.unwrap_or_default();
        if ids.len() > MAX_ALTERNATIVE_SECURITY_IDS
            || ids.iter().any(|id| {
                id.key
                    .as_ref()
                    .is_some_and(|key| key.len() > MAX_ALTERNATIVE_SECURITY_KEY)
            })
        {
            return Err(invalid(format!(
                "At most {MAX_ALTERNATIVE_SECURITY_IDS} '{NAME}' are accepted, each key at most \
                 {MAX_ALTERNATIVE_SECURITY_KEY} characters."
            )));
        }
    }
    Ok(format!("{{{}}}", kept.join(",")).into_bytes())
}

/// The `@odata.id` Graph answers for a device in a `$ref` collection: the directory object with its
/// type cast, which [`reference_id`] reads back.
pub fn device_reference(service_root: &str, id: &str) -> String {
    format!("{service_root}/directoryObjects/{id}/Microsoft.DirectoryServices.Device")
}

/// What a `getByIds` asks for: the ids, and the types (lower-case) to look among, if it names any.
#[derive(Debug, PartialEq)]
pub struct GetByIds {
    pub ids: Vec<Uuid>,
    pub types: Option<Vec<String>>,
}

impl GetByIds {
    /// Whether it looks among objects of `type_name` (`device`, `group`).
    pub fn wants(&self, type_name: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == type_name))
    }
}

/// The body of `getByIds`: `{"ids": [...], "types": [...]}`, at most 1000 ids, each a GUID.
pub fn parse_get_by_ids(body: &[u8]) -> Result<GetByIds, GraphError> {
    let invalid = |target: &str, message: &str| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(target, message.to_owned())])
    };
    let members = parse_object(body)?;
    let strings = |name: &str| -> Result<Option<Vec<String>>, GraphError> {
        match members.iter().find(|(key, _)| key == name) {
            None => Ok(None),
            Some((_, raw)) => serde_json::from_str::<Option<Vec<String>>>(raw.get())
                .map_err(|_| invalid(name, &format!("'{name}' must be an array of strings."))),
        }
    };
    let ids = strings("ids")?
        .ok_or_else(|| invalid("ids", "The body must name the objects' ids in 'ids'."))?;
    if ids.len() > MAX_IDS_PER_GET_BY_IDS {
        return Err(invalid(
            "ids",
            &format!("At most {MAX_IDS_PER_GET_BY_IDS} ids may be requested at once."),
        ));
    }
    let ids = ids
        .iter()
        .map(|id| {
            Uuid::parse_str(id)
                .map_err(|_| invalid("ids", &format!("Invalid object identifier '{id}'.")))
        })
        .collect::<Result<_, _>>()?;
    let types = strings("types")?.map(|types| {
        types
            .iter()
            .map(|t| {
                t.trim_start_matches("microsoft.graph.")
                    .to_ascii_lowercase()
            })
            .collect()
    });
    Ok(GetByIds { ids, types })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_its_object_in_any_of_graphs_forms() {
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        for url in [
            format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}"),
            format!("http://127.0.0.1:8080/beta/devices/{id}/"),
            format!("https://graph.microsoft.com/v1.0/directoryObjects('{id}')"),
            device_reference("http://127.0.0.1:8080/v1.0", id),
            id.to_string(),
        ] {
            let body = serde_json::json!({ "@odata.id": url }).to_string();
            assert_eq!(
                parse_member_ref(body.as_bytes()).unwrap().to_string(),
                id,
                "{url}"
            );
        }
        assert_eq!(
            member_reference_query(&format!(
                "@id=https%3A%2F%2Fgraph.microsoft.com%2Fv1.0%2FdirectoryObjects%2F{id}"
            ))
            .unwrap(),
            format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")
        );
        assert_eq!(
            member_reference_query(&format!("$id={id}")).unwrap(),
            id.to_string()
        );
        assert!(member_reference_query("").is_err());
        let stripped = without_alternative_security_ids(
            br#"{"displayName": "D", "alternativeSecurityIds": [{"type": 2, "identityProvider": null, "key": "a2V5"}], "x": [1]}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&stripped).unwrap(),
            serde_json::json!({"displayName": "D", "x": [1]})
        );
        for body in [
            r#"{"alternativeSecurityIds": [{"kind": 2}]}"#.to_owned(),
            r#"{"alternativeSecurityIds": "key"}"#.to_owned(),
            serde_json::json!({"alternativeSecurityIds": vec![serde_json::json!({"type": 2}); 17]})
                .to_string(),
        ] {
            assert!(
                without_alternative_security_ids(body.as_bytes()).is_err(),
                "{body}"
            );
        }
        let ids = parse_get_by_ids(
            format!(r#"{{"ids": ["{id}"], "types": ["Device", "microsoft.graph.group"]}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(ids.ids.len(), 1);
        assert!(ids.wants("device") && ids.wants("group") && !ids.wants("user"));
        assert!(parse_get_by_ids(br#"{"ids": ["x"]}"#).is_err());
        assert!(parse_get_by_ids(br#"{"types": ["device"]}"#).is_err());
        let too_many = serde_json::json!({ "ids": vec![id; 1001] }).to_string();
        assert!(parse_get_by_ids(too_many.as_bytes()).is_err());
        assert!(member_reference_query(&format!("@id={id}&$id={id}")).is_err());
        for body in [
            r#"{}"#,
            r#"{"@odata.id": 3}"#,
            r#"{"@odata.id": "https://x/directoryObjects/nope"}"#,
        ] {
            assert!(parse_member_ref(body.as_bytes()).is_err(), "{body}");
        }
    }
}
