//! The onboarding and offboarding checklists (domain/checklists.md, ON-01…ON-11, OFF-01…OFF-12,
//! MOV-01), their service levels, and the arithmetic of deadlines. Pure: no storage, no clock.
//!
//! A service level is an amount of hours, calendar days or business days (Monday to Friday)
//! counted from an anchor: the start date for onboarding, T0 for offboarding, the role change
//! for a mover. Each step has a default (the proposed SLA of checklists.md, cited there); the
//! MSP may change any default in its settings, and a client's contract may tighten the two that
//! concern that client: how soon a leaver's access to it is revoked, and how often grants to it
//! are reviewed.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SlaUnit in vocabulary::SLA_UNITS {
        Hours,
        Days,
        BusinessDays,
    }
}

/// A service level: how long after its anchor something must be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sla {
    pub amount: i64,
    pub unit: SlaUnit,
}

/// The longest service level anyone may set: a year.
pub const MAX_SLA_DAYS: i64 = 366;

impl Sla {
    pub const fn hours(amount: i64) -> Sla {
        Sla { amount, unit: SlaUnit::Hours }
    }
    pub const fn days(amount: i64) -> Sla {
        Sla { amount, unit: SlaUnit::Days }
    }
    pub const fn business_days(amount: i64) -> Sla {
        Sla { amount, unit: SlaUnit::BusinessDays }
    }

    /// The deadline for something anchored at `from`. Business days skip Saturdays and Sundays
    /// and keep the time of day; an anchor on a weekend counts from the next Monday's same time.
    pub fn due(self, from: DateTime<Utc>) -> DateTime<Utc> {
        match self.unit {
            SlaUnit::Hours => from + Duration::hours(self.amount),
            SlaUnit::Days => from + Duration::days(self.amount),
            SlaUnit::BusinessDays => {
                let mut at = from;
                while is_weekend(at) {
                    at += Duration::days(1);
                }
                let mut left = self.amount;
                while left > 0 {
                    at += Duration::days(1);
                    if !is_weekend(at) {
                        left -= 1;
                    }
                }
                at
            }
        }
    }

    /// Whether this level is at least as strict as `other`, over every anchor in a week.
    pub fn at_least_as_strict_as(self, other: Sla) -> bool {
        // A Monday; the seven anchors cover every weekday a deadline can start on.
        let monday = DateTime::<Utc>::from_timestamp(1_767_571_200, 0).expect("a valid instant");
        (0..7).all(|d| {
            let from = monday + Duration::days(d);
            self.due(from) <= other.due(from)
        })
    }

    /// The longest the level may be, checked when someone sets it.
    pub fn is_within_limits(self) -> bool {
        let max = match self.unit {
            SlaUnit::Hours => MAX_SLA_DAYS * 24,
            SlaUnit::Days | SlaUnit::BusinessDays => MAX_SLA_DAYS,
        };
        (0..=max).contains(&self.amount)
    }

    /// For people: "24 hours", "1 day", "5 business days".
    pub fn describe(self) -> String {
        let (one, many) = match self.unit {
            SlaUnit::Hours => ("hour", "hours"),
            SlaUnit::Days => ("day", "days"),
            SlaUnit::BusinessDays => ("business day", "business days"),
        };
        format!("{} {}", self.amount, if self.amount == 1 { one } else { many })
    }
}

fn is_weekend(at: DateTime<Utc>) -> bool {
    matches!(at.weekday(), Weekday::Sat | Weekday::Sun)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Onboarding,
    Offboarding,
    Mover,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Onboarding => "onboarding",
            Phase::Offboarding => "offboarding",
            Phase::Mover => "mover",
        }
    }
}

/// What a step's completion opens or requires, beyond its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    None,
    /// No access at all is granted before this step is done (ON-01).
    BeforeAnyAccess,
    /// No admin access is granted before this step is done (ON-03, MFA enrolled).
    BeforeAdminAccess,
    /// Done by a second person, after every revocation was verified and every other step is done
    /// (OFF-12).
    SecondPersonAttests,
    /// Done when every grant was re-approved or revoked after a role change (MOV-01).
    AllGrantsReapproved,
}

