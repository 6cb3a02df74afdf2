//! Single sign-on end to end against a real OpenID provider on loopback (tests/oidc/provider.rs):
//! the admin's settings and "Test configuration", linking by a verified address, identities by
//! issuer and subject, just-in-time users (off by default), role mapping, allowed domains,
//! Rampart's two-factor code after the provider, and every tampered answer refused with nobody
//! signed in: state, browser, replay, nonce, issuer, audience, expiry and signature. On SQLite
//! and PostgreSQL.

use crate::provider::{Person, Provider, Tamper};
use crate::support::{on_each_backend, TestApp};

const ADMIN: &str = "admin@msp.example";
const MANAGER: &str = "manager@msp.example";

/// Saves the provider's settings through the admin's server function; answers the new version.
async fn configure(app: &TestApp, admin: &reqwest::Client, idp: &Provider, extra: &[(&str, &str)]) -> i64 {
    let settings: serde_json::Value = app.call(admin, "/api/sso/settings", &[]).await.json().await.unwrap();
    let version = settings["version"].as_i64().unwrap().to_string();
    let mut form: Vec<(&str, &str)> = vec![
        ("enabled", "on"),
        ("display_name", "Test IdP"),
        ("issuer", &idp.issuer),
        ("client_id", crate::provider::CLIENT_ID),
        ("client_secret", crate::provider::CLIENT_SECRET),
        ("allowed_domains", "msp.example"),
        ("jit_role", "technician"),
        ("version", &version),
    ];
    // "(off)" leaves a field out, as a browser does with an unticked box.
    for (key, value) in extra {
        form.retain(|(k, _)| k != key);
        if *value != "(off)" {
            form.push((key, value));
        }
    }
    let saved = app.call(admin, "/api/sso/save_settings", &form).await;
    let status = saved.status();
    let body = saved.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body.parse().unwrap()
}

/// How a sign-in through the provider ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Signed in (or waiting for the code): the page moves on to this address.
    Continue(String),
    /// Sent back to the sign-in page with this error code.
    Refused(String),
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").expect("a redirect").to_str().unwrap().to_owned()
}

/// The browser's part up to the provider's answer: Rampart's start (checking the sign-in's own
/// cookie and the authorization request), then the provider's authorize. Answers the callback
/// address the provider sends the browser to.
async fn authorize(app: &TestApp, browser: &reqwest::Client, next: &str) -> String {
    let start = app.page(browser, &format!("/auth/sso/start?next={next}")).await;
    assert_eq!(start.status(), 303);
    let cookies: Vec<String> =
        start.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let sso_cookie = cookies.iter().find(|c| c.starts_with("rampart_sso=")).expect("the sign-in's own cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Max-Age=600", "Path=/auth/sso/"] {
        assert!(sso_cookie.contains(part), "{sso_cookie} has {part}");
    }
    let authorize = location(&start);
    for part in ["code_challenge_method=S256", "code_challenge=", "nonce=", "state=", "scope=openid"] {
        assert!(authorize.contains(part), "{authorize} has {part}");
    }
    let at_provider = browser.get(&authorize).send().await.unwrap();
    assert_eq!(at_provider.status(), 303);
    location(&at_provider)
}

/// A whole sign-in, with `tweak` applied to the callback address. Answers the outcome and the
/// callback address used.
async fn sign_in_through(
    app: &TestApp,
    browser: &reqwest::Client,
    next: &str,
    tweak: impl FnOnce(String) -> String,
) -> (Outcome, String) {
    let callback = tweak(authorize(app, browser, next).await);
    (callback_outcome(browser, &callback).await, callback)
}

async fn callback_outcome(browser: &reqwest::Client, callback: &str) -> Outcome {
    let answer = browser.get(callback).header("accept", "text/html").send().await.unwrap();
    let cleared = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("rampart_sso=;") && v.to_str().unwrap().contains("Max-Age=0"));
    assert!(cleared, "the sign-in's cookie is cleared at the callback");
    match answer.status().as_u16() {
        200 => {
            let body = answer.text().await.unwrap();
            let target = body.split("url=").nth(1).and_then(|rest| rest.split('"').next()).expect("a refresh target");
            Outcome::Continue(target.to_owned())
        }
        303 => {
            let to = location(&answer);
            Outcome::Refused(to.strip_prefix("/login?sso_error=").unwrap_or(&to).to_owned())
        }
        other => panic!("unexpected callback status {other}"),
    }
}

