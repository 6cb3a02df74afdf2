//! A technician's lifecycle: the onboarding checklist, offboarding with its revocation clock and
//! second-person attestation, role changes (movers), and the service-level settings.
//!
//! Invariants:
//! - Starting an offboarding sets T0, creates OFF-01…OFF-12 and puts a deadline on every active
//!   grant, in one transaction.
//! - A grant is revoked only with a verification method and evidence; the removal time is what
//!   time to revoke measures.
//! - OFF-12 (attestation) is done by someone who revoked none of the leaver's grants, after every
//!   grant is revoked and every other step is done.
//! - A role change asks for every active grant to be kept or revoked; MOV-01 closes itself when
//!   the last one is.

use super::checklist::{self, Gate, Phase, Sla, SlaPolicy, SlaSetting, SlaUnit, Step, REVIEW, REVOKE};
use super::model::{Grant, Technician, TechnicianState};
use super::store::{self, GrantQuery};
use crate::audit::{Diff, Record};
use crate::authz::{Actor, Permission};
use crate::clients;
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

pub use vocabulary::REVOCATION_METHODS;

pub fn revocation_method_label(method: &str) -> &'static str {
    vocabulary::label_of(REVOCATION_METHODS, method).unwrap_or("Not recorded")
}

/// Reads a date and time as the browser's datetime-local field sends it ("2026-11-26T14:30"),
/// taken as UTC; empty means `now`.
fn parse_instant(field: &str, s: &str, now: DateTime<Utc>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(now);
    }
    let parsed = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"));
    match parsed {
        Ok(t) => Some(t.and_utc()),
        Err(_) => {
            errors.push(FieldError::new(field, "Enter a date and time like 2026-11-26T14:30 (UTC)."));
            None
        }
    }
}

fn clean_text(s: &str) -> String {
    s.trim().replace('\0', "")
}

/// The policy in force; every deadline is computed from it.
pub async fn sla_policy(db: &Db) -> Result<SlaPolicy> {
    store::load_sla_policy(db).await
}

/// A technician's checklists and, once offboarding started, how the revocation clock stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    pub steps: Vec<Step>,
    pub offboarding: Option<OffboardingSummary>,
}

/// Time to revoke and breaches, for one offboarding.
#[derive(Debug, Clone, PartialEq)]
pub struct OffboardingSummary {
    pub t0: DateTime<Utc>,
    pub involuntary: bool,
    /// Revocation tasks: the leaver's grants (those the actor may see).
    pub tasks: usize,
    pub revoked: usize,
    /// Revoked after their deadline, or still open past it.
    pub breaches: usize,
    /// From T0 to the last revocation, once every grant is revoked.
    pub time_to_revoke_all: Option<Duration>,
    /// Steps done, and done within their SLA.
    pub steps: usize,
    pub steps_done: usize,
    pub steps_done_in_time: usize,
    pub attested: bool,
}

/// The offboarding figures of a leaver at `now`.
pub fn summarize_offboarding(
    technician: &Technician,
    steps: &[Step],
    grants: &[Grant],
    policy: &SlaPolicy,
    now: DateTime<Utc>,
) -> Option<OffboardingSummary> {
    let t0 = technician.departed_at?;
    // The grants the offboarding must remove: those held at T0 or granted since.
    let tasks: Vec<&Grant> =
        grants.iter().filter(|g| g.revoked_at.is_none_or(|at| g.revoke_due_at.is_some() || at >= t0)).collect();
    let revoked = tasks.iter().filter(|g| g.revoked_at.is_some()).count();
    let breaches = tasks
        .iter()
        .filter(|g| match (g.revoked_at, g.revocation_deadline(policy)) {
            (Some(at), Some(due)) => at > due,
            (None, Some(due)) => now > due,
            _ => false,
        })
        .count();
    let time_to_revoke_all = if revoked == tasks.len() {
        Some(tasks.iter().filter_map(|g| g.time_to_revoke()).max().unwrap_or_else(Duration::zero))
    } else {
        None
    };
    let off: Vec<&Step> =
        steps.iter().filter(|s| s.template().is_some_and(|t| t.phase == Phase::Offboarding)).collect();
    Some(OffboardingSummary {
        t0,
        involuntary: technician.involuntary,
        tasks: tasks.len(),
        revoked,
        breaches,
        time_to_revoke_all,
        steps: off.len(),
        steps_done: off.iter().filter(|s| s.done_at.is_some()).count(),
        steps_done_in_time: off.iter().filter(|s| s.done_at.is_some() && !s.is_late(now)).count(),
        attested: off.iter().any(|s| s.code == "OFF-12" && s.done_at.is_some()),
    })
}

