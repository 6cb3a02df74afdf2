//! The MSP's service levels.

use super::*;
use crate::access::api::{list_sla_settings, SaveSla};
use crate::access::types::SlaRowView;
use crate::components::{columns, DataTable};
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle};
use crate::error::AppError;
use leptos::prelude::*;

/// The MSP's service levels: every checklist step, revocation and review.
#[component]
pub fn SlaSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSla>::new();
    let settings = Resource::new(move || save.version().get(), |_| list_sla_settings());
    view! {
        <PageTitle text="Service levels"/>
        <header class="page-header">
            <div>
                <h1>"Service levels"</h1>
                <p class="page-subtitle">
                    "How soon each onboarding, offboarding and mover step is due, how soon a leaver's access is revoked, and how often grants are reviewed. The Proposed column holds the defaults of Rampart's onboarding and offboarding checklists; a client's contract may tighten revocation and review on the client's page."
                </p>
            </div>
        </header>
        {move || save.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => {
                        let can_edit = s.can_edit;
                        view! {
                            <DataTable label="Service levels" columns=columns(["Step", "Proposed", "In force"])>
                                {s.rows.into_iter().map(|row| view! { <SlaRow row can_edit save/> }).collect_view()}
                            </DataTable>
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
pub(super) fn SlaRow(row: SlaRowView, can_edit: bool, save: ServerAction<SaveSla>) -> impl IntoView {
    let describe = |amount: i64, unit: &str| {
        let unit = vocabulary::label_of(vocabulary::SLA_UNITS, unit).unwrap_or(unit);
        format!("{amount} {unit}")
    };
    let in_force = match &row.involuntary {
        Some((a, u)) => format!("{}; involuntary {}", describe(row.amount, &row.unit), describe(*a, u)),
        None => describe(row.amount, &row.unit),
    };
    let prefix = format!("sla-{}", row.code.to_lowercase());
    view! {
        <tr>
            <td><strong>{row.code.clone()}</strong>" "{row.title.clone()}</td>
            <td>{row.proposed.clone()}</td>
            <td>
                {if can_edit {
                    let (inv_amount, inv_unit) = row.involuntary.clone().map(|(a, u)| (Some(a), u)).unwrap_or((None, "hours".into()));
                    view! {
                        <ActionForm action=save attr:class="sla-form">
                            <input type="hidden" name="code" value=row.code.clone()/>
                            <SlaInputs prefix=prefix.clone() label=format!("{}: within", row.code) amount_name="amount" unit_name="unit" amount=Some(row.amount) unit=row.unit.clone()/>
                            {row.has_involuntary.then(|| view! {
                                <SlaInputs prefix=prefix.clone() label="Involuntary" amount_name="involuntary_amount" unit_name="involuntary_unit" amount=inv_amount unit=inv_unit/>
                            })}
                            <button type="submit" class="btn btn-small" aria-label=format!("Save {}", row.code)>"Save"</button>
                        </ActionForm>
                    }
                        .into_any()
                } else {
                    view! { {in_force} }.into_any()
                }}
            </td>
        </tr>
    }
}
