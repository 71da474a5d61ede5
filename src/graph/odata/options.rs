//! OData system query options: `$top`, `$skip`, `$skiptoken`, `$count`, `$select`, `$orderby`, with
//! `$filter` delegated to [`super::filter`]. Beta also takes them without the `$`.

use serde_json::Value as Json;

use crate::domain::ApiVersion;
use crate::domain::entity::{EntitySet, Kind, Navigation, Property, Value};
use crate::domain::query::{Direction, Filter, OrderKey};
use crate::graph::entity::GraphDateTime;
use crate::graph::error::GraphError;
use crate::graph::odata::filter::parse_filter;

/// The largest and default page, as on Intune.
pub const MAX_PAGE: u32 = 1000;

/// The largest `$skip`: PostgreSQL's OFFSET is a bigint.
pub const MAX_SKIP: u64 = i64::MAX as u64;

/// The options an endpoint takes; any other `$` option is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    List,
    Count,
    Item,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Filter,
    Select,
    OrderBy,
    Top,
    Skip,
    SkipToken,
    Count,
    Search,
    Expand,
}

impl Name {
    const ALL: [Name; 9] = [
        Name::Filter,
        Name::Select,
        Name::OrderBy,
        Name::Top,
        Name::Skip,
        Name::SkipToken,
        Name::Count,
        Name::Search,
        Name::Expand,
    ];

    fn text(self) -> &'static str {
        match self {
            Name::Filter => "$filter",
            Name::Select => "$select",
            Name::OrderBy => "$orderby",
            Name::Top => "$top",
            Name::Skip => "$skip",
            Name::SkipToken => "$skiptoken",
            Name::Count => "$count",
            Name::Search => "$search",
            Name::Expand => "$expand",
        }
    }

    /// `$expand` only where `set` has navigations to expand on `version`.
    fn allowed_on(self, endpoint: Endpoint, set: &EntitySet, version: ApiVersion) -> bool {
        let expandable = set.expandable.iter().any(|n| n.exists_in(version));
        match endpoint {
            Endpoint::List => match self {
                Name::Search => false,
                Name::Expand => expandable,
                _ => true,
            },
            Endpoint::Count => self == Name::Filter,
            Endpoint::Item => self == Name::Select || (self == Name::Expand && expandable),
        }
    }

    /// OData option names are case-insensitive; beta also takes them without the `$`.
    fn of(key: &str, version: ApiVersion) -> Option<Name> {
        let bare = match key.strip_prefix('$') {
            Some(bare) => bare,
            None if version == ApiVersion::Beta => key,
            None => return None,
        };
        Name::ALL
            .into_iter()
            .find(|name| name.text()[1..].eq_ignore_ascii_case(bare))
    }
}

/// The query options of one request, checked against the entity type.
#[derive(Debug, Clone, Default)]
pub struct QueryOptions {
    pub filter: Option<Filter>,
    pub select: Option<Vec<&'static Property>>,
    /// The requested order, always ending in `id` so that paging is exact.
    pub order_by: Vec<OrderKey>,
    pub top: Option<u32>,
    pub skip: Option<u64>,
    /// The sort-key values of the last row of the previous page.
    pub after: Option<Vec<Value>>,
    pub count: bool,
    /// The navigations to inline into each entity, in the order asked.
    pub expand: Vec<Navigation>,
    /// The options as sent (raw `key=value` pieces), for `@odata.nextLink`.
    raw: Vec<String>,
}

