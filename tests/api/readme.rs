//! The README and docs/ stay true of the code: every relative link leads to a file (and, with an
//! `#anchor`, to a heading) that exists, and the README's five-minute tour runs as written, in
//! order, with bash, against the binary cargo built for these tests.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::child::{Run, run_with_timeout};
use crate::helpers::{TempDir, free_port, fresh_database};

/// The address the README's tour uses: `cargo run --release` binds it by default. The test runs the
/// tour on a free port instead (other tests and services may hold 8080) and writes that port
/// wherever the README writes this address.
const TOUR_ADDRESS: &str = "127.0.0.1:8080";
/// The info string that marks a fenced block as a step of the tour.
const TOUR_BLOCK: &str = "sh tour";
/// The whole tour: two starts, the import's `--import-delay` (2 s) and polling, a sync's wait.
const TOUR_WITHIN: Duration = Duration::from_secs(300);

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page in docs/.
fn documents() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(repository().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    pages.sort();
    pages.insert(0, repository().join("README.md"));
    pages
}

/// The lines of `text` outside fenced code blocks: links and headings in code are examples.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<String> = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        match &fence {
            Some(open) if trimmed.starts_with(open.as_str()) && trimmed.trim() == marker => {
                fence = None;
                continue;
            }
            Some(_) => continue,
            None if marker.len() >= 3 => {
                fence = Some(marker);
                continue;
            }
            None => {}
        }
        lines.push(line);
    }
    lines
}

