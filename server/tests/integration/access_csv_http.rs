//! CSV import and export over HTTP: the preview and the import with JavaScript (answers read by
//! the page) and without (plain form posts, the preview kept in the session), and the body
//! limit that is larger for imports only.

use crate::support::{on_each_backend, TestApp};

const MANAGER: &str = "manager@example.test";

const GOOD: &str = "technician_email,technician_name,client,system,privilege,mfa,approver,justification\n\
                    ada@msp.example,Ada Lovelace,acme,rmm,admin,yes,Grace Hopper,Patching and monitoring\n\
                    kim@msp.example,Kim Park,,,,,,\n";

const BAD: &str = "technician_email,technician_name,client,system,privilege,mfa,approver,justification\n\
                   ada@msp.example,Ada Lovelace,initech,rmm,admin,yes,Grace Hopper,Patching and monitoring\n";

async fn set_up(app: &TestApp) -> reqwest::Client {
    app.add_client("Acme Ltd", "acme").await;
    app.add_user(MANAGER, "manager", &[]).await;
    app.signed_in(MANAGER).await
}

/// A form posted by the browser itself from the import page.
async fn plain_post(app: &TestApp, client: &reqwest::Client, endpoint: &str, text: &str) -> reqwest::Response {
    app.post_form(client, endpoint, "/technicians/import", &[("text", text)]).await
}

async fn technicians(app: &TestApp) -> usize {
    domain::access::list_technicians(&app.db, &domain::Actor::command_line()).await.unwrap().len()
}

#[tokio::test]
async fn with_javascript_the_preview_and_the_import_answer_the_page() {
    on_each_backend(|app| async move {
        let client = set_up(&app).await;
        let bad = app.call(&client, "/api/access/import_preview", &[("text", BAD)]).await;
        assert_eq!(bad.status(), 200);
        let preview: serde_json::Value = bad.json().await.unwrap();
        assert_eq!(preview["rows_with_errors"], 1);
        assert_eq!(preview["can_commit"], false);
        let errors = preview["rows"][0]["errors"].as_array().unwrap();
        assert!(errors[0].as_str().unwrap().starts_with("client: Unknown client “initech”"), "{errors:?}");
        let refused = app.call(&client, "/api/access/import", &[("text", BAD)]).await;
        assert_eq!(refused.status(), 422);
        let refused: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(refused["Validation"][0]["message"], "The file has 1 row with errors; preview it to see it.");
        assert_eq!(technicians(&app).await, 0);

        let good = app.call(&client, "/api/access/import_preview", &[("text", GOOD)]).await;
        let preview: serde_json::Value = good.json().await.unwrap();
        assert_eq!((preview["can_commit"].as_bool(), preview["rows_to_import"].as_u64()), (Some(true), Some(2)));
        assert_eq!(preview["text"], GOOD, "the import form sends exactly what was previewed");
        assert_eq!(technicians(&app).await, 0, "a preview writes nothing");
        let done = app.call(&client, "/api/access/import", &[("text", GOOD)]).await;
        assert_eq!(done.status(), 200);
        let done: serde_json::Value = done.json().await.unwrap();
        assert_eq!((done["technicians_created"].as_u64(), done["grants_created"].as_u64()), (Some(2), Some(1)));
        assert_eq!(technicians(&app).await, 2);
    })
    .await;
}

#[tokio::test]
async fn without_javascript_the_page_shows_the_preview_then_the_result() {
    on_each_backend(|app| async move {
        let client = set_up(&app).await;
        let posted = plain_post(&app, &client, "/api/access/import_preview", BAD).await;
        assert_eq!(posted.status(), 302);
        assert_eq!(posted.headers()["location"], "/technicians/import");
        let page = app.page(&client, "/technicians/import").await.text().await.unwrap();
        assert!(page.contains("Unknown client “initech”"), "the row's error is on the page");
        assert!(page.contains("1 of 1 rows have errors"));
        assert!(!page.contains("Import 1 row"), "no import while a row is wrong");

        plain_post(&app, &client, "/api/access/import_preview", GOOD).await;
        let page = app.page(&client, "/technicians/import").await.text().await.unwrap();
        assert!(page.contains("Every row is right: 2 new technicians and 1 new grant."), "{page}");
        assert!(page.contains("Import 2 rows"));
        assert!(page.contains("Kim Park"), "the pasted text is back in the form");
        assert_eq!(technicians(&app).await, 0);

        let imported = plain_post(&app, &client, "/api/access/import", GOOD).await;
        assert_eq!(imported.status(), 302);
        assert_eq!(technicians(&app).await, 2);
        let page = app.page(&client, "/technicians/import").await.text().await.unwrap();
        assert!(page.contains("Imported 2 new technicians and 1 grant."), "{page}");
        assert!(page.contains("href=\"/technicians\""));
        let again = app.page(&client, "/technicians/import").await.text().await.unwrap();
        assert!(!again.contains("Imported 2"), "the result is shown once");

        let refused = plain_post(&app, &client, "/api/access/import", GOOD).await;
        assert_eq!(refused.status(), 302, "a refusal goes back to the page, with the error");
        assert!(!refused.headers()["location"].to_str().unwrap().contains("__err"), "the error is in the session");
        let page = app.page(&client, "/technicians/import").await.text().await.unwrap();
        assert!(page.contains("role=\"alert\""), "and the page shows it");
        assert_eq!(technicians(&app).await, 2);
    })
    .await;
}

