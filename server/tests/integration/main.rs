//! The server's integration tests, linked as one binary: the real application on a free port
//! (HTTP, the authorization matrix, the canary crawl, single sign-on against a real OpenID
//! provider, hostile input) and whole server processes (a crash, two servers on one
//! PostgreSQL). `moved_clock.rs` is a binary of its own: it moves the process's clock, which
//! would move under every test here.

#[path = "../support/process.rs"]
mod process;
#[path = "../oidc/provider.rs"]
mod provider;
#[path = "../support/mod.rs"]
mod support;

mod access_csv_http;
mod audit_http;
mod authorization_matrix;
mod canary;
mod cluster;
mod crash;
mod docs;
mod hardening;
mod hostile;
mod kept_pages;
mod meetings_http;
mod passkeys;
mod score_http;
mod sso;
mod users_http;
mod web;
