//! The risk score: a transparent per-client score (docs/specs/scoring.md §5.4, formula in
//! [`model`]), its daily history, the charts that explain it ([`charts`]), and the portfolio's
//! ranking and governance debt.
//!
//! Invariants:
//! - The score is computed, never stored as the truth: from the checklist (the controls
//!   module's own rule for what is on it, and its freshness for stale evidence), the access
//!   register's findings (a leaver past the revocation deadline), and the settings in force.
//! - A snapshot records one client's score on one day (UTC) and is never rewritten: a second
//!   run of the same day keeps what the first wrote.
//! - The daily snapshot job runs once per day per deployment, however many servers share the
//!   database: a server runs it only after inserting the day's row of `job_runs` (its primary
//!   key lets exactly one insert win); a run that failed gives its claim back, and one whose
//!   server died is taken over after an hour.
//! - Reviews and meetings come from the review schedule through [`sources`]; KEV items count zero
//!   until a vulnerability feed exists.
//!
//! Who may do what (see [`crate::authz`]): a client's score, history and charts go with its
//! checklist (`ViewControls`: everyone who sees the client, client viewers included); the
//! access chart also needs `ViewAccess`. The ranking, heatmap and governance debt are the
//! portfolio (`ViewPortfolio`), over the clients the actor may see. Everyone signed in reads the
//! settings (the score explains itself); only admins change them (`ManageSettings`).

pub mod charts;
pub mod live;
pub mod model;
pub mod sources;
pub(crate) mod store;

pub use charts::{Chart, ChartKind, Table};
pub use model::{
    Band, CategoryScore, Gap, Governance, LeaverAccess, Override, Penalty, PenaltyKind, Score, ScoreItem,
    ScoreSettings, SettingSpec, Step, SETTINGS,
};
pub use sources::{Meeting, QuarterReviews};
pub use store::{JobRun, Snapshot};

use crate::access::{self, FindingKind, Grant, GrantQuery, GrantState, SlaPolicy};
use crate::authz::{Actor, Permission};
use crate::clients::{self, Client, ImpactTier};
use crate::controls::{self, Category, Control, ControlStatus, Freshness, ReviewFrequency};
use crate::db::Db;
use crate::error::{DomainError, FieldError, Result};
use crate::memo;
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The name of the daily snapshot job in `job_runs`.
pub const SNAPSHOT_JOB: &str = "score_snapshots";
/// How far back the trend and access charts look.
pub const HISTORY_DAYS: i64 = 365;
/// A claim of the daily job older than this, and unfinished, belongs to a server that died.
const CLAIM_TIMEOUT_MINUTES: i64 = 60;

/// What the scores of a set of clients are computed from, read in a few queries.
struct Inputs {
    catalog: Vec<Control>,
    categories: Vec<Category>,
    settings: ScoreSettings,
    policy: SlaPolicy,
    /// Recorded control states by client, against `catalog`.
    states: HashMap<i64, Vec<store::State>>,
    /// Grants not revoked: for the portfolio, the list shared with the findings and the debt,
    /// not copied (30,000 grants on the large set).
    grants: Arc<Vec<Grant>>,
    /// Each client's grants, as positions in `grants`.
    grants_of: HashMap<i64, Vec<usize>>,
    reviews: HashMap<i64, i64>,
    kev: HashMap<i64, i64>,
}

/// What every client's score is computed from alike: the catalog, its categories, the score's
/// settings and the service levels.
#[derive(Clone)]
struct Alike {
    catalog: Vec<Control>,
    categories: Vec<Category>,
    settings: ScoreSettings,
    policy: SlaPolicy,
}

/// [`Alike`] as the database has it; with `generation` (the kept scores' generation read
/// before, see [`live`]), kept per database under it, since every change of these moves it in
/// its own transaction: a recomputation after a change reads them once per generation, not at
/// every change.
async fn alike(db: &Db, generation: Option<i64>) -> Result<Alike> {
    static KEPT: std::sync::Mutex<Vec<(String, i64, Arc<Alike>)>> = std::sync::Mutex::new(Vec::new());
    let kept = || KEPT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let database = db.identity();
    if let Some(generation) = generation {
        if let Some((_, _, alike)) = kept().iter().find(|(d, g, _)| *d == database && *g == generation) {
            return Ok(alike.as_ref().clone());
        }
    }
    let alike = Alike {
        catalog: controls::store::list_controls(db).await?,
        categories: controls::store::list_categories(db).await?,
        settings: store::load_settings(db).await?,
        policy: access::lifecycle::sla_policy(db).await?,
    };
    if let Some(generation) = generation {
        let mut kept = kept();
        kept.retain(|(d, _, _)| *d != database);
        kept.push((database, generation, Arc::new(alike.clone())));
    }
    Ok(alike)
}

/// The inputs of `client_ids`' scores (see [`alike`] for `generation`).
async fn load_inputs(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    client_ids: &[i64],
    now: DateTime<Utc>,
    generation: Option<i64>,
) -> Result<Inputs> {
    load_inputs_of(db, assigned_to, only_client, None, client_ids, now, generation).await
}

/// The inputs of a part of the portfolio: the clients whose ids lie between the first and the
/// last of `client_ids` (sorted), read by their range.
async fn load_inputs_of_part(db: &Db, client_ids: &[i64], now: DateTime<Utc>) -> Result<Inputs> {
    let between = client_ids.first().zip(client_ids.last()).map(|(first, last)| (*first, *last));
    load_inputs_of(db, None, None, between, client_ids, now, None).await
}

