//! The portfolio's key figures: clients by tier, evidence overdue, access findings, reviews
//! overdue and due soon, across the clients the actor may see.
//!
//! Each figure reads every client's rows (at 2,000 clients: every control state, all 30,000
//! grants with their finding rules, every open review), so the figures are kept like the
//! ranking: while no data changed and within the same minute (see [`crate::memo`]).

use crate::authz::{Actor, Permission};
use crate::clients::{self, ClientCounts};
use crate::db::Db;
use crate::error::Result;
use crate::memo;
use crate::reviews::{self, Calendar, Occurrence};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The days ahead in which a review counts as due soon.
pub const DUE_SOON_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub counts: ClientCounts,
    /// Controls past their re-verification time.
    pub overdue_evidence: i64,
    /// Active grants with at least one finding.
    pub access_findings: i64,
    /// Open reviews past their due day.
    pub reviews_overdue: i64,
    /// Open reviews due in the next [`DUE_SOON_DAYS`] days, soonest first.
    pub reviews_soon: Vec<Occurrence>,
}

/// The key figures of what the actor may see; kept between changes (see the module).
pub async fn figures(db: &Db, actor: &Actor, calendar: &Calendar, now: DateTime<Utc>) -> Result<Arc<Figures>> {
    static FIGURES: memo::Memo<Figures> = memo::Memo::new();
    actor.require(Permission::ViewPortfolio)?;
    let key = memo::Key::for_actor(db, now, actor).await?.with_detail(calendar.zone.name());
    FIGURES.get_or_compute(key, || compute(db, actor, calendar, now)).await
}

async fn compute(db: &Db, actor: &Actor, calendar: &Calendar, now: DateTime<Utc>) -> Result<Figures> {
    let counts = clients::count_clients(db, actor).await?;
    // The governance debt counts the same overdue evidence, and is kept too.
    let overdue_evidence = crate::scoring::get_governance_debt(db, actor, now).await?.stale_evidence;
    let access_findings = crate::access::count_findings(db, actor, now).await?;
    let (late, soon) = reviews::due_soon(db, actor, calendar, DUE_SOON_DAYS, now).await?;
    Ok(Figures { counts, overdue_evidence, access_findings, reviews_overdue: late.len() as i64, reviews_soon: soon })
}
