//! Control server functions: thin. Each gets the actor, calls one service, maps the result.

// One argument per form field, so that the forms post to these functions without JavaScript.
#![allow(clippy::too_many_arguments)]

use super::types::{CatalogView, ChecklistSummary, ChecklistView, ControlDetailView, CustomControlForm, OverdueList};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod convert {
    use super::super::types::*;
    use crate::time::When;
    use domain::controls::{Category, ChecklistItem, Control, ExceptionInfo, Freshness};

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

    pub fn exception(actor: &domain::Actor, client_id: i64, e: &ExceptionInfo) -> ExceptionView {
        use domain::controls::ExceptionState as S;
        ExceptionView {
            id: e.id,
            reason: e.reason.clone(),
            requested_by: e.requested_by.clone(),
            requested: When::of(e.requested_at),
            expires: When::of(e.expires_at),
            approved_by: e.approved_by.clone(),
            approved: e.approved_at.map(When::of),
            ended_by: e.ended_by.clone(),
            state: match e.state {
                S::Pending => "pending",
                S::Active => "active",
                S::Expired => "expired",
                S::Ended => "ended",
            }
            .into(),
            can_approve: e.may_approve(actor, client_id),
            can_end: e.may_end(actor, client_id),
        }
    }

    pub fn item(actor: &domain::Actor, client_id: i64, i: &ChecklistItem) -> ItemView {
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
            evidence_shared: i.evidence_shared,
            justification: i.justification.clone(),
            last_verified: i.last_verified_at.map(When::of),
            last_verified_by: i.last_verified_by.clone(),
            due,
            stale,
            version: i.version,
            in_baseline: i.in_baseline,
            exception: i.exception.as_ref().map(|e| exception(actor, client_id, e)),
        }
    }
}

#[server(prefix = "/api", endpoint = "catalog/list")]
pub async fn list_catalog(include_retired: bool) -> Result<CatalogView, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let (categories, controls) = domain::controls::list_catalog(&state.db, &actor, include_retired).await?;
    Ok(CatalogView {
        categories: categories.into_iter().map(convert::category).collect(),
        controls: controls.into_iter().map(convert::control).collect(),
        can_manage: actor.may(domain::Permission::ManageCatalog),
    })
}

#[server(prefix = "/api", endpoint = "controls/checklist")]
pub async fn get_checklist(slug: String) -> Result<ChecklistView, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let checklist = domain::controls::get_checklist(&state.db, &actor, &slug, domain::clock::now()).await?;
    Ok(ChecklistView {
        can_edit: domain::controls::may_edit_controls(&actor, &checklist.client),
        client_slug: checklist.client.slug,
        client_name: checklist.client.name,
        client_tier: checklist.client.impact_tier.as_str().into(),
        categories: checklist.categories.into_iter().map(convert::category).collect(),
        items: checklist.items.iter().map(|i| convert::item(&actor, checklist.client.id, i)).collect(),
    })
}

/// The numbers of a client's checklist (the client page shows these, not the items).
#[server(prefix = "/api", endpoint = "controls/summary")]
pub async fn get_checklist_summary(slug: String) -> Result<ChecklistSummary, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let db = &state.db;
    let client = crate::clients::api::client_for_request(db, &actor, &slug).await?;
    // The page shows the score too, kept between changes: its checklist counts are these.
    let kept = crate::score::api::client_score_for_request(db, &actor, &client).await?;
    Ok(ChecklistSummary::of_counts(&kept.0.checklist))
}

