//! The migrations and the entity-set tables describe the same columns: a property the table names
//! but the migration lacks (or types, or constrains differently) fails here, not as a 500.

use std::collections::BTreeMap;

use autopilot_registry::domain::entity::{Kind, Property, TYPE_ANNOTATION};
use autopilot_registry::domain::{CONTAINED_SETS, ENTITY_SETS};
use autopilot_registry::store::BOOKKEEPING_COLUMNS;

use crate::helpers::spawn_app;

/// PostgreSQL's name for the type a property of `kind` is stored as.
fn column_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Guid => "uuid",
        Kind::String(_) | Kind::Enum(_) => "text",
        Kind::DateTime => "timestamp with time zone",
        Kind::Int32 => "integer",
        Kind::Int64 => "bigint",
        // Kept as JSON text (see `Kind::Document`).
        Kind::Document(_) => "text",
        Kind::Boolean => "boolean",
        Kind::Duration => "interval",
        Kind::Binary => "bytea",
        Kind::Strings(_) => "ARRAY",
        Kind::Complex(complex) => panic!("{} has no column of its own", complex.name),
    }
}

/// The quoted strings of a CHECK constraint's definition, e.g. the members of `x = ANY (ARRAY[...])`.
fn quoted_strings(definition: &str) -> Vec<String> {
    definition
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn every_table_matches_its_migrated_columns_types_nullability_and_enum_checks() {
    let app = spawn_app().await;
    let db = app.db().await;
    for set in ENTITY_SETS.iter().chain(&CONTAINED_SETS) {
        let columns: BTreeMap<String, (String, bool)> =
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns WHERE table_name = $1",
            )
            .bind(set.table)
            .fetch_all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|(name, data_type, nullable)| (name, (data_type, nullable == "YES")))
            .collect();
        assert!(
            !columns.is_empty(),
            "the migrations create no table {}",
            set.table
        );
        // A view (directory devices are derived from device identities) says every column is
        // nullable and has no CHECK of its own; its columns' types must still match.
        let is_view: bool = sqlx::query_scalar(
            "SELECT table_type = 'VIEW' FROM information_schema.tables WHERE table_name = $1",
        )
        .bind(set.table)
        .fetch_one(&db)
        .await
        .unwrap();
        let checks: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = $1::regclass AND contype = 'c'",
        )
        .bind(set.table)
        .fetch_all(&db)
        .await
        .unwrap();
        let checks_on = |property: &Property| -> Vec<&String> {
            checks
                .iter()
                // The column name whole: a CHECK on `mail_nickname` is none of `mail`'s.
                .filter(|check| check.contains(&format!("({} ", property.column)))
                .collect()
        };

        for property in set.columns() {
            let where_ = format!("{}.{} ({})", set.table, property.column, property.name);
            let (data_type, nullable) = columns
                .get(property.column)
                .unwrap_or_else(|| panic!("{where_} is in the table but no migration makes it"));
            assert_eq!(data_type, column_type(property.kind), "{where_}: type");
            if is_view {
                continue;
            }
            assert_eq!(*nullable, property.nullable, "{where_}: nullability");
            match property.kind {
                Kind::Enum(enum_type) => {
                    let mut expected: Vec<String> = enum_type
                        .members
                        .iter()
                        .chain(enum_type.beta_members)
                        .map(|member| member.to_string())
                        .collect();
                    let [check] = checks_on(property)[..] else {
                        panic!(
                            "{where_}: expected one CHECK listing the members of {}",
                            enum_type.name
                        );
                    };
                    let mut listed = quoted_strings(check);
                    expected.sort();
                    listed.sort();
                    assert_eq!(listed, expected, "{where_}: the CHECK's members ({check})");
                }
                Kind::String(_) if property.name == TYPE_ANNOTATION => {
                    let [check] = checks_on(property)[..] else {
                        panic!("{where_}: expected one CHECK listing the set's concrete types");
                    };
                    let mut expected: Vec<String> =
                        set.derived.iter().map(|t| t.type_name.to_owned()).collect();
                    let mut listed = quoted_strings(check);
                    expected.sort();
                    listed.sort();
                    assert_eq!(listed, expected, "{where_}: the CHECK's types ({check})");
                }
                Kind::String(limits) if limits.min_chars > 0 => {
                    assert!(
                        checks_on(property)
                            .iter()
                            .any(|check| check.contains("<> ''")),
                        "{where_}: a required string needs a CHECK that it is not empty"
                    );
                }
                _ => assert!(
                    checks_on(property).is_empty(),
                    "{where_}: a CHECK the table does not state: {:?}",
                    checks_on(property)
                ),
            }
        }
        for column in columns.keys() {
            assert!(
                set.columns().any(|p| p.column == column)
                    || BOOKKEEPING_COLUMNS.contains(&column.as_str())
                    || set.internal_columns.contains(&column.as_str()),
                "{}.{column} is migrated but no property of {} names it",
                set.table,
                set.type_name
            );
        }
    }
}
