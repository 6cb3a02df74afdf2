//! The portfolio: the manager's morning page. For now it counts clients by impact tier and
//! lists the critical ones; the risk score (issue 6) will rank clients by priority here.

use crate::clients::types::ClientSummary;
use crate::components::{ErrorPanel, Loading, PageTitle, TierBadge, TimeAgo};
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
    /// Critical-tier clients, by name.
    pub critical_clients: Vec<ClientSummary>,
}

#[server(prefix = "/api", endpoint = "portfolio/get")]
pub async fn get_portfolio() -> Result<Portfolio, AppError> {
    use domain::clients::{self, ClientFilter, ImpactTier};
    let state = crate::state::AppState::get()?;
    let actor = crate::auth::current_actor().await?;
    let counts = clients::count_clients(&state.db, &actor).await?;
    let critical = clients::list_clients(
        &state.db,
        &actor,
        ClientFilter { tier: Some(ImpactTier::Critical), per_page: 10, ..Default::default() },
    )
    .await?;
    let (_, overdue) = domain::controls::list_overdue(&state.db, &actor, domain::clock::now(), 1).await?;
    let access_findings = domain::access::list_findings(&state.db, &actor, domain::clock::now()).await?.len() as i64;
    Ok(Portfolio {
        overdue,
        access_findings,
        active: counts.active,
        standard: counts.standard,
        sensitive: counts.sensitive,
        critical: counts.critical,
        archived: counts.archived,
        critical_clients: critical.items.into_iter().map(crate::clients::api::convert::summary).collect(),
    })
}

#[component]
pub fn PortfolioPage() -> impl IntoView {
    let portfolio = Resource::new(|| (), |_| get_portfolio());
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
                    Ok(p) => view! { <PortfolioBody p/> }.into_any(),
                    // A client viewer has no portfolio: their list holds their own organisation.
                    Err(AppError::Forbidden) => view! { <Redirect path="/clients"/> }.into_any(),
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PortfolioBody(p: Portfolio) -> impl IntoView {
    let kpi = |value: i64, label: &'static str, href: &'static str| {
        view! {
            <a class="kpi" href=href>
                <span class="kpi-value">{value}</span>
                <span class="kpi-label">{label}</span>
            </a>
        }
    };
    let critical = p.critical_clients;
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
            </div>
        </section>
        <section class="card" aria-labelledby="critical-heading">
            <h2 id="critical-heading" class="card-title">"Critical-tier clients"</h2>
            {if critical.is_empty() {
                view! {
                    <div class="empty-state">
                        <p>"No client is in the critical tier."</p>
                        <a class="btn" href="/clients">"See all clients"</a>
                    </div>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data" aria-label="Critical-tier clients">
                            <thead>
                                <tr>
                                    <th scope="col">"Client"</th>
                                    <th scope="col">"Tier"</th>
                                    <th scope="col">"Sector"</th>
                                    <th scope="col">"Changed"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {critical
                                    .into_iter()
                                    .map(|c| {
                                        view! {
                                            <tr>
                                                <td>
                                                    <a href=format!("/clients/{}", c.slug)>{c.name}</a>
                                                </td>
                                                <td>
                                                    <TierBadge tier=c.impact_tier/>
                                                </td>
                                                <td>{c.sector}</td>
                                                <td>
                                                    <TimeAgo when=c.updated/>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="next-heading">
            <h2 id="next-heading" class="card-title">"Coming to this page"</h2>
            <p class="muted">
                "Risk scores, overdue reviews, leavers past their revocation deadline and stale evidence will be ranked here as those areas arrive."
            </p>
        </section>
    }
}
