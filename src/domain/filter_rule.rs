//! The rule of an Intune assignment filter, checked against the filter grammar and the properties
//! each platform offers ([`FILTER_PROPERTIES`], after Intune's "filters device properties" page):
//!
//! ```text
//! rule      = and *( or and )
//! and       = primary *( and primary )
//! primary   = "(" rule ")" / condition
//! condition = property operator value
//! property  = "device." name / "app." name
//! operator  = "-eq" / "-ne" / "-startsWith" / "-notStartsWith" / "-endsWith" / "-notEndsWith"
//!           / "-contains" / "-notContains" / "-in" / "-notIn" / "-gt" / "-ge" / "-lt" / "-le"
//! value     = string / "[" string *( "," string ) "]"      ; a list for -in and -notIn only
//! string    = DQUOTE *( any character but DQUOTE ) DQUOTE
//! and / or  = "and" / "-and" / "or" / "-or"
//! ```
//!
//! Keywords, property names and closed sets of values are case-insensitive, as in Intune's rule
//! editor. The service stores filters but evaluates none (deployment profiles refuse them, as
//! Intune's do), so a rule is checked, never turned into a tree: the check recurses only along
//! the parentheses, at most [`MAX_DEPTH`] deep, over a rule of at most [`MAX_RULE_CHARS`].

/// The longest rule accepted, in characters (our bound; Intune states none).
pub const MAX_RULE_CHARS: u64 = 3072;
/// The deepest nesting of parentheses a rule may have.
pub const MAX_DEPTH: usize = 32;

/// A comparison a condition makes, as the rule writes it and as Graph's
/// `assignmentFilterOperator` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    Contains,
    NotContains,
    In,
    NotIn,
    GreaterThan,
    GreaterThanOrEquals,
    LessThan,
    LessThanOrEquals,
}

impl Operator {
    const ALL: [Operator; 14] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::StartsWith,
        Operator::NotStartsWith,
        Operator::EndsWith,
        Operator::NotEndsWith,
        Operator::Contains,
        Operator::NotContains,
        Operator::In,
        Operator::NotIn,
        Operator::GreaterThan,
        Operator::GreaterThanOrEquals,
        Operator::LessThan,
        Operator::LessThanOrEquals,
    ];

    /// How a rule writes it.
    pub fn token(self) -> &'static str {
        match self {
            Operator::Equals => "-eq",
            Operator::NotEquals => "-ne",
            Operator::StartsWith => "-startsWith",
            Operator::NotStartsWith => "-notStartsWith",
            Operator::EndsWith => "-endsWith",
            Operator::NotEndsWith => "-notEndsWith",
            Operator::Contains => "-contains",
            Operator::NotContains => "-notContains",
            Operator::In => "-in",
            Operator::NotIn => "-notIn",
            Operator::GreaterThan => "-gt",
            Operator::GreaterThanOrEquals => "-ge",
            Operator::LessThan => "-lt",
            Operator::LessThanOrEquals => "-le",
        }
    }

    /// Its member of Graph's `microsoft.graph.assignmentFilterOperator`.
    pub fn member(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::NotEquals => "notEquals",
            Operator::StartsWith => "startsWith",
            Operator::NotStartsWith => "notStartsWith",
            Operator::EndsWith => "endsWith",
            Operator::NotEndsWith => "notEndsWith",
            Operator::Contains => "contains",
            Operator::NotContains => "notContains",
            Operator::In => "in",
            Operator::NotIn => "notIn",
            Operator::GreaterThan => "greaterThan",
            Operator::GreaterThanOrEquals => "greaterThanOrEquals",
            Operator::LessThan => "lessThan",
            Operator::LessThanOrEquals => "lessThanOrEquals",
        }
    }

    fn takes_list(self) -> bool {
        matches!(self, Operator::In | Operator::NotIn)
    }

    fn parse(word: &str) -> Option<Operator> {
        Operator::ALL
            .into_iter()
            .find(|op| op.token().eq_ignore_ascii_case(word))
    }
}

/// Full and partial matches of a string, as Intune's page lists them for names and models.
const TEXT_OPERATORS: &[Operator] = &[
    Operator::Equals,
    Operator::NotEquals,
    Operator::In,
    Operator::NotIn,
    Operator::StartsWith,
    Operator::Contains,
    Operator::NotContains,
];
/// A value out of a closed set.
const CHOICE_OPERATORS: &[Operator] = &[
    Operator::Equals,
    Operator::NotEquals,
    Operator::In,
    Operator::NotIn,
];
/// A dotted version, compared as one.
const VERSION_OPERATORS: &[Operator] = &[
    Operator::Equals,
    Operator::NotEquals,
    Operator::GreaterThan,
    Operator::GreaterThanOrEquals,
    Operator::LessThan,
    Operator::LessThanOrEquals,
];