pub async fn get_lifecycle(db: &Db, actor: &Actor, technician_id: i64, now: DateTime<Utc>) -> Result<Lifecycle> {
    actor.require(Permission::ViewTechnicians)?;
    let technician = store::find_technician(db, technician_id).await?.ok_or(DomainError::NotFound)?;
    let steps = store::list_steps(db, Some(technician_id), false).await?;
    let offboarding = if technician.departed_at.is_some() {
        let (assigned_to, only_client) = clients::visibility(actor).binds();
        let grants = store::list_grants(
            db,
            GrantQuery {
                technician_id: Some(technician_id),
                include_revoked: true,
                assigned_to,
                only_client,
                ..Default::default()
            },
        )
        .await?;
        let policy = store::load_sla_policy(db).await?;
        summarize_offboarding(&technician, &steps, &grants, &policy, now)
    } else {
        None
    };
    Ok(Lifecycle { steps, offboarding })
}

#[derive(Debug, Clone, Default)]
pub struct OffboardingInput {
    /// T0 as the datetime-local field sends it (UTC); empty for now.
    pub t0: String,
    pub involuntary: bool,
}

/// Starts offboarding: T0, the OFF steps with their deadlines, and a revocation task (deadline)
/// on every active grant, all at once.
pub async fn start_offboarding(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    input: &OffboardingInput,
    now: DateTime<Utc>,
) -> Result<Technician> {
    actor.require(Permission::ManageTechnicians)?;
    let technician = store::find_technician(db, id).await?.ok_or(DomainError::NotFound)?;
    if !technician.state.can_become(TechnicianState::Offboarding) {
        return Err(DomainError::invalid(
            "state",
            format!("A technician who is {} cannot start offboarding.", technician.state.as_str()),
        ));
    }
    let mut errors = Vec::new();
    let t0 = parse_instant("t0", &input.t0, now, &mut errors);
    if let Some(t0) = t0 {
        if t0 < now - Duration::days(30) || t0 > now + Duration::days(90) {
            errors.push(FieldError::new("t0", "T0 must be within the last 30 days or the next 90."));
        }
    }
    let (true, Some(t0)) = (errors.is_empty(), t0) else { return Err(DomainError::Validation(errors)) };
    let policy = store::load_sla_policy(db).await?;
    let plan = checklist::plan(&policy, Phase::Offboarding, t0, input.involuntary);
    let grants = store::list_grants(db, GrantQuery { technician_id: Some(id), ..Default::default() }).await?;
    let revoke_due: Vec<(i64, DateTime<Utc>)> =
        grants.iter().map(|g| (g.id, policy.revoke_due(g.client_id, t0, input.involuntary))).collect();
    let offboarding = store::NewOffboarding {
        technician_id: id,
        version,
        t0,
        involuntary: input.involuntary,
        plan: &plan,
        revoke_due: &revoke_due,
        now,
    };
    let summary = format!(
        "{}: offboarding started, T0 {}, {} exit; {} steps; {} active grant(s) given revocation deadlines",
        technician.name,
        t0.format("%Y-%m-%d %H:%M UTC"),
        if input.involuntary { "involuntary" } else { "voluntary" },
        plan.len(),
        revoke_due.len()
    );
    let audit = Record::by(actor, "technician.offboarding_start", format!("technician:{id}")).summary(summary);
    if !store::start_offboarding(db, &offboarding, &audit).await? {
        return Err(DomainError::conflict(None, "Someone else changed this technician meanwhile. Reload the page."));
    }
    store::find_technician(db, id).await?.ok_or(DomainError::NotFound)
}

