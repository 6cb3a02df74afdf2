//! Signing in and out, and the signed-in user. [`actor_of_session`] is the only function that
//! reads the session to decide who is acting ([`current_actor`] for server functions, and the
//! server's own handlers, call it).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The session key holding the signed-in user's id.
#[cfg(feature = "ssr")]
pub const USER_ID_KEY: &str = domain::db::SESSION_USER_KEY;

/// The client's address (IP), put in the request's extensions by the server: the peer address,
/// or the header a trusted reverse proxy sets. Sign-in is throttled per address.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);

#[cfg(feature = "ssr")]
pub(crate) fn client_address() -> Option<String> {
    use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<ClientAddress>().map(|a| a.0.clone()))
}

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
    /// Admins, managers (client viewers only) and auditors: the people page.
    pub can_view_people: bool,
    /// The role must use two-factor sign-in and the user has not set it up: every other page
    /// sends them to /account, and they can change nothing until they do.
    pub must_set_up_two_factor: bool,
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

/// Takes a value shown once (a flash, new recovery codes, a new invitation link) out of the
/// session. Only a value that is there is removed: tower-sessions counts every removal as a
/// change, and a page that merely looked would write the session on every load.
#[cfg(feature = "ssr")]
pub(crate) async fn take_once<T: serde::de::DeserializeOwned>(
    session: &tower_sessions::Session,
    key: &str,
) -> Result<Option<T>, tower_sessions::session::Error> {
    match session.get::<T>(key).await? {
        Some(value) => {
            session.remove_value(key).await?;
            Ok(Some(value))
        }
        None => Ok(None),
    }
}

/// What a server function acts with: the server's state (its database) and the signed-in user,
/// or `Unauthenticated`.
#[cfg(feature = "ssr")]
pub async fn acting() -> Result<(crate::state::AppState, domain::Actor), AppError> {
    let state = crate::state::AppState::get()?;
    Ok((state, current_actor().await?))
}

/// The acting user of this request, or `Unauthenticated`.
#[cfg(feature = "ssr")]
pub async fn current_actor() -> Result<domain::Actor, AppError> {
    signed_in_actor().await?.ok_or_else(|| AppError::Unauthenticated.with_status())
}

/// The signed-in, active user of this request, if any. A page's server render calls several
/// server functions at once, each asking who acts; the user is read once per request (per
/// signed-in user: a request that signs someone in or out asks again), and the functions that
/// ask while it is being read wait for it rather than reading it too.
#[cfg(feature = "ssr")]
async fn signed_in_actor() -> Result<Option<domain::Actor>, AppError> {
    let state = crate::state::AppState::get()?;
    let session = session().await?;
    let user_id: Option<i64> = session.get(USER_ID_KEY).await.ok().flatten();
    crate::state::kept_for_request(user_id, actor_of_session(&state, &session)).await
}

/// The acting user of one request (see [`crate::state::RequestKept`]), kept under the session's
/// user id (a request that signs someone in or out asks again): none when signed out, disabled
/// or removed.
#[cfg(feature = "ssr")]
pub type RequestActor = crate::state::RequestKept<Option<i64>, Option<domain::Actor>>;

/// The signed-in, active user of a session, if any. A disabled or removed user's session ends.
#[cfg(feature = "ssr")]
pub async fn actor_of_session(
    state: &crate::state::AppState,
    session: &tower_sessions::Session,
) -> Result<Option<domain::Actor>, AppError> {
    let read = |db: domain::Db, user_id| async move {
        Ok(domain::identity::actor_for_user(&db, user_id).await?.map(|actor| (actor, ())))
    };
    Ok(of_session(state, session, read).await?.map(|(actor, ())| actor))
}

