//! The canary crawl: every record of a foreign client carries a marker — its name, notes,
//! contact, evidence, risk acceptance, the grant of the technician who works only there, its
//! review series, its meeting (minutes, decisions, action items) — and a crawl of every page,
//! server function, chart, review pack (page and PDF), download and calendar feed, as a client
//! viewer and as a technician limited to another client, never returns the marker, the
//! hydration data of the pages included. The viewer's own client carries a second marker in
//! everything internal (its notes, a control's owner, unshared evidence, history notes, a
//! grant's justification and revocation evidence), which the viewer never receives either,
//! while the evidence shared with them does arrive.

use crate::support::{on_each_backend, TestApp};
use domain::meetings::{self, ActionInput, MeetingInput};
use domain::{access, clients, controls, reviews, Actor};

const MARKER: &str = "QX7CANARY";
/// On everything internal of the viewer's own client.
const INTERNAL: &str = "QZ9INTERNAL";
/// On the evidence shared with the viewer's own client.
const SHARED: &str = "SHAREDEVIDENCE5";
/// Ids a crawler tries wherever a path or a form takes one: beyond every review and grant here.
const IDS: std::ops::RangeInclusive<i64> = 1..=16;

async fn set_up(app: &TestApp) {
    let cli = Actor::command_line();
    let own = clients::ClientInput {
        name: "Own Client Ltd".into(),
        slug: "own".into(),
        impact_tier: "critical".into(),
        notes: format!("{INTERNAL} client notes"),
        ..Default::default()
    };
    clients::create_client(&app.db, &cli, &own, chrono::Utc::now()).await.unwrap();
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
    clients::create_client(&app.db, &cli, &foreign, chrono::Utc::now()).await.unwrap();
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

    // The viewer's own client: internal detail that never reaches the viewer, and evidence
    // shared with them that does.
    let internal = controls::ControlUpdate {
        status: "implemented".into(),
        owner: format!("{INTERNAL} owner"),
        evidence_note: format!("{INTERNAL} evidence"),
        evidence_links: format!("https://{}.example/evidence", INTERNAL.to_lowercase()),
        verified_now: true,
        note: format!("{INTERNAL} history"),
        ..Default::default()
    };
    controls::update_client_control(&app.db, &cli, "own", "RA-01", &internal, now).await.unwrap();
    let shared = controls::ControlUpdate {
        status: "partial".into(),
        owner: format!("{INTERNAL} owner"),
        evidence_note: format!("{SHARED} screenshot of the MFA policy"),
        share_evidence: true,
        verified_now: true,
        note: format!("{INTERNAL} history"),
        ..Default::default()
    };
    controls::update_client_control(&app.db, &cli, "own", "RA-04", &shared, now).await.unwrap();
    let own_tech = access::NewTechnician {
        name: "Own Technician".into(),
        email: "own.tech@msp.example".into(),
        title: "Engineer".into(),
        started_on: "2026-01-05".into(),
    };
    let own_tech = access::create_technician(&app.db, &cli, &own_tech, now).await.unwrap();
    for step in access::get_lifecycle(&app.db, &cli, own_tech.id, now).await.unwrap().steps {
        access::complete_step(&app.db, &cli, own_tech.id, step.id, "", now).await.unwrap();
    }
    for (system, revoke) in [("rmm", false), ("psa", true)] {
        let grant = access::NewGrant {
            technician_id: own_tech.id,
            client_slug: "own".into(),
            system: system.into(),
            privilege: "standard".into(),
            justification: format!("{INTERNAL} justification"),
            mfa: true,
            ..Default::default()
        };
        let g = access::grant_access(&app.db, &cli, &grant, now).await.unwrap();
        if revoke {
            let removal = access::lifecycle::RevocationInput {
                removed_at: String::new(),
                method: "tool_user_list".into(),
                evidence: format!("{INTERNAL} ticket"),
            };
            access::revoke_grant(&app.db, &cli, g.id, &removal, now).await.unwrap();
        }
    }
    // Held last, so that their agendas are drawn from everything above.
    let foreign_review = hold_meeting(app, "foreign", &format!("{MARKER} meeting"), now).await;
    let own_review = hold_meeting(app, "own", "Own", now).await;
    assert!(IDS.contains(&foreign_review) && IDS.contains(&own_review), "the crawl reaches both meetings");
}

