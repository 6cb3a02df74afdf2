//! Access findings across the portfolio: grants that need attention and late checklists.

use super::*;
use crate::access::api::{list_findings, ReviewGrant, RevokeGrant};
use crate::access::types::LateChecklistView;
use crate::components::EmptyState;
use crate::components::{columns, DataTable};
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle, Pager, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn FindingsPage() -> impl IntoView {
    let review = ServerAction::<ReviewGrant>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let query = use_query_map();
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u32>().ok()));
    let found = Resource::new(
        move || (page.get(), review.version().get(), revoke.version().get()),
        |(page, _, _)| list_findings(page),
    );
    view! {
        <PageTitle text="Access findings"/>
        <header class="page-header">
            <div>
                <h1>"Access findings"</h1>
                <p class="page-subtitle">
                    "Leavers still holding access, revocations and checklists past their deadlines, grants past expiry, admin access without MFA, and grants not reviewed in time."
                </p>
            </div>
        </header>
        {move || {
            let err = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
            err(review.value().get()).or_else(|| err(revoke.value().get())).map(|error| view! { <ActionError error/> })
        }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(found) if found.grants.is_empty() && found.late_checklists.is_empty() => {
                        view! { <EmptyState heading="No findings" text="Every active grant and every checklist is in order."/> }
                            .into_any()
                    }
                    Ok(found) => {
                        let grants = found.grants;
                        let href = |p: u32| format!("/findings?page={p}");
                        let prev = (found.page > 1).then(|| href(found.page - 1));
                        let next = (found.page < found.pages).then(|| href(found.page + 1));
                        let summary = found
                            .by_kind
                            .iter()
                            .map(|(kind, n)| format!("{kind}: {n}"))
                            .collect::<Vec<_>>()
                            .join(" · ");
                        view! {
                            {(!found.late_checklists.is_empty()).then(|| view! { <LateChecklists late=found.late_checklists/> })}
                            <section class="card" aria-labelledby="grant-findings-heading">
                                <h2 id="grant-findings-heading" class="card-title">"Grants"</h2>
                                {(found.total > 0).then(|| view! {
                                    <p class="muted">
                                        {format!("{} grants with findings, the most urgent first. ", found.total)}
                                        {summary}
                                    </p>
                                })}
                                <GrantTable grants show_client=true show_technician=true/>
                                <Pager page=found.page pages=found.pages prev next/>
                            </section>
                        }
                            .into_any()
                    }
                    Err(AppError::Forbidden) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn LateChecklists(late: Vec<LateChecklistView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="late-heading">
            <h2 id="late-heading" class="card-title">"Checklists past their SLA"</h2>
            <DataTable label="Checklists past their SLA" columns=columns(["Technician", "Steps past their deadline"])>
                {late
                    .into_iter()
                    .map(|l| view! {
                        <tr>
                            <td>
                                <a href=format!("/technicians/{}", l.technician_id)>{l.technician_name}</a>
                                " "
                                <StateBadge state=l.technician_state/>
                            </td>
                            <td>
                                <ul class="plain">
                                    {l.overdue
                                        .into_iter()
                                        .map(|s| view! {
                                            <li><strong>{s.code}</strong>" "{s.title}" · due "<TimeAgo when=s.due/></li>
                                        })
                                        .collect_view()}
                                </ul>
                            </td>
                        </tr>
                    })
                    .collect_view()}
            </DataTable>
        </section>
    }
}
