//! User storage. Callers authorize; see `mod.rs`.

use super::model::User;
use crate::audit::store::{append, lock_chain};
use crate::audit::Record;
use crate::authz::Role;
use crate::db::Db;
use crate::error::{is_unique_violation, DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};

const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.role, u.client_id, c.slug AS client_slug, u.all_clients, u.created_at, u.disabled_at";

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
    let mut user = User::try_from(row)?;
    let mut ids = Vec::new();
    if user.role == Role::Technician && !user.all_clients {
        let assigned = assigned_clients(db, user.id).await?;
        ids = assigned.iter().map(|(id, _)| *id).collect();
        user.assigned = assigned.into_iter().map(|(_, slug)| slug).collect();
    }
    Ok(Some((user, ids)))
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
    let inserted: std::result::Result<i64, sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let mut chain = lock_chain!(tx)?;
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
            append!(tx, chain, audit)?;
            tx.commit().await?;
            Ok::<i64, sqlx::Error>(id)
        }
        .await
    });
    inserted.map_err(|e| {
        if is_unique_violation(&e) {
            DomainError::conflict(Some("email"), format!("A user with the email {} already exists.", user.email))
        } else {
            e.into()
        }
    })
}

/// Sets or clears the disabled time (ending the user's sessions when set) and appends `audit`;
/// false (nothing written) when no user has this email.
pub async fn set_disabled(db: &Db, email: &str, disabled_at: Option<DateTime<Utc>>, audit: &Record) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let mut chain = lock_chain!(tx)?;
            let changed = sqlx::query("UPDATE users SET disabled_at = $1 WHERE email = $2")
                .bind(disabled_at)
                .bind(email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            if disabled_at.is_some() {
                // A disabled user's sessions end with the change, on every server.
                sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = $1)")
                    .bind(email)
                    .execute(&mut *tx)
                    .await?;
            }
            append!(tx, chain, audit)?;
            tx.commit().await?;
            Ok(true)
        }
        .await
    });
    Ok(done?)
}

/// Active admins other than `email`, to keep at least one.
pub async fn count_other_active_admins(db: &Db, email: &str) -> Result<i64> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND email <> $1")
            .bind(email)
            .fetch_one(pool)
            .await?
    }))
}

/// Ends every session of a user and appends `audit`; returns how many sessions ended.
pub async fn end_sessions(db: &Db, user_id: i64, audit: &Record) -> Result<u64> {
    let done: std::result::Result<u64, sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let mut chain = lock_chain!(tx)?;
            let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            append!(tx, chain, audit)?;
            tx.commit().await?;
            Ok(ended)
        }
        .await
    });
    Ok(done?)
}
