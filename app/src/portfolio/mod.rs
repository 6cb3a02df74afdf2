//! The portfolio: the manager's daily page. Clients counted by impact tier, reviews overdue
//! and due in the next 14 days, then the risk
//! score's part (`score::ui::PortfolioScore`): clients ranked by priority, the heatmap, and the
//! governance debt across all clients.

use crate::components::{ErrorPanel, Loading, PageTitle};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Portfolio {
    pub active: i64,
    pub standard: i64,
    pub sensitive: i64,
    pub critical: i64,
    pub archived: i64,
    /// Controls past their re-verification time, across the clients in view.
    pub overdue: i64,
    /// Active grants with a stale-access finding, across the clients in view.
    pub access_findings: i64,
    /// Reviews open past their due day, and those due in the next 14 days (the first few).
    pub reviews_overdue: i64,
    pub reviews_soon: Vec<crate::reviews::types::OccurrenceView>,
    pub reviews_soon_total: i64,
}

#[server(prefix = "/api", endpoint = "portfolio/get")]
pub async fn get_portfolio() -> Result<Portfolio, AppError> {
    let (state, actor) = crate::auth::acting().await?;
    let (now, calendar) = (domain::clock::now(), domain::clock::calendar());
    // Sums of the clients' kept scores (see domain::scoring::live).
    let figures = domain::portfolio::figures(&state.db, &actor, now).await?;
    let counts = &figures.counts;
    Ok(Portfolio {
        overdue: figures.overdue_evidence,
        access_findings: figures.access_findings,
        reviews_overdue: figures.reviews_overdue,
        reviews_soon: figures
            .reviews_soon
            .iter()
            .map(|o| crate::reviews::api::convert::occurrence(&actor, o.clone(), &calendar, now))
            .collect(),
        reviews_soon_total: figures.reviews_soon_total,
        active: counts.active,
        standard: counts.standard,
        sensitive: counts.sensitive,
        critical: counts.critical,
        archived: counts.archived,
    })
}

#[component]
pub fn PortfolioPage() -> impl IntoView {
    let portfolio = Resource::new(|| (), |_| get_portfolio());
    // Created here, not inside the suspended view, so that the server render awaits it; asked
    // for only by those who have a portfolio (a client viewer is sent to their client list, and
    // a refusal here would set the page's status).
    let score = Resource::new(
        || (),
        |_| async move {
            match crate::auth::current_user().await? {
                Some(me) if me.can_view_portfolio => crate::score::api::get_portfolio_score().await.map(Some),
                _ => Ok(None),
            }
        },
    );
    view! {
        <PageTitle text="Portfolio"/>
        <header class="page-header">
            <div>
                <h1>"Portfolio"</h1>
                <p class="page-subtitle">"Every client you look after, at a glance."</p>
            </div>
        </header>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match portfolio.await {
                    Ok(p) => view! { <PortfolioBody p score/> }.into_any(),
                    // A client viewer has no portfolio: their list holds their own organisation.
                    Err(AppError::Forbidden) => view! { <Redirect path="/clients"/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PortfolioBody(
    p: Portfolio,
    score: Resource<Result<Option<crate::score::types::PortfolioScoreView>, AppError>>,
) -> impl IntoView {
    let kpi = |value: i64, label: &'static str, href: &'static str| {
        view! {
            <a class="kpi" href=href>
                <span class="kpi-value">{value}</span>
                <span class="kpi-label">{label}</span>
            </a>
        }
    };
    view! {
        <section aria-labelledby="kpi-heading">
            <h2 id="kpi-heading" class="visually-hidden">"Key figures"</h2>
            <div class="kpis">
                {kpi(p.active, "Active clients", "/clients")}
                {kpi(p.critical, "Critical tier", "/clients?tier=critical")}
                {kpi(p.sensitive, "Sensitive tier", "/clients?tier=sensitive")}
                {kpi(p.standard, "Standard tier", "/clients?tier=standard")}
                {kpi(p.archived, "Archived", "/clients?archived=1")}
                {kpi(p.overdue, "Overdue evidence", "/overdue")}
                {kpi(p.access_findings, "Access findings", "/findings")}
                {kpi(p.reviews_overdue, "Overdue reviews", "/reviews?overdue=1")}
            </div>
        </section>
        <section class="card" aria-labelledby="soon-heading">
            <h2 id="soon-heading" class="card-title">"Reviews due in the next 14 days"</h2>
            {if p.reviews_soon.is_empty() {
                view! { <p class="muted">"Nothing is due in the next two weeks."</p> }.into_any()
            } else {
                let more = p.reviews_soon_total - p.reviews_soon.len() as i64;
                view! {
                    <ul class="plain">
                        {p.reviews_soon.into_iter().map(|o| view! {
                            <li>
                                <time datetime=o.due_on.clone()>{o.due_on.clone()}</time>" · "
                                <a href=format!("/clients/{}#reviews", o.client_slug)>{o.client_name}</a>" · "
                                <a href=format!("/reviews/{}", o.id)>{o.title}</a>
                            </li>
                        }).collect_view()}
                    </ul>
                    {(more > 0).then(|| view! { <p><a href="/reviews">{format!("And {more} more on the schedule")}</a></p> })}
                }.into_any()
            }}
        </section>
        <crate::score::ui::PortfolioScore score/>
    }
}
