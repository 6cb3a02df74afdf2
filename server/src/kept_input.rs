//! Forms keep what was typed when the server refuses it.
//!
//! The pages are rendered on the server (only islands run in the browser), so a form is posted
//! by the browser itself. When the server function refuses it, Leptos redirects back to the
//! form's page with the error in the address (`__path` names the function, `__err` carries the
//! error), and the page shows the error beside a form rendered afresh: empty, or with the stored
//! values. So the fields of a refused post are kept in the session, and the page it comes back
//! to gets them written back into that form, once.
//!
//! The error itself travels the same way, never in the address: Leptos would show any error
//! written into a link's `__err` as the form's result, so a crafted link could put any text in
//! the sign-in page's red alert. The redirect's `__path` and `__err` are moved into the session
//! (so into this browser's cookie only) and written back into the address of the one page
//! request that follows; an `__err` or `__path` that arrives in an address is dropped.
//!
//! One place does this for every form, present and future, by rewriting the page's HTML: the
//! form is the one posting to `__path` whose hidden fields (which row it is about) agree with
//! what was posted. Passwords, secrets and invitation tokens are never kept, and password and
//! one-time-code fields are never filled.

use crate::security::error_response;
use app::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lol_html::html_content::ContentType;
use lol_html::{element, rewrite_str, RewriteStrSettings};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use tower_sessions::Session;

/// The session key of the fields waiting for their page.
pub const KEY: &str = "rampart.kept_input";

/// The session key of the error of a refused post, waiting for its page.
pub const ERROR_KEY: &str = "rampart.refused";

/// The error of a refused post, as Leptos wrote it into the redirect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptError {
    /// The page the browser is sent back to (its path).
    pub page: String,
    /// The server function (Leptos' `__path`).
    pub path: String,
    /// The encoded error (Leptos' `__err`).
    pub error: String,
}

/// Fields beyond this size are not kept (a pasted CSV file of a megabyte, say): the session is
/// not a file store, and the file is still on the user's disk.
pub const MAX_KEPT_BYTES: usize = 256 * 1024;

/// The fields of a refused form post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptInput {
    /// The server function's path, as the form's `action`.
    pub path: String,
    /// The fields in the order posted, without the ones never kept.
    pub fields: Vec<(String, String)>,
}

/// Whether a field of this name is never kept: credentials.
pub fn never_kept(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name.contains("secret") || name == "token"
}

/// The middleware: keeps the fields of a refused plain form post, and writes them back into the
/// page the browser is sent back to.
pub async fn keep_form_input(session: Session, request: Request, next: Next) -> Response {
    if is_plain_form_post(&request) {
        return keep_if_refused(session, request, next).await;
    }
    if request.method() == Method::GET {
        let mut request = request;
        // An error in the address came from a link, not from this server: it is dropped.
        if let Some(uri) = without_error(request.uri()) {
            *request.uri_mut() = uri;
        }
        if let Some(kept) = take_error(&session, request.uri().path()).await {
            if let Some(uri) = with_error(request.uri(), &kept) {
                *request.uri_mut() = uri;
                return write_back_into_page(session, kept.path, request, next).await;
            }
        }
        return next.run(request).await;
    }
    next.run(request).await
}

/// The address without Leptos' `__path` and `__err`, or `None` when it has neither.
fn without_error(uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let query = uri.query()?;
    let is_error = |key: &str| key == "__path" || key == "__err";
    if !form_urlencoded::parse(query.as_bytes()).any(|(key, _)| is_error(&key)) {
        return None;
    }
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| !is_error(key))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut rebuilt = uri.path().to_owned();
    if !kept.is_empty() {
        rebuilt.push('?');
        rebuilt.push_str(&form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish());
    }
    rebuilt.parse().ok()
}

/// The address with the kept error added, as Leptos reads it.
fn with_error(uri: &axum::http::Uri, kept: &KeptError) -> Option<axum::http::Uri> {
    let added = form_urlencoded::Serializer::new(String::new())
        .append_pair("__path", &kept.path)
        .append_pair("__err", &kept.error)
        .finish();
    let rebuilt = match uri.query() {
        Some(query) if !query.is_empty() => format!("{}?{query}&{added}", uri.path()),
        _ => format!("{}?{added}", uri.path()),
    };
    rebuilt.parse().ok()
}

