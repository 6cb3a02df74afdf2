//! One client's page: its details, hardening, access, reviews and score.

use super::*;
use crate::clients::api::{get_client, ArchiveClient, RestoreClient};
use crate::clients::types::{tier_label, ClientDetail};
use crate::components::{crumb, Breadcrumbs};
use crate::components::{ErrorPanel, Loading, PageError, PageTitle, TierBadge, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;

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
pub(super) fn ClientBody(
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
        <Breadcrumbs trail=vec![crumb("Clients", "/clients")] here=c.name.clone()/>
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