impl QueryOptions {
    /// Parses a raw query string for `endpoint` of `set` on `version`.
    pub fn parse(
        query: &str,
        set: &'static EntitySet,
        version: ApiVersion,
        endpoint: Endpoint,
    ) -> Result<Self, GraphError> {
        let mut options = QueryOptions::default();
        let mut seen = Vec::new();
        let mut token = None;
        for piece in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let Some(key) = form_decode(raw_key) else {
                continue; // Not UTF-8: no OData option's name.
            };
            let Some(name) = Name::of(&key, version) else {
                if key.starts_with('$') {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{key}' is not supported."
                    )));
                }
                continue; // Non-OData parameters are not ours to judge.
            };
            if !name.allowed_on(endpoint, set, version) {
                return Err(GraphError::bad_request(match name {
                    Name::Search | Name::Expand => format!(
                        "Query option '{}' is not supported on {}.",
                        name.text(),
                        set.path.rsplit('/').next().unwrap_or(set.path)
                    ),
                    _ => format!(
                        "Query option '{}' is not allowed on this request.",
                        name.text()
                    ),
                }));
            }
            if seen.contains(&name) {
                return Err(GraphError::bad_request(format!(
                    "Query option '{}' was specified more than once; it must be specified at most once.",
                    name.text()
                )));
            }
            seen.push(name);
            let value = form_decode(raw_value).ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Query option '{}' is not valid: its value is not UTF-8 once percent-decoded.",
                    name.text()
                ))
            })?;
            match name {
                Name::Filter => options.filter = Some(parse_filter(&value, set, version)?),
                Name::Select => options.select = Some(parse_select(&value, set, version)?),
                Name::OrderBy => options.order_by = parse_order_by(&value, set, version)?,
                Name::Top => options.top = Some(parse_top(&value)?),
                Name::Skip => options.skip = Some(parse_skip(&value)?),
                Name::SkipToken => token = Some(value),
                Name::Count => options.count = parse_bool(&value, "$count")?,
                Name::Expand => options.expand = parse_expand(&value, set)?,
                Name::Search => unreachable!("refused above"),
            }
            if !matches!(name, Name::Skip | Name::SkipToken) {
                options.raw.push(piece.to_owned());
            }
        }
        let key = set.key();
        if !options
            .order_by
            .iter()
            .any(|k| std::ptr::eq(k.property, key))
        {
            options.order_by.push(OrderKey {
                property: key,
                direction: Direction::Asc,
            });
        }
        if let Some(token) = token {
            options.after = Some(decode_skip_token(&token, &options.order_by)?);
        }
        Ok(options)
    }

    pub fn page_size(&self) -> u32 {
        self.top.unwrap_or(MAX_PAGE)
    }

    /// The query string of the next page: every option as sent, and the cursor after `last`.
    pub fn next_page_query(&self, last: &[Value]) -> String {
        let token = self.skip_token(last);
        let mut pieces = self.raw.clone();
        pieces.push(format!("$skiptoken={token}"));
        pieces.join("&")
    }

    /// The `$skiptoken` of the page after the row whose sort-key values are `last`.
    pub fn skip_token(&self, last: &[Value]) -> String {
        encode_skip_token(&self.order_by, last)
    }

    /// `(a,b)` for `@odata.context` when `$select` is given.
    pub fn select_suffix(&self) -> String {
        match &self.select {
            Some(properties) => {
                let names: Vec<&str> = properties.iter().map(|p| p.name).collect();
                format!("({})", names.join(","))
            }
            None => String::new(),
        }
    }
}

/// A property of `set` on `version` that `allowed` (selectable, orderable) says may be used.
fn queryable_property(
    name: &str,
    set: &'static EntitySet,
    version: ApiVersion,
    allowed: fn(&Property) -> bool,
) -> Result<&'static Property, GraphError> {
    set.property(name)
        .filter(|p| p.exists_in(version) && allowed(p))
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "Could not find a property named '{name}' on type '{}'.",
                set.type_name
            ))
        })
}

/// Decodes a query string component as HTML forms encode it (`+` is a space); `None` when the
/// bytes are not UTF-8 once decoded, which is refused rather than replaced: a filter literal must
/// never silently become another one.
fn form_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

fn parse_select(
    value: &str,
    set: &'static EntitySet,
    version: ApiVersion,
) -> Result<Vec<&'static Property>, GraphError> {
    let mut selected: Vec<&'static Property> = Vec::new();
    for name in value.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(GraphError::bad_request(
                "Invalid $select: a property name is missing.",
            ));
        }
        let property = queryable_property(name, set, version, |p| p.selectable)
            .map_err(|e| GraphError::bad_request(format!("Invalid $select: {}", e.message)))?;
        if !selected.contains(&property) {
            selected.push(property);
        }
    }
    Ok(selected)
}

/// `$expand=a,b`: navigations of `set`, named case-insensitively; no nested options.
fn parse_expand(value: &str, set: &'static EntitySet) -> Result<Vec<Navigation>, GraphError> {
    let mut expanded: Vec<Navigation> = Vec::new();
    for name in value.split(',').map(str::trim) {
        let navigation = set
            .expandable
            .iter()
            .copied()
            .find(|n| n.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let expandable: Vec<&str> = set.expandable.iter().map(|n| n.name()).collect();
                GraphError::bad_request(format!(
                    "Invalid $expand: '{name}' is not a navigation property of '{}' that can be \
                     expanded; expandable: {}.",
                    set.type_name,
                    expandable.join(", ")
                ))
            })?;
        if !expanded.contains(&navigation) {
            expanded.push(navigation);
        }
    }
    Ok(expanded)
}

