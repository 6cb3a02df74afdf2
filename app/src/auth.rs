//! Signing in and out, and the signed-in user. [`actor_of_session`] is the only function that
//! reads the session to decide who is acting ([`current_actor`] for server functions, and the
//! server's own handlers, call it).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The session key holding the signed-in user's id.
#[cfg(feature = "ssr")]
pub const USER_ID_KEY: &str = "user_id";

/// The signed-in user, as the pages need them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub role_label: String,
    /// A client viewer's own client.
    pub client_slug: Option<String>,
    pub can_view_portfolio: bool,
    pub can_create_clients: bool,
    /// Admins and auditors: the audit log.
    pub can_view_audit: bool,
}

impl Me {
    pub fn initials(&self) -> String {
        self.display_name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase()
    }

    /// Where this user starts: the portfolio, or a client viewer's own client.
    pub fn home(&self) -> String {
        match (&self.client_slug, self.can_view_portfolio) {
            (Some(slug), false) => format!("/clients/{slug}"),
            _ => "/".into(),
        }
    }
}

#[cfg(feature = "ssr")]
pub(crate) async fn session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// The acting user of this request, or `Unauthenticated`.
#[cfg(feature = "ssr")]
pub async fn current_actor() -> Result<domain::Actor, AppError> {
    signed_in_actor().await?.ok_or_else(|| AppError::Unauthenticated.with_status())
}

/// The signed-in, active user of this request, if any.
#[cfg(feature = "ssr")]
async fn signed_in_actor() -> Result<Option<domain::Actor>, AppError> {
    let state = crate::state::AppState::get()?;
    let session = session().await?;
    actor_of_session(&state.db, &session).await
}

/// The signed-in, active user of a session, if any. A disabled or removed user's session ends.
#[cfg(feature = "ssr")]
pub async fn actor_of_session(
    db: &domain::Db,
    session: &tower_sessions::Session,
) -> Result<Option<domain::Actor>, AppError> {
    let user_id: Option<i64> = session.get(USER_ID_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "session could not be read");
        AppError::Internal
    })?;
    let Some(user_id) = user_id else { return Ok(None) };
    let actor = domain::identity::actor_for_user(db, user_id).await?;
    if actor.is_none() {
        // The user was disabled or removed: end the session now.
        let _ = session.flush().await;
    }
    Ok(actor)
}

#[cfg(feature = "ssr")]
impl AppError {
    fn with_status(self) -> Self {
        crate::state::set_status(&self);
        self
    }
}

/// Only a path on this site is a safe place to go after signing in.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.contains("://");
    (local && !next.starts_with("/login") && !next.starts_with("/api/")).then(|| next.to_owned())
}

#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let user_id = domain::identity::sign_in(&state.db, &email, &password).await?;
    let session = session().await?;
    // A new session id at sign-in, so that an id planted before sign-in is worthless after.
    let stored = async {
        session.cycle_id().await?;
        session.insert(USER_ID_KEY, user_id).await
    };
    stored.await.map_err(|e| {
        tracing::error!(error = %e, "session could not be written");
        AppError::Internal
    })?;
    let actor = domain::identity::actor_for_user(&state.db, user_id).await?.ok_or(AppError::Internal)?;
    let me = me_of(&state, &actor).await?;
    let target = safe_next(next.as_deref()).unwrap_or_else(|| me.home());
    leptos_axum::redirect(&target);
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    // Recorded first, while the session still says who is signing out.
    if let Some(actor) = signed_in_actor().await? {
        let state = crate::state::AppState::get()?;
        domain::identity::sign_out(&state.db, &actor).await?;
    }
    let session = session().await?;
    session.flush().await.map_err(|e| {
        tracing::error!(error = %e, "session could not be removed");
        AppError::Internal
    })?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn me_of(state: &crate::state::AppState, actor: &domain::Actor) -> Result<Me, AppError> {
    use domain::Permission;
    let user = domain::identity::get_own_user(&state.db, actor).await?;
    Ok(Me {
        display_name: user.display_name,
        email: user.email,
        role: user.role.as_str().into(),
        role_label: user.role.label().into(),
        client_slug: user.client_slug,
        can_view_portfolio: actor.can(Permission::ViewPortfolio),
        can_create_clients: actor.can(Permission::CreateClient),
        can_view_audit: actor.can(Permission::ViewAudit),
    })
}

/// The signed-in user, or `None` when nobody is signed in.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let state = crate::state::AppState::get()?;
    match signed_in_actor().await? {
        Some(actor) => Ok(Some(me_of(&state, &actor).await?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/clients/acme")), Some("/clients/acme".into()));
        for bad in
            ["https://evil.example/", "//evil.example", "/\\evil", "/login?next=/", "/api/auth/sign_out", "clients"]
        {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }
}
