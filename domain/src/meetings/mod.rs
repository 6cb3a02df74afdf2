//! Review meetings: one per occurrence of a client's security and business review series, with
//! attendees from both sides, an agenda generated from what changed since the last signed
//! meeting (then edited by hand), minutes, decisions, and action items that stay open across
//! meetings until they are done.
//!
//! Invariants:
//! - Signing off freezes the posture shown as a JSON [`Pack`] in the meeting row and closes the
//!   occurrence as done (creating the next one) in the same transaction: the schedule stays the
//!   one source of what is due.
//! - A signed meeting is never edited again; the pack of a signed meeting is drawn only from its
//!   snapshot, so later changes to controls, access or scores never change it. Its action items
//!   may still be closed later: they belong to the client, not to the meeting.
//! - Sign-off waits until every topic has a decision.
//! - Nothing in a meeting or its pack comes from the client's internal notes.
//!
//! Who may do what (see [`crate::authz`]): everyone who sees the client reads its meetings and
//! packs (`ViewReviews`, client viewers included, for their own client); admins and managers
//! hold, edit and sign them (`ManageReviews`).

mod store;

use crate::access::{self, GrantQuery};
use crate::audit::Record;
use crate::authz::{Actor, Permission};
use crate::clients::model::clean_line;
use crate::controls::ControlStatus;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use crate::reviews::store::{self as review_store, Occurrence, OccurrenceChange, OccurrenceQuery};
use crate::reviews::{visible_occurrence, OccurrenceState, ReviewKind};
use crate::scoring;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use store::{Addition, MeetingEdit, MeetingRow, NewMeeting};

/// How far back the first meeting of a client looks.
pub const FIRST_LOOKBACK_DAYS: i64 = 90;
/// Exceptions expiring within this many days are on the agenda.
pub const EXPIRING_DAYS: i64 = 30;
const MAX_TEXT: usize = 20_000;
const MAX_LINE: usize = 300;

/// A control whose status moved over the period: its first and its last status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlMove {
    pub control_id: String,
    pub title: String,
    pub from: String,
    pub to: String,
}

/// What happened to a client since its last signed meeting (or the last 90 days): what the
/// agenda is generated from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub since: NaiveDate,
    /// True when `since` is the day of the last signed meeting.
    pub since_meeting: bool,
    pub regressed: Vec<ControlMove>,
    pub improved: Vec<ControlMove>,
    /// "RA-01 MFA on every remote access path, until 2027-03-01".
    pub exceptions_added: Vec<String>,
    pub exceptions_expiring: Vec<String>,
    /// "Dana Lee: RMM (admin)".
    pub granted: Vec<String>,
    pub revoked: Vec<String>,
    pub leavers: Vec<String>,
    /// "Access review, due 2027-01-31".
    pub overdue_reviews: Vec<String>,
    /// Controls whose evidence is past its review date.
    pub overdue_controls: Vec<String>,
    pub score_before: Option<i64>,
    pub score_now: Option<i64>,
    pub band_before: Option<String>,
    pub band_now: String,
    /// "Renew the firewall support contract (owner Sam, due 2027-02-01)".
    pub open_actions: Vec<String>,
}

/// Higher is better; `None` for a control that does not apply (a move to or from it is neither
/// a regression nor an improvement).
fn status_rank(status: &str) -> Option<u8> {
    match ControlStatus::parse(status)? {
        ControlStatus::Implemented => Some(3),
        ControlStatus::Partial => Some(2),
        ControlStatus::NotImplemented | ControlStatus::NotAssessed => Some(1),
        ControlStatus::NotApplicable => None,
    }
}

fn status_words(status: &str) -> String {
    ControlStatus::parse(status).map(|s| s.label().to_lowercase()).unwrap_or_else(|| status.to_string())
}

fn points(p: Option<i64>) -> String {
    p.map(|p| p.to_string()).unwrap_or_else(|| "not rated".into())
}

