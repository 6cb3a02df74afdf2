//! The schedule as a month calendar, and one's calendar feed.

use super::*;
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle, TimeAgo};
use crate::error::AppError;
use crate::reviews::api::{feed_status, month_calendar, RotateFeed};
use crate::reviews::types::CalendarView;
use leptos::prelude::*;

/// The signed-in user's calendar feed: a secret address, shown once when made or rotated.
#[component]
pub(super) fn FeedCard() -> impl IntoView {
    let rotate = ServerAction::<RotateFeed>::new();
    let status = Resource::new(move || rotate.version().get(), |_| feed_status());
    view! {
        <section class="card" aria-labelledby="feed-heading">
            <h2 id="feed-heading" class="card-title">"Calendar feed"</h2>
            <p class="muted">
                "Subscribe to your review schedule in a calendar program. The address is a secret: anyone who has it sees what you see. Making a new one stops the old one."
            </p>
            {move || rotate.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let shown = rotate.value().get_untracked().and_then(Result::ok);
                    match status.await {
                        Ok((created, flash)) => view! {
                            {shown.or(flash).map(|url| view! {
                                <p role="status">"Your new feed address (shown once; copy it now): "<code class="feed-url">{url}</code></p>
                            })}
                            {created.map(|w| view! { <p class="muted">"Your current address was made "<TimeAgo when=w/>"."</p> })}
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=rotate>
                <button type="submit" class="btn btn-small">"Make a new feed address"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let month = query("month");
    let calendar = Resource::new(move || month.get(), month_calendar);
    view! {
        <PageTitle text="Review calendar"/>
        <header class="page-header">
            <div>
                <h1>"Reviews"</h1>
                <p class="page-subtitle">"The month's reviews by due day."</p>
            </div>
        </header>
        <ScheduleTabs current="calendar"/>
        <FeedCard/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match calendar.await {
                    Ok(c) => view! { <MonthGrid c/> }.into_any(),
                    Err(AppError::Forbidden) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn MonthGrid(c: CalendarView) -> impl IntoView {
    view! {
        <div class="calendar-head">
            <a class="btn btn-small" href=format!("/reviews/calendar?month={}", c.prev)>"← Previous"</a>
            <h2>{c.title.clone()}</h2>
            <a class="btn btn-small" href=format!("/reviews/calendar?month={}", c.next)>"Next →"</a>
        </div>
        <p class="muted">{format!("Days in {}.", c.zone)}</p>
        <table class="calendar" aria-label=format!("Reviews in {}", c.title)>
            <thead>
                <tr>
                    {["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].into_iter().map(|d| view! { <th scope="col">{d}</th> }).collect_view()}
                </tr>
            </thead>
            <tbody>
                {c.weeks
                    .into_iter()
                    .map(|week| view! {
                        <tr>
                            {week
                                .into_iter()
                                .map(|cell| view! {
                                    <td class:out-of-month=!cell.in_month class:today=cell.today>
                                        <time class="calendar-day" datetime=cell.date.clone()>{cell.day}</time>
                                        <ul class="plain">
                                            {cell.items.into_iter().map(|o| {
                                                let class = if o.overdue { "calendar-item overdue" } else if o.state == "done" || o.state == "skipped" { "calendar-item closed" } else { "calendar-item" };
                                                view! {
                                                    <li class=class>
                                                        <a href=format!("/clients/{}#reviews", o.client_slug)>{o.client_name.clone()}</a>
                                                        <span>{format!(" · {}", o.title)}</span>
                                                        {o.overdue.then(|| view! { <span class="visually-hidden">" (overdue)"</span> })}
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    </td>
                                })
                                .collect_view()}
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