/// The error kept for `page`, taken out of the session (once). Any other request (an icon, a
/// script, another page) leaves it, and a session without one is only read: removing marks a
/// session changed, and a session is saved at most once a minute
/// (`security::keep_session_alive`).
async fn take_error(session: &Session, page: &str) -> Option<KeptError> {
    let kept = match session.get::<KeptError>(ERROR_KEY).await {
        Ok(kept) => kept.filter(|kept| kept.page == page)?,
        Err(e) => {
            tracing::warn!(error = %e, "a refused form's error could not be read from the session");
            return None;
        }
    };
    if let Err(e) = session.remove::<KeptError>(ERROR_KEY).await {
        tracing::warn!(error = %e, "a refused form's error could not be removed from the session");
    }
    Some(kept)
}

/// Splits a refusal's redirect: the address without `__path` and `__err` (absolute or not, as
/// given), and the error, for the page it names.
pub fn split_refusal(location: &str) -> Option<(String, KeptError)> {
    let base = url::Url::parse("http://rampart.invalid/").ok()?;
    let mut url = base.join(location).ok()?;
    let (mut path, mut error) = (None, None);
    let mut others = Vec::new();
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "__path" => path = Some(value.into_owned()),
            "__err" => error = Some(value.into_owned()),
            _ => others.push((key.into_owned(), value.into_owned())),
        }
    }
    let kept = KeptError { page: url.path().to_owned(), path: path?, error: error? };
    url.set_query(None);
    if !others.is_empty() {
        url.query_pairs_mut().extend_pairs(others);
    }
    let rebuilt = if location.starts_with('/') {
        let mut local = url.path().to_owned();
        if let Some(query) = url.query() {
            local.push('?');
            local.push_str(query);
        }
        local
    } else {
        url.to_string()
    };
    Some((rebuilt, kept))
}

/// A form the browser posts itself to a server function: URL-encoded, and expecting a page.
fn is_plain_form_post(request: &Request) -> bool {
    let header_has = |name: header::HeaderName, wanted: &str| {
        request.headers().get(name).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(wanted))
    };
    request.method() == Method::POST
        && request.uri().path().starts_with("/api/")
        && header_has(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        && header_has(header::ACCEPT, "text/html")
}

async fn keep_if_refused(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let (parts, body) = request.into_parts();
    // The body limit (security::limit_body) wraps this body: reading past it fails, and that
    // layer turns the 413 into its message.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .filter(|(name, _)| !never_kept(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let refusal = response
        .status()
        .is_redirection()
        .then(|| response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).and_then(split_refusal))
        .flatten();
    let Some((location, error)) = refusal else { return response };
    // The error goes to this browser's session, not into an address anyone could write.
    match (session.insert(ERROR_KEY, error).await, header::HeaderValue::from_str(&location)) {
        (Ok(()), Ok(location)) => {
            response.headers_mut().insert(header::LOCATION, location);
        }
        (stored, _) => {
            tracing::error!(error = ?stored.err(), "a refused form's error could not be kept");
            return error_response(&path, AppError::Internal);
        }
    }
    let size: usize = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
    if size <= MAX_KEPT_BYTES {
        if let Err(e) = session.insert(KEY, KeptInput { path, fields }).await {
            tracing::warn!(error = %e, "the fields of a refused form could not be kept in the session");
        }
    }
    response
}

async fn write_back_into_page(session: Session, path: String, request: Request, next: Next) -> Response {
    let kept = match session.get::<KeptInput>(KEY).await {
        Ok(Some(kept)) => {
            // Once: a later visit of the same address shows the form as stored.
            if let Err(e) = session.remove::<KeptInput>(KEY).await {
                tracing::warn!(error = %e, "kept form fields could not be removed from the session");
            }
            Some(kept).filter(|kept| kept.path == path)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "kept form fields could not be read from the session");
            None
        }
    };
    let response = next.run(request).await;
    let Some(kept) = kept else { return response };
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let page = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(page) => page,
        Err(e) => {
            tracing::error!(error = %e, "a page could not be read to write kept form fields back");
            return error_response(&path, AppError::Internal);
        }
    };
    let page = match std::str::from_utf8(&page).ok().and_then(|html| write_back(html, &kept)) {
        Some(rewritten) => Bytes::from(rewritten),
        None => page,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}

