//! Review series, their occurrences, and the calendar rules: due dates anchored on the series'
//! start (so that a series starting on 31 January is due on the last day of February and on 31
//! March again, never drifting), overdue after the due day ends in the MSP's time zone.

pub use crate::calendar::Calendar;
use crate::clients::ImpactTier;
use chrono::{DateTime, Months, NaiveDate, Utc};

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ReviewKind in vocabulary::REVIEW_KINDS {
        /// The quarterly security and business review meeting with the client.
        SecurityReview,
        /// Recertification of every grant of the MSP's technicians to the client.
        AccessReview,
        /// Re-verifying the evidence of the client's controls.
        ControlReverification,
        IncidentResponseExercise,
        ContractReview,
        Custom,
    }
}

impl ReviewKind {
    /// The default cadence for a client of `tier` (domain/reviews.md §4.1: access quarterly (CIS
    /// 5.1), security reviews quarterly, re-verification by risk, exercises and contracts yearly
    /// (CIS 15.4)).
    pub fn default_cadence(self, tier: ImpactTier) -> Cadence {
        match (self, tier) {
            (ReviewKind::SecurityReview, ImpactTier::Critical) => Cadence::Monthly,
            (ReviewKind::SecurityReview, _) => Cadence::Quarterly,
            (ReviewKind::AccessReview, _) => Cadence::Quarterly,
            (ReviewKind::ControlReverification, ImpactTier::Standard) => Cadence::Annual,
            (ReviewKind::ControlReverification, ImpactTier::Sensitive) => Cadence::SemiAnnual,
            (ReviewKind::ControlReverification, ImpactTier::Critical) => Cadence::Quarterly,
            (ReviewKind::IncidentResponseExercise | ReviewKind::ContractReview | ReviewKind::Custom, _) => {
                Cadence::Annual
            }
        }
    }

    /// The series every client gets by default (a custom series is added by hand).
    pub const DEFAULTS: [ReviewKind; 5] = [
        ReviewKind::SecurityReview,
        ReviewKind::AccessReview,
        ReviewKind::ControlReverification,
        ReviewKind::IncidentResponseExercise,
        ReviewKind::ContractReview,
    ];
}

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Cadence in vocabulary::CADENCES {
        Monthly,
        Quarterly,
        SemiAnnual,
        Annual,
    }
}

impl Cadence {
    pub fn months(self) -> u32 {
        match self {
            Cadence::Monthly => 1,
            Cadence::Quarterly => 3,
            Cadence::SemiAnnual => 6,
            Cadence::Annual => 12,
        }
    }

    /// The due date of the `n`th occurrence (the first is `n = 0`, due on `start`), counted from
    /// the start so that short months never shift later dates: the day is clamped to the month's
    /// last day (31 January → 28 or 29 February → 31 March).
    pub fn due(self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        start.checked_add_months(Months::new(self.months().checked_mul(n)?))
    }
}

vocabulary::words! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum OccurrenceState in vocabulary::OCCURRENCE_STATES {
        Planned,
        InProgress,
        Done,
        /// Skipped, with a reason.
        Skipped,
    }
}

impl OccurrenceState {
    /// Done or skipped: the next occurrence exists.
    pub fn is_closed(self) -> bool {
        matches!(self, OccurrenceState::Done | OccurrenceState::Skipped)
    }

    pub fn can_become(self, next: OccurrenceState) -> bool {
        use OccurrenceState as S;
        matches!((self, next), (S::Planned, S::InProgress) | (S::Planned | S::InProgress, S::Done | S::Skipped))
    }
}

/// Reviews ask the MSP's calendar one question of their own.
impl Calendar {
    /// Open after the end of its due day.
    pub fn is_overdue(&self, due: NaiveDate, state: OccurrenceState, now: DateTime<Utc>) -> bool {
        !state.is_closed() && self.has_ended(due, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn due_dates_are_anchored_on_the_start_and_clamped_to_month_ends() {
        let start = day(2027, 1, 31);
        let monthly: Vec<NaiveDate> = (0..4).map(|n| Cadence::Monthly.due(start, n).unwrap()).collect();
        assert_eq!(monthly, [day(2027, 1, 31), day(2027, 2, 28), day(2027, 3, 31), day(2027, 4, 30)]);
        let leap = day(2028, 1, 31);
        assert_eq!(Cadence::Monthly.due(leap, 1), Some(day(2028, 2, 29)), "a leap year's February");
        let feb29 = day(2028, 2, 29);
        assert_eq!(Cadence::Annual.due(feb29, 1), Some(day(2029, 2, 28)));
        assert_eq!(Cadence::Annual.due(feb29, 4), Some(day(2032, 2, 29)), "back on the 29th in the next leap year");
        assert_eq!(Cadence::Quarterly.due(day(2026, 11, 30), 1), Some(day(2027, 2, 28)));
        assert_eq!(Cadence::Quarterly.due(day(2026, 11, 30), 2), Some(day(2027, 5, 30)), "no drift after February");
        assert_eq!(Cadence::SemiAnnual.due(day(2026, 8, 31), 1), Some(day(2027, 2, 28)));
        assert_eq!(Cadence::Annual.due(start, u32::MAX), None, "far beyond the calendar");
    }

    #[test]
    fn overdue_starts_when_the_due_day_ends_in_the_msps_zone() {
        let berlin = Calendar::named("Europe/Berlin").unwrap();
        let due = day(2026, 11, 26);
        // Midnight in Berlin is 23:00 UTC in winter.
        let before = Utc.with_ymd_and_hms(2026, 11, 26, 22, 59, 0).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 26, 23, 0, 0).unwrap();
        assert!(!berlin.is_overdue(due, OccurrenceState::Planned, before));
        assert!(berlin.is_overdue(due, OccurrenceState::Planned, after));
        assert!(berlin.is_overdue(due, OccurrenceState::InProgress, after));
        assert!(!berlin.is_overdue(due, OccurrenceState::Done, after));
        assert!(!berlin.is_overdue(due, OccurrenceState::Skipped, after));
        assert_eq!(berlin.today(after), day(2026, 11, 27));
        let utc = Calendar::default();
        assert!(!utc.is_overdue(due, OccurrenceState::Planned, after), "in UTC the day has an hour left");
        // Summer time: midnight in Berlin is 22:00 UTC.
        assert_eq!(berlin.end_of(day(2027, 7, 1)), Utc.with_ymd_and_hms(2027, 7, 1, 22, 0, 0).unwrap());
        assert!(Calendar::named("Mars/Olympus").is_none());
    }

    #[test]
    fn occurrences_move_forward_only() {
        use OccurrenceState as S;
        assert!(S::Planned.can_become(S::InProgress));
        assert!(S::InProgress.can_become(S::Done));
        assert!(S::Planned.can_become(S::Skipped));
        for (from, to) in
            [(S::Done, S::Planned), (S::Skipped, S::Done), (S::InProgress, S::Planned), (S::Done, S::Done)]
        {
            assert!(!from.can_become(to), "{from:?} → {to:?}");
        }
    }

    #[test]
    fn defaults_follow_the_clients_impact() {
        assert_eq!(ReviewKind::AccessReview.default_cadence(ImpactTier::Standard), Cadence::Quarterly);
        assert_eq!(ReviewKind::SecurityReview.default_cadence(ImpactTier::Critical), Cadence::Monthly);
        assert_eq!(ReviewKind::ControlReverification.default_cadence(ImpactTier::Standard), Cadence::Annual);
        assert_eq!(ReviewKind::ContractReview.default_cadence(ImpactTier::Critical), Cadence::Annual);
    }
}
