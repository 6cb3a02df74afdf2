//! The score itself: the formula of docs/specs/scoring.md §5.4, pure and integer-only.
//!
//! For one client, over the controls on its checklist that apply (not applicable ones are left
//! out), with `w` the control's severity (1–5) and `s` its credit (1 implemented, ½ partial,
//! 0 not implemented or not assessed; stale evidence counts ½ at best):
//!
//! - Coverage = round(100 × Σw·s / Σw), a whole number 0–100 (halves round up);
//! - penalties: per leaver past the offboarding SLA, per overdue review, per KEV item open past
//!   its SLA, each kind capped;
//! - Posture = clamp(Coverage − penalties, 0, 100), the score;
//! - Band from Posture by thresholds, then raised by overrides: a severity-5 control at zero
//!   makes it at least High, several of them Critical, and a leaver who still holds access days
//!   after leaving at least High;
//! - Priority (portfolio ranking only) = (100 − Posture) × the impact tier's multiplier.
//!
//! Credits are counted in halves and multipliers in hundredths, so that everything is an exact
//! integer: Coverage and Posture are whole points (the formula rounds Coverage), a control's
//! share of the gap is kept in tenths of a point (for the waterfall), and Priority in
//! hundredths. Thresholds, penalties, caps and multipliers are settings ([`ScoreSettings`]).
//!
//! A client with no applicable control cannot be rated: it has no Coverage, no Posture and the
//! band "not rated" — unless an override applies, which sets the band it names.

use crate::clients::ImpactTier;
use crate::controls::ControlStatus;
use crate::error::FieldError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One setting of the score: its key (as stored), its default and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub default: i64,
    pub min: i64,
    pub max: i64,
}

const fn spec(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    default: i64,
    min: i64,
    max: i64,
) -> SettingSpec {
    SettingSpec { key, label, help, default, min, max }
}

/// Every setting, in the order the settings page shows them, with scoring.md's defaults.
pub const SETTINGS: [SettingSpec; 14] = [
    spec("band_low_min", "Low band from", "A posture at or above this is Low.", 90, 1, 100),
    spec("band_moderate_min", "Moderate band from", "At or above this (and below Low) is Moderate.", 75, 1, 100),
    spec(
        "band_high_min",
        "High band from",
        "At or above this (and below Moderate) is High; below it, Critical.",
        60,
        1,
        100,
    ),
    spec(
        "leaver_points",
        "Points per leaver past SLA",
        "Taken off for each technician still holding access here after the revocation deadline.",
        3,
        0,
        100,
    ),
    spec("leaver_cap", "Cap for leavers past SLA", "At most this many points for leavers.", 15, 0, 100),
    spec("review_points", "Points per overdue review", "Taken off for each overdue review of any kind.", 2, 0, 100),
    spec("review_cap", "Cap for overdue reviews", "At most this many points for overdue reviews.", 10, 0, 100),
    spec(
        "kev_points",
        "Points per KEV item past SLA",
        "Taken off for each known-exploited vulnerability open past its SLA.",
        2,
        0,
        100,
    ),
    spec("kev_cap", "Cap for KEV items", "At most this many points for KEV items.", 10, 0, 100),
    spec(
        "severity5_critical_count",
        "Severity-5 gaps that make Critical",
        "This many severity-5 controls at zero make the band Critical; one makes it at least High.",
        3,
        1,
        100,
    ),
    spec(
        "leaver_override_days",
        "Days after T0 that raise the band",
        "A leaver still holding access more than this many days after T0 makes the band at least High.",
        7,
        0,
        365,
    ),
    spec(
        "tier_standard_pct",
        "Standard tier multiplier (%)",
        "Priority = (100 − posture) × this / 100.",
        100,
        100,
        1000,
    ),
    spec("tier_sensitive_pct", "Sensitive tier multiplier (%)", "For sensitive or regulated data.", 125, 100, 1000),
    spec("tier_critical_pct", "Critical tier multiplier (%)", "For critical operations.", 150, 100, 1000),
];

/// The settings in force: every [`SETTINGS`] key with its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreSettings {
    pub band_low_min: i64,
    pub band_moderate_min: i64,
    pub band_high_min: i64,
    pub leaver_points: i64,
    pub leaver_cap: i64,
    pub review_points: i64,
    pub review_cap: i64,
    pub kev_points: i64,
    pub kev_cap: i64,
    pub severity5_critical_count: i64,
    pub leaver_override_days: i64,
    pub tier_standard_pct: i64,
    pub tier_sensitive_pct: i64,
    pub tier_critical_pct: i64,
}

impl Default for ScoreSettings {
    fn default() -> Self {
        let mut settings = ScoreSettings {
            band_low_min: 0,
            band_moderate_min: 0,
            band_high_min: 0,
            leaver_points: 0,
            leaver_cap: 0,
            review_points: 0,
            review_cap: 0,
            kev_points: 0,
            kev_cap: 0,
            severity5_critical_count: 0,
            leaver_override_days: 0,
            tier_standard_pct: 0,
            tier_sensitive_pct: 0,
            tier_critical_pct: 0,
        };
        for spec in SETTINGS {
            settings.set(spec.key, spec.default);
        }
        settings
    }
}

