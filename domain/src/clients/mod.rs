//! Clients: the organisations an MSP manages.
//!
//! Invariants:
//! - A client is never deleted; it is archived (and can be restored), so history stays whole.
//! - The slug is fixed at creation: it is the client's address in every link.
//! - Every update names the version it was based on; a stale update is a conflict, never a
//!   silent overwrite.
//!
//! Who may do what (see [`crate::authz`]): admins and managers create, edit and archive; every
//! role but the client viewer sees the portfolio; technicians see their assigned clients (or
//! all, when unrestricted); a client viewer sees only their own client, without internal notes.
//! A client outside the actor's scope is reported as not found.

pub mod model;
pub(crate) mod store;

pub use model::{Client, ClientCounts, ClientFilter, ClientInput, ClientPage, ClientSort, ImpactTier, Slug};
pub use store::Visibility;

use crate::audit::{Diff, Record};
use crate::authz::{Actor, ClientScope, Permission, Role};
use crate::db::Db;
use crate::error::{DomainError, Result};
use chrono::{DateTime, Utc};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;
const MAX_SEARCH: usize = 100;

/// How the actor's scope narrows a list query.
pub(crate) fn visibility(actor: &Actor) -> Visibility {
    match actor.visible_client_ids() {
        None => Visibility::All,
        Some(_) if actor.role == Role::ClientViewer => match actor.client_id {
            Some(id) => Visibility::OnlyClient(id),
            None => Visibility::Nothing,
        },
        Some(_) => match (actor.user_id, &actor.scope) {
            (Some(user), ClientScope::Only(_)) => Visibility::AssignedTo(user),
            _ => Visibility::Nothing,
        },
    }
}

/// Removes what the actor may not see from a client they may see.
fn project(actor: &Actor, mut client: Client) -> Client {
    if !actor.can_on_client(Permission::ViewClientNotes, client.id) {
        client.notes.clear();
    }
    client
}

pub async fn list_clients(db: &Db, actor: &Actor, mut filter: ClientFilter) -> Result<ClientPage> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    actor.require(Permission::ViewClient)?;
    filter.search = filter.search.map(|s| model::clean_line(&s)).filter(|s| !s.is_empty());
    if filter.search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH) {
        return Err(DomainError::invalid("q", format!("Search for at most {MAX_SEARCH} characters.")));
    }
    filter.tag = filter.tag.map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty());
    filter.page = filter.page.max(1);
    filter.per_page = match filter.per_page {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let (items, total) = store::list_clients(db, &filter, visibility(actor)).await?;
    let items = items.into_iter().map(|c| project(actor, c)).collect();
    Ok(ClientPage { items, total, page: filter.page, per_page: filter.per_page })
}

/// The client with this slug, if the actor may see it; otherwise not found.
pub async fn get_client(db: &Db, actor: &Actor, slug: &str) -> Result<Client> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let client = store::find_client_by_slug(db, slug).await?.ok_or(DomainError::NotFound)?;
    actor.require_on_client(Permission::ViewClient, client.id)?;
    Ok(project(actor, client))
}

pub async fn create_client(db: &Db, actor: &Actor, input: &ClientInput, now: DateTime<Utc>) -> Result<Client> {
    actor.require(Permission::CreateClient)?;
    let valid = input.parse()?;
    let summary = format!(
        "created “{}”, {} tier{}",
        valid.name,
        valid.impact_tier.as_str(),
        if valid.tags.is_empty() { String::new() } else { format!(", tags {}", valid.tags.join(", ")) }
    );
    let audit = Record::by(actor, "client.create", format!("client:{}", valid.slug.as_str())).summary(summary);
    store::insert_client(db, &valid, now, audit).await?;
    get_client(db, actor, valid.slug.as_str()).await
}

/// Updates a client from the version the editor started with.
pub async fn update_client(
    db: &Db,
    actor: &Actor,
    slug: &str,
    version: i64,
    input: &ClientInput,
    now: DateTime<Utc>,
) -> Result<Client> {
    let current = store::find_client_by_slug(db, slug).await?.ok_or(DomainError::NotFound)?;
    actor.require_on_client(Permission::EditClient, current.id)?;
    if current.archived_at.is_some() {
        return Err(DomainError::conflict(None, "This client is archived. Restore it before editing."));
    }
    // The slug is permanent; validate the rest against it.
    let input = ClientInput { slug: current.slug.clone(), ..input.clone() };
    let valid = input.parse()?;
    let summary = Diff::new()
        .field("name", &current.name, &valid.name)
        .field("impact tier", current.impact_tier.as_str(), valid.impact_tier.as_str())
        .field("sector", &current.sector, &valid.sector)
        .field("tags", &current.tags.join(", "), &valid.tags.join(", "))
        .field("contact name", &current.contact_name, &valid.contact_name)
        .field("contact email", &current.contact_email, &valid.contact_email)
        .hidden("internal notes", &current.notes, &valid.notes)
        .finish();
    let audit = Record::by(actor, "client.update", format!("client:{slug}")).client(current.id).summary(summary);
    if !store::update_client(db, current.id, version, &valid, now, &audit).await? {
        return Err(DomainError::conflict(
            None,
            "Someone else changed this client after you opened it. Reload the page to see their changes, then edit again.",
        ));
    }
    get_client(db, actor, slug).await
}

pub async fn archive_client(db: &Db, actor: &Actor, slug: &str, now: DateTime<Utc>) -> Result<Client> {
    set_archived(db, actor, slug, true, now).await
}

pub async fn restore_client(db: &Db, actor: &Actor, slug: &str, now: DateTime<Utc>) -> Result<Client> {
    set_archived(db, actor, slug, false, now).await
}

async fn set_archived(db: &Db, actor: &Actor, slug: &str, archived: bool, now: DateTime<Utc>) -> Result<Client> {
    let current = store::find_client_by_slug(db, slug).await?.ok_or(DomainError::NotFound)?;
    actor.require_on_client(Permission::ArchiveClient, current.id)?;
    let (action, summary) = if archived {
        ("client.archive", format!("archived “{}”", current.name))
    } else {
        ("client.restore", format!("restored “{}” from the archive", current.name))
    };
    let audit = Record::by(actor, action, format!("client:{slug}")).client(current.id).summary(summary);
    if !store::set_archived(db, current.id, archived.then_some(now), now, &audit).await? {
        let message = if archived { "This client is already archived." } else { "This client is not archived." };
        return Err(DomainError::conflict(None, message));
    }
    get_client(db, actor, slug).await
}

/// The tags in use on the clients the actor may see (for filters).
pub async fn list_tags(db: &Db, actor: &Actor) -> Result<Vec<String>> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    actor.require(Permission::ViewClient)?;
    store::list_tags(db, visibility(actor)).await
}

/// Client counts for the portfolio, over the clients the actor may see.
pub async fn count_clients(db: &Db, actor: &Actor) -> Result<ClientCounts> {
    actor.require(Permission::ViewPortfolio)?;
    store::count_clients(db, visibility(actor)).await
}
