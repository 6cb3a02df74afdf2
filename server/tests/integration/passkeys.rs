//! Passkeys over HTTP, where no authenticator is needed: the options the browser is given, an
//! answer that names no passkey of this site, whose passkeys one may see and remove, and that a
//! passkey makes the password alone insufficient. The ceremonies themselves run in the real
//! browser with Chromium's virtual authenticator (end2end/tests/passkeys.spec.ts).

use crate::support::{on_each_backend, PASSWORD};
use domain::Db;

const ADA: &str = "ada@example.test";
const BOB: &str = "bob@example.test";

async fn user_id(db: &Db, email: &str) -> i64 {
    let sql = "SELECT id FROM users WHERE email = $1";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(email).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(email).fetch_one(pool).await.unwrap(),
    }
}

/// A stored passkey row as registration writes it, but for its credential (which the tests
/// here never read: a real one comes only from an authenticator).
async fn stored_passkey(db: &Db, email: &str, name: &str) -> i64 {
    let user = user_id(db, email).await;
    let sql = "INSERT INTO passkeys (user_id, user_handle, credential_id, name, passkey, created_at) \
               VALUES ($1, $2, $3, $4, '{}', $5) RETURNING id";
    let handle = format!("00000000-0000-4000-8000-{user:012}");
    let credential = format!("credential-of-{name}");
    let now = chrono::Utc::now();
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql)
            .bind(user)
            .bind(&handle)
            .bind(&credential)
            .bind(name)
            .bind(now)
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql)
            .bind(user)
            .bind(&handle)
            .bind(&credential)
            .bind(name)
            .bind(now)
            .fetch_one(pool)
            .await
            .unwrap(),
    }
}

async fn passkeys_of(db: &Db, email: &str) -> i64 {
    let user = user_id(db, email).await;
    let sql = "SELECT COUNT(*) FROM passkeys WHERE user_id = $1";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(user).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).bind(user).fetch_one(pool).await.unwrap(),
    }
}

async fn audit_head(db: &Db) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT seq FROM audit_head").fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT seq FROM audit_head").fetch_one(pool).await.unwrap(),
    }
}

async fn last_action(db: &Db) -> String {
    let sql = "SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1";
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn message(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let message = match serde_json::from_str::<app::error::AppError>(&text) {
        Ok(app::error::AppError::Validation(fields)) => {
            fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ")
        }
        Ok(error) => error.to_string(),
        Err(_) => text,
    };
    (status, message)
}

#[tokio::test]
async fn the_browser_is_asked_for_a_verified_passkey_of_this_site() {
    on_each_backend(|app| async move {
        // Anyone may start a sign-in without a password: any passkey of this site, verified.
        let stranger = app.client();
        let begun = app.call(&stranger, "/api/auth/passkey_begin", &[("ceremony", "SignIn")]).await;
        assert_eq!(begun.status(), 200);
        let options: String = begun.json().await.unwrap();
        let options: serde_json::Value = serde_json::from_str(&options).unwrap();
        let public_key = &options["publicKey"];
        // The test server listens on 127.0.0.1: browsers allow passkeys only for a name.
        assert_eq!(public_key["rpId"], "localhost", "{options}");
        assert_eq!(public_key["userVerification"], "required", "{options}");
        assert!(public_key["challenge"].as_str().is_some_and(|c| c.len() >= 43), "{options}");
        assert!(public_key.get("allowCredentials").is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)));

        // Registering names the user, asks for a passkey the authenticator can offer by itself.
        app.add_user(ADA, "manager", &[]).await;
        let ada = app.signed_in(ADA).await;
        let begun = app.call(&ada, "/api/auth/passkey_begin", &[("ceremony", "Register")]).await;
        assert_eq!(begun.status(), 200);
        let options: String = begun.json().await.unwrap();
        let options: serde_json::Value = serde_json::from_str(&options).unwrap();
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rp"]["id"], "localhost");
        assert_eq!(public_key["user"]["name"], ADA);
        assert_eq!(public_key["authenticatorSelection"]["residentKey"], "preferred", "{options}");
        assert_eq!(public_key["authenticatorSelection"]["userVerification"], "required", "{options}");
        assert_eq!(public_key["excludeCredentials"].as_array().map(Vec::len), Some(0), "{options}");
    })
    .await;
}