#[tokio::test]
async fn imports_may_be_larger_than_forms_up_to_a_limit() {
    on_each_backend(|app| async move {
        let client = set_up(&app).await;
        let mut big = String::from("technician_email,technician_name\n");
        for i in 0..3000 {
            big.push_str(&format!("technician{i}@msp.example,Technician Number {i}\n"));
        }
        assert!(big.len() > 64 * 1024);
        let accepted = app.call(&client, "/api/access/import_preview", &[("text", big.as_str())]).await;
        assert_eq!(accepted.status(), 200, "an import is not held to the forms' limit");
        let preview: serde_json::Value = accepted.json().await.unwrap();
        assert_eq!(preview["new_technicians"], 3000);

        let huge = "x".repeat(rampart_server::startup::MAX_IMPORT_BODY_BYTES);
        let refused = app.call(&client, "/api/access/import_preview", &[("text", huge.as_str())]).await;
        assert_eq!(refused.status(), 413);
        assert_eq!(refused.text().await.unwrap(), "\"TooLarge\"");
        let form = app.call(&client, "/api/access/create_technician", &[("name", big.as_str())]).await;
        assert_eq!(form.status(), 413, "other forms keep their limit");

        let over = format!("{big}{}", "y".repeat(domain::access::csv_io::MAX_IMPORT_BYTES));
        let preview = app.call(&client, "/api/access/import_preview", &[("text", over.as_str())]).await;
        let preview: serde_json::Value = preview.json().await.unwrap();
        assert!(preview["file_errors"][0].as_str().unwrap().contains("larger than 1 MB"));
    })
    .await;
}

#[tokio::test]
async fn the_example_file_is_served_as_documented() {
    on_each_backend(|app| async move {
        let response = app.page(&app.client(), rampart_server::export::IMPORT_EXAMPLE_PATH).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let body = response.text().await.unwrap();
        assert_eq!(body, include_str!("../../../docs/examples/access-import.csv"));
    })
    .await;
}

#[tokio::test]
async fn findings_come_a_page_at_a_time_the_most_urgent_first() {
    on_each_backend(|app| async move {
        let client = set_up(&app).await;
        let mut csv =
            String::from("technician_email,technician_name,client,system,privilege,mfa,approver,justification\n");
        for i in 0..55 {
            csv.push_str(&format!(
                "t{i}@msp.example,Tech {i},acme,rmm,admin,no,Grace Hopper,Patching and monitoring\n"
            ));
        }
        let imported = app.call(&client, "/api/access/import", &[("text", &csv)]).await;
        assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap_or_default());

        let first: serde_json::Value = app.call(&client, "/api/access/findings", &[]).await.json().await.unwrap();
        assert_eq!(
            (first["total"].as_u64(), first["page"].as_u64(), first["pages"].as_u64()),
            (Some(55), Some(1), Some(2))
        );
        assert_eq!(first["grants"].as_array().unwrap().len(), 50);
        assert_eq!(first["by_kind"], serde_json::json!([["Admin access without MFA", 55]]));
        let second: serde_json::Value =
            app.call(&client, "/api/access/findings", &[("page", "2")]).await.json().await.unwrap();
        assert_eq!(second["grants"].as_array().unwrap().len(), 5);
        let ids = |v: &serde_json::Value| -> Vec<i64> {
            v["grants"].as_array().unwrap().iter().map(|g| g["id"].as_i64().unwrap()).collect()
        };
        let mut all = [ids(&first), ids(&second)].concat();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 55, "the two pages hold every finding once");
        let beyond: serde_json::Value =
            app.call(&client, "/api/access/findings", &[("page", "9")]).await.json().await.unwrap();
        assert_eq!(beyond["page"], 1, "a page past the end shows the first");
        assert_eq!(ids(&beyond), ids(&first));

        let page = app.page(&client, "/findings?page=2").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Page 2 of 2") && html.contains("55 grants with findings"), "the pager and the count");
        assert!(html.contains("href=\"/findings?page=1\""), "a link back to the first page");
    })
    .await;
}
