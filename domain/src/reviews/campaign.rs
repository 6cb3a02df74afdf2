//! Access review campaigns: when an access review starts, every active grant of the client is
//! listed (riskiest first: a leaver's, admin without MFA, admin, unreviewed, past expiry), and
//! the reviewer decides keep, modify or revoke, each with a reason (always for modify and revoke,
//! and for keeping admin access). Keep counts as the grant's review; revoke puts a revocation task
//! on the grant in the access register (its deadline from the client's revocation SLA), which is
//! then revoked with verification as any other. The review is signed off (done) only once every
//! grant is decided (domain/reviews.md §4.2: reasons on privileged keeps, proof of revocation).

use super::model::{OccurrenceState, ReviewKind};
use super::store::{self, Decision, GrantEffect, ItemRow, Occurrence};
use crate::access::model::{findings, FindingKind, Grant, Privilege};
use crate::access::store::{self as access_store, GrantQuery};
use crate::audit::Record;
use crate::authz::{Actor, Permission};
use crate::db::Db;
use crate::error::{DomainError, Result};
use chrono::{DateTime, Utc};

/// How risky a grant looks to a reviewer; higher first.
pub fn risk(grant: &Grant, found: &[FindingKind]) -> i64 {
    let mut risk = 0;
    if grant.technician_state.is_leaver() {
        risk += 16;
    }
    if grant.privilege == Privilege::Admin {
        risk += 4;
        if !grant.mfa {
            risk += 8;
        }
    }
    if found.contains(&FindingKind::NotReviewed) {
        risk += 2;
    }
    if found.contains(&FindingKind::ExpiredStillActive) {
        risk += 2;
    }
    risk
}

/// The population of a new campaign: every active grant of the client with its risk.
pub(crate) async fn population(db: &Db, client_id: i64, now: DateTime<Utc>) -> Result<Vec<(i64, i64)>> {
    let grants = access_store::list_grants(db, GrantQuery { client_id: Some(client_id), ..Default::default() }).await?;
    let policy = access_store::load_sla_policy(db).await?;
    Ok(grants.iter().map(|g| (g.id, risk(g, &findings(g, &policy, now)))).collect())
}

/// One grant under review: what the reviewer decided, and the grant as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignItem {
    pub item: ItemRow,
    pub grant: Grant,
    pub findings: Vec<FindingKind>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub occurrence: Occurrence,
    pub items: Vec<CampaignItem>,
}

impl Campaign {
    pub fn decided(&self) -> usize {
        self.items.iter().filter(|i| i.item.decision.is_some()).count()
    }

    /// Percent decided (100 for an empty population).
    pub fn completion(&self) -> u32 {
        if self.items.is_empty() {
            100
        } else {
            (self.decided() * 100 / self.items.len()) as u32
        }
    }
}

/// An occurrence with, for an access review, its grants under review.
pub async fn get_campaign(db: &Db, actor: &Actor, occurrence_id: i64, now: DateTime<Utc>) -> Result<Campaign> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    let occurrence = super::visible_occurrence(db, actor, occurrence_id).await?;
    let items = if occurrence.kind == ReviewKind::AccessReview {
        actor.require_on_client(Permission::ViewAccess, occurrence.client_id)?;
        let rows = store::list_items(db, occurrence_id).await?;
        let grants = access_store::list_grants(
            db,
            GrantQuery { client_id: Some(occurrence.client_id), include_revoked: true, ..Default::default() },
        )
        .await?;
        let policy = access_store::load_sla_policy(db).await?;
        rows.into_iter()
            .filter_map(|item| {
                let grant = grants.iter().find(|g| g.id == item.grant_id)?.clone();
                Some(CampaignItem { findings: findings(&grant, &policy, now), grant, item })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Campaign { occurrence, items })
}

/// Records the reviewer's decision on one grant of a running access review.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    occurrence_id: i64,
    item_id: i64,
    decision: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Campaign> {
    let campaign = get_campaign(db, actor, occurrence_id, now).await?;
    let client_id = campaign.occurrence.client_id;
    actor.require_on_client(Permission::ManageReviews, client_id)?;
    actor.require_on_client(Permission::ManageAccess, client_id)?;
    if campaign.occurrence.state != OccurrenceState::InProgress {
        return Err(DomainError::conflict(None, "Decisions are taken while the review is in progress."));
    }
    let item = campaign.items.iter().find(|i| i.item.id == item_id).ok_or(DomainError::NotFound)?;
    let reason = reason.trim().replace('\0', "");
    if reason.chars().count() > 1000 {
        return Err(DomainError::invalid("reason", "Use at most 1000 characters."));
    }
    let needs_reason = match decision {
        "keep" => item.grant.privilege == Privilege::Admin,
        "modify" | "revoke" => true,
        _ => return Err(DomainError::invalid("decision", "Choose keep, modify or revoke.")),
    };
    if needs_reason && reason.chars().count() < 5 {
        let message =
            if decision == "keep" { "Say why this admin access is still needed." } else { "Say what changes and why." };
        return Err(DomainError::invalid("reason", message));
    }
    let technician = access_store::find_technician(db, item.grant.technician_id).await?.ok_or(DomainError::NotFound)?;
    if crate::access::lifecycle::is_self(actor, &technician) {
        return Err(DomainError::invalid("decision", "Nobody reviews their own access: ask another reviewer."));
    }
    let revoked = item.grant.revoked_at.is_some();
    if decision == "keep" && (revoked || item.grant.technician_state.is_leaver()) {
        return Err(DomainError::invalid("decision", "A leaver's or revoked access cannot be kept."));
    }
    let effect = match decision {
        "keep" => GrantEffect::Reviewed,
        "revoke" if !revoked => {
            let policy = access_store::load_sla_policy(db).await?;
            GrantEffect::RevokeBy(policy.revoke_due(client_id, now, false))
        }
        _ => GrantEffect::None,
    };
    let audit =
        Record::by(actor, "review.decide", format!("review:{occurrence_id}")).client(client_id).summary(format!(
            "{} at {} ({}, {}): {} → {decision}{}",
            item.grant.technician_name,
            item.grant.system_label(),
            item.grant.privilege.as_str(),
            format_args!("grant {}", item.grant.id),
            item.item.decision.as_deref().unwrap_or("undecided"),
            if reason.is_empty() { String::new() } else { format!(": {reason}") }
        ));
    let d = Decision { decision, reason: &reason, by: &actor.display_name, effect, now };
    if !store::decide(db, &item.item, &d, &audit).await? {
        return Err(DomainError::conflict(None, "Decisions are taken while the review is in progress."));
    }
    get_campaign(db, actor, occurrence_id, now).await
}
