//! Meeting storage. Callers authorize; see `meetings.rs`.

use crate::audit::store::{audited, audited_one};
use crate::audit::Record;
use crate::db::unique::MEETING_OCCURRENCE;
use crate::db::Db;
use crate::error::{DomainError, Result};
use crate::on_pool;
use crate::reviews::store::OccurrenceChange;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MeetingRow {
    pub id: i64,
    pub occurrence_id: i64,
    pub client_id: i64,
    pub held_on: NaiveDate,
    pub attendees_msp: String,
    pub attendees_client: String,
    pub agenda: String,
    pub minutes: String,
    pub state: String,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub snapshot: Option<String>,
    pub version: i64,
}

const MEETING_COLUMNS: &str = "id, occurrence_id, client_id, held_on, attendees_msp, attendees_client, agenda, \
     minutes, state, signed_at, signed_by, snapshot, version";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    pub meeting_id: i64,
    pub topic: String,
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ActionRow {
    pub id: i64,
    pub client_id: i64,
    pub meeting_id: i64,
    pub title: String,
    pub owner: String,
    pub due_on: Option<NaiveDate>,
    pub state: String,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub done_in_meeting_id: Option<i64>,
}

/// The meeting of an occurrence, or by its own id.
pub async fn find_meeting(db: &Db, occurrence_id: Option<i64>, meeting_id: Option<i64>) -> Result<Option<MeetingRow>> {
    // Each id given also as a plain equality, which SQLite serves from an index (see
    // reviews::store::list_occurrences).
    let by_occurrence = if occurrence_id.is_some() { " AND occurrence_id = $1" } else { "" };
    let by_id = if meeting_id.is_some() { " AND id = $2" } else { "" };
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE ($1 IS NULL OR occurrence_id = $1) AND ($2 IS NULL OR id = $2)\
             {by_occurrence}{by_id} ORDER BY id LIMIT 1"
        ))
        .bind(occurrence_id)
        .bind(meeting_id)
        .fetch_optional(pool)
        .await?
    }))
}

/// The client's last signed meeting other than `except`.
pub async fn last_signed(db: &Db, client_id: i64, except: i64) -> Result<Option<MeetingRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(&format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE client_id = $1 AND id <> $2 AND state = 'signed' \
             ORDER BY signed_at DESC, id DESC LIMIT 1"
        ))
        .bind(client_id)
        .bind(except)
        .fetch_optional(pool)
        .await?
    }))
}

pub struct NewMeeting<'a> {
    pub occurrence_id: i64,
    pub client_id: i64,
    pub held_on: NaiveDate,
    pub agenda: &'a str,
    pub created_by: &'a str,
}

/// Inserts a draft meeting and appends `audit` (its object named by the new id).
pub async fn insert_meeting(db: &Db, m: &NewMeeting<'_>, now: DateTime<Utc>, audit: &Record) -> Result<i64> {
    let inserted: std::result::Result<i64, sqlx::Error> = audited!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meetings (occurrence_id, client_id, held_on, agenda, state, created_at, created_by) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6) RETURNING id",
        )
        .bind(m.occurrence_id)
        .bind(m.client_id)
        .bind(m.held_on)
        .bind(m.agenda)
        .bind(now)
        .bind(m.created_by)
        .fetch_one(&mut *tx)
        .await?;
        let mut record = audit.clone();
        record.object = format!("meeting:{id}");
        tx.append(&record).await?;
        id
    });
    inserted.map_err(|e| {
        if MEETING_OCCURRENCE.is_violated_by(&e) {
            DomainError::conflict(None, "This review already has a meeting.")
        } else {
            e.into()
        }
    })
}

pub struct MeetingEdit<'a> {
    pub id: i64,
    pub version: i64,
    pub held_on: NaiveDate,
    pub attendees_msp: &'a str,
    pub attendees_client: &'a str,
    pub agenda: &'a str,
    pub minutes: &'a str,
}