/// One step of a checklist template.
#[derive(Debug, Clone, Copy)]
pub struct StepTemplate {
    pub code: &'static str,
    pub phase: Phase,
    pub title: &'static str,
    /// The proposed SLA in words, as checklists.md gives it.
    pub sla_text: &'static str,
    pub default_sla: Sla,
    /// A shorter default for involuntary exits (offboarding only).
    pub involuntary_sla: Option<Sla>,
    pub gate: Gate,
    pub sources: &'static str,
}

// One argument per column of the table below, which reads best as rows.
#[allow(clippy::too_many_arguments)]
const fn step(
    code: &'static str,
    phase: Phase,
    title: &'static str,
    sla_text: &'static str,
    default_sla: Sla,
    involuntary_sla: Option<Sla>,
    gate: Gate,
    sources: &'static str,
) -> StepTemplate {
    StepTemplate { code, phase, title, sla_text, default_sla, involuntary_sla, gate, sources }
}

use Phase::{Mover, Offboarding as Off, Onboarding as On};

/// The steps, in order. Deadlines count from the start date (its midnight, UTC) for onboarding,
/// from T0 for offboarding and from the role change for a mover. Where checklists.md says "day
/// 1" the step is due at the end of the start day; "before any access" is due at the start.
/// Involuntary exits (checklists.md: OFF-01 immediately, OFF-02 within one hour) are shorter
/// still for the removal of tools and client identities: our proposed four hours, a setting.
#[rustfmt::skip]
pub const STEPS: [StepTemplate; 24] = [
    step("ON-01", On, "Screening done; confidentiality and acceptable-use agreements signed", "Before any access is granted", Sla::hours(0), None, Gate::BeforeAnyAccess, "ISM-0434, 1865; NIST PS-3/PS-6"),
    step("ON-02", On, "Unique named identity created in the MSP IdP; never a shared login", "Day 1", Sla::days(1), None, Gate::None, "ISM-0414; CIS 5.1, 5.2"),
    step("ON-03", On, "Phishing-resistant MFA enrolled before first sign-in to RMM, PSA or vault", "Day 1, before tool access", Sla::days(1), None, Gate::BeforeAdminAccess, "AA22 #3; CIS 6.5; ISM-1682"),
    step("ON-04", On, "Manager-approved, role-based access request recorded (who, what, when)", "Before provisioning", Sla::days(1), None, Gate::None, "CIS 6.1; ISM-0405, 1507, 0407"),
    step("ON-05", On, "Separate privileged account, only if the role needs it; no email or web on it", "When first needed (≤ 5 business days)", Sla::business_days(5), None, Gate::None, "CIS 5.4; ISM-0445, 1175"),
    step("ON-06", On, "Client access limited to assigned clients (RMM site groups, PSA boards, vault folders)", "Day 1–3", Sla::days(3), None, Gate::None, "AA22 #5; ISM-1508; NS-03"),
    step("ON-07", On, "Elevated client roles granted time-bound (PIM, GDAP groups with expiry), not standing", "Per request; expiry always set", Sla::days(3), None, Gate::None, "ISM-1649; MS GDAP"),
    step("ON-08", On, "Managed, encrypted, EDR-protected device issued; client access only from managed devices", "Day 1", Sla::days(1), None, Gate::None, "CIS 4.1, 10.1; CIS 13.5 (IG2)"),
    step("ON-09", On, "Awareness, phishing and secure-admin training (RMM misuse, MFA fatigue, ticket social engineering)", "Within 30 days", Sla::days(30), None, Gate::None, "CIS 14.1–14.3, 14.9 (IG2); AA22 #1"),
    step("ON-10", On, "Briefing on incident reporting and client-notification duties", "Week 1", Sla::days(7), None, Gate::None, "CIS 17.3; ISM-0435"),
    step("ON-11", On, "Added to the account inventory and the next quarterly access review", "Day 1", Sla::days(1), None, Gate::None, "CIS 5.1; ISM-0407"),
    step("OFF-01", Off, "Offboarding ticket opened from HR/PSA with a named owner", "At notice; immediately for involuntary", Sla::hours(8), Some(Sla::hours(0)), Gate::None, "NIST PS-4, PS-4(2); FedRAMP AC-2"),
    step("OFF-02", Off, "IdP/SSO account disabled (disabled, not deleted, to keep the audit trail)", "≤ 24 h; involuntary ≤ 1 h", Sla::hours(24), Some(Sla::hours(1)), Gate::None, "ISM-0430; CIS 6.2; PCI 8.2.5"),
    step("OFF-03", Off, "Sessions, refresh tokens, MFA methods, API keys and personal access tokens revoked", "With OFF-02", Sla::hours(24), Some(Sla::hours(1)), Gate::None, "NIST PS-4(b); AA22 #12"),
    step("OFF-04", Off, "Removed from RMM, PSA, remote-support, vault, EDR, backup and email-security consoles (local accounts too)", "Same day, ≤ 24 h", Sla::hours(24), Some(Sla::hours(4)), Gate::None, "AA22 #6, B1; CIS 6.2"),
    step("OFF-05", Off, "Client-side identities removed: client AD/Entra accounts, GDAP/PIM groups, firewall/VPN users, SaaS admin seats", "≤ 24 h", Sla::hours(24), Some(Sla::hours(4)), Gate::None, "AA22 #5, #6; CIS 6.2; PCI 8.2.7"),
    step("OFF-06", Off, "Shared and privileged secrets the person could reach rotated (tier-0 and break-glass first)", "Tier-0 ≤ 24 h; rest ≤ 5 business days", Sla::hours(24), None, Gate::None, "NIST AC-2(k); ISM-1614, 1685"),
    step("OFF-07", Off, "VPN certificates, SSH keys and hardware tokens revoked", "≤ 24 h", Sla::hours(24), Some(Sla::hours(4)), Gate::None, "NIST PS-4(b)"),
    step("OFF-08", Off, "Devices, tokens and badges recovered and wiped", "≤ 5 business days", Sla::business_days(5), None, Gate::None, "NIST PS-4(d)"),
    step("OFF-09", Off, "Tickets, scripts, automations and integrations moved to a new owner; jobs under the leaver's identity found", "≤ 5 business days", Sla::business_days(5), None, Gate::None, "NIST PS-4(e)"),
    step("OFF-10", Off, "Leaver's last 30 days of RMM, vault and IdP activity reviewed for anomalies", "≤ 5 business days", Sla::business_days(5), None, Gate::None, "AA22 #2, #12; TA18-A #3"),
    step("OFF-11", Off, "Account inventory updated; clients notified where the contract says so", "≤ 5 business days", Sla::business_days(5), None, Gate::None, "ISM-0407; AA22 #11; SC-02"),
    step("OFF-12", Off, "A second person verified via reports (IdP, RMM user list, vault members) and attests completion", "≤ 7 days", Sla::days(7), None, Gate::SecondPersonAttests, "CIS 5.1; PCI 7.2.4"),
    step("MOV-01", Mover, "Mover: the new role's access re-approved and access no longer needed removed", "≤ 5 business days after the role change", Sla::business_days(5), None, Gate::AllGrantsReapproved, "NIST PS-5; CIS 6.1, 6.2"),
];

