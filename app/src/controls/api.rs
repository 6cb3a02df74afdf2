//! Control server functions: thin. Each gets the actor, calls one service, maps the result.

// One argument per form field, so that the forms post to these functions without JavaScript.
#![allow(clippy::too_many_arguments)]

use super::types::{CatalogView, ChecklistView, ControlDetailView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod convert {
    use super::super::types::*;
    use crate::time::When;
    use domain::controls::{Category, ChecklistItem, Control, Freshness};

    pub fn category(c: Category) -> CategoryView {
        CategoryView { id: c.id, name: c.name, description: c.description }
    }

    pub fn control(c: Control) -> ControlView {
        ControlView {
            retired: c.retired_at.is_some(),
            id: c.id,
            category_id: c.category_id,
            title: c.title,
            description: c.description,
            severity: c.severity,
            review: c.review.label().into(),
            applies_to: c.applies_to.label().into(),
            tiers: c.tiers.iter().map(|t| t.as_str().to_string()).collect(),
            references: c
                .references
                .into_iter()
                .map(|r| ReferenceView { source: r.source, item: r.item, verified: r.verified })
                .collect(),
            built_in: c.built_in,
        }
    }

    pub fn item(i: &ChecklistItem) -> ItemView {
        let (due, stale) = match i.freshness {
            Freshness::Unverified | Freshness::Current { due: None } => (None, false),
            Freshness::Current { due: Some(due) } => (Some(When::of(due)), false),
            Freshness::Stale { due } => (Some(When::of(due)), true),
        };
        ItemView {
            control_id: i.control.id.clone(),
            category_id: i.control.category_id.clone(),
            title: i.control.title.clone(),
            severity: i.control.severity,
            review: i.control.review.label().into(),
            status: i.status.as_str().into(),
            owner: i.owner.clone(),
            evidence_note: i.evidence_note.clone(),
            evidence_links: i.evidence_links.clone(),
            justification: i.justification.clone(),
            last_verified: i.last_verified_at.map(When::of),
            last_verified_by: i.last_verified_by.clone(),
            due,
            stale,
            version: i.version,
            in_baseline: i.in_baseline,
        }
    }
}

#[server(prefix = "/api", endpoint = "catalog/list")]
pub async fn list_catalog(include_retired: bool) -> Result<CatalogView, AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let (categories, controls) = domain::controls::list_catalog(&state.db, &actor, include_retired).await?;
    Ok(CatalogView {
        categories: categories.into_iter().map(convert::category).collect(),
        controls: controls.into_iter().map(convert::control).collect(),
    })
}

#[server(prefix = "/api", endpoint = "controls/checklist")]
pub async fn get_checklist(slug: String) -> Result<ChecklistView, AppError> {
    use domain::Permission;
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let checklist = domain::controls::get_checklist(&state.db, &actor, &slug, chrono::Utc::now()).await?;
    Ok(ChecklistView {
        can_edit: actor.can_on_client(Permission::EditControls, checklist.client.id)
            && checklist.client.archived_at.is_none(),
        client_slug: checklist.client.slug,
        client_name: checklist.client.name,
        client_tier: checklist.client.impact_tier.as_str().into(),
        categories: checklist.categories.into_iter().map(convert::category).collect(),
        items: checklist.items.iter().map(convert::item).collect(),
    })
}

#[server(prefix = "/api", endpoint = "controls/get")]
pub async fn get_client_control(slug: String, control_id: String) -> Result<ControlDetailView, AppError> {
    use super::types::HistoryView;
    use crate::time::When;
    use domain::Permission;
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let (client, item, history) =
        domain::controls::get_client_control(&state.db, &actor, &slug, &control_id, chrono::Utc::now()).await?;
    Ok(ControlDetailView {
        can_edit: actor.can_on_client(Permission::EditControls, client.id) && client.archived_at.is_none(),
        client_slug: client.slug,
        client_name: client.name,
        item: convert::item(&item),
        control: convert::control(item.control),
        history: history
            .into_iter()
            .map(|h| HistoryView {
                when: When::of(h.changed_at),
                by: h.changed_by,
                from: h.from.as_str().into(),
                to: h.to.as_str().into(),
                note: h.note,
            })
            .collect(),
    })
}

#[server(prefix = "/api", endpoint = "controls/update")]
pub async fn update_client_control(
    slug: String,
    control_id: String,
    version: i64,
    status: String,
    owner: String,
    evidence_note: String,
    evidence_links: String,
    justification: String,
    verified_now: Option<String>,
    note: String,
) -> Result<(), AppError> {
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let update = domain::controls::ControlUpdate {
        version,
        status,
        owner,
        evidence_note,
        evidence_links,
        justification,
        verified_now: verified_now.is_some(),
        note,
    };
    domain::controls::update_client_control(&state.db, &actor, &slug, &control_id, &update, chrono::Utc::now()).await?;
    Ok(())
}
