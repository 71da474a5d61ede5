//! `$filter` (spec section 6): the OData v4 subset this service understands, parsed for one entity
//! set and API version into a typed [`Filter`]. Properties come from the set's table and literals
//! are already [`Value`]s of the property's type, so the store never sees user text.
//!
//! Grammar, lowest precedence first (keywords and function names are case-insensitive, property
//! names case-sensitive, tokens separated by spaces or tabs):
//!
//! ```text
//! expr       = and *( "or" and )
//! and        = unary *( "and" unary )
//! unary      = "not" unary / primary
//! primary    = "(" expr ")" / function "(" property "," string ")" / comparison
//! function   = "contains" / "startswith" / "endswith"
//! comparison = property op literal / literal op property      ; op = eq ne gt ge lt le
//!            / property "has" literal                         ; an enum property: as eq
//! literal    = 'text' ('' is a quote) / null / DateTimeOffset / GUID / Namespace.EnumType'member'
//! ```
//!
//! Limits keep every request cheap and the recursive descent shallow: at most [`MAX_FILTER_BYTES`]
//! of text, [`MAX_DEPTH`] levels of parentheses and `not`, and [`MAX_CONDITIONS`] conditions.
//! Error positions are zero-based character offsets into the filter text, as in Graph's own messages.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ApiVersion;
use crate::domain::entity::{EntitySet, Kind, Property, Value};
use crate::domain::query::{CompareOp, Filter, MatchFunction};
use crate::graph::entity::GraphDateTime;
use crate::graph::error::GraphError;

/// The longest `$filter` text accepted, in bytes (after percent-decoding).
pub const MAX_FILTER_BYTES: usize = 16 * 1024;
/// How deeply parentheses and `not` may nest.
pub const MAX_DEPTH: usize = 64;
/// How many conditions (comparisons and function calls) one filter may hold.
pub const MAX_CONDITIONS: usize = 200;

/// `eq`, `ne`, ... as written in a filter (case-insensitive).
fn compare_op(word: &str) -> Option<CompareOp> {
    [
        ("eq", CompareOp::Eq),
        ("ne", CompareOp::Ne),
        ("gt", CompareOp::Gt),
        ("ge", CompareOp::Ge),
        ("lt", CompareOp::Lt),
        ("le", CompareOp::Le),
    ]
    .into_iter()
    .find(|(name, _)| word.eq_ignore_ascii_case(name))
    .map(|(_, op)| op)
}

/// The operator that says the same thing with its operands swapped (`5 lt x` is `x gt 5`).
fn flipped(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Eq | CompareOp::Ne => op,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
    }
}

fn is_equality(op: CompareOp) -> bool {
    matches!(op, CompareOp::Eq | CompareOp::Ne)
}

const MATCH_FUNCTIONS: [(&str, MatchFunction); 3] = [
    ("contains", MatchFunction::Contains),
    ("startswith", MatchFunction::StartsWith),
    ("endswith", MatchFunction::EndsWith),
];

fn match_function(word: &str) -> Option<MatchFunction> {
    MATCH_FUNCTIONS
        .into_iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name))
        .map(|(_, function)| function)
}

/// The OData spelling of a function.
fn keyword(function: MatchFunction) -> &'static str {
    MATCH_FUNCTIONS
        .into_iter()
        .find(|(_, f)| *f == function)
        .map(|(name, _)| name)
        .expect("every function is listed")
}

/// Parses a (percent-decoded) `$filter` on `set` for `version`. Every problem is a 400 `BadRequest` whose
/// message starts with `Invalid $filter:` and names the offending fragment and its position.
pub fn parse_filter(
    text: &str,
    set: &'static EntitySet,
    version: ApiVersion,
) -> Result<Filter, GraphError> {
    if text.len() > MAX_FILTER_BYTES {
        return Err(invalid(format!(
            "the expression is {} bytes long; at most {MAX_FILTER_BYTES} bytes (16 KiB) are accepted.",
            text.len()
        )));
    }
    if let Some(at) = text.find('\0') {
        return Err(invalid(format!(
            "a NUL character at position {} can match no property: strings never contain it.",
            position(text, at)
        )));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Err(invalid(
            "the expression is empty; write a condition such as contains(serialNumber,'0046').",
        ));
    }
    let mut parser = Parser {
        text,
        tokens,
        next: 0,
        set,
        version,
        conditions: 0,
    };
    let filter = parser.or(0)?;
    match parser.bump() {
        None => Ok(filter),
        Some(token) => {
            Err(parser.unexpected(&token, "expected 'and', 'or' or the end of the expression"))
        }
    }
}

