//! The one domain error type. The web layer turns it into the client-facing error and an HTTP
//! status; internals are logged there and never shown.

use serde::{Deserialize, Serialize};

/// A message about one input field, safe to show to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// 404: the object does not exist, or the actor may not see it (existence is data too).
    #[error("not found")]
    NotFound,
    /// 401: no signed-in user.
    #[error("not signed in")]
    Unauthenticated,
    /// 401: sign-in failed; deliberately does not say whether the email exists.
    #[error("wrong email or password")]
    BadCredentials,
    /// 429: too many failed sign-ins for this account or address; allowed again in `minutes`.
    #[error("too many sign-in attempts; allowed again in {minutes} minutes")]
    Throttled { minutes: i64 },
    /// 403: the actor may see the object but not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// 403: a sensitive action needs the actor to have confirmed their identity (password, and
    /// code when two-factor sign-in is on) within the last minutes; see `identity::step_up`.
    #[error("a recent confirmation of identity is required")]
    StepUpRequired,
    /// 403: the actor's role must use two-factor sign-in, and they have not set it up yet:
    /// until they do, they may read but change nothing (see `authz`).
    #[error("two-factor sign-in must be set up first")]
    TwoFactorRequired,
    /// 422: input failed validation; each message is safe to show beside its field.
    #[error("invalid input: {0:?}")]
    Validation(Vec<FieldError>),
    /// 409: the change conflicts with the current state; the message is safe to show.
    #[error("conflict: {message}")]
    Conflict { field: Option<String>, message: String },
    /// 500: anything else. The source is logged by the web layer, never shown.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DomainError {
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Conflict { field: field.map(str::to_owned), message: message.into() }
    }
}

impl From<sqlx::Error> for DomainError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            // PostgreSQL refuses text it cannot store (a NUL byte, say: SQLSTATE 22021, 22P05).
            // That is the input's fault, and the person can fix it.
            sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("22021" | "22P05")) => {
                Self::invalid("text", "Text cannot contain NUL or other unstorable characters.")
            }
            other => Self::internal(other),
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
