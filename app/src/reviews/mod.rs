//! The review schedule: every client's recurring reviews, as a list and a month calendar, and
//! each client's series on its page.

pub mod api;
pub mod meeting_ui;
pub mod meetings;
pub mod types;
pub mod ui;
