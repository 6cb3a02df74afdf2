//! A message for the next page, shown once: what a form did when the browser posted it itself.
//!
//! The pages are rendered on the server and their forms posted by the browser itself (only
//! islands are hydrated): a posted form is redirected back to its page, which knows nothing of
//! the answer. So the server function keeps its message ("Settings saved.") in the session, and
//! the frame of the next page shows it and lets it go. A script's call (an island, an API
//! client) reads the answer instead.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server;

/// The session key of the message waiting for the next page.
#[cfg(feature = "ssr")]
pub const KEY: &str = "rampart.flash";

/// Keeps `message` for the next page when this request is a form posted without JavaScript
/// (a call from a script reads the answer instead, and its page says what was done). Called
/// once the change is made: a message that cannot be kept is logged, never turned into an
/// error of a change that was made.
#[cfg(feature = "ssr")]
pub async fn after_plain_post(message: impl Into<String>) {
    if !crate::state::is_plain_form_post() {
        return;
    }
    let kept = match crate::auth::session().await {
        Ok(session) => session.insert(KEY, message.into()).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "a message for the next page could not be kept in the session");
    }
}

/// The message waiting for this page, if any, taken out of the session (anyone may ask: it is
/// their own session's).
#[server(prefix = "/api", endpoint = "flash/take")]
pub async fn take_flash() -> Result<Option<String>, AppError> {
    let session = crate::auth::session().await?;
    crate::auth::take_once::<String>(&session, KEY).await.map_err(|e| {
        tracing::error!(error = %e, "the message for this page could not be read from the session");
        AppError::Internal
    })
}

/// Shows the message waiting for this page, once.
#[component]
pub fn Flash() -> impl IntoView {
    let message = Resource::new(|| (), |_| take_flash());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                message
                    .await
                    .ok()
                    .flatten()
                    .map(|text| view! { <div class="alert alert-success flash" role="status">{text}</div> })
            })}
        </Suspense>
    }
}
