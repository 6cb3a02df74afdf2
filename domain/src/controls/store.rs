//! Control storage. Callers authorize; see `mod.rs`.

use super::catalog::Catalog;
use super::model::{AppliesTo, Category, Control, ControlStatus, Reference, ReviewFrequency};
use crate::audit::store::audited;
use crate::audit::Record;
use crate::clients::ImpactTier;
use crate::db::BeginWrite;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
#[error("unexpected value in the database: {0}")]
struct BadValue(String);

fn bad(what: String) -> DomainError {
    DomainError::internal(BadValue(what))
}

pub async fn catalog_version(db: &Db) -> Result<Option<i64>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT version FROM catalog_state WHERE id = 1").fetch_optional(pool).await?
    }))
}

/// Writes the catalog: categories and built-in controls upserted, built-in controls no longer
/// in it retired (never deleted), the version recorded, and `audit` appended (with the ids of
/// the controls retired). One transaction.
pub async fn sync_catalog(db: &Db, catalog: &Catalog, now: DateTime<Utc>, audit: Record) -> Result<()> {
    let result: std::result::Result<(), sqlx::Error> = audited!(db, |tx| {
        for (position, c) in catalog.categories.iter().enumerate() {
            sqlx::query(
                "INSERT INTO control_categories (id, name, description, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, \
                 position = excluded.position",
            )
            .bind(&c.id)
            .bind(&c.name)
            .bind(&c.description)
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
        let existing: Vec<String> = sqlx::query_scalar("SELECT id FROM controls WHERE built_in AND retired_at IS NULL")
            .fetch_all(&mut *tx)
            .await?;
        for (position, c) in catalog.controls.iter().enumerate() {
            sqlx::query(
                "INSERT INTO controls (id, category_id, title, description, severity, review, applies_to, built_in, \
                 position, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, NULL) \
                 ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id, title = excluded.title, \
                 description = excluded.description, severity = excluded.severity, review = excluded.review, \
                 applies_to = excluded.applies_to, built_in = TRUE, position = excluded.position, retired_at = NULL",
            )
            .bind(&c.id)
            .bind(&c.category_id)
            .bind(&c.title)
            .bind(&c.description)
            .bind(c.severity)
            .bind(c.review.as_str())
            .bind(c.applies_to.as_str())
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM control_tiers WHERE control_id = $1").bind(&c.id).execute(&mut *tx).await?;
            for tier in &c.tiers {
                sqlx::query("INSERT INTO control_tiers (control_id, tier) VALUES ($1, $2)")
                    .bind(&c.id)
                    .bind(tier.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM control_references WHERE control_id = $1").bind(&c.id).execute(&mut *tx).await?;
            for (i, r) in c.references.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO control_references (control_id, position, source, item, verified) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&c.id)
                .bind(i as i64)
                .bind(&r.source)
                .bind(&r.item)
                .bind(r.verified)
                .execute(&mut *tx)
                .await?;
            }
        }
        let retired: Vec<&String> =
            existing.iter().filter(|id| !catalog.controls.iter().any(|c| &c.id == *id)).collect();
        for id in &retired {
            sqlx::query("UPDATE controls SET retired_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO catalog_state (id, version, loaded_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, loaded_at = excluded.loaded_at",
        )
        .bind(catalog.version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut audit = audit.clone();
        if !retired.is_empty() {
            let ids: Vec<&str> = retired.iter().map(|id| id.as_str()).collect();
            audit.summary = format!("{}; retired {}", audit.summary, ids.join(", "));
        }
        tx.append(&audit).await?;
    });
    Ok(result?)
}

#[derive(sqlx::FromRow)]
struct ControlRow {
    id: String,
    category_id: String,
    title: String,
    description: String,
    severity: i64,
    review: String,
    applies_to: String,
    built_in: bool,
    retired_at: Option<DateTime<Utc>>,
}

pub async fn list_categories(db: &Db) -> Result<Vec<Category>> {
    let rows: Vec<(String, String, String)> = on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, name, description FROM control_categories ORDER BY position").fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(|(id, name, description)| Category { id, name, description }).collect())
}

/// Every control (retired ones too), in catalog order, with tiers and references. Kept while
/// the catalog did not change (see [`crate::memo::Key::of_catalog`]): every page about a
/// client's controls or score, and every recomputation of a client's kept score after a
/// change, reads the whole catalog (three queries), which changes a few times a year.
pub async fn list_controls(db: &Db) -> Result<Vec<Control>> {
    static CATALOG: crate::memo::Memo<Vec<Control>> = crate::memo::Memo::new();
    let key = crate::memo::Key::of_catalog(db, crate::clock::now()).await?;
    Ok(CATALOG.get_or_compute(key, || load_controls(db, None)).await?.as_ref().clone())
}

/// One control (retired or not), with its tiers and references.
pub async fn find_control(db: &Db, id: &str) -> Result<Option<Control>> {
    Ok(load_controls(db, Some(id)).await?.pop())
}

/// Controls with their tiers and references: all of them, or `only` the one with that id.
async fn load_controls(db: &Db, only: Option<&str>) -> Result<Vec<Control>> {
    type TierRow = (String, String);
    type ReferenceRow = (String, String, String, bool);
    let (rows, tiers, refs): (Vec<ControlRow>, Vec<TierRow>, Vec<ReferenceRow>) = on_pool!(db, |pool| {
        let rows = sqlx::query_as(
            "SELECT c.id, c.category_id, c.title, c.description, c.severity, c.review, c.applies_to, c.built_in, \
                 c.retired_at FROM controls c JOIN control_categories g ON g.id = c.category_id \
                 WHERE ($1 IS NULL OR c.id = $1) ORDER BY g.position, c.position, c.id",
        )
        .bind(only)
        .fetch_all(pool)
        .await?;
        let tiers = sqlx::query_as("SELECT control_id, tier FROM control_tiers WHERE ($1 IS NULL OR control_id = $1)")
            .bind(only)
            .fetch_all(pool)
            .await?;
        let refs = sqlx::query_as(
            "SELECT control_id, source, item, verified FROM control_references \
             WHERE ($1 IS NULL OR control_id = $1) ORDER BY control_id, position",
        )
        .bind(only)
        .fetch_all(pool)
        .await?;
        (rows, tiers, refs)
    });
    let mut tiers_of: HashMap<String, Vec<ImpactTier>> = HashMap::new();
    for (id, tier) in tiers {
        let tier = ImpactTier::parse(&tier).ok_or_else(|| bad(format!("tier {tier:?}")))?;
        tiers_of.entry(id).or_default().push(tier);
    }
    let mut refs_of: HashMap<String, Vec<Reference>> = HashMap::new();
    for (id, source, item, verified) in refs {
        refs_of.entry(id).or_default().push(Reference { source, item, verified });
    }
    rows.into_iter()
        .map(|r| {
            let mut tiers = tiers_of.remove(&r.id).unwrap_or_default();
            tiers.sort_by_key(|t| t.weight());
            Ok(Control {
                review: ReviewFrequency::parse(&r.review).ok_or_else(|| bad(format!("review {:?}", r.review)))?,
                applies_to: AppliesTo::parse(&r.applies_to)
                    .ok_or_else(|| bad(format!("applies_to {:?}", r.applies_to)))?,
                references: refs_of.remove(&r.id).unwrap_or_default(),
                tiers,
                id: r.id,
                category_id: r.category_id,
                title: r.title,
                description: r.description,
                severity: r.severity,
                built_in: r.built_in,
                retired_at: r.retired_at,
            })
        })
        .collect()
}

/// A client's recorded state for one control.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StateRow {
    pub control_id: String,
    pub status: String,
    pub owner: String,
    pub evidence_note: String,
    pub evidence_links: String,
    /// The evidence (note and links) may be shown to the client's viewers.
    pub evidence_shared: bool,
    pub justification: String,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_verified_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const STATE_COLUMNS: &str =
    "control_id, status, owner, evidence_note, evidence_links, evidence_shared, justification, \
     last_verified_at, last_verified_by, updated_at, version";

pub async fn list_states(db: &Db, client_id: i64) -> Result<Vec<StateRow>> {
    let sql = format!("SELECT {STATE_COLUMNS} FROM client_controls WHERE client_id = $1");
    Ok(on_pool!(db, |pool| sqlx::query_as(&sql).bind(client_id).fetch_all(pool).await?))
}

pub async fn find_state(db: &Db, client_id: i64, control_id: &str) -> Result<Option<StateRow>> {
    let sql = format!("SELECT {STATE_COLUMNS} FROM client_controls WHERE client_id = $1 AND control_id = $2");
    Ok(on_pool!(db, |pool| sqlx::query_as(&sql).bind(client_id).bind(control_id).fetch_optional(pool).await?))
}

/// A new state and the history line that records the change.
pub struct StateChange<'a> {
    pub client_id: i64,
    pub control_id: &'a str,
    /// The version the editor started from; 0 when no state was recorded yet.
    pub expected_version: i64,
    pub from_status: ControlStatus,
    pub status: ControlStatus,
    pub owner: &'a str,
    pub evidence_note: &'a str,
    pub evidence_links: &'a str,
    pub evidence_shared: bool,
    pub justification: &'a str,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_verified_by: Option<&'a str>,
    /// `last_verified_at` plus the control's review frequency.
    pub next_due_at: Option<DateTime<Utc>>,
    pub changed_by: &'a str,
    pub note: &'a str,
    pub now: DateTime<Utc>,
}

/// Saves states, appends their history lines and the `audit` records, all in one transaction.
/// False (and nothing written) when any state was changed by someone else since its
/// `expected_version`.
pub async fn save_states(db: &Db, changes: &[StateChange<'_>], audit: &[Record]) -> Result<bool> {
    let saved: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        for change in changes {
            let written = if change.expected_version == 0 {
                sqlx::query(
                    "INSERT INTO client_controls (client_id, control_id, status, owner, evidence_note, evidence_links, \
                     justification, last_verified_at, last_verified_by, updated_at, version, next_due_at, evidence_shared) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12) \
                     ON CONFLICT (client_id, control_id) DO NOTHING",
                )
                .bind(change.client_id)
                .bind(change.control_id)
                .bind(change.status.as_str())
                .bind(change.owner)
                .bind(change.evidence_note)
                .bind(change.evidence_links)
                .bind(change.justification)
                .bind(change.last_verified_at)
                .bind(change.last_verified_by)
                .bind(change.now)
                .bind(change.next_due_at)
                .bind(change.evidence_shared)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            } else {
                sqlx::query(
                    "UPDATE client_controls SET status = $1, owner = $2, evidence_note = $3, evidence_links = $4, \
                     justification = $5, last_verified_at = $6, last_verified_by = $7, updated_at = $8, \
                     version = version + 1, next_due_at = $12, evidence_shared = $13 \
                     WHERE client_id = $9 AND control_id = $10 AND version = $11",
                )
                .bind(change.status.as_str())
                .bind(change.owner)
                .bind(change.evidence_note)
                .bind(change.evidence_links)
                .bind(change.justification)
                .bind(change.last_verified_at)
                .bind(change.last_verified_by)
                .bind(change.now)
                .bind(change.client_id)
                .bind(change.control_id)
                .bind(change.expected_version)
                .bind(change.next_due_at)
                .bind(change.evidence_shared)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            };
            if written != 1 {
                // Dropping the transaction rolls back whatever this batch wrote before.
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO control_history (client_id, control_id, changed_at, changed_by, from_status, to_status, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(change.client_id)
            .bind(change.control_id)
            .bind(change.now)
            .bind(change.changed_by)
            .bind(change.from_status.as_str())
            .bind(change.status.as_str())
            .bind(change.note)
            .execute(&mut *tx)
            .await?;
        }
        for record in audit {
            tx.append(record).await?;
        }
        true
    });
    Ok(saved?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct HistoryRow {
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub from_status: String,
    pub to_status: String,
    pub note: String,
}

/// The history of one client's control, newest first.
pub async fn list_history(db: &Db, client_id: i64, control_id: &str) -> Result<Vec<HistoryRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT changed_at, changed_by, from_status, to_status, note FROM control_history \
             WHERE client_id = $1 AND control_id = $2 ORDER BY changed_at DESC, id DESC",
        )
        .bind(client_id)
        .bind(control_id)
        .fetch_all(pool)
        .await?
    }))
}

