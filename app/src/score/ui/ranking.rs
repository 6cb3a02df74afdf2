//! The full ranking of clients by priority.

use super::*;
use crate::components::{crumb, Breadcrumbs};
use crate::components::{Column, DataTable};
use crate::components::{Loading, PageError, PageTitle, TierBadge};
use crate::score::api::get_ranking;
use crate::score::types::{RankedView, RankingView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub(super) fn RankTable(items: Vec<RankedView>, label: &'static str) -> impl IntoView {
    view! {
        <DataTable label=label columns=vec![Column::num("#"), "Client".into(), "Tier".into(), Column::num("Score"), "Band".into(), Column::num("Priority"), "Largest reason".into()]>
            {items
                .into_iter()
                .map(|c| {
                    view! {
                        <tr>
                            <td class="num">{c.rank}</td>
                            <td>
                                <a href=format!("/clients/{}", c.slug)>{c.name}</a>
                            </td>
                            <td>
                                <TierBadge tier=c.tier/>
                            </td>
                            <td class="num">{c.posture.map(|p| p.to_string()).unwrap_or_else(|| "–".into())}</td>
                            <td>
                                <BandBadge band=c.band label=c.band_label/>
                            </td>
                            <td class="num">{c.priority.unwrap_or_else(|| "–".into())}</td>
                            <td>{c.reason.unwrap_or_default()}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
}

/// `/portfolio/ranking`: every client, ranked by priority.
#[component]
pub fn RankingPage() -> impl IntoView {
    let query = use_query_map();
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u32>().ok()));
    let ranking = Resource::new(move || page.get(), get_ranking);
    view! {
        <PageTitle text="Clients by priority"/>
        <Breadcrumbs trail=vec![crumb("Portfolio", "/")] here="Clients by priority"/>
        <header class="page-header">
            <div>
                <h1>"Clients by priority"</h1>
                <p class="page-subtitle">
                    "Priority = (100 − score) × impact tier: the gap of a critical client weighs more. "
                    <a href="/score">"How the score works"</a>
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match ranking.await {
                    Ok(r) => view! { <RankingBody r/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn RankingBody(r: RankingView) -> impl IntoView {
    if r.items.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No client to rank yet."</p>
                <a class="btn" href="/clients">"See the clients"</a>
            </div>
        }
        .into_any();
    }
    let pager = (r.pages > 1).then(|| {
        let prev = (r.page > 1).then(|| format!("/portfolio/ranking?page={}", r.page - 1));
        let next = (r.page < r.pages).then(|| format!("/portfolio/ranking?page={}", r.page + 1));
        view! {
            <nav class="pager" aria-label="Pages">
                {match prev {
                    Some(href) => view! { <a href=href rel="prev">"← Previous"</a> }.into_any(),
                    None => view! { <span aria-disabled="true">"← Previous"</span> }.into_any(),
                }}
                <span>{format!("Page {} of {}", r.page, r.pages)}</span>
                {match next {
                    Some(href) => view! { <a href=href rel="next">"Next →"</a> }.into_any(),
                    None => view! { <span aria-disabled="true">"Next →"</span> }.into_any(),
                }}
            </nav>
        }
    });
    view! {
        <super::UpdatingNote updating=r.updating/>
        <p class="muted">{format!("{} clients", r.total)}</p>
        <RankTable items=r.items label="Clients by priority"/>
        {pager}
    }
    .into_any()
}
