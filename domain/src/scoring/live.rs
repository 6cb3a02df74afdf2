//! The portfolio's scores, kept per client: a change recomputes the clients it reaches, not the
//! whole portfolio, and the ranking is read from the kept rows.
//!
//! - **A change marks what it reaches, in its own transaction.** The audit append (the one
//!   funnel of every change, [`crate::audit::store`]) asks [`reach`] which clients an entry's
//!   change may alter: the client it names; for a technician's change, every client where they
//!   hold grants; for the score settings, the service levels, the catalog and demo data, every
//!   client (the *generation* moves). It counts the change in `client_scores.wanted` of each
//!   client reached. Sign-ins and a user's own settings reach nothing.
//! - **Right after the commit the same server recomputes those clients** ([`after_change`]) and
//!   writes their rows with the `wanted` they reflect. A row whose `computed` differs from its
//!   `wanted` (its server stopped in between) is recomputed by the next reader.
//! - **Time alone changes scores too** (evidence going stale, a revocation deadline, a review's
//!   due day ending, one day more for a leaver): each row keeps `next_check`, the first moment
//!   time alone changes its result. A scheduled sweep ([`sweep`], once a minute per cluster)
//!   recomputes the rows whose moment has passed; a reader recomputes the few it finds past
//!   theirs before the sweep came by.
//! - **A change of every client's score is recomputed in the background** while the rows
//!   computed before it are served, and the ranking says it is updating (small portfolios, up
//!   to [`INLINE_LIMIT`] clients, are recomputed at once).
//! - **Servers read the rows written since they last looked.** Every write of rows takes the
//!   next `score_state.version` in its transaction (a row lock, so versions commit in order);
//!   each server keeps the rows in memory ([`Mirror`]) and reads only those with a newer
//!   version. Several servers on one PostgreSQL see the same rows.
//!
//! The kept rows equal a full recomputation at any moment after any sequence of changes: the
//! scoring contract tests it over random sequences of changes and moves of the clock.

use super::model::{Band, Gap, Override};
use super::{store, Inputs, RankedClient, RankedScore, Ranking};
use crate::access::{self, FindingKind};
use crate::audit::Record;
use crate::clients::{ClientCounts, ImpactTier};
use crate::controls::{self, Category, ControlStatus};
use crate::db::{BeginDerived, Db};
use crate::error::Result;
use crate::on_pool;
use crate::scoring::ScoreSettings;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Which clients' scores a change may alter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    Nothing,
    Client(i64),
    /// Every client where the technician holds grants.
    Technician(i64),
    /// The technician of a lifecycle step, likewise.
    Step(i64),
    /// Every client: the score settings, the service levels, the catalog, demo data.
    Everyone,
}

/// Actions that change what every client's score is computed from.
const EVERYONE: &[&str] = &[
    "catalog.load",
    "score.settings_update",
    "sla.update",
    "catalog.control_create",
    "catalog.control_update",
    "catalog.control_retire",
    "demo.fill",
];

/// Actions that name no client and change nothing a score reads: people, sign-ins, exports.
/// (Every action is either here, in [`EVERYONE`], a technician's, or names its client: the unit
/// test below holds the domain's actions to that.)
const NOTHING: &[&str] = &[
    "auth.passkey_refused",
    "auth.sign_in",
    "auth.sign_in_failed",
    "auth.sign_in_throttled",
    "auth.sign_out",
    "auth.sign_out_everywhere",
    "auth.step_up",
    "auth.step_up_failed",
    "auth.step_up_throttled",
    "calendar_feed.rotate",
    "export.access_register",
    "export.audit_log",
    "invitation.accept",
    "invitation.create",
    "invitation.revoke",
    "mfa.enrol",
    "mfa.enrol_start",
    "mfa.passkey_added",
    "mfa.passkey_removed",
    "mfa.recovery_code_used",
    "mfa.reset",
    "sso.link",
    "sso.settings_update",
    "technician.create",
    "user.add",
    "user.clients_change",
    "user.disable",
    "user.enable",
    "user.role_change",
];

/// Which clients the change an audit record describes may alter.
pub(crate) fn reach(record: &Record) -> Reach {
    if NOTHING.contains(&record.action) {
        return Reach::Nothing;
    }
    if EVERYONE.contains(&record.action) {
        return Reach::Everyone;
    }
    if let Some(client) = record.client_id {
        return Reach::Client(client);
    }
    if record.action.starts_with("technician.") {
        let id = |prefix: &str| record.object.strip_prefix(prefix).and_then(|id| id.parse::<i64>().ok());
        if let Some(id) = id("technician:") {
            return Reach::Technician(id);
        }
        if let Some(id) = id("step:") {
            return Reach::Step(id);
        }
    }
    Reach::Nothing
}

/// Counts a change in the rows of the clients it reaches, in the change's transaction (after its
/// audit entry). Evaluates to `Result<Vec<i64>, sqlx::Error>`: the clients to recompute after
/// the commit (none for a change of every client: that is the background's).
macro_rules! mark {
    ($tx:expr, $record:expr) => {{
        use $crate::scoring::live::{Reach, MARK_CLIENT, MARK_EVERYONE, MARK_MISSING, MARK_STEP, MARK_TECHNICIAN};
        let marked: std::result::Result<Vec<i64>, sqlx::Error> = async {
            Ok(match $crate::scoring::live::reach($record) {
                Reach::Nothing => Vec::new(),
                Reach::Client(id) => {
                    sqlx::query(MARK_CLIENT).bind(id).execute(&mut *$tx).await?;
                    vec![id]
                }
                Reach::Technician(id) => sqlx::query_scalar(MARK_TECHNICIAN).bind(id).fetch_all(&mut *$tx).await?,
                Reach::Step(id) => sqlx::query_scalar(MARK_STEP).bind(id).fetch_all(&mut *$tx).await?,
                Reach::Everyone => {
                    sqlx::query(MARK_EVERYONE).execute(&mut *$tx).await?;
                    sqlx::query(MARK_MISSING).execute(&mut *$tx).await?;
                    Vec::new()
                }
            })
        }
        .await;
        marked
    }};
}
pub(crate) use mark;

pub(crate) const MARK_CLIENT: &str = "INSERT INTO client_scores (client_id) VALUES ($1) \
     ON CONFLICT (client_id) DO UPDATE SET wanted = client_scores.wanted + 1";
pub(crate) const MARK_TECHNICIAN: &str = "UPDATE client_scores SET wanted = wanted + 1 \
     WHERE client_id IN (SELECT g.client_id FROM grants g WHERE g.technician_id = $1) RETURNING client_id";
pub(crate) const MARK_STEP: &str = "UPDATE client_scores SET wanted = wanted + 1 \
     WHERE client_id IN (SELECT g.client_id FROM grants g JOIN lifecycle_steps s ON s.technician_id = g.technician_id \
                         WHERE s.id = $1) RETURNING client_id";
pub(crate) const MARK_EVERYONE: &str = "UPDATE score_state SET generation = generation + 1 WHERE id = 1";
/// Clients written without a change of their own (demo data): a row, out of date.
pub(crate) const MARK_MISSING: &str = "INSERT INTO client_scores (client_id) \
     SELECT c.id FROM clients c WHERE NOT EXISTS (SELECT 1 FROM client_scores s WHERE s.client_id = c.id)";

/// Up to how many clients out of date with the generation a reader recomputes itself (a small
/// portfolio after a settings change: at once); beyond, the background does while the rows of
/// the generation before are served.
pub const INLINE_LIMIT: usize = 200;