/// The agenda lines of a meeting, from what happened since the last one: the score first, then
/// controls, exceptions, access, leavers, what is overdue, and the open action items.
pub fn agenda(h: &History) -> Vec<String> {
    let mut lines = Vec::new();
    let since = if h.since_meeting {
        format!("since the last meeting on {}", h.since)
    } else {
        format!("since {} (the last {FIRST_LOOKBACK_DAYS} days)", h.since)
    };
    let score = match (h.score_before, h.score_now) {
        (Some(before), Some(now)) => {
            let delta = now - before;
            let moved = match delta {
                0 => "unchanged".to_string(),
                d if d > 0 => format!("up {d}"),
                d => format!("down {}", -d),
            };
            format!("Score {now} ({}), {moved} from {before} {since}", h.band_now)
        }
        (None, now) => format!("Score {} ({}); no earlier score to compare {since}", points(now), h.band_now),
        (Some(before), None) => format!("Score not rated, from {before} {since}"),
    };
    lines.push(score);
    for m in &h.regressed {
        lines.push(format!(
            "Regressed: {} {} ({} → {})",
            m.control_id,
            m.title,
            status_words(&m.from),
            status_words(&m.to)
        ));
    }
    for m in &h.improved {
        lines.push(format!(
            "Improved: {} {} ({} → {})",
            m.control_id,
            m.title,
            status_words(&m.from),
            status_words(&m.to)
        ));
    }
    lines.extend(h.exceptions_added.iter().map(|e| format!("Exception added: {e}")));
    lines.extend(h.exceptions_expiring.iter().map(|e| format!("Exception expiring: {e}")));
    lines.extend(h.granted.iter().map(|g| format!("Access granted: {g}")));
    lines.extend(h.revoked.iter().map(|g| format!("Access revoked: {g}")));
    lines.extend(h.leavers.iter().map(|l| format!("Leaver: {l}")));
    lines.extend(h.overdue_reviews.iter().map(|r| format!("Overdue review: {r}")));
    lines.extend(h.overdue_controls.iter().map(|c| format!("Control past its review date: {c}")));
    lines.extend(h.open_actions.iter().map(|a| format!("Open action: {a}")));
    if lines.len() == 1 {
        lines.push(format!("Nothing else changed {since}."));
    }
    lines
}

