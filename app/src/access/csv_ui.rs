//! Importing technicians and access from a CSV file: a preview of every row, then the import of
//! all of it; and the page for both.
//!
//! A form post comes back as a page (the pages are not hydrated, only islands are), so the
//! previewed text is kept in the session (and the result of an import, once): the page shows
//! them from there.

use crate::components::{columns, DataTable};
use crate::components::{crumb, Breadcrumbs};
use crate::components::{ActionError, Loading, PageError, PageTitle};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowView {
    pub line: u64,
    pub technician: String,
    pub email: String,
    pub client: String,
    pub system: String,
    pub privilege: String,
    /// What importing the row does, in words.
    pub action: String,
    pub notes: Vec<String>,
    /// "column: message", or the message alone for the row as a whole.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreviewView {
    /// The text previewed: the import form sends exactly this.
    pub text: String,
    pub rows: Vec<ImportRowView>,
    pub file_errors: Vec<String>,
    pub ignored_columns: Vec<String>,
    pub new_technicians: usize,
    pub new_grants: usize,
    pub rows_with_errors: usize,
    /// Rows that add a technician or a grant.
    pub rows_to_import: usize,
    pub can_commit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummaryView {
    pub technicians_created: usize,
    pub grants_created: usize,
}

/// What the page continues from after a form post without JavaScript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportDraftView {
    pub preview: Option<ImportPreviewView>,
    pub done: Option<ImportSummaryView>,
}

#[cfg(feature = "ssr")]
mod draft {
    use super::ImportSummaryView;
    use crate::error::AppError;
    use serde::{Deserialize, Serialize};

    const KEY: &str = "access_import";

    #[derive(Serialize, Deserialize)]
    pub enum Draft {
        /// Text previewed and not yet imported.
        Text(String),
        /// An import just done, shown once.
        Done(ImportSummaryView),
    }

    fn failed(e: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %e, "the import draft could not be kept in the session");
        AppError::Internal
    }

    pub async fn load() -> Result<Option<Draft>, AppError> {
        crate::auth::session().await?.get(KEY).await.map_err(failed)
    }

    pub async fn save(draft: &Draft) -> Result<(), AppError> {
        crate::auth::session().await?.insert(KEY, draft).await.map_err(failed)
    }

    pub async fn clear() -> Result<(), AppError> {
        crate::auth::session().await?.remove::<Draft>(KEY).await.map_err(failed)?;
        Ok(())
    }
}

#[cfg(feature = "ssr")]
fn preview_view(p: domain::access::csv_io::ImportPreview, text: String) -> ImportPreviewView {
    use domain::access::csv_io::RowAction;
    let rows_with_errors = p.rows_with_errors();
    let can_commit = p.can_commit();
    let rows_to_import = p
        .rows
        .iter()
        .filter(|r| {
            matches!(r.action, RowAction::NewTechnician | RowAction::NewTechnicianAndGrant | RowAction::NewGrant)
        })
        .count();
    ImportPreviewView {
        text,
        rows: p
            .rows
            .into_iter()
            .map(|r| ImportRowView {
                line: r.line,
                technician: r.technician_name,
                email: r.technician_email,
                client: r.client,
                system: r.system,
                privilege: r.privilege,
                action: r.action.describe().into(),
                notes: r.notes,
                errors: r
                    .errors
                    .into_iter()
                    .map(|e| if e.field == "row" { e.message } else { format!("{}: {}", e.field, e.message) })
                    .collect(),
            })
            .collect(),
        file_errors: p.file_errors,
        ignored_columns: p.ignored_columns,
        new_technicians: p.new_technicians,
        new_grants: p.new_grants,
        rows_with_errors,
        rows_to_import,
        can_commit,
    }
}

/// What importing the text would do, row by row; writes nothing (but, for a form posted
/// without JavaScript, keeps the text in the session for the page to show).
#[server(prefix = "/api", endpoint = "access/import_preview")]
pub async fn preview_import(text: String) -> Result<ImportPreviewView, AppError> {
    use domain::access::csv_io;
    let (state, actor) = crate::auth::acting().await?;
    let preview = csv_io::preview_import(&state.db, &actor, &text, domain::clock::now()).await?;
    if crate::state::is_plain_form_post() {
        if text.len() > csv_io::MAX_IMPORT_BYTES {
            return Err(domain::DomainError::invalid("file", preview.file_errors.join(" ")).into());
        }
        draft::save(&draft::Draft::Text(text.clone())).await?;
        leptos_axum::redirect("/technicians/import");
    }
    Ok(preview_view(preview, text))
}

/// Imports every technician and grant of the text, or nothing while any row is wrong.
#[server(prefix = "/api", endpoint = "access/import")]
pub async fn import_register(text: String) -> Result<ImportSummaryView, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let summary = domain::access::csv_io::commit_import(&state.db, &actor, &text, domain::clock::now()).await?;
    let done =
        ImportSummaryView { technicians_created: summary.technicians_created, grants_created: summary.grants_created };
    if crate::state::is_plain_form_post() {
        draft::save(&draft::Draft::Done(done)).await?;
        leptos_axum::redirect("/technicians/import");
    } else {
        draft::clear().await?;
    }
    Ok(done)
}

