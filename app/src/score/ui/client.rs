//! A client's risk score: its band, the reasons behind every point, and its charts.

use super::*;
use crate::components::{ErrorPanel, Loading};
use crate::score::types::ScoreView;
use leptos::prelude::*;

/// A client's risk score: the number and band, why (overrides, contributors, penalties), and
/// the charts that explain it.
#[component]
pub fn ClientScore(data: ScoreData) -> impl IntoView {
    let score = data.score;
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match score.await {
                    Ok(s) => view! { <ScoreBody s/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn ScoreBody(s: ScoreView) -> impl IntoView {
    let headline = match s.posture {
        Some(p) => format!("{p}"),
        None => "–".into(),
    };
    let coverage = match (s.coverage, s.posture) {
        (Some(c), Some(p)) if c != p => format!("Coverage {c}, minus {} points of penalties.", s.penalty_points),
        (Some(c), _) => format!("Coverage {c}, no penalties."),
        (None, _) => "No control applies to this client, so it cannot be rated.".into(),
    };
    let penalties: Vec<_> = s.penalties.iter().filter(|p| p.points > 0 || p.note.is_some()).cloned().collect();
    view! {
        <div class="score-head">
            <p class="score-number">
                <span class="score-value">{headline}</span>
                <span class="visually-hidden">" out of 100"</span>
            </p>
            <div>
                <p>
                    <BandBadge band=s.band.clone() label=s.band_label.clone()/>
                    {s.priority.clone().map(|p| view! { " " <span class="muted">{format!("Priority {p}")}</span> })}
                </p>
                <p>{coverage}</p>
                <p class="muted">
                    {format!(
                        "{} applicable controls (Σ weight {}), {} not applicable, {} with stale evidence; gap {} points.",
                        s.applicable,
                        s.weight_total,
                        s.not_applicable,
                        s.stale,
                        s.gap_points,
                    )}
                    " "
                    <a href="/score">"How the score works"</a>
                </p>
            </div>
        </div>
        {s.band_explanation.clone().map(|text| view! { <div class="alert alert-info" role="note">{text}</div> })}
        <div class="grid-2">
            <div>
                <h3>"Largest gaps"</h3>
                {if s.contributors.is_empty() {
                    view! { <p>"Every applicable control has full credit."</p> }.into_any()
                } else {
                    view! {
                        <ol class="reasons">
                            {s
                                .contributors
                                .iter()
                                .map(|c| {
                                    view! {
                                        <li>
                                            <a href=format!("/clients/{}/controls/{}", s.slug, c.control_id)>
                                                {c.control_id.clone()}
                                            </a>
                                            {format!(" {} {}: −{}", c.title, c.state, c.gap)}
                                            <span class="muted">{format!(" ({} points of coverage)", c.cost)}</span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                        {(s.more_gaps > 0)
                            .then(|| view! { <p class="muted">{format!("and {} more; the waterfall below has them all.", s.more_gaps)}</p> })}
                    }
                        .into_any()
                }}
            </div>
            <div>
                <h3>"Governance penalties"</h3>
                <ul class="reasons">
                    {penalties
                        .into_iter()
                        .map(|p| {
                            let cap = if p.capped { format!(" (capped at {})", p.cap) } else { String::new() };
                            let who = if p.items.is_empty() { String::new() } else { format!(": {}", p.items.join(", ")) };
                            view! {
                                <li>
                                    {format!(
                                        "{}: {} × {} = {}{cap}{who}",
                                        p.label,
                                        p.count,
                                        p.points_each,
                                        if p.points > 0 { format!("−{}", p.points) } else { "0".into() },
                                    )}
                                    {p.note.map(|n| view! { <br/> <span class="muted">{n}</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                {(!s.overrides.is_empty())
                    .then(|| {
                        view! {
                            <h3>"Overrides"</h3>
                            <ul class="reasons">
                                {s
                                    .overrides
                                    .iter()
                                    .map(|o| {
                                        let effect = if o.raised {
                                            format!("band at least {}", o.floor)
                                        } else {
                                            format!("band at least {} (already so)", o.floor)
                                        };
                                        view! { <li>{format!("{}: {effect}", o.reason)}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </div>
        </div>
        <div class="charts">
            {s.charts.into_iter().map(|chart| view! { <ChartFigure chart/> }).collect_view()}
        </div>
    }
}