fn parse_order_by(
    value: &str,
    set: &'static EntitySet,
    version: ApiVersion,
) -> Result<Vec<OrderKey>, GraphError> {
    let invalid = |problem: String| GraphError::bad_request(format!("Invalid $orderby: {problem}"));
    let mut keys: Vec<OrderKey> = Vec::new();
    for clause in value.split(',') {
        let mut words = clause.split_whitespace();
        let name = words
            .next()
            .ok_or_else(|| invalid("a property name is missing.".to_owned()))?;
        let property = queryable_property(name, set, version, |p| p.orderable)
            .map_err(|e| invalid(e.message))?;
        let direction = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => Direction::Asc,
            Some("desc") => Direction::Desc,
            Some(other) => {
                return Err(invalid(format!(
                    "'{other}' is not a sort direction; use asc or desc."
                )));
            }
        };
        if let Some(extra) = words.next() {
            return Err(invalid(format!("unexpected '{extra}' after '{clause}'.")));
        }
        if keys.iter().any(|k| k.property == property) {
            return Err(invalid(format!("'{name}' is listed twice.")));
        }
        keys.push(OrderKey {
            property,
            direction,
        });
    }
    Ok(keys)
}

fn parse_top(value: &str) -> Result<u32, GraphError> {
    let top = parse_number(value, "$top")?;
    if (1..=u64::from(MAX_PAGE)).contains(&top) {
        Ok(top as u32)
    } else {
        Err(GraphError::bad_request(format!(
            "Invalid $top: {top} is outside the allowed range 1 to {MAX_PAGE}."
        )))
    }
}

fn parse_skip(value: &str) -> Result<u64, GraphError> {
    let skip = parse_number(value, "$skip")?;
    if skip <= MAX_SKIP {
        Ok(skip)
    } else {
        Err(GraphError::bad_request(format!(
            "Invalid $skip: {skip} is larger than the limit of {MAX_SKIP}."
        )))
    }
}

fn parse_number(value: &str, option: &str) -> Result<u64, GraphError> {
    value.trim().parse().map_err(|_| {
        GraphError::bad_request(format!(
            "Invalid {option}: '{value}' is not a non-negative integer."
        ))
    })
}

fn parse_bool(value: &str, option: &str) -> Result<bool, GraphError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(GraphError::bad_request(format!(
            "Invalid {option}: '{value}' is not true or false."
        ))),
    }
}

/// The cursor names the sort order it was made for, so a token cannot be replayed against another;
/// written as `$orderby` spells it, so renaming a Rust item cannot change the wire format.
fn order_signature(order_by: &[OrderKey]) -> String {
    let keys: Vec<String> = order_by
        .iter()
        .map(|k| {
            let direction = match k.direction {
                Direction::Asc => "asc",
                Direction::Desc => "desc",
            };
            format!("{} {direction}", k.property.name)
        })
        .collect();
    keys.join(",")
}

