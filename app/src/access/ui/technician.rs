//! One technician: the lifecycle checklists, offboarding, grants and granting access.

use super::*;
use crate::access::api::{
    get_technician, ChangeRole, ChangeTechnicianState, CompleteStep, GrantAccess, ReviewGrant, RevokeGrant,
    StartOffboarding,
};
use crate::access::types::{OffboardingView, StepView, TechnicianDetail};
use crate::components::{crumb, Breadcrumbs};
use crate::components::{ActionError, FieldErrorText, Loading, PageError, PageTitle, TimeAgo};
use crate::components::{CheckField, Column, DataTable, SelectField, TextField};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The actions on one technician's page.
#[derive(Clone, Copy)]
pub(super) struct TechnicianActions {
    state: ServerAction<ChangeTechnicianState>,
    offboard: ServerAction<StartOffboarding>,
    role: ServerAction<ChangeRole>,
    step: ServerAction<CompleteStep>,
    grant: ServerAction<GrantAccess>,
    review: ServerAction<ReviewGrant>,
    revoke: ServerAction<RevokeGrant>,
}

impl TechnicianActions {
    /// The last failure of any of them, to show at the top of the page.
    fn error(self) -> Option<AppError> {
        let err = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        err(self.state.value().get())
            .or_else(|| err(self.offboard.value().get()))
            .or_else(|| err(self.role.value().get()))
            .or_else(|| err(self.step.value().get()))
            .or_else(|| err(self.grant.value().get()))
            .or_else(|| err(self.review.value().get()))
            .or_else(|| err(self.revoke.value().get()))
    }
}

#[component]
pub fn TechnicianPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let actions = TechnicianActions {
        state: ServerAction::new(),
        offboard: ServerAction::new(),
        role: ServerAction::new(),
        step: ServerAction::new(),
        grant: ServerAction::new(),
        review: ServerAction::new(),
        revoke: ServerAction::new(),
    };
    let detail = Resource::new(
        move || {
            (
                id.get(),
                actions.state.version().get(),
                actions.offboard.version().get(),
                actions.role.version().get(),
                actions.step.version().get(),
                actions.grant.version().get(),
                actions.review.version().get(),
                actions.revoke.version().get(),
            )
        },
        |(id, ..)| get_technician(id),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <TechnicianBody d actions/> }.into_any(),
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn TechnicianBody(d: TechnicianDetail, actions: TechnicianActions) -> impl IntoView {
    let t = d.technician.clone();
    let state = t.state.clone();
    let is_leaver = matches!(state.as_str(), "offboarding" | "departed");
    let manage = d.can_manage;
    view! {
        <PageTitle text=t.name.clone()/>
        <Breadcrumbs trail=vec![crumb("Technicians", "/technicians")] here=t.name.clone()/>
        <header class="page-header">
            <div>
                <h1>{t.name.clone()}</h1>
                <p class="page-subtitle">
                    <StateBadge state=t.state.clone()/>
                    " "
                    {format!("{} · {}", t.title, t.email)}
                </p>
            </div>
            <div class="page-actions">
                {(manage && state == "onboarding").then(|| view! {
                    <ActionForm action=actions.state>
                        <input type="hidden" name="id" value=t.id/>
                        <input type="hidden" name="version" value=t.version/>
                        <input type="hidden" name="state" value="active"/>
                        <button type="submit" class="btn">"Mark active"</button>
                    </ActionForm>
                })}
                {(manage && state == "offboarding").then(|| view! {
                    <ActionForm action=actions.state>
                        <input type="hidden" name="id" value=t.id/>
                        <input type="hidden" name="version" value=t.version/>
                        <input type="hidden" name="state" value="departed"/>
                        <button type="submit" class="btn">"Mark departed"</button>
                    </ActionForm>
                })}
            </div>
        </header>
        {move || actions.error().map(|error| view! { <ActionError error/> })}
        {(manage && !is_leaver).then(|| view! { <LifecycleForms id=t.id version=t.version title=t.title.clone() actions/> })}
        {d.offboarding.clone().map(|o| view! { <OffboardingCard o/> })}
        <section class="card" aria-labelledby="grants-heading">
            <h2 id="grants-heading" class="card-title">"Access"</h2>
            <GrantTable
                grants=d.grants.clone()
                show_client=true
                show_technician=false
            />
        </section>
        {(!d.offboarding_steps.is_empty()).then(|| view! {
            <ChecklistCard title="Offboarding checklist" steps=d.offboarding_steps.clone() technician_id=t.id manage action=actions.step/>
        })}
        {(!d.mover_steps.is_empty()).then(|| view! {
            <ChecklistCard title="Role changes" steps=d.mover_steps.clone() technician_id=t.id manage action=actions.step/>
        })}
        {(!d.onboarding.is_empty()).then(|| view! {
            <ChecklistCard title="Onboarding checklist" steps=d.onboarding.clone() technician_id=t.id manage=manage && !is_leaver action=actions.step/>
        })}
        {(manage && !is_leaver).then(|| view! { <GrantForm d=d.clone() grant=actions.grant/> })}
    }
}

