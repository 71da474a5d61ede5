//! Client input of any shape, arbitrary and pathological, through every parser and evaluator of
//! it: a membership rule (parsed, matched, turned into SQL, dropped), a `$filter` (parsed, turned
//! into SQL), an assignment filter's rule (checked), a lenient JSON body, a `$batch` body, a request path and query options. None may
//! panic, and each runs on a thread with a small stack, where recursion that follows the input
//! instead of a fixed bound overflows and aborts the test binary. Here rather than in one module
//! because they cross the wire contract, the domain and the store.

use proptest::prelude::*;

use crate::domain::ApiVersion;
use crate::domain::device_identity::DEVICE_IDENTITIES;
use crate::domain::directory::DIRECTORY_DEVICES;
use crate::domain::filter_rule;
use crate::domain::membership::{MembershipRule, PhysicalIds, fold};
use crate::graph::batch::parse_batch;
use crate::graph::json_body;
use crate::graph::odata::filter::parse_filter;
use crate::graph::odata::options::{Endpoint, QueryOptions};
use crate::graph::paths;
use crate::store::filter::condition;

/// A quarter of a thread's usual 2 MiB: a parser that recurses once per term or nesting level of
/// its input overflows it long before the inputs below end.
const SMALL_STACK: usize = 512 * 1024;

/// Runs `work` on a thread with [`SMALL_STACK`]; a panic there fails the test.
fn on_small_stack(work: impl FnOnce() + Send + 'static) {
    let outcome = std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(work)
        .expect("a thread")
        .join();
    assert!(outcome.is_ok(), "the input made it panic");
}

/// A rule all the way through: parsed, and when it is one, matched, compiled to SQL and dropped.
fn through_a_rule(text: String) {
    on_small_stack(move || {
        if let Ok(rule) = MembershipRule::parse(&text) {
            let ids = PhysicalIds::new(&["[ZTDID]:x".to_owned(), "[OrderID]:É".to_owned()]);
            rule.matches(&ids);
            let property = DIRECTORY_DEVICES.property("physicalIds").unwrap();
            condition(&rule.to_filter(property), &mut Vec::new());
        }
    });
}

fn through_a_filter(text: String) {
    on_small_stack(move || {
        for version in [ApiVersion::V1, ApiVersion::Beta] {
            if let Ok(filter) = parse_filter(&text, &DEVICE_IDENTITIES, version) {
                condition(&filter, &mut Vec::new());
            }
        }
    });
}

fn through_a_filter_rule(text: String) {
    on_small_stack(move || {
        for platform in [
            "windows10AndLater",
            "iOSMobileApplicationManagement",
            "unknown",
        ] {
            let _ = filter_rule::check(&text, platform);
        }
    });
}

fn through_the_body_readers(body: Vec<u8>) {
    on_small_stack(move || {
        let _ = json_body::read::<serde_json::Value>(&body);
        let _ = parse_batch(&body, ApiVersion::V1);
    });
}

fn through_paths_and_options(text: String) {
    on_small_stack(move || {
        let _ = paths::parse(&text);
        for endpoint in [Endpoint::List, Endpoint::Count, Endpoint::Item] {
            let _ = QueryOptions::parse(&text, &DEVICE_IDENTITIES, ApiVersion::Beta, endpoint);
        }
    });
}

/// Text made of the grammar's own pieces in any order, which reaches deeper than random bytes.
fn soup(pieces: &'static [&'static str], most: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..most).prop_map(|p| p.join(" "))
}

const RULE_PIECES: &[&str] = &[
    "(",
    ")",
    "-or",
    "-and",
    "-OR",
    "device.devicePhysicalIds",
    "-any",
    "_",
    "-eq",
    "-startsWith",
    "-contains",
    "\"[OrderID]:Kiosk\"",
    "\"[ZTDID]\"",
    "\"",
    "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:É\"))",
];

