//! Charts as SVG images, drawn on the server: a client's score charts and the portfolio
//! heatmap. Plain axum handlers: they take the signed-in actor ([`SignedIn`]) and call one
//! domain service, which authorizes. A
//! client the actor may not see answers exactly as one that does not exist.

use crate::security::error_response;
use crate::signed_in::SignedIn;
use crate::state::ServerState;
use app::error::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::scoring::{self, ChartKind};
use std::hash::{Hash, Hasher};

pub const HEATMAP_PATH: &str = "/charts/portfolio/heatmap.svg";

/// Each client chart's address.
pub const CLIENT_CHARTS: [(&str, ChartKind); 5] = [
    ("/charts/clients/{slug}/trend.svg", ChartKind::Trend),
    ("/charts/clients/{slug}/categories.svg", ChartKind::Categories),
    ("/charts/clients/{slug}/contributors.svg", ChartKind::Contributors),
    ("/charts/clients/{slug}/access.svg", ChartKind::Access),
    ("/charts/clients/{slug}/reviews.svg", ChartKind::Reviews),
];

/// Every chart address (the authorization matrix has a row for each).
pub fn paths() -> Vec<&'static str> {
    let mut paths: Vec<&'static str> = CLIENT_CHARTS.iter().map(|(path, _)| *path).collect();
    paths.push(HEATMAP_PATH);
    paths
}

/// The chart routes, to be merged into the application's router.
pub fn router() -> Router<ServerState> {
    let mut router = Router::new().route(HEATMAP_PATH, get(heatmap));
    for (path, kind) in CLIENT_CHARTS {
        router = router.route(
            path,
            get(
                move |State(state): State<ServerState>,
                      SignedIn(actor): SignedIn,
                      Path(slug): Path<String>,
                      headers: HeaderMap| async move {
                    client_chart(state, actor, slug, kind, headers).await
                },
            ),
        );
    }
    router
}

async fn client_chart(
    state: ServerState,
    actor: domain::Actor,
    slug: String,
    kind: ChartKind,
    headers: HeaderMap,
) -> Response {
    let path = format!("/charts/clients/{slug}/{}.svg", kind.slug());
    let db = &state.app.db;
    // Drawn once per change of data (and minute), then kept (see `scoring::client_chart_svg`).
    let svg = scoring::client_chart_svg(db, &actor, &slug, kind, domain::clock::now()).await;
    respond(&path, svg.map(|svg| svg.as_str().to_owned()), &headers)
}

async fn heatmap(State(state): State<ServerState>, SignedIn(actor): SignedIn, headers: HeaderMap) -> Response {
    let db = &state.app.db;
    let chart = scoring::get_portfolio_heatmap(db, &actor, domain::clock::now()).await;
    respond(HEATMAP_PATH, chart.and_then(|c| c.svg()), &headers)
}

/// The chart as `image/svg+xml`, private to the user, revalidated on every use (an ETag makes
/// an unchanged chart a 304); or the error as the rest of the site answers it.
fn respond(path: &str, svg: domain::error::Result<String>, headers: &HeaderMap) -> Response {
    let svg = match svg {
        Ok(svg) => svg,
        Err(error) => return error_response(path, AppError::from(error)),
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    svg.hash(&mut hasher);
    let etag = format!("\"{:016x}\"", hasher.finish());
    let etag = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        return (StatusCode::NOT_MODIFIED, [cache, (header::ETAG, etag)]).into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
            cache,
            (header::ETAG, etag),
            // Opened on its own, the image may run nothing and load nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
        ],
        svg,
    )
        .into_response()
}
