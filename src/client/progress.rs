//! Progress on stderr: on a terminal, a bar each for the rows uploaded, the rows processed and,
//! unless the records are kept, the records deleted; elsewhere (a log, a pipe) a plain line when a
//! count changes, at most every few seconds, and always the last one.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The shortest time between two plain lines of one count.
const PLAIN_LINE_INTERVAL: Duration = Duration::from_secs(5);
const BAR_TEMPLATE: &str = "{prefix:>9} [{bar:40}] {pos}/{len} {msg} ({elapsed})";

pub struct Progress {
    uploaded: Count,
    processed: Count,
    /// None when the records are kept.
    deleted: Option<Count>,
}

enum Count {
    Bar { bar: ProgressBar, started: bool },
    Lines(PlainCount),
}

impl Progress {
    /// Bars when stderr is a terminal, else plain lines; `rows` is the number to upload, and as
    /// many records are deleted afterwards unless `keep_records`.
    pub fn new(rows: u64, keep_records: bool) -> Progress {
        if !std::io::stderr().is_terminal() {
            let deleted = PlainCount::new("deleted", rows, "import records");
            return Progress {
                uploaded: Count::Lines(PlainCount::new("uploaded", rows, "rows")),
                processed: Count::Lines(PlainCount::new("processed", rows, "rows")),
                deleted: (!keep_records).then_some(Count::Lines(deleted)),
            };
        }
        let bars = MultiProgress::new();
        let style = ProgressStyle::with_template(BAR_TEMPLATE)
            .expect("the bar template is valid")
            .progress_chars("=> ");
        // A bar shows from its first count on.
        let bar = |prefix: &'static str, unit: &'static str| Count::Bar {
            bar: bars.add(
                ProgressBar::new(rows)
                    .with_style(style.clone())
                    .with_prefix(prefix)
                    .with_message(unit),
            ),
            started: false,
        };
        Progress {
            uploaded: bar("uploaded", "rows"),
            processed: bar("processed", "rows"),
            deleted: (!keep_records).then(|| bar("deleted", "import records")),
        }
    }

    pub fn uploaded(&mut self, rows: u64) {
        self.uploaded.show(rows);
    }

    pub fn processed(&mut self, rows: u64) {
        self.processed.show(rows);
    }

    pub fn deleted(&mut self, records: u64) {
        if let Some(deleted) = &mut self.deleted {
            deleted.show(records);
        }
    }

    /// Leaves the bars drawn as they are (unfinished ones too, after an error), so the summary or
    /// the error follows them.
    pub fn finish(&self) {
        for count in [
            Some(&self.uploaded),
            Some(&self.processed),
            self.deleted.as_ref(),
        ] {
            if let Some(Count::Bar { bar, .. }) = count
                && !bar.is_finished()
            {
                bar.abandon();
            }
        }
    }
}

impl Count {
    fn show(&mut self, done: u64) {
        match self {
            Count::Bar { bar, started } => {
                // Its clock runs from its first count, not from the start of the command.
                if !*started {
                    bar.reset_elapsed();
                    *started = true;
                }
                bar.set_position(done);
                // Stops its clock.
                if Some(done) == bar.length() {
                    bar.finish();
                }
            }
            Count::Lines(count) => {
                if let Some(line) = count.line(done, Instant::now()) {
                    eprintln!("{line}");
                }
            }
        }
    }
}

/// One count shown as plain lines, e.g. `uploaded 500/10000 rows`.
struct PlainCount {
    verb: &'static str,
    total: u64,
    unit: &'static str,
    /// The count last printed and when.
    shown: Option<(u64, Instant)>,
}

impl PlainCount {
    fn new(verb: &'static str, total: u64, unit: &'static str) -> PlainCount {
        PlainCount {
            verb,
            total,
            unit,
            shown: None,
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
            format!("{} {done}/{} {}", self.verb, self.total, self.unit)
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
        let mut count = PlainCount::new("processed", 1000, "rows");
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
