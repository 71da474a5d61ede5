//! Dynamic group membership rules in the forms Autopilot uses (workflows spec section 4): conditions
//! on a device's `devicePhysicalIds`, combined with `-and` / `-or` and parentheses.
//!
//! ```text
//! rule      = and *( "-or" and )
//! and       = primary *( "-and" primary )
//! primary   = "(" rule ")" / condition
//! condition = "device.devicePhysicalIds" "-any" "(" "_" operator "\"value\"" ")"
//! operator  = "-eq" / "-startsWith" / "-contains"
//! ```
//!
//! Keywords and the property name are case-insensitive, as in Entra ID, and so is the matching:
//! both sides are [`fold`]ed, and the SQL of a rule (`autopilot_fold`) folds the same way.
//!
//! A chain of `-or` / `-and` terms is one node holding a list, so the tree is only as deep as the
//! parentheses ([`MAX_DEPTH`]) however many terms a rule has: matching and dropping it recurse
//! along that depth and no further.
//! `_ -eq "[ZTDID]"` (a kind of id with no value) matches every id of that kind: it is how the spec
//! writes "every Autopilot device".

use super::entity::TEXT;
use super::query::{CollectionTest, Filter};

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipRule {
    /// Some of the rules hold (at least two).
    Or(Vec<MembershipRule>),
    /// Every one of the rules holds (at least two).
    And(Vec<MembershipRule>),
    /// Some physical id passes the test against `value` (kept [`fold`]ed).
    Any { test: CollectionTest, value: String },
}

/// Why a rule is refused: the part that is not understood, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub part: String,
    pub position: usize,
    pub expected: &'static str,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unsupported membership rule syntax '{}' at position {}; expected {}",
            self.part, self.position, self.expected
        )
    }
}

/// The deepest nesting of parentheses a rule may have.
const MAX_DEPTH: usize = 32;
const PROPERTY: &str = "device.devicePhysicalIds";

impl MembershipRule {
    pub fn parse(text: &str) -> Result<MembershipRule, RuleError> {
        // The property's own limit, checked here too: a rule stored by any door, or by hand, is
        // parsed again for every recompute and every members list.
        let length = text.chars().count();
        if length as u64 > TEXT.max_chars {
            return Err(RuleError {
                part: text.chars().take(40).collect(),
                position: 0,
                expected: "a rule of at most 1024 characters",
            });
        }
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens: &tokens,
            next: 0,
            end: text.chars().count(),
        };
        let rule = parser.or(0)?;
        match parser.tokens.get(parser.next) {
            None => Ok(rule),
            Some(token) => Err(token.error("'-and', '-or' or the end of the rule")),
        }
    }

    /// Whether a device with these physical ids is a member.
    pub fn matches(&self, physical_ids: &PhysicalIds) -> bool {
        match self {
            MembershipRule::Or(rules) => rules.iter().any(|rule| rule.matches(physical_ids)),
            MembershipRule::And(rules) => rules.iter().all(|rule| rule.matches(physical_ids)),
            MembershipRule::Any { test, value } => physical_ids.0.iter().any(|id| match test {
                CollectionTest::Equals => id == value,
                CollectionTest::StartsWith => id.starts_with(value.as_str()),
                CollectionTest::Contains => id.contains(value.as_str()),
            }),
        }
    }

    /// The value of a rule that is one `-eq` condition: a device is a member when one of its
    /// physical ids is that value ([`fold`]ed).
    pub fn single_value(&self) -> Option<&str> {
        match self {
            MembershipRule::Any {
                test: CollectionTest::Equals,
                value,
            } => Some(value),
            _ => None,
        }
    }

    /// The rule as a filter on the property that holds the physical ids. A list of terms becomes
    /// a balanced tree of binary nodes, as deep as the logarithm of its length, so that the SQL
    /// built from it recursively stays shallow.
    pub fn to_filter(&self, property: &'static super::entity::Property) -> Filter {
        match self {
            MembershipRule::Or(rules) => balanced(rules, property, Filter::Or),
            MembershipRule::And(rules) => balanced(rules, property, Filter::And),
            MembershipRule::Any { test, value } => Filter::Any {
                property,
                test: *test,
                value: value.clone(),
            },
        }
    }
}

fn balanced(
    rules: &[MembershipRule],
    property: &'static super::entity::Property,
    node: fn(Box<Filter>, Box<Filter>) -> Filter,
) -> Filter {
    match rules {
        [] => unreachable!("the parser makes lists of two rules or more"),
        [rule] => rule.to_filter(property),
        _ => {
            let (left, right) = rules.split_at(rules.len() / 2);
            node(
                Box::new(balanced(left, property, node)),
                Box::new(balanced(right, property, node)),
            )
        }
    }
}

/// The one case-insensitive form of group tags, rules and physical ids, in Rust and in SQL (the
/// function `autopilot_fold` of the migrations, whose table [`folded_chars`] generates): each
/// character becomes its simple case folding, the lower case of its upper case where both are one
/// character (`É` → `é`, `Σ` and `ς` → `σ`, `ẞ` → `ß`), and stays as it is otherwise (`İ`, `ß`).
/// Per character and free of locale, so PostgreSQL under any collation computes the same.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
        let first = chars.next()?;
        chars.next().is_none().then_some(first)
    }
    let upper = single(c.to_uppercase()).unwrap_or(c);
    single(upper.to_lowercase()).unwrap_or(c)
}

