//! One control at one client: its status, evidence, history and risk acceptance.

use super::*;
use crate::components::{columns, Column, DataTable};
use crate::components::{crumb, Breadcrumbs};
use crate::components::{CheckField, SelectField, TextArea, TextField};
use crate::components::{FieldErrorText, Loading, PageError, PageTitle, TimeAgo};
use crate::controls::api::{get_client_control, ApproveException, EndException, RequestException, UpdateClientControl};
use crate::controls::types::{severity_label, status_label, ControlDetailView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ClientControlPage() -> impl IntoView {
    let slug = slug_param();
    let params = use_params_map();
    let control_id = Memo::new(move |_| params.read().get("control_id").unwrap_or_default());
    let update = ServerAction::<UpdateClientControl>::new();
    let actions =
        ExceptionActions { request: ServerAction::new(), approve: ServerAction::new(), end: ServerAction::new() };
    let detail = Resource::new(
        move || {
            (
                slug.get(),
                control_id.get(),
                update.version().get(),
                actions.request.version().get(),
                actions.approve.version().get(),
                actions.end.version().get(),
            )
        },
        |(slug, control_id, ..)| get_client_control(slug, control_id),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ControlBody d update actions/> }.into_any(),
                    Err(error) => view! { <PageTitle text="Not found"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The actions on a control's risk acceptance.
#[derive(Clone, Copy)]
struct ExceptionActions {
    request: ServerAction<RequestException>,
    approve: ServerAction<ApproveException>,
    end: ServerAction<EndException>,
}

#[component]
fn ExceptionCard(d: ControlDetailView, actions: ExceptionActions) -> impl IntoView {
    let error = move || {
        actions
            .request
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| actions.approve.value().get().and_then(Result::err))
            .or_else(|| actions.end.value().get().and_then(Result::err))
    };
    let at = move |field: &'static str| Signal::derive(move || error().and_then(|e| e.field_message(field)));
    let open = d.item.exception.clone().filter(|e| e.state != "ended");
    let can_request = d.can_request_exception && open.as_ref().is_none_or(|e| e.state == "expired");
    let slug = d.client_slug.clone();
    let control_id = d.control.id.clone();
    view! {
        <section class="card" aria-labelledby="exception-heading">
            <h2 id="exception-heading" class="card-title">"Risk acceptance"</h2>
            {move || error().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            {match d.item.exception.clone() {
                None => view! { <p class="muted">"No risk has been accepted for this control."</p> }.into_any(),
                Some(e) => {
                    let id = e.id;
                    view! {
                        <p>
                            <ExceptionBadge exception=e.clone()/>
                        </p>
                        <dl class="definition-list">
                            <dt>"Reason"</dt>
                            <dd>{e.reason.clone()}</dd>
                            <dt>"Asked for by"</dt>
                            <dd>
                                {e.requested_by.clone()} " "
                                <TimeAgo when=e.requested.clone()/>
                            </dd>
                            <dt>"Approved by"</dt>
                            <dd>
                                {match (e.approved_by.clone(), e.approved.clone()) {
                                    (Some(by), Some(w)) => {
                                        view! {
                                            {by} " "
                                            <TimeAgo when=w/>
                                        }
                                            .into_any()
                                    }
                                    _ => view! { "not yet: someone other than who asked must approve" }.into_any(),
                                }}
                            </dd>
                            <dt>"Expires"</dt>
                            <dd>
                                <time datetime=e.expires.iso.clone() title=e.expires.absolute.clone()>
                                    {e.expires.absolute.clone()}
                                </time>
                            </dd>
                        </dl>
                        <div class="form-actions">
                            {e
                                .can_approve
                                .then(|| {
                                    view! {
                                        <ActionForm action=actions.approve>
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="btn btn-primary">"Approve risk acceptance"</button>
                                        </ActionForm>
                                    }
                                })}
                            {e
                                .can_end
                                .then(|| {
                                    view! {
                                        <ActionForm action=actions.end>
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="btn btn-danger">"End risk acceptance"</button>
                                        </ActionForm>
                                    }
                                })}
                        </div>
                    }
                        .into_any()
                }
            }}
            {can_request
                .then(|| {
                    view! {
                        <ActionForm action=actions.request attr:class="stack" attr:novalidate=true>
                            <input type="hidden" name="slug" value=slug.clone()/>
                            <input type="hidden" name="control_id" value=control_id.clone()/>
                            <div class="form-grid">
                                <TextArea
                                    name="reason"
                                    label="Reason for accepting the risk"
                                    rows=2
                                    maxlength=1000
                                    error=at("reason")
                                    wide=true
                                />
                                <TextField
                                    name="expires_on"
                                    label="Accepted until"
                                    kind="date"
                                    hint="At most a year from today."
                                    error=at("expires_on")
                                />
                            </div>
                            <div class="form-actions">
                                <button type="submit" class="btn">"Ask for risk acceptance"</button>
                            </div>
                        </ActionForm>
                    }
                })}
            <FieldErrorText id="field-approved_by-error".to_string() error=at("approved_by")/>
        </section>
    }
}

#[component]
fn ControlBody(
    d: ControlDetailView,
    update: ServerAction<UpdateClientControl>,
    actions: ExceptionActions,
) -> impl IntoView {
    let slug = d.client_slug.clone();
    let c = d.control.clone();
    let item = d.item.clone();
    let internal = d.internal;
    view! {
        <PageTitle text=format!("{} · {}", c.id, d.client_name)/>
        <Breadcrumbs trail=vec![crumb("Clients", "/clients"), crumb(d.client_name.clone(), format!("/clients/{slug}")), crumb("Hardening", format!("/clients/{slug}/controls"))] here=c.id.clone()/>
        <header class="page-header">
            <div>
                <h1>{format!("{} {}", c.id, c.title)}</h1>
                <p class="page-subtitle">
                    <StatusBadge status=item.status.clone()/>
                    " "
                    {item.exception.clone().filter(|e| e.state != "ended").map(|exception| view! { <ExceptionBadge exception/> " " })}
                    {format!("Severity {} · reviewed {}", severity_label(c.severity), c.review.to_lowercase())}
                </p>
            </div>
        </header>
        <div class="grid-2">
            <section class="card" aria-labelledby="about-heading">
                <h2 id="about-heading" class="card-title">"What it asks"</h2>
                <p>{c.description.clone()}</p>
                <h3>"References"</h3>
                <ul class="references">
                    {c
                        .references
                        .iter()
                        .map(|r| {
                            view! {
                                <li>
                                    {format!("{} {}", r.source, r.item)}
                                    {(!r.verified).then(|| view! { " " <span class="badge badge-muted">"unverified"</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
            <section class="card" aria-labelledby="state-heading">
                <h2 id="state-heading" class="card-title">"Current state"</h2>
                <dl class="definition-list">
                    <dt>"Status"</dt>
                    <dd>{status_label(&item.status)}</dd>
                    {(!item.justification.is_empty())
                        .then(|| view! { <dt>"Why not applicable"</dt> <dd>{item.justification.clone()}</dd> })}
                    {internal.then(|| view! {
                        <dt>"Owner"</dt>
                        <dd>{if item.owner.is_empty() { "—".to_string() } else { item.owner.clone() }}</dd>
                    })}
                    <dt>"Last verified"</dt>
                    <dd>
                        {match (item.last_verified.clone(), item.last_verified_by.clone()) {
                            (Some(w), by) => {
                                view! {
                                    <TimeAgo when=w/>
                                    {by.map(|b| format!(" by {b}"))}
                                }
                                    .into_any()
                            }
                            (None, _) => view! { "never" }.into_any(),
                        }}
                    </dd>
                    <dt>"Next due"</dt>
                    <dd>
                        <DueText item=item.clone()/>
                    </dd>
                    <dt>"Evidence"</dt>
                    <dd>
                        {item.evidence_shared.then(|| view! { <span class="badge badge-muted">"Shared with the client"</span> })}
                        {if item.evidence_note.is_empty() && item.evidence_links.is_empty() {
                            view! { "—" }.into_any()
                        } else {
                            view! {
                                <p class="notes">{item.evidence_note.clone()}</p>
                                <ul>
                                    {item
                                        .evidence_links
                                        .iter()
                                        .map(|l| {
                                            view! {
                                                <li>
                                                    <a href=l.clone() rel="noopener noreferrer nofollow" target="_blank">
                                                        {l.clone()}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                    </dd>
                </dl>
            </section>
        </div>
        {d.can_edit.then(|| view! { <ControlForm d=d.clone() update/> })}
        <ExceptionCard d=d.clone() actions/>
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading" class="card-title">"History"</h2>
            {if d.history.is_empty() {
                view! { <p class="muted">"No change recorded yet."</p> }.into_any()
            } else {
                view! {
                    <DataTable label="History" columns=history_columns(internal)>
                        {d
                            .history
                            .into_iter()
                            .map(|h| {
                                view! {
                                    <tr>
                                        <td>
                                            <TimeAgo when=h.when/>
                                        </td>
                                        <td>{h.by}</td>
                                        <td>{format!("{} → {}", status_label(&h.from), status_label(&h.to))}</td>
                                        {internal.then(|| view! { <td>{h.note}</td> })}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </DataTable>
                }
                    .into_any()
            }}
        </section>
    }
}

fn history_columns(internal: bool) -> Vec<Column> {
    let mut columns = columns(["When", "Who", "Change"]);
    if internal {
        columns.push("Note".into());
    }
    columns
}

#[component]
fn ControlForm(d: ControlDetailView, update: ServerAction<UpdateClientControl>) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let item = d.item;
    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading" class="card-title">"Update"</h2>
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            {move || saved().then(|| view! { <div class="alert alert-success" role="status">"Saved."</div> })}
            <ActionForm action=update attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="slug" value=d.client_slug.clone()/>
                <input type="hidden" name="control_id" value=d.control.id.clone()/>
                <input type="hidden" name="version" value=item.version/>
                <div class="form-grid">
                    <SelectField name="status" label="Status" choices=vocabulary::CONTROL_STATUSES selected=item.status.clone() error=at("status")/>
                    <TextField name="owner" label="Owner" value=item.owner.clone() maxlength=120 error=at("owner")/>
                    <TextArea
                        name="justification"
                        label="Why it does not apply"
                        rows=2
                        maxlength=1000
                        value=item.justification.clone()
                        hint="Required when the status is “Not applicable”."
                        error=at("justification")
                        wide=true
                    />
                    <TextArea
                        name="evidence_note"
                        label="Evidence"
                        maxlength=4000
                        value=item.evidence_note.clone()
                        error=at("evidence_note")
                        wide=true
                    />
                    <TextArea
                        name="evidence_links"
                        label="Evidence links"
                        rows=2
                        value=item.evidence_links.join("\n")
                        hint="One https:// link per line, at most ten."
                        error=at("evidence_links")
                        wide=true
                    />
                    <CheckField
                        name="share_evidence"
                        value="on"
                        checked=item.evidence_shared
                        label="Share the evidence (note and links) with the client in their portal"
                        wide=true
                    />
                    <TextField name="note" label="Note for the history" maxlength=1000 error=at("note") wide=true/>
                    <CheckField name="verified_now" value="on" checked=true label="I verified this control now" wide=true/>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save"</button>
                </div>
            </ActionForm>
        </section>
    }
}
