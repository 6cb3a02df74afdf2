//! The signed-in actor of a request to one of the server's own handlers (downloads, charts,
//! review packs), taken as an argument like any other extractor: read from the session exactly
//! as server functions read it (`app::auth::actor_of_session`), so that every door knows the
//! same actor, with the same confirmation and two-factor facts the domain's rules need.

use crate::security::{error_response, to_sign_in};
use crate::state::ServerState;
use app::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// The acting user. Signed out, a chart (an image in a page) answers 401; anything else (a
/// page, a download) sends the browser to sign in and back here.
pub struct SignedIn(pub domain::Actor);

impl FromRequestParts<ServerState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<SignedIn, Response> {
        let path = parts.uri.path().to_owned();
        let session = Session::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match app::auth::actor_of_session(&state.app, &session).await {
            Ok(Some(actor)) => Ok(SignedIn(actor)),
            Ok(None) if path.starts_with("/charts/") => Err(error_response(&path, AppError::Unauthenticated)),
            Ok(None) => Err(to_sign_in(&path)),
            Err(error) => Err(error_response(&path, error)),
        }
    }
}
