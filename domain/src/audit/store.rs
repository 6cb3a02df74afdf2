//! Audit storage: appending inside the caller's transaction, listing, verifying, and the
//! forwarding cursors. Callers authorize; see `mod.rs`.
//!
//! Every change is written with its audit entry in one transaction, by one primitive:
//!
//! ```ignore
//! let id = audited!(db, |tx| {
//!     let id: i64 = sqlx::query_scalar("INSERT … RETURNING id").fetch_one(&mut *tx).await?;
//!     tx.append(&record.client(id)).await?;   // as many as the change needs
//!     id
//! })?;
//! ```
//!
//! [`audited!`] begins a write transaction whose first statement locks the one row of
//! `audit_head`. On SQLite that takes the database's write lock at the start (a deferred
//! transaction that first reads and later writes would fail with SQLITE_BUSY if another writer
//! committed in between); on PostgreSQL it locks the row until commit. Either way appends are
//! serialised, so every entry follows the one committed before it. The body runs once per
//! backend (its queries are typed by the backend); when it ends with a value the transaction
//! commits, and when it returns early (`?`, or `return Ok(…)` for "nothing to change") it rolls
//! back, taking its entries and their sequence numbers with it. Each entry also counts the
//! change in the kept scores of the clients it reaches, in the same transaction, and once
//! committed those clients' scores are recomputed ([`crate::scoring::live`]).

use super::model::{Entry, Record};
use crate::db::BeginWrite;
use crate::db::Db;
use crate::error::Result;
use crate::on_pool;
use chrono::{DateTime, Utc};

/// The head of the chain as a transaction sees it after [`lock_chain!`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub seq: i64,
    pub last_hash: String,
}

impl Chain {
    /// The next entry for `record`, now; the chain moves to it.
    pub fn push(&mut self, record: &Record) -> Entry {
        let entry = Entry::next(self.seq, &self.last_hash, record, crate::clock::now());
        self.seq = entry.seq;
        self.last_hash = entry.hash.clone();
        entry
    }
}

/// Locks the chain's head in a transaction and reads it. Must be the transaction's first
/// statement. Evaluates to `Result<Chain, sqlx::Error>`.
macro_rules! lock_chain {
    ($tx:expr) => {
        sqlx::query_as::<_, (i64, String)>("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, last_hash")
            .fetch_one(&mut *$tx)
            .await
            .map(|(seq, last_hash)| $crate::audit::store::Chain { seq, last_hash })
    };
}

/// Appends `record` to the chain in the transaction, moves the head, and counts the change in
/// the kept scores of the clients it reaches ([`crate::scoring::live`]). Evaluates to
/// `Result<Vec<i64>, sqlx::Error>`: the clients to recompute once the transaction commits.
macro_rules! append {
    ($tx:expr, $chain:expr, $record:expr) => {{
        let entry = $chain.push($record);
        let appended: std::result::Result<Vec<i64>, sqlx::Error> = async {
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor_user_id, actor, client_id, object, action, summary, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(entry.seq)
            .bind(entry.at)
            .bind(entry.actor_user_id)
            .bind(&entry.actor)
            .bind(entry.client_id)
            .bind(&entry.object)
            .bind(&entry.action)
            .bind(&entry.summary)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("UPDATE audit_head SET seq = $1, last_hash = $2 WHERE id = 1")
                .bind(entry.seq)
                .bind(&entry.hash)
                .execute(&mut *$tx)
                .await?;
            // The change counts in the kept scores of the clients it reaches.
            $crate::scoring::live::mark!($tx, $record)
        }
        .await;
        appended
    }};
}

/// A write transaction that holds the audit chain (see the module's doc). `&mut *tx` is its
/// connection, as with sqlx's own transaction.
pub struct AuditedTx<DB: sqlx::Database> {
    tx: crate::db::WriteTx<DB>,
    chain: Chain,
    /// The clients whose scores the appended changes reach, to recompute after the commit.
    reached: Vec<i64>,
}

impl<DB: sqlx::Database> std::ops::Deref for AuditedTx<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for AuditedTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// Beginning an audited write on a pool.
pub trait BeginAudited {
    type Db: sqlx::Database;

    /// Begins a write transaction and locks the chain (its first statement).
    #[allow(async_fn_in_trait)]
    async fn begin_audited(&self) -> std::result::Result<AuditedTx<Self::Db>, sqlx::Error>;
}

