//! Score storage: settings, daily snapshots, the runs of daily jobs, and the bulk reads the
//! score is computed from. Callers authorize; see `mod.rs`.

use super::model::{Band, ScoreSettings, SETTINGS};
use crate::controls::{Control, ControlStatus};
use crate::db::BeginWrite;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, thiserror::Error)]
#[error("unexpected value in the database: {0}")]
struct BadValue(String);

fn bad(what: String) -> DomainError {
    DomainError::internal(BadValue(what))
}

/// The settings in force: the defaults, with what was changed.
pub async fn load_settings(db: &Db) -> Result<ScoreSettings> {
    let rows: Vec<(String, i64)> =
        on_pool!(db, |pool| sqlx::query_as("SELECT key, value FROM score_settings").fetch_all(pool).await?);
    let mut settings = ScoreSettings::default();
    for (key, value) in rows {
        settings.set(&key, value);
    }
    Ok(settings)
}

/// Writes every setting (one row each) and appends `audit`, in one transaction.
pub async fn save_settings(
    db: &Db,
    settings: &ScoreSettings,
    by: &str,
    now: DateTime<Utc>,
    audit: &crate::audit::Record,
) -> Result<()> {
    crate::audit::store::audited!(db, |tx| {
        for spec in SETTINGS {
            let value = settings.get(spec.key).unwrap_or(spec.default);
            sqlx::query(
                "INSERT INTO score_settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
                 updated_by = excluded.updated_by",
            )
            .bind(spec.key)
            .bind(value)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        }
        tx.append(audit).await?;
    })?;
    Ok(())
}

/// When the settings were last changed, and by whom.
pub async fn settings_changed(db: &Db) -> Result<Option<(DateTime<Utc>, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT updated_at, updated_by FROM score_settings ORDER BY updated_at DESC LIMIT 1")
            .fetch_optional(pool)
            .await?
    }))
}

/// A client as the score needs it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClientRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub impact_tier: String,
    pub created_at: DateTime<Utc>,
}

/// Active clients, narrowed as the client list (`assigned_to`, `only_client`).
pub async fn list_active_clients(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
) -> Result<Vec<ClientRow>> {
    // One client by the primary key (see list_states).
    let one_client = if only_client.is_some() { " AND c.id = $2" } else { "" };
    let sql = format!(
        "SELECT c.id, c.slug, c.name, c.impact_tier, c.created_at FROM clients c
             WHERE c.archived_at IS NULL
               AND ($1 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $1))
               AND ($2 IS NULL OR c.id = $2){one_client}
             ORDER BY c.name, c.id"
    );
    Ok(on_pool!(db, |pool| { sqlx::query_as(&sql).bind(assigned_to).bind(only_client).fetch_all(pool).await? }))
}

/// What the score reads of one client's control, compactly: a portfolio holds a hundred
/// thousand of them while it is scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    /// The control's position in the catalog the states were read against.
    pub control: usize,
    /// The recorded status (one the catalog does not know counts as not assessed).
    pub status: ControlStatus,
    pub last_verified_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    client_id: i64,
    control_id: String,
    status: String,
    last_verified_at: Option<DateTime<Utc>>,
}

/// The recorded states of the controls of active clients (or of the one client `only_client`,
/// archived or not), narrowed as the client list, by client. Rows are read one at a time and
/// kept compactly; a state of a control not in `catalog` is left out (the score goes by the
/// catalog).
pub async fn list_states(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    clients_between: Option<(i64, i64)>,
    catalog: &[Control],
) -> Result<HashMap<i64, Vec<State>>> {
    // One client's states by the primary key (see reviews::store::list_occurrences: SQLite
    // scans every client's controls for the `$2 IS NULL OR` form alone); a part of the
    // portfolio by the same key's range (two integers, written as such).
    let one_client = match (only_client, clients_between) {
        (Some(_), _) => " AND s.client_id = $2".to_string(),
        (None, Some((first, last))) => format!(" AND s.client_id BETWEEN {first} AND {last}"),
        (None, None) => String::new(),
    };
    let sql = format!(
        "SELECT s.client_id, s.control_id, s.status, s.last_verified_at
             FROM client_controls s JOIN clients c ON c.id = s.client_id
             WHERE ($2 IS NOT NULL OR c.archived_at IS NULL)
               AND ($1 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $1))
               AND ($2 IS NULL OR c.id = $2){one_client}"
    );
    let index: HashMap<&str, usize> = catalog.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    let mut states: HashMap<i64, Vec<State>> = HashMap::new();
    on_pool!(db, |pool| {
        let mut rows = sqlx::query_as::<_, StateRow>(&sql).bind(assigned_to).bind(only_client).fetch(pool);
        while let Some(row) = rows.try_next().await? {
            let Some(&control) = index.get(row.control_id.as_str()) else { continue };
            let status = ControlStatus::parse(&row.status).unwrap_or(ControlStatus::NotAssessed);
            states.entry(row.client_id).or_default().push(State {
                control,
                status,
                last_verified_at: row.last_verified_at,
            });
        }
    });
    Ok(states)
}

