//! The real `rampart` binary as a process on a free port, for tests that kill or duplicate
//! servers (included with `#[path]` by the tests that need it).

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const PASSWORD: &str = "a long enough crash-test password";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn start(url: &str, port: u16, site: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("RAMPART_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", site)
        .env("RUST_LOG", "error")
        // The tests' managers change things without setting up two-factor sign-in first.
        .env("RAMPART_MFA_REQUIRED_ROLES", "none")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the rampart binary starts")
}

pub async fn wait_ready(base: &str) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

/// A cookie-keeping client signed in as `email` (whose password is [`PASSWORD`]).
pub async fn signed_in(base: &str, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let response = client
        .post(format!("{base}/api/auth/sign_in"))
        .header("accept", "application/json")
        .header("origin", base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", email), ("password", PASSWORD), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    client
}

/// Calls a server function as the app's pages do.
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{base}{endpoint}"))
        .header("accept", "application/json")
        .header("origin", base)
        .header("sec-fetch-site", "same-origin")
        .form(form)
        .send()
        .await
}
