//! What the score reads from areas that do not exist yet, behind the interface it will keep.
//!
//! - Reviews and meetings come from the review schedule (issue #5). Until the score reads it,
//!   these functions answer zero or nothing (no review overdue, no meeting marked on a trend,
//!   no quarter with reviews to count), never made-up data. Wiring #5 in means filling these
//!   four functions; nothing else in the score changes.
//! - Known-exploited vulnerabilities (CISA's KEV catalog) have no source in Rampart yet: there is
//!   no vulnerability feed, so the KEV count is zero. Its weight and cap are settings already,
//!   so that the formula and the settings page are complete.

use crate::db::Db;
use crate::error::Result;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// Overdue reviews of any kind (access review, quarterly review, control re-verification) per
/// client at `now`. Until the score reads the review schedule (issue #5), the count is 0 for
/// every client: the map is empty.
pub async fn overdue_reviews(_db: &Db, _client_ids: &[i64], _now: DateTime<Utc>) -> Result<HashMap<i64, i64>> {
    Ok(HashMap::new())
}

/// Known-exploited vulnerabilities open past their SLA per client. No KEV source exists yet,
/// so the count is 0 for every client: the map is empty.
pub async fn kev_items_past_sla(_db: &Db, _client_ids: &[i64], _now: DateTime<Utc>) -> Result<HashMap<i64, i64>> {
    Ok(HashMap::new())
}

/// A review meeting held or planned, for the markers of the score trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub client_id: i64,
    pub day: NaiveDate,
    pub title: String,
}

/// A client's meetings between two days. Until the score reads the review schedule (issue #5),
/// the list is empty.
pub async fn meetings(_db: &Db, _client_id: i64, _from: NaiveDate, _to: NaiveDate) -> Result<Vec<Meeting>> {
    Ok(Vec::new())
}

/// Meetings of the given clients between two days (the portfolio's "meetings next week"). Until
/// the score reads the review schedule (issue #5), the list is empty.
pub async fn meetings_between(_db: &Db, _client_ids: &[i64], _from: NaiveDate, _to: NaiveDate) -> Result<Vec<Meeting>> {
    Ok(Vec::new())
}

/// Reviews of one quarter: done on time and done late (or still open past their due day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterReviews {
    /// "2026 Q3".
    pub quarter: String,
    pub on_time: i64,
    pub late: i64,
}

/// A client's review timeliness per quarter, oldest first. Until the score reads the review
/// schedule (issue #5), the list is empty.
pub async fn review_timeliness(_db: &Db, _client_id: i64, _now: DateTime<Utc>) -> Result<Vec<QuarterReviews>> {
    Ok(Vec::new())
}
