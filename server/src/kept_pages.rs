//! The portfolio page kept as rendered, per session and moment.
//!
//! The portfolio is the page a manager opens all day, and rendering it (the key figures, the
//! top of the ranking, the heatmap, the governance debt) costs far more than reading its data,
//! which is kept per client ([`domain::scoring::live`]). So a server keeps the page it rendered
//! for a session, under the reader as the domain reads them (the acting user with their role,
//! scope and what their session proved) and the portfolio's moment
//! ([`domain::portfolio::Moment`]: the kept scores' version and generation, and the minute), and
//! answers the same session's next request for it from there while both are unchanged. A
//! change of any client's score, a change reaching every client, a change of the reader (role,
//! name, clients, two-factor sign-in) and the next minute each make the next request render
//! afresh. Readers limited to some clients are always rendered (`moment` is `None`).
//!
//! What a render writes into the page for one request only is never kept: the nonce of its
//! inline scripts (the page is kept cut around it, and each answer carries its own request's
//! nonce, as its Content-Security-Policy says); a message shown once (a request whose session
//! holds one is rendered, and not kept); an address with a query (a refused form's error comes
//! back that way). Only 200 answers are kept. While a session's page is rendered, the other
//! requests of that session for it wait for the page rather than render it too.
//!
//! A page already kept is answered before the session is loaded and the checks run
//! ([`serve_at_once`], outside the session's layer): one statement reads the session (current as
//! its store would load it), its user and the moment; the page is answered when the session holds
//! nothing but its user, its last confirmation and this minute's mark of activity (anything else,
//! a message or a form's refused input, is for the full path), the user is active and needs no
//! two-factor set-up first, and the reader and moment are those of the kept page. Anything else
//! goes the full path, which renders or answers from the page as below.
//!
//! Each answer says how it was made in `Server-Timing` (`page;desc="kept at once"`,
//! `page;desc="kept"` or `page;desc="rendered";dur=…`), for operators and the benchmark.

use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use domain::db::DbSessionStore;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tower_sessions::session::Id;
use tower_sessions::Session;

/// The pages kept: the portfolio.
pub const KEPT_PATHS: [&str; 1] = ["/"];

/// How many pages a server keeps (one per session and path; the least recently used go first).
const CAPACITY: usize = 64;

/// The name of the header that says whether an answer was kept or rendered.
pub const TIMING_HEADER: &str = "server-timing";

/// The session keys a page answered at once may find in its session: its user, their last
/// confirmation, and the minute's mark of activity (`security::keep_session_alive`).
const AT_ONCE_KEYS: [&str; 3] = [app::auth::USER_ID_KEY, app::auth::STEP_UP_KEY, crate::security::SEEN_KEY];

/// The pages of one server (cheap to clone: shared).
#[derive(Clone)]
pub struct KeptPages {
    state: Arc<AppState>,
    /// The sessions' store, for what a session must be to load.
    sessions: DbSessionStore,
    slots: Arc<Mutex<Vec<Arc<Slot>>>>,
    uses: Arc<AtomicU64>,
}

/// One session's page at one path.
struct Slot {
    session: String,
    path: &'static str,
    page: tokio::sync::Mutex<Option<Kept>>,
    /// When it was last asked for (a counter of the server's uses).
    used: AtomicU64,
}

/// A rendered page.
struct Kept {
    /// The acting user as the domain read them.
    reader: String,
    moment: domain::portfolio::Moment,
    headers: HeaderMap,
    /// The page cut where the render's nonce stood.
    parts: Vec<Bytes>,
}

impl Kept {
    /// The page with `nonce` where the render's stood.
    fn answer(&self, nonce: &str, how: &'static str) -> Response {
        let size = self.parts.iter().map(Bytes::len).sum::<usize>() + nonce.len() * self.parts.len();
        let mut body = Vec::with_capacity(size);
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(part);
        }
        let mut response = Response::new(Body::from(body));
        *response.headers_mut() = self.headers.clone();
        response.headers_mut().insert(TIMING_HEADER, HeaderValue::from_static(how));
        response
    }
}

