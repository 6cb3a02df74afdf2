//! Access-register server functions: thin. Each gets the actor, calls one service, maps the result.

// One argument per form field, so that the forms post to these functions without JavaScript.
#![allow(clippy::too_many_arguments)]

use super::types::{ClientSlaView, FindingsView, GrantView, SlaSettingsView, TechnicianDetail, TechnicianList};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use super::super::types::{GrantView, LateChecklistView, OffboardingView, StepView, TechnicianView};
    use crate::time::When;
    use domain::access::checklist::Gate;
    use domain::access::{
        lifecycle, model, Grant, GrantState, LateChecklist, OffboardingSummary, SlaPolicy, Step, Technician,
    };
    use domain::{Actor, Permission};

    pub fn technician(t: Technician) -> TechnicianView {
        TechnicianView {
            id: t.id,
            name: t.name,
            email: t.email,
            title: t.title,
            state: t.state.as_str().into(),
            started: When::of(t.started_at),
            departed: t.departed_at.map(When::of),
            involuntary: t.involuntary,
            role_changed: t.role_changed_at.map(When::of),
            version: t.version,
        }
    }

    /// "3 h 20 min", or "4 days" beyond two days.
    pub fn duration(d: chrono::Duration) -> String {
        let minutes = d.num_minutes().max(0);
        if minutes >= 48 * 60 {
            format!("{} days", minutes / (24 * 60))
        } else {
            format!("{} h {} min", minutes / 60, minutes % 60)
        }
    }

    pub fn grant(actor: &Actor, g: Grant, policy: &SlaPolicy, now: chrono::DateTime<chrono::Utc>) -> GrantView {
        let findings = model::findings(&g, policy, now).into_iter().map(|f| f.describe().to_string()).collect();
        let state = match g.state(now) {
            GrantState::Active => "active",
            GrantState::Revoked => "revoked",
            GrantState::Expired => "expired",
        };
        let revoke_due = g.revocation_deadline(policy);
        GrantView {
            time_to_revoke: g.time_to_revoke().map(duration),
            revoked_late: g.revoked_late(policy),
            revoke_overdue: g.revoked_at.is_none() && revoke_due.is_some_and(|due| now > due),
            revoke_due: revoke_due.map(When::of),
            reapproval_due: g.reapproval_due_at.map(When::of),
            revocation_method: g
                .revoked_at
                .map(|_| lifecycle::revocation_method_label(&g.revocation_method).to_string()),
            revocation_evidence: g.revocation_evidence.clone(),
            can_manage: g.may_manage(actor),
            technician_page: actor.may(Permission::ViewTechnicians),
            system: g.system_label(),
            id: g.id,
            technician_id: g.technician_id,
            technician_name: g.technician_name,
            technician_state: g.technician_state.as_str().into(),
            client_slug: g.client_slug,
            client_name: g.client_name,
            privilege: g.privilege.as_str().into(),
            approver: g.approver,
            justification: g.justification,
            granted: When::of(g.granted_at),
            expires: g.expires_at.map(When::of),
            mfa: g.mfa,
            last_reviewed: g.last_reviewed_at.map(When::of),
            last_reviewed_by: g.last_reviewed_by,
            revoked: g.revoked_at.map(When::of),
            revoked_by: g.revoked_by,
            state: state.into(),
            findings,
        }
    }

    pub fn step(s: Step, now: chrono::DateTime<chrono::Utc>) -> StepView {
        let template = s.template();
        let gate = template.and_then(|t| match t.gate {
            Gate::BeforeAnyAccess => Some("No access is granted before this step."),
            Gate::BeforeAdminAccess => Some("No admin access is granted before this step."),
            Gate::SecondPersonAttests => Some("A second person, who revoked none of the access, attests after every grant is revoked and every other step is done."),
            Gate::AllGrantsReapproved => Some("Closes itself once every grant is kept or revoked."),
            Gate::None => None,
        });
        StepView {
            overdue: s.is_overdue(now),
            done_late: s.done_at.is_some() && s.is_late(now),
            id: s.id,
            title: template.map(|t| t.title).unwrap_or("Unknown step").to_string(),
            sla_text: template.map(|t| t.sla_text).unwrap_or_default().to_string(),
            sources: template.map(|t| t.sources).unwrap_or_default().to_string(),
            gate: gate.map(str::to_string),
            code: s.code,
            due: When::of(s.due_at),
            done: s.done_at.map(When::of),
            done_by: s.done_by,
            note: s.note,
        }
    }

    pub fn offboarding(o: OffboardingSummary) -> OffboardingView {
        OffboardingView {
            t0: When::of(o.t0),
            involuntary: o.involuntary,
            tasks: o.tasks,
            revoked: o.revoked,
            breaches: o.breaches,
            time_to_revoke_all: o.time_to_revoke_all.map(duration),
            steps: o.steps,
            steps_done: o.steps_done,
            steps_done_in_time: o.steps_done_in_time,
            attested: o.attested,
        }
    }

    pub fn late(l: LateChecklist, now: chrono::DateTime<chrono::Utc>) -> LateChecklistView {
        LateChecklistView {
            technician_id: l.technician.id,
            technician_name: l.technician.name,
            technician_state: l.technician.state.as_str().into(),
            overdue: l.overdue.into_iter().map(|s| step(s, now)).collect(),
        }
    }
}