/// Regressions and improvements from a client's control history (oldest first): each control's
/// first status against its last.
pub fn control_moves(changes: &[store::ControlChangeRow]) -> (Vec<ControlMove>, Vec<ControlMove>) {
    let mut order: Vec<ControlMove> = Vec::new();
    for c in changes {
        match order.iter_mut().find(|m| m.control_id == c.control_id) {
            Some(m) => m.to = c.to_status.clone(),
            None => order.push(ControlMove {
                control_id: c.control_id.clone(),
                title: c.title.clone(),
                from: c.from_status.clone(),
                to: c.to_status.clone(),
            }),
        }
    }
    let (mut regressed, mut improved) = (Vec::new(), Vec::new());
    for m in order {
        match (status_rank(&m.from), status_rank(&m.to)) {
            (Some(a), Some(b)) if b < a => regressed.push(m),
            (Some(a), Some(b)) if b > a => improved.push(m),
            _ => {}
        }
    }
    (regressed, improved)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackCategory {
    pub name: String,
    pub coverage: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackPenalty {
    pub label: String,
    pub count: i64,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackPoint {
    pub day: NaiveDate,
    pub posture: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackDecision {
    pub topic: String,
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackAction {
    pub title: String,
    pub owner: String,
    pub due_on: Option<NaiveDate>,
    pub done: bool,
}

/// Everything the review pack shows. A signed meeting's is frozen (stored as JSON at sign-off);
/// a draft's is computed now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    pub client_name: String,
    pub client_slug: String,
    pub title: String,
    pub held_on: NaiveDate,
    /// When and by whom it was signed; `None` for a draft.
    pub signed: Option<(DateTime<Utc>, String)>,
    pub posture: Option<i64>,
    pub coverage: Option<i64>,
    pub band: String,
    pub band_explanation: Option<String>,
    pub categories: Vec<PackCategory>,
    pub penalties: Vec<PackPenalty>,
    /// Daily score snapshots of the last year, and the score at the time.
    pub trend: Vec<PackPoint>,
    pub attendees_msp: Vec<String>,
    pub attendees_client: Vec<String>,
    pub agenda: Vec<String>,
    pub minutes: String,
    /// What changed (controls, exceptions, leavers, overdue items, score).
    pub changes: Vec<String>,
    /// Access granted and revoked since the last meeting.
    pub access_changes: Vec<String>,
    pub decisions: Vec<PackDecision>,
    pub actions: Vec<PackAction>,
}

/// A meeting with its decisions and the client's action items (open ones, and those created or
/// closed in it).
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingDetail {
    pub occurrence: Occurrence,
    pub meeting: MeetingRow,
    pub decisions: Vec<store::DecisionRow>,
    pub actions: Vec<store::ActionRow>,
}

impl MeetingDetail {
    pub fn is_signed(&self) -> bool {
        self.meeting.state == "signed"
    }
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(clean_line).filter(|l| !l.is_empty()).collect()
}

fn clean_text(field: &str, text: &str, errors: &mut Vec<FieldError>) -> String {
    let text = text.replace('\0', "").replace("\r\n", "\n").trim().to_string();
    if text.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(field, format!("Use at most {MAX_TEXT} characters.")));
    }
    text
}

fn signed_refusal() -> DomainError {
    DomainError::conflict(None, "This meeting is signed off; it can no longer be changed.")
}

/// What happened to the client since `since`, and the score now.
async fn gather_history(
    db: &Db,
    actor: &Actor,
    occurrence: &Occurrence,
    meeting_id: i64,
    now: DateTime<Utc>,
) -> Result<(History, scoring::ClientScore)> {
    let calendar = crate::clock::calendar();
    let today = calendar.today(now);
    let last = store::last_signed(db, occurrence.client_id, meeting_id).await?;
    let last_pack: Option<Pack> =
        last.as_ref().and_then(|m| m.snapshot.as_deref()).and_then(|s| serde_json::from_str(s).ok());
    let (since, since_meeting) = match &last {
        Some(m) => (m.held_on, true),
        None => (today - Duration::days(FIRST_LOOKBACK_DAYS), false),
    };
    let since_at = match &last {
        Some(m) => m.signed_at.unwrap_or_else(|| calendar.end_of(since - Duration::days(1))),
        None => calendar.end_of(since - Duration::days(1)),
    };
    let scored = scoring::get_client_score(db, actor, &occurrence.client_slug, now).await?;
    let (regressed, improved) = control_moves(&store::control_changes(db, occurrence.client_id, since_at).await?);
    let mut h = History {
        since,
        since_meeting,
        regressed,
        improved,
        score_now: scored.score.posture,
        band_now: scored.score.band.label().to_string(),
        ..Default::default()
    };
    match last_pack {
        Some(p) => {
            h.score_before = p.posture;
            h.band_before = Some(p.band);
        }
        None => {
            if let Some(s) = scoring::store::list_snapshots(db, occurrence.client_id, since).await?.first() {
                h.score_before = s.posture;
                h.band_before = Some(s.band.label().to_string());
            }
        }
    }
    let horizon = now + Duration::days(EXPIRING_DAYS);
    for e in store::exceptions(db, occurrence.client_id, since_at).await? {
        let line = format!("{} {}, until {}", e.control_id, e.title, calendar.today(e.expires_at));
        if e.requested_at >= since_at {
            h.exceptions_added.push(line.clone());
        }
        if e.approved_at.is_some() && e.ended_at.is_none() && now <= e.expires_at && e.expires_at <= horizon {
            h.exceptions_expiring.push(line);
        }
    }
    let grants = access::store::list_grants(
        db,
        GrantQuery { client_id: Some(occurrence.client_id), include_revoked: true, ..Default::default() },
    )
    .await?;
    for g in &grants {
        let line = format!("{}: {} ({})", g.technician_name, g.system_label(), g.privilege.as_str());
        if g.granted_at >= since_at {
            h.granted.push(line.clone());
        }
        if g.revoked_at.is_some_and(|t| t >= since_at) {
            h.revoked.push(line);
        }
        if g.technician_state.is_leaver()
            && g.technician_departed_at.is_some_and(|t| t >= since_at)
            && !h.leavers.contains(&g.technician_name)
        {
            h.leavers.push(g.technician_name.clone());
        }
    }
    let open = review_store::list_occurrences(
        db,
        OccurrenceQuery { client_id: Some(occurrence.client_id), open_only: true, ..Default::default() },
    )
    .await?;
    h.overdue_reviews = open
        .iter()
        .filter(|o| o.id != occurrence.id && calendar.is_overdue(o.due_on, o.state, now))
        .map(|o| format!("{}, due {}", o.title, o.due_on))
        .collect();
    h.overdue_controls =
        scored.score.gaps.iter().filter(|g| g.stale).map(|g| format!("{} {}", g.control_id, g.title)).collect();
    h.open_actions = store::list_actions(db, occurrence.client_id, meeting_id)
        .await?
        .iter()
        .filter(|a| a.state == "open" && a.meeting_id != meeting_id)
        .map(action_line)
        .collect();
    Ok((h, scored))
}

fn action_line(a: &store::ActionRow) -> String {
    format!("{} (owner {}{})", a.title, a.owner, a.due_on.map(|d| format!(", due {d}")).unwrap_or_default())
}

/// Holds the meeting of a security review: creates it with a generated agenda. One per
/// occurrence; the occurrence must still be open.
pub async fn hold_meeting(db: &Db, actor: &Actor, occurrence_id: i64, now: DateTime<Utc>) -> Result<i64> {
    let occurrence = visible_occurrence(db, actor, occurrence_id).await?;
    actor.require_on_client(Permission::ManageReviews, occurrence.client_id)?;
    if occurrence.kind != ReviewKind::SecurityReview {
        return Err(DomainError::invalid("kind", "Only a security and business review has a meeting."));
    }
    if occurrence.state.is_closed() {
        return Err(DomainError::conflict(None, "This review is closed; hold the meeting of the next one."));
    }
    if store::find_meeting(db, Some(occurrence_id), None).await?.is_some() {
        return Err(DomainError::conflict(None, "This review already has a meeting."));
    }
    let today = crate::clock::calendar().today(now);
    let held_on = occurrence.scheduled_on.unwrap_or(today).max(occurrence.series_starts_on);
    let (history, _) = gather_history(db, actor, &occurrence, 0, now).await?;
    let agenda = agenda(&history).join("\n");
    let audit = Record::by(actor, "meeting.hold", "")
        .client(occurrence.client_id)
        .summary(format!("{} due {}: meeting on {held_on}", occurrence.title, occurrence.due_on));
    let row = NewMeeting {
        occurrence_id,
        client_id: occurrence.client_id,
        held_on,
        agenda: &agenda,
        created_by: &actor.display_name,
    };
    store::insert_meeting(db, &row, now, &audit).await
}

/// The meeting of an occurrence the actor may see, if it was held.
pub async fn find_meeting(db: &Db, actor: &Actor, occurrence_id: i64) -> Result<Option<MeetingDetail>> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let occurrence = visible_occurrence(db, actor, occurrence_id).await?;
    let Some(meeting) = store::find_meeting(db, Some(occurrence_id), None).await? else {
        return Ok(None);
    };
    Ok(Some(MeetingDetail {
        decisions: store::list_decisions(db, meeting.id).await?,
        actions: store::list_actions(db, meeting.client_id, meeting.id).await?,
        occurrence,
        meeting,
    }))
}

/// The meeting of an occurrence the actor may see; not found when none was held.
pub async fn get_meeting(db: &Db, actor: &Actor, occurrence_id: i64) -> Result<MeetingDetail> {
    find_meeting(db, actor, occurrence_id).await?.ok_or(DomainError::NotFound)
}

async fn draft_for_change(db: &Db, actor: &Actor, occurrence_id: i64) -> Result<MeetingDetail> {
    let detail = get_meeting(db, actor, occurrence_id).await?;
    actor.require_on_client(Permission::ManageReviews, detail.meeting.client_id)?;
    if detail.is_signed() {
        return Err(signed_refusal());
    }
    Ok(detail)
}

#[derive(Debug, Clone, Default)]
pub struct MeetingInput {
    pub version: i64,
    /// YYYY-MM-DD.
    pub held_on: String,
    /// One name a line.
    pub attendees_msp: String,
    pub attendees_client: String,
    pub agenda: String,
    pub minutes: String,
}

/// Saves the draft's day, attendees, agenda and minutes.
pub async fn save_meeting(db: &Db, actor: &Actor, occurrence_id: i64, input: &MeetingInput) -> Result<MeetingDetail> {
    let detail = draft_for_change(db, actor, occurrence_id).await?;
    let mut errors = Vec::new();
    let held_on = match NaiveDate::parse_from_str(input.held_on.trim(), "%Y-%m-%d") {
        Ok(day) if day < detail.occurrence.series_starts_on => {
            errors.push(FieldError::new(
                "held_on",
                format!(
                    "The series starts on {}; the meeting cannot be held before it.",
                    detail.occurrence.series_starts_on
                ),
            ));
            None
        }
        Ok(day) => Some(day),
        Err(_) => {
            errors.push(FieldError::new("held_on", "Enter a date as YYYY-MM-DD."));
            None
        }
    };
    let msp = lines_of(&input.attendees_msp).join("\n");
    let client = lines_of(&input.attendees_client).join("\n");
    for (field, value) in [("attendees_msp", &msp), ("attendees_client", &client)] {
        if value.lines().any(|l| l.chars().count() > MAX_LINE) {
            errors.push(FieldError::new(field, format!("Use at most {MAX_LINE} characters a name.")));
        }
    }
    let agenda = clean_text("agenda", &input.agenda, &mut errors);
    let minutes = clean_text("minutes", &input.minutes, &mut errors);
    let (true, Some(held_on)) = (errors.is_empty(), held_on) else {
        return Err(DomainError::Validation(errors));
    };
    let edit = MeetingEdit {
        id: detail.meeting.id,
        version: input.version,
        held_on,
        attendees_msp: &msp,
        attendees_client: &client,
        agenda: &agenda,
        minutes: &minutes,
    };
    let audit = Record::by(actor, "meeting.update", format!("meeting:{}", detail.meeting.id))
        .client(detail.meeting.client_id)
        .summary(format!("{} on {held_on}: agenda, attendees and minutes saved", detail.occurrence.title));
    if !store::update_meeting(db, &edit, &audit).await? {
        return Err(conflict_or_signed(db, detail.meeting.id).await);
    }
    get_meeting(db, actor, occurrence_id).await
}

async fn conflict_or_signed(db: &Db, meeting_id: i64) -> DomainError {
    match store::find_meeting(db, None, Some(meeting_id)).await {
        Ok(Some(m)) if m.state == "signed" => signed_refusal(),
        Ok(_) => DomainError::conflict(None, "Someone else changed this meeting meanwhile. Reload the page."),
        Err(e) => e,
    }
}

/// Adds a topic to decide on (its decision is recorded later, before sign-off).
pub async fn add_decision(db: &Db, actor: &Actor, occurrence_id: i64, topic: &str) -> Result<MeetingDetail> {
    let detail = draft_for_change(db, actor, occurrence_id).await?;
    let topic = clean_line(topic);
    if topic.is_empty() {
        return Err(DomainError::invalid("topic", "Say what is to be decided."));
    }
    if topic.chars().count() > MAX_LINE {
        return Err(DomainError::invalid("topic", format!("Use at most {MAX_LINE} characters.")));
    }
    let audit = Record::by(actor, "meeting.decision", format!("meeting:{}", detail.meeting.id))
        .client(detail.meeting.client_id)
        .summary(format!("Topic to decide: {topic}"));
    if !store::add_to_meeting(db, detail.meeting.id, &Addition::Decision { topic: &topic }, &audit).await? {
        return Err(conflict_or_signed(db, detail.meeting.id).await);
    }
    get_meeting(db, actor, occurrence_id).await
}

/// Records the decision on one topic of the meeting.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    occurrence_id: i64,
    decision_id: i64,
    decision: &str,
) -> Result<MeetingDetail> {
    let detail = draft_for_change(db, actor, occurrence_id).await?;
    let Some(topic) = detail.decisions.iter().find(|d| d.id == decision_id) else {
        return Err(DomainError::NotFound);
    };
    let decision = clean_line(decision);
    if decision.is_empty() {
        return Err(DomainError::invalid("decision", "Write the decision."));
    }
    if decision.chars().count() > MAX_LINE * 3 {
        return Err(DomainError::invalid("decision", format!("Use at most {} characters.", MAX_LINE * 3)));
    }
    let audit = Record::by(actor, "meeting.decision", format!("meeting:{}", detail.meeting.id))
        .client(detail.meeting.client_id)
        .summary(format!("{}: {decision}", topic.topic));
    let addition = Addition::Decide { decision_id, decision: &decision };
    if !store::add_to_meeting(db, detail.meeting.id, &addition, &audit).await? {
        return Err(conflict_or_signed(db, detail.meeting.id).await);
    }
    get_meeting(db, actor, occurrence_id).await
}

