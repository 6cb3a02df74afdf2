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
    /// "active", "revoked" or "expired".
    pub state: String,
    /// For a leaver's revoked grant: how long after T0 it was revoked ("3 h 20 min").
    pub time_to_revoke: Option<String>,
    /// Revoked later than the deadline after T0.
    pub revoked_late: bool,
    /// Stale-access findings, in words.
    pub findings: Vec<String>,
    /// The signed-in user may review and revoke it.
    pub can_manage: bool,
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
}

pub const TECHNICIAN_STATES: [(&str, &str); 4] =
    [("onboarding", "Onboarding"), ("active", "Active"), ("offboarding", "Offboarding"), ("departed", "Departed")];

pub fn technician_state_label(state: &str) -> &'static str {
    TECHNICIAN_STATES.iter().find(|(v, _)| *v == state).map(|(_, l)| *l).unwrap_or("Unknown")
}

pub const PRIVILEGES: [(&str, &str); 3] = [("read", "Read"), ("standard", "Standard"), ("admin", "Admin")];

/// The systems a grant can be for. The domain checks against its own list; a test keeps the two
/// alike (the browser build cannot use the domain crate).
pub const SYSTEMS: [(&str, &str); 10] = [
    ("rmm", "RMM"),
    ("psa", "PSA"),
    ("remote_support", "Remote support"),
    ("password_vault", "Password vault"),
    ("m365_gdap", "Microsoft 365 / GDAP"),
    ("firewall_vpn", "Firewall / VPN"),
    ("backup_console", "Backup console"),
    ("edr", "EDR"),
    ("client_directory", "Client directory (AD / Entra)"),
    ("other", "Other (name it)"),
];

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_form_offers_exactly_the_systems_the_domain_accepts() {
        let form: Vec<&str> = super::SYSTEMS.iter().map(|(v, _)| *v).collect();
        let domain: Vec<&str> = domain::access::SYSTEMS.iter().map(|(v, _)| *v).collect();
        assert_eq!(form, domain);
    }
}
