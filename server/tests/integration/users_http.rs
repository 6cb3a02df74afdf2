//! People over HTTP, against the real app on both databases: an invitation accepted through its
//! link, and forms posted without JavaScript. (Step-up after the clock moved is in
//! `server/tests/moved_clock.rs`: moving the clock here would move it under every test of this
//! binary.)

use crate::support::{on_each_backend, PASSWORD};

const ADMIN: &str = "admin@example.test";
const MANAGER: &str = "manager@example.test";

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