/// Every status change of active clients' controls, oldest first (demo history only).
pub async fn list_status_changes(db: &Db) -> Result<Vec<(i64, String, DateTime<Utc>, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT h.client_id, h.control_id, h.changed_at, h.to_status FROM control_history h
             JOIN clients c ON c.id = h.client_id WHERE c.archived_at IS NULL
             ORDER BY h.changed_at, h.id",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// One client's score on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub client_id: i64,
    pub day: NaiveDate,
    pub coverage: Option<i64>,
    pub posture: Option<i64>,
    pub band: Band,
    /// Category id → coverage (`None`: nothing applicable in it).
    pub categories: BTreeMap<String, Option<i64>>,
    pub stale_controls: i64,
    pub leavers_past_sla: i64,
    pub overdue_reviews: i64,
    pub kev_items: i64,
    pub penalty: i64,
    pub grants_active: i64,
    pub grants_expired: i64,
    pub grants_leavers: i64,
    pub access_findings: i64,
    pub taken_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    client_id: i64,
    day: NaiveDate,
    coverage: Option<i64>,
    posture: Option<i64>,
    band: String,
    categories: String,
    stale_controls: i64,
    leavers_past_sla: i64,
    overdue_reviews: i64,
    kev_items: i64,
    penalty: i64,
    grants_active: i64,
    grants_expired: i64,
    grants_leavers: i64,
    access_findings: i64,
    taken_at: DateTime<Utc>,
}

impl TryFrom<SnapshotRow> for Snapshot {
    type Error = DomainError;
    fn try_from(r: SnapshotRow) -> Result<Snapshot> {
        Ok(Snapshot {
            band: Band::parse(&r.band).ok_or_else(|| bad(format!("band {:?}", r.band)))?,
            categories: serde_json::from_str(&r.categories).map_err(|e| bad(format!("categories: {e}")))?,
            client_id: r.client_id,
            day: r.day,
            coverage: r.coverage,
            posture: r.posture,
            stale_controls: r.stale_controls,
            leavers_past_sla: r.leavers_past_sla,
            overdue_reviews: r.overdue_reviews,
            kev_items: r.kev_items,
            penalty: r.penalty,
            grants_active: r.grants_active,
            grants_expired: r.grants_expired,
            grants_leavers: r.grants_leavers,
            access_findings: r.access_findings,
            taken_at: r.taken_at,
        })
    }
}

const SNAPSHOT_COLUMNS: &str =
    "client_id, day, coverage, posture, band, categories, stale_controls, leavers_past_sla, \
     overdue_reviews, kev_items, penalty, grants_active, grants_expired, grants_leavers, access_findings, taken_at";
const SNAPSHOT_WIDTH: usize = 16;
/// Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters.
const SNAPSHOT_BATCH: usize = 200;

