//! Reading a request body as JSON, with the leniency of Graph's own reader.
//!
//! Widely used scripts build bodies by string concatenation (`{ displayName: "PC01" }`) and Graph
//! accepts them (spec `autopilot-workflows.md`, section 0). Accepted besides JSON, and nothing else:
//! property names without quotes (letters, digits, `_` and `$`, as OData's JSON reader takes them),
//! strings in single quotes (names and values; `\'` inside is a quote) and one trailing comma before
//! `}` or `]`. Every body is read strictly first; only one that fails is rewritten into JSON by
//! [`rewrite`] and read again, so valid JSON pays nothing for the leniency, and whatever the rewrite
//! leaves that is not JSON is refused by the strict reader with its position in the body as sent.

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::graph::error::GraphError;

/// Reads `body` as `T`: strict JSON, else the body rewritten from Graph's lenient forms. Every
/// refusal is a 400 that says what is wrong and where.
pub fn read<T: DeserializeOwned>(body: &[u8]) -> Result<T, GraphError> {
    let strict_error = match serde_json::from_slice(body) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    if !matches!(strict_error.classify(), Category::Syntax | Category::Eof) {
        return Err(GraphError::bad_request(describe(&strict_error, None)));
    }
    let Some(rewritten) = rewrite(body) else {
        return Err(GraphError::bad_request(describe(&strict_error, None)));
    };
    serde_json::from_slice(&rewritten.text)
        .map_err(|error| GraphError::bad_request(describe(&error, Some((&rewritten, body)))))
}

/// A lenient body rewritten as JSON, with what is needed to point into the body as sent.
#[derive(Debug)]
pub struct Rewritten {
    pub text: Vec<u8>,
    /// `(offset in text, offset in the body)` from which on the two run in step, one for each edit.
    aligned: Vec<(usize, usize)>,
}

impl Rewritten {
    /// The body's offset of a byte of the rewritten text.
    fn original_offset(&self, offset: usize) -> usize {
        let index = self.aligned.partition_point(|&(text, _)| text <= offset);
        match index.checked_sub(1).map(|i| self.aligned[i]) {
            Some((text, body)) => body + (offset - text),
            None => offset,
        }
    }
}

/// What the token before the current position was, as far as commas and names care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Previous {
    Start,
    Open,
    Comma,
    Colon,
    Name,
    Value,
}

