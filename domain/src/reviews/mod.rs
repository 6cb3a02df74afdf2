//! The review schedule: recurring review series per client (security and business reviews,
//! access reviews, control re-verification, incident-response exercises, contract reviews, and
//! custom ones), each a chain of occurrences with a due day, an optional scheduled day, and a
//! state (planned, in progress, done, skipped with a reason).
//!
//! Invariants:
//! - Due days count from the series' start (see [`model::Cadence::due`]); closing an occurrence
//!   (done or skipped) creates the next one in the same transaction, so a series always has
//!   exactly one open occurrence.
//! - Dates are days of the MSP's calendar ([`model::Calendar`]); an occurrence is overdue once
//!   its due day has ended there.
//! - Nothing is deleted: a skipped review keeps its reason.
//!
//! Who may do what (see [`crate::authz`]): everyone who sees a client sees its schedule (client
//! viewers included); admins and managers plan, run and close reviews.

pub mod campaign;
pub mod feed;
pub mod model;
pub(crate) mod store;

pub use model::{Cadence, Calendar, OccurrenceState, ReviewKind};
pub use store::{Occurrence, OccurrenceQuery};

use crate::audit::Record;
use crate::authz::{Actor, Permission};
use crate::clients;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, NaiveDate, Utc};

impl Occurrence {
    /// Whether `actor` may move this review on now (start, schedule, close it): one who runs
    /// reviews at its client, while it is open.
    pub fn may_manage(&self, actor: &Actor) -> bool {
        actor.may_on_client(Permission::ManageReviews, self.client_id) && !self.state.is_closed()
    }
}

fn parse_date(field: &str, s: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(day) => Some(day),
        Err(_) => {
            errors.push(FieldError::new(field, "Enter a date as YYYY-MM-DD."));
            None
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewSeries {
    pub kind: String,
    /// Required for a custom series; otherwise the kind's name when empty.
    pub title: String,
    /// Empty for the default of the client's impact tier.
    pub cadence: String,
    pub owner: String,
    /// YYYY-MM-DD: the first due day.
    pub starts_on: String,
}

/// Starts a review series for a client, with its first occurrence due on the start day.
pub async fn create_series(db: &Db, actor: &Actor, slug: &str, new: &NewSeries, now: DateTime<Utc>) -> Result<i64> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ManageReviews, client.id)?;
    let mut errors = Vec::new();
    let kind = ReviewKind::parse(&new.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose a kind of review."));
    }
    let cadence = if new.cadence.trim().is_empty() {
        kind.map(|k| k.default_cadence(client.impact_tier))
    } else {
        let parsed = Cadence::parse(new.cadence.trim());
        if parsed.is_none() {
            errors.push(FieldError::new("cadence", "Choose monthly, quarterly, every six months or yearly."));
        }
        parsed
    };
    let title = clients::model::clean_line(&new.title);
    if kind == Some(ReviewKind::Custom) && title.is_empty() {
        errors.push(FieldError::new("title", "Name the custom review."));
    }
    if title.chars().count() > 120 {
        errors.push(FieldError::new("title", "Use at most 120 characters."));
    }
    let owner = clients::model::clean_line(&new.owner);
    if owner.chars().count() > 120 {
        errors.push(FieldError::new("owner", "Use at most 120 characters."));
    }
    let starts_on = parse_date("starts_on", &new.starts_on, &mut errors);
    let (true, Some(kind), Some(cadence), Some(starts_on)) = (errors.is_empty(), kind, cadence, starts_on) else {
        return Err(DomainError::Validation(errors));
    };
    let title = if title.is_empty() { kind.label().to_string() } else { title };
    let row = store::NewSeries {
        client_id: client.id,
        kind,
        title: &title,
        cadence,
        owner: &owner,
        starts_on,
        created_by: &actor.display_name,
    };
    let audit = Record::by(actor, "review_series.create", "").client(client.id).summary(format!(
        "{title} ({}), {}, first due {starts_on}{}",
        kind.as_str(),
        cadence.label().to_lowercase(),
        if owner.is_empty() { String::new() } else { format!(", owner {owner}") }
    ));
    store::insert_series(db, &row, now, &audit).await
}

