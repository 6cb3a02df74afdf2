//! Hostile input: every server function, as an admin (who gets furthest), fed bodies no form
//! sends — invalid UTF-8, NUL bytes, wrong types, missing and unknown fields, very long values,
//! markup, JSON where a form is expected — must answer with a 4xx (or a refusal in words),
//! never a 5xx; and anything too large is refused with 413 before it is read.

use crate::support::{on_each_backend, TestApp};

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

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, content_type: &str, body: Vec<u8>) -> u16 {
    client
        .post(app.url(path))
        .header("accept", "application/json")
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("a response")
        .status()
        .as_u16()
}

#[tokio::test]
async fn no_server_function_answers_hostile_bodies_with_a_server_error() {
    on_each_backend(|app| async move {
        app.add_client("Target Ltd", "target").await;
        app.add_user("root@example.test", "admin", &[]).await;
        let mut failures = Vec::new();
        let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
        assert!(paths.len() > 40, "every server function is exercised: {}", paths.len());
        for path in &paths {
            // Sign-out would end the session the next bodies need: a fresh session per path.
            let admin = app.signed_in("root@example.test").await;
            for (what, content_type, body) in corpus() {
                let status = post(&app, &admin, path, content_type, body).await;
                if status >= 500 {
                    failures.push(format!("{path} with {what}: {status}"));
                }
            }
        }
        assert!(failures.is_empty(), "server errors on hostile input:\n{}", failures.join("\n"));
    })
    .await;
}

#[tokio::test]
async fn too_large_bodies_are_refused_before_they_are_read() {
    on_each_backend(|app| async move {
        app.add_user("root@example.test", "admin", &[]).await;
        let admin = app.signed_in("root@example.test").await;
        let huge = format!("name={}", "A".repeat(200 * 1024)).into_bytes();
        let status = post(&app, &admin, "/api/clients/create", "application/x-www-form-urlencoded", huge).await;
        assert_eq!(status, 413);
        let clients =
            domain::clients::list_clients(&app.db, &domain::Actor::command_line(), Default::default()).await.unwrap();
        assert_eq!(clients.items.len(), 0, "nothing written");
    })
    .await;
}