/// Holds the security review meeting of a client, with `text` in its minutes, a decision and an
/// action item; returns the review's id.
async fn hold_meeting(app: &TestApp, slug: &str, text: &str, now: chrono::DateTime<chrono::Utc>) -> i64 {
    let cli = Actor::command_line();
    let filter = reviews::ScheduleFilter { client: slug.into(), ..Default::default() };
    let schedule = reviews::list_schedule(&app.db, &cli, &filter, &reviews::Calendar::default(), now).await.unwrap();
    let review = schedule.iter().find(|o| o.kind == reviews::ReviewKind::SecurityReview).expect("a security review");
    meetings::hold_meeting(&app.db, &cli, review.id, now).await.unwrap();
    let held = meetings::get_meeting(&app.db, &cli, review.id).await.unwrap();
    let input = MeetingInput {
        version: held.meeting.version,
        held_on: held.meeting.held_on.to_string(),
        attendees_msp: "Morgan".into(),
        attendees_client: format!("{text} attendee"),
        agenda: held.meeting.agenda.clone(),
        minutes: format!("{text} minutes"),
    };
    meetings::save_meeting(&app.db, &cli, review.id, &input).await.unwrap();
    let with_topic = meetings::add_decision(&app.db, &cli, review.id, &format!("{text} topic")).await.unwrap();
    meetings::decide(&app.db, &cli, review.id, with_topic.decisions[0].id, &format!("{text} decision")).await.unwrap();
    let action = ActionInput { title: format!("{text} action"), owner: format!("{text} owner"), due_on: String::new() };
    meetings::add_action_item(&app.db, &cli, review.id, &action).await.unwrap();
    review.id
}

/// Every page path of the app with its parameters filled in every way a crawler would try.
fn page_paths() -> Vec<String> {
    let ids: Vec<String> = IDS.map(|i| i.to_string()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut paths = Vec::new();
    for route in rampart_server::startup::route_list() {
        let path = route.path().to_string();
        let mut variants = vec![path.clone()];
        for (param, values) in
            [("{slug}", &["own", "foreign"][..]), ("{id}", &ids[..]), ("{control_id}", &["RA-01", "RA-04"][..])]
        {
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
    for path in rampart_server::pack::PATHS {
        paths.extend(IDS.map(|id| path.replace("{id}", &id.to_string())));
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
    for id in IDS {
        forms.push(vec![("id", id.to_string()), ("technician_id", id.to_string()), ("control_id", "RA-01".into())]);
    }
    forms
}

/// Whether an answer carries a marker, in any case.
fn carries(body: &str, marker: &str) -> bool {
    body.to_lowercase().contains(&marker.to_lowercase())
}

#[tokio::test]
async fn no_foreign_marker_reaches_a_client_viewer_or_a_limited_technician() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        crawl(&app).await;
    })
    .await;
}

/// On PostgreSQL, the same crawl with the app connected as a role that owns no table, as the
/// docs/operations.md recommends: row-level security stands behind every answer, and the app works under it
/// (sign-in, sessions, the feed's rotation and its audit entry included).
#[tokio::test]
async fn the_crawl_holds_with_the_app_as_a_role_bound_by_row_security() {
    let Some(test) = domain::testing::postgres().await else {
        eprintln!("skipped: set {} to run on PostgreSQL", domain::testing::POSTGRES_URL_VAR);
        return;
    };
    let app_url = test.application_role_url().await.expect("a PostgreSQL test database");
    let served = domain::setup::connect_as(&app_url, Some(&test.url)).await.expect("the application role");
    let app = crate::support::spawn_app_serving(&test, served, |_| {}).await;
    test.run(|_| async move {
        set_up(&app).await;
        crawl(&app).await;
    })
    .await;
}

/// Crawls everything as the viewer and the limited technician, and fails on any marker that
/// reaches the wrong one.
async fn crawl(app: &TestApp) {
    let mut leaks = Vec::new();
    let mut crawled = 0;
    let mut shared_seen = 0;
    for who in ["viewer@example.test", "tech@example.test"] {
        let viewer = who.starts_with("viewer");
        let client = app.signed_in(who).await;
        let mut check = |what: String, body: &str| {
            crawled += 1;
            if carries(body, MARKER) {
                leaks.push(format!("{who} {what}: the foreign marker"));
            }
            // The technician works on the own client and reads its internal notes; the
            // viewer never does.
            if viewer && carries(body, INTERNAL) {
                leaks.push(format!("{who} {what}: an internal note"));
            }
            if viewer && body.contains(SHARED) {
                shared_seen += 1;
            }
        };
        for path in page_paths() {
            let body = app.page(&client, &path).await.bytes().await.unwrap_or_default();
            check(format!("GET {path}"), &String::from_utf8_lossy(&body));
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
                check(format!("POST {path} {form:?}"), &body);
            }
        }
        // The user's own calendar feed.
        let rotated = app.call(&client, "/api/reviews/rotate_feed", &[]).await.text().await.unwrap();
        let rotated: String = serde_json::from_str(&rotated).unwrap_or_else(|_| panic!("{who}: {rotated}"));
        let feed_path = rotated.split("/calendar/").nth(1).map(|t| format!("/calendar/{t}")).unwrap();
        let feed = app.client().get(app.url(&feed_path)).send().await.unwrap().text().await.unwrap();
        assert!(feed.contains("BEGIN:VCALENDAR"), "the feed answers");
        check("calendar feed".into(), &feed);
    }
    assert!(crawled > 500, "the crawl covers the app: {crawled} answers");
    assert!(shared_seen > 0, "the evidence shared with the viewer reaches them");
    assert!(leaks.is_empty(), "markers leaked:\n{}", leaks.join("\n"));
}

