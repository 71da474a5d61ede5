//! A parsed filter as a parameterised SQL condition on an entity set's table.
//!
//! Column names come from [`Property::column`](crate::domain::entity::Property) only, and every literal is
//! bound, never spliced: the SQL text depends on the shape of the filter, not on the user's values.
//!
//! Semantics are two-valued, as OData's comparison operators are: a comparison with a NULL column is
//! false (never SQL's unknown), so `not (displayName eq 'x')` and `displayName ne 'x'` both hold for
//! a device without a displayName.

use super::push_bind;
use crate::domain::entity::{Kind, Value};
use crate::domain::query::{CollectionTest, CompareOp, Filter, MatchFunction};

/// Compiles `filter` into a boolean SQL expression, appending the values it compares with to
/// `binds`, the statement's whole parameter list (`$n` is `binds[n - 1]`; the tenant is usually
/// `$1`). The result is parenthesised wherever it combines conditions, so it can be `AND`ed into a
/// larger `WHERE` as is. The filter's values are only ever [`Value::Text`], [`Value::DateTime`] or
/// [`Value::Guid`]; `null` comparisons become `IS NULL`. The recursion follows the tree, whose
/// depth the filter parser bounds.
pub fn condition(filter: &Filter, binds: &mut Vec<Value>) -> String {
    match filter {
        Filter::And(a, b) => format!("({} AND {})", condition(a, binds), condition(b, binds)),
        Filter::Or(a, b) => format!("({} OR {})", condition(a, binds), condition(b, binds)),
        // COALESCE: a comparison with a NULL column is false in OData, so its negation is true.
        Filter::Not(a) => format!("(NOT COALESCE({}, FALSE))", condition(a, binds)),
        Filter::Compare {
            property,
            op,
            value,
        } => {
            let column = property.column;
            match (property.kind, value, op) {
                (_, Value::Null, CompareOp::Eq) => format!("{column} IS NULL"),
                (_, Value::Null, CompareOp::Ne) => format!("{column} IS NOT NULL"),
                // Nothing is greater or less than null.
                (_, Value::Null, _) => "FALSE".to_owned(),
                // Graph compares strings case-insensitively; lower() on both sides can use an
                // index on lower(column), such as the one on serial numbers.
                (Kind::String(_), value, CompareOp::Eq) => {
                    let p = push_bind(binds, value.clone());
                    format!("lower({column}) = lower({p})")
                }
                (Kind::String(_), value, CompareOp::Ne) => {
                    let p = push_bind(binds, value.clone());
                    format!("({column} IS NULL OR lower({column}) <> lower({p}))")
                }
                // Enums (exact camelCase members), the id and datetimes.
                (_, value, op) => {
                    let p = push_bind(binds, value.clone());
                    format!("{column} {} {p}", sql_operator(*op))
                }
            }
        }
        Filter::Match {
            function,
            property,
            value,
        } => {
            let escaped = escape_like(value);
            let pattern = match function {
                MatchFunction::Contains => format!("%{escaped}%"),
                MatchFunction::StartsWith => format!("{escaped}%"),
                MatchFunction::EndsWith => format!("%{escaped}"),
            };
            // A plain `column ILIKE $n` (not lower(...) LIKE) so that a trigram index can serve it.
            let p = push_bind(binds, Value::Text(pattern));
            format!("{} ILIKE {p}", property.column)
        }
        Filter::Linked(link, group) => {
            let p = push_bind(binds, Value::Guid(*group));
            // Matched on the tenant too: an id is unique within its tenant only.
            format!(
                "(tenant_id, id) IN (SELECT tenant_id, {} FROM {} WHERE group_id = {p})",
                link.object_column, link.table
            )
        }
        Filter::DirectoryDevice(filter) => format!(
            "(tenant_id, directory_object_id) IN (SELECT tenant_id, id FROM directory_devices WHERE {})",
            condition(filter, binds)
        ),
        Filter::RegisteredFor(identity) => {
            let p = push_bind(binds, Value::Guid(*identity));
            format!("device_identity_id = {p}")
        }
        Filter::IntendedProfile(profile) => {
            let p = push_bind(binds, Value::Guid(*profile));
            format!("intended_profile_id = {p}")
        }
        Filter::Any {
            property,
            test,
            value,
        } => {
            // autopilot_fold (a migration) folds as the rule's value was folded in Rust, whatever
            // the cluster's locale; lower() and ILIKE would not.
            let column = property.column;
            let p = push_bind(binds, Value::Text(value.clone()));
            let member = match test {
                CollectionTest::Equals => format!("autopilot_fold(member) = {p}"),
                CollectionTest::StartsWith => format!("starts_with(autopilot_fold(member), {p})"),
                CollectionTest::Contains => format!("strpos(autopilot_fold(member), {p}) > 0"),
            };
            format!("EXISTS (SELECT 1 FROM unnest({column}) AS member WHERE {member})")
        }
    }
}

fn sql_operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
    }
}

/// `text` as a LIKE pattern that matches it literally: `%`, `_` and the escape character itself
/// (backslash, LIKE's default) are escaped.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use crate::domain::membership::folded_chars;

    /// The SQL function folds with Rust's table: a toolchain whose Unicode tables differ fails
    /// here, and a new migration brings the function up to date.
    #[test]
    fn the_sql_fold_function_has_the_table_of_rusts_fold() {
        let (from, to): (String, String) = folded_chars().unzip();
        let function = include_str!("../../migrations/20261207100001_fold.sql");
        assert!(
            function.contains(&format!("'{from}',\n                           '{to}'")),
            "autopilot_fold's table is not fold's: it is\n{from}\n{to}"
        );
    }
}
