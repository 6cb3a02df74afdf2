//! Access pages: technicians, one technician with their grants, who can reach a client, and
//! stale-access findings.

use super::api::{
    get_client_sla, get_technician, list_client_access, list_findings, list_sla_settings, list_technicians, ChangeRole,
    ChangeTechnicianState, CompleteStep, CreateTechnician, GrantAccess, ReviewGrant, RevokeGrant, SaveClientSla,
    SaveSla, StartOffboarding,
};
use super::types::{
    technician_state_label, ClientSlaView, GrantView, LateChecklistView, OffboardingView, SlaRowView, StepView,
    TechnicianDetail, TechnicianList, PRIVILEGES, REVOCATION_METHODS, SLA_UNITS, SYSTEMS,
};
use crate::components::{ActionError, ErrorPanel, FieldErrorText, Loading, PageError, PageTitle, Pager, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

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
pub fn TechniciansPage() -> impl IntoView {
    let create = ServerAction::<CreateTechnician>::new();
    let list = Resource::new(|| (), |_| list_technicians());
    view! {
        <PageTitle text="Technicians"/>
        <header class="page-header">
            <div>
                <h1>"Technicians"</h1>
                <p class="page-subtitle">"The MSP's staff who can reach clients, from onboarding to departure."</p>
            </div>
            <div class="page-actions">
                <Suspense>
                    {move || Suspend::new(async move {
                        list.await
                            .is_ok_and(|l| l.can_manage)
                            .then(|| view! { <a class="btn" href="/technicians/import">"Import CSV"</a> })
                    })}
                </Suspense>
                // A download, not a page: the router must let the browser fetch it.
                <a class="btn" href="/access/register.csv" rel="external">"Export CSV"</a>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <TechnicianTable list create/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TechnicianTable(list: TechnicianList, create: ServerAction<CreateTechnician>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    view! {
        {if list.technicians.is_empty() {
            view! { <div class="empty-state"><h2>"No technicians yet"</h2></div> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data" aria-label="Technicians">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Title"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Started"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {list
                                .technicians
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <tr>
                                            <td><a href=format!("/technicians/{}", t.id)>{t.name}</a></td>
                                            <td>{t.title}</td>
                                            <td><StateBadge state=t.state/></td>
                                            <td><TimeAgo when=t.started/></td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        {list.can_manage.then(|| view! {
            <section class="card" aria-labelledby="new-technician-heading">
                <h2 id="new-technician-heading" class="card-title">"New technician"</h2>
                {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
                <ActionForm action=create attr:class="stack" attr:novalidate=true>
                    <div class="form-grid">
                        <div class="field">
                            <label for="tech-name">"Full name"</label>
                            <input id="tech-name" name="name" maxlength="120"/>
                            <FieldErrorText id="tech-name-error".to_string() error=at("name")/>
                        </div>
                        <div class="field">
                            <label for="tech-email">"Work email"</label>
                            <input id="tech-email" name="email" type="email" maxlength="254"/>
                            <FieldErrorText id="tech-email-error".to_string() error=at("email")/>
                        </div>
                        <div class="field">
                            <label for="tech-title">"Job title"</label>
                            <input id="tech-title" name="title" maxlength="120"/>
                            <FieldErrorText id="tech-title-error".to_string() error=at("title")/>
                        </div>
                        <div class="field">
                            <label for="tech-started">"Start date"</label>
                            <input id="tech-started" name="started_on" type="date"/>
                            <FieldErrorText id="tech-started-error".to_string() error=at("started_on")/>
                        </div>
                    </div>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary">"Add technician"</button>
                    </div>
                </ActionForm>
            </section>
        })}
    }
}

/// The actions on one technician's page.
#[derive(Clone, Copy)]
struct TechnicianActions {
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
fn TechnicianBody(d: TechnicianDetail, actions: TechnicianActions) -> impl IntoView {
    let t = d.technician.clone();
    let state = t.state.clone();
    let is_leaver = matches!(state.as_str(), "offboarding" | "departed");
    let manage = d.can_manage;
    view! {
        <PageTitle text=t.name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li><a href="/technicians">"Technicians"</a></li>
                <li aria-current="page">{t.name.clone()}</li>
            </ol>
        </nav>
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
                review=actions.review
                revoke=actions.revoke
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
fn LifecycleForms(id: i64, version: i64, title: String, actions: TechnicianActions) -> impl IntoView {
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
fn OffboardingCard(o: OffboardingView) -> impl IntoView {
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
fn ChecklistCard(
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
            <div class="table-wrap">
                <table class="data" aria-label=title>
                    <thead>
                        <tr>
                            <th scope="col">"Step"</th>
                            <th scope="col">"SLA"</th>
                            <th scope="col">"Due"</th>
                            <th scope="col">"Done"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
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
                    </tbody>
                </table>
            </div>
        </section>
    }
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
        <div class="table-wrap">
            <table class="data" aria-label=label>
                <thead>
                    <tr>
                        {show_client.then(|| view! { <th scope="col">"Client"</th> })}
                        {show_technician.then(|| view! { <th scope="col">"Technician"</th> })}
                        <th scope="col">"System"</th>
                        <th scope="col">"Privilege"</th>
                        <th scope="col">"MFA"</th>
                        <th scope="col">"Since"</th>
                        <th scope="col">"Last reviewed"</th>
                        <th scope="col">"State"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
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
                                                                {REVOCATION_METHODS
                                                                    .into_iter()
                                                                    .map(|(value, label)| view! { <option value=value>{label}</option> })
                                                                    .collect_view()}
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
                </tbody>
            </table>
        </div>
    }
        .into_any()
}

#[component]
fn GrantForm(d: TechnicianDetail, grant: ServerAction<GrantAccess>) -> impl IntoView {
    let error = Signal::derive(move || grant.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    view! {
        <section class="card" aria-labelledby="grant-heading">
            <h2 id="grant-heading" class="card-title">"Grant access"</h2>
            <p class="muted">"You approve this grant: it is recorded under your name."</p>
            <ActionForm action=grant attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="technician_id" value=d.technician.id/>
                <div class="form-grid">
                    <div class="field">
                        <label for="grant-client">"Client"</label>
                        <select id="grant-client" name="client_slug">
                            {d.clients.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="grant-system">"System"</label>
                        <select id="grant-system" name="system">
                            {SYSTEMS.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                        </select>
                        <FieldErrorText id="grant-system-error".to_string() error=at("system")/>
                    </div>
                    <div class="field">
                        <label for="grant-system-name">"Other system's name"</label>
                        <input id="grant-system-name" name="system_name" maxlength="80"/>
                        <FieldErrorText id="grant-system-name-error".to_string() error=at("system_name")/>
                    </div>
                    <div class="field">
                        <label for="grant-privilege">"Privilege"</label>
                        <select id="grant-privilege" name="privilege">
                            {PRIVILEGES.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                        </select>
                        <FieldErrorText id="grant-privilege-error".to_string() error=at("privilege")/>
                    </div>
                    <div class="field field-wide">
                        <label for="grant-justification">"Justification"</label>
                        <input id="grant-justification" name="justification" maxlength="1000"/>
                        <FieldErrorText id="grant-justification-error".to_string() error=at("justification")/>
                    </div>
                    <div class="field">
                        <label for="grant-expires">"Expires on"</label>
                        <input id="grant-expires" name="expires_on" type="date"/>
                        <FieldErrorText id="grant-expires-error".to_string() error=at("expires_on")/>
                    </div>
                    <div class="field field-check">
                        <label><input type="checkbox" name="mfa" value="on" checked=true/>" MFA enforced"</label>
                    </div>
                </div>
                <FieldErrorText id="grant-technician-error".to_string() error=at("technician_id")/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Grant access"</button>
                </div>
            </ActionForm>
        </section>
    }
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
                        view! { <GrantTable grants show_client=false show_technician=true review revoke/> }.into_any()
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
fn PortalAccess(grants: Vec<GrantView>) -> impl IntoView {
    let (removed, current): (Vec<GrantView>, Vec<GrantView>) = grants.into_iter().partition(|g| g.revoked.is_some());
    view! {
        <h3 id="current-access-heading">"Current access"</h3>
        {if current.is_empty() {
            view! { <p class="muted">"Nobody at the MSP holds access."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data" aria-labelledby="current-access-heading">
                        <thead>
                            <tr>
                                <th scope="col">"Technician"</th>
                                <th scope="col">"System"</th>
                                <th scope="col">"Privilege"</th>
                                <th scope="col">"MFA"</th>
                                <th scope="col">"Since"</th>
                            </tr>
                        </thead>
                        <tbody>
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
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        <h3 id="removed-access-heading">"Access removed in the last 12 months"</h3>
        {if removed.is_empty() {
            view! { <p class="muted">"No access was removed in the last 12 months."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data" aria-labelledby="removed-access-heading">
                        <thead>
                            <tr>
                                <th scope="col">"Technician"</th>
                                <th scope="col">"System"</th>
                                <th scope="col">"Privilege"</th>
                                <th scope="col">"Removed"</th>
                            </tr>
                        </thead>
                        <tbody>
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
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
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
            <select id=unit_id name=unit_name>
                {SLA_UNITS
                    .into_iter()
                    .map(|(value, text)| view! { <option value=value selected=unit == value>{text}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}

#[component]
fn ClientSlaPanel(slug: String, sla: ClientSlaView, save: ServerAction<SaveClientSla>) -> impl IntoView {
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
                        view! { <div class="empty-state"><h2>"No findings"</h2><p>"Every active grant and every checklist is in order."</p></div> }
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
                                <GrantTable grants show_client=true show_technician=true review revoke/>
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
fn LateChecklists(late: Vec<LateChecklistView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="late-heading">
            <h2 id="late-heading" class="card-title">"Checklists past their SLA"</h2>
            <div class="table-wrap">
                <table class="data" aria-label="Checklists past their SLA">
                    <thead>
                        <tr>
                            <th scope="col">"Technician"</th>
                            <th scope="col">"Steps past their deadline"</th>
                        </tr>
                    </thead>
                    <tbody>
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
                    </tbody>
                </table>
            </div>
        </section>
    }
}

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
                            <div class="table-wrap">
                                <table class="data" aria-label="Service levels">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Step"</th>
                                            <th scope="col">"Proposed"</th>
                                            <th scope="col">"In force"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {s.rows.into_iter().map(|row| view! { <SlaRow row can_edit save/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
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
fn SlaRow(row: SlaRowView, can_edit: bool, save: ServerAction<SaveSla>) -> impl IntoView {
    let describe = |amount: i64, unit: &str| {
        let unit = SLA_UNITS.iter().find(|(v, _)| *v == unit).map(|(_, l)| *l).unwrap_or(unit);
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
