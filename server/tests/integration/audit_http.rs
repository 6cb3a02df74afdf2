//! The audit log through the real application: sign-ins, failed sign-ins, sign-outs and
//! exports are recorded; admins and auditors read, filter, verify and export the log.

use crate::support::{on_each_backend, TestApp, PASSWORD};

async fn log(app: &TestApp) -> Vec<domain::audit::Entry> {
    domain::audit::all_entries(&app.db).await.expect("the log")
}

#[tokio::test]
async fn sign_in_failed_sign_in_and_sign_out_are_recorded_without_the_password() {
    on_each_backend(|app| async move {
        app.add_user("manager@example.test", "manager", &[]).await;
        let client = app.client();
        let wrong = "a wrong password of some length";
        let refused = app
            .call(&client, "/api/auth/sign_in", &[("email", "Manager@Example.test"), ("password", wrong), ("next", "")])
            .await;
        assert_eq!(refused.status(), 401);
        let client = app.signed_in("manager@example.test").await;
        assert_eq!(app.call(&client, "/api/auth/sign_out", &[]).await.status(), 200);
        // Signed out already: nothing more to record.
        assert_eq!(app.call(&client, "/api/auth/sign_out", &[]).await.status(), 200);

        let entries = log(&app).await;
        let auth: Vec<(&str, &str, &str)> = entries
            .iter()
            .filter(|e| e.action.starts_with("auth."))
            .map(|e| (e.action.as_str(), e.actor.as_str(), e.summary.as_str()))
            .collect();
        assert_eq!(
            auth,
            vec![
                // With the client's address, for throttling and for the reader of the log.
                ("auth.sign_in_failed", "manager@example.test", "wrong password from 127.0.0.1"),
                ("auth.sign_in", "manager@example.test", "signed in with a password"),
                ("auth.sign_out", "manager@example.test", "signed out"),
            ]
        );
        assert!(!entries.iter().any(|e| e.summary.contains(wrong) || e.summary.contains(PASSWORD)));
    })
    .await;
}

#[tokio::test]
async fn auditors_read_filter_verify_and_export_the_log_and_the_export_is_recorded() {
    on_each_backend(|app| async move {
        app.add_client("Acme Dental", "acme").await;
        app.add_client("=Formula Ltd", "formula").await;
        app.add_user("auditor@example.test", "auditor", &[]).await;
        app.add_user("manager@example.test", "manager", &[]).await;
        let manager = app.signed_in("manager@example.test").await;
        let form = crate::support::edit_client_form("acme", "1", "Acme Dental Group", "critical");
        assert_eq!(app.call(&manager, "/api/clients/update", &form).await.status(), 200);
        // Managers do not see the log at all.
        assert_eq!(app.page(&manager, "/audit").await.status(), 403);
        assert_eq!(app.call(&manager, "/api/audit/list", &[("query[verify]", "false")]).await.status(), 403);

        let auditor = app.signed_in("auditor@example.test").await;
        let page = app.page(&auditor, "/audit?client=acme").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("client.update") && html.contains("impact tier: “standard” → “critical”"), "{html}");
        assert!(!html.contains("Formula Ltd</a>"), "the client filter leaves other clients' entries out");

        let listed =
            app.call(&auditor, "/api/audit/list", &[("query[action]", "client"), ("query[verify]", "true")]).await;
        assert_eq!(listed.status(), 200);
        let listed: serde_json::Value = listed.json().await.unwrap();
        let actions: Vec<&str> =
            listed["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["client.update", "client.create", "client.create"]);
        assert_eq!(listed["verification"]["broken"], serde_json::Value::Null);
        let entries = log(&app).await;
        assert_eq!(listed["verification"]["entries"], entries.len());
        let verified = app.page(&auditor, "/audit?verify=1").await.text().await.unwrap();
        assert!(verified.contains(&format!("Verified: all {} entries hold together", entries.len())), "{verified}");

        let bad = app.page(&auditor, "/audit?from=someday").await;
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("Some fields need your attention"));

        let export = auditor.get(app.url("/audit/export.csv?client=formula")).send().await.unwrap();
        assert_eq!(export.status(), 200);
        assert_eq!(export.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"rampart-audit-log-"));
        let csv = export.text().await.unwrap();
        let csv = csv.strip_prefix('\u{feff}').expect("a byte order mark for spreadsheets");
        let rows: Vec<csv::StringRecord> =
            csv::Reader::from_reader(csv.as_bytes()).records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][4], "client.create");
        let exported = log(&app).await.pop().unwrap();
        assert_eq!((exported.action.as_str(), exported.actor.as_str()), ("export.audit_log", "auditor@example.test"));
        assert_eq!(exported.summary, "1 entries exported (client=formula)");

        // Signed out: sent to sign in, and nothing exported or recorded.
        let before = log(&app).await.len();
        let anonymous = app.client().get(app.url("/audit/export.csv")).send().await.unwrap();
        assert_eq!(anonymous.status(), 303);
        assert_eq!(manager.get(app.url("/audit/export.csv")).send().await.unwrap().status(), 403);
        assert_eq!(log(&app).await.len(), before);
    })
    .await;
}

#[tokio::test]
async fn exporting_the_access_register_is_recorded() {
    on_each_backend(|app| async move {
        app.add_client("Acme Dental", "acme").await;
        app.add_user("manager@example.test", "manager", &[]).await;
        let manager = app.signed_in("manager@example.test").await;
        let response = manager.get(app.url(rampart_server::export::REGISTER_PATH)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let last = log(&app).await.pop().unwrap();
        assert_eq!((last.action.as_str(), last.actor.as_str()), ("export.access_register", "manager@example.test"));
    })
    .await;
}
