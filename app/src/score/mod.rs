pub mod api;
pub mod types;
pub mod ui;
