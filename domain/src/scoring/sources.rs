//! What the score reads from areas that do not exist yet, behind the interface it will keep.
//!
//! - Reviews and meetings come from the review schedule ([`crate::reviews`]): overdue reviews
//!   are open occurrences past their due day in the MSP's calendar; a "meeting" is a security
//!   and business review (scheduled on a day, or held when it was closed as done).
//! - Known-exploited vulnerabilities (CISA's KEV catalog) have no source in Rampart yet: there is
//!   no vulnerability feed, so the KEV count is zero. Its weight and cap are settings already,
//!   so that the formula and the settings page are complete.

use crate::db::Db;
use crate::error::Result;
use crate::reviews::store::{self as review_store, Occurrence, OccurrenceQuery};
use crate::reviews::{OccurrenceState, ReviewKind};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};

/// Reviews (open ones only, or all) of one of `client_ids`, or of all clients when it is empty;
/// of one kind, and due on or before a day, when given. Every one of them: no page limit.
async fn occurrences(
    db: &Db,
    client_ids: &[i64],
    open_only: bool,
    kind: Option<ReviewKind>,
    due_to: Option<NaiveDate>,
) -> Result<Vec<Occurrence>> {
    let query = OccurrenceQuery {
        client_id: (client_ids.len() == 1).then(|| client_ids[0]),
        kind: kind.map(ReviewKind::as_str),
        open_only,
        due_to,
        limit: i64::MAX,
        ..Default::default()
    };
    let mut found = review_store::list_occurrences(db, query).await?;
    if client_ids.len() > 1 {
        // A set: the portfolio asks for thousands of clients and their tens of thousands of reviews.
        let wanted: HashSet<i64> = client_ids.iter().copied().collect();
        found.retain(|o| wanted.contains(&o.client_id));
    }
    Ok(found)
}

