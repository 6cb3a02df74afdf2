//! Hardening status: the control catalog and each client's checklist.
//!
//! Invariants:
//! - The built-in catalog (`catalog/controls.toml`) is written to the database at start when
//!   the database holds an older version; a control dropped from it is retired, never deleted,
//!   and keeps its history.
//! - A client's checklist holds the controls that apply to clients (not the MSP-only ones) and
//!   are in the baseline of the client's impact tier, plus any control with a recorded state.
//! - Every change of a client's control appends a history line in the same transaction; a change
//!   based on a stale version is a conflict, never a silent overwrite.
//! - "Not applicable" needs a justification.
//!
//! Who may do what (see [`crate::authz`]): staff read the catalog; everyone who sees a client
//! sees its checklist (client viewers without owners and evidence notes); admins and managers
//! edit any client's controls, technicians those of their clients. Risk acceptances are asked
//! for and approved only by admins and managers, and never approved by who asked.

pub mod catalog;
pub mod model;
pub(crate) mod store;

pub use model::{AppliesTo, Category, Control, ControlStatus, Freshness, Reference, ReviewFrequency};

use crate::audit::{Diff, Record};
use crate::authz::{Actor, Permission};
use crate::clients::{self, Client};
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, Utc};

/// Writes the built-in catalog to the database if the database holds an older version.
/// Returns true when it wrote.
pub async fn sync_built_in_catalog(db: &Db) -> Result<bool> {
    let catalog = catalog::built_in().map_err(DomainError::internal)?;
    sync_catalog(db, &catalog, Utc::now()).await
}

/// Writes `catalog` if the database holds an older version (or none).
pub async fn sync_catalog(db: &Db, catalog: &catalog::Catalog, now: DateTime<Utc>) -> Result<bool> {
    let loaded = store::catalog_version(db).await?;
    if loaded.is_some_and(|v| v >= catalog.version) {
        return Ok(false);
    }
    let summary = format!(
        "built-in catalog version {} → {}: {} controls in {} categories",
        loaded.map(|v| v.to_string()).unwrap_or_else(|| "none".into()),
        catalog.version,
        catalog.controls.len(),
        catalog.categories.len()
    );
    let audit = Record::system("catalog.load", format!("catalog:v{}", catalog.version)).summary(summary);
    store::sync_catalog(db, catalog, now, audit).await?;
    // Review frequencies may have changed: due times follow.
    store::recompute_next_due(db, &store::list_controls(db).await?).await?;
    tracing::info!(version = catalog.version, controls = catalog.controls.len(), "control catalog loaded");
    Ok(true)
}

/// The catalog: categories and controls (retired ones only when asked for).
pub async fn list_catalog(db: &Db, actor: &Actor, include_retired: bool) -> Result<(Vec<Category>, Vec<Control>)> {
    actor.require(Permission::ViewCatalog)?;
    let categories = store::list_categories(db).await?;
    let mut controls = store::list_controls(db).await?;
    if !include_retired {
        controls.retain(|c| c.retired_at.is_none());
    }
    Ok((categories, controls))
}

