//! One review, with its access-review campaign.

use super::*;
use crate::components::{columns, DataTable, SelectField, TextField};
use crate::components::{crumb, Breadcrumbs};
use crate::components::{ActionError, Loading, PageError, PageTitle, TimeAgo};
use crate::error::AppError;
use crate::reviews::api::{get_review, ChangeOccurrence, Decide};
use crate::reviews::types::{CampaignItemView, ReviewDetailView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// One review: its state and actions, and for an access review every grant under review with
/// the reviewer's decision.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let change = ServerAction::<ChangeOccurrence>::new();
    let decide = ServerAction::<Decide>::new();
    let sign_off = ServerAction::<crate::reviews::meetings::SignOffMeeting>::new();
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
                        <Breadcrumbs trail=vec![crumb("Reviews", "/reviews"), crumb(d.occurrence.client_name.clone(), format!("/clients/{}#reviews", d.occurrence.client_slug))] here=d.occurrence.title.clone()/>
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
                        <ReviewTable items=vec![d.occurrence.clone()] show_client=false label="This review"/>
                        {d.is_access_review.then(|| view! { <CampaignCard d=d.clone() decide/> })}
                        {(d.occurrence.kind == "security_review").then(|| view! {
                            <crate::reviews::meeting_ui::MeetingCard id=d.occurrence.id sign_off/>
                        })}
                    }.into_any(),
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn CampaignCard(d: ReviewDetailView, decide: ServerAction<Decide>) -> impl IntoView {
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
                    <DataTable label="Grants under review" columns=columns(["Technician", "System", "Privilege", "MFA", "Last reviewed", "Decision"])>
                        <For each=move || d.items.clone() key=|i| (i.id, i.decision.clone()) let:item>
                            <CampaignRow item occurrence_id can_decide decide/>
                        </For>
                    </DataTable>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub(super) fn CampaignRow(
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
                    <strong>{vocabulary::label_of(vocabulary::DECISIONS, &d).unwrap_or("?")}</strong>
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
                            <SelectField id=format!("decision-{id}") name="decision" label="Decision" choices=vocabulary::DECISIONS/>
                            <TextField id=format!("reason-{id}") name="reason" label="Reason" maxlength=1000/>
                            <button type="submit" class="btn btn-small btn-primary" aria-label=label>"Save decision"</button>
                        </ActionForm>
                    </details>
                })}
            </td>
        </tr>
    }
}
