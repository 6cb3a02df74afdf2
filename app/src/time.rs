//! Dates as people read them: relative ("3 days ago"), with the absolute time on hover.
//! Computed on the server, in the MSP's time zone, whatever the browser's clock says.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct When {
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
    /// "3 days ago", "in 2 hours", "just now".
    pub relative: String,
    /// "2026-11-26 05:40 UTC", in the MSP's time zone ("2026-11-26 06:40 CET").
    pub absolute: String,
}

#[cfg(feature = "ssr")]
impl When {
    pub fn of(at: chrono::DateTime<chrono::Utc>) -> When {
        When::relative_to(at, domain::clock::now())
    }

    pub fn relative_to(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> When {
        let seconds = (now - at).num_seconds();
        let past = seconds >= 0;
        let s = seconds.unsigned_abs();
        let (n, unit) = match s {
            0..=59 => (0, ""),
            60..=3599 => (s / 60, "minute"),
            3600..=86_399 => (s / 3600, "hour"),
            86_400..=2_591_999 => (s / 86_400, "day"),
            2_592_000..=31_535_999 => (s / 2_592_000, "month"),
            _ => (s / 31_536_000, "year"),
        };
        let relative = if n == 0 {
            "just now".to_string()
        } else {
            let plural = if n == 1 { "" } else { "s" };
            if past {
                format!("{n} {unit}{plural} ago")
            } else {
                format!("in {n} {unit}{plural}")
            }
        };
        When {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            relative,
            // In the MSP's time zone (RAMPART_TIME_ZONE; UTC by default), named.
            absolute: at.with_timezone(&domain::clock::calendar().zone).format("%Y-%m-%d %H:%M %Z").to_string(),
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::When;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let label = |d: Duration| When::relative_to(now - d, now).relative;
        assert_eq!(label(Duration::seconds(5)), "just now");
        assert_eq!(label(Duration::minutes(1)), "1 minute ago");
        assert_eq!(label(Duration::hours(5)), "5 hours ago");
        assert_eq!(label(Duration::days(3)), "3 days ago");
        assert_eq!(label(Duration::days(-2)), "in 2 days");
        assert_eq!(When::relative_to(now, now).absolute, "2026-11-26 12:00 UTC");
    }
}