#[server(prefix = "/api", endpoint = "controls/get")]
pub async fn get_client_control(slug: String, control_id: String) -> Result<ControlDetailView, AppError> {
    use super::types::HistoryView;
    use crate::time::When;
    use domain::Permission;
    let (state, actor) = crate::auth::acting().await?;
    let (client, item, history) =
        domain::controls::get_client_control(&state.db, &actor, &slug, &control_id, domain::clock::now()).await?;
    Ok(ControlDetailView {
        can_edit: domain::controls::may_edit_controls(&actor, &client),
        can_request_exception: domain::controls::may_request_exception(&actor, &client),
        internal: actor.may_on_client(Permission::ViewClientNotes, client.id),
        client_slug: client.slug,
        client_name: client.name,
        item: convert::item(&actor, client.id, &item),
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
    share_evidence: Option<String>,
    justification: String,
    verified_now: Option<String>,
    note: String,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let update = domain::controls::ControlUpdate {
        version,
        status,
        owner,
        evidence_note,
        evidence_links,
        share_evidence: share_evidence.is_some(),
        justification,
        verified_now: verified_now.is_some(),
        note,
    };
    domain::controls::update_client_control(&state.db, &actor, &slug, &control_id, &update, domain::clock::now())
        .await?;
    crate::flash::after_plain_post("Saved.").await;
    Ok(())
}

/// Sets one status on the selected controls (each given as "ID:version"), all or none.
#[server(prefix = "/api", endpoint = "controls/bulk_update")]
pub async fn bulk_update_controls(
    slug: String,
    selected: Option<Vec<String>>,
    status: String,
    justification: String,
    note: String,
    verified_now: Option<String>,
) -> Result<usize, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let mut controls = Vec::new();
    for entry in selected.unwrap_or_default() {
        let parsed = entry.split_once(':').and_then(|(id, v)| v.parse::<i64>().ok().map(|v| (id.to_string(), v)));
        match parsed {
            Some(pair) => controls.push(pair),
            None => return Err(AppError::BadRequest),
        }
    }
    let update = domain::controls::ControlUpdate {
        version: 0,
        status,
        justification,
        note,
        verified_now: verified_now.is_some(),
        ..Default::default()
    };
    let updated =
        domain::controls::update_client_controls(&state.db, &actor, &slug, &controls, &update, domain::clock::now())
            .await?;
    crate::flash::after_plain_post(crate::controls::types::updated_text(updated)).await;
    Ok(updated)
}

#[server(prefix = "/api", endpoint = "exceptions/request")]
pub async fn request_exception(
    slug: String,
    control_id: String,
    reason: String,
    expires_on: String,
) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let now = domain::clock::now();
    domain::controls::request_exception(&state.db, &actor, &slug, &control_id, &reason, &expires_on, now).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "exceptions/approve")]
pub async fn approve_exception(id: i64) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::controls::approve_exception(&state.db, &actor, id, domain::clock::now()).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "exceptions/end")]
pub async fn end_exception(id: i64) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::controls::end_exception(&state.db, &actor, id, domain::clock::now()).await?;
    Ok(())
}

/// Overdue evidence across the clients the signed-in user may see.
#[server(prefix = "/api", endpoint = "controls/overdue")]
pub async fn list_overdue() -> Result<OverdueList, AppError> {
    use super::types::OverdueView;
    use crate::time::When;
    let (state, actor) = crate::auth::acting().await?;
    let (items, total) = domain::controls::list_overdue(&state.db, &actor, domain::clock::now(), 500).await?;
    Ok(OverdueList {
        items: items
            .into_iter()
            .map(|i| OverdueView {
                client_slug: i.client_slug,
                client_name: i.client_name,
                client_tier: i.impact_tier.as_str().into(),
                control_id: i.control_id,
                title: i.title,
                severity: i.severity,
                status: i.status.as_str().into(),
                last_verified: i.last_verified_at.map(When::of),
                due: When::of(i.due_at),
            })
            .collect(),
        total,
    })
}

/// What the custom-control form needs: categories, and the control when editing ("" for new).
#[server(prefix = "/api", endpoint = "catalog/form")]
pub async fn get_custom_control_form(id: String) -> Result<CustomControlForm, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let id = (!id.is_empty()).then_some(id);
    let (categories, control) = domain::controls::custom_control_form(&state.db, &actor, id.as_deref()).await?;
    Ok(CustomControlForm {
        review: control.as_ref().map(|c| c.review.as_str().to_string()).unwrap_or_default(),
        applies_to: control.as_ref().map(|c| c.applies_to.as_str().to_string()).unwrap_or_default(),
        categories: categories.into_iter().map(convert::category).collect(),
        control: control.map(convert::control),
    })
}

#[cfg(feature = "ssr")]
fn custom_input(
    title: String,
    description: String,
    category_id: String,
    severity: String,
    review: String,
    applies_to: String,
    tiers: Option<Vec<String>>,
    references: String,
) -> domain::controls::CustomControlInput {
    domain::controls::CustomControlInput {
        title,
        description,
        category_id,
        severity,
        review,
        applies_to,
        tiers: tiers.unwrap_or_default(),
        references,
    }
}

/// Adds a custom control; an empty `id` adds, another changes that custom control.
#[server(prefix = "/api", endpoint = "catalog/save")]
pub async fn save_custom_control(
    id: String,
    title: String,
    description: String,
    category_id: String,
    severity: String,
    review: String,
    applies_to: String,
    tiers: Option<Vec<String>>,
    references: String,
) -> Result<String, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let input = custom_input(title, description, category_id, severity, review, applies_to, tiers, references);
    let control = if id.is_empty() {
        domain::controls::create_custom_control(&state.db, &actor, &input).await?
    } else {
        domain::controls::update_custom_control(&state.db, &actor, &id, &input).await?
    };
    leptos_axum::redirect(&format!("/catalog?q={}", control.id));
    Ok(control.id)
}

#[server(prefix = "/api", endpoint = "catalog/retire")]
pub async fn retire_custom_control(id: String) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    domain::controls::retire_custom_control(&state.db, &actor, &id, domain::clock::now()).await?;
    leptos_axum::redirect("/catalog");
    Ok(())
}