/// As [`actor_of_session`], with the moment of the user's portfolio at `now`, read in the same
/// statement (`domain::portfolio::reader_and_moment`; for the portfolio page kept as rendered).
#[cfg(feature = "ssr")]
pub async fn reader_of_session(
    state: &crate::state::AppState,
    session: &tower_sessions::Session,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<(domain::Actor, Option<domain::portfolio::Moment>)>, AppError> {
    let read =
        move |db: domain::Db, user_id| async move { domain::portfolio::reader_and_moment(&db, user_id, now).await };
    of_session(state, session, read).await
}

/// The signed-in, active user of a session as `read` reads them (with something else read
/// beside), completed with what the session knows. A disabled or removed user's session ends.
#[cfg(feature = "ssr")]
async fn of_session<T, F, Fut>(
    state: &crate::state::AppState,
    session: &tower_sessions::Session,
    read: F,
) -> Result<Option<(domain::Actor, T)>, AppError>
where
    F: FnOnce(domain::Db, i64) -> Fut,
    Fut: std::future::Future<Output = domain::error::Result<Option<(domain::Actor, T)>>>,
{
    let user_id: Option<i64> = session.get(USER_ID_KEY).await.map_err(|e| {
        tracing::error!(error = %e, "session could not be read");
        AppError::Internal
    })?;
    let Some(user_id) = user_id else { return Ok(None) };
    let Some((actor, beside)) = read(state.db.clone(), user_id).await? else {
        // The user was disabled or removed: end the session now.
        let _ = session.flush().await;
        return Ok(None);
    };
    // What the session knows and the rules need: when its user last proved who they are, and
    // whether this deployment requires two-factor sign-in of their role (the domain decides).
    let confirmed_at: Option<i64> = session.get(STEP_UP_KEY).await.ok().flatten();
    Ok(Some((in_session(state, actor, confirmed_at), beside)))
}

/// `actor` with what their session knows (`confirmed_at`: when they last proved who they are,
/// Unix seconds, the session's [`STEP_UP_KEY`]) and what this deployment requires of their role.
#[cfg(feature = "ssr")]
pub fn in_session(state: &crate::state::AppState, actor: domain::Actor, confirmed_at: Option<i64>) -> domain::Actor {
    let confirmed_at = confirmed_at.and_then(|at| chrono::DateTime::from_timestamp(at, 0));
    actor.in_session(confirmed_at, &state.two_factor_roles).requiring_passkey(&state.passkey_roles)
}

#[cfg(feature = "ssr")]
impl AppError {
    fn with_status(self) -> Self {
        crate::state::set_status(&self);
        self
    }
}

/// Only a path on this site, as a browser reads it, is a place to go after signing in (the
/// domain's rule: `identity::redirect::local_target`).
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>) -> Option<String> {
    domain::identity::redirect::local_target(next?)
}

#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let address = client_address();
    let user_id =
        domain::identity::sign_in_from(&state.db, &email, &password, address.as_deref(), domain::clock::now()).await?;
    let session = session().await?;
    if domain::identity::mfa::has_second_factor(&state.db, user_id).await? {
        // The password was right; the code (or a passkey) comes next, in a new session that is not signed in.
        let pending = (user_id, domain::clock::now().timestamp(), safe_next(next.as_deref()));
        let stored = async {
            session.cycle_id().await?;
            session.insert(PENDING_KEY, pending).await
        };
        stored.await.map_err(|e| {
            tracing::error!(error = %e, "session could not be written");
            AppError::Internal
        })?;
        leptos_axum::redirect("/login/code");
        return Ok(());
    }
    // A new session id at sign-in, so that an id planted before sign-in is worthless after.
    let stored = async {
        session.cycle_id().await?;
        session.insert(USER_ID_KEY, user_id).await?;
        session.insert(STEP_UP_KEY, domain::clock::now().timestamp()).await
    };
    stored.await.map_err(|e| {
        tracing::error!(error = %e, "session could not be written");
        AppError::Internal
    })?;
    let actor = domain::identity::actor_for_user(&state.db, user_id).await?.ok_or(AppError::Internal)?;
    let me = me_of(&actor);
    let target = safe_next(next.as_deref()).unwrap_or_else(|| me.home());
    leptos_axum::redirect(&target);
    Ok(())
}

/// The session key of a sign-in waiting for its two-factor code: (user id, Unix time of the
/// password, where to go next). The user is not signed in until the code is right. Single
/// sign-on (server/src/sso.rs) leaves a user waiting for their code the same way.
#[cfg(feature = "ssr")]
pub const PENDING_KEY: &str = "mfa_pending";
/// How long the code may take after the password.
#[cfg(feature = "ssr")]
pub(crate) const PENDING_SECONDS: i64 = 300;

/// The second step of signing in for a user with two-factor sign-in: a code from their app or
/// a recovery code.
#[server(prefix = "/api", endpoint = "auth/sign_in_code")]
pub async fn sign_in_code(code: String) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let session = session().await?;
    let failed = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "session could not be read or written");
        AppError::Internal
    };
    let pending: Option<(i64, i64, Option<String>)> = session.get(PENDING_KEY).await.map_err(failed)?;
    let now = domain::clock::now();
    let Some((user_id, _, next)) = pending.filter(|(_, since, _)| now.timestamp() - since <= PENDING_SECONDS) else {
        return Err(AppError::Unauthenticated.with_status());
    };
    let address = client_address();
    domain::identity::mfa::verify_code_for(&state.db, user_id, &code, address.as_deref(), now, &state.passkey_roles)
        .await?;
    session.cycle_id().await.map_err(failed)?;
    session.remove::<(i64, i64, Option<String>)>(PENDING_KEY).await.map_err(failed)?;
    session.insert(USER_ID_KEY, user_id).await.map_err(failed)?;
    session.insert(STEP_UP_KEY, now.timestamp()).await.map_err(failed)?;
    let actor = domain::identity::actor_for_user(&state.db, user_id).await?.ok_or(AppError::Internal)?;
    let me = me_of(&actor);
    leptos_axum::redirect(&safe_next(next.as_deref()).unwrap_or_else(|| me.home()));
    Ok(())
}

