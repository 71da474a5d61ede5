//! The request journal: the last requests this instance answered, in a bounded ring.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// How many requests the journal keeps.
pub const CAPACITY: usize = 1000;

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

pub struct Journal {
    entries: Mutex<VecDeque<JournalEntry>>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            entries: Mutex::new(VecDeque::with_capacity(CAPACITY)),
        }
    }
}

impl Journal {
    pub fn record(&self, entry: JournalEntry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// The last `limit` entries, oldest first.
    pub fn last(&self, limit: usize) -> Vec<JournalEntry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let skip = entries.len().saturating_sub(limit);
        entries.iter().skip(skip).cloned().collect()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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
    }
}