impl ScoreSettings {
    fn slot(&mut self, key: &str) -> Option<&mut i64> {
        Some(match key {
            "band_low_min" => &mut self.band_low_min,
            "band_moderate_min" => &mut self.band_moderate_min,
            "band_high_min" => &mut self.band_high_min,
            "leaver_points" => &mut self.leaver_points,
            "leaver_cap" => &mut self.leaver_cap,
            "review_points" => &mut self.review_points,
            "review_cap" => &mut self.review_cap,
            "kev_points" => &mut self.kev_points,
            "kev_cap" => &mut self.kev_cap,
            "severity5_critical_count" => &mut self.severity5_critical_count,
            "leaver_override_days" => &mut self.leaver_override_days,
            "tier_standard_pct" => &mut self.tier_standard_pct,
            "tier_sensitive_pct" => &mut self.tier_sensitive_pct,
            "tier_critical_pct" => &mut self.tier_critical_pct,
            _ => return None,
        })
    }

    /// The value of a setting; `None` for an unknown key.
    pub fn get(&self, key: &str) -> Option<i64> {
        self.clone().slot(key).map(|v| *v)
    }

    /// Sets a known key; an unknown key is ignored (a setting dropped by a later version).
    pub fn set(&mut self, key: &str, value: i64) {
        if let Some(slot) = self.slot(key) {
            *slot = value;
        }
    }

    /// Every problem with these values, keyed by setting: each within its limits, and the band
    /// thresholds in order (High below Moderate below Low).
    pub fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for spec in SETTINGS {
            let value = self.get(spec.key).unwrap_or(spec.default);
            if value < spec.min || value > spec.max {
                errors.push(FieldError::new(
                    spec.key,
                    format!("Enter a whole number from {} to {}.", spec.min, spec.max),
                ));
            }
        }
        if errors.is_empty()
            && !(self.band_high_min < self.band_moderate_min && self.band_moderate_min < self.band_low_min)
        {
            errors.push(FieldError::new(
                "band_moderate_min",
                "The thresholds must rise: High below Moderate, Moderate below Low.",
            ));
        }
        errors
    }

    /// The impact tier's multiplier of the priority, in hundredths.
    pub fn tier_pct(&self, tier: ImpactTier) -> i64 {
        match tier {
            ImpactTier::Standard => self.tier_standard_pct,
            ImpactTier::Sensitive => self.tier_sensitive_pct,
            ImpactTier::Critical => self.tier_critical_pct,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Band {
    Low,
    Moderate,
    High,
    Critical,
    /// No applicable control: nothing to rate.
    NotRated,
}

impl Band {
    pub const ALL: [Band; 5] = [Band::Low, Band::Moderate, Band::High, Band::Critical, Band::NotRated];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Moderate => "moderate",
            Band::High => "high",
            Band::Critical => "critical",
            Band::NotRated => "not_rated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Low => "Low",
            Band::Moderate => "Moderate",
            Band::High => "High",
            Band::Critical => "Critical",
            Band::NotRated => "Not rated",
        }
    }

    pub fn parse(s: &str) -> Option<Band> {
        Band::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// How bad the band is (Low 0 … Critical 3); a client not rated has no rank.
    pub fn rank(self) -> Option<u8> {
        match self {
            Band::Low => Some(0),
            Band::Moderate => Some(1),
            Band::High => Some(2),
            Band::Critical => Some(3),
            Band::NotRated => None,
        }
    }

    /// This band, or `floor` if that is worse (an override: "at least High").
    pub fn at_least(self, floor: Band) -> Band {
        match (self.rank(), floor.rank()) {
            (Some(a), Some(b)) if a >= b => self,
            (_, Some(_)) => floor,
            (_, None) => self,
        }
    }

    /// The band of a posture under the settings' thresholds.
    pub fn of_posture(posture: i64, settings: &ScoreSettings) -> Band {
        if posture >= settings.band_low_min {
            Band::Low
        } else if posture >= settings.band_moderate_min {
            Band::Moderate
        } else if posture >= settings.band_high_min {
            Band::High
        } else {
            Band::Critical
        }
    }
}

/// One control on the client's checklist, as the score sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreItem {
    pub control_id: String,
    pub title: String,
    pub category_id: String,
    /// The weight: the catalog severity, 1–5.
    pub severity: i64,
    pub status: ControlStatus,
    /// The evidence is past its re-verification time (the controls module's freshness).
    pub stale: bool,
}

impl ScoreItem {
    pub fn applicable(&self) -> bool {
        self.status != ControlStatus::NotApplicable
    }

    /// The credit sᵢ in halves: 2 implemented, 1 partial, 0 otherwise; stale evidence caps at 1.
    pub fn credit_halves(&self) -> i64 {
        let base = match self.status {
            ControlStatus::Implemented => 2,
            ControlStatus::Partial => 1,
            _ => 0,
        };
        if self.stale {
            base.min(1)
        } else {
            base
        }
    }

    /// wᵢ·(1 − sᵢ), in halves.
    pub fn gap_halves(&self) -> i64 {
        self.severity * (2 - self.credit_halves())
    }
}

/// A technician who is leaving or gone and still holds active access at the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaverAccess {
    pub technician_id: i64,
    pub name: String,
    /// T0 of the offboarding, once it started.
    pub t0: Option<DateTime<Utc>>,
    /// A grant of theirs here is past its revocation deadline (the finding "revocation overdue").
    pub past_sla: bool,
}

