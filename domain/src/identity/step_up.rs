//! Step-up: a sensitive action needs a recent confirmation of identity, not only a session.
//!
//! Sensitive actions: changing a role or a person's clients, adding or inviting anyone but a
//! client viewer, resetting someone's two-factor sign-in, disabling or enabling a user, setting
//! up or replacing one's own two-factor app, the single sign-on settings, and exporting
//! everything (the audit log, the access register). A user who entered their password (and
//! their code, with two-factor sign-in) within [`crate::authz::CONFIRMATION_MINUTES`] may do
//! them. The web layer keeps the time of that confirmation in the session (signing in sets it
//! too) and hands it to the actor; the service of each sensitive action asks
//! [`Actor::require_recent_confirmation`], whichever door it was called through. Anyone else
//! is sent to confirm again (`/account/confirm`).
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
use chrono::{DateTime, Utc};

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
    let attempt = match throttle::admit(db, &email, address, now).await? {
        throttle::Admission::Admitted(attempt) => attempt,
        throttle::Admission::Refused { minutes } => {
            tracing::info!(user = %email, minutes, "confirmation refused: too many attempts");
            return Err(DomainError::Throttled { minutes });
        }
    };
    // Each failure is the signed-in user's own (at most the limit per window), and the one that
    // fills the window once more.
    let failed = |why: &str| Record::by(actor, "auth.step_up_failed", object.clone()).summary(format!("{why}{from}"));
    let throttled = attempt.fills.then(|| {
        Record::by(actor, "auth.step_up_throttled", object.clone()).summary(format!(
            "too many failed confirmations{from}: further attempts refused for up to {} min",
            throttle::WINDOW.num_minutes()
        ))
    });
    let credentials = store::find_credentials(db, &email).await?.ok_or(DomainError::Unauthenticated)?;
    let Some(hash) = credentials.password_hash else {
        let error = DomainError::invalid("password", "Your account has no password; sign in again instead.");
        return refuse(db, failed("no password to confirm with"), throttled, error).await;
    };
    if password.is_empty()
        || password.chars().count() > super::model::MAX_PASSWORD
        || !verify_password(hash, password).await?
    {
        let error = DomainError::invalid("password", "That password is not right.");
        return refuse(db, failed("wrong password"), throttled, error).await;
    }
    if mfa::is_enrolled(db, user_id).await? {
        if code.trim().is_empty() {
            throttle::forget(db, &attempt).await?;
            return Err(DomainError::invalid("code", "Enter the code from your app, or a recovery code."));
        }
        let by_app = Record::by(actor, "auth.step_up", object.clone())
            .summary(format!("confirmed with a password and an app code{from}"));
        let by_recovery = Record::by(actor, "mfa.recovery_code_used", object.clone())
            .summary(format!("confirmed with a password and a recovery code{from}"));
        if !mfa::consume_code(db, user_id, code, now, Some(&by_app), &by_recovery).await? {
            let error = DomainError::invalid("code", "That code is not right, or was used already.");
            return refuse(db, failed("wrong or already used two-factor code"), throttled, error).await;
        }
    } else {
        let record = Record::by(actor, "auth.step_up", object).summary(format!("confirmed with a password{from}"));
        audit::record(db, record).await?;
    }
    throttle::forget(db, &attempt).await?;
    Ok(())
}

/// Records a failed confirmation (and, when it filled the window, that the throttle began) and
/// answers with `error`.
async fn refuse(db: &Db, failed: Record, throttled: Option<Record>, error: DomainError) -> Result<()> {
    audit::record(db, failed).await?;
    if let Some(throttled) = throttled {
        audit::record(db, throttled).await?;
    }
    Err(error)
}