/// How long before a row's computation a reader's moment may lie and the row still be taken as
/// of that moment (requests and computations overlap by milliseconds; a test asks about any
/// moment it likes, and gets it computed).
const EARLIER_BY: i64 = 5;

/// What a row keeps of a client's score: what the ranking shows and the heatmap's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Stored {
    slug: String,
    name: String,
    tier: String,
    coverage: Option<i64>,
    posture: Option<i64>,
    band: Band,
    /// The overrides that raised the band: (floor, reason).
    raised: Vec<(Band, String)>,
    top_gap: Option<StoredGap>,
    priority: Option<i64>,
    /// Coverage by category id.
    cells: Vec<(String, Option<i64>)>,
    /// What the governance debt and the key figures count of the client.
    #[serde(default)]
    facts: Facts,
    /// An archived client: not ranked, its facts still counted.
    #[serde(default)]
    archived: bool,
}

/// What the portfolio's governance debt and key figures count of one client at the moment of
/// its row (they change with time at the moments [`next_check`] names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Facts {
    /// Controls past their re-verification time, as `controls::list_overdue` counts them.
    pub stale_evidence: i64,
    /// Open reviews past the end of their due day (see `sources::overdue_reviews`).
    pub overdue_reviews: i64,
    /// Grants not revoked with at least one stale-access finding.
    pub access_findings: i64,
    /// Grants past their revocation deadline: (technician id, technician name, the deadline).
    pub overdue_revocations: Vec<(i64, String, DateTime<Utc>)>,
    /// Meetings on days that a week ahead may still show (see `sources::coming_meetings`):
    /// (day, title). The week's are picked at reading, in the reader's calendar day.
    #[serde(default)]
    pub meetings: Vec<(NaiveDate, String)>,
    /// Open reviews not past their due day (see `sources::open_reviews_ahead`): the portfolio
    /// picks those due soon at reading, in the reader's calendar day.
    #[serde(default)]
    pub open_reviews: Vec<super::sources::OpenReview>,
}

/// A client's facts from its inputs at `now`.
fn facts_of(inputs: &Inputs, client_id: i64, now: DateTime<Utc>) -> Facts {
    let states = inputs.states.get(&client_id).map(Vec::as_slice).unwrap_or(&[]);
    let stale_evidence = states
        .iter()
        .filter(|s| {
            let control = &inputs.catalog[s.control];
            control.retired_at.is_none()
                && s.status != ControlStatus::NotApplicable
                && s.last_verified_at.and_then(|at| control.review.next_due(at)).is_some_and(|due| due < now)
        })
        .count() as i64;
    let mut facts = Facts {
        stale_evidence,
        overdue_reviews: inputs.reviews.get(&client_id).copied().unwrap_or(0),
        ..Facts::default()
    };
    for grant in inputs.grants_of_client(client_id).filter(|g| g.revoked_at.is_none()) {
        let found = access::model::findings(grant, &inputs.policy, now);
        if found.is_empty() {
            continue;
        }
        facts.access_findings += 1;
        if found.contains(&FindingKind::RevocationOverdue) {
            if let Some(due) = grant.revocation_deadline(&inputs.policy) {
                facts.overdue_revocations.push((grant.technician_id, grant.technician_name.clone(), due));
            }
        }
    }
    facts
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredGap {
    control_id: String,
    title: String,
    category_id: String,
    severity: i64,
    status: String,
    stale: bool,
    gap_halves: i64,
    cost_tenths: i64,
}

impl Stored {
    fn of(client: &RankedClient, cells: Vec<(String, Option<i64>)>, facts: Facts) -> Stored {
        let score = &client.score;
        Stored {
            slug: client.slug.clone(),
            name: client.name.clone(),
            tier: client.impact_tier.as_str().to_string(),
            coverage: score.coverage,
            posture: score.posture,
            band: score.band,
            raised: score.raised.iter().map(|o| (o.floor, o.reason.clone())).collect(),
            top_gap: score.top_gap.as_ref().map(|g| StoredGap {
                control_id: g.control_id.clone(),
                title: g.title.clone(),
                category_id: g.category_id.clone(),
                severity: g.severity,
                status: g.status.as_str().to_string(),
                stale: g.stale,
                gap_halves: g.gap_halves,
                cost_tenths: g.cost_tenths,
            }),
            priority: client.priority_hundredths,
            cells,
            facts,
            archived: false,
        }
    }

    fn archived(slug: &str, name: &str, facts: Facts) -> Stored {
        Stored {
            slug: slug.to_string(),
            name: name.to_string(),
            tier: ImpactTier::Standard.as_str().to_string(),
            coverage: None,
            posture: None,
            band: Band::NotRated,
            raised: Vec::new(),
            top_gap: None,
            priority: None,
            cells: Vec::new(),
            facts,
            archived: true,
        }
    }

    fn ranked(self, id: i64) -> (RankedClient, Vec<(String, Option<i64>)>, Facts) {
        let client = RankedClient {
            id,
            slug: self.slug,
            name: self.name,
            impact_tier: ImpactTier::parse(&self.tier).unwrap_or(ImpactTier::Standard),
            score: RankedScore {
                coverage: self.coverage,
                posture: self.posture,
                band: self.band,
                raised: self
                    .raised
                    .into_iter()
                    .map(|(floor, reason)| Override { floor, reason, raised: true })
                    .collect(),
                top_gap: self.top_gap.map(|g| Gap {
                    control_id: g.control_id,
                    title: g.title,
                    category_id: g.category_id,
                    severity: g.severity,
                    status: ControlStatus::parse(&g.status).unwrap_or(ControlStatus::NotAssessed),
                    stale: g.stale,
                    gap_halves: g.gap_halves,
                    cost_tenths: g.cost_tenths,
                }),
            },
            priority_hundredths: self.priority,
        };
        (client, self.cells, self.facts)
    }
}

/// One client's result: what to keep (none: no such client), and when time alone changes it.
struct Computed {
    client_id: i64,
    stored: Option<Stored>,
    next_check: Option<DateTime<Utc>>,
}

/// From how many clients a computation loads every client's inputs at once rather than each
/// client's by its index.
const BULK_FROM: usize = 100;

/// The scores of `ids` (every client when `None`) at `now`, under `generation` (read before).
async fn compute(db: &Db, ids: Option<&[i64]>, now: DateTime<Utc>, generation: i64) -> Result<Vec<Computed>> {
    match ids {
        None => {
            let rows = store::list_active_clients(db, None, None).await?;
            let all: Vec<i64> = rows.iter().map(|c| c.id).collect();
            let inputs = super::load_inputs(db, None, None, &all, now, Some(generation)).await?;
            let ahead = super::sources::open_reviews_ahead(db, &all, now).await?;
            let mut meetings = super::sources::coming_meetings(db, &all, now).await?;
            let mut computed: Vec<Computed> =
                rows.into_iter().map(|c| computed(&inputs, c, &ahead, &mut meetings, now)).collect();
            // Archived clients keep the facts of their grants (access not revoked still counts).
            let archived: HashMap<i64, (String, String)> =
                archived_clients(db, None).await?.into_iter().map(|(id, slug, name)| (id, (slug, name))).collect();
            let active: HashSet<i64> = all.into_iter().collect();
            for id in list_rows(db).await? {
                if active.contains(&id) {
                    continue;
                }
                computed.push(match archived.get(&id) {
                    Some((slug, name)) => archived_computed(&inputs, id, slug, name, now),
                    None => Computed { client_id: id, stored: None, next_check: None },
                });
            }
            Ok(computed)
        }
        // Many clients (the first read after an upgrade, a sweep after a long stop): every
        // client's inputs at once, then the wanted ones.
        Some(ids) if ids.len() > BULK_FROM => {
            let wanted: HashSet<i64> = ids.iter().copied().collect();
            let mut all = Box::pin(compute(db, None, now, generation)).await?;
            all.retain(|c| wanted.contains(&c.client_id));
            // Clients without a row yet (none known to the full list): no result.
            let found: HashSet<i64> = all.iter().map(|c| c.client_id).collect();
            all.extend(ids.iter().filter(|id| !found.contains(id)).map(|&id| Computed {
                client_id: id,
                stored: None,
                next_check: None,
            }));
            Ok(all)
        }
        Some(ids) => {
            let mut computed = Vec::with_capacity(ids.len());
            for &id in ids {
                let Some(row) = store::list_active_clients(db, None, Some(id)).await?.pop() else {
                    computed.push(match archived_clients(db, Some(id)).await?.pop() {
                        Some((id, slug, name)) => {
                            let inputs = super::load_inputs(db, None, Some(id), &[id], now, Some(generation)).await?;
                            archived_computed(&inputs, id, &slug, &name, now)
                        }
                        None => Computed { client_id: id, stored: None, next_check: None },
                    });
                    continue;
                };
                let inputs = super::load_inputs(db, None, Some(id), &[id], now, Some(generation)).await?;
                let ahead = super::sources::open_reviews_ahead(db, &[id], now).await?;
                let mut meetings = super::sources::coming_meetings(db, &[id], now).await?;
                computed.push(self::computed(&inputs, row, &ahead, &mut meetings, now));
            }
            Ok(computed)
        }
    }
}

/// Archived clients (`only`: that one): id, slug, name.
async fn archived_clients(db: &Db, only: Option<i64>) -> Result<Vec<(i64, String, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, slug, name FROM clients WHERE archived_at IS NOT NULL AND ($1 IS NULL OR id = $1)")
            .bind(only)
            .fetch_all(pool)
            .await?
    }))
}