fn invalid(message: impl AsRef<str>) -> GraphError {
    GraphError::bad_request(format!("Invalid $filter: {}", message.as_ref()))
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum TokenKind<'a> {
    Open,
    Close,
    Comma,
    /// `'text'`, with `''` already turned into `'`.
    Quoted(String),
    /// `prefix'text'`: a type-qualified literal such as `microsoft.graph.enrollmentState'enrolled'`.
    Typed(&'a str, String),
    /// Anything else between delimiters: keywords, property names, unquoted literals.
    Word(&'a str),
}

#[derive(Debug, Clone)]
struct Token<'a> {
    kind: TokenKind<'a>,
    /// Byte offset of the token in the filter text.
    start: usize,
    /// The token as written.
    source: &'a str,
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t')
}

fn is_delimiter(byte: u8) -> bool {
    is_space(byte) || matches!(byte, b'(' | b')' | b',' | b'\'')
}

/// Splits the text into tokens in one pass, without recursion. Delimiters are ASCII, so every slice
/// falls on a character boundary.
fn tokenize(text: &str) -> Result<Vec<Token<'_>>, GraphError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            byte if is_space(byte) => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                TokenKind::Open
            }
            b')' => {
                i += 1;
                TokenKind::Close
            }
            b',' => {
                i += 1;
                TokenKind::Comma
            }
            b'\'' => {
                let (value, end) = quoted(text, i)?;
                i = end;
                TokenKind::Quoted(value)
            }
            _ => {
                while i < bytes.len() && !is_delimiter(bytes[i]) {
                    i += 1;
                }
                let word = &text[start..i];
                if bytes.get(i) == Some(&b'\'') {
                    let (value, end) = quoted(text, i)?;
                    i = end;
                    TokenKind::Typed(word, value)
                } else {
                    TokenKind::Word(word)
                }
            }
        };
        tokens.push(Token {
            kind,
            start,
            source: &text[start..i],
        });
    }
    Ok(tokens)
}

/// The string literal whose opening quote is at byte `open`, and the byte just after it.
fn quoted(text: &str, open: usize) -> Result<(String, usize), GraphError> {
    let mut value = String::new();
    let mut i = open + 1;
    loop {
        let Some(length) = text[i..].find('\'') else {
            return Err(invalid(format!(
                "the string literal {} at position {} is not terminated; close it with a single \
                 quote (write '' for a quote inside it).",
                fragment(&text[open..]),
                position(text, open)
            )));
        };
        value.push_str(&text[i..i + length]);
        i += length + 1;
        if text.as_bytes().get(i) == Some(&b'\'') {
            value.push('\'');
            i += 1;
        } else {
            return Ok((value, i));
        }
    }
}

/// The character offset of byte `at`.
fn position(text: &str, at: usize) -> usize {
    text[..at].chars().count()
}

/// A piece of the filter quoted for a message (a literal with quotes shows its own), shortened so
/// that a huge filter is not echoed back.
fn fragment(source: &str) -> String {
    const MAX_CHARS: usize = 40;
    let shown = match source.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &source[..cut]),
        None => source.to_owned(),
    };
    if source.contains('\'') {
        shown
    } else {
        format!("'{shown}'")
    }
}

// ---------------------------------------------------------------------------------------------
// Parser

/// One side of a comparison.
enum Operand {
    Property(&'static Property),
    Literal(Literal),
}

enum Literal {
    Null,
    Text(String),
    /// `prefix'text'`.
    Typed(String, String),
    DateTime(DateTime<Utc>),
    Guid(Uuid),
    Boolean,
    Number,
}

impl Literal {
    fn describe(&self) -> String {
        match self {
            Literal::Null => "null".to_owned(),
            Literal::Text(_) => "a string".to_owned(),
            Literal::Typed(prefix, _) => format!("a literal of type '{prefix}'"),
            Literal::DateTime(_) => "an Edm.DateTimeOffset".to_owned(),
            Literal::Guid(_) => "an Edm.Guid".to_owned(),
            Literal::Boolean => "an Edm.Boolean".to_owned(),
            Literal::Number => "a number".to_owned(),
        }
    }
}

fn type_name(property: &Property) -> &'static str {
    match property.kind {
        Kind::Guid => "Edm.Guid",
        Kind::String(_) => "Edm.String",
        Kind::Enum(enum_type) => enum_type.name,
        Kind::DateTime => "Edm.DateTimeOffset",
        Kind::Int32 => "Edm.Int32",
        Kind::Int64 => "Edm.Int64",
        Kind::Boolean => "Edm.Boolean",
        Kind::Duration => "Edm.Duration",
        Kind::Strings(_) => "Collection(Edm.String)",
        Kind::Binary => "Edm.Binary",
        Kind::Complex(complex) => complex.name,
        Kind::Document(type_name) => type_name,
    }
}

