//! Adding and editing a client.

use super::*;
use crate::clients::api::{get_client, CreateClient, UpdateClient};
use crate::clients::types::ClientDetail;
use crate::components::{crumb, Breadcrumbs};
use crate::components::{Loading, PageError, PageTitle, SelectField, TextArea, TextField};
use crate::error::AppError;
use crate::layout::CurrentUser;
use leptos::prelude::*;

pub(super) const SECTORS: [&str; 12] = [
    "Construction",
    "Education",
    "Finance",
    "Healthcare",
    "Hospitality",
    "Legal",
    "Logistics",
    "Manufacturing",
    "Nonprofit",
    "Public sector",
    "Retail",
    "Technology",
];

/// The values a client form starts with.
#[derive(Debug, Clone, Default)]
pub(super) struct FormValues {
    name: String,
    slug: String,
    impact_tier: String,
    sector: String,
    tags: String,
    contact_name: String,
    contact_email: String,
    notes: String,
}

#[component]
pub(super) fn ClientFields(
    values: FormValues,
    #[prop(into)] error: Signal<Option<AppError>>,
    editing: bool,
) -> impl IntoView {
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let tier = values.impact_tier.clone();
    view! {
        {move || {
            error
                .get()
                .map(|e| {
                    view! { <div class="alert alert-error" role="alert">{e.summary()}</div> }
                })
        }}
        <div class="form-grid">
            <TextField name="name" label="Name" value=values.name error=at("name") maxlength=120 required=true/>
            <TextField
                name="slug"
                label="Slug"
                value=values.slug
                error=at("slug")
                maxlength=64
                readonly=editing
                hint=if editing {
                    "The slug is permanent: it is this client's address in every link."
                } else {
                    "The client's address in links, e.g. acme-dental. Leave empty to make one from the name."
                }
            />
            <SelectField
                name="impact_tier"
                label="Impact tier"
                choices=vocabulary::IMPACT_TIERS
                selected=if tier.is_empty() { "standard".to_string() } else { tier }
                hint="How much harm a compromise would do: it weighs the client's priority in the portfolio."
                error=at("impact_tier")
            />
            <TextField name="sector" label="Sector" list="sectors" value=values.sector maxlength=60 error=at("sector")/>
            <datalist id="sectors">
                {SECTORS.into_iter().map(|s| view! { <option value=s></option> }).collect_view()}
            </datalist>
            <TextField
                name="tags"
                label="Tags"
                value=values.tags
                error=at("tags")
                hint="Separated by commas, e.g. m365, hipaa."
                maxlength=400
            />
            <TextField
                name="contact_name"
                label="Primary contact name"
                value=values.contact_name
                error=at("contact_name")
                maxlength=120
                autocomplete="off"
            />
            <TextField
                name="contact_email"
                label="Primary contact email"
                kind="email"
                value=values.contact_email
                error=at("contact_email")
                maxlength=254
                autocomplete="off"
            />
            <TextArea
                name="notes"
                label="Notes"
                rows=4
                maxlength=4000
                value=values.notes
                hint="Internal: never shown in the client portal."
                error=at("notes")
                wide=true
            />
        </div>
    }
}

#[component]
pub fn NewClientPage() -> impl IntoView {
    let me = expect_context::<CurrentUser>().0;
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.can_create_clients => view! { <NewClientForm/> }.into_any(),
                    Ok(Some(_)) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Ok(None) => view! { <PageError error=AppError::Unauthenticated/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn NewClientForm() -> impl IntoView {
    let action = ServerAction::<CreateClient>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <PageTitle text="New client"/>
        <Breadcrumbs trail=vec![crumb("Clients", "/clients")] here="New client"/>
        <header class="page-header">
            <h1>"New client"</h1>
        </header>
        <section class="card">
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <ClientFields values=FormValues::default() error editing=false/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Create client"</button>
                    <a class="btn btn-ghost" href="/clients">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn EditClientPage() -> impl IntoView {
    let slug = slug_param();
    let client = Resource::new(move || slug.get(), get_client);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match client.await {
                    Ok(c) if c.can_edit && c.archived.is_none() => view! { <EditClientForm c/> }.into_any(),
                    Ok(c) if c.archived.is_some() => {
                        view! {
                            <PageError error=AppError::Conflict {
                                field: None,
                                message: "This client is archived. Restore it before editing.".into(),
                            }/>
                        }
                            .into_any()
                    }
                    Ok(_) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn EditClientForm(c: ClientDetail) -> impl IntoView {
    let action = ServerAction::<UpdateClient>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let values = FormValues {
        name: c.name.clone(),
        slug: c.slug.clone(),
        impact_tier: c.impact_tier.clone(),
        sector: c.sector.clone(),
        tags: c.tags.join(", "),
        contact_name: c.contact_name.clone(),
        contact_email: c.contact_email.clone(),
        notes: c.notes.clone().unwrap_or_default(),
    };
    view! {
        <PageTitle text=format!("Edit {}", c.name)/>
        <Breadcrumbs trail=vec![crumb("Clients", "/clients"), crumb(c.name.clone(), format!("/clients/{}", c.slug))] here="Edit"/>
        <header class="page-header">
            <h1>{format!("Edit {}", c.name)}</h1>
        </header>
        <section class="card">
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="version" value=c.version/>
                <ClientFields values error editing=true/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save changes"</button>
                    <a class="btn btn-ghost" href=format!("/clients/{}", c.slug)>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
