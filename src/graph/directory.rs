//! The wire side of the directory: why a membership setting is refused, the references of
//! `members/$ref` and `owners/$ref` (bodies, queries and answers) and of a group create's
//! `@odata.bind`, a user's `passwordProfile`, the keys of users and service principals, Entra's
//! errors for a taken user principal name or application, and the body of `getByIds`.

use uuid::Uuid;

use actix_web::http::StatusCode;
use serde_json::value::RawValue;

use crate::domain::directory::{MAX_BINDS_ON_CREATE, MAX_IDS_PER_GET_BY_IDS, MembershipProblem};
use crate::domain::principals::USER_PRINCIPAL_NAME_TAKEN;
use crate::graph::entity::parse_object;
use crate::graph::error::{ErrorDetail, GraphError};
use crate::graph::paths::alternate_key_value;

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

/// A body without its member `name`: that member's value (if given) and the rest of the object.
fn take_member(body: &[u8], name: &str) -> Result<(Option<Box<RawValue>>, Vec<u8>), GraphError> {
    let mut taken = None;
    let mut kept = Vec::new();
    for (key, value) in parse_object(body)? {
        if key == name {
            taken = Some(value);
        } else {
            kept.push(format!(
                "{}:{}",
                serde_json::Value::from(key.as_str()),
                value.get()
            ));
        }
    }
    Ok((taken, format!("{{{}}}", kept.join(",")).into_bytes()))
}

/// A device create's body without `alternativeSecurityIds`, which Graph requires and keeps for its
/// own use (its reference calls them internal): checked for their shape and bounds, then left out,
/// since an entity set's table holds collections of complex values only as documents the service
/// writes itself, never as client input.
pub fn without_alternative_security_ids(body: &[u8]) -> Result<Vec<u8>, GraphError> {
    const NAME: &str = "alternativeSecurityIds";
    let invalid =
        |message: String| GraphError::invalid_fields(vec![ErrorDetail::invalid(NAME, message)]);
    let (ids, kept) = take_member(body, NAME)?;
    let Some(ids) = ids else {
        return Ok(kept);
    };
    let ids: Option<Vec<AlternativeSecurityId>> =
        serde_json::from_str(ids.get()).map_err(|_| {
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
    Ok(kept)
}

/// The longest password a `passwordProfile` may hold (Entra's limit is 256 characters).
const MAX_PASSWORD_CHARS: usize = 256;

/// A user's `passwordProfile`: read to be checked, never stored nor returned. Its `Debug` never
/// shows the password.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PasswordProfile {
    password: Option<String>,
    force_change_password_next_sign_in: Option<bool>,
    force_change_password_next_sign_in_with_mfa: Option<bool>,
}

impl std::fmt::Debug for PasswordProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let PasswordProfile {
            password,
            force_change_password_next_sign_in,
            force_change_password_next_sign_in_with_mfa,
        } = self;
        f.debug_struct("PasswordProfile")
            .field("password", &password.as_ref().map(|_| "<redacted>"))
            .field(
                "force_change_password_next_sign_in",
                force_change_password_next_sign_in,
            )
            .field(
                "force_change_password_next_sign_in_with_mfa",
                force_change_password_next_sign_in_with_mfa,
            )
            .finish()
    }
}

/// A user body without its `passwordProfile`, which is checked (a password of at most 256
/// characters; on a create, where Graph requires it, present) and then dropped: this directory
/// signs no one in, so it keeps no password.
pub fn without_password_profile(body: &[u8], required: bool) -> Result<Vec<u8>, GraphError> {
    const NAME: &str = "passwordProfile";
    let invalid =
        |message: String| GraphError::invalid_fields(vec![ErrorDetail::invalid(NAME, message)]);
    let (profile, kept) = take_member(body, NAME)?;
    let profile: Option<PasswordProfile> = match profile {
        Some(raw) => serde_json::from_str(raw.get()).map_err(|_| {
            invalid(format!(
                "'{NAME}' must be an object with 'password' and, optionally, \
                 'forceChangePasswordNextSignIn' and 'forceChangePasswordNextSignInWithMfa'."
            ))
        })?,
        None => None,
    };
    match profile.and_then(|p| p.password) {
        Some(password) if password.is_empty() || password.chars().count() > MAX_PASSWORD_CHARS => {
            Err(invalid(format!(
                "The password of '{NAME}' must have 1 to {MAX_PASSWORD_CHARS} characters."
            )))
        }
        None if required => Err(invalid(format!(
            "The property '{NAME}' with a 'password' is required to create a user."
        ))),
        _ => Ok(kept),
    }
}

