//! Review pages: the schedule as a list and as a month calendar, and a client's reviews.

mod calendar;
mod client;
mod review;
mod schedule;

pub use calendar::CalendarPage;
pub use client::{ClientReviews, ClientReviewsData};
pub use review::ReviewPage;
pub use schedule::SchedulePage;

use crate::components::TimeAgo;
use crate::components::{Column, DataTable};
use crate::reviews::api::ChangeOccurrence;
use crate::reviews::types::{kind_label, OccurrenceView};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn query(name: &'static str) -> Memo<String> {
    let map = use_query_map();
    Memo::new(move |_| map.read().get(name).unwrap_or_default())
}

#[component]
fn StateBadge(o: OccurrenceView) -> impl IntoView {
    if o.overdue {
        view! { <span class="badge badge-overdue">{format!("{} · overdue", o.state_label)}</span> }.into_any()
    } else {
        let class = format!("badge badge-review-{}", o.state);
        view! { <span class=class>{o.state_label}</span> }.into_any()
    }
}

#[component]
fn ScheduleTabs(current: &'static str) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Schedule views">
            <a href="/reviews" aria-current=(current == "list").then_some("page")>"List"</a>
            <a href="/reviews/calendar" aria-current=(current == "calendar").then_some("page")>"Calendar"</a>
        </nav>
    }
}

/// Occurrences with their due day, state and, for those one may run, the actions.
fn review_columns(show_client: bool) -> Vec<Column> {
    let mut columns = vec![Column::from("Due")];
    if show_client {
        columns.push("Client".into());
    }
    columns.extend([Column::from("Review"), "State".into(), Column::hidden("Actions")]);
    columns
}

#[component]
fn ReviewTable(
    items: Vec<OccurrenceView>,
    show_client: bool,
    label: &'static str,
    change: ServerAction<ChangeOccurrence>,
) -> impl IntoView {
    view! {
        <DataTable label=label columns=review_columns(show_client)>
            // Keyed, so that a row's open form never passes to another review when the list
            // changes (an unkeyed list would rebuild the rows in place, open <details> and all).
            <For each=move || items.clone() key=|o| (o.id, o.version) let:o>
                <ReviewRow o show_client change/>
            </For>
        </DataTable>
    }
}

#[component]
fn ReviewRow(o: OccurrenceView, show_client: bool, change: ServerAction<ChangeOccurrence>) -> impl IntoView {
    let id = o.id;
    let name = format!("{} at {}", o.title, o.client_name);
    let (start_label, schedule_label, done_label, skip_label) =
        (format!("Start {name}"), format!("Schedule {name}"), format!("Mark {name} done"), format!("Skip {name}"));
    let hidden = move |action: &'static str| {
        view! {
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="version" value=o.version/>
            <input type="hidden" name="action" value=action/>
        }
    };
    view! {
        <tr class:row-overdue=o.overdue>
            <td>
                <time datetime=o.due_on.clone()>{o.due_on.clone()}</time>
                {o.scheduled_on.clone().map(|d| view! { <br/><span class="muted">{format!("scheduled {d}")}</span> })}
            </td>
            {show_client.then(|| view! { <td><a href=format!("/clients/{}", o.client_slug)>{o.client_name.clone()}</a></td> })}
            <td>
                <a href=format!("/reviews/{id}")>{o.title.clone()}</a>
                {(o.title != kind_label(&o.kind)).then(|| view! { <br/><span class="muted">{kind_label(&o.kind)}</span> })}
                <br/><span class="muted small">{format!("{}{}", o.cadence, if o.owner.is_empty() { String::new() } else { format!(" · owner {}", o.owner) })}</span>
            </td>
            <td>
                <StateBadge o=o.clone()/>
                {o.closed.clone().map(|w| view! { <br/><span class="muted">"closed "<TimeAgo when=w/>{o.closed_by.clone().map(|b| format!(" by {b}"))}</span> })}
                {(!o.note.is_empty()).then(|| view! { <br/><span class="muted">{o.note.clone()}</span> })}
            </td>
            <td>
                {o.can_manage.then(|| view! {
                    <div class="row-actions">
                        {(o.state == "planned").then(|| view! {
                            <ActionForm action=change>
                                {hidden("start")}
                                <button type="submit" class="btn btn-small" aria-label=start_label>"Start"</button>
                            </ActionForm>
                        })}
                        <details class="confirm">
                            <summary class="btn btn-small">"Schedule…"</summary>
                            <ActionForm action=change>
                                {hidden("schedule")}
                                <label for=format!("schedule-{id}")>"Meeting day"</label>
                                <input id=format!("schedule-{id}") name="scheduled_on" type="date"/>
                                <button type="submit" class="btn btn-small" aria-label=schedule_label>"Save day"</button>
                            </ActionForm>
                        </details>
                        <details class="confirm">
                            <summary class="btn btn-small btn-primary">"Close…"</summary>
                            <ActionForm action=change>
                                {hidden("done")}
                                <label for=format!("done-note-{id}")>"What was done (optional)"</label>
                                <input id=format!("done-note-{id}") name="note" maxlength="2000"/>
                                <button type="submit" class="btn btn-small btn-primary" aria-label=done_label>"Mark done"</button>
                            </ActionForm>
                            <ActionForm action=change>
                                {hidden("skip")}
                                <label for=format!("skip-note-{id}")>"Why it is skipped"</label>
                                <input id=format!("skip-note-{id}") name="note" maxlength="2000"/>
                                <button type="submit" class="btn btn-small" aria-label=skip_label>"Skip"</button>
                            </ActionForm>
                        </details>
                    </div>
                })}
            </td>
        </tr>
    }
}
