//! Passkeys (WebAuthn): phishing-resistant sign-in for the people who hold the keys.
//!
//! A user registers several passkeys, each with a name, and signs in with one: as the second
//! step after their password (like a code from an app), or without a password at all (the
//! authenticator names the user and verifies them itself: a PIN or a fingerprint). A passkey
//! also confirms who one is before a sensitive action (step-up). Recovery codes stay the way
//! back in when every passkey is lost.
//!
//! Invariants:
//! - The ceremonies' checks are webauthn-rs's: the origin and relying party id are this site's
//!   public address (a phishing site's answer is refused), the challenge is the one issued for
//!   this ceremony (its state is kept on the server, in the session), user verification is
//!   required, and a signature counter that goes back (a copied authenticator) is refused.
//! - Registering or removing a passkey needs a recent confirmation of identity, like setting up
//!   an app; each is audited, as is every sign-in and confirmation with one and every refusal
//!   of a known passkey. An answer naming no passkey of this site is logged, not audited (no
//!   stranger grows the audit log).
//! - Checks of a known account are throttled with its password's (see `throttle`).
//! - A user's first passkey comes with recovery codes when they have none left.
//! - Nobody sees, names or removes another user's passkeys here; an admin's two-factor reset
//!   removes them with the app (`mfa::reset`).

use super::{mfa, store as users, throttle};
use crate::audit::store::{audited, audited_one};
use crate::audit::{self, Record};
use crate::authz::Actor;
use crate::db::unique::PASSKEY_CREDENTIAL;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    CredentialID, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};

/// Passkeys one user may have.
pub const MAX_PER_USER: usize = 10;
/// The longest name of a passkey.
pub const MAX_NAME: usize = 60;

/// This site as the relying party of WebAuthn: its id (the public address's host) and origin.
#[derive(Clone)]
pub struct RelyingParty {
    webauthn: std::sync::Arc<Webauthn>,
    origin: String,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty").field("origin", &self.origin).finish()
    }
}

impl RelyingParty {
    /// The relying party of a site reached at `public_url` (RAMPART_PUBLIC_URL, or where it
    /// listens). Browsers allow passkeys only for a host name: a site on a loopback address
    /// (development, tests) is one at `localhost` on the same port; any other numeric address
    /// has none (`None`: passkeys are not offered).
    pub fn for_public_url(public_url: &str) -> Option<RelyingParty> {
        let mut url = Url::parse(public_url).ok()?;
        let loopback = match url.host()? {
            url::Host::Domain(_) => false,
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        if url.domain().is_none() && !loopback {
            return None;
        }
        if loopback {
            url.set_host(Some("localhost")).ok()?;
        }
        let origin = url.origin().ascii_serialization();
        let origin_url = Url::parse(&origin).ok()?;
        let rp_id = origin_url.host_str()?.to_owned();
        let webauthn = WebauthnBuilder::new(&rp_id, &origin_url).ok()?.rp_name("Rampart").build().ok()?;
        Some(RelyingParty { webauthn: std::sync::Arc::new(webauthn), origin })
    }

    /// The origin passkeys work at ("https://rampart.example", "http://localhost:3000").
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// A passkey as its owner sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PasskeyInfo {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A registration waiting for the browser's answer; kept on the server (in the session).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Registration {
    user_id: i64,
    handle: Uuid,
    state: PasskeyRegistration,
}

/// A sign-in or confirmation waiting for the browser's answer; kept on the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Authentication {
    /// A known user (after their password, or confirming): one of their passkeys.
    Known { user_id: i64, state: PasskeyAuthentication },
    /// Nobody named yet: the authenticator names the user (sign-in without a password).
    Discoverable(DiscoverableAuthentication),
}

/// What a passkey proves, for the audit log and the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing in without a password.
    SignIn,
    /// The second step after the password.
    SecondFactor,
    /// Confirming who one is before a sensitive action.
    Confirm,
}

/// The actor's passkeys, oldest first.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<PasskeyInfo>> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(pool)
            .await?
    }))
}

/// Whether the user has a passkey.
pub async fn has_passkey(db: &Db, user_id: i64) -> Result<bool> {
    Ok(count(db, user_id).await? > 0)
}

/// How many passkeys the user has.
async fn count(db: &Db, user_id: i64) -> Result<i64> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM passkeys WHERE user_id = $1").bind(user_id).fetch_one(pool).await?
    }))
}

