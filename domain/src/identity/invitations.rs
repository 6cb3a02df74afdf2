//! Invitations: an account made by the person it is for, through a link that expires.
//!
//! The inviter names the e-mail address, the role and the clients (a client viewer's one
//! client, a technician's clients); Rampart answers a link `/invite/{token}` for the inviter to
//! send (Rampart sends no e-mail). The invitee opens it, chooses their name and password, and
//! the account exists from then on, with exactly what the invitation said.
//!
//! Invariants:
//! - The token is 256 random bits; only its SHA-256 is stored, so the table opens no account.
//! - An invitation works once, until it expires ([`validity`], 7 days unless
//!   `RAMPART_INVITATION_DAYS` says otherwise), unless revoked. An unknown, expired, used or
//!   revoked token all get the same answer ([`INVALID`]), so a link says nothing about others.
//! - One pending invitation per e-mail address, and none for an address that has an account.
//! - Creating, revoking and accepting are audited in the transaction that writes them;
//!   accepting marks the invitation used in the transaction that creates the user, so two
//!   tabs cannot both use it.
//!
//! Who may: admins invite anyone (an admin only after a recent step-up, which the web layer
//! asks for); managers invite client viewers, for any client, and see and revoke those
//! invitations only. Accepting needs no account: the token is the authority.

use super::admin::{self, Placement};
use super::model::{self, Email};
use super::{hash_password, store as users};
use crate::audit::store::{audited, audited_one};
use crate::audit::Record;
use crate::authz::{Actor, Permission, Role};
use crate::clients;
use crate::db::unique::USER_EMAIL;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use crate::on_pool;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// How long an invitation is valid unless configured otherwise.
pub const DEFAULT_VALIDITY_DAYS: i64 = 7;
/// The same words for every link that cannot be used, whatever the reason.
pub const INVALID: &str = "This invitation link cannot be used: it has expired, was used or revoked, or is \
                           incomplete. Ask the person who invited you for a new one.";

static VALIDITY_DAYS: OnceLock<i64> = OnceLock::new();

/// Sets how many days an invitation is valid (`RAMPART_INVITATION_DAYS`; once per process).
pub fn set_validity_days(days: i64) {
    let _ = VALIDITY_DAYS.set(days);
}

/// How long a new invitation is valid.
pub fn validity() -> Duration {
    Duration::days(VALIDITY_DAYS.get().copied().unwrap_or(DEFAULT_VALIDITY_DAYS))
}

/// An invitation as asked for.
#[derive(Debug, Clone, Default)]
pub struct NewInvitation {
    pub email: String,
    pub role: String,
    /// Client slugs: a client viewer's one client, or a technician's clients (none: every one).
    pub clients: Vec<String>,
}

/// A new invitation and its token, which is shown this once and never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    pub id: i64,
    pub email: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Created {
    /// The path of the link to send.
    pub fn path(&self) -> String {
        format!("/invite/{}", self.token)
    }
}

/// A pending invitation, as the users page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub clients: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What the invitee sees before accepting.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub email: String,
    pub role: Role,
    /// A client viewer's client, by name.
    pub client_name: Option<String>,
}