/// The preview or the import result kept for this session, if any; refused to those who may
/// not import.
#[server(prefix = "/api", endpoint = "access/import_draft")]
pub async fn get_import_draft() -> Result<ImportDraftView, AppError> {
    use domain::access::csv_io;
    let (state, actor) = crate::auth::acting().await?;
    csv_io::may_import(&actor)?;
    Ok(match draft::load().await? {
        Some(draft::Draft::Text(text)) => {
            let preview = csv_io::preview_import(&state.db, &actor, &text, domain::clock::now()).await?;
            ImportDraftView { preview: Some(preview_view(preview, text)), done: None }
        }
        Some(draft::Draft::Done(done)) => {
            draft::clear().await?;
            ImportDraftView { preview: None, done: Some(done) }
        }
        None => ImportDraftView::default(),
    })
}

/// Where the page stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Empty,
    Previewed(ImportPreviewView),
    Imported(ImportSummaryView),
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let preview = ServerAction::<PreviewImport>::new();
    let commit = ServerAction::<ImportRegister>::new();
    let draft = Resource::new(|| (), |_| get_import_draft());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match draft.await {
                    Ok(d) => view! { <ImportBody d preview commit/> }.into_any(),
                    Err(error) => view! { <PageTitle text="Import technicians and access"/> <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ImportBody(
    d: ImportDraftView,
    preview: ServerAction<PreviewImport>,
    commit: ServerAction<ImportRegister>,
) -> impl IntoView {
    let initial_text = d.preview.as_ref().map(|p| p.text.clone()).unwrap_or_default();
    let stage = RwSignal::new(match (d.done, d.preview) {
        (Some(done), _) => Stage::Imported(done),
        (None, Some(p)) => Stage::Previewed(p),
        (None, None) => Stage::Empty,
    });
    Effect::new(move |_| {
        if let Some(Ok(p)) = preview.value().get() {
            stage.set(Stage::Previewed(p));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(done)) = commit.value().get() {
            stage.set(Stage::Imported(done));
        }
    });
    let error =
        move || preview.value().get().and_then(Result::err).or_else(|| commit.value().get().and_then(Result::err));
    view! {
        <PageTitle text="Import technicians and access"/>
        <Breadcrumbs trail=vec![crumb("Technicians", "/technicians")] here="Import"/>
        <header class="page-header">
            <div>
                <h1>"Import technicians and access"</h1>
                <p class="page-subtitle">
                    "From a CSV file as PSA and RMM tools export them. Preview it first: nothing is written until every row is right, and then all of it is."
                </p>
            </div>
        </header>
        <section class="card" aria-labelledby="import-columns-heading">
            <h2 id="import-columns-heading" class="card-title">"Columns"</h2>
            <p>
                "One row per grant; a row without client and system only adds a technician. The first line names the columns: "
                <code>"technician_email"</code>", "<code>"technician_name"</code>" (both needed), "
                <code>"technician_title"</code>", "<code>"started_on"</code>", "<code>"client"</code>" (slug or exact name), "
                <code>"system"</code>", "<code>"system_name"</code>" (for “other”), "<code>"privilege"</code>" (read, standard or admin), "
                <code>"mfa"</code>" (yes or no), "<code>"granted_on"</code>", "<code>"expires_on"</code>", "<code>"approver"</code>" (not the technician), "
                <code>"justification"</code>" and "<code>"last_reviewed_on"</code>". Dates are YYYY-MM-DD. "
                "Headers such as “Email”, “Display Name”, “Company”, “Tool” or “Access Level” are understood too; other columns are ignored."
            </p>
            <p>
                <a href="/access/import-example.csv" download="access-import.csv" rel="external">"Download the example file"</a>
                " · Every column and rule is in Rampart's documentation (docs/areas/access.md)."
            </p>
        </section>
        {move || error().map(|error| view! { <ActionError error/> })}
        {move || match stage.get() {
            Stage::Imported(done) => view! { <ImportDone done/> }.into_any(),
            _ => ().into_any(),
        }}
        <section class="card" aria-labelledby="import-file-heading">
            <h2 id="import-file-heading" class="card-title">"The file"</h2>
            <ActionForm action=preview attr:class="stack">
                <CsvText initial=initial_text/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || preview.pending().get()>
                        "Preview"
                    </button>
                </div>
            </ActionForm>
        </section>
        {move || match stage.get() {
            Stage::Previewed(p) => view! { <ImportPreviewTable p commit/> }.into_any(),
            _ => ().into_any(),
        }}
    }
}

/// The CSV text of the import form, and a file chooser that reads a chosen file into it. This
/// is the one part of the page that runs in the browser (an island): the chooser needs
/// JavaScript, so it appears only once the island is awake; without it, the text is pasted.
#[island]
fn CsvText(initial: String) -> impl IntoView {
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let awake = RwSignal::new(false);
    Effect::new(move |_| awake.set(true));
    let file_error = RwSignal::new(None::<String>);
    view! {
        {move || awake.get().then(|| view! { <FileChooser textarea file_error/> })}
        {move || file_error.get().map(|e| view! { <div class="alert alert-error" role="alert">{e}</div> })}
        <div class="field field-wide">
            <label for="import-text">"CSV text"</label>
            <textarea id="import-text" name="text" rows="12" spellcheck="false" class="csv-text" node_ref=textarea>
                {initial}
            </textarea>
        </div>
    }
}

/// Reads a chosen file into the text (in the browser).
#[component]
fn FileChooser(textarea: NodeRef<leptos::html::Textarea>, file_error: RwSignal<Option<String>>) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let input = event_target::<web_sys::HtmlInputElement>(&ev);
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            // The server refuses more than 1 MB of text; say so before sending it.
            if file.size() > 1024.0 * 1024.0 {
                file_error.set(Some("The file is larger than 1 MB: split it into smaller files.".into()));
                return;
            }
            file_error.set(None);
            leptos::task::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()) {
                    Some(contents) => {
                        if let Some(textarea) = textarea.get_untracked() {
                            textarea.set_value(&contents);
                        }
                    }
                    None => file_error.set(Some("The file could not be read.".into())),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, textarea, file_error);
    };
    view! {
        <div class="field">
            <label for="import-file">"Choose a CSV file"</label>
            <input id="import-file" type="file" accept=".csv,text/csv" on:change=on_change/>
            <p class="muted">"Or paste the text below."</p>
        </div>
    }
}

