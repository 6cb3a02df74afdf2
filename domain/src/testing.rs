//! Fresh databases for tests: a SQLite file in a temporary folder always, and a PostgreSQL
//! database of its own when `RAMPART_TEST_POSTGRES_URL` names a server (created per test,
//! dropped afterwards, even when the test panics); people to act as; and the check that the
//! portfolio's kept results equal a full recomputation.

use crate::db::Db;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

pub const POSTGRES_URL_VAR: &str = "RAMPART_TEST_POSTGRES_URL";

pub struct TestDatabase {
    pub db: Db,
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("rampart-test.db").display());
    let db = crate::setup::connect(&url).await.expect("a fresh SQLite database");
    TestDatabase { db, url, postgres: None, _dir: Some(dir) }
}

/// A fresh PostgreSQL database, or `None` when no test server is configured. Under CI
/// (`CI=true`) a missing server is a failure, not a skip: otherwise every PostgreSQL half
/// would pass having done nothing.
pub async fn postgres() -> Option<TestDatabase> {
    let admin_url = postgres_url(std::env::var(POSTGRES_URL_VAR).ok(), std::env::var("CI").ok())?;
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "rampart_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.expect("CREATE DATABASE");
    admin.close().await.ok();
    let url = with_database(&admin_url, &name);
    let db = crate::setup::connect(&url).await.expect("a fresh PostgreSQL database");
    Some(TestDatabase { db, url, postgres: Some((admin_url, name)), _dir: None })
}

/// The test server's URL from the two variables; panics when CI runs without one.
fn postgres_url(url: Option<String>, ci: Option<String>) -> Option<String> {
    match url.filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None if ci.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1") => panic!(
            "{POSTGRES_URL_VAR} is not set, and CI=true: the PostgreSQL half of the tests must run in CI \
             (set it to a server's URL, e.g. postgres://postgres@127.0.0.1:5432/test)"
        ),
        None => None,
    }
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The role tests connect as to be bound by row-level security: not the owner of any table, not
/// a superuser. Roles belong to the whole server, so it is made once and kept.
pub const APP_ROLE: &str = "rampart_test_app";
const APP_ROLE_PASSWORD: &str = "rampart-test-app-password";

impl TestDatabase {
    /// PostgreSQL: this database's URL as [`APP_ROLE`], granted what Rampart's application role
    /// is granted (see docs/operations.md); `None` on SQLite.
    pub async fn application_role_url(&self) -> Option<String> {
        self.postgres.as_ref()?;
        let mut owner = sqlx::PgConnection::connect(&self.url).await.expect("the test database");
        // Tests running at the same time may create it at the same moment: either way it exists.
        let create = format!(
            "DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{APP_ROLE_PASSWORD}'; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        for statement in [
            create,
            format!("GRANT USAGE ON SCHEMA public TO {APP_ROLE}"),
            format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"),
        ] {
            sqlx::query(&statement).execute(&mut owner).await.expect("the application role and its grants");
        }
        owner.close().await.ok();
        let (scheme, rest) = self.url.split_once("://")?;
        let host_and_path = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
        Some(format!("{scheme}://{APP_ROLE}:{APP_ROLE_PASSWORD}@{host_and_path}"))
    }

    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some((admin_url, name)) = self.postgres {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                let _ =
                    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut admin).await;
                admin.close().await.ok();
            }
        }
    }

    /// Runs a test body against this database and cleans up afterwards, re-raising a panic.
    pub async fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(Db) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(body(self.db.clone())).await;
        self.cleanup().await;
        if let Err(err) = outcome {
            match err.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(err) => panic!("test task failed: {err}"),
            }
        }
    }
}

/// Defines one async test per backend from one body: `<name>_on_sqlite` always runs;
/// `<name>_on_postgres` runs against a fresh database when `RAMPART_TEST_POSTGRES_URL` is set
/// and otherwise says that it was skipped.
#[macro_export]
macro_rules! contract_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn on_sqlite() {
                $crate::testing::sqlite().await.run(|$db| async move { $body }).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                match $crate::testing::postgres().await {
                    Some(test) => test.run(|$db| async move { $body }).await,
                    None => eprintln!("skipped: set {} to run on PostgreSQL", $crate::testing::POSTGRES_URL_VAR),
                }
            }
        }
    };
}

