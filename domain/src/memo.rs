//! Results kept while nothing they depend on changed: the catalog, a client's score and charts
//! (the portfolio's scores and counts are kept per client instead: [`crate::scoring::live`]).
//!
//! A result is kept under a key made of
//! - the audit log's head (seq and hash): every change of data appends an entry in its own
//!   transaction, so an unmoved head means unchanged data (on any server sharing the database;
//!   the hash tells two databases apart); or, for the catalog, the kept scores' generation,
//!   which every change of the catalog moves ([`Key::of_catalog`]);
//! - the minute of `now`: time alone moves staleness, deadlines and overdue reviews, so a
//!   result is never older than a minute of the clock;
//! - what the reader may see (the visibility's binds);
//! - which database it is (a process may open several: tests, tools).
//!
//! Reading the head is one small query. On a miss one request computes while the others asking
//! for the same scope wait for its result (rather than all computing at once: eight concurrent
//! loads after a change would each hold the whole portfolio's inputs; and while changes follow
//! each other, a computation for each new head would start before the last one ended). Requests
//! for other scopes (another reader's visibility, another database) do not wait for it.

use crate::db::Db;
use crate::error::Result;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// The database (tests and tools may open several in one process).
    database: String,
    seq: i64,
    hash: String,
    minute: i64,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    /// Anything else the result depends on (the calendar's zone, a page's arguments).
    detail: String,
}

impl Key {
    /// The key without the moment (head and minute): what the result is of, whenever.
    fn scope(&self) -> Key {
        Key { seq: 0, hash: String::new(), minute: 0, ..self.clone() }
    }

    /// At the same head and minute.
    fn same_moment(&self, other: &Key) -> bool {
        self.seq == other.seq && self.hash == other.hash && self.minute == other.minute
    }

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
            detail: String::new(),
        })
    }

    /// The key of a result that changes with what the clients' kept scores change with (see
    /// [`crate::scoring::live`]): their version and generation stand for the head. Sign-ins and
    /// other changes that reach no client leave it where it was.
    pub(crate) fn of_kept_scores(
        db: &Db,
        version: i64,
        generation: i64,
        now: DateTime<Utc>,
        assigned_to: Option<i64>,
        only_client: Option<i64>,
    ) -> Key {
        Key {
            database: db.identity(),
            seq: version,
            hash: format!("kept scores, generation {generation}"),
            minute: now.timestamp().div_euclid(60),
            assigned_to,
            only_client,
            detail: String::new(),
        }
    }

    /// The key of the catalog: every change of it (a load at start, a custom control) moves the
    /// kept scores' generation (see [`crate::scoring::live`]), which changes of clients' data
    /// leave where it was.
    pub(crate) async fn of_catalog(db: &Db, now: DateTime<Utc>) -> Result<Key> {
        let generation: i64 = crate::on_pool!(db, |pool| {
            sqlx::query_scalar("SELECT generation FROM score_state WHERE id = 1").fetch_one(pool).await?
        });
        Ok(Key::of_kept_scores(db, 0, generation, now, None, None).with_detail("catalog"))
    }

    /// The same key, told apart by something else the result depends on.
    pub(crate) fn with_detail(self, detail: impl Into<String>) -> Key {
        Key { detail: detail.into(), ..self }
    }
}

/// A few results by key (one per scope in use; the oldest go first).
pub(crate) struct Memo<T> {
    entries: Mutex<Vec<(Key, Held<T>)>>,
    /// The scopes being computed (keys without their moment), each with a lock its computation
    /// holds, so that one request computes and the rest asking in the same scope wait.
    computing: Mutex<Vec<(Key, Arc<tokio::sync::Mutex<()>>)>>,
    /// How many results it keeps.
    keep: usize,
    /// Keeps results only while something else holds them (see [`Memo::while_in_use`]).
    weak: bool,
}

/// A result as a memo holds it.
enum Held<T> {
    Kept(Arc<T>),
    /// Shared while in use elsewhere, gone with its last user.
    InUse(Weak<T>),
}

impl<T> Held<T> {
    fn get(&self) -> Option<Arc<T>> {
        match self {
            Held::Kept(value) => Some(value.clone()),
            Held::InUse(value) => value.upgrade(),
        }
    }
}

