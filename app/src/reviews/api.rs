//! Review-schedule server functions: thin. Each gets the actor, calls one service, maps the result.

// One argument per form field, so that the forms post to these functions without JavaScript.
#![allow(clippy::too_many_arguments)]

use super::types::{CalendarView, ClientReviewsView, ReviewDetailView, ScheduleView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use super::super::types::OccurrenceView;
    use crate::time::When;
    use domain::reviews::{Calendar, Occurrence};
    use domain::Actor;

    pub fn occurrence(
        actor: &Actor,
        o: Occurrence,
        calendar: &Calendar,
        now: chrono::DateTime<chrono::Utc>,
    ) -> OccurrenceView {
        OccurrenceView {
            overdue: calendar.is_overdue(o.due_on, o.state, now),
            can_manage: o.may_manage(actor),
            id: o.id,
            version: o.version,
            client_slug: o.client_slug,
            client_name: o.client_name,
            kind: o.kind.as_str().into(),
            title: o.title,
            cadence: o.cadence.label().into(),
            owner: o.owner,
            due_on: o.due_on.to_string(),
            scheduled_on: o.scheduled_on.map(|d| d.to_string()),
            state: o.state.as_str().into(),
            state_label: o.state.label().into(),
            note: o.note,
            closed: o.closed_at.map(When::of),
            closed_by: o.closed_by,
        }
    }
}

/// The schedule across the clients the signed-in user sees, filtered, a page at a time. Without
/// a state it shows the open reviews (planned or in progress), the soonest due first; "any"
/// shows every state.
#[server(prefix = "/api", endpoint = "reviews/schedule")]
pub async fn list_schedule(
    kind: String,
    state: String,
    overdue_only: Option<String>,
    from: String,
    to: String,
    page: Option<u32>,
) -> Result<ScheduleView, AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let now = domain::clock::now();
    let calendar = domain::clock::calendar();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let state = match state.trim() {
        "" => "open".to_owned(),
        "any" => String::new(),
        other => other.to_owned(),
    };
    let filter = domain::reviews::ScheduleFilter {
        client: String::new(),
        kind,
        state,
        overdue_only: overdue_only.is_some(),
        due_from: day(&from),
        due_to: day(&to),
    };
    let found = domain::reviews::page_schedule(&db, &actor, &filter, page.unwrap_or(1), &calendar, now).await?;
    Ok(ScheduleView {
        items: found.items.into_iter().map(|o| convert::occurrence(&actor, o, &calendar, now)).collect(),
        total: found.total,
        page: found.page,
        pages: found.pages,
        today: calendar.today(now).to_string(),
        zone: calendar.zone.name().into(),
    })
}

/// One month of the schedule (YYYY-MM; empty for this month), as weeks from Monday.
#[server(prefix = "/api", endpoint = "reviews/calendar")]
pub async fn month_calendar(month: String) -> Result<CalendarView, AppError> {
    use super::types::DayCell;
    use chrono::{Datelike, Duration, Months, NaiveDate};
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let now = domain::clock::now();
    let calendar = domain::clock::calendar();
    let today = calendar.today(now);
    let first = if month.trim().is_empty() {
        today.with_day(1)
    } else {
        NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d").ok()
    }
    .ok_or_else(|| AppError::from(domain::DomainError::invalid("month", "Choose a month as YYYY-MM.")))?;
    let next_month = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let prev_month = first.checked_sub_months(Months::new(1)).unwrap_or(first);
    let grid_start = first - Duration::days(first.weekday().num_days_from_monday() as i64);
    let last = next_month - Duration::days(1);
    let grid_end = last + Duration::days(6 - last.weekday().num_days_from_monday() as i64);
    let filter =
        domain::reviews::ScheduleFilter { due_from: Some(grid_start), due_to: Some(grid_end), ..Default::default() };
    let found = domain::reviews::list_schedule(&db, &actor, &filter, &calendar, now).await?;
    let items: Vec<_> = found.into_iter().map(|o| convert::occurrence(&actor, o, &calendar, now)).collect();
    let mut weeks = Vec::new();
    let mut day = grid_start;
    while day <= grid_end {
        let mut week = Vec::with_capacity(7);
        for _ in 0..7 {
            let date = day.to_string();
            week.push(DayCell {
                items: items.iter().filter(|o| o.due_on == date).cloned().collect(),
                date,
                day: day.day(),
                in_month: day.month() == first.month(),
                today: day == today,
            });
            day += Duration::days(1);
        }
        weeks.push(week);
    }
    Ok(CalendarView {
        title: first.format("%B %Y").to_string(),
        prev: prev_month.format("%Y-%m").to_string(),
        next: next_month.format("%Y-%m").to_string(),
        weeks,
        zone: calendar.zone.name().into(),
    })
}

/// One client's open reviews and the latest closed ones.
#[server(prefix = "/api", endpoint = "reviews/client")]
pub async fn client_reviews(slug: String) -> Result<ClientReviewsView, AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let now = domain::clock::now();
    let calendar = domain::clock::calendar();
    let client = crate::clients::api::client_for_request(&db, &actor, &slug).await?;
    let (open, recent) = domain::reviews::client_reviews_of(&db, &actor, &client, 10).await?;
    Ok(ClientReviewsView {
        open: open.into_iter().map(|o| convert::occurrence(&actor, o, &calendar, now)).collect(),
        recent: recent.into_iter().map(|o| convert::occurrence(&actor, o, &calendar, now)).collect(),
        can_manage: actor.may_on_client(domain::Permission::ManageReviews, client.id),
        today: calendar.today(now).to_string(),
    })
}

