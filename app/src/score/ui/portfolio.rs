//! The score sections of the portfolio page: figures, the ranking's top, the heatmap and governance debt.

use super::ranking::RankTable;
use super::*;
use crate::components::{ErrorPanel, Loading, TimeAgo};
use crate::error::AppError;
use crate::score::types::{DebtView, PortfolioScoreView, PORTFOLIO_TOP};
use leptos::prelude::*;

/// The portfolio's score sections: figures, the top of the ranking, the heatmap and the
/// governance debt across all clients.
#[component]
pub fn PortfolioScore(score: Resource<Result<Option<PortfolioScoreView>, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match score.await {
                    Ok(Some(m)) => view! { <PortfolioScoreBody m/> }.into_any(),
                    // No portfolio for this user: the page says where to go.
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub(super) fn PortfolioScoreBody(m: PortfolioScoreView) -> impl IntoView {
    let shown = m.top.len();
    view! {
        <super::UpdatingNote updating=m.updating/>
        <section aria-labelledby="score-kpi-heading">
            <h2 id="score-kpi-heading" class="visually-hidden">"Risk at a glance"</h2>
            <div class="kpis">
                <a class="kpi" href="/portfolio/ranking">
                    <span class="kpi-value">{m.average_posture.map(|p| p.to_string()).unwrap_or_else(|| "–".into())}</span>
                    <span class="kpi-label">"Average score"</span>
                </a>
                {m
                    .by_band
                    .iter()
                    .map(|(band, label, n)| {
                        view! {
                            <a class="kpi" href="/portfolio/ranking">
                                <span class="kpi-value">{*n}</span>
                                <span class="kpi-label">
                                    <BandBadge band=band.clone() label=label.clone()/>
                                </span>
                            </a>
                        }
                    })
                    .collect_view()}
                <a class="kpi" href="/portfolio/ranking">
                    <span class="kpi-value">{m.raised}</span>
                    <span class="kpi-label">"Band raised by an override"</span>
                </a>
                {(m.not_rated > 0)
                    .then(|| {
                        view! {
                            <a class="kpi" href="/portfolio/ranking">
                                <span class="kpi-value">{m.not_rated}</span>
                                <span class="kpi-label">"Not rated"</span>
                            </a>
                        }
                    })}
            </div>
        </section>
        <section class="card" aria-labelledby="ranking-heading">
            <h2 id="ranking-heading" class="card-title">"Clients by priority"</h2>
            {if m.top.is_empty() {
                view! {
                    <div class="empty-state">
                        <p>"No client yet: add one to see it ranked here."</p>
                        <a class="btn" href="/clients">"See the clients"</a>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <p class="muted">
                        {format!(
                            "The {shown} of {} clients with the highest priority, (100 − score) × impact tier. ",
                            m.total,
                        )}
                        <a href="/score">"How the score works"</a>
                    </p>
                    <RankTable items=m.top label="Clients by priority"/>
                    {(m.total > PORTFOLIO_TOP)
                        .then(|| view! { <p><a class="btn" href="/portfolio/ranking">{format!("All {} clients by priority", m.total)}</a></p> })}
                }
                    .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="debt-heading">
            <h2 id="debt-heading" class="card-title">"Governance debt"</h2>
            <DebtList debt=m.debt/>
        </section>
        <section class="card" aria-labelledby="heatmap-heading">
            <h2 id="heatmap-heading" class="card-title">"Coverage by client and category"</h2>
            <p class="muted">
                "The highest-priority clients one per row; the others grouped by band with their average, so the map stays readable for any number of clients."
            </p>
            <ChartFigure chart=m.heatmap/>
        </section>
    }
}

#[component]
pub(super) fn DebtList(debt: DebtView) -> impl IntoView {
    let leavers = debt.leavers.len();
    view! {
        <ul class="debt">
            <li>
                <strong>{format!("{leavers} leaver{} past the offboarding SLA", if leavers == 1 { "" } else { "s" })}</strong>
                {(leavers > 0)
                    .then(|| {
                        view! {
                            <ul>
                                {debt
                                    .leavers
                                    .into_iter()
                                    .map(|l| {
                                        view! {
                                            <li>
                                                <a href=format!("/technicians/{}", l.technician_id)>{l.name}</a>
                                                {format!(
                                                    " still holds {} grant{} at ",
                                                    l.grants,
                                                    if l.grants == 1 { "" } else { "s" },
                                                )}
                                                {l
                                                    .clients
                                                    .into_iter()
                                                    .enumerate()
                                                    .map(|(k, (slug, name))| {
                                                        view! {
                                                            {(k > 0).then_some(", ")}
                                                            <a href=format!("/clients/{slug}")>{name}</a>
                                                        }
                                                    })
                                                    .collect_view()}
                                                {l.overdue_since.map(|when| view! { "; deadline " <TimeAgo when/> })}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </li>
            <li>
                <a href="/overdue">
                    <strong>{format!("{} controls with stale evidence", debt.stale_evidence)}</strong>
                </a>
                " (past their re-verification time)"
            </li>
            <li>
                <strong>
                    {format!("{} risk acceptances expiring in the next {} days", debt.expiring_total, debt.expiring_days)}
                </strong>
                {(!debt.expiring.is_empty())
                    .then(|| {
                        view! {
                            <ul>
                                {debt
                                    .expiring
                                    .into_iter()
                                    .map(|e| {
                                        view! {
                                            <li>
                                                <a href=format!("/clients/{}/controls/{}", e.client_slug, e.control_id)>
                                                    {format!("{} {}", e.control_id, e.title)}
                                                </a>
                                                {format!(" at {}, expires ", e.client_name)}
                                                <TimeAgo when=e.expires/>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </li>
            <li>
                <a href="/reviews?overdue=1"><strong>{format!("{} overdue reviews", debt.overdue_reviews)}</strong></a>
            </li>
            <li>
                <strong>
                    {if debt.meetings_next_week.is_empty() {
                        "No meetings next week".to_string()
                    } else {
                        format!("{} meetings next week", debt.meetings_next_week.len())
                    }}
                </strong>
                {if debt.meetings_next_week.is_empty() {
                    view! { <span class="muted">" (security and business reviews due or scheduled)"</span> }.into_any()
                } else {
                    view! { <ul>{debt.meetings_next_week.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul> }
                        .into_any()
                }}
            </li>
        </ul>
    }
}
