//! The canary crawl: every record of a foreign client carries a marker — its name, notes,
//! contact, evidence, risk acceptance, the grant of the technician who works only there, its
//! review series — and a crawl of every page, server function, chart,
//! download and calendar feed, as a client viewer and as a technician limited to another client,
//! never returns the marker, the hydration data of the pages included.

mod support;

use domain::{access, clients, controls, reviews, Actor};
use support::{on_each_backend, TestApp};

const MARKER: &str = "QX7CANARY";

async fn set_up(app: &TestApp) {
    let cli = Actor::command_line();
    app.add_client("Own Client Ltd", "own").await;
    let foreign = clients::ClientInput {
        name: format!("{MARKER} Foreign Ltd"),
        slug: "foreign".into(),
        impact_tier: "critical".into(),
        sector: format!("{MARKER} sector"),
        contact_name: format!("{MARKER} Contact"),
        contact_email: "canary@foreign.example".into(),
        notes: format!("{MARKER} internal note"),
        tags: format!("{}-tag", MARKER.to_lowercase()),
    };
    clients::create_client(&app.db, &cli, &foreign).await.unwrap();
    app.add_user("viewer@example.test", "client_viewer", &["own"]).await;
    app.add_user("tech@example.test", "technician", &["own"]).await;
    let now = domain::clock::now();
    let update = controls::ControlUpdate {
        status: "partial".into(),
        owner: format!("{MARKER} Owner"),
        evidence_note: format!("{MARKER} evidence"),
        evidence_links: format!("https://{}.example/evidence", MARKER.to_lowercase()),
        verified_now: true,
        note: format!("{MARKER} history"),
        ..Default::default()
    };
    controls::update_client_control(&app.db, &cli, "foreign", "RA-01", &update, now).await.unwrap();
    let until = (now + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    controls::request_exception(&app.db, &cli, "foreign", "RA-04", &format!("{MARKER} risk reason"), &until, now)
        .await
        .unwrap();
    // The MSP's own staff are not client data (technicians see the MSP's staff list), so the
    // marker goes on what concerns the foreign client: the grant.
    let tech = access::NewTechnician {
        name: "Foreign-only Technician".into(),
        email: "canary.tech@msp.example".into(),
        title: "Engineer".into(),
        started_on: "2026-01-05".into(),
    };
    let t = access::create_technician(&app.db, &cli, &tech, now).await.unwrap();
    for step in access::get_lifecycle(&app.db, &cli, t.id, now).await.unwrap().steps {
        access::complete_step(&app.db, &cli, t.id, step.id, "", now).await.unwrap();
    }
    let grant = access::NewGrant {
        technician_id: t.id,
        client_slug: "foreign".into(),
        system: "other".into(),
        system_name: format!("{MARKER} console"),
        privilege: "admin".into(),
        justification: format!("{MARKER} justification"),
        mfa: false,
        ..Default::default()
    };
    access::grant_access(&app.db, &cli, &grant, now).await.unwrap();
    let series = reviews::NewSeries {
        kind: "custom".into(),
        title: format!("{MARKER} review"),
        owner: format!("{MARKER} reviewer"),
        starts_on: now.format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    reviews::create_series(&app.db, &cli, "foreign", &series, now).await.unwrap();
    reviews::add_default_series(&app.db, &cli, "own", now.date_naive(), now).await.unwrap();
    reviews::add_default_series(&app.db, &cli, "foreign", now.date_naive(), now).await.unwrap();
}

/// Every page path of the app with its parameters filled in every way a crawler would try.
fn page_paths() -> Vec<String> {
    let mut paths = Vec::new();
    for route in leptos_axum::generate_route_list(app::App) {
        let path = route.path().to_string();
        let mut variants = vec![path.clone()];
        for (param, values) in [
            ("{slug}", &["own", "foreign"][..]),
            ("{id}", &["1", "2", "3", "4", "5", "6", "7", "8"][..]),
            ("{control_id}", &["RA-01", "RA-04"][..]),
        ] {
            variants = variants
                .into_iter()
                .flat_map(|p| {
                    if p.contains(param) {
                        values.iter().map(|v| p.replace(param, v)).collect::<Vec<_>>()
                    } else {
                        vec![p]
                    }
                })
                .collect();
        }
        paths.extend(variants.into_iter().filter(|p| !p.contains('{')));
    }
    for path in rampart_server::export::DOWNLOADS {
        paths.push(path.to_string());
    }
    for path in rampart_server::charts::paths() {
        for slug in ["own", "foreign"] {
            paths.push(path.replace("{slug}", slug));
        }
    }
    paths
}

/// Forms a crawler tries on every server function: nothing, each client, each id.
fn forms() -> Vec<Vec<(&'static str, String)>> {
    let mut forms = vec![Vec::new()];
    for slug in ["own", "foreign"] {
        forms.push(vec![("slug", slug.into()), ("client_slug", slug.into()), ("query[archived]", "true".into())]);
    }
    for id in 1..=8 {
        forms.push(vec![("id", id.to_string()), ("technician_id", id.to_string()), ("control_id", "RA-01".into())]);
    }
    forms
}

#[tokio::test]
async fn no_foreign_marker_reaches_a_client_viewer_or_a_limited_technician() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let mut leaks = Vec::new();
        let mut crawled = 0;
        for who in ["viewer@example.test", "tech@example.test"] {
            let client = app.signed_in(who).await;
            for path in page_paths() {
                let body = app.page(&client, &path).await.text().await.unwrap_or_default();
                crawled += 1;
                if body.contains(MARKER) || body.to_lowercase().contains(&MARKER.to_lowercase()) {
                    leaks.push(format!("{who} GET {path}"));
                }
            }
            let functions: Vec<String> =
                leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
            for path in functions {
                // Signing out (here or everywhere) would end the session the crawl needs.
                if path.contains("sign_out") {
                    continue;
                }
                for form in forms() {
                    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let body = app.call(&client, &path, &form).await.text().await.unwrap_or_default();
                    crawled += 1;
                    if body.to_lowercase().contains(&MARKER.to_lowercase()) {
                        leaks.push(format!("{who} POST {path} {form:?}"));
                    }
                }
            }
            // The user's own calendar feed.
            let rotated = app.call(&client, "/api/reviews/rotate_feed", &[]).await.text().await.unwrap();
            let rotated: String = serde_json::from_str(&rotated).unwrap_or_else(|_| panic!("{who}: {rotated}"));
            let feed_path = rotated.split("/calendar/").nth(1).map(|t| format!("/calendar/{t}")).unwrap();
            let feed = app.client().get(app.url(&feed_path)).send().await.unwrap().text().await.unwrap();
            assert!(feed.contains("BEGIN:VCALENDAR"), "the feed answers");
            if feed.to_lowercase().contains(&MARKER.to_lowercase()) {
                leaks.push(format!("{who} calendar feed"));
            }
        }
        assert!(crawled > 500, "the crawl covers the app: {crawled} answers");
        assert!(leaks.is_empty(), "the foreign marker leaked:\n{}", leaks.join("\n"));
    })
    .await;
}
