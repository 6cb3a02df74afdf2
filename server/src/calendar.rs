//! Each user's iCalendar feed of the review schedule, at `/calendar/{secret}.ics`. Calendar
//! programs fetch it without a session: the secret in the address is the credential, so an
//! unknown or rotated secret (or a disabled user) is simply not found.

use crate::security::error_response;
use crate::state::ServerState;
use app::error::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The route, as axum names it.
pub const FEED_PATH: &str = "/calendar/{file}";

pub async fn feed(State(state): State<ServerState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return error_response("/calendar", AppError::NotFound);
    };
    let now = domain::clock::now();
    match domain::reviews::feed::feed(&state.app.db, token, &domain::clock::calendar(), &state.app.public_url, now)
        .await
    {
        Ok(ics) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300")),
            ],
            ics,
        )
            .into_response(),
        Err(error) => error_response("/calendar", AppError::from(error)),
    }
}