/// Overdue reviews of any kind (access review, security review, control re-verification, …)
/// per client at `now`: open past the end of their due day in the MSP's calendar.
pub async fn overdue_reviews(db: &Db, client_ids: &[i64], now: DateTime<Utc>) -> Result<HashMap<i64, i64>> {
    let calendar = crate::clock::calendar();
    let mut counts = HashMap::new();
    // Only reviews due by today can be overdue.
    for o in occurrences(db, client_ids, true, None, Some(calendar.today(now))).await? {
        if calendar.is_overdue(o.due_on, o.state, now) {
            *counts.entry(o.client_id).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// An open review not yet past its due day, as the portfolio lists those due soon: its due day,
/// its kind (as stored) and its id, which with the client's name give the listing's order.
pub type OpenReview = (NaiveDate, String, i64);

/// Per client: the end of the earliest open review's due day, and its open reviews not past
/// their due day (see [`open_reviews_ahead`]).
pub type ReviewsAhead = (HashMap<i64, DateTime<Utc>>, HashMap<i64, Vec<OpenReview>>);

/// What each client's open reviews not yet past their due day at `now` say (one read): when its
/// overdue count next grows by time alone, the end of the due day (in the MSP's calendar) of the
/// earliest (clients with none are left out; the kept scores recompute a client then, see
/// [`super::live`]); and the reviews themselves, from which any later day's "due soon" is picked
/// (none can join them without a change of the client's reviews).
pub async fn open_reviews_ahead(db: &Db, client_ids: &[i64], now: DateTime<Utc>) -> Result<ReviewsAhead> {
    let calendar = crate::clock::calendar();
    let query = OccurrenceQuery {
        client_id: (client_ids.len() == 1).then(|| client_ids[0]),
        open_only: true,
        // A day ends after `now` only if it is today or later (a day earlier has ended).
        due_from: Some(calendar.today(now) - chrono::Duration::days(1)),
        limit: i64::MAX,
        ..Default::default()
    };
    let wanted: HashSet<i64> = client_ids.iter().copied().collect();
    let mut deadlines: HashMap<i64, DateTime<Utc>> = HashMap::new();
    let mut open: HashMap<i64, Vec<OpenReview>> = HashMap::new();
    for o in review_store::list_occurrences(db, query).await? {
        if !wanted.contains(&o.client_id) || o.state.is_closed() {
            continue;
        }
        let end = calendar.end_of(o.due_on);
        if end > now {
            let earliest = deadlines.entry(o.client_id).or_insert(end);
            *earliest = (*earliest).min(end);
            open.entry(o.client_id).or_default().push((o.due_on, o.kind.as_str().to_string(), o.id));
        }
    }
    Ok((deadlines, open))
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

/// The day a security review meets: the day it was held (closed as done), else the day it is
/// scheduled for, else its due day.
fn meeting_day(o: &Occurrence) -> Option<NaiveDate> {
    match o.state {
        OccurrenceState::Skipped => None,
        OccurrenceState::Done => o.closed_at.map(|t| crate::clock::calendar().today(t)),
        _ => Some(o.scheduled_on.unwrap_or(o.due_on)),
    }
}

/// Each client's meetings that a week ahead may still show at `now` and later: its open security
/// reviews (on the day they are scheduled for, else due) and those held today or later, as
/// (day, title); for the kept scores (see [`super::live`]), which pick the week's at reading.
pub async fn coming_meetings(
    db: &Db,
    client_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<(NaiveDate, String)>>> {
    let today = crate::clock::calendar().today(now);
    let mut coming: HashMap<i64, Vec<(NaiveDate, String)>> = HashMap::new();
    for o in occurrences(db, client_ids, false, Some(ReviewKind::SecurityReview), None).await? {
        if let Some(day) = meeting_day(&o).filter(|day| *day >= today) {
            coming.entry(o.client_id).or_default().push((day, format!("{} · {}", o.title, o.client_name)));
        }
    }
    Ok(coming)
}

/// A client's security and business reviews (its meetings) between two days.
pub async fn meetings(db: &Db, client_id: i64, from: NaiveDate, to: NaiveDate) -> Result<Vec<Meeting>> {
    meetings_between(db, &[client_id], from, to).await
}

/// The meetings of the given clients between two days (the portfolio's "meetings next week").
pub async fn meetings_between(db: &Db, client_ids: &[i64], from: NaiveDate, to: NaiveDate) -> Result<Vec<Meeting>> {
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<Meeting> = occurrences(db, client_ids, false, Some(ReviewKind::SecurityReview), None)
        .await?
        .into_iter()
        .filter_map(|o| {
            let day = meeting_day(&o)?;
            (from <= day && day <= to).then(|| Meeting {
                client_id: o.client_id,
                day,
                title: format!("{} · {}", o.title, o.client_name),
            })
        })
        .collect();
    found.sort_by(|a, b| (a.day, &a.title).cmp(&(b.day, &b.title)));
    Ok(found)
}

/// Reviews of one quarter: done on time and done late (or still open past their due day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterReviews {
    /// "2026 Q3".
    pub quarter: String,
    pub on_time: i64,
    pub late: i64,
}

/// A client's review timeliness for the last eight quarters, oldest first, by due day: done by
/// the end of the due day is on time; done later, skipped, or open past it is late; open and not
/// yet due counts in neither.
pub async fn review_timeliness(db: &Db, client_id: i64, now: DateTime<Utc>) -> Result<Vec<QuarterReviews>> {
    let calendar = crate::clock::calendar();
    let today = calendar.today(now);
    let quarter_of = |d: NaiveDate| (d.year(), (d.month() - 1) / 3 + 1);
    let (this_year, this_quarter) = quarter_of(today);
    let mut quarters: Vec<(i32, u32)> = (0..8)
        .map(|back| {
            let index = this_year * 4 + this_quarter as i32 - 1 - back;
            (index.div_euclid(4), index.rem_euclid(4) as u32 + 1)
        })
        .collect();
    quarters.reverse();
    let mut counts: HashMap<(i32, u32), (i64, i64)> = HashMap::new();
    for o in occurrences(db, &[client_id], false, None, None).await? {
        let late = match (o.state, o.closed_at) {
            (OccurrenceState::Done, Some(at)) => at >= calendar.end_of(o.due_on),
            (OccurrenceState::Skipped, _) => true,
            _ if calendar.is_overdue(o.due_on, o.state, now) => true,
            _ => continue,
        };
        let entry = counts.entry(quarter_of(o.due_on)).or_insert((0, 0));
        if late {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    Ok(quarters
        .into_iter()
        .map(|(y, q)| {
            let (on_time, late) = counts.get(&(y, q)).copied().unwrap_or((0, 0));
            QuarterReviews { quarter: format!("{y} Q{q}"), on_time, late }
        })
        .collect())
}
