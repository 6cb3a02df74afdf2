//! Identity: users, roles, sign-in and the acting user.
//!
//! Invariants:
//! - Passwords are stored only as argon2id hashes, computed off the async executor.
//! - Sign-in answers the same way, in about the same time, for an unknown email, a wrong
//!   password and a disabled user.
//! - A client viewer belongs to exactly one client; a technician may be restricted to assigned
//!   clients; other roles work on every client.
//! - The last active admin cannot be disabled nor demoted, and nobody changes their own role
//!   (see `admin`).
//! - Sign-in is throttled per account and per client address (see `throttle`): past the limit
//!   it is refused with the minutes to wait, the same way whether or not the account exists.
//! - Disabling a user, and changing their role or clients, ends all their sessions in the same
//!   transaction.
//! - Sensitive actions need a recent confirmation of identity (see `step_up`).
//!
//! Admins (and the command line, which acts as admin) manage users; managers add and invite
//! client viewers only; admins, managers and auditors may list them.

pub mod admin;
pub mod invitations;
pub mod mfa;
pub mod model;
pub mod passkeys;
pub mod redirect;
pub mod sso;
pub mod step_up;
mod store;
pub mod throttle;
pub mod totp;

pub use admin::{assign_clients, change_role, disable_user, enable_user, list_people, Person};
pub use model::{Email, NewUser, User};

use crate::audit::{self, Record};
use crate::authz::{Actor, ClientScope, Permission, Role};
use crate::clients;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
#[error("a blocking task failed: {0}")]
struct BlockingTaskFailed(String);

/// Password checks and hashes at once, at most: each takes 19 MiB and a core for a tenth of a
/// second, so more at once only queue for the cores while holding their memory (a burst of
/// sign-ins would otherwise take memory in proportion to the burst).
fn password_work() -> &'static tokio::sync::Semaphore {
    static WORK: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    WORK.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        tokio::sync::Semaphore::new(cores.clamp(1, 4))
    })
}

/// Hashes a password with argon2id (the crate's defaults follow the OWASP recommendation).
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    let _turn = password_work().acquire().await.map_err(DomainError::internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
    })
    .await
    .map_err(|e| DomainError::internal(BlockingTaskFailed(e.to_string())))?
    .map_err(|e| DomainError::internal(BlockingTaskFailed(e.to_string())))
}

async fn verify_password(hash: String, password: &str) -> Result<bool> {
    let password = password.to_owned();
    let _turn = password_work().acquire().await.map_err(DomainError::internal)?;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| DomainError::internal(BlockingTaskFailed(e.to_string())))
}

/// A hash to verify against when the email is unknown, so that the answer takes as long.
async fn dummy_hash() -> Result<String> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("rampart dummy password for timing").await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

/// Checks an email and password without a known client address (the command line, tests):
/// throttled per account only. See [`sign_in_from`].
pub async fn sign_in(db: &Db, email: &str, password: &str) -> Result<i64> {
    sign_in_from(db, email, password, None, crate::clock::now()).await
}

