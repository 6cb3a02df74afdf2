//! The router's state, which the handlers take and the router is built with.

use app::state::AppState;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// The router's state: what Leptos needs to render, and what server functions need. Shared:
/// every middleware layer clones the services below it at each request (axum's `from_fn`), the
/// handlers' state with them, so a clone is one reference more.
#[derive(Clone)]
pub struct ServerState(Arc<Parts>);

pub struct Parts {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    /// The MSP's name and logo on the review packs.
    pub branding: crate::config::Branding,
}

impl ServerState {
    pub fn new(parts: Parts) -> ServerState {
        ServerState(Arc::new(parts))
    }
}

impl std::ops::Deref for ServerState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}