#[allow(clippy::too_many_arguments)]
async fn load_inputs_of(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    clients_between: Option<(i64, i64)>,
    client_ids: &[i64],
    now: DateTime<Utc>,
    generation: Option<i64>,
) -> Result<Inputs> {
    let Alike { catalog, categories, settings, policy } = alike(db, generation).await?;
    let states = store::list_states(db, assigned_to, only_client, clients_between, &catalog).await?;
    let grants = if only_client.is_some() || clients_between.is_some() {
        // One client's grants, or a part's, by the client index.
        let query =
            GrantQuery { client_id: only_client, assigned_to, only_client, clients_between, ..Default::default() };
        Arc::new(access::store::list_grants(db, query).await?)
    } else {
        // The whole portfolio's, shared with the findings and the governance debt.
        access::active_grants_shared(db, now, assigned_to, only_client).await?
    };
    let mut grants_of: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, grant) in grants.iter().enumerate() {
        grants_of.entry(grant.client_id).or_default().push(i);
    }
    Ok(Inputs {
        catalog,
        categories,
        settings,
        policy,
        states,
        grants,
        grants_of,
        reviews: sources::overdue_reviews(db, client_ids, now).await?,
        kev: sources::kev_items_past_sla(db, client_ids, now).await?,
    })
}

/// The controls on a client's checklist as the score sees them, in catalog order.
fn items_of(catalog: &[Control], tier: ImpactTier, states: &[store::State], now: DateTime<Utc>) -> Vec<ScoreItem> {
    let mut by_control: Vec<Option<&store::State>> = vec![None; catalog.len()];
    for state in states {
        by_control[state.control] = Some(state);
    }
    catalog
        .iter()
        .zip(by_control)
        .filter_map(|(control, state)| {
            if !controls::on_checklist(control, tier, state.is_some()) {
                return None;
            }
            let status = state.map_or(ControlStatus::NotAssessed, |s| s.status);
            let verified = state.and_then(|s| s.last_verified_at);
            Some(item(control, status, verified, now))
        })
        .collect()
}

fn item(control: &Control, status: ControlStatus, verified: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ScoreItem {
    ScoreItem {
        control_id: control.id.clone(),
        title: control.title.clone(),
        category_id: control.category_id.clone(),
        severity: control.severity,
        status,
        stale: matches!(controls::model::freshness(control.review, verified, now), Freshness::Stale { .. }),
    }
}

/// Leavers holding access at a client, one per technician, and whether any of their grants
/// there is past its revocation deadline. `grants` are the client's grants not revoked.
fn governance_of<'a>(
    grants: impl IntoIterator<Item = &'a Grant>,
    policy: &SlaPolicy,
    now: DateTime<Utc>,
    reviews: i64,
    kev: i64,
) -> Governance {
    let mut leavers: BTreeMap<i64, LeaverAccess> = BTreeMap::new();
    for grant in grants.into_iter().filter(|g| g.revoked_at.is_none() && g.technician_state.is_leaver()) {
        let leaver = leavers.entry(grant.technician_id).or_insert_with(|| LeaverAccess {
            technician_id: grant.technician_id,
            name: grant.technician_name.clone(),
            t0: grant.technician_departed_at,
            past_sla: false,
        });
        if access::model::findings(grant, policy, now).contains(&FindingKind::RevocationOverdue) {
            leaver.past_sla = true;
        }
    }
    Governance { leavers: leavers.into_values().collect(), overdue_reviews: reviews, kev_items: kev }
}

/// Access hygiene of a client at `now`: grants active, past expiry but not revoked, held by
/// leavers, and with at least one stale-access finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hygiene {
    pub active: i64,
    pub expired: i64,
    pub leavers: i64,
    pub findings: i64,
}

fn hygiene_of<'a>(grants: impl IntoIterator<Item = &'a Grant>, policy: &SlaPolicy, now: DateTime<Utc>) -> Hygiene {
    let mut h = Hygiene::default();
    for grant in grants.into_iter().filter(|g| g.revoked_at.is_none()) {
        match grant.state(now) {
            GrantState::Active => h.active += 1,
            GrantState::Expired => h.expired += 1,
            GrantState::Revoked => {}
        }
        if grant.technician_state.is_leaver() && grant.technician_departed_at.is_none_or(|t0| t0 <= now) {
            h.leavers += 1;
        }
        if !access::model::findings(grant, policy, now).is_empty() {
            h.findings += 1;
        }
    }
    h
}

impl Inputs {
    fn category_ids(&self) -> Vec<String> {
        self.categories.iter().map(|c| c.id.clone()).collect()
    }

    fn score(&self, client_id: i64, tier: ImpactTier, now: DateTime<Utc>) -> Score {
        self.score_of_items(client_id, &self.items(client_id, tier, now), now)
    }

    /// The client's checklist as the score sees it.
    fn items(&self, client_id: i64, tier: ImpactTier, now: DateTime<Utc>) -> Vec<ScoreItem> {
        items_of(&self.catalog, tier, self.states.get(&client_id).map(Vec::as_slice).unwrap_or(&[]), now)
    }

    fn score_of_items(&self, client_id: i64, items: &[ScoreItem], now: DateTime<Utc>) -> Score {
        let governance = governance_of(
            self.grants_of_client(client_id),
            &self.policy,
            now,
            self.reviews.get(&client_id).copied().unwrap_or(0),
            self.kev.get(&client_id).copied().unwrap_or(0),
        );
        model::score(items, &self.category_ids(), &governance, &self.settings, now)
    }

    fn hygiene(&self, client_id: i64, now: DateTime<Utc>) -> Hygiene {
        hygiene_of(self.grants_of_client(client_id), &self.policy, now)
    }

    /// The client's grants not revoked.
    fn grants_of_client(&self, client_id: i64) -> impl Iterator<Item = &Grant> {
        self.grants_of.get(&client_id).into_iter().flatten().map(|&i| &self.grants[i])
    }
}

