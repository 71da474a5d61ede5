//! Graph's URL grammar for the entity sets served. Graph matches segments case-insensitively, accepts
//! the OData key form `windowsAutopilotDeviceIdentities('{id}')` and namespace-qualified actions; the
//! middleware rewrites all of those to one canonical path before actix routes the request, and the
//! same parse explains a path that no route serves, in Graph's words. A collection function called
//! with parameters (`getPlatformSupportedProperties(platform='iOS')`) keeps them in its segment,
//! written one canonical way; [`function_parameters`] reads them back for its handler.

use crate::domain::entity::{EntitySet, ItemSegment, Navigation};
use crate::domain::principals::ALTERNATE_KEYS;
use crate::domain::{ApiVersion, ENTITY_SETS};
use crate::graph::error::GraphError;

const COUNT: &str = "$count";
const REF: &str = "$ref";
const BATCH: &str = "$batch";
const ACTION_NAMESPACE: &str = "microsoft.graph.";
/// The most parameters a function call may pass (Graph's functions take a few).
pub const MAX_FUNCTION_PARAMETERS: usize = 8;

/// What a path names below its entity set's path. Names come from the set's description
/// ([`crate::domain::entity::Segments`]), in their canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathTarget {
    Collection,
    Count,
    Item(String),
    /// An action bound to the collection or singleton (`import`, `sync`).
    CollectionAction(&'static str),
    /// A function bound to the collection, called with parameters: its name and their canonical
    /// text (`platform='iOS'`).
    CollectionFunction(&'static str, String),
    /// An action bound to an item (`assignUserToDevice`).
    ItemAction(String, &'static str),
    /// A navigation to one entity (a device identity's `deploymentProfile`).
    Navigation(String, Navigation),
    /// A contained collection (a profile's `assignments`), or one of its members.
    Contained(String, &'static str),
    ContainedItem(String, &'static str, String),
    /// A collection of another set's entities (a profile's `assignedDevices`).
    Related(String, &'static str),
    /// The `$count` of a contained or related collection.
    NavigationCount(String, &'static str),
    /// A member of a related collection, with what is below it in its own set: `Item`, or an
    /// `ItemAction` or a `Navigation` of that set, keyed by the member.
    RelatedItem(String, &'static str, Box<PathTarget>),
    /// Directory references (a group's `members`), their `$ref` (adding one), and
    /// `{member}/$ref` (removing one).
    References(String, &'static str),
    ReferencesRef(String, &'static str),
    ReferenceRef(String, &'static str, String),
}

#[derive(Debug, Clone)]
pub struct GraphPath {
    pub version: ApiVersion,
    pub set: &'static EntitySet,
    pub target: PathTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    UnknownVersion(String),
    UnknownSegment(String),
}

impl PathTarget {
    /// The canonical path below the collection (`None` for the collection itself).
    fn below_collection(&self) -> Option<String> {
        Some(match self {
            PathTarget::Collection => return None,
            PathTarget::Count => COUNT.to_owned(),
            PathTarget::Item(id) => id.clone(),
            PathTarget::CollectionAction(name) => (*name).to_owned(),
            PathTarget::CollectionFunction(name, parameters) => format!("{name}({parameters})"),
            PathTarget::ItemAction(id, name)
            | PathTarget::Contained(id, name)
            | PathTarget::Related(id, name)
            | PathTarget::References(id, name) => format!("{id}/{name}"),
            PathTarget::Navigation(id, navigation) => format!("{id}/{}", navigation.name()),
            PathTarget::ContainedItem(id, name, key) => format!("{id}/{name}/{key}"),
            PathTarget::NavigationCount(id, name) => format!("{id}/{name}/{COUNT}"),
            PathTarget::RelatedItem(id, name, member) => match member.below_collection() {
                Some(below) => format!("{id}/{name}/{below}"),
                None => format!("{id}/{name}"),
            },
            PathTarget::ReferencesRef(id, name) => format!("{id}/{name}/{REF}"),
            PathTarget::ReferenceRef(id, name, member) => format!("{id}/{name}/{member}/{REF}"),
        })
    }
}

impl GraphPath {
    /// The path the route table is written for.
    pub fn canonical(&self) -> String {
        let collection = format!("/{}/{}", self.version.segment(), self.set.path);
        match self.target.below_collection() {
            Some(below) => format!("{collection}/{below}"),
            None => collection,
        }
    }

    /// The OData route template Graph names when a verb does not fit the path.
    fn template(&self) -> &'static str {
        match self.target {
            PathTarget::Collection => "~/singleton/navigation",
            PathTarget::Count => "~/singleton/navigation/$count",
            PathTarget::Item(_) => "~/singleton/navigation/key",
            PathTarget::ItemAction(..) => "~/singleton/navigation/key/action",
            PathTarget::CollectionAction(_) => "~/singleton/navigation/action",
            PathTarget::CollectionFunction(..) => "~/singleton/navigation/function",
            PathTarget::Navigation(..) | PathTarget::Contained(..) | PathTarget::Related(..) => {
                "~/singleton/navigation/key/navigation"
            }
            PathTarget::ContainedItem(..) => "~/singleton/navigation/key/navigation/key",
            PathTarget::NavigationCount(..) => "~/singleton/navigation/key/navigation/$count",
            PathTarget::RelatedItem(_, _, ref member) => match **member {
                PathTarget::ItemAction(..) => "~/singleton/navigation/key/navigation/key/action",
                PathTarget::Navigation(..) => {
                    "~/singleton/navigation/key/navigation/key/navigation"
                }
                _ => "~/singleton/navigation/key/navigation/key",
            },
            PathTarget::References(..) => "~/entityset/key/navigation",
            PathTarget::ReferencesRef(..) => "~/entityset/key/navigation/$ref",
            PathTarget::ReferenceRef(..) => "~/entityset/key/navigation/key/$ref",
        }
    }
}

/// Whether a path ends in `$batch`, in any case.
pub fn is_batch(path: &str) -> bool {
    // Asked of every request, so without allocating: `$` is the one character to decode.
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    last.eq_ignore_ascii_case(BATCH) || last.eq_ignore_ascii_case("%24batch")
}

/// The path the route table has for `$batch` under a version root, however it was spelt.
pub fn canonical_batch(path: &str) -> Option<String> {
    let (root, rest) = path.trim_matches('/').split_once('/')?;
    let version = [ApiVersion::V1, ApiVersion::Beta]
        .into_iter()
        .find(|version| decode(root).eq_ignore_ascii_case(version.segment()))?;
    (!rest.contains('/') && is_batch(rest)).then(|| format!("/{}/{BATCH}", version.segment()))
}

/// Parses a request path (as sent, percent-encoded) against the grammar.
pub fn parse(path: &str) -> Result<GraphPath, PathError> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let mut segments = trimmed.split('/').flat_map(split_key);
    let unknown = |segment: &str| PathError::UnknownSegment(decode(segment));

    let version_segment = segments.next().unwrap_or_default();
    let version = match decode(version_segment).to_ascii_lowercase().as_str() {
        "v1.0" => ApiVersion::V1,
        "beta" => ApiVersion::Beta,
        _ => return Err(PathError::UnknownVersion(decode(version_segment))),
    };
    let rest: Vec<&str> = segments.collect();
    let (set, rest) = match_set(&rest, version).map_err(|missing| {
        // A path that stops short names the last segment it has: nothing is served there.
        unknown(missing.unwrap_or(version_segment))
    })?;
    let mut rest = rest.iter().copied();
    let segments = &set.segments;
    let collection_action = |segment: &str| {
        let name = action_name(segment);
        segments
            .collection_actions
            .iter()
            .find(|action| action.eq_ignore_ascii_case(&name))
            .copied()
    };
    let target = match rest.next() {
        None => PathTarget::Collection,
        // A singleton has no key: its actions are the only segments below it.
        Some(segment) if segments.singleton => match collection_action(segment) {
            Some(action) => PathTarget::CollectionAction(action),
            None => return Err(unknown(segment)),
        },
        Some(segment) if is_count(segment) => PathTarget::Count,
        Some("") => return Err(unknown("")),
        Some(segment) => match (function_call(segment), collection_action(segment)) {
            (Some((name, parameters)), _) => {
                let function = collection_action(name).ok_or_else(|| unknown(segment))?;
                let parameters = function_parameters(parameters).map_err(|_| unknown(segment))?;
                PathTarget::CollectionFunction(function, canonical_parameters(&parameters))
            }
            (None, action) => match (action, rest.next()) {
                (Some(action), None) => PathTarget::CollectionAction(action),
                // Not an action of the collection: the key of an item.
                (_, None) => {
                    PathTarget::Item(item_key(set, segment).ok_or_else(|| unknown(segment))?)
                }
                (_, Some(below)) => {
                    below_item(segment, below, &mut rest, segments.below_item, version)?
                }
            },
        },
    };
    match rest.next() {
        Some(extra) => Err(unknown(extra)),
        None => Ok(GraphPath {
            version,
            set,
            target,
        }),
    }
}

/// What `segment` (and what follows it in `rest`) names below the item `id`, among what the set
/// has there.
fn below_item<'p>(
    id: &str,
    segment: &'p str,
    rest: &mut impl Iterator<Item = &'p str>,
    segments: &[ItemSegment],
    version: ApiVersion,
) -> Result<PathTarget, PathError> {
    let unknown = |segment: &str| PathError::UnknownSegment(decode(segment));
    let id = id.to_owned();
    let decoded = decode(segment);
    let named = |name: &str| decoded.eq_ignore_ascii_case(name);
    for below in segments {
        let target = match *below {
            ItemSegment::References(name) if named(name) => match (rest.next(), rest.next()) {
                (None, _) => PathTarget::References(id, name),
                (Some(r), None) if decode(r).eq_ignore_ascii_case(REF) => {
                    PathTarget::ReferencesRef(id, name)
                }
                (Some(member), Some(r)) if decode(r).eq_ignore_ascii_case(REF) => {
                    PathTarget::ReferenceRef(id, name, member.to_owned())
                }
                (Some(_), Some(other)) | (Some(other), None) => return Err(unknown(other)),
            },
            ItemSegment::Contained(name) if named(name) => match rest.next() {
                None => PathTarget::Contained(id, name),
                Some(key) if is_count(key) => PathTarget::NavigationCount(id, name),
                Some(key) => PathTarget::ContainedItem(id, name, key.to_owned()),
            },
            ItemSegment::Related(name, set) if named(name) => match rest.next() {
                None => PathTarget::Related(id, name),
                Some(key) if is_count(key) => PathTarget::NavigationCount(id, name),
                Some(key) => {
                    let member = match rest.next() {
                        None => PathTarget::Item(key.to_owned()),
                        Some(below) => {
                            below_item(key, below, rest, set.segments.below_item, version)?
                        }
                    };
                    PathTarget::RelatedItem(id, name, Box::new(member))
                }
            },
            ItemSegment::Navigation(navigation)
                if navigation.exists_in(version) && named(navigation.name()) =>
            {
                PathTarget::Navigation(id, navigation)
            }
            ItemSegment::Action(action)
                if action.exists_in(version)
                    && action_name(segment).eq_ignore_ascii_case(action.name) =>
            {
                PathTarget::ItemAction(id, action.name)
            }
            _ => continue,
        };
        return Ok(target);
    }
    Err(unknown(segment))
}

/// The entity set whose collection path `segments` start with, and the segments after it; else the
/// first segment no collection path has there (`None` when they all match but stop short).
fn match_set<'a, 'p>(
    segments: &'a [&'p str],
    version: ApiVersion,
) -> Result<(&'static EntitySet, &'a [&'p str]), Option<&'p str>> {
    let mut longest = 0;
    for set in ENTITY_SETS
        .iter()
        .filter(|set| version == ApiVersion::Beta || !set.beta_only)
    {
        let expected: Vec<&str> = set.path.split('/').collect();
        let matched = expected
            .iter()
            .zip(segments)
            .take_while(|(expected, segment)| decode(segment).eq_ignore_ascii_case(expected))
            .count();
        if matched == expected.len() {
            return Ok((set, &segments[matched..]));
        }
        longest = longest.max(matched);
    }
    Err(match segments.get(longest) {
        Some(segment) => Some(segment),
        None => longest.checked_sub(1).map(|last| segments[last]),
    })
}

fn is_count(segment: &str) -> bool {
    decode(segment).eq_ignore_ascii_case(COUNT)
}

/// An action segment's name, without the optional `microsoft.graph.` namespace.
fn action_name(segment: &str) -> String {
    let name = decode(segment);
    strip_prefix_ignore_case(&name, ACTION_NAMESPACE)
        .unwrap_or(&name)
        .to_owned()
}

/// The Graph error for a request no route took: an unknown version root, an unknown segment, or a
/// known path asked with a verb it does not support.
pub fn unrouted(method: &str, path: &str) -> GraphError {
    match parse(path) {
        Err(PathError::UnknownVersion(segment)) => {
            GraphError::not_found(format!("Invalid version: {segment}"))
        }
        Err(PathError::UnknownSegment(segment)) => {
            GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
        }
        Ok(known) => GraphError::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "No method match route template",
            format!(
                "No OData route exists that match template {} with http verb {method} for request {path}.",
                known.template()
            ),
        ),
    }
}

/// `windowsAutopilotDeviceIdentities('id')` is the same as `windowsAutopilotDeviceIdentities/id`.
fn split_key(segment: &str) -> impl Iterator<Item = &str> {
    let key = segment
        .strip_suffix(')')
        .and_then(|s| s.split_once('('))
        .filter(|(name, _)| !name.is_empty())
        // `name(p=v)` is a function call, parsed whole, unless `name` is a set with an alternate
        // key (`servicePrincipals(appId='...')`), whose item it names.
        .filter(|(name, inside)| !is_parameter_list(inside) || alternate_key(name).is_some())
        .map(|(name, key)| {
            let key = key
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .unwrap_or(key);
            (name, key)
        });
    match key {
        // `name()`: a function called without parameters, as the SDKs write them.
        Some((name, "")) => [Some(name), None].into_iter().flatten(),
        Some((name, key)) => [Some(name), Some(key)].into_iter().flatten(),
        None => [Some(segment), None].into_iter().flatten(),
    }
}

/// The alternate key of the set whose collection path is `name` (case-insensitively), if it has one.
fn alternate_key(name: &str) -> Option<&'static str> {
    ALTERNATE_KEYS
        .iter()
        .find(|(set, _)| decode(name).eq_ignore_ascii_case(set.path))
        .map(|(_, key)| *key)
}

/// The key of an item of `set` as the route table has it: an id as sent, or the set's alternate
/// key written one canonical way (`appId='...'`); none for other parameters of such a set.
fn item_key(set: &EntitySet, segment: &str) -> Option<String> {
    let Some(key) = alternate_key(set.path).filter(|_| is_parameter_list(segment)) else {
        return Some(segment.to_owned());
    };
    match function_parameters(segment).ok()?.as_slice() {
        [(name, value)] if name.eq_ignore_ascii_case(key) => {
            Some(canonical_parameters(&[(key.to_owned(), value.clone())]))
        }
        _ => None,
    }
}

/// The value of the alternate key `key` an item key names (`appId='...'`), if it names one.
pub fn alternate_key_value(item_key: &str, key: &str) -> Option<String> {
    if !is_parameter_list(item_key) {
        return None;
    }
    match function_parameters(item_key).ok()?.as_slice() {
        [(name, value)] if name.eq_ignore_ascii_case(key) => Some(value.clone()),
        _ => None,
    }
}

/// Whether the text inside a segment's parentheses passes named parameters (`platform='iOS'`)
/// rather than a key (`'abc'`, `abc`): it starts with a name and `=`.
fn is_parameter_list(inside: &str) -> bool {
    let inside = decode(inside);
    match inside.split_once('=') {
        Some((name, _)) => is_parameter_name(name.trim()),
        None => false,
    }
}

fn is_parameter_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A segment `name(parameters)` whose parentheses hold named parameters: its name and the text
/// inside, as sent.
fn function_call(segment: &str) -> Option<(&str, &str)> {
    let (name, inside) = segment.strip_suffix(')')?.split_once('(')?;
    (!name.is_empty() && is_parameter_list(inside)).then_some((name, inside))
}

/// A function call's parameters, `name=value` separated by commas, as sent (percent-encoded or
/// not): each name and its value, a string literal's quotes removed and its doubled quotes
/// undone. At most [`MAX_FUNCTION_PARAMETERS`]; a name given twice, an unterminated literal or a
/// name that is not one is an error naming what is wrong.
pub fn function_parameters(text: &str) -> Result<Vec<(String, String)>, String> {
    let text = decode(text);
    let mut parameters: Vec<(String, String)> = Vec::new();
    let mut rest = text.as_str();
    loop {
        if parameters.len() == MAX_FUNCTION_PARAMETERS {
            return Err(format!(
                "A function takes at most {MAX_FUNCTION_PARAMETERS} parameters."
            ));
        }
        let (name, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("'{rest}' is no parameter: parameters are name=value."))?;
        let name = name.trim();
        if !is_parameter_name(name) {
            return Err(format!("'{name}' is not a parameter name."));
        }
        if parameters
            .iter()
            .any(|(given, _)| given.eq_ignore_ascii_case(name))
        {
            return Err(format!("The parameter '{name}' is given twice."));
        }
        let after = after.trim_start();
        let (value, after) = match after.strip_prefix('\'') {
            Some(literal) => string_literal(literal)
                .ok_or_else(|| format!("The value of '{name}' has no closing quote."))?,
            None => match after.split_once(',') {
                Some((value, after)) => (value.trim_end().to_owned(), Some(after)),
                None => (after.trim_end().to_owned(), None),
            },
        };
        parameters.push((name.to_owned(), value));
        match after {
            Some(next) => rest = next,
            None => return Ok(parameters),
        }
    }
}

/// An OData string literal after its opening quote: its value (`''` is one quote) and what follows
/// its closing quote and the next comma (`None` at the end); `None` when it is not closed or
/// something other than a comma follows it.
fn string_literal(text: &str) -> Option<(String, Option<&str>)> {
    let mut value = String::new();
    let mut rest = text;
    loop {
        let (part, after) = rest.split_once('\'')?;
        value.push_str(part);
        match after.strip_prefix('\'') {
            Some(escaped) => {
                value.push('\'');
                rest = escaped;
            }
            None => {
                let after = after.trim_start();
                return match after.strip_prefix(',') {
                    Some(next) => Some((value, Some(next))),
                    None if after.is_empty() => Some((value, None)),
                    None => None,
                };
            }
        }
    }
}

/// Parameters written the one way the route table has them: `name='value'`, quotes doubled,
/// comma-separated, every byte but unreserved ones and the literal's quotes percent-encoded.
fn canonical_parameters(parameters: &[(String, String)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'\'' => {
                    (byte as char).to_string()
                }
                _ => format!("%{byte:02X}"),
            })
            .collect::<String>()
    };
    parameters
        .iter()
        .map(|(name, value)| format!("{name}='{}'", encode(&value.replace('\'', "''"))))
        .collect::<Vec<_>>()
        .join(",")
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Percent-decodes a segment for comparison (`%24count` is `$count`); undecodable bytes stay as sent.
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn batch_paths_in_any_spelling_are_made_canonical() {
        for (path, canonical) in [
            ("/v1.0/$batch", Some("/v1.0/$batch")),
            ("/V1.0/$BATCH/", Some("/v1.0/$batch")),
            ("/beta/%24batch", Some("/beta/$batch")),
            ("/v2/$batch", None),
            ("/v1.0/groups/$batch", None),
            ("/v1.0/groups", None),
        ] {
            assert_eq!(canonical_batch(path).as_deref(), canonical, "{path}");
        }
        assert!(is_batch("/v1.0/groups/$batch"));
        assert!(!is_batch("/v1.0/groups"));
    }

    use super::*;

    const COLLECTION: &str = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";

    fn canonical(path: &str) -> String {
        parse(path).unwrap().canonical()
    }

    #[test]
    fn segments_match_case_insensitively() {
        assert_eq!(
            canonical("/V1.0/DEVICEMANAGEMENT/windowsautopilotdeviceidentities"),
            COLLECTION
        );
        assert_eq!(canonical(&format!("{COLLECTION}/")), COLLECTION);
        assert_eq!(
            canonical(&format!("{COLLECTION}/%24COUNT")),
            format!("{COLLECTION}/$count")
        );
    }

    #[test]
    fn an_alternate_key_names_an_item_in_one_canonical_form() {
        assert_eq!(
            canonical("/v1.0/servicePrincipals(appId='f1346770-5b25-470b-88bd-d5744ab7952c')"),
            "/v1.0/servicePrincipals/appId='f1346770-5b25-470b-88bd-d5744ab7952c'"
        );
        assert_eq!(
            canonical("/beta/users(userPrincipalName=%27a%40b.com%27)"),
            "/beta/users/userPrincipalName='a%40b.com'"
        );
        assert_eq!(
            alternate_key_value("userPrincipalName='a%40b.com'", "userPrincipalName").as_deref(),
            Some("a@b.com")
        );
        assert_eq!(alternate_key_value("a@b.com", "userPrincipalName"), None);
        assert!(parse("/v1.0/servicePrincipals(displayName='x')").is_err());
        assert!(parse("/v1.0/groups(appId='x')").is_err());
        assert!(parse("/v1.0/users(displayName='x')").is_err());
    }

    #[test]
    fn the_odata_key_form_is_the_segment_form() {
        for key in ["('abc')", "(abc)"] {
            assert_eq!(
                canonical(&format!(
                    "/beta/deviceManagement/windowsAutopilotDeviceIdentities{key}"
                )),
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/abc"
            );
        }
        assert_eq!(
            canonical(&format!(
                "{COLLECTION}('abc')/microsoft.graph.UpdateDeviceProperties"
            )),
            format!("{COLLECTION}/abc/updateDeviceProperties")
        );
    }

    #[test]
    fn a_function_called_with_empty_parentheses_is_its_name() {
        assert_eq!(
            canonical("/beta/deviceManagement/assignmentFilters/abc/getSupportedProperties()"),
            "/beta/deviceManagement/assignmentFilters/abc/getSupportedProperties"
        );
    }

    #[test]
    fn a_function_called_with_parameters_keeps_them_in_one_canonical_form() {
        const FILTERS: &str = "/beta/deviceManagement/assignmentFilters";
        let expected = format!("{FILTERS}/getPlatformSupportedProperties(platform='iOS')");
        for sent in [
            "getPlatformSupportedProperties(platform='iOS')",
            "GETPLATFORMSUPPORTEDPROPERTIES(platform=%27iOS%27)",
            "microsoft.graph.getPlatformSupportedProperties( platform = 'iOS' )",
        ] {
            assert_eq!(canonical(&format!("{FILTERS}/{sent}")), expected, "{sent}");
        }
        assert_eq!(
            parse(&format!(
                "{FILTERS}/getPlatformSupportedProperties(platform='iOS')"
            ))
            .unwrap()
            .target,
            PathTarget::CollectionFunction(
                "getPlatformSupportedProperties",
                "platform='iOS'".into()
            )
        );
        // Quotes, slashes and spaces in a value stay inside the one segment.
        assert_eq!(
            canonical(&format!(
                "{FILTERS}/getPlatformSupportedProperties(platform='a''b%2Fc d')"
            )),
            format!("{FILTERS}/getPlatformSupportedProperties(platform='a''b%2Fc%20d')")
        );
        // A key in parentheses is still a key.
        assert_eq!(
            canonical(&format!("{FILTERS}('abc')")),
            format!("{FILTERS}/abc")
        );
        for bad in [
            "getPlatformSupportedProperties(platform='iOS)",
            "getPlatformSupportedProperties(platform='iOS'x)",
            "getPlatformSupportedProperties(platform='a',platform='b')",
            "colour(platform='iOS')",
        ] {
            assert!(
                matches!(
                    parse(&format!("{FILTERS}/{bad}")),
                    Err(PathError::UnknownSegment(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn function_parameters_are_bounded_and_unquoted() {
        assert_eq!(
            function_parameters("a='x''y',b=2").unwrap(),
            vec![("a".into(), "x'y".into()), ("b".into(), "2".into())]
        );
        let many = (0..=MAX_FUNCTION_PARAMETERS)
            .map(|i| format!("p{i}='v'"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(function_parameters(&many).is_err());
        assert!(function_parameters("=1").is_err());
        assert!(function_parameters("1a=1").is_err());
    }

    #[test]
    fn beta_only_actions_are_unknown_segments_on_v1() {
        assert_eq!(
            parse(&format!("{COLLECTION}/abc/allowNextEnrollment")).unwrap_err(),
            PathError::UnknownSegment("allowNextEnrollment".into())
        );
        assert!(
            parse(
                "/beta/deviceManagement/windowsAutopilotDeviceIdentities/abc/allowNextEnrollment"
            )
            .is_ok()
        );
    }

    #[test]
    fn imported_identities_have_items_count_and_import_but_no_item_actions() {
        const IMPORTED: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
        assert_eq!(
            canonical("/BETA/devicemanagement/ImportedWindowsAutopilotDeviceIdentities/"),
            IMPORTED
        );
        assert_eq!(
            canonical(&format!("{IMPORTED}/microsoft.graph.Import")),
            format!("{IMPORTED}/import")
        );
        assert_eq!(
            canonical(&format!("{IMPORTED}('x')")),
            format!("{IMPORTED}/x")
        );
        assert_eq!(
            parse(&format!("{IMPORTED}/x/assignUserToDevice")).unwrap_err(),
            PathError::UnknownSegment("assignUserToDevice".into())
        );
        // The device collection has no import.
        assert!(matches!(
            parse(&format!("{COLLECTION}/import")).unwrap().target,
            PathTarget::Item(_)
        ));
        // Nor do groups: there it is a key, as on Graph.
        assert!(matches!(
            parse("/v1.0/groups/import").unwrap().target,
            PathTarget::Item(_)
        ));
        assert!(
            unrouted("PATCH", &format!("{IMPORTED}/x"))
                .message
                .contains("~/singleton/navigation/key with http verb PATCH")
        );
    }

    #[test]
    fn profiles_have_assignments_and_assigned_devices() {
        let profiles = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
        assert_eq!(
            canonical(&format!("{profiles}('p')/Assignments/p_g_0")),
            format!("{profiles}/p/assignments/p_g_0")
        );
        assert_eq!(
            canonical(&format!("{profiles}/p/ASSIGNEDDEVICES")),
            format!("{profiles}/p/assignedDevices")
        );
        assert_eq!(
            canonical(&format!("{profiles}/p/assignments/%24COUNT")),
            format!("{profiles}/p/assignments/$count")
        );
        assert_eq!(
            canonical(&format!("{profiles}/p/assignedDevices/$count")),
            format!("{profiles}/p/assignedDevices/$count")
        );
        assert_eq!(
            canonical(&format!("{profiles}/p/assignedDevices('d')")),
            format!("{profiles}/p/assignedDevices/d")
        );
        assert_eq!(
            canonical(&format!(
                "{profiles}/p/assignedDevices/d/microsoft.graph.UpdateDeviceProperties"
            )),
            format!("{profiles}/p/assignedDevices/d/updateDeviceProperties")
        );
        assert_eq!(
            canonical(&format!(
                "{profiles}/p/assignedDevices/d/IntendedDeploymentProfile"
            )),
            format!("{profiles}/p/assignedDevices/d/intendedDeploymentProfile")
        );
        assert!(
            unrouted("PATCH", &format!("{profiles}/p/assignedDevices/d"))
                .message
                .contains("~/singleton/navigation/key/navigation/key ")
        );
        assert!(parse(&format!("{profiles}/p/assignedDevices/d/assignments")).is_err());
        assert!(parse(&format!("{profiles}/p/assignments/a/b")).is_err());
        assert!(parse(&format!("{profiles}/p/members")).is_err());
    }

    #[test]
    fn errors_name_the_version_or_the_segment() {
        let error = unrouted("GET", "/v2/deviceManagement");
        assert_eq!(
            (error.status.as_u16(), error.code),
            (404, "ResourceNotFound")
        );
        assert_eq!(error.message, "Invalid version: v2");
        let error = unrouted("GET", "/deviceManagement/windowsAutopilotDeviceIdentities");
        assert_eq!(error.message, "Invalid version: deviceManagement");
        let error = unrouted("GET", "/v1.0/deviceManagement/fooBars");
        assert_eq!((error.status.as_u16(), error.code), (400, "BadRequest"));
        assert_eq!(
            error.message,
            "Resource not found for the segment 'fooBars'."
        );
        let error = unrouted("GET", "/v1.0/deviceManagement");
        assert_eq!(
            error.message,
            "Resource not found for the segment 'deviceManagement'."
        );
        let error = unrouted("GET", &format!("{COLLECTION}/abc/def/ghi"));
        assert_eq!(error.message, "Resource not found for the segment 'def'.");
    }

    #[test]
    fn a_known_path_with_another_verb_gets_graphs_route_template_error() {
        let error = unrouted("PUT", COLLECTION);
        assert_eq!(
            (error.status.as_u16(), error.code),
            (400, "No method match route template")
        );
        assert_eq!(
            error.message,
            format!(
                "No OData route exists that match template ~/singleton/navigation with http verb PUT for request {COLLECTION}."
            )
        );
        assert!(
            unrouted("GET", &format!("{COLLECTION}/x/assignUserToDevice"))
                .message
                .contains("~/singleton/navigation/key/action")
        );
    }
}
