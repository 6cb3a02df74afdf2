//! Each user's iCalendar feed of the review schedule, at a secret address the user can rotate.
//! The feed holds only what that user may see (the same query as the schedule, as that user),
//! and stops working when the user is disabled or rotates the address. Only a hash of the secret
//! is stored.

use super::model::{Calendar, OccurrenceState};
use super::{list_schedule, Occurrence, ScheduleFilter};
use crate::audit::store::audited;
use crate::audit::Record;
use crate::authz::{Actor, Permission};
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes a new secret for the actor's feed, replacing any earlier one, and returns it (shown
/// once: only its hash is kept).
pub async fn rotate_token(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<String> {
    let user_id = actor.user_id.ok_or(DomainError::Forbidden)?;
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let token_hash = hash(&token);
    let audit = Record::by(actor, "calendar_feed.rotate", format!("user:{user_id}"))
        .summary("a new calendar feed address; the old one stops working");
    audited!(db, |tx| {
        sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(&token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.append(&audit).await?;
    })?;
    Ok(token)
}

/// When the actor's feed address was made, if there is one.
pub async fn feed_created(db: &Db, actor: &Actor) -> Result<Option<DateTime<Utc>>> {
    let Some(user_id) = actor.user_id else { return Ok(None) };
    Ok(on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// The feed for a secret: not found for an unknown secret or a disabled user.
pub async fn feed(db: &Db, token: &str, calendar: &Calendar, base_url: &str, now: DateTime<Utc>) -> Result<String> {
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DomainError::NotFound);
    }
    let user_id: Option<i64> = on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT user_id FROM calendar_feeds WHERE token_hash = $1")
            .bind(hash(token))
            .fetch_optional(pool)
            .await?
    });
    let user_id = user_id.ok_or(DomainError::NotFound)?;
    let actor = crate::identity::actor_for_user(db, user_id).await?.ok_or(DomainError::NotFound)?;
    let db = &db.for_reader(&actor);
    let today = calendar.today(now);
    let mut filter = ScheduleFilter {
        due_from: Some(today - Duration::days(365)),
        due_to: Some(today + Duration::days(400)),
        ..Default::default()
    };
    // A client viewer's feed is their own client's schedule.
    if !actor.can(Permission::ViewPortfolio) {
        let client_id = actor.client_id.ok_or(DomainError::NotFound)?;
        let slug: Option<String> = on_pool!(db, |pool| {
            sqlx::query_scalar("SELECT slug FROM clients WHERE id = $1").bind(client_id).fetch_optional(pool).await?
        });
        filter.client = slug.ok_or(DomainError::NotFound)?;
    }
    let occurrences = list_schedule(db, &actor, &filter, calendar, now).await?;
    Ok(to_ics(&occurrences, calendar, base_url, now))
}

/// Escapes a text value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a character (RFC 5545 §3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The schedule as an iCalendar document: one all-day event per review on its due day.
pub fn to_ics(occurrences: &[Occurrence], calendar: &Calendar, base_url: &str, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Rampart//Review schedule//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(line, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", text("Rampart reviews")), &mut out);
    fold(&format!("X-WR-TIMEZONE:{}", calendar.zone.name()), &mut out);
    for o in occurrences {
        let day = o.scheduled_on.unwrap_or(o.due_on);
        let status = match o.state {
            OccurrenceState::Skipped => "CANCELLED",
            _ => "CONFIRMED",
        };
        let mut description =
            format!("{} for {}. Due {}. State: {}.", o.title, o.client_name, o.due_on, o.state.label());
        if !o.owner.is_empty() {
            description.push_str(&format!(" Owner: {}.", o.owner));
        }
        if calendar.is_overdue(o.due_on, o.state, now) {
            description.push_str(" Overdue.");
        }
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:review-{}@rampart", o.id), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(&format!("DTSTART;VALUE=DATE:{}", day.format("%Y%m%d")), &mut out);
        fold(&format!("DTEND;VALUE=DATE:{}", (day + Duration::days(1)).format("%Y%m%d")), &mut out);
        fold(&format!("SUMMARY:{}", text(&format!("{} · {}", o.title, o.client_name))), &mut out);
        fold(&format!("DESCRIPTION:{}", text(&description)), &mut out);
        fold(&format!("STATUS:{status}"), &mut out);
        if !base_url.is_empty() {
            fold(&format!("URL:{}/reviews/{}", base_url.trim_end_matches('/'), o.id), &mut out);
        }
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped_and_lines_are_folded_at_75_octets() {
        assert_eq!(super::text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        super::fold(&long, &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        let unfolded: String = out.trim_end().replace("\r\n ", "");
        assert_eq!(unfolded, long);
    }
}
