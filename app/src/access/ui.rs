//! Access pages: technicians, one technician with their grants, who can reach a client, and
//! stale-access findings.

use super::api::{
    get_technician, list_client_access, list_findings, list_technicians, ChangeTechnicianState, CreateTechnician,
    GrantAccess, ReviewGrant, RevokeGrant,
};
use super::types::{technician_state_label, GrantView, TechnicianDetail, TechnicianList, PRIVILEGES, SYSTEMS};
use crate::components::{ErrorPanel, FieldErrorText, Loading, PageError, PageTitle, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

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
    grant: ServerAction<GrantAccess>,
    review: ServerAction<ReviewGrant>,
    revoke: ServerAction<RevokeGrant>,
}

#[component]
pub fn TechnicianPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let actions = TechnicianActions {
        state: ServerAction::new(),
        grant: ServerAction::new(),
        review: ServerAction::new(),
        revoke: ServerAction::new(),
    };
    let detail = Resource::new(
        move || {
            (
                id.get(),
                actions.state.version().get(),
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
    let error = move || {
        actions
            .state
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| actions.grant.value().get().and_then(Result::err))
            .or_else(|| actions.review.value().get().and_then(Result::err))
            .or_else(|| actions.revoke.value().get().and_then(Result::err))
    };
    let next_states: Vec<(&str, &str)> = match t.state.as_str() {
        "onboarding" => vec![("active", "Mark active"), ("offboarding", "Start offboarding")],
        "active" => vec![("offboarding", "Start offboarding")],
        "offboarding" => vec![("departed", "Mark departed")],
        _ => vec![],
    };
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
                {d.can_manage
                    .then(|| {
                        next_states
                            .into_iter()
                            .map(|(state, label)| {
                                view! {
                                    <ActionForm action=actions.state>
                                        <input type="hidden" name="id" value=t.id/>
                                        <input type="hidden" name="version" value=t.version/>
                                        <input type="hidden" name="state" value=state/>
                                        <button type="submit" class="btn">{label}</button>
                                    </ActionForm>
                                }
                            })
                            .collect_view()
                    })}
            </div>
        </header>
        {move || error().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
        {t.departed.clone().map(|t0| view! {
            <div class="alert alert-info">"Offboarding started " <TimeAgo when=t0/> " (T0): every grant below must be revoked."</div>
        })}
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
        {(d.can_manage && !matches!(t.state.as_str(), "offboarding" | "departed"))
            .then(|| view! { <GrantForm d=d.clone() grant=actions.grant/> })}
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
                    {grants
                        .into_iter()
                        .map(|g| {
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
                            let revoke_label = format!("Revoke {} at {}", g.system, g.client_name);
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
                                            Some(w) => view! { "Revoked " <TimeAgo when=w/> }.into_any(),
                                            None => view! { {g.state.clone()} }.into_any(),
                                        }}
                                        {g.time_to_revoke.clone().map(|t| {
                                            let late = g.revoked_late;
                                            view! {
                                                <br/>
                                                <span class="muted">{format!("{t} after T0")}</span>
                                                {late.then(|| view! { " " <span class="badge badge-overdue">"Past the 24-hour deadline"</span> })}
                                            }
                                        })}
                                        <FindingList findings=g.findings.clone()/>
                                    </td>
                                    <td>
                                        {g.can_manage
                                            .then(|| {
                                                view! {
                                                    <ActionForm action=review>
                                                        <input type="hidden" name="id" value=id/>
                                                        <button type="submit" class="btn btn-small">"Still needed"</button>
                                                    </ActionForm>
                                                    <details class="confirm">
                                                        <summary class="btn btn-small btn-danger">"Revoke…"</summary>
                                                        <ActionForm action=revoke>
                                                            <input type="hidden" name="id" value=id/>
                                                            <label for=format!("revoke-note-{id}")>"How it was removed"</label>
                                                            <input id=format!("revoke-note-{id}") name="note" maxlength="1000"/>
                                                            <button type="submit" class="btn btn-small btn-danger" aria-label=revoke_label>
                                                                "Confirm revoke"
                                                            </button>
                                                        </ActionForm>
                                                    </details>
                                                }
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
    grants: Resource<Result<Vec<GrantView>, AppError>>,
    review: ServerAction<ReviewGrant>,
    revoke: ServerAction<RevokeGrant>,
}

impl ClientAccessData {
    pub fn new(slug: Memo<String>) -> Self {
        let review = ServerAction::<ReviewGrant>::new();
        let revoke = ServerAction::<RevokeGrant>::new();
        let grants = Resource::new(
            move || (slug.get(), review.version().get(), revoke.version().get()),
            |(slug, ..)| list_client_access(slug),
        );
        Self { grants, review, revoke }
    }
}

/// "Who at the MSP can reach this client", for the client's page.
#[component]
pub fn ClientAccess(data: ClientAccessData) -> impl IntoView {
    let ClientAccessData { grants, review, revoke } = data;
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match grants.await {
                    Ok(grants) => {
                        view! { <GrantTable grants show_client=false show_technician=true review revoke/> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn FindingsPage() -> impl IntoView {
    let review = ServerAction::<ReviewGrant>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let found = Resource::new(move || (review.version().get(), revoke.version().get()), |_| list_findings());
    view! {
        <PageTitle text="Access findings"/>
        <header class="page-header">
            <div>
                <h1>"Access findings"</h1>
                <p class="page-subtitle">
                    "Leavers still holding access, grants past expiry, admin access without MFA, and grants not reviewed in 90 days."
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match found.await {
                    Ok(grants) if grants.is_empty() => {
                        view! { <div class="empty-state"><h2>"No findings"</h2><p>"Every active grant is in order."</p></div> }
                            .into_any()
                    }
                    Ok(grants) => {
                        view! { <GrantTable grants show_client=true show_technician=true review revoke/> }.into_any()
                    }
                    Err(AppError::Forbidden) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