/// A user with `role` (limited to `clients` by slug), signed in just now as an actor; their
/// display name is "<role> user" and their password long enough. Panics on any failure: for tests only.
pub async fn user(db: &Db, email: &str, role: &str, clients: &[&str]) -> crate::Actor {
    let new = crate::identity::NewUser {
        email: email.into(),
        display_name: format!("{role} user"),
        role: role.into(),
        clients: clients.iter().map(|s| s.to_string()).collect(),
        password: "a long enough password".into(),
    };
    let user = crate::identity::add_user(db, &crate::Actor::command_line(), &new, chrono::Utc::now())
        .await
        .expect("a new user");
    let actor = crate::identity::actor_for_user(db, user.id).await.expect("the user's actor").expect("an enabled user");
    // As just signed in: sensitive actions at the present time are allowed.
    actor.in_session(Some(chrono::Utc::now()), &[])
}

/// Makes every session look as if its id had been issued (at sign-in) at `started_at` (Unix
/// seconds), to test the absolute lifetime without waiting. For tests only.
pub async fn backdate_sessions(db: &Db, started_at: i64) {
    crate::on_pool!(db, |pool| {
        sqlx::query("UPDATE sessions SET started_at = $1")
            .bind(started_at)
            .execute(pool)
            .await
            .expect("sessions backdated");
    });
}

/// Drops the time of the last confirmation of identity (step-up) from every session, as if each
/// had been confirmed long ago (the key is the web layer's `step_up_at`).
pub async fn forget_confirmations(db: &Db) {
    crate::on_pool!(db, |pool| {
        let sessions: Vec<(String, String)> =
            sqlx::query_as("SELECT id, data FROM sessions").fetch_all(pool).await.expect("the sessions");
        for (id, data) in sessions {
            let mut data: serde_json::Value = serde_json::from_str(&data).expect("a session's data");
            if let Some(fields) = data.as_object_mut() {
                fields.remove("step_up_at");
            }
            sqlx::query("UPDATE sessions SET data = $1 WHERE id = $2")
                .bind(data.to_string())
                .bind(&id)
                .execute(pool)
                .await
                .expect("a session without its confirmation");
        }
    });
}

/// Whether the portfolio's kept ranking, governance debt and key figures (see
/// [`crate::scoring::live`]) equal a full recomputation at `now`; the difference, if not.
pub async fn kept_equals_recomputed(
    db: &Db,
    now: DateTime<Utc>,
) -> crate::error::Result<std::result::Result<(), String>> {
    let kept = crate::scoring::live::ranking(db, None, None, now).await?;
    let full = crate::scoring::compute_ranking(db, None, None, now).await?;
    let line = |c: &std::sync::Arc<crate::scoring::RankedClient>| {
        format!("{} {:?} {:?} {:?}", c.slug, c.priority_hundredths, c.score, c.impact_tier)
    };
    let kept_lines: Vec<String> = kept.clients.iter().map(line).collect();
    let full_lines: Vec<String> = full.clients.iter().map(line).collect();
    if kept_lines != full_lines {
        return Ok(Err(format!("kept:\n{}\nrecomputed:\n{}", kept_lines.join("\n"), full_lines.join("\n"))));
    }
    if kept.heatmap() != full.heatmap() {
        return Ok(Err("the heatmaps differ".into()));
    }
    let everyone = crate::Actor::command_line();
    let debt = crate::scoring::get_governance_debt(db, &everyone, now).await?;
    let debt_full = crate::scoring::governance_debt_recomputed(db, &everyone, now).await?;
    if debt != debt_full {
        return Ok(Err(format!("governance debt kept:\n{debt:?}\nrecomputed:\n{debt_full:?}")));
    }
    let calendar = crate::clock::calendar();
    let figures = crate::portfolio::figures(db, &everyone, now).await?;
    let figures_full = crate::portfolio::figures_recomputed(db, &everyone, &calendar, now).await?;
    if figures != figures_full {
        return Ok(Err(format!("key figures kept:\n{figures:?}\nrecomputed:\n{figures_full:?}")));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::{postgres_url, with_database};

    #[test]
    fn without_a_server_the_postgresql_half_is_skipped_locally_and_fails_under_ci() {
        let url = Some("postgres://u@h/test".to_owned());
        assert_eq!(postgres_url(url.clone(), Some("true".into())), url);
        assert_eq!(postgres_url(None, None), None);
        assert_eq!(postgres_url(Some(String::new()), Some("false".into())), None);
        let under_ci = std::panic::catch_unwind(|| postgres_url(None, Some("true".into())));
        assert!(under_ci.is_err(), "CI=true without a server must fail");
    }

    #[test]
    fn with_database_swaps_only_the_database_name() {
        assert_eq!(with_database("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/test?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
