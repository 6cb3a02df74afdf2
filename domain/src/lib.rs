//! Rampart's domain: services, storage and authorization. Server only; no Leptos, no wasm.
//!
//! Every service function takes the acting user first and checks the rule table in [`authz`]
//! before it reads or writes anything. Callers (server functions, the CLI) stay thin.

pub mod access;
pub mod audit;
pub mod authz;
pub mod backup;
pub mod calendar;
pub mod clients;
pub mod clock;
pub mod controls;
pub mod db;
pub mod demo;
pub mod error;
pub mod identity;
pub mod meetings;
pub(crate) mod memo;
pub mod portfolio;
pub mod reviews;
pub mod scoring;
pub mod setup;
pub mod text;

pub use authz::{Actor, Permission, Role};
pub use db::Db;
pub use error::{DomainError, FieldError};

#[cfg(feature = "testing")]
pub mod testing;