/// `line` without its inline code spans, where a link is an example too.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + ticks..];
        match after.find(&"`".repeat(ticks)) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                out.push_str(&rest[start..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the inline links `[text](target)` in `text`'s prose.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, and `-1`,
/// `-2`... after a heading that came before.
fn anchors(text: &str) -> HashSet<String> {
    let mut anchors = HashSet::new();
    for line in prose_lines(text) {
        let line = line.replace('`', "");
        let level = line.chars().take_while(|c| *c == '#').count();
        if level == 0 || level > 6 || !line[level..].starts_with(' ') {
            continue;
        }
        let slug: String = line[level..]
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut anchor = slug.clone();
        let mut n = 0;
        while anchors.contains(&anchor) {
            n += 1;
            anchor = format!("{slug}-{n}");
        }
        anchors.insert(anchor);
    }
    anchors
}

/// What is wrong with each relative link of `document` (at `path`): a file that does not exist,
/// or an anchor that names no heading of the file it points into.
fn broken_links(path: &Path, document: &str) -> Vec<String> {
    let mut broken = Vec::new();
    for target in link_targets(document) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let linked = if file.is_empty() {
            path.to_owned()
        } else {
            path.parent().expect("a document's folder").join(file)
        };
        if !linked.exists() {
            broken.push(format!("{target}: no file {}", linked.display()));
            continue;
        }
        if anchor.is_empty() {
            continue;
        }
        let headings = if file.is_empty() {
            anchors(document)
        } else {
            anchors(&std::fs::read_to_string(&linked).unwrap_or_default())
        };
        if !headings.contains(anchor) {
            broken.push(format!(
                "{target}: no heading with the anchor #{anchor} in {}",
                linked.display()
            ));
        }
    }
    broken
}

#[test]
fn every_relative_link_in_the_readme_and_docs_leads_somewhere() {
    let mut broken = Vec::new();
    let mut links = 0;
    for path in documents() {
        let document = std::fs::read_to_string(&path).expect("a readable document");
        links += link_targets(&document).len();
        for problem in broken_links(&path, &document) {
            broken.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(
        links > 20,
        "only {links} links found: the README links its docs/ pages"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn a_missing_file_or_heading_is_a_broken_link() {
    let readme = repository().join("README.md");
    let document = "# Title\n\n## `$batch`: twenty in one\n\nSee [a](docs/nothing-here.md), \
                    [b](docs/configuration.md#no-such-heading), [c](#title), \
                    [d](#batch-twenty-in-one), [e](https://example.com/x.md) and \
                    `[f](not-a-link.md)`.\n\n```sh\necho '[g](in-code.md)'\n```\n";
    let broken = broken_links(&readme, document);
    assert_eq!(broken.len(), 2, "{broken:#?}");
    assert!(broken[0].starts_with("docs/nothing-here.md: no file"));
    assert!(broken[1].starts_with("docs/configuration.md#no-such-heading: no heading"));
}

/// One step of the tour: its shell text, and the lines it must print (`...` in a line stands for
/// any text; a line of just `...` for any lines).
struct Step {
    script: String,
    expected: Vec<String>,
}

/// The README's tour: its ```sh tour blocks, in order. A comment line right under a command (or
/// under another such comment) is output the command prints; other comments explain.
fn tour_steps(readme: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != format!("```{TOUR_BLOCK}") {
            continue;
        }
        let mut step = Step {
            script: String::new(),
            expected: Vec::new(),
        };
        let mut under_command = false;
        for line in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            step.script.push_str(line);
            step.script.push('\n');
            match line.strip_prefix("# ") {
                Some(output) if under_command => step.expected.push(output.to_owned()),
                _ => under_command = !line.trim().is_empty() && !line.starts_with('#'),
            }
        }
        steps.push(step);
    }
    steps
}

/// Whether `line` is what `expected` says, with `...` standing for any text.
fn matches(expected: &str, line: &str) -> bool {
    let parts: Vec<&str> = expected.split("...").collect();
    if parts.len() == 1 {
        return line == expected;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The first expected line that `output` lacks, in order.
fn missing_output(expected: &[String], output: &str) -> Option<String> {
    let mut lines = output.lines();
    expected
        .iter()
        .filter(|line| line.as_str() != "...")
        .find(|wanted| !lines.any(|line| matches(wanted, line)))
        .cloned()
}

#[test]
fn tour_output_is_matched_in_order_with_wildcards() {
    let steps = tour_steps("```sh tour\n# why\nrun\n# out ...\n# ...\n# done\n\n# why\n```\n");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].expected, ["out ...", "...", "done"]);
    assert_eq!(
        missing_output(&steps[0].expected, "out 1\nnoise\ndone\n"),
        None
    );
    assert_eq!(
        missing_output(&steps[0].expected, "done\nout 1\n"),
        Some("done".to_owned())
    );
    assert!(matches("..._0", "a_b_0") && !matches("..._0", "a_b_1"));
}

/// Kills what the tour left running (the service, when a step failed before the last stopped it):
/// the driver leads a process group of its own and writes its id first.
struct KillGroup(PathBuf);

impl Drop for KillGroup {
    fn drop(&mut self) {
        if let Some(group) = std::fs::read_to_string(&self.0)
            .ok()
            .and_then(|pid| pid.trim().parse::<libc::pid_t>().ok())
        {
            // SAFETY: a signal to the process group this test started.
            unsafe { libc::killpg(group, libc::SIGKILL) };
        }
    }
}

#[tokio::test]
async fn the_readme_tour_runs_as_written() {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let steps = tour_steps(&readme);
    assert!(
        steps.len() >= 6,
        "the README's tour has {} ```{TOUR_BLOCK} blocks",
        steps.len()
    );
    let address = format!("127.0.0.1:{}", free_port());
    let database_url = fresh_database().await;

    // A fresh clone as far as the tour can tell: the binary where `cargo run --release` leaves it,
    // and a `cargo` that runs it. The test builds nothing: cargo built the binary for this test.
    let clone = TempDir::new("readme-tour");
    let release = clone.0.join("target/release");
    std::fs::create_dir_all(&release).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_autopilot-registry"),
        release.join("autopilot-registry"),
    )
    .unwrap();
    std::fs::create_dir(clone.0.join("bin")).unwrap();
    let shim = clone.file(
        "bin/cargo",
        b"#!/bin/sh\n\
          [ \"$1\" = run ] && [ \"$2\" = --release ] || { echo \"the tour's cargo runs only 'cargo run --release'\" >&2; exit 127; }\n\
          shift 2\n[ \"$1\" = -q ] && shift\n[ \"$1\" = -- ] && shift\n\
          exec target/release/autopilot-registry \"$@\"\n",
    );
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();

    // One shell for every step, as a reader's terminal: variables and the background service carry
    // over. Each step's output goes to files of its own; a failing command stops the tour there.
    let mut driver = String::from("set -euo pipefail\necho $$ > driver.pid\n");
    for (n, step) in steps.iter().enumerate() {
        clone.file(
            &format!("step{n}.sh"),
            step.script.replace(TOUR_ADDRESS, &address).as_bytes(),
        );
        driver.push_str(&format!(
            "source ./step{n}.sh > step{n}.out 2> step{n}.err\necho {n} >> steps.done\n"
        ));
    }
    let driver = clone.file("tour.sh", driver.as_bytes());
    let _cleanup = KillGroup(clone.0.join("driver.pid"));

    let mut command = Command::new("bash");
    command
        .arg(&driver)
        .current_dir(&clone.0)
        .env(
            "PATH",
            format!(
                "{}:{}",
                clone.0.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("DATABASE_URL", &database_url)
        .env("AUTOPILOT_BIND", &address)
        .stdin(std::process::Stdio::null());
    // Nothing of the test's own configuration reaches the tour.
    for (variable, _) in std::env::vars() {
        if variable.starts_with("AUTOPILOT_") && variable != "AUTOPILOT_BIND" {
            command.env_remove(variable);
        }
    }
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let run: Run = tokio::task::spawn_blocking(move || run_with_timeout(command, TOUR_WITHIN))
        .await
        .unwrap()
        .expect("bash runs the tour");

    let read = |name: String| std::fs::read_to_string(clone.0.join(name)).unwrap_or_default();
    let done = read("steps.done".to_owned()).lines().count();
    let report = |n: usize| {
        format!(
            "--- step {n} ---\n{}--- its stdout ---\n{}--- its stderr ---\n{}",
            steps[n].script,
            read(format!("step{n}.out")),
            read(format!("step{n}.err"))
        )
    };
    assert!(
        run.succeeded() && done == steps.len(),
        "the tour stopped ({}) at step {done} of {}:\n{}\n{}",
        run.outcome(),
        steps.len(),
        report(done.min(steps.len() - 1)),
        run.stderr
    );
    for (n, step) in steps.iter().enumerate() {
        let expected: Vec<String> = step
            .expected
            .iter()
            .map(|line| line.replace(TOUR_ADDRESS, &address))
            .collect();
        if let Some(missing) = missing_output(&expected, &read(format!("step{n}.out"))) {
            panic!(
                "step {n} did not print `{missing}` where the README says it does:\n{}",
                report(n)
            );
        }
    }
}
