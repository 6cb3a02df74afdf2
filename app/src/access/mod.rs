pub mod api;
pub mod csv_ui;
pub mod types;
pub mod ui;
