//! Opening the database the application uses: its migrations, then the data its schema
//! expects (the built-in control catalog). Above the controls layer, because loading the
//! catalog is a controls service; the db layer below only opens and migrates.

use crate::db::Db;
use crate::error::Result;

/// Opens the database named by `url` (creating a SQLite file if needed), applies the embedded
/// migrations and loads the built-in catalog. A database migrated by a newer Rampart is refused.
pub async fn connect(url: &str) -> Result<Db> {
    let db = Db::open_migrated(url).await?;
    crate::controls::sync_built_in_catalog(&db).await?;
    Ok(db)
}

/// Opens the database as the application (`url`), after applying the migrations as the owner
/// of the tables (`migration_url`) when one is given. On PostgreSQL the application then runs
/// as a role that does not own the tables, so that row-level security binds it (see
/// migrations/postgres/0016_row_security.sql); without `migration_url` one role does both, as
/// [`connect`].
pub async fn connect_as(url: &str, migration_url: Option<&str>) -> Result<Db> {
    let Some(owner_url) = migration_url else { return connect(url).await };
    Db::check_migration_url(url, owner_url)?;
    let owner = connect(owner_url).await?;
    owner.close().await;
    Db::open_current(url).await
}