/// How many results a memo keeps by default (scopes: everyone, each limited technician, each
/// viewer).
const KEEP: usize = 32;

impl<T> Memo<T> {
    pub(crate) const fn new() -> Memo<T> {
        Memo::with_capacity(KEEP)
    }

    /// A memo that keeps up to `keep` results.
    pub(crate) const fn with_capacity(keep: usize) -> Memo<T> {
        Memo { entries: Mutex::new(Vec::new()), computing: Mutex::new(Vec::new()), keep, weak: false }
    }

    /// A memo that shares a result among those computing with it at the same moment, and lets it
    /// go with its last user: for large inputs of kept results (the portfolio's grants), which
    /// are read again only when those results are computed again.
    pub(crate) const fn while_in_use() -> Memo<T> {
        Memo { entries: Mutex::new(Vec::new()), computing: Mutex::new(Vec::new()), keep: KEEP, weak: true }
    }

    /// The result kept under `key`, or `compute`'s, kept. Only one computation of a scope runs
    /// at a time: a request that waited finds the result the one before it kept (when its key
    /// is still the latest).
    pub(crate) async fn get_or_compute<F, Fut>(&self, key: Key, compute: F) -> Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if let Some(kept) = self.get(&key) {
            return Ok(kept);
        }
        let in_flight = InFlight { memo: self, lock: self.lock_of(&key.scope()) };
        let _turn = in_flight.lock.clone().lock_owned().await;
        if let Some(kept) = self.get(&key) {
            return Ok(kept);
        }
        // What was kept under an older head or minute is never asked for again: let it go
        // before computing, so that the old result and the new are not both held meanwhile.
        self.forget_other_moments(&key);
        let value = Arc::new(compute().await?);
        self.put(key, value.clone());
        Ok(value)
    }

    /// Drops the results of `key`'s database kept under another head or minute.
    fn forget_other_moments(&self, key: &Key) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|(k, _)| k.database != key.database || k.same_moment(key));
    }

    /// The lock of a scope's computations (made when none is under way).
    fn lock_of(&self, key: &Key) -> Arc<tokio::sync::Mutex<()>> {
        let mut computing = self.computing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, lock)) = computing.iter().find(|(k, _)| k == key) {
            return lock.clone();
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        computing.push((key.clone(), lock.clone()));
        lock
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().find(|(k, _)| k == key).and_then(|(_, v)| v.get())
    }

    pub(crate) fn put(&self, key: Key, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Results of older heads or minutes are never asked for again, nor those gone.
        entries.retain(|(k, v)| (k.database != key.database || k.same_moment(&key)) && v.get().is_some());
        if entries.len() >= self.keep {
            entries.remove(0);
        }
        let held = if self.weak { Held::InUse(Arc::downgrade(&value)) } else { Held::Kept(value) };
        entries.push((key, held));
    }
}

