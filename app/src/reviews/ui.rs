//! Review pages: the schedule as a list and as a month calendar, and a client's reviews.

use super::api::{
    client_reviews, feed_status, get_review, list_schedule, month_calendar, AddDefaultSeries, ChangeOccurrence,
    CreateSeries, Decide, RotateFeed,
};
use super::types::{
    kind_label, CalendarView, CampaignItemView, ClientReviewsView, OccurrenceView, ReviewDetailView, CADENCES,
    DECISIONS, KINDS, STATES,
};
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle, Pager, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

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

/// Occurrences with their due day, state and, for those one may run, the actions.
#[component]
fn ReviewTable(
    items: Vec<OccurrenceView>,
    show_client: bool,
    label: &'static str,
    change: ServerAction<ChangeOccurrence>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data" aria-label=label>
                <thead>
                    <tr>
                        <th scope="col">"Due"</th>
                        {show_client.then(|| view! { <th scope="col">"Client"</th> })}
                        <th scope="col">"Review"</th>
                        <th scope="col">"State"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    // Keyed, so that a row's open form never passes to another review when the list
                    // changes (an unkeyed list would rebuild the rows in place, open <details> and all).
                    <For each=move || items.clone() key=|o| (o.id, o.version) let:o>
                        <ReviewRow o show_client change/>
                    </For>
                </tbody>
            </table>
        </div>
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

/// The signed-in user's calendar feed: a secret address, shown once when made or rotated.
#[component]
fn FeedCard() -> impl IntoView {
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
fn MonthGrid(c: CalendarView) -> impl IntoView {
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
                                view! { <ReviewTable items=r.open show_client=false label="Open reviews" change/> }.into_any()
                            }}
                            {(!r.recent.is_empty()).then(|| view! {
                                <details>
                                    <summary>"Recently closed"</summary>
                                    <ReviewTable items=r.recent show_client=false label="Recently closed reviews" change/>
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
fn SeriesForms(
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
                    <label for="series-kind">"Kind"</label>
                    <select id="series-kind" name="kind">
                        {KINDS.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                    </select>
                    <label for="series-title">"Title (a custom review needs one)"</label>
                    <input id="series-title" name="title" maxlength="120"/>
                    <label for="series-cadence">"Cadence"</label>
                    <select id="series-cadence" name="cadence">
                        <option value="">"The default for this client's tier"</option>
                        {CADENCES.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                    </select>
                    <label for="series-owner">"Owner"</label>
                    <input id="series-owner" name="owner" maxlength="120"/>
                    <label for="series-start">"First due"</label>
                    <input id="series-start" name="starts_on" type="date" value=create_today/>
                    <button type="submit" class="btn btn-small btn-primary">"Start series"</button>
                </ActionForm>
            </details>
        </div>
    }
}

/// One review: its state and actions, and for an access review every grant under review with
/// the reviewer's decision.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let change = ServerAction::<ChangeOccurrence>::new();
    let decide = ServerAction::<Decide>::new();
    let sign_off = ServerAction::<super::meetings::SignOffMeeting>::new();
    let detail = Resource::new(
        move || (id.get(), change.version().get(), decide.version().get(), sign_off.version().get()),
        |(id, ..)| get_review(id),
    );
    let error = move || {
        let err = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        err(change.value().get()).or_else(|| err(decide.value().get()))
    };
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! {
                        <PageTitle text=format!("{} · {}", d.occurrence.title, d.occurrence.client_name)/>
                        <nav class="breadcrumbs" aria-label="Breadcrumb">
                            <ol>
                                <li><a href="/reviews">"Reviews"</a></li>
                                <li><a href=format!("/clients/{}#reviews", d.occurrence.client_slug)>{d.occurrence.client_name.clone()}</a></li>
                                <li aria-current="page">{d.occurrence.title.clone()}</li>
                            </ol>
                        </nav>
                        <header class="page-header">
                            <div>
                                <h1>{format!("{} · {}", d.occurrence.title, d.occurrence.client_name)}</h1>
                                <p class="page-subtitle">
                                    <StateBadge o=d.occurrence.clone()/>
                                    {format!(" Due {}", d.occurrence.due_on)}
                                    {d.started.clone().map(|w| view! { " · started " <TimeAgo when=w/> })}
                                </p>
                            </div>
                        </header>
                        {move || error().map(|error| view! { <ActionError error/> })}
                        <ReviewTable items=vec![d.occurrence.clone()] show_client=false label="This review" change/>
                        {d.is_access_review.then(|| view! { <CampaignCard d=d.clone() decide/> })}
                        {(d.occurrence.kind == "security_review").then(|| view! {
                            <super::meeting_ui::MeetingCard id=d.occurrence.id sign_off/>
                        })}
                    }.into_any(),
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CampaignCard(d: ReviewDetailView, decide: ServerAction<Decide>) -> impl IntoView {
    let occurrence_id = d.occurrence.id;
    let can_decide = d.can_decide;
    let total = d.items.len();
    view! {
        <section class="card" aria-labelledby="campaign-heading">
            <h2 id="campaign-heading" class="card-title">"Grants under review"</h2>
            {if d.started.is_none() {
                view! { <p class="muted">"Start the review to take the list of the client's active grants."</p> }.into_any()
            } else {
                view! {
                    <p>
                        {format!("{} of {} decided ({}%). ", d.decided, total, d.completion)}
                        <progress max="100" value=d.completion aria-label="Decided"></progress>
                    </p>
                    <p class="muted">
                        "Riskiest first. Keeping admin access needs a reason; revoking creates a revocation task in the access register. Sign off (mark done) once every grant is decided."
                    </p>
                    <div class="table-wrap">
                        <table class="data" aria-label="Grants under review">
                            <thead>
                                <tr>
                                    <th scope="col">"Technician"</th>
                                    <th scope="col">"System"</th>
                                    <th scope="col">"Privilege"</th>
                                    <th scope="col">"MFA"</th>
                                    <th scope="col">"Last reviewed"</th>
                                    <th scope="col">"Decision"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=move || d.items.clone() key=|i| (i.id, i.decision.clone()) let:item>
                                    <CampaignRow item occurrence_id can_decide decide/>
                                </For>
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn CampaignRow(
    item: CampaignItemView,
    occurrence_id: i64,
    can_decide: bool,
    decide: ServerAction<Decide>,
) -> impl IntoView {
    let id = item.id;
    let label = format!("Decide on {} for {}", item.system, item.technician_name);
    view! {
        <tr class:row-overdue=!item.findings.is_empty()>
            <td>
                <a href=format!("/technicians/{}", item.technician_id)>{item.technician_name.clone()}</a>
                " "<span class="muted">{format!("({})", item.technician_state)}</span>
                {(!item.findings.is_empty()).then(|| view! {
                    <ul class="findings">{item.findings.iter().map(|f| view! { <li><span class="badge badge-overdue">{f.clone()}</span></li> }).collect_view()}</ul>
                })}
            </td>
            <td>{item.system.clone()}</td>
            <td>{item.privilege.clone()}</td>
            <td>{if item.mfa { "Yes" } else { "No" }}</td>
            <td>
                {match item.last_reviewed.clone() {
                    Some(w) => view! { <TimeAgo when=w/> }.into_any(),
                    None => view! { <span class="muted">"never"</span> }.into_any(),
                }}
            </td>
            <td>
                {item.decision.clone().map(|d| view! {
                    <strong>{DECISIONS.iter().find(|(v, _)| *v == d).map(|(_, l)| *l).unwrap_or("?")}</strong>
                    {item.decided_by.clone().map(|b| format!(" by {b}"))}
                    {(!item.reason.is_empty()).then(|| view! { <br/><span class="muted">{item.reason.clone()}</span> })}
                })}
                {item.revocation.clone().map(|r| view! { <br/><span class="muted">{r}</span> })}
                {can_decide.then(|| view! {
                    <details class="confirm">
                        <summary class="btn btn-small">{if item.decision.is_some() { "Change…" } else { "Decide…" }}</summary>
                        <ActionForm action=decide>
                            <input type="hidden" name="occurrence_id" value=occurrence_id/>
                            <input type="hidden" name="item_id" value=id/>
                            <label for=format!("decision-{id}")>"Decision"</label>
                            <select id=format!("decision-{id}") name="decision">
                                {DECISIONS.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                            </select>
                            <label for=format!("reason-{id}")>"Reason"</label>
                            <input id=format!("reason-{id}") name="reason" maxlength="1000"/>
                            <button type="submit" class="btn btn-small btn-primary" aria-label=label>"Save decision"</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}