const WINDOWS: &str = "windows10AndLater";
const DEVICE_PLATFORMS: &[&str] = &[
    "android",
    "androidForWork",
    "androidWorkProfile",
    "androidAOSP",
    "iOS",
    "macOS",
    WINDOWS,
];
/// The platforms of managed apps (`assignmentFilterManagementType` `apps`).
pub const APP_PLATFORMS: &[&str] = &[
    "androidMobileApplicationManagement",
    "iOSMobileApplicationManagement",
    "windowsMobileApplicationManagement",
];

/// What kind of value a property holds, as Graph's `assignmentFilterSupportedProperty.dataType`
/// names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    String,
    Boolean,
    Version,
}

impl DataType {
    pub fn name(self) -> &'static str {
        match self {
            DataType::String => "String",
            DataType::Boolean => "Boolean",
            DataType::Version => "Version",
        }
    }
}

/// A property a filter rule may test.
#[derive(Debug)]
pub struct FilterProperty {
    /// As the rule writes it, e.g. `device.manufacturer`.
    pub name: &'static str,
    pub data_type: DataType,
    pub operators: &'static [Operator],
    /// The values it takes (any when empty).
    pub values: &'static [&'static str],
    pub platforms: &'static [&'static str],
}

const fn text(name: &'static str, platforms: &'static [&'static str]) -> FilterProperty {
    FilterProperty {
        name,
        data_type: DataType::String,
        operators: TEXT_OPERATORS,
        values: &[],
        platforms,
    }
}

const fn choice(
    name: &'static str,
    values: &'static [&'static str],
    platforms: &'static [&'static str],
) -> FilterProperty {
    FilterProperty {
        name,
        data_type: DataType::String,
        operators: CHOICE_OPERATORS,
        values,
        platforms,
    }
}

const fn version(name: &'static str, platforms: &'static [&'static str]) -> FilterProperty {
    FilterProperty {
        name,
        data_type: DataType::Version,
        operators: VERSION_OPERATORS,
        values: &[],
        platforms,
    }
}

/// The properties of managed devices and managed apps, with the platforms that have them.
pub static FILTER_PROPERTIES: [FilterProperty; 18] = [
    text("device.deviceName", DEVICE_PLATFORMS),
    text("device.manufacturer", DEVICE_PLATFORMS),
    text("device.model", DEVICE_PLATFORMS),
    text("device.deviceCategory", DEVICE_PLATFORMS),
    text("device.osVersion", DEVICE_PLATFORMS),
    version("device.operatingSystemVersion", &["iOS", "macOS", WINDOWS]),
    choice(
        "device.deviceOwnership",
        &["Personal", "Corporate"],
        DEVICE_PLATFORMS,
    ),
    text(
        "device.enrollmentProfileName",
        &["androidForWork", "androidAOSP", "iOS", "macOS", WINDOWS],
    ),
    FilterProperty {
        name: "device.isRooted",
        data_type: DataType::Boolean,
        operators: &[Operator::Equals, Operator::NotEquals],
        values: &["True", "False"],
        platforms: &["android"],
    },
    // Windows editions: Intune's list grows with Windows, so any value is taken.
    choice("device.operatingSystemSKU", &[], &[WINDOWS]),
    choice(
        "device.cpuArchitecture",
        &["amd64", "x86", "arm64", "x64", "unknown"],
        &["macOS", WINDOWS],
    ),
    choice(
        "device.deviceTrustType",
        &[
            "Azure AD joined",
            "Azure AD registered",
            "Hybrid Azure AD joined",
            "Unknown",
        ],
        &[WINDOWS],
    ),
    text("app.appVersion", APP_PLATFORMS),
    text("app.deviceManufacturer", APP_PLATFORMS),
    text("app.deviceModel", APP_PLATFORMS),
    text("app.osVersion", APP_PLATFORMS),
    version("app.operatingSystemVersion", APP_PLATFORMS),
    choice(
        "app.deviceManagementType",
        &[
            "Unmanaged",
            "Managed",
            "Android device administrator",
            "Android Enterprise",
        ],
        APP_PLATFORMS,
    ),
];

/// The properties a rule for `platform` may test, in the table's order.
pub fn properties_of(platform: &str) -> impl Iterator<Item = &'static FilterProperty> + use<'_> {
    FILTER_PROPERTIES
        .iter()
        .filter(move |p| p.platforms.contains(&platform))
}

/// Why a rule is refused: the part that is wrong, where it starts (1-based, in characters), and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRuleError {
    pub part: String,
    pub position: usize,
    pub problem: String,
}

