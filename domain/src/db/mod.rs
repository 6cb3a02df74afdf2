//! Storage: one enum over the two supported databases, chosen once from the URL at start.
//!
//! Queries are written once with `$n` placeholders (SQLite accepts them) and portable types
//! (i64 ids, UTC timestamps, no arrays); [`on_pool!`](crate::on_pool) runs the same code
//! against whichever pool is open. The contract tests run every storage story on both.

pub mod backup;
mod session_store;

pub use session_store::{DbSessionStore, SESSION_USER_KEY};

use crate::error::{DomainError, Result};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one body against whichever pool `db` holds; the body is compiled once per backend.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

impl Db {
    /// Opens the database named by `url` (creating a SQLite file if needed) and applies the
    /// embedded migrations. A database migrated by a newer Rampart is refused.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = match Backend::of_url(url) {
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url).map_err(DomainError::internal)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Db::Postgres(pool)
            }
            Backend::Sqlite => {
                // WAL: readers never block the writer, and the one writer appends instead of
                //   rewriting pages, which keeps page loads fast during writes.
                // synchronous=FULL: every commit is fsynced before it is acknowledged, so a
                //   change the user was told is saved survives a crash or a power cut (NORMAL
                //   in WAL mode can lose the last commits on power loss). One fsync per write
                //   is cheap next to the audit value of every change.
                // foreign_keys: SQLite leaves them off by default; the schema relies on them.
                // busy_timeout: a writer waits for another writer's lock instead of failing
                //   with SQLITE_BUSY at once.
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(DomainError::internal)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Db::Sqlite(pool)
            }
        };
        db.migrate().await?;
        // The built-in control catalog is data the schema expects: load it with the migrations.
        crate::controls::sync_built_in_catalog(&db).await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. sqlx refuses a database that has migrations this binary does
    /// not know (a newer Rampart migrated it), which is what we want.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(DomainError::internal)
    }

    /// Whether every migration this binary knows is applied (for readiness probes: a server
    /// whose database lags behind, say during a rolling upgrade, is not ready).
    pub async fn schema_is_current(&self) -> Result<bool> {
        let (applied, known): (Option<i64>, i64) = match self {
            Db::Sqlite(pool) => (
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(pool).await?,
                SQLITE_MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0),
            ),
            Db::Postgres(pool) => (
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success").fetch_one(pool).await?,
                POSTGRES_MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0),
            ),
        };
        Ok(applied == Some(known))
    }

    /// Checks that the database answers (for readiness probes).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// Hides the password of a database URL, for logs and `Debug` output.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_only_the_password() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/rampart"), "postgres://app:***@db:5432/rampart");
        assert_eq!(redact_url("postgres://app@db/rampart"), "postgres://app@db/rampart");
        assert_eq!(redact_url("sqlite://rampart.db?mode=rwc"), "sqlite://rampart.db?mode=rwc");
    }

    #[test]
    fn backend_is_chosen_by_the_url_scheme() {
        assert_eq!(Backend::of_url("postgres://x/y"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://x/y"), Backend::Postgres);
        assert_eq!(Backend::of_url("sqlite://rampart.db"), Backend::Sqlite);
    }
}