/// Every character [`fold`] changes, with what it becomes: the table the SQL function is made of.
pub fn folded_chars() -> impl Iterator<Item = (char, char)> {
    (char::MIN..=char::MAX).filter_map(|c| {
        let folded = fold_char(c);
        (folded != c).then_some((c, folded))
    })
}

/// A device's `devicePhysicalIds` [`fold`]ed, the form rules match against: a rule is checked
/// against many devices, and folding each id once is what keeps that cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhysicalIds(Vec<String>);

impl PhysicalIds {
    pub fn new(ids: &[String]) -> PhysicalIds {
        PhysicalIds(ids.iter().map(|id| fold(id)).collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Open,
    Close,
    Word(String),
    Quoted(String),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    position: usize,
}

impl Token {
    fn error(&self, expected: &'static str) -> RuleError {
        RuleError {
            part: self.text.chars().take(40).collect(),
            position: self.position,
            expected,
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                Kind::Open
            }
            ')' => {
                i += 1;
                Kind::Close
            }
            '"' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or(RuleError {
                        part: chars[i..].iter().take(40).collect(),
                        position: i,
                        expected: "a closing '\"'",
                    })?;
                let value: String = chars[i + 1..i + 1 + close].iter().collect();
                i += close + 2;
                Kind::Quoted(value)
            }
            _ => {
                while i < chars.len() && !chars[i].is_whitespace() && !"()\"".contains(chars[i]) {
                    i += 1;
                }
                Kind::Word(chars[start..i].iter().collect())
            }
        };
        tokens.push(Token {
            kind,
            text: chars[start..i].iter().collect(),
            position: start,
        });
    }
    Ok(tokens)
}

