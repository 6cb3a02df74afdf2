//! Who may do what: the one rule table (role × permission × reach) and the acting user.
//!
//! A rule grants a permission to a role either on every client (`Reach::AnyClient`) or only on
//! the clients in the actor's scope (`Reach::OwnClients`: a technician's assigned clients, a
//! client viewer's one organisation). Permissions that concern no client use `Reach::Global`.
//! Anything not in the table is refused. Service functions call [`Actor::require`] or
//! [`Actor::require_on_client`] before they read or write.
//!
//! Two rules beyond the table, decided here for every door (a page, a download, an API):
//! - A user whose role must use two-factor sign-in changes nothing until they have set it up
//!   ([`Actor::must_set_up_two_factor`]): every permission that changes something is refused
//!   with [`DomainError::TwoFactorRequired`]; reading stays allowed.
//! - A sensitive action needs a recent confirmation of identity
//!   ([`Actor::require_recent_confirmation`]); the services of sensitive actions ask for it.

use crate::error::{DomainError, Result};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a confirmation of identity (signing in, or entering the password again) lets
/// sensitive actions through.
pub const CONFIRMATION_MINUTES: i64 = 10;

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role in vocabulary::ROLES {
        Admin,
        Manager,
        Technician,
        Auditor,
        ClientViewer,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the portfolio overview (across the clients in scope).
    ViewPortfolio,
    /// See a client and list clients.
    ViewClient,
    /// See a client's internal notes (never shown in the client portal).
    ViewClientNotes,
    CreateClient,
    EditClient,
    ArchiveClient,
    ViewUsers,
    ManageUsers,
    /// Add and invite client viewers (for any client): the only people a manager may add.
    InviteClientViewers,
    /// Read the control catalog.
    ViewCatalog,
    /// See a client's checklist.
    ViewControls,
    /// Change a client's control status and evidence.
    EditControls,
    /// Ask for a risk acceptance (exception) on a client's control.
    RequestException,
    /// Approve or revoke a risk acceptance.
    ApproveException,
    /// Add, change and retire custom controls.
    ManageCatalog,
    /// See the MSP's technicians.
    ViewTechnicians,
    /// Add technicians and move them through their lifecycle.
    ManageTechnicians,
    /// See who at the MSP can reach a client.
    ViewAccess,
    /// Grant, review and revoke access to a client.
    ManageAccess,
    /// Change the MSP's settings (service levels of the checklists and of revocation).
    ManageSettings,
    /// Read, filter, verify and export the audit log (all of it: it spans every client).
    ViewAudit,
    /// See a client's review schedule.
    ViewReviews,
    /// Plan, run and close a client's reviews.
    ManageReviews,
}

impl Permission {
    pub const ALL: [Permission; 23] = [
        Permission::ViewPortfolio,
        Permission::ViewClient,
        Permission::ViewClientNotes,
        Permission::CreateClient,
        Permission::EditClient,
        Permission::ArchiveClient,
        Permission::ViewUsers,
        Permission::ManageUsers,
        Permission::InviteClientViewers,
        Permission::ViewCatalog,
        Permission::ViewControls,
        Permission::EditControls,
        Permission::RequestException,
        Permission::ApproveException,
        Permission::ManageCatalog,
        Permission::ViewTechnicians,
        Permission::ManageTechnicians,
        Permission::ViewAccess,
        Permission::ManageAccess,
        Permission::ManageSettings,
        Permission::ViewAudit,
        Permission::ViewReviews,
        Permission::ManageReviews,
    ];

    /// Whether using the permission changes something (everything but seeing).
    pub fn changes(self) -> bool {
        !matches!(
            self,
            Permission::ViewPortfolio
                | Permission::ViewClient
                | Permission::ViewClientNotes
                | Permission::ViewUsers
                | Permission::ViewCatalog
                | Permission::ViewControls
                | Permission::ViewTechnicians
                | Permission::ViewAccess
                | Permission::ViewAudit
                | Permission::ViewReviews
        )
    }