impl std::fmt::Display for FilterRuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "The rule is invalid at character {}, '{}': {}",
            self.position, self.part, self.problem
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenKind {
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
    Word,
    Quoted,
}

#[derive(Debug)]
struct Token {
    kind: TokenKind,
    /// The token's text (a quoted string without its quotes).
    text: String,
    /// 1-based character position.
    position: usize,
}

fn tokenize(rule: &str) -> Result<Vec<Token>, FilterRuleError> {
    let mut tokens = Vec::new();
    let mut chars = rule.chars().enumerate().peekable();
    while let Some((at, c)) = chars.next() {
        let position = at + 1;
        let single = |kind| Token {
            kind,
            text: c.to_string(),
            position,
        };
        match c {
            c if c.is_whitespace() => {}
            '(' => tokens.push(single(TokenKind::Open)),
            ')' => tokens.push(single(TokenKind::Close)),
            '[' => tokens.push(single(TokenKind::OpenList)),
            ']' => tokens.push(single(TokenKind::CloseList)),
            ',' => tokens.push(single(TokenKind::Comma)),
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, c)) => text.push(c),
                        None => {
                            return Err(FilterRuleError {
                                part: format!("\"{text}"),
                                position,
                                problem: "the quoted value is not closed with '\"'.".to_owned(),
                            });
                        }
                    }
                }
                tokens.push(Token {
                    kind: TokenKind::Quoted,
                    text,
                    position,
                });
            }
            c if c.is_alphanumeric() || matches!(c, '-' | '.' | '_') => {
                let mut text = c.to_string();
                while let Some(&(_, next)) = chars.peek() {
                    if next.is_alphanumeric() || matches!(next, '-' | '.' | '_') {
                        text.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token {
                    kind: TokenKind::Word,
                    text,
                    position,
                });
            }
            other => {
                return Err(FilterRuleError {
                    part: other.to_string(),
                    position,
                    problem: "this character has no place in a filter rule.".to_owned(),
                });
            }
        }
    }
    Ok(tokens)
}

struct Checker<'a> {
    tokens: &'a [Token],
    next: usize,
    platform: &'a str,
    /// The 1-based position just past the rule, for errors at its end.
    end: usize,
}

/// Checks `rule` for a filter of `platform`.
pub fn check(rule: &str, platform: &str) -> Result<(), FilterRuleError> {
    let length = rule.chars().count();
    if length as u64 > MAX_RULE_CHARS {
        return Err(FilterRuleError {
            part: rule.chars().take(40).collect(),
            position: 1,
            problem: format!("a rule has at most {MAX_RULE_CHARS} characters; this has {length}."),
        });
    }
    let tokens = tokenize(rule)?;
    let mut checker = Checker {
        tokens: &tokens,
        next: 0,
        platform,
        end: length + 1,
    };
    checker.or(0)?;
    match checker.peek() {
        None => Ok(()),
        Some(token) => Err(unexpected(token, "'and', 'or' or the end of the rule")),
    }
}

fn unexpected(token: &Token, expected: &str) -> FilterRuleError {
    FilterRuleError {
        part: token.text.clone(),
        position: token.position,
        problem: format!("expected {expected}."),
    }
}

fn keyword(token: &Token, name: &str) -> bool {
    token.kind == TokenKind::Word
        && (token.text.eq_ignore_ascii_case(name)
            || token
                .text
                .strip_prefix('-')
                .is_some_and(|rest| rest.eq_ignore_ascii_case(name)))
}

