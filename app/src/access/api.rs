//! Access-register server functions: thin. Each gets the actor, calls one service, maps the result.

// One argument per form field, so that the forms post to these functions without JavaScript.
#![allow(clippy::too_many_arguments)]

use super::types::{GrantView, TechnicianDetail, TechnicianList};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use super::super::types::{GrantView, TechnicianView};
    use crate::time::When;
    use domain::access::{model, Grant, GrantState, Technician};
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
            version: t.version,
        }
    }

    pub fn grant(actor: &Actor, g: Grant, now: chrono::DateTime<chrono::Utc>) -> GrantView {
        let findings = model::findings(&g, now).into_iter().map(|f| f.describe().to_string()).collect();
        let state = match g.state(now) {
            GrantState::Active => "active",
            GrantState::Revoked => "revoked",
            GrantState::Expired => "expired",
        };
        let time_to_revoke = g.time_to_revoke();
        let revoked_late =
            time_to_revoke.is_some_and(|d| d > chrono::Duration::hours(model::REVOCATION_DEADLINE_HOURS));
        let time_to_revoke = time_to_revoke.map(|d| {
            let minutes = d.num_minutes().max(0);
            if minutes >= 48 * 60 {
                format!("{} days", minutes / (24 * 60))
            } else {
                format!("{} h {} min", minutes / 60, minutes % 60)
            }
        });
        GrantView {
            time_to_revoke,
            revoked_late,
            can_manage: actor.can_on_client(Permission::ManageAccess, g.client_id) && g.revoked_at.is_none(),
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
}

#[server(prefix = "/api", endpoint = "access/technicians")]
pub async fn list_technicians() -> Result<TechnicianList, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let technicians = domain::access::list_technicians(&state.db, &actor).await?;
    Ok(TechnicianList {
        technicians: technicians.into_iter().map(convert::technician).collect(),
        can_manage: actor.can(domain::Permission::ManageTechnicians),
    })
}

#[server(prefix = "/api", endpoint = "access/technician")]
pub async fn get_technician(id: i64) -> Result<TechnicianDetail, AppError> {
    use domain::clients::{self, ClientFilter};
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let now = chrono::Utc::now();
    let (technician, grants) = domain::access::get_technician(&state.db, &actor, id).await?;
    let can_manage = actor.can(domain::Permission::ManageTechnicians);
    let clients = if can_manage {
        let filter = ClientFilter { per_page: clients::MAX_PAGE_SIZE, ..Default::default() };
        clients::list_clients(&state.db, &actor, filter).await?.items.into_iter().map(|c| (c.slug, c.name)).collect()
    } else {
        Vec::new()
    };
    Ok(TechnicianDetail {
        technician: convert::technician(technician),
        grants: grants.into_iter().map(|g| convert::grant(&actor, g, now)).collect(),
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
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let new = domain::access::NewTechnician { name, email, title, started_on };
    let technician = domain::access::create_technician(&state.db, &actor, &new, chrono::Utc::now()).await?;
    leptos_axum::redirect(&format!("/technicians/{}", technician.id));
    Ok(technician.id)
}

#[server(prefix = "/api", endpoint = "access/technician_state")]
pub async fn change_technician_state(id: i64, version: i64, state: String) -> Result<(), AppError> {
    let app = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    domain::access::change_technician_state(&app.db, &actor, id, version, &state, chrono::Utc::now()).await?;
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
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
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
    domain::access::grant_access(&state.db, &actor, &new, chrono::Utc::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/revoke")]
pub async fn revoke_grant(id: i64, note: String) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    domain::access::revoke_grant(&state.db, &actor, id, &note, chrono::Utc::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "access/review")]
pub async fn review_grant(id: i64) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    domain::access::review_grant(&state.db, &actor, id, chrono::Utc::now()).await?;
    Ok(())
}

/// Who at the MSP can reach this client.
#[server(prefix = "/api", endpoint = "access/client")]
pub async fn list_client_access(slug: String) -> Result<Vec<GrantView>, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let now = chrono::Utc::now();
    let grants = domain::access::list_client_access(&state.db, &actor, &slug, now).await?;
    Ok(grants.into_iter().map(|g| convert::grant(&actor, g, now)).collect())
}

/// Stale-access findings across the clients the signed-in user may see.
#[server(prefix = "/api", endpoint = "access/findings")]
pub async fn list_findings() -> Result<Vec<GrantView>, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let now = chrono::Utc::now();
    let found = domain::access::list_findings(&state.db, &actor, now).await?;
    Ok(found.into_iter().map(|(g, _)| convert::grant(&actor, g, now)).collect())
}
