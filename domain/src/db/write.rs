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

use sqlx::{PgPool, SqlitePool, Transaction};
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
        let gate = gate_of(&self.connect_options().get_filename().to_string_lossy());
        let turn = tokio::time::timeout(TURN_WAIT, gate.lock_owned()).await.ok();
        Ok(WriteTx { tx: self.begin().await?, _turn: turn })
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;

    async fn begin_write(&self) -> Result<WriteTx<sqlx::Postgres>, sqlx::Error> {
        Ok(WriteTx { tx: self.begin().await?, _turn: None })
    }
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
}
