//! Access-register storage. Callers authorize; see `mod.rs`.

use super::checklist::{Sla, SlaPolicy, SlaSetting, SlaUnit, Step};
use super::model::{Grant, Privilege, Technician, TechnicianState};
use crate::audit::store::{audited, audited_one};
use crate::audit::Record;
use crate::db::unique::{GRANT_ACTIVE, TECHNICIAN_EMAIL};
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
#[error("unexpected value in the database: {0}")]
struct BadValue(String);

/// Inserts checklist steps (`plan`: code and deadline) for a technician inside a transaction;
/// a macro so that it expands once per backend, like `on_pool!`.
macro_rules! insert_steps {
    ($tx:expr, $technician_id:expr, $plan:expr, $now:expr) => {
        for (code, due) in $plan {
            sqlx::query(
                "INSERT INTO lifecycle_steps (technician_id, code, due_at, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind($technician_id)
            .bind(*code)
            .bind(*due)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

#[derive(sqlx::FromRow)]
struct TechnicianRow {
    id: i64,
    name: String,
    email: String,
    title: String,
    state: String,
    started_at: DateTime<Utc>,
    departed_at: Option<DateTime<Utc>>,
    user_id: Option<i64>,
    involuntary: bool,
    role_changed_at: Option<DateTime<Utc>>,
    version: i64,
}

impl TryFrom<TechnicianRow> for Technician {
    type Error = DomainError;
    fn try_from(r: TechnicianRow) -> Result<Technician> {
        Ok(Technician {
            state: TechnicianState::parse(&r.state).ok_or_else(|| DomainError::internal(BadValue(r.state.clone())))?,
            id: r.id,
            name: r.name,
            email: r.email,
            title: r.title,
            started_at: r.started_at,
            departed_at: r.departed_at,
            user_id: r.user_id,
            involuntary: r.involuntary,
            role_changed_at: r.role_changed_at,
            version: r.version,
        })
    }
}

const TECHNICIAN_COLUMNS: &str =
    "id, name, email, title, state, started_at, departed_at, user_id, involuntary, role_changed_at, version";

pub async fn list_technicians(db: &Db) -> Result<Vec<Technician>> {
    let sql = format!("SELECT {TECHNICIAN_COLUMNS} FROM technicians ORDER BY name, id");
    let rows: Vec<TechnicianRow> = on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
    rows.into_iter().map(Technician::try_from).collect()
}

pub async fn find_technician(db: &Db, id: i64) -> Result<Option<Technician>> {
    let sql = format!("SELECT {TECHNICIAN_COLUMNS} FROM technicians WHERE id = $1");
    let row: Option<TechnicianRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    row.map(Technician::try_from).transpose()
}

pub struct NewTechnicianRow<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub title: &'a str,
    pub state: TechnicianState,
    pub started_at: DateTime<Utc>,
    pub user_id: Option<i64>,
}

/// Inserts a technician and their checklist steps (`plan`: code and deadline) together, and
/// appends `audit` (its object named by the new id).
pub async fn insert_technician(
    db: &Db,
    t: &NewTechnicianRow<'_>,
    plan: &[(&str, DateTime<Utc>)],
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<i64> {
    let inserted: std::result::Result<i64, sqlx::Error> = audited!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO technicians (name, email, title, state, started_at, user_id, created_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1) RETURNING id",
        )
        .bind(t.name)
        .bind(t.email)
        .bind(t.title)
        .bind(t.state.as_str())
        .bind(t.started_at)
        .bind(t.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_steps!(tx, id, plan, now);
        let mut record = audit.clone();
        record.object = format!("technician:{id}");
        tx.append(&record).await?;
        id
    });
    inserted.map_err(|e| {
        if TECHNICIAN_EMAIL.is_violated_by(&e) {
            DomainError::conflict(Some("email"), format!("A technician with the email {} already exists.", t.email))
        } else {
            e.into()
        }
    })
}

/// Moves a technician to `state` if still at `version`, and appends `audit`.
pub async fn set_technician_state(
    db: &Db,
    id: i64,
    version: i64,
    state: TechnicianState,
    audit: &Record,
) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let moved =
            sqlx::query("UPDATE technicians SET state = $1, version = version + 1 WHERE id = $2 AND version = $3")
                .bind(state.as_str())
                .bind(id)
                .bind(version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        tx.append(audit).await?;
        true
    });
    Ok(done?)
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    id: i64,
    technician_id: i64,
    technician_name: String,
    technician_state: String,
    technician_departed_at: Option<DateTime<Utc>>,
    client_id: i64,
    client_slug: String,
    client_name: String,
    system: String,
    system_name: String,
    privilege: String,
    approver: String,
    justification: String,
    granted_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    mfa: bool,
    last_reviewed_at: Option<DateTime<Utc>>,
    last_reviewed_by: Option<String>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_by: Option<String>,
    revoked_by_user: Option<i64>,
    revocation_method: String,
    revocation_note: String,
    revoke_due_at: Option<DateTime<Utc>>,
    reapproval_due_at: Option<DateTime<Utc>>,
    technician_involuntary: bool,
}

