//! Forms keep what was typed when the server refuses it.
//!
//! The pages are rendered on the server (only islands run in the browser), so a form is posted
//! by the browser itself. When the server function refuses it, Leptos redirects back to the
//! form's page with the error in the address (`__path` names the function, `__err` carries the
//! error), and the page shows the error beside a form rendered afresh: empty, or with the stored
//! values. So the fields of a refused post are kept in the session, and the page it comes back
//! to gets them written back into that form, once.
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
        if let Some(path) = refused_path(request.uri().query()) {
            return write_back_into_page(session, path, request, next).await;
        }
    }
    next.run(request).await
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

/// The server function a page's address says was refused (Leptos' `__path` beside `__err`).
fn refused_path(query: Option<&str>) -> Option<String> {
    let pairs = form_urlencoded::parse(query?.as_bytes());
    let mut path = None;
    let mut refused = false;
    for (key, value) in pairs {
        match key.as_ref() {
            "__path" => path = Some(value.into_owned()),
            "__err" => refused = true,
            _ => {}
        }
    }
    path.filter(|_| refused)
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
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let refused = response.status().is_redirection()
        && response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|location| location.contains("__err="));
    let size: usize = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
    if refused && size <= MAX_KEPT_BYTES {
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
    fn the_refused_function_is_read_from_the_address_only_beside_an_error() {
        assert_eq!(refused_path(Some("page=2&__path=%2Fapi%2Fx&__err=abc")), Some("/api/x".into()));
        assert_eq!(refused_path(Some("__path=%2Fapi%2Fx")), None);
        assert_eq!(refused_path(None), None);
    }
}