/// Starts registering a passkey for the actor, after a recent confirmation of who they are.
/// Answers the options for the browser (JSON, `{"publicKey": …}`) and the state to keep.
pub async fn start_registration(
    db: &Db,
    rp: &RelyingParty,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(String, Registration)> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    actor.require_recent_confirmation(now)?;
    let existing = stored(db, user_id).await?;
    if existing.len() >= MAX_PER_USER {
        return Err(DomainError::conflict(
            None,
            format!("You have {MAX_PER_USER} passkeys, the most one account may have: remove one first."),
        ));
    }
    let handle = match existing.first() {
        Some(first) => first.handle,
        None => Uuid::new_v4(),
    };
    let exclude: Vec<CredentialID> = existing.iter().map(|s| s.passkey.cred_id().clone()).collect();
    let (mut options, state) = rp
        .webauthn
        .start_passkey_registration(handle, &actor.email, &actor.display_name, Some(exclude))
        .map_err(ceremony_failed)?;
    // A passkey the authenticator can offer without being named first, where it can, so that
    // signing in without a password works; an authenticator that cannot still registers one.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Preferred);
    }
    let json = serde_json::to_string(&options).map_err(DomainError::internal)?;
    Ok((json, Registration { user_id, handle, state }))
}

/// Finishes a registration with the browser's answer (the credential as JSON) and the name
/// the user gave it. Answers new recovery codes when the user had none left (shown once), or
/// none.
pub async fn finish_registration(
    db: &Db,
    rp: &RelyingParty,
    actor: &Actor,
    registration: Registration,
    name: &str,
    credential: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    actor.require_recent_confirmation(now)?;
    if registration.user_id != user_id {
        return Err(DomainError::conflict(None, "Start adding the passkey again."));
    }
    let name = checked_name(name)?;
    let answer: RegisterPublicKeyCredential = serde_json::from_str(credential)
        .map_err(|_| DomainError::invalid("credential", "The browser's answer could not be read. Try again."))?;
    let passkey = rp.webauthn.finish_passkey_registration(&answer, &registration.state).map_err(|e| {
        tracing::info!(error = %e, user = %actor.email, "passkey registration refused");
        DomainError::invalid("credential", "The passkey could not be added: the browser's answer did not check out.")
    })?;
    if count(db, user_id).await? >= MAX_PER_USER as i64 {
        return Err(DomainError::conflict(None, format!("You have {MAX_PER_USER} passkeys already.")));
    }
    let (codes, hashes) = if mfa::unused_recovery_codes(db, user_id).await? == 0 {
        mfa::new_recovery_codes()
    } else {
        (Vec::new(), Vec::new())
    };
    let issued = if codes.is_empty() { String::new() } else { format!("; {} recovery codes issued", codes.len()) };
    let audit = Record::by(actor, "mfa.passkey_added", format!("user:{}", actor.email))
        .summary(format!("added the passkey \"{name}\"{issued}"));
    let json = serde_json::to_string(&passkey).map_err(DomainError::internal)?;
    let credential_id = credential_text(passkey.cred_id());
    let handle = registration.handle.to_string();
    let done: std::result::Result<(), sqlx::Error> = audited!(db, |tx| {
        sqlx::query(
            "INSERT INTO passkeys (user_id, user_handle, credential_id, name, passkey, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(&handle)
        .bind(&credential_id)
        .bind(&name)
        .bind(&json)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if !hashes.is_empty() {
            sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            for hash in &hashes {
                sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user_id)
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.append(&audit).await?;
    });
    match done {
        Err(e) if PASSKEY_CREDENTIAL.is_violated_by(&e) => {
            Err(DomainError::conflict(None, "This passkey is registered already."))
        }
        other => other.map(|()| codes).map_err(Into::into),
    }
}

/// Removes one of the actor's own passkeys, after a recent confirmation. `NotFound` for a
/// passkey that is not theirs.
pub async fn remove(db: &Db, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<()> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    actor.require_recent_confirmation(now)?;
    let name: Option<String> = on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT name FROM passkeys WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    let name = name.ok_or(DomainError::NotFound)?;
    let audit = Record::by(actor, "mfa.passkey_removed", format!("user:{}", actor.email))
        .summary(format!("removed the passkey \"{name}\""));
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        &audit,
        sqlx::query("DELETE FROM passkeys WHERE id = $1 AND user_id = $2").bind(id).bind(user_id)
    );
    if done? {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// Starts a sign-in or confirmation: for a known user, one of their passkeys (`Conflict` when
/// they have none); otherwise any passkey of this site, which names its user. Answers the
/// options for the browser (JSON) and the state to keep.
pub async fn start_authentication(
    db: &Db,
    rp: &RelyingParty,
    user_id: Option<i64>,
) -> Result<(String, Authentication)> {
    let (json, state) = match user_id {
        Some(user_id) => {
            let passkeys: Vec<Passkey> = stored(db, user_id).await?.into_iter().map(|s| s.passkey).collect();
            if passkeys.is_empty() {
                return Err(DomainError::conflict(None, "You have no passkey yet."));
            }
            let (options, state) = rp.webauthn.start_passkey_authentication(&passkeys).map_err(ceremony_failed)?;
            let json = serde_json::to_string(&options).map_err(DomainError::internal)?;
            (json, Authentication::Known { user_id, state })
        }
        None => {
            let (mut options, state) = rp.webauthn.start_discoverable_authentication().map_err(ceremony_failed)?;
            // Asked when the person presses the button, not offered in the email field's list.
            options.mediation = None;
            let json = serde_json::to_string(&options).map_err(DomainError::internal)?;
            (json, Authentication::Discoverable(state))
        }
    };
    Ok((json, state))
}

/// Finishes a sign-in or confirmation with the browser's answer; answers the user it proves.
/// For `Confirm`, the passkey must be the actor's (`confirming`).
#[allow(clippy::too_many_arguments)]
pub async fn finish_authentication(
    db: &Db,
    rp: &RelyingParty,
    authentication: Authentication,
    credential: &str,
    purpose: Purpose,
    confirming: Option<&Actor>,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let answer: PublicKeyCredential = serde_json::from_str(credential)
        .map_err(|_| DomainError::invalid("credential", "The browser's answer could not be read. Try again."))?;
    let unknown = || DomainError::invalid("credential", "That passkey is not registered here.");
    let credential_id = credential_text(answer.get_credential_id());
    let Some(mut found) = stored_by_credential(db, &credential_id).await? else {
        tracing::info!(address = address.unwrap_or("-"), "passkey answer for an unknown credential");
        return Err(unknown());
    };
    if let Authentication::Known { user_id, .. } = &authentication {
        if found.user_id != *user_id {
            tracing::info!(address = address.unwrap_or("-"), "passkey answer for another user's credential");
            return Err(unknown());
        }
    }
    if let Some(actor) = confirming {
        if actor.user_id != Some(found.user_id) {
            return Err(unknown());
        }
    }
    let (user, _) = users::find_user(db, found.user_id).await?.ok_or_else(unknown)?;
    if user.disabled_at.is_some() {
        return Err(DomainError::Unauthenticated);
    }
    let email = user.email.clone();
    let object = format!("user:{email}");
    let from = address.map(|a| format!(" from {a}")).unwrap_or_default();
    let attempt = match throttle::admit(db, &email, address, now).await? {
        throttle::Admission::Admitted(attempt) => attempt,
        throttle::Admission::Refused { minutes } => {
            tracing::info!(user = %email, minutes, "passkey refused: too many attempts");
            return Err(DomainError::Throttled { minutes });
        }
    };
    let checked = match authentication {
        Authentication::Known { state, .. } => rp.webauthn.finish_passkey_authentication(&answer, &state),
        Authentication::Discoverable(state) => {
            // The authenticator names its user by the handle given at registration.
            let named = rp
                .webauthn
                .identify_discoverable_authentication(&answer)
                .ok()
                .is_some_and(|(handle, _)| handle == found.handle);
            if named {
                rp.webauthn.finish_discoverable_authentication_v2(&answer, state, &found.passkey)
            } else {
                Err(WebauthnError::InvalidUserUniqueId)
            }
        }
    };
    let result = match checked {
        Ok(result) => result,
        Err(error) => {
            let reason = match error {
                WebauthnError::CredentialPossibleCompromise => {
                    "its signature counter went back: the passkey may have been copied"
                }
                WebauthnError::InvalidRPOrigin | WebauthnError::InvalidRPIDHash => {
                    "it was made for another site (a look-alike address?)"
                }
                _ => "the answer did not check out",
            };
            tracing::info!(user = %email, error = %error, "passkey refused");
            let refused = Record {
                actor_user_id: Some(found.user_id),
                ..Record::anonymous(&email, "auth.passkey_refused", object.clone())
            }
            .summary(format!("the passkey \"{}\" was refused: {reason}{from}", found.name));
            audit::record(db, refused).await?;
            if attempt.fills {
                audit::record(db, super::throttled(&email, &from)).await?;
            }
            let message = match error {
                WebauthnError::CredentialPossibleCompromise => {
                    "This passkey was refused: it may have been copied. Use another passkey or a recovery code, and tell an admin."
                }
                _ => "This passkey was refused. Try again, or use another way to sign in.",
            };
            return Err(DomainError::invalid("credential", message));
        }
    };
    found.passkey.update_credential(&result);
    let json = serde_json::to_string(&found.passkey).map_err(DomainError::internal)?;
    let (action, summary) = match purpose {
        Purpose::SignIn => ("auth.sign_in", format!("signed in with the passkey \"{}\"{from}", found.name)),
        Purpose::SecondFactor => {
            ("auth.sign_in", format!("signed in with a password and the passkey \"{}\"{from}", found.name))
        }
        Purpose::Confirm => ("auth.step_up", format!("confirmed with the passkey \"{}\"{from}", found.name)),
    };
    let record =
        Record { actor_user_id: Some(found.user_id), ..Record::anonymous(&email, action, object) }.summary(summary);
    let id = found.id;
    let done: std::result::Result<(), sqlx::Error> = audited!(db, |tx| {
        sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3")
            .bind(&json)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.append(&record).await?;
    });
    done?;
    throttle::forget(db, &attempt).await?;
    if purpose != Purpose::Confirm {
        throttle::clear_account(db, &email).await?;
    }
    Ok(found.user_id)
}

/// A passkey's name as given: trimmed, 1 to [`MAX_NAME`] characters, no control characters.
fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::invalid("name", "Give the passkey a name, such as \"Laptop\" or \"Security key\"."));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            "name",
            format!("A name has at most {MAX_NAME} characters, without line breaks or tabs."),
        ));
    }
    Ok(name.to_owned())
}

