//! Rampart's own hardening over HTTP: security headers with a per-request script nonce, login
//! throttling, and sessions (lifetime, sign out everywhere, disabled users).

use crate::support::{on_each_backend, TestApp};

const MANAGER: &str = "manager@example.test";

/// The nonce named in a Content-Security-Policy.
fn nonce_of(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let end = csp[start..].find('\'').expect("the nonce ends") + start;
    csp[start..end].to_owned()
}

/// Every `nonce="…"` attribute in a page.
fn nonces_in(html: &str) -> Vec<String> {
    html.split("nonce=\"").skip(1).map(|rest| rest.split('"').next().unwrap_or_default().to_owned()).collect()
}

async fn assert_hardened(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = app.page(client, path).await;
    let headers = response.headers().clone();
    for (name, value) in
        [("x-content-type-options", "nosniff"), ("referrer-policy", "same-origin"), ("x-frame-options", "DENY")]
    {
        assert_eq!(headers.get(name).map(|v| v.to_str().unwrap()), Some(value), "{name} on {path}");
    }
    assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain http ({path})");
    let csp = headers["content-security-policy"].to_str().unwrap().to_owned();
    for directive in ["frame-ancestors 'none'", "img-src 'self'", "'wasm-unsafe-eval'", "object-src 'none'"] {
        assert!(csp.contains(directive), "{directive} on {path}: {csp}");
    }
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    let nonce = nonce_of(&csp);
    let html = response.text().await.unwrap();
    let in_page = nonces_in(&html);
    assert!(!in_page.is_empty(), "the hydration scripts of {path} carry a nonce");
    assert!(in_page.iter().all(|n| *n == nonce), "{path}: page nonces {in_page:?}, header {nonce}");
    // Every inline script carries the nonce.
    for script in html.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "a script without the nonce on {path}: <script{tag}>");
    }
    nonce
}

#[tokio::test]
async fn every_page_carries_the_security_headers_and_a_fresh_script_nonce() {
    on_each_backend(|app| async move {
        app.add_user(MANAGER, "manager", &[]).await;
        app.add_client("Acme", "acme").await;
        let anonymous = app.client();
        let first = assert_hardened(&app, &anonymous, "/login").await;
        let second = assert_hardened(&app, &anonymous, "/login").await;
        assert_ne!(first, second, "a new nonce for every request");
        assert!(first.len() >= 16, "a nonce long enough not to be guessed: {first}");
        let client = app.signed_in(MANAGER).await;
        for path in ["/", "/clients", "/clients/acme", "/audit", "/no/such/page"] {
            assert_hardened(&app, &client, path).await;
        }
        // Answers that are not pages carry the headers too.
        let health = client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.headers()["x-content-type-options"], "nosniff");
        assert!(health.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    })
    .await;
}