/// What one client's score is computed from, besides its checklist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Governance {
    /// One per distinct technician.
    pub leavers: Vec<LeaverAccess>,
    /// Overdue reviews of any kind (access review, quarterly review, re-verification).
    pub overdue_reviews: i64,
    /// Known-exploited vulnerabilities open past their SLA.
    pub kev_items: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PenaltyKind {
    LeaverPastSla,
    OverdueReview,
    KevPastSla,
}

impl PenaltyKind {
    pub fn label(self) -> &'static str {
        match self {
            PenaltyKind::LeaverPastSla => "Leavers past the offboarding SLA",
            PenaltyKind::OverdueReview => "Overdue reviews",
            PenaltyKind::KevPastSla => "KEV items open past their SLA",
        }
    }
}

/// One kind of operational penalty: how many, points each, and the points after the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Penalty {
    pub kind: PenaltyKind,
    pub count: i64,
    pub points_each: i64,
    pub cap: i64,
    /// min(count × points each, cap).
    pub points: i64,
    /// Who or what each one is (a leaver's name), when known.
    pub items: Vec<String>,
}

impl Penalty {
    pub fn capped(&self) -> bool {
        self.count * self.points_each > self.cap
    }
}

/// A control's part of the gap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub control_id: String,
    pub title: String,
    pub category_id: String,
    pub severity: i64,
    pub status: ControlStatus,
    pub stale: bool,
    /// wᵢ·(1 − sᵢ) in halves ("gap points": 5 for a missing severity-5 control).
    pub gap_halves: i64,
    /// The points of coverage it costs, 100·wᵢ·(1 − sᵢ)/Σw, in tenths (rounded).
    pub cost_tenths: i64,
}

impl Gap {
    /// "not implemented", "partial", "implemented, evidence stale (counts as partial)" …
    pub fn state_words(&self) -> String {
        let status = self.status.label().to_lowercase();
        match (self.stale, self.status) {
            (true, ControlStatus::Implemented) => "implemented, but the evidence is stale (counts as partial)".into(),
            (true, _) => format!("{status}, evidence stale"),
            (false, _) => status,
        }
    }

    /// The contributor in words: "RA-01 MFA on every remote access path not implemented: −5".
    pub fn describe(&self) -> String {
        format!("{} {} {}: −{}", self.control_id, self.title, self.state_words(), halves(self.gap_halves))
    }
}

/// An override that applies, with the band it asks for and whether it changed the band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub floor: Band,
    pub reason: String,
    /// False when the band was already at least `floor`.
    pub raised: bool,
}

/// A category's coverage, by the same formula within the category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryScore {
    pub category_id: String,
    /// `None` when no control of the category applies.
    pub coverage: Option<i64>,
    pub applicable: usize,
    pub weight: i64,
    pub achieved_halves: i64,
}

/// One client's score, with everything that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub coverage: Option<i64>,
    pub posture: Option<i64>,
    /// The band after overrides.
    pub band: Band,
    /// The band by thresholds alone.
    pub band_by_posture: Band,
    /// Σw over applicable controls.
    pub weight_total: i64,
    /// Σw·s in halves.
    pub achieved_halves: i64,
    pub applicable: usize,
    pub not_applicable: usize,
    pub stale: usize,
    /// Every control short of full credit, largest gap first.
    pub gaps: Vec<Gap>,
    /// Every penalty kind, also those at zero (so that the page can say so).
    pub penalties: Vec<Penalty>,
    /// Points taken off coverage, after caps.
    pub penalty_points: i64,
    pub overrides: Vec<Override>,
    pub categories: Vec<CategoryScore>,
}

impl Score {
    /// GapPts = Σw·(1 − s), in halves.
    pub fn gap_halves(&self) -> i64 {
        2 * self.weight_total - self.achieved_halves
    }

    pub fn penalty(&self, kind: PenaltyKind) -> Option<&Penalty> {
        self.penalties.iter().find(|p| p.kind == kind)
    }

    pub fn category(&self, id: &str) -> Option<&CategoryScore> {
        self.categories.iter().find(|c| c.category_id == id)
    }

    /// The sentence of scoring.md's worked example: "Band raised: RA-01 … (−5 pts); leaver … (−3)".
    pub fn band_explanation(&self) -> Option<String> {
        let raised: Vec<&Override> = self.overrides.iter().filter(|o| o.raised).collect();
        if raised.is_empty() {
            return None;
        }
        let reasons: Vec<&str> = raised.iter().map(|o| o.reason.as_str()).collect();
        Some(format!(
            "Band raised from {} to {}: {}.",
            self.band_by_posture.label(),
            self.band.label(),
            reasons.join("; ")
        ))
    }
}

/// A count of halves as a number of points: 5, 2.5.
pub fn halves(h: i64) -> String {
    if h % 2 == 0 {
        format!("{}", h / 2)
    } else {
        format!("{}.5", h / 2)
    }
}

/// A count of tenths as a number of points: 2.6, 12.
pub fn tenths(t: i64) -> String {
    let sign = if t < 0 { "-" } else { "" };
    let t = t.abs();
    if t % 10 == 0 {
        format!("{sign}{}", t / 10)
    } else {
        format!("{sign}{}.{}", t / 10, t % 10)
    }
}

