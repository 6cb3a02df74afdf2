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

/// A labelled text input with its error message beside it. Its id is `field-{name}` unless given.
#[component]
pub fn TextField(
    name: &'static str,
    #[prop(into)] label: String,
    #[prop(into, optional)] value: String,
    #[prop(into, optional)] error: MaybeProp<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] readonly: bool,
    #[prop(into, optional)] id: Option<String>,
    #[prop(optional)] placeholder: Option<&'static str>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
    /// Across the whole form grid.
    #[prop(optional)]
    wide: bool,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    let described = described_by(&id, hint.is_some(), error);
    view! {
        <FieldFrame id=id.clone() label hint error wide>
            <input
                id=id
                name=name
                type=kind
                value=value
                maxlength=maxlength
                autocomplete=autocomplete
                readonly=readonly
                placeholder=placeholder
                list=list
                aria-required=required.then_some("true")
                aria-invalid=invalid(error)
                aria-describedby=described
            />
        </FieldFrame>
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

/// The choices of a select, as (value, label) pairs in the order shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choices(pub Vec<(String, String)>);

impl From<vocabulary::Table> for Choices {
    fn from(table: vocabulary::Table) -> Choices {
        Choices(table.iter().map(|(value, label)| (value.to_string(), label.to_string())).collect())
    }
}

impl From<Vec<(String, String)>> for Choices {
    fn from(pairs: Vec<(String, String)>) -> Choices {
        Choices(pairs)
    }
}

/// Values that are their own labels (tags, say).
impl From<Vec<String>> for Choices {
    fn from(values: Vec<String>) -> Choices {
        Choices(values.into_iter().map(|v| (v.clone(), v)).collect())
    }
}

impl Choices {
    /// The first choice, with an empty value: "any" in a filter, "the default" in a form.
    pub fn with_empty(mut self, label: &str) -> Choices {
        self.0.insert(0, (String::new(), label.to_string()));
        self
    }

    /// `value` kept selectable when it is not among the choices (a filter from a link, before
    /// its list is known).
    pub fn keeping(mut self, value: &str) -> Choices {
        if !value.is_empty() && !self.0.iter().any(|(v, _)| v == value) {
            self.0.push((value.to_string(), value.to_string()));
        }
        self
    }
}

/// The `<option>`s of `choices`, the one whose value is `selected` chosen.
pub fn options(choices: Choices, selected: Signal<String>) -> impl IntoView {
    choices
        .0
        .into_iter()
        .map(|(value, label)| {
            let this = value.clone();
            view! { <option value=value selected=move || selected.with(|s| *s == this)>{label}</option> }
        })
        .collect_view()
}

/// The ids a field's `aria-describedby` names: its hint, and its error while there is one.
fn described_by(id: &str, hint: bool, error: MaybeProp<String>) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let hint_id = hint.then(|| format!("{id}-hint"));
    let error_id = format!("{id}-error");
    move || {
        let ids: Vec<String> = hint_id.iter().cloned().chain(error.get().is_some().then(|| error_id.clone())).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// What every labelled field shows around its control: the label, the hint and the error, in a
/// `field` box (across the form grid when `wide`).
#[component]
fn FieldFrame(
    id: String,
    label: String,
    hint: Option<&'static str>,
    error: MaybeProp<String>,
    wide: bool,
    #[prop(optional)] hidden_label: bool,
    children: Children,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    view! {
        <div class=field_class("field", wide)>
            <label for=id class=hidden_label.then_some("visually-hidden")>{label}</label>
            {children()}
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <FieldErrorText id=error_id error=Signal::derive(move || error.get())/>
        </div>
    }
}

/// `aria-invalid` while the field has an error.
fn invalid(error: MaybeProp<String>) -> impl Fn() -> Option<&'static str> + Send + Sync + 'static {
    move || error.get().is_some().then_some("true")
}

fn field_class(base: &str, wide: bool) -> String {
    if wide {
        format!("{base} field-wide")
    } else {
        base.to_string()
    }
}

/// A labelled text area with its error message beside it. Its id is `field-{name}`.
#[component]
pub fn TextArea(
    name: &'static str,
    #[prop(into)] label: String,
    #[prop(into, optional)] value: String,
    #[prop(into, optional)] error: MaybeProp<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 3)] rows: usize,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(optional)] wide: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let described = described_by(&id, hint.is_some(), error);
    view! {
        <FieldFrame id=id.clone() label hint error wide>
            <textarea id=id name=name rows=rows maxlength=maxlength aria-invalid=invalid(error) aria-describedby=described>
                {value}
            </textarea>
        </FieldFrame>
    }
}

/// A labelled select with its error message beside it. Its id is `field-{name}` unless given.
#[component]
pub fn SelectField(
    name: &'static str,
    #[prop(into)] label: String,
    #[prop(into)] choices: Choices,
    #[prop(into, optional)] selected: Signal<String>,
    #[prop(into, optional)] id: Option<String>,
    #[prop(into, optional)] error: MaybeProp<String>,
    #[prop(optional)] hint: Option<&'static str>,
    /// The label is read by screen readers only (a unit beside an amount, say).
    #[prop(optional)]
    hidden_label: bool,
    #[prop(optional)] required: bool,
    #[prop(optional)] wide: bool,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    let described = described_by(&id, hint.is_some(), error);
    view! {
        <FieldFrame id=id.clone() label hint error wide hidden_label>
            <select
                id=id
                name=name
                aria-required=required.then_some("true")
                aria-invalid=invalid(error)
                aria-describedby=described
            >
                {options(choices, selected)}
            </select>
        </FieldFrame>
    }
}

/// A labelled checkbox that sends `value` when ticked.
#[component]
pub fn CheckField(
    name: &'static str,
    #[prop(into)] label: String,
    #[prop(into, optional)] checked: Signal<bool>,
    #[prop(default = "1")] value: &'static str,
    #[prop(optional)] wide: bool,
) -> impl IntoView {
    view! {
        <div class=field_class("field field-check", wide)>
            <label>
                <input type="checkbox" name=name value=value checked=checked/>
                {format!(" {label}")}
            </label>
        </div>
    }
}

/// A list's filters: a GET form to the list's own address, its fields, and "Apply".
#[component]
pub fn FilterBar(#[prop(into)] action: String, label: &'static str, children: Children) -> impl IntoView {
    view! {
        <form class="filters" method="get" action=action aria-label=label>
            {children()}
            <div class="field">
                <button type="submit" class="btn">"Apply"</button>
            </div>
        </form>
    }
}

/// A column heading of a [`DataTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    label: String,
    numeric: bool,
    hidden: bool,
}

impl Column {
    /// A column of numbers, aligned right.
    pub fn num(label: &str) -> Column {
        Column { label: label.into(), numeric: true, hidden: false }
    }

    /// A heading only screen readers read (a column of buttons, say).
    pub fn hidden(label: &str) -> Column {
        Column { label: label.into(), numeric: false, hidden: true }
    }
}

impl From<&str> for Column {
    fn from(label: &str) -> Column {
        Column { label: label.into(), numeric: false, hidden: false }
    }
}

/// Plain column headings from their labels.
pub fn columns<const N: usize>(labels: [&str; N]) -> Vec<Column> {
    labels.into_iter().map(Column::from).collect()
}

/// A data table in its scrolling frame: the headings, then the rows given as children, or as
/// markup written as text (`rows_html`, see [`crate::html::Markup`]). It is named by `label`,
/// or by the heading whose id is `labelled_by`.
#[component]
pub fn DataTable(
    #[prop(into, optional)] label: Option<String>,
    #[prop(optional)] labelled_by: Option<&'static str>,
    columns: Vec<Column>,
    #[prop(optional)] class: Option<&'static str>,
    /// The rows as markup, instead of children.
    #[prop(optional)]
    rows_html: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let class = match class {
        Some(extra) => format!("data {extra}"),
        None => "data".to_string(),
    };
    view! {
        <div class="table-wrap">
            <table class=class aria-label=label aria-labelledby=labelled_by>
                <thead>
                    <tr>
                        {columns
                            .into_iter()
                            .map(|c| {
                                let class = c.numeric.then_some("num");
                                if c.hidden {
                                    view! { <th scope="col" class=class><span class="visually-hidden">{c.label}</span></th> }
                                        .into_any()
                                } else {
                                    view! { <th scope="col" class=class>{c.label}</th> }.into_any()
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                {match (rows_html, children) {
                    (Some(rows), _) => view! { <tbody inner_html=rows></tbody> }.into_any(),
                    (None, Some(children)) => view! { <tbody>{children()}</tbody> }.into_any(),
                    (None, None) => view! { <tbody></tbody> }.into_any(),
                }}
            </table>
        </div>
    }
}

/// What a list shows when it has nothing to show: a heading, a word on why, and what to do.
#[component]
pub fn EmptyState(
    #[prop(into)] heading: String,
    #[prop(into, optional)] text: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>{heading}</h2>
            {text.map(|t| view! { <p>{t}</p> })}
            {children.map(|c| c())}
        </div>
    }
}

/// The empty result of a filtered list: a link back to the whole list.
#[component]
pub fn NoMatch(
    /// What the list holds, singular ("client").
    what: &'static str,
    #[prop(into)] clear: String,
    /// What the unfiltered list shows (" to see every client.").
    #[prop(optional)]
    whole: &'static str,
) -> impl IntoView {
    view! {
        <EmptyState heading=format!("No {what} matches these filters")>
            <p><a href=clear>"Clear the filters"</a>{whole}</p>
        </EmptyState>
    }
}

/// Where a page stands: links up the way (label, address), then the page itself.
#[component]
pub fn Breadcrumbs(trail: Vec<(String, String)>, #[prop(into)] here: String) -> impl IntoView {
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                {trail.into_iter().map(|(label, href)| view! { <li><a href=href>{label}</a></li> }).collect_view()}
                <li aria-current="page">{here}</li>
            </ol>
        </nav>
    }
}

/// A step of [`Breadcrumbs`].
pub fn crumb(label: impl Into<String>, href: impl Into<String>) -> (String, String) {
    (label.into(), href.into())
}
