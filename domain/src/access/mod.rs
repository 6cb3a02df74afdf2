//! Technicians and the access register: who at the MSP can reach which client, through which
//! tool, with which privilege, and whether that access is still justified.
//!
//! Invariants:
//! - Nothing is deleted: technicians depart, grants are revoked (with who, when and how).
//! - A technician's lifecycle only moves forward; moving to offboarding sets T0.
//! - A grant is approved by the person who records it, never by the technician it is for; a
//!   leaver gets no new grant; one active grant per technician, client and system.
//! - Stale-access findings are computed at a given time ([`model::findings`]), never stored.
//!
//! Who may do what (see [`crate::authz`]): admins, managers and auditors see every technician,
//! technicians see the register; everyone who sees a client sees who can reach it (client
//! viewers included: it is their data); admins and managers manage technicians and grants.

pub mod checklist;
pub mod csv_io;
pub mod lifecycle;
pub mod model;
pub(crate) mod store;

pub use checklist::{Phase, Sla, SlaPolicy, SlaUnit, Step};
pub use lifecycle::{
    change_role, complete_step, get_client_sla, get_client_sla_of, get_lifecycle, list_late_checklists,
    list_sla_settings, save_client_sla, save_msp_sla, start_offboarding, ClientSla, LateChecklist, Lifecycle,
    OffboardingInput, OffboardingSummary, RevocationInput, SlaInput, SlaRow, REVOCATION_METHODS,
};
pub use model::{FindingKind, Grant, GrantState, Privilege, Technician, TechnicianState, SYSTEMS};
pub use store::GrantQuery;

use crate::audit::Record;
use crate::authz::{Actor, Permission};
use crate::clients;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, NaiveDate, Utc};

pub async fn list_technicians(db: &Db, actor: &Actor) -> Result<Vec<Technician>> {
    actor.require(Permission::ViewTechnicians)?;
    store::list_technicians(db).await
}

/// A technician and the grants the actor may see (all of them, or those on the actor's clients).
pub async fn get_technician(db: &Db, actor: &Actor, id: i64) -> Result<(Technician, Vec<Grant>)> {
    actor.require(Permission::ViewTechnicians)?;
    let technician = store::find_technician(db, id).await?.ok_or(DomainError::NotFound)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let grants = store::list_grants(
        db,
        GrantQuery { technician_id: Some(id), include_revoked: true, assigned_to, only_client, ..Default::default() },
    )
    .await?;
    Ok((technician, grants))
}

#[derive(Debug, Clone, Default)]
pub struct NewTechnician {
    pub name: String,
    pub email: String,
    pub title: String,
    /// YYYY-MM-DD.
    pub started_on: String,
}

pub(crate) fn parse_day(field: &str, s: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(day) => day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        Err(_) => {
            errors.push(FieldError::new(field, "Enter a date as YYYY-MM-DD."));
            None
        }
    }
}

pub async fn create_technician(db: &Db, actor: &Actor, new: &NewTechnician, now: DateTime<Utc>) -> Result<Technician> {
    actor.require(Permission::ManageTechnicians)?;
    let mut errors = Vec::new();
    let name = clients::model::clean_line(&new.name);
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(FieldError::new("name", "Enter the technician's name (at most 120 characters)."));
    }
    let email = new.email.trim().to_lowercase();
    if !clients::model::looks_like_email(&email) {
        errors.push(FieldError::new("email", "Enter an email address like name@example.com."));
    }
    let title = clients::model::clean_line(&new.title);
    if title.chars().count() > 120 {
        errors.push(FieldError::new("title", "Use at most 120 characters."));
    }
    let started_at = parse_day("started_on", &new.started_on, &mut errors);
    let (true, Some(started_at)) = (errors.is_empty(), started_at) else { return Err(DomainError::Validation(errors)) };
    let row = store::NewTechnicianRow {
        name: &name,
        email: &email,
        title: &title,
        state: TechnicianState::Onboarding,
        started_at,
        user_id: None,
    };
    let policy = store::load_sla_policy(db).await?;
    let plan = checklist::plan(&policy, checklist::Phase::Onboarding, started_at, false);
    let summary = format!(
        "added “{name}” <{email}>{}, starting {}; onboarding checklist of {} steps",
        if title.is_empty() { String::new() } else { format!(", {title}") },
        started_at.format("%Y-%m-%d"),
        plan.len()
    );
    // The store names the object once the technician has an id.
    let audit = Record::by(actor, "technician.create", "").summary(summary);
    let id = store::insert_technician(db, &row, &plan, now, &audit).await?;
    store::find_technician(db, id).await?.ok_or(DomainError::NotFound)
}

