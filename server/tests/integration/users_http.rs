//! People over HTTP, against the real app on both databases: step-up before sensitive actions
//! and exports (with the server's clock moved past the window), sessions ended by privilege
//! changes, and an invitation accepted through its link.

use crate::support::{move_clock, on_each_backend, TestApp, PASSWORD};

const ADMIN: &str = "admin@example.test";
const MANAGER: &str = "manager@example.test";

async fn audit_seq(app: &TestApp) -> i64 {
    domain::audit::all_entries(&app.db).await.unwrap().last().map(|e| e.seq).unwrap_or(0)
}

#[tokio::test]
async fn sensitive_actions_need_a_recent_confirmation_and_privilege_changes_end_sessions() {
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

#[tokio::test]
async fn a_client_viewer_invited_by_a_manager_joins_through_the_link_and_sees_only_their_client() {
    on_each_backend(|app| async move {
        app.add_client("Own Client Ltd", "own-client").await;
        app.add_client("Foreign Canary Ltd", "foreign-client").await;
        app.add_user(MANAGER, "manager", &[]).await;
        let manager = app.signed_in(MANAGER).await;
        let staff = [("email", "staff@example.test"), ("role", "technician")];
        assert_eq!(
            app.call(&manager, "/api/users/invite", &staff).await.status(),
            403,
            "managers invite client viewers only"
        );
        let form = [("email", "carol@example.test"), ("role", "client_viewer"), ("clients[]", "own-client")];
        let invited = app.call(&manager, "/api/users/invite", &form).await;
        assert_eq!(invited.status(), 200);
        let link: String = invited.json().await.unwrap();
        let path = link.strip_prefix(&app.base).expect("a link to this server").to_string();
        assert!(path.starts_with("/invite/") && path.len() == "/invite/".len() + 64, "{path}");
        let people = app.page(&manager, "/settings/users").await.text().await.unwrap();
        assert!(people.contains("carol@example.test"), "pending on the people page");

        // The invitee, not signed in, opens the link and sets a password.
        let carol = app.client();
        let page = app.page(&carol, &path).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("carol@example.test") && html.contains("Own Client Ltd"), "{html}");
        let token = path.trim_start_matches("/invite/");
        let short = [("token", token), ("display_name", "Carol"), ("password", "short")];
        assert_eq!(app.call(&carol, "/api/invitations/accept", &short).await.status(), 422);
        let accept = [("token", token), ("display_name", "Carol Client"), ("password", PASSWORD)];
        assert_eq!(app.call(&carol, "/api/invitations/accept", &accept).await.status(), 200);
        assert_eq!(app.page(&carol, "/clients/own-client").await.status(), 200, "signed in, on her client");
        let foreign = app.page(&carol, "/clients/foreign-client").await;
        assert_eq!(foreign.status(), 404);
        assert!(!foreign.text().await.unwrap().contains("Foreign Canary"));

        // The link works once; used, revoked and unknown links read alike.
        let again = app.page(&app.client(), &path).await;
        assert_eq!(again.status(), 404);
        let used = again.text().await.unwrap();
        assert!(used.contains("This invitation link cannot be used"), "{used}");
        let unknown = app.page(&app.client(), "/invite/0000").await.text().await.unwrap();
        assert!(unknown.contains("This invitation link cannot be used"));
        assert_eq!(app.call(&app.client(), "/api/invitations/accept", &accept).await.status(), 409);
    })
    .await;
}

#[tokio::test]
async fn a_form_refused_without_javascript_comes_back_with_what_was_typed_once_and_never_a_password() {
    on_each_backend(|app| async move {
        app.add_user(ADMIN, "admin", &[]).await;
        let admin = app.signed_in(ADMIN).await;
        let typed = [
            ("email", "kim@msp.example"),
            ("display_name", "Kim \"K\" Park & <Co>"),
            ("role", "auditor"),
            ("password", "tiny-pw"),
        ];
        let posted = app.post_form(&admin, "/api/users/create", "/settings/users", &typed).await;
        assert_eq!(posted.status(), 302, "the browser is sent back to its page");
        let back = posted.headers()["location"].to_str().unwrap().to_owned();
        assert!(!back.contains("__err"), "the error waits in the session, not in the address: {back}");
        let page = admin.get(&back).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("role=\"alert\""), "the page says what was wrong");
        let form = &page[page.find("id=\"create-email\"").expect("the form that was posted")..];
        assert!(form.starts_with("id=\"create-email\" name=\"email\" type=\"email\" required maxlength=\"254\" value=\"kim@msp.example\""), "{}", &form[..120]);
        assert!(form.contains("value=\"Kim &quot;K&quot; Park &amp; <Co>\""), "typed text comes back as typed");
        assert!(form.contains("<option value=\"auditor\" selected"), "the chosen role stays chosen");
        assert!(!page.contains("tiny-pw"), "a password is never written back");
        let invite = &page[page.find("id=\"invite-email\"").expect("the other form")..];
        assert!(!invite[..200].contains("kim@msp.example"), "only the form that was posted is filled");
        let again = admin.get(&back).send().await.unwrap().text().await.unwrap();
        assert!(!again.contains("value=\"kim@msp.example\""), "once: {}", &again[again.find("id=\"create-email\"").unwrap()..][..120]);
        // Nothing was written: the refused user does not exist.
        assert!(!app.page(&admin, "/settings/users").await.text().await.unwrap().contains("Kim &quot;K&quot;"));
    })
    .await;
}

#[tokio::test]
async fn a_form_posted_without_javascript_finds_what_it_did_on_the_next_page_once() {
    on_each_backend(|app| async move {
        app.add_user(ADMIN, "admin", &[]).await;
        let admin = app.signed_in(ADMIN).await;
        let person = |email: &'static str| {
            vec![
                ("email", email),
                ("display_name", "Kim Park"),
                ("role", "technician"),
                ("password", "a long enough first password"),
            ]
        };
        let posted = app.post_form(&admin, "/api/users/create", "/account", &person("kim@msp.example")).await;
        assert_eq!(posted.status(), 302, "the browser is sent back to its page");
        let said = "class=\"alert alert-success flash\">Added.";
        let next = app.page(&admin, "/account").await.text().await.unwrap();
        assert_eq!(next.matches(said).count(), 1, "the next page says what was done");
        let later = app.page(&admin, "/account").await.text().await.unwrap();
        assert!(!later.contains(said), "once");
        // A script's call reads the answer; no page is told.
        let called = app.call(&admin, "/api/users/create", &person("lee@msp.example")).await;
        assert_eq!(called.status(), 200);
        assert!(!app.page(&admin, "/account").await.text().await.unwrap().contains(said));
    })
    .await;
}
