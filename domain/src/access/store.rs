//! Access-register storage. Callers authorize; see `mod.rs`.

use super::model::{Grant, Privilege, Technician, TechnicianState};
use crate::db::Db;
use crate::error::{is_unique_violation, DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
#[error("unexpected value in the database: {0}")]
struct BadValue(String);

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
            version: r.version,
        })
    }
}

const TECHNICIAN_COLUMNS: &str = "id, name, email, title, state, started_at, departed_at, user_id, version";

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

pub async fn insert_technician(db: &Db, t: &NewTechnicianRow<'_>, now: DateTime<Utc>) -> Result<i64> {
    let inserted: std::result::Result<i64, sqlx::Error> = on_pool!(db, |pool| {
        sqlx::query_scalar(
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
        .fetch_one(pool)
        .await
    });
    inserted.map_err(|e| {
        if is_unique_violation(&e) {
            DomainError::conflict(Some("email"), format!("A technician with the email {} already exists.", t.email))
        } else {
            e.into()
        }
    })
}

/// Moves a technician to `state` if still at `version`; sets T0 when given.
pub async fn set_technician_state(
    db: &Db,
    id: i64,
    version: i64,
    state: TechnicianState,
    departed_at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let done = on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE technicians SET state = $1, departed_at = COALESCE($2, departed_at), version = version + 1 \
             WHERE id = $3 AND version = $4",
        )
        .bind(state.as_str())
        .bind(departed_at)
        .bind(id)
        .bind(version)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
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
}

pub async fn list_grants(db: &Db, q: GrantQuery) -> Result<Vec<Grant>> {
    let rows: Vec<GrantRow> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT g.id, g.technician_id, t.name AS technician_name, t.state AS technician_state, \
             t.departed_at AS technician_departed_at, g.client_id, \
             c.slug AS client_slug, c.name AS client_name, g.system, g.system_name, g.privilege, g.approver, \
             g.justification, g.granted_at, g.expires_at, g.mfa, g.last_reviewed_at, g.last_reviewed_by, \
             g.revoked_at, g.revoked_by \
             FROM grants g JOIN technicians t ON t.id = g.technician_id JOIN clients c ON c.id = g.client_id \
             WHERE ($1 IS NULL OR g.client_id = $1) AND ($2 IS NULL OR g.technician_id = $2) \
               AND ($3 IS NULL OR g.id = $3) AND ($4 OR g.revoked_at IS NULL) \
               AND ($5 IS NULL OR c.id IN (SELECT a.client_id FROM user_clients a WHERE a.user_id = $5)) \
               AND ($6 IS NULL OR c.id = $6) \
             ORDER BY c.name, t.name, g.system, g.id",
        )
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

pub async fn insert_grant(db: &Db, g: &NewGrantRow<'_>) -> Result<i64> {
    let inserted: std::result::Result<i64, sqlx::Error> = on_pool!(db, |pool| {
        sqlx::query_scalar(
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
        .fetch_one(pool)
        .await
    });
    inserted.map_err(|e| {
        if is_unique_violation(&e) {
            DomainError::conflict(
                Some("system"),
                "This technician already holds active access to this system at this client. Change or revoke that grant instead.",
            )
        } else {
            e.into()
        }
    })
}

/// Revokes a grant that is not revoked yet; false when it already was.
pub async fn revoke_grant(db: &Db, id: i64, by: &str, note: &str, now: DateTime<Utc>) -> Result<bool> {
    let done = on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE grants SET revoked_at = $1, revoked_by = $2, revocation_note = $3 WHERE id = $4 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(note)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

pub async fn review_grant(db: &Db, id: i64, by: &str, now: DateTime<Utc>) -> Result<bool> {
    let done = on_pool!(db, |pool| {
        sqlx::query(
            "UPDATE grants SET last_reviewed_at = $1, last_reviewed_by = $2 WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
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

/// Demo data only: when a technician's offboarding started.
pub(crate) async fn set_departed_at(db: &Db, id: i64, departed_at: DateTime<Utc>) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("UPDATE technicians SET departed_at = $1 WHERE id = $2")
            .bind(departed_at)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}