pub fn template(code: &str) -> Option<&'static StepTemplate> {
    STEPS.iter().find(|s| s.code == code)
}

pub fn steps_of(phase: Phase) -> impl Iterator<Item = &'static StepTemplate> {
    STEPS.iter().filter(move |s| s.phase == phase)
}

/// The two service levels that concern one client, besides the checklist steps.
pub const REVOKE: &str = "REVOKE";
pub const REVIEW: &str = "REVIEW";

/// How soon after T0 a leaver's grant must be revoked and verified (OFF-04, OFF-05: the same
/// day, at most 24 hours; involuntary exits four hours, our proposed default).
pub const DEFAULT_REVOKE: Sla = Sla::hours(24);
pub const DEFAULT_REVOKE_INVOLUNTARY: Sla = Sla::hours(4);
/// How often every grant is reviewed (domain/reviews.md, quarterly recertification).
pub const DEFAULT_REVIEW: Sla = Sla::days(90);

/// One saved service level: the MSP's (no client) or a client's contract.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaSetting {
    pub client_id: Option<i64>,
    pub code: String,
    pub sla: Sla,
    pub involuntary: Option<Sla>,
}

/// The service levels in force: defaults, the MSP's settings, and clients' tighter contracts.
#[derive(Debug, Clone, Default)]
pub struct SlaPolicy {
    pub settings: Vec<SlaSetting>,
}

impl SlaPolicy {
    fn setting(&self, client_id: Option<i64>, code: &str) -> Option<&SlaSetting> {
        self.settings.iter().find(|s| s.client_id == client_id && s.code == code)
    }

