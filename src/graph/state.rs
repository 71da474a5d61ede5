//! The checks a state document for `import-state` passes before it is stored: each row of an entity
//! set's table holds what a create through Graph would accept, so that no door stores a value
//! that Graph refuses (a membership rule of 100,000 terms, a group tag of a megabyte) and the
//! workers later meet.

use serde_json::Value as Json;

use crate::domain::ENTITY_SETS;
use crate::domain::assignment_filter::ASSIGNMENT_FILTERS;
use crate::domain::directory::{GROUPS, Membership};
use crate::domain::entity::{EntitySet, Kind, Property};
use crate::graph::assignment_filter;
use crate::graph::directory::membership_error;
use crate::graph::entity::text_problem;
use crate::graph::error::GraphError;

/// Checks every row of the entity sets' tables in `document` (`{"tables": {"<table>": [row]}}`,
/// as export writes it): the text limits of each column a property has, a group's membership, and
/// an assignment filter's rule and management type.
/// The document's shape and the columns' types are the store's to check.
pub fn check_document(document: &Json) -> Result<(), GraphError> {
    let Some(tables) = document.get("tables").and_then(Json::as_object) else {
        return Ok(());
    };
    for (table, rows) in tables {
        let Some(set) = ENTITY_SETS.iter().find(|set| set.table == table) else {
            continue;
        };
        for (index, row) in rows.as_array().into_iter().flatten().enumerate() {
            check_row(set, row).map_err(|error| {
                GraphError::bad_request(format!("tables.{table}[{index}]: {}", error.message))
            })?;
        }
    }
    Ok(())
}

fn check_row(set: &'static EntitySet, row: &Json) -> Result<(), GraphError> {
    for property in set.columns() {
        let Some(value) = row.get(property.column) else {
            continue;
        };
        check_value(property, value)?;
    }
    if std::ptr::eq(set, &GROUPS) {
        let column = |name| GROUPS.property(name).map_or(name, |p| p.column);
        let group_types: Vec<String> = row
            .get(column("groupTypes"))
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect();
        let rule = row.get(column("membershipRule")).and_then(Json::as_str);
        Membership::of(&group_types, rule).map_err(|problem| membership_error(&problem))?;
    }
    if std::ptr::eq(set, &ASSIGNMENT_FILTERS) {
        assignment_filter::check_state_row(row)?;
    }
    Ok(())
}

/// `text` as the property `name` of `set` is checked on a Graph POST (its limits, no NUL): for the
/// values the control plane builds entities from.
pub fn check_property_text(set: &EntitySet, name: &str, text: &str) -> Result<(), GraphError> {
    match set.property(name).map(|property| property.kind) {
        Some(Kind::String(limits)) => limits
            .check(text)
            .map_err(|problem| GraphError::bad_request(text_problem("property", name, problem))),
        _ => Ok(()),
    }
}

fn check_value(property: &Property, value: &Json) -> Result<(), GraphError> {
    let problem =
        |problem| GraphError::bad_request(text_problem("column", property.column, problem));
    match (property.kind, value) {
        (Kind::String(limits), Json::String(text)) => limits.check(text).map_err(&problem),
        (Kind::Strings(limits), Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .try_for_each(|text| limits.check(text).map_err(&problem)),
        _ => Ok(()),
    }
}