impl TryFrom<GrantRow> for Grant {
    type Error = DomainError;
    fn try_from(r: GrantRow) -> Result<Grant> {
        Ok(Grant {
            technician_state: TechnicianState::parse(&r.technician_state)
                .ok_or_else(|| DomainError::internal(BadValue(r.technician_state.clone())))?,
            privilege: Privilege::parse(&r.privilege)
                .ok_or_else(|| DomainError::internal(BadValue(r.privilege.clone())))?,
            id: r.id,
            technician_id: r.technician_id,
            technician_name: r.technician_name,
            technician_departed_at: r.technician_departed_at,
            client_id: r.client_id,
            client_slug: r.client_slug,
            client_name: r.client_name,
            system: r.system,
            system_name: r.system_name,
            approver: r.approver,
            justification: r.justification,
            granted_at: r.granted_at,
            expires_at: r.expires_at,
            mfa: r.mfa,
            last_reviewed_at: r.last_reviewed_at,
            last_reviewed_by: r.last_reviewed_by,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
            revoked_by_user: r.revoked_by_user,
            revocation_method: r.revocation_method,
            revocation_evidence: r.revocation_note,
            revoke_due_at: r.revoke_due_at,
            reapproval_due_at: r.reapproval_due_at,
            technician_involuntary: r.technician_involuntary,
        })
    }
}

/// Which grants to list. Client narrowing follows the actor's scope as in the client list.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrantQuery {
    pub client_id: Option<i64>,
    pub technician_id: Option<i64>,
    pub grant_id: Option<i64>,
    pub include_revoked: bool,
    pub assigned_to: Option<i64>,
    pub only_client: Option<i64>,
    /// Clients whose ids lie in this range, both ends included (a part of the portfolio).
    pub clients_between: Option<(i64, i64)>,
}

pub async fn list_grants(db: &Db, q: GrantQuery) -> Result<Vec<Grant>> {
    // Each filter given is also written as a plain equality, which SQLite serves from an index;
    // the `$n IS NULL OR …` form alone makes it scan every grant (see
    // reviews::store::list_occurrences).
    let mut narrow = String::new();
    for (given, equality) in [
        (q.client_id.is_some(), " AND g.client_id = $1"),
        (q.technician_id.is_some(), " AND g.technician_id = $2"),
        (q.grant_id.is_some(), " AND g.id = $3"),
        (q.only_client.is_some(), " AND g.client_id = $6"),
    ] {
        if given {
            narrow.push_str(equality);
        }
    }
    if let Some((first, last)) = q.clients_between {
        // Two integers, written as such.
        narrow.push_str(&format!(" AND g.client_id BETWEEN {first} AND {last}"));
    }
    let sql = format!(
        "SELECT g.id, g.technician_id, t.name AS technician_name, t.state AS technician_state, \
         t.departed_at AS technician_departed_at, g.client_id, \
         c.slug AS client_slug, c.name AS client_name, g.system, g.system_name, g.privilege, g.approver, \
         g.justification, g.granted_at, g.expires_at, g.mfa, g.last_reviewed_at, g.last_reviewed_by, \
         g.revoked_at, g.revoked_by, g.revoked_by_user, g.revocation_method, g.revocation_note, \
         g.revoke_due_at, g.reapproval_due_at, t.involuntary AS technician_involuntary \
         FROM grants g JOIN technicians t ON t.id = g.technician_id JOIN clients c ON c.id = g.client_id \
         WHERE ($1 IS NULL OR g.client_id = $1) AND ($2 IS NULL OR g.technician_id = $2) \
           AND ($3 IS NULL OR g.id = $3) AND ($4 OR g.revoked_at IS NULL) \
           AND ($5 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $5)) \
           AND ($6 IS NULL OR c.id = $6){narrow} \
         ORDER BY c.name, t.name, g.system, g.id"
    );
    let rows: Vec<GrantRow> = on_pool!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(q.client_id)
            .bind(q.technician_id)
            .bind(q.grant_id)
            .bind(q.include_revoked)
            .bind(q.assigned_to)
            .bind(q.only_client)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(Grant::try_from).collect()
}

