//! A client's access: who at the MSP can reach it, the portal's view of it, and its service levels.

use super::*;
use crate::access::api::SaveClientSla;
use crate::access::types::{ClientSlaView, GrantView};
use crate::components::{columns, DataTable};
use crate::components::{ActionError, ErrorPanel, Loading};
use crate::error::AppError;
use leptos::prelude::*;

/// "Who at the MSP can reach this client", for the client's page, with the client's
/// revocation and review deadlines.
#[component]
pub fn ClientAccess(data: ClientAccessData) -> impl IntoView {
    let ClientAccessData { slug, grants, sla, review, revoke, save_sla } = data;
    let error = move || {
        let err = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        err(review.value().get()).or_else(|| err(revoke.value().get())).or_else(|| err(save_sla.value().get()))
    };
    view! {
        {move || error().map(|error| view! { <ActionError error/> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match grants.await {
                    // The client portal: who holds access now, and whose access ended.
                    Ok(grants) if grants.iter().any(|g| !g.technician_page) => {
                        view! { <PortalAccess grants/> }.into_any()
                    }
                    Ok(grants) => {
                        view! { <GrantTable grants show_client=false show_technician=true/> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match sla.await {
                    Ok(sla) => view! { <ClientSlaPanel slug=slug.get_untracked() sla save=save_sla/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Who at the MSP can reach the client, as its own viewers read it: current access, and the
/// access removed in the last twelve months with when it was removed. Nothing internal (reasons,
/// evidence, findings) and no links into the MSP's own pages.
#[component]
pub(super) fn PortalAccess(grants: Vec<GrantView>) -> impl IntoView {
    let (removed, current): (Vec<GrantView>, Vec<GrantView>) = grants.into_iter().partition(|g| g.revoked.is_some());
    view! {
        <h3 id="current-access-heading">"Current access"</h3>
        {if current.is_empty() {
            view! { <p class="muted">"Nobody at the MSP holds access."</p> }.into_any()
        } else {
            view! {
                <DataTable labelled_by="current-access-heading" columns=columns(["Technician", "System", "Privilege", "MFA", "Since"])>
                    {current
                        .into_iter()
                        .map(|g| view! {
                            <tr>
                                <td>{g.technician_name} " " <StateBadge state=g.technician_state/></td>
                                <td>{g.system}</td>
                                <td>{g.privilege}</td>
                                <td>{if g.mfa { "Yes" } else { "No" }}</td>
                                <td><time datetime=g.granted.iso>{g.granted.absolute}</time></td>
                            </tr>
                        })
                        .collect_view()}
                </DataTable>
            }
                .into_any()
        }}
        <h3 id="removed-access-heading">"Access removed in the last 12 months"</h3>
        {if removed.is_empty() {
            view! { <p class="muted">"No access was removed in the last 12 months."</p> }.into_any()
        } else {
            view! {
                <DataTable labelled_by="removed-access-heading" columns=columns(["Technician", "System", "Privilege", "Removed"])>
                    {removed
                        .into_iter()
                        .map(|g| {
                            let revoked = g.revoked.clone().unwrap_or_else(|| g.granted.clone());
                            view! {
                                <tr>
                                    <td>{g.technician_name} " " <StateBadge state=g.technician_state/></td>
                                    <td>{g.system}</td>
                                    <td>{g.privilege}</td>
                                    <td>
                                        <time datetime=revoked.iso>{revoked.absolute}</time>
                                        {g.time_to_revoke.map(|t| view! {
                                            <br/>
                                            <span class="muted">{format!("{t} after the technician's departure")}</span>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
            }
                .into_any()
        }}
    }
}

#[component]
pub(super) fn ClientSlaPanel(slug: String, sla: ClientSlaView, save: ServerAction<SaveClientSla>) -> impl IntoView {
    let source = |contract: bool| if contract { "this client's contract" } else { "the MSP's default" };
    let review_slug = slug.clone();
    view! {
        <div class="sla-summary">
            <h3>"Deadlines for this client"</h3>
            <p>
                {format!(
                    "A leaver's access here is revoked within {} ({} if the exit is involuntary), from {}. Every grant is reviewed every {}, from {}.",
                    sla.revoke,
                    sla.revoke_involuntary,
                    source(sla.revoke_is_contract),
                    sla.review,
                    source(sla.review_is_contract),
                )}
            </p>
            {sla.can_edit.then(move || view! {
                <details class="confirm">
                    <summary class="btn btn-small">"Set the contract's deadlines…"</summary>
                    <p class="muted">"A contract can only tighten the MSP's defaults. Leave the amount empty to use the default."</p>
                    <ActionForm action=save attr:class="stack">
                        <input type="hidden" name="slug" value=slug/>
                        <input type="hidden" name="code" value="REVOKE"/>
                        <SlaInputs prefix="client-revoke".into() label="Revoke a leaver's access within" amount_name="amount" unit_name="unit" amount=None unit="hours".into()/>
                        <SlaInputs prefix="client-revoke".into() label="Involuntary exits" amount_name="involuntary_amount" unit_name="involuntary_unit" amount=None unit="hours".into()/>
                        <button type="submit" class="btn btn-small">"Save revocation deadline"</button>
                    </ActionForm>
                    <ActionForm action=save attr:class="stack">
                        <input type="hidden" name="slug" value=review_slug/>
                        <input type="hidden" name="code" value="REVIEW"/>
                        <SlaInputs prefix="client-review".into() label="Review every grant every" amount_name="amount" unit_name="unit" amount=None unit="days".into()/>
                        <button type="submit" class="btn btn-small">"Save review period"</button>
                    </ActionForm>
                </details>
            })}
        </div>
    }
}