/// Starting an offboarding, and recording a role change.
#[component]
pub(super) fn LifecycleForms(id: i64, version: i64, title: String, actions: TechnicianActions) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="lifecycle-heading">
            <h2 id="lifecycle-heading" class="card-title">"Lifecycle"</h2>
            <div class="lifecycle-forms">
                <details class="confirm">
                    <summary class="btn btn-danger">"Start offboarding…"</summary>
                    <ActionForm action=actions.offboard attr:class="stack">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <div class="field">
                            <label for="offboard-t0">"T0: departure, or notice for an involuntary exit (UTC)"</label>
                            <input id="offboard-t0" name="t0" type="datetime-local" aria-describedby="offboard-t0-hint"/>
                            <p class="hint" id="offboard-t0-hint">"Leave empty for now. Every deadline counts from T0."</p>
                        </div>
                        <div class="field field-check">
                            <label><input type="checkbox" name="involuntary" value="on"/>" Involuntary exit (shorter deadlines)"</label>
                        </div>
                        <button type="submit" class="btn btn-danger">"Start offboarding"</button>
                    </ActionForm>
                </details>
                <details class="confirm">
                    <summary class="btn">"Record a role change…"</summary>
                    <ActionForm action=actions.role attr:class="stack">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="version" value=version/>
                        <div class="field">
                            <label for="role-title">"New job title"</label>
                            <input id="role-title" name="title" maxlength="120" value=title/>
                            <p class="hint">"Every active grant must then be kept or revoked (MOV-01)."</p>
                        </div>
                        <button type="submit" class="btn">"Record role change"</button>
                    </ActionForm>
                </details>
            </div>
        </section>
    }
}