/// One client's score with what the page shows beside it.
#[derive(Debug, Clone)]
pub struct ClientScore {
    pub client: Client,
    pub score: Score,
    /// Priority in hundredths (portfolio ranking only); `None` when not rated.
    pub priority_hundredths: Option<i64>,
    pub categories: Vec<Category>,
    pub settings: ScoreSettings,
    pub hygiene: Hygiene,
    /// The checklist the score was computed from, in numbers (as [`controls::Checklist::counts`]
    /// counts it): a client's page shows them beside the score without reading the checklist.
    pub checklist: controls::ChecklistCounts,
}

/// A client's score now.
pub async fn get_client_score(db: &Db, actor: &Actor, slug: &str, now: DateTime<Utc>) -> Result<ClientScore> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ViewControls, client.id)?;
    let inputs = load_inputs(db, None, Some(client.id), &[client.id], now, None).await?;
    let items = inputs.items(client.id, client.impact_tier, now);
    let accepted = controls::accepted_controls(db, client.id, now).await?;
    let checklist =
        controls::ChecklistCounts::count(items.iter().map(|i| (i.status, i.stale, accepted.contains(&i.control_id))));
    let score = inputs.score_of_items(client.id, &items, now);
    Ok(ClientScore {
        checklist,
        priority_hundredths: model::priority_hundredths(score.posture, client.impact_tier, &inputs.settings),
        hygiene: inputs.hygiene(client.id, now),
        score,
        client,
        categories: inputs.categories,
        settings: inputs.settings,
    })
}

/// A client's score and the charts that explain it (titles, descriptions and tables; drawing
/// is [`Chart::svg`]). The access chart is left out for an actor who may not see access.
pub async fn get_client_charts(
    db: &Db,
    actor: &Actor,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<(ClientScore, Vec<Chart>)> {
    let scored = get_client_score(db, actor, slug, now).await?;
    let (today, from) = history_window(now);
    let history = store::list_snapshots(db, scored.client.id, from).await?;
    let name = &scored.client.name;
    let meetings = sources::meetings(db, scored.client.id, from, today).await?;
    let quarters = sources::review_timeliness(db, scored.client.id, now).await?;
    let mut result = vec![
        charts::trend_chart(name, &trend_points(&scored, &history, today), &meetings, &scored.settings),
        charts::category_chart(name, &scored.categories, &scored.score, &scored.settings),
        charts::contributors_chart(name, &scored.score),
    ];
    if actor.can_on_client(Permission::ViewAccess, scored.client.id) {
        result.push(charts::access_chart(name, &access_points(&scored, &history, today)));
    }
    result.push(charts::reviews_chart(name, &quarters));
    Ok((scored, result))
}

/// [`get_client_charts`], kept while no data changed and within the minute (see [`memo`]): a
/// client's page shows the score and its charts' tables at every load. What it holds depends
/// on the client's data only, and on whether the reader may see access (the access chart), so
/// the reader's right to see the client is checked first and the rest is shared. `client` as
/// [`clients::get_client`] read it for this actor (a client's page reads it once).
pub async fn client_charts_kept(
    db: &Db,
    actor: &Actor,
    client: &clients::Client,
    now: DateTime<Utc>,
) -> Result<Arc<(ClientScore, Vec<Chart>)>> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    static KEPT: memo::Memo<(ClientScore, Vec<Chart>)> = memo::Memo::with_capacity(64);
    actor.require_on_client(Permission::ViewControls, client.id)?;
    let with_access = actor.can_on_client(Permission::ViewAccess, client.id);
    let key = memo::Key::of(db, now, None, Some(client.id)).await?.with_detail(format!("charts, access {with_access}"));
    KEPT.get_or_compute(key, || get_client_charts(db, actor, &client.slug, now)).await
}

/// Today, and the first day the charts' history shows.
fn history_window(now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let today = crate::clock::calendar().today(now);
    (today, today - Duration::days(HISTORY_DAYS - 1))
}

/// The trend's points: the daily snapshots, and today's score live until today's is taken.
fn trend_points(scored: &ClientScore, history: &[Snapshot], today: NaiveDate) -> Vec<charts::TrendPoint> {
    let mut trend: Vec<charts::TrendPoint> =
        history.iter().map(|s| charts::TrendPoint { day: s.day, posture: s.posture, band: s.band }).collect();
    if history.last().is_none_or(|s| s.day < today) {
        trend.push(charts::TrendPoint { day: today, posture: scored.score.posture, band: scored.score.band });
    }
    trend
}

/// The access chart's points, likewise.
fn access_points(scored: &ClientScore, history: &[Snapshot], today: NaiveDate) -> Vec<charts::AccessPoint> {
    let mut points: Vec<charts::AccessPoint> = history
        .iter()
        .map(|s| charts::AccessPoint {
            day: s.day,
            active: s.grants_active,
            expired: s.grants_expired,
            leavers: s.grants_leavers,
            findings: s.access_findings,
        })
        .collect();
    if history.last().is_none_or(|s| s.day < today) {
        let h = scored.hygiene;
        points.push(charts::AccessPoint {
            day: today,
            active: h.active,
            expired: h.expired,
            leavers: h.leavers,
            findings: h.findings,
        });
    }
    points
}

/// One of a client's charts (reading only what that chart shows).
pub async fn get_client_chart(
    db: &Db,
    actor: &Actor,
    slug: &str,
    kind: ChartKind,
    now: DateTime<Utc>,
) -> Result<Chart> {
    let scored = get_client_score(db, actor, slug, now).await?;
    match kind {
        ChartKind::Access => actor.require_on_client(Permission::ViewAccess, scored.client.id)?,
        ChartKind::Heatmap => return Err(DomainError::NotFound),
        _ => {}
    }
    let (today, from) = history_window(now);
    let name = &scored.client.name;
    Ok(match kind {
        ChartKind::Trend => {
            let history = store::list_snapshots(db, scored.client.id, from).await?;
            let meetings = sources::meetings(db, scored.client.id, from, today).await?;
            charts::trend_chart(name, &trend_points(&scored, &history, today), &meetings, &scored.settings)
        }
        ChartKind::Access => {
            let history = store::list_snapshots(db, scored.client.id, from).await?;
            charts::access_chart(name, &access_points(&scored, &history, today))
        }
        ChartKind::Reviews => {
            charts::reviews_chart(name, &sources::review_timeliness(db, scored.client.id, now).await?)
        }
        ChartKind::Categories => charts::category_chart(name, &scored.categories, &scored.score, &scored.settings),
        ChartKind::Contributors | ChartKind::Heatmap => charts::contributors_chart(name, &scored.score),
    })
}