/// Checks an email and password tried from `address` (the client's IP address) at `now`;
/// returns the user id to keep in the session. The attempt is counted before the password is
/// looked at (see [`throttle`]); past the limit it is refused unchecked.
///
/// Audited so that no stranger can grow the log one entry per request: a success always; a
/// failure when it is the first from its address within the window, or concerns an existing
/// account (at most the limit per window); the failure that fills a window once more, as
/// `auth.sign_in_throttled`. Refused attempts are logged, not audited: the entry of the attempt
/// that filled the window stands for the burst.
pub async fn sign_in_from(
    db: &Db,
    email: &str,
    password: &str,
    address: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> Result<i64> {
    let email = email.trim().to_lowercase();
    let from = address.map(|a| format!(" from {a}")).unwrap_or_default();
    let attempt = match throttle::admit(db, &email, address, now).await? {
        throttle::Admission::Admitted(attempt) => attempt,
        throttle::Admission::Refused { minutes } => {
            tracing::info!(address = address.unwrap_or("-"), minutes, "sign-in refused: too many attempts");
            return Err(DomainError::Throttled { minutes });
        }
    };
    match check_password(db, &email, password).await? {
        Checked::Accepted { user_id, enrolled } => {
            // With two-factor sign-in, the user is signed in only after the code (mfa.rs).
            let (action, summary) = if enrolled {
                ("auth.password_accepted", "password accepted; the two-factor code is asked next")
            } else {
                ("auth.sign_in", "signed in with a password")
            };
            let record =
                Record { actor_user_id: Some(user_id), ..Record::anonymous(&email, action, format!("user:{email}")) }
                    .summary(summary);
            audit::record(db, record).await?;
            throttle::forget(db, &attempt).await?;
            // A sign-in completed by the password clears the count; with two-factor sign-in only
            // the code completes it (else a known password would reset the count of wrong codes).
            if !enrolled {
                throttle::clear_account(db, &email).await?;
            }
            Ok(user_id)
        }
        Checked::Refused { reason, known } => {
            if attempt.first || known {
                let record = Record::anonymous(&email, "auth.sign_in_failed", format!("user:{email}"))
                    .summary(format!("{reason}{from}"));
                audit::record(db, record).await?;
            }
            if attempt.fills {
                audit::record(db, throttled(&email, &from)).await?;
            }
            Err(DomainError::BadCredentials)
        }
    }
}

/// The entry of the failure that filled a throttling window: further attempts are refused for
/// the window's length.
fn throttled(email: &str, from: &str) -> Record {
    Record::anonymous(email, "auth.sign_in_throttled", format!("user:{email}")).summary(format!(
        "too many failed sign-ins{from}: further attempts refused for up to {} min",
        throttle::WINDOW.num_minutes()
    ))
}

/// What checking a password found.
enum Checked {
    Accepted {
        user_id: i64,
        enrolled: bool,
    },
    /// Why (for the audit log, never for the browser), and whether the account exists.
    Refused {
        reason: &'static str,
        known: bool,
    },
}

async fn check_password(db: &Db, email: &str, password: &str) -> Result<Checked> {
    if email.is_empty() || password.is_empty() || password.chars().count() > model::MAX_PASSWORD {
        let reason = "no email or password, or a password longer than any allowed";
        return Ok(Checked::Refused { reason, known: false });
    }
    let credentials = store::find_credentials(db, email).await?;
    let known = credentials.is_some();
    let (hash, user) = match credentials {
        Some(c) => match c.password_hash {
            Some(hash) => (hash, Some((c.user_id, c.disabled))),
            None => (dummy_hash().await?, None),
        },
        None => (dummy_hash().await?, None),
    };
    let matches = verify_password(hash, password).await?;
    Ok(match user {
        Some((user_id, false)) if matches => {
            Checked::Accepted { user_id, enrolled: mfa::has_second_factor(db, user_id).await? }
        }
        Some((_, true)) if matches => Checked::Refused { reason: "the user is disabled", known },
        Some(_) => Checked::Refused { reason: "wrong password", known },
        None => Checked::Refused { reason: if known { "the user has no password" } else { "unknown email" }, known },
    })
}

/// Records that the signed-in user signed out (the session itself is ended by the caller).
pub async fn sign_out(db: &Db, actor: &Actor) -> Result<()> {
    audit::record(db, Record::by(actor, "auth.sign_out", format!("user:{}", actor.email)).summary("signed out")).await
}

/// Signs the actor out everywhere: every session of theirs ends, on every server (the caller's
/// own included). Audited.
pub async fn sign_out_everywhere(db: &Db, actor: &Actor) -> Result<u64> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    let audit = Record::by(actor, "auth.sign_out_everywhere", format!("user:{}", actor.email))
        .summary("signed out everywhere: every session ended");
    store::end_sessions(db, user_id, &audit).await
}

/// The acting user for a signed-in session, or `None` when the user is gone or disabled. The
/// web layer adds what the session knows ([`Actor::in_session`]: when its user last confirmed
/// who they are, and whether the deployment requires two-factor sign-in of their role).
pub async fn actor_for_user(db: &Db, user_id: i64) -> Result<Option<Actor>> {
    let Some((user, assigned)) = store::find_user(db, user_id).await? else { return Ok(None) };
    Ok(actor_of(user, assigned))
}