/// Hex of a small JSON document: opaque to clients, safe in a URL without escaping.
fn encode_skip_token(order_by: &[OrderKey], last: &[Value]) -> String {
    let values: Vec<Json> = last
        .iter()
        .map(|value| match value {
            Value::Null => Json::Null,
            Value::Guid(id) => Json::String(id.to_string()),
            Value::Text(text) => Json::String(text.clone()),
            Value::DateTime(t) => Json::String(t.to_rfc3339()),
            Value::Int32(n) => Json::from(*n),
            // Only the kinds `Property::new` makes orderable are in a cursor.
            Value::Int64(_)
            | Value::Bool(_)
            | Value::Duration(_)
            | Value::Bytes(_)
            | Value::Texts(_)
            | Value::Document(_) => Json::Null,
        })
        .collect();
    let document = serde_json::json!({ "o": order_signature(order_by), "v": values });
    document
        .to_string()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_skip_token(token: &str, order_by: &[OrderKey]) -> Result<Vec<Value>, GraphError> {
    let invalid = || {
        GraphError::bad_request(
            "Invalid $skiptoken: use the @odata.nextLink of a previous page as it was given.",
        )
    };
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let document: Json = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if document["o"] != order_signature(order_by).as_str() {
        return Err(invalid());
    }
    let values = document["v"].as_array().ok_or_else(invalid)?;
    if values.len() != order_by.len() {
        return Err(invalid());
    }
    order_by
        .iter()
        .zip(values)
        .map(|(key, value)| match (key.property.kind, value) {
            (_, Json::Null) => Ok(Value::Null),
            (Kind::Guid, Json::String(s)) => s.parse().map(Value::Guid).map_err(|_| invalid()),
            (Kind::DateTime, Json::String(s)) => GraphDateTime::parse(s)
                .map(|t| Value::DateTime(t.0))
                .map_err(|_| invalid()),
            // PostgreSQL text cannot hold NUL: no stored value has one, so no cursor does.
            (Kind::String(_) | Kind::Enum(_), Json::String(s)) if !s.contains('\0') => {
                Ok(Value::Text(s.clone()))
            }
            (Kind::Int32, Json::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Value::Int32)
                .ok_or_else(invalid),
            _ => Err(invalid()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::device_identity::DEVICE_IDENTITIES;

    fn parse(query: &str) -> Result<QueryOptions, GraphError> {
        QueryOptions::parse(query, &DEVICE_IDENTITIES, ApiVersion::V1, Endpoint::List)
    }

    fn names(keys: &[OrderKey]) -> Vec<(&str, Direction)> {
        keys.iter()
            .map(|k| (k.property.name, k.direction))
            .collect()
    }

    #[test]
    fn defaults_are_the_full_page_in_id_order() {
        let options = parse("").unwrap();
        assert_eq!(options.page_size(), 1000);
        assert_eq!(names(&options.order_by), [("id", Direction::Asc)]);
        assert!(!options.count && options.select.is_none() && options.after.is_none());
    }

    #[test]
    fn top_is_one_to_a_thousand() {
        assert_eq!(parse("$top=5").unwrap().page_size(), 5);
        for bad in ["$top=0", "$top=1001", "$top=-1", "$top=x", "$top="] {
            assert!(parse(bad).unwrap_err().message.contains("$top"), "{bad}");
        }
    }

    #[test]
    fn orderby_takes_several_keys_and_always_ends_in_id() {
        let options = parse("$orderby=displayName%20desc,serialNumber").unwrap();
        assert_eq!(
            names(&options.order_by),
            [
                ("displayName", Direction::Desc),
                ("serialNumber", Direction::Asc),
                ("id", Direction::Asc)
            ]
        );
        let options = parse("$orderby=id desc").unwrap();
        assert_eq!(names(&options.order_by), [("id", Direction::Desc)]);
        for bad in [
            "$orderby=nope",
            "$orderby=displayName sideways",
            "$orderby=displayName,displayName",
            "$orderby=deviceFriendlyName",
            "$orderby=",
        ] {
            assert!(
                parse(bad).unwrap_err().message.contains("$orderby"),
                "{bad}"
            );
        }
    }

    #[test]
    fn select_names_properties_of_the_version_and_never_the_secret() {
        let options = parse("$select=serialNumber,displayName").unwrap();
        assert_eq!(options.select_suffix(), "(serialNumber,displayName)");
        assert!(parse("$select=deviceFriendlyName").is_err());
        assert!(
            QueryOptions::parse(
                "$select=deviceFriendlyName",
                &DEVICE_IDENTITIES,
                ApiVersion::Beta,
                Endpoint::List
            )
            .is_ok()
        );
        assert!(
            QueryOptions::parse(
                "$select=deviceAccountPassword",
                &DEVICE_IDENTITIES,
                ApiVersion::Beta,
                Endpoint::List
            )
            .is_err()
        );
    }

    #[test]
    fn search_expand_unknown_and_repeated_options_are_refused() {
        for bad in ["$search=x", "$expand=x", "$format=json", "$top=1&$top=2"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(
            QueryOptions::parse("$top=1", &DEVICE_IDENTITIES, ApiVersion::V1, Endpoint::Item)
                .is_err()
        );
        assert!(
            QueryOptions::parse(
                "$select=id",
                &DEVICE_IDENTITIES,
                ApiVersion::V1,
                Endpoint::Item
            )
            .is_ok()
        );
        // Parameters that are not OData options are left alone.
        assert!(parse("api-version=1&foo=bar").is_ok());
    }

    #[test]
    fn expand_takes_only_the_navigations_a_set_declares() {
        use crate::domain::deployment_profile::DEPLOYMENT_PROFILES;
        let profiles = |query: &str, endpoint| {
            QueryOptions::parse(query, &DEPLOYMENT_PROFILES, ApiVersion::Beta, endpoint)
        };
        for endpoint in [Endpoint::List, Endpoint::Item] {
            let options = profiles("$expand=Assignments,assignments", endpoint).unwrap();
            assert_eq!(options.expand, vec![Navigation::ProfileAssignments]);
        }
        let refused = profiles("$expand=deviceIdentities", Endpoint::List).unwrap_err();
        assert!(
            refused.message.contains("'deviceIdentities'"),
            "{}",
            refused.message
        );
        assert!(profiles("$expand=assignments", Endpoint::Count).is_err());
        assert!(profiles("$expand=assignments($select=id)", Endpoint::List).is_err());
    }

    #[test]
    fn beta_takes_options_without_the_dollar_and_v1_ignores_them() {
        let beta = QueryOptions::parse(
            "top=3&COUNT=true",
            &DEVICE_IDENTITIES,
            ApiVersion::Beta,
            Endpoint::List,
        )
        .unwrap();
        assert_eq!((beta.page_size(), beta.count), (3, true));
        let v1 = QueryOptions::parse("top=3", &DEVICE_IDENTITIES, ApiVersion::V1, Endpoint::List)
            .unwrap();
        assert_eq!(v1.page_size(), 1000);
        assert_eq!(parse("$TOP=3").unwrap().page_size(), 3);
    }

    #[test]
    fn the_next_page_keeps_the_options_and_its_token_round_trips() {
        let options =
            parse("$top=2&$skip=4&$orderby=lastContactedDateTime%20desc&$count=true").unwrap();
        let last = vec![
            Value::DateTime(
                GraphDateTime::parse("2024-01-02T03:04:05.123456Z")
                    .unwrap()
                    .0,
            ),
            Value::Guid(uuid::Uuid::nil()),
        ];
        let next = options.next_page_query(&last);
        assert!(
            next.starts_with(
                "$top=2&$orderby=lastContactedDateTime%20desc&$count=true&$skiptoken="
            ),
            "{next}"
        );
        let again = parse(&next).unwrap();
        assert_eq!(again.after.as_deref(), Some(last.as_slice()));
        assert_eq!(again.skip, None);

        // A token is only good for the order it was made for, and must be intact.
        let token = next.rsplit_once('=').unwrap().1;
        assert!(parse(&format!("$skiptoken={token}")).is_err());
        assert!(parse("$skiptoken=zz").is_err());
        assert!(parse("$skiptoken=7b7d").is_err());
    }

    /// Found while setting up schema fuzzing (tests/fuzz, whose boundary values reproduce it):
    /// `$skip=9223372036854775808` reached PostgreSQL, whose OFFSET is a bigint: a 500.
    #[test]
    fn skip_is_limited_to_what_postgresql_takes() {
        assert_eq!(
            parse("$skip=9223372036854775807").unwrap().skip,
            Some(i64::MAX as u64)
        );
        for bad in ["$skip=9223372036854775808", "$skip=18446744073709551615"] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{bad}");
            assert!(
                error.message.starts_with("Invalid $skip"),
                "{bad}: {}",
                error.message
            );
        }
    }

    /// Found while setting up schema fuzzing: a hand-made `$skiptoken` whose value holds a NUL reached PostgreSQL
    /// (which cannot store it in text) and was answered 500.
    #[test]
    fn a_skip_token_with_a_nul_is_invalid() {
        let hex = |json: &str| -> String { json.bytes().map(|b| format!("{b:02x}")).collect() };
        let nil = uuid::Uuid::nil();
        let good = hex(&format!(
            r#"{{"o":"displayName asc,id asc","v":["a","{nil}"]}}"#
        ));
        assert!(parse(&format!("$orderby=displayName&$skiptoken={good}")).is_ok());
        let nul = hex(&format!(
            r#"{{"o":"displayName asc,id asc","v":["a\u0000b","{nil}"]}}"#
        ));
        let error = parse(&format!("$orderby=displayName&$skiptoken={nul}")).unwrap_err();
        assert!(
            error.message.starts_with("Invalid $skiptoken"),
            "{}",
            error.message
        );
    }
}
