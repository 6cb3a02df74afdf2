//! Hostile input: every server function, as an admin (who gets furthest), fed bodies no form
//! sends — invalid UTF-8, NUL bytes, wrong types, missing and unknown fields, very long values,
//! markup, JSON where a form is expected — answers with the expected 4xx and a message in
//! words, and writes nothing; anything too large is refused with 413 before it is read.

use crate::support::{on_each_backend, TestApp};
use domain::db::Backend;
use domain::Db;

/// Bodies that no page of Rampart sends.
fn corpus() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let long = format!("name={}&slug=x&impact_tier=standard", "A".repeat(60_000));
    vec![
        ("invalid UTF-8", "application/x-www-form-urlencoded", b"name=%FF%FE%FD&id=\xff\xfe".to_vec()),
        ("NUL bytes", "application/x-www-form-urlencoded", b"name=a%00b&slug=a%00b&id=1%000&email=x%00@y".to_vec()),
        (
            "wrong types",
            "application/x-www-form-urlencoded",
            b"id=abc&version=-&technician_id=1e999&step_id=[]&occurrence_id=%27".to_vec(),
        ),
        ("nothing at all", "application/x-www-form-urlencoded", Vec::new()),
        ("unknown fields", "application/x-www-form-urlencoded", b"__proto__=1&constructor=2&a[b][c][d]=3".to_vec()),
        ("very long value", "application/x-www-form-urlencoded", long.into_bytes()),
        (
            "markup",
            "application/x-www-form-urlencoded",
            b"name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&slug=%3Cb%3E&text=%3Ciframe%3E".to_vec(),
        ),
        ("deep JSON", "application/json", format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)).into_bytes()),
        (
            "a stray multipart",
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--".to_vec(),
        ),
    ]
}

/// The message of a request the server could not read (app::error::AppError::BadRequest).
const UNREADABLE: &str = "The request could not be read. Reload the page and try again.";

/// Where a hostile body happens to fill every field a function asks for, so that the function
/// runs and refuses the values themselves: (path, cases, status, a part of the message). A slug,
/// an email or an id that names nothing is not found; a file of markup has no columns.
const READ_AND_REFUSED: &[(&str, &[&str], u16, &str)] = &[
    ("/api/access/client", SLUG_CASES, 404, "Not found."),
    ("/api/access/client_sla", SLUG_CASES, 404, "Not found."),
    ("/api/clients/archive", SLUG_CASES, 404, "Not found."),
    ("/api/clients/get", SLUG_CASES, 404, "Not found."),
    ("/api/clients/restore", SLUG_CASES, 404, "Not found."),
    ("/api/controls/checklist", SLUG_CASES, 404, "Not found."),
    ("/api/controls/summary", SLUG_CASES, 404, "Not found."),
    ("/api/reviews/client", SLUG_CASES, 404, "Not found."),
    ("/api/score/client", SLUG_CASES, 404, "Not found."),
    ("/api/users/assign_clients", &["NUL bytes"], 404, "Not found."),
    ("/api/users/disable", &["NUL bytes"], 404, "Not found."),
    ("/api/users/enable", &["NUL bytes"], 404, "Not found."),
    ("/api/users/reset_mfa", &["NUL bytes"], 404, "Not found."),
    ("/api/catalog/form", &["NUL bytes", "wrong types"], 404, "Not found."),
    ("/api/catalog/retire", &["NUL bytes", "wrong types"], 404, "Not found."),
    // A preview writes nothing and answers the file's problems in words.
    ("/api/access/import_preview", &["markup"], 200, "Missing columns: technician_email, technician_name."),
    ("/api/access/import", &["markup"], 422, "Some fields need your attention."),
];

/// The bodies that carry a slug (as a client's address), each naming no client.
const SLUG_CASES: &[&str] = &["NUL bytes", "very long value", "markup"];

/// The answer's status and, for an error, the message it shows (never an internal detail).
async fn post(app: &TestApp, client: &reqwest::Client, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String) {
    let response = client
        .post(app.url(path))
        .header("accept", "application/json")
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("a response");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let message = match serde_json::from_str::<app::error::AppError>(&text) {
        Ok(error) => error.to_string(),
        Err(_) => text,
    };
    (status, message)
}

