//! Login throttling: sign-in attempts are counted per account (the e-mail address as typed,
//! whether or not a user has it, so that a refusal says nothing about existence) and per client
//! address, in the database so that several servers share the count. Past a limit within the
//! window, sign-in is refused without checking the password until enough attempts have aged
//! out of the window.
//!
//! An attempt is counted *before* its password or code is checked, in one write transaction
//! that takes the key's turn (SQLite: the database's one writer; PostgreSQL: an advisory lock
//! per key, held by every server alike), so that however many requests arrive at once, at most
//! the limit are ever checked per account and per address within the window. An attempt that
//! succeeds is then forgotten (and a completed sign-in clears its account's count); one that
//! fails stays counted as a failure.

use crate::db::BeginWrite;
use crate::db::Db;
use crate::error::Result;
use crate::on_pool;
use chrono::{DateTime, Duration, Utc};

/// Failures counted: those within the last 15 minutes.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failures allowed per account within the window.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed per client address within the window (several people may share one).
pub const ADDRESS_LIMIT: i64 = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Account,
    Address,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }

    fn limit(self) -> i64 {
        match self {
            Scope::Account => ACCOUNT_LIMIT,
            Scope::Address => ADDRESS_LIMIT,
        }
    }
}

/// An attempt counted before it is checked.
#[derive(Debug)]
pub(super) struct Attempt {
    rows: Vec<i64>,
    /// No earlier attempt within the window from its address (without an address: for its
    /// account). A burst from one address is recorded in the audit log by its first failure.
    pub first: bool,
    /// It filled the window of its account or of its address: if it fails, the next attempt
    /// is refused. The one moment a throttle begins, recorded once per burst.
    pub fills: bool,
}

/// Whether an attempt may be checked.
#[derive(Debug)]
pub(super) enum Admission {
    Admitted(Attempt),
    /// Refused without counting; allowed again in this many whole minutes (at least one).
    Refused {
        minutes: i64,
    },
}

/// Counts an attempt for `email` from `address` at `now`, or refuses it when the window of the
/// account or of the address is full.
pub(super) async fn admit(db: &Db, email: &str, address: Option<&str>, now: DateTime<Utc>) -> Result<Admission> {
    let keys: Vec<(Scope, &str)> =
        std::iter::once((Scope::Account, email)).chain(address.map(|a| (Scope::Address, a))).collect();
    let at = now.timestamp();
    let since = (now - WINDOW).timestamp();
    // Several servers on one PostgreSQL: one transaction per key at a time (always the account
    // first, then the address, so that two attempts never wait for each other's lock).
    let lock = match db {
        Db::Postgres(_) => Some("SELECT pg_advisory_xact_lock(hashtext($1))"),
        Db::Sqlite(_) => None,
    };
    let admission: std::result::Result<Admission, sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = lock {
                for (scope, key) in &keys {
                    sqlx::query(lock).bind(format!("sign-in:{}:{key}", scope.as_str())).execute(&mut *tx).await?;
                }
            }
            sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1").bind(since).execute(&mut *tx).await?;
            // Written first: on SQLite the write takes the database's lock, so that no other
            // process counts between this count and this attempt.
            let mut rows = Vec::new();
            for (scope, key) in &keys {
                let id: i64 =
                    sqlx::query_scalar("INSERT INTO sign_in_failures (scope, key, at) VALUES ($1, $2, $3) RETURNING id")
                        .bind(scope.as_str())
                        .bind(*key)
                        .bind(at)
                        .fetch_one(&mut *tx)
                        .await?;
                rows.push(id);
            }
            let (mut wait, mut first, mut fills) = (0, true, false);
            let burst_key = if address.is_some() { Scope::Address } else { Scope::Account };
            for ((scope, key), own) in keys.iter().zip(&rows) {
                let earlier: Vec<i64> = sqlx::query_scalar(
                    "SELECT at FROM sign_in_failures WHERE scope = $1 AND key = $2 AND at > $3 AND id <> $4 ORDER BY at",
                )
                .bind(scope.as_str())
                .bind(*key)
                .bind(since)
                .bind(*own)
                .fetch_all(&mut *tx)
                .await?;
                wait = wait.max(seconds_until_free(&earlier, scope.limit(), now));
                fills |= earlier.len() as i64 + 1 == scope.limit();
                if *scope == burst_key && !earlier.is_empty() {
                    first = false;
                }
            }
            if wait > 0 {
                tx.rollback().await?;
                return Ok(Admission::Refused { minutes: (wait + 59) / 60 });
            }
            tx.commit().await?;
            Ok(Admission::Admitted(Attempt { rows, first, fills }))
        }
        .await
    });
    Ok(admission?)
}

/// Seconds until fewer than `limit` of the `earlier` attempts (Unix seconds, oldest first) are
/// within the window (0 when they are now).
fn seconds_until_free(earlier: &[i64], limit: i64, now: DateTime<Utc>) -> i64 {
    let count = earlier.len() as i64;
    if count < limit {
        return 0;
    }
    // Allowed again once all but limit - 1 attempts have left the window.
    let freeing = earlier[(count - limit) as usize];
    (freeing + WINDOW.num_seconds() - now.timestamp()).max(1)
}

/// Forgets an attempt that succeeded (a right password, a right code): it was not a failure.
pub(super) async fn forget(db: &Db, attempt: &Attempt) -> Result<()> {
    // One row for the account, one for the address when there is one.
    let (account, address) = (attempt.rows.first().copied(), attempt.rows.get(1).copied());
    on_pool!(db, |pool| {
        sqlx::query("DELETE FROM sign_in_failures WHERE id = $1 OR id = $2")
            .bind(account)
            .bind(address)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Forgets an account's failures after it signed in.
pub(super) async fn clear_account(db: &Db, email: &str) -> Result<()> {
    on_pool!(db, |pool| {
        sqlx::query("DELETE FROM sign_in_failures WHERE scope = 'account' AND key = $1")
            .bind(email)
            .execute(pool)
            .await?;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_wait_ends_when_enough_attempts_have_left_the_window() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 10, 0).unwrap();
        let t = |minute: i64| Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap().timestamp() + minute * 60;
        assert_eq!(seconds_until_free(&[t(0), t(1), t(2), t(3)], 5, now), 0);
        // Five within the window: free once the oldest leaves it, at 9:15.
        assert_eq!(seconds_until_free(&[t(0), t(1), t(2), t(3), t(4)], 5, now), 5 * 60);
        // Six: the second oldest must leave too.
        assert_eq!(seconds_until_free(&[t(0), t(1), t(2), t(3), t(4), t(5)], 5, now), 6 * 60);
    }
}
