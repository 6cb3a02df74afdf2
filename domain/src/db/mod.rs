//! Storage: one enum over the two supported databases, chosen once from the URL at start.
//!
//! Queries are written once with `$n` placeholders (SQLite accepts them) and portable types
//! (i64 ids, UTC timestamps, no arrays); [`on_pool!`](crate::on_pool) runs the same code
//! against whichever pool is open. The contract tests run every storage story on both.

mod session_store;
pub mod unique;
mod write;

pub use session_store::{DbSessionStore, SESSION_USER_KEY};
pub use write::{BeginDerived, BeginWrite, DerivedTx, WriteTx};

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

    /// The newest migration this binary knows for the backend.
    pub fn latest_migration(self) -> i64 {
        let migrations = match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrations.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

impl Db {
    /// Opens the database named by `url` (creating a SQLite file if needed) and applies the
    /// embedded migrations. A database migrated by a newer Rampart is refused. The data the
    /// schema expects (the built-in catalog) is loaded one layer up, by [`crate::setup`].
    pub async fn open_migrated(url: &str) -> Result<Db> {
        let db = Db::open(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Checks that `migration_url` may migrate the database the application opens at `url`:
    /// both on PostgreSQL, and the same database. Migrating some other database by mistake
    /// would leave this one behind, or change a database nobody meant to touch.
    pub fn check_migration_url(url: &str, migration_url: &str) -> Result<()> {
        let refuse = |why: &str| DomainError::internal(std::io::Error::other(why.to_owned()));
        if Backend::of_url(url) != Backend::Postgres || Backend::of_url(migration_url) != Backend::Postgres {
            return Err(refuse(
                "RAMPART_MIGRATION_DATABASE_URL is for PostgreSQL, with DATABASE_URL on PostgreSQL too",
            ));
        }
        let database = |u: &str| {
            PgConnectOptions::from_str(u)
                .map(|o| (o.get_host().to_owned(), o.get_port(), o.get_database().map(str::to_owned)))
                .map_err(DomainError::internal)
        };
        if database(url)? != database(migration_url)? {
            return Err(refuse(
                "RAMPART_MIGRATION_DATABASE_URL and DATABASE_URL name different databases; they must name the same one",
            ));
        }
        Ok(())
    }

    /// Opens the database, which another role has migrated, and refuses it if it lacks a
    /// migration this binary knows.
    pub async fn open_current(url: &str) -> Result<Db> {
        let db = Db::open(url).await?;
        if !db.schema_is_current().await? {
            db.close().await;
            return Err(DomainError::internal(std::io::Error::other(
                "DATABASE_URL's database lacks migrations that RAMPART_MIGRATION_DATABASE_URL applied",
            )));
        }
        Ok(db)
    }

    /// Opens the database without touching its schema.
    pub async fn open(url: &str) -> Result<Db> {
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
                // cache_size 1 MiB per connection (SQLite's default is 2 MiB): the operating
                //   system's page cache holds the file already, and eight connections may each
                //   keep their own copy of hot pages (the server's peak under load: 152 → 147 MB,
                //   BENCHMARKS.md); a page that misses is a read from the system's cache.
                // No test before acquire: the pool would ping a connection before each query,
                //   which on SQLite is a round trip to the connection's own thread (two thread
                //   switches per query, a tenth of a client page's time) to check a file that
                //   no server or network can close under it.
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(DomainError::internal)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .pragma("cache_size", "-1024");
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                Db::Sqlite(pool)
            }
        };
        Ok(db)
    }

    /// The database as the actor may read it: a client viewer's reads go through connections
    /// scoped to their client, so that on PostgreSQL row-level security shows no other client's
    /// rows even if a query forgot its filter. Everyone else reads unscoped. For reads only:
    /// changes (and their audit entries) always go through the unscoped database. The read
    /// services choose it themselves, so that no caller (a page, a download, an API) can forget.
    pub(crate) fn for_reader(&self, actor: &crate::Actor) -> Db {
        match (actor.role, actor.client_id) {
            (crate::Role::ClientViewer, Some(client_id)) => self.scoped_to_client(client_id),
            _ => self.clone(),
        }
    }

    /// The database as seen in one client's scope (`rampart.client_scope`, set when each
    /// connection opens). SQLite has no row-level security: the same database.
    pub fn scoped_to_client(&self, client_id: i64) -> Db {
        match self {
            Db::Sqlite(_) => self.clone(),
            Db::Postgres(pool) => Db::Postgres(scoped::pool(pool, client_id)),
        }
    }

    /// Which database this is (file, or host, port and database name), for in-memory results
    /// that must never be served from one database to another in the same process.
    pub fn identity(&self) -> String {
        match self {
            Db::Sqlite(pool) => format!("sqlite:{}", pool.connect_options().get_filename().display()),
            Db::Postgres(pool) => format!("postgres:{}", scoped::database_key(pool)),
        }
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
        if let Db::Postgres(pool) = self {
            scoped::close_all(pool).await;
        }
        on_pool!(self, |pool| pool.close().await)
    }
}

/// Connection pools scoped to one client each, made on first use and kept per database and
/// client. Each is small and lets idle connections go, so a portal with many clients holds few
/// connections; the scope is a startup option of the connection, so no query can run on one of
/// them before the scope is set.
mod scoped {
    use sqlx::postgres::PgPoolOptions;
    use sqlx::PgPool;
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex, PoisonError};
    use std::time::Duration;

    /// The setting the policies of migrations/postgres/0016_row_security.sql read.
    pub const SCOPE_SETTING: &str = "rampart.client_scope";
    const MAX_CONNECTIONS: u32 = 4;
    /// Beyond this many pools, those without connections are forgotten.
    const KEEP_POOLS: usize = 256;

    type Key = (String, i64);
    static POOLS: LazyLock<Mutex<HashMap<Key, PgPool>>> = LazyLock::new(Default::default);

    pub fn database_key(pool: &PgPool) -> String {
        let options = pool.connect_options();
        format!(
            "{}:{}/{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default(),
            options.get_username()
        )
    }

    pub fn pool(base: &PgPool, client_id: i64) -> PgPool {
        let key = (database_key(base), client_id);
        let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pool) = pools.get(&key).filter(|p| !p.is_closed()) {
            return pool.clone();
        }
        let options = (*base.connect_options()).clone().options([(SCOPE_SETTING, client_id)]);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .min_connections(0)
            .idle_timeout(Duration::from_secs(60))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options);
        if pools.len() >= KEEP_POOLS {
            pools.retain(|_, p| p.size() > 0 && !p.is_closed());
        }
        pools.insert(key, pool.clone());
        pool
    }

    /// Closes the scoped pools of `base`'s database (when the application closes it).
    pub async fn close_all(base: &PgPool) {
        let database = database_key(base);
        let closing: Vec<PgPool> = {
            let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
            let keys: Vec<Key> = pools.keys().filter(|(d, _)| *d == database).cloned().collect();
            keys.into_iter().filter_map(|k| pools.remove(&k)).collect()
        };
        for pool in closing {
            pool.close().await;
        }
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
    fn migrations_as_another_role_only_on_the_same_postgresql_database() {
        let refused = |r: Result<()>| match r {
            Err(e) => format!("{e:?}"),
            Ok(()) => panic!("refused"),
        };
        let other = refused(Db::check_migration_url("postgres://app@db:5432/rampart", "postgres://owner@db:5432/test"));
        assert!(other.contains("name different databases"), "{other}");
        let host =
            refused(Db::check_migration_url("postgres://app@db:5432/rampart", "postgres://owner@db2:5432/rampart"));
        assert!(host.contains("name different databases"), "{host}");
        let sqlite = refused(Db::check_migration_url("sqlite://rampart.db", "sqlite://rampart.db"));
        assert!(sqlite.contains("for PostgreSQL"), "{sqlite}");
        assert!(Db::check_migration_url("postgres://app@db:5432/rampart", "postgres://owner@db:5432/rampart").is_ok());
    }

    #[test]
    fn backend_is_chosen_by_the_url_scheme() {
        assert_eq!(Backend::of_url("postgres://x/y"), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://x/y"), Backend::Postgres);
        assert_eq!(Backend::of_url("sqlite://rampart.db"), Backend::Sqlite);
    }
}
