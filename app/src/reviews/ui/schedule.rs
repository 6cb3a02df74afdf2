//! The review schedule across the clients one sees, a page at a time.

use super::*;
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle, Pager};
use crate::error::AppError;
use crate::reviews::api::{list_schedule, ChangeOccurrence};
use crate::reviews::types::{KINDS, STATES};
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
        <form class="filters" method="get" action="/reviews" aria-label="Filter reviews">
            <div class="field">
                <label for="filter-kind">"Kind"</label>
                <select id="filter-kind" name="kind">
                    <option value="">"Any kind"</option>
                    {move || KINDS.into_iter().map(|(v, l)| view! { <option value=v selected=kind.get() == v>{l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-state">"State"</label>
                <select id="filter-state" name="state">
                    <option value="">"Open (planned or in progress)"</option>
                    <option value="any" selected=move || state.get() == "any">"Any state"</option>
                    {move || STATES.into_iter().map(|(v, l)| view! { <option value=v selected=state.get() == v>{l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-from">"Due from"</label>
                <input id="filter-from" name="from" type="date" value=move || from.get()/>
            </div>
            <div class="field">
                <label for="filter-to">"Due until"</label>
                <input id="filter-to" name="to" type="date" value=move || to.get()/>
            </div>
            <div class="field field-check">
                <label><input type="checkbox" name="overdue" value="1" checked=move || !overdue.get().is_empty()/>" Overdue only"</label>
            </div>
            <button type="submit" class="btn">"Filter"</button>
        </form>
        {move || change.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match schedule.await {
                    Ok(s) if s.items.is_empty() => view! {
                        <div class="empty-state"><h2>"No reviews match"</h2><p>"Change the filters, or start a client's series on its page."</p></div>
                    }.into_any(),
                    Ok(s) => {
                        let prev = (s.page > 1).then(|| page_href(s.page - 1));
                        let next = (s.page < s.pages).then(|| page_href(s.page + 1));
                        view! {
                            <p class="muted">{format!("{} reviews · today is {} ({})", s.total, s.today, s.zone)}</p>
                            <ReviewTable items=s.items show_client=true label="Review schedule" change/>
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