/// An archived client's row: no score, but the facts of its grants not revoked (findings and
/// overdue revocations count wherever access is held).
fn archived_computed(inputs: &Inputs, id: i64, slug: &str, name: &str, now: DateTime<Utc>) -> Computed {
    let facts = Facts { stale_evidence: 0, overdue_reviews: 0, ..facts_of(inputs, id, now) };
    let next_check = next_check(inputs, id, None, now);
    Computed { client_id: id, stored: Some(Stored::archived(slug, name, facts)), next_check }
}

fn computed(
    inputs: &Inputs,
    row: store::ClientRow,
    (deadlines, open_reviews): &super::sources::ReviewsAhead,
    meetings: &mut HashMap<i64, Vec<(NaiveDate, String)>>,
    now: DateTime<Utc>,
) -> Computed {
    let id = row.id;
    let next_check = next_check(inputs, id, deadlines.get(&id).copied(), now);
    let (ranked, cells) = super::rank_one(inputs, row, now);
    let cells = inputs.categories.iter().map(|c| c.id.clone()).zip(cells).collect();
    let facts = Facts {
        meetings: meetings.remove(&id).unwrap_or_default(),
        open_reviews: open_reviews.get(&id).cloned().unwrap_or_default(),
        ..facts_of(inputs, id, now)
    };
    Computed { client_id: id, stored: Some(Stored::of(&ranked, cells, facts)), next_check }
}

/// The first moment after `now` at which time alone changes a client's kept result: evidence
/// going stale (strictly after its due time), a leaver's grace ending and then each day more
/// (the reason counts the days), the moments of the grants' findings (a revocation deadline,
/// a re-approval or review due, an expiry, a leaver's departure), the end of the due day of the
/// next open review.
fn next_check(
    inputs: &Inputs,
    client_id: i64,
    review_deadline: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // "After" a time: the first moment a strict comparison holds. The clock has nanoseconds;
    // PostgreSQL keeps microseconds and stores this as `t` itself: a moment kept earlier than
    // the true one only recomputes a row sooner, never later.
    let after = |t: DateTime<Utc>| t + Duration::nanoseconds(1);
    let mut moments: Vec<DateTime<Utc>> = Vec::new();
    // Evidence going stale: for the score (controls on the checklist) and the debt (any
    // recorded control), strictly after its due time.
    for state in inputs.states.get(&client_id).map(Vec::as_slice).unwrap_or(&[]) {
        let control = &inputs.catalog[state.control];
        if let Some(due) = state.last_verified_at.and_then(|at| control.review.next_due(at)) {
            moments.push(after(due));
        }
    }
    let grace = Duration::days(inputs.settings.leaver_override_days);
    for grant in inputs.grants_of_client(client_id).filter(|g| g.revoked_at.is_none()) {
        // The moments of the stale-access findings (`access::model::findings`).
        if let Some(due) = grant.revocation_deadline(&inputs.policy) {
            moments.push(after(due));
        }
        if grant.technician_state.is_leaver() {
            moments.extend(grant.technician_departed_at);
        }
        moments.extend(grant.reapproval_due_at.map(after));
        moments.extend(grant.expires_at);
        let reviewed = grant.last_reviewed_at.unwrap_or(grant.granted_at);
        moments.push(after(inputs.policy.review_due(grant.client_id, reviewed)));
        if let (true, Some(t0)) = (grant.technician_state.is_leaver(), grant.technician_departed_at) {
            moments.push(after(t0 + grace));
            if now > t0 + grace {
                moments.push(t0 + Duration::days((now - t0).num_days() + 1));
            }
        }
    }
    moments.extend(review_deadline);
    moments.into_iter().filter(|t| *t > now).min()
}

/// Every client with a row.
async fn list_rows(db: &Db) -> Result<Vec<i64>> {
    Ok(on_pool!(db, |pool| { sqlx::query_scalar("SELECT client_id FROM client_scores").fetch_all(pool).await? }))
}

/// The changes counted for `ids` (every row when `None`), and the generation now.
async fn wanted(db: &Db, ids: Option<&[i64]>) -> Result<(HashMap<i64, i64>, i64)> {
    let generation: i64 = on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT generation FROM score_state WHERE id = 1").fetch_one(pool).await?
    });
    let all = || async {
        Ok::<Vec<(i64, i64)>, crate::error::DomainError>(on_pool!(db, |pool| {
            sqlx::query_as("SELECT client_id, wanted FROM client_scores").fetch_all(pool).await?
        }))
    };
    let rows: Vec<(i64, i64)> = match ids {
        None => all().await?,
        Some(ids) if ids.len() > BULK_FROM => {
            let wanted: HashSet<i64> = ids.iter().copied().collect();
            all().await?.into_iter().filter(|(id, _)| wanted.contains(id)).collect()
        }
        Some(ids) => {
            let mut rows = Vec::with_capacity(ids.len());
            for &id in ids {
                let row: Option<(i64, i64)> = on_pool!(db, |pool| {
                    sqlx::query_as("SELECT client_id, wanted FROM client_scores WHERE client_id = $1")
                        .bind(id)
                        .fetch_optional(pool)
                        .await?
                });
                rows.extend(row);
            }
            rows
        }
    };
    Ok((rows.into_iter().collect(), generation))
}

/// How many rows one transaction writes: a recomputation of every client holds the database's
/// write turn for a moment at a time, not for all of them.
const WRITE_CHUNK: usize = 500;

/// One row to write: a result computed after `count` changes, under `generation`, at `at`.
struct RowWrite {
    computed: Computed,
    count: i64,
    generation: i64,
    at: DateTime<Utc>,
}