    /// Whether the permission is exercised on one client (and so depends on the actor's scope).
    pub fn is_client_scoped(self) -> bool {
        matches!(
            self,
            Permission::ViewClient
                | Permission::ViewClientNotes
                | Permission::EditClient
                | Permission::ArchiveClient
                | Permission::ViewControls
                | Permission::EditControls
                | Permission::RequestException
                | Permission::ApproveException
                | Permission::ViewAccess
                | Permission::ManageAccess
                | Permission::ViewReviews
                | Permission::ManageReviews
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// A permission that concerns no particular client.
    Global,
    /// Only on clients in the actor's scope.
    OwnClients,
    /// On every client.
    AnyClient,
}

use Permission as P;
use Reach::{AnyClient, Global, OwnClients};
use Role as R;

/// The rule table. Read it as "role may do permission on reach".
const RULES: &[(Role, Permission, Reach)] = &[
    (R::Admin, P::ViewPortfolio, Global),
    (R::Admin, P::ViewClient, AnyClient),
    (R::Admin, P::ViewClientNotes, AnyClient),
    (R::Admin, P::CreateClient, Global),
    (R::Admin, P::EditClient, AnyClient),
    (R::Admin, P::ArchiveClient, AnyClient),
    (R::Admin, P::ViewUsers, Global),
    (R::Admin, P::ManageUsers, Global),
    (R::Admin, P::InviteClientViewers, Global),
    (R::Manager, P::InviteClientViewers, Global),
    (R::Admin, P::ViewCatalog, Global),
    (R::Admin, P::ViewControls, AnyClient),
    (R::Admin, P::EditControls, AnyClient),
    (R::Admin, P::RequestException, AnyClient),
    (R::Admin, P::ApproveException, AnyClient),
    (R::Admin, P::ManageCatalog, Global),
    (R::Manager, P::ViewPortfolio, Global),
    (R::Manager, P::ViewClient, AnyClient),
    (R::Manager, P::ViewClientNotes, AnyClient),
    (R::Manager, P::CreateClient, Global),
    (R::Manager, P::EditClient, AnyClient),
    (R::Manager, P::ArchiveClient, AnyClient),
    (R::Manager, P::ViewUsers, Global),
    (R::Manager, P::ViewCatalog, Global),
    (R::Manager, P::ViewControls, AnyClient),
    (R::Manager, P::EditControls, AnyClient),
    (R::Manager, P::RequestException, AnyClient),
    (R::Manager, P::ApproveException, AnyClient),
    (R::Manager, P::ManageCatalog, Global),
    (R::Technician, P::ViewPortfolio, Global),
    (R::Technician, P::ViewClient, OwnClients),
    (R::Technician, P::ViewClientNotes, OwnClients),
    (R::Technician, P::ViewCatalog, Global),
    (R::Technician, P::ViewControls, OwnClients),
    (R::Technician, P::EditControls, OwnClients),
    (R::Auditor, P::ViewPortfolio, Global),
    (R::Auditor, P::ViewClient, AnyClient),
    (R::Auditor, P::ViewClientNotes, AnyClient),
    (R::Auditor, P::ViewUsers, Global),
    (R::Auditor, P::ViewCatalog, Global),
    (R::Auditor, P::ViewControls, AnyClient),
    (R::ClientViewer, P::ViewClient, OwnClients),
    (R::ClientViewer, P::ViewControls, OwnClients),
    (R::Admin, P::ViewTechnicians, Global),
    (R::Admin, P::ManageTechnicians, Global),
    (R::Admin, P::ViewAccess, AnyClient),
    (R::Admin, P::ManageAccess, AnyClient),
    (R::Manager, P::ViewTechnicians, Global),
    (R::Manager, P::ManageTechnicians, Global),
    (R::Manager, P::ViewAccess, AnyClient),
    (R::Manager, P::ManageAccess, AnyClient),
    (R::Technician, P::ViewTechnicians, Global),
    (R::Technician, P::ViewAccess, OwnClients),
    (R::Auditor, P::ViewTechnicians, Global),
    (R::Auditor, P::ViewAccess, AnyClient),
    (R::ClientViewer, P::ViewAccess, OwnClients),
    (R::Admin, P::ManageSettings, Global),
    (R::Admin, P::ViewAudit, Global),
    (R::Auditor, P::ViewAudit, Global),
    (R::Admin, P::ViewReviews, AnyClient),
    (R::Admin, P::ManageReviews, AnyClient),
    (R::Manager, P::ViewReviews, AnyClient),
    (R::Manager, P::ManageReviews, AnyClient),
    (R::Technician, P::ViewReviews, OwnClients),
    (R::Auditor, P::ViewReviews, AnyClient),
    (R::ClientViewer, P::ViewReviews, OwnClients),
];

/// The reach a role has for a permission, if any.
pub fn reach(role: Role, permission: Permission) -> Option<Reach> {
    RULES.iter().find(|(r, p, _)| *r == role && *p == permission).map(|(_, _, reach)| *reach)
}

/// Decides one question of the table: may `role` use `permission` on a client that is inside
/// (`own == true`) or outside the actor's scope? For global permissions `own` is ignored.
pub fn allows(role: Role, permission: Permission, own: bool) -> bool {
    match reach(role, permission) {
        None => false,
        Some(Global) | Some(AnyClient) => true,
        Some(OwnClients) => own,
    }
}

/// Which clients an actor works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientScope {
    /// Every client (admins, managers, auditors, unrestricted technicians).
    All,
    /// Only these client ids (restricted technicians: assigned clients; client viewers: one).
    Only(Vec<i64>),
}

impl ClientScope {
    pub fn contains(&self, client_id: i64) -> bool {
        match self {
            ClientScope::All => true,
            ClientScope::Only(ids) => ids.contains(&client_id),
        }
    }
}

/// The user on whose behalf a service function runs.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the command line, which acts with the operator's authority.
    pub user_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub scope: ClientScope,
    /// The client a client viewer belongs to.
    pub client_id: Option<i64>,
    /// That client's slug, for the viewer's links (read with the user, so that a page does not
    /// read the user again to show who is signed in).
    pub client_slug: Option<String>,
    /// When the user last proved who they are in this session (signing in, or entering their
    /// password again), as the session recorded it; `None` when it did not.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Whether the user has set up two-factor sign-in (an app whose first code was confirmed).
    pub two_factor: bool,
    /// Whether the deployment requires two-factor sign-in of this user's role.
    pub two_factor_required: bool,
    /// Whether the user has registered a passkey (which counts as two-factor sign-in too).
    pub passkey: bool,
    /// Whether the deployment requires a passkey of this user's role (an app is not enough).
    pub passkey_required: bool,
}