#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub title: String,
    pub owner: String,
    /// YYYY-MM-DD or empty.
    pub due_on: String,
}

/// Adds an action item to the meeting; it belongs to the client and stays open until done.
pub async fn add_action_item(db: &Db, actor: &Actor, occurrence_id: i64, input: &ActionInput) -> Result<MeetingDetail> {
    let detail = draft_for_change(db, actor, occurrence_id).await?;
    let mut errors = Vec::new();
    let title = clean_line(&input.title);
    let owner = clean_line(&input.owner);
    if title.is_empty() {
        errors.push(FieldError::new("title", "Say what is to be done."));
    }
    if title.chars().count() > MAX_LINE {
        errors.push(FieldError::new("title", format!("Use at most {MAX_LINE} characters.")));
    }
    if owner.is_empty() {
        errors.push(FieldError::new("owner", "Every action item needs an owner."));
    }
    if owner.chars().count() > 120 {
        errors.push(FieldError::new("owner", "Use at most 120 characters."));
    }
    let due_on = match input.due_on.trim() {
        "" => None,
        s => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new("due_on", "Enter a date as YYYY-MM-DD."));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let audit = Record::by(actor, "action_item.create", format!("meeting:{}", detail.meeting.id))
        .client(detail.meeting.client_id)
        .summary(format!("{title} (owner {owner}{})", due_on.map(|d| format!(", due {d}")).unwrap_or_default()));
    let addition = Addition::Action { client_id: detail.meeting.client_id, title: &title, owner: &owner, due_on };
    if !store::add_to_meeting(db, detail.meeting.id, &addition, &audit).await? {
        return Err(conflict_or_signed(db, detail.meeting.id).await);
    }
    get_meeting(db, actor, occurrence_id).await
}