/// Moves a technician from onboarding to active, or from offboarding to departed. Offboarding
/// starts with [`lifecycle::start_offboarding`], which sets T0 and the deadlines.
pub async fn change_technician_state(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    state: &str,
    now: DateTime<Utc>,
) -> Result<Technician> {
    actor.require(Permission::ManageTechnicians)?;
    let technician = store::find_technician(db, id).await?.ok_or(DomainError::NotFound)?;
    let next = TechnicianState::parse(state).ok_or_else(|| DomainError::invalid("state", "Choose a state."))?;
    if next == TechnicianState::Offboarding {
        return Err(DomainError::invalid("state", "Start the offboarding with its T0 and kind of exit."));
    }
    if !technician.state.can_become(next) {
        return Err(DomainError::invalid(
            "state",
            format!("A technician who is {} cannot become {}.", technician.state.as_str(), next.as_str()),
        ));
    }
    let _ = now;
    let audit = Record::by(actor, "technician.state", format!("technician:{id}")).summary(format!(
        "{}: state {} → {}",
        technician.name,
        technician.state.as_str(),
        next.as_str()
    ));
    if !store::set_technician_state(db, id, version, next, &audit).await? {
        return Err(DomainError::conflict(None, "Someone else changed this technician meanwhile. Reload the page."));
    }
    store::find_technician(db, id).await?.ok_or(DomainError::NotFound)
}

#[derive(Debug, Clone, Default)]
pub struct NewGrant {
    pub technician_id: i64,
    pub client_slug: String,
    pub system: String,
    /// The name of an "other" system.
    pub system_name: String,
    pub privilege: String,
    pub justification: String,
    /// YYYY-MM-DD, or empty for no expiry.
    pub expires_on: String,
    pub mfa: bool,
}

/// Records access the actor approves for a technician at a client.
pub async fn grant_access(db: &Db, actor: &Actor, new: &NewGrant, now: DateTime<Utc>) -> Result<Grant> {
    let client = clients::get_client(db, actor, &new.client_slug).await?;
    actor.require_on_client(Permission::ManageAccess, client.id)?;
    let technician = store::find_technician(db, new.technician_id).await?.ok_or(DomainError::NotFound)?;
    let mut errors: Vec<FieldError> = lifecycle::grant_refusals(actor, &technician.email, Some(&technician))
        .into_iter()
        .map(|refusal| FieldError::new("technician_id", refusal))
        .collect();
    let fields = check_grant_fields(
        &GrantFields {
            system: &new.system,
            system_name: &new.system_name,
            privilege: &new.privilege,
            justification: &new.justification,
            expires_on: &new.expires_on,
        },
        now,
        &mut errors,
    );
    if let Some(fields) = &fields {
        if let Some(refusal) = lifecycle::grant_gate(db, technician.id, fields.privilege == Privilege::Admin).await? {
            errors.push(FieldError::new("privilege", refusal));
        }
    }
    let (true, Some(fields)) = (errors.is_empty(), fields) else { return Err(DomainError::Validation(errors)) };
    let row = store::NewGrantRow {
        technician_id: technician.id,
        client_id: client.id,
        system: &new.system,
        system_name: &fields.system_name,
        privilege: fields.privilege,
        approver: &actor.display_name,
        approver_user: actor.user_id,
        justification: &fields.justification,
        granted_at: now,
        expires_at: fields.expires_at,
        mfa: new.mfa,
    };
    let system = if fields.system_name.is_empty() {
        new.system.clone()
    } else {
        format!("{} ({})", new.system, fields.system_name)
    };
    let summary = format!(
        "{} may reach {} at {}: {} privilege, MFA {}, {}; justification: {}",
        technician.name,
        system,
        client.slug,
        fields.privilege.as_str(),
        if new.mfa { "on" } else { "off" },
        fields.expires_at.map(|at| format!("expires {}", at.format("%Y-%m-%d"))).unwrap_or_else(|| "no expiry".into()),
        fields.justification
    );
    // The store names the object once the grant has an id.
    let audit = Record::by(actor, "grant.create", "").client(client.id).summary(summary);
    let id = store::insert_grant(db, &row, &audit).await?;
    visible_grant(db, actor, id).await
}