#[server(prefix = "/api", endpoint = "access/technicians")]
pub async fn list_technicians() -> Result<TechnicianList, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let technicians = domain::access::list_technicians(&state.db, &actor).await?;
    Ok(TechnicianList {
        technicians: technicians.into_iter().map(convert::technician).collect(),
        can_manage: actor.may(domain::Permission::ManageTechnicians),
    })
}

#[server(prefix = "/api", endpoint = "access/technician")]
pub async fn get_technician(id: i64) -> Result<TechnicianDetail, AppError> {
    use domain::clients::{self, ClientFilter};
    let (state, actor) = crate::auth::acting().await?;
    let now = domain::clock::now();
    let (technician, grants) = domain::access::get_technician(&state.db, &actor, id).await?;
    let lifecycle = domain::access::get_lifecycle(&state.db, &actor, id, now).await?;
    let policy = domain::access::lifecycle::sla_policy(&state.db).await?;
    let can_manage = actor.may(domain::Permission::ManageTechnicians);
    let clients = if can_manage {
        let filter = ClientFilter { per_page: clients::MAX_PAGE_SIZE, ..Default::default() };
        clients::list_clients(&state.db, &actor, filter).await?.items.into_iter().map(|c| (c.slug, c.name)).collect()
    } else {
        Vec::new()
    };
    let steps_of = |phase: domain::access::Phase| {
        lifecycle
            .steps
            .iter()
            .filter(|s| s.template().is_some_and(|t| t.phase == phase))
            .map(|s| convert::step(s.clone(), now))
            .collect::<Vec<_>>()
    };
    Ok(TechnicianDetail {
        onboarding: steps_of(domain::access::Phase::Onboarding),
        offboarding_steps: steps_of(domain::access::Phase::Offboarding),
        mover_steps: steps_of(domain::access::Phase::Mover),
        offboarding: lifecycle.offboarding.map(convert::offboarding),
        technician: convert::technician(technician),
        grants: grants.into_iter().map(|g| convert::grant(&actor, g, &policy, now)).collect(),
        can_manage,
        clients,
    })
}

#[server(prefix = "/api", endpoint = "access/create_technician")]
pub async fn create_technician(
    name: String,
    email: String,
    title: String,
    started_on: String,
) -> Result<i64, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let new = domain::access::NewTechnician { name, email, title, started_on };
    let technician = domain::access::create_technician(&state.db, &actor, &new, domain::clock::now()).await?;
    leptos_axum::redirect(&format!("/technicians/{}", technician.id));
    Ok(technician.id)
}