async fn me(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    app.call(client, "/api/auth/me", &[]).await.json().await.unwrap()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String)> {
    domain::audit::all_entries(&app.db).await.unwrap().into_iter().map(|e| (e.action, e.summary)).collect()
}

async fn setup(app: &TestApp) -> (Provider, reqwest::Client) {
    app.add_user(ADMIN, "admin", &[]).await;
    app.add_user(MANAGER, "manager", &[]).await;
    let idp = crate::provider::start().await;
    let admin = app.signed_in(ADMIN).await;
    configure(app, &admin, &idp, &[]).await;
    (idp, admin)
}

#[tokio::test]
async fn an_admin_configures_the_provider_and_the_secret_never_comes_back() {
    on_each_backend(|app| async move {
        let (idp, admin) = setup(&app).await;
        let settings = app.call(&admin, "/api/sso/settings", &[]).await.text().await.unwrap();
        assert!(!settings.contains(crate::provider::CLIENT_SECRET), "{settings}");
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
        assert_eq!(settings["has_secret"], true);
        assert_eq!(settings["issuer"], idp.issuer);
        assert!(settings["redirect_uri"].as_str().unwrap().ends_with("/auth/sso/callback"));
        // The audit log says the secret changed, never what it is.
        let audit = audit_actions(&app).await;
        let update = audit.iter().find(|(a, _)| a == "sso.settings_update").expect("audited");
        assert!(
            update.1.contains("client secret") && !update.1.contains(crate::provider::CLIENT_SECRET),
            "{}",
            update.1
        );
        // Saving again with an empty secret keeps it; a stale version is refused, unchanged.
        let version = configure(&app, &admin, &idp, &[("client_secret", ""), ("display_name", "Renamed IdP")]).await;
        let stale = app
            .call(
                &admin,
                "/api/sso/save_settings",
                &[
                    ("display_name", "Stale"),
                    ("issuer", &idp.issuer),
                    ("client_id", "x"),
                    ("jit_role", "technician"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(stale.status(), 409);
        let bad = app
            .call(
                &admin,
                "/api/sso/save_settings",
                &[
                    ("display_name", ""),
                    ("issuer", "http://idp.example.com"),
                    ("client_id", "x"),
                    ("jit_role", "client_viewer"),
                    ("version", &version.to_string()),
                ],
            )
            .await;
        assert_eq!(bad.status(), 422);
        let bad: serde_json::Value = bad.json().await.unwrap();
        let fields = bad.to_string();
        for field in ["display_name", "issuer", "jit_role"] {
            assert!(fields.contains(field), "{field} in {fields}");
        }
        let option: serde_json::Value = app.call(&app.client(), "/api/sso/option", &[]).await.json().await.unwrap();
        assert_eq!(option, "Renamed IdP");
        // The login page shows the button, as a plain link.
        let login = app.page(&app.client(), "/login?next=/clients").await.text().await.unwrap();
        assert!(
            login.contains("Sign in with Renamed IdP") && login.contains("/auth/sso/start?next=/clients"),
            "button"
        );
        // The secret still works: a sign-in goes through.
        idp.sign_in_as(Person::new("sub-manager", MANAGER));
        let browser = app.client();
        let (outcome, _) = sign_in_through(&app, &browser, "/clients", |c| c).await;
        assert_eq!(outcome, Outcome::Continue("/clients".into()));

        // Test configuration: discovery of the provider, and a clear message for a wrong issuer.
        let tested = app.call(&admin, "/api/sso/test", &[("issuer", &idp.issuer)]).await;
        assert_eq!(tested.status(), 200);
        let tested: serde_json::Value = tested.json().await.unwrap();
        assert_eq!(tested["signing_keys"], 1);
        assert_eq!(tested["token_endpoint"], format!("{}/token", idp.issuer));
        let wrong = app.call(&admin, "/api/sso/test", &[("issuer", &format!("{}/nothing-here", idp.issuer))]).await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.unwrap().contains("discovery document"));
        // A discovery document may not send this server to a link-local address (where cloud
        // metadata services answer): refused, in plain words, without the address.
        idp.name_signing_keys_at("http://169.254.169.254/latest/meta-data/");
        let metadata = app.call(&admin, "/api/sso/test", &[("issuer", &idp.issuer)]).await;
        assert_eq!(metadata.status(), 422);
        let text = metadata.text().await.unwrap();
        assert!(
            text.contains("could not read the provider's discovery document") && !text.contains("169.254"),
            "{text}"
        );
        // A GET never starts a test: the page only shows the form.
        let page = app.page(&admin, &format!("/settings/sso?test_issuer={}", idp.issuer)).await.text().await.unwrap();
        assert!(!page.contains("The provider answered") && !page.contains("could not read"), "a GET reads nothing");
        // Only admins.
        let manager = app.signed_in(MANAGER).await;
        assert_eq!(app.call(&manager, "/api/sso/settings", &[]).await.status(), 403);
        assert_eq!(app.call(&manager, "/api/sso/test", &[("issuer", &idp.issuer)]).await.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_user_is_linked_by_a_verified_address_once_then_known_by_issuer_and_subject() {
    on_each_backend(|app| async move {
        let (idp, _) = setup(&app).await;
        let browser = app.client();
        idp.sign_in_as(Person::new("sub-42", MANAGER));
        let (outcome, _) = sign_in_through(&app, &browser, "/clients", |c| c).await;
        assert_eq!(outcome, Outcome::Continue("/clients".into()));
        assert_eq!(me(&app, &browser).await["email"], MANAGER);
        assert_eq!(app.page(&browser, "/clients").await.status(), 200);
        let audit = audit_actions(&app).await;
        assert!(audit.iter().any(|(a, s)| a == "sso.link" && s.contains("sub-42")), "{audit:?}");
        assert!(audit.iter().any(|(a, s)| a == "auth.sign_in" && s.contains("Test IdP")), "{audit:?}");

        // The address at the provider changes: still the same user (issuer and subject).
        let mut renamed = Person::new("sub-42", "m.anager@msp.example");
        renamed.name = "Renamed".into();
        idp.sign_in_as(renamed);
        let again = app.client();
        let (outcome, _) = sign_in_through(&app, &again, "", |c| c).await;
        assert_eq!(outcome, Outcome::Continue("/".into()));
        assert_eq!(me(&app, &again).await["email"], MANAGER);

        // Another subject with the manager's address is not linked a second time.
        idp.sign_in_as(Person::new("sub-impostor", MANAGER));
        let (outcome, _) = sign_in_through(&app, &app.client(), "", |c| c).await;
        assert_eq!(outcome, Outcome::Refused("no_account".into()));
        // Nor is an address the provider says is unverified, nor one outside the domains.
        let mut unverified = Person::new("sub-admin", ADMIN);
        unverified.email_verified = Some(false);
        idp.sign_in_as(unverified);
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("not_allowed".into()));
        // Nor one whose verification the provider does not state (linking by address needs
        // `email_verified: true`: some providers let anyone set any address).
        let mut unstated = Person::new("sub-unstated", ADMIN);
        unstated.email_verified = None;
        idp.sign_in_as(unstated);
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("not_allowed".into()));
        idp.sign_in_as(Person::new("sub-outsider", "someone@elsewhere.example"));
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("not_allowed".into()));
        // The person cancels at the provider.
        idp.sign_in_as_nobody();
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("cancelled".into()));
        // Refusals of an identity the provider vouched for are audited; a cancellation (which
        // anyone can send to the public callback) is logged only.
        let failures = audit_actions(&app).await.into_iter().filter(|(a, _)| a == "auth.sign_in_failed").count();
        assert_eq!(failures, 4);
    })
    .await;
}

#[tokio::test]
async fn tampered_answers_are_refused_and_sign_nobody_in() {
    on_each_backend(|app| async move {
        let (idp, _) = setup(&app).await;
        idp.sign_in_as(Person::new("sub-42", MANAGER));

        // A state that is not the one sent.
        let browser = app.client();
        let (outcome, _) = sign_in_through(&app, &browser, "", |c| c.replace("state=", "state=x")).await;
        assert_eq!(outcome, Outcome::Refused("expired".into()));
        assert_eq!(me(&app, &browser).await, serde_json::Value::Null);

        // The right state in another browser (without the sign-in's cookie).
        let browser = app.client();
        let stolen = authorize(&app, &browser, "").await;
        let other = app.client();
        assert_eq!(callback_outcome(&other, &stolen).await, Outcome::Refused("expired".into()));
        assert_eq!(me(&app, &other).await, serde_json::Value::Null);

        // A callback used twice: the second is refused.
        let browser = app.client();
        let (first, used) = sign_in_through(&app, &browser, "", |c| c).await;
        assert_eq!(first, Outcome::Continue("/".into()));
        let replay = app.client();
        assert_eq!(callback_outcome(&replay, &used).await, Outcome::Refused("expired".into()));

        // ID tokens with another issuer, audience or nonce, expired, or signed with an unknown key.
        for tamper in [Tamper::Issuer, Tamper::Audience, Tamper::Nonce, Tamper::Expired, Tamper::Signature] {
            idp.tamper(tamper);
            let browser = app.client();
            let (outcome, _) = sign_in_through(&app, &browser, "", |c| c).await;
            assert_eq!(outcome, Outcome::Refused("failed".into()), "{tamper:?}");
            assert_eq!(me(&app, &browser).await, serde_json::Value::Null, "{tamper:?}");
            assert_eq!(app.page(&browser, "/clients").await.status(), 303, "{tamper:?}");
        }
        let audit = audit_actions(&app).await;
        let refused: Vec<_> =
            audit.iter().filter(|(a, _)| a == "auth.sign_in_failed").map(|(_, s)| s.clone()).collect();
        // The five ID tokens that failed their checks are audited; a wrong state, another
        // browser and a replay (anyone can send those to the public callback) are logged only.
        assert_eq!(refused.len(), 5, "{refused:?}");
        assert!(refused.iter().all(|s| !s.contains("code-")), "no code in the audit log: {refused:?}");
    })
    .await;
}

#[tokio::test]
async fn users_are_created_at_first_sign_in_only_when_turned_on_and_roles_follow_the_mapping() {
    on_each_backend(|app| async move {
        let (idp, admin) = setup(&app).await;
        let newcomer = "newcomer@msp.example";
        idp.sign_in_as(Person::new("sub-new", newcomer));
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("no_account".into()));

        configure(&app, &admin, &idp, &[("jit_enabled", "on"), ("jit_role", "auditor")]).await;
        let browser = app.client();
        assert_eq!(sign_in_through(&app, &browser, "", |c| c).await.0, Outcome::Continue("/".into()));
        let who = me(&app, &browser).await;
        assert_eq!((who["email"].as_str(), who["role"].as_str()), (Some(newcomer), Some("auditor")));
        assert_eq!(who["display_name"], "Person sub-new");
        // Created without a password: the password form cannot sign them in.
        let password = app
            .call(&app.client(), "/api/auth/sign_in", &[("email", newcomer), ("password", crate::support::PASSWORD)])
            .await;
        assert_eq!(password.status(), 401);

        // With a role claim, the first mapped group wins at every sign-in; no group, no entry.
        configure(
            &app,
            &admin,
            &idp,
            &[
                ("jit_enabled", "on"),
                ("role_claim", "groups"),
                ("role_mapping", "rampart-admins = admin\nrampart-staff = manager"),
            ],
        )
        .await;
        let mut grouped = Person::new("sub-new", newcomer);
        grouped.groups = vec!["everyone".into(), "rampart-staff".into()];
        idp.sign_in_as(grouped.clone());
        let promoted = app.client();
        assert_eq!(sign_in_through(&app, &promoted, "", |c| c).await.0, Outcome::Continue("/".into()));
        assert_eq!(me(&app, &promoted).await["role"], "manager");
        // The role change ended the earlier session.
        assert_eq!(me(&app, &browser).await, serde_json::Value::Null);
        let audit = audit_actions(&app).await;
        assert!(audit.iter().any(|(a, s)| a == "user.role_change" && s.contains("auditor → manager")), "{audit:?}");

        grouped.groups = vec!["everyone".into()];
        idp.sign_in_as(grouped);
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("no_role".into()));

        // A new person with a mapped group gets the mapped role, not the default one.
        let mut boss = Person::new("sub-boss", "boss@msp.example");
        boss.groups = vec!["rampart-admins".into()];
        idp.sign_in_as(boss);
        let boss_browser = app.client();
        assert_eq!(sign_in_through(&app, &boss_browser, "", |c| c).await.0, Outcome::Continue("/".into()));
        assert_eq!(me(&app, &boss_browser).await["role"], "admin");
    })
    .await;
}