/// Marks an open action item done, in the client's current draft meeting when there is one.
/// Allowed after the meeting that created it was signed: a signed meeting's pack keeps showing
/// the item as it was.
/// `occurrence_id` is the review whose page the item was closed from (any review of its client).
pub async fn complete_action_item(
    db: &Db,
    actor: &Actor,
    occurrence_id: i64,
    item_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let occurrence = visible_occurrence(db, actor, occurrence_id).await?;
    actor.require_on_client(Permission::ManageReviews, occurrence.client_id)?;
    let item = store::find_action(db, item_id)
        .await?
        .filter(|i| i.client_id == occurrence.client_id)
        .ok_or(DomainError::NotFound)?;
    let drafts = review_store::list_occurrences(
        db,
        OccurrenceQuery {
            client_id: Some(item.client_id),
            kind: Some(ReviewKind::SecurityReview.as_str()),
            open_only: true,
            ..Default::default()
        },
    )
    .await?;
    let mut in_meeting = None;
    for o in drafts {
        if let Some(m) = store::find_meeting(db, Some(o.id), None).await? {
            if m.state == "draft" {
                in_meeting = Some(m.id);
            }
        }
    }
    let audit = Record::by(actor, "action_item.done", format!("action_item:{item_id}"))
        .client(item.client_id)
        .summary(format!("Done: {}", action_line(&item)));
    if !store::complete_action(db, item_id, in_meeting, &actor.display_name, now, &audit).await? {
        return Err(DomainError::conflict(None, "This action item is already done."));
    }
    Ok(())
}

