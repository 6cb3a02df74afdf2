//! Client server functions: thin. Each gets the actor, calls one service, maps the result.

// One argument per form field, so that the forms post to these functions without JavaScript.
#![allow(clippy::too_many_arguments)]

use super::types::{ClientDetail, ClientList, ClientQuery};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use super::super::types::{ClientDetail, ClientSummary};
    use crate::time::When;
    use domain::clients::Client;
    use domain::{Actor, Permission};

    pub fn summary(c: Client) -> ClientSummary {
        ClientSummary {
            slug: c.slug,
            name: c.name,
            impact_tier: c.impact_tier.as_str().into(),
            sector: c.sector,
            tags: c.tags,
            contact_name: c.contact_name,
            archived: c.archived_at.is_some(),
            updated: When::of(c.updated_at),
        }
    }

    pub fn detail(actor: &Actor, c: Client) -> ClientDetail {
        ClientDetail {
            can_edit: actor.may_on_client(Permission::EditClient, c.id),
            can_archive: actor.may_on_client(Permission::ArchiveClient, c.id),
            notes: actor.may_on_client(Permission::ViewClientNotes, c.id).then_some(c.notes),
            slug: c.slug,
            name: c.name,
            impact_tier: c.impact_tier.as_str().into(),
            sector: c.sector,
            tags: c.tags,
            contact_name: c.contact_name,
            contact_email: c.contact_email,
            created: When::of(c.created_at),
            updated: When::of(c.updated_at),
            archived: c.archived_at.map(When::of),
            version: c.version,
        }
    }
}

/// The clients one request read (see [`crate::state::RequestKept`]): a client's page renders
/// its details, checklist summary, score, access and reviews, each a server function of its own
/// that starts with the client. Kept under (acting user, slug asked for), as
/// [`domain::clients::get_client`] gave it to that user (it hides what the user may not read).
#[cfg(feature = "ssr")]
pub type RequestClients = crate::state::RequestKept<(Option<i64>, String), domain::clients::Client>;

/// The client `slug` as `actor` may read it ([`domain::clients::get_client`]), read at most once
/// per request and actor. Read-only server functions only: a change made later in the same
/// request is not seen.
#[cfg(feature = "ssr")]
pub(crate) async fn client_for_request(
    db: &domain::Db,
    actor: &domain::Actor,
    slug: &str,
) -> Result<domain::clients::Client, AppError> {
    let read = async { Ok::<_, AppError>(domain::clients::get_client(db, actor, slug).await?) };
    crate::state::kept_for_request((actor.user_id, slug.to_owned()), read).await
}

#[server(prefix = "/api", endpoint = "clients/list")]
pub async fn list_clients(query: ClientQuery) -> Result<ClientList, AppError> {
    use domain::clients::{self, ClientFilter, ClientSort, ImpactTier};
    let (state, actor) = crate::auth::acting().await?;
    // Unknown filter values are ignored rather than refused: they come from edited URLs.
    let filter = ClientFilter {
        search: query.q.clone(),
        tier: query.tier.as_deref().and_then(ImpactTier::parse),
        tag: query.tag.clone(),
        include_archived: query.archived,
        sort: query.sort.as_deref().and_then(ClientSort::parse).unwrap_or_default(),
        page: query.page.unwrap_or(1),
        per_page: 0,
    };
    let db = &state.db;
    let page = clients::list_clients(db, &actor, filter).await?;
    let tags = clients::list_tags(db, &actor).await?;
    let per_page = i64::from(page.per_page.max(1));
    let pages = u32::try_from((page.total + per_page - 1) / per_page).unwrap_or(u32::MAX).max(1);
    Ok(ClientList {
        items: page.items.into_iter().map(convert::summary).collect(),
        total: page.total,
        page: page.page,
        pages,
        tags,
        can_create: actor.may(domain::Permission::CreateClient),
    })
}

#[server(prefix = "/api", endpoint = "clients/get")]
pub async fn get_client(slug: String) -> Result<ClientDetail, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let client = client_for_request(&state.db, &actor, &slug).await?;
    Ok(convert::detail(&actor, client))
}

#[server(prefix = "/api", endpoint = "clients/create")]
pub async fn create_client(
    name: String,
    slug: String,
    impact_tier: String,
    sector: String,
    tags: String,
    contact_name: String,
    contact_email: String,
    notes: String,
) -> Result<String, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input =
        domain::clients::ClientInput { name, slug, impact_tier, sector, tags, contact_name, contact_email, notes };
    let client = domain::clients::create_client(&state.db, &actor, &input, domain::clock::now()).await?;
    leptos_axum::redirect(&format!("/clients/{}", client.slug));
    Ok(client.slug)
}

#[server(prefix = "/api", endpoint = "clients/update")]
pub async fn update_client(
    slug: String,
    version: i64,
    name: String,
    impact_tier: String,
    sector: String,
    tags: String,
    contact_name: String,
    contact_email: String,
    notes: String,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    // The slug names the client to change; it is never changed itself.
    let input = domain::clients::ClientInput {
        name,
        slug: String::new(),
        impact_tier,
        sector,
        tags,
        contact_name,
        contact_email,
        notes,
    };
    let client =
        domain::clients::update_client(&state.db, &actor, &slug, version, &input, domain::clock::now()).await?;
    leptos_axum::redirect(&format!("/clients/{}", client.slug));
    Ok(())
}

#[server(prefix = "/api", endpoint = "clients/archive")]
pub async fn archive_client(slug: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::clients::archive_client(&state.db, &actor, &slug, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "clients/restore")]
pub async fn restore_client(slug: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::clients::restore_client(&state.db, &actor, &slug, domain::clock::now()).await?;
    Ok(())
}