/// One control on one client's checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    pub control: Control,
    pub status: ControlStatus,
    /// Empty for those who may not see internal detail (client viewers).
    pub owner: String,
    /// Empty for client viewers unless the evidence is shared with them.
    pub evidence_note: String,
    pub evidence_links: Vec<String>,
    pub evidence_shared: bool,
    pub justification: String,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_verified_by: Option<String>,
    pub freshness: Freshness,
    /// 0 when nothing was recorded yet.
    pub version: i64,
    /// Whether the client's impact tier includes the control by default.
    pub in_baseline: bool,
    /// The current risk acceptance, if any (on the checklist: only those not ended).
    pub exception: Option<ExceptionInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionState {
    /// Asked for, waiting for a second person's approval.
    Pending,
    /// Approved and not expired: the risk is accepted.
    Active,
    /// Past its expiry date.
    Expired,
    /// Withdrawn or revoked.
    Ended,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionInfo {
    pub id: i64,
    pub reason: String,
    pub requested_by: String,
    pub requested_by_user: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub state: ExceptionState,
}

impl ExceptionState {
    fn of(row: &store::ExceptionRow, now: DateTime<Utc>) -> ExceptionState {
        match (row.ended_at, row.approved_at) {
            (Some(_), _) => ExceptionState::Ended,
            _ if row.expires_at <= now => ExceptionState::Expired,
            (None, Some(_)) => ExceptionState::Active,
            (None, None) => ExceptionState::Pending,
        }
    }
}

/// What a view may offer on a client's controls, as the services decide it: an archived
/// client's controls are read-only.
pub fn may_edit_controls(actor: &Actor, client: &Client) -> bool {
    actor.may_on_client(Permission::EditControls, client.id) && client.archived_at.is_none()
}

/// Whether `actor` may ask for a risk acceptance on `client`'s controls now.
pub fn may_request_exception(actor: &Actor, client: &Client) -> bool {
    actor.may_on_client(Permission::RequestException, client.id) && client.archived_at.is_none()
}

impl ExceptionInfo {
    /// Whether `actor` asked for this risk acceptance: they may withdraw it, never approve it
    /// (a second person approves).
    pub fn asked_by(&self, actor: &Actor) -> bool {
        self.requested_by_user.is_some() && self.requested_by_user == actor.user_id
    }

    /// Whether `actor` may approve it now (on its client): someone who may approve risk
    /// acceptances there, not the one who asked, while it is pending. The rule of
    /// [`approve_exception`], for views to show.
    pub fn may_approve(&self, actor: &Actor, client_id: i64) -> bool {
        actor.may_change()
            && actor.can_on_client(Permission::ApproveException, client_id)
            && !self.asked_by(actor)
            && self.state == ExceptionState::Pending
    }

    /// Whether `actor` may end it now (on its client): withdraw their own request while they may
    /// still ask for one, or revoke as someone who may approve, while it has not ended. The rule of [`end_exception`].
    pub fn may_end(&self, actor: &Actor, client_id: i64) -> bool {
        actor.may_change()
            && self.state != ExceptionState::Ended
            && ((self.asked_by(actor) && actor.can_on_client(Permission::RequestException, client_id))
                || actor.can_on_client(Permission::ApproveException, client_id))
    }

    fn of(row: store::ExceptionRow, now: DateTime<Utc>) -> ExceptionInfo {
        let state = ExceptionState::of(&row, now);
        ExceptionInfo {
            id: row.id,
            reason: row.reason,
            requested_by: row.requested_by,
            requested_by_user: row.requested_by_user,
            requested_at: row.requested_at,
            expires_at: row.expires_at,
            approved_by: row.approved_by,
            approved_at: row.approved_at,
            ended_by: row.ended_by,
            ended_at: row.ended_at,
            state,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Checklist {
    pub client: Client,
    pub categories: Vec<Category>,
    pub items: Vec<ChecklistItem>,
}

impl Checklist {
    /// The checklist in numbers. The score counts the same while it scores
    /// (`scoring::ClientScore::checklist`), so that a client's page need not read this list.
    pub fn counts(&self) -> ChecklistCounts {
        ChecklistCounts::count(self.items.iter().map(|i| {
            let accepted = i.exception.as_ref().is_some_and(|e| e.state == ExceptionState::Active);
            (i.status, matches!(i.freshness, Freshness::Stale { .. }), accepted)
        }))
    }
}

/// A checklist in numbers: its controls by status, those past their re-verification time and
/// those carrying an accepted risk (an approved exception, not expired).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChecklistCounts {
    /// One count per status, in the order of [`ControlStatus::ALL`].
    pub by_status: [usize; ControlStatus::ALL.len()],
    pub stale: usize,
    pub accepted: usize,
}

impl ChecklistCounts {
    /// Counts items given as (status, stale, carries an accepted risk).
    pub fn count(items: impl IntoIterator<Item = (ControlStatus, bool, bool)>) -> ChecklistCounts {
        let mut counts = ChecklistCounts::default();
        for (status, stale, accepted) in items {
            if let Some(k) = ControlStatus::ALL.iter().position(|s| *s == status) {
                counts.by_status[k] += 1;
            }
            counts.stale += usize::from(stale);
            counts.accepted += usize::from(accepted);
        }
        counts
    }

    /// How many controls have `status`.
    pub fn of_status(&self, status: ControlStatus) -> usize {
        ControlStatus::ALL.iter().position(|s| *s == status).map_or(0, |k| self.by_status[k])
    }
}

/// The controls of a client that carry an accepted risk now (the exceptions as
/// [`ExceptionInfo::state`] reads them), without reading the rest of the checklist.
pub(crate) async fn accepted_controls(db: &Db, client_id: i64, now: DateTime<Utc>) -> Result<Vec<String>> {
    let open = store::list_open_exceptions(db, client_id).await?;
    Ok(open
        .into_iter()
        .filter(|e| ExceptionState::of(e, now) == ExceptionState::Active)
        .map(|e| e.control_id)
        .collect())
}

fn applies_to_clients(control: &Control) -> bool {
    control.retired_at.is_none() && control.applies_to != AppliesTo::Msp
}

/// Whether a control is on the checklist of a client of this tier: it applies to clients and is
/// in the tier's baseline, or a state was recorded for it. The one rule for checklists and the
/// score.
pub(crate) fn on_checklist(control: &Control, tier: clients::ImpactTier, has_state: bool) -> bool {
    applies_to_clients(control) && (control.tiers.contains(&tier) || has_state)
}

fn item(
    actor: &Actor,
    client: &Client,
    control: Control,
    state: Option<store::StateRow>,
    exception: Option<store::ExceptionRow>,
    now: DateTime<Utc>,
) -> Result<ChecklistItem> {
    let in_baseline = control.tiers.contains(&client.impact_tier);
    let exception = exception.map(|e| ExceptionInfo::of(e, now));
    let internal = actor.can_on_client(Permission::ViewClientNotes, client.id);
    let Some(state) = state else {
        return Ok(ChecklistItem {
            freshness: Freshness::Unverified,
            control,
            status: ControlStatus::NotAssessed,
            owner: String::new(),
            evidence_note: String::new(),
            evidence_links: Vec::new(),
            evidence_shared: false,
            justification: String::new(),
            last_verified_at: None,
            last_verified_by: None,
            version: 0,
            in_baseline,
            exception,
        });
    };
    let status = ControlStatus::parse(&state.status)
        .ok_or_else(|| DomainError::internal(std::io::Error::other(format!("status {:?}", state.status))))?;
    Ok(ChecklistItem {
        freshness: model::freshness(control.review, state.last_verified_at, now),
        control,
        status,
        owner: if internal { state.owner } else { String::new() },
        // Evidence reaches the client's viewers only when someone chose to share it.
        evidence_note: if internal || state.evidence_shared { state.evidence_note } else { String::new() },
        evidence_links: if internal || state.evidence_shared {
            state.evidence_links.lines().map(str::to_owned).collect()
        } else {
            Vec::new()
        },
        evidence_shared: state.evidence_shared,
        justification: state.justification,
        last_verified_at: state.last_verified_at,
        last_verified_by: state.last_verified_by,
        version: state.version,
        in_baseline,
        exception,
    })
}

/// A client's checklist at `now`, in catalog order.
pub async fn get_checklist(db: &Db, actor: &Actor, slug: &str, now: DateTime<Utc>) -> Result<Checklist> {
    let client = clients::get_client(db, actor, slug).await?;
    get_checklist_of(db, actor, client, now).await
}

/// [`get_checklist`] of a client already read for this actor by [`clients::get_client`] (a page
/// that shows several of a client's records reads the client once).
pub async fn get_checklist_of(db: &Db, actor: &Actor, client: Client, now: DateTime<Utc>) -> Result<Checklist> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    actor.require_on_client(Permission::ViewControls, client.id)?;
    let categories = store::list_categories(db).await?;
    let mut states = store::list_states(db, client.id).await?;
    let mut exceptions = store::list_open_exceptions(db, client.id).await?;
    let mut items = Vec::new();
    for control in store::list_controls(db).await? {
        let state = states.iter().position(|s| s.control_id == control.id).map(|i| states.swap_remove(i));
        let exception = exceptions.iter().position(|e| e.control_id == control.id).map(|i| exceptions.swap_remove(i));
        if on_checklist(&control, client.impact_tier, state.is_some()) {
            items.push(item(actor, &client, control, state, exception, now)?);
        }
    }
    Ok(Checklist { client, categories, items })
}

/// One control of a client, with its history (newest first).
pub async fn get_client_control(
    db: &Db,
    actor: &Actor,
    slug: &str,
    control_id: &str,
    now: DateTime<Utc>,
) -> Result<(Client, ChecklistItem, Vec<HistoryEntry>)> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ViewControls, client.id)?;
    let state = store::find_state(db, client.id, control_id).await?;
    // A retired control stays readable where it was recorded, with its history.
    let control = match find_applicable(db, control_id).await {
        Err(DomainError::NotFound) if state.is_some() => store::find_control(db, control_id)
            .await?
            .filter(|c| c.applies_to != AppliesTo::Msp)
            .ok_or(DomainError::NotFound)?,
        other => other?,
    };
    // Why a status changed is the MSP's internal note: the client's viewers see the change only.
    let internal = actor.can_on_client(Permission::ViewClientNotes, client.id);
    let history = store::list_history(db, client.id, control_id)
        .await?
        .into_iter()
        .map(|h| HistoryEntry {
            changed_at: h.changed_at,
            changed_by: h.changed_by,
            from: ControlStatus::parse(&h.from_status).unwrap_or(ControlStatus::NotAssessed),
            to: ControlStatus::parse(&h.to_status).unwrap_or(ControlStatus::NotAssessed),
            note: if internal { h.note } else { String::new() },
        })
        .collect();
    let exception = store::latest_exception(db, client.id, control_id).await?;
    let item = item(actor, &client, control, state, exception, now)?;
    Ok((client, item, history))
}

