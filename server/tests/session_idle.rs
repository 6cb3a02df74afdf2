//! The idle timeout slides with use: a signed-in session is marked as seen once a minute, which
//! saves it and sends its cookie again with a fresh lifetime; within the same minute nothing is
//! written. On both databases, with the server's clock moved by this binary's own clock file.

mod support;

use support::{move_clock, on_each_backend, TestApp};

const MANAGER: &str = "manager@example.test";

fn minute() -> i64 {
    domain::clock::now().timestamp().div_euclid(60)
}

/// Whether the answer sent the session cookie again (the session was saved).
async fn renews(app: &TestApp, client: &reqwest::Client) -> bool {
    let page = app.page(client, "/account").await;
    assert_eq!(page.status(), 200);
    page.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap_or("").starts_with("rampart_session="))
}

async fn seen_minutes(app: &TestApp) -> Vec<i64> {
    let rows: Vec<(String,)> = domain::on_pool!(&app.db, |pool| {
        sqlx::query_as("SELECT data FROM sessions WHERE user_id IS NOT NULL").fetch_all(pool).await
    })
    .unwrap();
    rows.iter()
        .filter_map(|(data,)| serde_json::from_str::<serde_json::Value>(data).ok())
        .filter_map(|data| data[rampart_server::security::SEEN_KEY].as_i64())
        .collect()
}

#[tokio::test]
async fn a_session_in_use_is_renewed_once_a_minute_and_not_written_in_between() {
    move_clock(0);
    on_each_backend(|app| async move {
        move_clock(0);
        app.add_user(MANAGER, "manager", &[]).await;
        let manager = app.signed_in(MANAGER).await;

        // The first page after sign-in marks the session as seen.
        assert!(renews(&app, &manager).await, "the first request marks the session");
        // A second request in the same minute writes nothing (retried if the minute turned).
        let mut quiet = false;
        for _ in 0..3 {
            let before = minute();
            renews(&app, &manager).await;
            let again = renews(&app, &manager).await;
            if minute() == before {
                quiet = !again;
                break;
            }
        }
        assert!(quiet, "a request in a minute already marked saves nothing");

        // Two minutes later the session is marked again and its cookie renewed.
        move_clock(2);
        let before = minute();
        assert!(renews(&app, &manager).await, "a new minute renews the session");
        let seen = seen_minutes(&app).await;
        assert!(seen.iter().any(|m| (before..=minute()).contains(m)), "{seen:?} from minute {before}");
        move_clock(0);
    })
    .await;
}