#[tokio::test]
async fn rampart_two_factor_code_is_asked_after_the_provider_unless_its_mfa_is_trusted() {
    on_each_backend(|app| async move {
        use domain::identity::totp;
        let (idp, admin) = setup(&app).await;
        let manager = app.signed_in(MANAGER).await;
        let setup: serde_json::Value =
            app.call(&manager, "/api/auth/start_mfa_enrolment", &[]).await.json().await.unwrap();
        let secret = totp::base32_decode(setup["secret"].as_str().unwrap()).unwrap();
        let code = |offset: i64| {
            totp::code_at_step(&secret, totp::step_of(domain::clock::now().timestamp()) + offset, totp::DIGITS)
        };
        assert_eq!(app.call(&manager, "/api/auth/confirm_mfa_enrolment", &[("code", &code(0))]).await.status(), 200);

        let mut person = Person::new("sub-42", MANAGER);
        person.amr = vec!["pwd".into(), "mfa".into()];
        idp.sign_in_as(person);
        let browser = app.client();
        assert_eq!(sign_in_through(&app, &browser, "/clients", |c| c).await.0, Outcome::Continue("/login/code".into()));
        assert_eq!(me(&app, &browser).await, serde_json::Value::Null, "not signed in before the code");
        let signed = app.call(&browser, "/api/auth/sign_in_code", &[("code", &code(1))]).await;
        assert_eq!(signed.status(), 200);
        assert_eq!(me(&app, &browser).await["email"], MANAGER);

        // The admin trusts the provider's MFA: its "mfa" stands for the code.
        configure(&app, &admin, &idp, &[("trust_provider_mfa", "on"), ("client_secret", "")]).await;
        let trusted = app.client();
        assert_eq!(sign_in_through(&app, &trusted, "", |c| c).await.0, Outcome::Continue("/".into()));
        assert_eq!(me(&app, &trusted).await["email"], MANAGER);
        // Without "mfa" in the token, the code is asked again.
        idp.sign_in_as(Person::new("sub-42", MANAGER));
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Continue("/login/code".into()));
    })
    .await;
}

