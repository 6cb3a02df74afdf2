//! The portfolio's ranking and governance debt, kept while nothing they depend on changed.
//!
//! Both read every client's checklist, grants and reviews (2,000 clients: over 100,000 rows) and
//! score them all, for a page that managers load many times a day between changes. A result is
//! kept under a key made of
//! - the audit log's head (seq and hash): every change of data appends an entry in its own
//!   transaction, so an unmoved head means unchanged data (on any server sharing the database;
//!   the hash tells two databases apart);
//! - the minute of `now`: time alone moves staleness, deadlines and overdue reviews, so a
//!   result is never older than a minute of the clock;
//! - what the reader may see (the visibility's binds);
//! - which database it is (a process may open several: tests, tools).
//!
//! Reading the head is one small query; a miss computes as before.

use crate::db::Db;
use crate::error::Result;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// The database (tests and tools may open several in one process).
    database: String,
    seq: i64,
    hash: String,
    minute: i64,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
}

impl Key {
    pub(crate) async fn of(
        db: &Db,
        now: DateTime<Utc>,
        assigned_to: Option<i64>,
        only_client: Option<i64>,
    ) -> Result<Key> {
        let head = crate::audit::store::head(db).await?;
        Ok(Key {
            database: db.identity(),
            seq: head.seq,
            hash: head.last_hash,
            minute: now.timestamp().div_euclid(60),
            assigned_to,
            only_client,
        })
    }
}

/// A few results by key (one per scope in use; the oldest go first).
pub(crate) struct Memo<T> {
    entries: Mutex<Vec<(Key, Arc<T>)>>,
}

/// How many results one memo keeps (scopes: everyone, each limited technician, each viewer).
const KEEP: usize = 32;

impl<T> Memo<T> {
    pub(crate) const fn new() -> Memo<T> {
        Memo { entries: Mutex::new(Vec::new()) }
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    pub(crate) fn put(&self, key: Key, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Results of older heads or minutes are never asked for again.
        entries.retain(|(k, _)| {
            k.database != key.database || (k.seq == key.seq && k.hash == key.hash && k.minute == key.minute)
        });
        if entries.len() >= KEEP {
            entries.remove(0);
        }
        entries.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seq: i64, minute: i64, only_client: Option<i64>) -> Key {
        Key { database: "db".into(), seq, hash: format!("h{seq}"), minute, assigned_to: None, only_client }
    }

    #[test]
    fn a_result_is_found_only_under_its_own_key() {
        let memo: Memo<u32> = Memo::new();
        memo.put(key(1, 10, None), Arc::new(7));
        assert_eq!(memo.get(&key(1, 10, None)).as_deref(), Some(&7));
        assert_eq!(memo.get(&key(2, 10, None)), None, "a change was made");
        assert_eq!(memo.get(&key(1, 11, None)), None, "a minute passed");
        assert_eq!(memo.get(&key(1, 10, Some(3))), None, "another scope");
        let other_database = Key { database: "other".into(), ..key(1, 10, None) };
        assert_eq!(memo.get(&other_database), None, "another database with the same head");
        // A newer head drops what was kept under the old one.
        memo.put(key(2, 10, None), Arc::new(8));
        assert_eq!(memo.get(&key(1, 10, None)), None);
        assert_eq!(memo.get(&key(2, 10, None)).as_deref(), Some(&8));
    }
}