/// round(100 × achieved / (2 × weight)) with halves rounded up; `None` for no weight.
fn coverage_of(achieved_halves: i64, weight: i64) -> Option<i64> {
    (weight > 0).then(|| (100 * achieved_halves + weight) / (2 * weight))
}

/// round(1000 × gap / (2 × total)), halves up: a gap's cost in tenths of a point.
fn cost_tenths(gap_halves: i64, weight_total: i64) -> i64 {
    if weight_total == 0 {
        0
    } else {
        (1000 * gap_halves + weight_total) / (2 * weight_total)
    }
}

/// The score of one client at `now` (which decides how long a leaver has held access).
/// `categories` gives the category order of the result.
pub fn score(
    items: &[ScoreItem],
    categories: &[String],
    governance: &Governance,
    settings: &ScoreSettings,
    now: DateTime<Utc>,
) -> Score {
    let applicable: Vec<&ScoreItem> = items.iter().filter(|i| i.applicable()).collect();
    let weight_total: i64 = applicable.iter().map(|i| i.severity).sum();
    let achieved_halves: i64 = applicable.iter().map(|i| i.severity * i.credit_halves()).sum();
    let coverage = coverage_of(achieved_halves, weight_total);

    let mut gaps: Vec<Gap> = applicable
        .iter()
        .filter(|i| i.gap_halves() > 0)
        .map(|i| Gap {
            control_id: i.control_id.clone(),
            title: i.title.clone(),
            category_id: i.category_id.clone(),
            severity: i.severity,
            status: i.status,
            stale: i.stale,
            gap_halves: i.gap_halves(),
            cost_tenths: cost_tenths(i.gap_halves(), weight_total),
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.gap_halves.cmp(&a.gap_halves).then(b.severity.cmp(&a.severity)).then(a.control_id.cmp(&b.control_id))
    });

    let past_sla: Vec<String> = governance.leavers.iter().filter(|l| l.past_sla).map(|l| l.name.clone()).collect();
    let penalty = |kind, count: i64, points_each: i64, cap: i64, items: Vec<String>| Penalty {
        kind,
        count,
        points_each,
        cap,
        points: (count.max(0) * points_each).min(cap),
        items,
    };
    let penalties = vec![
        penalty(
            PenaltyKind::LeaverPastSla,
            past_sla.len() as i64,
            settings.leaver_points,
            settings.leaver_cap,
            past_sla,
        ),
        penalty(
            PenaltyKind::OverdueReview,
            governance.overdue_reviews,
            settings.review_points,
            settings.review_cap,
            Vec::new(),
        ),
        penalty(PenaltyKind::KevPastSla, governance.kev_items, settings.kev_points, settings.kev_cap, Vec::new()),
    ];
    let penalty_points: i64 = penalties.iter().map(|p| p.points).sum();
    let posture = coverage.map(|c| (c - penalty_points).clamp(0, 100));
    let band_by_posture = posture.map(|p| Band::of_posture(p, settings)).unwrap_or(Band::NotRated);

    // Overrides, each an explicit reason.
    let mut floors: Vec<(Band, String)> = Vec::new();
    let zero_sev5: Vec<&ScoreItem> =
        applicable.iter().copied().filter(|i| i.severity == 5 && i.credit_halves() == 0).collect();
    if !zero_sev5.is_empty() && zero_sev5.len() as i64 >= settings.severity5_critical_count {
        let ids: Vec<&str> = zero_sev5.iter().map(|i| i.control_id.as_str()).collect();
        floors.push((Band::Critical, format!("{} severity-5 controls at zero ({})", zero_sev5.len(), ids.join(", "))));
    } else {
        for i in &zero_sev5 {
            floors.push((
                Band::High,
                format!("{} {} {} (severity 5, −5 pts)", i.control_id, i.title, i.status.label().to_lowercase()),
            ));
        }
    }
    let grace = Duration::days(settings.leaver_override_days);
    for leaver in &governance.leavers {
        if let Some(t0) = leaver.t0.filter(|t0| now > *t0 + grace) {
            let days = (now - t0).num_days();
            floors.push((Band::High, format!("leaver {} still holds access {days} days after leaving", leaver.name)));
        }
    }
    let mut band = band_by_posture;
    let mut overrides = Vec::new();
    for (floor, reason) in floors {
        let raised_band = band.at_least(floor);
        overrides.push(Override { floor, reason, raised: raised_band != band });
        band = raised_band;
    }

    let categories = categories
        .iter()
        .map(|id| {
            let within: Vec<&&ScoreItem> = applicable.iter().filter(|i| &i.category_id == id).collect();
            let weight: i64 = within.iter().map(|i| i.severity).sum();
            let achieved: i64 = within.iter().map(|i| i.severity * i.credit_halves()).sum();
            CategoryScore {
                category_id: id.clone(),
                coverage: coverage_of(achieved, weight),
                applicable: within.len(),
                weight,
                achieved_halves: achieved,
            }
        })
        .collect();

    Score {
        coverage,
        posture,
        band,
        band_by_posture,
        weight_total,
        achieved_halves,
        applicable: applicable.len(),
        not_applicable: items.len() - applicable.len(),
        stale: applicable.iter().filter(|i| i.stale).count(),
        gaps,
        penalties,
        penalty_points,
        overrides,
        categories,
    }
}

