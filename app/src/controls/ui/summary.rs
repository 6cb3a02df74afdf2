//! The hardening summary on a client's page.

use super::*;
use crate::components::Loading;
use crate::controls::types::ChecklistSummary;
use crate::error::AppError;
use leptos::prelude::*;

/// Counts per status for one client, for the client's page.
#[component]
pub fn HardeningSummary(summary: Resource<Result<ChecklistSummary, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                summary
                    .await
                    .ok()
                    .map(|summary| {
                        view! {
                            <ul class="status-summary" aria-label="Hardening status">
                                {vocabulary::CONTROL_STATUSES
                                    .iter()
                                    .zip(summary.by_status)
                                    .map(|(&(value, _), n)| {
                                        view! {
                                            <li>
                                                <StatusBadge status=value.to_string()/>
                                                " "
                                                <span class="num">{n}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                                <li>
                                    <span class="badge badge-overdue">"Overdue"</span>
                                    " "
                                    <span class="num">{summary.overdue}</span>
                                </li>
                                <li>
                                    <span class="badge badge-exception-active">"Risk accepted"</span>
                                    " "
                                    <span class="num">{summary.accepted}</span>
                                </li>
                            </ul>
                        }
                    })
            })}
        </Suspense>
    }
}
