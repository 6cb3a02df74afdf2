//! Two-factor sign-in: a TOTP app (RFC 6238) and single-use recovery codes.
//!
//! Invariants:
//! - A secret is generated here (160 random bits) and becomes active only once a code from it
//!   has been confirmed; until then sign-in asks for no code.
//! - No TOTP code is accepted twice (the last accepted step is kept), and a wrong code counts
//!   as a failed sign-in for throttling.
//! - Recovery codes (10, shown once at enrolment) are stored as SHA-256 hashes and each works
//!   once.
//! - Enrolment, its confirmation and the use of a recovery code are audited.
//!
//! Users enrol themselves: every signed-in user may. Only admins (and the command line) reset
//! a user's app.

use super::{store as users, throttle, totp};
use crate::audit::store::{audited, audited_one};
use crate::audit::{self, Record};
use crate::authz::{Actor, Permission, Role};
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in authenticator apps.
const ISSUER: &str = "Rampart";

/// A secret waiting for its first code: shown as text, as an otpauth:// address and as that
/// address's QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    /// An `<svg>` element (no XML declaration, nothing but rectangles and one path), to put
    /// inline in a page.
    pub qr_svg: String,
}

impl Enrolment {
    fn of(email: &str, secret: String) -> Enrolment {
        let label = format!("{ISSUER}:{email}");
        let uri = format!(
            "otpauth://totp/{}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits={}&period={}",
            encode(&label),
            totp::DIGITS,
            totp::STEP
        );
        let qr_svg = qr_svg(&uri);
        Enrolment { secret, uri, qr_svg }
    }
}

/// The QR code of `text` as an inline `<svg>` element; empty if the text is too long for one
/// (an otpauth address never is).
pub fn qr_svg(text: &str) -> String {
    use qrcode::render::svg;
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else { return String::new() };
    let image = code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    image.find("<svg").map(|start| image[start..].to_owned()).unwrap_or_default()
}

/// The actor's enrolment that waits for its first code, if any (to show it again on a page
/// reloaded without JavaScript).
pub async fn pending_enrolment(db: &Db, actor: &Actor) -> Result<Option<Enrolment>> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    Ok(match find_secret(db, user_id).await? {
        Some((secret, false)) => Some(Enrolment::of(&actor.email, secret)),
        _ => None,
    })
}

/// Starts (or restarts) enrolment of the actor's TOTP app, after a recent confirmation of who
/// they are (whoever holds an unattended session must not tie their own app to the account).
/// Refused when one is already active.
pub async fn start_enrolment(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Enrolment> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    actor.require_recent_confirmation(now)?;
    if is_enrolled(db, user_id).await? {
        return Err(DomainError::conflict(None, "Two-factor sign-in is already set up."));
    }
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    let secret = totp::base32_encode(&bytes);
    let audit = Record::by(actor, "mfa.enrol_start", format!("user:{}", actor.email))
        .summary("started setting up two-factor sign-in");
    save_pending(db, user_id, &secret, &audit).await?;
    Ok(Enrolment::of(&actor.email, secret))
}

/// Confirms enrolment with a code from the app; returns the recovery codes, shown once.
pub async fn confirm_enrolment(db: &Db, actor: &Actor, code: &str, now: DateTime<Utc>) -> Result<Vec<String>> {
    let user_id = actor.user_id.ok_or(DomainError::Unauthenticated)?;
    actor.require_recent_confirmation(now)?;
    let Some((secret, confirmed)) = find_secret(db, user_id).await? else {
        return Err(DomainError::conflict(None, "Start setting up two-factor sign-in first."));
    };
    if confirmed {
        return Err(DomainError::conflict(None, "Two-factor sign-in is already set up."));
    }
    let bytes = totp::base32_decode(&secret).ok_or_else(|| DomainError::internal(BadSecret))?;
    let Some(step) = totp::matching_step(&bytes, code, now.timestamp()) else {
        return Err(DomainError::invalid("code", "That code is not right. Enter the 6 digits your app shows now."));
    };
    let (codes, hashes) = new_recovery_codes();
    let audit = Record::by(actor, "mfa.enrol", format!("user:{}", actor.email))
        .summary(format!("set up two-factor sign-in; {RECOVERY_CODES} recovery codes issued"));
    save_confirmed(db, user_id, step, &hashes, now, &audit).await?;
    Ok(codes)
}