fn hash_token(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid() -> DomainError {
    DomainError::conflict(None, INVALID)
}

/// Invites someone. See the module's rules.
pub async fn create_invitation(db: &Db, actor: &Actor, new: &NewInvitation, now: DateTime<Utc>) -> Result<Created> {
    actor.require(Permission::InviteClientViewers)?;
    if let Some(role) = Role::parse(&new.role) {
        admin::require_may_give(actor, role, now)?;
    }
    let mut errors = Vec::new();
    let email = Email::parse(&new.email).map_err(|m| errors.push(FieldError::new("email", m))).ok();
    let placement = admin::place(db, actor, &new.role, &new.clients, &mut errors).await?;
    let (Some(email), Some(placement)) = (email, placement.filter(|_| errors.is_empty())) else {
        return Err(DomainError::Validation(errors));
    };
    if users::find_credentials(db, email.as_str()).await?.is_some() {
        return Err(DomainError::conflict(Some("email"), format!("{} already has an account.", email.as_str())));
    }
    let token = new_token();
    let expires_at = now + validity();
    let Placement { role, client_id, assigned, described } = placement;
    let client_ids: Vec<i64> = client_id.into_iter().chain(assigned).collect();
    let mut audit = Record::by(actor, "invitation.create", format!("invitation:{}", email.as_str())).summary(format!(
        "invited {} as {}, {}; the link expires {}",
        email.as_str(),
        role.as_str(),
        described,
        expires_at.format("%Y-%m-%d %H:%M UTC")
    ));
    if let (Role::ClientViewer, Some(id)) = (role, client_id) {
        audit = audit.client(id);
    }
    let hash = hash_token(&token);
    let inserted: std::result::Result<Option<i64>, sqlx::Error> = audited!(db, |tx| {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM invitations WHERE email = $1 AND used_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(email.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if pending > 0 {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO invitations (email, role, token_hash, created_by, created_by_label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(&hash)
        .bind(actor.user_id)
        .bind(&actor.email)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        for client_id in &client_ids {
            sqlx::query("INSERT INTO invitation_clients (invitation_id, client_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.append(&audit).await?;
        Some(id)
    });
    match inserted? {
        Some(id) => Ok(Created { id, email: email.as_str().to_owned(), token, expires_at }),
        None => Err(DomainError::conflict(
            Some("email"),
            format!("{} has a pending invitation already; revoke it first to send a new one.", email.as_str()),
        )),
    }
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: i64,
    email: String,
    role: String,
    created_by_label: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, email, role, created_by_label, created_at, expires_at, used_at, revoked_at";

impl InvitationRow {
    fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }

    fn role(&self) -> Result<Role> {
        Role::parse(&self.role).ok_or_else(|| DomainError::internal(UnknownRole(self.role.clone())))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role in an invitation: {0}")]
struct UnknownRole(String);

/// (id, slug, name) of an invitation's clients.
async fn clients_of(db: &Db, invitation_id: i64) -> Result<Vec<(i64, String, String)>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT c.id, c.slug, c.name FROM invitation_clients i JOIN clients c ON c.id = i.client_id \
             WHERE i.invitation_id = $1 ORDER BY c.slug",
        )
        .bind(invitation_id)
        .fetch_all(pool)
        .await?
    }))
}

/// Pending invitations (not used, revoked nor expired), newest first: all of them for admins,
/// those of client viewers for managers.
pub async fn list_pending(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<Invitation>> {
    actor.require(Permission::InviteClientViewers)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
         ORDER BY id DESC"
    );
    let rows: Vec<InvitationRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(now).fetch_all(pool).await?);
    let mut out = Vec::new();
    for row in rows {
        let role = row.role()?;
        if !admin::may_give(actor, role) {
            continue;
        }
        let clients = clients_of(db, row.id).await?.into_iter().map(|(_, slug, _)| slug).collect();
        out.push(Invitation {
            id: row.id,
            email: row.email,
            role,
            clients,
            created_by: row.created_by_label,
            created_at: row.created_at,
            expires_at: row.expires_at,
        });
    }
    Ok(out)
}

/// Revokes a pending invitation: its link stops working. An invitation the actor may not
/// manage is not found, like a missing one.
pub async fn revoke_invitation(db: &Db, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::InviteClientViewers)?;
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    let row: Option<InvitationRow> = on_pool!(db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
    let row = row.ok_or(DomainError::NotFound)?;
    if !admin::may_give(actor, row.role()?) {
        return Err(DomainError::NotFound);
    }
    if !row.is_open(now) {
        return Err(DomainError::conflict(None, "This invitation was used, revoked or has expired already."));
    }
    let audit = Record::by(actor, "invitation.revoke", format!("invitation:{}", row.email))
        .summary(format!("revoked the invitation of {} as {}", row.email, row.role));
    let done: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        &audit,
        sqlx::query("UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
    );
    if done? {
        Ok(())
    } else {
        Err(DomainError::conflict(None, "This invitation was used or revoked already."))
    }
}

async fn find_open(db: &Db, token: &str, now: DateTime<Utc>) -> Result<InvitationRow> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(invalid());
    }
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1");
    let row: Option<InvitationRow> =
        on_pool!(db, |pool| sqlx::query_as(&sql).bind(hash_token(token)).fetch_optional(pool).await?);
    row.filter(|r| r.is_open(now)).ok_or_else(invalid)
}

