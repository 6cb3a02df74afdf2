//! What server functions need from the server: provided as context by the server crate both to
//! page renders and to server-function calls.

use crate::error::AppError;
use domain::Db;
use http::{header, Method, StatusCode};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
}

impl AppState {
    /// The state provided by the server, or an internal error when it is missing (a wiring bug).
    pub fn get() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState is not provided as context");
            AppError::Internal
        })
    }
}

/// Answers the current request with the error's status, except for a plain HTML form post:
/// that is redirected back to its page with the error in the URL, and a status would break
/// the redirect.
pub fn set_status(error: &AppError) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else { return };
    if !is_plain_form_post() {
        response.set_status(StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// Whether the current request is an HTML form posted without JavaScript (the browser then
/// follows a redirect rather than reading the server function's answer).
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}