#[server(prefix = "/api", endpoint = "access/technician_state")]
pub async fn change_technician_state(id: i64, version: i64, state: String) -> Result<(), AppError> {
    let app = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    domain::access::change_technician_state(&app.db, &actor, id, version, &state, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/grant")]
pub async fn grant_access(
    technician_id: i64,
    client_slug: String,
    system: String,
    system_name: String,
    privilege: String,
    justification: String,
    expires_on: String,
    mfa: Option<String>,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let new = domain::access::NewGrant {
        technician_id,
        client_slug,
        system,
        system_name,
        privilege,
        justification,
        expires_on,
        mfa: mfa.is_some(),
    };
    domain::access::grant_access(&state.db, &actor, &new, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/revoke")]
pub async fn revoke_grant(id: i64, removed_at: String, method: String, evidence: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input = domain::access::RevocationInput { removed_at, method, evidence };
    domain::access::revoke_grant(&state.db, &actor, id, &input, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/start_offboarding")]
pub async fn start_offboarding(id: i64, version: i64, t0: String, involuntary: Option<String>) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input = domain::access::OffboardingInput { t0, involuntary: involuntary.is_some() };
    domain::access::start_offboarding(&state.db, &actor, id, version, &input, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/change_role")]
pub async fn change_role(id: i64, version: i64, title: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::access::change_role(&state.db, &actor, id, version, &title, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/complete_step")]
pub async fn complete_step(technician_id: i64, step_id: i64, note: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::access::complete_step(&state.db, &actor, technician_id, step_id, &note, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/review")]
pub async fn review_grant(id: i64) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::access::review_grant(&state.db, &actor, id, domain::clock::now()).await?;
    Ok(())
}

/// Who at the MSP can reach this client.
#[server(prefix = "/api", endpoint = "access/client")]
pub async fn list_client_access(slug: String) -> Result<Vec<GrantView>, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let now = domain::clock::now();
    let db = &state.db;
    let client = crate::clients::api::client_for_request(db, &actor, &slug).await?;
    let grants = domain::access::list_client_access_of(db, &actor, &client, now).await?;
    let policy = sla_policy_for_request(db, &actor).await?;
    Ok(grants.into_iter().map(|g| convert::grant(&actor, g, &policy, now)).collect())
}

/// The service levels one request read (see [`crate::state::RequestKept`]): a client's page
/// lists its grants, each with its deadlines, and shows the client's deadlines apart, two
/// server functions that read the levels once. Kept under the acting user.
#[cfg(feature = "ssr")]
pub type RequestSlaPolicy = crate::state::RequestKept<Option<i64>, domain::access::SlaPolicy>;

/// The service levels ([`domain::access::lifecycle::sla_policy`]), read at most once per request
/// and actor. Read-only server functions only.
#[cfg(feature = "ssr")]
async fn sla_policy_for_request(db: &domain::Db, actor: &domain::Actor) -> Result<domain::access::SlaPolicy, AppError> {
    let read = async { Ok::<_, AppError>(domain::access::lifecycle::sla_policy(db).await?) };
    crate::state::kept_for_request(actor.user_id, read).await
}

/// Stale-access findings across the clients the signed-in user may see, a page at a time (the
/// most urgent first; page 1 when none or one past the end is asked for), and technicians whose
/// checklists are past their deadlines.
#[server(prefix = "/api", endpoint = "access/findings")]
pub async fn list_findings(page: Option<u32>) -> Result<FindingsView, AppError> {
    use super::types::FINDINGS_PAGE_SIZE;
    let (state, actor) = crate::auth::acting().await?;
    let now = domain::clock::now();
    let wanted = page.unwrap_or(1).max(1);
    let skip = (wanted as usize - 1).saturating_mul(FINDINGS_PAGE_SIZE);
    let mut found = domain::access::findings_page(&state.db, &actor, now, skip, FINDINGS_PAGE_SIZE).await?;
    let pages = found.total.div_ceil(FINDINGS_PAGE_SIZE).max(1) as u32;
    let page = if wanted > pages {
        found = domain::access::findings_page(&state.db, &actor, now, 0, FINDINGS_PAGE_SIZE).await?;
        1
    } else {
        wanted
    };
    let late = if actor.may(domain::Permission::ViewTechnicians) {
        domain::access::list_late_checklists(&state.db, &actor, now).await?
    } else {
        Vec::new()
    };
    let policy = domain::access::lifecycle::sla_policy(&state.db).await?;
    Ok(FindingsView {
        grants: found.grants.into_iter().map(|(g, _)| convert::grant(&actor, g, &policy, now)).collect(),
        total: found.total,
        by_kind: found.by_kind.into_iter().map(|(kind, n)| (kind.describe().to_string(), n)).collect(),
        page,
        pages,
        late_checklists: late.into_iter().map(|l| convert::late(l, now)).collect(),
    })
}

/// The MSP's service levels.
#[server(prefix = "/api", endpoint = "access/sla")]
pub async fn list_sla_settings() -> Result<SlaSettingsView, AppError> {
    use super::types::SlaRowView;
    let (state, actor) = crate::auth::acting().await?;
    let rows = domain::access::list_sla_settings(&state.db, &actor).await?;
    Ok(SlaSettingsView {
        rows: rows
            .into_iter()
            .map(|r| SlaRowView {
                code: r.code.into(),
                title: r.title.into(),
                proposed: r.proposed.into(),
                amount: r.sla.amount,
                unit: r.sla.unit.as_str().into(),
                involuntary: r.involuntary.map(|i| (i.amount, i.unit.as_str().to_string())),
                has_involuntary: r.has_involuntary,
            })
            .collect(),
        can_edit: actor.may(domain::Permission::ManageSettings),
    })
}

/// A service level as its form sends it (the involuntary fields only where the level has them).
#[cfg(feature = "ssr")]
fn sla_input(
    amount: String,
    unit: String,
    involuntary_amount: Option<String>,
    involuntary_unit: Option<String>,
) -> domain::access::SlaInput {
    domain::access::SlaInput {
        amount,
        unit,
        involuntary_amount: involuntary_amount.unwrap_or_default(),
        involuntary_unit: involuntary_unit.unwrap_or_default(),
    }
}

#[server(prefix = "/api", endpoint = "access/save_sla")]
pub async fn save_sla(
    code: String,
    amount: String,
    unit: String,
    involuntary_amount: Option<String>,
    involuntary_unit: Option<String>,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input = sla_input(amount, unit, involuntary_amount, involuntary_unit);
    domain::access::save_msp_sla(&state.db, &actor, &code, &input, domain::clock::now()).await?;
    Ok(())
}

/// A client's revocation and review deadlines (its contract's, or the MSP's).
#[server(prefix = "/api", endpoint = "access/client_sla")]
pub async fn get_client_sla(slug: String) -> Result<ClientSlaView, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let db = &state.db;
    let client = crate::clients::api::client_for_request(db, &actor, &slug).await?;
    let sla = domain::access::get_client_sla_of(&actor, &client, &sla_policy_for_request(db, &actor).await?)?;
    Ok(ClientSlaView {
        revoke: sla.revoke.describe(),
        revoke_involuntary: sla.revoke_involuntary.describe(),
        review: sla.review.describe(),
        revoke_is_contract: sla.revoke_is_contract,
        review_is_contract: sla.review_is_contract,
        can_edit: actor.may_on_client(domain::Permission::ManageAccess, client.id),
    })
}

#[server(prefix = "/api", endpoint = "access/save_client_sla")]
pub async fn save_client_sla(
    slug: String,
    code: String,
    amount: String,
    unit: String,
    involuntary_amount: Option<String>,
    involuntary_unit: Option<String>,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input = sla_input(amount, unit, involuntary_amount, involuntary_unit);
    domain::access::save_client_sla(&state.db, &actor, &slug, &code, &input, domain::clock::now()).await?;
    Ok(())
}
