//! A collection query once parsed: which entities (a filter), in which order, which page. The wire
//! contract parses OData into these; the store turns them into SQL.

use uuid::Uuid;

use super::directory::GroupLink;
use super::entity::{Property, Value};

/// A parsed, type-checked `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// property op value. `value` is [`Value::Null`] only for `eq null` / `ne null` on a nullable
    /// string; otherwise a [`Value::Text`] (strings and enum members), [`Value::DateTime`] or
    /// [`Value::Guid`] matching the property's kind.
    Compare {
        property: &'static Property,
        op: CompareOp,
        value: Value,
    },
    /// contains / startswith / endswith (case-insensitive) on a string property.
    Match {
        function: MatchFunction,
        property: &'static Property,
        value: String,
    },
    /// An object the link table ties to the group with this id: a member added to it, or an owner.
    Linked(&'static GroupLink, Uuid),
    /// A device identity whose directory device passes the filter.
    DirectoryDevice(Box<Filter>),
    /// A device identity whose intended deployment profile is the one with this id.
    IntendedProfile(Uuid),
    /// The directory device registered for the device identity with this id.
    RegisteredFor(Uuid),
    /// Some member of a string collection passes `test` against `value` (case-insensitive).
    Any {
        property: &'static Property,
        test: CollectionTest,
        value: String,
    },
}

impl Filter {
    /// Both conditions, or `other` alone.
    pub fn and(self, other: Option<&Filter>) -> Filter {
        match other {
            Some(other) => Filter::And(Box::new(self), Box::new(other.clone())),
            None => self,
        }
    }
}

/// How a member of a string collection is compared with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionTest {
    Equals,
    StartsWith,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchFunction {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// One key of the sort order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderKey {
    pub property: &'static Property,
    pub direction: Direction,
}

/// What a list asks for: the rows after `after` (the sort-key values of the previous page's last
/// row) or, on a first page, after skipping `skip` rows.
pub struct Page<'a> {
    pub filter: Option<&'a Filter>,
    pub order_by: &'a [OrderKey],
    pub after: Option<&'a [Value]>,
    pub skip: u64,
    pub limit: u32,
}