/// Saves a draft meeting still at `version`; false (nothing written) otherwise.
pub async fn update_meeting(db: &Db, e: &MeetingEdit<'_>, audit: &Record) -> Result<bool> {
    let changed: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE meetings SET held_on = $1, attendees_msp = $2, attendees_client = $3, agenda = $4, minutes = $5, \
             version = version + 1 WHERE id = $6 AND version = $7 AND state = 'draft'"
        )
        .bind(e.held_on)
        .bind(e.attendees_msp)
        .bind(e.attendees_client)
        .bind(e.agenda)
        .bind(e.minutes)
        .bind(e.id)
        .bind(e.version)
    );
    Ok(changed?)
}

pub async fn list_decisions(db: &Db, meeting_id: i64) -> Result<Vec<DecisionRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, meeting_id, topic, decision FROM meeting_decisions WHERE meeting_id = $1 ORDER BY id",
        )
        .bind(meeting_id)
        .fetch_all(pool)
        .await?
    }))
}

/// A client's action items: the open ones, and those created or closed in `meeting_id`.
pub async fn list_actions(db: &Db, client_id: i64, meeting_id: i64) -> Result<Vec<ActionRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, client_id, meeting_id, title, owner, due_on, state, done_at, done_by, done_in_meeting_id \
             FROM action_items WHERE client_id = $1 \
               AND (state = 'open' OR meeting_id = $2 OR done_in_meeting_id = $2) \
             ORDER BY state DESC, due_on IS NULL, due_on, id",
        )
        .bind(client_id)
        .bind(meeting_id)
        .fetch_all(pool)
        .await?
    }))
}

pub async fn find_action(db: &Db, id: i64) -> Result<Option<ActionRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT id, client_id, meeting_id, title, owner, due_on, state, done_at, done_by, done_in_meeting_id \
             FROM action_items WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    }))
}

/// What to write beside the meeting, while it is still a draft.
pub enum Addition<'a> {
    Decision {
        topic: &'a str,
    },
    /// Sets the decision of one of the meeting's topics.
    Decide {
        decision_id: i64,
        decision: &'a str,
    },
    Action {
        client_id: i64,
        title: &'a str,
        owner: &'a str,
        due_on: Option<NaiveDate>,
    },
}

/// Writes the addition if the meeting is still a draft, and appends `audit`; false (nothing
/// written) once it is signed.
pub async fn add_to_meeting(db: &Db, meeting_id: i64, addition: &Addition<'_>, audit: &Record) -> Result<bool> {
    let changed: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        // The version moves so that a sign-off based on an older read is refused.
        let draft = sqlx::query("UPDATE meetings SET version = version + 1 WHERE id = $1 AND state = 'draft'")
            .bind(meeting_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if draft != 1 {
            return Ok(false);
        }
        let written = match addition {
            Addition::Decision { topic } => {
                sqlx::query("INSERT INTO meeting_decisions (meeting_id, topic) VALUES ($1, $2)")
                    .bind(meeting_id)
                    .bind(*topic)
                    .execute(&mut *tx)
                    .await?
            }
            Addition::Decide { decision_id, decision } => {
                sqlx::query("UPDATE meeting_decisions SET decision = $1 WHERE id = $2 AND meeting_id = $3")
                    .bind(*decision)
                    .bind(*decision_id)
                    .bind(meeting_id)
                    .execute(&mut *tx)
                    .await?
            }
            Addition::Action { client_id, title, owner, due_on } => {
                sqlx::query(
                    "INSERT INTO action_items (client_id, meeting_id, title, owner, due_on, state) \
                     VALUES ($1, $2, $3, $4, $5, 'open')",
                )
                .bind(*client_id)
                .bind(meeting_id)
                .bind(*title)
                .bind(*owner)
                .bind(*due_on)
                .execute(&mut *tx)
                .await?
            }
        }
        .rows_affected();
        if written != 1 {
            return Ok(false);
        }
        tx.append(audit).await?;
        true
    });
    Ok(changed?)
}