/// Writes snapshots, keeping any that exist for the same client and day (a second run of the
/// same day changes nothing). One transaction; returns how many rows were new.
pub async fn insert_snapshots(db: &Db, snapshots: &[Snapshot]) -> Result<u64> {
    let mut encoded = Vec::with_capacity(snapshots.len());
    for s in snapshots {
        encoded.push(serde_json::to_string(&s.categories).map_err(DomainError::internal)?);
    }
    let result: std::result::Result<u64, sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            let mut written = 0;
            for (batch, categories) in snapshots.chunks(SNAPSHOT_BATCH).zip(encoded.chunks(SNAPSHOT_BATCH)) {
                let values: Vec<String> = (0..batch.len())
                    .map(|row| {
                        let first = row * SNAPSHOT_WIDTH + 1;
                        let marks: Vec<String> = (first..first + SNAPSHOT_WIDTH).map(|n| format!("${n}")).collect();
                        format!("({})", marks.join(", "))
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO score_snapshots ({SNAPSHOT_COLUMNS}) VALUES {} ON CONFLICT (client_id, day) DO NOTHING",
                    values.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for (s, categories) in batch.iter().zip(categories) {
                    query = query
                        .bind(s.client_id)
                        .bind(s.day)
                        .bind(s.coverage)
                        .bind(s.posture)
                        .bind(s.band.as_str())
                        .bind(categories.as_str())
                        .bind(s.stale_controls)
                        .bind(s.leavers_past_sla)
                        .bind(s.overdue_reviews)
                        .bind(s.kev_items)
                        .bind(s.penalty)
                        .bind(s.grants_active)
                        .bind(s.grants_expired)
                        .bind(s.grants_leavers)
                        .bind(s.access_findings)
                        .bind(s.taken_at);
                }
                written += query.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok::<u64, sqlx::Error>(written)
        }
        .await
    });
    Ok(result?)
}

/// One client's snapshots from `from` on, oldest first.
pub async fn list_snapshots(db: &Db, client_id: i64, from: NaiveDate) -> Result<Vec<Snapshot>> {
    let sql = format!("SELECT {SNAPSHOT_COLUMNS} FROM score_snapshots WHERE client_id = $1 AND day >= $2 ORDER BY day");
    let rows: Vec<SnapshotRow> =
        on_pool!(db, |pool| sqlx::query_as(&sql).bind(client_id).bind(from).fetch_all(pool).await?);
    rows.into_iter().map(Snapshot::try_from).collect()
}

/// How many snapshots exist for a day.
pub async fn count_snapshots(db: &Db, day: NaiveDate) -> Result<i64> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM score_snapshots WHERE day = $1").bind(day).fetch_one(pool).await?
    }))
}

/// Claims a job for a day: true for exactly one caller, however many servers ask at once (the
/// row's primary key decides), unless the claim is older than `stale_before` and unfinished
/// (its server died), in which case the next caller takes it over.
pub async fn claim_job(
    db: &Db,
    job: &str,
    day: NaiveDate,
    runner: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool> {
    let claimed = on_pool!(db, |pool| {
        let inserted = sqlx::query(
            "INSERT INTO job_runs (job, day, runner, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job, day) DO NOTHING",
        )
        .bind(job)
        .bind(day)
        .bind(runner)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            true
        } else {
            sqlx::query(
                "UPDATE job_runs SET runner = $3, started_at = $4 \
                 WHERE job = $1 AND day = $2 AND finished_at IS NULL AND started_at < $5",
            )
            .bind(job)
            .bind(day)
            .bind(runner)
            .bind(now)
            .bind(stale_before)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }
    });
    Ok(claimed)
}

/// Marks a claimed job done.
pub async fn finish_job(db: &Db, job: &str, day: NaiveDate, now: DateTime<Utc>) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE job_runs SET finished_at = $3 WHERE job = $1 AND day = $2")
            .bind(job)
            .bind(day)
            .bind(now)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Gives up a claim that failed, so that the next attempt (on any server) runs the job.
pub async fn release_job(db: &Db, job: &str, day: NaiveDate) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("DELETE FROM job_runs WHERE job = $1 AND day = $2 AND finished_at IS NULL")
            .bind(job)
            .bind(day)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A run of a job: who ran it, when it started and finished.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct JobRun {
    pub runner: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub async fn find_job_run(db: &Db, job: &str, day: NaiveDate) -> Result<Option<JobRun>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT runner, started_at, finished_at FROM job_runs WHERE job = $1 AND day = $2")
            .bind(job)
            .bind(day)
            .fetch_optional(pool)
            .await?
    }))
}
