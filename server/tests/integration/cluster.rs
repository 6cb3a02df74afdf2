//! Several servers on one PostgreSQL, requests alternating between them: one sign-in serves on
//! both (sessions live in the database), the daily job runs once between them, and two edits of
//! the same record based on the same version give the second a conflict, never a silent
//! overwrite.

use crate::process::{call, signed_in, start, wait_ready, PASSWORD};
use domain::{identity, Actor, Db};
use std::time::Duration;

fn client_form<'a>(name: &'a str, version: &'a str) -> Vec<(&'a str, &'a str)> {
    crate::support::edit_client_form("shared", version, name, "standard")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_sessions_run_jobs_once_and_refuse_lost_updates() {
    let Some(test) = domain::testing::postgres().await else {
        eprintln!("skipped: set {} to run two servers on one PostgreSQL", domain::testing::POSTGRES_URL_VAR);
        return;
    };
    {
        let db = domain::setup::connect(&test.url).await.unwrap();
        let new = identity::NewUser {
            email: "both@example.test".into(),
            display_name: "Both servers".into(),
            role: "manager".into(),
            clients: vec![],
            password: PASSWORD.into(),
        };
        identity::add_user(&db, &Actor::command_line(), &new, chrono::Utc::now()).await.unwrap();
        let client = domain::clients::ClientInput {
            name: "Shared Ltd".into(),
            slug: "shared".into(),
            impact_tier: "standard".into(),
            ..Default::default()
        };
        domain::clients::create_client(&db, &Actor::command_line(), &client, chrono::Utc::now()).await.unwrap();
        db.close().await;
    }
    let site = tempfile::tempdir().unwrap();
    let (port_a, port_b) = (crate::process::free_port(), crate::process::free_port());
    let (a, b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));
    let mut servers = [start(&test.url, port_a, site.path()), start(&test.url, port_b, site.path())];
    wait_ready(&a).await;
    wait_ready(&b).await;

    // Signed in on A, known on B: the cookie names a session both servers read.
    let browser = signed_in(&a, "both@example.test").await;
    for base in [&a, &b, &a, &b] {
        let me: serde_json::Value = call(&browser, base, "/api/auth/me", &[]).await.unwrap().json().await.unwrap();
        assert_eq!(me["email"], "both@example.test", "{base}");
    }

    // Both edit version 1: the first wins, the second is told, nothing is overwritten.
    let first = call(&browser, &a, "/api/clients/update", &client_form("Renamed on A", "1")).await.unwrap();
    assert_eq!(first.status(), 200);
    let second = call(&browser, &b, "/api/clients/update", &client_form("Renamed on B", "1")).await.unwrap();
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("changed"), "a conflict message for the person");
    let now: serde_json::Value =
        call(&browser, &b, "/api/clients/get", &[("slug", "shared")]).await.unwrap().json().await.unwrap();
    assert_eq!(now["name"], "Renamed on A");

    // Each server asked for today's snapshots at start; exactly one of them took them.
    let db = domain::setup::connect(&test.url).await.unwrap();
    let Db::Postgres(pool) = &db else { unreachable!("a PostgreSQL test database") };
    let mut runs: Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> = Vec::new();
    for _ in 0..100 {
        runs = sqlx::query_as("SELECT runner, finished_at FROM job_runs WHERE job = 'score_snapshots'")
            .fetch_all(pool)
            .await
            .unwrap();
        if runs.iter().all(|(_, finished)| finished.is_some()) && !runs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs.len(), 1, "one run for the day: {runs:?}");
    let snapshots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM score_snapshots").fetch_one(pool).await.unwrap();
    assert_eq!(snapshots, 1, "one snapshot of the one client");
    db.close().await;
    for server in &mut servers {
        server.kill().ok();
        server.wait().ok();
    }
    test.cleanup().await;
}