#[tokio::test]
async fn an_answer_naming_no_passkey_of_this_site_is_refused_and_not_audited() {
    on_each_backend(|app| async move {
        let stranger = app.client();
        let head = audit_head(&app.db).await;
        let made_up = serde_json::json!({
            "id": "bm8tc3VjaC1wYXNza2V5",
            "rawId": "bm8tc3VjaC1wYXNza2V5",
            "type": "public-key",
            "response": {
                "authenticatorData": "AAAA",
                "clientDataJSON": "e30",
                "signature": "AAAA",
                "userHandle": "AAAAAAAAAAAAAAAAAAAAAA",
            },
            "clientExtensionResults": {},
        })
        .to_string();
        for _ in 0..5 {
            let begun = app.call(&stranger, "/api/auth/passkey_begin", &[("ceremony", "SignIn")]).await;
            assert_eq!(begun.status(), 200);
            let finished = app
                .call(&stranger, "/api/auth/passkey_finish", &[("ceremony", "SignIn"), ("credential", &made_up)])
                .await;
            assert_eq!(message(finished).await, (422, "That passkey is not registered here.".into()));
        }
        // The ceremony's state is used once: the same answer again has nothing to finish.
        let again =
            app.call(&stranger, "/api/auth/passkey_finish", &[("ceremony", "SignIn"), ("credential", &made_up)]).await;
        let again = message(again).await;
        assert_eq!(again.0, 409, "{again:?}");
        // Not JSON at all: said in words.
        app.call(&stranger, "/api/auth/passkey_begin", &[("ceremony", "SignIn")]).await;
        let garbage =
            app.call(&stranger, "/api/auth/passkey_finish", &[("ceremony", "SignIn"), ("credential", "<html>")]).await;
        assert_eq!(message(garbage).await, (422, "The browser's answer could not be read. Try again.".into()));
        assert_eq!(audit_head(&app.db).await, head, "no stranger grows the audit log");
        let me: serde_json::Value = app.call(&stranger, "/api/auth/me", &[]).await.json().await.unwrap();
        assert_eq!(me, serde_json::Value::Null, "nobody signed in");
    })
    .await;
}

#[tokio::test]
async fn one_sees_and_removes_only_ones_own_passkeys() {
    on_each_backend(|app| async move {
        app.add_user(ADA, "manager", &[]).await;
        app.add_user(BOB, "admin", &[]).await;
        // Signed in first: with a passkey, the password alone would sign nobody in.
        let ada = app.signed_in(ADA).await;
        let bob = app.signed_in(BOB).await;
        let adas = stored_passkey(&app.db, ADA, "Ada's laptop").await;
        stored_passkey(&app.db, BOB, "Bob's key").await;

        let status: serde_json::Value = app.call(&ada, "/api/auth/mfa_status", &[]).await.json().await.unwrap();
        let listed = status["passkeys"].as_array().cloned().unwrap_or_default();
        let names: Vec<&str> = listed.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["Ada's laptop"]);
        assert_eq!(status["passkeys_available"], true);
        let page = app.page(&ada, "/account").await.text().await.unwrap();
        assert!(page.contains("Ada's laptop") && !page.contains("Bob's key"), "the account page lists one's own");

        // Bob, an admin, cannot remove Ada's: it is not found, and stays.
        let refused = app.call(&bob, "/api/auth/passkey_remove", &[("id", &adas.to_string())]).await;
        assert_eq!(refused.status(), 404);
        assert_eq!(passkeys_of(&app.db, ADA).await, 1);

        // Ada removes hers (signed in just now: a recent confirmation); audited.
        let removed = app.call(&ada, "/api/auth/passkey_remove", &[("id", &adas.to_string())]).await;
        assert_eq!(removed.status(), 200);
        assert_eq!(passkeys_of(&app.db, ADA).await, 0);
        assert_eq!(last_action(&app.db).await, "mfa.passkey_removed");

        // An admin's reset of Bob's two-factor sign-in takes his passkeys with it.
        app.add_user("root@example.test", "admin", &[]).await;
        let root = app.signed_in("root@example.test").await;
        let reset = app.call(&root, "/api/users/reset_mfa", &[("email", BOB)]).await;
        assert_eq!(reset.status(), 200);
        assert_eq!(passkeys_of(&app.db, BOB).await, 0);
    })
    .await;
}

