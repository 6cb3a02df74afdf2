//! Single sign-on through one OpenID Connect provider (Entra ID, Google Workspace, Okta,
//! Keycloak, …) that an admin configures.
//!
//! Invariants:
//! - Users are identified by the provider's issuer and subject. The first sign-in links an
//!   existing user by the e-mail address the provider vouches for (never one it says is not
//!   verified), once; an identity linked stays linked even if the address changes.
//! - Only addresses in the allowed domains sign in (when any are named); client viewers never
//!   sign in through the MSP's provider, and disabled users never do.
//! - Users are created at their first sign-in only when the admin turned that on (off by
//!   default), with the mapped role or the chosen default role.
//! - With a role claim configured, the role follows the provider at every sign-in (the first
//!   matching line of the mapping); without a matching line the sign-in is refused. A changed
//!   role ends the user's sessions and is audited; the last active admin is never demoted.
//! - A sign-in under way is kept server-side for at most [`LOGIN_SECONDS`], used once, and only
//!   by the browser that started it (a random value in its own cookie, stored as a hash).
//! - Two-factor sign-in: a user with Rampart's TOTP app set up is asked for the code after the
//!   provider, unless the admin trusts the provider's MFA and the ID token's `amr` says "mfa".
//! - The client secret is never shown back, logged, or sent to a browser.
//! - Every change (settings, created users, links, roles) and every sign-in through the
//!   provider, successful or refused, is audited.
//!
//! Only admins (ManageSettings; and the command line) read and change the settings and test
//! discovery. Starting and finishing a sign-in needs no signed-in user.

pub mod model;
pub mod oidc;
mod store;

pub use model::{SsoInput, SsoSettings};

use super::store as users;
use super::{actor_for_user, mfa};
use crate::audit::{self, Diff, Record};
use crate::authz::{Actor, Permission, Role};
use crate::db::Db;
use crate::error::{DomainError, Result};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// How long a sign-in may take at the provider.
pub const LOGIN_SECONDS: i64 = 600;

/// The settings as an admin sees them: the secret is never among them, only whether one is set.
#[derive(Debug, Clone)]
pub struct ShownSettings {
    /// `client_secret` is always empty here.
    pub settings: SsoSettings,
    pub has_secret: bool,
}

fn shown(mut settings: SsoSettings) -> ShownSettings {
    let has_secret = !settings.client_secret.is_empty();
    settings.client_secret.clear();
    ShownSettings { settings, has_secret }
}

/// The stored settings (without the secret), if any were saved.
pub async fn get_settings(db: &Db, actor: &Actor) -> Result<Option<ShownSettings>> {
    actor.require(Permission::ManageSettings)?;
    Ok(store::load_settings(db).await?.map(shown))
}

