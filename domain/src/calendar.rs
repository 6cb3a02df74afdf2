//! The MSP's calendar: due days are days in its time zone, instants are stored in UTC. At the
//! ground of the domain's layers, beside the clock: every area that counts days uses it.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The MSP's calendar: dates are days in its time zone; instants are stored in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub zone: Tz,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { zone: Tz::UTC }
    }
}

impl Calendar {
    /// A calendar in an IANA zone ("Europe/Berlin"); `None` for an unknown name.
    pub fn named(zone: &str) -> Option<Calendar> {
        zone.trim().parse::<Tz>().ok().map(|zone| Calendar { zone })
    }

    /// The MSP's date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.zone).date_naive()
    }

    /// The instant a due day ends in the MSP's zone (the start of the next day), in UTC.
    pub fn end_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let next = day.succ_opt().unwrap_or(day);
        let midnight = next.and_hms_opt(0, 0, 0).expect("midnight exists as a naive time");
        // A zone that skips midnight (a DST change at 00:00) starts the day at the first valid instant.
        self.zone
            .from_local_datetime(&midnight)
            .earliest()
            .or_else(|| self.zone.from_local_datetime(&(midnight + chrono::Duration::hours(1))).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| midnight.and_utc())
    }

    /// Whether `day` has ended at `now` in the MSP's zone.
    pub fn has_ended(&self, day: NaiveDate, now: DateTime<Utc>) -> bool {
        now >= self.end_of(day)
    }
}
