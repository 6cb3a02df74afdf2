//! A client's hardening checklist, with bulk changes.

use super::*;
use crate::clients::types::tier_label;
use crate::components::{crumb, Breadcrumbs};
use crate::components::{
    CheckField, Choices, FieldErrorText, FilterBar, Loading, NoMatch, PageError, PageTitle, SelectField, TextField,
    TimeAgo,
};
use crate::components::{Column, DataTable};
use crate::controls::api::{get_checklist, BulkUpdateControls};
use crate::controls::types::{severities, severity_label, ChecklistView, ItemView};
use leptos::prelude::*;

#[component]
pub fn ChecklistPage() -> impl IntoView {
    let slug = slug_param();
    let bulk = ServerAction::<BulkUpdateControls>::new();
    let checklist = Resource::new(move || (slug.get(), bulk.version().get()), |(slug, _)| get_checklist(slug));
    let status = query_value("status");
    let severity = query_value("severity");
    let overdue = query_value("overdue");
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match checklist.await {
                    Ok(list) => {
                        view! {
                            <ChecklistBody
                                list
                                bulk
                                status=status.get_untracked()
                                severity=severity.get_untracked()
                                overdue=overdue.get_untracked().is_some()
                            />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChecklistBody(
    list: ChecklistView,
    bulk: ServerAction<BulkUpdateControls>,
    status: Option<String>,
    severity: Option<String>,
    overdue: bool,
) -> impl IntoView {
    let can_edit = list.can_edit;
    let min_severity: i64 = severity.as_deref().and_then(|s| s.parse().ok()).unwrap_or(1);
    let counts: Vec<(String, usize)> = vocabulary::CONTROL_STATUSES
        .iter()
        .map(|(value, label)| (label.to_string(), list.items.iter().filter(|i| i.status == *value).count()))
        .collect();
    let overdue_count = list.items.iter().filter(|i| i.stale).count();
    let shown: Vec<ItemView> = list
        .items
        .iter()
        .filter(|i| status.as_ref().is_none_or(|s| &i.status == s))
        .filter(|i| i.severity >= min_severity)
        .filter(|i| !overdue || i.stale)
        .cloned()
        .collect();
    let slug = list.client_slug.clone();
    let selected_status = status.clone().unwrap_or_default();
    view! {
        <PageTitle text=format!("Hardening · {}", list.client_name)/>
        <Breadcrumbs trail=vec![crumb("Clients", "/clients"), crumb(list.client_name.clone(), format!("/clients/{slug}"))] here="Hardening"/>
        <header class="page-header">
            <div>
                <h1>{format!("Hardening status of {}", list.client_name)}</h1>
                <p class="page-subtitle">
                    {format!(
                        "{} controls in the {} baseline",
                        list.items.len(),
                        tier_label(&list.client_tier).to_lowercase(),
                    )}
                </p>
            </div>
        </header>
        <section aria-labelledby="counts-heading">
            <h2 id="counts-heading" class="visually-hidden">"Controls by status"</h2>
            <div class="kpis">
                {counts
                    .into_iter()
                    .chain(std::iter::once(("Overdue".to_string(), overdue_count)))
                    .map(|(label, n)| {
                        let name = format!("{label}: {n}");
                        view! {
                            <div class="kpi" role="group" aria-label=name>
                                <span class="kpi-value">{n}</span>
                                <span class="kpi-label">{label}</span>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
        <FilterBar action=format!("/clients/{slug}/controls") label="Filter controls">
            <SelectField
                id="checklist-status"
                name="status"
                label="Status"
                choices=Choices::from(vocabulary::CONTROL_STATUSES).with_empty("All statuses")
                selected=selected_status
            />
            <SelectField
                id="checklist-severity"
                name="severity"
                label="Minimum severity"
                choices=severities()
                selected=min_severity.to_string()
            />
            <CheckField name="overdue" label="Overdue only" checked=overdue/>
        </FilterBar>
        {if shown.is_empty() {
            view! {
                <NoMatch what="control" clear=format!("/clients/{slug}/controls")/>
            }
                .into_any()
        } else if can_edit {
            view! {
                <ActionForm action=bulk attr:novalidate=true>
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <BulkBar bulk/>
                    <ChecklistTables categories=list.categories.clone() shown=shown.clone() slug=slug.clone() selectable=true/>
                </ActionForm>
            }
                .into_any()
        } else {
            view! { <ChecklistTables categories=list.categories.clone() shown=shown.clone() slug=slug.clone() selectable=false/> }
                .into_any()
        }}
    }
}

/// Sets one status on every selected control.
#[component]
fn BulkBar(bulk: ServerAction<BulkUpdateControls>) -> impl IntoView {
    let error = Signal::derive(move || bulk.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let done = move || bulk.value().get().and_then(Result::ok);
    view! {
        <section class="card bulk-bar" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading" class="card-title">"Change the selected controls"</h2>
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            {move || {
                done()
                    .map(|n| {
                        view! { <div class="alert alert-success" role="status">{crate::controls::types::updated_text(n)}</div> }
                    })
            }}
            <div class="filters">
                <SelectField id="bulk-status" name="status" label="New status" choices=vocabulary::CONTROL_STATUSES/>
                <TextField
                    id="bulk-justification"
                    name="justification"
                    label="Why not applicable"
                    maxlength=1000
                    error=at("justification")
                />
                <TextField id="bulk-note" name="note" label="Note for the history" maxlength=1000/>
                <CheckField name="verified_now" label="Verified now" value="on" checked=true/>
                <div class="field">
                    <button type="submit" class="btn btn-primary">"Apply to selected"</button>
                </div>
            </div>
            <FieldErrorText id="bulk-selected-error".to_string() error=at("selected")/>
        </section>
    }
}

fn checklist_columns(selectable: bool) -> Vec<Column> {
    let mut columns = if selectable { vec![Column::hidden("Select")] } else { Vec::new() };
    columns.extend(["Control", "Severity", "Status", "Verified", "Due"].map(Column::from));
    columns
}

#[component]
fn ChecklistTables(
    categories: Vec<crate::controls::types::CategoryView>,
    shown: Vec<ItemView>,
    slug: String,
    selectable: bool,
) -> impl IntoView {
    categories
        .into_iter()
        .filter_map(|cat| {
            let items: Vec<ItemView> = shown.iter().filter(|i| i.category_id == cat.id).cloned().collect();
            (!items.is_empty()).then(|| {
                let slug = slug.clone();
                let heading_id = format!("checklist-{}", cat.id);
                let labelled_by = heading_id.clone();
                view! {
                    <section class="card" aria-labelledby=labelled_by>
                        <h2 id=heading_id class="card-title">{cat.name.clone()}</h2>
                        <DataTable label=cat.name columns=checklist_columns(selectable)>
                            {items
                                .into_iter()
                                .map(|i| {
                                    let href = format!("/clients/{}/controls/{}", slug, i.control_id);
                                    let value = format!("{}:{}", i.control_id, i.version);
                                    let select_label = format!("Select {}", i.control_id);
                                    view! {
                                        <tr>
                                            {selectable
                                                .then(|| {
                                                    view! {
                                                        <td>
                                                            <input type="checkbox" name="selected[]" value=value aria-label=select_label/>
                                                        </td>
                                                    }
                                                })}
                                            <td>
                                                <a href=href>{format!("{} {}", i.control_id, i.title)}</a>
                                            </td>
                                            <td class="num">{severity_label(i.severity)}</td>
                                            <td>
                                                <StatusBadge status=i.status.clone()/>
                                                {i
                                                    .exception
                                                    .clone()
                                                    .filter(|e| e.state != "ended")
                                                    .map(|exception| view! { " " <ExceptionBadge exception/> })}
                                            </td>
                                            <td>
                                                {match i.last_verified.clone() {
                                                    Some(w) => view! { <TimeAgo when=w/> }.into_any(),
                                                    None => view! { <span class="muted">"never"</span> }.into_any(),
                                                }}
                                            </td>
                                            <td>
                                                <DueText item=i.clone()/>
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
        .collect_view()
}