/// Rewrites the lenient forms of `body` into JSON; `None` when it has none (its error stands as it
/// is). Anything else passes through unchanged for the strict reader to judge, so this never
/// refuses a body itself; it keeps an explicit stack, so nesting costs memory, never recursion.
pub fn rewrite(body: &[u8]) -> Option<Rewritten> {
    let mut text = Vec::with_capacity(body.len() + 16);
    let mut aligned = Vec::new();
    let mut containers = Vec::new();
    let mut previous = Previous::Start;
    let mut i = 0;
    while i < body.len() {
        let in_object = containers.last() == Some(&b'{');
        let expecting_name = in_object && matches!(previous, Previous::Open | Previous::Comma);
        let kind = if expecting_name {
            Previous::Name
        } else {
            Previous::Value
        };
        match body[i] {
            b'"' => {
                let end = end_of_string(body, i);
                text.extend_from_slice(&body[i..end]);
                i = end;
                previous = kind;
                continue;
            }
            b'\'' => {
                i = single_quoted(body, i, &mut text, &mut aligned);
                previous = kind;
                continue;
            }
            open @ (b'{' | b'[') => {
                containers.push(open);
                previous = Previous::Open;
            }
            b'}' | b']' => {
                containers.pop();
                previous = Previous::Value;
            }
            b',' => {
                let next = body[i + 1..]
                    .iter()
                    .position(|b| !is_whitespace(*b))
                    .map(|n| body[i + 1 + n]);
                if previous == Previous::Value && matches!(next, Some(b'}' | b']')) {
                    i += 1;
                    aligned.push((text.len(), i));
                    continue;
                }
                previous = Previous::Comma;
            }
            b':' => previous = Previous::Colon,
            b if is_whitespace(b) => {}
            _ if expecting_name => {
                let end = end_of_name(body, i);
                if end > i {
                    text.push(b'"');
                    text.extend_from_slice(&body[i..end]);
                    text.push(b'"');
                    aligned.push((text.len(), end));
                    i = end;
                    previous = Previous::Name;
                    continue;
                }
                previous = Previous::Value;
            }
            _ => previous = Previous::Value,
        }
        text.push(body[i]);
        i += 1;
    }
    (!aligned.is_empty()).then_some(Rewritten { text, aligned })
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The offset after the double-quoted string that starts at `start` (the end of the body when it
/// is not closed).
fn end_of_string(body: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    body.len()
}

/// Writes the single-quoted string at `start` as a double-quoted one: `"` escaped, `\'` unescaped,
/// every other escape kept for the strict reader to judge. Returns the offset after it.
fn single_quoted(
    body: &[u8],
    start: usize,
    text: &mut Vec<u8>,
    aligned: &mut Vec<(usize, usize)>,
) -> usize {
    text.push(b'"');
    let mut i = start + 1;
    while i < body.len() {
        match body[i] {
            b'\'' => {
                text.push(b'"');
                aligned.push((text.len(), i + 1));
                return i + 1;
            }
            b'"' => {
                text.extend_from_slice(b"\\\"");
                aligned.push((text.len(), i + 1));
            }
            b'\\' if body.get(i + 1) == Some(&b'\'') => {
                text.push(b'\'');
                i += 2;
                aligned.push((text.len(), i));
                continue;
            }
            b'\\' if i + 1 < body.len() => {
                text.extend_from_slice(&body[i..i + 2]);
                i += 2;
                continue;
            }
            byte => text.push(byte),
        }
        i += 1;
    }
    // Not closed: the strict reader reports the end of the body.
    aligned.push((text.len(), i));
    i
}

/// The offset after the unquoted property name at `start`: letters, digits, `_` and `$`.
fn end_of_name(body: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < body.len() {
        let window = &body[i..body.len().min(i + 4)];
        let decoded = match std::str::from_utf8(window) {
            Ok(text) => text,
            Err(error) => std::str::from_utf8(&window[..error.valid_up_to()]).unwrap_or_default(),
        };
        match decoded.chars().next() {
            Some(c) if c.is_alphanumeric() || c == '_' || c == '$' => i += c.len_utf8(),
            _ => break,
        }
    }
    i
}

/// serde_json's message for a body that cannot be read: its position is the body's as sent, also
/// when the error was found in its rewritten form.
pub fn describe(error: &serde_json::Error, rewritten: Option<(&Rewritten, &[u8])>) -> String {
    match error.classify() {
        Category::Data => "The request body must be a JSON object.".to_owned(),
        Category::Syntax | Category::Eof | Category::Io => {
            let (line, column) = match rewritten {
                Some((rewritten, body)) => {
                    let offset = offset_of(&rewritten.text, error.line(), error.column());
                    position_of(body, rewritten.original_offset(offset))
                }
                None => (error.line(), error.column()),
            };
            format!(
                "The request body is not valid JSON: {} (line {line}, column {column}).",
                message_without_position(error)
            )
        }
    }
}

/// serde_json appends " at line L column C", which says nothing useful once the property is named.
pub fn message_without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// The offset of serde_json's 1-based line and column (a column counts bytes; 0 is before the
/// line's first byte).
fn offset_of(text: &[u8], line: usize, column: usize) -> usize {
    let line_start = match line.checked_sub(2) {
        None => 0,
        Some(newlines_before) => text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(newlines_before)
            .map_or(text.len(), |(i, _)| i + 1),
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The 1-based line and column (in bytes) of `offset` in `text`.
fn position_of(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn lenient(body: &str) -> Result<Value, GraphError> {
        read(body.as_bytes())
    }

    #[test]
    fn valid_json_is_read_as_it_is_and_has_nothing_to_rewrite() {
        for valid in [
            r#"{"a":1}"#,
            r#"{ "a" : [ 1 , 2 ], "b'c": "d'e,}" }"#,
            "[]",
            r#""x""#,
        ] {
            assert!(rewrite(valid.as_bytes()).is_none(), "{valid}");
            assert_eq!(
                lenient(valid).unwrap(),
                serde_json::from_str::<Value>(valid).unwrap()
            );
        }
    }

    #[test]
    fn unquoted_names_single_quotes_and_trailing_commas_are_json() {
        let cases = [
            (r#"{ displayName: "PC01" }"#, json!({"displayName": "PC01"})),
            (
                r#"{serialNumber:"A",groupTag:'Kiosk',}"#,
                json!({"serialNumber": "A", "groupTag": "Kiosk"}),
            ),
            (
                "{'@odata.type': '#microsoft.graph.x'}",
                json!({"@odata.type": "#microsoft.graph.x"}),
            ),
            (
                "{a: ['x', 'y',], b: {c: 1,},}",
                json!({"a": ["x", "y"], "b": {"c": 1}}),
            ),
            (
                r#"{a: 'say "hi"', b: 'it\'s'}"#,
                json!({"a": "say \"hi\"", "b": "it's"}),
            ),
            (
                r#"{a: 'tab\there', b: '\u00e9'}"#,
                json!({"a": "tab\there", "b": "é"}),
            ),
            (
                "{_x$1: true, 2: null, café: 0}",
                json!({"_x$1": true, "2": null, "café": 0}),
            ),
            ("{null: false, true: 1}", json!({"null": false, "true": 1})),
            ("[1, 2, ]", json!([1, 2])),
            (
                "{\n  a: 1,\n  b: [\n    2,\n  ],\n}\n",
                json!({"a": 1, "b": [2]}),
            ),
            (
                r#"{"a": "it's, fine]", b: 1}"#,
                json!({"a": "it's, fine]", "b": 1}),
            ),
            (
                r#"{"a\"b": 'c', d: "\"e"}"#,
                json!({"a\"b": "c", "d": "\"e"}),
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(lenient(body).unwrap(), expected, "{body}");
        }
    }

    #[test]
    fn everything_else_that_is_not_json_is_refused_with_its_position() {
        for body in [
            "{a: 1,,}",
            "[1,,]",
            "[,]",
            "{,}",
            "{a,}",
            "{a: }",
            "{a: PC01}",
            "{a b: 1}",
            "{@odata.type: 'x'}",
            "{a-b: 1}",
            "{a: 1} x",
            "{a: 'open",
            "{a: 'x\\q'}",
            "{a: '\u{1}'}",
            "{a: 1 // comment\n}",
            "{a: 0x10}",
            "{a: .5}",
            "{a: +1}",
            "{a: NaN}",
            "{a: undefined}",
            "{a: 1",
            "'",
            "{'",
            "{a: '\\",
            ",",
            "}{",
            "]]",
            "",
            "\u{feff}{}",
        ] {
            let error = lenient(body).unwrap_err();
            assert_eq!(error.status, 400, "{body:?}");
            assert!(
                error.message.contains("not valid JSON"),
                "{body:?}: {}",
                error.message
            );
        }
    }

    #[test]
    fn positions_are_those_of_the_body_as_sent() {
        // The rewrite adds quotes and drops commas; the error still points into the body sent.
        let error = lenient("{displayName: 'x', serialNumber: }").unwrap_err();
        assert!(
            error.message.ends_with("(line 1, column 34)."),
            "{}",
            error.message
        );
        let error = lenient("{\n  a: 'x',\n  b: 'y\"z',\n  c: ?\n}").unwrap_err();
        assert!(
            error.message.ends_with("(line 4, column 6)."),
            "{}",
            error.message
        );
        // Unchanged by a rewrite, the strict reader's own position stands.
        let error = lenient("{\"a\": ?}").unwrap_err();
        assert!(
            error.message.ends_with("(line 1, column 7)."),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_lenient_body_that_is_no_object_is_refused_as_such() {
        let error = read::<std::collections::HashMap<String, Value>>(b"['a',]").unwrap_err();
        assert_eq!(error.message, "The request body must be a JSON object.");
    }

    #[test]
    fn hostile_bodies_never_panic() {
        let mut bodies: Vec<Vec<u8>> = vec![
            "{a:".repeat(100_000).into_bytes(),
            "['".repeat(50_000).into_bytes(),
            "{'a':[".repeat(20_000).into_bytes(),
            vec![b'\''; 1000],
            vec![b','; 1000],
            b"{\xff: 1}".to_vec(),
            b"{a\xc3: 1}".to_vec(),
            b"{'\xff'}".to_vec(),
        ];
        bodies.extend((0u8..=255).map(|b| vec![b'{', b, b':', b'1', b',', b'}']));
        for body in bodies {
            let _ = read::<Value>(&body);
        }
    }
}