#[server(prefix = "/api", endpoint = "reviews/change")]
pub async fn change_occurrence(
    id: i64,
    version: i64,
    action: String,
    scheduled_on: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let input = domain::reviews::OccurrenceInput {
        action,
        version,
        scheduled_on: scheduled_on.unwrap_or_default(),
        note: note.unwrap_or_default(),
    };
    domain::reviews::change_occurrence(&db, &actor, id, &input, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reviews/create_series")]
pub async fn create_series(
    slug: String,
    kind: String,
    title: String,
    cadence: String,
    owner: String,
    starts_on: String,
) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let new = domain::reviews::NewSeries { kind, title, cadence, owner, starts_on };
    domain::reviews::create_series(&db, &actor, &slug, &new, domain::clock::now()).await?;
    Ok(())
}

/// Gives the client every default series it lacks, first due on `starts_on`.
#[server(prefix = "/api", endpoint = "reviews/add_defaults")]
pub async fn add_default_series(slug: String, starts_on: String) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let day = chrono::NaiveDate::parse_from_str(starts_on.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::from(domain::DomainError::invalid("starts_on", "Enter a date as YYYY-MM-DD.")))?;
    domain::reviews::add_default_series(&db, &actor, &slug, day, domain::clock::now()).await?;
    Ok(())
}

/// One review and, for an access review, its grants and decisions.
#[server(prefix = "/api", endpoint = "reviews/get")]
pub async fn get_review(id: i64) -> Result<ReviewDetailView, AppError> {
    use super::types::CampaignItemView;
    use crate::time::When;
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let now = domain::clock::now();
    let calendar = domain::clock::calendar();
    let campaign = domain::reviews::campaign::get_campaign(&db, &actor, id, now).await?;
    let (decided, completion) = (campaign.decided(), campaign.completion());
    let client_id = campaign.occurrence.client_id;
    let in_progress = campaign.occurrence.state == domain::reviews::OccurrenceState::InProgress;
    let is_access_review = campaign.occurrence.kind == domain::reviews::ReviewKind::AccessReview;
    let started = campaign.occurrence.started_at.map(When::of);
    let items = campaign
        .items
        .into_iter()
        .map(|i| CampaignItemView {
            id: i.item.id,
            technician_id: i.grant.technician_id,
            technician_name: i.grant.technician_name.clone(),
            technician_state: i.grant.technician_state.as_str().into(),
            system: i.grant.system_label(),
            privilege: i.grant.privilege.as_str().into(),
            mfa: i.grant.mfa,
            last_reviewed: i.grant.last_reviewed_at.map(When::of),
            granted: When::of(i.grant.granted_at),
            findings: i.findings.iter().map(|f| f.describe().to_string()).collect(),
            decision: i.item.decision,
            reason: i.item.reason,
            decided_by: i.item.decided_by,
            decided: i.item.decided_at.map(When::of),
            revocation: match (i.grant.revoked_at, i.grant.revoke_due_at) {
                (Some(at), _) => Some(format!("Revoked {}", When::of(at).relative)),
                (None, Some(due)) => Some(format!("To be revoked by {}", When::of(due).absolute)),
                _ => None,
            },
        })
        .collect();
    Ok(ReviewDetailView {
        occurrence: convert::occurrence(&actor, campaign.occurrence, &calendar, now),
        is_access_review,
        started,
        items,
        decided,
        completion,
        can_decide: in_progress
            && actor.may_on_client(domain::Permission::ManageReviews, client_id)
            && actor.may_on_client(domain::Permission::ManageAccess, client_id),
    })
}

#[server(prefix = "/api", endpoint = "reviews/decide")]
pub async fn decide(occurrence_id: i64, item_id: i64, decision: String, reason: String) -> Result<(), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    domain::reviews::campaign::decide(&db, &actor, occurrence_id, item_id, &decision, &reason, domain::clock::now())
        .await?;
    Ok(())
}

/// Where the feed is reached from outside.
#[cfg(feature = "ssr")]
fn feed_url(path: &str) -> Result<String, AppError> {
    Ok(format!("{}{path}", crate::state::AppState::get()?.public_url))
}

/// The session key under which a new feed address waits to be shown once (for a browser
/// without JavaScript, whose form post is redirected back to the page).
#[cfg(feature = "ssr")]
const FEED_FLASH: &str = "rampart.feed_flash";

/// Makes a new secret address for the signed-in user's calendar feed (the old one stops working)
/// and returns it, shown once.
#[server(prefix = "/api", endpoint = "reviews/rotate_feed")]
pub async fn rotate_feed() -> Result<String, AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let token = domain::reviews::feed::rotate_token(&db, &actor, domain::clock::now()).await?;
    let url = feed_url(&format!("/calendar/{token}.ics"))?;
    let session = crate::auth::session().await?;
    if let Err(e) = session.insert(FEED_FLASH, &url).await {
        tracing::warn!(error = %e, "the new feed address could not be kept for the next page");
    }
    Ok(url)
}

/// Whether the signed-in user has a feed, and a new address waiting to be shown (once).
#[server(prefix = "/api", endpoint = "reviews/feed_status")]
pub async fn feed_status() -> Result<(Option<crate::time::When>, Option<String>), AppError> {
    let db = crate::state::AppState::get()?.db;
    let actor = crate::auth::current_actor().await?;
    let created = domain::reviews::feed::feed_created(&db, &actor).await?.map(crate::time::When::of);
    let session = crate::auth::session().await?;
    let flash = crate::auth::take_once::<String>(&session, FEED_FLASH).await.ok().flatten();
    Ok((created, flash))
}
