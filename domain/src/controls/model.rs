//! Controls, statuses, review frequencies, and the due and staleness rules.

use crate::clients::ImpactTier;
use chrono::{DateTime, Duration, Months, Utc};

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum ReviewFrequency in vocabulary::REVIEW_FREQUENCIES {
        Weekly,
        Monthly,
        Quarterly,
        SemiAnnual,
        Annual,
        /// Re-attested when something happens (an onboarding, a leaver), not on a calendar.
        PerEvent,
    }
}

impl ReviewFrequency {
    /// When a control verified at `verified` is due again; `None` for event-driven controls.
    pub fn next_due(self, verified: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let months = |n| verified.checked_add_months(Months::new(n));
        match self {
            ReviewFrequency::Weekly => Some(verified + Duration::days(7)),
            ReviewFrequency::Monthly => months(1),
            ReviewFrequency::Quarterly => months(3),
            ReviewFrequency::SemiAnnual => months(6),
            ReviewFrequency::Annual => months(12),
            ReviewFrequency::PerEvent => None,
        }
    }
}

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AppliesTo in vocabulary::APPLIES_TO {
        /// The MSP's own estate and tooling.
        Msp,
        /// Each client's estate.
        Client,
        Both,
    }
}

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ControlStatus in vocabulary::CONTROL_STATUSES {
        Implemented,
        Partial,
        NotImplemented,
        NotApplicable,
        NotAssessed,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub source: String,
    pub item: String,
    /// False for references the catalog's sources could not confirm; shown as unverified.
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub id: String,
    pub category_id: String,
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub review: ReviewFrequency,
    pub applies_to: AppliesTo,
    /// The baseline: impact tiers the control applies to by default.
    pub tiers: Vec<ImpactTier>,
    pub references: Vec<Reference>,
    pub built_in: bool,
    pub retired_at: Option<DateTime<Utc>>,
}

/// Whether evidence is still current, for one client's control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Never verified.
    Unverified,
    /// Verified; due again at the time given (or never, for event-driven controls).
    Current { due: Option<DateTime<Utc>> },
    /// Past its due time: counts as partial at best.
    Stale { due: DateTime<Utc> },
}

/// The freshness of a control verified at `verified` with this frequency, at `now`.
pub fn freshness(review: ReviewFrequency, verified: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Freshness {
    match verified {
        None => Freshness::Unverified,
        Some(at) => match review.next_due(at) {
            Some(due) if now > due => Freshness::Stale { due },
            due => Freshness::Current { due },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
    }

    #[test]
    fn next_due_follows_the_calendar() {
        let verified = at(2026, 1, 31);
        assert_eq!(ReviewFrequency::Weekly.next_due(verified), Some(at(2026, 2, 7)));
        assert_eq!(ReviewFrequency::Monthly.next_due(verified), Some(at(2026, 2, 28)), "clamped to the month's end");
        assert_eq!(ReviewFrequency::Quarterly.next_due(verified), Some(at(2026, 4, 30)));
        assert_eq!(ReviewFrequency::SemiAnnual.next_due(verified), Some(at(2026, 7, 31)));
        assert_eq!(ReviewFrequency::Annual.next_due(verified), Some(at(2027, 1, 31)));
        assert_eq!(ReviewFrequency::PerEvent.next_due(verified), None);
    }

    #[test]
    fn evidence_goes_stale_only_after_its_due_time() {
        let verified = at(2026, 1, 1);
        let due = at(2026, 4, 1);
        assert_eq!(freshness(ReviewFrequency::Quarterly, None, due), Freshness::Unverified);
        assert_eq!(freshness(ReviewFrequency::Quarterly, Some(verified), due), Freshness::Current { due: Some(due) });
        let day_after = due + Duration::days(1);
        assert_eq!(freshness(ReviewFrequency::Quarterly, Some(verified), day_after), Freshness::Stale { due });
        assert_eq!(
            freshness(ReviewFrequency::PerEvent, Some(verified), at(2030, 1, 1)),
            Freshness::Current { due: None },
            "event-driven controls never go stale by the calendar"
        );
    }

    #[test]
    fn names_round_trip() {
        for f in ReviewFrequency::ALL {
            assert_eq!(ReviewFrequency::parse(f.as_str()), Some(f));
        }
        for s in ControlStatus::ALL {
            assert_eq!(ControlStatus::parse(s.as_str()), Some(s));
        }
        for a in [AppliesTo::Msp, AppliesTo::Client, AppliesTo::Both] {
            assert_eq!(AppliesTo::parse(a.as_str()), Some(a));
        }
    }
}
