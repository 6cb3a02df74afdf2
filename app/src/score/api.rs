//! Score server functions: thin. Each gets the actor, calls one service, maps the result.

use super::types::{PortfolioScoreView, RankingView, ScoreSettingsView, ScoreView};
use crate::error::AppError;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Where a chart is served (the server crate routes these addresses).
pub fn client_chart_src(slug: &str, kind: &str) -> String {
    format!("/charts/clients/{slug}/{kind}.svg")
}

pub const HEATMAP_SRC: &str = "/charts/portfolio/heatmap.svg";

/// Clients per page of the full ranking.
pub const RANKING_PAGE_SIZE: usize = 100;

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use super::super::types::*;
    use crate::time::When;
    use domain::scoring::{model, Chart, PenaltyKind, RankedClient, Score};

    pub fn chart(chart: &Chart, src: String) -> ChartView {
        ChartView {
            kind: chart.kind.slug().into(),
            src,
            title: chart.title.clone(),
            description: chart.description.clone(),
            caption: chart.table.caption.clone(),
            headers: chart.table.headers.clone(),
            rows: chart.table.rows.clone(),
        }
    }

    /// A priority in hundredths as a number: "12.5", "10".
    pub fn priority(hundredths: i64) -> String {
        let whole = hundredths / 100;
        match hundredths % 100 {
            0 => whole.to_string(),
            r if r % 10 == 0 => format!("{whole}.{}", r / 10),
            r => format!("{whole}.{r:02}"),
        }
    }

    pub fn ranked(rank: usize, c: &RankedClient) -> RankedView {
        RankedView {
            rank,
            slug: c.slug.clone(),
            name: c.name.clone(),
            tier: c.impact_tier.as_str().into(),
            posture: c.score.posture,
            band: c.score.band.as_str().into(),
            band_label: c.score.band.label().into(),
            priority: c.priority_hundredths.map(priority),
            reason: c.score.reason(),
        }
    }

    pub fn penalties(score: &Score) -> Vec<PenaltyView> {
        score
            .penalties
            .iter()
            .map(|p| PenaltyView {
                label: p.kind.label().into(),
                count: p.count,
                points_each: p.points_each,
                cap: p.cap,
                points: p.points,
                capped: p.capped(),
                items: p.items.clone(),
                note: match p.kind {
                    PenaltyKind::LeaverPastSla => None,
                    PenaltyKind::OverdueReview => None,
                    PenaltyKind::KevPastSla => {
                        Some("Rampart has no source of known-exploited vulnerabilities yet, so this counts 0.".into())
                    }
                },
            })
            .collect()
    }

    pub fn when(at: chrono::DateTime<chrono::Utc>) -> When {
        When::of(at)
    }

    pub fn points(halves: i64) -> String {
        model::halves(halves)
    }
}

/// A client's score, its reasons in words and its charts.
/// A client's score and charts as one request read them (see [`crate::state::RequestKept`]):
/// the client page's hardening summary and its score both show them. Kept under (acting user,
/// client id).
#[cfg(feature = "ssr")]
pub type RequestScore = crate::state::RequestKept<(Option<i64>, i64), std::sync::Arc<KeptCharts>>;

#[cfg(feature = "ssr")]
type KeptCharts = (domain::scoring::ClientScore, Vec<domain::scoring::Chart>);

/// [`domain::scoring::client_charts_kept`], asked at most once per request and actor.
/// Read-only server functions only.
#[cfg(feature = "ssr")]
pub(crate) async fn client_score_for_request(
    db: &domain::Db,
    actor: &domain::Actor,
    client: &domain::clients::Client,
) -> Result<std::sync::Arc<KeptCharts>, AppError> {
    let read = async {
        Ok::<_, AppError>(domain::scoring::client_charts_kept(db, actor, client, domain::clock::now()).await?)
    };
    crate::state::kept_for_request((actor.user_id, client.id), read).await
}

#[server(prefix = "/api", endpoint = "score/client")]
pub async fn get_client_score(slug: String) -> Result<ScoreView, AppError> {
    use super::types::{ContributorView, OverrideView, TOP_CONTRIBUTORS};
    let (state, actor) = crate::auth::acting().await?;
    let db = &state.db;
    let client = crate::clients::api::client_for_request(db, &actor, &slug).await?;
    let kept = client_score_for_request(db, &actor, &client).await?;
    let (scored, charts) = &*kept;
    let s = &scored.score;
    let slug = scored.client.slug.clone();
    let tier = scored.client.impact_tier;
    Ok(ScoreView {
        coverage: s.coverage,
        posture: s.posture,
        band: s.band.as_str().into(),
        band_label: s.band.label().into(),
        band_by_posture_label: s.band_by_posture.label().into(),
        band_explanation: s.band_explanation(),
        overrides: s
            .overrides
            .iter()
            .map(|o| OverrideView { reason: o.reason.clone(), floor: o.floor.label().into(), raised: o.raised })
            .collect(),
        weight_total: s.weight_total,
        gap_points: convert::points(s.gap_halves()),
        applicable: s.applicable,
        not_applicable: s.not_applicable,
        stale: s.stale,
        contributors: s
            .gaps
            .iter()
            .take(TOP_CONTRIBUTORS)
            .map(|g| ContributorView {
                control_id: g.control_id.clone(),
                title: g.title.clone(),
                state: g.state_words(),
                severity: g.severity,
                gap: convert::points(g.gap_halves),
                cost: domain::scoring::model::tenths(g.cost_tenths),
                text: g.describe(),
            })
            .collect(),
        more_gaps: s.gaps.len().saturating_sub(TOP_CONTRIBUTORS),
        penalties: convert::penalties(s),
        penalty_points: s.penalty_points,
        priority: match (s.posture, scored.priority_hundredths) {
            (Some(p), Some(h)) => Some(format!(
                "(100 − {p}) × {} = {}",
                convert::priority(scored.settings.tier_pct(tier)),
                convert::priority(h)
            )),
            _ => None,
        },
        charts: charts.iter().map(|c| convert::chart(c, client_chart_src(&slug, c.kind.slug()))).collect(),
        slug,
    })
}

