//! Access pages: technicians, one technician with their grants, who can reach a client, and
//! stale-access findings.

mod client;
mod findings;
mod sla;
mod technician;
mod technicians;

pub use client::ClientAccess;
pub use findings::FindingsPage;
pub use sla::SlaSettingsPage;
pub use technician::TechnicianPage;
pub use technicians::TechniciansPage;

use crate::access::api::{get_client_sla, list_client_access, ReviewGrant, RevokeGrant, SaveClientSla};
use crate::access::types::{technician_state_label, ClientSlaView, GrantView};
use crate::components::{options, TimeAgo};
use crate::components::{Column, DataTable};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
fn StateBadge(state: String) -> impl IntoView {
    let class = format!("badge badge-technician-{state}");
    view! { <span class=class>{technician_state_label(&state)}</span> }
}

#[component]
fn FindingList(findings: Vec<String>) -> impl IntoView {
    (!findings.is_empty()).then(|| {
        view! {
            <ul class="findings">
                {findings.into_iter().map(|f| view! { <li><span class="badge badge-overdue">{f}</span></li> }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn GrantTable(
    grants: Vec<GrantView>,
    /// Show the client column (on a technician's page, and across clients).
    show_client: bool,
    /// Show the technician column (on a client's page, and across clients).
    show_technician: bool,
    review: ServerAction<ReviewGrant>,
    revoke: ServerAction<RevokeGrant>,
) -> impl IntoView {
    if grants.is_empty() {
        return view! { <p class="muted">"No access recorded."</p> }.into_any();
    }
    let label = match (show_client, show_technician) {
        (true, true) => "Access findings",
        (true, false) => "Access by client",
        _ => "Who at the MSP can reach this client",
    };
    view! {
        <DataTable label=label columns=grant_columns(show_client, show_technician)>
            // Keyed, so that an open revoke form never passes to another grant when the list changes.
            <For each=move || grants.clone() key=|g| (g.id, g.state.clone(), g.reapproval_due.is_some(), g.last_reviewed.as_ref().map(|w| w.iso.clone()))
                children=move |g| {
                    let client = show_client.then(|| {
                        view! { <td><a href=format!("/clients/{}", g.client_slug)>{g.client_name.clone()}</a></td> }
                    });
                    let technician = show_technician.then(|| {
                        view! {
                            <td>
                                <a href=format!("/technicians/{}", g.technician_id)>{g.technician_name.clone()}</a>
                                " "
                                <StateBadge state=g.technician_state.clone()/>
                            </td>
                        }
                    });
                    let id = g.id;
                    // Each name holds its button's visible words, in order (WCAG 2.5.3).
                    let revoke_label = format!("Revoke {} at {} and record", g.system, g.client_name);
                    let leaver = matches!(g.technician_state.as_str(), "offboarding" | "departed");
                    let reapprove = g.reapproval_due.is_some();
                    let keep_label = if reapprove {
                        format!("Keep {} at {}", g.system, g.client_name)
                    } else {
                        format!("Still needed: {} at {}", g.system, g.client_name)
                    };
                    view! {
                        <tr>
                            {client}
                            {technician}
                            <td>{g.system.clone()}</td>
                            <td>{g.privilege.clone()}</td>
                            <td>{if g.mfa { "Yes" } else { "No" }}</td>
                            <td><TimeAgo when=g.granted.clone()/></td>
                            <td>
                                {match g.last_reviewed.clone() {
                                    Some(w) => view! { <TimeAgo when=w/> }.into_any(),
                                    None => view! { <span class="muted">"never"</span> }.into_any(),
                                }}
                            </td>
                            <td>
                                {match g.revoked.clone() {
                                    Some(w) => view! {
                                        "Revoked " <TimeAgo when=w/>
                                        {g.revoked_by.clone().map(|by| format!(" by {by}"))}
                                        <br/>
                                        <span class="muted">
                                            {format!("Verified: {}. {}", g.revocation_method.clone().unwrap_or_default(), g.revocation_evidence)}
                                        </span>
                                    }.into_any(),
                                    None => view! { {g.state.clone()} }.into_any(),
                                }}
                                {g.time_to_revoke.clone().map(|t| {
                                    let late = g.revoked_late;
                                    view! {
                                        <br/>
                                        <span class="muted">{format!("{t} after T0")}</span>
                                        {late.then(|| view! { " " <span class="badge badge-overdue">"Past its deadline"</span> })}
                                    }
                                })}
                                {(g.revoked.is_none()).then(|| g.revoke_due.clone().map(|due| {
                                    let overdue = g.revoke_overdue;
                                    view! {
                                        <br/>
                                        <span class:text-overdue=overdue>"Revoke by " <TimeAgo when=due/></span>
                                    }
                                }))}
                                {g.reapproval_due.clone().map(|due| view! {
                                    <br/>
                                    <span class="badge badge-pending">"Role changed: keep or revoke by " <TimeAgo when=due/></span>
                                })}
                                <FindingList findings=g.findings.clone()/>
                            </td>
                            <td>
                                {g.can_manage
                                    .then(|| {
                                        view! {
                                            {(!leaver).then(|| view! {
                                                <ActionForm action=review>
                                                    <input type="hidden" name="id" value=id/>
                                                    <button type="submit" class="btn btn-small" aria-label=keep_label>
                                                        {if reapprove { "Keep" } else { "Still needed" }}
                                                    </button>
                                                </ActionForm>
                                            })}
                                            <details class="confirm">
                                                <summary class="btn btn-small btn-danger">"Revoke…"</summary>
                                                <ActionForm action=revoke attr:class="stack">
                                                    <input type="hidden" name="id" value=id/>
                                                    <label for=format!("revoke-at-{id}")>"Removed at (UTC; empty for now)"</label>
                                                    <input id=format!("revoke-at-{id}") name="removed_at" type="datetime-local"/>
                                                    <label for=format!("revoke-method-{id}")>"How you verified it"</label>
                                                    <select id=format!("revoke-method-{id}") name="method">
                                                        {options(vocabulary::REVOCATION_METHODS.into(), Signal::default())}
                                                    </select>
                                                    <label for=format!("revoke-evidence-{id}")>"Evidence (ticket, report, screenshot reference)"</label>
                                                    <input id=format!("revoke-evidence-{id}") name="evidence" maxlength="1000"/>
                                                    <button type="submit" class="btn btn-small btn-danger" aria-label=revoke_label>
                                                        "Revoke and record"
                                                    </button>
                                                </ActionForm>
                                            </details>
                                        }
                                    })}
                            </td>
                        </tr>
                    }
                }
            />
        </DataTable>
    }
        .into_any()
}

fn grant_columns(show_client: bool, show_technician: bool) -> Vec<Column> {
    let mut columns = Vec::new();
    if show_client {
        columns.push(Column::from("Client"));
    }
    if show_technician {
        columns.push("Technician".into());
    }
    columns.extend(["System", "Privilege", "MFA", "Since", "Last reviewed", "State"].map(Column::from));
    columns.push(Column::hidden("Actions"));
    columns
}

/// The data behind "who at the MSP can reach this client", created by the client's page.
#[derive(Clone, Copy)]
pub struct ClientAccessData {
    slug: Memo<String>,
    grants: Resource<Result<Vec<GrantView>, AppError>>,
    sla: Resource<Result<ClientSlaView, AppError>>,
    review: ServerAction<ReviewGrant>,
    revoke: ServerAction<RevokeGrant>,
    save_sla: ServerAction<SaveClientSla>,
}

impl ClientAccessData {
    pub fn new(slug: Memo<String>) -> Self {
        let review = ServerAction::<ReviewGrant>::new();
        let revoke = ServerAction::<RevokeGrant>::new();
        let save_sla = ServerAction::<SaveClientSla>::new();
        let grants = Resource::new(
            move || (slug.get(), review.version().get(), revoke.version().get(), save_sla.version().get()),
            |(slug, ..)| list_client_access(slug),
        );
        let sla = Resource::new(move || (slug.get(), save_sla.version().get()), |(slug, _)| get_client_sla(slug));
        Self { slug, grants, sla, review, revoke, save_sla }
    }
}

/// Choosing an amount and unit of a service level.
#[component]
fn SlaInputs(
    prefix: String,
    #[prop(into)] label: String,
    amount_name: &'static str,
    unit_name: &'static str,
    amount: Option<i64>,
    unit: String,
) -> impl IntoView {
    let amount_id = format!("{prefix}-{amount_name}");
    let unit_id = format!("{prefix}-{unit_name}");
    view! {
        <div class="sla-inputs">
            <label for=amount_id.clone()>{label.clone()}</label>
            <input id=amount_id name=amount_name type="number" min="0" max="8784" value=amount.map(|a| a.to_string()) class="input-narrow"/>
            <label for=unit_id.clone() class="visually-hidden">{format!("{label}: unit")}</label>
            <select id=unit_id name=unit_name>{options(vocabulary::SLA_UNITS.into(), unit.into())}</select>
        </div>
    }
}