/// The pack as it stands now, from live data: a draft's, or what a sign-off freezes.
async fn live_pack(db: &Db, actor: &Actor, detail: &MeetingDetail, now: DateTime<Utc>) -> Result<Pack> {
    let (history, scored) = gather_history(db, actor, &detail.occurrence, detail.meeting.id, now).await?;
    let today = crate::clock::calendar().today(now);
    let mut trend: Vec<PackPoint> =
        scoring::store::list_snapshots(db, detail.meeting.client_id, today - Duration::days(scoring::HISTORY_DAYS - 1))
            .await?
            .iter()
            .map(|s| PackPoint { day: s.day, posture: s.posture })
            .collect();
    if trend.last().is_none_or(|p| p.day < today) {
        trend.push(PackPoint { day: today, posture: scored.score.posture });
    }
    let mut changes = agenda(&history);
    changes.retain(|l| {
        !l.starts_with("Access granted: ") && !l.starts_with("Access revoked: ") && !l.starts_with("Open action: ")
    });
    let access_changes = history
        .granted
        .iter()
        .map(|g| format!("Granted: {g}"))
        .chain(history.revoked.iter().map(|g| format!("Revoked: {g}")))
        .collect();
    let score = &scored.score;
    Ok(Pack {
        client_name: detail.occurrence.client_name.clone(),
        client_slug: detail.occurrence.client_slug.clone(),
        title: detail.occurrence.title.clone(),
        held_on: detail.meeting.held_on,
        signed: None,
        posture: score.posture,
        coverage: score.coverage,
        band: score.band.label().to_string(),
        band_explanation: score.band_explanation(),
        categories: scored
            .categories
            .iter()
            .map(|c| PackCategory { name: c.name.clone(), coverage: score.category(&c.id).and_then(|s| s.coverage) })
            .collect(),
        penalties: score
            .penalties
            .iter()
            .map(|p| PackPenalty { label: p.kind.label().to_string(), count: p.count, points: p.points })
            .collect(),
        trend,
        attendees_msp: lines_of(&detail.meeting.attendees_msp),
        attendees_client: lines_of(&detail.meeting.attendees_client),
        agenda: lines_of(&detail.meeting.agenda),
        minutes: detail.meeting.minutes.clone(),
        changes,
        access_changes,
        decisions: detail
            .decisions
            .iter()
            .map(|d| PackDecision { topic: d.topic.clone(), decision: d.decision.clone() })
            .collect(),
        actions: detail
            .actions
            .iter()
            .map(|a| PackAction {
                title: a.title.clone(),
                owner: a.owner.clone(),
                due_on: a.due_on,
                done: a.state == "done",
            })
            .collect(),
    })
}