/// Saves the provider's settings, after a recent confirmation of who the admin is (whoever
/// sets the provider decides who signs in). An empty secret keeps the stored one; a stale
/// version is a conflict. Audited, the secret as "changed" only.
pub async fn save_settings(db: &Db, actor: &Actor, input: &SsoInput, now: DateTime<Utc>) -> Result<ShownSettings> {
    actor.require(Permission::ManageSettings)?;
    actor.require_recent_confirmation(now)?;
    let stored = store::load_settings(db).await?;
    let settings = model::validate(input, stored.as_ref()).map_err(DomainError::Validation)?;
    let stored_version = stored.as_ref().map(|s| s.version).unwrap_or(0);
    if input.version != stored_version {
        return Err(stale());
    }
    let before = stored.as_ref();
    let text = |f: fn(&SsoSettings) -> String| (before.map(f).unwrap_or_default(), f(&settings));
    let mut diff = Diff::new();
    for (name, (b, a)) in [
        ("enabled", text(|s| yes_no(s.enabled))),
        ("name", text(|s| s.display_name.clone())),
        ("issuer", text(|s| s.issuer.clone())),
        ("client id", text(|s| s.client_id.clone())),
        ("allowed domains", text(|s| s.domains_text())),
        ("role claim", text(|s| s.role_claim.clone())),
        ("role mapping", text(|s| s.mapping_text().replace('\n', "; "))),
        ("create users", text(|s| yes_no(s.jit_enabled))),
        ("default role", text(|s| s.jit_role.as_str().to_string())),
        ("trust the provider's MFA", text(|s| yes_no(s.trust_provider_mfa))),
    ] {
        diff = diff.field(name, &b, &a);
    }
    let (b, a) = (before.map(|s| s.client_secret.clone()).unwrap_or_default(), settings.client_secret.clone());
    diff = diff.hidden("client secret", &b, &a);
    let audit = Record::by(actor, "sso.settings_update", "sso_settings").summary(diff.finish());
    if !store::save_settings(db, &settings, &actor.display_name, now, &audit).await? {
        return Err(stale());
    }
    store::load_settings(db).await?.map(shown).ok_or(DomainError::NotFound)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn stale() -> DomainError {
    DomainError::conflict(None, "Someone changed the single sign-on settings meanwhile. Reload the page and try again.")
}

/// Reads the discovery document of `issuer` (the admin's "Test configuration"). Changes
/// nothing. A provider that cannot be read is a validation error on the issuer, in words.
pub async fn test_discovery(actor: &Actor, issuer: &str) -> Result<oidc::Discovery> {
    actor.require(Permission::ManageSettings)?;
    let issuer =
        model::parse_issuer(issuer, oidc::loopback_allowed()).map_err(|m| DomainError::invalid("issuer", m))?;
    oidc::discover(&issuer).await.map_err(|e| {
        // The library's words (and the addresses it tried) are for the server's log only.
        tracing::warn!(error = %e, %issuer, "single sign-on test: the provider could not be read");
        DomainError::invalid(
            "issuer",
            "Rampart could not read the provider's discovery document and signing keys. Check the issuer's address, and that this server may reach it.",
        )
    })
}

/// The name on the sign-in button when single sign-on is on; `None` when it is off or not set.
/// Anyone may ask (the sign-in page shows it).
pub async fn sign_in_option(db: &Db) -> Result<Option<String>> {
    Ok(store::load_settings(db).await?.filter(|s| s.enabled).map(|s| s.display_name))
}

/// A sign-in started: send the browser to `url`, and give it `browser_token` in its own
/// short-lived cookie.
pub struct Started {
    pub url: String,
    pub browser_token: String,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts a sign-in at the provider: `redirect_uri` is Rampart's callback address, `next` a
/// local path to go to afterwards (already checked by the caller). `NotFound` when single
/// sign-on is off.
pub async fn start_sign_in(
    db: &Db,
    redirect_uri: &str,
    next: Option<&str>,
    fresh: bool,
    now: DateTime<Utc>,
) -> Result<Started> {
    let settings = store::load_settings(db).await?.filter(|s| s.enabled).ok_or(DomainError::NotFound)?;
    let authorization = oidc::authorize(&settings, redirect_uri, fresh).await.map_err(DomainError::internal)?;
    let browser_token = random_token();
    let login = store::Login {
        confirming: fresh,
        browser_hash: hash(&browser_token),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        redirect_uri: redirect_uri.to_owned(),
        next_path: next.map(str::to_owned),
        created_at: now.timestamp(),
    };
    store::insert_login(db, &hash(&authorization.state), &login, now.timestamp() - LOGIN_SECONDS).await?;
    Ok(Started { url: authorization.url, browser_token })
}

/// What the provider sent back to the callback, and the browser's cookie.
#[derive(Debug, Default, Clone)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's `error` (the person cancelled, or the provider refused).
    pub error: Option<String>,
    pub browser_token: Option<String>,
    /// The client's address, for the audit log.
    pub address: Option<String>,
}

/// A finished sign-in at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    /// Rampart's two-factor code is asked next (the user is not signed in until then).
    pub ask_code: bool,
    pub next: Option<String>,
    /// A confirmation of who one is (step-up): started as one, and the provider authenticated
    /// the person just now (`auth_time`). Any other sign-in through the provider may have
    /// ridden a live session there, with nobody at the keyboard.
    pub confirmed: bool,
}

/// How recent the provider's `auth_time` must be for a confirmation (its clock may differ a
/// little from ours).
pub const CONFIRMATION_SECONDS: i64 = 300;

/// Whether an ID token's `auth_time` shows an authentication just now.
pub fn authenticated_just_now(auth_time: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    auth_time.is_some_and(|at| (now - at).num_seconds().abs() <= CONFIRMATION_SECONDS)
}

/// Why a sign-in through the provider was refused; `code()` is what the sign-in page is told.
#[derive(Debug, thiserror::Error)]
pub enum SsoFailure {
    /// No sign-in under way with this state for this browser, or it took too long, or it was
    /// used already.
    #[error("the sign-in expired or was not started here")]
    Expired,
    /// The provider sent an error instead of a code (the person cancelled, say).
    #[error("the provider did not sign the person in")]
    Cancelled,
    /// The code exchange or the ID token's checks failed, or single sign-on is off.
    #[error("the provider's answer was refused")]
    Failed,
    /// The address is not verified, or not in the allowed domains.
    #[error("the address may not sign in")]
    NotAllowed,
    /// No active Rampart user for this identity (and none may be created).
    #[error("no account")]
    NoAccount,
    /// A role claim is configured and none of its values maps to a role.
    #[error("no role")]
    NoRole,
    #[error(transparent)]
    Internal(#[from] DomainError),
}

impl SsoFailure {
    pub fn code(&self) -> &'static str {
        match self {
            SsoFailure::Expired => "expired",
            SsoFailure::Cancelled => "cancelled",
            SsoFailure::Failed | SsoFailure::Internal(_) => "failed",
            SsoFailure::NotAllowed => "not_allowed",
            SsoFailure::NoAccount => "no_account",
            SsoFailure::NoRole => "no_role",
        }
    }
}

