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

/// Which `Host` a request may name.
#[derive(Clone, Debug)]
pub struct HostPolicy {
    /// The public address's host and port ("rampart.example.com"), when one is configured.
    pub public_host: Option<String>,
}

impl HostPolicy {
    pub fn of_public_url(public_url: Option<&str>) -> HostPolicy {
        let public_host = public_url
            .and_then(|u| u.split_once("://"))
            .map(|(_, rest)| rest.split('/').next().unwrap_or("").to_ascii_lowercase())
            .filter(|h| !h.is_empty());
        HostPolicy { public_host }
    }

    /// Whether a request may name `host` ("name:port"): the public address's host, an address
    /// written as a number, or localhost. A name anyone else controls can be made to point at
    /// this server (DNS rebinding) and so is refused: the page it serves would be read by that
    /// name's site as its own.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        if self.public_host.as_deref() == Some(host.as_str()) {
            return true;
        }
        // Without the port ("[::1]:3000" → "[::1]", "127.0.0.1:3000" → "127.0.0.1").
        let name = match host.rsplit_once(':') {
            Some((name, port))
                if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') =>
            {
                name
            }
            _ => host.as_str(),
        };
        if let Some(public) = &self.public_host {
            if public.as_str() == name {
                return true;
            }
        }
        let literal = name.trim_start_matches('[').trim_end_matches(']');
        name == "localhost" || literal.parse::<std::net::IpAddr>().is_ok()
    }
}

/// Refuses a request whose `Host` this server does not answer to (see [`HostPolicy::allows`]).
pub async fn known_host(State(policy): State<HostPolicy>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !policy.allows(host) {
        tracing::warn!(host, path = %request.uri().path(), "refused a request for an unknown host");
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "This server does not answer to that address. Its administrator sets the address users reach it at \
             in RAMPART_PUBLIC_URL.",
        )
            .into_response();
    }
    next.run(request).await
}

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
        || path == "/login/code"
        || path.starts_with("/invite/")
        || path.starts_with("/auth/sso/")
        || path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/readyz"
        || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

/// The session key holding the minute a signed-in session was last marked as seen.
pub const SEEN_KEY: &str = "seen_minute";