async fn find_applicable(db: &Db, control_id: &str) -> Result<Control> {
    store::find_control(db, control_id).await?.filter(applies_to_clients).ok_or(DomainError::NotFound)
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
    pub from: ControlStatus,
    pub to: ControlStatus,
    pub note: String,
}

/// What an editor submits for one control.
#[derive(Debug, Clone, Default)]
pub struct ControlUpdate {
    /// The version the editor started from (0 when nothing was recorded).
    pub version: i64,
    pub status: String,
    pub owner: String,
    pub evidence_note: String,
    /// One link per line.
    pub evidence_links: String,
    /// Show the evidence (note and links) to the client's viewers in their portal.
    pub share_evidence: bool,
    pub justification: String,
    /// Record that the actor verified the control now.
    pub verified_now: bool,
    /// Why it changed, for the history.
    pub note: String,
}

pub const MIN_JUSTIFICATION: usize = 10;
const MAX_LINKS: usize = 10;

struct ValidUpdate {
    status: ControlStatus,
    owner: String,
    evidence_note: String,
    evidence_links: String,
    justification: String,
    note: String,
}

fn validate(update: &ControlUpdate) -> Result<ValidUpdate> {
    let mut errors = Vec::new();
    let status = ControlStatus::parse(update.status.trim());
    if status.is_none() {
        errors.push(FieldError::new("status", "Choose a status."));
    }
    let justification = update.justification.trim().replace('\0', "");
    if status == Some(ControlStatus::NotApplicable) && justification.chars().count() < MIN_JUSTIFICATION {
        errors.push(FieldError::new(
            "justification",
            format!("Say why this control does not apply to this client (at least {MIN_JUSTIFICATION} characters)."),
        ));
    }
    let limit = |field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>| {
        if value.chars().count() > max {
            errors.push(FieldError::new(field, format!("Use at most {max} characters.")));
        }
    };
    limit("justification", &justification, 1000, &mut errors);
    let owner = clients::model::clean_line(&update.owner);
    limit("owner", &owner, 120, &mut errors);
    let evidence_note = update.evidence_note.trim().replace('\0', "");
    limit("evidence_note", &evidence_note, 4000, &mut errors);
    let note = update.note.trim().replace('\0', "");
    limit("note", &note, 1000, &mut errors);
    let links: Vec<&str> = update.evidence_links.split_whitespace().collect();
    if links.len() > MAX_LINKS {
        errors.push(FieldError::new("evidence_links", format!("Add at most {MAX_LINKS} links.")));
    } else if let Some(bad) =
        links.iter().find(|l| !(l.starts_with("https://") || l.starts_with("http://")) || l.len() > 500 || l.len() < 10)
    {
        let shown: String = bad.chars().take(60).collect();
        errors.push(FieldError::new("evidence_links", format!("“{shown}” is not a web link (https://…).")));
    }
    match status {
        Some(status) if errors.is_empty() => Ok(ValidUpdate {
            status,
            owner,
            evidence_note,
            evidence_links: links.join("\n"),
            justification: if status == ControlStatus::NotApplicable { justification } else { String::new() },
            note,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// Records a client's control state and its history line.
pub async fn update_client_control(
    db: &Db,
    actor: &Actor,
    slug: &str,
    control_id: &str,
    update: &ControlUpdate,
    now: DateTime<Utc>,
) -> Result<ChecklistItem> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::EditControls, client.id)?;
    if client.archived_at.is_some() {
        return Err(DomainError::conflict(None, "This client is archived. Restore it before changing its controls."));
    }
    let control = find_applicable(db, control_id).await?;
    let valid = validate(update)?;
    let current = store::find_state(db, client.id, control_id).await?;
    let from_status =
        current.as_ref().and_then(|s| ControlStatus::parse(&s.status)).unwrap_or(ControlStatus::NotAssessed);
    let (last_verified_at, last_verified_by) = if update.verified_now {
        (Some(now), Some(actor.display_name.clone()))
    } else {
        current.as_ref().map(|s| (s.last_verified_at, s.last_verified_by.clone())).unwrap_or((None, None))
    };
    let change = store::StateChange {
        client_id: client.id,
        control_id,
        expected_version: update.version,
        from_status,
        status: valid.status,
        owner: &valid.owner,
        evidence_note: &valid.evidence_note,
        evidence_links: &valid.evidence_links,
        evidence_shared: update.share_evidence,
        justification: &valid.justification,
        last_verified_at,
        last_verified_by: last_verified_by.as_deref(),
        next_due_at: last_verified_at.and_then(|at| control.review.next_due(at)),
        changed_by: &actor.display_name,
        note: &valid.note,
        now,
    };
    let mut diff = Diff::new()
        .field("status", from_status.as_str(), valid.status.as_str())
        .field("owner", current.as_ref().map(|s| s.owner.as_str()).unwrap_or(""), &valid.owner)
        .hidden("evidence note", current.as_ref().map(|s| s.evidence_note.as_str()).unwrap_or(""), &valid.evidence_note)
        .hidden(
            "evidence links",
            current.as_ref().map(|s| s.evidence_links.as_str()).unwrap_or(""),
            &valid.evidence_links,
        )
        .field(
            "evidence shared with the client",
            if current.as_ref().is_some_and(|s| s.evidence_shared) { "yes" } else { "no" },
            if update.share_evidence { "yes" } else { "no" },
        )
        .field("justification", current.as_ref().map(|s| s.justification.as_str()).unwrap_or(""), &valid.justification);
    if update.verified_now {
        diff = diff.note("verified now");
    }
    if !valid.note.is_empty() {
        diff = diff.note(format!("note: {}", valid.note));
    }
    let audit = Record::by(actor, "control.update", format!("control:{}/{control_id}", client.slug))
        .client(client.id)
        .summary(diff.finish());
    if !store::save_states(db, &[change], &[audit]).await? {
        return Err(DomainError::conflict(
            None,
            "Someone else changed this control after you opened it. Reload to see their change, then try again.",
        ));
    }
    // The item as saved (its history is not needed here, and grows with every change).
    let state = store::find_state(db, client.id, control_id).await?;
    let exception = store::latest_exception(db, client.id, control_id).await?;
    item(actor, &client, control, state, exception, now)
}

/// Sets the same status on several controls of one client, in one transaction: all or none.
/// Each control names the version the editor saw.
pub async fn update_client_controls(
    db: &Db,
    actor: &Actor,
    slug: &str,
    controls: &[(String, i64)],
    update: &ControlUpdate,
    now: DateTime<Utc>,
) -> Result<usize> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::EditControls, client.id)?;
    if client.archived_at.is_some() {
        return Err(DomainError::conflict(None, "This client is archived. Restore it before changing its controls."));
    }
    if controls.is_empty() {
        return Err(DomainError::invalid("selected", "Select at least one control."));
    }
    if controls.len() > 200 {
        return Err(DomainError::invalid("selected", "Select at most 200 controls at once."));
    }
    let valid = validate(update)?;
    let catalog = store::list_controls(db).await?;
    let states = store::list_states(db, client.id).await?;
    let mut changes = Vec::new();
    for (control_id, version) in controls {
        let Some(control) = catalog.iter().find(|c| &c.id == control_id && applies_to_clients(c)) else {
            return Err(DomainError::invalid("selected", format!("{control_id} is not on this client's checklist.")));
        };
        let current = states.iter().find(|s| &s.control_id == control_id);
        let (last_verified_at, last_verified_by) = if update.verified_now {
            (Some(now), Some(actor.display_name.as_str()))
        } else {
            current.map(|s| (s.last_verified_at, s.last_verified_by.as_deref())).unwrap_or((None, None))
        };
        changes.push(store::StateChange {
            client_id: client.id,
            control_id,
            expected_version: *version,
            from_status: current.and_then(|s| ControlStatus::parse(&s.status)).unwrap_or(ControlStatus::NotAssessed),
            status: valid.status,
            // A bulk change sets the status; owner and evidence stay as they were.
            owner: current.map(|s| s.owner.as_str()).unwrap_or(""),
            evidence_note: current.map(|s| s.evidence_note.as_str()).unwrap_or(""),
            evidence_links: current.map(|s| s.evidence_links.as_str()).unwrap_or(""),
            evidence_shared: current.is_some_and(|s| s.evidence_shared),
            justification: &valid.justification,
            last_verified_at,
            last_verified_by,
            next_due_at: last_verified_at.and_then(|at| control.review.next_due(at)),
            changed_by: &actor.display_name,
            note: &valid.note,
            now,
        });
    }
    let audit: Vec<Record> = changes
        .iter()
        .map(|c| {
            let mut diff = Diff::new()
                .field("status", c.from_status.as_str(), c.status.as_str())
                .note(format!("bulk change of {} controls", changes.len()));
            if update.verified_now {
                diff = diff.note("verified now");
            }
            if !valid.note.is_empty() {
                diff = diff.note(format!("note: {}", valid.note));
            }
            Record::by(actor, "control.bulk_update", format!("control:{}/{}", client.slug, c.control_id))
                .client(client.id)
                .summary(diff.finish())
        })
        .collect();
    if !store::save_states(db, &changes, &audit).await? {
        return Err(DomainError::conflict(
            None,
            "Someone else changed one of these controls after you opened the checklist. Nothing was saved; reload and try again.",
        ));
    }
    Ok(changes.len())
}

