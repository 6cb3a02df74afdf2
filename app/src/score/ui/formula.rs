//! The page that explains the score's formula with the settings in force.

use super::*;
use crate::components::{Loading, PageError, PageTitle, TimeAgo};
use crate::score::api::get_score_settings;
use crate::score::types::ScoreSettingsView;
use leptos::prelude::*;

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

pub(super) fn pct(hundredths: i64) -> String {
    if hundredths % 100 == 0 {
        format!("{}", hundredths / 100)
    } else if hundredths % 10 == 0 {
        format!("{}.{}", hundredths / 100, (hundredths % 100) / 10)
    } else {
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

#[component]
pub(super) fn Formula(s: ScoreSettingsView) -> impl IntoView {
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
