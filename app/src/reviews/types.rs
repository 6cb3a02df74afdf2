//! What the review pages receive: only the fields they show.

use crate::time::When;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceView {
    pub id: i64,
    pub version: i64,
    pub client_slug: String,
    pub client_name: String,
    pub kind: String,
    pub title: String,
    pub cadence: String,
    pub owner: String,
    /// YYYY-MM-DD, a day of the MSP's calendar.
    pub due_on: String,
    pub scheduled_on: Option<String>,
    pub state: String,
    pub state_label: String,
    /// Open after its due day ended.
    pub overdue: bool,
    pub note: String,
    pub closed: Option<When>,
    pub closed_by: Option<String>,
    /// The signed-in user may run and close it.
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    /// One page of the reviews found.
    pub items: Vec<OccurrenceView>,
    /// How many were found on every page.
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    /// Today in the MSP's calendar, and its time zone.
    pub today: String,
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCell {
    pub date: String,
    pub day: u32,
    pub in_month: bool,
    pub today: bool,
    pub items: Vec<OccurrenceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarView {
    /// "March 2027".
    pub title: String,
    /// YYYY-MM of the months before and after.
    pub prev: String,
    pub next: String,
    /// Weeks from Monday to Sunday.
    pub weeks: Vec<Vec<DayCell>>,
    pub zone: String,
}

/// One client's schedule, for its page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientReviewsView {
    /// The open occurrence of each running series.
    pub open: Vec<OccurrenceView>,
    /// The latest closed ones.
    pub recent: Vec<OccurrenceView>,
    pub can_manage: bool,
    pub today: String,
}

/// One grant in an access review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignItemView {
    pub id: i64,
    pub technician_id: i64,
    pub technician_name: String,
    pub technician_state: String,
    pub system: String,
    pub privilege: String,
    pub mfa: bool,
    pub last_reviewed: Option<When>,
    pub granted: When,
    /// Stale-access findings, in words.
    pub findings: Vec<String>,
    pub decision: Option<String>,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided: Option<When>,
    /// A revocation task open on the grant, or revoked.
    pub revocation: Option<String>,
}

/// One review, with its access-review campaign when it is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDetailView {
    pub occurrence: OccurrenceView,
    pub is_access_review: bool,
    pub started: Option<When>,
    pub items: Vec<CampaignItemView>,
    pub decided: usize,
    pub completion: u32,
    /// The signed-in user may decide (the review is in progress).
    pub can_decide: bool,
}

pub fn kind_label(kind: &str) -> &'static str {
    vocabulary::label_of(vocabulary::REVIEW_KINDS, kind).unwrap_or("Review")
}