/// The rows of `computed` that have a count in `wanted`, to write.
fn row_writes(
    computed: Vec<Computed>,
    wanted: &HashMap<i64, i64>,
    generation: i64,
    at: DateTime<Utc>,
) -> Vec<RowWrite> {
    computed
        .into_iter()
        .filter_map(|computed| {
            let count = *wanted.get(&computed.client_id)?;
            Some(RowWrite { computed, count, generation, at })
        })
        .collect()
}

/// Writes rows, each with the next version. A row is not moved back to an older count of
/// changes (a slower computation that started earlier).
async fn write<'a>(db: &Db, rows: impl IntoIterator<Item = &'a RowWrite>) -> Result<()> {
    let rows: Vec<&RowWrite> = rows.into_iter().collect();
    for chunk in rows.chunks(WRITE_CHUNK) {
        let kept: Vec<Option<String>> = chunk
            .iter()
            .map(|r| r.computed.stored.as_ref().map(|s| serde_json::to_string(s).expect("a stored score serialises")))
            .collect();
        on_pool!(db, |pool| {
            // Derived rows: their commit does not wait for the disk (see `crate::db`'s writes).
            let mut tx = pool.begin_derived().await?;
            let version: i64 =
                sqlx::query_scalar("UPDATE score_state SET version = version + 1 WHERE id = 1 RETURNING version")
                    .fetch_one(&mut *tx)
                    .await?;
            for (r, kept) in chunk.iter().zip(&kept) {
                sqlx::query(
                    "UPDATE client_scores SET computed = $2, generation = $3, version = $4, computed_at = $5, \
                     next_check = $6, kept = $7 WHERE client_id = $1 AND computed <= $2",
                )
                .bind(r.computed.client_id)
                .bind(r.count)
                .bind(r.generation)
                .bind(version)
                .bind(r.at)
                .bind(r.computed.next_check)
                .bind(kept)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
    }
    Ok(())
}

/// The rows of changes made at once, waiting to be written together: while one transaction
/// writes, the rows computed meanwhile gather here, and the first of their writers to get the
/// turn writes all of them in one transaction (one version, one commit) rather than each its
/// own. On SQLite, whose one writer every change and score waits for, eight writers at once
/// otherwise queued eight score transactions behind one another.
#[derive(Default)]
struct Gathering {
    waiting: std::sync::Mutex<Vec<(Vec<RowWrite>, tokio::sync::oneshot::Sender<bool>)>>,
    turn: tokio::sync::Mutex<()>,
}

/// The gathering of one database.
fn gathering_of(db: &Db) -> Arc<Gathering> {
    static GATHERINGS: std::sync::Mutex<Vec<(String, Arc<Gathering>)>> = std::sync::Mutex::new(Vec::new());
    let database = db.identity();
    let mut all = GATHERINGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, gathering)) = all.iter().find(|(d, _)| *d == database) {
        return gathering.clone();
    }
    let gathering = Arc::new(Gathering::default());
    all.push((database, gathering.clone()));
    gathering
}

/// Writes `rows` together with those of other changes made at the same time (see
/// [`Gathering`]); returns once they are written.
async fn write_together(db: &Db, rows: Vec<RowWrite>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let gathering = gathering_of(db);
    let (sent, mut written) = tokio::sync::oneshot::channel();
    gathering.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((rows, sent));
    let _turn = gathering.turn.lock().await;
    // Written by the writer that had the turn before (which says so before it hands the turn
    // on), or still waiting, to be written now with whatever gathered since.
    match written.try_recv() {
        Ok(true) => return Ok(()),
        Ok(false) | Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
            return Err(crate::error::DomainError::internal(std::io::Error::other(
                "the scores written together with this change's were not written",
            )));
        }
        Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {}
    }
    let gathered = std::mem::take(&mut *gathering.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let result = write(db, gathered.iter().flat_map(|(rows, _)| rows)).await;
    for (_, sent) in gathered {
        let _ = sent.send(result.is_ok());
    }
    result
}

/// Recomputes `ids` (every client when `None`) at `now`: how many it recomputed, and the rows
/// to write.
async fn recompute(db: &Db, ids: Option<&[i64]>, now: DateTime<Utc>) -> Result<(usize, Vec<RowWrite>)> {
    if ids.is_some_and(<[i64]>::is_empty) {
        return Ok((0, Vec::new()));
    }
    // The counts first: a change committed while computing leaves its row out of date.
    let (wanted, generation) = wanted(db, ids).await?;
    let computed = compute(db, ids, now, generation).await?;
    Ok((computed.len(), row_writes(computed, &wanted, generation, now)))
}

/// Recomputes `ids` (every client when `None`) at `now` and writes their rows. Returns how many
/// it recomputed.
async fn refresh(db: &Db, ids: Option<&[i64]>, now: DateTime<Utc>) -> Result<usize> {
    let (recomputed, rows) = recompute(db, ids, now).await?;
    write(db, &rows).await?;
    Ok(recomputed)
}

/// Recomputes the clients a committed change reached (see the module). A failure leaves their
/// rows out of date for the next reader: the change itself stands.
pub(crate) async fn after_change(db: &Db, clients: &[i64]) {
    if clients.is_empty() {
        return;
    }
    let mut ids = clients.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let recomputed = async {
        let (_, rows) = recompute(db, Some(&ids), crate::clock::now()).await?;
        write_together(db, rows).await
    };
    if let Err(error) = recomputed.await {
        tracing::warn!(error = %error, "scores not recomputed after a change; the next reader will");
    }
}

/// The scheduled sweep (see the module): recomputes the clients whose next moment has passed
/// and, after a change of every client, all of them. Several servers may run it: each row due
/// is taken by one of them (its moment is cleared as it is marked out of date), and the whole
/// recomputation by one a time (claimed in `score_state`). Returns how many clients it
/// recomputed.
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<usize> {
    let due: Vec<i64> = on_pool!(db, |pool| {
        sqlx::query_scalar(
            "UPDATE client_scores SET wanted = wanted + 1, next_check = NULL \
             WHERE next_check IS NOT NULL AND next_check <= $1 RETURNING client_id",
        )
        .bind(now)
        .fetch_all(pool)
        .await?
    });
    let mut recomputed = refresh(db, Some(&due), now).await?;
    // Rows left out of date by a server that stopped.
    recomputed += refresh(db, Some(&out_of_date(db).await?), now).await?;
    if behind_generation(db).await? > 0 && claim_refresh(db, now).await? {
        let all = refresh(db, None, now).await;
        release_refresh(db).await?;
        recomputed += all?;
    }
    Ok(recomputed)
}

/// Rows whose counted changes are not all in their result.
async fn out_of_date(db: &Db) -> Result<Vec<i64>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT client_id FROM client_scores WHERE wanted <> computed").fetch_all(pool).await?
    }))
}

/// How many rows were computed under an older generation.
async fn behind_generation(db: &Db) -> Result<i64> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM client_scores WHERE generation < (SELECT generation FROM score_state WHERE id = 1)",
        )
        .fetch_one(pool)
        .await?
    }))
}

/// A claim of the whole recomputation older than this belongs to a server that stopped.
const REFRESH_CLAIM_MINUTES: i64 = 10;

/// Claims the recomputation of every client for this server (false: another has it).
async fn claim_refresh(db: &Db, now: DateTime<Utc>) -> Result<bool> {
    let stale = now - Duration::minutes(REFRESH_CLAIM_MINUTES);
    let claimed = on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE score_state SET refreshing_at = $1 WHERE id = 1 AND (refreshing_at IS NULL OR refreshing_at < $2)",
        )
        .bind(now)
        .bind(stale)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(claimed == 1)
}

