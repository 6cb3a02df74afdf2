//! Downloads that are files rather than pages: the access register as CSV, and the example
//! import file. Plain axum handlers: they take the signed-in actor ([`SignedIn`]) and call one
//! service.

use crate::security::error_response;
use crate::signed_in::SignedIn;
use crate::state::ServerState;
use app::error::AppError;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

pub const REGISTER_PATH: &str = "/access/register.csv";
pub const IMPORT_EXAMPLE_PATH: &str = "/access/import-example.csv";
/// The audit log as CSV, narrowed by the viewer's filters (same query string as `/audit`).
pub const AUDIT_PATH: &str = "/audit/export.csv";
/// Every download this module serves (the authorization matrix has a row for each).
pub const DOWNLOADS: [&str; 3] = [REGISTER_PATH, IMPORT_EXAMPLE_PATH, AUDIT_PATH];

/// The example file of docs/areas/access.md, as documented there.
const IMPORT_EXAMPLE: &str = include_str!("../../docs/examples/access-import.csv");

fn csv_file(filename: &str, body: String) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// A refused export. Exports of everything need a recent confirmation, which the services
/// ask for (see `domain::identity::step_up`): a browser's navigation is then sent to confirm
/// and comes back to the download; anything else gets the error's status.
fn refused(path: &str, uri: &Uri, headers: &HeaderMap, error: AppError) -> Response {
    let navigation = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if navigation && error == AppError::StepUpRequired {
        let back = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or(path);
        return Redirect::to(&app::auth::confirm_href(back)).into_response();
    }
    error_response(path, error)
}

/// The access register the signed-in user may see. Signed out: to the sign-in page and back.
pub async fn register_csv(
    State(state): State<ServerState>,
    SignedIn(actor): SignedIn,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let db = &state.app.db;
    let now = domain::clock::now();
    match domain::access::csv_io::export_register(db, &actor, now).await {
        // The byte order mark tells spreadsheets the file is UTF-8; the import accepts it.
        Ok(csv) => {
            csv_file(&format!("rampart-access-register-{}.csv", now.format("%Y-%m-%d")), format!("\u{feff}{csv}"))
        }
        Err(error) => refused(REGISTER_PATH, &uri, &headers, AppError::from(error)),
    }
}

pub async fn import_example() -> Response {
    csv_file("access-import.csv", IMPORT_EXAMPLE.to_string())
}

/// The audit viewer's filters, as its page puts them in the query string.
#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditFilters {
    client: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The audit log (filtered) for admins and auditors; the export is itself audited.
pub async fn audit_csv(
    State(state): State<ServerState>,
    SignedIn(actor): SignedIn,
    uri: Uri,
    headers: HeaderMap,
    axum::extract::Query(filters): axum::extract::Query<AuditFilters>,
) -> Response {
    let db = &state.app.db;
    let query = domain::audit::Query {
        client: filters.client,
        actor: filters.actor,
        action: filters.action,
        from: filters.from,
        to: filters.to,
        page: 1,
    };
    let now = domain::clock::now();
    match domain::audit::export_csv(db, &actor, &query, now).await {
        Ok(csv) => csv_file(&format!("rampart-audit-log-{}.csv", now.format("%Y-%m-%d")), format!("\u{feff}{csv}")),
        Err(error) => refused(AUDIT_PATH, &uri, &headers, AppError::from(error)),
    }
}
