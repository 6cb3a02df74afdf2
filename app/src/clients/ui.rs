//! Client pages: the list, one client, and the create and edit forms.

use super::api::{get_client, list_clients, ArchiveClient, CreateClient, RestoreClient, UpdateClient};
use super::types::{tier_label, ClientDetail, ClientList, ClientQuery, SORTS, TIERS};
use crate::components::{ErrorPanel, FieldErrorText, Loading, PageError, PageTitle, TextField, TierBadge, TimeAgo};
use crate::error::AppError;
use crate::layout::CurrentUser;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

const SECTORS: [&str; 12] = [
    "Construction",
    "Education",
    "Finance",
    "Healthcare",
    "Hospitality",
    "Legal",
    "Logistics",
    "Manufacturing",
    "Nonprofit",
    "Public sector",
    "Retail",
    "Technology",
];

fn query_from_url() -> Memo<ClientQuery> {
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
fn ClientListBody(list: ClientList, query: ClientQuery) -> impl IntoView {
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
                <div class="empty-state">
                    {if filtered {
                        view! {
                            <h2>"No client matches these filters"</h2>
                            <p>
                                <a href="/clients">"Clear the filters"</a>
                                " to see every client."
                            </p>
                        }
                            .into_any()
                    } else if list.can_create {
                        view! {
                            <h2>"No clients yet"</h2>
                            <p>"Add the first organisation you look after."</p>
                            <a class="btn btn-primary" href="/clients/new">"Add your first client"</a>
                        }
                            .into_any()
                    } else {
                        view! {
                            <h2>"No clients to show"</h2>
                            <p>"No client has been assigned to you yet. Ask a manager to assign you."</p>
                        }
                            .into_any()
                    }}
                </div>
            }
                .into_any()
        } else {
            view! { <ClientTable list=list.clone() query=query.clone()/> }.into_any()
        }}
    }
}

