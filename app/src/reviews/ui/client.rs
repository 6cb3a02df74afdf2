//! A client's reviews on its page: the open ones, the latest closed, and starting series.

use super::*;
use crate::components::{ActionError, Choices, ErrorPanel, Loading, SelectField, TextField};
use crate::error::AppError;
use crate::reviews::api::{client_reviews, AddDefaultSeries, ChangeOccurrence, CreateSeries};
use crate::reviews::types::ClientReviewsView;
use leptos::prelude::*;

/// The data behind a client's reviews, created by the client's page.
#[derive(Clone, Copy)]
pub struct ClientReviewsData {
    slug: Memo<String>,
    reviews: Resource<Result<ClientReviewsView, AppError>>,
    change: ServerAction<ChangeOccurrence>,
    create: ServerAction<CreateSeries>,
    defaults: ServerAction<AddDefaultSeries>,
}

impl ClientReviewsData {
    pub fn new(slug: Memo<String>) -> Self {
        let change = ServerAction::<ChangeOccurrence>::new();
        let create = ServerAction::<CreateSeries>::new();
        let defaults = ServerAction::<AddDefaultSeries>::new();
        let reviews = Resource::new(
            move || (slug.get(), change.version().get(), create.version().get(), defaults.version().get()),
            |(slug, ..)| client_reviews(slug),
        );
        Self { slug, reviews, change, create, defaults }
    }
}

/// A client's review series: what is open, what was done lately, and starting new series.
#[component]
pub fn ClientReviews(data: ClientReviewsData) -> impl IntoView {
    let ClientReviewsData { slug, reviews, change, create, defaults } = data;
    let error = move || {
        let err = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        err(change.value().get()).or_else(|| err(create.value().get())).or_else(|| err(defaults.value().get()))
    };
    view! {
        {move || error().map(|error| view! { <ActionError error/> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match reviews.await {
                    Ok(r) => {
                        let slug = slug.get_untracked();
                        view! {
                            {if r.open.is_empty() {
                                view! { <p class="muted">"No review series yet."</p> }.into_any()
                            } else {
                                view! { <ReviewTable items=r.open show_client=false label="Open reviews"/> }.into_any()
                            }}
                            {(!r.recent.is_empty()).then(|| view! {
                                <details>
                                    <summary>"Recently closed"</summary>
                                    <ReviewTable items=r.recent show_client=false label="Recently closed reviews"/>
                                </details>
                            })}
                            {r.can_manage.then(|| view! { <SeriesForms slug today=r.today create defaults/> })}
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
pub(super) fn SeriesForms(
    slug: String,
    today: String,
    create: ServerAction<CreateSeries>,
    defaults: ServerAction<AddDefaultSeries>,
) -> impl IntoView {
    let create_slug = slug.clone();
    let create_today = today.clone();
    view! {
        <div class="lifecycle-forms">
            <ActionForm action=defaults attr:class="sla-form">
                <input type="hidden" name="slug" value=slug/>
                <label for="defaults-start">"First due"</label>
                <input id="defaults-start" name="starts_on" type="date" value=today/>
                <button type="submit" class="btn btn-small">"Add the default series"</button>
            </ActionForm>
            <details class="confirm">
                <summary class="btn btn-small">"New series…"</summary>
                <ActionForm action=create attr:class="stack">
                    <input type="hidden" name="slug" value=create_slug/>
                    <SelectField id="series-kind" name="kind" label="Kind" choices=vocabulary::REVIEW_KINDS/>
                    <TextField id="series-title" name="title" label="Title (a custom review needs one)" maxlength=120/>
                    <SelectField
                        id="series-cadence"
                        name="cadence"
                        label="Cadence"
                        choices=Choices::from(vocabulary::CADENCES).with_empty("The default for this client's tier")
                    />
                    <TextField id="series-owner" name="owner" label="Owner" maxlength=120/>
                    <TextField id="series-start" name="starts_on" label="First due" kind="date" value=create_today/>
                    <button type="submit" class="btn btn-small btn-primary">"Start series"</button>
                </ActionForm>
            </details>
        </div>
    }
}