#[tokio::test]
async fn disabled_users_and_client_viewers_do_not_sign_in_and_sso_off_shows_no_button() {
    on_each_backend(|app| async move {
        let (idp, admin) = setup(&app).await;
        app.add_client("Acme", "acme").await;
        app.add_user("viewer@msp.example", "client_viewer", &["acme"]).await;
        idp.sign_in_as(Person::new("sub-viewer", "viewer@msp.example"));
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("no_account".into()));
        domain::identity::disable_user(&app.db, &domain::Actor::command_line(), MANAGER, chrono::Utc::now())
            .await
            .unwrap();
        idp.sign_in_as(Person::new("sub-42", MANAGER));
        assert_eq!(sign_in_through(&app, &app.client(), "", |c| c).await.0, Outcome::Refused("no_account".into()));

        configure(&app, &admin, &idp, &[("enabled", "(off)"), ("client_secret", "")]).await;
        let option: serde_json::Value = app.call(&app.client(), "/api/sso/option", &[]).await.json().await.unwrap();
        assert_eq!(option, serde_json::Value::Null);
        let login = app.page(&app.client(), "/login").await.text().await.unwrap();
        assert!(!login.contains("/auth/sso/start"), "no button while off");
        let start = app.page(&app.client(), "/auth/sso/start").await;
        assert_eq!(location(&start), "/login?sso_error=off");
    })
    .await;
}

