//! The people page and the invitation page. Every form is an `ActionForm` the browser posts
//! itself, coming back to the page (an invitation's link is then kept in the session and shown
//! once).

use super::api::{
    list_people, open_invitation, AcceptInvitation, AssignPersonClients, ChangePersonRole, CreatePerson, DisablePerson,
    EnablePerson, InvitePerson, ResetPersonMfa, RevokeInvitation,
};
use super::types::{InvitationView, PersonView};
use crate::components::{columns, Choices, Column, DataTable, SelectField};
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InvitePerson>,
    create: ServerAction<CreatePerson>,
    change_role: ServerAction<ChangePersonRole>,
    assign: ServerAction<AssignPersonClients>,
    disable: ServerAction<DisablePerson>,
    enable: ServerAction<EnablePerson>,
    reset_mfa: ServerAction<ResetPersonMfa>,
    revoke: ServerAction<RevokeInvitation>,
}

impl Actions {
    fn new() -> Self {
        Actions {
            invite: ServerAction::new(),
            create: ServerAction::new(),
            change_role: ServerAction::new(),
            assign: ServerAction::new(),
            disable: ServerAction::new(),
            enable: ServerAction::new(),
            reset_mfa: ServerAction::new(),
            revoke: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
        self.invite.version().get()
            + self.create.version().get()
            + self.change_role.version().get()
            + self.assign.version().get()
            + self.disable.version().get()
            + self.enable.version().get()
            + self.reset_mfa.version().get()
            + self.revoke.version().get()
    }

    /// The latest failure of any form that has no field messages of its own.
    fn row_error(&self) -> Option<AppError> {
        [
            self.disable.value().get().and_then(Result::err),
            self.enable.value().get().and_then(Result::err),
            self.reset_mfa.value().get().and_then(Result::err),
            self.revoke.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let actions = Actions::new();
    let page = Resource::new(move || actions.version(), |_| list_people());
    view! {
        <PageTitle text="People"/>
        <header class="page-header">
            <div>
                <h1>"People"</h1>
                <p class="page-subtitle">
                    "Who may sign in to Rampart, with which role and for which clients. Changing a role, disabling someone and resetting their two-factor sign-in end their sessions, and ask you to confirm it is you."
                </p>
            </div>
        </header>
        {move || actions.row_error().map(|error| view! { <ActionError error/> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let link = actions.invite.value().get().and_then(Result::ok).or(page.new_link.clone());
                        let clients = page.clients.clone();
                        let others: Vec<PersonView> = page.people.iter().filter(|p| !p.is_me).cloned().collect();
                        view! {
                            {link.map(|link| view! { <NewLink link/> })}
                            {page.can_invite.then(|| view! { <InviteForm action=actions.invite clients=clients.clone() can_manage=page.can_manage/> })}
                            {(!page.invitations.is_empty()).then(|| view! { <PendingInvitations invitations=page.invitations.clone() revoke=actions.revoke/> })}
                            <PeopleTable people=page.people.clone() can_manage=page.can_manage actions/>
                            {page.can_manage.then(|| view! {
                                <ChangeRoleForm action=actions.change_role people=others.clone() clients=clients.clone()/>
                                <AssignForm action=actions.assign people=others.clone() clients=clients.clone()/>
                            })}
                            {page.can_invite.then(|| view! { <CreateForm action=actions.create clients=clients.clone() can_manage=page.can_manage/> })}
                        }
                            .into_any()
                    }
                    Err(error @ (AppError::Forbidden | AppError::Unauthenticated)) => view! { <PageError error/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewLink(link: String) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status">
            <p>
                "Invitation created. Send this link to the person you invited; it works once, and is not shown again:"
            </p>
            <p><code class="invitation-link" aria-label="Invitation link">{link}</code></p>
        </div>
    }
}

/// The roles a select offers, the least powerful first (so first chosen): client viewers only
/// for managers.
fn role_choices(can_manage: bool) -> Choices {
    let mut choices = Choices::from(vocabulary::ROLES);
    choices.0.reverse();
    choices.0.retain(|(value, _)| can_manage || value == "client_viewer");
    choices
}

/// A multiple select of clients (a client viewer's one, or a technician's; none for other
/// roles and for a technician on every client).
#[component]
fn ClientsSelect(id: &'static str, label: &'static str, clients: Vec<(String, String)>) -> impl IntoView {
    let hint = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name="clients[]" multiple=true size="5" aria-describedby=hint.clone()>
                {clients.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
            </select>
            <p class="field-hint" id=hint>
                "A client viewer: exactly one. A technician: the clients they work on, or none for every client. Other roles: none."
            </p>
        </div>
    }
}

#[component]
fn InviteForm(action: ServerAction<InvitePerson>, clients: Vec<(String, String)>, can_manage: bool) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="invite-heading">
            <h2 id="invite-heading" class="card-title">
                {if can_manage { "Invite someone" } else { "Invite a client viewer" }}
            </h2>
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            <ActionForm action=action attr:class="stack">
                <div class="field">
                    <label for="invite-email">"Email address to invite"</label>
                    <input id="invite-email" name="email" type="email" required maxlength="254"/>
                </div>
                <SelectField id="invite-role" name="role" label="Role of the invitee" choices=role_choices(can_manage)/>
                <ClientsSelect id="invite-clients" label="Clients of the invitee" clients/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Create invitation"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn PendingInvitations(invitations: Vec<InvitationView>, revoke: ServerAction<RevokeInvitation>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="pending-heading">
            <h2 id="pending-heading" class="card-title">"Pending invitations"</h2>
            <DataTable label="Pending invitations" columns=vec!["Email".into(), "Role".into(), "Clients".into(), "Invited by".into(), "Expires".into(), Column::hidden("Actions")]>
                {invitations
                    .into_iter()
                    .map(|i| {
                        let label = format!("Revoke the invitation of {}", i.email);
                        view! {
                            <tr>
                                <td>{i.email.clone()}</td>
                                <td>{i.role_label.clone()}</td>
                                <td>{i.clients.clone()}</td>
                                <td>{i.created_by.clone()}</td>
                                <td><time datetime=i.expires.iso.clone() title=i.expires.absolute.clone()>{i.expires.relative.clone()}</time></td>
                                <td>
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="id" value=i.id.to_string()/>
                                        <button type="submit" class="btn btn-small" aria-label=label>"Revoke"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </section>
    }
}

fn people_columns(can_manage: bool) -> Vec<Column> {
    let mut columns = columns(["Name", "Email", "Role", "Clients", "Two-factor", "Status", "Last sign-in"]);
    if can_manage {
        columns.push(Column::hidden("Actions"));
    }
    columns
}

#[component]
fn PeopleTable(people: Vec<PersonView>, can_manage: bool, actions: Actions) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="people-heading">
            <h2 id="people-heading" class="card-title">"People"</h2>
            <DataTable label="People" columns=people_columns(can_manage)>
                {people.into_iter().map(|p| view! { <PersonRow p can_manage actions/> }).collect_view()}
            </DataTable>
        </section>
    }
}

#[component]
fn PersonRow(p: PersonView, can_manage: bool, actions: Actions) -> impl IntoView {
    let email = p.email.clone();
    let row_actions = (can_manage && !p.is_me).then(|| {
        let state_button = if p.disabled {
            let label = format!("Enable {email}");
            let email = email.clone();
            view! {
                <ActionForm action=actions.enable>
                    <input type="hidden" name="email" value=email.clone()/>
                    <button type="submit" class="btn btn-small" aria-label=label>"Enable"</button>
                </ActionForm>
            }
            .into_any()
        } else {
            let label = format!("Disable {email}");
            let email = email.clone();
            view! {
                <ActionForm action=actions.disable>
                    <input type="hidden" name="email" value=email.clone()/>
                    <button type="submit" class="btn btn-small btn-danger" aria-label=label>"Disable"</button>
                </ActionForm>
            }
            .into_any()
        };
        let reset = p.mfa_enrolled.then(|| {
            let label = format!("Reset two-factor sign-in of {email}");
            let email = email.clone();
            view! {
                <ActionForm action=actions.reset_mfa>
                    <input type="hidden" name="email" value=email.clone()/>
                    <button type="submit" class="btn btn-small" aria-label=label>"Reset two-factor"</button>
                </ActionForm>
            }
        });
        view! { <div class="row-actions">{state_button}{reset}</div> }
    });
    view! {
        <tr>
            <td>{p.display_name.clone()}{p.is_me.then_some(" (you)")}</td>
            <td>{p.email.clone()}</td>
            <td>{p.role_label.clone()}</td>
            <td>{p.clients.clone()}</td>
            <td>{if p.mfa_enrolled { "On" } else { "Off" }}</td>
            <td>{if p.disabled { "Disabled" } else { "Active" }}</td>
            <td>
                {match p.last_sign_in.clone() {
                    Some(w) => view! { <time datetime=w.iso title=w.absolute>{w.relative}</time> }.into_any(),
                    None => view! { "Never" }.into_any(),
                }}
            </td>
            {can_manage.then(|| view! { <td>{row_actions}</td> })}
        </tr>
    }
}

fn person_choices(people: &[PersonView]) -> Choices {
    Choices(people.iter().map(|p| (p.email.clone(), format!("{} ({})", p.display_name, p.email))).collect())
}

#[component]
fn ChangeRoleForm(
    action: ServerAction<ChangePersonRole>,
    people: Vec<PersonView>,
    clients: Vec<(String, String)>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="role-heading">
            <h2 id="role-heading" class="card-title">"Change a role"</h2>
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            {move || action.value().get().and_then(Result::ok).map(|_| view! { <p class="alert alert-success" role="status">"Role changed; their sessions ended."</p> })}
            <ActionForm action=action attr:class="stack">
                <SelectField id="role-person" name="email" label="Person whose role changes" choices=person_choices(&people)/>
                <SelectField id="role-role" name="role" label="New role" choices=role_choices(true)/>
                <ClientsSelect id="role-clients" label="Clients for the new role" clients/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Change role"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn AssignForm(
    action: ServerAction<AssignPersonClients>,
    people: Vec<PersonView>,
    clients: Vec<(String, String)>,
) -> impl IntoView {
    let placed: Vec<PersonView> =
        people.into_iter().filter(|p| p.role == "technician" || p.role == "client_viewer").collect();
    view! {
        <section class="card" aria-labelledby="assign-heading">
            <h2 id="assign-heading" class="card-title">"Assign clients"</h2>
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            {move || action.value().get().and_then(Result::ok).map(|_| view! { <p class="alert alert-success" role="status">"Clients assigned; their sessions ended."</p> })}
            <ActionForm action=action attr:class="stack">
                <SelectField id="assign-person" name="email" label="Technician or client viewer" choices=person_choices(&placed)/>
                <ClientsSelect id="assign-clients" label="Assigned clients" clients/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Assign clients"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn CreateForm(action: ServerAction<CreatePerson>, clients: Vec<(String, String)>, can_manage: bool) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="create-heading">
            <h2 id="create-heading" class="card-title">"Add someone with a password"</h2>
            <p>"When you cannot send an invitation: choose a first password and tell it to them in person."</p>
            {move || action.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
            {move || action.value().get().and_then(Result::ok).map(|_| view! { <p class="alert alert-success" role="status">"Added."</p> })}
            <ActionForm action=action attr:class="stack">
                <div class="field">
                    <label for="create-email">"Email of the new user"</label>
                    <input id="create-email" name="email" type="email" required maxlength="254"/>
                </div>
                <div class="field">
                    <label for="create-name">"Name of the new user"</label>
                    <input id="create-name" name="display_name" required maxlength="120"/>
                </div>
                <SelectField id="create-role" name="role" label="Role of the new user" choices=role_choices(can_manage)/>
                <ClientsSelect id="create-clients" label="Clients of the new user" clients/>
                <div class="field">
                    <label for="create-password">"First password"</label>
                    <input id="create-password" name="password" type="password" autocomplete="new-password" required/>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Add user"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// `/invite/{token}`: the invitee chooses their name and password, and is signed in.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token")).unwrap_or_default();
    let offer = Resource::new(token, open_invitation);
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = move || accept.value().get().and_then(Result::err);
    let at = move |field: &'static str| error().and_then(|e| e.field_message(field));
    view! {
        <PageTitle text="Your invitation"/>
        <main id="main" class="login-page">
            <div class="login-card">
                <h1>"Join Rampart"</h1>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match offer.await {
                            Ok(offer) => {
                                let what = match &offer.client_name {
                                    Some(client) => format!("You are invited as {} of {} ({}).", offer.role_label, client, offer.email),
                                    None => format!("You are invited as {} ({}).", offer.role_label, offer.email),
                                };
                                view! {
                                    <p>{what}</p>
                                    <p>"Choose your name and a password of at least 12 characters."</p>
                                    {move || error().filter(|e| !matches!(e, AppError::Validation(_))).map(|error| view! { <ActionError error/> })}
                                    <ActionForm action=accept attr:class="stack">
                                        <input type="hidden" name="token" value=token/>
                                        <div class="field">
                                            <label for="invite-name">"Your name"</label>
                                            <input id="invite-name" name="display_name" autocomplete="name" required maxlength="120"/>
                                            {move || at("display_name").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                                        </div>
                                        <div class="field">
                                            <label for="invite-password">"Password"</label>
                                            <input id="invite-password" name="password" type="password" autocomplete="new-password" required/>
                                            {move || at("password").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                                        </div>
                                        <div class="form-actions">
                                            <button type="submit" class="btn btn-primary">"Create my account"</button>
                                        </div>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            Err(error) => {
                                #[cfg(feature = "ssr")]
                                crate::state::set_status(&AppError::NotFound);
                                view! {
                                    <div class="alert alert-error" role="alert">
                                        <p>{error.to_string()}</p>
                                    </div>
                                    <p><a href="/login">"Sign in"</a></p>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}