impl<'a> Checker<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.next)
    }

    fn take(&mut self, expected: &str) -> Result<&'a Token, FilterRuleError> {
        match self.tokens.get(self.next) {
            Some(token) => {
                self.next += 1;
                Ok(token)
            }
            None => Err(FilterRuleError {
                part: String::new(),
                position: self.end,
                problem: format!("the rule ends where {expected} is expected."),
            }),
        }
    }

    fn or(&mut self, depth: usize) -> Result<(), FilterRuleError> {
        self.and(depth)?;
        while self.peek().is_some_and(|t| keyword(t, "or")) {
            self.next += 1;
            self.and(depth)?;
        }
        Ok(())
    }

    fn and(&mut self, depth: usize) -> Result<(), FilterRuleError> {
        self.primary(depth)?;
        while self.peek().is_some_and(|t| keyword(t, "and")) {
            self.next += 1;
            self.primary(depth)?;
        }
        Ok(())
    }

    fn primary(&mut self, depth: usize) -> Result<(), FilterRuleError> {
        let token = self.take("'(' or a condition")?;
        if token.kind == TokenKind::Open {
            if depth == MAX_DEPTH {
                return Err(FilterRuleError {
                    part: "(".to_owned(),
                    position: token.position,
                    problem: format!("parentheses nest at most {MAX_DEPTH} deep."),
                });
            }
            self.or(depth + 1)?;
            let close = self.take("')'")?;
            return match close.kind {
                TokenKind::Close => Ok(()),
                _ => Err(unexpected(close, "')', 'and' or 'or'")),
            };
        }
        self.next -= 1;
        self.condition()
    }

    fn condition(&mut self) -> Result<(), FilterRuleError> {
        let platform = self.platform;
        let token = self.take("a property")?;
        if token.kind != TokenKind::Word {
            return Err(unexpected(
                token,
                "'(' or a property such as device.manufacturer",
            ));
        }
        let known = FILTER_PROPERTIES
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(&token.text));
        let Some(property) = known.filter(|p| p.platforms.contains(&platform)) else {
            let offered: Vec<&str> = properties_of(platform).map(|p| p.name).collect();
            let problem = match (known, offered.is_empty()) {
                (_, true) => format!("filters of platform '{platform}' test no properties."),
                (Some(_), false) => format!(
                    "filters of platform '{platform}' cannot test it; they test {}.",
                    offered.join(", ")
                ),
                (None, false) => format!(
                    "it is not a filter property; filters of platform '{platform}' test {}.",
                    offered.join(", ")
                ),
            };
            return Err(FilterRuleError {
                part: token.text.clone(),
                position: token.position,
                problem,
            });
        };
        let token = self.take("an operator")?;
        let operator = Operator::parse(&token.text)
            .filter(|_| token.kind == TokenKind::Word)
            .ok_or_else(|| unexpected(token, "an operator such as -eq or -startsWith"))?;
        if !property.operators.contains(&operator) {
            let offered: Vec<&str> = property.operators.iter().map(|o| o.token()).collect();
            return Err(FilterRuleError {
                part: token.text.clone(),
                position: token.position,
                problem: format!("{} takes only {}.", property.name, offered.join(", ")),
            });
        }
        if operator.takes_list() {
            let open = self.take("'['")?;
            if open.kind != TokenKind::OpenList {
                return Err(unexpected(
                    open,
                    "a list of quoted values such as [\"a\", \"b\"]",
                ));
            }
            loop {
                self.value(property)?;
                let next = self.take("',' or ']'")?;
                match next.kind {
                    TokenKind::Comma => continue,
                    TokenKind::CloseList => return Ok(()),
                    _ => return Err(unexpected(next, "',' or ']'")),
                }
            }
        }
        self.value(property)
    }

    fn value(&mut self, property: &FilterProperty) -> Result<(), FilterRuleError> {
        let token = self.take("a quoted value")?;
        if token.kind != TokenKind::Quoted {
            return Err(unexpected(token, "a value in double quotes"));
        }
        let wrong = |problem: String| FilterRuleError {
            part: format!("\"{}\"", token.text),
            position: token.position,
            problem,
        };
        if !property.values.is_empty()
            && !property
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&token.text))
        {
            return Err(wrong(format!(
                "{} is one of {}.",
                property.name,
                property
                    .values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if property.data_type == DataType::Version && !is_version(&token.text) {
            return Err(wrong(format!(
                "{} is a version: two to four numbers separated by dots, such as \"10.0.22631\".",
                property.name
            )));
        }
        Ok(())
    }
}

fn is_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    (2..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(rule: &str, platform: &str) -> FilterRuleError {
        check(rule, platform).expect_err(rule)
    }

    #[test]
    fn intunes_examples_are_accepted() {
        for rule in [
            r#"(device.deviceName -eq "Scott's Device")"#,
            r#"(device.deviceName -in ["Scott's device", "Sara's device"])"#,
            r#"(device.manufacturer -startsWith "Micro") and (device.model -contains "Surface")"#,
            r#"(device.deviceOwnership -eq "corporate") -or (device.enrollmentProfileName -eq "Kiosk")"#,
            r#"((device.osVersion -startsWith "10.0.22") and (device.operatingSystemSKU -in ["Enterprise", "Education"])) or (device.cpuArchitecture -eq "arm64")"#,
            r#"device.operatingSystemVersion -ge "10.0.22631.2428""#,
            r#"(device.deviceTrustType -notIn ["Azure AD registered"]) AND (device.deviceCategory -notContains "Lab")"#,
        ] {
            assert_eq!(check(rule, "windows10AndLater"), Ok(()), "{rule}");
        }
        assert_eq!(check(r#"(device.isRooted -eq "True")"#, "android"), Ok(()));
        assert_eq!(
            check(
                r#"(app.appVersion -startsWith "5.") or (app.deviceManagementType -eq "Unmanaged")"#,
                "iOSMobileApplicationManagement"
            ),
            Ok(())
        );
    }

    #[test]
    fn an_unknown_property_or_one_the_platform_lacks_is_named() {
        let error = refused(r#"(device.colour -eq "red")"#, "windows10AndLater");
        assert_eq!((error.part.as_str(), error.position), ("device.colour", 2));
        assert!(error.problem.contains("device.manufacturer"), "{error}");
        let error = refused(r#"(device.isRooted -eq "True")"#, "windows10AndLater");
        assert_eq!(error.part, "device.isRooted");
        assert!(error.problem.contains("cannot test it"), "{error}");
        let error = refused(r#"(app.appVersion -eq "1.0")"#, "windows10AndLater");
        assert_eq!(error.part, "app.appVersion");
        let error = refused(r#"(device.model -eq "x")"#, "windows81AndLater");
        assert!(error.problem.contains("test no properties"), "{error}");
    }

    #[test]
    fn operators_and_values_are_checked_against_the_property() {
        let error = refused(r#"(device.deviceOwnership -startsWith "Corp")"#, "iOS");
        assert_eq!((error.part.as_str(), error.position), ("-startsWith", 25));
        assert!(error.problem.contains("-eq, -ne, -in, -notIn"), "{error}");
        let error = refused(r#"(device.deviceOwnership -eq "Company")"#, "iOS");
        assert_eq!(error.part, "\"Company\"");
        assert!(
            error.problem.contains("\"Personal\", \"Corporate\""),
            "{error}"
        );
        let error = refused(r#"(device.model -equals "x")"#, "iOS");
        assert_eq!(error.part, "-equals");
        let error = refused(r#"(device.model -in "x")"#, "iOS");
        assert_eq!(error.part, "x");
        let error = refused(r#"(device.model -eq x)"#, "iOS");
        assert_eq!(error.part, "x");
        let error = refused(r#"device.operatingSystemVersion -gt "ten""#, "iOS");
        assert!(error.problem.contains("a version"), "{error}");
    }

    #[test]
    fn structure_errors_say_where() {
        let error = refused(r#"(device.model -eq "x""#, "iOS");
        assert_eq!(error.position, 22);
        assert!(error.problem.contains("')'"), "{error}");
        let error = refused(
            r#"(device.model -eq "x") nor (device.model -eq "y")"#,
            "iOS",
        );
        assert_eq!(error.part, "nor");
        let error = refused(r#"(device.model -eq "x)"#, "iOS");
        assert!(error.problem.contains("not closed"), "{error}");
        let error = refused(r#"(device.model -eq "x") & "#, "iOS");
        assert_eq!(error.part, "&");
        let error = refused("", "iOS");
        assert!(error.problem.contains("ends where"), "{error}");
    }

    #[test]
    fn the_check_is_bounded_in_length_and_depth() {
        let deep = format!(
            "{}device.model -eq \"x\"{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(refused(&deep, "iOS").problem.contains("nest at most"));
        let fits = format!(
            "{}device.model -eq \"x\"{}",
            "(".repeat(MAX_DEPTH),
            ")".repeat(MAX_DEPTH)
        );
        assert_eq!(check(&fits, "iOS"), Ok(()));
        let long = format!("(device.model -eq \"{}\")", "x".repeat(3100));
        assert!(refused(&long, "iOS").problem.contains("at most 3072"));
        let many = vec![r#"(device.model -eq "x")"#; 100].join(" or ");
        assert_eq!(check(&many, "iOS"), Ok(()));
    }
}