/// Gives a client every default series it lacks (the kinds of [`ReviewKind::DEFAULTS`] at the
/// cadence of its impact tier), each starting on `first_due`. Returns how many were created.
pub async fn add_default_series(
    db: &Db,
    actor: &Actor,
    slug: &str,
    first_due: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ManageReviews, client.id)?;
    let open =
        store::list_occurrences(db, OccurrenceQuery { client_id: Some(client.id), ..Default::default() }).await?;
    let mut created = 0;
    for kind in ReviewKind::DEFAULTS {
        if open.iter().any(|o| o.kind == kind) {
            continue;
        }
        let row = store::NewSeries {
            client_id: client.id,
            kind,
            title: kind.label(),
            cadence: kind.default_cadence(client.impact_tier),
            owner: "",
            starts_on: first_due,
            created_by: &actor.display_name,
        };
        let audit = Record::by(actor, "review_series.create", "").client(client.id).summary(format!(
            "{} ({}), {} by default for a {} client, first due {first_due}",
            kind.label(),
            kind.as_str(),
            row.cadence.label().to_lowercase(),
            client.impact_tier.as_str()
        ));
        store::insert_series(db, &row, now, &audit).await?;
        created += 1;
    }
    Ok(created)
}

/// Which occurrences to show on the schedule.
#[derive(Debug, Clone, Default)]
pub struct ScheduleFilter {
    /// A client's slug, or empty for every client the actor sees.
    pub client: String,
    pub kind: String,
    pub state: String,
    pub overdue_only: bool,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
}

/// A client's open reviews (the soonest due first) and its `recent` latest closed ones (the
/// latest first), for the client's page: two small reads rather than the client's whole review
/// history. `client` as [`clients::get_client`] read it for this actor.
pub async fn client_reviews_of(
    db: &Db,
    actor: &Actor,
    client: &clients::Client,
    recent: i64,
) -> Result<(Vec<Occurrence>, Vec<Occurrence>)> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    actor.require_on_client(Permission::ViewReviews, client.id)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let query = OccurrenceQuery { client_id: Some(client.id), assigned_to, only_client, ..Default::default() };
    let open = store::list_occurrences(db, OccurrenceQuery { open_only: true, ..query }).await?;
    let closed =
        store::list_occurrences(db, OccurrenceQuery { closed_latest_first: true, limit: recent.max(1), ..query })
            .await?;
    Ok((open, closed))
}

/// The reviews of the schedule's filter, every one (the month calendar). See [`page_schedule`].
pub async fn list_schedule(
    db: &Db,
    actor: &Actor,
    filter: &ScheduleFilter,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<Vec<Occurrence>> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let query = schedule_query(db, actor, filter, calendar, now).await?;
    store::list_occurrences(db, query).await
}

/// Reviews per page of the schedule.
pub const SCHEDULE_PAGE_SIZE: u32 = 50;

/// One page of the schedule.
#[derive(Debug, Clone)]
pub struct SchedulePage {
    pub items: Vec<Occurrence>,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
}

/// Page `page` (from 1) of the reviews of the schedule's filter, the soonest due first.
pub async fn page_schedule(
    db: &Db,
    actor: &Actor,
    filter: &ScheduleFilter,
    page: u32,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<SchedulePage> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let query = schedule_query(db, actor, filter, calendar, now).await?;
    let total = store::count_occurrences(db, query).await?;
    let size = i64::from(SCHEDULE_PAGE_SIZE);
    let pages = u32::try_from((total + size - 1) / size).unwrap_or(u32::MAX).max(1);
    let page = page.clamp(1, pages);
    let offset = i64::from(page - 1) * size;
    let items = store::list_occurrences(db, OccurrenceQuery { limit: size, offset, ..query }).await?;
    Ok(SchedulePage { items, total, page, pages })
}

