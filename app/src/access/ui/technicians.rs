//! The technicians: the list, and adding one.

use super::*;
use crate::access::api::{list_technicians, CreateTechnician};
use crate::access::types::TechnicianList;
use crate::components::EmptyState;
use crate::components::{columns, DataTable};
use crate::components::{ErrorPanel, FieldErrorText, Loading, PageTitle, TimeAgo};
use leptos::prelude::*;

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
pub(super) fn TechnicianTable(list: TechnicianList, create: ServerAction<CreateTechnician>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    view! {
        {if list.technicians.is_empty() {
            view! { <EmptyState heading="No technicians yet"/> }.into_any()
        } else {
            view! {
                <DataTable label="Technicians" columns=columns(["Name", "Title", "State", "Started"])>
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
                </DataTable>
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