/// Removes a user's TOTP app and recovery codes (a lost phone): they sign in with the password
/// alone until they set it up again. Their sessions end with it (whoever holds one may be the
/// one who has the phone). Nobody resets their own here: another admin or the command line
/// does. Audited; `NotFound` for an unknown email.
pub async fn reset(db: &Db, actor: &Actor, email: &str, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::ManageUsers)?;
    actor.require_recent_confirmation(now)?;
    let email = email.trim().to_lowercase();
    let credentials = users::find_credentials(db, &email).await?.ok_or(DomainError::NotFound)?;
    if actor.user_id == Some(credentials.user_id) {
        return Err(DomainError::conflict(
            None,
            "You cannot reset your own two-factor sign-in; ask another admin, or use the command line.",
        ));
    }
    let audit = Record::by(actor, "mfa.reset", format!("user:{email}"))
        .summary("removed the two-factor app, passkeys and recovery codes; their sessions end");
    let done: std::result::Result<(), sqlx::Error> = audited!(db, |tx| {
        for table in ["mfa_totp", "passkeys", "mfa_recovery_codes", "sessions"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(credentials.user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.append(&audit).await?;
    });
    Ok(done?)
}

/// Whether the user has an active TOTP app.
pub async fn is_enrolled(db: &Db, user_id: i64) -> Result<bool> {
    Ok(find_secret(db, user_id).await?.is_some_and(|(_, confirmed)| confirmed))
}

/// Whether signing in asks the user for a second step after the password: an active app or a
/// passkey (with either, a recovery code also does).
pub async fn has_second_factor(db: &Db, user_id: i64) -> Result<bool> {
    let passkey = users::find_user(db, user_id).await?.is_some_and(|(user, _)| user.passkey);
    Ok(passkey || is_enrolled(db, user_id).await?)
}

/// Recovery codes the user has not used yet.
pub async fn unused_recovery_codes(db: &Db, user_id: i64) -> Result<i64> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(pool)
            .await?
    }))
}

/// The second step of signing in: a code from the user's app, or one of their recovery codes.
/// Throttled and counted like passwords; success and failure are audited.
pub async fn verify_code(db: &Db, user_id: i64, code: &str, address: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    verify_code_for(db, user_id, code, address, now, &[]).await
}

/// Whether a code from the user's app may be the second step of their sign-in: not where their
/// role must use a passkey (`passkey_roles`) and they have one (a recovery code still may).
pub async fn app_codes_accepted(db: &Db, user_id: i64, passkey_roles: &[Role]) -> Result<bool> {
    let Some((user, _)) = users::find_user(db, user_id).await? else { return Ok(false) };
    Ok(is_enrolled(db, user_id).await? && !(passkey_roles.contains(&user.role) && user.passkey))
}

/// [`verify_code`] in a deployment whose `passkey_roles` must use a passkey: for those who
/// have one, a code from an app is refused like a wrong one (a recovery code still works).
pub async fn verify_code_for(
    db: &Db,
    user_id: i64,
    code: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
    passkey_roles: &[Role],
) -> Result<()> {
    let (user, _) = users::find_user(db, user_id).await?.ok_or(DomainError::Unauthenticated)?;
    if user.disabled_at.is_some() {
        return Err(DomainError::Unauthenticated);
    }
    let email = user.email.clone();
    let from = address.map(|a| format!(" from {a}")).unwrap_or_default();
    let object = format!("user:{email}");
    let attempt = match throttle::admit(db, &email, address, now).await? {
        throttle::Admission::Admitted(attempt) => attempt,
        throttle::Admission::Refused { minutes } => {
            tracing::info!(address = address.unwrap_or("-"), minutes, "two-factor code refused: too many attempts");
            return Err(DomainError::Throttled { minutes });
        }
    };
    let signed_in = |summary: String| Record {
        actor_user_id: Some(user_id),
        ..Record::anonymous(&email, "auth.sign_in", object.clone()).summary(summary)
    };
    if !(user.passkey || is_enrolled(db, user_id).await?) {
        throttle::forget(db, &attempt).await?;
        return Err(DomainError::Unauthenticated);
    }
    let used = Record {
        actor_user_id: Some(user_id),
        ..Record::anonymous(&email, "mfa.recovery_code_used", object.clone())
            .summary(format!("signed in with a password and a recovery code{from}"))
    };
    let app_code = signed_in(format!("signed in with a password and an app code{from}"));
    let app = !(passkey_roles.contains(&user.role) && user.passkey);
    if consume_code(db, user_id, code, now, app.then_some(&app_code), &used).await? {
        throttle::forget(db, &attempt).await?;
        throttle::clear_account(db, &email).await?;
        return Ok(());
    }
    // The account exists and its password was right: every wrong code is recorded (at most
    // the limit per window), and the one that fills the window once more.
    let failed = Record::anonymous(&email, "auth.sign_in_failed", object.clone())
        .summary(format!("wrong or already used two-factor code{from}"));
    audit::record(db, failed).await?;
    if attempt.fills {
        audit::record(db, super::throttled(&email, &from)).await?;
    }
    Err(DomainError::invalid("code", "That code is not right, or was used already."))
}