impl Actor {
    /// The command line: whoever can run it can already read the database, so it acts as admin.
    pub fn command_line() -> Actor {
        Actor {
            user_id: None,
            email: "cli@localhost".into(),
            display_name: "Command line".into(),
            role: Role::Admin,
            scope: ClientScope::All,
            client_id: None,
            client_slug: None,
            confirmed_at: None,
            two_factor: false,
            two_factor_required: false,
            passkey: false,
            passkey_required: false,
        }
    }

    /// The actor of a signed-in session: when the session last confirmed who its user is, and
    /// whether the deployment requires two-factor sign-in of the user's role.
    pub fn in_session(self, confirmed_at: Option<DateTime<Utc>>, two_factor_roles: &[Role]) -> Actor {
        Actor { confirmed_at, two_factor_required: two_factor_roles.contains(&self.role), ..self }
    }

    /// The actor of a session in a deployment that requires a passkey of `passkey_roles`.
    pub fn requiring_passkey(self, passkey_roles: &[Role]) -> Actor {
        Actor { passkey_required: passkey_roles.contains(&self.role), ..self }
    }

    /// Whether the user must set up two-factor sign-in (or, where their role needs one, a
    /// passkey) before they may change anything.
    pub fn must_set_up_two_factor(&self) -> bool {
        (self.two_factor_required && !self.two_factor) || self.must_add_passkey()
    }

