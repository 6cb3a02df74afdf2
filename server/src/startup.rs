//! Builds the HTTP application and runs it.

use crate::config::Config;
use crate::export;
use crate::security::{self, HeaderPolicy, MfaPolicy, OriginPolicy};
use app::state::AppState;
use app::{shell, App};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use domain::db::DbSessionStore;
use domain::Db;
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use crate::security::{MAX_BODY_BYTES, MAX_IMPORT_BODY_BYTES};
/// A request that takes longer is answered 408 rather than left hanging.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const SESSION_COOKIE: &str = "rampart_session";

pub use crate::state::ServerState;

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("rampart")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// The application's page routes, generated once per process.
///
/// Generating them renders the app with every resource's loading suppressed by a flag that is
/// global to the process (leptos_server's `SuppressResourceLoad`): a resource first polled by
/// another request while that flag is up waits forever, and its page never finishes (leptos
/// issue #4773). One generation, before any router exists, leaves no render to overlap it;
/// tests that start many servers in one process, or list the routes, go through here too.
pub fn route_list() -> &'static [AxumRouteListing] {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App))
}

/// The whole application for one database.
pub fn build_router(config: &Config, db: Db) -> Router {
    domain::identity::sso::oidc::allow_loopback(config.sso_allow_loopback);
    let leptos_options = leptos_options(config);
    let state = ServerState::new(crate::state::Parts {
        leptos_options,
        app: AppState {
            db: db.clone(),
            two_factor_roles: config.mfa_required_roles.clone(),
            passkey_roles: config.passkey_required_roles.clone(),
            passkeys: domain::identity::passkeys::RelyingParty::for_public_url(&config.public_base()),
            public_url: config.public_base(),
        },
        branding: config.branding.clone(),
    });
    let app_state = state.app.clone();
    let kept_state = state.app.clone();
    // The same context for page renders and for server-function calls, and the request's
    // nonce (from security::security_headers) for Leptos' inline scripts, so that they match
    // the Content-Security-Policy header, and what a request reads once for all its server
    // functions (app::state::RequestKept: the acting user, clients, service levels, a score).
    let context = move || {
        provide_context(app_state.clone());
        provide_context(app::auth::RequestActor::default());
        provide_context(app::clients::api::RequestClients::default());
        provide_context(app::access::api::RequestSlaPolicy::default());
        provide_context(app::score::api::RequestScore::default());
        let nonce = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<leptos::nonce::Nonce>().cloned());
        if let Some(nonce) = nonce {
            provide_context(nonce);
        }
    };
    let routes = route_list().to_vec();

    let store = DbSessionStore::new(db.clone()).with_max_lifetime(time::Duration::hours(config.session_max_hours));
    let kept_pages = crate::kept_pages::KeptPages::new(kept_state, store.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(config.session_idle_minutes)));
    let origin_policy = OriginPolicy { public_origin: config.public_url.clone() };
    let header_policy = HeaderPolicy { https: config.secure_cookies() };

    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(crate::charts::router())
        .merge(crate::sso::router(config))
        .route(export::REGISTER_PATH, get(export::register_csv))
        .route(export::IMPORT_EXAMPLE_PATH, get(export::import_example))
        .route(export::AUDIT_PATH, get(export::audit_csv))
        .route(crate::calendar::FEED_PATH, get(crate::calendar::feed))
        .route(crate::pack::PACK_PATH, get(crate::pack::pack_page))
        .route(crate::pack::PDF_PATH, get(crate::pack::pack_pdf_file))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<ServerState, _>(context, shell))
        .with_state(state)
        // Layers run from the bottom up: limits first, then a page kept answered at once, then
        // the session, then the checks, then the pages kept as rendered (after every check,
        // right before the render).
        .layer(axum::middleware::from_fn_with_state(kept_pages.clone(), crate::kept_pages::serve))
        .layer(axum::middleware::from_fn_with_state(
            MfaPolicy {
                roles: config.mfa_required_roles.clone(),
                passkey_roles: config.passkey_required_roles.clone(),
                db: db.clone(),
            },
            security::enrol_first,
        ))
        .layer(axum::middleware::from_fn(security::sign_in_first))
        .layer(axum::middleware::from_fn_with_state(origin_policy, security::refuse_cross_site))
        .layer(axum::middleware::from_fn(security::keep_session_alive))
        .layer(axum::middleware::from_fn(crate::kept_input::keep_form_input))
        .layer(sessions)
        // A page already kept may be answered before the session is loaded (one statement).
        .layer(axum::middleware::from_fn_with_state(kept_pages, crate::kept_pages::serve_at_once))
        .layer(axum::middleware::from_fn_with_state(config.client_ip_header.clone(), security::client_address))
        // Inside the headers' layer, so that a refused host's answer carries them too.
        .layer(axum::middleware::from_fn_with_state(
            security::HostPolicy::of_public_url(config.public_url.as_deref()),
            security::known_host,
        ))
        .layer(axum::middleware::from_fn_with_state(header_policy, security::security_headers))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(security::limit_body))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
}

/// Each request's span: its method and its route's pattern (`/calendar/{file}`), never the
/// address as sent, whose path may carry a secret (an invitation's token, a calendar feed's)
/// and whose query a search. A server function's address names the function and nothing else.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), route = %route_of(request))
}

fn route_of<B>(request: &axum::http::Request<B>) -> String {
    let path = request.uri().path();
    if path.starts_with("/api/") {
        return path.to_owned();
    }
    match request.extensions().get::<axum::extract::MatchedPath>() {
        Some(route) => route.as_str().to_owned(),
        None => "(no route)".to_owned(),
    }
}

async fn readyz(State(state): State<ServerState>) -> (StatusCode, &'static str) {
    match state.app.db.schema_is_current().await {
        Ok(true) => (StatusCode::OK, "ready"),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "database migrations not applied"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable")
        }
    }
}

/// Removes expired sessions now and then. Harmless when several servers do it at once.
pub fn spawn_session_cleanup(db: Db) {
    tokio::spawn(async move {
        let store = DbSessionStore::new(db);
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired sessions could not be removed");
            }
        }
    });
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config, db: Db) -> std::io::Result<()> {
    let forwarding = crate::forwarding::start(&db, &config.audit_forwarding).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "Rampart is listening");
    spawn_session_cleanup(db.clone());
    crate::jobs::spawn_daily_jobs(db.clone());
    crate::jobs::spawn_score_sweep(db.clone());
    let router = build_router(&config, db.clone());
    // The peer address is kept for throttling sign-in per client address.
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    forwarding.stop().await;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn a_span_names_a_server_function_but_never_an_address_that_may_hold_a_secret() {
        let request = |uri: &str| axum::http::Request::get(uri).body(()).expect("a request");
        assert_eq!(route_of(&request("/api/clients/create")), "/api/clients/create");
        // Without its route's pattern (the router sets it), an address is not written at all.
        assert_eq!(route_of(&request("/invite/0123456789abcdef?next=/x")), "(no route)");
    }
}
