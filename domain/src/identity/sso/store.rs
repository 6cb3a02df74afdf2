//! Storage of the SSO settings, identities and sign-ins under way. Callers authorize and audit;
//! see `mod.rs`.

use super::model::SsoSettings;
use crate::audit::store::audited;
use crate::audit::Record;
use crate::authz::Role;
use crate::db::unique::{USER_EMAIL, USER_IDENTITY};
use crate::db::BeginWrite;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct SettingsRow {
    enabled: bool,
    display_name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    allowed_domains: String,
    role_claim: String,
    role_mapping: String,
    jit_enabled: bool,
    jit_role: String,
    trust_provider_mfa: bool,
    version: i64,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

#[derive(Debug, thiserror::Error)]
#[error("stored SSO settings do not parse: {0}")]
struct BadSettings(String);

impl TryFrom<SettingsRow> for SsoSettings {
    type Error = DomainError;

    fn try_from(row: SettingsRow) -> Result<SsoSettings> {
        let bad = |what: &str| DomainError::internal(BadSettings(what.to_owned()));
        let role = |text: &str| Role::parse(text).ok_or_else(|| bad(text));
        let mut mapping = Vec::new();
        for line in row.role_mapping.lines().filter(|l| !l.is_empty()) {
            let (value, r) = line.rsplit_once('\t').ok_or_else(|| bad("role mapping"))?;
            mapping.push((value.to_owned(), role(r)?));
        }
        Ok(SsoSettings {
            enabled: row.enabled,
            display_name: row.display_name,
            issuer: row.issuer,
            client_id: row.client_id,
            client_secret: row.client_secret,
            allowed_domains: row.allowed_domains.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect(),
            role_claim: row.role_claim,
            role_mapping: mapping,
            jit_enabled: row.jit_enabled,
            jit_role: role(&row.jit_role)?,
            trust_provider_mfa: row.trust_provider_mfa,
            version: row.version,
            updated: Some((row.updated_at, row.updated_by)),
        })
    }
}

pub async fn load_settings(db: &Db) -> Result<Option<SsoSettings>> {
    let row: Option<SettingsRow> = on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT enabled, display_name, issuer, client_id, client_secret, allowed_domains, role_claim, \
             role_mapping, jit_enabled, jit_role, trust_provider_mfa, version, updated_at, updated_by \
             FROM sso_settings WHERE id = 1",
        )
        .fetch_optional(pool)
        .await?
    });
    row.map(SsoSettings::try_from).transpose()
}

/// Saves the settings if the stored version is still `settings.version` (0: none stored);
/// false (nothing written) when someone saved in between.
pub async fn save_settings(
    db: &Db,
    settings: &SsoSettings,
    by: &str,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<bool> {
    let mapping: String =
        settings.role_mapping.iter().map(|(value, role)| format!("{value}\t{}\n", role.as_str())).collect();
    let domains = settings.allowed_domains.join(",");
    let done: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let changed = if settings.version == 0 {
            sqlx::query(
                "INSERT INTO sso_settings (id, enabled, display_name, issuer, client_id, client_secret, \
                 allowed_domains, role_claim, role_mapping, jit_enabled, jit_role, trust_provider_mfa, version, \
                 updated_at, updated_by) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) \
                 ON CONFLICT (id) DO NOTHING",
            )
        } else {
            sqlx::query(
                "UPDATE sso_settings SET enabled = $1, display_name = $2, issuer = $3, client_id = $4, \
                 client_secret = $5, allowed_domains = $6, role_claim = $7, role_mapping = $8, jit_enabled = $9, \
                 jit_role = $10, trust_provider_mfa = $11, version = version + 1, updated_at = $12, \
                 updated_by = $13 WHERE id = 1 AND version = $14",
            )
        }
        .bind(settings.enabled)
        .bind(&settings.display_name)
        .bind(&settings.issuer)
        .bind(&settings.client_id)
        .bind(&settings.client_secret)
        .bind(&domains)
        .bind(&settings.role_claim)
        .bind(&mapping)
        .bind(settings.jit_enabled)
        .bind(settings.jit_role.as_str())
        .bind(settings.trust_provider_mfa)
        .bind(now)
        .bind(by)
        .bind(settings.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Ok(false);
        }
        tx.append(audit).await?;
        true
    });
    Ok(done?)
}

/// A sign-in under way, as stored.
pub struct Login {
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_uri: String,
    pub next_path: Option<String>,
    pub created_at: i64,
    /// Started to confirm who one is (step-up), not to sign in.
    pub confirming: bool,
}

