//! What the server does as its clock moves, on both databases, with the clock moved by this
//! binary's own clock file (the clock is the process's: a binary of its own, and its tests one
//! at a time, so that no other test sees it move):
//! - the idle timeout slides with use: a signed-in session is marked as seen once a minute,
//!   which saves it and sends its cookie again with a fresh lifetime; within the same minute
//!   nothing is written;
//! - sensitive actions and exports need a recent confirmation, and privilege changes end
//!   sessions.

mod support;

use support::{move_clock, on_each_backend, TestApp, PASSWORD};

/// Held by each test while it moves the clock: one at a time.
static CLOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const ADMIN: &str = "admin@example.test";
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
    let _clock = CLOCK.lock().await;
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

/// How the portfolio was answered (`server-timing`: kept or rendered).
async fn portfolio_timing(app: &TestApp, client: &reqwest::Client) -> String {
    let page = app.page(client, "/").await;
    assert_eq!(page.status(), 200);
    page.headers().get("server-timing").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn a_kept_portfolio_is_rendered_again_in_the_next_minute() {
    let _clock = CLOCK.lock().await;
    move_clock(0);
    on_each_backend(|app| async move {
        move_clock(0);
        app.add_client("Alpha Ltd", "alpha").await;
        app.add_user(MANAGER, "manager", &[]).await;
        let manager = app.signed_in(MANAGER).await;
        // Kept within the minute (retried if the minute turned between the two loads).
        let mut kept = false;
        for _ in 0..3 {
            let before = minute();
            portfolio_timing(&app, &manager).await;
            let again = portfolio_timing(&app, &manager).await;
            if minute() == before {
                // Answered at once (before the session's layer) or after it: kept either way.
                kept = again == "page;desc=\"kept at once\"" || again == "page;desc=\"kept\"";
                break;
            }
        }
        assert!(kept, "kept within the minute");
        move_clock(2);
        assert!(
            portfolio_timing(&app, &manager).await.starts_with("page;desc=\"rendered\""),
            "rendered in a new minute"
        );
        move_clock(0);
    })
    .await;
}

async fn audit_seq(app: &TestApp) -> i64 {
    domain::audit::all_entries(&app.db).await.unwrap().last().map(|e| e.seq).unwrap_or(0)
}

#[tokio::test]
async fn sensitive_actions_need_a_recent_confirmation_and_privilege_changes_end_sessions() {
    let _clock = CLOCK.lock().await;
    move_clock(0);
    on_each_backend(|app| async move {
        move_clock(0);
        app.add_client("Own Client Ltd", "own-client").await;
        app.add_user(ADMIN, "admin", &[]).await;
        app.add_user(MANAGER, "manager", &[]).await;
        let admin = app.signed_in(ADMIN).await;
        let manager = app.signed_in(MANAGER).await;

        // Signing in counts as a confirmation: the exports work at once.
        assert_eq!(app.page(&admin, "/audit/export.csv").await.status(), 200);
        assert_eq!(app.page(&admin, rampart_server::export::REGISTER_PATH).await.status(), 200);

        // Eleven minutes later they do not: a browser is sent to confirm, anything else refused.
        move_clock(11);
        let before = audit_seq(&app).await;
        let page = app.page(&admin, "/audit/export.csv?client=own-client").await;
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/account/confirm?next=/audit/export.csv%3Fclient%3Down-client");
        let plain = admin.get(app.url(rampart_server::export::REGISTER_PATH)).send().await.unwrap();
        assert_eq!(plain.status(), 403);
        let change = [("email", MANAGER), ("role", "auditor")];
        let refused = app.call(&admin, "/api/users/change_role", &change).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(refused.text().await.unwrap(), "\"StepUpRequired\"");
        for endpoint in ["/api/users/disable", "/api/users/reset_mfa"] {
            assert_eq!(app.call(&admin, endpoint, &[("email", MANAGER)]).await.status(), 403, "{endpoint}");
        }
        assert_eq!(audit_seq(&app).await, before, "refused: nothing written, no export recorded");
        assert_eq!(app.call(&manager, "/api/controls/overdue", &[]).await.status(), 200, "the manager is untouched");

        // The confirmation page, then a wrong and a right password.
        let confirm = app.page(&admin, "/account/confirm?next=/settings/users").await;
        assert_eq!(confirm.status(), 200);
        assert!(confirm.text().await.unwrap().contains("Confirm it is you"));
        let wrong = [("password", "not the password"), ("next", "/settings/users")];
        assert_eq!(app.call(&admin, "/api/auth/confirm", &wrong).await.status(), 422);
        let right = [("password", PASSWORD), ("next", "/settings/users")];
        let confirmed = app.call(&admin, "/api/auth/confirm", &right).await;
        assert_eq!(confirmed.status(), 200);
        let cycled = confirmed
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("rampart_session="));
        assert!(cycled, "a new session id at the confirmation");
        let actions: Vec<String> =
            domain::audit::all_entries(&app.db).await.unwrap().into_iter().map(|e| e.action).collect();
        assert!(actions.ends_with(&["auth.step_up_failed".to_string(), "auth.step_up".to_string()]), "{actions:?}");

        // Now the role change goes through, and ends every session of the manager.
        assert_eq!(app.call(&admin, "/api/users/change_role", &change).await.status(), 200);
        assert_eq!(app.call(&manager, "/api/controls/overdue", &[]).await.status(), 401, "the old session ended");
        let page = app.page(&manager, "/clients").await;
        assert_eq!(
            (page.status().as_u16(), page.headers()["location"].to_str().unwrap()),
            (303, "/login?next=/clients")
        );
        let auditor = app.signed_in(MANAGER).await;
        let me: serde_json::Value = app.call(&auditor, "/api/auth/me", &[]).await.json().await.unwrap();
        assert_eq!(me["role"], "auditor", "signed in again with the new role");
        assert_eq!(app.page(&admin, "/audit/export.csv").await.status(), 200, "within the window");

        // Nobody changes their own role, even confirmed.
        let own = app.call(&admin, "/api/users/change_role", &[("email", ADMIN), ("role", "manager")]).await;
        assert_eq!(own.status(), 409);
        // Disabling ends the auditor's session too.
        assert_eq!(app.call(&admin, "/api/users/disable", &[("email", MANAGER)]).await.status(), 200);
        assert_eq!(
            app.call(&auditor, "/api/auth/me", &[]).await.json::<serde_json::Value>().await.unwrap(),
            serde_json::Value::Null
        );
        move_clock(0);
    })
    .await;
}