pub struct NewGrantRow<'a> {
    pub technician_id: i64,
    pub client_id: i64,
    pub system: &'a str,
    pub system_name: &'a str,
    pub privilege: Privilege,
    pub approver: &'a str,
    pub approver_user: Option<i64>,
    pub justification: &'a str,
    pub granted_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub mfa: bool,
}

/// Inserts a grant and appends `audit` (its object named by the new id).
pub async fn insert_grant(db: &Db, g: &NewGrantRow<'_>, audit: &Record) -> Result<i64> {
    let inserted = audited!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO grants (technician_id, client_id, system, system_name, privilege, approver, approver_user, \
             justification, granted_at, expires_at, mfa) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(g.technician_id)
        .bind(g.client_id)
        .bind(g.system)
        .bind(g.system_name)
        .bind(g.privilege.as_str())
        .bind(g.approver)
        .bind(g.approver_user)
        .bind(g.justification)
        .bind(g.granted_at)
        .bind(g.expires_at)
        .bind(g.mfa)
        .fetch_one(&mut *tx)
        .await?;
        let mut record = audit.clone();
        record.object = format!("grant:{id}");
        tx.append(&record).await?;
        id
    });
    inserted.map_err(|e| {
        if GRANT_ACTIVE.is_violated_by(&e) {
            DomainError::conflict(
                Some("system"),
                "This technician already holds active access to this system at this client. Change or revoke that grant instead.",
            )
        } else {
            e.into()
        }
    })
}

/// A verified revocation: who removed the access, when, how it was checked, and the evidence.
pub struct Revocation<'a> {
    pub removed_at: DateTime<Utc>,
    pub by: &'a str,
    pub by_user: Option<i64>,
    pub method: &'a str,
    pub evidence: &'a str,
    pub recorded_at: DateTime<Utc>,
}

/// Revokes a grant that is not revoked yet, and appends `audit`; false (nothing written) when
/// it already was.
pub async fn revoke_grant(db: &Db, id: i64, r: &Revocation<'_>, audit: &Record) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE grants SET revoked_at = $1, revoked_by = $2, revoked_by_user = $3, revocation_method = $4, \
             revocation_note = $5, revocation_recorded_at = $6, reapproval_due_at = NULL \
             WHERE id = $7 AND revoked_at IS NULL"
        )
        .bind(r.removed_at)
        .bind(r.by)
        .bind(r.by_user)
        .bind(r.method)
        .bind(r.evidence)
        .bind(r.recorded_at)
        .bind(id)
    );
    Ok(done?)
}

/// Records a review (or a mover's re-approval) of an active grant, and appends `audit`; false
/// (nothing written) when it is revoked.
pub async fn review_grant(db: &Db, id: i64, by: &str, now: DateTime<Utc>, audit: &Record) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE grants SET last_reviewed_at = $1, last_reviewed_by = $2, reapproval_due_at = NULL \
             WHERE id = $3 AND revoked_at IS NULL"
        )
        .bind(now)
        .bind(by)
        .bind(id)
    );
    Ok(done?)
}