/// As [`actor_for_user`], with the kept scores' version and generation read in the same
/// statement (for `portfolio::reader_and_moment`).
pub(crate) async fn actor_and_kept_version(db: &Db, user_id: i64) -> Result<Option<(Actor, (i64, i64))>> {
    let Some((user, assigned, kept)) = store::find_user_and_kept_version(db, user_id).await? else { return Ok(None) };
    Ok(actor_of(user, assigned).map(|actor| (actor, kept)))
}

/// As [`actor_and_kept_version`], for the user a session names, with the session's data (see
/// [`store::find_session_user_and_kept_version`]). `None` when the session is not current or
/// its user is gone or disabled.
pub(crate) async fn session_actor_and_kept_version(
    db: &Db,
    session_id: &str,
    now: i64,
    started_after: i64,
) -> Result<Option<(String, Actor, (i64, i64))>> {
    let found = store::find_session_user_and_kept_version(db, session_id, now, started_after).await?;
    let Some((data, user, assigned, kept)) = found else { return Ok(None) };
    Ok(actor_of(user, assigned).map(|actor| (data, actor, kept)))
}

/// The actor of an active user (`None` when disabled).
fn actor_of(user: User, assigned: Vec<i64>) -> Option<Actor> {
    if user.disabled_at.is_some() {
        return None;
    }
    let scope = match user.role {
        Role::ClientViewer => ClientScope::Only(user.client_id.into_iter().collect()),
        Role::Technician if !user.all_clients => ClientScope::Only(assigned),
        _ => ClientScope::All,
    };
    Some(Actor {
        user_id: Some(user.id),
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        scope,
        client_id: user.client_id,
        client_slug: user.client_slug,
        confirmed_at: None,
        two_factor: user.two_factor,
        two_factor_required: false,
        passkey: user.passkey,
        passkey_required: false,
    })
}

pub async fn list_users(db: &Db, actor: &Actor) -> Result<Vec<User>> {
    actor.require(Permission::ViewUsers)?;
    store::list_users(db).await
}

/// Creates a user. Client viewers name exactly one client; technicians may name the clients
/// they are restricted to; other roles name none. Admins add anyone; managers client viewers.
pub async fn add_user(db: &Db, actor: &Actor, new: &NewUser, now: DateTime<Utc>) -> Result<User> {
    actor.require(Permission::InviteClientViewers)?;
    if let Some(role) = Role::parse(&new.role) {
        admin::require_may_give(actor, role, now)?;
    }
    let mut errors = Vec::new();
    let email = Email::parse(&new.email).map_err(|m| errors.push(FieldError::new("email", m))).ok();
    let display_name = clients::model::clean_line(&new.display_name);
    if display_name.is_empty() || display_name.chars().count() > 120 {
        errors.push(FieldError::new("display_name", "Enter a name of 1 to 120 characters."));
    }
    if let Some(email) = &email {
        if let Err(m) = model::check_password_policy(&new.password, email) {
            errors.push(FieldError::new("password", m));
        }
    }
    let placement = admin::place(db, actor, &new.role, &new.clients, &mut errors).await?;
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let (Some(email), Some(placement)) = (email, placement) else { return Err(DomainError::Validation(errors)) };
    let password_hash = hash_password(&new.password).await?;
    let record = store::UserRecord {
        email: email.as_str(),
        display_name: &display_name,
        password_hash: &password_hash,
        role: placement.role,
        client_id: placement.client_id,
        assigned: &placement.assigned,
    };
    let audit = Record::by(actor, "user.add", format!("user:{}", email.as_str())).summary(format!(
        "added “{display_name}” as {}, {}",
        placement.role.as_str(),
        placement.described
    ));
    let id = store::insert_user(db, &record, now, &audit).await?;
    store::find_user(db, id).await?.map(|(user, _)| user).ok_or(DomainError::NotFound)
}
