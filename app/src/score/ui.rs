//! Score pages and parts: a client's risk score with its reasons and charts, the page that
//! explains the formula, its settings, the full ranking, and the manager's morning on the
//! portfolio.

use super::api::{get_client_score, get_ranking, get_score_settings, SaveScoreSettings};
use super::types::{
    ChartView, DebtView, MorningView, RankedView, RankingView, ScoreSettingsView, ScoreView, MORNING_TOP,
};
use crate::components::{ActionError, ErrorPanel, Loading, PageError, PageTitle, TierBadge, TimeAgo};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A band as text with an icon (from the style) and colour, never colour alone.
#[component]
pub fn BandBadge(band: String, label: String) -> impl IntoView {
    let known = ["low", "moderate", "high", "critical", "not_rated"];
    let class =
        format!("badge badge-band-{}", if known.contains(&band.as_str()) { band.as_str() } else { "not_rated" });
    view! { <span class=class>{label}</span> }
}

/// A chart: its title, the image (drawn on the server) with its description as the text
/// alternative, and its numbers as a table on demand.
#[component]
pub fn ChartFigure(chart: ChartView) -> impl IntoView {
    let has_rows = !chart.rows.is_empty();
    view! {
        <figure class="chart" id=format!("chart-{}", chart.kind)>
            <figcaption class="chart-title">{chart.title.clone()}</figcaption>
            <img src=chart.src.clone() alt=chart.description.clone() loading="lazy" decoding="async"/>
            <details class="chart-numbers">
                <summary>"Show the numbers"</summary>
                {if has_rows {
                    view! { <div class="table-wrap" inner_html=numbers_table(&chart)></div> }.into_any()
                } else {
                    view! { <p class="muted">{chart.description.clone()}</p> }.into_any()
                }}
            </details>
        </figure>
    }
}