/// The fields of a grant as typed (in the form or a CSV row).
pub(crate) struct GrantFields<'a> {
    pub system: &'a str,
    pub system_name: &'a str,
    pub privilege: &'a str,
    pub justification: &'a str,
    /// YYYY-MM-DD, or empty for no expiry.
    pub expires_on: &'a str,
}

/// A grant's fields, checked and cleaned.
pub(crate) struct CheckedGrantFields {
    /// Empty unless the system is "other".
    pub system_name: String,
    pub privilege: Privilege,
    pub justification: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Checks a grant's own fields (not who it is for); the expiry must come after `granted_at`.
/// Problems go to `errors`, keyed by form field; `None` when any field is wrong.
pub(crate) fn check_grant_fields(
    f: &GrantFields<'_>,
    granted_at: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<CheckedGrantFields> {
    let before = errors.len();
    if vocabulary::label_of(SYSTEMS, f.system).is_none() {
        errors.push(FieldError::new("system", "Choose a system."));
    }
    let system_name = clients::model::clean_line(f.system_name);
    if f.system == "other" && (system_name.is_empty() || system_name.chars().count() > 80) {
        errors.push(FieldError::new("system_name", "Name the system (at most 80 characters)."));
    }
    let privilege = Privilege::parse(f.privilege);
    if privilege.is_none() {
        errors.push(FieldError::new("privilege", "Choose read, standard or admin."));
    }
    let justification = f.justification.trim().replace('\0', "");
    if justification.chars().count() < 10 || justification.chars().count() > 1000 {
        errors.push(FieldError::new("justification", "Say why this access is needed, in 10 to 1000 characters."));
    }
    let expires_at = if f.expires_on.trim().is_empty() {
        None
    } else {
        match parse_day("expires_on", f.expires_on, errors) {
            Some(day) if day <= granted_at => {
                errors.push(FieldError::new("expires_on", "The expiry must come after the grant."));
                None
            }
            other => other,
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(CheckedGrantFields {
        system_name: if f.system == "other" { system_name } else { String::new() },
        privilege: privilege?,
        justification,
        expires_at,
    })
}

/// A grant on a client the actor may see; otherwise not found.
async fn visible_grant(db: &Db, actor: &Actor, id: i64) -> Result<Grant> {
    let grant = store::list_grants(db, GrantQuery { grant_id: Some(id), include_revoked: true, ..Default::default() })
        .await?
        .pop()
        .ok_or(DomainError::NotFound)?;
    actor.require_on_client(Permission::ViewAccess, grant.client_id)?;
    Ok(grant)
}

/// Revokes a grant with who removed it, when, how that was verified and the evidence; a leaver's
/// revocation task is done with it.
pub async fn revoke_grant(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &RevocationInput,
    now: DateTime<Utc>,
) -> Result<Grant> {
    let grant = visible_grant(db, actor, id).await?;
    actor.require_on_client(Permission::ManageAccess, grant.client_id)?;
    if grant.revoked_at.is_some() {
        return Err(DomainError::conflict(None, "This grant is already revoked."));
    }
    let (removed_at, method, evidence) = lifecycle::check_revocation(input, &grant, now)?;
    let revocation = store::Revocation {
        removed_at,
        by: &actor.display_name,
        by_user: actor.user_id,
        method: &method,
        evidence: &evidence,
        recorded_at: now,
    };
    let summary = format!(
        "{}'s {} at {} revoked: removed {}, verified by {}; evidence: {}",
        grant.technician_name,
        grant.system,
        grant.client_slug,
        removed_at.format("%Y-%m-%d %H:%M UTC"),
        lifecycle::revocation_method_label(&method),
        evidence
    );
    let audit = Record::by(actor, "grant.revoke", format!("grant:{id}")).client(grant.client_id).summary(summary);
    if !store::revoke_grant(db, id, &revocation, &audit).await? {
        return Err(DomainError::conflict(None, "This grant is already revoked."));
    }
    lifecycle::close_mover_step_if_done(db, actor, grant.technician_id, now).await?;
    visible_grant(db, actor, id).await
}

/// Records that the actor reviewed the grant now and it is still needed (after a role change:
/// re-approved).
pub async fn review_grant(db: &Db, actor: &Actor, id: i64, now: DateTime<Utc>) -> Result<Grant> {
    let grant = visible_grant(db, actor, id).await?;
    actor.require_on_client(Permission::ManageAccess, grant.client_id)?;
    let technician = store::find_technician(db, grant.technician_id).await?.ok_or(DomainError::NotFound)?;
    if lifecycle::is_self(actor, &technician) {
        return Err(DomainError::invalid("id", "Nobody reviews their own access: ask another manager."));
    }
    if technician.state.is_leaver() {
        return Err(DomainError::invalid("id", "A leaver's access is revoked, not kept."));
    }
    let summary = format!(
        "{}'s {} at {} kept{}",
        grant.technician_name,
        grant.system,
        grant.client_slug,
        if grant.reapproval_due_at.is_some() { " (re-approved after a role change)" } else { " after review" }
    );
    let audit = Record::by(actor, "grant.review", format!("grant:{id}")).client(grant.client_id).summary(summary);
    if !store::review_grant(db, id, &actor.display_name, now, &audit).await? {
        return Err(DomainError::conflict(None, "A revoked grant cannot be reviewed."));
    }
    lifecycle::close_mover_step_if_done(db, actor, grant.technician_id, now).await?;
    visible_grant(db, actor, id).await
}

/// Who at the MSP can reach this client: active grants, and those revoked in the last year.
pub async fn list_client_access(db: &Db, actor: &Actor, slug: &str, now: DateTime<Utc>) -> Result<Vec<Grant>> {
    let client = clients::get_client(db, actor, slug).await?;
    list_client_access_of(db, actor, &client, now).await
}

/// [`list_client_access`] of a client already read for this actor by [`clients::get_client`].
pub async fn list_client_access_of(
    db: &Db,
    actor: &Actor,
    client: &clients::Client,
    now: DateTime<Utc>,
) -> Result<Vec<Grant>> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    actor.require_on_client(Permission::ViewAccess, client.id)?;
    let mut grants =
        store::list_grants(db, GrantQuery { client_id: Some(client.id), include_revoked: true, ..Default::default() })
            .await?;
    let year_ago = now - chrono::Duration::days(365);
    grants.retain(|g| g.revoked_at.is_none_or(|at| at >= year_ago));
    // The client's own viewers see who holds access and when it ended, not the MSP's internal
    // reasons and evidence.
    if !actor.can_on_client(Permission::ViewClientNotes, client.id) {
        for g in &mut grants {
            g.justification.clear();
            g.revocation_evidence.clear();
        }
    }
    Ok(grants)
}

/// Every active grant with a stale-access finding, across the clients the actor may see.
pub async fn list_findings(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<(Grant, Vec<FindingKind>)>> {
    let (grants, policy) = findings_inputs(db, actor, now).await?;
    Ok(grants
        .iter()
        .filter_map(|g| {
            let found = model::findings(g, &policy, now);
            (!found.is_empty()).then(|| (g.clone(), found))
        })
        .collect())
}

/// A page of the stale-access findings, the most urgent first, and how many there are.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingsPage {
    /// The page's grants with their findings.
    pub grants: Vec<(Grant, Vec<FindingKind>)>,
    /// Grants with a finding, on every page.
    pub total: usize,
    /// Grants with each kind of finding (a grant may have several), most urgent kind first;
    /// kinds with none are left out.
    pub by_kind: Vec<(FindingKind, usize)>,
}

/// The findings `skip` grants in, at most `take` of them, ordered by their most urgent finding
/// ([`FindingKind::URGENCY`]), then as [`list_findings`] lists them. A large MSP has tens of
/// thousands of grants with a finding; only the page's are copied.
pub async fn findings_page(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    skip: usize,
    take: usize,
) -> Result<FindingsPage> {
    let (grants, policy) = findings_inputs(db, actor, now).await?;
    let mut counts = [0usize; FindingKind::URGENCY.len()];
    // (urgency of the grant's most urgent finding, its position) of every grant with one.
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (position, grant) in grants.iter().enumerate() {
        let kinds = model::findings(grant, &policy, now);
        for kind in &kinds {
            counts[kind.urgency()] += 1;
        }
        if let Some(most) = kinds.iter().map(|k| k.urgency()).min() {
            found.push((most, position));
        }
    }
    found.sort_unstable();
    let page = found
        .iter()
        .skip(skip)
        .take(take)
        .map(|&(_, position)| {
            let grant = grants[position].clone();
            let kinds = model::findings(&grant, &policy, now);
            (grant, kinds)
        })
        .collect();
    let by_kind = FindingKind::URGENCY.iter().zip(counts).filter(|(_, n)| *n > 0).map(|(k, n)| (*k, n)).collect();
    Ok(FindingsPage { grants: page, total: found.len(), by_kind })
}

/// How many grants [`list_findings`] would list (the portfolio's figure), without copying them.
pub async fn count_findings(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<i64> {
    let (grants, policy) = findings_inputs(db, actor, now).await?;
    Ok(grants.iter().filter(|g| !model::findings(g, &policy, now).is_empty()).count() as i64)
}

/// The grants in the actor's view (shared while in use) and the policy their findings are judged by.
pub(crate) async fn findings_inputs(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(std::sync::Arc<Vec<Grant>>, SlaPolicy)> {
    actor.require(Permission::ViewPortfolio)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let grants = active_grants_shared(db, now, assigned_to, only_client).await?;
    Ok((grants, store::load_sla_policy(db).await?))
}

/// Every grant not revoked of the clients in scope (narrowed as the client list): the findings,
/// the governance debt and the ranking all read the whole portfolio's grants (30,000 on the
/// large set), and share one read while they are computed at the same moment (see
/// [`crate::memo`]). The list is not kept beyond that: the results made of it are, and holding
/// it as well cost 20 MB for as long as nothing changed.
pub(crate) async fn active_grants_shared(
    db: &Db,
    now: DateTime<Utc>,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
) -> Result<std::sync::Arc<Vec<Grant>>> {
    static KEPT: crate::memo::Memo<Vec<Grant>> = crate::memo::Memo::while_in_use();
    let key = crate::memo::Key::of(db, now, assigned_to, only_client).await?;
    KEPT.get_or_compute(key, || store::list_grants(db, GrantQuery { assigned_to, only_client, ..Default::default() }))
        .await
}