/// A request's part in computing in a scope: when the last request holding or awaiting the
/// scope's lock is done (finished, failed or cancelled), the lock is forgotten.
struct InFlight<'a, T> {
    memo: &'a Memo<T>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl<T> Drop for InFlight<'_, T> {
    fn drop(&mut self) {
        let mut computing = self.memo.computing.lock().unwrap_or_else(|e| e.into_inner());
        // References are only taken under `computing`. A lock is in use while a reference other
        // than the list's (and, for this one, this request's) is alive; the rest are forgotten,
        // with any a cancelled request left behind.
        computing.retain(|(_, lock)| {
            let own = usize::from(Arc::ptr_eq(lock, &self.lock));
            Arc::strong_count(lock) > 1 + own
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seq: i64, minute: i64, only_client: Option<i64>) -> Key {
        Key {
            database: "db".into(),
            seq,
            hash: format!("h{seq}"),
            minute,
            assigned_to: None,
            only_client,
            detail: String::new(),
        }
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
        assert_eq!(memo.get(&key(1, 10, None).with_detail("Europe/Berlin")), None, "another detail");
        // A newer head drops what was kept under the old one.
        memo.put(key(2, 10, None), Arc::new(8));
        assert_eq!(memo.get(&key(1, 10, None)), None);
        assert_eq!(memo.get(&key(2, 10, None)).as_deref(), Some(&8));
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        static MEMO: Memo<u32> = Memo::new();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let compute = || async {
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Let the other requests arrive while this one computes.
            tokio::task::yield_now().await;
            Ok(42)
        };
        let (a, b, c) = tokio::join!(
            MEMO.get_or_compute(key(5, 1, None), compute),
            MEMO.get_or_compute(key(5, 1, None), compute),
            MEMO.get_or_compute(key(5, 1, None), compute),
        );
        assert_eq!((*a.unwrap(), *b.unwrap(), *c.unwrap()), (42, 42, 42));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1, "the waiting requests used the kept result");
        // A failed computation keeps nothing.
        let failed: Result<Arc<u32>> =
            MEMO.get_or_compute(key(6, 1, None), || async { Err(crate::error::DomainError::NotFound) }).await;
        assert!(failed.is_err());
        assert_eq!(MEMO.get(&key(6, 1, None)), None);
        assert!(MEMO.computing.lock().unwrap().is_empty(), "no lock is kept once nobody computes");
    }

    #[tokio::test]
    async fn other_scopes_do_not_wait_for_a_computation() {
        let memo: Memo<u32> = Memo::new();
        let (started, waiting) = tokio::sync::oneshot::channel::<()>();
        // Scope 1's computation finishes only once scope 2's has run: with one lock for the
        // whole memo this would never end.
        let slow = memo.get_or_compute(key(1, 1, None), || async {
            waiting.await.expect("scope 2 was computed");
            Ok(1)
        });
        let quick = memo.get_or_compute(key(1, 1, Some(9)), || async {
            started.send(()).expect("scope 1 is waiting");
            Ok(2)
        });
        let both = tokio::time::timeout(std::time::Duration::from_secs(10), async { tokio::join!(slow, quick) });
        let (slow, quick) = both.await.expect("the computations of two scopes ran side by side");
        assert_eq!((*slow.unwrap(), *quick.unwrap()), (1, 2));
        assert!(memo.computing.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_newer_head_waits_for_the_computation_under_way_in_its_scope() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let memo: Memo<u32> = Memo::new();
        let first_done = AtomicBool::new(false);
        let first = memo.get_or_compute(key(1, 1, None), || async {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            first_done.store(true, Ordering::SeqCst);
            Ok(1)
        });
        // A change was made meanwhile: the next head's computation starts after the first.
        let second = memo.get_or_compute(key(2, 1, None), || async {
            assert!(first_done.load(Ordering::SeqCst), "two computations of one scope ran at once");
            Ok(2)
        });
        let (first, second) = tokio::join!(first, second);
        assert_eq!((*first.unwrap(), *second.unwrap()), (1, 2));
        assert_eq!(memo.get(&key(2, 1, None)).as_deref(), Some(&2));
        assert!(memo.computing.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_older_moment_is_let_go_before_the_newer_one_is_computed() {
        let memo: Memo<Vec<u8>> = Memo::new();
        let old = Arc::new(vec![1]);
        memo.put(key(1, 1, None), old.clone());
        memo.put(key(1, 1, Some(3)), Arc::new(vec![3]));
        let other_database = Key { database: "other".into(), ..key(1, 1, None) };
        memo.put(other_database.clone(), Arc::new(vec![9]));
        let new = memo
            .get_or_compute(key(2, 1, None), || async {
                // Only this test's handle holds the old result while the new one is computed.
                assert_eq!(Arc::strong_count(&old), 1, "the memo let the old result go");
                assert_eq!(memo.get(&key(1, 1, Some(3))), None, "every scope's old result");
                assert!(memo.get(&other_database).is_some(), "another database's results stay");
                Ok(vec![2])
            })
            .await
            .unwrap();
        assert_eq!(*new, vec![2]);
    }

    #[tokio::test]
    async fn a_result_kept_while_in_use_is_shared_then_let_go() {
        let memo: Memo<Vec<u8>> = Memo::while_in_use();
        let first = memo.get_or_compute(key(1, 1, None), || async { Ok(vec![1]) }).await.unwrap();
        let again = memo.get_or_compute(key(1, 1, None), || async { Ok(vec![2]) }).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "shared while in use");
        drop((first, again));
        assert_eq!(memo.get(&key(1, 1, None)), None, "gone with its last user");
        let later = memo.get_or_compute(key(1, 1, None), || async { Ok(vec![3]) }).await.unwrap();
        assert_eq!(*later, vec![3], "computed again");
    }
}