/// The query of a schedule filter, after checking what the actor may see. A state of "open"
/// means planned or in progress; "overdue only" means open and due before today.
async fn schedule_query(
    db: &Db,
    actor: &Actor,
    filter: &ScheduleFilter,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<OccurrenceQuery<'static>> {
    let client_id = if filter.client.trim().is_empty() {
        actor.require(Permission::ViewPortfolio)?;
        None
    } else {
        let client = clients::get_client(db, actor, filter.client.trim()).await?;
        actor.require_on_client(Permission::ViewReviews, client.id)?;
        Some(client.id)
    };
    let kind = match filter.kind.trim() {
        "" => None,
        k => Some(ReviewKind::parse(k).ok_or_else(|| DomainError::invalid("kind", "Choose a kind of review."))?),
    };
    let (state, open) = match filter.state.trim() {
        "" => (None, false),
        "open" => (None, true),
        s => (Some(OccurrenceState::parse(s).ok_or_else(|| DomainError::invalid("state", "Choose a state."))?), false),
    };
    // Overdue: open, and the due day has ended in the MSP's calendar (it is before today).
    let due_to = match (filter.overdue_only, calendar.today(now).pred_opt()) {
        (true, Some(yesterday)) => Some(filter.due_to.map_or(yesterday, |d| d.min(yesterday))),
        _ => filter.due_to,
    };
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    Ok(OccurrenceQuery {
        client_id,
        kind: kind.map(|k| k.as_str()),
        state: state.map(|s| s.as_str()),
        open_only: open || filter.overdue_only,
        due_from: filter.due_from,
        due_to,
        assigned_to,
        only_client,
        ..Default::default()
    })
}

#[derive(Debug, Clone, Default)]
pub struct OccurrenceInput {
    /// "start", "schedule", "done" or "skip".
    pub action: String,
    pub version: i64,
    /// YYYY-MM-DD for "schedule".
    pub scheduled_on: String,
    /// What was done (optional), or why it was skipped (required).
    pub note: String,
}