#[component]
fn ImportDone(done: ImportSummaryView) -> impl IntoView {
    view! {
        <div class="alert alert-success" role="status">
            <p>
                {format!(
                    "Imported {} new technician{} and {} grant{}.",
                    done.technicians_created,
                    if done.technicians_created == 1 { "" } else { "s" },
                    done.grants_created,
                    if done.grants_created == 1 { "" } else { "s" },
                )}
            </p>
            <p><a href="/technicians">"See the technicians"</a></p>
        </div>
    }
}

#[component]
fn ImportPreviewTable(p: ImportPreviewView, commit: ServerAction<ImportRegister>) -> impl IntoView {
    let summary = if !p.file_errors.is_empty() {
        "The file cannot be imported as it is.".to_string()
    } else if p.rows_with_errors > 0 {
        format!(
            "{} of {} rows have errors: fix them in the file and preview it again. Nothing is imported until every row is right.",
            p.rows_with_errors,
            p.rows.len()
        )
    } else {
        format!(
            "Every row is right: {} new technician{} and {} new grant{}.",
            p.new_technicians,
            if p.new_technicians == 1 { "" } else { "s" },
            p.new_grants,
            if p.new_grants == 1 { "" } else { "s" }
        )
    };
    let rows_to_import = p.rows_to_import;
    view! {
        <section class="card" aria-labelledby="import-preview-heading">
            <h2 id="import-preview-heading" class="card-title">"Preview"</h2>
            <p role="status">{summary}</p>
            {(!p.file_errors.is_empty()).then(|| view! {
                <div class="alert alert-error" role="alert">
                    <ul>{p.file_errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
            {(!p.ignored_columns.is_empty()).then(|| view! {
                <p class="muted">{format!("Ignored columns: {}.", p.ignored_columns.join(", "))}</p>
            })}
            {(!p.rows.is_empty()).then(|| view! {
                <DataTable label="Rows of the file" class="import-preview" columns=columns(["Line", "Technician", "Client", "System", "Privilege", "Result", "Errors and notes"])>
                    {p.rows.iter().map(|r| {
                        let wrong = !r.errors.is_empty();
                        view! {
                            <tr class=if wrong { "row-error" } else { "" }>
                                <td>{r.line}</td>
                                <td>{r.technician.clone()}<br/><span class="muted">{r.email.clone()}</span></td>
                                <td>{r.client.clone()}</td>
                                <td>{r.system.clone()}</td>
                                <td>{r.privilege.clone()}</td>
                                <td>{if wrong { view! { <strong>{r.action.clone()}</strong> }.into_any() } else { view! { {r.action.clone()} }.into_any() }}</td>
                                <td>
                                    {wrong.then(|| view! {
                                        <ul class="import-errors">{r.errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                                    })}
                                    {(!r.notes.is_empty()).then(|| view! {
                                        <ul class="muted">{r.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </DataTable>
            })}
            {p.can_commit.then(|| view! {
                <ActionForm action=commit>
                    <input type="hidden" name="text" value=p.text.clone()/>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" disabled=move || commit.pending().get()>
                            {format!("Import {} row{}", rows_to_import, if rows_to_import == 1 { "" } else { "s" })}
                        </button>
                    </div>
                </ActionForm>
            })}
        </section>
    }
}