#[component]
fn FilterForm(query: ClientQuery, tags: Vec<String>) -> impl IntoView {
    let tier = query.tier.clone().unwrap_or_default();
    let tag = query.tag.clone().unwrap_or_default();
    let sort = query.sort.clone().unwrap_or_else(|| "name".into());
    view! {
        <form class="filters" method="get" action="/clients" aria-label="Filter clients">
            <div class="field">
                <label for="filter-q">"Search clients"</label>
                <input id="filter-q" type="search" name="q" value=query.q.clone().unwrap_or_default() maxlength="100"/>
            </div>
            <div class="field">
                <label for="filter-tier">"Impact tier"</label>
                <select id="filter-tier" name="tier">
                    <option value="" selected=tier.is_empty()>"All tiers"</option>
                    {TIERS
                        .into_iter()
                        .map(|(value, label)| {
                            view! { <option value=value selected=tier == value>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-tag">"Tag"</label>
                <select id="filter-tag" name="tag">
                    <option value="" selected=tag.is_empty()>"All tags"</option>
                    {tags
                        .into_iter()
                        .map(|t| {
                            let selected = t == tag;
                            view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-sort">"Sort by"</label>
                <select id="filter-sort" name="sort">
                    {SORTS
                        .into_iter()
                        .map(|(value, label)| {
                            view! { <option value=value selected=sort == value>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field field-check">
                <label>
                    <input type="checkbox" name="archived" value="1" checked=query.archived/>
                    " Show archived"
                </label>
            </div>
            <div class="field">
                <button type="submit" class="btn">"Apply"</button>
            </div>
        </form>
    }
}

#[component]
fn Chips(query: ClientQuery) -> impl IntoView {
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
fn ClientTable(list: ClientList, query: ClientQuery) -> impl IntoView {
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

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let slug = slug_param();
    let archive = ServerAction::<ArchiveClient>::new();
    let restore = ServerAction::<RestoreClient>::new();
    let client = Resource::new(
        move || (slug.get(), archive.version().get(), restore.version().get()),
        |(slug, _, _)| get_client(slug),
    );
    // Every resource of the page is created here, not inside the suspended view: resources
    // created while a server render is suspended are not reliably awaited.
    let summary = Resource::new(move || slug.get(), crate::controls::api::get_checklist_summary);
    let access = crate::access::ui::ClientAccessData::new(slug);
    let score = crate::score::ui::ScoreData::new(slug);
    let reviews = crate::reviews::ui::ClientReviewsData::new(slug);
    let action_error =
        move || archive.value().get().and_then(Result::err).or_else(|| restore.value().get().and_then(Result::err));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match client.await {
                    Ok(c) => view! { <ClientBody c archive restore summary access reviews score/> }.into_any(),
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
        {move || action_error().map(|error| view! { <ErrorPanel error/> })}
    }
}

#[component]
fn ClientBody(
    c: ClientDetail,
    archive: ServerAction<ArchiveClient>,
    restore: ServerAction<RestoreClient>,
    summary: Resource<Result<crate::controls::types::ChecklistSummary, AppError>>,
    access: crate::access::ui::ClientAccessData,
    reviews: crate::reviews::ui::ClientReviewsData,
    score: crate::score::ui::ScoreData,
) -> impl IntoView {
    let archived = c.archived.clone();
    let slug = c.slug.clone();
    view! {
        <PageTitle text=c.name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/clients">"Clients"</a>
                </li>
                <li aria-current="page">{c.name.clone()}</li>
            </ol>
        </nav>
        <header class="page-header">
            <div>
                <h1>{c.name.clone()}</h1>
                <p class="page-subtitle">
                    <TierBadge tier=c.impact_tier.clone()/>
                    {archived.clone().map(|_| view! { " " <span class="badge badge-archived">"Archived"</span> })}
                </p>
            </div>
            <div class="page-actions">
                {(c.can_edit && archived.is_none())
                    .then(|| view! { <a class="btn" href=format!("/clients/{}/edit", c.slug)>"Edit"</a> })}
            </div>
        </header>
        {archived.clone().map(|when| {
            view! {
                <div class="alert alert-info">
                    "This client was archived "
                    <TimeAgo when=when/>
                    ". Its records are kept; restore it to change them."
                </div>
            }
        })}
        <div class="grid-2">
            <section class="card" aria-labelledby="details-heading">
                <h2 id="details-heading" class="card-title">"Details"</h2>
                <dl class="definition-list">
                    <dt>"Impact tier"</dt>
                    <dd>{tier_label(&c.impact_tier)}</dd>
                    <dt>"Sector"</dt>
                    <dd>{if c.sector.is_empty() { "—".to_string() } else { c.sector.clone() }}</dd>
                    <dt>"Tags"</dt>
                    <dd>
                        {if c.tags.is_empty() {
                            view! { "—" }.into_any()
                        } else {
                            c.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> " " }).collect_view().into_any()
                        }}
                    </dd>
                    <dt>"Primary contact"</dt>
                    <dd>
                        {if c.contact_name.is_empty() { "—".to_string() } else { c.contact_name.clone() }}
                        {(!c.contact_email.is_empty())
                            .then(|| {
                                view! {
                                    <br/>
                                    <a href=format!("mailto:{}", c.contact_email)>{c.contact_email.clone()}</a>
                                }
                            })}
                    </dd>
                    <dt>"Client since"</dt>
                    <dd>
                        <TimeAgo when=c.created.clone()/>
                    </dd>
                    <dt>"Last changed"</dt>
                    <dd>
                        <TimeAgo when=c.updated.clone()/>
                    </dd>
                </dl>
            </section>
            {c.notes.clone().map(|notes| {
                view! {
                    <section class="card" aria-labelledby="notes-heading">
                        <h2 id="notes-heading" class="card-title">"Internal notes"</h2>
                        <p class="muted">"Visible to MSP staff only, never in the client portal."</p>
                        {if notes.is_empty() {
                            view! { <p>"No notes."</p> }.into_any()
                        } else {
                            view! { <p class="notes">{notes}</p> }.into_any()
                        }}
                    </section>
                }
            })}
        </div>
        <section class="card" aria-labelledby="posture-heading">
            <h2 id="posture-heading" class="card-title">"Posture"</h2>
            <crate::controls::ui::HardeningSummary summary/>
            <p>
                <a class="btn" href=format!("/clients/{}/controls", c.slug)>"Hardening status"</a>
            </p>
        </section>
        <section class="card" id="risk-score" aria-labelledby="score-heading">
            <h2 id="score-heading" class="card-title">"Risk score"</h2>
            <crate::score::ui::ClientScore data=score/>
        </section>
        <section class="card" aria-labelledby="access-heading">
            <h2 id="access-heading" class="card-title">"Who at the MSP can reach this client"</h2>
            <crate::access::ui::ClientAccess data=access/>
        </section>
        <section class="card" id="reviews" aria-labelledby="reviews-heading">
            <h2 id="reviews-heading" class="card-title">"Reviews"</h2>
            <crate::reviews::ui::ClientReviews data=reviews/>
        </section>
        {c.can_archive.then(|| {
            let slug = slug.clone();
            view! {
                <section class="card danger-zone" aria-labelledby="archive-heading">
                    <h2 id="archive-heading" class="card-title">
                        {if archived.is_some() { "Restore" } else { "Archive" }}
                    </h2>
                    {if archived.is_some() {
                        view! {
                            <p>"Restoring makes the client active again, with all its records."</p>
                            <ActionForm action=restore>
                                <input type="hidden" name="slug" value=slug.clone()/>
                                <button type="submit" class="btn">"Restore client"</button>
                            </ActionForm>
                        }
                            .into_any()
                    } else {
                        view! {
                            <details>
                                <summary class="btn btn-danger">"Archive client…"</summary>
                                <p>
                                    "Archiving hides the client from lists and stops changes. Nothing is deleted, and it can be restored."
                                </p>
                                <ActionForm action=archive>
                                    <input type="hidden" name="slug" value=slug.clone()/>
                                    <button type="submit" class="btn btn-danger">"Confirm archive"</button>
                                </ActionForm>
                            </details>
                        }
                            .into_any()
                    }}
                </section>
            }
        })}
    }
}

/// The values a client form starts with.
#[derive(Debug, Clone, Default)]
struct FormValues {
    name: String,
    slug: String,
    impact_tier: String,
    sector: String,
    tags: String,
    contact_name: String,
    contact_email: String,
    notes: String,
}

#[component]
fn ClientFields(values: FormValues, #[prop(into)] error: Signal<Option<AppError>>, editing: bool) -> impl IntoView {
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let tier = values.impact_tier.clone();
    view! {
        {move || {
            error
                .get()
                .map(|e| {
                    view! { <div class="alert alert-error" role="alert">{e.summary()}</div> }
                })
        }}
        <div class="form-grid">
            <TextField name="name" label="Name" value=values.name error=at("name") maxlength=120 required=true/>
            <TextField
                name="slug"
                label="Slug"
                value=values.slug
                error=at("slug")
                maxlength=64
                readonly=editing
                hint=if editing {
                    "The slug is permanent: it is this client's address in every link."
                } else {
                    "The client's address in links, e.g. acme-dental. Leave empty to make one from the name."
                }
            />
            <div class="field">
                <label for="field-impact_tier">"Impact tier"</label>
                <select
                    id="field-impact_tier"
                    name="impact_tier"
                    aria-invalid=move || at("impact_tier").get().is_some().then_some("true")
                    aria-describedby="field-impact_tier-hint"
                >
                    {TIERS
                        .into_iter()
                        .map(|(value, label)| {
                            let selected = tier == value || (tier.is_empty() && value == "standard");
                            view! { <option value=value selected=selected>{label}</option> }
                        })
                        .collect_view()}
                </select>
                <p class="hint" id="field-impact_tier-hint">
                    "How much harm a compromise would do: it weighs the client's priority in the portfolio."
                </p>
                <FieldErrorText id="field-impact_tier-error".to_string() error=at("impact_tier")/>
            </div>
            <div class="field">
                <label for="field-sector">"Sector"</label>
                <input
                    id="field-sector"
                    name="sector"
                    list="sectors"
                    value=values.sector
                    maxlength="60"
                    aria-invalid=move || at("sector").get().is_some().then_some("true")
                />
                <datalist id="sectors">
                    {SECTORS.into_iter().map(|s| view! { <option value=s></option> }).collect_view()}
                </datalist>
                <FieldErrorText id="field-sector-error".to_string() error=at("sector")/>
            </div>
            <TextField
                name="tags"
                label="Tags"
                value=values.tags
                error=at("tags")
                hint="Separated by commas, e.g. m365, hipaa."
                maxlength=400
            />
            <TextField
                name="contact_name"
                label="Primary contact name"
                value=values.contact_name
                error=at("contact_name")
                maxlength=120
                autocomplete="off"
            />
            <TextField
                name="contact_email"
                label="Primary contact email"
                kind="email"
                value=values.contact_email
                error=at("contact_email")
                maxlength=254
                autocomplete="off"
            />
            <div class="field field-wide">
                <label for="field-notes">"Notes"</label>
                <textarea
                    id="field-notes"
                    name="notes"
                    rows="4"
                    maxlength="4000"
                    aria-describedby="field-notes-hint"
                    aria-invalid=move || at("notes").get().is_some().then_some("true")
                >
                    {values.notes}
                </textarea>
                <p class="hint" id="field-notes-hint">"Internal: never shown in the client portal."</p>
                <FieldErrorText id="field-notes-error".to_string() error=at("notes")/>
            </div>
        </div>
    }
}

#[component]
pub fn NewClientPage() -> impl IntoView {
    let me = expect_context::<CurrentUser>().0;
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.can_create_clients => view! { <NewClientForm/> }.into_any(),
                    Ok(Some(_)) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Ok(None) => view! { <PageError error=AppError::Unauthenticated/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewClientForm() -> impl IntoView {
    let action = ServerAction::<CreateClient>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <PageTitle text="New client"/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/clients">"Clients"</a>
                </li>
                <li aria-current="page">"New client"</li>
            </ol>
        </nav>
        <header class="page-header">
            <h1>"New client"</h1>
        </header>
        <section class="card">
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <ClientFields values=FormValues::default() error editing=false/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Create client"</button>
                    <a class="btn btn-ghost" href="/clients">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn EditClientPage() -> impl IntoView {
    let slug = slug_param();
    let client = Resource::new(move || slug.get(), get_client);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match client.await {
                    Ok(c) if c.can_edit && c.archived.is_none() => view! { <EditClientForm c/> }.into_any(),
                    Ok(c) if c.archived.is_some() => {
                        view! {
                            <PageError error=AppError::Conflict {
                                field: None,
                                message: "This client is archived. Restore it before editing.".into(),
                            }/>
                        }
                            .into_any()
                    }
                    Ok(_) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditClientForm(c: ClientDetail) -> impl IntoView {
    let action = ServerAction::<UpdateClient>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let values = FormValues {
        name: c.name.clone(),
        slug: c.slug.clone(),
        impact_tier: c.impact_tier.clone(),
        sector: c.sector.clone(),
        tags: c.tags.join(", "),
        contact_name: c.contact_name.clone(),
        contact_email: c.contact_email.clone(),
        notes: c.notes.clone().unwrap_or_default(),
    };
    view! {
        <PageTitle text=format!("Edit {}", c.name)/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/clients">"Clients"</a>
                </li>
                <li>
                    <a href=format!("/clients/{}", c.slug)>{c.name.clone()}</a>
                </li>
                <li aria-current="page">"Edit"</li>
            </ol>
        </nav>
        <header class="page-header">
            <h1>{format!("Edit {}", c.name)}</h1>
        </header>
        <section class="card">
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="version" value=c.version/>
                <ClientFields values error editing=true/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save changes"</button>
                    <a class="btn btn-ghost" href=format!("/clients/{}", c.slug)>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
