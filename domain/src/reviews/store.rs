//! Review-schedule storage. Callers authorize; see `mod.rs`.

use super::model::{Cadence, OccurrenceState, ReviewKind};
use crate::audit::store::audited;
use crate::audit::Record;
use crate::db::unique::REVIEW_SERIES_KIND;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, thiserror::Error)]
#[error("unexpected value in the database: {0}")]
struct BadValue(String);

fn bad(value: &str) -> DomainError {
    DomainError::internal(BadValue(value.to_string()))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub id: i64,
    pub series_id: i64,
    pub client_id: i64,
    pub client_slug: String,
    pub client_name: String,
    pub kind: ReviewKind,
    pub title: String,
    pub cadence: Cadence,
    pub owner: String,
    pub series_starts_on: NaiveDate,
    pub n: i64,
    pub due_on: NaiveDate,
    pub scheduled_on: Option<NaiveDate>,
    pub state: OccurrenceState,
    pub note: String,
    /// When it was started (an access review's population was taken then).
    pub started_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct OccurrenceRow {
    id: i64,
    series_id: i64,
    client_id: i64,
    client_slug: String,
    client_name: String,
    kind: String,
    title: String,
    cadence: String,
    owner: String,
    series_starts_on: NaiveDate,
    n: i64,
    due_on: NaiveDate,
    scheduled_on: Option<NaiveDate>,
    state: String,
    note: String,
    started_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    closed_by: Option<String>,
    version: i64,
}

impl TryFrom<OccurrenceRow> for Occurrence {
    type Error = DomainError;
    fn try_from(r: OccurrenceRow) -> Result<Occurrence> {
        Ok(Occurrence {
            kind: ReviewKind::parse(&r.kind).ok_or_else(|| bad(&r.kind))?,
            cadence: Cadence::parse(&r.cadence).ok_or_else(|| bad(&r.cadence))?,
            state: OccurrenceState::parse(&r.state).ok_or_else(|| bad(&r.state))?,
            id: r.id,
            series_id: r.series_id,
            client_id: r.client_id,
            client_slug: r.client_slug,
            client_name: r.client_name,
            title: r.title,
            owner: r.owner,
            series_starts_on: r.series_starts_on,
            n: r.n,
            due_on: r.due_on,
            scheduled_on: r.scheduled_on,
            note: r.note,
            started_at: r.started_at,
            closed_at: r.closed_at,
            closed_by: r.closed_by,
            version: r.version,
        })
    }
}

/// Which occurrences to list; client narrowing follows the actor's scope as in the client list.
#[derive(Debug, Clone, Copy, Default)]
pub struct OccurrenceQuery<'a> {
    pub occurrence_id: Option<i64>,
    pub client_id: Option<i64>,
    pub kind: Option<&'a str>,
    pub state: Option<&'a str>,
    /// Only open ones (planned or in progress).
    pub open_only: bool,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub assigned_to: Option<i64>,
    pub only_client: Option<i64>,
    /// Only closed ones (done or skipped), the latest closed first.
    pub closed_latest_first: bool,
    pub limit: i64,
    /// How many to pass over first (for pages).
    pub offset: i64,
}

/// Binds the filter's parameters $1 to $9 of [`FILTER`] to a query.
macro_rules! bind_filter {
    ($query:expr, $q:expr) => {
        $query
            .bind($q.occurrence_id)
            .bind($q.client_id)
            .bind($q.kind)
            .bind($q.state)
            .bind($q.open_only)
            .bind($q.due_from)
            .bind($q.due_to)
            .bind($q.assigned_to)
            .bind($q.only_client)
    };
}

const FILTER: &str = "FROM review_occurrences o JOIN review_series s ON s.id = o.series_id \
     JOIN clients c ON c.id = o.client_id \
     WHERE ($1 IS NULL OR o.id = $1) AND ($2 IS NULL OR o.client_id = $2) AND ($3 IS NULL OR s.kind = $3) \
       AND ($4 IS NULL OR o.state = $4) AND (NOT $5 OR o.state IN ('planned', 'in_progress')) \
       AND ($6 IS NULL OR o.due_on >= $6) AND ($7 IS NULL OR o.due_on <= $7) \
       AND ($8 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $8)) \
       AND ($9 IS NULL OR c.id = $9) AND c.archived_at IS NULL AND s.ended_at IS NULL";

/// The plain equalities beside [`FILTER`]'s optional ones, which SQLite plans with an index.
fn narrowing(q: &OccurrenceQuery<'_>) -> String {
    // One review by its id, one client's by the client index: SQLite plans `($2 IS NULL OR
    // o.client_id = $2)` as a scan of every review in due order (tens of milliseconds on the
    // large set), but uses the index for a plain equality added beside it.
    let one_client = match (q.occurrence_id, q.client_id, q.only_client) {
        (Some(_), _, _) => " AND o.id = $1",
        (None, Some(_), _) => " AND o.client_id = $2",
        (None, None, Some(_)) => " AND o.client_id = $9",
        (None, None, None) => "",
    };
    // Likewise the open ones (a partial index holds them by due day) and the due range.
    let mut narrow = one_client.to_string();
    if q.open_only {
        narrow.push_str(" AND o.state IN ('planned', 'in_progress')");
    }
    if q.due_from.is_some() {
        narrow.push_str(" AND o.due_on >= $6");
    }
    if q.due_to.is_some() {
        narrow.push_str(" AND o.due_on <= $7");
    }
    if q.closed_latest_first {
        narrow.push_str(" AND o.state IN ('done', 'skipped')");
    }
    narrow
}

