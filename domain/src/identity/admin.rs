//! Administering people: the users list, roles, client assignments, disabling and enabling.
//! (Adding users is `super::add_user`, inviting them `super::invitations`, resetting their
//! two-factor app `super::mfa::reset`.)
//!
//! Invariants:
//! - Nobody changes their own role, clients or state: no self-raise, and no admin locks
//!   themselves out. Another admin (or the command line) does it.
//! - The last active admin is never demoted nor disabled (checked inside the change's
//!   transaction, see `store::apply_change`).
//! - A client viewer belongs to exactly one client; a technician to the clients named, or every
//!   client when none is; admins, managers and auditors to none.
//! - A change of role or clients, and disabling, end every session of that user in the same
//!   transaction. Rights are read from the database at every request anyway, so a stale session
//!   could not keep old rights; ending it also drops its step-up and any page that still shows
//!   the old role, and the user signs in again with a new session id.
//! - Every change is audited in its own transaction; a refused change writes nothing.
//!
//! Who may: admins (and the command line) change anyone else. Managers add and invite client
//! viewers only (for any client), and see the client viewers and their invitations; auditors
//! read the list.

use super::model::User;
use super::store::{self, Applied, Change};
use crate::audit::Record;
use crate::authz::{Actor, Permission, Role};
use crate::clients;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, Utc};

/// A user as the users page lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub user: User,
    pub mfa_enrolled: bool,
    pub last_sign_in: Option<DateTime<Utc>>,
}

/// Everyone, for admins and auditors; the client viewers, for managers.
pub async fn list_people(db: &Db, actor: &Actor) -> Result<Vec<Person>> {
    actor.require(Permission::ViewUsers)?;
    let everyone = actor.can(Permission::ManageUsers) || actor.role == Role::Auditor;
    let last = store::last_sign_ins(db).await?;
    Ok(store::list_users(db)
        .await?
        .into_iter()
        .filter(|u| everyone || u.role == Role::ClientViewer)
        .map(|user| Person {
            mfa_enrolled: user.two_factor,
            last_sign_in: last.iter().find(|(id, _)| *id == user.id).map(|(_, at)| *at),
            user,
        })
        .collect())
}

/// Whether the actor may give someone `role` (and so see and revoke such invitations): admins
/// any role, managers client viewers.
pub(crate) fn may_give(actor: &Actor, role: Role) -> bool {
    actor.can(Permission::InviteClientViewers) && (role == Role::ClientViewer || actor.can(Permission::ManageUsers))
}

/// Refuses unless the actor may give someone `role`: admins any role, managers client viewers.
/// Giving anyone a staff role (every role but client viewer) is sensitive: it needs a recent
/// confirmation.
pub(crate) fn require_may_give(actor: &Actor, role: Role, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::InviteClientViewers)?;
    if role == Role::ClientViewer {
        return Ok(());
    }
    actor.require(Permission::ManageUsers)?;
    actor.require_recent_confirmation(now)
}

/// A role with its clients, checked: (role, a client viewer's client, a technician's clients,
/// the clients in words for the log).
pub(crate) struct Placement {
    pub role: Role,
    pub client_id: Option<i64>,
    pub assigned: Vec<i64>,
    pub described: String,
}

/// Reads a role and client slugs as typed; field errors are added to `errors`.
pub(crate) async fn place(
    db: &Db,
    actor: &Actor,
    role: &str,
    slugs: &[String],
    errors: &mut Vec<FieldError>,
) -> Result<Option<Placement>> {
    let role = Role::parse(role);
    if role.is_none() {
        errors.push(FieldError::new("role", "Choose admin, manager, technician, auditor or client_viewer."));
    }
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for slug in slugs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match clients::get_client(db, actor, slug).await {
            Ok(client) if !ids.contains(&client.id) => {
                ids.push(client.id);
                names.push(client.slug);
            }
            Ok(_) => {}
            Err(DomainError::NotFound) => {
                errors.push(FieldError::new("clients", format!("No client has the slug “{slug}”.")))
            }
            Err(other) => return Err(other),
        }
    }
    let Some(role) = role else { return Ok(None) };
    match role {
        Role::ClientViewer if ids.len() != 1 => {
            errors.push(FieldError::new("clients", "A client viewer belongs to exactly one client."));
        }
        Role::Admin | Role::Manager | Role::Auditor if !ids.is_empty() => {
            errors.push(FieldError::new("clients", "Only technicians and client viewers are tied to clients."));
        }
        _ => {}
    }
    let described = match role {
        Role::Technician if ids.is_empty() => "every client".to_string(),
        _ if ids.is_empty() => "no client".to_string(),
        _ => names.join(", "),
    };
    let (client_id, assigned) = match role {
        Role::ClientViewer => (ids.first().copied(), Vec::new()),
        Role::Technician => (None, ids),
        _ => (None, Vec::new()),
    };
    Ok(Some(Placement { role, client_id, assigned, described }))
}

/// The user with this email, for a change by `actor`: not found when unknown, and a conflict
/// when it is the actor themselves.
async fn target(db: &Db, actor: &Actor, email: &str, what: &str) -> Result<User> {
    let email = email.trim().to_lowercase();
    let credentials = store::find_credentials(db, &email).await?.ok_or(DomainError::NotFound)?;
    if actor.user_id == Some(credentials.user_id) {
        return Err(DomainError::conflict(None, format!("You cannot change your own {what}; ask another admin.")));
    }
    store::find_user(db, credentials.user_id).await?.map(|(user, _)| user).ok_or(DomainError::NotFound)
}

