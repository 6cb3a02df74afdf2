//! The review pack over HTTP: the print page and the PDF of a signed meeting stay as they were
//! at sign-off, and another client's pack is not found.

use crate::support::{on_each_backend, TestApp};

/// Holds and signs off the meeting of the client's first security review; returns its id.
async fn signed_meeting(app: &TestApp, slug: &str) -> i64 {
    use domain::meetings::{self, ActionInput, MeetingInput};
    let cli = domain::Actor::command_line();
    let now = chrono::Utc::now();
    let first = now.date_naive() - chrono::Duration::days(1);
    domain::reviews::add_default_series(&app.db, &cli, slug, first, now).await.unwrap();
    let filter =
        domain::reviews::ScheduleFilter { client: slug.into(), kind: "security_review".into(), ..Default::default() };
    let calendar = domain::reviews::Calendar::default();
    let id = domain::reviews::list_schedule(&app.db, &cli, &filter, &calendar, now).await.unwrap()[0].id;
    meetings::hold_meeting(&app.db, &cli, id, now).await.unwrap();
    let m = meetings::get_meeting(&app.db, &cli, id).await.unwrap();
    let input = MeetingInput {
        version: m.meeting.version,
        held_on: m.meeting.held_on.to_string(),
        attendees_client: "Chris Client".into(),
        agenda: m.meeting.agenda.clone(),
        minutes: "Résumé: MFA → everywhere".into(),
        ..Default::default()
    };
    meetings::save_meeting(&app.db, &cli, id, &input).await.unwrap();
    let m = meetings::add_decision(&app.db, &cli, id, "EDR budget").await.unwrap();
    meetings::decide(&app.db, &cli, id, m.decisions[0].id, "Approved <b>5k</b>").await.unwrap();
    let action = ActionInput { title: "Roll out EDR".into(), owner: "Sam".into(), due_on: String::new() };
    let m = meetings::add_action_item(&app.db, &cli, id, &action).await.unwrap();
    meetings::sign_off_meeting(&app.db, &cli, id, m.meeting.version, now).await.unwrap();
    id
}

#[tokio::test]
async fn a_signed_pack_is_frozen_printable_and_private() {
    on_each_backend(|app| async move {
        app.add_client("Pack Client Ltd", "pack-client").await;
        app.add_client("Foreign Canary Ltd", "foreign").await;
        app.add_user("manager@example.test", "manager", &[]).await;
        app.add_user("viewer@example.test", "client_viewer", &["pack-client"]).await;
        let id = signed_meeting(&app, "pack-client").await;
        let foreign = signed_meeting(&app, "foreign").await;

        let viewer = app.signed_in("viewer@example.test").await;
        let page = app.page(&viewer, &format!("/reviews/{id}/pack")).await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        let html = page.text().await.unwrap();
        assert!(html.contains("<h1>Pack Client Ltd</h1>"), "{html}");
        assert!(html.contains("Approved &lt;b&gt;5k&lt;/b&gt;"), "decisions are escaped: {html}");
        assert!(html.contains("Roll out EDR") && html.contains("Signed off by"), "{html}");
        assert!(!html.contains("trend.svg"), "a signed pack draws nothing from live charts");

        let pdf = app.page(&viewer, &format!("/reviews/{id}/pack.pdf")).await;
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let bytes = pdf.bytes().await.unwrap().to_vec();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.ends_with(b"%%EOF") || bytes.ends_with(b"%%EOF\n"), "a whole file");
        let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(find(b"(Pack Client Ltd)"), "the client's name is a text string of the PDF");
        // Non-ASCII text is written as a hex string of WinAnsi bytes (é is E9; → became "->").
        let hex: String = b"R\xe9sum\xe9: MFA -> everywhere".iter().map(|b| format!("{b:02x}")).collect();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(text.contains(&format!("<{hex}>")), "text in WinAnsi");

        // Later changes never change the signed pack.
        let update = domain::controls::ControlUpdate { status: "implemented".into(), ..Default::default() };
        let cli = domain::Actor::command_line();
        for control in ["RA-01", "RA-02"] {
            domain::controls::update_client_control(&app.db, &cli, "pack-client", control, &update, chrono::Utc::now())
                .await
                .unwrap();
        }
        let again = app.page(&viewer, &format!("/reviews/{id}/pack")).await.text().await.unwrap();
        assert_eq!(again, html);
        let pdf_again = app.page(&viewer, &format!("/reviews/{id}/pack.pdf")).await.bytes().await.unwrap().to_vec();
        assert_eq!(pdf_again, bytes);

        for path in [format!("/reviews/{foreign}/pack"), format!("/reviews/{foreign}/pack.pdf")] {
            let refused = app.page(&viewer, &path).await;
            assert_eq!(refused.status(), 404, "{path}");
            assert!(!refused.text().await.unwrap().contains("Foreign Canary"), "{path}");
        }
        let manager = app.signed_in("manager@example.test").await;
        assert_eq!(app.page(&manager, &format!("/reviews/{foreign}/pack")).await.status(), 200);
        assert_eq!(app.page(&manager, "/reviews/999999/pack").await.status(), 404);
    })
    .await;
}
