//! Audit server functions: thin. Each gets the actor, calls one service, maps the result.

use super::types::{AuditPage, AuditQuery};
use crate::error::AppError;
use leptos::prelude::*;

/// A page of the audit log (admins and auditors), and with `verify` the chain's check.
#[server(prefix = "/api", endpoint = "audit/list")]
pub async fn list_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use super::types::{AuditEntryView, Verification};
    use crate::time::When;
    use domain::audit;
    let (state, actor) = crate::auth::acting().await?;
    let filters = audit::Query {
        client: query.client.clone(),
        actor: query.actor.clone(),
        action: query.action.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        page: query.page.unwrap_or(1),
    };
    let page = audit::list_entries(&state.db, &actor, &filters).await?;
    let verification = if query.verify {
        let checked = audit::verify(&state.db, &actor, None).await?;
        Some(Verification { entries: checked.entries, broken: checked.broken.map(|b| (b.seq, b.reason)) })
    } else {
        None
    };
    let per_page = page.per_page.max(1);
    Ok(AuditPage {
        entries: page
            .entries
            .into_iter()
            .map(|listed| AuditEntryView {
                seq: listed.entry.seq,
                at: When::of(listed.entry.at),
                actor: listed.entry.actor,
                action: listed.entry.action,
                client: listed.client,
                object: listed.entry.object,
                summary: listed.entry.summary,
                hash: listed.entry.hash,
            })
            .collect(),
        total: page.total,
        page: page.page,
        pages: u32::try_from((page.total + per_page - 1) / per_page).unwrap_or(u32::MAX).max(1),
        clients: page.clients,
        head_seq: page.head.seq,
        head_hash: page.head.last_hash,
        verification,
    })
}