#[tokio::test]
async fn with_a_passkey_the_password_alone_signs_nobody_in() {
    on_each_backend(|app| async move {
        app.add_user(ADA, "technician", &[]).await;
        stored_passkey(&app.db, ADA, "Phone").await;
        let browser = app.client();
        let step: serde_json::Value = app.call(&browser, "/api/auth/pending_sign_in", &[]).await.json().await.unwrap();
        assert_eq!(step["waiting"], false);
        let form = [("email", ADA), ("password", PASSWORD), ("next", "/clients")];
        let password = app.call(&browser, "/api/auth/sign_in", &form).await;
        assert_eq!(password.status(), 200);
        let me: serde_json::Value = app.call(&browser, "/api/auth/me", &[]).await.json().await.unwrap();
        assert_eq!(me, serde_json::Value::Null, "not signed in before the passkey");
        let step: serde_json::Value = app.call(&browser, "/api/auth/pending_sign_in", &[]).await.json().await.unwrap();
        assert_eq!(step, serde_json::json!({ "waiting": true, "app": false, "passkey": true }));
        // Without an app, a code is no way in; nor a made-up recovery code.
        let code = app.call(&browser, "/api/auth/sign_in_code", &[("code", "123456")]).await;
        assert_eq!(code.status(), 422);
    })
    .await;
}

/// The helper above writes a row the way registration does: checked against the schema here
/// so that a change of either is seen.
#[tokio::test]
async fn a_credential_is_registered_to_one_account_only() {
    on_each_backend(|app| async move {
        app.add_user(ADA, "manager", &[]).await;
        app.add_user(BOB, "manager", &[]).await;
        stored_passkey(&app.db, ADA, "Shared").await;
        let user = user_id(&app.db, BOB).await;
        let sql = "INSERT INTO passkeys (user_id, user_handle, credential_id, name, passkey, created_at) \
                   VALUES ($1, 'h', 'credential-of-Shared', 'x', '{}', $2)";
        let now = chrono::Utc::now();
        let refused = match &app.db {
            Db::Sqlite(pool) => sqlx::query(sql).bind(user).bind(now).execute(pool).await.err(),
            Db::Postgres(pool) => sqlx::query(sql).bind(user).bind(now).execute(pool).await.err(),
        };
        let refused = refused.expect("refused");
        assert!(domain::db::unique::PASSKEY_CREDENTIAL.is_violated_by(&refused), "{refused}");
    })
    .await;
}

#[tokio::test]
async fn a_role_that_must_use_a_passkey_changes_nothing_until_it_has_one() {
    crate::support::on_each_backend_with(
        |config| config.passkey_required_roles = vec![domain::Role::Admin],
        |app| async move {
            app.add_user(ADA, "admin", &[]).await;
            app.add_user(BOB, "manager", &[]).await;
            let bob = app.signed_in(BOB).await;
            assert_eq!(app.page(&bob, "/clients").await.status(), 200, "managers need none here");

            let ada = app.signed_in(ADA).await;
            let page = app.page(&ada, "/clients").await;
            assert_eq!(page.status(), 303);
            assert_eq!(page.headers()["location"], "/account");
            let account = app.page(&ada, "/account").await.text().await.unwrap();
            assert!(account.contains("Add a passkey first."), "the account page says why");
            let status: serde_json::Value = app.call(&ada, "/api/auth/mfa_status", &[]).await.json().await.unwrap();
            assert_eq!(status["must_add_passkey"], true);
            let form = crate::support::new_client_form("Refused Ltd", "refused");
            let refused = app.call(&ada, "/api/clients/create", &form).await;
            assert_eq!(refused.status(), 403, "no change by any door");
            assert!(refused.text().await.unwrap().contains("TwoFactorRequired"));
            // Starting to add one stays allowed.
            let begun = app.call(&ada, "/api/auth/passkey_begin", &[("ceremony", "Register")]).await;
            assert_eq!(begun.status(), 200);

            // With a passkey (registered in the browser; its row here), the admin may act.
            stored_passkey(&app.db, ADA, "Key").await;
            assert_eq!(app.page(&ada, "/clients").await.status(), 200);
        },
    )
    .await;
}