/// [`AuditedTx`]'s operations, written once and compiled for each backend.
macro_rules! audited_tx_for {
    ($backend:ty, $pool:ty) => {
        impl BeginAudited for $pool {
            type Db = $backend;

            async fn begin_audited(&self) -> std::result::Result<AuditedTx<$backend>, sqlx::Error> {
                let mut tx = self.begin_write().await?;
                let chain = lock_chain!(tx)?;
                Ok(AuditedTx { tx, chain, reached: Vec::new() })
            }
        }

        impl AuditedTx<$backend> {
            /// Appends `record` to the chain, in this transaction.
            pub async fn append(&mut self, record: &Record) -> std::result::Result<(), sqlx::Error> {
                let reached = append!(self.tx, self.chain, record)?;
                self.reached.extend(reached);
                Ok(())
            }

            /// Commits; returns the clients whose scores the changes reached.
            pub async fn commit(self) -> std::result::Result<Vec<i64>, sqlx::Error> {
                self.tx.commit().await?;
                Ok(self.reached)
            }
        }
    };
}

audited_tx_for!(sqlx::Sqlite, sqlx::SqlitePool);
audited_tx_for!(sqlx::Postgres, sqlx::PgPool);

/// A change and its audit entries in one transaction (see the module's doc): evaluates to
/// `Result<T, sqlx::Error>`, where `T` is the body's value.
macro_rules! audited {
    ($db:expr, |$tx:ident| $body:expr) => {{
        let db: &$crate::db::Db = $db;
        let mut reached: Vec<i64> = Vec::new();
        let done: std::result::Result<_, sqlx::Error> = $crate::on_pool!(db, |pool| {
            async {
                let mut $tx = $crate::audit::store::BeginAudited::begin_audited(pool).await?;
                let value = $body;
                reached = $tx.commit().await?;
                Ok(value)
            }
            .await
        });
        // Once committed, the scores of the clients the change reached are recomputed.
        $crate::scoring::live::after_change(db, &reached).await;
        done
    }};
}

/// One conditional statement and its audit entry in one transaction: `record` is appended only
/// when the statement (a query with its binds) changed exactly one row; otherwise nothing is
/// written. Evaluates to `Result<bool, sqlx::Error>` (false: nothing changed).
macro_rules! audited_one {
    ($db:expr, $record:expr, $query:expr) => {
        $crate::audit::store::audited!($db, |tx| {
            if $query.execute(&mut *tx).await?.rows_affected() != 1 {
                return Ok(false);
            }
            tx.append($record).await?;
            true
        })
    };
}

pub(crate) use {append, audited, audited_one, lock_chain};

/// Appends records in a transaction of their own (sign-in, sign-out, exports: nothing else
/// changes). All or none.
pub async fn append_alone(db: &Db, records: &[Record]) -> Result<()> {
    audited!(db, |tx| {
        for record in records {
            tx.append(record).await?;
        }
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    at: DateTime<Utc>,
    actor_user_id: Option<i64>,
    actor: String,
    client_id: Option<i64>,
    object: String,
    action: String,
    summary: String,
    prev_hash: String,
    hash: String,
}

impl From<EntryRow> for Entry {
    fn from(r: EntryRow) -> Entry {
        Entry {
            seq: r.seq,
            at: r.at,
            actor_user_id: r.actor_user_id,
            actor: r.actor,
            client_id: r.client_id,
            object: r.object,
            action: r.action,
            summary: r.summary,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

const ENTRY_COLUMNS: &str = "seq, at, actor_user_id, actor, client_id, object, action, summary, prev_hash, hash";

/// Which entries to list; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub client_id: Option<i64>,
    /// Part of the actor's label, lower case, without LIKE wildcards.
    pub actor: Option<String>,
    /// An action ("client.update"), or a family of them ("client").
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

const FILTER_WHERE: &str = "WHERE ($1 IS NULL OR client_id = $1)
   AND ($2 IS NULL OR lower(actor) LIKE $2)
   AND ($3 IS NULL OR action = $3 OR action LIKE $4)
   AND ($5 IS NULL OR at >= $5)
   AND ($6 IS NULL OR at < $6)";

/// Entries matching `filter`, newest first, with the number of matches.
pub async fn list_entries(db: &Db, filter: &EntryFilter, limit: i64, offset: i64) -> Result<(Vec<Entry>, i64)> {
    let actor = filter.actor.as_ref().map(|a| format!("%{a}%"));
    let family = filter.action.as_ref().map(|a| format!("{a}.%"));
    // One client's entries by the client index (the `$1 IS NULL OR` form alone scans them all).
    let one_client = if filter.client_id.is_some() { " AND client_id = $1" } else { "" };
    let list_sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log {FILTER_WHERE}{one_client} ORDER BY seq DESC LIMIT $7 OFFSET $8"
    );
    let count_sql = format!("SELECT COUNT(*) FROM audit_log {FILTER_WHERE}{one_client}");
    let (rows, total): (Vec<EntryRow>, i64) = on_pool!(db, |pool| {
        let rows = sqlx::query_as(&list_sql)
            .bind(filter.client_id)
            .bind(&actor)
            .bind(&filter.action)
            .bind(&family)
            .bind(filter.from)
            .bind(filter.to)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar(&count_sql)
            .bind(filter.client_id)
            .bind(&actor)
            .bind(&filter.action)
            .bind(&family)
            .bind(filter.from)
            .bind(filter.to)
            .fetch_one(pool)
            .await?;
        (rows, total)
    });
    Ok((rows.into_iter().map(Entry::from).collect(), total))
}

/// Up to `limit` entries after `seq`, oldest first (for verifying and forwarding).
pub async fn entries_after(db: &Db, seq: i64, limit: i64) -> Result<Vec<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
    let rows: Vec<EntryRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(seq).bind(limit).fetch_all(pool).await?);
    Ok(rows.into_iter().map(Entry::from).collect())
}

pub async fn find_entry(db: &Db, seq: i64) -> Result<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq = $1");
    let row: Option<EntryRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(seq).fetch_optional(pool).await?);
    Ok(row.map(Entry::from))
}

