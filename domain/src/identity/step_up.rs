//! Step-up: a sensitive action needs a recent confirmation of identity, not only a session.
//!
//! Sensitive actions: changing a role, resetting someone's two-factor sign-in, disabling a
//! user, inviting or adding an admin, exporting everything (the audit log, the access register)
//! and the single sign-on settings. A session whose user entered their password (and their
//! code, with two-factor sign-in) within [`WINDOW_MINUTES`] may do them; the web layer keeps the
//! time of that confirmation in the session (signing in sets it too) and asks [`require_recent`]
//! before calling the service. Anyone else is sent to confirm again (`/account/confirm`).
//!
//! Invariants:
//! - A confirmation checks the password and, when the user has an app, a code from it or a
//!   recovery code; a wrong one counts as a failed sign-in for throttling (so step-up cannot be
//!   used to guess a password) and is audited, as is every confirmation.
//! - The window is measured on the server's clock from the time the server recorded; a time in
//!   the future (a clock moved back) does not count.
//!
//! Every signed-in user may confirm their own identity; nobody confirms for someone else.

use super::{mfa, store, throttle, verify_password};
use crate::audit::{self, Record};
use crate::authz::Actor;
use crate::db::Db;
use crate::error::{DomainError, Result};
use chrono::{DateTime, Duration, Utc};

/// How long a confirmation lets sensitive actions through.
pub const WINDOW_MINUTES: i64 = 10;

/// Refuses with [`DomainError::StepUpRequired`] unless `confirmed_at` (Unix seconds, as the
/// session keeps it) lies within the last [`WINDOW_MINUTES`] before `now`.
pub fn require_recent(confirmed_at: Option<i64>, now: DateTime<Utc>) -> Result<()> {
    match confirmed_at {
        Some(at) if is_recent(at, now) => Ok(()),
        _ => Err(DomainError::StepUpRequired),
    }
}

fn is_recent(at: i64, now: DateTime<Utc>) -> bool {
    let age = now.timestamp() - at;
    (0..=Duration::minutes(WINDOW_MINUTES).num_seconds()).contains(&age)
}

/// Checks the actor's password and, when they have set up two-factor sign-in, a code (or a
/// recovery code); the caller then records `now` as the time of confirmation. Throttled and
/// counted like sign-in; audited either way (never with the password or the code).
pub async fn confirm(
    db: &Db,
    actor: &Actor,
    password: &str,
    code: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    let email = actor.email.clone();
    let object = format!("user:{email}");
    let from = address.map(|a| format!(" from {a}")).unwrap_or_default();
    if let Some(minutes) = throttle::wait_minutes(db, &email, address, now).await? {
        let record = Record::by(actor, "auth.step_up_throttled", object.clone())
            .summary(format!("refused: too many failed sign-ins{from}; allowed again in {minutes} min"));
        audit::record(db, record).await?;
        return Err(DomainError::Throttled { minutes });
    }
    let failed = |why: &str| Record::by(actor, "auth.step_up_failed", object.clone()).summary(format!("{why}{from}"));
    let credentials = store::find_credentials(db, &email).await?.ok_or(DomainError::Unauthenticated)?;
    let Some(hash) = credentials.password_hash else {
        audit::record(db, failed("no password to confirm with")).await?;
        return Err(DomainError::invalid("password", "Your account has no password; sign in again instead."));
    };
    if password.is_empty()
        || password.chars().count() > super::model::MAX_PASSWORD
        || !verify_password(hash, password).await?
    {
        audit::record(db, failed("wrong password")).await?;
        throttle::record_failure(db, &email, address, now).await?;
        return Err(DomainError::invalid("password", "That password is not right."));
    }
    if mfa::is_enrolled(db, user_id).await? {
        if code.trim().is_empty() {
            return Err(DomainError::invalid("code", "Enter the code from your app, or a recovery code."));
        }
        let by_app = Record::by(actor, "auth.step_up", object.clone())
            .summary(format!("confirmed with a password and an app code{from}"));
        let by_recovery = Record::by(actor, "mfa.recovery_code_used", object.clone())
            .summary(format!("confirmed with a password and a recovery code{from}"));
        if !mfa::consume_code(db, user_id, code, now, &by_app, &by_recovery).await? {
            audit::record(db, failed("wrong or already used two-factor code")).await?;
            throttle::record_failure(db, &email, address, now).await?;
            return Err(DomainError::invalid("code", "That code is not right, or was used already."));
        }
    } else {
        let record = Record::by(actor, "auth.step_up", object).summary(format!("confirmed with a password{from}"));
        audit::record(db, record).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_confirmation_counts_for_ten_minutes_and_never_from_the_future() {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let at = |seconds_ago: i64| Some(now.timestamp() - seconds_ago);
        assert!(require_recent(at(0), now).is_ok());
        assert!(require_recent(at(600), now).is_ok());
        assert!(matches!(require_recent(at(601), now), Err(DomainError::StepUpRequired)));
        assert!(matches!(require_recent(at(-60), now), Err(DomainError::StepUpRequired)));
        assert!(matches!(require_recent(None, now), Err(DomainError::StepUpRequired)));
    }
}