/// One control past its re-verification time, with its client.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueItem {
    pub client_slug: String,
    pub client_name: String,
    pub impact_tier: crate::clients::ImpactTier,
    pub control_id: String,
    pub title: String,
    pub severity: i64,
    pub status: ControlStatus,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
}

/// Overdue evidence across the clients the actor may see, most severe and oldest first, at most
/// `limit` items, with the total count.
pub async fn list_overdue(db: &Db, actor: &Actor, now: DateTime<Utc>, limit: i64) -> Result<(Vec<OverdueItem>, i64)> {
    actor.require(Permission::ViewPortfolio)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let (rows, total) = store::list_overdue(db, now, assigned_to, only_client, limit.clamp(1, 1000)).await?;
    let items = rows
        .into_iter()
        .map(|r| OverdueItem {
            impact_tier: crate::clients::ImpactTier::parse(&r.impact_tier)
                .unwrap_or(crate::clients::ImpactTier::Standard),
            status: ControlStatus::parse(&r.status).unwrap_or(ControlStatus::NotAssessed),
            client_slug: r.client_slug,
            client_name: r.client_name,
            control_id: r.control_id,
            title: r.title,
            severity: r.severity,
            last_verified_at: r.last_verified_at,
            due_at: r.next_due_at,
        })
        .collect();
    Ok((items, total))
}