const FILTER_PIECES: &[&str] = &[
    "(",
    ")",
    "not",
    "and",
    "or",
    "eq",
    "ne",
    "gt",
    "serialNumber",
    "groupTag",
    "'x'",
    "''",
    "'",
    "null",
    "contains(serialNumber,'0046')",
    "startswith(",
    ",",
    "2026-01-01T00:00:00Z",
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "microsoft.graph.enrollmentState'enrolled'",
];

const FILTER_RULE_PIECES: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    "and",
    "-or",
    "device.model",
    "device.deviceOwnership",
    "app.appVersion",
    "-eq",
    "-in",
    "-notContains",
    "-ge",
    "\"Corporate\"",
    "\"10.0.22631\"",
    "\"",
    "(device.manufacturer -eq \"Microsoft\")",
];

const JSON_PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "'",
    "\"",
    "\"a\"",
    "a",
    "1",
    "null",
    "\\",
    "'b'",
    "\"requests\"",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rules_of_any_text(text in any::<String>()) {
        through_a_rule(text);
    }

    #[test]
    fn rules_of_the_grammars_pieces(text in soup(RULE_PIECES, 400)) {
        through_a_rule(text);
    }

    #[test]
    fn filters_of_any_text(text in any::<String>()) {
        through_a_filter(text);
    }

    #[test]
    fn filters_of_the_grammars_pieces(text in soup(FILTER_PIECES, 400)) {
        through_a_filter(text);
    }

    #[test]
    fn filter_rules_of_any_text(text in any::<String>()) {
        through_a_filter_rule(text);
    }

    #[test]
    fn filter_rules_of_the_grammars_pieces(text in soup(FILTER_RULE_PIECES, 400)) {
        through_a_filter_rule(text);
    }

    #[test]
    fn bodies_of_any_bytes(body in any::<Vec<u8>>()) {
        through_the_body_readers(body);
    }

    #[test]
    fn bodies_of_jsons_pieces(text in soup(JSON_PIECES, 400)) {
        through_the_body_readers(text.into_bytes());
    }

    #[test]
    fn paths_and_options_of_any_text(text in any::<String>()) {
        through_paths_and_options(text);
    }

    /// Folding twice is folding once, so a folded rule value and a folded id compare as
    /// their originals do.
    #[test]
    fn folding_is_idempotent(text in any::<String>()) {
        prop_assert_eq!(fold(&fold(&text)), fold(&text));
    }
}

const CONDITION: &str = "(device.devicePhysicalIds -any (_ -contains \"[OrderID]:K\"))";

/// The probe's rule: 100,000 `-or` terms once overflowed the evaluator's stack and aborted the
/// process at every restart.
#[test]
fn a_rule_of_a_hundred_thousand_terms() {
    for operator in [" -or ", " -and "] {
        through_a_rule(vec![CONDITION; 100_000].join(operator));
    }
}

#[test]
fn deep_nesting_everywhere() {
    let deep = 100_000;
    through_a_rule(format!(
        "{}{CONDITION}{}",
        "(".repeat(deep),
        ")".repeat(deep)
    ));
    through_a_filter(format!(
        "{}serialNumber eq 'x'{}",
        "(".repeat(deep),
        ")".repeat(deep)
    ));
    through_a_filter(format!("{}serialNumber eq 'x'", "not ".repeat(deep)));
    through_a_filter(vec!["serialNumber eq 'x'"; 10_000].join(" or "));
    through_a_filter_rule(format!(
        "{}device.model -eq \"x\"{}",
        "(".repeat(deep),
        ")".repeat(deep)
    ));
    through_a_filter_rule(format!("({})", "(".repeat(3000)));
    through_the_body_readers(format!("{}{}", "[".repeat(deep), "]".repeat(deep)).into_bytes());
    through_the_body_readers(
        format!(
            "{{\"requests\": [{}1{}]}}",
            "[".repeat(deep),
            "]".repeat(deep)
        )
        .into_bytes(),
    );
    through_the_body_readers("{a:".repeat(deep).into_bytes());
    through_paths_and_options(format!("$filter={}", "(".repeat(deep)));
}