/// What is stored, to see that nothing was written: every table's rows, counted, and the audit
/// chain's head.
async fn stored(db: &Db) -> Vec<(String, i64)> {
    let tables: Vec<String> = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    let mut counts = Vec::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\"");
        let n: i64 = match db {
            Db::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
        };
        counts.push((table, n));
    }
    let head: i64 = match db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT seq FROM audit_head").fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT seq FROM audit_head").fetch_one(pool).await.unwrap(),
    };
    counts.push(("audit head".into(), head));
    counts
}

#[tokio::test]
async fn every_server_function_refuses_hostile_bodies_in_words_and_writes_nothing() {
    on_each_backend(|app| async move {
        app.add_client("Target Ltd", "target").await;
        app.add_user("root@example.test", "admin", &[]).await;
        let mut failures = Vec::new();
        let mut without_input = Vec::new();
        let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
        assert!(paths.len() > 40, "every server function is exercised: {}", paths.len());
        for path in &paths {
            // A function that needs no input runs whatever the body: nothing in it is hostile.
            // (Sign-out would end the session the next bodies need: a fresh session each time.)
            let admin = app.signed_in("root@example.test").await;
            let (status, _) = post(&app, &admin, path, "application/x-www-form-urlencoded", Vec::new()).await;
            if status != 400 {
                without_input.push(path.clone());
                for (case, content_type, body) in corpus() {
                    let admin = app.signed_in("root@example.test").await;
                    let (status, message) = post(&app, &admin, path, content_type, body).await;
                    if status >= 500 {
                        failures.push(format!("{path} with {case}: {status} {message:?}"));
                    }
                }
                continue;
            }
            for (case, content_type, body) in corpus() {
                let before = stored(&app.db).await;
                let (status, message) = post(&app, &admin, path, content_type, body).await;
                let expected = match READ_AND_REFUSED.iter().find(|(p, cases, _, _)| p == path && cases.contains(&case))
                {
                    // PostgreSQL refuses to compare text holding a NUL byte: invalid input, in
                    // words, rather than SQLite's "no such thing".
                    Some(_) if case == "NUL bytes" && app.db.backend() == Backend::Postgres => {
                        (422, "Some fields need your attention.")
                    }
                    Some((_, _, status, part)) => (*status, *part),
                    None => (400, UNREADABLE),
                };
                if status != expected.0 || !message.contains(expected.1) {
                    failures.push(format!("{path} with {case}: {status} {message:?}, expected {expected:?}"));
                }
                if stored(&app.db).await != before {
                    failures.push(format!("{path} with {case}: something was written"));
                }
            }
        }
        assert!(failures.is_empty(), "hostile input answered otherwise than expected:\n{}", failures.join("\n"));
        // The functions that take no input are exactly these: a new one is classified here.
        without_input.sort();
        assert_eq!(without_input, WITHOUT_INPUT, "functions that run without input");
    })
    .await;
}

/// The server functions that need no input (every argument optional, or none): each hostile
/// body is only checked to be answered without a server error.
const WITHOUT_INPUT: &[&str] = &[
    "/api/access/findings",
    "/api/access/import_draft",
    "/api/access/sla",
    "/api/access/technicians",
    "/api/auth/me",
    "/api/auth/mfa_status",
    "/api/auth/pending_sign_in",
    "/api/auth/sign_out",
    "/api/auth/sign_out_everywhere",
    "/api/auth/start_mfa_enrolment",
    "/api/controls/overdue",
    "/api/flash/take",
    "/api/portfolio/get",
    "/api/reviews/feed_status",
    "/api/reviews/rotate_feed",
    "/api/score/portfolio",
    "/api/score/ranking",
    "/api/score/settings",
    "/api/sso/option",
    "/api/sso/settings",
    "/api/users/list",
];

#[tokio::test]
async fn too_large_bodies_are_refused_before_they_are_read() {
    on_each_backend(|app| async move {
        app.add_user("root@example.test", "admin", &[]).await;
        let admin = app.signed_in("root@example.test").await;
        let huge = format!("name={}", "A".repeat(200 * 1024)).into_bytes();
        let before = stored(&app.db).await;
        let (status, message) =
            post(&app, &admin, "/api/clients/create", "application/x-www-form-urlencoded", huge).await;
        assert_eq!(status, 413);
        assert!(message.contains("more than Rampart accepts"), "{message}");
        assert_eq!(stored(&app.db).await, before, "nothing written");
    })
    .await;
}