/// The page with the kept fields written into the form they came from; None when no form of
/// the page is theirs (or the page cannot be parsed).
pub fn write_back(html: &str, kept: &KeptInput) -> Option<String> {
    let target = target_form(html, kept)?;
    let mut posted: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, value) in &kept.fields {
        posted.entry(name.as_str()).or_default().push(value.as_str());
    }
    let form_index = Cell::new(usize::MAX);
    let seen = Cell::new(0usize);
    let in_target = || form_index.get() == target;
    // Which value of a repeated name the next field of that name gets.
    let taken: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
    let select_name: RefCell<Option<String>> = RefCell::new(None);
    let next_value = |name: &str| -> Option<String> {
        let values = posted.get(name)?;
        let mut taken = taken.borrow_mut();
        let n = taken.entry(name.to_owned()).or_insert(0);
        let value = values.get(*n).map(|v| v.to_string());
        *n += 1;
        value
    };
    let is_posted = |name: &str, value: &str| posted.get(name).is_some_and(|values| values.contains(&value));
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("form", |_form| {
            form_index.set(seen.get());
            seen.set(seen.get() + 1);
            Ok(())
        }))
        .append_element_content_handler(element!("form input[name]", |input| {
            if !in_target() {
                return Ok(());
            }
            let name = decode(&input.get_attribute("name").unwrap_or_default());
            let kind = input.get_attribute("type").unwrap_or_else(|| "text".into()).to_ascii_lowercase();
            let autocomplete = input.get_attribute("autocomplete").unwrap_or_default();
            if never_kept(&name) || autocomplete.contains("one-time-code") || autocomplete.contains("password") {
                return Ok(());
            }
            match kind.as_str() {
                "hidden" | "password" | "file" | "submit" | "button" | "image" | "reset" => {}
                "checkbox" | "radio" => {
                    let value = input.get_attribute("value").map(|v| decode(&v)).unwrap_or_else(|| "on".into());
                    if is_posted(&name, &value) {
                        input.set_attribute("checked", "")?;
                    } else {
                        input.remove_attribute("checked");
                    }
                }
                _ => {
                    if let Some(value) = next_value(&name) {
                        input.set_attribute("value", &encode_attribute(&value))?;
                    }
                }
            }
            Ok(())
        }))
        .append_element_content_handler(element!("form textarea[name]", |textarea| {
            if !in_target() {
                return Ok(());
            }
            let name = decode(&textarea.get_attribute("name").unwrap_or_default());
            if let Some(value) = next_value(&name) {
                textarea.set_inner_content(&value, ContentType::Text);
            }
            Ok(())
        }))
        .append_element_content_handler(element!("form select", |select| {
            *select_name.borrow_mut() =
                if in_target() { select.get_attribute("name").map(|name| decode(&name)) } else { None };
            Ok(())
        }))
        .append_element_content_handler(element!("form select option[value]", |option| {
            let Some(name) = select_name.borrow().clone() else { return Ok(()) };
            let value = decode(&option.get_attribute("value").unwrap_or_default());
            if is_posted(&name, &value) {
                option.set_attribute("selected", "")?;
            } else {
                option.remove_attribute("selected");
            }
            Ok(())
        }));
    match rewrite_str(html, settings) {
        Ok(rewritten) => Some(rewritten),
        Err(e) => {
            tracing::warn!(error = %e, "kept form fields could not be written back into the page");
            None
        }
    }
}

/// Which form of the page (counted in document order) the fields came from: the first that
/// posts to their server function and whose hidden fields agree with the posted ones.
fn target_form(html: &str, kept: &KeptInput) -> Option<usize> {
    struct Form {
        action: String,
        hidden: Vec<(String, String)>,
    }
    let forms: RefCell<Vec<Form>> = RefCell::new(Vec::new());
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("form", |form| {
            let action = decode(&form.get_attribute("action").unwrap_or_default());
            forms.borrow_mut().push(Form { action, hidden: Vec::new() });
            Ok(())
        }))
        .append_element_content_handler(element!("form input[type=hidden][name]", |input| {
            let name = decode(&input.get_attribute("name").unwrap_or_default());
            let value = decode(&input.get_attribute("value").unwrap_or_default());
            if let Some(form) = forms.borrow_mut().last_mut() {
                form.hidden.push((name, value));
            }
            Ok(())
        }));
    rewrite_str(html, settings).ok()?;
    let forms = forms.into_inner();
    forms.iter().position(|form| {
        form.action == kept.path
            && form.hidden.iter().all(|(name, value)| {
                let mut posted = kept.fields.iter().filter(|(n, _)| n == name).peekable();
                // A hidden field that was not kept (a token) says nothing either way.
                posted.peek().is_none() || posted.any(|(_, v)| v == value)
            })
    })
}