/// Priority(c) = (100 − Posture) × ImpactTier, in hundredths; `None` for a client not rated.
pub fn priority_hundredths(posture: Option<i64>, tier: ImpactTier, settings: &ScoreSettings) -> Option<i64> {
    posture.map(|p| (100 - p) * settings.tier_pct(tier))
}

/// One step of the waterfall from 100 down to the posture, in tenths of a point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub label: String,
    /// Negative for what is taken off.
    pub delta_tenths: i64,
}

/// The waterfall that explains a posture: 100, minus each of the `shown` largest gaps, minus
/// the other gaps together, the rounding to a whole coverage, minus each penalty kind, and the
/// clamp at zero. The deltas add up to exactly Posture − 100. Empty for a client not rated.
pub fn waterfall(score: &Score, shown: usize) -> Vec<Step> {
    let (Some(coverage), Some(posture)) = (score.coverage, score.posture) else { return Vec::new() };
    let mut steps = Vec::new();
    for gap in score.gaps.iter().take(shown) {
        steps.push(Step { label: format!("{} {}", gap.control_id, gap.title), delta_tenths: -gap.cost_tenths });
    }
    let rest: Vec<&Gap> = score.gaps.iter().skip(shown).collect();
    if !rest.is_empty() {
        steps.push(Step {
            label: format!("{} other gaps", rest.len()),
            delta_tenths: -rest.iter().map(|g| g.cost_tenths).sum::<i64>(),
        });
    }
    let so_far: i64 = steps.iter().map(|s| s.delta_tenths).sum();
    let rounding = (10 * coverage - 1000) - so_far;
    if rounding != 0 {
        steps.push(Step { label: "Rounding to a whole coverage".into(), delta_tenths: rounding });
    }
    for p in score.penalties.iter().filter(|p| p.points > 0) {
        steps.push(Step { label: p.kind.label().into(), delta_tenths: -10 * p.points });
    }
    let clamp = 10 * (posture - (coverage - score.penalty_points));
    if clamp != 0 {
        steps.push(Step { label: "Floor at zero".into(), delta_tenths: clamp });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoRng;
    use chrono::TimeZone;
    use ControlStatus as S;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
    }

    fn item(id: &str, severity: i64, status: ControlStatus) -> ScoreItem {
        ScoreItem {
            control_id: id.into(),
            title: format!("Control {id}"),
            category_id: id.split('-').next().unwrap_or("XX").into(),
            severity,
            status,
            stale: false,
        }
    }

    fn cats() -> Vec<String> {
        ["RA", "IA", "PC", "BR", "ZZ"].iter().map(|s| s.to_string()).collect()
    }

    fn run(items: &[ScoreItem], governance: &Governance) -> Score {
        score(items, &cats(), governance, &ScoreSettings::default(), now())
    }

    /// scoring.md's worked example: 50 applicable controls with Σw = 190; RA-01 missing (5),
    /// BR-05 and PC-03 partial (2.5 each), IA-05 missing (3); one leaver past SLA.
    fn worked_example() -> Vec<ScoreItem> {
        let mut items = vec![
            item("RA-01", 5, S::NotImplemented),
            item("BR-05", 5, S::Partial),
            item("PC-03", 5, S::Partial),
            item("IA-05", 3, S::NotImplemented),
        ];
        // 46 more, all implemented, bringing Σw to 190: 172 = 34 × 4 + 12 × 3.
        for n in 0..46 {
            let severity = if n < 34 { 4 } else { 3 };
            items.push(item(&format!("ZZ-{n:02}"), severity, S::Implemented));
        }
        items
    }

    fn leaver(name: &str, t0_days_ago: i64, past_sla: bool) -> LeaverAccess {
        LeaverAccess {
            technician_id: t0_days_ago,
            name: name.into(),
            t0: Some(now() - Duration::days(t0_days_ago)),
            past_sla,
        }
    }

    #[test]
    fn the_worked_example_of_scoring_md_scores_93_then_90_low_raised_to_high() {
        let items = worked_example();
        assert_eq!(items.len(), 50);
        let governance = Governance { leavers: vec![leaver("J. Doe", 2, true)], ..Default::default() };
        let s = run(&items, &governance);
        assert_eq!(s.weight_total, 190);
        assert_eq!(s.gap_halves(), 26, "GapPts = 13");
        assert_eq!(s.coverage, Some(93), "round(100 × 177 / 190)");
        assert_eq!(s.penalty_points, 3);
        assert_eq!(s.posture, Some(90));
        assert_eq!(s.band_by_posture, Band::Low);
        assert_eq!(s.band, Band::High, "RA-01 (severity 5) at zero raises the band");
        let explained = s.band_explanation().unwrap();
        assert!(
            explained.starts_with("Band raised from Low to High: RA-01 Control RA-01 not implemented"),
            "{explained}"
        );
        let words: Vec<String> = s.gaps.iter().map(Gap::describe).collect();
        assert_eq!(
            words,
            vec![
                "RA-01 Control RA-01 not implemented: −5",
                "IA-05 Control IA-05 not implemented: −3",
                "BR-05 Control BR-05 partial: −2.5",
                "PC-03 Control PC-03 partial: −2.5",
            ]
        );
        let leavers = s.penalty(PenaltyKind::LeaverPastSla).unwrap();
        assert_eq!((leavers.count, leavers.points, leavers.items.clone()), (1, 3, vec!["J. Doe".to_string()]));
    }

    #[test]
    fn coverage_rounds_halves_up() {
        // 1 of 2 weight units at half credit: 100 × 1 / 4 = 25 exactly; 1/8 = 12.5 → 13.
        let items = vec![item("RA-01", 1, S::Partial), item("RA-02", 1, S::NotImplemented)];
        assert_eq!(run(&items, &Governance::default()).coverage, Some(25));
        let items = vec![item("RA-01", 1, S::Partial), item("RA-02", 3, S::NotImplemented)];
        assert_eq!(run(&items, &Governance::default()).coverage, Some(13));
    }

    #[test]
    fn no_applicable_control_means_not_rated_and_no_priority() {
        for items in [vec![], vec![item("RA-01", 5, S::NotApplicable), item("IA-01", 4, S::NotApplicable)]] {
            let s = run(&items, &Governance::default());
            assert_eq!((s.coverage, s.posture, s.band), (None, None, Band::NotRated));
            assert!(s.gaps.is_empty() && s.overrides.is_empty());
            assert!(waterfall(&s, 5).is_empty());
            assert_eq!(priority_hundredths(s.posture, ImpactTier::Critical, &ScoreSettings::default()), None);
            assert!(s.categories.iter().all(|c| c.coverage.is_none()));
        }
    }

    #[test]
    fn an_override_still_sets_the_band_of_a_client_not_rated() {
        let governance = Governance { leavers: vec![leaver("Elena Rossi", 9, true)], ..Default::default() };
        let s = run(&[item("RA-01", 5, S::NotApplicable)], &governance);
        assert_eq!((s.posture, s.band_by_posture, s.band), (None, Band::NotRated, Band::High));
    }

    #[test]
    fn not_applicable_controls_leave_the_sums() {
        let items = vec![item("RA-01", 5, S::Implemented), item("RA-02", 4, S::NotApplicable)];
        let s = run(&items, &Governance::default());
        assert_eq!((s.weight_total, s.coverage, s.applicable, s.not_applicable), (5, Some(100), 1, 1));
    }

    #[test]
    fn not_assessed_counts_as_zero_and_triggers_the_severity_5_override() {
        let mut items = vec![item("RA-01", 5, S::NotAssessed)];
        items.extend((0..19).map(|n| item(&format!("ZZ-{n}"), 5, S::Implemented)));
        let s = run(&items, &Governance::default());
        assert_eq!((s.coverage, s.band_by_posture, s.band), (Some(95), Band::Low, Band::High));
    }

    #[test]
    fn stale_evidence_counts_as_partial_at_best() {
        let fresh = item("RA-01", 4, S::Implemented);
        let stale = ScoreItem { stale: true, ..fresh.clone() };
        assert_eq!((fresh.credit_halves(), stale.credit_halves()), (2, 1));
        let stale_partial = ScoreItem { stale: true, ..item("RA-01", 4, S::Partial) };
        assert_eq!(stale_partial.credit_halves(), 1, "partial stays partial");
        let stale_missing = ScoreItem { stale: true, ..item("RA-01", 4, S::NotImplemented) };
        assert_eq!(stale_missing.credit_halves(), 0);
        let s = run(&[stale], &Governance::default());
        assert_eq!((s.coverage, s.stale), (Some(50), 1));
        assert_eq!(
            s.gaps[0].describe(),
            "RA-01 Control RA-01 implemented, but the evidence is stale (counts as partial): −2"
        );
    }

    #[test]
    fn all_stale_caps_coverage_at_half() {
        let items: Vec<ScoreItem> = (0..10)
            .map(|n| ScoreItem { stale: true, ..item(&format!("IA-{n:02}"), 1 + n % 5, S::Implemented) })
            .collect();
        let s = run(&items, &Governance::default());
        assert_eq!((s.coverage, s.posture, s.band, s.stale), (Some(50), Some(50), Band::Critical, 10));
    }

    #[test]
    fn penalties_are_capped_and_posture_never_goes_below_zero() {
        let leavers: Vec<LeaverAccess> = (0..7).map(|n| leaver(&format!("Leaver {n}"), 1, true)).collect();
        let governance = Governance { leavers, overdue_reviews: 9, kev_items: 1 };
        let s = run(&[item("RA-01", 3, S::Implemented)], &governance);
        let points: Vec<(i64, i64, bool)> = s.penalties.iter().map(|p| (p.count, p.points, p.capped())).collect();
        assert_eq!(points, vec![(7, 15, true), (9, 10, true), (1, 2, false)], "21 → 15, 18 → 10, 2");
        assert_eq!((s.coverage, s.penalty_points, s.posture), (Some(100), 27, Some(73)));
        let s = run(&[item("RA-01", 3, S::Partial)], &governance);
        assert_eq!((s.coverage, s.posture), (Some(50), Some(23)));
        let s = run(&[item("RA-01", 3, S::NotImplemented)], &governance);
        assert_eq!((s.coverage, s.posture), (Some(0), Some(0)), "clamped at zero");
        let steps = waterfall(&s, 5);
        assert_eq!(steps.iter().map(|s| s.delta_tenths).sum::<i64>(), -1000);
        assert_eq!(steps.last().map(|s| (s.label.as_str(), s.delta_tenths)), Some(("Floor at zero", 270)));
    }

    #[test]
    fn leavers_count_once_each_and_only_past_sla() {
        let governance = Governance {
            leavers: vec![leaver("Within SLA", 0, false), leaver("Past SLA", 2, true)],
            ..Default::default()
        };
        let s = run(&[item("RA-01", 3, S::Implemented)], &governance);
        assert_eq!(s.penalty(PenaltyKind::LeaverPastSla).map(|p| p.count), Some(1));
        assert_eq!(s.posture, Some(97));
    }

    #[test]
    fn band_thresholds_follow_the_settings() {
        let d = ScoreSettings::default();
        let bands: Vec<Band> = [100, 90, 89, 75, 74, 60, 59, 0].iter().map(|p| Band::of_posture(*p, &d)).collect();
        use Band::*;
        assert_eq!(bands, vec![Low, Low, Moderate, Moderate, High, High, Critical, Critical]);
        let strict = ScoreSettings { band_low_min: 95, ..d };
        assert_eq!(Band::of_posture(90, &strict), Moderate);
    }

    #[test]
    fn three_severity_5_gaps_make_critical_and_fewer_make_high() {
        let mut items: Vec<ScoreItem> = (0..40).map(|n| item(&format!("ZZ-{n}"), 5, S::Implemented)).collect();
        items.push(item("RA-01", 5, S::NotImplemented));
        items.push(item("PA-01", 5, S::NotAssessed));
        let two = run(&items, &Governance::default());
        assert_eq!((two.posture, two.band_by_posture, two.band), (Some(95), Band::Low, Band::High));
        assert_eq!(two.overrides.len(), 2);
        items.push(item("BR-03", 5, S::NotImplemented));
        let three = run(&items, &Governance::default());
        assert_eq!(three.band, Band::Critical);
        assert_eq!(three.overrides.len(), 1);
        assert!(three.overrides[0].reason.contains("3 severity-5 controls at zero (RA-01, PA-01, BR-03)"));
        let partial = ScoreItem { status: S::Partial, ..items.pop().unwrap() };
        items.push(partial);
        assert_eq!(run(&items, &Governance::default()).band, Band::High, "a partial control is not at zero");
    }

    #[test]
    fn a_leaver_holding_access_past_the_grace_days_makes_at_least_high() {
        let items: Vec<ScoreItem> = (0..10).map(|n| item(&format!("ZZ-{n}"), 4, S::Implemented)).collect();
        let at = |days| Governance { leavers: vec![leaver("Tom", days, false)], ..Default::default() };
        assert_eq!(run(&items, &at(7)).band, Band::Low, "exactly 7 days is not past 7");
        let late = run(&items, &at(8));
        assert_eq!(late.band, Band::High);
        assert_eq!(
            late.band_explanation().unwrap(),
            "Band raised from Low to High: leaver Tom still holds access 8 days after leaving."
        );
        let not_left = Governance {
            leavers: vec![LeaverAccess { technician_id: 1, name: "Soon".into(), t0: None, past_sla: false }],
            ..Default::default()
        };
        assert_eq!(run(&items, &not_left).band, Band::Low);
    }

    #[test]
    fn an_override_that_changes_nothing_is_listed_but_not_raised() {
        let items = vec![item("RA-01", 5, S::NotImplemented), item("RA-02", 1, S::Implemented)];
        let s = run(&items, &Governance::default());
        assert_eq!((s.band_by_posture, s.band), (Band::Critical, Band::Critical));
        assert_eq!(s.overrides.len(), 1);
        assert!(!s.overrides[0].raised);
        assert_eq!(s.band_explanation(), None);
    }

    #[test]
    fn categories_use_the_same_formula_within_each_category() {
        let items = vec![
            item("RA-01", 5, S::Implemented),
            item("RA-02", 5, S::Partial),
            item("IA-01", 4, S::NotImplemented),
            item("PC-01", 3, S::NotApplicable),
        ];
        let s = run(&items, &Governance::default());
        let by_id = |id: &str| s.category(id).and_then(|c| c.coverage);
        assert_eq!((by_id("RA"), by_id("IA"), by_id("PC"), by_id("BR")), (Some(75), Some(0), None, None));
    }

    #[test]
    fn priority_weighs_the_gap_by_the_impact_tier() {
        let d = ScoreSettings::default();
        assert_eq!(priority_hundredths(Some(90), ImpactTier::Standard, &d), Some(1000));
        assert_eq!(priority_hundredths(Some(90), ImpactTier::Sensitive, &d), Some(1250));
        assert_eq!(priority_hundredths(Some(90), ImpactTier::Critical, &d), Some(1500));
        assert_eq!(priority_hundredths(Some(100), ImpactTier::Critical, &d), Some(0));
    }

    #[test]
    fn the_waterfall_adds_up_to_the_posture() {
        let governance = Governance { leavers: vec![leaver("J. Doe", 2, true)], overdue_reviews: 1, kev_items: 0 };
        let s = run(&worked_example(), &governance);
        let steps = waterfall(&s, 2);
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "RA-01 Control RA-01",
                "IA-05 Control IA-05",
                "2 other gaps",
                "Rounding to a whole coverage",
                "Leavers past the offboarding SLA",
                "Overdue reviews",
            ]
        );
        // 100·5/190 = 2.63 → 2.6; 100·3/190 = 1.58 → 1.6; 2 × 1.32 → 2 × 1.3.
        let deltas: Vec<i64> = steps.iter().map(|s| s.delta_tenths).collect();
        assert_eq!(deltas, vec![-26, -16, -26, -2, -30, -20]);
        assert_eq!(1000 + deltas.iter().sum::<i64>(), 10 * s.posture.unwrap());
    }

    #[test]
    fn settings_have_the_documented_defaults_and_refuse_bad_values() {
        let d = ScoreSettings::default();
        assert_eq!((d.band_low_min, d.band_moderate_min, d.band_high_min), (90, 75, 60));
        assert_eq!(
            (d.leaver_points, d.leaver_cap, d.review_points, d.review_cap, d.kev_points, d.kev_cap),
            (3, 15, 2, 10, 2, 10)
        );
        assert_eq!((d.severity5_critical_count, d.leaver_override_days), (3, 7));
        assert_eq!((d.tier_standard_pct, d.tier_sensitive_pct, d.tier_critical_pct), (100, 125, 150));
        assert!(d.problems().is_empty());
        for spec in SETTINGS {
            assert_eq!(d.get(spec.key), Some(spec.default), "{}", spec.key);
        }
        let unordered = ScoreSettings { band_moderate_min: 95, ..d.clone() };
        assert_eq!(unordered.problems()[0].field, "band_moderate_min");
        let negative = ScoreSettings { leaver_cap: -1, ..d.clone() };
        assert_eq!(negative.problems()[0].field, "leaver_cap");
        assert_eq!(d.get("no_such_setting"), None);
    }

    #[test]
    fn numbers_are_written_as_points() {
        assert_eq!((halves(10), halves(5), halves(0)), ("5".to_string(), "2.5".to_string(), "0".to_string()));
        assert_eq!((tenths(26), tenths(-26), tenths(30)), ("2.6".to_string(), "-2.6".to_string(), "3".to_string()));
    }

    fn better(status: ControlStatus) -> Vec<(ControlStatus, bool)> {
        // Every (status, stale) that is an improvement on (status, _): a higher status, or the
        // same status with fresh evidence.
        let order = [S::NotAssessed, S::NotImplemented, S::Partial, S::Implemented];
        let at = order.iter().position(|s| *s == status).unwrap_or(0);
        let mut out = vec![(status, false)];
        for s in &order[at + 1..] {
            out.push((*s, false));
            out.push((*s, true));
        }
        out
    }

    /// The property of scoring.md: fixing any control never lowers the score, nor worsens the
    /// band. Random checklists and governance, every control improved in every possible way.
    #[test]
    fn improving_any_control_never_lowers_the_score_nor_worsens_the_band() {
        let statuses = [S::Implemented, S::Partial, S::NotImplemented, S::NotAssessed, S::NotApplicable];
        let mut rng = DemoRng::new(6);
        let mut compared = 0;
        for case in 0..400 {
            let n = rng.below(25);
            let items: Vec<ScoreItem> = (0..n)
                .map(|k| ScoreItem {
                    stale: rng.chance(25),
                    ..item(
                        &format!("{}-{k:02}", ["RA", "IA", "PC", "BR"][rng.below(4)]),
                        1 + rng.below(5) as i64,
                        *rng.pick(&statuses),
                    )
                })
                .collect();
            let governance = Governance {
                leavers: (0..rng.below(4))
                    .map(|k| leaver(&format!("L{k}"), rng.below(12) as i64, rng.chance(50)))
                    .collect(),
                overdue_reviews: rng.below(4) as i64,
                kev_items: rng.below(3) as i64,
            };
            let settings = if case % 2 == 0 {
                ScoreSettings::default()
            } else {
                ScoreSettings { severity5_critical_count: 1 + rng.below(3) as i64, ..ScoreSettings::default() }
            };
            let before = score(&items, &cats(), &governance, &settings, now());
            for (k, original) in items.iter().enumerate() {
                if original.status == S::NotApplicable {
                    continue;
                }
                for (status, stale) in better(original.status) {
                    if (status, stale) == (original.status, original.stale) || (status == original.status && stale) {
                        continue;
                    }
                    let mut improved = items.clone();
                    improved[k] = ScoreItem { status, stale, ..original.clone() };
                    if improved[k].credit_halves() < original.credit_halves() {
                        continue; // fresh evidence on a lower status is not an improvement here
                    }
                    let after = score(&improved, &cats(), &governance, &settings, now());
                    compared += 1;
                    assert!(after.coverage >= before.coverage, "coverage fell: {original:?} → {:?}", improved[k]);
                    assert!(after.posture >= before.posture, "posture fell: {original:?} → {:?}", improved[k]);
                    assert!(
                        after.band.rank() <= before.band.rank(),
                        "band worsened from {:?} to {:?}: {original:?} → {:?}",
                        before.band,
                        after.band,
                        improved[k]
                    );
                    for (a, b) in after.categories.iter().zip(&before.categories) {
                        assert!(a.coverage >= b.coverage, "category {} fell", a.category_id);
                    }
                }
            }
        }
        assert!(compared > 1000, "the generator must exercise the property ({compared} comparisons)");
    }
}