/// The rule itself when there is one, else the list combined.
fn one_or(
    mut rules: Vec<MembershipRule>,
    combine: fn(Vec<MembershipRule>) -> MembershipRule,
) -> MembershipRule {
    match rules.len() {
        1 => rules.pop().expect("one rule"),
        _ => combine(rules),
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    next: usize,
    /// The rule's length, where an unexpected end is reported.
    end: usize,
}

impl Parser<'_> {
    fn bump(&mut self, expected: &'static str) -> Result<&Token, RuleError> {
        let token = self.tokens.get(self.next).ok_or(RuleError {
            part: String::new(),
            position: self.end,
            expected,
        })?;
        self.next += 1;
        Ok(token)
    }

    fn keyword(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.next), Some(Token { kind: Kind::Word(word), .. }) if word.eq_ignore_ascii_case(keyword))
    }

    fn or(&mut self, depth: usize) -> Result<MembershipRule, RuleError> {
        let mut rules = vec![self.and(depth)?];
        while self.keyword("-or") {
            self.next += 1;
            rules.push(self.and(depth)?);
        }
        Ok(one_or(rules, MembershipRule::Or))
    }

    fn and(&mut self, depth: usize) -> Result<MembershipRule, RuleError> {
        let mut rules = vec![self.primary(depth)?];
        while self.keyword("-and") {
            self.next += 1;
            rules.push(self.primary(depth)?);
        }
        Ok(one_or(rules, MembershipRule::And))
    }

    fn primary(&mut self, depth: usize) -> Result<MembershipRule, RuleError> {
        const CONDITION: &str =
            "'(' or a condition such as device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\")";
        let token = self.bump(CONDITION)?.clone();
        match &token.kind {
            Kind::Open => {
                if depth >= MAX_DEPTH {
                    return Err(token.error("at most 32 levels of parentheses"));
                }
                let rule = self.or(depth + 1)?;
                let close = self.bump("')'")?;
                if close.kind != Kind::Close {
                    return Err(close.error("')'"));
                }
                Ok(rule)
            }
            Kind::Word(word) if word.eq_ignore_ascii_case(PROPERTY) => self.any(),
            _ => Err(token.error(CONDITION)),
        }
    }

    /// After the property: `-any (_ op "value")`.
    fn any(&mut self) -> Result<MembershipRule, RuleError> {
        let any = self.bump("'-any'")?;
        if !matches!(&any.kind, Kind::Word(word) if word.eq_ignore_ascii_case("-any")) {
            return Err(any.error("'-any' (the only operator on devicePhysicalIds)"));
        }
        let open = self.bump("'('")?;
        if open.kind != Kind::Open {
            return Err(open.error("'('"));
        }
        let underscore = self.bump("'_'")?;
        if !matches!(&underscore.kind, Kind::Word(word) if word == "_") {
            return Err(underscore.error("'_'"));
        }
        let operator = self.bump("-eq, -startsWith or -contains")?;
        let test = match &operator.kind {
            Kind::Word(word) if word.eq_ignore_ascii_case("-eq") => CollectionTest::Equals,
            Kind::Word(word) if word.eq_ignore_ascii_case("-startsWith") => {
                CollectionTest::StartsWith
            }
            Kind::Word(word) if word.eq_ignore_ascii_case("-contains") => CollectionTest::Contains,
            _ => return Err(operator.error("-eq, -startsWith or -contains")),
        };
        let value = self.bump("a value in double quotes")?;
        let Kind::Quoted(value) = &value.kind else {
            return Err(value.error("a value in double quotes"));
        };
        let value = fold(value);
        let close = self.bump("')'")?;
        if close.kind != Kind::Close {
            return Err(close.error("')'"));
        }
        // "[ZTDID]" alone names every id of that kind.
        let kind_only = test == CollectionTest::Equals
            && value.starts_with('[')
            && value.ends_with(']')
            && !value.contains(':');
        Ok(match kind_only {
            true => MembershipRule::Any {
                test: CollectionTest::StartsWith,
                value: format!("{value}:"),
            },
            false => MembershipRule::Any { test, value },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ids: &[&str]) -> PhysicalIds {
        PhysicalIds::new(&ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn the_autopilot_forms_parse_and_match_case_insensitively() {
        let kiosk = ids(&["[ZTDID]:abc", "[OrderID]:Kiosk", "[PurchaseOrderId]:PO-7"]);
        let lab = ids(&["[ZTDID]:def", "[OrderID]:Lab"]);
        let cases = [
            (
                r#"(device.devicePhysicalIds -any (_ -eq "[ZTDID]"))"#,
                true,
                true,
            ),
            (
                r#"(device.devicePhysicalIDs -any (_ -eq "[orderid]:kiosk"))"#,
                true,
                false,
            ),
            (
                r#"device.devicePhysicalIds -any (_ -startsWith "[OrderID]:Ki")"#,
                true,
                false,
            ),
            (
                r#"(device.devicePhysicalIds -ANY (_ -contains "PO-"))"#,
                true,
                false,
            ),
            (
                r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:Lab"))"#,
                true,
                true,
            ),
            (
                r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk")) -and (device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:PO-7"))"#,
                true,
                false,
            ),
        ];
        for (text, on_kiosk, on_lab) in cases {
            let rule = MembershipRule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (rule.matches(&kiosk), rule.matches(&lab)),
                (on_kiosk, on_lab),
                "{text}"
            );
        }
    }

    #[test]
    fn unsupported_syntax_names_the_part() {
        for (text, part) in [
            (
                r#"(device.deviceOSType -eq "Windows")"#,
                "device.deviceOSType",
            ),
            (r#"(device.devicePhysicalIds -all (_ -eq "x"))"#, "-all"),
            (
                r#"(device.devicePhysicalIds -any (_ -match "x"))"#,
                "-match",
            ),
            (r#"(device.devicePhysicalIds -any (_ -eq x))"#, "x"),
            (
                r#"(device.devicePhysicalIds -any (_ -eq "x")) -xor (a)"#,
                "-xor",
            ),
            (r#"(device.devicePhysicalIds -any (_ -eq "x")"#, ""),
            (r#"(device.devicePhysicalIds -any (_ -eq "x))"#, "\"x))"),
        ] {
            let error = MembershipRule::parse(text).unwrap_err();
            assert_eq!(error.part, part, "{text}: {error}");
        }
        let deep = format!("{}{}", "(".repeat(100), ")".repeat(100));
        assert!(MembershipRule::parse(&deep).is_err());
        let long = vec![r#"(device.devicePhysicalIds -any (_ -eq "x"))"#; 100].join(" -or ");
        assert_eq!(
            MembershipRule::parse(&long).unwrap_err().expected,
            "a rule of at most 1024 characters"
        );
    }

    /// A chain of terms is one node, whatever its length: nothing recurses once per term.
    #[test]
    fn a_chain_of_terms_is_one_node() {
        let term = r#"(device.devicePhysicalIds -any (_ -contains "k"))"#;
        let rule = MembershipRule::parse(&vec![term; 17].join(" -or ")).unwrap();
        let MembershipRule::Or(terms) = &rule else {
            panic!("{rule:?}");
        };
        assert_eq!(terms.len(), 17);
        assert!(rule.matches(&ids(&["[OrderID]:Kiosk"])));
    }

    #[test]
    fn rules_and_ids_fold_alike_whatever_the_script() {
        for (rule_value, id, member) in [
            ("[OrderID]:KÉ792368", "[OrderID]:ké792368", true),
            ("[OrderID]:ΟΔΟΣ", "[OrderID]:οδος", true),
            ("[OrderID]:straße", "[OrderID]:STRASSE", false),
            ("[OrderID]:İstanbul", "[OrderID]:i̇stanbul", false),
            ("[OrderID]:İstanbul", "[OrderID]:İSTANBUL", true),
        ] {
            let rule = MembershipRule::parse(&format!(
                r#"(device.devicePhysicalIds -any (_ -eq "{rule_value}"))"#
            ))
            .unwrap();
            assert_eq!(rule.matches(&ids(&[id])), member, "{rule_value} / {id}");
        }
        assert_eq!(fold("ΣΊΣΥΦΟΣ ς ẞ K"), "σίσυφοσ σ ß k");
    }
}