/// What the viewer's pages hydrate from: each server function behind the portal, called as the
/// pages call it, answers (so the check below is not vacuous) and carries nothing internal.
#[tokio::test]
async fn the_portal_data_sent_to_the_browser_holds_no_internal_note() {
    on_each_backend(|app| async move {
        set_up(&app).await;
        let viewer = app.signed_in("viewer@example.test").await;
        let cli = Actor::command_line();
        let filter = reviews::ScheduleFilter { client: "own".into(), ..Default::default() };
        let schedule =
            reviews::list_schedule(&app.db, &cli, &filter, &reviews::Calendar::default(), domain::clock::now())
                .await
                .unwrap();
        let meeting = schedule.iter().find(|o| o.kind == reviews::ReviewKind::SecurityReview).unwrap().id.to_string();
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("/api/clients/get", vec![("slug", "own")]),
            ("/api/clients/list", vec![("query[archived]", "false")]),
            ("/api/controls/checklist", vec![("slug", "own")]),
            ("/api/controls/get", vec![("slug", "own"), ("control_id", "RA-01")]),
            ("/api/controls/get", vec![("slug", "own"), ("control_id", "RA-04")]),
            ("/api/access/client", vec![("slug", "own")]),
            ("/api/access/client_sla", vec![("slug", "own")]),
            ("/api/score/client", vec![("slug", "own")]),
            ("/api/reviews/client", vec![("slug", "own")]),
            ("/api/reviews/get", vec![("id", &meeting)]),
            ("/api/reviews/meeting", vec![("id", &meeting)]),
        ];
        let mut answers = String::new();
        for (path, form) in calls {
            let response = app.call(&viewer, path, &form).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, 200, "{path} {form:?}: {body}");
            assert!(!carries(&body, INTERNAL), "{path} {form:?} sends an internal note: {body}");
            assert!(!carries(&body, MARKER), "{path} {form:?} sends another client's data: {body}");
            answers.push_str(&body);
        }
        // The same answers do carry what the portal shows.
        for shown in [SHARED, "Own Technician", "Own decision", "Own action"] {
            assert!(answers.contains(shown), "the portal's data includes {shown:?}");
        }
        // And the pages, with their hydration data.
        for path in ["/clients/own", "/clients/own/controls", "/clients/own/controls/RA-01"] {
            let body = app.page(&viewer, path).await.text().await.unwrap();
            assert!(!carries(&body, INTERNAL), "{path} carries an internal note");
        }
    })
    .await;
}
