//! The Rampart server: HTTP wiring, the command line and settings. Everything that decides
//! anything lives in the domain crate; the pages live in the app crate.

pub mod calendar;
pub mod charts;
pub mod cli;
pub mod config;
pub mod export;
pub mod forwarding;
pub mod jobs;
pub mod kept_input;
pub mod kept_pages;
pub mod memory;
pub mod pack;
pub mod security;
pub mod signed_in;
pub mod sso;
pub mod startup;
pub mod state;