/// Saving the settings needs a recent confirmation; answers the status of an attempt.
async fn save_status(app: &TestApp, browser: &reqwest::Client, idp: &Provider) -> u16 {
    let settings: serde_json::Value = app.call(browser, "/api/sso/settings", &[]).await.json().await.unwrap();
    let version = settings["version"].as_i64().unwrap().to_string();
    let form = [
        ("enabled", "on"),
        ("display_name", "Renamed IdP"),
        ("issuer", idp.issuer.as_str()),
        ("client_id", crate::provider::CLIENT_ID),
        ("allowed_domains", "msp.example"),
        ("jit_role", "technician"),
        ("version", version.as_str()),
    ];
    app.call(browser, "/api/sso/save_settings", &form).await.status().as_u16()
}

/// A confirmation through the provider: start as one, the provider, the callback.
async fn confirm_through(app: &TestApp, browser: &reqwest::Client) -> Outcome {
    let start = app.page(browser, "/auth/sso/start?confirm=1&next=/audit").await;
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    assert!(authorize.contains("prompt=login") && authorize.contains("max_age=0"), "{authorize}");
    let at_provider = browser.get(&authorize).send().await.unwrap();
    callback_outcome(browser, &location(&at_provider)).await
}

#[tokio::test]
async fn only_a_confirmation_at_the_provider_with_a_fresh_authentication_confirms() {
    on_each_backend(|app| async move {
        let (idp, _) = setup(&app).await;
        // The admin signs in through the provider, which answers from its own session (nobody
        // need be at the keyboard): signed in, but that confirms nothing.
        let browser = app.client();
        idp.sign_in_as(Person::new("sub-admin", ADMIN));
        let (outcome, _) = sign_in_through(&app, &browser, "", |c| c).await;
        assert_eq!(outcome, Outcome::Continue("/".into()));
        assert_eq!(me(&app, &browser).await["email"], ADMIN);
        let plain = location(&app.page(&app.client(), "/auth/sso/start").await);
        assert!(!plain.contains("prompt=") && !plain.contains("max_age"), "{plain}");
        assert_eq!(save_status(&app, &browser, &idp).await, 403, "a plain sign-in is no confirmation");

        // A provider that ignores max_age answers a confirmation from its old session: the
        // auth_time shows it, and nothing is confirmed.
        idp.ignore_max_age();
        let stale = app.client();
        assert_eq!(sign_in_through(&app, &stale, "", |c| c).await.0, Outcome::Continue("/".into()));
        assert_eq!(confirm_through(&app, &stale).await, Outcome::Continue("/audit".into()));
        assert_eq!(save_status(&app, &stale, &idp).await, 403, "an old authentication confirms nothing");
    })
    .await;
}

#[tokio::test]
async fn a_confirmation_at_the_provider_that_authenticates_now_allows_sensitive_actions() {
    on_each_backend(|app| async move {
        let (idp, _) = setup(&app).await;
        let browser = app.client();
        idp.sign_in_as(Person::new("sub-admin", ADMIN));
        assert_eq!(sign_in_through(&app, &browser, "", |c| c).await.0, Outcome::Continue("/".into()));
        assert_eq!(confirm_through(&app, &browser).await, Outcome::Continue("/audit".into()));
        assert_eq!(save_status(&app, &browser, &idp).await, 200);
    })
    .await;
}
