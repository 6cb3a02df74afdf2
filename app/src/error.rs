//! The one error a browser ever sees. It carries no internal detail: the conversion from the
//! domain error (on the server) is the one place that logs internals and sets the HTTP status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A message about one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 401: not signed in, or the session ended.
    #[error("Please sign in to continue.")]
    Unauthenticated,
    /// 401: sign-in failed.
    #[error("The email or password is not correct.")]
    BadCredentials,
    /// 429: too many failed sign-ins; the same message whether or not the account exists.
    #[error("Too many attempts; try again in {minutes} minutes.")]
    TooManyAttempts { minutes: i64 },
    /// 403: signed in, but not allowed to do this.
    #[error("You do not have permission to do this.")]
    Forbidden,
    /// 403: a sensitive action (role changes, resetting two-factor sign-in, disabling people,
    /// exporting everything) needs the password (and code) entered again first, at
    /// /account/confirm; the pages show a link there.
    #[error("For this, confirm it is you: enter your password again (and a code, with two-factor sign-in).")]
    StepUpRequired,
    /// 403: the user's role must use two-factor sign-in, and they have not set it up: they may
    /// look, but change nothing until they do (on /account).
    #[error("Your role must use two-factor sign-in: set it up on your account page first, then try again.")]
    TwoFactorRequired,
    /// 404: missing, or not visible to this user.
    #[error("Not found.")]
    NotFound,
    /// 422: some fields need fixing; each message belongs beside its field.
    #[error("Some fields need your attention.")]
    Validation(Vec<FieldMessage>),
    /// 409: the change conflicts with the current state; the message says what to do.
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    /// 400: the request itself could not be read (a malformed or oversized body).
    #[error("The request could not be read. Reload the page and try again.")]
    BadRequest,
    /// 413: the request is larger than Rampart accepts at that address.
    #[error("This is more than Rampart accepts at once: a CSV file may be at most 1 MB, and a form far less.")]
    TooLarge,
    /// 403: a state change that did not come from Rampart's own pages.
    #[error("This request did not come from Rampart and was refused.")]
    CrossSite,
    /// Client side only: the server could not be reached.
    #[error("Rampart could not be reached. Check your connection and try again.")]
    Network,
    /// 500: something failed on the server; details are in the server log.
    #[error("Something went wrong on our side. Please try again; if it keeps happening, tell your administrator.")]
    Internal,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => 401,
            AppError::Forbidden | AppError::CrossSite | AppError::StepUpRequired | AppError::TwoFactorRequired => 403,
            AppError::NotFound => 404,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Validation(_) => 422,
            AppError::Conflict { .. } => 409,
            AppError::BadRequest => 400,
            AppError::TooLarge => 413,
            AppError::Network => 503,
            AppError::Internal => 500,
        }
    }

    /// The message to show beside `field`, if any.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(fields) => fields.iter().find(|f| f.field == field).map(|f| f.message.clone()),
            AppError::Conflict { field: Some(f), message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The message for the top of a form: field problems are summarised, others said in full.
    pub fn summary(&self) -> String {
        self.to_string()
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::BadRequest
            }
            ServerFnErrorErr::Request(_) => AppError::Network,
            _ => AppError::Internal,
        };
        #[cfg(feature = "ssr")]
        {
            tracing::info!(?value, "server function request failed before it ran");
            set_status(&error);
        }
        error
    }
}

#[cfg(feature = "ssr")]
impl From<domain::DomainError> for AppError {
    fn from(err: domain::DomainError) -> Self {
        use domain::DomainError as D;
        let error = match err {
            D::NotFound => AppError::NotFound,
            D::Unauthenticated => AppError::Unauthenticated,
            D::BadCredentials => AppError::BadCredentials,
            D::Throttled { minutes } => AppError::TooManyAttempts { minutes },
            D::Forbidden => AppError::Forbidden,
            D::StepUpRequired => AppError::StepUpRequired,
            D::TwoFactorRequired => AppError::TwoFactorRequired,
            D::Validation(fields) => AppError::Validation(
                fields.into_iter().map(|f| FieldMessage { field: f.field, message: f.message }).collect(),
            ),
            D::Conflict { field, message } => AppError::Conflict { field, message },
            D::Internal(source) => {
                tracing::error!(error = %source, source = ?source, "internal error");
                AppError::Internal
            }
        };
        set_status(&error);
        error
    }
}

/// Answers the current request with the error's status, except for a plain HTML form post:
/// that is redirected back to its page with the error in the URL, and a status would break
/// the redirect.
#[cfg(feature = "ssr")]
pub fn set_status(error: &AppError) {
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else { return };
    if !is_plain_form_post() {
        response
            .set_status(http::StatusCode::from_u16(error.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// Whether the current request is an HTML form posted without JavaScript (the browser then
/// follows a redirect rather than reading the server function's answer).
#[cfg(feature = "ssr")]
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}