#[derive(sqlx::FromRow)]
struct StepRow {
    id: i64,
    technician_id: i64,
    code: String,
    due_at: DateTime<Utc>,
    done_at: Option<DateTime<Utc>>,
    done_by: Option<String>,
    done_by_user: Option<i64>,
    note: String,
}

impl From<StepRow> for Step {
    fn from(r: StepRow) -> Step {
        Step {
            id: r.id,
            technician_id: r.technician_id,
            code: r.code,
            due_at: r.due_at,
            done_at: r.done_at,
            done_by: r.done_by,
            done_by_user: r.done_by_user,
            note: r.note,
        }
    }
}

const STEP_COLUMNS: &str = "id, technician_id, code, due_at, done_at, done_by, done_by_user, note";

/// A technician's checklist steps (all, or of every technician when `technician_id` is None),
/// in the order they were created.
pub async fn list_steps(db: &Db, technician_id: Option<i64>, only_open: bool) -> Result<Vec<Step>> {
    let one = if technician_id.is_some() { " AND technician_id = $1" } else { "" };
    let sql = format!(
        "SELECT {STEP_COLUMNS} FROM lifecycle_steps WHERE ($1 IS NULL OR technician_id = $1){one} \
         AND (NOT $2 OR done_at IS NULL) ORDER BY technician_id, id"
    );
    let rows: Vec<StepRow> =
        on_pool!(db, |pool| sqlx::query_as(&sql).bind(technician_id).bind(only_open).fetch_all(pool).await?);
    Ok(rows.into_iter().map(Step::from).collect())
}

pub async fn find_step(db: &Db, id: i64) -> Result<Option<Step>> {
    let sql = format!("SELECT {STEP_COLUMNS} FROM lifecycle_steps WHERE id = $1");
    let row: Option<StepRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    Ok(row.map(Step::from))
}

/// Marks an open step done and appends `audit`; false (nothing written) when it was done
/// already.
pub async fn complete_step(
    db: &Db,
    id: i64,
    by: &str,
    by_user: Option<i64>,
    note: &str,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE lifecycle_steps SET done_at = $1, done_by = $2, done_by_user = $3, note = $4 \
             WHERE id = $5 AND done_at IS NULL"
        )
        .bind(now)
        .bind(by)
        .bind(by_user)
        .bind(note)
        .bind(id)
    );
    Ok(done?)
}

/// Starts an offboarding in one transaction: the technician's state and T0, the OFF steps, and
/// a revocation deadline on every active grant. False (nothing written) when the technician
/// changed since `version`.
pub struct NewOffboarding<'a> {
    pub technician_id: i64,
    pub version: i64,
    pub t0: DateTime<Utc>,
    pub involuntary: bool,
    /// The OFF steps and their deadlines.
    pub plan: &'a [(&'a str, DateTime<Utc>)],
    /// Each active grant's revocation deadline.
    pub revoke_due: &'a [(i64, DateTime<Utc>)],
    pub now: DateTime<Utc>,
}