/// Slides a signed-in session's idle deadline (`RAMPART_SESSION_IDLE_MINUTES`). tower-sessions
/// saves a session, and sends its cookie again with a fresh lifetime, only when it changed; so a
/// signed-in session is marked as seen once a minute, which renews both. Marking it on every
/// request would write the session row on every request; never marking it would end an active
/// session at the idle limit counted from sign-in.
pub async fn keep_session_alive(session: Session, request: Request, next: Next) -> Response {
    let signed_in = matches!(session.get::<i64>(domain::db::SESSION_USER_KEY).await, Ok(Some(_)));
    if signed_in {
        let minute = domain::clock::now().timestamp().div_euclid(60);
        if !matches!(session.get::<i64>(SEEN_KEY).await, Ok(Some(seen)) if seen == minute) {
            if let Err(e) = session.insert(SEEN_KEY, minute).await {
                tracing::warn!(error = %e, "the session could not be marked as seen");
            }
        }
    }
    next.run(request).await
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

/// Who must set up two-factor sign-in.
#[derive(Clone, Debug)]
pub struct MfaPolicy {
    pub roles: Vec<domain::Role>,
    /// Roles that must use a passkey (an app is not enough).
    pub passkey_roles: Vec<domain::Role>,
    pub db: domain::Db,
}

/// Sends a signed-in user whose role requires two-factor sign-in, and who has not set it up,
/// to /account for every page until they do (the pages are for people; server functions answer
/// as usual).
pub async fn enrol_first(State(policy): State<MfaPolicy>, session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // /account/confirm too: setting it up may ask for the password again first.
    let setting_up = path == "/account" || path == "/account/confirm";
    if (policy.roles.is_empty() && policy.passkey_roles.is_empty())
        || request.method() != Method::GET
        || is_public(path)
        || setting_up
    {
        return next.run(request).await;
    }
    let Ok(Some(user_id)) = session.get::<i64>(app::auth::USER_ID_KEY).await else { return next.run(request).await };
    // The domain's rule, with what the user read holds (whether two-factor sign-in is set up).
    let must = match domain::identity::actor_for_user(&policy.db, user_id).await {
        Ok(Some(actor)) => {
            actor.in_session(None, &policy.roles).requiring_passkey(&policy.passkey_roles).must_set_up_two_factor()
        }
        _ => false,
    };
    if must {
        return Redirect::to("/account").into_response();
    }
    next.run(request).await
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

/// Puts the client's address in the request's extensions (for throttling sign-in): the last
/// entry of the configured header a reverse proxy sets, else the connection's peer address.
pub async fn client_address(
    State(header_name): State<Option<http::HeaderName>>,
    mut request: Request,
    next: Next,
) -> Response {
    let from_proxy = header_name.as_ref().and_then(|name| {
        let value = request.headers().get_all(name).iter().next_back()?.to_str().ok()?;
        let last = value.rsplit(',').next()?.trim();
        (!last.is_empty()).then(|| last.to_owned())
    });
    let peer = || {
        request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string())
    };
    if let Some(address) = from_proxy.or_else(peer) {
        request.extensions_mut().insert(app::auth::ClientAddress(address));
    }
    next.run(request).await
}

/// What the security headers depend on: HSTS is sent only when Rampart is served over https.
#[derive(Clone, Debug)]
pub struct HeaderPolicy {
    pub https: bool,
}

/// HSTS: a year, subdomains included (sent only over https).
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The Content-Security-Policy of an answer whose inline scripts carry `nonce`: scripts only
/// from this site or with the nonce (Leptos' hydration scripts), wasm compiled by the browser
/// ('wasm-unsafe-eval' allows that and nothing else), everything else from this site only, and
/// never inside a frame.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Headers every answer carries. Each request gets a fresh nonce, put in the request's
/// extensions for the page render (see `startup::build_router`, which hands it to Leptos) and
/// named in the Content-Security-Policy; an answer that sets its own policy (charts) keeps it.
pub async fn security_headers(State(policy): State<HeaderPolicy>, mut request: Request<Body>, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new();
    let csp = content_security_policy(&nonce);
    request.extensions_mut().insert(nonce);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if policy.https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_files_and_sign_in_are_public_pages_are_not() {
        for path in [
            "/login",
            "/login/code",
            "/api/auth/sign_in",
            "/pkg/rampart.js",
            "/favicon.svg",
            "/healthz",
            "/invite/ab12",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in ["/", "/clients", "/clients/acme", "/clients/acme/edit"] {
            assert!(!is_public(path), "{path}");
        }
    }

    async fn headers_of(https: bool) -> axum::http::HeaderMap {
        let router = axum::Router::new()
            .route("/", axum::routing::get(|| async { "page" }))
            .layer(axum::middleware::from_fn_with_state(HeaderPolicy { https }, security_headers));
        let request = Request::builder().uri("/").body(Body::empty()).expect("a request");
        router.oneshot(request).await.expect("an answer").headers().clone()
    }

    #[tokio::test]
    async fn hsts_is_sent_exactly_when_served_over_https() {
        let over_https = headers_of(true).await;
        assert_eq!(over_https[header::STRICT_TRANSPORT_SECURITY], HSTS);
        assert!(headers_of(false).await.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        assert_eq!(over_https["x-content-type-options"], "nosniff");
        assert!(over_https[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    }

    #[tokio::test]
    async fn an_answer_with_its_own_policy_keeps_it() {
        let router = axum::Router::new()
            .route(
                "/chart.svg",
                axum::routing::get(|| async { ([(header::CONTENT_SECURITY_POLICY, "default-src 'none'")], "<svg/>") }),
            )
            .layer(axum::middleware::from_fn_with_state(HeaderPolicy { https: false }, security_headers));
        let request = Request::builder().uri("/chart.svg").body(Body::empty()).expect("a request");
        let answer = router.oneshot(request).await.expect("an answer");
        assert_eq!(answer.headers()[header::CONTENT_SECURITY_POLICY], "default-src 'none'");
    }

    async fn address_seen(header_name: Option<&'static str>, forwarded: Option<&str>) -> Option<String> {
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|request: Request| async move {
                    request.extensions().get::<app::auth::ClientAddress>().map(|a| a.0.clone()).unwrap_or_default()
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                header_name.map(http::HeaderName::from_static),
                client_address,
            ));
        let mut request = Request::builder().uri("/");
        if let Some(value) = forwarded {
            request = request.header("x-forwarded-for", value);
        }
        let mut request = request.body(Body::empty()).expect("a request");
        request.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 1], 5000))));
        let answer = router.oneshot(request).await.expect("an answer");
        let body = axum::body::to_bytes(answer.into_body(), 1024).await.expect("a body");
        Some(String::from_utf8(body.to_vec()).expect("text")).filter(|s| !s.is_empty())
    }

    #[tokio::test]
    async fn the_client_address_is_the_peer_unless_a_proxy_header_is_configured() {
        assert_eq!(address_seen(None, Some("203.0.113.5")).await.as_deref(), Some("192.0.2.1"), "header not trusted");
        let proxied = address_seen(Some("x-forwarded-for"), Some("10.1.1.1, 203.0.113.5")).await;
        assert_eq!(proxied.as_deref(), Some("203.0.113.5"), "the entry the proxy added");
        assert_eq!(address_seen(Some("x-forwarded-for"), None).await.as_deref(), Some("192.0.2.1"));
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(encode("/clients?q=a b&tier=x"), "/clients%3Fq%3Da%20b%26tier%3Dx");
    }
}

#[cfg(test)]
mod host_tests {
    use super::HostPolicy;

    #[test]
    fn a_request_may_name_the_public_host_a_numeric_address_or_localhost_only() {
        let none = HostPolicy::of_public_url(None);
        for allowed in ["127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000", "10.0.0.7:8080", "[2001:db8::1]"]
        {
            assert!(none.allows(allowed), "{allowed}");
        }
        for refused in
            ["evil.example", "evil.example:3000", "rebind.127.0.0.1.nip.io:3000", "", "localhost.evil.example"]
        {
            assert!(!none.allows(refused), "{refused}");
        }
        let public = HostPolicy::of_public_url(Some("https://Rampart.Example.com"));
        assert!(public.allows("rampart.example.com") && public.allows("rampart.example.com:443"));
        assert!(!public.allows("other.example.com"));
        let with_port = HostPolicy::of_public_url(Some("http://rampart.lan:8080"));
        assert!(with_port.allows("rampart.lan:8080") && !with_port.allows("rampart.lan:9090"));
    }
}
