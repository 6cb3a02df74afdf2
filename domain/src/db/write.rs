//! Write transactions, queued in the process on SQLite.
//!
//! SQLite has one writer at a time. A connection that finds the write lock taken waits in
//! SQLite's busy handler, which sleeps in steps of 1, 2, 5, 10, 15, 20, 25… ms and tries again:
//! with eight writers at once, a change waited well over 100 ms though the lock was free again
//! after a few. Writers in this process therefore take their turn on an async lock first,
//! which hands the turn on the moment the previous transaction ends, in arrival order. The busy
//! handler still covers other processes (the CLI, a second server) and statements outside these
//! transactions (sessions).
//!
//! On PostgreSQL a transaction begins as before: its row locks queue writers themselves.
//!
//! A write of rows derived from others ([`BeginDerived`]: the kept scores, which a change marks
//! out of date in its own transaction) commits without waiting for the disk: on SQLite with
//! `synchronous=NORMAL` for that transaction (the write-ahead log is synced by the next change's
//! commit, or by a checkpoint), on PostgreSQL with `synchronous_commit = off`. A crash of the
//! machine can lose such a commit, never a change: the row stays marked out of date and is
//! computed again. Each change thus waits for one sync of the disk, not two.

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// A transaction that holds its database's turn to write until it ends. `&mut *tx` is its
/// connection, as with sqlx's own transaction.
pub struct WriteTx<DB: sqlx::Database> {
    tx: Transaction<'static, DB>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// How long a writer waits for its turn in the process before it begins anyway (and waits in
/// SQLite's busy handler, as before): a nested write in one task must not hang forever.
const TURN_WAIT: Duration = Duration::from_secs(5);

/// Beginning a write transaction on a pool.
pub trait BeginWrite {
    type Db: sqlx::Database;

    #[allow(async_fn_in_trait)]
    async fn begin_write(&self) -> Result<WriteTx<Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;

    async fn begin_write(&self) -> Result<WriteTx<sqlx::Sqlite>, sqlx::Error> {
        let turn = turn_of(self).await;
        Ok(WriteTx { tx: self.begin().await?, _turn: turn })
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;

    async fn begin_write(&self) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        Ok(WriteTx { tx: self.begin().await?, _turn: None })
    }
}

/// Beginning a write of derived rows (see the module), which holds the database's turn to write
/// like [`BeginWrite`].
pub trait BeginDerived {
    type Tx: DerefMut<Target = <Self::Db as sqlx::Database>::Connection>;
    type Db: sqlx::Database;

    #[allow(async_fn_in_trait)]
    async fn begin_derived(&self) -> Result<Self::Tx, sqlx::Error>;
}

/// A derived write on SQLite: a pooled connection switched to `synchronous=NORMAL` until its
/// commit switches it back. A connection left otherwise (an error, a dropped future) is closed,
/// never returned to the pool, so no change can be committed later without its sync.
pub struct DerivedTx {
    conn: PoolConnection<Sqlite>,
    _turn: Option<OwnedMutexGuard<()>>,
    restored: bool,
}

impl DerivedTx {
    /// Commits and switches the connection back, in one round trip to SQLite's thread (a
    /// failure of either leaves `restored` false: the connection is closed).
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        sqlx::Executor::execute(&mut *self.conn, "COMMIT; PRAGMA synchronous = FULL").await?;
        self.restored = true;
        Ok(())
    }
}

impl Drop for DerivedTx {
    fn drop(&mut self) {
        if !self.restored {
            self.conn.close_on_drop();
        }
    }
}

impl Deref for DerivedTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.conn
    }
}

impl DerefMut for DerivedTx {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.conn
    }
}

impl BeginDerived for SqlitePool {
    type Tx = DerivedTx;
    type Db = sqlx::Sqlite;

    async fn begin_derived(&self) -> Result<DerivedTx, sqlx::Error> {
        let turn = turn_of(self).await;
        let mut tx = DerivedTx { conn: self.acquire().await?, _turn: turn, restored: false };
        sqlx::Executor::execute(&mut *tx.conn, "PRAGMA synchronous = NORMAL; BEGIN").await?;
        Ok(tx)
    }
}

impl BeginDerived for PgPool {
    type Tx = WriteTx<sqlx::Postgres>;
    type Db = sqlx::Postgres;

    async fn begin_derived(&self) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        Ok(tx)
    }
}

/// The database's turn to write in this process (`None`: not had within [`TURN_WAIT`]).
async fn turn_of(pool: &SqlitePool) -> Option<OwnedMutexGuard<()>> {
    let gate = gate_of(&pool.connect_options().get_filename().to_string_lossy());
    tokio::time::timeout(TURN_WAIT, gate.lock_owned()).await.ok()
}

/// The one gate of a database file (pools opened on the same file share it).
fn gate_of(file: &str) -> Arc<tokio::sync::Mutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut gates = GATES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    gates.entry(file.to_string()).or_default().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_on_the_same_file_share_a_gate() {
        assert!(Arc::ptr_eq(&gate_of("/tmp/a.db"), &gate_of("/tmp/a.db")));
        assert!(!Arc::ptr_eq(&gate_of("/tmp/a.db"), &gate_of("/tmp/b.db")));
    }

    /// A pool of one connection on a fresh file, synced in full as the server's.
    async fn one_connection() -> (tempfile::TempDir, SqlitePool) {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
        let dir = tempfile::tempdir().expect("a temporary folder");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("derived.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.expect("opened");
        sqlx::query("CREATE TABLE t (n INTEGER)").execute(&pool).await.expect("created");
        (dir, pool)
    }

    async fn synchronous(pool: &SqlitePool) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous").fetch_one(pool).await.expect("read")
    }

    #[tokio::test]
    async fn a_derived_write_commits_and_leaves_its_connection_synced_in_full() {
        let (_dir, pool) = one_connection().await;
        assert_eq!(synchronous(&pool).await, 2, "FULL before");
        let mut tx = pool.begin_derived().await.expect("begun");
        assert_eq!(sqlx::query_scalar::<_, i64>("PRAGMA synchronous").fetch_one(&mut *tx).await.unwrap(), 1);
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *tx).await.expect("written");
        tx.commit().await.expect("committed");
        assert_eq!(synchronous(&pool).await, 2, "FULL again on the same connection");
        assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM t").fetch_one(&pool).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_derived_write_left_unfinished_closes_its_connection() {
        let (_dir, pool) = one_connection().await;
        let mut tx = pool.begin_derived().await.expect("begun");
        sqlx::query("INSERT INTO t VALUES (1)").execute(&mut *tx).await.expect("written");
        drop(tx);
        // The only connection was closed, not returned: the next one is new, synced in full,
        // and the unfinished write is gone.
        assert_eq!(synchronous(&pool).await, 2);
        assert_eq!(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM t").fetch_one(&pool).await.unwrap(), 0);
        // And the database's turn to write was handed on.
        let mut again = pool.begin_derived().await.expect("begun again");
        sqlx::query("INSERT INTO t VALUES (2)").execute(&mut *again).await.expect("written");
        again.commit().await.expect("committed");
    }
}
