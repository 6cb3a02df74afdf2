//! The portfolio kept as rendered, per session and moment (server/src/kept_pages.rs): served
//! again while no client's score, nor the reader, changed; each answer with its own request's
//! nonce; never another session's page; never in place of a message shown once; never for a
//! reader limited to some clients; answered before the session is loaded only for a current
//! session of an active user. (The minute's part is in moved_clock.rs.)

use crate::support::{on_each_backend, TestApp};

const MANAGER: &str = "manager@example.test";
const ADMIN: &str = "admin@example.test";

struct Page {
    timing: String,
    nonce: String,
    body: String,
}

impl Page {
    /// Answered from the kept page, at once or after the session's checks.
    fn kept(&self) -> bool {
        self.timing == "page;desc=\"kept\"" || self.at_once()
    }

    /// Answered from the kept page before the session was loaded.
    fn at_once(&self) -> bool {
        self.timing == "page;desc=\"kept at once\""
    }

    fn rendered(&self) -> bool {
        self.timing.starts_with("page;desc=\"rendered\";dur=")
    }

    /// The key figure labelled `label`.
    fn figure(&self, label: &str) -> i64 {
        let end = self.body.find(&format!(">{label}<")).unwrap_or_else(|| panic!("{label} on the page: {}", self.body));
        let before = &self.body[..end];
        let value = &before[before.rfind("kpi-value\">").expect("the value before its label") + 11..];
        value.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
    }
}

