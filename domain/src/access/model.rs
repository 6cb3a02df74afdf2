//! Technicians, grants, and the stale-access rules.

use super::checklist::SlaPolicy;
use chrono::{DateTime, Duration, Utc};

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TechnicianState in vocabulary::TECHNICIAN_STATES {
        Onboarding,
        Active,
        Offboarding,
        Departed,
    }
}

impl TechnicianState {
    /// The lifecycle only moves forward: onboarding → active → offboarding → departed.
    pub fn can_become(self, next: TechnicianState) -> bool {
        use TechnicianState as S;
        matches!(
            (self, next),
            (S::Onboarding, S::Active) | (S::Onboarding | S::Active, S::Offboarding) | (S::Offboarding, S::Departed)
        )
    }

    /// Whether the person is leaving or gone, so that any access they hold is a finding.
    pub fn is_leaver(self) -> bool {
        matches!(self, TechnicianState::Offboarding | TechnicianState::Departed)
    }
}

pub use vocabulary::SYSTEMS;

pub fn system_label(system: &str) -> &'static str {
    vocabulary::label_of(SYSTEMS, system).unwrap_or("Unknown")
}

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Privilege in vocabulary::PRIVILEGES {
        Read,
        Standard,
        Admin,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Technician {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub state: TechnicianState,
    pub started_at: DateTime<Utc>,
    pub departed_at: Option<DateTime<Utc>>,
    pub user_id: Option<i64>,
    /// An involuntary exit: shorter deadlines, T0 when notice arrived.
    pub involuntary: bool,
    /// The last role change (a mover).
    pub role_changed_at: Option<DateTime<Utc>>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub id: i64,
    pub technician_id: i64,
    pub technician_name: String,
    pub technician_state: TechnicianState,
    /// The technician's T0, once offboarding started.
    pub technician_departed_at: Option<DateTime<Utc>>,
    pub client_id: i64,
    pub client_slug: String,
    pub client_name: String,
    pub system: String,
    pub system_name: String,
    pub privilege: Privilege,
    pub approver: String,
    pub justification: String,
    pub granted_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub mfa: bool,
    pub last_reviewed_at: Option<DateTime<Utc>>,
    pub last_reviewed_by: Option<String>,
    /// When the access was removed (the grant is revoked once that was verified).
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
    pub revoked_by_user: Option<i64>,
    /// How the removal was verified, and the evidence.
    pub revocation_method: String,
    pub revocation_evidence: String,
    /// A leaver's revocation task: the deadline set when offboarding started.
    pub revoke_due_at: Option<DateTime<Utc>>,
    /// After a role change: keep or revoke by then.
    pub reapproval_due_at: Option<DateTime<Utc>>,
    pub technician_involuntary: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    Active,
    Revoked,
    /// Past its expiry; whether anyone removed it in the tool is what the finding asks.
    Expired,
}

impl Grant {
    /// Whether `actor` may review or revoke this grant now: one who manages access at its
    /// client, while it is not revoked.
    pub fn may_manage(&self, actor: &crate::Actor) -> bool {
        actor.may_on_client(crate::Permission::ManageAccess, self.client_id) && self.revoked_at.is_none()
    }

    /// From T0 to the revocation, for a leaver's grant that was revoked.
    pub fn time_to_revoke(&self) -> Option<Duration> {
        Some(self.revoked_at? - self.technician_departed_at?)
    }

    /// When this grant must be revoked: its revocation task's deadline (from an offboarding or an
    /// access review's decision), or for a leaver's grant made after offboarding started
    /// (imported, say) the policy's deadline after T0.
    pub fn revocation_deadline(&self, policy: &SlaPolicy) -> Option<DateTime<Utc>> {
        // A revocation task: set at offboarding, or by an access review's "revoke" decision.
        if self.revoke_due_at.is_some() {
            return self.revoke_due_at;
        }
        if !self.technician_state.is_leaver() {
            return None;
        }
        self.technician_departed_at.map(|t0| policy.revoke_due(self.client_id, t0, self.technician_involuntary))
    }

    /// Revoked after its deadline.
    pub fn revoked_late(&self, policy: &SlaPolicy) -> bool {
        matches!((self.revoked_at, self.revocation_deadline(policy)), (Some(at), Some(due)) if at > due)
    }

    pub fn state(&self, now: DateTime<Utc>) -> GrantState {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => GrantState::Revoked,
            (None, Some(expiry)) if expiry <= now => GrantState::Expired,
            _ => GrantState::Active,
        }
    }

    /// The system's name for people: the label, or the named "other" system.
    pub fn system_label(&self) -> String {
        if self.system == "other" && !self.system_name.is_empty() {
            self.system_name.clone()
        } else {
            system_label(&self.system).to_string()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// An offboarding or departed technician still holds the grant.
    LeaverHoldsAccess,
    /// … and the revocation deadline after T0 has passed.
    RevocationOverdue,
    /// A role change asked for re-approval, and its deadline passed.
    ReapprovalOverdue,
    /// Past its expiry and not revoked.
    ExpiredStillActive,
    /// Admin privilege without MFA enforced.
    AdminWithoutMfa,
    /// Not reviewed within the review period.
    NotReviewed,
}

impl FindingKind {
    /// Every kind, the most urgent first: access that should already be gone, then access that
    /// should be reconsidered, then what is overdue for a look.
    pub const URGENCY: [FindingKind; 6] = [
        FindingKind::RevocationOverdue,
        FindingKind::LeaverHoldsAccess,
        FindingKind::ReapprovalOverdue,
        FindingKind::ExpiredStillActive,
        FindingKind::AdminWithoutMfa,
        FindingKind::NotReviewed,
    ];

    /// The kind's place in [`FindingKind::URGENCY`] (0: the most urgent).
    pub fn urgency(self) -> usize {
        FindingKind::URGENCY.iter().position(|k| *k == self).unwrap_or(FindingKind::URGENCY.len() - 1)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::LeaverHoldsAccess => "leaver_holds_access",
            FindingKind::RevocationOverdue => "revocation_overdue",
            FindingKind::ReapprovalOverdue => "reapproval_overdue",
            FindingKind::ExpiredStillActive => "expired_still_active",
            FindingKind::AdminWithoutMfa => "admin_without_mfa",
            FindingKind::NotReviewed => "not_reviewed",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FindingKind::LeaverHoldsAccess => "A leaver still holds this access",
            FindingKind::RevocationOverdue => "Revocation past its deadline",
            FindingKind::ReapprovalOverdue => "Not re-approved after a role change",
            FindingKind::ExpiredStillActive => "Past its expiry and not revoked",
            FindingKind::AdminWithoutMfa => "Admin access without MFA",
            FindingKind::NotReviewed => "Not reviewed within the review period",
        }
    }
}

/// The stale-access findings of one grant at `now` (none for a revoked grant), under the
/// service levels in force.
pub fn findings(grant: &Grant, policy: &SlaPolicy, now: DateTime<Utc>) -> Vec<FindingKind> {
    if grant.revoked_at.is_some() {
        return Vec::new();
    }
    let mut found = Vec::new();
    // A leaver whose departure (T0) is still ahead may keep working until then.
    if grant.technician_state.is_leaver() && grant.technician_departed_at.is_none_or(|t0| t0 <= now) {
        found.push(FindingKind::LeaverHoldsAccess);
    }
    if grant.revocation_deadline(policy).is_some_and(|due| now > due) {
        found.push(FindingKind::RevocationOverdue);
    }
    if grant.reapproval_due_at.is_some_and(|due| now > due) {
        found.push(FindingKind::ReapprovalOverdue);
    }
    if grant.expires_at.is_some_and(|e| e <= now) {
        found.push(FindingKind::ExpiredStillActive);
    }
    if grant.privilege == Privilege::Admin && !grant.mfa {
        found.push(FindingKind::AdminWithoutMfa);
    }
    let reviewed = grant.last_reviewed_at.unwrap_or(grant.granted_at);
    if now > policy.review_due(grant.client_id, reviewed) {
        found.push(FindingKind::NotReviewed);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_kind_of_finding_has_a_place_of_its_own_in_the_urgency_order() {
        for (place, kind) in FindingKind::URGENCY.iter().enumerate() {
            assert_eq!(kind.urgency(), place, "{kind:?}");
            // A new kind stops this from compiling: give it its place in URGENCY, then here.
            match kind {
                FindingKind::LeaverHoldsAccess
                | FindingKind::RevocationOverdue
                | FindingKind::ReapprovalOverdue
                | FindingKind::ExpiredStillActive
                | FindingKind::AdminWithoutMfa
                | FindingKind::NotReviewed => {}
            }
        }
    }

    fn grant(now: DateTime<Utc>) -> Grant {
        Grant {
            id: 1,
            technician_id: 1,
            technician_name: "Ada".into(),
            technician_state: TechnicianState::Active,
            technician_departed_at: None,
            client_id: 1,
            client_slug: "acme".into(),
            client_name: "Acme".into(),
            system: "rmm".into(),
            system_name: String::new(),
            privilege: Privilege::Standard,
            approver: "Grace".into(),
            justification: "Daily patching".into(),
            granted_at: now - Duration::days(10),
            expires_at: None,
            mfa: true,
            last_reviewed_at: None,
            last_reviewed_by: None,
            revoked_at: None,
            revoked_by: None,
            revoked_by_user: None,
            revocation_method: String::new(),
            revocation_evidence: String::new(),
            revoke_due_at: None,
            reapproval_due_at: None,
            technician_involuntary: false,
        }
    }

    fn findings(grant: &Grant, now: DateTime<Utc>) -> Vec<FindingKind> {
        super::findings(grant, &SlaPolicy::default(), now)
    }

    #[test]
    fn a_fresh_grant_with_mfa_has_no_findings() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        assert!(findings(&grant(now), now).is_empty());
    }

    #[test]
    fn each_rule_finds_its_case() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let leaver = Grant {
            technician_state: TechnicianState::Offboarding,
            technician_departed_at: Some(now - Duration::hours(23)),
            ..grant(now)
        };
        assert_eq!(findings(&leaver, now), vec![FindingKind::LeaverHoldsAccess]);
        let late = now + Duration::hours(2);
        assert_eq!(
            findings(&leaver, late),
            vec![FindingKind::LeaverHoldsAccess, FindingKind::RevocationOverdue],
            "24 hours after T0 the revocation is overdue"
        );
        let expired = Grant { expires_at: Some(now - Duration::hours(1)), ..grant(now) };
        assert_eq!(findings(&expired, now), vec![FindingKind::ExpiredStillActive]);
        assert_eq!(expired.state(now), GrantState::Expired);
        let admin = Grant { privilege: Privilege::Admin, mfa: false, ..grant(now) };
        assert_eq!(findings(&admin, now), vec![FindingKind::AdminWithoutMfa]);
        let old = grant(now - Duration::days(100));
        assert_eq!(findings(&old, now), vec![FindingKind::NotReviewed]);
        let reviewed = Grant { last_reviewed_at: Some(now - Duration::days(5)), ..old.clone() };
        assert!(findings(&reviewed, now).is_empty(), "a review resets the clock");
        let revoked = Grant { revoked_at: Some(now), ..leaver.clone() };
        assert!(findings(&revoked, now).is_empty());
        let moved = Grant { reapproval_due_at: Some(now - Duration::minutes(1)), ..grant(now) };
        assert_eq!(findings(&moved, now), vec![FindingKind::ReapprovalOverdue]);
        let not_yet = Grant { reapproval_due_at: Some(now + Duration::days(1)), ..grant(now) };
        assert!(findings(&not_yet, now).is_empty(), "a pending re-approval is not yet a finding");
    }

    #[test]
    fn a_leaver_is_judged_by_the_deadline_of_their_exit_and_client() {
        use crate::access::checklist::{Sla, SlaSetting, REVIEW, REVOKE};
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let t0 = now - Duration::hours(5);
        let leaver =
            Grant { technician_state: TechnicianState::Offboarding, technician_departed_at: Some(t0), ..grant(now) };
        assert_eq!(findings(&leaver, now), vec![FindingKind::LeaverHoldsAccess], "voluntary: 24 hours");
        let fired = Grant { technician_involuntary: true, ..leaver.clone() };
        assert_eq!(
            findings(&fired, now),
            vec![FindingKind::LeaverHoldsAccess, FindingKind::RevocationOverdue],
            "involuntary: 4 hours"
        );
        let tasked = Grant { revoke_due_at: Some(now + Duration::hours(1)), ..fired.clone() };
        assert_eq!(findings(&tasked, now), vec![FindingKind::LeaverHoldsAccess], "the task's own deadline counts");
        let contract = SlaPolicy {
            settings: vec![
                SlaSetting { client_id: Some(1), code: REVOKE.into(), sla: Sla::hours(2), involuntary: None },
                SlaSetting { client_id: Some(1), code: REVIEW.into(), sla: Sla::days(5), involuntary: None },
            ],
        };
        assert_eq!(
            super::findings(&leaver, &contract, now),
            vec![FindingKind::LeaverHoldsAccess, FindingKind::RevocationOverdue, FindingKind::NotReviewed],
            "a client's contract tightens both"
        );
        let leaving_later = Grant { technician_departed_at: Some(now + Duration::days(3)), ..leaver.clone() };
        assert!(findings(&leaving_later, now).is_empty(), "before T0 the leaver still works");
        let revoked_late = Grant { revoked_at: Some(t0 + Duration::hours(30)), ..leaver.clone() };
        assert!(revoked_late.revoked_late(&SlaPolicy::default()));
        let revoked_in_time = Grant { revoked_at: Some(t0 + Duration::hours(3)), ..leaver };
        assert!(!revoked_in_time.revoked_late(&SlaPolicy::default()));
    }

    #[test]
    fn the_lifecycle_only_moves_forward() {
        use TechnicianState as S;
        assert!(S::Onboarding.can_become(S::Active));
        assert!(S::Active.can_become(S::Offboarding));
        assert!(S::Onboarding.can_become(S::Offboarding));
        assert!(S::Offboarding.can_become(S::Departed));
        for (from, to) in
            [(S::Active, S::Onboarding), (S::Departed, S::Active), (S::Active, S::Departed), (S::Active, S::Active)]
        {
            assert!(!from.can_become(to), "{from:?} → {to:?}");
        }
    }
}