/// Accepts a code from the user's active app (appending `app_audit`; `None`: no app code is
/// accepted) or one of their unused
/// recovery codes (appending `recovery_audit`; a user with passkeys and no app has them too);
/// false, with nothing written, for a wrong or already used code. Callers audit and count
/// failures.
pub(crate) async fn consume_code(
    db: &Db,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
    app_audit: Option<&Record>,
    recovery_audit: &Record,
) -> Result<bool> {
    let secret = match app_audit {
        Some(audit) => find_secret(db, user_id).await?.filter(|(_, confirmed)| *confirmed).map(|(s, _)| (s, audit)),
        None => None,
    };
    if let Some((secret, app_audit)) = secret {
        let bytes = totp::base32_decode(&secret).ok_or_else(|| DomainError::internal(BadSecret))?;
        if let Some(step) = totp::matching_step(&bytes, code, now.timestamp()) {
            return accept_step(db, user_id, step, app_audit).await;
        }
    }
    use_recovery_code(db, user_id, &hash_code(&normalize(code)), now, recovery_audit).await
}

#[derive(Debug, thiserror::Error)]
#[error("a stored TOTP secret is not base32")]
struct BadSecret;

/// A fresh set of recovery codes, to show once, and their hashes, to store.
pub(super) fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes = codes.iter().map(|c| hash_code(c)).collect();
    (codes, hashes)
}

/// A recovery code: 10 characters of an alphabet without look-alikes, shown as xxxxx-xxxxx.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// A recovery code as typed, made comparable: lower case, no spaces, one dash in the middle.
fn normalize(code: &str) -> String {
    let plain: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    if plain.len() == 10 {
        format!("{}-{}", &plain[..5], &plain[5..])
    } else {
        plain
    }
}

fn hash_code(code: &str) -> String {
    Sha256::digest(code.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// Storage.

async fn find_secret(db: &Db, user_id: i64) -> Result<Option<(String, bool)>> {
    let row: Option<(String, Option<DateTime<Utc>>)> = on_pool!(db, |pool| {
        sqlx::query_as("SELECT secret, confirmed_at FROM mfa_totp WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(secret, confirmed)| (secret, confirmed.is_some())))
}

async fn save_pending(db: &Db, user_id: i64, secret: &str, audit: &Record) -> Result<()> {
    let done: std::result::Result<(), sqlx::Error> = audited!(db, |tx| {
        sqlx::query(
            "INSERT INTO mfa_totp (user_id, secret, confirmed_at, last_step) VALUES ($1, $2, NULL, 0) \
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = NULL, last_step = 0",
        )
        .bind(user_id)
        .bind(secret)
        .execute(&mut *tx)
        .await?;
        tx.append(audit).await?;
    });
    Ok(done?)
}

async fn save_confirmed(
    db: &Db,
    user_id: i64,
    step: i64,
    hashes: &[String],
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<()> {
    let done: std::result::Result<(), sqlx::Error> = audited!(db, |tx| {
        sqlx::query("UPDATE mfa_totp SET confirmed_at = $1, last_step = $2 WHERE user_id = $3")
            .bind(now)
            .bind(step)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        for hash in hashes {
            sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.append(audit).await?;
    });
    Ok(done?)
}

/// Accepts `step` when it is later than the last accepted one (so a code works once).
async fn accept_step(db: &Db, user_id: i64, step: i64, audit: &Record) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE mfa_totp SET last_step = $1 WHERE user_id = $2 AND last_step < $1 AND confirmed_at IS NOT NULL"
        )
        .bind(step)
        .bind(user_id)
    );
    Ok(done?)
}

/// Marks an unused recovery code used; false when there is none with this hash.
async fn use_recovery_code(db: &Db, user_id: i64, hash: &str, now: DateTime<Utc>, audit: &Record) -> Result<bool> {
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
        )
        .bind(now)
        .bind(user_id)
        .bind(hash)
    );
    Ok(done?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_inline_svg_of_rectangles_and_a_path() {
        let svg = qr_svg("otpauth://totp/Rampart%3Aada%40example.test?secret=JBSWY3DPEHPK3PXP&issuer=Rampart");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<?xml") && !svg.contains("<script") && !svg.contains("style="), "{svg}");
        assert!(svg.contains("<path"), "{svg}");
        assert_eq!(qr_svg(&"x".repeat(8000)), "", "too long for a QR code");
    }

    #[test]
    fn recovery_codes_are_random_and_typed_any_way() {
        let a = recovery_code();
        assert_eq!(a.len(), 11);
        assert_ne!(a, recovery_code());
        assert_eq!(normalize(&a.to_uppercase().replace('-', " ")), a);
        assert_eq!(hash_code(&a).len(), 64);
    }
}
