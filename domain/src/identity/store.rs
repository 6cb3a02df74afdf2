//! User storage. Callers authorize; see `mod.rs`.

use super::model::User;
use crate::audit::store::audited;
use crate::audit::Record;
use crate::authz::Role;
use crate::db::unique::USER_EMAIL;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};

const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.role, u.client_id, c.slug AS client_slug, u.all_clients, \
     u.created_at, u.disabled_at, \
     EXISTS (SELECT 1 FROM mfa_totp m WHERE m.user_id = u.id AND m.confirmed_at IS NOT NULL) AS app, \
     EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id) AS passkey";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    client_id: Option<i64>,
    client_slug: Option<String>,
    all_clients: bool,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
    app: bool,
    passkey: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role in the database: {0}")]
struct UnknownRole(String);

impl TryFrom<UserRow> for User {
    type Error = DomainError;

    fn try_from(row: UserRow) -> Result<User> {
        let role = Role::parse(&row.role).ok_or_else(|| DomainError::internal(UnknownRole(row.role.clone())))?;
        Ok(User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role,
            client_id: row.client_id,
            client_slug: row.client_slug,
            all_clients: row.all_clients,
            assigned: Vec::new(),
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            // An app or a passkey: either is two-factor sign-in.
            two_factor: row.app || row.passkey,
            passkey: row.passkey,
        })
    }
}

/// A user with their password hash, for sign-in.
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

pub async fn find_credentials(db: &Db, email: &str) -> Result<Option<Credentials>> {
    let row: Option<(i64, Option<String>, Option<DateTime<Utc>>)> = on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, password_hash, disabled_at FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(user_id, password_hash, disabled_at)| Credentials {
        user_id,
        password_hash,
        disabled: disabled_at.is_some(),
    }))
}

async fn assigned_clients(db: &Db, user_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.slug FROM user_clients a JOIN clients c ON c.id = a.client_id \
             WHERE a.user_id = $1 ORDER BY c.slug",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
    }))
}

/// The user and, for a restricted technician, the ids of their assigned clients.
pub async fn find_user(db: &Db, user_id: i64) -> Result<Option<(User, Vec<i64>)>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u LEFT JOIN clients c ON c.id = u.client_id WHERE u.id = $1");
    let row: Option<UserRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await?);
    let Some(row) = row else { return Ok(None) };
    Ok(Some(with_assigned(db, User::try_from(row)?).await?))
}

/// A user, and the kept scores' version and generation (see `scoring::live`), in one statement:
/// the kept portfolio page asks for both at every load.
pub async fn find_user_and_kept_version(db: &Db, user_id: i64) -> Result<Option<(User, Vec<i64>, (i64, i64))>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, s.version AS kept_version, s.generation AS kept_generation \
         FROM users u LEFT JOIN clients c ON c.id = u.client_id CROSS JOIN score_state s WHERE u.id = $1 AND s.id = 1"
    );
    let row: Option<KeptUserRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await?);
    match row {
        Some(row) => Ok(Some(row.read_through(db).await?)),
        None => Ok(None),
    }
}

/// A user's row with the kept scores' version and generation beside it.
#[derive(sqlx::FromRow)]
struct KeptUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    kept_version: i64,
    kept_generation: i64,
}

impl KeptUserRow {
    /// The user with the clients a technician is limited to, and the version and generation.
    async fn read_through(self, db: &Db) -> Result<(User, Vec<i64>, (i64, i64))> {
        let (user, assigned) = with_assigned(db, User::try_from(self.user)?).await?;
        Ok((user, assigned, (self.kept_version, self.kept_generation)))
    }
}

/// What [`find_session_user_and_kept_version`] reads: the session's data (its JSON text), its
/// user with the clients a technician is limited to, and the kept scores' version and generation.
pub type SessionUserAndKept = (String, User, Vec<i64>, (i64, i64));

/// The session `session_id` (unexpired at `now` and issued after `started_after`, both Unix
/// seconds, as the session store loads it) with its user and the kept scores' version, in one
/// statement: the portfolio page kept as rendered answers from it without a second round trip.
pub async fn find_session_user_and_kept_version(
    db: &Db,
    session_id: &str,
    now: i64,
    started_after: i64,
) -> Result<Option<SessionUserAndKept>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        found: KeptUserRow,
        session_data: String,
    }
    let sql = format!(
        "SELECT {USER_COLUMNS}, s.version AS kept_version, s.generation AS kept_generation, x.data AS session_data \
         FROM sessions x JOIN users u ON u.id = x.user_id LEFT JOIN clients c ON c.id = u.client_id \
         CROSS JOIN score_state s \
         WHERE x.id = $1 AND x.expires_at > $2 AND x.started_at > $3 AND s.id = 1"
    );
    let row: Option<Row> = on_pool!(db, |pool| {
        sqlx::query_as(&sql).bind(session_id).bind(now).bind(started_after).fetch_optional(pool).await?
    });
    let Some(row) = row else { return Ok(None) };
    let (user, assigned, kept) = row.found.read_through(db).await?;
    Ok(Some((row.session_data, user, assigned, kept)))
}