/// Records a role change: the new title, MOV-01, and a re-approval deadline on every grant.
pub async fn change_role(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    title: &str,
    now: DateTime<Utc>,
) -> Result<Technician> {
    actor.require(Permission::ManageTechnicians)?;
    let technician = store::find_technician(db, id).await?.ok_or(DomainError::NotFound)?;
    if technician.state.is_leaver() {
        return Err(DomainError::invalid("title", "A leaver's role does not change; finish the offboarding."));
    }
    let title = clients::model::clean_line(title);
    if title.is_empty() || title.chars().count() > 120 {
        return Err(DomainError::invalid("title", "Enter the new job title (at most 120 characters)."));
    }
    if title == technician.title {
        return Err(DomainError::invalid("title", "That is the current title; enter the new one."));
    }
    let policy = store::load_sla_policy(db).await?;
    let due = policy.msp("MOV-01", false).due(now);
    let summary = format!(
        "{}: {}; MOV-01 due {}; every active grant awaits re-approval",
        technician.name,
        Diff::new().field("title", &technician.title, &title).finish(),
        due.format("%Y-%m-%d %H:%M UTC")
    );
    let audit = Record::by(actor, "technician.role_change", format!("technician:{id}")).summary(summary);
    if !store::record_role_change(db, id, version, &title, due, now, &audit).await? {
        return Err(DomainError::conflict(None, "Someone else changed this technician meanwhile. Reload the page."));
    }
    store::find_technician(db, id).await?.ok_or(DomainError::NotFound)
}

/// Whether `actor` is `technician` (by user or email).
pub(crate) fn is_self(actor: &Actor, technician: &Technician) -> bool {
    technician.email.eq_ignore_ascii_case(&actor.email)
        || (technician.user_id.is_some() && technician.user_id == actor.user_id)
}

/// Why the actor may not give new access to the technician with `email` (`technician` when
/// Rampart knows them already), one message each: nobody grants their own access, and a
/// leaver gets none. The one statement of these rules, for a grant and for an import.
pub(crate) fn grant_refusals(actor: &Actor, email: &str, technician: Option<&Technician>) -> Vec<String> {
    let mut refusals = Vec::new();
    if email.eq_ignore_ascii_case(&actor.email) || technician.is_some_and(|t| is_self(actor, t)) {
        refusals.push("You cannot grant your own access: ask another manager.".to_owned());
    }
    if let Some(t) = technician.filter(|t| t.state.is_leaver()) {
        refusals.push(format!("{} is leaving or has left: no new access.", t.name));
    }
    refusals
}

/// Whether the actor removed this grant.
fn revoked_it(actor: &Actor, g: &Grant) -> bool {
    match (g.revoked_by_user, actor.user_id) {
        (Some(by), Some(me)) => by == me,
        _ => g.revoked_by.as_deref() == Some(actor.display_name.as_str()),
    }
}