/// What a group create binds: the ids `members@odata.bind` and `owners@odata.bind` name, and the
/// body without them.
#[derive(Debug)]
pub struct GroupBinds {
    pub members: Vec<Uuid>,
    pub owners: Vec<Uuid>,
    pub body: Vec<u8>,
}

/// Reads a group create's `members@odata.bind` and `owners@odata.bind` (arrays of directory object
/// URLs), at most 20 together as on Graph.
pub fn group_binds(body: &[u8]) -> Result<GroupBinds, GraphError> {
    let (members, body) = take_member(body, "members@odata.bind")?;
    let (owners, body) = take_member(&body, "owners@odata.bind")?;
    let ids = |name: &str, raw: Option<Box<RawValue>>| -> Result<Vec<Uuid>, GraphError> {
        let invalid = || {
            GraphError::invalid_fields(vec![ErrorDetail::invalid(
                name,
                format!(
                    "'{name}' must be an array of directory object URLs, \
                     e.g. \"https://graph.microsoft.com/v1.0/directoryObjects/{{id}}\"."
                ),
            )])
        };
        let Some(raw) = raw else {
            return Ok(Vec::new());
        };
        let urls: Vec<String> = serde_json::from_str(raw.get()).map_err(|_| invalid())?;
        if urls.len() > MAX_BINDS_ON_CREATE {
            return Err(too_many_binds());
        }
        urls.iter()
            .map(|url| reference_id(url).ok_or_else(invalid))
            .collect()
    };
    let members = ids("members@odata.bind", members)?;
    let owners = ids("owners@odata.bind", owners)?;
    if members.len() + owners.len() > MAX_BINDS_ON_CREATE {
        return Err(too_many_binds());
    }
    Ok(GroupBinds {
        members,
        owners,
        body,
    })
}

fn too_many_binds() -> GraphError {
    GraphError::bad_request(format!(
        "A group create may add at most {MAX_BINDS_ON_CREATE} members and owners together."
    ))
}

/// Graph's 404 for a reference to an object the tenant does not have.
pub fn no_such_object(id: &str) -> GraphError {
    GraphError::not_found(format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not \
         present."
    ))
}

/// Graph's 400 when an object is already a member (`members`) or owner (`owners`) of the group.
pub fn already_linked(navigation: &str) -> GraphError {
    GraphError::bad_request(format!(
        "One or more added object references already exist for the following modified \
         properties: '{navigation}'."
    ))
}

/// Graph's 400 for an object of a kind that cannot be a member or an owner.
pub fn unsupported_reference(navigation: &str, what: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Unsupported referenced-object resource identifier for link property '{navigation}': \
         {what}."
    ))
}

/// Entra's answer when another user of the tenant has the user principal name.
pub fn user_principal_name_taken() -> GraphError {
    GraphError {
        details: vec![ErrorDetail {
            code: "ObjectConflict",
            message: USER_PRINCIPAL_NAME_TAKEN.to_owned(),
            target: "userPrincipalName".to_owned(),
        }],
        ..GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            USER_PRINCIPAL_NAME_TAKEN,
        )
    }
}

/// Entra's answer when the tenant already has a service principal for the application.
pub fn app_taken(app_id: &str) -> GraphError {
    GraphError::new(
        StatusCode::CONFLICT,
        "Request_MultipleObjectsWithSameKeyValue",
        format!(
            "The service principal cannot be created, updated, or restored because the service \
             principal name {app_id} is already in use."
        ),
    )
}