/// One of a client's charts drawn as SVG, kept while no data changed and within the minute
/// (see [`memo`]): a chart depends on the client's data only, so the reader's right to see
/// it is checked first and the drawing is shared.
pub async fn client_chart_svg(
    db: &Db,
    actor: &Actor,
    slug: &str,
    kind: ChartKind,
    now: DateTime<Utc>,
) -> Result<Arc<String>> {
    // A client viewer reads through their client's row-security scope (see `Db::for_reader`).
    let db = &db.for_reader(actor);
    static DRAWN: memo::Memo<String> = memo::Memo::with_capacity(64);
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ViewControls, client.id)?;
    if kind == ChartKind::Access {
        actor.require_on_client(Permission::ViewAccess, client.id)?;
    }
    let key = memo::Key::of(db, now, None, Some(client.id)).await?.with_detail(kind.slug());
    DRAWN.get_or_compute(key, || async { get_client_chart(db, actor, slug, kind, now).await?.svg() }).await
}

/// A client in the portfolio ranking.
#[derive(Debug, Clone)]
pub struct RankedClient {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub impact_tier: ImpactTier,
    pub score: RankedScore,
    pub priority_hundredths: Option<i64>,
}

/// What the ranking keeps of a client's score: enough to rank and count it and to explain it
/// in a line. A ranking is kept for every client in view (2,000 on the large set), and a whole
/// score lists every gap; a client's own page reads its whole score ([`get_client_score`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedScore {
    pub coverage: Option<i64>,
    pub posture: Option<i64>,
    /// The band after overrides.
    pub band: Band,
    /// The overrides that raised the band.
    pub raised: Vec<Override>,
    /// The largest gap.
    pub top_gap: Option<Gap>,
}

impl RankedScore {
    fn of(score: Score) -> RankedScore {
        RankedScore {
            coverage: score.coverage,
            posture: score.posture,
            band: score.band,
            raised: score.overrides.into_iter().filter(|o| o.raised).collect(),
            top_gap: score.gaps.into_iter().next(),
        }
    }

    /// Why the client stands where it does, in a line: the override that raised its band, else
    /// its largest gap.
    pub fn reason(&self) -> Option<String> {
        self.raised
            .first()
            .map(|o| format!("Band raised: {}", o.reason))
            .or_else(|| self.top_gap.as_ref().map(Gap::describe))
    }
}

/// The clients the actor may see, ranked by priority (highest first; clients not rated last).
#[derive(Debug, Clone)]
pub struct Ranking {
    /// Shared with the rows they were read from (a server's kept rows, see [`live`]): a ranking
    /// of 10,000 clients is made again after each change without copying each client.
    pub clients: Vec<Arc<RankedClient>>,
    pub categories: Vec<Category>,
    pub settings: ScoreSettings,
    /// The portfolio heatmap, made with the ranking (every portfolio load shows it).
    heatmap: Chart,
    /// Scores computed before a change of every client's (settings, service levels, the
    /// catalog) are shown while the new ones are computed in the background (see [`live`]).
    pub updating: bool,
}

