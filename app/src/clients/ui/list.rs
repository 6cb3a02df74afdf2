//! The client list: search, filters, chips and the table.

use crate::clients::api::list_clients;
use crate::clients::types::{tier_label, ClientList, ClientQuery};
use crate::components::{
    CheckField, Choices, EmptyState, ErrorPanel, FilterBar, Loading, NoMatch, PageTitle, SelectField, TextField,
    TierBadge, TimeAgo,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

pub(super) fn query_from_url() -> Memo<ClientQuery> {
    let map = use_query_map();
    Memo::new(move |_| {
        let m = map.read();
        ClientQuery {
            q: m.get("q").filter(|s| !s.trim().is_empty()),
            tier: m.get("tier").filter(|s| !s.is_empty()),
            tag: m.get("tag").filter(|s| !s.is_empty()),
            sort: m.get("sort").filter(|s| !s.is_empty()),
            archived: m.get("archived").is_some_and(|v| v == "1" || v == "on" || v == "true"),
            page: m.get("page").and_then(|p| p.parse().ok()),
        }
    })
}

#[component]
pub fn ClientListPage() -> impl IntoView {
    let query = query_from_url();
    let list = Resource::new(move || query.get(), list_clients);
    view! {
        <PageTitle text="Clients"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match list.await {
                    Ok(list) => view! { <ClientListBody list query=q/> }.into_any(),
                    Err(error) => {
                        view! {
                            <header class="page-header">
                                <h1>"Clients"</h1>
                            </header>
                            <ErrorPanel error/>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn ClientListBody(list: ClientList, query: ClientQuery) -> impl IntoView {
    let filtered = query.q.is_some() || query.tier.is_some() || query.tag.is_some() || query.archived;
    let count = match list.total {
        1 => "1 client".to_string(),
        n => format!("{n} clients"),
    };
    view! {
        <header class="page-header">
            <div>
                <h1>"Clients"</h1>
                <p class="page-subtitle">{count}</p>
            </div>
            <div class="page-actions">
                {list.can_create.then(|| view! { <a class="btn btn-primary" href="/clients/new">"New client"</a> })}
            </div>
        </header>
        <FilterForm query=query.clone() tags=list.tags.clone()/>
        <Chips query=query.clone()/>
        {if list.items.is_empty() {
            view! {
                {if filtered {
                    view! { <NoMatch what="client" clear="/clients" whole=" to see every client."/> }.into_any()
                } else if list.can_create {
                    view! {
                        <EmptyState heading="No clients yet" text="Add the first organisation you look after.">
                            <a class="btn btn-primary" href="/clients/new">"Add your first client"</a>
                        </EmptyState>
                    }
                        .into_any()
                } else {
                    view! {
                        <EmptyState
                            heading="No clients to show"
                            text="No client has been assigned to you yet. Ask a manager to assign you."
                        />
                    }
                        .into_any()
                }}
            }
                .into_any()
        } else {
            view! { <ClientTable list=list.clone() query=query.clone()/> }.into_any()
        }}
    }
}

#[component]
pub(super) fn FilterForm(query: ClientQuery, tags: Vec<String>) -> impl IntoView {
    view! {
        <FilterBar action="/clients" label="Filter clients">
            <TextField id="filter-q" name="q" label="Search clients" kind="search" value=query.q.clone().unwrap_or_default() maxlength=100/>
            <SelectField
                id="filter-tier"
                name="tier"
                label="Impact tier"
                choices=Choices::from(vocabulary::IMPACT_TIERS).with_empty("All tiers")
                selected=query.tier.clone().unwrap_or_default()
            />
            <SelectField
                id="filter-tag"
                name="tag"
                label="Tag"
                choices=Choices::from(tags).with_empty("All tags")
                selected=query.tag.clone().unwrap_or_default()
            />
            <SelectField
                id="filter-sort"
                name="sort"
                label="Sort by"
                choices=vocabulary::CLIENT_SORTS
                selected=query.sort.clone().unwrap_or_else(|| "name".into())
            />
            <CheckField name="archived" label="Show archived" checked=query.archived/>
        </FilterBar>
    }
}

#[component]
pub(super) fn Chips(query: ClientQuery) -> impl IntoView {
    let mut chips: Vec<(String, String)> = Vec::new();
    if let Some(q) = &query.q {
        chips.push((
            format!("Search: {q}"),
            query.href(|n| {
                n.q = None;
                n.page = None;
            }),
        ));
    }
    if let Some(t) = &query.tier {
        chips.push((
            format!("Tier: {}", tier_label(t)),
            query.href(|n| {
                n.tier = None;
                n.page = None;
            }),
        ));
    }
    if let Some(t) = &query.tag {
        chips.push((
            format!("Tag: {t}"),
            query.href(|n| {
                n.tag = None;
                n.page = None;
            }),
        ));
    }
    if query.archived {
        chips.push((
            "Including archived".into(),
            query.href(|n| {
                n.archived = false;
                n.page = None;
            }),
        ));
    }
    view! { <crate::components::FilterChips chips/> }
}

#[component]
pub(super) fn ClientTable(list: ClientList, query: ClientQuery) -> impl IntoView {
    let current = query.sort.clone().unwrap_or_else(|| "name".into());
    let sort_header = {
        let query = query.clone();
        let current = current.clone();
        move |label: &'static str, asc: &'static str, desc: Option<&'static str>| {
            let active = current == asc || desc.is_some_and(|d| current == d);
            let next = if current == asc { desc.unwrap_or(asc) } else { asc };
            let aria_sort = match (active, desc.is_some_and(|d| current == d)) {
                (false, _) => None,
                (true, true) => Some("descending"),
                (true, false) => Some(if asc == "updated" { "descending" } else { "ascending" }),
            };
            let href = query.href(|n| {
                n.sort = Some(next.to_string());
                n.page = None;
            });
            view! {
                <th scope="col" aria-sort=aria_sort>
                    <a href=href class:sort-active=active>{label}</a>
                </th>
            }
        }
    };
    let pager = {
        let prev = (list.page > 1).then(|| query.href(|n| n.page = Some(list.page - 1)));
        let next = (list.page < list.pages).then(|| query.href(|n| n.page = Some(list.page + 1)));
        view! {
            <crate::components::Pager page=list.page pages=list.pages prev next prev_label="← Previous" next_label="Next →"/>
        }
    };
    view! {
        <div class="table-wrap">
            <table class="data" aria-label="Clients">
                <thead>
                    <tr>
                        {sort_header("Name", "name", Some("-name"))}
                        {sort_header("Impact tier", "tier", None)}
                        <th scope="col">"Sector"</th>
                        <th scope="col">"Tags"</th>
                        <th scope="col">"Primary contact"</th>
                        {sort_header("Changed", "updated", None)}
                    </tr>
                </thead>
                <tbody>
                    {list
                        .items
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr>
                                    <td>
                                        <a href=format!("/clients/{}", c.slug)>{c.name}</a>
                                        {c.archived.then(|| view! { " " <span class="badge badge-archived">"Archived"</span> })}
                                    </td>
                                    <td>
                                        <TierBadge tier=c.impact_tier/>
                                    </td>
                                    <td>{c.sector}</td>
                                    <td>
                                        {c.tags.into_iter().map(|t| view! { <span class="tag">{t}</span> " " }).collect_view()}
                                    </td>
                                    <td>{c.contact_name}</td>
                                    <td>
                                        <TimeAgo when=c.updated/>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {pager}
    }
}
