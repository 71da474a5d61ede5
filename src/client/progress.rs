//! Progress on stderr: on a terminal, a bar for the rows uploaded and one for the rows processed;
//! elsewhere (a log, a pipe) a plain line when a count changes, at most every few seconds, and
//! always the last one.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The shortest time between two plain lines of one count.
const PLAIN_LINE_INTERVAL: Duration = Duration::from_secs(5);
const BAR_TEMPLATE: &str = "{prefix:>9} [{bar:40}] {pos}/{len} rows ({elapsed})";

pub enum Progress {
    Bars {
        uploaded: ProgressBar,
        processed: ProgressBar,
    },
    Lines {
        uploaded: PlainCount,
        processed: PlainCount,
    },
}

impl Progress {
    /// Bars when stderr is a terminal, else plain lines; `rows` is the number to upload.
    pub fn new(rows: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::Lines {
                uploaded: PlainCount::new("uploaded", rows),
                processed: PlainCount::new("processed", rows),
            };
        }
        let bars = MultiProgress::new();
        let style = ProgressStyle::with_template(BAR_TEMPLATE)
            .expect("the bar template is valid")
            .progress_chars("=> ");
        let bar = |prefix: &'static str| {
            bars.add(
                ProgressBar::new(rows)
                    .with_style(style.clone())
                    .with_prefix(prefix),
            )
        };
        Progress::Bars {
            uploaded: bar("uploaded"),
            processed: bar("processed"),
        }
    }

    pub fn uploaded(&mut self, rows: u64) {
        match self {
            Progress::Bars { uploaded, .. } => uploaded.set_position(rows),
            Progress::Lines { uploaded, .. } => uploaded.show(rows, Instant::now()),
        }
    }

    pub fn processed(&mut self, rows: u64) {
        match self {
            Progress::Bars { processed, .. } => processed.set_position(rows),
            Progress::Lines { processed, .. } => processed.show(rows, Instant::now()),
        }
    }

    /// Leaves the bars drawn as they are, so the summary follows them.
    pub fn finish(&self) {
        if let Progress::Bars {
            uploaded,
            processed,
        } = self
        {
            uploaded.abandon();
            processed.abandon();
        }
    }
}

/// One count shown as plain lines, e.g. `uploaded 500/10000 rows`.
pub struct PlainCount {
    verb: &'static str,
    total: u64,
    /// The count last printed and when.
    shown: Option<(u64, Instant)>,
}

impl PlainCount {
    fn new(verb: &'static str, total: u64) -> PlainCount {
        PlainCount {
            verb,
            total,
            shown: None,
        }
    }

    fn show(&mut self, done: u64, now: Instant) {
        if let Some(line) = self.line(done, now) {
            eprintln!("{line}");
        }
    }

    /// The line to print for `done` at `now`, if one is due.
    fn line(&mut self, done: u64, now: Instant) -> Option<String> {
        let due = match self.shown {
            None => true,
            Some((shown, _)) if shown == done => false,
            Some((_, at)) => done == self.total || now.duration_since(at) >= PLAIN_LINE_INTERVAL,
        };
        due.then(|| {
            self.shown = Some((done, now));
            format!("{} {done}/{} rows", self.verb, self.total)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_come_when_a_count_changes_at_most_every_interval_and_at_the_end() {
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);
        let mut count = PlainCount::new("processed", 1000);
        assert_eq!(
            count.line(0, at(0)).as_deref(),
            Some("processed 0/1000 rows")
        );
        assert_eq!(count.line(0, at(10)), None, "unchanged");
        assert_eq!(
            count.line(400, at(11)).as_deref(),
            Some("processed 400/1000 rows")
        );
        assert_eq!(count.line(600, at(12)), None, "too soon");
        assert_eq!(
            count.line(700, at(16)).as_deref(),
            Some("processed 700/1000 rows")
        );
        assert_eq!(
            count.line(1000, at(17)).as_deref(),
            Some("processed 1000/1000 rows")
        );
        assert_eq!(count.line(1000, at(30)), None);
    }
}