/// Every active client the actor may see, scored and ranked: priority first, then the lower
/// posture, then the name.
pub async fn rank_clients(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Ranking> {
    Ok(ranking(db, actor, now).await?.as_ref().clone())
}

/// [`rank_clients`], shared: read from the scores kept per client (see [`live`]), so that the
/// portfolio does not score every client at every load.
pub async fn ranking(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Arc<Ranking>> {
    actor.require(Permission::ViewPortfolio)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    live::ranking(db, assigned_to, only_client, now).await
}

/// The ranking computed from scratch: every client in view scored at `now` (what the kept
/// scores must equal; see [`live`]).
#[cfg(feature = "testing")]
pub(crate) async fn compute_ranking(
    db: &Db,
    assigned_to: Option<i64>,
    only_client: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Ranking> {
    let rows = store::list_active_clients(db, assigned_to, only_client).await?;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let inputs = load_inputs(db, assigned_to, only_client, &ids, now, None).await?;
    // Each client's heatmap row is taken from its whole score, which is then let go.
    let mut cells: HashMap<i64, Vec<Option<i64>>> = HashMap::with_capacity(rows.len());
    let mut ranked: Vec<Arc<RankedClient>> = rows
        .into_iter()
        .map(|c| {
            let id = c.id;
            let (client, row) = rank_one(&inputs, c, now);
            cells.insert(id, row);
            Arc::new(client)
        })
        .collect();
    sort_ranked(&mut ranked);
    let heatmap = heatmap_of(&ranked, |id| cells.remove(&id).unwrap_or_default(), &inputs.categories, &inputs.settings);
    Ok(Ranking { clients: ranked, categories: inputs.categories, settings: inputs.settings, heatmap, updating: false })
}

/// One client of the ranking, and its heatmap row (coverage by category, in the inputs' order).
fn rank_one(inputs: &Inputs, c: store::ClientRow, now: DateTime<Utc>) -> (RankedClient, Vec<Option<i64>>) {
    let tier = ImpactTier::parse(&c.impact_tier).unwrap_or(ImpactTier::Standard);
    let score = inputs.score(c.id, tier, now);
    let cells = inputs.categories.iter().map(|k| score.category(&k.id).and_then(|s| s.coverage)).collect();
    let client = RankedClient {
        priority_hundredths: model::priority_hundredths(score.posture, tier, &inputs.settings),
        id: c.id,
        slug: c.slug,
        name: c.name,
        impact_tier: tier,
        score: RankedScore::of(score),
    };
    (client, cells)
}

/// The ranking's order: priority first, then the lower posture, then the name (then the id: a
/// total order, so that a client can be put in its place by a binary search).
fn ranked_order(a: &RankedClient, b: &RankedClient) -> std::cmp::Ordering {
    b.priority_hundredths
        .cmp(&a.priority_hundredths)
        .then(a.score.posture.cmp(&b.score.posture))
        .then(a.name.cmp(&b.name))
        .then(a.id.cmp(&b.id))
}

fn sort_ranked(ranked: &mut [Arc<RankedClient>]) {
    ranked.sort_by(|a, b| ranked_order(a, b));
}

/// Puts `client` in its place in `ranked` (sorted by [`ranked_order`]).
fn insert_ranked(ranked: &mut Vec<Arc<RankedClient>>, client: Arc<RankedClient>) {
    let at = ranked.partition_point(|c| ranked_order(c, &client) == std::cmp::Ordering::Less);
    ranked.insert(at, client);
}

/// The portfolio heatmap: clients × categories, the highest priority one per row and the rest
/// grouped by band (see [`charts::heatmap_rows`]).
pub async fn get_portfolio_heatmap(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Chart> {
    Ok(ranking(db, actor, now).await?.heatmap().clone())
}

impl Ranking {
    /// The portfolio heatmap of this ranking.
    pub fn heatmap(&self) -> &Chart {
        &self.heatmap
    }
}

/// The heatmap of ranked clients, given each one's coverage per category (in `categories`' order)
/// by its id.
fn heatmap_of(
    ranked: &[Arc<RankedClient>],
    mut cells: impl FnMut(i64) -> Vec<Option<i64>>,
    categories: &[Category],
    settings: &ScoreSettings,
) -> Chart {
    let clients: Vec<charts::HeatClient> = ranked
        .iter()
        .enumerate()
        .map(|(k, c)| charts::HeatClient {
            // Only the first rows are named; the rest are counted in their band's row.
            name: if k < charts::HEATMAP_CLIENTS { c.name.clone() } else { String::new() },
            band: c.score.band,
            cells: cells(c.id),
        })
        .collect();
    let rows = charts::heatmap_rows(&clients, charts::HEATMAP_CLIENTS);
    charts::heatmap_chart(rows, categories, clients.len(), settings)
}

/// A leaver who still holds access past the revocation deadline, across clients.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaverDebt {
    pub technician_id: i64,
    pub name: String,
    /// (slug, name) of each client where a grant is overdue.
    pub clients: Vec<(String, String)>,
    pub grants: usize,
    /// The earliest missed deadline.
    pub overdue_since: Option<DateTime<Utc>>,
}

/// Governance lapses across the clients the actor may see.
#[derive(Debug, Clone, PartialEq)]
pub struct GovernanceDebt {
    /// Open reviews past their due day; see [`sources`].
    pub overdue_reviews: i64,
    pub leavers_past_sla: Vec<LeaverDebt>,
    /// Controls past their re-verification time.
    pub stale_evidence: i64,
    /// Approved risk acceptances expiring in the next 30 days (the first few) and their total.
    pub expiring_exceptions: Vec<controls::ExpiringException>,
    pub expiring_total: i64,
    /// Security and business reviews due or scheduled in the next seven days; see [`sources`].
    pub meetings_next_week: Vec<Meeting>,
}

/// Days ahead in which an expiring risk acceptance counts as governance debt.
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

/// Governance lapses across the clients the actor may see: summed from the clients' kept
/// scores (see [`live`]), with the risk acceptances expiring soon (kept while no client's data
/// changed and within the minute).
pub async fn get_governance_debt(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<GovernanceDebt> {
    actor.require(Permission::ViewPortfolio)?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let kept = live::kept_facts(db, assigned_to, only_client, now).await?;
    // Kept while no client's data changed and within the minute (a sign-in moves neither).
    static EXPIRING: memo::Memo<(Vec<controls::ExpiringException>, i64)> = memo::Memo::new();
    let key = memo::Key::of_kept_scores(db, kept.version, kept.generation, now, assigned_to, only_client)
        .with_detail(format!("clients {}", kept.scope));
    let expiring = EXPIRING
        .get_or_compute(key, || controls::list_expiring_exceptions(db, actor, now, EXPIRING_WITHIN_DAYS, 10))
        .await?;
    let (expiring_exceptions, expiring_total) = expiring.as_ref().clone();
    Ok(GovernanceDebt {
        overdue_reviews: kept.overdue_reviews,
        leavers_past_sla: kept.leavers,
        stale_evidence: kept.stale_evidence,
        expiring_exceptions,
        expiring_total,
        meetings_next_week: kept.meetings_next_week,
    })
}

/// The governance debt computed from scratch, as the kept one must equal (see
/// `testing::kept_equals_recomputed`).
#[cfg(feature = "testing")]
pub(crate) async fn governance_debt_recomputed(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<GovernanceDebt> {
    let (grants, policy) = access::findings_inputs(db, actor, now).await?;
    let mut leavers: BTreeMap<i64, LeaverDebt> = BTreeMap::new();
    for grant in grants.iter() {
        if !access::model::findings(grant, &policy, now).contains(&FindingKind::RevocationOverdue) {
            continue;
        }
        let debt = leavers.entry(grant.technician_id).or_insert_with(|| LeaverDebt {
            technician_id: grant.technician_id,
            name: grant.technician_name.clone(),
            clients: Vec::new(),
            grants: 0,
            overdue_since: None,
        });
        debt.grants += 1;
        let client = (grant.client_slug.clone(), grant.client_name.clone());
        if !debt.clients.contains(&client) {
            debt.clients.push(client);
        }
        if let Some(due) = grant.revocation_deadline(&policy) {
            debt.overdue_since = Some(debt.overdue_since.map_or(due, |d| d.min(due)));
        }
    }
    let (_, stale_evidence) = controls::list_overdue(db, actor, now, 1).await?;
    let (expiring_exceptions, expiring_total) =
        controls::list_expiring_exceptions(db, actor, now, EXPIRING_WITHIN_DAYS, 10).await?;
    let (assigned_to, only_client) = clients::visibility(actor).binds();
    let ids: Vec<i64> = store::list_active_clients(db, assigned_to, only_client).await?.iter().map(|c| c.id).collect();
    let overdue_reviews = sources::overdue_reviews(db, &ids, now).await?.values().sum();
    let today = crate::clock::calendar().today(now);
    let meetings_next_week = sources::meetings_between(db, &ids, today, today + Duration::days(7)).await?;
    let mut leavers: Vec<LeaverDebt> = leavers.into_values().collect();
    leavers.sort_by_key(|l| l.overdue_since);
    Ok(GovernanceDebt {
        overdue_reviews,
        leavers_past_sla: leavers,
        stale_evidence,
        expiring_exceptions,
        expiring_total,
        meetings_next_week,
    })
}

/// The settings in force, and when and by whom they were last changed (never: defaults).
pub async fn get_settings(db: &Db, actor: &Actor) -> Result<(ScoreSettings, Option<(DateTime<Utc>, String)>)> {
    // Every role may read how the score is computed: the score explains itself.
    actor.require(Permission::ViewClient)?;
    Ok((store::load_settings(db).await?, store::settings_changed(db).await?))
}

/// Changes settings: `values` are (key, text) pairs of the form; keys left out keep their value.
/// Every value is checked before anything is written.
pub async fn save_settings(
    db: &Db,
    actor: &Actor,
    values: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<ScoreSettings> {
    actor.require(Permission::ManageSettings)?;
    let mut settings = store::load_settings(db).await?;
    let before = settings.clone();
    let mut errors = Vec::new();
    for (key, text) in values {
        let Some(spec) = SETTINGS.iter().find(|s| s.key == key) else {
            errors.push(FieldError::new(key, "This is not a setting of the score."));
            continue;
        };
        match text.trim().parse::<i64>() {
            Ok(value) => settings.set(spec.key, value),
            Err(_) => {
                errors.push(FieldError::new(key, format!("Enter a whole number from {} to {}.", spec.min, spec.max)))
            }
        }
    }
    if errors.is_empty() {
        errors = settings.problems();
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let mut diff = crate::audit::Diff::new();
    for spec in SETTINGS {
        let shown = |s: &ScoreSettings| s.get(spec.key).unwrap_or(spec.default).to_string();
        diff = diff.field(spec.key, &shown(&before), &shown(&settings));
    }
    let audit = crate::audit::Record::by(actor, "score.settings_update", "score_settings").summary(diff.finish());
    store::save_settings(db, &settings, &actor.display_name, now, &audit).await?;
    Ok(settings)
}

/// A client's snapshots from `from` on (for tests and exports; pages use the charts).
pub async fn list_snapshots(db: &Db, actor: &Actor, slug: &str, from: NaiveDate) -> Result<Vec<Snapshot>> {
    let client = clients::get_client(db, actor, slug).await?;
    actor.require_on_client(Permission::ViewControls, client.id)?;
    store::list_snapshots(db, client.id, from).await
}

/// How many snapshots were taken for a day, across all clients (for tests and operators).
pub async fn count_snapshots(db: &Db, day: NaiveDate) -> Result<i64> {
    store::count_snapshots(db, day).await
}

/// How a job run stands for a day (for tests and operators).
pub async fn find_job_run(db: &Db, job: &str, day: NaiveDate) -> Result<Option<JobRun>> {
    store::find_job_run(db, job, day).await
}

fn snapshot(client_id: i64, score: &Score, hygiene: Hygiene, day: NaiveDate, now: DateTime<Utc>) -> Snapshot {
    let count = |kind| score.penalty(kind).map(|p| p.count).unwrap_or(0);
    Snapshot {
        client_id,
        day,
        coverage: score.coverage,
        posture: score.posture,
        band: score.band,
        categories: score.categories.iter().map(|c| (c.category_id.clone(), c.coverage)).collect(),
        stale_controls: score.stale as i64,
        leavers_past_sla: count(PenaltyKind::LeaverPastSla),
        overdue_reviews: count(PenaltyKind::OverdueReview),
        kev_items: count(PenaltyKind::KevPastSla),
        penalty: score.penalty_points,
        grants_active: hygiene.active,
        grants_expired: hygiene.expired,
        grants_leavers: hygiene.leavers,
        access_findings: hygiene.findings,
        taken_at: now,
    }
}

/// The daily job: today's snapshot (a day of the MSP's calendar) of every active client, taken by exactly one server
/// of the deployment. Not on anyone's behalf: it records what the score is, for everyone.
/// Returns how many snapshots it wrote, or `None` when the day's run is someone else's (or
/// done).
pub async fn take_daily_snapshots(db: &Db, now: DateTime<Utc>, runner: &str) -> Result<Option<u64>> {
    let day = crate::clock::calendar().today(now);
    let stale = now - Duration::minutes(CLAIM_TIMEOUT_MINUTES);
    if !store::claim_job(db, SNAPSHOT_JOB, day, runner, now, stale).await? {
        return Ok(None);
    }
    match snapshot_all(db, day, now).await {
        Ok(written) => {
            store::finish_job(db, SNAPSHOT_JOB, day, now).await?;
            Ok(Some(written))
        }
        Err(error) => {
            // Give the day back, so that the next attempt (here or on another server) runs it.
            if let Err(release) = store::release_job(db, SNAPSHOT_JOB, day).await {
                tracing::warn!(error = %release, "the snapshot job's claim could not be released");
            }
            Err(error)
        }
    }
}

/// Writes `day`'s snapshot of every active client as scored at `now`, keeping any written
/// before for that day. Returns how many were new.
///
/// The clients are taken in parts of [`SNAPSHOT_PART`] by id, each part's inputs (checklists,
/// grants) read, scored, written and let go before the next: at 10,000 clients the inputs of
/// all at once (150,000 grants) doubled the server's memory for the job's moment (159 MB at
/// its height, against 98 MB serving the portfolio). A part written stays written if a later
/// one fails: the next attempt keeps it and writes the rest.
pub async fn snapshot_all(db: &Db, day: NaiveDate, now: DateTime<Utc>) -> Result<u64> {
    snapshot_in_parts(db, day, now, SNAPSHOT_PART).await
}

async fn snapshot_in_parts(db: &Db, day: NaiveDate, now: DateTime<Utc>, part_size: usize) -> Result<u64> {
    let mut clients = store::list_active_clients(db, None, None).await?;
    clients.sort_by_key(|c| c.id);
    let mut written = 0;
    for part in clients.chunks(part_size) {
        let ids: Vec<i64> = part.iter().map(|c| c.id).collect();
        let inputs = load_inputs_of_part(db, &ids, now).await?;
        let snapshots: Vec<Snapshot> = part
            .iter()
            .map(|c| {
                let tier = ImpactTier::parse(&c.impact_tier).unwrap_or(ImpactTier::Standard);
                snapshot(c.id, &inputs.score(c.id, tier, now), inputs.hygiene(c.id, now), day, now)
            })
            .collect();
        written += store::insert_snapshots(db, &snapshots).await?;
    }
    Ok(written)
}

/// Clients per part of the day's snapshot (see [`snapshot_all`]).
const SNAPSHOT_PART: usize = 1000;

/// The time a control verified at `at` was verified before that, on its schedule.
fn previous_verification(review: ReviewFrequency, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match review {
        ReviewFrequency::Weekly => Some(at - Duration::days(7)),
        ReviewFrequency::Monthly => at.checked_sub_months(Months::new(1)),
        ReviewFrequency::Quarterly => at.checked_sub_months(Months::new(3)),
        ReviewFrequency::SemiAnnual => at.checked_sub_months(Months::new(6)),
        ReviewFrequency::Annual => at.checked_sub_months(Months::new(12)),
        ReviewFrequency::PerEvent => None,
    }
}

/// When a control's status changed, and to what.
type StatusChange = (DateTime<Utc>, ControlStatus);

/// One control of one client through time: its status changes and the times it was verified.
struct Timeline<'a> {
    control: &'a Control,
    changes: Vec<StatusChange>,
    verified: Vec<DateTime<Utc>>,
}

impl Timeline<'_> {
    fn at(&self, t: DateTime<Utc>) -> ScoreItem {
        let status = last_at(&self.changes, t, |c| c.0).map(|c| c.1).unwrap_or(ControlStatus::NotAssessed);
        let verified = last_at(&self.verified, t, |v| *v).copied();
        item(self.control, status, verified, t)
    }
}

/// The last element at or before `t` of a list sorted by time.
fn last_at<T>(sorted: &[T], t: DateTime<Utc>, time: impl Fn(&T) -> DateTime<Utc>) -> Option<&T> {
    let n = sorted.partition_point(|x| time(x) <= t);
    n.checked_sub(1).map(|i| &sorted[i])
}

/// Demo data only: a daily snapshot for each of the last `days` days (before today) of every
/// active client, reconstructed from its records: statuses from the control history, and
/// evidence assumed re-verified on schedule back from its last verification (the history keeps
/// status changes, not every re-verification); grants as granted and revoked, and reviews as of
/// the last one. Runs in one transaction; days already recorded are kept.
pub(crate) async fn backfill_demo_history(db: &Db, days: i64, now: DateTime<Utc>) -> Result<u64> {
    let clients = store::list_active_clients(db, None, None).await?;
    let ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let inputs = load_inputs(db, None, None, &ids, now, None).await?;
    let mut changes: HashMap<(i64, String), Vec<StatusChange>> = HashMap::new();
    for (client_id, control_id, at, status) in store::list_status_changes(db).await? {
        let status = ControlStatus::parse(&status).unwrap_or(ControlStatus::NotAssessed);
        changes.entry((client_id, control_id)).or_default().push((at, status));
    }
    let mut all_grants: HashMap<i64, Vec<Grant>> = HashMap::new();
    for grant in access::store::list_grants(db, GrantQuery { include_revoked: true, ..Default::default() }).await? {
        all_grants.entry(grant.client_id).or_default().push(grant);
    }
    let categories = inputs.category_ids();
    let mut snapshots = Vec::new();
    for client in &clients {
        let tier = ImpactTier::parse(&client.impact_tier).unwrap_or(ImpactTier::Standard);
        let states = inputs.states.get(&client.id).map(Vec::as_slice).unwrap_or(&[]);
        let timelines: Vec<Timeline> = inputs
            .catalog
            .iter()
            .enumerate()
            .filter_map(|(i, control)| {
                let state = states.iter().find(|s| s.control == i);
                if !controls::on_checklist(control, tier, state.is_some()) {
                    return None;
                }
                let changes = changes.remove(&(client.id, control.id.clone())).unwrap_or_default();
                let first = changes.first().map(|c| c.0);
                let mut verified: Vec<DateTime<Utc>> = changes.iter().map(|c| c.0).collect();
                let mut at = state.and_then(|s| s.last_verified_at);
                while let (Some(v), Some(first)) = (at, first) {
                    if v < first {
                        break;
                    }
                    verified.push(v);
                    at = previous_verification(control.review, v);
                }
                verified.sort();
                Some(Timeline { control, changes, verified })
            })
            .collect();
        let grants = all_grants.get(&client.id).map(Vec::as_slice).unwrap_or(&[]);
        for k in (1..=days).rev() {
            let t = now - Duration::days(k);
            if t < client.created_at {
                continue;
            }
            let items: Vec<ScoreItem> = timelines.iter().map(|tl| tl.at(t)).collect();
            // The grants as they stood at t.
            let held: Vec<Grant> = grants
                .iter()
                .filter(|g| g.granted_at <= t && g.revoked_at.is_none_or(|r| r > t))
                .map(|g| Grant {
                    revoked_at: None,
                    last_reviewed_at: g.last_reviewed_at.filter(|r| *r <= t),
                    ..g.clone()
                })
                .collect();
            let governance = governance_of(&held, &inputs.policy, t, 0, 0);
            let score = model::score(&items, &categories, &governance, &inputs.settings, t);
            snapshots.push(snapshot(
                client.id,
                &score,
                hygiene_of(&held, &inputs.policy, t),
                crate::clock::calendar().today(t),
                t,
            ));
        }
    }
    store::insert_snapshots(db, &snapshots).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Every score snapshot of `day`, without its day and time.
    async fn snapshots_of(db: &Db, day: NaiveDate) -> Vec<(i64, Option<i64>, Option<i64>, String, String, i64, i64)> {
        crate::on_pool!(db, |pool| {
            sqlx::query_as(
                "SELECT client_id, coverage, posture, band, categories, stale_controls, overdue_reviews \
                 FROM score_snapshots WHERE day = $1 ORDER BY client_id",
            )
            .bind(day)
            .fetch_all(pool)
            .await
            .unwrap()
        })
    }

    crate::contract_test!(a_snapshot_taken_in_parts_equals_one_taken_whole, |db| {
        crate::demo::fill(&db, crate::demo::DemoSize::Small, 5).await.unwrap();
        let now = crate::clock::now();
        let (whole, parts) =
            (NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2030, 1, 2).unwrap());
        let clients = store::list_active_clients(&db, None, None).await.unwrap().len();
        assert!(clients > 6, "several parts of three");
        assert_eq!(snapshot_in_parts(&db, whole, now, usize::MAX).await.unwrap(), clients as u64);
        assert_eq!(snapshot_in_parts(&db, parts, now, 3).await.unwrap(), clients as u64);
        let (a, b) = (snapshots_of(&db, whole).await, snapshots_of(&db, parts).await);
        assert_eq!(a.len(), clients);
        assert_eq!(a, b);
        assert!(a.iter().any(|s| s.1 != a[0].1), "the clients differ");
    });

    #[test]
    fn verification_steps_back_on_the_control_schedule() {
        let at = Utc.with_ymd_and_hms(2026, 5, 31, 9, 0, 0).unwrap();
        assert_eq!(previous_verification(ReviewFrequency::Weekly, at), Some(at - Duration::days(7)));
        assert_eq!(
            previous_verification(ReviewFrequency::Quarterly, at),
            Some(Utc.with_ymd_and_hms(2026, 2, 28, 9, 0, 0).unwrap())
        );
        assert_eq!(previous_verification(ReviewFrequency::PerEvent, at), None);
    }

    #[test]
    fn last_at_finds_the_latest_entry_not_after_the_time() {
        let t = |d| Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0).unwrap();
        let list = vec![t(1), t(5), t(9)];
        assert_eq!(last_at(&list, t(4), |x| *x), Some(&t(1)));
        assert_eq!(last_at(&list, t(5), |x| *x), Some(&t(5)));
        assert_eq!(last_at(&list, t(30), |x| *x), Some(&t(9)));
        assert_eq!(last_at(&list, Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), |x| *x), None);
    }

    #[test]
    fn the_ranking_keeps_what_explains_a_score_in_a_line() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let item = |id: &str, severity, status| ScoreItem {
            control_id: id.into(),
            title: format!("Control {id}"),
            category_id: "RA".into(),
            severity,
            status,
            stale: false,
        };
        // Nearly whole (a low band), with one gap, so that a leaver can raise the band.
        let items = [
            item("RA-01", 2, ControlStatus::Partial),
            item("RA-02", 5, ControlStatus::Implemented),
            item("RA-03", 5, ControlStatus::Implemented),
        ];
        let settings = ScoreSettings::default();
        let categories = vec!["RA".to_string()];
        let calm = model::score(&items, &categories, &Governance::default(), &settings, now);
        let kept = RankedScore::of(calm.clone());
        assert_eq!((kept.coverage, kept.posture, kept.band), (calm.coverage, calm.posture, calm.band));
        assert!(kept.raised.is_empty());
        assert_eq!(kept.top_gap.as_ref().map(|g| g.control_id.as_str()), Some("RA-01"), "the largest gap");
        assert_eq!(kept.reason(), Some(calm.gaps[0].describe()));

        // A leaver holding access long after leaving raises the band: that is the reason given.
        let leaver = LeaverAccess {
            technician_id: 1,
            name: "Ada".into(),
            t0: Some(now - Duration::days(settings.leaver_override_days + 10)),
            past_sla: true,
        };
        let governance = Governance { leavers: vec![leaver], ..Governance::default() };
        let raised = RankedScore::of(model::score(&items, &categories, &governance, &settings, now));
        assert!(!raised.raised.is_empty(), "the leaver raised the band");
        assert!(raised.reason().is_some_and(|r| r.starts_with("Band raised: leaver Ada")), "{:?}", raised.reason());
    }
}
