//! What server functions need from the server: provided as context by the server crate both to
//! page renders and to server-function calls.

use crate::error::AppError;
use domain::Db;
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    /// Roles that must use two-factor sign-in (RAMPART_MFA_REQUIRED_ROLES): the actor carries
    /// it, and the domain refuses their changes until they have set it up.
    pub two_factor_roles: Vec<domain::Role>,
    /// Roles that must use a passkey (RAMPART_PASSKEY_REQUIRED_ROLES): an app is not enough.
    pub passkey_roles: Vec<domain::Role>,
    /// This site as WebAuthn's relying party (from the public address); `None` where browsers
    /// allow no passkeys (a numeric address other than loopback).
    pub passkeys: Option<domain::identity::passkeys::RelyingParty>,
    /// The address users reach Rampart at (RAMPART_PUBLIC_URL, or where it listens), for the
    /// links it writes; never guessed from a request's headers.
    pub public_url: String,
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

/// Values one request read, kept for the rest of it (the server provides one of each kind per
/// request, to page renders and server-function calls alike). A page's server functions start
/// at once and several begin with the same read (the signed-in user, the client, the service
/// levels): the first reads, and those that ask meanwhile wait for it rather than read too.
/// Every key names the acting user, so that a value read for one user is never given to
/// another. For read-only server functions: a change made later in the same request is not
/// seen.
pub struct RequestKept<K, V>(std::sync::Arc<tokio::sync::Mutex<Vec<(K, V)>>>);

impl<K, V> Clone for RequestKept<K, V> {
    fn clone(&self) -> Self {
        RequestKept(self.0.clone())
    }
}

impl<K, V> Default for RequestKept<K, V> {
    fn default() -> Self {
        RequestKept(Default::default())
    }
}

impl<K: PartialEq, V: Clone> RequestKept<K, V> {
    /// The value kept under `key`, or `read`'s, kept when it succeeds.
    pub async fn get_or_read<E>(&self, key: K, read: impl std::future::Future<Output = Result<V, E>>) -> Result<V, E> {
        let mut kept = self.0.lock().await;
        if let Some((_, value)) = kept.iter().find(|(k, _)| *k == key) {
            return Ok(value.clone());
        }
        let value = read.await?;
        kept.push((key, value.clone()));
        Ok(value)
    }
}

/// `read`'s value, kept for the rest of the request under `key` (see [`RequestKept`]); read
/// every time where the server provides none (a unit test, a tool).
pub async fn kept_for_request<K, V, E>(key: K, read: impl std::future::Future<Output = Result<V, E>>) -> Result<V, E>
where
    K: PartialEq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    match use_context::<RequestKept<K, V>>() {
        Some(kept) => kept.get_or_read(key, read).await,
        None => read.await,
    }
}

// How an error answers the request lives with the error.
pub use crate::error::{is_plain_form_post, set_status};

#[cfg(test)]
mod tests {
    use super::RequestKept;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_value_is_read_once_per_key_and_a_failed_read_is_not_kept() {
        let kept: RequestKept<Option<i64>, String> = RequestKept::default();
        let reads = AtomicUsize::new(0);
        let read = |value: &'static str| {
            let reads = &reads;
            async move {
                reads.fetch_add(1, Ordering::SeqCst);
                // Let the others ask while this read is under way.
                tokio::task::yield_now().await;
                Ok::<_, ()>(value.to_string())
            }
        };
        let (a, b, c) = tokio::join!(
            kept.get_or_read(Some(1), read("first")),
            kept.get_or_read(Some(1), read("second")),
            kept.get_or_read(Some(2), read("another user's")),
        );
        assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), ("first".into(), "first".into(), "another user's".into()));
        assert_eq!(reads.load(Ordering::SeqCst), 2, "one read per key; the second asker waited for the first");

        let failed = kept.get_or_read(Some(3), async { Err::<String, _>("down") }).await;
        assert_eq!(failed, Err("down"));
        assert_eq!(kept.get_or_read(Some(3), read("later")).await.unwrap(), "later", "a failure is not kept");
    }
}
