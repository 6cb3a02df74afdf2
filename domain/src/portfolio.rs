//! The portfolio's key figures: clients by tier, evidence overdue, access findings, reviews
//! overdue and due soon, across the clients the actor may see.
//!
//! The counts come from the clients' kept scores (see [`crate::scoring::live`]): a change
//! recomputes the clients it reaches, and the figures (the clients by tier among them) are sums
//! over the kept rows, the reviews due soon among them (picked from each client's open reviews,
//! and read by their ids).

use crate::authz::{Actor, Permission};
use crate::clients::{self, ClientCounts};
use crate::db::Db;
use crate::error::Result;
use crate::memo;
use crate::reviews::{self, Occurrence};
use chrono::{DateTime, Utc};

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
    /// Open reviews due in the next [`DUE_SOON_DAYS`] days, soonest first: the first
    /// [`DUE_SOON_SHOWN`], and how many in all.
    pub reviews_soon: Vec<Occurrence>,
    pub reviews_soon_total: i64,
}

/// How many of the reviews due soon the figures list (the soonest; all are counted).
pub const DUE_SOON_SHOWN: usize = 12;

/// The key figures of what the actor may see (see the module). Reviews overdue and due soon
/// are counted in the MSP's calendar (`clock::calendar`).
pub async fn figures(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Figures> {
    actor.require(Permission::ViewPortfolio)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let kept = crate::scoring::live::kept_facts(db, assigned_to, only_client, now).await?;
    // The soonest reviews due, picked from the kept rows: read by their ids.
    static SOON: memo::Memo<Vec<Occurrence>> = memo::Memo::new();
    let key = memo::Key::of_kept_scores(db, kept.version, kept.generation, now, assigned_to, only_client)
        .with_detail(format!("clients {}, {:?}", kept.scope, kept.reviews_soon_first));
    let soon =
        SOON.get_or_compute(key, || reviews::store::list_occurrences_with_ids(db, &kept.reviews_soon_first)).await?;
    let (reviews_soon, reviews_soon_total) = (soon.as_ref().clone(), kept.reviews_soon_total);
    Ok(Figures {
        counts: kept.counts,
        overdue_evidence: kept.stale_evidence,
        access_findings: kept.access_findings,
        reviews_overdue: kept.overdue_reviews,
        reviews_soon,
        reviews_soon_total,
    })
}

/// What a reader's whole portfolio page (the key figures, the ranking, the heatmap, the
/// governance debt) is a function of, beside the reader: the kept scores' version and
/// generation, and the minute of the clock, as the results it is made of are kept (see
/// [`crate::scoring::live`] and `memo::Key::of_kept_scores`). A server may keep the page it
/// rendered for a reader under this moment and serve it again while the moment is the same.
/// `None` when the page is not that alone: a reader limited to some clients (whose clients
/// change with assignments, which reach no client's score) or one without a portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Moment {
    pub version: i64,
    pub generation: i64,
    pub minute: i64,
}

/// The signed-in user `user_id` as an actor (`None` when gone or disabled), and the [`Moment`]
/// of their portfolio at `now`: one statement.
pub async fn reader_and_moment(db: &Db, user_id: i64, now: DateTime<Utc>) -> Result<Option<(Actor, Option<Moment>)>> {
    let Some((actor, kept)) = crate::identity::actor_and_kept_version(db, user_id).await? else {
        return Ok(None);
    };
    let moment = moment_of(&actor, kept, now);
    Ok(Some((actor, moment)))
}

/// As [`reader_and_moment`], for the user the session `session_id` names, with the session's
/// data (JSON text): one statement for a page kept as rendered, before the session is loaded
/// apart. The session must be current as its store would load it (`window`:
/// [`crate::db::DbSessionStore::current_window`]). The actor is as the database holds them; what
/// the session adds (its last confirmation) is the caller's to read from the data.
pub async fn session_reader_and_moment(
    db: &Db,
    session_id: &str,
    (valid_at, started_after): (i64, i64),
    now: DateTime<Utc>,
) -> Result<Option<(String, Actor, Option<Moment>)>> {
    let found = crate::identity::session_actor_and_kept_version(db, session_id, valid_at, started_after).await?;
    let Some((data, actor, kept)) = found else { return Ok(None) };
    let moment = moment_of(&actor, kept, now);
    Ok(Some((data, actor, moment)))
}

/// The moment of `actor`'s portfolio at `now`, when they see every client.
fn moment_of(actor: &Actor, (version, generation): (i64, i64), now: DateTime<Utc>) -> Option<Moment> {
    let whole = actor.may(Permission::ViewPortfolio) && clients::visibility(actor).binds() == (None, None);
    whole.then(|| Moment { version, generation, minute: now.timestamp().div_euclid(60) })
}

/// The key figures computed from scratch, as the kept ones must equal (see
/// `testing::kept_equals_recomputed`).
#[cfg(feature = "testing")]
pub(crate) async fn figures_recomputed(
    db: &Db,
    actor: &Actor,
    calendar: &reviews::Calendar,
    now: DateTime<Utc>,
) -> Result<Figures> {
    let counts = clients::count_clients(db, actor).await?;
    let (_, overdue_evidence) = crate::controls::list_overdue(db, actor, now, 1).await?;
    let access_findings = crate::access::count_findings(db, actor, now).await?;
    let (late, mut soon) = reviews::due_soon(db, actor, calendar, DUE_SOON_DAYS, now).await?;
    let reviews_soon_total = soon.len() as i64;
    soon.truncate(DUE_SOON_SHOWN);
    Ok(Figures {
        counts,
        overdue_evidence,
        access_findings,
        reviews_overdue: late.len() as i64,
        reviews_soon: soon,
        reviews_soon_total,
    })
}
