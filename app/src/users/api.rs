//! Server functions of the people pages: each gets the actor and calls one service. The domain
//! decides who may do what, and which changes need a recent confirmation of identity.

use super::types::{InvitationOffer, PeoplePage};
use crate::error::AppError;
use leptos::prelude::*;

/// The session key of an invitation link made by a plain form post, until the page shows it.
#[cfg(feature = "ssr")]
const NEW_LINK_KEY: &str = "new_invitation_link";

#[cfg(feature = "ssr")]
fn session_failed(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session could not be read or written");
    AppError::Internal
}

#[cfg(feature = "ssr")]
fn clients_text(role: domain::Role, client: Option<&str>, assigned: &[String]) -> String {
    match (role, client) {
        (_, Some(slug)) => slug.to_owned(),
        (domain::Role::Technician, None) if assigned.is_empty() => "Every client".into(),
        (domain::Role::Technician, None) => assigned.join(", "),
        _ => "—".into(),
    }
}

#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_people() -> Result<PeoplePage, AppError> {
    use super::types::{InvitationView, PersonView};
    use crate::time::When;
    use domain::Permission;
    let (state, actor) = crate::auth::acting().await?;
    let now = domain::clock::now();
    let people = domain::identity::list_people(&state.db, &actor).await?;
    let can_invite = actor.may(Permission::InviteClientViewers);
    let (invitations, clients) = if can_invite {
        (
            domain::identity::invitations::list_pending(&state.db, &actor, now).await?,
            domain::identity::admin::client_choices(&state.db, &actor).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let new_link = if can_invite {
        crate::auth::take_once::<String>(&crate::auth::session().await?, NEW_LINK_KEY).await.map_err(session_failed)?
    } else {
        None
    };
    Ok(PeoplePage {
        people: people
            .into_iter()
            .map(|p| PersonView {
                clients: clients_text(p.user.role, p.user.client_slug.as_deref(), &p.user.assigned),
                is_me: actor.user_id == Some(p.user.id),
                email: p.user.email,
                display_name: p.user.display_name,
                role: p.user.role.as_str().into(),
                role_label: p.user.role.label().into(),
                mfa_enrolled: p.mfa_enrolled,
                disabled: p.user.disabled_at.is_some(),
                last_sign_in: p.last_sign_in.map(When::of),
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationView {
                clients: match (i.role, i.clients.is_empty()) {
                    (domain::Role::Technician, true) => "Every client".into(),
                    (_, true) => "—".into(),
                    _ => i.clients.join(", "),
                },
                id: i.id,
                email: i.email,
                role_label: i.role.label().into(),
                created_by: i.created_by,
                expires: When::of(i.expires_at),
            })
            .collect(),
        clients,
        can_manage: actor.may(Permission::ManageUsers),
        can_invite,
        new_link,
    })
}

/// Invites someone; answers the link to send them (shown once; only its hash is kept).
#[server(prefix = "/api", endpoint = "users/invite")]
pub async fn invite_person(email: String, role: String, clients: Option<Vec<String>>) -> Result<String, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let new = domain::identity::invitations::NewInvitation { email, role, clients: clients.unwrap_or_default() };
    let created =
        domain::identity::invitations::create_invitation(&state.db, &actor, &new, domain::clock::now()).await?;
    let link = format!("{}{}", state.public_url, created.path());
    if crate::state::is_plain_form_post() {
        crate::auth::session().await?.insert(NEW_LINK_KEY, &link).await.map_err(session_failed)?;
    }
    Ok(link)
}

/// Adds a user with a password chosen by the person adding them (to be changed by them later).
#[server(prefix = "/api", endpoint = "users/create")]
pub async fn create_person(
    email: String,
    display_name: String,
    role: String,
    clients: Option<Vec<String>>,
    password: String,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let new = domain::identity::NewUser { email, display_name, role, clients: clients.unwrap_or_default(), password };
    domain::identity::add_user(&state.db, &actor, &new, domain::clock::now()).await?;
    crate::flash::after_plain_post("Added.").await;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/change_role")]
pub async fn change_person_role(email: String, role: String, clients: Option<Vec<String>>) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let clients = clients.unwrap_or_default();
    domain::identity::change_role(&state.db, &actor, &email, &role, &clients, domain::clock::now()).await?;
    crate::flash::after_plain_post("Role changed; their sessions ended.").await;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/assign_clients")]
pub async fn assign_person_clients(email: String, clients: Option<Vec<String>>) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let clients = clients.unwrap_or_default();
    domain::identity::assign_clients(&state.db, &actor, &email, &clients, domain::clock::now()).await?;
    crate::flash::after_plain_post("Clients assigned; their sessions ended.").await;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/disable")]
pub async fn disable_person(email: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::identity::disable_user(&state.db, &actor, &email, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/enable")]
pub async fn enable_person(email: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::identity::enable_user(&state.db, &actor, &email, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/reset_mfa")]
pub async fn reset_person_mfa(email: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::identity::mfa::reset(&state.db, &actor, &email, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/revoke_invitation")]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::identity::invitations::revoke_invitation(&state.db, &actor, id, domain::clock::now()).await?;
    Ok(())
}

/// What an invitation link offers; the same conflict for every link that cannot be used.
/// Public: the token is the authority.
#[server(prefix = "/api", endpoint = "invitations/open")]
pub async fn open_invitation(token: String) -> Result<InvitationOffer, AppError> {
    let state = crate::state::AppState::get()?;
    let opened = domain::identity::invitations::open_invitation(&state.db, &token, domain::clock::now()).await?;
    Ok(InvitationOffer { email: opened.email, role_label: opened.role.label().into(), client_name: opened.client_name })
}

/// Creates the invitee's account, then signs them in through the ordinary sign-in (audited); a
/// role that must set up two-factor sign-in is sent to do that next.
#[server(prefix = "/api", endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String, display_name: String, password: String) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let now = domain::clock::now();
    let user_id =
        domain::identity::invitations::accept_invitation(&state.db, &token, &display_name, &password, now).await?;
    let actor = domain::identity::actor_for_user(&state.db, user_id).await?.ok_or(AppError::Internal)?;
    let address = crate::auth::client_address();
    domain::identity::sign_in_from(&state.db, &actor.email, &password, address.as_deref(), now).await?;
    let session = crate::auth::session().await?;
    session.cycle_id().await.map_err(session_failed)?;
    session.insert(crate::auth::USER_ID_KEY, user_id).await.map_err(session_failed)?;
    session.insert(crate::auth::STEP_UP_KEY, now.timestamp()).await.map_err(session_failed)?;
    let me = crate::auth::me_of(&actor);
    leptos_axum::redirect(&me.home());
    Ok(())
}