async fn sign_in_answer(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> (u16, String) {
    let response =
        app.call(client, "/api/auth/sign_in", &[("email", email), ("password", password), ("next", "")]).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn repeated_failures_are_refused_with_429_and_the_same_message_for_any_account() {
    on_each_backend(|app| async move {
        app.add_user(MANAGER, "manager", &[]).await;
        let client = app.client();
        for email in [MANAGER, "nobody@example.test"] {
            for _ in 0..domain::identity::throttle::ACCOUNT_LIMIT {
                let (status, body) = sign_in_answer(&app, &client, email, "not the password").await;
                assert_eq!(status, 401, "{body}");
            }
        }
        let (status, refused) = sign_in_answer(&app, &client, MANAGER, crate::support::PASSWORD).await;
        assert_eq!(status, 429, "the right password is refused too, for now: {refused}");
        let (status, unknown) = sign_in_answer(&app, &client, "nobody@example.test", crate::support::PASSWORD).await;
        assert_eq!(status, 429);
        assert_eq!(refused, unknown, "the same answer whether or not the account exists");
        let error: app::error::AppError = serde_json::from_str(&refused).unwrap();
        assert_eq!(error, app::error::AppError::TooManyAttempts { minutes: 15 });
        // A plain form (no JavaScript) is sent back to the sign-in page, which says why.
        let failed = client
            .post(app.url("/api/auth/sign_in"))
            .header("accept", "text/html")
            .header("origin", &app.base)
            .header("referer", app.url("/login"))
            .form(&[("email", MANAGER), ("password", crate::support::PASSWORD), ("next", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(failed.status(), 302);
        let back = failed.headers()["location"].to_str().unwrap().to_owned();
        let page = app.page(&client, &back[app.base.len()..]).await.text().await.unwrap();
        assert!(page.contains("Too many attempts; try again in 15 minutes."), "{page}");
        // The limit belongs to the account: another one may still sign in from here.
        app.add_user("auditor@example.test", "auditor", &[]).await;
        let (status, _) = sign_in_answer(&app, &client, "auditor@example.test", crate::support::PASSWORD).await;
        assert_eq!(status, 200);
    })
    .await;
}

/// A loop of anonymous requests cannot grow the append-only audit log one entry per request:
/// single sign-on callbacks with a made-up state (single sign-on not even set up), and sign-ins
/// with no password for ever new accounts from one address, leave the entries of one burst.
#[tokio::test]
async fn a_flood_of_anonymous_requests_leaves_a_bounded_trace_in_the_audit_log() {
    on_each_backend(|app| async move {
        let before = domain::audit::all_entries(&app.db).await.unwrap().len();
        let client = app.client();
        for n in 0..30 {
            let callback = format!("/auth/sso/callback?state=made-up-{n}&code=nothing");
            assert!(app.page(&client, &callback).await.status().is_redirection());
            let (status, _) = sign_in_answer(&app, &client, &format!("stranger{n}@example.test"), "").await;
            assert!(status == 401 || status == 429, "{status}");
        }
        let entries = domain::audit::all_entries(&app.db).await.unwrap();
        let added: Vec<&str> = entries[before..].iter().map(|e| e.action.as_str()).collect();
        // The first failure from the address, and the one that filled its window.
        assert_eq!(added, ["auth.sign_in_failed", "auth.sign_in_throttled"], "{added:?}");
    })
    .await;
}

#[tokio::test]
async fn many_failures_from_one_address_lock_that_address() {
    on_each_backend(|app| async move {
        app.add_user(MANAGER, "manager", &[]).await;
        let client = app.client();
        for n in 0..domain::identity::throttle::ADDRESS_LIMIT {
            let (status, _) = sign_in_answer(&app, &client, &format!("guess{n}@example.test"), "whatever").await;
            assert_eq!(status, 401);
        }
        // The peer address (127.0.0.1) is locked, whatever the account.
        let (status, body) = sign_in_answer(&app, &client, MANAGER, crate::support::PASSWORD).await;
        assert_eq!(status, 429, "{body}");
        let entries = domain::audit::all_entries(&app.db).await.unwrap();
        let throttled = entries.iter().find(|e| e.action == "auth.sign_in_throttled").expect("audited");
        assert!(throttled.summary.contains("from 127.0.0.1"), "{}", throttled.summary);
    })
    .await;
}

/// A server function that needs a signed-in user.
async fn list_clients(app: &TestApp, client: &reqwest::Client) -> u16 {
    app.call(client, "/api/controls/overdue", &[]).await.status().as_u16()
}

#[tokio::test]
async fn a_user_disabled_mid_session_is_signed_out_at_the_next_request() {
    on_each_backend(|app| async move {
        app.add_user(MANAGER, "manager", &[]).await;
        let client = app.signed_in(MANAGER).await;
        assert_eq!(list_clients(&app, &client).await, 200);
        assert_eq!(app.page(&client, "/clients").await.status(), 200);
        domain::identity::disable_user(&app.db, &domain::Actor::command_line(), MANAGER, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(list_clients(&app, &client).await, 401);
        let page = app.page(&client, "/clients").await;
        assert_eq!(page.status(), 303);
        assert_eq!(page.headers()["location"], "/login?next=/clients");
    })
    .await;
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_user_only() {
    on_each_backend(|app| async move {
        app.add_user(MANAGER, "manager", &[]).await;
        app.add_user("auditor@example.test", "auditor", &[]).await;
        let laptop = app.signed_in(MANAGER).await;
        let phone = app.signed_in(MANAGER).await;
        let colleague = app.signed_in("auditor@example.test").await;
        let account = app.page(&laptop, "/account").await;
        assert_eq!(account.status(), 200);
        let html = account.text().await.unwrap();
        assert!(html.contains("Sign out everywhere") && html.contains(MANAGER), "the account page");

        let response = app.call(&phone, "/api/auth/sign_out_everywhere", &[]).await;
        assert_eq!(response.status(), 200);
        for client in [&laptop, &phone] {
            assert_eq!(list_clients(&app, client).await, 401);
        }
        assert_eq!(list_clients(&app, &colleague).await, 200, "another user's session goes on");
        assert_eq!(app.call(&app.client(), "/api/auth/sign_out_everywhere", &[]).await.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime_however_active() {
    on_each_backend(|app| async move {
        app.add_user(MANAGER, "manager", &[]).await;
        let client = app.signed_in(MANAGER).await;
        assert_eq!(list_clients(&app, &client).await, 200);
        // Signed in 12 hours and a minute ago (the tests' RAMPART_SESSION_MAX_HOURS is 12).
        let started = chrono::Utc::now().timestamp() - 12 * 3600 - 60;
        domain::testing::backdate_sessions(&app.db, started).await;
        assert_eq!(list_clients(&app, &client).await, 401);
    })
    .await;
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("rampart_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn me(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    app.call(client, "/api/auth/me", &[]).await.json().await.unwrap()
}

#[tokio::test]
async fn with_two_factor_sign_in_the_password_alone_signs_nobody_in() {
    on_each_backend(|app| async move {
        use domain::identity::{mfa, totp};
        app.add_user(MANAGER, "manager", &[]).await;
        let client = app.signed_in(MANAGER).await;
        assert_eq!(app.page(&client, "/account").await.status(), 200);
        let setup = app.call(&client, "/api/auth/start_mfa_enrolment", &[]).await;
        assert_eq!(setup.status(), 200);
        let setup: serde_json::Value = setup.json().await.unwrap();
        let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
        let code_now = || totp::code_at_step(&secret, totp::step_of(domain::clock::now().timestamp()), totp::DIGITS);
        let confirmed = app.call(&client, "/api/auth/confirm_mfa_enrolment", &[("code", &code_now())]).await;
        assert_eq!(confirmed.status(), 200);
        let codes: Vec<String> = confirmed.json().await.unwrap();
        assert_eq!(codes.len(), mfa::RECOVERY_CODES);
        let status: serde_json::Value = app.call(&client, "/api/auth/mfa_status", &[]).await.json().await.unwrap();
        assert_eq!(status["enrolled"], true);

        // Signing in again: the password starts a new session that is not signed in.
        let browser = app.client();
        let form = [("email", MANAGER), ("password", crate::support::PASSWORD), ("next", "/clients")];
        let password = app.call(&browser, "/api/auth/sign_in", &form).await;
        assert_eq!(password.status(), 200);
        let half = session_cookie(&password).expect("a session for the second step");
        assert_eq!(me(&app, &browser).await, serde_json::Value::Null, "not signed in before the code");
        assert_eq!(list_clients(&app, &browser).await, 401);
        assert_eq!(app.page(&browser, "/login/code").await.status(), 200);
        let wrong = app.call(&browser, "/api/auth/sign_in_code", &[("code", "not-a-code")]).await;
        assert_eq!(wrong.status(), 422);
        // A recovery code signs in once, with yet another session id.
        let ok = app.call(&browser, "/api/auth/sign_in_code", &[("code", &codes[0])]).await;
        assert_eq!(ok.status(), 200);
        let full = session_cookie(&ok).expect("a new session id after the code");
        assert_ne!(half, full);
        assert_eq!(me(&app, &browser).await["email"], MANAGER);
        assert_eq!(list_clients(&app, &browser).await, 200);

        // Without a password first, a code signs nobody in.
        let stranger = app.client();
        let alone = app.call(&stranger, "/api/auth/sign_in_code", &[("code", &codes[1])]).await;
        assert_eq!(alone.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn roles_that_must_use_two_factor_sign_in_are_sent_to_set_it_up() {
    crate::support::on_each_backend_with(
        |config| config.mfa_required_roles = vec![domain::Role::Admin, domain::Role::Manager],
        |app| async move {
            use domain::identity::totp;
            app.add_user(MANAGER, "manager", &[]).await;
            app.add_user("auditor@example.test", "auditor", &[]).await;
            let auditor = app.signed_in("auditor@example.test").await;
            assert_eq!(app.page(&auditor, "/clients").await.status(), 200, "auditors need not");

            let manager = app.signed_in(MANAGER).await;
            for path in ["/", "/clients", "/audit"] {
                let page = app.page(&manager, path).await;
                assert_eq!(page.status(), 303, "{path}");
                assert_eq!(page.headers()["location"], "/account");
            }
            let account = app.page(&manager, "/account").await;
            assert_eq!(account.status(), 200);
            let text = account.text().await.unwrap();
            assert!(text.contains("Set up two-factor sign-in first."), "the account page says why");

            // Not only pages: no server function changes anything until it is set up, and
            // reading stays allowed.
            let client = crate::support::new_client_form("Refused Ltd", "refused");
            let refused = app.call(&manager, "/api/clients/create", &client).await;
            assert_eq!(refused.status(), 403);
            let body = refused.text().await.unwrap();
            assert!(body.contains("TwoFactorRequired"), "{body}");
            let listed = app.call(&manager, "/api/clients/list", &[("query[archived]", "false")]).await;
            assert_eq!(listed.status(), 200, "reading is allowed");
            assert!(
                domain::clients::get_client(&app.db, &domain::Actor::command_line(), "refused").await.is_err(),
                "nothing was written"
            );

            let setup: serde_json::Value =
                app.call(&manager, "/api/auth/start_mfa_enrolment", &[]).await.json().await.unwrap();
            let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
            let code = totp::code_at_step(&secret, totp::step_of(domain::clock::now().timestamp()), totp::DIGITS);
            let confirmed = app.call(&manager, "/api/auth/confirm_mfa_enrolment", &[("code", &code)]).await;
            assert_eq!(confirmed.status(), 200);
            assert_eq!(app.page(&manager, "/clients").await.status(), 200, "once set up");
            assert_eq!(
                app.call(&manager, "/api/clients/create", &client).await.status(),
                200,
                "and changes go through"
            );
        },
    )
    .await;
}
