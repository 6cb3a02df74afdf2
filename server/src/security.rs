//! Request-level protections that belong to HTTP rather than to the domain: refusing
//! cross-site state changes, sending signed-out visitors to the sign-in page, and headers.
//!
//! None of this is authorization: every service function checks the actor itself, because
//! server functions called while rendering a page never pass through middleware.

use app::error::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower::ServiceExt;
use tower_sessions::Session;

/// Where state-changing requests may come from.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    /// The public origin ("https://rampart.example.com"); when unset, the request's own Host.
    pub public_origin: Option<String>,
}

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) sent by another site:
/// browsers say where a request comes from in Sec-Fetch-Site and Origin. A request with neither
/// header does not come from a browser page, so it cannot be a cross-site forgery.
pub async fn refuse_cross_site(State(policy): State<OriginPolicy>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = fetch_site {
        if site != "same-origin" && site != "none" {
            return cross_site_refusal(&request);
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let allowed = match &policy.public_origin {
            Some(public) => origin == public,
            None => {
                let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
                origin.split_once("://").is_some_and(|(_, authority)| !host.is_empty() && authority == host)
            }
        };
        if !allowed {
            return cross_site_refusal(&request);
        }
    }
    next.run(request).await
}

fn cross_site_refusal(request: &Request) -> Response {
    tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
    error_response(request.uri().path(), AppError::CrossSite)
}

/// An error answered outside a server function, in the form its caller expects: the
/// server-function error encoding under /api/, plain text elsewhere.
pub fn error_response(path: &str, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if path.starts_with("/api/") {
        let body = serde_json::to_string(&error).unwrap_or_else(|_| "\"Internal\"".into());
        (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
    } else {
        (status, error.to_string()).into_response()
    }
}

/// Paths that anyone may fetch without signing in.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/readyz"
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// Sends a signed-out visitor of a page to the sign-in page, remembering where they were going.
/// Convenience only: the page's own server functions refuse a signed-out caller anyway.
pub async fn sign_in_first(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if request.method() != Method::GET || is_public(path) {
        return next.run(request).await;
    }
    let signed_in = matches!(session.get::<i64>(app::auth::USER_ID_KEY).await, Ok(Some(_)));
    if signed_in {
        return next.run(request).await;
    }
    to_sign_in(request.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/"))
}

/// Sends a signed-out visitor to the sign-in page, to come back to `wanted` afterwards.
pub fn to_sign_in(wanted: &str) -> Response {
    let target = if wanted == "/" { "/login".to_string() } else { format!("/login?next={}", encode(wanted)) };
    Redirect::to(&target).into_response()
}

/// The largest request body accepted: forms are small; anything bigger is refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest body of a CSV import: its text is at most 1 MB (the domain's limit, which
/// answers with a clear message per file), but a form encodes every comma, space and line
/// break as three bytes, so the body of a 1 MB file can approach 3 MB.
pub const MAX_IMPORT_BODY_BYTES: usize = 4 * 1024 * 1024;
/// The server functions that carry a CSV file.
pub const IMPORT_PATHS: [&str; 2] = ["/api/access/import_preview", "/api/access/import"];

/// Limits the request body by path (larger for CSV imports only), and answers an oversized
/// request with 413 and a message in the form its caller expects.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let limit = if IMPORT_PATHS.contains(&path.as_str()) { MAX_IMPORT_BODY_BYTES } else { MAX_BODY_BYTES };
    let inner = tower::service_fn(move |request: Request<_>| {
        let next = next.clone();
        async move { Ok::<_, std::convert::Infallible>(next.run(request.map(Body::new)).await) }
    });
    let response = match tower_http::limit::RequestBodyLimit::new(inner, limit).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    };
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return error_response(&path, AppError::TooLarge);
    }
    response
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Headers every answer carries.
pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_files_and_sign_in_are_public_pages_are_not() {
        for path in ["/login", "/api/auth/sign_in", "/pkg/rampart.js", "/favicon.svg", "/healthz"] {
            assert!(is_public(path), "{path}");
        }
        for path in ["/", "/clients", "/clients/acme", "/clients/acme/edit"] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(encode("/clients?q=a b&tier=x"), "/clients%3Fq%3Da%20b%26tier%3Dx");
    }
}
