//! Evidence overdue across the portfolio.

use super::*;
use crate::components::EmptyState;
use crate::components::{columns, DataTable};
use crate::components::{Loading, PageError, PageTitle, TimeAgo};
use crate::controls::api::list_overdue;
use crate::controls::types::severity_label;
use leptos::prelude::*;

#[component]
pub fn OverduePage() -> impl IntoView {
    let overdue = Resource::new(|| (), |_| list_overdue());
    view! {
        <PageTitle text="Overdue evidence"/>
        <header class="page-header">
            <div>
                <h1>"Overdue evidence"</h1>
                <p class="page-subtitle">
                    "Controls whose last verification is older than their review frequency allows, most severe first."
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match overdue.await {
                    Ok(list) if list.items.is_empty() => {
                        view! {
                            <EmptyState heading="Nothing is overdue" text="Every recorded control was verified within its review period."/>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let shown = if list.total > list.items.len() as i64 {
                            format!("The {} most urgent of {} overdue controls", list.items.len(), list.total)
                        } else {
                            format!("{} overdue controls", list.total)
                        };
                        view! {
                            <p class="muted">{shown}</p>
                            <DataTable label="Overdue evidence" columns=columns(["Client", "Control", "Severity", "Status", "Last verified", "Due"])>
                                {list
                                    .items
                                    .into_iter()
                                    .map(|i| {
                                        let control_href = format!("/clients/{}/controls/{}", i.client_slug, i.control_id);
                                        view! {
                                            <tr>
                                                <td>
                                                    <a href=format!("/clients/{}", i.client_slug)>{i.client_name}</a>
                                                    " "
                                                    <crate::components::TierBadge tier=i.client_tier/>
                                                </td>
                                                <td>
                                                    <a href=control_href>{format!("{} {}", i.control_id, i.title)}</a>
                                                </td>
                                                <td class="num">{severity_label(i.severity)}</td>
                                                <td>
                                                    <StatusBadge status=i.status/>
                                                </td>
                                                <td>
                                                    {match i.last_verified {
                                                        Some(w) => view! { <TimeAgo when=w/> }.into_any(),
                                                        None => view! { "never" }.into_any(),
                                                    }}
                                                </td>
                                                <td>
                                                    <span class="badge badge-overdue">"Overdue"</span>
                                                    " "
                                                    <TimeAgo when=i.due/>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </DataTable>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