/// Closes an open action item (in the client's current draft meeting, when there is one);
/// false when it was already done.
pub async fn complete_action(
    db: &Db,
    id: i64,
    in_meeting: Option<i64>,
    by: &str,
    now: DateTime<Utc>,
    audit: &Record,
) -> Result<bool> {
    let changed: std::result::Result<bool, sqlx::Error> = audited_one!(
        db,
        audit,
        sqlx::query(
            "UPDATE action_items SET state = 'done', done_at = $1, done_by = $2, done_in_meeting_id = $3 \
             WHERE id = $4 AND state = 'open'"
        )
        .bind(now)
        .bind(by)
        .bind(in_meeting)
        .bind(id)
    );
    Ok(changed?)
}

/// Signs a draft meeting at `version` with its frozen snapshot and closes its occurrence as done
/// (creating the next one), in one transaction; false (nothing written) when either moved on.
pub async fn sign_meeting(
    db: &Db,
    meeting_id: i64,
    version: i64,
    snapshot: &str,
    signed: (DateTime<Utc>, &str),
    close: &OccurrenceChange<'_>,
    audit: (&Record, &Record),
) -> Result<bool> {
    let changed: std::result::Result<bool, sqlx::Error> = audited!(db, |tx| {
        let written = sqlx::query(
            "UPDATE meetings SET state = 'signed', signed_at = $1, signed_by = $2, snapshot = $3, version = version + 1 \
             WHERE id = $4 AND version = $5 AND state = 'draft'",
        )
        .bind(signed.0)
        .bind(signed.1)
        .bind(snapshot)
        .bind(meeting_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written != 1 {
            return Ok(false);
        }
        let (closed_at, closed_by) = close.closed.map_or((None, None), |(at, by)| (Some(at), Some(by)));
        let closed = sqlx::query(
            "UPDATE review_occurrences SET state = $1, note = $2, closed_at = $3, closed_by = $4, version = version + 1 \
             WHERE id = $5 AND version = $6 AND state IN ('planned', 'in_progress')",
        )
        .bind(close.state.as_str())
        .bind(close.note)
        .bind(closed_at)
        .bind(closed_by)
        .bind(close.id)
        .bind(close.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed != 1 {
            return Ok(false);
        }
        if let Some((n, due)) = close.next {
            sqlx::query(
                "INSERT INTO review_occurrences (series_id, client_id, n, due_on, state) VALUES ($1, $2, $3, $4, 'planned')",
            )
            .bind(close.series_id)
            .bind(close.client_id)
            .bind(n)
            .bind(due)
            .execute(&mut *tx)
            .await?;
        }
        tx.append(audit.0).await?;
        tx.append(audit.1).await?;
        true
    });
    Ok(changed?)
}

/// A control's change of status in the client's history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ControlChangeRow {
    pub control_id: String,
    pub title: String,
    pub from_status: String,
    pub to_status: String,
}

/// Control status changes of a client since `since`, oldest first.
pub async fn control_changes(db: &Db, client_id: i64, since: DateTime<Utc>) -> Result<Vec<ControlChangeRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT h.control_id, c.title, h.from_status, h.to_status FROM control_history h \
             JOIN controls c ON c.id = h.control_id WHERE h.client_id = $1 AND h.changed_at >= $2 \
             ORDER BY h.changed_at, h.id",
        )
        .bind(client_id)
        .bind(since)
        .fetch_all(pool)
        .await?
    }))
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExceptionRow {
    pub control_id: String,
    pub title: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Exceptions of a client requested since `since` or still running (not ended).
pub async fn exceptions(db: &Db, client_id: i64, since: DateTime<Utc>) -> Result<Vec<ExceptionRow>> {
    Ok(on_pool!(db, |pool| {
        sqlx::query_as(
            "SELECT e.control_id, c.title, e.requested_at, e.expires_at, e.approved_at, e.ended_at \
             FROM control_exceptions e JOIN controls c ON c.id = e.control_id \
             WHERE e.client_id = $1 AND (e.requested_at >= $2 OR e.ended_at IS NULL) ORDER BY e.requested_at, e.id",
        )
        .bind(client_id)
        .bind(since)
        .fetch_all(pool)
        .await?
    }))
}