/// Stores a sign-in under way, and forgets those older than `expired_before` (Unix seconds).
pub async fn insert_login(db: &Db, state_hash: &str, login: &Login, expired_before: i64) -> Result<()> {
    let done: std::result::Result<(), sqlx::Error> = on_pool!(db, |pool| {
        async {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM sso_logins WHERE created_at < $1").bind(expired_before).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO sso_logins (state_hash, browser_hash, nonce, pkce_verifier, redirect_uri, next_path, \
                 created_at, confirming) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(state_hash)
            .bind(&login.browser_hash)
            .bind(&login.nonce)
            .bind(&login.pkce_verifier)
            .bind(&login.redirect_uri)
            .bind(&login.next_path)
            .bind(login.created_at)
            .bind(login.confirming)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        .await
    });
    Ok(done?)
}

/// Takes (reads and deletes, so that it is used once) the sign-in with this state.
pub async fn take_login(db: &Db, state_hash: &str) -> Result<Option<Login>> {
    type Row = (String, String, String, String, Option<String>, i64, bool);
    let row: Option<Row> = on_pool!(db, |pool| {
        sqlx::query_as(
            "DELETE FROM sso_logins WHERE state_hash = $1 \
             RETURNING browser_hash, nonce, pkce_verifier, redirect_uri, next_path, created_at, confirming",
        )
        .bind(state_hash)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|(browser_hash, nonce, pkce_verifier, redirect_uri, next_path, created_at, confirming)| Login {
        browser_hash,
        nonce,
        pkce_verifier,
        redirect_uri,
        next_path,
        created_at,
        confirming,
    }))
}

/// The user linked to an identity at a provider.
pub async fn find_identity(db: &Db, issuer: &str, subject: &str) -> Result<Option<i64>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(pool)
            .await?
    }))
}

/// Who signs in: a known user, or one to create now (just in time).
pub enum Who<'a> {
    Existing(i64),
    New { email: &'a str, display_name: &'a str, role: Role },
}

/// What a successful single sign-on writes, in one transaction with its audit entries: the
/// user (created if new), the identity link (created, or its last sign-in moved), a role the
/// provider's claim changed (ending the user's other sessions, on every server), and the audit
/// entries.
pub struct SignInWrite<'a> {
    pub who: Who<'a>,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: &'a str,
    pub new_role: Option<Role>,
    pub now: DateTime<Utc>,
}

/// `audits` gives the entries to append once the user's id is known.
/// Writes a single sign-on: the user (new or existing), the identity link, the role the claim
/// gives (never demoting the last active admin: checked in this transaction, which holds the
/// audit chain's lock like every audited write, so that two sign-ins cannot both demote), and
/// the entries `audits` makes for the user and the role applied.
pub async fn write_sign_in(
    db: &Db,
    write: &SignInWrite<'_>,
    audits: impl Fn(i64, Option<Role>) -> Vec<Record>,
) -> Result<i64> {
    let done: std::result::Result<i64, sqlx::Error> = audited!(db, |tx| {
        let user_id: i64 =
            match &write.who {
                Who::Existing(id) => *id,
                Who::New { email, display_name, role } => sqlx::query_scalar(
                    "INSERT INTO users (email, display_name, password_hash, role, client_id, all_clients, created_at) \
                     VALUES ($1, $2, NULL, $3, NULL, TRUE, $4) RETURNING id",
                )
                .bind(*email)
                .bind(*display_name)
                .bind(role.as_str())
                .bind(write.now)
                .fetch_one(&mut *tx)
                .await?,
            };
        let moved = sqlx::query(
            "UPDATE user_identities SET last_sign_in_at = $1, email = $2 WHERE issuer = $3 AND subject = $4",
        )
        .bind(write.now)
        .bind(write.email)
        .bind(write.issuer)
        .bind(write.subject)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            sqlx::query(
                "INSERT INTO user_identities (user_id, issuer, subject, email, created_at, last_sign_in_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(user_id)
            .bind(write.issuer)
            .bind(write.subject)
            .bind(write.email)
            .bind(write.now)
            .execute(&mut *tx)
            .await?;
        }
        let mut applied = None;
        if let Some(role) = write.new_role {
            let changed = sqlx::query(
                "UPDATE users SET role = $1 WHERE id = $2 AND (role <> 'admin' OR EXISTS \
                 (SELECT 1 FROM users o WHERE o.role = 'admin' AND o.disabled_at IS NULL AND o.id <> $2))",
            )
            .bind(role.as_str())
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 1 {
                applied = Some(role);
                // A changed role ends the user's sessions; this sign-in starts a new one.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            }
        }
        for audit in audits(user_id, applied) {
            tx.append(&audit).await?;
        }
        user_id
    });
    done.map_err(|e| {
        if [USER_IDENTITY, USER_EMAIL].iter().any(|u| u.is_violated_by(&e)) {
            DomainError::conflict(
                None,
                "This account was linked or created at the same time by another sign-in; sign in again.",
            )
        } else {
            e.into()
        }
    })
}

/// Every identity linked to a user (issuer, subject), for the command line and tests.
pub async fn list_identities(db: &Db, user_id: i64) -> Result<Vec<(String, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as("SELECT issuer, subject FROM user_identities WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(pool)
            .await?
    }))
}