/// The portfolio's score sections.
#[server(prefix = "/api", endpoint = "score/portfolio")]
pub async fn get_portfolio_score() -> Result<PortfolioScoreView, AppError> {
    use super::types::{DebtView, ExpiringView, LeaverDebtView, PORTFOLIO_TOP};
    use domain::scoring::{self, Band};
    let (state, actor) = crate::auth::acting().await?;
    let now = domain::clock::now();
    let ranking = scoring::ranking(&state.db, &actor, now).await?;
    let debt = scoring::get_governance_debt(&state.db, &actor, now).await?;
    let rated: Vec<i64> = ranking.clients.iter().filter_map(|c| c.score.posture).collect();
    let average_posture = (!rated.is_empty()).then(|| {
        let n = rated.len() as i64;
        (2 * rated.iter().sum::<i64>() + n) / (2 * n)
    });
    let heatmap = ranking.heatmap();
    Ok(PortfolioScoreView {
        updating: ranking.updating,
        total: ranking.clients.len(),
        not_rated: ranking.clients.len() - rated.len(),
        average_posture,
        by_band: [Band::Critical, Band::High, Band::Moderate, Band::Low]
            .into_iter()
            .map(|b| {
                let n = ranking.clients.iter().filter(|c| c.score.band == b).count();
                (b.as_str().to_string(), b.label().to_string(), n)
            })
            .collect(),
        raised: ranking.clients.iter().filter(|c| !c.score.raised.is_empty()).count(),
        top: ranking.clients.iter().take(PORTFOLIO_TOP).enumerate().map(|(k, c)| convert::ranked(k + 1, c)).collect(),
        heatmap: convert::chart(heatmap, HEATMAP_SRC.into()),
        debt: DebtView {
            overdue_reviews: debt.overdue_reviews,
            leavers: debt
                .leavers_past_sla
                .into_iter()
                .map(|l| LeaverDebtView {
                    technician_id: l.technician_id,
                    name: l.name,
                    clients: l.clients,
                    grants: l.grants,
                    overdue_since: l.overdue_since.map(convert::when),
                })
                .collect(),
            stale_evidence: debt.stale_evidence,
            expiring: debt
                .expiring_exceptions
                .into_iter()
                .map(|e| ExpiringView {
                    client_slug: e.client_slug,
                    client_name: e.client_name,
                    control_id: e.control_id,
                    title: e.title,
                    expires: convert::when(e.expires_at),
                })
                .collect(),
            expiring_total: debt.expiring_total,
            expiring_days: scoring::EXPIRING_WITHIN_DAYS,
            meetings_next_week: debt.meetings_next_week.into_iter().map(|m| format!("{} {}", m.day, m.title)).collect(),
        },
    })
}

/// Every client the actor may see, ranked by priority, a page at a time.
#[server(prefix = "/api", endpoint = "score/ranking")]
pub async fn get_ranking(page: Option<u32>) -> Result<RankingView, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let ranking = domain::scoring::ranking(&state.db, &actor, domain::clock::now()).await?;
    let total = ranking.clients.len();
    let pages = total.div_ceil(RANKING_PAGE_SIZE).max(1) as u32;
    let page = page.unwrap_or(1).clamp(1, pages);
    let skip = (page as usize - 1) * RANKING_PAGE_SIZE;
    Ok(RankingView {
        updating: ranking.updating,
        items: ranking
            .clients
            .iter()
            .enumerate()
            .skip(skip)
            .take(RANKING_PAGE_SIZE)
            .map(|(k, c)| convert::ranked(k + 1, c))
            .collect(),
        total,
        page,
        pages,
    })
}

/// The score's settings in force (everyone may read how the score is computed).
#[server(prefix = "/api", endpoint = "score/settings")]
pub async fn get_score_settings() -> Result<ScoreSettingsView, AppError> {
    use super::types::SettingView;
    let (state, actor) = crate::auth::acting().await?;
    let (settings, changed) = domain::scoring::get_settings(&state.db, &actor).await?;
    Ok(ScoreSettingsView {
        settings: domain::scoring::SETTINGS
            .iter()
            .map(|spec| SettingView {
                key: spec.key.into(),
                label: spec.label.into(),
                help: spec.help.into(),
                value: settings.get(spec.key).unwrap_or(spec.default),
                default: spec.default,
                min: spec.min,
                max: spec.max,
            })
            .collect(),
        can_edit: actor.may(domain::Permission::ManageSettings),
        changed: changed.map(|(at, by)| (convert::when(at), by)),
    })
}

/// Changes the score's settings (admins). `values` maps each setting's key to its new value.
#[server(prefix = "/api", endpoint = "score/save_settings")]
pub async fn save_score_settings(values: BTreeMap<String, String>) -> Result<(), AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let values: Vec<(String, String)> = values.into_iter().collect();
    domain::scoring::save_settings(&state.db, &actor, &values, domain::clock::now()).await?;
    crate::flash::after_plain_post("Settings saved.").await;
    Ok(())
}