/// Signs the meeting off: freezes its pack and closes the review as done. Refused while a topic
/// has no decision, once the review is closed, and on a stale version.
pub async fn sign_off_meeting(
    db: &Db,
    actor: &Actor,
    occurrence_id: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<MeetingDetail> {
    let detail = draft_for_change(db, actor, occurrence_id).await?;
    let occurrence = &detail.occurrence;
    if occurrence.state.is_closed() {
        return Err(DomainError::conflict(None, "This review is already closed; its meeting cannot be signed off."));
    }
    let undecided: Vec<&str> =
        detail.decisions.iter().filter(|d| d.decision.trim().is_empty()).map(|d| d.topic.as_str()).collect();
    if !undecided.is_empty() {
        return Err(DomainError::invalid(
            "decisions",
            format!(
                "{} topic(s) have no decision yet: {}. Decide each before signing off.",
                undecided.len(),
                undecided.join("; ")
            ),
        ));
    }
    if let Some(a) = detail.actions.iter().find(|a| a.owner.trim().is_empty()) {
        return Err(DomainError::invalid("owner", format!("The action item \"{}\" has no owner.", a.title)));
    }
    if version != detail.meeting.version {
        return Err(DomainError::conflict(None, "Someone else changed this meeting meanwhile. Reload the page."));
    }
    let mut pack = live_pack(db, actor, &detail, now).await?;
    pack.signed = Some((now, actor.display_name.clone()));
    let snapshot = serde_json::to_string(&pack).map_err(DomainError::internal)?;
    let n = occurrence.n + 1;
    let due = u32::try_from(n)
        .ok()
        .and_then(|n| occurrence.cadence.due(occurrence.series_starts_on, n))
        .ok_or_else(|| DomainError::invalid("action", "This series has run past the calendar."))?;
    let note = if occurrence.note.is_empty() {
        format!("Meeting held on {} and signed off", detail.meeting.held_on)
    } else {
        occurrence.note.clone()
    };
    let close = OccurrenceChange {
        id: occurrence.id,
        version: occurrence.version,
        state: OccurrenceState::Done,
        scheduled_on: occurrence.scheduled_on,
        note: &note,
        closed: Some((now, actor.display_name.as_str())),
        next: Some((n, due)),
        series_id: occurrence.series_id,
        client_id: occurrence.client_id,
        started: None,
    };
    let signed = Record::by(actor, "meeting.sign_off", format!("meeting:{}", detail.meeting.id))
        .client(occurrence.client_id)
        .summary(format!(
            "{} on {}: signed off at score {} ({}), {} decision(s)",
            occurrence.title,
            detail.meeting.held_on,
            points(pack.posture),
            pack.band,
            pack.decisions.len()
        ));
    let closed = Record::by(actor, "review.change", format!("review:{}", occurrence.id))
        .client(occurrence.client_id)
        .summary(format!(
            "{} due {}: {} → done (meeting signed off); next due {due}",
            occurrence.title,
            occurrence.due_on,
            occurrence.state.as_str()
        ));
    let written = store::sign_meeting(
        db,
        detail.meeting.id,
        version,
        &snapshot,
        (now, &actor.display_name),
        &close,
        (&signed, &closed),
    )
    .await?;
    if !written {
        return Err(conflict_or_signed(db, detail.meeting.id).await);
    }
    get_meeting(db, actor, occurrence_id).await
}

/// The review pack of a meeting: frozen for a signed one, live for a draft.
pub async fn get_pack(db: &Db, actor: &Actor, occurrence_id: i64, now: DateTime<Utc>) -> Result<Pack> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let detail = get_meeting(db, actor, occurrence_id).await?;
    if detail.is_signed() {
        let frozen = detail.meeting.snapshot.as_deref().ok_or_else(|| DomainError::internal(MissingSnapshot))?;
        return serde_json::from_str(frozen).map_err(DomainError::internal);
    }
    live_pack(db, actor, &detail, now).await
}

