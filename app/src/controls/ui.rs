//! Control pages: the catalog, a client's checklist, and one client's control.

use super::api::{
    get_checklist, get_client_control, get_custom_control_form, list_catalog, list_overdue, ApproveException,
    BulkUpdateControls, EndException, RequestException, RetireCustomControl, SaveCustomControl, UpdateClientControl,
};
use super::types::{
    exception_label, severity_label, status_label, CatalogView, ChecklistSummary, ChecklistView, ControlDetailView,
    CustomControlForm, ExceptionView, ItemView, APPLIES_TO, REVIEWS, STATUSES,
};
use crate::clients::types::tier_label;
use crate::components::{ErrorPanel, FieldErrorText, Loading, PageError, PageTitle, TimeAgo};
use crate::error::AppError;
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
    view! {
        {can_manage
            .then(|| {
                view! {
                    <p>
                        <a class="btn btn-primary" href="/catalog/new">"New control"</a>
                    </p>
                }
            })}
        <form class="filters" method="get" action="/catalog" aria-label="Filter controls">
            <div class="field">
                <label for="catalog-q">"Search controls"</label>
                <input id="catalog-q" type="search" name="q" value=search.unwrap_or_default() maxlength="100"/>
            </div>
            <div class="field">
                <label for="catalog-category">"Category"</label>
                <select id="catalog-category" name="category">
                    <option value="" selected=selected_category.is_empty()>"All categories"</option>
                    {catalog
                        .categories
                        .iter()
                        .map(|c| {
                            let selected = c.id == selected_category;
                            view! { <option value=c.id.clone() selected=selected>{c.name.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="catalog-severity">"Minimum severity"</label>
                <select id="catalog-severity" name="severity">
                    {(1..=5)
                        .map(|s| {
                            view! { <option value=s.to_string() selected=s == min_severity>{severity_label(s)}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <button type="submit" class="btn">"Apply"</button>
            </div>
        </form>
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
                            <div class="table-wrap">
                                <table class="data" aria-label=cat.name.clone()>
                                    <thead>
                                        <tr>
                                            <th scope="col">"ID"</th>
                                            <th scope="col">"Control"</th>
                                            <th scope="col">"Severity"</th>
                                            <th scope="col">"Review"</th>
                                            <th scope="col">"Applies to"</th>
                                            <th scope="col">"Baseline"</th>
                                            <th scope="col">"References"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
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
                                    </tbody>
                                </table>
                            </div>
                        </section>
                    }
                })
            })
            .collect_view()}
    }
}

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

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
    let counts: Vec<(String, usize)> = STATUSES
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
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/clients">"Clients"</a>
                </li>
                <li>
                    <a href=format!("/clients/{slug}")>{list.client_name.clone()}</a>
                </li>
                <li aria-current="page">"Hardening"</li>
            </ol>
        </nav>
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
        <form class="filters" method="get" action=format!("/clients/{slug}/controls") aria-label="Filter controls">
            <div class="field">
                <label for="checklist-status">"Status"</label>
                <select id="checklist-status" name="status">
                    <option value="" selected=selected_status.is_empty()>"All statuses"</option>
                    {STATUSES
                        .into_iter()
                        .map(|(value, label)| {
                            view! { <option value=value selected=selected_status == value>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="checklist-severity">"Minimum severity"</label>
                <select id="checklist-severity" name="severity">
                    {(1..=5)
                        .map(|s| {
                            view! { <option value=s.to_string() selected=s == min_severity>{severity_label(s)}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field field-check">
                <label>
                    <input type="checkbox" name="overdue" value="1" checked=overdue/>
                    " Overdue only"
                </label>
            </div>
            <div class="field">
                <button type="submit" class="btn">"Apply"</button>
            </div>
        </form>
        {if shown.is_empty() {
            view! {
                <div class="empty-state">
                    <h2>"No control matches these filters"</h2>
                    <p>
                        <a href=format!("/clients/{slug}/controls")>"Clear the filters"</a>
                    </p>
                </div>
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
                        view! { <div class="alert alert-success" role="status">{super::types::updated_text(n)}</div> }
                    })
            }}
            <div class="filters">
                <div class="field">
                    <label for="bulk-status">"New status"</label>
                    <select id="bulk-status" name="status">
                        {STATUSES.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="bulk-justification">"Why not applicable"</label>
                    <input id="bulk-justification" name="justification" maxlength="1000"/>
                    <FieldErrorText id="bulk-justification-error".to_string() error=at("justification")/>
                </div>
                <div class="field">
                    <label for="bulk-note">"Note for the history"</label>
                    <input id="bulk-note" name="note" maxlength="1000"/>
                </div>
                <div class="field field-check">
                    <label>
                        <input type="checkbox" name="verified_now" value="on" checked=true/>
                        " Verified now"
                    </label>
                </div>
                <div class="field">
                    <button type="submit" class="btn btn-primary">"Apply to selected"</button>
                </div>
            </div>
            <FieldErrorText id="bulk-selected-error".to_string() error=at("selected")/>
        </section>
    }
}

#[component]
fn ChecklistTables(
    categories: Vec<super::types::CategoryView>,
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
                        <div class="table-wrap">
                            <table class="data" aria-label=cat.name>
                                <thead>
                                    <tr>
                                        {selectable.then(|| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                                        <th scope="col">"Control"</th>
                                        <th scope="col">"Severity"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Verified"</th>
                                        <th scope="col">"Due"</th>
                                    </tr>
                                </thead>
                                <tbody>
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
                                </tbody>
                            </table>
                        </div>
                    </section>
                }
            })
        })
        .collect_view()
}

#[component]
pub fn ClientControlPage() -> impl IntoView {
    let slug = slug_param();
    let params = use_params_map();
    let control_id = Memo::new(move |_| params.read().get("control_id").unwrap_or_default());
    let update = ServerAction::<UpdateClientControl>::new();
    let actions =
        ExceptionActions { request: ServerAction::new(), approve: ServerAction::new(), end: ServerAction::new() };
    let detail = Resource::new(
        move || {
            (
                slug.get(),
                control_id.get(),
                update.version().get(),
                actions.request.version().get(),
                actions.approve.version().get(),
                actions.end.version().get(),
            )
        },
        |(slug, control_id, ..)| get_client_control(slug, control_id),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ControlBody d update actions/> }.into_any(),
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The actions on a control's risk acceptance.
#[derive(Clone, Copy)]
struct ExceptionActions {
    request: ServerAction<RequestException>,
    approve: ServerAction<ApproveException>,
    end: ServerAction<EndException>,
}

#[component]
fn ExceptionBadge(exception: ExceptionView) -> impl IntoView {
    let class = format!("badge badge-exception-{}", exception.state);
    view! { <span class=class>{exception_label(&exception.state)}</span> }
}

#[component]
fn ExceptionCard(d: ControlDetailView, actions: ExceptionActions) -> impl IntoView {
    let error = move || {
        actions
            .request
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| actions.approve.value().get().and_then(Result::err))
            .or_else(|| actions.end.value().get().and_then(Result::err))
    };
    let at = move |field: &'static str| Signal::derive(move || error().and_then(|e| e.field_message(field)));
    let open = d.item.exception.clone().filter(|e| e.state != "ended");
    let can_request = d.can_request_exception && open.as_ref().is_none_or(|e| e.state == "expired");
    let slug = d.client_slug.clone();
    let control_id = d.control.id.clone();
    view! {
        <section class="card" aria-labelledby="exception-heading">
            <h2 id="exception-heading" class="card-title">"Risk acceptance"</h2>
            {move || error().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            {match d.item.exception.clone() {
                None => view! { <p class="muted">"No risk has been accepted for this control."</p> }.into_any(),
                Some(e) => {
                    let id = e.id;
                    view! {
                        <p>
                            <ExceptionBadge exception=e.clone()/>
                        </p>
                        <dl class="definition-list">
                            <dt>"Reason"</dt>
                            <dd>{e.reason.clone()}</dd>
                            <dt>"Asked for by"</dt>
                            <dd>
                                {e.requested_by.clone()} " "
                                <TimeAgo when=e.requested.clone()/>
                            </dd>
                            <dt>"Approved by"</dt>
                            <dd>
                                {match (e.approved_by.clone(), e.approved.clone()) {
                                    (Some(by), Some(w)) => {
                                        view! {
                                            {by} " "
                                            <TimeAgo when=w/>
                                        }
                                            .into_any()
                                    }
                                    _ => view! { "not yet: someone other than who asked must approve" }.into_any(),
                                }}
                            </dd>
                            <dt>"Expires"</dt>
                            <dd>
                                <time datetime=e.expires.iso.clone() title=e.expires.absolute.clone()>
                                    {e.expires.absolute.clone()}
                                </time>
                            </dd>
                        </dl>
                        <div class="form-actions">
                            {e
                                .can_approve
                                .then(|| {
                                    view! {
                                        <ActionForm action=actions.approve>
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="btn btn-primary">"Approve risk acceptance"</button>
                                        </ActionForm>
                                    }
                                })}
                            {e
                                .can_end
                                .then(|| {
                                    view! {
                                        <ActionForm action=actions.end>
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="btn btn-danger">"End risk acceptance"</button>
                                        </ActionForm>
                                    }
                                })}
                        </div>
                    }
                        .into_any()
                }
            }}
            {can_request
                .then(|| {
                    view! {
                        <ActionForm action=actions.request attr:class="stack" attr:novalidate=true>
                            <input type="hidden" name="slug" value=slug.clone()/>
                            <input type="hidden" name="control_id" value=control_id.clone()/>
                            <div class="form-grid">
                                <div class="field field-wide">
                                    <label for="field-reason">"Reason for accepting the risk"</label>
                                    <textarea
                                        id="field-reason"
                                        name="reason"
                                        rows="2"
                                        maxlength="1000"
                                        aria-invalid=move || at("reason").get().is_some().then_some("true")
                                    ></textarea>
                                    <FieldErrorText id="field-reason-error".to_string() error=at("reason")/>
                                </div>
                                <div class="field">
                                    <label for="field-expires_on">"Accepted until"</label>
                                    <input
                                        id="field-expires_on"
                                        name="expires_on"
                                        type="date"
                                        aria-describedby="field-expires_on-hint"
                                        aria-invalid=move || at("expires_on").get().is_some().then_some("true")
                                    />
                                    <p class="hint" id="field-expires_on-hint">"At most a year from today."</p>
                                    <FieldErrorText id="field-expires_on-error".to_string() error=at("expires_on")/>
                                </div>
                            </div>
                            <div class="form-actions">
                                <button type="submit" class="btn">"Ask for risk acceptance"</button>
                            </div>
                        </ActionForm>
                    }
                })}
            <FieldErrorText id="field-approved_by-error".to_string() error=at("approved_by")/>
        </section>
    }
}

#[component]
fn ControlBody(
    d: ControlDetailView,
    update: ServerAction<UpdateClientControl>,
    actions: ExceptionActions,
) -> impl IntoView {
    let slug = d.client_slug.clone();
    let c = d.control.clone();
    let item = d.item.clone();
    let internal = d.internal;
    view! {
        <PageTitle text=format!("{} · {}", c.id, d.client_name)/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/clients">"Clients"</a>
                </li>
                <li>
                    <a href=format!("/clients/{slug}")>{d.client_name.clone()}</a>
                </li>
                <li>
                    <a href=format!("/clients/{slug}/controls")>"Hardening"</a>
                </li>
                <li aria-current="page">{c.id.clone()}</li>
            </ol>
        </nav>
        <header class="page-header">
            <div>
                <h1>{format!("{} {}", c.id, c.title)}</h1>
                <p class="page-subtitle">
                    <StatusBadge status=item.status.clone()/>
                    " "
                    {item.exception.clone().filter(|e| e.state != "ended").map(|exception| view! { <ExceptionBadge exception/> " " })}
                    {format!("Severity {} · reviewed {}", severity_label(c.severity), c.review.to_lowercase())}
                </p>
            </div>
        </header>
        <div class="grid-2">
            <section class="card" aria-labelledby="about-heading">
                <h2 id="about-heading" class="card-title">"What it asks"</h2>
                <p>{c.description.clone()}</p>
                <h3>"References"</h3>
                <ul class="references">
                    {c
                        .references
                        .iter()
                        .map(|r| {
                            view! {
                                <li>
                                    {format!("{} {}", r.source, r.item)}
                                    {(!r.verified).then(|| view! { " " <span class="badge badge-muted">"unverified"</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
            <section class="card" aria-labelledby="state-heading">
                <h2 id="state-heading" class="card-title">"Current state"</h2>
                <dl class="definition-list">
                    <dt>"Status"</dt>
                    <dd>{status_label(&item.status)}</dd>
                    {(!item.justification.is_empty())
                        .then(|| view! { <dt>"Why not applicable"</dt> <dd>{item.justification.clone()}</dd> })}
                    {internal.then(|| view! {
                        <dt>"Owner"</dt>
                        <dd>{if item.owner.is_empty() { "—".to_string() } else { item.owner.clone() }}</dd>
                    })}
                    <dt>"Last verified"</dt>
                    <dd>
                        {match (item.last_verified.clone(), item.last_verified_by.clone()) {
                            (Some(w), by) => {
                                view! {
                                    <TimeAgo when=w/>
                                    {by.map(|b| format!(" by {b}"))}
                                }
                                    .into_any()
                            }
                            (None, _) => view! { "never" }.into_any(),
                        }}
                    </dd>
                    <dt>"Next due"</dt>
                    <dd>
                        <DueText item=item.clone()/>
                    </dd>
                    <dt>"Evidence"</dt>
                    <dd>
                        {item.evidence_shared.then(|| view! { <span class="badge badge-muted">"Shared with the client"</span> })}
                        {if item.evidence_note.is_empty() && item.evidence_links.is_empty() {
                            view! { "—" }.into_any()
                        } else {
                            view! {
                                <p class="notes">{item.evidence_note.clone()}</p>
                                <ul>
                                    {item
                                        .evidence_links
                                        .iter()
                                        .map(|l| {
                                            view! {
                                                <li>
                                                    <a href=l.clone() rel="noopener noreferrer nofollow" target="_blank">
                                                        {l.clone()}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                    </dd>
                </dl>
            </section>
        </div>
        {d.can_edit.then(|| view! { <ControlForm d=d.clone() update/> })}
        <ExceptionCard d=d.clone() actions/>
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading" class="card-title">"History"</h2>
            {if d.history.is_empty() {
                view! { <p class="muted">"No change recorded yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data" aria-label="History">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"Change"</th>
                                    {internal.then(|| view! { <th scope="col">"Note"</th> })}
                                </tr>
                            </thead>
                            <tbody>
                                {d
                                    .history
                                    .into_iter()
                                    .map(|h| {
                                        view! {
                                            <tr>
                                                <td>
                                                    <TimeAgo when=h.when/>
                                                </td>
                                                <td>{h.by}</td>
                                                <td>{format!("{} → {}", status_label(&h.from), status_label(&h.to))}</td>
                                                {internal.then(|| view! { <td>{h.note}</td> })}
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn ControlForm(d: ControlDetailView, update: ServerAction<UpdateClientControl>) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let item = d.item;
    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading" class="card-title">"Update"</h2>
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            {move || saved().then(|| view! { <div class="alert alert-success" role="status">"Saved."</div> })}
            <ActionForm action=update attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="slug" value=d.client_slug.clone()/>
                <input type="hidden" name="control_id" value=d.control.id.clone()/>
                <input type="hidden" name="version" value=item.version/>
                <div class="form-grid">
                    <div class="field">
                        <label for="field-status">"Status"</label>
                        <select id="field-status" name="status">
                            {STATUSES
                                .into_iter()
                                .map(|(value, label)| {
                                    view! { <option value=value selected=item.status == value>{label}</option> }
                                })
                                .collect_view()}
                        </select>
                        <FieldErrorText id="field-status-error".to_string() error=at("status")/>
                    </div>
                    <div class="field">
                        <label for="field-owner">"Owner"</label>
                        <input id="field-owner" name="owner" value=item.owner.clone() maxlength="120"/>
                        <FieldErrorText id="field-owner-error".to_string() error=at("owner")/>
                    </div>
                    <div class="field field-wide">
                        <label for="field-justification">"Why it does not apply"</label>
                        <textarea
                            id="field-justification"
                            name="justification"
                            rows="2"
                            maxlength="1000"
                            aria-describedby="field-justification-hint"
                            aria-invalid=move || at("justification").get().is_some().then_some("true")
                        >
                            {item.justification.clone()}
                        </textarea>
                        <p class="hint" id="field-justification-hint">"Required when the status is “Not applicable”."</p>
                        <FieldErrorText id="field-justification-error".to_string() error=at("justification")/>
                    </div>
                    <div class="field field-wide">
                        <label for="field-evidence_note">"Evidence"</label>
                        <textarea id="field-evidence_note" name="evidence_note" rows="3" maxlength="4000">
                            {item.evidence_note.clone()}
                        </textarea>
                        <FieldErrorText id="field-evidence_note-error".to_string() error=at("evidence_note")/>
                    </div>
                    <div class="field field-wide">
                        <label for="field-evidence_links">"Evidence links"</label>
                        <textarea
                            id="field-evidence_links"
                            name="evidence_links"
                            rows="2"
                            aria-describedby="field-evidence_links-hint"
                            aria-invalid=move || at("evidence_links").get().is_some().then_some("true")
                        >
                            {item.evidence_links.join("\n")}
                        </textarea>
                        <p class="hint" id="field-evidence_links-hint">"One https:// link per line, at most ten."</p>
                        <FieldErrorText id="field-evidence_links-error".to_string() error=at("evidence_links")/>
                    </div>
                    <div class="field field-check field-wide">
                        <label>
                            <input type="checkbox" name="share_evidence" value="on" checked=item.evidence_shared/>
                            " Share the evidence (note and links) with the client in their portal"
                        </label>
                    </div>
                    <div class="field field-wide">
                        <label for="field-note">"Note for the history"</label>
                        <input id="field-note" name="note" maxlength="1000"/>
                        <FieldErrorText id="field-note-error".to_string() error=at("note")/>
                    </div>
                    <div class="field field-check field-wide">
                        <label>
                            <input type="checkbox" name="verified_now" value="on" checked=true/>
                            " I verified this control now"
                        </label>
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn OverduePage() -> impl IntoView {
    let overdue = Resource::new(|| (), |_| list_overdue());
    view! {
        <PageTitle text="Overdue evidence"/>
        <header class="page-header">
            <div>
                <h1>"Overdue evidence"</h1>
                <p class="page-subtitle">
                    "Controls whose last verification is older than their review frequency allows, most severe first."
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match overdue.await {
                    Ok(list) if list.items.is_empty() => {
                        view! {
                            <div class="empty-state">
                                <h2>"Nothing is overdue"</h2>
                                <p>"Every recorded control was verified within its review period."</p>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let shown = if list.total > list.items.len() as i64 {
                            format!("The {} most urgent of {} overdue controls", list.items.len(), list.total)
                        } else {
                            format!("{} overdue controls", list.total)
                        };
                        view! {
                            <p class="muted">{shown}</p>
                            <div class="table-wrap">
                                <table class="data" aria-label="Overdue evidence">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Client"</th>
                                            <th scope="col">"Control"</th>
                                            <th scope="col">"Severity"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Last verified"</th>
                                            <th scope="col">"Due"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .items
                                            .into_iter()
                                            .map(|i| {
                                                let control_href = format!("/clients/{}/controls/{}", i.client_slug, i.control_id);
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <a href=format!("/clients/{}", i.client_slug)>{i.client_name}</a>
                                                            " "
                                                            <crate::components::TierBadge tier=i.client_tier/>
                                                        </td>
                                                        <td>
                                                            <a href=control_href>{format!("{} {}", i.control_id, i.title)}</a>
                                                        </td>
                                                        <td class="num">{severity_label(i.severity)}</td>
                                                        <td>
                                                            <StatusBadge status=i.status/>
                                                        </td>
                                                        <td>
                                                            {match i.last_verified {
                                                                Some(w) => view! { <TimeAgo when=w/> }.into_any(),
                                                                None => view! { "never" }.into_any(),
                                                            }}
                                                        </td>
                                                        <td>
                                                            <span class="badge badge-overdue">"Overdue"</span>
                                                            " "
                                                            <TimeAgo when=i.due/>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
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
pub fn NewControlPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| get_custom_control_form(String::new()));
    view! {
        <PageTitle text="New control"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <CustomControlEditor form/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn EditControlPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let form = Resource::new(move || id.get(), get_custom_control_form);
    view! {
        <PageTitle text="Edit control"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <CustomControlEditor form/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CustomControlEditor(form: CustomControlForm) -> impl IntoView {
    let save = ServerAction::<SaveCustomControl>::new();
    let retire = ServerAction::<RetireCustomControl>::new();
    let error = Signal::derive(move || {
        save.value().get().and_then(Result::err).or_else(|| retire.value().get().and_then(Result::err))
    });
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let c = form.control.clone();
    let id = c.as_ref().map(|c| c.id.clone()).unwrap_or_default();
    let heading = match &c {
        Some(c) => format!("Edit {} {}", c.id, c.title),
        None => "New control".to_string(),
    };
    let category = c.as_ref().map(|c| c.category_id.clone()).unwrap_or_default();
    let severity = c.as_ref().map(|c| c.severity).unwrap_or(3);
    let tiers = c.as_ref().map(|c| c.tiers.clone()).unwrap_or_else(|| vec!["critical".into()]);
    let references = c
        .as_ref()
        .map(|c| c.references.iter().map(|r| format!("{}: {}", r.source, r.item)).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    let title = c.as_ref().map(|c| c.title.clone()).unwrap_or_default();
    let description = c.as_ref().map(|c| c.description.clone()).unwrap_or_default();
    let editing = c.is_some();
    let retire_id = c.map(|c| c.id);
    let review = if form.review.is_empty() { "annual".to_string() } else { form.review.clone() };
    let applies_to = if form.applies_to.is_empty() { "client".to_string() } else { form.applies_to.clone() };
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/catalog">"Catalog"</a>
                </li>
                <li aria-current="page">{if editing { "Edit" } else { "New control" }}</li>
            </ol>
        </nav>
        <header class="page-header">
            <h1>{heading}</h1>
        </header>
        <section class="card">
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            <ActionForm action=save attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="id" value=id.clone()/>
                <div class="form-grid">
                    <div class="field field-wide">
                        <label for="field-title">"Title"</label>
                        <input id="field-title" name="title" maxlength="70" value=title/>
                        <FieldErrorText id="field-title-error".to_string() error=at("title")/>
                    </div>
                    <div class="field field-wide">
                        <label for="field-description">"What must be true"</label>
                        <textarea id="field-description" name="description" rows="3" maxlength="400">
                            {description}
                        </textarea>
                        <FieldErrorText id="field-description-error".to_string() error=at("description")/>
                    </div>
                    <div class="field">
                        <label for="field-category_id">"Category"</label>
                        <select id="field-category_id" name="category_id">
                            {form
                                .categories
                                .iter()
                                .map(|cat| {
                                    let selected = cat.id == category;
                                    view! { <option value=cat.id.clone() selected=selected>{cat.name.clone()}</option> }
                                })
                                .collect_view()}
                        </select>
                        <FieldErrorText id="field-category_id-error".to_string() error=at("category_id")/>
                    </div>
                    <div class="field">
                        <label for="field-severity">"Severity"</label>
                        <select id="field-severity" name="severity">
                            {(1..=5)
                                .map(|s| view! { <option value=s.to_string() selected=s == severity>{severity_label(s)}</option> })
                                .collect_view()}
                        </select>
                        <FieldErrorText id="field-severity-error".to_string() error=at("severity")/>
                    </div>
                    <div class="field">
                        <label for="field-review">"Re-verified"</label>
                        <select id="field-review" name="review">
                            {REVIEWS
                                .into_iter()
                                .map(|(value, label)| view! { <option value=value selected=review == value>{label}</option> })
                                .collect_view()}
                        </select>
                        <FieldErrorText id="field-review-error".to_string() error=at("review")/>
                    </div>
                    <div class="field">
                        <label for="field-applies_to">"Applies to"</label>
                        <select id="field-applies_to" name="applies_to">
                            {APPLIES_TO
                                .into_iter()
                                .map(|(value, label)| view! { <option value=value selected=applies_to == value>{label}</option> })
                                .collect_view()}
                        </select>
                        <FieldErrorText id="field-applies_to-error".to_string() error=at("applies_to")/>
                    </div>
                    <fieldset class="field field-wide">
                        <legend>"Baseline: impact tiers it applies to"</legend>
                        {crate::clients::types::TIERS
                            .into_iter()
                            .map(|(value, label)| {
                                let checked = tiers.iter().any(|t| t == value);
                                view! {
                                    <label>
                                        <input type="checkbox" name="tiers[]" value=value checked=checked/>
                                        " "
                                        {label}
                                    </label>
                                    " "
                                }
                            })
                            .collect_view()}
                        <FieldErrorText id="field-tiers-error".to_string() error=at("tiers")/>
                    </fieldset>
                    <div class="field field-wide">
                        <label for="field-references">"References"</label>
                        <textarea id="field-references" name="references" rows="3" aria-describedby="field-references-hint">
                            {references}
                        </textarea>
                        <p class="hint" id="field-references-hint">"One per line, as “Source: item”, e.g. “CIS v8: 12.2”."</p>
                        <FieldErrorText id="field-references-error".to_string() error=at("references")/>
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">{if editing { "Save control" } else { "Add control" }}</button>
                    <a class="btn btn-ghost" href="/catalog">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
        {retire_id.map(|id| {
            view! {
                <section class="card danger-zone" aria-labelledby="retire-heading">
                    <h2 id="retire-heading" class="card-title">"Retire"</h2>
                    <p>"A retired control leaves every checklist. Its recorded history is kept."</p>
                    <ActionForm action=retire>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="btn btn-danger">"Retire control"</button>
                    </ActionForm>
                </section>
            }
        })}
    }
}

/// Counts per status for one client, for the client's page.
#[component]
pub fn HardeningSummary(summary: Resource<Result<ChecklistSummary, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                summary
                    .await
                    .ok()
                    .map(|summary| {
                        view! {
                            <ul class="status-summary" aria-label="Hardening status">
                                {STATUSES
                                    .into_iter()
                                    .zip(summary.by_status)
                                    .map(|((value, _), n)| {
                                        view! {
                                            <li>
                                                <StatusBadge status=value.to_string()/>
                                                " "
                                                <span class="num">{n}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                                <li>
                                    <span class="badge badge-overdue">"Overdue"</span>
                                    " "
                                    <span class="num">{summary.overdue}</span>
                                </li>
                                <li>
                                    <span class="badge badge-exception-active">"Risk accepted"</span>
                                    " "
                                    <span class="num">{summary.accepted}</span>
                                </li>
                            </ul>
                        }
                    })
            })}
        </Suspense>
    }
}
