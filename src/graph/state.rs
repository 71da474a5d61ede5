//! The checks a state document for `import-state` passes before it is stored: each row of an entity
//! set's table holds what a create through Graph would accept, so that no door stores a value
//! that Graph refuses (a membership rule of 100,000 terms, a group tag of a megabyte) and the
//! workers later meet.

use serde_json::Value as Json;

use crate::domain::assignment_filter::ASSIGNMENT_FILTERS;
use crate::domain::directory::{GROUPS, Membership};
use crate::domain::enrollment_configuration::{
    ENROLLMENT_CONFIGURATIONS, SELECTED_APPS, default_configuration,
};
use crate::domain::entity::{EntitySet, Kind, Property, TYPE_ANNOTATION};
use crate::domain::mobile_app::MOBILE_APPS;
use crate::domain::{CONTAINED_SETS, ENTITY_SETS};
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
    check_selected_apps(tables)?;
    check_defaults_unassigned(tables)?;
    check_priorities(tables)?;
    for (table, rows) in tables {
        let Some(set) = ENTITY_SETS
            .iter()
            .chain(&CONTAINED_SETS)
            .find(|set| set.table == table)
        else {
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

/// An Enrollment Status Page's apps are among the document's mobile apps, as a Graph create
/// checks them against the tenant's.
fn check_selected_apps(tables: &serde_json::Map<String, Json>) -> Result<(), GraphError> {
    let rows = |set: &EntitySet| {
        tables
            .get(set.table)
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let apps: Vec<&str> = rows(&MOBILE_APPS)
        .iter()
        .filter_map(|app| app.get("id").and_then(Json::as_str))
        .collect();
    let column = ENROLLMENT_CONFIGURATIONS
        .property(SELECTED_APPS)
        .map_or(SELECTED_APPS, |p| p.column);
    for (index, row) in rows(&ENROLLMENT_CONFIGURATIONS).iter().enumerate() {
        let selected = row
            .get(column)
            .and_then(Json::as_array)
            .into_iter()
            .flatten();
        for app in selected {
            if !app.as_str().is_some_and(|id| apps.contains(&id)) {
                return Err(GraphError::bad_request(format!(
                    "tables.{}[{index}]: {SELECTED_APPS} names {app}, which is not an id of the \
                     document's {}.",
                    ENROLLMENT_CONFIGURATIONS.table, MOBILE_APPS.table
                )));
            }
        }
    }
    Ok(())
}

/// Intune's default configurations are never assigned, whichever door asks.
fn check_defaults_unassigned(tables: &serde_json::Map<String, Json>) -> Result<(), GraphError> {
    const ASSIGNMENTS: &str = "device_enrollment_configuration_assignments";
    let rows = tables.get(ASSIGNMENTS).and_then(Json::as_array);
    for (index, row) in rows.into_iter().flatten().enumerate() {
        let configuration = row
            .get("configuration_id")
            .and_then(Json::as_str)
            .and_then(|id| uuid::Uuid::parse_str(id).ok());
        if let Some(default) = configuration.and_then(default_configuration) {
            return Err(GraphError::bad_request(format!(
                "tables.{ASSIGNMENTS}[{index}]: '{}' ({}) is Intune's default and is never assigned.",
                default.display_name, default.id
            )));
        }
    }
    Ok(())
}

/// Priority 0 is the defaults', each with its own type, as Graph keeps them: another
/// configuration at 0 would outrank every page, and `setPriority` would never move it.
fn check_priorities(tables: &serde_json::Map<String, Json>) -> Result<(), GraphError> {
    let table = ENROLLMENT_CONFIGURATIONS.table;
    let column = |name| {
        ENROLLMENT_CONFIGURATIONS
            .property(name)
            .map_or(name, |p| p.column)
    };
    let rows = tables.get(table).and_then(Json::as_array);
    for (index, row) in rows.into_iter().flatten().enumerate() {
        let id = row
            .get("id")
            .and_then(Json::as_str)
            .and_then(|id| uuid::Uuid::parse_str(id).ok());
        let priority = row.get(column("priority")).and_then(Json::as_i64);
        let type_name = row.get(column(TYPE_ANNOTATION)).and_then(Json::as_str);
        let problem = match id.and_then(default_configuration) {
            Some(default) if priority != Some(0) || type_name != Some(default.type_name) => {
                Some(format!(
                    "'{}' ({}) is Intune's default {}: it has priority 0 and that type.",
                    default.display_name, default.id, default.type_name
                ))
            }
            None if priority.is_none_or(|p| p < 1) => Some(
                "a configuration that is not a default has a priority of 1 or more.".to_owned(),
            ),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(GraphError::bad_request(format!(
                "tables.{table}[{index}]: {problem}"
            )));
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
