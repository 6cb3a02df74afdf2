//! The score's settings (admins).

use crate::components::{ActionError, Loading, PageError, PageTitle};
use crate::error::AppError;
use crate::score::api::{get_score_settings, SaveScoreSettings};
use crate::score::types::ScoreSettingsView;
use leptos::prelude::*;

/// `/settings/score`: the score's settings, changed by admins.
#[component]
pub fn ScoreSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveScoreSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_score_settings());
    view! {
        <PageTitle text="Risk score settings"/>
        <header class="page-header">
            <div>
                <h1>"Risk score settings"</h1>
                <p class="page-subtitle">
                    "Band thresholds, penalties with their caps, overrides and impact-tier multipliers. The defaults are those of the scoring method; "
                    <a href="/score">"see how the score works"</a>
                    "."
                </p>
            </div>
        </header>
        {move || save.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
        {move || {
            save.value()
                .get()
                .and_then(Result::ok)
                .map(|_| view! { <div class="alert alert-success" role="status">"Settings saved."</div> })
        }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) if s.can_edit => view! { <SettingsForm s save/> }.into_any(),
                    Ok(_) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn SettingsForm(s: ScoreSettingsView, save: ServerAction<SaveScoreSettings>) -> impl IntoView {
    let error = move |key: String| {
        Signal::derive(move || save.value().get().and_then(Result::err).and_then(|e| e.field_message(&key)))
    };
    view! {
        <section class="card">
            <ActionForm action=save attr:class="stack" attr:novalidate=true>
                <div class="form-grid">
                    {s
                        .settings
                        .into_iter()
                        .map(|setting| {
                            let id = format!("setting-{}", setting.key);
                            let hint = format!("{id}-hint");
                            let message = error(setting.key.clone());
                            view! {
                                <div class="field">
                                    <label for=id.clone()>{setting.label.clone()}</label>
                                    <input
                                        id=id.clone()
                                        name=format!("values[{}]", setting.key)
                                        type="number"
                                        min=setting.min
                                        max=setting.max
                                        value=setting.value
                                        class="input-narrow"
                                        aria-describedby=hint.clone()
                                        aria-invalid=move || message.get().is_some().then_some("true")
                                    />
                                    <p class="hint" id=hint>
                                        {format!("{} Default {}.", setting.help, setting.default)}
                                    </p>
                                    {move || message.get().map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save settings"</button>
                </div>
            </ActionForm>
        </section>
    }
}
