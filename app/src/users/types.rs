//! What the people pages show.

use crate::time::When;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    /// A client viewer's client, a technician's clients, "Every client" or "—".
    pub clients: String,
    pub mfa_enrolled: bool,
    pub disabled: bool,
    pub last_sign_in: Option<When>,
    /// The signed-in user themselves (nothing to change here: /account).
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i64,
    pub email: String,
    pub role_label: String,
    pub clients: String,
    pub created_by: String,
    pub expires: When,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub people: Vec<PersonView>,
    pub invitations: Vec<InvitationView>,
    /// (slug, name) of every active client, to place people.
    pub clients: Vec<(String, String)>,
    /// Admins: every role and change; otherwise (managers) client viewers only.
    pub can_manage: bool,
    /// Admins and managers.
    pub can_invite: bool,
    /// The link of an invitation just made by a plain form post, shown once.
    pub new_link: Option<String>,
}

/// What an invitation link offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationOffer {
    pub email: String,
    pub role_label: String,
    pub client_name: Option<String>,
}
