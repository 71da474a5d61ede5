//! Graph's URL grammar for the entity sets served. Graph matches segments case-insensitively, accepts
//! the OData key form `windowsAutopilotDeviceIdentities('{id}')` and namespace-qualified actions; the
//! middleware rewrites all of those to one canonical path before actix routes the request, and the
//! same parse explains a path that no route serves, in Graph's words.

use crate::domain::entity::{EntitySet, ItemSegment, Navigation};
use crate::domain::{ApiVersion, ENTITY_SETS};
use crate::graph::error::GraphError;

const COUNT: &str = "$count";
const REF: &str = "$ref";
const BATCH: &str = "$batch";
const ACTION_NAMESPACE: &str = "microsoft.graph.";

/// What a path names below its entity set's path. Names come from the set's description
/// ([`crate::domain::entity::Segments`]), in their canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathTarget {
    Collection,
    Count,
    Item(String),
    /// An action bound to the collection or singleton (`import`, `sync`).
    CollectionAction(&'static str),
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
        Some(segment) => match (collection_action(segment), rest.next()) {
            (Some(action), None) => PathTarget::CollectionAction(action),
            // Not an action of the collection: the key of an item.
            (_, None) => PathTarget::Item(segment.to_owned()),
            (_, Some(below)) => {
                below_item(segment, below, &mut rest, segments.below_item, version)?
            }
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
