//! How the console shows stored values: text for a value, an entity as a table of its properties,
//! counts as bars.

use chrono::TimeDelta;

use crate::domain::entity::{Entity, Value};

/// A value as a person reads it; empty for null.
pub fn shown(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Guid(id) => id.to_string(),
        Value::Text(text) => text.clone(),
        Value::DateTime(time) => time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Value::Int32(n) => n.to_string(),
        Value::Int64(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Duration(duration) => duration_text(*duration),
        Value::Bytes(bytes) => format!("{} bytes", bytes.len()),
        Value::Texts(texts) => texts.join(", "),
        Value::Document(document) => document.to_string(),
    }
}

/// `7m 0s`, `45s`, `1h 2m 3s`.
pub fn duration_text(duration: TimeDelta) -> String {
    let seconds = duration.num_seconds().max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}

/// The value of the property (or complex member) `name` of an entity, shown; empty when the set
/// has no such property.
pub fn text(entity: &Entity, name: &str) -> String {
    entity
        .set
        .columns()
        .find(|property| property.name == name)
        .map(|property| shown(entity.get(property)))
        .unwrap_or_default()
}

/// One row of an entity's property table.
pub struct Field {
    pub name: &'static str,
    pub value: String,
}

/// The properties of an entity that have a value, in the order Graph writes them.
pub fn fields(entity: &Entity) -> Vec<Field> {
    entity
        .set
        .columns()
        .map(|property| Field {
            name: property.name,
            value: shown(entity.get(property)),
        })
        .filter(|field| !field.value.is_empty())
        .collect()
}

/// One bar of a chart: a label, its count and its length in percent of the longest.
pub struct Bar {
    pub label: String,
    pub count: i64,
    pub percent: u32,
}

/// Counts as bars, scaled to the largest.
pub fn bars(counts: impl IntoIterator<Item = (String, i64)>) -> Vec<Bar> {
    let counts: Vec<(String, i64)> = counts.into_iter().collect();
    let largest = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    counts
        .into_iter()
        .map(|(label, count)| Bar {
            label,
            count,
            percent: u32::try_from(count.max(0) * 100 / largest).unwrap_or(100),
        })
        .collect()
}

/// A share of a whole in percent (for stacked bars), rounded down.
pub fn percent_of(part: i64, whole: i64) -> u32 {
    match whole {
        0 => 0,
        _ => u32::try_from(part.clamp(0, whole) * 100 / whole).unwrap_or(100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_hours_minutes_and_seconds() {
        assert_eq!(duration_text(TimeDelta::seconds(45)), "45s");
        assert_eq!(duration_text(TimeDelta::seconds(420)), "7m 0s");
        assert_eq!(duration_text(TimeDelta::seconds(3723)), "1h 2m 3s");
    }

    #[test]
    fn bars_scale_to_the_largest_count() {
        let shown = bars([
            ("a".to_owned(), 50),
            ("b".to_owned(), 100),
            ("c".to_owned(), 0),
        ]);
        let percents: Vec<u32> = shown.iter().map(|bar| bar.percent).collect();
        assert_eq!(percents, [50, 100, 0]);
        assert!(
            bars([("none".to_owned(), 0)])
                .iter()
                .all(|bar| bar.percent == 0)
        );
        assert_eq!(percent_of(1, 3), 33);
        assert_eq!(percent_of(5, 0), 0);
    }
}
