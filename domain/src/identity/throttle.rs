//! Login throttling: failed sign-ins are counted per account (the e-mail address as typed,
//! whether or not a user has it, so that a refusal says nothing about existence) and per client
//! address, in the database so that several servers share the count. Past a limit within the
//! window, sign-in is refused without checking the password until enough failures have aged
//! out of the window. A successful sign-in clears its account's failures.

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

#[derive(Clone, Copy)]
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

/// Whole minutes (at least one) until sign-in is allowed again for this account or address, or
/// `None` when it is allowed now.
pub(super) async fn wait_minutes(
    db: &Db,
    email: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let mut wait = wait_seconds(db, Scope::Account, email, now).await?;
    if let Some(address) = address {
        wait = wait.max(wait_seconds(db, Scope::Address, address, now).await?);
    }
    Ok(if wait > 0 { Some((wait + 59) / 60) } else { None })
}

/// Seconds until the failures of `key` within the window fall below the limit (0 when they are).
async fn wait_seconds(db: &Db, scope: Scope, key: &str, now: DateTime<Utc>) -> Result<i64> {
    let since = (now - WINDOW).timestamp();
    let times: Vec<i64> = on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT at FROM sign_in_failures WHERE scope = $1 AND key = $2 AND at > $3 ORDER BY at")
            .bind(scope.as_str())
            .bind(key)
            .bind(since)
            .fetch_all(pool)
            .await?
    });
    let count = times.len() as i64;
    if count < scope.limit() {
        return Ok(0);
    }
    // Allowed again once all but limit - 1 failures have left the window.
    let freeing = times[(count - scope.limit()) as usize];
    Ok((freeing + WINDOW.num_seconds() - now.timestamp()).max(1))
}

/// Counts a failed sign-in against the account and the address, and forgets failures that have
/// left the window.
pub(super) async fn record_failure(db: &Db, email: &str, address: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    let at = now.timestamp();
    let since = (now - WINDOW).timestamp();
    let done: std::result::Result<(), sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1").bind(since).execute(&mut *tx).await?;
            let keys = [(Scope::Account, Some(email)), (Scope::Address, address)];
            for (scope, key) in keys {
                let Some(key) = key else { continue };
                sqlx::query("INSERT INTO sign_in_failures (scope, key, at) VALUES ($1, $2, $3)")
                    .bind(scope.as_str())
                    .bind(key)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        }
        .await
    });
    Ok(done?)
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