/// What an invitation link offers, for its page; [`INVALID`] (a conflict) for any link that
/// cannot be used.
pub async fn open_invitation(db: &Db, token: &str, now: DateTime<Utc>) -> Result<Opened> {
    let row = find_open(db, token, now).await?;
    let role = row.role()?;
    let client_name = match role {
        Role::ClientViewer => clients_of(db, row.id).await?.into_iter().next().map(|(_, _, name)| name),
        _ => None,
    };
    Ok(Opened { email: row.email, role, client_name })
}

/// Creates the invitee's account with their name and password and uses up the invitation, in
/// one transaction; answers the new user's id (to sign them in).
pub async fn accept_invitation(
    db: &Db,
    token: &str,
    display_name: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row = find_open(db, token, now).await?;
    let role = row.role()?;
    let email = Email::parse(&row.email).map_err(|_| invalid())?;
    let mut errors = Vec::new();
    let display_name = clients::model::clean_line(display_name);
    if display_name.is_empty() || display_name.chars().count() > 120 {
        errors.push(FieldError::new("display_name", "Enter a name of 1 to 120 characters."));
    }
    if let Err(m) = model::check_password_policy(password, &email) {
        errors.push(FieldError::new("password", m));
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let client_ids: Vec<i64> = clients_of(db, row.id).await?.into_iter().map(|(id, _, _)| id).collect();
    let (client_id, assigned) = match role {
        Role::ClientViewer => (client_ids.first().copied(), Vec::new()),
        Role::Technician => (None, client_ids),
        _ => (None, Vec::new()),
    };
    let password_hash = hash_password(password).await?;
    let mut audit =
        Record::anonymous(email.as_str(), "invitation.accept", format!("user:{}", email.as_str())).summary(format!(
            "accepted the invitation of {} as {} and set a password; account “{display_name}” created",
            row.created_by_label,
            role.as_str()
        ));
    if let Some(id) = client_id {
        audit = audit.client(id);
    }
    let invitation_id = row.id;
    let all_clients = assigned.is_empty();
    let created: std::result::Result<Option<i64>, sqlx::Error> = audited!(db, |tx| {
        let used = sqlx::query(
            "UPDATE invitations SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $1",
        )
        .bind(now)
        .bind(invitation_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used != 1 {
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, password_hash, role, client_id, all_clients, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(email.as_str())
        .bind(&display_name)
        .bind(&password_hash)
        .bind(role.as_str())
        .bind(client_id)
        .bind(all_clients)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for client in &assigned {
            sqlx::query("INSERT INTO user_clients (user_id, client_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*client)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE invitations SET user_id = $1 WHERE id = $2")
            .bind(id)
            .bind(invitation_id)
            .execute(&mut *tx)
            .await?;
        let audit = Record { actor_user_id: Some(id), ..audit.clone() };
        tx.append(&audit).await?;
        Some(id)
    });
    match created {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(invalid()),
        Err(e) if USER_EMAIL.is_violated_by(&e) => {
            Err(DomainError::conflict(None, format!("{} has an account already; sign in instead.", email.as_str())))
        }
        Err(e) => Err(e.into()),
    }
}
