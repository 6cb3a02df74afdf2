//! The review schedule across the clients one sees, a page at a time.

use super::*;
use crate::components::EmptyState;
use crate::components::{
    ActionError, CheckField, Choices, ErrorPanel, FilterBar, Loading, PageError, PageTitle, Pager, SelectField,
    TextField,
};
use crate::error::AppError;
use crate::reviews::api::{list_schedule, ChangeOccurrence};
use leptos::prelude::*;

#[component]
pub fn SchedulePage() -> impl IntoView {
    let (kind, state, overdue, from, to, page) =
        (query("kind"), query("state"), query("overdue"), query("from"), query("to"), query("page"));
    let change = ServerAction::<ChangeOccurrence>::new();
    let schedule = Resource::new(
        move || (kind.get(), state.get(), overdue.get(), from.get(), to.get(), page.get(), change.version().get()),
        |(kind, state, overdue, from, to, page, _)| {
            list_schedule(kind, state, (!overdue.is_empty()).then_some(overdue), from, to, page.parse().ok())
        },
    );
    // The list's own address for another page, with the same filters.
    let page_href = move |n: u32| {
        let mut query = vec![];
        for (name, value) in [("kind", kind), ("state", state), ("overdue", overdue), ("from", from), ("to", to)] {
            let value = value.get_untracked();
            if !value.is_empty() {
                query.push(format!("{name}={}", crate::html::encode_query(&value)));
            }
        }
        query.push(format!("page={n}"));
        format!("/reviews?{}", query.join("&"))
    };
    view! {
        <PageTitle text="Reviews"/>
        <header class="page-header">
            <div>
                <h1>"Reviews"</h1>
                <p class="page-subtitle">
                    "Every client's recurring reviews: security and business reviews, access reviews, control re-verification, exercises and contract reviews."
                </p>
            </div>
        </header>
        <ScheduleTabs current="list"/>
        <FilterBar action="/reviews" label="Filter reviews">
            <SelectField
                id="filter-kind"
                name="kind"
                label="Kind"
                choices=Choices::from(vocabulary::REVIEW_KINDS).with_empty("Any kind")
                selected=kind
            />
            <SelectField id="filter-state" name="state" label="State" choices=state_choices() selected=state/>
            <TextField id="filter-from" name="from" label="Due from" kind="date" value=from.get_untracked()/>
            <TextField id="filter-to" name="to" label="Due until" kind="date" value=to.get_untracked()/>
            <CheckField name="overdue" label="Overdue only" checked=Signal::derive(move || !overdue.get().is_empty())/>
        </FilterBar>
        {move || change.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match schedule.await {
                    Ok(s) if s.items.is_empty() => view! {
                        <EmptyState heading="No reviews match" text="Change the filters, or start a client's series on its page."/>
                    }.into_any(),
                    Ok(s) => {
                        let prev = (s.page > 1).then(|| page_href(s.page - 1));
                        let next = (s.page < s.pages).then(|| page_href(s.page + 1));
                        view! {
                            <p class="muted">{format!("{} reviews · today is {} ({})", s.total, s.today, s.zone)}</p>
                            <ReviewTable items=s.items show_client=true label="Review schedule"/>
                            <Pager page=s.page pages=s.pages prev next/>
                        }.into_any()
                    }
                    Err(AppError::Forbidden) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The states the schedule filters by: open by default, any, or one state.
fn state_choices() -> Choices {
    let mut choices = Choices::from(vocabulary::OCCURRENCE_STATES);
    choices.0.insert(0, ("any".into(), "Any state".into()));
    choices.with_empty("Open (planned or in progress)")
}