impl KeptPages {
    pub fn new(state: AppState, sessions: DbSessionStore) -> KeptPages {
        KeptPages {
            state: Arc::new(state),
            sessions,
            slots: Arc::new(Mutex::new(Vec::new())),
            uses: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The slot of `session` at `path` if there is one.
    fn existing_slot(&self, session: &str, path: &'static str) -> Option<Arc<Slot>> {
        let now = self.uses.fetch_add(1, Ordering::Relaxed);
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = slots.iter().find(|s| s.session == session && s.path == path)?;
        slot.used.store(now, Ordering::Relaxed);
        Some(slot.clone())
    }

    /// The kept page for `request` if it may be answered before its session is loaded (see
    /// the module); `None` sends it the full path.
    async fn at_once(&self, asked: Option<AskedAtOnce>) -> Option<Response> {
        let AskedAtOnce { path, nonce, session_id } = asked?;
        let slot = self.existing_slot(&session_id, path)?;
        let now = domain::clock::now();
        let window = self.sessions.current_window();
        let read = domain::portfolio::session_reader_and_moment(&self.state.db, &session_id, window, now).await;
        let (data, actor, moment) = read.ok()??;
        let moment = moment?;
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&data).ok()?;
        if data.keys().any(|key| !AT_ONCE_KEYS.contains(&key.as_str())) {
            return None;
        }
        let user_id = data.get(app::auth::USER_ID_KEY).and_then(serde_json::Value::as_i64)?;
        let minute = now.timestamp().div_euclid(60);
        let seen = data.get(crate::security::SEEN_KEY).and_then(serde_json::Value::as_i64);
        if actor.user_id != Some(user_id) || seen != Some(minute) {
            return None;
        }
        let confirmed_at = data.get(app::auth::STEP_UP_KEY).and_then(serde_json::Value::as_i64);
        let actor = app::auth::in_session(&self.state, actor, confirmed_at);
        if actor.must_set_up_two_factor() {
            return None;
        }
        let reader = format!("{actor:?}");
        let page = slot.page.lock().await;
        page.as_ref().filter(|p| p.reader == reader && p.moment == moment).map(|p| p.answer(&nonce, AT_ONCE))
    }

    /// The slot of `session` at `path`, made (and the least recently used let go) when new.
    fn slot(&self, session: &str, path: &'static str) -> Arc<Slot> {
        let now = self.uses.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.iter().find(|s| s.session == session && s.path == path) {
            slot.used.store(now, Ordering::Relaxed);
            return slot.clone();
        }
        if slots.len() >= CAPACITY {
            if let Some(oldest) =
                slots.iter().enumerate().min_by_key(|(_, s)| s.used.load(Ordering::Relaxed)).map(|(i, _)| i)
            {
                slots.swap_remove(oldest);
            }
        }
        let slot = Arc::new(Slot {
            session: session.to_owned(),
            path,
            page: tokio::sync::Mutex::new(None),
            used: AtomicU64::new(now),
        });
        slots.push(slot.clone());
        slot
    }
}

/// What a request that may be answered at once asks for.
struct AskedAtOnce {
    path: &'static str,
    nonce: String,
    session_id: String,
}

impl AskedAtOnce {
    /// A plain load of a kept page with one session cookie.
    fn of(request: &Request) -> Option<AskedAtOnce> {
        let path = KEPT_PATHS.iter().copied().find(|p| *p == request.uri().path())?;
        if request.method() != Method::GET || request.uri().query().is_some() {
            return None;
        }
        let nonce = request.extensions().get::<leptos::nonce::Nonce>()?.to_string();
        let session_id = session_cookie(request.headers())?;
        Some(AskedAtOnce { path, nonce, session_id })
    }
}

/// The session id a request's cookie names, when it names exactly one (two cookies of that
/// name go the full path, whichever the session's layer would take).
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let mut found = None;
    for value in headers.get_all(header::COOKIE) {
        for pair in value.to_str().ok()?.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            if name == crate::startup::SESSION_COOKIE {
                if found.is_some() {
                    return None;
                }
                found = Some(value.parse::<Id>().ok()?.to_string());
            }
        }
    }
    found
}

const AT_ONCE: &str = "page;desc=\"kept at once\"";
const KEPT: &str = "page;desc=\"kept\"";

/// Answers a kept page's request before the session is loaded when it may (see the module);
/// sends it on otherwise. Outside the session's layer, inside the headers' (for the nonce).
pub async fn serve_at_once(State(kept): State<KeptPages>, request: Request, next: Next) -> Response {
    match kept.at_once(AskedAtOnce::of(&request)).await {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// Answers a kept page's request from the page kept for its session when the reader and the
/// moment are the same, and keeps what it renders otherwise (see the module).
pub async fn serve(State(kept): State<KeptPages>, session: Session, request: Request, next: Next) -> Response {
    let Some(path) = KEPT_PATHS.iter().copied().find(|p| *p == request.uri().path()) else {
        return next.run(request).await;
    };
    if request.method() != Method::GET || request.uri().query().is_some() {
        return next.run(request).await;
    }
    let Some(session_id) = session.id().map(|id| id.to_string()) else { return next.run(request).await };
    let Some(nonce) = request.extensions().get::<leptos::nonce::Nonce>().map(|n| n.to_string()) else {
        return next.run(request).await;
    };
    // A message to show once is rendered into this page only.
    if !matches!(session.get::<serde_json::Value>(app::flash::KEY).await, Ok(None)) {
        return next.run(request).await;
    }
    // The reader and the moment of their portfolio, in one statement.
    let Ok(Some((actor, Some(moment)))) =
        app::auth::reader_of_session(&kept.state, &session, domain::clock::now()).await
    else {
        return next.run(request).await;
    };
    let reader = format!("{actor:?}");
    let slot = kept.slot(&session_id, path);
    let mut page = slot.page.lock().await;
    if let Some(page) = page.as_ref().filter(|p| p.reader == reader && p.moment == moment) {
        return page.answer(&nonce, KEPT);
    }
    let started = Instant::now();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(error = %error, path, "a page could not be read to keep it");
            *page = None;
            return crate::security::error_response(path, app::error::AppError::Internal);
        }
    };
    let timing = format!("page;desc=\"rendered\";dur={:.1}", started.elapsed().as_secs_f64() * 1000.0);
    // Nothing of this answer alone: its cookies; its length (the next nonce is written anew).
    parts.headers.remove(header::SET_COOKIE);
    parts.headers.remove(header::CONTENT_LENGTH);
    *page = match std::str::from_utf8(&bytes) {
        Ok(text) => Some(Kept {
            reader,
            moment,
            headers: parts.headers.clone(),
            parts: text.split(nonce.as_str()).map(|part| bytes.slice_ref(part.as_bytes())).collect(),
        }),
        Err(_) => None,
    };
    if let Ok(value) = HeaderValue::from_str(&timing) {
        parts.headers.insert(TIMING_HEADER, value);
    }
    Response::from_parts(parts, Body::from(bytes))
}
