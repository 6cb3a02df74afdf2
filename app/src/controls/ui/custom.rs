//! Custom controls: adding, changing and retiring them.

use crate::components::{crumb, Breadcrumbs};
use crate::components::{Choices, SelectField, TextArea, TextField};
use crate::components::{FieldErrorText, Loading, PageError, PageTitle};
use crate::controls::api::{get_custom_control_form, RetireCustomControl, SaveCustomControl};
use crate::controls::types::{severities, CustomControlForm};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn NewControlPage() -> impl IntoView {
    view! { <ControlFormPage title="New control" id=Signal::stored(String::new())/> }
}

#[component]
pub fn EditControlPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    view! { <ControlFormPage title="Edit control" id=id.into()/> }
}

/// The form of a custom control: a new one (`id` empty) or the one named.
#[component]
fn ControlFormPage(title: &'static str, id: Signal<String>) -> impl IntoView {
    let form = Resource::new(move || id.get(), get_custom_control_form);
    view! {
        <PageTitle text=title/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(form) => view! { <CustomControlEditor form/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CustomControlEditor(form: CustomControlForm) -> impl IntoView {
    let save = ServerAction::<SaveCustomControl>::new();
    let retire = ServerAction::<RetireCustomControl>::new();
    let error = Signal::derive(move || {
        save.value().get().and_then(Result::err).or_else(|| retire.value().get().and_then(Result::err))
    });
    let at = move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let c = form.control.clone();
    let id = c.as_ref().map(|c| c.id.clone()).unwrap_or_default();
    let heading = match &c {
        Some(c) => format!("Edit {} {}", c.id, c.title),
        None => "New control".to_string(),
    };
    let category = c.as_ref().map(|c| c.category_id.clone()).unwrap_or_default();
    let severity = c.as_ref().map(|c| c.severity).unwrap_or(3);
    let tiers = c.as_ref().map(|c| c.tiers.clone()).unwrap_or_else(|| vec!["critical".into()]);
    let references = c
        .as_ref()
        .map(|c| c.references.iter().map(|r| format!("{}: {}", r.source, r.item)).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    let title = c.as_ref().map(|c| c.title.clone()).unwrap_or_default();
    let description = c.as_ref().map(|c| c.description.clone()).unwrap_or_default();
    let editing = c.is_some();
    let retire_id = c.map(|c| c.id);
    let review = if form.review.is_empty() { "annual".to_string() } else { form.review.clone() };
    let applies_to = if form.applies_to.is_empty() { "client".to_string() } else { form.applies_to.clone() };
    view! {
        <Breadcrumbs trail=vec![crumb("Catalog", "/catalog")] here=if editing { "Edit" } else { "New control" }.to_string()/>
        <header class="page-header">
            <h1>{heading}</h1>
        </header>
        <section class="card">
            {move || error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })}
            <ActionForm action=save attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="id" value=id.clone()/>
                <div class="form-grid">
                    <TextField name="title" label="Title" maxlength=70 value=title error=at("title") wide=true/>
                    <TextArea
                        name="description"
                        label="What must be true"
                        maxlength=400
                        value=description
                        error=at("description")
                        wide=true
                    />
                    <SelectField
                        name="category_id"
                        label="Category"
                        choices=Choices(form.categories.iter().map(|cat| (cat.id.clone(), cat.name.clone())).collect())
                        selected=category
                        error=at("category_id")
                    />
                    <SelectField
                        name="severity"
                        label="Severity"
                        choices=severities()
                        selected=severity.to_string()
                        error=at("severity")
                    />
                    <SelectField
                        name="review"
                        label="Re-verified"
                        choices=vocabulary::REVIEW_FREQUENCIES
                        selected=review
                        error=at("review")
                    />
                    <SelectField
                        name="applies_to"
                        label="Applies to"
                        choices=vocabulary::APPLIES_TO
                        selected=applies_to
                        error=at("applies_to")
                    />
                    <fieldset class="field field-wide">
                        <legend>"Baseline: impact tiers it applies to"</legend>
                        {vocabulary::IMPACT_TIERS
                            .iter()
                            .map(|&(value, label)| {
                                let checked = tiers.iter().any(|t| t == value);
                                view! {
                                    <label>
                                        <input type="checkbox" name="tiers[]" value=value checked=checked/>
                                        " "
                                        {label}
                                    </label>
                                    " "
                                }
                            })
                            .collect_view()}
                        <FieldErrorText id="field-tiers-error".to_string() error=at("tiers")/>
                    </fieldset>
                    <TextArea
                        name="references"
                        label="References"
                        value=references
                        hint="One per line, as “Source: item”, e.g. “CIS v8: 12.2”."
                        error=at("references")
                        wide=true
                    />
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">{if editing { "Save control" } else { "Add control" }}</button>
                    <a class="btn btn-ghost" href="/catalog">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
        {retire_id.map(|id| {
            view! {
                <section class="card danger-zone" aria-labelledby="retire-heading">
                    <h2 id="retire-heading" class="card-title">"Retire"</h2>
                    <p>"A retired control leaves every checklist. Its recorded history is kept."</p>
                    <ActionForm action=retire>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="btn btn-danger">"Retire control"</button>
                    </ActionForm>
                </section>
            }
        })}
    }
}