#[derive(Debug, thiserror::Error)]
#[error("a signed meeting without its snapshot")]
struct MissingSnapshot;

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: &str, from: &str, to: &str) -> store::ControlChangeRow {
        store::ControlChangeRow {
            control_id: id.into(),
            title: format!("{id} title"),
            from_status: from.into(),
            to_status: to.into(),
        }
    }

    #[test]
    fn control_moves_compare_each_controls_first_and_last_status() {
        let history = [
            change("RA-01", "implemented", "partial"),
            change("BK-02", "not_assessed", "implemented"),
            change("RA-01", "partial", "not_implemented"),
            change("EP-03", "partial", "implemented"),
            change("EP-03", "implemented", "partial"),
            change("NA-04", "implemented", "not_applicable"),
        ];
        let (regressed, improved) = control_moves(&history);
        let ids =
            |v: &[ControlMove]| v.iter().map(|m| format!("{} {}→{}", m.control_id, m.from, m.to)).collect::<Vec<_>>();
        assert_eq!(ids(&regressed), ["RA-01 implemented→not_implemented"]);
        assert_eq!(
            ids(&improved),
            ["BK-02 not_assessed→implemented"],
            "EP-03 ended where it began; NA-04 no longer applies"
        );
    }

    #[test]
    fn agenda_is_generated_from_a_known_history() {
        let h = History {
            since: NaiveDate::from_ymd_opt(2026, 8, 28).unwrap(),
            since_meeting: true,
            regressed: vec![ControlMove {
                control_id: "RA-01".into(),
                title: "MFA on remote access".into(),
                from: "implemented".into(),
                to: "partial".into(),
            }],
            improved: vec![],
            exceptions_added: vec!["BK-02 Offsite backups, until 2027-03-01".into()],
            exceptions_expiring: vec!["EP-01 EDR everywhere, until 2026-12-10".into()],
            granted: vec!["Dana Lee: RMM (admin)".into()],
            revoked: vec!["Sam Roe: Password vault (standard)".into()],
            leavers: vec!["Sam Roe".into()],
            overdue_reviews: vec!["Access review, due 2026-10-31".into()],
            overdue_controls: vec!["BK-03 Restore test".into()],
            score_before: Some(71),
            score_now: Some(64),
            band_before: Some("Moderate".into()),
            band_now: "High".into(),
            open_actions: vec!["Renew firewall support (owner Sam, due 2026-12-01)".into()],
        };
        assert_eq!(
            agenda(&h),
            [
                "Score 64 (High), down 7 from 71 since the last meeting on 2026-08-28",
                "Regressed: RA-01 MFA on remote access (implemented → partial)",
                "Exception added: BK-02 Offsite backups, until 2027-03-01",
                "Exception expiring: EP-01 EDR everywhere, until 2026-12-10",
                "Access granted: Dana Lee: RMM (admin)",
                "Access revoked: Sam Roe: Password vault (standard)",
                "Leaver: Sam Roe",
                "Overdue review: Access review, due 2026-10-31",
                "Control past its review date: BK-03 Restore test",
                "Open action: Renew firewall support (owner Sam, due 2026-12-01)",
            ]
        );
    }

    #[test]
    fn a_quiet_first_meeting_says_so() {
        let h = History {
            since: NaiveDate::from_ymd_opt(2026, 8, 28).unwrap(),
            score_now: Some(80),
            band_now: "Low".into(),
            ..Default::default()
        };
        assert_eq!(
            agenda(&h),
            [
                "Score 80 (Low); no earlier score to compare since 2026-08-28 (the last 90 days)",
                "Nothing else changed since 2026-08-28 (the last 90 days).",
            ]
        );
        let up = History { score_before: Some(70), ..h };
        assert!(agenda(&up)[0].contains("up 10 from 70"), "{:?}", agenda(&up));
    }
}