    /// Whether the user's role needs a passkey and they have none yet.
    pub fn must_add_passkey(&self) -> bool {
        self.passkey_required && !self.passkey
    }

    /// Whether the actor may change something now (for views: a form the actor could not use
    /// is not offered as if they could).
    pub fn may_change(&self) -> bool {
        !self.must_set_up_two_factor()
    }

    fn require_set_up_for(&self, permission: Permission) -> Result<()> {
        if permission.changes() {
            self.require_may_change()
        } else {
            Ok(())
        }
    }

    /// Refuses any change while the actor must set up two-factor sign-in, for the changes a
    /// permission does not cover (one's own requests, say). Setting it up stays allowed.
    pub fn require_may_change(&self) -> Result<()> {
        if self.must_set_up_two_factor() {
            Err(DomainError::TwoFactorRequired)
        } else {
            Ok(())
        }
    }

    /// Refuses a sensitive action (see the module's doc) unless the actor confirmed who they
    /// are within the last [`CONFIRMATION_MINUTES`] before `now`. A confirmation dated in the
    /// future (a clock moved back) does not count. The command line acts with the operator's
    /// authority and needs none.
    pub fn require_recent_confirmation(&self, now: DateTime<Utc>) -> Result<()> {
        if self.user_id.is_none() {
            return Ok(());
        }
        match self.confirmed_at {
            Some(at) if is_recent(at, now) => Ok(()),
            _ => Err(DomainError::StepUpRequired),
        }
    }

    /// Whether the actor may use `permission` now (for views: a form is offered only to whom
    /// [`Actor::require`] would let through): the rule table, and for a change the two-factor
    /// rule.
    pub fn may(&self, permission: Permission) -> bool {
        self.can(permission) && (!permission.changes() || self.may_change())
    }

    /// [`Actor::may`] on one client, as [`Actor::require_on_client`] decides it.
    pub fn may_on_client(&self, permission: Permission, client_id: i64) -> bool {
        self.can_on_client(permission, client_id) && (!permission.changes() || self.may_change())
    }

    pub fn can(&self, permission: Permission) -> bool {
        reach(self.role, permission).is_some()
    }

    pub fn can_on_client(&self, permission: Permission, client_id: i64) -> bool {
        allows(self.role, permission, self.scope.contains(client_id))
    }