/// The head as stored: the last entry's seq and hash (0 and the genesis hash when empty).
pub async fn head(db: &Db) -> Result<Chain> {
    let (seq, last_hash): (i64, String) = on_pool!(db, |pool| {
        sqlx::query_as("SELECT seq, last_hash FROM audit_head WHERE id = 1").fetch_one(pool).await?
    });
    Ok(Chain { seq, last_hash })
}

/// The clients named by entries: id → (slug, name), archived ones too.
pub async fn client_names(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(on_pool!(db, |pool| {
        let mut qb = sqlx::QueryBuilder::new("SELECT id, slug, name FROM clients WHERE id IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        qb.push(")");
        qb.build_query_as().fetch_all(pool).await?
    }))
}

/// Every client (archived too), for the viewer's filter: (id, slug, name).
pub async fn all_clients(db: &Db) -> Result<Vec<(i64, String, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, slug, name FROM clients ORDER BY name, id").fetch_all(pool).await?
    }))
}

/// A receiver's forwarding state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SinkRow {
    pub name: String,
    pub delivered_seq: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failures: i64,
    pub last_error: String,
    pub last_attempt_at: Option<DateTime<Utc>>,
}

pub async fn list_sinks(db: &Db) -> Result<Vec<SinkRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT name, delivered_seq, delivered_at, failures, last_error, last_attempt_at FROM audit_sinks ORDER BY name",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// A receiver's cursor, if it has a row yet.
pub async fn sink_cursor(db: &Db, name: &str) -> Result<Option<i64>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT delivered_seq FROM audit_sinks WHERE name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await?
    }))
}

/// Claims (or renews) the lease on a receiver for `owner` until `until`; false while another
/// server holds an unexpired lease. Returns the receiver's cursor when claimed.
pub async fn claim_sink(
    db: &Db,
    name: &str,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Option<i64>> {
    let claimed: Option<i64> = on_pool!(db, |pool| {
        sqlx::query("INSERT INTO audit_sinks (name, delivered_seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(pool)
            .await?;
        sqlx::query_scalar(
            "UPDATE audit_sinks SET lease_owner = $2, lease_until = $3 \
             WHERE name = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $4) \
             RETURNING delivered_seq",
        )
        .bind(name)
        .bind(owner)
        .bind(until)
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    Ok(claimed)
}

/// Moves a receiver's cursor forward to `seq` (only while `owner` holds the lease, and never
/// backwards). False when the lease was lost.
pub async fn advance_sink(db: &Db, name: &str, owner: &str, seq: i64, now: DateTime<Utc>) -> Result<bool> {
    let done = on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE audit_sinks SET delivered_seq = $3, delivered_at = $4, failures = 0, last_error = '', \
             last_attempt_at = $4 WHERE name = $1 AND lease_owner = $2 AND delivered_seq < $3",
        )
        .bind(name)
        .bind(owner)
        .bind(seq)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

/// Records a failed delivery (for the operator: `rampart audit sinks`).
pub async fn record_sink_failure(db: &Db, name: &str, owner: &str, error: &str, now: DateTime<Utc>) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE audit_sinks SET failures = failures + 1, last_error = $3, last_attempt_at = $4 \
             WHERE name = $1 AND lease_owner = $2",
        )
        .bind(name)
        .bind(owner)
        .bind(error)
        .bind(now)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Gives up a lease (at shutdown), so that another server may take over at once.
pub async fn release_sink(db: &Db, name: &str, owner: &str) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE audit_sinks SET lease_owner = NULL, lease_until = NULL WHERE name = $1 AND lease_owner = $2",
        )
        .bind(name)
        .bind(owner)
        .execute(pool)
        .await?;
    });
    Ok(())
}
