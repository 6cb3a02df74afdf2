//! tower-sessions storage in Rampart's own database, so that several servers sharing one
//! PostgreSQL share their sessions, and sessions are backed up with everything else.
//!
//! Each row also says whose session it is (the signed-in user's id, copied from the session's
//! data), so that all of a user's sessions can be ended at once (identity: sign out everywhere,
//! disabling a user), and
//! when its id was issued: the id is cycled at sign-in, so a session older than the absolute
//! lifetime (from sign-in, whatever the activity) is refused when loaded.
//!
//! Writes take their turn with the rest of the process's writes (`begin_write`): on SQLite a
//! session's update would otherwise wait in SQLite's busy handler behind a busy writer, and a
//! session that cannot be saved turns a response whose change was made into an error.

use super::{BeginWrite, Db};
use crate::on_pool;
use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

/// The session key holding the signed-in user's id.
pub const SESSION_USER_KEY: &str = "user_id";

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
    /// The absolute lifetime of a session, in seconds; `None` for no limit but the idle one.
    max_lifetime: Option<i64>,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db, max_lifetime: None }
    }

    /// Refuses a session whose id was issued (at sign-in) longer ago than `lifetime`.
    pub fn with_max_lifetime(mut self, lifetime: time::Duration) -> Self {
        self.max_lifetime = Some(lifetime.whole_seconds());
        self
    }

    /// What a session must be to load now: (the time it must not have expired by, the time it
    /// must have been issued after), both Unix seconds.
    pub fn current_window(&self) -> (i64, i64) {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        // With no absolute lifetime, any start time is recent enough.
        (now, self.max_lifetime.map_or(i64::MIN, |lifetime| now - lifetime))
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> Result<u64> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let done = on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                let deleted =
                    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok::<u64, sqlx::Error>(deleted.rows_affected())
            }
            .await
        });
        done.map_err(backend)
    }
}

/// The signed-in user a session's data names, if any.
fn user_of(record: &Record) -> Option<i64> {
    record.data.get(SESSION_USER_KEY).and_then(|v| v.as_i64())
}

fn backend(err: sqlx::Error) -> Error {
    Error::Backend(err.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let expires = record.expiry_date.unix_timestamp();
        // A fresh id is random (128 bits); on the vanishing chance of a collision, draw again.
        loop {
            let inserted = on_pool!(&self.db, |pool| {
                async {
                    let mut tx = pool.begin_write().await?;
                    let inserted = sqlx::query(
                        "INSERT INTO sessions (id, data, expires_at, user_id, started_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(record.id.to_string())
                    .bind(&data)
                    .bind(expires)
                    .bind(user_of(record))
                    .bind(OffsetDateTime::now_utc().unix_timestamp())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok::<u64, sqlx::Error>(inserted.rows_affected())
                }
                .await
            })
            .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a session loaded earlier. A session deleted meanwhile (signed out everywhere, its
    /// user disabled) stays deleted: a request still in flight must not bring it back.
    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                sqlx::query("UPDATE sessions SET data = $2, expires_at = $3, user_id = $4 WHERE id = $1")
                    .bind(record.id.to_string())
                    .bind(&data)
                    .bind(record.expiry_date.unix_timestamp())
                    .bind(user_of(record))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await
        })
        .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let (now, started_after) = self.current_window();
        let row: Option<(String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2 AND started_at > $3",
            )
            .bind(id.to_string())
            .bind(now)
            .bind(started_after)
            .fetch_optional(pool)
            .await
        })
        .map_err(backend)?;
        let Some((data, expires_at)) = row else { return Ok(None) };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires_at).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        on_pool!(&self.db, |pool| {
            async {
                let mut tx = pool.begin_write().await?;
                sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
                tx.commit().await
            }
            .await
        })
        .map_err(backend)
    }
}