/// A property name, or a path of names (`state/deviceImportStatus`).
fn is_identifier(word: &str) -> bool {
    word.split('/').all(|name| {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, the only GUID form accepted without quotes.
fn is_hyphenated_guid(word: &str) -> bool {
    word.len() == 36
        && word.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// An OData numeric literal (`42`, `-1.5`, `2e10`, `1.5M`, ...): none of the properties is numeric.
fn is_number(word: &str) -> bool {
    let digits = word.trim_end_matches(['L', 'l', 'M', 'm', 'D', 'd', 'F', 'f']);
    !digits.is_empty() && digits.parse::<f64>().is_ok()
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token<'a>>,
    next: usize,
    set: &'static EntitySet,
    version: ApiVersion,
    conditions: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn bump(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Word(word), .. }) if word.eq_ignore_ascii_case(keyword))
    }

    fn peek_is(&self, kind: &TokenKind<'_>) -> bool {
        self.peek().is_some_and(|token| &token.kind == kind)
    }

    /// `'fragment' at position N`.
    fn at(&self, token: &Token<'_>) -> String {
        format!(
            "{} at position {}",
            fragment(token.source),
            position(self.text, token.start)
        )
    }

    fn unexpected(&self, token: &Token<'_>, expected: &str) -> GraphError {
        invalid(format!("unexpected {}; {expected}.", self.at(token)))
    }

    fn ended(&self, expected: &str) -> GraphError {
        invalid(format!(
            "the expression ends unexpectedly at position {}; {expected}.",
            self.text.chars().count()
        ))
    }

    /// The next token, which the grammar requires to be there.
    fn expect_token(&mut self, expected: &str) -> Result<Token<'a>, GraphError> {
        self.bump().ok_or_else(|| self.ended(expected))
    }

    fn expect(&mut self, kind: TokenKind<'_>, expected: &str) -> Result<Token<'a>, GraphError> {
        let token = self.expect_token(expected)?;
        if token.kind == kind {
            Ok(token)
        } else {
            Err(self.unexpected(&token, expected))
        }
    }

    /// One level deeper, for the parenthesis or `not` at `token`.
    fn deeper(&self, depth: usize, token: &Token<'_>) -> Result<usize, GraphError> {
        if depth >= MAX_DEPTH {
            return Err(invalid(format!(
                "the expression nests parentheses and 'not' more than {MAX_DEPTH} levels deep \
                 ({}).",
                self.at(token)
            )));
        }
        Ok(depth + 1)
    }

    /// Counts one more condition, starting at `token`.
    fn condition(&mut self, token: &Token<'_>) -> Result<(), GraphError> {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(invalid(format!(
                "the expression has more than {MAX_CONDITIONS} conditions (condition {} is {}).",
                self.conditions,
                self.at(token)
            )));
        }
        Ok(())
    }

    fn or(&mut self, depth: usize) -> Result<Filter, GraphError> {
        let mut left = self.and(depth)?;
        while self.peek_keyword("or") {
            self.next += 1;
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, GraphError> {
        let mut left = self.unary(depth)?;
        while self.peek_keyword("and") {
            self.next += 1;
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, GraphError> {
        if self.peek_keyword("not") {
            let token = self.bump().expect("peeked");
            let depth = self.deeper(depth, &token)?;
            return Ok(Filter::Not(Box::new(self.unary(depth)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Filter, GraphError> {
        const CONDITION: &str = "expected a condition such as contains(serialNumber,'0046')";
        let token = self.expect_token(CONDITION)?;
        match token.kind {
            TokenKind::Open => {
                let depth = self.deeper(depth, &token)?;
                let inner = self.or(depth)?;
                let close = format!(
                    "expected ')' to close the '(' at position {}",
                    position(self.text, token.start)
                );
                self.expect(TokenKind::Close, &close)?;
                Ok(inner)
            }
            TokenKind::Word(word)
                if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") =>
            {
                Err(self.unexpected(&token, CONDITION))
            }
            TokenKind::Word(word) if self.peek_is(&TokenKind::Open) => match match_function(word) {
                Some(function) => self.call(&token, function),
                None => Err(invalid(format!(
                    "the function {} is not supported; $filter supports contains, startswith \
                         and endswith.",
                    self.at(&token)
                ))),
            },
            TokenKind::Close | TokenKind::Comma => Err(self.unexpected(&token, CONDITION)),
            _ => self.comparison(token),
        }
    }

    /// `function(property,'text')`, the function's name being `name`.
    fn call(&mut self, name: &Token<'a>, function: MatchFunction) -> Result<Filter, GraphError> {
        let keyword = keyword(function);
        self.expect(TokenKind::Open, "expected '('")?;
        let argument = self.expect_token(&format!("expected a property name in {keyword}(...)"))?;
        let property = match &argument.kind {
            TokenKind::Word(word) if is_identifier(word) => self.property(word)?,
            _ => {
                return Err(invalid(format!(
                    "the first argument of {keyword} must be a property name, not {}.",
                    self.at(&argument)
                )));
            }
        };
        self.expect(
            TokenKind::Comma,
            &format!("expected ',' after the property in {keyword}(...)"),
        )?;
        let literal = self.expect_token(&format!(
            "expected a string in single quotes as the second argument of {keyword}"
        ))?;
        let TokenKind::Quoted(value) = literal.kind.clone() else {
            return Err(invalid(format!(
                "the second argument of {keyword} must be a string in single quotes, such as \
                 'text', not {}.",
                self.at(&literal)
            )));
        };
        self.expect(
            TokenKind::Close,
            &format!("expected ')' to end the call of {keyword}"),
        )?;
        if !property.kind.is_string() {
            return Err(invalid(format!(
                "{keyword} applies to string properties only, but '{}' is of type '{}' ({}).",
                property.name,
                type_name(property),
                self.at(name)
            )));
        }
        self.condition(name)?;
        Ok(Filter::Match {
            function,
            property,
            value,
        })
    }

    /// `first op other`, where one side is a property and the other a literal.
    fn comparison(&mut self, first: Token<'a>) -> Result<Filter, GraphError> {
        const OPERATORS: &str = "expected a comparison operator (eq, ne, gt, ge, lt, le)";
        let left = self.operand(&first)?;
        let op_token = self.expect_token(OPERATORS)?;
        let op = match op_token.kind {
            TokenKind::Word(word) => match compare_op(word) {
                Some(op) => op,
                // A flags enum (a configuration policy's `technologies`) holds one member here,
                // so `has` a member is `eq` that member.
                None if word.eq_ignore_ascii_case("has")
                    && matches!(&left, Operand::Property(p) if matches!(p.kind, Kind::Enum(_))) =>
                {
                    CompareOp::Eq
                }
                None if ["in", "has", "add", "sub", "mul", "div", "divby", "mod"]
                    .iter()
                    .any(|other| word.eq_ignore_ascii_case(other)) =>
                {
                    return Err(invalid(format!(
                        "the operator {} is not supported; use eq, ne, gt, ge, lt or le.",
                        self.at(&op_token)
                    )));
                }
                None => return Err(self.unexpected(&op_token, OPERATORS)),
            },
            _ => return Err(self.unexpected(&op_token, OPERATORS)),
        };
        let second = self.expect_token(&format!("expected a value after '{}'", op_token.source))?;
        let right = self.operand(&second)?;
        let (property, op, literal, literal_token) = match (left, right) {
            (Operand::Property(property), Operand::Literal(literal)) => {
                (property, op, literal, &second)
            }
            (Operand::Literal(literal), Operand::Property(property)) => {
                (property, flipped(op), literal, &first)
            }
            (Operand::Property(_), Operand::Property(_)) => {
                return Err(invalid(format!(
                    "{} compares two properties; compare a property with a literal.",
                    self.at(&first)
                )));
            }
            (Operand::Literal(_), Operand::Literal(_)) => {
                return Err(invalid(format!(
                    "{} compares two literals; compare a property with a literal.",
                    self.at(&first)
                )));
            }
        };
        let value = self.value(property, op, literal, literal_token, &op_token)?;
        self.condition(&first)?;
        Ok(Filter::Compare {
            property,
            op,
            value,
        })
    }

    fn operand(&self, token: &Token<'_>) -> Result<Operand, GraphError> {
        let word = match &token.kind {
            TokenKind::Quoted(text) => return Ok(Operand::Literal(Literal::Text(text.clone()))),
            TokenKind::Typed(prefix, text) => {
                return Ok(Operand::Literal(Literal::Typed(
                    (*prefix).to_owned(),
                    text.clone(),
                )));
            }
            TokenKind::Word(word) => *word,
            TokenKind::Open | TokenKind::Close | TokenKind::Comma => {
                return Err(self.unexpected(token, "expected a property name or a literal"));
            }
        };
        let literal = if word.eq_ignore_ascii_case("null") {
            Literal::Null
        } else if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
            Literal::Boolean
        } else if is_hyphenated_guid(word) {
            Literal::Guid(Uuid::parse_str(word).expect("a hyphenated GUID"))
        } else if word.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
            if is_number(word) {
                Literal::Number
            } else {
                let time = GraphDateTime::parse(word)
                    .map_err(|problem| invalid(format!("{problem} ({}).", self.at(token))))?;
                Literal::DateTime(time.0)
            }
        } else if is_identifier(word) {
            return Ok(Operand::Property(self.property(word)?));
        } else {
            return Err(invalid(format!(
                "{} is neither a property name nor a literal; quote strings with single quotes.",
                self.at(token)
            )));
        };
        Ok(Operand::Literal(literal))
    }

    /// A property this version shows and filters on, by its exact name or `complex/member` path.
    fn property(&self, name: &str) -> Result<&'static Property, GraphError> {
        self.set
            .property_at(name)
            .filter(|p| p.exists_in(self.version) && p.filterable)
            .ok_or_else(|| {
                invalid(format!(
                    "Could not find a property named '{name}' on type '{}'.",
                    self.set.type_name
                ))
            })
    }

    /// The literal as a value of `property`'s type, if `op` applies to that type.
    fn value(
        &self,
        property: &'static Property,
        op: CompareOp,
        literal: Literal,
        literal_token: &Token<'_>,
        op_token: &Token<'_>,
    ) -> Result<Value, GraphError> {
        let name = property.name;
        let (allowed, expected) = match property.kind {
            Kind::String(_) => (
                "eq, ne, contains, startswith or endswith",
                "a string in single quotes, such as 'text'",
            ),
            Kind::Enum(_) => ("eq or ne", "a member in single quotes, such as 'enrolled'"),
            Kind::Guid => (
                "eq or ne",
                "a GUID such as 0f8fad5b-d9cb-469f-a165-70867728950e",
            ),
            Kind::DateTime => (
                "eq, ne, gt, ge, lt or le",
                "a DateTimeOffset such as 2024-01-02T03:04:05Z",
            ),
            Kind::Int32
            | Kind::Int64
            | Kind::Boolean
            | Kind::Duration
            | Kind::Binary
            | Kind::Strings(_)
            | Kind::Complex(_)
            | Kind::Document(_) => {
                return Err(invalid(format!(
                    "'{name}' (of type '{}') cannot be used in $filter.",
                    type_name(property)
                )));
            }
        };
        if property.kind != Kind::DateTime && !is_equality(op) {
            return Err(invalid(format!(
                "the operator {} cannot be applied to '{name}' (of type '{}'); use {allowed}.",
                self.at(op_token),
                type_name(property)
            )));
        }
        let mismatch = |literal: &Literal| {
            let mut message = format!(
                "{} is {}, but '{name}' is of type '{}' and is compared with {expected}.",
                self.at(literal_token),
                literal.describe(),
                type_name(property)
            );
            let numeric = self
                .set
                .columns()
                .any(|p| matches!(p.kind, Kind::Int32 | Kind::Int64 | Kind::Boolean));
            if matches!(literal, Literal::Boolean | Literal::Number) && !numeric {
                message.push_str(&format!(
                    " No property of '{}' is Boolean or numeric.",
                    self.set.type_name
                ));
            }
            invalid(message)
        };
        let value = match (property.kind, literal) {
            (_, Literal::Null) if property.nullable => Value::Null,
            (_, Literal::Null) => {
                return Err(invalid(format!(
                    "'{name}' is never null, so it cannot be compared with null ({}).",
                    self.at(literal_token)
                )));
            }
            (Kind::String(_), Literal::Text(text)) => Value::Text(text),
            (Kind::Enum(enum_type), literal) => {
                let member = match literal {
                    Literal::Text(member) => member,
                    Literal::Typed(prefix, member)
                        if prefix.eq_ignore_ascii_case(enum_type.name) =>
                    {
                        member
                    }
                    other => return Err(mismatch(&other)),
                };
                if !enum_type.accepts(self.version, &member) {
                    let members: Vec<&str> = enum_type.members_on(self.version).collect();
                    return Err(invalid(format!(
                        "{} is not a member of enum type '{}' of '{name}'. Members \
                         (case-sensitive): {}.",
                        self.at(literal_token),
                        enum_type.name,
                        members.join(", ")
                    )));
                }
                Value::Text(member)
            }
            (Kind::DateTime, Literal::DateTime(time)) => Value::DateTime(time),
            (Kind::DateTime, Literal::Text(text)) => {
                let time = GraphDateTime::parse(&text).map_err(|problem| {
                    invalid(format!("{problem} ({}).", self.at(literal_token)))
                })?;
                Value::DateTime(time.0)
            }
            (Kind::Guid, Literal::Guid(id)) => Value::Guid(id),
            (Kind::Guid, Literal::Text(text)) => match Uuid::try_parse(&text) {
                Ok(id) => Value::Guid(id),
                Err(_) => {
                    return Err(invalid(format!(
                        "{} is not a valid GUID for '{name}'; use the form \
                         0f8fad5b-d9cb-469f-a165-70867728950e.",
                        self.at(literal_token)
                    )));
                }
            },
            (_, other) => return Err(mismatch(&other)),
        };
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::device_identity::DEVICE_IDENTITIES;
    use actix_web::http::StatusCode;
    use chrono::TimeZone;

    fn p(name: &str) -> &'static Property {
        DEVICE_IDENTITIES.property(name).unwrap()
    }

    fn cmp(name: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare {
            property: p(name),
            op,
            value,
        }
    }

    fn text(name: &str, op: CompareOp, value: &str) -> Filter {
        cmp(name, op, Value::Text(value.to_owned()))
    }

    fn matches(function: MatchFunction, name: &str, value: &str) -> Filter {
        Filter::Match {
            function,
            property: p(name),
            value: value.to_owned(),
        }
    }

    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }

    fn time(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, millis: u32) -> Value {
        Value::DateTime(
            Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
                + chrono::Duration::milliseconds(millis.into()),
        )
    }

    const GUID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    fn guid() -> Value {
        Value::Guid(Uuid::parse_str(GUID).unwrap())
    }

    #[test]
    fn valid_filters_parse_to_the_expected_tree() {
        use CompareOp::*;
        use MatchFunction::*;
        let sn = |v: &str| text("serialNumber", Eq, v);
        #[rustfmt::skip]
        let cases: Vec<(ApiVersion, String, Filter)> = vec![
            (ApiVersion::V1, "contains(serialNumber,'0046')".into(), matches(Contains, "serialNumber", "0046")),
            (ApiVersion::V1, "CONTAINS( serialNumber , 'Ab' )".into(), matches(Contains, "serialNumber", "Ab")),
            (ApiVersion::V1, "StartsWith(displayName,'Kiosk')".into(), matches(StartsWith, "displayName", "Kiosk")),
            (ApiVersion::V1, "endswith(groupTag,'-eu')".into(), matches(EndsWith, "groupTag", "-eu")),
            (ApiVersion::V1, "contains(displayName,'')".into(), matches(Contains, "displayName", "")),
            (ApiVersion::V1, "serialNumber eq 'A1'".into(), sn("A1")),
            (ApiVersion::V1, "'A1' eq serialNumber".into(), sn("A1")),
            (ApiVersion::V1, "serialNumber ne 'A1'".into(), text("serialNumber", Ne, "A1")),
            (ApiVersion::V1, "\tserialNumber  eq\t\t'A1'   ".into(), sn("A1")),
            (ApiVersion::V1, "serialNumber EQ 'A1'".into(), sn("A1")),
            (ApiVersion::V1, "displayName eq 'O''Brien'".into(), text("displayName", Eq, "O'Brien")),
            (ApiVersion::V1, "displayName eq ''''".into(), text("displayName", Eq, "'")),
            (ApiVersion::V1, "displayName eq ''".into(), text("displayName", Eq, "")),
            (ApiVersion::V1, "displayName eq 'Zoë 東京'".into(), text("displayName", Eq, "Zoë 東京")),
            (ApiVersion::V1, "displayName eq 'a and b or not c eq d'".into(), text("displayName", Eq, "a and b or not c eq d")),
            // SQL metacharacters are plain characters of a string.
            (ApiVersion::V1, "serialNumber eq '; DROP TABLE x; --'".into(), sn("; DROP TABLE x; --")),
            (ApiVersion::V1, "serialNumber eq '''; DROP TABLE x; --'".into(), sn("'; DROP TABLE x; --")),
            (ApiVersion::V1, r"contains(displayName,'100%_\')".into(), matches(Contains, "displayName", r"100%_\")),
            (ApiVersion::V1, r"startswith(model,'_%\\x')".into(), matches(StartsWith, "model", r"_%\\x")),
            (ApiVersion::V1, "model eq '$1 /* */ \" ; '".into(), text("model", Eq, "$1 /* */ \" ; ")),
            (ApiVersion::V1, "groupTag eq null".into(), cmp("groupTag", Eq, Value::Null)),
            (ApiVersion::V1, "groupTag ne NULL".into(), cmp("groupTag", Ne, Value::Null)),
            (ApiVersion::V1, "null eq groupTag".into(), cmp("groupTag", Eq, Value::Null)),
            (ApiVersion::V1, "groupTag eq 'null'".into(), text("groupTag", Eq, "null")),
            (ApiVersion::V1, "enrollmentState eq 'enrolled'".into(), text("enrollmentState", Eq, "enrolled")),
            (ApiVersion::V1, "enrollmentState ne microsoft.graph.enrollmentState'failed'".into(), text("enrollmentState", Ne, "failed")),
            (ApiVersion::V1, "'pendingReset' eq enrollmentState".into(), text("enrollmentState", Eq, "pendingReset")),
            (ApiVersion::Beta, "enrollmentState eq 'blocked'".into(), text("enrollmentState", Eq, "blocked")),
            (ApiVersion::Beta, "deploymentProfileAssignmentStatus eq 'assignedUnkownSyncState'".into(), text("deploymentProfileAssignmentStatus", Eq, "assignedUnkownSyncState")),
            (ApiVersion::Beta, "contains(deviceFriendlyName,'x')".into(), matches(Contains, "deviceFriendlyName", "x")),
            (ApiVersion::V1, "lastContactedDateTime gt 2024-01-02T03:04:05Z".into(), cmp("lastContactedDateTime", Gt, time(2024, 1, 2, 3, 4, 5, 0))),
            (ApiVersion::V1, "lastContactedDateTime le 2024-01-02T03:04:05.123+02:00".into(), cmp("lastContactedDateTime", Le, time(2024, 1, 2, 1, 4, 5, 123))),
            (ApiVersion::V1, "lastContactedDateTime ge '2024-01-02T03:04:05-05:00'".into(), cmp("lastContactedDateTime", Ge, time(2024, 1, 2, 8, 4, 5, 0))),
            (ApiVersion::V1, "lastContactedDateTime lt 2024-01-02T03:04:05Z".into(), cmp("lastContactedDateTime", Lt, time(2024, 1, 2, 3, 4, 5, 0))),
            (ApiVersion::V1, "lastContactedDateTime ne 2024-01-02T03:04:05Z".into(), cmp("lastContactedDateTime", Ne, time(2024, 1, 2, 3, 4, 5, 0))),
            // A literal on the left flips the operator.
            (ApiVersion::V1, "2024-01-02T03:04:05Z lt lastContactedDateTime".into(), cmp("lastContactedDateTime", Gt, time(2024, 1, 2, 3, 4, 5, 0))),
            (ApiVersion::V1, "2024-01-02T03:04:05Z ge lastContactedDateTime".into(), cmp("lastContactedDateTime", Le, time(2024, 1, 2, 3, 4, 5, 0))),
            (ApiVersion::Beta, "remediationStateLastModifiedDateTime eq 0001-01-01T00:00:00Z".into(), cmp("remediationStateLastModifiedDateTime", Eq, Value::DateTime("0001-01-01T00:00:00Z".parse().unwrap()))),
            (ApiVersion::V1, format!("id eq {GUID}"), cmp("id", Eq, guid())),
            (ApiVersion::V1, format!("id ne '{GUID}'"), cmp("id", Ne, guid())),
            (ApiVersion::V1, format!("id eq {}", GUID.to_uppercase()), cmp("id", Eq, guid())),
            (ApiVersion::V1, format!("'{GUID}' eq id"), cmp("id", Eq, guid())),
            // Precedence: not > and > or, left to right.
            (ApiVersion::V1, "serialNumber eq 'a' and serialNumber eq 'b' or serialNumber eq 'c'".into(), or(and(sn("a"), sn("b")), sn("c"))),
            (ApiVersion::V1, "serialNumber eq 'a' or serialNumber eq 'b' and serialNumber eq 'c'".into(), or(sn("a"), and(sn("b"), sn("c")))),
            (ApiVersion::V1, "serialNumber eq 'a' or serialNumber eq 'b' or serialNumber eq 'c'".into(), or(or(sn("a"), sn("b")), sn("c"))),
            (ApiVersion::V1, "(serialNumber eq 'a' or serialNumber eq 'b') and serialNumber eq 'c'".into(), and(or(sn("a"), sn("b")), sn("c"))),
            (ApiVersion::V1, "not serialNumber eq 'a' and serialNumber eq 'b'".into(), and(not(sn("a")), sn("b"))),
            (ApiVersion::V1, "not(serialNumber eq 'a' or serialNumber eq 'b')".into(), not(or(sn("a"), sn("b")))),
            (ApiVersion::V1, "NOT not contains(serialNumber,'a')".into(), not(not(matches(Contains, "serialNumber", "a")))),
            (ApiVersion::V1, "((serialNumber eq 'a'))".into(), sn("a")),
            (ApiVersion::V1, "(serialNumber eq 'a')AND(serialNumber eq 'b')".into(), and(sn("a"), sn("b"))),
            (ApiVersion::V1, "contains(serialNumber,'a') Or groupTag eq null".into(), or(matches(Contains, "serialNumber", "a"), cmp("groupTag", Eq, Value::Null))),
        ];
        for (version, text, expected) in cases {
            assert_eq!(
                parse_filter(&text, &DEVICE_IDENTITIES, version)
                    .unwrap_or_else(|e| panic!("{text}: {e}")),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn the_limits_are_inclusive() {
        let deep = format!(
            "{}serialNumber eq 'a'{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert!(parse_filter(&deep, &DEVICE_IDENTITIES, ApiVersion::V1).is_ok());
        let nots = format!("{}serialNumber eq 'a'", "not ".repeat(MAX_DEPTH));
        assert!(parse_filter(&nots, &DEVICE_IDENTITIES, ApiVersion::V1).is_ok());
        let many = vec!["serialNumber eq 'a'"; MAX_CONDITIONS].join(" and ");
        assert!(parse_filter(&many, &DEVICE_IDENTITIES, ApiVersion::V1).is_ok());
        let long = format!(
            "contains(serialNumber,'{}')",
            "a".repeat(MAX_FILTER_BYTES - 25)
        );
        assert_eq!(long.len(), MAX_FILTER_BYTES);
        assert!(parse_filter(&long, &DEVICE_IDENTITIES, ApiVersion::V1).is_ok());
    }

    #[test]
    fn invalid_filters_are_400s_that_name_the_problem() {
        let v1 = ApiVersion::V1;
        let beta = ApiVersion::Beta;
        #[rustfmt::skip]
        let cases: Vec<(ApiVersion, String, &str)> = vec![
            (v1, "".into(), "the expression is empty"),
            (v1, " \t ".into(), "the expression is empty"),
            (v1, "foo eq 'x'".into(), "Could not find a property named 'foo' on type 'microsoft.graph.windowsAutopilotDeviceIdentity'."),
            (v1, "SerialNumber eq 'x'".into(), "Could not find a property named 'SerialNumber'"),
            (v1, "'x' eq foo".into(), "Could not find a property named 'foo'"),
            (v1, "contains(foo,'x')".into(), "Could not find a property named 'foo'"),
            (v1, "deviceFriendlyName eq 'x'".into(), "Could not find a property named 'deviceFriendlyName'"),
            (beta, "deviceAccountPassword eq 'x'".into(), "Could not find a property named 'deviceAccountPassword'"),
            (beta, "contains(deviceAccountPassword,'x')".into(), "Could not find a property named 'deviceAccountPassword'"),
            (v1, "contains(enrollmentState,'enr')".into(), "contains applies to string properties only, but 'enrollmentState' is of type 'microsoft.graph.enrollmentState'"),
            (v1, "startswith(lastContactedDateTime,'2024')".into(), "startswith applies to string properties only"),
            (v1, "endswith(id,'0e')".into(), "endswith applies to string properties only"),
            (v1, "enrollmentState eq 'Enrolled'".into(), "'Enrolled' at position 19 is not a member of enum type 'microsoft.graph.enrollmentState'"),
            (v1, "enrollmentState eq 'blocked'".into(), "'blocked' at position 19 is not a member"),
            (v1, "enrollmentState eq microsoft.graph.userlessEnrollmentStatus'allowed'".into(), "a literal of type 'microsoft.graph.userlessEnrollmentStatus'"),
            (v1, "enrollmentState eq enrolled".into(), "Could not find a property named 'enrolled'"),
            (v1, "enrollmentState gt 'enrolled'".into(), "the operator 'gt' at position 16 cannot be applied to 'enrollmentState'"),
            (v1, "displayName ge 'a'".into(), "the operator 'ge' at position 12 cannot be applied to 'displayName' (of type 'Edm.String'); use eq, ne, contains, startswith or endswith"),
            (v1, format!("id lt {GUID}"), "the operator 'lt' at position 3 cannot be applied to 'id'"),
            (v1, "id eq 'nope'".into(), "'nope' at position 6 is not a valid GUID"),
            (v1, "id eq 'x' or id eq '0f8fad5b-d9cb-469f-a165-70867728950'".into(), "is not a valid GUID"),
            (v1, "id eq 42".into(), "is a number"),
            (v1, "serialNumber eq true".into(), "'true' at position 16 is an Edm.Boolean, but 'serialNumber' is of type 'Edm.String'"),
            (v1, "serialNumber eq 42".into(), "No property of 'microsoft.graph.windowsAutopilotDeviceIdentity' is Boolean or numeric"),
            (v1, "serialNumber eq -1.5e3".into(), "is a number"),
            (v1, format!("serialNumber eq {GUID}"), "is an Edm.Guid"),
            (v1, "serialNumber eq 2024-01-02T03:04:05Z".into(), "is an Edm.DateTimeOffset"),
            (v1, "lastContactedDateTime gt 2024-01-02".into(), "'2024-01-02' is not a valid Edm.DateTimeOffset"),
            (v1, "lastContactedDateTime gt 2024-01-02T03:04:05".into(), "not a valid Edm.DateTimeOffset"),
            (v1, "lastContactedDateTime gt '2024-13-02T00:00:00Z'".into(), "not a valid Edm.DateTimeOffset"),
            (v1, "lastContactedDateTime gt 'yesterday'".into(), "not a valid Edm.DateTimeOffset"),
            (v1, "lastContactedDateTime eq null".into(), "'lastContactedDateTime' is never null"),
            (v1, "enrollmentState ne null".into(), "'enrollmentState' is never null"),
            (v1, "serialNumber eq null".into(), "'serialNumber' is never null"),
            (v1, "serialNumber eq 'x".into(), "the string literal 'x at position 16 is not terminated"),
            (v1, "serialNumber eq 'O''Brien".into(), "is not terminated"),
            (v1, "contains(serialNumber,'x)".into(), "is not terminated"),
            (v1, "(serialNumber eq 'x'".into(), "expected ')' to close the '(' at position 0"),
            (v1, "((serialNumber eq 'x')".into(), "expected ')' to close the '(' at position 0"),
            (v1, "serialNumber eq 'x')".into(), "unexpected ')' at position 19; expected 'and', 'or' or the end"),
            (v1, "()".into(), "unexpected ')' at position 1"),
            (v1, ")".into(), "unexpected ')' at position 0"),
            (v1, "serialNumber".into(), "ends unexpectedly at position 12; expected a comparison operator"),
            (v1, "serialNumber eq".into(), "ends unexpectedly at position 15; expected a value after 'eq'"),
            (v1, "serialNumber eq 'x' and".into(), "ends unexpectedly"),
            (v1, "not".into(), "ends unexpectedly"),
            (v1, "and serialNumber eq 'x'".into(), "unexpected 'and' at position 0"),
            (v1, "serialNumber eq 'x' or or serialNumber eq 'y'".into(), "unexpected 'or' at position 23"),
            (v1, "serialNumber 'x'".into(), "unexpected 'x' at position 13; expected a comparison operator"),
            (v1, "serialNumber == 'x'".into(), "unexpected '==' at position 13"),
            (v1, "serialNumber in ('a','b')".into(), "the operator 'in' at position 13 is not supported"),
            (v1, "serialNumber eq 'x' 'y'".into(), "unexpected 'y' at position 20"),
            (v1, "serialNumber eq 'x' serialNumber eq 'y'".into(), "unexpected 'serialNumber' at position 20"),
            (v1, "serialNumber eq displayName".into(), "compares two properties"),
            (v1, "'a' eq 'b'".into(), "compares two literals"),
            (v1, "tolower(serialNumber) eq 'x'".into(), "the function 'tolower' at position 0 is not supported"),
            (v1, "contains(serialNumber)".into(), "unexpected ')' at position 21; expected ','"),
            (v1, "contains(serialNumber,'a','b')".into(), "expected ')' to end the call of contains"),
            (v1, "contains('x',serialNumber)".into(), "the first argument of contains must be a property name"),
            (v1, "contains(serialNumber,null)".into(), "the second argument of contains must be a string in single quotes"),
            (v1, "contains(serialNumber,0046)".into(), "the second argument of contains must be a string"),
            (v1, "contains serialNumber".into(), "Could not find a property named 'contains'"),
            (v1, "serialNumber;DROP eq 'x'".into(), "'serialNumber;DROP' at position 0 is neither a property name nor a literal"),
            (v1, "serialNumber eq x'; DROP TABLE device_identities; --'".into(), "is a literal of type 'x'"),
            (v1, "serialNumber eq 'a'\nor serialNumber eq 'b'".into(), "unexpected '\nor' at position 19"),
            (v1, "displayName eq 'Zoë' or x eq 'y'".into(), "Could not find a property named 'x'"),
            (v1, "displayName eq 'Zoë' )".into(), "unexpected ')' at position 21"),
        ];
        for (version, text, fragment) in cases {
            let error = parse_filter(&text, &DEVICE_IDENTITIES, version).expect_err(&text);
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{text}");
            assert_eq!(error.code, "BadRequest", "{text}");
            assert!(
                error.message.starts_with("Invalid $filter: "),
                "{text}: {}",
                error.message
            );
            assert!(
                error.message.contains(fragment),
                "{text}: expected {fragment:?} in {:?}",
                error.message
            );
        }
    }

    #[test]
    fn a_nul_character_is_refused_before_it_reaches_sql() {
        let error =
            parse_filter("serialNumber eq 'a\0b'", &DEVICE_IDENTITIES, ApiVersion::V1).unwrap_err();
        assert!(
            error.message.contains("NUL character at position 18"),
            "{}",
            error.message
        );
    }

    #[test]
    fn the_limits_are_enforced_without_exhausting_the_stack() {
        let over = |text: String, fragment: &str| {
            let error =
                parse_filter(&text, &DEVICE_IDENTITIES, ApiVersion::V1).expect_err("over a limit");
            assert_eq!(error.status, StatusCode::BAD_REQUEST);
            assert!(
                error.message.starts_with("Invalid $filter: "),
                "{}",
                error.message
            );
            assert!(error.message.contains(fragment), "{}", error.message);
            // A huge filter is not echoed back whole.
            assert!(error.message.len() < 400, "{}", error.message);
        };
        // 100 KB: refused by length before any parsing.
        over("(".repeat(100 * 1024), "at most 16384 bytes");
        over(
            "serialNumber eq 'x' and ".repeat(100 * 1024 / 24),
            "at most 16384 bytes",
        );
        over(
            format!("contains(serialNumber,'{}')", "a".repeat(100_000)),
            "at most 16384 bytes",
        );
        // Under the length limit, depth and condition limits stop the recursion early.
        over(
            "(".repeat(MAX_FILTER_BYTES),
            "more than 64 levels deep ('(' at position 64)",
        );
        over(
            format!("{}serialNumber eq 'a'{}", "(".repeat(65), ")".repeat(65)),
            "more than 64 levels deep",
        );
        over(
            "not ".repeat(MAX_FILTER_BYTES / 4),
            "more than 64 levels deep ('not' at position 256)",
        );
        over(
            "not (".repeat(40) + "serialNumber eq 'a'",
            "more than 64 levels deep",
        );
        over(
            vec!["serialNumber eq 'a'"; MAX_CONDITIONS + 1].join(" and "),
            "more than 200 conditions (condition 201 is 'serialNumber' at position 4800)",
        );
        over(
            "serialNumber eq 'x' and ".repeat(MAX_FILTER_BYTES / 24 - 1) + "serialNumber eq 'x'",
            "more than 200 conditions",
        );
        over(
            vec!["contains(serialNumber,'a')"; MAX_CONDITIONS + 1].join(" or "),
            "more than 200 conditions",
        );
    }
}
