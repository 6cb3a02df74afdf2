//! Single sign-on routes: `GET /auth/sso/start` sends the browser to the provider, and `GET
//! /auth/sso/callback` is where the provider sends it back. The domain decides everything
//! (domain/src/identity/sso); these handlers only carry cookies and the session.
//!
//! The sign-in under way is bound to the browser by its own cookie (`rampart_sso`): HttpOnly,
//! SameSite=Lax (so that it comes along on the provider's top-level redirect back, which a
//! Strict cookie would not), Secure behind https, ten minutes, limited to /auth/sso/, and
//! cleared at the callback whatever happens.
//!
//! The session cookie stays SameSite=Strict. A browser does not send it on a navigation that
//! another site started, nor on redirects that follow one; so a successful callback answers
//! with a small page that moves on by itself (a same-site navigation, which carries the new
//! session cookie) instead of a redirect.
//!
//! The session id is cycled at sign-in, as for a password. A user with Rampart's two-factor app
//! is sent to `/login/code` in a session that is not signed in yet, unless the admin trusts the
//! provider's MFA and its ID token says "mfa" (see the domain module).

use crate::config::Config;
use crate::state::ServerState;
use app::auth::{safe_next, ClientAddress};
use app::html::escape;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use domain::identity::sso::{self, Callback};
use serde::Deserialize;
use tower_sessions::Session;

pub const START_PATH: &str = "/auth/sso/start";
pub const CALLBACK_PATH: &str = "/auth/sso/callback";
/// Every address this module serves (the authorization matrix has a row for each).
pub const PATHS: [&str; 2] = [START_PATH, CALLBACK_PATH];
/// The cookie of a sign-in under way.
pub const COOKIE: &str = "rampart_sso";

/// What the routes need of the settings.
#[derive(Clone, Debug)]
struct Settings {
    /// Rampart's own address (`Config::public_base`): the callback address is built from it.
    public_url: String,
    secure: bool,
}

/// The routes, to be merged into the application's router.
pub fn router(config: &Config) -> Router<ServerState> {
    let settings = Settings { public_url: config.public_base(), secure: config.secure_cookies() };
    let for_callback = settings.clone();
    Router::new()
        .route(
            START_PATH,
            get(move |state: State<ServerState>, query: Query<StartQuery>| start(state, settings.clone(), query)),
        )
        .route(
            CALLBACK_PATH,
            get(move |state: State<ServerState>, session: Session, query: Query<CallbackQuery>, request: Request| {
                callback(state, for_callback.clone(), session, query, request)
            }),
        )
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    next: Option<String>,
    /// Set by the step-up page: the provider must ask the person again.
    confirm: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn to_login(error: &str) -> Response {
    Redirect::to(&format!("/login?sso_error={error}")).into_response()
}

fn cookie(settings: &Settings, value: &str, max_age: i64) -> HeaderValue {
    let secure = if settings.secure { "; Secure" } else { "" };
    let text = format!("{COOKIE}={value}; Path=/auth/sso/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("rampart_sso=; Max-Age=0"))
}

fn browser_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

async fn start(State(state): State<ServerState>, settings: Settings, Query(query): Query<StartQuery>) -> Response {
    let redirect_uri = format!("{}{CALLBACK_PATH}", settings.public_url);
    let next = safe_next(query.next.as_deref());
    match sso::start_sign_in(
        &state.app.db,
        &redirect_uri,
        next.as_deref(),
        query.confirm.is_some(),
        domain::clock::now(),
    )
    .await
    {
        Ok(started) => {
            let mut response = Redirect::to(&started.url).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie(&settings, &started.browser_token, sso::LOGIN_SECONDS));
            response
        }
        Err(domain::DomainError::NotFound) => to_login("off"),
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on could not start");
            to_login("failed")
        }
    }
}

async fn callback(
    State(state): State<ServerState>,
    settings: Settings,
    session: Session,
    Query(query): Query<CallbackQuery>,
    request: Request,
) -> Response {
    let input = Callback {
        code: query.code,
        state: query.state,
        error: query.error,
        browser_token: browser_token(request.headers()),
        address: request.extensions().get::<ClientAddress>().map(|a| a.0.clone()),
    };
    let now = domain::clock::now();
    let mut response = match sso::finish_sign_in(&state.app.db, &input, now).await {
        Ok(signed_in) => match sign_in_session(&session, &signed_in, now.timestamp()).await {
            Ok(target) => continue_page(&target),
            Err(e) => {
                tracing::error!(error = %e, "session could not be written");
                to_login("failed")
            }
        },
        Err(failure) => {
            if let sso::SsoFailure::Internal(e) = &failure {
                tracing::error!(error = %e, "single sign-on failed");
            }
            to_login(failure.code())
        }
    };
    // The sign-in under way is over, whatever happened.
    response.headers_mut().append(header::SET_COOKIE, cookie(&settings, "", 0));
    response
}

/// Cycles the session id and signs the user in, or leaves them waiting for their code; answers
/// where to go next.
async fn sign_in_session(
    session: &Session,
    signed_in: &sso::SignedIn,
    now: i64,
) -> Result<String, tower_sessions::session::Error> {
    session.cycle_id().await?;
    if signed_in.ask_code {
        let pending = (signed_in.user_id, now, signed_in.next.clone());
        session.insert(app::auth::PENDING_KEY, pending).await?;
        return Ok("/login/code".into());
    }
    session.insert(app::auth::USER_ID_KEY, signed_in.user_id).await?;
    // Only a confirmation at the provider (started as one, authenticated just now) counts for
    // step-up; a sign-in that rode a live session there does not.
    if signed_in.confirmed {
        session.insert(app::auth::STEP_UP_KEY, now).await?;
    }
    // Single sign-on never signs in a client viewer, so everyone starts at the portfolio.
    Ok(signed_in.next.clone().unwrap_or_else(|| "/".into()))
}

/// A page that moves on to `target` by itself (and says so, with a link, if it does not).
fn continue_page(target: &str) -> Response {
    let target = escape(target);
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={target}\"><title>Signing in · Rampart</title></head>\
         <body><p>Signed in. <a href=\"{target}\">Continue to Rampart</a>.</p></body></html>"
    );
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
