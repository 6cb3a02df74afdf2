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
    pub items: Vec<OccurrenceView>,
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

pub const KINDS: [(&str, &str); 6] = [
    ("security_review", "Security and business review"),
    ("access_review", "Access review"),
    ("control_reverification", "Control re-verification"),
    ("ir_exercise", "Incident-response exercise"),
    ("contract_review", "Contract review"),
    ("custom", "Custom review"),
];

pub const CADENCES: [(&str, &str); 4] =
    [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("semi_annual", "Every six months"), ("annual", "Yearly")];

pub const STATES: [(&str, &str); 4] =
    [("planned", "Planned"), ("in_progress", "In progress"), ("done", "Done"), ("skipped", "Skipped")];

pub fn kind_label(kind: &str) -> &'static str {
    KINDS.iter().find(|(v, _)| *v == kind).map(|(_, l)| *l).unwrap_or("Review")
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_forms_offer_exactly_what_the_domain_accepts() {
        use domain::reviews::{Cadence, OccurrenceState, ReviewKind};
        let kinds: Vec<(&str, &str)> = ReviewKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect();
        assert_eq!(kinds, super::KINDS);
        let cadences: Vec<(&str, &str)> = Cadence::ALL.iter().map(|c| (c.as_str(), c.label())).collect();
        assert_eq!(cadences, super::CADENCES);
        let states: Vec<(&str, &str)> = OccurrenceState::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
        assert_eq!(states, super::STATES);
    }
}