async fn release_refresh(db: &Db) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE score_state SET refreshing_at = NULL WHERE id = 1").execute(pool).await?;
    });
    Ok(())
}

/// Starts the recomputation of every client in the background, unless this process (or, by
/// its claim in `score_state`, another server) already has it under way.
fn refresh_in_background(db: &Db) {
    // The databases whose recomputation this process has under way.
    static UNDER_WAY: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let database = db.identity();
    {
        let mut under_way = UNDER_WAY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if under_way.contains(&database) {
            return;
        }
        under_way.push(database.clone());
    }
    let db = db.clone();
    tokio::spawn(async move {
        let now = crate::clock::now();
        match claim_refresh(&db, now).await {
            Ok(true) => {
                if let Err(error) = refresh(&db, None, now).await {
                    tracing::warn!(error = %error, "recomputing every client's score failed; the sweep retries");
                }
                if let Err(error) = release_refresh(&db).await {
                    tracing::warn!(error = %error, "the claim of the recomputation could not be released");
                }
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(error = %error, "the recomputation of every client could not be claimed"),
        }
        UNDER_WAY.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|d| *d != database);
    });
}

/// The kept rows' version and generation as the database has them now: what moves when any
/// client's kept score is written, and when a change reaches every client.
async fn kept_version(db: &Db) -> Result<(i64, i64)> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT version, generation FROM score_state WHERE id = 1").fetch_one(pool).await?
    }))
}

/// A row's coverage by category in `categories`' order (the heatmap's columns).
fn aligned(cells: &[(String, Option<i64>)], categories: &[Category]) -> Vec<Option<i64>> {
    categories.iter().map(|c| cells.iter().find(|(id, _)| *id == c.id).and_then(|(_, value)| *value)).collect()
}

/// A row as a server keeps it.
struct Row {
    client: Arc<RankedClient>,
    cells: Vec<(String, Option<i64>)>,
    /// `cells` in the categories' order, as of the last read.
    aligned: Vec<Option<i64>>,
    facts: Facts,
    /// Not ranked (see [`Stored::archived`]).
    archived: bool,
    generation: i64,
    computed_at: Option<DateTime<Utc>>,
    next_check: Option<DateTime<Utc>>,
}

impl Row {
    /// Whether the row's result is the client's at `now`.
    fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.computed_at.is_some_and(|at| at - Duration::seconds(EARLIER_BY) <= now)
            && self.next_check.is_none_or(|next| now < next)
    }
}

#[derive(sqlx::FromRow)]
struct RowRead {
    client_id: i64,
    version: i64,
    generation: i64,
    computed_at: Option<DateTime<Utc>>,
    next_check: Option<DateTime<Utc>>,
    kept: Option<String>,
}

/// The rows of one database as this server last read them.
struct Mirror {
    database: String,
    version: i64,
    generation: i64,
    /// Clients' rows (an archived client's counts its facts and is not ranked).
    rows: HashMap<i64, Row>,
    /// Rows read without a result (not computed yet).
    empty: HashSet<i64>,
    categories: Vec<Category>,
    settings: ScoreSettings,
    /// The ranking of every client, at `version` and `generation`.
    everyone: Option<(i64, i64, bool, Arc<Ranking>)>,
    /// The clients whose rows were read since `everyone` was made.
    touched: HashSet<i64>,
    /// Every client's facts summed, at `version`, `generation` and a day of the calendar.
    everyone_facts: Option<(i64, i64, NaiveDate, KeptFacts)>,
    /// When the rows next need a look, as of the last read.
    outlook: Outlook,
}

/// What decides whether every row holds at a moment, gathered once per read of the rows rather
/// than at every reader's look (see [`Row::holds_at`]).
#[derive(Default)]
struct Outlook {
    /// The soonest `next_check`.
    soonest: Option<DateTime<Utc>>,
    /// The latest computation.
    latest: Option<DateTime<Utc>>,
    /// A row without a computation time.
    uncomputed: bool,
    /// Rows behind the generation.
    behind: usize,
}

impl Mirror {
    fn new(database: String) -> Mirror {
        Mirror {
            database,
            version: -1,
            generation: 0,
            rows: HashMap::new(),
            empty: HashSet::new(),
            categories: Vec::new(),
            settings: ScoreSettings::default(),
            everyone: None,
            touched: HashSet::new(),
            everyone_facts: None,
            outlook: Outlook::default(),
        }
    }

