//! The audit log page: filters as a plain GET form (they live in the URL), the entries newest
//! first, a pager, the CSV export of what the filters select, and a check of the whole chain.

use super::api::list_audit;
use super::types::{AuditPage, AuditQuery, Verification};
use crate::components::{
    options, Choices, Column, DataTable, EmptyState, ErrorPanel, FilterBar, Loading, NoMatch, PageError, PageTitle,
    SelectField, TextField, TimeAgo,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn query_from_url() -> Memo<AuditQuery> {
    let map = use_query_map();
    Memo::new(move |_| {
        let m = map.read();
        let text = |key: &str| m.get(key).filter(|s| !s.trim().is_empty());
        AuditQuery {
            client: text("client"),
            actor: text("actor"),
            action: text("action"),
            from: text("from"),
            to: text("to"),
            page: m.get("page").and_then(|p| p.parse().ok()),
            verify: m.get("verify").is_some_and(|v| v == "1" || v == "on" || v == "true"),
        }
    })
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = query_from_url();
    let page = Resource::new(move || query.get(), list_audit);
    view! {
        <PageTitle text="Audit log"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match page.await {
                    Ok(page) => view! { <AuditBody page query=q/> }.into_any(),
                    // Bad filters: the form stays, with the message.
                    Err(error @ AppError::Validation(_)) => {
                        view! {
                            <Header/>
                            <FilterForm query=q.clone() clients=Vec::new()/>
                            <ErrorPanel error/>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p class="page-subtitle">
                    "Every change, sign-in and export, append-only and chained by SHA-256: each entry carries the hash of the one before."
                </p>
            </div>
        </header>
    }
}

#[component]
fn AuditBody(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let count = match page.total {
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    };
    let verify_href = query.href(|n| n.verify = true);
    view! {
        <Header/>
        <section class="card" aria-labelledby="chain-heading">
            <h2 id="chain-heading" class="card-title">"The chain"</h2>
            <p>
                "Latest entry " <strong>{format!("#{}", page.head_seq)}</strong> ", hash "
                <code class="hash">{page.head_hash.clone()}</code>
            </p>
            <p class="muted">
                "Keep this head elsewhere: " <code>"rampart audit verify --head SEQ:HASH"</code>
                " later proves that nothing up to it was rewritten."
            </p>
            {match page.verification.clone() {
                Some(v) => view! { <VerificationResult v/> }.into_any(),
                None => view! { <a class="btn btn-small" href=verify_href>"Verify the whole chain"</a> }.into_any(),
            }}
        </section>
        <FilterForm query=query.clone() clients=page.clients.clone()/>
        <Chips query=query.clone() clients=page.clients.clone()/>
        <div class="page-actions">
            <p class="muted">{count}</p>
            <a class="btn btn-small" href=query.export_href() rel="external">"Export these entries (CSV)"</a>
        </div>
        {if page.entries.is_empty() {
            view! {
                {if query.is_filtered() {
                    view! { <NoMatch what="entry" clear="/audit" whole=" to see the whole log."/> }.into_any()
                } else {
                    view! { <EmptyState heading="The log is empty" text="Entries appear here as soon as anything changes."/> }
                        .into_any()
                }}
            }
                .into_any()
        } else {
            view! { <EntryTable page=page.clone() query=query.clone()/> }.into_any()
        }}
    }
}

#[component]
fn VerificationResult(v: Verification) -> impl IntoView {
    match v.broken {
        None => view! {
            <div class="alert alert-success" role="status">
                {format!("Verified: all {} entries hold together; none was changed, removed or reordered.", v.entries)}
            </div>
        }
        .into_any(),
        Some((seq, reason)) => view! {
            <div class="alert alert-error" role="alert">
                {format!("The chain is broken at entry #{seq}: {reason}.")}
            </div>
        }
        .into_any(),
    }
}

#[component]
fn FilterForm(query: AuditQuery, clients: Vec<(String, String)>) -> impl IntoView {
    let client = query.client.clone().unwrap_or_default();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    view! {
        <FilterBar action="/audit" label="Filter the audit log">
            // A client given in the URL stays selectable even before the list is known.
            <SelectField
                id="audit-client"
                name="client"
                label="Client"
                choices=Choices::from(clients).keeping(&client).with_empty("All clients")
                selected=client.clone()
            />
            <TextField
                id="audit-actor"
                name="actor"
                label="Who"
                kind="search"
                maxlength=254
                placeholder="part of an e-mail address"
                value=text(&query.actor)
            />
            <TextField
                id="audit-action"
                name="action"
                label="Action"
                maxlength=64
                list="audit-actions"
                placeholder="grant, or grant.revoke"
                value=text(&query.action)
            />
            <datalist id="audit-actions">{options(vocabulary::ACTION_FAMILIES.into(), Signal::default())}</datalist>
            <TextField id="audit-from" name="from" label="From" kind="date" value=text(&query.from)/>
            <TextField id="audit-to" name="to" label="To" kind="date" value=text(&query.to)/>
        </FilterBar>
    }
}

#[component]
fn Chips(query: AuditQuery, clients: Vec<(String, String)>) -> impl IntoView {
    let mut chips: Vec<(String, String)> = Vec::new();
    if let Some(c) = &query.client {
        let name = clients.iter().find(|(s, _)| s == c).map(|(_, n)| n.clone()).unwrap_or_else(|| c.clone());
        chips.push((
            format!("Client: {name}"),
            query.href(|n| {
                n.client = None;
                n.page = None;
            }),
        ));
    }
    if let Some(a) = &query.actor {
        chips.push((
            format!("Who: {a}"),
            query.href(|n| {
                n.actor = None;
                n.page = None;
            }),
        ));
    }
    if let Some(a) = &query.action {
        chips.push((
            format!("Action: {a}"),
            query.href(|n| {
                n.action = None;
                n.page = None;
            }),
        ));
    }
    if let Some(d) = &query.from {
        chips.push((
            format!("From {d}"),
            query.href(|n| {
                n.from = None;
                n.page = None;
            }),
        ));
    }
    if let Some(d) = &query.to {
        chips.push((
            format!("To {d}"),
            query.href(|n| {
                n.to = None;
                n.page = None;
            }),
        ));
    }
    view! { <crate::components::FilterChips chips/> }
}

#[component]
fn EntryTable(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let pager = {
        let prev = (page.page > 1).then(|| query.href(|n| n.page = Some(page.page - 1)));
        let next = (page.page < page.pages).then(|| query.href(|n| n.page = Some(page.page + 1)));
        view! {
            <crate::components::Pager page=page.page pages=page.pages prev next prev_label="← Newer" next_label="Older →"/>
        }
    };
    view! {
        <DataTable
            label="Audit log entries"
            columns=vec![Column::num("#"), "When".into(), "Who".into(), "Action".into(), "Client".into(), "Object".into(), "What changed".into()]
        >
                    {page
                        .entries
                        .into_iter()
                        .map(|e| {
                            let action_href = query.href(|n| {
                                n.action = Some(e.action.clone());
                                n.page = None;
                            });
                            view! {
                                <tr>
                                    <td class="num" title=format!("hash {}", e.hash)>{e.seq}</td>
                                    <td><TimeAgo when=e.at/></td>
                                    <td>{e.actor}</td>
                                    <td><a href=action_href><code>{e.action.clone()}</code></a></td>
                                    <td>
                                        {e.client
                                            .map(|(slug, name)| view! { <a href=format!("/clients/{slug}")>{name}</a> })}
                                    </td>
                                    <td><code>{e.object}</code></td>
                                    <td>{e.summary}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
        {pager}
    }
}
