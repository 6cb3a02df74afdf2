//! What the access pages receive: only the fields they show.

use crate::time::When;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub state: String,
    pub started: When,
    /// T0, once offboarding started.
    pub departed: Option<When>,
    /// An involuntary exit (shorter deadlines).
    pub involuntary: bool,
    /// The last role change.
    pub role_changed: Option<When>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub technician_id: i64,
    pub technician_name: String,
    pub technician_state: String,
    pub client_slug: String,
    pub client_name: String,
    pub system: String,
    pub privilege: String,
    pub approver: String,
    pub justification: String,
    pub granted: When,
    pub expires: Option<When>,
    pub mfa: bool,
    pub last_reviewed: Option<When>,
    pub last_reviewed_by: Option<String>,
    pub revoked: Option<When>,
    pub revoked_by: Option<String>,
    /// How the removal was verified (in words) and the evidence.
    pub revocation_method: Option<String>,
    pub revocation_evidence: String,
    /// A leaver's revocation deadline, and whether it has passed with the grant still active.
    pub revoke_due: Option<When>,
    pub revoke_overdue: bool,
    /// After a role change: keep or revoke by then.
    pub reapproval_due: Option<When>,
    /// "active", "revoked" or "expired".
    pub state: String,
    /// For a leaver's revoked grant: how long after T0 it was revoked ("3 h 20 min").
    pub time_to_revoke: Option<String>,
    /// Revoked later than its deadline after T0.
    pub revoked_late: bool,
    /// Stale-access findings, in words.
    pub findings: Vec<String>,
    /// The signed-in user may review and revoke it.
    pub can_manage: bool,
    /// The signed-in user may open the technician's page (MSP staff; not the client portal).
    pub technician_page: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianList {
    pub technicians: Vec<TechnicianView>,
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianDetail {
    pub technician: TechnicianView,
    pub grants: Vec<GrantView>,
    pub can_manage: bool,
    /// Clients the signed-in user may grant access to: (slug, name).
    pub clients: Vec<(String, String)>,
    pub onboarding: Vec<StepView>,
    pub offboarding_steps: Vec<StepView>,
    pub mover_steps: Vec<StepView>,
    pub offboarding: Option<OffboardingView>,
}

/// One checklist step of one technician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: i64,
    pub code: String,
    pub title: String,
    /// The service level in force when it was created, as proposed ("Day 1").
    pub sla_text: String,
    pub sources: String,
    pub due: When,
    /// Open past its deadline.
    pub overdue: bool,
    pub done: Option<When>,
    pub done_by: Option<String>,
    /// Done after its deadline.
    pub done_late: bool,
    pub note: String,
    /// What the step gates, in words ("No access before this step").
    pub gate: Option<String>,
}

/// How an offboarding stands against its deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffboardingView {
    pub t0: When,
    pub involuntary: bool,
    pub tasks: usize,
    pub revoked: usize,
    pub breaches: usize,
    /// From T0 to the last revocation ("5 h 10 min"), once all are revoked.
    pub time_to_revoke_all: Option<String>,
    pub steps: usize,
    pub steps_done: usize,
    pub steps_done_in_time: usize,
    pub attested: bool,
}

/// A technician with checklist steps past their deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateChecklistView {
    pub technician_id: i64,
    pub technician_name: String,
    pub technician_state: String,
    pub overdue: Vec<StepView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingsView {
    /// This page's grants with findings, the most urgent first.
    pub grants: Vec<GrantView>,
    /// Grants with findings on every page, and of each kind (its description, how many).
    pub total: usize,
    pub by_kind: Vec<(String, usize)>,
    pub page: u32,
    pub pages: u32,
    pub late_checklists: Vec<LateChecklistView>,
}

/// Grants with findings shown per page.
pub const FINDINGS_PAGE_SIZE: usize = 50;

/// One service level on the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaRowView {
    pub code: String,
    pub title: String,
    pub proposed: String,
    pub amount: i64,
    pub unit: String,
    pub involuntary: Option<(i64, String)>,
    pub has_involuntary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaSettingsView {
    pub rows: Vec<SlaRowView>,
    pub can_edit: bool,
}

/// A client's revocation and review deadlines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSlaView {
    pub revoke: String,
    pub revoke_involuntary: String,
    pub review: String,
    pub revoke_is_contract: bool,
    pub review_is_contract: bool,
    pub can_edit: bool,
}

pub fn technician_state_label(state: &str) -> &'static str {
    vocabulary::label_of(vocabulary::TECHNICIAN_STATES, state).unwrap_or("Unknown")
}
