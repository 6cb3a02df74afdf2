//! The audit log's viewer: filters, paging, chain verification and the CSV export link.

pub mod api;
pub mod types;
pub mod ui;