/// Approved risk acceptances that expire within `days` from `now`, across the clients the
/// actor may see, soonest first (at most `limit`), with their total.
pub async fn list_expiring_exceptions(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    days: i64,
    limit: i64,
) -> Result<(Vec<ExpiringException>, i64)> {
    actor.require(Permission::ViewPortfolio)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let until = now + chrono::Duration::days(days.clamp(0, MAX_EXCEPTION_DAYS));
    let (rows, total) =
        store::list_expiring_exceptions(db, now, until, assigned_to, only_client, limit.clamp(1, 1000)).await?;
    let items = rows
        .into_iter()
        .map(|r| ExpiringException {
            id: r.id,
            client_slug: r.client_slug,
            client_name: r.client_name,
            control_id: r.control_id,
            title: r.title,
            expires_at: r.expires_at,
        })
        .collect();
    Ok((items, total))
}

/// An approved risk acceptance that is about to expire.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiringException {
    pub id: i64,
    pub client_slug: String,
    pub client_name: String,
    pub control_id: String,
    pub title: String,
    pub expires_at: DateTime<Utc>,
}

/// What an admin or manager submits for a custom control.
#[derive(Debug, Clone, Default)]
pub struct CustomControlInput {
    pub title: String,
    pub description: String,
    pub category_id: String,
    pub severity: String,
    pub review: String,
    pub applies_to: String,
    pub tiers: Vec<String>,
    /// One reference per line, "Source: item" (e.g. "Internal policy: 4.2").
    pub references: String,
}

