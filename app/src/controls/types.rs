//! What the control pages receive: only the fields they show.

use crate::time::When;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceView {
    pub source: String,
    pub item: String,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlView {
    pub id: String,
    pub category_id: String,
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub review: String,
    pub applies_to: String,
    /// Baseline tiers ("standard", …).
    pub tiers: Vec<String>,
    pub references: Vec<ReferenceView>,
    pub built_in: bool,
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    pub categories: Vec<CategoryView>,
    pub controls: Vec<ControlView>,
    /// The signed-in user may add, change and retire custom controls.
    pub can_manage: bool,
}

/// A custom control as its form needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomControlForm {
    pub categories: Vec<CategoryView>,
    /// `None` for a new control.
    pub control: Option<ControlView>,
    /// Raw values for editing: the review frequency and applies-to as stored.
    pub review: String,
    pub applies_to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub control_id: String,
    pub category_id: String,
    pub title: String,
    pub severity: i64,
    pub review: String,
    /// "implemented", "partial", …
    pub status: String,
    pub owner: String,
    pub evidence_note: String,
    pub evidence_links: Vec<String>,
    /// The evidence is shown to the client's viewers.
    pub evidence_shared: bool,
    pub justification: String,
    pub last_verified: Option<When>,
    pub last_verified_by: Option<String>,
    pub due: Option<When>,
    /// Past its due time: evidence needs re-verifying.
    pub stale: bool,
    pub version: i64,
    pub in_baseline: bool,
    pub exception: Option<ExceptionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionView {
    pub id: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested: When,
    pub expires: When,
    pub approved_by: Option<String>,
    pub approved: Option<When>,
    pub ended_by: Option<String>,
    /// "pending", "active", "expired" or "ended".
    pub state: String,
    /// The signed-in user may approve it (a manager who did not ask for it).
    pub can_approve: bool,
    /// The signed-in user may end it (who asked for it, or a manager).
    pub can_end: bool,
}

pub fn exception_label(state: &str) -> &'static str {
    match state {
        "pending" => "Risk acceptance pending approval",
        "active" => "Risk accepted",
        "expired" => "Risk acceptance expired",
        _ => "Risk acceptance ended",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistView {
    pub client_slug: String,
    pub client_name: String,
    pub client_tier: String,
    pub categories: Vec<CategoryView>,
    pub items: Vec<ItemView>,
    pub can_edit: bool,
}

/// A client's hardening status in numbers (the client page's summary): how many controls have
/// each status, how many are overdue for re-verifying and how many carry an accepted risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistSummary {
    /// One count per status of `vocabulary::CONTROL_STATUSES`, in that order.
    pub by_status: Vec<usize>,
    pub overdue: usize,
    pub accepted: usize,
}

impl ChecklistSummary {
    /// The summary of the counts the server made.
    #[cfg(feature = "ssr")]
    pub fn of_counts(counts: &domain::controls::ChecklistCounts) -> ChecklistSummary {
        use domain::controls::ControlStatus;
        ChecklistSummary {
            by_status: vocabulary::CONTROL_STATUSES
                .iter()
                .map(|(value, _)| ControlStatus::parse(value).map_or(0, |status| counts.of_status(status)))
                .collect(),
            overdue: counts.stale,
            accepted: counts.accepted,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub when: When,
    pub by: String,
    pub from: String,
    pub to: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlDetailView {
    pub client_slug: String,
    pub client_name: String,
    pub control: ControlView,
    pub item: ItemView,
    pub history: Vec<HistoryView>,
    pub can_edit: bool,
    pub can_request_exception: bool,
    /// The reader sees the MSP's internal detail (the owner, the notes of each change); the
    /// client portal does not.
    pub internal: bool,
}

pub fn status_label(status: &str) -> &'static str {
    vocabulary::label_of(vocabulary::CONTROL_STATUSES, status).unwrap_or("Unknown")
}

/// The severities 1 to 5 as a select offers them.
pub fn severities() -> crate::components::Choices {
    crate::components::Choices((1..=5).map(|s| (s.to_string(), severity_label(s).to_string())).collect())
}

pub fn severity_label(severity: i64) -> &'static str {
    match severity {
        5 => "5 · critical",
        4 => "4 · high",
        3 => "3 · medium",
        2 => "2 · low",
        _ => "1 · minor",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueView {
    pub client_slug: String,
    pub client_name: String,
    pub client_tier: String,
    pub control_id: String,
    pub title: String,
    pub severity: i64,
    pub status: String,
    pub last_verified: Option<When>,
    pub due: When,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueList {
    pub items: Vec<OverdueView>,
    /// All overdue items; `items` holds the first few hundred.
    pub total: i64,
}

/// What a bulk change says it did.
pub fn updated_text(n: usize) -> String {
    if n == 1 {
        "1 control updated.".to_string()
    } else {
        format!("{n} controls updated.")
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use domain::controls::{ChecklistCounts, ControlStatus};

    #[test]
    fn a_summary_shows_each_status_in_the_order_of_the_status_list() {
        let counts = ChecklistCounts::count([
            (ControlStatus::Implemented, false, false),
            (ControlStatus::Implemented, true, false),
            (ControlStatus::Partial, false, true),
            (ControlStatus::NotImplemented, true, false),
            (ControlStatus::NotAssessed, false, false),
        ]);
        let summary = ChecklistSummary::of_counts(&counts);
        assert_eq!(summary.by_status, vec![2, 1, 1, 0, 1], "in the order of the statuses");
        assert_eq!((summary.overdue, summary.accepted), (2, 1));
    }
}