/// What [`OccurrenceRow`] reads of an occurrence, its series and its client.
const COLUMNS: &str = "o.id, o.series_id, o.client_id, c.slug AS client_slug, c.name AS client_name, s.kind, \
     s.title, s.cadence, s.owner, s.starts_on AS series_starts_on, o.n, o.due_on, o.scheduled_on, o.state, o.note, \
     o.started_at, o.closed_at, o.closed_by, o.version";

pub async fn list_occurrences(db: &Db, q: OccurrenceQuery<'_>) -> Result<Vec<Occurrence>> {
    let limit = if q.limit <= 0 { 10_000 } else { q.limit };
    let order =
        if q.closed_latest_first { "o.closed_at DESC NULLS LAST, o.id DESC" } else { "o.due_on, c.name, s.kind, o.id" };
    let sql = format!("SELECT {COLUMNS} {FILTER}{} ORDER BY {order} LIMIT $10 OFFSET $11", narrowing(&q));
    let rows: Vec<OccurrenceRow> = on_pool!(db, |pool| {
        bind_filter!(sqlx::query_as(&sql), q).bind(limit).bind(q.offset.max(0)).fetch_all(pool).await?
    });
    rows.into_iter().map(Occurrence::try_from).collect()
}

/// The occurrences `ids` (those of archived clients and ended series left out), in the order of
/// `ids`: the few a caller picked from kept facts (the portfolio's reviews due soon).
pub async fn list_occurrences_with_ids(db: &Db, ids: &[i64]) -> Result<Vec<Occurrence>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = OccurrenceQuery::default();
    let places: Vec<String> = (0..ids.len()).map(|i| format!("${}", 10 + i)).collect();
    let sql = format!("SELECT {COLUMNS} {FILTER} AND o.id IN ({})", places.join(", "));
    let rows: Vec<OccurrenceRow> = on_pool!(db, |pool| {
        let mut query = bind_filter!(sqlx::query_as(&sql), q);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(pool).await?
    });
    let mut found: Vec<Occurrence> = rows.into_iter().map(Occurrence::try_from).collect::<Result<_>>()?;
    found.sort_by_key(|o| ids.iter().position(|id| *id == o.id));
    Ok(found)
}

/// How many occurrences the query finds (its limit and offset aside).
pub async fn count_occurrences(db: &Db, q: OccurrenceQuery<'_>) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) {FILTER}{}", narrowing(&q));
    Ok(on_pool!(db, |pool| bind_filter!(sqlx::query_scalar(&sql), q).fetch_one(pool).await?))
}

pub struct NewSeries<'a> {
    pub client_id: i64,
    pub kind: ReviewKind,
    pub title: &'a str,
    pub cadence: Cadence,
    pub owner: &'a str,
    pub starts_on: NaiveDate,
    pub created_by: &'a str,
}

/// Inserts a series and its first occurrence (due on the start) together, and appends `audit`
/// (its object named by the new id).
pub async fn insert_series(db: &Db, s: &NewSeries<'_>, now: DateTime<Utc>, audit: &Record) -> Result<i64> {
    let inserted: std::result::Result<i64, sqlx::Error> = audited!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO review_series (client_id, kind, title, cadence, owner, starts_on, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(s.client_id)
        .bind(s.kind.as_str())
        .bind(s.title)
        .bind(s.cadence.as_str())
        .bind(s.owner)
        .bind(s.starts_on)
        .bind(now)
        .bind(s.created_by)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO review_occurrences (series_id, client_id, n, due_on, state) VALUES ($1, $2, 0, $3, 'planned')",
        )
        .bind(id)
        .bind(s.client_id)
        .bind(s.starts_on)
        .execute(&mut *tx)
        .await?;
        let mut record = audit.clone();
        record.object = format!("review_series:{id}");
        tx.append(&record).await?;
        id
    });
    inserted.map_err(|e| {
        if REVIEW_SERIES_KIND.is_violated_by(&e) {
            DomainError::conflict(
                Some("kind"),
                format!("This client already has a running {} series.", s.kind.label().to_lowercase()),
            )
        } else {
            e.into()
        }
    })
}

/// A grant in an access review's population: its id and how risky it looked.
pub type Member = (i64, i64);