/// Marks a checklist step done, with a note; the gates of ON-01, OFF-12 and MOV-01 apply.
pub async fn complete_step(
    db: &Db,
    actor: &Actor,
    technician_id: i64,
    step_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Step> {
    actor.require(Permission::ManageTechnicians)?;
    let technician = store::find_technician(db, technician_id).await?.ok_or(DomainError::NotFound)?;
    let step = store::find_step(db, step_id)
        .await?
        .filter(|s| s.technician_id == technician_id)
        .ok_or(DomainError::NotFound)?;
    let template = step.template().ok_or(DomainError::NotFound)?;
    let note = clean_text(note);
    if note.chars().count() > 1000 {
        return Err(DomainError::invalid("note", "Use at most 1000 characters."));
    }
    if step.done_at.is_some() {
        return Err(DomainError::conflict(None, format!("{} is already done.", step.code)));
    }
    if is_self(actor, &technician) {
        return Err(DomainError::invalid("note", "Someone else completes your own checklist."));
    }
    match template.gate {
        Gate::SecondPersonAttests => {
            if note.chars().count() < 10 {
                return Err(DomainError::invalid("note", "Say which reports you checked (at least 10 characters)."));
            }
            let grants = store::list_grants(
                db,
                GrantQuery { technician_id: Some(technician_id), include_revoked: true, ..Default::default() },
            )
            .await?;
            let active = grants.iter().filter(|g| g.revoked_at.is_none()).count();
            if active > 0 {
                return Err(DomainError::invalid(
                    "note",
                    format!("{active} grant(s) are still active: revoke and verify them before attesting."),
                ));
            }
            if grants.iter().any(|g| revoked_it(actor, g)) {
                return Err(DomainError::invalid(
                    "note",
                    "You revoked some of this access; a second person who did not revoke it attests.",
                ));
            }
            let steps = store::list_steps(db, Some(technician_id), true).await?;
            let open: Vec<&str> = steps
                .iter()
                .filter(|s| s.id != step.id && s.template().is_some_and(|t| t.phase == Phase::Offboarding))
                .map(|s| s.code.as_str())
                .collect();
            if !open.is_empty() {
                return Err(DomainError::invalid("note", format!("Finish {} before attesting.", open.join(", "))));
            }
        }
        Gate::AllGrantsReapproved => {
            let pending =
                store::list_grants(db, GrantQuery { technician_id: Some(technician_id), ..Default::default() })
                    .await?
                    .into_iter()
                    .filter(|g| g.reapproval_due_at.is_some())
                    .count();
            if pending > 0 {
                return Err(DomainError::invalid(
                    "note",
                    format!("{pending} grant(s) still wait for re-approval: keep or revoke each."),
                ));
            }
        }
        Gate::None | Gate::BeforeAnyAccess | Gate::BeforeAdminAccess => {}
    }
    let audit = Record::by(actor, "technician.step_complete", format!("step:{}", step.id)).summary(format!(
        "{} of {} done{}",
        step.code,
        technician.name,
        if note.is_empty() { String::new() } else { format!(": {note}") }
    ));
    if !store::complete_step(db, step.id, &actor.display_name, actor.user_id, &note, now, &audit).await? {
        return Err(DomainError::conflict(None, format!("{} is already done.", step.code)));
    }
    store::find_step(db, step.id).await?.ok_or(DomainError::NotFound)
}

/// After a grant was kept or revoked: closes an open MOV-01 once no grant waits for re-approval.
pub(crate) async fn close_mover_step_if_done(
    db: &Db,
    actor: &Actor,
    technician_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let open = store::list_steps(db, Some(technician_id), true).await?;
    let Some(step) = open.iter().find(|s| s.code == "MOV-01") else { return Ok(()) };
    let pending = store::list_grants(db, GrantQuery { technician_id: Some(technician_id), ..Default::default() })
        .await?
        .iter()
        .any(|g| g.reapproval_due_at.is_some());
    if !pending {
        let audit = Record::by(actor, "technician.step_complete", format!("step:{}", step.id))
            .summary(format!("{} closed itself: every grant kept or revoked", step.code));
        let note = "Every grant kept or revoked.";
        store::complete_step(db, step.id, &actor.display_name, actor.user_id, note, now, &audit).await?;
    }
    Ok(())
}

/// What the checklist gates say about a new grant; `Some(message)` refuses it.
pub(crate) async fn grant_gate(db: &Db, technician_id: i64, admin: bool) -> Result<Option<&'static str>> {
    let open = store::list_steps(db, Some(technician_id), true).await?;
    for step in &open {
        match step.template().map(|t| t.gate) {
            Some(Gate::BeforeAnyAccess) => {
                return Ok(Some("Screening and agreements (ON-01) come before any access: complete that step first."))
            }
            Some(Gate::BeforeAdminAccess) if admin => {
                return Ok(Some(
                    "No admin access before phishing-resistant MFA is enrolled (ON-03): complete that step first.",
                ))
            }
            _ => {}
        }
    }
    Ok(None)
}