/// A chart's numbers as a table, written as HTML text: a trend has a row a day, and rendered
/// as views, cell by cell, the tables cost a client's page more than its other sections.
fn numbers_table(chart: &ChartView) -> String {
    use crate::html::escape_into;
    let mut html = String::with_capacity(64 * (chart.rows.len() + 2));
    html.push_str(r#"<table class="data"><caption>"#);
    escape_into(&mut html, &chart.caption);
    html.push_str("</caption><thead><tr>");
    for header in &chart.headers {
        html.push_str(r#"<th scope="col">"#);
        escape_into(&mut html, header);
        html.push_str("</th>");
    }
    html.push_str("</tr></thead><tbody>");
    for row in &chart.rows {
        html.push_str("<tr>");
        // The first cell names the row; the rest are numbers.
        for (k, cell) in row.iter().enumerate() {
            html.push_str(if k == 0 { r#"<th scope="row">"# } else { r#"<td class="num">"# });
            escape_into(&mut html, cell);
            html.push_str(if k == 0 { "</th>" } else { "</td>" });
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// The data behind a client's "Risk score" section, created by the client's page.
#[derive(Clone, Copy)]
pub struct ScoreData {
    score: Resource<Result<ScoreView, AppError>>,
}

impl ScoreData {
    pub fn new(slug: Memo<String>) -> Self {
        Self { score: Resource::new(move || slug.get(), get_client_score) }
    }
}

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
fn ScoreBody(s: ScoreView) -> impl IntoView {
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

/// `/score`: how the score is computed, with the settings in force.
#[component]
pub fn ScorePage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_score_settings());
    view! {
        <PageTitle text="How the risk score works"/>
        <header class="page-header">
            <div>
                <h1>"How the risk score works"</h1>
                <p class="page-subtitle">
                    "Every point traces back to a named control or event. The numbers below are the settings in force."
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <Formula s/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn pct(hundredths: i64) -> String {
    if hundredths % 100 == 0 {
        format!("{}", hundredths / 100)
    } else if hundredths % 10 == 0 {
        format!("{}.{}", hundredths / 100, (hundredths % 100) / 10)
    } else {
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

#[component]
fn Formula(s: ScoreSettingsView) -> impl IntoView {
    let v = |key: &str| s.value(key);
    let changed = s.changed.clone();
    view! {
        <section class="card" aria-labelledby="coverage-heading">
            <h2 id="coverage-heading" class="card-title">"1. Coverage"</h2>
            <p>
                "Over the controls on the client's checklist that apply (those marked not applicable are left out), each with its weight "
                <var>"w"</var>
                " (the control's severity, 1 to 5) and credit "
                <var>"s"</var>
                ":"
            </p>
            <ul>
                <li>"implemented: 1; partial: ½; not implemented or not assessed: 0;"</li>
                <li>
                    "stale evidence — past the control's re-verification time — counts as partial at best (½), so evidence that is not re-verified visibly costs points."
                </li>
            </ul>
            <p class="formula">"Coverage = round(100 × Σ w·s ÷ Σ w)"</p>
            <p>
                "Each control short of full credit is listed with its gap "
                <var>"w·(1 − s)"</var>
                ": “RA-01 MFA on every remote access path not implemented: −5”. The same formula within each category gives the coverage by category."
            </p>
        </section>
        <section class="card" aria-labelledby="penalty-heading">
            <h2 id="penalty-heading" class="card-title">"2. Penalties for governance lapses"</h2>
            <div class="table-wrap">
                <table class="data">
                    <caption>"Points taken off coverage"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Lapse"</th>
                            <th scope="col">"Points each"</th>
                            <th scope="col">"At most"</th>
                            <th scope="col">"Source"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <tr>
                            <th scope="row">"Leaver past the offboarding SLA"</th>
                            <td class="num">{v("leaver_points")}</td>
                            <td class="num">{v("leaver_cap")}</td>
                            <td>
                                "Each technician who still holds access at the client after the revocation deadline ("
                                <a href="/findings">"access findings"</a>
                                ")."
                            </td>
                        </tr>
                        <tr>
                            <th scope="row">"Overdue review of any kind"</th>
                            <td class="num">{v("review_points")}</td>
                            <td class="num">{v("review_cap")}</td>
                            <td>"Access reviews, security and business reviews, re-verifications, exercises and contract reviews open past their due day (see /reviews)."</td>
                        </tr>
                        <tr>
                            <th scope="row">"Known-exploited vulnerability open past its SLA"</th>
                            <td class="num">{v("kev_points")}</td>
                            <td class="num">{v("kev_cap")}</td>
                            <td>"Rampart has no vulnerability feed yet, so this counts 0."</td>
                        </tr>
                    </tbody>
                </table>
            </div>
            <p class="formula">"Score (posture) = Coverage − penalties, kept between 0 and 100"</p>
        </section>
        <section class="card" aria-labelledby="band-heading">
            <h2 id="band-heading" class="card-title">"3. Band, and overrides"</h2>
            <ul>
                <li><BandBadge band="low".into() label="Low".into()/>{format!(" from {}", v("band_low_min"))}</li>
                <li>
                    <BandBadge band="moderate".into() label="Moderate".into()/>
                    {format!(" from {} to {}", v("band_moderate_min"), v("band_low_min") - 1)}
                </li>
                <li>
                    <BandBadge band="high".into() label="High".into()/>
                    {format!(" from {} to {}", v("band_high_min"), v("band_moderate_min") - 1)}
                </li>
                <li><BandBadge band="critical".into() label="Critical".into()/>{format!(" below {}", v("band_high_min"))}</li>
                <li><BandBadge band="not_rated".into() label="Not rated".into()/>" when no control applies"</li>
            </ul>
            <p>"Then, each shown as an explicit reason beside the score:"</p>
            <ul>
                <li>"any severity-5 control at zero makes the band at least High;"</li>
                <li>{format!("{} or more severity-5 controls at zero make it Critical;", v("severity5_critical_count"))}</li>
                <li>
                    {format!(
                        "a leaver who still holds access more than {} days after leaving (T0) makes it at least High.",
                        v("leaver_override_days"),
                    )}
                </li>
            </ul>
        </section>
        <section class="card" aria-labelledby="priority-heading">
            <h2 id="priority-heading" class="card-title">"4. Portfolio priority"</h2>
            <p class="formula">"Priority = (100 − score) × impact tier"</p>
            <p>
                {format!(
                    "Impact tier: standard {}, sensitive {}, critical {}. Priority only ranks the portfolio; a client's score stays comparable with every other client's.",
                    pct(v("tier_standard_pct")),
                    pct(v("tier_sensitive_pct")),
                    pct(v("tier_critical_pct")),
                )}
            </p>
        </section>
        <section class="card" aria-labelledby="example-heading">
            <h2 id="example-heading" class="card-title">"Worked example (with the default settings)"</h2>
            <p>
                "A client has 50 applicable controls with Σ w = 190. RA-01 (severity 5) is not implemented (−5), BR-05 and PC-03 are partial (−2.5 each), IA-05 (severity 3) is not implemented (−3): 13 gap points."
            </p>
            <p>
                "Coverage = round(100 × 177 ÷ 190) = 93. One leaver past the SLA: −3, so the score is 90, Low by thresholds. But RA-01 is a severity-5 control at zero, so the band is raised to High, and the page says why."
            </p>
        </section>
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading" class="card-title">"History"</h2>
            <p>
                "Once a day (UTC) Rampart records every active client's score, band, coverage by category and penalty counts. With several Rampart servers on one database, one of them takes the day's snapshot. The trend on each client's page is drawn from these snapshots."
            </p>
            <p class="muted">
                {match changed {
                    Some((when, by)) => view! { "Settings last changed " <TimeAgo when/> {format!(" by {by}.")} }.into_any(),
                    None => view! { "Every setting has its default value." }.into_any(),
                }}
                {s.can_edit.then(|| view! { " " <a href="/settings/score">"Change the settings"</a> })}
            </p>
        </section>
    }
}

/// `/settings/score`: the score's settings, changed by admins.
#[component]
pub fn ScoreSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveScoreSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_score_settings());
    view! {
        <PageTitle text="Risk score settings"/>
        <header class="page-header">
            <div>
                <h1>"Risk score settings"</h1>
                <p class="page-subtitle">
                    "Band thresholds, penalties with their caps, overrides and impact-tier multipliers. The defaults are those of the scoring method; "
                    <a href="/score">"see how the score works"</a>
                    "."
                </p>
            </div>
        </header>
        {move || save.value().get().and_then(Result::err).map(|error| view! { <ActionError error/> })}
        {move || {
            save.value()
                .get()
                .and_then(Result::ok)
                .map(|_| view! { <div class="alert alert-success" role="status">"Settings saved."</div> })
        }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) if s.can_edit => view! { <SettingsForm s save/> }.into_any(),
                    Ok(_) => view! { <PageError error=AppError::Forbidden/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SettingsForm(s: ScoreSettingsView, save: ServerAction<SaveScoreSettings>) -> impl IntoView {
    let error = move |key: String| {
        Signal::derive(move || save.value().get().and_then(Result::err).and_then(|e| e.field_message(&key)))
    };
    view! {
        <section class="card">
            <ActionForm action=save attr:class="stack" attr:novalidate=true>
                <div class="form-grid">
                    {s
                        .settings
                        .into_iter()
                        .map(|setting| {
                            let id = format!("setting-{}", setting.key);
                            let hint = format!("{id}-hint");
                            let message = error(setting.key.clone());
                            view! {
                                <div class="field">
                                    <label for=id.clone()>{setting.label.clone()}</label>
                                    <input
                                        id=id.clone()
                                        name=format!("values[{}]", setting.key)
                                        type="number"
                                        min=setting.min
                                        max=setting.max
                                        value=setting.value
                                        class="input-narrow"
                                        aria-describedby=hint.clone()
                                        aria-invalid=move || message.get().is_some().then_some("true")
                                    />
                                    <p class="hint" id=hint>
                                        {format!("{} Default {}.", setting.help, setting.default)}
                                    </p>
                                    {move || message.get().map(|m| view! { <p class="field-error">{m}</p> })}
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary">"Save settings"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn RankTable(items: Vec<RankedView>, label: &'static str) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data" aria-label=label>
                <thead>
                    <tr>
                        <th scope="col" class="num">"#"</th>
                        <th scope="col">"Client"</th>
                        <th scope="col">"Tier"</th>
                        <th scope="col" class="num">"Score"</th>
                        <th scope="col">"Band"</th>
                        <th scope="col" class="num">"Priority"</th>
                        <th scope="col">"Largest reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr>
                                    <td class="num">{c.rank}</td>
                                    <td>
                                        <a href=format!("/clients/{}", c.slug)>{c.name}</a>
                                    </td>
                                    <td>
                                        <TierBadge tier=c.tier/>
                                    </td>
                                    <td class="num">{c.posture.map(|p| p.to_string()).unwrap_or_else(|| "–".into())}</td>
                                    <td>
                                        <BandBadge band=c.band label=c.band_label/>
                                    </td>
                                    <td class="num">{c.priority.unwrap_or_else(|| "–".into())}</td>
                                    <td>{c.reason.unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/portfolio/ranking`: every client, ranked by priority.
#[component]
pub fn RankingPage() -> impl IntoView {
    let query = use_query_map();
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u32>().ok()));
    let ranking = Resource::new(move || page.get(), get_ranking);
    view! {
        <PageTitle text="Clients by priority"/>
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li>
                    <a href="/">"Portfolio"</a>
                </li>
                <li aria-current="page">"Clients by priority"</li>
            </ol>
        </nav>
        <header class="page-header">
            <div>
                <h1>"Clients by priority"</h1>
                <p class="page-subtitle">
                    "Priority = (100 − score) × impact tier: the gap of a critical client weighs more. "
                    <a href="/score">"How the score works"</a>
                </p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match ranking.await {
                    Ok(r) => view! { <RankingBody r/> }.into_any(),
                    Err(error) => view! { <PageError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RankingBody(r: RankingView) -> impl IntoView {
    if r.items.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No client to rank yet."</p>
                <a class="btn" href="/clients">"See the clients"</a>
            </div>
        }
        .into_any();
    }
    let pager = (r.pages > 1).then(|| {
        let prev = (r.page > 1).then(|| format!("/portfolio/ranking?page={}", r.page - 1));
        let next = (r.page < r.pages).then(|| format!("/portfolio/ranking?page={}", r.page + 1));
        view! {
            <nav class="pager" aria-label="Pages">
                {match prev {
                    Some(href) => view! { <a href=href rel="prev">"← Previous"</a> }.into_any(),
                    None => view! { <span aria-disabled="true">"← Previous"</span> }.into_any(),
                }}
                <span>{format!("Page {} of {}", r.page, r.pages)}</span>
                {match next {
                    Some(href) => view! { <a href=href rel="next">"Next →"</a> }.into_any(),
                    None => view! { <span aria-disabled="true">"Next →"</span> }.into_any(),
                }}
            </nav>
        }
    });
    view! {
        <p class="muted">{format!("{} clients", r.total)}</p>
        <RankTable items=r.items label="Clients by priority"/>
        {pager}
    }
    .into_any()
}

/// The portfolio's score sections: figures, the top of the ranking, the heatmap and the
/// governance debt across all clients.
#[component]
pub fn Morning(morning: Resource<Result<Option<MorningView>, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match morning.await {
                    Ok(Some(m)) => view! { <MorningBody m/> }.into_any(),
                    // No portfolio for this user: the page says where to go.
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MorningBody(m: MorningView) -> impl IntoView {
    let shown = m.top.len();
    view! {
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
                    {(m.total > MORNING_TOP)
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
fn DebtList(debt: DebtView) -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::{numbers_table, ChartView};

    #[test]
    fn a_charts_numbers_are_a_table_with_a_named_row_each_and_every_text_escaped() {
        let chart = ChartView {
            kind: "trend".into(),
            src: String::new(),
            title: String::new(),
            description: String::new(),
            caption: "Posture <by day>".into(),
            headers: vec!["Day".into(), "Posture".into()],
            rows: vec![vec!["2026-11-26".into(), "71".into()], vec!["<b>\"x\"</b>".into(), "5 & 6".into()]],
        };
        assert_eq!(
            numbers_table(&chart),
            concat!(
                r#"<table class="data"><caption>Posture &lt;by day&gt;</caption>"#,
                r#"<thead><tr><th scope="col">Day</th><th scope="col">Posture</th></tr></thead><tbody>"#,
                r#"<tr><th scope="row">2026-11-26</th><td class="num">71</td></tr>"#,
                r#"<tr><th scope="row">&lt;b&gt;&quot;x&quot;&lt;/b&gt;</th><td class="num">5 &amp; 6</td></tr>"#,
                "</tbody></table>"
            )
        );
    }
}
