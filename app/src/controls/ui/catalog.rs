//! The control catalog: every category with its controls and their references.

use super::*;
use crate::clients::types::tier_label;
use crate::components::{columns, Choices, DataTable, FilterBar, SelectField, TextField};
use crate::components::{ErrorPanel, Loading, PageTitle};
use crate::controls::api::list_catalog;
use crate::controls::types::{severities, severity_label, CatalogView};
use leptos::prelude::*;

#[component]
pub fn CatalogPage() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| list_catalog(false));
    let category = query_value("category");
    let severity = query_value("severity");
    let search = query_value("q");
    view! {
        <PageTitle text="Control catalog"/>
        <header class="page-header">
            <div>
                <h1>"Control catalog"</h1>
                <p class="page-subtitle">
                    "The hardening controls Rampart tracks for every client, with where each comes from."
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match catalog.await {
                    Ok(catalog) => {
                        view! {
                            <CatalogBody
                                catalog
                                category=category.get_untracked()
                                severity=severity.get_untracked()
                                search=search.get_untracked()
                            />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CatalogBody(
    catalog: CatalogView,
    category: Option<String>,
    severity: Option<String>,
    search: Option<String>,
) -> impl IntoView {
    let needle = search.clone().map(|s| s.to_lowercase());
    let min_severity: i64 = severity.as_deref().and_then(|s| s.parse().ok()).unwrap_or(1);
    let shown: Vec<_> = catalog
        .controls
        .into_iter()
        .filter(|c| category.as_ref().is_none_or(|cat| &c.category_id == cat))
        .filter(|c| c.severity >= min_severity)
        .filter(|c| {
            needle.as_ref().is_none_or(|n| {
                c.id.to_lowercase().contains(n)
                    || c.title.to_lowercase().contains(n)
                    || c.description.to_lowercase().contains(n)
            })
        })
        .collect();
    let count = format!("{} controls", shown.len());
    let selected_category = category.clone().unwrap_or_default();
    let can_manage = catalog.can_manage;
    let category_choices = Choices(catalog.categories.iter().map(|c| (c.id.clone(), c.name.clone())).collect())
        .with_empty("All categories");
    view! {
        {can_manage
            .then(|| {
                view! {
                    <p>
                        <a class="btn btn-primary" href="/catalog/new">"New control"</a>
                    </p>
                }
            })}
        <FilterBar action="/catalog" label="Filter controls">
            <TextField id="catalog-q" name="q" label="Search controls" kind="search" value=search.unwrap_or_default() maxlength=100/>
            <SelectField
                id="catalog-category"
                name="category"
                label="Category"
                choices=category_choices
                selected=selected_category
            />
            <SelectField
                id="catalog-severity"
                name="severity"
                label="Minimum severity"
                choices=severities()
                selected=min_severity.to_string()
            />
        </FilterBar>
        <p class="muted">{count}</p>
        {catalog
            .categories
            .into_iter()
            .filter_map(|cat| {
                let controls: Vec<_> = shown.iter().filter(|c| c.category_id == cat.id).cloned().collect();
                (!controls.is_empty()).then(|| {
                    let heading_id = format!("category-{}", cat.id);
                    let labelled_by = heading_id.clone();
                    view! {
                        <section class="card" aria-labelledby=labelled_by>
                            <h2 id=heading_id class="card-title">{format!("{} · {}", cat.id, cat.name)}</h2>
                            <p class="muted">{cat.description}</p>
                            <DataTable label=cat.name.clone() columns=columns(["ID", "Control", "Severity", "Review", "Applies to", "Baseline", "References"])>
                                {controls
                                    .into_iter()
                                    .map(|c| {
                                        view! {
                                            <tr>
                                                <td>
                                                    <strong>{c.id.clone()}</strong>
                                                    {(!c.built_in)
                                                        .then(|| view! { <br/> <span class="badge badge-muted">"Custom"</span> })}
                                                    {(!c.built_in && can_manage)
                                                        .then(|| {
                                                            let href = format!("/catalog/{}/edit", c.id);
                                                            let label = format!("Edit {}", c.id);
                                                            view! { <br/> <a href=href aria-label=label>"Edit"</a> }
                                                        })}
                                                </td>
                                                <td>
                                                    <strong>{c.title}</strong>
                                                    <br/>
                                                    <span class="muted">{c.description}</span>
                                                </td>
                                                <td class="num">{severity_label(c.severity)}</td>
                                                <td>{c.review}</td>
                                                <td>{c.applies_to}</td>
                                                <td>{c.tiers.iter().map(|t| tier_label(t)).collect::<Vec<_>>().join(", ")}</td>
                                                <td>
                                                    <ul class="references">
                                                        {c
                                                            .references
                                                            .into_iter()
                                                            .map(|r| {
                                                                view! {
                                                                    <li>
                                                                        {format!("{} {}", r.source, r.item)}
                                                                        {(!r.verified)
                                                                            .then(|| {
                                                                                view! {
                                                                                    " "
                                                                                    <span
                                                                                        class="badge badge-muted"
                                                                                        title="Not confirmed against the source text"
                                                                                    >
                                                                                        "unverified"
                                                                                    </span>
                                                                                }
                                                                            })}
                                                                    </li>
                                                                }
                                                            })
                                                            .collect_view()}
                                                    </ul>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </DataTable>
                        </section>
                    }
                })
            })
            .collect_view()}
    }
}
