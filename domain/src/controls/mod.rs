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
//! edit any client's controls, technicians those of their clients.

pub mod catalog;
pub mod model;
pub(crate) mod store;

pub use model::{AppliesTo, Category, Control, ControlStatus, Freshness, Reference, ReviewFrequency};

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
    if store::catalog_version(db).await?.is_some_and(|v| v >= catalog.version) {
        return Ok(false);
    }
    store::sync_catalog(db, catalog, now).await?;
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
    pub evidence_note: String,
    pub evidence_links: Vec<String>,
    pub justification: String,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_verified_by: Option<String>,
    pub freshness: Freshness,
    /// 0 when nothing was recorded yet.
    pub version: i64,
    /// Whether the client's impact tier includes the control by default.
    pub in_baseline: bool,
}

#[derive(Debug, Clone)]
pub struct Checklist {
    pub client: Client,
    pub categories: Vec<Category>,
    pub items: Vec<ChecklistItem>,
}

fn applies_to_clients(control: &Control) -> bool {
    control.retired_at.is_none() && control.applies_to != AppliesTo::Msp
}

fn item(
    actor: &Actor,
    client: &Client,
    control: Control,
    state: Option<store::StateRow>,
    now: DateTime<Utc>,
) -> Result<ChecklistItem> {
    let in_baseline = control.tiers.contains(&client.impact_tier);
    let internal = actor.can_on_client(Permission::ViewClientNotes, client.id);
    let Some(state) = state else {
        return Ok(ChecklistItem {
            freshness: Freshness::Unverified,
            control,
            status: ControlStatus::NotAssessed,
            owner: String::new(),
            evidence_note: String::new(),
            evidence_links: Vec::new(),
            justification: String::new(),
            last_verified_at: None,
            last_verified_by: None,
            version: 0,
            in_baseline,
        });
    };
    let status = ControlStatus::parse(&state.status)
        .ok_or_else(|| DomainError::internal(std::io::Error::other(format!("status {:?}", state.status))))?;
    Ok(ChecklistItem {
        freshness: model::freshness(control.review, state.last_verified_at, now),
        control,
        status,
        owner: if internal { state.owner } else { String::new() },
        evidence_note: if internal { state.evidence_note } else { String::new() },
        evidence_links: if internal { state.evidence_links.lines().map(str::to_owned).collect() } else { Vec::new() },
        justification: state.justification,
        last_verified_at: state.last_verified_at,
        last_verified_by: state.last_verified_by,
        version: state.version,
        in_baseline,
    })
}

/// A client's checklist at `now`, in catalog order.
pub async fn get_checklist(db: &Db, actor: &Actor, slug: &str, now: DateTime<Utc>) -> Result<Checklist> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ViewControls, client.id)?;
    let categories = store::list_categories(db).await?;
    let mut states = store::list_states(db, client.id).await?;
    let mut items = Vec::new();
    for control in store::list_controls(db).await? {
        let state = states.iter().position(|s| s.control_id == control.id).map(|i| states.swap_remove(i));
        if applies_to_clients(&control) && (control.tiers.contains(&client.impact_tier) || state.is_some()) {
            items.push(item(actor, &client, control, state, now)?);
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
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ViewControls, client.id)?;
    let state = store::find_state(db, client.id, control_id).await?;
    // A retired control stays readable where it was recorded, with its history.
    let control = match find_applicable(db, control_id).await {
        Err(DomainError::NotFound) if state.is_some() => store::list_controls(db)
            .await?
            .into_iter()
            .find(|c| c.id == control_id && c.applies_to != AppliesTo::Msp)
            .ok_or(DomainError::NotFound)?,
        other => other?,
    };
    let history = store::list_history(db, client.id, control_id)
        .await?
        .into_iter()
        .map(|h| HistoryEntry {
            changed_at: h.changed_at,
            changed_by: h.changed_by,
            from: ControlStatus::parse(&h.from_status).unwrap_or(ControlStatus::NotAssessed),
            to: ControlStatus::parse(&h.to_status).unwrap_or(ControlStatus::NotAssessed),
            note: h.note,
        })
        .collect();
    let item = item(actor, &client, control, state, now)?;
    Ok((client, item, history))
}

async fn find_applicable(db: &Db, control_id: &str) -> Result<Control> {
    store::list_controls(db)
        .await?
        .into_iter()
        .find(|c| c.id == control_id && applies_to_clients(c))
        .ok_or(DomainError::NotFound)
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
    find_applicable(db, control_id).await?;
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
        justification: &valid.justification,
        last_verified_at,
        last_verified_by: last_verified_by.as_deref(),
        changed_by: &actor.display_name,
        note: &valid.note,
        now,
    };
    if !store::save_state(db, &change).await? {
        return Err(DomainError::conflict(
            None,
            "Someone else changed this control after you opened it. Reload to see their change, then try again.",
        ));
    }
    let (_, item, _) = get_client_control(db, actor, slug, control_id, now).await?;
    Ok(item)
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