fn clients_of(user: &User) -> String {
    match (user.role, &user.client_slug) {
        (_, Some(slug)) => slug.clone(),
        (Role::Technician, None) if user.assigned.is_empty() => "every client".into(),
        (Role::Technician, None) => user.assigned.join(", "),
        _ => "no client".into(),
    }
}

async fn apply(db: &Db, user: &User, change: Change<'_>, audit: Record) -> Result<()> {
    match store::apply_change(db, user.id, &change, &audit).await? {
        Applied::Done => Ok(()),
        Applied::Missing => Err(DomainError::NotFound),
        Applied::LastAdmin => {
            Err(DomainError::conflict(None, "This is the last active admin; make someone else an admin first."))
        }
    }
}

/// Gives a user another role, with the clients the role needs (a client viewer's one client, a
/// technician's clients or none for every client). Admins only; never one's own; the last
/// active admin stays an admin. The user's sessions end.
pub async fn change_role(
    db: &Db,
    actor: &Actor,
    email: &str,
    role: &str,
    clients: &[String],
    now: DateTime<Utc>,
) -> Result<User> {
    actor.require(Permission::ManageUsers)?;
    actor.require_recent_confirmation(now)?;
    let user = target(db, actor, email, "role").await?;
    let mut errors = Vec::new();
    let placement = place(db, actor, role, clients, &mut errors).await?;
    let Some(placement) = placement.filter(|_| errors.is_empty()) else { return Err(DomainError::Validation(errors)) };
    let audit = Record::by(actor, "user.role_change", format!("user:{}", user.email)).summary(format!(
        "role: “{}” ({}) → “{}” ({}); their sessions end",
        user.role.as_str(),
        clients_of(&user),
        placement.role.as_str(),
        placement.described
    ));
    let change = Change::Role { role: placement.role, client_id: placement.client_id, assigned: &placement.assigned };
    apply(db, &user, change, audit).await?;
    store::find_user(db, user.id).await?.map(|(user, _)| user).ok_or(DomainError::NotFound)
}

/// Sets the clients of a technician (none: every client) or the one client of a client viewer,
/// keeping the role. Admins only; the user's sessions end.
pub async fn assign_clients(
    db: &Db,
    actor: &Actor,
    email: &str,
    clients: &[String],
    now: DateTime<Utc>,
) -> Result<User> {
    actor.require(Permission::ManageUsers)?;
    actor.require_recent_confirmation(now)?;
    let user = target(db, actor, email, "clients").await?;
    if !matches!(user.role, Role::Technician | Role::ClientViewer) {
        return Err(DomainError::invalid("clients", "Only technicians and client viewers are tied to clients."));
    }
    let mut errors = Vec::new();
    let placement = place(db, actor, user.role.as_str(), clients, &mut errors).await?;
    let Some(placement) = placement.filter(|_| errors.is_empty()) else { return Err(DomainError::Validation(errors)) };
    let audit = Record::by(actor, "user.clients_change", format!("user:{}", user.email)).summary(format!(
        "clients: {} → {}; their sessions end",
        clients_of(&user),
        placement.described
    ));
    let change = Change::Role { role: placement.role, client_id: placement.client_id, assigned: &placement.assigned };
    apply(db, &user, change, audit).await?;
    store::find_user(db, user.id).await?.map(|(user, _)| user).ok_or(DomainError::NotFound)
}

/// Disables a user: their sessions end at once and they cannot sign in. Admins only, after a
/// recent confirmation (so are role and client changes, and enabling); never
/// oneself; never the last active admin. Disabling a disabled user changes nothing.
pub async fn disable_user(db: &Db, actor: &Actor, email: &str, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::ManageUsers)?;
    actor.require_recent_confirmation(now)?;
    let user = target(db, actor, email, "account's state").await?;
    if user.disabled_at.is_some() {
        return Ok(());
    }
    let audit = Record::by(actor, "user.disable", format!("user:{}", user.email)).summary(format!(
        "disabled {} ({}): their sessions end",
        user.display_name,
        user.role.as_str()
    ));
    apply(db, &user, Change::Disable(now), audit).await
}

/// Enables a disabled user again. Admins only. Enabling an active user changes nothing.
pub async fn enable_user(db: &Db, actor: &Actor, email: &str, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::ManageUsers)?;
    actor.require_recent_confirmation(now)?;
    let user = target(db, actor, email, "account's state").await?;
    if user.disabled_at.is_none() {
        return Ok(());
    }
    let audit = Record::by(actor, "user.enable", format!("user:{}", user.email)).summary("enabled again");
    apply(db, &user, Change::Enable, audit).await
}

/// Every active client as (slug, name), to choose from when placing people (those who may
/// place people see every client).
pub async fn client_choices(db: &Db, actor: &Actor) -> Result<Vec<(String, String)>> {
    actor.require(Permission::InviteClientViewers)?;
    Ok(crate::on_pool!(db, |pool| {
        sqlx::query_as("SELECT slug, name FROM clients WHERE archived_at IS NULL ORDER BY name").fetch_all(pool).await?
    }))
}