    /// The MSP-wide level for a step or for REVOKE / REVIEW.
    pub fn msp(&self, code: &str, involuntary: bool) -> Sla {
        let (default, default_involuntary) = match code {
            REVOKE => (DEFAULT_REVOKE, Some(DEFAULT_REVOKE_INVOLUNTARY)),
            REVIEW => (DEFAULT_REVIEW, None),
            _ => template(code).map(|t| (t.default_sla, t.involuntary_sla)).unwrap_or((Sla::hours(0), None)),
        };
        let (sla, sla_involuntary) = match self.setting(None, code) {
            Some(s) => (s.sla, s.involuntary),
            None => (default, default_involuntary),
        };
        if involuntary {
            sla_involuntary.unwrap_or(sla)
        } else {
            sla
        }
    }

    /// The client's contract level where it has one, else the MSP's.
    pub fn for_client(&self, client_id: i64, code: &str, involuntary: bool) -> Sla {
        let msp = self.msp(code, involuntary);
        match self.setting(Some(client_id), code) {
            Some(s) => {
                let own = if involuntary { s.involuntary.unwrap_or(s.sla) } else { s.sla };
                // A contract only tightens; a default made stricter later wins.
                if own.at_least_as_strict_as(msp) {
                    own
                } else {
                    msp
                }
            }
            None => msp,
        }
    }

    /// When a leaver's grant at `client_id` must be revoked.
    pub fn revoke_due(&self, client_id: i64, t0: DateTime<Utc>, involuntary: bool) -> DateTime<Utc> {
        self.for_client(client_id, REVOKE, involuntary).due(t0)
    }

    /// When a grant at `client_id` last reviewed (or granted) at `since` must be reviewed again.
    pub fn review_due(&self, client_id: i64, since: DateTime<Utc>) -> DateTime<Utc> {
        self.for_client(client_id, REVIEW, false).due(since)
    }
}

/// One step of one technician's checklist, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: i64,
    pub technician_id: i64,
    pub code: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub done_by_user: Option<i64>,
    pub note: String,
}

impl Step {
    pub fn template(&self) -> Option<&'static StepTemplate> {
        template(&self.code)
    }

    /// Open past its deadline, or done after it.
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        match self.done_at {
            Some(done) => done > self.due_at,
            None => now > self.due_at,
        }
    }

    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.done_at.is_none() && now > self.due_at
    }
}