/// Finishes a sign-in: checks the state against the sign-in under way (used once, this browser
/// only, within [`LOGIN_SECONDS`]), exchanges the code and verifies the ID token, then finds,
/// links or creates the user and applies the role mapping. Success and every refusal of an
/// identity the provider vouched for are audited (with the reason; never a code or token).
/// What anyone can send without the provider's word (an unknown or stale state, another
/// browser, an error or no code, a code the provider does not honour) is logged, not audited:
/// the callback is public, and a loop of such requests must not grow the audit log.
pub async fn finish_sign_in(db: &Db, callback: &Callback, now: DateTime<Utc>) -> Result<SignedIn, SsoFailure> {
    let from = callback.address.as_deref().map(|a| format!(" from {a}")).unwrap_or_default();
    let dismiss = |reason: String, failure: SsoFailure| {
        tracing::info!(address = callback.address.as_deref().unwrap_or("-"), %reason, "single sign-on callback refused");
        Err::<SignedIn, SsoFailure>(failure)
    };
    let refuse = |label: &str, reason: String, failure: SsoFailure| {
        let record = Record::anonymous(label, "auth.sign_in_failed", format!("user:{label}"))
            .summary(format!("single sign-on refused: {reason}{from}"));
        async move {
            audit::record(db, record).await?;
            Err::<SignedIn, SsoFailure>(failure)
        }
    };
    // The state first: without a sign-in under way for this browser, nothing else is looked at.
    let login = match &callback.state {
        Some(state) => store::take_login(db, &hash(state)).await?,
        None => None,
    };
    let Some(login) = login else {
        return dismiss("no sign-in under way with this state".into(), SsoFailure::Expired);
    };
    let same_browser = callback.browser_token.as_deref().is_some_and(|t| hash(t) == login.browser_hash);
    if !same_browser {
        return dismiss("the sign-in was started in another browser".into(), SsoFailure::Expired);
    }
    if now.timestamp() - login.created_at > LOGIN_SECONDS {
        return dismiss("the sign-in took longer than 10 minutes".into(), SsoFailure::Expired);
    }
    let Some(settings) = store::load_settings(db).await?.filter(|s| s.enabled) else {
        return dismiss("single sign-on is off".into(), SsoFailure::Failed);
    };
    let provider = settings.display_name.clone();
    if let Some(error) = &callback.error {
        let error: String = error.chars().filter(|c| c.is_ascii_graphic()).take(80).collect();
        return dismiss(format!("{provider} answered “{error}”"), SsoFailure::Cancelled);
    }
    let Some(code) = callback.code.as_deref() else {
        return dismiss(format!("{provider} sent no code"), SsoFailure::Failed);
    };
    let identity = match oidc::exchange(&settings, &login.redirect_uri, code, &login.pkce_verifier, &login.nonce).await
    {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on refused");
            if e.is_refused_code() {
                return dismiss(format!("{provider}: {e}"), SsoFailure::Failed);
            }
            return refuse("sso", format!("{provider}: {e}"), SsoFailure::Failed).await;
        }
    };
    let subject_label = format!("sso:{}", identity.subject);
    let Some(vouched) = model::vouched_email(
        identity.email.as_deref(),
        identity.email_verified,
        identity.preferred_username.as_deref(),
    ) else {
        let reason = format!("{provider} vouched for no verified e-mail address");
        return refuse(&subject_label, reason, SsoFailure::NotAllowed).await;
    };
    let email = vouched.email;
    if !settings.allows_email(&email) {
        return refuse(&email, "the address is not in the allowed domains".into(), SsoFailure::NotAllowed).await;
    }
    let mapped = settings.mapped_role(identity.role_claim.as_ref());
    if !settings.role_claim.is_empty() && mapped.is_none() {
        let reason = format!("no value of the claim “{}” maps to a role", settings.role_claim);
        return refuse(&email, reason, SsoFailure::NoRole).await;
    }

    let display_name = identity
        .name
        .as_deref()
        .map(crate::clients::model::clean_line)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(120).collect::<String>())
        .unwrap_or_else(|| email.clone());
    let linked = store::find_identity(db, &identity.issuer, &identity.subject).await?;
    let known = match linked {
        Some(user_id) => Some(user_id),
        None => users::find_credentials(db, &email).await?.map(|c| c.user_id),
    };
    let (who, role_before) = match known {
        Some(user_id) => {
            let Some((user, _)) = users::find_user(db, user_id).await? else {
                return refuse(&email, "the linked user is gone".into(), SsoFailure::NoAccount).await;
            };
            if user.disabled_at.is_some() {
                return refuse(&email, "the user is disabled".into(), SsoFailure::NoAccount).await;
            }
            if user.role == Role::ClientViewer {
                return refuse(
                    &email,
                    "client viewers do not sign in through the MSP's provider".into(),
                    SsoFailure::NoAccount,
                )
                .await;
            }
            if linked.is_none() && !vouched.verified {
                let reason = format!("{provider} did not verify the address, so it is not linked to an account");
                return refuse(&email, reason, SsoFailure::NotAllowed).await;
            }
            if linked.is_none() {
                let theirs = store::list_identities(db, user_id).await?;
                if theirs.iter().any(|(issuer, _)| issuer == &identity.issuer) {
                    let reason = "the user is linked to another identity at this provider".into();
                    return refuse(&email, reason, SsoFailure::NoAccount).await;
                }
            }
            (store::Who::Existing(user_id), Some((user.role, user.email)))
        }
        // Accounts are made only for allowed domains (settings refuse the one without the other;
        // this holds for settings stored before that rule too).
        None if settings.jit_enabled && !settings.allowed_domains.is_empty() => {
            let role = mapped.unwrap_or(settings.jit_role);
            (store::Who::New { email: &email, display_name: &display_name, role }, None)
        }
        None => return refuse(&email, "no Rampart user has this address".into(), SsoFailure::NoAccount).await,
    };

    // The role: the provider's, when a claim is configured (never demoting the last admin: the
    // write checks that in its transaction).
    let new_role = match (&role_before, mapped) {
        (Some((before, _)), Some(role)) if role != *before => Some(role),
        _ => None,
    };
    let user_id_hint = match who {
        store::Who::Existing(id) => Some(id),
        store::Who::New { .. } => None,
    };
    let ask_code = match user_id_hint {
        Some(id) => mfa::is_enrolled(db, id).await? && !settings.provider_did_mfa(&identity.amr),
        None => false,
    };
    let object = format!("user:{email}");
    let write =
        store::SignInWrite { who, issuer: &identity.issuer, subject: &identity.subject, email: &email, new_role, now };
    let records = |user_id: i64, applied: Option<Role>| {
        let mut records = Vec::new();
        let mut notes = Vec::new();
        if let (Some(role), None) = (new_role, applied) {
            notes.push(format!("kept admin: the claim gives {} but this is the last active admin", role.as_str()));
        }
        if user_id_hint.is_none() {
            let role = mapped.unwrap_or(settings.jit_role);
            records.push(Record::system("user.add", object.clone()).summary(format!(
                "added “{display_name}” as {} at their first single sign-on through {provider}",
                role.as_str()
            )));
        }
        if linked.is_none() {
            records.push(
                Record::system("sso.link", object.clone())
                    .summary(format!("linked to the identity {} at {}", identity.subject, identity.issuer)),
            );
        }
        if let (Some(role), Some((before, _))) = (applied, &role_before) {
            records.push(Record::system("user.role_change", object.clone()).summary(format!(
                "role {} → {} from the claim “{}” at single sign-on; their sessions ended",
                before.as_str(),
                role.as_str(),
                settings.role_claim
            )));
        }
        let mfa_note = if settings.provider_did_mfa(&identity.amr) { " (the provider did MFA)" } else { "" };
        let notes = if notes.is_empty() { String::new() } else { format!("; {}", notes.join("; ")) };
        let (action, summary) = if ask_code {
            ("auth.sso_accepted", format!("signed in at {provider}; the two-factor code is asked next{from}{notes}"))
        } else {
            ("auth.sign_in", format!("signed in through {provider} (single sign-on){mfa_note}{from}{notes}"))
        };
        records.push(
            Record { actor_user_id: Some(user_id), ..Record::anonymous(&email, action, object.clone()) }
                .summary(summary),
        );
        records
    };
    let user_id = store::write_sign_in(db, &write, records).await?;
    if actor_for_user(db, user_id).await?.is_none() {
        return Err(SsoFailure::NoAccount);
    }
    let confirmed = login.confirming && authenticated_just_now(identity.auth_time, now);
    if login.confirming && !confirmed {
        tracing::info!(user = %email, "single sign-on confirmation without a fresh authentication at the provider");
    }
    Ok(SignedIn { user_id, ask_code, next: login.next_path, confirmed })
}

/// The identities (issuer, subject) linked to a user, for the command line and tests.
pub async fn list_identities(db: &Db, actor: &Actor, user_id: i64) -> Result<Vec<(String, String)>> {
    actor.require(Permission::ViewUsers)?;
    store::list_identities(db, user_id).await
}
