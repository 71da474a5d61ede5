//! The module graph of `src/`: every `crate::` path in a module names a module of a lower layer
//! (or its own), so imports run one way and no cycle can form. The layers are the ones
//! docs/architecture.md draws.

use std::collections::BTreeSet;
use std::path::Path;

/// Top-level modules by layer, highest first: a module may use only modules of later rows.
/// Modules of one row may not use each other.
const LAYERS: &[&[&str]] = &[
    &["commands"],
    &["startup"],
    &["routes"],
    &["workers", "control", "identity", "client"],
    &["auth"],
    &["metrics", "logging"],
    &["graph", "store", "embedded", "tls", "testcontainers"],
    &["domain"],
    &["config"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// The top-level module a file of `src/` belongs to (`None` for lib.rs, main.rs and the crate's
/// own test modules).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let module = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(module, "lib" | "main") && !module.ends_with("_tests")).then(|| module.to_owned())
}

/// The top-level modules `source` names through `crate::`.
fn used_modules(source: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{a, b}` names several.
            if name.is_empty() && after.starts_with('{') {
                let group = after[1..].split('}').next().unwrap_or_default();
                used.extend(
                    group
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or_default())
                        .filter(|item| item.chars().next().is_some_and(char::is_lowercase))
                        .map(str::to_owned),
                );
            } else if name.chars().next().is_some_and(char::is_lowercase) {
                used.insert(name);
            }
            rest = after;
        }
    }
    used
}

fn rust_files(directory: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every way `src/` breaks the layering, as "module (file) uses module".
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let Some(module) = module_of(relative) else {
            continue;
        };
        let own = layer_of(&module)
            .unwrap_or_else(|| panic!("src/{} is in no layer of LAYERS", relative.display()));
        let source = std::fs::read_to_string(&file).unwrap();
        for used in used_modules(&source) {
            if used == module {
                continue;
            }
            let allowed = layer_of(&used).is_some_and(|layer| layer > own);
            if !allowed {
                found.push(format!("{module} (src/{}) uses {used}", relative.display()));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn imports_run_down_the_layers_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports against the layering:\n{}",
        found.join("\n")
    );
}

#[test]
fn an_import_up_or_sideways_is_found() {
    assert_eq!(
        used_modules(
            "use crate::startup::Application;\nuse crate::{graph::x, store};\n// crate::routes"
        ),
        BTreeSet::from(["startup".to_owned(), "graph".to_owned(), "store".to_owned()])
    );
    let src = std::env::temp_dir().join(format!("layers-{}", std::process::id()));
    std::fs::create_dir_all(src.join("store")).unwrap();
    std::fs::write(
        src.join("store/mod.rs"),
        "use crate::graph::error::GraphError;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("auth.rs"),
        "use crate::startup::StartupError;\nuse crate::store::Store;\n",
    )
    .unwrap();
    let found = violations(&src);
    std::fs::remove_dir_all(&src).unwrap();
    assert_eq!(
        found,
        [
            "auth (src/auth.rs) uses startup",
            "store (src/store/mod.rs) uses graph"
        ]
    );
}