/// Moves one occurrence on: start it, schedule it for a day, close it as done, or skip it with a
/// reason. Closing creates the next occurrence.
pub async fn change_occurrence(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &OccurrenceInput,
    now: DateTime<Utc>,
) -> Result<Occurrence> {
    let occurrence = visible_occurrence(db, actor, id).await?;
    actor.require_on_client(Permission::ManageReviews, occurrence.client_id)?;
    let note = input.note.trim().replace('\0', "");
    if note.chars().count() > 2000 {
        return Err(DomainError::invalid("note", "Use at most 2000 characters."));
    }
    if occurrence.state.is_closed() {
        return Err(DomainError::conflict(None, "This review is closed; the next one is on the schedule."));
    }
    let mut scheduled_on = occurrence.scheduled_on;
    let next_state = match input.action.as_str() {
        "start" => OccurrenceState::InProgress,
        "done" => OccurrenceState::Done,
        "skip" => {
            if note.chars().count() < 5 {
                return Err(DomainError::invalid("note", "Say why this review is skipped."));
            }
            OccurrenceState::Skipped
        }
        "schedule" => {
            let mut errors = Vec::new();
            let day =
                parse_date("scheduled_on", &input.scheduled_on, &mut errors).ok_or(DomainError::Validation(errors))?;
            if day < occurrence.series_starts_on {
                return Err(DomainError::invalid(
                    "scheduled_on",
                    format!(
                        "The series starts on {}; schedule the review on or after it.",
                        occurrence.series_starts_on
                    ),
                ));
            }
            scheduled_on = Some(day);
            occurrence.state
        }
        _ => return Err(DomainError::invalid("action", "Choose what to do with this review.")),
    };
    if next_state != occurrence.state && !occurrence.state.can_become(next_state) {
        return Err(DomainError::invalid(
            "action",
            format!(
                "A review that is {} cannot become {}.",
                occurrence.state.label().to_lowercase(),
                next_state.label().to_lowercase()
            ),
        ));
    }
    // An access review takes its population when it starts, and is signed off only once every
    // grant in it was decided.
    let population = if next_state == OccurrenceState::InProgress && occurrence.kind == ReviewKind::AccessReview {
        campaign::population(db, occurrence.client_id, now).await?
    } else {
        Vec::new()
    };
    if next_state == OccurrenceState::Done && occurrence.kind == ReviewKind::AccessReview {
        let undecided = store::list_items(db, id).await?.iter().filter(|i| i.decision.is_none()).count();
        if undecided > 0 {
            return Err(DomainError::invalid(
                "action",
                format!("{undecided} grant(s) are still undecided: keep, modify or revoke each before signing off."),
            ));
        }
    }
    let next = if next_state.is_closed() {
        let n = occurrence.n + 1;
        let due = u32::try_from(n)
            .ok()
            .and_then(|n| occurrence.cadence.due(occurrence.series_starts_on, n))
            .ok_or_else(|| DomainError::invalid("action", "This series has run past the calendar."))?;
        Some((n, due))
    } else {
        None
    };
    let change = store::OccurrenceChange {
        id,
        version: input.version,
        state: next_state,
        scheduled_on,
        note: if note.is_empty() { &occurrence.note } else { &note },
        closed: next_state.is_closed().then_some((now, actor.display_name.as_str())),
        next,
        series_id: occurrence.series_id,
        client_id: occurrence.client_id,
        started: (next_state == OccurrenceState::InProgress).then_some((now, population.as_slice())),
    };
    let audit =
        Record::by(actor, "review.change", format!("review:{id}")).client(occurrence.client_id).summary(format!(
            "{} due {}: {} → {}{}{}",
            occurrence.title,
            occurrence.due_on,
            occurrence.state.as_str(),
            next_state.as_str(),
            scheduled_on
                .filter(|d| Some(*d) != occurrence.scheduled_on)
                .map(|d| format!(", scheduled for {d}"))
                .unwrap_or_default(),
            next.map(|(_, due)| format!("; next due {due}")).unwrap_or_default()
        ));
    if !store::change_occurrence(db, &change, &audit).await? {
        return Err(DomainError::conflict(None, "Someone else changed this review meanwhile. Reload the page."));
    }
    visible_occurrence(db, actor, id).await
}

/// An occurrence on a client the actor may see; otherwise not found.
pub async fn visible_occurrence(db: &Db, actor: &Actor, id: i64) -> Result<Occurrence> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let occurrence = store::list_occurrences(db, OccurrenceQuery { occurrence_id: Some(id), ..Default::default() })
        .await?
        .pop()
        .ok_or(DomainError::NotFound)?;
    actor.require_on_client(Permission::ViewReviews, occurrence.client_id)?;
    Ok(occurrence)
}

/// Open occurrences past their due day across the clients the actor may see, and those due in
/// the next `days` days: the portfolio's "overdue" and "coming up".
pub async fn due_soon(
    db: &Db,
    actor: &Actor,
    calendar: &Calendar,
    days: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<Occurrence>, Vec<Occurrence>)> {
    actor.require(Permission::ViewPortfolio)?;
    let today = calendar.today(now);
    let horizon = today + chrono::Duration::days(days);
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let open = store::list_occurrences(
        db,
        OccurrenceQuery { open_only: true, due_to: Some(horizon), assigned_to, only_client, ..Default::default() },
    )
    .await?;
    let (overdue, soon) = open.into_iter().partition(|o| calendar.is_overdue(o.due_on, o.state, now));
    Ok((overdue, soon))
}