async fn validate_custom(db: &Db, id: String, input: &CustomControlInput) -> Result<Control> {
    let mut errors = Vec::new();
    let title = clients::model::clean_line(&input.title);
    if title.is_empty() || title.chars().count() > 70 {
        errors.push(FieldError::new("title", "Enter a title of 1 to 70 characters."));
    }
    let description = input.description.trim().replace('\0', "");
    if description.is_empty() || description.chars().count() > 400 {
        errors.push(FieldError::new("description", "Describe what must be true, in 1 to 400 characters."));
    }
    let categories = store::list_categories(db).await?;
    if !categories.iter().any(|c| c.id == input.category_id) {
        errors.push(FieldError::new("category_id", "Choose a category."));
    }
    let severity = input.severity.trim().parse::<i64>().ok().filter(|s| (1..=5).contains(s));
    if severity.is_none() {
        errors.push(FieldError::new("severity", "Choose a severity from 1 to 5."));
    }
    let review = ReviewFrequency::parse(input.review.trim());
    if review.is_none() {
        errors.push(FieldError::new("review", "Choose how often it is re-verified."));
    }
    let applies_to = AppliesTo::parse(input.applies_to.trim());
    if applies_to.is_none() {
        errors.push(FieldError::new("applies_to", "Choose whom it applies to."));
    }
    let mut tiers = Vec::new();
    for t in &input.tiers {
        match crate::clients::ImpactTier::parse(t) {
            Some(tier) if !tiers.contains(&tier) => tiers.push(tier),
            Some(_) => {}
            None => errors.push(FieldError::new("tiers", "Choose impact tiers from the list.")),
        }
    }
    tiers.sort_by_key(|t| t.weight());
    if tiers.is_empty() {
        errors.push(FieldError::new("tiers", "Choose at least one impact tier it applies to."));
    }
    let mut references = Vec::new();
    for line in input.references.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            Some((source, item)) if !source.trim().is_empty() && !item.trim().is_empty() && line.len() <= 200 => {
                references.push(Reference { source: source.trim().into(), item: item.trim().into(), verified: true })
            }
            _ => {
                errors.push(FieldError::new("references", "Write one reference per line as “Source: item”."));
                break;
            }
        }
    }
    if references.len() > 20 {
        errors.push(FieldError::new("references", "Give at most 20 references."));
    }
    match (errors.is_empty(), severity, review, applies_to) {
        (true, Some(severity), Some(review), Some(applies_to)) => Ok(Control {
            id,
            category_id: input.category_id.clone(),
            title,
            description,
            severity,
            review,
            applies_to,
            tiers,
            references,
            built_in: false,
            retired_at: None,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// Adds a control of the MSP's own to the catalog; returns its id ("CUS-01", …).
pub async fn create_custom_control(db: &Db, actor: &Actor, input: &CustomControlInput) -> Result<Control> {
    actor.require(Permission::ManageCatalog)?;
    // Ids are handed out in order; two people adding at once may collide, so try a few times.
    for _ in 0..5 {
        let id = store::next_custom_id(db).await?;
        let control = validate_custom(db, id, input).await?;
        let audit = Record::by(actor, "catalog.control_create", format!("control:{}", control.id)).summary(format!(
            "added “{}”: {}",
            control.title,
            describe_control(&control)
        ));
        if store::save_custom_control(db, &control, true, &audit).await? {
            return Ok(control);
        }
    }
    Err(DomainError::conflict(None, "Someone else was adding a control at the same moment. Try again."))
}

/// Changes a custom control (built-in ones change only with the catalog file).
pub async fn update_custom_control(db: &Db, actor: &Actor, id: &str, input: &CustomControlInput) -> Result<Control> {
    actor.require(Permission::ManageCatalog)?;
    let control = validate_custom(db, id.to_owned(), input).await?;
    let before = store::find_control(db, id).await?.filter(|c| !c.built_in).ok_or(DomainError::NotFound)?;
    let summary = Diff::new()
        .field("title", &before.title, &control.title)
        .field("description", &before.description, &control.description)
        .field("category", &before.category_id, &control.category_id)
        .field("severity", &before.severity.to_string(), &control.severity.to_string())
        .field("review", before.review.as_str(), control.review.as_str())
        .field("applies to", before.applies_to.as_str(), control.applies_to.as_str())
        .field("tiers", &tier_list(&before), &tier_list(&control))
        .field("references", &reference_list(&before), &reference_list(&control))
        .finish();
    let audit = Record::by(actor, "catalog.control_update", format!("control:{id}")).summary(summary);
    if !store::save_custom_control(db, &control, false, &audit).await? {
        return Err(DomainError::NotFound);
    }
    Ok(control)
}

/// Retires a custom control: it leaves every checklist, and keeps its history.
pub async fn retire_custom_control(db: &Db, actor: &Actor, id: &str, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::ManageCatalog)?;
    let audit = Record::by(actor, "catalog.control_retire", format!("control:{id}")).summary("retired");
    if store::retire_custom_control(db, id, now, &audit).await? {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

fn tier_list(control: &Control) -> String {
    control.tiers.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
}

fn reference_list(control: &Control) -> String {
    control.references.iter().map(|r| format!("{}: {}", r.source, r.item)).collect::<Vec<_>>().join("; ")
}

fn describe_control(control: &Control) -> String {
    format!(
        "category {}, severity {}, review {}, applies to {}, tiers {}",
        control.category_id,
        control.severity,
        control.review.as_str(),
        control.applies_to.as_str(),
        tier_list(control)
    )
}

/// What the custom-control form needs: the categories, and the custom control to change (an
/// active custom control; built-in and retired ones are not found).
pub async fn custom_control_form(db: &Db, actor: &Actor, id: Option<&str>) -> Result<(Vec<Category>, Option<Control>)> {
    actor.require(Permission::ManageCatalog)?;
    let categories = store::list_categories(db).await?;
    let control = match id {
        None => None,
        Some(id) => Some(
            store::find_control(db, id)
                .await?
                .filter(|c| !c.built_in && c.retired_at.is_none())
                .ok_or(DomainError::NotFound)?,
        ),
    };
    Ok((categories, control))
}

/// One control of the catalog, retired or not.
pub async fn get_control(db: &Db, actor: &Actor, id: &str) -> Result<Control> {
    actor.require(Permission::ViewCatalog)?;
    store::find_control(db, id).await?.ok_or(DomainError::NotFound)
}

/// The longest a risk may be accepted for before it must be asked for again.
pub const MAX_EXCEPTION_DAYS: i64 = 366;

/// Asks for a risk acceptance on one client's control, until the end of `expires_on`
/// (YYYY-MM-DD, UTC). A second person must approve it before it counts.
pub async fn request_exception(
    db: &Db,
    actor: &Actor,
    slug: &str,
    control_id: &str,
    reason: &str,
    expires_on: &str,
    now: DateTime<Utc>,
) -> Result<ExceptionInfo> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::RequestException, client.id)?;
    find_applicable(db, control_id).await?;
    let mut errors = Vec::new();
    let reason = reason.trim().replace('\0', "");
    if reason.chars().count() < MIN_JUSTIFICATION || reason.chars().count() > 1000 {
        errors.push(FieldError::new(
            "reason",
            format!("Say why the risk is accepted, in {MIN_JUSTIFICATION} to 1000 characters."),
        ));
    }
    let expires_at = match chrono::NaiveDate::parse_from_str(expires_on.trim(), "%Y-%m-%d") {
        Err(_) => {
            errors.push(FieldError::new("expires_on", "Enter the expiry date as YYYY-MM-DD."));
            None
        }
        Ok(date) => {
            let end = date.and_hms_opt(23, 59, 59).map(|t| t.and_utc());
            match end {
                Some(end) if end <= now => {
                    errors.push(FieldError::new("expires_on", "The expiry date must be in the future."));
                    None
                }
                Some(end) if end > now + chrono::Duration::days(MAX_EXCEPTION_DAYS) => {
                    errors.push(FieldError::new(
                        "expires_on",
                        format!("Accept a risk for at most {MAX_EXCEPTION_DAYS} days; ask again when it expires."),
                    ));
                    None
                }
                other => other,
            }
        }
    };
    let (true, Some(expires_at)) = (errors.is_empty(), expires_at) else { return Err(DomainError::Validation(errors)) };
    let status = current_status(db, client.id, control_id).await?;
    let note = format!("Risk acceptance requested until {}: {reason}", expires_at.format("%Y-%m-%d"));
    let change = store::ExceptionChange::Request { reason: &reason, expires_at, user: actor.user_id };
    // The store names the object once the exception has its id.
    let audit = Record::by(actor, "exception.request", "")
        .client(client.id)
        .summary(format!("{control_id} of {}: {note}", client.slug));
    let id =
        store::change_exception(db, client.id, control_id, status, change, &actor.display_name, &note, now, &audit)
            .await?
            .ok_or_else(|| {
                DomainError::conflict(
                    None,
                    "This control already has a risk acceptance that has not ended. End it first.",
                )
            })?;
    exception_by_id(db, id, now).await
}

async fn current_status(db: &Db, client_id: i64, control_id: &str) -> Result<ControlStatus> {
    Ok(store::find_state(db, client_id, control_id)
        .await?
        .and_then(|s| ControlStatus::parse(&s.status))
        .unwrap_or(ControlStatus::NotAssessed))
}

async fn exception_by_id(db: &Db, id: i64, now: DateTime<Utc>) -> Result<ExceptionInfo> {
    store::find_exception(db, id).await?.map(|row| ExceptionInfo::of(row, now)).ok_or(DomainError::NotFound)
}

/// The exception and its client, if the actor may see that client; otherwise not found.
async fn visible_exception(db: &Db, actor: &Actor, id: i64) -> Result<store::ExceptionRow> {
    let row = store::find_exception(db, id).await?.ok_or(DomainError::NotFound)?;
    actor.require_on_client(Permission::ViewControls, row.client_id)?;
    Ok(row)
}

/// Approves a pending risk acceptance. The approver must be someone other than who asked.
pub async fn approve_exception(db: &Db, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<ExceptionInfo> {
    let row = visible_exception(db, actor, id).await?;
    actor.require_on_client(Permission::ApproveException, row.client_id)?;
    let info = ExceptionInfo::of(row.clone(), now);
    if info.asked_by(actor) {
        return Err(DomainError::invalid(
            "approved_by",
            "A risk acceptance needs a second person: someone other than who asked for it must approve it.",
        ));
    }
    if info.state != ExceptionState::Pending {
        return Err(DomainError::conflict(None, "Only a pending risk acceptance can be approved."));
    }
    let status = current_status(db, row.client_id, &row.control_id).await?;
    let note = format!("Risk acceptance approved until {}", row.expires_at.format("%Y-%m-%d"));
    let change = store::ExceptionChange::Approve { id, user: actor.user_id };
    let audit = Record::by(actor, "exception.approve", format!("exception:{id}"))
        .client(row.client_id)
        .summary(format!("{}: {note} (asked for by {})", row.control_id, row.requested_by));
    store::change_exception(
        db,
        row.client_id,
        &row.control_id,
        status,
        change,
        &actor.display_name,
        &note,
        now,
        &audit,
    )
    .await?
    .ok_or_else(|| {
        DomainError::conflict(None, "Someone else changed this risk acceptance meanwhile. Reload the page.")
    })?;
    exception_by_id(db, id, now).await
}

/// Ends a risk acceptance: withdrawn by who asked for it, or revoked by a manager.
pub async fn end_exception(db: &Db, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<ExceptionInfo> {
    let row = visible_exception(db, actor, id).await?;
    let own_request = ExceptionInfo::of(row.clone(), now).asked_by(actor);
    actor.require_may_change()?;
    // Withdrawing one's own request needs the right to ask still (a role changed since is asked
    // again); revoking anyone's needs the right to approve.
    let needed = if own_request { Permission::RequestException } else { Permission::ApproveException };
    actor.require_on_client(needed, row.client_id)?;
    if row.ended_at.is_some() {
        return Err(DomainError::conflict(None, "This risk acceptance has already ended."));
    }
    let status = current_status(db, row.client_id, &row.control_id).await?;
    let note = if own_request { "Risk acceptance withdrawn" } else { "Risk acceptance revoked" };
    let change = store::ExceptionChange::End { id };
    let action = if own_request { "exception.withdraw" } else { "exception.revoke" };
    let audit = Record::by(actor, action, format!("exception:{id}"))
        .client(row.client_id)
        .summary(format!("{}: {note}", row.control_id));
    store::change_exception(db, row.client_id, &row.control_id, status, change, &actor.display_name, note, now, &audit)
        .await?
        .ok_or_else(|| DomainError::conflict(None, "This risk acceptance has already ended."))?;
    exception_by_id(db, id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(status: &str) -> ControlUpdate {
        ControlUpdate { status: status.into(), ..Default::default() }
    }

    #[test]
    fn not_applicable_needs_a_justification() {
        let Err(DomainError::Validation(errors)) = validate(&update("not_applicable")) else { panic!() };
        assert_eq!(errors[0].field, "justification");
        let ok = ControlUpdate { justification: "No remote access exists at all.".into(), ..update("not_applicable") };
        assert!(validate(&ok).is_ok());
    }

    #[test]
    fn a_justification_is_kept_only_for_not_applicable() {
        let partial = ControlUpdate { justification: "left over from before".into(), ..update("partial") };
        assert_eq!(validate(&partial).ok().map(|v| v.justification), Some(String::new()));
    }

    #[test]
    fn links_must_be_web_links_and_few() {
        let bad =
            ControlUpdate { evidence_links: "https://ok.example/a\njavascript:alert(1)".into(), ..update("partial") };
        assert!(matches!(validate(&bad), Err(DomainError::Validation(e)) if e[0].field == "evidence_links"));
        let many = (0..=MAX_LINKS).map(|i| format!("https://x.example/{i}")).collect::<Vec<_>>().join("\n");
        assert!(validate(&ControlUpdate { evidence_links: many, ..update("partial") }).is_err());
        let good = ControlUpdate {
            evidence_links: " https://a.example/x \n\n https://b.example/y ".into(),
            ..update("implemented")
        };
        assert_eq!(
            validate(&good).ok().map(|v| v.evidence_links),
            Some("https://a.example/x\nhttps://b.example/y".into())
        );
    }

    #[test]
    fn an_unknown_status_is_refused() {
        assert!(matches!(validate(&update("done")), Err(DomainError::Validation(e)) if e[0].field == "status"));
    }
}
