//! Control pages, one file each: the catalog, a client's checklist, one client's control, the
//! overdue evidence, custom controls, and the hardening summary on a client's page.

mod catalog;
mod checklist;
mod control;
mod custom;
mod overdue;
mod summary;

pub use catalog::CatalogPage;
pub use checklist::ChecklistPage;
pub use control::ClientControlPage;
pub use custom::{EditControlPage, NewControlPage};
pub use overdue::OverduePage;
pub use summary::HardeningSummary;

use crate::components::TimeAgo;
use crate::controls::types::{exception_label, status_label, ExceptionView, ItemView};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Status as text with a mark from the style and a colour, never colour alone.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let class = format!("badge badge-status-{status}");
    view! { <span class=class>{status_label(&status)}</span> }
}

#[component]
fn DueText(item: ItemView) -> impl IntoView {
    match item.due {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(due) if item.stale => view! {
            <span class="badge badge-overdue">"Overdue"</span>
            " "
            <TimeAgo when=due/>
        }
        .into_any(),
        Some(due) => view! { <TimeAgo when=due/> }.into_any(),
    }
}

fn query_value(name: &'static str) -> Memo<Option<String>> {
    let map = use_query_map();
    Memo::new(move |_| map.read().get(name).filter(|v| !v.is_empty()))
}

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

#[component]
fn ExceptionBadge(exception: ExceptionView) -> impl IntoView {
    let class = format!("badge badge-exception-{}", exception.state);
    view! { <span class=class>{exception_label(&exception.state)}</span> }
}