#[component]
pub(super) fn OffboardingCard(o: OffboardingView) -> impl IntoView {
    let kind = if o.involuntary { "Involuntary exit" } else { "Voluntary exit" };
    view! {
        <section class="card" aria-labelledby="offboarding-heading">
            <h2 id="offboarding-heading" class="card-title">"Offboarding"</h2>
            <dl class="facts">
                <div><dt>"T0"</dt><dd><TimeAgo when=o.t0/>" · "{kind}</dd></div>
                <div>
                    <dt>"Access revoked"</dt>
                    <dd>{format!("{} of {}", o.revoked, o.tasks)}</dd>
                </div>
                <div>
                    <dt>"Time to revoke all"</dt>
                    <dd>{o.time_to_revoke_all.unwrap_or_else(|| "not yet: access remains".into())}</dd>
                </div>
                <div>
                    <dt>"Past deadline"</dt>
                    <dd>
                        {if o.breaches == 0 {
                            view! { <span class="badge badge-ok">"None"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-overdue">{format!("{} grant(s)", o.breaches)}</span> }.into_any()
                        }}
                    </dd>
                </div>
                <div>
                    <dt>"Steps done within SLA"</dt>
                    <dd>{format!("{} of {} ({} done)", o.steps_done_in_time, o.steps, o.steps_done)}</dd>
                </div>
                <div>
                    <dt>"Attested by a second person"</dt>
                    <dd>{if o.attested { "Yes" } else { "Not yet" }}</dd>
                </div>
            </dl>
        </section>
    }
}

/// A checklist: each step with its deadline, who did it and when, and a note.
#[component]
pub(super) fn ChecklistCard(
    title: &'static str,
    steps: Vec<StepView>,
    technician_id: i64,
    manage: bool,
    action: ServerAction<CompleteStep>,
) -> impl IntoView {
    let heading_id = format!("checklist-{}", title.to_lowercase().replace(' ', "-"));
    let labelled_by = heading_id.clone();
    let done = steps.iter().filter(|s| s.done.is_some()).count();
    let total = steps.len();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading_id class="card-title">{title}" "<span class="muted">{format!("{done} of {total} done")}</span></h2>
            <DataTable label=title columns=vec!["Step".into(), "SLA".into(), "Due".into(), "Done".into(), Column::hidden("Actions")]>
                {steps
                    .into_iter()
                    .map(|s| {
                        let id = s.id;
                        let note_id = format!("step-note-{id}");
                        let open = s.done.is_none();
                        let label = format!("Mark {} done", s.code);
                        view! {
                            <tr class:row-overdue=s.overdue>
                                <td>
                                    <strong>{s.code.clone()}</strong>" "{s.title.clone()}
                                    {s.gate.clone().map(|g| view! { <br/><span class="muted">{g}</span> })}
                                    <br/><span class="muted small">{s.sources.clone()}</span>
                                </td>
                                <td>{s.sla_text.clone()}</td>
                                <td>
                                    <TimeAgo when=s.due.clone()/>
                                    {s.overdue.then(|| view! { " " <span class="badge badge-overdue">"Past SLA"</span> })}
                                </td>
                                <td>
                                    {s.done.clone().map(|w| view! {
                                        <TimeAgo when=w/>
                                        {s.done_by.clone().map(|by| format!(" by {by}"))}
                                        {s.done_late.then(|| view! { " " <span class="badge badge-overdue">"Late"</span> })}
                                        {(!s.note.is_empty()).then(|| view! { <br/><span class="muted">{s.note.clone()}</span> })}
                                    })}
                                </td>
                                <td>
                                    {(manage && open).then(|| view! {
                                        <details class="confirm">
                                            <summary class="btn btn-small">"Done…"</summary>
                                            <ActionForm action=action>
                                                <input type="hidden" name="technician_id" value=technician_id/>
                                                <input type="hidden" name="step_id" value=id/>
                                                <label for=note_id.clone()>"Note (what was done, where the record is)"</label>
                                                <input id=note_id name="note" maxlength="1000"/>
                                                <button type="submit" class="btn btn-small btn-primary" aria-label=label>"Mark done"</button>
                                            </ActionForm>
                                        </details>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </section>
    }
}

#[component]
pub(super) fn GrantForm(d: TechnicianDetail, grant: ServerAction<GrantAccess>) -> impl IntoView {
    let error = Signal::derive(move || grant.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    view! {
        <section class="card" aria-labelledby="grant-heading">
            <h2 id="grant-heading" class="card-title">"Grant access"</h2>
            <p class="muted">"You approve this grant: it is recorded under your name."</p>
            <ActionForm action=grant attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="technician_id" value=d.technician.id/>
                <div class="form-grid">
                    <SelectField id="grant-client" name="client_slug" label="Client" choices=d.clients/>
                    <SelectField id="grant-system" name="system" label="System" choices=vocabulary::SYSTEMS error=at("system")/>
                    <TextField id="grant-system-name" name="system_name" label="Other system's name" maxlength=80 error=at("system_name")/>
                    <SelectField id="grant-privilege" name="privilege" label="Privilege" choices=vocabulary::PRIVILEGES error=at("privilege")/>
                    <TextField
                        id="grant-justification"
                        name="justification"
                        label="Justification"
                        maxlength=1000
                        error=at("justification")
                        wide=true
                    />
                    <TextField id="grant-expires" name="expires_on" label="Expires on" kind="date" error=at("expires_on")/>
                    <CheckField name="mfa" value="on" checked=true label="MFA enforced"/>
                </div>
                <FieldErrorText id="grant-technician-error".to_string() error=at("technician_id")/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Grant access"</button>
                </div>
            </ActionForm>
        </section>
    }
}