/// A credential id as stored: its bytes in lowercase hexadecimal.
fn credential_text(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn ceremony_failed(error: WebauthnError) -> DomainError {
    DomainError::internal(CeremonyFailed(error.to_string()))
}

#[derive(Debug, thiserror::Error)]
#[error("a passkey ceremony could not start: {0}")]
struct CeremonyFailed(String);

#[derive(Debug, thiserror::Error)]
#[error("a stored passkey could not be read: {0}")]
struct BadPasskey(String);

/// A stored passkey, read back.
struct Stored {
    id: i64,
    user_id: i64,
    handle: Uuid,
    name: String,
    passkey: Passkey,
}

type StoredRow = (i64, i64, String, String, String);

fn stored_of((id, user_id, handle, name, json): StoredRow) -> Result<Stored> {
    let handle = Uuid::parse_str(&handle).map_err(|e| DomainError::internal(BadPasskey(e.to_string())))?;
    let passkey = serde_json::from_str(&json).map_err(|e| DomainError::internal(BadPasskey(e.to_string())))?;
    Ok(Stored { id, user_id, handle, name, passkey })
}

async fn stored(db: &Db, user_id: i64) -> Result<Vec<Stored>> {
    let rows: Vec<StoredRow> = on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, user_id, user_handle, name, passkey FROM passkeys WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(stored_of).collect()
}

async fn stored_by_credential(db: &Db, credential_id: &str) -> Result<Option<Stored>> {
    let row: Option<StoredRow> = on_pool!(db, |pool| {
        sqlx::query_as("SELECT id, user_id, user_handle, name, passkey FROM passkeys WHERE credential_id = $1")
            .bind(credential_id)
            .fetch_optional(pool)
            .await?
    });
    row.map(stored_of).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_address_and_loopback_is_localhost() {
        let rp = RelyingParty::for_public_url("https://rampart.example/").unwrap();
        assert_eq!(rp.origin(), "https://rampart.example");
        let rp = RelyingParty::for_public_url("http://127.0.0.1:3111").unwrap();
        assert_eq!(rp.origin(), "http://localhost:3111");
        assert!(RelyingParty::for_public_url("http://192.0.2.7:3000").is_none(), "browsers refuse numeric hosts");
        assert!(RelyingParty::for_public_url("not a url").is_none());
    }

    #[test]
    fn a_credential_id_is_stored_as_hexadecimal() {
        assert_eq!(credential_text(&[0x00, 0xab, 0x7f]), "00ab7f");
        assert_eq!(credential_text(&[]), "");
    }

    #[test]
    fn a_name_is_short_and_on_one_line() {
        assert_eq!(checked_name("  Laptop ").unwrap(), "Laptop");
        assert!(checked_name(" ").is_err());
        assert!(checked_name("a\nb").is_err());
        assert!(checked_name(&"x".repeat(MAX_NAME + 1)).is_err());
        assert!(checked_name(&"é".repeat(MAX_NAME)).is_ok());
    }
}
