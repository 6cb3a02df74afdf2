//! Backups of a SQLite deployment, taken while Rampart runs, and their restore.
//!
//! A backup is SQLite's `VACUUM INTO`: one consistent copy of the database as of one
//! transaction, written while the server keeps serving (readers and the writer are not
//! stopped). A restore checks the file before anything is replaced: it must be a SQLite
//! database that passes its integrity check, carry Rampart's migrations (none newer than this
//! binary knows), and hold an audit chain that verifies. Then it replaces the database file in
//! one rename. PostgreSQL deployments are backed up with PostgreSQL's own tools (see the
//! docs/operations.md), which know more about a running cluster than Rampart could.

use crate::db::{Backend, Db};
use crate::error::{DomainError, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::{Path, PathBuf};

/// What a backup or a restore saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub path: PathBuf,
    pub bytes: u64,
    /// The latest migration applied in the file.
    pub schema_version: i64,
    /// Entries in the audit log, all verified.
    pub audit_entries: i64,
}

fn refuse(message: impl Into<String>) -> DomainError {
    DomainError::invalid("file", message)
}

/// The file behind a SQLite URL ("sqlite://rampart.db?mode=rwc" → rampart.db).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Writes a consistent copy of the running database to `to`, which must not exist yet.
pub async fn backup(db: &Db, to: &Path) -> Result<BackupSummary> {
    let Db::Sqlite(pool) = db else {
        return Err(refuse(
            "This deployment runs on PostgreSQL: back it up with pg_dump (see docs/operations.md, Backups).",
        ));
    };
    if to.exists() {
        return Err(refuse(format!("{} already exists; choose a new file name.", to.display())));
    }
    let target = to.to_str().ok_or_else(|| refuse("Choose a file name in UTF-8."))?;
    sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await?;
    check(to).await
}

/// Checks that `file` is a sound Rampart database: integrity, known schema, audit chain.
pub async fn check(file: &Path) -> Result<BackupSummary> {
    let bytes = std::fs::metadata(file).map_err(|_| refuse(format!("{} cannot be read.", file.display())))?.len();
    let options = SqliteConnectOptions::new().filename(file).read_only(true).create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|_| refuse(format!("{} is not a SQLite database.", file.display())))?;
    let result = inspect(&pool, file, bytes).await;
    pool.close().await;
    result
}

async fn inspect(pool: &sqlx::SqlitePool, file: &Path, bytes: u64) -> Result<BackupSummary> {
    let not_rampart = || refuse(format!("{} is not a Rampart database.", file.display()));
    let integrity: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(pool).await.map_err(|_| not_rampart())?;
    if integrity != "ok" {
        return Err(refuse(format!("{} is damaged: {integrity}", file.display())));
    }
    let schema_version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .map_err(|_| not_rampart())?;
    let schema_version = schema_version.ok_or_else(not_rampart)?;
    let known = Backend::Sqlite.latest_migration();
    if schema_version > known {
        return Err(refuse(format!(
            "{} comes from a newer Rampart (schema {schema_version}; this one knows up to {known}).",
            file.display()
        )));
    }
    let copy = Db::Sqlite(pool.clone());
    let verification = crate::audit::verify(&copy, &crate::Actor::command_line(), None).await?;
    if let Some(broken) = verification.broken {
        return Err(refuse(format!(
            "{}: the audit log does not verify at entry {}: {}",
            file.display(),
            broken.seq,
            broken.reason
        )));
    }
    Ok(BackupSummary { path: file.to_path_buf(), bytes, schema_version, audit_entries: verification.entries })
}

/// Replaces the SQLite database at `database_url` with the checked backup `from`. The server
/// must be stopped: the file is swapped underneath any open connection.
pub async fn restore(database_url: &str, from: &Path) -> Result<BackupSummary> {
    if Backend::of_url(database_url) != Backend::Sqlite {
        return Err(refuse(
            "This deployment runs on PostgreSQL: restore it with pg_restore (see docs/operations.md, Backups).",
        ));
    }
    let target = sqlite_path(database_url).ok_or_else(|| refuse("DATABASE_URL names no SQLite file."))?;
    let summary = check(from).await?;
    // Copy next to the target, then rename over it: a crash leaves the old database or the new
    // one, never half of either. Old WAL and shared-memory files belong to the old database.
    let staging = target.with_extension("restoring");
    std::fs::copy(from, &staging).map_err(|e| refuse(format!("could not copy the backup: {e}")))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(|e| refuse(format!("could not remove {}: {e}", side.display())))?;
        }
    }
    std::fs::rename(&staging, &target).map_err(|e| refuse(format!("could not replace the database: {e}")))?;
    // Open it as the server will: migrations newer than the backup's are applied now.
    let db = crate::setup::connect(database_url).await?;
    db.close().await;
    Ok(BackupSummary { path: target, ..summary })
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;
    use std::path::PathBuf;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(sqlite_path("sqlite://rampart.db?mode=rwc"), Some(PathBuf::from("rampart.db")));
        assert_eq!(sqlite_path("sqlite:///var/lib/rampart/r.db"), Some(PathBuf::from("/var/lib/rampart/r.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x@y/z"), None);
    }
}
