//! The router's state, which the handlers take and the router is built with.

use app::state::AppState;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

/// The router's state: what Leptos needs to render, and what server functions need.
#[derive(Clone)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    /// The MSP's name and logo on the review packs.
    pub branding: crate::config::Branding,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}