/// A user with the clients a technician is limited to (ids; slugs in `assigned`).
async fn with_assigned(db: &Db, mut user: User) -> Result<(User, Vec<i64>)> {
    let mut ids = Vec::new();
    if user.role == Role::Technician && !user.all_clients {
        let assigned = assigned_clients(db, user.id).await?;
        ids = assigned.iter().map(|(id, _)| *id).collect();
        user.assigned = assigned.into_iter().map(|(_, slug)| slug).collect();
    }
    Ok((user, ids))
}

pub async fn list_users(db: &Db) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u LEFT JOIN clients c ON c.id = u.client_id ORDER BY u.email");
    let rows: Vec<UserRow> = on_pool!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await?);
    let mut users = rows.into_iter().map(User::try_from).collect::<Result<Vec<_>>>()?;
    let links: Vec<(i64, String)> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT a.user_id, c.slug FROM user_clients a JOIN clients c ON c.id = a.client_id ORDER BY c.slug",
        )
        .fetch_all(pool)
        .await?
    });
    for (user_id, slug) in links {
        if let Some(user) = users.iter_mut().find(|u| u.id == user_id) {
            user.assigned.push(slug);
        }
    }
    Ok(users)
}

pub struct UserRecord<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub client_id: Option<i64>,
    pub assigned: &'a [i64],
}

/// Inserts a user with their assigned clients, and appends `audit`.
pub async fn insert_user(db: &Db, user: &UserRecord<'_>, now: DateTime<Utc>, audit: &Record) -> Result<i64> {
    let all_clients = user.assigned.is_empty();
    let inserted: std::result::Result<i64, sqlx::Error> = audited!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, password_hash, role, client_id, all_clients, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user.email)
        .bind(user.display_name)
        .bind(user.password_hash)
        .bind(user.role.as_str())
        .bind(user.client_id)
        .bind(all_clients)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for client_id in user.assigned {
            sqlx::query("INSERT INTO user_clients (user_id, client_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.append(audit).await?;
        id
    });
    inserted.map_err(|e| {
        if USER_EMAIL.is_violated_by(&e) {
            DomainError::conflict(Some("email"), format!("A user with the email {} already exists.", user.email))
        } else {
            e.into()
        }
    })
}

/// Ends every session of a user and appends `audit`; returns how many sessions ended.
pub async fn end_sessions(db: &Db, user_id: i64, audit: &Record) -> Result<u64> {
    let done: std::result::Result<u64, sqlx::Error> = audited!(db, |tx| {
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.append(audit).await?;
        ended
    });
    Ok(done?)
}

/// A change of one user's role and clients, or of their state.
pub enum Change<'a> {
    Role { role: Role, client_id: Option<i64>, assigned: &'a [i64] },
    Disable(DateTime<Utc>),
    Enable,
}

/// What became of a [`Change`].
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// Refused, nothing written: the user is the last active admin and would no longer be one.
    LastAdmin,
    /// No user has this id.
    Missing,
}

/// Applies `change` to a user and appends `audit`, in one transaction; every session of the
/// user ends with a change of role or clients and with disabling. The last active admin is
/// kept: the count is taken inside the transaction, after the audit chain's lock, which
/// serialises every audited change, so two admins demoting each other at once cannot both
/// succeed.
pub async fn apply_change(db: &Db, user_id: i64, change: &Change<'_>, audit: &Record) -> Result<Applied> {
    let done: std::result::Result<Applied, sqlx::Error> = audited!(db, |tx| {
        let current: Option<(String, Option<DateTime<Utc>>)> =
            sqlx::query_as("SELECT role, disabled_at FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((role, disabled_at)) = current else { return Ok(Applied::Missing) };
        let stays_admin = match change {
            Change::Role { role, .. } => *role == Role::Admin,
            Change::Disable(_) => false,
            Change::Enable => true,
        };
        if role == Role::Admin.as_str() && disabled_at.is_none() && !stays_admin {
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
            )
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
            if others == 0 {
                return Ok(Applied::LastAdmin);
            }
        }
        match change {
            Change::Role { role, client_id, assigned } => {
                let all_clients = *role != Role::Technician || assigned.is_empty();
                sqlx::query("UPDATE users SET role = $1, client_id = $2, all_clients = $3 WHERE id = $4")
                    .bind(role.as_str())
                    .bind(*client_id)
                    .bind(all_clients)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM user_clients WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                for client_id in assigned.iter() {
                    sqlx::query("INSERT INTO user_clients (user_id, client_id) VALUES ($1, $2)")
                        .bind(user_id)
                        .bind(*client_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Change::Disable(at) => {
                sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
                    .bind(*at)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Change::Enable => {
                sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if !matches!(change, Change::Enable) {
            // Old rights end with the change, on every server: the user signs in again.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        }
        tx.append(audit).await?;
        Applied::Done
    });
    Ok(done?)
}

/// Each user's latest sign-in, from the audit log (password and SSO sign-ins alike are
/// recorded there as `auth.sign_in`).
pub async fn last_sign_ins(db: &Db) -> Result<Vec<(i64, DateTime<Utc>)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT a.actor_user_id, a.at FROM audit_log a JOIN \
             (SELECT MAX(seq) AS seq FROM audit_log WHERE action = 'auth.sign_in' AND actor_user_id IS NOT NULL \
              GROUP BY actor_user_id) latest ON latest.seq = a.seq",
        )
        .fetch_all(pool)
        .await?
    }))
}
