//! Small pieces shared by the pages.

use crate::clients::types::tier_label;
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// An error inside a page whose heading is already shown.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let signed_out = error == AppError::Unauthenticated;
    view! {
        <div class="alert alert-error" role="alert">
            <p>{error.to_string()}</p>
            {signed_out.then(|| view! { <p><a href="/login">"Sign in again"</a></p> })}
        </div>
    }
}

/// The failure of an action whose fields are not beside the form (a table's row action, say):
/// the summary and, for invalid input, every message.
#[component]
pub fn ActionError(error: AppError) -> impl IntoView {
    let details = match &error {
        AppError::Validation(fields) => fields.iter().map(|f| f.message.clone()).collect(),
        _ => Vec::new(),
    };
    view! {
        <div class="alert alert-error" role="alert">
            <p>{error.to_string()}</p>
            {(!details.is_empty()).then(|| view! {
                <ul>{details.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            })}
            {(error == AppError::StepUpRequired).then(|| view! { <ConfirmLink/> })}
            {(error == AppError::TwoFactorRequired)
                .then(|| view! { <p><a href="/account">"Set up two-factor sign-in"</a></p> })}
        </div>
    }
}

/// A link to confirm one's identity (step-up), coming back to this page afterwards.
#[component]
pub fn ConfirmLink() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let href = move || crate::auth::confirm_href(&location.pathname.get());
    view! { <p><a href=href>"Confirm it is you"</a></p> }
}

/// An error that replaces a whole page, with its own level-1 heading.
#[component]
pub fn PageError(error: AppError) -> impl IntoView {
    let (heading, text) = match &error {
        AppError::NotFound => (
            "Not found",
            "There is nothing at this address, or you do not have access to it. Check the link, or go back to the list.".to_string(),
        ),
        AppError::Unauthenticated => ("Signed out", "Your session has ended. Sign in again to continue.".to_string()),
        AppError::Forbidden => ("Not allowed", error.to_string()),
        other => ("Something went wrong", other.to_string()),
    };
    let signed_out = error == AppError::Unauthenticated;
    #[cfg(feature = "ssr")]
    crate::state::set_status(&error);
    view! {
        <div class="not-found">
            <h1>{heading}</h1>
            <p>{text}</p>
            <p>
                {if signed_out {
                    view! { <a class="btn btn-primary" href="/login">"Sign in"</a> }.into_any()
                } else {
                    view! { <a class="btn" href="/">"Go to the start page"</a> }.into_any()
                }}
            </p>
        </div>
    }
}

/// Impact tier as text with an icon (from the style) and colour, never colour alone.
#[component]
pub fn TierBadge(tier: String) -> impl IntoView {
    let class = format!("badge badge-tier-{}", if tier_label(&tier) == "Unknown" { "standard" } else { tier.as_str() });
    view! { <span class=class>{tier_label(&tier)}</span> }
}

/// A labelled text input with its error message beside it.
#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    #[prop(into)] value: String,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = move || {
        let mut ids = Vec::new();
        if hint.is_some() {
            ids.push(hint_id.clone());
        }
        if error.get().is_some() {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                maxlength=maxlength
                autocomplete=autocomplete
                readonly=readonly
                aria-required=required.then_some("true")
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {hint.map(|h| view! { <p class="hint" id=format!("field-{name}-hint")>{h}</p> })}
            <FieldErrorText id=format!("field-{name}-error") error/>
        </div>
    }
}

#[component]
pub fn FieldErrorText(id: String, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || error.get().map(|message| view! { <p class="field-error" id=id.clone()>{message}</p> })
}

/// The page title. leptos_meta writes a title's text into the server-rendered HTML without
/// escaping it, so a client named `</title><script>…` would inject markup; on the server the
/// text is escaped here, in the browser it is set as plain text and needs nothing.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    view! { <leptos_meta::Title text/> }
}

/// A time as "3 days ago", with the exact time on hover and for machines.
#[component]
pub fn TimeAgo(when: crate::time::When) -> impl IntoView {
    view! { <time datetime=when.iso title=when.absolute>{when.relative}</time> }
}

/// The active filters of a list as chips, each with a link that removes it: (label, href).
#[component]
pub fn FilterChips(chips: Vec<(String, String)>) -> impl IntoView {
    (!chips.is_empty()).then(|| {
        view! {
            <ul class="chips" aria-label="Active filters">
                {chips
                    .into_iter()
                    .map(|(label, remove)| {
                        let remove_label = format!("Remove filter {label}");
                        view! {
                            <li class="chip">
                                {label}
                                <a class="chip-remove" href=remove aria-label=remove_label>"×"</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// Previous and next links around "Page N of M"; nothing when there is one page. The hrefs are
/// the list's own address for the neighbouring pages (`None` at either end).
#[component]
pub fn Pager(
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    #[prop(default = "← Previous")] prev_label: &'static str,
    #[prop(default = "Next →")] next_label: &'static str,
) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {match prev {
                    Some(href) => view! { <a href=href rel="prev">{prev_label}</a> }.into_any(),
                    None => view! { <span aria-disabled="true">{prev_label}</span> }.into_any(),
                }}
                <span>{format!("Page {page} of {pages}")}</span>
                {match next {
                    Some(href) => view! { <a href=href rel="next">{next_label}</a> }.into_any(),
                    None => view! { <span aria-disabled="true">{next_label}</span> }.into_any(),
                }}
            </nav>
        }
    })
}