/// A 400 naming `appId` when it is not a GUID, as every application id is.
pub fn check_app_id(app_id: &str) -> Result<(), GraphError> {
    Uuid::parse_str(app_id).map(|_| ()).map_err(|_| {
        GraphError::invalid_fields(vec![ErrorDetail::invalid(
            "appId",
            format!(
                "Invalid value specified for property 'appId': '{app_id}' is not an application id."
            ),
        )])
    })
}

/// How a path names a user or a service principal: by its id, or by its alternate key
/// (`userPrincipalName`, `appId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKey {
    Id(Uuid),
    Alternate(String),
}

impl ObjectKey {
    /// The key in an item segment: a GUID, `key='value'` (the canonical alternate key form), or,
    /// when `bare_alternate` (a user's `/users/{userPrincipalName}`), any other text as the
    /// alternate key's value.
    pub fn parse(segment: &str, key: &str, bare_alternate: bool) -> Option<ObjectKey> {
        if let Ok(id) = Uuid::parse_str(segment) {
            return Some(ObjectKey::Id(id));
        }
        if let Some(value) = alternate_key_value(segment, key) {
            return Some(ObjectKey::Alternate(value));
        }
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()?;
        (bare_alternate && !decoded.is_empty()).then(|| ObjectKey::Alternate(decoded.into_owned()))
    }
}

/// The `@odata.id` Graph answers for a directory object of the type `odata_type`
/// (`#microsoft.graph.device`) in a `$ref` collection: the directory object with its type cast,
/// which [`reference_id`] reads back.
pub fn object_reference(service_root: &str, odata_type: &str, id: &str) -> String {
    let short = odata_type.trim_start_matches("#microsoft.graph.");
    let mut cast = short.chars();
    let cast = match cast.next() {
        Some(first) => format!("{}{}", first.to_ascii_uppercase(), cast.as_str()),
        None => String::new(),
    };
    format!("{service_root}/directoryObjects/{id}/Microsoft.DirectoryServices.{cast}")
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
            object_reference("http://127.0.0.1:8080/v1.0", "#microsoft.graph.device", id),
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
        assert!(
            object_reference("https://x/v1.0", "#microsoft.graph.servicePrincipal", id)
                .ends_with("/Microsoft.DirectoryServices.ServicePrincipal")
        );
        let profile = r#"{"passwordProfile": {"password": "S3cret!", "forceChangePasswordNextSignIn": true}, "a": 1}"#;
        assert_eq!(
            without_password_profile(profile.as_bytes(), true).unwrap(),
            br#"{"a":1}"#
        );
        assert!(without_password_profile(br#"{"a": 1}"#, true).is_err());
        assert!(without_password_profile(br#"{"a": 1}"#, false).is_ok());
        assert!(without_password_profile(br#"{"passwordProfile": {"pw": "x"}}"#, false).is_err());
        let debug: PasswordProfile = serde_json::from_str(r#"{"password": "S3cret!"}"#).unwrap();
        assert!(!format!("{debug:?}").contains("S3cret"), "{debug:?}");
        let binds = group_binds(
            format!(r#"{{"displayName": "G", "owners@odata.bind": ["https://graph.microsoft.com/v1.0/servicePrincipals/{id}"]}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!((binds.members.len(), binds.owners.len()), (0, 1));
        assert_eq!(binds.body, br#"{"displayName":"G"}"#);
        let too_many = serde_json::json!({"members@odata.bind": vec![id; 21]}).to_string();
        assert!(group_binds(too_many.as_bytes()).is_err());
        assert_eq!(
            ObjectKey::parse("appId='x'", "appId", false),
            Some(ObjectKey::Alternate("x".to_owned()))
        );
        assert_eq!(
            ObjectKey::parse("a%40b.com", "userPrincipalName", false),
            None
        );
        assert_eq!(
            ObjectKey::parse("a%40b.com", "userPrincipalName", true),
            Some(ObjectKey::Alternate("a@b.com".to_owned()))
        );
        for body in [
            r#"{}"#,
            r#"{"@odata.id": 3}"#,
            r#"{"@odata.id": "https://x/directoryObjects/nope"}"#,
        ] {
            assert!(parse_member_ref(body.as_bytes()).is_err(), "{body}");
        }
    }
}