pub async fn start_offboarding(db: &Db, o: &NewOffboarding<'_>, audit: &Record) -> Result<bool> {
    let NewOffboarding { technician_id, version, t0, involuntary, plan, revoke_due, now } = *o;
    let started: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let moved = sqlx::query(
            "UPDATE technicians SET state = 'offboarding', departed_at = $1, involuntary = $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND state IN ('onboarding', 'active')",
        )
        .bind(t0)
        .bind(involuntary)
        .bind(technician_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        insert_steps!(tx, technician_id, plan, now);
        for (grant_id, due) in revoke_due {
            sqlx::query(
                "UPDATE grants SET revoke_due_at = $1 WHERE id = $2 AND technician_id = $3 AND revoked_at IS NULL",
            )
            .bind(*due)
            .bind(*grant_id)
            .bind(technician_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.append(audit).await?;
        true
    });
    Ok(started?)
}

/// Records a role change in one transaction: the new title, the MOV-01 step, a re-approval
/// deadline on every active grant, and `audit`. False when the technician changed since
/// `version`.
pub async fn record_role_change(
    db: &Db,
    technician_id: i64,
    version: i64,
    title: &str,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<bool> {
    let changed: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let moved = sqlx::query(
            "UPDATE technicians SET title = $1, role_changed_at = $2, version = version + 1 \
             WHERE id = $3 AND version = $4 AND state IN ('onboarding', 'active')",
        )
        .bind(title)
        .bind(now)
        .bind(technician_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        insert_steps!(tx, technician_id, &[("MOV-01", due)], now);
        sqlx::query("UPDATE grants SET reapproval_due_at = $1 WHERE technician_id = $2 AND revoked_at IS NULL")
            .bind(due)
            .bind(technician_id)
            .execute(&mut *tx)
            .await?;
        tx.append(audit).await?;
        true
    });
    Ok(changed?)
}

#[derive(sqlx::FromRow)]
struct SlaRow {
    client_id: Option<i64>,
    code: String,
    amount: i64,
    unit: String,
    involuntary_amount: Option<i64>,
    involuntary_unit: Option<String>,
}

pub async fn load_sla_policy(db: &Db) -> Result<SlaPolicy> {
    let rows: Vec<SlaRow> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT client_id, code, amount, unit, involuntary_amount, involuntary_unit FROM sla_settings ORDER BY id",
        )
        .fetch_all(pool)
        .await?
    });
    let mut settings = Vec::with_capacity(rows.len());
    for r in rows {
        let unit = SlaUnit::parse(&r.unit).ok_or_else(|| DomainError::internal(BadValue(r.unit.clone())))?;
        let involuntary = match (r.involuntary_amount, r.involuntary_unit.as_deref().map(SlaUnit::parse)) {
            (Some(amount), Some(Some(unit))) => Some(Sla { amount, unit }),
            _ => None,
        };
        settings.push(SlaSetting {
            client_id: r.client_id,
            code: r.code,
            sla: Sla { amount: r.amount, unit },
            involuntary,
        });
    }
    Ok(SlaPolicy { settings })
}

/// Saves one service level (the MSP's when `client_id` is None), replacing the previous one,
/// and appends `audit`.
pub async fn save_sla(db: &Db, s: &SlaSetting, by: &str, now: DateTime<Utc>, audit: &Record) -> Result<()> {
    audited!(db, |tx| {
        sqlx::query("DELETE FROM sla_settings WHERE code = $1 AND client_id IS NOT DISTINCT FROM $2")
            .bind(&s.code)
            .bind(s.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sla_settings (client_id, code, amount, unit, involuntary_amount, involuntary_unit, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.client_id)
        .bind(&s.code)
        .bind(s.sla.amount)
        .bind(s.sla.unit.as_str())
        .bind(s.involuntary.map(|i| i.amount))
        .bind(s.involuntary.map(|i| i.unit.as_str()))
        .bind(now)
        .bind(by)
        .execute(&mut *tx)
        .await?;
        tx.append(audit).await?;
    })?;
    Ok(())
}

/// Removes a client's own level, so that the MSP's applies again, and appends `audit`.
pub async fn clear_sla(db: &Db, client_id: i64, code: &str, audit: &Record) -> Result<()> {
    audited!(db, |tx| {
        sqlx::query("DELETE FROM sla_settings WHERE client_id = $1 AND code = $2")
            .bind(client_id)
            .bind(code)
            .execute(&mut *tx)
            .await?;
        tx.append(audit).await?;
    })?;
    Ok(())
}

/// Demo data only: when a grant was made and last reviewed.
pub(crate) async fn set_grant_times(
    db: &Db,
    id: i64,
    granted_at: DateTime<Utc>,
    last_reviewed_at: Option<DateTime<Utc>>,
    reviewed_by: Option<&str>,
) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE grants SET granted_at = $1, last_reviewed_at = $2, last_reviewed_by = $3 WHERE id = $4")
            .bind(granted_at)
            .bind(last_reviewed_at)
            .bind(reviewed_by)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Demo data only: when a checklist step was done.
pub(crate) async fn set_step_done_at(db: &Db, id: i64, done_at: DateTime<Utc>) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE lifecycle_steps SET done_at = $1 WHERE id = $2 AND done_at IS NOT NULL")
            .bind(done_at)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}
