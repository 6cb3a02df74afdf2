//! Client pages: the list, one client, and the create and edit forms.

mod client;
mod edit;
mod list;

pub use client::ClientPage;
pub use edit::{EditClientPage, NewClientPage};
pub use list::ClientListPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}