/// One line of demo history: (when, who, from, to, note).
pub(crate) type DemoStep = (DateTime<Utc>, String, ControlStatus, ControlStatus, String);

/// Writes a client's demo checklist, states and history, in one transaction.
pub(crate) async fn insert_demo_states(
    db: &Db,
    client_id: i64,
    states: &[(StateRow, Vec<DemoStep>)],
    next_due: impl Fn(&str, Option<DateTime<Utc>>) -> Option<DateTime<Utc>>,
) -> Result<()> {
    let result: std::result::Result<(), sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            for (state, steps) in states {
                sqlx::query(
                    "INSERT INTO client_controls (client_id, control_id, status, owner, evidence_note, evidence_links, \
                     justification, last_verified_at, last_verified_by, updated_at, version, next_due_at, evidence_shared) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(client_id)
                .bind(&state.control_id)
                .bind(&state.status)
                .bind(&state.owner)
                .bind(&state.evidence_note)
                .bind(&state.evidence_links)
                .bind(&state.justification)
                .bind(state.last_verified_at)
                .bind(&state.last_verified_by)
                .bind(state.updated_at)
                .bind(state.version)
                .bind(next_due(&state.control_id, state.last_verified_at))
                .bind(state.evidence_shared)
                .execute(&mut *tx)
                .await?;
                for (at, by, from, to, note) in steps {
                    sqlx::query(
                        "INSERT INTO control_history (client_id, control_id, changed_at, changed_by, from_status, \
                         to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(client_id)
                    .bind(&state.control_id)
                    .bind(*at)
                    .bind(by)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(note)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        }
        .await
    });
    Ok(result?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExceptionRow {
    pub id: i64,
    pub client_id: i64,
    pub control_id: String,
    pub reason: String,
    pub requested_by_user: Option<i64>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

const EXCEPTION_COLUMNS: &str = "id, client_id, control_id, reason, requested_by_user, requested_by, requested_at, \
     expires_at, approved_by, approved_at, ended_by, ended_at";

pub async fn find_exception(db: &Db, id: i64) -> Result<Option<ExceptionRow>> {
    let sql = format!("SELECT {EXCEPTION_COLUMNS} FROM control_exceptions WHERE id = $1");
    Ok(on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
}

/// The exceptions of a client that have not ended (at most one per control).
pub async fn list_open_exceptions(db: &Db, client_id: i64) -> Result<Vec<ExceptionRow>> {
    let sql = format!("SELECT {EXCEPTION_COLUMNS} FROM control_exceptions WHERE client_id = $1 AND ended_at IS NULL");
    Ok(on_pool!(db, |pool| sqlx::query_as(&sql).bind(client_id).fetch_all(pool).await?))
}

/// The newest exception of a client's control, ended or not.
pub async fn latest_exception(db: &Db, client_id: i64, control_id: &str) -> Result<Option<ExceptionRow>> {
    let sql = format!(
        "SELECT {EXCEPTION_COLUMNS} FROM control_exceptions WHERE client_id = $1 AND control_id = $2 \
         ORDER BY requested_at DESC, id DESC LIMIT 1"
    );
    Ok(on_pool!(db, |pool| sqlx::query_as(&sql).bind(client_id).bind(control_id).fetch_optional(pool).await?))
}

/// What happens to an exception, with the history line that records it.
pub enum ExceptionChange<'a> {
    Request {
        reason: &'a str,
        expires_at: DateTime<Utc>,
        user: Option<i64>,
    },
    /// Approve the exception with this id, if it is still pending.
    Approve {
        id: i64,
        user: Option<i64>,
    },
    /// End the exception with this id, if it has not ended.
    End {
        id: i64,
    },
}

/// Applies an exception change and appends its history line and `audit` in one transaction
/// (a request's record gets the new exception's id). Returns the exception's id, or `None`
/// when the exception was no longer in the expected state (or, for a request, another open
/// exception appeared meanwhile).
#[allow(clippy::too_many_arguments)]
pub async fn change_exception(
    db: &Db,
    client_id: i64,
    control_id: &str,
    status: ControlStatus,
    change: ExceptionChange<'_>,
    actor_name: &str,
    note: &str,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<Option<i64>> {
    let result: std::result::Result<Option<i64>, sqlx::Error> = audited!(db, |tx| {
        let id = match change {
            ExceptionChange::Request { reason, expires_at, user } => {
                // An exception past its expiry ends now, so that a new one can start.
                sqlx::query(
                    "UPDATE control_exceptions SET ended_at = expires_at, ended_by = 'expiry' \
                     WHERE client_id = $1 AND control_id = $2 AND ended_at IS NULL AND expires_at <= $3",
                )
                .bind(client_id)
                .bind(control_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let inserted: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
                    "INSERT INTO control_exceptions (client_id, control_id, reason, requested_by_user, requested_by, \
                     requested_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(client_id)
                .bind(control_id)
                .bind(reason)
                .bind(user)
                .bind(actor_name)
                .bind(now)
                .bind(expires_at)
                .fetch_one(&mut *tx)
                .await;
                match inserted {
                    Ok(id) => id,
                    Err(e) if crate::db::unique::EXCEPTION_OPEN.is_violated_by(&e) => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
            ExceptionChange::Approve { id, user } => {
                let done = sqlx::query(
                    "UPDATE control_exceptions SET approved_by_user = $1, approved_by = $2, approved_at = $3 \
                     WHERE id = $4 AND approved_at IS NULL AND ended_at IS NULL AND expires_at > $3",
                )
                .bind(user)
                .bind(actor_name)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(None);
                }
                id
            }
            ExceptionChange::End { id } => {
                let done = sqlx::query(
                    "UPDATE control_exceptions SET ended_by = $1, ended_at = $2 WHERE id = $3 AND ended_at IS NULL",
                )
                .bind(actor_name)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(None);
                }
                id
            }
        };
        sqlx::query(
            "INSERT INTO control_history (client_id, control_id, changed_at, changed_by, from_status, to_status, note) \
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(client_id)
        .bind(control_id)
        .bind(now)
        .bind(actor_name)
        .bind(status.as_str())
        .bind(note)
        .execute(&mut *tx)
        .await?;
        let mut record = audit.clone();
        if record.object.is_empty() {
            record.object = format!("exception:{id}");
        }
        tx.append(&record).await?;
        Some(id)
    });
    Ok(result?)
}

/// Recomputes every client control's next due time (after the catalog changed frequencies).
pub async fn recompute_next_due(db: &Db, controls: &[Control]) -> Result<()> {
    let rows: Vec<(i64, String, Option<DateTime<Utc>>)> = on_pool!(db, |pool| {
        sqlx::query_as("SELECT client_id, control_id, last_verified_at FROM client_controls").fetch_all(pool).await?
    });
    let result: std::result::Result<(), sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            for (client_id, control_id, verified) in &rows {
                let review = controls.iter().find(|c| &c.id == control_id).map(|c| c.review);
                let due = match (review, verified) {
                    (Some(review), Some(at)) => review.next_due(*at),
                    _ => None,
                };
                sqlx::query("UPDATE client_controls SET next_due_at = $1 WHERE client_id = $2 AND control_id = $3")
                    .bind(due)
                    .bind(client_id)
                    .bind(control_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        }
        .await
    });
    Ok(result?)
}

/// One overdue control of one client.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OverdueRow {
    pub client_slug: String,
    pub client_name: String,
    pub impact_tier: String,
    pub control_id: String,
    pub title: String,
    pub severity: i64,
    pub status: String,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub next_due_at: DateTime<Utc>,
}

/// Controls past their re-verification time on active clients, most severe and oldest first.
/// `assigned_to` and `only_client` narrow the clients as in the client list.
pub async fn list_overdue(
    db: &Db,
    now: DateTime<Utc>,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    limit: i64,
) -> Result<(Vec<OverdueRow>, i64)> {
    const FROM: &str =
        "FROM client_controls s JOIN clients c ON c.id = s.client_id JOIN controls k ON k.id = s.control_id
         WHERE s.next_due_at < $1 AND c.archived_at IS NULL AND k.retired_at IS NULL
           AND s.status <> 'not_applicable'
           AND ($2 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $2))
           AND ($3 IS NULL OR c.id = $3)";
    let list_sql = format!(
        "SELECT c.slug AS client_slug, c.name AS client_name, c.impact_tier, s.control_id, k.title, k.severity, s.status, \
         s.last_verified_at, s.next_due_at {FROM} ORDER BY k.severity DESC, s.next_due_at, c.name, s.control_id LIMIT $4"
    );
    let count_sql = format!("SELECT COUNT(*) {FROM}");
    Ok(on_pool!(db, |pool| {
        let rows =
            sqlx::query_as(&list_sql).bind(now).bind(assigned_to).bind(only_client).bind(limit).fetch_all(pool).await?;
        let total =
            sqlx::query_scalar(&count_sql).bind(now).bind(assigned_to).bind(only_client).fetch_one(pool).await?;
        (rows, total)
    }))
}

/// The next free id for a custom control ("CUS-01", "CUS-02", …).
pub async fn next_custom_id(db: &Db) -> Result<String> {
    let ids: Vec<String> = on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT id FROM controls WHERE id LIKE 'CUS-%'").fetch_all(pool).await?
    });
    let highest = ids.iter().filter_map(|id| id.strip_prefix("CUS-")?.parse::<u32>().ok()).max().unwrap_or(0);
    Ok(format!("CUS-{:02}", highest + 1))
}

/// Inserts (when `insert`) or updates a custom control with its tiers and references, and
/// appends `audit`, in one transaction. Returns false when the id is taken (insert) or is not a
/// custom control (update).
pub async fn save_custom_control(db: &Db, control: &Control, insert: bool, audit: &Record) -> Result<bool> {
    let result: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let written = if insert {
            sqlx::query(
                "INSERT INTO controls (id, category_id, title, description, severity, review, applies_to, built_in, \
                 position, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, 1000, NULL) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&control.id)
            .bind(&control.category_id)
            .bind(&control.title)
            .bind(&control.description)
            .bind(control.severity)
            .bind(control.review.as_str())
            .bind(control.applies_to.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query(
                "UPDATE controls SET category_id = $2, title = $3, description = $4, severity = $5, review = $6, \
                 applies_to = $7 WHERE id = $1 AND NOT built_in AND retired_at IS NULL",
            )
            .bind(&control.id)
            .bind(&control.category_id)
            .bind(&control.title)
            .bind(&control.description)
            .bind(control.severity)
            .bind(control.review.as_str())
            .bind(control.applies_to.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
        };
        if written != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM control_tiers WHERE control_id = $1").bind(&control.id).execute(&mut *tx).await?;
        for tier in &control.tiers {
            sqlx::query("INSERT INTO control_tiers (control_id, tier) VALUES ($1, $2)")
                .bind(&control.id)
                .bind(tier.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM control_references WHERE control_id = $1").bind(&control.id).execute(&mut *tx).await?;
        for (i, r) in control.references.iter().enumerate() {
            sqlx::query(
                "INSERT INTO control_references (control_id, position, source, item, verified) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&control.id)
            .bind(i as i64)
            .bind(&r.source)
            .bind(&r.item)
            .bind(r.verified)
            .execute(&mut *tx)
            .await?;
        }
        tx.append(audit).await?;
        true
    });
    Ok(result?)
}

/// Retires a custom control and appends `audit`; false (nothing written) when it is not an
/// active custom control.
pub async fn retire_custom_control(db: &Db, id: &str, now: DateTime<Utc>, audit: &Record) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let retired =
            sqlx::query("UPDATE controls SET retired_at = $1 WHERE id = $2 AND NOT built_in AND retired_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if retired != 1 {
            return Ok(false);
        }
        tx.append(audit).await?;
        true
    });
    Ok(done?)
}

/// An approved risk acceptance that has not ended, with its client and control.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExpiringRow {
    pub id: i64,
    pub client_slug: String,
    pub client_name: String,
    pub control_id: String,
    pub title: String,
    pub expires_at: DateTime<Utc>,
}

/// Approved, open risk acceptances of active clients expiring between `now` and `until`,
/// soonest first, at most `limit`, with their total. Narrowed as the client list.
pub async fn list_expiring_exceptions(
    db: &Db,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    limit: i64,
) -> Result<(Vec<ExpiringRow>, i64)> {
    const FROM: &str =
        "FROM control_exceptions e JOIN clients c ON c.id = e.client_id JOIN controls k ON k.id = e.control_id
         WHERE e.ended_at IS NULL AND e.approved_at IS NOT NULL AND e.expires_at > $1 AND e.expires_at <= $2
           AND c.archived_at IS NULL
           AND ($3 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $3))
           AND ($4 IS NULL OR c.id = $4)";
    let list_sql = format!(
        "SELECT e.id, c.slug AS client_slug, c.name AS client_name, e.control_id, k.title, e.expires_at {FROM} \
         ORDER BY e.expires_at, c.name, e.control_id LIMIT $5"
    );
    let count_sql = format!("SELECT COUNT(*) {FROM}");
    Ok(on_pool!(db, |pool| {
        let rows = sqlx::query_as(&list_sql)
            .bind(now)
            .bind(until)
            .bind(assigned_to)
            .bind(only_client)
            .bind(limit)
            .fetch_all(pool)
            .await?;
        let total = sqlx::query_scalar(&count_sql)
            .bind(now)
            .bind(until)
            .bind(assigned_to)
            .bind(only_client)
            .fetch_one(pool)
            .await?;
        (rows, total)
    }))
}
