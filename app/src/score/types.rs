//! What the score pages receive: only the fields they show.

use crate::time::When;
use serde::{Deserialize, Serialize};

/// A chart as a page shows it: the image's address, its title and text alternative, and its
/// numbers for the "Show the numbers" table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartView {
    pub kind: String,
    pub src: String,
    pub title: String,
    pub description: String,
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A control short of full credit, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorView {
    pub control_id: String,
    pub title: String,
    pub state: String,
    pub severity: i64,
    /// Gap points, wᵢ·(1 − sᵢ): "5", "2.5".
    pub gap: String,
    /// Points of coverage it costs: "2.6".
    pub cost: String,
    /// "RA-01 MFA on every remote access path not implemented: −5".
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyView {
    pub label: String,
    pub count: i64,
    pub points_each: i64,
    pub cap: i64,
    pub points: i64,
    pub capped: bool,
    /// Who or what each one is, when known (leavers' names).
    pub items: Vec<String>,
    /// Why the count is what it is, when that needs saying ("no review schedule yet").
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideView {
    pub reason: String,
    pub floor: String,
    pub raised: bool,
}

/// One client's score and what explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreView {
    pub slug: String,
    pub coverage: Option<i64>,
    pub posture: Option<i64>,
    /// "low", "moderate", "high", "critical", "not_rated".
    pub band: String,
    pub band_label: String,
    pub band_by_posture_label: String,
    pub band_explanation: Option<String>,
    pub overrides: Vec<OverrideView>,
    pub weight_total: i64,
    pub gap_points: String,
    pub applicable: usize,
    pub not_applicable: usize,
    pub stale: usize,
    /// The largest gaps first; at most [`TOP_CONTRIBUTORS`].
    pub contributors: Vec<ContributorView>,
    pub more_gaps: usize,
    pub penalties: Vec<PenaltyView>,
    pub penalty_points: i64,
    /// "(100 − 90) × 1.25 = 12.5", when rated.
    pub priority: Option<String>,
    pub charts: Vec<ChartView>,
}

/// How many gaps a client's page lists in words (the waterfall and its table hold them all).
pub const TOP_CONTRIBUTORS: usize = 5;

/// A client in the portfolio ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedView {
    pub rank: usize,
    pub slug: String,
    pub name: String,
    pub tier: String,
    pub posture: Option<i64>,
    pub band: String,
    pub band_label: String,
    /// "12.5"; `None` when not rated.
    pub priority: Option<String>,
    /// The largest reason in words: a raised band's reason, or the largest gap.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankingView {
    /// Scores are being recomputed after a change of every client's (settings, service levels,
    /// the catalog): those shown are from before it.
    pub updating: bool,
    pub items: Vec<RankedView>,
    pub total: usize,
    pub page: u32,
    pub pages: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaverDebtView {
    pub technician_id: i64,
    pub name: String,
    /// (slug, name).
    pub clients: Vec<(String, String)>,
    pub grants: usize,
    pub overdue_since: Option<When>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringView {
    pub client_slug: String,
    pub client_name: String,
    pub control_id: String,
    pub title: String,
    pub expires: When,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtView {
    pub overdue_reviews: i64,
    pub leavers: Vec<LeaverDebtView>,
    pub stale_evidence: i64,
    pub expiring: Vec<ExpiringView>,
    pub expiring_total: i64,
    pub expiring_days: i64,
    pub meetings_next_week: Vec<String>,
}

/// The portfolio's score sections: score figures, the ranking's top, the heatmap and governance
/// debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioScoreView {
    /// As [`RankingView::updating`].
    pub updating: bool,
    pub total: usize,
    pub not_rated: usize,
    pub average_posture: Option<i64>,
    /// (band, label, clients) from Critical to Low.
    pub by_band: Vec<(String, String, usize)>,
    /// Clients whose band an override raised.
    pub raised: usize,
    pub top: Vec<RankedView>,
    pub heatmap: ChartView,
    pub debt: DebtView,
}

/// How many clients the portfolio ranks on its own page (all of them on /portfolio/ranking).
pub const PORTFOLIO_TOP: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingView {
    pub key: String,
    pub label: String,
    pub help: String,
    pub value: i64,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreSettingsView {
    pub settings: Vec<SettingView>,
    pub can_edit: bool,
    /// When and by whom they were last changed; `None` while every setting is its default.
    pub changed: Option<(When, String)>,
}

impl ScoreSettingsView {
    pub fn value(&self, key: &str) -> i64 {
        self.settings.iter().find(|s| s.key == key).map(|s| s.value).unwrap_or(0)
    }
}