/// The deadlines of a new checklist: one `(code, due)` per step of the phase.
pub fn plan(
    policy: &SlaPolicy,
    phase: Phase,
    anchor: DateTime<Utc>,
    involuntary: bool,
) -> Vec<(&'static str, DateTime<Utc>)> {
    steps_of(phase).map(|t| (t.code, policy.msp(t.code, involuntary).due(anchor))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn business_days_skip_weekends_and_keep_the_time_of_day() {
        // Thursday 26 November 2026, 09:00.
        let thursday = at(2026, 11, 26, 9);
        assert_eq!(Sla::business_days(1).due(thursday), at(2026, 11, 27, 9));
        assert_eq!(Sla::business_days(2).due(thursday), at(2026, 11, 30, 9), "over the weekend");
        assert_eq!(Sla::business_days(5).due(thursday), at(2026, 12, 3, 9));
        // From Saturday, counting starts on Monday.
        assert_eq!(Sla::business_days(1).due(at(2026, 11, 28, 15)), at(2026, 12, 1, 15));
        assert_eq!(Sla::business_days(0).due(at(2026, 11, 28, 15)), at(2026, 11, 30, 15));
        assert_eq!(Sla::hours(24).due(thursday), at(2026, 11, 27, 9));
        assert_eq!(Sla::days(7).due(thursday), at(2026, 12, 3, 9));
    }

    #[test]
    fn strictness_compares_units_over_a_whole_week() {
        assert!(Sla::hours(4).at_least_as_strict_as(Sla::hours(24)));
        assert!(!Sla::hours(48).at_least_as_strict_as(Sla::hours(24)));
        assert!(Sla::days(5).at_least_as_strict_as(Sla::business_days(5)));
        // Five business days from a weekday are seven calendar days, from a Saturday nine.
        assert!(Sla::days(7).at_least_as_strict_as(Sla::business_days(5)));
        assert!(!Sla::days(8).at_least_as_strict_as(Sla::business_days(5)));
        assert!(Sla::hours(24).at_least_as_strict_as(Sla::days(1)));
    }

    #[test]
    fn the_templates_follow_checklists_md() {
        assert_eq!(steps_of(Phase::Onboarding).count(), 11);
        assert_eq!(steps_of(Phase::Offboarding).count(), 12);
        assert_eq!(steps_of(Phase::Mover).count(), 1);
        let off02 = template("OFF-02").unwrap();
        assert_eq!(off02.default_sla, Sla::hours(24));
        assert_eq!(off02.involuntary_sla, Some(Sla::hours(1)));
        assert_eq!(template("ON-03").unwrap().gate, Gate::BeforeAdminAccess);
        assert_eq!(template("OFF-12").unwrap().gate, Gate::SecondPersonAttests);
        let mut codes: Vec<&str> = STEPS.iter().map(|s| s.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), STEPS.len(), "codes are unique");
        for s in STEPS {
            if let Some(inv) = s.involuntary_sla {
                assert!(inv.at_least_as_strict_as(s.default_sla), "{}: involuntary is shorter", s.code);
            }
        }
    }

    #[test]
    fn involuntary_exits_get_shorter_deadlines() {
        let policy = SlaPolicy::default();
        let t0 = at(2026, 11, 26, 14);
        let voluntary: Vec<_> = plan(&policy, Phase::Offboarding, t0, false);
        let involuntary: Vec<_> = plan(&policy, Phase::Offboarding, t0, true);
        let due = |plan: &[(&str, DateTime<Utc>)], code: &str| plan.iter().find(|(c, _)| *c == code).unwrap().1;
        assert_eq!(due(&voluntary, "OFF-02"), at(2026, 11, 27, 14));
        assert_eq!(due(&involuntary, "OFF-02"), at(2026, 11, 26, 15));
        assert_eq!(due(&involuntary, "OFF-01"), t0);
        assert_eq!(due(&voluntary, "OFF-12"), at(2026, 12, 3, 14));
        assert_eq!(policy.revoke_due(1, t0, false), at(2026, 11, 27, 14));
        assert_eq!(policy.revoke_due(1, t0, true), at(2026, 11, 26, 18));
    }

    #[test]
    fn settings_change_defaults_and_contracts_only_tighten() {
        let t0 = at(2026, 11, 26, 14);
        let policy = SlaPolicy {
            settings: vec![
                SlaSetting {
                    client_id: None,
                    code: REVOKE.into(),
                    sla: Sla::hours(12),
                    involuntary: Some(Sla::hours(2)),
                },
                SlaSetting {
                    client_id: Some(7),
                    code: REVOKE.into(),
                    sla: Sla::hours(4),
                    involuntary: Some(Sla::hours(1)),
                },
                // Looser than the MSP's default: the default holds.
                SlaSetting { client_id: Some(8), code: REVOKE.into(), sla: Sla::hours(48), involuntary: None },
                SlaSetting { client_id: Some(7), code: REVIEW.into(), sla: Sla::days(30), involuntary: None },
            ],
        };
        assert_eq!(policy.revoke_due(1, t0, false), at(2026, 11, 27, 2));
        assert_eq!(policy.revoke_due(1, t0, true), at(2026, 11, 26, 16));
        assert_eq!(policy.revoke_due(7, t0, false), at(2026, 11, 26, 18));
        assert_eq!(policy.revoke_due(7, t0, true), at(2026, 11, 26, 15));
        assert_eq!(policy.revoke_due(8, t0, false), at(2026, 11, 27, 2));
        assert_eq!(policy.review_due(7, t0), t0 + Duration::days(30));
        assert_eq!(policy.review_due(1, t0), t0 + Duration::days(90));
    }

    #[test]
    fn a_step_is_late_when_open_past_due_or_done_after_it() {
        let due = at(2026, 11, 26, 14);
        let step = Step {
            id: 1,
            technician_id: 1,
            code: "OFF-02".into(),
            due_at: due,
            done_at: None,
            done_by: None,
            done_by_user: None,
            note: String::new(),
        };
        assert!(!step.is_late(due));
        assert!(step.is_overdue(due + Duration::minutes(1)));
        let done_late = Step { done_at: Some(due + Duration::hours(1)), ..step.clone() };
        assert!(done_late.is_late(due + Duration::days(9)));
        assert!(!done_late.is_overdue(due + Duration::days(9)));
        let done_on_time = Step { done_at: Some(due - Duration::hours(1)), ..step };
        assert!(!done_on_time.is_late(due + Duration::days(9)));
    }
}