/// The session key holding when the user last proved who they are (Unix seconds): at sign-in,
/// and at each confirmation on /account/confirm. The actor carries it; the services of
/// sensitive actions need it recent (`domain::Actor::require_recent_confirmation`).
#[cfg(feature = "ssr")]
pub const STEP_UP_KEY: &str = "step_up_at";

/// Records in the session that its user has just proved who they are (a sign-in of any kind,
/// or a confirmation), so that sensitive actions are allowed for the next minutes. Sign-in
/// paths call it after the session id is cycled.
#[cfg(feature = "ssr")]
pub async fn record_recent_auth(session: &tower_sessions::Session) -> Result<(), AppError> {
    session.insert(STEP_UP_KEY, domain::clock::now().timestamp()).await.map_err(|e| {
        tracing::error!(error = %e, "session could not be written");
        AppError::Internal
    })
}

/// The path of the confirmation page that comes back to `next` (a local path) afterwards.
pub fn confirm_href(next: &str) -> String {
    format!("/account/confirm?next={}", crate::html::encode_query(next))
}

/// Confirms the signed-in user's identity again (password, and a code with two-factor
/// sign-in), for the sensitive actions of the next minutes; the session gets a new id, as at
/// any change of privilege. Then back to `next`.
#[server(prefix = "/api", endpoint = "auth/confirm")]
pub async fn confirm_identity(password: String, code: Option<String>, next: Option<String>) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let actor = current_actor().await?;
    let now = domain::clock::now();
    let code = code.unwrap_or_default();
    domain::identity::step_up::confirm(&state.db, &actor, &password, &code, client_address().as_deref(), now).await?;
    let session = session().await?;
    let stored = async {
        session.cycle_id().await?;
        session.insert(STEP_UP_KEY, now.timestamp()).await
    };
    stored.await.map_err(|e| {
        tracing::error!(error = %e, "session could not be written");
        AppError::Internal
    })?;
    let target = safe_next(next.as_deref()).filter(|n| !n.starts_with("/account/confirm"));
    leptos_axum::redirect(&target.unwrap_or_else(|| "/account".into()));
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

/// Ends every session of the signed-in user, in every browser and on every server, this one
/// included; then the sign-in page.
#[server(prefix = "/api", endpoint = "auth/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let actor = current_actor().await?;
    domain::identity::sign_out_everywhere(&state.db, &actor).await?;
    // This session's row is gone already; forget it in this answer too.
    let session = session().await?;
    session.flush().await.map_err(|e| {
        tracing::error!(error = %e, "session could not be removed");
        AppError::Internal
    })?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Who is signed in, as the page shows it (from the user as read for this request).
#[cfg(feature = "ssr")]
pub(crate) fn me_of(actor: &domain::Actor) -> Me {
    use domain::Permission;
    Me {
        display_name: actor.display_name.clone(),
        email: actor.email.clone(),
        role: actor.role.as_str().into(),
        role_label: actor.role.label().into(),
        client_slug: actor.client_slug.clone(),
        can_view_portfolio: actor.may(Permission::ViewPortfolio),
        can_create_clients: actor.may(Permission::CreateClient),
        can_view_audit: actor.may(Permission::ViewAudit),
        can_view_people: actor.may(Permission::ViewUsers),
        must_set_up_two_factor: actor.must_set_up_two_factor(),
    }
}

/// A TOTP secret waiting for its first code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSetup {
    /// Base32, to type into an app.
    pub secret: String,
    /// The otpauth:// address an app can open.
    pub uri: String,
    /// The address as a QR code: an `<svg>` element drawn on the server.
    pub qr_svg: String,
}

/// The session key of recovery codes issued to a plain form post, until the page shows them.
#[cfg(feature = "ssr")]
pub(crate) const NEW_CODES_KEY: &str = "mfa_new_codes";

#[server(prefix = "/api", endpoint = "auth/start_mfa_enrolment")]
pub async fn start_mfa_enrolment() -> Result<MfaSetup, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = current_actor().await?;
    let enrolment = domain::identity::mfa::start_enrolment(&state.db, &actor, domain::clock::now()).await?;
    Ok(MfaSetup { secret: enrolment.secret, uri: enrolment.uri, qr_svg: enrolment.qr_svg })
}

/// Confirms enrolment with a code; answers the recovery codes, which are shown only now
/// (without JavaScript, they are kept in the session until the page shows them, once).
#[server(prefix = "/api", endpoint = "auth/confirm_mfa_enrolment")]
pub async fn confirm_mfa_enrolment(code: String) -> Result<Vec<String>, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = current_actor().await?;
    let codes = domain::identity::mfa::confirm_enrolment(&state.db, &actor, &code, domain::clock::now()).await?;
    if crate::state::is_plain_form_post() {
        session().await?.insert(NEW_CODES_KEY, &codes).await.map_err(|e| {
            tracing::error!(error = %e, "session could not be written");
            AppError::Internal
        })?;
    }
    Ok(codes)
}

/// The signed-in user, or `None` when nobody is signed in.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    match signed_in_actor().await? {
        Some(actor) => Ok(Some(me_of(&actor))),
        None => Ok(None),
    }
}