/// An attribute value as the browser reads it: the entities the server's HTML escaping writes.
fn decode(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    raw.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A value for `set_attribute`, which escapes quotes but leaves entities as they are: an
/// ampersand typed by the user must stay an ampersand.
fn encode_attribute(value: &str) -> String {
    value.replace('&', "&amp;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(path: &str, fields: &[(&str, &str)]) -> KeptInput {
        KeptInput { path: path.into(), fields: fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect() }
    }

    #[test]
    fn typed_text_comes_back_into_the_form_that_posted_it_and_no_other() {
        let html = r#"<form action="/api/search"><input name="name" value=""></form>
            <form action="/api/clients/create" method="post"><input name="name" value=""><textarea name="notes"></textarea></form>"#;
        let out =
            write_back(html, &kept("/api/clients/create", &[("name", "Acme & \"Sons\" <Ltd>"), ("notes", "a < b")]))
                .unwrap();
        assert!(out.contains(r#"<form action="/api/search"><input name="name" value="">"#), "{out}");
        assert!(out.contains(r#"value="Acme &amp; &quot;Sons&quot; <Ltd>""#), "{out}");
        assert!(out.contains("<textarea name=\"notes\">a &lt; b</textarea>"), "{out}");
    }

    #[test]
    fn the_row_whose_hidden_fields_were_posted_is_the_one_refilled() {
        let html = r#"<form action="/api/controls/update"><input type="hidden" name="id" value="1"><input name="note" value="one"></form>
            <form action="/api/controls/update"><input type="hidden" name="id" value="2"><input name="note" value="two"></form>"#;
        let out = write_back(html, &kept("/api/controls/update", &[("id", "2"), ("note", "typed")])).unwrap();
        assert!(out.contains(r#"value="1"><input name="note" value="one">"#), "{out}");
        assert!(out.contains(r#"value="2"><input name="note" value="typed">"#), "{out}");
    }

    #[test]
    fn choices_follow_what_was_posted() {
        let html = r#"<form action="/api/x"><select name="status"><option value="met" selected>Met</option><option value="gap">Gap</option></select>
            <input type="checkbox" name="mfa" value="yes" checked><input type="checkbox" name="tags" value="a"><input type="checkbox" name="tags" value="b"></form>"#;
        let out = write_back(html, &kept("/api/x", &[("status", "gap"), ("tags", "b")])).unwrap();
        assert!(out.contains(r#"<option value="met">Met</option><option value="gap" selected="">"#), "{out}");
        assert!(out.contains(r#"<input type="checkbox" name="mfa" value="yes">"#), "{out}");
        assert!(
            out.contains(r#"name="tags" value="a"><input type="checkbox" name="tags" value="b" checked="">"#),
            "{out}"
        );
    }

    #[test]
    fn passwords_and_one_time_codes_are_never_filled_nor_kept() {
        let html = r#"<form action="/api/login"><input name="email"><input type="password" name="password"><input name="code" autocomplete="one-time-code"></form>"#;
        let out = write_back(html, &kept("/api/login", &[("email", "a@b.example"), ("code", "123456")])).unwrap();
        assert!(out.contains(r#"<input name="email" value="a@b.example">"#), "{out}");
        assert!(out.contains(r#"<input type="password" name="password">"#), "{out}");
        assert!(out.contains(r#"<input name="code" autocomplete="one-time-code">"#), "{out}");
        assert!(
            never_kept("password") && never_kept("new_password") && never_kept("client_secret") && never_kept("token")
        );
        assert!(!never_kept("email") && !never_kept("code"));
    }

    #[test]
    fn a_page_without_the_form_is_left_alone() {
        let html = r#"<form action="/api/other"><input name="name"></form>"#;
        assert_eq!(write_back(html, &kept("/api/clients/create", &[("name", "x")])), None);
    }

    #[test]
    fn a_refusal_is_split_from_its_redirect_and_written_back_for_its_page_only() {
        let (location, kept) =
            split_refusal("http://127.0.0.1:3000/clients?page=2&__path=%2Fapi%2Fx&__err=abc").unwrap();
        assert_eq!(location, "http://127.0.0.1:3000/clients?page=2");
        assert_eq!(kept, KeptError { page: "/clients".into(), path: "/api/x".into(), error: "abc".into() });
        let (location, _) = split_refusal("/login?__path=%2Fapi%2Fauth%2Fsign_in&__err=e").unwrap();
        assert_eq!(location, "/login");
        assert_eq!(split_refusal("/clients?page=2"), None, "no error, nothing to keep");

        let uri: axum::http::Uri =
            "/login?next=%2Fclients&__err=forged&__path=%2Fapi%2Fauth%2Fsign_in".parse().unwrap();
        assert_eq!(without_error(&uri).unwrap(), "/login?next=%2Fclients");
        assert_eq!(without_error(&"/login?next=%2Fclients".parse().unwrap()), None);
        let back = with_error(&"/login?next=%2Fclients".parse().unwrap(), &kept).unwrap();
        assert_eq!(back, "/login?next=%2Fclients&__path=%2Fapi%2Fx&__err=abc");
    }
}