/// A change of one occurrence; closing one creates the next.
pub struct OccurrenceChange<'a> {
    pub id: i64,
    pub version: i64,
    pub state: OccurrenceState,
    pub scheduled_on: Option<NaiveDate>,
    pub note: &'a str,
    pub closed: Option<(DateTime<Utc>, &'a str)>,
    /// The next occurrence (n and due day) to create when this one closes.
    pub next: Option<(i64, NaiveDate)>,
    pub series_id: i64,
    pub client_id: i64,
    /// Starting: when, and for an access review the population.
    pub started: Option<(DateTime<Utc>, &'a [Member])>,
}

/// Applies the change if the occurrence is still at `version`, and appends `audit`; false
/// (nothing written) otherwise.
pub async fn change_occurrence(db: &Db, c: &OccurrenceChange<'_>, audit: &Record) -> Result<bool> {
    let (closed_at, closed_by) = match c.closed {
        Some((at, by)) => (Some(at), Some(by)),
        None => (None, None),
    };
    let changed: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let written = sqlx::query(
            "UPDATE review_occurrences SET state = $1, scheduled_on = $2, note = $3, closed_at = $4, closed_by = $5, \
             version = version + 1 WHERE id = $6 AND version = $7",
        )
        .bind(c.state.as_str())
        .bind(c.scheduled_on)
        .bind(c.note)
        .bind(closed_at)
        .bind(closed_by)
        .bind(c.id)
        .bind(c.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written != 1 {
            return Ok(false);
        }
        if let Some((at, items)) = c.started {
            sqlx::query("UPDATE review_occurrences SET started_at = $1 WHERE id = $2")
                .bind(at)
                .bind(c.id)
                .execute(&mut *tx)
                .await?;
            for (grant_id, risk) in items {
                sqlx::query("INSERT INTO access_review_items (occurrence_id, grant_id, risk) VALUES ($1, $2, $3)")
                    .bind(c.id)
                    .bind(*grant_id)
                    .bind(*risk)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some((n, due)) = c.next {
            sqlx::query(
                "INSERT INTO review_occurrences (series_id, client_id, n, due_on, state) VALUES ($1, $2, $3, $4, 'planned')",
            )
            .bind(c.series_id)
            .bind(c.client_id)
            .bind(n)
            .bind(due)
            .execute(&mut *tx)
            .await?;
        }
        tx.append(audit).await?;
        true
    });
    Ok(changed?)
}

/// Demo data only: an occurrence closed at a given time.
pub(crate) async fn set_closed_at(db: &Db, id: i64, at: DateTime<Utc>) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE review_occurrences SET closed_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// One grant of an access review, as decided so far.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub occurrence_id: i64,
    pub grant_id: i64,
    pub risk: i64,
    pub decision: Option<String>,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

pub async fn list_items(db: &Db, occurrence_id: i64) -> Result<Vec<ItemRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, occurrence_id, grant_id, risk, decision, reason, decided_by, decided_at \
             FROM access_review_items WHERE occurrence_id = $1 ORDER BY risk DESC, id",
        )
        .bind(occurrence_id)
        .fetch_all(pool)
        .await?
    }))
}

/// What a decision does to the grant, in the same transaction.
pub enum GrantEffect {
    None,
    /// Keep: the grant counts as reviewed now, by the reviewer.
    Reviewed,
    /// Revoke: a revocation task with this deadline (unless one is already set).
    RevokeBy(DateTime<Utc>),
}

/// A decision on one grant of a campaign.
pub struct Decision<'a> {
    pub decision: &'a str,
    pub reason: &'a str,
    pub by: &'a str,
    pub effect: GrantEffect,
    pub now: DateTime<Utc>,
}

/// Records a decision on an item of an open campaign, with its effect on the grant, and appends
/// `audit`; false (nothing written) when the campaign is not in progress.
pub async fn decide(db: &Db, item: &ItemRow, d: &Decision<'_>, audit: &Record) -> Result<bool> {
    let Decision { decision, reason, by, ref effect, now } = *d;
    let decided: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let written = sqlx::query(
            "UPDATE access_review_items SET decision = $1, reason = $2, decided_by = $3, decided_at = $4 \
             WHERE id = $5 AND occurrence_id IN (SELECT id FROM review_occurrences WHERE state = 'in_progress')",
        )
        .bind(decision)
        .bind(reason)
        .bind(by)
        .bind(now)
        .bind(item.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written != 1 {
            return Ok(false);
        }
        match effect {
            GrantEffect::None => {}
            GrantEffect::Reviewed => {
                sqlx::query(
                    "UPDATE grants SET last_reviewed_at = $1, last_reviewed_by = $2, reapproval_due_at = NULL \
                     WHERE id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(by)
                .bind(item.grant_id)
                .execute(&mut *tx)
                .await?;
            }
            GrantEffect::RevokeBy(due) => {
                sqlx::query(
                    "UPDATE grants SET revoke_due_at = COALESCE(revoke_due_at, $1) WHERE id = $2 AND revoked_at IS NULL",
                )
                .bind(*due)
                .bind(item.grant_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.append(audit).await?;
        true
    });
    Ok(decided?)
}