#[derive(Debug, Clone, Default)]
pub struct RevocationInput {
    /// When the access was removed, as datetime-local (UTC); empty for now.
    pub removed_at: String,
    pub method: String,
    pub evidence: String,
}

/// Checks a revocation's fields for a grant; the removal cannot precede the grant or the future.
pub(crate) fn check_revocation(
    input: &RevocationInput,
    grant: &Grant,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, String, String)> {
    let mut errors = Vec::new();
    let removed_at = parse_instant("removed_at", &input.removed_at, now, &mut errors);
    if let Some(at) = removed_at {
        if at > now + Duration::minutes(5) {
            errors.push(FieldError::new("removed_at", "The removal cannot be in the future."));
        } else if at < grant.granted_at {
            errors.push(FieldError::new("removed_at", "The removal cannot come before the grant."));
        }
    }
    if vocabulary::label_of(REVOCATION_METHODS, &input.method).is_none() {
        errors.push(FieldError::new("method", "Choose how you verified the removal."));
    }
    let evidence = clean_text(&input.evidence);
    if evidence.chars().count() < 5 || evidence.chars().count() > 1000 {
        errors.push(FieldError::new(
            "evidence",
            "Record the evidence (a ticket, report or screenshot reference), in 5 to 1000 characters.",
        ));
    }
    match (errors.is_empty(), removed_at) {
        (true, Some(at)) => Ok((at.min(now), input.method.clone(), evidence)),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// One service level as the settings page shows and edits it.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaRow {
    pub code: &'static str,
    pub title: &'static str,
    /// What checklists.md proposes, in words.
    pub proposed: &'static str,
    pub sla: Sla,
    pub involuntary: Option<Sla>,
    /// Whether this level has an involuntary variant.
    pub has_involuntary: bool,
}

/// Every MSP-wide service level in force: revocation, review, and each checklist step.
pub async fn list_sla_settings(db: &Db, actor: &Actor) -> Result<Vec<SlaRow>> {
    actor.require(Permission::ViewTechnicians)?;
    let policy = store::load_sla_policy(db).await?;
    let mut rows = vec![
        SlaRow {
            code: REVOKE,
            title: "Revoke and verify a leaver's access to each client",
            proposed: "≤ 24 h (OFF-04, OFF-05); involuntary 4 h",
            sla: policy.msp(REVOKE, false),
            involuntary: Some(policy.msp(REVOKE, true)),
            has_involuntary: true,
        },
        SlaRow {
            code: REVIEW,
            title: "Review every grant (access recertification)",
            proposed: "Every 90 days (quarterly)",
            sla: policy.msp(REVIEW, false),
            involuntary: None,
            has_involuntary: false,
        },
    ];
    rows.extend(checklist::STEPS.iter().map(|t| SlaRow {
        code: t.code,
        title: t.title,
        proposed: t.sla_text,
        sla: policy.msp(t.code, false),
        involuntary: t.involuntary_sla.map(|_| policy.msp(t.code, true)),
        has_involuntary: t.involuntary_sla.is_some(),
    }));
    Ok(rows)
}

#[derive(Debug, Clone, Default)]
pub struct SlaInput {
    pub amount: String,
    pub unit: String,
    /// Empty when the level has no involuntary variant (or to keep it as the voluntary one).
    pub involuntary_amount: String,
    pub involuntary_unit: String,
}

fn parse_sla(amount_field: &str, amount: &str, unit: &str, errors: &mut Vec<FieldError>) -> Option<Sla> {
    let amount = amount.trim().parse::<i64>().ok();
    let unit = SlaUnit::parse(unit.trim());
    match (amount, unit) {
        (Some(amount), Some(unit)) if (Sla { amount, unit }).is_within_limits() => Some(Sla { amount, unit }),
        _ => {
            errors.push(FieldError::new(
                amount_field,
                format!(
                    "Enter a whole number of hours, days or business days, up to {} days.",
                    checklist::MAX_SLA_DAYS
                ),
            ));
            None
        }
    }
}

fn parse_sla_input(input: &SlaInput, has_involuntary: bool) -> Result<(Sla, Option<Sla>)> {
    let mut errors = Vec::new();
    let sla = parse_sla("amount", &input.amount, &input.unit, &mut errors);
    let involuntary = if has_involuntary && !input.involuntary_amount.trim().is_empty() {
        parse_sla("involuntary_amount", &input.involuntary_amount, &input.involuntary_unit, &mut errors)
    } else {
        None
    };
    if let (Some(sla), Some(inv)) = (sla, involuntary) {
        if !inv.at_least_as_strict_as(sla) {
            errors.push(FieldError::new("involuntary_amount", "An involuntary exit cannot have a longer deadline."));
        }
    }
    match (errors.is_empty(), sla) {
        (true, Some(sla)) => Ok((sla, involuntary)),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// Changes one MSP-wide service level. Deadlines already set keep their time; new ones use this.
pub async fn save_msp_sla(db: &Db, actor: &Actor, code: &str, input: &SlaInput, now: DateTime<Utc>) -> Result<()> {
    actor.require(Permission::ManageSettings)?;
    let default_involuntary = match code {
        REVOKE => Some(checklist::DEFAULT_REVOKE_INVOLUNTARY),
        REVIEW => None,
        _ => checklist::template(code).ok_or(DomainError::NotFound)?.involuntary_sla,
    };
    let (sla, involuntary) = parse_sla_input(input, default_involuntary.is_some())?;
    // Left empty, the involuntary level keeps its default, unless the new level is stricter.
    let involuntary =
        involuntary.or_else(|| default_involuntary.map(|d| if d.at_least_as_strict_as(sla) { d } else { sla }));
    if code == REVIEW && sla.amount == 0 {
        return Err(DomainError::invalid("amount", "A review period of zero would flag every grant at once."));
    }
    let policy = store::load_sla_policy(db).await?;
    let mut diff = Diff::new().field("level", &policy.msp(code, false).describe(), &sla.describe());
    if let Some(inv) = involuntary {
        diff = diff.field("involuntary", &policy.msp(code, true).describe(), &inv.describe());
    }
    let audit = Record::by(actor, "sla.update", format!("sla:{code}")).summary(diff.finish());
    let setting = SlaSetting { client_id: None, code: code.to_string(), sla, involuntary };
    store::save_sla(db, &setting, &actor.display_name, now, &audit).await
}

/// A client's contract levels: revocation (voluntary, involuntary) and review, where set.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSla {
    pub revoke: Sla,
    pub revoke_involuntary: Sla,
    pub review: Sla,
    /// Whether the client's contract sets them (rather than the MSP's defaults).
    pub revoke_is_contract: bool,
    pub review_is_contract: bool,
}

pub async fn get_client_sla(db: &Db, actor: &Actor, slug: &str) -> Result<ClientSla> {
    let client = clients::get_client(db, actor, slug).await?;
    get_client_sla_of(actor, &client, &store::load_sla_policy(db).await?)
}

/// [`get_client_sla`] of a client already read for this actor by [`clients::get_client`], under
/// the service levels [`sla_policy`] read (a page that also lists the client's grants reads
/// them once).
pub fn get_client_sla_of(actor: &Actor, client: &clients::Client, policy: &SlaPolicy) -> Result<ClientSla> {
    actor.require_on_client(Permission::ViewAccess, client.id)?;
    let own = |code: &str| policy.settings.iter().any(|s| s.client_id == Some(client.id) && s.code == code);
    Ok(ClientSla {
        revoke: policy.for_client(client.id, REVOKE, false),
        revoke_involuntary: policy.for_client(client.id, REVOKE, true),
        review: policy.for_client(client.id, REVIEW, false),
        revoke_is_contract: own(REVOKE),
        review_is_contract: own(REVIEW),
    })
}

/// Sets (or with empty amounts clears) a client's contract level for REVOKE or REVIEW; it may
/// only tighten the MSP's default.
pub async fn save_client_sla(
    db: &Db,
    actor: &Actor,
    slug: &str,
    code: &str,
    input: &SlaInput,
    now: DateTime<Utc>,
) -> Result<()> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ManageAccess, client.id)?;
    if code != REVOKE && code != REVIEW {
        return Err(DomainError::invalid("code", "A client's contract sets revocation and review deadlines only."));
    }
    if input.amount.trim().is_empty() {
        let audit = Record::by(actor, "sla.client_clear", format!("sla:{code}@{}", client.slug))
            .client(client.id)
            .summary("the contract's level removed: the MSP's default applies");
        return store::clear_sla(db, client.id, code, &audit).await;
    }
    let (sla, involuntary) = parse_sla_input(input, code == REVOKE)?;
    let policy = store::load_sla_policy(db).await?;
    let msp = policy.msp(code, false);
    if !sla.at_least_as_strict_as(msp) {
        return Err(DomainError::invalid(
            "amount",
            format!("A contract can only tighten the MSP's default of {}.", msp.describe()),
        ));
    }
    if let Some(inv) = involuntary {
        let msp_inv = policy.msp(code, true);
        if !inv.at_least_as_strict_as(msp_inv) {
            return Err(DomainError::invalid(
                "involuntary_amount",
                format!("A contract can only tighten the MSP's default of {}.", msp_inv.describe()),
            ));
        }
    }
    if code == REVIEW && sla.amount == 0 {
        return Err(DomainError::invalid("amount", "A review period of zero would flag every grant at once."));
    }
    let mut diff = Diff::new().field("level", &policy.for_client(client.id, code, false).describe(), &sla.describe());
    if let Some(inv) = involuntary {
        diff = diff.field("involuntary", &policy.for_client(client.id, code, true).describe(), &inv.describe());
    }
    let audit = Record::by(actor, "sla.client_update", format!("sla:{code}@{}", client.slug))
        .client(client.id)
        .summary(diff.finish());
    let setting = SlaSetting { client_id: Some(client.id), code: code.to_string(), sla, involuntary };
    store::save_sla(db, &setting, &actor.display_name, now, &audit).await
}

/// A technician with checklist steps past their deadline.
#[derive(Debug, Clone, PartialEq)]
pub struct LateChecklist {
    pub technician: Technician,
    pub overdue: Vec<Step>,
}

/// Technicians whose onboarding, offboarding or mover steps are open past their SLA, most
/// overdue first. Steps of an onboarding no longer matter once offboarding started.
pub async fn list_late_checklists(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<LateChecklist>> {
    actor.require(Permission::ViewTechnicians)?;
    let open = store::list_steps(db, None, true).await?;
    let technicians = store::list_technicians(db).await?;
    let mut late: Vec<LateChecklist> = technicians
        .into_iter()
        .filter_map(|technician| {
            let overdue: Vec<Step> = open
                .iter()
                .filter(|s| s.technician_id == technician.id && s.is_overdue(now))
                .filter(|s| {
                    let phase = s.template().map(|t| t.phase);
                    !(technician.state.is_leaver() && phase == Some(Phase::Onboarding))
                })
                .cloned()
                .collect();
            (!overdue.is_empty()).then_some(LateChecklist { technician, overdue })
        })
        .collect();
    late.sort_by_key(|l| l.overdue.iter().map(|s| s.due_at).min());
    Ok(late)
}