/// Waits, if need be, until the minute has at least 20 seconds left: a page is kept within the
/// minute, and a story's loads must not straddle its end.
async fn early_in_a_minute() {
    use chrono::Timelike;
    let second = domain::clock::now().second();
    if second >= 40 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

async fn portfolio(app: &TestApp, client: &reqwest::Client) -> Page {
    let response = app.page(client, "/").await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let timing = header("server-timing");
    let csp = header("content-security-policy");
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the CSP");
    let nonce = nonce.to_string();
    Page { timing, nonce, body: response.text().await.unwrap() }
}

#[tokio::test]
async fn the_portfolio_is_kept_until_a_client_changes_and_each_answer_carries_its_own_nonce() {
    on_each_backend(|app| async move {
        early_in_a_minute().await;
        app.add_client("Alpha Ltd", "alpha").await;
        app.add_user(MANAGER, "manager", &[]).await;
        let manager = app.signed_in(MANAGER).await;
        let first = portfolio(&app, &manager).await;
        assert!(first.rendered(), "{}", first.timing);
        assert_eq!(first.figure("Active clients"), 1);
        let second = portfolio(&app, &manager).await;
        assert!(second.kept(), "{}", second.timing);
        assert_ne!(first.nonce, second.nonce, "each request has its own nonce");
        assert!(second.body.contains(&format!("nonce=\"{}\"", second.nonce)), "the answer's scripts carry its nonce");
        assert!(!second.body.contains(&first.nonce), "the render's nonce is not kept");
        assert_eq!(first.body.replace(&first.nonce, "N"), second.body.replace(&second.nonce, "N"), "the same page");

        // A change to a client moves its kept score: the next load shows it.
        app.add_client("Beta Ltd", "beta").await;
        let third = portfolio(&app, &manager).await;
        assert!(third.rendered(), "{}", third.timing);
        assert_eq!(third.figure("Active clients"), 2);
        // Someone's sign-in reaches no client's score: still kept.
        app.add_user(ADMIN, "admin", &[]).await;
        let _admin = app.signed_in(ADMIN).await;
        assert!(portfolio(&app, &manager).await.kept());
    })
    .await;
}

#[tokio::test]
async fn a_page_is_kept_for_its_session_and_reader_only() {
    on_each_backend(|app| async move {
        early_in_a_minute().await;
        use domain::identity::totp;
        app.add_client("Alpha Ltd", "alpha").await;
        app.add_user(MANAGER, "manager", &[]).await;
        app.add_user(ADMIN, "admin", &[]).await;
        let manager = app.signed_in(MANAGER).await;
        assert!(portfolio(&app, &manager).await.rendered());
        assert!(portfolio(&app, &manager).await.kept());

        // Another user, and the same user in another session, each get their own render.
        let admin = app.signed_in(ADMIN).await;
        let admins = portfolio(&app, &admin).await;
        assert!(admins.rendered(), "{}", admins.timing);
        assert!(admins.body.contains("Test admin") && !admins.body.contains("Test manager"));
        let elsewhere = app.signed_in(MANAGER).await;
        assert!(portfolio(&app, &elsewhere).await.rendered());

        // The reader changed (two-factor sign-in set up): rendered again.
        let setup: serde_json::Value =
            app.call(&manager, "/api/auth/start_mfa_enrolment", &[]).await.json().await.unwrap();
        let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
        let code = totp::code_at_step(&secret, totp::step_of(domain::clock::now().timestamp()), totp::DIGITS);
        assert_eq!(app.call(&manager, "/api/auth/confirm_mfa_enrolment", &[("code", &code)]).await.status(), 200);
        assert!(portfolio(&app, &manager).await.rendered());
        assert!(portfolio(&app, &manager).await.kept());

        // A reader whose sessions ended (a new role) is sent to sign in, never served the page.
        domain::identity::change_role(
            &app.db,
            &domain::Actor::command_line(),
            MANAGER,
            "auditor",
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let ended = app.page(&manager, "/").await;
        assert_eq!(ended.status(), 303, "sent to sign in");
        assert!(!ended.text().await.unwrap().contains("Active clients"));
    })
    .await;
}

#[tokio::test]
async fn a_message_shown_once_is_shown_on_the_kept_page_and_then_gone() {
    on_each_backend(|app| async move {
        early_in_a_minute().await;
        app.add_user(ADMIN, "admin", &[]).await;
        let admin = app.signed_in(ADMIN).await;
        assert!(portfolio(&app, &admin).await.rendered());
        assert!(portfolio(&app, &admin).await.kept());
        // Adding a person reaches no client's score; the message waits for the next page.
        let person = [
            ("email", "kim@msp.example"),
            ("display_name", "Kim Park"),
            ("role", "technician"),
            ("password", "a long enough first password"),
        ];
        let posted = app.post_form(&admin, "/api/users/create", "/", &person).await;
        assert_eq!(posted.status(), 302);
        let said = "class=\"alert alert-success flash\">Added.";
        let next = portfolio(&app, &admin).await;
        assert_eq!(next.body.matches(said).count(), 1, "the next page says what was done ({})", next.timing);
        let later = portfolio(&app, &admin).await;
        assert!(!later.body.contains(said), "once");
    })
    .await;
}

#[tokio::test]
async fn a_reader_limited_to_some_clients_is_always_rendered() {
    on_each_backend(|app| async move {
        early_in_a_minute().await;
        app.add_client("Alpha Ltd", "alpha").await;
        app.add_client("Beta Ltd", "beta").await;
        app.add_user("tech@example.test", "technician", &["alpha"]).await;
        let tech = app.signed_in("tech@example.test").await;
        for _ in 0..2 {
            let page = portfolio(&app, &tech).await;
            assert!(!page.kept(), "{}", page.timing);
            assert_eq!(page.figure("Active clients"), 1, "their one client");
        }
    })
    .await;
}

/// Runs `sql` on the test's database.
async fn execute(app: &TestApp, sql: &str) {
    match &app.db {
        domain::Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        domain::Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

/// The ids of every session in the database.
async fn session_ids(app: &TestApp) -> Vec<String> {
    let sql = "SELECT id FROM sessions";
    match &app.db {
        domain::Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        domain::Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
    }
    .unwrap()
}

/// `email` signed in afresh, with their new session's id, and their portfolio rendered once and
/// then answered at once.
async fn kept_at_once(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let before = session_ids(app).await;
    let client = app.signed_in(email).await;
    let id = session_ids(app).await.into_iter().find(|id| !before.contains(id)).expect("a new session");
    assert!(portfolio(app, &client).await.rendered());
    let again = portfolio(app, &client).await;
    assert!(again.at_once(), "{}", again.timing);
    (client, id)
}

#[tokio::test]
async fn a_page_is_answered_at_once_only_for_a_current_session_of_an_active_user() {
    on_each_backend(|app| async move {
        early_in_a_minute().await;
        app.add_client("Alpha Ltd", "alpha").await;
        app.add_user(MANAGER, "manager", &[]).await;

        // The session's cookie, and nothing else, is what is answered at once; a cookie naming
        // no session, or naming one twice, goes the full path.
        let (_, id) = kept_at_once(&app, MANAGER).await;
        let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let with_cookie =
            |cookie: String| bare.get(app.url("/")).header("accept", "text/html").header("cookie", cookie).send();
        let own = with_cookie(format!("rampart_session={id}")).await.unwrap();
        assert_eq!(own.headers()["server-timing"], "page;desc=\"kept at once\"");
        let twice = with_cookie(format!("rampart_session={id}; rampart_session={id}")).await.unwrap();
        assert_eq!(twice.status(), 200);
        assert_eq!(twice.headers()["server-timing"], "page;desc=\"kept\"", "the full path");
        let forged = with_cookie("rampart_session=AAAAAAAAAAAAAAAAAAAAAA".into()).await.unwrap();
        assert_eq!(forged.status(), 303, "no such session: sent to sign in");
        let garbled = with_cookie("rampart_session=not-an-id".into()).await.unwrap();
        assert_eq!(garbled.status(), 303);

        // A session issued longer ago than the absolute lifetime is not served.
        let (old, id) = kept_at_once(&app, MANAGER).await;
        execute(&app, &format!("UPDATE sessions SET started_at = 1 WHERE id = '{id}'")).await;
        assert_eq!(app.page(&old, "/").await.status(), 303);

        // Nor an expired one.
        let (expired, id) = kept_at_once(&app, MANAGER).await;
        execute(&app, &format!("UPDATE sessions SET expires_at = 1 WHERE id = '{id}'")).await;
        assert_eq!(app.page(&expired, "/").await.status(), 303);

        // Nor the session of a user disabled (here without the sessions ended beside, as a
        // change made elsewhere might leave them).
        let (disabled, _) = kept_at_once(&app, MANAGER).await;
        execute(&app, &format!("UPDATE users SET disabled_at = created_at WHERE email = '{MANAGER}'")).await;
        let refused = app.page(&disabled, "/").await;
        assert_eq!(refused.status(), 401, "the full path ends the session: signed out");
        assert!(!refused.text().await.unwrap().contains("Active clients"));
    })
    .await;
}
