//! The risk score over HTTP: the charts as images (type, caching, escaping, well-formed XML),
//! the client page's score section, and the portfolio's heatmap of what one may see.

use crate::support::{on_each_backend, TestApp};

const HOSTILE: &str = "<script>alert(1)</script> & Sons";

async fn set_up(app: &TestApp) {
    app.add_client(HOSTILE, "hostile").await;
    app.add_client("Other Client Ltd", "other").await;
    app.add_user("manager@example.test", "manager", &[]).await;
    app.add_user("tech@example.test", "technician", &["hostile"]).await;
    app.add_user("viewer@example.test", "client_viewer", &["hostile"]).await;
    // Yesterday's and today's snapshots, so that the trend has a line.
    let now = chrono::Utc::now();
    domain::scoring::take_daily_snapshots(&app.db, now - chrono::Duration::days(1), "test").await.unwrap();
    domain::scoring::take_daily_snapshots(&app.db, now, "test").await.unwrap();
}

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML: {e}\n{svg}"))
}

#[tokio::test]
async fn charts_are_private_svg_images_with_escaped_names() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let manager = app.signed_in("manager@example.test").await;
        for (path, _) in rampart_server::charts::CLIENT_CHARTS {
            let url = app.url(&path.replace("{slug}", "hostile"));
            let response = manager.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
            assert_eq!(header("content-type"), "image/svg+xml", "{path}");
            assert!(header("cache-control").starts_with("private"), "{path}");
            let etag = header("etag");
            let body = response.text().await.unwrap();
            assert!(!body.contains("<script"), "{path}: {body}");
            let doc = parse(&body);
            let title = doc.root_element().children().find(|n| n.has_tag_name("title")).and_then(|n| n.text());
            assert!(title.is_some_and(|t| !t.is_empty()), "{path} has a title");
            let desc = doc.root_element().children().find(|n| n.has_tag_name("desc")).and_then(|n| n.text()).unwrap();
            assert!(desc.contains(HOSTILE), "{path}: the description names the client: {desc}");
            let again = manager.get(&url).header("if-none-match", &etag).send().await.unwrap();
            assert_eq!(again.status(), 304, "{path}: unchanged, not sent again");
        }
        let heatmap = manager.get(app.url(rampart_server::charts::HEATMAP_PATH)).send().await.unwrap();
        assert_eq!(heatmap.status(), 200);
        let body = heatmap.text().await.unwrap();
        let doc = parse(&body);
        let labels: Vec<&str> =
            doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
        assert!(labels.contains(&HOSTILE), "the hostile name is drawn as text: {labels:?}");
        assert!(labels.contains(&"Other Client Ltd"));
        assert!(body.contains("&lt;script&gt;"));
    })
    .await;
}

#[tokio::test]
async fn the_heatmap_holds_only_the_clients_one_may_see() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let tech = app.signed_in("tech@example.test").await;
        let body = tech.get(app.url(rampart_server::charts::HEATMAP_PATH)).send().await.unwrap().text().await.unwrap();
        assert!(body.contains("&lt;script&gt;") && !body.contains("Other Client Ltd"), "{body}");
        let viewer = app.signed_in("viewer@example.test").await;
        let refused = viewer.get(app.url(rampart_server::charts::HEATMAP_PATH)).send().await.unwrap();
        assert_eq!(refused.status(), 403);
        let foreign = viewer.get(app.url("/charts/clients/other/trend.svg")).send().await.unwrap();
        let missing = viewer.get(app.url("/charts/clients/nothing/trend.svg")).send().await.unwrap();
        assert_eq!(
            (foreign.status(), missing.status()),
            (reqwest::StatusCode::NOT_FOUND, reqwest::StatusCode::NOT_FOUND)
        );
        assert_eq!(foreign.text().await.unwrap(), missing.text().await.unwrap());
        let signed_out = app.client().get(app.url("/charts/clients/hostile/trend.svg")).send().await.unwrap();
        assert_eq!(signed_out.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn the_client_page_shows_the_score_its_reasons_and_its_charts() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let viewer = app.signed_in("viewer@example.test").await;
        let page = app.page(&viewer, "/clients/hostile").await.text().await.unwrap();
        assert!(page.contains("Risk score"));
        assert!(page.contains("Coverage 0, no penalties."), "nothing assessed yet");
        assert!(page.contains("badge badge-band-critical\">Critical<"), "nothing in place: Critical, in words");
        for kind in ["trend", "categories", "contributors", "access", "reviews"] {
            assert!(page.contains(&format!("src=\"/charts/clients/hostile/{kind}.svg\"")), "{kind}");
        }
        assert!(page.contains("Show the numbers"));
        assert!(page.contains("No reviews due yet"), "the honest empty state");
        assert!(!page.contains("<script>alert(1)"), "escaped in the page too");
        let manager = app.signed_in("manager@example.test").await;
        let portfolio = app.page(&manager, "/").await.text().await.unwrap();
        for part in ["Clients by priority", "Governance debt", "Coverage by client and category", "0 overdue reviews"] {
            assert!(portfolio.contains(part), "{part}");
        }
        assert!(portfolio.contains("src=\"/charts/portfolio/heatmap.svg\""));
        let explained = app.page(&manager, "/score").await.text().await.unwrap();
        assert!(explained.contains("Coverage = round(100 × Σ w·s ÷ Σ w)"));
    })
    .await;
}
