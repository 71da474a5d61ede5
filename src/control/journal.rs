//! The request journal: the last requests this instance answered, in a ring bounded in entries and
//! in bytes: each text of an entry is cut at [`MAX_TEXT_BYTES`], and the oldest entries go when
//! the whole would pass [`MAX_BYTES`].

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// How many requests the journal keeps.
pub const CAPACITY: usize = 1000;
/// The most bytes the journal's entries take, texts and fixed parts.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// The longest text (path, query, ids, app) an entry keeps; a longer one is cut, and says so.
pub const MAX_TEXT_BYTES: usize = 2048;
/// What a cut text ends with.
const CUT: &str = "…(truncated)";

/// One answered request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// When it arrived.
    pub time: DateTime<Utc>,
    pub method: String,
    /// The path as sent, and its query string if any.
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub duration_ms: f64,
    pub request_id: String,
    pub client_request_id: String,
    /// The caller's tenant and application, when it was identified.
    pub tenant: Option<Uuid>,
    pub app: Option<String>,
}

impl JournalEntry {
    /// Its texts cut at [`MAX_TEXT_BYTES`].
    fn bounded(mut self) -> JournalEntry {
        for text in [
            &mut self.method,
            &mut self.path,
            &mut self.request_id,
            &mut self.client_request_id,
        ]
        .into_iter()
        .chain(self.query.as_mut())
        .chain(self.app.as_mut())
        {
            cut(text);
        }
        self
    }

    /// The bytes it takes.
    fn size(&self) -> usize {
        std::mem::size_of::<JournalEntry>()
            + self.method.len()
            + self.path.len()
            + self.request_id.len()
            + self.client_request_id.len()
            + self.query.as_ref().map_or(0, String::len)
            + self.app.as_ref().map_or(0, String::len)
    }
}

fn cut(text: &mut String) {
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES - CUT.len();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(CUT);
    }
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<JournalEntry>,
    bytes: usize,
}

pub struct Journal {
    ring: Mutex<Ring>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            ring: Mutex::new(Ring {
                entries: VecDeque::with_capacity(CAPACITY),
                bytes: 0,
            }),
        }
    }
}

impl Journal {
    pub fn record(&self, entry: JournalEntry) {
        let entry = entry.bounded();
        let size = entry.size();
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        while ring.entries.len() == CAPACITY || (ring.bytes + size > MAX_BYTES) {
            let Some(oldest) = ring.entries.pop_front() else {
                break;
            };
            ring.bytes -= oldest.size();
        }
        ring.bytes += size;
        ring.entries.push_back(entry);
    }

    /// The bytes the entries take.
    pub fn bytes(&self) -> usize {
        self.ring.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }

    /// The last `limit` entries, oldest first.
    pub fn last(&self, limit: usize) -> Vec<JournalEntry> {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let entries = &ring.entries;
        let skip = entries.len().saturating_sub(limit);
        entries.iter().skip(skip).cloned().collect()
    }

    pub fn clear(&self) {
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        ring.entries.clear();
        ring.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16) -> JournalEntry {
        JournalEntry {
            time: Utc::now(),
            method: "GET".to_owned(),
            path: "/v1.0/x".to_owned(),
            query: None,
            status,
            duration_ms: 1.0,
            request_id: String::new(),
            client_request_id: String::new(),
            tenant: None,
            app: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_last_entries_oldest_first() {
        let journal = Journal::default();
        for status in 0..(CAPACITY as u16 + 5) {
            journal.record(entry(status));
        }
        let last: Vec<u16> = journal.last(3).iter().map(|e| e.status).collect();
        assert_eq!(last, [1002, 1003, 1004]);
        assert_eq!(journal.last(usize::MAX).len(), CAPACITY);
        assert_eq!(journal.last(usize::MAX)[0].status, 5);
        journal.clear();
        assert!(journal.last(10).is_empty());
        assert_eq!(journal.bytes(), 0);
    }

    /// 1,100 requests with 60 KB queries once took 63 MB; now each query is cut and the whole
    /// stays under its byte bound.
    #[test]
    fn long_texts_are_cut_and_the_ring_is_bounded_in_bytes() {
        let journal = Journal::default();
        for status in 0..1100u16 {
            let mut long = entry(status);
            long.query = Some(format!("$filter={}", "é".repeat(30_000)));
            long.path = "/".repeat(60_000);
            journal.record(long);
        }
        assert!(journal.bytes() <= MAX_BYTES, "{}", journal.bytes());
        let last = journal.last(1).pop().unwrap();
        assert_eq!(last.status, 1099);
        let query = last.query.unwrap();
        assert!(
            query.len() <= MAX_TEXT_BYTES && query.ends_with(CUT),
            "{}",
            query.len()
        );
        assert!(last.path.len() <= MAX_TEXT_BYTES);
        let kept: usize = journal.last(CAPACITY).iter().map(JournalEntry::size).sum();
        assert_eq!(kept, journal.bytes());
    }
}
