//! Test support: the real application on a free port with a fresh database, and a client that
//! keeps cookies, on SQLite always and on PostgreSQL when RAMPART_TEST_POSTGRES_URL is set.

#![allow(dead_code)]

use domain::testing::TestDatabase;
use domain::{identity, Actor, Db};
use rampart_server::config::Config;
use std::future::Future;

pub const PASSWORD: &str = "a long enough test password";

/// Moves the server's clock `minutes` from now (domain::clock reads the shift from a file, one
/// per test binary; the tests that move it run their stories one after the other). Only for a
/// binary whose every test expects it: `moved_clock.rs`.
pub fn move_clock(minutes: i64) {
    static FILE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let file = FILE.get_or_init(|| {
        let path = std::env::temp_dir().join(format!("rampart-test-clock-{}", std::process::id()));
        std::fs::write(&path, "0").expect("the clock file");
        domain::clock::shift_by_file(path.clone());
        path
    });
    std::fs::write(file, (minutes * 60).to_string()).expect("the clock file");
}

/// The client form's optional fields, empty, as the pages post them.
const CLIENT_EXTRAS: [(&str, &str); 5] =
    [("sector", ""), ("tags", ""), ("contact_name", ""), ("contact_email", ""), ("notes", "")];

/// The form of a new client as its page posts it: a name, a slug, the standard tier.
pub fn new_client_form<'a>(name: &'a str, slug: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("name", name), ("slug", slug), ("impact_tier", "standard")];
    form.extend(CLIENT_EXTRAS);
    form
}

/// The form of a client's edit page, saving `name` and `tier` over `version`.
pub fn edit_client_form<'a>(slug: &'a str, version: &'a str, name: &'a str, tier: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("slug", slug), ("version", version), ("name", name), ("impact_tier", tier)];
    form.extend(CLIENT_EXTRAS);
    form
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            // A hung request fails the test instead of hanging the run.
            .timeout(std::time::Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
    }

    /// Calls a server function the way the app's own pages do (form-encoded POST, same origin).
    pub async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(endpoint))
            .header("accept", "application/json")
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .expect("a response")
    }

    /// Posts a form the way the browser does itself from `page` (no script reads the answer): a
    /// server function then redirects back to the page.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        page: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(endpoint))
            .header("accept", "text/html")
            .header("origin", &self.base)
            .header("referer", self.url(page))
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .expect("a response")
    }

    /// Fetches a page as a browser navigation does.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).header("accept", "text/html").send().await.expect("a response")
    }

    pub async fn add_user(&self, email: &str, role: &str, clients: &[&str]) {
        identity::add_user(
            &self.db,
            &Actor::command_line(),
            &identity::NewUser {
                email: email.into(),
                display_name: format!("Test {role}"),
                role: role.into(),
                clients: clients.iter().map(|s| s.to_string()).collect(),
                password: PASSWORD.into(),
            },
            chrono::Utc::now(),
        )
        .await
        .expect("user added");
    }

    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.client();
        let response =
            self.call(&client, "/api/auth/sign_in", &[("email", email), ("password", PASSWORD), ("next", "")]).await;
        assert_eq!(response.status(), 200, "sign-in of {email}: {}", response.text().await.unwrap_or_default());
        client
    }

    pub async fn add_client(&self, name: &str, slug: &str) {
        domain::clients::create_client(
            &self.db,
            &Actor::command_line(),
            &domain::clients::ClientInput {
                name: name.into(),
                slug: slug.into(),
                impact_tier: "standard".into(),
                notes: format!("Internal note of {name}"),
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .await
        .expect("client added");
    }
}

pub async fn spawn_app(test: &TestDatabase) -> TestApp {
    spawn_app_with(test, |_| {}).await
}

/// The app with some settings changed.
pub async fn spawn_app_with(test: &TestDatabase, change: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_serving(test, test.db.clone(), change).await
}

/// The app serving from `served` (the test's database reached another way, say as another
/// role), while the returned `db`, with which tests set up their data, stays the test's own.
pub async fn spawn_app_serving(test: &TestDatabase, served: Db, change: impl FnOnce(&mut Config)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("an address");
    let config = Config {
        addr,
        database_url: test.url.clone(),
        // Pages render without the built site; no test here needs the wasm or CSS files.
        site_root: std::env::temp_dir().display().to_string(),
        public_url: None,
        session_idle_minutes: 60,
        session_max_hours: 12,
        client_ip_header: None,
        // Tests that need the policy set it (see hardening.rs).
        mfa_required_roles: Vec::new(),
        passkey_required_roles: Vec::new(),
        test_clock_file: None,
        time_zone: chrono_tz::Tz::UTC,
        invitation_days: 7,
        branding: Default::default(),
        audit_forwarding: Default::default(),
        // The test OpenID provider (tests/oidc/provider.rs) runs on loopback.
        sso_allow_loopback: true,
    };
    let mut config = config;
    change(&mut config);
    let router = rampart_server::startup::build_router(&config, served);
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    TestApp { base: format!("http://{addr}"), db: test.db.clone() }
}

/// Runs a story against the app on SQLite, then on PostgreSQL when configured.
pub async fn on_each_backend<F, Fut>(story: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_each_backend_with(|_| {}, story).await
}

/// As [`on_each_backend`], with some settings changed.
pub async fn on_each_backend_with<F, Fut>(change: fn(&mut Config), story: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let sqlite = domain::testing::sqlite().await;
    let app = spawn_app_with(&sqlite, change).await;
    sqlite.run(|_| story(app)).await;
    match domain::testing::postgres().await {
        Some(pg) => {
            let app = spawn_app_with(&pg, change).await;
            pg.run(|_| story(app)).await;
        }
        None => eprintln!("PostgreSQL part skipped: set {}", domain::testing::POSTGRES_URL_VAR),
    }
}