    /// Reads the rows written since the last read (all of them the first time, or when the
    /// database is older than what was read: a restored backup).
    async fn catch_up(&mut self, db: &Db) -> Result<()> {
        let (version, generation) = kept_version(db).await?;
        if version == self.version && generation == self.generation {
            return Ok(());
        }
        if version < self.version {
            *self = Mirror::new(std::mem::take(&mut self.database));
        }
        let since = self.version;
        // The categories and settings change with the generation only (as every change of them
        // moves it); read at the first catch-up and after each move.
        let regenerated = generation != self.generation || since < 0;
        if regenerated {
            self.categories = controls::store::list_categories(db).await?;
            self.settings = store::load_settings(db).await?;
        }
        let rows: Vec<RowRead> = on_pool!(db, |pool| {
            sqlx::query_as(
                "SELECT client_id, version, generation, computed_at, next_check, kept FROM client_scores \
                 WHERE version > $1",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        let mut newest = self.version.max(0);
        for read in rows {
            newest = newest.max(read.version);
            self.touched.insert(read.client_id);
            let stored = read.kept.as_deref().and_then(|k| serde_json::from_str::<Stored>(k).ok());
            match stored {
                Some(stored) => {
                    let archived = stored.archived;
                    let (client, cells, facts) = stored.ranked(read.client_id);
                    let client = Arc::new(client);
                    self.empty.remove(&read.client_id);
                    self.rows.insert(
                        read.client_id,
                        Row {
                            client,
                            aligned: aligned(&cells, &self.categories),
                            cells,
                            facts,
                            archived,
                            generation: read.generation,
                            computed_at: read.computed_at,
                            next_check: read.next_check,
                        },
                    );
                }
                None => {
                    self.rows.remove(&read.client_id);
                    self.empty.insert(read.client_id);
                }
            }
        }
        // Versions commit in order: every row up to the state's version has been read.
        self.version = newest.max(version);
        if regenerated {
            for row in self.rows.values_mut() {
                row.aligned = aligned(&row.cells, &self.categories);
            }
        }
        self.generation = generation;
        self.outlook = self.outlook();
        Ok(())
    }

    fn outlook(&self) -> Outlook {
        let mut outlook = Outlook::default();
        for row in self.rows.values() {
            if let Some(next) = row.next_check {
                outlook.soonest = Some(outlook.soonest.map_or(next, |s| s.min(next)));
            }
            match row.computed_at {
                Some(at) => outlook.latest = Some(outlook.latest.map_or(at, |l| l.max(at))),
                None => outlook.uncomputed = true,
            }
            if row.generation < self.generation {
                outlook.behind += 1;
            }
        }
        outlook
    }

    /// Whether every row holds at `now` and none is behind the generation: what
    /// [`Mirror::not_holding`] would find nothing in, without looking at every row.
    fn all_hold_at(&self, now: DateTime<Utc>) -> bool {
        let outlook = &self.outlook;
        !outlook.uncomputed
            && outlook.behind == 0
            && outlook.soonest.is_none_or(|soonest| now < soonest)
            && outlook.latest.is_none_or(|at| at - Duration::seconds(EARLIER_BY) <= now)
    }

    /// The clients whose rows do not hold at `now`, and those behind the generation.
    fn not_holding(&self, now: DateTime<Utc>) -> (Vec<i64>, Vec<i64>) {
        let mut stale = Vec::new();
        let mut behind = Vec::new();
        for (&id, row) in &self.rows {
            if !row.holds_at(now) {
                stale.push(id);
            } else if row.generation < self.generation {
                behind.push(id);
            }
        }
        (stale, behind)
    }

    /// The sums of the facts of `visible` clients (every client when `None`).
    fn facts(&self, visible: Option<&HashSet<i64>>, now: DateTime<Utc>) -> KeptFacts {
        let today = crate::clock::calendar().today(now);
        let week = today + Duration::days(7);
        let in_week = |row: &Row| row.facts.meetings.iter().any(|(day, _)| today <= *day && *day <= week);
        let mut kept = KeptFacts { version: self.version, generation: self.generation, ..KeptFacts::default() };
        // The counts are sums; the lists are made from the few rows that have something to list,
        // in clients' name order (as the grants are listed).
        let mut listing: Vec<(&i64, &Row)> = Vec::new();
        let soon_to = today + Duration::days(crate::portfolio::DUE_SOON_DAYS);
        let mut soon: Vec<(NaiveDate, &str, &str, i64)> = Vec::new();
        for (id, row) in self.rows.iter().filter(|(id, _)| visible.is_none_or(|v| v.contains(id))) {
            for (due, kind, review) in
                row.facts.open_reviews.iter().filter(|(due, ..)| today <= *due && *due <= soon_to)
            {
                soon.push((*due, &row.client.name, kind, *review));
            }
            kept.counts.count(row.client.impact_tier, row.archived);
            kept.stale_evidence += row.facts.stale_evidence;
            kept.overdue_reviews += row.facts.overdue_reviews;
            kept.access_findings += row.facts.access_findings;
            if !row.facts.overdue_revocations.is_empty() || in_week(row) {
                listing.push((id, row));
            }
        }
        listing.sort_by(|a, b| a.1.client.name.cmp(&b.1.client.name).then(a.0.cmp(b.0)));
        let mut leavers: std::collections::BTreeMap<i64, super::LeaverDebt> = std::collections::BTreeMap::new();
        for (_, row) in listing {
            let facts = &row.facts;
            for (day, title) in facts.meetings.iter().filter(|(day, _)| today <= *day && *day <= week) {
                kept.meetings_next_week.push(super::Meeting {
                    client_id: row.client.id,
                    day: *day,
                    title: title.clone(),
                });
            }
            for (technician_id, name, due) in &facts.overdue_revocations {
                let debt = leavers.entry(*technician_id).or_insert_with(|| super::LeaverDebt {
                    technician_id: *technician_id,
                    name: name.clone(),
                    clients: Vec::new(),
                    grants: 0,
                    overdue_since: None,
                });
                debt.grants += 1;
                let client = (row.client.slug.clone(), row.client.name.clone());
                if !debt.clients.contains(&client) {
                    debt.clients.push(client);
                }
                debt.overdue_since = Some(debt.overdue_since.map_or(*due, |d| d.min(*due)));
            }
        }
        kept.meetings_next_week.sort_by(|a, b| (a.day, &a.title).cmp(&(b.day, &b.title)));
        kept.reviews_soon_total = soon.len() as i64;
        soon.sort_unstable();
        kept.reviews_soon_first = soon.iter().take(crate::portfolio::DUE_SOON_SHOWN).map(|s| s.3).collect();
        kept.leavers = leavers.into_values().collect();
        kept.leavers.sort_by_key(|l| l.overdue_since);
        kept
    }

    /// The ranking of `visible` clients (every client when `None`).
    fn ranking(&self, visible: Option<&HashSet<i64>>, updating: bool) -> Ranking {
        let mut ranked: Vec<Arc<RankedClient>> = Vec::with_capacity(visible.map_or(self.rows.len(), HashSet::len));
        for (id, row) in &self.rows {
            if row.archived || visible.is_some_and(|v| !v.contains(id)) {
                continue;
            }
            ranked.push(row.client.clone());
        }
        super::sort_ranked(&mut ranked);
        self.ranking_of(ranked, updating)
    }

    /// The ranking of every client made from `before` (every client's, made at this generation
    /// and updating alike), with the clients touched since taken out and put back in their new
    /// places: the same ranking as [`Mirror::ranking`], without sorting every client again.
    fn ranking_again(&self, before: &Ranking, updating: bool) -> Ranking {
        let mut ranked: Vec<Arc<RankedClient>> = Vec::with_capacity(before.clients.len() + self.touched.len());
        ranked.extend(before.clients.iter().filter(|c| !self.touched.contains(&c.id)).cloned());
        for id in &self.touched {
            if let Some(row) = self.rows.get(id).filter(|row| !row.archived) {
                super::insert_ranked(&mut ranked, row.client.clone());
            }
        }
        self.ranking_of(ranked, updating)
    }

    /// The ranking of `ranked` clients (in order), with its heatmap.
    fn ranking_of(&self, ranked: Vec<Arc<RankedClient>>, updating: bool) -> Ranking {
        let cells = |id: i64| self.rows.get(&id).map(|row| row.aligned.clone()).unwrap_or_default();
        let heatmap = super::heatmap_of(&ranked, cells, &self.categories, &self.settings);
        Ranking {
            clients: ranked,
            categories: self.categories.clone(),
            settings: self.settings.clone(),
            heatmap,
            updating,
        }
    }
}

/// Up to how many clients changed since the whole ranking was made it is made again by putting
/// them in their new places (each a binary search and a move of the clients after it) rather
/// than by sorting every client.
const RERANK_UP_TO: usize = 256;

/// The servers' rows, by database (a process may open several: tests, tools).
static MIRRORS: tokio::sync::Mutex<Vec<Mirror>> = tokio::sync::Mutex::const_new(Vec::new());

/// The ranking of the clients a reader may see (narrowed as the client list: `assigned_to`,
/// `only_client`) at `now`, from the kept rows (see the module).
pub(crate) async fn ranking(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Arc<Ranking>> {
    ranking_within(db, assigned_to, only_client, now, INLINE_LIMIT).await
}

/// The whole portfolio's ranking as [`ranking`] reads it, but with the reader recomputing at
/// most `inline_limit` clients behind the generation itself: for tests of the background.
pub async fn ranking_served_inline_up_to(db: &Db, now: DateTime<Utc>, inline_limit: usize) -> Result<Arc<Ranking>> {
    ranking_within(db, None, None, now, inline_limit).await
}

async fn ranking_within(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    now: DateTime<Utc>,
    inline_limit: usize,
) -> Result<Arc<Ranking>> {
    let visible = visible(db, assigned_to, only_client).await?;
    let mut mirrors = MIRRORS.lock().await;
    let (mirror, updating) = fresh(&mut mirrors, db, now, inline_limit).await?;
    if visible.is_some() {
        return Ok(Arc::new(mirror.ranking(visible.as_ref(), updating)));
    }
    let everyone = match &mirror.everyone {
        Some((version, generation, was_updating, kept))
            if (*version, *generation, *was_updating) == (mirror.version, mirror.generation, updating) =>
        {
            return Ok(kept.clone());
        }
        // A few clients changed since: put them in their new places.
        Some((_, generation, was_updating, kept))
            if (*generation, *was_updating) == (mirror.generation, updating)
                && mirror.touched.len() <= RERANK_UP_TO =>
        {
            Arc::new(mirror.ranking_again(kept, updating))
        }
        _ => Arc::new(mirror.ranking(None, updating)),
    };
    mirror.touched.clear();
    mirror.everyone = Some((mirror.version, mirror.generation, updating, everyone.clone()));
    Ok(everyone)
}

/// What the governance debt and the key figures count across the clients a reader may see
/// (narrowed as the client list), from the kept rows at `now`.
pub(crate) async fn kept_facts(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    now: DateTime<Utc>,
) -> Result<KeptFacts> {
    let visible = visible(db, assigned_to, only_client).await?;
    let mut mirrors = MIRRORS.lock().await;
    let (mirror, _) = fresh(&mut mirrors, db, now, INLINE_LIMIT).await?;
    let Some(visible) = &visible else {
        // Every client's: summed once per version and day (10,000 rows a page otherwise).
        let today = crate::clock::calendar().today(now);
        if let Some((version, generation, day, kept)) = &mirror.everyone_facts {
            if (*version, *generation, *day) == (mirror.version, mirror.generation, today) {
                return Ok(kept.clone());
            }
        }
        let kept = mirror.facts(None, now);
        mirror.everyone_facts = Some((mirror.version, mirror.generation, today, kept.clone()));
        return Ok(kept);
    };
    let mut kept = mirror.facts(Some(visible), now);
    let mut ids: Vec<i64> = visible.iter().copied().collect();
    ids.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&ids, &mut hasher);
    kept.scope = std::hash::Hasher::finish(&hasher) | 1;
    Ok(kept)
}

/// The portfolio's sums of the clients' [`Facts`].
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KeptFacts {
    /// The rows' version and generation these were summed at, and which clients (a hash of
    /// their ids; 0 for every client): a key for results that change with them alone (see
    /// `memo::Key::of_kept_scores`).
    pub version: i64,
    pub generation: i64,
    pub scope: u64,
    /// The clients by tier, and those archived (as `clients::count_clients` counts them).
    pub counts: ClientCounts,
    pub stale_evidence: i64,
    pub overdue_reviews: i64,
    pub access_findings: i64,
    /// Leavers past a revocation deadline, the earliest missed deadline first.
    pub leavers: Vec<super::LeaverDebt>,
    /// Meetings from today to a week ahead, by day and title.
    pub meetings_next_week: Vec<super::Meeting>,
    /// Open reviews due from today to `portfolio::DUE_SOON_DAYS` ahead: how many, and the ids of
    /// the first `portfolio::DUE_SOON_SHOWN` in the listing's order (due day, client, kind, id).
    pub reviews_soon_total: i64,
    pub reviews_soon_first: Vec<i64>,
}

/// The clients a reader may see (`None`: every client).
async fn visible(db: &Db, assigned_to: Option<i64>, only_client: Option<i64>) -> Result<Option<HashSet<i64>>> {
    Ok(match (assigned_to, only_client) {
        (_, Some(client)) => Some(HashSet::from([client])),
        (Some(user), None) => Some(assigned_clients(db, user).await?.into_iter().collect()),
        (None, None) => None,
    })
}

/// This server's rows of `db`, caught up and holding at `now` (see the module), and whether
/// rows behind the generation are being served (more than `inline_limit` of them: updating).
async fn fresh<'m>(
    mirrors: &'m mut Vec<Mirror>,
    db: &Db,
    now: DateTime<Utc>,
    inline_limit: usize,
) -> Result<(&'m mut Mirror, bool)> {
    let database = db.identity();
    let position = match mirrors.iter().position(|m| m.database == database) {
        Some(position) => position,
        None => {
            // A server's first read: rows for clients written without a change of their own.
            on_pool!(db, |pool| {
                sqlx::query(MARK_MISSING).execute(pool).await?;
            });
            mirrors.push(Mirror::new(database));
            mirrors.len() - 1
        }
    };
    let mirror = &mut mirrors[position];
    // Changes whose server did not recompute them.
    let out_of_date = out_of_date(db).await?;
    refresh(db, Some(&out_of_date), now).await?;
    mirror.catch_up(db).await?;
    // Rows whose moment passed before the sweep came by; and, for a small portfolio, those
    // behind the generation.
    let (mut stale, behind) = if mirror.all_hold_at(now) { (Vec::new(), Vec::new()) } else { mirror.not_holding(now) };
    let updating = !behind.is_empty() && behind.len() > inline_limit;
    if !updating {
        stale.extend(behind);
    }
    if !stale.is_empty() {
        stale.sort_unstable();
        refresh(db, Some(&stale), now).await?;
        mirror.catch_up(db).await?;
    }
    if updating {
        refresh_in_background(db);
    }
    Ok((mirror, updating))
}

/// The clients a user is limited to.
async fn assigned_clients(db: &Db, user: i64) -> Result<Vec<i64>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT client_id FROM user_clients WHERE user_id = $1").bind(user).fetch_all(pool).await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::contract_test!(rows_of_changes_made_while_a_write_is_under_way_are_written_together, |db| {
        let db = &db;
        crate::demo::fill(db, crate::demo::DemoSize::Small, 3).await.unwrap();
        let ids: Vec<i64> = list_rows(db).await.unwrap().into_iter().take(5).collect();
        assert_eq!(ids.len(), 5);
        // Five changes counted, none computed yet.
        for id in &ids {
            on_pool!(db, |pool| {
                sqlx::query("UPDATE client_scores SET wanted = wanted + 1 WHERE client_id = $1")
                    .bind(id)
                    .execute(pool)
                    .await
                    .unwrap();
            });
        }
        let out_of_date_now = out_of_date(db).await.unwrap();
        assert!(ids.iter().all(|id| out_of_date_now.contains(id)));
        let (version, _) = kept_version(db).await.unwrap();
        // A write under way holds the turn while the five are computed and wait.
        let gathering = gathering_of(db);
        let under_way = gathering.turn.lock().await;
        let now = crate::clock::now();
        let mut writers = Vec::new();
        for &id in &ids {
            let (wanted, generation) = wanted(db, Some(&[id])).await.unwrap();
            let rows = row_writes(compute(db, Some(&[id]), now, generation).await.unwrap(), &wanted, generation, now);
            let db = db.clone();
            writers.push(tokio::spawn(async move { write_together(&db, rows).await }));
        }
        while gathering.waiting.lock().unwrap().len() < ids.len() {
            tokio::task::yield_now().await;
        }
        drop(under_way);
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        assert_eq!(kept_version(db).await.unwrap().0, version + 1, "one transaction wrote the five");
        let out_of_date_now = out_of_date(db).await.unwrap();
        assert!(ids.iter().all(|id| !out_of_date_now.contains(id)), "each row holds its change");
        assert!(gathering.waiting.lock().unwrap().is_empty());
    });

    #[test]
    fn every_action_of_the_domain_is_classified_by_what_it_reaches() {
        // The actions written in the domain's source: a new one that names no client must be
        // placed here (nothing, or every client) or be a technician's.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut actions = std::collections::BTreeSet::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for part in text.split("Record::").skip(1) {
                        let call = &part[..part.find(')').unwrap_or(part.len())];
                        // The first string of the call shaped as an action ("area.verb").
                        let is_action = |a: &&str| {
                            a.split_once('.').is_some_and(|(area, verb)| {
                                [area, verb]
                                    .iter()
                                    .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                            })
                        };
                        if let Some(action) = call.split('"').skip(1).step_by(2).find(is_action) {
                            actions.insert(action.to_string());
                        }
                    }
                }
            }
        }
        assert!(actions.len() > 40, "the actions were found: {actions:?}");
        let names_a_client = |a: &str| {
            let families = [
                "action_item.",
                "client.",
                "control.",
                "exception.",
                "grant.",
                "meeting.",
                "review.",
                "review_series.",
                "sla.client_",
            ];
            families.iter().any(|f| a.starts_with(f))
        };
        for action in &actions {
            let classified = EVERYONE.contains(&action.as_str())
                || NOTHING.contains(&action.as_str())
                || action.starts_with("technician.")
                || names_a_client(action);
            assert!(classified, "{action}: which clients' scores may it change? (scoring::live)");
        }
    }

    #[test]
    fn a_change_reaches_its_client_a_technician_or_everyone() {
        let actor = crate::Actor::command_line();
        let named = Record::by(&actor, "control.update", "control:RA-01").client(7);
        assert_eq!(reach(&named), Reach::Client(7));
        assert_eq!(reach(&Record::by(&actor, "technician.state", "technician:3")), Reach::Technician(3));
        assert_eq!(reach(&Record::by(&actor, "technician.step_complete", "step:9")), Reach::Step(9));
        assert_eq!(reach(&Record::by(&actor, "score.settings_update", "score_settings")), Reach::Everyone);
        assert_eq!(reach(&Record::anonymous("a@b.test", "auth.sign_in", "user:a@b.test")), Reach::Nothing);
    }

    #[test]
    fn a_row_holds_from_its_computation_until_its_next_moment() {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 9, 0, 0).unwrap();
        let client = RankedClient {
            id: 1,
            slug: "a".into(),
            name: "A".into(),
            impact_tier: ImpactTier::Standard,
            score: RankedScore { coverage: None, posture: None, band: Band::NotRated, raised: vec![], top_gap: None },
            priority_hundredths: None,
        };
        let row = Row {
            client: Arc::new(client),
            cells: vec![],
            aligned: vec![],
            facts: Facts::default(),
            archived: false,
            generation: 1,
            computed_at: Some(at),
            next_check: Some(at + Duration::hours(2)),
        };
        assert!(row.holds_at(at) && row.holds_at(at + Duration::minutes(119)));
        assert!(!row.holds_at(at + Duration::hours(2)), "its moment came");
        assert!(row.holds_at(at - Duration::seconds(2)), "a request begun just before it was computed");
        assert!(!row.holds_at(at - Duration::days(1)), "long before: computed again");
        let facts = Facts {
            stale_evidence: 2,
            overdue_reviews: 1,
            access_findings: 3,
            overdue_revocations: vec![(4, "Elena".into(), at)],
            meetings: vec![(at.date_naive(), "Security review · A".into())],
            open_reviews: vec![(at.date_naive(), "access_review".into(), 7)],
        };
        let stored = Stored::of(&row.client, vec![("IAM".into(), Some(50))], facts.clone());
        let back = serde_json::from_str::<Stored>(&serde_json::to_string(&stored).unwrap()).unwrap().ranked(1);
        let expected = (row.client.as_ref().clone(), vec![("IAM".to_string(), Some(50))], facts);
        assert_eq!(format!("{back:?}"), format!("{expected:?}"));
    }

    #[test]
    fn a_ranking_made_again_from_the_last_equals_one_made_from_scratch() {
        let row = |id: i64, seed: i64, archived: bool| Row {
            client: Arc::new(RankedClient {
                id,
                slug: format!("c{id}"),
                // Names, postures and priorities repeat, so that every part of the order counts.
                name: format!("C{}", seed % 7),
                impact_tier: ImpactTier::Standard,
                score: RankedScore {
                    coverage: None,
                    posture: (seed % 5 != 0).then_some(seed % 11 * 10),
                    band: [Band::Critical, Band::High, Band::Moderate, Band::Low, Band::NotRated][(seed % 5) as usize],
                    raised: vec![],
                    top_gap: None,
                },
                priority_hundredths: (seed % 3 != 0).then_some(seed % 13 * 100),
            }),
            cells: vec![],
            aligned: vec![Some(seed % 101), (seed % 4 != 0).then_some(seed % 37)],
            facts: Facts::default(),
            archived,
            generation: 1,
            computed_at: None,
            next_check: None,
        };
        let mut mirror = Mirror::new("test".into());
        mirror.generation = 1;
        mirror.categories = vec![
            Category { id: "iam".into(), name: "Identity".into(), description: String::new() },
            Category { id: "backup".into(), name: "Backup".into(), description: String::new() },
        ];
        mirror.rows = (1..=300).map(|id| (id, row(id, id * 7919 % 1000, id % 50 == 0))).collect();
        let mut before = mirror.ranking(None, false);
        let mut seed = 17;
        for round in 0..20 {
            mirror.touched.clear();
            for _ in 0..(round % 6 + 1) * 3 {
                seed = seed * 48271 % 2147483647;
                let id = seed % 320 + 1;
                mirror.touched.insert(id);
                if seed % 10 == 0 {
                    mirror.rows.remove(&id);
                } else {
                    mirror.rows.insert(id, row(id, seed / 10, seed % 10 == 1));
                }
            }
            let again = mirror.ranking_again(&before, false);
            let scratch = mirror.ranking(None, false);
            let ids = |r: &Ranking| r.clients.iter().map(|c| c.id).collect::<Vec<_>>();
            assert_eq!(ids(&again), ids(&scratch), "round {round}");
            assert_eq!(format!("{:?}", again.heatmap()), format!("{:?}", scratch.heatmap()), "round {round}");
            before = again;
        }
    }

    #[test]
    fn the_outlook_tells_every_row_holds_exactly_when_no_row_needs_a_look() {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 9, 0, 0).unwrap();
        let row = |id: i64, computed: Option<i64>, next: Option<i64>, generation: i64| Row {
            client: Arc::new(RankedClient {
                id,
                slug: format!("c{id}"),
                name: format!("C{id}"),
                impact_tier: ImpactTier::Standard,
                score: RankedScore {
                    coverage: None,
                    posture: None,
                    band: Band::NotRated,
                    raised: vec![],
                    top_gap: None,
                },
                priority_hundredths: None,
            }),
            cells: vec![],
            aligned: vec![],
            facts: Facts::default(),
            archived: false,
            generation,
            computed_at: computed.map(|m| at + Duration::minutes(m)),
            next_check: next.map(|m| at + Duration::minutes(m)),
        };
        let sets: Vec<Vec<Row>> = vec![
            vec![row(1, Some(0), Some(60), 2), row(2, Some(10), None, 2)],
            vec![row(1, Some(0), Some(30), 2), row(2, Some(20), Some(90), 2)],
            vec![row(1, Some(0), None, 2), row(2, Some(0), Some(5), 1)],
            vec![row(1, None, None, 2)],
            vec![],
        ];
        for rows in sets {
            let mut mirror = Mirror::new("test".into());
            mirror.generation = 2;
            mirror.rows = rows.into_iter().map(|r| (r.client.id, r)).collect();
            mirror.outlook = mirror.outlook();
            for minutes in [-60, -1, 0, 4, 5, 19, 29, 30, 59, 60, 61, 89, 90, 600] {
                let now = at + Duration::minutes(minutes);
                let (stale, behind) = mirror.not_holding(now);
                assert_eq!(mirror.all_hold_at(now), stale.is_empty() && behind.is_empty(), "at {minutes} minutes");
            }
        }
    }
}
