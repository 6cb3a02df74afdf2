//! The time every service is asked about. Services take `now` as an argument (so that tests
//! inject it); the server asks this clock for it.
//!
//! In production the clock is the system's. Browser tests must see deadlines pass without
//! waiting, so `RAMPART_TEST_CLOCK_FILE` may name a file holding a number of seconds to add to
//! the system time; the server reads it on every call, so a test moves the clock by rewriting
//! the file. The server logs a warning at start when it is set.

use chrono::{DateTime, Duration, Utc};
use std::path::PathBuf;
use std::sync::OnceLock;

static OFFSET_FILE: OnceLock<PathBuf> = OnceLock::new();
static ZONE: OnceLock<chrono_tz::Tz> = OnceLock::new();

/// Sets the MSP's time zone (`RAMPART_TIME_ZONE`), in which due days begin and end (once per
/// process; later calls are ignored).
pub fn set_zone(zone: chrono_tz::Tz) {
    let _ = ZONE.set(zone);
}

/// The MSP's calendar: UTC unless a zone was set.
pub fn calendar() -> crate::calendar::Calendar {
    crate::calendar::Calendar { zone: ZONE.get().copied().unwrap_or(chrono_tz::Tz::UTC) }
}

/// Makes `now()` add the seconds written in `path` (once per process; later calls are ignored).
pub fn shift_by_file(path: PathBuf) {
    let _ = OFFSET_FILE.set(path);
}

/// Whether the clock is shifted by a file (a test server).
pub fn is_shifted() -> bool {
    OFFSET_FILE.get().is_some()
}

pub fn now() -> DateTime<Utc> {
    let system = Utc::now();
    match OFFSET_FILE.get() {
        None => system,
        Some(path) => system + Duration::seconds(read_offset(path)),
    }
}

/// The offset in the file; a missing or unreadable file means none.
fn read_offset(path: &PathBuf) -> i64 {
    std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_offset_file_is_read_each_time_and_bad_contents_mean_none() {
        let dir = tempfile_dir();
        let path = dir.join("offset");
        assert_eq!(super::read_offset(&path), 0, "no file");
        std::fs::write(&path, "90000\n").unwrap();
        assert_eq!(super::read_offset(&path), 90_000);
        std::fs::write(&path, "tomorrow").unwrap();
        assert_eq!(super::read_offset(&path), 0);
        std::fs::remove_dir_all(dir).ok();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rampart-clock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