    /// Refuses a permission the role lacks altogether (for global permissions and lists).
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.can(permission) {
            self.require_set_up_for(permission)
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// Refuses a client-scoped permission. A client the actor may not even see is reported as
    /// not found, so that existence does not leak; a visible client with a missing permission
    /// is forbidden.
    pub fn require_on_client(&self, permission: Permission, client_id: i64) -> Result<()> {
        if !self.can_on_client(Permission::ViewClient, client_id) {
            return Err(DomainError::NotFound);
        }
        if self.can_on_client(permission, client_id) {
            self.require_set_up_for(permission)
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// The filter for list queries: `None` means every client, `Some(ids)` only those.
    pub fn visible_client_ids(&self) -> Option<&[i64]> {
        match (&self.scope, reach(self.role, Permission::ViewClient)) {
            (_, None) => Some(&[]),
            (_, Some(AnyClient)) | (ClientScope::All, _) => None,
            (ClientScope::Only(ids), _) => Some(ids),
        }
    }
}

/// Whether a confirmation at `at` still counts at `now`.
fn is_recent(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let age = now - at;
    age >= Duration::zero() && age <= Duration::minutes(CONFIRMATION_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected table, written out independently of RULES: for each role and permission,
    /// (allowed on an own client, allowed on a foreign client). Global permissions repeat the
    /// same answer in both columns.
    #[rustfmt::skip]
    const EXPECTED: &[(Role, Permission, bool, bool)] = &[
        (R::Admin, P::ViewPortfolio, true, true),
        (R::Admin, P::ViewClient, true, true),
        (R::Admin, P::ViewClientNotes, true, true),
        (R::Admin, P::CreateClient, true, true),
        (R::Admin, P::EditClient, true, true),
        (R::Admin, P::ArchiveClient, true, true),
        (R::Admin, P::ViewUsers, true, true),
        (R::Admin, P::ManageUsers, true, true),
        (R::Admin, P::InviteClientViewers, true, true),
        (R::Admin, P::ViewCatalog, true, true),
        (R::Admin, P::ViewControls, true, true),
        (R::Admin, P::EditControls, true, true),
        (R::Admin, P::RequestException, true, true),
        (R::Admin, P::ManageCatalog, true, true),
        (R::Admin, P::ApproveException, true, true),

        (R::Manager, P::ViewPortfolio, true, true),
        (R::Manager, P::ViewClient, true, true),
        (R::Manager, P::ViewClientNotes, true, true),
        (R::Manager, P::CreateClient, true, true),
        (R::Manager, P::EditClient, true, true),
        (R::Manager, P::ArchiveClient, true, true),
        (R::Manager, P::ViewUsers, true, true),
        (R::Manager, P::ManageUsers, false, false),
        (R::Manager, P::InviteClientViewers, true, true),
        (R::Manager, P::ViewCatalog, true, true),
        (R::Manager, P::ViewControls, true, true),
        (R::Manager, P::EditControls, true, true),
        (R::Manager, P::RequestException, true, true),
        (R::Manager, P::ManageCatalog, true, true),
        (R::Manager, P::ApproveException, true, true),

        (R::Technician, P::ViewPortfolio, true, true),
        (R::Technician, P::ViewClient, true, false),
        (R::Technician, P::ViewClientNotes, true, false),
        (R::Technician, P::CreateClient, false, false),
        (R::Technician, P::EditClient, false, false),
        (R::Technician, P::ArchiveClient, false, false),
        (R::Technician, P::ViewUsers, false, false),
        (R::Technician, P::ManageUsers, false, false),
        (R::Technician, P::InviteClientViewers, false, false),
        (R::Technician, P::ViewCatalog, true, true),
        (R::Technician, P::ViewControls, true, false),
        (R::Technician, P::EditControls, true, false),
        (R::Technician, P::RequestException, false, false),
        (R::Technician, P::ManageCatalog, false, false),
        (R::Technician, P::ApproveException, false, false),

        (R::Auditor, P::ViewPortfolio, true, true),
        (R::Auditor, P::ViewClient, true, true),
        (R::Auditor, P::ViewClientNotes, true, true),
        (R::Auditor, P::CreateClient, false, false),
        (R::Auditor, P::EditClient, false, false),
        (R::Auditor, P::ArchiveClient, false, false),
        (R::Auditor, P::ViewUsers, true, true),
        (R::Auditor, P::ManageUsers, false, false),
        (R::Auditor, P::InviteClientViewers, false, false),
        (R::Auditor, P::ViewCatalog, true, true),
        (R::Auditor, P::ViewControls, true, true),
        (R::Auditor, P::EditControls, false, false),
        (R::Auditor, P::RequestException, false, false),
        (R::Auditor, P::ManageCatalog, false, false),
        (R::Auditor, P::ApproveException, false, false),

        (R::ClientViewer, P::ViewPortfolio, false, false),
        (R::ClientViewer, P::ViewClient, true, false),
        (R::ClientViewer, P::ViewClientNotes, false, false),
        (R::ClientViewer, P::CreateClient, false, false),
        (R::ClientViewer, P::EditClient, false, false),
        (R::ClientViewer, P::ArchiveClient, false, false),
        (R::ClientViewer, P::ViewUsers, false, false),
        (R::ClientViewer, P::ManageUsers, false, false),
        (R::ClientViewer, P::InviteClientViewers, false, false),
        (R::ClientViewer, P::ViewCatalog, false, false),
        (R::ClientViewer, P::ViewControls, true, false),
        (R::ClientViewer, P::EditControls, false, false),
        (R::ClientViewer, P::RequestException, false, false),
        (R::ClientViewer, P::ManageCatalog, false, false),
        (R::ClientViewer, P::ApproveException, false, false),
        (R::Admin, P::ViewTechnicians, true, true),
        (R::Admin, P::ManageTechnicians, true, true),
        (R::Admin, P::ViewAccess, true, true),
        (R::Admin, P::ManageAccess, true, true),
        (R::Manager, P::ViewTechnicians, true, true),
        (R::Manager, P::ManageTechnicians, true, true),
        (R::Manager, P::ViewAccess, true, true),
        (R::Manager, P::ManageAccess, true, true),
        (R::Technician, P::ViewTechnicians, true, true),
        (R::Technician, P::ManageTechnicians, false, false),
        (R::Technician, P::ViewAccess, true, false),
        (R::Technician, P::ManageAccess, false, false),
        (R::Auditor, P::ViewTechnicians, true, true),
        (R::Auditor, P::ManageTechnicians, false, false),
        (R::Auditor, P::ViewAccess, true, true),
        (R::Auditor, P::ManageAccess, false, false),
        (R::ClientViewer, P::ViewTechnicians, false, false),
        (R::ClientViewer, P::ManageTechnicians, false, false),
        (R::ClientViewer, P::ViewAccess, true, false),
        (R::ClientViewer, P::ManageAccess, false, false),
        (R::Admin, P::ManageSettings, true, true),
        (R::Manager, P::ManageSettings, false, false),
        (R::Technician, P::ManageSettings, false, false),
        (R::Auditor, P::ManageSettings, false, false),
        (R::ClientViewer, P::ManageSettings, false, false),
        (R::Admin, P::ViewAudit, true, true),
        (R::Manager, P::ViewAudit, false, false),
        (R::Technician, P::ViewAudit, false, false),
        (R::Auditor, P::ViewAudit, true, true),
        (R::ClientViewer, P::ViewAudit, false, false),
        (R::Admin, P::ViewReviews, true, true),
        (R::Admin, P::ManageReviews, true, true),
        (R::Manager, P::ViewReviews, true, true),
        (R::Manager, P::ManageReviews, true, true),
        (R::Technician, P::ViewReviews, true, false),
        (R::Technician, P::ManageReviews, false, false),
        (R::Auditor, P::ViewReviews, true, true),
        (R::Auditor, P::ManageReviews, false, false),
        (R::ClientViewer, P::ViewReviews, true, false),
        (R::ClientViewer, P::ManageReviews, false, false),
    ];

    #[test]
    fn rule_table_matches_the_expected_table_for_every_role_and_permission() {
        assert_eq!(EXPECTED.len(), Role::ALL.len() * Permission::ALL.len());
        for role in Role::ALL {
            for permission in Permission::ALL {
                let (_, _, own, foreign) = EXPECTED
                    .iter()
                    .find(|(r, p, _, _)| *r == role && *p == permission)
                    .unwrap_or_else(|| panic!("no expectation for {role:?} × {permission:?}"));
                assert_eq!(allows(role, permission, true), *own, "{role:?} × {permission:?} on an own client");
                assert_eq!(allows(role, permission, false), *foreign, "{role:?} × {permission:?} on a foreign client");
            }
        }
    }

    #[test]
    fn every_rule_has_a_reach_that_fits_its_permission() {
        for (role, permission, reach) in RULES {
            assert_eq!(
                permission.is_client_scoped(),
                *reach != Global,
                "{role:?} × {permission:?} has reach {reach:?}"
            );
        }
    }

    #[test]
    fn rule_table_has_no_duplicate_rows() {
        for (i, (r, p, _)) in RULES.iter().enumerate() {
            assert!(!RULES[i + 1..].iter().any(|(r2, p2, _)| r2 == r && p2 == p), "{r:?} × {p:?} twice");
        }
    }

    fn actor(role: Role, scope: ClientScope) -> Actor {
        Actor {
            user_id: Some(1),
            email: "a@example.test".into(),
            display_name: "A".into(),
            role,
            scope,
            client_id: None,
            client_slug: None,
            confirmed_at: None,
            two_factor: false,
            two_factor_required: false,
            passkey: false,
            passkey_required: false,
        }
    }

    #[test]
    fn a_role_that_must_use_two_factor_sign_in_reads_but_changes_nothing_until_it_is_set_up() {
        let manager = actor(Role::Manager, ClientScope::All).in_session(None, &[Role::Admin, Role::Manager]);
        assert!(manager.must_set_up_two_factor() && !manager.may_change());
        assert!(manager.require(P::ViewPortfolio).is_ok());
        assert!(manager.require_on_client(P::ViewControls, 3).is_ok());
        assert!(matches!(manager.require(P::CreateClient), Err(DomainError::TwoFactorRequired)));
        assert!(matches!(manager.require_on_client(P::EditControls, 3), Err(DomainError::TwoFactorRequired)));
        assert!(matches!(manager.require(P::ManageUsers), Err(DomainError::Forbidden)), "the table first");
        assert!(manager.may(P::ViewPortfolio) && !manager.may(P::CreateClient), "views are offered the same answer");
        assert!(!manager.may_on_client(P::EditControls, 3) && manager.can_on_client(P::EditControls, 3));
        let enrolled = Actor { two_factor: true, ..manager.clone() };
        assert!(enrolled.require(P::CreateClient).is_ok() && enrolled.may(P::CreateClient));
        let technician = actor(Role::Technician, ClientScope::All).in_session(None, &[Role::Admin, Role::Manager]);
        assert!(technician.require_on_client(P::EditControls, 3).is_ok(), "a role not required to use it");
        // Where the role needs a passkey, an app is not enough: a passkey is.
        let admin = Actor { two_factor: true, ..actor(Role::Admin, ClientScope::All) }
            .in_session(None, &[Role::Admin])
            .requiring_passkey(&[Role::Admin]);
        assert!(admin.must_add_passkey() && !admin.may_change());
        assert!(matches!(admin.require(P::CreateClient), Err(DomainError::TwoFactorRequired)));
        let with_passkey = Actor { passkey: true, ..admin };
        assert!(!with_passkey.must_set_up_two_factor() && with_passkey.require(P::CreateClient).is_ok());
        for permission in Permission::ALL {
            let reads = format!("{permission:?}").starts_with("View");
            assert_eq!(permission.changes(), !reads, "{permission:?}");
        }
    }

    #[test]
    fn a_confirmation_counts_for_ten_minutes_never_from_the_future_and_the_command_line_needs_none() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let confirmed = |seconds_ago: Option<i64>| {
            actor(Role::Admin, ClientScope::All).in_session(seconds_ago.map(|s| now - Duration::seconds(s)), &[])
        };
        assert!(confirmed(Some(0)).require_recent_confirmation(now).is_ok());
        assert!(confirmed(Some(600)).require_recent_confirmation(now).is_ok());
        for stale in [Some(601), Some(-60), None] {
            let refused = confirmed(stale).require_recent_confirmation(now);
            assert!(matches!(refused, Err(DomainError::StepUpRequired)), "{stale:?}");
        }
        assert!(Actor::command_line().require_recent_confirmation(now).is_ok());
    }

    #[test]
    fn a_client_outside_the_scope_is_not_found_rather_than_forbidden() {
        let viewer = actor(Role::ClientViewer, ClientScope::Only(vec![7]));
        assert!(matches!(viewer.require_on_client(P::ViewClient, 8), Err(DomainError::NotFound)));
        assert!(matches!(viewer.require_on_client(P::EditClient, 8), Err(DomainError::NotFound)));
        assert!(matches!(viewer.require_on_client(P::EditClient, 7), Err(DomainError::Forbidden)));
        assert!(viewer.require_on_client(P::ViewClient, 7).is_ok());
    }

    #[test]
    fn visible_client_ids_follow_role_and_scope() {
        assert_eq!(actor(Role::Manager, ClientScope::All).visible_client_ids(), None);
        assert_eq!(actor(Role::Technician, ClientScope::All).visible_client_ids(), None);
        assert_eq!(actor(Role::Technician, ClientScope::Only(vec![3])).visible_client_ids(), Some(&[3][..]));
        assert_eq!(actor(Role::ClientViewer, ClientScope::Only(vec![4])).visible_client_ids(), Some(&[4][..]));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
